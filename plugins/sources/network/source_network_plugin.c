/*
 * source_network_plugin.c - the network source: the topology placement
 * quality depends on, and the hosts' NIC bandwidth.
 *
 * Racks and clusters, from two places:
 *  - Nova's host aggregates: one whose metadata has the key `rack_key`
 *    (default "valet:rack") makes the rack it names and puts its hosts in
 *    it; `cluster_key` (default "valet:cluster") on the same aggregate puts
 *    that rack in a cluster.
 *  - Neutron's routed-network segments (setting segments, default true):
 *    Neutron's segments plugin makes each segment a Placement provider
 *    whose uuid is the segment's id, in an aggregate of its own, and puts
 *    the compute nodes of the segment's hosts into that aggregate. Each
 *    segment with hosts is a rack, named after the segment (segment-<id>
 *    when it has no name); segments of one name are one rack. A host
 *    that an aggregate's metadata names keeps that rack; one in segments
 *    of different racks goes to the segment of the smallest id (logged).
 *    Segments make no clusters.
 * Racks and clusters get the uplinks of the settings rack_uplink_mbps and
 * cluster_uplink_mbps (0: unlimited).
 *
 * NIC bandwidth (setting nic_bandwidth, default true): the
 * NET_BW_EGR_KILOBIT_PER_SEC inventories that Neutron's agents report on
 * providers below a compute node's; the host's NIC is the sum of their
 * capacities, (total - reserved) x allocation_ratio, in Mbit/s.
 *
 * The hosts themselves come from a source listed before it (nova).
 *
 * Settings: the OpenStack ones (os_client.h), rack_key, cluster_key,
 * rack_uplink_mbps, cluster_uplink_mbps, segments, nic_bandwidth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/model.h>
#include <valet/source.h>

#include "os_client.h"

#define BW_CLASS "NET_BW_EGR_KILOBIT_PER_SEC"

static const char *const compute_hdr[] = { "OpenStack-API-Version: compute 2.61",
					   "X-OpenStack-Nova-API-Version: 2.61", NULL };
/* 1.14: providers carry parent_provider_uuid and root_provider_uuid */
static const char *const placement_hdr[] = { "OpenStack-API-Version: placement 1.14", NULL };

struct network_state {
	const vlt_core_t *core;
	os_client_t *client;
	char *rack_key, *cluster_key;
	int64_t rack_uplink, cluster_uplink; /* VLT_UNLIMITED when 0 was given */
	bool segments, nic_bandwidth;
};

/* What one reading found in Placement and Nova; all new references, owned by it. */
struct reading {
	json_t *seen;	    /* "rack/<name>", "cluster/<name>": added this reading */
	json_t *claimed;    /* hosts an aggregate's metadata puts in a rack */
	json_t *providers;  /* Placement's providers (array) */
	json_t *host_of_rp; /* compute node provider uuid -> Nova's host name */
	size_t segment_racks, nic_hosts;
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
	if (rc == 0)
		rc = core->cfg_bool(core, "segments", true, &st->segments, err);
	if (rc == 0)
		rc = core->cfg_bool(core, "nic_bandwidth", true, &st->nic_bandwidth, err);
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

static int add_rack_once(struct network_state *st, vlt_dc_builder_t *b, json_t *seen,
			 const char *rack, const char *cluster, vlt_err_t *err)
{
	int rc = 0;

	if (cluster != NULL && first_time(seen, "cluster", cluster))
		rc = st->core->dc_add_cluster(b, cluster, st->cluster_uplink, err);
	if (rc == 0 && first_time(seen, "rack", rack))
		rc = st->core->dc_add_rack(b, rack, cluster, st->rack_uplink, err);
	return rc;
}

/* ---------------------------------------------------------------- aggregates' metadata */

/*
 * One aggregate naming a rack: its cluster and the rack; with place, its
 * hosts in it, else they are only claimed (so that segments leave them).
 */
static int rack_of_aggregate(struct network_state *st, vlt_dc_builder_t *b, const json_t *agg,
			     struct reading *r, bool place, vlt_err_t *err)
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
	if (!place)
		rc = add_rack_once(st, b, r->seen, rack, cluster, err);
	json_array_foreach(json_object_get(agg, "hosts"), i, h) {
		if (rc == 0 && !place)
			json_object_set_new(r->claimed, json_string_value(h), json_string(rack));
		else if (rc == 0)
			rc = st->core->dc_set_host_rack(b, json_string_value(h), rack, err);
	}
	if (rc < 0)
		vlt_err_set(err, rc, "aggregate %s (%s = %s): %s", agg_name != NULL ? agg_name : "?",
			    st->rack_key, rack, err->msg);
	return rc;
}

