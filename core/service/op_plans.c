/*
 * op_plans.c - plans: create (idempotent by stack id), update (what did
 * not change stays where it is), migrate (one server elsewhere, through
 * the replace-a-server decision), delete, and the reads. Each write is a
 * decide function run by vlt__svc_write; the entries it writes are
 * applied here too ("plan_create", "plan_delete") or in op_replace.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hot.h"
#include "log.h"
#include "ops.h"

#define STACK_ID_MAX 255

/* ---------------------------------------------------------------- helpers */

static int check_orch_ids(vlt_service_t *s, const json_t *resources, const vlt_svc_plan_t *self,
			  vlt_err_t *err)
{
	const char *k;
	json_t *r;

	json_object_foreach((json_t *)resources, k, r) {
		vlt_svc_plan_t *other = vlt__state_plan_of_orch(&s->st, k);

		if (other != NULL && other != self)
			return vlt_err_set(err, VLT_ECONFLICT,
					   "%s: $.resources.%s: this orchestration id belongs to "
					   "plan %s (stack %s) already",
					   SVC_WHERE, k, other->id, other->stack_id);
	}
	return 0;
}

static const char *resource_name(const json_t *resources, const char *orch)
{
	const char *name =
		json_string_value(json_object_get(json_object_get(resources, orch), "name"));
	return name != NULL ? name : orch;
}

/*
 * Units from the engine's result: every placed unit, with the old plan's
 * placement ids kept for orchestration ids it had. old may be NULL.
 * RET 0 or VLT_ENOMEM; *units owned by the caller.
 */
static int units_from_result(const vlt_place_result_t *result, const json_t *req,
			     const vlt_svc_plan_t *old, int64_t now, vlt_svc_unit_t **units,
			     size_t *n)
{
	const json_t *resources = json_object_get(req, "resources");
	vlt_svc_unit_t *us = calloc(result->n_units + 1, sizeof(*us));
	size_t count = 0;

	if (us == NULL)
		return VLT_ENOMEM;
	for (size_t i = 0; i < result->n_units; i++) {
		const vlt_placed_unit_t *pl = &result->units[i];
		vlt_svc_unit_t *u = &us[count++];
		const vlt_svc_unit_t *was = old != NULL ? vlt__state_unit_of(old, pl->orch) : NULL;
		char pid[40];

		u->server = pl->server;
		u->t_ms = now;
		u->orch = strdup(pl->orch);
		u->name = strdup(resource_name(resources, pl->orch));
		u->type = strdup(pl->type);
		u->loc = strdup(pl->location);
		/* volumes too: the Cinder filter reserves them by placement */
		vlt__svc_uuid(pid);
		u->pid = strdup(was != NULL && was->pid != NULL ? was->pid : pid);
		if (was != NULL && was->resource_id != NULL)
			u->resource_id = strdup(was->resource_id);
		if (u->orch == NULL || u->name == NULL || u->type == NULL || u->loc == NULL ||
		    u->pid == NULL) {
			vlt__units_free(us, count);
			return VLT_ENOMEM;
		}
	}
	*units = us;
	*n = count;
	return 0;
}

/* ---------------------------------------------------------------- entries */

static char *str_member(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? strdup(v) : NULL;
}

