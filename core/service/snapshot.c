/*
 * snapshot.c - the service's state at journal entry N written to the
 * store, so that a start (or a valetd that fell behind compaction) reads
 * the live state and the entries after N instead of the whole history;
 * then compaction, which removes what the snapshot made redundant.
 *
 * A snapshot of journal collection J is:
 *  - chunks in J_snapshot_chunks, ids "<N>.<token>.<k>" (N zero-padded
 *    to 20 digits, token a uuid, k from 0), each {"items": [...]} of at
 *    most VLT_SNAPSHOT_CHUNK_BYTES of JSON text (MongoDB's documents stop
 *    at 16 MB): one item per plan ({"plan", "request", "units", "rseq"}:
 *    the form of a plan_create entry, applied by the same function; an
 *    ended reservation's "plan" has "ended", when it ended), per
 *    named group ({"group"}) and per retired group ({"retired", "group"});
 *  - written last, with put(..., expect 0), its manifest in
 *    J_snapshots, id "<N>": {"seq", "token", "chunks", "items",
 *    "unapplied", "at"}. A snapshot without a manifest is never read.
 *
 * Compaction, after the manifest is stored, removes the older snapshots
 * (and chunks no manifest names: a crash before the manifest) and the
 * journal entries below the previous snapshot's N. Entries between the
 * previous N and this one are kept on purpose: a valetd that caught up,
 * then stalled before appending at applied+1, would otherwise find that
 * number free again once compacted and store an entry nobody reads; it
 * would have to stall for a whole snapshot_every entries for that to
 * happen now. Every step is idempotent: a crash between two of them
 * leaves documents the next compaction removes, never a gap.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/store.h>

#include "log.h"
#include "ops.h"

#define SEQ_DIGITS 20
#define TOKEN_LEN 37
#define FORMAT 1
#define REMOVE_BATCH 1000

typedef struct manifest {
	uint64_t seq;
	char token[TOKEN_LEN];
	size_t n_chunks;
	uint64_t unapplied;
} manifest_t;

/* Every manifest of the store, newest first. */
typedef struct manifests {
	manifest_t *v;
	size_t n;
} manifests_t;

static void seq_id(uint64_t seq, char *buf, size_t size)
{
	snprintf(buf, size, "%0*" PRIu64, SEQ_DIGITS, seq);
}

static void chunk_id(const manifest_t *m, size_t k, char *buf, size_t size)
{
	snprintf(buf, size, "%0*" PRIu64 ".%s.%06zu", SEQ_DIGITS, m->seq, m->token, k);
}

static void coll_of(const vlt_service_t *s, const char *what, char *buf, size_t size)
{
	snprintf(buf, size, "%s_%s", s->journal.coll, what);
}

static const vlt_store_ops_t *store_ops(const vlt_service_t *s)
{
	return s->store->ops.store;
}

static void step(const vlt_service_t *s, const char *name)
{
	if (s->opts.snapshot_step != NULL)
		s->opts.snapshot_step(name);
}

/* ---------------------------------------------------------------- the manifests */

static int manifest_of(const json_t *doc, manifest_t *m)
{
	const char *token = json_string_value(json_object_get(doc, "token"));
	json_int_t seq = json_integer_value(json_object_get(doc, "seq"));
	json_int_t n = json_integer_value(json_object_get(doc, "chunks"));

	if (token == NULL || strlen(token) >= sizeof(m->token) || seq <= 0 || n <= 0)
		return VLT_EINVAL;
	m->seq = (uint64_t)seq;
	m->n_chunks = (size_t)n;
	m->unapplied = (uint64_t)json_integer_value(json_object_get(doc, "unapplied"));
	snprintf(m->token, sizeof(m->token), "%s", token);
	return 0;
}

