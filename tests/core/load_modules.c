/*
 * load_modules.c - loads the modules a configuration names, the way valetd
 * does, and lists them: "kind/name version file" per line. For the tests
 * of out-of-tree modules.
 *
 * usage: vlt_load_modules --config FILE [--solver NAME]... [--option K=V]...
 *                         [--no-store]
 * Exit status: 0 all loaded, 2 refused (the reason on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "loader.h"
#include "log.h"

#define MAX_EXTRA 16

static void list(const vlt_module_t *arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s %s %s\n", arr[i].prefix, arr[i].info->version, arr[i].file);
}

static int fail(const char *msg)
{
	fprintf(stderr, "vlt_load_modules: %s\n", msg);
	return 2;
}

int main(int argc, char **argv)
{
	const char *extra[MAX_EXTRA];
	const char *config = NULL;
	vlt_config_t cfg;
	vlt_modules_t mods;
	vlt_err_t err = { 0 };
	size_t n_extra = 0;
	bool no_store = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--solver") == 0 && i + 1 < argc && n_extra < MAX_EXTRA)
			extra[n_extra++] = argv[++i];
		else if (strcmp(argv[i], "--no-store") == 0)
			no_store = true;
		else if (strcmp(argv[i], "--option") != 0 || i + 1 >= argc)
			return fail("usage: vlt_load_modules --config FILE [--solver NAME]... "
				    "[--option K=V]... [--no-store]");
		else
			i++; /* options are applied after the file is loaded */
	}
	vlt__log_setup(VLT_LOG_WARNING, false, "vlt_load_modules");
	if (vlt__config_load(&cfg, config, &err) < 0)
		return fail(err.msg);
	if (no_store)
		vlt__config_set_str(&cfg.store, NULL);
	for (int i = 1; i < argc; i++) {
		char *eq;

		if (strcmp(argv[i], "--option") != 0)
			continue;
		eq = strchr(argv[++i], '=');
		if (eq == NULL)
			return fail("--option wants KIND.NAME.KEY=VALUE");
		*eq = '\0';
		if (vlt__config_add_override(&cfg, argv[i], eq + 1) < 0)
			return fail("--option wants KIND.NAME.KEY=VALUE");
	}
	rc = vlt__modules_load(&mods, &cfg, extra, n_extra, &err);
	if (rc < 0) {
		vlt__config_free(&cfg);
		return fail(err.msg);
	}
	if (mods.store != NULL)
		list(mods.store, 1);
	list(mods.sources, mods.n_sources);
	list(mods.policies, mods.n_policies);
	list(mods.solvers, mods.n_solvers);
	vlt__modules_unload(&mods);
	vlt__config_free(&cfg);
	return 0;
}
