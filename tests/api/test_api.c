/*
 * test_api.c - valet-api v1 through real HTTP against a real valetd: every
 * endpoint and status, idempotent plan creation (sequential and racing),
 * two plans racing for the last capacity, reservation's fast path and
 * replan, update / migrate / delete giving capacity back, expiry of
 * unreserved holds, groups and members, restart, and the bad-input table.
 *
 * The inventory (tests/data/api/inventory.json): hosts qos101..qos108 in
 * racks r1 (101-104) and r2 (105-108), 4 vCPUs each with no overcommit,
 * so m1.small fits four times per host, m1.large once.
 */
#include <pthread.h>
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

static valetd_t d;

static int start(void **state)
{
	char dir[256];
	(void)state;

	api_tmpdir(dir, sizeof(dir), "api");
	return valetd_start(&d, dir, NULL);
}

static int start_short_holds(void **state)
{
	char dir[256];
	(void)state;

	api_tmpdir(dir, sizeof(dir), "api-ttl");
	return valetd_start(&d, dir, "service: {\n  hold_ttl_s = 1;\n};\n");
}

/* valetd on an inventory of the test's own (DIR/inventory.json, the test inventory at first). */
static char own_inventory[320];

static void write_own_inventory(const json_t *inv)
{
	assert_int_equal(json_dump_file(inv, own_inventory, JSON_INDENT(1)), 0);
}

static int start_own_inventory(void **state)
{
	char dir[256];
	json_t *inv = json_load_file(API_TEST_INVENTORY, 0, NULL);
	(void)state;

	api_tmpdir(dir, sizeof(dir), "api-refresh");
	snprintf(own_inventory, sizeof(own_inventory), "%s/inventory.json", dir);
	assert_non_null(inv);
	write_own_inventory(inv);
	json_decref(inv);
	return valetd_start_on(&d, dir, NULL, own_inventory);
}

static int stop(void **state)
{
	char cmd[400];
	(void)state;

	valetd_stop(&d, SIGKILL);
	if (getenv("VALET_TEST_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", d.dir);
	}
	return 0;
}

/* ---- small helpers */

/* POST a stack; RET the status; *plan_id (if not NULL) gets the id on 201. */
static long post_stack(const char *stack, int n, const char *flavor, const char *group,
		       char *plan_id, api_reply_t *out)
{
	char *body = api_stack(stack, n, flavor, group);
	api_reply_t rep;
	long st = api_call(&d, "POST", "/v1/plans", body, NULL, &rep);

	free(body);
	if (st == 201 && plan_id != NULL)
		snprintf(
			plan_id, 64, "%s",
			json_string_value(json_object_get(json_object_get(rep.doc, "plan"), "id")));
	if (out != NULL)
		*out = rep;
	else
		api_reply_free(&rep);
	return st;
}

static const char *location_of(const json_t *plan_doc, const char *orch)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(plan_doc, "plan"), "placements"),
				orch),
		"location"));
}

static json_t *get_placement(const char *id, api_reply_t *rep)
{
	char path[300];

	snprintf(path, sizeof(path), "/v1/placements/%s", id);
	return json_object_get(api_expect(&d, "GET", path, NULL, 200, rep), "placement");
}

static long reserve(const char *orch, const char *locations, const char *rid, const char *action,
		    api_reply_t *rep)
{
	char path[300], body[1024];

	snprintf(path, sizeof(path), "/v1/placements/%s", orch);
	snprintf(body, sizeof(body), "{%s%s%s\"locations\": %s, \"resource_id\": \"%s\"}",
		 action != NULL ? "\"action\": \"" : "", action != NULL ? action : "",
		 action != NULL ? "\", " : "", locations, rid);
	return api_call(&d, "POST", path, body, NULL, rep);
}

/* ---- plans */

static void test_plans_endpoints(void **state)
{
	api_reply_t rep;
	char id[64], path[128];
	(void)state;

	json_t *doc = api_expect(&d, "GET", "/v1/plans", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "plans")), 0);
	api_reply_free(&rep);

	assert_int_equal(post_stack("stack-a", 2, "m1.small", NULL, id, &rep), 201);
	json_t *plan = json_object_get(rep.doc, "plan");
	assert_int_equal(json_object_size(plan), 4);
	assert_int_equal(strlen(json_string_value(json_object_get(plan, "id"))), 36);
	assert_string_equal(json_string_value(json_object_get(plan, "stack_id")), "stack-a");
	assert_string_equal(json_string_value(json_object_get(plan, "name")), "stack-a");
	json_t *pl = json_object_get(plan, "placements");
	assert_int_equal(json_object_size(pl), 2);
	json_t *one = json_object_get(pl, "stack-a-s0");
	assert_string_equal(json_string_value(json_object_get(one, "name")), "stack-a-s0");
	assert_non_null(json_string_value(json_object_get(one, "location")));
	char *created = json_dumps(rep.doc, JSON_COMPACT | JSON_SORT_KEYS);
	api_reply_free(&rep);

	/* by plan id and by stack id, the same document */
	snprintf(path, sizeof(path), "/v1/plans/%s", id);
	for (int i = 0; i < 2; i++) {
		doc = api_expect(&d, "GET", i == 0 ? path : "/v1/plans/stack-a", NULL, 200, &rep);
		char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
		assert_string_equal(text, created);
		free(text);
		api_reply_free(&rep);
	}
	free(created);

	doc = api_expect(&d, "GET", "/v1/plans", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "plans")), 1);
	api_reply_free(&rep);

	api_call(&d, "GET", "/v1/plans/nope", NULL, NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Plan not found");
	api_reply_free(&rep);

	/* no server: upstream's empty plan, nothing stored */
	doc = api_expect(&d, "POST", "/v1/plans",
			 "{\"plan_name\": \"v\", \"stack_id\": \"vols\", \"resources\": {\"v1\": "
			 "{\"type\": \"OS::Cinder::Volume\", \"properties\": {\"size\": 1}}}}",
			 201, &rep);
	assert_string_equal(rep.body, "{\"plan\": {}}");
	api_reply_free(&rep);
	api_call(&d, "GET", "/v1/plans/vols", NULL, NULL, &rep);
	api_check_error(&rep, 404);
	api_reply_free(&rep);

	/* methods */
	assert_int_equal(api_call(&d, "OPTIONS", "/v1/plans", NULL, NULL, &rep), 204);
	assert_string_equal(rep.allow, "GET, HEAD, POST, OPTIONS");
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "OPTIONS", path, NULL, NULL, &rep), 204);
	assert_string_equal(rep.allow, "GET, HEAD, PUT, DELETE, OPTIONS");
	api_reply_free(&rep);
	api_call(&d, "POST", path, "{}", NULL, &rep);
	api_check_error(&rep, 405);
	api_reply_free(&rep);

	/* delete: 204, then gone */
	assert_int_equal(api_call(&d, "DELETE", path, NULL, NULL, NULL), 204);
	api_call(&d, "GET", path, NULL, NULL, &rep);
	api_check_error(&rep, 404);
	api_reply_free(&rep);
	api_call(&d, "DELETE", "/v1/plans/stack-a", NULL, NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Plan not found");
	api_reply_free(&rep);
}

