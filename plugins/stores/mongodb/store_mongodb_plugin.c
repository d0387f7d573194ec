/*
 * store_mongodb_plugin.c - the mongodb store: valet's documents in a
 * MongoDB database, one MongoDB document per valet document
 * (docs/store-mongodb.md).
 *
 * Every operation is a single command on a single MongoDB document, so it
 * is atomic on a standalone server, a replica set or a sharded cluster,
 * with no transactions: create is an insert that the unique _id refuses a
 * second time; compare-and-set is an update or a delete whose filter
 * names the expected version, so the server compares and writes in one
 * step.
 *
 * The valet document travels as JSON text in a string field, never as
 * BSON fields of its own: keys such as "$set" or "a.b" inside a document
 * can then never reach MongoDB as operators or paths.
 *
 * Threads: the mongoc_client_pool_t is thread-safe; each call pops a
 * client, uses it alone and pushes it back. A state must not be used in a
 * process forked after init; the child opens its own.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>
#include <jansson.h>
#include <mongoc/mongoc.h>

#include <valet/store.h>

/* "<coll>/<id>", with '%' and '/' in coll escaped as three bytes each */
#define MG_KEY_MAX (3 * VLT_STORE_NAME_MAX + 1 + VLT_STORE_NAME_MAX + 1)
#define MG_DB_NAME_MAX 63                  /* MongoDB's limit on a database name */
#define MG_DOC_MAX (16 * 1024 * 1024)      /* MongoDB's limit on one document */
#define MG_WTIMEOUT_MS 10000               /* for the default w: "majority" */
#define MG_REMOVE_TRIES 8

#define MG_DOCS "documents"
#define MG_META "meta"
#define MG_INDEX "coll_1_id_1"
#define MG_SCHEMA 1 /* the layout this module reads and writes */

#define MG_DEFAULT_URI "mongodb://127.0.0.1:27017/?serverSelectionTimeoutMS=3000"
#define MG_DEFAULT_DB "valet"

#define MG_DUPLICATE_KEY 11000

struct mg_store {
	mongoc_client_pool_t *pool;
	mongoc_uri_t *uri;
	mongoc_read_prefs_t *primary;
	char *db;
	bool logging; /* counted in log_users */
	char where[300]; /* "host:port,.../db" for messages; never credentials */
};

/* One document copied out of a list query, so callbacks run with no cursor open. */
struct mg_row {
	char *id;
	char *text;
	size_t len;
	int64_t version;
};

struct mg_rows {
	struct mg_row *v;
	size_t n, cap;
};

/* ---- errors */

/* A driver error, with where it happened: store, operation, document. */
static int mg_fail(const struct mg_store *s, const char *op, const char *coll, const char *id,
		   const bson_error_t *e, vlt_err_t *err)
{
	const char *maybe = e->domain == MONGOC_ERROR_WRITE_CONCERN ?
				    "; the write may or may not have been applied" :
				    "";

	if (coll)
		return vlt_err_set(err, VLT_EBACKEND,
				   "mongodb store %s: %s %s/%s: %s (domain %u, code %u)%s",
				   s->where, op, coll, id, e->message, e->domain, e->code, maybe);
	return vlt_err_set(err, VLT_EBACKEND, "mongodb store %s: %s: %s (domain %u, code %u)%s",
			   s->where, op, e->message, e->domain, e->code, maybe);
}

/* cur: the version now stored (0: none, -1: unknown). */
static int conflict(const char *coll, const char *id, int64_t cur, int64_t expect,
		    vlt_err_t *err)
{
	if (cur < 0)
		return vlt_err_set(err, VLT_ECONFLICT, "%s/%s is not at version %lld", coll, id,
				   (long long)expect);
	if (cur == 0)
		return vlt_err_set(err, VLT_ECONFLICT,
				   "%s/%s does not exist (expected version %lld)", coll, id,
				   (long long)expect);
	if (expect == 0)
		return vlt_err_set(err, VLT_ECONFLICT, "%s/%s exists already (version %lld)", coll,
				   id, (long long)cur);
	if (cur == expect)
		return vlt_err_set(err, VLT_ECONFLICT, "%s/%s changed while being written", coll,
				   id);
	return vlt_err_set(err, VLT_ECONFLICT, "%s/%s is at version %lld, not %lld", coll, id,
			   (long long)cur, (long long)expect);
}

/*
 * ---- the driver's own log lines
 *
 * mongoc logs through one handler per process (to stderr by default,
 * debug lines included). While a store is open they go to the core's log
 * instead, at the matching level; the default handler comes back when the
 * last store closes, before the module can be unloaded. mongoc holds a
 * lock of its own while it calls the handler, which takes log_lock; so
 * the handler is (un)installed under install_lock only, never under
 * log_lock, and the locks are always taken in one order.
 */
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const vlt_core_t *log_core;
static int log_users;

