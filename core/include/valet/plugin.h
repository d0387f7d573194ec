/*
 * valet/plugin.h - the descriptor every Valet module exports.
 *
 * A module is a shared object named <kind>_<name>.so that exports exactly one
 * data symbol, vlt_plugin: a pointer to the vlt_plugin_info_t that opens its
 * kind's operations table (vlt_source_ops_t, vlt_policy_ops_t,
 * vlt_solver_ops_t or vlt_store_ops_t). The loader reads the header first,
 * checks it, then treats the pointer as the kind's table.
 *
 * Versioning: VLT_ABI_MAJOR must match exactly. A module built for an older
 * minor is accepted; the core reads only the members that minor had
 * (ops_size tells which). Minor versions only append members.
 */
#ifndef VALET_PLUGIN_H
#define VALET_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define VLT_PLUGIN_MAGIC 0x564c5450u /* "VLTP" */
#define VLT_ABI_MAJOR 1
#define VLT_ABI_MINOR 6

#if defined(__GNUC__)
#define VLT_EXPORT __attribute__((visibility("default")))
#else
#define VLT_EXPORT
#endif

typedef enum vlt_kind {
	VLT_KIND_SOURCE = 1, /* capacity: hosts, racks, pools, flavors */
	VLT_KIND_POLICY = 2, /* a group type: affinity, diversity, ... */
	VLT_KIND_SOLVER = 3, /* places a whole stack */
	VLT_KIND_STORE = 4,  /* keeps plans, placements, groups */
} vlt_kind_t;

enum {
	/* The module's ops may be called from several threads at once. */
	VLT_PLUGIN_F_THREADSAFE = 1u << 0,
};

/* First member of every ops table. Strings have static storage. */
typedef struct vlt_plugin_info {
	uint32_t magic;     /* VLT_PLUGIN_MAGIC */
	uint16_t abi_major; /* must equal the core's VLT_ABI_MAJOR */
	uint16_t abi_minor; /* must be <= the core's VLT_ABI_MINOR */
	uint32_t ops_size;  /* sizeof(the kind's ops table) when built */
	uint32_t flags;     /* VLT_PLUGIN_F_* */
	vlt_kind_t kind;
	const char *name;    /* [a-z0-9_]+, unique within its kind */
	const char *version; /* the module's own version, informational */
	const char *summary; /* one line for `valetd --list-plugins` */
} vlt_plugin_info_t;

/* Fills the header; designated initialisers leave every unnamed op NULL. */
#define VLT_PLUGIN_INFO(kind_, ops_type_, name_, version_, summary_)           \
	{                                                                      \
		.magic = VLT_PLUGIN_MAGIC, .abi_major = VLT_ABI_MAJOR,         \
		.abi_minor = VLT_ABI_MINOR, .ops_size = sizeof(ops_type_),     \
		.flags = VLT_PLUGIN_F_THREADSAFE, .kind = (kind_),             \
		.name = (name_), .version = (version_), .summary = (summary_), \
	}

/*
 * The one exported symbol. When the same sources are compiled into a static
 * library for unit tests, VLT_PLUGIN_STATIC_NAME renames it so that several
 * modules can be linked into one test binary.
 */
#define VLT_PLUGIN_CAT2(a, b) a##b
#define VLT_PLUGIN_CAT(a, b) VLT_PLUGIN_CAT2(a, b)
#ifdef VLT_PLUGIN_STATIC_NAME
#define VLT_PLUGIN_DEFINE(ops_var)                                             \
	const vlt_plugin_info_t *const VLT_PLUGIN_CAT(                         \
		vlt_plugin_, VLT_PLUGIN_STATIC_NAME) = &(ops_var).info
#else
#define VLT_PLUGIN_DEFINE(ops_var)                                             \
	VLT_EXPORT const vlt_plugin_info_t *const vlt_plugin = &(ops_var).info
#endif

#endif /* VALET_PLUGIN_H */
