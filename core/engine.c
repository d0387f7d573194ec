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

struct vlt_engine {
	vlt_modules_t *mods;
	vlt_dc_t *dc;
	vlt_ledger_t *ledger;
	vlt_group_registry_t groups;
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

int vlt__engine_new(vlt_engine_t **out, vlt_modules_t *mods, vlt_err_t *err)
{
	vlt_engine_t *e = calloc(1, sizeof(*e));
	int rc;

	if (e == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "engine: out of memory");
	e->mods = mods;
	pthread_mutex_init(&e->lock, NULL);
	rc = collect_sources(mods, &e->dc, err);
	if (rc == VLT_OK)
		rc = vlt__ledger_new(&e->ledger, e->dc, (uint32_t)mods->n_policies, err);
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
	pthread_mutex_destroy(&e->lock);
	free(e);
}

const vlt_dc_t *vlt__engine_dc(const vlt_engine_t *e)
{
	return e->dc;
}

int vlt__engine_set_groups(vlt_engine_t *e, const json_t *doc, const char *where,
			   vlt_err_t *err)
{
	vlt_group_registry_t reg = {0};
	int rc = vlt__groups_from_json(&reg, doc, where, err);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&e->lock);
	vlt__groups_free(&e->groups);
	e->groups = reg;
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

static json_t *placements_json(const vlt_cycle_t *cy, const vlt_stack_t *st, const vlt_dc_t *dc)
{
	json_t *out = json_object();

	for (uint32_t u = 0; out != NULL && u < st->n_units; u++) {
		const vlt_unit_t *unit = &st->units[u];
		uint32_t loc = vlt__cycle_location(cy, u);
		const char *where = unit->kind == VLT_UNIT_SERVER ? dc->hosts[loc].name
								  : dc->pools[loc].name;
		json_object_set_new(out, unit->orch_id,
				    json_pack("{s:s?, s:s, s:s}", "name", unit->name, "type",
					      unit->type, "location", where));
	}
	return out;
}

static json_t *result_json(const vlt_stack_t *st, const char *type, const char *message,
			   json_t *placements, json_t *metrics)
{
	return json_pack("{s:s, s:s?, s:{s:s, s:s}, s:o, s:o}", "stack_id", st->stack_id,
			 "plan_name", st->plan_name, "status", "type", type, "message", message,
			 "placements", placements ? placements : json_object(), "metrics",
			 metrics ? metrics : json_object());
}

/* Runs with the engine locked. */
static int place_locked(vlt_engine_t *e, const vlt_stack_t *st, vlt_module_t *solver,
			json_t **result, vlt_err_t *err)
{
	vlt_cycle_t *cy = NULL;
	vlt_err_t serr = {0};
	char plan_id[512];
	int rc = vlt__cycle_new(&cy, e->ledger, st, e->mods, err);

	if (rc < 0)
		return rc;
	rc = vlt__cycle_solve(cy, solver, &serr);
	if (rc == VLT_OK) {
		fresh_plan_id(e->ledger, st->stack_id, plan_id, sizeof(plan_id));
		rc = vlt__cycle_commit(cy, plan_id, err);
		if (rc == VLT_OK)
			*result = result_json(st, "ok", "success", placements_json(cy, st, e->dc),
					      vlt__cycle_metrics(cy));
	} else if (rc == VLT_ENOPLACE || rc == VLT_E2BIG) {
		const char *why = rc == VLT_E2BIG || vlt__cycle_failure(cy) == NULL
					  ? serr.msg
					  : vlt__cycle_failure(cy);
		vlt_err_set(err, rc, "%s", why);
		*result = result_json(st, "error", why, NULL, vlt__cycle_metrics(cy));
	} else {
		vlt_err_set(err, rc, "solver %s: %s", solver->name,
			    serr.msg[0] ? serr.msg : vlt_strerror(rc));
	}
	if ((rc == VLT_OK || rc == VLT_ENOPLACE || rc == VLT_E2BIG) && *result == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "result: out of memory");
	vlt__cycle_free(cy);
	return rc;
}

int vlt__engine_place(vlt_engine_t *e, const json_t *req, const char *where,
		      const char *solver_name, json_t **result, vlt_err_t *err)
{
	vlt_stack_t *st = NULL;
	json_t *res = NULL;
	int rc;

	vlt_module_t *solver = pick_solver(e, solver_name, err);
	if (solver == NULL)
		return VLT_ECONFIG;
	pthread_mutex_lock(&e->lock);
	rc = vlt__stack_parse(req, e->dc, &e->groups, policy_for_type, e->mods, where, &st, err);
	if (rc == VLT_OK)
		rc = validate_groups(e, st, err);
	if (rc == VLT_OK)
		rc = place_locked(e, st, solver, &res, err);
	pthread_mutex_unlock(&e->lock);
	vlt__stack_free(st);
	if (res != NULL)
		*result = res;
	return rc;
}

int vlt__engine_release(vlt_engine_t *e, const char *plan_id)
{
	pthread_mutex_lock(&e->lock);
	int rc = vlt__ledger_release(e->ledger, plan_id);
	pthread_mutex_unlock(&e->lock);
	return rc;
}
