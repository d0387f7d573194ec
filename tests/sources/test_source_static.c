/*
 * test_source_static.c - the static source through its ops table, with a
 * fake core whose dc_* callbacks are the real builder's: every broken
 * inventory gives its message, the good ones build the expected model.
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include <valet/core.h>
#include <valet/model.h>
#include <valet/source.h>

#include "built_module.h"
#include "dc.h"
#include "fake_core.h"
#include "shared_data.h"

extern const vlt_plugin_info_t *const vlt_plugin_source_static;

#define INV_DIR VLT_TEST_DATA "/inventory/"

static const vlt_source_ops_t *ops(void)
{
	return (const vlt_source_ops_t *)vlt_plugin_source_static;
}

/* One source run: init with `inventory` (NULL: unset), collect into a fresh builder. */
struct run {
	const vlt_source_ops_t *ops;
	fake_core_t *fc;
	void *state;
	vlt_dc_builder_t *b;
	vlt_err_t err;
	int rc; /* collect's */
};

/* The same run through the ops table o (the linked copy's or a loaded module's). */
static void run_start_with(struct run *r, const vlt_source_ops_t *o, const char *inventory)
{
	memset(r, 0, sizeof(*r));
	r->ops = o;
	r->fc = fake_core_new();
	if (inventory != NULL)
		assert_int_equal(fake_core_set(r->fc, "inventory", inventory), 0);
	assert_int_equal(o->init(fake_core_api(r->fc), &r->state, &r->err), 0);
	r->b = vlt__dc_builder_new();
	assert_non_null(r->b);
	r->rc = o->collect(r->state, r->b, &r->err);
}

static void run_start(struct run *r, const char *inventory)
{
	run_start_with(r, ops(), inventory);
}

static void run_end(struct run *r)
{
	r->ops->fini(r->state);
	vlt__dc_builder_free(r->b);
	fake_core_free(r->fc);
}

/* Collect and build `file` (under tests/data/inventory unless absolute). */
static vlt_dc_t *load_ok(const char *path)
{
	struct run r;
	vlt_dc_t *dc = NULL;

	run_start(&r, path);
	if (r.rc != 0)
		fail_msg("collect %s: %s", path, r.err.msg);
	if (vlt__dc_build(r.b, &dc, &r.err) != 0)
		fail_msg("build %s: %s", path, r.err.msg);
	assert_true(fake_core_logged(r.fc, VLT_LOG_INFO, path));
	run_end(&r);
	return dc;
}

/* ---------------------------------------------------------------- descriptor */

/* The built .so passes the loader's checks and collects through its one export. */
static void test_static_module_loads(void **state)
{
	(void)state;
	void *so;
	const vlt_source_ops_t *o = built_module_open(VLT_KIND_SOURCE, "static", &so);
	struct run r;
	vlt_dc_t *dc = NULL;

	run_start_with(&r, o, INV_DIR "minimal.json");
	if (r.rc != 0)
		fail_msg("collect through the loaded module: %s", r.err.msg);
	assert_int_equal(vlt__dc_build(r.b, &dc, &r.err), 0);
	assert_string_equal(dc->name, "tiny");
	assert_int_equal(dc->n_hosts, 1);
	vlt__dc_free(dc);
	run_end(&r);
	o->fini(NULL); /* a failed init's state: fini must accept it */
	built_module_close(so);
}

/* ---------------------------------------------------------------- settings */

static void test_static_without_inventory_adds_nothing(void **state)
{
	(void)state;
	struct run r;
	vlt_dc_t *dc = NULL;

	run_start(&r, NULL);
	assert_int_equal(r.rc, 0);
	assert_true(fake_core_logged(r.fc, VLT_LOG_NOTICE, "no inventory configured"));
	assert_int_equal(vlt__dc_build(r.b, &dc, &r.err), 0);
	assert_int_equal(dc->n_hosts, 0);
	assert_int_equal(dc->n_flavors, 0);
	vlt__dc_free(dc);
	run_end(&r);
}