static int collect_manifest(void *arg, const char *id, const json_t *doc, int64_t version)
{
	manifests_t *all = arg;
	manifest_t m;
	(void)version;

	if (manifest_of(doc, &m) < 0) {
		vlt__log(NULL, VLT_LOG_WARNING, "snapshot manifest %s is not one: ignored", id);
		return 0;
	}
	manifest_t *v = realloc(all->v, (all->n + 1) * sizeof(*v));

	if (v == NULL)
		return VLT_ENOMEM;
	all->v = v;
	all->v[all->n++] = m;
	return 0;
}

static int read_manifests(vlt_service_t *s, manifests_t *all, vlt_err_t *err)
{
	char coll[96];
	vlt_err_t e = { 0 };

	coll_of(s, "snapshots", coll, sizeof(coll));
	all->v = NULL;
	all->n = 0;
	double t0 = vlt__clock_mono_ms();
	int rc = store_ops(s)->range(s->store->state, coll, NULL, NULL, 0, true, collect_manifest,
				     all, &e);

	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_LIST, t0, rc);
	if (rc < 0) {
		free(all->v);
		all->v = NULL;
		all->n = 0;
		return rc == VLT_ENOMEM ? vlt_err_set(err, rc, "out of memory")
					: vlt_err_set(err, VLT_EBACKEND, "store %s: read: %s", coll,
						      e.msg);
	}
	return 0;
}

/* ---------------------------------------------------------------- taking one: the copy */

/* A plan as the item a snapshot keeps: its plan_create entry's form. */
static json_t *plan_item(const vlt_svc_plan_t *p)
{
	json_t *rseq = json_array();

	for (size_t i = 0; rseq != NULL && i < p->n_units; i++)
		json_array_append_new(rseq, json_integer((json_int_t)p->units[i].reserved_seq));
	json_t *item = json_pack("{s:{s:s, s:s, s:s, s:s*}, s:o*, s:o*, s:o*}", "plan", "id",
				 p->id, "stack_id", p->stack_id, "name", p->name, "tenant", p->tenant,
				 "request", vlt__svc_request_text(p->request), "units",
				 vlt__units_json(p->units, p->n_units), "rseq", rseq);
	/* an ended reservation: when it ended (its units are expired) */
	if (item != NULL && p->ended_ms != 0 &&
	    json_object_set_new(json_object_get(item, "plan"), "ended",
				json_integer((json_int_t)p->ended_ms)) < 0) {
		json_decref(item);
		return NULL;
	}
	return item;
}

/* The state as items (new reference, NULL on out of memory); under the lock. */
static json_t *state_items(const vlt_service_t *s)
{
	json_t *items = json_array();
	const char *name;
	size_t i;
	json_t *g;
	bool ok = items != NULL;

	for (const vlt_svc_plan_t *p = s->st.first; ok && p != NULL; p = p->next)
		ok = json_array_append_new(items, plan_item(p)) == 0;
	json_array_foreach(s->st.groups, i, g) {
		ok = ok && json_array_append_new(items, json_pack("{s:O}", "group", g)) == 0;
	}
	json_object_foreach(s->st.retired, name, g) {
		ok = ok && json_array_append_new(items, json_pack("{s:s, s:O}", "retired", name,
								   "group", g)) == 0;
	}
	if (!ok) {
		json_decref(items);
		return NULL;
	}
	return items;
}

/* ---------------------------------------------------------------- taking one: the writes */

static int put_doc(vlt_service_t *s, const char *coll, const char *id, const json_t *doc,
		   vlt_err_t *err)
{
	vlt_err_t e = { 0 };
	double t0 = vlt__clock_mono_ms();
	int rc = store_ops(s)->put(s->store->state, coll, id, doc, 0, &e);

	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_PUT, t0, rc);
	if (rc == VLT_ECONFLICT)
		return vlt_err_set(err, rc, "store %s: %s exists already", coll, id);
	return rc < 0 ? vlt_err_set(err, VLT_EBACKEND, "store %s: write %s: %s", coll, id, e.msg)
		      : 0;
}

