/*
 * engine.c - from a plan request to a placement: parse the stack, let each
 * group's policy validate it, run the solver in a cycle, and hold what it
 * placed in the ledger. One placement at a time per engine (a mutex), so
 * two plans never take the same last capacity.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cycle.h"
#include "dc.h"
#include "engine.h"
#include "ledger.h"
#include "log.h"
#include "unit_limits.h"

struct vlt_engine {
	vlt_modules_t *mods;
	vlt_dc_t *dc;
	vlt_ledger_t *ledger;
	vlt_group_registry_t groups;
	/* Groups deleted while plans still named them: those plans' holds are
	 * restored with them (vlt__engine_hold); new plans cannot name them. */
	vlt_group_registry_t retired;
	pthread_mutex_t lock;
};

static int collect_sources(vlt_modules_t *mods, vlt_dc_t **dc, vlt_err_t *err)
{
	vlt_dc_builder_t *b = vlt__dc_builder_new();
	int rc = VLT_OK;

	if (b == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "data center: out of memory");
	for (size_t i = 0; i < mods->n_sources && rc == VLT_OK; i++) {
		vlt_module_t *m = &mods->sources[i];
		vlt_err_t e = {0};
		rc = m->ops.source->collect(m->state, b, &e);
		if (rc < 0)
			vlt_err_set(err, rc, "source %s: %s", m->name,
				    e.msg[0] ? e.msg : vlt_strerror(rc));
	}
	if (rc == VLT_OK)
		rc = vlt__dc_build(b, dc, err);
	vlt__dc_builder_free(b);
	return rc;
}

struct vlt_snapshot {
	vlt_dc_t *dc;
};

void vlt__snapshot_free(vlt_snapshot_t *snap)
{
	if (snap == NULL)
		return;
	vlt__dc_free(snap->dc);
	free(snap);
}

const vlt_dc_t *vlt__snapshot_dc(const vlt_snapshot_t *snap)
{
	return snap->dc;
}

int vlt__engine_collect(vlt_engine_t *e, vlt_snapshot_t **out, vlt_err_t *err)
{
	vlt_snapshot_t *snap = calloc(1, sizeof(*snap));
	int rc;

	if (snap == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "engine: out of memory");
	rc = collect_sources(e->mods, &snap->dc, err);
	if (rc < 0) {
		vlt__snapshot_free(snap);
		return rc;
	}
	*out = snap;
	return VLT_OK;
}

/* dc in use with an empty ledger, Valet's own consumers credited; takes dc. */
static int use_dc(vlt_engine_t *e, vlt_dc_t *dc, const char *const *own, size_t n_own,
		  vlt_err_t *err)
{
	vlt_ledger_t *ledger = NULL;

	pthread_mutex_lock(&e->lock); /* dc may be the one in use */
	vlt__dc_credit(dc, own, n_own);
	int rc = vlt__ledger_new(&ledger, dc, (uint32_t)e->mods->n_policies, err);
	if (rc < 0) {
		pthread_mutex_unlock(&e->lock);
		return rc;
	}
	vlt__ledger_free(e->ledger);
	if (e->dc != dc)
		vlt__dc_free(e->dc);
	e->dc = dc;
	e->ledger = ledger;
	pthread_mutex_unlock(&e->lock);
	return VLT_OK;
}

int vlt__engine_swap(vlt_engine_t *e, vlt_snapshot_t *snap, const char *const *own, size_t n_own,
		     vlt_err_t *err)
{
	int rc = use_dc(e, snap->dc, own, n_own, err);

	if (rc < 0) {
		vlt__snapshot_free(snap);
		return rc;
	}
	free(snap);
	return VLT_OK;
}

int vlt__engine_rebase(vlt_engine_t *e, const char *const *own, size_t n_own, vlt_err_t *err)
{
	return use_dc(e, e->dc, own, n_own, err);
}

int vlt__engine_new(vlt_engine_t **out, vlt_modules_t *mods, vlt_err_t *err)
{
	vlt_engine_t *e = calloc(1, sizeof(*e));
	vlt_snapshot_t *snap = NULL;
	int rc;

	if (e == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "engine: out of memory");
	e->mods = mods;
	pthread_mutex_init(&e->lock, NULL);
	rc = vlt__engine_collect(e, &snap, err);
	if (rc == VLT_OK)
		rc = vlt__engine_swap(e, snap, NULL, 0, err);
	if (rc < 0) {
		vlt__engine_free(e);
		return rc;
	}
	*out = e;
	return VLT_OK;
}

