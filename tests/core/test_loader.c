/*
 * test_loader.c - the module loader against real shared objects: the test
 * modules of tests/bad_modules, each refused with its own code and a
 * message naming the file and the fault; good ones loaded in order, given
 * their settings and core table, and finished in reverse order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <valet/valet.h>

#include "config.h"
#include "cycle.h"
#include "dc.h"
#include "ledger.h"
#include "loader.h"
#include "log.h"
#include "stack.h"

#define MODDIR VLT_BINARY_DIR "/bad_modules"

static char tmpdir[] = "/tmp/valet-test-loader-XXXXXX";
static char trace_path[600];
static char conf_path[600];

static void assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(trace_path, sizeof(trace_path), "%s/trace", tmpdir);
	snprintf(conf_path, sizeof(conf_path), "%s/valet.conf", tmpdir);
	vlt__log_setup(VLT_LOG_WARNING, false, "test_loader");
	return 0;
}

static int teardown(void **state)
{
	char cmd[700];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * Load a configuration: the modules group lists the given modules (lists as
 * libconfig text, e.g. "\"good\", \"good2\""), searched in MODDIR first;
 * rest is appended. solver or store NULL: none.
 */
static void load_conf(vlt_config_t *cfg, const char *sources, const char *policies,
		      const char *solver, const char *store, const char *rest)
{
	vlt_err_t err = { 0 };
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	fprintf(f, "modules: {\n  path = [ \"%s\" ];\n  sources = [ %s ];\n  policies = [ %s ];\n",
		MODDIR, sources, policies);
	if (solver != NULL)
		fprintf(f, "  solver = \"%s\";\n", solver);
	if (store != NULL)
		fprintf(f, "  store = \"%s\";\n", store);
	fprintf(f, "};\n%s", rest != NULL ? rest : "");
	fclose(f);
	if (vlt__config_load(cfg, conf_path, &err) != 0)
		fail_msg("%s", err.msg);
	if (solver == NULL)
		assert_int_equal(vlt__config_set_str(&cfg->solver, NULL), 0);
	if (store == NULL)
		assert_int_equal(vlt__config_set_str(&cfg->store, NULL), 0);
	unlink(trace_path);
}

static void trace(vlt_config_t *cfg, const char *kind_name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s.trace", kind_name);
	assert_int_equal(vlt__config_add_override(cfg, path, trace_path), 0);
}

