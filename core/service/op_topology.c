/*
 * op_topology.c - GET /v1/topology: the data center in use as clusters,
 * racks and hosts, with what each host can give, what is used outside
 * Valet, what plans hold and what is free, and the domains exclusivity
 * groups hold. Read-only; the dashboard draws its heat map from it
 * (docs/api.md, "Topology").
 *
 * A domain is held exclusively when servers of an exclusivity group of its
 * level sit in it (the ledger's per-policy residents, the count the policy
 * itself decides on). The groups are named when the service knows them as
 * named groups (GET /v1/groups, retired ones included); one a plan made
 * inline is counted but not named.
 */
#include <stdlib.h>
#include <string.h>

#include "dc.h"
#include "ledger.h"
#include "ops.h"
#include "stack.h"

#define EXCLUSIVITY "exclusivity"

struct topo {
	const vlt_engine_view_t *v;
	vlt_service_t *s;
	uint32_t excl; /* the exclusivity policy's index, VLT_NONE when not loaded */
	/* per level, per domain: the names of the exclusivity groups holding it (owned), or NULL */
	json_t **names[VLT_LEVEL_DC];
};

/* Append item (a new reference, may be NULL) to *arr; on failure *arr is freed and NULL. */
static void append_or_drop(json_t **arr, json_t *item)
{
	if (json_array_append_new(*arr, item) != 0) {
		json_decref(*arr);
		*arr = NULL;
	}
}

static uint32_t exclusivity_policy(const vlt_modules_t *mods)
{
	for (size_t i = 0; i < mods->n_policies; i++)
		if (strcmp(mods->policies[i].name, EXCLUSIVITY) == 0)
			return (uint32_t)i;
	return VLT_NONE;
}

/* Note group g (a named group's document) in every domain of its level that holds its members. */
static int note_group(struct topo *t, const json_t *g)
{
	const char *type = json_string_value(json_object_get(g, "type"));
	const char *name = json_string_value(json_object_get(g, "name"));
	const char *level = json_string_value(json_object_get(g, "level"));
	int lvl = level != NULL ? vlt__level_parse(level) : -1;

	if (type == NULL || name == NULL || lvl < 0 || strcmp(type, EXCLUSIVITY) != 0)
		return 0;
	const vlt_occ_t *o = vlt__strmap_get(&t->v->ledger->occs, name);
	const vlt_countmap_t *at = o != NULL ? &o->at[lvl] : NULL;

	for (uint32_t i = 0; at != NULL && i < at->cap; i++) {
		uint32_t d = at->keys[i];
		json_t **slot;

		if (d == VLT_NONE || at->vals[i] == 0 || d >= vlt_level_size(t->v->dc, lvl))
			continue;
		slot = &t->names[lvl][d];
		if (*slot == NULL && (*slot = json_array()) == NULL)
			return VLT_ENOMEM;
		if (json_array_append_new(*slot, json_string(name)) != 0)
			return VLT_ENOMEM;
	}
	return 0;
}

static int collect_names(struct topo *t)
{
	const char *key;
	size_t i;
	json_t *g;

	for (int lvl = 0; lvl < VLT_LEVEL_DC; lvl++) {
		size_t n = vlt_level_size(t->v->dc, lvl);
		t->names[lvl] = calloc(n > 0 ? n : 1, sizeof(json_t *));
		if (t->names[lvl] == NULL)
			return VLT_ENOMEM;
	}
	json_array_foreach(t->s->st.groups, i, g)
		if (note_group(t, g) < 0)
			return VLT_ENOMEM;
	json_object_foreach(t->s->st.retired, key, g)
		if (note_group(t, g) < 0)
			return VLT_ENOMEM;
	return 0;
}

static void free_names(struct topo *t)
{
	for (int lvl = 0; lvl < VLT_LEVEL_DC; lvl++) {
		size_t n = t->names[lvl] != NULL ? vlt_level_size(t->v->dc, lvl) : 0;
		for (size_t d = 0; d < n; d++)
			json_decref(t->names[lvl][d]);
		free(t->names[lvl]);
	}
}

/* {"servers": N, "groups": [...]} when exclusivity holds domain d of level lvl, else null. */
static json_t *exclusive_doc(const struct topo *t, vlt_level_t lvl, uint32_t d)
{
	uint32_t n = t->excl == VLT_NONE ? 0 :
		t->v->ledger->policy_res[t->excl * VLT_LEVEL_DC + lvl][d];

	if (n == 0)
		return json_null();
	json_t *names = t->names[lvl][d];
	return json_pack("{s:I, s:o}", "servers", (json_int_t)n, "groups",
			 names != NULL ? json_incref(names) : json_array());
}

/* One resource of a host: allocatable = used outside Valet + held by plans + free. */
static json_t *resource_doc(const vlt_host_t *h, const int64_t *free_now, int r)
{
	int64_t allocatable = h->capacity[r] + h->used[r];

	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)h->total[r],
			 "allocatable", (json_int_t)allocatable, "used", (json_int_t)h->used[r],
			 "held", (json_int_t)(h->capacity[r] - free_now[r]), "free",
			 (json_int_t)free_now[r]);
}

