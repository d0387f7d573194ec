/*
 * valet/core.h - what the core offers a module: the callback table.
 *
 * Modules never link against the core. Each loaded module gets its own
 * vlt_core_t (so the core knows who calls: log lines carry "[kind/name]",
 * configuration lookups read that module's own settings). The table lives
 * as long as the module stays loaded.
 *
 * Opaque types: a vlt_dc_builder_t is the data center under construction
 * that sources fill; a vlt_cycle_t is one solve of one stack, during which
 * solvers assign units and policies answer feasibility.
 */
#ifndef VALET_CORE_H
#define VALET_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <valet/errors.h>
#include <valet/model.h>

typedef struct vlt_dc_builder vlt_dc_builder_t;
typedef struct vlt_cycle vlt_cycle_t;

/*
 * Verdicts: what core->check answers a solver and what a policy's filter
 * and prefilter answer the core. They live here, beside check, because
 * solvers read them as much as policies do. The values are ABI: never
 * renumber them (2 is not used).
 */
enum vlt_verdict {
	VLT_PASS = 0,   /* the unit may go there */
	VLT_REJECT = 1, /* it may not */
	VLT_SKIP = 3,   /* (prefilter) the policy has nothing to say about this unit */
};

/* syslog's levels */
enum vlt_log_level {
	VLT_LOG_ERR = 3,
	VLT_LOG_WARNING = 4,
	VLT_LOG_NOTICE = 5,
	VLT_LOG_INFO = 6,
	VLT_LOG_DEBUG = 7,
};

/* One host as a source describes it. Unset optional fields keep defaults. */
typedef struct vlt_host_spec {
	const char *name;    /* required */
	const char *rack;    /* NULL: the host is its own rack */
	const char *az;      /* NULL: "nova" */
	int64_t total[VLT_RES_COUNT];
	double ratio[VLT_RES_COUNT];  /* 0: the data center's default */
	int64_t used[VLT_RES_COUNT];
	int64_t nic_mbps;             /* VLT_UNLIMITED when unknown */
	const char *const *aggregates; /* names added with dc_add_aggregate */
	uint32_t n_aggregates;
	bool enabled;
} vlt_host_spec_t;

/*
 * Placement's per-allocation limits of one resource on a host (its
 * inventory's min_unit, max_unit, step_size); 0: no limit. A server asking
 * a nonzero amount of the resource fits there only when the amount is at
 * least min_unit, at most max_unit and a multiple of step_size; asking
 * none asks nothing of it (Placement's rule).
 */
typedef struct vlt_unit_limits {
	int64_t min_unit, max_unit, step_size;
} vlt_unit_limits_t;

/*
 * ABI 1.6: a host's inventory of one resource class beyond the three of
 * vlt_res_t, as Placement has it. Its capacity is
 * floor((total - reserved) x ratio) - used (no standby: that is kept for
 * the three standard classes).
 */
typedef struct vlt_class_inventory {
	int64_t total;
	int64_t reserved;
	double ratio;  /* allocation_ratio; 0: 1.0 */
	int64_t used;  /* in use before Valet */
	vlt_unit_limits_t limits; /* min_unit, max_unit, step_size; 0: no limit */
} vlt_class_inventory_t;

typedef struct vlt_pool_spec {
	const char *name;
	const char *rack; /* NULL: outside every rack */
	int64_t capacity_gb;
	int64_t used_gb;
	const char *const *volume_types;
	uint32_t n_volume_types;
} vlt_pool_spec_t;

typedef struct vlt_core vlt_core_t;

struct vlt_core {
	uint16_t abi_major; /* the core's own, so a module can adapt */
	uint16_t abi_minor;
	uint32_t self_id; /* the module's index among loaded modules of its kind */
	void *priv;       /* the core's; modules leave it alone */

