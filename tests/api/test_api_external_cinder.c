/*
 * test_api_external_cinder.c - POST /scheduler/cinder/external and
 * /scheduler/manila/external over real HTTP against the real valetd.
 * The Cinder body is tests/data/api/built-cinder-create-volume.json, made
 * by tests/openstack/cinder_external_body.py with Cinder's own objects as
 * SAP's Cinder fork makes it (built, not recorded: the loopback cloud's
 * upstream Cinder makes no such call): a 10 GB volume of type lvm offered
 * three pools. The inventory has those pools and one more, each a rack.
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

#define BUILT VLT_TEST_DATA "/api/built-cinder-create-volume.json"
#define PATH "/scheduler/cinder/external"
#define MANILA "/scheduler/manila/external"
#define STACK "5e1c0de0-aaaa-4bbb-8ccc-000000000001"

static valetd_t d;
static char dir[256];
static char inv[320];

static const char inventory[] =
	"{\"datacenter\": \"extc-dc\","
	" \"clusters\": [{\"name\": \"c1\"}],"
	" \"racks\": [{\"name\": \"r1\", \"cluster\": \"c1\"}, {\"name\": \"r2\", \"cluster\": "
	"\"c1\"}],"
	" \"hosts\": [{\"name\": \"compute-1\", \"rack\": \"r1\", \"vcpus\": 16, \"ram_mb\": "
	"65536, \"disk_gb\": 1000}],"
	" \"storage\": ["
	"  {\"name\": \"cinder-1@lvm#pool-a\", \"rack\": \"r1\", \"capacity_gb\": 100},"
	"  {\"name\": \"cinder-1@lvm#pool-b\", \"rack\": \"r1\", \"capacity_gb\": 100},"
	"  {\"name\": \"cinder-2@lvm#pool-a\", \"rack\": \"r2\", \"capacity_gb\": 100},"
	"  {\"name\": \"cinder-2@lvm#pool-b\", \"rack\": \"r2\", \"capacity_gb\": 5}],"
	" \"flavors\": [{\"name\": \"m1.small\", \"vcpus\": 2, \"ram_mb\": 2048, \"disk_gb\": 10}]}";

static int start(void **state)
{
	FILE *f;
	(void)state;

	api_tmpdir(dir, sizeof(dir), "api-external-cinder");
	snprintf(inv, sizeof(inv), "%s/inventory.json", dir);
	f = fopen(inv, "w");
	if (f == NULL || fputs(inventory, f) < 0 || fclose(f) != 0)
		return -1;
	return valetd_start_on(&d, dir, NULL, inv);
}

static int stop(void **state)
{
	(void)state;
	valetd_stop(&d, SIGTERM);
	return 0;
}

/* ---------------------------------------------------------------- requests */

/* The built body, for volume id (NULL: the body's own). */
static json_t *built(const char *volume)
{
	json_error_t jerr;
	json_t *body = json_load_file(BUILT, 0, &jerr);

	if (body == NULL)
		fail_msg("%s: %s", BUILT, jerr.text);
	if (volume != NULL)
		json_object_set_new(json_object_get(body, "spec"), "volume_id", json_string(volume));
	return body;
}

static const char *volume_of(json_t *body)
{
	return json_string_value(json_object_get(json_object_get(body, "spec"), "volume_id"));
}

/* $.hosts and $.weights of body: just these pools ("a,b"), as the fork lists them. */
static void offer(json_t *body, const char *names)
{
	json_t *hosts = json_array(), *weights = json_object();
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", names);
	for (char *save = NULL, *n = strtok_r(buf, ",", &save); n != NULL;
	     n = strtok_r(NULL, ",", &save)) {
		json_array_append_new(hosts, json_pack("{s:s}", "host", n));
		json_object_set_new(weights, n, json_real(1.0));
	}
	json_object_set_new(body, "hosts", hosts);
	json_object_set_new(body, "weights", weights);
}

/* The pools of the inventory but one, as a list for offer(). */
static void offer_all_but(json_t *body, const char *pool)
{
	static const char *const pools[] = { "cinder-1@lvm#pool-a", "cinder-1@lvm#pool-b",
					     "cinder-2@lvm#pool-a" };
	char list[256] = "";

	for (size_t i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
		if (strcmp(pools[i], pool) != 0)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] != '\0' ? "," : "", pools[i]);
	}
	offer(body, list);
}

static json_t *ask_at(const char *path, json_t *body, long want, api_reply_t *rep)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *doc = api_expect(&d, "POST", path, text, want, rep);

	free(text);
	return doc;
}

