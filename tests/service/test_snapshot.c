/*
 * test_snapshot.c - journal snapshots and compaction, on the sqlite store
 * and on the mongodb store (VALET_TEST_MONGODB_URI, else the project's
 * test server, tests/mongo/mockmongod.py):
 *  - a restart from a snapshot and the entries after it gives the state
 *    the whole history built: plans, placements, groups, and what the
 *    engine holds (GET /v1/topology);
 *  - after many create/delete cycles the store keeps O(live) documents;
 *  - the snapshot thread takes them every snapshot_every entries;
 *  - a valetd that finds entry applied+1 compacted away reads the state
 *    again from the snapshot, and both valetd agree;
 *  - a process ended in the middle of a snapshot (after the first chunk,
 *    after every chunk, after the manifest, after the old snapshots went)
 *    loses nothing, and the next snapshot removes what it left;
 *  - reservations pending, active and ended come back from a snapshot in
 *    their status, the ended one released, and none ends twice.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <valet/store.h>

#include "service_fixture.h"
#include "store_world.h"

#define T0 1893456000000 /* 2030-01-01 */
#define CRASH_EXIT 42

struct world {
	store_world_t sw;
	svc_fixture_t f;
};

static const char *crash_step; /* the step the child process ends at */

static void end_at_step(const char *step)
{
	if (crash_step != NULL && strcmp(step, crash_step) == 0)
		_exit(CRASH_EXIT);
}

static void open_on(struct world *w, svc_fixture_t *f, uint64_t every, size_t chunk_bytes)
{
	vlt_service_opts_t so = { .snapshot_every = every,
				  .snapshot_chunk_bytes = chunk_bytes,
				  .snapshot_step = end_at_step };

	svc_fixture_open_store(f, w->sw.dir, w->sw.store, w->sw.settings, so, T0);
}

static int setup_on(void **state, const char *store)
{
	struct world *w = calloc(1, sizeof(*w));

	if (store_world_init(&w->sw, store, "snap") < 0) {
		free(w);
		w = NULL;
	}
	*state = w;
	return 0;
}

static int setup_sqlite(void **state)
{
	return setup_on(state, "sqlite");
}

static int setup_mongodb(void **state)
{
	return setup_on(state, "mongodb");
}

static int teardown(void **state)
{
	struct world *w = *state;

	if (w == NULL)
		return 0;
	store_world_fini(&w->sw);
	free(w);
	return 0;
}

#define NEED_WORLD(w) STORE_WORLD_NEED(w)

/* ---------------------------------------------------------------- helpers */

/* Everything a client and the engine show: plans, placements, groups, topology (text). */
static char *dump(svc_fixture_t *f)
{
	json_t *plans = NULL, *placements = NULL, *groups = NULL, *topology = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_plans(f->svc, &plans, &err) < 0 ||
	    vlt__service_placements(f->svc, NULL, &placements, &err) < 0 ||
	    vlt__service_groups(f->svc, &groups, &err) < 0 ||
	    vlt__service_topology(f->svc, &topology, &err) < 0)
		fail_msg("reading the state: %s", err.msg);
	json_t *all = json_pack("{s:o, s:o, s:o, s:o}", "plans", plans, "placements", placements,
				"groups", groups, "topology", topology);
	char *text = json_dumps(all, JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(all);
	return text;
}

static void create_small(svc_fixture_t *f, const char *stack, const char *prefix, unsigned n)
{
	json_t *req = svc_fixture_request(stack, prefix, n, "m1.small");
	json_t *plan = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_plan_create(f->svc, req, NULL, &plan, &err) < 0)
		fail_msg("create %s: %s", stack, err.msg);
	json_decref(req);
	json_decref(plan);
}

/* A reservation of n m1.small over [start, end) (RFC 3339 UTC, start maybe "now"). */
static void reserve_window(svc_fixture_t *f, const char *stack, const char *prefix, unsigned n,
			   const char *start, const char *end)
{
	json_t *req = svc_fixture_request(stack, prefix, n, "m1.small");
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	json_object_set_new(req, "start", json_string(start));
	json_object_set_new(req, "end", json_string(end));
	if (vlt__service_reservation_create(f->svc, req, NULL, &doc, &err) < 0)
		fail_msg("reservation %s: %s", stack, err.msg);
	json_decref(req);
	json_decref(doc);
}

static void delete_plan(svc_fixture_t *f, const char *stack)
{
	vlt_err_t err = { 0 };

	if (vlt__service_plan_delete(f->svc, stack, &err) < 0)
		fail_msg("delete %s: %s", stack, err.msg);
}

