/*
 * op_placements.c - placements: the query, reserve (the fast path when
 * Nova chose the planned host, else a replan through the replace-a-server
 * decision), a reservation's placement taken by a server booted with its
 * hint, and a placement deleted. The "reserve" entry is applied here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

int vlt__apply_reserve(void *svc, const json_t *e, bool decided_here, const char *where,
		       vlt_err_t *err)
{
	vlt_service_t *s = svc;
	vlt_svc_plan_t *p = vlt__svc_entry_plan(s, e, where, err);
	const char *orch = json_string_value(json_object_get(e, "orch"));
	vlt_svc_unit_t *u = p != NULL && orch != NULL ? vlt__state_unit_of(p, orch) : NULL;
	const char *rid = json_string_value(json_object_get(e, "resource_id"));
	(void)decided_here;

	if (u == NULL)
		return p == NULL ? err->code
				 : vlt_err_set(err, VLT_ENOENT, "%s: no unit '%s' in plan %s",
					       where, orch != NULL ? orch : "", p->id);
	char *copy = rid != NULL ? strdup(rid) : NULL;
	if (rid != NULL && copy == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	free(u->resource_id);
	u->resource_id = copy;
	u->reserved = true;
	u->reserved_seq = s->journal.applied + 1; /* the entry being applied */
	vlt__svc_outside_forget(s, rid);
	return 0;
}

/* ---------------------------------------------------------------- placements */

static const char *const own_fields[] = {
	"id", "orchestration_id", "plan_id", "resource_id", "location", "name", "reserved", NULL
};

static bool is_own_field(const char *key)
{
	for (size_t i = 0; own_fields[i] != NULL; i++) {
		if (strcmp(own_fields[i], key) == 0)
			return true;
	}
	return false;
}

/* filter: {key: raw query value}. */
static bool placement_matches(const json_t *pj, const json_t *filter)
{
	const char *k;
	json_t *raw;

	json_object_foreach((json_t *)filter, k, raw) {
		const json_t *field = is_own_field(k)
					      ? json_object_get(pj, k)
					      : json_object_get(json_object_get(pj, "metadata"), k);
		const char *text = json_string_value(raw);
		json_t *decoded = text != NULL ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
		bool ok = field != NULL && ((decoded != NULL && json_equal(field, decoded)) ||
					    (json_is_string(field) && text != NULL &&
					     strcmp(json_string_value(field), text) == 0));

		json_decref(decoded);
		if (!ok)
			return false;
	}
	return true;
}