static char *read_trace(void)
{
	static char text[8192];
	FILE *f = fopen(trace_path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return text;
}

/* ---------------------------------------------------------------- good modules */

static void test_load_order_settings_and_fini(void **state)
{
	static const char *const extra[] = { "good", "good2", "good2" };
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	load_conf(&cfg, "\"good\", \"good2\"", "\"good\", \"good2\"", "good", "good",
		  "source: { good: { number = 42; }; };\n"
		  "policy: { good: { ratio = 3; weight = 2.5; }; };\n"
		  "solver: { good: { flag = true; }; good2: { number = -1; }; };\n"
		  "data_dir = \"/srv/valet\";\n");
	trace(&cfg, "store.good");
	trace(&cfg, "source.good");
	trace(&cfg, "source.good2");
	trace(&cfg, "policy.good");
	trace(&cfg, "policy.good2");
	trace(&cfg, "solver.good");
	trace(&cfg, "solver.good2");
	assert_int_equal(vlt__config_add_override(&cfg, "source.good2.number", "43"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "policy.good2.weight", "0.5"), 0);

	if (vlt__modules_load(&mods, &cfg, extra, 3, &err) != 0)
		fail_msg("%s", err.msg);
	assert_non_null(mods.store);
	assert_int_equal(mods.n_sources, 2);
	assert_int_equal(mods.n_policies, 2);
	assert_int_equal(mods.n_solvers, 2); /* "good" again and "good2" twice are skipped */
	assert_string_equal(mods.solvers[0].name, "good");
	assert_string_equal(mods.solvers[1].name, "good2");
	assert_int_equal(mods.solvers[1].core.self_id, 1);
	assert_int_equal(mods.policies[1].core.self_id, 1);
	assert_true(mods.policies[0].weight == 2.5);
	assert_true(mods.policies[1].weight == 0.5);
	assert_true(mods.sources[0].weight == 1.0);
	assert_string_equal(mods.sources[1].file, MODDIR "/source_good2.so");
	assert_int_equal(mods.sources[1].kind, VLT_KIND_SOURCE);
	assert_non_null(mods.sources[1].state);

	assert_ptr_equal(vlt__modules_find(&mods, VLT_KIND_POLICY, "good2"), &mods.policies[1]);
	assert_ptr_equal(vlt__modules_find(&mods, VLT_KIND_STORE, "good"), mods.store);
	assert_ptr_equal(vlt__modules_find(&mods, VLT_KIND_SOLVER, "good2"), &mods.solvers[1]);
	assert_null(vlt__modules_find(&mods, VLT_KIND_SOLVER, "good3"));
	assert_null(vlt__modules_find(&mods, (vlt_kind_t)9, "good"));
	assert_null(vlt__modules_find(NULL, VLT_KIND_SOLVER, "good"));

	vlt__modules_unload(&mods);
	assert_null(mods.sources);
	assert_int_equal(mods.n_solvers, 0);
	vlt__modules_unload(&mods); /* twice is harmless */

	assert_string_equal(read_trace(),
		"init store/good id=0 number=7 ratio=0.5 flag=0 data_dir=/srv/valet\n"
		"init source/good id=0 number=42 ratio=0.5 flag=0 data_dir=/srv/valet\n"
		"init source/good2 id=1 number=43 ratio=0.5 flag=0 data_dir=/srv/valet\n"
		"init policy/good id=0 number=7 ratio=3 flag=0 data_dir=/srv/valet\n"
		"init policy/good2 id=1 number=7 ratio=0.5 flag=0 data_dir=/srv/valet\n"
		"init solver/good id=0 number=7 ratio=0.5 flag=1 data_dir=/srv/valet\n"
		"init solver/good2 id=1 number=-1 ratio=0.5 flag=0 data_dir=/srv/valet\n"
		"fini solver/good2\n"
		"fini solver/good\n"
		"fini policy/good2\n"
		"fini policy/good\n"
		"fini source/good2\n"
		"fini source/good\n"
		"fini store/good\n");
	vlt__config_free(&cfg);
}

/*
 * A data center built through a module's table: one rack of one host with
 * an aggregate, a pool and a flavor; vCPUs overcommitted 2:1 by default.
 * OUT: new, owned by the caller (vlt__dc_free).
 */
static vlt_dc_t *dc_through(const vlt_core_t *c)
{
	static const double ratio[VLT_RES_COUNT] = { 2.0, 1.0, 1.0 };
	static const double standby[VLT_RES_COUNT] = { 0, 0, 0 };
	static const vlt_kv_t ssd = { "ssd", "true" };
	static const char *const aggs[] = { "fast" };
	vlt_host_spec_t host = { .name = "h1", .rack = "r1", .total = { 8, 16384, 100 },
				 .nic_mbps = VLT_UNLIMITED, .aggregates = aggs,
				 .n_aggregates = 1, .enabled = true };
	vlt_pool_spec_t pool = { .name = "p1", .rack = "r1", .capacity_gb = 500 };
	vlt_flavor_t small = { .name = "small", .vcpus = 2, .ram_mb = 2048, .disk_gb = 10 };
	vlt_dc_builder_t *b = vlt__dc_builder_new();
	vlt_err_t err = { 0 };
	vlt_dc_t *dc = NULL;

	assert_non_null(b);
	if (c->dc_set_name(b, "tabled", &err) != 0 || c->dc_set_defaults(b, ratio, standby, &err) != 0 ||
	    c->dc_add_cluster(b, "c1", VLT_UNLIMITED, &err) != 0 ||
	    c->dc_add_rack(b, "r1", "c1", VLT_UNLIMITED, &err) != 0 ||
	    c->dc_add_aggregate(b, "fast", &ssd, 1, &err) != 0 ||
	    c->dc_add_host(b, &host, &err) != 0 || c->dc_add_pool(b, &pool, &err) != 0 ||
	    c->dc_add_flavor(b, &small, &err) != 0 || vlt__dc_build(b, &dc, &err) != 0)
		fail_msg("building through the table: %s", err.msg);
	vlt__dc_builder_free(b);
	assert_string_equal(dc->name, "tabled");
	assert_string_equal(dc->clusters[0].name, "c1");
	assert_string_equal(dc->racks[0].name, "r1");
	assert_int_equal(dc->n_hosts, 1);
	assert_int_equal(dc->hosts[0].capacity[VLT_RES_VCPUS], 16);
	assert_int_equal(dc->hosts[0].n_aggregates, 1);
	assert_string_equal(dc->pools[0].name, "p1");
	assert_string_equal(dc->flavors[0].name, "small");
	return dc;
}

static uint32_t policy_lookup(void *arg, const char *type)
{
	vlt_module_t *m = vlt__modules_find(arg, VLT_KIND_POLICY, type);

	return m == NULL ? VLT_NONE : (uint32_t)(m - ((vlt_modules_t *)arg)->policies);
}

/* One small server s0 in a host-level group of the policy "good". OUT: new (vlt__stack_free). */
static vlt_stack_t *one_server_stack(vlt_modules_t *mods, const vlt_dc_t *dc)
{
	json_t *req = json_pack("{s:s, s:s, s:{s:{s:s, s:{s:s}}, s:{s:s, s:{s:s, s:s, s:[s]}}}}",
				"plan_name", "p", "stack_id", "st", "resources", "s0", "type",
				"OS::Nova::Server", "properties", "flavor", "small", "g",
				"type", "ATT::Valet::GroupAssignment", "properties", "group_type",
				"good", "level", "host", "resources", "s0");
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	assert_non_null(req);
	if (vlt__stack_parse(req, dc, NULL, policy_lookup, mods, "p", &st, &err) != 0)
		fail_msg("%s", err.msg);
	json_decref(req);
	return st;
}

/*
 * A cycle through the solver's table (c) and the policy's (pc): what a
 * solver sees, checks, assigns and records lands in the cycle, and the
 * occupancy queries count the assigned server.
 */
static void cycle_through(const vlt_core_t *c, const vlt_core_t *pc, vlt_modules_t *mods,
			  const vlt_dc_t *dc)
{
	vlt_stack_t *st = one_server_stack(mods, dc);
	vlt_ledger_t *l = NULL;
	vlt_cycle_t *cy = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__ledger_new(&l, dc, (uint32_t)mods->n_policies, &err), 0);
	assert_int_equal(vlt__cycle_new(&cy, l, st, mods, &err), 0);
	assert_string_equal(c->cycle_dc(cy)->hosts[0].name, "h1");
	assert_string_equal(c->cycle_stack(cy)->units[0].name, "s0");
	assert_int_equal(c->check(cy, 0, VLT_LEVEL_HOST, 0), VLT_PASS);
	assert_true(c->cost(cy, 0, 0) == 0);  /* no links */
	assert_true(c->score(cy, 0, 0) == 0); /* no policy scores */
	assert_int_equal(c->assign(cy, 0, 0), 0);
	assert_int_equal(c->cycle_view(cy)->placement[0], 0);
	assert_int_equal(c->cycle_view(cy)->host_free[0][VLT_RES_VCPUS], 14);
	assert_int_equal(c->residents(cy, VLT_LEVEL_HOST, 0), 1);
	assert_int_equal(c->group_count(cy, 0, VLT_LEVEL_HOST, 0), 1);
	assert_int_equal(c->group_servers(cy, 0, VLT_LEVEL_RACK, 0), 1);
	assert_int_equal(pc->policy_residents(pc, cy, VLT_LEVEL_HOST, 0), 1);
	c->unassign(cy, 0);
	assert_int_equal(c->cycle_view(cy)->placement[0], VLT_NONE);
	assert_int_equal(c->residents(cy, VLT_LEVEL_HOST, 0), 0);
	c->note_failure(cy, 0);
	assert_contains(vlt__cycle_failure(cy), "s0");
	c->metric(cy, "probe", 2.5);
	json_t *m = vlt__cycle_metrics(cy);
	assert_true(json_real_value(json_object_get(m, "probe")) == 2.5);
	json_decref(m);
	vlt__cycle_free(cy);
	vlt__ledger_free(l);
	vlt__stack_free(st);
}

