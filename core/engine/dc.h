/*
 * dc.h - builds the data-center model (valet/model.h) from what sources
 * describe, then freezes it: hosts sorted by cluster and rack, capacities
 * computed as the placement contract says, implicit racks and cluster made.
 */
#ifndef VALET_CORE_DC_H
#define VALET_CORE_DC_H

#include <valet/core.h>
#include <valet/model.h>

/* "vcpus", "ram_mb", "disk_gb": a resource's name in documents (static storage). */
const char *vlt__dc_res_name(vlt_res_t r);

/* OUT: a new builder, owned by the caller (vlt__dc_builder_free). */
vlt_dc_builder_t *vlt__dc_builder_new(void);
void vlt__dc_builder_free(vlt_dc_builder_t *b);

/*
 * vlt__dc_build - freeze b into a data center.
 * OUT dc - new, owned by the caller; free with vlt__dc_free.
 * RET 0 or VLT_EINVAL (e.g. no data-center name) with err.
 */
int vlt__dc_build(vlt_dc_builder_t *b, vlt_dc_t **dc, vlt_err_t *err);
void vlt__dc_free(vlt_dc_t *dc);

/* Lookups by name (linear or hashed); VLT_NONE when absent. */
uint32_t vlt__dc_find_host(const vlt_dc_t *dc, const char *name);
uint32_t vlt__dc_find_pool(const vlt_dc_t *dc, const char *name);
const vlt_flavor_t *vlt__dc_find_flavor(const vlt_dc_t *dc, const char *name);

/*
 * Consumers: what each instance uses on a host, as a source reported it
 * (Placement's allocations), part of the host's used. A consumer Valet
 * holds itself (a reserved server whose resource id it is) is counted by
 * its hold, so vlt__dc_credit takes it out of the host's used: nothing is
 * counted twice. Any other consumer (a server booted around Valet) is
 * capacity taken.
 */
typedef struct vlt_dc_consumer {
	uint32_t host;
	const char *id;
	int64_t used[VLT_RES_COUNT];
	bool credited; /* out of the host's used: Valet holds it */
} vlt_dc_consumer_t;

/* The consumers, sorted by host (borrowed from dc); *n their count. */
const vlt_dc_consumer_t *vlt__dc_consumers(const vlt_dc_t *dc, uint32_t *n);
/*
 * vlt__dc_credit - hosts' used and capacity again from what the sources
 * said, less the consumers whose ids are in ids (n_ids of them). Call it
 * before a ledger is made on dc. RET how many consumers were credited.
 */
uint32_t vlt__dc_credit(vlt_dc_t *dc, const char *const *ids, size_t n_ids);

/* The builder callbacks, as vlt_core_t exposes them. */
int vlt__dc_set_name(vlt_dc_builder_t *b, const char *name, vlt_err_t *err);
int vlt__dc_set_defaults(vlt_dc_builder_t *b, const double ratio[VLT_RES_COUNT],
			 const double standby_pct[VLT_RES_COUNT], vlt_err_t *err);
int vlt__dc_add_cluster(vlt_dc_builder_t *b, const char *name, int64_t uplink_mbps,
			vlt_err_t *err);
int vlt__dc_add_rack(vlt_dc_builder_t *b, const char *name, const char *cluster,
		     int64_t uplink_mbps, vlt_err_t *err);
int vlt__dc_add_aggregate(vlt_dc_builder_t *b, const char *name, const vlt_kv_t *metadata,
			  uint32_t n_metadata, vlt_err_t *err);
int vlt__dc_add_host(vlt_dc_builder_t *b, const vlt_host_spec_t *spec, vlt_err_t *err);
int vlt__dc_add_pool(vlt_dc_builder_t *b, const vlt_pool_spec_t *spec, vlt_err_t *err);
int vlt__dc_add_flavor(vlt_dc_builder_t *b, const vlt_flavor_t *flavor, vlt_err_t *err);
int vlt__dc_set_host_rack(vlt_dc_builder_t *b, const char *host, const char *rack,
			  vlt_err_t *err);
int vlt__dc_set_instances(vlt_dc_builder_t *b, const char *const *ids, uint32_t n,
			  vlt_err_t *err);
/* Did a source give every instance (vlt__dc_set_instances)? Is id one of them? */
bool vlt__dc_instances_known(const vlt_dc_t *dc);
bool vlt__dc_has_instance(const vlt_dc_t *dc, const char *id);
int vlt__dc_add_consumer(vlt_dc_builder_t *b, const char *host, const char *consumer,
			 const int64_t used[VLT_RES_COUNT], vlt_err_t *err);
int vlt__dc_set_host_limits(vlt_dc_builder_t *b, const char *host,
			    const vlt_unit_limits_t lim[VLT_RES_COUNT], vlt_err_t *err);
int vlt__dc_set_host_traits(vlt_dc_builder_t *b, const char *host, const char *const *traits,
			    uint32_t n, vlt_err_t *err);
int vlt__dc_set_host_uuid(vlt_dc_builder_t *b, const char *host, const char *uuid,
			  vlt_err_t *err);

/*
 * What sources said of host h beyond vlt_host_t (kept here, not in the
 * public model, whose hosts modules index as an array). All borrowed from dc.
 * vlt__dc_host_limits: Placement's limits per resource (0: none), never NULL.
 * vlt__dc_host_uuid: its stable identity, NULL when no source gave one.
 */
const vlt_unit_limits_t *vlt__dc_host_limits(const vlt_dc_t *dc, uint32_t h);
/* vlt__dc_any_host_limits: false when no host has any limit (every demand passes them). */
bool vlt__dc_any_host_limits(const vlt_dc_t *dc);
const char *vlt__dc_host_uuid(const vlt_dc_t *dc, uint32_t h);
/*
 * Traits: every name some host has gets an id. vlt__dc_trait_id is
 * VLT_NONE for a name no host has; vlt__dc_host_traits gives host h's ids,
 * sorted, *n of them.
 */
uint32_t vlt__dc_trait_id(const vlt_dc_t *dc, const char *name);
const char *vlt__dc_trait_name(const vlt_dc_t *dc, uint32_t trait);
const uint32_t *vlt__dc_host_traits(const vlt_dc_t *dc, uint32_t h, uint32_t *n);
bool vlt__dc_host_has_trait(const vlt_dc_t *dc, uint32_t h, uint32_t trait);

int vlt__dc_set_host_class(vlt_dc_builder_t *b, const char *host, const char *rclass,
			   const vlt_class_inventory_t *inv, vlt_err_t *err);
/*
 * Extra resource classes (dc->classes, by id). vlt__dc_class_id is
 * VLT_NONE for a name no host has; a host's capacity of a class is
 * floor((total - reserved) x ratio) - used, VLT_CLASS_ABSENT when it has
 * none; its limits are never NULL (0: no limit).
 */
int vlt__dc_add_consumer_class(vlt_dc_builder_t *b, const char *host, const char *consumer,
			       const char *rclass, int64_t amount, vlt_err_t *err);
#define VLT_CLASS_ABSENT INT64_MIN
uint32_t vlt__dc_class_id(const vlt_dc_t *dc, const char *name);
int64_t vlt__dc_host_class_capacity(const vlt_dc_t *dc, uint32_t h, uint32_t c);
const vlt_unit_limits_t *vlt__dc_host_class_limits(const vlt_dc_t *dc, uint32_t h, uint32_t c);

int vlt__dc_set_host_nic(vlt_dc_builder_t *b, const char *host, int64_t nic_mbps,
			 vlt_err_t *err);

#endif /* VALET_CORE_DC_H */
