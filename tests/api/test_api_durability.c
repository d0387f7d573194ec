/*
 * test_api_durability.c - kill -9 in the middle of a burst, with the
 * sqlite store. A client process (eight threads) creates one-server plans
 * and reserves each, writing down every 201 it gets; valetd is SIGKILLed
 * once a few have been acknowledged, while requests are in flight, and is
 * started again on the same data directory. Then:
 *  - every acknowledged plan is there, once, where it was acknowledged;
 *  - every acknowledged reservation is there, with its resource id;
 *  - no stack has two plans, no server two placements; at most the
 *    requests in flight went further than their answers said;
 *  - the capacity held is exactly what the plans there hold: a plan of
 *    all the free servers fits, one more server does not.
 * Three rounds, killed after 3, 9 and 17 acknowledgements; then the same
 * with a snapshot every two entries (service.snapshot_every), one taken
 * before the burst, so that the kill may fall in the middle of one and the
 * restart reads one and the entries after it, on the
 * sqlite store and on the mongodb store (VALET_TEST_MONGODB_URI, else the
 * project's test server, tests/mongo/mockmongod.py).
 *
 * The same rounds with reservations (POST /v1/reservations) instead of
 * plans, on both stores, killed with SIGKILL and, once, stopped with
 * SIGTERM: half of them pending (a window in 2090), half active (from
 * "now"), only the active ones reserved (a pending one's reserve is
 * refused). All the windows overlap, so the capacity they hold together
 * is what a plan with no end finds taken. After the restart each is there
 * once, in its status, acknowledged reservations of servers kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api_helpers.h"
#include "mongo_test_server.h"

#define N_PLANS 28 /* one m1.small each; the inventory holds 32 */
#define CAPACITY 32
#define N_THREADS 8 /* more writers than HTTP threads: entries queue for a shared commit */

static valetd_t d;

/* The rounds' requests: plans, or reservations (half pending, half active) instead. */
static bool with_reservations;
#define WINDOW_START "2090-01-01T00:00:00Z"
#define WINDOW_END "2090-01-02T00:00:00Z"
/* Reservation i: the odd ones from now (active, reserved), the even ones later (pending). */
#define ACTIVE(i) ((i) % 2 == 1)

struct client {
	int ack_fd;
	int thread;
};

/* "KIND STACK WHAT\n" */
static void ack(int fd, char kind, const char *a, const char *b)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%c %s %s\n", kind, a, b);

	/* one write per line on an O_APPEND file: lines never interleave */
	if (n > 0 && write(fd, line, (size_t)n) != n)
		_exit(3);
}

static void *client_thread(void *arg)
{
	struct client *c = arg;

	for (int i = c->thread; i < N_PLANS; i += N_THREADS) {
		char stack[64], orch[80], path[128], body[256], rid[64];
		api_reply_t rep;

		snprintf(stack, sizeof(stack), "dur-%02d", i);
		char *req = with_reservations
				    ? api_reservation(stack, 1, "m1.small",
						      ACTIVE(i) ? "now" : WINDOW_START, WINDOW_END)
				    : api_stack(stack, 1, "m1.small", NULL);
		long st = api_call(&d, "POST", with_reservations ? "/v1/reservations" : "/v1/plans",
				   req, NULL, &rep);
		free(req);
		if (st != 201) {
			api_reply_free(&rep);
			return NULL; /* valetd is gone */
		}
		snprintf(orch, sizeof(orch), "%s-s0", stack);
		const char *loc = json_string_value(json_object_get(
			json_object_get(json_object_get(json_object_get(rep.doc, with_reservations
										 ? "reservation"
										 : "plan"),
							"placements"),
					orch),
			"location"));
		char host[64];
		snprintf(host, sizeof(host), "%s", loc != NULL ? loc : "?");
		api_reply_free(&rep);
		ack(c->ack_fd, 'P', stack, host);
		if (with_reservations && !ACTIVE(i))
			continue; /* reservable from its start only */

		snprintf(path, sizeof(path), "/v1/placements/%s", orch);
		snprintf(rid, sizeof(rid), "nova-%02d", i);
		snprintf(body, sizeof(body), "{\"locations\": [\"%s\"], \"resource_id\": \"%s\"}",
			 host, rid);
		if (api_call(&d, "POST", path, body, NULL, NULL) != 201)
			return NULL;
		ack(c->ack_fd, 'R', stack, rid);
	}
	return NULL;
}

