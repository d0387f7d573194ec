/*
 * test_dc.c - the data-center builder (core/engine/dc.c): capacities, implicit
 * topology, ordering, lookups and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <valet/core.h>
#include <valet/model.h>

#include "dc.h"
#include "unit_limits.h"

/* A host spec with the contract's defaults: enabled, no rack, nothing used. */
static vlt_host_spec_t spec(const char *name, const char *rack, int64_t vcpus, int64_t ram_mb,
			    int64_t disk_gb)
{
	vlt_host_spec_t s = {
		.name = name,
		.rack = rack,
		.total = { vcpus, ram_mb, disk_gb },
		.nic_mbps = VLT_UNLIMITED,
		.enabled = true,
	};
	return s;
}

static vlt_dc_builder_t *builder(const char *name)
{
	vlt_dc_builder_t *b = vlt__dc_builder_new();
	vlt_err_t err = { 0 };

	assert_non_null(b);
	assert_int_equal(vlt__dc_set_name(b, name, &err), 0);
	return b;
}

static void add_host_ok(vlt_dc_builder_t *b, const vlt_host_spec_t *s)
{
	vlt_err_t err = { 0 };
	int rc = vlt__dc_add_host(b, s, &err);

	if (rc != 0)
		fail_msg("add host %s: %s", s->name, err.msg);
}

static vlt_dc_t *build_ok(vlt_dc_builder_t *b)
{
	vlt_dc_t *dc = NULL;
	vlt_err_t err = { 0 };
	int rc = vlt__dc_build(b, &dc, &err);

	if (rc != 0)
		fail_msg("build: %s", err.msg);
	assert_non_null(dc);
	return dc;
}

static const vlt_host_t *host(const vlt_dc_t *dc, const char *name)
{
	uint32_t i = vlt__dc_find_host(dc, name);

	if (i == VLT_NONE)
		fail_msg("no host %s", name);
	assert_int_equal(dc->hosts[i].id, i);
	assert_string_equal(dc->hosts[i].name, name);
	return &dc->hosts[i];
}

/* ---------------------------------------------------------------- capacity */

