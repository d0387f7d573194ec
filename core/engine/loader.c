/*
 * loader.c - opens the modules the configuration names with libltdl,
 * checks their descriptors, gives each its vlt_core_t and calls init.
 *
 * Every refusal names the file and the fault and returns a code of its
 * own, so that an operator can tell "not there" (VLT_ENOENT) from "built
 * for another valet" (VLT_EABI), "listed twice" (VLT_EEXIST) and "badly
 * configured" (VLT_ECONFIG).
 *
 * libltdl is reference-counted: each open handle holds one lt_dlinit,
 * released by its lt_dlexit in vlt__module_close. All of this runs on the
 * main thread (libltdl is not thread-safe).
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ltdl.h>

#include <valet/errors.h>

#include "config.h"
#include "loader.h"
#include "log.h"

#ifndef VLT_BUILD_MODULE_DIR
#define VLT_BUILD_MODULE_DIR ""
#endif
#ifndef VLT_INSTALL_MODULE_DIR
#define VLT_INSTALL_MODULE_DIR ""
#endif

/* The symbol every module exports (valet/plugin.h). */
#define PLUGIN_SYMBOL "vlt_plugin"
/* Shared objects on the platforms valet runs on. */
#define MODULE_EXT ".so"


const char *vlt__kind_name(vlt_kind_t kind)
{
	switch (kind) {
	case VLT_KIND_SOURCE:
		return "source";
	case VLT_KIND_POLICY:
		return "policy";
	case VLT_KIND_SOLVER:
		return "solver";
	case VLT_KIND_STORE:
		return "store";
	default:
		return "unknown";
	}
}

static bool is_known_kind(vlt_kind_t kind)
{
	return kind >= VLT_KIND_SOURCE && kind <= VLT_KIND_STORE;
}

/*
 * The size of each kind's ABI 1.0 table. Later minors only append members,
 * so these never grow: a module built for 1.0 stays loadable.
 */
size_t vlt__ops_min_size(vlt_kind_t kind)
{
	switch (kind) {
	case VLT_KIND_SOURCE:
		return VLT_OPS_END(vlt_source_ops_t, collect);
	case VLT_KIND_POLICY:
		return VLT_OPS_END(vlt_policy_ops_t, unassign);
	case VLT_KIND_SOLVER:
		return VLT_OPS_END(vlt_solver_ops_t, solve);
	case VLT_KIND_STORE:
		return VLT_OPS_END(vlt_store_ops_t, list);
	default:
		return 0;
	}
}

/* The first mandatory op a table lacks, or NULL when all are there. */
static const char *missing_op(const vlt_plugin_info_t *info)
{
	switch (info->kind) {
	case VLT_KIND_SOURCE: {
		const vlt_source_ops_t *o = (const vlt_source_ops_t *)info;

		return o->init == NULL ? "init" :
		       o->fini == NULL ? "fini" :
		       o->collect == NULL ? "collect" : NULL;
	}
	case VLT_KIND_POLICY: {
		const vlt_policy_ops_t *o = (const vlt_policy_ops_t *)info;

		return o->init == NULL ? "init" :
		       o->fini == NULL ? "fini" :
		       o->validate == NULL ? "validate" :
		       o->filter == NULL ? "filter" : NULL;
	}
	case VLT_KIND_SOLVER: {
		const vlt_solver_ops_t *o = (const vlt_solver_ops_t *)info;

		return o->init == NULL ? "init" :
		       o->fini == NULL ? "fini" :
		       o->solve == NULL ? "solve" : NULL;
	}
	case VLT_KIND_STORE: {
		const vlt_store_ops_t *o = (const vlt_store_ops_t *)info;

		return o->init == NULL ? "init" :
		       o->fini == NULL ? "fini" :
		       o->get == NULL ? "get" :
		       o->put == NULL ? "put" :
		       o->remove == NULL ? "remove" :
		       o->list == NULL ? "list" : NULL;
	}
	default:
		return "init";
	}
}

