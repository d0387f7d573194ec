/*
 * test_api_resv_race.c - reservations racing over real HTTP never
 * over-commit a host at any time. Eight client threads create
 * reservations of two m1.medium servers over overlapping windows (and a
 * few plans with no end), against one valetd, then against two valetd on
 * one store (a shared sqlite file; the mongodb store on the project's test
 * server). Then, from what GET /v1/reservations and GET /v1/plans report,
 * at every time a window starts, each host holds no more than its
 * capacity: the servers of the reservations whose window holds that time,
 * plus those of the plans that never end.
 *
 * The inventory (tests/data/api/inventory.json): eight hosts of 4 vCPUs,
 * no overcommit; m1.medium takes 2, so two fit per host.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api_helpers.h"
#include "clock.h"
#include "mongo_test_server.h"

#define N_THREADS 8
#define PER_THREAD 6
#define N_WINDOWS 6 /* window k: 2090-01-01, hours k to k + 2 */
#define SLOTS_PER_HOST 2
#define WINDOW0_MS 3786825600000LL /* 2090-01-01T00:00:00Z */
#define HOUR_MS 3600000LL

static valetd_t daemons[2];

struct racer {
	int thread;
	const valetd_t *d;
	int created; /* 201s */
};

static void window_text(int k, int hours, char *buf, size_t size)
{
	vlt__time_format_rfc3339(WINDOW0_MS + (k + hours) * HOUR_MS, buf, size);
}

static void *racer_main(void *arg)
{
	struct racer *r = arg;

	for (int j = 0; j < PER_THREAD; j++) {
		char stack[64], start[40], end[40];
		int k = (r->thread + j) % N_WINDOWS;
		char *body;
		const char *path = "/v1/reservations";

		snprintf(stack, sizeof(stack), "race-%d-%d", r->thread, j);
		window_text(k, 0, start, sizeof(start));
		window_text(k, 2, end, sizeof(end));
		if (j == PER_THREAD - 1 && r->thread % 4 == 0) { /* a plan that never ends */
			body = api_stack(stack, 1, "m1.medium", NULL);
			path = "/v1/plans";
		} else {
			body = api_reservation(stack, 2, "m1.medium", start, end);
		}
		long st = api_call(r->d, "POST", path, body, NULL, NULL);
		free(body);
		if (st == 201)
			r->created++;
		else if (st != 409)
			fail_msg("POST %s %s: %ld", path, stack, st);
	}
	return NULL;
}