/* The module's vlt_core_t: its version and identity, and each callback doing its
 * job when the module calls through it. */
static void test_core_table(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	vlt_module_t *m, *pm;
	const vlt_core_t *c;
	int64_t number;
	char *str = NULL;

	(void)state;
	load_conf(&cfg, "", "\"good\"", "good", NULL,
		  "solver: { good: { number = 5; }; };\npolicy: { good: { number = 9; }; };\n");
	if (vlt__modules_load(&mods, &cfg, NULL, 0, &err) != 0)
		fail_msg("%s", err.msg);
	m = vlt__modules_find(&mods, VLT_KIND_SOLVER, "good");
	pm = vlt__modules_find(&mods, VLT_KIND_POLICY, "good");
	assert_non_null(m);
	assert_non_null(pm);
	c = &m->core;
	assert_int_equal(c->abi_major, VLT_ABI_MAJOR);
	assert_int_equal(c->abi_minor, VLT_ABI_MINOR);
	assert_int_equal(c->self_id, 0);
	assert_string_equal(m->prefix, "solver/good");
	assert_string_equal(m->cfg_group, "solver.good");
	assert_string_equal(m->info->name, "good");
	assert_ptr_equal(m->ops.solver, (const void *)m->info);
	assert_non_null(m->handle);

	assert_int_equal(c->cfg_int(c, "number", 0, &number, &err), 0);
	assert_int_equal(number, 5);
	assert_int_equal(c->cfg_str(c, "trace", "none", &str, &err), 0);
	assert_string_equal(str, "none");
	free(str);
	assert_string_equal(c->data_dir(c), "valet-data");
	/* a policy's table reads its own group */
	assert_int_equal(pm->core.cfg_int(&pm->core, "number", 0, &number, &err), 0);
	assert_int_equal(number, 9);
	assert_string_equal(pm->prefix, "policy/good");
	assert_null(mods.store);

	vlt_dc_t *dc = dc_through(c);
	cycle_through(c, &pm->core, &mods, dc);
	vlt__dc_free(dc);
	vlt__modules_unload(&mods);
	vlt__config_free(&cfg);
}

