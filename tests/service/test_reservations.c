/*
 * test_reservations.c - reservations in-process (op_reservations.c), on
 * the real engine and sqlite store, with the service's clock set by the
 * test: "now" resolved to the service's time, statuses following the
 * clock, idempotent creates, the refusals (bad times, no room, an
 * ordinary plan's stack) changing nothing, the list's filters, delete.
 *
 * tests/data/api/inventory.json: 8 hosts of 4 vCPU; m1.large takes a
 * whole host, so n large servers take n hosts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "service_fixture.h"

/* 2000-01-01T00:00:00Z: far from the machine's time, so the real clock would fail the tests. */
#define T0 946684800000
#define HOUR 3600000
#define T0_TEXT "2000-01-01T00:00:00Z"
#define T1_TEXT "2000-01-01T01:00:00Z" /* T0 + 1 h */
#define T2_TEXT "2000-01-01T02:00:00Z"
#define T3_TEXT "2000-01-01T03:00:00Z"

static int setup(void **state)
{
	*state = svc_world_open(0, T0);
	return 0;
}

static int teardown(void **state)
{
	svc_world_close(*state);
	return 0;
}

/* A reservation request of n large servers <stack>-0.. over [start, end) (either may be NULL). */
static json_t *request(const char *stack, unsigned n, const char *start, const char *end)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s-", stack);
	json_t *req = svc_fixture_request(stack, prefix, n, "m1.large");
	if (start != NULL)
		json_object_set_new(req, "start", json_string(start));
	if (end != NULL)
		json_object_set_new(req, "end", json_string(end));
	return req;
}

/* POST /v1/reservations; *doc gets the bare reservation (may be NULL: dropped). */
static int create(svc_fixture_t *f, const char *stack, unsigned n, const char *start,
		  const char *end, json_t **doc, vlt_err_t *err)
{
	json_t *req = request(stack, n, start, end);
	json_t *answer = NULL;
	int rc = vlt__service_reservation_create(f->svc, req, "proj-a", &answer, err);

	json_decref(req);
	if (rc == 0 && doc != NULL)
		*doc = json_incref(json_object_get(answer, "reservation"));
	json_decref(answer);
	return rc;
}

static void create_ok(svc_fixture_t *f, const char *stack, unsigned n, const char *start,
		      const char *end, json_t **doc)
{
	vlt_err_t err = { 0 };

	if (create(f, stack, n, start, end, doc, &err) != 0)
		fail_msg("reservation %s: %s", stack, err.msg);
}

/* GET /v1/reservations/{id}'s status, or "" when it is not found. */
static const char *status(svc_fixture_t *f, const char *id, char *buf, size_t size)
{
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	buf[0] = '\0';
	if (vlt__service_reservation_get(f->svc, id, &doc, &err) == 0)
		snprintf(buf, size, "%s",
			 json_string_value(json_object_get(json_object_get(doc, "reservation"),
							   "status")));
	json_decref(doc);
	return buf;
}

/* How many reservations a list with the query (JSON text, NULL: none) shows; -1 on error. */
static long count(svc_fixture_t *f, const char *query, vlt_err_t *err)
{
	json_t *q = query != NULL ? json_loads(query, 0, NULL) : NULL;
	json_t *doc = NULL;
	int rc = vlt__service_reservations(f->svc, q, &doc, err);
	long n = rc == 0 ? (long)json_array_size(json_object_get(doc, "reservations")) : -1;

	json_decref(q);
	json_decref(doc);
	return n;
}

static void test_now_is_the_service_time_and_placed(void **state)
{
	svc_world_t *w = *state;
	json_t *r = NULL;
	char buf[32];

	create_ok(&w->f, "r-now", 2, "now", T1_TEXT, &r);
	assert_string_equal(json_string_value(json_object_get(r, "start")), T0_TEXT);
	assert_string_equal(json_string_value(json_object_get(r, "end")), T1_TEXT);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "active");
	assert_string_equal(json_string_value(json_object_get(r, "project")), "proj-a");
	assert_string_equal(json_string_value(json_object_get(r, "stack_id")), "r-now");
	json_t *pl = json_object_get(r, "placements");
	assert_int_equal(json_object_size(pl), 2);
	assert_non_null(json_string_value(json_object_get(json_object_get(pl, "r-now-0"), "location")));
	/* the request is journaled with the resolved time: the plan shows it too */
	assert_string_equal(status(&w->f, "r-now", buf, sizeof(buf)), "active");
	json_decref(r);
}

