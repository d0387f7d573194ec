/*
 * valet/model.h - the data-center model, the stack model and the
 * occupancy view that solvers and policies read.
 *
 * Ownership: every object here is owned by the core. Modules receive them by
 * const pointer, valid for the duration of the call (data-center objects for
 * the whole cycle) and never free or keep them. New members are only ever
 * appended (ABI minor).
 *
 * Capacity follows the placement contract: a host's capacity in each
 * resource is floor(total x ratio x (1 - standby/100)) - used, minus what
 * plans hold on it. Topology levels, from the bottom: host < rack < cluster
 * < datacenter. Hosts are stored sorted by cluster then rack, so a rack's
 * hosts and a cluster's racks are contiguous ranges.
 */
#ifndef VALET_MODEL_H
#define VALET_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define VLT_NONE UINT32_MAX       /* "no index": unplaced unit, no parent */
#define VLT_UNLIMITED INT64_MAX   /* bandwidth not given in the inventory */

typedef enum vlt_res {
	VLT_RES_VCPUS = 0,
	VLT_RES_RAM_MB = 1,
	VLT_RES_DISK_GB = 2,
	VLT_RES_COUNT = 3,
} vlt_res_t;

typedef enum vlt_level {
	VLT_LEVEL_HOST = 0,
	VLT_LEVEL_RACK = 1,
	VLT_LEVEL_CLUSTER = 2,
	VLT_LEVEL_DC = 3, /* the whole data center: one domain, index 0 */
	VLT_LEVEL_COUNT = 4,
} vlt_level_t;

typedef struct vlt_kv {
	const char *key;
	const char *value;
} vlt_kv_t;

/* ---------------------------------------------------------------- data center */

typedef struct vlt_host {
	uint32_t id;      /* index in vlt_dc_t.hosts */
	uint32_t rack;    /* index in vlt_dc_t.racks */
	uint32_t cluster; /* index in vlt_dc_t.clusters */
	const char *name;
	const char *az;   /* availability zone, "nova" by default */
	uint32_t az_id;   /* index in vlt_dc_t.azs */
	int64_t total[VLT_RES_COUNT];
	double ratio[VLT_RES_COUNT];       /* allocation ratios in force */
	double standby_pct[VLT_RES_COUNT]; /* headroom kept free, percent */
	int64_t used[VLT_RES_COUNT];       /* in use before Valet (no group) */
	int64_t capacity[VLT_RES_COUNT];   /* floor(total*ratio*(1-standby/100)) - used */
	int64_t nic_mbps;                  /* VLT_UNLIMITED when not given */
	const uint32_t *aggregates;        /* indices in vlt_dc_t.aggregates */
	uint32_t n_aggregates;
	bool enabled;
	bool preloaded; /* any used != 0: runs servers outside every group */
} vlt_host_t;

/* A rack or a cluster. */
typedef struct vlt_domain {
	uint32_t id;
	const char *name;
	uint32_t parent;      /* a rack's cluster; VLT_NONE for clusters */
	int64_t uplink_mbps;  /* VLT_UNLIMITED when not given */
	uint32_t first_host;  /* hosts [first_host, first_host + n_hosts) */
	uint32_t n_hosts;
	uint32_t first_rack;  /* clusters: racks [first_rack, first_rack + n_racks) */
	uint32_t n_racks;     /* 0 for racks */
	uint32_t n_preloaded; /* hosts with used capacity */
	uint32_t n_enabled;   /* enabled hosts */
	bool implicit;        /* made by the core: a host without a rack, a rack without a cluster */
} vlt_domain_t;

typedef struct vlt_aggregate {
	uint32_t id;
	const char *name;
	const vlt_kv_t *metadata;
	uint32_t n_metadata;
} vlt_aggregate_t;

/* A storage pool (Cinder backend pool) where volumes go. */
typedef struct vlt_pool {
	uint32_t id;
	const char *name;
	uint32_t rack;    /* VLT_NONE: outside every rack */
	uint32_t cluster; /* VLT_NONE: outside every cluster */
	int64_t capacity_gb;
	int64_t used_gb;
	const char *const *volume_types; /* empty: any type */
	uint32_t n_volume_types;
} vlt_pool_t;

typedef struct vlt_flavor {
	const char *name;
	int64_t vcpus;
	int64_t ram_mb;
	int64_t disk_gb;
	const vlt_kv_t *extra_specs;
	uint32_t n_extra_specs;
} vlt_flavor_t;

typedef struct vlt_dc {
	const char *name;
	const vlt_host_t *hosts;
	uint32_t n_hosts;
	const vlt_domain_t *racks;
	uint32_t n_racks;
	const vlt_domain_t *clusters;
	uint32_t n_clusters;
	const vlt_aggregate_t *aggregates;
	uint32_t n_aggregates;
	const vlt_pool_t *pools;
	uint32_t n_pools;
	const vlt_flavor_t *flavors;
	uint32_t n_flavors;
	const char *const *azs;
	uint32_t n_azs;
	/* ABI 1.6: the resource classes beyond the three of vlt_res_t that some
	 * host has (PCPU, VGPU, CUSTOM_*...), sorted; a class's index here is
	 * its id in vlt_class_demand_t and the class callbacks of vlt_core_t. */
	const char *const *classes;
	uint32_t n_classes;
} vlt_dc_t;

/* The index of the lvl-domain that holds host h (VLT_LEVEL_DC: always 0). */
static inline uint32_t vlt_host_domain(const vlt_dc_t *dc, uint32_t h, vlt_level_t lvl)
{
	switch (lvl) {
	case VLT_LEVEL_HOST:
		return h;
	case VLT_LEVEL_RACK:
		return dc->hosts[h].rack;
	case VLT_LEVEL_CLUSTER:
		return dc->hosts[h].cluster;
	default:
		return 0;
	}
}