static char captured[16384];

/* The log callback prefixes "[kind/name]". */
static void test_module_log_prefix(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	(void)state;
	load_conf(&cfg, "", "", "good", NULL, NULL);
	assert_non_null(tmp);
	vlt__log_setup(VLT_LOG_NOTICE, false, "test_loader");
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	if (vlt__modules_load(&mods, &cfg, NULL, 0, &err) != 0)
		fail_msg("%s", err.msg);
	mods.solvers[0].core.log(&mods.solvers[0].core, VLT_LOG_WARNING, "%d units", 3);
	vlt__modules_unload(&mods);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	vlt__log_setup(VLT_LOG_WARNING, false, "test_loader");
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
	assert_string_equal(captured, "NOTICE [solver/good] hello from solver/good\n"
				      "WARNING [solver/good] 3 units\n");
	vlt__config_free(&cfg);
}

/* ---------------------------------------------------------------- refusals */

struct refusal {
	const char *kind; /* which list names it: "source", "policy", "solver", "store" */
	const char *name;
	int code;
	const char *fault;
};

static const struct refusal refusals[] = {
	{ "solver", "badmagic", VLT_EABI,
	  "bad magic 0xdeadbeef (expected 0x564c5450): not a valet module" },
	{ "solver", "badmajor", VLT_EABI,
	  "built for module ABI 2.6, but this valet speaks 1.6: rebuild the module" },
	{ "solver", "newminor", VLT_EABI,
	  "built for module ABI 1.7, newer than this valet's 1.6: upgrade valet or rebuild" },
	{ "solver", "small", VLT_EABI, "its solver operations table is 48 bytes, smaller than" },
	{ "solver", "badkind", VLT_EABI, "declares an unknown module kind 9" },
	{ "solver", "wrongkind", VLT_EABI, "is a policy module, expected a solver module" },
	{ "solver", "misnamed", VLT_EABI, "declares the name 'other', expected 'misnamed'" },
	{ "solver", "nosym", VLT_EABI, "not a valet module (it has no 'vlt_plugin' symbol)" },
	{ "solver", "nullsym", VLT_EABI, "not a valet module (its 'vlt_plugin' is NULL)" },
	{ "solver", "notelf", VLT_EABI,
	  "cannot be loaded: file too short (check its dependencies with ldd(1))" },
	{ "solver", "missingdep", VLT_EABI,
	  "cannot be loaded: libvlt_test_dep.so: cannot open shared object file: "
	  "No such file or directory" },
	{ "solver", "nosolve", VLT_EABI,
	  "the mandatory operation 'solve' of a solver module is NULL" },
	{ "solver", "nofini", VLT_EABI,
	  "the mandatory operation 'fini' of a solver module is NULL" },
	{ "source", "nocollect", VLT_EABI,
	  "the mandatory operation 'collect' of a source module is NULL" },
	{ "policy", "nofilter", VLT_EABI,
	  "the mandatory operation 'filter' of a policy module is NULL" },
	{ "policy", "novalidate", VLT_EABI,
	  "the mandatory operation 'validate' of a policy module is NULL" },
	{ "store", "nolist", VLT_EABI, "the mandatory operation 'list' of a store module is NULL" },
	{ "store", "noremove", VLT_EABI,
	  "the mandatory operation 'remove' of a store module is NULL" },
	{ "solver", "initfail", VLT_EBACKEND,
	  "init failed: cannot reach the licence server at 10.0.0.1" },
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *r = &refusals[i];
		bool source = strcmp(r->kind, "source") == 0;
		bool policy = strcmp(r->kind, "policy") == 0;
		bool solver = strcmp(r->kind, "solver") == 0;
		bool store = strcmp(r->kind, "store") == 0;
		char quoted[64], want[700];
		vlt_modules_t mods;
		vlt_config_t cfg;
		vlt_err_t err = { 0 };
		int rc;

		snprintf(quoted, sizeof(quoted), "\"%s\"", r->name);
		/* good modules load first and must be finished on the refusal */
		load_conf(&cfg, source ? quoted : "\"good\"", policy ? quoted : "",
			  solver ? r->name : NULL, store ? r->name : "good", NULL);
		if (!source)
			trace(&cfg, "source.good");
		if (!store)
			trace(&cfg, "store.good");
		rc = vlt__modules_load(&mods, &cfg, NULL, 0, &err);
		if (rc != r->code)
			fail_msg("%s_%s: rc %d, want %d (%s)", r->kind, r->name, rc, r->code,
				 err.msg);
		assert_int_equal(err.code, r->code);
		snprintf(want, sizeof(want), "%s/%s_%s.so: %s", MODDIR, r->kind, r->name, r->fault);
		if (strncmp(err.msg, want, strlen(want)) != 0)
			fail_msg("%s_%s:\n got  \"%s\"\n want \"%s...\"", r->kind, r->name,
				 err.msg, want);
		/* nothing stays loaded */
		assert_null(mods.sources);
		assert_null(mods.store);
		if (solver)
			assert_string_equal(read_trace(),
				"init store/good id=0 number=7 ratio=0.5 flag=0 "
				"data_dir=valet-data\n"
				"init source/good id=0 number=7 ratio=0.5 flag=0 "
				"data_dir=valet-data\n"
				"fini source/good\n"
				"fini store/good\n");
		vlt__config_free(&cfg);
	}
}

