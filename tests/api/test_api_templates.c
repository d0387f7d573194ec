/*
 * test_api_templates.c - the template form of POST /v1/plans and PUT
 * /v1/plans/{id} through real HTTP against a real valetd (docs/api.md,
 * docs/heat-templates.md): a nested template with groups spanning its
 * levels as one plan, an update of the template moving only what changed,
 * and bad templates refused with the expansion's message, nothing changed.
 *
 * The inventory (tests/data/api/inventory.json): hosts qos101..qos108 in
 * racks r1 (101-104) and r2 (105-108), 4 vCPUs each with no overcommit.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api_helpers.h"

static valetd_t d;

static int start(void **state)
{
	char dir[256];
	(void)state;

	api_tmpdir(dir, sizeof(dir), "api-hot");
	return valetd_start(&d, dir, NULL);
}

static int stop(void **state)
{
	(void)state;
	valetd_stop_and_remove(&d, SIGTERM);
	return 0;
}

/* A web server in a nested template: rack affinity with `near` (a parameter) by a named group. */
static const char SERVER_YAML[] =
	"heat_template_version: 2016-10-14\n"
	"parameters:\n"
	"  flavor: {type: string}\n"
	"  near: {type: string}\n"
	"resources:\n"
	"  vm:\n"
	"    type: OS::Nova::Server\n"
	"    properties:\n"
	"      flavor: {get_param: flavor}\n"
	"      metadata: {valet: {groups: [web-div]}}\n"
	"  with_db:\n"
	"    type: ATT::Valet::GroupAssignment\n"
	"    properties:\n"
	"      group_type: affinity\n"
	"      group_name: near-db\n"
	"      level: rack\n"
	"      resources: [{get_resource: vm}, {get_param: near}]\n";

static const char STACK_YAML[] =
	"heat_template_version: 2016-10-14\n"
	"parameters:\n"
	"  count: {type: number, default: 1}\n"
	"resources:\n"
	"  db: {type: OS::Nova::Server, properties: {flavor: m1.medium}}\n"
	"  grp:\n"
	"    type: OS::Heat::ResourceGroup\n"
	"    properties:\n"
	"      count: {get_param: count}\n"
	"      resource_def:\n"
	"        type: server.yaml\n"
	"        properties: {flavor: m1.small, near: {get_resource: db}}\n";

static const char *placed(const json_t *doc, const char *orch)
{
	const char *loc = json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(doc, "plan"), "placements"), orch),
		"location"));

	if (loc == NULL)
		fail_msg("no placement %s in %s", orch, json_dumps(doc, JSON_COMPACT));
	return loc;
}

static int rack_of(const char *host)
{
	return atoi(host + 3) <= 104 ? 1 : 2;
}

/* The body of a template-form request as a new string. */
static char *template_body(const char *action, const char *stack_id, json_t *params)
{
	json_t *b = json_pack("{s:s, s:s, s:s, s:{s:s}, s:o}", "stack_id", stack_id, "plan_name",
			      "shop", "template", STACK_YAML, "files", "server.yaml", SERVER_YAML,
			      "parameters", params);
	if (action != NULL)
		json_object_set_new(b, "action", json_string(action));
	char *s = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	return s;
}

static void create_group(const char *name, const char *type, const char *level)
{
	char body[256];
	api_reply_t rep;

	snprintf(body, sizeof(body), "{\"name\": \"%s\", \"type\": \"%s\", \"level\": \"%s\"}",
		 name, type, level);
	api_expect(&d, "POST", "/v1/groups", body, 201, &rep);
	api_reply_free(&rep);
}

/* Groups across levels: a named diversity group in the members' metadata, a named
 * rack affinity between each member and the root's db, passed down with get_resource. */
static void test_nested_template_is_one_plan(void **state)
{
	api_reply_t rep;
	(void)state;

	create_group("web-div", "diversity", "host");
	char *body = template_body(NULL, "S1", json_pack("{s:i}", "count", 3));
	json_t *doc = api_expect(&d, "POST", "/v1/plans", body, 201, &rep);
	free(body);
	const json_t *pl = json_object_get(json_object_get(doc, "plan"), "placements");
	assert_int_equal(json_object_size(pl), 4);
	const char *db = placed(doc, "S1/db");
	const char *w[3] = { placed(doc, "S1/grp/0/vm"), placed(doc, "S1/grp/1/vm"),
			     placed(doc, "S1/grp/2/vm") };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rack_of(w[i]), rack_of(db));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(w[i], w[j]);
	}
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(pl, "S1/grp/1/vm"), "name")),
			    "vm");
	api_reply_free(&rep);
	/* the plan is found by its stack id, as one plan */
	char *before = api_snapshot(&d);
	doc = api_expect(&d, "GET", "/v1/plans/S1", NULL, 200, &rep);
	assert_int_equal(json_object_size(json_object_get(json_object_get(doc, "plan"),
							  "placements")), 4);
	api_reply_free(&rep);
	/* what is stored is the expanded request: a restart holds the same plan */
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", d.dir);
	valetd_stop(&d, SIGTERM);
	assert_int_equal(valetd_start(&d, dir, NULL), 0);
	char *after = api_snapshot(&d);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* An update of the template changes one member's flavor: the others stay where they are. */