void vlt__engine_free(vlt_engine_t *e)
{
	if (e == NULL)
		return;
	vlt__ledger_free(e->ledger);
	vlt__dc_free(e->dc);
	vlt__groups_free(&e->groups);
	vlt__groups_free(&e->retired);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

const vlt_dc_t *vlt__engine_dc(const vlt_engine_t *e)
{
	return e->dc;
}

int vlt__engine_inspect(vlt_engine_t *e, vlt_engine_inspect_fn fn, void *ctx, vlt_err_t *err)
{
	pthread_mutex_lock(&e->lock);
	vlt_engine_view_t v = { .dc = e->dc, .ledger = e->ledger, .mods = e->mods };
	int rc = fn(&v, ctx, err);
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* doc's "retired" list (may be absent) as a registry of its own. */
static int retired_from_json(vlt_group_registry_t *reg, const json_t *doc, const char *where,
			     vlt_err_t *err)
{
	json_t *list = json_object_get(doc, "retired");
	json_t *as_doc;
	int rc;

	reg->groups = NULL;
	reg->n_groups = 0;
	if (list == NULL)
		return VLT_OK;
	if ((as_doc = json_pack("{s:O}", "groups", list)) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "%s: out of memory", where);
	rc = vlt__groups_from_json(reg, as_doc, where, err);
	json_decref(as_doc);
	return rc;
}

int vlt__engine_set_groups(vlt_engine_t *e, const json_t *doc, const char *where,
			   vlt_err_t *err)
{
	vlt_group_registry_t reg = {0}, retired = {0};
	int rc = vlt__groups_from_json(&reg, doc, where, err);

	if (rc == 0 && (rc = retired_from_json(&retired, doc, where, err)) < 0)
		vlt__groups_free(&reg);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&e->lock);
	vlt__groups_free(&e->groups);
	vlt__groups_free(&e->retired);
	e->groups = reg;
	e->retired = retired;
	pthread_mutex_unlock(&e->lock);
	return VLT_OK;
}

static uint32_t policy_for_type(void *arg, const char *type)
{
	vlt_modules_t *mods = arg;
	vlt_module_t *m = vlt__modules_find(mods, VLT_KIND_POLICY, type);

	return m == NULL ? VLT_NONE : (uint32_t)(m - mods->policies);
}

/* Each group is checked by the policy of its type: nesting, names, tenants. */
static int validate_groups(vlt_engine_t *e, const vlt_stack_t *st, vlt_err_t *err)
{
	for (uint32_t g = 0; g < st->n_groups; g++) {
		const vlt_group_t *grp = &st->groups[g];
		if (grp->policy >= e->mods->n_policies)
			return vlt_err_set(err, VLT_EINVAL,
					   "group %s: type '%s' is handled by no loaded policy",
					   grp->ref, grp->type);
		vlt_module_t *m = &e->mods->policies[grp->policy];
		int rc = m->ops.policy->validate(m->state, st, g, err);
		if (rc < 0)
			return rc;
	}
	return VLT_OK;
}

static vlt_module_t *pick_solver(vlt_engine_t *e, const char *name, vlt_err_t *err)
{
	if (e->mods->n_solvers == 0) {
		vlt_err_set(err, VLT_ECONFIG, "no solver is loaded");
		return NULL;
	}
	if (name == NULL)
		return &e->mods->solvers[0];
	vlt_module_t *m = vlt__modules_find(e->mods, VLT_KIND_SOLVER, name);
	if (m == NULL)
		vlt_err_set(err, VLT_ECONFIG, "solver '%s' is not loaded", name);
	return m;
}

/* A plan id not yet in the ledger: the stack id, else "<stack id>#N". */
static void fresh_plan_id(const vlt_ledger_t *l, const char *stack_id, char *buf, size_t n)
{
	snprintf(buf, n, "%s", stack_id);
	for (unsigned i = 2; vlt__ledger_has_plan(l, buf); i++)
		snprintf(buf, n, "%s#%u", stack_id, i);
}

/* The unit with this orchestration id (or name), VLT_NONE if absent. */
static uint32_t find_unit(const vlt_stack_t *st, const char *ref)
{
	for (uint32_t u = 0; u < st->n_units; u++)
		if (strcmp(st->units[u].orch_id, ref) == 0)
			return u;
	for (uint32_t u = 0; u < st->n_units; u++)
		if (st->units[u].name != NULL && strcmp(st->units[u].name, ref) == 0)
			return u;
	return VLT_NONE;
}

/* A host or pool name as an index for a unit of this kind; VLT_NONE if unknown. */
static uint32_t find_location(const vlt_dc_t *dc, vlt_unit_kind_t kind, const char *name)
{
	return kind == VLT_UNIT_SERVER ? vlt__dc_find_host(dc, name) : vlt__dc_find_pool(dc, name);
}

/*
 * Apply restrictions (one location each when pinned) to the cycle. Units
 * the stack does not have are skipped: a pin of a removed resource means
 * nothing.
 */
static int restrict_units(vlt_cycle_t *cy, const vlt_stack_t *st, const vlt_dc_t *dc,
			  const vlt_unit_locs_t *r, size_t n, bool allow, const char *what,
			  vlt_err_t *err)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t u = find_unit(st, r[i].orch);
		if (u == VLT_NONE)
			continue;
		bool server = st->units[u].kind == VLT_UNIT_SERVER;
		uint32_t limit = server ? dc->n_hosts : dc->n_pools;
		for (uint32_t k = 0; k < r[i].n_locs; k++) {
			if (r[i].locs[k] >= limit)
				return vlt_err_set(err, VLT_EINVAL,
						   "%s of %s: unknown %s (index %u of %u)", what,
						   r[i].orch, server ? "host" : "pool",
						   (unsigned)r[i].locs[k], (unsigned)limit);
		}
		int rc = allow ? vlt__cycle_allow(cy, u, r[i].locs, r[i].n_locs)
			       : vlt__cycle_exclude(cy, u, r[i].locs, r[i].n_locs);
		if (rc < 0)
			return vlt_err_set(err, rc, "%s of %s: %s", what, r[i].orch,
					   vlt_strerror(rc));
	}
	return VLT_OK;
}

