/*
 * test_stack.c - the stack model from plan requests (core/engine/stack.c) and the
 * registry of named groups (core/engine/groups.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dc.h"
#include "shared_data.h"
#include "stack.h"

#define ENGINE_REQUESTS "valet/engine-requests"
#define STACK_DATA VLT_TEST_DATA "/stack"

enum { POL_AFFINITY = 0, POL_DIVERSITY = 1, POL_EXCLUSIVITY = 2, POL_VENDOR = 7 };

/* The policies "loaded" for these tests. */
static uint32_t policy_lookup(void *arg, const char *type)
{
	(void)arg;
	if (strcmp(type, "affinity") == 0)
		return POL_AFFINITY;
	if (strcmp(type, "diversity") == 0)
		return POL_DIVERSITY;
	if (strcmp(type, "exclusivity") == 0)
		return POL_EXCLUSIVITY;
	if (strcmp(type, "vendor") == 0)
		return POL_VENDOR;
	return VLT_NONE;
}

struct fx {
	vlt_dc_t *dc;
	vlt_group_registry_t reg;
};

static void add_flavor(vlt_dc_builder_t *b, const char *name, int64_t vcpus, int64_t ram,
		       int64_t disk, const vlt_kv_t *kv, uint32_t n_kv)
{
	vlt_flavor_t f = { .name = name, .vcpus = vcpus, .ram_mb = ram, .disk_gb = disk,
			   .extra_specs = kv, .n_extra_specs = n_kv };
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__dc_add_flavor(b, &f, &err), 0);
}

static void add_host(vlt_dc_builder_t *b, const char *name, const char *rack, const char *az)
{
	static const char *const ssd[] = { "ssd" };
	bool first = strcmp(name, "h1") == 0;
	vlt_host_spec_t h = { .name = name, .rack = rack, .az = az,
			      .total = { 32, 131072, 2000 }, .nic_mbps = 10000,
			      .aggregates = first ? ssd : NULL, .n_aggregates = first,
			      .enabled = true };
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__dc_add_host(b, &h, &err), 0);
}

/* Two racks of two hosts in zone nova, one host in zone az2, the flavors the data uses. */
static vlt_dc_t *make_dc(void)
{
	static const vlt_kv_t ssd[] = { { "ssd", "true" }, { "hw:cpu_policy", "dedicated" } };
	vlt_dc_builder_t *b = vlt__dc_builder_new();
	vlt_err_t err = { 0 };
	vlt_dc_t *dc = NULL;

	assert_non_null(b);
	assert_int_equal(vlt__dc_set_name(b, "dc1", &err), 0);
	assert_int_equal(vlt__dc_add_cluster(b, "c1", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "r1", "c1", VLT_UNLIMITED, &err), 0);
	assert_int_equal(vlt__dc_add_rack(b, "r2", "c1", VLT_UNLIMITED, &err), 0);
	static const vlt_kv_t ssd_md[] = { { "ssd", "true" } };
	assert_int_equal(vlt__dc_add_aggregate(b, "ssd", ssd_md, 1, &err), 0);
	add_host(b, "h1", "r1", "nova");
	add_host(b, "h2", "r1", "nova");
	add_host(b, "h3", "r2", "nova");
	add_host(b, "h4", "r2", "az2");
	add_flavor(b, "m1.small", 1, 2048, 20, NULL, 0);
	add_flavor(b, "bflavor0", 2, 4096, 40, ssd, 2);
	add_flavor(b, "sflavor0", 1, 1024, 10, NULL, 0);
	vlt_pool_spec_t pool = { .name = "cinder1@lvm#pool1", .rack = "r1", .capacity_gb = 1000 };
	assert_int_equal(vlt__dc_add_pool(b, &pool, &err), 0);
	int rc = vlt__dc_build(b, &dc, &err);
	if (rc != 0)
		fail_msg("dc: %s", err.msg);
	vlt__dc_builder_free(b);
	return dc;
}

/* An upstream engine request from the shared data (a static buffer). */
static const char *request(const char *file)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "%s/%s", ENGINE_REQUESTS, file);
	return vlt_shared_data(rel);
}

static json_t *load_json(const char *path)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);

	if (doc == NULL)
		fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
	return doc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	vlt_err_t err = { 0 };

	assert_non_null(f);
	f->dc = make_dc();
	json_t *doc = load_json(STACK_DATA "/groups.json");
	int rc = vlt__groups_from_json(&f->reg, doc, "groups.json", &err);
	json_decref(doc);
	if (rc != 0)
		fail_msg("groups.json: %s", err.msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vlt__groups_free(&f->reg);
	vlt__dc_free(f->dc);
	free(f);
	return 0;
}

/* ---------------------------------------------------------------- helpers */

static uint32_t unit_of(const vlt_stack_t *st, const char *orch_id)
{
	for (uint32_t i = 0; i < st->n_units; i++)
		if (strcmp(st->units[i].orch_id, orch_id) == 0)
			return i;
	fail_msg("no unit %s", orch_id);
	return VLT_NONE;
}

static uint32_t group_of(const vlt_stack_t *st, const char *ref)
{
	for (uint32_t i = 0; i < st->n_groups; i++)
		if (strcmp(st->groups[i].ref, ref) == 0)
			return i;
	fail_msg("no group %s", ref);
	return VLT_NONE;
}

static bool has_u32(const uint32_t *v, uint32_t n, uint32_t x)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool holds(const vlt_stack_t *st, uint32_t g, uint32_t u)
{
	const vlt_group_t *grp = &st->groups[g];

	if (has_u32(grp->units, grp->n_units, u))
		return true;
	for (uint32_t i = 0; i < grp->n_children; i++)
		if (holds(st, grp->children[i], u))
			return true;
	return false;
}

/* What every stack must satisfy, whatever the request. */
static void check_invariants(const vlt_stack_t *st)
{
	for (uint32_t g = 0; g < st->n_groups; g++) {
		const vlt_group_t *grp = &st->groups[g];
		assert_int_equal(grp->id, g);
		assert_non_null(grp->key);
		assert_non_null(grp->ref);
		assert_true(grp->n_units + grp->n_children > 0);
		if (grp->name != NULL)
			assert_string_equal(grp->key, grp->name);
		for (uint32_t i = 0; i < grp->n_children; i++) {
			const vlt_group_t *c = &st->groups[grp->children[i]];
			assert_int_equal(c->parent, g);
			assert_true(c->level <= grp->level);
		}
		if (grp->parent != VLT_NONE)
			assert_true(has_u32(st->groups[grp->parent].children,
					    st->groups[grp->parent].n_children, g));
	}
	for (uint32_t u = 0; u < st->n_units; u++) {
		const vlt_unit_t *un = &st->units[u];
		uint32_t n_holding = 0;
		assert_int_equal(un->id, u);
		for (uint32_t g = 0; g < st->n_groups; g++)
			n_holding += holds(st, g, u);
		assert_int_equal(un->n_groups, n_holding);
		for (uint32_t i = 0; i < un->n_groups; i++) {
			const vlt_membership_t *m = &un->groups[i];
			assert_true(holds(st, m->group, u));
			if (m->via == VLT_NONE) {
				const vlt_group_t *grp = &st->groups[m->group];
				assert_true(has_u32(grp->units, grp->n_units, u));
			} else {
				assert_int_equal(st->groups[m->via].parent, m->group);
				assert_true(holds(st, m->via, u));
			}
			/* innermost first: nothing after it is inside it */
			for (uint32_t j = i + 1; j < un->n_groups; j++)
				assert_int_not_equal(st->groups[un->groups[j].group].parent,
						     m->group);
			if (i > 0)
				assert_true(st->groups[un->groups[i - 1].group].level <=
					    st->groups[m->group].level);
		}
		uint32_t n_touch = 0;
		for (uint32_t l = 0; l < st->n_links; l++)
			n_touch += st->links[l].a == u || st->links[l].b == u;
		assert_int_equal(un->n_links, n_touch);
		for (uint32_t i = 0; i < un->n_links; i++) {
			const vlt_link_t *l = &st->links[un->links[i]];
			assert_true(l->a == u || l->b == u);
		}
	}
}

