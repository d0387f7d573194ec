/*
 * test_gcommit.c - the group commit queue alone, with a commit() of the
 * test's own: one writer is committed alone; many concurrent writers are
 * all woken, each entry written exactly once, in batches of more than one
 * and never more than max_batch; a failed batch answers every one of its
 * waiters with the error, and nothing of it counts as written; what was
 * queued behind a failed batch can be answered without being committed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <jansson.h>

#include "gcommit.h"

#define WRITERS 16
#define PER_WRITER 50

struct sink {
	pthread_mutex_t lock;
	json_t *written;    /* every entry committed, in commit order */
	size_t largest;	    /* the largest batch seen */
	size_t batches;	    /* commit() calls */
	bool fail;	    /* make every commit fail */
	unsigned concurrent; /* commit() calls running now */
	unsigned most_concurrent; /* the most seen at once: must stay 1 */
};

/* Slow enough (like an fsync) that writers queue up behind a running commit. */
static int sink_commit(void *arg, void *const *entries, size_t n, vlt_err_t *err)
{
	struct sink *s = arg;
	struct timespec t = { 0, 200 * 1000 };

	pthread_mutex_lock(&s->lock);
	/* no cmocka assertion off the main thread: record, check afterwards */
	if (++s->concurrent > s->most_concurrent)
		s->most_concurrent = s->concurrent;
	s->batches++;
	if (n > s->largest)
		s->largest = n;
	pthread_mutex_unlock(&s->lock);
	nanosleep(&t, NULL);
	pthread_mutex_lock(&s->lock);
	s->concurrent--;
	bool fail = s->fail;
	for (size_t i = 0; !fail && i < n; i++)
		json_array_append(s->written, entries[i]);
	pthread_mutex_unlock(&s->lock);
	return fail ? vlt_err_set(err, VLT_EBACKEND, "disk full (%zu entries)", n) : 0;
}

struct writer {
	vlt_gcommit_t *g;
	int id;
	int ok, failed; /* answers this writer got */
	char last_msg[sizeof(((vlt_err_t *)0)->msg)];
};

static void *write_many(void *arg)
{
	struct writer *w = arg;

	for (int k = 0; k < PER_WRITER; k++) {
		json_t *e = json_pack("{s:i, s:i}", "w", w->id, "k", k);
		vlt_err_t err = { 0 };
		int rc = vlt__gcommit_submit(w->g, e, &err);

		json_decref(e);
		if (rc == 0) {
			w->ok++;
		} else {
			w->failed++;
			snprintf(w->last_msg, sizeof(w->last_msg), "%s", err.msg);
		}
	}
	return NULL;
}

static void run_writers(vlt_gcommit_t *g, struct writer *w)
{
	pthread_t t[WRITERS];

	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .g = g, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
}

static void sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->written = json_array();
}

static void sink_fini(struct sink *s)
{
	json_decref(s->written);
	pthread_mutex_destroy(&s->lock);
}

static void test_alone(void **state)
{
	struct sink s;
	vlt_gcommit_t g;
	vlt_err_t err = { 0 };
	json_t *e = json_pack("{s:i}", "v", 7);

	(void)state;
	sink_init(&s);
	vlt__gcommit_init(&g, sink_commit, &s, 0);
	assert_int_equal(vlt__gcommit_submit(&g, e, &err), 0);
	assert_int_equal(s.batches, 1);
	assert_int_equal(json_array_size(s.written), 1);
	assert_true(json_equal(json_array_get(s.written, 0), e));
	assert_int_equal(g.n_entries, 1);
	json_decref(e);
	vlt__gcommit_fini(&g);
	sink_fini(&s);
}

