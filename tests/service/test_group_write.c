/*
 * test_group_write.c - plan creations through group commit from many
 * threads of two services sharing one sqlite store (two valetd): the last
 * capacity goes to exactly as many plans as fit, never twice; the same
 * stack asked from two threads makes one plan; a third service replaying
 * the store sees every acknowledged plan, once, and nothing else.
 * Reservations on the planned host share commits with creations: each is
 * stored once, and two resources racing for one placement get it for one
 * of them only.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "service_fixture.h"
#include "service_int.h"

#define T0 946684800000
#define THREADS 4	/* per service */
#define ATTEMPTS 12	/* per thread */
#define CAPACITY 32	/* 8 hosts of 4 vCPU, m1.small is 1 */

struct writer {
	svc_fixture_t *f;
	int id;
	int created, full, other; /* what the answers were */
	int other_rc;
};

static void *create_many(void *arg)
{
	struct writer *w = arg;

	for (int k = 0; k < ATTEMPTS; k++) {
		char stack[32], prefix[40];
		vlt_err_t err = { 0 };
		json_t *plan = NULL;

		/* stack "dup-k" is asked by every writer: one plan, whoever is first */
		if (k == 0)
			snprintf(stack, sizeof(stack), "dup");
		else
			snprintf(stack, sizeof(stack), "s%d-%d", w->id, k);
		snprintf(prefix, sizeof(prefix), "%s-vm", stack);
		json_t *req = svc_fixture_request(stack, prefix, 1, "m1.small");
		int rc = vlt__service_plan_create(w->f->svc, req, NULL, &plan, &err);

		json_decref(req);
		json_decref(plan);
		if (rc == 0 && k > 0)
			w->created++;
		else if (rc == VLT_ENOPLACE)
			w->full++;
		else if (rc != 0)
			w->other++, w->other_rc = rc;
	}
	return NULL;
}

static int count_plans(svc_fixture_t *f)
{
	json_t *plans = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__service_plans(f->svc, &plans, &err), 0);
	int n = (int)json_array_size(json_object_get(plans, "plans"));
	json_decref(plans);
	return n;
}

static void test_many_writers_two_services(void **state)
{
	char dir[64];
	svc_fixture_t f[2], replay;
	struct writer w[2 * THREADS];
	pthread_t t[2 * THREADS];
	int created = 0;

	(void)state;
	svc_fixture_dir(dir);
	svc_fixture_open(&f[0], dir, 0, T0);
	svc_fixture_open(&f[1], dir, 0, T0);
	for (int i = 0; i < 2 * THREADS; i++) {
		w[i] = (struct writer){ .f = &f[i % 2], .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, create_many, &w[i]), 0);
	}
	for (int i = 0; i < 2 * THREADS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].other > 0)
			fail_msg("writer %d: %d answers neither created nor full (last %d)", i,
				 w[i].other, w[i].other_rc);
		created += w[i].created;
	}
	/* "dup" took one place; the rest went to exactly as many plans as fit */
	assert_int_equal(created + 1, CAPACITY);
	for (int i = 0; i < 2; i++) /* how much sharing there was: a figure, not a check */
		print_message("    service %d: %llu entries in %llu commits\n", i,
			      (unsigned long long)f[i].svc->gc.n_entries,
			      (unsigned long long)f[i].svc->gc.n_batches);
	svc_fixture_open(&replay, dir, 0, T0);
	assert_int_equal(count_plans(&replay), CAPACITY);
	assert_int_equal(count_plans(&f[0]), CAPACITY);
	assert_int_equal(count_plans(&f[1]), CAPACITY);
	assert_int_equal(vlt__service_applied(replay.svc), CAPACITY);
	svc_fixture_close(&replay);
	svc_fixture_close(&f[1]);
	svc_fixture_close(&f[0]);
	svc_fixture_rmdir(dir);
}

#define RESERVED 8 /* plans whose one server is reserved, one thread each */

struct reserver {
	svc_fixture_t *f;
	char orch[32], resource[32];
	int rc;
};

