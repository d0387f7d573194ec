/*
 * test_api_reservations.c - /v1/reservations through real HTTP against a
 * real valetd (docs/api.md, "Reservations"): create with "now" and with a
 * future start, idempotent by stack, read, list with filters, reserving a
 * server only once active, servers booted with the reservation's hint
 * taking its placements (POST /v1/reservations/{id}/servers), delete, and
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

/*
 * A reservation that overlaps a full one is refused with when it is short:
 * every host is full from the other's start, and free before it.
 */
static void test_refusal_names_when_short(void **state)
{
	api_reply_t rep;
	(void)state;

	assert_int_equal(post("r-full", 8, "2091-01-01T00:00:00Z", "2091-01-02T00:00:00Z", &rep),
			 201);
	api_reply_free(&rep);
	long before = api_journal_entries(&d);
	post("r-over", 1, "2090-12-31T12:00:00Z", "2091-01-01T12:00:00Z", &rep);
	api_assert_contains(api_check_error(&rep, 409),
			    "server r-over-s0 over 2090-12-31T12:00:00Z to 2091-01-01T12:00:00Z: 0 of 8 "
			    "hosts fit: 8 short of vcpus (on the host short for the least time, "
			    "qos101: short from 2091-01-01T00:00:00Z to 2091-01-01T12:00:00Z; "
			    "free before)");
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), before);
	/* ending as the other starts, it fits */
	assert_int_equal(post("r-over", 1, "2090-12-31T12:00:00Z", "2091-01-01T00:00:00Z", &rep),
			 201);
	api_reply_free(&rep);
}

/* POST /v1/reservations/{id}/servers for resource rid, offering host at (or every host: NULL). */
static long claim(const char *id, const char *rid, const char *flavor, const char *at,
		  api_reply_t *rep)
{
	char path[128], body[512];

	snprintf(path, sizeof(path), "/v1/reservations/%s/servers", id);
	snprintf(body, sizeof(body),
		 "{\"resource_id\": \"%s\", \"flavor\": {\"name\": \"%s\", \"vcpus\": 4, "
		 "\"ram_mb\": 8192, \"disk_gb\": 80}, \"locations\": [%s%s%s]}",
		 rid, flavor, at != NULL ? "\"" : "", at != NULL ? at : "", at != NULL ? "\"" : "");
	if (at == NULL) {
		size_t len = strlen(body) - 2; /* "[]}" -> every host */
		snprintf(body + len, sizeof(body) - len, "\"qos101\", \"qos102\", \"qos103\", "
			 "\"qos104\", \"qos105\", \"qos106\", \"qos107\", \"qos108\"]}");
	}
	return api_call(&d, "POST", path, body, NULL, rep);
}

/* Servers booted with the reservation's hint each take one of its placements, once. */
static void test_servers_booted_with_the_hint(void **state)
{
	api_reply_t rep;
	char id[64], later[64], first[64];
	(void)state;

	assert_int_equal(post("r-hint", 2, "now", FAR_END, &rep), 201);
	json_t *r = json_object_get(rep.doc, "reservation");
	snprintf(id, sizeof(id), "%s", str(r, "id"));
	const char *host0 = str(json_object_get(json_object_get(r, "placements"), "r-hint-s0"),
				"location");
	char at[64];
	snprintf(at, sizeof(at), "%s", host0);
	api_reply_free(&rep);
	assert_int_equal(post("r-later", 1, FAR_START, FAR_END, &rep), 201);
	snprintf(later, sizeof(later), "%s", str(json_object_get(rep.doc, "reservation"), "id"));
	api_reply_free(&rep);

	/* the first server, offered the host of a placement: it takes that one */
	assert_int_equal(claim(id, "vm-a", "m1.large", at, &rep), 201);
	r = json_object_get(rep.doc, "placement");
	assert_string_equal(str(r, "location"), at);
	assert_string_equal(str(r, "resource_id"), "vm-a");
	snprintf(first, sizeof(first), "%s", str(r, "orchestration_id"));
	api_reply_free(&rep);
	/* asked again (Nova retries): the same placement, no new entry */
	long entries = api_journal_entries(&d);
	assert_int_equal(claim(id, "vm-a", "m1.large", at, &rep), 201);
	assert_string_equal(str(json_object_get(rep.doc, "placement"), "orchestration_id"), first);
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), entries);
	/* another flavor has no placement there */
	claim(id, "vm-x", "m1.small", NULL, &rep);
	api_assert_contains(api_check_error(&rep, 409), "no placement left for a server of flavor "
							 "m1.small");
	api_reply_free(&rep);
	/* the second server takes the other one, the third none */
	assert_int_equal(claim(id, "vm-b", "m1.large", NULL, &rep), 201);
	assert_string_not_equal(str(json_object_get(rep.doc, "placement"), "orchestration_id"),
				first);
	api_reply_free(&rep);
	claim(id, "vm-c", "m1.large", NULL, &rep);
	api_check_error(&rep, 409);
	api_reply_free(&rep);
	/* a pending reservation lends nothing yet; an unknown one is 404 */
	claim(later, "vm-d", "m1.large", NULL, &rep);
	api_assert_contains(api_check_error(&rep, 409), "is pending");
	api_reply_free(&rep);
	claim("nope", "vm-d", "m1.large", NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Reservation not found");
	api_reply_free(&rep);
	api_call(&d, "POST", "/v1/reservations/r-hint/servers", "{\"resource_id\": \"vm-e\"}",
		 NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "$.locations");
	api_reply_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_endpoints, start, stop),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, start, stop),
		cmocka_unit_test_setup_teardown(test_refusal_names_when_short, start, stop),
		cmocka_unit_test_setup_teardown(test_servers_booted_with_the_hint, start, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