static void test_static_relative_path_resolves_against_cwd(void **state)
{
	(void)state;
	char old[PATH_MAX];

	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir(VLT_TEST_DATA), 0);
	vlt_dc_t *dc = load_ok("inventory/minimal.json");

	assert_int_equal(chdir(old), 0);
	assert_string_equal(dc->name, "tiny");
	assert_int_equal(dc->n_hosts, 1);
	vlt__dc_free(dc);
}

static void test_static_missing_file(void **state)
{
	(void)state;
	struct run r;

	run_start(&r, INV_DIR "no-such-file.json");
	assert_int_equal(r.rc, VLT_EIO);
	assert_string_equal(r.err.msg,
			    INV_DIR "no-such-file.json: cannot open: No such file or directory");
	run_end(&r);
}

/* ---------------------------------------------------------------- broken files */

struct bad_case {
	const char *file;
	const char *msg; /* after "<path>: " */
};

static const struct bad_case bad_cases[] = {
	{ "bad-type-int.json",
	  "$.hosts[3].ram_mb: expected a non-negative integer, got \"lots\"" },
	{ "bad-real-int.json", "$.hosts[1].vcpus: expected a non-negative integer, got 2.5" },
	{ "bad-negative.json", "$.hosts[1].disk_gb: expected a non-negative integer, got -100" },
	{ "bad-negative-used.json",
	  "$.hosts[0].used.ram_mb: expected a non-negative integer, got -1" },
	{ "bad-missing-vcpus.json", "$.hosts[2]: missing required key 'vcpus'" },
	{ "bad-missing-name.json", "$.hosts[1]: missing required key 'name'" },
	{ "bad-missing-datacenter.json", "$: missing required key 'datacenter'" },
	{ "bad-dc-type.json", "$.datacenter: expected a non-empty string, got 7" },
	{ "bad-empty-name.json", "$.hosts[0].name: expected a non-empty string, got \"\"" },
	{ "bad-unknown-rack.json", "$.hosts[7].rack: unknown rack 'r9'" },
	{ "bad-unknown-cluster.json", "$.racks[1].cluster: unknown cluster 'c9'" },
	{ "bad-unknown-aggregate.json", "$.hosts[3].aggregates[1]: unknown aggregate 'gpu'" },
	{ "bad-pool-unknown-rack.json", "$.storage[1].rack: unknown rack 'r7'" },
	{ "bad-duplicate-host.json", "$.hosts[2].name: duplicate host name 'h0001'" },
	{ "bad-duplicate-rack.json", "$.racks[1].name: duplicate rack name 'r01'" },
	{ "bad-duplicate-flavor.json", "$.flavors[1].name: duplicate flavor name 'm1.small'" },
	{ "bad-duplicate-pool.json",
	  "$.storage[1].name: duplicate storage pool name 'cinder1@lvm#pool1'" },
	{ "bad-unknown-key.json",
	  "$.hosts[1]: unknown key 'ram_gb' (accepted: name, rack, vcpus, ram_mb, disk_gb, "
	  "nic_mbps, availability_zone, aggregates, enabled, allocation_ratios, used, consumers, "
	  "limits, traits, uuid, resources)" },
	{ "bad-unknown-top-key.json",
	  "$: unknown key 'host' (accepted: datacenter, allocation_ratios, standby_percent, "
	  "clusters, racks, hosts, aggregates, storage, flavors, instances)" },
	{ "bad-unknown-ratio-key.json",
	  "$.allocation_ratios: unknown key 'cpu' (accepted: vcpus, ram_mb, disk_gb)" },
	{ "bad-ratio-zero.json", "$.hosts[0].allocation_ratios.vcpus: expected a number > 0, got 0" },
	{ "bad-standby.json",
	  "$.standby_percent.ram_mb: expected a number between 0 and 100, got 150" },
	{ "bad-enabled-type.json", "$.hosts[1].enabled: expected true or false, got \"yes\"" },
	{ "bad-hosts-not-array.json", "$.hosts: expected an array, got an object" },
	{ "bad-host-not-object.json", "$.hosts[1]: expected an object, got \"h0002\"" },
	{ "bad-not-object.json", "$: expected an object, got an array" },
	{ "bad-aggregates-type.json",
	  "$.hosts[0].aggregates: expected an array of strings, got \"ssd\"" },
	{ "bad-extra-spec-type.json",
	  "$.flavors[1].extra_specs[\"hw:cpu_policy\"]: expected a string, got 1" },
	{ "bad-metadata-type.json", "$.aggregates[0].metadata.ssd: expected a string, got true" },
	{ "bad-volume-type.json",
	  "$.storage[0].volume_types[1]: expected a non-empty string, got 3" },
	{ "bad-implicit-rack.json",
	  "$.hosts[2]: host 'r02' has no rack, and its implicit rack would clash with rack "
	  "'r02'" },
	{ "bad-implicit-cluster.json",
	  "$.clusters[1].name: cluster 'dc1' has the data center's name, which the implicit "
	  "cluster of racks without a cluster and hosts without a rack needs" },
	{ "bad-limit-step-zero.json",
	  "$.hosts[0].limits.vcpus.step_size: expected an integer of at least 1, got 0" },
	{ "bad-limit-key.json",
	  "$.hosts[0].limits.vcpus: unknown key 'max' (accepted: min_unit, max_unit, step_size)" },
	{ "bad-limit-resource.json",
	  "$.hosts[0].limits: unknown key 'cpu' (accepted: vcpus, ram_mb, disk_gb)" },
	{ "bad-limit-type.json",
	  "$.hosts[0].limits.ram_mb.min_unit: expected an integer of at least 1, got \"1\"" },
	{ "bad-duplicate-uuid.json",
	  "$.hosts[1].uuid: host h2: uuid 5f8e7a3c-0001 is already host h1's" },
	{ "bad-duplicate-trait.json", "$.hosts[0].traits: host h1: trait 'CUSTOM_X' listed twice" },
	{ "bad-trait-type.json", "$.hosts[0].traits[1]: expected a non-empty string, got 3" },
	{ "bad-class-name.json",
	  "$.hosts[0].resources.FPGA_X: host h1: 'FPGA_X' is not a resource class (one of "
	  "Placement's standard classes, or CUSTOM_ followed by A-Z, 0-9 and _)" },
	{ "bad-class-standard.json",
	  "$.hosts[0].resources.VCPU: host h1: VCPU is the host's vcpus, not an extra resource "
	  "class" },
	{ "bad-class-negative.json",
	  "$.hosts[0].resources.CUSTOM_FPGA: expected a total (a non-negative integer) or an "
	  "inventory object, got -1" },
	{ "bad-class-reserved.json",
	  "$.hosts[0].resources.CUSTOM_FPGA: host h1: reserved 3 of CUSTOM_FPGA is above its "
	  "total 2" },
	{ "bad-class-key.json",
	  "$.hosts[0].resources.CUSTOM_FPGA: unknown key 'ratio' (accepted: total, reserved, "
	  "allocation_ratio, used, min_unit, max_unit, step_size)" },
	{ "bad-class-missing-total.json",
	  "$.hosts[0].resources.CUSTOM_FPGA: missing required key 'total'" },
	{ "bad-class-ratio.json",
	  "$.hosts[0].resources.PCPU.allocation_ratio: expected a number > 0, got 0" },
	{ "bad-class-not-object.json", "$.hosts[0].resources: expected an object, got an array" },
	{ "bad-consumer-class.json",
	  "$.hosts[0].consumers[0].resources.PCPU: host h1 has no inventory of PCPU (its "
	  "\"resources\")" },
	{ "bad-syntax.json", "line 4, column 56: invalid JSON: '}' expected near '\"disk_gb\"'" },
	{ "bad-duplicate-key.json",
	  "line 4, column 71: invalid JSON: duplicate object key near '\"vcpus\"'" },
};

