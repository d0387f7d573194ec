/*
 * valet_inventory.c - `valet inventory`: what the configured sources see,
 * as Valet will plan on it: hosts with rack, cluster, zone, aggregates,
 * capacity and usage per resource, Placement's limits, traits and uuid,
 * its further resource classes (free amount, limits);
 * pools; flavors. A table, or one JSON
 * document with --json. Reads the sources once and writes nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dc.h"
#include "engine.h"
#include "log.h"
#include "session.h"
#include "valet_inventory.h"

#define EXIT_BAD_INPUT 2

static const char *const res_names[VLT_RES_COUNT] = { "vcpus", "ram_mb", "disk_gb" };

/* The consumers the sources reported on host h, {id: {vcpus, ram_mb, disk_gb}}. */
static json_t *consumers_json(const vlt_dc_t *dc, const vlt_host_t *h)
{
	uint32_t n = 0;
	const vlt_dc_consumer_t *c = vlt__dc_consumers(dc, &n);
	json_t *out = json_object();

	for (uint32_t i = 0; out != NULL && i < n; i++) {
		if (c[i].host != h->id)
			continue;
		json_object_set_new(out, c[i].id,
				    json_pack("{s:I, s:I, s:I}", res_names[0],
					      (json_int_t)c[i].used[0], res_names[1],
					      (json_int_t)c[i].used[1], res_names[2],
					      (json_int_t)c[i].used[2]));
	}
	return out;
}

static const char *const limit_names[3] = { "min_unit", "max_unit", "step_size" };

/* The limits of one resource as [min_unit, max_unit, step_size] (0: none). */
static void limit_values(const vlt_unit_limits_t *lim, int64_t v[3])
{
	v[0] = lim->min_unit;
	v[1] = lim->max_unit;
	v[2] = lim->step_size;
}

/* A resource's figures, with the limits the sources gave (none: no key). */
static json_t *resource_json(const vlt_dc_t *dc, const vlt_host_t *h, int r)
{
	json_t *o = json_pack("{s:I, s:f, s:I, s:I}", "total", (json_int_t)h->total[r], "ratio",
			      h->ratio[r], "used", (json_int_t)h->used[r], "free",
			      (json_int_t)h->capacity[r]);
	int64_t v[3];

	limit_values(&vlt__dc_host_limits(dc, h->id)[r], v);
	for (int k = 0; o != NULL && k < 3; k++) {
		if (v[k] > 0)
			json_object_set_new(o, limit_names[k], json_integer((json_int_t)v[k]));
	}
	return o;
}

static json_t *traits_json(const vlt_dc_t *dc, const vlt_host_t *h)
{
	uint32_t n;
	const uint32_t *ids = vlt__dc_host_traits(dc, h->id, &n);
	json_t *out = json_array();

	for (uint32_t i = 0; out != NULL && i < n; i++)
		json_array_append_new(out, json_string(vlt__dc_trait_name(dc, ids[i])));
	return out;
}

/* {"CUSTOM_FPGA": {"free": 3, "max_unit": 2}, ...}: the host's extra classes. */
static json_t *classes_json(const vlt_dc_t *dc, const vlt_host_t *h)
{
	json_t *out = json_object();

	for (uint32_t c = 0; out != NULL && c < dc->n_classes; c++) {
		int64_t cap = vlt__dc_host_class_capacity(dc, h->id, c), v[3];
		json_t *o;

		if (cap == VLT_CLASS_ABSENT)
			continue;
		o = json_pack("{s:I}", "free", (json_int_t)cap);
		limit_values(vlt__dc_host_class_limits(dc, h->id, c), v);
		for (int k = 0; o != NULL && k < 3; k++)
			if (v[k] > 0)
				json_object_set_new(o, limit_names[k], json_integer((json_int_t)v[k]));
		json_object_set_new(out, dc->classes[c], o);
	}
	return out;
}

