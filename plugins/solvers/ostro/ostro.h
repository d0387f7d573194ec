/*
 * ostro.h - Ostro's holistic placement of a whole stack: affinity groups are
 * placed as units, nodes go largest first while connected nodes stay close
 * in the order, and each node descends cluster -> rack -> host over
 * candidates ranked by the bandwidth cost they add, then by consolidation.
 * A failed descent is rolled back and the next candidate tried, within a
 * bound on backtracks and on time.
 *
 * The algorithm reads and writes the cycle only through the vlt_core_t
 * callbacks, so it runs the same under the real core and under a test's.
 */
#ifndef VALET_SOLVER_OSTRO_H
#define VALET_SOLVER_OSTRO_H

#include <stdint.h>

#include <valet/core.h>

typedef struct ostro_settings {
	int64_t time_budget_ms; /* > 0: stop backtracking after this long */
	int64_t max_backtracks; /* >= 0: stop backtracking after this many */
} ostro_settings_t;

#define OSTRO_DEFAULT_TIME_BUDGET_MS 200
#define OSTRO_DEFAULT_MAX_BACKTRACKS 10000

/*
 * ostro_solve - assign every unit of the cycle's stack.
 * IN  core - the module's callback table (borrowed)
 * IN  set  - the settings (borrowed)
 * IN  cy   - the cycle to fill (borrowed)
 * OUT err  - a message on an error other than VLT_ENOPLACE
 * RET 0 when all units are assigned; VLT_ENOPLACE after core->note_failure
 *     on the unit that could not be placed; VLT_ENOMEM or a code check()
 *     returned. Safe to call from several threads on different cycles:
 *     all scratch memory belongs to the call.
 */
int ostro_solve(const vlt_core_t *core, const ostro_settings_t *set, vlt_cycle_t *cy,
		vlt_err_t *err);

#endif /* VALET_SOLVER_OSTRO_H */
