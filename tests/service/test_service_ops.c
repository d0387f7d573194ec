/*
 * test_service_ops.c - valet-api's operations in-process, on the real
 * engine and sqlite store, with the service's clock set by the test: holds
 * expire at their deadline and not a millisecond before; replacing a
 * server (migrate, replan) moves only that server and restarts its hold's
 * clock; two services on one store see each other's writes and never hold
 * the same capacity twice.
 *
 * tests/data/api/inventory.json: 8 hosts of 4 vCPU (qos101..qos108);
 * m1.large takes a whole host, so n large servers take n hosts.
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
#define TTL_S 60

static int setup(void **state)
{
	*state = svc_world_open(TTL_S, T0);
	return 0;
}

static int teardown(void **state)
{
	svc_world_close(*state);
	return 0;
}

/* A plan of n large servers; stack-a's are s0, s1, ..., the others' <stack>-0, ... */
static int create(svc_fixture_t *f, const char *stack, unsigned n, vlt_err_t *err)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s", strcmp(stack, "stack-a") == 0 ? "s" : stack);
	if (strcmp(stack, "stack-a") != 0)
		strcat(prefix, "-");
	return svc_fixture_create(f, stack, prefix, n, err);
}

static bool reserved(svc_fixture_t *f, const char *orch)
{
	json_t *pl = svc_fixture_placement(f, orch);
	bool r = json_is_true(json_object_get(pl, "reserved"));

	json_decref(pl);
	return r;
}

/* POST /v1/placements/{orch} with locations (a JSON array as text) and an action (may be NULL). */
static int reserve(svc_fixture_t *f, const char *orch, const char *locations, const char *action,
		   vlt_err_t *err)
{
	json_t *body = json_pack("{s:o, s:s}", "locations", json_loads(locations, 0, NULL),
				 "resource_id", "nova-uuid");
	json_t *answer = NULL;

	if (action != NULL)
		json_object_set_new(body, "action", json_string(action));
	int rc = vlt__service_placement_reserve(f->svc, orch, body, &answer, err);
	json_decref(body);
	json_decref(answer);
	return rc;
}

static size_t sweep_at(svc_fixture_t *f, int64_t t)
{
	size_t n = 0;
	vlt_err_t err = { 0 };

	f->now_ms = t;
	assert_int_equal(vlt__service_sweep(f->svc, t, &n, &err), 0);
	return n;
}

/* ---- expiry */

static void test_holds_expire_at_their_deadline(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	char here[64], buf[64];

	assert_int_equal(create(&w->f, "stack-a", 2, &err), 0);
	assert_int_equal(reserve(&w->f, "s0", "[]", NULL, &err), VLT_ENOPLACE);
	char list[96];
	snprintf(list, sizeof(list), "[\"%s\"]", svc_fixture_location(&w->f, "s0", here, sizeof(here)));
	assert_int_equal(reserve(&w->f, "s0", list, NULL, &err), 0);

	/* 6 hosts are free: a plan needing 7 is refused while s1 holds its host */
	assert_int_equal(create(&w->f, "stack-b", 7, &err), VLT_ENOPLACE);
	assert_int_equal(sweep_at(&w->f, T0 + TTL_S * 1000 - 1), 0);
	assert_string_not_equal(svc_fixture_location(&w->f, "s1", buf, sizeof(buf)), "");
	assert_int_equal(sweep_at(&w->f, T0 + TTL_S * 1000), 1);
	assert_string_equal(svc_fixture_location(&w->f, "s1", buf, sizeof(buf)), "");
	assert_string_equal(svc_fixture_location(&w->f, "s0", buf, sizeof(buf)), here);
	assert_true(reserved(&w->f, "s0"));
	/* s1's host is free again; s0, reserved, never expires */
	assert_int_equal(create(&w->f, "stack-b", 7, &err), 0);
	assert_int_equal(sweep_at(&w->f, T0 + 100 * TTL_S * 1000), 7);
	assert_string_equal(svc_fixture_location(&w->f, "s0", buf, sizeof(buf)), here);
}

static void test_expiry_survives_a_restart(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	char buf[64];

	assert_int_equal(create(&w->f, "stack-a", 1, &err), 0);
	assert_int_equal(sweep_at(&w->f, T0 + TTL_S * 1000), 1);
	svc_fixture_close(&w->f);
	svc_fixture_open(&w->f, w->dir, TTL_S, T0 + TTL_S * 1000);
	/* replayed: s0 stays expired, and its capacity free */
	assert_string_equal(svc_fixture_location(&w->f, "s0", buf, sizeof(buf)), "");
	assert_int_equal(create(&w->f, "stack-b", 8, &err), 0);
}

/* ---- replacing a server */

