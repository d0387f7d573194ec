/*
 * solver_nova_plugin.c - the nova baseline solver module: settings and the
 * ABI glue around nova.c.
 *
 * Settings (group solver.nova):
 *   weigher  "ram"  "ram" spreads (most free RAM first), "ram_stack" stacks
 *                   (least free RAM first)
 */
#include <stdlib.h>
#include <string.h>

#include <valet/solver.h>

#include "nova.h"

typedef struct nova_state {
	const vlt_core_t *core;
	nova_weigher_t weigher;
} nova_state_t;

/* OUT state - new, owned by the core (nova_fini). */
static int nova_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	nova_state_t *s = calloc(1, sizeof(*s));
	char *weigher = NULL;
	int rc;

	if (s == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "solver nova: out of memory");
	s->core = core;
	rc = core->cfg_str(core, "weigher", "ram", &weigher, err);
	if (rc == VLT_OK) {
		if (strcmp(weigher, "ram") == 0)
			s->weigher = NOVA_WEIGH_RAM;
		else if (strcmp(weigher, "ram_stack") == 0)
			s->weigher = NOVA_WEIGH_RAM_STACK;
		else
			rc = vlt_err_set(err, VLT_ECONFIG,
					 "setting 'solver.nova.weigher': unknown weigher \"%s\" "
					 "(expected \"ram\" or \"ram_stack\")",
					 weigher);
	}
	free(weigher);
	if (rc != VLT_OK) {
		free(s);
		return rc;
	}
	*state = s;
	return VLT_OK;
}

static void nova_fini(void *state)
{
	free(state);
}

/* The state is read-only after init, so concurrent solves share nothing. */
static int nova_solve_cycle(void *state, vlt_cycle_t *cy, vlt_err_t *err)
{
	const nova_state_t *s = state;

	return nova_solve(s->core, s->weigher, cy, err);
}

static const vlt_solver_ops_t nova_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOLVER, vlt_solver_ops_t, "nova", "1.0",
				"per-server baseline like Nova's FilterScheduler: filter, "
				"then weigh by free RAM"),
	.init = nova_init,
	.fini = nova_fini,
	.solve = nova_solve_cycle,
};

VLT_PLUGIN_DEFINE(nova_ops);
