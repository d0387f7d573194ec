/*
 * test_auth.c - the rights and the token cache of core/api/auth*.c, in
 * process: the default rules for each kind of caller, rules that do not
 * read, overrides, the cache's bound and TTL, and the auth group's
 * refusals. Keystone itself is tests/openstack/auth_test.py's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "auth_policy.h"
#include "config.h"

#define PA "11111111111111111111111111111111"
#define PB "22222222222222222222222222222222"

static vlt_identity_t identity(const char *project, const char *roles)
{
	vlt_identity_t who = { 0 };
	char buf[256];

	snprintf(who.user_id, sizeof(who.user_id), "user-of-%s", project);
	snprintf(who.project_id, sizeof(who.project_id), "%s", project);
	snprintf(buf, sizeof(buf), "%s", roles);
	for (char *save = NULL, *r = strtok_r(buf, ",", &save); r != NULL;
	     r = strtok_r(NULL, ",", &save))
		assert_true(vlt__identity_add_role(&who, r));
	return who;
}

static vlt_policy_t *defaults(void)
{
	vlt_policy_t *p = NULL;

	assert_int_equal(vlt__policy_new(&p), 0);
	return p;
}

static void test_member_owns_its_project(void **state)
{
	vlt_policy_t *p = defaults();
	vlt_identity_t m = identity(PA, "member,reader");
	(void)state;

	assert_true(vlt__policy_allows(p, "plans_create", &m, PA));
	assert_true(vlt__policy_allows(p, "plans_get", &m, PA));
	assert_true(vlt__policy_allows(p, "plans_delete", &m, PA));
	assert_true(vlt__policy_allows(p, "placements_reserve", &m, PA));
	assert_true(vlt__policy_allows(p, "groups_update", &m, PA));
	/* another project's */
	assert_false(vlt__policy_allows(p, "plans_get", &m, PB));
	assert_false(vlt__policy_allows(p, "plans_delete", &m, PB));
	assert_false(vlt__policy_allows(p, "placements_reserve", &m, PB));
	assert_false(vlt__policy_allows(p, "groups_update", &m, PB));
	/* a group of no owner is the admin's to change */
	assert_false(vlt__policy_allows(p, "groups_update", &m, NULL));
	assert_false(vlt__policy_allows(p, "all_projects", &m, NULL));
	assert_false(vlt__policy_allows(p, "resources", &m, NULL));
	assert_false(vlt__policy_allows(p, "nova_external", &m, NULL));
	vlt__policy_free(p);
}

static void test_reader_only_reads(void **state)
{
	vlt_policy_t *p = defaults();
	vlt_identity_t r = identity(PA, "reader");
	(void)state;

	assert_true(vlt__policy_allows(p, "plans_list", &r, PA));
	assert_true(vlt__policy_allows(p, "plans_get", &r, PA));
	assert_true(vlt__policy_allows(p, "placements_get", &r, PA));
	assert_true(vlt__policy_allows(p, "groups_get", &r, PA));
	assert_false(vlt__policy_allows(p, "plans_create", &r, PA));
	assert_false(vlt__policy_allows(p, "plans_update", &r, PA));
	assert_false(vlt__policy_allows(p, "plans_delete", &r, PA));
	assert_false(vlt__policy_allows(p, "placements_reserve", &r, PA));
	assert_false(vlt__policy_allows(p, "groups_create", &r, PA));
	assert_false(vlt__policy_allows(p, "groups_members", &r, PA));
	assert_false(vlt__policy_allows(p, "plans_get", &r, PB));
	vlt__policy_free(p);
}