/* Ask; expect {"hosts": [one offered pool]} and nothing else. RET a copy of it. */
static char *placed(json_t *body)
{
	api_reply_t rep;
	json_t *doc = ask_at(PATH, body, 200, &rep);
	const json_t *hosts = json_object_get(doc, "hosts");

	if (!json_is_array(hosts) || json_array_size(hosts) != 1 || json_object_size(doc) != 1)
		fail_msg("expected {\"hosts\": [one pool]}, got %s", rep.body);
	char *pool = strdup(json_string_value(json_array_get(hosts, 0)));
	assert_true(api_offered(body, pool));
	api_reply_free(&rep);
	return pool;
}

static void assert_no_pool(json_t *body)
{
	api_reply_t rep;
	json_t *doc = ask_at(PATH, body, 200, &rep);

	assert_true(json_is_array(json_object_get(doc, "hosts")));
	assert_int_equal(json_array_size(json_object_get(doc, "hosts")), 0);
	api_reply_free(&rep);
}

/*
 * A stack Heat planned: a server and its 10 GB data volume, keyed
 * STACK/vm and STACK/data. RET the volume's planned pool (a copy).
 */
static char *plan_stack(void)
{
	static const char req[] =
		"{\"plan_name\": \"shop\", \"stack_id\": \"" STACK "\", \"resources\": {"
		"\"" STACK "/vm\": {\"name\": \"vm\", \"type\": \"OS::Nova::Server\", "
		"\"properties\": {\"flavor\": \"m1.small\"}},"
		"\"" STACK "/data\": {\"name\": \"data\", \"type\": \"OS::Cinder::Volume\", "
		"\"properties\": {\"size\": 10}}}}";
	api_reply_t rep;

	api_expect(&d, "POST", "/v1/plans", req, 201, &rep);
	api_reply_free(&rep);
	return api_placement_location(&d, STACK "/data", NULL);
}

/* Heat's hints for the stack's volume, in the spec (as Nova keeps them: lists). */
static void heat_hints(json_t *body)
{
	json_object_set_new(json_object_get(body, "spec"), "scheduler_hints",
			    json_pack("{s:[s], s:[s], s:[s]}", "heat_root_stack_id", STACK,
				      "heat_path_in_stack", "shop", "heat_resource_name", "data"));
}

/* ---------------------------------------------------------------- tests */

/* A volume no plan has: an ad-hoc plan, reserved with its volume id on an offered pool. */
static void test_adhoc_volume(void **state)
{
	json_t *body = built(NULL);
	(void)state;

	char *pool = placed(body);
	char *held = api_placement_location(&d, volume_of(body), volume_of(body));
	assert_string_equal(held, pool);
	/* its plan is the volume's own, keyed by the volume id */
	api_reply_t rep;
	char path[128];
	snprintf(path, sizeof(path), "/v1/plans/%s", volume_of(body));
	api_expect(&d, "GET", path, NULL, 200, &rep);
	api_reply_free(&rep);
	free(held);
	free(pool);
	json_decref(body);
}

/* A planned volume found by Heat's hints: reserved on its planned pool. */
static void test_reserve_planned_volume(void **state)
{
	json_t *body = built(NULL);
	(void)state;

	char *planned = plan_stack();
	heat_hints(body);
	char *pool = placed(body);
	assert_string_equal(pool, planned);
	char *held = api_placement_location(&d, STACK "/data", volume_of(body));
	assert_string_equal(held, planned);
	free(held);
	free(pool);
	free(planned);
	json_decref(body);
}

/* Its planned pool not offered: placed again among the offered ones, reserved there. */
static void test_replan_when_not_offered(void **state)
{
	json_t *body = built(NULL);
	(void)state;

	char *planned = plan_stack();
	heat_hints(body);
	offer_all_but(body, planned);
	char *pool = placed(body);
	assert_string_not_equal(pool, planned);
	char *held = api_placement_location(&d, STACK "/data", volume_of(body));
	assert_string_equal(held, pool);
	free(held);
	free(pool);
	free(planned);
	json_decref(body);
}

/* Never a pool that was not offered: unknown pools, or one too small, answer none. */
static void test_never_invents_a_pool(void **state)
{
	json_t *body = built("c0ffee00-1111-4222-8333-000000000002");
	long entries = api_journal_entries(&d);
	(void)state;

	offer(body, "cinder-9@nfs#elsewhere");
	assert_no_pool(body);
	offer(body, "cinder-2@lvm#pool-b"); /* 5 GB for a 10 GB volume */
	assert_no_pool(body);
	assert_int_equal(api_journal_entries(&d), entries);
	offer(body, "cinder-9@nfs#elsewhere,cinder-2@lvm#pool-b,cinder-1@lvm#pool-b");
	char *pool = placed(body);
	assert_string_equal(pool, "cinder-1@lvm#pool-b");
	free(pool);
	json_decref(body);
}