/* The same stack twice: one plan, the same answer. */
static void test_create_is_idempotent(void **state)
{
	api_reply_t a, b;
	(void)state;

	assert_int_equal(post_stack("retry", 3, "m1.small", NULL, NULL, &a), 201);
	long entries = api_journal_entries(&d);
	assert_int_equal(post_stack("retry", 3, "m1.small", NULL, NULL, &b), 201);
	assert_string_equal(a.body, b.body);
	/* the retry wrote nothing */
	assert_int_equal(api_journal_entries(&d), entries);
	api_reply_free(&a);
	api_reply_free(&b);

	json_t *doc = api_expect(&d, "GET", "/v1/plans", NULL, 200, &a);
	assert_int_equal(json_array_size(json_object_get(doc, "plans")), 1);
	api_reply_free(&a);
}

struct racer {
	pthread_t t;
	const char *stack;
	int n;
	const char *flavor;
	long status;
	char body[4096];
};

static void *race_post(void *arg)
{
	struct racer *r = arg;
	api_reply_t rep;

	r->status = post_stack(r->stack, r->n, r->flavor, NULL, NULL, &rep);
	snprintf(r->body, sizeof(r->body), "%s", rep.body != NULL ? rep.body : "");
	api_reply_free(&rep);
	return NULL;
}

/* Eight clients posting the same stack at once make one plan, and all see it. */
static void test_create_racing_same_stack(void **state)
{
	enum { N = 8 };
	struct racer r[N];
	api_reply_t rep;
	(void)state;

	for (int i = 0; i < N; i++) {
		r[i] = (struct racer){ .stack = "same", .n = 2, .flavor = "m1.small" };
		assert_int_equal(pthread_create(&r[i].t, NULL, race_post, &r[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(r[i].t, NULL);
	for (int i = 0; i < N; i++) {
		assert_int_equal(r[i].status, 201);
		assert_string_equal(r[i].body, r[0].body);
	}
	json_t *doc = api_expect(&d, "GET", "/v1/plans", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "plans")), 1);
	api_reply_free(&rep);
	/* one plan: nothing else in the journal */
	assert_int_equal(api_journal_entries(&d), 1);
}

/* Two plans for the last host at once: one gets it, the other is told why not. */
static void test_race_for_last_capacity(void **state)
{
	struct racer r[2] = {
		{ .stack = "last-1", .n = 1, .flavor = "m1.large" },
		{ .stack = "last-2", .n = 1, .flavor = "m1.large" },
	};
	(void)state;

	assert_int_equal(post_stack("fill", 7, "m1.large", NULL, NULL, NULL), 201);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&r[i].t, NULL, race_post, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i].t, NULL);
	int won = (r[0].status == 201) + (r[1].status == 201);
	assert_int_equal(won, 1);
	struct racer *lost = r[0].status == 201 ? &r[1] : &r[0];
	assert_int_equal(lost->status, 409);
	api_reply_t rep = { .status = 409,
			    .body = lost->body,
			    .doc = json_loads(lost->body, 0, NULL) };
	const char *why = api_check_error(&rep, 409);
	api_assert_contains(why, lost->stack);
	api_assert_contains(why, "0 of 8 hosts fit");
	json_decref(rep.doc);

	/* and nothing more fits */
	assert_int_equal(post_stack("after", 1, "m1.small", NULL, NULL, NULL), 409);
}

/* ---- placements */