static int parse_doc(struct fx *f, const json_t *doc, const char *where, vlt_stack_t **st,
		     vlt_err_t *err)
{
	int rc = vlt__stack_parse(doc, f->dc, &f->reg, policy_lookup, NULL, where, st, err);

	if (rc == 0)
		check_invariants(*st);
	else
		assert_null(*st);
	return rc;
}

static vlt_stack_t *parse_ok(struct fx *f, const char *path, const char *where)
{
	json_t *doc = load_json(path);
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };
	int rc = parse_doc(f, doc, where, &st, &err);

	json_decref(doc);
	if (rc != 0)
		fail_msg("%s: rc %d: %s", path, rc, err.msg);
	return st;
}

/* JSON written with ' for " so that cases read well in C. */
static json_t *jq(const char *text)
{
	char *s = strdup(text);
	json_error_t jerr;

	assert_non_null(s);
	for (char *c = s; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	json_t *doc = json_loads(s, JSON_DECODE_ANY, &jerr);
	if (doc == NULL)
		fail_msg("bad test JSON: %s: %s", s, jerr.text);
	free(s);
	return doc;
}

/* ---------------------------------------------------------------- registry */

static void test_groups_file_parses(void **state)
{
	struct fx *f = *state;
	const vlt_named_group_t *g;

	assert_int_equal(f->reg.n_groups, 4);
	g = vlt__groups_find(&f->reg, "db-ex");
	assert_non_null(g);
	assert_string_equal(g->id, "3b9f6c1e-0000-4000-8000-000000000001");
	assert_string_equal(g->type, "exclusivity");
	assert_int_equal(g->level, VLT_LEVEL_HOST);
	assert_string_equal(g->description, "database hosts");
	assert_int_equal(g->n_members, 2);
	assert_string_equal(g->members[1], "tenant-b");
	assert_ptr_equal(vlt__groups_find(&f->reg, "3b9f6c1e-0000-4000-8000-000000000001"), g);

	g = vlt__groups_find(&f->reg, "spread");
	assert_non_null(g);
	assert_string_equal(g->id, "spread"); /* no id: the name serves */
	assert_null(g->description);
	assert_int_equal(g->n_members, 0);
	g = vlt__groups_find(&f->reg, "vendor.zone~1");
	assert_non_null(g);
	assert_int_equal(g->level, VLT_LEVEL_CLUSTER);
	assert_null(vlt__groups_find(&f->reg, "nope"));
	assert_null(vlt__groups_find(NULL, "db-ex"));
}

static void test_groups_errors_name_the_path(void **state)
{
	static const struct {
		const char *json;
		const char *msg;
	} cases[] = {
		{ "[]", "g.json: $: expected an object {\"groups\": [...]}" },
		{ "{}", "g.json: $.groups: missing (expected a list)" },
		{ "{'groups': {}}", "g.json: $.groups: expected a list" },
		{ "{'groups': [3]}", "g.json: $.groups[0]: expected an object" },
		{ "{'groups': [{'type': 'affinity', 'level': 'host'}]}",
		  "g.json: $.groups[0].name: missing (expected a string)" },
		{ "{'groups': [{'name': 'a b', 'type': 'affinity', 'level': 'host'}]}",
		  "g.json: $.groups[0].name: 'a b' is not a valid group name" },
		{ "{'groups': [{'name': 'a', 'level': 'host'}]}",
		  "g.json: $.groups[0].type: missing (expected a string)" },
		{ "{'groups': [{'name': 'a', 'type': 7, 'level': 'host'}]}",
		  "g.json: $.groups[0].type: expected a string" },
		{ "{'groups': [{'name': 'a', 'type': 'affinity'}]}",
		  "g.json: $.groups[0].level: missing (expected a string)" },
		{ "{'groups': [{'name': 'a', 'type': 'affinity', 'level': 'zone'}]}",
		  "g.json: $.groups[0].level: unknown level 'zone' (host, rack or cluster)" },
		{ "{'groups': [{'name': 'a', 'type': 'affinity', 'level': 'host', 'members': 't'}]}",
		  "g.json: $.groups[0].members: expected a list of tenant ids" },
		{ "{'groups': [{'name': 'a', 'type': 'affinity', 'level': 'host', 'members': ['t', 1]}]}",
		  "g.json: $.groups[0].members[1]: expected a string" },
		{ "{'groups': [{'name': 'a', 'type': 'affinity', 'level': 'host'},"
		  " {'name': 'b', 'type': 'affinity', 'level': 'host'},"
		  " {'name': 'a', 'type': 'diversity', 'level': 'rack'}]}",
		  "g.json: $.groups[2].name: duplicate group name 'a' (also $.groups[0])" },
		{ "{'groups': [{'id': 'x', 'name': 'a', 'type': 'affinity', 'level': 'host'},"
		  " {'id': 'x', 'name': 'b', 'type': 'affinity', 'level': 'host'}]}",
		  "g.json: $.groups[1].id: duplicate group id 'x' (also $.groups[0])" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = jq(cases[i].json);
		vlt_group_registry_t reg = { 0 };
		vlt_err_t err = { 0 };
		int rc = vlt__groups_from_json(&reg, doc, "g.json", &err);
		json_decref(doc);
		if (rc != VLT_EINVAL || strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
			fail_msg("case %zu: rc %d, message '%s', wanted '%s'", i, rc, err.msg,
				 cases[i].msg);
		assert_int_equal(err.code, VLT_EINVAL);
		assert_null(reg.groups);
		assert_int_equal(reg.n_groups, 0);
	}
}

static void test_levels_and_names(void **state)
{
	(void)state;
	assert_int_equal(vlt__level_parse("host"), VLT_LEVEL_HOST);
	assert_int_equal(vlt__level_parse("rack"), VLT_LEVEL_RACK);
	assert_int_equal(vlt__level_parse("cluster"), VLT_LEVEL_CLUSTER);
	assert_int_equal(vlt__level_parse("datacenter"), -1);
	assert_int_equal(vlt__level_parse("Host"), -1);
	assert_int_equal(vlt__level_parse(NULL), -1);
	assert_string_equal(vlt__level_name(VLT_LEVEL_HOST), "host");
	assert_string_equal(vlt__level_name(VLT_LEVEL_RACK), "rack");
	assert_string_equal(vlt__level_name(VLT_LEVEL_CLUSTER), "cluster");
	assert_string_equal(vlt__level_name(VLT_LEVEL_DC), "datacenter");
	assert_true(vlt__group_name_valid("Az-09._~"));
	assert_false(vlt__group_name_valid(""));
	assert_false(vlt__group_name_valid("a/b"));
	assert_false(vlt__group_name_valid("a:b"));
	vlt__groups_free(NULL);
	vlt__stack_free(NULL);
}

/* ---------------------------------------------------------------- upstream's requests */

/* Counts of resource types in an engine request, to check the model against. */
static void count_types(const json_t *req, uint32_t *n_units, uint32_t *n_groups)
{
	const char *key;
	json_t *r;

	*n_units = *n_groups = 0;
	json_object_foreach(json_object_get(json_array_get(req, 0), "resources"), key, r) {
		const char *type = json_string_value(json_object_get(r, "type"));
		if (strcmp(type, "OS::Nova::Server") == 0 || strcmp(type, "OS::Cinder::Volume") == 0)
			(*n_units)++;
		else if (strcmp(type, "ATT::CloudQoS::ResourceGroup") == 0)
			(*n_groups)++;
	}
}

static void test_engine_requests_all_parse(void **state)
{
	struct fx *f = *state;
	const char *dir = vlt_shared_data(ENGINE_REQUESTS);
	DIR *d = opendir(dir);
	struct dirent *e;
	int n_files = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		json_t *doc = load_json(path);
		vlt_stack_t *st = NULL;
		vlt_err_t err = { 0 };
		int rc = parse_doc(f, doc, e->d_name, &st, &err);
		n_files++;
		if (strcmp(e->d_name, "simple_ping.json") == 0) {
			assert_int_equal(rc, VLT_EINVAL);
			assert_string_equal(err.msg,
					    "simple_ping.json: $[0].action: 'ping' requests are not "
					    "placement plans; only \"create\" is accepted");
			json_decref(doc);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", e->d_name, err.msg);
		uint32_t n_units, n_groups;
		count_types(doc, &n_units, &n_groups);
		assert_int_equal(st->n_units, n_units);
		assert_int_equal(st->n_groups, n_groups);
		assert_int_equal(st->n_links, 0);
		const char *sid = json_string_value(json_object_get(json_array_get(doc, 0),
								    "stack_id"));
		assert_string_equal(st->stack_id, sid);
		for (uint32_t u = 1; u < st->n_units; u++)
			assert_true(strcmp(st->units[u - 1].orch_id, st->units[u].orch_id) < 0);
		vlt__stack_free(st);
		json_decref(doc);
	}
	closedir(d);
	assert_int_equal(n_files, 15);
}

static void test_engine_nested_diversity(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, request("complex_mix_affinity_nested_diversity.json"),
				   "nested.json");

	assert_string_equal(st->plan_name, "app100");
	assert_string_equal(st->stack_id, "app_uuid100");
	assert_null(st->tenant_id);
	assert_int_equal(st->n_units, 2);
	assert_string_equal(st->units[0].orch_id, "vm100_uuid");
	assert_string_equal(st->units[1].orch_id, "vm101_uuid");
	assert_string_equal(st->units[0].name, "vm100");
	assert_string_equal(st->units[0].type, "OS::Nova::Server");
	assert_string_equal(st->units[0].flavor, "bflavor0");
	assert_int_equal(st->units[0].kind, VLT_UNIT_SERVER);
	assert_int_equal(st->units[0].demand[VLT_RES_VCPUS], 2);
	assert_int_equal(st->units[0].demand[VLT_RES_RAM_MB], 4096);
	assert_int_equal(st->units[0].demand[VLT_RES_DISK_GB], 40);
	assert_int_equal(st->units[0].n_extra_specs, 2);
	assert_string_equal(st->units[0].extra_specs[0].key, "ssd");
	assert_string_equal(st->units[0].extra_specs[0].value, "true");
	assert_null(st->units[0].az);

	/* groups in orchestration-id order: affinity100_uuid, diversity100_uuid */
	assert_int_equal(st->n_groups, 2);
	const vlt_group_t *aff = &st->groups[0], *div = &st->groups[1];
	assert_string_equal(aff->ref, "affinity100_uuid");
	assert_string_equal(aff->type, "affinity");
	assert_int_equal(aff->policy, POL_AFFINITY);
	assert_int_equal(aff->level, VLT_LEVEL_RACK);
	assert_null(aff->name);
	assert_string_equal(aff->key, "app_uuid100/affinity100_uuid");
	assert_int_equal(aff->parent, VLT_NONE);
	assert_int_equal(aff->n_children, 1);
	assert_int_equal(aff->children[0], 1);
	assert_int_equal(aff->n_units, 0);
	assert_int_equal(aff->n_tenants, 0);

	assert_string_equal(div->ref, "diversity100_uuid");
	assert_string_equal(div->type, "diversity");
	assert_int_equal(div->policy, POL_DIVERSITY);
	assert_int_equal(div->level, VLT_LEVEL_HOST);
	assert_null(div->name);
	assert_string_equal(div->key, "app_uuid100/diversity100_uuid");
	assert_int_equal(div->parent, 0);
	assert_int_equal(div->n_children, 0);
	assert_int_equal(div->n_units, 2);
	assert_int_equal(div->units[0], 0);
	assert_int_equal(div->units[1], 1);

	for (uint32_t u = 0; u < 2; u++) {
		const vlt_unit_t *un = &st->units[u];
		assert_int_equal(un->n_groups, 2);
		assert_int_equal(un->groups[0].group, 1);
		assert_int_equal(un->groups[0].via, VLT_NONE);
		assert_int_equal(un->groups[1].group, 0);
		assert_int_equal(un->groups[1].via, 1);
		assert_int_equal(un->n_links, 0);
	}
	vlt__stack_free(st);
}

static void test_engine_exclusivity_named_by_resource(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, request("simple_exclusivity.json"), "ex.json");

	assert_string_equal(st->plan_name, "app2");
	assert_int_equal(st->n_units, 3);
	assert_int_equal(st->n_groups, 1);
	const vlt_group_t *g = &st->groups[0];
	assert_string_equal(g->name, "exclusivity0");
	assert_string_equal(g->key, "exclusivity0");
	assert_string_equal(g->ref, "exclusivity0_uuid");
	assert_string_equal(g->type, "exclusivity");
	assert_int_equal(g->policy, POL_EXCLUSIVITY);
	assert_int_equal(g->level, VLT_LEVEL_HOST);
	assert_int_equal(g->n_units, 2);
	assert_int_equal(g->units[0], unit_of(st, "vm3_uuid"));
	assert_int_equal(g->units[1], unit_of(st, "vm4_uuid"));
	assert_int_equal(st->units[unit_of(st, "vm3_uuid")].n_groups, 1);
	assert_int_equal(st->units[unit_of(st, "vm3_uuid")].groups[0].via, VLT_NONE);
	assert_int_equal(st->units[unit_of(st, "vm5_uuid")].n_groups, 0);
	assert_null(st->units[unit_of(st, "vm5_uuid")].groups);
	vlt__stack_free(st);
}

/* A unit listed directly by two groups: both memberships, the host one first. */
static void test_engine_two_direct_groups(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, request("complex_mix_affinity_affinity.json"),
				   "aa.json");
	uint32_t host = group_of(st, "affinity101_uuid"), rack = group_of(st, "affinity102_uuid");

	assert_int_equal(st->groups[host].level, VLT_LEVEL_HOST);
	assert_int_equal(st->groups[rack].level, VLT_LEVEL_RACK);
	assert_int_equal(st->groups[host].parent, VLT_NONE);
	assert_int_equal(st->groups[rack].parent, VLT_NONE);
	const vlt_unit_t *u = &st->units[unit_of(st, "vm103_uuid")];
	assert_int_equal(u->n_groups, 2);
	assert_int_equal(u->groups[0].group, host);
	assert_int_equal(u->groups[0].via, VLT_NONE);
	assert_int_equal(u->groups[1].group, rack);
	assert_int_equal(u->groups[1].via, VLT_NONE);
	u = &st->units[unit_of(st, "vm107_uuid")];
	assert_int_equal(u->n_groups, 1);
	assert_int_equal(u->groups[0].group, rack);
	vlt__stack_free(st);
}