static void test_static_bad_files_give_their_message(void **state)
{
	(void)state;
	char path[512], want[1024];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct run r;

		snprintf(path, sizeof(path), INV_DIR "%s", c->file);
		snprintf(want, sizeof(want), "%s: %s", path, c->msg);
		run_start(&r, path);
		if (r.rc != VLT_EINVAL || strcmp(r.err.msg, want) != 0)
			fail_msg("%s: rc %d, message\n  got:  %s\n  want: %s", c->file, r.rc,
				 r.err.msg, want);
		assert_int_equal(r.err.code, VLT_EINVAL);
		run_end(&r);
	}
}

/* Every bad-*.json has a case above: a new fixture cannot go untested. */
static void test_static_every_bad_file_has_a_case(void **state)
{
	(void)state;
	DIR *d = opendir(INV_DIR);
	struct dirent *e;
	size_t n_bad = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "bad-", 4) != 0)
			continue;
		bool found = false;

		for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
			found = found || strcmp(bad_cases[i].file, e->d_name) == 0;
		if (!found)
			fail_msg("%s has no expected message", e->d_name);
		n_bad++;
	}
	closedir(d);
	assert_int_equal(n_bad, sizeof(bad_cases) / sizeof(bad_cases[0]));
}

/* A refusal only the core can see (a name another source added) is put at the element. */
static void test_static_core_refusal_is_located(void **state)
{
	(void)state;
	struct run r;

	run_start(&r, INV_DIR "small.json");
	assert_int_equal(r.rc, 0);
	/* a second collect into the same builder: everything is already there */
	r.rc = ops()->collect(r.state, r.b, &r.err);
	assert_int_equal(r.rc, VLT_EINVAL);
	assert_string_equal(r.err.msg, INV_DIR "small.json: $.clusters[0]: duplicate cluster "
					       "name 'c1'");
	run_end(&r);
}

