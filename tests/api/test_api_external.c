/*
 * test_api_external.c - POST /scheduler/nova/external over real HTTP
 * against the real valetd, starting from a request recorded from Nova's
 * scheduler on the loopback cloud (tests/data/api/recorded-*.json, made
 * by tests/openstack/scheduler_capture.py): the RequestSpec primitive of
 * a server booted with Heat's hints in an anti-affinity server group,
 * and the hosts Nova's filters kept (compute-1..3). The test's inventory
 * has those hosts and one more, compute-4, and the recording's flavor.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api_helpers.h"

#define RECORDING VLT_TEST_DATA "/api/recorded-nova-zed-boot-heat-hints-server-group.json"
#define PATH "/scheduler/nova/external"

static valetd_t d;
static char dir[256];
static char inv[320]; /* DIR/inventory.json */

static const char inventory[] =
	"{\"datacenter\": \"ext-dc\","
	" \"allocation_ratios\": {\"vcpus\": 1.0, \"ram_mb\": 1.0, \"disk_gb\": 1.0},"
	" \"clusters\": [{\"name\": \"c1\"}],"
	" \"racks\": [{\"name\": \"r1\", \"cluster\": \"c1\"}, {\"name\": \"r2\", \"cluster\": "
	"\"c1\"}],"
	" \"hosts\": ["
	"  {\"name\": \"compute-1\", \"rack\": \"r1\", \"vcpus\": 16, \"ram_mb\": 65536, "
	"\"disk_gb\": 1000},"
	"  {\"name\": \"compute-2\", \"rack\": \"r1\", \"vcpus\": 16, \"ram_mb\": 65536, "
	"\"disk_gb\": 1000},"
	"  {\"name\": \"compute-3\", \"rack\": \"r2\", \"vcpus\": 16, \"ram_mb\": 65536, "
	"\"disk_gb\": 1000},"
	"  {\"name\": \"compute-4\", \"rack\": \"r2\", \"vcpus\": 16, \"ram_mb\": 65536, "
	"\"disk_gb\": 1000}],"
	" \"flavors\": [{\"name\": \"m1.small\", \"vcpus\": 2, \"ram_mb\": 2048, \"disk_gb\": 10}]}";

static int start_in(const char *tag)
{
	FILE *f;

	api_tmpdir(dir, sizeof(dir), tag);
	snprintf(inv, sizeof(inv), "%s/inventory.json", dir);
	f = fopen(inv, "w");
	if (f == NULL || fputs(inventory, f) < 0 || fclose(f) != 0)
		return -1;
	return valetd_start_on(&d, dir, NULL, inv);
}

static int start(void **state)
{
	(void)state;
	return start_in("api-external");
}

static int stop(void **state)
{
	(void)state;
	valetd_stop(&d, SIGTERM);
	return 0;
}

/* ---------------------------------------------------------------- requests */

/* The recording as the fork sends it: spec, flags, hosts, weights. */
static json_t *recorded(void)
{
	json_error_t jerr;
	json_t *rec = json_load_file(RECORDING, 0, &jerr);
	json_t *weights = json_object();
	size_t i;
	json_t *h;

	if (rec == NULL)
		fail_msg("%s: %s", RECORDING, jerr.text);
	json_array_foreach(json_object_get(rec, "hosts"), i, h)
		json_object_set_new(weights, json_string_value(json_object_get(h, "host")),
				    json_real(1.0));
	json_t *body = json_pack("{s:O, s:b, s:b, s:b, s:b, s:O, s:o}", "spec",
				 json_object_get(rec, "spec"), "rebuild", 0, "resize", 0, "live", 0,
				 "vmware", 0, "hosts", json_object_get(rec, "hosts"), "weights",
				 weights);
	json_decref(rec);
	assert_non_null(body);
	return body;
}

static json_t *spec_data(json_t *body)
{
	return json_object_get(json_object_get(body, "spec"), "nova_object.data");
}

static json_t *hints_of(json_t *body)
{
	return json_object_get(spec_data(body), "scheduler_hints");
}

