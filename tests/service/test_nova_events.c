/*
 * test_nova_events.c - Nova's versioned notifications read and applied
 * in-process, on the real engine and sqlite store: the oslo.messaging
 * envelope and what is wrong in a bad one; a deleted server's placement
 * released and its capacity free at once; a moved server's placement and
 * hold following it, across a restart; duplicates, older events and a
 * burst of 1,000 events replayed twice out of order leaving the state the
 * events in order leave.
 *
 * tests/data/api/inventory.json: 8 hosts of 4 vCPU (qos101..qos108);
 * m1.large takes a whole host, m1.small a quarter of one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "service_fixture.h"

/* 2000-01-01: far from the machine's time, so a service reading the real clock fails the tests. */
#define T0 946684800000
/* The notifications' own time: 2026-12-07 14:00:00 UTC, in microseconds. */
#define NOVA_T0 1796652000000000LL

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

/* Parse and apply one event; RET what it did (the test fails on an error). */
/* The same for an instance of flavor (NULL: the payload names none). */
static vlt_nova_outcome_t apply_flavor_event(svc_fixture_t *f, const char *type, const char *uuid,
					     const char *host, const char *flavor, int64_t t_us)
{
	char *body = svc_fixture_nova_body_flavor(type, uuid, host, flavor, t_us);
	vlt_nova_event_t ev;
	vlt_nova_outcome_t out = VLT_NOVA_UNCHANGED;
	vlt_err_t err = { 0 };

	if (vlt__nova_event_parse(body, strlen(body), &ev, &err) < 0)
		fail_msg("parse: %s", err.msg);
	if (vlt__service_nova_event(f->svc, &ev, &out, &err) < 0)
		fail_msg("apply: %s", err.msg);
	free(body);
	return out;
}

static vlt_nova_outcome_t apply_event(svc_fixture_t *f, const char *type, const char *uuid,
				      const char *host, int64_t t_us)
{
	return apply_flavor_event(f, type, uuid, host, NULL, t_us);
}

/* Create a plan of n large servers; RET its error (0 when placed). */
static int try_plan(svc_fixture_t *f, const char *stack, const char *prefix, unsigned n)
{
	json_t *req = svc_fixture_request(stack, prefix, n, "m1.large");
	json_t *plan = NULL;
	vlt_err_t err = { 0 };
	int rc = vlt__service_plan_create(f->svc, req, NULL, &plan, &err);

	json_decref(req);
	json_decref(plan);
	return rc;
}

/* ---- reading the envelope */

static void test_the_envelope_oslo_sends_is_read(void **state)
{
	(void)state;
	char *body = svc_fixture_nova_body("instance.live_migration_post_dest.end", "abc-123", "qos105",
			       NOVA_T0 + 250);
	vlt_nova_event_t ev;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__nova_event_parse(body, strlen(body), &ev, &err), 0);
	assert_string_equal(ev.event_type, "instance.live_migration_post_dest.end");
	assert_string_equal(ev.uuid, "abc-123");
	assert_string_equal(ev.host, "qos105");
	assert_int_equal(ev.fact, VLT_NOVA_AT_HOST);
	assert_true(ev.t_us == NOVA_T0 + 250);
	free(body);

	/* a whole second: str(utcnow()) has no fraction */
	body = svc_fixture_nova_body("instance.delete.end", "abc-123", "qos105", NOVA_T0);
	assert_int_equal(vlt__nova_event_parse(body, strlen(body), &ev, &err), 0);
	assert_int_equal(ev.fact, VLT_NOVA_GONE);
	assert_true(ev.t_us == NOVA_T0);
	free(body);

	/* the unwrapped message (oslo's "messaging" driver) reads the same */
	static const char plain[] =
		"{\"event_type\": \"instance.create.end\", \"timestamp\": "
		"\"2026-12-07 14:00:00.5\", \"payload\": {\"nova_object.data\": "
		"{\"uuid\": \"u1\", \"host\": \"qos101\"}}}";
	assert_int_equal(vlt__nova_event_parse(plain, strlen(plain), &ev, &err), 0);
	assert_int_equal(ev.fact, VLT_NOVA_AT_HOST);
	assert_true(ev.t_us == NOVA_T0 + 500000);
}

