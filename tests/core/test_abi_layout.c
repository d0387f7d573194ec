/*
 * test_abi_layout.c - the module ABI 1.0 frozen at compile time.
 *
 * Every member of every ops table, of vlt_core_t and of the public model
 * types is pinned to its offset, and every public struct to its size, for
 * the LP64 platforms valet is built on (x86-64, AArch64). Reordering,
 * retyping or removing a member breaks the build here instead of breaking
 * already-built modules at run time.
 *
 * When a minor version appends members: add an OFF line for each new
 * member and update that struct's SIZE line, together with VLT_ABI_MINOR.
 * Never edit an existing OFF line: that would be a major version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <valet/valet.h>

#define OFF(type, member, off)                                                 \
	_Static_assert(offsetof(type, member) == (off),                        \
		       #type "." #member " moved: the module ABI changed")
#define SIZE(type, size)                                                       \
	_Static_assert(sizeof(type) == (size), "sizeof(" #type ") changed: the module ABI changed")
#define VAL(name, value)                                                       \
	_Static_assert((long long)(name) == (value), #name " changed: the module ABI changed")

#if defined(__x86_64__) || defined(__aarch64__)
#define VLT_ABI_LAYOUT_CHECKED 1

/* vlt_plugin_info_t */
SIZE(vlt_plugin_info_t, 48);
OFF(vlt_plugin_info_t, magic, 0);
OFF(vlt_plugin_info_t, abi_major, 4);
OFF(vlt_plugin_info_t, abi_minor, 6);
OFF(vlt_plugin_info_t, ops_size, 8);
OFF(vlt_plugin_info_t, flags, 12);
OFF(vlt_plugin_info_t, kind, 16);
OFF(vlt_plugin_info_t, name, 24);
OFF(vlt_plugin_info_t, version, 32);
OFF(vlt_plugin_info_t, summary, 40);

/* vlt_source_ops_t */
SIZE(vlt_source_ops_t, 72);
OFF(vlt_source_ops_t, info, 0);
OFF(vlt_source_ops_t, init, 48);
OFF(vlt_source_ops_t, fini, 56);
OFF(vlt_source_ops_t, collect, 64);

/* vlt_policy_ops_t */
SIZE(vlt_policy_ops_t, 112);
OFF(vlt_policy_ops_t, info, 0);
OFF(vlt_policy_ops_t, init, 48);
OFF(vlt_policy_ops_t, fini, 56);
OFF(vlt_policy_ops_t, validate, 64);
OFF(vlt_policy_ops_t, prefilter, 72);
OFF(vlt_policy_ops_t, filter, 80);
OFF(vlt_policy_ops_t, score, 88);
OFF(vlt_policy_ops_t, assign, 96);
OFF(vlt_policy_ops_t, unassign, 104);

/* vlt_solver_ops_t */
SIZE(vlt_solver_ops_t, 72);
OFF(vlt_solver_ops_t, info, 0);
OFF(vlt_solver_ops_t, init, 48);
OFF(vlt_solver_ops_t, fini, 56);
OFF(vlt_solver_ops_t, solve, 64);

/* vlt_store_ops_t */
SIZE(vlt_store_ops_t, 128);
OFF(vlt_store_ops_t, info, 0);
OFF(vlt_store_ops_t, init, 48);
OFF(vlt_store_ops_t, fini, 56);
OFF(vlt_store_ops_t, get, 64);
OFF(vlt_store_ops_t, put, 72);
OFF(vlt_store_ops_t, remove, 80);
OFF(vlt_store_ops_t, list, 88);
/* ABI 1.4 */
OFF(vlt_store_ops_t, ping, 96);
OFF(vlt_store_ops_t, range, 104);
/* ABI 1.5 */
OFF(vlt_store_ops_t, insert_batch, 112);
/* ABI 1.6 */
OFF(vlt_store_ops_t, remove_batch, 120);

