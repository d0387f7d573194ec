/*
 * valet/solver.h - solvers place a whole stack. A solver reads the stack,
 * the data center and the occupancy view from the cycle, asks the core's
 * check() where each unit may go (that runs every policy), and assigns.
 */
#ifndef VALET_SOLVER_H
#define VALET_SOLVER_H

#include <valet/core.h>
#include <valet/plugin.h>

typedef struct vlt_solver_ops {
	vlt_plugin_info_t info; /* MUST be first */

	/* Mandatory. */
	int (*init)(const vlt_core_t *core, void **state, vlt_err_t *err);
	void (*fini)(void *state); /* accepts NULL */
	/*
	 * Mandatory. Assign every unit of the cycle's stack (core->assign).
	 * RET 0 when all are assigned; VLT_ENOPLACE when the stack cannot be
	 * placed (call core->note_failure on the unit at fault first, and
	 * leave the rest to the core, which drops partial assignments);
	 * VLT_E2BIG when the problem is beyond the solver's limit, with a
	 * message; another negative code on error.
	 */
	int (*solve)(void *state, vlt_cycle_t *cy, vlt_err_t *err);

	/* ABI 1.1+: append new members below this line only. */
} vlt_solver_ops_t;

#endif /* VALET_SOLVER_H */
