/*
 * test_request.c - the Heat types of a plan request and what is asked of its
 * raw resources (core/engine/request.c): the type table, references,
 * pruning and the servers of a named group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "test_json.h"

#include "request.h"

/* short, as the requests below are many (test_json.h: ' for ") */
#define J test_json

/* A request around these resources (an object's members, as text). */
static json_t *request(const char *resources)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "{'stack_id': 's1', 'resources': {%s}}", resources);
	return J(buf);
}

#define VM(id, name) "'" id "': {'type': 'OS::Nova::Server', 'name': '" name "'}"
#define VOL(id) "'" id "': {'type': 'OS::Cinder::Volume', 'name': '" id "'}"

static const json_t *res_of(const json_t *req, const char *orch)
{
	return json_object_get(json_object_get(req, "resources"), orch);
}

static const json_t *list_of(const json_t *req, const char *orch)
{
	return json_object_get(json_object_get(res_of(req, orch), "properties"), "resources");
}

/* Prune req (text) of the ids of drop (a JSON list as text); the request left. */
static json_t *pruned(const json_t *req, const char *drop_ids)
{
	json_t *ids = J(drop_ids);
	json_t *drop = json_object();
	size_t i;
	json_t *id;

	json_array_foreach(ids, i, id)
		json_object_set_new(drop, json_string_value(id), json_true());
	json_t *before = json_deep_copy(req);
	json_t *out = vlt__request_prune(req, drop);
	assert_non_null(out);
	assert_true(json_equal(req, before)); /* the input is left alone */
	json_decref(before);
	json_decref(drop);
	json_decref(ids);
	return out;
}

/* got equals the JSON of want (text with ' for "). */
static void assert_json(const json_t *got, const char *want)
{
	json_t *w = J(want);
	char *text = json_dumps(got, JSON_SORT_KEYS);

	if (!json_equal(got, w))
		fail_msg("got %s, want %s", text != NULL ? text : "(null)", want);
	free(text);
	json_decref(w);
}

/* The orchestration ids left in a request, sorted, comma separated. */
static void assert_left(const json_t *req, const char *want)
{
	const char *keys[64];
	size_t n = 0;
	char got[1024] = "";
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(req, "resources"), k, v) {
		assert_true(n < 64);
		keys[n++] = k;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(keys[j], keys[i]) < 0) {
				const char *t = keys[i];
				keys[i] = keys[j];
				keys[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		strncat(got, i > 0 ? "," : "", sizeof(got) - strlen(got) - 1);
		strncat(got, keys[i], sizeof(got) - strlen(got) - 1);
	}
	assert_string_equal(got, want);
}

/* ---------------------------------------------------------------- types */

