/*
 * valet/store.h - stores keep valet's documents (plans, placements,
 * groups, holds) as JSON, one collection per kind, each document under a
 * string id with a version number for compare-and-set. Every operation is
 * atomic on one document, so a store needs nothing more than a standalone
 * MongoDB server offers.
 *
 * jansson references follow jansson's rules: a const json_t * parameter is
 * borrowed; a json_t ** out-parameter receives a new reference.
 */
#ifndef VALET_STORE_H
#define VALET_STORE_H

#include <stdint.h>

#include <valet/core.h>
#include <valet/plugin.h>

struct json_t;

/* Called once per document by list(); a non-zero return stops the walk. */
typedef int (*vlt_store_each_fn)(void *arg, const char *id, const struct json_t *doc,
				 int64_t version);

typedef struct vlt_store_ops {
	vlt_plugin_info_t info; /* MUST be first */

	/* Mandatory. Open (and create or migrate) the store. */
	int (*init)(const vlt_core_t *core, void **state, vlt_err_t *err);
	void (*fini)(void *state); /* accepts NULL */

	/*
	 * Mandatory. Read document id of collection coll.
	 * OUT doc - new reference; OUT version - its version (>= 1).
	 * RET 0, VLT_ENOENT, or VLT_EBACKEND.
	 */
	int (*get)(void *state, const char *coll, const char *id, struct json_t **doc,
		   int64_t *version, vlt_err_t *err);
	/*
	 * Mandatory. Write doc (borrowed) when the stored version equals
	 * expect (0: the document must not exist yet). The new version is
	 * expect + 1. RET 0, VLT_ECONFLICT (another version is there, or it
	 * exists already when expect is 0), or VLT_EBACKEND.
	 */
	int (*put)(void *state, const char *coll, const char *id, const struct json_t *doc,
		   int64_t expect, vlt_err_t *err);
	/* Mandatory. Delete when the stored version equals expect (-1: any).
	 * RET 0, VLT_ENOENT, VLT_ECONFLICT or VLT_EBACKEND. */
	int (*remove)(void *state, const char *coll, const char *id, int64_t expect,
		      vlt_err_t *err);
	/* Mandatory. Call fn for every document of coll, in id order. */
	int (*list)(void *state, const char *coll, vlt_store_each_fn fn, void *arg,
		    vlt_err_t *err);

	/* ABI 1.1+: append new members below this line only. */
} vlt_store_ops_t;

#endif /* VALET_STORE_H */