static void forward_log(mongoc_log_level_t level, const char *domain, const char *message,
			void *unused)
{
	static const int to_core[] = {
		[MONGOC_LOG_LEVEL_ERROR] = VLT_LOG_ERR,
		[MONGOC_LOG_LEVEL_CRITICAL] = VLT_LOG_ERR,
		[MONGOC_LOG_LEVEL_WARNING] = VLT_LOG_WARNING,
		[MONGOC_LOG_LEVEL_MESSAGE] = VLT_LOG_NOTICE,
		[MONGOC_LOG_LEVEL_INFO] = VLT_LOG_INFO,
		[MONGOC_LOG_LEVEL_DEBUG] = VLT_LOG_DEBUG,
	};

	(void)unused;
	if (level < MONGOC_LOG_LEVEL_ERROR || level > MONGOC_LOG_LEVEL_DEBUG)
		return; /* trace lines are for the driver's developers */
	pthread_mutex_lock(&log_lock);
	if (log_core)
		log_core->log(log_core, to_core[level], "mongoc %s: %s", domain, message);
	pthread_mutex_unlock(&log_lock);
}

static void log_attach(struct mg_store *s, const vlt_core_t *core)
{
	pthread_mutex_lock(&install_lock);
	pthread_mutex_lock(&log_lock);
	log_core = core;
	bool first = log_users++ == 0;
	pthread_mutex_unlock(&log_lock);
	if (first)
		mongoc_log_set_handler(forward_log, NULL);
	pthread_mutex_unlock(&install_lock);
	s->logging = true;
}

static void log_detach(struct mg_store *s)
{
	if (!s->logging)
		return;
	pthread_mutex_lock(&install_lock);
	pthread_mutex_lock(&log_lock);
	bool last = --log_users == 0;
	pthread_mutex_unlock(&log_lock);
	if (last) {
		/* Returns once no call of forward_log is running. */
		mongoc_log_set_handler(mongoc_log_default_handler, NULL);
		pthread_mutex_lock(&log_lock);
		log_core = NULL;
		pthread_mutex_unlock(&log_lock);
	}
	pthread_mutex_unlock(&install_lock);
	s->logging = false;
}

/* ---- names */


/*
 * The _id of (coll, id): "<coll>/<id>" with '%' and '/' in coll written
 * as "%25" and "%2F", so that no two pairs share an _id ("a/b" + "c" and
 * "a" + "b/c" differ) while ordinary names stay readable ("plans/p1").
 * key has room for MG_KEY_MAX bytes; names are checked already.
 */
static void make_key(const char *coll, const char *id, char *key)
{
	char *p = key;

	for (const char *c = coll; *c; c++) {
		if (*c == '%' || *c == '/') {
			*p++ = '%';
			*p++ = '2';
			*p++ = *c == '%' ? '5' : 'F';
		} else {
			*p++ = *c;
		}
	}
	*p++ = '/';
	size_t len = strlen(id);
	memcpy(p, id, len + 1);
}

/* ---- stored documents */

/* OUT doc - new reference parsed from the stored JSON text. */
static int decode(const struct mg_store *s, const char *coll, const char *id, const char *text,
		  size_t len, json_t **doc, vlt_err_t *err)
{
	json_error_t jerr;

	/* JSON_ALLOW_NUL: jansson writes a NUL inside a string as \u0000; read it back. */
	*doc = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
	if (*doc && json_is_object(*doc))
		return 0;
	json_decref(*doc);
	*doc = NULL;
	return vlt_err_set(err, VLT_EBACKEND, "mongodb store %s: %s/%s holds invalid JSON: %s",
			   s->where, coll, id, jerr.text);
}

/*
 * Read the version and (when text is not NULL) the JSON text of a stored
 * document. text points into b and lives as long as b does.
 */
static int read_stored(const struct mg_store *s, const bson_t *b, const char *coll,
		       const char *id, int64_t *version, const char **text, size_t *len,
		       vlt_err_t *err)
{
	bson_iter_t it;
	uint32_t n = 0;

	*version = 0;
	if (bson_iter_init_find(&it, b, "version") && BSON_ITER_HOLDS_NUMBER(&it))
		*version = bson_iter_as_int64(&it);
	if (*version < 1)
		return vlt_err_set(err, VLT_EBACKEND,
				   "mongodb store %s: %s/%s has no valid \"version\" field",
				   s->where, coll, id);
	if (!text)
		return 0;
	if (!bson_iter_init_find(&it, b, "doc") || !BSON_ITER_HOLDS_UTF8(&it))
		return vlt_err_set(err, VLT_EBACKEND,
				   "mongodb store %s: %s/%s has no string \"doc\" field", s->where,
				   coll, id);
	*text = bson_iter_utf8(&it, &n);
	*len = n;
	return 0;
}

/*
 * The whole stored document: { _id, coll, id, version, doc }. coll and id
 * are kept as fields of their own for list's index and for people reading
 * the database.
 */
static void stored_doc(bson_t *b, const char *key, const char *coll, const char *id,
		       int64_t version, const char *text)
{
	bson_init(b);
	BSON_APPEND_UTF8(b, "_id", key);
	BSON_APPEND_UTF8(b, "coll", coll);
	BSON_APPEND_UTF8(b, "id", id);
	BSON_APPEND_INT64(b, "version", version);
	BSON_APPEND_UTF8(b, "doc", text);
}