static void reserve(svc_fixture_t *f, const char *orch, const char *rid)
{
	char host[64];
	json_t *answer = NULL;
	vlt_err_t err = { 0 };

	svc_fixture_location(f, orch, host, sizeof(host));
	json_t *body = json_pack("{s:[s], s:s}", "locations", host, "resource_id", rid);

	if (vlt__service_placement_reserve(f->svc, orch, body, &answer, &err) < 0)
		fail_msg("reserve %s: %s", orch, err.msg);
	json_decref(body);
	json_decref(answer);
}

static void group(svc_fixture_t *f, const char *name)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "name", name, "type", "diversity", "level",
				 "host");
	json_t *g = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_group_create(f->svc, body, &g, &err) < 0)
		fail_msg("group %s: %s", name, err.msg);
	json_decref(body);
	json_decref(g);
}

static void snapshot(svc_fixture_t *f)
{
	vlt_err_t err = { 0 };

	if (vlt__service_snapshot(f->svc, &err) < 0)
		fail_msg("snapshot: %s", err.msg);
}

/* n plans created and deleted again: 2n entries, nothing left of them. */
static void cycles(svc_fixture_t *f, unsigned n, unsigned snapshot_each)
{
	for (unsigned i = 0; i < n; i++) {
		char stack[32];

		snprintf(stack, sizeof(stack), "cyc-%u", i);
		create_small(f, stack, "cyc-s", 1);
		delete_plan(f, stack);
		if (snapshot_each > 0 && (i + 1) % snapshot_each == 0)
			snapshot(f);
	}
}

/* What walk() adds up: documents, or one integer member of each. */
struct sum {
	const char *key; /* NULL: count documents */
	size_t n;
};

static int add_one(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct sum *sum = arg;
	(void)id;
	(void)version;

	sum->n += sum->key == NULL ? 1
				   : (size_t)json_integer_value(json_object_get(doc, sum->key));
	return 0;
}

static size_t walk(svc_fixture_t *f, const char *coll, const char *key)
{
	const vlt_store_ops_t *ops = f->mods.store->ops.store;
	struct sum sum = { key, 0 };
	vlt_err_t err = { 0 };

	if (ops->list(f->mods.store->state, coll, add_one, &sum, &err) < 0)
		fail_msg("list %s: %s", coll, err.msg);
	return sum.n;
}

static size_t count_docs(svc_fixture_t *f, const char *coll)
{
	return walk(f, coll, NULL);
}

/* The chunks the manifests name. */
static size_t named_chunks(svc_fixture_t *f)
{
	return walk(f, "journal_snapshots", "chunks");
}

static bool has_doc(svc_fixture_t *f, const char *coll, const char *id)
{
	const vlt_store_ops_t *ops = f->mods.store->ops.store;
	json_t *doc = NULL;
	int64_t v = 0;
	vlt_err_t err = { 0 };
	int rc = ops->get(f->mods.store->state, coll, id, &doc, &v, &err);

	json_decref(doc);
	return rc == 0;
}

/* Close f and open it again on the same store: what it shows must not change. */
static void restart_same(struct world *w, svc_fixture_t *f)
{
	char *before = dump(f);
	uint64_t applied = vlt__service_applied(f->svc);

	svc_fixture_close(f);
	open_on(w, f, 0, 0);
	char *after = dump(f);

	assert_string_equal(after, before);
	assert_int_equal(vlt__service_applied(f->svc), applied);
	free(before);
	free(after);
}

/* A history worth snapshotting: live plans (one reserved), deleted ones, groups. */
static void some_history(svc_fixture_t *f, const char *tag)
{
	char stack[32], prefix[32], name[32], orch[40];

	for (int i = 0; i < 3; i++) {
		snprintf(stack, sizeof(stack), "%s-live-%d", tag, i);
		snprintf(prefix, sizeof(prefix), "%s-l%d-s", tag, i);
		create_small(f, stack, prefix, 2);
	}
	snprintf(orch, sizeof(orch), "%s-l0-s0", tag);
	reserve(f, orch, "nova-uuid-0");
	snprintf(stack, sizeof(stack), "%s-gone", tag);
	snprintf(prefix, sizeof(prefix), "%s-g-s", tag);
	create_small(f, stack, prefix, 1);
	delete_plan(f, stack);
	snprintf(name, sizeof(name), "%s-grp", tag);
	group(f, name);
}

/* ---------------------------------------------------------------- cases */