static void test_status_follows_the_clock(void **state)
{
	svc_world_t *w = *state;
	json_t *r = NULL;
	char buf[32];

	create_ok(&w->f, "r-later", 1, T1_TEXT, T2_TEXT, &r);
	const char *id = json_string_value(json_object_get(r, "id"));
	assert_string_equal(json_string_value(json_object_get(r, "status")), "pending");
	w->f.now_ms = T0 + HOUR - 1;
	assert_string_equal(status(&w->f, id, buf, sizeof(buf)), "pending");
	w->f.now_ms = T0 + HOUR;
	assert_string_equal(status(&w->f, id, buf, sizeof(buf)), "active");
	w->f.now_ms = T0 + 2 * HOUR - 1;
	assert_string_equal(status(&w->f, id, buf, sizeof(buf)), "active");
	w->f.now_ms = T0 + 2 * HOUR;
	assert_string_equal(status(&w->f, id, buf, sizeof(buf)), "ended");
	json_decref(r);
}

static void test_create_is_idempotent_by_stack(void **state)
{
	svc_world_t *w = *state;
	json_t *a = NULL, *b = NULL;
	vlt_err_t err = { 0 };

	create_ok(&w->f, "r-idem", 2, T1_TEXT, T2_TEXT, &a);
	/* a retry, even with other times, answers the reservation there */
	create_ok(&w->f, "r-idem", 2, "now", T3_TEXT, &b);
	assert_true(json_equal(json_object_get(a, "id"), json_object_get(b, "id")));
	assert_string_equal(json_string_value(json_object_get(b, "start")), T1_TEXT);
	assert_int_equal(count(&w->f, NULL, &err), 1);
	/* and it holds two hosts once: six are left */
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 6, &err), 0);
	json_decref(a);
	json_decref(b);
}

/* A refused create: code, a message naming what, and nothing stored or held. */
static void refused(svc_world_t *w, const char *start, const char *end, int code,
		    const char *says)
{
	vlt_err_t err = { 0 };

	assert_int_equal(create(&w->f, "r-bad", 1, start, end, NULL, &err), code);
	if (strstr(err.msg, says) == NULL)
		fail_msg("expected '%s' in: %s", says, err.msg);
	assert_int_equal(count(&w->f, NULL, &err), 0);
}

static void test_bad_times_are_refused_and_change_nothing(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };

	refused(w, NULL, T1_TEXT, VLT_EINVAL, "$.start: missing");
	refused(w, "now", NULL, VLT_EINVAL, "$.end: missing");
	refused(w, "tomorrow", T1_TEXT, VLT_EINVAL, "$.start: expected an RFC 3339 UTC time");
	refused(w, "now", "2000-01-01 01:00", VLT_EINVAL, "$.end: expected an RFC 3339 UTC time");
	refused(w, T2_TEXT, T1_TEXT, VLT_EINVAL, "$.end: not after $.start");
	refused(w, T1_TEXT, T1_TEXT, VLT_EINVAL, "$.end: not after $.start");
	w->f.now_ms = T0 + 3 * HOUR;
	refused(w, T1_TEXT, T2_TEXT, VLT_EINVAL, "$.end: not in the future");
	/* the fractions and the +00:00 form are times too */
	create_ok(&w->f, "r-frac", 1, "2000-01-01T03:00:00.250+00:00", "2000-01-01T04:00:00.5Z",
		  NULL);
	assert_int_equal(count(&w->f, NULL, &err), 1);
}

static void test_no_room_is_refused_with_the_reason(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };

	assert_int_equal(create(&w->f, "r-big", 9, "now", T1_TEXT, NULL, &err), VLT_ENOPLACE);
	assert_non_null(strstr(err.msg, "short of"));
	assert_int_equal(count(&w->f, NULL, &err), 0);
	/* the eight hosts are all free still */
	create_ok(&w->f, "r-fits", 8, "now", T1_TEXT, NULL);
}

