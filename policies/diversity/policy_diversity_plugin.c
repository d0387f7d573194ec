/*
 * policy_diversity_plugin.c - the "diversity" group type: the members of a
 * group of level L sit in different L-domains. A member may be a child
 * group: the L-domains one child uses and those another uses are disjoint,
 * while the units of one child may share domains among themselves (their
 * own group type decides that).
 *
 * A named group's members from earlier plans count through the core's
 * group_count, so later plans keep away from them. Semantics in
 * docs/policies.md.
 */
#include <stddef.h>
#include <stdint.h>

#include <valet/core.h>
#include <valet/plugin.h>
#include <valet/policy.h>

#include "policy_common.h"

/* Does every host of rack or cluster dom hold a member of host-level group m->group? */
static bool no_host_left(const vlt_core_t *c, vlt_cycle_t *cy, const vlt_dc_t *dc,
			 const vlt_membership_t *m, vlt_level_t level, vlt_level_t lvl,
			 uint32_t dom)
{
	const vlt_domain_t *d;

	if (level != VLT_LEVEL_HOST || m->via != VLT_NONE || c->abi_minor < 5 ||
	    c->group_hosts == NULL)
		return false;
	if (lvl == VLT_LEVEL_RACK && dom < dc->n_racks)
		d = &dc->racks[dom];
	else if (lvl == VLT_LEVEL_CLUSTER && dom < dc->n_clusters)
		d = &dc->clusters[dom];
	else
		return false;
	return d->n_hosts > 0 && c->group_hosts(cy, m->group, lvl, dom) >= d->n_hosts;
}

/*
 * May the unit, a member of group m->group (level L) directly or through
 * child group m->via, go into domain dom of level lvl? At or below L: not
 * when the L-domain holding dom already holds a member outside the unit's
 * own child group. Above L some L-domain inside may still be free, so the
 * answer there is yes, unless L is the host and every host inside already
 * holds a member (a direct one: a child group's members may share hosts):
 * descending there could only be refused host by host.
 */
static bool diversity_allows(const vlt_core_t *c, vlt_cycle_t *cy, const vlt_dc_t *dc,
			     const vlt_membership_t *m, vlt_level_t level, vlt_level_t lvl,
			     uint32_t dom)
{
	uint32_t d;

	if (lvl > level)
		return !no_host_left(c, cy, dc, m, level, lvl, dom);
	if (!pol_domain_up(dc, lvl, dom, level, &d))
		return true;
	uint32_t members = c->group_count(cy, m->group, level, d);
	uint32_t own = m->via != VLT_NONE ? c->group_count(cy, m->via, level, d) : 0;
	return members <= own;
}

static int diversity_filter(void *state, vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl,
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
		if (!diversity_allows(c, cy, dc, m, g->level, lvl, dom)) {
			pol_why(why, why_len, "diversity(%s) %s", pol_level_name(g->level),
				pol_group_label(g));
			return VLT_REJECT;
		}
	}
	return VLT_PASS;
}

/*
 * Diversity may not sit inside diversity or exclusivity (at any depth),
 * then the tenant check. Named or anonymous groups are both fine.
 */
static int diversity_validate(void *state, const vlt_stack_t *stack, uint32_t group,
			      vlt_err_t *err)
{
	const struct pol_state *st = state;
	const vlt_group_t *g = NULL;
	int rc = pol_validate_common(st->core->self_id, stack, group, &g, err);

	if (rc < 0)
		return rc;
	rc = pol_validate_not_nested(stack, g, err);
	if (rc < 0)
		return rc;
	return pol_validate_tenant(stack, g, err);
}

static const vlt_policy_ops_t diversity_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_POLICY, vlt_policy_ops_t, "diversity", "1.0.0",
				"group members on different hosts, racks or clusters"),
	.init = pol_init,
	.fini = pol_fini,
	.validate = diversity_validate,
	.prefilter = pol_prefilter_members,
	.filter = diversity_filter,
};

VLT_PLUGIN_DEFINE(diversity_ops);