static int racks_of_aggregates(struct network_state *st, vlt_dc_builder_t *b, const json_t *aggs,
			       struct reading *r, bool place, vlt_err_t *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < json_array_size(aggs); i++)
		rc = rack_of_aggregate(st, b, json_array_get(aggs, i), r, place, err);
	return rc;
}

/* ---------------------------------------------------------------- requests */

/* GET a provider's path from Placement; one deleted since the listing (404) gives NULL. */
static int get_if_there(struct network_state *st, const char *path, json_t **doc,
			vlt_err_t *err)
{
	vlt_err_t why = { 0 };
	int rc = os_get(st->client, "placement", path, placement_hdr, doc, &why);

	if (rc == VLT_ENOENT) {
		vlt_log_debug(st->core, "%s", why.msg);
		*doc = NULL;
		return 0;
	}
	if (rc < 0)
		*err = why;
	return rc;
}

static bool is_provider(const struct reading *r, const char *uuid)
{
	size_t i;
	json_t *p;

	json_array_foreach(r->providers, i, p) {
		const char *u = json_string_value(json_object_get(p, "uuid"));

		if (u != NULL && strcmp(u, uuid) == 0)
			return true;
	}
	return false;
}

/* Is there a segment's provider, or (with nic) a provider below another? */
static bool hosts_needed(const struct reading *r, const json_t *segs, bool nic)
{
	size_t i;
	json_t *v;

	json_array_foreach(r->providers, i, v) {
		if (nic && !json_is_null(json_object_get(v, "parent_provider_uuid")))
			return true;
	}
	json_array_foreach(segs, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));

		if (id != NULL && is_provider(r, id))
			return true;
	}
	return false;
}

/*
 * Placement's providers, and, when a segment or a bandwidth inventory may
 * need them, Nova's hosts by their compute node's provider.
 */
static int read_placement(struct network_state *st, const json_t *segs, struct reading *r,
			  vlt_err_t *err)
{
	json_t *doc = NULL, *hyps = NULL, *hyp;
	int rc = os_get(st->client, "placement", "/resource_providers", placement_hdr, &doc, err);
	size_t i;

	if (rc == 0)
		r->providers = json_incref(json_object_get(doc, "resource_providers"));
	json_decref(doc);
	if (rc == 0 && (r->host_of_rp = json_object()) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0 && hosts_needed(r, segs, st->nic_bandwidth))
		rc = os_get_all(st->client, "compute", "/os-hypervisors/detail", "hypervisors",
				"id", compute_hdr, &hyps, err);
	json_array_foreach(hyps, i, hyp) {
		const char *rp = json_string_value(json_object_get(hyp, "id"));
		json_t *host = json_object_get(json_object_get(hyp, "service"), "host");

		if (rc == 0 && rp != NULL && json_is_string(host))
			json_object_set(r->host_of_rp, rp, host);
	}
	json_decref(hyps);
	return rc;
}

/* ---------------------------------------------------------------- segments */

/*
 * Neutron's segments, or an empty list when the catalog has no network
 * service or Neutron has no segments plugin (404).
 */
static int read_segments(struct network_state *st, json_t **segs, vlt_err_t *err)
{
	vlt_err_t why = { 0 };
	int rc;

	if (os_endpoint(st->client, "network", &why) == NULL) {
		vlt_log_info(st->core, "segments: none read (%s)", why.msg);
		*segs = json_array();
		return 0;
	}
	rc = os_get_all(st->client, "network", "/v2.0/segments?fields=id&fields=name",
			"segments", "id", NULL, segs, &why);
	if (rc == VLT_ENOENT) {
		vlt_log_info(st->core, "segments: none read (%s: Neutron has no segments plugin)",
			     why.msg);
		*segs = json_array();
		return 0;
	}
	if (rc < 0)
		*err = why;
	return rc;
}

