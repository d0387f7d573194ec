/*
 * op_replace.c - a plan's record replaced ("plan_replace": update, migrate,
 * replan, a placement deleted), and the decision that places one server
 * of a plan again, which migrate and replan share.
 */
#include <stdlib.h>
#include <string.h>

#include "ops.h"

json_t *vlt__svc_replace_entry(const vlt_svc_plan_t *p, const char *why, const char *name,
			       const json_t *req, const vlt_svc_unit_t *units, size_t n)
{
	json_t *text = vlt__svc_request_text(req);
	json_t *uj = vlt__units_json(units, n);

	if (text == NULL || uj == NULL) {
		json_decref(text);
		json_decref(uj);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o}", "op", "plan_replace", "plan_id", p->id,
			 "why", why, "name", name, "request", text, "units", uj);
}

int vlt__apply_plan_replace(void *svc, const json_t *e, bool decided_here, const char *where,
			    vlt_err_t *err)
{
	vlt_service_t *s = svc;
	vlt_svc_plan_t *p = vlt__svc_entry_plan(s, e, where, err);
	json_t *req = vlt__svc_entry_request(e);
	const char *name = json_string_value(json_object_get(e, "name"));
	vlt_svc_unit_t *units = NULL;
	size_t n = 0;

	if (p == NULL || req == NULL ||
	    vlt__units_from_json(json_object_get(e, "units"), &units, &n) < 0) {
		json_decref(req);
		return p == NULL ? err->code
				 : vlt_err_set(err, VLT_EINVAL,
					       "%s: a plan_replace entry is broken", where);
	}
	if (name != NULL) {
		char *copy = strdup(name);

		if (copy != NULL) {
			free(p->name);
			p->name = copy;
		}
	}
	for (size_t i = 0; i < n; i++) {
		units[i].reserved_seq = s->journal.applied + 1; /* the entry being applied */
		if (units[i].reserved)
			vlt__svc_outside_forget(s, units[i].resource_id);
	}
	vlt__state_set_units(&s->st, p, units, n);
	json_decref(p->request);
	p->request = req;
	vlt__svc_plan_interval(p);
	if (decided_here) {
		p->held = true;
		free(p->hold_error);
		p->hold_error = NULL;
	} else {
		vlt__svc_plan_hold(s, p, true, where, err);
	}
	return 0;
}

/* ---------------------------------------------------------------- one server again */

static int replace_str(char **field, const char *value)
{
	char *copy = value != NULL ? strdup(value) : NULL;

	if (value != NULL && copy == NULL)
		return VLT_ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/*
 * The engine's options for target: the siblings that stay where they are
 * (pinned), where target may and may not go. RET 0 or a negative code.
 */
static int target_locs(vlt_service_t *s, const vlt_svc_plan_t *p, const vlt_svc_unit_t *target,
		       const vlt_svc_replace_t *how, vlt_svc_locs_t locs[3], vlt_err_t *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];
		json_t *loc;

		if (u == target || !vlt__svc_unit_placed(s, u) ||
		    (how->pin_reserved_only && !u->reserved))
			continue;
		loc = json_string(u->loc);
		rc = loc != NULL ? vlt__svc_locs_add(s, &locs[0], u->orch, u->server, loc,
						     "pinned location", err)
				 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
		json_decref(loc);
	}
	if (rc == 0 && how->allowed_hosts != NULL)
		rc = vlt__svc_locs_add(s, &locs[1], target->orch, target->server, how->allowed_hosts,
				       "allowed locations", err);
	if (rc == 0 && how->excluded_hosts != NULL)
		rc = vlt__svc_locs_add(s, &locs[2], target->orch, target->server, how->excluded_hosts,
				       "excluded locations", err);
	return rc;
}

/*
 * The plan's units after the placement in result: every unit copied, at
 * its new location unless its hold expired; target at its new location,
 * its hold's clock started at now, reserved as how says.
 * RET 0 or VLT_ENOMEM; *n units filled in units (room for p->n_units).
 */
static int units_after(const vlt_svc_plan_t *p, const vlt_svc_unit_t *target,
		       const vlt_svc_replace_t *how, const vlt_place_result_t *result,
		       int64_t now, vlt_svc_unit_t *units, size_t *n)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < p->n_units; i++) {
		const vlt_placed_unit_t *placed = vlt__place_result_unit(result, p->units[i].orch);
		const char *loc = placed != NULL ? placed->location : NULL;
		bool is_target = &p->units[i] == target;

		rc = vlt__unit_copy(&units[*n], &p->units[i]);
		if (rc < 0)
			break;
		vlt_svc_unit_t *u = &units[(*n)++];
		if (loc != NULL && (!u->expired || is_target))
			rc = replace_str(&u->loc, loc);
		if (rc == 0 && is_target) {
			u->reserved = how->reserve;
			u->expired = false;
			u->t_ms = now;
			if (how->reserve && how->resource_id != NULL)
				rc = replace_str(&u->resource_id, how->resource_id);
		}
	}
	return rc;
}

int vlt__svc_replace_server(vlt_service_t *s, vlt_svc_plan_t *p, vlt_svc_unit_t *target,
			    const vlt_svc_replace_t *how, json_t **entry, bool *engine_done,
			    vlt_err_t *err)
{
	const json_t *base = how->request != NULL ? how->request : p->request;
	json_t *gone = vlt__plan_expired_set(p);
	json_t *req = NULL;
	vlt_place_result_t *result = NULL;
	vlt_svc_locs_t locs[3] = { { 0 } }; /* pinned, allowed, excluded */
	vlt_svc_unit_t *units = calloc(p->n_units + 1, sizeof(*units));
	size_t n = 0;
	int rc = 0;

	/* the target comes back even when its hold had expired */
	if (gone != NULL)
		json_object_del(gone, target->orch);
	req = gone != NULL ? vlt__request_prune(base, gone) : NULL;
	if (units == NULL || req == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = target_locs(s, p, target, how, locs, err);
	if (rc == 0) {
		vlt_place_opts_t o = { .plan_id = p->id,
				       .replaces = p->held ? p->id : NULL,
				       .tenant_id = how->tenant,
				       .pinned = locs[0].v,
				       .n_pinned = locs[0].n,
				       .allowed = locs[1].v,
				       .n_allowed = locs[1].n,
				       .excluded = locs[2].v,
				       .n_excluded = locs[2].n };
		rc = vlt__svc_place(s, req, &o, &result, err);
		*engine_done = rc == 0;
	}
	if (rc == 0 && units_after(p, target, how, result, vlt__svc_now_ms(s), units, &n) < 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0 &&
	    (*entry = vlt__svc_replace_entry(p, how->why, NULL, base, units, n)) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc < 0 && *engine_done) {
		vlt__svc_plan_hold(s, p, true, SVC_WHERE, err);
		*engine_done = false;
	}
	vlt__units_free(units, n);
	vlt__place_result_free(result);
	for (int i = 0; i < 3; i++)
		vlt__svc_locs_free(&locs[i]);
	json_decref(req);
	json_decref(gone);
	return rc;
}
