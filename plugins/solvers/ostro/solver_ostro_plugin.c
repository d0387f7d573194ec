/*
 * solver_ostro_plugin.c - the ostro solver module: settings and the ABI
 * glue around ostro.c.
 *
 * Settings (group solver.ostro):
 *   time_budget_ms  200    stop backtracking after this many milliseconds
 *   max_backtracks  10000  stop backtracking after this many rolled-back descents
 */
#include <stdlib.h>

#include <valet/solver.h>

#include "ostro.h"

typedef struct ostro_state {
	const vlt_core_t *core;
	ostro_settings_t set;
} ostro_state_t;

/* OUT state - new, owned by the core (ostro_fini). */
static int ostro_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	ostro_state_t *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "solver ostro: out of memory");
	s->core = core;
	rc = core->cfg_int(core, "time_budget_ms", OSTRO_DEFAULT_TIME_BUDGET_MS,
			   &s->set.time_budget_ms, err);
	if (rc == VLT_OK)
		rc = core->cfg_int(core, "max_backtracks", OSTRO_DEFAULT_MAX_BACKTRACKS,
				   &s->set.max_backtracks, err);
	if (rc == VLT_OK && (s->set.time_budget_ms < 1 || s->set.time_budget_ms > 3600000))
		rc = vlt_err_set(err, VLT_ECONFIG,
				 "setting 'solver.ostro.time_budget_ms': %lld is out of range "
				 "(1 to 3600000)",
				 (long long)s->set.time_budget_ms);
	if (rc == VLT_OK && s->set.max_backtracks < 0)
		rc = vlt_err_set(err, VLT_ECONFIG,
				 "setting 'solver.ostro.max_backtracks': %lld is negative",
				 (long long)s->set.max_backtracks);
	if (rc != VLT_OK) {
		free(s);
		return rc;
	}
	*state = s;
	return VLT_OK;
}

static void ostro_fini(void *state)
{
	free(state);
}

/* The settings are read-only after init, so concurrent solves share nothing. */
static int ostro_solve_cycle(void *state, vlt_cycle_t *cy, vlt_err_t *err)
{
	const ostro_state_t *s = state;

	return ostro_solve(s->core, &s->set, cy, err);
}

static const vlt_solver_ops_t ostro_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOLVER, vlt_solver_ops_t, "ostro", "1.0",
				"holistic placement: affinity groups as units, bandwidth-aware, "
				"bounded backtracking"),
	.init = ostro_init,
	.fini = ostro_fini,
	.solve = ostro_solve_cycle,
};

VLT_PLUGIN_DEFINE(ostro_ops);
