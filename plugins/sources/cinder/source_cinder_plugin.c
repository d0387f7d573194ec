/*
 * source_cinder_plugin.c - the cinder source: storage pools as Cinder's
 * scheduler sees them (GET /scheduler-stats/get_pools?detail=true) and the
 * volume types each can take (GET /types, by volume_backend_name), counted
 * as cinder-scheduler's capacity filter counts them:
 *   thick: usable = total - reserved, used = total - free;
 *   thin (thin_provisioning_support and max_over_subscription_ratio >= 1):
 *          usable = total x max_over_subscription_ratio - reserved,
 *          used = provisioned;
 * reserved = ceil(total x reserved_percentage / 100). A pool is near the
 * rack its capability `rack_capability` (default "valet_rack") names; else
 * it is outside every rack.
 *
 * Settings: the OpenStack ones (os_client.h) and rack_capability.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/source.h>

#include "os_client.h"

static const char *const volume_hdr[] = { "OpenStack-API-Version: volume 3.0", NULL };

struct cinder_state {
	const vlt_core_t *core;
	os_client_t *client;
	char *rack_capability;
};

static void cinder_fini(void *state)
{
	struct cinder_state *st = state;

	if (st == NULL)
		return;
	os_client_free(st->client);
	free(st->rack_capability);
	free(st);
}

static int cinder_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct cinder_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (st == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	st->core = core;
	rc = os_client_open(&st->client, core, err);
	if (rc == 0)
		rc = core->cfg_str(core, "rack_capability", "valet_rack", &st->rack_capability,
				   err);
	if (rc < 0) {
		cinder_fini(st);
		return rc;
	}
	*state = st;
	return 0;
}


static int64_t gb(const json_t *caps, const char *key)
{
	const json_t *v = json_object_get(caps, key);

	/* drivers say "infinite" or "unknown" when they cannot tell */
	return json_is_number(v) ? (int64_t)floor(json_number_value(v)) : 0;
}

/* The pool's usable and used gigabytes, as cinder-scheduler counts them. */
static void pool_capacity(const json_t *caps, int64_t *usable, int64_t *used)
{
	int64_t total = gb(caps, "total_capacity_gb");
	double pct = json_number_value(json_object_get(caps, "reserved_percentage"));
	int64_t reserved = (int64_t)ceil((double)total * pct / 100.0);
	double mosr = json_number_value(json_object_get(caps, "max_over_subscription_ratio"));

	if (json_is_string(json_object_get(caps, "max_over_subscription_ratio")))
		mosr = atof(json_string_value(json_object_get(caps, "max_over_subscription_ratio")));
	if (json_is_true(json_object_get(caps, "thin_provisioning_support")) && mosr >= 1.0) {
		*usable = (int64_t)floor((double)total * mosr) - reserved;
		*used = gb(caps, "provisioned_capacity_gb");
	} else {
		*usable = total - reserved;
		*used = total - gb(caps, "free_capacity_gb");
	}
	if (*usable < 0)
		*usable = 0;
	if (*used < 0)
		*used = 0;
}

/* The types a pool of this backend can take: theirs, and those naming no backend. */
static const char **types_for(const json_t *types, const char *backend, uint32_t *n)
{
	const char **out = calloc(json_array_size(types) + 1, sizeof(*out));
	size_t i;
	json_t *t;

	*n = 0;
	json_array_foreach(types, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *want = json_string_value(
			json_object_get(json_object_get(t, "extra_specs"), "volume_backend_name"));

		if (out != NULL && name != NULL &&
		    (want == NULL || (backend != NULL && strcmp(want, backend) == 0)))
			out[(*n)++] = name;
	}
	return out;
}

static int add_pool(const struct cinder_state *st, vlt_dc_builder_t *b, const json_t *pool,
		    const json_t *types, vlt_err_t *err)
{
	const json_t *caps = json_object_get(pool, "capabilities");
	const char *backend = json_string_value(json_object_get(caps, "volume_backend_name"));
	vlt_pool_spec_t spec = {
		.name = json_string_value(json_object_get(pool, "name")),
		.rack = json_string_value(json_object_get(caps, st->rack_capability)),
	};

	if (spec.name == NULL)
		return vlt_err_set(err, VLT_EBACKEND, "Cinder: a pool without a name");
	pool_capacity(caps, &spec.capacity_gb, &spec.used_gb);
	spec.volume_types = types_for(types, backend, &spec.n_volume_types);
	if (spec.volume_types == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	int rc = st->core->dc_add_pool(b, &spec, err);
	if (rc < 0)
		vlt_err_set(err, rc, "Cinder pool %s: %s", spec.name, err->msg);
	free((void *)spec.volume_types);
	return rc;
}

static int cinder_collect(void *state, vlt_dc_builder_t *b, vlt_err_t *err)
{
	struct cinder_state *st = state;
	json_t *pools = NULL, *types = NULL;
	int rc = os_get(st->client, "volumev3", "/scheduler-stats/get_pools?detail=true",
			volume_hdr, &pools, err);

	/* is_public=None: private types too (an admin sees them all) */
	if (rc == 0)
		rc = os_get(st->client, "volumev3", "/types?is_public=None", volume_hdr, &types,
			    err);
	const json_t *list = json_object_get(pools, "pools");
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++)
		rc = add_pool(st, b, json_array_get(list, i),
			      json_object_get(types, "volume_types"), err);
	if (rc == 0)
		vlt_log_info(st->core, "Cinder: %zu pools, %zu volume types", json_array_size(list),
			     json_array_size(json_object_get(types, "volume_types")));
	json_decref(pools);
	json_decref(types);
	return rc;
}

static const vlt_source_ops_t cinder_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOURCE, vlt_source_ops_t, "cinder", "0.1.0",
				"storage pools and volume types from Cinder's scheduler"),
	.init = cinder_init,
	.fini = cinder_fini,
	.collect = cinder_collect,
};

VLT_PLUGIN_DEFINE(cinder_ops);
