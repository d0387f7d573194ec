/*
 * test_reservations.c - reservations in-process (op_reservations.c), on
 * the real engine and sqlite store, with the service's clock set by the
 * test: "now" resolved to the service's time, statuses following the
 * clock, idempotent creates, the refusals (bad times, no room, an
 * ordinary plan's stack) changing nothing, the list's filters, delete;
 * reserving only while active; the sweep's end entry, once, releasing the
 * holds and keeping the record with the servers still running, through a
 * restart and a snapshot; updates (extend, move, change the stack,
 * shrink) keeping what did not change, moving what no longer fits,
 * refused ones changing nothing; capacity before a start used only by
 * plans that end by then.
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

/* Sweep at t on f's clock; RET how many reservations ended. */
static size_t sweep_at(svc_fixture_t *f, int64_t t)
{
	vlt_err_t err = { 0 };
	size_t n = 0;

	f->now_ms = t;
	if (vlt__service_reservations_sweep(f->svc, t, &n, &err) < 0)
		fail_msg("sweep: %s", err.msg);
	return n;
}

/* POST /v1/placements/{orch} on its planned host (whatever it is) as Nova's filter does. */
static int reserve(svc_fixture_t *f, const char *orch, const char *uuid, vlt_err_t *err)
{
	char host[64];
	json_t *answer = NULL;

	svc_fixture_location(f, orch, host, sizeof(host));
	json_t *body = json_pack("{s:[s], s:s}", "locations", host, "resource_id", uuid);
	int rc = vlt__service_placement_reserve(f->svc, orch, body, &answer, err);
	json_decref(body);
	json_decref(answer);
	return rc;
}

static json_t *reservation(svc_fixture_t *f, const char *id)
{
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_reservation_get(f->svc, id, &doc, &err) < 0)
		fail_msg("reservation %s: %s", id, err.msg);
	json_t *r = json_incref(json_object_get(doc, "reservation"));
	json_decref(doc);
	return r;
}

static void test_reservable_only_while_active(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };

	create_ok(&w->f, "r-use", 2, T1_TEXT, T2_TEXT, NULL);
	assert_int_equal(reserve(&w->f, "r-use-0", "uuid-0", &err), VLT_ECONFLICT);
	assert_non_null(strstr(err.msg, "is pending: its placements are reservable from its "
				       "start, " T1_TEXT));
	w->f.now_ms = T0 + HOUR;
	assert_int_equal(reserve(&w->f, "r-use-0", "uuid-0", &err), 0);
	/* the end passed: refused even before the sweeper's entry */
	w->f.now_ms = T0 + 2 * HOUR;
	assert_int_equal(reserve(&w->f, "r-use-1", "uuid-1", &err), VLT_ECONFLICT);
	assert_non_null(strstr(err.msg, "ended at " T2_TEXT));
	/* an ordinary plan's placements are reservable at any time */
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 1, &err), 0);
	assert_int_equal(reserve(&w->f, "p-0", "uuid-p", &err), 0);
}

static void test_end_releases_once_and_reports_servers(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *r = NULL;

	create_ok(&w->f, "r-end", 8, "now", T1_TEXT, &r);
	char id[64];
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
	json_decref(r);
	assert_int_equal(reserve(&w->f, "r-end-3", "uuid-3", &err), 0);
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 1, &err), VLT_ENOPLACE);
	uint64_t before = vlt__service_applied(w->f.svc);

	assert_int_equal(sweep_at(&w->f, T0 + HOUR - 1), 0);
	assert_int_equal(sweep_at(&w->f, T0 + HOUR), 1);
	assert_int_equal(vlt__service_applied(w->f.svc), before + 1);
	assert_int_equal(sweep_at(&w->f, T0 + 2 * HOUR), 0); /* never twice */
	assert_int_equal(vlt__service_applied(w->f.svc), before + 1);

	r = reservation(&w->f, id);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "ended");
	assert_true(json_is_true(json_object_get(r, "released")));
	assert_string_equal(json_string_value(json_object_get(r, "ended_at")), T1_TEXT);
	json_t *running = json_object_get(r, "servers_running");
	assert_int_equal(json_array_size(running), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(running, 0),
							      "resource_id")),
			    "uuid-3");
	/* its placements still say where they were */
	assert_non_null(json_string_value(json_object_get(
		json_object_get(json_object_get(r, "placements"), "r-end-0"), "location")));
	json_decref(r);
	/* its eight hosts are free again */
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 8, &err), 0);
}