/* ---- one client per call */

struct mg_call {
	mongoc_client_t *client;
	mongoc_collection_t *coll;
};

static void call_begin(struct mg_store *s, const char *which, struct mg_call *c)
{
	c->client = mongoc_client_pool_pop(s->pool);
	c->coll = mongoc_client_get_collection(c->client, s->db, which);
}

static void call_end(struct mg_store *s, struct mg_call *c)
{
	mongoc_collection_destroy(c->coll);
	mongoc_client_pool_push(s->pool, c->client);
}

/*
 * Find the document under key. RET 1 found (*out initialised, the caller
 * destroys it), 0 none, or a negative error.
 */
static int find_key(struct mg_store *s, struct mg_call *c, const char *key, bool with_doc,
		    bson_t *out, bson_error_t *e)
{
	bson_t filter, opts, proj;
	const bson_t *found = NULL;
	int rc = 0;

	bson_init(&filter);
	BSON_APPEND_UTF8(&filter, "_id", key);
	bson_init(&opts);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
	BSON_APPEND_INT32(&proj, "version", 1);
	if (with_doc)
		BSON_APPEND_INT32(&proj, "doc", 1);
	bson_append_document_end(&opts, &proj);
	BSON_APPEND_INT64(&opts, "limit", 1);
	BSON_APPEND_BOOL(&opts, "singleBatch", true);
	mongoc_cursor_t *cur =
		mongoc_collection_find_with_opts(c->coll, &filter, &opts, s->primary);
	if (mongoc_cursor_next(cur, &found)) {
		bson_copy_to(found, out);
		rc = 1;
	} else if (mongoc_cursor_error(cur, e)) {
		rc = VLT_EBACKEND;
	}
	mongoc_cursor_destroy(cur);
	bson_destroy(&opts);
	bson_destroy(&filter);
	return rc;
}

/* RET the version stored under key now, 0 when none, -1 when the read failed (see e). */
static int64_t current_version(struct mg_store *s, struct mg_call *c, const char *key,
			       bson_error_t *e)
{
	bson_t found;
	bson_iter_t it;
	int64_t v = -1;
	int rc = find_key(s, c, key, false, &found, e);

	if (rc == 0)
		return 0;
	if (rc < 0)
		return -1;
	if (bson_iter_init_find(&it, &found, "version") && BSON_ITER_HOLDS_NUMBER(&it))
		v = bson_iter_as_int64(&it);
	bson_destroy(&found);
	return v;
}

/* A count from a write's reply ("matchedCount", "deletedCount"). */
static int64_t reply_count(const bson_t *reply, const char *field)
{
	bson_iter_t it;

	if (bson_iter_init_find(&it, reply, field) && BSON_ITER_HOLDS_NUMBER(&it))
		return bson_iter_as_int64(&it);
	return 0;
}

/* ---- operations */

static int mg_get(void *state, const char *coll, const char *id, json_t **doc,
		  int64_t *version, vlt_err_t *err)
{
	struct mg_store *s = state;
	char key[MG_KEY_MAX];
	struct mg_call c;
	bson_error_t e;
	bson_t found;
	int rc = vlt_store_check_key(coll, id, err);

	if (rc)
		return rc;
	make_key(coll, id, key);
	call_begin(s, MG_DOCS, &c);
	int got = find_key(s, &c, key, true, &found, &e);
	call_end(s, &c);
	if (got < 0)
		return mg_fail(s, "get", coll, id, &e, err);
	if (got == 0)
		return vlt_err_set(err, VLT_ENOENT, "%s/%s: no such document", coll, id);

	const char *text = NULL;
	size_t len = 0;
	int64_t v = 0;
	rc = read_stored(s, &found, coll, id, &v, &text, &len, err);
	json_t *parsed = NULL;
	if (rc == 0 && doc)
		rc = decode(s, coll, id, text, len, &parsed, err);
	bson_destroy(&found);
	if (rc)
		return rc;
	if (doc)
		*doc = parsed;
	if (version)
		*version = v;
	return 0;
}

static bool is_duplicate_key(const bson_error_t *e)
{
	return (e->domain == MONGOC_ERROR_SERVER || e->domain == MONGOC_ERROR_COLLECTION) &&
	       e->code == MG_DUPLICATE_KEY;
}

/* Create: an insert; the unique _id refuses a second one. */
static int insert_doc(struct mg_store *s, struct mg_call *c, const char *key, const char *coll,
		      const char *id, const bson_t *stored, vlt_err_t *err)
{
	bson_error_t e;

	if (mongoc_collection_insert_one(c->coll, stored, NULL, NULL, &e))
		return 0;
	if (is_duplicate_key(&e))
		return conflict(coll, id, current_version(s, c, key, &e), 0, err);
	return mg_fail(s, "put", coll, id, &e, err);
}

