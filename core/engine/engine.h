/*
 * engine.h - places plan requests: the data center the sources describe,
 * the ledger of what plans hold, the named groups, and the loaded policies
 * and solvers. Used by valetd and by `valet simulate`.
 */
#ifndef VALET_CORE_ENGINE_H
#define VALET_CORE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <valet/errors.h>
#include <valet/model.h>

#include "loader.h"
#include "stack.h"

typedef struct vlt_engine vlt_engine_t;

/*
 * vlt__engine_new - collect every source into a data center and start an
 * empty ledger. Borrows mods for the engine's life.
 * OUT e - new, owned by the caller (vlt__engine_free).
 * RET 0, or the failing source's code with err naming it.
 */
int vlt__engine_new(vlt_engine_t **e, vlt_modules_t *mods, vlt_err_t *err);
void vlt__engine_free(vlt_engine_t *e);
const vlt_dc_t *vlt__engine_dc(const vlt_engine_t *e);

/*
 * What the engine holds, for a reader that reports it (GET /v1/topology):
 * the data center in use, the ledger of what plans hold on it (ledger.h),
 * and the loaded modules. All borrowed for the call only.
 */
struct vlt_ledger;
typedef struct vlt_engine_view {
	const vlt_dc_t *dc;
	const struct vlt_ledger *ledger;
	const vlt_modules_t *mods;
} vlt_engine_view_t;
typedef int (*vlt_engine_inspect_fn)(const vlt_engine_view_t *v, void *ctx, vlt_err_t *err);
/* Call fn on the engine's view under its lock (no placement changes it meanwhile). RET what fn returns. */
int vlt__engine_inspect(vlt_engine_t *e, vlt_engine_inspect_fn fn, void *ctx, vlt_err_t *err);

/*
 * ---- reading the sources again. A snapshot is a data center collected
 * anew, not in use yet. vlt__engine_collect may run while placements go
 * on (it touches nothing of the engine's but the sources, which it calls
 * in order); callers never run two at once. vlt__engine_swap puts a
 * snapshot in use with an empty ledger: the caller then holds again what
 * every plan holds (vlt__engine_hold), before anyone places.
 *
 * own lists the consumers (resource ids of reserved servers) that Valet
 * holds itself: their allocations are taken out of their hosts' used, so
 * their holds count them once (vlt__dc_credit). Borrowed for the call.
 */
typedef struct vlt_snapshot vlt_snapshot_t;
/* OUT snap - new, owned by the caller (vlt__snapshot_free, or the engine after a swap). */
int vlt__engine_collect(vlt_engine_t *e, vlt_snapshot_t **snap, vlt_err_t *err);
/* Takes snap (freed on failure too); the old data center and ledger are freed. RET 0 or VLT_ENOMEM. */
int vlt__engine_swap(vlt_engine_t *e, vlt_snapshot_t *snap, const char *const *own, size_t n_own,
		     vlt_err_t *err);
/* The data center in use again, with own credited, and an empty ledger. RET 0 or VLT_ENOMEM. */
int vlt__engine_rebase(vlt_engine_t *e, const char *const *own, size_t n_own, vlt_err_t *err);
void vlt__snapshot_free(vlt_snapshot_t *snap);
const vlt_dc_t *vlt__snapshot_dc(const vlt_snapshot_t *snap);

/*
 * Replace the named groups with those of doc ({"groups": [...], "retired":
 * [...]?}, borrowed). Retired groups were deleted while plans named them:
 * vlt__engine_hold still finds them, new plans do not.
 */
int vlt__engine_set_groups(vlt_engine_t *e, const json_t *doc, const char *where,
			   vlt_err_t *err);

/*
 * vlt__engine_place - place one plan request and hold its capacity.
 * IN  req    - the request (borrowed), contract section 2
 * IN  where  - the input's name for messages
 * IN  solver - a loaded solver's name, or NULL for the configured one
 * OUT result - new reference: the contract's per-plan object (stack_id,
 *              plan_name, status, placements, metrics)
 * RET 0 when placed; VLT_ENOPLACE when it cannot be placed, or VLT_E2BIG
 *     when the problem is beyond the solver's limit (result and err say
 *     why); another negative code for bad input or failure, with err
 *     (result untouched). Placing a stack_id that already holds capacity
 *     places it again under a new plan id ("<stack_id>#2", ...).
 */
int vlt__engine_place(vlt_engine_t *e, const json_t *req, const char *where,
		      const char *solver, json_t **result, vlt_err_t *err);

/*
 * vlt__engine_check - every check vlt__engine_plan makes of req before
 * placing it (the stack's structure, the policies' validate, the flavors'
 * limits), placing nothing: for a request with nothing to place, which is
 * refused for what it says all the same. RET 0 or as vlt__engine_plan.
 */
int vlt__engine_check(vlt_engine_t *e, const json_t *req, const char *where, vlt_err_t *err);

/* Release what a plan holds. RET 0 or VLT_ENOENT. */
int vlt__engine_release(vlt_engine_t *e, const char *plan_id);

/*
 * Locations one unit (by orchestration id, or name) is held to: indices
 * into the data center's hosts for a server, its pools for a volume
 * (vlt__dc_find_host / vlt__dc_find_pool turn names into them).
 */
typedef struct vlt_unit_locs {
	const char *orch;
	const uint32_t *locs;
	uint32_t n_locs;
} vlt_unit_locs_t;

