/*
 * inventory.c - parse a JSON inventory (placement contract, section 1) and
 * describe it to the core.
 *
 * Sections are read in dependency order (clusters, racks, aggregates,
 * hosts, storage, flavors) whatever their order in the file, so that every
 * reference can be checked against the file's own declarations and the
 * fault reported at the exact JSON path. The core checks the same things
 * again; should it still refuse (say, a host another source already added),
 * its reason is reported at the element's path.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/model.h>

#include "inventory.h"

#define PATH_LEN 256

static const char *const res_key[VLT_RES_COUNT] = { "vcpus", "ram_mb", "disk_gb" };

/* Accepted keys, for typo detection; each list ends with NULL. */
static const char *const top_keys[] = {
	"datacenter", "allocation_ratios", "standby_percent", "clusters", "racks",
	"hosts",      "aggregates",        "storage",         "flavors",  "instances",
	NULL,
};
static const char *const res_keys[] = { "vcpus", "ram_mb", "disk_gb", NULL };
static const char *const cluster_keys[] = { "name", "uplink_mbps", NULL };
static const char *const rack_keys[] = { "name", "cluster", "uplink_mbps", NULL };
static const char *const aggregate_keys[] = { "name", "metadata", NULL };
static const char *const host_keys[] = {
	"name",     "rack",		 "vcpus",      "ram_mb",  "disk_gb",
	"nic_mbps", "availability_zone", "aggregates", "enabled", "allocation_ratios",
	"used",     "consumers",	 "limits",     "traits",  "uuid",
	"resources", NULL,
};
static const char *const limit_keys[] = { "min_unit", "max_unit", "step_size", NULL };
static const char *const class_keys[] = {
	"total", "reserved", "allocation_ratio", "used", "min_unit", "max_unit", "step_size", NULL,
};
static const char *const consumer_keys[] = { "id", "vcpus", "ram_mb", "disk_gb", "resources",
					      NULL };
static const char *const pool_keys[] = {
	"name", "rack", "capacity_gb", "used_gb", "volume_types", NULL,
};
static const char *const flavor_keys[] = {
	"name", "vcpus", "ram_mb", "disk_gb", "extra_specs", NULL,
};

/* One parse: where the input comes from, where it goes, and the names seen so far. */
struct inv {
	const char *where;
	const vlt_core_t *core;
	vlt_dc_builder_t *b;
	vlt_err_t *err;
	const char *dc_name;
	/* name -> JSON index, to catch duplicates and unknown references */
	json_t *clusters, *racks, *aggs, *hosts, *pools, *flavors;
	bool needs_implicit_cluster; /* a rack without a cluster or a host without a rack */
	static_inventory_stats_t st;
};

/* ---------------------------------------------------------------- messages */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(struct inv *x, const char *at, const char *fmt, ...)
{
	char msg[VLT_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vlt_err_set(x->err, VLT_EINVAL, "%s: %s: %s", x->where, at, msg);
}

/* A value as the operator wrote it, short: "lots" (quoted), 2.5, true, an object. */
static void describe(const json_t *v, char *buf, size_t n)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		const char *s = json_string_value(v);
		bool longer = strlen(s) > 40;

		snprintf(buf, n, "\"%.40s%s\"", s, longer ? "..." : "");
		break;
	}
	case JSON_INTEGER:
		snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, n, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, n, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, n, "false");
		break;
	case JSON_NULL:
		snprintf(buf, n, "null");
		break;
	case JSON_OBJECT:
		snprintf(buf, n, "an object");
		break;
	default:
		snprintf(buf, n, "an array");
		break;
	}
}

static int fail_type(struct inv *x, const char *at, const char *expected, const json_t *v)
{
	char got[64];

	describe(v, got, sizeof(got));
	return fail(x, at, "expected %s, got %s", expected, got);
}

/* The core refused an element: its reason, at the element's path. */
static int fail_core(struct inv *x, const char *at, int rc)
{
	char msg[VLT_ERR_MSG_MAX];

	if (rc == VLT_ENOMEM)
		return rc;
	snprintf(msg, sizeof(msg), "%s", x->err->msg);
	return vlt_err_set(x->err, rc, "%s: %s: %s", x->where, at, msg);
}

/* ---------------------------------------------------------------- paths */

static bool is_plain_key(const char *key)
{
	if (key[0] == '\0' || (key[0] >= '0' && key[0] <= '9'))
		return false;
	for (const char *p = key; *p != '\0'; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_';
		if (!ok)
			return false;
	}
	return true;
}