/* The recording for another instance, with no Heat hint: an ad-hoc server. */
static json_t *adhoc(const char *instance)
{
	json_t *body = recorded();
	json_t *hints = hints_of(body);
	const char *drop[] = { "heat_root_stack_id", "heat_stack_id", "heat_stack_name",
			       "heat_path_in_stack", "heat_resource_name", "heat_resource_uuid" };

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		json_object_del(hints, drop[i]);
	json_object_set_new(spec_data(body), "instance_uuid", json_string(instance));
	return body;
}

/* The same, in no server group. */
static json_t *adhoc_alone(const char *instance)
{
	json_t *body = adhoc(instance);
	return body;
}

/* $.hosts of body: just these ("a,b,c"), as the fork lists them. */
static void offer(json_t *body, const char *names)
{
	json_t *hosts = json_array();
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", names);
	for (char *save = NULL, *n = strtok_r(buf, ",", &save); n != NULL;
	     n = strtok_r(NULL, ",", &save))
		json_array_append_new(hosts, json_pack("{s:s, s:s}", "host", n,
						       "hypervisor_hostname", n));
	json_object_set_new(body, "hosts", hosts);
}

/* $.hosts: every host of the inventory but one. */
static void offer_all_but(json_t *body, const char *host)
{
	char hosts[128] = "";

	for (int i = 1; i <= 4; i++) {
		char h[16];

		snprintf(h, sizeof(h), "compute-%d", i);
		if (strcmp(h, host) != 0)
			snprintf(hosts + strlen(hosts), sizeof(hosts) - strlen(hosts), "%s%s",
				 hosts[0] != '\0' ? "," : "", h);
	}
	offer(body, hosts);
}

/* POST it; the status must be want. RET the answer's document (owned by rep). */
static json_t *ask(json_t *body, long want, api_reply_t *rep)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *doc = api_expect(&d, "POST", PATH, text, want, rep);

	free(text);
	return doc;
}

/* The one host of an answer; fail unless there is exactly one. */
static const char *only_host(const json_t *doc)
{
	const json_t *hosts = json_object_get(doc, "hosts");

	if (!json_is_array(hosts) || json_array_size(hosts) != 1)
		fail_msg("expected {\"hosts\": [one host]}, got %s", json_dumps(doc, 0));
	/* the fork validates the answer: an object with hosts, a list of names, nothing else */
	assert_int_equal(json_object_size(doc), 1);
	return json_string_value(json_array_get(hosts, 0));
}

static void assert_no_hosts(const json_t *doc)
{
	assert_true(json_is_array(json_object_get(doc, "hosts")));
	assert_int_equal(json_array_size(json_object_get(doc, "hosts")), 0);
}

/* Ask, expect one offered host; RET a copy of its name. */
static char *placed(json_t *body)
{
	api_reply_t rep;
	const char *h = only_host(ask(body, 200, &rep));
	char *copy = strdup(h);

	assert_true(api_offered(body, copy));
	api_reply_free(&rep);
	return copy;
}

static const char *instance_of(json_t *body)
{
	return json_string_value(json_object_get(spec_data(body), "instance_uuid"));
}

static const char *hint(json_t *body, const char *key)
{
	return json_string_value(json_array_get(json_object_get(hints_of(body), key), 0));
}

/*
 * The stack Heat would have planned for the recorded server: the root
 * stack of its hints, the server keyed <root>/web/0/vm (the recording's
 * heat_path_in_stack: shop, then web's member 0), beside a sibling, both
 * m1.small, as a plan or (what "reservation", interval its "start" and
 * "end" members) a reservation. RET the planned host of the recorded
 * server (a copy).
 */