/* Compare-and-set: the filter names the version expected, the server checks and writes. */
static int update_doc(struct mg_store *s, struct mg_call *c, const char *key, const char *coll,
		      const char *id, const char *text, int64_t expect, vlt_err_t *err)
{
	bson_t filter, update, set, reply;
	bson_error_t e;
	int rc = 0;

	bson_init(&filter);
	BSON_APPEND_UTF8(&filter, "_id", key);
	BSON_APPEND_INT64(&filter, "version", expect);
	bson_init(&update);
	BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
	BSON_APPEND_INT64(&set, "version", expect + 1);
	BSON_APPEND_UTF8(&set, "doc", text);
	bson_append_document_end(&update, &set);
	if (!mongoc_collection_update_one(c->coll, &filter, &update, NULL, &reply, &e))
		rc = mg_fail(s, "put", coll, id, &e, err);
	else if (reply_count(&reply, "matchedCount") != 1)
		rc = conflict(coll, id, current_version(s, c, key, &e), expect, err);
	bson_destroy(&reply);
	bson_destroy(&update);
	bson_destroy(&filter);
	return rc;
}

static int mg_put(void *state, const char *coll, const char *id, const json_t *doc,
		  int64_t expect, vlt_err_t *err)
{
	struct mg_store *s = state;
	char key[MG_KEY_MAX];
	struct mg_call c;
	bson_t stored;
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
	make_key(coll, id, key);
	/* Measure what will be stored: MongoDB refuses documents over 16 MiB. */
	stored_doc(&stored, key, coll, id, expect + 1, text);
	if (stored.len > MG_DOC_MAX) {
		rc = vlt_err_set(err, VLT_E2BIG,
				 "%s/%s: the document is %zu bytes of JSON; MongoDB keeps at most "
				 "%d bytes per document",
				 coll, id, strlen(text), MG_DOC_MAX);
	} else {
		call_begin(s, MG_DOCS, &c);
		if (expect == 0)
			rc = insert_doc(s, &c, key, coll, id, &stored, err);
		else
			rc = update_doc(s, &c, key, coll, id, text, expect, err);
		call_end(s, &c);
	}
	bson_destroy(&stored);
	free(text);
	return rc;
}

/* RET 1 deleted, 0 nothing matched, or a negative error. */
static int delete_doc(struct mg_store *s, struct mg_call *c, const char *key, const char *coll,
		      const char *id, int64_t expect, vlt_err_t *err)
{
	bson_t filter, reply;
	bson_error_t e;
	int rc;

	bson_init(&filter);
	BSON_APPEND_UTF8(&filter, "_id", key);
	if (expect != -1)
		BSON_APPEND_INT64(&filter, "version", expect);
	if (mongoc_collection_delete_one(c->coll, &filter, NULL, &reply, &e))
		rc = reply_count(&reply, "deletedCount") == 1;
	else
		rc = mg_fail(s, "remove", coll, id, &e, err);
	bson_destroy(&reply);
	bson_destroy(&filter);
	return rc;
}

/*
 * A delete that matched nothing says only that the filter did not match;
 * a read tells ENOENT from ECONFLICT. Should the document be back at the
 * expected version by the time of that read, the delete is tried again.
 */
static int remove_with(struct mg_store *s, struct mg_call *c, const char *key, const char *coll,
		       const char *id, int64_t expect, vlt_err_t *err)
{
	for (int tries = 0; tries < MG_REMOVE_TRIES; tries++) {
		int rc = delete_doc(s, c, key, coll, id, expect, err);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return 0;
		if (expect == -1)
			return vlt_err_set(err, VLT_ENOENT, "%s/%s: no such document", coll, id);
		bson_error_t e;
		int64_t cur = current_version(s, c, key, &e);
		if (cur < 0) /* nothing was deleted, but which answer is right is unknown */
			return mg_fail(s, "remove (reading back)", coll, id, &e, err);
		if (cur == 0)
			return vlt_err_set(err, VLT_ENOENT, "%s/%s: no such document", coll, id);
		if (cur != expect)
			return conflict(coll, id, cur, expect, err);
	}
	return conflict(coll, id, expect, expect, err);
}

static int mg_remove(void *state, const char *coll, const char *id, int64_t expect,
		     vlt_err_t *err)
{
	struct mg_store *s = state;
	char key[MG_KEY_MAX];
	struct mg_call c;
	int rc = vlt_store_check_key(coll, id, err);

	if (rc)
		return rc;
	if (expect < -1 || expect == 0)
		return vlt_err_set(err, VLT_EINVAL, "%s/%s: expected version %lld is out of range",
				   coll, id, (long long)expect);
	make_key(coll, id, key);
	call_begin(s, MG_DOCS, &c);
	rc = remove_with(s, &c, key, coll, id, expect, err);
	call_end(s, &c);
	return rc;
}

/*
 * ABI 1.6: the documents ids of coll, whatever their version, with one
 * deleteMany on their keys ({_id: {$in: [...]}}). Not atomic on a
 * standalone server: after an error some may be gone.
 */
