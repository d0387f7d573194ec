/*
 * group_write.c - the service's writes through group commit: decide under
 * the lock, queue the entry at the next free number, release the lock
 * while one committer stores the queued entries in one transaction, and
 * answer once the entry is stored and applied.
 *
 * Entries are applied only once stored, so the state never runs ahead of
 * the store and a failed batch has nothing of its own to take back but
 * what decide did to the engine (undo). Deciding while entries are
 * pending is safe only when the decision cannot depend on them: a plan
 * creation holds its capacity in the engine as it decides, so later
 * decisions see that capacity taken, and one whose stack or servers a
 * pending creation names waits for it; a reservation on the planned host
 * changes no capacity, and a second one of the same placement waits for
 * the first. Any other entry is exclusive: the next decision waits until
 * it is stored. A number another valetd took
 * fails the whole batch (VLT_ECONFLICT) and every entry queued after it,
 * since none may be stored after a gap; each of those requests decides
 * again, up to service.max_retries, as a single append would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/store.h>

#include "decision.h"
#include "service_int.h"

#define GC_MAX_BATCH 64

/* One request's entry on its way through the queue; on the request's stack. */
struct gc_item {
	struct svc_write *w;
	json_t *entry; /* the decision (a reference) */
	bool decided_here;
	json_t *draft;	   /* its decision draft (a reference), until stored */
	uint64_t seq;	   /* the number it is queued at */
	int done_rc;	   /* done()'s answer, built by the committer right after the apply */
	vlt_err_t done_err;
	json_t *decision; /* the decision record to write (a reference), or NULL */
};

/* ---------------------------------------------------------------- keys of pending entries */

static bool op_is(const json_t *entry, const char *name)
{
	const char *op = json_string_value(json_object_get(entry, "op"));

	return op != NULL && strcmp(op, name) == 0;
}

/*
 * Whether an entry may be decided while others are pending: a plan
 * creation holds its capacity in the engine as it decides, and a
 * reservation on the planned host changes no capacity, only its unit's
 * record. Any other entry is exclusive.
 */
static bool joins_pending(const json_t *entry)
{
	return op_is(entry, "plan_create") || op_is(entry, "reserve");
}

/*
 * Call fn on each key a pending entry claims: a creation its stack id and
 * its servers' orchestration ids, a reservation its placement (plan id
 * and orchestration id). RET whether fn returned true for any.
 */
static bool each_key(vlt_service_t *s, const json_t *entry,
		     bool (*fn)(vlt_service_t *, const char *))
{
	char key[2 * VLT_STORE_NAME_MAX + 4];
	const json_t *plan = json_object_get(entry, "plan");
	const char *stack = json_string_value(json_object_get(plan, "stack_id"));
	size_t i;
	json_t *u;
	bool any = false;

	if (op_is(entry, "reserve")) {
		const char *pid = json_string_value(json_object_get(entry, "plan_id"));
		const char *orch = json_string_value(json_object_get(entry, "orch"));

		snprintf(key, sizeof(key), "r:%s\x1f%s", pid != NULL ? pid : "",
			 orch != NULL ? orch : "");
		return fn(s, key);
	}
	snprintf(key, sizeof(key), "s:%s", stack != NULL ? stack : "");
	any |= fn(s, key);
	json_array_foreach(json_object_get(entry, "units"), i, u) {
		const char *orch = json_string_value(json_object_get(u, "orch"));

		snprintf(key, sizeof(key), "o:%s", orch != NULL ? orch : "");
		any |= fn(s, key);
	}
	return any;
}

static bool key_held(vlt_service_t *s, const char *key)
{
	return json_object_get(s->gc_keys, key) != NULL;
}

static bool key_add(vlt_service_t *s, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(s->gc_keys, key));

	json_object_set_new(s->gc_keys, key, json_integer(n + 1));
	return false;
}

static bool key_drop(vlt_service_t *s, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(s->gc_keys, key));

	if (n <= 1)
		json_object_del(s->gc_keys, key);
	else
		json_object_set_new(s->gc_keys, key, json_integer(n - 1));
	return false;
}

/* ---------------------------------------------------------------- pending entries */

void vlt__svc_wait_drained(vlt_service_t *s)
{
	while (s->journal.pending > 0)
		pthread_cond_wait(&s->gc_drained, &s->lock);
}

/* An item leaves the pending count, stored or not; under the lock. */
static void unpend(vlt_service_t *s, struct gc_item *it)
{
	if (joins_pending(it->entry))
		each_key(s, it->entry, key_drop);
	s->journal.pending--;
	if (s->journal.pending == 0) {
		s->gc_exclusive = false;
		pthread_cond_broadcast(&s->gc_drained);
	}
}

static void unpend_cb(void *arg, void *item)
{
	unpend(arg, item);
}

/* Apply one stored item and build its answer and decision record, as an ungrouped write does. */
static void apply_item(vlt_service_t *s, struct gc_item *it)
{
	vlt__journal_apply_appended(&s->journal, it->entry, it->decided_here);
	unpend(s, it);
	vlt__svc_decision_forget(s);
	s->decision_draft = it->draft; /* the build takes it */
	it->draft = NULL;
	it->done_rc = vlt__svc_w_done(it->w, &it->done_err);
	if (it->done_rc == 0)
		it->decision = vlt__svc_decision_build(s, it->entry, s->journal.applied);
	vlt__svc_decision_forget(s);
}

