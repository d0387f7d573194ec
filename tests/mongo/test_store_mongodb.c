/*
 * test_store_mongodb.c - the mongodb store: settings, the layout it
 * writes, operator keys kept as data, schema and collation checks, size
 * limit, a server that goes away, compare-and-set from several states and
 * processes, then the whole store contract (tests/stores/store_contract.c).
 *
 * The server is a real MongoDB when VALET_TEST_MONGODB_URI is set, and
 * otherwise the project's wire-protocol test server, mockmongod.py,
 * started here; the first line of output says which. A real server's
 * tests work in a database of their own, valet_test_<pid>, dropped at the
 * end. When mockmongod cannot be started the test fails: a store test
 * that runs against nothing proves nothing.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <mongoc/mongoc.h>

#include <valet/store.h>

#include "mongo_test_server.h"
#include "store_contract.h"
#include "built_module.h"
#include "fake_core.h"

extern const vlt_plugin_info_t *const vlt_plugin_store_mongodb;

#define OPS ((const vlt_store_ops_t *)vlt_plugin_store_mongodb)

static mongo_test_server_t g_srv;
static char g_db[64];

/* ---- a plain client to look at what the store wrote */

static mongoc_client_t *raw_client(void)
{
	mongoc_client_t *c = mongoc_client_new(g_srv.uri);

	if (!c)
		fail_msg("mongoc_client_new(%s) failed", g_srv.shown);
	mongoc_client_set_error_api(c, MONGOC_ERROR_API_VERSION_2);
	return c;
}

static int raw_command(const bson_t *cmd, bson_t *reply, bson_error_t *e)
{
	mongoc_client_t *c = raw_client();
	bool ok = mongoc_client_command_simple(c, g_db, cmd, NULL, reply, e);

	mongoc_client_destroy(c);
	return ok ? 0 : -1;
}

static void raw_must(const bson_t *cmd)
{
	bson_t reply;
	bson_error_t e;

	if (raw_command(cmd, &reply, &e) != 0) {
		char *text = bson_as_relaxed_extended_json(cmd, NULL);
		char copy[256];
		snprintf(copy, sizeof(copy), "%s", text);
		bson_free(text);
		bson_destroy(&reply);
		fail_msg("raw command %s: %s", copy, e.message);
	}
	bson_destroy(&reply);
}

static int drop_database(void)
{
	bson_t cmd, reply;
	bson_error_t e;

	bson_init(&cmd);
	BSON_APPEND_INT32(&cmd, "dropDatabase", 1);
	int rc = raw_command(&cmd, &reply, &e);
	if (rc)
		fprintf(stderr, "dropDatabase %s: %s\n", g_db, e.message);
	bson_destroy(&reply);
	bson_destroy(&cmd);
	return rc;
}

/* RET true with *out (the caller destroys it) when coll holds a document with this _id. */
static bool raw_find(const char *coll, const char *id, bson_t *out)
{
	mongoc_client_t *c = raw_client();
	mongoc_collection_t *col = mongoc_client_get_collection(c, g_db, coll);
	bson_t *filter = BCON_NEW("_id", BCON_UTF8(id));
	const bson_t *b = NULL;
	bson_error_t e;
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(col, filter, NULL, NULL);
	bool found = mongoc_cursor_next(cur, &b);

	if (found)
		bson_copy_to(b, out);
	bool failed = mongoc_cursor_error(cur, &e);
	mongoc_cursor_destroy(cur);
	bson_destroy(filter);
	mongoc_collection_destroy(col);
	mongoc_client_destroy(c);
	if (failed)
		fail_msg("raw find %s %s: %s", coll, id, e.message);
	return found;
}

static int64_t raw_count(const char *coll)
{
	mongoc_client_t *c = raw_client();
	mongoc_collection_t *col = mongoc_client_get_collection(c, g_db, coll);
	bson_t filter = BSON_INITIALIZER;
	bson_error_t e;
	int64_t n = mongoc_collection_count_documents(col, &filter, NULL, NULL, NULL, &e);

	mongoc_collection_destroy(col);
	mongoc_client_destroy(c);
	if (n < 0)
		fail_msg("raw count %s: %s", coll, e.message);
	return n;
}