static void test_engine_volume_and_fallbacks(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, request("simple_diversity.json"), "div.json");

	/* no plan_name, no application_name: the stack id names the plan */
	assert_string_equal(st->plan_name, "app_uuid7");
	const vlt_unit_t *v = &st->units[unit_of(st, "vol0_uuid")];
	assert_int_equal(v->kind, VLT_UNIT_VOLUME);
	assert_string_equal(v->type, "OS::Cinder::Volume");
	assert_int_equal(v->demand[VLT_RES_DISK_GB], 1);
	assert_int_equal(v->demand[VLT_RES_VCPUS], 0);
	assert_null(v->flavor);
	assert_null(v->volume_type);
	vlt__stack_free(st);

	st = parse_ok(f, request("simple_no_named_affinity.json"), "nn.json");
	assert_int_equal(st->n_groups, 1);
	assert_null(st->groups[0].name);
	assert_string_equal(st->groups[0].key, "app_uuid8/affinity2_uuid");
	vlt__stack_free(st);

	st = parse_ok(f, request("simple_az.json"), "az.json");
	assert_string_equal(st->units[unit_of(st, "vm26_uuid")].az, "nova");
	assert_null(st->units[unit_of(st, "vm24_uuid")].az);
	vlt__stack_free(st);
}

/* The engine form's own "groups" map, the tenant, and the stack id for a plan name. */
static void test_engine_form_groups_map(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, STACK_DATA "/engine_groups.json", "eg.json");

	assert_string_equal(st->plan_name, "st-engine");
	assert_string_equal(st->tenant_id, "tenant-a");
	assert_int_equal(st->n_groups, 2);
	const vlt_group_t *g = &st->groups[0];
	assert_string_equal(g->name, "eg-aff");
	assert_string_equal(g->ref, "11111111-2222-4333-8444-555555555555");
	assert_int_equal(g->level, VLT_LEVEL_HOST);
	assert_int_equal(g->n_units, 2);
	assert_string_equal(st->groups[1].name, "web-aff"); /* from the registry */
	assert_int_equal(st->groups[1].level, VLT_LEVEL_RACK);
	vlt__stack_free(st);
}

