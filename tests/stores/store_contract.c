/*
 * store_contract.c - the cases every store passes (see store_contract.h).
 *
 * Each case works in collections of its own, on a store the harness has
 * just emptied. Worker threads and child processes never call cmocka's
 * assertions (a longjmp across threads or out of a child is undefined);
 * they record what they saw and the case checks it afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "gcommit.h"
#include "store_contract.h"

/* ---- checking helpers */

static void check_rc(int got, int want, const vlt_err_t *err, const char *expr,
		     const char *file, int line)
{
	if (got != want)
		fail_msg("%s:%d: %s returned %d (%s), want %d (%s); err: %s", file, line, expr,
			 got, vlt_strerror(got), want, vlt_strerror(want), err->msg);
	if (got != 0 && (err->code != got || err->msg[0] == '\0'))
		fail_msg("%s:%d: %s failed with %d but err holds %d \"%s\"", file, line, expr,
			 got, err->code, err->msg);
}

/* Run expr with a cleared err and check its return code and err. */
#define EXPECT(want, expr)                                                     \
	do {                                                                   \
		memset(&err, 0, sizeof(err));                                  \
		check_rc((expr), (want), &err, #expr, __FILE__, __LINE__);     \
	} while (0)

static json_t *doc_n(json_int_t n)
{
	return json_pack("{s:I}", "n", n);
}

/* put, taking ownership of doc so that cases read as one line per write. */
static int put_own(const vlt_store_ops_t *ops, void *st, const char *coll, const char *id,
		   json_t *doc, int64_t expect, vlt_err_t *err)
{
	int rc = ops->put(st, coll, id, doc, expect, err);

	json_decref(doc);
	return rc;
}

#define PUT(want, coll, id, doc, expect) EXPECT(want, put_own(ops, st, coll, id, doc, expect, &err))

/* The stored document must equal want (owned) at version want_version. */
static void check_doc(const vlt_store_ops_t *ops, void *st, const char *coll, const char *id,
		      json_t *want, int64_t want_version, const char *file, int line)
{
	vlt_err_t err = { 0 };
	json_t *got = NULL;
	int64_t version = -1;
	int rc = ops->get(st, coll, id, &got, &version, &err);

	if (rc) {
		json_decref(want);
		fail_msg("%s:%d: get %s/%s: %d %s", file, line, coll, id, rc, err.msg);
	}
	bool same = json_equal(got, want);
	char *text = json_dumps(got, JSON_COMPACT);
	json_decref(got);
	json_decref(want);
	if (!same || version != want_version) {
		fprintf(stderr, "got %.300s\n", text ? text : "(null)");
		free(text);
		fail_msg("%s:%d: %s/%s: %s at version %lld (want version %lld)", file, line, coll,
			 id, same ? "document as expected" : "document differs",
			 (long long)version, (long long)want_version);
	}
	free(text);
}

#define CHECK_DOC(coll, id, want, version)                                     \
	check_doc(ops, st, coll, id, want, version, __FILE__, __LINE__)

static void check_absent(const vlt_store_ops_t *ops, void *st, const char *coll, const char *id,
			 const char *file, int line)
{
	vlt_err_t err = { 0 };
	json_t *got = NULL;
	int64_t version = 0;
	int rc = ops->get(st, coll, id, &got, &version, &err);

	if (rc == 0)
		json_decref(got);
	check_rc(rc, VLT_ENOENT, &err, "get", file, line);
}

#define CHECK_ABSENT(coll, id) check_absent(ops, st, coll, id, __FILE__, __LINE__)

/* What list() reported, in call order. */
struct seen {
	size_t n;
	char *id[256];
	int64_t version[256];
	json_int_t value[256]; /* the document's "n", or -1 */
	int stop_after;        /* 0: never; else return stop_code after that many */
	int stop_code;
};

static int record(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct seen *s = arg;

	if (s->n == 256)
		return -1;
	json_t *n = json_object_get(doc, "n");
	s->id[s->n] = strdup(id);
	s->version[s->n] = version;
	s->value[s->n] = json_is_integer(n) ? json_integer_value(n) : -1;
	s->n++;
	return s->stop_after && (int)s->n == s->stop_after ? s->stop_code : 0;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->id[i]);
	s->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- create, update, remove */

static void case_create_then_get(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	json_t *doc = json_pack("{s:s, s:[i,i], s:{s:b}}", "name", "web", "ids", 1, 2, "meta",
				"ok", 1);

	EXPECT(0, ops->put(st, "create", "a", doc, 0, &err));
	/* The store took a copy: changing ours afterwards changes nothing. */
	json_object_set_new(doc, "name", json_string("changed"));
	CHECK_DOC("create", "a",
		  json_pack("{s:s, s:[i,i], s:{s:b}}", "name", "web", "ids", 1, 2, "meta", "ok",
			    1),
		  1);
	json_decref(doc);

	/* A document from get is the caller's own. */
	json_t *got = NULL;
	int64_t version = 0;
	EXPECT(0, ops->get(st, "create", "a", &got, &version, &err));
	json_object_set_new(got, "name", json_string("mine"));
	json_decref(got);
	CHECK_DOC("create", "a",
		  json_pack("{s:s, s:[i,i], s:{s:b}}", "name", "web", "ids", 1, 2, "meta", "ok",
			    1),
		  1);
}

static void case_create_existing_conflicts(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	PUT(0, "exists", "a", doc_n(1), 0);
	PUT(VLT_ECONFLICT, "exists", "a", doc_n(2), 0);
	CHECK_DOC("exists", "a", doc_n(1), 1);
}

static void case_update_bumps_version(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	PUT(0, "update", "a", doc_n(1), 0);
	PUT(0, "update", "a", doc_n(2), 1);
	CHECK_DOC("update", "a", doc_n(2), 2);
	PUT(VLT_ECONFLICT, "update", "a", doc_n(3), 1); /* stale */
	PUT(VLT_ECONFLICT, "update", "a", doc_n(3), 3); /* from the future */
	PUT(VLT_ECONFLICT, "update", "a", doc_n(3), 0); /* create again */
	CHECK_DOC("update", "a", doc_n(2), 2);
	for (int64_t v = 2; v < 10; v++)
		PUT(0, "update", "a", doc_n(v + 1), v);
	CHECK_DOC("update", "a", doc_n(10), 10);
}

static void case_update_missing_conflicts(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	PUT(VLT_ECONFLICT, "missing", "ghost", doc_n(1), 1);
	PUT(VLT_ECONFLICT, "missing", "ghost", doc_n(1), 7);
	CHECK_ABSENT("missing", "ghost");
}

static void case_get_unknown_is_enoent(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	PUT(0, "known", "a", doc_n(1), 0);
	CHECK_ABSENT("known", "b");
	CHECK_ABSENT("known", "A");
	CHECK_ABSENT("never-used", "a");
}

static void case_remove_checks_version(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	PUT(0, "remove", "a", doc_n(1), 0);
	PUT(0, "remove", "a", doc_n(2), 1);
	EXPECT(VLT_ECONFLICT, ops->remove(st, "remove", "a", 1, &err));
	EXPECT(VLT_ECONFLICT, ops->remove(st, "remove", "a", 3, &err));
	CHECK_DOC("remove", "a", doc_n(2), 2);
	EXPECT(0, ops->remove(st, "remove", "a", 2, &err));
	CHECK_ABSENT("remove", "a");
	EXPECT(VLT_ENOENT, ops->remove(st, "remove", "a", 2, &err));
	EXPECT(VLT_ENOENT, ops->remove(st, "remove", "a", -1, &err));

	/* Created again, it starts over at version 1. */
	PUT(0, "remove", "a", doc_n(3), 0);
	CHECK_DOC("remove", "a", doc_n(3), 1);
	PUT(0, "remove", "a", doc_n(4), 1);
	EXPECT(0, ops->remove(st, "remove", "a", -1, &err)); /* unconditional */
	CHECK_ABSENT("remove", "a");
}

static void case_remove_unknown_is_enoent(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	EXPECT(VLT_ENOENT, ops->remove(st, "nothing", "a", -1, &err));
	EXPECT(VLT_ENOENT, ops->remove(st, "nothing", "a", 1, &err));
}

static void case_collections_are_separate(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	PUT(0, "plans", "x", doc_n(1), 0);
	PUT(0, "groups", "x", doc_n(100), 0);
	PUT(0, "plans", "x", doc_n(2), 1);
	CHECK_DOC("plans", "x", doc_n(2), 2);
	CHECK_DOC("groups", "x", doc_n(100), 1);
	EXPECT(0, ops->remove(st, "groups", "x", 1, &err));
	CHECK_DOC("plans", "x", doc_n(2), 2);
	CHECK_ABSENT("groups", "x");
}

/* ---- list */

static void case_list_in_id_order(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	/* Deliberately shuffled; byte order puts digits, capitals, "_" and
	 * lower case, then multi-byte UTF-8 last. */
	const char *ids[] = { "b", "a", "B", "aa", "\xc3\xa9", "10", "9", "a-b",
			      "a_b", "~", "A", "\xe8\xa8\x88", "ab", "a" "\x7f" };
	const size_t n_ids = sizeof(ids) / sizeof(ids[0]);
	const char *sorted[sizeof(ids) / sizeof(ids[0])];

	for (size_t i = 0; i < n_ids; i++) {
		PUT(0, "lst", ids[i], doc_n((json_int_t)i), 0);
		/* versions differ by document, to check each is reported with its own */
		for (size_t k = 0; k < i % 3; k++)
			PUT(0, "lst", ids[i], doc_n((json_int_t)i), (int64_t)k + 1);
	}
	/* Neighbouring collections must not leak in. */
	PUT(0, "ls", "a0", doc_n(-1), 0);
	PUT(0, "lst2", "a0", doc_n(-1), 0);
	PUT(0, "Lst", "a0", doc_n(-1), 0);

	memcpy(sorted, ids, sizeof(ids));
	qsort(sorted, n_ids, sizeof(sorted[0]), cmp_str);
	struct seen seen = { 0 };
	EXPECT(0, ops->list(st, "lst", record, &seen, &err));
	assert_int_equal(seen.n, n_ids);
	for (size_t i = 0; i < n_ids; i++) {
		size_t orig = 0;
		while (strcmp(ids[orig], sorted[i]) != 0)
			orig++;
		assert_string_equal(seen.id[i], sorted[i]);
		assert_int_equal(seen.value[i], (json_int_t)orig);
		assert_int_equal(seen.version[i], (int64_t)(orig % 3) + 1);
	}
	seen_free(&seen);
}

static void case_list_empty_collection(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	struct seen seen = { 0 };

	EXPECT(0, ops->list(st, "empty", record, &seen, &err));
	assert_int_equal(seen.n, 0);
	PUT(0, "emptied", "a", doc_n(1), 0);
	EXPECT(0, ops->remove(st, "emptied", "a", -1, &err));
	EXPECT(0, ops->list(st, "emptied", record, &seen, &err));
	assert_int_equal(seen.n, 0);
}

/* A positive return stops the walk quietly; a negative one comes back from list. */
static void case_list_stops_when_asked(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;

	for (int i = 0; i < 5; i++) {
		char id[8];
		snprintf(id, sizeof(id), "d%d", i);
		PUT(0, "stop", id, doc_n(i), 0);
	}
	struct seen seen = { .stop_after = 2, .stop_code = 1 };
	EXPECT(0, ops->list(st, "stop", record, &seen, &err));
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.id[1], "d1");
	seen_free(&seen);

	seen.stop_after = 1;
	seen.stop_code = VLT_EIO;
	memset(&err, 0, sizeof(err));
	assert_int_equal(ops->list(st, "stop", record, &seen, &err), VLT_EIO);
	assert_int_equal(seen.n, 1);
	seen_free(&seen);
}