/* vlt_core_t */
SIZE(vlt_core_t, 336);
OFF(vlt_core_t, abi_major, 0);
OFF(vlt_core_t, abi_minor, 2);
OFF(vlt_core_t, self_id, 4);
OFF(vlt_core_t, priv, 8);
OFF(vlt_core_t, log, 16);
OFF(vlt_core_t, cfg_str, 24);
OFF(vlt_core_t, cfg_int, 32);
OFF(vlt_core_t, cfg_double, 40);
OFF(vlt_core_t, cfg_bool, 48);
OFF(vlt_core_t, data_dir, 56);
OFF(vlt_core_t, dc_set_name, 64);
OFF(vlt_core_t, dc_set_defaults, 72);
OFF(vlt_core_t, dc_add_cluster, 80);
OFF(vlt_core_t, dc_add_rack, 88);
OFF(vlt_core_t, dc_add_aggregate, 96);
OFF(vlt_core_t, dc_add_host, 104);
OFF(vlt_core_t, dc_add_pool, 112);
OFF(vlt_core_t, dc_add_flavor, 120);
OFF(vlt_core_t, cycle_dc, 128);
OFF(vlt_core_t, cycle_stack, 136);
OFF(vlt_core_t, cycle_view, 144);
OFF(vlt_core_t, check, 152);
OFF(vlt_core_t, cost, 160);
OFF(vlt_core_t, score, 168);
OFF(vlt_core_t, assign, 176);
OFF(vlt_core_t, unassign, 184);
OFF(vlt_core_t, note_failure, 192);
OFF(vlt_core_t, metric, 200);
OFF(vlt_core_t, group_count, 208);
OFF(vlt_core_t, residents, 216);
OFF(vlt_core_t, policy_residents, 224);
/* ABI 1.1 */
OFF(vlt_core_t, group_servers, 232);
/* ABI 1.2 */
OFF(vlt_core_t, dc_add_consumer, 240);
OFF(vlt_core_t, dc_set_host_rack, 248);
OFF(vlt_core_t, dc_set_instances, 256);
/* ABI 1.3 */
OFF(vlt_core_t, dc_set_host_limits, 264);
OFF(vlt_core_t, dc_set_host_traits, 272);
OFF(vlt_core_t, dc_set_host_uuid, 280);
OFF(vlt_core_t, dc_set_host_nic, 288);
/* ABI 1.5 */
OFF(vlt_core_t, group_hosts, 296);
/* ABI 1.6 */
OFF(vlt_core_t, dc_set_host_class, 304);
OFF(vlt_core_t, dc_add_consumer_class, 312);
OFF(vlt_core_t, class_free, 320);
OFF(vlt_core_t, unit_classes, 328);

/* vlt_err_t */
SIZE(vlt_err_t, 516);
OFF(vlt_err_t, code, 0);
OFF(vlt_err_t, msg, 4);

/* vlt_host_spec_t */
SIZE(vlt_host_spec_t, 120);
OFF(vlt_host_spec_t, name, 0);
OFF(vlt_host_spec_t, rack, 8);
OFF(vlt_host_spec_t, az, 16);
OFF(vlt_host_spec_t, total, 24);
OFF(vlt_host_spec_t, ratio, 48);
OFF(vlt_host_spec_t, used, 72);
OFF(vlt_host_spec_t, nic_mbps, 96);
OFF(vlt_host_spec_t, aggregates, 104);
OFF(vlt_host_spec_t, n_aggregates, 112);
OFF(vlt_host_spec_t, enabled, 116);

/* vlt_unit_limits_t (ABI 1.3) */
SIZE(vlt_unit_limits_t, 24);
OFF(vlt_unit_limits_t, min_unit, 0);
OFF(vlt_unit_limits_t, max_unit, 8);
OFF(vlt_unit_limits_t, step_size, 16);

/* vlt_class_inventory_t (ABI 1.6) */
SIZE(vlt_class_inventory_t, 56);
OFF(vlt_class_inventory_t, total, 0);
OFF(vlt_class_inventory_t, reserved, 8);
OFF(vlt_class_inventory_t, ratio, 16);
OFF(vlt_class_inventory_t, used, 24);
OFF(vlt_class_inventory_t, limits, 32);

/* vlt_class_demand_t (ABI 1.6) */
SIZE(vlt_class_demand_t, 16);
OFF(vlt_class_demand_t, rclass, 0);
OFF(vlt_class_demand_t, amount, 8);

/* vlt_pool_spec_t */
SIZE(vlt_pool_spec_t, 48);
OFF(vlt_pool_spec_t, name, 0);
OFF(vlt_pool_spec_t, rack, 8);
OFF(vlt_pool_spec_t, capacity_gb, 16);
OFF(vlt_pool_spec_t, used_gb, 24);
OFF(vlt_pool_spec_t, volume_types, 32);
OFF(vlt_pool_spec_t, n_volume_types, 40);

/* vlt_kv_t */
SIZE(vlt_kv_t, 16);
OFF(vlt_kv_t, key, 0);
OFF(vlt_kv_t, value, 8);

/* vlt_host_t */
SIZE(vlt_host_t, 184);
OFF(vlt_host_t, id, 0);
OFF(vlt_host_t, rack, 4);
OFF(vlt_host_t, cluster, 8);
OFF(vlt_host_t, name, 16);
OFF(vlt_host_t, az, 24);
OFF(vlt_host_t, az_id, 32);
OFF(vlt_host_t, total, 40);
OFF(vlt_host_t, ratio, 64);
OFF(vlt_host_t, standby_pct, 88);
OFF(vlt_host_t, used, 112);
OFF(vlt_host_t, capacity, 136);
OFF(vlt_host_t, nic_mbps, 160);
OFF(vlt_host_t, aggregates, 168);
OFF(vlt_host_t, n_aggregates, 176);
OFF(vlt_host_t, enabled, 180);
OFF(vlt_host_t, preloaded, 181);