/* ---------------------------------------------------------------- group references */

static void test_every_group_reference(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, STACK_DATA "/refs.json", "refs.json");

	assert_string_equal(st->plan_name, "refs");
	assert_int_equal(st->n_units, 7);
	uint32_t app1 = unit_of(st, "srv-app-1"), db1 = unit_of(st, "srv-db-1"),
		 db2 = unit_of(st, "srv-db-2"), db3 = unit_of(st, "srv-db-3"),
		 web1 = unit_of(st, "srv-web-1"), web2 = unit_of(st, "srv-web-2"),
		 data1 = unit_of(st, "vol-data-1");
	assert_int_equal(app1, 0);
	assert_int_equal(data1, 6);
	assert_string_equal(st->units[web1].az, "nova");
	assert_string_equal(st->units[data1].volume_type, "lvm");
	assert_int_equal(st->units[data1].demand[VLT_RES_DISK_GB], 10);

	/* one stack group per named group, however many places name it */
	assert_int_equal(st->n_groups, 3);
	const vlt_group_t *ex = &st->groups[0], *spread = &st->groups[1], *web = &st->groups[2];

	assert_string_equal(ex->name, "db-ex");
	assert_string_equal(ex->key, "db-ex");
	assert_string_equal(ex->ref, "g-att");
	assert_string_equal(ex->type, "exclusivity");
	assert_int_equal(ex->level, VLT_LEVEL_HOST);
	assert_int_equal(ex->n_tenants, 2);
	assert_string_equal(ex->tenants[0], "tenant-a");
	assert_string_equal(ex->tenants[1], "tenant-b");
	assert_int_equal(ex->n_units, 3); /* get_resource, orch id, and OS::Valet by id */
	assert_int_equal(ex->units[0], db1);
	assert_int_equal(ex->units[1], db2);
	assert_int_equal(ex->units[2], db3);

	assert_string_equal(spread->name, "spread");
	assert_string_equal(spread->ref, "g-osv-1");
	assert_string_equal(spread->type, "diversity");
	assert_int_equal(spread->n_tenants, 0);
	assert_int_equal(spread->n_units, 2); /* by name; by metadata as a JSON string */
	assert_int_equal(spread->units[0], app1);
	assert_int_equal(spread->units[1], web2);

	assert_string_equal(web->name, "web-aff");
	assert_string_equal(web->ref, "g-osv-2");
	assert_int_equal(web->level, VLT_LEVEL_RACK);
	assert_int_equal(web->n_units, 3); /* get_resource of OS::Valet::Group; metadata */
	assert_int_equal(web->units[0], data1);
	assert_int_equal(web->units[1], web1);
	assert_int_equal(web->units[2], web2);

	const vlt_unit_t *u = &st->units[web2];
	assert_int_equal(u->n_groups, 2);
	assert_int_equal(u->groups[0].group, 1); /* spread (host) */
	assert_int_equal(u->groups[1].group, 2); /* web-aff (rack) */
	vlt__stack_free(st);
}

