/*
 * nova_read.c - the nova source's requests: hypervisors, compute services,
 * aggregates and flavors from Nova; each compute node's inventories and
 * usages from Placement, and which providers have the traits flavors ask.
 */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nova_read.h"

static const char *const placement_hdr[] = { "OpenStack-API-Version: " NOVA_PLACEMENT_VERSION,
					     NULL };
static const char *const compute_hdr[] = { "OpenStack-API-Version: " NOVA_COMPUTE_VERSION,
					   "X-OpenStack-Nova-API-Version: 2.61", NULL };

/* Placement's resource classes, in the model's resource order. */
static const char *const resource_class[VLT_RES_COUNT] = { "VCPU", "MEMORY_MB", "DISK_GB" };

static char *dup_str(const json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL ? strdup(s) : NULL;
}

static void free_strs(char **v, uint32_t n)
{
	for (uint32_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static void free_kvs(vlt_kv_t *kv, uint32_t n)
{
	for (uint32_t i = 0; kv != NULL && i < n; i++) {
		free((char *)kv[i].key);
		free((char *)kv[i].value);
	}
	free(kv);
}

/* An object of strings as key-value pairs (values that are not strings become their JSON). */
static int kvs_of(const json_t *obj, vlt_kv_t **out, uint32_t *n)
{
	const char *k;
	json_t *v;
	uint32_t i = 0;

	*out = calloc(json_object_size(obj) + 1, sizeof(**out));
	*n = 0;
	if (*out == NULL)
		return VLT_ENOMEM;
	json_object_foreach((json_t *)obj, k, v) {
		char *text = json_is_string(v) ? strdup(json_string_value(v))
					       : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		(*out)[i].key = strdup(k);
		(*out)[i].value = text;
		i++;
		if ((*out)[i - 1].key == NULL || text == NULL) {
			free_kvs(*out, i);
			*out = NULL;
			return VLT_ENOMEM;
		}
	}
	*n = i;
	return 0;
}

static int strs_of(const json_t *arr, char ***out, uint32_t *n)
{
	size_t i;
	json_t *v;

	*out = calloc(json_array_size(arr) + 1, sizeof(**out));
	*n = 0;
	if (*out == NULL)
		return VLT_ENOMEM;
	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && ((*out)[(*n)++] = strdup(json_string_value(v))) == NULL)
			return VLT_ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------- hosts */

/* Why Nova will not build on this host, or NULL (compute service s, hypervisor h). */
static const char *why_disabled(const json_t *svc, const json_t *hyp)
{
	const char *status = json_string_value(json_object_get(svc, "status"));
	const char *state = json_string_value(json_object_get(svc, "state"));

	if (svc == NULL)
		return "no nova-compute service";
	if (status != NULL && strcmp(status, "enabled") != 0)
		return "compute service disabled";
	if (json_is_true(json_object_get(svc, "forced_down")))
		return "compute service forced down";
	if (state != NULL && strcmp(state, "up") != 0)
		return "compute service down";
	status = json_string_value(json_object_get(hyp, "status"));
	state = json_string_value(json_object_get(hyp, "state"));
	if (status != NULL && strcmp(status, "enabled") != 0)
		return "hypervisor disabled";
	if (state != NULL && strcmp(state, "up") != 0)
		return "hypervisor down";
	return NULL;
}

/* The index of class name among h's other classes, or VLT_NONE. */
static uint32_t class_index(const nova_host_t *h, const char *name)
{
	for (uint32_t c = 0; c < h->n_classes; c++)
		if (strcmp(h->classes[c].name, name) == 0)
			return c;
	return VLT_NONE;
}

/* What consumer k is allocated of h's other classes (res: its "resources"). */
static int fill_consumer_classes(nova_host_t *h, nova_consumer_t *k, const json_t *res,
				 vlt_err_t *err)
{
	const char *name;
	json_t *v;

	if ((k->classes = calloc(json_object_size(res) + 1, sizeof(*k->classes))) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_object_foreach((json_t *)res, name, v) {
		uint32_t c = class_index(h, name);

		if (c == VLT_NONE || !json_is_integer(v))
			continue;
		k->classes[k->n_classes++] = (nova_amount_t){ c, json_integer_value(v) };
		h->classes[c].inv.used += json_integer_value(v);
	}
	return 0;
}

/* h's allocations by consumer, from its provider's GET .../allocations. */
static int fill_allocations(nova_host_t *h, const json_t *doc, vlt_err_t *err)
{
	const json_t *all = json_object_get(doc, "allocations");
	const char *id;
	json_t *a;

	if ((h->consumers = calloc(json_object_size(all) + 1, sizeof(*h->consumers))) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_object_foreach((json_t *)all, id, a) {
		nova_consumer_t *k = &h->consumers[h->n_consumers++];
		const json_t *res = json_object_get(a, "resources");

		if ((k->id = strdup(id)) == NULL)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
		for (int r = 0; r < VLT_RES_COUNT; r++) {
			k->used[r] = json_integer_value(json_object_get(res, resource_class[r]));
			h->inv[r].used += k->used[r];
		}
		if (h->n_classes > 0 && fill_consumer_classes(h, k, res, err) < 0)
			return VLT_ENOMEM;
	}
	return 0;
}

/* One of Placement's inventories (i: an object, or NULL when absent). */
static void read_inventory(nova_inventory_t *n, const json_t *i)
{
	n->present = json_is_object(i);
	n->total = json_integer_value(json_object_get(i, "total"));
	n->reserved = json_integer_value(json_object_get(i, "reserved"));
	n->min_unit = json_integer_value(json_object_get(i, "min_unit"));
	n->max_unit = json_integer_value(json_object_get(i, "max_unit"));
	n->step_size = json_integer_value(json_object_get(i, "step_size"));
	n->allocation_ratio = json_number_value(json_object_get(i, "allocation_ratio"));
}

static bool is_standard(const char *name)
{
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (strcmp(name, resource_class[r]) == 0)
			return true;
	return false;
}

/* Every class of the provider's inventories but the three of the model. */
static int fill_classes(nova_host_t *h, const json_t *all)
{
	const char *name;
	json_t *i;

	if ((h->classes = calloc(json_object_size(all) + 1, sizeof(*h->classes))) == NULL)
		return VLT_ENOMEM;
	json_object_foreach((json_t *)all, name, i) {
		nova_class_t *c = &h->classes[h->n_classes];

		if (is_standard(name) || !json_is_object(i))
			continue;
		if ((c->name = strdup(name)) == NULL)
			return VLT_ENOMEM;
		read_inventory(&c->inv, i);
		h->n_classes++;
	}
	return 0;
}

/*
 * h's inventories, from its provider's GET .../inventories. *any: has it
 * one of the three classes that make a compute host?
 */
static int fill_inventory(nova_host_t *h, const json_t *doc, bool *any, vlt_err_t *err)
{
	const json_t *all = json_object_get(doc, "inventories");

	*any = false;
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		read_inventory(&h->inv[r], json_object_get(all, resource_class[r]));
		*any = *any || h->inv[r].present;
	}
	if (*any && fill_classes(h, all) < 0)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return 0;
}

/* The items of list by their member field (a string): a new object; later items win. */
static json_t *index_by(const json_t *list, const char *field)
{
	json_t *map = json_object();
	size_t i;
	json_t *item;

	json_array_foreach(list, i, item) {
		const char *key = json_string_value(json_object_get(item, field));

		if (map != NULL && key != NULL)
			json_object_set(map, key, item);
	}
	return map;
}

static int host_of(const json_t *hyp, const json_t *svc_map, nova_host_t *h, vlt_err_t *err)
{
	const json_t *svc_of_hyp = json_object_get(hyp, "service");
	const char *host = json_string_value(json_object_get(svc_of_hyp, "host"));
	const json_t *svc = host != NULL ? json_object_get(svc_map, host) : NULL;
	const char *why = why_disabled(svc, hyp);

	h->name = host != NULL ? strdup(host) : NULL;
	h->rp_uuid = dup_str(json_object_get(hyp, "id"));
	h->hypervisor = dup_str(json_object_get(hyp, "hypervisor_hostname"));
	h->enabled = why == NULL;
	h->why_disabled = why != NULL ? strdup(why) : NULL;
	if (h->name == NULL || h->rp_uuid == NULL || h->hypervisor == NULL)
		return vlt_err_set(err, VLT_EBACKEND,
				   "Nova: a hypervisor without id, host or hypervisor_hostname");
	return 0;
}

#define NO_HYPERVISOR "no Nova hypervisor names this resource provider"

/*
 * A root provider no hypervisor names (a compute node Nova lost, or one
 * registered in Placement alone): a candidate host named as the provider,
 * disabled, kept only if it has compute inventory (keep_orphans).
 */
static int orphan_of(const json_t *rp, nova_host_t *h, vlt_err_t *err)
{
	h->name = dup_str(json_object_get(rp, "name"));
	h->rp_uuid = dup_str(json_object_get(rp, "uuid"));
	h->orphan = true;
	h->enabled = false;
	h->why_disabled = strdup(NO_HYPERVISOR);
	if (h->name == NULL || h->rp_uuid == NULL || h->why_disabled == NULL)
		return vlt_err_set(err, VLT_EBACKEND,
				   "Placement: a resource provider without name or uuid");
	return 0;
}

/* The root providers of Placement's list that no hypervisor (hyp_ids: by id) names. */
static json_t *orphan_roots(const json_t *providers, const json_t *hyp_ids)
{
	json_t *out = json_array();
	size_t i;
	json_t *rp;

	json_array_foreach(providers, i, rp) {
		const char *uuid = json_string_value(json_object_get(rp, "uuid"));

		if (out != NULL && uuid != NULL && json_object_get(hyp_ids, uuid) == NULL &&
		    json_is_null(json_object_get(rp, "parent_provider_uuid")))
			json_array_append(out, rp);
	}
	return out;
}

/*
 * Every candidate host's inventories and allocations: two GETs per
 * provider, os_get_many's parallel at a time. A hypervisor's provider
 * that is not there is an error; an orphan's (deleted since the list)
 * is dropped.
 */
static int read_providers(os_client_t *c, nova_cloud_t *cloud, bool *keep, vlt_err_t *err)
{
	size_t n = (size_t)cloud->n_hosts * 2;
	char **paths = calloc(n + 1, sizeof(*paths));
	json_t **docs = calloc(n + 1, sizeof(*docs));
	int rc = paths != NULL && docs != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	for (uint32_t i = 0; rc == 0 && i < cloud->n_hosts; i++) {
		const char *uuid = cloud->hosts[i].rp_uuid;

		if (asprintf(&paths[2 * i], "/resource_providers/%s/inventories", uuid) < 0 ||
		    asprintf(&paths[2 * i + 1], "/resource_providers/%s/allocations", uuid) < 0)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = os_get_many(c, "placement", (const char *const *)paths, n, placement_hdr,
				 OS_MISSING_OK, docs, err);
	for (uint32_t i = 0; rc == 0 && i < cloud->n_hosts; i++) {
		nova_host_t *h = &cloud->hosts[i];
		bool there = docs[2 * i] != NULL && docs[2 * i + 1] != NULL;

		if (!there && !h->orphan)
			rc = vlt_err_set(err, VLT_ENOENT,
					 "Placement: no resource provider %s for Nova's hypervisor "
					 "%s (host %s)",
					 h->rp_uuid, h->hypervisor, h->name);
		bool compute = false;

		if (rc == 0 && there)
			rc = fill_inventory(h, docs[2 * i], &compute, err);
		keep[i] = there && (compute || !h->orphan);
		if (rc == 0 && keep[i])
			rc = fill_allocations(h, docs[2 * i + 1], err);
	}
	for (size_t i = 0; i < n; i++) {
		free(paths != NULL ? paths[i] : NULL);
		json_decref(docs != NULL ? docs[i] : NULL);
	}
	free(paths);
	free(docs);
	return rc;
}

static void host_free(nova_host_t *h)
{
	free(h->name);
	free(h->rp_uuid);
	free(h->hypervisor);
	free(h->why_disabled);
	free(h->az);
	free_strs(h->aggregates, h->n_aggregates);
	for (uint32_t k = 0; h->consumers != NULL && k < h->n_consumers; k++) {
		free(h->consumers[k].id);
		free(h->consumers[k].classes);
	}
	free(h->consumers);
	for (uint32_t c = 0; h->classes != NULL && c < h->n_classes; c++)
		free(h->classes[c].name);
	free(h->classes);
	free_strs(h->traits, h->n_traits);
	memset(h, 0, sizeof(*h));
}

/* Is name a host before index at (a hypervisor's host, or an orphan kept)? */
static bool name_taken(const nova_cloud_t *cloud, uint32_t at, const char *name)
{
	for (uint32_t i = 0; i < at; i++) {
		if (strcmp(cloud->hosts[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Drop the candidates not kept (and orphans named as a host already), keeping the order. */
static void keep_hosts(nova_cloud_t *cloud, const bool *keep, const vlt_core_t *core)
{
	uint32_t out = 0, n_orphans = 0;

	for (uint32_t i = 0; i < cloud->n_hosts; i++) {
		nova_host_t *h = &cloud->hosts[i];
		bool k = keep[i];

		if (k && h->orphan && name_taken(cloud, out, h->name)) {
			vlt_log_warn(core, "Placement: resource provider %s is named %s, as a "
					   "compute host is; left out",
				     h->rp_uuid, h->name);
			k = false;
		}
		if (!k) {
			host_free(h);
			continue;
		}
		n_orphans += h->orphan;
		if (out != i) {
			cloud->hosts[out] = *h;
			memset(h, 0, sizeof(*h));
		}
		out++;
	}
	cloud->n_hosts = out;
	if (n_orphans > 0)
		vlt_log_info(core, "Placement: %u root providers with compute inventory that no "
				   "Nova hypervisor names; their hosts are disabled",
			     n_orphans);
}

/* One candidate host per hypervisor, then per orphan root provider (uninitialised reads). */
static int list_hosts(nova_cloud_t *cloud, const json_t *hyps, const json_t *orphans,
		      const json_t *svc_map, vlt_err_t *err)
{
	size_t n = json_array_size(hyps) + json_array_size(orphans);
	int rc = 0;

	if ((cloud->hosts = calloc(n + 1, sizeof(*cloud->hosts))) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < json_array_size(hyps); i++)
		rc = host_of(json_array_get(hyps, i), svc_map, &cloud->hosts[cloud->n_hosts++], err);
	for (size_t i = 0; rc == 0 && i < json_array_size(orphans); i++)
		rc = orphan_of(json_array_get(orphans, i), &cloud->hosts[cloud->n_hosts++], err);
	return rc;
}

static int read_hosts(os_client_t *c, const vlt_core_t *core, nova_cloud_t *cloud,
		      vlt_err_t *err)
{
	json_t *hyps = NULL, *svcs = NULL, *svc_map = NULL, *rps = NULL, *hyp_ids = NULL,
	       *orphans = NULL;
	bool *keep = NULL;
	int rc = os_get_all(c, "compute", "/os-hypervisors/detail", "hypervisors", "id",
			    compute_hdr, &hyps, err);

	if (rc == 0)
		rc = os_get(c, "compute", "/os-services?binary=nova-compute", compute_hdr, &svcs,
			    err);
	if (rc == 0)
		rc = os_get(c, "placement", "/resource_providers", placement_hdr, &rps, err);
	if (rc == 0 &&
	    ((svc_map = index_by(json_object_get(svcs, "services"), "host")) == NULL ||
	     (hyp_ids = index_by(hyps, "id")) == NULL ||
	     (orphans = orphan_roots(json_object_get(rps, "resource_providers"), hyp_ids)) ==
		     NULL))
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = list_hosts(cloud, hyps, orphans, svc_map, err);
	if (rc == 0 && (keep = calloc(cloud->n_hosts + 1, sizeof(*keep))) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = read_providers(c, cloud, keep, err);
	if (rc == 0)
		keep_hosts(cloud, keep, core);
	free(keep);
	json_decref(hyps);
	json_decref(svcs);
	json_decref(svc_map);
	json_decref(rps);
	json_decref(hyp_ids);
	json_decref(orphans);
	return rc;
}

/* ---------------------------------------------------------------- aggregates, flavors */

static int read_aggregates(os_client_t *c, nova_cloud_t *cloud, vlt_err_t *err)
{
	json_t *doc = NULL;
	int rc = os_get(c, "compute", "/os-aggregates", compute_hdr, &doc, err);
	const json_t *list = json_object_get(doc, "aggregates");

	if (rc == 0 &&
	    (cloud->aggregates = calloc(json_array_size(list) + 1, sizeof(*cloud->aggregates))) ==
		    NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		const json_t *a = json_array_get(list, i);
		nova_aggregate_t *g = &cloud->aggregates[cloud->n_aggregates++];

		g->name = dup_str(json_object_get(a, "name"));
		g->az = dup_str(json_object_get(a, "availability_zone"));
		if (g->name == NULL ||
		    kvs_of(json_object_get(a, "metadata"), &g->metadata, &g->n_metadata) < 0 ||
		    strs_of(json_object_get(a, "hosts"), &g->hosts, &g->n_hosts) < 0)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	json_decref(doc);
	return rc;
}

static int read_flavors(os_client_t *c, nova_cloud_t *cloud, vlt_err_t *err)
{
	json_t *list = NULL;
	/* is_public=None: private flavors too (an admin sees them all) */
	int rc = os_get_all(c, "compute", "/flavors/detail?is_public=None", "flavors", "id",
			    compute_hdr, &list, err);

	if (rc == 0 &&
	    (cloud->flavors = calloc(json_array_size(list) + 1, sizeof(*cloud->flavors))) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		const json_t *f = json_array_get(list, i);
		nova_flavor_t *fl = &cloud->flavors[cloud->n_flavors++];

		fl->name = dup_str(json_object_get(f, "name"));
		fl->vcpus = json_integer_value(json_object_get(f, "vcpus"));
		fl->ram_mb = json_integer_value(json_object_get(f, "ram"));
		fl->disk_gb = json_integer_value(json_object_get(f, "disk"));
		fl->is_public = !json_is_false(json_object_get(f, "os-flavor-access:is_public"));
		if (fl->name == NULL ||
		    kvs_of(json_object_get(f, "extra_specs"), &fl->extra_specs,
			   &fl->n_extra_specs) < 0)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	json_decref(list);
	return rc;
}

/* Each host's zone and aggregate names, from the aggregates that list it. */
static int link_aggregates(nova_cloud_t *cloud)
{
	for (uint32_t i = 0; i < cloud->n_hosts; i++) {
		nova_host_t *h = &cloud->hosts[i];

		h->aggregates = calloc(cloud->n_aggregates + 1, sizeof(*h->aggregates));
		if (h->aggregates == NULL)
			return VLT_ENOMEM;
		for (uint32_t a = 0; a < cloud->n_aggregates; a++) {
			const nova_aggregate_t *g = &cloud->aggregates[a];
			bool member = false;

			for (uint32_t k = 0; k < g->n_hosts && !member; k++)
				member = strcmp(g->hosts[k], h->name) == 0;
			if (!member)
				continue;
			if ((h->aggregates[h->n_aggregates++] = strdup(g->name)) == NULL)
				return VLT_ENOMEM;
			if (g->az != NULL && h->az == NULL && (h->az = strdup(g->az)) == NULL)
				return VLT_ENOMEM;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- traits */

/*
 * Which hosts have the traits flavors ask about. Only those can change
 * where a server goes, so instead of every provider's traits (one GET
 * /resource_providers/{uuid}/traits per host, thousands in a large cloud)
 * this asks, for each distinct trait some flavor names, which providers
 * have it (GET /resource_providers?required=NAME, placement 1.18): one
 * request per trait, whatever the number of hosts. Placement refuses a
 * trait it does not know with a 400, so GET /traits?name=in:... (1.6)
 * first says which of the names exist; a flavor asking for one that does
 * not exists fits no host, which the core sees from no host having it.
 */

#define TRAITS_PER_QUERY 40 /* names per GET /traits, keeping its URL short */

/* A name Placement can hold (upper-case letters, digits, '_'): safe in a URL as it is. */
static bool trait_name_ok(const char *name)
{
	if (name[0] == '\0' || strlen(name) > 255)
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return true;
}

/* The distinct names of every flavor's trait:NAME=required|forbidden, as an object's keys. */
static json_t *traits_flavors_ask(const nova_cloud_t *cloud, const vlt_core_t *core)
{
	json_t *names = json_object();

	for (uint32_t i = 0; names != NULL && i < cloud->n_flavors; i++) {
		const nova_flavor_t *f = &cloud->flavors[i];

		for (uint32_t k = 0; k < f->n_extra_specs; k++) {
			const char *key = f->extra_specs[k].key, *v = f->extra_specs[k].value;

			if (strncmp(key, "trait:", 6) != 0 ||
			    (strcmp(v, "required") != 0 && strcmp(v, "forbidden") != 0))
				continue;
			if (!trait_name_ok(key + 6)) {
				vlt_log_warn(core, "flavor %s: '%s' is no Placement trait name; "
						   "no host has it",
					     f->name, key + 6);
				continue;
			}
			json_object_set_new(names, key + 6, json_true());
		}
	}
	return names;
}

/* Of the names (keys of asked), those Placement knows, as keys of *known. */
static int known_traits(os_client_t *c, const json_t *asked, json_t *known, vlt_err_t *err)
{
	size_t n = json_object_size(asked), done = 0;
	const char *name;
	json_t *v;
	char *url = malloc(64 + n * 256);
	size_t len = 0;
	int rc = 0;

	if (url == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_object_foreach((json_t *)asked, name, v) {
		len += (size_t)sprintf(url + len, "%s%s", len == 0 ? "/traits?name=in:" : ",", name);
		if (++done % TRAITS_PER_QUERY != 0 && done < n)
			continue;
		json_t *doc = NULL;
		size_t i;
		json_t *t;

		rc = os_get(c, "placement", url, placement_hdr, &doc, err);
		json_array_foreach(json_object_get(doc, "traits"), i, t) {
			if (json_is_string(t))
				json_object_set_new(known, json_string_value(t), json_true());
		}
		json_decref(doc);
		len = 0;
		if (rc < 0)
			break;
	}
	free(url);
	return rc;
}

/*
 * Give trait to every host whose provider is in doc, the answer of GET
 * /resource_providers?required=trait (host_of: rp uuid -> index).
 */
static int mark_hosts(nova_cloud_t *cloud, const json_t *host_of, const char *trait,
		      const json_t *doc, vlt_err_t *err)
{
	size_t i;
	json_t *rp;

	json_array_foreach(json_object_get(doc, "resource_providers"), i, rp) {
		const char *uuid = json_string_value(json_object_get(rp, "uuid"));
		const json_t *at = uuid != NULL ? json_object_get(host_of, uuid) : NULL;

		if (at == NULL)
			continue; /* a provider that is no compute host */
		nova_host_t *h = &cloud->hosts[json_integer_value(at)];

		if ((h->traits[h->n_traits++] = strdup(trait)) == NULL)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	return 0;
}

/* For each trait Placement knows (keys of known), its hosts: one GET per trait, concurrent. */
static int read_trait_holders(os_client_t *c, nova_cloud_t *cloud, const json_t *host_of,
			      const json_t *known, vlt_err_t *err)
{
	size_t n = json_object_size(known), k = 0;
	const char **names = calloc(n + 1, sizeof(*names));
	char **paths = calloc(n + 1, sizeof(*paths));
	json_t **docs = calloc(n + 1, sizeof(*docs));
	int rc = names != NULL && paths != NULL && docs != NULL
			 ? 0
			 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	const char *name;
	json_t *v;

	json_object_foreach((json_t *)known, name, v) {
		if (rc == 0 && asprintf(&paths[k], "/resource_providers?required=%s", name) < 0)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		if (rc == 0)
			names[k++] = name;
	}
	if (rc == 0)
		rc = os_get_many(c, "placement", (const char *const *)paths, n, placement_hdr, 0,
				 docs, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = mark_hosts(cloud, host_of, names[i], docs[i], err);
	for (size_t i = 0; i < n; i++) {
		free(paths != NULL ? paths[i] : NULL);
		json_decref(docs != NULL ? docs[i] : NULL);
	}
	free(names);
	free(paths);
	free(docs);
	return rc;
}

static int read_traits(os_client_t *c, nova_cloud_t *cloud, const vlt_core_t *core,
		       vlt_err_t *err)
{
	json_t *asked = traits_flavors_ask(cloud, core), *known = json_object(),
	       *host_of = json_object();
	int rc = asked == NULL || known == NULL || host_of == NULL
			 ? vlt_err_set(err, VLT_ENOMEM, "out of memory")
			 : 0;
	size_t n_asked = json_object_size(asked);

	for (uint32_t i = 0; rc == 0 && n_asked > 0 && i < cloud->n_hosts; i++) {
		nova_host_t *h = &cloud->hosts[i];

		h->traits = calloc(n_asked + 1, sizeof(*h->traits));
		if (h->traits == NULL ||
		    json_object_set_new(host_of, h->rp_uuid, json_integer((json_int_t)i)) < 0)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (rc == 0 && n_asked > 0)
		rc = known_traits(c, asked, known, err);
	if (rc == 0 && json_object_size(known) > 0)
		rc = read_trait_holders(c, cloud, host_of, known, err);
	json_decref(asked);
	json_decref(known);
	json_decref(host_of);
	return rc;
}

/* Every server of every project (ids only). */
static int read_instances(os_client_t *c, nova_cloud_t *cloud, vlt_err_t *err)
{
	json_t *list = NULL;
	int rc = os_get_all(c, "compute", "/servers?all_tenants=1", "servers", "id",
			    compute_hdr, &list, err);

	if (rc == 0 &&
	    (cloud->instances = calloc(json_array_size(list) + 1, sizeof(char *))) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		char *id = dup_str(json_object_get(json_array_get(list, i), "id"));

		if (id == NULL)
			rc = vlt_err_set(err, VLT_EBACKEND, "Nova: a server without an id");
		else
			cloud->instances[cloud->n_instances++] = id;
	}
	json_decref(list);
	return rc;
}

int nova_read(os_client_t *c, const vlt_core_t *core, nova_cloud_t *cloud, vlt_err_t *err)
{
	int rc;

	memset(cloud, 0, sizeof(*cloud));
	/* the servers first: one that appears after is not yet Valet's to miss */
	rc = read_instances(c, cloud, err);
	if (rc == 0)
		rc = read_hosts(c, core, cloud, err);
	if (rc == 0)
		rc = read_aggregates(c, cloud, err);
	if (rc == 0)
		rc = read_flavors(c, cloud, err);
	if (rc == 0)
		rc = read_traits(c, cloud, core, err);
	if (rc == 0 && link_aggregates(cloud) < 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc < 0) {
		nova_cloud_free(cloud);
		return rc;
	}
	vlt_log_info(core, "Nova: %u compute hosts, %u aggregates, %u flavors", cloud->n_hosts,
		     cloud->n_aggregates, cloud->n_flavors);
	return 0;
}

void nova_cloud_free(nova_cloud_t *cloud)
{
	for (uint32_t i = 0; cloud->hosts != NULL && i < cloud->n_hosts; i++)
		host_free(&cloud->hosts[i]);
	free(cloud->hosts);
	for (uint32_t i = 0; cloud->aggregates != NULL && i < cloud->n_aggregates; i++) {
		nova_aggregate_t *g = &cloud->aggregates[i];

		free(g->name);
		free(g->az);
		free_kvs(g->metadata, g->n_metadata);
		free_strs(g->hosts, g->n_hosts);
	}
	free(cloud->aggregates);
	for (uint32_t i = 0; cloud->flavors != NULL && i < cloud->n_flavors; i++) {
		free(cloud->flavors[i].name);
		free_kvs(cloud->flavors[i].extra_specs, cloud->flavors[i].n_extra_specs);
	}
	free(cloud->flavors);
	free_strs(cloud->instances, cloud->n_instances);
	memset(cloud, 0, sizeof(*cloud));
}
