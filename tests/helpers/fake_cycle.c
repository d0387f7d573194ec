/*
 * fake_cycle.c - the policy tests' cycle behind the fake core (fake_cycle.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_cycle.h"

/* ---------------------------------------------------------------- data center */

#define FAKE_HOSTS 8
#define FAKE_RACKS 4
#define FAKE_CLUSTERS 2
#define FAKE_POOLS 3

static const char *const host_names[FAKE_HOSTS] = { "h0", "h1", "h2", "h3",
						     "h4", "h5", "h6", "h7" };
static const char *const rack_names[FAKE_RACKS] = { "r0", "r1", "r2", "r3" };
static const char *const cluster_names[FAKE_CLUSTERS] = { "c0", "c1" };
static const char *const az_names[] = { "nova" };

static vlt_host_t hosts[FAKE_HOSTS];
static vlt_domain_t racks[FAKE_RACKS];
static vlt_domain_t clusters[FAKE_CLUSTERS];
static vlt_pool_t pools[FAKE_POOLS];
static vlt_dc_t dc;

static void fake_dc_build(void)
{
	for (uint32_t h = 0; h < FAKE_HOSTS; h++) {
		hosts[h] = (vlt_host_t){
			.id = h, .rack = h / 2, .cluster = h / 4, .name = host_names[h],
			.az = "nova", .nic_mbps = VLT_UNLIMITED, .enabled = true,
		};
		for (int r = 0; r < VLT_RES_COUNT; r++)
			hosts[h].total[r] = hosts[h].capacity[r] = 64;
	}
	hosts[7].used[VLT_RES_VCPUS] = 4;
	hosts[7].preloaded = true;
	for (uint32_t r = 0; r < FAKE_RACKS; r++)
		racks[r] = (vlt_domain_t){
			.id = r, .name = rack_names[r], .parent = r / 2,
			.uplink_mbps = VLT_UNLIMITED, .first_host = 2 * r, .n_hosts = 2,
			.n_enabled = 2, .n_preloaded = r == 3,
		};
	for (uint32_t c = 0; c < FAKE_CLUSTERS; c++)
		clusters[c] = (vlt_domain_t){
			.id = c, .name = cluster_names[c], .parent = VLT_NONE,
			.uplink_mbps = VLT_UNLIMITED, .first_host = 4 * c, .n_hosts = 4,
			.first_rack = 2 * c, .n_racks = 2, .n_enabled = 4, .n_preloaded = c == 1,
		};
	pools[0] = (vlt_pool_t){ .id = 0, .name = "p0", .rack = 0, .cluster = 0,
				 .capacity_gb = 1000 };
	pools[1] = (vlt_pool_t){ .id = 1, .name = "p1", .rack = VLT_NONE,
				 .cluster = VLT_NONE, .capacity_gb = 1000 };
	pools[2] = (vlt_pool_t){ .id = 2, .name = "p2", .rack = 2, .cluster = 1,
				 .capacity_gb = 1000 };
	dc = (vlt_dc_t){
		.name = "fake", .hosts = hosts, .n_hosts = FAKE_HOSTS,
		.racks = racks, .n_racks = FAKE_RACKS,
		.clusters = clusters, .n_clusters = FAKE_CLUSTERS,
		.pools = pools, .n_pools = FAKE_POOLS, .azs = az_names, .n_azs = 1,
	};
}

const vlt_dc_t *fake_dc(void)
{
	if (dc.hosts == NULL)
		fake_dc_build();
	return &dc;
}

/* ---------------------------------------------------------------- cycle */

struct fake_group {
	uint32_t policy;
	vlt_level_t level;
};

/* A placed unit: a server on a host, or a volume on a pool. */
struct fake_server {
	uint32_t host; /* or pool */
	uint64_t mask;
	bool volume;
};

struct vlt_cycle {
	const vlt_dc_t *dc;
	const vlt_stack_t *stack;
	struct fake_group groups[FAKE_MAX_GROUPS];
	uint32_t n_groups;
	struct fake_server *servers;
	size_t n_servers, cap_servers;
	uint32_t *placement; /* per stack unit: pool of a placed volume, else VLT_NONE */
	vlt_view_t view;
	unsigned queries;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, "fake_cycle: out of memory\n");
		abort();
	}
	return p;
}

