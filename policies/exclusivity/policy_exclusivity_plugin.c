/*
 * policy_exclusivity_plugin.c - the "exclusivity" group type: the
 * L-domains that hold members of a (named) group of level L hold nothing
 * else: no server of another group or of no group, and no capacity used
 * before Valet (a preloaded host).
 *
 * Two sides of one rule:
 *  - a member goes only where everything resident is of its group, on no
 *    preloaded host;
 *  - any other unit keeps out of L-domains that hold members of some
 *    exclusivity group of level L (the core's policy_residents counts them).
 * The second side concerns every unit of every stack once an exclusivity
 * group exists, so the prefilter lets plain units skip only while no
 * exclusivity member exists anywhere. Semantics in docs/policies.md.
 */
#include <stddef.h>
#include <stdint.h>

#include <valet/core.h>
#include <valet/plugin.h>
#include <valet/policy.h>

#include "policy_common.h"

/* Does L-domain d hold a host that ran servers before Valet? */
static bool exclusivity_preloaded(const vlt_dc_t *dc, vlt_level_t level, uint32_t d)
{
	switch (level) {
	case VLT_LEVEL_HOST:
		return dc->hosts[d].preloaded;
	case VLT_LEVEL_RACK:
		return dc->racks[d].n_preloaded > 0;
	case VLT_LEVEL_CLUSTER:
		return dc->clusters[d].n_preloaded > 0;
	default:
		for (uint32_t h = 0; h < dc->n_hosts; h++)
			if (dc->hosts[h].preloaded)
				return true;
		return false;
	}
}

/*
 * May a member of exclusivity group grp (level L) go into domain dom of
 * level lvl? At or below L: only when the L-domain holding dom has no
 * preloaded host and every server in it is a member of grp (member volumes
 * sit on pools and are no residents, so members are counted as servers).
 * Above L some L-domain inside may still be empty: yes.
 */
static bool exclusivity_member_allows(const vlt_core_t *c, vlt_cycle_t *cy, const vlt_dc_t *dc,
				      uint32_t grp, vlt_level_t level,
				      vlt_level_t lvl, uint32_t dom)
{
	uint32_t d;

	if (lvl > level || !pol_domain_up(dc, lvl, dom, level, &d))
		return true;
	if (exclusivity_preloaded(dc, level, d))
		return false;
	uint32_t residents = c->residents(cy, level, d);
	if (residents == 0)
		return true; /* nothing else can be there */
	return residents == c->group_servers(cy, grp, level, d);
}

/*
 * May a unit that is in no exclusivity group of level L go into domain dom
 * of level lvl? Not when the L-domain holding dom holds members of an
 * exclusivity group of level L. Above L: yes (another L-domain may be free).
 */
static bool exclusivity_outsider_allows(const vlt_core_t *c, vlt_cycle_t *cy, const vlt_dc_t *dc,
					vlt_level_t level, vlt_level_t lvl, uint32_t dom)
{
	uint32_t d;

	if (lvl > level || !pol_domain_up(dc, lvl, dom, level, &d))
		return true;
	return c->policy_residents(c, cy, level, d) == 0;
}

static int exclusivity_filter(void *state, vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl,
			      uint32_t dom, char *why, size_t why_len)
{
	const struct pol_state *st = state;
	const vlt_core_t *c = st->core;
	const vlt_stack_t *stack = c->cycle_stack(cy);
	const vlt_dc_t *dc = c->cycle_dc(cy);
	const vlt_unit_t *u = pol_filter_args(stack, dc, unit, &lvl, &dom);
	bool member_at[VLT_LEVEL_COUNT] = { false };

	if (u == NULL)
		return VLT_EINVAL;
	for (uint32_t i = 0; i < u->n_groups; i++) {
		const vlt_membership_t *m = &u->groups[i];
		if (!pol_applies(c->self_id, stack, u, m))
			continue;
		const vlt_group_t *g = &stack->groups[m->group];
		if (g->level < VLT_LEVEL_COUNT)
			member_at[g->level] = true;
		if (!exclusivity_member_allows(c, cy, dc, m->group, g->level, lvl,
					       dom)) {
			pol_why(why, why_len, "exclusivity(%s) %s", pol_level_name(g->level),
				pol_group_label(g));
			return VLT_REJECT;
		}
	}
	for (vlt_level_t l = VLT_LEVEL_HOST; l <= VLT_LEVEL_CLUSTER; l++) {
		if (member_at[l] || exclusivity_outsider_allows(c, cy, dc, l, lvl, dom))
			continue;
		pol_why(why, why_len, "exclusivity(%s) held by another group", pol_level_name(l));
		return VLT_REJECT;
	}
	return VLT_PASS;
}

