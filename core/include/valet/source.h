/*
 * valet/source.h - sources of capacity (static inventory, Nova/Placement,
 * Cinder, network topology). A source describes what it knows through the
 * core's dc_* callbacks; it never allocates core types.
 */
#ifndef VALET_SOURCE_H
#define VALET_SOURCE_H

#include <valet/core.h>
#include <valet/plugin.h>

typedef struct vlt_source_ops {
	vlt_plugin_info_t info; /* MUST be first */

	/* Mandatory. Read settings with core->cfg_*; *state is the module's. */
	int (*init)(const vlt_core_t *core, void **state, vlt_err_t *err);
	void (*fini)(void *state); /* accepts NULL */
	/*
	 * Mandatory. Add everything the source knows to b. On bad input fail
	 * with VLT_EINVAL and a message naming the input, where in it, and why.
	 * Called at start and again at every reading of the sources (from a
	 * thread other than init's, never two at once), each time into a new
	 * builder: read the inputs again and describe everything anew.
	 */
	int (*collect)(void *state, vlt_dc_builder_t *b, vlt_err_t *err);

	/* ABI 1.1+: append new members below this line only. */
} vlt_source_ops_t;

/*
 * The setting (in the source's own group) that names the file a source
 * reads the data center from. `valetd --inventory FILE` and `valet simulate
 * --inventory FILE` offer FILE under this key to every loaded source; a
 * source that reads no file leaves it unread and is not faulted for it,
 * but the flag is refused when no loaded source reads it. The static
 * source reads it; a source of the same kind should too.
 */
#define VLT_SOURCE_INVENTORY_KEY "inventory"

#endif /* VALET_SOURCE_H */
