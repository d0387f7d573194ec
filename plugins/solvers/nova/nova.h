/*
 * nova.h - the per-server baseline, shaped like Nova's FilterScheduler:
 * units one at a time in stack order, every host filtered with check(),
 * the survivors weighed by free RAM. It sees no stack as a whole: groups
 * reach it only through check(), as Nova server groups would.
 */
#ifndef VALET_SOLVER_NOVA_H
#define VALET_SOLVER_NOVA_H

#include <valet/core.h>

typedef enum nova_weigher {
	NOVA_WEIGH_RAM = 0,       /* spread: the most free RAM first */
	NOVA_WEIGH_RAM_STACK = 1, /* stack: the least free RAM first */
} nova_weigher_t;

/*
 * nova_solve - assign every unit of the cycle's stack, in order.
 * Servers: the passing host with the best free-RAM weight, ties by index.
 * Volumes: the passing pool with the most free space, ties by index.
 * RET 0; VLT_ENOPLACE after core->note_failure on the first unit with no
 *     passing host or pool; an error check() or assign() returned.
 */
int nova_solve(const vlt_core_t *core, nova_weigher_t weigher, vlt_cycle_t *cy,
	       vlt_err_t *err);

#endif /* VALET_SOLVER_NOVA_H */