static int mg_remove_batch(void *state, const char *coll, size_t n, const char *const *ids,
			   size_t *removed, vlt_err_t *err)
{
	struct mg_store *s = state;
	char key[MG_KEY_MAX], index[24];
	int rc = vlt_store_check_name("collection name", coll, err);
	bson_t filter, in, keys, reply;
	bson_error_t e;
	struct mg_call c;

	*removed = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = vlt_store_check_key(coll, ids[i], err);
	if (rc || n == 0)
		return rc;
	bson_init(&filter);
	BSON_APPEND_DOCUMENT_BEGIN(&filter, "_id", &in);
	BSON_APPEND_ARRAY_BEGIN(&in, "$in", &keys);
	for (size_t i = 0; i < n; i++) {
		const char *k;

		bson_uint32_to_string((uint32_t)i, &k, index, sizeof(index));
		make_key(coll, ids[i], key);
		bson_append_utf8(&keys, k, -1, key, -1);
	}
	bson_append_array_end(&in, &keys);
	bson_append_document_end(&filter, &in);
	call_begin(s, MG_DOCS, &c);
	if (mongoc_collection_delete_many(c.coll, &filter, NULL, &reply, &e))
		*removed = (size_t)reply_count(&reply, "deletedCount");
	else
		rc = mg_fail(s, "remove", coll, ids[0], &e, err);
	call_end(s, &c);
	bson_destroy(&reply);
	bson_destroy(&filter);
	return rc;
}

static void rows_free(struct mg_rows *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].text);
	}
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

/* Copy one document of a list query. */
static int rows_push(const struct mg_store *s, struct mg_rows *r, const bson_t *b,
		     const char *coll, vlt_err_t *err)
{
	bson_iter_t it;
	const char *id = NULL, *text = NULL;
	size_t len = 0;
	int64_t version = 0;

	if (bson_iter_init_find(&it, b, "id") && BSON_ITER_HOLDS_UTF8(&it))
		id = bson_iter_utf8(&it, NULL);
	if (!id)
		return vlt_err_set(err, VLT_EBACKEND,
				   "mongodb store %s: a document of %s has no string \"id\" field",
				   s->where, coll);
	int rc = read_stored(s, b, coll, id, &version, &text, &len, err);
	if (rc)
		return rc;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct mg_row *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return vlt_err_set(err, VLT_ENOMEM, "list %s: out of memory", coll);
		r->v = v;
		r->cap = cap;
	}
	struct mg_row *row = &r->v[r->n];
	row->id = strdup(id);
	row->text = malloc(len + 1);
	if (!row->id || !row->text) {
		free(row->id);
		free(row->text);
		return vlt_err_set(err, VLT_ENOMEM, "list %s: out of memory", coll);
	}
	memcpy(row->text, text, len);
	row->text[len] = '\0';
	row->len = len;
	row->version = version;
	r->n++;
	return 0;
}

/* One read of a collection: ids in [from, to) (NULL: unbounded), order, limit (0: none). */
struct mg_span {
	const char *from, *to;
	size_t limit;
	bool descending;
};

static void span_filter(bson_t *filter, const char *coll, const struct mg_span *sp)
{
	bson_t id;

	BSON_APPEND_UTF8(filter, "coll", coll);
	if (sp->from == NULL && sp->to == NULL)
		return;
	BSON_APPEND_DOCUMENT_BEGIN(filter, "id", &id);
	if (sp->from != NULL)
		BSON_APPEND_UTF8(&id, "$gte", sp->from);
	if (sp->to != NULL)
		BSON_APPEND_UTF8(&id, "$lt", sp->to);
	bson_append_document_end(filter, &id);
}

/* The documents of coll the span selects, in its order, through the (coll, id) index. */
static int read_rows(struct mg_store *s, const char *coll, const struct mg_span *sp,
		     struct mg_rows *r, vlt_err_t *err)
{
	bson_t filter, opts, proj, sort;
	const bson_t *b = NULL;
	bson_error_t e;
	struct mg_call c;
	int rc = 0;

	bson_init(&filter);
	span_filter(&filter, coll, sp);
	bson_init(&opts);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "projection", &proj);
	BSON_APPEND_INT32(&proj, "_id", 0);
	BSON_APPEND_INT32(&proj, "id", 1);
	BSON_APPEND_INT32(&proj, "version", 1);
	BSON_APPEND_INT32(&proj, "doc", 1);
	bson_append_document_end(&opts, &proj);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
	BSON_APPEND_INT32(&sort, "coll", sp->descending ? -1 : 1);
	BSON_APPEND_INT32(&sort, "id", sp->descending ? -1 : 1);
	bson_append_document_end(&opts, &sort);
	if (sp->limit > 0)
		BSON_APPEND_INT64(&opts, "limit", sp->limit > INT64_MAX ? INT64_MAX
									: (int64_t)sp->limit);
	call_begin(s, MG_DOCS, &c);
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c.coll, &filter, &opts, s->primary);
	while (rc == 0 && mongoc_cursor_next(cur, &b))
		rc = rows_push(s, r, b, coll, err);
	if (rc == 0 && mongoc_cursor_error(cur, &e))
		rc = mg_fail(s, "list", coll, "*", &e, err);
	mongoc_cursor_destroy(cur);
	call_end(s, &c);
	bson_destroy(&opts);
	bson_destroy(&filter);
	return rc;
}