/* Remove one document, already gone being as good. */
static int remove_doc(vlt_service_t *s, const char *coll, const char *id, vlt_err_t *err)
{
	vlt_err_t e = { 0 };
	double t0 = vlt__clock_mono_ms();
	int rc = store_ops(s)->remove(s->store->state, coll, id, -1, &e);

	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_REMOVE, t0, rc);
	if (rc == VLT_ENOENT)
		return 0;
	return rc < 0 ? vlt_err_set(err, VLT_EBACKEND, "store %s: remove %s: %s", coll, id, e.msg)
		      : 0;
}

static size_t chunk_bytes(const vlt_service_t *s)
{
	return s->opts.snapshot_chunk_bytes > 0 ? s->opts.snapshot_chunk_bytes
						: VLT_SNAPSHOT_CHUNK_BYTES;
}

static size_t item_bytes(const json_t *item)
{
	return json_dumpb(item, NULL, 0, JSON_COMPACT);
}

/* Store items as chunks of m (m->n_chunks set). RET 0 or a negative code. */
static int write_chunks(vlt_service_t *s, manifest_t *m, const json_t *items, vlt_err_t *err)
{
	char coll[96], id[96];
	size_t i = 0, n = json_array_size(items);
	int rc = 0;

	coll_of(s, "snapshot_chunks", coll, sizeof(coll));
	m->n_chunks = 0;
	do { /* an empty state is one empty chunk */
		json_t *chunk = json_array();
		size_t bytes = 0;

		while (chunk != NULL && i < n) {
			json_t *item = json_array_get(items, i);
			size_t b = item_bytes(item);

			if (json_array_size(chunk) > 0 && bytes + b > chunk_bytes(s))
				break;
			json_array_append(chunk, item);
			bytes += b;
			i++;
		}
		json_t *doc = chunk != NULL ? json_pack("{s:o}", "items", chunk) : NULL;

		chunk_id(m, m->n_chunks, id, sizeof(id));
		rc = doc != NULL ? put_doc(s, coll, id, doc, err)
				 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
		json_decref(doc);
		m->n_chunks++;
		if (m->n_chunks == 1)
			step(s, "first chunk");
	} while (rc == 0 && i < n);
	return rc;
}

static int write_manifest(vlt_service_t *s, const manifest_t *m, size_t n_items,
			  vlt_err_t *err)
{
	char coll[96], id[SEQ_DIGITS + 1];
	json_t *doc = json_pack("{s:i, s:I, s:s, s:I, s:I, s:I, s:I}", "format", FORMAT, "seq",
				(json_int_t)m->seq, "token", m->token, "chunks",
				(json_int_t)m->n_chunks, "items", (json_int_t)n_items, "unapplied",
				(json_int_t)m->unapplied, "at",
				(json_int_t)vlt__svc_now_ms(s));
	int rc;

	coll_of(s, "snapshots", coll, sizeof(coll));
	seq_id(m->seq, id, sizeof(id));
	rc = doc != NULL ? put_doc(s, coll, id, doc, err)
			 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_decref(doc);
	return rc;
}

/* ---------------------------------------------------------------- compaction */

/* The ids of a collection's documents below `to`, at most REMOVE_BATCH. */
struct ids {
	char **v;
	size_t n;
};

static int collect_id(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct ids *ids = arg;
	char *copy = strdup(id);
	(void)doc;
	(void)version;

	if (copy == NULL)
		return VLT_ENOMEM;
	ids->v[ids->n++] = copy;
	return 0;
}

static void free_ids(struct ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	free(ids->v);
}

