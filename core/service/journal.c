/*
 * journal.c - reading, applying and appending the entries of a journal,
 * and the write loop: decide, append, and on a lost race undo, catch up
 * and decide again.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/store.h>

#include "journal.h"
#include "log.h"

#define SEQ_DIGITS 20
#define DEFAULT_RETRIES 8
/* entries read by one call while catching up */
#define CATCH_UP_BATCH 256

void vlt__journal_init(vlt_journal_t *j, vlt_module_t *store, const char *collection,
		       const vlt_journal_op_t *ops, size_t n_ops, void *state,
		       const vlt_clock_t *clock, unsigned max_retries)
{
	memset(j, 0, sizeof(*j));
	j->store = store;
	snprintf(j->coll, sizeof(j->coll), "%s", collection != NULL ? collection : "journal");
	j->ops = ops;
	j->n_ops = n_ops;
	j->state = state;
	if (clock != NULL)
		j->clock = *clock;
	j->max_retries = max_retries != 0 ? max_retries : DEFAULT_RETRIES;
	vlt__store_stats_init(&j->stats);
}

int64_t vlt__journal_now_ms(const vlt_journal_t *j)
{
	return vlt__clock_now_ms(&j->clock);
}

static void seq_id(uint64_t seq, char *buf, size_t size)
{
	snprintf(buf, size, "%0*" PRIu64, SEQ_DIGITS, seq);
}

static int store_err(const vlt_journal_t *j, int rc, const vlt_err_t *e, vlt_err_t *err,
		     const char *what)
{
	return vlt_err_set(err, rc == VLT_ENOMEM ? rc : VLT_EBACKEND, "store %s: %s: %s", j->coll,
			   what, e->msg[0] != '\0' ? e->msg : vlt_strerror(rc));
}

static const vlt_journal_op_t *find_op(const vlt_journal_t *j, const char *name)
{
	for (size_t i = 0; name != NULL && i < j->n_ops; i++) {
		if (strcmp(j->ops[i].name, name) == 0)
			return &j->ops[i];
	}
	return NULL;
}

/* Apply entry number applied+1; a failure is logged and counted. */
static void apply_next(vlt_journal_t *j, const json_t *e, bool decided_here)
{
	const char *name = json_string_value(json_object_get(e, "op"));
	const vlt_journal_op_t *op = find_op(j, name);
	char where[64];
	vlt_err_t err = { 0 };
	int rc;

	snprintf(where, sizeof(where), "journal entry %" PRIu64, j->applied + 1);
	if (name == NULL)
		rc = vlt_err_set(&err, VLT_EINVAL, "%s: no op", where);
	else if (op == NULL)
		rc = vlt_err_set(&err, VLT_EINVAL, "%s: unknown op '%s' (written by a newer valet?)",
				 where, name);
	else
		rc = op->apply(j->state, e, decided_here, where, &err);
	j->applied++;
	if (rc < 0) {
		j->n_unapplied++;
		vlt__log(NULL, VLT_LOG_ERR, "%s not applied: %s", where, err.msg);
	}
	if (j->after_apply != NULL)
		j->after_apply(j->state, j->applied);
}

/* Without range() (a store older than ABI 1.4): one get per entry. */
static int catch_up_by_get(vlt_journal_t *j, vlt_err_t *err)
{
	const vlt_store_ops_t *ops = j->store->ops.store;

	for (;;) {
		char id[SEQ_DIGITS + 1];
		json_t *doc = NULL;
		int64_t version = 0;
		vlt_err_t e = { 0 };

		seq_id(j->applied + 1, id, sizeof(id));
		double t0 = vlt__clock_mono_ms();
		int rc = ops->get(j->store->state, j->coll, id, &doc, &version, &e);

		vlt__store_stats_note(&j->stats, VLT_STORE_OP_GET, t0, rc);
		if (rc == VLT_ENOENT)
			return 0;
		if (rc < 0)
			return store_err(j, rc, &e, err, "read");
		apply_next(j, doc, false);
		json_decref(doc);
	}
}

/* One read of the entries from applied+1: how many were applied, and whether a gap ended it. */
struct run {
	vlt_journal_t *j;
	size_t n;
	bool gap;
};