/* Race from N_THREADS threads, spread over the n daemons. RET how many were created. */
static int race(int n)
{
	pthread_t t[N_THREADS];
	struct racer r[N_THREADS];
	int created = 0;

	for (int i = 0; i < N_THREADS; i++) {
		r[i] = (struct racer){ i, &daemons[i % n], 0 };
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, &r[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++) {
		pthread_join(t[i], NULL);
		created += r[i].created;
	}
	return created;
}

/* A holding of one host: servers, over [start, end) (INT64_MIN/MAX: open). */
struct holding {
	char host[64];
	int64_t start, end;
};

static size_t add_placements(struct holding *h, size_t n, size_t cap, const json_t *placements,
			     int64_t start, int64_t end)
{
	const char *k;
	json_t *pl;

	json_object_foreach((json_t *)placements, k, pl) {
		const char *host = json_string_value(json_object_get(pl, "location"));

		assert_non_null(host);
		assert_true(n < cap);
		snprintf(h[n].host, sizeof(h[n].host), "%s", host);
		h[n].start = start;
		h[n].end = end;
		n++;
	}
	return n;
}

/* Every server held, with its interval, from what d reports. RET how many. */
static size_t holdings(const valetd_t *d, struct holding *h, size_t cap)
{
	api_reply_t rep, prep;
	size_t n = 0, i;
	json_t *r;

	json_t *resv = json_object_get(api_expect(d, "GET", "/v1/reservations", NULL, 200, &rep),
				       "reservations");
	json_t *ids = json_object();
	json_array_foreach(resv, i, r) {
		int64_t start, end;

		assert_true(vlt__time_parse_rfc3339(json_string_value(json_object_get(r, "start")),
						    &start));
		assert_true(vlt__time_parse_rfc3339(json_string_value(json_object_get(r, "end")),
						    &end));
		n = add_placements(h, n, cap, json_object_get(r, "placements"), start, end);
		json_object_set_new(ids, json_string_value(json_object_get(r, "id")), json_true());
	}
	json_t *plans = json_object_get(api_expect(d, "GET", "/v1/plans", NULL, 200, &prep),
					"plans");
	json_array_foreach(plans, i, r) {
		if (json_object_get(ids, json_string_value(json_object_get(r, "id"))) == NULL)
			n = add_placements(h, n, cap, json_object_get(r, "placements"), INT64_MIN,
					   INT64_MAX);
	}
	json_decref(ids);
	api_reply_free(&rep);
	api_reply_free(&prep);
	return n;
}

/* At every start, no host holds more than SLOTS_PER_HOST servers. */
static void assert_never_over_committed(const valetd_t *d)
{
	struct holding h[N_THREADS * PER_THREAD * 2];
	size_t n = holdings(d, h, sizeof(h) / sizeof(h[0]));

	/* a host's most is reached at the start of one of its holdings */
	for (size_t a = 0; a < n; a++) {
		int64_t t = h[a].start;
		int on_host = 0;

		for (size_t c = 0; c < n; c++)
			on_host += strcmp(h[c].host, h[a].host) == 0 && h[c].start <= t &&
				   t < h[c].end;
		if (on_host > SLOTS_PER_HOST)
			fail_msg("host %s holds %d servers at %lld (capacity %d)", h[a].host,
				 on_host, (long long)t, SLOTS_PER_HOST);
	}
	printf("  %zu servers held, no host over its capacity at any start\n", n);
}

static void stop_all(int n)
{
	for (int i = n; i-- > 0;)
		valetd_stop_and_remove(&daemons[i], SIGTERM);
}

static void test_threads_on_one_valetd(void **state)
{
	char dir[256];
	(void)state;

	api_tmpdir(dir, sizeof(dir), "resv-race");
	assert_int_equal(valetd_start(&daemons[0], dir, NULL), 0);
	assert_true(race(1) > 0);
	assert_never_over_committed(&daemons[0]);
	stop_all(1);
}

/* Two valetd on the store conf names; both answer, the first checked. */
static void two_valetd(const char *conf)
{
	char dir[2][256];

	for (int i = 0; i < 2; i++) {
		api_tmpdir(dir[i], sizeof(dir[i]), i == 0 ? "resv-race-a" : "resv-race-b");
		assert_int_equal(valetd_start(&daemons[i], dir[i], conf), 0);
	}
	assert_true(race(2) > 0);
	assert_never_over_committed(&daemons[0]);
	assert_never_over_committed(&daemons[1]);
	stop_all(2);
}

static void test_two_valetd_on_one_sqlite_file(void **state)
{
	char shared[256], conf[600];
	(void)state;

	api_tmpdir(shared, sizeof(shared), "resv-race-db");
	snprintf(conf, sizeof(conf), "store: { sqlite: { file = \"%s/valet.db\"; }; };\n", shared);
	two_valetd(conf);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", shared);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", shared);
}

static void test_two_valetd_on_mongodb(void **state)
{
	char conf[1600];
	(void)state;

	if (mongo_test_shared() == NULL) {
		print_message("SKIP: no MongoDB test server: %s\n", mongo_test_shared_why());
		skip();
	}
	snprintf(conf, sizeof(conf),
		 "modules: { store = \"mongodb\"; };\n"
		 "store: { mongodb: { uri = \"%s\"; database = \"valet_race_%d\"; }; };\n",
		 mongo_test_shared()->uri, (int)getpid());
	two_valetd(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_on_one_valetd),
		cmocka_unit_test(test_two_valetd_on_one_sqlite_file),
		cmocka_unit_test(test_two_valetd_on_mongodb),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, mongo_test_shared_start, mongo_test_shared_stop);
	curl_global_cleanup();
	return rc;
}