	/* ---- logging: the core adds "[kind/name] " in front */
	void (*log)(const vlt_core_t *c, int level, const char *fmt, ...)
#if defined(__GNUC__)
		__attribute__((format(printf, 3, 4)))
#endif
		;

	/*
	 * ---- the module's own settings (the group <kind>.<name> of the
	 * configuration). A missing key gives dflt. A key of the wrong type
	 * fails with VLT_ECONFIG and a message naming file, line and setting.
	 * Keys a module never asks for are reported as unknown after init.
	 * cfg_str: *out is a heap copy the caller frees (NULL when dflt is NULL).
	 */
	int (*cfg_str)(const vlt_core_t *c, const char *key, const char *dflt, char **out,
		       vlt_err_t *err);
	int (*cfg_int)(const vlt_core_t *c, const char *key, int64_t dflt, int64_t *out,
		       vlt_err_t *err);
	int (*cfg_double)(const vlt_core_t *c, const char *key, double dflt, double *out,
			  vlt_err_t *err);
	int (*cfg_bool)(const vlt_core_t *c, const char *key, bool dflt, bool *out,
			vlt_err_t *err);
	/* The data directory (borrowed); relative paths in settings resolve here. */
	const char *(*data_dir)(const vlt_core_t *c);

	/*
	 * ---- for sources: describe the data center. Names are copied.
	 * Each call checks what it can (duplicates, unknown names, negative
	 * numbers) and fails with VLT_EINVAL and a message; the source adds
	 * where in its input the fault is.
	 */
	int (*dc_set_name)(vlt_dc_builder_t *b, const char *name, vlt_err_t *err);
	int (*dc_set_defaults)(vlt_dc_builder_t *b, const double ratio[VLT_RES_COUNT],
			       const double standby_pct[VLT_RES_COUNT], vlt_err_t *err);
	int (*dc_add_cluster)(vlt_dc_builder_t *b, const char *name, int64_t uplink_mbps,
			      vlt_err_t *err);
	int (*dc_add_rack)(vlt_dc_builder_t *b, const char *name, const char *cluster,
			   int64_t uplink_mbps, vlt_err_t *err);
	int (*dc_add_aggregate)(vlt_dc_builder_t *b, const char *name, const vlt_kv_t *metadata,
				uint32_t n_metadata, vlt_err_t *err);
	int (*dc_add_host)(vlt_dc_builder_t *b, const vlt_host_spec_t *spec, vlt_err_t *err);
	int (*dc_add_pool)(vlt_dc_builder_t *b, const vlt_pool_spec_t *spec, vlt_err_t *err);
	int (*dc_add_flavor)(vlt_dc_builder_t *b, const vlt_flavor_t *flavor, vlt_err_t *err);

	/* ---- for solvers and policies: the cycle (all borrowed, valid for the cycle) */
	const vlt_dc_t *(*cycle_dc)(vlt_cycle_t *cy);
	const vlt_stack_t *(*cycle_stack)(vlt_cycle_t *cy);
	const vlt_view_t *(*cycle_view)(vlt_cycle_t *cy);

	/*
	 * check - may `unit` go into domain dom of level lvl, given what is
	 * assigned now? Capacity (with bandwidth), enabled, zone, aggregate
	 * extra specs, required and forbidden traits, Placement's
	 * per-allocation limits (ABI 1.3) and every loaded policy. At
	 * VLT_LEVEL_HOST the answer is
	 * exact; above it is optimistic (VLT_REJECT means no host inside can
	 * take the unit; VLT_PASS means one may). For a volume, lvl must be
	 * VLT_LEVEL_HOST and dom is a pool index.
	 * RET VLT_PASS, VLT_REJECT, or a negative error.
	 */
	int (*check)(vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl, uint32_t dom);
	/* Ostro's bandwidth cost that placing unit on host (or pool) adds:
	 * the sum over links to placed units of 2 x mbps x levels crossed. */
	double (*cost)(vlt_cycle_t *cy, uint32_t unit, uint32_t loc);
	/* The weighted sum of the policies' scores (0 when none scores). */
	double (*score)(vlt_cycle_t *cy, uint32_t unit, uint32_t loc);
	/* Hold unit on host (or pool). It does not re-check; call check first. */
	int (*assign)(vlt_cycle_t *cy, uint32_t unit, uint32_t loc);
	/* Release a tentative assignment; a no-op for an unplaced unit. */
	void (*unassign)(vlt_cycle_t *cy, uint32_t unit);
	/* Record, for the error message, why unit fits nowhere right now. */
	void (*note_failure)(vlt_cycle_t *cy, uint32_t unit);
	/* Add a figure to the plan's metrics, e.g. the exact solver's "gap". */
	void (*metric)(vlt_cycle_t *cy, const char *name, double value);