static int apply_opts(vlt_engine_t *e, vlt_cycle_t *cy, const vlt_stack_t *st,
		      const vlt_place_opts_t *o, vlt_err_t *err)
{
	int rc = restrict_units(cy, st, e->dc, o->pinned, o->n_pinned, true, "pinned location",
				err);

	if (rc == VLT_OK)
		rc = restrict_units(cy, st, e->dc, o->allowed, o->n_allowed, true,
				    "allowed locations", err);
	if (rc == VLT_OK)
		rc = restrict_units(cy, st, e->dc, o->excluded, o->n_excluded, false,
				    "excluded locations", err);
	return rc;
}

/* ---------------------------------------------------------------- results */

void vlt__place_result_free(vlt_place_result_t *r)
{
	if (r == NULL)
		return;
	free(r->message);
	json_decref(r->metrics);
	json_decref(r->refused);
	free(r->units);
	vlt__stack_free(r->stack);
	free(r);
}

/* A result of the cycle: every unit's location when placed, else why not. Takes st. */
static vlt_place_result_t *new_result(const vlt_cycle_t *cy, vlt_stack_t *st, const vlt_dc_t *dc,
				      bool placed, const char *message)
{
	vlt_place_result_t *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		vlt__stack_free(st);
		return NULL;
	}
	r->stack = st;
	st->tenant_id = NULL; /* borrowed from the options, which do not outlive the call */
	r->placed = placed;
	r->message = strdup(message);
	r->metrics = vlt__cycle_metrics(cy);
	r->units = placed ? calloc(st->n_units + 1, sizeof(*r->units)) : NULL;
	if (r->message == NULL || r->metrics == NULL || (placed && r->units == NULL)) {
		vlt__place_result_free(r);
		return NULL;
	}
	for (uint32_t u = 0; placed && u < st->n_units; u++) {
		const vlt_unit_t *unit = &st->units[u];
		vlt_placed_unit_t *p = &r->units[r->n_units++];

		p->orch = unit->orch_id;
		p->name = unit->name;
		p->type = unit->type;
		p->server = unit->kind == VLT_UNIT_SERVER;
		p->loc = vlt__cycle_location(cy, u);
		p->location = p->server ? dc->hosts[p->loc].name : dc->pools[p->loc].name;
	}
	return r;
}