static void test_an_end_survives_restart_and_snapshot(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *r = NULL;

	create_ok(&w->f, "r-old", 4, "now", T1_TEXT, NULL);
	create_ok(&w->f, "r-new", 4, T1_TEXT, T2_TEXT, &r);
	char id[64];
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(r, "id")));
	json_decref(r);
	assert_int_equal(sweep_at(&w->f, T0 + HOUR), 1);
	for (int round = 0; round < 2; round++) {
		/* round 0: the journal replayed; round 1: read from a snapshot */
		if (round == 1)
			assert_int_equal(vlt__service_snapshot(w->f.svc, &err), 0);
		svc_fixture_close(&w->f);
		svc_fixture_open(&w->f, w->dir, 0, T0 + HOUR);
		r = reservation(&w->f, "r-old");
		assert_string_equal(json_string_value(json_object_get(r, "status")), "ended");
		assert_true(json_is_true(json_object_get(r, "released")));
		json_decref(r);
		r = reservation(&w->f, id);
		assert_string_equal(json_string_value(json_object_get(r, "status")), "active");
		json_decref(r);
		assert_int_equal(sweep_at(&w->f, T0 + HOUR), 0);
		assert_int_equal(count(&w->f, NULL, &err), 2);
	}
	/* held: r-new's four hosts; free: r-old's four, and no more */
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 5, &err), VLT_ENOPLACE);
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 4, &err), 0);
}

/* PUT /v1/reservations/{id} with body (JSON text); *doc gets the bare reservation (may be NULL). */
static int update(svc_fixture_t *f, const char *id, const char *body, json_t **doc,
		  vlt_err_t *err)
{
	json_t *b = json_loads(body, 0, NULL);
	json_t *answer = NULL;

	assert_non_null(b);
	int rc = vlt__service_reservation_update(f->svc, id, b, NULL, &answer, err);
	if (rc == 0 && doc != NULL)
		*doc = json_incref(json_object_get(answer, "reservation"));
	json_decref(answer);
	json_decref(b);
	return rc;
}

/* The same with the stack of n large servers <stack>-0.. as the only change. */
static int update_stack(svc_fixture_t *f, const char *stack, unsigned n, json_t **doc,
			vlt_err_t *err)
{
	json_t *req = request(stack, n, NULL, NULL);
	char *text = json_dumps(json_object_get(req, "resources"), 0);
	char body[4096];

	snprintf(body, sizeof(body), "{\"resources\": %s}", text);
	free(text);
	json_decref(req);
	return update(f, stack, body, doc, err);
}

static const char *where_is(const json_t *r, const char *orch)
{
	const char *loc = json_string_value(
		json_object_get(json_object_get(json_object_get(r, "placements"), orch), "location"));

	return loc != NULL ? loc : "";
}

static void test_update_moves_and_extends_keeping_placements(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *r = NULL, *u = NULL;

	create_ok(&w->f, "r-put", 2, T1_TEXT, T2_TEXT, &r);
	/* extend: the stack stays where it is */
	assert_int_equal(update(&w->f, "r-put", "{\"end\": \"" T3_TEXT "\"}", &u, &err), 0);
	assert_string_equal(json_string_value(json_object_get(u, "start")), T1_TEXT);
	assert_string_equal(json_string_value(json_object_get(u, "end")), T3_TEXT);
	assert_string_equal(where_is(u, "r-put-0"), where_is(r, "r-put-0"));
	assert_string_equal(where_is(u, "r-put-1"), where_is(r, "r-put-1"));
	assert_true(json_equal(json_object_get(u, "id"), json_object_get(r, "id")));
	json_decref(u);
	/* move it to start now: active at once */
	assert_int_equal(update(&w->f, "r-put", "{\"start\": \"now\"}", &u, &err), 0);
	assert_string_equal(json_string_value(json_object_get(u, "start")), T0_TEXT);
	assert_string_equal(json_string_value(json_object_get(u, "status")), "active");
	json_decref(u);
	/* change the stack: a third server joins, the two stay */
	assert_int_equal(update_stack(&w->f, "r-put", 3, &u, &err), 0);
	assert_int_equal(json_object_size(json_object_get(u, "placements")), 3);
	assert_string_equal(where_is(u, "r-put-0"), where_is(r, "r-put-0"));
	assert_string_equal(where_is(u, "r-put-1"), where_is(r, "r-put-1"));
	assert_string_equal(json_string_value(json_object_get(u, "end")), T3_TEXT);
	json_decref(u);
	/* shrink: two servers leave, and their hosts with them (seven plain ones fit then) */
	assert_int_equal(update_stack(&w->f, "r-put", 1, &u, &err), 0);
	assert_int_equal(json_object_size(json_object_get(u, "placements")), 1);
	assert_string_equal(where_is(u, "r-put-0"), where_is(r, "r-put-0"));
	json_decref(u);
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 7, &err), 0);
	json_decref(r);
}

