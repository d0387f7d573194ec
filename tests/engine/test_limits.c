/*
 * test_limits.c - Placement's min_unit, max_unit and step_size and the
 * flavors' trait:NAME=required|forbidden in the engine, on limits-dc.json:
 *
 *   c1 (az a1)  traits HW_CPU_X86_AVX2             vcpus max_unit 8, ram_mb step_size 512
 *   c2          traits HW_CPU_X86_AVX2, CUSTOM_GPU vcpus max_unit 4, step_size 2
 *   c3          traits CUSTOM_SLOW                 vcpus min_unit 2, max_unit 8;
 *                                                  disk_gb min_unit 10
 *
 * each 8 vCPU / 16 GiB / 100 GB at ratio 1. A server refused for a limit
 * or a trait is explained in those words; a flavor no host's limits admit
 * is a bad request naming the flavor and the limit, though a hold of one
 * (a plan acknowledged before) is kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine_fixture.h"

#define LIMITS_DC VLT_TEST_DATA "/engine/limits-dc.json"

static vlt_session_t session;

static int setup(void **state)
{
	(void)state;
	return vlt_fixture_open(&session, LIMITS_DC);
}

static int teardown(void **state)
{
	(void)state;
	vlt__session_close(&session);
	return 0;
}

/* n servers s0.. of flavor, in zone az (NULL: any), placed by solver (NULL: the default). */
static int place(const char *stack, unsigned n, const char *flavor, const char *az,
		 const char *solver, json_t **res, vlt_err_t *err)
{
	json_t *req = vlt_fixture_servers(stack, n, flavor, az);

	*res = NULL;
	int rc = vlt__engine_place(session.engine, req, "test", solver, res, err);

	json_decref(req);
	return rc;
}

/* Place one server and expect it on host, with each solver; nothing stays held. */
static void expect_on(const char *flavor, const char *az, const char *host)
{
	static const char *const solvers[] = { "nova", "exact" };

	for (size_t i = 0; i < 2; i++) {
		json_t *res;
		vlt_err_t err = { 0 };

		if (place("p", 1, flavor, az, solvers[i], &res, &err) != VLT_OK)
			fail_msg("%s with %s: %s", flavor, solvers[i], err.msg);
		assert_string_equal(vlt_fixture_location(res, "s0"), host);
		json_decref(res);
		assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
	}
}

/* Placing one server of flavor fails with message, with each solver. */
static void expect_refused(const char *flavor, const char *az, const char *want)
{
	static const char *const solvers[] = { "nova", "exact" };

	for (size_t i = 0; i < 2; i++) {
		json_t *res;
		vlt_err_t err = { 0 };

		assert_int_equal(place("p", 1, flavor, az, solvers[i], &res, &err), VLT_ENOPLACE);
		assert_string_equal(vlt_fixture_message(res), want);
		assert_string_equal(err.msg, want);
		json_decref(res);
	}
}

static void test_limits_min_unit_and_step_size_keep_a_server_off(void **state)
{
	(void)state;
	/* 1 vCPU: below c3's min_unit 2, not a multiple of c2's step_size 2; c1 takes it */
	expect_on("tiny", NULL, "c1");
	expect_refused("tiny", "nova",
		       "server s0: 0 of 3 hosts fit: 1 availability zone a1, 1 with min_unit 2 "
		       "of vcpus (asks 1), 1 with step_size 2 of vcpus (asks 1)");
	/* 2 vCPU keeps every limit of c2 and c3 */
	expect_on("two", "nova", "c2");
}

static void test_limits_max_unit_refuses_a_host(void **state)
{
	(void)state;
	/* only c2 has CUSTOM_GPU, and 6 vCPU is above its max_unit 4 */
	expect_refused("six-gpu", NULL,
		       "server s0: 0 of 3 hosts fit: 2 without required trait CUSTOM_GPU, 1 with "
		       "max_unit 4 of vcpus (asks 6)");
}

static void test_limits_required_trait_picks_its_host(void **state)
{
	json_t *res;
	vlt_err_t err = { 0 };

	(void)state;
	expect_on("gpu", NULL, "c2");
	/* four fill c2's 8 vCPU; a fifth has nowhere to go */
	assert_int_equal(place("g", 4, "gpu", NULL, NULL, &res, &err), VLT_OK);
	for (unsigned i = 0; i < 4; i++) {
		char id[8];

		snprintf(id, sizeof(id), "s%u", i);
		assert_string_equal(vlt_fixture_location(res, id), "c2");
	}
	json_decref(res);
	expect_refused("gpu", NULL,
		       "server s0: 0 of 3 hosts fit: 2 without required trait CUSTOM_GPU, 1 short "
		       "of vcpus");
	assert_int_equal(vlt__engine_release(session.engine, "g"), VLT_OK);
	/* a trait no host has: nowhere */
	expect_refused("nowhere", NULL,
		       "server s0: 0 of 3 hosts fit: 3 without required trait CUSTOM_NOWHERE");
}

static void test_limits_forbidden_trait_keeps_off(void **state)
{
	(void)state;
	expect_on("noavx", NULL, "c3");
	/* 0 GB of disk asks nothing of c3's disk min_unit 10; CUSTOM_OTHER=preferred is not read */
	expect_on("slow-nodisk", NULL, "c3");
}

static void test_limits_flavor_no_host_admits_is_a_bad_request(void **state)
{
	json_t *res;
	vlt_err_t err = { 0 };

	(void)state;
	assert_int_equal(place("p", 1, "huge", NULL, NULL, &res, &err), VLT_EINVAL);
	assert_null(res);
	assert_string_equal(err.msg, "test: server s0: flavor 'huge' asks 16 vcpus, above "
				     "max_unit of every host (8 at most)");
	assert_int_equal(place("p", 1, "ram1000", NULL, NULL, &res, &err), VLT_EINVAL);
	assert_null(res);
	assert_string_equal(err.msg, "test: server s0: flavor 'ram1000' fits the allocation "
				     "limits of no host: ram_mb 1000 is not a multiple of "
				     "step_size 512 on host c1, and each of the other 2 hosts "
				     "refuses it too");
	/* nothing was held by the refusals */
	assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_ENOENT);
}

/* A hold (a plan acknowledged earlier, replayed) is kept even if no host admits it now. */
static void test_limits_a_hold_is_kept_whatever_the_limits(void **state)
{
	json_t *locs = json_pack("{s:s}", "s0", "c3");
	json_t *req = json_pack("{s:s, s:s, s:{s:{s:s, s:s, s:{s:s}}}}", "plan_name", "old",
				"stack_id", "old", "resources", "s0", "name", "s0", "type",
				"OS::Nova::Server", "properties", "flavor", "huge");
	vlt_err_t err = { 0 };

	(void)state;
	if (vlt__engine_hold(session.engine, req, "test", "old", locs, &err) != VLT_OK)
		fail_msg("hold: %s", err.msg);
	json_decref(req);
	json_decref(locs);
	assert_int_equal(vlt__engine_release(session.engine, "old"), VLT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limits_min_unit_and_step_size_keep_a_server_off,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_max_unit_refuses_a_host, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limits_required_trait_picks_its_host, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limits_forbidden_trait_keeps_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limits_flavor_no_host_admits_is_a_bad_request,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_a_hold_is_kept_whatever_the_limits,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