/* Remove ids: in one call with remove_batch (ABI 1.6), else one by one. */
static int remove_ids(vlt_service_t *s, const char *coll, const struct ids *ids, size_t *removed,
		      vlt_err_t *err)
{
	const vlt_store_ops_t *ops = store_ops(s);

	if (!VLT_OPS_HAS(ops, vlt_store_ops_t, remove_batch, 6)) {
		int rc = 0;

		for (size_t i = 0; rc == 0 && i < ids->n; i++)
			if ((rc = remove_doc(s, coll, ids->v[i], err)) == 0)
				(*removed)++;
		return rc;
	}
	vlt_err_t e = { 0 };
	size_t n = 0;
	double t0 = vlt__clock_mono_ms();
	int rc = ops->remove_batch(s->store->state, coll, ids->n, (const char *const *)ids->v, &n,
				   &e);

	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_REMOVE, t0, rc);
	*removed += n;
	return rc < 0 ? vlt_err_set(err, VLT_EBACKEND, "store %s: remove: %s", coll, e.msg) : 0;
}

/* Remove the documents of coll with from <= id < to, REMOVE_BATCH at a time. */
static int remove_range(vlt_service_t *s, const char *coll, const char *from, const char *to,
			size_t *removed, vlt_err_t *err)
{
	for (;;) {
		struct ids ids = { calloc(REMOVE_BATCH, sizeof(char *)), 0 };
		vlt_err_t e = { 0 };
		int rc = ids.v != NULL ? store_ops(s)->range(s->store->state, coll, from, to,
							     REMOVE_BATCH, false, collect_id,
							     &ids, &e)
				       : VLT_ENOMEM;

		if (rc < 0)
			rc = rc == VLT_ENOMEM ? vlt_err_set(err, rc, "out of memory")
					      : vlt_err_set(err, VLT_EBACKEND,
							    "store %s: read: %s", coll, e.msg);
		if (rc == 0)
			rc = remove_ids(s, coll, &ids, removed, err);
		size_t n = ids.n;

		free_ids(&ids);
		if (rc < 0 || n < REMOVE_BATCH)
			return rc;
	}
}

/* The chunks of m's N and token, or (others) those of its N under any other token. */
static int remove_chunks(vlt_service_t *s, const manifest_t *m, bool others, size_t *removed,
			 vlt_err_t *err)
{
	char coll[96], from[96], mine[96], mine_end[96], to[96];

	coll_of(s, "snapshot_chunks", coll, sizeof(coll));
	snprintf(from, sizeof(from), "%0*" PRIu64 ".", SEQ_DIGITS, m->seq);
	snprintf(mine, sizeof(mine), "%0*" PRIu64 ".%s.", SEQ_DIGITS, m->seq, m->token);
	/* '/' follows '.': the end of the ids under that token */
	snprintf(mine_end, sizeof(mine_end), "%0*" PRIu64 ".%s/", SEQ_DIGITS, m->seq, m->token);
	snprintf(to, sizeof(to), "%0*" PRIu64 "/", SEQ_DIGITS, m->seq);
	if (!others)
		return remove_range(s, coll, mine, mine_end, removed, err);
	int rc = remove_range(s, coll, from, mine, removed, err);

	return rc == 0 ? remove_range(s, coll, mine_end, to, removed, err) : rc;
}

/*
 * After keep's manifest is stored: older manifests and every chunk below
 * keep's N (or of its N under another token), then the journal's entries
 * below floor (the previous snapshot's N; 0: none).
 */
static int compact(vlt_service_t *s, const manifest_t *keep, uint64_t floor, vlt_err_t *err)
{
	char coll[96], below[SEQ_DIGITS + 1];
	size_t n_snap = 0, n_entries = 0;
	int rc;

	seq_id(keep->seq, below, sizeof(below));
	coll_of(s, "snapshots", coll, sizeof(coll));
	rc = remove_range(s, coll, NULL, below, &n_snap, err);
	coll_of(s, "snapshot_chunks", coll, sizeof(coll));
	if (rc == 0)
		rc = remove_range(s, coll, NULL, below, &n_snap, err);
	if (rc == 0)
		rc = remove_chunks(s, keep, true, &n_snap, err);
	step(s, "snapshots compacted");
	if (rc == 0 && floor > 0) {
		seq_id(floor, below, sizeof(below));
		rc = remove_range(s, s->journal.coll, NULL, below, &n_entries, err);
	}
	if (n_snap + n_entries > 0)
		vlt__log(NULL, VLT_LOG_INFO,
			 "compaction after the snapshot at entry %" PRIu64 ": %zu journal entries "
			 "and %zu snapshot documents removed",
			 keep->seq, n_entries, n_snap);
	return rc;
}

