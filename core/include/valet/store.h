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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <valet/core.h>
#include <valet/plugin.h>

struct json_t;

/* Called once per document by list(); a non-zero return stops the walk. */
typedef int (*vlt_store_each_fn)(void *arg, const char *id, const struct json_t *doc,
				 int64_t version);

/*
 * Names every store can keep, so that stores are interchangeable: a
 * collection name or a document id is 1 to VLT_STORE_NAME_MAX bytes of
 * well-formed UTF-8 (RFC 3629). Stores check them with these helpers.
 */
#define VLT_STORE_NAME_MAX 255

/* Length of the well-formed UTF-8 sequence at s (left bytes remain), 0 when broken. */
static inline size_t vlt_utf8_seq(const unsigned char *s, size_t left)
{
	static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (left <= n)
		return 0;
	for (size_t k = 1; k <= n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min_cp[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

static inline bool vlt_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0, k; i < len; i += k) {
		k = vlt_utf8_seq(s + i, len - i);
		if (k == 0)
			return false;
	}
	return true;
}

/* 0, or VLT_EINVAL with err saying what (e.g. "document id") is wrong. */
static inline int vlt_store_check_name(const char *what, const char *name, vlt_err_t *err)
{
	size_t len = 0;

	if (name == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s is missing", what);
	while (len <= VLT_STORE_NAME_MAX && name[len] != '\0')
		len++;
	if (len == 0)
		return vlt_err_set(err, VLT_EINVAL, "%s is empty", what);
	if (len > VLT_STORE_NAME_MAX)
		return vlt_err_set(err, VLT_EINVAL, "%s \"%.32s...\" is longer than %d bytes", what,
				   name, VLT_STORE_NAME_MAX);
	if (!vlt_utf8_valid(name, len))
		return vlt_err_set(err, VLT_EINVAL, "%s is not valid UTF-8", what);
	return 0;
}

static inline int vlt_store_check_key(const char *coll, const char *id, vlt_err_t *err)
{
	int rc = vlt_store_check_name("collection name", coll, err);

	return rc ? rc : vlt_store_check_name("document id", id, err);
}

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

	/* ---- ABI 1.4: read only when abi_minor >= 4 and ops_size covers them */
	/*
	 * Optional (ABI 1.4). A cheap check that the store answers and is
	 * still the one init opened, for valetd's health check (at most once
	 * a second). It gives up within a few seconds.
	 * RET 0, or VLT_EBACKEND with err saying what is wrong.
	 */
	int (*ping)(void *state, vlt_err_t *err);
	/*
	 * Optional (NULL: the core walks list() instead). Call fn for the
	 * documents of coll whose id is >= from and < to (either NULL: no
	 * bound), in id order, or the reverse with descending, at most limit
	 * of them (0: no limit). Ids compare byte by byte. A store serves it
	 * from its (collection, id) index, never by reading the whole
	 * collection. fn's returns as for list().
	 */
	int (*range)(void *state, const char *coll, const char *from, const char *to,
		     size_t limit, bool descending, vlt_store_each_fn fn, void *arg,
		     vlt_err_t *err);

	/* ---- ABI 1.5: read only when abi_minor >= 5 and ops_size covers them */
	/*
	 * Optional (NULL: the core puts one document at a time). Create the n
	 * new documents ids[i] (borrowed) of coll with docs[i] (borrowed), each
	 * at version 1, in one atomic write that is as durable as put() when
	 * it returns: all of them or none. It is what lets several journal
	 * entries share one commit (one fsync) without any of them being
	 * acknowledged before it is on disk.
	 * RET 0, VLT_ECONFLICT (one of them exists already: nothing written),
	 * VLT_EINVAL, VLT_E2BIG or VLT_EBACKEND (nothing written).
	 */
	int (*insert_batch)(void *state, const char *coll, size_t n, const char *const *ids,
			    const struct json_t *const *docs, vlt_err_t *err);

	/* ---- ABI 1.6: read only when abi_minor >= 6 and ops_size covers them */
	/*
	 * Optional (NULL: the core removes one document at a time). Remove
	 * the documents ids[0..n) (borrowed) of coll whatever their version,
	 * those not there skipped, in as few writes as the store can (one
	 * transaction, one delete command): what lets the journal's
	 * compaction remove thousands of entries without a commit each. Not
	 * all or none: after an error some may be gone, which a caller
	 * removing what is redundant anyway can bear.
	 * OUT removed - how many were there and are gone.
	 * RET 0, VLT_EINVAL (a bad name) or VLT_EBACKEND.
	 */
	int (*remove_batch)(void *state, const char *coll, size_t n, const char *const *ids,
			    size_t *removed, vlt_err_t *err);
} vlt_store_ops_t;

#endif /* VALET_STORE_H */
