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

#include "dc.h"
#include "engine_fixture.h"
#include "log.h"

#define TINY VLT_TEST_DATA "/engine/tiny-dc.json"

/* A fresh engine per test, so that one failure does not cascade. */
static vlt_session_t session;

static int setup(void **state)
{
	(void)state;
	return vlt_fixture_open(&session, TINY);
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

/*
 * An exclusivity group without a name is refused before anything is held,
 * in both request dialects: the exclusivity policy's validate says so (the
 * parser leaves which types need a name to the policies).
 */
static void test_engine_exclusivity_needs_a_name(void **state)
{
	static const char *const groups[] = {
		"{\"g\": {\"type\": \"ATT::Valet::GroupAssignment\", \"properties\":"
		" {\"group_type\": \"exclusivity\", \"level\": \"host\", \"resources\": [\"s0\"]}}}",
		"{\"g\": {\"type\": \"ATT::CloudQoS::ResourceGroup\", \"properties\":"
		" {\"relationship\": \"exclusivity\", \"level\": \"host\", \"resources\": [\"s0\"]}}}",
	};
	json_t *res;

	(void)state;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		vlt_err_t err = {0};
		assert_int_equal(place(request("anon", 1, "half", groups[i]), NULL, &res, &err),
				 VLT_EINVAL);
		assert_null(res);
		assert_int_equal(err.code, VLT_EINVAL);
		assert_string_equal(err.msg, "group g: exclusivity needs a name (group_name)");
		assert_int_equal(vlt__engine_release(session.engine, "anon"), VLT_ENOENT);
	}
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


static const char *loc_of(const json_t *res, const char *id)
{
	return vlt_fixture_location(res, id);
}

/*
 * Restrictions for orch: the hosts named in the comma-separated list, as
 * the data center's indices (an unknown name gives an index it does not
 * have). buf holds them (8 at most).
 */
static vlt_unit_locs_t hosts(const char *orch, const char *names, uint32_t *buf)
{
	vlt_unit_locs_t r = {.orch = orch, .locs = buf};
	char copy[128], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", names);
	for (char *h = strtok_r(copy, ",", &save); h != NULL && r.n_locs < 8;
	     h = strtok_r(NULL, ",", &save)) {
		uint32_t i = vlt__dc_find_host(vlt__engine_dc(session.engine), h);
		buf[r.n_locs++] = i != VLT_NONE ? i : vlt__engine_dc(session.engine)->n_hosts + 99;
	}
	return r;
}

static void test_engine_allowed_and_excluded_locations(void **state)
{
	json_t *res;
	uint32_t b1[8], b2[8];
	vlt_unit_locs_t allowed = hosts("s0", "h3,h5", b1);
	vlt_unit_locs_t excluded = hosts("s0", "h3", b2);
	vlt_err_t err = {0};

	(void)state;
	for (const char *solver = "ostro"; solver != NULL;
	     solver = strcmp(solver, "ostro") == 0 ? "nova" : NULL) {
		vlt_place_opts_t o = {.solver = solver, .allowed = &allowed, .n_allowed = 1,
				      .excluded = &excluded, .n_excluded = 1};
		json_t *req = request("a", 1, "half", NULL);
		assert_int_equal(vlt__engine_place_opts(session.engine, req, "t", &o, &res, &err),
				 VLT_OK);
		json_decref(req);
		assert_string_equal(loc_of(res, "s0"), "h5");
		json_decref(res);
		assert_int_equal(vlt__engine_release(session.engine, "a"), VLT_OK);
	}
	/* Nothing allowed fits: the message says why. */
	vlt_unit_locs_t only_h6 = hosts("s0", "h6", b1);
	vlt_place_opts_t o = {.allowed = &only_h6, .n_allowed = 1};
	json_t *req = request("b", 1, "half", NULL);
	assert_int_equal(vlt__engine_place_opts(session.engine, req, "t", &o, &res, &err),
			 VLT_ENOPLACE);
	assert_string_equal(message(res),
			    "server s0: 0 of 6 hosts fit: 5 not among the allowed hosts, 1 disabled");
	json_decref(res);
	/* An unknown host is bad input. */
	vlt_unit_locs_t bad = hosts("s0", "h99", b1);
	o.allowed = &bad;
	assert_int_equal(vlt__engine_place_opts(session.engine, req, "t", &o, &res, &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "allowed locations of s0: unknown host"));
	json_decref(req);
}

/* Replan: the plan's holds are replaced; a failed replan leaves the old ones. */
static void test_engine_replace_keeps_pins_and_restores_on_failure(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	assert_int_equal(place(request("p", 2, "full", NULL), NULL, &res, &err), VLT_OK);
	char s0[8], s1[8];
	snprintf(s0, sizeof(s0), "%s", loc_of(res, "s0"));
	snprintf(s1, sizeof(s1), "%s", loc_of(res, "s1"));
	json_decref(res);

	/* Move s1 to h3 or h5 (whichever s0 is not on), s0 pinned. */
	const char *target = strcmp(s0, "h5") == 0 ? "h3" : "h5";
	if (strcmp(s1, target) == 0)
		target = strcmp(s0, "h1") == 0 ? "h2" : "h1";
	uint32_t b1[8], b2[8];
	vlt_unit_locs_t pinned = hosts("s0", s0, b1);
	vlt_unit_locs_t allowed = hosts("s1", target, b2);
	vlt_place_opts_t o = {.plan_id = "p", .replaces = "p", .pinned = &pinned, .n_pinned = 1,
			      .allowed = &allowed, .n_allowed = 1};
	json_t *req = request("p", 2, "full", NULL);
	assert_int_equal(vlt__engine_place_opts(session.engine, req, "t", &o, &res, &err), VLT_OK);
	assert_string_equal(loc_of(res, "s0"), s0);
	assert_string_equal(loc_of(res, "s1"), target);
	json_decref(res);

	/* A replan to a disabled host fails and keeps what the plan held. */
	vlt_unit_locs_t dead = hosts("s1", "h6", b2);
	o.allowed = &dead;
	assert_int_equal(vlt__engine_place_opts(session.engine, req, "t", &o, &res, &err),
			 VLT_ENOPLACE);
	json_decref(res);
	/* Still held: two more full servers fit (h1, h2, h3, h5 fit one each), not three. */
	assert_int_equal(place(request("q", 2, "full", NULL), NULL, &res, &err), VLT_OK);
	json_decref(res);
	assert_int_equal(place(request("r", 1, "full", NULL), NULL, &res, &err), VLT_ENOPLACE);
	json_decref(res);
	/* Replacing a plan that holds nothing is an error. */
	o.replaces = "nobody";
	o.plan_id = "nobody";
	assert_int_equal(vlt__engine_place_opts(session.engine, req, "t", &o, &res, &err),
			 VLT_ENOENT);
	json_decref(req);
}

/* Replay: a held plan takes its capacity without solving. */
static void test_engine_hold_replays_a_placement(void **state)
{
	json_t *res;
	vlt_err_t err = {0};
	json_t *req = request("h", 2, "full", NULL);
	json_t *locs = json_pack("{s:s, s:s}", "s0", "h1", "s1", "h2");

	(void)state;
	assert_int_equal(vlt__engine_hold(session.engine, req, "t", "h", locs, &err), VLT_OK);
	assert_int_equal(vlt__engine_hold(session.engine, req, "t", "h", locs, &err), VLT_EEXIST);
	/* h1 and h2 are taken: of the four hosts a full server fits on, two are left. */
	assert_int_equal(place(request("x", 2, "full", NULL), NULL, &res, &err), VLT_OK);
	json_decref(res);
	assert_int_equal(place(request("y", 1, "full", NULL), NULL, &res, &err), VLT_ENOPLACE);
	json_decref(res);
	json_t *unknown = json_pack("{s:s, s:s}", "s0", "h1", "s1", "nowhere");
	assert_int_equal(vlt__engine_hold(session.engine, req, "t", "z", unknown, &err),
			 VLT_ENOENT);
	assert_non_null(strstr(err.msg, "nowhere"));
	json_decref(unknown);
	json_decref(locs);
	json_decref(req);
}

/* Hold n servers of flavor, s<i> on host on[i], as a replayed plan. */
static void hold_on(const char *plan, const char *flavor, const char *const *on, unsigned n)
{
	json_t *req = request(plan, n, flavor, NULL), *locs = json_object();
	vlt_err_t err = {0};
	char id[32];

	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		json_object_set_new(locs, id, json_string(on[i]));
	}
	assert_int_equal(vlt__engine_hold(session.engine, req, "t", plan, locs, &err), VLT_OK);
	json_decref(locs);
	json_decref(req);
}