static void test_template_update_moves_only_what_changed(void **state)
{
	static const char two[] =
		"heat_template_version: 2016-10-14\n"
		"parameters:\n  f1: {type: string}\n  f2: {type: string}\n"
		"resources:\n"
		"  web1: {type: one.yaml, properties: {flavor: {get_param: f1}}}\n"
		"  web2: {type: one.yaml, properties: {flavor: {get_param: f2}}}\n";
	static const char one[] =
		"heat_template_version: 2016-10-14\n"
		"parameters: {flavor: {type: string}}\n"
		"resources: {vm: {type: OS::Nova::Server, properties: {flavor: {get_param: flavor}}}}\n";
	api_reply_t rep;
	char web1[64], pid1[64];
	(void)state;

	json_t *b = json_pack("{s:s, s:s, s:s, s:{s:s}, s:s, s:{s:s, s:s}}", "stack_id", "S2",
			      "plan_name", "two", "template", two, "files", "one.yaml", one, "environment",
			      "parameters: {f1: m1.small}\n", "parameters", "f1", "m1.small", "f2",
			      "m1.small");
	char *body = json_dumps(b, JSON_COMPACT);
	json_t *doc = api_expect(&d, "POST", "/v1/plans", body, 201, &rep);
	free(body);
	snprintf(web1, sizeof(web1), "%s", placed(doc, "S2/web1/vm"));
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/placements/S2/web1/vm", NULL, 200, &rep);
	snprintf(pid1, sizeof(pid1), "%s",
		 json_string_value(json_object_get(json_object_get(doc, "placement"), "id")));
	api_reply_free(&rep);

	/* web2 grows to a whole host: it cannot stay beside web1 */
	json_object_set_new(b, "action", json_string("update"));
	json_object_set_new(json_object_get(b, "parameters"), "f2", json_string("m1.large"));
	body = json_dumps(b, JSON_COMPACT);
	doc = api_expect(&d, "PUT", "/v1/plans/S2", body, 201, &rep);
	free(body);
	assert_string_equal(placed(doc, "S2/web1/vm"), web1);
	assert_string_not_equal(placed(doc, "S2/web2/vm"), web1);
	api_reply_free(&rep);
	/* the id's slashes as a client may send them, encoded */
	doc = api_expect(&d, "GET", "/v1/placements/S2%2Fweb1%2Fvm", NULL, 200, &rep);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "placement"),
							      "id")), pid1);
	api_reply_free(&rep);

	/* a template of another stack would key every resource anew: refused */
	json_object_set_new(b, "stack_id", json_string("S3"));
	body = json_dumps(b, JSON_COMPACT);
	api_call(&d, "PUT", "/v1/plans/S2", body, NULL, &rep);
	free(body);
	api_assert_contains(api_check_error(&rep, 400), "$.stack_id: 'S3' is not the stack of plan");
	api_reply_free(&rep);
	json_decref(b);
}

static const struct {
	const char *body;
	const char *explanation;
} bad[] = {
	{ "{\"stack_id\": \"B\", \"resources\": {}, \"template\": {}}",
	  "$.resources and $.template: give one of them, not both" },
	{ "{\"template\": \"heat_template_version: 2016-10-14\\n\"}", "$.stack_id: missing" },
	{ "{\"stack_id\": \"B\", \"template\": \"heat_template_version: 1\\nresources: [\\n\"}",
	  "plan request: $.template:3:" },
	{ "{\"stack_id\": \"B\", \"template\": {\"heat_template_version\": \"2016-10-14\","
	  " \"resources\": {\"a\": {\"type\": \"server.yaml\"}}}}",
	  "$.template: a: nested template 'server.yaml' is not in the request's files" },
	{ "{\"stack_id\": \"B\", \"template\": {\"heat_template_version\": \"2016-10-14\"},"
	  " \"parameters\": {\"x\": 1}}",
	  "$.template: parameters: unknown parameter 'x'" },
	{ "{\"stack_id\": \"B\", \"template\": {\"heat_template_version\": \"2016-10-14\","
	  " \"resources\": {\"g\": {\"type\": \"OS::Heat::ResourceGroup\", \"properties\":"
	  " {\"count\": \"lots\", \"resource_def\": {\"type\": \"OS::Nova::Server\"}}}}}}",
	  "$.template: g: count 'lots' is not a whole number" },
	{ "{\"stack_id\": \"B\", \"template\": 7}", "template: expected an object or a string" },
	{ "{\"stack_id\": \"B\", \"template\": {\"heat_template_version\": \"2016-10-14\","
	  " \"resources\": {\"g\": {\"type\": \"OS::Heat::ResourceGroup\", \"properties\":"
	  " {\"count\": 10001, \"resource_def\": {\"type\": \"OS::Nova::Server\"}}}}}}",
	  "$.template: g: count 10001 is above the 10000 resources a template may make" },
};

static void test_bad_templates_change_nothing(void **state)
{
	(void)state;
	char *before = api_snapshot(&d);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		api_reply_t rep;
		api_call(&d, "POST", "/v1/plans", bad[i].body, NULL, &rep);
		api_assert_contains(api_check_error(&rep, 400), bad[i].explanation);
		api_reply_free(&rep);
	}
	char *after = api_snapshot(&d);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nested_template_is_one_plan, start, stop),
		cmocka_unit_test_setup_teardown(test_template_update_moves_only_what_changed, start,
						stop),
		cmocka_unit_test_setup_teardown(test_bad_templates_change_nothing, start, stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
