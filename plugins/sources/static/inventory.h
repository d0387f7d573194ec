/*
 * inventory.h - the static source's parser: a JSON inventory file (the
 * placement contract, section 1) turned into dc_* calls on the core.
 *
 * The file is self-contained: every rack, cluster and aggregate a host or
 * pool names must be declared in the same file. Every fault is reported as
 * "<file>: <JSON path>: <reason>", e.g.
 * "inv.json: $.hosts[3].ram_mb: expected a non-negative integer, got \"lots\"".
 */
#ifndef VALET_SOURCE_STATIC_INVENTORY_H
#define VALET_SOURCE_STATIC_INVENTORY_H

#include <stdint.h>

#include <jansson.h>

#include <valet/core.h>

/* What an inventory added, for the log. */
typedef struct static_inventory_stats {
	uint32_t n_clusters;
	uint32_t n_racks;
	uint32_t n_aggregates;
	uint32_t n_hosts;
	uint32_t n_pools;
	uint32_t n_flavors;
} static_inventory_stats_t;

/*
 * static_inventory_load - read the file at path and describe it to b.
 * IN  path  - the file (borrowed); also the name used in messages
 * IN  core  - whose dc_* callbacks fill b (borrowed)
 * OUT stats - optional; what was added
 * RET 0; VLT_EIO when the file cannot be read; VLT_EINVAL for bad content
 *     (err names file, JSON path and reason); VLT_ENOMEM.
 */
int static_inventory_load(const char *path, const vlt_core_t *core, vlt_dc_builder_t *b,
			  static_inventory_stats_t *stats, vlt_err_t *err);

/*
 * static_inventory_apply - the same for a parsed document.
 * IN doc   - the inventory (borrowed)
 * IN where - its name in messages, e.g. the file name
 */
int static_inventory_apply(const json_t *doc, const char *where, const vlt_core_t *core,
			   vlt_dc_builder_t *b, static_inventory_stats_t *stats, vlt_err_t *err);

#endif /* VALET_SOURCE_STATIC_INVENTORY_H */