/* A path too long for its buffer ends in "..." rather than being cut silently. */
static void mark_truncated(char *buf, size_t n, int written)
{
	if (written >= 0 && (size_t)written >= n && n > 4)
		memcpy(buf + n - 4, "...", 4);
}

/* buf = parent.key, or parent["key"] when key is not a plain identifier. */
static void path_key(char *buf, size_t n, const char *parent, const char *key)
{
	int w;

	if (is_plain_key(key))
		w = snprintf(buf, n, "%s.%s", parent, key);
	else
		w = snprintf(buf, n, "%s[\"%s\"]", parent, key);
	mark_truncated(buf, n, w);
}

static void path_index(char *buf, size_t n, const char *parent, size_t i)
{
	mark_truncated(buf, n, snprintf(buf, n, "%s[%zu]", parent, i));
}

/* ---------------------------------------------------------------- shapes */

static int check_object(struct inv *x, const json_t *v, const char *at)
{
	return json_is_object(v) ? 0 : fail_type(x, at, "an object", v);
}

static bool in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/* Reject keys outside accepted, naming the key and what is accepted (catches typos). */
static int check_keys(struct inv *x, const json_t *obj, const char *at,
		      const char *const *accepted)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (in_list(accepted, key))
			continue;
		char list[320] = "";
		size_t len = 0;

		for (const char *const *a = accepted; *a != NULL && len < sizeof(list); a++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						a == accepted ? "" : ", ", *a);
		return fail(x, at, "unknown key '%s' (accepted: %s)", key, list);
	}
	return 0;
}

/* ---------------------------------------------------------------- values */