static void test_reserve_fast_path_and_replan(void **state)
{
	api_reply_t rep, rep2;
	(void)state;

	assert_int_equal(api_call(&d, "POST", "/v1/groups",
				  "{\"name\": \"spread\", \"type\": \"diversity\", \"level\": "
				  "\"host\"}",
				  NULL, NULL),
			 201);
	assert_int_equal(post_stack("rs", 2, "m1.small", "spread", NULL, &rep), 201);
	char h0[64], h1[64], locs[256];
	snprintf(h0, sizeof(h0), "%s", location_of(rep.doc, "rs-s0"));
	snprintf(h1, sizeof(h1), "%s", location_of(rep.doc, "rs-s1"));
	assert_string_not_equal(h0, h1);
	api_reply_free(&rep);

	/* fast path: the planned host is among the candidates */
	snprintf(locs, sizeof(locs), "[\"qos108\", \"%s\"]", h0);
	assert_int_equal(reserve("rs-s0", locs, "nova-0", NULL, &rep), 201);
	json_t *p = json_object_get(rep.doc, "placement");
	assert_int_equal(json_object_size(p), 8);
	assert_string_equal(json_string_value(json_object_get(p, "location")), h0);
	assert_string_equal(json_string_value(json_object_get(p, "resource_id")), "nova-0");
	assert_string_equal(json_string_value(json_object_get(p, "orchestration_id")), "rs-s0");
	assert_true(json_is_true(json_object_get(p, "reserved")));
	char pid[64];
	snprintf(pid, sizeof(pid), "%s", json_string_value(json_object_get(p, "id")));
	api_reply_free(&rep);

	/* again, by placement id: the same answer and no new journal entry */
	long entries = api_journal_entries(&d);
	assert_int_equal(reserve(pid, locs, "nova-0", NULL, &rep), 201);
	assert_int_equal(api_journal_entries(&d), entries);
	p = json_object_get(get_placement("rs-s0", &rep2), "id");
	assert_string_equal(json_string_value(p), pid);
	api_reply_free(&rep);
	api_reply_free(&rep2);

	/* replan: the sibling's host is not a candidate; it moves, the reserved one stays */
	const char *target = strcmp(h1, "qos105") == 0 ? "qos106" : "qos105";
	snprintf(locs, sizeof(locs), "[\"%s\"]", target);
	assert_int_equal(reserve("rs-s1", locs, "nova-1", NULL, &rep), 201);
	p = json_object_get(rep.doc, "placement");
	assert_string_equal(json_string_value(json_object_get(p, "location")), target);
	assert_true(json_is_true(json_object_get(p, "reserved")));
	api_reply_free(&rep);
	assert_string_equal(
		json_string_value(json_object_get(get_placement("rs-s0", &rep), "location")), h0);
	api_reply_free(&rep);

	/* the group still holds: the reserved server's host is not a place for its sibling */
	snprintf(locs, sizeof(locs), "[\"%s\"]", h0);
	assert_int_equal(reserve("rs-s1", locs, "nova-1", "replan", &rep), 409);
	api_check_error(&rep, 409);
	api_reply_free(&rep);
	/* ... and the refused replan left it where it was */
	assert_string_equal(
		json_string_value(json_object_get(get_placement("rs-s1", &rep), "location")),
		target);
	api_reply_free(&rep);

	/* candidates Valet does not know are ignored; none known is a clear refusal */
	assert_int_equal(reserve("rs-s1", "[\"nova-only-host\"]", "nova-1", NULL, &rep), 409);
	api_assert_contains(api_check_error(&rep, 409), "none of the candidate hosts");
	api_reply_free(&rep);

	/* the queries of GET /v1/placements */
	json_t *doc = api_expect(&d, "GET", "/v1/placements?reserved=true", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "placements")), 2);
	api_reply_free(&rep);
	char q[128];
	snprintf(q, sizeof(q), "/v1/placements?location=%s&reserved=true", h0);
	doc = api_expect(&d, "GET", q, NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "placements")), 1);
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/placements?heat_resource_uuid=rs-s1", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "placements")), 1);
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/placements?name=rs-s1&name=rs-s1", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "placements")), 0);
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/placements?resource_id=nova-1", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "placements")), 1);
	api_reply_free(&rep);

	/* refusals */
	assert_int_equal(reserve("rs-s1", locs, "x", "hold", &rep), 400);
	assert_string_equal(api_check_error(&rep, 400), "Invalid action");
	api_reply_free(&rep);
	assert_int_equal(reserve("nope", locs, "x", NULL, &rep), 404);
	assert_string_equal(api_check_error(&rep, 404), "Placement not found");
	api_reply_free(&rep);
	api_call(&d, "GET", "/v1/placements/nope", NULL, NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Placement not found");
	api_reply_free(&rep);
}

/* Replan may move unreserved siblings: a host affinity pair follows its reserved member. */
static void test_replan_moves_unreserved_siblings(void **state)
{
	api_reply_t rep;
	(void)state;

	assert_int_equal(
		api_call(&d, "POST", "/v1/groups",
			 "{\"name\": \"pair\", \"type\": \"affinity\", \"level\": \"host\"}", NULL,
			 NULL),
		201);
	assert_int_equal(post_stack("aff", 2, "m1.small", "pair", NULL, &rep), 201);
	char h[64];
	snprintf(h, sizeof(h), "%s", location_of(rep.doc, "aff-s0"));
	assert_string_equal(location_of(rep.doc, "aff-s1"), h);
	api_reply_free(&rep);

	const char *target = strcmp(h, "qos107") == 0 ? "qos108" : "qos107";
	char locs[64];
	snprintf(locs, sizeof(locs), "[\"%s\"]", target);
	assert_int_equal(reserve("aff-s0", locs, "n0", NULL, &rep), 201);
	api_reply_free(&rep);
	json_t *doc = api_expect(&d, "GET", "/v1/plans/aff", NULL, 200, &rep);
	assert_string_equal(location_of(doc, "aff-s0"), target);
	assert_string_equal(location_of(doc, "aff-s1"), target);
	api_reply_free(&rep);
}

/* DELETE /v1/placements/{id}: the server leaves the plan, its capacity is free. */
static void test_placement_delete_releases(void **state)
{
	api_reply_t rep;
	(void)state;

	assert_int_equal(post_stack("full", 8, "m1.large", NULL, NULL, NULL), 201);
	assert_int_equal(post_stack("one", 1, "m1.large", NULL, NULL, NULL), 409);
	assert_int_equal(api_call(&d, "DELETE", "/v1/placements/full-s3", NULL, NULL, NULL), 204);
	json_t *doc = api_expect(&d, "GET", "/v1/plans/full", NULL, 200, &rep);
	assert_int_equal(
		json_object_size(json_object_get(json_object_get(doc, "plan"), "placements")), 7);
	api_reply_free(&rep);
	assert_int_equal(post_stack("one", 1, "m1.large", NULL, NULL, NULL), 201);
	api_call(&d, "DELETE", "/v1/placements/full-s3", NULL, NULL, &rep);
	api_check_error(&rep, 404);
	api_reply_free(&rep);
}

/* ---- update, migrate, delete */