/* ---------------------------------------------------------------- taking one */

/* The newest snapshot's entry below seq, 0 when none. */
static uint64_t newest_below(const manifests_t *all, uint64_t seq)
{
	for (size_t i = 0; i < all->n; i++) {
		if (all->v[i].seq < seq)
			return all->v[i].seq;
	}
	return 0;
}

/* Copy the state under the lock, if it moved on since the newest snapshot. */
static json_t *copy_if_due(vlt_service_t *s, uint64_t newest, bool force, manifest_t *m)
{
	json_t *items = NULL;

	pthread_mutex_lock(&s->lock);
	if (newest > s->snap_seq)
		s->snap_seq = newest; /* another valetd took one */
	uint64_t due = s->opts.snapshot_every;

	if (s->journal.applied > s->snap_seq &&
	    (force || (due > 0 && s->journal.applied - s->snap_seq >= due))) {
		m->seq = s->journal.applied;
		m->unapplied = s->journal.n_unapplied;
		double t0 = vlt__clock_mono_ms();
		items = state_items(s);
		s->snap_copy_ms = vlt__clock_mono_ms() - t0;
	}
	pthread_mutex_unlock(&s->lock);
	return items;
}

static void count(vlt_service_t *s, int rc, uint64_t seq, double t0)
{
	double ms = vlt__clock_mono_ms() - t0;

	pthread_mutex_lock(&s->lock);
	if (rc == 0) {
		s->n_snapshots++;
		s->snap_last_ms = ms;
		if (seq > s->snap_seq)
			s->snap_seq = seq;
	} else {
		s->n_snapshot_failed++;
	}
	pthread_mutex_unlock(&s->lock);
}

static int take(vlt_service_t *s, bool force, vlt_err_t *err)
{
	manifests_t all = { 0 };
	manifest_t m = { 0 };
	double t0 = vlt__clock_mono_ms();
	int rc = read_manifests(s, &all, err);
	json_t *items = rc == 0 ? copy_if_due(s, all.n > 0 ? all.v[0].seq : 0, force, &m) : NULL;

	if (items == NULL) { /* not due, or the manifests could not be read */
		if (rc < 0)
			count(s, rc, 0, t0);
		free(all.v);
		return rc;
	}
	vlt__svc_uuid(m.token);
	rc = write_chunks(s, &m, items, err);
	if (rc == 0) {
		step(s, "chunks written");
		rc = write_manifest(s, &m, json_array_size(items), err);
	}
	if (rc == 0) {
		step(s, "manifest written");
		vlt__log(NULL, VLT_LOG_INFO,
			 "snapshot at journal entry %" PRIu64 ": %zu items in %zu chunks", m.seq,
			 json_array_size(items), m.n_chunks);
		rc = compact(s, &m, newest_below(&all, m.seq), err);
		if (rc < 0) /* the snapshot stands: the next one compacts */
			vlt__log(NULL, VLT_LOG_WARNING, "compaction stopped: %s", err->msg);
		rc = 0;
	} else if (rc == VLT_ECONFLICT) { /* another valetd stored that snapshot first */
		vlt_err_t e = { 0 };
		size_t n = 0;

		remove_chunks(s, &m, false, &n, &e); /* ours; else the next compaction does */
		rc = 0;
	}
	count(s, rc, m.seq, t0);
	json_decref(items);
	free(all.v);
	return rc;
}