/* Has the stack any exclusivity group? */
static bool exclusivity_in_stack(uint32_t self, const vlt_stack_t *stack)
{
	for (uint32_t i = 0; i < stack->n_groups; i++)
		if (stack->groups[i].policy == self)
			return true;
	return false;
}

/*
 * Members always need asking. Any other unit needs asking only when an
 * exclusivity member exists somewhere (earlier plans) or may appear in this
 * cycle (the stack has an exclusivity group): otherwise the fast path.
 */
static int exclusivity_prefilter(void *state, vlt_cycle_t *cy, uint32_t unit)
{
	const struct pol_state *st = state;
	const vlt_core_t *c = st->core;
	const vlt_stack_t *stack = c->cycle_stack(cy);

	if (stack == NULL || unit >= stack->n_units)
		return VLT_EINVAL;
	if (pol_unit_concerned(c->self_id, stack, &stack->units[unit]))
		return VLT_PASS;
	if (exclusivity_in_stack(c->self_id, stack))
		return VLT_PASS;
	if (c->policy_residents(c, cy, VLT_LEVEL_DC, 0) > 0)
		return VLT_PASS;
	return VLT_SKIP;
}

/*
 * At most one exclusivity group per unit per level: look at every unit
 * that group g holds, directly or through child groups, for a second
 * exclusivity group of g's level.
 */
static int exclusivity_validate_single(uint32_t self, const vlt_stack_t *stack,
				       const vlt_group_t *g, vlt_err_t *err)
{
	for (uint32_t i = 0; i < stack->n_units; i++) {
		const vlt_unit_t *u = &stack->units[i];
		bool in_g = false;
		const vlt_group_t *other = NULL;

		for (uint32_t k = 0; k < u->n_groups; k++) {
			uint32_t id = u->groups[k].group;
			if (id >= stack->n_groups)
				continue;
			const vlt_group_t *h = &stack->groups[id];
			if (h == g)
				in_g = true;
			else if (h->policy == self && h->level == g->level && other == NULL)
				other = h;
		}
		if (in_g && other != NULL)
			return vlt_err_set(err, VLT_EINVAL,
					   "group %s: unit %s is in two exclusivity groups at "
					   "level %s (%s and %s); at most one is allowed",
					   pol_group_label(g), pol_unit_label(u),
					   pol_level_name(g->level), pol_group_label(g),
					   pol_group_label(other));
	}
	return VLT_OK;
}

/*
 * Exclusivity needs a name (it reserves domains across plans), may not sit
 * inside diversity or exclusivity, may not share a unit with another
 * exclusivity group of its level, and may be restricted to tenants.
 */
static int exclusivity_validate(void *state, const vlt_stack_t *stack, uint32_t group,
				vlt_err_t *err)
{
	const struct pol_state *st = state;
	const vlt_group_t *g = NULL;
	int rc = pol_validate_common(st->core->self_id, stack, group, &g, err);

	if (rc < 0)
		return rc;
	if (g->name == NULL || g->name[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL,
				   "group %s: exclusivity needs a name (group_name)",
				   pol_group_label(g));
	rc = pol_validate_not_nested(stack, g, err);
	if (rc < 0)
		return rc;
	rc = exclusivity_validate_single(st->core->self_id, stack, g, err);
	if (rc < 0)
		return rc;
	return pol_validate_tenant(stack, g, err);
}

static const vlt_policy_ops_t exclusivity_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_POLICY, vlt_policy_ops_t, "exclusivity", "1.0.0",
				"hosts, racks or clusters held by one group alone"),
	.init = pol_init,
	.fini = pol_fini,
	.validate = exclusivity_validate,
	.prefilter = exclusivity_prefilter,
	.filter = exclusivity_filter,
};

VLT_PLUGIN_DEFINE(exclusivity_ops);
