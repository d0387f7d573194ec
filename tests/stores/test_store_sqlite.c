/*
 * test_store_sqlite.c - the sqlite store: settings, the file it makes, its
 * schema and migrations, locking between processes, then the whole store
 * contract (store_contract.c).
 *
 * Every test works in a scratch directory of its own under $TMPDIR (or
 * /tmp) that is removed afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include <valet/store.h>

#include "sqlite_schema.h"
#include "store_contract.h"
#include "built_module.h"
#include "fake_core.h"

extern const vlt_plugin_info_t *const vlt_plugin_store_sqlite;

#define OPS ((const vlt_store_ops_t *)vlt_plugin_store_sqlite)

/* ---- scratch directories */

static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode) || !(d = opendir(path))) {
		unlink(path);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		char sub[1024];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_rf(sub);
	}
	closedir(d);
	rmdir(path);
}

static void make_scratch(char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, size, "%s/valet-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fail_msg("mkdtemp %s: %s", dir, strerror(errno));
}

/* One test's world: a scratch dir, a data dir inside it (not yet made), a fake core. */
struct fx {
	char dir[512];
	char data_dir[600];
	char db[700]; /* where the default file lands */
	fake_core_t *fc;
};

/* A fake core whose data directory is data_dir; owned by the caller (fake_core_free). */
static fake_core_t *core_in(const char *data_dir)
{
	fake_core_t *fc = fake_core_new();

	assert_int_equal(fake_core_set_data_dir(fc, data_dir), 0);
	return fc;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	make_scratch(f->dir, sizeof(f->dir));
	snprintf(f->data_dir, sizeof(f->data_dir), "%s/data/sub", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/valet.db", f->data_dir);
	f->fc = core_in(f->data_dir);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	fake_core_free(f->fc);
	rm_rf(f->dir);
	free(f);
	return 0;
}

static int open_store(struct fx *f, void **st, vlt_err_t *err)
{
	memset(err, 0, sizeof(*err));
	*st = NULL;
	return OPS->init(fake_core_api(f->fc), st, err);
}

/* Open, or fail the test with the store's message. */
static void *must_open(struct fx *f)
{
	vlt_err_t err;
	void *st = NULL;
	int rc = open_store(f, &st, &err);

	if (rc)
		fail_msg("init: %d %s", rc, err.msg);
	return st;
}

static void put_n(void *st, const char *coll, const char *id, json_int_t n, int64_t expect)
{
	vlt_err_t err = { 0 };
	json_t *doc = json_pack("{s:I}", "n", n);
	int rc = OPS->put(st, coll, id, doc, expect, &err);

	json_decref(doc);
	if (rc)
		fail_msg("put %s/%s: %d %s", coll, id, rc, err.msg);
}

/* The database and the files SQLite keeps beside it. */
static void remove_db(const struct fx *f)
{
	const char *suffix[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		char path[800];
		snprintf(path, sizeof(path), "%s%s", f->db, suffix[i]);
		unlink(path);
	}
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		if (!contains((hay), (needle)))                                \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)

/* ---- a second, plain connection to look at the file */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		fail_msg("raw open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		char copy[256];
		snprintf(copy, sizeof(copy), "%s", msg ? msg : "?");
		sqlite3_free(msg);
		fail_msg("raw exec %s: %s", sql, copy);
	}
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("raw prepare %s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static bool raw_has(sqlite3 *db, const char *type, const char *name)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE type = '%s' AND "
		 "name = '%s'", type, name);
	return raw_int(db, sql) == 1;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- the built module */

/* The built .so passes the loader's checks and works through its one export. */
static void test_module_loads(void **state)
{
	struct fx *f = *state;
	void *so;
	const vlt_store_ops_t *ops = built_module_open(VLT_KIND_STORE, "sqlite", &so);
	vlt_err_t err = { 0 };
	void *st = NULL;

	assert_int_equal(ops->init(fake_core_api(f->fc), &st, &err), 0);
	json_t *doc = json_pack("{s:s}", "via", "the loader"), *got = NULL;
	int64_t v = 0;
	assert_int_equal(ops->put(st, "so", "a", doc, 0, &err), 0);
	assert_int_equal(ops->get(st, "so", "a", &got, &v, &err), 0);
	assert_true(json_equal(doc, got));
	json_decref(doc);
	json_decref(got);
	ops->fini(st);
	ops->fini(NULL); /* a failed init's state: fini must accept it */
	built_module_close(so);
}

/* ---- settings and the file */

static void test_defaults_make_data_dir(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	void *st = must_open(f);

	put_n(st, "plans", "p1", 1, 0);
	OPS->fini(st);
	assert_int_equal(stat(f->data_dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0750);
	assert_true(exists(f->db));

	sqlite3 *db = raw_open(f->db);
	sqlite3_stmt *q = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	assert_int_equal(raw_int(db, "PRAGMA application_id"), STORE_SQLITE_APP_ID);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version"), 1);
	assert_int_equal(raw_int(db, "SELECT max(version) FROM schema_version"),
			 store_sqlite_migrations[store_sqlite_n_migrations - 1].version);
	assert_int_equal(raw_int(db, "SELECT version FROM documents WHERE coll = 'plans' AND "
				     "id = 'p1'"),
			 1);
	sqlite3_close(db);

	assert_logged(f->fc, -1, "schema migrated from v0 to v1");
	assert_logged(f->fc, -1, "synchronous=full");
	assert_logged(f->fc, -1, "busy_timeout_ms=5000");
	/* A second start finds nothing to migrate. */
	OPS->fini(must_open(f));
	assert_int_equal(fake_core_n_logged(f->fc, -1, "migrated"), 1);
}

static void test_relative_file_in_subdirectory(void **state)
{
	struct fx *f = *state;
	char want[800];

	fake_core_set_str(f->fc, "file", "nested/deeper/store.db");
	OPS->fini(must_open(f));
	snprintf(want, sizeof(want), "%s/nested/deeper/store.db", f->data_dir);
	assert_true(exists(want));
	assert_false(exists(f->db));
}

static void test_absolute_file(void **state)
{
	struct fx *f = *state;
	char want[800];

	snprintf(want, sizeof(want), "%s/elsewhere/abs.db", f->dir);
	fake_core_set_str(f->fc, "file", want);
	void *st = must_open(f);
	put_n(st, "c", "a", 1, 0);
	OPS->fini(st);
	assert_true(exists(want));
	/* Only the file's own directory is made; the data dir is not needed. */
	assert_false(exists(f->data_dir));
}

struct setting_case {
	const char *key;
	const char *str; /* NULL: use num */
	int64_t num;
	int want;
	const char *in_msg;
};

static void test_settings_checked(void **state)
{
	struct fx *f = *state;
	static const struct setting_case cases[] = {
		{ "synchronous", "off", 0, VLT_ECONFIG, "store.sqlite.synchronous" },
		{ "synchronous", "FULL", 0, VLT_ECONFIG, "\"FULL\"" },
		{ "synchronous", NULL, 1, VLT_ECONFIG, "synchronous" },
		{ "busy_timeout_ms", NULL, -1, VLT_ECONFIG, "store.sqlite.busy_timeout_ms" },
		{ "busy_timeout_ms", NULL, 2147483648LL, VLT_ECONFIG, "2147483648" },
		{ "busy_timeout_ms", "100", 0, VLT_ECONFIG, "busy_timeout_ms" },
		{ "file", "", 0, VLT_ECONFIG, "store.sqlite.file" },
		{ "file", ":memory:", 0, VLT_ECONFIG, "in-memory" },
		{ "file", NULL, 3, VLT_ECONFIG, "file" },
		{ "synchronous", "normal", 0, 0, NULL },
		{ "busy_timeout_ms", NULL, 0, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct setting_case *c = &cases[i];
		fake_core_t *fc = core_in(f->data_dir);
		vlt_err_t err = { 0 };
		void *st = NULL;

		if (c->str)
			fake_core_set_str(fc, c->key, c->str);
		else
			fake_core_set_int(fc, c->key, c->num);
		int rc = OPS->init(fake_core_api(fc), &st, &err);
		OPS->fini(st);
		if (rc == 0 && c->want == 0 && contains(c->key, "sync"))
			assert_logged(fc, -1, "synchronous=normal");
		fake_core_free(fc);
		if (rc != c->want)
			fail_msg("case %zu (%s): got %d want %d: %s", i, c->key, rc, c->want,
				 err.msg);
		if (c->in_msg)
			assert_contains(err.msg, c->in_msg);
	}
}

static void test_data_dir_not_a_directory(void **state)
{
	struct fx *f = *state;
	char blocker[600];
	vlt_err_t err;
	void *st = NULL;

	snprintf(blocker, sizeof(blocker), "%s/data", f->dir);
	FILE *fp = fopen(blocker, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(open_store(f, &st, &err), VLT_EIO);
	assert_null(st);
	assert_contains(err.msg, blocker);
}

static void test_not_a_database(void **state)
{
	struct fx *f = *state;
	char junk[4096];
	vlt_err_t err;
	void *st = NULL;
	struct stat sb;

	OPS->fini(must_open(f)); /* makes the directories */
	remove_db(f);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)('a' + i % 26);
	FILE *fp = fopen(f->db, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	assert_int_equal(open_store(f, &st, &err), VLT_EBACKEND);
	assert_contains(err.msg, f->db);
	assert_contains(err.msg, "not a database");
	assert_int_equal(stat(f->db, &sb), 0);
	assert_int_equal(sb.st_size, sizeof(junk));
}

static void test_foreign_database_refused(void **state)
{
	struct fx *f = *state;
	vlt_err_t err;
	void *st = NULL;

	OPS->fini(must_open(f));
	remove_db(f);
	sqlite3 *db = raw_open(f->db);
	raw_exec(db, "CREATE TABLE accounts (who TEXT)");
	sqlite3_close(db);
	assert_int_equal(open_store(f, &st, &err), VLT_ECONFIG);
	assert_contains(err.msg, "not a valet store");
	assert_contains(err.msg, f->db);
	db = raw_open(f->db);
	assert_true(raw_has(db, "table", "accounts"));
	assert_false(raw_has(db, "table", "schema_version"));
	sqlite3_close(db);

	/* An empty file that another program has claimed. */
	remove_db(f);
	db = raw_open(f->db);
	raw_exec(db, "PRAGMA application_id = 42; VACUUM");
	sqlite3_close(db);
	assert_int_equal(open_store(f, &st, &err), VLT_ECONFIG);
	assert_contains(err.msg, "application_id 0x0000002a");
}

/* ---- schema and migrations */

/* Version 0: an SQLite file that exists but holds nothing yet. */
static void test_empty_database_is_migrated(void **state)
{
	struct fx *f = *state;

	OPS->fini(must_open(f));
	remove_db(f);
	sqlite3 *db = raw_open(f->db);
	raw_exec(db, "PRAGMA page_size = 8192; VACUUM");
	sqlite3_close(db);
	void *st = must_open(f);
	put_n(st, "c", "a", 7, 0);
	OPS->fini(st);
	assert_int_equal(fake_core_n_logged(f->fc, -1, "migrated from v0 to v1"), 2);
	db = raw_open(f->db);
	assert_int_equal(raw_int(db, "PRAGMA page_size"), 8192);
	assert_int_equal(raw_int(db, "SELECT max(version) FROM schema_version"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM documents"), 1);
	sqlite3_close(db);
}

/* The module's step 1, then two later ones a future version might add. */
static void later_steps(store_sqlite_migration_t steps[3], const char *third_sql)
{
	steps[0] = store_sqlite_migrations[0];
	steps[1] = (store_sqlite_migration_t){ 2, "index by version",
					       "CREATE INDEX documents_by_version ON documents "
					       "(version)" };
	steps[2] = (store_sqlite_migration_t){ 3, "holds, and a note per document", third_sql };
}

static void test_migration_applies_later_steps(void **state)
{
	struct fx *f = *state;
	store_sqlite_migration_t steps[3];
	vlt_err_t err = { 0 };
	int from = -1, to = -1;

	void *st = must_open(f);
	put_n(st, "plans", "a", 1, 0);
	put_n(st, "plans", "b", 2, 0);
	put_n(st, "plans", "b", 3, 1);
	OPS->fini(st);

	later_steps(steps, "CREATE TABLE holds (id TEXT PRIMARY KEY, until_s INTEGER NOT NULL);"
			   "ALTER TABLE documents ADD COLUMN note TEXT");
	sqlite3 *db = raw_open(f->db);
	assert_int_equal(store_sqlite_schema_migrate(db, f->db, steps, 3, &from, &to, &err), 0);
	assert_int_equal(from, 1);
	assert_int_equal(to, 3);
	assert_true(raw_has(db, "index", "documents_by_version"));
	assert_true(raw_has(db, "table", "holds"));
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version WHERE version = 3 AND "
				     "summary = 'holds, and a note per document'"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM documents WHERE note IS NULL"), 2);
	assert_int_equal(raw_int(db, "SELECT version FROM documents WHERE id = 'b'"), 2);

	/* Run again: nothing left to do. */
	assert_int_equal(store_sqlite_schema_migrate(db, f->db, steps, 3, &from, &to, &err), 0);
	assert_int_equal(from, 3);
	assert_int_equal(to, 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version"), 3);
	sqlite3_close(db);

	/* This module knows only v1 now, so it must refuse the file. */
	assert_int_equal(open_store(f, &st, &err), VLT_ECONFIG);
	assert_null(st);
	assert_contains(err.msg, "schema version 3 is newer");
	assert_contains(err.msg, f->db);
}

static void test_failed_step_changes_nothing(void **state)
{
	struct fx *f = *state;
	store_sqlite_migration_t steps[3];
	vlt_err_t err = { 0 };
	int from = -1, to = -1;

	void *st = must_open(f);
	put_n(st, "plans", "a", 1, 0);
	OPS->fini(st);
	later_steps(steps, "CREATE TABLE holds (id TEXT PRIMARY KEY,");
	sqlite3 *db = raw_open(f->db);
	assert_int_equal(store_sqlite_schema_migrate(db, f->db, steps, 3, &from, &to, &err),
			 VLT_EBACKEND);
	assert_contains(err.msg, "schema step 3");
	assert_contains(err.msg, f->db);
	assert_int_equal(from, 1);
	assert_int_equal(to, 1);
	/* Step 2 succeeded before step 3 failed, and was undone with it. */
	assert_false(raw_has(db, "index", "documents_by_version"));
	assert_int_equal(raw_int(db, "SELECT max(version) FROM schema_version"), 1);
	assert_true(sqlite3_get_autocommit(db));
	sqlite3_close(db);
	st = must_open(f);
	put_n(st, "plans", "a", 2, 1);
	OPS->fini(st);
}

static void test_malformed_step_list(void **state)
{
	struct fx *f = *state;
	store_sqlite_migration_t steps[3];
	vlt_err_t err = { 0 };
	char path[800];

	snprintf(path, sizeof(path), "%s/steps.db", f->dir);
	sqlite3 *db = raw_open(path);
	later_steps(steps, "SELECT 1");
	steps[1].version = 3; /* a gap */
	assert_int_equal(store_sqlite_schema_migrate(db, path, steps, 2, NULL, NULL, &err),
			 VLT_EINTERNAL);
	assert_int_equal(store_sqlite_schema_migrate(db, path, steps, 0, NULL, NULL, &err),
			 VLT_EINTERNAL);
	steps[1].version = 2;
	steps[1].sql = NULL;
	assert_int_equal(store_sqlite_schema_migrate(db, path, steps, 2, NULL, NULL, &err),
			 VLT_EINTERNAL);
	assert_false(raw_has(db, "table", "schema_version"));
	sqlite3_close(db);
}

static void test_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	vlt_err_t err;
	void *st = must_open(f);

	put_n(st, "plans", "a", 1, 0);
	OPS->fini(st);
	sqlite3 *db = raw_open(f->db);
	raw_exec(db, "INSERT INTO schema_version (version, summary) VALUES (99, 'from later')");
	sqlite3_close(db);
	assert_int_equal(open_store(f, &st, &err), VLT_ECONFIG);
	assert_null(st);
	assert_contains(err.msg, "schema version 99 is newer than this module knows (1)");
	assert_contains(err.msg, f->db);
	db = raw_open(f->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM documents"), 1);
	sqlite3_close(db);
}

/* ---- locking */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Another process holding the write lock: writes wait busy_timeout_ms, then
 * fail naming the file; reads go on (WAL). */
static void test_busy_timeout_reports_lock(void **state)
{
	struct fx *f = *state;
	vlt_err_t err = { 0 };
	json_t *doc = json_pack("{s:i}", "n", 2), *got = NULL;
	int64_t v = 0;

	fake_core_set_int(f->fc, "busy_timeout_ms", 150);
	void *st = must_open(f);
	put_n(st, "c", "a", 1, 0);
	sqlite3 *db = raw_open(f->db);
	raw_exec(db, "BEGIN IMMEDIATE");

	double t0 = now_ms();
	assert_int_equal(OPS->put(st, "c", "a", doc, 1, &err), VLT_EBACKEND);
	double waited = now_ms() - t0;
	assert_contains(err.msg, f->db);
	assert_contains(err.msg, "locked");
	assert_true(waited >= 140.0);
	assert_int_equal(OPS->remove(st, "c", "a", -1, &err), VLT_EBACKEND);
	assert_int_equal(OPS->get(st, "c", "a", &got, &v, &err), 0);
	assert_int_equal(v, 1);
	json_decref(got);

	raw_exec(db, "COMMIT");
	sqlite3_close(db);
	assert_int_equal(OPS->put(st, "c", "a", doc, 1, &err), 0);
	json_decref(doc);
	OPS->fini(st);
}

#define PROCS 4

/* Several processes open a file that does not exist yet, all at once. */
static void test_concurrent_first_start(void **state)
{
	struct fx *f = *state;
	int go[2];
	pid_t pid[PROCS];

	assert_int_equal(pipe(go), 0);
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
			if (open_store(f, &st, &err) != 0) {
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
	sqlite3 *db = raw_open(f->db);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_version"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM documents"), PROCS);
	sqlite3_close(db);
}

/* ---- the contract, on a file in a scratch directory */

struct contract_ctx {
	char dir[512];
	char db[600];
	fake_core_t *fc;
};

static int contract_reset(void *arg)
{
	struct contract_ctx *c = arg;
	const char *suffix[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		char path[700];
		snprintf(path, sizeof(path), "%s%s", c->db, suffix[i]);
		if (unlink(path) != 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

static int contract_open(void *arg, void **state, vlt_err_t *err)
{
	struct contract_ctx *c = arg;

	return OPS->init(fake_core_api(c->fc), state, err);
}

static int run_contract(void)
{
	struct contract_ctx c;

	make_scratch(c.dir, sizeof(c.dir));
	snprintf(c.db, sizeof(c.db), "%s/valet.db", c.dir);
	c.fc = core_in(c.dir);
	store_harness_t h = {
		.name = "sqlite",
		.ops = OPS,
		.ctx = &c,
		.reset = contract_reset,
		.open = contract_open,
	};
	int failed = store_contract_run(&h);
	fake_core_free(c.fc);
	rm_rf(c.dir);
	return failed;
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
			FX_TEST(test_module_loads),
		FX_TEST(test_defaults_make_data_dir),
		FX_TEST(test_relative_file_in_subdirectory),
		FX_TEST(test_absolute_file),
		FX_TEST(test_settings_checked),
		FX_TEST(test_data_dir_not_a_directory),
		FX_TEST(test_not_a_database),
		FX_TEST(test_foreign_database_refused),
		FX_TEST(test_empty_database_is_migrated),
		FX_TEST(test_migration_applies_later_steps),
		FX_TEST(test_failed_step_changes_nothing),
		FX_TEST(test_malformed_step_list),
		FX_TEST(test_newer_schema_refused),
		FX_TEST(test_busy_timeout_reports_lock),
		FX_TEST(test_concurrent_first_start),
	};

	/* The data directory's mode is checked as 0750. */
	umask(022);
	int failed = cmocka_run_group_tests_name("store sqlite", tests, NULL, NULL);
	return failed + run_contract();
}