static void test_update_migrate_delete_release(void **state)
{
	api_reply_t rep;
	(void)state;

	/* the whole data center */
	assert_int_equal(post_stack("big", 8, "m1.large", NULL, NULL, &rep), 201);
	char h0[64];
	snprintf(h0, sizeof(h0), "%s", location_of(rep.doc, "big-s0"));
	api_reply_free(&rep);
	assert_int_equal(reserve("big-s0",
				 "[\"qos101\", \"qos102\", \"qos103\", \"qos104\", "
				 "\"qos105\", \"qos106\", \"qos107\", \"qos108\"]",
				 "nova-big-0", NULL, NULL),
			 201);
	assert_int_equal(post_stack("other", 1, "m1.large", NULL, NULL, NULL), 409);

	/* update: drop big-s7, keep the rest (and big-s0's reservation) where they are */
	char *body = api_stack("big", 7, "m1.large", NULL);
	json_t *upd = json_loads(body, 0, NULL);
	free(body);
	json_object_set_new(upd, "action", json_string("update"));
	json_object_del(upd, "stack_id");
	body = json_dumps(upd, JSON_COMPACT);
	json_decref(upd);
	json_t *doc = api_expect(&d, "PUT", "/v1/plans/big", body, 201, &rep);
	free(body);
	assert_int_equal(
		json_object_size(json_object_get(json_object_get(doc, "plan"), "placements")), 7);
	assert_string_equal(location_of(doc, "big-s0"), h0);
	api_reply_free(&rep);
	json_t *p = get_placement("big-s0", &rep);
	assert_true(json_is_true(json_object_get(p, "reserved")));
	api_reply_free(&rep);
	api_call(&d, "GET", "/v1/placements/big-s7", NULL, NULL, &rep);
	api_check_error(&rep, 404);
	api_reply_free(&rep);

	/* the removed server's host is free again */
	assert_int_equal(post_stack("other", 1, "m1.large", NULL, NULL, &rep), 201);
	char free_host[64];
	snprintf(free_host, sizeof(free_host), "%s", location_of(rep.doc, "other-s0"));
	api_reply_free(&rep);

	/* migrate with the data center full: nowhere to go */
	api_call(&d, "PUT", "/v1/plans/big",
		 "{\"action\": \"migrate\", \"resources\": [\"big-s1\"]}", NULL, &rep);
	api_check_error(&rep, 409);
	api_reply_free(&rep);
	/* free a host; migrate goes there, by Nova uuid too */
	assert_int_equal(api_call(&d, "DELETE", "/v1/plans/other", NULL, NULL, NULL), 204);
	doc = api_expect(&d, "PUT", "/v1/plans/big",
			 "{\"action\": \"migrate\", \"resources\": [\"nova-big-0\"], "
			 "\"excluded_hosts\": [\"qos999\"]}",
			 201, &rep);
	assert_string_equal(location_of(doc, "big-s0"), free_host);
	api_reply_free(&rep);
	p = get_placement("big-s0", &rep);
	assert_false(json_is_true(json_object_get(p, "reserved")));
	assert_string_equal(json_string_value(json_object_get(p, "resource_id")), "nova-big-0");
	api_reply_free(&rep);
	/* its old host is free: a new plan lands there */
	assert_int_equal(post_stack("other2", 1, "m1.large", NULL, NULL, &rep), 201);
	assert_string_equal(location_of(rep.doc, "other2-s0"), h0);
	api_reply_free(&rep);

	/* migrate refusals */
	api_call(&d, "PUT", "/v1/plans/big", "{\"action\": \"migrate\", \"resources\": [\"x\"]}",
		 NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "'x' is not a server of plan");
	api_reply_free(&rep);
	api_call(&d, "PUT", "/v1/plans/big",
		 "{\"action\": \"migrate\", \"resources\": [\"big-s1\", \"big-s2\"]}", NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "exactly one");
	api_reply_free(&rep);

	/* an update's resources are checked as a create's are */
	api_call(&d, "PUT", "/v1/plans/big", "{\"action\": \"update\", \"resources\": []}", NULL,
		 &rep);
	api_assert_contains(api_check_error(&rep, 400), "$.resources: expected an object");
	api_reply_free(&rep);
	api_call(&d, "PUT", "/v1/plans/big",
		 "{\"action\": \"update\", \"resources\": {\"\": {\"type\": \"OS::Nova::Server\"}}}",
		 NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "an orchestration id must be 1 to 255");
	api_reply_free(&rep);

	/* delete gives everything back at once */
	assert_int_equal(api_call(&d, "DELETE", "/v1/plans/big", NULL, NULL, NULL), 204);
	assert_int_equal(post_stack("refill", 7, "m1.large", NULL, NULL, NULL), 201);
}

/* ---- holds expire */

static void test_unreserved_holds_expire(void **state)
{
	api_reply_t rep;
	(void)state;

	assert_int_equal(post_stack("held", 8, "m1.large", NULL, NULL, NULL), 201);
	assert_int_equal(reserve("held-s0",
				 "[\"qos101\", \"qos102\", \"qos103\", \"qos104\", \"qos105\", "
				 "\"qos106\", \"qos107\", \"qos108\"]",
				 "nova-held-0", NULL, NULL),
			 201);
	assert_int_equal(post_stack("late", 7, "m1.large", NULL, NULL, NULL), 409);

	/* hold_ttl_s = 1; the sweeper looks every 250 ms */
	json_t *doc = NULL;
	for (int i = 0; i < 100; i++) {
		api_sleep_ms(100);
		doc = api_expect(&d, "GET", "/v1/plans/held", NULL, 200, &rep);
		if (location_of(doc, "held-s1") == NULL)
			break;
		api_reply_free(&rep);
		doc = NULL;
	}
	assert_non_null(doc);
	json_t *pl = json_object_get(json_object_get(doc, "plan"), "placements");
	const char *k;
	json_t *v;
	json_object_foreach(pl, k, v) {
		bool reserved = strcmp(k, "held-s0") == 0;

		assert_true(json_is_null(json_object_get(v, "location")) != reserved);
	}
	api_reply_free(&rep);

	/* their capacity is free: seven large servers fit again */
	assert_int_equal(post_stack("late", 7, "m1.large", NULL, NULL, NULL), 201);
	/* an expired placement reserved later is placed anew; with no room, refused */
	assert_int_equal(reserve("held-s1", "[\"qos101\", \"qos102\"]", "nova-held-1", NULL, &rep),
			 409);
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "DELETE", "/v1/plans/late", NULL, NULL, NULL), 204);
	assert_int_equal(reserve("held-s1", "[\"qos101\", \"qos102\"]", "nova-held-1", NULL, &rep),
			 201);
	json_t *p = json_object_get(rep.doc, "placement");
	assert_non_null(json_string_value(json_object_get(p, "location")));
	assert_true(json_is_true(json_object_get(p, "reserved")));
	api_reply_free(&rep);
}

/* ---- groups */

