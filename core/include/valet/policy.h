/*
 * valet/policy.h - policies: one module per group type ("affinity",
 * "diversity", "exclusivity", or a vendor's own). A group of type T in a
 * request is handled by the loaded policy named T; a request naming a type
 * no policy handles is refused.
 *
 * Policies answer through the core, so every solver honours every policy
 * without knowing it: the core's check() asks each policy's filter, and the
 * occupancy callbacks (group_count, residents, policy_residents) give a
 * policy what it needs to decide.
 *
 * Verdicts (enum vlt_verdict, valet/core.h) are non-negative; a negative
 * return is an error that aborts the cycle.
 */
#ifndef VALET_POLICY_H
#define VALET_POLICY_H

#include <stddef.h>

#include <valet/core.h>
#include <valet/plugin.h>

typedef struct vlt_policy_ops {
	vlt_plugin_info_t info; /* MUST be first */

	/* Mandatory. */
	int (*init)(const vlt_core_t *core, void **state, vlt_err_t *err);
	void (*fini)(void *state); /* accepts NULL */
	/*
	 * Mandatory. Is stack->groups[group], a group of this policy's type,
	 * well formed: nesting rules, level, name, tenant membership? On a
	 * broken rule return VLT_EINVAL (or VLT_EFORBIDDEN for a tenant that
	 * may not use the group) with a message naming the group and the rule.
	 */
	int (*validate)(void *state, const vlt_stack_t *stack, uint32_t group, vlt_err_t *err);

	/*
	 * Optional. Called once per unit when a cycle starts: VLT_SKIP when
	 * filter need never be asked about this unit in this cycle (the fast
	 * path for units outside every group), VLT_PASS otherwise.
	 */
	int (*prefilter)(void *state, vlt_cycle_t *cy, uint32_t unit);
	/*
	 * Mandatory. May unit go into domain dom of level lvl, given the
	 * current occupancy? Above the host level answer VLT_REJECT only when
	 * no host inside can be right. When why is not NULL and the answer is
	 * VLT_REJECT, write a short reason such as "diversity(host) web-div".
	 */
	int (*filter)(void *state, vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl, uint32_t dom,
		      char *why, size_t why_len);
	/*
	 * Optional. A preference for loc (a host for a server, a pool for a
	 * volume), higher is better; never a rule, filter decides that. The
	 * core multiplies it by the policy's weight and sums over policies;
	 * ostro ranks hosts by the sum after bandwidth cost.
	 */
	int (*score)(void *state, vlt_cycle_t *cy, uint32_t unit, uint32_t loc, double *score);
	/* Optional. Incremental state, told of every assign and unassign. */
	void (*assign)(void *state, vlt_cycle_t *cy, uint32_t unit, uint32_t loc);
	void (*unassign)(void *state, vlt_cycle_t *cy, uint32_t unit, uint32_t loc);

	/* ABI 1.1+: append new members below this line only. */
} vlt_policy_ops_t;

#endif /* VALET_POLICY_H */