static void test_restart_equals_history(void **state)
{
	struct world *w = *state;
	svc_fixture_t *f = &w->f;

	NEED_WORLD(w);
	open_on(w, f, 0, 300); /* small chunks: a snapshot of several documents */
	some_history(f, "a");
	snapshot(f);
	uint64_t first = vlt__service_applied(f->svc);
	cycles(f, 20, 0);
	some_history(f, "b");
	snapshot(f); /* compacts the entries below the first snapshot */
	some_history(f, "c");
	uint64_t applied = vlt__service_applied(f->svc);

	assert_false(has_doc(f, "journal", "00000000000000000001"));
	assert_true(count_docs(f, "journal") < applied - first + 2);
	assert_true(count_docs(f, "journal_snapshot_chunks") > 1);
	assert_int_equal(count_docs(f, "journal_snapshots"), 1);
	restart_same(w, f);
	/* and it goes on from there */
	reserve(f, "c-l1-s0", "nova-uuid-1");
	delete_plan(f, "b-live-2");
	restart_same(w, f);
	svc_fixture_close(f);
}

/* {stack: status, released} of every reservation, as text (free()). */
static char *reservations_text(svc_fixture_t *f)
{
	json_t *doc = NULL, *out = json_object();
	vlt_err_t err = { 0 };
	size_t i;
	json_t *r;

	if (vlt__service_reservations(f->svc, NULL, &doc, &err) < 0)
		fail_msg("reservations: %s", err.msg);
	json_array_foreach(json_object_get(doc, "reservations"), i, r) {
		json_object_set_new(out, json_string_value(json_object_get(r, "stack_id")),
				    json_pack("{s:O, s:O}", "status", json_object_get(r, "status"),
					      "released", json_object_get(r, "released")));
	}
	char *text = json_dumps(out, JSON_SORT_KEYS);
	json_decref(out);
	json_decref(doc);
	return text;
}

/* Pending, active and ended reservations, read back from a snapshot and the entries after it. */
static void test_reservations_from_a_snapshot(void **state)
{
	struct world *w = *state;
	svc_fixture_t *f = &w->f;
	vlt_err_t err = { 0 };
	size_t n = 0;

	NEED_WORLD(w);
	open_on(w, f, 0, 0);
	reserve_window(f, "pend", "pend-s", 2, "2030-01-01T01:00:00Z", "2030-01-01T02:00:00Z");
	reserve_window(f, "act", "act-s", 2, "now", "2030-01-01T01:00:00Z");
	reserve_window(f, "old", "old-s", 2, "now", "2030-01-01T00:30:00Z");
	reserve(f, "act-s0", "nova-uuid-act");
	f->now_ms = T0 + 1800000;
	assert_int_equal(vlt__service_reservations_sweep(f->svc, f->now_ms, &n, &err), 0);
	assert_int_equal(n, 1);
	snapshot(f);
	reserve_window(f, "after", "after-s", 1, "2030-01-01T03:00:00Z", "2030-01-01T04:00:00Z");
	char *before = reservations_text(f);
	restart_same(w, f); /* plans, placements, groups and the capacity held, the same */
	f->now_ms = T0 + 1800000;
	char *after = reservations_text(f);
	assert_string_equal(after, before);
	assert_non_null(strstr(after, "\"old\": {\"released\": true, \"status\": \"ended\"}"));
	assert_non_null(strstr(after, "\"pend\": {\"released\": false, \"status\": \"pending\"}"));
	assert_int_equal(vlt__service_reservations_sweep(f->svc, f->now_ms, &n, &err), 0);
	assert_int_equal(n, 0); /* nothing ends twice */
	free(before);
	free(after);
	svc_fixture_close(f);
}

static void test_store_bounded_by_live(void **state)
{
	struct world *w = *state;
	svc_fixture_t *f = &w->f;
	enum { CYCLES = 600, EVERY = 25 };

	NEED_WORLD(w);
	open_on(w, f, 0, 0);
	some_history(f, "live");
	cycles(f, CYCLES, EVERY);
	snapshot(f);
	size_t entries = count_docs(f, "journal");
	size_t snapshot_docs =
		count_docs(f, "journal_snapshots") + count_docs(f, "journal_snapshot_chunks");

	print_message("    %u cycles (%" PRIu64 " entries): %zu journal entries and %zu "
		      "snapshot documents kept\n",
		      CYCLES, vlt__service_applied(f->svc), entries, snapshot_docs);
	/* the entries since the snapshot before the last one, whatever the history */
	assert_true(entries <= 2 * EVERY + 2);
	assert_true(snapshot_docs <= 2);
	restart_same(w, f);
	svc_fixture_close(f);
}

static void test_thread_takes_them(void **state)
{
	struct world *w = *state;
	svc_fixture_t *f = &w->f;
	vlt_err_t err = { 0 };

	NEED_WORLD(w);
	open_on(w, f, 10, 0);
	assert_int_equal(vlt__service_snapshotter_start(f->svc, &err), 0);
	cycles(f, 15, 0); /* 30 entries */
	bool seen = false;
	for (int i = 0; i < 100 && !seen; i++) {
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
		seen = count_docs(f, "journal_snapshots") > 0;
	}
	assert_true(seen);
	svc_fixture_close(f);
}

