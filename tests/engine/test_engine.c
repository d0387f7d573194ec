/*
 * test_engine.c - the engine through its own API on a tiny data center:
 * capacity and its release, explanations, zones and aggregates, bandwidth
 * limits, named groups across plans, and refusals that change nothing.
 *
 * tiny-dc.json: 6 hosts of 8 vCPU / 8 GiB / 100 GB at ratio 1; h1,h2 in r1
 * (NIC 300 Mb/s, rack uplink 500), h3,h4 in r2 (h4 runs 2 vCPU before
 * Valet), h5 (az2, ssd) and h6 (disabled) in r3 of cluster c2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine_fixture.h"
#include "log.h"

#define TINY VLT_TEST_DATA "/engine/tiny-dc.json"

/* A fresh engine per test, so that one failure does not cascade. */
static vlt_session_t session;

static int setup(void **state)
{
	static const char *const solvers[] = {"nova", "exact"};
	vlt_err_t err = {0};

	(void)state;
	vlt__log_setup(VLT_LOG_ERR, false, "test");
	if (vlt__session_open(&session, NULL, TINY, solvers, 2, NULL, &err) < 0) {
		fprintf(stderr, "session: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vlt__session_close(&session);
	return 0;
}

/* A request of n servers of one flavor, plus extra resources (JSON text, may be NULL). */
static json_t *request(const char *stack, unsigned n, const char *flavor, const char *extra)
{
	json_t *res = json_object();
	char id[32];

	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		json_object_set_new(res, id,
				    json_pack("{s:s, s:s, s:{s:s}}", "name", id, "type",
					      "OS::Nova::Server", "properties", "flavor", flavor));
	}
	if (extra != NULL) {
		json_error_t je;
		json_t *more = json_loads(extra, 0, &je);
		if (more == NULL)
			fail_msg("bad test JSON: %s", je.text);
		json_object_update(res, more);
		json_decref(more);
	}
	return json_pack("{s:s, s:s, s:o}", "plan_name", stack, "stack_id", stack, "resources",
			 res);
}

static int place(json_t *req, const char *solver, json_t **res, vlt_err_t *err)
{
	*res = NULL;
	int rc = vlt__engine_place(session.engine, req, "test", solver, res, err);
	json_decref(req);
	return rc;
}

static const char *message(const json_t *res)
{
	return json_string_value(json_object_get(json_object_get(res, "status"), "message"));
}

static void test_engine_capacity_is_held_then_released(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	/* Five hosts can take a full server (h4 runs 2 vCPU, h6 is disabled). */
	assert_int_equal(place(request("big", 4, "full", NULL), NULL, &res, &err), VLT_OK);
	json_decref(res);
	assert_int_equal(place(request("more", 1, "full", NULL), NULL, &res, &err), VLT_ENOPLACE);
	assert_string_equal(message(res), "server s0: 0 of 6 hosts fit: 5 short of vcpus, "
					  "1 disabled");
	assert_int_equal(json_object_size(json_object_get(res, "placements")), 0);
	json_decref(res);
	/* A refusal holds nothing; a release gives everything back. */
	assert_int_equal(vlt__engine_release(session.engine, "more"), VLT_ENOENT);
	assert_int_equal(vlt__engine_release(session.engine, "big"), VLT_OK);
	assert_int_equal(place(request("again", 4, "full", NULL), NULL, &res, &err), VLT_OK);
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "again"), VLT_OK);
}

static void test_engine_preloaded_host_keeps_its_load(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	/* h4 has 6 vCPU left: one half fits there, a full one nowhere but the others. */
	assert_int_equal(place(request("p", 1, "half", "{\"s0\": {\"type\": \"OS::Nova::Server\","
						      "\"properties\": {\"flavor\": \"half\","
						      "\"availability_zone\": \"nova\"}}}"),
			       "nova", &res, &err),
			 VLT_OK);
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
}

static void test_engine_zone_and_aggregate(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	assert_int_equal(place(request("z", 1, "half",
				       "{\"s0\": {\"type\": \"OS::Nova::Server\", \"properties\":"
				       " {\"flavor\": \"half\", \"availability_zone\": \"az2:h5\"}}}"),
			       NULL, &res, &err),
			 VLT_OK);
	assert_string_equal(vlt_fixture_location(res, "s0"), "h5");
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "z"), VLT_OK);

	assert_int_equal(place(request("ssd", 1, "fast", NULL), NULL, &res, &err), VLT_OK);
	assert_string_equal(vlt_fixture_location(res, "s0"), "h5");
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "ssd"), VLT_OK);
}

