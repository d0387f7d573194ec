/*
 * policy_affinity_plugin.c - the "affinity" group type: every member of a
 * group of level L shares one L-domain (one host, one rack, one cluster).
 *
 * The first member of a group may go anywhere; after that, the members
 * already placed (this cycle's and, for a named group, earlier plans') fix
 * the L-domain. The core's group_count gives both facts, so the policy keeps
 * no state of its own. Inside a rack or cluster group's domain, score
 * prefers the hosts that already hold members. Semantics in docs/policies.md.
 */
#include <stddef.h>
#include <stdint.h>

#include <valet/core.h>
#include <valet/plugin.h>
#include <valet/policy.h>

#include "policy_common.h"

/*
 * May a member of group `grp` (level L) go into domain dom of level lvl?
 * At or below L the answer is exact: the L-domain holding dom must hold the
 * members. Above L the lvl-domain must hold members (exact for servers; a
 * member volume there lets it pass optimistically). Members with no
 * L-domain (volumes, for a host-level group) fix nothing.
 */
static bool affinity_allows(const vlt_core_t *c, vlt_cycle_t *cy, const vlt_dc_t *dc,
			    const vlt_stack_t *stack, uint32_t grp, vlt_level_t level,
			    vlt_level_t lvl, uint32_t dom)
{
	uint32_t total = c->group_count(cy, grp, VLT_LEVEL_DC, 0);
	if (total == 0)
		return true; /* nobody placed yet: this unit chooses the domain */

	vlt_level_t at = lvl <= level ? level : lvl;
	uint32_t d;
	if (!pol_domain_up(dc, lvl, dom, at, &d))
		return true; /* no domain at that level (a pool outside every rack) */
	if (c->group_count(cy, grp, at, d) > 0)
		return true;
	/* Members placed so far may have no domain at this level: volumes have
	 * no host, and a pool may be outside every rack. Then nothing binds. */
	if (at == VLT_LEVEL_HOST)
		return c->group_servers(cy, grp, VLT_LEVEL_DC, 0) == 0;
	return total == pol_cycle_volumes(c, cy, stack, dc, grp, level, VLT_NONE);
}

static int affinity_filter(void *state, vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl,
			   uint32_t dom, char *why, size_t why_len)
{
	const struct pol_state *st = state;
	const vlt_core_t *c = st->core;
	const vlt_stack_t *stack = c->cycle_stack(cy);
	const vlt_dc_t *dc = c->cycle_dc(cy);
	const vlt_unit_t *u = pol_filter_args(stack, dc, unit, &lvl, &dom);

	if (u == NULL)
		return VLT_EINVAL;
	for (uint32_t i = 0; i < u->n_groups; i++) {
		const vlt_membership_t *m = &u->groups[i];
		if (!pol_applies(c->self_id, stack, u, m))
			continue;
		const vlt_group_t *g = &stack->groups[m->group];
		if (!affinity_allows(c, cy, dc, stack, m->group, g->level, lvl, dom)) {
			pol_why(why, why_len, "affinity(%s) %s", pol_level_name(g->level),
				pol_group_label(g));
			return VLT_REJECT;
		}
	}
	return VLT_PASS;
}

/*
 * The preference for a server on host loc: 1 for each of its affinity
 * groups above host level that already has a server there (this cycle's
 * or, for a named group, an earlier plan's). Such a group binds only its
 * rack or cluster; inside it, members on one host talk without crossing
 * the network and leave the other hosts whole, so a solver that ranks by
 * score gathers them. A host-level group needs no score: its filter allows
 * one host. Volumes sit on pools, which no host-level preference concerns.
 */
static int affinity_score(void *state, vlt_cycle_t *cy, uint32_t unit, uint32_t loc,
			  double *score)
{
	const struct pol_state *st = state;
	const vlt_core_t *c = st->core;
	const vlt_stack_t *stack = c->cycle_stack(cy);
	const vlt_dc_t *dc = c->cycle_dc(cy);

	*score = 0;
	if (stack == NULL || dc == NULL || unit >= stack->n_units)
		return VLT_EINVAL;
	const vlt_unit_t *u = &stack->units[unit];
	if (u->kind != VLT_UNIT_SERVER)
		return VLT_OK;
	if (loc >= dc->n_hosts)
		return VLT_EINVAL;
	for (uint32_t i = 0; i < u->n_groups; i++) {
		const vlt_membership_t *m = &u->groups[i];
		if (!pol_applies(c->self_id, stack, u, m) ||
		    stack->groups[m->group].level == VLT_LEVEL_HOST)
			continue;
		if (c->group_servers(cy, m->group, VLT_LEVEL_HOST, loc) > 0)
			*score += 1;
	}
	return VLT_OK;
}

/*
 * Affinity has no nesting rule of its own: it may hold, and sit inside,
 * groups of any type. Only the level and the tenant are checked.
 */
static int affinity_validate(void *state, const vlt_stack_t *stack, uint32_t group,
			     vlt_err_t *err)
{
	const struct pol_state *st = state;
	const vlt_group_t *g = NULL;
	int rc = pol_validate_common(st->core->self_id, stack, group, &g, err);

	if (rc < 0)
		return rc;
	return pol_validate_tenant(stack, g, err);
}

static const vlt_policy_ops_t affinity_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_POLICY, vlt_policy_ops_t, "affinity", "1.0.0",
				"group members share one host, rack or cluster"),
	.init = pol_init,
	.fini = pol_fini,
	.validate = affinity_validate,
	.prefilter = pol_prefilter_members,
	.filter = affinity_filter,
	.score = affinity_score,
};

VLT_PLUGIN_DEFINE(affinity_ops);
