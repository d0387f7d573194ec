/*
 * test_api_decisions.c - "why is this server here?" through real HTTP:
 * valetd plans a stack and Nova's reservation names the server by its
 * uuid; valetd is stopped and started again on the same store; then
 * GET /v1/decisions?server=<uuid> still answers with the plan's decision
 * (the host, the runner-up and why) and the reservation's, and
 * GET /v1/decisions/{id} with each. Bad filters are 400 naming the
 * filter. On the sqlite store and on the mongodb store (the project's
 * MongoDB test server, tests/mongo/mockmongod.py, or
 * VALET_TEST_MONGODB_URI).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "api_helpers.h"
#include "mongo_test_server.h"

/* The configuration of a valetd on the mongodb store, in a database of the test's. */
static void mongodb_conf(char *buf, size_t n)
{
	snprintf(buf, n,
		 "modules: {\n  store = \"mongodb\";\n};\n"
		 "store: {\n  mongodb: {\n    uri = \"%s\";\n    database = \"valet_apidec_%d\";\n"
		 "  };\n};\n",
		 mongo_test_shared()->uri, (int)getpid());
}

static json_t *get(const valetd_t *d, const char *path, long want, api_reply_t *rep)
{
	return api_expect(d, "GET", path, NULL, want, rep);
}

static void plan_and_reserve(const valetd_t *d, char *host, size_t n)
{
	api_reply_t rep;
	char *body = api_stack("stack-d", 2, "m1.large", NULL);
	char reserve[256];

	api_expect(d, "POST", "/v1/plans", body, 201, &rep);
	api_reply_free(&rep);
	free(body);
	json_t *doc = get(d, "/v1/placements/stack-d-s0", 200, &rep);
	snprintf(host, n, "%s",
		 json_string_value(json_object_get(json_object_get(doc, "placement"), "location")));
	api_reply_free(&rep);
	snprintf(reserve, sizeof(reserve), "{\"locations\": [\"%s\"], \"resource_id\": \"nova-0\"}",
		 host);
	api_expect(d, "POST", "/v1/placements/stack-d-s0", reserve, 201, &rep);
	api_reply_free(&rep);
}

static void expect_bad(const valetd_t *d, const char *path, const char *words)
{
	api_reply_t rep;

	api_call(d, "GET", path, NULL, NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), words);
	api_reply_free(&rep);
}

static void why_here_after_restart(const char *tag, const char *conf)
{
	valetd_t d;
	api_reply_t rep;
	char dir[256], host[64], path[256];

	api_tmpdir(dir, sizeof(dir), tag);
	assert_int_equal(valetd_start(&d, dir, conf), 0);
	plan_and_reserve(&d, host, sizeof(host));
	valetd_stop(&d, SIGTERM);
	assert_int_equal(valetd_start(&d, dir, conf), 0);

	json_t *doc = get(&d, "/v1/decisions?server=nova-0", 200, &rep);
	json_t *list = json_object_get(doc, "decisions");
	assert_int_equal(json_array_size(list), 2);
	json_t *reserved = json_array_get(list, 0), *planned = json_array_get(list, 1);
	assert_string_equal(json_string_value(json_object_get(reserved, "kind")), "reserve");
	assert_string_equal(json_string_value(json_object_get(planned, "kind")), "create");
	assert_string_equal(json_string_value(json_object_get(planned, "stack_id")), "stack-d");
	json_t *u = NULL, *x;
	size_t i;
	json_array_foreach(
	    json_object_get(planned, "units"), i,
	    x) if (strcmp(json_string_value(json_object_get(x, "id")), "stack-d-s0") == 0) u = x;
	assert_non_null(u);
	assert_string_equal(json_string_value(json_object_get(u, "host")), host);
	assert_string_equal(json_string_value(json_object_get(u, "resource_id")), "nova-0");
	assert_non_null(json_string_value(json_object_get(u, "runner_up")));
	assert_non_null(json_string_value(json_object_get(u, "why")));
	assert_true(json_is_object(json_object_get(planned, "refused")));
	assert_string_equal(json_string_value(json_object_get(planned, "solver")), "ostro");

	snprintf(path, sizeof(path), "/v1/decisions/%s",
		 json_string_value(json_object_get(planned, "id")));
	api_reply_t one;
	json_t *d1 = get(&d, path, 200, &one);
	assert_true(json_equal(json_object_get(d1, "decision"), planned));
	api_reply_free(&one);
	api_reply_free(&rep);

	snprintf(path, sizeof(path), "/v1/decisions?host=%s&limit=1", host);
	doc = get(&d, path, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "decisions")), 1);
	api_reply_free(&rep);

	expect_bad(&d, "/v1/decisions?limit=abc", "limit: \"abc\" is not a number");
	expect_bad(&d, "/v1/decisions?plan=a&plan=b", "a filter is given twice");
	expect_bad(&d, "/v1/decisions?since=last-week", "since");
	api_call(&d, "GET", "/v1/decisions/no-such-decision", NULL, NULL, &rep);
	api_check_error(&rep, 404);
	api_reply_free(&rep);
	valetd_stop(&d, SIGTERM);
}

static void test_sqlite(void **state)
{
	(void)state;
	why_here_after_restart("decisions-sqlite", NULL);
}

static void test_mongodb(void **state)
{
	char conf[2048];

	(void)state;
	if (mongo_test_shared() == NULL) {
		print_message("SKIP: no MongoDB test server: %s\n", mongo_test_shared_why());
		skip();
	}
	mongodb_conf(conf, sizeof(conf));
	why_here_after_restart("decisions-mongodb", conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite),
		cmocka_unit_test(test_mongodb),
	};

	return cmocka_run_group_tests(tests, mongo_test_shared_start, mongo_test_shared_stop);
}