int vlt__apply_plan_create(void *svc, const json_t *e, bool decided_here, const char *where,
			   vlt_err_t *err)
{
	vlt_service_t *s = svc;
	const json_t *pj = json_object_get(e, "plan");
	vlt_svc_plan_t *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	p->id = str_member(pj, "id");
	p->stack_id = str_member(pj, "stack_id");
	p->name = str_member(pj, "name");
	p->tenant = str_member(pj, "tenant");
	p->request = vlt__svc_entry_request(e);
	p->ended_ms = json_integer_value(json_object_get(pj, "ended")); /* a snapshot's */
	vlt__svc_plan_interval(p);
	if (p->id == NULL || p->stack_id == NULL || p->name == NULL || p->request == NULL ||
	    vlt__units_from_json(json_object_get(e, "units"), &p->units, &p->n_units) < 0) {
		vlt__state_plan_free(p);
		return vlt_err_set(err, VLT_EINVAL, "%s: a plan_create entry lacks its plan",
				   where);
	}
	char id[256];
	snprintf(id, sizeof(id), "%s", p->id);
	int rc = vlt__state_add_plan(&s->st, p); /* p is the state's, or freed */
	if (rc == VLT_EEXIST)
		return vlt_err_set(err, rc, "%s: plan %s exists already", where, id);
	if (rc < 0)
		return vlt_err_set(err, rc, "out of memory");
	p->held = decided_here;
	for (size_t i = 0; i < p->n_units; i++) { /* an ad-hoc plan's server is born reserved */
		if (p->units[i].reserved) {
			p->units[i].reserved_seq = s->journal.applied + 1; /* the entry being applied */
			vlt__svc_outside_forget(s, p->units[i].resource_id);
		}
	}
	if (!decided_here)
		vlt__svc_plan_hold(s, p, false, where, err);
	return 0;
}

int vlt__apply_plan_delete(void *svc, const json_t *e, bool decided_here, const char *where,
			   vlt_err_t *err)
{
	vlt_service_t *s = svc;
	vlt_svc_plan_t *p = vlt__svc_entry_plan(s, e, where, err);
	(void)decided_here;

	if (p == NULL)
		return err->code;
	vlt__engine_release(s->engine, p->id);
	vlt__state_remove_plan(&s->st, p);
	return 0;
}

/* ---------------------------------------------------------------- create */

struct create_ctx {
	const json_t *body;
	const char *tenant;
	char plan_id[40];
	const char *stack_id;
	bool empty; /* no server: answered {"plan": {}} */
	vlt_svc_answer_fn answer_fn; /* the document of the plan by stack id */
	bool need_server;	     /* nothing to place is a bad request (a reservation's) */
	json_t *answer;
};

/* $.resources of a create or an update: an object of objects keyed by orchestration id. */
static int validate_resources(const json_t *body, unsigned max, vlt_err_t *err)
{
	const json_t *res = json_object_get(body, "resources");
	const char *k;
	json_t *r;

	if (res == NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.resources: missing (expected an object keyed by "
				   "orchestration id)",
				   SVC_WHERE);
	if (!json_is_object(res))
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.resources: expected an object keyed by orchestration id",
				   SVC_WHERE);
	if (json_object_size(res) > max)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.resources: %zu resources; at most %u are accepted in one "
				   "plan (service.max_resources)",
				   SVC_WHERE, json_object_size(res), max);
	json_object_foreach((json_t *)res, k, r) {
		if (k[0] == '\0' || strlen(k) > STACK_ID_MAX)
			return vlt_err_set(err, VLT_EINVAL,
					   "%s: $.resources: an orchestration id must be 1 to %d "
					   "bytes",
					   SVC_WHERE, STACK_ID_MAX);
		if (!json_is_object(r))
			return vlt_err_set(err, VLT_EINVAL,
					   "%s: $.resources.%s: expected an object", SVC_WHERE, k);
	}
	return 0;
}

static int validate_create(const json_t *body, unsigned max, const char **stack_id,
			   vlt_err_t *err)
{
	const char *name = NULL, *tenant = NULL, *timeout = NULL;
	const json_t *locs = NULL;
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", SVC_WHERE);
	if ((rc = vlt__svc_want_string(body, "plan_name", true, SVC_WHERE, &name, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "stack_id", true, SVC_WHERE, stack_id, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "tenant_id", false, SVC_WHERE, &tenant, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "timeout", false, SVC_WHERE, &timeout, err)) < 0 ||
	    (rc = vlt__svc_want_strings(body, "locations", false, SVC_WHERE, &locs, err)) < 0)
		return rc;
	if ((*stack_id)[0] == '\0' || strlen(*stack_id) > STACK_ID_MAX)
		return vlt_err_set(err, VLT_EINVAL, "%s: $.stack_id: must be 1 to %d bytes",
				   SVC_WHERE, STACK_ID_MAX);
	return validate_resources(body, max, err);
}

