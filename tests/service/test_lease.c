/*
 * test_lease.c - the periodic work's lease among several services on one
 * store (sqlite here; tests/cluster runs valetd on MongoDB): the first
 * takes it at once, the others see who holds it; renewals keep it; an
 * expired lease is taken over at the next term and its old holder gives
 * the work up; a released one is taken at once; the sweeper expires holds
 * only on the holder, exactly once, and so does the reservations' sweeper
 * end them. Each fixture's clock is stepped by
 * the test, so expiry needs no sleep; only the sweeper's own thread is
 * waited for, with a generous timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "service_fixture.h"

#define T0 946684800000
#define LEASE_S 9 /* renewal every 3 s; held without renewal for 6 s */
#define TTL_S 60

struct world {
	char dir[64];
	svc_fixture_t a, b;
};

static void open_leased(svc_fixture_t *f, const char *dir)
{
	vlt_service_opts_t so = { .hold_ttl_s = TTL_S, .lease_s = LEASE_S };

	svc_fixture_open_with(f, dir, VLT_TEST_DATA "/api/inventory.json", so, T0);
}

static int setup(void **state)
{
	static struct world w;

	memset(&w, 0, sizeof(w));
	svc_fixture_dir(w.dir);
	open_leased(&w.a, w.dir);
	open_leased(&w.b, w.dir);
	*state = &w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	svc_fixture_close(&w->b);
	svc_fixture_close(&w->a);
	svc_fixture_rmdir(w->dir);
	return 0;
}

/* Both fixtures' clocks at t. */
static void at(struct world *w, int64_t t)
{
	w->a.now_ms = w->b.now_ms = t;
}

/* The status's "lease" object of f (a new reference). */
static json_t *lease_status(svc_fixture_t *f)
{
	json_t *st = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_status(f->svc, &st, &err) < 0)
		fail_msg("status: %s", err.msg);
	json_t *l = json_incref(json_object_get(json_object_get(st, "status"), "lease"));
	json_decref(st);
	assert_non_null(l);
	return l;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

/* Does b's status name a's own id as the holder? */
static void assert_holder(svc_fixture_t *holder, svc_fixture_t *other)
{
	json_t *h = lease_status(holder), *o = lease_status(other);

	assert_true(json_is_true(json_object_get(h, "held")));
	assert_false(json_is_true(json_object_get(o, "held")));
	assert_string_equal(str_of(h, "holder"), str_of(h, "self"));
	assert_string_equal(str_of(o, "holder"), str_of(h, "self"));
	assert_string_not_equal(str_of(o, "self"), str_of(h, "self"));
	json_decref(h);
	json_decref(o);
}

static void test_first_takes_it_the_other_sees_it(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__service_lease_start(w->a.svc, &err), 0);
	assert_true(vlt__service_lease_held(w->a.svc));
	assert_int_equal(vlt__service_lease_term(w->a.svc), 1);
	vlt__service_lease_tick(w->b.svc);
	assert_false(vlt__service_lease_held(w->b.svc));
	assert_int_equal(vlt__service_lease_term(w->b.svc), 1);
	assert_holder(&w->a, &w->b);
}

static void test_renewals_keep_it_expiry_hands_it_over(void **state)
{
	struct world *w = *state;

	vlt__service_lease_tick(w->a.svc); /* taken at T0, until T0 + 9 s */
	/* renewed every 3 s: the other never takes it, the term stays */
	for (int64_t t = T0 + 3000; t <= T0 + 30000; t += 3000) {
		at(w, t);
		vlt__service_lease_tick(w->a.svc);
		vlt__service_lease_tick(w->b.svc);
		assert_true(vlt__service_lease_held(w->a.svc));
		assert_false(vlt__service_lease_held(w->b.svc));
		assert_int_equal(vlt__service_lease_term(w->a.svc), 1);
	}
	/* a stops renewing (last at +30 s): before +39 s the other still waits */
	at(w, T0 + 38999);
	vlt__service_lease_tick(w->b.svc);
	assert_false(vlt__service_lease_held(w->b.svc));
	/* a gave the work up by itself two thirds into the lease: no two holders */
	assert_false(vlt__service_lease_held(w->a.svc));
	at(w, T0 + 39000);
	vlt__service_lease_tick(w->b.svc);
	assert_true(vlt__service_lease_held(w->b.svc));
	assert_int_equal(vlt__service_lease_term(w->b.svc), 2);
	/* a's next look finds b: it stays without the work, at b's term */
	vlt__service_lease_tick(w->a.svc);
	assert_false(vlt__service_lease_held(w->a.svc));
	assert_int_equal(vlt__service_lease_term(w->a.svc), 2);
	assert_holder(&w->b, &w->a);
	json_t *a = lease_status(&w->a), *b = lease_status(&w->b);
	assert_int_equal(json_integer_value(json_object_get(a, "acquired")), 1);
	assert_int_equal(json_integer_value(json_object_get(a, "lost")), 1);
	assert_int_equal(json_integer_value(json_object_get(b, "acquired")), 1);
	json_decref(a);
	json_decref(b);
}

static void test_release_hands_it_over_at_once(void **state)
{
	struct world *w = *state;

	vlt__service_lease_tick(w->a.svc);
	vlt__service_lease_tick(w->b.svc);
	assert_false(vlt__service_lease_held(w->b.svc));
	vlt__service_lease_release(w->a.svc);
	assert_false(vlt__service_lease_held(w->a.svc));
	/* the same instant: no waiting for the lease to expire */
	vlt__service_lease_tick(w->b.svc);
	assert_true(vlt__service_lease_held(w->b.svc));
	assert_int_equal(vlt__service_lease_term(w->b.svc), 2);
	/* released for good: a's looks never take it back, even once b's expires */
	at(w, T0 + 60000);
	vlt__service_lease_tick(w->a.svc);
	assert_false(vlt__service_lease_held(w->a.svc));
	vlt__service_lease_tick(w->b.svc);
	assert_true(vlt__service_lease_held(w->b.svc));
	assert_int_equal(vlt__service_lease_term(w->b.svc), 2);
}