static char *plan_recorded_stack_in(json_t *body, const char *orch, const char *what,
				    const char *interval)
{
	char req[2048], path[700];
	api_reply_t rep;

	snprintf(req, sizeof(req),
		 "{\"plan_name\": \"shop\", \"stack_id\": \"%s\", %s \"resources\": {"
		 "\"%s\": {\"name\": \"vm\", \"type\": \"OS::Nova::Server\", "
		 "\"properties\": {\"flavor\": \"m1.small\"}},"
		 "\"%s-db\": {\"name\": \"db\", \"type\": \"OS::Nova::Server\", "
		 "\"properties\": {\"flavor\": \"m1.small\"}}}}",
		 hint(body, "heat_root_stack_id"), interval, orch, hint(body, "heat_root_stack_id"));
	snprintf(path, sizeof(path), "/v1/%ss", what);
	json_t *plan = json_object_get(api_expect(&d, "POST", path, req, 201, &rep), what);
	snprintf(path, sizeof(path), "%s", orch);
	char *loc = strdup(json_string_value(json_object_get(
		json_object_get(json_object_get(plan, "placements"), path), "location")));
	api_reply_free(&rep);
	return loc;
}

static char *plan_recorded_stack(json_t *body, const char *orch)
{
	return plan_recorded_stack_in(body, orch, "plan", "");
}

static void path_id(json_t *body, char *buf, size_t size)
{
	snprintf(buf, size, "%s/web/0/vm", hint(body, "heat_root_stack_id"));
}

/* ---------------------------------------------------------------- tests */

/* A reservation's server: refused (409) before its start, reserved where planned once active. */
static void test_reservation_reservable_once_active(void **state)
{
	json_t *body = recorded();
	char orch[512];
	api_reply_t rep;
	(void)state;

	path_id(body, orch, sizeof(orch));
	free(plan_recorded_stack_in(body, orch, "reservation",
				    "\"start\": \"2090-01-01T00:00:00Z\", "
				    "\"end\": \"2090-01-02T00:00:00Z\","));
	offer(body, "compute-1,compute-2,compute-3,compute-4");
	long entries = api_journal_entries(&d);
	ask(body, 409, &rep);
	api_assert_contains(api_check_error(&rep, 409),
			    "is pending: its placements are reservable from its start, "
			    "2090-01-01T00:00:00Z");
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), entries);

	/* the same stack reserved from now: Nova's server is reserved where it was planned */
	char path[600];
	snprintf(path, sizeof(path), "/v1/reservations/%s", hint(body, "heat_root_stack_id"));
	api_expect(&d, "DELETE", path, NULL, 204, &rep);
	api_reply_free(&rep);
	char *planned = plan_recorded_stack_in(body, orch, "reservation",
					       "\"start\": \"now\", "
					       "\"end\": \"2090-01-02T00:00:00Z\",");
	char *got = placed(body);
	assert_string_equal(got, planned);
	free(got);
	free(planned);
	json_decref(body);
}

/* The recorded server of a planned stack, found by heat_path_in_stack: reserved where planned. */
static void test_reserve_on_planned_host(void **state)
{
	json_t *body = recorded();
	char orch[512];
	(void)state;

	path_id(body, orch, sizeof(orch));
	json_object_del(hints_of(body), "heat_resource_uuid"); /* by the path alone */
	char *planned = plan_recorded_stack(body, orch);
	offer(body, "compute-1,compute-2,compute-3,compute-4");
	char *got = placed(body);
	assert_string_equal(got, planned);
	char *loc = api_placement_location(&d, orch, instance_of(body));
	assert_string_equal(loc, planned);

	/* a retry: the same answer, nothing written */
	long entries = api_journal_entries(&d);
	char *again = placed(body);
	assert_string_equal(again, planned);
	assert_int_equal(api_journal_entries(&d), entries);
	free(again);
	free(loc);
	free(got);
	free(planned);
	json_decref(body);
}

/* heat_resource_uuid names the orchestration id directly. */
static void test_reserve_by_resource_uuid(void **state)
{
	json_t *body = recorded();
	char uuid[128];
	(void)state;

	snprintf(uuid, sizeof(uuid), "%s", hint(body, "heat_resource_uuid"));
	char *planned = plan_recorded_stack(body, uuid);
	offer(body, "compute-1,compute-2,compute-3,compute-4");
	char *got = placed(body);
	assert_string_equal(got, planned);
	free(api_placement_location(&d, uuid, instance_of(body)));
	free(got);
	free(planned);
	json_decref(body);
}