/* ---------------------------------------------------------------- open and check */

static const char *dl_error(void)
{
	const char *e = lt_dlerror();

	return e != NULL ? e : "unknown libltdl error";
}

/*
 * libltdl reports most failures as "file not found". The system loader
 * says what is really wrong (not an ELF file, a missing library, an
 * unresolved symbol): ask it, for the message only.
 */
static void dl_reason(const char *file, char *reason, size_t len)
{
	void *h = dlopen(file, RTLD_LAZY | RTLD_LOCAL);
	const char *e;

	if (h != NULL) {
		dlclose(h);
		return;
	}
	e = dlerror();
	if (e == NULL)
		return;
	/* "FILE: invalid ELF header": the file is named already */
	if (strncmp(e, file, strlen(file)) == 0 && strncmp(e + strlen(file), ": ", 2) == 0)
		e += strlen(file) + 2;
	snprintf(reason, len, "%s", e);
}

void vlt__module_close(void *handle)
{
	if (handle == NULL)
		return;
	if (getenv("VLT_NO_DLCLOSE") != NULL)
		return;
	lt_dlclose((lt_dlhandle)handle);
	lt_dlexit();
}

/*
 * Open file (a full path) with its own libltdl reference.
 * OUT *handle - the lt_dlhandle; RET 0, VLT_ENOENT, VLT_EABI or VLT_EINTERNAL.
 */
static int open_file(const char *file, lt_dlhandle *handle, vlt_err_t *err)
{
	lt_dladvise advise;
	lt_dlhandle h = NULL;
	const char *why = NULL;

	*handle = NULL;
	if (access(file, F_OK) != 0)
		return vlt_err_set(err, VLT_ENOENT, "%s: cannot open: %s", file, strerror(errno));
	if (lt_dlinit() != 0)
		return vlt_err_set(err, VLT_EINTERNAL, "%s: libltdl cannot start: %s", file,
				   dl_error());
	if (lt_dladvise_init(&advise) == 0) {
		/* ext: a name without ".so" still opens; local: every module
		 * exports the same symbol, which must not clash between them */
		if (lt_dladvise_ext(&advise) == 0 && lt_dladvise_local(&advise) == 0)
			h = lt_dlopenadvise(file, advise);
		else
			why = dl_error();
		lt_dladvise_destroy(&advise);
	} else {
		why = dl_error();
	}
	if (h == NULL) {
		char reason[VLT_ERR_MSG_MAX];

		snprintf(reason, sizeof(reason), "%s", why != NULL ? why : dl_error());
		lt_dlexit();
		dl_reason(file, reason, sizeof(reason));
		return vlt_err_set(err, VLT_EABI,
				   "%s: cannot be loaded: %s (check its dependencies with ldd(1))",
				   file, reason);
	}
	*handle = h;
	return 0;
}

/*
 * The descriptor checks, in the order the ABI document lists them:
 * magic, major, minor, ops_size, kind, name.
 */
