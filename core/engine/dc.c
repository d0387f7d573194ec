/*
 * dc.c - the data-center builder and the frozen model.
 *
 * Sources call the dc_* callbacks in any order that respects references (a
 * cluster before the racks that name it, a rack or aggregate before the
 * hosts and pools that name it). Each call copies what it is given into the
 * builder's arena and checks what it can at once, so a source can tell the
 * operator exactly which input was wrong.
 *
 * vlt__dc_build then lays the model out the way solvers like to walk it:
 * clusters in the order they were added (the implicit one last), each
 * cluster's racks contiguous, each rack's hosts contiguous, hosts of a rack
 * in the order they were added. The model owns copies of every string, so
 * the builder may be freed right after.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/model.h>

#include "arena.h"
#include "dc.h"
#include "hash.h"
#include "rclass.h"

/* The contract's defaults (upstream Valet's): vcpus, ram_mb, disk_gb. */
static const double default_ratio[VLT_RES_COUNT] = { 16.0, 1.5, 1.0 };
static const char *const res_name[VLT_RES_COUNT] = { "vcpus", "ram_mb", "disk_gb" };
static const char default_az[] = "nova";

const char *vlt__dc_res_name(vlt_res_t r)
{
	return res_name[r];
}

/* ---------------------------------------------------------------- name table */

/*
 * An open-addressing hash from a name to an index. Keys are borrowed (they
 * live in an arena next to the table). Capacity is a power of two kept at
 * most half full, so probes stay short.
 */
struct names {
	const char **keys;
	uint32_t *vals;
	uint32_t cap;
	uint32_t n;
};