struct reenter {
	const vlt_store_ops_t *ops;
	void *st;
	int calls, failures;
};

/* Reads and writes the same store from inside list's callback. */
static int reenter_cb(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct reenter *r = arg;
	vlt_err_t err = { 0 };
	json_t *again = NULL;
	int64_t v = 0;

	r->calls++;
	if (r->ops->get(r->st, "reenter", id, &again, &v, &err) != 0 || v != version ||
	    !json_equal(again, doc))
		r->failures++;
	json_decref(again);
	if (put_own(r->ops, r->st, "reenter-copy", id, json_deep_copy(doc), 0, &err) != 0)
		r->failures++;
	if (put_own(r->ops, r->st, "reenter", id, doc_n(99), version, &err) != 0)
		r->failures++;
	return 0;
}

static void case_list_callback_may_reenter(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	struct reenter r = { ops, st, 0, 0 };

	PUT(0, "reenter", "a", doc_n(1), 0);
	PUT(0, "reenter", "b", doc_n(2), 0);
	EXPECT(0, ops->list(st, "reenter", reenter_cb, &r, &err));
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.failures, 0);
	CHECK_DOC("reenter", "b", doc_n(99), 2);
	CHECK_DOC("reenter-copy", "b", doc_n(2), 1);
}

/* ---- arguments */