static void test_type_table(void **state)
{
	static const struct {
		const char *type;
		vlt_rkind_t kind;
	} cases[] = {
		{ "OS::Nova::Server", VLT_RK_SERVER },
		{ "OS::Cinder::Volume", VLT_RK_VOLUME },
		{ "OS::Cinder::VolumeAttachment", VLT_RK_ATTACH },
		{ "ATT::Valet::Pipe", VLT_RK_PIPE },
		{ "ATT::CloudQoS::Pipe", VLT_RK_PIPE },
		{ "ATT::Valet::GroupAssignment", VLT_RK_GROUP_ATT },
		{ "ATT::CloudQoS::ResourceGroup", VLT_RK_GROUP_CQOS },
		{ "OS::Valet::GroupAssignment", VLT_RK_GROUP_OSV },
		{ "OS::Valet::Group", VLT_RK_VALET_GROUP },
		{ "OS::Neutron::Port", VLT_RK_OTHER },
		{ "os::nova::server", VLT_RK_OTHER },
		{ "", VLT_RK_OTHER },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(vlt__request_kind(cases[i].type), cases[i].kind);
	assert_int_equal(vlt__request_kind(NULL), VLT_RK_OTHER);
	assert_string_equal(vlt__request_type_name(VLT_RK_SERVER), "OS::Nova::Server");
	assert_string_equal(vlt__request_type_name(VLT_RK_PIPE), "ATT::Valet::Pipe");
	assert_null(vlt__request_type_name(VLT_RK_OTHER));
	for (int k = VLT_RK_SERVER; k <= VLT_RK_VALET_GROUP; k++)
		assert_int_equal(vlt__request_kind(vlt__request_type_name((vlt_rkind_t)k)), k);

	assert_true(vlt__request_is_server_type("OS::Nova::Server"));
	assert_false(vlt__request_is_server_type("OS::Cinder::Volume"));
	assert_false(vlt__request_is_server_type(NULL));
	assert_true(vlt__request_is_assignment_type("ATT::Valet::GroupAssignment"));
	assert_true(vlt__request_is_assignment_type("ATT::CloudQoS::ResourceGroup"));
	assert_true(vlt__request_is_assignment_type("OS::Valet::GroupAssignment"));
	assert_false(vlt__request_is_assignment_type("OS::Valet::Group"));
	assert_true(vlt__request_is_pipe_type("ATT::Valet::Pipe"));
	assert_true(vlt__request_is_pipe_type("ATT::CloudQoS::Pipe"));
	assert_false(vlt__request_is_pipe_type("OS::Cinder::VolumeAttachment"));
}

static void test_has_server(void **state)
{
	json_t *with = request(VOL("v1") "," VM("a", "vm-a"));
	json_t *without = request(VOL("v1") ", 'x': {'type': 7}, 'y': 3");
	json_t *empty = request("");
	(void)state;

	assert_true(vlt__request_has_server(json_object_get(with, "resources")));
	assert_false(vlt__request_has_server(json_object_get(without, "resources")));
	assert_false(vlt__request_has_server(json_object_get(empty, "resources")));
	assert_false(vlt__request_has_server(NULL));
	json_decref(with);
	json_decref(without);
	json_decref(empty);
}

/* ---------------------------------------------------------------- references */

static void test_resolve_ref(void **state)
{
	json_t *req = request(VM("a", "vm-a") "," VM("b", "twin") "," VM("c", "twin") ","
			      VM("d", "a"));
	const json_t *res = json_object_get(req, "resources");
	json_t *ref;
	(void)state;

	/* an id wins over a name; the key of resources is returned, not the text */
	ref = json_string("a");
	assert_ptr_equal(vlt__request_resolve_ref(res, ref), json_object_iter_key(
								     json_object_iter_at((json_t *)res, "a")));
	json_decref(ref);
	ref = J("'vm-a'");
	assert_string_equal(vlt__request_resolve_ref(res, ref), "a");
	json_decref(ref);
	ref = J("{'get_resource': 'vm-a'}");
	assert_string_equal(vlt__request_resolve_ref(res, ref), "a");
	json_decref(ref);
	ref = J("{'get_resource': 'b'}");
	assert_string_equal(vlt__request_resolve_ref(res, ref), "b");
	json_decref(ref);
	/* a name two resources share, nothing, and what is no reference */
	ref = J("'twin'");
	assert_null(vlt__request_resolve_ref(res, ref));
	json_decref(ref);
	ref = J("'nope'");
	assert_null(vlt__request_resolve_ref(res, ref));
	json_decref(ref);
	ref = J("{'get_param': 'a'}");
	assert_null(vlt__request_resolve_ref(res, ref));
	json_decref(ref);
	ref = J("[1]");
	assert_null(vlt__request_resolve_ref(res, ref));
	json_decref(ref);
	assert_null(vlt__request_resolve_ref(res, NULL));
	json_decref(req);
}

/* ---------------------------------------------------------------- prune */

static void test_prune_nothing(void **state)
{
	json_t *req = request(VM("a", "vm-a") ", 'g': {'type': 'ATT::Valet::GroupAssignment', "
				       "'properties': {'resources': ['a']}}");
	json_t *out;
	(void)state;

	out = pruned(req, "[]");
	assert_true(json_equal(out, req));
	assert_ptr_not_equal(out, req);
	json_decref(out);
	/* an id the request does not have */
	out = pruned(req, "['zz']");
	assert_true(json_equal(out, req));
	json_decref(out);
	json_decref(req);
}

static void test_prune_group_members(void **state)
{
	json_t *req = request(
		VM("a", "vm-a") "," VM("b", "vm-b") "," VM("c", "vm-c") ","
		"'g1': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
		"  {'group_type': 'affinity', 'level': 'host', 'resources': ['vm-a', "
		"  {'get_resource': 'b'}]}},"
		"'g2': {'type': 'ATT::CloudQoS::ResourceGroup', 'properties': "
		"  {'relationship': 'diversity', 'level': 'rack', 'resources': ['a']}},"
		"'g3': {'type': 'OS::Valet::GroupAssignment', 'properties': "
		"  {'group': 'x', 'resources': [{'get_resource': 'vm-c'}]}},"
		"'empty': {'type': 'ATT::Valet::GroupAssignment', 'properties': {'resources': []}},"
		"'other': {'type': 'OS::Neutron::Port', 'properties': {'resources': ['a']}}");
	json_t *out;
	(void)state;

	/* a member by name goes from the list; the group keeps the other */
	out = pruned(req, "['a']");
	assert_left(out, "b,c,empty,g1,g3,other");
	assert_json(list_of(out, "g1"), "[{'get_resource': 'b'}]");
	/* a type Valet does not read is left as it was */
	assert_true(json_equal(list_of(out, "other"), list_of(req, "other")));
	json_decref(out);

	/* every form of assignment goes with its last member; an empty one stays */
	out = pruned(req, "['a', 'b', 'c']");
	assert_left(out, "empty,other");
	json_decref(out);
	json_decref(req);
}

static void test_prune_pipes(void **state)
{
	json_t *req = request(
		VM("a", "vm-a") "," VM("b", "vm-b") "," VM("c", "vm-c") "," VOL("v") ","
		"'p2': {'type': 'ATT::Valet::Pipe', 'properties': {'resources': ['a', 'vm-b']}},"
		"'p3': {'type': 'ATT::CloudQoS::Pipe', 'properties': {'resources': "
		"  [{'get_resource': 'a'}, 'b', 'c']}},"
		"'pdup': {'type': 'ATT::Valet::Pipe', 'properties': {'resources': "
		"  ['a', 'vm-a', {'get_resource': 'a'}, 'v']}}");
	json_t *out;
	(void)state;

	/* p2 is left with one endpoint; p3 keeps two; pdup names a three times */
	out = pruned(req, "['b']");
	assert_left(out, "a,c,p3,pdup,v");
	assert_json(list_of(out, "p3"), "[{'get_resource': 'a'}, 'c']");
	json_decref(out);

	out = pruned(req, "['v']");
	assert_left(out, "a,b,c,p2,p3");
	json_decref(out);

	/* both endpoints at once: the pipe is left with none, and goes */
	out = pruned(req, "['a', 'b']");
	assert_left(out, "c,v");
	json_decref(out);
	json_decref(req);
}

static void test_prune_attachments(void **state)
{
	json_t *req = request(
		VM("a", "vm-a") "," VM("b", "vm-b") "," VOL("v") "," VOL("w") ","
		"'att1': {'type': 'OS::Cinder::VolumeAttachment', 'properties': "
		"  {'instance_uuid': 'vm-a', 'volume_id': {'get_resource': 'v'}}},"
		"'att2': {'type': 'OS::Cinder::VolumeAttachment', 'properties': "
		"  {'instance_uuid': {'get_resource': 'b'}, 'volume_id': 'w'}}");
	json_t *out;
	(void)state;

	out = pruned(req, "['a']");
	assert_left(out, "att2,b,v,w");
	json_decref(out);
	out = pruned(req, "['w']");
	assert_left(out, "a,att1,b,v");
	json_decref(out);
	json_decref(req);
}

static void test_prune_cascades(void **state)
{
	/*
	 * v goes: its attachment and the pipe of v and its name; then inner,
	 * whose only member was v, and outer, whose only member was inner.
	 * The lists are written before what they name so that a pass cannot
	 * see it all at once.
	 */
	json_t *req = request(
		"'outer': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
		"  {'resources': ['inner-name']}},"
		"'inner': {'type': 'ATT::Valet::GroupAssignment', 'name': 'inner-name', "
		"  'properties': {'resources': [{'get_resource': 'v'}]}},"
		"'keep': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
		"  {'resources': ['inner', 'a']}},"
		"'att': {'type': 'OS::Cinder::VolumeAttachment', 'properties': "
		"  {'instance_uuid': 'a', 'volume_id': 'v'}},"
		"'pipe': {'type': 'ATT::Valet::Pipe', 'properties': {'resources': ['a', 'v']}},"
		VM("a", "vm-a") "," VOL("v"));
	json_t *out;
	(void)state;

	out = pruned(req, "['v']");
	assert_left(out, "a,keep");
	assert_json(list_of(out, "keep"), "['a']");
	json_decref(out);

	/* an ambiguous name is nobody's: the list keeps it */
	json_t *amb = request(VM("a", "twin") "," VM("b", "twin") ","
			      "'g': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
			      "  {'resources': ['twin']}}");
	out = pruned(amb, "['a']");
	assert_left(out, "b,g");
	json_decref(out);
	json_decref(amb);
	json_decref(req);
}

/* ---------------------------------------------------------------- group servers */

/* The servers of req in group (id g-1, name grp), sorted, comma separated. */
static void assert_members(const json_t *req, const char *want)
{
	json_t *set = vlt__request_group_servers(req, "g-1", "grp");
	json_t *left = json_pack("{s:s, s:O}", "stack_id", "s", "resources", set);

	const char *k;
	json_t *v;

	assert_non_null(set);
	assert_left(left, want);
	json_object_foreach(set, k, v)
		assert_true(json_is_true(v));
	json_decref(left);
	json_decref(set);
}

static void test_group_servers_metadata(void **state)
{
	json_t *req = request(
		"'byname': {'type': 'OS::Nova::Server', 'properties': {'metadata': "
		"  {'valet': {'groups': ['other', 'grp']}}}},"
		"'byid': {'type': 'OS::Nova::Server', 'properties': {'metadata': "
		"  {'valet': {'groups': ['g-1']}}}},"
		"'text': {'type': 'OS::Nova::Server', 'properties': {'metadata': "
		"  {'valet': '{\\'groups\\': [\\'grp\\']}'}}},"
		"'badtext': {'type': 'OS::Nova::Server', 'properties': {'metadata': "
		"  {'valet': '{not json'}}},"
		"'others': {'type': 'OS::Nova::Server', 'properties': {'metadata': "
		"  {'valet': {'groups': ['grp2', 'g-10']}}}},"
		"'vol': {'type': 'OS::Cinder::Volume', 'properties': {'metadata': "
		"  {'valet': {'groups': ['grp']}}}},"
		VM("plain", "plain"));
	(void)state;

	assert_members(req, "byid,byname,text");
	json_decref(req);
}

static void test_group_servers_assignments(void **state)
{
	json_t *req = request(
		VM("a", "vm-a") "," VM("b", "vm-b") "," VM("c", "vm-c") "," VM("d", "vm-d") ","
		VM("e", "vm-e") "," VM("f", "vm-f") "," VOL("v") ","
		"'att': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
		"  {'group_type': 'affinity', 'group_name': 'grp', 'resources': ['vm-a', 'v']}},"
		"'cqos': {'type': 'ATT::CloudQoS::ResourceGroup', 'properties': "
		"  {'relationship': 'affinity', 'group_name': 'g-1', 'resources': "
		"  [{'get_resource': 'b'}]}},"
		"'osv': {'type': 'OS::Valet::GroupAssignment', 'properties': "
		"  {'group': 'grp', 'resources': ['c']}},"
		"'osvid': {'type': 'OS::Valet::GroupAssignment', 'properties': "
		"  {'group': 'g-1', 'resources': ['d']}},"
		"'vg': {'type': 'OS::Valet::Group', 'name': 'the-group', 'properties': "
		"  {'name': 'grp'}},"
		"'osvref': {'type': 'OS::Valet::GroupAssignment', 'properties': "
		"  {'group': {'get_resource': 'the-group'}, 'resources': ['e']}},"
		"'elsewhere': {'type': 'OS::Valet::GroupAssignment', 'properties': "
		"  {'group': 'grp2', 'resources': ['f']}},"
		"'anon': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
		"  {'group_type': 'diversity', 'resources': ['f']}}");
	(void)state;

	assert_members(req, "a,b,c,d,e");
	json_decref(req);
}

static void test_group_servers_nested(void **state)
{
	/* inner groups of the named one count, whatever they are themselves */
	json_t *req = request(
		VM("a", "vm-a") "," VM("b", "vm-b") "," VM("c", "vm-c") ","
		"'top': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
		"  {'group_name': 'grp', 'resources': ['mid', 'a']}},"
		"'mid': {'type': 'ATT::CloudQoS::ResourceGroup', 'name': 'mid', 'properties': "
		"  {'group_name': 'other', 'resources': [{'get_resource': 'low'}]}},"
		"'low': {'type': 'OS::Valet::GroupAssignment', 'properties': "
		"  {'group': 'x', 'resources': ['b', 'top']}},"
		"'apart': {'type': 'ATT::Valet::GroupAssignment', 'properties': "
		"  {'group_name': 'other', 'resources': ['c']}}");
	(void)state;

	/* low names top again: the cycle ends at the depth limit */
	assert_members(req, "a,b");
	json_decref(req);
}

/* A chain of n assignments, the first naming grp, the last holding server "deep". */
static json_t *chain(unsigned n)
{
	json_t *res = json_object();

	json_object_set_new(res, "deep", J("{'type': 'OS::Nova::Server'}"));
	for (unsigned i = 0; i < n; i++) {
		char id[16], next[16];
		snprintf(id, sizeof(id), "g%u", i);
		snprintf(next, sizeof(next), "g%u", i + 1);
		json_t *g = json_pack("{s:s, s:{s:[s]}}", "type", "ATT::Valet::GroupAssignment",
				      "properties", "resources", i + 1 < n ? next : "deep");
		if (i == 0)
			json_object_set_new(json_object_get(g, "properties"), "group_name",
					    json_string("grp"));
		json_object_set_new(res, id, g);
	}
	return json_pack("{s:s, s:o}", "stack_id", "s", "resources", res);
}

static void test_group_servers_depth_limit(void **state)
{
	/* the first assignment is at depth 0: VLT_REQUEST_MAX_NESTING + 1 are read */
	json_t *deepest = chain(VLT_REQUEST_MAX_NESTING + 1);
	json_t *too_deep = chain(VLT_REQUEST_MAX_NESTING + 2);
	(void)state;

	assert_members(deepest, "deep");
	assert_members(too_deep, "");
	json_decref(deepest);
	json_decref(too_deep);
}

/*
 * Each assignment of a long chain lists the next twice, and the first also
 * lists the last: every assignment is read once, and the last one counts
 * (it is at depth 1 that way) though the chain is deeper than the limit.
 */
static void test_group_servers_many_paths(void **state)
{
	enum { N = 3 * VLT_REQUEST_MAX_NESTING };
	json_t *res = json_object();
	char id[16], next[16];
	(void)state;

	json_object_set_new(res, "deep", J("{'type': 'OS::Nova::Server'}"));
	for (unsigned i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "g%u", i);
		snprintf(next, sizeof(next), "g%u", i + 1);
		const char *m = i + 1 < N ? next : "deep";
		json_t *g = json_pack("{s:s, s:{s:[s, {s:s}]}}", "type", "ATT::Valet::GroupAssignment",
				      "properties", "resources", m, "get_resource", m);
		json_object_set_new(res, id, g);
	}
	json_t *first = json_object_get(json_object_get(json_object_get(res, "g0"), "properties"),
					"resources");
	snprintf(id, sizeof(id), "g%u", N - 1);
	json_array_append_new(first, json_string(id));
	json_object_set_new(json_object_get(json_object_get(res, "g0"), "properties"),
			    "group_name", json_string("grp"));
	json_t *req = json_pack("{s:s, s:o}", "stack_id", "s", "resources", res);

	assert_members(req, "deep");
	json_decref(req);
}