/* Every writer's entries exactly once, each writer's in its own order. */
static void check_each_once(const struct sink *s)
{
	int next[WRITERS] = { 0 };
	size_t i;
	json_t *e;

	assert_int_equal(json_array_size(s->written), WRITERS * PER_WRITER);
	json_array_foreach(s->written, i, e) {
		int w = (int)json_integer_value(json_object_get(e, "w"));
		int k = (int)json_integer_value(json_object_get(e, "k"));

		assert_int_equal(k, next[w]);
		next[w]++;
	}
}

static void test_many_writers_batched(void **state)
{
	struct sink s;
	vlt_gcommit_t g;
	struct writer w[WRITERS];

	(void)state;
	sink_init(&s);
	vlt__gcommit_init(&g, sink_commit, &s, 8);
	run_writers(&g, w);
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(w[i].ok, PER_WRITER);
		assert_int_equal(w[i].failed, 0);
	}
	check_each_once(&s);
	assert_int_equal(s.most_concurrent, 1); /* one committer at a time */
	assert_true(s.largest > 1);  /* entries did share commits */
	assert_true(s.largest <= 8); /* never more than max_batch */
	assert_true(s.batches < WRITERS * PER_WRITER);
	assert_int_equal(g.n_entries, WRITERS * PER_WRITER);
	vlt__gcommit_fini(&g);
	sink_fini(&s);
}

static void test_failure_answers_all(void **state)
{
	struct sink s;
	vlt_gcommit_t g;
	struct writer w[WRITERS];

	(void)state;
	sink_init(&s);
	s.fail = true;
	vlt__gcommit_init(&g, sink_commit, &s, 0);
	run_writers(&g, w);
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(w[i].ok, 0);
		assert_int_equal(w[i].failed, PER_WRITER);
		assert_non_null(strstr(w[i].last_msg, "disk full"));
	}
	assert_int_equal(json_array_size(s.written), 0);
	assert_int_equal(g.n_entries, 0);
	assert_int_equal(g.n_batches, 0);
	vlt__gcommit_fini(&g);
	sink_fini(&s);
}

/* A commit that fails what is still queued behind it, as the service's does. */
struct chain {
	vlt_gcommit_t g;
	vlt_gc_waiter_t later[3];
	json_t *e;
	size_t failed_behind, each_called;
};

static void count_each(void *arg, void *item)
{
	struct chain *c = arg;

	(void)item;
	c->each_called++;
}

static int fail_and_queued(void *arg, void *const *items, size_t n, vlt_err_t *err)
{
	struct chain *c = arg;

	(void)items;
	(void)n;
	/* queued while this batch is being written: they would follow a gap */
	for (int i = 0; i < 3; i++)
		vlt__gcommit_enqueue(&c->g, &c->later[i], c->e);
	c->failed_behind = vlt__gcommit_fail_queued(&c->g, VLT_ECONFLICT, "behind a failed batch",
						    count_each, c);
	return vlt_err_set(err, VLT_EBACKEND, "disk full");
}

static void test_fail_queued_answers_those_behind(void **state)
{
	struct chain c = { .e = json_object() };
	vlt_err_t err = { 0 };

	(void)state;
	vlt__gcommit_init(&c.g, fail_and_queued, &c, 0);
	assert_int_equal(vlt__gcommit_submit(&c.g, c.e, &err), VLT_EBACKEND);
	assert_non_null(strstr(err.msg, "disk full"));
	assert_int_equal(c.failed_behind, 3);
	assert_int_equal(c.each_called, 3);
	for (int i = 0; i < 3; i++) { /* answered without waiting, never committed */
		assert_int_equal(vlt__gcommit_wait(&c.g, &c.later[i], &err), VLT_ECONFLICT);
		assert_non_null(strstr(err.msg, "behind a failed batch"));
	}
	assert_int_equal(c.g.n_batches, 0);
	vlt__gcommit_fini(&c.g);
	json_decref(c.e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alone),
		cmocka_unit_test(test_many_writers_batched),
		cmocka_unit_test(test_failure_answers_all),
		cmocka_unit_test(test_fail_queued_answers_those_behind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