static void test_dc_capacity_uses_default_ratios(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_host_spec_t s = spec("h1", NULL, 32, 131072, 2000);

	add_host_ok(b, &s);
	vlt_dc_t *dc = build_ok(b);
	const vlt_host_t *h = host(dc, "h1");

	assert_true(h->ratio[VLT_RES_VCPUS] == 16.0);
	assert_true(h->ratio[VLT_RES_RAM_MB] == 1.5);
	assert_true(h->ratio[VLT_RES_DISK_GB] == 1.0);
	assert_int_equal(h->capacity[VLT_RES_VCPUS], 512);
	assert_int_equal(h->capacity[VLT_RES_RAM_MB], 196608);
	assert_int_equal(h->capacity[VLT_RES_DISK_GB], 2000);
	assert_int_equal(h->total[VLT_RES_RAM_MB], 131072);
	assert_false(h->preloaded);
	assert_true(h->enabled);
	assert_true(h->nic_mbps == VLT_UNLIMITED);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

static void test_dc_capacity_host_ratio_overrides_key_by_key(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };
	const double ratio[VLT_RES_COUNT] = { 8.0, 0.0, 2.0 }; /* 0: keep 1.5 */

	assert_int_equal(vlt__dc_set_defaults(b, ratio, NULL, &err), 0);
	vlt_host_spec_t s = spec("h1", NULL, 32, 131072, 2000);

	s.ratio[VLT_RES_VCPUS] = 4.0; /* only vcpus overridden */
	s.used[VLT_RES_VCPUS] = 4;
	s.used[VLT_RES_RAM_MB] = 8192;
	s.used[VLT_RES_DISK_GB] = 40;
	add_host_ok(b, &s);
	vlt_host_spec_t t = spec("h2", NULL, 32, 131072, 2000);

	add_host_ok(b, &t);
	vlt_dc_t *dc = build_ok(b);
	const vlt_host_t *h1 = host(dc, "h1"), *h2 = host(dc, "h2");

	assert_int_equal(h1->capacity[VLT_RES_VCPUS], 32 * 4 - 4);
	assert_int_equal(h1->capacity[VLT_RES_RAM_MB], 196608 - 8192);
	assert_int_equal(h1->capacity[VLT_RES_DISK_GB], 4000 - 40);
	assert_true(h1->ratio[VLT_RES_VCPUS] == 4.0);
	assert_true(h1->ratio[VLT_RES_RAM_MB] == 1.5);
	assert_true(h1->ratio[VLT_RES_DISK_GB] == 2.0);
	assert_true(h1->preloaded);
	assert_int_equal(h1->used[VLT_RES_RAM_MB], 8192);
	assert_int_equal(h2->capacity[VLT_RES_VCPUS], 256);
	assert_false(h2->preloaded);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

static void test_dc_capacity_applies_standby(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };
	const double standby[VLT_RES_COUNT] = { 10.0, 10.0, 25.0 };

	assert_int_equal(vlt__dc_set_defaults(b, NULL, standby, &err), 0);
	vlt_host_spec_t s = spec("h1", NULL, 32, 131072, 2000);
	vlt_host_spec_t t = spec("h2", NULL, 100, 1000, 3);

	add_host_ok(b, &s);
	add_host_ok(b, &t);
	vlt_dc_t *dc = build_ok(b);
	const vlt_host_t *h1 = host(dc, "h1"), *h2 = host(dc, "h2");

	/* floor(32 x 16 x 0.9) = floor(460.8) */
	assert_int_equal(h1->capacity[VLT_RES_VCPUS], 460);
	/* floor(131072 x 1.5 x 0.9) = floor(176947.2) */
	assert_int_equal(h1->capacity[VLT_RES_RAM_MB], 176947);
	assert_int_equal(h1->capacity[VLT_RES_DISK_GB], 1500);
	assert_true(h1->standby_pct[VLT_RES_DISK_GB] == 25.0);
	/* whole products must not lose a unit to rounding: 100 x 16 x 0.9 = 1440 */
	assert_int_equal(h2->capacity[VLT_RES_VCPUS], 1440);
	assert_int_equal(h2->capacity[VLT_RES_RAM_MB], 1350);
	assert_int_equal(h2->capacity[VLT_RES_DISK_GB], 2); /* floor(2.25) */
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

static void test_dc_capacity_goes_negative_when_overused(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_host_spec_t s = spec("h1", NULL, 2, 1024, 10);

	s.used[VLT_RES_DISK_GB] = 15;
	add_host_ok(b, &s);
	vlt_dc_t *dc = build_ok(b);
	const vlt_host_t *h = host(dc, "h1");

	assert_int_equal(h->capacity[VLT_RES_DISK_GB], -5);
	assert_true(h->preloaded);
	assert_int_equal(dc->racks[h->rack].n_preloaded, 1);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

/* ---------------------------------------------------------------- topology */

static void test_dc_host_without_rack_is_its_own_rack_in_implicit_cluster(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__dc_add_cluster(b, "c1", 160000, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "r1", "c1", 40000, &err), 0);
	vlt_host_spec_t a = spec("lone", NULL, 4, 4096, 40);
	vlt_host_spec_t c = spec("racked", "r1", 4, 4096, 40);

	add_host_ok(b, &a);
	add_host_ok(b, &c);
	vlt_dc_t *dc = build_ok(b);

	assert_int_equal(dc->n_clusters, 2);
	assert_int_equal(dc->n_racks, 2);
	const vlt_host_t *lone = host(dc, "lone"), *racked = host(dc, "racked");
	const vlt_domain_t *lr = &dc->racks[lone->rack];
	const vlt_domain_t *ic = &dc->clusters[lone->cluster];

	assert_string_equal(lr->name, "lone");
	assert_true(lr->implicit);
	assert_true(lr->uplink_mbps == VLT_UNLIMITED);
	assert_int_equal(lr->parent, lone->cluster);
	assert_string_equal(ic->name, "dc1");
	assert_true(ic->implicit);
	assert_true(ic->uplink_mbps == VLT_UNLIMITED);
	assert_int_equal(ic->parent, VLT_NONE);
	/* explicit clusters first, the implicit one last */
	assert_int_equal(lone->cluster, 1);
	assert_int_equal(racked->cluster, 0);
	assert_string_equal(dc->clusters[0].name, "c1");
	assert_false(dc->clusters[0].implicit);
	assert_int_equal(dc->clusters[0].uplink_mbps, 160000);
	assert_int_equal(dc->racks[racked->rack].uplink_mbps, 40000);
	assert_false(dc->racks[racked->rack].implicit);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

static void test_dc_rack_without_cluster_goes_to_implicit_cluster(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("site");
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__dc_add_rack(b, "r1", NULL, VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "r2", NULL, VLT_UNLIMITED, &err), 0);
	vlt_host_spec_t a = spec("a", "r2", 1, 1, 1), c = spec("c", "r1", 1, 1, 1);

	add_host_ok(b, &a);
	add_host_ok(b, &c);
	vlt_dc_t *dc = build_ok(b);

	assert_int_equal(dc->n_clusters, 1);
	assert_string_equal(dc->clusters[0].name, "site");
	assert_true(dc->clusters[0].implicit);
	assert_int_equal(dc->clusters[0].n_racks, 2);
	assert_int_equal(dc->clusters[0].n_hosts, 2);
	/* racks keep the order they were added in */
	assert_string_equal(dc->racks[0].name, "r1");
	assert_string_equal(dc->racks[1].name, "r2");
	assert_string_equal(dc->hosts[0].name, "c");
	assert_string_equal(dc->hosts[1].name, "a");
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

static void test_dc_no_implicit_cluster_when_not_needed(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__dc_add_cluster(b, "c1", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "r1", "c1", VLT_UNLIMITED, &err), 0);
	vlt_host_spec_t a = spec("a", "r1", 1, 1, 1);

	add_host_ok(b, &a);
	vlt_dc_t *dc = build_ok(b);

	assert_int_equal(dc->n_clusters, 1);
	assert_false(dc->clusters[0].implicit);
	assert_string_equal(dc->clusters[0].name, "c1");
	assert_true(dc->clusters[0].uplink_mbps == VLT_UNLIMITED);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

/* Every structural invariant model.h promises. */
static void check_layout(const vlt_dc_t *dc)
{
	for (uint32_t c = 0; c < dc->n_clusters; c++) {
		const vlt_domain_t *d = &dc->clusters[c];
		uint32_t nh = 0;

		assert_int_equal(d->id, c);
		assert_int_equal(d->parent, VLT_NONE);
		assert_true(d->first_rack + d->n_racks <= dc->n_racks);
		for (uint32_t r = d->first_rack; r < d->first_rack + d->n_racks; r++) {
			assert_int_equal(dc->racks[r].parent, c);
			nh += dc->racks[r].n_hosts;
		}
		assert_int_equal(nh, d->n_hosts);
		if (d->n_racks > 0)
			assert_int_equal(d->first_host, dc->racks[d->first_rack].first_host);
	}
	uint32_t next_rack = 0;

	for (uint32_t c = 0; c < dc->n_clusters; c++) {
		if (dc->clusters[c].n_racks == 0)
			continue;
		assert_int_equal(dc->clusters[c].first_rack, next_rack);
		next_rack += dc->clusters[c].n_racks;
	}
	assert_int_equal(next_rack, dc->n_racks);
	uint32_t next_host = 0;

	for (uint32_t r = 0; r < dc->n_racks; r++) {
		const vlt_domain_t *d = &dc->racks[r];
		uint32_t ne = 0, np = 0;

		assert_int_equal(d->id, r);
		assert_int_equal(d->n_racks, 0);
		if (d->n_hosts > 0)
			assert_int_equal(d->first_host, next_host);
		for (uint32_t h = d->first_host; h < d->first_host + d->n_hosts; h++) {
			assert_int_equal(dc->hosts[h].rack, r);
			assert_int_equal(dc->hosts[h].cluster, d->parent);
			ne += dc->hosts[h].enabled;
			np += dc->hosts[h].preloaded;
		}
		assert_int_equal(ne, d->n_enabled);
		assert_int_equal(np, d->n_preloaded);
		next_host += d->n_hosts;
	}
	assert_int_equal(next_host, dc->n_hosts);
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		assert_int_equal(dc->hosts[h].id, h);
		assert_int_equal(vlt__dc_find_host(dc, dc->hosts[h].name), h);
		assert_true(dc->hosts[h].az_id < dc->n_azs);
		assert_ptr_equal(dc->hosts[h].az, dc->azs[dc->hosts[h].az_id]);
	}
}

static void test_dc_hosts_contiguous_by_cluster_then_rack(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__dc_add_cluster(b, "cA", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_cluster(b, "cB", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_cluster(b, "cEmpty", VLT_UNLIMITED, &err), 0);
	/* racks added out of cluster order, one empty */
	assert_int_equal(vlt__dc_add_rack(b, "rB1", "cB", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "rA1", "cA", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "rB2", "cB", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "rEmpty", "cA", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "rA2", "cA", VLT_UNLIMITED, &err), 0);
	/* hosts interleaved across racks and clusters, some rackless */
	const char *racks[] = { "rB2", "rA1", NULL, "rB1", "rA2", "rA1", "rB2", NULL, "rB1" };
	char names[9][8];

	for (int i = 0; i < 9; i++) {
		snprintf(names[i], sizeof(names[i]), "h%d", i);
		vlt_host_spec_t s = spec(names[i], racks[i], 1, 1, 1);

		s.enabled = i % 3 != 0;
		s.used[VLT_RES_VCPUS] = i % 2;
		add_host_ok(b, &s);
	}
	vlt_dc_t *dc = build_ok(b);

	check_layout(dc);
	assert_int_equal(dc->n_clusters, 4);
	assert_int_equal(dc->n_racks, 7);
	/* cA: rA1 rEmpty rA2; cB: rB1 rB2; cEmpty; implicit: h2 h7 */
	const char *want_racks[] = { "rA1", "rEmpty", "rA2", "rB1", "rB2", "h2", "h7" };

	for (uint32_t r = 0; r < 7; r++)
		assert_string_equal(dc->racks[r].name, want_racks[r]);
	/* within a rack, the order the hosts were added in */
	const char *want_hosts[] = { "h1", "h5", "h4", "h3", "h8", "h0", "h6", "h2", "h7" };

	for (uint32_t h = 0; h < 9; h++)
		assert_string_equal(dc->hosts[h].name, want_hosts[h]);
	assert_int_equal(dc->clusters[2].n_racks, 0);
	assert_int_equal(dc->clusters[2].n_hosts, 0);
	assert_int_equal(dc->racks[1].n_hosts, 0);
	assert_string_equal(dc->clusters[3].name, "dc1");
	assert_int_equal(dc->clusters[0].n_enabled, 3); /* h1 h5 h4 */
	assert_int_equal(dc->clusters[1].n_enabled, 1); /* h3 h8 h0 h6: only h8 */
	assert_int_equal(dc->clusters[1].n_preloaded, 1); /* odd hosts use a vcpu: h3 */
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

/* ---------------------------------------------------------------- catalog */

static void test_dc_aggregates_azs_pools_flavors(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };
	const vlt_kv_t md[] = { { "ssd", "true" }, { "tier", "gold" } };
	const vlt_kv_t specs[] = { { "aggregate_instance_extra_specs:ssd", "true" } };
	const char *aggs[] = { "gpu", "ssd" };
	const char *types[] = { "lvm", "ceph" };

	assert_int_equal(vlt__dc_add_cluster(b, "c1", 100, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "r1", "c1", 50, &err), 0);
	assert_int_equal(vlt__dc_add_aggregate(b, "ssd", md, 2, &err), 0);
	assert_int_equal(vlt__dc_add_aggregate(b, "gpu", NULL, 0, &err), 0);
	vlt_host_spec_t a = spec("a", "r1", 1, 1, 1), c = spec("c", NULL, 1, 1, 1);

	a.aggregates = aggs;
	a.n_aggregates = 2;
	a.az = "az2";
	a.nic_mbps = 10000;
	add_host_ok(b, &a);
	add_host_ok(b, &c);
	vlt_pool_spec_t p1 = { .name = "cinder1@lvm#pool1", .rack = "r1", .capacity_gb = 20000,
			       .used_gb = 100, .volume_types = types, .n_volume_types = 2 };
	vlt_pool_spec_t p2 = { .name = "shared", .capacity_gb = 5 };

	assert_int_equal(vlt__dc_add_pool(b, &p1, &err), 0);
	assert_int_equal(vlt__dc_add_pool(b, &p2, &err), 0);
	vlt_flavor_t f = { .name = "sflavor0", .vcpus = 2, .ram_mb = 4096, .disk_gb = 20,
			   .extra_specs = specs, .n_extra_specs = 1 };

	assert_int_equal(vlt__dc_add_flavor(b, &f, &err), 0);
	vlt_dc_t *dc = build_ok(b);

	/* the model keeps its own copies: the builder can go first */
	vlt__dc_builder_free(b);
	check_layout(dc);
	const vlt_host_t *ha = host(dc, "a"), *hc = host(dc, "c");

	assert_int_equal(ha->n_aggregates, 2);
	assert_string_equal(dc->aggregates[ha->aggregates[0]].name, "gpu");
	assert_string_equal(dc->aggregates[ha->aggregates[1]].name, "ssd");
	assert_int_equal(hc->n_aggregates, 0);
	assert_int_equal(dc->n_aggregates, 2);
	assert_int_equal(dc->aggregates[0].n_metadata, 2);
	assert_string_equal(dc->aggregates[0].metadata[1].key, "tier");
	assert_string_equal(dc->aggregates[0].metadata[1].value, "gold");
	assert_int_equal(dc->aggregates[1].id, 1);
	assert_string_equal(ha->az, "az2");
	assert_string_equal(hc->az, "nova");
	assert_int_equal(dc->n_azs, 2);
	assert_int_equal(ha->nic_mbps, 10000);

	uint32_t pi = vlt__dc_find_pool(dc, "cinder1@lvm#pool1");

	assert_int_not_equal(pi, VLT_NONE);
	const vlt_pool_t *pool = &dc->pools[pi];

	assert_int_equal(pool->id, pi);
	assert_int_equal(pool->rack, ha->rack);
	assert_int_equal(pool->cluster, ha->cluster);
	assert_int_equal(pool->capacity_gb, 20000);
	assert_int_equal(pool->used_gb, 100);
	assert_int_equal(pool->n_volume_types, 2);
	assert_string_equal(pool->volume_types[1], "ceph");
	const vlt_pool_t *shared = &dc->pools[vlt__dc_find_pool(dc, "shared")];

	assert_int_equal(shared->rack, VLT_NONE);
	assert_int_equal(shared->cluster, VLT_NONE);
	assert_int_equal(shared->n_volume_types, 0);
	assert_int_equal(vlt__dc_find_pool(dc, "nope"), VLT_NONE);

	const vlt_flavor_t *fl = vlt__dc_find_flavor(dc, "sflavor0");

	assert_non_null(fl);
	assert_int_equal(fl->ram_mb, 4096);
	assert_int_equal(fl->n_extra_specs, 1);
	assert_string_equal(fl->extra_specs[0].key, "aggregate_instance_extra_specs:ssd");
	assert_null(vlt__dc_find_flavor(dc, "m1.small"));
	assert_int_equal(vlt__dc_find_host(dc, "zz"), VLT_NONE);
	vlt__dc_free(dc);
}

/* ---------------------------------------------------------------- refusals */

static void expect_refusal(int rc, const vlt_err_t *err, const char *want)
{
	assert_int_equal(rc, VLT_EINVAL);
	assert_int_equal(err->code, VLT_EINVAL);
	if (strstr(err->msg, want) == NULL)
		fail_msg("message '%s' lacks '%s'", err->msg, want);
}

static void test_dc_refuses_duplicates_and_unknown_names(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };
	const char *unknown_agg[] = { "nope" };
	const char *twice[] = { "ssd", "ssd" };

	assert_int_equal(vlt__dc_add_cluster(b, "c1", 1, &err), 0);
	expect_refusal(vlt__dc_add_cluster(b, "c1", 1, &err), &err, "duplicate cluster name 'c1'");
	assert_int_equal(vlt__dc_add_rack(b, "r1", "c1", 1, &err), 0);
	expect_refusal(vlt__dc_add_rack(b, "r1", "c1", 1, &err), &err, "duplicate rack name 'r1'");
	expect_refusal(vlt__dc_add_rack(b, "r2", "c9", 1, &err), &err, "unknown cluster 'c9'");
	assert_int_equal(vlt__dc_add_aggregate(b, "ssd", NULL, 0, &err), 0);
	expect_refusal(vlt__dc_add_aggregate(b, "ssd", NULL, 0, &err), &err,
		       "duplicate aggregate name 'ssd'");

	vlt_host_spec_t s = spec("h1", "r1", 1, 1, 1);

	add_host_ok(b, &s);
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "duplicate host name 'h1'");
	s = spec("h2", "r9", 1, 1, 1);
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "unknown rack 'r9'");
	s = spec("h2", "r1", 1, 1, 1);
	s.aggregates = unknown_agg;
	s.n_aggregates = 1;
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "unknown aggregate 'nope'");
	s.aggregates = twice;
	s.n_aggregates = 2;
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "aggregate 'ssd' listed twice");
	s = spec("", "r1", 1, 1, 1);
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "host name is empty");

	vlt_pool_spec_t p = { .name = "p1", .rack = "r1", .capacity_gb = 1 };

	assert_int_equal(vlt__dc_add_pool(b, &p, &err), 0);
	expect_refusal(vlt__dc_add_pool(b, &p, &err), &err, "duplicate storage pool name 'p1'");
	p.name = "p2";
	p.rack = "r7";
	expect_refusal(vlt__dc_add_pool(b, &p, &err), &err, "unknown rack 'r7'");

	vlt_flavor_t f = { .name = "m1.small", .vcpus = 1, .ram_mb = 2048, .disk_gb = 20 };

	assert_int_equal(vlt__dc_add_flavor(b, &f, &err), 0);
	expect_refusal(vlt__dc_add_flavor(b, &f, &err), &err, "duplicate flavor name 'm1.small'");
	expect_refusal(vlt__dc_set_name(b, "dc2", &err), &err, "already named 'dc1'");
	assert_int_equal(vlt__dc_set_name(b, "dc1", &err), 0);

	/* refused calls leave nothing behind */
	vlt_dc_t *dc = build_ok(b);

	assert_int_equal(dc->n_hosts, 1);
	assert_int_equal(dc->n_racks, 1);
	assert_int_equal(dc->n_clusters, 1);
	assert_int_equal(dc->n_pools, 1);
	assert_int_equal(dc->n_flavors, 1);
	assert_int_equal(dc->n_aggregates, 1);
	assert_int_equal(dc->hosts[0].n_aggregates, 0);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

