/*
 * test_api_reservations.c - /v1/reservations through real HTTP against a
 * real valetd (docs/api.md, "Reservations"): create with "now" and with a
 * future start, idempotent by stack, read, list with filters, reserving a
 * server only once active, delete, and
 * the error bodies of bad times, no room and unknown ids. valetd runs on
 * the real clock, so the windows here are years away or start now.
 *
 * The inventory (tests/data/api/inventory.json): hosts qos101..qos108,
 * 4 vCPUs each, so m1.large fits once per host.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_helpers.h"

#define FAR_START "2090-01-01T00:00:00Z"
#define FAR_END "2090-01-02T00:00:00Z"

static valetd_t d;

static int start(void **state)
{
	char dir[256];
	(void)state;

	api_tmpdir(dir, sizeof(dir), "api-resv");
	return valetd_start(&d, dir, NULL);
}

static int stop(void **state)
{
	(void)state;
	valetd_stop_and_remove(&d, SIGTERM);
	return 0;
}

/* POST /v1/reservations; RET the status, rep filled. */
static long post(const char *stack, int n, const char *start_at, const char *end_at,
		 api_reply_t *rep)
{
	char *b = api_reservation(stack, n, "m1.large", start_at, end_at);
	long st = api_call(&d, "POST", "/v1/reservations", b, NULL, rep);

	free(b);
	return st;
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static size_t listed(const char *query)
{
	char path[256];
	api_reply_t rep;

	snprintf(path, sizeof(path), "/v1/reservations%s", query);
	json_t *doc = api_expect(&d, "GET", path, NULL, 200, &rep);
	size_t n = json_array_size(json_object_get(doc, "reservations"));
	api_reply_free(&rep);
	return n;
}

static void test_endpoints(void **state)
{
	api_reply_t rep;
	char path[128], id[64];
	(void)state;

	assert_int_equal(post("r-future", 2, FAR_START, FAR_END, &rep), 201);
	json_t *r = json_object_get(rep.doc, "reservation");
	assert_string_equal(str(r, "status"), "pending");
	assert_string_equal(str(r, "start"), FAR_START);
	assert_string_equal(str(r, "end"), FAR_END);
	assert_int_equal(json_object_size(json_object_get(r, "placements")), 2);
	snprintf(id, sizeof(id), "%s", str(r, "id"));
	api_reply_free(&rep);

	/* "now" is valetd's time: active at once */
	assert_int_equal(post("r-now", 1, "now", FAR_END, &rep), 201);
	r = json_object_get(rep.doc, "reservation");
	assert_string_equal(str(r, "status"), "active");
	assert_string_not_equal(str(r, "start"), "now");
	api_reply_free(&rep);

	/* idempotent: the same stack answers the same reservation */
	assert_int_equal(post("r-future", 2, FAR_START, FAR_END, &rep), 201);
	assert_string_equal(str(json_object_get(rep.doc, "reservation"), "id"), id);
	api_reply_free(&rep);

	snprintf(path, sizeof(path), "/v1/reservations/%s", id);
	json_t *doc = api_expect(&d, "GET", path, NULL, 200, &rep);
	assert_string_equal(str(json_object_get(doc, "reservation"), "stack_id"), "r-future");
	api_reply_free(&rep);
	assert_int_equal(listed(""), 2);
	assert_int_equal(listed("?status=pending"), 1);
	assert_int_equal(listed("?status=active"), 1);
	assert_int_equal(listed("?from=2089-01-01T00:00:00Z&to=2089-06-01T00:00:00Z"), 1);

	/* Nova's filter reserves a server only once the reservation is active */
	doc = api_expect(&d, "GET", "/v1/placements/r-future-s0", NULL, 200, &rep);
	char body_text[256];
	snprintf(body_text, sizeof(body_text),
		 "{\"locations\": [\"%s\"], \"resource_id\": \"u0\"}",
		 str(json_object_get(doc, "placement"), "location"));
	api_reply_free(&rep);
	api_call(&d, "POST", "/v1/placements/r-future-s0", body_text, NULL, &rep);
	api_assert_contains(api_check_error(&rep, 409), "is pending");
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/placements/r-now-s0", NULL, 200, &rep);
	snprintf(body_text, sizeof(body_text),
		 "{\"locations\": [\"%s\"], \"resource_id\": \"u1\"}",
		 str(json_object_get(doc, "placement"), "location"));
	api_reply_free(&rep);
	api_expect(&d, "POST", "/v1/placements/r-now-s0", body_text, 201, &rep);
	api_reply_free(&rep);

	/* PUT: extended, the same placements; a bad end is 400 and changes nothing */
	snprintf(path, sizeof(path), "/v1/reservations/%s", id);
	doc = api_expect(&d, "PUT", path, "{\"end\": \"2090-01-03T00:00:00Z\"}", 200, &rep);
	assert_string_equal(str(json_object_get(doc, "reservation"), "end"),
			    "2090-01-03T00:00:00Z");
	api_reply_free(&rep);
	api_call(&d, "PUT", path, "{\"end\": \"2089-12-31T00:00:00Z\"}", NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "$.end: not after $.start");
	api_reply_free(&rep);
	api_call(&d, "PUT", "/v1/reservations/nope", "{}", NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Reservation not found");
	api_reply_free(&rep);

	/* a reservation is a plan: /v1/plans shows it too */
	snprintf(path, sizeof(path), "/v1/plans/%s", id);
	api_expect(&d, "GET", path, NULL, 200, &rep);
	api_reply_free(&rep);

	snprintf(path, sizeof(path), "/v1/reservations/%s", id);
	api_expect(&d, "DELETE", path, NULL, 204, &rep);
	api_reply_free(&rep);
	api_call(&d, "GET", path, NULL, NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Reservation not found");
	api_reply_free(&rep);
	api_call(&d, "DELETE", path, NULL, NULL, &rep);
	api_check_error(&rep, 404);
	api_reply_free(&rep);
	assert_int_equal(listed(""), 1);

	/* GET /v1 names the endpoint */
	doc = api_expect(&d, "GET", "/v1", NULL, 200, &rep);
	api_assert_contains(rep.body, "/v1/reservations/");
	api_reply_free(&rep);
}

static void test_refusals_change_nothing(void **state)
{
	api_reply_t rep;
	(void)state;

	long before = api_journal_entries(&d);
	post("r-bad", 1, FAR_END, FAR_START, &rep);
	api_assert_contains(api_check_error(&rep, 400), "$.end: not after $.start");
	api_reply_free(&rep);
	post("r-bad", 1, "2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z", &rep);
	api_assert_contains(api_check_error(&rep, 400), "$.end: not in the future");
	api_reply_free(&rep);
	post("r-bad", 1, "next week", FAR_END, &rep);
	api_assert_contains(api_check_error(&rep, 400), "$.start: expected an RFC 3339 UTC time");
	api_reply_free(&rep);
	post("r-bad", 1, FAR_START, NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "$.end: missing");
	api_reply_free(&rep);
	/* nine hosts' worth on eight: refused with the engine's reason */
	post("r-big", 9, FAR_START, FAR_END, &rep);
	api_assert_contains(api_check_error(&rep, 409), "short of");
	api_reply_free(&rep);
	api_call(&d, "GET", "/v1/reservations?status=over", NULL, NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "is not a status");
	api_reply_free(&rep);
	api_call(&d, "GET", "/v1/reservations?status=active&status=ended", NULL, NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "given twice");
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), before);
	assert_int_equal(listed(""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_endpoints, start, stop),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, start, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