static void test_service_and_admin(void **state)
{
	vlt_policy_t *p = defaults();
	vlt_identity_t s = identity("service-project", "service");
	vlt_identity_t a = identity(PB, "admin");
	vlt_identity_t none = identity(PA, "");
	(void)state;

	/* Nova's and Heat's users: any project's placements and plans */
	assert_true(vlt__policy_allows(p, "placements_reserve", &s, PA));
	assert_true(vlt__policy_allows(p, "placements_get", &s, PB));
	assert_true(vlt__policy_allows(p, "plans_update", &s, PA));
	assert_true(vlt__policy_allows(p, "nova_external", &s, NULL));
	assert_true(vlt__policy_allows(p, "all_projects", &s, NULL));
	/* but not the groups of projects */
	assert_false(vlt__policy_allows(p, "groups_update", &s, PA));
	assert_false(vlt__policy_allows(p, "resources", &s, NULL));
	/* admins everything (the helper rules aside: they name a role or the owner) */
	for (size_t i = 0; vlt__policy_defaults[i][0] != NULL; i++)
		if (strcmp(vlt__policy_defaults[i][0], "project_owner") != 0 &&
		    strcmp(vlt__policy_defaults[i][0], "service_role") != 0)
			assert_true(vlt__policy_allows(p, vlt__policy_defaults[i][0], &a, PA));
	/* no role at all: nothing */
	for (size_t i = 0; vlt__policy_defaults[i][0] != NULL; i++)
		if (strcmp(vlt__policy_defaults[i][0], "project_owner") != 0)
			assert_false(vlt__policy_allows(p, vlt__policy_defaults[i][0], &none, PA));
	assert_false(vlt__policy_allows(p, "no_such_rule", &a, PA));
	vlt__policy_free(p);
}

static void test_rules_that_do_not_read(void **state)
{
	static const char *const bad[][2] = {
		{ "role:admin or", "expected a check" },
		{ "(role:admin", "expected ')'" },
		{ "role:admin and and role:member", "expected a check" },
		{ "rule:nowhere", "unknown rule" },
		{ "user_id:%(user_id)s", "unknown check" },
		{ "role:", "expected a check" },
		{ "role:admin role:member", "unexpected text" },
	};
	vlt_policy_t *p = defaults();
	vlt_err_t err = { 0 };
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vlt__policy_set(p, "plans_get", bad[i][0], &err), VLT_EINVAL);
		if (strstr(err.msg, bad[i][1]) == NULL || strstr(err.msg, "plans_get") == NULL)
			fail_msg("\"%s\": %s", bad[i][0], err.msg);
		/* unchanged */
		assert_string_equal(vlt__policy_get(p, "plans_get"),
				    "rule:project_reader or rule:service_role");
	}
	/* a loop through two rules */
	assert_int_equal(vlt__policy_set(p, "loop_a", "@", &err), 0);
	assert_int_equal(vlt__policy_set(p, "loop_b", "rule:loop_a", &err), 0);
	assert_int_equal(vlt__policy_set(p, "loop_a", "rule:loop_b", &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "lead back"));
	assert_string_equal(vlt__policy_get(p, "loop_a"), "@");
	assert_int_equal(vlt__policy_set(p, "bad name", "@", &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "bad name"));
	vlt__policy_free(p);
}

static void test_overrides(void **state)
{
	vlt_policy_t *p = defaults();
	vlt_identity_t r = identity(PA, "reader");
	vlt_identity_t ops = identity(PB, "operator");
	vlt_err_t err = { 0 };
	(void)state;

	/* readers may reserve too; an operator role sees every project */
	assert_int_equal(vlt__policy_set(p, "placements_reserve",
					 "rule:project_member or (role:reader and "
					 "rule:project_owner) or rule:service_role",
					 &err),
			 0);
	assert_true(vlt__policy_allows(p, "placements_reserve", &r, PA));
	assert_false(vlt__policy_allows(p, "placements_reserve", &r, PB));
	assert_int_equal(vlt__policy_set(p, "admin_required", "role:admin or role:operator", &err),
			 0);
	assert_true(vlt__policy_allows(p, "all_projects", &ops, NULL));
	assert_true(vlt__policy_allows(p, "plans_delete", &ops, PA));
	assert_int_equal(vlt__policy_set(p, "plans_delete", "not role:operator and rule:project_member",
					 &err),
			 0);
	assert_false(vlt__policy_allows(p, "plans_delete", &ops, PA));
	assert_int_equal(vlt__policy_set(p, "status", "!", &err), 0);
	assert_false(vlt__policy_allows(p, "status", &ops, NULL));
	vlt__policy_free(p);
}