/* dc_set_host_nic: a later source sets a host's NIC; unknown hosts and negative figures refused. */
static void test_dc_set_host_nic(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };
	vlt_host_spec_t s = spec("h1", NULL, 1, 1, 1);

	add_host_ok(b, &s);
	s = spec("h2", NULL, 1, 1, 1);
	add_host_ok(b, &s);
	expect_refusal(vlt__dc_set_host_nic(b, "h9", 1000, &err), &err,
		       "no host 'h9' yet (the source that adds it must come first");
	expect_refusal(vlt__dc_set_host_nic(b, NULL, 1000, &err), &err, "no host ''");
	expect_refusal(vlt__dc_set_host_nic(b, "h1", -1, &err), &err,
		       "nic_mbps must not be negative, got -1");
	assert_int_equal(vlt__dc_set_host_nic(b, "h1", 25000, &err), 0);
	assert_int_equal(vlt__dc_set_host_nic(b, "h1", 10000, &err), 0);

	vlt_dc_t *dc = build_ok(b);

	assert_int_equal(host(dc, "h1")->nic_mbps, 10000);
	assert_int_equal(host(dc, "h2")->nic_mbps, VLT_UNLIMITED);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

static void test_dc_refuses_bad_numbers(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_err_t err = { 0 };
	double ratio[VLT_RES_COUNT] = { 16, -1, 1 };
	double standby[VLT_RES_COUNT] = { 0, 0, 120 };

	expect_refusal(vlt__dc_set_defaults(b, ratio, NULL, &err), &err,
		       "allocation ratio of ram_mb must be > 0, got -1");
	expect_refusal(vlt__dc_set_defaults(b, NULL, standby, &err), &err,
		       "standby percent of disk_gb must be between 0 and 100, got 120");
	standby[2] = -0.5;
	expect_refusal(vlt__dc_set_defaults(b, NULL, standby, &err), &err, "got -0.5");
	expect_refusal(vlt__dc_add_cluster(b, "c1", -1, &err), &err,
		       "uplink_mbps must not be negative, got -1");
	expect_refusal(vlt__dc_add_rack(b, "r1", NULL, -5, &err), &err, "uplink_mbps");

	vlt_host_spec_t s = spec("h1", NULL, 1, -2048, 1);

	expect_refusal(vlt__dc_add_host(b, &s, &err), &err,
		       "ram_mb must not be negative, got -2048");
	s = spec("h1", NULL, 1, 1, 1);
	s.used[VLT_RES_VCPUS] = -1;
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "used vcpus must not be negative");
	s = spec("h1", NULL, 1, 1, 1);
	s.ratio[VLT_RES_DISK_GB] = -2.0;
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "allocation ratio of disk_gb");
	s = spec("h1", NULL, 1, 1, 1);
	s.nic_mbps = -1;
	expect_refusal(vlt__dc_add_host(b, &s, &err), &err, "nic_mbps must not be negative");

	vlt_pool_spec_t p = { .name = "p", .capacity_gb = -1 };

	expect_refusal(vlt__dc_add_pool(b, &p, &err), &err, "capacity_gb must not be negative");
	p.capacity_gb = 1;
	p.used_gb = -1;
	expect_refusal(vlt__dc_add_pool(b, &p, &err), &err, "used_gb must not be negative");
	vlt_flavor_t f = { .name = "f", .vcpus = -1 };

	expect_refusal(vlt__dc_add_flavor(b, &f, &err), &err, "vcpus must not be negative");
	vlt__dc_builder_free(b);
}