static bool is_pinned(const vlt_place_opts_t *o, const vlt_placed_unit_t *p)
{
	for (size_t i = 0; i < o->n_pinned; i++)
		if (strcmp(o->pinned[i].orch, p->orch) == 0 ||
		    (p->name != NULL && strcmp(o->pinned[i].orch, p->name) == 0))
			return true;
	return false;
}

/*
 * The explanation of each unit of a placed result, before its cycle is
 * committed. Pinned units (kept where they were) had no choice: they are
 * marked, not explained.
 */
static int explain_units(vlt_cycle_t *cy, const vlt_dc_t *dc, const vlt_place_opts_t *o,
			 vlt_place_result_t *r, vlt_err_t *err)
{
	r->refused = json_object();
	if (r->refused == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "explanation: out of memory");
	for (uint32_t u = 0; u < r->n_units; u++) {
		vlt_placed_unit_t *p = &r->units[u];
		vlt_unit_explain_t x;

		p->explained = true;
		p->pinned = is_pinned(o, p);
		if (p->pinned)
			continue;
		int rc = vlt__cycle_explain(cy, u, &x, r->refused);
		if (rc < 0)
			return vlt_err_set(err, rc, "explaining %s: %s", p->orch, vlt_strerror(rc));
		p->cost = x.cost;
		p->n_fit = x.n_fit;
		p->n_seen = x.n_seen;
		p->n_total = x.n_total;
		if (x.runner_up != VLT_NONE) {
			p->runner_up = p->server ? dc->hosts[x.runner_up].name
						 : dc->pools[x.runner_up].name;
			p->runner_up_cost = x.runner_up_cost;
		}
	}
	return VLT_OK;
}

const vlt_placed_unit_t *vlt__place_result_unit(const vlt_place_result_t *r, const char *orch)
{
	for (size_t i = 0; r != NULL && i < r->n_units; i++) {
		if (strcmp(r->units[i].orch, orch) == 0)
			return &r->units[i];
	}
	return NULL;
}

/*
 * Sets o[key] to the string v, or to null when v is NULL and null_ok;
 * false when out of memory or v is NULL otherwise. Built by hand rather
 * than with json_pack, whose parsing of the format was a tenth of a
 * placement's time (docs/performance.md, trace).
 */
static bool set_string(json_t *o, const char *key, const char *v, bool null_ok)
{
	if (v == NULL && !null_ok)
		return false;
	return json_object_set_new(o, key, v != NULL ? json_string(v) : json_null()) == 0;
}

/* {"name", "type", "location"} of one placed unit, or NULL. */
static json_t *placed_unit_json(const vlt_placed_unit_t *p)
{
	json_t *u = json_object();

	if (u == NULL || !set_string(u, "name", p->name, true) ||
	    !set_string(u, "type", p->type, false) ||
	    !set_string(u, "location", p->location, false)) {
		json_decref(u);
		return NULL;
	}
	return u;
}

static json_t *status_json(const vlt_place_result_t *r)
{
	json_t *st = json_object();

	if (st == NULL || !set_string(st, "type", r->placed ? "ok" : "error", false) ||
	    !set_string(st, "message", r->message, false)) {
		json_decref(st);
		return NULL;
	}
	return st;
}