static int check_header(const char *file, const vlt_plugin_info_t *info, vlt_kind_t want_kind,
			const char *want_name, vlt_err_t *err)
{
	if (info->magic != VLT_PLUGIN_MAGIC)
		return vlt_err_set(err, VLT_EABI,
				   "%s: bad magic 0x%08x (expected 0x%08x): not a valet module, "
				   "or a damaged one",
				   file, (unsigned)info->magic, VLT_PLUGIN_MAGIC);
	if (info->abi_major != VLT_ABI_MAJOR)
		return vlt_err_set(err, VLT_EABI,
				   "%s: built for module ABI %u.%u, but this valet speaks %d.%d: "
				   "rebuild the module against this valet's headers",
				   file, info->abi_major, info->abi_minor, VLT_ABI_MAJOR,
				   VLT_ABI_MINOR);
	if (info->abi_minor > VLT_ABI_MINOR)
		return vlt_err_set(err, VLT_EABI,
				   "%s: built for module ABI %u.%u, newer than this valet's %d.%d: "
				   "upgrade valet or rebuild the module",
				   file, info->abi_major, info->abi_minor, VLT_ABI_MAJOR,
				   VLT_ABI_MINOR);
	if (!is_known_kind(info->kind))
		return vlt_err_set(err, VLT_EABI, "%s: declares an unknown module kind %d", file,
				   (int)info->kind);
	if (info->ops_size < vlt__ops_min_size(info->kind))
		return vlt_err_set(err, VLT_EABI,
				   "%s: its %s operations table is %u bytes, smaller than the %zu "
				   "of ABI %d.0: the descriptor is damaged",
				   file, vlt__kind_name(info->kind), (unsigned)info->ops_size,
				   vlt__ops_min_size(info->kind), VLT_ABI_MAJOR);
	if (want_kind != 0 && info->kind != want_kind)
		return vlt_err_set(err, VLT_EABI, "%s: is a %s module, expected a %s module", file,
				   vlt__kind_name(info->kind), vlt__kind_name(want_kind));
	if (info->name == NULL)
		return vlt_err_set(err, VLT_EABI, "%s: declares no name", file);
	if (want_name != NULL && strcmp(info->name, want_name) != 0)
		return vlt_err_set(err, VLT_EABI,
				   "%s: declares the name '%s', expected '%s' "
				   "(a module's file is <kind>_<name>" MODULE_EXT ")",
				   file, info->name, want_name);
	if (!vlt__config_is_module_name(info->name))
		return vlt_err_set(err, VLT_EABI,
				   "%s: declares the name '%s', which is not [a-z0-9_]+ "
				   "of at most 48 characters",
				   file, info->name);
	return 0;
}

static int check_ops(const char *file, const vlt_plugin_info_t *info, vlt_err_t *err)
{
	const char *op = missing_op(info);

	if (op != NULL)
		return vlt_err_set(err, VLT_EABI,
				   "%s: the mandatory operation '%s' of a %s module is NULL", file,
				   op, vlt__kind_name(info->kind));
	return 0;
}

/* Open file and check everything up to the name. */
static int open_and_check(const char *file, vlt_kind_t want_kind, const char *want_name,
			  lt_dlhandle *handle, const vlt_plugin_info_t **info, vlt_err_t *err)
{
	const vlt_plugin_info_t *const *sym;
	lt_dlhandle h;
	int rc;

	*handle = NULL;
	*info = NULL;
	rc = open_file(file, &h, err);
	if (rc < 0)
		return rc;
	sym = lt_dlsym(h, PLUGIN_SYMBOL);
	if (sym == NULL || *sym == NULL) {
		rc = vlt_err_set(err, VLT_EABI, "%s: not a valet module (%s)", file,
				 sym == NULL ? "it has no '" PLUGIN_SYMBOL "' symbol" :
					       "its '" PLUGIN_SYMBOL "' is NULL");
		vlt__module_close(h);
		return rc;
	}
	rc = check_header(file, *sym, want_kind, want_name, err);
	if (rc < 0) {
		vlt__module_close(h);
		return rc;
	}
	*handle = h;
	*info = *sym;
	return 0;
}

int vlt__module_probe(const char *file, vlt_kind_t want_kind, const char *want_name,
		      void **handle, const vlt_plugin_info_t **info, vlt_err_t *err)
{
	lt_dlhandle h;
	int rc;

	*handle = NULL;
	rc = open_and_check(file, want_kind, want_name, &h, info, err);
	if (rc < 0)
		return rc;
	rc = check_ops(file, *info, err);
	if (rc < 0) {
		vlt__module_close(h);
		*info = NULL;
		return rc;
	}
	*handle = h;
	return 0;
}

/* ---------------------------------------------------------------- search */

static int dir_candidate(const char *dir, vlt_kind_t kind, const char *name, char *buf,
			 size_t len)
{
	int n = snprintf(buf, len, "%s/%s_%s" MODULE_EXT, dir, vlt__kind_name(kind), name);

	return n > 0 && (size_t)n < len ? 0 : VLT_E2BIG;
}