/* Entries come in id order; apply the contiguous run from applied+1, stop at a gap. */
static int apply_run(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct run *r = arg;
	char want[SEQ_DIGITS + 1];
	(void)version;

	seq_id(r->j->applied + 1, want, sizeof(want));
	int cmp = strcmp(id, want);

	if (cmp < 0) /* applied already (list() walks from the first) */
		return 0;
	if (cmp > 0) {
		r->gap = true;
		return 1;
	}
	apply_next(r->j, doc, false);
	r->n++;
	return 0;
}

static bool can_range(const vlt_journal_t *j)
{
	return VLT_OPS_HAS(j->store->ops.store, vlt_store_ops_t, range, 4);
}

/* Read and apply the entries from applied+1, at most limit (0: all). */
static int read_run(vlt_journal_t *j, size_t limit, struct run *r, vlt_err_t *err)
{
	const vlt_store_ops_t *ops = j->store->ops.store;
	char from[SEQ_DIGITS + 1];
	vlt_err_t e = { 0 };

	seq_id(j->applied + 1, from, sizeof(from));
	double t0 = vlt__clock_mono_ms();
	int rc = can_range(j) ? ops->range(j->store->state, j->coll, from, NULL, limit, false,
					   apply_run, r, &e)
			      : ops->list(j->store->state, j->coll, apply_run, r, &e);

	vlt__store_stats_note(&j->stats, VLT_STORE_OP_LIST, t0, rc);
	return rc < 0 ? store_err(j, rc, &e, err, "read") : 0;
}

/*
 * Entry applied+1 is gone while later ones are there: compacted after a
 * snapshot that covers it. The owner rebuilds its state from that
 * snapshot, which moves applied past the gap.
 */
static int reload_past_gap(vlt_journal_t *j, vlt_err_t *err)
{
	uint64_t missing = j->applied + 1;
	int rc = j->reload != NULL
			 ? j->reload(j->state, missing, err)
			 : vlt_err_set(err, VLT_EBACKEND,
				       "store %s: entry %" PRIu64 " is missing while later ones "
				       "are there, and no snapshot can stand for it",
				       j->coll, missing);

	if (rc == 0 && j->applied < missing)
		rc = vlt_err_set(err, VLT_EBACKEND,
				 "store %s: entry %" PRIu64 " is missing while later ones are "
				 "there, and no snapshot covers it",
				 j->coll, missing);
	return rc;
}

/* Apply everything from applied+1, reading batch entries a call (0: all at once). */
static int catch_up_in_runs(vlt_journal_t *j, size_t batch, vlt_err_t *err)
{
	for (;;) {
		struct run r = { .j = j };
		int rc = read_run(j, batch, &r, err);

		if (rc < 0)
			return rc;
		if (r.gap && r.n == 0) {
			rc = reload_past_gap(j, err);
			if (rc < 0)
				return rc;
			continue;
		}
		if (!r.gap && (batch == 0 || r.n < batch))
			return 0;
	}
}

int vlt__journal_catch_up(vlt_journal_t *j, vlt_err_t *err)
{
	if (j->pending > 0)
		return 0;
	return can_range(j) ? catch_up_in_runs(j, CATCH_UP_BATCH, err) : catch_up_by_get(j, err);
}

int vlt__journal_replay(vlt_journal_t *j, vlt_err_t *err)
{
	int rc = catch_up_in_runs(j, 0, err);

	/* entries appended while reading */
	return rc == 0 ? vlt__journal_catch_up(j, err) : rc;
}

void vlt__journal_on_gap(vlt_journal_t *j, vlt_journal_reload_fn reload)
{
	j->reload = reload;
}

/* Append entry at applied+1. RET 0, VLT_ECONFLICT (taken), or VLT_EBACKEND. */
static int append(vlt_journal_t *j, const json_t *entry, vlt_err_t *err)
{
	char id[SEQ_DIGITS + 1];
	vlt_err_t e = { 0 };

	seq_id(j->applied + 1, id, sizeof(id));
	double t0 = vlt__clock_mono_ms();
	int rc = j->store->ops.store->put(j->store->state, j->coll, id, entry, 0, &e);

	vlt__store_stats_note(&j->stats, VLT_STORE_OP_PUT, t0, rc);
	if (rc == VLT_ECONFLICT)
		return rc;
	return rc < 0 ? store_err(j, rc, &e, err, "append") : 0;
}