static void check_bad_name(const vlt_store_ops_t *ops, void *st, const char *bad)
{
	vlt_err_t err;
	json_t *doc = NULL;
	int64_t v = 0;
	struct seen seen = { 0 };

	EXPECT(VLT_EINVAL, ops->get(st, bad, "a", &doc, &v, &err));
	EXPECT(VLT_EINVAL, ops->get(st, "args", bad, &doc, &v, &err));
	PUT(VLT_EINVAL, bad, "a", doc_n(1), 0);
	PUT(VLT_EINVAL, "args", bad, doc_n(1), 0);
	EXPECT(VLT_EINVAL, ops->remove(st, bad, "a", -1, &err));
	EXPECT(VLT_EINVAL, ops->remove(st, "args", bad, -1, &err));
	EXPECT(VLT_EINVAL, ops->list(st, bad, record, &seen, &err));
	assert_int_equal(seen.n, 0);
}

static void case_invalid_arguments(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	char longest[256], too_long[257];
	const char *bad[] = {
		"",             /* empty */
		too_long,       /* 256 bytes */
		NULL,           /* missing */
		"a\xff",        /* not UTF-8 */
		"\xc0\x80",     /* overlong NUL */
		"\xed\xa0\x80", /* a UTF-16 surrogate */
		"\xe6\x97",     /* truncated sequence */
	};

	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'y', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad_name(ops, st, bad[i]);

	/* 255 bytes is still fine, as collection and as id. */
	PUT(0, longest, longest, doc_n(1), 0);
	CHECK_DOC(longest, longest, doc_n(1), 1);
	EXPECT(0, ops->remove(st, longest, longest, 1, &err));

	/* Documents are JSON objects. */
	PUT(VLT_EINVAL, "args", "a", json_pack("[i]", 1), 0);
	PUT(VLT_EINVAL, "args", "a", json_string("text"), 0);
	EXPECT(VLT_EINVAL, ops->put(st, "args", "a", NULL, 0, &err));
	/* Versions start at 1; -1 means "any" only for remove. */
	PUT(VLT_EINVAL, "args", "a", doc_n(1), -1);
	EXPECT(VLT_EINVAL, ops->remove(st, "args", "a", -2, &err));
	EXPECT(VLT_EINVAL, ops->remove(st, "args", "a", 0, &err));

	struct seen seen = { 0 };
	EXPECT(0, ops->list(st, "args", record, &seen, &err));
	assert_int_equal(seen.n, 0);
}

/* ---- content */

static const char unicode_json[] =
	"{\"latin\": \"h\xc3\xa9llo w\xc3\xb6rld\","
	" \"cjk\": \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\","
	" \"emoji\": \"\xf0\x9f\x9a\x80\xe2\x9c\xa8\","
	" \"rtl\": \"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\","
	" \"escaped\": \"\\u00e9 \\ud83d\\ude80 \\u2028 \\\" \\\\ \\t \\n \\u0001\","
	" \"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\": [\"\xd0\xb7\xd0\xbd\", 1, -2.5, true, false, null],"
	" \"big\": 9223372036854775807, \"small\": -9223372036854775808,"
	" \"pi\": 3.141592653589793, \"tiny\": 5e-324, \"huge\": 1.7976931348623157e308,"
	" \"empty\": \"\", \"none\": {}, \"nothing\": [],"
	" \"deep\": {\"a\": {\"b\": {\"c\": {\"d\": [[[\"e\"]]]}}}}}";

static void case_unicode_round_trip(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	json_error_t jerr;
	const char *ids[] = { "plan-\xc3\xa9", "\xe8\xa8\x88\xe7\x94\xbb", "\xf0\x9f\x9a\x80",
			      "\xce\xa9mega" };

	json_t *doc = json_loads(unicode_json, 0, &jerr);
	if (!doc)
		fail_msg("test document: %s at %d", jerr.text, jerr.column);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		EXPECT(0, ops->put(st, "unicode \xe2\x9c\x93", ids[i], doc, 0, &err));
		CHECK_DOC("unicode \xe2\x9c\x93", ids[i], json_incref(doc), 1);
	}
	json_decref(doc);
}