/* Metadata groups alone: a ref written as an id, and the group's own ref. */
static void test_metadata_ref_as_written(void **state)
{
	struct fx *f = *state;
	json_t *doc = jq("{'stack_id': 's', 'resources': {"
			 "'a': {'name': 'a', 'type': 'OS::Nova::Server', 'properties': {"
			 "  'flavor': 'm1.small', 'metadata': {'valet': {'groups': ["
			 "  '3b9f6c1e-0000-4000-8000-000000000002', 'vendor.zone~1']}}}},"
			 "'b': {'name': 'b', 'type': 'OS::Nova::Server', 'properties': {"
			 "  'flavor': 'm1.small', 'metadata': {'valet': {'groups': ['web-aff']}}}}}}");
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	if (parse_doc(f, doc, "p.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(st->plan_name, "s");
	assert_int_equal(st->n_groups, 2);
	assert_string_equal(st->groups[0].name, "web-aff");
	assert_string_equal(st->groups[0].ref, "3b9f6c1e-0000-4000-8000-000000000002");
	assert_int_equal(st->groups[0].n_units, 2);
	assert_string_equal(st->groups[1].type, "vendor");
	assert_int_equal(st->groups[1].policy, POL_VENDOR);
	assert_int_equal(st->groups[1].level, VLT_LEVEL_CLUSTER);
	assert_int_equal(st->units[0].n_groups, 2);
	assert_int_equal(st->units[0].groups[0].group, 0);
	assert_int_equal(st->units[0].groups[1].group, 1);
	vlt__stack_free(st);
	json_decref(doc);
}

/* A unit named twice for one group belongs to it once. */
static void test_duplicate_members_count_once(void **state)
{
	struct fx *f = *state;
	json_t *doc = jq("{'stack_id': 's', 'resources': {"
			 "'a': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small',"
			 "  'metadata': {'valet': {'groups': ['web-aff', 'web-aff']}}}},"
			 "'b': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small'}},"
			 "'g': {'type': 'OS::Valet::GroupAssignment', 'properties': {"
			 "  'group': 'web-aff', 'resources': ['a', {'get_resource': 'a'}, 'b']}},"
			 "'h': {'type': 'ATT::Valet::GroupAssignment', 'properties': {"
			 "  'group_type': 'affinity', 'level': 'host', 'resources': ['b', 'b']}}}}");
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	if (parse_doc(f, doc, "p.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st->n_groups, 2);
	assert_int_equal(st->groups[0].n_units, 2);
	assert_int_equal(st->groups[0].units[0], 0);
	assert_int_equal(st->groups[0].units[1], 1);
	assert_int_equal(st->groups[1].n_units, 1);
	assert_int_equal(st->units[0].n_groups, 1);
	assert_int_equal(st->units[1].n_groups, 2);
	vlt__stack_free(st);
	json_decref(doc);
}

/* An OS::Valet::Group the registry does not hold yet (Heat makes it after
 * the plan) defines its group; one the registry holds must agree with it. */
static void test_group_resource_before_the_registry(void **state)
{
	struct fx *f = *state;
	json_t *doc = jq("{'stack_id': 's', 'resources': {"
			 "'a': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small'}},"
			 "'b': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small'}},"
			 "'grp': {'type': 'OS::Valet::Group', 'properties': {"
			 "  'name': 'fresh-apart', 'type': 'diversity'}},"
			 "'g': {'type': 'OS::Valet::GroupAssignment', 'properties': {"
			 "  'group': {'get_resource': 'grp'}, 'resources': ['a', 'b']}}}}");
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	if (parse_doc(f, doc, "p.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st->n_groups, 1);
	assert_string_equal(st->groups[0].name, "fresh-apart");
	assert_string_equal(st->groups[0].type, "diversity");
	assert_int_equal(st->groups[0].level, VLT_LEVEL_HOST);
	assert_int_equal(st->groups[0].n_units, 2);
	vlt__stack_free(st);
	json_decref(doc);

	/* a template's expansion has made get_resource the orchestration id */
	doc = jq("{'stack_id': 's', 'resources': {"
		 "'s/a': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small'}},"
		 "'s/grp': {'type': 'OS::Valet::Group', 'properties': {"
		 "  'name': 'fresh-apart', 'type': 'diversity', 'level': 'rack'}},"
		 "'s/g': {'type': 'OS::Valet::GroupAssignment', 'properties': {"
		 "  'group': 's/grp', 'resources': ['s/a']}}}}");
	if (parse_doc(f, doc, "p.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st->n_groups, 1);
	assert_string_equal(st->groups[0].name, "fresh-apart");
	assert_int_equal(st->groups[0].level, VLT_LEVEL_RACK);
	vlt__stack_free(st);
	json_decref(doc);

	/* one the registry holds (db-ex: exclusivity at host level) must agree */
	doc = jq("{'stack_id': 's', 'resources': {"
		 "'a': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small'}},"
		 "'grp': {'type': 'OS::Valet::Group', 'properties': {"
		 "  'name': 'db-ex', 'type': 'exclusivity', 'level': 'rack'}},"
		 "'g': {'type': 'OS::Valet::GroupAssignment', 'properties': {"
		 "  'group': {'get_resource': 'grp'}, 'resources': ['a']}}}}");
	assert_int_equal(parse_doc(f, doc, "p.json", &st, &err), VLT_EINVAL);
	assert_string_equal(err.msg,
			    "p.json: group 'db-ex' ($.resources.g): the request makes it exclusivity "
			    "at rack level but the group registry holds it as exclusivity at host "
			    "level");
	json_decref(doc);
	doc = jq("{'stack_id': 's', 'resources': {"
		 "'a': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small'}},"
		 "'grp': {'type': 'OS::Valet::Group', 'properties': {"
		 "  'name': 'db-ex', 'type': 'exclusivity'}},"
		 "'g': {'type': 'OS::Valet::GroupAssignment', 'properties': {"
		 "  'group': {'get_resource': 'grp'}, 'resources': ['a']}}}}");
	if (parse_doc(f, doc, "p.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(st->groups[0].name, "db-ex");
	assert_int_equal(st->groups[0].n_units, 1);
	vlt__stack_free(st);
	json_decref(doc);
}

/* A large request: one group of many servers, also named by metadata. */
static void test_large_request(void **state)
{
	struct fx *f = *state;
	enum { N = 20000 };
	json_t *res = json_object(), *list = json_array();
	char id[32];

	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "vm%05d", i);
		json_object_set_new(res, id,
				    json_pack("{s:s, s:s, s:{s:s, s:{s:{s:[s]}}}}", "name", id,
					      "type", "OS::Nova::Server", "properties", "flavor",
					      "m1.small", "metadata", "valet", "groups", "spread"));
		json_array_append_new(list, json_string(id));
	}
	json_object_set_new(res, "grp", json_pack("{s:s, s:{s:s, s:o}}", "type",
						  "OS::Valet::GroupAssignment", "properties",
						  "group", "spread", "resources", list));
	json_t *doc = json_pack("{s:s, s:o}", "stack_id", "big", "resources", res);
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	assert_non_null(doc);
	if (vlt__stack_parse(doc, f->dc, &f->reg, policy_lookup, NULL, "big", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st->n_units, N);
	assert_int_equal(st->n_groups, 1);
	assert_int_equal(st->groups[0].n_units, N);
	assert_int_equal(st->units[N - 1].n_groups, 1);
	vlt__stack_free(st);
	json_decref(doc);
}

static void test_nesting_memberships(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, STACK_DATA "/nested.json", "nested.json");
	uint32_t extra = group_of(st, "n-extra"), left = group_of(st, "n-left"),
		 mid = group_of(st, "n-mid"), outer = group_of(st, "n-outer"),
		 right = group_of(st, "n-right");

	assert_int_equal(extra, 0);
	assert_int_equal(right, 4);
	assert_string_equal(st->groups[extra].name, "ex-rack"); /* CloudQoS: the resource name */
	assert_null(st->groups[left].name);
	assert_int_equal(st->groups[left].parent, mid);
	assert_int_equal(st->groups[right].parent, mid);
	assert_int_equal(st->groups[mid].parent, outer);
	assert_int_equal(st->groups[outer].parent, VLT_NONE);
	assert_int_equal(st->groups[mid].n_children, 2);
	assert_int_equal(st->groups[mid].children[0], left);
	assert_int_equal(st->groups[mid].children[1], right);
	assert_int_equal(st->groups[outer].level, VLT_LEVEL_CLUSTER);

	const vlt_unit_t *a1 = &st->units[unit_of(st, "s-a1")];
	assert_int_equal(a1->n_groups, 4);
	assert_int_equal(a1->groups[0].group, left);
	assert_int_equal(a1->groups[0].via, VLT_NONE);
	assert_int_equal(a1->groups[1].group, mid);
	assert_int_equal(a1->groups[1].via, left);
	assert_int_equal(a1->groups[2].group, extra);
	assert_int_equal(a1->groups[2].via, VLT_NONE);
	assert_int_equal(a1->groups[3].group, outer);
	assert_int_equal(a1->groups[3].via, mid);

	const vlt_unit_t *b2 = &st->units[unit_of(st, "s-b2")];
	assert_int_equal(b2->n_groups, 3);
	assert_int_equal(b2->groups[0].group, right);
	assert_int_equal(b2->groups[1].group, mid);
	assert_int_equal(b2->groups[1].via, right);
	assert_int_equal(b2->groups[2].group, outer);
	assert_int_equal(b2->groups[2].via, mid);
	vlt__stack_free(st);
}

/* ---------------------------------------------------------------- links */

static void test_pipes_and_attachments(void **state)
{
	struct fx *f = *state;
	vlt_stack_t *st = parse_ok(f, STACK_DATA "/pipes.json", "pipes.json");
	static const struct {
		uint32_t a, b;
		double mbps;
		uint32_t flags;
	} want[] = {
		{ 2, 3, 0, VLT_LINK_ATTACHMENT }, /* att-1: p3 - v1 */
		{ 0, 1, 2000, 0 },                 /* pipe-a: 2 Gbps mesh */
		{ 0, 2, 2000, 0 },
		{ 1, 2, 2000, 0 },
		{ 0, 3, 0.5, 0 },                  /* pipe-b: 500 kbps */
		{ 1, 2, 100, 0 },                  /* pipe-c: Mbps by default, p3 once */
	};

	assert_int_equal(st->n_units, 4);
	assert_int_equal(st->n_groups, 0);
	assert_int_equal(unit_of(st, "vol-1"), 3);
	assert_int_equal(st->units[3].demand[VLT_RES_DISK_GB], 5);
	assert_int_equal(st->n_links, 6);
	for (uint32_t i = 0; i < 6; i++) {
		assert_int_equal(st->links[i].a, want[i].a);
		assert_int_equal(st->links[i].b, want[i].b);
		assert_float_equal(st->links[i].mbps, want[i].mbps, 1e-9);
		assert_int_equal(st->links[i].flags, want[i].flags);
	}
	static const uint32_t l0[] = { 1, 2, 4 }, l1[] = { 1, 3, 5 }, l2[] = { 0, 2, 3, 5 },
			      l3[] = { 0, 4 };
	static const uint32_t *const lists[] = { l0, l1, l2, l3 };
	static const uint32_t lens[] = { 3, 3, 4, 2 };
	for (uint32_t u = 0; u < 4; u++) {
		assert_int_equal(st->units[u].n_links, lens[u]);
		for (uint32_t i = 0; i < lens[u]; i++)
			assert_int_equal(st->units[u].links[i], lists[u][i]);
	}
	vlt__stack_free(st);
}

/*
 * AT&T's 2017 requests (upstream's API collection): a pipe over a volume
 * attachment joins the attachment's server and volume; a group assignment
 * says relationship where later ones say group_type.
 */
static void test_att_2017_forms(void **state)
{
	struct fx *f = *state;
	json_t *doc = jq("{'plan_name': 'p', 'stack_id': 's', 'resources': {"
			 "'a': {'name': 'osd', 'type': 'OS::Nova::Server', "
			 "'properties': {'flavor': 'm1.small'}},"
			 "'b': {'name': 'vol', 'type': 'OS::Cinder::Volume', 'properties': "
			 "{'size': 5}},"
			 "'c': {'name': 'att', 'type': 'OS::Cinder::VolumeAttachment', "
			 "'properties': {'instance_uuid': 'osd', 'volume_id': 'vol'}},"
			 "'d': {'name': 'pipe', 'type': 'ATT::Valet::Pipe', 'properties': "
			 "{'resources': ['att'], 'bandwidth': {'min': 48.1, 'units': 'Mbps'}}},"
			 "'e': {'name': 'pair', 'type': 'ATT::Valet::GroupAssignment', "
			 "'properties': {'relationship': 'affinity', 'level': 'host', "
			 "'resources': ['osd', 'vol']}}}}");
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(parse_doc(f, doc, "att.json", &st, &err), 0);
	json_decref(doc);
	assert_int_equal(st->n_links, 2); /* the attachment, and the pipe's I/O */
	assert_int_equal(st->links[1].a, 0);
	assert_int_equal(st->links[1].b, 1);
	assert_float_equal(st->links[1].mbps, 48.1, 1e-9);
	assert_int_equal(st->n_groups, 1);
	assert_string_equal(st->groups[0].type, "affinity");
	assert_int_equal(st->groups[0].n_units, 2);
	vlt__stack_free(st);
}

/* Orchestration-id order, whatever order the request lists them in. */
static void test_units_sorted_by_orchestration_id(void **state)
{
	struct fx *f = *state;
	json_t *doc = jq("{'plan_name': 'p', 'stack_id': 's', 'resources': {"
			 "'zz': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small'}},"
			 "'aa': {'type': 'OS::Cinder::Volume', 'properties': {'size': 3.0}},"
			 "'mm': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small',"
			 "  'availability_zone': 'az2'}}}}");
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	if (parse_doc(f, doc, "p.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st->n_units, 3);
	assert_string_equal(st->units[0].orch_id, "aa");
	assert_string_equal(st->units[1].orch_id, "mm");
	assert_string_equal(st->units[2].orch_id, "zz");
	assert_string_equal(st->units[2].name, "zz"); /* no name: the id serves */
	assert_string_equal(st->units[1].az, "az2");
	assert_int_equal(st->units[0].demand[VLT_RES_DISK_GB], 3);
	vlt__stack_free(st);
	json_decref(doc);

	doc = jq("{'plan_name': 'p', 'stack_id': 's', 'resources': {}}");
	if (parse_doc(f, doc, "p.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st->n_units, 0);
	assert_null(st->units);
	vlt__stack_free(st);
	json_decref(doc);
}

/* ---------------------------------------------------------------- errors */

#define SRV(id, name) "'" id "': {'name': '" name "', 'type': 'OS::Nova::Server', " \
		      "'properties': {'flavor': 'm1.small'}}"
#define PLAN(res) "{'plan_name': 'p', 'stack_id': 's', 'resources': {" res "}}"
#define ATT(id, props) "'" id "': {'name': '" id "', 'type': 'ATT::Valet::GroupAssignment', " \
		       "'properties': " props "}"

static const struct err_case {
	const char *json;
	int code;
	const char *msg; /* the whole message */
} err_cases[] = {
	/* request forms */
	{ "42", VLT_EINVAL, "plan.json: $: expected a plan request object" },
	{ "[{'action': 'create'}, {'action': 'create'}]", VLT_EINVAL,
	  "plan.json: $: expected a list holding exactly one request object (it holds 2 items)" },
	{ "[{'stack_id': 's', 'resources': {}}]", VLT_EINVAL,
	  "plan.json: $[0].action: missing (expected a string)" },
	{ "[{'action': 'query', 'stack_id': 's'}]", VLT_EINVAL,
	  "plan.json: $[0].action: 'query' requests are not placement plans; "
	  "only \"create\" is accepted" },
	{ "{'action': 'update', 'stack_id': 's', 'resources': {}}", VLT_EINVAL,
	  "plan.json: $.action: 'update' requests are not placement plans; "
	  "only \"create\" is accepted" },
	{ "{'plan_name': 'p', 'resources': {}}", VLT_EINVAL,
	  "plan.json: $.stack_id: missing (expected a string)" },
	{ "{'stack_id': 3, 'resources': {}}", VLT_EINVAL,
	  "plan.json: $.stack_id: expected a string" },
	{ "{'stack_id': '', 'resources': {}}", VLT_EINVAL, "plan.json: $.stack_id: empty" },
	{ "{'plan_name': ['p'], 'stack_id': 's', 'resources': {}}", VLT_EINVAL,
	  "plan.json: $.plan_name: expected a string" },
	{ "[{'action': 'create', 'stack_id': 's'}]", VLT_EINVAL,
	  "plan.json: $[0].resources: missing (expected an object)" },
	{ "{'stack_id': 's', 'resources': []}", VLT_EINVAL,
	  "plan.json: $.resources: expected an object" },
	/* resources */
	{ PLAN("'vm1': 5"), VLT_EINVAL, "plan.json: $.resources.vm1: expected an object" },
	{ PLAN("'vm 1': {'name': 'x'}"), VLT_EINVAL,
	  "plan.json: $.resources[\"vm 1\"].type: missing (expected a string)" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'name': 4}"), VLT_EINVAL,
	  "plan.json: $.resources.vm1.name: expected a string" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': []}"), VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties: expected an object" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {}}"), VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.flavor: missing (expected a string)" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': 2}}"), VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.flavor: expected a string" },
	/* an inline flavor */
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': {'ram_mb': 1, "
	       "'disk_gb': 1}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.flavor.vcpus: missing (expected a whole number)" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': {'vcpus': 1, "
	       "'ram_mb': -2, 'disk_gb': 1}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.flavor.ram_mb: expected a whole number, at least 0" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': {'vcpus': 1, "
	       "'ram_mb': 2, 'disk_gb': 1.5}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.flavor.disk_gb: expected a whole number, at least 0" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': {'vcpus': 1, "
	       "'ram_mb': 2, 'disk_gb': 1, 'extra_specs': {'k': 3}}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.flavor.extra_specs.k: expected a string" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': {'vcpus': 1, "
	       "'ram_mb': 2, 'disk_gb': 1, 'name': 7}}}"),
	  VLT_EINVAL, "plan.json: $.resources.vm1.properties.flavor.name: expected a string" },
	{ PLAN("'vm1': {'name': 'web-1', 'type': 'OS::Nova::Server', "
	       "'properties': {'flavor': 'm1.huge'}}"),
	  VLT_ENOENT,
	  "plan.json: server web-1 ($.resources.vm1): flavor 'm1.huge' is not in the inventory" },
	{ PLAN("'vm1': {'name': 'web-1', 'type': 'OS::Nova::Server', "
	       "'properties': {'flavor': 'm1.small', 'availability_zone': 'mars:h1'}}"),
	  VLT_ENOENT,
	  "plan.json: server web-1 ($.resources.vm1): availability zone 'mars' is not in the "
	  "inventory" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', "
	       "'properties': {'flavor': 'm1.small', 'availability_zone': 1}}"),
	  VLT_EINVAL, "plan.json: $.resources.vm1.properties.availability_zone: expected a string" },
	{ PLAN("'v': {'type': 'OS::Cinder::Volume', 'properties': {}}"), VLT_EINVAL,
	  "plan.json: $.resources.v.properties.size: missing (expected a size in GB)" },
	{ PLAN("'v': {'type': 'OS::Cinder::Volume', 'properties': {'size': 1.5}}"), VLT_EINVAL,
	  "plan.json: $.resources.v.properties.size: expected a whole number of GB, at least 1" },
	{ PLAN("'v': {'type': 'OS::Cinder::Volume', 'properties': {'size': 0}}"), VLT_EINVAL,
	  "plan.json: $.resources.v.properties.size: expected a whole number of GB, at least 1" },
	{ PLAN("'v': {'type': 'OS::Cinder::Volume', 'properties': {'size': '1e300'}}"), VLT_EINVAL,
	  "plan.json: $.resources.v.properties.size: expected a whole number of GB, at least 1" },
	{ PLAN("'v': {'type': 'OS::Cinder::Volume', 'properties': {'size': 'nan'}}"), VLT_EINVAL,
	  "plan.json: $.resources.v.properties.size: expected a whole number of GB, at least 1" },
	{ PLAN("'v': {'type': 'OS::Cinder::Volume', 'properties': {'size': 'big'}}"), VLT_EINVAL,
	  "plan.json: $.resources.v.properties.size: expected a whole number of GB, at least 1" },
	{ PLAN("'v': {'type': 'OS::Cinder::Volume', 'properties': {'size': 1, "
	       "'volume_type': 1}}"),
	  VLT_EINVAL, "plan.json: $.resources.v.properties.volume_type: expected a string" },
	/* server metadata */
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small', "
	       "'metadata': {'valet': {'groups': ['web-aff', 'x']}}}}"),
	  VLT_ENOENT,
	  "plan.json: $.resources.vm1.properties.metadata.valet.groups[1]: group 'x' not found" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small', "
	       "'metadata': {'valet': '{groups: 1}'}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.metadata.valet: not valid JSON: "
	  "string or '}' expected near 'groups' (column 7)" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small', "
	       "'metadata': {'valet': '[1]'}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.metadata.valet: expected an object "
	  "{\"groups\": [...]}" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small', "
	       "'metadata': {'valet': {'groups': 'web-aff'}}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.metadata.valet.groups: expected a list of group "
	  "names or ids" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small', "
	       "'metadata': {'valet': {'groups': [3]}}}}"),
	  VLT_EINVAL,
	  "plan.json: $.resources.vm1.properties.metadata.valet.groups[0]: expected a group name "
	  "or id" },
	{ PLAN("'vm1': {'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.small', "
	       "'metadata': 'valet'}}"),
	  VLT_EINVAL, "plan.json: $.resources.vm1.properties.metadata: expected an object" },
	/* references */
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'level': 'host', "
					    "'resources': ['a', 'ghost']}")),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.resources[1]: no resource 'ghost' in "
		      "the request" },
	{ PLAN(SRV("vm1", "a") "," SRV("vm2", "a") "," ATT("g", "{'group_type': 'affinity', "
							      "'level': 'host', 'resources': "
							      "[{'get_resource': 'a'}]}")),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.resources[0]: reference 'a' is "
		      "ambiguous: it names both $.resources.vm1 and $.resources.vm2" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'level': 'host', "
					    "'resources': [{'get_attr': 'a'}]}")),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.resources[0]: expected a resource "
		      "reference (an orchestration id, a name or {\"get_resource\": name})" },
	{ PLAN(SRV("vm1", "a") ", 'p1': {'type': 'OS::Neutron::Port'}," ATT(
		       "g", "{'group_type': 'affinity', 'level': 'host', 'resources': ['a', 'p1']}")),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.resources[1]: 'p1' is a "
		      "OS::Neutron::Port, which cannot be a group member (servers, volumes and "
		      "group assignments can)" },
	/* groups */
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'foo', 'level': 'host', "
					    "'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: group g ($.resources.g): type 'foo' is handled by no loaded "
		      "policy" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'level': 'host', 'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.group_type: missing (expected a "
		      "string)" },
	{ PLAN(SRV("vm1", "a") ", 'g': {'type': 'ATT::CloudQoS::ResourceGroup', 'properties': "
			       "{'group_type': 'affinity', 'level': 'host', 'resources': ['a']}}"),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.relationship: missing (expected a "
		      "string)" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'relationship': "
					    "'affinity', 'level': 'host', 'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: group g ($.resources.g.properties): give group_type or its "
		      "older name relationship, not both" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: group g ($.resources.g): level is missing (host, rack or "
		      "cluster)" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'level': 'zone', "
					    "'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: group g ($.resources.g.properties.level): unknown level 'zone' "
		      "(host, rack or cluster)" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'group_name': 'a b', "
					    "'level': 'host', 'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: group a b ($.resources.g): 'a b' is not a valid group name "
		      "(letters, digits and - . _ ~ only)" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'group_name': 'db-ex', "
					    "'level': 'host', 'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: group 'db-ex' ($.resources.g): the request makes it affinity "
		      "at host level but the group registry holds it as exclusivity at host "
		      "level" },
	{ PLAN(SRV("vm1", "a") "," ATT("g1", "{'group_type': 'affinity', 'group_name': 'n1', "
					     "'level': 'host', 'resources': ['a']}") ","
	       ATT("g2", "{'group_type': 'affinity', 'group_name': 'n1', 'level': 'rack', "
			 "'resources': ['a']}")),
	  VLT_EINVAL, "plan.json: group 'n1' is affinity at host level in $.resources.g1 but "
		      "affinity at rack level in $.resources.g2" },
	{ PLAN(SRV("vm1", "a") ", 'g': {'type': 'OS::Valet::GroupAssignment', 'properties': "
			       "{'group': 'nope', 'resources': ['a']}}"),
	  VLT_ENOENT, "plan.json: $.resources.g.properties.group: group 'nope' not found" },
	{ PLAN(SRV("vm1", "a") ", 'g': {'type': 'OS::Valet::GroupAssignment', 'properties': "
			       "{'resources': ['a']}}"),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.group: missing (a group name or id)" },
	{ PLAN(SRV("vm1", "a") ", 'g': {'type': 'OS::Valet::GroupAssignment', 'properties': "
			       "{'group': {'get_resource': 'a'}, 'resources': ['a']}}"),
	  VLT_EINVAL, "plan.json: $.resources.g.properties.group: 'a' is a OS::Nova::Server, not "
		      "an OS::Valet::Group" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'level': 'host'}")),
	  VLT_EINVAL, "plan.json: group g ($.resources.g): resources is missing (expected a list)" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'level': 'host', "
					    "'resources': []}")),
	  VLT_EINVAL, "plan.json: group g ($.resources.g): has no members" },
	/* nesting */
	{ PLAN(SRV("vm1", "a") "," ATT("inner", "{'group_type': 'affinity', 'level': 'rack', "
						"'resources': ['a']}") ","
	       ATT("outer", "{'group_type': 'affinity', 'level': 'host', "
			    "'resources': ['inner']}")),
	  VLT_EINVAL, "plan.json: group inner (rack) cannot be nested in group outer (host): a "
		      "nested group's level may not be higher than its parent's" },
	{ PLAN(SRV("vm1", "a") "," ATT("c", "{'group_type': 'affinity', 'level': 'host', "
					    "'resources': ['a']}") ","
	       ATT("p1", "{'group_type': 'affinity', 'level': 'rack', 'resources': ['c']}") ","
	       ATT("p2", "{'group_type': 'affinity', 'level': 'rack', 'resources': ['c']}")),
	  VLT_EINVAL, "plan.json: group c is nested in both p1 and p2: a group may be nested in "
		      "one group only" },
	{ PLAN(SRV("vm1", "a") "," ATT("x", "{'group_type': 'affinity', 'level': 'host', "
					    "'resources': ['a', 'y']}") ","
	       ATT("y", "{'group_type': 'affinity', 'level': 'host', 'resources': ['x']}")),
	  VLT_EINVAL, "plan.json: group y ($.resources.y.properties.resources[0]): nesting cycle: "
		      "it contains group x, which is already nested in it" },
	{ PLAN(SRV("vm1", "a") "," ATT("x", "{'group_type': 'affinity', 'level': 'host', "
					    "'resources': ['a', {'get_resource': 'x'}]}")),
	  VLT_EINVAL, "plan.json: group x ($.resources.x.properties.resources[1]): lists itself: "
		      "nesting cycle" },
	/* links */
	{ PLAN(SRV("vm1", "a") ", 'v': {'type': 'OS::Cinder::Volume', 'properties': {'size': 1}},"
			       "'at': {'type': 'OS::Cinder::VolumeAttachment', 'properties': "
			       "{'instance_uuid': 'v', 'volume_id': 'v'}}"),
	  VLT_EINVAL, "plan.json: $.resources.at.properties.instance_uuid: 'v' is a "
		      "OS::Cinder::Volume, not a server" },
	{ PLAN(SRV("vm1", "a") ",'at': {'type': 'OS::Cinder::VolumeAttachment', 'properties': "
			       "{'instance_uuid': 'a'}}"),
	  VLT_EINVAL, "plan.json: $.resources.at.properties.volume_id: missing (expected a "
		      "resource reference)" },
	{ PLAN(SRV("vm1", "a") ",'at': {'type': 'OS::Cinder::VolumeAttachment', 'properties': "
			       "{'instance_uuid': 'a', 'volume_id': 'vol-x'}}"),
	  VLT_EINVAL, "plan.json: $.resources.at.properties.volume_id: no resource 'vol-x' in "
		      "the request" },
	{ PLAN(SRV("vm1", "a") "," SRV("vm2", "b") ",'p': {'type': 'ATT::Valet::Pipe', "
						   "'properties': {'resources': ['a', 'b']}}"),
	  VLT_EINVAL, "plan.json: $.resources.p.properties.bandwidth: missing (expected "
		      "{\"min\": n, \"units\": u})" },
	{ PLAN(SRV("vm1", "a") "," SRV("vm2", "b") ",'p': {'type': 'ATT::Valet::Pipe', "
						   "'properties': {'resources': ['a', 'b'], "
						   "'bandwidth': {'min': 1, 'units': 'MBps'}}}"),
	  VLT_EINVAL, "plan.json: $.resources.p.properties.bandwidth.units: unknown units 'MBps' "
		      "(kbps, Mbps, Gbps or Tbps)" },
	{ PLAN(SRV("vm1", "a") "," SRV("vm2", "b") ",'p': {'type': 'ATT::Valet::Pipe', "
						   "'properties': {'resources': ['a', 'b'], "
						   "'bandwidth': {'min': -1}}}"),
	  VLT_EINVAL, "plan.json: $.resources.p.properties.bandwidth.min: expected a number, at "
		      "least 0" },
	{ PLAN(SRV("vm1", "a") "," SRV("vm2", "b") ",'p': {'type': 'ATT::Valet::Pipe', "
						   "'properties': {'resources': ['a', 'b'], "
						   "'bandwidth': {'min': 'inf'}}}"),
	  VLT_EINVAL, "plan.json: $.resources.p.properties.bandwidth.min: expected a number, at "
		      "least 0" },
	{ PLAN(SRV("vm1", "a") ",'p': {'name': 'solo', 'type': 'ATT::Valet::Pipe', "
			       "'properties': {'resources': ['a', 'vm1'], "
			       "'bandwidth': {'min': 1}}}"),
	  VLT_EINVAL, "plan.json: pipe solo ($.resources.p): needs at least two distinct "
		      "endpoints" },
	{ PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'affinity', 'level': 'host', "
					    "'resources': ['a']}") ","
	       "'p': {'type': 'ATT::Valet::Pipe', 'properties': {'resources': ['a', 'g'], "
	       "'bandwidth': {'min': 1}}}"),
	  VLT_EINVAL, "plan.json: $.resources.p.properties.resources[1]: 'g' is a "
		      "ATT::Valet::GroupAssignment; pipe endpoints are servers, volumes or volume "
		      "attachments" },
};

