/*
 * test_heat_hints.c - the orchestration id of a server from Heat's
 * scheduler hints (core/engine/heat_hints.c): <root stack id>/<parent
 * resource names below the root>/<resource name>, from
 * heat_path_in_stack as Heat 19 writes it (strings "stack" and
 * "parent,stack"), as older clients did ([parent, stack] pairs) and as
 * JSON text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "heat_hints.h"

#define ROOT "5c0d1f5e-3e2a-4f57-9d5b-0c7a1d9e2f10"
#define WHERE "$.hints.heat_path_in_stack"

static void expect_id(const char *path_json, const char *resource, const char *want)
{
	json_t *path = json_loads(path_json, JSON_DECODE_ANY, NULL);
	char buf[256];
	vlt_err_t err = { 0 };

	assert_non_null(path);
	int rc = vlt__heat_orch_id(ROOT, path, resource, WHERE, buf, sizeof(buf), &err);
	if (rc != 0)
		fail_msg("%s: %s", path_json, err.msg);
	assert_string_equal(buf, want);
	json_decref(path);
}

static void expect_refused(const char *path_json, const char *resource, const char *named)
{
	json_t *path = json_loads(path_json, JSON_DECODE_ANY, NULL);
	char buf[256];
	vlt_err_t err = { 0 };

	assert_non_null(path);
	assert_int_equal(vlt__heat_orch_id(ROOT, path, resource, WHERE, buf, sizeof(buf), &err),
			 VLT_EINVAL);
	if (strstr(err.msg, named) == NULL)
		fail_msg("%s: the error does not name %s: %s", path_json, named, err.msg);
	json_decref(path);
}

/* A server of the root stack itself. */
static void test_root_resource(void **state)
{
	(void)state;
	expect_id("[\"shop\"]", "web", ROOT "/web");
	expect_id("[[null, \"shop\"]]", "web", ROOT "/web");
}

/* Member 0 of ResourceGroup grp, whose member template holds server vm. */
static void test_resource_group_member(void **state)
{
	(void)state;
	expect_id("[\"shop\", \"grp,shop-grp-x7k2ab\", \"0,shop-grp-x7k2ab-0-q3z9fe\"]", "vm",
		  ROOT "/grp/0/vm");
	expect_id("[[null, \"shop\"], [\"grp\", \"shop-grp-x7k2ab\"], "
		  "[\"0\", \"shop-grp-x7k2ab-0-q3z9fe\"]]",
		  "vm", ROOT "/grp/0/vm");
	/* as a JSON text, as upstream's filter forwarded it */
	expect_id("\"[[null, \\\"shop\\\"], [\\\"tier\\\", \\\"shop-tier-1\\\"]]\"", "db",
		  ROOT "/tier/db");
}

/* A resource name with a comma: the stack name after the last one has none. */
static void test_comma_in_parent(void **state)
{
	(void)state;
	expect_id("[\"shop\", \"a,b,shop-ab-1\"]", "vm", ROOT "/a,b/vm");
}

static void test_refused(void **state)
{
	vlt_err_t err = { 0 };
	char small[16];
	json_t *path = json_loads("[\"shop\"]", 0, NULL);
	(void)state;

	expect_refused("[]", "vm", "non-empty list");
	expect_refused("{}", "vm", "expected a list");
	expect_refused("[\"shop\", 3]", "vm", WHERE "[1]");
	expect_refused("[\"shop\", \"shop-sub-1\"]", "vm", WHERE "[1]: a nested stack's entry");
	expect_refused("[[\"p\", \"shop\"]]", "vm", WHERE "[0]: the root stack");
	expect_refused("[[null, \"shop\"], [7, \"x\"]]", "vm", WHERE "[1][0]");
	expect_refused("\"not json\"", "vm", "JSON list");
	assert_int_equal(vlt__heat_orch_id(ROOT, path, "vm", WHERE, small, sizeof(small), &err),
			 VLT_EINVAL);
	assert_int_equal(vlt__heat_orch_id("", path, "vm", WHERE, small, sizeof(small), &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "heat_root_stack_id"));
	assert_int_equal(vlt__heat_orch_id(ROOT, path, "", WHERE, small, sizeof(small), &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "heat_resource_name"));
	json_decref(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_resource),
		cmocka_unit_test(test_resource_group_member),
		cmocka_unit_test(test_comma_in_parent),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