static void test_dc_build_refuses_clashing_implicit_names(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc1");
	vlt_dc_t *dc = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__dc_add_rack(b, "h1", NULL, VLT_UNLIMITED, &err), 0);
	vlt_host_spec_t s = spec("h1", NULL, 1, 1, 1);

	add_host_ok(b, &s);
	expect_refusal(vlt__dc_build(b, &dc, &err), &err,
		       "host 'h1' has no rack, and its implicit rack would clash with rack 'h1'");
	assert_null(dc);
	vlt__dc_builder_free(b);

	b = builder("dc1");
	assert_int_equal(vlt__dc_add_cluster(b, "dc1", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "r1", NULL, VLT_UNLIMITED, &err), 0);
	expect_refusal(vlt__dc_build(b, &dc, &err), &err, "cluster 'dc1' has the data center's name");
	vlt__dc_builder_free(b);
}

static void test_dc_build_empty_and_nameless(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = vlt__dc_builder_new();
	vlt_dc_t *dc = NULL;
	vlt_err_t err = { 0 };

	/* nothing described: an empty data center, so that valetd can start */
	assert_int_equal(vlt__dc_build(b, &dc, &err), 0);
	assert_non_null(dc);
	assert_string_equal(dc->name, "");
	assert_int_equal(dc->n_hosts, 0);
	assert_int_equal(dc->n_racks, 0);
	assert_int_equal(dc->n_clusters, 0);
	assert_int_equal(dc->n_azs, 0);
	assert_int_equal(vlt__dc_find_host(dc, "x"), VLT_NONE);
	assert_null(vlt__dc_find_flavor(dc, "x"));
	vlt__dc_free(dc);

	vlt_host_spec_t s = spec("h1", NULL, 1, 1, 1);

	add_host_ok(b, &s);
	expect_refusal(vlt__dc_build(b, &dc, &err), &err, "the data center has no name");
	expect_refusal(vlt__dc_set_name(b, "", &err), &err, "data center name is empty");
	vlt__dc_builder_free(b);
	vlt__dc_builder_free(NULL);
	vlt__dc_free(NULL);
}