/* *out: the string (borrowed from obj), NULL when absent and optional. */
static int get_str(struct inv *x, const json_t *obj, const char *at, const char *key,
		   bool required, const char **out)
{
	const json_t *v = json_object_get(obj, key);
	char p[PATH_LEN];

	*out = NULL;
	if (v == NULL) {
		if (required)
			return fail(x, at, "missing required key '%s'", key);
		return 0;
	}
	path_key(p, sizeof(p), at, key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return fail_type(x, p, "a non-empty string", v);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(x, p, "the string holds a NUL character");
	*out = json_string_value(v);
	return 0;
}

/* A non-negative integer; dflt when absent and optional. */
static int get_count(struct inv *x, const json_t *obj, const char *at, const char *key,
		     bool required, int64_t dflt, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	char p[PATH_LEN];

	*out = dflt;
	if (v == NULL) {
		if (required)
			return fail(x, at, "missing required key '%s'", key);
		return 0;
	}
	path_key(p, sizeof(p), at, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail_type(x, p, "a non-negative integer", v);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int get_bool(struct inv *x, const json_t *obj, const char *at, const char *key,
		    bool dflt, bool *out)
{
	const json_t *v = json_object_get(obj, key);
	char p[PATH_LEN];

	*out = dflt;
	if (v == NULL)
		return 0;
	path_key(p, sizeof(p), at, key);
	if (!json_is_boolean(v))
		return fail_type(x, p, "true or false", v);
	*out = json_is_true(v);
	return 0;
}

enum res_kind {
	RES_RATIO,   /* a number > 0 */
	RES_PERCENT, /* a number in [0, 100] */
	RES_COUNT_,  /* a non-negative integer */
};

/*
 * An object {"vcpus": .., "ram_mb": .., "disk_gb": ..} with any subset of
 * the keys; absent keys leave out[] as it was. *present tells whether the
 * object itself was there.
 */
static int get_res_object(struct inv *x, const json_t *obj, const char *at, const char *key,
			  enum res_kind kind, double out[VLT_RES_COUNT], bool *present)
{
	const json_t *o = json_object_get(obj, key);
	char p[PATH_LEN], q[PATH_LEN];

	*present = o != NULL;
	if (o == NULL)
		return 0;
	path_key(p, sizeof(p), at, key);
	int rc = check_object(x, o, p);

	if (rc == 0)
		rc = check_keys(x, o, p, res_keys);
	for (int r = 0; r < VLT_RES_COUNT && rc == 0; r++) {
		const json_t *v = json_object_get(o, res_key[r]);

		if (v == NULL)
			continue;
		path_key(q, sizeof(q), p, res_key[r]);
		double d = json_number_value(v);

		if (kind == RES_COUNT_) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return fail_type(x, q, "a non-negative integer", v);
			d = (double)json_integer_value(v);
		} else if (kind == RES_RATIO && (!json_is_number(v) || !(d > 0.0))) {
			return fail_type(x, q, "a number > 0", v);
		} else if (kind == RES_PERCENT && (!json_is_number(v) || d < 0.0 || d > 100.0)) {
			return fail_type(x, q, "a number between 0 and 100", v);
		}
		out[r] = d;
	}
	return rc;
}

/* "used": integers kept exact (a double loses them above 2^53). */
static int get_used(struct inv *x, const json_t *obj, const char *at, int64_t used[VLT_RES_COUNT])
{
	double unused[VLT_RES_COUNT] = { 0 };
	bool present;
	int rc = get_res_object(x, obj, at, "used", RES_COUNT_, unused, &present);

	if (rc < 0 || !present)
		return rc;
	const json_t *o = json_object_get(obj, "used");

	for (int r = 0; r < VLT_RES_COUNT; r++) {
		const json_t *v = json_object_get(o, res_key[r]);

		used[r] = v != NULL ? (int64_t)json_integer_value(v) : 0;
	}
	return 0;
}

/*
 * A list of non-empty strings. *out is a new array of borrowed strings
 * (free() it; NULL when absent or empty).
 */
static int get_str_list(struct inv *x, const json_t *obj, const char *at, const char *key,
			const char ***out, uint32_t *n)
{
	const json_t *a = json_object_get(obj, key);
	char p[PATH_LEN], q[PATH_LEN];

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return 0;
	path_key(p, sizeof(p), at, key);
	if (!json_is_array(a))
		return fail_type(x, p, "an array of strings", a);
	size_t len = json_array_size(a);

	if (len == 0)
		return 0;
	const char **list = calloc(len, sizeof(*list));

	if (list == NULL)
		return vlt_err_set(x->err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const json_t *v = json_array_get(a, i);

		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			free(list);
			path_index(q, sizeof(q), p, i);
			return fail_type(x, q, "a non-empty string", v);
		}
		list[i] = json_string_value(v);
	}
	*out = list;
	*n = (uint32_t)len;
	return 0;
}

/*
 * An object of string values (aggregate metadata, flavor extra specs).
 * *out is a new array of borrowed pairs (free() it; NULL when empty).
 */
static int get_str_map(struct inv *x, const json_t *obj, const char *at, const char *key,
		       vlt_kv_t **out, uint32_t *n)
{
	const json_t *o = json_object_get(obj, key);
	char p[PATH_LEN], q[PATH_LEN];

	*out = NULL;
	*n = 0;
	if (o == NULL)
		return 0;
	path_key(p, sizeof(p), at, key);
	if (!json_is_object(o))
		return fail_type(x, p, "an object of strings", o);
	size_t len = json_object_size(o);

	if (len == 0)
		return 0;
	vlt_kv_t *kv = calloc(len, sizeof(*kv));

	if (kv == NULL)
		return vlt_err_set(x->err, VLT_ENOMEM, "out of memory");
	const char *k;
	const json_t *v;
	size_t i = 0;

	json_object_foreach((json_t *)o, k, v) {
		path_key(q, sizeof(q), p, k);
		if (k[0] == '\0') {
			free(kv);
			return fail(x, p, "empty key");
		}
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			free(kv);
			return fail_type(x, q, "a string", v);
		}
		kv[i].key = k;
		kv[i].value = json_string_value(v);
		i++;
	}
	*out = kv;
	*n = (uint32_t)i;
	return 0;
}

/* ---------------------------------------------------------------- names */

/*
 * Record name (at path at) in set, refusing a duplicate. The message reads
 * like the core's, so an operator sees the same words whichever catches it.
 */
static int claim_name(struct inv *x, json_t *set, const char *name, const char *what,
		      const char *at, size_t i)
{
	char p[PATH_LEN];

	if (json_object_get(set, name) != NULL) {
		path_key(p, sizeof(p), at, "name");
		return fail(x, p, "duplicate %s name '%s'", what, name);
	}
	if (json_object_set_new(set, name, json_integer((json_int_t)i)) < 0)
		return vlt_err_set(x->err, VLT_ENOMEM, "out of memory");
	return 0;
}

/* A reference to a declared name: "<at>.<key>: unknown rack 'r9'". */
static int check_ref(struct inv *x, const json_t *set, const char *name, const char *what,
		     const char *at, const char *key)
{
	char p[PATH_LEN];

	if (name == NULL || json_object_get(set, name) != NULL)
		return 0;
	path_key(p, sizeof(p), at, key);
	return fail(x, p, "unknown %s '%s'", what, name);
}

/* ---------------------------------------------------------------- sections */