static void *reserve_one(void *arg)
{
	struct reserver *r = arg;
	char loc[128];
	vlt_err_t err = { 0 };
	json_t *answer = NULL;

	svc_fixture_location(r->f, r->orch, loc, sizeof(loc));
	json_t *body = json_pack("{s:[s], s:s}", "locations", loc, "resource_id", r->resource);
	r->rc = vlt__service_placement_reserve(r->f->svc, r->orch, body, &answer, &err);
	json_decref(body);
	json_decref(answer);
	return NULL;
}

static void assert_reserved_by(svc_fixture_t *f, const char *orch, const char *resource)
{
	json_t *pl = svc_fixture_placement(f, orch);

	assert_true(json_is_true(json_object_get(pl, "reserved")));
	assert_string_equal(json_string_value(json_object_get(pl, "resource_id")), resource);
	json_decref(pl);
}

static void test_reservations_join_creations(void **state)
{
	char dir[64];
	svc_fixture_t f, replay;
	struct reserver r[RESERVED + 1];
	struct writer w[2];
	pthread_t t[RESERVED + 3];
	vlt_err_t err = { 0 };

	(void)state;
	svc_fixture_dir(dir);
	svc_fixture_open(&f, dir, 0, T0);
	for (int i = 0; i < RESERVED; i++) {
		char stack[16], prefix[16];
		json_t *plan = NULL;

		snprintf(stack, sizeof(stack), "p%d", i);
		snprintf(prefix, sizeof(prefix), "p%d-vm", i);
		json_t *req = svc_fixture_request(stack, prefix, 1, "m1.small");
		assert_int_equal(vlt__service_plan_create(f.svc, req, NULL, &plan, &err), 0);
		json_decref(req);
		json_decref(plan);
		r[i] = (struct reserver){ .f = &f };
		snprintf(r[i].orch, sizeof(r[i].orch), "p%d-vm0", i);
		snprintf(r[i].resource, sizeof(r[i].resource), "vm-%d", i);
	}
	/* a rival resource for p0's server, racing vm-0 */
	r[RESERVED] = (struct reserver){ .f = &f, .orch = "p0-vm0", .resource = "rival" };
	for (int i = 0; i < 2; i++) {
		w[i] = (struct writer){ .f = &f, .id = 10 + i };
		assert_int_equal(pthread_create(&t[RESERVED + 1 + i], NULL, create_many, &w[i]), 0);
	}
	for (int i = 0; i <= RESERVED; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reserve_one, &r[i]), 0);
	for (int i = 0; i < RESERVED + 3; i++)
		pthread_join(t[i], NULL);
	for (int i = 1; i < RESERVED; i++)
		assert_int_equal(r[i].rc, 0);
	/* exactly one of the two resources holds p0's server */
	assert_true((r[0].rc == 0) != (r[RESERVED].rc == 0));
	assert_int_equal(r[0].rc == 0 ? r[RESERVED].rc : r[0].rc, VLT_ECONFLICT);
	const char *p0_holder = r[0].rc == 0 ? "vm-0" : "rival";
	/* the writers' plans, "dup" once among them */
	int created = count_plans(&f) - RESERVED;
	assert_int_equal(created, w[0].created + w[1].created + 1);
	assert_int_equal(w[0].other + w[1].other, 0);
	print_message("    %llu entries in %llu commits\n", (unsigned long long)f.svc->gc.n_entries,
		      (unsigned long long)f.svc->gc.n_batches);
	/* every creation and reservation stored once: the replay sees the same */
	svc_fixture_open(&replay, dir, 0, T0);
	assert_int_equal(vlt__service_applied(replay.svc), vlt__service_applied(f.svc));
	assert_int_equal(vlt__service_applied(replay.svc), RESERVED + created + RESERVED);
	for (int i = 0; i < RESERVED; i++)
		assert_reserved_by(&replay, r[i].orch, i == 0 ? p0_holder : r[i].resource);
	svc_fixture_close(&replay);
	svc_fixture_close(&f);
	svc_fixture_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_writers_two_services),
		cmocka_unit_test(test_reservations_join_creations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