/* How many of stack-a's servers s0, s1 expired, as a service opened anew on the store sees it. */
static size_t expired_servers(const char *dir)
{
	svc_fixture_t r;
	size_t n = 0;

	svc_fixture_open(&r, dir, TTL_S, T0);
	for (int i = 0; i < 2; i++) {
		char orch[8];

		snprintf(orch, sizeof(orch), "s%d", i);
		json_t *pl = svc_fixture_placement(&r, orch);
		n += json_is_null(json_object_get(pl, "location"));
		json_decref(pl);
	}
	svc_fixture_close(&r);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait (up to 20 s) until f has applied want entries, catching up as a request does. */
static void wait_applied(svc_fixture_t *f, uint64_t want)
{
	for (int i = 0; i < 1000 && vlt__service_applied(f->svc) < want; i++) {
		vlt_err_t err = { 0 };
		json_t *plans = NULL;

		sleep_ms(20);
		vlt__service_plans(f->svc, &plans, &err);
		json_decref(plans);
	}
}

static void test_only_the_holder_sweeps(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	assert_int_equal(svc_fixture_create(&w->a, "stack-a", "s", 2, &err), 0);
	/* the holds are due; b holds the lease, a sweeps every 10 ms */
	at(w, T0 + (TTL_S + 1) * 1000);
	vlt__service_lease_tick(w->b.svc);
	vlt__service_lease_tick(w->a.svc);
	assert_true(vlt__service_lease_held(w->b.svc));
	assert_false(vlt__service_lease_held(w->a.svc));
	assert_int_equal(vlt__service_sweeper_start(w->a.svc, 10, &err), 0);
	sleep_ms(500); /* some 50 sweeps a holder would have made */
	wait_applied(&w->a, 1);
	assert_int_equal(vlt__service_applied(w->a.svc), 1);
	assert_int_equal(expired_servers(w->dir), 0);
	/* b stops cleanly: a takes the lease, and its sweeper expires the holds */
	vlt__service_lease_release(w->b.svc);
	vlt__service_lease_tick(w->a.svc);
	assert_true(vlt__service_lease_held(w->a.svc));
	wait_applied(&w->a, 2);
	assert_int_equal(expired_servers(w->dir), 2);
	/* one plan, one expire entry for both its servers, and nothing more */
	sleep_ms(100);
	wait_applied(&w->b, 2);
	assert_int_equal(vlt__service_applied(w->a.svc), 2);
	assert_int_equal(vlt__service_applied(w->b.svc), 2);
}

/* A reservation of two large servers over [T0, T0 + 1 h): "now" on a's clock. */
static void reserve_first_hour(svc_fixture_t *f)
{
	json_t *req = svc_fixture_request("resv", "r", 2, "m1.large");
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	json_object_set_new(req, "start", json_string("now"));
	json_object_set_new(req, "end", json_string("2000-01-01T01:00:00Z"));
	if (vlt__service_reservation_create(f->svc, req, NULL, &doc, &err) < 0)
		fail_msg("reservation: %s", err.msg);
	json_decref(doc);
	json_decref(req);
}

static void test_only_the_holder_ends_reservations(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	reserve_first_hour(&w->a);
	/* its end passed; b holds the lease, a sweeps reservations every 10 ms */
	at(w, T0 + 3600 * 1000);
	vlt__service_lease_tick(w->b.svc);
	vlt__service_lease_tick(w->a.svc);
	assert_true(vlt__service_lease_held(w->b.svc));
	assert_int_equal(vlt__service_reservations_start(w->a.svc, 10, &err), 0);
	sleep_ms(500);
	wait_applied(&w->a, 1);
	assert_int_equal(vlt__service_applied(w->a.svc), 1);
	/* b stops cleanly: a takes the lease and ends it, with one entry */
	vlt__service_lease_release(w->b.svc);
	vlt__service_lease_tick(w->a.svc);
	assert_true(vlt__service_lease_held(w->a.svc));
	wait_applied(&w->a, 2);
	sleep_ms(100);
	wait_applied(&w->b, 2);
	assert_int_equal(vlt__service_applied(w->a.svc), 2);
	assert_int_equal(vlt__service_applied(w->b.svc), 2);
	json_t *doc = NULL;
	assert_int_equal(vlt__service_reservation_get(w->b.svc, "resv", &doc, &err), 0);
	assert_true(json_is_true(json_object_get(json_object_get(doc, "reservation"), "released")));
	json_decref(doc);
}

static void test_no_lease_does_the_work_itself(void **state)
{
	svc_fixture_t f;
	char dir[64];
	vlt_err_t err = { 0 };
	(void)state;

	svc_fixture_dir(dir);
	svc_fixture_open(&f, dir, TTL_S, T0); /* lease_s 0: tests, embedded uses */
	assert_int_equal(vlt__service_lease_start(f.svc, &err), 0);
	assert_true(vlt__service_lease_held(f.svc));
	json_t *l = lease_status(&f);
	assert_false(json_is_true(json_object_get(l, "enabled")));
	json_decref(l);
	svc_fixture_close(&f);
	svc_fixture_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_takes_it_the_other_sees_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_renewals_keep_it_expiry_hands_it_over, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_release_hands_it_over_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_only_the_holder_sweeps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_the_holder_ends_reservations, setup,
						teardown),
		cmocka_unit_test(test_no_lease_does_the_work_itself),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