vlt_cycle_t *fake_cycle_new(const vlt_stack_t *stack)
{
	vlt_cycle_t *cy = xcalloc(1, sizeof(*cy));

	if (stack->n_groups > FAKE_MAX_GROUPS) {
		fprintf(stderr, "fake_cycle: the stack has too many groups\n");
		abort();
	}
	cy->dc = fake_dc();
	cy->stack = stack;
	for (uint32_t g = 0; g < stack->n_groups; g++)
		cy->groups[g] = (struct fake_group){ stack->groups[g].policy,
						     stack->groups[g].level };
	cy->n_groups = stack->n_groups;
	cy->placement = xcalloc(stack->n_units ? stack->n_units : 1, sizeof(*cy->placement));
	for (uint32_t u = 0; u < stack->n_units; u++)
		cy->placement[u] = VLT_NONE;
	cy->view.placement = cy->placement;
	return cy;
}

void fake_cycle_free(vlt_cycle_t *cy)
{
	if (cy == NULL)
		return;
	free(cy->servers);
	free(cy->placement);
	free(cy);
}

uint32_t fake_cycle_add_group(vlt_cycle_t *cy, uint32_t policy, vlt_level_t level)
{
	if (cy->n_groups >= FAKE_MAX_GROUPS) {
		fprintf(stderr, "fake_cycle: too many groups\n");
		abort();
	}
	cy->groups[cy->n_groups] = (struct fake_group){ policy, level };
	return cy->n_groups++;
}

/* A member of a stack group is a member of every group enclosing it. */
static uint64_t with_ancestors(const vlt_cycle_t *cy, uint64_t mask)
{
	uint64_t out = mask;

	for (uint32_t g = 0; g < cy->stack->n_groups; g++) {
		if (!(mask & FG(g)))
			continue;
		uint32_t p = cy->stack->groups[g].parent;
		for (uint32_t steps = 0; p != VLT_NONE && p < cy->stack->n_groups &&
					 steps < cy->stack->n_groups;
		     steps++) {
			out |= FG(p);
			p = cy->stack->groups[p].parent;
		}
	}
	return out;
}

static void add_placed(vlt_cycle_t *cy, struct fake_server placed)
{
	if (cy->n_servers == cy->cap_servers) {
		size_t cap = cy->cap_servers ? 2 * cy->cap_servers : 8;
		struct fake_server *s = realloc(cy->servers, cap * sizeof(*s));
		if (s == NULL) {
			fprintf(stderr, "fake_cycle: out of memory\n");
			abort();
		}
		cy->servers = s;
		cy->cap_servers = cap;
	}
	placed.mask = with_ancestors(cy, placed.mask);
	cy->servers[cy->n_servers++] = placed;
}

void fake_cycle_place(vlt_cycle_t *cy, uint32_t host, uint64_t mask)
{
	if (host >= cy->dc->n_hosts) {
		fprintf(stderr, "fake_cycle: no host %u\n", (unsigned)host);
		abort();
	}
	add_placed(cy, (struct fake_server){ .host = host, .mask = mask });
}

void fake_cycle_place_volume(vlt_cycle_t *cy, uint32_t unit, uint32_t pool, uint64_t mask)
{
	if (pool >= cy->dc->n_pools || (unit != VLT_NONE && unit >= cy->stack->n_units)) {
		fprintf(stderr, "fake_cycle: no pool %u or unit %u\n", (unsigned)pool,
			(unsigned)unit);
		abort();
	}
	if (unit != VLT_NONE)
		cy->placement[unit] = pool;
	add_placed(cy, (struct fake_server){ .host = pool, .mask = mask, .volume = true });
}

void fake_cycle_clear(vlt_cycle_t *cy)
{
	for (uint32_t u = 0; u < cy->stack->n_units; u++)
		cy->placement[u] = VLT_NONE;
	cy->n_servers = 0;
	cy->queries = 0;
}

unsigned fake_cycle_queries(const vlt_cycle_t *cy)
{
	return cy->queries;
}

/* ---------------------------------------------------------------- callbacks */

static const vlt_dc_t *fake_cycle_dc(vlt_cycle_t *cy)
{
	return cy->dc;
}

static const vlt_stack_t *fake_cycle_stack(vlt_cycle_t *cy)
{
	return cy->stack;
}