/* About 2.7 MiB of JSON: a long multi-byte string, a long array, many keys. */
static json_t *large_doc(int seed)
{
	const char piece[] = "valet \xc3\xa9\xe6\x97\xa5\xf0\x9f\x9a\x80 ";
	size_t plen = sizeof(piece) - 1, reps = (2u << 20) / plen;
	char *text = malloc(reps * plen + 1);
	json_t *doc = json_object(), *arr = json_array(), *obj = json_object();

	for (size_t i = 0; i < reps; i++)
		memcpy(text + i * plen, piece, plen);
	text[reps * plen] = '\0';
	json_object_set_new(doc, "text", json_string(text));
	free(text);
	for (int i = 0; i < 100000; i++)
		json_array_append_new(arr, json_integer((json_int_t)i * seed));
	for (int i = 0; i < 5000; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%05d", i);
		json_object_set_new(obj, key, json_real(i / 7.0 + seed));
	}
	json_object_set_new(doc, "numbers", arr);
	json_object_set_new(doc, "keys", obj);
	return doc;
}

static void case_large_document(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	json_t *one = large_doc(1), *two = large_doc(2);

	EXPECT(0, ops->put(st, "large", "big", one, 0, &err));
	CHECK_DOC("large", "big", json_incref(one), 1);
	EXPECT(0, ops->put(st, "large", "big", two, 1, &err));
	CHECK_DOC("large", "big", json_incref(two), 2);
	PUT(0, "large", "small", doc_n(1), 0);
	struct seen seen = { 0 };
	EXPECT(0, ops->list(st, "large", record, &seen, &err));
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.version[0], 2);
	seen_free(&seen);
	json_decref(one);
	json_decref(two);
}

/* ---- concurrency within one process */

#define CAS_THREADS 8
#define CAS_PER_THREAD 25
#define CAS_TOTAL (CAS_THREADS * CAS_PER_THREAD)

struct cas_worker {
	const vlt_store_ops_t *ops;
	void *st;
	pthread_barrier_t *start;
	int64_t won[CAS_PER_THREAD]; /* versions this thread wrote */
	int n_won, conflicts;
	int failed;     /* an unexpected return code */
	int lost;       /* a read whose "n" did not match its version */
	char msg[VLT_ERR_MSG_MAX];
};

