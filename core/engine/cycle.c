/*
 * cycle.c - one solve of one stack on the ledger.
 *
 * Assignments are applied to the ledger's arrays at once (so the view the
 * solver reads is always current) and recorded per unit; a cycle that is
 * not committed takes them all back when freed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "dc.h"
#include "extra_specs.h"
#include "rclass.h"
#include "unit_limits.h"

/* Ranking weight of a volume attachment (no bandwidth reserved) per level crossed. */
#define ATTACH_WEIGHT 1e-3
#define AZ_UNKNOWN (VLT_NONE - 1)
#define REASON_MAX 128

/*
 * The traits a server's flavor asks (trait:NAME=required|forbidden) as
 * the data center's trait ids: ids[0, n_required) required, the rest
 * forbidden. absent names a required trait no host has (so none fits).
 */
typedef struct vlt_unit_traits {
	uint32_t *ids;
	uint32_t n_required;
	uint32_t n;
	const char *absent; /* borrowed from the unit's extra specs */
} vlt_unit_traits_t;

/* A sorted set of locations (host or pool indices). */
typedef struct vlt_locset {
	uint32_t *locs;
	uint32_t n;
	bool on; /* the set applies (an empty allowed set allows nothing) */
} vlt_locset_t;

struct vlt_cycle {
	vlt_ledger_t *l;
	const vlt_dc_t *dc;
	const vlt_stack_t *stack;
	vlt_modules_t *mods;
	uint32_t n_policies;
	vlt_view_t view;
	uint32_t *placement;    /* per unit */
	vlt_hold_t *holds;      /* per unit, loc filled when assigned */
	vlt_occ_t **group_occ;  /* per stack group */
	bool *group_owned;      /* anonymous groups' occupancy belongs to the cycle */
	uint8_t *relevant;      /* [unit * n_policies + p]: ask policy p about unit */
	uint32_t *unit_az;      /* az_id, VLT_NONE (any) or AZ_UNKNOWN */
	uint8_t **spec_cache;   /* per unit: NULL, or per host 0 unknown 1 pass 2 fail */
	uint8_t *has_specs;     /* per unit */
	vlt_unit_traits_t *traits; /* per unit */
	uint8_t *has_classes;   /* per unit: asks an extra resource class */
	const char **class_absent; /* per unit: a class it asks that no host has, or NULL */
	vlt_locset_t *allowed;  /* per unit, or NULL when no unit is restricted */
	vlt_locset_t *excluded;
	char *failure;
	json_t *metrics;
	double solve_ms;
	bool committed;
	vlt_interval_t interval; /* the stack's holds' (timeline.h): always unless timed */
	struct unit_seen *seen; /* per unit when observed (vlt__cycle_observe), else NULL */
};

/*
 * What the solver saw of one unit at host (pool) level: each location
 * counted once, at the first check of it; those that fit, in that order.
 */
typedef struct unit_seen {
	uint8_t *done; /* bitmap over the unit's locations; NULL until the first check */
	uint32_t *fits;
	uint32_t n_fit, cap_fit, n_seen;
	json_t *refused; /* {reason: locations} */
} unit_seen_t;

/* ---------------------------------------------------------------- set-up */

static int add_policy_level(vlt_hold_t *h, uint32_t policy, vlt_level_t lvl)
{
	for (uint32_t i = 0; i < h->n_policy_levels; i++)
		if (h->policy_levels[2 * i] == policy && h->policy_levels[2 * i + 1] == lvl)
			return VLT_OK;
	uint8_t *pl = realloc(h->policy_levels, 2 * (h->n_policy_levels + 1));
	if (pl == NULL)
		return VLT_ENOMEM;
	pl[2 * h->n_policy_levels] = (uint8_t)policy;
	pl[2 * h->n_policy_levels + 1] = (uint8_t)lvl;
	h->policy_levels = pl;
	h->n_policy_levels++;
	return VLT_OK;
}

static int prepare_groups(vlt_cycle_t *cy)
{
	const vlt_stack_t *st = cy->stack;

	cy->group_occ = calloc(st->n_groups + 1, sizeof(*cy->group_occ));
	cy->group_owned = calloc(st->n_groups + 1, sizeof(*cy->group_owned));
	if (cy->group_occ == NULL || cy->group_owned == NULL)
		return VLT_ENOMEM;
	for (uint32_t g = 0; g < st->n_groups; g++) {
		const vlt_group_t *grp = &st->groups[g];
		if (grp->name != NULL) {
			cy->group_occ[g] = vlt__ledger_occ(cy->l, grp->key);
		} else {
			cy->group_occ[g] = vlt__occ_new(NULL);
			cy->group_owned[g] = true;
		}
		if (cy->group_occ[g] == NULL)
			return VLT_ENOMEM;
	}
	return VLT_OK;
}

static uint32_t find_az(const vlt_dc_t *dc, const char *az)
{
	if (az == NULL)
		return VLT_NONE;
	for (uint32_t i = 0; i < dc->n_azs; i++)
		if (strcmp(dc->azs[i], az) == 0)
			return i;
	return AZ_UNKNOWN;
}

/* The traits unit u's flavor asks, as ids; a forbidden trait no host has asks nothing. */
static int prepare_traits(vlt_cycle_t *cy, uint32_t u)
{
	const vlt_unit_t *unit = &cy->stack->units[u];
	vlt_unit_traits_t *t = &cy->traits[u];
	const char *name;
	bool required;

	t->ids = calloc(unit->n_extra_specs + 1, sizeof(*t->ids));
	if (t->ids == NULL)
		return VLT_ENOMEM;
	for (int pass = 0; pass < 2; pass++) { /* the required first, then the forbidden */
		for (uint32_t i = 0; i < unit->n_extra_specs; i++) {
			if (!vlt__spec_trait(&unit->extra_specs[i], &name, &required) ||
			    required != (pass == 0))
				continue;
			uint32_t id = vlt__dc_trait_id(cy->dc, name);

			if (id != VLT_NONE)
				t->ids[t->n++] = id;
			else if (required && t->absent == NULL)
				t->absent = name;
		}
		if (pass == 0)
			t->n_required = t->n;
	}
	return VLT_OK;
}

/*
 * The extra resource classes unit u's flavor asks, as class ids in its
 * hold; the first one no host has is noted instead (nothing fits it).
 */
static int prepare_classes(vlt_cycle_t *cy, uint32_t u)
{
	const vlt_unit_t *unit = &cy->stack->units[u];
	vlt_hold_t *h = &cy->holds[u];
	int64_t standard[VLT_RES_COUNT] = { 0 }; /* the stack's demand has them already */
	vlt_rclass_ask_t *asks;
	uint32_t n;

	if (unit->n_extra_specs == 0)
		return VLT_OK;
	asks = calloc(unit->n_extra_specs, sizeof(*asks));
	h->classes = calloc(unit->n_extra_specs, sizeof(*h->classes));
	if (asks == NULL || h->classes == NULL) {
		free(asks);
		return VLT_ENOMEM;
	}
	n = vlt__rclass_read_specs(unit->extra_specs, unit->n_extra_specs, standard, asks);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = vlt__dc_class_id(cy->dc, asks[i].name);

		if (id != VLT_NONE)
			h->classes[h->n_classes++] = (vlt_class_demand_t){ id, asks[i].amount };
		else if (cy->class_absent[u] == NULL)
			cy->class_absent[u] = asks[i].name;
	}
	cy->has_classes[u] = n > 0;
	free(asks);
	return VLT_OK;
}