/* ---------------------------------------------------------------- good files */

static const vlt_host_t *host(const vlt_dc_t *dc, const char *name)
{
	uint32_t i = vlt__dc_find_host(dc, name);

	if (i == VLT_NONE)
		fail_msg("no host %s", name);
	return &dc->hosts[i];
}

static void test_static_minimal(void **state)
{
	(void)state;
	vlt_dc_t *dc = load_ok(INV_DIR "minimal.json");
	const vlt_host_t *h = host(dc, "h1");

	assert_string_equal(dc->name, "tiny");
	assert_int_equal(dc->n_clusters, 1);
	assert_int_equal(dc->n_racks, 1);
	assert_true(dc->clusters[0].implicit);
	assert_string_equal(dc->clusters[0].name, "tiny");
	assert_true(dc->racks[0].implicit);
	assert_string_equal(dc->racks[0].name, "h1");
	assert_int_equal(h->capacity[VLT_RES_VCPUS], 128);
	assert_int_equal(h->capacity[VLT_RES_RAM_MB], 24576);
	assert_int_equal(h->capacity[VLT_RES_DISK_GB], 100);
	assert_string_equal(h->az, "nova");
	assert_true(h->enabled);
	assert_false(h->preloaded);
	assert_true(h->nic_mbps == VLT_UNLIMITED);
	vlt__dc_free(dc);
}

/* A host's limits, traits and uuid reach the model (the engine test's inventory). */
static void test_static_limits_traits_uuid(void **state)
{
	(void)state;
	vlt_dc_t *dc = load_ok(VLT_TEST_DATA "/engine/limits-dc.json");
	uint32_t c1 = host(dc, "c1")->id, c2 = host(dc, "c2")->id, c3 = host(dc, "c3")->id, n;
	const vlt_unit_limits_t *l1 = vlt__dc_host_limits(dc, c1);
	const vlt_unit_limits_t *l3 = vlt__dc_host_limits(dc, c3);

	assert_string_equal(vlt__dc_host_uuid(dc, c1), "0c1e5a7e-0000-4000-8000-000000000001");
	assert_null(vlt__dc_host_uuid(dc, c3));
	assert_int_equal(l1[VLT_RES_VCPUS].max_unit, 8);
	assert_int_equal(l1[VLT_RES_VCPUS].min_unit, 0);
	assert_int_equal(l1[VLT_RES_RAM_MB].step_size, 512);
	assert_int_equal(l3[VLT_RES_VCPUS].min_unit, 2);
	assert_int_equal(l3[VLT_RES_DISK_GB].min_unit, 10);
	vlt__dc_host_traits(dc, c2, &n);
	assert_int_equal(n, 2);
	assert_true(vlt__dc_host_has_trait(dc, c2, vlt__dc_trait_id(dc, "CUSTOM_GPU")));
	assert_false(vlt__dc_host_has_trait(dc, c1, vlt__dc_trait_id(dc, "CUSTOM_GPU")));
	vlt__dc_free(dc);
}