int vlt__service_snapshot(vlt_service_t *s, vlt_err_t *err)
{
	if (!VLT_OPS_HAS(store_ops(s), vlt_store_ops_t, range, 4))
		return vlt_err_set(err, VLT_ECONFIG,
				   "store %s cannot keep snapshots: it has no range() (ABI 1.4)",
				   s->store->name);
	pthread_mutex_lock(&s->snap_lock);
	int rc = take(s, true, err);
	pthread_mutex_unlock(&s->snap_lock);
	return rc;
}

static void snapshot_if_due(vlt_service_t *s)
{
	vlt_err_t err = { 0 };

	pthread_mutex_lock(&s->lock);
	bool due = s->journal.applied - s->snap_seq >= s->opts.snapshot_every;
	pthread_mutex_unlock(&s->lock);
	if (!due) /* nothing to read from the store yet */
		return;
	pthread_mutex_lock(&s->snap_lock);
	if (take(s, false, &err) < 0)
		vlt__log(NULL, VLT_LOG_ERR, "snapshot not taken: %s", err.msg);
	pthread_mutex_unlock(&s->snap_lock);
}

int vlt__service_snapshotter_start(vlt_service_t *s, vlt_err_t *err)
{
	if (s->opts.snapshot_every == 0)
		return 0;
	if (!VLT_OPS_HAS(store_ops(s), vlt_store_ops_t, range, 4))
		return vlt_err_set(err, VLT_ECONFIG,
				   "service.snapshot_every: store %s cannot keep snapshots: it has "
				   "no range() (ABI 1.4); set it to 0",
				   s->store->name);
	s->snapshotter.wake = &s->snap_due;
	s->snapshotter.leased = true; /* among several valetd, the lease's holder takes them */
	return vlt__svc_ticker_start(s, &s->snapshotter, VLT_SNAPSHOT_POLL_MS, snapshot_if_due,
				     "snapshot", err);
}

void vlt__svc_snapshot_note(void *svc, uint64_t applied)
{
	vlt_service_t *s = svc;
	uint64_t due = s->opts.snapshot_every;

	if (due > 0 && applied - s->snap_seq >= due) /* no thread waiting: nothing happens */
		pthread_cond_signal(&s->snap_due);
}

/* ---------------------------------------------------------------- loading one */