/* ---- the fixture: an empty database and a fake core pointing at it */

struct fx {
	fake_core_t *fc;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (drop_database() != 0)
		return -1;
	f->fc = fake_core_new();
	fake_core_set_str(f->fc, "uri", g_srv.uri);
	fake_core_set_str(f->fc, "database", g_db);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	fake_core_free(f->fc);
	free(f);
	return 0;
}

static void *must_open_core(fake_core_t *fc)
{
	vlt_err_t err = { 0 };
	void *st = NULL;
	int rc = OPS->init(fake_core_api(fc), &st, &err);

	if (rc)
		fail_msg("init: %d %s", rc, err.msg);
	return st;
}

static void *must_open(struct fx *f)
{
	return must_open_core(f->fc);
}

static void put_json(void *st, const char *coll, const char *id, json_t *doc, int64_t expect)
{
	vlt_err_t err = { 0 };
	int rc = OPS->put(st, coll, id, doc, expect, &err);

	json_decref(doc);
	if (rc)
		fail_msg("put %s/%s: %d %s", coll, id, rc, err.msg);
}

static void put_n(void *st, const char *coll, const char *id, json_int_t n, int64_t expect)
{
	put_json(st, coll, id, json_pack("{s:I}", "n", n), expect);
}

static json_int_t get_n(void *st, const char *coll, const char *id, int64_t *version)
{
	vlt_err_t err = { 0 };
	json_t *doc = NULL;
	int rc = OPS->get(st, coll, id, &doc, version, &err);

	if (rc)
		fail_msg("get %s/%s: %d %s", coll, id, rc, err.msg);
	json_int_t n = json_integer_value(json_object_get(doc, "n"));
	json_decref(doc);
	return n;
}

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		if (!strstr((hay), (needle)))                                  \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

/* ---- the built module */

/* The built .so passes the loader's checks and works through its one export. */
static void test_module_loads(void **state)
{
	struct fx *f = *state;
	void *so;
	const vlt_store_ops_t *ops = built_module_open(VLT_KIND_STORE, "mongodb", &so);
	vlt_err_t err = { 0 };
	void *st = NULL;

	if (ops->init(fake_core_api(f->fc), &st, &err) != 0)
		fail_msg("init through the loaded module: %s", err.msg);
	json_t *doc = json_pack("{s:s}", "via", "the loader"), *got = NULL;
	int64_t v = 0;
	assert_int_equal(ops->put(st, "so", "a", doc, 0, &err), 0);
	assert_int_equal(ops->get(st, "so", "a", &got, &v, &err), 0);
	assert_true(json_equal(doc, got));
	assert_int_equal(v, 1);
	json_decref(doc);
	json_decref(got);
	ops->fini(st);
	ops->fini(NULL); /* a failed init's state: fini must accept it */
	built_module_close(so);
}

/* ---- settings */

struct setting_case {
	const char *key;
	const char *str; /* NULL: an integer, which is the wrong type for both */
	const char *in_msg;
};

