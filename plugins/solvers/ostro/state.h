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
	double class_weight;               /* the part of it from extra resource classes */
	bool live;                         /* group slots of empty groups are not */
} ostro_node_t;

/*
 * How the descent ranks candidates of equal bandwidth cost. FIT: whether
 * the domain takes what is left of the linked component, then used, then
 * best fit (Ostro's). ROOMY: how much of it the domain and its roomiest
 * host take, then as FIT. SPREAD: as ROOMY, then worst fit. The search
 * uses FIT; restarts of small stacks use the others.
 */
enum { OSTRO_RANK_FIT, OSTRO_RANK_ROOMY, OSTRO_RANK_SPREAD };

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
	uint32_t *tops;   /* the top-level nodes, heaviest first */
	uint32_t n_tops;
	uint32_t *order;  /* top-level nodes in placement order */
	uint32_t n_order; /* = n_tops */
	uint32_t *top_of; /* per unit: its top-level node */
	uint32_t *comp;   /* per node: its linked component (a node index) */
	int64_t (*comp_rest)[VLT_RES_COUNT]; /* per component: demand not yet placed */
	const int64_t *rest;                 /* the current node's component */
	double w[VLT_RES_COUNT];             /* Ostro's resource weights */
	double inv_free[VLT_RES_COUNT]; /* 1 / the data center's free capacity; 0 if none */
	/* extra resource classes (ABI 1.6), weighed as the three; n_xc 0: the stack asks none */
	uint32_t n_xc;      /* the data center's classes, when the stack asks some */
	double *xw;         /* per class: its weight (0: not asked) */
	double *x_inv_free; /* per class: 1 / the data center's free amount of it */
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

	int rank;    /* OSTRO_RANK_*: how the descent breaks ties after the bandwidth */
	bool quiet;  /* improving: a node that finds no place blames no unit */
	uint32_t n_hosts;                 /* hosts holding servers of the stack */
	int64_t stranded[VLT_RES_COUNT]; /* free capacity left on those hosts */

	uint64_t backtracks;
	uint64_t bt_limit; /* backtracking stops at this count (max_backtracks, or a move's cap) */
	uint32_t ticks; /* candidates tried; the clock is read every 64 */
	uint64_t work;  /* domains ranked by the descent (the improvement's effort) */
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

/*
 * ostro_order - the top-level nodes in placement order, starting with
 * `first` (VLT_NONE: the heaviest).
 * OUT order - n_tops entries (caller's). RET 0 or VLT_ENOMEM.
 */
int ostro_order(ostro_ctx_t *c, uint32_t first, uint32_t *order);

/* ---- the search (ostro.c), used by the improvement (improve.c) */

/* try_domain: check() said no; not a backtrack. */
#define OSTRO_TRY_REJECT 1

static inline bool ostro_cost_less(double a, double b)
{
	return a < b - 1e-9 * (1.0 + (a < 0 ? -a : a) + (b < 0 ? -b : b));
}

/* Ostro's cost of one link across `levels` levels; attachments weigh a token. */
static inline double ostro_link_cost(const vlt_link_t *k, int levels)
{
	if (k->flags & VLT_LINK_ATTACHMENT)
		return OSTRO_ATTACH_WEIGHT * levels;
	return 2.0 * k->mbps * levels;
}

uint64_t ostro_now_ns(void);
/* Set c->exhausted once max_backtracks or time_budget_ms is spent. */
void ostro_budget_check(ostro_ctx_t *c);
/* Assign and log. RET 0 or an error (with a message). */
int ostro_assign(ostro_ctx_t *c, uint32_t u, uint32_t loc);
/* Take back one assignment (already out of the log). */
void ostro_undo(ostro_ctx_t *c, ostro_placed_t p);
/* Take back every assignment made since the log had `mark` entries. */
void ostro_unwind(ostro_ctx_t *c, uint32_t mark);
/*
 * Place node n somewhere inside domain wd of level wl, by the descent.
 * RET 0, VLT_ENOPLACE (what it assigned is taken back) or an error.
 */
int ostro_place_node(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t wl, uint32_t wd);
/* Place the top-level nodes in c->order. OUT *failed - the failing position. */
int ostro_place_all(ostro_ctx_t *c, uint32_t *failed);

/*
 * ostro_improve - once every unit is placed: local moves and, on small
 * stacks, restarts (improve.c). Leaves the best placement found assigned.
 * RET 0 or an error.
 */
int ostro_improve(ostro_ctx_t *c);

/*
 * ostro_pack - once improved: empty the stack's least used hosts where
 * its servers with no links and no group can go elsewhere (pack.c).
 * Leaves every unit placed. RET 0 or an error.
 */
int ostro_pack(ostro_ctx_t *c);

#endif /* VALET_SOLVER_OSTRO_STATE_H */
