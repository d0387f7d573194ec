/*
 * source_static_plugin.c - the `static` source: the data center as a JSON
 * inventory file describes it (placement contract, section 1).
 *
 * Settings (group source.static):
 *   inventory - path of the file; a relative path resolves against the
 *               working directory of the process. Without it the source
 *               adds nothing, so that valetd starts with no configuration.
 *               The key is the ABI's VLT_SOURCE_INVENTORY_KEY, so that the
 *               command lines' --inventory reaches it without the core
 *               naming this module.
 */
#include <stdlib.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/source.h>

#include "inventory.h"

struct static_state {
	const vlt_core_t *core;
	char *inventory; /* NULL: no inventory configured */
};

static int static_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct static_state *st = calloc(1, sizeof(*st));

	*state = NULL;
	if (st == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	st->core = core;
	int rc = core->cfg_str(core, VLT_SOURCE_INVENTORY_KEY, NULL, &st->inventory, err);

	if (rc < 0) {
		free(st);
		return rc;
	}
	if (st->inventory == NULL)
		vlt_log_notice(core, "no inventory configured (setting 'inventory'): "
				     "this source adds no capacity");
	*state = st;
	return 0;
}

static void static_fini(void *state)
{
	struct static_state *st = state;

	if (st == NULL)
		return;
	free(st->inventory);
	free(st);
}

static int static_collect(void *state, vlt_dc_builder_t *b, vlt_err_t *err)
{
	struct static_state *st = state;
	static_inventory_stats_t n;

	if (st->inventory == NULL)
		return 0;
	int rc = static_inventory_load(st->inventory, st->core, b, &n, err);

	if (rc < 0)
		return rc; /* the core logs it, with our message */
	vlt_log_info(st->core,
		     "%s: %u hosts, %u racks, %u clusters, %u aggregates, %u storage pools, "
		     "%u flavors",
		     st->inventory, n.n_hosts, n.n_racks, n.n_clusters, n.n_aggregates,
		     n.n_pools, n.n_flavors);
	return 0;
}

static const vlt_source_ops_t static_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOURCE, vlt_source_ops_t, "static", "0.1.0",
				"capacity from a JSON inventory file"),
	.init = static_init,
	.fini = static_fini,
	.collect = static_collect,
};

VLT_PLUGIN_DEFINE(static_ops);