/* The planned host is not offered: the server is placed again among those that are. */
static void test_replan_when_not_offered(void **state)
{
	json_t *body = recorded();
	char orch[512];
	(void)state;

	path_id(body, orch, sizeof(orch));
	char *planned = plan_recorded_stack(body, orch);
	offer_all_but(body, planned);
	char *got = placed(body);
	assert_string_not_equal(got, planned);
	char *loc = api_placement_location(&d, orch, instance_of(body));
	assert_string_equal(loc, got);
	free(loc);
	free(got);
	free(planned);
	json_decref(body);
}

/* No stack planned it: an ad-hoc plan of its own from the spec's flavor, reserved. */
static void test_adhoc_plan(void **state)
{
	json_t *body = adhoc("11111111-1111-4111-8111-111111111111");
	api_reply_t rep;
	(void)state;

	char *got = placed(body);
	char *loc = api_placement_location(&d, instance_of(body), instance_of(body));
	assert_string_equal(loc, got);
	json_t *plan = json_object_get(
		api_expect(&d, "GET", "/v1/plans/11111111-1111-4111-8111-111111111111", NULL, 200,
			   &rep),
		"plan");
	assert_string_equal(json_string_value(json_object_get(plan, "stack_id")),
			    instance_of(body));
	api_reply_free(&rep);
	free(loc);
	free(got);
	json_decref(body);
}

/*
 * The recorded anti-affinity server group across calls: each member on
 * a host of its own, whatever Nova offers; with every offered host taken
 * by a member, none is answered (Nova finds no valid host).
 */
static void test_server_group_anti_affinity(void **state)
{
	char *hosts[3];
	const char *ids[] = { "aaaaaaaa-0000-4000-8000-000000000001",
			      "aaaaaaaa-0000-4000-8000-000000000002" };
	(void)state;

	for (int i = 0; i < 2; i++) {
		json_t *body = adhoc(ids[i]);

		offer(body, "compute-1,compute-2");
		hosts[i] = placed(body);
		json_decref(body);
	}
	assert_string_not_equal(hosts[0], hosts[1]);

	json_t *third = adhoc("aaaaaaaa-0000-4000-8000-000000000003");
	api_reply_t rep;
	offer(third, "compute-1,compute-2");
	long entries = api_journal_entries(&d);
	assert_no_hosts(ask(third, 200, &rep));
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), entries);

	/* soft-anti-affinity: Nova's wish; broken rather than nothing built */
	json_t *group = json_object_get(
		json_object_get(spec_data(third), "instance_group"), "nova_object.data");
	json_object_set_new(group, "policy", json_string("soft-anti-affinity"));
	json_object_set_new(group, "policies", json_pack("[s]", "soft-anti-affinity"));
	hosts[2] = placed(third);
	json_decref(third);
	for (int i = 0; i < 3; i++)
		free(hosts[i]);
}

/* Another server group, affinity: its members together. */
static void test_server_group_affinity(void **state)
{
	char *hosts[2];
	(void)state;

	for (int i = 0; i < 2; i++) {
		char id[64];
		json_t *body;

		snprintf(id, sizeof(id), "bbbbbbbb-0000-4000-8000-00000000000%d", i);
		body = adhoc(id);
		json_t *group = json_object_get(
			json_object_get(spec_data(body), "instance_group"), "nova_object.data");
		json_object_set_new(group, "uuid",
				    json_string("cccccccc-0000-4000-8000-000000000000"));
		json_object_set_new(group, "policy", json_string("affinity"));
		offer(body, i == 0 ? "compute-3" : "compute-1,compute-2,compute-3,compute-4");
		hosts[i] = placed(body);
		json_decref(body);
	}
	assert_string_equal(hosts[0], "compute-3");
	assert_string_equal(hosts[1], "compute-3");
	free(hosts[0]);
	free(hosts[1]);
}