/*
 * A server's own "locations" (hosts it alone may go to: a Blazar host
 * reservation pins one server to each of its hosts, docs/blazar.md), as
 * allowed locations; a host the inventory lacks is VLT_ENOPLACE naming it.
 */
static int server_allowed(vlt_service_t *s, const char *orch, const json_t *r,
			  vlt_svc_locs_t *allowed, vlt_err_t *err)
{
	const json_t *locs = json_object_get(r, "locations");
	json_t *known = vlt__svc_known_hosts(s, locs);
	int rc = known != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	if (rc == 0 && json_array_size(known) < json_array_size(locs))
		rc = vlt_err_set(err, VLT_ENOPLACE,
				 "%s: $.resources.%s.locations: a host is not in the inventory",
				 SVC_WHERE, orch);
	else if (rc == 0 && json_array_size(known) == 0)
		rc = vlt_err_set(err, VLT_EINVAL,
				 "%s: $.resources.%s.locations: expected a list of host names",
				 SVC_WHERE, orch);
	if (rc == 0)
		rc = vlt__svc_locs_add(s, allowed, orch, true, known, "allowed locations", err);
	json_decref(known);
	return rc;
}

/*
 * An ad-hoc plan's locations: hosts for its servers, pools for its volumes
 * (the Cinder filter's plan of one volume), names the inventory lacks left
 * out; none known for a server is VLT_ENOPLACE, a volume with none known
 * may go anywhere. A server's own locations come before the plan's.
 */