static void test_other_events_are_read_and_left_alone(void **state)
{
	(void)state;
	static const char service[] =
		"{\"oslo.version\": \"2.0\", \"oslo.message\": \"{\\\"event_type\\\": "
		"\\\"service.update\\\", \\\"payload\\\": {}}\"}";
	vlt_nova_event_t ev;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__nova_event_parse(service, strlen(service), &ev, &err), 0);
	assert_int_equal(ev.fact, VLT_NOVA_OTHER);

	/* a build that failed before a host was chosen: nothing to follow */
	char *body = svc_fixture_nova_body("instance.create.end", "u2", NULL, NOVA_T0);
	assert_int_equal(vlt__nova_event_parse(body, strlen(body), &ev, &err), 0);
	assert_int_equal(ev.fact, VLT_NOVA_OTHER);
	free(body);
}

static void expect_refused(const char *body, const char *says)
{
	vlt_nova_event_t ev;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__nova_event_parse(body, strlen(body), &ev, &err), VLT_EINVAL);
	if (strstr(err.msg, says) == NULL)
		fail_msg("'%s' does not say '%s'", err.msg, says);
}

static void test_a_bad_notification_says_what_is_wrong(void **state)
{
	(void)state;
	expect_refused("{not json", "notification: not JSON");
	expect_refused("[1]", "notification: $: expected a JSON object");
	expect_refused("{\"oslo.version\": \"2.0\", \"oslo.message\": 3}",
		       "$['oslo.message']: expected JSON text");
	expect_refused("{\"oslo.version\": \"2.0\", \"oslo.message\": \"{oops\"}",
		       "$['oslo.message']: not JSON");
	expect_refused("{\"oslo.message\": \"{\\\"timestamp\\\": \\\"x\\\"}\"}",
		       "$['oslo.message'].event_type: missing");
	expect_refused("{\"event_type\": \"instance.delete.end\", \"timestamp\": "
		       "\"yesterday\", \"payload\": {}}",
		       "$.timestamp: 'yesterday' is not");
	/* Nova's legacy (unversioned) format has no nova_object.data */
	expect_refused("{\"event_type\": \"instance.delete.end\", \"timestamp\": "
		       "\"2026-12-07 14:00:00\", \"payload\": {\"instance_id\": \"u\"}}",
		       "$.payload['nova_object.data']: expected a JSON object");
	expect_refused("{\"event_type\": \"instance.delete.end\", \"timestamp\": "
		       "\"2026-12-07 14:00:00\", \"payload\": {\"nova_object.data\": "
		       "{\"uuid\": 7}}}",
		       "$.payload['nova_object.data'].uuid: expected a string");
}

/* ---- applying by identity */

static void test_a_deleted_server_is_released_at_once(void **state)
{
	svc_world_t *w = *state;
	svc_fixture_t *f = &w->f;

	svc_fixture_create_reserved(f, "stack-a", "s", 2, "m1.large");
	assert_int_equal(try_plan(f, "full", "full", 7), VLT_ENOPLACE); /* 6 hosts free */
	assert_int_equal(apply_event(f, "instance.delete.end", "s-uuid-0", "qos101", NOVA_T0),
			 VLT_NOVA_RELEASED);
	assert_false(svc_fixture_placement_exists(f, "s0"));
	assert_true(svc_fixture_placement_exists(f, "s1"));
	assert_int_equal(try_plan(f, "fill", "fill", 7), 0); /* its host is free again */
	/* the same notification again, and one of a server Valet never planned: nothing */
	assert_int_equal(apply_event(f, "instance.delete.end", "s-uuid-0", "qos101", NOVA_T0),
			 VLT_NOVA_UNCHANGED);
	assert_int_equal(apply_event(f, "instance.delete.end", "stranger", "qos101", NOVA_T0),
			 VLT_NOVA_UNCHANGED);
	assert_true(svc_fixture_placement_exists(f, "s1"));
}