static void test_not_found(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	load_conf(&cfg, "", "", "nothere", NULL, NULL);
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ENOENT);
	assert_string_equal(err.msg, "solver module 'nothere' not found: no solver_nothere.so in "
				     MODDIR ", " VLT_BUILD_MODULE_DIR ", " VLT_INSTALL_MODULE_DIR);
	vlt__config_free(&cfg);
}

/* The configured path comes first: a module there hides the built-in folders'. */
static void test_search_order(void **state)
{
	char link[700];
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	FILE *f;

	(void)state;
	snprintf(link, sizeof(link), "%s/solver_good.so", tmpdir);
	assert_int_equal(symlink(MODDIR "/solver_good2.so", link), 0);
	f = fopen(conf_path, "w");
	assert_non_null(f);
	fprintf(f, "modules: { path = [ \"%s/none\", \"%s\", \"%s\" ]; sources = [ ]; "
		"policies = [ ]; solver = \"good\"; };\n", tmpdir, tmpdir, MODDIR);
	fclose(f);
	assert_int_equal(vlt__config_load(&cfg, conf_path, &err), 0);
	assert_int_equal(vlt__config_set_str(&cfg.store, NULL), 0);
	/* tmpdir/solver_good.so is good2's file: found first, refused by name */
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_EABI);
	assert_contains(err.msg, link);
	assert_contains(err.msg, "declares the name 'good2', expected 'good'");
	unlink(link);
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), 0);
	assert_string_equal(mods.solvers[0].file, MODDIR "/solver_good.so");
	vlt__modules_unload(&mods);
	vlt__config_free(&cfg);
}