/* "resources": each host's extra classes, capacity floor((total - reserved) x ratio) - used. */
static void test_static_resource_classes(void **state)
{
	(void)state;
	vlt_dc_t *dc = load_ok(VLT_TEST_DATA "/engine/rclass-dc.json");
	uint32_t f1 = host(dc, "f1")->id, f2 = host(dc, "f2")->id, p1 = host(dc, "p1")->id;
	uint32_t fpga = vlt__dc_class_id(dc, "CUSTOM_FPGA"), pcpu = vlt__dc_class_id(dc, "PCPU");

	assert_int_equal(dc->n_classes, 2); /* sorted: CUSTOM_FPGA, PCPU */
	assert_string_equal(dc->classes[0], "CUSTOM_FPGA");
	assert_string_equal(dc->classes[1], "PCPU");
	assert_int_equal(vlt__dc_class_id(dc, "VGPU"), VLT_NONE);
	assert_int_equal(vlt__dc_host_class_capacity(dc, f1, fpga), 1);
	assert_int_equal(vlt__dc_host_class_capacity(dc, f1, pcpu), VLT_CLASS_ABSENT);
	assert_int_equal(vlt__dc_host_class_capacity(dc, f2, fpga), 3);
	assert_int_equal(vlt__dc_host_class_limits(dc, f2, fpga)->max_unit, 2);
	assert_int_equal(vlt__dc_host_class_limits(dc, f1, fpga)->max_unit, 0);
	assert_int_equal(vlt__dc_host_class_capacity(dc, f2, pcpu), 8);
	assert_int_equal(vlt__dc_host_class_capacity(dc, p1, pcpu), 12);
	assert_int_equal(vlt__dc_host_class_capacity(dc, p1, fpga), VLT_CLASS_ABSENT);
	vlt__dc_free(dc);

	/* consumers' use of a class is part of its used; one Valet holds is credited back */
	const char *held[] = { "vm-held" };

	dc = load_ok(INV_DIR "classes-consumers.json");
	fpga = vlt__dc_class_id(dc, "CUSTOM_FPGA");
	assert_int_equal(vlt__dc_host_class_capacity(dc, 0, fpga), 0);
	vlt__dc_credit(dc, held, 1);
	assert_int_equal(vlt__dc_host_class_capacity(dc, 0, fpga), 1);
	vlt__dc_free(dc);
}

