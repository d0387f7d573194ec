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
	 */
	int (*collect)(void *state, vlt_dc_builder_t *b, vlt_err_t *err);

	/* ABI 1.1+: append new members below this line only. */
} vlt_source_ops_t;

#endif /* VALET_SOURCE_H */