static const vlt_view_t *fake_cycle_view(vlt_cycle_t *cy)
{
	return &cy->view;
}

/*
 * Is placed unit s inside domain dom of level lvl? A volume is where its
 * pool is: in its rack and cluster (when it has them) and the data
 * center, on no host; as the core counts group members.
 */
static bool placed_in(const vlt_cycle_t *cy, const struct fake_server *s, vlt_level_t lvl,
		      uint32_t dom)
{
	if (!s->volume)
		return vlt_host_domain(cy->dc, s->host, lvl) == dom;
	const vlt_pool_t *p = &cy->dc->pools[s->host];
	switch (lvl) {
	case VLT_LEVEL_HOST:
		return false;
	case VLT_LEVEL_RACK:
		return p->rack != VLT_NONE && p->rack == dom;
	case VLT_LEVEL_CLUSTER:
		return p->cluster != VLT_NONE && p->cluster == dom;
	default:
		return true;
	}
}

/* Servers only: residents and policy residents are servers. */
static bool server_in(const vlt_cycle_t *cy, const struct fake_server *s, vlt_level_t lvl,
		      uint32_t dom)
{
	return !s->volume && placed_in(cy, s, lvl, dom);
}

static uint32_t fake_group_count(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom)
{
	uint32_t n = 0;

	cy->queries++;
	if (group >= cy->n_groups)
		return 0;
	for (size_t i = 0; i < cy->n_servers; i++)
		if ((cy->servers[i].mask & FG(group)) && placed_in(cy, &cy->servers[i], lvl, dom))
			n++;
	return n;
}

static uint32_t fake_group_servers(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl,
				   uint32_t dom)
{
	uint32_t n = 0;

	cy->queries++;
	if (group >= cy->n_groups)
		return 0;
	for (size_t i = 0; i < cy->n_servers; i++)
		if ((cy->servers[i].mask & FG(group)) && server_in(cy, &cy->servers[i], lvl, dom))
			n++;
	return n;
}

/* Distinct hosts inside dom holding a server of the group. */
static uint32_t fake_group_hosts(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom)
{
	bool held[FAKE_HOSTS] = { false };
	uint32_t n = 0;

	cy->queries++;
	if (group >= cy->n_groups || lvl >= VLT_LEVEL_DC)
		return 0;
	for (size_t i = 0; i < cy->n_servers; i++) {
		const struct fake_server *s = &cy->servers[i];
		if ((s->mask & FG(group)) && server_in(cy, s, lvl, dom) && !held[s->host]) {
			held[s->host] = true;
			n++;
		}
	}
	return n;
}

static uint32_t fake_residents(vlt_cycle_t *cy, vlt_level_t lvl, uint32_t dom)
{
	uint32_t n = 0;

	cy->queries++;
	for (size_t i = 0; i < cy->n_servers; i++)
		if (server_in(cy, &cy->servers[i], lvl, dom))
			n++;
	return n;
}

/* Is any group in mask handled by policy `self` at level lvl (DC: any level)? */
static bool mask_has_policy(const vlt_cycle_t *cy, uint64_t mask, uint32_t self,
			    vlt_level_t lvl)
{
	for (uint32_t g = 0; g < cy->n_groups; g++)
		if ((mask & FG(g)) && cy->groups[g].policy == self &&
		    (lvl == VLT_LEVEL_DC || cy->groups[g].level == lvl))
			return true;
	return false;
}

static uint32_t fake_policy_residents(const vlt_core_t *c, vlt_cycle_t *cy, vlt_level_t lvl,
				      uint32_t dom)
{
	uint32_t n = 0;

	cy->queries++;
	for (size_t i = 0; i < cy->n_servers; i++)
		if (server_in(cy, &cy->servers[i], lvl, dom) &&
		    mask_has_policy(cy, cy->servers[i].mask, c->self_id, lvl))
			n++;
	return n;
}

void fake_cycle_attach(fake_core_t *fc)
{
	vlt_core_t *t = fake_core_table(fc);

	t->cycle_dc = fake_cycle_dc;
	t->cycle_stack = fake_cycle_stack;
	t->cycle_view = fake_cycle_view;
	t->group_count = fake_group_count;
	t->residents = fake_residents;
	t->policy_residents = fake_policy_residents;
	t->group_servers = fake_group_servers;
	t->group_hosts = fake_group_hosts;
}