static void test_static_small_builds_expected_model(void **state)
{
	(void)state;
	vlt_dc_t *dc = load_ok(INV_DIR "small.json");

	assert_string_equal(dc->name, "dc1");
	/* c1, then the implicit dc1 for r02 and h0003 */
	assert_int_equal(dc->n_clusters, 2);
	assert_string_equal(dc->clusters[0].name, "c1");
	assert_int_equal(dc->clusters[0].uplink_mbps, 160000);
	assert_string_equal(dc->clusters[1].name, "dc1");
	assert_true(dc->clusters[1].implicit);
	assert_int_equal(dc->n_racks, 3);
	assert_string_equal(dc->racks[0].name, "r01");
	assert_int_equal(dc->racks[0].uplink_mbps, 40000);
	assert_int_equal(dc->racks[0].n_hosts, 2);
	assert_int_equal(dc->racks[0].n_preloaded, 2);
	assert_int_equal(dc->racks[0].n_enabled, 2);
	assert_string_equal(dc->racks[1].name, "r02");
	assert_true(dc->racks[1].uplink_mbps == VLT_UNLIMITED);
	assert_int_equal(dc->racks[1].n_enabled, 0);
	assert_string_equal(dc->racks[2].name, "h0003");
	assert_true(dc->racks[2].implicit);
	const char *order[] = { "h0001", "h0004", "h0002", "h0003" };

	for (uint32_t i = 0; i < 4; i++)
		assert_string_equal(dc->hosts[i].name, order[i]);

	const vlt_host_t *h1 = host(dc, "h0001");

	assert_true(h1->ratio[VLT_RES_VCPUS] == 4.0); /* the host's own */
	assert_true(h1->ratio[VLT_RES_RAM_MB] == 1.0); /* the file's default */
	assert_true(h1->ratio[VLT_RES_DISK_GB] == 1.0); /* the built-in default */
	assert_true(h1->standby_pct[VLT_RES_RAM_MB] == 10.0);
	assert_int_equal(h1->capacity[VLT_RES_VCPUS], 32 * 4 - 4);
	assert_int_equal(h1->capacity[VLT_RES_RAM_MB], 117964 - 8192); /* floor(131072 x 0.9) */
	assert_int_equal(h1->capacity[VLT_RES_DISK_GB], 2000 - 40);
	assert_true(h1->preloaded);
	assert_int_equal(h1->nic_mbps, 10000);
	assert_int_equal(h1->n_aggregates, 1);
	assert_string_equal(dc->aggregates[h1->aggregates[0]].name, "ssd");

	const vlt_host_t *h2 = host(dc, "h0002");

	assert_false(h2->enabled);
	assert_string_equal(h2->az, "az2");
	assert_int_equal(h2->capacity[VLT_RES_VCPUS], 16 * 8);
	assert_int_equal(h2->capacity[VLT_RES_RAM_MB], 58982);
	assert_int_equal(h2->n_aggregates, 0);

	const vlt_host_t *h4 = host(dc, "h0004");

	assert_int_equal(h4->capacity[VLT_RES_DISK_GB], -1000); /* overused: fits nothing */
	assert_int_equal(h4->n_aggregates, 2);
	assert_int_equal(dc->n_azs, 2);

	assert_int_equal(dc->n_aggregates, 2);
	assert_int_equal(dc->aggregates[0].n_metadata, 1);
	assert_string_equal(dc->aggregates[0].metadata[0].value, "true");
	assert_int_equal(dc->aggregates[1].n_metadata, 0);

	const vlt_pool_t *p1 = &dc->pools[vlt__dc_find_pool(dc, "cinder1@lvm#pool1")];
	const vlt_pool_t *p2 = &dc->pools[vlt__dc_find_pool(dc, "cinder2@ceph#rbd")];

	assert_int_equal(p1->rack, 0);
	assert_int_equal(p1->cluster, 0);
	assert_int_equal(p1->n_volume_types, 1);
	assert_string_equal(p1->volume_types[0], "lvm");
	assert_int_equal(p2->rack, VLT_NONE);
	assert_int_equal(p2->capacity_gb, 100000);
	assert_int_equal(p2->used_gb, 0);

	const vlt_flavor_t *f = vlt__dc_find_flavor(dc, "s1.ssd");

	assert_non_null(f);
	assert_int_equal(f->vcpus, 2);
	assert_int_equal(f->n_extra_specs, 2);
	assert_string_equal(f->extra_specs[0].key, "aggregate_instance_extra_specs:ssd");
	assert_string_equal(f->extra_specs[1].value, "shared");
	assert_int_equal(vlt__dc_find_flavor(dc, "m1.small")->n_extra_specs, 0);
	vlt__dc_free(dc);
}