static void test_groups_and_members(void **state)
{
	api_reply_t rep;
	char gid[64], path[200];
	(void)state;

	json_t *g = api_expect(&d, "POST", "/v1/groups",
			       "{\"name\": \"db-ex\", \"type\": \"exclusivity\", \"level\": "
			       "\"host\", \"description\": \"databases\"}",
			       201, &rep);
	/* the bare group */
	assert_int_equal(json_object_size(g), 6);
	assert_string_equal(json_string_value(json_object_get(g, "name")), "db-ex");
	assert_string_equal(json_string_value(json_object_get(g, "level")), "host");
	assert_int_equal(json_array_size(json_object_get(g, "members")), 0);
	snprintf(gid, sizeof(gid), "%s", json_string_value(json_object_get(g, "id")));
	api_reply_free(&rep);

	api_call(&d, "POST", "/v1/groups",
		 "{\"name\": \"db-ex\", \"type\": \"affinity\", \"level\": \"rack\"}", NULL, &rep);
	assert_string_equal(api_check_error(&rep, 400), "A group named db-ex already exists");
	api_reply_free(&rep);

	/* by id and by name */
	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	g = json_object_get(api_expect(&d, "GET", path, NULL, 200, &rep), "group");
	assert_string_equal(json_string_value(json_object_get(g, "description")), "databases");
	api_reply_free(&rep);
	g = json_object_get(api_expect(&d, "GET", "/v1/groups/db-ex", NULL, 200, &rep), "group");
	assert_string_equal(json_string_value(json_object_get(g, "id")), gid);
	api_reply_free(&rep);
	json_t *doc = api_expect(&d, "GET", "/v1/groups", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "groups")), 1);
	api_reply_free(&rep);
	api_call(&d, "GET", "/v1/groups/none", NULL, NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Group not found");
	api_reply_free(&rep);

	/* update: description only, 201 with the bare group */
	g = api_expect(&d, "PUT", path, "{\"description\": \"all databases\"}", 201, &rep);
	assert_string_equal(json_string_value(json_object_get(g, "description")), "all databases");
	api_reply_free(&rep);
	api_call(&d, "PUT", path, "{\"level\": \"rack\"}", NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400), "cannot be changed");
	api_reply_free(&rep);

	/* members */
	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	g = api_expect(&d, "PUT", path, "{\"members\": [\"tenant-a\", \"tenant-b\", \"tenant-a\"]}",
		       201, &rep);
	assert_int_equal(json_array_size(json_object_get(g, "members")), 2);
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "GET", "/v1/groups/db-ex/members/tenant-a", NULL, NULL, NULL),
			 204);
	api_call(&d, "GET", "/v1/groups/db-ex/members/tenant-z", NULL, NULL, &rep);
	assert_string_equal(api_check_error(&rep, 404), "Member not found in group");
	api_reply_free(&rep);
	api_call(&d, "DELETE", "/v1/groups/db-ex", NULL, NULL, &rep);
	assert_string_equal(api_check_error(&rep, 409), "Unable to delete a Group with members.");
	api_reply_free(&rep);

	/* only members may use it: the tenant comes from X-Project-Id */
	char *body = api_stack("db", 1, "m1.small", "db-ex");
	static const char *const other[] = { "X-Project-Id: tenant-z", NULL };
	static const char *const member[] = { "X-Project-Id: tenant-a", NULL };
	api_call(&d, "POST", "/v1/plans", body, other, &rep);
	api_assert_contains(api_check_error(&rep, 409), "tenant-z");
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "POST", "/v1/plans", body, member, NULL), 201);
	free(body);

	/* a member with servers in the group stays */
	api_call(&d, "DELETE", "/v1/groups/db-ex/members/tenant-a", NULL, NULL, &rep);
	api_assert_contains(api_check_error(&rep, 409),
			    "Tenant Member tenant-a has servers in group \"db-ex\"");
	api_reply_free(&rep);
	api_call(&d, "DELETE", path, NULL, NULL, &rep);
	api_check_error(&rep, 409);
	api_reply_free(&rep);
	assert_int_equal(
		api_call(&d, "DELETE", "/v1/groups/db-ex/members/tenant-b", NULL, NULL, NULL), 204);
	/* adding nobody is not an update */
	api_call(&d, "PUT", path, "{\"members\": []}", NULL, &rep);
	api_check_error(&rep, 400);
	api_reply_free(&rep);

	assert_int_equal(api_call(&d, "DELETE", "/v1/plans/db", NULL, NULL, NULL), 204);
	assert_int_equal(api_call(&d, "DELETE", path, NULL, NULL, NULL), 204);
	g = json_object_get(api_expect(&d, "GET", "/v1/groups/db-ex", NULL, 200, &rep), "group");
	assert_int_equal(json_array_size(json_object_get(g, "members")), 0);
	api_reply_free(&rep);
	/* without members it can go while a plan names it: the plan keeps it */
	assert_int_equal(post_stack("db2", 1, "m1.small", "db-ex", NULL, NULL), 201);
	assert_int_equal(api_call(&d, "DELETE", "/v1/groups/db-ex", NULL, NULL, NULL), 204);
	api_call(&d, "GET", "/v1/groups/db-ex", NULL, NULL, &rep);
	api_check_error(&rep, 404);
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "GET", "/v1/plans/db2", NULL, NULL, NULL), 200);
	assert_int_equal(post_stack("db3", 1, "m1.small", "db-ex", NULL, &rep), 404);
	api_assert_contains(api_check_error(&rep, 404), "group 'db-ex' not found");
	api_reply_free(&rep);
	/* its name is not given to another group while the plan keeps it */
	api_call(&d, "POST", "/v1/groups",
		 "{\"name\": \"db-ex\", \"type\": \"affinity\", \"level\": \"rack\"}", NULL, &rep);
	api_assert_contains(api_check_error(&rep, 409), "deleted while plans still name it");
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "DELETE", "/v1/plans/db2", NULL, NULL, NULL), 204);
	assert_int_equal(api_call(&d, "POST", "/v1/groups",
				  "{\"name\": \"db-ex\", \"type\": \"affinity\"}", NULL, &rep),
			 201);
	assert_string_equal(json_string_value(json_object_get(rep.doc, "level")), "host");
	api_reply_free(&rep);
	assert_int_equal(api_call(&d, "DELETE", "/v1/groups/db-ex", NULL, NULL, NULL), 204);

	/* allowed methods as upstream's controllers */
	static const struct {
		const char *path, *allow;
	} allow[] = {
		{ "/v1/groups", "GET, HEAD, POST, OPTIONS" },
		{ "/v1/groups/x", "GET, HEAD, PUT, DELETE, OPTIONS" },
		{ "/v1/groups/x/members", "PUT, DELETE, OPTIONS" },
		{ "/v1/groups/x/members/y", "GET, HEAD, DELETE, OPTIONS" },
		{ "/v1/placements", "GET, HEAD, OPTIONS" },
		{ "/v1/placements/x", "GET, HEAD, POST, DELETE, OPTIONS" },
		{ "/v1/status", "GET, HEAD, OPTIONS" },
		{ "/v1/resources", "GET, HEAD, OPTIONS" },
	};
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		assert_int_equal(api_call(&d, "OPTIONS", allow[i].path, NULL, NULL, &rep), 204);
		assert_string_equal(rep.allow, allow[i].allow);
		api_reply_free(&rep);
	}
}