/* vlt_domain_t */
SIZE(vlt_domain_t, 64);
OFF(vlt_domain_t, id, 0);
OFF(vlt_domain_t, name, 8);
OFF(vlt_domain_t, parent, 16);
OFF(vlt_domain_t, uplink_mbps, 24);
OFF(vlt_domain_t, first_host, 32);
OFF(vlt_domain_t, n_hosts, 36);
OFF(vlt_domain_t, first_rack, 40);
OFF(vlt_domain_t, n_racks, 44);
OFF(vlt_domain_t, n_preloaded, 48);
OFF(vlt_domain_t, n_enabled, 52);
OFF(vlt_domain_t, implicit, 56);

/* vlt_aggregate_t */
SIZE(vlt_aggregate_t, 32);
OFF(vlt_aggregate_t, id, 0);
OFF(vlt_aggregate_t, name, 8);
OFF(vlt_aggregate_t, metadata, 16);
OFF(vlt_aggregate_t, n_metadata, 24);

/* vlt_pool_t */
SIZE(vlt_pool_t, 56);
OFF(vlt_pool_t, id, 0);
OFF(vlt_pool_t, name, 8);
OFF(vlt_pool_t, rack, 16);
OFF(vlt_pool_t, cluster, 20);
OFF(vlt_pool_t, capacity_gb, 24);
OFF(vlt_pool_t, used_gb, 32);
OFF(vlt_pool_t, volume_types, 40);
OFF(vlt_pool_t, n_volume_types, 48);

/* vlt_flavor_t */
SIZE(vlt_flavor_t, 48);
OFF(vlt_flavor_t, name, 0);
OFF(vlt_flavor_t, vcpus, 8);
OFF(vlt_flavor_t, ram_mb, 16);
OFF(vlt_flavor_t, disk_gb, 24);
OFF(vlt_flavor_t, extra_specs, 32);
OFF(vlt_flavor_t, n_extra_specs, 40);

/* vlt_dc_t */
SIZE(vlt_dc_t, 136);
OFF(vlt_dc_t, name, 0);
OFF(vlt_dc_t, hosts, 8);
OFF(vlt_dc_t, n_hosts, 16);
OFF(vlt_dc_t, racks, 24);
OFF(vlt_dc_t, n_racks, 32);
OFF(vlt_dc_t, clusters, 40);
OFF(vlt_dc_t, n_clusters, 48);
OFF(vlt_dc_t, aggregates, 56);
OFF(vlt_dc_t, n_aggregates, 64);
OFF(vlt_dc_t, pools, 72);
OFF(vlt_dc_t, n_pools, 80);
OFF(vlt_dc_t, flavors, 88);
OFF(vlt_dc_t, n_flavors, 96);
OFF(vlt_dc_t, azs, 104);
OFF(vlt_dc_t, n_azs, 112);
OFF(vlt_dc_t, classes, 120); /* ABI 1.6 */
OFF(vlt_dc_t, n_classes, 128);

/* vlt_membership_t */
SIZE(vlt_membership_t, 8);
OFF(vlt_membership_t, group, 0);
OFF(vlt_membership_t, via, 4);

/* vlt_unit_t */
SIZE(vlt_unit_t, 128);
OFF(vlt_unit_t, id, 0);
OFF(vlt_unit_t, kind, 4);
OFF(vlt_unit_t, orch_id, 8);
OFF(vlt_unit_t, name, 16);
OFF(vlt_unit_t, type, 24);
OFF(vlt_unit_t, flavor, 32);
OFF(vlt_unit_t, az, 40);
OFF(vlt_unit_t, volume_type, 48);
OFF(vlt_unit_t, demand, 56);
OFF(vlt_unit_t, extra_specs, 80);
OFF(vlt_unit_t, n_extra_specs, 88);
OFF(vlt_unit_t, groups, 96);
OFF(vlt_unit_t, n_groups, 104);
OFF(vlt_unit_t, links, 112);
OFF(vlt_unit_t, n_links, 120);

/* vlt_link_t */
SIZE(vlt_link_t, 24);
OFF(vlt_link_t, a, 0);
OFF(vlt_link_t, b, 4);
OFF(vlt_link_t, mbps, 8);
OFF(vlt_link_t, flags, 16);

