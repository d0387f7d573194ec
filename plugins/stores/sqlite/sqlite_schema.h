/*
 * sqlite_schema.h - the sqlite store's schema and the steps that build it.
 *
 * The schema is a list of migrations numbered 1, 2, 3, ...; step i brings a
 * file from version i-1 to version i. A file records each step it has had
 * in its schema_version table, so its version is the highest number there
 * (0 for a new, empty file). Later versions only append steps: a step that
 * was released is never edited, or files already past it would differ from
 * new ones.
 *
 * Module-internal: the symbols are hidden in store_sqlite.so and seen only
 * by the unit tests through store_sqlite_static.
 */
#ifndef VALET_STORE_SQLITE_SCHEMA_H
#define VALET_STORE_SQLITE_SCHEMA_H

#include <stddef.h>

#include <sqlite3.h>

#include <valet/errors.h>

/* "VLTS" in the database header, so another program's file is never taken for ours. */
#define STORE_SQLITE_APP_ID 0x564c5453

typedef struct store_sqlite_migration {
	int version;         /* its place in the list, from 1 */
	const char *summary; /* one line, kept in schema_version */
	const char *sql;     /* one or more statements */
} store_sqlite_migration_t;

/* The module's own steps; the last one's version is the schema it writes. */
extern const store_sqlite_migration_t store_sqlite_migrations[];
extern const size_t store_sqlite_n_migrations;

/*
 * store_sqlite_schema_migrate - bring db up to the last of steps[0..n_steps).
 * Everything happens in one IMMEDIATE transaction: a file is at its old
 * version or at the new one, never between, and two processes starting at
 * once apply each step once. path is only for messages.
 * OUT from, to - the version found and the version left (either may be NULL).
 * RET 0; VLT_ECONFIG when the file belongs to another program or is newer
 * than steps know; VLT_EINTERNAL for a malformed step list; VLT_EBACKEND
 * when sqlite fails (the file is then unchanged).
 */
int store_sqlite_schema_migrate(sqlite3 *db, const char *path,
				const store_sqlite_migration_t *steps, size_t n_steps, int *from,
				int *to, vlt_err_t *err);

#endif /* VALET_STORE_SQLITE_SCHEMA_H */