static void test_no_server_is_refused(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };

	assert_int_equal(create(&w->f, "r-empty", 0, "now", T1_TEXT, NULL, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.resources: no server to place"));
	assert_int_equal(count(&w->f, NULL, &err), 0);
}

static void test_an_ordinary_plan_is_no_reservation(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *doc = NULL;

	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 1, &err), 0);
	assert_int_equal(vlt__service_reservation_get(w->f.svc, "plain", &doc, &err), VLT_ENOENT);
	assert_string_equal(err.msg, "Reservation not found");
	assert_int_equal(vlt__service_reservation_delete(w->f.svc, "plain", &err), VLT_ENOENT);
	assert_int_equal(create(&w->f, "plain", 1, "now", T1_TEXT, NULL, &err), VLT_ECONFLICT);
	assert_non_null(strstr(err.msg, "not a reservation"));
	assert_int_equal(count(&w->f, NULL, &err), 0);
	/* the plan is untouched */
	assert_int_equal(vlt__service_plan_get(w->f.svc, "plain", &doc, &err), 0);
	json_decref(doc);
}

static void test_list_filters(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };

	create_ok(&w->f, "r-a", 1, "now", T1_TEXT, NULL);     /* [0, 1) active */
	create_ok(&w->f, "r-b", 1, T1_TEXT, T2_TEXT, NULL);   /* [1, 2) pending */
	create_ok(&w->f, "r-c", 1, T2_TEXT, T3_TEXT, NULL);   /* [2, 3) pending */
	json_t *other = request("r-d", 1, T2_TEXT, T3_TEXT);
	json_t *doc = NULL;
	assert_int_equal(vlt__service_reservation_create(w->f.svc, other, "proj-b", &doc, &err), 0);
	json_decref(doc);
	json_decref(other);

	assert_int_equal(count(&w->f, NULL, &err), 4);
	assert_int_equal(count(&w->f, "{\"project\": \"proj-b\"}", &err), 1);
	assert_int_equal(count(&w->f, "{\"status\": \"active\"}", &err), 1);
	assert_int_equal(count(&w->f, "{\"status\": \"pending\"}", &err), 3);
	assert_int_equal(count(&w->f, "{\"status\": \"ended\"}", &err), 0);
	/* overlapping [from, to): the ends are exclusive */
	assert_int_equal(count(&w->f, "{\"from\": \"" T1_TEXT "\", \"to\": \"" T2_TEXT "\"}", &err),
			 1);
	assert_int_equal(count(&w->f, "{\"from\": \"" T1_TEXT "\"}", &err), 3);
	assert_int_equal(count(&w->f, "{\"to\": \"" T1_TEXT "\"}", &err), 1);
	assert_int_equal(count(&w->f, "{\"project\": \"proj-a\", \"from\": \"" T2_TEXT "\"}", &err),
			 1);
	w->f.now_ms = T0 + HOUR;
	assert_int_equal(count(&w->f, "{\"status\": \"ended\"}", &err), 1);
	assert_int_equal(count(&w->f, "{\"status\": \"active\"}", &err), 1);

	assert_int_equal(count(&w->f, "{\"status\": \"over\"}", &err), -1);
	assert_non_null(strstr(err.msg, "status: \"over\" is not a status"));
	assert_int_equal(count(&w->f, "{\"from\": \"soon\"}", &err), -1);
	assert_non_null(strstr(err.msg, "from: \"soon\" is not an RFC 3339 UTC time"));
	assert_int_equal(count(&w->f, "{\"color\": \"red\"}", &err), -1);
	assert_non_null(strstr(err.msg, "color: not a filter"));
	assert_int_equal(count(&w->f, "{\"from\": \"" T2_TEXT "\", \"to\": \"" T1_TEXT "\"}", &err),
			 -1);
	assert_non_null(strstr(err.msg, "from: not before to"));
}

static void test_delete_releases_its_hosts(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *r = NULL;
	char buf[32];

	create_ok(&w->f, "r-del", 8, T1_TEXT, T2_TEXT, &r);
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 1, &err), VLT_ENOPLACE);
	const char *id = json_string_value(json_object_get(r, "id"));
	assert_int_equal(vlt__service_reservation_delete(w->f.svc, id, &err), 0);
	assert_string_equal(status(&w->f, id, buf, sizeof(buf)), "");
	assert_int_equal(vlt__service_reservation_delete(w->f.svc, id, &err), VLT_ENOENT);
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 8, &err), 0);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_now_is_the_service_time_and_placed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_follows_the_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_is_idempotent_by_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_times_are_refused_and_change_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_room_is_refused_with_the_reason, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_server_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_an_ordinary_plan_is_no_reservation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_releases_its_hosts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