static void test_cache_ttl_and_expiry(void **state)
{
	vlt_auth_cache_t *c = NULL;
	vlt_identity_t who = identity(PA, "member");
	vlt_identity_t got;
	time_t now = 1000000;
	(void)state;

	assert_int_equal(vlt__auth_cache_new(&c, 8, 30), 0);
	who.expires = now + 3600;
	assert_int_equal(vlt__auth_cache_put(c, "tok-a", now, &who), 0);
	assert_true(vlt__auth_cache_get(c, "tok-a", now + 29, &got));
	assert_string_equal(got.project_id, PA);
	assert_true(vlt__identity_has_role(&got, "member"));
	/* revocation: after cache_ttl_s it is asked again */
	assert_false(vlt__auth_cache_get(c, "tok-a", now + 30, &got));
	assert_int_equal(vlt__auth_cache_size(c), 0);
	/* never past the token's own expiry */
	who.expires = now + 10;
	assert_int_equal(vlt__auth_cache_put(c, "tok-b", now, &who), 0);
	assert_true(vlt__auth_cache_get(c, "tok-b", now + 9, &got));
	assert_false(vlt__auth_cache_get(c, "tok-b", now + 10, &got));
	/* an expired token is not kept at all */
	who.expires = now - 1;
	assert_int_equal(vlt__auth_cache_put(c, "tok-c", now, &who), 0);
	assert_false(vlt__auth_cache_get(c, "tok-c", now, &got));
	assert_false(vlt__auth_cache_get(c, "unknown", now, &got));
	vlt__auth_cache_free(c);
}

static void test_cache_bound(void **state)
{
	vlt_auth_cache_t *c = NULL;
	vlt_identity_t who = identity(PA, "member");
	vlt_identity_t got;
	char token[32];
	time_t now = 5000;
	(void)state;

	assert_int_equal(vlt__auth_cache_new(&c, 4, 60), 0);
	for (int i = 0; i < 100; i++) {
		snprintf(token, sizeof(token), "tok-%d", i);
		who.expires = now + 100 + i; /* later tokens stay fresh longer */
		assert_int_equal(vlt__auth_cache_put(c, token, now, &who), 0);
		assert_true(vlt__auth_cache_size(c) <= 4);
	}
	/* the ones that would go stale first went */
	assert_false(vlt__auth_cache_get(c, "tok-0", now, &got));
	assert_true(vlt__auth_cache_get(c, "tok-99", now, &got));
	/* putting a token again replaces it, not adds */
	assert_int_equal(vlt__auth_cache_put(c, "tok-99", now, &who), 0);
	assert_int_equal(vlt__auth_cache_size(c), 4);
	vlt__auth_cache_free(c);
}

/* ---- the auth group */

static char dir[256];

static int load(vlt_config_t *cfg, const char *text, vlt_err_t *err)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/valet.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return vlt__config_load(cfg, path, err);
}

/* open the auth of text: RET its code, err its message. */
static int open_auth(const char *text, vlt_err_t *err, vlt_auth_strategy_t *strategy)
{
	vlt_config_t cfg = { 0 };
	vlt_auth_t *a = NULL;
	int rc = load(&cfg, text, err);

	if (rc == 0)
		rc = vlt__auth_open(&a, &cfg, err);
	if (rc == 0 && strategy != NULL)
		*strategy = vlt__auth_strategy(a);
	vlt__auth_close(a);
	vlt__config_free(&cfg);
	return rc;
}

static void expect_refusal(const char *text, const char *what)
{
	vlt_err_t err = { 0 };

	assert_int_equal(open_auth(text, &err, NULL), VLT_ECONFIG);
	if (strstr(err.msg, what) == NULL)
		fail_msg("expected \"%s\" in: %s", what, err.msg);
}