static int prepare_units(vlt_cycle_t *cy)
{
	const vlt_stack_t *st = cy->stack;
	uint32_t n = st->n_units ? st->n_units : 1;

	cy->placement = malloc(n * sizeof(*cy->placement));
	cy->holds = calloc(n, sizeof(*cy->holds));
	cy->unit_az = calloc(n, sizeof(*cy->unit_az));
	cy->spec_cache = calloc(n, sizeof(*cy->spec_cache));
	cy->has_specs = calloc(n, sizeof(*cy->has_specs));
	cy->traits = calloc(n, sizeof(*cy->traits));
	cy->has_classes = calloc(n, sizeof(*cy->has_classes));
	cy->class_absent = calloc(n, sizeof(*cy->class_absent));
	if (!cy->placement || !cy->holds || !cy->unit_az || !cy->spec_cache || !cy->has_specs ||
	    !cy->traits || !cy->has_classes || !cy->class_absent)
		return VLT_ENOMEM;
	for (uint32_t u = 0; u < st->n_units; u++) {
		const vlt_unit_t *unit = &st->units[u];
		vlt_hold_t *h = &cy->holds[u];
		cy->placement[u] = VLT_NONE;
		cy->unit_az[u] = find_az(cy->dc, unit->az);
		cy->has_specs[u] = unit->kind == VLT_UNIT_SERVER &&
				   vlt__specs_relevant(unit->extra_specs, unit->n_extra_specs);
		h->kind = unit->kind;
		h->loc = VLT_NONE;
		memcpy(h->demand, unit->demand, sizeof(h->demand));
		h->occs = calloc(unit->n_groups + 1, sizeof(*h->occs));
		if (h->occs == NULL ||
		    (unit->kind == VLT_UNIT_SERVER &&
		     (prepare_traits(cy, u) < 0 || prepare_classes(cy, u) < 0)))
			return VLT_ENOMEM;
		for (uint32_t i = 0; i < unit->n_groups; i++) {
			const vlt_group_t *g = &st->groups[unit->groups[i].group];
			h->occs[h->n_occs++] = cy->group_occ[g->id];
			if (g->policy < cy->n_policies &&
			    add_policy_level(h, g->policy, g->level) < 0)
				return VLT_ENOMEM;
		}
	}
	return VLT_OK;
}

/* Ask each policy once per unit whether it has anything to say about it. */
static int prefilter_units(vlt_cycle_t *cy, vlt_err_t *err)
{
	uint32_t n = cy->stack->n_units * cy->n_policies;

	cy->relevant = calloc(n ? n : 1, 1);
	if (cy->relevant == NULL)
		return VLT_ENOMEM;
	for (uint32_t p = 0; p < cy->n_policies; p++) {
		vlt_module_t *m = &cy->mods->policies[p];
		for (uint32_t u = 0; u < cy->stack->n_units; u++) {
			int v = VLT_PASS;
			if (m->ops.policy->prefilter != NULL)
				v = m->ops.policy->prefilter(m->state, cy, u);
			if (v < 0)
				return vlt_err_set(err, v, "policy %s: prefilter failed: %s",
						   m->name, vlt_strerror(v));
			cy->relevant[u * cy->n_policies + p] = v != VLT_SKIP;
		}
	}
	return VLT_OK;
}

static void set_view(vlt_cycle_t *cy)
{
	vlt_ledger_t *l = cy->l;

	cy->view = (vlt_view_t){
		.host_free = (const int64_t(*)[VLT_RES_COUNT])l->host_free,
		.rack_max_free = (const int64_t(*)[VLT_RES_COUNT])l->rack_max_free,
		.cluster_max_free = (const int64_t(*)[VLT_RES_COUNT])l->cluster_max_free,
		.rack_free = (const int64_t(*)[VLT_RES_COUNT])l->rack_free,
		.cluster_free = (const int64_t(*)[VLT_RES_COUNT])l->cluster_free,
		.host_nic_free_mbps = l->host_nic_free,
		.rack_uplink_free_mbps = l->rack_uplink_free,
		.cluster_uplink_free_mbps = l->cluster_uplink_free,
		.host_residents = l->residents[VLT_LEVEL_HOST],
		.pool_free_gb = l->pool_free_gb,
		.placement = cy->placement,
	};
}

int vlt__cycle_new(vlt_cycle_t **out, vlt_ledger_t *ledger, const vlt_stack_t *stack,
		   vlt_modules_t *mods, vlt_err_t *err)
{
	vlt_cycle_t *cy = calloc(1, sizeof(*cy));
	int rc;

	if (cy == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "cycle: out of memory");
	cy->l = ledger;
	cy->dc = ledger->dc;
	cy->interval = vlt__interval_always;
	cy->stack = stack;
	cy->mods = mods;
	cy->n_policies = (uint32_t)mods->n_policies;
	cy->metrics = json_object();
	if (cy->metrics == NULL || (rc = prepare_groups(cy)) < 0 || (rc = prepare_units(cy)) < 0) {
		vlt__cycle_free(cy);
		return vlt_err_set(err, VLT_ENOMEM, "cycle: out of memory");
	}
	set_view(cy);
	rc = prefilter_units(cy, err);
	if (rc < 0) {
		vlt__cycle_free(cy);
		return rc == VLT_ENOMEM ? vlt_err_set(err, rc, "cycle: out of memory") : rc;
	}
	*out = cy;
	return VLT_OK;
}

void vlt__cycle_free(vlt_cycle_t *cy)
{
	if (cy == NULL)
		return;
	if (!cy->committed && cy->placement != NULL && cy->holds != NULL)
		for (uint32_t u = cy->stack->n_units; u-- > 0;)
			vlt__cycle_unassign(cy, u);
	for (uint32_t u = 0; cy->holds != NULL && u < cy->stack->n_units; u++) {
		free(cy->holds[u].classes);
		free(cy->holds[u].occs);
		free(cy->holds[u].policy_levels);
	}
	for (uint32_t u = 0; cy->spec_cache != NULL && u < cy->stack->n_units; u++)
		free(cy->spec_cache[u]);
	for (uint32_t u = 0; cy->traits != NULL && u < cy->stack->n_units; u++)
		free(cy->traits[u].ids);
	free(cy->traits);
	free(cy->has_classes);
	free(cy->class_absent);
	for (uint32_t u = 0; cy->seen != NULL && u < cy->stack->n_units; u++) {
		free(cy->seen[u].done);
		free(cy->seen[u].fits);
		json_decref(cy->seen[u].refused);
	}
	free(cy->seen);
	for (uint32_t g = 0; cy->group_occ != NULL && g < cy->stack->n_groups; g++)
		if (cy->group_owned[g])
			vlt__occ_free(cy->group_occ[g]);
	free(cy->group_occ);
	free(cy->group_owned);
	free(cy->holds);
	free(cy->placement);
	free(cy->unit_az);
	free(cy->spec_cache);
	free(cy->has_specs);
	for (uint32_t u = 0; u < cy->stack->n_units; u++) {
		if (cy->allowed != NULL)
			free(cy->allowed[u].locs);
		if (cy->excluded != NULL)
			free(cy->excluded[u].locs);
	}
	free(cy->allowed);
	free(cy->excluded);
	free(cy->relevant);
	free(cy->failure);
	json_decref(cy->metrics);
	free(cy);
}

/* ---------------------------------------------------------------- accessors */

const vlt_dc_t *vlt__cycle_dc(vlt_cycle_t *cy)
{
	return cy->dc;
}

const vlt_stack_t *vlt__cycle_stack(vlt_cycle_t *cy)
{
	return cy->stack;
}

const vlt_view_t *vlt__cycle_view(vlt_cycle_t *cy)
{
	return &cy->view;
}

uint32_t vlt__cycle_location(const vlt_cycle_t *cy, uint32_t unit)
{
	return unit < cy->stack->n_units ? cy->placement[unit] : VLT_NONE;
}

const char *vlt__cycle_failure(const vlt_cycle_t *cy)
{
	return cy->failure;
}

uint32_t vlt__cycle_group_count(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom)
{
	if (group >= cy->stack->n_groups)
		return 0;
	return vlt__occ_count(cy->group_occ[group], lvl, dom);
}

uint32_t vlt__cycle_group_servers(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl,
				  uint32_t dom)
{
	if (group >= cy->stack->n_groups)
		return 0;
	return vlt__occ_servers(cy->group_occ[group], lvl, dom);
}