/* The client process: N_THREADS threads of requests, then exit. */
static pid_t start_client(const char *ack_path)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	int fd = open(ack_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		_exit(2);
	struct client c[N_THREADS];
	pthread_t t[N_THREADS];
	for (int i = 0; i < N_THREADS; i++) {
		c[i] = (struct client){ fd, i };
		pthread_create(&t[i], NULL, client_thread, &c[i]);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	close(fd);
	_exit(0);
}

static int count_lines(const char *path, char kind)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += line[0] == kind;
	fclose(f);
	return n;
}

/* Each reservation there is in its status, with its window (plans: stack -> location). */
static void check_statuses(const json_t *plans)
{
	api_reply_t rep;
	size_t i;
	json_t *r;

	json_t *doc = api_expect(&d, "GET", "/v1/reservations", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "reservations")),
			 json_object_size(plans));
	json_array_foreach(json_object_get(doc, "reservations"), i, r) {
		const char *stack = json_string_value(json_object_get(r, "stack_id"));
		int n = atoi(stack + strlen("dur-"));
		const char *status = json_string_value(json_object_get(r, "status"));

		if (strcmp(status, ACTIVE(n) ? "active" : "pending") != 0)
			fail_msg("reservation %s is %s after the restart", stack, status);
		assert_string_equal(json_string_value(json_object_get(r, "end")), WINDOW_END);
	}
	api_reply_free(&rep);
}

static void check_after_restart(const char *ack_path)
{
	api_reply_t rep;
	json_t *plans = json_object();
	size_t i;
	json_t *p;

	/* what is there: stack -> location, each stack once */
	json_t *doc = api_expect(&d, "GET", "/v1/plans", NULL, 200, &rep);
	json_array_foreach(json_object_get(doc, "plans"), i, p) {
		const char *stack = json_string_value(json_object_get(p, "stack_id"));
		json_t *pl = json_object_get(p, "placements");

		if (json_object_get(plans, stack) != NULL)
			fail_msg("stack %s has two plans", stack);
		assert_int_equal(json_object_size(pl), 1);
		const char *k;
		json_t *v;
		json_object_foreach(pl, k, v) {
			json_object_set(plans, stack, json_object_get(v, "location"));
		}
	}
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/placements", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "placements")),
			 json_object_size(plans));
	api_reply_free(&rep);

	/* every acknowledgement holds */
	FILE *f = fopen(ack_path, "r");
	char line[256];
	int acked_plans = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char kind, stack[64], what[64], path[128];

		if (sscanf(line, "%c %63s %63s", &kind, stack, what) != 3)
			fail_msg("bad ack line: %s", line);
		json_t *loc = json_object_get(plans, stack);
		if (loc == NULL)
			fail_msg("acknowledged plan %s is gone after the restart", stack);
		if (kind == 'P') {
			acked_plans++;
			assert_string_equal(json_string_value(loc), what);
			continue;
		}
		snprintf(path, sizeof(path), "/v1/placements/%s-s0", stack);
		json_t *pj =
			json_object_get(api_expect(&d, "GET", path, NULL, 200, &rep), "placement");
		if (!json_is_true(json_object_get(pj, "reserved")))
			fail_msg("acknowledged reservation of %s is gone: %s", stack, rep.body);
		assert_string_equal(json_string_value(json_object_get(pj, "resource_id")), what);
		api_reply_free(&rep);
	}
	fclose(f);
	if (with_reservations)
		check_statuses(plans);
	/* at most the requests in flight went further than their answers */
	int held = (int)json_object_size(plans);
	assert_true(held >= acked_plans);
	assert_true(held <= acked_plans + N_THREADS);
	json_decref(plans);

	/* exactly the free capacity is free */
	int free_slots = CAPACITY - held;
	char *body = api_stack("probe-over", free_slots + 1, "m1.small", NULL);
	assert_int_equal(api_call(&d, "POST", "/v1/plans", body, NULL, &rep), 409);
	api_reply_free(&rep);
	free(body);
	if (free_slots > 0) {
		body = api_stack("probe-fit", free_slots, "m1.small", NULL);
		if (api_call(&d, "POST", "/v1/plans", body, NULL, &rep) != 201)
			fail_msg("a plan of the %d free servers does not fit: %s", free_slots,
				 rep.body);
		api_reply_free(&rep);
		free(body);
	}
	printf("  acknowledged %d plans, %d reservations; %d held after the restart\n", acked_plans,
	       count_lines(ack_path, 'R'), held);
}

