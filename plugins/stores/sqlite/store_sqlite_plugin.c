/*
 * store_sqlite_plugin.c - the sqlite store: valet's documents in one SQLite
 * file, one row per document (docs/store-sqlite.md).
 *
 * Concurrency: each store holds one connection and a mutex around it, so
 * calls from valetd's threads run one at a time. That is the simplest
 * correct choice: every operation is a short transaction, and a single
 * writer is all SQLite allows anyway. Other processes sharing the file are
 * kept apart by SQLite's own locks: writes start with BEGIN IMMEDIATE,
 * which waits up to busy_timeout_ms for the write lock, and read the
 * version they compare under that lock. A state must not be used in a
 * process forked after init; the child opens its own.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include <valet/store.h>

#include "sqlite_schema.h"


enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_VERSION,
	SQ_GET,
	SQ_INSERT,
	SQ_UPDATE,
	SQ_DELETE,
	SQ_RANGE_ASC,
	SQ_RANGE_DESC,
	SQ_N_STMT
};

/* Prepared once at init; ?1 is always the collection and ?2 the id. */
static const char *const sq_sql[SQ_N_STMT] = {
	[SQ_BEGIN] = "BEGIN IMMEDIATE",
	[SQ_COMMIT] = "COMMIT",
	[SQ_ROLLBACK] = "ROLLBACK",
	[SQ_VERSION] = "SELECT version FROM documents WHERE coll = ?1 AND id = ?2",
	[SQ_GET] = "SELECT version, doc FROM documents WHERE coll = ?1 AND id = ?2",
	[SQ_INSERT] = "INSERT INTO documents (coll, id, version, doc) VALUES (?1, ?2, 1, ?3)",
	[SQ_UPDATE] = "UPDATE documents SET doc = ?3, version = ?4 WHERE coll = ?1 AND id = ?2",
	[SQ_DELETE] = "DELETE FROM documents WHERE coll = ?1 AND id = ?2",
	/* ?2 and ?3 bound the id ([?2, ?3)), ?4 is the limit (-1: none): the primary key's range */
	[SQ_RANGE_ASC] = "SELECT id, version, doc FROM documents WHERE coll = ?1 AND id >= ?2 "
			 "AND id < ?3 ORDER BY id LIMIT ?4",
	[SQ_RANGE_DESC] = "SELECT id, version, doc FROM documents WHERE coll = ?1 AND id >= ?2 "
			  "AND id < ?3 ORDER BY id DESC LIMIT ?4",
};

/* Above every id: 0xff starts no UTF-8 sequence, and ids compare as bytes. */
static const char sq_id_above_all[] = "\xff";

struct sq_settings {
	char *path; /* resolved against the data directory */
	int busy_ms;
	bool sync_full;
};

struct sq_store {
	sqlite3 *db;
	char *path;
	pthread_mutex_t lock; /* serialises every use of db and stmt */
	sqlite3_stmt *stmt[SQ_N_STMT];
};

/* One document copied out of a list query, so callbacks run unlocked. */
struct sq_row {
	char *id;
	char *text;
	size_t len;
	int64_t version;
};

struct sq_rows {
	struct sq_row *v;
	size_t n, cap;
};

/* ---- errors */

/* sqlite's last error on this connection, with the file and the operation. */
static int sq_fail(const struct sq_store *s, const char *op, const char *coll, const char *id,
		   vlt_err_t *err)
{
	int ec = sqlite3_extended_errcode(s->db);
	int code = (ec & 0xff) == SQLITE_NOMEM ? VLT_ENOMEM : VLT_EBACKEND;

	if (coll)
		return vlt_err_set(err, code, "sqlite store %s: %s %s/%s: %s (code %d)", s->path,
				   op, coll, id, sqlite3_errmsg(s->db), ec);
	return vlt_err_set(err, code, "sqlite store %s: %s: %s (code %d)", s->path, op,
			   sqlite3_errmsg(s->db), ec);
}