uint32_t vlt__cycle_group_hosts(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom)
{
	if (group >= cy->stack->n_groups)
		return 0;
	return vlt__occ_hosts(cy->group_occ[group], lvl, dom);
}

uint32_t vlt__cycle_residents(vlt_cycle_t *cy, vlt_level_t lvl, uint32_t dom)
{
	if (lvl >= VLT_LEVEL_DC)
		return cy->l->residents_total;
	return cy->l->residents[lvl][dom];
}

uint32_t vlt__cycle_policy_residents(const vlt_core_t *c, vlt_cycle_t *cy, vlt_level_t lvl,
				     uint32_t dom)
{
	uint32_t p = c->self_id;

	if (p >= cy->l->n_policies)
		return 0;
	if (lvl >= VLT_LEVEL_DC)
		return cy->l->policy_res_total[p];
	return cy->l->policy_res[p * VLT_LEVEL_DC + lvl][dom];
}

int64_t vlt__cycle_class_free(vlt_cycle_t *cy, uint32_t host, uint32_t rclass)
{
	if (host >= cy->dc->n_hosts || rclass >= cy->dc->n_classes ||
	    vlt__dc_host_class_capacity(cy->dc, host, rclass) == VLT_CLASS_ABSENT)
		return -1;
	return cy->l->class_free[(size_t)host * cy->dc->n_classes + rclass];
}

uint32_t vlt__cycle_unit_classes(vlt_cycle_t *cy, uint32_t unit, const vlt_class_demand_t **out)
{
	if (unit >= cy->stack->n_units || cy->holds[unit].n_classes == 0) {
		*out = NULL;
		return 0;
	}
	*out = cy->holds[unit].classes;
	return cy->holds[unit].n_classes;
}

void vlt__cycle_metric(vlt_cycle_t *cy, const char *name, double value)
{
	json_object_set_new(cy->metrics, name, json_real(value));
}

/* ---------------------------------------------------------------- restrictions */

static int cmp_loc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int locset_add(vlt_cycle_t *cy, vlt_locset_t **sets, uint32_t u, const uint32_t *locs,
		      uint32_t n)
{
	const vlt_stack_t *st = cy->stack;

	if (u >= st->n_units)
		return VLT_EINVAL;
	uint32_t limit = st->units[u].kind == VLT_UNIT_SERVER ? cy->dc->n_hosts : cy->dc->n_pools;
	for (uint32_t i = 0; i < n; i++)
		if (locs[i] >= limit)
			return VLT_EINVAL;
	if (*sets == NULL && (*sets = calloc(st->n_units, sizeof(**sets))) == NULL)
		return VLT_ENOMEM;
	vlt_locset_t *set = &(*sets)[u];
	uint32_t *grown = realloc(set->locs, (set->n + n + 1) * sizeof(*grown));
	if (grown == NULL)
		return VLT_ENOMEM;
	memcpy(grown + set->n, locs, n * sizeof(*locs));
	set->locs = grown;
	set->n += n;
	set->on = true;
	qsort(set->locs, set->n, sizeof(*set->locs), cmp_loc);
	return VLT_OK;
}

int vlt__cycle_allow(vlt_cycle_t *cy, uint32_t unit, const uint32_t *locs, uint32_t n)
{
	return locset_add(cy, &cy->allowed, unit, locs, n);
}

int vlt__cycle_exclude(vlt_cycle_t *cy, uint32_t unit, const uint32_t *locs, uint32_t n)
{
	return locset_add(cy, &cy->excluded, unit, locs, n);
}