/* ---- status, resources */

static void test_status_and_resources(void **state)
{
	api_reply_t rep;
	(void)state;

	assert_int_equal(api_call(&d, "HEAD", "/v1/status", NULL, NULL, &rep), 204);
	api_reply_free(&rep);
	json_t *doc = api_expect(&d, "GET", "/v1/status", NULL, 200, &rep);
	json_t *ostro = json_object_get(json_object_get(doc, "status"), "ostro");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(ostro, "status"), "type")), "ok");
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/resources", NULL, 200, &rep);
	assert_string_equal(rep.body, "{\"resources\": {}}");
	api_reply_free(&rep);
}

/* ---- reading the sources again */

/* GET /v1/status's sources.<key>. */
static json_int_t sources_field(const char *key)
{
	api_reply_t rep;
	json_t *doc = api_expect(&d, "GET", "/v1/status", NULL, 200, &rep);
	json_int_t v = json_integer_value(
		json_object_get(json_object_get(json_object_get(doc, "status"), "sources"), key));

	api_reply_free(&rep);
	return v;
}

/* SIGHUP, then wait (up to 10 s) until valetd says it read the sources `times` times. */
static void sighup_and_wait(json_int_t times)
{
	assert_int_equal(kill(d.pid, SIGHUP), 0);
	for (int i = 0; i < 100 && sources_field("refreshes") < times; i++)
		api_sleep_ms(100);
	assert_int_equal(sources_field("refreshes"), times);
}

static void test_sighup_reads_the_sources_again(void **state)
{
	api_reply_t rep;
	json_t *inv = json_load_file(own_inventory, 0, NULL);
	json_t *hosts = json_object_get(inv, "hosts");
	(void)state;

	assert_int_equal(post_stack("full", 8, "m1.large", NULL, NULL, NULL), 201);
	assert_int_equal(post_stack("more", 1, "m1.large", NULL, NULL, NULL), 409);
	assert_int_equal(sources_field("hosts"), 8);

	/* a ninth host: used once valetd has read the file again */
	json_t *extra = json_deep_copy(json_array_get(hosts, 0));
	json_object_set_new(extra, "name", json_string("qos109"));
	json_array_append_new(hosts, extra);
	write_own_inventory(inv);
	sighup_and_wait(1);
	assert_int_equal(sources_field("hosts"), 9);
	assert_int_equal(post_stack("more", 1, "m1.large", NULL, NULL, NULL), 201);

	/* a host gone while a server is planned there: listed by /v1/resources */
	json_t *doc = api_expect(&d, "GET", "/v1/plans/full", NULL, 200, &rep);
	char gone[32];
	snprintf(gone, sizeof(gone), "%s", location_of(doc, "full-s0"));
	api_reply_free(&rep);
	for (size_t i = 0; i < json_array_size(hosts); i++) {
		if (strcmp(json_string_value(json_object_get(json_array_get(hosts, i), "name")),
			   gone) == 0)
			json_array_remove(hosts, i);
	}
	write_own_inventory(inv);
	sighup_and_wait(2);
	doc = api_expect(&d, "GET", "/v1/resources", NULL, 200, &rep);
	json_t *why = json_object_get(json_object_get(doc, "resources"), "full-s0");
	assert_non_null(why);
	assert_string_equal(json_string_value(json_object_get(why, "status")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(why, "message")), gone));
	assert_int_equal(json_object_size(json_object_get(doc, "resources")), 1);
	api_reply_free(&rep);
	json_decref(inv);
}

/* ---- upstream's request shapes */

/*
 * AT&T's Heat plugin sends Heat's parsed template: "Type" and "Properties"
 * capitalised (its valet-api lower-cased them). Each such server is placed,
 * on create and on update, rather than answered with an empty plan.
 */
static void test_capitalised_resource_keys(void **state)
{
	api_reply_t rep;
	(void)state;

	json_t *doc = api_expect(
		&d, "POST", "/v1/plans",
		"{\"plan_name\": \"att\", \"stack_id\": \"att\", \"resources\": {"
		"\"att-s0\": {\"Type\": \"OS::Nova::Server\", \"name\": \"web\", \"Properties\": "
		"{\"flavor\": \"m1.small\", \"image\": \"cirros\"}}}}",
		201, &rep);
	assert_non_null(location_of(doc, "att-s0"));
	api_reply_free(&rep);
	doc = api_expect(&d, "PUT", "/v1/plans/att",
			 "{\"action\": \"update\", \"resources\": {"
			 "\"att-s0\": {\"Type\": \"OS::Nova::Server\", \"Properties\": "
			 "{\"flavor\": \"m1.small\"}}, "
			 "\"att-s1\": {\"Type\": \"OS::Nova::Server\", \"Properties\": "
			 "{\"flavor\": \"m1.small\"}}}}",
			 201, &rep);
	assert_int_equal(
		json_object_size(json_object_get(json_object_get(doc, "plan"), "placements")), 2);
	api_reply_free(&rep);
	/* a key given in two cases is ambiguous */
	api_call(&d, "POST", "/v1/plans",
		 "{\"plan_name\": \"two\", \"stack_id\": \"two\", \"resources\": {\"x\": "
		 "{\"Type\": \"OS::Nova::Server\", \"type\": \"OS::Cinder::Volume\"}}}",
		 NULL, &rep);
	api_assert_contains(api_check_error(&rep, 400),
			    "$.resources.x: 'type' is given twice, in two cases");
	api_reply_free(&rep);
}

/* ---- restart */

