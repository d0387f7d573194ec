/*
 * loader.h - loads the modules the configuration names, with libltdl,
 * validates their descriptors, gives each its vlt_core_t and calls init.
 * All libltdl calls happen on the main thread, before serving starts and
 * after it stops.
 */
#ifndef VALET_CORE_LOADER_H
#define VALET_CORE_LOADER_H

#include <stddef.h>

#include <valet/core.h>
#include <valet/plugin.h>
#include <valet/policy.h>
#include <valet/solver.h>
#include <valet/source.h>
#include <valet/store.h>

#include "config.h"

typedef struct vlt_module {
	vlt_kind_t kind;
	char *name;
	char *file;                    /* the path it was opened from */
	void *handle;                  /* lt_dlhandle */
	const vlt_plugin_info_t *info; /* borrowed from the module */
	union {
		const vlt_source_ops_t *source;
		const vlt_policy_ops_t *policy;
		const vlt_solver_ops_t *solver;
		const vlt_store_ops_t *store;
	} ops;
	void *state;          /* from init; NULL before */
	vlt_core_t core;      /* this module's callback table */
	vlt_cfg_scope_t cfg;  /* its settings */
	char prefix[64];      /* "kind/name" for log lines */
	double weight;        /* policies: score weight (setting "weight", default 1) */
	char cfg_group[64];   /* "kind.name", the group cfg reads */
} vlt_module_t;

/* Everything loaded, owned by the registry. */
typedef struct vlt_modules {
	vlt_module_t *sources;
	size_t n_sources;
	vlt_module_t *policies;
	size_t n_policies;
	vlt_module_t *solvers; /* the configured solver first; others loadable by name */
	size_t n_solvers;
	vlt_module_t *store; /* NULL when none configured */
} vlt_modules_t;

/*
 * vlt__modules_load - open, validate and init every module cfg names, in
 * the order store, sources, policies, solver. On failure everything
 * opened so far is closed and err names the file and the fault.
 * `extra_solvers` (may be NULL) names further solvers to load as well
 * (names already loaded are skipped).
 * cfg is borrowed and must outlive the modules (their settings read it).
 * A module <kind>_<name>.so is searched in cfg->module_path, then the build
 * tree's module folder, then the install prefix's. Codes: VLT_ENOENT (not
 * found), VLT_EABI (not a valet module, or a descriptor the core cannot
 * use), VLT_EEXIST (a name listed twice), VLT_ECONFIG (a bad or unknown
 * setting), or whatever the module's init returned.
 */
int vlt__modules_load(vlt_modules_t *mods, const vlt_config_t *cfg,
		      const char *const *extra_solvers, size_t n_extra, vlt_err_t *err);
void vlt__modules_unload(vlt_modules_t *mods);

/* Find a loaded module by kind and name; NULL if absent. */
vlt_module_t *vlt__modules_find(vlt_modules_t *mods, vlt_kind_t kind, const char *name);

/*
 * Open and validate one module file without calling init (used by
 * --list-plugins and tests). want_kind 0 and want_name NULL accept any
 * kind and name. On success *info points into the module, valid until
 * vlt__module_close(handle). Every check but the duplicate one of
 * vlt__modules_load, with the same codes and messages.
 */
int vlt__module_probe(const char *file, vlt_kind_t want_kind, const char *want_name,
		      void **handle, const vlt_plugin_info_t **info, vlt_err_t *err);
/* Accepts NULL. With VLT_NO_DLCLOSE set in the environment the module stays
 * mapped, so that valgrind's leak reports keep its symbols. */
void vlt__module_close(void *handle);

/* The minimum ops_size for a kind (members mandatory in ABI 1.0). */
size_t vlt__ops_min_size(vlt_kind_t kind);
/* Where an ops member ends: the smallest ops_size that includes it. */
#define VLT_OPS_END(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
/*
 * Does a module's ops table (ops, of type) have an optional member that
 * ABI 1.minor appended, and set it? Built for that minor or later, with an
 * ops_size that covers the member, and not NULL.
 */
#define VLT_OPS_HAS(ops, type, member, minor)                                           \
	((ops)->info.abi_minor >= (minor) && (ops)->info.ops_size >= VLT_OPS_END(type, member) && \
	 (ops)->member != NULL)
const char *vlt__kind_name(vlt_kind_t kind);

/* Fill the parts of a module's vlt_core_t that do not depend on the engine. */
void vlt__core_table_init(vlt_module_t *m, uint32_t self_id);

#endif /* VALET_CORE_LOADER_H */