static int load_item(vlt_service_t *s, const json_t *item, const char *where, vlt_err_t *err)
{
	const json_t *g = json_object_get(item, "group");
	const char *retired = json_string_value(json_object_get(item, "retired"));

	if (json_object_get(item, "plan") != NULL) {
		int rc = vlt__apply_plan_create(s, item, false, where, err);
		vlt_svc_plan_t *p = s->st.last;
		const json_t *rseq = json_object_get(item, "rseq");

		for (size_t i = 0; rc == 0 && i < p->n_units; i++)
			p->units[i].reserved_seq =
				(uint64_t)json_integer_value(json_array_get(rseq, i));
		return rc;
	}
	if (!json_is_object(g))
		return vlt_err_set(err, VLT_EINVAL, "%s: an item that is no plan nor group", where);
	json_t *copy = json_deep_copy(g);

	if (copy == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (retired != NULL)
		return json_object_set_new(s->st.retired, retired, copy) == 0
			       ? 0
			       : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return json_array_append_new(s->st.groups, copy) == 0
		       ? 0
		       : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static int load_chunk(vlt_service_t *s, const manifest_t *m, size_t k, vlt_err_t *err)
{
	char coll[96], id[96], where[160];
	json_t *doc = NULL, *item;
	int64_t version = 0;
	vlt_err_t e = { 0 };
	size_t i;

	coll_of(s, "snapshot_chunks", coll, sizeof(coll));
	chunk_id(m, k, id, sizeof(id));
	double t0 = vlt__clock_mono_ms();
	int rc = store_ops(s)->get(s->store->state, coll, id, &doc, &version, &e);

	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_GET, t0, rc);
	if (rc == VLT_ENOENT)
		return vlt_err_set(err, VLT_EINVAL, "store %s: chunk %s is missing", coll, id);
	if (rc < 0)
		return vlt_err_set(err, VLT_EBACKEND, "store %s: read %s: %s", coll, id, e.msg);
	json_array_foreach(json_object_get(doc, "items"), i, item) {
		snprintf(where, sizeof(where), "snapshot %s item %zu", id, i);
		rc = load_item(s, item, where, err);
		if (rc < 0)
			break;
	}
	json_decref(doc);
	return rc;
}

/* The state emptied: plans, groups (the engine's holds are the caller's business). */
static int reset_state(vlt_service_t *s, vlt_err_t *err)
{
	vlt__state_free(&s->st);
	return vlt__state_init(&s->st) == 0 ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* The state from m, journal at m's entry; on failure the state is empty. */
static int load_manifest(vlt_service_t *s, const manifest_t *m, vlt_err_t *err)
{
	int rc = reset_state(s, err);

	for (size_t k = 0; rc == 0 && k < m->n_chunks; k++)
		rc = load_chunk(s, m, k, err);
	if (rc == 0)
		rc = vlt__svc_groups_to_engine(s, "snapshot", err);
	if (rc < 0) {
		vlt_err_t e = { 0 };

		reset_state(s, &e);
		return rc;
	}
	s->journal.applied = m->seq;
	s->journal.n_unapplied = m->unapplied;
	if (m->seq > s->snap_seq)
		s->snap_seq = m->seq;
	return 0;
}

int vlt__svc_snapshot_load(vlt_service_t *s, uint64_t above, bool *loaded, vlt_err_t *err)
{
	manifests_t all = { 0 };
	int rc = 0;

	*loaded = false;
	if (!VLT_OPS_HAS(store_ops(s), vlt_store_ops_t, range, 4))
		return 0;
	rc = read_manifests(s, &all, err);
	for (size_t i = 0; rc == 0 && !*loaded && i < all.n && all.v[i].seq > above; i++) {
		vlt_err_t e = { 0 };
		double t0 = vlt__clock_mono_ms();

		if (load_manifest(s, &all.v[i], &e) == 0) {
			*loaded = true;
			vlt__log(NULL, VLT_LOG_NOTICE,
				 "snapshot at journal entry %" PRIu64 " read in %.0f ms: %zu plans, "
				 "%zu groups",
				 all.v[i].seq, vlt__clock_mono_ms() - t0, s->st.n_plans,
				 json_array_size(s->st.groups));
		} else if (e.code == VLT_ENOMEM) {
			rc = vlt_err_set(err, e.code, "%s", e.msg);
		} else {
			vlt__log(NULL, VLT_LOG_WARNING,
				 "snapshot at journal entry %" PRIu64 " not read (%s): trying an "
				 "older one",
				 all.v[i].seq, e.msg);
		}
	}
	free(all.v);
	return rc;
}

int vlt__svc_reload_past_gap(void *svc, uint64_t missing, vlt_err_t *err)
{
	vlt_service_t *s = svc;
	bool loaded = false;

	if (s->replaying) /* at start: the state is rebuilt from the snapshot, held after */
		return vlt__svc_snapshot_load(s, missing - 1, &loaded, err);
	int rc = vlt__engine_rebase(s->engine, NULL, 0, err); /* no plan held, none credited */

	s->replaying = true;
	if (rc == 0)
		rc = vlt__svc_snapshot_load(s, missing - 1, &loaded, err);

	if (rc == 0)
		vlt__log(NULL, VLT_LOG_NOTICE,
			 "journal entry %" PRIu64 " was compacted away: the state was read again "
			 "from the snapshot at entry %" PRIu64,
			 missing, s->journal.applied);
	int hrc = vlt__svc_hold_after_replay(s, err); /* every plan held again, as at start */

	return rc < 0 ? rc : hrc;
}
