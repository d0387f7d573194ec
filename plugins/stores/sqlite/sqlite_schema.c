/*
 * sqlite_schema.c - the migration steps and the code that applies them.
 */
#include <stdint.h>
#include <stdio.h>

#include "sqlite_schema.h"

/* Bookkeeping that comes before step 1, so that step 1 can be recorded too. */
static const char schema_version_sql[] =
	"CREATE TABLE schema_version ("
	" version INTEGER PRIMARY KEY,"
	" summary TEXT NOT NULL,"
	" applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))";

/*
 * A rowid table rather than WITHOUT ROWID: documents can be large, and
 * SQLite keeps big rows better in rowid tables. The primary key's index
 * serves both the point look-ups and list's walk in id order (BINARY
 * collation: byte order, which for UTF-8 is code point order).
 */
const store_sqlite_migration_t store_sqlite_migrations[] = {
	{
		.version = 1,
		.summary = "documents: JSON by collection and id, with a version",
		.sql = "CREATE TABLE documents ("
		       " coll TEXT NOT NULL,"
		       " id TEXT NOT NULL,"
		       " version INTEGER NOT NULL CHECK (version >= 1),"
		       " doc TEXT NOT NULL,"
		       " PRIMARY KEY (coll, id))",
	},
};

const size_t store_sqlite_n_migrations =
	sizeof(store_sqlite_migrations) / sizeof(store_sqlite_migrations[0]);

static int db_error(sqlite3 *db, const char *path, const char *what, vlt_err_t *err)
{
	int code = sqlite3_errcode(db) == SQLITE_NOMEM ? VLT_ENOMEM : VLT_EBACKEND;

	return vlt_err_set(err, code, "sqlite store %s: %s: %s (code %d)", path, what,
			   sqlite3_errmsg(db), sqlite3_extended_errcode(db));
}

/* One integer from the first row of sql; 0 when there is no row. */
static int query_int(sqlite3 *db, const char *path, const char *sql, int64_t *out,
		     vlt_err_t *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return db_error(db, path, "reading the schema", err);
	*out = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		rc = db_error(db, path, "reading the schema", err);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : rc;
}

static int exec(sqlite3 *db, const char *path, const char *sql, const char *what,
		vlt_err_t *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, path, what, err);
	return 0;
}

/* Versions must run 1, 2, 3, ...: a gap or a repeat is a programming error. */
static int check_steps(const store_sqlite_migration_t *steps, size_t n_steps, vlt_err_t *err)
{
	if (n_steps == 0)
		return vlt_err_set(err, VLT_EINTERNAL, "sqlite store: no schema steps");
	for (size_t i = 0; i < n_steps; i++) {
		if (steps[i].version != (int)i + 1 || !steps[i].sql || !steps[i].summary)
			return vlt_err_set(err, VLT_EINTERNAL,
					   "sqlite store: schema step %zu has version %d, "
					   "want %zu with sql and summary",
					   i, steps[i].version, i + 1);
	}
	return 0;
}

/* A file with no schema_version yet: empty (ours to start) or someone else's. */
static int bootstrap(sqlite3 *db, const char *path, vlt_err_t *err)
{
	int64_t n_tables = 0;
	int rc = query_int(db, path,
			   "SELECT count(*) FROM sqlite_master"
			   " WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
			   &n_tables, err);

	if (rc)
		return rc;
	if (n_tables > 0)
		return vlt_err_set(err, VLT_ECONFIG,
				   "sqlite store %s: not a valet store: it holds %lld other "
				   "schema objects and no schema_version table",
				   path, (long long)n_tables);
	rc = exec(db, path, schema_version_sql, "creating schema_version", err);
	if (rc)
		return rc;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", STORE_SQLITE_APP_ID);
	return exec(db, path, sql, "setting application_id", err);
}

/* OUT cur - the file's version; the file is bootstrapped when new. */
static int current_version(sqlite3 *db, const char *path, int *cur, vlt_err_t *err)
{
	int64_t app_id = 0, has_table = 0, v = 0;
	int rc = query_int(db, path, "PRAGMA application_id", &app_id, err);

	if (rc)
		return rc;
	if (app_id != 0 && app_id != STORE_SQLITE_APP_ID)
		return vlt_err_set(err, VLT_ECONFIG,
				   "sqlite store %s: not a valet store (application_id 0x%08llx)",
				   path, (unsigned long long)(uint32_t)app_id);
	rc = query_int(db, path,
		       "SELECT count(*) FROM sqlite_master"
		       " WHERE type = 'table' AND name = 'schema_version'",
		       &has_table, err);
	if (rc)
		return rc;
	*cur = 0;
	if (!has_table)
		return bootstrap(db, path, err);
	rc = query_int(db, path, "SELECT coalesce(max(version), 0) FROM schema_version", &v, err);
	if (rc)
		return rc;
	if (v < 0 || v > INT32_MAX)
		return vlt_err_set(err, VLT_ECONFIG,
				   "sqlite store %s: schema_version holds version %lld", path,
				   (long long)v);
	*cur = (int)v;
	return 0;
}

static int apply(sqlite3 *db, const char *path, const store_sqlite_migration_t *step,
		 vlt_err_t *err)
{
	char what[128];
	sqlite3_stmt *st = NULL;

	snprintf(what, sizeof(what), "schema step %d (%s)", step->version, step->summary);
	int rc = exec(db, path, step->sql, what, err);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "INSERT INTO schema_version (version, summary) VALUES (?1, ?2)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, path, what, err);
	sqlite3_bind_int(st, 1, step->version);
	sqlite3_bind_text(st, 2, step->summary, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(db, path, what, err);
	sqlite3_finalize(st);
	return rc;
}

static int migrate_locked(sqlite3 *db, const char *path, const store_sqlite_migration_t *steps,
			  size_t n_steps, int *from, vlt_err_t *err)
{
	int latest = steps[n_steps - 1].version;
	int rc = current_version(db, path, from, err);

	if (rc)
		return rc;
	if (*from > latest)
		return vlt_err_set(err, VLT_ECONFIG,
				   "sqlite store %s: schema version %d is newer than this module "
				   "knows (%d); run a valet that knows it, or use another file",
				   path, *from, latest);
	for (int v = *from + 1; v <= latest && rc == 0; v++)
		rc = apply(db, path, &steps[v - 1], err);
	return rc;
}

int store_sqlite_schema_migrate(sqlite3 *db, const char *path,
				const store_sqlite_migration_t *steps, size_t n_steps, int *from,
				int *to, vlt_err_t *err)
{
	int cur = 0;
	int rc = check_steps(steps, n_steps, err);

	if (rc)
		return rc;
	/* IMMEDIATE: the version is read under the write lock, so a second
	 * process starting at the same time waits, then finds nothing to do. */
	rc = exec(db, path, "BEGIN IMMEDIATE", "starting the schema check", err);
	if (rc)
		return rc;
	rc = migrate_locked(db, path, steps, n_steps, &cur, err);
	if (rc == 0)
		rc = exec(db, path, "COMMIT", "committing the schema", err);
	if (rc && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (from)
		*from = cur;
	if (to)
		*to = rc == 0 ? steps[n_steps - 1].version : cur;
	return rc;
}