/* Whether flavor f fits on host h when it is empty. */
static bool fits(const vlt_host_t *h, const vlt_flavor_t *f)
{
	return h->enabled && h->capacity[VLT_RES_VCPUS] >= f->vcpus &&
	       h->capacity[VLT_RES_RAM_MB] >= f->ram_mb && h->capacity[VLT_RES_DISK_GB] >= f->disk_gb;
}

/* Every "aggregate_instance_extra_specs:K" = V of f is in the metadata of one of h's aggregates. */
static bool aggregates_match(const vlt_dc_t *dc, const vlt_host_t *h, const vlt_flavor_t *f)
{
	static const char scope[] = "aggregate_instance_extra_specs:";

	for (uint32_t s = 0; s < f->n_extra_specs; s++) {
		const char *key = f->extra_specs[s].key;
		bool ok = false;

		if (strncmp(key, scope, sizeof(scope) - 1) != 0)
			continue;
		key += sizeof(scope) - 1;
		for (uint32_t a = 0; a < h->n_aggregates && !ok; a++) {
			const vlt_aggregate_t *ag = &dc->aggregates[h->aggregates[a]];

			for (uint32_t m = 0; m < ag->n_metadata; m++)
				ok = ok || (strcmp(ag->metadata[m].key, key) == 0 &&
					    strcmp(ag->metadata[m].value, f->extra_specs[s].value) == 0);
		}
		if (!ok)
			return false;
	}
	return true;
}

/*
 * engine-dc.json is the data center for the upstream engine requests: every
 * flavor they use exists and fits somewhere (aggregates and zone included),
 * and no rack has three hosts for bflavor0, which makes the _violated
 * request (three bflavor0 servers, host-diverse inside one rack) fail.
 */
static void test_static_engine_dc_serves_the_engine_requests(void **state)
{
	(void)state;
	vlt_dc_t *dc = load_ok(INV_DIR "engine-dc.json");
	const char *dir = vlt_shared_data("valet/engine-requests");
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];
	unsigned n_servers = 0;

	assert_int_equal(dc->n_clusters, 2);
	assert_int_equal(dc->n_racks, 6);
	assert_int_equal(dc->n_hosts, 24);
	assert_true(dc->n_azs >= 2);
	assert_true(dc->n_pools >= 1);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".json") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		json_t *doc = json_load_file(path, 0, NULL);
		const json_t *res = json_object_get(json_array_get(doc, 0), "resources");
		const char *id;
		const json_t *r;

		assert_non_null(doc);
		json_object_foreach((json_t *)res, id, r) {
			const json_t *props = json_object_get(r, "properties");
			const char *fname = json_string_value(json_object_get(props, "flavor"));
			const char *az =
				json_string_value(json_object_get(props, "availability_zone"));

			if (fname == NULL)
				continue;
			const vlt_flavor_t *f = vlt__dc_find_flavor(dc, fname);
			bool somewhere = false;

			if (f == NULL)
				fail_msg("%s: %s: flavor %s is not in engine-dc.json", e->d_name, id,
					 fname);
			for (uint32_t h = 0; h < dc->n_hosts && !somewhere; h++)
				somewhere = fits(&dc->hosts[h], f) &&
					    aggregates_match(dc, &dc->hosts[h], f) &&
					    (az == NULL || strcmp(dc->hosts[h].az, az) == 0);
			if (!somewhere)
				fail_msg("%s: %s: no host takes %s", e->d_name, id, fname);
			n_servers++;
		}
		json_decref(doc);
	}
	closedir(d);
	assert_true(n_servers >= 40);

	const vlt_flavor_t *big = vlt__dc_find_flavor(dc, "bflavor0");

	for (uint32_t r = 0; r < dc->n_racks; r++) {
		uint32_t n_fit = 0;

		for (uint32_t h = dc->racks[r].first_host;
		     h < dc->racks[r].first_host + dc->racks[r].n_hosts; h++)
			n_fit += fits(&dc->hosts[h], big);
		assert_int_equal(n_fit, 2);
	}
	vlt__dc_free(dc);
}