static void test_settings(void **state)
{
	vlt_auth_strategy_t s = VLT_AUTH_KEYSTONE;
	vlt_err_t err = { 0 };
	(void)state;

	/* the default: noauth, on the loopback address */
	assert_int_equal(open_auth("", &err, &s), 0);
	assert_int_equal(s, VLT_AUTH_NOAUTH);
	/* keystone: the client's settings are read, no request yet */
	assert_int_equal(open_auth("auth: { strategy = \"keystone\"; auth_url = "
				   "\"http://127.0.0.1:9/v3\"; username = \"valet\"; password = "
				   "\"pw\"; project = \"service\"; cache_ttl_s = 5; };\n",
				   &err, &s),
			 0);
	assert_int_equal(s, VLT_AUTH_KEYSTONE);
	/* keystone is the default once Keystone is configured */
	s = VLT_AUTH_NOAUTH;
	assert_int_equal(open_auth("auth: { auth_url = \"http://127.0.0.1:9/v3\"; username = "
				   "\"valet\"; password = \"pw\"; project = \"service\"; };\n",
				   &err, &s),
			 0);
	assert_int_equal(s, VLT_AUTH_KEYSTONE);
	/* noauth elsewhere than loopback, when the operator says so */
	assert_int_equal(open_auth("server: { listen = \"0.0.0.0:0\"; };\nauth: { "
				   "allow_noauth_remote = true; };\n",
				   &err, &s),
			 0);
	assert_int_equal(open_auth("server: { listen = \"[::1]:0\"; };\n", &err, &s), 0);
	/* rules */
	assert_int_equal(open_auth("auth: { rules: { plans_delete = \"role:admin\"; mine = "
				   "\"rule:plans_delete or role:x\"; }; };\n",
				   &err, NULL),
			 0);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_refusal("server: { listen = \"0.0.0.0:0\"; };\n", "not a loopback address");
	expect_refusal("auth: { strategy = \"basic\"; };\n", "'basic' is not keystone or noauth");
	expect_refusal("auth: { strategy = \"keystone\"; };\n", "auth_url");
	expect_refusal("auth: { strategy = \"keystone\"; auth_url = \"http://k/v3\"; };\n",
		       "username");
	expect_refusal("auth: { cache_ttl_s = -1; };\n", "cache_ttl_s");
	expect_refusal("auth: { cache_entries = 0; };\n", "cache_entries");
	expect_refusal("auth: { colour = \"blue\"; };\n", "colour");
	expect_refusal("auth: { rules: { plans_get = \"role:admin or\"; }; };\n",
		       "auth.rules.plans_get");
	expect_refusal("auth: { rules: { plans_get = 3; }; };\n", "plans_get");
	expect_refusal("auth: { rules = 3; };\n", "auth.rules");
	expect_refusal("server: { tls_cert = \"\"; };\n", "server.tls_cert");
}

/* Keystone out of reach: 503's code, and no token in the message; no token at all: 401's. */
static void test_keystone_unreachable(void **state)
{
	vlt_config_t cfg = { 0 };
	vlt_auth_t *a = NULL;
	vlt_identity_t who;
	vlt_err_t err = { 0 };
	(void)state;

	assert_int_equal(load(&cfg,
			      "auth: { strategy = \"keystone\"; auth_url = \"http://127.0.0.1:9/v3\"; "
			      "username = \"valet\"; password = \"pw\"; project = \"service\"; "
			      "timeout_ms = 500; retries = 0; };\n",
			      &err),
			 0);
	assert_int_equal(vlt__auth_open(&a, &cfg, &err), 0);
	assert_int_equal(vlt__auth_identify(a, NULL, &who, &err), VLT_EFORBIDDEN);
	assert_int_equal(vlt__auth_identify(a, "", &who, &err), VLT_EFORBIDDEN);
	assert_int_equal(vlt__auth_identify(a, "secret-token-value", &who, &err), VLT_EBACKEND);
	assert_null(strstr(err.msg, "secret-token-value"));
	assert_null(strstr(err.msg, "pw"));
	assert_non_null(strstr(err.msg, "127.0.0.1:9"));
	vlt__auth_close(a);
	vlt__config_free(&cfg);
}

/* conf/valet.conf's auth and server groups, uncommented, open: the file shows real settings. */
static void test_shipped_file(void **state)
{
	FILE *in = fopen(VLT_SOURCE_DIR "/conf/valet.conf", "r");
	char line[1024], text[16384] = "";
	size_t len = 0;
	bool in_group = false;
	vlt_auth_strategy_t s = VLT_AUTH_KEYSTONE;
	vlt_err_t err = { 0 };
	(void)state;

	assert_non_null(in);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line, "#auth:", 6) == 0)
			in_group = true;
		if (in_group && line[0] == '#' && line[1] != ' ' && line[1] != '\n') {
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s", line + 1);
			if (strncmp(line, "#};", 3) == 0)
				in_group = false;
		}
	}
	fclose(in);
	if (strstr(text, "strategy = \"keystone\";") == NULL ||
	    strstr(text, "cache_ttl_s = 60;") == NULL || strstr(text, "cache_entries = 4096;") == NULL)
		fail_msg("conf/valet.conf does not show the defaults: %s", text);
	if (open_auth(text, &err, &s) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(s, VLT_AUTH_KEYSTONE); /* its auth_url makes keystone the default */
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_auth.XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char path[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/valet.conf", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_owns_its_project),
		cmocka_unit_test(test_reader_only_reads),
		cmocka_unit_test(test_service_and_admin),
		cmocka_unit_test(test_rules_that_do_not_read),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_cache_ttl_and_expiry),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_shipped_file),
		cmocka_unit_test(test_keystone_unreachable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
