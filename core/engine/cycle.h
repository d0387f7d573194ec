/*
 * cycle.h - one solve of one stack: the core side of the vlt_core_t cycle
 * callbacks (check, cost, score, assign, unassign, occupancy queries) and
 * the explanation of a failure.
 *
 * A cycle sees the ledger (what committed plans hold) plus its own
 * tentative assignments; nothing reaches the ledger until the engine
 * commits a successful cycle.
 */
#ifndef VALET_CORE_CYCLE_H
#define VALET_CORE_CYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <valet/core.h>
#include <valet/model.h>

#include "ledger.h"
#include "loader.h"

/*
 * vlt__cycle_new - start a cycle for stack on the ledger's data center.
 * Borrows ledger, stack and mods for the cycle's life; runs every policy's
 * prefilter. OUT cy - new, owned by the caller (vlt__cycle_free).
 */
int vlt__cycle_new(vlt_cycle_t **cy, vlt_ledger_t *ledger, const vlt_stack_t *stack,
		   vlt_modules_t *mods, vlt_err_t *err);
/* Frees the cycle; tentative assignments that were not committed are dropped. */
void vlt__cycle_free(vlt_cycle_t *cy);

/*
 * Restrict where a unit may go, for every solver alike (check() answers
 * for it): only to the given locations (allow; hosts, or pools for a
 * volume), or never to them (exclude). The arrays are copied. Several
 * calls accumulate. RET 0 or VLT_ENOMEM / VLT_EINVAL.
 */
int vlt__cycle_allow(vlt_cycle_t *cy, uint32_t unit, const uint32_t *locs, uint32_t n);
int vlt__cycle_exclude(vlt_cycle_t *cy, uint32_t unit, const uint32_t *locs, uint32_t n);

/*
 * Why a solved unit is where it is, as the solver saw it: of the locations
 * it checked one by one for the unit (each counted at its first check),
 * those that fit then, the cheapest of them other than the chosen one by
 * bandwidth cost with every unit where the solver put it (the runner-up),
 * and the refused ones per reason.
 */
typedef struct vlt_unit_explain {
	uint32_t runner_up;	/* a location index, VLT_NONE when no other one fit */
	double cost;		/* bandwidth cost at the chosen location, once solved */
	double runner_up_cost;	/* and at the runner-up, the other units where they are */
	uint32_t n_fit, n_seen; /* locations checked that fit, and checked at all */
	uint32_t n_total;	/* hosts (a server) or pools (a volume) */
} vlt_unit_explain_t;

/*
 * vlt__cycle_observe - from now on, note what each check() of a unit's
 * location answers (before the solve). Costs, per location a solver
 * checks, one more check at most (the first, worded). RET 0 or VLT_ENOMEM.
 */
int vlt__cycle_observe(vlt_cycle_t *cy);
/*
 * vlt__cycle_explain - after a successful observed solve: unit's
 * explanation, its refusals added to refused[reason] (an object,
 * borrowed). RET 0, VLT_EINVAL (not observed, not placed), VLT_ENOMEM.
 */
int vlt__cycle_explain(vlt_cycle_t *cy, uint32_t unit, vlt_unit_explain_t *out, json_t *refused);

/* Run a solver on the cycle: 0, VLT_ENOPLACE, VLT_E2BIG, or an error. */
int vlt__cycle_solve(vlt_cycle_t *cy, vlt_module_t *solver, vlt_err_t *err);
/*
 * The interval the stack's holds take (timeline.h; always when not
 * called). A timed cycle solves in the ledger's view of its interval
 * (vlt__ledger_project, the caller's), and its commit moves its servers'
 * capacity into their hosts' timelines; its refusals name the interval.
 */
void vlt__cycle_set_interval(vlt_cycle_t *cy, const vlt_interval_t *iv);
/* Move every assignment of a solved cycle into the ledger, under plan_id. */
int vlt__cycle_commit(vlt_cycle_t *cy, const char *plan_id, vlt_err_t *err);
/* Why the stack could not be placed (the contract's message); borrowed. */
const char *vlt__cycle_failure(const vlt_cycle_t *cy);
/* {"hosts_used", "bandwidth_cost", "cross_rack_mbps", "solve_ms", ...}: new reference. */
json_t *vlt__cycle_metrics(const vlt_cycle_t *cy);
/* Where unit went: host or pool index, VLT_NONE if unplaced. */
uint32_t vlt__cycle_location(const vlt_cycle_t *cy, uint32_t unit);

/* The vlt_core_t cycle callbacks. */
const vlt_dc_t *vlt__cycle_dc(vlt_cycle_t *cy);
const vlt_stack_t *vlt__cycle_stack(vlt_cycle_t *cy);
const vlt_view_t *vlt__cycle_view(vlt_cycle_t *cy);
int vlt__cycle_check(vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl, uint32_t dom);
double vlt__cycle_cost(vlt_cycle_t *cy, uint32_t unit, uint32_t loc);
double vlt__cycle_score(vlt_cycle_t *cy, uint32_t unit, uint32_t loc);
int vlt__cycle_assign(vlt_cycle_t *cy, uint32_t unit, uint32_t loc);
void vlt__cycle_unassign(vlt_cycle_t *cy, uint32_t unit);
void vlt__cycle_note_failure(vlt_cycle_t *cy, uint32_t unit);
void vlt__cycle_metric(vlt_cycle_t *cy, const char *name, double value);
uint32_t vlt__cycle_group_count(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl,
				uint32_t dom);
uint32_t vlt__cycle_group_servers(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl,
				  uint32_t dom);
uint32_t vlt__cycle_group_hosts(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom);
/* vlt_core_t.class_free and unit_classes (ABI 1.6). */
int64_t vlt__cycle_class_free(vlt_cycle_t *cy, uint32_t host, uint32_t rclass);
uint32_t vlt__cycle_unit_classes(vlt_cycle_t *cy, uint32_t unit, const vlt_class_demand_t **out);
uint32_t vlt__cycle_residents(vlt_cycle_t *cy, vlt_level_t lvl, uint32_t dom);
uint32_t vlt__cycle_policy_residents(const vlt_core_t *c, vlt_cycle_t *cy, vlt_level_t lvl,
				     uint32_t dom);

#endif /* VALET_CORE_CYCLE_H */