static int parse_cluster(struct inv *x, const json_t *o, const char *at, size_t i)
{
	const char *name;
	int64_t uplink;
	int rc = check_keys(x, o, at, cluster_keys);

	if (rc == 0)
		rc = get_str(x, o, at, "name", true, &name);
	if (rc == 0)
		rc = get_count(x, o, at, "uplink_mbps", false, VLT_UNLIMITED, &uplink);
	if (rc == 0)
		rc = claim_name(x, x->clusters, name, "cluster", at, i);
	if (rc < 0)
		return rc;
	rc = x->core->dc_add_cluster(x->b, name, uplink, x->err);
	if (rc < 0)
		return fail_core(x, at, rc);
	x->st.n_clusters++;
	return 0;
}

static int parse_rack(struct inv *x, const json_t *o, const char *at, size_t i)
{
	const char *name, *cluster;
	int64_t uplink;
	int rc = check_keys(x, o, at, rack_keys);

	if (rc == 0)
		rc = get_str(x, o, at, "name", true, &name);
	if (rc == 0)
		rc = get_str(x, o, at, "cluster", false, &cluster);
	if (rc == 0)
		rc = get_count(x, o, at, "uplink_mbps", false, VLT_UNLIMITED, &uplink);
	if (rc == 0)
		rc = claim_name(x, x->racks, name, "rack", at, i);
	if (rc == 0)
		rc = check_ref(x, x->clusters, cluster, "cluster", at, "cluster");
	if (rc < 0)
		return rc;
	rc = x->core->dc_add_rack(x->b, name, cluster, uplink, x->err);
	if (rc < 0)
		return fail_core(x, at, rc);
	x->needs_implicit_cluster |= cluster == NULL;
	x->st.n_racks++;
	return 0;
}

static int parse_aggregate(struct inv *x, const json_t *o, const char *at, size_t i)
{
	const char *name;
	vlt_kv_t *md = NULL;
	uint32_t n_md = 0;
	int rc = check_keys(x, o, at, aggregate_keys);

	if (rc == 0)
		rc = get_str(x, o, at, "name", true, &name);
	if (rc == 0)
		rc = claim_name(x, x->aggs, name, "aggregate", at, i);
	if (rc == 0)
		rc = get_str_map(x, o, at, "metadata", &md, &n_md);
	if (rc < 0)
		return rc;
	rc = x->core->dc_add_aggregate(x->b, name, md, n_md, x->err);
	free(md);
	if (rc < 0)
		return fail_core(x, at, rc);
	x->st.n_aggregates++;
	return 0;
}

/* The host's aggregates must be declared; report the first that is not. */
static int check_host_aggregates(struct inv *x, const char *at, const char *const *aggs,
				 uint32_t n)
{
	char p[PATH_LEN], q[PATH_LEN];

	path_key(p, sizeof(p), at, "aggregates");
	for (uint32_t i = 0; i < n; i++) {
		path_index(q, sizeof(q), p, i);
		if (json_object_get(x->aggs, aggs[i]) == NULL)
			return fail(x, q, "unknown aggregate '%s'", aggs[i]);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(aggs[i], aggs[j]) == 0)
				return fail(x, q, "aggregate '%s' listed twice", aggs[i]);
	}
	return 0;
}

/* A host without a rack is its own rack, named after it: no rack may have that name. */
static int check_implicit_rack(struct inv *x, const char *at, const char *name)
{
	if (json_object_get(x->racks, name) == NULL)
		return 0;
	return fail(x, at,
		    "host '%s' has no rack, and its implicit rack would clash with rack '%s'",
		    name, name);
}

/* Everything of a host but its aggregates, which need an allocation. */
static int parse_host_fields(struct inv *x, const json_t *o, const char *at, vlt_host_spec_t *s)
{
	double ratio[VLT_RES_COUNT] = { 0 };
	bool present;
	int rc = check_keys(x, o, at, host_keys);

	if (rc == 0)
		rc = get_str(x, o, at, "name", true, &s->name);
	for (int r = 0; r < VLT_RES_COUNT && rc == 0; r++)
		rc = get_count(x, o, at, res_key[r], true, 0, &s->total[r]);
	if (rc == 0)
		rc = get_str(x, o, at, "rack", false, &s->rack);
	if (rc == 0)
		rc = get_str(x, o, at, "availability_zone", false, &s->az);
	if (rc == 0)
		rc = get_count(x, o, at, "nic_mbps", false, VLT_UNLIMITED, &s->nic_mbps);
	if (rc == 0)
		rc = get_bool(x, o, at, "enabled", true, &s->enabled);
	if (rc == 0)
		rc = get_res_object(x, o, at, "allocation_ratios", RES_RATIO, ratio, &present);
	if (rc == 0)
		rc = get_used(x, o, at, s->used);
	memcpy(s->ratio, ratio, sizeof(s->ratio));
	return rc;
}