static void test_listed_twice(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	load_conf(&cfg, "\"good\", \"good2\", \"good\"", "", NULL, NULL, NULL);
	trace(&cfg, "source.good");
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_EEXIST);
	assert_string_equal(err.msg, MODDIR "/source_good.so: source 'good' is already loaded: "
					    "a module may be listed once");
	assert_string_equal(read_trace(), "init source/good id=0 number=7 ratio=0.5 flag=0 "
					  "data_dir=valet-data\n"
					  "fini source/good\n");
	vlt__config_free(&cfg);
}

/* A key the module never asked for is refused after its init, naming the line. */
static void test_unknown_module_setting(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	char want[700];

	(void)state;
	load_conf(&cfg, "", "", "nosettings", NULL,
		  "solver: {\n  nosettings: {\n    foo = 1;\n  };\n};\n");
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:9: setting 'solver.nosettings.foo': unknown setting (the module reads no "
		 "settings)",
		 conf_path);
	assert_string_equal(err.msg, want);
	vlt__config_free(&cfg);

	/* a module that reads settings: its fini runs before the refusal */
	load_conf(&cfg, "\"good\"", "", NULL, NULL,
		  "source: {\n  good: {\n    number = 1;\n    colour = \"red\";\n  };\n};\n");
	trace(&cfg, "source.good");
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:9: setting 'source.good.colour': unknown setting (the module reads: "
		 "trace, number, ratio, flag)",
		 conf_path);
	assert_string_equal(err.msg, want);
	assert_string_equal(read_trace(), "init source/good id=0 number=1 ratio=0.5 flag=0 "
					  "data_dir=valet-data\n"
					  "fini source/good\n");
	vlt__config_free(&cfg);

	/* the same through an override */
	load_conf(&cfg, "\"good\"", "", NULL, NULL, NULL);
	assert_int_equal(vlt__config_add_override(&cfg, "source.good.colour", "red"), 0);
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_contains(err.msg, "--option source.good.colour=red: unknown setting");
	vlt__config_free(&cfg);

	/* a bad value given to a module names the option */
	load_conf(&cfg, "\"good\"", "", NULL, NULL, NULL);
	assert_int_equal(vlt__config_add_override(&cfg, "source.good.number", "many"), 0);
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_string_equal(err.msg, MODDIR "/source_good.so: init failed: "
					    "--option source.good.number=many: must be an integer");
	vlt__config_free(&cfg);
}

static void test_override_for_unloaded_module(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	load_conf(&cfg, "\"good\"", "", "good", NULL, NULL);
	assert_int_equal(vlt__config_add_override(&cfg, "source.nope.x", "1"), 0);
	trace(&cfg, "source.good");
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_string_equal(err.msg, "--option source.nope.x=1: configures a module that is not "
				     "loaded");
	assert_string_equal(read_trace(), ""); /* refused before anything opened */
	vlt__config_free(&cfg);
}

/*
 * A generic flag's offer (vlt__config_offer) goes to every loaded module of
 * its kind; a module that does not read the key is not refused for it, but
 * the flag is when no module reads it. Messages name the flag.
 */