static int conflict(const char *coll, const char *id, int64_t cur, int64_t expect,
		    vlt_err_t *err)
{
	if (cur == 0)
		return vlt_err_set(err, VLT_ECONFLICT,
				   "%s/%s does not exist (expected version %lld)", coll, id,
				   (long long)expect);
	if (expect == 0)
		return vlt_err_set(err, VLT_ECONFLICT, "%s/%s exists already (version %lld)", coll,
				   id, (long long)cur);
	return vlt_err_set(err, VLT_ECONFLICT, "%s/%s is at version %lld, not %lld", coll, id,
			   (long long)cur, (long long)expect);
}

/* ---- names */


/* ---- statements; the caller holds s->lock */

static void stmt_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Binds ?1 and ?2; both strings outlive the statement's use. */
static void bind_key(sqlite3_stmt *st, const char *coll, const char *id)
{
	sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
	if (id)
		sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
}

/* Step a statement that returns no rows, then reset it. */
static int run(struct sq_store *s, enum sq_stmt which, const char *op, const char *coll,
	       const char *id, vlt_err_t *err)
{
	sqlite3_stmt *st = s->stmt[which];
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_fail(s, op, coll, id, err);

	stmt_reset(st);
	return rc;
}

/* Commit when rc is 0, else undo whatever the transaction did. RET rc or the commit's error. */
static int finish(struct sq_store *s, int rc, const char *op, const char *coll, const char *id,
		  vlt_err_t *err)
{
	if (rc == 0)
		rc = run(s, SQ_COMMIT, op, coll, id, err);
	/* Some errors end the transaction by themselves; roll back only a live one. */
	if (rc != 0 && !sqlite3_get_autocommit(s->db)) {
		sqlite3_step(s->stmt[SQ_ROLLBACK]);
		sqlite3_reset(s->stmt[SQ_ROLLBACK]);
	}
	return rc;
}

/* OUT version - the stored version, 0 when there is no such document. */
static int read_version(struct sq_store *s, const char *coll, const char *id, int64_t *version,
			vlt_err_t *err)
{
	sqlite3_stmt *st = s->stmt[SQ_VERSION];

	bind_key(st, coll, id);
	int rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(s, "read", coll, id, err);
	stmt_reset(st);
	return rc;
}

/* OUT doc - new reference parsed from a stored row. */
static int decode(const struct sq_store *s, const char *coll, const char *id, const char *text,
		  size_t len, json_t **doc, vlt_err_t *err)
{
	json_error_t jerr;

	/* JSON_ALLOW_NUL: jansson writes a NUL inside a string as \u0000; read it back. */
	*doc = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
	if (*doc)
		return 0;
	return vlt_err_set(err, VLT_EBACKEND, "sqlite store %s: %s/%s holds invalid JSON: %s",
			   s->path, coll, id, jerr.text);
}

/* ---- operations */

static int sq_get(void *state, const char *coll, const char *id, json_t **doc,
		  int64_t *version, vlt_err_t *err)
{
	struct sq_store *s = state;
	int rc = vlt_store_check_key(coll, id, err);

	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = s->stmt[SQ_GET];
	bind_key(st, coll, id);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		if (version)
			*version = sqlite3_column_int64(st, 0);
		if (doc)
			rc = decode(s, coll, id, (const char *)sqlite3_column_text(st, 1),
				    (size_t)sqlite3_column_bytes(st, 1), doc, err);
	} else if (step == SQLITE_DONE) {
		rc = vlt_err_set(err, VLT_ENOENT, "%s/%s: no such document", coll, id);
	} else {
		rc = sq_fail(s, "get", coll, id, err);
	}
	stmt_reset(st);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int write_doc(struct sq_store *s, const char *coll, const char *id, const char *text,
		     size_t len, int64_t cur, vlt_err_t *err)
{
	sqlite3_stmt *st = s->stmt[cur == 0 ? SQ_INSERT : SQ_UPDATE];

	bind_key(st, coll, id);
	if (cur != 0)
		sqlite3_bind_int64(st, 4, cur + 1);
	int rc = sqlite3_bind_text64(st, 3, text, len, SQLITE_STATIC, SQLITE_UTF8);
	if (rc == SQLITE_TOOBIG) {
		stmt_reset(st);
		return vlt_err_set(err, VLT_E2BIG,
				   "%s/%s: the document is %zu bytes; at most %d fit", coll, id,
				   len, sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, -1));
	}
	return run(s, cur == 0 ? SQ_INSERT : SQ_UPDATE, "put", coll, id, err);
}