/*
 * Look for <kind>_<name>.so in cfg->module_path, then the build tree's and
 * the install prefix's module folders. Each folder is tried with a full
 * path, so that the first file found is the one named in any later error.
 * OUT *file - a new string. RET 0, VLT_ENOENT (listing the folders), VLT_ENOMEM.
 */
static int find_module(const vlt_config_t *cfg, vlt_kind_t kind, const char *name, char **file,
		       vlt_err_t *err)
{
	const char *builtin[] = { VLT_BUILD_MODULE_DIR, VLT_INSTALL_MODULE_DIR };
	size_t n_dirs = cfg->n_module_path + 2;
	char searched[VLT_ERR_MSG_MAX] = "";
	char path[4096];

	for (size_t i = 0; i < n_dirs; i++) {
		const char *dir = i < cfg->n_module_path ? cfg->module_path[i] :
							   builtin[i - cfg->n_module_path];
		size_t used = strlen(searched);

		if (dir == NULL || dir[0] == '\0')
			continue;
		snprintf(searched + used, sizeof(searched) - used, "%s%s", used > 0 ? ", " : "",
			 dir);
		if (dir_candidate(dir, kind, name, path, sizeof(path)) < 0)
			continue;
		if (access(path, F_OK) == 0) {
			*file = strdup(path);
			return *file != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
		}
	}
	return vlt_err_set(err, VLT_ENOENT, "%s module '%s' not found: no %s_%s" MODULE_EXT
			   " in %s",
			   vlt__kind_name(kind), name, vlt__kind_name(kind), name,
			   searched[0] != '\0' ? searched : "(no module folder)");
}

/* ---------------------------------------------------------------- one module */

static int module_init(vlt_module_t *m, vlt_err_t *err)
{
	switch (m->kind) {
	case VLT_KIND_SOURCE:
		return m->ops.source->init(&m->core, &m->state, err);
	case VLT_KIND_POLICY:
		return m->ops.policy->init(&m->core, &m->state, err);
	case VLT_KIND_SOLVER:
		return m->ops.solver->init(&m->core, &m->state, err);
	case VLT_KIND_STORE:
		return m->ops.store->init(&m->core, &m->state, err);
	default:
		return VLT_EINTERNAL;
	}
}

static void module_fini(vlt_module_t *m)
{
	if (m->info == NULL)
		return;
	switch (m->kind) {
	case VLT_KIND_SOURCE:
		m->ops.source->fini(m->state);
		break;
	case VLT_KIND_POLICY:
		m->ops.policy->fini(m->state);
		break;
	case VLT_KIND_SOLVER:
		m->ops.solver->fini(m->state);
		break;
	case VLT_KIND_STORE:
		m->ops.store->fini(m->state);
		break;
	}
	m->state = NULL;
}

/* Undo module_load for a module whose init never ran or was undone. */
static void module_release(vlt_module_t *m)
{
	vlt__cfg_scope_free(&m->cfg);
	vlt__module_close(m->handle);
	free(m->name);
	free(m->file);
	memset(m, 0, sizeof(*m));
}

static void module_unload(vlt_module_t *m)
{
	module_fini(m);
	module_release(m);
}

