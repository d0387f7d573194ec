/*
 * state.h - the state of one ostro solve, shared by its search (ostro.c)
 * and the building of its placement nodes and order (nodes.c). Everything
 * lives in the call's arena or is freed when the call ends.
 */
#ifndef VALET_SOLVER_OSTRO_STATE_H
#define VALET_SOLVER_OSTRO_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <valet/core.h>

#include "ostro.h"
#include "scratch.h"

/* The core's ranking weight of a volume attachment per level crossed (cycle.c). */
#define OSTRO_ATTACH_WEIGHT 1e-3

/*
 * A placement node: a unit (leaf, index = the unit's) or an affinity group
 * placed as a unit (index = n_units + the group's).
 */
typedef struct ostro_node {
	uint32_t unit;     /* a leaf's unit; VLT_NONE for a group node */
	vlt_level_t level; /* a group node's servers share one domain of this level */
	uint32_t parent;   /* the enclosing node; VLT_NONE at the top */
	uint32_t *kids;    /* sub-nodes, heaviest first */
	uint32_t n_kids;
	const uint32_t *members; /* every unit under the node, in the kids' order */
	uint32_t n_members;
	uint32_t n_servers;
	int64_t demand[VLT_RES_COUNT];     /* summed over its servers */
	int64_t max_demand[VLT_RES_COUNT]; /* of its largest server, per resource */
	double weight;                     /* Ostro's weighted demand */
	bool live;                         /* group slots of empty groups are not */
} ostro_node_t;

/* One assignment of the call, as the log keeps it. */
typedef struct ostro_placed {
	uint32_t unit, loc;
} ostro_placed_t;

typedef struct ostro_ctx {
	const vlt_core_t *core;
	const ostro_settings_t *set;
	vlt_cycle_t *cy;
	const vlt_dc_t *dc;
	const vlt_stack_t *st;
	const vlt_view_t *v;
	vlt_err_t *err;
	ostro_arena_t arena;

	/* the nodes and their order (nodes.c) */
	ostro_node_t *nodes; /* leaves 0..n_units-1, then one slot per group */
	uint32_t n_nodes;
	uint32_t *order;  /* top-level nodes in placement order */
	uint32_t n_order;
	uint32_t *top_of; /* per unit: its top-level node */
	uint32_t *comp;   /* per node: its linked component (a node index) */
	int64_t (*comp_rest)[VLT_RES_COUNT]; /* per component: demand not yet placed */
	const int64_t *rest;                 /* the current node's component */
	double w[VLT_RES_COUNT];             /* Ostro's resource weights */
	double inv_free[VLT_RES_COUNT]; /* 1 / the data center's free capacity; 0 if none */
	uint32_t *cls; /* per unit: the lowest unit alike (demand, flavor, zone, groups) */

	/* the search (ostro.c) */
	uint32_t *gen[VLT_LEVEL_DC]; /* per rack and cluster: bumped when a server there goes back */
	ostro_dmap_t dead;           /* where units alike found no place */
	ostro_placed_t *log;         /* this call's assignments, in order */
	uint32_t n_log;
	ostro_cmap_t used[VLT_LEVEL_DC]; /* servers of the stack per host, rack, cluster */

	uint32_t top_mark;        /* log length when the current top-level node began */
	uint32_t fail_unit;       /* the first unit that found no place, in this node */
	ostro_placed_t *fail_log; /* the assignments in force then */
	uint32_t n_fail_log;

	uint64_t backtracks;
	uint32_t ticks; /* candidates tried; the clock is read every 64 */
	uint64_t deadline_ns;
	bool exhausted; /* no more backtracking */
} ostro_ctx_t;

static inline bool ostro_is_server(const ostro_ctx_t *c, uint32_t u)
{
	return c->st->units[u].kind == VLT_UNIT_SERVER;
}

/* RET VLT_ENOMEM with a message naming the stack. */
static inline int ostro_oom(ostro_ctx_t *c)
{
	return vlt_err_set(c->err, VLT_ENOMEM, "solver ostro: out of memory (stack %s)",
			   c->st->stack_id ? c->st->stack_id : "?");
}

/*
 * ostro_build - the placement nodes, the resource weights, the order of the
 * top-level nodes and their linked components, and the classes of units
 * alike: c->nodes, n_nodes, w, inv_free, order, n_order, top_of, comp,
 * comp_rest, cls (all in c->arena).
 * RET 0 or VLT_ENOMEM.
 */
int ostro_build(ostro_ctx_t *c);

#endif /* VALET_SOLVER_OSTRO_STATE_H */