static int put_locked(struct sq_store *s, const char *coll, const char *id, const char *text,
		      size_t len, int64_t expect, vlt_err_t *err)
{
	int64_t cur = 0;
	int rc = run(s, SQ_BEGIN, "put", coll, id, err);

	if (rc == 0)
		rc = read_version(s, coll, id, &cur, err);
	if (rc == 0 && cur != expect)
		rc = conflict(coll, id, cur, expect, err);
	if (rc == 0)
		rc = write_doc(s, coll, id, text, len, cur, err);
	return finish(s, rc, "put", coll, id, err);
}

static int sq_put(void *state, const char *coll, const char *id, const json_t *doc,
		  int64_t expect, vlt_err_t *err)
{
	struct sq_store *s = state;
	int rc = vlt_store_check_key(coll, id, err);

	if (rc)
		return rc;
	if (!json_is_object(doc))
		return vlt_err_set(err, VLT_EINVAL, "%s/%s: a document must be a JSON object", coll,
				   id);
	if (expect < 0 || expect == INT64_MAX)
		return vlt_err_set(err, VLT_EINVAL, "%s/%s: expected version %lld is out of range",
				   coll, id, (long long)expect);
	char *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return vlt_err_set(err, VLT_ENOMEM, "%s/%s: cannot encode the document", coll, id);
	pthread_mutex_lock(&s->lock);
	rc = put_locked(s, coll, id, text, strlen(text), expect, err);
	pthread_mutex_unlock(&s->lock);
	free(text);
	return rc;
}

/* Insert docs[i] at ids[i] after checking none exists; the caller holds the transaction. */
static int insert_one(struct sq_store *s, const char *coll, const char *id, const json_t *doc,
		      vlt_err_t *err)
{
	int64_t cur = 0;
	char *text = json_dumps(doc, JSON_COMPACT);
	int rc = text ? read_version(s, coll, id, &cur, err)
		      : vlt_err_set(err, VLT_ENOMEM, "%s/%s: cannot encode the document", coll, id);

	if (rc == 0 && cur != 0)
		rc = conflict(coll, id, cur, 0, err);
	if (rc == 0)
		rc = write_doc(s, coll, id, text, strlen(text), 0, err);
	free(text);
	return rc;
}

static int check_batch(const char *coll, size_t n, const char *const *ids,
		       const json_t *const *docs, vlt_err_t *err)
{
	int rc = vlt_store_check_name("collection name", coll, err);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = vlt_store_check_key(coll, ids[i], err);
		if (rc == 0 && !json_is_object(docs[i]))
			rc = vlt_err_set(err, VLT_EINVAL,
					 "%s/%s: a document must be a JSON object", coll, ids[i]);
	}
	return rc;
}

/*
 * ABI 1.5: n new documents in one transaction, so one COMMIT (one fsync
 * with synchronous = full) makes all of them durable; any failure rolls
 * the whole of it back.
 */
