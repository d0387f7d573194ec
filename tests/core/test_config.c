/*
 * test_config.c - the configuration: defaults, the shipped conf/valet.conf,
 * every refusal with its FILE:LINE and setting, listen addresses,
 * command-line overrides and module settings read through a scope.
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

#include <valet/core.h>

#include "config.h"

static char tmpdir[] = "/tmp/valet-test-config-XXXXXX";

/* Write text to tmpdir/name; returns the path (static buffer, one at a time). */
static const char *write_conf(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void assert_defaults(const vlt_config_t *cfg)
{
	assert_string_equal(cfg->listen_host, "127.0.0.1");
	assert_int_equal(cfg->listen_port, 8090);
	assert_int_equal(cfg->threads, 4);
	assert_int_equal(cfg->max_body_bytes, 1024 * 1024);
	assert_int_equal(cfg->log_level, VLT_LOG_INFO);
	assert_false(cfg->log_syslog);
	assert_null(cfg->log_file);
	assert_string_equal(cfg->data_dir, "valet-data");
	assert_int_equal(cfg->n_module_path, 0);
	assert_int_equal(cfg->n_sources, 1);
	assert_string_equal(cfg->sources[0], "static");
	assert_int_equal(cfg->n_policies, 3);
	assert_string_equal(cfg->policies[0], "affinity");
	assert_string_equal(cfg->policies[1], "diversity");
	assert_string_equal(cfg->policies[2], "exclusivity");
	assert_string_equal(cfg->solver, "ostro");
	assert_string_equal(cfg->store, "sqlite");
	assert_int_equal(cfg->n_overrides, 0);
	assert_false(cfg->notify_enabled);
	assert_string_equal(cfg->notify_url, "amqp://guest:guest@127.0.0.1:5672/");
	assert_string_equal(cfg->notify_exchange, "nova");
	assert_string_equal(cfg->notify_topic, "versioned_notifications");
	assert_string_equal(cfg->notify_queue, "valet.versioned_notifications");
	assert_false(cfg->notify_exchange_durable);
}

static void test_defaults(void **state)
{
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(vlt__config_load(&cfg, NULL, &err), 0);
	assert_null(cfg.file);
	assert_defaults(&cfg);
	vlt__config_free(&cfg);
	vlt__config_free(&cfg); /* twice is harmless: free leaves it empty */
	vlt__config_free(NULL);
}

/* The shipped file is all comments: it loads, and equals the defaults. */
static void test_shipped_file_is_defaults(void **state)
{
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	if (vlt__config_load(&cfg, VLT_SOURCE_DIR "/conf/valet.conf", &err) != 0)
		fail_msg("%s", err.msg);
	assert_defaults(&cfg);
	vlt__config_free(&cfg);
}

/*
 * Uncommenting the example lines of conf/valet.conf (those that start with
 * '#' right before a setting, not "# " prose) gives a valid file whose core
 * settings are again the defaults: the documentation shows the real ones.
 */
static void test_shipped_file_uncommented(void **state)
{
	FILE *in = fopen(VLT_SOURCE_DIR "/conf/valet.conf", "r");
	char out_path[512], line[1024];
	size_t n_settings = 0;
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	FILE *out;

	(void)state;
	assert_non_null(in);
	snprintf(out_path, sizeof(out_path), "%s/uncommented.conf", tmpdir);
	out = fopen(out_path, "w");
	assert_non_null(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (line[0] == '#' && line[1] != ' ' && line[1] != '#' && line[1] != '\n') {
			fputs(line + 1, out);
			n_settings++;
		}
	}
	fclose(in);
	fclose(out);
	assert_true(n_settings >= 20);
	if (vlt__config_load(&cfg, out_path, &err) != 0)
		fail_msg("%s", err.msg);
	assert_defaults(&cfg);
	/* the example documents the built-in module path search too */
	vlt__config_free(&cfg);
}

/* Every setting the core reads is documented in the shipped file. */
static void test_shipped_file_documents_everything(void **state)
{
	static const char *const keys[] = {
		"server:", "listen =", "threads =", "max_body_kb =", "dashboard_dir =",
		"shutdown_grace_s =", "log:", "level =", "syslog =", "data_dir =", "modules:",
		"path =", "sources =", "policies =",
		"solver =", "store =", "weight =", "source:", "policy:", "solver:", "store:",
	};
	FILE *in = fopen(VLT_SOURCE_DIR "/conf/valet.conf", "r");
	static char text[65536];
	size_t n;

	(void)state;
	assert_non_null(in);
	n = fread(text, 1, sizeof(text) - 1, in);
	text[n] = '\0';
	fclose(in);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_contains(text, keys[i]);
}

struct bad_case {
	const char *text;
	int line;
	const char *want; /* after "FILE:LINE: " */
};

static const struct bad_case bad_cases[] = {
	{ "server: { listen = \"127.0.0.1:8090\"; };\nfoo = 1;\n", 2,
	  "setting 'foo': unknown setting" },
	{ "server: {\n  listen = \"127.0.0.1:8090\";\n  port = 80;\n};\n", 3,
	  "setting 'server.port': unknown setting (known here: listen, threads, max_body_kb, "
	  "dashboard_dir, max_connections, "
	  "max_client_connections, header_timeout_s, request_timeout_s, idle_timeout_s, "
	  "max_header_kb, max_url_kb, max_query_args, keep_alive, "
	  "shutdown_grace_s, tls_cert, tls_key, tls_client_ca)" },
	{ "log: {\n  level = \"info\";\n  colour = true;\n};\n", 3,
	  "setting 'log.colour': unknown setting" },
	{ "modules: {\n  solvers = [ \"ostro\" ];\n};\n", 2,
	  "setting 'modules.solvers': unknown setting" },
	{ "server: {\n  threads = \"4\";\n};\n", 2,
	  "setting 'server.threads': must be an integer, not a string" },
	{ "server: {\n  threads = 4.5;\n};\n", 2,
	  "setting 'server.threads': must be an integer, not a number" },
	{ "server: {\n  threads = 0;\n};\n", 2,
	  "setting 'server.threads': must be between 1 and 256" },
	{ "server: {\n  threads = 257;\n};\n", 2,
	  "setting 'server.threads': must be between 1 and 256" },
	{ "server: {\n\n  max_body_kb = 0;\n};\n", 3,
	  "setting 'server.max_body_kb': must be between 1 and 1048576" },
	{ "server: {\n  max_header_kb = 33;\n};\n", 2,
	  "setting 'server.max_header_kb': must be between 1 and 32" },
	{ "server: {\n  max_client_connections = 0;\n};\n", 2,
	  "setting 'server.max_client_connections': must be between 1 and 65536" },
	{ "server: {\n  header_timeout_s = \"10\";\n};\n", 2,
	  "setting 'server.header_timeout_s': must be an integer" },
	{ "server: {\n  listen = \"127.0.0.1:70000\";\n};\n", 2,
	  "setting 'server.listen': '127.0.0.1:70000': the port must be a number between 0 and "
	  "65535" },
	{ "server: {\n  listen = \"127.0.0.1:-1\";\n};\n", 2,
	  "setting 'server.listen': '127.0.0.1:-1': the port must be a number between 0 and "
	  "65535" },
	{ "server: {\n  listen = \"nonsense\";\n};\n", 2,
	  "setting 'server.listen': 'nonsense' must be ADDRESS:PORT" },
	{ "server: {\n  listen = \"300.1.1.1:80\";\n};\n", 2,
	  "setting 'server.listen': '300.1.1.1:80': '300.1.1.1' is neither an IPv4 address nor a "
	  "host name" },
	{ "server: {\n  listen = \"::1:80\";\n};\n", 2,
	  "setting 'server.listen': '::1:80': write an IPv6 address in brackets, e.g. [::1]:8090" },
	{ "server: {\n  listen = \":80\";\n};\n", 2,
	  "setting 'server.listen': ':80' has no address before the port" },
	{ "server: {\n  listen = 8090;\n};\n", 2,
	  "setting 'server.listen': must be a string, not an integer" },
	{ "server = 1;\n", 1, "setting 'server': must be a group { ... }, not an integer" },
	{ "log: {\n  level = \"verbose\";\n};\n", 2,
	  "setting 'log.level': unknown log level 'verbose' (use err, warning, notice, info or "
	  "debug)" },
	{ "log: {\n  syslog = \"yes\";\n};\n", 2,
	  "setting 'log.syslog': must be true or false, not a string" },
	{ "data_dir = \"\";\n", 1, "setting 'data_dir': must not be empty" },
	{ "notifications: {\n  url = \"amqps://broker/\";\n};\n", 2,
	  "setting 'notifications.url': 'amqps://broker/' is not an amqp:// URL" },
	{ "notifications: {\n  queue = \"\";\n};\n", 2,
	  "setting 'notifications.queue': must not be empty" },
	{ "notifications: {\n  enabled = 1;\n};\n", 2,
	  "setting 'notifications.enabled': must be true or false, not an integer" },
	{ "notifications: {\n  routing_key = \"x\";\n};\n", 2,
	  "setting 'notifications.routing_key': unknown setting (known here: enabled, url, "
	  "exchange, topic, queue, exchange_durable)" },
	{ "data_dir = 3;\n", 1, "setting 'data_dir': must be a string, not an integer" },
	{ "modules: {\n  sources = [ \"static\", \"\" ];\n};\n", 2,
	  "setting 'modules.sources[1]': a module name must not be empty" },
	{ "modules: {\n  sources = [ \"Static\" ];\n};\n", 2,
	  "setting 'modules.sources[0]': module name 'Static' must use only a-z, 0-9 and '_'" },
	{ "modules: {\n  policies = ( \"affinity\", \"no-such\" );\n};\n", 2,
	  "setting 'modules.policies[1]': module name 'no-such' must use only a-z, 0-9 and '_'" },
	{ "modules: {\n  policies = ( \"affinity\", 3 );\n};\n", 2,
	  "setting 'modules.policies[1]': must be a string, not an integer" },
	{ "modules: {\n  sources = \"static\";\n};\n", 2,
	  "setting 'modules.sources': must be a list of strings" },
	{ "modules: {\n  solver = \"\";\n};\n", 2,
	  "setting 'modules.solver': a module name must not be empty" },
	{ "modules: {\n  store = \"my.store\";\n};\n", 2,
	  "setting 'modules.store': module name 'my.store' must use only" },
	{ "modules: {\n  path = [ 1 ];\n};\n", 2,
	  "setting 'modules.path[0]': must be a string, not an integer" },
	{ "modules: {\n  path = [ \"\" ];\n};\n", 2,
	  "setting 'modules.path[0]': must not be empty" },
	{ "source: {\n  static: { inventory = \"x.json\"; };\n  nova: { url = \"x\"; };\n};\n", 3,
	  "setting 'source.nova': configures a module that is not loaded (modules.sources: "
	  "'static')" },
	{ "modules: { policies = [ \"affinity\" ]; };\n"
	  "policy: {\n  diversity: { weight = 2; };\n};\n", 3,
	  "setting 'policy.diversity': configures a module that is not loaded" },
	{ "store: {\n  mongodb: { };\n};\n", 2,
	  "setting 'store.mongodb': configures a module that is not loaded (modules.store: "
	  "'sqlite')" },
	{ "source = 5;\n", 1, "setting 'source': must be a group { ... }, not an integer" },
	{ "source: {\n  static = 1;\n};\n", 2, "setting 'source.static': must be a group" },
	{ "solver: {\n  ostro = \"fast\";\n};\n", 2, "setting 'solver.ostro': must be a group" },
	/* modules may come after the groups that configure them */
	{ "source: { nova: { }; };\nmodules: {\n  sources = [ \"static\" ];\n};\n", 1,
	  "setting 'source.nova': configures a module that is not loaded" },
	{ "server: {\n  listen = ;\n};\n", 2, "syntax error" },
};

static void test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char want[1024];
		vlt_config_t cfg;
		vlt_err_t err = { 0 };
		const char *path = write_conf("bad.conf", c->text);
		int rc = vlt__config_load(&cfg, path, &err);

		if (rc != VLT_ECONFIG)
			fail_msg("case %zu: rc %d, want VLT_ECONFIG (%s)", i, rc, err.msg);
		assert_int_equal(err.code, VLT_ECONFIG);
		snprintf(want, sizeof(want), "%s:%d: %s", path, c->line, c->want);
		if (strncmp(err.msg, want, strlen(want)) != 0)
			fail_msg("case %zu:\n got  \"%s\"\n want \"%s...\"", i, err.msg, want);
		/* a failed load leaves nothing behind */
		assert_null(cfg.file);
		assert_null(cfg.sources);
		assert_null(cfg.lc.root);
		vlt__config_free(&cfg);
	}
}