/* Increment "n" by compare-and-set until this thread has won CAS_PER_THREAD times. */
static void *cas_run(void *arg)
{
	struct cas_worker *w = arg;
	vlt_err_t err = { 0 };

	pthread_barrier_wait(w->start);
	while (w->n_won < CAS_PER_THREAD && !w->failed) {
		json_t *doc = NULL;
		int64_t v = 0;
		int rc = w->ops->get(w->st, "cas", "counter", &doc, &v, &err);
		if (rc) {
			w->failed = rc;
			break;
		}
		json_int_t n = json_integer_value(json_object_get(doc, "n"));
		json_decref(doc);
		if (n != v - 1)
			w->lost++;
		rc = put_own(w->ops, w->st, "cas", "counter", doc_n(n + 1), v, &err);
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

static void case_concurrent_cas(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	static struct cas_worker w[CAS_THREADS];
	pthread_t tid[CAS_THREADS];
	pthread_barrier_t start;
	int winners[CAS_TOTAL + 2] = { 0 };

	PUT(0, "cas", "counter", doc_n(0), 0);
	pthread_barrier_init(&start, NULL, CAS_THREADS);
	for (int i = 0; i < CAS_THREADS; i++) {
		w[i] = (struct cas_worker){ .ops = ops, .st = st, .start = &start };
		assert_int_equal(pthread_create(&tid[i], NULL, cas_run, &w[i]), 0);
	}
	int conflicts = 0;
	for (int i = 0; i < CAS_THREADS; i++) {
		pthread_join(tid[i], NULL);
		if (w[i].failed)
			fail_msg("thread %d: %d %s", i, w[i].failed, w[i].msg);
		assert_int_equal(w[i].lost, 0);
		conflicts += w[i].conflicts;
		for (int k = 0; k < w[i].n_won; k++) {
			assert_in_range(w[i].won[k], 2, CAS_TOTAL + 1);
			winners[w[i].won[k]]++;
		}
	}
	pthread_barrier_destroy(&start);
	/* Every version from 2 on was written by exactly one thread. */
	for (int v = 2; v <= CAS_TOTAL + 1; v++) {
		if (winners[v] != 1)
			fail_msg("version %d has %d writers", v, winners[v]);
	}
	CHECK_DOC("cas", "counter", doc_n(CAS_TOTAL), CAS_TOTAL + 1);
	print_message("    %d increments, %d conflicts retried\n", CAS_TOTAL, conflicts);
}

#define CREATE_THREADS 6
#define CREATE_IDS 30

struct create_worker {
	const vlt_store_ops_t *ops;
	void *st;
	pthread_barrier_t *start;
	int me;
	bool won[CREATE_IDS];
	int failed;
	char msg[VLT_ERR_MSG_MAX];
};

/* Every thread tries to create every id; the store must pick one per id. */
static void *create_run(void *arg)
{
	struct create_worker *w = arg;
	vlt_err_t err = { 0 };

	pthread_barrier_wait(w->start);
	for (int i = 0; i < CREATE_IDS && !w->failed; i++) {
		char id[16];
		/* half the threads go up, half down, to meet in the middle */
		int k = w->me % 2 ? i : CREATE_IDS - 1 - i;
		snprintf(id, sizeof(id), "id%02d", k);
		int rc = put_own(w->ops, w->st, "create-race", id, doc_n(w->me), 0, &err);
		if (rc == 0)
			w->won[k] = true;
		else if (rc != VLT_ECONFLICT)
			w->failed = rc;
	}
	if (w->failed)
		snprintf(w->msg, sizeof(w->msg), "%s", err.msg);
	return NULL;
}

static void case_concurrent_create(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	static struct create_worker w[CREATE_THREADS];
	pthread_t tid[CREATE_THREADS];
	pthread_barrier_t start;

	pthread_barrier_init(&start, NULL, CREATE_THREADS);
	for (int i = 0; i < CREATE_THREADS; i++) {
		w[i] = (struct create_worker){ .ops = ops, .st = st, .start = &start, .me = i };
		assert_int_equal(pthread_create(&tid[i], NULL, create_run, &w[i]), 0);
	}
	for (int i = 0; i < CREATE_THREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	for (int k = 0; k < CREATE_IDS; k++) {
		int winner = -1, n = 0;
		char id[16];
		for (int i = 0; i < CREATE_THREADS; i++) {
			if (w[i].failed)
				fail_msg("thread %d: %d %s", i, w[i].failed, w[i].msg);
			if (w[i].won[k]) {
				winner = i;
				n++;
			}
		}
		if (n != 1)
			fail_msg("id%02d was created by %d threads", k, n);
		snprintf(id, sizeof(id), "id%02d", k);
		CHECK_DOC("create-race", id, doc_n(winner), 1);
	}
}

/* ---- durability */

#define DURABLE_IDS 40

static void case_durable_across_reopen(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	char id[DURABLE_IDS][16];

	for (int i = 0; i < DURABLE_IDS; i++) {
		snprintf(id[i], sizeof(id[i]), "doc%03d", i);
		PUT(0, "durable", id[i], doc_n(i), 0);
		if (i % 2 == 0) {
			PUT(0, "durable", id[i], doc_n(i + 1000), 1);
			PUT(0, "durable", id[i], doc_n(i + 2000), 2);
		}
		if (i % 5 == 0)
			EXPECT(0, ops->remove(st, "durable", id[i], -1, &err));
	}
	ops->fini(*state);
	*state = NULL;
	EXPECT(0, h->open(h->ctx, state, &err));
	st = *state;

	struct seen seen = { 0 };
	EXPECT(0, ops->list(st, "durable", record, &seen, &err));
	size_t at = 0;
	for (int i = 0; i < DURABLE_IDS; i++) {
		if (i % 5 == 0) {
			CHECK_ABSENT("durable", id[i]);
			continue;
		}
		assert_true(at < seen.n);
		assert_string_equal(seen.id[at], id[i]);
		assert_int_equal(seen.version[at], i % 2 == 0 ? 3 : 1);
		assert_int_equal(seen.value[at], i % 2 == 0 ? i + 2000 : i);
		at++;
	}
	assert_int_equal(seen.n, at);
	seen_free(&seen);
}

/*
 * A child process writes in a loop: create log/wNNNNNNNN, then move the
 * counter from n to n+1 by compare-and-set, then report the sequence
 * number on a pipe. The parent SIGKILLs it mid-burst, reopens the store
 * and checks that every reported write is there, once, and that at most
 * the one write in flight went further.
 */
#define CRASH_LOG "crash-log"
#define CRASH_CTR "crash-counter"

static void crash_child(const store_harness_t *h, int fd, uint32_t start)
{
	vlt_err_t err = { 0 };
	void *st = NULL;

	if (h->open(h->ctx, &st, &err) != 0)
		_exit(10);
	for (uint32_t seq = start; seq < start + 1000000; seq++) {
		char id[16];
		json_t *doc = NULL;
		int64_t v = 0;
		snprintf(id, sizeof(id), "w%08u", (unsigned)seq);
		json_t *entry = json_pack("{s:I}", "seq", (json_int_t)seq);
		if (put_own(h->ops, st, CRASH_LOG, id, entry, 0, &err) != 0)
			_exit(11);
		if (h->ops->get(st, CRASH_CTR, "n", &doc, &v, &err) != 0)
			_exit(12);
		json_int_t n = json_integer_value(json_object_get(doc, "n"));
		json_decref(doc);
		if (n != (json_int_t)seq || v != n + 1)
			_exit(13);
		if (put_own(h->ops, st, CRASH_CTR, "n", doc_n(n + 1), v, &err) != 0)
			_exit(14);
		if (write(fd, &seq, sizeof(seq)) != (ssize_t)sizeof(seq))
			_exit(15);
	}
	_exit(0);
}

/* RET 1 with *seq, 0 at end of file, -1 on a read error or a torn record. */
static int read_ack(int fd, uint32_t *seq)
{
	unsigned char *p = (unsigned char *)seq;
	size_t got = 0;

	while (got < sizeof(*seq)) {
		ssize_t n = read(fd, p + got, sizeof(*seq) - got);
		if (n == 0)
			return got == 0 ? 0 : -1;
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	return 1;
}

/* RET how many writes the child acknowledged before it died. */
static uint32_t crash_burst(const store_harness_t *h, uint32_t start, uint32_t kill_after)
{
	int fds[2];
	uint32_t acked = 0, seq = 0;
	int r, status = 0;

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		crash_child(h, fds[1], start);
	}
	close(fds[1]);
	while ((r = read_ack(fds[0], &seq)) == 1) {
		if (seq != start + acked)
			break;
		if (++acked == kill_after)
			kill(pid, SIGKILL);
	}
	close(fds[0]);
	if (acked < kill_after)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status))
		fail_msg("writer exited with %d after %u writes", WEXITSTATUS(status),
			 (unsigned)acked);
	assert_int_equal(r, 0);
	assert_int_equal(seq, start + acked - 1);
	assert_true(acked >= kill_after);
	return acked;
}

struct crash_walk {
	uint32_t next; /* the sequence number the next document must carry */
	int bad;
};

static int crash_each(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct crash_walk *w = arg;
	char want[16];

	snprintf(want, sizeof(want), "w%08u", (unsigned)w->next);
	if (strcmp(id, want) != 0 || version != 1 ||
	    json_integer_value(json_object_get(doc, "seq")) != (json_int_t)w->next)
		w->bad++;
	w->next++;
	return 0;
}

/*
 * After `acked` acknowledged writes: the log holds w0..w(K-1) with K acked
 * or acked+1 (one create in flight), each once and intact; the counter is
 * at n = acked or acked+1, never ahead of the log, at version n+1.
 * OUT logged - K; OUT counted - n.
 */
static void crash_verify(const store_harness_t *h, void *st, uint32_t acked, uint32_t *logged,
			 uint32_t *counted)
{
	const vlt_store_ops_t *ops = h->ops;
	vlt_err_t err;
	json_t *ctr = NULL;
	int64_t version = 0;
	struct crash_walk walk = { 0, 0 };

	EXPECT(0, ops->list(st, CRASH_LOG, crash_each, &walk, &err));
	assert_int_equal(walk.bad, 0);
	assert_in_range(walk.next, acked, acked + 1);
	EXPECT(0, ops->get(st, CRASH_CTR, "n", &ctr, &version, &err));
	json_int_t n = json_integer_value(json_object_get(ctr, "n"));
	json_decref(ctr);
	assert_int_equal(version, n + 1);
	assert_in_range(n, acked, walk.next);
	*logged = walk.next;
	*counted = (uint32_t)n;
}

static void case_crash_keeps_acknowledged_writes(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	const uint32_t kill_after[] = { 60, 25, 1 };
	uint32_t logged = 0, counted = 0;

	PUT(0, CRASH_CTR, "n", doc_n(0), 0);
	for (size_t round = 0; round < sizeof(kill_after) / sizeof(kill_after[0]); round++) {
		/* No open state of ours crosses the fork. */
		ops->fini(*state);
		*state = NULL;
		uint32_t acked = crash_burst(h, logged, kill_after[round]);
		EXPECT(0, h->open(h->ctx, state, &err));
		st = *state;
		crash_verify(h, st, logged + acked, &logged, &counted);
		print_message("    round %zu: %u acknowledged, %u in the log, counter %u\n", round,
			      (unsigned)acked, (unsigned)logged, (unsigned)counted);
		/* The write in flight may have created its document without
		 * moving the counter; move it so the next writer starts even. */
		if (counted < logged)
			PUT(0, CRASH_CTR, "n", doc_n(logged), (int64_t)counted + 1);
	}
}

/*
 * ABI 1.6 remove_batch, when the store has it: the documents named go
 * whatever their version, those not there are skipped and counted out,
 * the others stay.
 */
static void case_remove_batch(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	const char *all[] = { "r1", "r2", "r3", "r4" }, *gone[] = { "r1", "r3", "r9" };
	size_t removed = 0;

	if (ops->info.abi_minor < 6 || ops->remove_batch == NULL) {
		print_message("    %s has no remove_batch: skipped\n", h->name);
		return;
	}
	for (size_t i = 0; i < 4; i++) {
		json_t *doc = doc_n((json_int_t)i);

		EXPECT(0, ops->put(st, "rbatch", all[i], doc, 0, &err));
		json_decref(doc);
	}
	json_t *newer = doc_n(30);

	EXPECT(0, ops->put(st, "rbatch", "r3", newer, 1, &err)); /* any version goes */
	json_decref(newer);
	EXPECT(0, ops->remove_batch(st, "rbatch", 3, gone, &removed, &err));
	assert_int_equal(removed, 2);
	CHECK_ABSENT("rbatch", "r1");
	CHECK_ABSENT("rbatch", "r3");
	CHECK_DOC("rbatch", "r2", doc_n(1), 1);
	CHECK_DOC("rbatch", "r4", doc_n(3), 1);
	EXPECT(0, ops->remove_batch(st, "rbatch", 0, gone, &removed, &err));
	assert_int_equal(removed, 0);
	const char *bad[] = { "r2", "" };
	EXPECT(VLT_EINVAL, ops->remove_batch(st, "rbatch", 2, bad, &removed, &err));
	CHECK_DOC("rbatch", "r2", doc_n(1), 1);
}

/*
 * ABI 1.5 insert_batch, when the store has it: every document of a batch
 * at version 1; one existing id fails the whole batch and writes nothing.
 */
static void case_insert_batch_all_or_none(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	const char *ids[] = { "b1", "b2", "b3" }, *clash[] = { "b4", "b2", "b5" };
	json_t *docs[] = { doc_n(1), doc_n(2), doc_n(3) };

	if (ops->info.abi_minor < 5 || ops->insert_batch == NULL) {
		print_message("    %s has no insert_batch: skipped\n", h->name);
		for (size_t i = 0; i < 3; i++)
			json_decref(docs[i]);
		return;
	}
	EXPECT(0, ops->insert_batch(st, "batch", 3, ids, (const json_t *const *)docs, &err));
	EXPECT(VLT_ECONFLICT,
	       ops->insert_batch(st, "batch", 3, clash, (const json_t *const *)docs, &err));
	for (size_t i = 0; i < 3; i++)
		CHECK_DOC("batch", ids[i], doc_n((json_int_t)i + 1), 1);
	CHECK_ABSENT("batch", "b4");
	CHECK_ABSENT("batch", "b5");
	for (size_t i = 0; i < 3; i++)
		json_decref(docs[i]);
}

/* ---- group commit: many writers in one process, killed mid-burst */

/*
 * A child runs GC_WRITERS threads that each append entries through one
 * group commit queue (gcommit.c, as the journal's committer does): the
 * committer gives a batch the next consecutive ids and writes it with
 * insert_batch (one put when the store has none). Each thread reports an
 * entry on the pipe only once its submit has returned. The parent kills
 * the child mid-burst and checks that every reported entry is stored, no
 * entry twice, the ids without a gap, each thread's entries in its order.
 */
#define GC_LOG "gc-log"
#define GC_WRITERS 8

struct gc_child {
	const store_harness_t *h;
	void *st;
	uint64_t next_id; /* the committer's alone: only one commit runs at a time */
	vlt_gcommit_t g;
	pthread_mutex_t pipe_lock;
	int fd;
};

struct gc_thread {
	struct gc_child *c;
	uint32_t w;
};

static int gc_commit(void *arg, void *const *entries, size_t n, vlt_err_t *err)
{
	struct gc_child *c = arg;
	char ids[64][24];
	const char *ptrs[64];
	int rc;

	for (size_t i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%020llu", (unsigned long long)(c->next_id + i));
		ptrs[i] = ids[i];
	}
	if (n > 1)
		rc = c->h->ops->insert_batch(c->st, GC_LOG, n, ptrs, (const json_t *const *)entries,
					     err);
	else
		rc = c->h->ops->put(c->st, GC_LOG, ptrs[0], entries[0], 0, err);
	if (rc == 0)
		c->next_id += n;
	return rc;
}

static void *gc_write(void *arg)
{
	struct gc_thread *t = arg;

	for (uint32_t k = 0;; k++) {
		vlt_err_t err = { 0 };
		json_t *e = json_pack("{s:I, s:I}", "w", (json_int_t)t->w, "k", (json_int_t)k);
		uint32_t ack[2] = { t->w, k };

		if (vlt__gcommit_submit(&t->c->g, e, &err) != 0)
			_exit(21);
		json_decref(e);
		pthread_mutex_lock(&t->c->pipe_lock);
		if (write(t->c->fd, ack, sizeof(ack)) != (ssize_t)sizeof(ack))
			_exit(22);
		pthread_mutex_unlock(&t->c->pipe_lock);
	}
	return NULL;
}

static void gc_child_run(const store_harness_t *h, int fd)
{
	static struct gc_child c;
	struct gc_thread t[GC_WRITERS];
	pthread_t tid[GC_WRITERS];
	vlt_err_t err = { 0 };
	bool batch = h->ops->info.abi_minor >= 5 && h->ops->insert_batch != NULL;

	if (h->open(h->ctx, &c.st, &err) != 0)
		_exit(20);
	c.h = h;
	c.fd = fd;
	c.next_id = 1;
	pthread_mutex_init(&c.pipe_lock, NULL);
	vlt__gcommit_init(&c.g, gc_commit, &c, batch ? 64 : 1);
	for (uint32_t i = 0; i < GC_WRITERS; i++) {
		t[i] = (struct gc_thread){ &c, i };
		if (pthread_create(&tid[i], NULL, gc_write, &t[i]) != 0)
			_exit(23);
	}
	pthread_join(tid[0], NULL); /* never returns: the parent kills the process */
	_exit(0);
}

/* Read acknowledgements until kill_after of them, kill the child, read the rest. */
static uint32_t gc_burst(const store_harness_t *h, uint32_t kill_after, uint32_t *acked_k)
{
	int fds[2], status = 0;
	uint32_t ack[2], acked = 0;

	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		gc_child_run(h, fds[1]);
	}
	close(fds[1]);
	while (read_ack(fds[0], &ack[0]) == 1 && read_ack(fds[0], &ack[1]) == 1) {
		if (ack[0] >= GC_WRITERS || ack[1] != acked_k[ack[0]])
			fail_msg("writer %u acknowledged %u out of order", ack[0], ack[1]);
		acked_k[ack[0]]++;
		if (++acked == kill_after)
			kill(pid, SIGKILL);
	}
	close(fds[0]);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status))
		fail_msg("writers exited with %d after %u writes", WEXITSTATUS(status),
			 (unsigned)acked);
	return acked;
}

