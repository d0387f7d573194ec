/*
 * test_journal.c - the journal alone, on the real sqlite store, with an op
 * table of the test's own: entries applied in order and stamped by the
 * injected clock, catching up with another writer, a lost race undone and
 * decided again, giving up after max_retries, a refusal that is not a
 * race, an entry no op knows, replay from the store, and a gap in it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <valet/store.h>

#include "journal.h"
#include "service_fixture.h"

#define COLL "jtest"

/* What the test op builds: the values of the "add" entries, in order. */
struct seen {
	json_t *values;
	unsigned decided_here; /* entries applied with decided_here set */
};

static int apply_add(void *state, const json_t *e, bool decided_here, const char *where,
		     vlt_err_t *err)
{
	struct seen *s = state;

	if (json_object_get(e, "v") == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: no v", where);
	json_array_append(s->values, json_object_get(e, "v"));
	s->decided_here += decided_here;
	return 0;
}

static const vlt_journal_op_t test_ops[] = { { "add", apply_add } };

struct world {
	char dir[64];
	svc_fixture_t f;
	int64_t now_ms; /* the journals' clock */
	vlt_journal_t j1, j2;
	struct seen s1, s2;
};

static int64_t world_now(void *arg)
{
	return ((const struct world *)arg)->now_ms;
}

/* A journal on the world's store and clock, building s. */
static void journal_on(struct world *w, vlt_journal_t *j, struct seen *s, unsigned max_retries)
{
	vlt_clock_t clock = { world_now, w };

	json_decref(s->values);
	s->values = json_array();
	s->decided_here = 0;
	vlt__journal_init(j, w->f.mods.store, COLL, test_ops, 1, s, &clock, max_retries);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	svc_fixture_dir(w->dir);
	svc_fixture_open(&w->f, w->dir, 0, 0);
	w->now_ms = 1700000000123;
	journal_on(w, &w->j1, &w->s1, 0);
	journal_on(w, &w->j2, &w->s2, 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	json_decref(w->s1.values);
	json_decref(w->s2.values);
	svc_fixture_close(&w->f);
	svc_fixture_rmdir(w->dir);
	free(w);
	return 0;
}

/* ---- a decision of the test's: write {"op": "add", "v": v} */

struct decision {
	struct world *w;
	int v;
	int refuse;	 /* a negative code to return instead of an entry */
	bool answer;	 /* answer from the state: nothing to write */
	unsigned races;	 /* how many more times j2 writes behind j1's back */
	unsigned n_decide, n_undo, n_done;
};

static int decide(void *arg, json_t **entry, bool *decided_here, vlt_err_t *err);

/* j2 writes an entry, as another valetd would between j1's catch-up and append. */
static void j2_writes(struct world *w, int v)
{
	struct decision theirs = { .w = w, .v = v };
	vlt_journal_write_t jw = { decide, NULL, NULL, &theirs };
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__journal_write(&w->j2, &jw, &err), 0);
}

static int decide(void *arg, json_t **entry, bool *decided_here, vlt_err_t *err)
{
	struct decision *d = arg;

	d->n_decide++;
	if (d->races > 0) {
		d->races--;
		j2_writes(d->w, 100 + (int)d->n_decide);
	}
	if (d->refuse < 0)
		return vlt_err_set(err, d->refuse, "refused");
	if (d->answer)
		return 1;
	*entry = json_pack("{s:s, s:i}", "op", "add", "v", d->v);
	*decided_here = true;
	return 0;
}

static void undo(void *arg)
{
	((struct decision *)arg)->n_undo++;
}

static int done(void *arg, vlt_err_t *err)
{
	(void)err;
	((struct decision *)arg)->n_done++;
	return 0;
}

static int write_j1(struct world *w, struct decision *d, vlt_err_t *err)
{
	vlt_journal_write_t jw = { decide, undo, done, d };

	d->w = w;
	return vlt__journal_write(&w->j1, &jw, err);
}

static void assert_values(const struct seen *s, const char *want)
{
	char *got = json_dumps(s->values, JSON_COMPACT);

	assert_string_equal(got, want);
	free(got);
}

/* Entry n as the store keeps it (new reference). */
static json_t *stored(struct world *w, unsigned n)
{
	char id[32];
	json_t *doc = NULL;
	int64_t version = 0;
	vlt_err_t err = { 0 };

	snprintf(id, sizeof(id), "%020u", n);
	assert_int_equal(w->f.mods.store->ops.store->get(w->f.mods.store->state, COLL, id, &doc,
							 &version, &err),
			 0);
	return doc;
}

/* ---- tests */

static void test_write_applies_and_stamps_with_the_clock(void **state)
{
	struct world *w = *state;
	struct decision d = { .v = 7 };
	vlt_err_t err = { 0 };

	assert_int_equal(write_j1(w, &d, &err), 0);
	assert_values(&w->s1, "[7]");
	assert_int_equal(w->j1.applied, 1);
	assert_int_equal(w->s1.decided_here, 1);
	assert_int_equal(d.n_decide, 1);
	assert_int_equal(d.n_done, 1);
	assert_int_equal(d.n_undo, 0);

	w->now_ms += 5000;
	d.v = 8;
	assert_int_equal(write_j1(w, &d, &err), 0);
	json_t *e1 = stored(w, 1), *e2 = stored(w, 2);
	assert_int_equal(json_integer_value(json_object_get(e1, "at")), 1700000000123);
	assert_int_equal(json_integer_value(json_object_get(e2, "at")), 1700000005123);
	json_decref(e1);
	json_decref(e2);
}

static void test_answer_writes_nothing(void **state)
{
	struct world *w = *state;
	struct decision d = { .answer = true };
	vlt_err_t err = { 0 };

	assert_int_equal(write_j1(w, &d, &err), 0);
	assert_int_equal(w->j1.applied, 0);
	assert_int_equal(d.n_done, 1);
	assert_values(&w->s1, "[]");
}

static void test_catch_up_sees_the_other_writer(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	j2_writes(w, 1);
	j2_writes(w, 2);
	assert_values(&w->s1, "[]");
	assert_int_equal(vlt__journal_catch_up(&w->j1, &err), 0);
	assert_values(&w->s1, "[1,2]");
	assert_int_equal(w->s1.decided_here, 0); /* j1 decided none of them */
	assert_int_equal(w->j1.applied, 2);
}

static void test_lost_race_is_undone_and_decided_again(void **state)
{
	struct world *w = *state;
	struct decision d = { .v = 5, .races = 1 };
	vlt_err_t err = { 0 };

	assert_int_equal(write_j1(w, &d, &err), 0);
	/* the first decision lost entry 1 to j2: undone, caught up, decided again */
	assert_int_equal(d.n_decide, 2);
	assert_int_equal(d.n_undo, 1);
	assert_int_equal(d.n_done, 1);
	assert_values(&w->s1, "[101,5]");
	assert_int_equal(w->s1.decided_here, 1);
	assert_int_equal(vlt__journal_catch_up(&w->j2, &err), 0);
	assert_values(&w->s2, "[101,5]");
}

static void test_gives_up_after_max_retries(void **state)
{
	struct world *w = *state;
	struct decision d = { .v = 5, .races = 100 };
	vlt_err_t err = { 0 };

	journal_on(w, &w->j1, &w->s1, 3);
	assert_int_equal(write_j1(w, &d, &err), VLT_EBACKEND);
	assert_non_null(strstr(err.msg, "4 attempts lost the race"));
	assert_int_equal(d.n_decide, 4);
	assert_int_equal(d.n_undo, 4);
	assert_int_equal(d.n_done, 0);
	/* what j2 wrote meanwhile is applied; j1's own decision is not */
	assert_values(&w->s1, "[101,102,103]");
}

static void test_refusal_is_not_a_lost_race(void **state)
{
	struct world *w = *state;
	struct decision d = { .refuse = VLT_ECONFLICT };
	vlt_err_t err = { 0 };

	assert_int_equal(write_j1(w, &d, &err), VLT_ECONFLICT);
	assert_string_equal(err.msg, "refused");
	assert_int_equal(d.n_decide, 1);
	assert_int_equal(d.n_undo, 0);
	assert_int_equal(w->j1.applied, 0);
}

static void test_unknown_op_is_counted_and_the_journal_goes_on(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };
	json_t *future = json_pack("{s:s}", "op", "from_a_newer_valet");
	json_t *broken = json_pack("{s:s}", "op", "add");

	assert_int_equal(w->f.mods.store->ops.store->put(w->f.mods.store->state, COLL,
							 "00000000000000000001", future, 0, &err),
			 0);
	assert_int_equal(w->f.mods.store->ops.store->put(w->f.mods.store->state, COLL,
							 "00000000000000000002", broken, 0, &err),
			 0);
	json_decref(future);
	json_decref(broken);
	struct decision d = { .v = 9 };
	assert_int_equal(write_j1(w, &d, &err), 0);
	assert_int_equal(w->j1.applied, 3);
	assert_int_equal(w->j1.n_unapplied, 2);
	assert_values(&w->s1, "[9]");
}

