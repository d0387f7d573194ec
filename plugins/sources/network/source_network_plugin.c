/*
 * source_network_plugin.c - the network source: the topology placement
 * quality depends on, from Nova's host aggregates. An aggregate whose
 * metadata has the key `rack_key` (default "valet:rack") makes the rack
 * it names and puts its hosts in it; `cluster_key` (default
 * "valet:cluster") on the same aggregate puts that rack in a cluster.
 * Racks and clusters get the uplinks of the settings rack_uplink_mbps and
 * cluster_uplink_mbps (0: unlimited). The hosts themselves come from a
 * source listed before it (nova).
 *
 * Settings: the OpenStack ones (os_client.h), rack_key, cluster_key,
 * rack_uplink_mbps, cluster_uplink_mbps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/model.h>
#include <valet/source.h>

#include "os_client.h"

static const char *const compute_hdr[] = { "OpenStack-API-Version: compute 2.61", NULL };

struct network_state {
	const vlt_core_t *core;
	os_client_t *client;
	char *rack_key, *cluster_key;
	int64_t rack_uplink, cluster_uplink; /* VLT_UNLIMITED when 0 was given */
};

static void network_fini(void *state)
{
	struct network_state *st = state;

	if (st == NULL)
		return;
	os_client_free(st->client);
	free(st->rack_key);
	free(st->cluster_key);
	free(st);
}

static int read_uplink(const vlt_core_t *core, const char *key, int64_t *out, vlt_err_t *err)
{
	int rc = core->cfg_int(core, key, 0, out, err);

	if (rc == 0 && *out < 0)
		rc = vlt_err_set(err, VLT_ECONFIG, "setting '%s': must be 0 or more", key);
	if (rc == 0 && *out == 0)
		*out = VLT_UNLIMITED;
	return rc;
}

static int network_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct network_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (st == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	st->core = core;
	rc = os_client_open(&st->client, core, err);
	if (rc == 0)
		rc = core->cfg_str(core, "rack_key", "valet:rack", &st->rack_key, err);
	if (rc == 0)
		rc = core->cfg_str(core, "cluster_key", "valet:cluster", &st->cluster_key, err);
	if (rc == 0)
		rc = read_uplink(core, "rack_uplink_mbps", &st->rack_uplink, err);
	if (rc == 0)
		rc = read_uplink(core, "cluster_uplink_mbps", &st->cluster_uplink, err);
	if (rc < 0) {
		network_fini(st);
		return rc;
	}
	*state = st;
	return 0;
}

/* Add name once: seen records what this reading added already. */
static bool first_time(json_t *seen, const char *kind, const char *name)
{
	char key[600];

	snprintf(key, sizeof(key), "%s/%s", kind, name);
	if (json_object_get(seen, key) != NULL)
		return false;
	json_object_set_new(seen, key, json_true());
	return true;
}

/* One aggregate naming a rack: its cluster, the rack, its hosts in it. */
static int add_rack_of(struct network_state *st, vlt_dc_builder_t *b, const json_t *agg,
		       json_t *seen, vlt_err_t *err)
{
	const json_t *md = json_object_get(agg, "metadata");
	const char *rack = json_string_value(json_object_get(md, st->rack_key));
	const char *cluster = json_string_value(json_object_get(md, st->cluster_key));
	const char *agg_name = json_string_value(json_object_get(agg, "name"));
	int rc = 0;
	size_t i;
	json_t *h;

	if (rack == NULL)
		return 0;
	if (cluster != NULL && first_time(seen, "cluster", cluster))
		rc = st->core->dc_add_cluster(b, cluster, st->cluster_uplink, err);
	if (rc == 0 && first_time(seen, "rack", rack))
		rc = st->core->dc_add_rack(b, rack, cluster, st->rack_uplink, err);
	json_array_foreach(json_object_get(agg, "hosts"), i, h) {
		if (rc == 0)
			rc = st->core->dc_set_host_rack(b, json_string_value(h), rack, err);
	}
	if (rc < 0)
		vlt_err_set(err, rc, "aggregate %s (%s = %s): %s", agg_name != NULL ? agg_name : "?",
			    st->rack_key, rack, err->msg);
	return rc;
}

static int network_collect(void *state, vlt_dc_builder_t *b, vlt_err_t *err)
{
	struct network_state *st = state;
	json_t *doc = NULL, *seen = json_object();
	int rc = seen != NULL ? os_get(st->client, "compute", "/os-aggregates", compute_hdr, &doc,
				       err)
			      : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	const json_t *aggs = json_object_get(doc, "aggregates");

	for (size_t i = 0; rc == 0 && i < json_array_size(aggs); i++)
		rc = add_rack_of(st, b, json_array_get(aggs, i), seen, err);
	if (rc == 0)
		vlt_log_info(st->core, "topology: %zu racks and clusters from %zu aggregates",
			     json_object_size(seen), json_array_size(aggs));
	json_decref(doc);
	json_decref(seen);
	return rc;
}

static const vlt_source_ops_t network_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOURCE, vlt_source_ops_t, "network", "0.1.0",
				"racks and clusters from Nova's host aggregates"),
	.init = network_init,
	.fini = network_fini,
	.collect = network_collect,
};

VLT_PLUGIN_DEFINE(network_ops);
