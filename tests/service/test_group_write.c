/*
 * test_group_write.c - plan creations through group commit from many
 * threads of two services sharing one sqlite store (two valetd): the last
 * capacity goes to exactly as many plans as fit, never twice; the same
 * stack asked from two threads makes one plan; a third service replaying
 * the store sees every acknowledged plan, once, and nothing else.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_writers_two_services),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