/* A volume made from another keeps to its resource_backend's pools. */
static void test_resource_backend(void **state)
{
	json_t *body = built("c0ffee00-1111-4222-8333-000000000003");
	(void)state;

	json_object_set_new(json_object_get(body, "spec"), "resource_backend",
			    json_string("cinder-2@lvm"));
	char *pool = placed(body);
	assert_string_equal(pool, "cinder-2@lvm#pool-a");
	free(pool);
	/* a whole pool named: that one only, and none when it is not offered */
	json_t *other = built("c0ffee00-1111-4222-8333-000000000004");
	json_object_set_new(json_object_get(other, "spec"), "resource_backend",
			    json_string("cinder-1@lvm#pool-b"));
	pool = placed(other);
	assert_string_equal(pool, "cinder-1@lvm#pool-b");
	free(pool);
	json_t *gone = built("c0ffee00-1111-4222-8333-000000000005");
	json_object_set_new(json_object_get(gone, "spec"), "resource_backend",
			    json_string("cinder-3@lvm"));
	assert_no_pool(gone);
	json_decref(gone);
	json_decref(other);
	json_decref(body);
}

/* The same request again: the same pool, nothing written. */
static void test_retry_is_idempotent(void **state)
{
	json_t *body = built(NULL);
	json_t *planned_body = built("c0ffee00-1111-4222-8333-000000000006");
	(void)state;

	char *first = placed(body);
	long entries = api_journal_entries(&d);
	char *again = placed(body);
	assert_string_equal(again, first);
	assert_int_equal(api_journal_entries(&d), entries);
	/* a planned volume once reserved is found again by its volume id, hints or not */
	char *planned = plan_stack();
	heat_hints(planned_body);
	char *pool = placed(planned_body);
	json_object_del(json_object_get(planned_body, "spec"), "scheduler_hints");
	entries = api_journal_entries(&d);
	char *by_id = placed(planned_body);
	assert_string_equal(by_id, pool);
	assert_int_equal(api_journal_entries(&d), entries);
	free(by_id);
	free(pool);
	free(planned);
	free(again);
	free(first);
	json_decref(planned_body);
	json_decref(body);
}

/* kill -9 after an acknowledged answer: after the restart it is held, a retry answers the same. */
static void test_restart_keeps_acknowledged(void **state)
{
	json_t *body = built(NULL);
	(void)state;

	char *got = placed(body);
	valetd_stop(&d, SIGKILL);
	assert_int_equal(valetd_start_on(&d, dir, NULL, inv), 0);
	long entries = api_journal_entries(&d);
	char *again = placed(body);
	assert_string_equal(again, got);
	assert_int_equal(api_journal_entries(&d), entries);
	char *held = api_placement_location(&d, volume_of(body), volume_of(body));
	assert_string_equal(held, got);
	free(held);
	free(again);
	free(got);
	json_decref(body);
}

struct bad_case {
	const char *what;    /* the change, for messages */
	const char *pointer; /* where in the body */
	const char *value;   /* JSON, or NULL to delete */
	const char *named;   /* what the error must name */
};

static void expect_bad(const char *path, const struct bad_case *c)
{
	json_t *body = built(NULL);
	api_reply_t rep;

	api_json_set_at(body, c->pointer, c->value);
	ask_at(path, body, 400, &rep);
	const char *why = api_check_error(&rep, 400);
	if (strstr(why, c->named) == NULL)
		fail_msg("%s: the error does not name %s: %s", c->what, c->named, why);
	api_reply_free(&rep);
	json_decref(body);
}