/* The journal entry of the snapshot valetd read or wrote last (GET /metrics), 0: none. */
static long snapshot_entry(void)
{
	api_reply_t rep;
	long entry = -1;

	assert_int_equal(api_call(&d, "GET", "/metrics", NULL, NULL, &rep), 200);
	const char *line = rep.body != NULL ? strstr(rep.body, "\nvalet_snapshot_entry ") : NULL;
	if (line != NULL)
		entry = strtol(line + strlen("\nvalet_snapshot_entry "), NULL, 10);
	api_reply_free(&rep);
	assert_true(entry >= 0);
	return entry;
}

/*
 * Two entries that leave no plan (a group created and deleted), then wait
 * until valetd has a snapshot of them: a restart then always has one to
 * read, whether or not a later one was cut short by the kill.
 */
static void snapshot_first(void)
{
	api_reply_t rep;
	char path[128];

	json_t *g = api_expect(&d, "POST", "/v1/groups",
			       "{\"name\": \"warm-up\", \"type\": \"diversity\"}", 201, &rep);
	snprintf(path, sizeof(path), "/v1/groups/%s", json_string_value(json_object_get(g, "id")));
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "DELETE", path, NULL, NULL, NULL), 204);
	for (int i = 0; i < 3000 && snapshot_entry() < 2; i++)
		api_sleep_ms(10);
	assert_true(snapshot_entry() >= 2);
}

/* How valetd is stopped mid-burst. */
static int stop_signal = SIGKILL;