/*
 * The hosts of one segment: the compute nodes in its provider's
 * aggregates. Each, unless an aggregate's metadata claimed it, goes into
 * host_rack as host -> [segment id, rack], where the smallest segment id wins.
 */
static int hosts_of_segment(struct network_state *st, struct reading *r, const char *id,
			    const char *rack, json_t *host_rack, vlt_err_t *err)
{
	char path[200];
	json_t *aggs = NULL, *agg;
	size_t i, j;
	json_t *rp;

	snprintf(path, sizeof(path), "/resource_providers/%s/aggregates", id);
	int rc = get_if_there(st, path, &aggs, err);

	json_array_foreach(json_object_get(aggs, "aggregates"), i, agg) {
		json_t *members = NULL;

		snprintf(path, sizeof(path), "/resource_providers?member_of=%s",
			 json_string_value(agg));
		if (rc == 0)
			rc = os_get(st->client, "placement", path, placement_hdr, &members, err);
		json_array_foreach(json_object_get(members, "resource_providers"), j, rp) {
			const char *host = json_string_value(json_object_get(
				r->host_of_rp, json_string_value(json_object_get(rp, "uuid"))));
			json_t *had = host != NULL ? json_object_get(host_rack, host) : NULL;
			const char *had_id = json_string_value(json_array_get(had, 0));
			const char *had_rack = json_string_value(json_array_get(had, 1));

			if (host == NULL || json_object_get(r->claimed, host) != NULL)
				continue;
			if (had != NULL && strcmp(had_rack, rack) != 0)
				vlt_log_notice(st->core,
					       "host %s is in segments %s (rack %s) and %s (rack %s): "
					       "rack %s",
					       host, had_id, had_rack, id, rack,
					       strcmp(had_id, id) < 0 ? had_rack : rack);
			if (had == NULL || strcmp(id, had_id) < 0)
				json_object_set_new(host_rack, host, json_pack("[s, s]", id, rack));
		}
		json_decref(members);
	}
	json_decref(aggs);
	if (rc < 0)
		vlt_err_set(err, rc, "segment %s: %s", id, err->msg);
	return rc;
}

static int racks_of_segments(struct network_state *st, vlt_dc_builder_t *b, const json_t *segs,
			     struct reading *r, vlt_err_t *err)
{
	json_t *host_rack = json_object(), *seg, *v;
	int rc = host_rack != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	const char *host;
	size_t i;

	json_array_foreach(segs, i, seg) {
		const char *id = json_string_value(json_object_get(seg, "id"));
		const char *name = json_string_value(json_object_get(seg, "name"));
		char rack[300];

		/* Neutron makes a segment's provider once it has an IPv4 subnet */
		if (rc < 0 || id == NULL || !is_provider(r, id))
			continue;
		if (name != NULL && name[0] != '\0')
			snprintf(rack, sizeof(rack), "%s", name);
		else
			snprintf(rack, sizeof(rack), "segment-%s", id);
		rc = hosts_of_segment(st, r, id, rack, host_rack, err);
	}
	json_object_foreach(host_rack, host, v) {
		const char *rack = json_string_value(json_array_get(v, 1));
		bool added = rc == 0 && first_time(r->seen, "rack", rack);

		if (added) {
			rc = st->core->dc_add_rack(b, rack, NULL, st->rack_uplink, err);
			r->segment_racks++;
		}
		if (rc == 0 && (rc = st->core->dc_set_host_rack(b, host, rack, err)) < 0)
			vlt_err_set(err, rc, "segment %s (rack %s): %s",
				    json_string_value(json_array_get(v, 0)), rack, err->msg);
	}
	json_decref(host_rack);
	return rc;
}

/* ---------------------------------------------------------------- NIC bandwidth */

/* The bandwidth capacity (kbit/s) of one provider's inventories; 0 when it has none. */
static double bandwidth_of(const json_t *inventories)
{
	const json_t *bw = json_object_get(inventories, BW_CLASS);
	json_t *ratio = json_object_get(bw, "allocation_ratio");

	if (bw == NULL)
		return 0.0;
	return (double)(json_integer_value(json_object_get(bw, "total")) -
			json_integer_value(json_object_get(bw, "reserved"))) *
	       (json_is_number(ratio) ? json_number_value(ratio) : 1.0);
}

