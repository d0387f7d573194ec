/*
 * policy_common.h - small helpers the group-type policies (affinity,
 * diversity, exclusivity) share. Header only, every function static inline,
 * so each module stays one self-contained shared object that links nothing
 * of the core.
 *
 * Vocabulary used by the policies (docs/policies.md says more):
 *  - a membership of a unit "applies" to a policy when its group is handled
 *    by that policy and the unit can be located at the group's level;
 *  - the question filter() answers is asked at level lvl about domain dom;
 *    a group of level L decides exactly on the L-domain containing dom when
 *    lvl <= L, and optimistically when lvl > L.
 */
#ifndef VALET_POLICY_COMMON_H
#define VALET_POLICY_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/model.h>
#include <valet/policy.h>

/* A policy module's state: only the core's callback table for it. */
struct pol_state {
	const vlt_core_t *core; /* borrowed; lives as long as the module */
};

/*
 * pol_init - the shared init: the policies have no settings of their own
 * (the core reads "weight" itself).
 * OUT state - a new struct pol_state, freed by pol_fini
 * RET 0 or VLT_ENOMEM
 */
static inline int pol_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct pol_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "policy state: out of memory");
	st->core = core;
	*state = st;
	return VLT_OK;
}

/* Frees what pol_init made; NULL is a no-op. */
static inline void pol_fini(void *state)
{
	free(state);
}

static inline const char *pol_level_name(vlt_level_t lvl)
{
	switch (lvl) {
	case VLT_LEVEL_HOST:
		return "host";
	case VLT_LEVEL_RACK:
		return "rack";
	case VLT_LEVEL_CLUSTER:
		return "cluster";
	case VLT_LEVEL_DC:
		return "datacenter";
	default:
		return "unknown";
	}
}

/* How messages name a group: its name, else how the request named it. */
static inline const char *pol_group_label(const vlt_group_t *g)
{
	if (g->name != NULL)
		return g->name;
	if (g->ref != NULL)
		return g->ref;
	return "(anonymous)";
}

/* How messages name a unit: its name, else its orchestration id. */
static inline const char *pol_unit_label(const vlt_unit_t *u)
{
	if (u->name != NULL)
		return u->name;
	if (u->orch_id != NULL)
		return u->orch_id;
	return "(unnamed)";
}

/* Is g of the named type? (A module knows its own groups by self_id.) */
static inline bool pol_group_is(const vlt_group_t *g, const char *type)
{
	return g->type != NULL && strcmp(g->type, type) == 0;
}

/* Diversity and exclusivity may not nest in each other (upstream rule). */
static inline bool pol_group_is_strict(const vlt_group_t *g)
{
	return pol_group_is(g, "diversity") || pol_group_is(g, "exclusivity");
}

/* Write a short reject reason when the caller asked for one. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline void pol_why(char *why, size_t why_len, const char *fmt, ...)
{
	if (why == NULL || why_len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

/*
 * pol_domain_up - the up-domain (level up >= lvl) holding domain dom of
 * level lvl. False when dom is no domain of lvl (VLT_NONE: a storage pool
 * outside every rack or cluster) or up is below lvl: the unit has no
 * up-domain, so a group of level up has nothing to say about it there.
 */
static inline bool pol_domain_up(const vlt_dc_t *dc, vlt_level_t lvl, uint32_t dom,
				 vlt_level_t up, uint32_t *out)
{
	if (lvl > VLT_LEVEL_DC || up > VLT_LEVEL_DC || up < lvl)
		return false;
	if (dom >= vlt_level_size(dc, lvl))
		return false;
	uint32_t d = vlt_domain_up(dc, lvl, dom, up);
	if (d >= vlt_level_size(dc, up))
		return false;
	*out = d;
	return true;
}

/*
 * pol_where - where a question really is. Servers: unchanged. A volume
 * asked about at host level (dom then names a storage pool) is read at its
 * pool's rack, else its cluster, else the whole data center: a pool is on
 * no host, so host-level groups never constrain a volume.
 */