/* A flavor given in place: its numbers are the demand and its extra specs the server's. */
static void test_inline_flavor(void **state)
{
	struct fx *f = *state;
	json_t *doc = jq("{'stack_id': 's', 'resources': {'vm1': {'type': 'OS::Nova::Server', "
			 "'properties': {'flavor': {'name': 'nova-only', 'vcpus': 3, "
			 "'ram_mb': '1536', 'disk_gb': 25, 'extra_specs': {'hw:cpu': 'x'}}}}}}");
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	if (parse_doc(f, doc, "plan.json", &st, &err) != 0)
		fail_msg("%s", err.msg);
	const vlt_unit_t *u = &st->units[0];
	assert_string_equal(u->flavor, "nova-only");
	assert_int_equal(u->demand[VLT_RES_VCPUS], 3);
	assert_int_equal(u->demand[VLT_RES_RAM_MB], 1536);
	assert_int_equal(u->demand[VLT_RES_DISK_GB], 25);
	assert_int_equal(u->n_extra_specs, 1);
	assert_string_equal(u->extra_specs[0].key, "hw:cpu");
	assert_string_equal(u->extra_specs[0].value, "x");
	vlt__stack_free(st);
	json_decref(doc);
}

static void test_errors_name_what_and_where(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		json_t *doc = jq(c->json);
		vlt_stack_t *st = NULL;
		vlt_err_t err = { 0 };
		int rc = parse_doc(f, doc, "plan.json", &st, &err);
		json_decref(doc);
		if (rc != c->code || strcmp(err.msg, c->msg) != 0)
			fail_msg("case %zu: rc %d, message\n  '%s'\nwanted %d\n  '%s'", i, rc,
				 err.msg, c->code, c->msg);
		assert_int_equal(err.code, c->code);
		vlt__stack_free(st);
	}
}

