/*
 * engine.h - places plan requests: the data center the sources describe,
 * the ledger of what plans hold, the named groups, and the loaded policies
 * and solvers. Used by valetd and by `valet simulate`.
 */
#ifndef VALET_CORE_ENGINE_H
#define VALET_CORE_ENGINE_H

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

/* Replace the named groups with those of doc ({"groups": [...]}, borrowed). */
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

/* Release what a plan holds. RET 0 or VLT_ENOENT. */
int vlt__engine_release(vlt_engine_t *e, const char *plan_id);

/* What a placement may ask beyond the request itself; zero means "nothing". */
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
	/* {orch_id: location}: keep these units there (they must still fit). */
	const json_t *pinned;
	/* {orch_id: [host, ...]}: these units may go only to these hosts. */
	const json_t *allowed;
	/* {orch_id: [host, ...]}: these units may not go to these hosts. */
	const json_t *excluded;
} vlt_place_opts_t;

/*
 * vlt__engine_place_opts - vlt__engine_place with options (o may be NULL).
 * Same returns. A pinned unit that no longer fits where it is, or a location
 * that does not exist, fails the placement with a message naming it.
 */
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

/* The named groups in force, as {"groups": [...]} (new reference). */
json_t *vlt__engine_groups(vlt_engine_t *e);

#endif /* VALET_CORE_ENGINE_H */