/*
 * Valet groups named by the valet_groups hint, or by the valet hint as
 * JSON text; an unknown one is 404.
 */
static void test_valet_groups_in_hints(void **state)
{
	api_reply_t rep;
	char *hosts[2];
	(void)state;

	api_expect(&d, "POST", "/v1/groups",
		   "{\"name\": \"ext-div\", \"type\": \"diversity\", \"level\": \"rack\"}", 201,
		   &rep);
	api_reply_free(&rep);
	for (int i = 0; i < 2; i++) {
		char id[64];
		json_t *body;

		snprintf(id, sizeof(id), "14141414-0000-4000-8000-00000000000%d", i);
		body = adhoc_alone(id);
		json_object_set_new(hints_of(body), i == 0 ? "valet_groups" : "valet",
				    i == 0 ? json_pack("[s]", "ext-div")
					   : json_pack("[s]", "{\"groups\": [\"ext-div\"]}"));
		hosts[i] = placed(body);
		json_decref(body);
	}
	/* rack diversity: compute-1 and -2 are r1, compute-3 and -4 r2 */
	bool first_r1 = strcmp(hosts[0], "compute-3") < 0;
	bool second_r1 = strcmp(hosts[1], "compute-3") < 0;
	assert_true(first_r1 != second_r1);
	/* and a third member has no rack left */
	json_t *third = adhoc_alone("14141414-0000-4000-8000-000000000003");
	json_object_set_new(hints_of(third), "valet_groups", json_pack("[s]", "ext-div"));
	offer(third, "compute-1,compute-2,compute-3,compute-4");
	assert_no_hosts(ask(third, 200, &rep));
	api_reply_free(&rep);
	json_decref(third);

	json_t *body = adhoc("14141414-0000-4000-8000-000000000009");
	json_object_set_new(hints_of(body), "valet_groups", json_pack("[s]", "no-such-group"));
	long entries = api_journal_entries(&d);
	ask(body, 404, &rep);
	api_assert_contains(api_check_error(&rep, 404), "no-such-group");
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), entries);
	json_decref(body);
	free(hosts[0]);
	free(hosts[1]);
}

/* The answer names only offered hosts, however many Valet knows; unknown ones are never chosen. */
static void test_never_invents_a_host(void **state)
{
	api_reply_t rep;
	json_t *body = adhoc("dddddddd-0000-4000-8000-000000000001");
	(void)state;

	offer(body, "compute-99,compute-98");
	long entries = api_journal_entries(&d);
	assert_no_hosts(ask(body, 200, &rep));
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), entries);

	offer(body, "compute-99,compute-4");
	char *got = placed(body);
	assert_string_equal(got, "compute-4");
	free(got);
	json_decref(body);
}

/* A live migration re-places the instance among the offered hosts, its host left. */
/* The kinds of the decisions about server id, newest first, space-separated (docs/decisions.md). */
static void expect_decisions(const char *id, const char *want)
{
	char path[256], got[256] = "";
	api_reply_t rep;
	size_t i, off = 0;
	json_t *d1;

	snprintf(path, sizeof(path), "/v1/decisions?server=%s", id);
	json_t *doc = api_expect(&d, "GET", path, NULL, 200, &rep);
	json_array_foreach(json_object_get(doc, "decisions"), i, d1)
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s", i ? " " : "",
					json_string_value(json_object_get(d1, "kind")));
	assert_string_equal(got, want);
	api_reply_free(&rep);
}

static void test_live_migration(void **state)
{
	json_t *body = adhoc_alone("eeeeeeee-0000-4000-8000-000000000001");
	(void)state;
	char *first = placed(body);
	offer_all_but(body, first); /* Nova leaves the source host out */
	json_object_set_new(body, "live", json_true());
	json_object_set_new(hints_of(body), "_nova_check_type", json_pack("[s]", "live_migrate"));
	char *moved = placed(body);
	assert_string_not_equal(moved, first);
	char *loc = api_placement_location(&d, instance_of(body), instance_of(body));
	assert_string_equal(loc, moved);

	long entries = api_journal_entries(&d);
	char *again = placed(body);
	assert_string_equal(again, moved);
	assert_int_equal(api_journal_entries(&d), entries);
	/* the ad-hoc plan and the migration each left their decision; the answer again none */
	expect_decisions(instance_of(body), "migrate adhoc");
	free(again);
	free(loc);
	free(moved);
	free(first);
	json_decref(body);
}