static json_t *host_doc(const struct topo *t, uint32_t hi)
{
	const vlt_host_t *h = &t->v->dc->hosts[hi];
	const vlt_ledger_t *l = t->v->ledger;
	json_t *res = json_object();

	for (int r = 0; res != NULL && r < VLT_RES_COUNT; r++) {
		if (json_object_set_new(res, vlt__dc_res_name(r),
					resource_doc(h, l->host_free[hi], r)) != 0) {
			json_decref(res);
			return NULL;
		}
	}
	return json_pack("{s:s, s:s, s:b, s:I, s:o, s:o}", "name", h->name, "availability_zone",
			 h->az, "enabled", h->enabled, "servers",
			 (json_int_t)l->residents[VLT_LEVEL_HOST][hi], "resources", res, "exclusive",
			 exclusive_doc(t, VLT_LEVEL_HOST, hi));
}

/* A rack or a cluster: its name, whether the core made it, its exclusivity, and children. */
static json_t *domain_doc(const struct topo *t, vlt_level_t lvl, const vlt_domain_t *d,
			  const char *children_key, json_t *children)
{
	if (children == NULL)
		return NULL;
	return json_pack("{s:s, s:b, s:o, s:o}", "name", d->name, "implicit", d->implicit,
			 "exclusive", exclusive_doc(t, lvl, d->id), children_key, children);
}

static json_t *rack_doc(const struct topo *t, const vlt_domain_t *rack)
{
	json_t *hosts = json_array();

	for (uint32_t h = rack->first_host; hosts != NULL && h < rack->first_host + rack->n_hosts;
	     h++)
		append_or_drop(&hosts, host_doc(t, h));
	return domain_doc(t, VLT_LEVEL_RACK, rack, "hosts", hosts);
}

static json_t *cluster_doc(const struct topo *t, const vlt_domain_t *c)
{
	json_t *racks = json_array();

	for (uint32_t r = c->first_rack; racks != NULL && r < c->first_rack + c->n_racks; r++)
		append_or_drop(&racks, rack_doc(t, &t->v->dc->racks[r]));
	return domain_doc(t, VLT_LEVEL_CLUSTER, c, "racks", racks);
}

static json_t *pools_doc(const struct topo *t)
{
	const vlt_dc_t *dc = t->v->dc;
	json_t *pools = json_array();

	for (uint32_t i = 0; pools != NULL && i < dc->n_pools; i++) {
		const vlt_pool_t *p = &dc->pools[i];
		json_t *doc = json_pack(
			"{s:s, s:s?, s:s?, s:I, s:I, s:I}", "name", p->name, "rack",
			p->rack != VLT_NONE ? dc->racks[p->rack].name : NULL, "cluster",
			p->cluster != VLT_NONE ? dc->clusters[p->cluster].name : NULL, "capacity_gb",
			(json_int_t)p->capacity_gb, "used_gb", (json_int_t)p->used_gb, "free_gb",
			(json_int_t)t->v->ledger->pool_free_gb[i]);
		append_or_drop(&pools, doc);
	}
	return pools;
}

static json_t *topology_doc(const struct topo *t)
{
	const vlt_dc_t *dc = t->v->dc;
	json_t *clusters = json_array();
	json_t *resources = json_array();

	for (int r = 0; resources != NULL && r < VLT_RES_COUNT; r++)
		append_or_drop(&resources, json_string(vlt__dc_res_name(r)));
	for (uint32_t c = 0; clusters != NULL && c < dc->n_clusters; c++)
		append_or_drop(&clusters, cluster_doc(t, &dc->clusters[c]));
	json_t *pools = pools_doc(t);
	if (clusters == NULL || resources == NULL || pools == NULL) {
		json_decref(clusters);
		json_decref(resources);
		json_decref(pools);
		return NULL;
	}
	return json_pack("{s:{s:s, s:o, s:I, s:I, s:I, s:o, s:o}}", "topology", "datacenter",
			 dc->name, "resources", resources, "hosts", (json_int_t)dc->n_hosts, "racks",
			 (json_int_t)dc->n_racks, "servers", (json_int_t)t->v->ledger->residents_total,
			 "clusters", clusters, "pools", pools);
}

struct topo_call {
	vlt_service_t *s;
	json_t *doc;
};

static int build(const vlt_engine_view_t *v, void *ctx, vlt_err_t *err)
{
	struct topo_call *call = ctx;
	struct topo t = { .v = v, .s = call->s, .excl = exclusivity_policy(v->mods) };
	int rc = collect_names(&t);

	if (rc == 0)
		call->doc = topology_doc(&t);
	free_names(&t);
	if (call->doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "topology: out of memory");
	return 0;
}

int vlt__service_topology(vlt_service_t *s, json_t **topology, vlt_err_t *err)
{
	struct topo_call call = { .s = s };
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	rc = vlt__engine_inspect(s->engine, build, &call, err);
	vlt__svc_read_end(s);
	if (rc == 0)
		*topology = call.doc;
	return rc;
}