static void test_restart_keeps_everything(void **state)
{
	api_reply_t rep;
	(void)state;

	assert_int_equal(api_call(&d, "POST", "/v1/groups",
				  "{\"name\": \"keep\", \"type\": \"diversity\", \"level\": "
				  "\"rack\"}",
				  NULL, NULL),
			 201);
	assert_int_equal(post_stack("k1", 2, "m1.large", "keep", NULL, NULL), 201);
	assert_int_equal(post_stack("k2", 5, "m1.large", NULL, NULL, NULL), 201);
	assert_int_equal(reserve("k1-s0",
				 "[\"qos101\", \"qos102\", \"qos103\", \"qos104\", "
				 "\"qos105\", \"qos106\", \"qos107\", \"qos108\"]",
				 "nova-k1", NULL, NULL),
			 201);
	assert_int_equal(api_call(&d, "DELETE", "/v1/plans/k2", NULL, NULL, NULL), 204);
	assert_int_equal(post_stack("k3", 4, "m1.large", NULL, NULL, NULL), 201);
	/* k1 keeps its group after the group is deleted, across the restart too */
	assert_int_equal(api_call(&d, "DELETE", "/v1/groups/keep", NULL, NULL, NULL), 204);
	char *before = api_snapshot(&d);

	char dir[256];
	snprintf(dir, sizeof(dir), "%s", d.dir);
	valetd_stop(&d, SIGTERM);
	assert_int_equal(valetd_start(&d, dir, NULL), 0);
	char *after = api_snapshot(&d);
	assert_string_equal(after, before);
	free(before);
	free(after);

	/* the capacity held is the same: two hosts left, exactly */
	assert_int_equal(post_stack("k4", 3, "m1.large", NULL, NULL, NULL), 409);
	assert_int_equal(post_stack("k4", 2, "m1.large", NULL, NULL, &rep), 201);
	api_reply_free(&rep);
}

/* ---- bad input */

struct bad {
	const char *method;
	const char *path;
	const char *body; /* NULL: none; "@deep" / "@huge" / "@verydeep": generated */
	long status;
	const char *msg; /* a part of the explanation */
};

static const struct bad bad_cases[] = {
	{ "POST", "/v1/plans", "{", 400, "not valid JSON" },
	{ "POST", "/v1/plans", NULL, 400, "request body: missing" },
	{ "POST", "/v1/plans", "[1]", 400, "expected a JSON object" },
	{ "POST", "/v1/plans", "\"text\"", 400, "expected a JSON object" },
	{ "POST", "/v1/plans", "{\"stack_id\": \"x\", \"resources\": {}}", 400,
	  "$.plan_name: missing" },
	{ "POST", "/v1/plans", "{\"plan_name\": \"x\", \"resources\": {}}", 400,
	  "$.stack_id: missing" },
	{ "POST", "/v1/plans", "{\"plan_name\": \"x\", \"stack_id\": 5, \"resources\": {}}", 400,
	  "$.stack_id: expected a string" },
	{ "POST", "/v1/plans", "{\"plan_name\": \"x\", \"stack_id\": \"\", \"resources\": {}}", 400,
	  "$.stack_id: must be 1 to 255 bytes" },
	{ "POST", "/v1/plans", "{\"plan_name\": \"x\", \"stack_id\": \"x\"}", 400,
	  "$.resources: missing" },
	{ "POST", "/v1/plans", "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": []}",
	  400, "$.resources: expected an object" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": {\"a\": 1}}", 400,
	  "$.resources.a: expected an object" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"locations\": \"qos101\", \"resources\": "
	  "{}}",
	  400, "$.locations: expected a list of strings" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": {\"a\": {\"type\": "
	  "\"OS::Nova::Server\", \"properties\": {\"flavor\": \"m9.huge\"}}}}",
	  404, "flavor 'm9.huge'" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": {\"a\": {\"type\": "
	  "\"OS::Nova::Server\", \"properties\": {\"flavor\": 7}}}}",
	  400, "flavor: expected a string" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": {\"a\": {\"type\": "
	  "\"OS::Nova::Server\", \"properties\": {\"flavor\": \"m1.small\", \"metadata\": "
	  "{\"valet\": {\"groups\": [\"nope\"]}}}}}}",
	  404, "group 'nope' not found" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": {\"a\": {\"type\": "
	  "\"OS::Nova::Server\", \"properties\": {\"flavor\": \"m1.small\"}}, \"g\": {\"type\": "
	  "\"ATT::Valet::GroupAssignment\", \"properties\": {\"group_type\": \"affinity\", "
	  "\"level\": \"galaxy\", \"resources\": [\"a\"]}}}}",
	  400, "galaxy" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": {\"a\": {\"type\": "
	  "\"OS::Nova::Server\", \"properties\": {\"flavor\": \"m1.small\", \"$where\": 1}}}}",
	  400, "$.resources.a.properties: key '$where': keys starting with '$'" },
	{ "POST", "/v1/plans",
	  "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"resources\": {}, "
	  "\"meta\": {\"$set\": {}}}",
	  400, "keys starting with '$'" },
	{ "POST", "/v1/plans", "{\"a\\u0000b\": 1}", 400, "not valid JSON" },
	{ "POST", "/v1/plans", "@deep", 400, "nested deeper than 64 levels" },
	{ "POST", "/v1/plans", "@verydeep", 400, "not valid JSON" },
	{ "POST", "/v1/plans", "@huge", 413, "over the limit" },
	{ "POST", "/v1/plans/x", "{}", 405, "not allowed" },
	{ "PATCH", "/v1/plans", "{}", 405, "not allowed" },
	{ "PUT", "/v1/plans/ok", "{}", 400, "$.action: missing" },
	{ "PUT", "/v1/plans/ok", "{\"action\": \"grow\"}", 400, "'grow' is not an action" },
	{ "PUT", "/v1/plans/ok", "{\"action\": \"update\"}", 400, "$.resources: missing" },
	{ "PUT", "/v1/plans/ok", "{\"action\": \"update\", \"resources\": [\"a\"]}", 400,
	  "$.resources: expected an object" },
	{ "PUT", "/v1/plans/ok", "{\"action\": \"migrate\", \"resources\": {}}", 400,
	  "exactly one" },
	{ "PUT", "/v1/plans/ok",
	  "{\"action\": \"migrate\", \"resources\": [\"ok-s0\"], \"excluded_hosts\": \"qos101\"}",
	  400, "$.excluded_hosts: expected a list" },
	{ "PUT", "/v1/plans/nope", "{\"action\": \"migrate\", \"resources\": [\"a\"]}", 404,
	  "Plan not found" },
	{ "POST", "/v1/placements/ok-s0", "{\"action\": \"hold\", \"locations\": []}", 400,
	  "Invalid action" },
	{ "POST", "/v1/placements/ok-s0", "{\"resource_id\": \"n\"}", 400, "$.locations: missing" },
	{ "POST", "/v1/placements/ok-s0", "{\"locations\": [1]}", 400,
	  "$.locations[0]: expected a string" },
	{ "POST", "/v1/placements/ok-s0", "{\"locations\": [], \"resource_id\": 5}", 400,
	  "$.resource_id: expected a string" },
	{ "POST", "/v1/groups", "{\"type\": \"affinity\", \"level\": \"host\"}", 400,
	  "$.name: missing" },
	{ "POST", "/v1/groups", "{\"name\": 5, \"type\": \"affinity\", \"level\": \"host\"}", 400,
	  "$.name: expected a string" },
	{ "POST", "/v1/groups",
	  "{\"name\": \"bad name!\", \"type\": \"affinity\", \"level\": "
	  "\"host\"}",
	  400, "'bad name!' is not a valid group name" },
	{ "POST", "/v1/groups", "{\"name\": \"g\", \"type\": \"together\", \"level\": \"host\"}",
	  400, "unknown group type 'together'" },
	{ "POST", "/v1/groups", "{\"name\": \"g\", \"type\": \"affinity\", \"level\": \"galaxy\"}",
	  400, "unknown level 'galaxy'" },
	{ "POST", "/v1/groups",
	  "{\"name\": \"g\", \"type\": \"affinity\", \"level\": \"host\", \"owner\": \"me\"}", 400,
	  "$.owner: unknown field" },
	{ "POST", "/v1/groups", "{\"name\": \"okg\", \"type\": \"affinity\", \"level\": \"host\"}",
	  400, "A group named okg already exists" },
	{ "PUT", "/v1/groups/okg", "{\"description\": 5}", 400,
	  "$.description: expected a string" },
	{ "PUT", "/v1/groups/okg/members", "{\"members\": \"t1\"}", 400,
	  "$.members: expected a list of strings" },
	{ "PUT", "/v1/groups/okg/members", "{\"members\": [\"\"]}", 400, "is not a tenant id" },
	{ "PUT", "/v1/groups/okg/members", "{\"members\": [\"a/b\"]}", 400,
	  "'a/b' is not a tenant id" },
	{ "PUT", "/v1/groups/okg/members", "{\"members\": [7]}", 400,
	  "$.members[0]: expected a string" },
	{ "PUT", "/v1/groups/nope/members", "{\"members\": [\"t\"]}", 404, "Group not found" },
	{ "DELETE", "/v1/groups/okg/members/t9", NULL, 404, "Member not found in group" },
};