/*
 * The index of the up-domain (at level up >= lvl) that holds domain dom of
 * level lvl.
 */
static inline uint32_t vlt_domain_up(const vlt_dc_t *dc, vlt_level_t lvl, uint32_t dom,
				     vlt_level_t up)
{
	if (up <= lvl)
		return dom;
	if (up == VLT_LEVEL_DC)
		return 0;
	if (lvl == VLT_LEVEL_HOST)
		return vlt_host_domain(dc, dom, up);
	/* lvl == RACK, up == CLUSTER */
	return dc->racks[dom].parent;
}

/* Number of domains at a level. */
static inline uint32_t vlt_level_size(const vlt_dc_t *dc, vlt_level_t lvl)
{
	switch (lvl) {
	case VLT_LEVEL_HOST:
		return dc->n_hosts;
	case VLT_LEVEL_RACK:
		return dc->n_racks;
	case VLT_LEVEL_CLUSTER:
		return dc->n_clusters;
	default:
		return 1;
	}
}

/* ---------------------------------------------------------------- stack */

/* ABI 1.6: an amount of one extra resource class (index in vlt_dc_t.classes). */
typedef struct vlt_class_demand {
	uint32_t rclass;
	int64_t amount;
} vlt_class_demand_t;

typedef enum vlt_unit_kind {
	VLT_UNIT_SERVER = 0, /* placed on a host */
	VLT_UNIT_VOLUME = 1, /* placed on a storage pool */
} vlt_unit_kind_t;

/* A group the unit belongs to, directly or through nested groups. */
typedef struct vlt_membership {
	uint32_t group; /* index in vlt_stack_t.groups */
	uint32_t via;   /* the child group of `group` that holds the unit; VLT_NONE if direct */
} vlt_membership_t;

typedef struct vlt_unit {
	uint32_t id; /* index in vlt_stack_t.units */
	vlt_unit_kind_t kind;
	const char *orch_id; /* the key in the request's resources */
	const char *name;
	const char *type;        /* "OS::Nova::Server", "OS::Cinder::Volume" */
	const char *flavor;      /* servers */
	const char *az;          /* NULL: any zone */
	const char *volume_type; /* volumes; NULL: any */
	int64_t demand[VLT_RES_COUNT]; /* volumes: demand[VLT_RES_DISK_GB] = size */
	const vlt_kv_t *extra_specs;   /* the flavor's */
	uint32_t n_extra_specs;
	const vlt_membership_t *groups; /* every group holding it, innermost first */
	uint32_t n_groups;
	const uint32_t *links; /* indices in vlt_stack_t.links */
	uint32_t n_links;
} vlt_unit_t;

enum {
	/* A volume attachment: no bandwidth is reserved, but keep the pair close. */
	VLT_LINK_ATTACHMENT = 1u << 0,
};

typedef struct vlt_link {
	uint32_t a, b; /* unit indices */
	double mbps;   /* bandwidth reserved between them */
	uint32_t flags;
} vlt_link_t;

typedef struct vlt_group {
	uint32_t id;       /* index in vlt_stack_t.groups */
	const char *type;  /* "affinity", "diversity", "exclusivity": the policy's name */
	uint32_t policy;   /* the handling policy module's vlt_core_t.self_id */
	vlt_level_t level;
	const char *name;  /* NULL: anonymous, lives only in this plan */
	const char *key;   /* identity across plans: "name" when named */
	uint32_t parent;   /* enclosing group; VLT_NONE at the top */
	const uint32_t *children; /* direct child groups */
	uint32_t n_children;
	const uint32_t *units; /* direct member units */
	uint32_t n_units;
	const char *const *tenants; /* who may use it; empty: anyone */
	uint32_t n_tenants;
	const char *ref; /* how the request named it (orchestration id or name), for messages */
} vlt_group_t;

typedef struct vlt_stack {
	const char *stack_id;
	const char *plan_name;
	const char *tenant_id; /* NULL when not known */
	const vlt_unit_t *units;
	uint32_t n_units;
	const vlt_group_t *groups;
	uint32_t n_groups;
	const vlt_link_t *links;
	uint32_t n_links;
} vlt_stack_t;

/* ---------------------------------------------------------------- occupancy */

/*
 * What is free now: the inventory's capacity minus every hold, this cycle's
 * tentative assignments included. The core keeps it current on every
 * assign and unassign; arrays are indexed by host, rack, cluster or pool.
 * The max_free arrays hold, per resource, the largest free amount of any
 * enabled host in the domain: a unit whose demand exceeds it cannot fit there.
 */
typedef struct vlt_view {
	const int64_t (*host_free)[VLT_RES_COUNT];
	const int64_t (*rack_max_free)[VLT_RES_COUNT];
	const int64_t (*cluster_max_free)[VLT_RES_COUNT];
	const int64_t (*rack_free)[VLT_RES_COUNT];    /* sums over enabled hosts */
	const int64_t (*cluster_free)[VLT_RES_COUNT];
	const int64_t *host_nic_free_mbps;
	const int64_t *rack_uplink_free_mbps;
	const int64_t *cluster_uplink_free_mbps;
	const uint32_t *host_residents; /* servers on the host, all plans */
	const int64_t *pool_free_gb;
	const uint32_t *placement; /* per unit of the stack: host or pool index, VLT_NONE */
} vlt_view_t;

#endif /* VALET_MODEL_H */