static json_t *host_json(const vlt_dc_t *dc, const vlt_host_t *h)
{
	json_t *aggs = json_array();
	json_t *res = json_object();

	for (uint32_t i = 0; aggs != NULL && i < h->n_aggregates; i++)
		json_array_append_new(aggs, json_string(dc->aggregates[h->aggregates[i]].name));
	for (int r = 0; res != NULL && r < VLT_RES_COUNT; r++)
		json_object_set_new(res, res_names[r], resource_json(dc, h, r));
	/* null: unlimited */
	json_t *nic = h->nic_mbps != VLT_UNLIMITED ? json_integer((json_int_t)h->nic_mbps)
						   : json_null();

	return json_pack("{s:s, s:s?, s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "name", h->name, "uuid", vlt__dc_host_uuid(dc, h->id), "rack",
			 dc->racks[h->rack].name, "cluster", dc->clusters[h->cluster].name, "az",
			 h->az, "enabled", h->enabled, "nic_mbps", nic, "aggregates", aggs, "traits",
			 traits_json(dc, h), "resources", res, "classes", classes_json(dc, h),
			 "consumers", consumers_json(dc, h));
}

static json_t *dc_json(const vlt_dc_t *dc)
{
	json_t *hosts = json_array(), *pools = json_array(), *flavors = json_array();

	for (uint32_t i = 0; hosts != NULL && i < dc->n_hosts; i++)
		json_array_append_new(hosts, host_json(dc, &dc->hosts[i]));
	for (uint32_t i = 0; pools != NULL && i < dc->n_pools; i++) {
		const vlt_pool_t *p = &dc->pools[i];
		json_t *types = json_array();

		for (uint32_t t = 0; types != NULL && t < p->n_volume_types; t++)
			json_array_append_new(types, json_string(p->volume_types[t]));
		json_array_append_new(pools, json_pack("{s:s, s:s?, s:I, s:I, s:o}", "name",
						       p->name, "rack",
						       p->rack != VLT_NONE ? dc->racks[p->rack].name
									   : NULL,
						       "capacity_gb", (json_int_t)p->capacity_gb,
						       "used_gb", (json_int_t)p->used_gb,
						       "volume_types", types));
	}
	for (uint32_t i = 0; flavors != NULL && i < dc->n_flavors; i++) {
		const vlt_flavor_t *f = &dc->flavors[i];
		json_t *specs = json_object();

		for (uint32_t k = 0; specs != NULL && k < f->n_extra_specs; k++)
			json_object_set_new(specs, f->extra_specs[k].key,
					    json_string(f->extra_specs[k].value));
		json_array_append_new(flavors, json_pack("{s:s, s:I, s:I, s:I, s:o}", "name",
							 f->name, "vcpus", (json_int_t)f->vcpus,
							 "ram_mb", (json_int_t)f->ram_mb, "disk_gb",
							 (json_int_t)f->disk_gb, "extra_specs",
							 specs));
	}
	return json_pack("{s:s, s:o, s:o, s:o}", "datacenter", dc->name, "hosts", hosts, "pools",
			 pools, "flavors", flavors);
}

/*
 * "  uuid U; vcpus max_unit 16 step_size 2; traits A B" under a host that
 * has any of them; nothing for one that has none.
 */
