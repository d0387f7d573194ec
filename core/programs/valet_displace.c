/*
 * valet_displace.c - `valet simulate --displace`: what the last request
 * would displace (valet_displace.h). Intervals overlap as the engine's
 * timed holds do: [s1, e1) and [s2, e2) share time when s1 < e2 and s2 < e1.
 */
#include <stdlib.h>
#include <string.h>

#include "valet_displace.h"

static bool overlaps(vlt_interval_t a, vlt_interval_t b)
{
	return a.start_ms < b.end_ms && b.start_ms < a.end_ms;
}

static bool has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* The hosts a placement's servers are on, each once, in the units' order. */
static json_t *hosts_of(const vlt_place_result_t *r)
{
	json_t *out = json_array();

	for (size_t u = 0; out != NULL && u < r->n_units; u++) {
		const vlt_placed_unit_t *unit = &r->units[u];
		if (unit->server && !has_string(out, unit->location))
			json_array_append_new(out, json_string(unit->location));
	}
	return out;
}

/* {"plan", "file", "start", "end"} of p, its name read from r; start and end as asked. */
static json_t *plan_ref(const sim_plan_t *p, const vlt_place_result_t *r)
{
	return json_pack("{s:s, s:s, s:O?, s:O?}", "plan", r->stack->plan_name, "file", p->where,
			 "start", json_object_get(p->req, "start"), "end",
			 json_object_get(p->req, "end"));
}

json_t *vlt__sim_shared(const sim_plan_t *plans, size_t n, const sim_plan_t *asked)
{
	json_t *out = json_array(), *mine = hosts_of(asked->res);

	for (size_t i = 0; out != NULL && mine != NULL && i < n; i++) {
		const sim_plan_t *p = &plans[i];
		if (p == asked || p->res == NULL || !overlaps(p->iv, asked->iv))
			continue;
		json_t *theirs = hosts_of(p->res), *both = json_array(), *h, *ref;
		size_t k;
		json_array_foreach(theirs, k, h) {
			if (has_string(mine, json_string_value(h)))
				json_array_append(both, h);
		}
		json_decref(theirs);
		if (json_array_size(both) > 0 && (ref = plan_ref(p, p->res)) != NULL) {
			json_object_set_new(ref, "hosts", both);
			json_array_append_new(out, ref);
		} else {
			json_decref(both);
		}
	}
	json_decref(mine);
	return out;
}

/* Place p's request with o; p->res set when placed. RET as vlt__engine_plan. */
static int place(vlt_engine_t *e, sim_plan_t *p, const vlt_place_opts_t *o, vlt_err_t *err)
{
	vlt_place_result_t *r = NULL;
	int rc = vlt__engine_plan(e, p->req, p->where, o, &r, err);

	if (rc == VLT_OK)
		p->res = r;
	else if (r != NULL)
		vlt__place_result_free(r);
	return rc;
}

/* Place p again with every unit where `was` had it; RET 0 when it still fits there. */
static int place_pinned(vlt_engine_t *e, sim_plan_t *p, const vlt_place_result_t *was,
			const char *solver)
{
	vlt_unit_locs_t *pins = calloc(was->n_units + 1, sizeof(*pins));
	vlt_err_t ignored = {0};
	int rc = VLT_ENOMEM;

	if (pins != NULL) {
		for (size_t u = 0; u < was->n_units; u++)
			pins[u] = (vlt_unit_locs_t){ .orch = was->units[u].orch,
						     .locs = &was->units[u].loc,
						     .n_locs = 1 };
		vlt_place_opts_t o = { .plan_id = p->id, .solver = solver, .pinned = pins,
				       .n_pinned = was->n_units };
		rc = place(e, p, &o, &ignored);
	}
	free(pins);
	return rc;
}

/* The moved plans' second pass: anywhere; into must_move or no_room. RET 0 or an error. */
static int place_moved(vlt_engine_t *e, sim_plan_t *p, const vlt_place_result_t *was,
		       const char *solver, json_t *out, vlt_err_t *err)
{
	vlt_place_opts_t o = { .plan_id = p->id, .solver = solver };
	int rc = place(e, p, &o, err);
	json_t *ref = plan_ref(p, was);

	if (ref == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_object_set_new(ref, "from", hosts_of(was));
	if (rc == VLT_OK) {
		json_object_set_new(ref, "to", hosts_of(p->res));
		json_array_append_new(json_object_get(out, "must_move"), ref);
		return 0;
	}
	json_array_append_new(json_object_get(out, "no_room"), ref);
	return rc == VLT_ENOPLACE || rc == VLT_E2BIG ? 0 : rc;
}

static json_t *placements_of(const vlt_place_result_t *r)
{
	json_t *out = json_object();

	for (size_t u = 0; out != NULL && u < r->n_units; u++)
		json_object_set_new(out, r->units[u].orch, json_string(r->units[u].location));
	return out;
}

/* Place asked with the released plans gone; out says whether it fits. */
static int place_asked(vlt_engine_t *e, sim_plan_t *asked, const char *solver, json_t *out,
		       vlt_err_t *err)
{
	vlt_place_result_t *r = NULL;
	vlt_place_opts_t o = { .plan_id = asked->id, .solver = solver };
	int rc = vlt__engine_plan(e, asked->req, asked->where, &o, &r, err);

	json_object_set_new(out, "fits_if_moved", json_boolean(rc == VLT_OK));
	if (rc == VLT_OK) {
		asked->res = r;
		json_object_set_new(out, "placements", placements_of(r));
	} else if (r != NULL) {
		json_object_set_new(out, "message", json_string(r->message));
		vlt__place_result_free(r);
		rc = 0;
	}
	return rc;
}

int vlt__sim_displace(vlt_engine_t *e, sim_plan_t *plans, size_t n, sim_plan_t *asked,
		      const char *solver, json_t **out, vlt_err_t *err)
{
	vlt_place_result_t **was = calloc(n + 1, sizeof(*was));
	json_t *doc = json_pack("{s:[], s:[]}", "must_move", "no_room");
	int rc = was != NULL && doc != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (&plans[i] == asked || plans[i].res == NULL || !overlaps(plans[i].iv, asked->iv))
			continue;
		vlt__engine_release(e, plans[i].id);
		was[i] = plans[i].res;
		plans[i].res = NULL;
	}
	if (rc == 0)
		rc = place_asked(e, asked, solver, doc, err);
	/* first every plan that still fits where it was, then the others anywhere */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (was[i] != NULL)
			place_pinned(e, &plans[i], was[i], solver);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (was[i] != NULL && plans[i].res == NULL)
			rc = place_moved(e, &plans[i], was[i], solver, doc, err);
	}
	for (size_t i = 0; was != NULL && i < n; i++)
		vlt__place_result_free(was[i]);
	free(was);
	if (rc < 0) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