static void names_free(struct names *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

static uint32_t names_get(const struct names *t, const char *key)
{
	if (t->cap == 0)
		return VLT_NONE;
	uint32_t mask = t->cap - 1;
	uint32_t i = (uint32_t)vlt__hash_str(key) & mask;

	while (t->keys[i] != NULL) {
		if (strcmp(t->keys[i], key) == 0)
			return t->vals[i];
		i = (i + 1) & mask;
	}
	return VLT_NONE;
}

static void names_put_slot(const char **keys, uint32_t *vals, uint32_t cap, const char *key,
			   uint32_t val)
{
	uint32_t mask = cap - 1;
	uint32_t i = (uint32_t)vlt__hash_str(key) & mask;

	while (keys[i] != NULL)
		i = (i + 1) & mask;
	keys[i] = key;
	vals[i] = val;
}

static int names_grow(struct names *t)
{
	uint32_t cap = t->cap == 0 ? 16 : t->cap * 2;
	const char **keys = calloc(cap, sizeof(*keys));
	uint32_t *vals = calloc(cap, sizeof(*vals));

	if (keys == NULL || vals == NULL || cap < t->cap) {
		free(keys);
		free(vals);
		return VLT_ENOMEM;
	}
	for (uint32_t i = 0; i < t->cap; i++)
		if (t->keys[i] != NULL)
			names_put_slot(keys, vals, cap, t->keys[i], t->vals[i]);
	free(t->keys);
	free(t->vals);
	t->keys = keys;
	t->vals = vals;
	t->cap = cap;
	return 0;
}

/* Add key (borrowed, must outlive t) -> val; the caller checked it is new. */
static int names_put(struct names *t, const char *key, uint32_t val)
{
	if ((t->n + 1) * 2 > t->cap) {
		int rc = names_grow(t);
		if (rc < 0)
			return rc;
	}
	names_put_slot(t->keys, t->vals, t->cap, key, val);
	t->n++;
	return 0;
}

/* ---------------------------------------------------------------- growable arrays */

/* Make room for one more element in *arr (n used, *cap allocated). */
static int grow(void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	if (n >= UINT32_MAX / 2)
		return VLT_E2BIG;
	uint32_t ncap = *cap == 0 ? 16 : *cap * 2;
	void *p = realloc(*arr, (size_t)ncap * elem);

	if (p == NULL)
		return VLT_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

#define GROW(arr, cap, n) grow((void **)&(arr), &(cap), (n), sizeof(*(arr)))

/* ---------------------------------------------------------------- builder */

struct bcluster {
	const char *name;
	int64_t uplink_mbps;
};

struct brack {
	const char *name;
	uint32_t cluster; /* builder cluster index, VLT_NONE: the implicit one */
	int64_t uplink_mbps;
};

/* A host's inventory of one extra resource class. */
struct bclass {
	const char *name; /* arena */
	vlt_class_inventory_t inv;
};

struct bhost {
	const char *name;
	uint32_t rack; /* builder rack index, VLT_NONE: its own rack */
	const char *az;
	int64_t total[VLT_RES_COUNT];
	double ratio[VLT_RES_COUNT]; /* 0: the default */
	int64_t used[VLT_RES_COUNT];
	int64_t nic_mbps;
	uint32_t agg_first; /* into b->idx */
	uint32_t n_agg;
	bool enabled;
	vlt_unit_limits_t limits[VLT_RES_COUNT]; /* 0: no limit */
	const char **traits; /* owned array of arena strings (dc_set_host_traits) */
	uint32_t n_traits;
	const char *uuid; /* arena; NULL until dc_set_host_uuid */
	struct bclass *classes; /* owned (dc_set_host_class) */
	uint32_t n_classes, cap_classes;
};

/* What one consumer (an instance) uses on a host; part of the host's used. */
struct bconsumer {
	const char *host;
	const char *id;
	int64_t used[VLT_RES_COUNT];
};

/* What one consumer uses of one extra class on a host; part of the class's used. */
struct bconsumer_class {
	const char *host;
	const char *id;
	const char *rclass;
	int64_t amount;
};

/* Aggregates and flavors keep their pairs in b->kv; pools their types in b->strs. */
struct bpairs {
	const char *name;
	uint32_t first;
	uint32_t n;
};

struct bpool {
	const char *name;
	uint32_t rack; /* builder rack index or VLT_NONE */
	int64_t capacity_gb;
	int64_t used_gb;
	uint32_t vt_first; /* into b->strs */
	uint32_t n_vt;
};

struct bflavor {
	const char *name;
	int64_t size[VLT_RES_COUNT];
	uint32_t kv_first;
	uint32_t n_kv;
};

struct vlt_dc_builder {
	vlt_arena_t arena;
	const char *name;
	double ratio[VLT_RES_COUNT];
	double standby_pct[VLT_RES_COUNT];

	struct bcluster *clusters;
	uint32_t n_clusters, cap_clusters;
	struct brack *racks;
	uint32_t n_racks, cap_racks;
	struct bpairs *aggs;
	uint32_t n_aggs, cap_aggs;
	struct bhost *hosts;
	uint32_t n_hosts, cap_hosts;
	struct bpool *pools;
	uint32_t n_pools, cap_pools;
	struct bflavor *flavors;
	uint32_t n_flavors, cap_flavors;
	struct bconsumer *consumers;
	uint32_t n_consumers, cap_consumers;
	struct bconsumer_class *consumer_classes;
	uint32_t n_consumer_classes, cap_consumer_classes;
	const char **instances; /* every instance, when a source knows them (arena strings) */
	uint32_t n_instances;
	bool instances_known;

	vlt_kv_t *kv; /* aggregate metadata and flavor extra specs */
	uint32_t n_kv, cap_kv;
	uint32_t *idx; /* hosts' aggregate indices */
	uint32_t n_idx, cap_idx;
	const char **strs; /* pools' volume types */
	uint32_t n_strs, cap_strs;

	struct names cluster_names, rack_names, agg_names, host_names, pool_names,
		flavor_names, uuid_names;
};

vlt_dc_builder_t *vlt__dc_builder_new(void)
{
	vlt_dc_builder_t *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	memcpy(b->ratio, default_ratio, sizeof(b->ratio));
	return b;
}

void vlt__dc_builder_free(vlt_dc_builder_t *b)
{
	if (b == NULL)
		return;
	free(b->clusters);
	free(b->racks);
	free(b->aggs);
	for (uint32_t i = 0; i < b->n_hosts; i++) {
		free(b->hosts[i].traits);
		free(b->hosts[i].classes);
	}
	free(b->hosts);
	free(b->pools);
	free(b->flavors);
	free(b->consumers);
	free(b->consumer_classes);
	free(b->instances);
	free(b->kv);
	free(b->idx);
	free(b->strs);
	names_free(&b->cluster_names);
	names_free(&b->rack_names);
	names_free(&b->agg_names);
	names_free(&b->host_names);
	names_free(&b->pool_names);
	names_free(&b->flavor_names);
	names_free(&b->uuid_names);
	vlt__arena_free(&b->arena);
	free(b);
}

static bool builder_is_empty(const vlt_dc_builder_t *b)
{
	return b->n_clusters == 0 && b->n_racks == 0 && b->n_aggs == 0 && b->n_hosts == 0 &&
	       b->n_pools == 0 && b->n_flavors == 0;
}

/* ---------------------------------------------------------------- checks */

/* what: "host", "rack", ... for "host name is empty". */
static int check_name(const char *name, const char *what, vlt_err_t *err)
{
	if (name == NULL || name[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "%s name is empty", what);
	return 0;
}

/* A new name for table t, or "duplicate <what> name '<name>'". */
static int check_new_name(const struct names *t, const char *name, const char *what,
			  vlt_err_t *err)
{
	int rc = check_name(name, what, err);

	if (rc < 0)
		return rc;
	if (names_get(t, name) != VLT_NONE)
		return vlt_err_set(err, VLT_EINVAL, "duplicate %s name '%s'", what, name);
	return 0;
}

static int check_count(int64_t v, const char *what, vlt_err_t *err)
{
	if (v < 0)
		return vlt_err_set(err, VLT_EINVAL, "%s must not be negative, got %lld", what,
				   (long long)v);
	return 0;
}

static int check_ratio(double v, const char *res, bool zero_ok, vlt_err_t *err)
{
	if (!isfinite(v) || v < 0.0 || (v == 0.0 && !zero_ok))
		return vlt_err_set(err, VLT_EINVAL, "allocation ratio of %s must be > 0, got %g",
				   res, v);
	return 0;
}

static int check_standby(double v, const char *res, vlt_err_t *err)
{
	if (!isfinite(v) || v < 0.0 || v > 100.0)
		return vlt_err_set(err, VLT_EINVAL,
				   "standby percent of %s must be between 0 and 100, got %g", res,
				   v);
	return 0;
}

/* Copy s into the builder's arena; the NULL check is the caller's. */
static int copy_str(vlt_dc_builder_t *b, const char *s, const char **out)
{
	*out = vlt__arena_strdup(&b->arena, s);
	return *out == NULL ? VLT_ENOMEM : 0;
}

/*
 * Append n key/value pairs (copied) to b->kv. Keys must be non-empty and
 * unique within the list; what names the owner for messages.
 */
static int copy_pairs(vlt_dc_builder_t *b, const vlt_kv_t *kv, uint32_t n, const char *what,
		      uint32_t *first, vlt_err_t *err)
{
	*first = b->n_kv;
	if (n > 0 && kv == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: %u pairs but no array", what, n);
	for (uint32_t i = 0; i < n; i++) {
		if (kv[i].key == NULL || kv[i].key[0] == '\0')
			return vlt_err_set(err, VLT_EINVAL, "%s: empty key", what);
		if (kv[i].value == NULL)
			return vlt_err_set(err, VLT_EINVAL, "%s: key '%s' has no value", what,
					   kv[i].key);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(kv[i].key, kv[j].key) == 0)
				return vlt_err_set(err, VLT_EINVAL, "%s: duplicate key '%s'",
						   what, kv[i].key);
	}
	for (uint32_t i = 0; i < n; i++) {
		int rc = GROW(b->kv, b->cap_kv, b->n_kv);
		vlt_kv_t *dst = &b->kv[b->n_kv];

		if (rc < 0 || copy_str(b, kv[i].key, &dst->key) < 0 ||
		    copy_str(b, kv[i].value, &dst->value) < 0) {
			b->n_kv = *first; /* drop the partial list */
			return vlt_err_set(err, rc < 0 ? rc : VLT_ENOMEM, "%s",
					   vlt_strerror(rc < 0 ? rc : VLT_ENOMEM));
		}
		b->n_kv++;
	}
	return 0;
}

static int oom(vlt_err_t *err)
{
	return vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------- builder callbacks */

/*
 * Setting the same name twice is harmless (two sources may agree); a
 * different one is a configuration fault.
 */
int vlt__dc_set_name(vlt_dc_builder_t *b, const char *name, vlt_err_t *err)
{
	int rc = check_name(name, "data center", err);

	if (rc < 0)
		return rc;
	if (b->name != NULL) {
		if (strcmp(b->name, name) == 0)
			return 0;
		return vlt_err_set(err, VLT_EINVAL, "the data center is already named '%s', not '%s'",
				   b->name, name);
	}
	if (copy_str(b, name, &b->name) < 0)
		return oom(err);
	return 0;
}

/*
 * Either array may be NULL (keep what is set). A ratio of 0 keeps the
 * built-in default of that resource, as in vlt_host_spec_t.
 */
int vlt__dc_set_defaults(vlt_dc_builder_t *b, const double ratio[VLT_RES_COUNT],
			 const double standby_pct[VLT_RES_COUNT], vlt_err_t *err)
{
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		int rc = 0;

		if (ratio != NULL)
			rc = check_ratio(ratio[r], res_name[r], true, err);
		if (rc == 0 && standby_pct != NULL)
			rc = check_standby(standby_pct[r], res_name[r], err);
		if (rc < 0)
			return rc;
	}
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		if (ratio != NULL)
			b->ratio[r] = ratio[r] > 0.0 ? ratio[r] : default_ratio[r];
		if (standby_pct != NULL)
			b->standby_pct[r] = standby_pct[r];
	}
	return 0;
}

static int check_uplink(int64_t mbps, vlt_err_t *err)
{
	return check_count(mbps, "uplink_mbps", err);
}

int vlt__dc_add_cluster(vlt_dc_builder_t *b, const char *name, int64_t uplink_mbps,
			vlt_err_t *err)
{
	int rc = check_new_name(&b->cluster_names, name, "cluster", err);

	if (rc == 0)
		rc = check_uplink(uplink_mbps, err);
	if (rc < 0)
		return rc;
	if (GROW(b->clusters, b->cap_clusters, b->n_clusters) < 0)
		return oom(err);
	struct bcluster *c = &b->clusters[b->n_clusters];

	c->uplink_mbps = uplink_mbps;
	if (copy_str(b, name, &c->name) < 0 ||
	    names_put(&b->cluster_names, c->name, b->n_clusters) < 0)
		return oom(err);
	b->n_clusters++;
	return 0;
}

int vlt__dc_add_rack(vlt_dc_builder_t *b, const char *name, const char *cluster,
		     int64_t uplink_mbps, vlt_err_t *err)
{
	int rc = check_new_name(&b->rack_names, name, "rack", err);

	if (rc == 0)
		rc = check_uplink(uplink_mbps, err);
	if (rc < 0)
		return rc;
	uint32_t ci = VLT_NONE;

	if (cluster != NULL) {
		ci = names_get(&b->cluster_names, cluster);
		if (ci == VLT_NONE)
			return vlt_err_set(err, VLT_EINVAL, "unknown cluster '%s'", cluster);
	}
	if (GROW(b->racks, b->cap_racks, b->n_racks) < 0)
		return oom(err);
	struct brack *k = &b->racks[b->n_racks];

	k->cluster = ci;
	k->uplink_mbps = uplink_mbps;
	if (copy_str(b, name, &k->name) < 0 || names_put(&b->rack_names, k->name, b->n_racks) < 0)
		return oom(err);
	b->n_racks++;
	return 0;
}

/* *hi: the builder host named host; else the message a later source needs. */
static int known_host(const vlt_dc_builder_t *b, const char *host, uint32_t *hi,
		      vlt_err_t *err)
{
	*hi = host != NULL ? names_get(&b->host_names, host) : VLT_NONE;
	if (*hi == VLT_NONE)
		return vlt_err_set(err, VLT_EINVAL,
				   "no host '%s' yet (the source that adds it must come first in "
				   "modules.sources)",
				   host != NULL ? host : "");
	return 0;
}

int vlt__dc_set_host_rack(vlt_dc_builder_t *b, const char *host, const char *rack,
			  vlt_err_t *err)
{
	uint32_t hi;
	uint32_t ri = rack != NULL ? names_get(&b->rack_names, rack) : VLT_NONE;
	int rc = known_host(b, host, &hi, err);

	if (rc < 0)
		return rc;
	if (ri == VLT_NONE)
		return vlt_err_set(err, VLT_EINVAL, "unknown rack '%s'", rack != NULL ? rack : "");
	b->hosts[hi].rack = ri;
	return 0;
}

int vlt__dc_set_host_limits(vlt_dc_builder_t *b, const char *host,
			    const vlt_unit_limits_t lim[VLT_RES_COUNT], vlt_err_t *err)
{
	static const char *const field[3] = { "min_unit", "max_unit", "step_size" };
	uint32_t hi;
	int rc = known_host(b, host, &hi, err);

	if (rc < 0)
		return rc;
	if (lim == NULL)
		return vlt_err_set(err, VLT_EINVAL, "host %s: no limits", host);
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		const int64_t v[3] = { lim[r].min_unit, lim[r].max_unit, lim[r].step_size };

		for (int k = 0; k < 3; k++) {
			if (v[k] < 0)
				return vlt_err_set(err, VLT_EINVAL,
						   "host %s: %s of %s must not be negative, got "
						   "%lld (0: no limit)",
						   host, field[k], res_name[r], (long long)v[k]);
		}
	}
	memcpy(b->hosts[hi].limits, lim, sizeof(b->hosts[hi].limits));
	return 0;
}

static int cmp_str(const void *a, const void *b); /* strcmp on pointers to strings */

int vlt__dc_set_host_traits(vlt_dc_builder_t *b, const char *host, const char *const *traits,
			    uint32_t n, vlt_err_t *err)
{
	uint32_t hi;
	int rc = known_host(b, host, &hi, err);

	if (rc < 0)
		return rc;
	if (n > 0 && traits == NULL)
		return vlt_err_set(err, VLT_EINVAL, "host %s: %u traits but no array", host, n);
	const char **list = calloc(n + 1, sizeof(*list));

	if (list == NULL)
		return oom(err);
	for (uint32_t i = 0; i < n; i++) {
		if (traits[i] == NULL || traits[i][0] == '\0') {
			free(list);
			return vlt_err_set(err, VLT_EINVAL, "host %s: trait name is empty", host);
		}
		if (copy_str(b, traits[i], &list[i]) < 0) {
			free(list);
			return oom(err);
		}
	}
	qsort(list, n, sizeof(*list), cmp_str); /* sorted: repeats are neighbours */
	for (uint32_t i = 1; i < n; i++) {
		if (strcmp(list[i], list[i - 1]) == 0) {
			rc = vlt_err_set(err, VLT_EINVAL, "host %s: trait '%s' listed twice", host,
					 list[i]);
			free(list);
			return rc;
		}
	}
	free(b->hosts[hi].traits);
	b->hosts[hi].traits = list;
	b->hosts[hi].n_traits = n;
	return 0;
}

/* A class's name as dc_set_host_class accepts it: an extra class of Placement's. */
static int check_class_name(const char *host, const char *rclass, vlt_err_t *err)
{
	if (rclass == NULL || rclass[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "host %s: resource class name is empty", host);
	int slot = vlt__rclass_slot(rclass);

	if (slot >= 0)
		return vlt_err_set(err, VLT_EINVAL,
				   "host %s: %s is the host's %s, not an extra resource class",
				   host, rclass, res_name[slot]);
	if (!vlt__rclass_name_ok(rclass))
		return vlt_err_set(err, VLT_EINVAL,
				   "host %s: '%s' is not a resource class (one of Placement's "
				   "standard classes, or CUSTOM_ followed by A-Z, 0-9 and _)",
				   host, rclass);
	return 0;
}

static int check_class_inventory(const char *host, const char *rclass,
				 const vlt_class_inventory_t *inv, vlt_err_t *err)
{
	static const char *const field[3] = { "min_unit", "max_unit", "step_size" };
	const int64_t count[3] = { inv->total, inv->reserved, inv->used };
	static const char *const count_name[3] = { "total", "reserved", "used" };
	const vlt_unit_limits_t *lim = &inv->limits;
	const int64_t v[3] = { lim->min_unit, lim->max_unit, lim->step_size };

	for (int k = 0; k < 3; k++) {
		if (count[k] < 0)
			return vlt_err_set(err, VLT_EINVAL,
					   "host %s: %s of %s must not be negative, got %lld", host,
					   count_name[k], rclass, (long long)count[k]);
		if (v[k] < 0)
			return vlt_err_set(err, VLT_EINVAL,
					   "host %s: %s of %s must not be negative, got %lld (0: no "
					   "limit)",
					   host, field[k], rclass, (long long)v[k]);
	}
	if (inv->reserved > inv->total)
		return vlt_err_set(err, VLT_EINVAL, "host %s: reserved %lld of %s is above its total %lld",
				   host, (long long)inv->reserved, rclass, (long long)inv->total);
	if (!isfinite(inv->ratio) || inv->ratio < 0.0)
		return vlt_err_set(err, VLT_EINVAL,
				   "host %s: allocation ratio of %s must be > 0, got %g", host, rclass,
				   inv->ratio);
	return 0;
}

int vlt__dc_set_host_class(vlt_dc_builder_t *b, const char *host, const char *rclass,
			   const vlt_class_inventory_t *inv, vlt_err_t *err)
{
	uint32_t hi;
	int rc = known_host(b, host, &hi, err);

	if (rc == 0)
		rc = check_class_name(host, rclass, err);
	if (rc == 0 && inv == NULL)
		rc = vlt_err_set(err, VLT_EINVAL, "host %s: no inventory of %s", host, rclass);
	if (rc == 0)
		rc = check_class_inventory(host, rclass, inv, err);
	if (rc < 0)
		return rc;
	struct bhost *bh = &b->hosts[hi];
	uint32_t i = 0;

	while (i < bh->n_classes && strcmp(bh->classes[i].name, rclass) != 0)
		i++;
	if (i == bh->n_classes) {
		if (GROW(bh->classes, bh->cap_classes, bh->n_classes) < 0 ||
		    copy_str(b, rclass, &bh->classes[i].name) < 0)
			return oom(err);
		bh->n_classes++;
	}
	bh->classes[i].inv = *inv;
	if (bh->classes[i].inv.ratio == 0.0)
		bh->classes[i].inv.ratio = 1.0;
	return 0;
}

int vlt__dc_set_host_uuid(vlt_dc_builder_t *b, const char *host, const char *uuid,
			  vlt_err_t *err)
{
	uint32_t hi;
	int rc = known_host(b, host, &hi, err);

	if (rc < 0)
		return rc;
	struct bhost *h = &b->hosts[hi];

	if (uuid == NULL || uuid[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "host %s: uuid is empty", host);
	if (h->uuid != NULL && strcmp(h->uuid, uuid) == 0)
		return 0;
	if (h->uuid != NULL)
		return vlt_err_set(err, VLT_EINVAL, "host %s already has uuid %s, not %s", host,
				   h->uuid, uuid);
	uint32_t other = names_get(&b->uuid_names, uuid);

	if (other != VLT_NONE)
		return vlt_err_set(err, VLT_EINVAL, "host %s: uuid %s is already host %s's", host,
				   uuid, b->hosts[other].name);
	if (copy_str(b, uuid, &h->uuid) < 0 || names_put(&b->uuid_names, h->uuid, hi) < 0)
		return oom(err);
	return 0;
}

int vlt__dc_add_aggregate(vlt_dc_builder_t *b, const char *name, const vlt_kv_t *metadata,
			  uint32_t n_metadata, vlt_err_t *err)
{
	int rc = check_new_name(&b->agg_names, name, "aggregate", err);

	if (rc < 0)
		return rc;
	if (GROW(b->aggs, b->cap_aggs, b->n_aggs) < 0)
		return oom(err);
	struct bpairs *a = &b->aggs[b->n_aggs];

	rc = copy_pairs(b, metadata, n_metadata, "aggregate metadata", &a->first, err);
	if (rc < 0)
		return rc;
	a->n = n_metadata;
	if (copy_str(b, name, &a->name) < 0 || names_put(&b->agg_names, a->name, b->n_aggs) < 0)
		return oom(err);
	b->n_aggs++;
	return 0;
}

/* Every number of a host spec: totals and used non-negative, ratios >= 0 (0: default). */
static int check_host_numbers(const vlt_host_spec_t *s, vlt_err_t *err)
{
	char what[32];

	for (int r = 0; r < VLT_RES_COUNT; r++) {
		int rc = check_count(s->total[r], res_name[r], err);

		if (rc == 0) {
			snprintf(what, sizeof(what), "used %s", res_name[r]);
			rc = check_count(s->used[r], what, err);
		}
		if (rc == 0)
			rc = check_ratio(s->ratio[r], res_name[r], true, err);
		if (rc < 0)
			return rc;
	}
	return check_count(s->nic_mbps, "nic_mbps", err);
}

/* Resolve s's aggregate names into b->idx; each must be known and listed once. */
static int add_host_aggregates(vlt_dc_builder_t *b, const vlt_host_spec_t *s, uint32_t *first,
			       vlt_err_t *err)
{
	*first = b->n_idx;
	if (s->n_aggregates > 0 && s->aggregates == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%u aggregates but no array",
				   s->n_aggregates);
	for (uint32_t i = 0; i < s->n_aggregates; i++) {
		const char *an = s->aggregates[i];
		uint32_t ai = an == NULL ? VLT_NONE : names_get(&b->agg_names, an);

		if (ai == VLT_NONE) {
			b->n_idx = *first;
			return vlt_err_set(err, VLT_EINVAL, "unknown aggregate '%s'",
					   an == NULL ? "(null)" : an);
		}
		for (uint32_t j = *first; j < b->n_idx; j++) {
			if (b->idx[j] == ai) {
				b->n_idx = *first;
				return vlt_err_set(err, VLT_EINVAL, "aggregate '%s' listed twice",
						   an);
			}
		}
		if (GROW(b->idx, b->cap_idx, b->n_idx) < 0) {
			b->n_idx = *first;
			return oom(err);
		}
		b->idx[b->n_idx++] = ai;
	}
	return 0;
}

int vlt__dc_add_host(vlt_dc_builder_t *b, const vlt_host_spec_t *s, vlt_err_t *err)
{
	if (s == NULL)
		return vlt_err_set(err, VLT_EINVAL, "no host");
	int rc = check_new_name(&b->host_names, s->name, "host", err);

	if (rc == 0)
		rc = check_host_numbers(s, err);
	if (rc == 0 && s->az != NULL && s->az[0] == '\0')
		rc = vlt_err_set(err, VLT_EINVAL, "availability zone name is empty");
	if (rc < 0)
		return rc;
	uint32_t ri = VLT_NONE;

	if (s->rack != NULL) {
		ri = names_get(&b->rack_names, s->rack);
		if (ri == VLT_NONE)
			return vlt_err_set(err, VLT_EINVAL, "unknown rack '%s'", s->rack);
	}
	if (GROW(b->hosts, b->cap_hosts, b->n_hosts) < 0)
		return oom(err);
	struct bhost *h = &b->hosts[b->n_hosts];

	memset(h, 0, sizeof(*h));
	rc = add_host_aggregates(b, s, &h->agg_first, err);
	if (rc < 0)
		return rc;
	h->n_agg = s->n_aggregates;
	h->rack = ri;
	memcpy(h->total, s->total, sizeof(h->total));
	memcpy(h->ratio, s->ratio, sizeof(h->ratio));
	memcpy(h->used, s->used, sizeof(h->used));
	h->nic_mbps = s->nic_mbps;
	h->enabled = s->enabled;
	if (copy_str(b, s->name, &h->name) < 0 ||
	    (s->az != NULL && copy_str(b, s->az, &h->az) < 0) ||
	    names_put(&b->host_names, h->name, b->n_hosts) < 0)
		return oom(err);
	b->n_hosts++;
	return 0;
}

static int add_pool_types(vlt_dc_builder_t *b, const vlt_pool_spec_t *s, uint32_t *first,
			  vlt_err_t *err)
{
	*first = b->n_strs;
	if (s->n_volume_types > 0 && s->volume_types == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%u volume types but no array",
				   s->n_volume_types);
	for (uint32_t i = 0; i < s->n_volume_types; i++) {
		const char *t = s->volume_types[i];

		if (t == NULL || t[0] == '\0') {
			b->n_strs = *first;
			return vlt_err_set(err, VLT_EINVAL, "volume type name is empty");
		}
		if (GROW(b->strs, b->cap_strs, b->n_strs) < 0 ||
		    copy_str(b, t, &b->strs[b->n_strs]) < 0) {
			b->n_strs = *first;
			return oom(err);
		}
		b->n_strs++;
	}
	return 0;
}

int vlt__dc_add_pool(vlt_dc_builder_t *b, const vlt_pool_spec_t *s, vlt_err_t *err)
{
	if (s == NULL)
		return vlt_err_set(err, VLT_EINVAL, "no pool");
	int rc = check_new_name(&b->pool_names, s->name, "storage pool", err);

	if (rc == 0)
		rc = check_count(s->capacity_gb, "capacity_gb", err);
	if (rc == 0)
		rc = check_count(s->used_gb, "used_gb", err);
	if (rc < 0)
		return rc;
	uint32_t ri = VLT_NONE;

	if (s->rack != NULL) {
		ri = names_get(&b->rack_names, s->rack);
		if (ri == VLT_NONE)
			return vlt_err_set(err, VLT_EINVAL, "unknown rack '%s'", s->rack);
	}
	if (GROW(b->pools, b->cap_pools, b->n_pools) < 0)
		return oom(err);
	struct bpool *p = &b->pools[b->n_pools];

	rc = add_pool_types(b, s, &p->vt_first, err);
	if (rc < 0)
		return rc;
	p->n_vt = s->n_volume_types;
	p->rack = ri;
	p->capacity_gb = s->capacity_gb;
	p->used_gb = s->used_gb;
	if (copy_str(b, s->name, &p->name) < 0 ||
	    names_put(&b->pool_names, p->name, b->n_pools) < 0)
		return oom(err);
	b->n_pools++;
	return 0;
}

int vlt__dc_add_flavor(vlt_dc_builder_t *b, const vlt_flavor_t *f, vlt_err_t *err)
{
	if (f == NULL)
		return vlt_err_set(err, VLT_EINVAL, "no flavor");
	int rc = check_new_name(&b->flavor_names, f->name, "flavor", err);

	if (rc == 0)
		rc = check_count(f->vcpus, "vcpus", err);
	if (rc == 0)
		rc = check_count(f->ram_mb, "ram_mb", err);
	if (rc == 0)
		rc = check_count(f->disk_gb, "disk_gb", err);
	if (rc < 0)
		return rc;
	if (GROW(b->flavors, b->cap_flavors, b->n_flavors) < 0)
		return oom(err);
	struct bflavor *fl = &b->flavors[b->n_flavors];

	rc = copy_pairs(b, f->extra_specs, f->n_extra_specs, "flavor extra specs", &fl->kv_first,
			err);
	if (rc < 0)
		return rc;
	fl->n_kv = f->n_extra_specs;
	fl->size[VLT_RES_VCPUS] = f->vcpus;
	fl->size[VLT_RES_RAM_MB] = f->ram_mb;
	fl->size[VLT_RES_DISK_GB] = f->disk_gb;
	if (copy_str(b, f->name, &fl->name) < 0 ||
	    names_put(&b->flavor_names, fl->name, b->n_flavors) < 0)
		return oom(err);
	b->n_flavors++;
	return 0;
}

int vlt__dc_set_instances(vlt_dc_builder_t *b, const char *const *ids, uint32_t n,
			  vlt_err_t *err)
{
	const char **all = realloc(b->instances, (b->n_instances + n + 1) * sizeof(*all));

	if (all == NULL)
		return oom(err);
	b->instances = all;
	for (uint32_t i = 0; i < n; i++) {
		int rc = check_name(ids[i], "instance", err);

		if (rc < 0)
			return rc;
		if (copy_str(b, ids[i], &b->instances[b->n_instances]) < 0)
			return oom(err);
		b->n_instances++;
	}
	b->instances_known = true;
	return 0;
}

int vlt__dc_add_consumer(vlt_dc_builder_t *b, const char *host, const char *consumer,
			 const int64_t used[VLT_RES_COUNT], vlt_err_t *err)
{
	int rc = check_name(host, "consumer's host", err);

	if (rc == 0)
		rc = check_name(consumer, "consumer", err);
	for (int r = 0; rc == 0 && r < VLT_RES_COUNT; r++)
		rc = check_count(used[r], "consumer's usage", err);
	if (rc < 0)
		return rc;
	if (GROW(b->consumers, b->cap_consumers, b->n_consumers) < 0)
		return oom(err);
	struct bconsumer *c = &b->consumers[b->n_consumers];

	if (copy_str(b, host, &c->host) < 0 || copy_str(b, consumer, &c->id) < 0)
		return oom(err);
	memcpy(c->used, used, sizeof(c->used));
	b->n_consumers++;
	return 0;
}

int vlt__dc_add_consumer_class(vlt_dc_builder_t *b, const char *host, const char *consumer,
			       const char *rclass, int64_t amount, vlt_err_t *err)
{
	int rc = check_name(host, "consumer's host", err);

	if (rc == 0)
		rc = check_name(consumer, "consumer", err);
	if (rc == 0)
		rc = check_class_name(host, rclass, err);
	if (rc == 0)
		rc = check_count(amount, "consumer's usage", err);
	if (rc < 0)
		return rc;
	if (GROW(b->consumer_classes, b->cap_consumer_classes, b->n_consumer_classes) < 0)
		return oom(err);
	struct bconsumer_class *c = &b->consumer_classes[b->n_consumer_classes];

	if (copy_str(b, host, &c->host) < 0 || copy_str(b, consumer, &c->id) < 0 ||
	    copy_str(b, rclass, &c->rclass) < 0)
		return oom(err);
	c->amount = amount;
	b->n_consumer_classes++;
	return 0;
}

int vlt__dc_set_host_nic(vlt_dc_builder_t *b, const char *host, int64_t nic_mbps,
			 vlt_err_t *err)
{
	uint32_t hi = host != NULL ? names_get(&b->host_names, host) : VLT_NONE;

	if (hi == VLT_NONE)
		return vlt_err_set(err, VLT_EINVAL,
				   "no host '%s' yet (the source that adds it must come first in "
				   "modules.sources)",
				   host != NULL ? host : "");
	int rc = check_count(nic_mbps, "nic_mbps", err);

	if (rc == 0)
		b->hosts[hi].nic_mbps = nic_mbps;
	return rc;
}

/* ---------------------------------------------------------------- the frozen model */

/*
 * What vlt__dc_build hands out: the public model first, so a vlt_dc_t
 * pointer from vlt__dc_build is also a pointer to this.
 */
/* What one consumer uses of one extra class on a host (dc_add_consumer_class). */
struct dc_consumer_class {
	uint32_t host;
	const char *id;
	uint32_t rclass;
	int64_t amount;
};

struct dc_full {
	vlt_dc_t pub;
	vlt_arena_t arena;
	vlt_host_t *hosts;
	vlt_domain_t *racks;
	vlt_domain_t *clusters;
	vlt_aggregate_t *aggregates;
	vlt_pool_t *pools;
	vlt_flavor_t *flavors;
	const char **azs;
	uint32_t *host_aggs;   /* all hosts' aggregate indices */
	vlt_kv_t *kv;          /* all aggregates' metadata and flavors' extra specs */
	const char **vol_types; /* all pools' volume types */
	struct names host_names, pool_names, flavor_names;
	vlt_dc_consumer_t *consumers; /* sorted by host */
	uint32_t n_consumers;
	const char **instances; /* sorted; meaningful when instances_known */
	uint32_t n_instances;
	bool instances_known;
	int64_t (*source_used)[VLT_RES_COUNT]; /* each host's used as the sources said */
	vlt_unit_limits_t (*limits)[VLT_RES_COUNT]; /* per host; 0: no limit */
	bool any_limits;			      /* some host has a nonzero limit */
	const char **uuids;			      /* per host; NULL: none given */
	struct names trait_names;		      /* trait name -> id */
	const char **trait_name;		      /* by id */
	uint32_t n_traits;
	uint32_t *host_traits; /* every host's trait ids, each host's sorted */
	uint32_t *trait_first, *trait_count; /* per host, into host_traits */
	struct names class_names;	      /* extra class name -> id */
	const char **class_name;	      /* by id: pub.classes */
	int64_t *class_cap;		      /* [host * n_classes + id]; VLT_CLASS_ABSENT */
	vlt_unit_limits_t *class_limits;      /* [host * n_classes + id] */
	int64_t *class_source_cap;	      /* class_cap as the sources said (before credit) */
	struct dc_consumer_class *consumer_classes;
	uint32_t n_consumer_classes;
};

static struct dc_full *full_of(const vlt_dc_t *dc)
{
	return (struct dc_full *)((char *)(uintptr_t)dc - offsetof(struct dc_full, pub));
}

void vlt__dc_free(vlt_dc_t *dc)
{
	if (dc == NULL)
		return;
	struct dc_full *f = full_of(dc);

	free(f->hosts);
	free(f->racks);
	free(f->clusters);
	free(f->aggregates);
	free(f->pools);
	free(f->flavors);
	free(f->azs);
	free(f->host_aggs);
	free(f->kv);
	free(f->vol_types);
	free(f->consumers);
	free(f->source_used);
	free(f->instances);
	free(f->limits);
	free(f->uuids);
	free(f->trait_name);
	free(f->host_traits);
	free(f->trait_first);
	free(f->trait_count);
	names_free(&f->trait_names);
	free(f->class_name);
	free(f->class_cap);
	free(f->class_limits);
	free(f->class_source_cap);
	free(f->consumer_classes);
	names_free(&f->class_names);
	names_free(&f->host_names);
	names_free(&f->pool_names);
	names_free(&f->flavor_names);
	vlt__arena_free(&f->arena);
	free(f);
}

uint32_t vlt__dc_find_host(const vlt_dc_t *dc, const char *name)
{
	if (dc == NULL || name == NULL)
		return VLT_NONE;
	return names_get(&full_of(dc)->host_names, name);
}

const vlt_unit_limits_t *vlt__dc_host_limits(const vlt_dc_t *dc, uint32_t h)
{
	return full_of(dc)->limits[h];
}

bool vlt__dc_any_host_limits(const vlt_dc_t *dc)
{
	return full_of(dc)->any_limits;
}

const char *vlt__dc_host_uuid(const vlt_dc_t *dc, uint32_t h)
{
	return full_of(dc)->uuids[h];
}

uint32_t vlt__dc_trait_id(const vlt_dc_t *dc, const char *name)
{
	return name != NULL ? names_get(&full_of(dc)->trait_names, name) : VLT_NONE;
}

const char *vlt__dc_trait_name(const vlt_dc_t *dc, uint32_t trait)
{
	return trait < full_of(dc)->n_traits ? full_of(dc)->trait_name[trait] : NULL;
}

const uint32_t *vlt__dc_host_traits(const vlt_dc_t *dc, uint32_t h, uint32_t *n)
{
	const struct dc_full *f = full_of(dc);

	*n = f->trait_count[h];
	return &f->host_traits[f->trait_first[h]];
}

bool vlt__dc_host_has_trait(const vlt_dc_t *dc, uint32_t h, uint32_t trait)
{
	uint32_t n;
	const uint32_t *ids = vlt__dc_host_traits(dc, h, &n);
	uint32_t a = 0, z = n;

	while (a < z) {
		uint32_t mid = a + (z - a) / 2;

		if (ids[mid] == trait)
			return true;
		if (ids[mid] < trait)
			a = mid + 1;
		else
			z = mid;
	}
	return false;
}

uint32_t vlt__dc_class_id(const vlt_dc_t *dc, const char *name)
{
	return name != NULL ? names_get(&full_of(dc)->class_names, name) : VLT_NONE;
}

int64_t vlt__dc_host_class_capacity(const vlt_dc_t *dc, uint32_t h, uint32_t c)
{
	return full_of(dc)->class_cap[(size_t)h * dc->n_classes + c];
}

const vlt_unit_limits_t *vlt__dc_host_class_limits(const vlt_dc_t *dc, uint32_t h, uint32_t c)
{
	return &full_of(dc)->class_limits[(size_t)h * dc->n_classes + c];
}

const vlt_dc_consumer_t *vlt__dc_consumers(const vlt_dc_t *dc, uint32_t *n)
{
	*n = full_of(dc)->n_consumers;
	return full_of(dc)->consumers;
}

uint32_t vlt__dc_find_pool(const vlt_dc_t *dc, const char *name)
{
	if (dc == NULL || name == NULL)
		return VLT_NONE;
	return names_get(&full_of(dc)->pool_names, name);
}

const vlt_flavor_t *vlt__dc_find_flavor(const vlt_dc_t *dc, const char *name)
{
	if (dc == NULL || name == NULL)
		return NULL;
	uint32_t i = names_get(&full_of(dc)->flavor_names, name);

	return i == VLT_NONE ? NULL : &dc->flavors[i];
}

/*
 * The contract's formula. Inputs are decimal figures, so a product that
 * should be whole may land a hair below it (100 x 16 x 0.9); the small
 * tolerance keeps floor() from losing a unit to rounding.
 */
static int64_t host_capacity(int64_t total, double ratio, double standby_pct, int64_t used)
{
	double v = (double)total * ratio * (100.0 - standby_pct) / 100.0;
	int64_t cap;

	if (v >= 9.0e18)
		cap = INT64_MAX / 2; /* far beyond any demand; leaves room to subtract */
	else
		cap = (int64_t)floor(v + 1e-6);
	return cap - used;
}

/* ids as a name table, for lookups in the credit; false when out of memory. */
static bool id_set(struct names *set, const char *const *ids, size_t n_ids)
{
	for (size_t i = 0; i < n_ids; i++) {
		if (ids[i] != NULL && names_get(set, ids[i]) == VLT_NONE &&
		    names_put(set, ids[i], 0) < 0)
			return false;
	}
	return true;
}

static bool in_ids(const char *id, const struct names *set, const char *const *ids,
		   size_t n_ids, bool use_set)
{
	if (use_set)
		return names_get(set, id) != VLT_NONE;
	for (size_t i = 0; i < n_ids; i++) { /* out of memory for the set: slower, still right */
		if (ids[i] != NULL && strcmp(ids[i], id) == 0)
			return true;
	}
	return false;
}

/* A host's capacity and preloaded flag from its used; its domains' preloaded counts. */
static void host_numbers_again(struct dc_full *f, vlt_host_t *h)
{
	bool was = h->preloaded;

	h->preloaded = false;
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		h->capacity[r] = host_capacity(h->total[r], h->ratio[r], h->standby_pct[r],
					       h->used[r]);
		h->preloaded = h->preloaded || h->used[r] != 0;
	}
	if (was != h->preloaded) {
		int d = h->preloaded ? 1 : -1;

		f->racks[h->rack].n_preloaded += (uint32_t)d;
		f->clusters[h->cluster].n_preloaded += (uint32_t)d;
	}
}

/* The extra classes' capacity again, less what the consumers of ids use of them. */
static void credit_classes(struct dc_full *f, const struct names *set, const char *const *ids,
			   size_t n_ids, bool use_set)
{
	size_t cells = (size_t)f->pub.n_hosts * f->pub.n_classes;

	if (cells > 0)
		memcpy(f->class_cap, f->class_source_cap, cells * sizeof(*f->class_cap));
	for (uint32_t i = 0; i < f->n_consumer_classes; i++) {
		const struct dc_consumer_class *c = &f->consumer_classes[i];

		if (in_ids(c->id, set, ids, n_ids, use_set))
			f->class_cap[(size_t)c->host * f->pub.n_classes + c->rclass] += c->amount;
	}
}

uint32_t vlt__dc_credit(vlt_dc_t *dc, const char *const *ids, size_t n_ids)
{
	struct dc_full *f = full_of(dc);
	struct names set = { 0 };
	bool use_set = id_set(&set, ids, n_ids);
	uint32_t n = 0;

	for (uint32_t h = 0; h < dc->n_hosts; h++)
		memcpy(f->hosts[h].used, f->source_used[h], sizeof(f->hosts[h].used));
	for (uint32_t i = 0; i < f->n_consumers; i++) {
		vlt_dc_consumer_t *c = &f->consumers[i];

		c->credited = in_ids(c->id, &set, ids, n_ids, use_set);
		n += c->credited;
		for (int r = 0; c->credited && r < VLT_RES_COUNT; r++)
			f->hosts[c->host].used[r] -= c->used[r];
	}
	for (uint32_t h = 0; h < dc->n_hosts; h++)
		host_numbers_again(f, &f->hosts[h]);
	credit_classes(f, &set, ids, n_ids, use_set);
	names_free(&set);
	return n;
}

/* Build-time state: where each builder rack and each rackless host ended up. */
struct layout {
	uint32_t n_clusters; /* builder clusters + the implicit one if needed */
	uint32_t implicit_cluster; /* its index, VLT_NONE if not needed */
	uint32_t n_racks;     /* builder racks + one per rackless host */
	uint32_t *rack_of_brack; /* builder rack -> final rack */
	uint32_t *rack_of_bhost; /* builder host -> final rack */
	uint32_t *rack_cluster;  /* final rack -> final cluster */
	const char **rack_name;  /* final rack -> name (builder arena) */
	int64_t *rack_uplink;
	bool *rack_implicit;
	uint32_t *host_order; /* final host -> builder host */
};

static void layout_free(struct layout *l)
{
	free(l->rack_of_brack);
	free(l->rack_of_bhost);
	free(l->rack_cluster);
	free(l->rack_name);
	free(l->rack_uplink);
	free(l->rack_implicit);
	free(l->host_order);
}

/* Implicit names must not collide with explicit ones: names identify domains in output. */
static int check_implicit_names(const vlt_dc_builder_t *b, bool need_cluster, vlt_err_t *err)
{
	if (need_cluster && names_get(&b->cluster_names, b->name) != VLT_NONE)
		return vlt_err_set(err, VLT_EINVAL,
				   "cluster '%s' has the data center's name, which the implicit "
				   "cluster of racks without a cluster needs",
				   b->name);
	for (uint32_t i = 0; i < b->n_hosts; i++) {
		const struct bhost *h = &b->hosts[i];

		if (h->rack == VLT_NONE && names_get(&b->rack_names, h->name) != VLT_NONE)
			return vlt_err_set(err, VLT_EINVAL,
					   "host '%s' has no rack, and its implicit rack would "
					   "clash with rack '%s'",
					   h->name, h->name);
	}
	return 0;
}

static uint32_t bcluster_final(const struct layout *l, uint32_t bc)
{
	return bc == VLT_NONE ? l->implicit_cluster : bc;
}

/*
 * Order racks by cluster (counting sort, stable): within a cluster, explicit
 * racks in the order added, then the implicit racks of rackless hosts in
 * host order. Then order hosts by final rack, stably.
 */
static int layout_make(const vlt_dc_builder_t *b, struct layout *l, vlt_err_t *err)
{
	uint32_t n_rackless = 0;
	bool need_cluster = false;

	for (uint32_t i = 0; i < b->n_hosts; i++)
		n_rackless += b->hosts[i].rack == VLT_NONE;
	need_cluster = n_rackless > 0;
	for (uint32_t i = 0; i < b->n_racks && !need_cluster; i++)
		need_cluster = b->racks[i].cluster == VLT_NONE;
	int rc = check_implicit_names(b, need_cluster, err);

	if (rc < 0)
		return rc;
	l->n_clusters = b->n_clusters + (need_cluster ? 1 : 0);
	l->implicit_cluster = need_cluster ? b->n_clusters : VLT_NONE;
	l->n_racks = b->n_racks + n_rackless;

	size_t nr = l->n_racks + 1, nh = b->n_hosts + 1, nc = l->n_clusters + 1;
	uint32_t *count = calloc(nc + 1, sizeof(*count));

	l->rack_of_brack = calloc(b->n_racks + 1, sizeof(*l->rack_of_brack));
	l->rack_of_bhost = calloc(nh, sizeof(*l->rack_of_bhost));
	l->rack_cluster = calloc(nr, sizeof(*l->rack_cluster));
	l->rack_name = calloc(nr, sizeof(*l->rack_name));
	l->rack_uplink = calloc(nr, sizeof(*l->rack_uplink));
	l->rack_implicit = calloc(nr, sizeof(*l->rack_implicit));
	l->host_order = calloc(nh, sizeof(*l->host_order));
	if (count == NULL || l->rack_of_brack == NULL || l->rack_of_bhost == NULL ||
	    l->rack_cluster == NULL || l->rack_name == NULL || l->rack_uplink == NULL ||
	    l->rack_implicit == NULL || l->host_order == NULL) {
		free(count);
		return oom(err);
	}

	/* racks per cluster, then each cluster's first slot */
	for (uint32_t i = 0; i < b->n_racks; i++)
		count[bcluster_final(l, b->racks[i].cluster)]++;
	if (need_cluster)
		count[l->implicit_cluster] += n_rackless;
	uint32_t pos = 0;

	for (uint32_t c = 0; c < l->n_clusters; c++) {
		uint32_t n = count[c];

		count[c] = pos;
		pos += n;
	}
	for (uint32_t i = 0; i < b->n_racks; i++) {
		uint32_t c = bcluster_final(l, b->racks[i].cluster);
		uint32_t r = count[c]++;

		l->rack_of_brack[i] = r;
		l->rack_cluster[r] = c;
		l->rack_name[r] = b->racks[i].name;
		l->rack_uplink[r] = b->racks[i].uplink_mbps;
		l->rack_implicit[r] = false;
	}
	for (uint32_t i = 0; i < b->n_hosts; i++) {
		const struct bhost *h = &b->hosts[i];

		if (h->rack != VLT_NONE) {
			l->rack_of_bhost[i] = l->rack_of_brack[h->rack];
			continue;
		}
		uint32_t r = count[l->implicit_cluster]++;

		l->rack_of_bhost[i] = r;
		l->rack_cluster[r] = l->implicit_cluster;
		l->rack_name[r] = h->name;
		l->rack_uplink[r] = VLT_UNLIMITED;
		l->rack_implicit[r] = true;
	}
	free(count);

	/* hosts by final rack, stable */
	uint32_t *hcount = calloc(nr + 1, sizeof(*hcount));

	if (hcount == NULL)
		return oom(err);
	for (uint32_t i = 0; i < b->n_hosts; i++)
		hcount[l->rack_of_bhost[i]]++;
	pos = 0;
	for (uint32_t r = 0; r < l->n_racks; r++) {
		uint32_t n = hcount[r];

		hcount[r] = pos;
		pos += n;
	}
	for (uint32_t i = 0; i < b->n_hosts; i++)
		l->host_order[hcount[l->rack_of_bhost[i]]++] = i;
	free(hcount);
	return 0;
}

/* Copy s into the model's arena. */
static int dup_into(struct dc_full *f, const char *s, const char **out)
{
	*out = vlt__arena_strdup(&f->arena, s);
	return *out == NULL ? VLT_ENOMEM : 0;
}

/* Copy b->kv[first, first + n) into f->kv at *next; out points at the copy. */
static int dup_pairs(struct dc_full *f, const vlt_dc_builder_t *b, uint32_t first, uint32_t n,
		     uint32_t *next, const vlt_kv_t **out)
{
	const vlt_kv_t *src = n > 0 ? &b->kv[first] : NULL; /* b->kv is NULL when unused */
	vlt_kv_t *dst = &f->kv[*next];

	for (uint32_t i = 0; i < n; i++)
		if (dup_into(f, src[i].key, &dst[i].key) < 0 ||
		    dup_into(f, src[i].value, &dst[i].value) < 0)
			return VLT_ENOMEM;
	*out = n > 0 ? dst : NULL;
	*next += n;
	return 0;
}

/* Intern a zone name: the index in f->azs, adding it when new. */
static int intern_az(struct dc_full *f, struct names *azn, const char *az, uint32_t *id)
{
	uint32_t i = names_get(azn, az);

	if (i == VLT_NONE) {
		i = f->pub.n_azs;
		if (dup_into(f, az, &f->azs[i]) < 0 || names_put(azn, f->azs[i], i) < 0)
			return VLT_ENOMEM;
		f->pub.n_azs++;
	}
	*id = i;
	return 0;
}

static void fill_host_numbers(const vlt_dc_builder_t *b, const struct bhost *bh, vlt_host_t *h)
{
	bool preloaded = false;

	for (int r = 0; r < VLT_RES_COUNT; r++) {
		h->total[r] = bh->total[r];
		h->ratio[r] = bh->ratio[r] > 0.0 ? bh->ratio[r] : b->ratio[r];
		h->standby_pct[r] = b->standby_pct[r];
		h->used[r] = bh->used[r];
		h->capacity[r] = host_capacity(h->total[r], h->ratio[r], h->standby_pct[r],
					       h->used[r]);
		preloaded = preloaded || h->used[r] != 0;
	}
	h->preloaded = preloaded;
	h->nic_mbps = bh->nic_mbps;
	h->enabled = bh->enabled;
}

static int build_hosts(const vlt_dc_builder_t *b, const struct layout *l, struct dc_full *f)
{
	struct names azn = { 0 };
	uint32_t next_agg = 0;
	int rc = 0;

	for (uint32_t i = 0; i < b->n_hosts && rc == 0; i++) {
		const struct bhost *bh = &b->hosts[l->host_order[i]];
		vlt_host_t *h = &f->hosts[i];

		h->id = i;
		h->rack = l->rack_of_bhost[l->host_order[i]];
		h->cluster = l->rack_cluster[h->rack];
		fill_host_numbers(b, bh, h);
		rc = dup_into(f, bh->name, &h->name);
		if (rc == 0)
			rc = intern_az(f, &azn, bh->az != NULL ? bh->az : default_az, &h->az_id);
		if (rc == 0)
			rc = names_put(&f->host_names, h->name, i);
		if (rc < 0)
			break;
		h->az = f->azs[h->az_id];
		if (bh->n_agg > 0) /* b->idx may be NULL otherwise */
			memcpy(&f->host_aggs[next_agg], &b->idx[bh->agg_first],
			       bh->n_agg * sizeof(*f->host_aggs));
		h->aggregates = bh->n_agg > 0 ? &f->host_aggs[next_agg] : NULL;
		h->n_aggregates = bh->n_agg;
		next_agg += bh->n_agg;
	}
	names_free(&azn);
	return rc;
}

/* Count a host into its domain's figures. */
static void domain_add_host(vlt_domain_t *d, const vlt_host_t *h)
{
	if (d->n_hosts == 0)
		d->first_host = h->id;
	d->n_hosts++;
	d->n_preloaded += h->preloaded;
	d->n_enabled += h->enabled;
}

static int build_domains(const vlt_dc_builder_t *b, const struct layout *l, struct dc_full *f)
{
	for (uint32_t c = 0; c < l->n_clusters; c++) {
		vlt_domain_t *d = &f->clusters[c];
		bool implicit = c == l->implicit_cluster;

		d->id = c;
		d->parent = VLT_NONE;
		d->implicit = implicit;
		d->uplink_mbps = implicit ? VLT_UNLIMITED : b->clusters[c].uplink_mbps;
		if (dup_into(f, implicit ? b->name : b->clusters[c].name, &d->name) < 0)
			return VLT_ENOMEM;
	}
	for (uint32_t r = 0; r < l->n_racks; r++) {
		vlt_domain_t *d = &f->racks[r];
		vlt_domain_t *c = &f->clusters[l->rack_cluster[r]];

		d->id = r;
		d->parent = l->rack_cluster[r];
		d->implicit = l->rack_implicit[r];
		d->uplink_mbps = l->rack_uplink[r];
		d->first_rack = r;
		if (dup_into(f, l->rack_name[r], &d->name) < 0)
			return VLT_ENOMEM;
		if (c->n_racks == 0)
			c->first_rack = r;
		c->n_racks++;
	}
	for (uint32_t i = 0; i < f->pub.n_hosts; i++) {
		const vlt_host_t *h = &f->hosts[i];

		domain_add_host(&f->racks[h->rack], h);
		domain_add_host(&f->clusters[h->cluster], h);
	}
	/* Empty domains still get a position: where their hosts would start. */
	uint32_t at = 0;

	for (uint32_t r = 0; r < l->n_racks; r++) {
		if (f->racks[r].n_hosts == 0)
			f->racks[r].first_host = at;
		at = f->racks[r].first_host + f->racks[r].n_hosts;
	}
	at = 0;
	for (uint32_t c = 0; c < l->n_clusters; c++) {
		vlt_domain_t *d = &f->clusters[c];

		if (d->n_racks == 0)
			d->first_rack = c == 0 ? 0 : f->clusters[c - 1].first_rack +
							     f->clusters[c - 1].n_racks;
		if (d->n_hosts == 0)
			d->first_host = at;
		at = d->first_host + d->n_hosts;
	}
	return 0;
}

static int build_catalog(const vlt_dc_builder_t *b, const struct layout *l, struct dc_full *f)
{
	uint32_t next_kv = 0, next_vt = 0;

	for (uint32_t i = 0; i < b->n_aggs; i++) {
		vlt_aggregate_t *a = &f->aggregates[i];

		a->id = i;
		a->n_metadata = b->aggs[i].n;
		if (dup_into(f, b->aggs[i].name, &a->name) < 0 ||
		    dup_pairs(f, b, b->aggs[i].first, a->n_metadata, &next_kv, &a->metadata) < 0)
			return VLT_ENOMEM;
	}
	for (uint32_t i = 0; i < b->n_pools; i++) {
		const struct bpool *bp = &b->pools[i];
		vlt_pool_t *p = &f->pools[i];

		p->id = i;
		p->rack = bp->rack == VLT_NONE ? VLT_NONE : l->rack_of_brack[bp->rack];
		p->cluster = p->rack == VLT_NONE ? VLT_NONE : l->rack_cluster[p->rack];
		p->capacity_gb = bp->capacity_gb;
		p->used_gb = bp->used_gb;
		p->n_volume_types = bp->n_vt;
		p->volume_types = bp->n_vt > 0 ? &f->vol_types[next_vt] : NULL;
		for (uint32_t t = 0; t < bp->n_vt; t++)
			if (dup_into(f, b->strs[bp->vt_first + t], &f->vol_types[next_vt + t]) < 0)
				return VLT_ENOMEM;
		next_vt += bp->n_vt;
		if (dup_into(f, bp->name, &p->name) < 0 || names_put(&f->pool_names, p->name, i) < 0)
			return VLT_ENOMEM;
	}
	for (uint32_t i = 0; i < b->n_flavors; i++) {
		const struct bflavor *bf = &b->flavors[i];
		vlt_flavor_t *fl = &f->flavors[i];

		fl->vcpus = bf->size[VLT_RES_VCPUS];
		fl->ram_mb = bf->size[VLT_RES_RAM_MB];
		fl->disk_gb = bf->size[VLT_RES_DISK_GB];
		fl->n_extra_specs = bf->n_kv;
		if (dup_into(f, bf->name, &fl->name) < 0 ||
		    dup_pairs(f, b, bf->kv_first, bf->n_kv, &next_kv, &fl->extra_specs) < 0 ||
		    names_put(&f->flavor_names, fl->name, i) < 0)
			return VLT_ENOMEM;
	}
	return 0;
}

/* calloc that never returns NULL for n == 0, so "no memory" is unambiguous. */
static void *alloc_array(size_t n, size_t elem)
{
	return calloc(n == 0 ? 1 : n, elem);
}

static int alloc_model(const vlt_dc_builder_t *b, const struct layout *l, struct dc_full *f)
{
	f->hosts = alloc_array(b->n_hosts, sizeof(*f->hosts));
	f->racks = alloc_array(l->n_racks, sizeof(*f->racks));
	f->clusters = alloc_array(l->n_clusters, sizeof(*f->clusters));
	f->aggregates = alloc_array(b->n_aggs, sizeof(*f->aggregates));
	f->pools = alloc_array(b->n_pools, sizeof(*f->pools));
	f->flavors = alloc_array(b->n_flavors, sizeof(*f->flavors));
	f->azs = alloc_array(b->n_hosts, sizeof(*f->azs));
	f->host_aggs = alloc_array(b->n_idx, sizeof(*f->host_aggs));
	f->kv = alloc_array(b->n_kv, sizeof(*f->kv));
	f->vol_types = alloc_array(b->n_strs, sizeof(*f->vol_types));
	if (f->hosts == NULL || f->racks == NULL || f->clusters == NULL || f->aggregates == NULL ||
	    f->pools == NULL || f->flavors == NULL || f->azs == NULL || f->host_aggs == NULL ||
	    f->kv == NULL || f->vol_types == NULL)
		return VLT_ENOMEM;

	vlt_dc_t *d = &f->pub;

	d->hosts = f->hosts;
	d->n_hosts = b->n_hosts;
	d->racks = f->racks;
	d->n_racks = l->n_racks;
	d->clusters = f->clusters;
	d->n_clusters = l->n_clusters;
	d->aggregates = f->aggregates;
	d->n_aggregates = b->n_aggs;
	d->pools = f->pools;
	d->n_pools = b->n_pools;
	d->flavors = f->flavors;
	d->n_flavors = b->n_flavors;
	d->azs = f->azs;
	d->n_azs = 0; /* counted as zones are interned */
	return 0;
}

/*
 * An empty builder (no source had anything to say) gives an empty data
 * center named "", so that valetd starts without an inventory. A builder
 * with content but no name is a fault of the sources.
 */
/* Consumers are part of their host's used: together they cannot exceed it. */
static int check_consumers(const struct dc_full *f, vlt_err_t *err)
{
	static const char *const res[VLT_RES_COUNT] = { "vcpus", "ram_mb", "disk_gb" };

	for (uint32_t i = 0; i < f->n_consumers;) {
		uint32_t h = f->consumers[i].host;
		int64_t sum[VLT_RES_COUNT] = { 0 };

		for (; i < f->n_consumers && f->consumers[i].host == h; i++) {
			for (int r = 0; r < VLT_RES_COUNT; r++)
				sum[r] += f->consumers[i].used[r];
		}
		for (int r = 0; r < VLT_RES_COUNT; r++) {
			if (sum[r] > f->source_used[h][r])
				return vlt_err_set(err, VLT_EINVAL,
						   "host %s: its consumers use %lld %s, more than "
						   "the %lld it has in use",
						   f->hosts[h].name, (long long)sum[r], res[r],
						   (long long)f->source_used[h][r]);
		}
	}
	return 0;
}

static int cmp_consumer(const void *a, const void *b)
{
	const vlt_dc_consumer_t *x = a, *y = b;

	return x->host != y->host ? (x->host < y->host ? -1 : 1) : strcmp(x->id, y->id);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The instance list, copied and sorted for lookups. */
static int build_instances(const vlt_dc_builder_t *b, struct dc_full *f, vlt_err_t *err)
{
	f->instances_known = b->instances_known;
	f->instances = calloc(b->n_instances + 1, sizeof(*f->instances));
	if (f->instances == NULL)
		return oom(err);
	for (uint32_t i = 0; i < b->n_instances; i++) {
		if (dup_into(f, b->instances[i], &f->instances[i]) < 0)
			return oom(err);
	}
	f->n_instances = b->n_instances;
	qsort(f->instances, f->n_instances, sizeof(*f->instances), cmp_str);
	return 0;
}

bool vlt__dc_instances_known(const vlt_dc_t *dc)
{
	return full_of(dc)->instances_known;
}

bool vlt__dc_has_instance(const vlt_dc_t *dc, const char *id)
{
	const struct dc_full *f = full_of(dc);

	return id != NULL && bsearch(&id, f->instances, f->n_instances, sizeof(*f->instances),
				     cmp_str) != NULL;
}

/* The consumers on their hosts; their sum on a host may not exceed its used. */
/* Consumers' extra classes, each on a host that has the class; the capacity they credit. */
static int build_consumer_classes(const vlt_dc_builder_t *b, struct dc_full *f, vlt_err_t *err)
{
	size_t cells = (size_t)f->pub.n_hosts * f->pub.n_classes;

	f->class_source_cap = alloc_array(cells, sizeof(*f->class_source_cap));
	f->consumer_classes = alloc_array(b->n_consumer_classes, sizeof(*f->consumer_classes));
	if (f->class_source_cap == NULL || f->consumer_classes == NULL)
		return oom(err);
	if (cells > 0)
		memcpy(f->class_source_cap, f->class_cap, cells * sizeof(*f->class_cap));
	for (uint32_t i = 0; i < b->n_consumer_classes; i++) {
		const struct bconsumer_class *bc = &b->consumer_classes[i];
		struct dc_consumer_class *c = &f->consumer_classes[i];

		c->host = names_get(&f->host_names, bc->host);
		c->rclass = names_get(&f->class_names, bc->rclass);
		if (c->host == VLT_NONE)
			return vlt_err_set(err, VLT_EINVAL, "consumer %s: no host '%s'", bc->id,
					   bc->host);
		if (c->rclass == VLT_NONE ||
		    vlt__dc_host_class_capacity(&f->pub, c->host, c->rclass) == VLT_CLASS_ABSENT)
			return vlt_err_set(err, VLT_EINVAL,
					   "consumer %s: host %s has no inventory of %s", bc->id,
					   bc->host, bc->rclass);
		if (dup_into(f, bc->id, &c->id) < 0)
			return oom(err);
		c->amount = bc->amount;
	}
	f->n_consumer_classes = b->n_consumer_classes;
	return 0;
}

static int build_consumers(const vlt_dc_builder_t *b, struct dc_full *f, vlt_err_t *err)
{
	f->source_used = calloc(f->pub.n_hosts + 1, sizeof(*f->source_used));
	f->consumers = calloc(b->n_consumers + 1, sizeof(*f->consumers));
	if (f->source_used == NULL || f->consumers == NULL)
		return oom(err);
	for (uint32_t h = 0; h < f->pub.n_hosts; h++)
		memcpy(f->source_used[h], f->hosts[h].used, sizeof(f->source_used[h]));
	for (uint32_t i = 0; i < b->n_consumers; i++) {
		const struct bconsumer *bc = &b->consumers[i];
		vlt_dc_consumer_t *c = &f->consumers[i];

		c->host = names_get(&f->host_names, bc->host);
		if (c->host == VLT_NONE)
			return vlt_err_set(err, VLT_EINVAL, "consumer %s: no host '%s'", bc->id,
					   bc->host);
		if (dup_into(f, bc->id, &c->id) < 0)
			return oom(err);
		memcpy(c->used, bc->used, sizeof(c->used));
	}
	f->n_consumers = b->n_consumers;
	qsort(f->consumers, f->n_consumers, sizeof(*f->consumers), cmp_consumer);
	int rc = check_consumers(f, err);

	return rc == 0 ? build_consumer_classes(b, f, err) : rc;
}

/*
 * Every host's trait names, sorted and once each, as the trait table: ids
 * then follow the names' order, so a host's list (sorted by name in the
 * builder) maps to sorted ids, and listing ids lists names alphabetically.
 */
static int build_trait_names(const vlt_dc_builder_t *b, struct dc_full *f, uint32_t n_all)
{
	const char **all = alloc_array(n_all, sizeof(*all));
	uint32_t n = 0;

	if (all == NULL)
		return VLT_ENOMEM;
	for (uint32_t i = 0; i < b->n_hosts; i++)
		for (uint32_t t = 0; t < b->hosts[i].n_traits; t++)
			all[n++] = b->hosts[i].traits[t];
	qsort(all, n, sizeof(*all), cmp_str);
	for (uint32_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(all[i], all[i - 1]) == 0)
			continue;
		if (dup_into(f, all[i], &f->trait_name[f->n_traits]) < 0 ||
		    names_put(&f->trait_names, f->trait_name[f->n_traits], f->n_traits) < 0) {
			free(all);
			return VLT_ENOMEM;
		}
		f->n_traits++;
	}
	free(all);
	return 0;
}

/* Every host's extra class names, sorted and once each, as the class table. */
static int build_class_names(const vlt_dc_builder_t *b, struct dc_full *f)
{
	uint32_t n_all = 0, n = 0;

	for (uint32_t i = 0; i < b->n_hosts; i++)
		n_all += b->hosts[i].n_classes;
	const char **all = alloc_array(n_all, sizeof(*all));

	f->class_name = alloc_array(n_all, sizeof(*f->class_name));
	if (all == NULL || f->class_name == NULL) {
		free(all);
		return VLT_ENOMEM;
	}
	for (uint32_t i = 0; i < b->n_hosts; i++)
		for (uint32_t c = 0; c < b->hosts[i].n_classes; c++)
			all[n++] = b->hosts[i].classes[c].name;
	qsort(all, n, sizeof(*all), cmp_str);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = f->pub.n_classes;

		if (i > 0 && strcmp(all[i], all[i - 1]) == 0)
			continue;
		if (dup_into(f, all[i], &f->class_name[id]) < 0 ||
		    names_put(&f->class_names, f->class_name[id], id) < 0) {
			free(all);
			return VLT_ENOMEM;
		}
		f->pub.n_classes++;
	}
	f->pub.classes = f->class_name;
	free(all);
	return 0;
}

/* Each host's capacity and limits of every extra class, in final host order. */
static int build_host_classes(const vlt_dc_builder_t *b, const struct layout *l,
			      struct dc_full *f)
{
	uint32_t nc;
	size_t cells;

	if (build_class_names(b, f) < 0)
		return VLT_ENOMEM;
	nc = f->pub.n_classes;
	cells = (size_t)f->pub.n_hosts * nc;
	f->class_cap = alloc_array(cells, sizeof(*f->class_cap));
	f->class_limits = alloc_array(cells, sizeof(*f->class_limits));
	if (f->class_cap == NULL || f->class_limits == NULL)
		return VLT_ENOMEM;
	for (size_t i = 0; i < cells; i++)
		f->class_cap[i] = VLT_CLASS_ABSENT;
	for (uint32_t h = 0; h < f->pub.n_hosts; h++) {
		const struct bhost *bh = &b->hosts[l->host_order[h]];

		for (uint32_t c = 0; c < bh->n_classes; c++) {
			const vlt_class_inventory_t *inv = &bh->classes[c].inv;
			size_t at = (size_t)h * nc + names_get(&f->class_names, bh->classes[c].name);

			f->class_cap[at] =
				host_capacity(inv->total - inv->reserved, inv->ratio, 0.0, inv->used);
			f->class_limits[at] = inv->limits;
		}
	}
	return 0;
}

static bool limits_given(const vlt_unit_limits_t lim[VLT_RES_COUNT])
{
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (lim[r].min_unit > 0 || lim[r].max_unit > 0 || lim[r].step_size > 0)
			return true;
	return false;
}

/* Each host's limits, uuid and traits (as sorted ids), in final host order. */
static int build_host_extras(const vlt_dc_builder_t *b, const struct layout *l,
			     struct dc_full *f)
{
	uint32_t n = f->pub.n_hosts, n_all = 0;

	for (uint32_t i = 0; i < b->n_hosts; i++)
		n_all += b->hosts[i].n_traits;
	f->limits = alloc_array(n, sizeof(*f->limits));
	f->uuids = alloc_array(n, sizeof(*f->uuids));
	f->trait_first = alloc_array(n, sizeof(*f->trait_first));
	f->trait_count = alloc_array(n, sizeof(*f->trait_count));
	f->host_traits = alloc_array(n_all, sizeof(*f->host_traits));
	f->trait_name = alloc_array(n_all, sizeof(*f->trait_name));
	if (f->limits == NULL || f->uuids == NULL || f->trait_first == NULL ||
	    f->trait_count == NULL || f->host_traits == NULL || f->trait_name == NULL ||
	    build_trait_names(b, f, n_all) < 0 || build_host_classes(b, l, f) < 0)
		return VLT_ENOMEM;
	uint32_t next = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct bhost *bh = &b->hosts[l->host_order[i]];

		memcpy(f->limits[i], bh->limits, sizeof(f->limits[i]));
		f->any_limits = f->any_limits || limits_given(bh->limits);
		if (bh->uuid != NULL && dup_into(f, bh->uuid, &f->uuids[i]) < 0)
			return VLT_ENOMEM;
		f->trait_first[i] = next;
		f->trait_count[i] = bh->n_traits;
		for (uint32_t t = 0; t < bh->n_traits; t++)
			f->host_traits[next++] = names_get(&f->trait_names, bh->traits[t]);
	}
	return 0;
}