/*
 * The documents are read first, and fn is called after the cursor is
 * closed and the client is back in the pool, so fn may call the store
 * itself. A positive return from fn stops the walk and list returns 0; a
 * negative one is returned as it is, with err left to fn.
 */
static int read_and_walk(struct mg_store *s, const char *coll, const struct mg_span *sp,
			 vlt_store_each_fn fn, void *arg, vlt_err_t *err)
{
	struct mg_rows rows = { 0 };
	int rc = vlt_store_check_name("collection name", coll, err);

	if (rc)
		return rc;
	if (!fn)
		return vlt_err_set(err, VLT_EINVAL, "list %s: no callback", coll);
	rc = read_rows(s, coll, sp, &rows, err);
	for (size_t i = 0; rc == 0 && i < rows.n; i++) {
		json_t *doc = NULL;
		rc = decode(s, coll, rows.v[i].id, rows.v[i].text, rows.v[i].len, &doc, err);
		if (rc)
			break;
		int stop = fn(arg, rows.v[i].id, doc, rows.v[i].version);
		json_decref(doc);
		if (stop != 0) {
			rc = stop < 0 ? stop : 0;
			break;
		}
	}
	rows_free(&rows);
	return rc;
}

static int mg_list(void *state, const char *coll, vlt_store_each_fn fn, void *arg,
		   vlt_err_t *err)
{
	static const struct mg_span all = { 0 };

	return read_and_walk(state, coll, &all, fn, arg, err);
}

static int mg_range(void *state, const char *coll, const char *from, const char *to,
		    size_t limit, bool descending, vlt_store_each_fn fn, void *arg,
		    vlt_err_t *err)
{
	const struct mg_span sp = { from, to, limit, descending };

	return read_and_walk(state, coll, &sp, fn, arg, err);
}

/* ---- settings */

/* MongoDB's rules for a database name on every platform. */
static int check_db_name(const char *db, vlt_err_t *err)
{
	size_t len = db ? strlen(db) : 0;

	if (len == 0)
		return vlt_err_set(err, VLT_ECONFIG, "store.mongodb.database: must not be empty");
	if (len > MG_DB_NAME_MAX)
		return vlt_err_set(err, VLT_ECONFIG,
				   "store.mongodb.database: \"%s\" is longer than %d bytes", db,
				   MG_DB_NAME_MAX);
	const char *bad = strpbrk(db, "/\\. \"$*<>:|?");
	if (bad)
		return vlt_err_set(err, VLT_ECONFIG,
				   "store.mongodb.database: \"%s\" contains '%c', which MongoDB "
				   "does not allow in a database name",
				   db, *bad);
	if (!vlt_utf8_valid(db, len))
		return vlt_err_set(err, VLT_ECONFIG, "store.mongodb.database: not valid UTF-8");
	return 0;
}

/* "host:port,host:port" (or the SRV name) and "/db": no user name or password. */
static void describe(struct mg_store *s)
{
	const mongoc_host_list_t *h = mongoc_uri_get_hosts(s->uri);
	size_t at = 0;

	s->where[0] = '\0';
	if (!h && mongoc_uri_get_srv_hostname(s->uri))
		at = (size_t)snprintf(s->where, sizeof(s->where), "srv:%s",
				      mongoc_uri_get_srv_hostname(s->uri));
	for (; h && at < sizeof(s->where); h = h->next) {
		int n = snprintf(s->where + at, sizeof(s->where) - at, "%s%s", at ? "," : "",
				 h->host_and_port);
		at += n > 0 ? (size_t)n : 0;
	}
	if (at < sizeof(s->where))
		snprintf(s->where + at, sizeof(s->where) - at, "/%s", s->db);
}

/*
 * Writes are acknowledged by a majority unless the URI says otherwise:
 * an acknowledged compare-and-set must survive a failover, or two writers
 * could each win the same version. w=0 is refused: an unacknowledged
 * write cannot report a conflict.
 */
static int write_concern(struct mg_store *s, const char **said, vlt_err_t *err)
{
	const mongoc_write_concern_t *wc = mongoc_uri_get_write_concern(s->uri);
	int32_t w = wc ? mongoc_write_concern_get_w(wc) : MONGOC_WRITE_CONCERN_W_DEFAULT;

	*said = "from the URI";
	if (w == MONGOC_WRITE_CONCERN_W_UNACKNOWLEDGED ||
	    w == MONGOC_WRITE_CONCERN_W_ERRORS_IGNORED)
		return vlt_err_set(err, VLT_ECONFIG,
				   "store.mongodb.uri: w=0 (unacknowledged writes) cannot report "
				   "conflicts; leave w out or use w=majority");
	if (w != MONGOC_WRITE_CONCERN_W_DEFAULT)
		return 0;
	mongoc_write_concern_t *maj = wc ? mongoc_write_concern_copy(wc) :
					   mongoc_write_concern_new();
	mongoc_write_concern_set_wmajority(maj, MG_WTIMEOUT_MS);
	mongoc_uri_set_write_concern(s->uri, maj);
	mongoc_write_concern_destroy(maj);
	*said = "majority (default)";
	return 0;
}