static void test_update_refused_changes_nothing(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *before = NULL;

	create_ok(&w->f, "r-keep", 2, T1_TEXT, T2_TEXT, NULL);
	assert_int_equal(svc_fixture_create(&w->f, "plain", "p-", 6, &err), 0);
	before = reservation(&w->f, "r-keep");
	uint64_t applied = vlt__service_applied(w->f.svc);

	assert_int_equal(update_stack(&w->f, "r-keep", 3, NULL, &err), VLT_ENOPLACE);
	assert_non_null(strstr(err.msg, "short of"));
	assert_int_equal(update(&w->f, "r-keep", "{\"end\": \"" T0_TEXT "\"}", NULL, &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.end: not in the future"));
	assert_int_equal(update(&w->f, "r-keep", "{\"start\": \"" T3_TEXT "\"}", NULL, &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.end: not after $.start"));
	assert_int_equal(update(&w->f, "r-keep", "{\"end\": 12}", NULL, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.end: expected an RFC 3339 UTC time"));
	assert_int_equal(update(&w->f, "plain", "{\"end\": \"" T3_TEXT "\"}", NULL, &err),
			 VLT_ENOENT);
	assert_int_equal(update(&w->f, "nope", "{}", NULL, &err), VLT_ENOENT);
	assert_int_equal(vlt__service_applied(w->f.svc), applied);
	json_t *after = reservation(&w->f, "r-keep");
	assert_true(json_equal(before, after));
	json_decref(after);
	/* ended: it can no longer change */
	w->f.now_ms = T0 + 2 * HOUR;
	assert_int_equal(update(&w->f, "r-keep", "{\"end\": \"" T3_TEXT "\"}", NULL, &err),
			 VLT_ECONFLICT);
	assert_non_null(strstr(err.msg, "it can no longer change"));
	json_decref(before);
}

static void test_a_plan_update_keeps_the_interval(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *doc = NULL;

	create_ok(&w->f, "r-plan", 2, T1_TEXT, T2_TEXT, NULL);
	json_t *body = request("r-plan", 1, NULL, NULL);
	json_object_set_new(body, "action", json_string("update"));
	assert_int_equal(vlt__service_plan_update(w->f.svc, "r-plan", body, NULL, &doc, &err), 0);
	json_decref(doc);
	json_decref(body);
	json_t *r = reservation(&w->f, "r-plan");
	assert_string_equal(json_string_value(json_object_get(r, "start")), T1_TEXT);
	assert_string_equal(json_string_value(json_object_get(r, "end")), T2_TEXT);
	assert_int_equal(json_object_size(json_object_get(r, "placements")), 1);
	json_decref(r);
}

static void test_holds_do_not_expire_before_the_end(void **state)
{
	svc_world_t *w = svc_world_open(60, T0); /* unreserved holds last a minute */
	vlt_err_t err = { 0 };
	size_t n = 9;
	(void)state;

	create_ok(&w->f, "r-ttl", 2, T1_TEXT, T2_TEXT, NULL);
	/* a plan with a start only: its hold is unused from its start on */
	json_t *later = request("later", 1, T1_TEXT, NULL);
	json_t *doc = NULL;
	assert_int_equal(vlt__service_plan_create(w->f.svc, later, NULL, &doc, &err), 0);
	json_decref(doc);
	json_decref(later);
	assert_int_equal(vlt__service_sweep(w->f.svc, T0 + HOUR + 60000 - 1, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(vlt__service_sweep(w->f.svc, T0 + HOUR + 60000, &n, &err), 0);
	assert_int_equal(n, 1); /* later-0, not the reservation's */
	assert_int_equal(vlt__service_sweep(w->f.svc, T0 + 2 * HOUR - 1, &n, &err), 0);
	assert_int_equal(n, 0);
	w->f.now_ms = T0 + 2 * HOUR - 1;
	json_t *r = reservation(&w->f, "r-ttl");
	assert_string_not_equal(where_is(r, "r-ttl-0"), "");
	assert_string_not_equal(where_is(r, "r-ttl-1"), "");
	assert_false(json_is_true(json_object_get(r, "released")));
	json_decref(r);
	svc_world_close(w);
}

static bool in_placements(const json_t *r, const char *host)
{
	const char *k;
	json_t *pl;

	json_object_foreach(json_object_get((json_t *)r, "placements"), k, pl) {
		if (strcmp(json_string_value(json_object_get(pl, "location")), host) == 0)
			return true;
	}
	return false;
}

static void test_a_move_replaces_what_no_longer_fits(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *a = NULL, *b = NULL, *moved = NULL;

	create_ok(&w->f, "r-a", 1, T1_TEXT, T2_TEXT, &a);
	/* seven of the eight hosts taken over [T2, T3): the one left is where A must go */
	create_ok(&w->f, "r-b", 7, T2_TEXT, T3_TEXT, &b);
	char was[64];
	snprintf(was, sizeof(was), "%s", where_is(a, "r-a-0"));
	assert_int_equal(update(&w->f, "r-a",
				"{\"start\": \"" T2_TEXT "\", \"end\": \"" T3_TEXT "\"}",
				&moved, &err),
			 0);
	assert_false(in_placements(b, where_is(moved, "r-a-0")));
	/* the host it had is B's over the new window: it had to move */
	assert_true(in_placements(b, was));
	assert_string_not_equal(where_is(moved, "r-a-0"), was);
	/* extended past B's end, it stays where it went */
	json_t *longer = NULL;
	assert_int_equal(update(&w->f, "r-a", "{\"end\": \"2000-01-01T04:00:00Z\"}", &longer,
				&err),
			 0);
	assert_string_equal(where_is(longer, "r-a-0"), where_is(moved, "r-a-0"));
	json_decref(longer);
	json_decref(a);
	json_decref(b);
	json_decref(moved);
}

static void test_capacity_before_the_start_is_for_plans_that_end_in_time(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	json_t *doc = NULL;

	create_ok(&w->f, "r-all", 8, T2_TEXT, T3_TEXT, NULL); /* every host over [T2, T3) */
	/* a plan that never ends may not use it */
	assert_int_equal(svc_fixture_create(&w->f, "forever", "f-", 1, &err), VLT_ENOPLACE);
	/* one ending a millisecond late neither */
	json_t *late = request("late", 1, NULL, "2000-01-01T02:00:00.001Z");
	assert_int_equal(vlt__service_plan_create(w->f.svc, late, NULL, &doc, &err), VLT_ENOPLACE);
	json_decref(late);
	/* eight that end at its start may */
	json_t *early = request("early", 8, NULL, T2_TEXT);
	assert_int_equal(vlt__service_plan_create(w->f.svc, early, NULL, &doc, &err), 0);
	json_decref(doc);
	json_decref(early);
	/* at T2 the early plan ends and the reservation begins */
	assert_int_equal(sweep_at(&w->f, T0 + 2 * HOUR), 1);
	char buf[32];
	assert_string_equal(status(&w->f, "early", buf, sizeof(buf)), "ended");
	assert_string_equal(status(&w->f, "r-all", buf, sizeof(buf)), "active");
	assert_int_equal(reserve(&w->f, "r-all-0", "uuid-all-0", &err), 0);
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
		cmocka_unit_test_setup_teardown(test_reservable_only_while_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_releases_once_and_reports_servers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_an_end_survives_restart_and_snapshot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_update_moves_and_extends_keeping_placements,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_refused_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_plan_update_keeps_the_interval, setup,
						teardown),
		cmocka_unit_test(test_holds_do_not_expire_before_the_end),
		cmocka_unit_test_setup_teardown(test_a_move_replaces_what_no_longer_fits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_capacity_before_the_start_is_for_plans_that_end_in_time, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