static void test_engine_pipe_bandwidth_limits(void **state)
{
	json_t *res;
	vlt_err_t err = {0};
	/* 400 Mb/s between two halves that a host-level diversity splits. */
	const char *extra = "{\"d\": {\"type\": \"ATT::Valet::GroupAssignment\", \"properties\":"
			    " {\"group_type\": \"diversity\", \"level\": \"host\","
			    " \"resources\": [\"s0\", \"s1\"]}},"
			    " \"p\": {\"type\": \"ATT::Valet::Pipe\", \"properties\":"
			    " {\"resources\": [\"s0\", \"s1\"], \"bandwidth\": {\"min\": 400}}}}";

	(void)state;
	for (const char *solver = "ostro"; solver != NULL;
	     solver = strcmp(solver, "ostro") == 0 ? "exact" : NULL) {
		assert_int_equal(place(request("bw", 2, "half", extra), solver, &res, &err),
				 VLT_OK);
		/* h1/h2 have NICs of 300: the pair must use r2 (h3, h4), within a rack. */
		const char *a = vlt_fixture_location(res, "s0"), *b = vlt_fixture_location(res, "s1");
		assert_true(a[1] == '3' || a[1] == '4');
		assert_true(b[1] == '3' || b[1] == '4');
		assert_string_not_equal(a, b);
		json_t *m = json_object_get(res, "metrics");
		assert_true(json_number_value(json_object_get(m, "bandwidth_cost")) == 800.0);
		assert_true(json_number_value(json_object_get(m, "cross_rack_mbps")) == 0.0);
		json_decref(res);
		assert_int_equal(vlt__engine_release(session.engine, "bw"), VLT_OK);
	}
}

static void test_engine_named_affinity_across_plans(void **state)
{
	json_t *res;
	vlt_err_t err = {0};
	const char *aff = "{\"a\": {\"type\": \"ATT::Valet::GroupAssignment\", \"properties\":"
			  " {\"group_type\": \"affinity\", \"group_name\": \"together\","
			  " \"level\": \"rack\", \"resources\": [\"s0\"]}}}";

	(void)state;
	assert_int_equal(place(request("first", 1, "half", aff), NULL, &res, &err), VLT_OK);
	char rack_host[8];
	snprintf(rack_host, sizeof(rack_host), "%s", vlt_fixture_location(res, "s0"));
	json_decref(res);
	/* A later plan's member goes to the same rack, with nova too. */
	assert_int_equal(place(request("second", 1, "half", aff), "nova", &res, &err), VLT_OK);
	const char *h = vlt_fixture_location(res, "s0");
	bool same_rack = (strchr("12", rack_host[1]) && strchr("12", h[1])) ||
			 (strchr("34", rack_host[1]) && strchr("34", h[1])) ||
			 (strchr("56", rack_host[1]) && strchr("56", h[1]));
	assert_true(same_rack);
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "first"), VLT_OK);
	assert_int_equal(vlt__engine_release(session.engine, "second"), VLT_OK);
}

static void test_engine_exclusivity_keeps_others_out(void **state)
{
	json_t *res;
	vlt_err_t err = {0};
	const char *ex = "{\"x\": {\"type\": \"ATT::Valet::GroupAssignment\", \"properties\":"
			 " {\"group_type\": \"exclusivity\", \"group_name\": \"mine\","
			 " \"level\": \"rack\", \"resources\": [\"s0\"]}}}";

	(void)state;
	assert_int_equal(place(request("ex", 1, "half", ex), NULL, &res, &err), VLT_OK);
	const char *h = vlt_fixture_location(res, "s0");
	/* r2 holds h4's earlier load, so the exclusive rack is r1 or r3. */
	assert_true(h[1] != '3' && h[1] != '4');
	char rack = h[1] <= '2' ? 'a' : 'c';
	json_decref(res);
	/* Five plain servers: none may enter the exclusive rack. */
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "o%d", i);
		if (place(request(name, 1, "half", NULL), "nova", &res, &err) == VLT_OK) {
			const char *o = vlt_fixture_location(res, "s0");
			assert_true((o[1] <= '2' ? 'a' : o[1] <= '4' ? 'b' : 'c') != rack);
		}
		json_decref(res);
	}
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "o%d", i);
		vlt__engine_release(session.engine, name);
	}
	assert_int_equal(vlt__engine_release(session.engine, "ex"), VLT_OK);
}

static void test_engine_bad_input_changes_nothing(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	assert_int_equal(place(request("bad", 2, "no-such-flavor", NULL), NULL, &res, &err),
			 VLT_ENOENT);
	assert_null(res);
	assert_non_null(strstr(err.msg, "no-such-flavor"));
	assert_int_equal(place(request("bad", 1, "half", NULL), "no-such-solver", &res, &err),
			 VLT_ECONFIG);
	assert_non_null(strstr(err.msg, "no-such-solver"));
	assert_int_equal(vlt__engine_release(session.engine, "bad"), VLT_ENOENT);
	/* Everything is still free: four full servers fit. */
	assert_int_equal(place(request("all", 4, "full", NULL), NULL, &res, &err), VLT_OK);
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "all"), VLT_OK);
}

static void test_engine_same_stack_twice_gets_new_plan_id(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	assert_int_equal(place(request("twice", 1, "full", NULL), NULL, &res, &err), VLT_OK);
	json_decref(res);
	assert_int_equal(place(request("twice", 1, "full", NULL), NULL, &res, &err), VLT_OK);
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "twice#2"), VLT_OK);
	assert_int_equal(vlt__engine_release(session.engine, "twice"), VLT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_engine_capacity_is_held_then_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_preloaded_host_keeps_its_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_zone_and_aggregate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_pipe_bandwidth_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_named_affinity_across_plans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_exclusivity_keeps_others_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_bad_input_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_same_stack_twice_gets_new_plan_id, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