static int read_settings(const vlt_core_t *core, struct mg_store *s, vlt_err_t *err)
{
	char *uri = NULL;
	bson_error_t e;
	int rc = core->cfg_str(core, "uri", MG_DEFAULT_URI, &uri, err);

	if (rc == 0)
		rc = core->cfg_str(core, "database", MG_DEFAULT_DB, &s->db, err);
	if (rc == 0)
		rc = check_db_name(s->db, err);
	if (rc == 0 && (!uri || !*uri))
		rc = vlt_err_set(err, VLT_ECONFIG, "store.mongodb.uri: must not be empty");
	if (rc == 0 && !(s->uri = mongoc_uri_new_with_error(uri, &e)))
		rc = vlt_err_set(err, VLT_ECONFIG, "store.mongodb.uri: %s", e.message);
	free(uri);
	return rc;
}

/* ---- start-up: reach the server, check the schema, make the index */

static int run_command(struct mg_store *s, mongoc_client_t *client, const char *db,
		       const bson_t *cmd, bson_t *reply, const char *what, vlt_err_t *err)
{
	bson_error_t e;

	if (mongoc_client_command_simple(client, db, cmd, s->primary, reply, &e))
		return 0;
	return mg_fail(s, what, NULL, NULL, &e, err);
}

static int ping(struct mg_store *s, mongoc_client_t *client, vlt_err_t *err)
{
	bson_t cmd, reply;

	bson_init(&cmd);
	BSON_APPEND_INT32(&cmd, "ping", 1);
	int rc = run_command(s, client, "admin", &cmd, &reply, "cannot reach the server", err);
	bson_destroy(&reply);
	bson_destroy(&cmd);
	return rc;
}

/*
 * meta/schema records the layout of the database. A database written by
 * a later version of this module, with a layout this one does not know,
 * is refused rather than written into.
 */
static int check_schema(struct mg_store *s, mongoc_client_t *client, vlt_err_t *err)
{
	mongoc_collection_t *meta = mongoc_client_get_collection(client, s->db, MG_META);
	struct mg_call c = { client, meta };
	bson_t doc, found;
	bson_error_t e;
	int rc = 0;

	bson_init(&doc);
	BSON_APPEND_UTF8(&doc, "_id", "schema");
	BSON_APPEND_INT64(&doc, "version", MG_SCHEMA);
	BSON_APPEND_UTF8(&doc, "layout", "one document per valet document in \"" MG_DOCS "\"");
	if (!mongoc_collection_insert_one(meta, &doc, NULL, NULL, &e) && !is_duplicate_key(&e))
		rc = mg_fail(s, "write meta/schema", NULL, NULL, &e, err);
	int got = rc ? 0 : find_key(s, &c, "schema", false, &found, &e);
	if (got < 0) {
		rc = mg_fail(s, "read meta/schema", NULL, NULL, &e, err);
	} else if (got == 1) {
		bson_iter_t it;
		int64_t v = 0;
		if (bson_iter_init_find(&it, &found, "version") && BSON_ITER_HOLDS_NUMBER(&it))
			v = bson_iter_as_int64(&it);
		bson_destroy(&found);
		if (v > MG_SCHEMA)
			rc = vlt_err_set(err, VLT_ECONFIG,
					 "mongodb store %s: schema version %lld is newer than this "
					 "module knows (%d); run a valet that knows it, or use "
					 "another database",
					 s->where, (long long)v, MG_SCHEMA);
		else if (v < 1)
			rc = vlt_err_set(err, VLT_ECONFIG,
					 "mongodb store %s: meta/schema holds no valid version; "
					 "this database is not a valet store",
					 s->where);
	}
	bson_destroy(&doc);
	mongoc_collection_destroy(meta);
	return rc;
}

/*
 * Ids must compare byte by byte, for _id equality and for list's order. A
 * collection made beforehand with a default collation (case-insensitive,
 * say) would break both, so it is refused.
 */
static int check_collation(struct mg_store *s, mongoc_client_t *client, vlt_err_t *err)
{
	mongoc_database_t *db = mongoc_client_get_database(client, s->db);
	bson_t opts, filter;
	const bson_t *b = NULL;
	bson_error_t e;
	bson_iter_t it;
	int rc = 0;

	bson_init(&opts);
	BSON_APPEND_DOCUMENT_BEGIN(&opts, "filter", &filter);
	BSON_APPEND_UTF8(&filter, "name", MG_DOCS);
	bson_append_document_end(&opts, &filter);
	mongoc_cursor_t *cur = mongoc_database_find_collections_with_opts(db, &opts);
	while (rc == 0 && mongoc_cursor_next(cur, &b)) {
		const char *locale = NULL;
		if (bson_iter_init(&it, b) &&
		    bson_iter_find_descendant(&it, "options.collation.locale", &it) &&
		    BSON_ITER_HOLDS_UTF8(&it))
			locale = bson_iter_utf8(&it, NULL);
		if (locale && strcmp(locale, "simple") != 0)
			rc = vlt_err_set(err, VLT_ECONFIG,
					 "mongodb store %s: collection \"" MG_DOCS "\" has the "
					 "default collation \"%s\"; ids must compare byte by byte: "
					 "drop it or use another database",
					 s->where, locale);
	}
	if (rc == 0 && mongoc_cursor_error(cur, &e))
		rc = mg_fail(s, "list collections", NULL, NULL, &e, err);
	mongoc_cursor_destroy(cur);
	bson_destroy(&opts);
	mongoc_database_destroy(db);
	return rc;
}