void vlt__journal_apply_appended(vlt_journal_t *j, const json_t *entry, bool decided_here)
{
	apply_next(j, entry, decided_here);
}

bool vlt__journal_can_batch(const vlt_journal_t *j)
{
	return VLT_OPS_HAS(j->store->ops.store, vlt_store_ops_t, insert_batch, 5);
}

/* The ids of a batch, kept apart from the entries so insert_batch sees plain arrays. */
static char (*batch_ids(uint64_t first, size_t n, const char **ptrs))[SEQ_DIGITS + 1]
{
	char(*ids)[SEQ_DIGITS + 1] = malloc(n * sizeof(*ids));

	for (size_t i = 0; ids != NULL && i < n; i++) {
		seq_id(first + i, ids[i], sizeof(ids[i]));
		ptrs[i] = ids[i];
	}
	return ids;
}

int vlt__journal_append_batch(vlt_journal_t *j, uint64_t first, json_t *const *entries,
			      size_t n, vlt_err_t *err)
{
	const vlt_store_ops_t *ops = j->store->ops.store;
	vlt_err_t e = { 0 };
	int rc;

	if (n == 1 || !vlt__journal_can_batch(j)) {
		char id[SEQ_DIGITS + 1];

		if (n != 1)
			return vlt_err_set(err, VLT_EINVAL, "store %s: cannot write %zu entries at once",
					   j->coll, n);
		seq_id(first, id, sizeof(id));
		double t0 = vlt__clock_mono_ms();
		rc = ops->put(j->store->state, j->coll, id, entries[0], 0, &e);
		vlt__store_stats_note(&j->stats, VLT_STORE_OP_PUT, t0, rc);
	} else {
		const char **ptrs = malloc(n * sizeof(*ptrs));
		char(*ids)[SEQ_DIGITS + 1] = ptrs != NULL ? batch_ids(first, n, ptrs) : NULL;

		if (ids == NULL) {
			free(ptrs);
			return vlt_err_set(err, VLT_ENOMEM, "store %s: out of memory", j->coll);
		}
		double t0 = vlt__clock_mono_ms();
		rc = ops->insert_batch(j->store->state, j->coll, n, ptrs,
				       (const json_t *const *)entries, &e);
		vlt__store_stats_note(&j->stats, VLT_STORE_OP_PUT, t0, rc);
		free(ids);
		free(ptrs);
	}
	if (rc == VLT_ECONFLICT)
		return vlt_err_set(err, rc, "store %s: %s", j->coll, e.msg);
	return rc < 0 ? store_err(j, rc, &e, err, "append") : 0;
}

/*
 * One attempt. RET 0 (written or answered) or a negative code; *lost when
 * another writer took the entry's number (decide's own VLT_ECONFLICT, a
 * refusal, is not a lost race).
 */
static int attempt(vlt_journal_t *j, const vlt_journal_write_t *w, bool *lost, vlt_err_t *err)
{
	json_t *entry = NULL;
	bool decided_here = false;
	int rc = w->decide(w->arg, &entry, &decided_here, err);

	if (rc > 0) /* answered from the state: nothing to write */
		return w->done != NULL ? w->done(w->arg, err) : 0;
	if (rc < 0 || entry == NULL)
		return rc;
	json_object_set_new(entry, "at", json_integer(vlt__journal_now_ms(j)));
	rc = append(j, entry, err);
	if (rc == 0) {
		apply_next(j, entry, decided_here);
		json_decref(entry);
		return w->done != NULL ? w->done(w->arg, err) : 0;
	}
	json_decref(entry);
	if (decided_here && w->undo != NULL)
		w->undo(w->arg);
	*lost = rc == VLT_ECONFLICT;
	return rc;
}

int vlt__journal_write(vlt_journal_t *j, const vlt_journal_write_t *w, vlt_err_t *err)
{
	int rc = vlt__journal_catch_up(j, err);

	for (unsigned n = 1; rc == 0; n++) {
		bool lost = false;

		rc = attempt(j, w, &lost, err);
		if (!lost)
			break;
		if (n > j->max_retries)
			return vlt_err_set(err, VLT_EBACKEND,
					   "the journal kept moving: %u attempts lost the race for "
					   "the next entry; retry the request",
					   n);
		rc = vlt__journal_catch_up(j, err);
	}
	return rc;
}
