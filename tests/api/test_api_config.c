/*
 * test_api_config.c - the service: group of the configuration: defaults,
 * values, refusals naming file, line and setting, and conf/valet.conf
 * documenting both keys with their defaults.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_helpers.h"
#include "config.h"

static char dir[256];

static const char *write_conf(const char *text)
{
	static char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/valet.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_service_defaults(void **state)
{
	vlt_config_t cfg = { 0 };
	vlt_err_t err = { 0 };
	(void)state;

	assert_int_equal(vlt__config_load(&cfg, NULL, &err), 0);
	assert_int_equal(cfg.hold_ttl_s, 3600);
	assert_int_equal(cfg.max_retries, 8);
	assert_int_equal(cfg.refresh_s, 0);
	assert_int_equal(cfg.max_stale_s, 0);
	assert_int_equal(cfg.lease_s, 10);
	vlt__config_free(&cfg);

	/* the shipped file, all comments, gives the same */
	assert_int_equal(vlt__config_load(&cfg, VLT_SOURCE_DIR "/conf/valet.conf", &err), 0);
	assert_int_equal(cfg.hold_ttl_s, 3600);
	assert_int_equal(cfg.max_retries, 8);
	vlt__config_free(&cfg);
}

/* Uncommenting the shipped examples gives the defaults: the file shows the real ones. */
static void test_service_documented(void **state)
{
	FILE *in = fopen(VLT_SOURCE_DIR "/conf/valet.conf", "r");
	char line[1024], text[65536] = "";
	size_t len = 0;
	bool in_service = false;
	vlt_config_t cfg = { 0 };
	vlt_err_t err = { 0 };
	(void)state;

	assert_non_null(in);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line, "#service:", 9) == 0)
			in_service = true;
		if (in_service && line[0] == '#' && line[1] != ' ' && line[1] != '\n') {
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s", line + 1);
			if (strncmp(line, "#};", 3) == 0)
				in_service = false;
		}
	}
	fclose(in);
	api_assert_contains(text, "hold_ttl_s = 3600;");
	api_assert_contains(text, "max_retries = 8;");
	api_assert_contains(text, "refresh_s = 0;");
	api_assert_contains(text, "max_stale_s = 0;");
	api_assert_contains(text, "max_resources = 5000;");
	api_assert_contains(text, "max_members = 10000;");
	api_assert_contains(text, "lease_s = 10;");
	if (vlt__config_load(&cfg, write_conf(text), &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.hold_ttl_s, 3600);
	assert_int_equal(cfg.max_retries, 8);
	assert_int_equal(cfg.lease_s, 10);
	vlt__config_free(&cfg);
}

static void test_service_values(void **state)
{
	vlt_config_t cfg = { 0 };
	vlt_err_t err = { 0 };
	(void)state;

	const char *path = write_conf("service: {\n  hold_ttl_s = 0;\n  max_retries = 100;\n"
				      "  refresh_s = 60;\n  max_stale_s = 600;\n  lease_s = 0;\n};\n");
	if (vlt__config_load(&cfg, path, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.hold_ttl_s, 0);
	assert_int_equal(cfg.max_retries, 100);
	assert_int_equal(cfg.refresh_s, 60);
	assert_int_equal(cfg.max_stale_s, 600);
	assert_int_equal(cfg.lease_s, 0);
	vlt__config_free(&cfg);
}

static void test_service_refusals(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "service: {\n  hold_ttl_s = -1;\n};\n",
		  ":2: setting 'service.hold_ttl_s': must be between 0 and 31622400" },
		{ "service: {\n  hold_ttl_s = \"1h\";\n};\n",
		  ":2: setting 'service.hold_ttl_s': must be an integer, not a string" },
		{ "service: {\n\n  max_retries = 0;\n};\n",
		  ":3: setting 'service.max_retries': must be between 1 and 1000" },
		{ "service: {\n  refresh_s = 86401;\n};\n",
		  ":2: setting 'service.refresh_s': must be between 0 and 86400" },
		{ "service: {\n  max_stale_s = -5;\n};\n",
		  ":2: setting 'service.max_stale_s': must be between 0 and 31622400" },
		{ "service: {\n  ttl = 5;\n};\n",
		  ":2: setting 'service.ttl': unknown setting (known here: hold_ttl_s, max_retries, "
		  "refresh_s, max_stale_s, max_resources, max_members, decision_retention_s, "
		  "lease_s, snapshot_every)" },
		{ "service: {\n  decision_retention_s = -1;\n};\n",
		  ":2: setting 'service.decision_retention_s': must be between 0 and 316224000" },
		{ "service: {\n  lease_s = 3601;\n};\n",
		  ":2: setting 'service.lease_s': must be between 0 and 3600" },
		{ "service: {\n  lease_s = \"10s\";\n};\n",
		  ":2: setting 'service.lease_s'" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vlt_config_t cfg = { 0 };
		vlt_err_t err = { 0 };

		assert_int_equal(vlt__config_load(&cfg, write_conf(cases[i].text), &err),
				 VLT_ECONFIG);
		api_assert_contains(err.msg, cases[i].want);
		vlt__config_free(&cfg);
	}
}

static int setup(void **state)
{
	(void)state;
	api_tmpdir(dir, sizeof(dir), "api-config");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_defaults),
		cmocka_unit_test(test_service_documented),
		cmocka_unit_test(test_service_values),
		cmocka_unit_test(test_service_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