static void test_offers(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	load_conf(&cfg, "\"good\", \"good2\"", "", NULL, NULL, NULL);
	assert_int_equal(vlt__config_offer(&cfg, "source", "number", "7", "--number 7"), 2);
	assert_int_equal(vlt__config_offer(&cfg, "store", "number", "7", "--number 7"), 0);
	assert_int_equal(vlt__config_offer(&cfg, "module", "number", "7", "--number 7"),
			 VLT_EINVAL);
	trace(&cfg, "source.good");
	if (vlt__modules_load(&mods, &cfg, NULL, 0, &err) != 0)
		fail_msg("%s", err.msg);
	assert_contains(read_trace(), "init source/good id=0 number=7 ");
	vlt__modules_unload(&mods);
	vlt__config_free(&cfg);

	/* nobody reads it: the flag did nothing, which is refused */
	load_conf(&cfg, "\"good\"", "", NULL, NULL, NULL);
	assert_int_equal(vlt__config_offer(&cfg, "source", "colour", "red", "--colour red"), 1);
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_string_equal(err.msg, "--colour red: no loaded module reads the setting 'colour' "
				     "(source.good.colour)");
	vlt__config_free(&cfg);

	/* a bad value names the flag, not an --option */
	load_conf(&cfg, "\"good\"", "", NULL, NULL, NULL);
	assert_int_equal(vlt__config_offer(&cfg, "source", "number", "many", "--number many"), 1);
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_string_equal(err.msg, MODDIR "/source_good.so: init failed: "
					    "--number many: must be an integer");
	vlt__config_free(&cfg);
}