json_t *vlt__place_result_json(const vlt_place_result_t *r)
{
	json_t *placements = json_object(), *doc = json_object();
	bool ok = placements != NULL && doc != NULL;

	for (size_t i = 0; ok && i < r->n_units; i++)
		ok = json_object_set_new(placements, r->units[i].orch,
					 placed_unit_json(&r->units[i])) == 0;
	ok = ok && set_string(doc, "stack_id", r->stack->stack_id, false) &&
	     set_string(doc, "plan_name", r->stack->plan_name, true) &&
	     json_object_set_new(doc, "status", status_json(r)) == 0 &&
	     json_object_set(doc, "placements", placements) == 0 && r->metrics != NULL &&
	     json_object_set(doc, "metrics", r->metrics) == 0;
	json_decref(placements);
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/*
 * A cycle for st (locked). A timed stack's solves in the ledger's view of
 * its interval, which close_cycle (after the cycle has taken back what it
 * did not commit) turns back into the open-ended view.
 */
static int open_cycle(vlt_engine_t *e, const vlt_stack_t *st, vlt_cycle_t **cy, vlt_err_t *err)
{
	const vlt_interval_t *iv = vlt__stack_interval(st);
	bool timed = vlt__interval_timed(iv);

	if (timed)
		vlt__ledger_project(e->ledger, iv);
	int rc = vlt__cycle_new(cy, e->ledger, st, e->mods, err);
	if (rc == VLT_OK && timed)
		vlt__cycle_set_interval(*cy, iv);
	else if (rc < 0 && timed)
		vlt__ledger_project(e->ledger, &vlt__interval_always);
	return rc;
}

static void close_cycle(vlt_engine_t *e, vlt_cycle_t *cy)
{
	vlt__cycle_free(cy);
	if (vlt__interval_timed(&e->ledger->view))
		vlt__ledger_project(e->ledger, &vlt__interval_always);
}

/*
 * Runs with the engine locked; the caller has detached what o->replaces
 * held. Takes st: into *result when placed or refused, else freed.
 */
static int place_locked(vlt_engine_t *e, vlt_stack_t *st, vlt_module_t *solver,
			const vlt_place_opts_t *o, vlt_place_result_t **result, vlt_err_t *err)
{
	vlt_cycle_t *cy = NULL;
	vlt_err_t serr = {0};
	char plan_id[512];
	int rc = open_cycle(e, st, &cy, err);

	if (rc == VLT_OK)
		rc = apply_opts(e, cy, st, o, err);
	if (rc == VLT_OK && o->explain && vlt__cycle_observe(cy) < 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "explanation: out of memory");
	if (rc < 0) {
		close_cycle(e, cy);
		vlt__stack_free(st);
		return rc;
	}
	rc = vlt__cycle_solve(cy, solver, &serr);
	if (rc == VLT_OK) {
		if (o->plan_id != NULL)
			snprintf(plan_id, sizeof(plan_id), "%s", o->plan_id);
		else
			fresh_plan_id(e->ledger, st->stack_id, plan_id, sizeof(plan_id));
		vlt_place_result_t *r = new_result(cy, st, e->dc, true, "success");
		st = NULL;
		rc = r == NULL ? vlt_err_set(err, VLT_ENOMEM, "result: out of memory") : VLT_OK;
		if (rc == VLT_OK && o->explain)
			rc = explain_units(cy, e->dc, o, r, err);
		if (rc == VLT_OK)
			rc = vlt__cycle_commit(cy, plan_id, err);
		if (rc == VLT_OK) {
			r->solver = solver->name;
			*result = r;
		} else {
			vlt__place_result_free(r);
		}
	} else if (rc == VLT_ENOPLACE || rc == VLT_E2BIG) {
		const char *why = rc == VLT_E2BIG || vlt__cycle_failure(cy) == NULL
					  ? serr.msg
					  : vlt__cycle_failure(cy);
		vlt_err_set(err, rc, "%s", why);
		*result = new_result(cy, st, e->dc, false, why);
		st = NULL;
		if (*result != NULL)
			(*result)->solver = solver->name;
	} else {
		vlt_err_set(err, rc, "solver %s: %s", solver->name,
			    serr.msg[0] ? serr.msg : vlt_strerror(rc));
	}
	if ((rc == VLT_OK || rc == VLT_ENOPLACE || rc == VLT_E2BIG) && *result == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "result: out of memory");
	close_cycle(e, cy);
	vlt__stack_free(st);
	return rc;
}

/*
 * A server whose flavor no host's per-allocation limits admit could never
 * be placed, whatever is free: a bad request, not a failed placement.
 * Holds do not ask it (what was acknowledged stays held).
 */
static int check_flavors_admitted(const vlt_engine_t *e, const vlt_stack_t *st,
				  const char *where, vlt_err_t *err)
{
	char why[400];

	for (uint32_t u = 0; u < st->n_units; u++) {
		const vlt_unit_t *unit = &st->units[u];

		if (unit->kind == VLT_UNIT_SERVER &&
		    vlt__limits_refusal(e->dc, unit->flavor, unit->demand, why, sizeof(why)))
			return vlt_err_set(err, VLT_EINVAL, "%s: server %s: %s", where, unit->name,
					   why);
	}
	return 0;
}

/* Parse and validate a request for this engine to place (locked). */
static int stack_for(vlt_engine_t *e, const json_t *req, const char *where, const char *tenant,
		     vlt_stack_t **st, vlt_err_t *err)
{
	int rc = vlt__stack_parse(req, e->dc, &e->groups, policy_for_type, e->mods, where, st,
				  err);

	if (rc < 0)
		return rc;
	if (tenant != NULL)
		(*st)->tenant_id = tenant; /* borrowed for the placement's duration */
	rc = validate_groups(e, *st, err);
	if (rc == 0)
		rc = check_flavors_admitted(e, *st, where, err);
	if (rc < 0) {
		vlt__stack_free(*st);
		*st = NULL;
	}
	return rc;
}

int vlt__engine_check(vlt_engine_t *e, const json_t *req, const char *where, vlt_err_t *err)
{
	vlt_stack_t *st = NULL;

	pthread_mutex_lock(&e->lock);
	int rc = stack_for(e, req, where, NULL, &st, err);
	pthread_mutex_unlock(&e->lock);
	vlt__stack_free(st);
	return rc;
}

int vlt__engine_plan(vlt_engine_t *e, const json_t *req, const char *where,
		     const vlt_place_opts_t *o, vlt_place_result_t **result, vlt_err_t *err)
{
	static const vlt_place_opts_t none = {0};
	vlt_plan_hold_t *old = NULL;
	vlt_stack_t *st = NULL;
	vlt_place_result_t *res = NULL;
	int rc;

	if (o == NULL)
		o = &none;
	vlt_module_t *solver = pick_solver(e, o->solver, err);
	if (solver == NULL)
		return VLT_ECONFIG;
	pthread_mutex_lock(&e->lock);
	rc = stack_for(e, req, where, o->tenant_id, &st, err);
	if (rc == VLT_OK && o->replaces != NULL &&
	    (old = vlt__ledger_detach(e->ledger, o->replaces)) == NULL)
		rc = vlt_err_set(err, VLT_ENOENT, "plan %s holds nothing to replace", o->replaces);
	if (rc == VLT_OK && o->plan_id != NULL && vlt__ledger_has_plan(e->ledger, o->plan_id))
		rc = vlt_err_set(err, VLT_EEXIST, "plan %s already holds capacity", o->plan_id);
	if (rc == VLT_OK) {
		rc = place_locked(e, st, solver, o, &res, err);
		st = NULL;
	}
	if (old != NULL) {
		if (rc == VLT_OK)
			vlt__plan_hold_free(old);
		else if (vlt__ledger_attach(e->ledger, old) < 0)
			vlt__log(NULL, VLT_LOG_ERR, "plan %s: out of memory restoring its holds",
				 o->replaces);
	}
	pthread_mutex_unlock(&e->lock);
	vlt__stack_free(st);
	if (res != NULL)
		*result = res;
	return rc;
}

int vlt__engine_place_opts(vlt_engine_t *e, const json_t *req, const char *where,
			   const vlt_place_opts_t *o, json_t **result, vlt_err_t *err)
{
	vlt_place_result_t *r = NULL;
	int rc = vlt__engine_plan(e, req, where, o, &r, err);

	if (r != NULL) {
		*result = vlt__place_result_json(r);
		vlt__place_result_free(r);
		if (*result == NULL)
			rc = vlt_err_set(err, VLT_ENOMEM, "result: out of memory");
	}
	return rc;
}

int vlt__engine_place(vlt_engine_t *e, const json_t *req, const char *where,
		      const char *solver_name, json_t **result, vlt_err_t *err)
{
	vlt_place_opts_t o = {.solver = solver_name};

	return vlt__engine_place_opts(e, req, where, &o, result, err);
}

/* Assign every unit where locations says, checks or not (locked). */
static int hold_locked(vlt_engine_t *e, const vlt_stack_t *st, const char *plan_id,
		       const json_t *locations, vlt_err_t *err)
{
	vlt_cycle_t *cy = NULL;
	int rc = open_cycle(e, st, &cy, err);

	for (uint32_t u = 0; rc == VLT_OK && u < st->n_units; u++) {
		const vlt_unit_t *unit = &st->units[u];
		const char *name = json_string_value(json_object_get(locations, unit->orch_id));
		uint32_t loc = name ? find_location(e->dc, unit->kind, name) : VLT_NONE;
		if (name == NULL)
			rc = vlt_err_set(err, VLT_EINVAL, "plan %s: no location for %s", plan_id,
					 unit->orch_id);
		else if (loc == VLT_NONE)
			rc = vlt_err_set(err, VLT_ENOENT, "plan %s: %s is on '%s', which the "
					 "inventory does not have", plan_id, unit->orch_id, name);
		else if (vlt__cycle_check(cy, u, VLT_LEVEL_HOST, loc) != VLT_PASS)
			vlt__log(NULL, VLT_LOG_WARNING,
				 "plan %s: %s held on %s beyond what its constraints or capacity "
				 "allow now", plan_id, unit->orch_id, name);
		if (rc == VLT_OK)
			rc = vlt__cycle_assign(cy, u, loc);
	}
	if (rc == VLT_OK)
		rc = vlt__cycle_commit(cy, plan_id, err);
	if (cy != NULL)
		close_cycle(e, cy);
	return rc;
}

int vlt__engine_hold(vlt_engine_t *e, const json_t *req, const char *where, const char *plan_id,
		     const json_t *locations, vlt_err_t *err)
{
	vlt_stack_t *st = NULL;
	int rc;

	pthread_mutex_lock(&e->lock);
	rc = vlt__stack_parse_held(req, e->dc, &e->groups, &e->retired, policy_for_type, e->mods,
				   where, &st, err);
	if (rc == VLT_OK && vlt__ledger_has_plan(e->ledger, plan_id))
		rc = vlt_err_set(err, VLT_EEXIST, "plan %s already holds capacity", plan_id);
	if (rc == VLT_OK)
		rc = hold_locked(e, st, plan_id, locations, err);
	pthread_mutex_unlock(&e->lock);
	vlt__stack_free(st);
	return rc;
}

json_t *vlt__engine_groups(vlt_engine_t *e)
{
	json_t *list = json_array();

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; list != NULL && i < e->groups.n_groups; i++) {
		const vlt_named_group_t *g = &e->groups.groups[i];
		json_t *members = json_array();
		for (size_t m = 0; members != NULL && m < g->n_members; m++)
			json_array_append_new(members, json_string(g->members[m]));
		json_array_append_new(list, json_pack("{s:s?, s:s, s:s, s:s, s:s, s:o}", "id", g->id,
						      "name", g->name, "type", g->type, "level",
						      vlt__level_name(g->level), "description",
						      g->description ? g->description : "",
						      "members", members ? members : json_array()));
	}
	pthread_mutex_unlock(&e->lock);
	return json_pack("{s:o}", "groups", list ? list : json_array());
}

int vlt__engine_hosts_over(vlt_engine_t *e, const vlt_interval_t *iv, vlt_host_window_t **out,
			   vlt_err_t *err)
{
	if (iv->end_ms <= iv->start_ms)
		return vlt_err_set(err, VLT_EINVAL, "hosts over a window: its end is not after its "
				   "start");
	pthread_mutex_lock(&e->lock);
	const vlt_dc_t *dc = e->dc;
	vlt_host_window_t *w = calloc(dc->n_hosts + 1, sizeof(*w));
	for (uint32_t h = 0; w != NULL && h < dc->n_hosts; h++) {
		w[h].held = vlt__ledger_free_over(e->ledger, h, iv, w[h].free);
		w[h].vacant = dc->hosts[h].enabled && !dc->hosts[h].preloaded && !w[h].held;
	}
	pthread_mutex_unlock(&e->lock);
	if (w == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "hosts over a window: out of memory");
	*out = w;
	return VLT_OK;
}

int vlt__engine_release(vlt_engine_t *e, const char *plan_id)
{
	pthread_mutex_lock(&e->lock);
	int rc = vlt__ledger_release(e->ledger, plan_id);
	pthread_mutex_unlock(&e->lock);
	return rc;
}