/*
 * The committer: store the batch at its numbers (consecutive, from the
 * first pending one), then, under the lock, apply it in order, or on a
 * failure take it and everything queued after it out of the pending.
 */
static int group_commit(void *arg, void *const *items, size_t n, vlt_err_t *err)
{
	vlt_service_t *s = arg;
	json_t **entries = malloc(n * sizeof(*entries));
	struct gc_item *const *its = (struct gc_item *const *)items;
	int rc;

	for (size_t i = 0; entries != NULL && i < n; i++)
		entries[i] = its[i]->entry;
	rc = entries != NULL ? vlt__journal_append_batch(&s->journal, its[0]->seq, entries, n, err)
			     : vlt_err_set(err, VLT_ENOMEM, "group commit: out of memory");
	free(entries);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			apply_item(s, its[i]);
		else
			unpend(s, its[i]);
	}
	if (rc < 0) /* what was queued after it would be stored after a gap */
		vlt__gcommit_fail_queued(&s->gc, VLT_ECONFLICT,
					 "an earlier entry of the group commit was not stored",
					 unpend_cb, s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ---------------------------------------------------------------- one request */

/* Queue it at the next free number and wait, unlocked, for its batch. RET the batch's result. */
static int queue_and_wait(vlt_service_t *s, struct gc_item *it, vlt_err_t *err)
{
	vlt_gc_waiter_t me;

	it->seq = s->journal.applied + 1 + s->journal.pending;
	s->journal.pending++;
	if (joins_pending(it->entry))
		each_key(s, it->entry, key_add);
	else
		s->gc_exclusive = true;
	it->draft = s->decision_draft;
	s->decision_draft = NULL;
	vlt__gcommit_enqueue(&s->gc, &me, it);
	pthread_mutex_unlock(&s->lock);
	int rc = vlt__gcommit_wait(&s->gc, &me, err);
	pthread_mutex_lock(&s->lock);
	return rc;
}

/*
 * Decide on what is stored and applied (catching up first when nothing
 * of ours is pending). RET as decide: 1 answered, 0 with it->entry, or
 * an error; *again when the decision clashed with a pending one and was
 * taken back, to be made again once that is stored.
 */
static int decide(vlt_service_t *s, struct gc_item *it, bool *again, vlt_err_t *err)
{
	int rc = 0;

	while (s->gc_exclusive)
		vlt__svc_wait_drained(s);
	if (s->journal.pending == 0)
		rc = vlt__journal_catch_up(&s->journal, err);
	if (rc == 0)
		rc = vlt__svc_w_decide(it->w, &it->entry, &it->decided_here, err);
	if (rc != 0 || it->entry == NULL || s->journal.pending == 0)
		return rc;
	if (joins_pending(it->entry) && !each_key(s, it->entry, key_held))
		return 0; /* it joins the pending entries */
	/* Any other entry, or one naming what a pending one does, is decided
	 * again on the pending entries once they are stored. */
	json_decref(it->entry);
	it->entry = NULL;
	if (it->decided_here)
		vlt__svc_w_undo(it->w);
	it->decided_here = false;
	vlt__svc_wait_drained(s);
	*again = true;
	return 0;
}

/* One attempt. RET 0 or a negative code; *lost on a lost race (decide again). */
static int attempt(vlt_service_t *s, struct gc_item *it, bool *lost, vlt_err_t *err)
{
	bool again = false;
	int rc;

	do {
		again = false;
		rc = decide(s, it, &again, err);
	} while (rc == 0 && again);
	if (rc > 0)
		return vlt__svc_w_done(it->w, err);
	if (rc < 0 || it->entry == NULL)
		return rc;
	json_object_set_new(it->entry, "at", json_integer(vlt__journal_now_ms(&s->journal)));
	rc = queue_and_wait(s, it, err);
	if (rc == 0) {
		if (it->done_rc < 0)
			*err = it->done_err;
		return it->done_rc;
	}
	json_decref(it->draft);
	it->draft = NULL;
	json_decref(it->entry);
	it->entry = NULL;
	if (it->decided_here)
		vlt__svc_w_undo(it->w);
	*lost = rc == VLT_ECONFLICT;
	return rc;
}

int vlt__svc_write_grouped(vlt_service_t *s, struct svc_write *w, json_t **decision,
			   vlt_err_t *err)
{
	struct gc_item it = { .w = w };
	int rc;

	for (unsigned n = 1;; n++) {
		bool lost = false;

		rc = attempt(s, &it, &lost, err);
		if (!lost)
			break;
		if (n > s->journal.max_retries)
			return vlt_err_set(err, VLT_EBACKEND,
					   "the journal kept moving: %u attempts lost the race for "
					   "the next entry; retry the request",
					   n);
	}
	json_decref(it.entry);
	*decision = it.decision;
	return rc;
}

int vlt__svc_group_init(vlt_service_t *s)
{
	s->gc_keys = json_object();
	pthread_cond_init(&s->gc_drained, NULL);
	vlt__gcommit_init(&s->gc, group_commit, s, GC_MAX_BATCH);
	return s->gc_keys != NULL ? 0 : VLT_ENOMEM;
}

void vlt__svc_group_fini(vlt_service_t *s)
{
	vlt__gcommit_fini(&s->gc);
	pthread_cond_destroy(&s->gc_drained);
	json_decref(s->gc_keys);
}