/* One round on a new store (conf: valetd's configuration, NULL: none); RET snapshot_entry() after the restart. */
static long kill_mid_burst(int after_acks, const char *conf)
{
	char dir[256], ack_path[300];

	api_tmpdir(dir, sizeof(dir), "durability");
	snprintf(ack_path, sizeof(ack_path), "%s/acks", dir);
	assert_int_equal(valetd_start(&d, dir, conf), 0);
	if (conf != NULL && strstr(conf, "snapshot_every") != NULL)
		snapshot_first();

	pid_t client = start_client(ack_path);
	for (int i = 0;
	     i < 20000 && count_lines(ack_path, 'P') + count_lines(ack_path, 'R') < after_acks; i++)
		api_sleep_ms(1);
	valetd_stop(&d, stop_signal);
	int status = 0;
	waitpid(client, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the kill came before the burst ended (only the active reservations are reserved) */
	assert_true(count_lines(ack_path, with_reservations ? 'P' : 'R') < N_PLANS);

	assert_int_equal(valetd_start(&d, dir, conf), 0);
	long entry = conf != NULL && strstr(conf, "snapshot_every") != NULL
			     ? snapshot_entry()
			     : 0; /* before anything new is written */
	check_after_restart(ack_path);
	valetd_stop(&d, SIGTERM);

	if (getenv("VALET_TEST_KEEP") == NULL) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return entry;
}

static const int rounds[] = { 3, 9, 17 };
#define N_ROUNDS (sizeof(rounds) / sizeof(rounds[0]))

static void test_kill_9_mid_burst(void **state)
{
	(void)state;

	for (size_t i = 0; i < N_ROUNDS; i++)
		kill_mid_burst(rounds[i], NULL);
}

#define SNAPSHOTS "service: { snapshot_every = 2; };\n"

/* valetd's configuration for a round on a new store of its own. */
typedef void (*round_conf_fn)(char *buf, size_t size);

/* The rounds, each with a new store; every restart reads a snapshot, then the entries after it. */
static void rounds_with_snapshots(round_conf_fn conf_of)
{
	for (size_t i = 0; i < N_ROUNDS; i++) {
		char conf[1600];

		conf_of(conf, sizeof(conf));
		long entry = kill_mid_burst(rounds[i], conf);

		printf("  restarted from the snapshot at entry %ld\n", entry);
		assert_true(entry >= 2);
	}
}

static void sqlite_conf(char *buf, size_t size)
{
	snprintf(buf, size, "%s", SNAPSHOTS); /* the data folder is new each round */
}

/* The mongodb store, a new database each call. */
static void mongodb_store_conf(char *buf, size_t size)
{
	static unsigned n_db;

	snprintf(buf, size,
		 "modules: { store = \"mongodb\"; };\n"
		 "store: { mongodb: { uri = \"%s\"; database = \"valet_dur_%d_%u\"; }; };\n",
		 mongo_test_shared()->uri, (int)getpid(), n_db++);
}

static void mongodb_conf(char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "%s", SNAPSHOTS);

	if (n < size)
		mongodb_store_conf(buf + n, size - n);
}

static void test_kill_9_mid_burst_snapshots(void **state)
{
	(void)state;
	rounds_with_snapshots(sqlite_conf);
}

static void test_kill_9_mid_burst_mongodb_snapshots(void **state)
{
	(void)state;
	if (mongo_test_shared() == NULL) {
		print_message("SKIP: no MongoDB test server: %s\n", mongo_test_shared_why());
		skip();
	}
	rounds_with_snapshots(mongodb_conf);
}

static int reservations_on(void **state)
{
	(void)state;
	with_reservations = true;
	return 0;
}

static int reservations_off(void **state)
{
	(void)state;
	with_reservations = false;
	stop_signal = SIGKILL;
	return 0;
}

static void test_sigterm_mid_burst(void **state)
{
	(void)state;
	stop_signal = SIGTERM;
	kill_mid_burst(rounds[1], NULL);
}

static void test_kill_9_mid_burst_mongodb(void **state)
{
	char conf[1600];
	(void)state;

	if (mongo_test_shared() == NULL) {
		print_message("SKIP: no MongoDB test server: %s\n", mongo_test_shared_why());
		skip();
	}
	for (size_t i = 0; i < N_ROUNDS; i++) {
		mongodb_store_conf(conf, sizeof(conf));
		kill_mid_burst(rounds[i], conf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_9_mid_burst),
		cmocka_unit_test(test_kill_9_mid_burst_snapshots),
		cmocka_unit_test(test_kill_9_mid_burst_mongodb_snapshots),
		cmocka_unit_test_setup_teardown(test_kill_9_mid_burst, reservations_on,
						reservations_off),
		cmocka_unit_test_setup_teardown(test_sigterm_mid_burst, reservations_on,
						reservations_off),
		cmocka_unit_test_setup_teardown(test_kill_9_mid_burst_snapshots, reservations_on,
						reservations_off),
		cmocka_unit_test_setup_teardown(test_kill_9_mid_burst_mongodb, reservations_on,
						reservations_off),
		cmocka_unit_test_setup_teardown(test_kill_9_mid_burst_mongodb_snapshots,
						reservations_on, reservations_off),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, mongo_test_shared_start, mongo_test_shared_stop);
	curl_global_cleanup();
	return rc;
}