int vlt__service_placements(vlt_service_t *s, const json_t *filter, json_t **list, vlt_err_t *err)
{
	json_t *arr = json_array();
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	/* upstream lists servers; a query naming one unit finds a volume too */
	bool volumes = filter != NULL && (json_object_get(filter, "id") != NULL ||
					  json_object_get(filter, "orchestration_id") != NULL ||
					  json_object_get(filter, "resource_id") != NULL);

	for (vlt_svc_plan_t *p = s->st.first; arr != NULL && p != NULL; p = p->next) {
		for (size_t i = 0; arr != NULL && i < p->n_units; i++) {
			if (!p->units[i].server && !volumes)
				continue;
			json_t *pj = vlt__placement_json(p, &p->units[i]);

			if (pj == NULL) {
				json_decref(arr);
				arr = NULL;
			} else if (filter == NULL || placement_matches(pj, filter)) {
				json_array_append_new(arr, pj);
			} else {
				json_decref(pj);
			}
		}
	}
	vlt__svc_read_end(s);
	*list = arr != NULL ? json_pack("{s:o}", "placements", arr) : NULL;
	return *list != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static int answer_placement(vlt_service_t *s, const char *id, json_t **answer, vlt_err_t *err)
{
	vlt_svc_plan_t *p = NULL;
	vlt_svc_unit_t *u = vlt__state_unit(&s->st, id, &p);
	json_t *pj = u != NULL ? vlt__placement_json(p, u) : NULL;

	if (u == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Placement not found");
	*answer = pj != NULL ? json_pack("{s:o}", "placement", pj) : NULL;
	return *answer != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_placement_get(vlt_service_t *s, const char *id, json_t **placement, vlt_err_t *err)
{
	return vlt__svc_read_one(s, answer_placement, id, placement, err);
}

struct reserve_ctx {
	const char *id;
	bool replan;
	const json_t *locations;
	const char *resource_id;
	char plan_id[256];
	char pid[64];
	json_t *answer;
};

/* Replan: this server (volume) among the candidate hosts (pools), reserved siblings where they are. */
static int decide_replan(vlt_service_t *s, vlt_svc_plan_t *p, vlt_svc_unit_t *target,
			 struct reserve_ctx *c, json_t **entry, bool *engine_done, vlt_err_t *err)
{
	json_t *known = vlt__svc_known_locations(s, c->locations, target->server);
	int rc = 0;

	if (known == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	else if (json_array_size(known) == 0)
		rc = vlt_err_set(err, VLT_ENOPLACE,
				 "%s %s: none of the candidate %s in $.locations is in the inventory",
				 target->server ? "server" : "volume", target->name,
				 target->server ? "hosts" : "pools");
	if (rc == 0) {
		vlt_svc_replace_t how = { .why = "replan",
					  .tenant = p->tenant,
					  .pin_reserved_only = true,
					  .allowed_hosts = known,
					  .reserve = true,
					  .resource_id = c->resource_id };
		rc = vlt__svc_replace_server(s, p, target, &how, entry, engine_done, err);
	}
	json_decref(known);
	return rc;
}

static int decide_reserve(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			  vlt_err_t *err)
{
	struct reserve_ctx *c = arg;
	vlt_svc_plan_t *p = NULL;
	vlt_svc_unit_t *u = vlt__state_unit(&s->st, c->id, &p);

	if (u == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Placement not found");
	snprintf(c->plan_id, sizeof(c->plan_id), "%s", p->id);
	snprintf(c->pid, sizeof(c->pid), "%s", u->pid);
	int rc = vlt__svc_reservable(s, p, err); /* a reservation's, only while it is active */
	if (rc < 0)
		return rc;
	/* another resource taking a reserved placement would orphan the first one's capacity */
	if (u->reserved && u->resource_id != NULL && c->resource_id != NULL &&
	    strcmp(u->resource_id, c->resource_id) != 0)
		return vlt_err_set(err, VLT_ECONFLICT,
				   "reservation: placement %s is reserved by resource %s; "
				   "$.resource_id names %s",
				   u->orch, u->resource_id, c->resource_id);
	if (!c->replan && u->loc != NULL && vlt__svc_in_list(c->locations, u->loc)) {
		const char *rid = c->resource_id != NULL ? c->resource_id : u->resource_id;

		if (u->reserved && vlt__svc_same_str(u->resource_id, rid))
			return 1; /* reserved already: the same answer again */
		*entry = json_pack("{s:s, s:s, s:s, s:s?}", "op", "reserve", "plan_id", p->id,
				   "orch", u->orch, "resource_id", rid);
		return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	return decide_replan(s, p, u, c, entry, engine_done, err);
}

static void undo_reserve(vlt_service_t *s, void *arg)
{
	struct reserve_ctx *c = arg;

	vlt__svc_rehold(s, c->plan_id);
}

static int done_reserve(vlt_service_t *s, void *arg, vlt_err_t *err)
{
	struct reserve_ctx *c = arg;

	return answer_placement(s, c->pid, &c->answer, err);
}

int vlt__service_placement_reserve(vlt_service_t *s, const char *id, const json_t *body,
				   json_t **placement, vlt_err_t *err)
{
	static const char where[] = "reservation";
	struct reserve_ctx c = { .id = id };
	const char *action = NULL;
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", where);
	if ((rc = vlt__svc_want_string(body, "action", false, where, &action, err)) < 0 ||
	    (rc = vlt__svc_want_strings(body, "locations", true, where, &c.locations, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "resource_id", false, where, &c.resource_id, err)) < 0)
		return rc;
	if (action != NULL && strcmp(action, "reserve") != 0 && strcmp(action, "replan") != 0)
		return vlt_err_set(err, VLT_EINVAL, "Invalid action");
	c.replan = action != NULL && strcmp(action, "replan") == 0;
	rc = vlt__svc_write(s, decide_reserve, undo_reserve, done_reserve, &c, err);
	if (rc == 0) {
		*placement = c.answer;
		vlt__prom_add(&s->metrics.reservations, 1);
	}
	return rc;
}

int vlt__svc_drop_server_entry(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u, const char *why,
			       json_t **entry, vlt_err_t *err)
{
	json_t *drop = json_pack("{s:b}", u->orch, 1);
	json_t *req = drop != NULL ? vlt__request_prune(p->request, drop) : NULL;

	json_decref(drop);
	if (req == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	/* the units left: every unit but this one (all adjacent in memory) */
	vlt_svc_unit_t *rest = calloc(p->n_units, sizeof(*rest));
	size_t n = 0;
	int rc = rest != NULL ? 0 : VLT_ENOMEM;
	for (size_t i = 0; rc == 0 && i < p->n_units; i++) {
		if (&p->units[i] != u &&
		    json_object_get(json_object_get(req, "resources"), p->units[i].orch) != NULL)
			rc = vlt__unit_copy(&rest[n++], &p->units[i]);
	}
	if (rc == 0)
		*entry = vlt__svc_replace_entry(p, why, NULL, req, rest, n);
	vlt__units_free(rest, n);
	json_decref(req);
	return rc == 0 && *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* DELETE /v1/placements/{id}: the server leaves the plan and its request. */
static int decide_placement_delete(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
				   vlt_err_t *err)
{
	vlt_svc_plan_t *p = NULL;
	vlt_svc_unit_t *u = vlt__state_server(&s->st, arg, &p);
	(void)engine_done;

	if (u == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Placement not found");
	return vlt__svc_drop_server_entry(p, u, "placement_delete", entry, err);
}

int vlt__service_placement_delete(vlt_service_t *s, const char *id, vlt_err_t *err)
{
	return vlt__svc_write(s, decide_placement_delete, NULL, NULL, (void *)id, err);
}

/* ---------------------------------------------------------------- a server of a reservation */

struct claim_ctx {
	struct reserve_ctx r; /* first: undo_reserve and done_reserve take it */
	const char *reservation;
	const json_t *flavor;
	char prefix[128]; /* a Blazar reservation's: its servers' orchestration ids "<id>/<k>"; "" any */
};

/*
 * The Valet reservation id names, by plan or stack id (a Blazar lease's
 * id), else the one holding a Blazar reservation of that id (its servers
 * are "<id>/0", "<id>/1", ...: then only those are c's to take).
 */
static vlt_svc_plan_t *claimed_plan(vlt_service_t *s, struct claim_ctx *c)
{
	vlt_svc_plan_t *p = vlt__state_plan(&s->st, c->reservation);
	char first[160];

	c->prefix[0] = '\0';
	if (p != NULL)
		return p;
	snprintf(first, sizeof(first), "%s/0", c->reservation);
	p = vlt__state_plan_of_orch(&s->st, first);
	if (p != NULL)
		snprintf(c->prefix, sizeof(c->prefix), "%s/", c->reservation);
	return p;
}

static const char *const flavor_sizes[] = { "vcpus", "ram_mb", "disk_gb" };

/* Does u's flavor (its request's) match the one Nova boots it with? By name, or an inline one by size. */
static bool flavor_matches(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u, const json_t *want)
{
	const json_t *res = json_object_get(json_object_get(p->request, "resources"), u->orch);
	const json_t *fl = json_object_get(json_object_get(res, "properties"), "flavor");

	if (json_is_string(fl))
		return vlt__svc_same_str(json_string_value(fl),
					 json_string_value(json_object_get(want, "name")));
	if (!json_is_object(fl))
		return false;
	for (size_t i = 0; i < sizeof(flavor_sizes) / sizeof(flavor_sizes[0]); i++) {
		const json_t *a = json_object_get(fl, flavor_sizes[i]);
		const json_t *b = json_object_get(want, flavor_sizes[i]);

		if (!json_is_integer(a) || !json_is_integer(b) ||
		    json_integer_value(a) != json_integer_value(b))
			return false;
	}
	return true;
}

/*
 * The placement a server takes: the one it holds already (a retry), else
 * a free one of its flavor on an offered host, else a free one of its
 * flavor anywhere (then replanned among the offered hosts).
 */
static vlt_svc_unit_t *claimable(vlt_svc_plan_t *p, const struct claim_ctx *c)
{
	vlt_svc_unit_t *elsewhere = NULL;

	for (size_t i = 0; i < p->n_units; i++) {
		vlt_svc_unit_t *u = &p->units[i];

		if (u->server && u->reserved && vlt__svc_same_str(u->resource_id, c->r.resource_id))
			return u;
	}
	for (size_t i = 0; i < p->n_units; i++) {
		vlt_svc_unit_t *u = &p->units[i];

		if (!u->server || u->reserved || u->loc == NULL || !flavor_matches(p, u, c->flavor) ||
		    strncmp(u->orch, c->prefix, strlen(c->prefix)) != 0)
			continue;
		if (vlt__svc_in_list(c->r.locations, u->loc))
			return u;
		if (elsewhere == NULL)
			elsewhere = u;
	}
	return elsewhere;
}

static int decide_claim(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			vlt_err_t *err)
{
	struct claim_ctx *c = arg;
	vlt_svc_plan_t *p = claimed_plan(s, c);

	if (p == NULL || !p->timed)
		return vlt_err_set(err, VLT_ENOENT, "Reservation not found");
	int rc = vlt__svc_reservable(s, p, err);
	if (rc < 0)
		return rc;
	vlt_svc_unit_t *u = claimable(p, c);
	if (u == NULL)
		return vlt_err_set(err, VLT_ECONFLICT,
				   "reservation %s: no placement left for a server of flavor %s "
				   "(each of its servers of that flavor is reserved already)",
				   p->id,
				   json_string_value(json_object_get(c->flavor, "name")) != NULL
					   ? json_string_value(json_object_get(c->flavor, "name"))
					   : "(unnamed)");
	c->r.id = u->pid;
	return decide_reserve(s, &c->r, entry, engine_done, err);
}

static int want_flavor(const json_t *body, const char *where, vlt_err_t *err)
{
	const json_t *fl = json_object_get(body, "flavor");

	if (!json_is_object(fl))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.flavor: expected an object with name, "
						    "vcpus, ram_mb and disk_gb", where);
	for (size_t i = 0; i < sizeof(flavor_sizes) / sizeof(flavor_sizes[0]); i++) {
		const json_t *v = json_object_get(fl, flavor_sizes[i]);

		if (v != NULL && !json_is_integer(v))
			return vlt_err_set(err, VLT_EINVAL, "%s: $.flavor.%s: expected a whole number",
					   where, flavor_sizes[i]);
	}
	return 0;
}

int vlt__service_reservation_claim(vlt_service_t *s, const char *id, const json_t *body,
				   json_t **placement, vlt_err_t *err)
{
	static const char where[] = "reservation server";
	struct claim_ctx c = { .reservation = id };
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", where);
	if ((rc = vlt__svc_want_strings(body, "locations", true, where, &c.r.locations, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "resource_id", true, where, &c.r.resource_id, err)) < 0 ||
	    (rc = want_flavor(body, where, err)) < 0)
		return rc;
	c.flavor = json_object_get(body, "flavor");
	rc = vlt__svc_write(s, decide_claim, undo_reserve, done_reserve, &c, err);
	if (rc == 0) {
		*placement = c.r.answer;
		vlt__prom_add(&s->metrics.reservations, 1);
	}
	return rc;
}