static inline void pol_where(const vlt_dc_t *dc, const vlt_unit_t *u, vlt_level_t *lvl,
			     uint32_t *dom)
{
	if (u->kind != VLT_UNIT_VOLUME || *lvl != VLT_LEVEL_HOST)
		return;
	if (*dom >= dc->n_pools) {
		*lvl = VLT_LEVEL_RACK;
		*dom = VLT_NONE;
		return;
	}
	const vlt_pool_t *p = &dc->pools[*dom];
	if (p->rack != VLT_NONE) {
		*lvl = VLT_LEVEL_RACK;
		*dom = p->rack;
	} else if (p->cluster != VLT_NONE) {
		*lvl = VLT_LEVEL_CLUSTER;
		*dom = p->cluster;
	} else {
		*lvl = VLT_LEVEL_DC;
		*dom = 0;
	}
}

/*
 * Does membership m of unit u concern the policy `self`? Its group must be
 * one of the policy's, and a volume is never held to a host-level group.
 */
static inline bool pol_applies(uint32_t self, const vlt_stack_t *stack, const vlt_unit_t *u,
			       const vlt_membership_t *m)
{
	if (m->group >= stack->n_groups)
		return false;
	const vlt_group_t *g = &stack->groups[m->group];
	if (g->policy != self)
		return false;
	return !(u->kind == VLT_UNIT_VOLUME && g->level == VLT_LEVEL_HOST);
}

/* Has unit u any membership that concerns the policy `self`? */
static inline bool pol_unit_concerned(uint32_t self, const vlt_stack_t *stack,
				      const vlt_unit_t *u)
{
	for (uint32_t i = 0; i < u->n_groups; i++)
		if (pol_applies(self, stack, u, &u->groups[i]))
			return true;
	return false;
}

/* The L-domain of storage pool p: VLT_NONE at host level or outside every rack/cluster. */
static inline uint32_t pol_pool_domain(const vlt_dc_t *dc, uint32_t p, vlt_level_t level)
{
	if (p >= dc->n_pools)
		return VLT_NONE;
	switch (level) {
	case VLT_LEVEL_RACK:
		return dc->pools[p].rack;
	case VLT_LEVEL_CLUSTER:
		return dc->pools[p].cluster;
	case VLT_LEVEL_DC:
		return 0;
	default:
		return VLT_NONE;
	}
}

static inline uint32_t pol_volumes_walk(const vlt_stack_t *stack, const uint32_t *placement,
					const vlt_dc_t *dc, uint32_t grp, vlt_level_t level,
					uint32_t d, uint32_t depth)
{
	if (grp >= stack->n_groups || depth > stack->n_groups)
		return 0;
	const vlt_group_t *g = &stack->groups[grp];
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->n_units; i++) {
		uint32_t u = g->units[i];
		if (u >= stack->n_units || stack->units[u].kind != VLT_UNIT_VOLUME ||
		    placement[u] == VLT_NONE)
			continue;
		if (pol_pool_domain(dc, placement[u], level) == d)
			n++;
	}
	for (uint32_t i = 0; i < g->n_children; i++)
		n += pol_volumes_walk(stack, placement, dc, g->children[i], level, d, depth + 1);
	return n;
}

/*
 * pol_cycle_volumes - the volume members of stack group grp (direct or
 * through child groups) that this cycle has placed in L-domain d of level
 * `level`; d == VLT_NONE counts those placed where there is no L-domain
 * (every volume at host level; a pool outside every rack at rack level).
 *
 * Why: the core's group_count counts a member volume at rack and cluster
 * level and in the data-center total, while residents count servers only.
 * Policies that compare the two, or read the total as "a member fixed the
 * domain", take this cycle's volumes back out. Volumes of earlier plans
 * cannot be seen here (docs/policies.md, "Volumes").
 */
static inline uint32_t pol_cycle_volumes(const vlt_core_t *c, vlt_cycle_t *cy,
					 const vlt_stack_t *stack, const vlt_dc_t *dc, uint32_t grp,
					 vlt_level_t level, uint32_t d)
{
	const vlt_view_t *view = c->cycle_view(cy);

	if (view == NULL || view->placement == NULL)
		return 0;
	return pol_volumes_walk(stack, view->placement, dc, grp, level, d, 0);
}

/*
 * pol_filter_args - the checks every filter starts with: a unit of the
 * stack, and the question moved to where the unit really is (pol_where).
 * RET the unit, or NULL when unit is no index of the stack.
 */