static void test_policy_weight(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	char want[700];

	(void)state;
	load_conf(&cfg, "", "\"good\"", NULL, NULL,
		  "policy: {\n  good: {\n    weight = 0;\n  };\n};\n");
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:8: setting 'policy.good.weight': must be a number greater than 0", conf_path);
	assert_string_equal(err.msg, want);
	vlt__config_free(&cfg);

	load_conf(&cfg, "", "\"good\"", NULL, NULL,
		  "policy: {\n  good: {\n    weight = \"heavy\";\n  };\n};\n");
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_contains(err.msg,
			":8: setting 'policy.good.weight': must be a number, not a string");
	vlt__config_free(&cfg);

	load_conf(&cfg, "", "\"good\"", NULL, NULL, NULL);
	assert_int_equal(vlt__config_add_override(&cfg, "policy.good.weight", "-1"), 0);
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_string_equal(err.msg,
			    "--option policy.good.weight=-1: must be a number greater than 0");
	vlt__config_free(&cfg);

	/* "weight" is known even to a policy that never reads it itself */
	load_conf(&cfg, "", "\"good\"", NULL, NULL, "policy: { good: { weight = 4; }; };\n");
	if (vlt__modules_load(&mods, &cfg, NULL, 0, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(mods.policies[0].weight == 4.0);
	vlt__modules_unload(&mods);
	vlt__config_free(&cfg);
}

static void test_extra_solvers(void **state)
{
	static const char *const extra[] = { "good2" };
	static const char *const bad[] = { "Bad!" };
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	load_conf(&cfg, "", "", "good", NULL, "solver: { good2: { number = 3; }; };\n");
	/* good2's group is an error unless good2 is loaded too */
	assert_int_equal(vlt__modules_load(&mods, &cfg, NULL, 0, &err), VLT_ECONFIG);
	assert_contains(err.msg, "setting 'solver.good2': configures a module that is not loaded");
	if (vlt__modules_load(&mods, &cfg, extra, 1, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(mods.n_solvers, 2);
	vlt__modules_unload(&mods);
	assert_int_equal(vlt__modules_load(&mods, &cfg, bad, 1, &err), VLT_ECONFIG);
	assert_contains(err.msg, "solver 'Bad!'");
	vlt__config_free(&cfg);

	/* no configured solver: the extra ones only */
	load_conf(&cfg, "", "", NULL, NULL, NULL);
	if (vlt__modules_load(&mods, &cfg, extra, 1, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(mods.n_solvers, 1);
	assert_string_equal(mods.solvers[0].name, "good2");
	assert_int_equal(mods.solvers[0].core.self_id, 0);
	vlt__modules_unload(&mods);
	vlt__config_free(&cfg);
}

static void test_probe(void **state)
{
	const vlt_plugin_info_t *info;
	void *h, *h2;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(vlt__module_probe(MODDIR "/policy_good.so", 0, NULL, &h, &info, &err), 0);
	assert_non_null(h);
	assert_int_equal(info->kind, VLT_KIND_POLICY);
	assert_string_equal(info->name, "good");
	assert_string_equal(info->summary, "test module");
	/* the same file twice: two references, closed one by one */
	assert_int_equal(vlt__module_probe(MODDIR "/policy_good.so", VLT_KIND_POLICY, "good", &h2,
					   &info, &err), 0);
	vlt__module_close(h2);
	assert_string_equal(info->name, "good");
	vlt__module_close(h);
	vlt__module_close(NULL);

	assert_int_equal(vlt__module_probe(MODDIR "/policy_good.so", VLT_KIND_SOLVER, NULL, &h,
					   &info, &err), VLT_EABI);
	assert_null(h);
	assert_string_equal(err.msg, MODDIR "/policy_good.so: is a policy module, expected a "
					    "solver module");
	assert_int_equal(vlt__module_probe(MODDIR "/solver_nosolve.so", 0, NULL, &h, &info, &err),
			 VLT_EABI);
	assert_null(h);
	assert_null(info);
	assert_int_equal(vlt__module_probe(MODDIR "/solver_nope.so", 0, NULL, &h, &info, &err),
			 VLT_ENOENT);
	assert_string_equal(err.msg, MODDIR "/solver_nope.so: cannot open: No such file or "
					    "directory");
}

static void test_kind_names_and_sizes(void **state)
{
	(void)state;
	assert_string_equal(vlt__kind_name(VLT_KIND_SOURCE), "source");
	assert_string_equal(vlt__kind_name(VLT_KIND_POLICY), "policy");
	assert_string_equal(vlt__kind_name(VLT_KIND_SOLVER), "solver");
	assert_string_equal(vlt__kind_name(VLT_KIND_STORE), "store");
	assert_string_equal(vlt__kind_name((vlt_kind_t)0), "unknown");
	/* ABI 1.0: the whole of each table is the minimum */
	assert_int_equal(vlt__ops_min_size(VLT_KIND_SOURCE), sizeof(vlt_source_ops_t));
	assert_int_equal(vlt__ops_min_size(VLT_KIND_POLICY), sizeof(vlt_policy_ops_t));
	assert_int_equal(vlt__ops_min_size(VLT_KIND_SOLVER), sizeof(vlt_solver_ops_t));
	/* the store's table grew in 1.4 (ping, range): its 1.0 part ends at list */
	assert_int_equal(vlt__ops_min_size(VLT_KIND_STORE), offsetof(vlt_store_ops_t, ping));
	assert_int_equal(vlt__ops_min_size((vlt_kind_t)5), 0);
}

/* VLT_NO_DLCLOSE keeps modules mapped (for valgrind); loading still works. */
static void test_no_dlclose(void **state)
{
	vlt_modules_t mods;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(setenv("VLT_NO_DLCLOSE", "1", 1), 0);
	load_conf(&cfg, "\"good\"", "", "good", "good", NULL);
	trace(&cfg, "store.good");
	if (vlt__modules_load(&mods, &cfg, NULL, 0, &err) != 0)
		fail_msg("%s", err.msg);
	vlt__modules_unload(&mods);
	assert_contains(read_trace(), "fini store/good\n");
	unsetenv("VLT_NO_DLCLOSE");
	vlt__config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_order_settings_and_fini),
		cmocka_unit_test(test_core_table),
		cmocka_unit_test(test_module_log_prefix),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_search_order),
		cmocka_unit_test(test_listed_twice),
		cmocka_unit_test(test_unknown_module_setting),
		cmocka_unit_test(test_override_for_unloaded_module),
		cmocka_unit_test(test_offers),
		cmocka_unit_test(test_policy_weight),
		cmocka_unit_test(test_extra_solvers),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_kind_names_and_sizes),
		cmocka_unit_test(test_no_dlclose),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