typedef int (*class_fn)(struct inv *x, const char *name, const json_t *v, const char *at,
			const void *arg);

/* fn on each entry of obj's "resources" (absent: none), at its JSON path. */
static int each_class(struct inv *x, const json_t *obj, const char *at, class_fn fn,
		      const void *arg)
{
	const json_t *all = json_object_get(obj, "resources"), *v;
	char p[PATH_LEN], q[PATH_LEN];
	const char *name;

	if (all == NULL)
		return 0;
	path_key(p, sizeof(p), at, "resources");
	int rc = check_object(x, all, p);

	json_object_foreach((json_t *)all, name, v) {
		if (rc < 0)
			break;
		path_key(q, sizeof(q), p, name);
		rc = fn(x, name, v, q, arg);
	}
	return rc;
}

/* The host and consumer a consumer's "resources" belong to. */
struct consumer_ref {
	const json_t *host;
	const char *id;
};

/* One class a consumer uses of its host's (a class of the host's "resources"). */
static int consumer_class(struct inv *x, const char *name, const json_t *v, const char *at,
			  const void *arg)
{
	const struct consumer_ref *ref = arg;
	const char *host = json_string_value(json_object_get(ref->host, "name"));
	int rc;

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fail_type(x, at, "a non-negative integer", v);
	if (json_object_get(json_object_get(ref->host, "resources"), name) == NULL)
		return fail(x, at, "host %s has no inventory of %s (its \"resources\")", host,
			    name);
	rc = x->core->dc_add_consumer_class(x->b, host, ref->id, name,
					    (int64_t)json_integer_value(v), x->err);
	return rc < 0 ? fail_core(x, at, rc) : 0;
}

/*
 * "consumers": [{"id", "vcpus", "ram_mb", "disk_gb", "resources"?}]: what
 * each instance uses on the host, part of its "used" (as Placement's
 * allocations are), and of its further classes.
 */
static int parse_consumers(struct inv *x, const json_t *o, const char *at, const char *host)
{
	const json_t *list = json_object_get(o, "consumers");
	char p[512], q[600];
	size_t i;
	const json_t *c;

	if (list == NULL)
		return 0;
	path_key(p, sizeof(p), at, "consumers");
	if (!json_is_array(list))
		return fail_type(x, p, "a list of consumers", list);
	json_array_foreach(list, i, c) {
		const char *id = NULL;
		int64_t used[VLT_RES_COUNT] = { 0 };
		int rc;

		path_index(q, sizeof(q), p, i);
		if (!json_is_object(c))
			return fail_type(x, q, "an object", c);
		rc = check_keys(x, c, q, consumer_keys);
		if (rc == 0)
			rc = get_str(x, c, q, "id", true, &id);
		for (int r = 0; r < VLT_RES_COUNT && rc == 0; r++)
			rc = get_count(x, c, q, res_key[r], false, 0, &used[r]);
		if (rc == 0 && (rc = x->core->dc_add_consumer(x->b, host, id, used, x->err)) < 0)
			rc = fail_core(x, q, rc);
		if (rc == 0)
			rc = each_class(x, c, q, consumer_class,
					&(struct consumer_ref){ .host = o, .id = id });
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * "limits": {"vcpus": {"min_unit": 1, "max_unit": 8, "step_size": 2}, ...}:
 * Placement's per-allocation limits of each resource (any subset; each at
 * least 1, as Placement has them; an absent one is no limit).
 */
static int parse_limits(struct inv *x, const json_t *o, const char *at, const char *host)
{
	const json_t *all = json_object_get(o, "limits");
	vlt_unit_limits_t lim[VLT_RES_COUNT] = { 0 };
	char p[PATH_LEN], q[PATH_LEN], v[PATH_LEN];

	if (all == NULL)
		return 0;
	path_key(p, sizeof(p), at, "limits");
	int rc = check_object(x, all, p);

	if (rc == 0)
		rc = check_keys(x, all, p, res_keys);
	for (int r = 0; r < VLT_RES_COUNT && rc == 0; r++) {
		const json_t *one = json_object_get(all, res_key[r]);
		int64_t *field[3] = { &lim[r].min_unit, &lim[r].max_unit, &lim[r].step_size };

		if (one == NULL)
			continue;
		path_key(q, sizeof(q), p, res_key[r]);
		rc = check_object(x, one, q);
		if (rc == 0)
			rc = check_keys(x, one, q, limit_keys);
		for (int k = 0; k < 3 && rc == 0; k++) {
			const json_t *n = json_object_get(one, limit_keys[k]);

			path_key(v, sizeof(v), q, limit_keys[k]);
			if (n != NULL && (!json_is_integer(n) || json_integer_value(n) < 1))
				return fail_type(x, v, "an integer of at least 1", n);
			*field[k] = n != NULL ? (int64_t)json_integer_value(n) : 0;
		}
	}
	if (rc == 0 && (rc = x->core->dc_set_host_limits(x->b, host, lim, x->err)) < 0)
		rc = fail_core(x, p, rc);
	return rc;
}

/* One class's inventory: a number (its total) or an object of Placement's fields. */
static int parse_class(struct inv *x, const json_t *v, const char *at,
		       vlt_class_inventory_t *inv)
{
	int64_t *count[] = { &inv->total, &inv->reserved, &inv->used, &inv->limits.min_unit,
			     &inv->limits.max_unit, &inv->limits.step_size };
	static const char *const count_key[] = { "total",    "reserved", "used",
						 "min_unit", "max_unit", "step_size" };
	const json_t *ratio;
	int rc;

	*inv = (vlt_class_inventory_t){ .ratio = 1.0 };
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		inv->total = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_object(v))
		return fail_type(x, at, "a total (a non-negative integer) or an inventory object", v);
	rc = check_keys(x, v, at, class_keys);
	for (size_t k = 0; k < sizeof(count) / sizeof(count[0]) && rc == 0; k++)
		rc = get_count(x, v, at, count_key[k], k == 0, 0, count[k]);
	if (rc < 0)
		return rc;
	if ((ratio = json_object_get(v, "allocation_ratio")) != NULL) {
		char p[PATH_LEN];

		path_key(p, sizeof(p), at, "allocation_ratio");
		if (!json_is_number(ratio) || !(json_number_value(ratio) > 0.0))
			return fail_type(x, p, "a number > 0", ratio);
		inv->ratio = json_number_value(ratio);
	}
	return 0;
}