static int adhoc_allowed(vlt_service_t *s, const json_t *body, vlt_svc_locs_t *allowed,
			 vlt_err_t *err)
{
	const json_t *locs = json_object_get(body, "locations");
	json_t *known[2]; /* [0] pools, [1] hosts */
	const char *k;
	json_t *r;
	int rc = 0;

	json_object_foreach(json_object_get(body, "resources"), k, r) {
		if (rc == 0 && json_is_array(json_object_get(r, "locations")) &&
		    vlt__request_is_server_type(json_string_value(json_object_get(r, "type"))))
			rc = server_allowed(s, k, r, allowed, err);
	}
	if (rc < 0 || !json_is_array(locs))
		return rc;
	known[0] = vlt__svc_known_locations(s, locs, false);
	known[1] = vlt__svc_known_hosts(s, locs);
	if (known[0] == NULL || known[1] == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_object_foreach(json_object_get(body, "resources"), k, r) {
		const char *type = json_string_value(json_object_get(r, "type"));
		bool server = vlt__request_is_server_type(type);

		if (rc < 0 || (!server && vlt__request_kind(type) != VLT_RK_VOLUME) ||
		    (server && json_is_array(json_object_get(r, "locations"))))
			continue;
		if (json_array_size(known[server]) > 0)
			rc = vlt__svc_locs_add(s, allowed, k, server, known[server],
					       "allowed locations", err);
		else if (server)
			rc = vlt_err_set(err, VLT_ENOPLACE,
					 "%s: $.locations: none of the candidate hosts is in the "
					 "inventory",
					 SVC_WHERE);
	}
	json_decref(known[0]);
	json_decref(known[1]);
	return rc;
}

static int decide_create(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			 vlt_err_t *err)
{
	struct create_ctx *c = arg;
	const char *tenant = c->tenant;
	vlt_place_result_t *result = NULL;
	vlt_svc_unit_t *units = NULL;
	size_t n = 0;

	if (vlt__strmap_get(&s->st.by_stack, c->stack_id) != NULL)
		return 1; /* a retry, or the same request racing: the plan there is the answer */
	if (!vlt__request_has_server(json_object_get(c->body, "resources")) &&
	    !json_is_array(json_object_get(c->body, "locations"))) {
		/* upstream: nothing to place, nothing stored; an ad-hoc plan (with
		   locations) of volumes alone is the Cinder filter's, and kept. What
		   it says is checked all the same: a bad request is no less bad. */
		int rc = vlt__engine_check(s->engine, c->body, SVC_WHERE, err);
		c->empty = true;
		return rc < 0 ? rc : 1;
	}
	int rc = check_orch_ids(s, json_object_get(c->body, "resources"), NULL, err);
	if (rc < 0)
		return rc;
	if (tenant == NULL)
		tenant = json_string_value(json_object_get(c->body, "tenant_id"));
	vlt_svc_locs_t allowed = { 0 };
	rc = adhoc_allowed(s, c->body, &allowed, err);
	vlt__svc_uuid(c->plan_id);
	vlt_place_opts_t o = { .plan_id = c->plan_id,
			       .tenant_id = tenant,
			       .allowed = allowed.v,
			       .n_allowed = allowed.n };
	if (rc == 0)
		rc = vlt__svc_place(s, c->body, &o, &result, err);
	vlt__svc_locs_free(&allowed);
	if (rc < 0)
		return rc;
	*engine_done = true;
	rc = units_from_result(result, c->body, NULL, vlt__svc_now_ms(s), &units, &n);
	vlt__place_result_free(result);
	json_t *text = rc == 0 ? vlt__svc_request_text(c->body) : NULL;
	json_t *uj = text != NULL ? vlt__units_json(units, n) : NULL;
	vlt__units_free(units, n);
	if (uj != NULL)
		*entry = json_pack("{s:s, s:{s:s, s:s, s:s, s:s?}, s:o, s:o}", "op", "plan_create",
				   "plan", "id", c->plan_id, "stack_id", c->stack_id, "name",
				   json_string_value(json_object_get(c->body, "plan_name")),
				   "tenant", tenant, "request", text, "units", uj);
	else
		json_decref(text);
	if (uj == NULL || *entry == NULL) {
		vlt__engine_release(s->engine, c->plan_id);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	return 0;
}

static void undo_create(vlt_service_t *s, void *arg)
{
	struct create_ctx *c = arg;

	vlt__engine_release(s->engine, c->plan_id);
}

static int answer_plan(vlt_service_t *s, const char *id, json_t **answer, vlt_err_t *err)
{
	vlt_svc_plan_t *p = vlt__state_plan(&s->st, id);
	json_t *pj = p != NULL ? vlt__plan_json(p) : NULL;

	if (p == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Plan not found");
	*answer = pj != NULL ? json_pack("{s:o}", "plan", pj) : NULL;
	return *answer != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static int done_create(vlt_service_t *s, void *arg, vlt_err_t *err)
{
	struct create_ctx *c = arg;

	if (c->empty && c->need_server)
		return vlt_err_set(err, VLT_EINVAL, "%s: $.resources: no server to place",
				   SVC_WHERE);
	if (c->empty) {
		c->answer = json_pack("{s:{}}", "plan");
		return c->answer != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	return c->answer_fn(s, c->stack_id, &c->answer, err);
}

/*
 * The template form (docs/heat-templates.md): `template` with its files,
 * environment and parameters in place of `resources`, expanded by the
 * engine's hot.c into the resources form, which is what is stored.
 * *expanded is NULL when body has no template (use body).
 */
static int expand_template(const json_t *body, json_t **expanded, vlt_err_t *err)
{
	static const char *const interval[] = { "start", "end" };

	*expanded = NULL;
	if (!json_is_object(body) || json_object_get(body, "template") == NULL)
		return 0;
	int rc = vlt__hot_request(body, SVC_WHERE, expanded, err);
	/* a reservation's interval is the request's, whatever form it came in */
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		json_t *v = json_object_get(body, interval[i]);

		if (v != NULL && json_object_get(*expanded, interval[i]) == NULL)
			json_object_set(*expanded, interval[i], v);
	}
	return rc;
}

int vlt__service_plan_create(vlt_service_t *s, const json_t *body, const char *tenant,
			     json_t **plan, vlt_err_t *err)
{
	return vlt__svc_plan_create_as(s, body, tenant, NULL, plan, err);
}

int vlt__svc_plan_create_as(vlt_service_t *s, const json_t *body, const char *tenant,
			    vlt_svc_answer_fn answer, json_t **plan, vlt_err_t *err)
{
	json_t *lower = NULL, *expanded = NULL;
	int rc = expand_template(body, &expanded, err);

	if (expanded != NULL)
		body = expanded;
	if (rc == 0)
		rc = vlt__request_lowercase(body, SVC_WHERE, &lower, err);
	struct create_ctx c = { .body = lower != NULL ? lower : body,
				.tenant = tenant,
				.answer_fn = answer != NULL ? answer : answer_plan,
				.need_server = answer != NULL };

	if (rc == 0)
		rc = validate_create(c.body, s->opts.max_resources, &c.stack_id, err);
	if (rc == 0)
		rc = vlt__svc_write(s, decide_create, undo_create, done_create, &c, err);
	if (rc == 0) {
		*plan = c.answer;
		vlt__prom_add(&s->metrics.plans_created, 1);
	}
	json_decref(lower);
	json_decref(expanded);
	return rc;
}

/* ---------------------------------------------------------------- read */

int vlt__service_plans(vlt_service_t *s, json_t **plans, vlt_err_t *err)
{
	json_t *arr = json_array();
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	for (vlt_svc_plan_t *p = s->st.first; arr != NULL && p != NULL; p = p->next) {
		if (json_array_append_new(arr, vlt__plan_json(p)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	vlt__svc_read_end(s);
	*plans = arr != NULL ? json_pack("{s:o}", "plans", arr) : NULL;
	return *plans != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_plan_get(vlt_service_t *s, const char *id, json_t **plan, vlt_err_t *err)
{
	return vlt__svc_read_one(s, answer_plan, id, plan, err);
}

/* ---------------------------------------------------------------- update, migrate */

struct update_ctx {
	const char *id;
	const json_t *body;
	const char *tenant;
	const char *action;
	const char *template_stack; /* the template form's stack_id, NULL otherwise */
	/* PUT /v1/reservations: a reservation's only; what the body omits (its stack, a
	   bound) is the reservation's; what no longer fits where it is may move */
	bool reservation;
	vlt_svc_answer_fn answer_fn; /* the document of the plan by id */
	char plan_id[256];
	json_t *answer;
};

/* Is the new resource r the same unit as old unit u (type, flavor or size)? */
static bool unchanged(const vlt_svc_unit_t *u, const json_t *old_r, const json_t *new_r)
{
	const char *type = json_string_value(json_object_get(new_r, "type"));
	const json_t *op = json_object_get(old_r, "properties");
	const json_t *np = json_object_get(new_r, "properties");

	if (type == NULL || strcmp(type, u->type) != 0)
		return false;
	if (u->server)
		return json_equal(json_object_get(op, "flavor"), json_object_get(np, "flavor"));
	return json_equal(json_object_get(op, "size"), json_object_get(np, "size")) &&
	       json_equal(json_object_get(op, "volume_type"), json_object_get(np, "volume_type"));
}

static json_t *update_request(const vlt_svc_plan_t *p, const json_t *body)
{
	/* a reservation's interval, and a Blazar lease's record (docs/blazar.md) */
	static const char *const interval[] = { "start", "end", "lease" };
	const char *name = json_string_value(json_object_get(body, "plan_name"));
	json_t *req = json_pack("{s:s, s:s, s:O}", "plan_name", name != NULL ? name : p->name,
				"stack_id", p->stack_id, "resources",
				json_object_get(body, "resources"));

	/* each the body's, else the plan's (an update keeps it) */
	for (size_t i = 0; req != NULL && i < 3; i++) {
		json_t *v = json_object_get(body, interval[i]);

		if (v == NULL)
			v = json_object_get(p->request, interval[i]);
		if (v != NULL && json_object_set(req, interval[i], v) < 0) {
			json_decref(req);
			req = NULL;
		}
	}
	return req;
}

static int validate_update(const json_t *body, unsigned max, vlt_err_t *err)
{
	const char *name = NULL;
	int rc = vlt__svc_want_string(body, "plan_name", false, SVC_WHERE, &name, err);

	return rc < 0 ? rc : validate_resources(body, max, err);
}

/*
 * {orch: location} of p's units that stay where they are: placed, and the
 * same unit in the new resources; with reserved_only, only those Nova
 * reserved too.
 */
static void pin_unchanged(vlt_service_t *s, const vlt_svc_plan_t *p, const json_t *new_res,
			  bool reserved_only, json_t *pinned)
{
	const json_t *old_res = json_object_get(p->request, "resources");

	json_object_clear(pinned);
	for (size_t i = 0; i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];
		const json_t *nr = json_object_get(new_res, u->orch);

		if (vlt__svc_unit_placed(s, u) && nr != NULL && (u->reserved || !reserved_only) &&
		    unchanged(u, json_object_get(old_res, u->orch), nr))
			json_object_set_new(pinned, u->orch, json_string(u->loc));
	}
}

/* Place req in p's stead with the pinned units ({orch: location}) kept. */
static int place_pinned(vlt_service_t *s, vlt_svc_plan_t *p, const struct update_ctx *c,
			const json_t *req, const json_t *pinned, vlt_place_result_t **result,
			vlt_err_t *err)
{
	vlt_svc_locs_t locs = { 0 };
	const char *orch;
	json_t *loc;
	int rc = 0;

	json_object_foreach((json_t *)pinned, orch, loc) {
		if (rc == 0)
			rc = vlt__svc_locs_add(s, &locs, orch, vlt__state_unit_of(p, orch)->server,
					       loc, "pinned location", err);
	}
	vlt_place_opts_t o = { .plan_id = p->id,
			       .replaces = p->held ? p->id : NULL,
			       .tenant_id = c->tenant != NULL ? c->tenant : p->tenant,
			       .pinned = locs.v,
			       .n_pinned = locs.n };
	if (rc == 0)
		rc = vlt__svc_place(s, req, &o, result, err);
	vlt__svc_locs_free(&locs);
	return rc;
}

/* Update: keep what did not change where it is, place the rest. */
static int decide_update(vlt_service_t *s, vlt_svc_plan_t *p, struct update_ctx *c, json_t **entry,
			 bool *engine_done, vlt_err_t *err)
{
	const json_t *new_res = json_object_get(c->body, "resources");
	json_t *req = update_request(p, c->body);
	json_t *pinned = json_object();
	vlt_place_result_t *result = NULL;
	vlt_svc_unit_t *units = NULL;
	size_t n = 0;
	int rc = check_orch_ids(s, new_res, p, err);

	if (req == NULL || pinned == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		pin_unchanged(s, p, new_res, false, pinned);
	if (rc == 0 && !vlt__request_has_server(new_res))
		rc = vlt__engine_check(s->engine, req, SVC_WHERE, err); /* nothing to place */
	if (rc == 0 && vlt__request_has_server(new_res)) {
		rc = place_pinned(s, p, c, req, pinned, &result, err);
		/* a reservation moved or grown: what no longer fits where it was moves too,
		   only the servers Nova reserved stay */
		if (rc == VLT_ENOPLACE && c->reservation) {
			pin_unchanged(s, p, new_res, true, pinned);
			rc = place_pinned(s, p, c, req, pinned, &result, err);
		}
		if (rc == 0) {
			*engine_done = true;
			rc = units_from_result(result, req, p, vlt__svc_now_ms(s), &units, &n);
		}
	}
	/* pinned units keep their reservation and their hold's clock */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const vlt_svc_unit_t *was = vlt__state_unit_of(p, units[i].orch);

		if (was != NULL && json_object_get(pinned, units[i].orch) != NULL) {
			units[i].reserved = was->reserved;
			units[i].t_ms = was->t_ms;
		}
	}
	if (rc == 0) {
		*entry = vlt__svc_replace_entry(p, "update",
				       json_string_value(json_object_get(req, "plan_name")), req,
				       units, n);
		if (*entry == NULL)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (rc < 0 && *engine_done) {
		vlt__svc_plan_hold(s, p, true, SVC_WHERE, err);
		*engine_done = false;
	}
	vlt__units_free(units, n);
	vlt__place_result_free(result);
	json_decref(pinned);
	json_decref(req);
	return rc;
}

static vlt_svc_unit_t *server_by_any_id(const vlt_svc_plan_t *p, const char *id)
{
	for (size_t i = 0; i < p->n_units; i++) {
		vlt_svc_unit_t *u = &p->units[i];

		if (u->server && (strcmp(u->orch, id) == 0 || vlt__svc_same_str(u->resource_id, id) ||
				  vlt__svc_same_str(u->pid, id)))
			return u;
	}
	return NULL;
}

/* [its host, the known excluded_hosts...]: where a migrated server may not go. */
static json_t *migrate_excluded(vlt_service_t *s, const vlt_svc_unit_t *target,
				const json_t *excl_hosts)
{
	json_t *away = json_array();

	if (away != NULL && vlt__svc_unit_placed(s, target))
		json_array_append_new(away, json_string(target->loc));
	if (away != NULL && excl_hosts != NULL) {
		json_t *known = vlt__svc_known_hosts(s, excl_hosts);

		json_array_extend(away, known);
		json_decref(known);
	}
	return away;
}

/* Migrate: one server elsewhere, away from its host and excluded_hosts; Nova reserves it anew. */
static int decide_migrate(vlt_service_t *s, vlt_svc_plan_t *p, struct update_ctx *c, json_t **entry,
			  bool *engine_done, vlt_err_t *err)
{
	const json_t *res = json_object_get(c->body, "resources");
	const json_t *excl_hosts = NULL;
	int rc = vlt__svc_want_strings(c->body, "excluded_hosts", false, SVC_WHERE, &excl_hosts,
				       err);

	if (rc < 0)
		return rc;
	if (!json_is_array(res) || json_array_size(res) != 1 ||
	    !json_is_string(json_array_get(res, 0)))
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.resources: action migrate takes a list of exactly one "
				   "resource id",
				   SVC_WHERE);
	const char *id = json_string_value(json_array_get(res, 0));
	vlt_svc_unit_t *target = server_by_any_id(p, id);
	if (target == NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.resources[0]: '%s' is not a server of plan %s", SVC_WHERE,
				   id, p->id);
	json_t *excluded = migrate_excluded(s, target, excl_hosts);
	if (excluded == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt_svc_replace_t how = { .why = "migrate",
				  .tenant = c->tenant != NULL ? c->tenant : p->tenant,
				  .excluded_hosts = excluded };
	rc = vlt__svc_replace_server(s, p, target, &how, entry, engine_done, err);
	json_decref(excluded);
	return rc;
}

/*
 * PUT /v1/reservations/{id}: the body's resources, else the reservation's
 * stack, over the body's bounds, else its own; refused once it ended.
 */
static int decide_reservation_update(vlt_service_t *s, vlt_svc_plan_t *p, struct update_ctx *c,
				     json_t **entry, bool *engine_done, vlt_err_t *err)
{
	const json_t *body = c->body;
	int rc = vlt__svc_reservation_changeable(s, p, err);

	if (rc < 0)
		return rc;
	json_t *merged = json_copy((json_t *)body);
	if (merged == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (json_object_get(body, "resources") == NULL)
		json_object_set(merged, "resources", json_object_get(p->request, "resources"));
	rc = validate_update(merged, s->opts.max_resources, err);
	c->body = merged;
	if (rc == 0)
		rc = decide_update(s, p, c, entry, engine_done, err);
	c->body = body;
	json_decref(merged);
	return rc;
}

static int decide_plan_update(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			      vlt_err_t *err)
{
	struct update_ctx *c = arg;
	vlt_svc_plan_t *p = vlt__state_plan(&s->st, c->id);

	if (p == NULL || (c->reservation && !p->timed))
		return vlt_err_set(err, VLT_ENOENT,
				   c->reservation ? "Reservation not found" : "Plan not found");
	snprintf(c->plan_id, sizeof(c->plan_id), "%s", p->id);
	if (c->reservation)
		return decide_reservation_update(s, p, c, entry, engine_done, err);
	/* a template's ids start with its stack id: another one would replace every unit */
	if (c->template_stack != NULL && strcmp(c->template_stack, p->stack_id) != 0)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.stack_id: '%s' is not the stack of plan %s (%s)",
				   SVC_WHERE, c->template_stack, p->id, p->stack_id);
	if (strcmp(c->action, "migrate") == 0)
		return decide_migrate(s, p, c, entry, engine_done, err);
	return decide_update(s, p, c, entry, engine_done, err);
}

/* Take back a decision that lost the race: hold what the record says again. */
static void undo_plan_update(vlt_service_t *s, void *arg)
{
	struct update_ctx *c = arg;

	vlt__svc_rehold(s, c->plan_id);
}

static int done_plan_update(vlt_service_t *s, void *arg, vlt_err_t *err)
{
	struct update_ctx *c = arg;
	vlt_svc_answer_fn answer = c->answer_fn != NULL ? c->answer_fn : answer_plan;

	return answer(s, c->plan_id[0] != '\0' ? c->plan_id : c->id, &c->answer, err);
}

int vlt__svc_reservation_update_as(vlt_service_t *s, const char *id, const json_t *body,
				   const char *tenant, vlt_svc_answer_fn answer, json_t **doc,
				   vlt_err_t *err)
{
	struct update_ctx c = { .id = id,
				.body = body,
				.tenant = tenant,
				.action = "update",
				.reservation = true,
				.answer_fn = answer };
	int rc = vlt__svc_write(s, decide_plan_update, undo_plan_update, done_plan_update, &c,
				err);

	if (rc == 0)
		*doc = c.answer;
	return rc;
}

int vlt__service_plan_update(vlt_service_t *s, const char *id, const json_t *body,
			     const char *tenant, json_t **plan, vlt_err_t *err)
{
	struct update_ctx c = { .id = id, .body = body, .tenant = tenant };
	json_t *lower = NULL, *expanded = NULL;
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", SVC_WHERE);
	rc = vlt__svc_want_string(body, "action", true, SVC_WHERE, &c.action, err);
	if (rc < 0)
		return rc;
	if (strcmp(c.action, "update") != 0 && strcmp(c.action, "migrate") != 0)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.action: '%s' is not an action (update or migrate)",
				   SVC_WHERE, c.action);
	if (strcmp(c.action, "update") == 0 && (rc = expand_template(body, &expanded, err)) == 0 &&
	    expanded != NULL) {
		c.body = expanded;
		c.template_stack = json_string_value(json_object_get(expanded, "stack_id"));
	}
	if (rc == 0 && strcmp(c.action, "update") == 0 &&
	    (rc = vlt__request_lowercase(c.body, SVC_WHERE, &lower, err)) == 0) {
		if (lower != NULL)
			c.body = lower;
		rc = validate_update(c.body, s->opts.max_resources, err);
	}
	if (rc == 0)
		rc = vlt__svc_write(s, decide_plan_update, undo_plan_update, done_plan_update, &c,
				    err);
	if (rc == 0)
		*plan = c.answer;
	json_decref(lower);
	json_decref(expanded);
	return rc;
}

/* ---------------------------------------------------------------- delete */

static int decide_plan_delete(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			      vlt_err_t *err)
{
	vlt_svc_plan_t *p = vlt__state_plan(&s->st, arg);
	(void)engine_done;

	if (p == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Plan not found");
	*entry = json_pack("{s:s, s:s}", "op", "plan_delete", "plan_id", p->id);
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_plan_delete(vlt_service_t *s, const char *id, vlt_err_t *err)
{
	int rc = vlt__svc_write(s, decide_plan_delete, NULL, NULL, (void *)id, err);

	if (rc == 0)
		vlt__prom_add(&s->metrics.plans_deleted, 1);
	return rc;
}

