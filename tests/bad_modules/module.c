/*
 * module.c - every test module of the loader, one fault (or none) each.
 *
 * Without fault defines it is a minimal, correct module: GOOD_KIND is
 * source, policy, solver or store, GOOD_NAME its name. The defines that
 * break it:
 *   INFO_MAGIC, INFO_MAJOR, INFO_MINOR, INFO_NAME
 *                     replace one field of the descriptor
 *   SMALL_OPS         declares an ops_size of only the header
 *   UNKNOWN_KIND      declares kind 9
 *   OMIT_<op>         leaves a mandatory op NULL (OMIT_solve, OMIT_filter, ...)
 *   INIT_FAILS        init returns VLT_EBACKEND with a message
 *   NO_SETTINGS       init reads no setting at all
 *   NO_SYMBOL         exports no vlt_plugin symbol
 *   NULL_SYMBOL       exports vlt_plugin = NULL
 *   NEEDS_DEP         needs a shared library that is not on the search path
 */
#include "trace.h"

#ifndef INFO_MAGIC
#define INFO_MAGIC VLT_PLUGIN_MAGIC
#endif
#ifndef INFO_MAJOR
#define INFO_MAJOR VLT_ABI_MAJOR
#endif
#ifndef INFO_MINOR
#define INFO_MINOR VLT_ABI_MINOR
#endif
#ifdef SMALL_OPS
#define INFO_SIZE(type) sizeof(vlt_plugin_info_t)
#else
#define INFO_SIZE(type) sizeof(type)
#endif
#ifdef UNKNOWN_KIND
#define INFO_KIND(kind) ((vlt_kind_t)9)
#else
#define INFO_KIND(kind) (kind)
#endif
#ifndef INFO_NAME
#define INFO_NAME GOOD_NAME
#endif

#define INFO(kind_, type_)                                                     \
	{                                                                      \
		.magic = INFO_MAGIC, .abi_major = INFO_MAJOR,                  \
		.abi_minor = INFO_MINOR, .ops_size = INFO_SIZE(type_),         \
		.flags = VLT_PLUGIN_F_THREADSAFE, .kind = INFO_KIND(kind_),    \
		.name = INFO_NAME, .version = "1.0", .summary = "test module", \
	}

#define STR2(x) #x
#define STR(x) STR2(x)
#define TAG STR(GOOD_KIND) "/" GOOD_NAME

#ifdef NEEDS_DEP
int vlt_test_dep(void);
#endif

static int good_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
#if defined(INIT_FAILS)
	(void)core;
	(void)state;
	return vlt_err_set(err, VLT_EBACKEND, "cannot reach the licence server at 10.0.0.1");
#elif defined(NO_SETTINGS)
	(void)core;
	(void)err;
	*state = NULL;
	return 0;
#elif defined(NEEDS_DEP)
	/* links a library the system loader cannot find */
	(void)core;
	*state = NULL;
	return vlt_test_dep() == 42 ? 0 : vlt_err_set(err, VLT_EINTERNAL, "dep");
#else
	return trace_init(core, TAG, state, err);
#endif
}

static void good_fini(void *state)
{
	trace_fini(state);
}

#define KIND_source 1
#define KIND_policy 2
#define KIND_solver 3
#define KIND_store 4
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

#if CAT(KIND_, GOOD_KIND) == 1
static int good_collect(void *state, vlt_dc_builder_t *b, vlt_err_t *err)
{
	(void)state;
	(void)b;
	(void)err;
	return 0;
}

static const vlt_source_ops_t good_ops = {
	.info = INFO(VLT_KIND_SOURCE, vlt_source_ops_t),
#ifndef OMIT_init
	.init = good_init,
#endif
#ifndef OMIT_fini
	.fini = good_fini,
#endif
#ifndef OMIT_collect
	.collect = good_collect,
#endif
};
#elif CAT(KIND_, GOOD_KIND) == 2
static int good_validate(void *state, const vlt_stack_t *stack, uint32_t group, vlt_err_t *err)
{
	(void)state;
	(void)stack;
	(void)group;
	(void)err;
	return 0;
}

static int good_filter(void *state, vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl,
		       uint32_t dom, char *why, size_t why_len)
{
	(void)state;
	(void)cy;
	(void)unit;
	(void)lvl;
	(void)dom;
	(void)why;
	(void)why_len;
	return VLT_PASS;
}

static const vlt_policy_ops_t good_ops = {
	.info = INFO(VLT_KIND_POLICY, vlt_policy_ops_t),
#ifndef OMIT_init
	.init = good_init,
#endif
#ifndef OMIT_fini
	.fini = good_fini,
#endif
#ifndef OMIT_validate
	.validate = good_validate,
#endif
#ifndef OMIT_filter
	.filter = good_filter,
#endif
};
#elif CAT(KIND_, GOOD_KIND) == 3
static int good_solve(void *state, vlt_cycle_t *cy, vlt_err_t *err)
{
	(void)state;
	(void)cy;
	(void)err;
	return 0;
}

static const vlt_solver_ops_t good_ops = {
	.info = INFO(VLT_KIND_SOLVER, vlt_solver_ops_t),
#ifndef OMIT_init
	.init = good_init,
#endif
#ifndef OMIT_fini
	.fini = good_fini,
#endif
#ifndef OMIT_solve
	.solve = good_solve,
#endif
};
#else
static int good_get(void *state, const char *coll, const char *id, struct json_t **doc,
		    int64_t *version, vlt_err_t *err)
{
	(void)state;
	(void)coll;
	(void)id;
	(void)doc;
	(void)version;
	return vlt_err_set(err, VLT_ENOENT, "empty store");
}

static int good_put(void *state, const char *coll, const char *id, const struct json_t *doc,
		    int64_t expect, vlt_err_t *err)
{
	(void)state;
	(void)coll;
	(void)id;
	(void)doc;
	(void)expect;
	(void)err;
	return 0;
}

static int good_remove(void *state, const char *coll, const char *id, int64_t expect,
		       vlt_err_t *err)
{
	(void)state;
	(void)coll;
	(void)id;
	(void)expect;
	return vlt_err_set(err, VLT_ENOENT, "empty store");
}

static int good_list(void *state, const char *coll, vlt_store_each_fn fn, void *arg,
		     vlt_err_t *err)
{
	(void)state;
	(void)coll;
	(void)fn;
	(void)arg;
	(void)err;
	return 0;
}

static const vlt_store_ops_t good_ops = {
	.info = INFO(VLT_KIND_STORE, vlt_store_ops_t),
#ifndef OMIT_init
	.init = good_init,
#endif
#ifndef OMIT_fini
	.fini = good_fini,
#endif
#ifndef OMIT_get
	.get = good_get,
#endif
#ifndef OMIT_put
	.put = good_put,
#endif
#ifndef OMIT_remove
	.remove = good_remove,
#endif
#ifndef OMIT_list
	.list = good_list,
#endif
};
#endif

#if defined(NO_SYMBOL)
VLT_EXPORT const vlt_plugin_info_t *const not_the_plugin = &good_ops.info;
#elif defined(NULL_SYMBOL)
VLT_EXPORT const vlt_plugin_info_t *const not_the_plugin = &good_ops.info;
VLT_EXPORT const vlt_plugin_info_t *const vlt_plugin = NULL;
#else
VLT_PLUGIN_DEFINE(good_ops);
#endif