static int sq_insert_batch(void *state, const char *coll, size_t n, const char *const *ids,
			   const json_t *const *docs, vlt_err_t *err)
{
	struct sq_store *s = state;
	int rc = check_batch(coll, n, ids, docs, err);

	if (rc || n == 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	rc = run(s, SQ_BEGIN, "insert", coll, ids[0], err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = insert_one(s, coll, ids[i], docs[i], err);
	rc = finish(s, rc, "insert", coll, ids[0], err);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int remove_locked(struct sq_store *s, const char *coll, const char *id, int64_t expect,
			 vlt_err_t *err)
{
	int64_t cur = 0;
	int rc = run(s, SQ_BEGIN, "remove", coll, id, err);

	if (rc == 0)
		rc = read_version(s, coll, id, &cur, err);
	if (rc == 0 && cur == 0)
		rc = vlt_err_set(err, VLT_ENOENT, "%s/%s: no such document", coll, id);
	else if (rc == 0 && expect != -1 && cur != expect)
		rc = conflict(coll, id, cur, expect, err);
	if (rc == 0) {
		bind_key(s->stmt[SQ_DELETE], coll, id);
		rc = run(s, SQ_DELETE, "remove", coll, id, err);
	}
	return finish(s, rc, "remove", coll, id, err);
}

static int sq_remove(void *state, const char *coll, const char *id, int64_t expect,
		     vlt_err_t *err)
{
	struct sq_store *s = state;
	int rc = vlt_store_check_key(coll, id, err);

	if (rc)
		return rc;
	if (expect < -1 || expect == 0)
		return vlt_err_set(err, VLT_EINVAL, "%s/%s: expected version %lld is out of range",
				   coll, id, (long long)expect);
	pthread_mutex_lock(&s->lock);
	rc = remove_locked(s, coll, id, expect, err);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/*
 * ABI 1.6: the documents ids of coll, whatever their version, in one
 * transaction: one COMMIT for them all, however many.
 */
static int sq_remove_batch(void *state, const char *coll, size_t n, const char *const *ids,
			   size_t *removed, vlt_err_t *err)
{
	struct sq_store *s = state;
	int rc = vlt_store_check_name("collection name", coll, err);

	*removed = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = vlt_store_check_key(coll, ids[i], err);
	if (rc || n == 0)
		return rc;
	pthread_mutex_lock(&s->lock);
	rc = run(s, SQ_BEGIN, "remove", coll, ids[0], err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		bind_key(s->stmt[SQ_DELETE], coll, ids[i]);
		rc = run(s, SQ_DELETE, "remove", coll, ids[i], err);
		if (rc == 0)
			*removed += (size_t)sqlite3_changes(s->db);
	}
	rc = finish(s, rc, "remove", coll, ids[0], err);
	if (rc != 0)
		*removed = 0; /* rolled back */
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void rows_free(struct sq_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].text);
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

/* Copy the current row of a list query. */
static int rows_push(struct sq_rows *r, sqlite3_stmt *st)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct sq_row *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return VLT_ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	struct sq_row *row = &r->v[r->n];
	size_t len = (size_t)sqlite3_column_bytes(st, 2);
	row->id = strdup((const char *)sqlite3_column_text(st, 0));
	row->text = malloc(len + 1);
	if (!row->id || !row->text) {
		free(row->id);
		free(row->text);
		return VLT_ENOMEM;
	}
	memcpy(row->text, sqlite3_column_text(st, 2), len + 1);
	row->len = len;
	row->version = sqlite3_column_int64(st, 1);
	r->n++;
	return 0;
}

/* Step a bound SELECT into r, then reset it: a snapshot of its rows at one instant. */
static int read_rows_of(struct sq_store *s, sqlite3_stmt *st, const char *coll,
			struct sq_rows *r, vlt_err_t *err)
{
	int rc = 0, step;

	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = rows_push(r, st);
	if (rc)
		vlt_err_set(err, rc, "list %s: out of memory after %zu documents", coll, r->n);
	else if (step != SQLITE_DONE)
		rc = sq_fail(s, "list", coll, "*", err);
	stmt_reset(st);
	return rc;
}

/* Hand each row to fn in order, decoded; fn's returns as for list. */
static int walk_rows(struct sq_store *s, const char *coll, const struct sq_rows *rows,
		     vlt_store_each_fn fn, void *arg, vlt_err_t *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < rows->n; i++) {
		json_t *doc = NULL;
		rc = decode(s, coll, rows->v[i].id, rows->v[i].text, rows->v[i].len, &doc, err);
		if (rc)
			break;
		int stop = fn(arg, rows->v[i].id, doc, rows->v[i].version);
		json_decref(doc);
		if (stop != 0) {
			rc = stop < 0 ? stop : 0;
			break;
		}
	}
	return rc;
}

/*
 * One indexed SELECT of the ids in [from, to), at most limit of them. The
 * rows are read under the lock and handed to fn after it is released, so
 * fn may call back into the store. A positive return from fn stops the
 * walk and the call returns 0; a negative one is returned as it is, with
 * err untouched (fn reports its own errors).
 */
static int sq_range(void *state, const char *coll, const char *from, const char *to,
		    size_t limit, bool descending, vlt_store_each_fn fn, void *arg,
		    vlt_err_t *err)
{
	struct sq_store *s = state;
	struct sq_rows rows = { 0 };
	int rc = vlt_store_check_name("collection name", coll, err);

	if (rc)
		return rc;
	if (!fn)
		return vlt_err_set(err, VLT_EINVAL, "list %s: no callback", coll);
	sqlite3_stmt *st = s->stmt[descending ? SQ_RANGE_DESC : SQ_RANGE_ASC];
	pthread_mutex_lock(&s->lock);
	bind_key(st, coll, from != NULL ? from : "");
	sqlite3_bind_text(st, 3, to != NULL ? to : sq_id_above_all, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, limit > 0 && limit <= INT64_MAX ? (sqlite3_int64)limit : -1);
	rc = read_rows_of(s, st, coll, &rows, err);
	pthread_mutex_unlock(&s->lock);
	if (rc == 0)
		rc = walk_rows(s, coll, &rows, fn, arg, err);
	rows_free(&rows);
	return rc;
}

/* Every document of coll: its whole range. */
static int sq_list(void *state, const char *coll, vlt_store_each_fn fn, void *arg,
		   vlt_err_t *err)
{
	return sq_range(state, coll, NULL, NULL, 0, false, fn, arg, err);
}

/* ---- settings and opening */

static int check_settings(const char *file, int64_t busy, const char *sync,
			  struct sq_settings *set, vlt_err_t *err)
{
	if (!file || !*file)
		return vlt_err_set(err, VLT_ECONFIG, "store.sqlite.file: must name a file");
	if (strcmp(file, ":memory:") == 0)
		return vlt_err_set(err, VLT_ECONFIG,
				   "store.sqlite.file: an in-memory database keeps nothing; "
				   "name a file");
	if (busy < 0 || busy > INT_MAX)
		return vlt_err_set(err, VLT_ECONFIG,
				   "store.sqlite.busy_timeout_ms: %lld is out of range (0 to %d)",
				   (long long)busy, INT_MAX);
	set->busy_ms = (int)busy;
	if (sync && strcmp(sync, "full") == 0)
		set->sync_full = true;
	else if (sync && strcmp(sync, "normal") == 0)
		set->sync_full = false;
	else
		return vlt_err_set(err, VLT_ECONFIG,
				   "store.sqlite.synchronous: \"%s\" is neither \"full\" nor "
				   "\"normal\"",
				   sync ? sync : "");
	return 0;
}

/* OUT path - heap: file itself when absolute, else under the data directory. */
static int resolve_path(const vlt_core_t *core, const char *file, char **path, vlt_err_t *err)
{
	const char *dir = core->data_dir ? core->data_dir(core) : NULL;

	if (file[0] == '/' || !dir || !*dir)
		dir = NULL;
	size_t size = (dir ? strlen(dir) + 1 : 0) + strlen(file) + 1;
	*path = malloc(size);
	if (!*path)
		return vlt_err_set(err, VLT_ENOMEM, "store.sqlite.file: out of memory");
	snprintf(*path, size, "%s%s%s", dir ? dir : "", dir ? "/" : "", file);
	return 0;
}

static int read_settings(const vlt_core_t *core, struct sq_settings *set, vlt_err_t *err)
{
	char *file = NULL, *sync = NULL;
	int64_t busy = 0;
	int rc = core->cfg_str(core, "file", "valet.db", &file, err);

	if (rc == 0)
		rc = core->cfg_int(core, "busy_timeout_ms", 5000, &busy, err);
	if (rc == 0)
		rc = core->cfg_str(core, "synchronous", "full", &sync, err);
	if (rc == 0)
		rc = check_settings(file, busy, sync, set, err);
	if (rc == 0)
		rc = resolve_path(core, file, &set->path, err);
	free(file);
	free(sync);
	return rc;
}

static int make_dir(const char *dir, vlt_err_t *err)
{
	struct stat st;

	if (mkdir(dir, 0750) == 0)
		return 0;
	int e = errno;
	if (e == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return vlt_err_set(err, VLT_EIO, "sqlite store: cannot create directory %s: %s", dir,
			   strerror(e == EEXIST ? ENOTDIR : e));
}

/* Create the directory that will hold path, and its parents, mode 0750. */
static int make_parent_dirs(const char *path, vlt_err_t *err)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return 0;
	char *dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return vlt_err_set(err, VLT_ENOMEM, "sqlite store: out of memory");
	int rc = 0;
	for (char *p = dir + 1; rc == 0 && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		rc = make_dir(dir, err);
		*p = '/';
	}
	if (rc == 0)
		rc = make_dir(dir, err);
	free(dir);
	return rc;
}

static int exec(struct sq_store *s, const char *sql, const char *op, vlt_err_t *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, op, NULL, NULL, err);
	return 0;
}

/* RET 0 once in WAL mode, 1 while another connection is in the way (err
 * untouched), or a negative error. */
static int try_wal(struct sq_store *s, vlt_err_t *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if ((rc & 0xff) == SQLITE_BUSY) {
		rc = 1;
	} else if (rc != SQLITE_ROW) {
		rc = sq_fail(s, "setting WAL journal mode", NULL, NULL, err);
	} else {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		rc = mode && strcmp(mode, "wal") == 0
			     ? 0
			     : vlt_err_set(err, VLT_EBACKEND,
					   "sqlite store %s: cannot use WAL journal mode "
					   "(the file stays in %s mode)",
					   s->path, mode ? mode : "an unknown");
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * WAL: readers never wait for the writer, and a commit is one append.
 * Switching a new file to WAL takes an exclusive lock for which SQLite
 * does not call the busy handler, so when several processes open a new
 * file at once the losers wait here, within the same busy timeout.
 */
static int set_wal(struct sq_store *s, int busy_ms, vlt_err_t *err)
{
	const int step_ms = 5;
	int rc, waited = 0;

	while ((rc = try_wal(s, err)) == 1 && waited < busy_ms) {
		sqlite3_sleep(step_ms);
		waited += step_ms;
	}
	if (rc == 1)
		return vlt_err_set(err, VLT_EBACKEND,
				   "sqlite store %s: setting WAL journal mode: the file stayed "
				   "locked for %d ms",
				   s->path, waited);
	return rc;
}

static int open_db(struct sq_store *s, const struct sq_settings *set, vlt_err_t *err)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
		    SQLITE_OPEN_EXRESCODE;

	if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK) {
		if (!s->db)
			return vlt_err_set(err, VLT_ENOMEM, "sqlite store %s: out of memory",
					   s->path);
		return sq_fail(s, "open", NULL, NULL, err);
	}
	sqlite3_busy_timeout(s->db, set->busy_ms);
	int rc = set_wal(s, set->busy_ms, err);
	if (rc == 0)
		rc = exec(s, set->sync_full ? "PRAGMA synchronous = FULL" :
					      "PRAGMA synchronous = NORMAL",
			  "setting synchronous", err);
	if (rc == 0)
		rc = exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", err);
	return rc;
}

static int prepare_all(struct sq_store *s, vlt_err_t *err)
{
	for (int i = 0; i < SQ_N_STMT; i++) {
		if (sqlite3_prepare_v3(s->db, sq_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmt[i], NULL) != SQLITE_OK)
			return sq_fail(s, "preparing statements", NULL, NULL, err);
	}
	return 0;
}

static void sq_fini(void *state)
{
	struct sq_store *s = state;

	if (!s)
		return;
	for (int i = 0; i < SQ_N_STMT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

/* Takes ownership of set->path. OUT s - the open store, owned by the caller. */
static int store_open(const vlt_core_t *core, struct sq_settings *set, struct sq_store **out,
		      vlt_err_t *err)
{
	struct sq_store *s = calloc(1, sizeof(*s));
	int from = 0, to = 0;

	if (!s) {
		free(set->path);
		return vlt_err_set(err, VLT_ENOMEM, "sqlite store: out of memory");
	}
	s->path = set->path;
	pthread_mutex_init(&s->lock, NULL);
	int rc = open_db(s, set, err);
	if (rc == 0)
		rc = store_sqlite_schema_migrate(s->db, s->path, store_sqlite_migrations,
						 store_sqlite_n_migrations, &from, &to, err);
	if (rc == 0)
		rc = prepare_all(s, err);
	if (rc) {
		sq_fini(s);
		return rc;
	}
	if (from != to)
		vlt_log_notice(core, "%s: schema migrated from v%d to v%d", s->path, from, to);
	vlt_log_info(core, "%s: schema v%d, WAL, synchronous=%s, busy_timeout_ms=%d", s->path, to,
		     set->sync_full ? "full" : "normal", set->busy_ms);
	*out = s;
	return 0;
}

static int sq_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct sq_settings set = { 0 };
	struct sq_store *s = NULL;
	int rc = read_settings(core, &set, err);

	if (rc == 0)
		rc = make_parent_dirs(set.path, err);
	if (rc) {
		free(set.path);
		return rc;
	}
	rc = store_open(core, &set, &s, err);
	if (rc == 0)
		*state = s;
	return rc;
}

/*
 * The health check: the file must still be where it was opened (a file
 * removed or replaced under a running valetd would take every later write
 * with it) and answer a read.
 */
static int sq_ping(void *state, vlt_err_t *err)
{
	struct sq_store *s = state;
	int moved = 0;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK)
		rc = sq_fail(s, "checking the file", NULL, NULL, err);
	else if (moved)
		rc = vlt_err_set(err, VLT_EBACKEND,
				 "sqlite store %s: the database file was removed, renamed or "
				 "replaced since valetd opened it",
				 s->path);
	if (rc == 0) {
		sqlite3_stmt *st = s->stmt[SQ_VERSION];

		bind_key(st, "health", "ping");
		int step = sqlite3_step(st);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			rc = sq_fail(s, "ping", "health", "ping", err);
		stmt_reset(st);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static const vlt_store_ops_t sq_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_STORE, vlt_store_ops_t, "sqlite", "1.0.0",
				"documents in one local SQLite file (WAL)"),
	.init = sq_init,
	.fini = sq_fini,
	.get = sq_get,
	.put = sq_put,
	.remove = sq_remove,
	.list = sq_list,
	.ping = sq_ping,
	.range = sq_range,
	.insert_batch = sq_insert_batch,
	.remove_batch = sq_remove_batch,
};

VLT_PLUGIN_DEFINE(sq_ops);