/* The (coll, id) index serves list: filter on coll, walk id in order. */
static int create_index(struct mg_store *s, mongoc_client_t *client, vlt_err_t *err)
{
	bson_t cmd, indexes, index, key, reply;

	bson_init(&cmd);
	BSON_APPEND_UTF8(&cmd, "createIndexes", MG_DOCS);
	BSON_APPEND_ARRAY_BEGIN(&cmd, "indexes", &indexes);
	BSON_APPEND_DOCUMENT_BEGIN(&indexes, "0", &index);
	BSON_APPEND_DOCUMENT_BEGIN(&index, "key", &key);
	BSON_APPEND_INT32(&key, "coll", 1);
	BSON_APPEND_INT32(&key, "id", 1);
	bson_append_document_end(&index, &key);
	BSON_APPEND_UTF8(&index, "name", MG_INDEX);
	bson_append_document_end(&indexes, &index);
	bson_append_array_end(&cmd, &indexes);
	int rc = run_command(s, client, s->db, &cmd, &reply, "create index " MG_INDEX, err);
	bson_destroy(&reply);
	bson_destroy(&cmd);
	return rc;
}

static int prepare(struct mg_store *s, vlt_err_t *err)
{
	mongoc_client_t *client = mongoc_client_pool_pop(s->pool);
	int rc = ping(s, client, err);

	if (rc == 0)
		rc = check_schema(s, client, err);
	if (rc == 0)
		rc = check_collation(s, client, err);
	if (rc == 0)
		rc = create_index(s, client, err);
	mongoc_client_pool_push(s->pool, client);
	return rc;
}

static void mg_fini(void *state)
{
	struct mg_store *s = state;

	if (!s)
		return;
	if (s->pool)
		mongoc_client_pool_destroy(s->pool);
	if (s->primary)
		mongoc_read_prefs_destroy(s->primary);
	if (s->uri)
		mongoc_uri_destroy(s->uri);
	log_detach(s);
	free(s->db);
	free(s);
}

static int open_pool(struct mg_store *s, vlt_err_t *err)
{
	bson_error_t e;

	s->pool = mongoc_client_pool_new_with_error(s->uri, &e);
	if (!s->pool)
		return vlt_err_set(err, VLT_ECONFIG, "store.mongodb.uri: %s", e.message);
	mongoc_client_pool_set_error_api(s->pool, MONGOC_ERROR_API_VERSION_2);
	/* The server logs it with each connection; an appname in the URI wins. */
	if (!mongoc_uri_get_appname(s->uri))
		mongoc_client_pool_set_appname(s->pool, "valet");
	s->primary = mongoc_read_prefs_new(MONGOC_READ_PRIMARY);
	return 0;
}

static int mg_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct mg_store *s = calloc(1, sizeof(*s));
	const char *wc = "";

	if (!s)
		return vlt_err_set(err, VLT_ENOMEM, "mongodb store: out of memory");
	mongoc_init(); /* once per process; later calls do nothing */
	log_attach(s, core);
	int rc = read_settings(core, s, err);
	if (rc == 0)
		rc = write_concern(s, &wc, err);
	if (rc == 0) {
		describe(s);
		rc = open_pool(s, err);
	}
	if (rc == 0)
		rc = prepare(s, err);
	if (rc) {
		mg_fini(s);
		return rc;
	}
	vlt_log_info(core, "%s: schema v%d, index " MG_INDEX " ready, write concern %s", s->where,
		     MG_SCHEMA, wc);
	*state = s;
	return 0;
}

/* The health check: the server answers a ping (within serverSelectionTimeoutMS). */
static int mg_ping(void *state, vlt_err_t *err)
{
	struct mg_store *s = state;
	mongoc_client_t *client = mongoc_client_pool_pop(s->pool);

	if (client == NULL)
		return vlt_err_set(err, VLT_EBACKEND, "mongodb store %s: no client", s->where);
	int rc = ping(s, client, err);
	mongoc_client_pool_push(s->pool, client);
	return rc;
}

static const vlt_store_ops_t mg_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_STORE, vlt_store_ops_t, "mongodb", "1.0.0",
				"documents in a MongoDB database (standalone, replica set "
				"or sharded)"),
	.init = mg_init,
	.fini = mg_fini,
	.get = mg_get,
	.put = mg_put,
	.remove = mg_remove,
	.list = mg_list,
	.ping = mg_ping,
	.range = mg_range,
	.remove_batch = mg_remove_batch,
};

VLT_PLUGIN_DEFINE(mg_ops);