static void test_replay_applies_everything_in_order(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	for (int v = 1; v <= 3; v++) {
		struct decision d = { .v = v };
		assert_int_equal(write_j1(w, &d, &err), 0);
	}
	struct seen fresh = { 0 };
	vlt_journal_t j3;
	journal_on(w, &j3, &fresh, 0);
	assert_int_equal(vlt__journal_replay(&j3, &err), 0);
	assert_values(&fresh, "[1,2,3]");
	assert_int_equal(j3.applied, 3);
	json_decref(fresh.values);
}

/* A missing entry with later ones after it is never skipped: without a snapshot, an error naming it. */
static void test_gap_is_an_error(void **state)
{
	struct world *w = *state;
	const vlt_store_ops_t *ops = w->f.mods.store->ops.store;
	vlt_err_t err = { 0 };

	for (int v = 1; v <= 3; v++) {
		struct decision d = { .v = v };
		assert_int_equal(write_j1(w, &d, &err), 0);
	}
	assert_int_equal(ops->remove(w->f.mods.store->state, COLL, "00000000000000000002", -1, &err),
			 0);
	struct seen fresh = { 0 };
	vlt_journal_t j3;
	journal_on(w, &j3, &fresh, 0);
	assert_int_equal(vlt__journal_replay(&j3, &err), VLT_EBACKEND);
	assert_non_null(strstr(err.msg, "entry 2 is missing while later ones are there"));
	assert_values(&fresh, "[1]");
	json_decref(fresh.values);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_applies_and_stamps_with_the_clock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up_sees_the_other_writer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lost_race_is_undone_and_decided_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gives_up_after_max_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusal_is_not_a_lost_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_op_is_counted_and_the_journal_goes_on,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_applies_everything_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gap_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