/* What a placement may ask beyond the request itself; zero means "nothing". Borrowed. */
typedef struct vlt_place_opts {
	const char *plan_id;   /* hold under this id (NULL: the stack id, or "<stack id>#N") */
	const char *solver;    /* a loaded solver's name (NULL: the configured one) */
	const char *tenant_id; /* the caller's tenant, checked against groups' members */
	/*
	 * A plan whose holds this placement replaces (update, replan, migrate):
	 * they are released while solving, and restored if the new placement
	 * fails. The new placement is held under plan_id (which may equal it).
	 */
	const char *replaces;
	/* Keep these units at their one location (they must still fit). */
	const vlt_unit_locs_t *pinned;
	size_t n_pinned;
	/* These units may go only to these locations. */
	const vlt_unit_locs_t *allowed;
	size_t n_allowed;
	/* These units may not go to these locations. */
	const vlt_unit_locs_t *excluded;
	size_t n_excluded;
	/*
	 * Explain each placed unit in the result: what the solver's checks
	 * of its locations answered (the runner-up, the refusals per reason).
	 * Costs at most one more check per location the solver checks.
	 */
	bool explain;
} vlt_place_opts_t;

/* One placed unit of a result. */
typedef struct vlt_placed_unit {
	const char *orch;     /* orchestration id (the result's stack owns it) */
	const char *name;     /* the resource's name, or NULL */
	const char *type;     /* its Heat type */
	bool server;	      /* a server (loc is a host) or a volume (a pool) */
	uint32_t loc;	      /* index into the data center's hosts or pools */
	const char *location; /* that host's or pool's name (the data center's) */
	/* ---- with vlt_place_opts_t.explain (else zero) */
	bool explained;
	bool pinned;	       /* kept at its one allowed location */
	const char *runner_up; /* the best other location that fit (the data center's), or NULL */
	double cost, runner_up_cost; /* bandwidth cost there and at the runner-up */
	/* of the locations the solver checked for it: those that fit, all it checked; in all */
	uint32_t n_fit, n_seen, n_total;
} vlt_placed_unit_t;

/* A placement's outcome; owned by the caller (vlt__place_result_free). */
typedef struct vlt_place_result {
	bool placed;	  /* false: refused (VLT_ENOPLACE or VLT_E2BIG), message says why */
	char *message;	  /* "success", or why not */
	json_t *metrics;  /* the cycle's metrics (contract section 5) */
	vlt_placed_unit_t *units; /* every unit when placed, in the stack's order; else none */
	size_t n_units;
	vlt_stack_t *stack; /* the parsed request: stack id, plan name, the units' strings */
	const char *solver; /* the solver's name (the loaded module's) */
	/* with vlt_place_opts_t.explain when placed: {reason: locations refused}, over the units */
	json_t *refused;
} vlt_place_result_t;

void vlt__place_result_free(vlt_place_result_t *r);
/* The contract's per-plan object (stack_id, plan_name, status, placements, metrics); new reference or NULL. */
json_t *vlt__place_result_json(const vlt_place_result_t *r);
/* The unit of r with this orchestration id, or NULL. */
const vlt_placed_unit_t *vlt__place_result_unit(const vlt_place_result_t *r, const char *orch);

/*
 * vlt__engine_plan - place req with options (o may be NULL) and hold it.
 * OUT result - new, owned by the caller: set when placed (0) and when
 *              refused (VLT_ENOPLACE, VLT_E2BIG); untouched otherwise.
 * RET as vlt__engine_place. A pinned unit that no longer fits where it is,
 * or a location index the data center does not have, fails the placement
 * with a message naming it.
 */
int vlt__engine_plan(vlt_engine_t *e, const json_t *req, const char *where,
		     const vlt_place_opts_t *o, vlt_place_result_t **result, vlt_err_t *err);

/* vlt__engine_plan with the result as the contract's JSON object (new reference); same returns. */
int vlt__engine_place_opts(vlt_engine_t *e, const json_t *req, const char *where,
			   const vlt_place_opts_t *o, json_t **result, vlt_err_t *err);

/*
 * vlt__engine_hold - hold a placement decided earlier, without solving or
 * checking capacity (replaying what was acknowledged must not be refused
 * because the inventory shrank; a unit that no longer fits is held anyway
 * and logged). locations is {orch_id: host or pool name} (borrowed).
 * RET 0, VLT_EEXIST (plan_id holds already), VLT_EINVAL/VLT_ENOENT (bad
 * request or unknown location), with err.
 */
int vlt__engine_hold(vlt_engine_t *e, const json_t *req, const char *where, const char *plan_id,
		     const json_t *locations, vlt_err_t *err);

/*
 * ---- hosts over a window, for reservations of whole hosts (Blazar's
 * physical:host): which hosts are wholly free over an interval, to be held
 * whole by a timed plan with a server of an inline flavor of their free
 * capacity pinned to each.
 */
typedef struct vlt_host_window {
	/*
	 * A hold of Valet's is on the host at some time of the window: an
	 * ordinary one (held at every time) or a timed one overlapping it.
	 */
	bool held;
	/* enabled, running nothing outside Valet (not preloaded), and not held */
	bool vacant;
	/* the least it has free at any one time of the window, per resource */
	int64_t free[VLT_RES_COUNT];
} vlt_host_window_t;

/*
 * vlt__engine_hosts_over - every host of the data center in use over iv.
 * OUT out - new array of vlt__engine_dc(e)->n_hosts entries, in the data
 *           center's host order, owned by the caller (free()); the host's
 *           name and capacity are the data center's (valid until a swap).
 * RET 0, or VLT_ENOMEM / VLT_EINVAL (iv empty) with err.
 */
int vlt__engine_hosts_over(vlt_engine_t *e, const vlt_interval_t *iv, vlt_host_window_t **out,
			   vlt_err_t *err);

/* The named groups in force, as {"groups": [...]} (new reference). */
json_t *vlt__engine_groups(vlt_engine_t *e);

#endif /* VALET_CORE_ENGINE_H */