static void test_a_moved_server_takes_its_hold_along(void **state)
{
	svc_world_t *w = *state;
	svc_fixture_t *f = &w->f;
	char from[64], other[64], to[64] = "";

	svc_fixture_create_reserved(f, "stack-a", "s", 2, "m1.large");
	svc_fixture_location(f, "s0", from, sizeof(from));
	svc_fixture_location(f, "s1", other, sizeof(other));
	/* a host neither server holds */
	for (int h = 101; h <= 108 && to[0] == '\0'; h++) {
		char name[16];

		snprintf(name, sizeof(name), "qos%d", h);
		if (strcmp(name, from) != 0 && strcmp(name, other) != 0)
			snprintf(to, sizeof(to), "%s", name);
	}
	assert_int_equal(apply_event(f, "instance.live_migration_post_dest.end", "s-uuid-0", to,
				     NOVA_T0 + 10),
			 VLT_NOVA_MOVED);
	char now[64];
	assert_string_equal(svc_fixture_location(f, "s0", now, sizeof(now)), to);
	/* then the source's end of the migration, newer, naming the source: it stays */
	assert_int_equal(apply_event(f, "instance.live_migration_post.end", "s-uuid-0", from,
				     NOVA_T0 + 20),
			 VLT_NOVA_UNCHANGED);
	assert_string_equal(svc_fixture_location(f, "s0", now, sizeof(now)), to);

	/* six hosts free, the old one among them: six large servers fit, none on the new one */
	svc_fixture_close(f);
	svc_fixture_open(f, w->dir, 0, T0); /* the move was journaled */
	assert_string_equal(svc_fixture_location(f, "s0", now, sizeof(now)), to);
	assert_int_equal(try_plan(f, "six", "six", 6), 0);
	bool old_used = false;
	for (int i = 0; i < 6; i++) {
		char orch[16], loc[64];

		snprintf(orch, sizeof(orch), "six%d", i);
		svc_fixture_location(f, orch, loc, sizeof(loc));
		assert_string_not_equal(loc, to);
		assert_string_not_equal(loc, other);
		old_used = old_used || strcmp(loc, from) == 0;
	}
	assert_true(old_used);
}

static void test_duplicates_and_older_events_change_nothing(void **state)
{
	svc_world_t *w = *state;
	svc_fixture_t *f = &w->f;
	char loc[64];

	svc_fixture_create_reserved(f, "stack-a", "s", 1, "m1.small");
	assert_int_equal(apply_event(f, "instance.live_migration_post_dest.end", "s-uuid-0",
				     "qos107", NOVA_T0 + 200),
			 VLT_NOVA_MOVED);
	uint64_t applied = vlt__service_applied(f->svc);
	/* the same again, then an older move arriving late: no entry, no change */
	assert_int_equal(apply_event(f, "instance.live_migration_post_dest.end", "s-uuid-0",
				     "qos107", NOVA_T0 + 200),
			 VLT_NOVA_UNCHANGED);
	assert_int_equal(apply_event(f, "instance.live_migration_post_dest.end", "s-uuid-0",
				     "qos103", NOVA_T0 + 100),
			 VLT_NOVA_UNCHANGED);
	assert_int_equal(vlt__service_applied(f->svc), applied);
	assert_string_equal(svc_fixture_location(f, "s0", loc, sizeof(loc)), "qos107");
	/* a newer fact where it already is is kept, so that an older move stays older */
	assert_int_equal(apply_event(f, "instance.resize_confirm.end", "s-uuid-0", "qos107",
				     NOVA_T0 + 300),
			 VLT_NOVA_NOTED);
	assert_int_equal(apply_event(f, "instance.live_migration_post_dest.end", "s-uuid-0",
				     "qos104", NOVA_T0 + 250),
			 VLT_NOVA_UNCHANGED);
	assert_string_equal(svc_fixture_location(f, "s0", loc, sizeof(loc)), "qos107");
	/* a delete is final, whenever it comes; a move after it finds nothing */
	assert_int_equal(apply_event(f, "instance.delete.end", "s-uuid-0", "qos107", NOVA_T0 + 50),
			 VLT_NOVA_RELEASED);
	assert_int_equal(apply_event(f, "instance.live_migration_post_dest.end", "s-uuid-0",
				     "qos102", NOVA_T0 + 400),
			 VLT_NOVA_UNCHANGED);
	assert_false(svc_fixture_placement_exists(f, "s0"));
}