/* One class of a host's "resources": its inventory. */
static int host_class(struct inv *x, const char *name, const json_t *v, const char *at,
		      const void *host)
{
	vlt_class_inventory_t inv;
	int rc = parse_class(x, v, at, &inv);

	if (rc == 0 && (rc = x->core->dc_set_host_class(x->b, host, name, &inv, x->err)) < 0)
		rc = fail_core(x, at, rc);
	return rc;
}

/* "traits": Placement's traits of the host; "uuid": its resource provider's uuid. */
static int parse_traits_uuid(struct inv *x, const json_t *o, const char *at, const char *host)
{
	const char **traits = NULL, *uuid = NULL;
	uint32_t n = 0;
	char p[PATH_LEN];
	int rc = get_str_list(x, o, at, "traits", &traits, &n);

	if (rc == 0 && json_object_get(o, "traits") != NULL &&
	    (rc = x->core->dc_set_host_traits(x->b, host, traits, n, x->err)) < 0) {
		path_key(p, sizeof(p), at, "traits");
		rc = fail_core(x, p, rc);
	}
	free(traits);
	if (rc == 0)
		rc = get_str(x, o, at, "uuid", false, &uuid);
	if (rc == 0 && uuid != NULL &&
	    (rc = x->core->dc_set_host_uuid(x->b, host, uuid, x->err)) < 0) {
		path_key(p, sizeof(p), at, "uuid");
		rc = fail_core(x, p, rc);
	}
	return rc;
}

/* "instances": every instance of the cloud, when the file knows them all. */
static int parse_instances(struct inv *x, const json_t *doc)
{
	const char **ids = NULL;
	uint32_t n = 0;
	int rc;

	if (json_object_get(doc, "instances") == NULL)
		return 0;
	rc = get_str_list(x, doc, "$", "instances", &ids, &n);
	if (rc == 0 && (rc = x->core->dc_set_instances(x->b, ids, n, x->err)) < 0)
		rc = fail_core(x, "$.instances", rc);
	free(ids);
	return rc;
}