/* The place's answer: VLT_OK, or the refusal's message is want. */
static void expect_refusal(const char *plan, const char *flavor, const char *want)
{
	json_t *res;
	vlt_err_t err = {0};
	int rc = place(request(plan, 1, flavor, NULL), NULL, &res, &err);

	if (want == NULL) {
		assert_int_equal(rc, VLT_OK);
		assert_int_equal(vlt__engine_release(session.engine, plan), VLT_OK);
	} else {
		assert_int_equal(rc, VLT_ENOPLACE);
		assert_string_equal(message(res), want);
	}
	json_decref(res);
}

/*
 * A refusal counts its reasons from per-rack and per-cluster aggregates
 * where they decide (r1, r2, cluster c1), host by host where they do not
 * (r3: h5 enabled, h6 disabled): the counts stay exact as holds,
 * placements and releases change the capacity under them.
 */
static void test_engine_refusal_counts_follow_capacity(void **state)
{
	static const char *const four[] = {"h1", "h2", "h3", "h5"};
	static const char *const h4[] = {"h4"};
	const char *none_fit = "server s0: 0 of 6 hosts fit: 5 short of vcpus, 1 disabled";

	(void)state;
	expect_refusal("f0", "full", NULL);
	hold_on("p1", "half", four, 4); /* 4 vCPU left on h1-h3 and h5, 6 on h4 */
	expect_refusal("f1", "full", none_fit);
	expect_refusal("f2", "half", NULL);
	assert_int_equal(vlt__engine_release(session.engine, "p1"), VLT_OK);
	expect_refusal("f3", "full", NULL);
	hold_on("p2", "full", four, 4); /* only h4 is left, with 6 vCPU */
	expect_refusal("f4", "full", none_fit);
	hold_on("p3", "half", h4, 1); /* and now 2 */
	expect_refusal("f5", "half", none_fit);
	assert_int_equal(vlt__engine_release(session.engine, "p3"), VLT_OK);
	expect_refusal("f6", "half", NULL);
	assert_int_equal(vlt__engine_release(session.engine, "p2"), VLT_OK);
	expect_refusal("f7", "full", NULL);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_engine_capacity_is_held_then_released),
		TEST(test_engine_preloaded_host_keeps_its_load),
		TEST(test_engine_zone_and_aggregate),
		TEST(test_engine_pipe_bandwidth_limits),
		TEST(test_engine_named_affinity_across_plans),
		TEST(test_engine_exclusivity_keeps_others_out),
		TEST(test_engine_exclusivity_needs_a_name),
		TEST(test_engine_bad_input_changes_nothing),
		TEST(test_engine_same_stack_twice_gets_new_plan_id),
		TEST(test_engine_allowed_and_excluded_locations),
		TEST(test_engine_replace_keeps_pins_and_restores_on_failure),
		TEST(test_engine_hold_replays_a_placement),
		TEST(test_engine_refusal_counts_follow_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