/* A multi-create: Nova asks once per instance, the spec's instance_uuid naming each. */
static void test_num_instances(void **state)
{
	(void)state;

	for (int i = 0; i < 2; i++) {
		char id[64];
		json_t *body;

		snprintf(id, sizeof(id), "ffffffff-0000-4000-8000-00000000000%d", i);
		body = adhoc_alone(id);
		json_object_set_new(spec_data(body), "num_instances", json_integer(2));
		free(placed(body));
		free(api_placement_location(&d, id, id));
		json_decref(body);
	}
}

/*
 * A resize: the server placed again with the spec's (new) flavor, which it
 * then holds; asking again answers the same and writes nothing.
 */
static void test_resize(void **state)
{
	json_t *body = adhoc_alone("12121212-0000-4000-8000-000000000001");
	json_t *other = adhoc_alone("12121212-0000-4000-8000-000000000002");
	api_reply_t rep;
	(void)state;

	free(placed(body));
	json_t *flavor = json_object_get(json_object_get(spec_data(body), "flavor"),
					 "nova_object.data");
	json_object_set_new(flavor, "vcpus", json_integer(15));
	json_object_set_new(flavor, "name", json_string("m1.huge"));
	json_object_set_new(body, "resize", json_true());
	json_object_set_new(hints_of(body), "_nova_check_type", json_pack("[s]", "resize"));
	char *resized = placed(body);
	char *loc = api_placement_location(&d, instance_of(body), instance_of(body));
	assert_string_equal(loc, resized);

	long entries = api_journal_entries(&d);
	char *again = placed(body);
	assert_string_equal(again, resized);
	assert_int_equal(api_journal_entries(&d), entries);

	/* 15 of its 16 vCPUs held: no room there for two more */
	offer(other, resized);
	assert_no_hosts(ask(other, 200, &rep));
	api_reply_free(&rep);
	free(again);
	free(loc);
	free(resized);
	json_decref(other);
	json_decref(body);
}

struct bad_case {
	const char *what;    /* the change, for messages */
	const char *pointer; /* where in the body: a key path with '/' */
	const char *value;   /* JSON, or NULL to delete */
	const char *named;   /* what the error must name */
};