static void test_migrate_moves_one_server_and_restarts_its_clock(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	char s0_was[64], s1_was[64], buf[64], list[96];

	assert_int_equal(create(&w->f, "stack-a", 2, &err), 0);
	svc_fixture_location(&w->f, "s0", s0_was, sizeof(s0_was));
	svc_fixture_location(&w->f, "s1", s1_was, sizeof(s1_was));
	snprintf(list, sizeof(list), "[\"%s\"]", s0_was);
	w->f.now_ms = T0 + 10000;
	assert_int_equal(reserve(&w->f, "s0", list, NULL, &err), 0);
	snprintf(list, sizeof(list), "[\"%s\"]", s1_was);
	assert_int_equal(reserve(&w->f, "s1", list, NULL, &err), 0);

	/* migrate s1 away from its host and from qos108 */
	const char *avoid = strcmp(s1_was, "qos108") == 0 ? "qos107" : "qos108";
	json_t *body = json_pack("{s:s, s:[s], s:[s]}", "action", "migrate", "resources", "s1",
				 "excluded_hosts", avoid);
	json_t *plan = NULL;
	w->f.now_ms = T0 + 30000;
	assert_int_equal(vlt__service_plan_update(w->f.svc, "stack-a", body, NULL, &plan, &err), 0);
	json_decref(body);
	json_decref(plan);

	svc_fixture_location(&w->f, "s1", buf, sizeof(buf));
	assert_string_not_equal(buf, "");
	assert_string_not_equal(buf, s1_was);
	assert_string_not_equal(buf, avoid);
	assert_string_not_equal(buf, s0_was);
	assert_string_equal(svc_fixture_location(&w->f, "s0", buf, sizeof(buf)), s0_was);
	assert_true(reserved(&w->f, "s0"));
	assert_false(reserved(&w->f, "s1")); /* Nova reserves it anew */

	/* its hold's clock started at the migration, not at the plan */
	assert_int_equal(sweep_at(&w->f, T0 + 30000 + TTL_S * 1000 - 1), 0);
	assert_int_equal(sweep_at(&w->f, T0 + 30000 + TTL_S * 1000), 1);
	assert_string_equal(svc_fixture_location(&w->f, "s1", buf, sizeof(buf)), "");
}

static void test_replan_moves_one_server_among_the_candidates(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	char s0_was[64], s1_was[64], buf[64], list[128];
	const char *cands[2];
	size_t n = 0;

	assert_int_equal(create(&w->f, "stack-a", 2, &err), 0);
	svc_fixture_location(&w->f, "s0", s0_was, sizeof(s0_was));
	svc_fixture_location(&w->f, "s1", s1_was, sizeof(s1_was));
	snprintf(list, sizeof(list), "[\"%s\"]", s0_was);
	assert_int_equal(reserve(&w->f, "s0", list, NULL, &err), 0);

	/* Nova picked two hosts the plan did not: s1 goes to one of them */
	static const char *const hosts[] = { "qos101", "qos102", "qos103", "qos104" };
	for (size_t i = 0; i < 4 && n < 2; i++) {
		if (strcmp(hosts[i], s0_was) != 0 && strcmp(hosts[i], s1_was) != 0)
			cands[n++] = hosts[i];
	}
	snprintf(list, sizeof(list), "[\"%s\", \"%s\", \"not-in-the-inventory\"]", cands[0],
		 cands[1]);
	w->f.now_ms = T0 + 20000;
	assert_int_equal(reserve(&w->f, "s1", list, NULL, &err), 0);
	svc_fixture_location(&w->f, "s1", buf, sizeof(buf));
	assert_true(strcmp(buf, cands[0]) == 0 || strcmp(buf, cands[1]) == 0);
	assert_true(reserved(&w->f, "s1"));
	assert_string_equal(svc_fixture_location(&w->f, "s0", buf, sizeof(buf)), s0_was);
	/* reserved servers keep their hold */
	assert_int_equal(sweep_at(&w->f, T0 + 100 * TTL_S * 1000), 0);
}

static void test_replan_to_unknown_hosts_changes_nothing(void **state)
{
	svc_world_t *w = *state;
	vlt_err_t err = { 0 };
	char before[64], buf[64];

	assert_int_equal(create(&w->f, "stack-a", 1, &err), 0);
	svc_fixture_location(&w->f, "s0", before, sizeof(before));
	uint64_t entries = vlt__service_applied(w->f.svc);
	assert_int_equal(reserve(&w->f, "s0", "[\"nowhere\"]", "replan", &err), VLT_ENOPLACE);
	assert_non_null(strstr(err.msg, "none of the candidate hosts"));
	assert_int_equal(vlt__service_applied(w->f.svc), entries);
	assert_string_equal(svc_fixture_location(&w->f, "s0", buf, sizeof(buf)), before);
	assert_false(reserved(&w->f, "s0"));
}

/* ---- two services on one store */

static void test_two_services_share_the_journal(void **state)
{
	svc_world_t *w = *state;
	svc_fixture_t other;
	vlt_err_t err = { 0 };
	json_t *plan = NULL;

	svc_fixture_open(&other, w->dir, TTL_S, T0);
	assert_int_equal(create(&w->f, "stack-a", 3, &err), 0);
	/* the other one catches up before answering */
	assert_int_equal(vlt__service_plan_get(other.svc, "stack-a", &plan, &err), 0);
	json_decref(plan);
	/* and holds what the first holds: 5 hosts left, not 8 */
	assert_int_equal(create(&other, "stack-b", 6, &err), VLT_ENOPLACE);
	assert_int_equal(create(&other, "stack-b", 5, &err), 0);
	assert_int_equal(create(&w->f, "stack-c", 1, &err), VLT_ENOPLACE);
	/* a delete through one frees the capacity in the other */
	assert_int_equal(vlt__service_plan_delete(other.svc, "stack-a", &err), 0);
	assert_int_equal(vlt__service_plan_get(w->f.svc, "stack-a", &plan, &err), VLT_ENOENT);
	assert_int_equal(create(&w->f, "stack-c", 3, &err), 0);
	assert_int_equal(vlt__service_plan_get(other.svc, "stack-c", &plan, &err), 0);
	json_decref(plan);
	assert_int_equal(vlt__service_applied(w->f.svc), 4);
	assert_int_equal(vlt__service_applied(other.svc), 4);
	svc_fixture_close(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holds_expire_at_their_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expiry_survives_a_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_moves_one_server_and_restarts_its_clock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_replan_moves_one_server_among_the_candidates,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_replan_to_unknown_hosts_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_services_share_the_journal, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