static void test_group_servers_without_group(void **state)
{
	json_t *req = request("'a': {'type': 'OS::Nova::Server', 'properties': {'metadata': "
			      "  {'valet': {'groups': ['grp']}}}}");
	json_t *set;
	(void)state;

	set = vlt__request_group_servers(req, NULL, "grp");
	assert_int_equal(json_object_size(set), 0);
	json_decref(set);
	set = vlt__request_group_servers(req, "g-1", NULL);
	assert_int_equal(json_object_size(set), 0);
	json_decref(set);
	/* a request without resources */
	json_t *bare = J("{'stack_id': 's'}");
	set = vlt__request_group_servers(bare, "g-1", "grp");
	assert_int_equal(json_object_size(set), 0);
	json_decref(set);
	json_decref(bare);
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_has_server),
		cmocka_unit_test(test_resolve_ref),
		cmocka_unit_test(test_prune_nothing),
		cmocka_unit_test(test_prune_group_members),
		cmocka_unit_test(test_prune_pipes),
		cmocka_unit_test(test_prune_attachments),
		cmocka_unit_test(test_prune_cascades),
		cmocka_unit_test(test_group_servers_metadata),
		cmocka_unit_test(test_group_servers_assignments),
		cmocka_unit_test(test_group_servers_nested),
		cmocka_unit_test(test_group_servers_depth_limit),
		cmocka_unit_test(test_group_servers_many_paths),
		cmocka_unit_test(test_group_servers_without_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