/* Does a plan of n large servers fit? (Taken back when it does.) */
static bool large_fit(svc_fixture_t *f, unsigned n)
{
	vlt_err_t err = { 0 };
	int rc = try_plan(f, "probe", "probe", n);

	assert_true(rc == 0 || rc == VLT_ENOPLACE);
	if (rc == 0)
		assert_int_equal(vlt__service_plan_delete(f->svc, "probe", &err), 0);
	return rc == 0;
}

static void test_a_server_valet_never_planned_takes_capacity(void **state)
{
	svc_world_t *w = *state;
	svc_fixture_t *f = &w->f;

	assert_true(large_fit(f, 8));
	assert_int_equal(apply_flavor_event(f, "instance.create.end", "outside-1", "qos101",
					    "m1.large", NOVA_T0 + 10),
			 VLT_NOVA_TAKEN);
	assert_false(large_fit(f, 8)); /* qos101 is taken */
	assert_true(large_fit(f, 7));
	/* the same again, or without a flavor to hold it by: nothing more */
	assert_int_equal(apply_flavor_event(f, "instance.create.end", "outside-1", "qos101",
					    "m1.large", NOVA_T0 + 10),
			 VLT_NOVA_UNCHANGED);
	assert_int_equal(apply_event(f, "instance.create.end", "outside-2", "qos102", NOVA_T0),
			 VLT_NOVA_UNCHANGED);
	assert_true(large_fit(f, 7));

	/* journaled: taken after a restart too (no reading of the sources since) */
	svc_fixture_close(f);
	svc_fixture_open(f, w->dir, 0, T0);
	assert_false(large_fit(f, 8));

	/* deleted: free again; a late, older create of it changes nothing */
	assert_int_equal(apply_event(f, "instance.delete.end", "outside-1", "qos101",
				     NOVA_T0 + 20),
			 VLT_NOVA_RELEASED);
	assert_true(large_fit(f, 8));
	assert_int_equal(apply_flavor_event(f, "instance.create.end", "outside-1", "qos101",
					    "m1.large", NOVA_T0 + 15),
			 VLT_NOVA_UNCHANGED);
	assert_true(large_fit(f, 8));
}

/* Nova told of the server before its reservation came (no filter in between): counted once after. */
static void test_a_reservation_after_its_notification_counts_once(void **state)
{
	svc_world_t *w = *state;
	svc_fixture_t *f = &w->f;
	char loc[64];
	json_t *answer = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(try_plan(f, "late", "late", 1), 0);
	svc_fixture_location(f, "late0", loc, sizeof(loc));
	assert_int_equal(apply_flavor_event(f, "instance.create.end", "late-uuid", loc, "m1.large",
					    NOVA_T0),
			 VLT_NOVA_TAKEN);
	assert_false(large_fit(f, 7)); /* the plan's hold and the notification's: twice */
	json_t *body = json_pack("{s:[s], s:s}", "locations", loc, "resource_id", "late-uuid");
	assert_int_equal(vlt__service_placement_reserve(f->svc, "late0", body, &answer, &err), 0);
	json_decref(body);
	json_decref(answer);
	assert_true(large_fit(f, 7)); /* its hold alone */
	assert_false(large_fit(f, 8));
}

/* ---- a burst, in order and replayed twice out of order */

#define BURST 1000
#define BURST_SERVERS 24

struct burst_event {
	int server;
	const char *type;
	char uuid[32];
	char host[16];
	int64_t t_us;
};

