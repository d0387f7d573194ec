/*
 * test_timeline.c - capacity over time (core/engine/timeline.c,
 * docs/reservations.md): the request's start and end, and timed plans
 * through the engine on tiny-dc.json (6 hosts of 8 vCPU / 8 GiB / 100 GB;
 * h4 runs 2 vCPU before Valet, h6 is disabled).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "clock.h"
#include "engine_fixture.h"
#include "timeline.h"

#define TINY VLT_TEST_DATA "/engine/tiny-dc.json"

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

/* n servers of flavor under plan, over [start, end) (either NULL: absent). */
static json_t *timed(const char *plan, unsigned n, const char *flavor, const char *start,
		     const char *end)
{
	json_t *req = vlt_fixture_servers(plan, n, flavor, NULL);

	if (start != NULL)
		json_object_set_new(req, "start", json_string(start));
	if (end != NULL)
		json_object_set_new(req, "end", json_string(end));
	return req;
}

static int place(json_t *req, json_t **res, vlt_err_t *err)
{
	*res = NULL;
	int rc = vlt__engine_place(session.engine, req, "test", NULL, res, err);
	json_decref(req);
	return rc;
}

/* ---------------------------------------------------------------- times */

static int64_t at(const char *text)
{
	int64_t ms = 0;

	if (!vlt__time_parse_rfc3339(text, &ms))
		fail_msg("not a time: %s", text);
	return ms;
}

static void test_times_parse_and_format(void **state)
{
	char buf[40];
	int64_t ms;

	(void)state;
	assert_int_equal(at("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(at("2026-12-08T10:00:00Z"), 1796724000000LL);
	assert_int_equal(at("2026-12-08T10:00:00.25Z"), 1796724000250LL);
	assert_int_equal(at("2026-12-08T10:00:00.123456+00:00"), 1796724000123LL);
	assert_int_equal(at("2024-02-29t23:59:59z"), at("2024-03-01T00:00:00Z") - 1000);
	assert_int_equal(at("1969-12-31T23:59:59.999Z"), -1);
	static const char *const bad[] = {
		"", "now", "2026-12-08", "2026-12-08 10:00:00Z", "2026-12-08T10:00:00",
		"2026-12-08T10:00:00+01:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-12-08T24:00:00Z", "2026-12-08T10:60:00Z", "2026-12-08T10:00:00.Z",
		"2026-12-08T10:00:00Zjunk", "+2026-12-08T10:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_false(vlt__time_parse_rfc3339(bad[i], &ms));
	vlt__time_format_rfc3339(1796724000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-08T10:00:00Z");
	vlt__time_format_rfc3339(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	/* what is written reads back the same */
	for (int64_t t = -86400001; t < 4000000000000LL; t += 98765432101LL) {
		vlt__time_format_rfc3339(t, buf, sizeof(buf));
		assert_int_equal(at(buf), t);
	}
}

static void expect_interval_error(const char *json, const char *want)
{
	json_t *req = json_loads(json, 0, NULL);
	vlt_interval_t iv = {1, 2};
	vlt_err_t err = {0};

	assert_non_null(req);
	assert_int_equal(vlt__interval_parse(req, "plan.json", &iv, &err), VLT_EINVAL);
	assert_string_equal(err.msg, want);
	assert_int_equal(iv.start_ms, 1); /* untouched */
	json_decref(req);
}

static void test_interval_parse(void **state)
{
	vlt_interval_t iv;
	vlt_err_t err = {0};
	char buf[80];

	(void)state;
	json_t *req = json_pack("{s:s, s:s}", "start", "2026-12-08T10:00:00Z", "end",
				"2026-12-09T10:00:00Z");
	assert_int_equal(vlt__interval_parse(req, NULL, &iv, &err), 0);
	assert_int_equal(iv.start_ms, at("2026-12-08T10:00:00Z"));
	assert_int_equal(iv.end_ms, at("2026-12-09T10:00:00Z"));
	assert_true(vlt__interval_timed(&iv));
	vlt__interval_format(&iv, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-08T10:00:00Z to 2026-12-09T10:00:00Z");
	json_object_del(req, "start");
	assert_int_equal(vlt__interval_parse(req, NULL, &iv, &err), 0);
	assert_true(iv.start_ms == VLT_TIME_BEGIN && vlt__interval_timed(&iv));
	vlt__interval_format(&iv, buf, sizeof(buf));
	assert_string_equal(buf, "until 2026-12-09T10:00:00Z");
	json_object_del(req, "end");
	assert_int_equal(vlt__interval_parse(req, NULL, &iv, &err), 0);
	assert_false(vlt__interval_timed(&iv));
	json_decref(req);

	expect_interval_error("{\"start\": \"now\"}",
			      "plan.json: $.start: expected an RFC 3339 UTC time like "
			      "2026-12-08T10:00:00Z, not \"now\"");
	expect_interval_error("{\"end\": 17}",
			      "plan.json: $.end: expected an RFC 3339 UTC time like "
			      "2026-12-08T10:00:00Z, not a number");
	expect_interval_error("{\"start\": \"2026-12-08T10:00:00Z\", \"end\": "
			      "\"2026-12-08T10:00:00Z\"}",
			      "plan.json: $.end: not after $.start");
	expect_interval_error("[{\"start\": \"2026-12-09T10:00:00Z\", \"end\": "
			      "\"2026-12-08T10:00:00Z\"}]",
			      "plan.json: $[0].end: not after $[0].start");
}

/* ---------------------------------------------------------------- engine */

static void test_timed_request_is_placed_and_bad_times_refused(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	assert_int_equal(place(timed("r", 2, "half", "2026-12-08T10:00:00Z",
				     "2026-12-09T10:00:00Z"), &res, &err), VLT_OK);
	assert_string_equal(vlt_fixture_message(res), "success");
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "r"), VLT_OK);

	res = NULL;
	assert_int_equal(place(timed("bad", 1, "half", "2026-12-09T10:00:00Z",
				     "2026-12-08T10:00:00Z"), &res, &err), VLT_EINVAL);
	assert_null(res);
	assert_string_equal(err.msg, "test: $.end: not after $.start");
	/* refused: nothing held under it */
	assert_int_equal(vlt__engine_release(session.engine, "bad"), VLT_ENOENT);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_parse_and_format),
		cmocka_unit_test(test_interval_parse),
		TEST(test_timed_request_is_placed_and_bad_times_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