/* The first location of the set at or after lo (set->n when none). */
static uint32_t locset_lower(const vlt_locset_t *set, uint32_t lo)
{
	uint32_t a = 0, b = set->n;

	while (a < b) {
		uint32_t mid = a + (b - a) / 2;
		if (set->locs[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

static bool locset_has(const vlt_locset_t *set, uint32_t loc)
{
	uint32_t i = locset_lower(set, loc);

	return i < set->n && set->locs[i] == loc;
}

/* May unit go to location loc, as far as allow and exclude say? */
static bool location_permitted(const vlt_cycle_t *cy, uint32_t u, uint32_t loc)
{
	if (cy->allowed != NULL && cy->allowed[u].on && !locset_has(&cy->allowed[u], loc))
		return false;
	return cy->excluded == NULL || !cy->excluded[u].on || !locset_has(&cy->excluded[u], loc);
}

/* Does the host range [first, first + n) hold a host the unit is allowed? */
static bool range_permitted(const vlt_cycle_t *cy, uint32_t u, uint32_t first, uint32_t n)
{
	if (cy->allowed == NULL || !cy->allowed[u].on)
		return true;
	uint32_t i = locset_lower(&cy->allowed[u], first);
	return i < cy->allowed[u].n && cy->allowed[u].locs[i] < first + n;
}

/* ---------------------------------------------------------------- checks */

static bool host_specs_ok(vlt_cycle_t *cy, uint32_t u, uint32_t h)
{
	const vlt_unit_t *unit = &cy->stack->units[u];

	if (!cy->has_specs[u])
		return true;
	if (cy->spec_cache[u] == NULL) {
		cy->spec_cache[u] = calloc(cy->dc->n_hosts ? cy->dc->n_hosts : 1, 1);
		if (cy->spec_cache[u] == NULL) /* no cache: compute every time */
			return vlt__specs_match_host(cy->dc, h, unit->extra_specs,
						     unit->n_extra_specs);
	}
	uint8_t *c = &cy->spec_cache[u][h];
	if (*c == 0)
		*c = vlt__specs_match_host(cy->dc, h, unit->extra_specs, unit->n_extra_specs) ? 1
											 : 2;
	return *c == 1;
}

static const char *const res_names[VLT_RES_COUNT] = {"vcpus", "ram_mb", "disk_gb"};

/*
 * VLT_REJECT, with the reason "<what><arg>" in why when asked. Explaining
 * a refusal asks this of every host, so it copies rather than formats.
 */
static int reject(char *why, size_t n, const char *what, const char *arg)
{
	if (why != NULL && n > 0) {
		size_t a = strlen(what), b = strlen(arg);
		if (a > n - 1)
			a = n - 1;
		if (b > n - 1 - a)
			b = n - 1 - a;
		memcpy(why, what, a);
		memcpy(why + a, arg, b);
		why[a + b] = '\0';
	}
	return VLT_REJECT;
}

/* The unit's own location kind and the bandwidth it would add at loc. */
static int bandwidth_ok(vlt_cycle_t *cy, uint32_t u, vlt_unit_kind_t kind, uint32_t loc,
			char *why, size_t n)
{
	const vlt_stack_t *st = cy->stack;
	const vlt_dc_t *dc = cy->dc;
	vlt_ledger_t *l = cy->l;
	double nic = 0, rack_up = 0, cluster_up = 0;

	for (uint32_t i = 0; i < st->units[u].n_links; i++) {
		const vlt_link_t *k = &st->links[st->units[u].links[i]];
		uint32_t peer = k->a == u ? k->b : k->a;
		uint32_t ploc = cy->placement[peer];
		if (ploc == VLT_NONE || k->mbps <= 0)
			continue;
		vlt_unit_kind_t pk = st->units[peer].kind;
		int d = vlt__ledger_distance(dc, kind, loc, pk, ploc);
		if (d == 0)
			continue;
		nic += k->mbps;
		if (pk == VLT_UNIT_SERVER && l->host_nic_free[ploc] != VLT_UNLIMITED &&
		    (double)l->host_nic_free[ploc] < k->mbps)
			return reject(why, n, "short of nic_mbps on ", dc->hosts[ploc].name);
		if (d >= 2)
			rack_up += k->mbps;
		if (d >= 3)
			cluster_up += k->mbps;
	}
	if (kind == VLT_UNIT_SERVER && l->host_nic_free[loc] != VLT_UNLIMITED &&
	    (double)l->host_nic_free[loc] < nic)
		return reject(why, n, "short of nic_mbps", "");
	uint32_t r = kind == VLT_UNIT_SERVER ? dc->hosts[loc].rack : dc->pools[loc].rack;
	uint32_t c = kind == VLT_UNIT_SERVER ? dc->hosts[loc].cluster : dc->pools[loc].cluster;
	if (r != VLT_NONE && l->rack_uplink_free[r] != VLT_UNLIMITED &&
	    (double)l->rack_uplink_free[r] < rack_up)
		return reject(why, n, "short of rack uplink_mbps", "");
	if (c != VLT_NONE && l->cluster_uplink_free[c] != VLT_UNLIMITED &&
	    (double)l->cluster_uplink_free[c] < cluster_up)
		return reject(why, n, "short of cluster uplink_mbps", "");
	return VLT_PASS;
}

static int ask_policies(vlt_cycle_t *cy, uint32_t u, vlt_level_t lvl, uint32_t dom, char *why,
			size_t n)
{
	for (uint32_t p = 0; p < cy->n_policies; p++) {
		if (!cy->relevant[u * cy->n_policies + p])
			continue;
		vlt_module_t *m = &cy->mods->policies[p];
		int v = m->ops.policy->filter(m->state, cy, u, lvl, dom, why, n);
		if (v < 0)
			return v;
		if (v == VLT_REJECT) {
			if (why != NULL && why[0] == '\0')
				snprintf(why, n, "policy %s", m->name);
			return VLT_REJECT;
		}
	}
	return VLT_PASS;
}

/* Has host h every trait the server requires and none it forbids? */
static int traits_ok(const vlt_cycle_t *cy, uint32_t u, uint32_t h, char *why, size_t n)
{
	const vlt_unit_traits_t *t = &cy->traits[u];

	if (t->absent != NULL)
		return reject(why, n, "without required trait ", t->absent);
	for (uint32_t i = 0; i < t->n; i++) {
		bool has = vlt__dc_host_has_trait(cy->dc, h, t->ids[i]);

		if (i < t->n_required && !has)
			return reject(why, n, "without required trait ",
				      vlt__dc_trait_name(cy->dc, t->ids[i]));
		if (i >= t->n_required && has)
			return reject(why, n, "with forbidden trait ",
				      vlt__dc_trait_name(cy->dc, t->ids[i]));
	}
	return VLT_PASS;
}

/* Does the server's demand keep within Placement's per-allocation limits on host h? */
static int limits_ok(const vlt_cycle_t *cy, const vlt_unit_t *unit, uint32_t h, char *why,
		     size_t n)
{
	const vlt_unit_limits_t *lim = vlt__dc_host_limits(cy->dc, h);
	int res = 0;
	vlt_limit_fault_t f = vlt__limits_fault(lim, unit->demand, &res);

	if (f == VLT_LIMIT_OK)
		return VLT_PASS;
	if (why != NULL) /* formatting only when explaining */
		vlt__limits_describe(f, res, unit->demand, lim, true, why, n);
	return VLT_REJECT;
}

/*
 * Has host h the extra classes the server asks, within their limits and
 * with room? A host without a class is short of it.
 */
static int classes_ok(const vlt_cycle_t *cy, uint32_t u, uint32_t h, char *why, size_t n)
{
	const vlt_hold_t *hold = &cy->holds[u];
	const vlt_dc_t *dc = cy->dc;

	if (cy->class_absent[u] != NULL)
		return reject(why, n, "short of ", cy->class_absent[u]);
	for (uint32_t i = 0; i < hold->n_classes; i++) {
		uint32_t c = hold->classes[i].rclass;
		int64_t amount = hold->classes[i].amount;
		const vlt_unit_limits_t *lim = vlt__dc_host_class_limits(dc, h, c);
		vlt_limit_fault_t f;

		if (vlt__dc_host_class_capacity(dc, h, c) == VLT_CLASS_ABSENT ||
		    cy->l->class_free[(size_t)h * dc->n_classes + c] < amount)
			return reject(why, n, "short of ", dc->classes[c]);
		if ((f = vlt__limit_fault(lim, amount)) != VLT_LIMIT_OK) {
			if (why != NULL)
				vlt__limit_describe(f, dc->classes[c], amount, lim, true, why, n);
			return VLT_REJECT;
		}
	}
	return VLT_PASS;
}

/* The exact verdict for a server on host h; why gets a short reason. */
static int check_host(vlt_cycle_t *cy, uint32_t u, uint32_t h, char *why, size_t n)
{
	const vlt_unit_t *unit = &cy->stack->units[u];
	const vlt_host_t *host = &cy->dc->hosts[h];
	const int64_t *free_ = cy->l->host_free[h];

	if (!host->enabled)
		return reject(why, n, "disabled", "");
	if (!location_permitted(cy, u, h))
		return reject(why, n, "not among the allowed hosts", "");
	if (cy->unit_az[u] != VLT_NONE && cy->unit_az[u] != host->az_id)
		return reject(why, n, "availability zone ", host->az);
	if (!host_specs_ok(cy, u, h))
		return reject(why, n, "aggregate extra specs", "");
	int v = traits_ok(cy, u, h, why, n);

	if (v == VLT_PASS)
		v = limits_ok(cy, unit, h, why, n);
	if (v != VLT_PASS)
		return v;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (unit->demand[r] > 0 && free_[r] < unit->demand[r])
			return reject(why, n, "short of ", res_names[r]);
	if (cy->has_classes[u] && (v = classes_ok(cy, u, h, why, n)) != VLT_PASS)
		return v;
	v = bandwidth_ok(cy, u, VLT_UNIT_SERVER, h, why, n);
	if (v != VLT_PASS)
		return v;
	return ask_policies(cy, u, VLT_LEVEL_HOST, h, why, n);
}

/*
 * Could an enabled host of rack or cluster dom have room for every extra
 * class the server asks? Each class's largest free amount there must
 * cover it (optimistic: they may be on different hosts).
 */
static bool domain_has_classes(const vlt_cycle_t *cy, uint32_t u, vlt_level_t lvl, uint32_t dom)
{
	const vlt_hold_t *hold = &cy->holds[u];
	const int64_t *max = lvl == VLT_LEVEL_RACK ? cy->l->rack_class_max
						   : cy->l->cluster_class_max;
	size_t nc = cy->dc->n_classes;

	if (cy->class_absent[u] != NULL)
		return false;
	for (uint32_t i = 0; i < hold->n_classes; i++)
		if (max[dom * nc + hold->classes[i].rclass] < hold->classes[i].amount)
			return false;
	return true;
}

/* Could some host of rack or cluster dom take the server? Optimistic. */
static int check_domain(vlt_cycle_t *cy, uint32_t u, vlt_level_t lvl, uint32_t dom)
{
	const vlt_unit_t *unit = &cy->stack->units[u];
	const vlt_domain_t *d = lvl == VLT_LEVEL_RACK ? &cy->dc->racks[dom] : &cy->dc->clusters[dom];
	const int64_t *max_free = lvl == VLT_LEVEL_RACK ? cy->l->rack_max_free[dom]
							: cy->l->cluster_max_free[dom];
	const uint64_t *mask = lvl == VLT_LEVEL_RACK ? cy->l->rack_az_mask : cy->l->cluster_az_mask;

	if (d->n_enabled == 0 || !range_permitted(cy, u, d->first_host, d->n_hosts))
		return VLT_REJECT;
	uint32_t az = cy->unit_az[u];
	if (az == AZ_UNKNOWN || (az != VLT_NONE && az < 64 && !(mask[dom] & (1ull << az))))
		return VLT_REJECT;
	if (cy->has_classes[u] && !domain_has_classes(cy, u, lvl, dom))
		return VLT_REJECT;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (unit->demand[r] > 0 && max_free[r] < unit->demand[r])
			return VLT_REJECT;
	return ask_policies(cy, u, lvl, dom, NULL, 0);
}

static bool volume_type_ok(const vlt_pool_t *pool, const char *type)
{
	if (type == NULL || pool->n_volume_types == 0)
		return true;
	for (uint32_t i = 0; i < pool->n_volume_types; i++)
		if (strcmp(pool->volume_types[i], type) == 0)
			return true;
	return false;
}

static bool has_groups_above_host(const vlt_cycle_t *cy, const vlt_unit_t *unit)
{
	for (uint32_t i = 0; i < unit->n_groups; i++)
		if (cy->stack->groups[unit->groups[i].group].level > VLT_LEVEL_HOST)
			return true;
	return false;
}

static int check_pool(vlt_cycle_t *cy, uint32_t u, uint32_t p, char *why, size_t n)
{
	const vlt_unit_t *unit = &cy->stack->units[u];
	const vlt_pool_t *pool = &cy->dc->pools[p];
	int v;

	if (!location_permitted(cy, u, p))
		return reject(why, n, "not among the allowed pools", "");
	if (cy->l->pool_free_gb[p] < unit->demand[VLT_RES_DISK_GB])
		return reject(why, n, "short of capacity_gb", "");
	if (!volume_type_ok(pool, unit->volume_type))
		return reject(why, n, "volume_type ", unit->volume_type);
	if (pool->rack == VLT_NONE && has_groups_above_host(cy, unit))
		return reject(why, n, "outside every rack", "");
	v = bandwidth_ok(cy, u, VLT_UNIT_VOLUME, p, why, n);
	if (v != VLT_PASS)
		return v;
	if (pool->rack != VLT_NONE) {
		v = ask_policies(cy, u, VLT_LEVEL_RACK, pool->rack, why, n);
		if (v != VLT_PASS)
			return v;
	}
	if (pool->cluster != VLT_NONE)
		return ask_policies(cy, u, VLT_LEVEL_CLUSTER, pool->cluster, why, n);
	return VLT_PASS;
}

/* ---------------------------------------------------------------- observing the solver */

int vlt__cycle_observe(vlt_cycle_t *cy)
{
	if (cy->seen == NULL)
		cy->seen = calloc(cy->stack->n_units + 1, sizeof(*cy->seen));
	return cy->seen != NULL ? VLT_OK : VLT_ENOMEM;
}

/* One more location that fit (kept for the runner-up; lost, not failed, out of memory). */
static void note_fit(unit_seen_t *us, uint32_t loc)
{
	if (us->n_fit == us->cap_fit) {
		uint32_t cap = us->cap_fit ? 2 * us->cap_fit : 16;
		uint32_t *v = realloc(us->fits, cap * sizeof(*v));
		if (v == NULL)
			return;
		us->fits = v;
		us->cap_fit = cap;
	}
	us->fits[us->n_fit++] = loc;
}

/* One more location refused for label. */
static void count_refusal(unit_seen_t *us, const char *label)
{
	if (us->refused == NULL && (us->refused = json_object()) == NULL)
		return;
	json_t *n = json_object_get(us->refused, label);

	if (n != NULL)
		json_integer_set(n, json_integer_value(n) + 1);
	else
		json_object_set_new(us->refused, label, json_integer(1));
}

/*
 * check() while observed: the same verdict; the first check of each
 * location for the unit is noted, with the reason of a refusal (which
 * only then is worded), so each location costs one more check at most.
 */
static int observed_check(vlt_cycle_t *cy, uint32_t u, uint32_t loc, bool server)
{
	unit_seen_t *us = &cy->seen[u];
	uint32_t total = server ? cy->dc->n_hosts : cy->dc->n_pools;

	if (us->done == NULL && (us->done = calloc(total / 8 + 1, 1)) == NULL)
		return server ? check_host(cy, u, loc, NULL, 0) : check_pool(cy, u, loc, NULL, 0);
	if (us->done[loc / 8] & (1u << (loc % 8)))
		return server ? check_host(cy, u, loc, NULL, 0) : check_pool(cy, u, loc, NULL, 0);
	char why[REASON_MAX] = "";
	int v = server ? check_host(cy, u, loc, why, sizeof(why))
		       : check_pool(cy, u, loc, why, sizeof(why));
	if (v < 0)
		return v;
	us->done[loc / 8] |= (uint8_t)(1u << (loc % 8));
	us->n_seen++;
	if (v == VLT_PASS) {
		note_fit(us, loc);
	} else {
		count_refusal(us, why[0] ? why : "refused");
	}
	return v;
}

int vlt__cycle_explain(vlt_cycle_t *cy, uint32_t u, vlt_unit_explain_t *out, json_t *refused)
{
	if (cy->seen == NULL || u >= cy->stack->n_units || cy->placement[u] == VLT_NONE)
		return VLT_EINVAL;
	const unit_seen_t *us = &cy->seen[u];
	bool server = cy->stack->units[u].kind == VLT_UNIT_SERVER;
	uint32_t chosen = cy->placement[u];
	const char *reason;
	json_t *n;

	*out = (vlt_unit_explain_t){ .runner_up = VLT_NONE,
				     .cost = vlt__cycle_cost(cy, u, chosen),
				     .n_fit = us->n_fit,
				     .n_seen = us->n_seen,
				     .n_total = server ? cy->dc->n_hosts : cy->dc->n_pools };
	/* the cheapest other fit, every unit where the solver put it; the first among equals */
	for (uint32_t i = 0; i < us->n_fit; i++) {
		double cost = us->fits[i] == chosen ? 0 : vlt__cycle_cost(cy, u, us->fits[i]);
		if (us->fits[i] != chosen &&
		    (out->runner_up == VLT_NONE || cost < out->runner_up_cost)) {
			out->runner_up = us->fits[i];
			out->runner_up_cost = cost;
		}
	}
	json_object_foreach(us->refused, reason, n) {
		json_t *sum = json_object_get(refused, reason);
		json_int_t k = json_integer_value(n) + (sum != NULL ? json_integer_value(sum) : 0);
		if (json_object_set_new(refused, reason, json_integer(k)) < 0)
			return VLT_ENOMEM;
	}
	return VLT_OK;
}

int vlt__cycle_check(vlt_cycle_t *cy, uint32_t u, vlt_level_t lvl, uint32_t dom)
{
	const vlt_stack_t *st = cy->stack;

	if (u >= st->n_units || lvl > VLT_LEVEL_CLUSTER)
		return VLT_EINVAL;
	if (st->units[u].kind == VLT_UNIT_VOLUME) {
		if (lvl != VLT_LEVEL_HOST || dom >= cy->dc->n_pools)
			return VLT_EINVAL;
		return cy->seen != NULL ? observed_check(cy, u, dom, false)
					: check_pool(cy, u, dom, NULL, 0);
	}
	if (dom >= vlt_level_size(cy->dc, lvl))
		return VLT_EINVAL;
	if (lvl == VLT_LEVEL_HOST)
		return cy->seen != NULL ? observed_check(cy, u, dom, true)
					: check_host(cy, u, dom, NULL, 0);
	return check_domain(cy, u, lvl, dom);
}

/* ---------------------------------------------------------------- cost and score */

double vlt__cycle_cost(vlt_cycle_t *cy, uint32_t u, uint32_t loc)
{
	const vlt_stack_t *st = cy->stack;
	double cost = 0;

	if (u >= st->n_units)
		return 0;
	for (uint32_t i = 0; i < st->units[u].n_links; i++) {
		const vlt_link_t *k = &st->links[st->units[u].links[i]];
		uint32_t peer = k->a == u ? k->b : k->a;
		if (cy->placement[peer] == VLT_NONE)
			continue;
		int d = vlt__ledger_distance(cy->dc, st->units[u].kind, loc, st->units[peer].kind,
					     cy->placement[peer]);
		cost += (k->flags & VLT_LINK_ATTACHMENT) ? ATTACH_WEIGHT * d : 2.0 * k->mbps * d;
	}
	return cost;
}

double vlt__cycle_score(vlt_cycle_t *cy, uint32_t u, uint32_t loc)
{
	double total = 0;

	for (uint32_t p = 0; p < cy->n_policies; p++) {
		vlt_module_t *m = &cy->mods->policies[p];
		double s = 0;
		if (m->ops.policy->score == NULL || !cy->relevant[u * cy->n_policies + p])
			continue;
		if (m->ops.policy->score(m->state, cy, u, loc, &s) == VLT_OK)
			total += m->weight * s;
	}
	return total;
}

/* ---------------------------------------------------------------- assign */

static void apply_links(vlt_cycle_t *cy, uint32_t u, int sign)
{
	const vlt_stack_t *st = cy->stack;

	for (uint32_t i = 0; i < st->units[u].n_links; i++) {
		const vlt_link_t *k = &st->links[st->units[u].links[i]];
		uint32_t peer = k->a == u ? k->b : k->a;
		if (cy->placement[peer] == VLT_NONE || peer == u)
			continue;
		vlt__ledger_apply_link(cy->l, st->units[u].kind, cy->placement[u],
				       st->units[peer].kind, cy->placement[peer], k->mbps, sign);
	}
}

static void tell_policies(vlt_cycle_t *cy, uint32_t u, uint32_t loc, bool assigned)
{
	for (uint32_t p = 0; p < cy->n_policies; p++) {
		vlt_module_t *m = &cy->mods->policies[p];
		if (assigned && m->ops.policy->assign != NULL)
			m->ops.policy->assign(m->state, cy, u, loc);
		else if (!assigned && m->ops.policy->unassign != NULL)
			m->ops.policy->unassign(m->state, cy, u, loc);
	}
}

int vlt__cycle_assign(vlt_cycle_t *cy, uint32_t u, uint32_t loc)
{
	const vlt_stack_t *st = cy->stack;

	if (u >= st->n_units)
		return VLT_EINVAL;
	uint32_t limit = st->units[u].kind == VLT_UNIT_SERVER ? cy->dc->n_hosts : cy->dc->n_pools;
	if (loc >= limit)
		return VLT_EINVAL;
	if (cy->placement[u] != VLT_NONE)
		vlt__cycle_unassign(cy, u);
	cy->placement[u] = loc;
	cy->holds[u].loc = loc;
	vlt__ledger_apply(cy->l, &cy->holds[u], +1);
	apply_links(cy, u, +1);
	tell_policies(cy, u, loc, true);
	return VLT_OK;
}

void vlt__cycle_unassign(vlt_cycle_t *cy, uint32_t u)
{
	if (u >= cy->stack->n_units || cy->placement[u] == VLT_NONE)
		return;
	uint32_t loc = cy->placement[u];
	apply_links(cy, u, -1);
	vlt__ledger_apply(cy->l, &cy->holds[u], -1);
	cy->placement[u] = VLT_NONE;
	cy->holds[u].loc = VLT_NONE;
	tell_policies(cy, u, loc, false);
}

/* ---------------------------------------------------------------- explanations */

typedef struct reason_count {
	char label[REASON_MAX];
	uint32_t n;
} reason_count_t;

/* The reasons counted so far; last is the one counted before (neighbours mostly share it). */
typedef struct reason_tally {
	reason_count_t *rc; /* owned; freed by note_failure */
	uint32_t n, last, fit;
} reason_tally_t;

/* times more locations refused for label. */
static int count_reason(reason_tally_t *t, const char *label, uint32_t times)
{
	if (t->last < t->n && strcmp(t->rc[t->last].label, label) == 0) {
		t->rc[t->last].n += times;
		return VLT_OK;
	}
	for (uint32_t i = 0; i < t->n; i++)
		if (strcmp(t->rc[i].label, label) == 0) {
			t->rc[i].n += times;
			t->last = i;
			return VLT_OK;
		}
	reason_count_t *bigger = realloc(t->rc, (t->n + 1) * sizeof(*t->rc));
	if (bigger == NULL)
		return VLT_ENOMEM;
	t->rc = bigger;
	snprintf(bigger[t->n].label, sizeof(bigger[t->n].label), "%s", label);
	bigger[t->n].n = times;
	t->last = t->n++;
	return VLT_OK;
}

/*
 * Is the server's verdict on its hosts decided by nothing but whether each
 * host is enabled and its free capacity? Then a whole domain's refusal can
 * be read off the ledger's per-domain maxima (uniform_refusal).
 */
static bool capacity_decides(const vlt_cycle_t *cy, uint32_t u)
{
	const vlt_unit_traits_t *t = &cy->traits[u];

	return (cy->allowed == NULL || !cy->allowed[u].on) &&
	       (cy->excluded == NULL || !cy->excluded[u].on) && cy->unit_az[u] == VLT_NONE &&
	       !cy->has_specs[u] && t->n == 0 && t->absent == NULL &&
	       !vlt__dc_any_host_limits(cy->dc);
}

/*
 * The reason every host of domain d refuses server u with, when the
 * domain's aggregates prove it, else NULL (the hosts must be checked one
 * by one). check_host's order makes it exact: "disabled" comes first; with
 * every host enabled and capacity deciding the earlier checks, the first
 * resource the server asks for is the first checked, so a demand above the
 * domain's largest free amount of it refuses every host for that resource.
 */
static const char *uniform_refusal(const vlt_cycle_t *cy, uint32_t u, bool capacity_only,
				   const vlt_domain_t *d, const int64_t max_free[VLT_RES_COUNT])
{
	const int64_t *demand = cy->stack->units[u].demand;

	if (d->n_hosts == 0)
		return NULL; /* nothing to count: tally_each counts none */
	if (d->n_enabled == 0)
		return "disabled";
	if (!capacity_only || d->n_enabled != d->n_hosts)
		return NULL;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (demand[r] > 0)
			return max_free[r] < demand[r] ? res_names[r] : NULL;
	return NULL;
}

/* Count the verdicts of locations [first, first + n) one by one. */
static int tally_each(vlt_cycle_t *cy, uint32_t u, bool server, uint32_t first, uint32_t n,
		      reason_tally_t *t)
{
	char why[REASON_MAX];

	for (uint32_t i = first; i < first + n; i++) {
		why[0] = '\0';
		int v = server ? check_host(cy, u, i, why, sizeof(why))
			       : check_pool(cy, u, i, why, sizeof(why));
		if (v == VLT_PASS)
			t->fit++;
		else if (count_reason(t, v < 0 ? vlt_strerror(v) : why, 1) < 0)
			return VLT_ENOMEM;
	}
	return VLT_OK;
}

/* A whole domain refused for reason (a resource's name, or "disabled"). */
static int tally_domain(reason_tally_t *t, const char *reason, uint32_t n_hosts)
{
	char label[REASON_MAX];

	if (strcmp(reason, "disabled") == 0)
		return count_reason(t, reason, n_hosts);
	snprintf(label, sizeof(label), "short of %s", reason);
	return count_reason(t, label, n_hosts);
}

/*
 * Every host's verdict on server u, counted without checking host by host
 * the clusters and racks whose aggregates decide it (a refusal on a large
 * data center is then about as cheap as a placement). The clusters' racks
 * cover every host: the data center gives a host without a rack, and a
 * rack without a cluster, an implicit one.
 */
static int tally_hosts(vlt_cycle_t *cy, uint32_t u, reason_tally_t *t)
{
	const vlt_dc_t *dc = cy->dc;
	bool cap = capacity_decides(cy, u);
	int rc = VLT_OK;

	for (uint32_t c = 0; c < dc->n_clusters && rc == VLT_OK; c++) {
		const vlt_domain_t *cl = &dc->clusters[c];
		const char *why = uniform_refusal(cy, u, cap, cl, cy->l->cluster_max_free[c]);
		if (why != NULL) {
			rc = tally_domain(t, why, cl->n_hosts);
			continue;
		}
		for (uint32_t r = cl->first_rack; r < cl->first_rack + cl->n_racks && rc == VLT_OK;
		     r++) {
			const vlt_domain_t *rk = &dc->racks[r];
			why = uniform_refusal(cy, u, cap, rk, cy->l->rack_max_free[r]);
			rc = why != NULL ? tally_domain(t, why, rk->n_hosts)
					 : tally_each(cy, u, true, rk->first_host, rk->n_hosts, t);
		}
	}
	return rc;
}

static int by_count_desc(const void *a, const void *b)
{
	const reason_count_t *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->label, y->label);
}

/* ---------------------------------------------------------------- when a timed refusal is short */

/* The parts of the interval a refusal names; more are counted, not named. */
#define WHEN_NAMED 3

/* A host's parts of the cycle's interval where server u does not fit its vcpus, ram or disk. */
typedef struct short_parts {
	vlt_interval_t named[WHEN_NAMED];
	size_t n;	  /* every part, named or not */
	vlt_interval_t last; /* the last part, named or not */
	double total_ms;     /* how long they last together */
} short_parts_t;

/*
 * Host h's short parts: where its timed holds, plus what the inventory,
 * the ordinary holds and this cycle's assignments leave, are more than
 * the room u needs. RET 0, or VLT_ENOMEM.
 */
static int host_short_parts(const vlt_cycle_t *cy, uint32_t u, uint32_t h, short_parts_t *sp)
{
	const vlt_ledger_t *l = cy->l;
	const int64_t *demand = cy->stack->units[u].demand;
	int64_t limit[VLT_RES_COUNT];
	vlt_interval_t few[16], *all = few;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		limit[r] = demand[r] > 0 ? l->host_free[h][r] + l->timed_shown[h][r] - demand[r]
					 : INT64_MAX;
	sp->n = vlt__timeline_short(l->timeline[h], &cy->interval, limit, few, 16);
	if (sp->n > 16) {
		if ((all = malloc(sp->n * sizeof(*all))) == NULL)
			return VLT_ENOMEM;
		vlt__timeline_short(l->timeline[h], &cy->interval, limit, all, sp->n);
	}
	sp->total_ms = 0;
	for (size_t i = 0; i < sp->n; i++) {
		/* as doubles: an absent start or end is no time to subtract */
		sp->total_ms += (double)all[i].end_ms - (double)all[i].start_ms;
		if (i < WHEN_NAMED)
			sp->named[i] = all[i];
	}
	if (sp->n > 0)
		sp->last = all[sp->n - 1];
	if (all != few)
		free(all);
	return VLT_OK;
}

/* Whether a reason is a want of vcpus, ram_mb or disk_gb: "short of ram_mb". */
static bool timed_shortage(const char *reason)
{
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (strncmp(reason, "short of ", 9) == 0 && strcmp(reason + 9, res_names[r]) == 0)
			return true;
	return false;
}

/* Whether check_host refuses server u on h for want of vcpus, ram_mb or disk_gb. */
static bool short_of_timed(vlt_cycle_t *cy, uint32_t u, uint32_t h)
{
	const int64_t *demand = cy->stack->units[u].demand;
	const int64_t *free_ = cy->l->host_free[h];
	char why[REASON_MAX] = "";
	bool below = false;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		below = below || (demand[r] > 0 && free_[r] < demand[r]);
	/* the cheap test first: most hosts are not short at all */
	return below && cy->dc->hosts[h].enabled &&
	       check_host(cy, u, h, why, sizeof(why)) == VLT_REJECT && timed_shortage(why);
}

/* "from A to B, from C to D, from E to F and 2 more times" */
static int say_parts(char *buf, size_t n, const short_parts_t *sp)
{
	size_t shown = sp->n < WHEN_NAMED ? sp->n : WHEN_NAMED;
	int off = 0;

	for (size_t i = 0; i < shown && off >= 0 && (size_t)off < n; i++) {
		char iv[80];
		vlt__interval_format(&sp->named[i], iv, sizeof(iv));
		const char *sep = i == 0 ? "" : (i + 1 == shown && sp->n == shown ? " and " : ", ");
		off += snprintf(buf + off, n - (size_t)off, "%sfrom %s", sep, iv);
	}
	if (sp->n > shown && off >= 0 && (size_t)off < n)
		off += snprintf(buf + off, n - (size_t)off, " and %zu more times", sp->n - shown);
	return off;
}

/*
 * When server u is short over the cycle's interval, said after the
 * reason: on the host refused for want of vcpus, ram_mb or disk_gb that
 * is short for the least time (ties: the first), when that is:
 * " (on the host short for the least time, h1: short from A to B; free
 * before and after)". O(hosts + their timed holds), on refusals only.
 * buf gets "" when no host is short of them, or memory is out.
 */
static void say_when_short(vlt_cycle_t *cy, uint32_t u, char *buf, size_t n)
{
	short_parts_t best = {.n = 0}, sp;
	uint32_t best_h = VLT_NONE;
	const vlt_interval_t *iv = &cy->interval;

	buf[0] = '\0';
	for (uint32_t h = 0; h < cy->dc->n_hosts; h++) {
		if (!short_of_timed(cy, u, h) || host_short_parts(cy, u, h, &sp) < 0 || sp.n == 0)
			continue;
		if (best_h == VLT_NONE || sp.total_ms < best.total_ms) {
			best = sp;
			best_h = h;
		}
	}
	if (best_h == VLT_NONE)
		return;
	if (best.n == 1 && best.named[0].start_ms == iv->start_ms &&
	    best.named[0].end_ms == iv->end_ms) {
		snprintf(buf, n, " (each short throughout the interval)");
		return;
	}
	bool before = best.named[0].start_ms > iv->start_ms, between = best.n > 1,
	     after = best.last.end_ms < iv->end_ms;
	char parts[320];
	say_parts(parts, sizeof(parts), &best);
	snprintf(buf, n, " (on the host short for the least time, %s: short %s; free %s%s%s%s%s)",
		 cy->dc->hosts[best_h].name, parts, before ? "before" : "",
		 before && (between || after) ? (between && after ? ", " : " and ") : "",
		 between ? "between" : "", between && after ? " and " : "", after ? "after" : "");
}

/* The first of the reasons (sorted) that is a want of vcpus, ram_mb or disk_gb, or n. */
static uint32_t first_timed_shortage(const reason_count_t *reasons, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (timed_shortage(reasons[i].label))
			return i;
	return n;
}

/*
 * "server web-3: 0 of 5000 hosts fit: 4100 short of ram_mb, 899
 * diversity(host) web-div, 1 disabled". When some hosts fit alone, the
 * stack failed as a whole (groups or capacity together), and it says so.
 */
void vlt__cycle_note_failure(vlt_cycle_t *cy, uint32_t u)
{
	const vlt_unit_t *unit;
	reason_tally_t t = {0};
	reason_count_t *reasons;
	uint32_t n_reasons, fit, total;
	bool server;

	if (u >= cy->stack->n_units)
		return;
	unit = &cy->stack->units[u];
	server = unit->kind == VLT_UNIT_SERVER;
	total = server ? cy->dc->n_hosts : cy->dc->n_pools;
	/* out of memory, the counts so far are still said */
	(void)(server ? tally_hosts(cy, u, &t) : tally_each(cy, u, false, 0, total, &t));
	reasons = t.rc;
	n_reasons = t.n;
	fit = t.fit;
	if (n_reasons > 1)
		qsort(reasons, n_reasons, sizeof(*reasons), by_count_desc);

	char when[512] = "";
	uint32_t when_at = n_reasons;
	if (server && vlt__interval_timed(&cy->interval) &&
	    (when_at = first_timed_shortage(reasons, n_reasons)) < n_reasons)
		say_when_short(cy, u, when, sizeof(when));

	size_t cap = 256 + sizeof(when) + (size_t)n_reasons * (REASON_MAX + 16);
	char *msg = malloc(cap);
	if (msg == NULL) {
		free(reasons);
		return;
	}
	char over[96] = "";
	if (vlt__interval_timed(&cy->interval)) {
		char iv[80];
		vlt__interval_format(&cy->interval, iv, sizeof(iv));
		snprintf(over, sizeof(over), " over %s", iv);
	}
	int off = snprintf(msg, cap, "%s %s%s: %u of %u %s fit", server ? "server" : "volume",
			   unit->name ? unit->name : unit->orch_id, over, fit, total,
			   server ? "hosts" : "pools");
	for (uint32_t i = 0; i < n_reasons && off > 0 && (size_t)off < cap; i++)
		off += snprintf(msg + off, cap - (size_t)off, "%s%u %s%s", i == 0 ? ": " : ", ",
				reasons[i].n, reasons[i].label, i == when_at ? when : "");
	if (fit > 0 && off > 0 && (size_t)off < cap)
		snprintf(msg + off, cap - (size_t)off,
			 "%sno placement satisfies the stack's groups and capacity together",
			 n_reasons ? "; " : ": ");
	free(reasons);
	free(cy->failure);
	cy->failure = msg;
}

/* ---------------------------------------------------------------- solve, commit, metrics */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int vlt__cycle_solve(vlt_cycle_t *cy, vlt_module_t *solver, vlt_err_t *err)
{
	double t0 = now_ms();
	int rc = solver->ops.solver->solve(solver->state, cy, err);

	cy->solve_ms = now_ms() - t0;
	if (rc == VLT_OK) {
		for (uint32_t u = 0; u < cy->stack->n_units; u++)
			if (cy->placement[u] == VLT_NONE) {
				return vlt_err_set(err, VLT_EINTERNAL,
						   "solver %s returned success but left %s "
						   "unplaced",
						   solver->name, cy->stack->units[u].orch_id);
			}
		return VLT_OK;
	}
	if (rc == VLT_ENOPLACE && cy->failure == NULL) {
		char msg[160] = "no placement satisfies the stack's groups and capacity";
		if (vlt__interval_timed(&cy->interval)) {
			size_t n = strlen(msg);
			snprintf(msg + n, sizeof(msg) - n, " over ");
			n = strlen(msg);
			vlt__interval_format(&cy->interval, msg + n, sizeof(msg) - n);
		}
		cy->failure = strdup(msg);
	}
	/* Partial assignments are dropped: the stack is placed whole or not at all. */
	for (uint32_t u = cy->stack->n_units; u-- > 0;)
		vlt__cycle_unassign(cy, u);
	return rc;
}

static vlt_plan_hold_t *plan_hold_from(const vlt_cycle_t *cy, const char *plan_id)
{
	const vlt_stack_t *st = cy->stack;
	vlt_plan_hold_t *ph = calloc(1, sizeof(*ph));

	if (ph == NULL || (ph->plan_id = strdup(plan_id)) == NULL)
		goto fail;
	ph->holds = calloc(st->n_units + 1, sizeof(*ph->holds));
	ph->links = calloc(st->n_links + 1, sizeof(*ph->links));
	if (ph->holds == NULL || ph->links == NULL)
		goto fail;
	ph->n_holds = st->n_units;
	ph->timed = vlt__interval_timed(&cy->interval);
	ph->interval = cy->interval;
	for (uint32_t u = 0; u < st->n_units; u++) {
		const vlt_hold_t *src = &cy->holds[u];
		vlt_hold_t *dst = &ph->holds[u];
		*dst = (vlt_hold_t){.kind = src->kind, .loc = src->loc};
		memcpy(dst->demand, src->demand, sizeof(dst->demand));
		dst->occs = calloc(src->n_occs + 1, sizeof(*dst->occs));
		dst->policy_levels = malloc(2 * src->n_policy_levels + 1);
		dst->classes = calloc(src->n_classes + 1, sizeof(*dst->classes));
		if (dst->occs == NULL || dst->policy_levels == NULL || dst->classes == NULL)
			goto fail;
		if (src->n_classes > 0)
			memcpy(dst->classes, src->classes, src->n_classes * sizeof(*dst->classes));
		dst->n_classes = src->n_classes;
		/* Only named groups outlive the plan's cycle. */
		for (uint32_t i = 0; i < st->units[u].n_groups; i++)
			if (!cy->group_owned[st->units[u].groups[i].group])
				dst->occs[dst->n_occs++] = src->occs[i];
		if (src->n_policy_levels > 0)
			memcpy(dst->policy_levels, src->policy_levels, 2 * src->n_policy_levels);
		dst->n_policy_levels = src->n_policy_levels;
	}
	for (uint32_t i = 0; i < st->n_links; i++)
		if (st->links[i].mbps > 0)
			ph->links[ph->n_links++] = (vlt_hold_link_t){
				st->links[i].a, st->links[i].b, st->links[i].mbps};
	return ph;
fail:
	vlt__plan_hold_free(ph);
	return NULL;
}

void vlt__cycle_set_interval(vlt_cycle_t *cy, const vlt_interval_t *iv)
{
	cy->interval = *iv;
}

int vlt__cycle_commit(vlt_cycle_t *cy, const char *plan_id, vlt_err_t *err)
{
	vlt_plan_hold_t *ph;

	if (vlt__ledger_has_plan(cy->l, plan_id))
		return vlt_err_set(err, VLT_EEXIST, "plan %s already holds capacity", plan_id);
	ph = plan_hold_from(cy, plan_id);
	if (ph == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "commit: out of memory");
	if (vlt__ledger_add_plan(cy->l, ph) < 0) {
		vlt__plan_hold_free(ph);
		return vlt_err_set(err, VLT_ENOMEM, "commit: out of memory");
	}
	/* a timed plan's capacity leaves the flat arrays for the timelines */
	if (ph->timed && vlt__ledger_time_holds(cy->l, ph) < 0) {
		vlt__strmap_del(&cy->l->plans, plan_id);
		vlt__plan_hold_free(ph);
		return vlt_err_set(err, VLT_ENOMEM, "commit: out of memory");
	}
	cy->committed = true;
	return VLT_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Distinct hosts holding the stack's servers (sorting the stack's few locations). */
static uint32_t hosts_used(const vlt_cycle_t *cy)
{
	const vlt_stack_t *st = cy->stack;
	uint32_t *locs = malloc((st->n_units + 1) * sizeof(*locs)), n = 0, distinct = 0;

	if (locs == NULL)
		return 0;
	for (uint32_t u = 0; u < st->n_units; u++)
		if (st->units[u].kind == VLT_UNIT_SERVER && cy->placement[u] != VLT_NONE)
			locs[n++] = cy->placement[u];
	qsort(locs, n, sizeof(*locs), cmp_u32);
	for (uint32_t i = 0; i < n; i++)
		distinct += i == 0 || locs[i] != locs[i - 1];
	free(locs);
	return distinct;
}

json_t *vlt__cycle_metrics(const vlt_cycle_t *cy)
{
	const vlt_stack_t *st = cy->stack;
	const vlt_dc_t *dc = cy->dc;
	double cost = 0, cross_rack = 0;

	for (uint32_t i = 0; i < st->n_links; i++) {
		const vlt_link_t *k = &st->links[i];
		uint32_t a = cy->placement[k->a], b = cy->placement[k->b];
		if (a == VLT_NONE || b == VLT_NONE)
			continue;
		int d = vlt__ledger_distance(dc, st->units[k->a].kind, a, st->units[k->b].kind, b);
		cost += 2.0 * k->mbps * d;
		if (d >= 2)
			cross_rack += k->mbps;
	}
	/* by hand, not json_pack: its format parsing cost more than the rest */
	json_t *m = json_object();

	if (m == NULL ||
	    json_object_set_new(m, "hosts_used", json_integer((json_int_t)hosts_used(cy))) < 0 ||
	    json_object_set_new(m, "bandwidth_cost", json_real(cost)) < 0 ||
	    json_object_set_new(m, "cross_rack_mbps", json_real(cross_rack)) < 0 ||
	    json_object_set_new(m, "solve_ms", json_real(round(cy->solve_ms * 1000) / 1000)) < 0) {
		json_decref(m);
		return NULL;
	}
	json_object_update(m, cy->metrics);
	return m;
}