	/* ---- occupancy, committed plans and this cycle's assignments together */
	/* Members of stack group `group` (with its earlier plans' members when
	 * named) inside domain dom of level lvl; VLT_LEVEL_DC counts them all. */
	uint32_t (*group_count)(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom);
	/* Servers inside domain dom of level lvl, of every plan. */
	uint32_t (*residents)(vlt_cycle_t *cy, vlt_level_t lvl, uint32_t dom);
	/* Servers inside dom that belong to a group of level lvl handled by the
	 * calling policy (c), of every plan; VLT_LEVEL_DC counts them all. */
	uint32_t (*policy_residents)(const vlt_core_t *c, vlt_cycle_t *cy, vlt_level_t lvl,
				     uint32_t dom);

	/* ---- ABI 1.1: read only when abi_minor >= 1 */
	/* As group_count, servers only: a member volume sits on a pool, which
	 * is in a rack but on no host, and is never a resident. */
	uint32_t (*group_servers)(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom);

	/* ---- ABI 1.2: read only when abi_minor >= 2 */
	/*
	 * For sources: consumer (an instance's uuid) uses `used` on host, as
	 * Placement allocates it; the host's own used (dc_add_host) includes
	 * it already. The core then counts it once: as the hold of the
	 * reserved server whose resource id it is, else as capacity taken.
	 */
	int (*dc_add_consumer)(vlt_dc_builder_t *b, const char *host, const char *consumer,
			       const int64_t used[VLT_RES_COUNT], vlt_err_t *err);
	/*
	 * For sources: put a host another source added (one listed earlier in
	 * modules.sources) into a rack (dc_add_rack, by any source); the
	 * topology of hosts the compute source found, say.
	 */
	int (*dc_set_host_rack)(vlt_dc_builder_t *b, const char *host, const char *rack,
				vlt_err_t *err);
	/*
	 * For a source that knows every instance of the cloud (Nova): their
	 * ids, all of them, in one call (n may be 0). A reserved server whose
	 * resource id is not among them is gone: the core releases it.
	 */
	int (*dc_set_instances)(vlt_dc_builder_t *b, const char *const *ids, uint32_t n,
				vlt_err_t *err);

	/* ---- ABI 1.3: read only when abi_minor >= 3 */
	/*
	 * For sources: Placement's per-allocation limits of each resource on a
	 * host added earlier (by this source or one before it), replacing any
	 * set before. Negative numbers are refused.
	 */
	int (*dc_set_host_limits)(vlt_dc_builder_t *b, const char *host,
				  const vlt_unit_limits_t lim[VLT_RES_COUNT], vlt_err_t *err);
	/*
	 * For sources: the host's traits (Placement's, e.g. "HW_CPU_X86_AVX2",
	 * "CUSTOM_GPU"), replacing any list given before; n may be 0. A
	 * flavor's extra specs trait:NAME=required and trait:NAME=forbidden
	 * read them. Names are copied; empty names and repeats are refused.
	 */
	int (*dc_set_host_traits)(vlt_dc_builder_t *b, const char *host, const char *const *traits,
				  uint32_t n, vlt_err_t *err);
	/*
	 * For sources: the host's stable identity (its Placement resource
	 * provider's uuid), unique among hosts; the same value again is fine,
	 * another one for a host that has one is refused.
	 */
	int (*dc_set_host_uuid)(vlt_dc_builder_t *b, const char *host, const char *uuid,
				vlt_err_t *err);
	/*
	 * For sources: the NIC bandwidth (Mbit/s, 0 or more) of a host another
	 * source added (one listed earlier in modules.sources); it replaces
	 * the host's nic_mbps. Placement's bandwidth inventories, say.
	 */
	int (*dc_set_host_nic)(vlt_dc_builder_t *b, const char *host, int64_t nic_mbps,
			       vlt_err_t *err);