static void print_host_extras(const vlt_dc_t *dc, const vlt_host_t *h)
{
	const char *uuid = vlt__dc_host_uuid(dc, h->id);
	uint32_t n;
	const uint32_t *ids = vlt__dc_host_traits(dc, h->id, &n);
	bool any = false;

	if (uuid != NULL) {
		printf("  uuid %s", uuid);
		any = true;
	}
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		int64_t v[3];
		bool named = false;

		limit_values(&vlt__dc_host_limits(dc, h->id)[r], v);
		for (int k = 0; k < 3; k++) {
			if (v[k] == 0)
				continue;
			if (!named)
				printf("%s%s", any ? "; " : "  ", res_names[r]);
			printf(" %s %lld", limit_names[k], (long long)v[k]);
			named = any = true;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		printf("%s%s", i > 0 ? " " : any ? "; traits " : "  traits ",
		       vlt__dc_trait_name(dc, ids[i]));
	any = any || n > 0;
	for (uint32_t c = 0; c < dc->n_classes; c++) {
		int64_t cap = vlt__dc_host_class_capacity(dc, h->id, c), v[3];

		if (cap == VLT_CLASS_ABSENT)
			continue;
		printf("%s%s free %lld", any ? "; " : "  ", dc->classes[c], (long long)cap);
		limit_values(vlt__dc_host_class_limits(dc, h->id, c), v);
		for (int k = 0; k < 3; k++)
			if (v[k] > 0)
				printf(" %s %lld", limit_names[k], (long long)v[k]);
		any = true;
	}
	if (any)
		putchar('\n');
}

static void print_table(const vlt_dc_t *dc)
{
	printf("data center %s: %u hosts, %u racks, %u clusters, %u pools, %u flavors\n",
	       dc->name, dc->n_hosts, dc->n_racks, dc->n_clusters, dc->n_pools, dc->n_flavors);
	printf("%-24s %-12s %-10s %-10s %-8s %13s %17s %13s  %s\n", "HOST", "RACK", "CLUSTER",
	       "AZ", "ENABLED", "VCPUS U/C", "RAM_MB U/C", "DISK_GB U/C", "AGGREGATES");
	for (uint32_t i = 0; i < dc->n_hosts; i++) {
		const vlt_host_t *h = &dc->hosts[i];
		char cells[VLT_RES_COUNT][32];

		for (int r = 0; r < VLT_RES_COUNT; r++)
			snprintf(cells[r], sizeof(cells[r]), "%lld/%lld", (long long)h->used[r],
				 (long long)(h->capacity[r] + h->used[r]));
		printf("%-24s %-12s %-10s %-10s %-8s %13s %17s %13s ", h->name,
		       dc->racks[h->rack].name, dc->clusters[h->cluster].name, h->az,
		       h->enabled ? "yes" : "no", cells[0], cells[1], cells[2]);
		for (uint32_t a = 0; a < h->n_aggregates; a++)
			printf(" %s", dc->aggregates[h->aggregates[a]].name);
		putchar('\n');
		print_host_extras(dc, h);
	}
	for (uint32_t i = 0; i < dc->n_pools; i++)
		printf("pool %-32s %lld of %lld GB used\n", dc->pools[i].name,
		       (long long)dc->pools[i].used_gb, (long long)dc->pools[i].capacity_gb);
	for (uint32_t i = 0; i < dc->n_flavors; i++)
		printf("flavor %-20s %lld vCPU, %lld MB, %lld GB, %u extra specs\n",
		       dc->flavors[i].name, (long long)dc->flavors[i].vcpus,
		       (long long)dc->flavors[i].ram_mb, (long long)dc->flavors[i].disk_gb,
		       dc->flavors[i].n_extra_specs);
}

static void usage(FILE *out)
{
	fputs("usage: valet inventory [--config FILE] [--inventory INV.json] [--json]\n\n"
	      "Reads the sources the configuration names (the static one on --inventory)\n"
	      "once and prints the data center Valet would plan on: hosts with rack,\n"
	      "cluster, zone, state, used and usable capacity, aggregates; pools; flavors.\n"
	      "Exit status: 0 read, 2 bad configuration or a source that cannot be read.\n",
	      out);
}

int vlt_valet_inventory(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *inventory = NULL;
	bool as_json = false;
	vlt_session_t session;
	vlt_err_t err = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'i': inventory = optarg; break;
		case 'j': as_json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_BAD_INPUT;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "valet inventory: unexpected argument '%s'\n", argv[optind]);
		return EXIT_BAD_INPUT;
	}
	vlt__log_setup(VLT_LOG_WARNING, false, "valet");
	if (vlt__session_open_sources(&session, config, inventory, NULL, 0, &err) < 0) {
		fprintf(stderr, "valet inventory: %s\n", err.msg);
		return EXIT_BAD_INPUT;
	}
	const vlt_dc_t *dc = vlt__engine_dc(session.engine);
	if (as_json) {
		json_t *doc = dc_json(dc);
		char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;

		if (text != NULL)
			puts(text);
		free(text);
		json_decref(doc);
	} else {
		print_table(dc);
	}
	vlt__session_close(&session);
	return 0;
}