/* vlt_group_t */
SIZE(vlt_group_t, 104);
OFF(vlt_group_t, id, 0);
OFF(vlt_group_t, type, 8);
OFF(vlt_group_t, policy, 16);
OFF(vlt_group_t, level, 20);
OFF(vlt_group_t, name, 24);
OFF(vlt_group_t, key, 32);
OFF(vlt_group_t, parent, 40);
OFF(vlt_group_t, children, 48);
OFF(vlt_group_t, n_children, 56);
OFF(vlt_group_t, units, 64);
OFF(vlt_group_t, n_units, 72);
OFF(vlt_group_t, tenants, 80);
OFF(vlt_group_t, n_tenants, 88);
OFF(vlt_group_t, ref, 96);

/* vlt_stack_t */
SIZE(vlt_stack_t, 72);
OFF(vlt_stack_t, stack_id, 0);
OFF(vlt_stack_t, plan_name, 8);
OFF(vlt_stack_t, tenant_id, 16);
OFF(vlt_stack_t, units, 24);
OFF(vlt_stack_t, n_units, 32);
OFF(vlt_stack_t, groups, 40);
OFF(vlt_stack_t, n_groups, 48);
OFF(vlt_stack_t, links, 56);
OFF(vlt_stack_t, n_links, 64);

/* vlt_view_t */
SIZE(vlt_view_t, 88);
OFF(vlt_view_t, host_free, 0);
OFF(vlt_view_t, rack_max_free, 8);
OFF(vlt_view_t, cluster_max_free, 16);
OFF(vlt_view_t, rack_free, 24);
OFF(vlt_view_t, cluster_free, 32);
OFF(vlt_view_t, host_nic_free_mbps, 40);
OFF(vlt_view_t, rack_uplink_free_mbps, 48);
OFF(vlt_view_t, cluster_uplink_free_mbps, 56);
OFF(vlt_view_t, host_residents, 64);
OFF(vlt_view_t, pool_free_gb, 72);
OFF(vlt_view_t, placement, 80);
VAL(VLT_PLUGIN_MAGIC, 1447842896);
VAL(VLT_ABI_MAJOR, 1);
VAL(VLT_PLUGIN_F_THREADSAFE, 1);
VAL(VLT_KIND_SOURCE, 1);
VAL(VLT_KIND_POLICY, 2);
VAL(VLT_KIND_SOLVER, 3);
VAL(VLT_KIND_STORE, 4);
VAL(VLT_LOG_ERR, 3);
VAL(VLT_LOG_WARNING, 4);
VAL(VLT_LOG_NOTICE, 5);
VAL(VLT_LOG_INFO, 6);
VAL(VLT_LOG_DEBUG, 7);
VAL(VLT_PASS, 0);
VAL(VLT_REJECT, 1);
VAL(VLT_SKIP, 3);
VAL(VLT_RES_VCPUS, 0);
VAL(VLT_RES_RAM_MB, 1);
VAL(VLT_RES_DISK_GB, 2);
VAL(VLT_RES_COUNT, 3);
VAL(VLT_LEVEL_HOST, 0);
VAL(VLT_LEVEL_RACK, 1);
VAL(VLT_LEVEL_CLUSTER, 2);
VAL(VLT_LEVEL_DC, 3);
VAL(VLT_LEVEL_COUNT, 4);
VAL(VLT_UNIT_SERVER, 0);
VAL(VLT_UNIT_VOLUME, 1);
VAL(VLT_LINK_ATTACHMENT, 1);
VAL(VLT_OK, 0);
VAL(VLT_ENOMEM, -12);
VAL(VLT_EINVAL, -22);
VAL(VLT_ENOENT, -2);
VAL(VLT_EEXIST, -17);
VAL(VLT_ETIMEDOUT, -110);
VAL(VLT_EIO, -5);
VAL(VLT_E2BIG, -7);
VAL(VLT_EABI, -5001);
VAL(VLT_ECONFIG, -5002);
VAL(VLT_EBACKEND, -5003);
VAL(VLT_ENOPLACE, -5004);
VAL(VLT_ECONFLICT, -5005);
VAL(VLT_EFORBIDDEN, -5006);
VAL(VLT_EMETHOD, -5007);
VAL(VLT_EINTERNAL, -5008);
VAL(VLT_ERR_MSG_MAX, 512);
#else
#define VLT_ABI_LAYOUT_CHECKED 0
#endif

/* Also at run time, so that the test says which platform it checked. */
static void test_layout_is_checked(void **state)
{
	(void)state;
	assert_int_equal(VLT_ABI_LAYOUT_CHECKED, 1);
	assert_int_equal(VLT_ABI_MAJOR, 1);
	assert_int_equal(VLT_ABI_MINOR, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_is_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