static bool name_loaded(const vlt_module_t *arr, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (arr[i].name != NULL && strcmp(arr[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Policies: the core's own setting "weight" (> 0), read like a module's. */
static int read_weight(vlt_module_t *m, vlt_err_t *err)
{
	double w;
	int rc = vlt__cfg_get_double(&m->cfg, "weight", 1.0, &w, err);

	if (rc < 0)
		return rc;
	if (!(w > 0) || !isfinite(w))
		return vlt__cfg_error(&m->cfg, "weight", err, "must be a number greater than 0");
	m->weight = w;
	return 0;
}

static int call_init(vlt_module_t *m, vlt_err_t *err)
{
	vlt_err_t merr = { 0 };
	int rc = module_init(m, &merr);

	if (rc == 0)
		return 0;
	if (rc > 0)
		rc = VLT_EINTERNAL;
	m->state = NULL; /* a failed init owns nothing */
	return vlt_err_set(err, rc, "%s: init failed: %s", m->file,
			   merr.msg[0] != '\0' ? merr.msg : vlt_strerror(rc));
}

/*
 * Load module kind/name into arr[idx], where arr[0..idx) are the modules of
 * that kind loaded so far. On failure arr[idx] is left zeroed.
 */
static int module_load(vlt_module_t *arr, size_t idx, vlt_kind_t kind, const char *name,
		       const vlt_config_t *cfg, vlt_err_t *err)
{
	vlt_module_t *m = &arr[idx];
	const vlt_plugin_info_t *info;
	lt_dlhandle h;
	char *file = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = find_module(cfg, kind, name, &file, err);
	if (rc < 0)
		return rc;
	rc = open_and_check(file, kind, name, &h, &info, err);
	if (rc < 0) {
		free(file);
		return rc;
	}
	m->kind = kind;
	m->file = file;
	m->handle = h;
	m->info = info;
	m->ops.source = (const vlt_source_ops_t *)info; /* all members alias info */
	m->weight = 1.0;
	m->name = strdup(name);
	if (m->name == NULL) {
		rc = vlt_err_set(err, VLT_ENOMEM, "%s: out of memory", file);
		goto out_release;
	}
	if (name_loaded(arr, idx, name)) {
		rc = vlt_err_set(err, VLT_EEXIST,
				 "%s: %s '%s' is already loaded: a module may be listed once",
				 file, vlt__kind_name(kind), name);
		goto out_release;
	}
	rc = check_ops(file, info, err);
	if (rc < 0)
		goto out_release;

	snprintf(m->prefix, sizeof(m->prefix), "%s/%s", vlt__kind_name(kind), name);
	snprintf(m->cfg_group, sizeof(m->cfg_group), "%s.%s", vlt__kind_name(kind), name);
	m->cfg.cfg = cfg;
	m->cfg.group = m->cfg_group;
	vlt__core_table_init(m, (uint32_t)idx);

	if (kind == VLT_KIND_POLICY) {
		rc = read_weight(m, err);
		if (rc < 0)
			goto out_release;
	}
	rc = call_init(m, err);
	if (rc < 0)
		goto out_release;
	rc = vlt__cfg_check_unknown(&m->cfg, err);
	if (rc < 0) {
		module_unload(m);
		return rc;
	}
	vlt__log(NULL, VLT_LOG_INFO, "loaded %s %s from %s", m->prefix,
		 info->version != NULL ? info->version : "(no version)", file);
	return 0;

out_release:
	module_release(m);
	return rc;
}

/* ---------------------------------------------------------------- the registry */

static bool override_targets(const vlt_override_t *ov, const char *kind, const char *name)
{
	size_t klen = strlen(kind), nlen = strlen(name);

	return strncmp(ov->path, kind, klen) == 0 && ov->path[klen] == '.' &&
	       strncmp(ov->path + klen + 1, name, nlen) == 0 && ov->path[klen + 1 + nlen] == '.';
}

static bool override_is_loaded(const vlt_override_t *ov, const vlt_config_t *cfg,
			       const char *const *extra, size_t n_extra)
{
	for (size_t i = 0; i < cfg->n_sources; i++) {
		if (override_targets(ov, "source", cfg->sources[i]))
			return true;
	}
	for (size_t i = 0; i < cfg->n_policies; i++) {
		if (override_targets(ov, "policy", cfg->policies[i]))
			return true;
	}
	if (cfg->solver != NULL && override_targets(ov, "solver", cfg->solver))
		return true;
	if (cfg->store != NULL && override_targets(ov, "store", cfg->store))
		return true;
	for (size_t i = 0; i < n_extra; i++) {
		if (override_targets(ov, "solver", extra[i]))
			return true;
	}
	return false;
}

/* Before anything opens: every name is a module name, every override is for one. */
static int check_request(const vlt_config_t *cfg, const char *const *extra, size_t n_extra,
			 vlt_err_t *err)
{
	int rc;

	for (size_t i = 0; i < n_extra; i++) {
		if (!vlt__config_is_module_name(extra[i]))
			return vlt_err_set(err, VLT_ECONFIG,
					   "solver '%s': a module name is [a-z0-9_]+, "
					   "at most 48 characters",
					   extra[i] != NULL ? extra[i] : "(null)");
	}
	rc = vlt__config_check_solvers(cfg, extra, n_extra, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < cfg->n_overrides; i++) {
		const vlt_override_t *ov = &cfg->overrides[i];

		if (!override_is_loaded(ov, cfg, extra, n_extra))
			return vlt_err_set(err, VLT_ECONFIG,
					   "--option %s=%s: configures a module that is not loaded",
					   ov->path, ov->value);
	}
	return 0;
}

static bool solver_listed(const vlt_config_t *cfg, const char *const *extra, size_t upto,
			  const char *name)
{
	if (cfg->solver != NULL && strcmp(cfg->solver, name) == 0)
		return true;
	for (size_t i = 0; i < upto; i++) {
		if (strcmp(extra[i], name) == 0)
			return true;
	}
	return false;
}

static int load_all(vlt_modules_t *mods, const vlt_config_t *cfg, const char *const *extra,
		    size_t n_extra, vlt_err_t *err)
{
	int rc;

	if (cfg->store != NULL) {
		vlt_module_t *store = calloc(1, sizeof(*store));

		if (store == NULL)
			return vlt_err_set(err, VLT_ENOMEM, "loading modules: out of memory");
		rc = module_load(store, 0, VLT_KIND_STORE, cfg->store, cfg, err);
		if (rc < 0) {
			free(store);
			return rc;
		}
		mods->store = store;
	}
	for (size_t i = 0; i < cfg->n_sources; i++) {
		rc = module_load(mods->sources, i, VLT_KIND_SOURCE, cfg->sources[i], cfg, err);
		if (rc < 0)
			return rc;
		mods->n_sources++;
	}
	for (size_t i = 0; i < cfg->n_policies; i++) {
		rc = module_load(mods->policies, i, VLT_KIND_POLICY, cfg->policies[i], cfg, err);
		if (rc < 0)
			return rc;
		mods->n_policies++;
	}
	if (cfg->solver != NULL) {
		rc = module_load(mods->solvers, 0, VLT_KIND_SOLVER, cfg->solver, cfg, err);
		if (rc < 0)
			return rc;
		mods->n_solvers++;
	}
	for (size_t i = 0; i < n_extra; i++) {
		if (solver_listed(cfg, extra, i, extra[i]))
			continue;
		rc = module_load(mods->solvers, mods->n_solvers, VLT_KIND_SOLVER, extra[i], cfg,
				 err);
		if (rc < 0)
			return rc;
		mods->n_solvers++;
	}
	return 0;
}

/* The module an override's path "<kind>.<name>.<key>" names, if loaded; *key its key. */
static vlt_module_t *override_module(vlt_modules_t *mods, const vlt_override_t *ov,
				     const char **key)
{
	const char *d1 = strchr(ov->path, '.');
	const char *d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
	char name[64];

	if (d2 == NULL || (size_t)(d2 - d1 - 1) >= sizeof(name))
		return NULL;
	*key = d2 + 1;
	snprintf(name, sizeof(name), "%.*s", (int)(d2 - d1 - 1), d1 + 1);
	for (vlt_kind_t k = VLT_KIND_SOURCE; k <= VLT_KIND_STORE; k++) {
		const char *kn = vlt__kind_name(k);
		if (strlen(kn) == (size_t)(d1 - ov->path) && strncmp(kn, ov->path, strlen(kn)) == 0)
			return vlt__modules_find(mods, k, name);
	}
	return NULL;
}

/* Did some module read one of the offers made by this flag? */
static bool flag_taken(vlt_modules_t *mods, const vlt_config_t *cfg, const char *flag)
{
	for (size_t i = 0; i < cfg->n_overrides; i++) {
		const vlt_override_t *ov = &cfg->overrides[i];
		const char *key = NULL;
		if (ov->flag == NULL || strcmp(ov->flag, flag) != 0)
			continue;
		vlt_module_t *m = override_module(mods, ov, &key);
		if (m != NULL && vlt__cfg_was_read(&m->cfg, key))
			return true;
	}
	return false;
}

/*
 * A generic flag's offers (vlt__config_offer) excuse each module that does
 * not read the key, but the flag itself must reach one, or it did nothing.
 */
static int check_offers(vlt_modules_t *mods, const vlt_config_t *cfg, vlt_err_t *err)
{
	for (size_t i = 0; i < cfg->n_overrides; i++) {
		const vlt_override_t *ov = &cfg->overrides[i];
		const char *key = "";
		if (ov->flag == NULL || flag_taken(mods, cfg, ov->flag))
			continue;
		override_module(mods, ov, &key);
		return vlt_err_set(err, VLT_ECONFIG,
				   "%s: no loaded module reads the setting '%s' (%s)", ov->flag,
				   key, ov->path);
	}
	return 0;
}

int vlt__modules_load(vlt_modules_t *mods, const vlt_config_t *cfg,
		      const char *const *extra_solvers, size_t n_extra, vlt_err_t *err)
{
	int rc;

	memset(mods, 0, sizeof(*mods));
	if (extra_solvers == NULL)
		n_extra = 0;
	rc = check_request(cfg, extra_solvers, n_extra, err);
	if (rc < 0)
		return rc;

	/* Sized up front: each module's vlt_core_t.priv points into these arrays. */
	mods->sources = calloc(cfg->n_sources + 1, sizeof(*mods->sources));
	mods->policies = calloc(cfg->n_policies + 1, sizeof(*mods->policies));
	mods->solvers = calloc(n_extra + 2, sizeof(*mods->solvers));
	if (mods->sources == NULL || mods->policies == NULL || mods->solvers == NULL) {
		vlt__modules_unload(mods);
		return vlt_err_set(err, VLT_ENOMEM, "loading modules: out of memory");
	}
	rc = load_all(mods, cfg, extra_solvers, n_extra, err);
	if (rc == 0)
		rc = check_offers(mods, cfg, err);
	if (rc < 0)
		vlt__modules_unload(mods);
	return rc;
}

/* fini in the reverse order of init: solvers, policies, sources, store. */
void vlt__modules_unload(vlt_modules_t *mods)
{
	if (mods == NULL)
		return;
	for (size_t i = mods->n_solvers; i > 0; i--)
		module_unload(&mods->solvers[i - 1]);
	for (size_t i = mods->n_policies; i > 0; i--)
		module_unload(&mods->policies[i - 1]);
	for (size_t i = mods->n_sources; i > 0; i--)
		module_unload(&mods->sources[i - 1]);
	if (mods->store != NULL)
		module_unload(mods->store);
	free(mods->solvers);
	free(mods->policies);
	free(mods->sources);
	free(mods->store);
	memset(mods, 0, sizeof(*mods));
}

vlt_module_t *vlt__modules_find(vlt_modules_t *mods, vlt_kind_t kind, const char *name)
{
	vlt_module_t *arr;
	size_t n;

	if (mods == NULL || name == NULL)
		return NULL;
	switch (kind) {
	case VLT_KIND_SOURCE:
		arr = mods->sources;
		n = mods->n_sources;
		break;
	case VLT_KIND_POLICY:
		arr = mods->policies;
		n = mods->n_policies;
		break;
	case VLT_KIND_SOLVER:
		arr = mods->solvers;
		n = mods->n_solvers;
		break;
	case VLT_KIND_STORE:
		arr = mods->store;
		n = mods->store != NULL ? 1 : 0;
		break;
	default:
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(arr[i].name, name) == 0)
			return &arr[i];
	}
	return NULL;
}
