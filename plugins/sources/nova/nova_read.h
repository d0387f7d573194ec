/*
 * nova_read.h - what the nova source reads from Placement and the Nova API,
 * in plain structs: one compute host per resource provider that a Nova
 * hypervisor names, and one, disabled, per root provider with compute
 * inventory that none names; with Placement's inventories and usages of VCPU,
 * MEMORY_MB and DISK_GB and of every other class of the provider; host aggregates with their metadata and zones;
 * flavors with their extra specs; the traits flavors ask about
 * (trait:NAME=required|forbidden) on the providers that have them.
 *
 * Microversions are pinned: placement 1.19 (aggregates as a list of uuids
 * with the provider's generation; GET /traits?name=in: since 1.6; GET
 * /resource_providers?required= since 1.18), compute 2.61 (hypervisor ids are the
 * compute nodes' uuids, which are their providers' uuids; flavors carry
 * their extra specs).
 */
#ifndef VALET_NOVA_READ_H
#define VALET_NOVA_READ_H

#include <stdbool.h>
#include <stdint.h>

#include <valet/model.h>

#include "os_client.h"

#define NOVA_PLACEMENT_VERSION "placement 1.19"
#define NOVA_COMPUTE_VERSION "compute 2.61"

/* One Placement inventory of a provider (placement's own fields). */
typedef struct nova_inventory {
	bool present;
	int64_t total, reserved, min_unit, max_unit, step_size;
	double allocation_ratio;
	int64_t used; /* the provider's usage of it: the sum of its allocations */
} nova_inventory_t;

/* A provider's inventory of a class beyond VCPU, MEMORY_MB and DISK_GB. */
typedef struct nova_class {
	char *name;
	nova_inventory_t inv;
} nova_class_t;

/* An amount of one such class: what a consumer is allocated of it. */
typedef struct nova_amount {
	uint32_t rclass; /* index in its host's classes */
	int64_t amount;
} nova_amount_t;

/* One consumer's allocation on a host's provider (an instance, a migration). */
typedef struct nova_consumer {
	char *id;
	int64_t used[VLT_RES_COUNT];
	nova_amount_t *classes; /* of its host's classes, those it is allocated */
	uint32_t n_classes;
} nova_consumer_t;

typedef struct nova_host {
	char *name;	 /* the compute service's host: what Nova's scheduler calls it */
	char *rp_uuid;	 /* its resource provider (the compute node) */
	char *hypervisor; /* hypervisor_hostname; NULL for an orphan */
	bool orphan;	  /* a root provider with compute inventory that no hypervisor names */
	nova_inventory_t inv[VLT_RES_COUNT];
	nova_class_t *classes; /* every other class of its provider's inventories */
	uint32_t n_classes;
	bool enabled; /* service enabled and up, not forced down; hypervisor enabled and up */
	char *why_disabled; /* NULL when enabled */
	char *az;	    /* NULL: the default zone */
	char **aggregates;  /* names of the Nova aggregates holding it */
	uint32_t n_aggregates;
	nova_consumer_t *consumers; /* Placement's allocations on its provider */
	uint32_t n_consumers;
	char **traits; /* its provider's traits that some flavor asks about */
	uint32_t n_traits;
} nova_host_t;

typedef struct nova_aggregate {
	char *name;
	char *az; /* NULL: none */
	vlt_kv_t *metadata; /* keys and values owned (cast from const) */
	uint32_t n_metadata;
	char **hosts;
	uint32_t n_hosts;
} nova_aggregate_t;

typedef struct nova_flavor {
	char *name;
	int64_t vcpus, ram_mb, disk_gb;
	vlt_kv_t *extra_specs; /* owned */
	uint32_t n_extra_specs;
	bool is_public;
} nova_flavor_t;

/* Everything one reading found; owned (nova_cloud_free). */
typedef struct nova_cloud {
	nova_host_t *hosts;
	uint32_t n_hosts;
	nova_aggregate_t *aggregates;
	uint32_t n_aggregates;
	nova_flavor_t *flavors;
	uint32_t n_flavors;
	char **instances; /* every server of every project */
	uint32_t n_instances;
} nova_cloud_t;

/*
 * nova_read - read the cloud through c. RET 0, or the client's error (err
 * names the request and why); on failure *cloud holds nothing.
 */
int nova_read(os_client_t *c, const vlt_core_t *core, nova_cloud_t *cloud, vlt_err_t *err);
void nova_cloud_free(nova_cloud_t *cloud);

#endif /* VALET_NOVA_READ_H */