struct gc_walk {
	uint64_t next_id;
	uint32_t stored_k[GC_WRITERS]; /* per writer: how many of its entries are stored */
	int bad;
};

static int gc_each(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct gc_walk *wk = arg;
	char want[24];
	json_int_t w = json_integer_value(json_object_get(doc, "w"));
	json_int_t k = json_integer_value(json_object_get(doc, "k"));

	snprintf(want, sizeof(want), "%020llu", (unsigned long long)wk->next_id++);
	/* a gap, a doubled entry or one out of its writer's order are all wrong */
	if (strcmp(id, want) != 0 || version != 1 || w < 0 || w >= GC_WRITERS ||
	    k != (json_int_t)wk->stored_k[w])
		wk->bad++;
	else
		wk->stored_k[w]++;
	return 0;
}

static void case_group_commit_crash_keeps_acknowledged(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	vlt_err_t err;
	uint32_t acked_k[GC_WRITERS] = { 0 };
	struct gc_walk walk = { .next_id = 1 };

	ops->fini(*state); /* no open state of ours crosses the fork */
	*state = NULL;
	uint32_t acked = gc_burst(h, 400, acked_k);
	EXPECT(0, h->open(h->ctx, state, &err));
	EXPECT(0, ops->list(*state, GC_LOG, gc_each, &walk, &err));
	assert_int_equal(walk.bad, 0);
	for (uint32_t w = 0; w < GC_WRITERS; w++) /* every acknowledged one is there */
		assert_true(walk.stored_k[w] >= acked_k[w]);
	print_message("    %u acknowledged by %d writers, %llu stored\n", (unsigned)acked,
		      GC_WRITERS, (unsigned long long)walk.next_id - 1);
}