/*
 * Which types need a name is the policies' rule (exclusivity's validate
 * refuses an anonymous one; tests/engine/test_engine.c sees that refusal):
 * the parser hands such a group on as anonymous, in both request dialects.
 */
static void test_unnamed_group_left_to_its_policy(void **state)
{
	static const char *const plans[] = {
		PLAN(SRV("vm1", "a") "," ATT("g", "{'group_type': 'exclusivity', 'level': 'host', "
						    "'resources': ['a']}")),
		PLAN(SRV("vm1", "a") ", 'g': {'type': 'ATT::CloudQoS::ResourceGroup', "
				       "'properties': {'relationship': 'exclusivity', "
				       "'level': 'host', 'resources': ['a']}}"),
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		json_t *doc = jq(plans[i]);
		vlt_stack_t *st = NULL;
		vlt_err_t err = { 0 };
		if (parse_doc(f, doc, "plan.json", &st, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		json_decref(doc);
		assert_int_equal(st->n_groups, 1);
		assert_null(st->groups[0].name);
		assert_string_equal(st->groups[0].ref, "g");
		assert_string_equal(st->groups[0].type, "exclusivity");
		assert_int_equal(st->groups[0].policy, POL_EXCLUSIVITY);
		vlt__stack_free(st);
	}
}

/* No policy lookup at all: every group type is unknown; no groups is fine. */
static void test_without_policies(void **state)
{
	struct fx *f = *state;
	json_t *doc = load_json(request("simple_affinity.json"));
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__stack_parse(doc, f->dc, NULL, NULL, NULL, "a.json", &st, &err),
			 VLT_EINVAL);
	assert_null(st);
	assert_string_equal(err.msg, "a.json: group affinity1 ($[0].resources.affinity1_uuid): "
				     "type 'affinity' is handled by no loaded policy");
	json_decref(doc);

	doc = load_json(request("simple.json"));
	assert_int_equal(vlt__stack_parse(doc, f->dc, NULL, NULL, NULL, "s.json", &st, &err), 0);
	assert_int_equal(st->n_units, 3);
	vlt__stack_free(st);
	json_decref(doc);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_groups_file_parses, setup, teardown),
		cmocka_unit_test(test_groups_errors_name_the_path),
		cmocka_unit_test(test_levels_and_names),
		cmocka_unit_test_setup_teardown(test_unnamed_group_left_to_its_policy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_engine_form_groups_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_group_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_ref_as_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_members_count_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_large_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nesting_memberships, setup, teardown),
		cmocka_unit_test_setup_teardown(test_att_2017_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipes_and_attachments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_units_sorted_by_orchestration_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_what_and_where, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_resource_before_the_registry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inline_flavor, setup, teardown),
	};
	/* the upstream engine requests, from ../shared/data */
	const struct CMUnitTest shared_data_tests[] = {
		cmocka_unit_test_setup_teardown(test_engine_requests_all_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_nested_diversity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_exclusivity_named_by_resource, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_engine_two_direct_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_volume_and_fallbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_policies, setup, teardown),
	};

	if (vlt_shared_data_cases(argc, argv))
		return cmocka_run_group_tests(shared_data_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