static inline const vlt_unit_t *pol_filter_args(const vlt_stack_t *stack, const vlt_dc_t *dc,
						uint32_t unit, vlt_level_t *lvl, uint32_t *dom)
{
	if (stack == NULL || dc == NULL || unit >= stack->n_units)
		return NULL;
	const vlt_unit_t *u = &stack->units[unit];
	pol_where(dc, u, lvl, dom);
	return u;
}

/*
 * pol_validate_common - the rules every group type shares, checked first:
 * the index names a group of this policy, and its level is a real one.
 * OUT g - the group (borrowed from stack)
 * RET 0 or VLT_EINVAL with err naming the group and the rule
 */
static inline int pol_validate_common(uint32_t self, const vlt_stack_t *stack, uint32_t group,
				      const vlt_group_t **g, vlt_err_t *err)
{
	if (group >= stack->n_groups)
		return vlt_err_set(err, VLT_EINVAL, "group #%u: no such group in the stack",
				   (unsigned)group);
	const vlt_group_t *grp = &stack->groups[group];
	if (grp->policy != self)
		return vlt_err_set(err, VLT_EINVAL, "group %s: type %s is not handled here",
				   pol_group_label(grp), grp->type ? grp->type : "(none)");
	if (grp->level > VLT_LEVEL_CLUSTER)
		return vlt_err_set(err, VLT_EINVAL,
				   "group %s: level must be host, rack or cluster",
				   pol_group_label(grp));
	*g = grp;
	return VLT_OK;
}

/*
 * pol_validate_not_nested - a diversity or exclusivity group may have no
 * diversity or exclusivity group among its ancestors (at any depth).
 * RET 0 or VLT_EINVAL naming both groups
 */
static inline int pol_validate_not_nested(const vlt_stack_t *stack, const vlt_group_t *g,
					  vlt_err_t *err)
{
	uint32_t p = g->parent;

	/* The walk is bounded so that a malformed parent cycle cannot hang it. */
	for (uint32_t steps = 0; p != VLT_NONE && p < stack->n_groups && steps < stack->n_groups;
	     steps++) {
		const vlt_group_t *a = &stack->groups[p];
		if (pol_group_is_strict(a))
			return vlt_err_set(err, VLT_EINVAL,
					   "group %s: %s may not be nested in %s group %s",
					   pol_group_label(g), g->type ? g->type : "group", a->type,
					   pol_group_label(a));
		p = a->parent;
	}
	return VLT_OK;
}

/*
 * pol_validate_tenant - a group that lists tenants may be used only by
 * them; a request whose tenant is not known cannot prove it is one.
 * RET 0 or VLT_EFORBIDDEN naming the tenant and the group
 */
static inline int pol_validate_tenant(const vlt_stack_t *stack, const vlt_group_t *g,
				      vlt_err_t *err)
{
	if (g->n_tenants == 0)
		return VLT_OK;
	if (stack->tenant_id == NULL)
		return vlt_err_set(err, VLT_EFORBIDDEN,
				   "group %s is restricted to its member tenants and the "
				   "request's tenant is unknown",
				   pol_group_label(g));
	for (uint32_t i = 0; i < g->n_tenants; i++)
		if (g->tenants[i] != NULL && strcmp(g->tenants[i], stack->tenant_id) == 0)
			return VLT_OK;
	return vlt_err_set(err, VLT_EFORBIDDEN, "tenant %s is not a member of group %s",
			   stack->tenant_id, pol_group_label(g));
}

/*
 * pol_prefilter_members - the prefilter of a policy whose rules bind only
 * its groups' members: VLT_SKIP for a unit in none of them (the fast path).
 */
static inline int pol_prefilter_members(void *state, vlt_cycle_t *cy, uint32_t unit)
{
	const struct pol_state *st = state;
	const vlt_stack_t *stack = st->core->cycle_stack(cy);

	if (stack == NULL || unit >= stack->n_units)
		return VLT_EINVAL;
	if (!pol_unit_concerned(st->core->self_id, stack, &stack->units[unit]))
		return VLT_SKIP;
	return VLT_PASS;
}

#endif /* VALET_POLICY_COMMON_H */
