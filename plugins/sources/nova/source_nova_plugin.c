/*
 * source_nova_plugin.c - the nova source: compute hosts as Placement and
 * the Nova API see them. A host's capacity follows Placement's arithmetic,
 * (total - reserved) x allocation_ratio, and its usage is Placement's, so
 * Valet and Placement agree on whether a server fits; a host Nova would
 * not build on (service disabled, down or forced down; hypervisor
 * disabled or down) is disabled, and so is a root provider with compute
 * inventory that no hypervisor names. Aggregates carry their metadata and
 * zones; flavors their extra specs. Each host also gets its provider's
 * uuid, Placement's per-allocation limits (min_unit, max_unit, step_size,
 * as read), the traits flavors ask about, and every other resource class
 * of its provider's inventories with each consumer's allocation of it. Racks come from the network source
 * (or the static one); alone, each host is its own rack.
 *
 * Settings: the OpenStack ones (os_client.h, docs/sources-openstack.md), and
 * datacenter: the data center's name (default: the region, else "openstack").
 */
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/source.h>

#include "nova_read.h"
#include "os_client.h"

struct nova_state {
	const vlt_core_t *core;
	os_client_t *client;
	char *datacenter; /* the data center's name */
};

static void nova_fini(void *state)
{
	struct nova_state *st = state;

	if (st == NULL)
		return;
	os_client_free(st->client);
	free(st->datacenter);
	free(st);
}

static int nova_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct nova_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (st == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	st->core = core;
	rc = os_client_open(&st->client, core, err);
	/* another source naming the data center must give the same name */
	if (rc == 0) {
		const char *region = os_client_region(st->client);

		rc = core->cfg_str(core, "datacenter", region != NULL ? region : "openstack",
				   &st->datacenter, err);
	}
	if (rc < 0) {
		nova_fini(st);
		return rc;
	}
	*state = st;
	return 0;
}


/* Placement's capacity as the model holds it: total less reserved, at its ratio. */
static void capacity_of(const nova_host_t *h, vlt_host_spec_t *spec)
{
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		const nova_inventory_t *inv = &h->inv[r];
		int64_t usable = inv->present ? inv->total - inv->reserved : 0;

		spec->total[r] = usable > 0 ? usable : 0;
		spec->ratio[r] = inv->present && inv->allocation_ratio > 0 ? inv->allocation_ratio
									     : 1.0;
		spec->used[r] = inv->used;
	}
}

/* Placement's limits as read (it defaults min_unit 1, max_unit total, step_size 1). */
static void limits_of(const nova_host_t *h, vlt_unit_limits_t lim[VLT_RES_COUNT])
{
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		const nova_inventory_t *inv = &h->inv[r];

		lim[r] = (vlt_unit_limits_t){ 0 };
		if (inv->present)
			lim[r] = (vlt_unit_limits_t){ inv->min_unit, inv->max_unit, inv->step_size };
	}
}

/*
 * The provider's other classes (PCPU, VGPU, CUSTOM_*...) with what each
 * consumer is allocated of them. A class the core does not take (a
 * standard class newer than it knows) is left out with a warning, rather
 * than the host.
 */
static int add_host_classes(const vlt_core_t *core, vlt_dc_builder_t *b, const nova_host_t *h,
			    vlt_err_t *err)
{
	bool *taken = calloc(h->n_classes + 1, sizeof(*taken));
	int rc = taken != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	for (uint32_t c = 0; rc == 0 && c < h->n_classes; c++) {
		const nova_inventory_t *n = &h->classes[c].inv;
		vlt_class_inventory_t inv = {
			.total = n->total, .reserved = n->reserved, .ratio = n->allocation_ratio,
			.used = n->used, .limits = { n->min_unit, n->max_unit, n->step_size },
		};

		if (core->dc_set_host_class(b, h->name, h->classes[c].name, &inv, err) == 0)
			taken[c] = true;
		else
			vlt_log_warn(core, "host %s: resource class left out: %s", h->name, err->msg);
	}
	for (uint32_t i = 0; rc == 0 && i < h->n_consumers; i++) {
		const nova_consumer_t *k = &h->consumers[i];

		for (uint32_t j = 0; rc == 0 && j < k->n_classes; j++)
			if (taken[k->classes[j].rclass])
				rc = core->dc_add_consumer_class(b, h->name, k->id,
								 h->classes[k->classes[j].rclass].name,
								 k->classes[j].amount, err);
	}
	free(taken);
	return rc;
}