static void test_settings_checked(void **state)
{
	(void)state;
	static const struct setting_case cases[] = {
		{ "database", "", "store.mongodb.database: must not be empty" },
		{ "database", "a.b", "contains '.'" },
		{ "database", "a/b", "contains '/'" },
		{ "database", "my db", "contains ' '" },
		{ "database", "x$", "contains '$'" },
		{ "database", "d123456789012345678901234567890123456789012345678901234567890123",
		  "longer than 63 bytes" },
		{ "database", NULL, "database" },
		{ "uri", "", "store.mongodb.uri: must not be empty" },
		{ "uri", "http://127.0.0.1:27017", "store.mongodb.uri" },
		{ "uri", "mongodb://127.0.0.1:27017/?w=0", "w=0" },
		{ "uri", NULL, "uri" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct setting_case *c = &cases[i];
		fake_core_t *fc = fake_core_new();
		vlt_err_t err = { 0 };
		void *st = NULL;

		if (c->str)
			fake_core_set_str(fc, c->key, c->str);
		else
			fake_core_set_int(fc, c->key, 7);
		int rc = OPS->init(fake_core_api(fc), &st, &err);
		OPS->fini(st);
		fake_core_free(fc);
		if (rc != VLT_ECONFIG)
			fail_msg("case %zu (%s=%s): got %d want VLT_ECONFIG: %s", i, c->key,
				 c->str ? c->str : "7", rc, err.msg);
		assert_null(st);
		assert_contains(err.msg, c->in_msg);
	}
}

/* Options in the URI are the operator's: an appname and a write concern are kept. */
static void test_uri_options_kept(void **state)
{
	struct fx *f = *state;
	char uri[1200];

	snprintf(uri, sizeof(uri), "%s%sappname=valet-east&w=1", g_srv.uri,
		 strchr(g_srv.uri, '?') ? "&" : "/?");
	fake_core_set_str(f->fc, "uri", uri);
	void *st = must_open(f);
	put_n(st, "c", "a", 1, 0);
	OPS->fini(st);
	assert_logged(f->fc, -1, "write concern from the URI");
}

/* A port nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Start-up fails within serverSelectionTimeoutMS, names the server, hides the password. */
static void test_unreachable_server(void **state)
{
	(void)state;
	fake_core_t *fc = fake_core_new();
	char uri[256], host[64];
	vlt_err_t err = { 0 };
	void *st = NULL;
	int port = closed_port();

	snprintf(uri, sizeof(uri),
		 "mongodb://valet:s3cr3t@127.0.0.1:%d/?serverSelectionTimeoutMS=400", port);
	snprintf(host, sizeof(host), "127.0.0.1:%d", port);
	fake_core_set_str(fc, "uri", uri);
	double t0 = now_ms();
	assert_int_equal(OPS->init(fake_core_api(fc), &st, &err), VLT_EBACKEND);
	double took = now_ms() - t0;
	fake_core_free(fc);
	assert_null(st);
	assert_contains(err.msg, "cannot reach the server");
	assert_contains(err.msg, host);
	assert_contains(err.msg, "/valet");
	if (strstr(err.msg, "s3cr3t"))
		fail_msg("the message shows the password: %s", err.msg);
	if (took > 5000)
		fail_msg("init took %.0f ms to give up", took);
}

/* ---- what is stored */

static void check_field_utf8(const bson_t *b, const char *field, const char *want)
{
	bson_iter_t it;

	if (!bson_iter_init_find(&it, b, field) || !BSON_ITER_HOLDS_UTF8(&it))
		fail_msg("stored document has no string \"%s\"", field);
	assert_string_equal(bson_iter_utf8(&it, NULL), want);
}

static void test_layout(void **state)
{
	struct fx *f = *state;
	void *st = must_open(f);
	bson_t b;
	bson_iter_t it;

	put_json(st, "plans", "p1", json_pack("{s:s, s:[i]}", "name", "web", "ids", 1), 0);
	put_json(st, "plans", "p1", json_pack("{s:s, s:[i,i]}", "name", "web", "ids", 1, 2), 1);
	OPS->fini(st);

	assert_true(raw_find("documents", "plans/p1", &b));
	check_field_utf8(&b, "coll", "plans");
	check_field_utf8(&b, "id", "p1");
	check_field_utf8(&b, "doc", "{\"name\":\"web\",\"ids\":[1,2]}");
	assert_true(bson_iter_init_find(&it, &b, "version"));
	assert_int_equal(bson_iter_type(&it), BSON_TYPE_INT64);
	assert_int_equal(bson_iter_int64(&it), 2);
	assert_int_equal(bson_count_keys(&b), 5);
	bson_destroy(&b);

	assert_true(raw_find("meta", "schema", &b));
	assert_true(bson_iter_init_find(&it, &b, "version"));
	assert_int_equal(bson_iter_as_int64(&it), 1);
	bson_destroy(&b);

	/* The index list's walk uses. */
	mongoc_client_t *c = raw_client();
	mongoc_collection_t *col = mongoc_client_get_collection(c, g_db, "documents");
	mongoc_cursor_t *cur = mongoc_collection_find_indexes_with_opts(col, NULL);
	const bson_t *ix = NULL;
	bool found = false;
	while (mongoc_cursor_next(cur, &ix)) {
		if (bson_iter_init_find(&it, ix, "name") &&
		    strcmp(bson_iter_utf8(&it, NULL), "coll_1_id_1") == 0) {
			bson_iter_t k;
			assert_true(bson_iter_init(&k, ix));
			assert_true(bson_iter_find_descendant(&k, "key.coll", &k));
			assert_int_equal(bson_iter_as_int64(&k), 1);
			assert_true(bson_iter_init(&k, ix));
			assert_true(bson_iter_find_descendant(&k, "key.id", &k));
			found = true;
		}
	}
	mongoc_cursor_destroy(cur);
	mongoc_collection_destroy(col);
	mongoc_client_destroy(c);
	assert_true(found);

	assert_logged(f->fc, -1, "schema v1, index coll_1_id_1 ready");
	assert_logged(f->fc, -1, "write concern majority (default)");
	/* A second start finds the index and the schema there and is content. */
	OPS->fini(must_open(f));
}

/* Keys MongoDB would read as operators or paths stay part of the document. */
static void test_operator_keys_are_data(void **state)
{
	struct fx *f = *state;
	void *st = must_open(f);
	vlt_err_t err = { 0 };
	json_error_t jerr;
	const char *text = "{\"$set\": {\"version\": 99, \"doc\": \"x\"}, \"a.b\": {\"$gt\": 1},"
			   " \"$where\": \"sleep(1000)\", \"_id\": \"other\", \"version\": 7,"
			   " \"coll\": \"x\", \"id\": {\"$ne\": null}, \"\": \"empty key\"}";
	json_t *doc = json_loads(text, 0, &jerr), *got = NULL;
	int64_t v = 0;
	bson_t b;
	bson_iter_t it;

	assert_non_null(doc);
	assert_int_equal(OPS->put(st, "$cmd", "$where.x", doc, 0, &err), 0);
	assert_int_equal(OPS->put(st, "$cmd", "$where.x", doc, 1, &err), 0);
	assert_int_equal(OPS->get(st, "$cmd", "$where.x", &got, &v, &err), 0);
	assert_true(json_equal(doc, got));
	assert_int_equal(v, 2);
	json_decref(got);
	json_decref(doc);

	assert_true(raw_find("documents", "$cmd/$where.x", &b));
	assert_int_equal(bson_count_keys(&b), 5);
	assert_true(bson_iter_init_find(&it, &b, "version"));
	assert_int_equal(bson_iter_as_int64(&it), 2);
	bson_destroy(&b);
	assert_int_equal(raw_count("documents"), 1);
	OPS->fini(st);
}

static int count_cb(void *arg, const char *id, const json_t *doc, int64_t version)
{
	(void)id;
	(void)doc;
	(void)version;
	(*(int *)arg)++;
	return 0;
}

/* '/' and '%' in names: "a/b"+"c", "a"+"b/c" and "a%2Fb"+"c" are three documents. */
static void test_names_never_collide(void **state)
{
	struct fx *f = *state;
	void *st = must_open(f);
	vlt_err_t err = { 0 };
	int64_t v = 0;
	int n = 0;

	put_n(st, "a/b", "c", 1, 0);
	put_n(st, "a", "b/c", 2, 0);
	put_n(st, "a%2Fb", "c", 3, 0);
	put_n(st, "a%", "2Fb/c", 4, 0);
	assert_int_equal(get_n(st, "a/b", "c", &v), 1);
	assert_int_equal(get_n(st, "a", "b/c", &v), 2);
	assert_int_equal(get_n(st, "a%2Fb", "c", &v), 3);
	assert_int_equal(get_n(st, "a%", "2Fb/c", &v), 4);
	assert_int_equal(OPS->list(st, "a", count_cb, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(raw_count("documents"), 4);
	OPS->fini(st);
}

/* ---- refusals at start-up */

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	vlt_err_t err = { 0 };
	void *st = must_open(f);

	put_n(st, "plans", "a", 1, 0);
	OPS->fini(st);
	st = NULL;
	bson_t *cmd = BCON_NEW("update", BCON_UTF8("meta"), "updates", "[", "{", "q", "{", "_id",
			       BCON_UTF8("schema"), "}", "u", "{", "$set", "{", "version",
			       BCON_INT64(99), "}", "}", "}", "]");
	raw_must(cmd);
	bson_destroy(cmd);
	assert_int_equal(OPS->init(fake_core_api(f->fc), &st, &err), VLT_ECONFIG);
	assert_null(st);
	assert_contains(err.msg, "schema version 99 is newer than this module knows (1)");
	assert_contains(err.msg, g_db);
	assert_int_equal(raw_count("documents"), 1);
}

static void test_foreign_collation_refused(void **state)
{
	struct fx *f = *state;
	vlt_err_t err = { 0 };
	void *st = NULL;
	bson_t *cmd = BCON_NEW("create", BCON_UTF8("documents"), "collation", "{", "locale",
			       BCON_UTF8("en"), "strength", BCON_INT32(2), "}");

	raw_must(cmd);
	bson_destroy(cmd);
	assert_int_equal(OPS->init(fake_core_api(f->fc), &st, &err), VLT_ECONFIG);
	assert_null(st);
	assert_contains(err.msg, "collation \"en\"");
}

/* ---- limits and failures */

static void test_too_large_refused(void **state)
{
	struct fx *f = *state;
	void *st = must_open(f);
	vlt_err_t err = { 0 };
	size_t len = 17u << 20;
	char *big = malloc(len + 1);

	memset(big, 'v', len);
	big[len] = '\0';
	json_t *doc = json_pack("{s:s}", "text", big);
	free(big);
	assert_int_equal(OPS->put(st, "big", "a", doc, 0, &err), VLT_E2BIG);
	assert_contains(err.msg, "big/a");
	assert_contains(err.msg, "16777216");
	put_n(st, "big", "a", 1, 0);
	assert_int_equal(OPS->put(st, "big", "a", doc, 1, &err), VLT_E2BIG);
	json_decref(doc);
	int64_t v = 0;
	assert_int_equal(get_n(st, "big", "a", &v), 1);
	assert_int_equal(v, 1);
	OPS->fini(st);
}

/* A server that goes away: every call fails with the driver's message, none hangs. */
static void test_server_goes_away(void **state)
{
	(void)state;
	mongo_test_server_t own;
	char why[512];
	vlt_err_t err = { 0 };
	json_t *doc = NULL;
	int64_t v = 0;
	int n = 0;

	if (mongo_test_server_start_mock(&own, why, sizeof(why)) != 0) {
		/* Against a real server this case needs a server of its own to stop. */
		if (g_srv.real) {
			print_message("    skipped against a real server: %s\n", why);
			skip();
		}
		fail_msg("%s", why);
	}
	fake_core_t *fc = fake_core_new();
	char uri[1100];
	/* The pool's clients select a server for up to this long. */
	snprintf(uri, sizeof(uri), "%.*s/?serverSelectionTimeoutMS=500",
		 (int)(strstr(own.uri, "/?") - own.uri), own.uri);
	fake_core_set_str(fc, "uri", uri);
	fake_core_set_str(fc, "database", "gone");
	void *st = must_open_core(fc);
	put_n(st, "c", "a", 1, 0);
	mongo_test_server_stop(&own);

	double t0 = now_ms();
	assert_int_equal(OPS->get(st, "c", "a", &doc, &v, &err), VLT_EBACKEND);
	assert_contains(err.msg, "mongodb store");
	assert_contains(err.msg, "get c/a");
	json_t *d = json_pack("{s:i}", "n", 2);
	assert_int_equal(OPS->put(st, "c", "a", d, 1, &err), VLT_EBACKEND);
	assert_contains(err.msg, "put c/a");
	assert_int_equal(OPS->put(st, "c", "b", d, 0, &err), VLT_EBACKEND);
	json_decref(d);
	assert_int_equal(OPS->remove(st, "c", "a", -1, &err), VLT_EBACKEND);
	assert_contains(err.msg, "remove c/a");
	assert_int_equal(OPS->list(st, "c", count_cb, &n, &err), VLT_EBACKEND);
	assert_contains(err.msg, "list c/*");
	assert_int_equal(n, 0);
	double took = now_ms() - t0;
	OPS->fini(st);
	fake_core_free(fc);
	if (took > 20000)
		fail_msg("five calls took %.0f ms to fail", took);
}

/* ---- compare-and-set between several valetd: states in one process */

#define STATES 2
#define PER_STATE 4
#define WINS 15
#define WORKERS (STATES * PER_STATE)
#define TOTAL (WORKERS * WINS)

struct worker {
	void *st;
	pthread_barrier_t *start;
	int64_t won[WINS];
	int n_won, conflicts, failed;
	char msg[VLT_ERR_MSG_MAX];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	vlt_err_t err = { 0 };

	pthread_barrier_wait(w->start);
	while (w->n_won < WINS && !w->failed) {
		json_t *doc = NULL;
		int64_t v = 0;
		int rc = OPS->get(w->st, "hosts", "h1", &doc, &v, &err);
		if (rc) {
			w->failed = rc;
			break;
		}
		json_int_t used = json_integer_value(json_object_get(doc, "used"));
		json_decref(doc);
		doc = json_pack("{s:I}", "used", used + 1);
		rc = OPS->put(w->st, "hosts", "h1", doc, v, &err);
		json_decref(doc);
		if (rc == 0)
			w->won[w->n_won++] = v + 1;
		else if (rc == VLT_ECONFLICT)
			w->conflicts++;
		else
			w->failed = rc;
	}
	if (w->failed)
		snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
	return NULL;
}

static void test_states_share_capacity(void **state)
{
	struct fx *f = *state;
	void *st[STATES];
	static struct worker w[WORKERS];
	pthread_t tid[WORKERS];
	pthread_barrier_t start;
	int writers[TOTAL + 2] = { 0 }, conflicts = 0;

	for (int i = 0; i < STATES; i++)
		st[i] = must_open(f);
	put_json(st[0], "hosts", "h1", json_pack("{s:i}", "used", 0), 0);
	pthread_barrier_init(&start, NULL, WORKERS);
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .st = st[i % STATES], .start = &start };
		assert_int_equal(pthread_create(&tid[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < WORKERS; i++) {
		if (w[i].failed)
			fail_msg("worker %d: %d %s", i, w[i].failed, w[i].msg);
		conflicts += w[i].conflicts;
		for (int k = 0; k < w[i].n_won; k++) {
			assert_in_range(w[i].won[k], 2, TOTAL + 1);
			writers[w[i].won[k]]++;
		}
	}
	for (int v = 2; v <= TOTAL + 1; v++) {
		if (writers[v] != 1)
			fail_msg("version %d has %d writers", v, writers[v]);
	}
	vlt_err_t err = { 0 };
	json_t *doc = NULL;
	int64_t v = 0;
	assert_int_equal(OPS->get(st[1], "hosts", "h1", &doc, &v, &err), 0);
	assert_int_equal(v, TOTAL + 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "used")), TOTAL);
	json_decref(doc);
	for (int i = 0; i < STATES; i++)
		OPS->fini(st[i]);
	print_message("    %d increments through %d states, %d conflicts retried\n", TOTAL,
		      STATES, conflicts);
}

/* ---- ... and in several processes */

#define PROCS 4

/* Several processes start on an empty database at once: schema and index made once. */
static void test_concurrent_first_start(void **state)
{
	struct fx *f = *state;
	int go[2];
	pid_t pid[PROCS];

	assert_int_equal(pipe(go), 0);
	fflush(NULL);
	for (int i = 0; i < PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			char c, id[8];
			vlt_err_t err = { 0 };
			void *st = NULL;
			close(go[1]);
			if (read(go[0], &c, 1) != 0) /* wait for the parent to close */
				_exit(9);
			if (OPS->init(fake_core_api(f->fc), &st, &err) != 0) {
				fprintf(stderr, "child %d: %s\n", i, err.msg);
				_exit(10);
			}
			snprintf(id, sizeof(id), "p%d", i);
			json_t *doc = json_pack("{s:i}", "n", i);
			int rc = OPS->put(st, "starts", id, doc, 0, &err);
			json_decref(doc);
			OPS->fini(st);
			_exit(rc == 0 ? 0 : 11);
		}
	}
	close(go[0]);
	close(go[1]); /* everyone starts now */
	for (int i = 0; i < PROCS; i++) {
		int status = 0;
		waitpid(pid[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("child %d ended with status 0x%x", i, status);
	}
	assert_int_equal(raw_count("meta"), 1);
	assert_int_equal(raw_count("documents"), PROCS);
}

/* ---- the contract */

struct contract_ctx {
	fake_core_t *fc;
};

static int contract_reset(void *arg)
{
	(void)arg;
	return drop_database();
}

static int contract_open(void *arg, void **state, vlt_err_t *err)
{
	struct contract_ctx *c = arg;

	return OPS->init(fake_core_api(c->fc), state, err);
}

static int run_contract(void)
{
	struct contract_ctx c = { fake_core_new() };
	char name[400];

	fake_core_set_str(c.fc, "uri", g_srv.uri);
	fake_core_set_str(c.fc, "database", g_db);
	snprintf(name, sizeof(name), "mongodb on %s (%s)", g_srv.shown,
		 g_srv.real ? "real server" : "mockmongod.py");
	store_harness_t h = {
		.name = name,
		.ops = OPS,
		.ctx = &c,
		.reset = contract_reset,
		.open = contract_open,
	};
	int failed = store_contract_run(&h);
	fake_core_free(c.fc);
	return failed;
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
			FX_TEST(test_module_loads),
		cmocka_unit_test(test_settings_checked),
		FX_TEST(test_uri_options_kept),
		cmocka_unit_test(test_unreachable_server),
		FX_TEST(test_layout),
		FX_TEST(test_operator_keys_are_data),
		FX_TEST(test_names_never_collide),
		FX_TEST(test_newer_schema_refused),
		FX_TEST(test_foreign_collation_refused),
		FX_TEST(test_too_large_refused),
		cmocka_unit_test(test_server_goes_away),
		FX_TEST(test_states_share_capacity),
		FX_TEST(test_concurrent_first_start),
	};
	char why[1024];

	mongoc_init();
	if (mongo_test_server_start(&g_srv, why, sizeof(why)) != 0) {
		fprintf(stderr, "test_store_mongodb: FAILED: %s\n", why);
		printf("test_store_mongodb: FAILED: no MongoDB to test against: %s\n", why);
		mongoc_cleanup();
		return 1;
	}
	if (g_srv.real)
		snprintf(g_db, sizeof(g_db), "valet_test_%ld", (long)getpid());
	else
		snprintf(g_db, sizeof(g_db), "valet_test");
	printf("test_store_mongodb: running against %s at %s, database %s\n",
	       g_srv.real ? "a real MongoDB server (VALET_TEST_MONGODB_URI)" :
			    "the wire-protocol test server tests/mongo/mockmongod.py",
	       g_srv.shown, g_db);
	fflush(stdout);

	int failed = cmocka_run_group_tests_name("store mongodb", tests, NULL, NULL);
	failed += run_contract();
	drop_database();
	printf("test_store_mongodb: %d failed; results from %s\n", failed,
	       g_srv.real ? "the real MongoDB server" : "mockmongod.py (not a real MongoDB)");
	mongo_test_server_stop(&g_srv);
	mongoc_cleanup();
	return failed;
}