/* BURST events over BURST_SERVERS servers: moves among the hosts, every third server deleted last. */
static struct burst_event *burst_events(void)
{
	struct burst_event *ev = calloc(BURST, sizeof(*ev));
	unsigned seed = 12345;

	for (int i = 0; i < BURST; i++) {
		int server = i % BURST_SERVERS;
		bool last_round = i >= BURST - BURST_SERVERS;

		seed = seed * 1103515245u + 12345u;
		ev[i].server = server;
		ev[i].type = last_round && server % 3 == 0 ? "instance.delete.end"
							  : "instance.live_migration_post_dest.end";
		snprintf(ev[i].uuid, sizeof(ev[i].uuid), "b-uuid-%d", server);
		snprintf(ev[i].host, sizeof(ev[i].host), "qos%u", 101 + (seed >> 16) % 8);
		ev[i].t_us = NOVA_T0 + (int64_t)i * 1000;
	}
	return ev;
}

static void shuffle(struct burst_event *ev, int n, unsigned seed)
{
	for (int i = n - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		int j = (int)((seed >> 8) % (unsigned)(i + 1));
		struct burst_event t = ev[i];
		ev[i] = ev[j];
		ev[j] = t;
	}
}

static void apply_burst(svc_fixture_t *f, const struct burst_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		apply_event(f, ev[i].type, ev[i].uuid, ev[i].host, ev[i].t_us);
}

/* Every burst server's placement: "<orch>=<location>" or "<orch>=released", one per line. */
static void burst_state(svc_fixture_t *f, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < BURST_SERVERS; i++) {
		char orch[16], loc[64] = "released";

		snprintf(orch, sizeof(orch), "b%d", i);
		if (svc_fixture_placement_exists(f, orch))
			svc_fixture_location(f, orch, loc, sizeof(loc));
		len += (size_t)snprintf(buf + len, size - len, "%s=%s\n", orch, loc);
	}
}

static void test_a_burst_replayed_twice_out_of_order_ends_the_same(void **state)
{
	svc_world_t *w = *state;
	struct burst_event *ev = burst_events();
	char in_order[2048], replayed[2048], expected[2048];
	size_t len = 0;

	/* what the events say: each server where its newest move put it, or released */
	const struct burst_event *last_of[BURST_SERVERS] = { 0 };
	for (int i = 0; i < BURST; i++)
		last_of[ev[i].server] = &ev[i]; /* times grow with i */
	for (int i = 0; i < BURST_SERVERS; i++) {
		const struct burst_event *last = last_of[i];

		len += (size_t)snprintf(expected + len, sizeof(expected) - len, "b%d=%s\n", i,
					strcmp(last->type, "instance.delete.end") == 0 ? "released"
										       : last->host);
	}
	svc_fixture_create_reserved(&w->f, "burst", "b", BURST_SERVERS, "m1.small");
	apply_burst(&w->f, ev, BURST);
	burst_state(&w->f, in_order, sizeof(in_order));
	assert_string_equal(in_order, expected);

	/* a second valetd of its own store: the same burst, shuffled, twice */
	svc_world_t *other = svc_world_open(0, T0);
	svc_fixture_create_reserved(&other->f, "burst", "b", BURST_SERVERS, "m1.small");
	shuffle(ev, BURST, 7);
	apply_burst(&other->f, ev, BURST);
	shuffle(ev, BURST, 99);
	apply_burst(&other->f, ev, BURST);
	burst_state(&other->f, replayed, sizeof(replayed));
	assert_string_equal(replayed, expected);
	svc_world_close(other);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_envelope_oslo_sends_is_read),
		cmocka_unit_test(test_other_events_are_read_and_left_alone),
		cmocka_unit_test(test_a_bad_notification_says_what_is_wrong),
		cmocka_unit_test_setup_teardown(test_a_deleted_server_is_released_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_moved_server_takes_its_hold_along, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_older_events_change_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_server_valet_never_planned_takes_capacity,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_reservation_after_its_notification_counts_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_burst_replayed_twice_out_of_order_ends_the_same, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