/* Bad bodies: 400 naming the field, and nothing changes. */
static void test_bad_bodies(void **state)
{
	static const struct bad_case cases[] = {
		{ "no spec", "spec", NULL, "$.spec: missing" },
		{ "a spec not a nova object", "spec", "[1]", "$.spec: expected a nova object" },
		{ "another nova object", "spec/nova_object.name", "\"Instance\"",
		  "'Instance', expected 'RequestSpec'" },
		{ "no instance uuid", "spec/nova_object.data/instance_uuid", NULL,
		  "instance_uuid: missing" },
		{ "no flavor", "spec/nova_object.data/flavor", NULL, ".flavor: missing" },
		{ "vcpus as text", "spec/nova_object.data/flavor/nova_object.data/vcpus", "\"2\"",
		  ".vcpus: expected a whole number" },
		{ "negative memory", "spec/nova_object.data/flavor/nova_object.data/memory_mb",
		  "-1", ".memory_mb: expected a whole number" },
		{ "hints not an object", "spec/nova_object.data/scheduler_hints", "[]",
		  ".scheduler_hints: expected an object" },
		{ "a bad path in stack", "spec/nova_object.data/scheduler_hints/heat_path_in_stack",
		  "[\"shop\", 7]", "heat_path_in_stack[1]" },
		{ "a nested entry without parent",
		  "spec/nova_object.data/scheduler_hints/heat_path_in_stack",
		  "[\"shop\", \"shop-web-x7k2ab\"]", "must name its parent resource" },
		{ "num_instances 0", "spec/nova_object.data/num_instances", "0",
		  ".num_instances: expected a whole number, at least 1" },
		{ "an extra spec not a string",
		  "spec/nova_object.data/flavor/nova_object.data/extra_specs", "{\"hw:cpu\": 2}",
		  "extra_specs[\"hw:cpu\"]: expected a string" },
		{ "valet groups not a list", "spec/nova_object.data/scheduler_hints/valet_groups",
		  "{\"a\": 1}", "valet_groups: expected a list" },
		{ "a valet hint not JSON", "spec/nova_object.data/scheduler_hints/valet",
		  "[\"{groups\"]", "scheduler_hints.valet: expected" },
		{ "no hosts", "hosts", NULL, "$.hosts: missing" },
		{ "hosts not a list", "hosts", "{}", "$.hosts: expected a list" },
		{ "a host without its name", "hosts", "[{\"host\": \"compute-1\"}, {\"x\": 1}]",
		  "$.hosts[1]" },
		{ "live as text", "live", "\"yes\"", "$.live: expected true or false" },
		{ "weights a list", "weights", "[]", "$.weights: expected an object" },
	};
	char *before = api_snapshot(&d);
	long entries = api_journal_entries(&d);
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *body = recorded();
		api_reply_t rep;

		api_json_set_at(body, cases[i].pointer, cases[i].value);
		ask(body, 400, &rep);
		const char *why = api_check_error(&rep, 400);
		if (strstr(why, cases[i].named) == NULL)
			fail_msg("%s: the error does not name %s: %s", cases[i].what,
				 cases[i].named, why);
		api_reply_free(&rep);
		json_decref(body);
	}
	api_reply_t rep;
	api_expect(&d, "POST", PATH, "[1, 2]", 400, &rep);
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), entries);
	char *after = api_snapshot(&d);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/*
 * kill -9 after an acknowledged answer: after the restart it is held,
 * and a retry answers the same.
 */
static void test_restart_keeps_acknowledged(void **state)
{
	json_t *body = adhoc("13131313-0000-4000-8000-000000000001");
	json_t *member = adhoc("13131313-0000-4000-8000-000000000002");
	(void)state;

	offer(body, "compute-1,compute-2");
	offer(member, "compute-1,compute-2");
	char *got = placed(body);
	valetd_stop(&d, SIGKILL);
	assert_int_equal(valetd_start_on(&d, dir, NULL, inv), 0);
	long entries = api_journal_entries(&d);
	char *again = placed(body);
	assert_string_equal(again, got);
	assert_int_equal(api_journal_entries(&d), entries);
	/* the server group still holds: the next member goes elsewhere */
	char *other = placed(member);
	assert_string_not_equal(other, got);
	free(other);
	free(again);
	free(got);
	json_decref(member);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reserve_on_planned_host, start, stop),
		cmocka_unit_test_setup_teardown(test_reservation_reservable_once_active, start,
						stop),
		cmocka_unit_test_setup_teardown(test_reserve_by_resource_uuid, start, stop),
		cmocka_unit_test_setup_teardown(test_replan_when_not_offered, start, stop),
		cmocka_unit_test_setup_teardown(test_adhoc_plan, start, stop),
		cmocka_unit_test_setup_teardown(test_server_group_anti_affinity, start, stop),
		cmocka_unit_test_setup_teardown(test_server_group_affinity, start, stop),
		cmocka_unit_test_setup_teardown(test_valet_groups_in_hints, start, stop),
		cmocka_unit_test_setup_teardown(test_never_invents_a_host, start, stop),
		cmocka_unit_test_setup_teardown(test_live_migration, start, stop),
		cmocka_unit_test_setup_teardown(test_num_instances, start, stop),
		cmocka_unit_test_setup_teardown(test_resize, start, stop),
		cmocka_unit_test_setup_teardown(test_bad_bodies, start, stop),
		cmocka_unit_test_setup_teardown(test_restart_keeps_acknowledged, start, stop),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