static void test_missing_file(void **state)
{
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(vlt__config_load(&cfg, "/nonexistent/valet.conf", &err), VLT_ECONFIG);
	assert_string_equal(err.msg,
			    "/nonexistent/valet.conf: cannot read: No such file or directory");
	vlt__config_free(&cfg);
}

/* @include resolves next to the including file, and errors name the included one. */
static void test_include(void **state)
{
	char main_path[512], want[700];
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	write_conf("part.conf", "log: {\n  level = \"loud\";\n};\n");
	snprintf(main_path, sizeof(main_path), "%s", write_conf("main.conf",
		 "server: { threads = 2; };\n@include \"part.conf\"\n"));
	assert_int_equal(vlt__config_load(&cfg, main_path, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s/part.conf:2: setting 'log.level': unknown log level 'loud' ", tmpdir);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("got \"%s\"", err.msg);
	vlt__config_free(&cfg);

	write_conf("part.conf", "log: {\n  level = \"debug\";\n};\n");
	if (vlt__config_load(&cfg, main_path, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.threads, 2);
	assert_int_equal(cfg.log_level, VLT_LOG_DEBUG);
	vlt__config_free(&cfg);

	assert_int_equal(vlt__config_load(&cfg, tmpdir, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err.msg, want);
}

static void test_full_file(void **state)
{
	const char *path = write_conf("full.conf",
				      "server: { listen = \"0.0.0.0:0\"; threads = 16; "
				      "max_body_kb = 64; };\n"
				      "log: { level = \"debug\"; syslog = true;\n"
				      "       file = \"/var/log/valetd.log\"; };\n"
				      "data_dir = \"/var/lib/valet\";\n"
				      "modules: {\n"
				      "  path = [ \"/opt/valet/modules\", \"/usr/lib/valet\" ];\n"
				      "  sources = [ ];\n"
				      "  policies = ( \"affinity\" );\n"
				      "  solver = \"exact\";\n"
				      "  store = \"mongodb\";\n"
				      "};\n"
				      "policy: { affinity: { weight = 2.5; }; };\n"
				      "solver: { exact: { time_limit_ms = 1000; }; };\n"
				      "store: { mongodb: { uri = \"mongodb://x\"; }; };\n");
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	if (vlt__config_load(&cfg, path, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg.file, path);
	assert_string_equal(cfg.listen_host, "0.0.0.0");
	assert_int_equal(cfg.listen_port, 0);
	assert_int_equal(cfg.threads, 16);
	assert_int_equal(cfg.max_body_bytes, 64 * 1024);
	assert_int_equal(cfg.log_level, VLT_LOG_DEBUG);
	assert_true(cfg.log_syslog);
	assert_string_equal(cfg.log_file, "/var/log/valetd.log");
	assert_string_equal(cfg.data_dir, "/var/lib/valet");
	assert_int_equal(cfg.n_module_path, 2);
	assert_string_equal(cfg.module_path[1], "/usr/lib/valet");
	assert_int_equal(cfg.n_sources, 0);
	assert_int_equal(cfg.n_policies, 1);
	assert_string_equal(cfg.policies[0], "affinity");
	assert_string_equal(cfg.solver, "exact");
	assert_string_equal(cfg.store, "mongodb");
	assert_int_equal(vlt__config_check_solvers(&cfg, NULL, 0, &err), 0);
	vlt__config_free(&cfg);
}

/* A solver group is checked against every solver the loader will load. */
static void test_solver_groups(void **state)
{
	const char *path = write_conf("solvers.conf",
				      "modules: { solver = \"ostro\"; };\n"
				      "solver: {\n"
				      "  ostro: { time_budget_ms = 100; };\n"
				      "  exact: { time_limit_ms = 1000; };\n"
				      "};\n");
	const char *extra[] = { "exact" };
	char want[1024]; /* a 511-byte path and the message: no truncation */
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	if (vlt__config_load(&cfg, path, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(vlt__config_check_solvers(&cfg, extra, 1, &err), 0);
	assert_int_equal(vlt__config_check_solvers(&cfg, NULL, 0, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:4: setting 'solver.exact': configures a module that is not loaded "
		 "(solvers loaded: 'ostro')",
		 path);
	assert_string_equal(err.msg, want);
	vlt__config_free(&cfg);
}

static void test_set_listen(void **state)
{
	static const struct {
		const char *in;
		const char *host;
		unsigned port;
	} good[] = {
		{ "0.0.0.0:0", "0.0.0.0", 0 },
		{ "10.1.2.3:65535", "10.1.2.3", 65535 },
		{ "localhost:8090", "localhost", 8090 },
		{ "valet.example.org:443", "valet.example.org", 443 },
		{ "[::1]:8090", "::1", 8090 },
		{ "[::]:0", "::", 0 },
	};
	static const char *const bad[] = {
		"",           "8090",          ":8090",        "127.0.0.1:",   "127.0.0.1:65536",
		"127.0.0.1:1x", "127.0.0.1:123456", "1.2.3:80", "1.2.3.4.5:80", "300.0.0.1:80",
		"::1:80",     "[::1:80",       "[zz]:80",      "bad_host:80",  "-a.b:80",
		"a..b:80",    "host name:80",  "127.0.0.1: 80",
	};
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(vlt__config_load(&cfg, NULL, &err), 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (vlt__config_set_listen(&cfg, good[i].in, &err) != 0)
			fail_msg("%s: %s", good[i].in, err.msg);
		assert_string_equal(cfg.listen_host, good[i].host);
		assert_int_equal(cfg.listen_port, good[i].port);
	}
	assert_int_equal(vlt__config_set_listen(&cfg, "127.0.0.1:8090", &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (vlt__config_set_listen(&cfg, bad[i], &err) != VLT_ECONFIG)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(err.code, VLT_ECONFIG);
		assert_contains(err.msg, "listen address '");
		/* a refused value changes nothing */
		assert_string_equal(cfg.listen_host, "127.0.0.1");
		assert_int_equal(cfg.listen_port, 8090);
	}
	vlt__config_free(&cfg);
}

static void test_set_str(void **state)
{
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(vlt__config_load(&cfg, NULL, &err), 0);
	assert_int_equal(vlt__config_set_str(&cfg.solver, "exact"), 0);
	assert_string_equal(cfg.solver, "exact");
	assert_int_equal(vlt__config_set_str(&cfg.store, NULL), 0);
	assert_null(cfg.store);
	vlt__config_free(&cfg);
}

static void test_add_override_shape(void **state)
{
	static const char *const bad[] = {
		"server.threads", "x.y.z", "source.Bad.x", "source.static.", "source.static.a.b",
		"source..x", ".static.x", "solver", "",
	};
	vlt_config_t cfg;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(vlt__config_load(&cfg, NULL, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vlt__config_add_override(&cfg, bad[i], "1") != VLT_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	}
	assert_int_equal(vlt__config_add_override(&cfg, "source.static", NULL), VLT_EINVAL);
	assert_int_equal(cfg.n_overrides, 0);
	assert_int_equal(vlt__config_add_override(&cfg, "store.sqlite.file", "x.db"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "policy.my_policy2.weight", "2"), 0);
	assert_int_equal(cfg.n_overrides, 2);
	assert_string_equal(cfg.overrides[0].path, "store.sqlite.file");
	assert_string_equal(cfg.overrides[0].value, "x.db");
	vlt__config_free(&cfg);
}

static const char module_conf[] =
	"modules: { solver = \"ostro\"; };\n"
	"solver: {\n"
	"  ostro: {\n"
	"    time_budget_ms = 200;\n"
	"    name = \"fast\";\n"
	"    big = 5000000000L;\n"
	"    ratio = 0.25;\n"
	"    whole = 3;\n"
	"    strict = true;\n"
	"    label = 12;\n"
	"    extra = \"never read\";\n"
	"  };\n"
	"};\n";

/* Scope reads: types, defaults, and where a mismatch is. */
static void test_scope_reads(void **state)
{
	const char *path = write_conf("module.conf", module_conf);
	vlt_cfg_scope_t s = { 0 };
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	char want[600];
	char *str = NULL;
	int64_t i64;
	double d;
	bool b;

	(void)state;
	if (vlt__config_load(&cfg, path, &err) != 0)
		fail_msg("%s", err.msg);
	s.cfg = &cfg;
	s.group = "solver.ostro";

	assert_int_equal(vlt__cfg_get_int(&s, "time_budget_ms", 1, &i64, &err), 0);
	assert_int_equal(i64, 200);
	assert_int_equal(vlt__cfg_get_int(&s, "big", 1, &i64, &err), 0);
	assert_true(i64 == 5000000000LL);
	assert_int_equal(vlt__cfg_get_int(&s, "absent", -4, &i64, &err), 0);
	assert_int_equal(i64, -4);
	assert_int_equal(vlt__cfg_get_str(&s, "name", NULL, &str, &err), 0);
	assert_string_equal(str, "fast");
	free(str);
	assert_int_equal(vlt__cfg_get_str(&s, "absent_str", NULL, &str, &err), 0);
	assert_null(str);
	assert_int_equal(vlt__cfg_get_str(&s, "absent_str", "dflt", &str, &err), 0);
	assert_string_equal(str, "dflt");
	free(str);
	assert_int_equal(vlt__cfg_get_double(&s, "ratio", 1, &d, &err), 0);
	assert_true(d == 0.25);
	assert_int_equal(vlt__cfg_get_double(&s, "whole", 1, &d, &err), 0); /* int as double */
	assert_true(d == 3.0);
	assert_int_equal(vlt__cfg_get_double(&s, "absent_d", 1.5, &d, &err), 0);
	assert_true(d == 1.5);
	assert_int_equal(vlt__cfg_get_bool(&s, "strict", false, &b, &err), 0);
	assert_true(b);

	/* mismatches name file, line and the full setting path */
	assert_int_equal(vlt__cfg_get_int(&s, "ratio", 1, &i64, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:7: setting 'solver.ostro.ratio': must be an integer, not a number", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(vlt__cfg_get_int(&s, "name", 1, &i64, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want),
		 "%s:5: setting 'solver.ostro.name': must be an integer, not a string", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(vlt__cfg_get_str(&s, "label", NULL, &str, &err), VLT_ECONFIG);
	assert_null(str);
	snprintf(want, sizeof(want),
		 "%s:10: setting 'solver.ostro.label': must be a string, not an integer", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(vlt__cfg_get_double(&s, "name", 1, &d, &err), VLT_ECONFIG);
	assert_contains(err.msg, "setting 'solver.ostro.name': must be a number, not a string");
	assert_int_equal(vlt__cfg_get_bool(&s, "whole", 1, &b, &err), VLT_ECONFIG);
	assert_contains(err.msg, ":8: setting 'solver.ostro.whole': must be true or false");

	/* "extra" was never read */
	assert_int_equal(vlt__cfg_check_unknown(&s, &err), VLT_ECONFIG);
	snprintf(want, sizeof(want), "%s:11: setting 'solver.ostro.extra': unknown setting (",
		 path);
	assert_true(strncmp(err.msg, want, strlen(want)) == 0);
	assert_contains(err.msg, "time_budget_ms");

	assert_int_equal(vlt__cfg_get_str(&s, "extra", NULL, &str, &err), 0);
	free(str);
	assert_int_equal(vlt__cfg_check_unknown(&s, &err), 0);

	/* vlt__cfg_error points at the value's origin */
	assert_int_equal(vlt__cfg_error(&s, "time_budget_ms", &err, "must be %s", "odd"),
			 VLT_ECONFIG);
	snprintf(want, sizeof(want), "%s:4: setting 'solver.ostro.time_budget_ms': must be odd",
		 path);
	assert_string_equal(err.msg, want);
	assert_int_equal(vlt__cfg_error(&s, "nowhere", &err, "bad"), VLT_ECONFIG);
	assert_string_equal(err.msg, "setting 'solver.ostro.nowhere': bad");

	vlt__cfg_scope_free(&s);
	vlt__cfg_scope_free(&s);
	vlt__config_free(&cfg);
}

/* Overrides win over the file, are converted on read, and name --option. */
static void test_overrides(void **state)
{
	const char *path = write_conf("module.conf", module_conf);
	vlt_cfg_scope_t s = { 0 };
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	char *str = NULL;
	int64_t i64;
	double d;
	bool b;

	(void)state;
	if (vlt__config_load(&cfg, path, &err) != 0)
		fail_msg("%s", err.msg);
	s.cfg = &cfg;
	s.group = "solver.ostro";
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.time_budget_ms", "50"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.time_budget_ms", "75"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.label", "text"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.ratio", "2"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.strict", "no"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.new_int", "-12"), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostros.time_budget_ms", "1"), 0);

	assert_int_equal(vlt__cfg_get_int(&s, "time_budget_ms", 1, &i64, &err), 0);
	assert_int_equal(i64, 75); /* the last one wins */
	assert_int_equal(vlt__cfg_get_str(&s, "label", NULL, &str, &err), 0);
	assert_string_equal(str, "text"); /* the file's 12 had the wrong type; the override wins */
	free(str);
	assert_int_equal(vlt__cfg_get_double(&s, "ratio", 1, &d, &err), 0);
	assert_true(d == 2.0);
	assert_int_equal(vlt__cfg_get_bool(&s, "strict", true, &b, &err), 0);
	assert_false(b);
	assert_int_equal(vlt__cfg_get_int(&s, "new_int", 1, &i64, &err), 0);
	assert_int_equal(i64, -12);

	/* an unread override is unknown, like an unread key of the file */
	assert_int_equal(vlt__cfg_get_str(&s, "name", NULL, &str, &err), 0);
	free(str);
	assert_int_equal(vlt__cfg_get_int(&s, "big", 0, &i64, &err), 0);
	assert_int_equal(vlt__cfg_get_int(&s, "whole", 0, &i64, &err), 0);
	assert_int_equal(vlt__cfg_get_str(&s, "extra", NULL, &str, &err), 0);
	free(str);
	assert_int_equal(vlt__cfg_check_unknown(&s, &err), 0);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.typo", "1"), 0);
	assert_int_equal(vlt__cfg_check_unknown(&s, &err), VLT_ECONFIG);
	assert_true(strncmp(err.msg, "--option solver.ostro.typo=1: unknown setting (",
			    strlen("--option solver.ostro.typo=1: unknown setting (")) == 0);

	/* bad values say which option */
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.bad_int", "fast"), 0);
	assert_int_equal(vlt__cfg_get_int(&s, "bad_int", 1, &i64, &err), VLT_ECONFIG);
	assert_string_equal(err.msg, "--option solver.ostro.bad_int=fast: must be an integer");
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.huge",
						  "99999999999999999999"), 0);
	assert_int_equal(vlt__cfg_get_int(&s, "huge", 1, &i64, &err), VLT_ECONFIG);
	assert_contains(err.msg, "--option solver.ostro.huge=99999999999999999999: ");
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.bad_d", "1.5x"), 0);
	assert_int_equal(vlt__cfg_get_double(&s, "bad_d", 1, &d, &err), VLT_ECONFIG);
	assert_string_equal(err.msg, "--option solver.ostro.bad_d=1.5x: must be a number");
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.nan", "nan"), 0);
	assert_int_equal(vlt__cfg_get_double(&s, "nan", 1, &d, &err), VLT_ECONFIG);
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.bad_b", "maybe"), 0);
	assert_int_equal(vlt__cfg_get_bool(&s, "bad_b", true, &b, &err), VLT_ECONFIG);
	assert_string_equal(err.msg, "--option solver.ostro.bad_b=maybe: must be true or false");
	assert_int_equal(vlt__config_add_override(&cfg, "solver.ostro.empty", ""), 0);
	assert_int_equal(vlt__cfg_get_int(&s, "empty", 1, &i64, &err), VLT_ECONFIG);
	assert_int_equal(vlt__cfg_error(&s, "bad_int", &err, "must be small"), VLT_ECONFIG);
	assert_string_equal(err.msg, "--option solver.ostro.bad_int=fast: must be small");

	vlt__cfg_scope_free(&s);
	vlt__config_free(&cfg);
}

/* Without a file, a scope reads defaults and overrides only. */
static void test_scope_without_file(void **state)
{
	vlt_cfg_scope_t s = { 0 };
	vlt_config_t cfg;
	vlt_err_t err = { 0 };
	int64_t i64;

	(void)state;
	assert_int_equal(vlt__config_load(&cfg, NULL, &err), 0);
	s.cfg = &cfg;
	s.group = "source.static";
	assert_int_equal(vlt__cfg_get_int(&s, "refresh_s", 60, &i64, &err), 0);
	assert_int_equal(i64, 60);
	assert_int_equal(vlt__config_add_override(&cfg, "source.static.refresh_s", "5"), 0);
	assert_int_equal(vlt__cfg_get_int(&s, "refresh_s", 60, &i64, &err), 0);
	assert_int_equal(i64, 5);
	assert_int_equal(vlt__cfg_check_unknown(&s, &err), 0);
	assert_int_equal(vlt__cfg_get_int(&s, "", 60, &i64, &err), VLT_EINVAL);
	vlt__cfg_scope_free(&s);
	vlt__config_free(&cfg);

	/* a zeroed config (never loaded) reads as empty */
	memset(&cfg, 0, sizeof(cfg));
	s.cfg = &cfg;
	assert_int_equal(vlt__cfg_get_int(&s, "refresh_s", 60, &i64, &err), 0);
	assert_int_equal(i64, 60);
	vlt__cfg_scope_free(&s);
}

static void test_module_name(void **state)
{
	(void)state;
	assert_true(vlt__config_is_module_name("ostro"));
	assert_true(vlt__config_is_module_name("my_solver2"));
	/* at most 48 characters */
	assert_true(vlt__config_is_module_name("a1234567890123456789012345678901234567"
					       "8901234567"));
	assert_false(vlt__config_is_module_name("a1234567890123456789012345678901234567"
						"89012345678"));
	assert_false(vlt__config_is_module_name(""));
	assert_false(vlt__config_is_module_name(NULL));
	assert_false(vlt__config_is_module_name("Ostro"));
	assert_false(vlt__config_is_module_name("a-b"));
	assert_false(vlt__config_is_module_name("a.b"));
	assert_false(vlt__config_is_module_name("a/b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_shipped_file_is_defaults),
		cmocka_unit_test(test_shipped_file_uncommented),
		cmocka_unit_test(test_shipped_file_documents_everything),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_solver_groups),
		cmocka_unit_test(test_set_listen),
		cmocka_unit_test(test_set_str),
		cmocka_unit_test(test_add_override_shape),
		cmocka_unit_test(test_scope_reads),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_scope_without_file),
		cmocka_unit_test(test_module_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