static int parse_host(struct inv *x, const json_t *o, const char *at, size_t i)
{
	vlt_host_spec_t s = { 0 };
	const char **aggs = NULL;
	uint32_t n_aggs = 0;
	int rc = parse_host_fields(x, o, at, &s);

	if (rc == 0)
		rc = claim_name(x, x->hosts, s.name, "host", at, i);
	if (rc == 0)
		rc = check_ref(x, x->racks, s.rack, "rack", at, "rack");
	if (rc == 0 && s.rack == NULL)
		rc = check_implicit_rack(x, at, s.name);
	if (rc == 0)
		rc = get_str_list(x, o, at, "aggregates", &aggs, &n_aggs);
	if (rc == 0)
		rc = check_host_aggregates(x, at, aggs, n_aggs);
	if (rc == 0) {
		s.aggregates = aggs;
		s.n_aggregates = n_aggs;
		rc = x->core->dc_add_host(x->b, &s, x->err);
		if (rc < 0)
			rc = fail_core(x, at, rc);
	}
	if (rc == 0)
		rc = parse_consumers(x, o, at, s.name);
	if (rc == 0)
		rc = parse_limits(x, o, at, s.name);
	if (rc == 0)
		rc = parse_traits_uuid(x, o, at, s.name);
	/* "resources": {"CUSTOM_FPGA": 2, "PCPU": {"total": 16, "reserved": 2, ...}} */
	if (rc == 0)
		rc = each_class(x, o, at, host_class, s.name);
	free(aggs);
	if (rc < 0)
		return rc;
	x->needs_implicit_cluster |= s.rack == NULL;
	x->st.n_hosts++;
	return 0;
}

static int parse_pool(struct inv *x, const json_t *o, const char *at, size_t i)
{
	vlt_pool_spec_t s = { 0 };
	const char **types = NULL;
	int rc = check_keys(x, o, at, pool_keys);

	if (rc == 0)
		rc = get_str(x, o, at, "name", true, &s.name);
	if (rc == 0)
		rc = get_str(x, o, at, "rack", false, &s.rack);
	if (rc == 0)
		rc = get_count(x, o, at, "capacity_gb", true, 0, &s.capacity_gb);
	if (rc == 0)
		rc = get_count(x, o, at, "used_gb", false, 0, &s.used_gb);
	if (rc == 0)
		rc = claim_name(x, x->pools, s.name, "storage pool", at, i);
	if (rc == 0)
		rc = check_ref(x, x->racks, s.rack, "rack", at, "rack");
	if (rc == 0)
		rc = get_str_list(x, o, at, "volume_types", &types, &s.n_volume_types);
	if (rc == 0) {
		s.volume_types = types;
		rc = x->core->dc_add_pool(x->b, &s, x->err);
		if (rc < 0)
			rc = fail_core(x, at, rc);
	}
	free(types);
	if (rc < 0)
		return rc;
	x->st.n_pools++;
	return 0;
}

static int parse_flavor(struct inv *x, const json_t *o, const char *at, size_t i)
{
	vlt_flavor_t f = { 0 };
	vlt_kv_t *specs = NULL;
	int rc = check_keys(x, o, at, flavor_keys);

	if (rc == 0)
		rc = get_str(x, o, at, "name", true, &f.name);
	if (rc == 0)
		rc = get_count(x, o, at, "vcpus", true, 0, &f.vcpus);
	if (rc == 0)
		rc = get_count(x, o, at, "ram_mb", true, 0, &f.ram_mb);
	if (rc == 0)
		rc = get_count(x, o, at, "disk_gb", true, 0, &f.disk_gb);
	if (rc == 0)
		rc = claim_name(x, x->flavors, f.name, "flavor", at, i);
	if (rc == 0)
		rc = get_str_map(x, o, at, "extra_specs", &specs, &f.n_extra_specs);
	if (rc == 0) {
		f.extra_specs = specs;
		rc = x->core->dc_add_flavor(x->b, &f, x->err);
		if (rc < 0)
			rc = fail_core(x, at, rc);
	}
	free(specs);
	if (rc < 0)
		return rc;
	x->st.n_flavors++;
	return 0;
}

typedef int (*parse_fn)(struct inv *x, const json_t *o, const char *at, size_t i);