static void test_static_sample_inventory(void **state)
{
	(void)state;
	vlt_dc_t *dc = load_ok(VLT_SOURCE_DIR "/conf/sample-inventory.json");

	assert_int_equal(dc->n_clusters, 2);
	assert_int_equal(dc->n_racks, 8);
	assert_int_equal(dc->n_hosts, 64);
	assert_int_equal(dc->n_pools, 2);
	for (uint32_t r = 0; r < dc->n_racks; r++)
		assert_int_equal(dc->racks[r].n_hosts, 8);
	const char *flavors[] = { "m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge" };

	for (size_t i = 0; i < 5; i++)
		assert_non_null(vlt__dc_find_flavor(dc, flavors[i]));
	assert_int_equal(dc->n_aggregates, 1);
	assert_string_equal(dc->aggregates[0].name, "ssd");
	for (uint32_t c = 0; c < dc->n_clusters; c++)
		assert_false(dc->clusters[c].implicit);
	vlt__dc_free(dc);
}

/* A 20,000-host file loads and builds quickly (hash lookups, no quadratic checks). */
static void test_static_loads_20000_hosts(void **state)
{
	(void)state;
	char path[] = "/tmp/valet-inv-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fd < 0 ? NULL : fdopen(fd, "w");
	struct timespec t0, t1;

	assert_non_null(fp);
	fprintf(fp, "{\"datacenter\": \"big\", \"clusters\": [");
	for (int c = 0; c < 10; c++)
		fprintf(fp, "%s{\"name\": \"c%d\"}", c ? ", " : "", c);
	fprintf(fp, "], \"racks\": [");
	for (int r = 0; r < 500; r++)
		fprintf(fp, "%s{\"name\": \"r%d\", \"cluster\": \"c%d\"}", r ? ", " : "", r,
			r % 10);
	fprintf(fp, "], \"aggregates\": [{\"name\": \"ssd\", \"metadata\": {\"ssd\": \"true\"}}],"
		    " \"hosts\": [\n");
	for (int h = 0; h < 20000; h++)
		fprintf(fp,
			"%s{\"name\": \"host%05d\", \"rack\": \"r%d\", \"vcpus\": 32, "
			"\"ram_mb\": 131072, \"disk_gb\": 2000, \"aggregates\": [\"ssd\"], "
			"\"used\": {\"vcpus\": %d}}\n",
			h ? ", " : "", h, (h * 7) % 500, h % 3);
	fprintf(fp, "]}\n");
	assert_int_equal(fclose(fp), 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	vlt_dc_t *dc = load_ok(path);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	unlink(path);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	print_message("20,000-host inventory: load and build %.3f s\n", s);
	assert_int_equal(dc->n_hosts, 20000);
	assert_int_equal(dc->n_racks, 500);
	assert_int_equal(dc->n_clusters, 10);
	assert_int_equal(vlt__dc_find_host(dc, "host12345") != VLT_NONE, 1);
	assert_true(s < 10.0); /* generous: sanitizer builds on a shared machine */
	vlt__dc_free(dc);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_module_loads),
		cmocka_unit_test(test_static_without_inventory_adds_nothing),
		cmocka_unit_test(test_static_relative_path_resolves_against_cwd),
		cmocka_unit_test(test_static_missing_file),
		cmocka_unit_test(test_static_limits_traits_uuid),
		cmocka_unit_test(test_static_resource_classes),
		cmocka_unit_test(test_static_bad_files_give_their_message),
		cmocka_unit_test(test_static_every_bad_file_has_a_case),
		cmocka_unit_test(test_static_core_refusal_is_located),
		cmocka_unit_test(test_static_minimal),
		cmocka_unit_test(test_static_small_builds_expected_model),
		cmocka_unit_test(test_static_sample_inventory),
		cmocka_unit_test(test_static_loads_20000_hosts),
	};
	/* the upstream engine requests, from ../shared/data */
	const struct CMUnitTest shared_data_tests[] = {
		cmocka_unit_test(test_static_engine_dc_serves_the_engine_requests),
	};

	if (vlt_shared_data_cases(argc, argv))
		return cmocka_run_group_tests(shared_data_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