/* Bad bodies: 400 naming the field, and nothing changes. */
static void test_bad_bodies(void **state)
{
	static const struct bad_case cases[] = {
		{ "no spec", "spec", NULL, "$.spec: missing" },
		{ "a spec not an object", "spec", "[1]", "$.spec: expected an object" },
		{ "no volume id", "spec/volume_id", NULL, "$.spec.volume_id: missing" },
		{ "a volume id not text", "spec/volume_id", "7", "$.spec.volume_id: expected a string" },
		{ "no volume properties", "spec/volume_properties", NULL,
		  "$.spec.volume_properties: missing" },
		{ "size as text", "spec/volume_properties/size", "\"10\"",
		  "$.spec.volume_properties.size: expected a whole number" },
		{ "size 0", "spec/volume_properties/size", "0", "at least 1" },
		{ "a zone not text", "spec/volume_properties/availability_zone", "[]",
		  "$.spec.volume_properties.availability_zone: expected a string" },
		{ "a volume type not an object", "spec/volume_type", "\"lvm\"",
		  "$.spec.volume_type: expected an object" },
		{ "hints not an object", "spec/scheduler_hints", "[]",
		  "$.spec.scheduler_hints: expected an object" },
		{ "a bad path in stack", "spec/scheduler_hints", "{\"heat_root_stack_id\": \"s\", "
		  "\"heat_resource_name\": \"data\", \"heat_path_in_stack\": [\"shop\", 7]}",
		  "$.spec.scheduler_hints.heat_path_in_stack[1]" },
		{ "a resource backend not text", "spec/resource_backend", "1",
		  "$.spec.resource_backend: expected a string" },
		{ "no hosts", "hosts", NULL, "$.hosts: missing" },
		{ "hosts not a list", "hosts", "{}", "$.hosts: expected a list of {\"host\": name}" },
		{ "a host without its name", "hosts", "[{\"host\": \"cinder-1@lvm#pool-a\"}, {}]",
		  "$.hosts[1]" },
		{ "weights a list", "weights", "[]", "$.weights: expected an object" },
		{ "context a string", "context", "\"ctx\"", "$.context: expected an object" },
	};
	char *before = api_snapshot(&d);
	long entries = api_journal_entries(&d);
	api_reply_t rep;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_bad(PATH, &cases[i]);
	api_expect(&d, "POST", PATH, "[1, 2]", 400, &rep);
	api_reply_free(&rep);
	assert_int_equal(api_journal_entries(&d), entries);
	char *after = api_snapshot(&d);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Manila: the offered hosts answered as offered, in order; bad bodies 400; nothing written. */
static void test_manila_no_opinion(void **state)
{
	static const struct bad_case cases[] = {
		{ "no spec", "spec", NULL, "$.spec: missing" },
		{ "no hosts", "hosts", NULL, "$.hosts: missing" },
		{ "a host without its name", "hosts", "[{\"name\": \"x\"}]", "$.hosts[0]" },
		{ "weights a list", "weights", "[]", "$.weights: expected an object" },
	};
	json_t *body = json_pack("{s:{s:{s:s}, s:{s:s, s:i}}, s:{s:s}, s:[{s:s}, {s:s}, {s:s}], "
				 "s:{s:f, s:f, s:f}}",
				 "spec", "share_type", "name", "NFS", "share_properties",
				 "project_id", "p1", "size", 1, "context", "request_id", "req-1",
				 "hosts", "host", "manila-2@netapp#aggr1", "host",
				 "manila-1@netapp#aggr2", "host", "manila-1@netapp#aggr1", "weights",
				 "manila-2@netapp#aggr1", 1.0, "manila-1@netapp#aggr2", 0.5,
				 "manila-1@netapp#aggr1", 0.0);
	long entries = api_journal_entries(&d);
	api_reply_t rep;
	(void)state;

	assert_non_null(body);
	json_t *doc = ask_at(MANILA, body, 200, &rep);
	json_t *want = json_pack("{s:[s, s, s]}", "hosts", "manila-2@netapp#aggr1",
				 "manila-1@netapp#aggr2", "manila-1@netapp#aggr1");
	assert_true(json_equal(doc, want));
	api_reply_free(&rep);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *bad = json_deep_copy(body);

		api_json_set_at(bad, cases[i].pointer, cases[i].value);
		ask_at(MANILA, bad, 400, &rep);
		const char *why = api_check_error(&rep, 400);
		if (strstr(why, cases[i].named) == NULL)
			fail_msg("%s: the error does not name %s: %s", cases[i].what,
				 cases[i].named, why);
		api_reply_free(&rep);
		json_decref(bad);
	}
	assert_int_equal(api_journal_entries(&d), entries);
	json_decref(want);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_adhoc_volume, start, stop),
		cmocka_unit_test_setup_teardown(test_reserve_planned_volume, start, stop),
		cmocka_unit_test_setup_teardown(test_replan_when_not_offered, start, stop),
		cmocka_unit_test_setup_teardown(test_never_invents_a_pool, start, stop),
		cmocka_unit_test_setup_teardown(test_resource_backend, start, stop),
		cmocka_unit_test_setup_teardown(test_retry_is_idempotent, start, stop),
		cmocka_unit_test_setup_teardown(test_restart_keeps_acknowledged, start, stop),
		cmocka_unit_test_setup_teardown(test_bad_bodies, start, stop),
		cmocka_unit_test_setup_teardown(test_manila_no_opinion, start, stop),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
