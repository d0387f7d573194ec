/*
 * solver_firstfit.c - a vendor solver: each unit, in the stack's order,
 * goes to the first host (or storage pool, for a volume) where the core's
 * check passes. check() runs capacity, zones, aggregates and every loaded
 * policy, so firstfit honours affinity, diversity and exclusivity without
 * knowing they exist.
 *
 * Settings (group solver.firstfit):
 *   reverse = false;  true: try hosts from the last one instead
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <valet/valet.h>

#ifndef FIRSTFIT_VERSION
#define FIRSTFIT_VERSION "1.0.0"
#endif

struct firstfit {
	const vlt_core_t *core; /* borrowed: valid while the module is loaded */
	bool reverse;
};

static int firstfit_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct firstfit *ff = calloc(1, sizeof(*ff));
	int rc;

	if (ff == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "firstfit: out of memory");
	ff->core = core;
	/* a wrong type fails here with the file, line and setting named */
	rc = core->cfg_bool(core, "reverse", false, &ff->reverse, err);
	if (rc < 0) {
		free(ff);
		return rc;
	}
	vlt_log_info(core, "trying hosts %s", ff->reverse ? "last to first" : "first to last");
	*state = ff;
	return 0;
}

static void firstfit_fini(void *state)
{
	free(state); /* free(NULL) is fine: fini must accept NULL */
}

/* The first location, host or pool, where unit may go; VLT_NONE if none. */
static int first_fit(const struct firstfit *ff, vlt_cycle_t *cy, uint32_t unit, uint32_t n,
		     uint32_t *loc)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t at = ff->reverse ? n - 1 - i : i;
		int verdict = ff->core->check(cy, unit, VLT_LEVEL_HOST, at);

		if (verdict < 0)
			return verdict; /* an error, not a verdict: stop the cycle */
		if (verdict == VLT_PASS) {
			*loc = at;
			return 0;
		}
	}
	*loc = VLT_NONE;
	return 0;
}

static int firstfit_solve(void *state, vlt_cycle_t *cy, vlt_err_t *err)
{
	const struct firstfit *ff = state;
	const vlt_core_t *core = ff->core;
	const vlt_stack_t *stack = core->cycle_stack(cy);
	const vlt_dc_t *dc = core->cycle_dc(cy);
	const vlt_view_t *view = core->cycle_view(cy);

	for (uint32_t u = 0; u < stack->n_units; u++) {
		const vlt_unit_t *unit = &stack->units[u];
		uint32_t n = unit->kind == VLT_UNIT_VOLUME ? dc->n_pools : dc->n_hosts;
		uint32_t loc;
		int rc;

		if (view->placement[u] != VLT_NONE)
			continue; /* already held */
		rc = first_fit(ff, cy, u, n, &loc);
		if (rc < 0)
			return vlt_err_set(err, rc, "firstfit: checking %s failed", unit->name);
		if (loc == VLT_NONE) {
			/* the core explains why and drops what was assigned */
			core->note_failure(cy, u);
			return VLT_ENOPLACE;
		}
		rc = core->assign(cy, u, loc);
		if (rc < 0)
			return vlt_err_set(err, rc, "firstfit: cannot hold %s", unit->name);
	}
	core->metric(cy, "firstfit_reverse", ff->reverse ? 1 : 0);
	return 0;
}

static const vlt_solver_ops_t firstfit_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOLVER, vlt_solver_ops_t, "firstfit", FIRSTFIT_VERSION,
				"each unit on the first host that passes every check"),
	.init = firstfit_init,
	.fini = firstfit_fini,
	.solve = firstfit_solve,
};

VLT_PLUGIN_DEFINE(firstfit_ops);