/* ---- several processes, one store: compare-and-set across processes */

#define PROCS 4
#define PROC_WINS 20

/* A child: win PROC_WINS compare-and-set increments, reporting each version won. */
static void cas_process(const store_harness_t *h, int fd)
{
	const vlt_store_ops_t *ops = h->ops;
	vlt_err_t err = { 0 };
	void *st = NULL;
	int won = 0;

	if (h->open(h->ctx, &st, &err) != 0)
		_exit(10);
	for (int tries = 0; won < PROC_WINS && tries < 100000; tries++) {
		json_t *doc = NULL;
		int64_t v = 0;
		if (ops->get(st, "shared", "counter", &doc, &v, &err) != 0)
			_exit(11);
		json_int_t n = json_integer_value(json_object_get(doc, "n"));
		json_decref(doc);
		if (n != v - 1)
			_exit(12);
		int rc = put_own(ops, st, "shared", "counter", doc_n(n + 1), v, &err);
		if (rc == VLT_ECONFLICT)
			continue;
		if (rc != 0)
			_exit(13);
		v++;
		if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(14);
		won++;
	}
	ops->fini(st);
	_exit(won == PROC_WINS ? 0 : 15);
}

/* Processes racing on one counter: every version is won exactly once. */
static void case_processes_race_cas(const store_harness_t *h, void **state)
{
	const vlt_store_ops_t *ops = h->ops;
	void *st = *state;
	vlt_err_t err;
	int fds[2], winners[PROCS * PROC_WINS + 2] = { 0 };
	pid_t pid[PROCS];
	int64_t v;

	PUT(0, "shared", "counter", doc_n(0), 0);
	ops->fini(*state); /* nothing open crosses the fork */
	*state = NULL;
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	for (int i = 0; i < PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			close(fds[0]);
			cas_process(h, fds[1]);
		}
	}
	close(fds[1]);
	while (read(fds[0], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
		assert_in_range(v, 2, PROCS * PROC_WINS + 1);
		winners[v]++;
	}
	close(fds[0]);
	for (int i = 0; i < PROCS; i++) {
		int status = 0;
		waitpid(pid[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fail_msg("child %d ended with status 0x%x", i, status);
	}
	for (int k = 2; k <= PROCS * PROC_WINS + 1; k++)
		if (winners[k] != 1)
			fail_msg("version %d was written %d times", k, winners[k]);
	EXPECT(0, h->open(h->ctx, state, &err));
	st = *state;
	CHECK_DOC("shared", "counter", doc_n(PROCS * PROC_WINS), PROCS * PROC_WINS + 1);
}

/* ---- the table and the runner */

const store_case_t store_contract_cases[] = {
	{ "create_then_get", case_create_then_get },
	{ "create_existing_conflicts", case_create_existing_conflicts },
	{ "update_bumps_version", case_update_bumps_version },
	{ "update_missing_conflicts", case_update_missing_conflicts },
	{ "get_unknown_is_enoent", case_get_unknown_is_enoent },
	{ "remove_checks_version", case_remove_checks_version },
	{ "remove_unknown_is_enoent", case_remove_unknown_is_enoent },
	{ "collections_are_separate", case_collections_are_separate },
	{ "list_in_id_order", case_list_in_id_order },
	{ "list_empty_collection", case_list_empty_collection },
	{ "list_stops_when_asked", case_list_stops_when_asked },
	{ "list_callback_may_reenter", case_list_callback_may_reenter },
	{ "invalid_arguments", case_invalid_arguments },
	{ "unicode_round_trip", case_unicode_round_trip },
	{ "large_document", case_large_document },
	{ "concurrent_cas", case_concurrent_cas },
	{ "concurrent_create", case_concurrent_create },
	{ "durable_across_reopen", case_durable_across_reopen },
	{ "crash_keeps_acknowledged_writes", case_crash_keeps_acknowledged_writes },
	{ "processes_race_cas", case_processes_race_cas },
	{ "insert_batch_all_or_none", case_insert_batch_all_or_none },
	{ "remove_batch", case_remove_batch },
	{ "group_commit_crash_keeps_acknowledged", case_group_commit_crash_keeps_acknowledged },
};

const size_t store_contract_n_cases =
	sizeof(store_contract_cases) / sizeof(store_contract_cases[0]);

struct slot {
	const store_harness_t *h;
	const store_case_t *c;
	void *state;
};

static int slot_setup(void **cm_state)
{
	struct slot *s = *cm_state;
	vlt_err_t err = { 0 };

	if (s->h->reset && s->h->reset(s->h->ctx) != 0) {
		print_error("%s: cannot empty the store\n", s->h->name);
		return -1;
	}
	int rc = s->h->open(s->h->ctx, &s->state, &err);
	if (rc) {
		print_error("%s: open: %d %s\n", s->h->name, rc, err.msg);
		return -1;
	}
	return 0;
}

static int slot_teardown(void **cm_state)
{
	struct slot *s = *cm_state;

	s->h->ops->fini(s->state);
	s->state = NULL;
	return 0;
}

static void slot_run(void **cm_state)
{
	struct slot *s = *cm_state;

	s->c->fn(s->h, &s->state);
}

int store_contract_run(const store_harness_t *h)
{
	size_t n = store_contract_n_cases;
	struct slot *slots = calloc(n, sizeof(*slots));
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	char group[128];

	if (!slots || !tests) {
		free(slots);
		free(tests);
		return (int)n;
	}
	for (size_t i = 0; i < n; i++) {
		slots[i] = (struct slot){ h, &store_contract_cases[i], NULL };
		tests[i] = (struct CMUnitTest){ store_contract_cases[i].name, slot_run, slot_setup,
						slot_teardown, &slots[i] };
	}
	snprintf(group, sizeof(group), "store contract: %s", h->name);
	int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	free(tests);
	free(slots);
	return failed;
}