/* ---------------------------------------------------------------- limits, traits, uuid */

/* The call's rc is VLT_EINVAL and its message is want. */
#define assert_refused(call, err, want)                                        \
	do {                                                                   \
		assert_int_equal((call), VLT_EINVAL);                          \
		assert_string_equal((err).msg, (want));                        \
	} while (0)

static void test_dc_host_limits_traits_uuid_refusals(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc");
	vlt_err_t err = { 0 };
	vlt_unit_limits_t lim[VLT_RES_COUNT] = { { 0 } };
	const char *traits[] = { "CUSTOM_B", "CUSTOM_A", "CUSTOM_B" };
	const char *empty[] = { "CUSTOM_A", "" };
	vlt_host_spec_t h1 = spec("h1", NULL, 8, 8192, 100), h2 = spec("h2", NULL, 8, 8192, 100);

	add_host_ok(b, &h1);
	add_host_ok(b, &h2);
	/* unknown hosts: the source that adds them must come first */
	assert_refused(vlt__dc_set_host_limits(b, "h9", lim, &err), err,
		       "no host 'h9' yet (the source that adds it must come first in "
		       "modules.sources)");
	assert_refused(vlt__dc_set_host_traits(b, "h9", traits, 1, &err), err,
		       "no host 'h9' yet (the source that adds it must come first in "
		       "modules.sources)");
	assert_refused(vlt__dc_set_host_uuid(b, NULL, "u1", &err), err,
		       "no host '' yet (the source that adds it must come first in "
		       "modules.sources)");
	/* limits: negative refused, 0 is no limit */
	lim[VLT_RES_RAM_MB].step_size = -512;
	assert_refused(vlt__dc_set_host_limits(b, "h1", lim, &err), err,
		       "host h1: step_size of ram_mb must not be negative, got -512 (0: no limit)");
	lim[VLT_RES_RAM_MB].step_size = 0;
	lim[VLT_RES_VCPUS].min_unit = -1;
	assert_refused(vlt__dc_set_host_limits(b, "h1", lim, &err), err,
		       "host h1: min_unit of vcpus must not be negative, got -1 (0: no limit)");
	assert_refused(vlt__dc_set_host_limits(b, "h1", NULL, &err), err, "host h1: no limits");
	/* traits: repeats and empty names refused, a second list replaces the first */
	assert_refused(vlt__dc_set_host_traits(b, "h1", traits, 3, &err), err,
		       "host h1: trait 'CUSTOM_B' listed twice");
	assert_refused(vlt__dc_set_host_traits(b, "h1", empty, 2, &err), err,
		       "host h1: trait name is empty");
	assert_refused(vlt__dc_set_host_traits(b, "h1", NULL, 2, &err), err,
		       "host h1: 2 traits but no array");
	/* uuids: unique among hosts; the same again is fine, another one is not */
	assert_int_equal(vlt__dc_set_host_uuid(b, "h1", "u1", &err), 0);
	assert_int_equal(vlt__dc_set_host_uuid(b, "h1", "u1", &err), 0);
	assert_refused(vlt__dc_set_host_uuid(b, "h1", "u2", &err), err,
		       "host h1 already has uuid u1, not u2");
	assert_refused(vlt__dc_set_host_uuid(b, "h2", "u1", &err), err,
		       "host h2: uuid u1 is already host h1's");
	assert_refused(vlt__dc_set_host_uuid(b, "h2", "", &err), err, "host h2: uuid is empty");
	vlt__dc_builder_free(b);
}