/*
 * Each host's NIC: the bandwidth inventories of the providers below its
 * compute node's (Neutron's agent and bridge providers), summed.
 */
static int nic_bandwidth(struct network_state *st, vlt_dc_builder_t *b, struct reading *r,
			 vlt_err_t *err)
{
	json_t *kbps = json_object(), *p, *v;
	int rc = kbps != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	const char *host;
	size_t i;

	json_array_foreach(r->providers, i, p) {
		const char *uuid = json_string_value(json_object_get(p, "uuid"));
		const char *root = json_string_value(json_object_get(p, "root_provider_uuid"));
		json_t *host_of = root != NULL ? json_object_get(r->host_of_rp, root) : NULL;
		char path[200];
		json_t *inv = NULL;

		if (rc < 0 || uuid == NULL || host_of == NULL ||
		    json_is_null(json_object_get(p, "parent_provider_uuid")))
			continue;
		snprintf(path, sizeof(path), "/resource_providers/%s/inventories", uuid);
		rc = get_if_there(st, path, &inv, err);
		double bw = bandwidth_of(json_object_get(inv, "inventories"));

		if (rc == 0 && json_object_get(json_object_get(inv, "inventories"), BW_CLASS)) {
			const char *name = json_string_value(host_of);

			bw += json_number_value(json_object_get(kbps, name));
			json_object_set_new(kbps, name, json_real(bw));
		}
		json_decref(inv);
	}
	json_object_foreach(kbps, host, v) {
		int64_t mbps = (int64_t)(json_real_value(v) / 1000.0);

		if (rc == 0 && (rc = st->core->dc_set_host_nic(b, host, mbps, err)) < 0)
			vlt_err_set(err, rc, "%s inventories below host %s: %s", BW_CLASS, host,
				    err->msg);
	}
	r->nic_hosts = json_object_size(kbps);
	json_decref(kbps);
	return rc;
}

/* ---------------------------------------------------------------- collect */

/*
 * Order: the metadata's racks and the hosts they claim, then the
 * segments' racks for the other hosts, then the metadata's hosts, so that
 * a rack named both ways keeps the metadata's cluster.
 */
static int read_topology(struct network_state *st, vlt_dc_builder_t *b, const json_t *aggs,
			 struct reading *r, vlt_err_t *err)
{
	json_t *segs = NULL;
	int rc = racks_of_aggregates(st, b, aggs, r, false, err);

	if (rc == 0 && st->segments)
		rc = read_segments(st, &segs, err);
	if (rc == 0 && (json_array_size(segs) > 0 || st->nic_bandwidth))
		rc = read_placement(st, segs, r, err);
	if (rc == 0)
		rc = racks_of_segments(st, b, segs, r, err);
	if (rc == 0)
		rc = racks_of_aggregates(st, b, aggs, r, true, err);
	if (rc == 0 && st->nic_bandwidth)
		rc = nic_bandwidth(st, b, r, err);
	json_decref(segs);
	return rc;
}

static int network_collect(void *state, vlt_dc_builder_t *b, vlt_err_t *err)
{
	struct network_state *st = state;
	struct reading r = { .seen = json_object(), .claimed = json_object() };
	json_t *doc = NULL;
	int rc = r.seen != NULL && r.claimed != NULL
			 ? os_get(st->client, "compute", "/os-aggregates", compute_hdr, &doc, err)
			 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	const json_t *aggs = json_object_get(doc, "aggregates");

	if (rc == 0)
		rc = read_topology(st, b, aggs, &r, err);
	if (rc == 0)
		vlt_log_info(st->core,
			     "topology: %zu racks and clusters (%zu racks from segments), from %zu "
			     "aggregates; NIC bandwidth of %zu hosts",
			     json_object_size(r.seen), r.segment_racks, json_array_size(aggs),
			     r.nic_hosts);
	json_decref(doc);
	json_decref(r.seen);
	json_decref(r.claimed);
	json_decref(r.providers);
	json_decref(r.host_of_rp);
	return rc;
}

static const vlt_source_ops_t network_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOURCE, vlt_source_ops_t, "network", "0.2.0",
				"racks from Nova's aggregates and Neutron's segments; NIC "
				"bandwidth from Placement"),
	.init = network_init,
	.fini = network_fini,
	.collect = network_collect,
};

VLT_PLUGIN_DEFINE(network_ops);