static char *generated_body(const char *kind)
{
	if (strcmp(kind, "@huge") == 0) {
		size_t n = 1024 * 1024 + 10;
		char *b = malloc(n + 1);
		assert_non_null(b);
		memset(b, ' ', n);
		b[0] = '{';
		b[n - 1] = '}';
		b[n] = '\0';
		return b;
	}
	/* {"a": {"a": ... {}}} nested 100 (or 3000) deep inside a plan */
	int depth = strcmp(kind, "@deep") == 0 ? 100 : 3000;
	size_t cap = (size_t)depth * 8 + 256;
	char *b = malloc(cap);
	size_t len = 0;
	assert_non_null(b);
	len += (size_t)snprintf(b, cap, "{\"plan_name\": \"x\", \"stack_id\": \"x\", \"x\": ");
	for (int i = 0; i < depth; i++)
		len += (size_t)snprintf(b + len, cap - len, "{\"a\": ");
	len += (size_t)snprintf(b + len, cap - len, "1");
	for (int i = 0; i < depth; i++)
		len += (size_t)snprintf(b + len, cap - len, "}");
	snprintf(b + len, cap - len, ", \"resources\": {}}");
	return b;
}

static void test_bad_input(void **state)
{
	(void)state;

	/* something to change: a plan, a reservation, a group with a member */
	assert_int_equal(post_stack("ok", 2, "m1.small", NULL, NULL, NULL), 201);
	assert_int_equal(
		api_call(&d, "POST", "/v1/groups",
			 "{\"name\": \"okg\", \"type\": \"affinity\", \"level\": \"host\"}", NULL,
			 NULL),
		201);
	assert_int_equal(api_call(&d, "PUT", "/v1/groups/okg/members", "{\"members\": [\"t1\"]}",
				  NULL, NULL),
			 201);
	char *before = api_snapshot(&d);
	long entries = api_journal_entries(&d);

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad *c = &bad_cases[i];
		char *gen = c->body != NULL && c->body[0] == '@' ? generated_body(c->body) : NULL;
		api_reply_t rep;

		long st = api_call(&d, c->method, c->path, gen != NULL ? gen : c->body, NULL, &rep);
		free(gen);
		if (st != c->status)
			fail_msg("case %zu: %s %s: status %ld, want %ld: %s", i, c->method, c->path,
				 st, c->status, rep.body);
		const char *why = api_check_error(&rep, c->status);
		if (strstr(why, c->msg) == NULL)
			fail_msg("case %zu: %s %s: explanation '%s' lacks '%s'", i, c->method,
				 c->path, why, c->msg);
		api_reply_free(&rep);

		char *now = api_snapshot(&d);
		if (strcmp(now, before) != 0)
			fail_msg("case %zu: %s %s changed the state:\n%s\nwas:\n%s", i, c->method,
				 c->path, now, before);
		free(now);
	}
	assert_int_equal(api_journal_entries(&d), entries);
	free(before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plans_endpoints, start, stop),
		cmocka_unit_test_setup_teardown(test_create_is_idempotent, start, stop),
		cmocka_unit_test_setup_teardown(test_create_racing_same_stack, start, stop),
		cmocka_unit_test_setup_teardown(test_race_for_last_capacity, start, stop),
		cmocka_unit_test_setup_teardown(test_reserve_fast_path_and_replan, start, stop),
		cmocka_unit_test_setup_teardown(test_replan_moves_unreserved_siblings, start, stop),
		cmocka_unit_test_setup_teardown(test_placement_delete_releases, start, stop),
		cmocka_unit_test_setup_teardown(test_update_migrate_delete_release, start, stop),
		cmocka_unit_test_setup_teardown(test_unreserved_holds_expire, start_short_holds,
						stop),
		cmocka_unit_test_setup_teardown(test_groups_and_members, start, stop),
		cmocka_unit_test_setup_teardown(test_status_and_resources, start, stop),
		cmocka_unit_test_setup_teardown(test_sighup_reads_the_sources_again,
						start_own_inventory, stop),
		cmocka_unit_test_setup_teardown(test_restart_keeps_everything, start, stop),
		cmocka_unit_test_setup_teardown(test_capitalised_resource_keys, start, stop),
		cmocka_unit_test_setup_teardown(test_bad_input, start, stop),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