/* Beyond the spec: the provider's uuid, Placement's limits, the traits flavors ask about. */
static int add_host_extras(const vlt_core_t *core, vlt_dc_builder_t *b, const nova_host_t *h,
			   vlt_err_t *err)
{
	vlt_unit_limits_t lim[VLT_RES_COUNT];
	int rc = core->dc_set_host_uuid(b, h->name, h->rp_uuid, err);

	limits_of(h, lim);
	if (rc == 0)
		rc = core->dc_set_host_limits(b, h->name, lim, err);
	if (rc == 0)
		rc = core->dc_set_host_traits(b, h->name, (const char *const *)h->traits,
					      h->n_traits, err);
	return rc;
}

static int add_host(const vlt_core_t *core, vlt_dc_builder_t *b, const nova_host_t *h,
		    vlt_err_t *err)
{
	vlt_host_spec_t spec = { .name = h->name,
				 .az = h->az,
				 .nic_mbps = VLT_UNLIMITED,
				 .aggregates = (const char *const *)h->aggregates,
				 .n_aggregates = h->n_aggregates,
				 .enabled = h->enabled };

	capacity_of(h, &spec);
	if (!h->enabled && h->orphan) /* many, perhaps: nova_read's summary is at info */
		vlt_log_debug(core, "host %s disabled: %s", h->name, h->why_disabled);
	else if (!h->enabled)
		vlt_log_info(core, "host %s disabled: %s", h->name, h->why_disabled);
	int rc = core->dc_add_host(b, &spec, err);
	for (uint32_t i = 0; rc == 0 && i < h->n_consumers; i++)
		rc = core->dc_add_consumer(b, h->name, h->consumers[i].id, h->consumers[i].used,
					   err);
	if (rc == 0)
		rc = add_host_extras(core, b, h, err);
	if (rc == 0 && core->abi_minor >= 6)
		rc = add_host_classes(core, b, h, err);
	if (rc < 0) {
		char why[VLT_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg); /* err->msg is also the output */
		vlt_err_set(err, rc, "Nova host %s (provider %s): %s", h->name, h->rp_uuid, why);
	}
	return rc;
}

static int describe(const struct nova_state *st, vlt_dc_builder_t *b, const nova_cloud_t *cloud,
		    vlt_err_t *err)
{
	const vlt_core_t *core = st->core;
	int rc = core->dc_set_name(b, st->datacenter, err);

	for (uint32_t i = 0; rc == 0 && i < cloud->n_aggregates; i++) {
		const nova_aggregate_t *g = &cloud->aggregates[i];

		rc = core->dc_add_aggregate(b, g->name, g->metadata, g->n_metadata, err);
	}
	for (uint32_t i = 0; rc == 0 && i < cloud->n_hosts; i++)
		rc = add_host(core, b, &cloud->hosts[i], err);
	if (rc == 0)
		rc = core->dc_set_instances(b, (const char *const *)cloud->instances,
					    cloud->n_instances, err);
	for (uint32_t i = 0; rc == 0 && i < cloud->n_flavors; i++) {
		const nova_flavor_t *f = &cloud->flavors[i];
		vlt_flavor_t fl = { .name = f->name,
				    .vcpus = f->vcpus,
				    .ram_mb = f->ram_mb,
				    .disk_gb = f->disk_gb,
				    .extra_specs = f->extra_specs,
				    .n_extra_specs = f->n_extra_specs };

		rc = core->dc_add_flavor(b, &fl, err);
	}
	return rc;
}

static int nova_collect(void *state, vlt_dc_builder_t *b, vlt_err_t *err)
{
	struct nova_state *st = state;
	nova_cloud_t cloud;
	int rc = nova_read(st->client, st->core, &cloud, err);

	if (rc < 0)
		return rc;
	rc = describe(st, b, &cloud, err);
	nova_cloud_free(&cloud);
	return rc;
}

static const vlt_source_ops_t nova_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOURCE, vlt_source_ops_t, "nova", "0.1.0",
				"compute hosts, aggregates and flavors from Placement and Nova"),
	.init = nova_init,
	.fini = nova_fini,
	.collect = nova_collect,
};

VLT_PLUGIN_DEFINE(nova_ops);