	/* ---- ABI 1.5: read only when abi_minor >= 5 */
	/*
	 * How many hosts of domain dom (a host, rack or cluster: lvl below
	 * VLT_LEVEL_DC) hold a server of stack group `group` (earlier plans'
	 * included when named), enabled or not; 0 for VLT_LEVEL_DC. A policy
	 * can tell from it that a rack has no host left without a member.
	 */
	uint32_t (*group_hosts)(vlt_cycle_t *cy, uint32_t group, vlt_level_t lvl, uint32_t dom);

	/* ---- ABI 1.6: read only when abi_minor >= 6 */
	/*
	 * For sources: the host's inventory of resource class rclass, one
	 * beyond VCPU, MEMORY_MB and DISK_GB (those are dc_add_host's): a
	 * standard class of Placement's (PCPU, VGPU, NET_BW_EGR_KILOBIT_PER_SEC,
	 * ...) or CUSTOM_ followed by A-Z, 0-9 and _. It replaces what was set
	 * before for that class on that host (added earlier, by this source or
	 * one before it). Negative numbers, reserved above total and other
	 * names are refused.
	 */
	int (*dc_set_host_class)(vlt_dc_builder_t *b, const char *host, const char *rclass,
				 const vlt_class_inventory_t *inv, vlt_err_t *err);
	/*
	 * For sources: consumer uses amount of extra class rclass on host, as
	 * Placement allocates it; the class's used (dc_set_host_class)
	 * includes it already. As with dc_add_consumer, a consumer that is
	 * one of Valet's reserved servers is counted once, by its hold. The
	 * host must have an inventory of the class when the data center is
	 * built.
	 */
	int (*dc_add_consumer_class)(vlt_dc_builder_t *b, const char *host, const char *consumer,
				     const char *rclass, int64_t amount, vlt_err_t *err);
	/*
	 * For solvers: what is free now of class rclass (index in
	 * vlt_dc_t.classes) on host, this cycle's assignments included; -1
	 * when the host has none of that class.
	 */
	int64_t (*class_free)(vlt_cycle_t *cy, uint32_t host, uint32_t rclass);
	/*
	 * For solvers: the extra classes unit asks (its flavor's
	 * resources:CLASS=N extra specs, Nova's way), *out borrowed for the
	 * cycle. RET how many; a unit asking a class no host has fits nowhere
	 * (check says so) and lists only the classes some host has.
	 */
	uint32_t (*unit_classes)(vlt_cycle_t *cy, uint32_t unit, const vlt_class_demand_t **out);
};

#define vlt_log_err(c, ...) (c)->log((c), VLT_LOG_ERR, __VA_ARGS__)
#define vlt_log_warn(c, ...) (c)->log((c), VLT_LOG_WARNING, __VA_ARGS__)
#define vlt_log_notice(c, ...) (c)->log((c), VLT_LOG_NOTICE, __VA_ARGS__)
#define vlt_log_info(c, ...) (c)->log((c), VLT_LOG_INFO, __VA_ARGS__)
#define vlt_log_debug(c, ...) (c)->log((c), VLT_LOG_DEBUG, __VA_ARGS__)

#endif /* VALET_CORE_H */