static void test_follower_reloads(void **state)
{
	struct world *w = *state;
	svc_fixture_t a, b;

	NEED_WORLD(w);
	open_on(w, &a, 0, 0);
	some_history(&a, "x");
	open_on(w, &b, 0, 0);
	char *at_open = dump(&b);
	char *of_a = dump(&a);
	assert_string_equal(at_open, of_a);
	/* a moves on and compacts past where b stands */
	cycles(&a, 30, 10);
	some_history(&a, "y");
	snapshot(&a);
	assert_false(has_doc(&a, "journal", "00000000000000000001"));
	char *a_now = dump(&a);
	char *b_now = dump(&b); /* b catches up: entry applied+1 is gone */
	assert_string_equal(b_now, a_now);
	assert_int_equal(vlt__service_applied(b.svc), vlt__service_applied(a.svc));
	/* b writes on the compacted journal, a follows */
	create_small(&b, "from-b", "from-b-s", 1);
	char *a_last = dump(&a);
	char *b_last = dump(&b);
	assert_string_equal(a_last, b_last);
	svc_fixture_close(&b);
	svc_fixture_close(&a);
	free(at_open);
	free(of_a);
	free(a_now);
	free(b_now);
	free(a_last);
	free(b_last);
}

/* The file the child writes what it shows into, before its snapshot. */
static void expected_path(const struct world *w, char *buf, size_t size)
{
	snprintf(buf, size, "%s/expected.json", w->sw.dir);
}

/*
 * The child: open, write more history, write down what it shows, then
 * snapshot and end at step. RET (to the parent) its exit status.
 */
static int snapshot_in_child(struct world *w, const char *step)
{
	fflush(NULL);
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		svc_fixture_t f;
		char path[128];

		crash_step = step;
		open_on(w, &f, 0, 200);
		some_history(&f, "child");
		char *shown = dump(&f);
		expected_path(w, path, sizeof(path));
		FILE *out = fopen(path, "w");
		if (out == NULL || fputs(shown, out) < 0 || fclose(out) != 0)
			_exit(2);
		vlt_err_t err = { 0 };
		vlt__service_snapshot(f.svc, &err);
		_exit(1); /* the step never came */
	}
	int status = 0;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *read_expected(const struct world *w)
{
	char path[128];

	expected_path(w, path, sizeof(path));
	json_t *doc = json_load_file(path, 0, NULL);
	assert_non_null(doc);
	char *text = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(doc);
	return text;
}

static void crash_at(struct world *w, const char *step)
{
	svc_fixture_t *f = &w->f;

	open_on(w, f, 0, 200);
	some_history(f, "before");
	snapshot(f);
	cycles(f, 5, 0);
	snapshot(f);
	svc_fixture_close(f);

	assert_int_equal(snapshot_in_child(w, step), CRASH_EXIT);

	/* everything the child had is there, whatever its snapshot became */
	char *expected = read_expected(w);
	open_on(w, f, 0, 200);
	char *after = dump(f);
	assert_string_equal(after, expected);
	size_t left = count_docs(f, "journal_snapshot_chunks") - named_chunks(f);
	if (strcmp(step, "first chunk") == 0 || strcmp(step, "chunks written") == 0)
		assert_true(left > 0); /* chunks no manifest names */
	restart_same(w, f);

	/* the next snapshots clear what was left */
	cycles(f, 2, 0);
	snapshot(f);
	cycles(f, 2, 0);
	snapshot(f);
	restart_same(w, f);
	assert_int_equal(count_docs(f, "journal_snapshots"), 1);
	size_t chunks = count_docs(f, "journal_snapshot_chunks");
	assert_int_equal(chunks, named_chunks(f)); /* nothing left over */
	svc_fixture_close(f);
	print_message("    ended after \"%s\": %zu chunks left over, %zu after the next "
		      "snapshots\n",
		      step, left, chunks);
	free(expected);
	free(after);
}

static const char *const steps[] = { "first chunk", "chunks written", "manifest written",
				     "snapshots compacted" };

static void test_crash_mid_snapshot(void **state)
{
	struct world *w = *state;

	NEED_WORLD(w);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		store_world_fini(&w->sw);
		store_world_renew(&w->sw, "snapc");
		crash_at(w, steps[i]);
	}
}

#define BOTH(t)                                                                                    \
	cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown),                                \
		cmocka_unit_test_setup_teardown(t, setup_mongodb, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_restart_equals_history), BOTH(test_store_bounded_by_live),
		BOTH(test_thread_takes_them),	   BOTH(test_follower_reloads),
		BOTH(test_crash_mid_snapshot),	   BOTH(test_reservations_from_a_snapshot),
	};

	return cmocka_run_group_tests(tests, mongo_test_shared_start, mongo_test_shared_stop);
}