int vlt__dc_build(vlt_dc_builder_t *b, vlt_dc_t **dc, vlt_err_t *err)
{
	*dc = NULL;
	if (b->name == NULL && !builder_is_empty(b))
		return vlt_err_set(err, VLT_EINVAL, "the data center has no name");

	struct layout l = { 0 };
	int rc = layout_make(b, &l, err);

	if (rc < 0) {
		layout_free(&l);
		return rc;
	}
	struct dc_full *f = calloc(1, sizeof(*f));

	rc = f == NULL ? VLT_ENOMEM : alloc_model(b, &l, f);
	if (rc == 0)
		rc = dup_into(f, b->name != NULL ? b->name : "", &f->pub.name);
	if (rc == 0)
		rc = build_hosts(b, &l, f);
	if (rc == 0)
		rc = build_domains(b, &l, f);
	if (rc == 0)
		rc = build_catalog(b, &l, f);
	if (rc == 0)
		rc = build_host_extras(b, &l, f);
	layout_free(&l);
	if (rc < 0) {
		if (f != NULL)
			vlt__dc_free(&f->pub);
		return vlt_err_set(err, rc, "building the data center: %s", vlt_strerror(rc));
	}
	rc = build_consumers(b, f, err);
	if (rc == 0)
		rc = build_instances(b, f, err);
	if (rc < 0) {
		vlt__dc_free(&f->pub);
		return rc;
	}
	*dc = &f->pub;
	return 0;
}