/* Run fn on each element of the optional array doc[key], an object each. */
static int parse_section(struct inv *x, const json_t *doc, const char *key, parse_fn fn)
{
	const json_t *a = json_object_get(doc, key);
	char p[PATH_LEN], q[PATH_LEN];

	if (a == NULL)
		return 0;
	path_key(p, sizeof(p), "$", key);
	if (!json_is_array(a))
		return fail_type(x, p, "an array", a);
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *o = json_array_get(a, i);

		path_index(q, sizeof(q), p, i);
		int rc = check_object(x, o, q);

		if (rc == 0)
			rc = fn(x, o, q, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- top level */

static int parse_defaults(struct inv *x, const json_t *doc)
{
	double ratio[VLT_RES_COUNT] = { 0 }; /* 0: the core's default */
	double standby[VLT_RES_COUNT] = { 0 };
	bool has_ratio, has_standby;
	int rc = get_res_object(x, doc, "$", "allocation_ratios", RES_RATIO, ratio, &has_ratio);

	if (rc == 0)
		rc = get_res_object(x, doc, "$", "standby_percent", RES_PERCENT, standby,
				    &has_standby);
	if (rc < 0 || (!has_ratio && !has_standby))
		return rc;
	rc = x->core->dc_set_defaults(x->b, has_ratio ? ratio : NULL,
				      has_standby ? standby : NULL, x->err);
	return rc < 0 ? fail_core(x, "$", rc) : 0;
}

/*
 * Racks without a cluster go to an implicit cluster named after the data
 * center; say so here, at the clashing cluster, rather than at build time.
 */
static int check_implicit_cluster(struct inv *x)
{
	const json_t *ci = json_object_get(x->clusters, x->dc_name);
	char p[PATH_LEN];

	if (!x->needs_implicit_cluster || ci == NULL)
		return 0;
	snprintf(p, sizeof(p), "$.clusters[%" JSON_INTEGER_FORMAT "].name",
		 json_integer_value(ci));
	return fail(x, p,
		    "cluster '%s' has the data center's name, which the implicit cluster of "
		    "racks without a cluster and hosts without a rack needs",
		    x->dc_name);
}

static int parse_doc(struct inv *x, const json_t *doc)
{
	int rc = check_object(x, doc, "$");

	if (rc == 0)
		rc = check_keys(x, doc, "$", top_keys);
	if (rc == 0)
		rc = get_str(x, doc, "$", "datacenter", true, &x->dc_name);
	if (rc < 0)
		return rc;
	rc = x->core->dc_set_name(x->b, x->dc_name, x->err);
	if (rc < 0)
		return fail_core(x, "$.datacenter", rc);
	rc = parse_defaults(x, doc);
	if (rc == 0)
		rc = parse_section(x, doc, "clusters", parse_cluster);
	if (rc == 0)
		rc = parse_section(x, doc, "racks", parse_rack);
	if (rc == 0)
		rc = parse_section(x, doc, "aggregates", parse_aggregate);
	if (rc == 0)
		rc = parse_section(x, doc, "hosts", parse_host);
	if (rc == 0)
		rc = parse_section(x, doc, "storage", parse_pool);
	if (rc == 0)
		rc = parse_section(x, doc, "flavors", parse_flavor);
	if (rc == 0)
		rc = parse_instances(x, doc);
	if (rc == 0)
		rc = check_implicit_cluster(x);
	return rc;
}

int static_inventory_apply(const json_t *doc, const char *where, const vlt_core_t *core,
			   vlt_dc_builder_t *b, static_inventory_stats_t *stats, vlt_err_t *err)
{
	vlt_err_t local;
	struct inv x = {
		.where = where,
		.core = core,
		.b = b,
		.err = err != NULL ? err : &local, /* fail_core reads the core's message */
		.clusters = json_object(),
		.racks = json_object(),
		.aggs = json_object(),
		.hosts = json_object(),
		.pools = json_object(),
		.flavors = json_object(),
	};
	int rc;

	if (x.clusters == NULL || x.racks == NULL || x.aggs == NULL || x.hosts == NULL ||
	    x.pools == NULL || x.flavors == NULL)
		rc = vlt_err_set(x.err, VLT_ENOMEM, "out of memory");
	else
		rc = parse_doc(&x, doc);
	json_decref(x.clusters);
	json_decref(x.racks);
	json_decref(x.aggs);
	json_decref(x.hosts);
	json_decref(x.pools);
	json_decref(x.flavors);
	if (rc == 0 && stats != NULL)
		*stats = x.st;
	return rc;
}

int static_inventory_load(const char *path, const vlt_core_t *core, vlt_dc_builder_t *b,
			  static_inventory_stats_t *stats, vlt_err_t *err)
{
	FILE *fp = fopen(path, "r");
	json_error_t jerr;

	if (fp == NULL) {
		char why[128];

		snprintf(why, sizeof(why), "%s", strerror(errno));
		return vlt_err_set(err, VLT_EIO, "%s: cannot open: %s", path, why);
	}
	/* Duplicate keys would silently drop data: refuse them. */
	json_t *doc = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);

	fclose(fp);
	if (doc == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: line %d, column %d: invalid JSON: %s",
				   path, jerr.line, jerr.column, jerr.text);
	int rc = static_inventory_apply(doc, path, core, b, stats, err);

	json_decref(doc);
	return rc;
}