static void test_dc_host_limits_traits_uuid_in_the_model(void **state)
{
	(void)state;
	vlt_dc_builder_t *b = builder("dc");
	vlt_err_t err = { 0 };
	vlt_unit_limits_t lim[VLT_RES_COUNT] = { { 2, 8, 2 }, { 0, 0, 512 }, { 0 } };
	const char *first[] = { "CUSTOM_OLD" };
	const char *traits[] = { "HW_CPU_X86_AVX2", "CUSTOM_GPU" };
	uint32_t n;

	/* h2 is added after h1 but goes before it: rack r1 comes first */
	assert_int_equal(vlt__dc_add_rack(b, "r1", NULL, VLT_UNLIMITED, &err), 0);
	vlt_host_spec_t h1 = spec("h1", NULL, 8, 8192, 100), h2 = spec("h2", "r1", 8, 8192, 100);

	add_host_ok(b, &h1);
	add_host_ok(b, &h2);
	assert_int_equal(vlt__dc_set_host_limits(b, "h1", lim, &err), 0);
	assert_int_equal(vlt__dc_set_host_traits(b, "h1", first, 1, &err), 0);
	assert_int_equal(vlt__dc_set_host_traits(b, "h1", traits, 2, &err), 0);
	assert_int_equal(vlt__dc_set_host_uuid(b, "h1", "uuid-1", &err), 0);
	vlt_dc_t *dc = build_ok(b);
	uint32_t i1 = host(dc, "h1")->id, i2 = host(dc, "h2")->id;

	assert_int_equal(i2, 0);
	assert_string_equal(vlt__dc_host_uuid(dc, i1), "uuid-1");
	assert_null(vlt__dc_host_uuid(dc, i2));
	assert_int_equal(vlt__dc_host_limits(dc, i1)[VLT_RES_VCPUS].max_unit, 8);
	assert_int_equal(vlt__dc_host_limits(dc, i1)[VLT_RES_RAM_MB].step_size, 512);
	assert_int_equal(vlt__dc_host_limits(dc, i2)[VLT_RES_VCPUS].max_unit, 0);
	/* the second list replaced the first: CUSTOM_OLD is nobody's */
	assert_int_equal(vlt__dc_trait_id(dc, "CUSTOM_OLD"), VLT_NONE);
	assert_int_equal(vlt__dc_host_traits(dc, i2, &n) != NULL, 1);
	assert_int_equal(n, 0);
	vlt__dc_host_traits(dc, i1, &n);
	assert_int_equal(n, 2);
	uint32_t gpu = vlt__dc_trait_id(dc, "CUSTOM_GPU");

	assert_int_not_equal(gpu, VLT_NONE);
	assert_string_equal(vlt__dc_trait_name(dc, gpu), "CUSTOM_GPU");
	assert_true(vlt__dc_host_has_trait(dc, i1, gpu));
	assert_true(vlt__dc_host_has_trait(dc, i1, vlt__dc_trait_id(dc, "HW_CPU_X86_AVX2")));
	assert_false(vlt__dc_host_has_trait(dc, i2, gpu));
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

/* Placement's rule, and how a flavor no host admits is refused. */
static void test_dc_limits_rule_and_refusal(void **state)
{
	(void)state;
	const vlt_unit_limits_t lim[VLT_RES_COUNT] = { { 2, 16, 2 }, { 0 }, { 10, 0, 0 } };
	int res = -1;
	char buf[256];

	assert_int_equal(vlt__limits_fault(lim, (int64_t[]){ 4, 1, 10 }, &res), VLT_LIMIT_OK);
	/* asking none of a class asks nothing of it, min_unit included */
	assert_int_equal(vlt__limits_fault(lim, (int64_t[]){ 4, 1, 0 }, &res), VLT_LIMIT_OK);
	assert_int_equal(vlt__limits_fault(lim, (int64_t[]){ 0, 1, 10 }, &res), VLT_LIMIT_OK);
	assert_int_equal(vlt__limits_fault(lim, (int64_t[]){ 1, 1, 10 }, &res), VLT_LIMIT_MIN);
	assert_int_equal(vlt__limits_fault(lim, (int64_t[]){ 18, 1, 10 }, &res), VLT_LIMIT_MAX);
	assert_int_equal(vlt__limits_fault(lim, (int64_t[]){ 3, 1, 10 }, &res), VLT_LIMIT_STEP);
	assert_int_equal(res, VLT_RES_VCPUS);
	assert_int_equal(vlt__limits_fault(lim, (int64_t[]){ 4, 1, 5 }, &res), VLT_LIMIT_MIN);
	assert_int_equal(res, VLT_RES_DISK_GB);
	vlt__limits_describe(VLT_LIMIT_STEP, 0, (int64_t[]){ 3, 1, 10 }, lim, false, buf,
			     sizeof(buf));
	assert_string_equal(buf, "vcpus 3 is not a multiple of step_size 2");

	vlt_dc_builder_t *b = builder("dc");
	vlt_err_t err = { 0 };
	vlt_host_spec_t h1 = spec("h1", NULL, 64, 8192, 100), h2 = spec("h2", NULL, 64, 8192, 100);

	add_host_ok(b, &h1);
	add_host_ok(b, &h2);
	assert_int_equal(vlt__dc_set_host_limits(b, "h1", lim, &err), 0);
	assert_int_equal(vlt__dc_set_host_limits(b, "h2", lim, &err), 0);
	vlt_dc_t *dc = build_ok(b);

	assert_true(vlt__limits_refusal(dc, "m1.huge", (int64_t[]){ 32, 1, 10 }, buf, sizeof(buf)));
	assert_string_equal(buf, "flavor 'm1.huge' asks 32 vcpus, above max_unit 16 of every host");
	assert_false(vlt__limits_refusal(dc, "m1.ok", (int64_t[]){ 16, 1, 10 }, buf, sizeof(buf)));
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

/* ---------------------------------------------------------------- scale */

/* ---------------------------------------------------------------- resource classes */

static void test_dc_host_class_refusals(void **state)
{
	vlt_dc_builder_t *b = builder("dc");
	vlt_host_spec_t h1 = spec("h1", NULL, 8, 8192, 100);
	vlt_class_inventory_t inv = { .total = 2 };
	vlt_err_t err = { 0 };

	(void)state;
	add_host_ok(b, &h1);
	expect_refusal(vlt__dc_set_host_class(b, "h9", "CUSTOM_X", &inv, &err), &err,
		       "no host 'h9' yet");
	expect_refusal(vlt__dc_set_host_class(b, "h1", "MEMORY_MB", &inv, &err), &err,
		       "host h1: MEMORY_MB is the host's ram_mb, not an extra resource class");
	expect_refusal(vlt__dc_set_host_class(b, "h1", "CUSTOM_x", &inv, &err), &err,
		       "host h1: 'CUSTOM_x' is not a resource class");
	expect_refusal(vlt__dc_set_host_class(b, "h1", "", &inv, &err), &err,
		       "host h1: resource class name is empty");
	inv = (vlt_class_inventory_t){ .total = 2, .reserved = 3 };
	expect_refusal(vlt__dc_set_host_class(b, "h1", "PCPU", &inv, &err), &err,
		       "host h1: reserved 3 of PCPU is above its total 2");
	inv = (vlt_class_inventory_t){ .total = 2, .used = -1 };
	expect_refusal(vlt__dc_set_host_class(b, "h1", "PCPU", &inv, &err), &err,
		       "host h1: used of PCPU must not be negative, got -1");
	inv = (vlt_class_inventory_t){ .total = 2, .limits = { .step_size = -2 } };
	expect_refusal(vlt__dc_set_host_class(b, "h1", "PCPU", &inv, &err), &err,
		       "host h1: step_size of PCPU must not be negative, got -2 (0: no limit)");
	inv = (vlt_class_inventory_t){ .total = 2, .ratio = -1 };
	expect_refusal(vlt__dc_set_host_class(b, "h1", "PCPU", &inv, &err), &err,
		       "host h1: allocation ratio of PCPU must be > 0, got -1");
	expect_refusal(vlt__dc_add_consumer_class(b, "h1", "vm1", "VCPU", 1, &err), &err,
		       "VCPU is the host's vcpus");
	expect_refusal(vlt__dc_add_consumer_class(b, "h1", "vm1", "PCPU", -1, &err), &err,
		       "consumer's usage must not be negative");
	/* a consumer of a class its host has no inventory of: refused at build */
	assert_int_equal(vlt__dc_add_consumer_class(b, "h1", "vm1", "PCPU", 1, &err), 0);
	vlt_dc_t *dc = NULL;

	expect_refusal(vlt__dc_build(b, &dc, &err), &err,
		       "consumer vm1: host h1 has no inventory of PCPU");
	assert_null(dc);
	vlt__dc_builder_free(b);
}

/*
 * A class's capacity is floor((total - reserved) x ratio) - used; set again,
 * it replaces; a consumer Valet holds is credited back, as for vcpus.
 */
static void test_dc_host_classes_in_the_model(void **state)
{
	vlt_dc_builder_t *b = builder("dc");
	vlt_host_spec_t h1 = spec("h1", NULL, 8, 8192, 100), h2 = spec("h2", NULL, 8, 8192, 100);
	vlt_class_inventory_t fpga = { .total = 4, .reserved = 1, .used = 2 };
	vlt_class_inventory_t pcpu = { .total = 10, .ratio = 1.5, .limits = { .max_unit = 4 } };
	const char *held[] = { "vm-held" };
	vlt_err_t err = { 0 };

	(void)state;
	add_host_ok(b, &h1);
	add_host_ok(b, &h2);
	assert_int_equal(vlt__dc_set_host_class(b, "h1", "PCPU", &pcpu, &err), 0);
	pcpu.total = 12; /* replaces the first */
	assert_int_equal(vlt__dc_set_host_class(b, "h1", "PCPU", &pcpu, &err), 0);
	assert_int_equal(vlt__dc_set_host_class(b, "h2", "CUSTOM_FPGA", &fpga, &err), 0);
	assert_int_equal(vlt__dc_add_consumer_class(b, "h2", "vm-held", "CUSTOM_FPGA", 1, &err), 0);
	assert_int_equal(vlt__dc_add_consumer_class(b, "h2", "vm-other", "CUSTOM_FPGA", 1, &err),
			 0);
	vlt_dc_t *dc = build_ok(b);
	uint32_t i1 = host(dc, "h1")->id, i2 = host(dc, "h2")->id;
	uint32_t f = vlt__dc_class_id(dc, "CUSTOM_FPGA"), p = vlt__dc_class_id(dc, "PCPU");

	assert_int_equal(dc->n_classes, 2);
	assert_string_equal(dc->classes[f], "CUSTOM_FPGA");
	assert_int_equal(vlt__dc_host_class_capacity(dc, i1, p), 18);
	assert_int_equal(vlt__dc_host_class_limits(dc, i1, p)->max_unit, 4);
	assert_int_equal(vlt__dc_host_class_capacity(dc, i1, f), VLT_CLASS_ABSENT);
	assert_int_equal(vlt__dc_host_class_capacity(dc, i2, f), 1);
	assert_int_equal(vlt__dc_credit(dc, held, 1), 0); /* no standard consumer */
	assert_int_equal(vlt__dc_host_class_capacity(dc, i2, f), 2);
	vlt__dc_credit(dc, NULL, 0);
	assert_int_equal(vlt__dc_host_class_capacity(dc, i2, f), 1);
	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_dc_builds_20000_hosts_fast(void **state)
{
	(void)state;
	enum { N_CLUSTERS = 10, RACKS_PER = 50, HOSTS_PER = 40 }; /* 20,000 hosts */
	double t0 = now_s();
	vlt_dc_builder_t *b = builder("big");
	vlt_err_t err = { 0 };
	char name[32], rack[32], cluster[32];
	const vlt_kv_t md[] = { { "ssd", "true" } };
	const char *aggs[] = { "ssd" };

	assert_int_equal(vlt__dc_add_aggregate(b, "ssd", md, 1, &err), 0);
	for (int c = 0; c < N_CLUSTERS; c++) {
		snprintf(cluster, sizeof(cluster), "c%02d", c);
		assert_int_equal(vlt__dc_add_cluster(b, cluster, VLT_UNLIMITED, &err), 0);
	}
	/* racks and hosts added in an order unrelated to the final one */
	for (int r = RACKS_PER * N_CLUSTERS - 1; r >= 0; r--) {
		snprintf(rack, sizeof(rack), "r%04d", r);
		snprintf(cluster, sizeof(cluster), "c%02d", r % N_CLUSTERS);
		assert_int_equal(vlt__dc_add_rack(b, rack, cluster, 40000, &err), 0);
	}
	for (int i = 0; i < N_CLUSTERS * RACKS_PER * HOSTS_PER; i++) {
		snprintf(name, sizeof(name), "host%05d", i);
		snprintf(rack, sizeof(rack), "r%04d", (i * 7) % (RACKS_PER * N_CLUSTERS));
		vlt_host_spec_t s = spec(name, rack, 32, 131072, 2000);

		s.az = i % 2 ? "nova" : "az2";
		s.aggregates = aggs;
		s.n_aggregates = i % 3 == 0;
		add_host_ok(b, &s);
	}
	vlt_dc_t *dc = build_ok(b);
	double t_build = now_s() - t0;

	assert_int_equal(dc->n_hosts, 20000);
	assert_int_equal(dc->n_racks, 500);
	assert_int_equal(dc->n_clusters, 10);
	assert_int_equal(dc->n_azs, 2);
	check_layout(dc);
	for (uint32_t r = 0; r < dc->n_racks; r++)
		assert_int_equal(dc->racks[r].n_hosts, HOSTS_PER);
	double t1 = now_s();

	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 20000; i++) {
			snprintf(name, sizeof(name), "host%05d", i);
			uint32_t h = vlt__dc_find_host(dc, name);

			assert_int_not_equal(h, VLT_NONE);
			assert_string_equal(dc->hosts[h].name, name);
		}
	}
	double t_lookup = now_s() - t1;

	vlt__dc_free(dc);
	vlt__dc_builder_free(b);
	print_message("20,000 hosts: build %.3f s, 100,000 lookups %.3f s\n", t_build, t_lookup);
	/* generous bounds: sanitizer builds on a shared machine */
	assert_true(t_build < 5.0);
	assert_true(t_lookup < 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dc_capacity_uses_default_ratios),
		cmocka_unit_test(test_dc_capacity_host_ratio_overrides_key_by_key),
		cmocka_unit_test(test_dc_capacity_applies_standby),
		cmocka_unit_test(test_dc_capacity_goes_negative_when_overused),
		cmocka_unit_test(test_dc_host_without_rack_is_its_own_rack_in_implicit_cluster),
		cmocka_unit_test(test_dc_rack_without_cluster_goes_to_implicit_cluster),
		cmocka_unit_test(test_dc_no_implicit_cluster_when_not_needed),
		cmocka_unit_test(test_dc_hosts_contiguous_by_cluster_then_rack),
		cmocka_unit_test(test_dc_aggregates_azs_pools_flavors),
		cmocka_unit_test(test_dc_refuses_duplicates_and_unknown_names),
		cmocka_unit_test(test_dc_refuses_bad_numbers),
		cmocka_unit_test(test_dc_set_host_nic),
		cmocka_unit_test(test_dc_build_refuses_clashing_implicit_names),
		cmocka_unit_test(test_dc_build_empty_and_nameless),
		cmocka_unit_test(test_dc_host_limits_traits_uuid_refusals),
		cmocka_unit_test(test_dc_host_limits_traits_uuid_in_the_model),
		cmocka_unit_test(test_dc_limits_rule_and_refusal),
		cmocka_unit_test(test_dc_host_class_refusals),
		cmocka_unit_test(test_dc_host_classes_in_the_model),
		cmocka_unit_test(test_dc_builds_20000_hosts_fast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
