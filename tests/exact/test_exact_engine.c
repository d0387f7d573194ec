/*
 * test_exact_engine.c - the exact solver in a real engine (the static
 * source, the three group policies): optima worked out by hand, groups and
 * named groups across plans, volumes, limits and infeasible stacks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "engine.h"
#include "session.h"

#define DATA VLT_TEST_DATA "/exact"

/* ---------------------------------------------------------------- helpers */

static void open_session(vlt_session_t *s, const char *inventory, const char *const *settings)
{
	static const char *const solvers[] = { "exact", "ostro" };
	vlt_err_t err = { 0 };

	if (vlt__session_open(s, NULL, inventory, solvers, 2, settings, &err) != VLT_OK)
		fail_msg("session on %s: %s", inventory, err.msg);
}

static json_t *request(const char *name)
{
	return json_pack("{s:s, s:s, s:{}}", "plan_name", name, "stack_id", name, "resources");
}

static void add(json_t *req, const char *id, json_t *res)
{
	assert_non_null(res);
	json_object_set_new(json_object_get(req, "resources"), id, res);
}

static void server(json_t *req, const char *id, const char *flavor)
{
	add(req, id, json_pack("{s:s, s:s, s:{s:s}}", "name", id, "type", "OS::Nova::Server",
			       "properties", "flavor", flavor));
}

static void volume(json_t *req, const char *id, int size_gb)
{
	add(req, id, json_pack("{s:s, s:s, s:{s:i}}", "name", id, "type", "OS::Cinder::Volume",
			       "properties", "size", size_gb));
}

static void attach(json_t *req, const char *id, const char *srv, const char *vol)
{
	add(req, id, json_pack("{s:s, s:{s:s, s:s}}", "type", "OS::Cinder::VolumeAttachment",
			       "properties", "instance_uuid", srv, "volume_id", vol));
}

static void pipe2(json_t *req, const char *a, const char *b, double mbps)
{
	char id[64];

	snprintf(id, sizeof(id), "pipe-%s-%s", a, b);
	add(req, id, json_pack("{s:s, s:{s:[s,s], s:{s:f}}}", "type", "ATT::Valet::Pipe",
			       "properties", "resources", a, b, "bandwidth", "min", mbps));
}

/* members: NULL-terminated */
static void group(json_t *req, const char *id, const char *type, const char *level,
		  const char *name, const char *const *members)
{
	json_t *list = json_array();
	json_t *props = json_pack("{s:s, s:s}", "group_type", type, "level", level);

	for (size_t i = 0; members[i] != NULL; i++)
		json_array_append_new(list, json_string(members[i]));
	json_object_set_new(props, "resources", list);
	if (name != NULL)
		json_object_set_new(props, "group_name", json_string(name));
	add(req, id, json_pack("{s:s, s:o}", "type", "ATT::Valet::GroupAssignment", "properties",
			       props));
}

static int place(vlt_session_t *s, json_t *req, const char *solver, json_t **result)
{
	vlt_err_t err = { 0 };
	int rc = vlt__engine_place(s->engine, req, "test", solver, result, &err);

	if (*result == NULL)
		fail_msg("place: %d %s", rc, err.msg);
	json_decref(req);
	return rc;
}

static const char *loc(const json_t *result, const char *id)
{
	json_t *p = json_object_get(json_object_get(result, "placements"), id);
	const char *l = json_string_value(json_object_get(p, "location"));

	if (l == NULL)
		fail_msg("%s is not placed", id);
	return l;
}

static double metric(const json_t *result, const char *name)
{
	json_t *v = json_object_get(json_object_get(result, "metrics"), name);

	if (!json_is_number(v))
		fail_msg("no metric %s", name);
	return json_number_value(v);
}

static const char *message(const json_t *result)
{
	return json_string_value(json_object_get(json_object_get(result, "status"), "message"));
}

/* Host names of two-racks.json start with their rack: "r1h2". */
static bool same_rack(const char *a, const char *b)
{
	return strncmp(a, b, 2) == 0;
}

/* ---------------------------------------------------------------- optima */

/* ring.json on one-rack.json: {a,b} and {c,d}, cost 220 (tests/data/exact/README.md). */
static void test_engine_ring_optimum(void **state)
{
	(void)state;
	vlt_session_t s;
	json_error_t je;
	json_t *res = NULL;

	open_session(&s, DATA "/one-rack.json", NULL);
	json_t *req = json_load_file(DATA "/ring.json", 0, &je);
	assert_non_null(req);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_true(metric(res, "bandwidth_cost") == 220);
	assert_true(metric(res, "objective") == 220); /* the model agrees with the core */
	assert_true(metric(res, "hosts_used") == 2);
	assert_true(metric(res, "gap") == 0);
	assert_string_equal(loc(res, "a"), loc(res, "b"));
	assert_string_equal(loc(res, "c"), loc(res, "d"));
	assert_string_not_equal(loc(res, "a"), loc(res, "c"));
	json_decref(res);
	vlt__session_close(&s);
}

/*
 * Five m2 servers, every pair piped at 100 Mbps, on two racks of 8-vcpu
 * hosts: diversity(rack) {a, b}, affinity(host) {c, d}, exclusivity(host)
 * {e}. Best: a, c, d on one host, e beside them in the rack, b alone in
 * the other rack. Levels crossed: a-b, b-c, b-d, b-e 2 each; a-e, c-e,
 * d-e 1 each; the rest 0: 11 x 200 = 2200.
 */
static void test_engine_groups_optimum(void **state)
{
	(void)state;
	static const char *const ab[] = { "a", "b", NULL };
	static const char *const cd[] = { "c", "d", NULL };
	static const char *const e[] = { "e", NULL };
	static const char *const ids[] = { "a", "b", "c", "d", "e" };
	vlt_session_t s;
	json_t *res = NULL;

	open_session(&s, DATA "/two-racks.json", NULL);
	json_t *req = request("groups");
	for (int i = 0; i < 5; i++)
		server(req, ids[i], "m2");
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			pipe2(req, ids[i], ids[j], 100);
	group(req, "div", "diversity", "rack", NULL, ab);
	group(req, "aff", "affinity", "host", NULL, cd);
	group(req, "ex", "exclusivity", "host", "solo", e);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_false(same_rack(loc(res, "a"), loc(res, "b")));
	assert_string_equal(loc(res, "c"), loc(res, "d"));
	for (int i = 0; i < 4; i++)
		assert_string_not_equal(loc(res, ids[i]), loc(res, "e"));
	assert_true(metric(res, "bandwidth_cost") == 2200);
	assert_true(metric(res, "gap") == 0);
	json_decref(res);
	vlt__session_close(&s);
}

/* An attachment keeps a volume near its server: the pool in the server's rack. */
static void test_engine_volume_near_server(void **state)
{
	(void)state;
	vlt_session_t s;
	json_t *res = NULL;

	open_session(&s, DATA "/two-racks.json", NULL);
	json_t *req = request("vol");
	server(req, "srv", "m2");
	volume(req, "vol", 100);
	attach(req, "att", "srv", "vol");
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_string_equal(loc(res, "vol"), "pool-r2");
	assert_true(same_rack(loc(res, "srv"), "r2"));
	json_decref(res);

	/* with bandwidth: the pipe crosses one level, from host to pool in the rack */
	req = request("vol-pipe");
	server(req, "srv", "m2");
	volume(req, "vol", 100);
	pipe2(req, "srv", "vol", 50);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_string_equal(loc(res, "vol"), "pool-r2");
	assert_true(metric(res, "bandwidth_cost") == 100);
	json_decref(res);
	vlt__session_close(&s);
}

/* ---------------------------------------------------------------- named groups */

static void test_engine_named_groups_across_plans(void **state)
{
	(void)state;
	static const char *const db1[] = { "db1", NULL };
	static const char *const db2[] = { "db2", NULL };
	vlt_session_t s;
	json_error_t je;
	json_t *res = NULL;

	open_session(&s, DATA "/one-rack.json", NULL);
	json_t *req = request("db");
	server(req, "db1", "m2");
	group(req, "ex", "exclusivity", "host", "db-ex", db1);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	char held[64];
	snprintf(held, sizeof(held), "%s", loc(res, "db1"));
	json_decref(res);

	/* the ring needs two whole hosts: the two db-ex does not hold */
	req = json_load_file(DATA "/ring.json", 0, &je);
	assert_non_null(req);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	static const char *const ring[] = { "a", "b", "c", "d" };
	for (int i = 0; i < 4; i++)
		assert_string_not_equal(loc(res, ring[i]), held);
	assert_true(metric(res, "bandwidth_cost") == 220);
	json_decref(res);

	/* a second member goes where the group already is */
	req = request("db-2");
	server(req, "db2", "m2");
	group(req, "ex", "exclusivity", "host", "db-ex", db2);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_string_equal(loc(res, "db2"), held);
	json_decref(res);
	vlt__session_close(&s);
}

static void test_engine_named_affinity_and_diversity(void **state)
{
	(void)state;
	static const char *const w1[] = { "w1", NULL };
	static const char *const w2[] = { "w2", NULL };
	vlt_session_t s;
	json_t *res = NULL;
	char first[64];

	open_session(&s, DATA "/two-racks.json", NULL);
	json_t *req = request("web-1");
	server(req, "w1", "m2");
	group(req, "aff", "affinity", "rack", "web-aff", w1);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	snprintf(first, sizeof(first), "%s", loc(res, "w1"));
	json_decref(res);
	req = request("web-2");
	server(req, "w2", "m2");
	group(req, "aff", "affinity", "rack", "web-aff", w2);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_true(same_rack(loc(res, "w2"), first));
	json_decref(res);

	req = request("db-1");
	server(req, "w1", "m2");
	group(req, "div", "diversity", "rack", "db-div", w1);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	snprintf(first, sizeof(first), "%s", loc(res, "w1"));
	json_decref(res);
	req = request("db-2");
	server(req, "w2", "m2");
	group(req, "div", "diversity", "rack", "db-div", w2);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_false(same_rack(loc(res, "w2"), first));
	json_decref(res);
	vlt__session_close(&s);
}

/* ---------------------------------------------------------------- limits and failures */

static void test_engine_infeasible(void **state)
{
	(void)state;
	static const char *const all[] = { "s0", "s1", "s2", "s3", NULL };
	vlt_session_t s;
	json_t *res = NULL;

	open_session(&s, DATA "/one-rack.json", NULL);
	json_t *req = request("div4");
	for (int i = 0; all[i] != NULL; i++)
		server(req, all[i], "m2");
	group(req, "div", "diversity", "host", NULL, all);
	assert_int_equal(place(&s, req, "exact", &res), VLT_ENOPLACE);
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "status"),
							      "type")),
			    "error");
	assert_non_null(strstr(message(res), "server s"));
	assert_int_equal(json_object_size(json_object_get(res, "placements")), 0);
	json_decref(res);
	vlt__session_close(&s);
}

/* An inventory of clusters x racks x hosts; vcpus_step > 0 makes every host different. */
static void write_inventory(const char *path, int clusters, int racks, int hosts, int vcpus_step)
{
	json_t *inv = json_pack("{s:s, s:{s:f, s:f, s:f}, s:[], s:[], s:[], s:[{s:s, s:i, s:i, "
				"s:i}]}",
				"datacenter", "gen", "allocation_ratios", "vcpus", 1.0, "ram_mb",
				1.0, "disk_gb", 1.0, "clusters", "racks", "hosts", "flavors",
				"name", "m2", "vcpus", 2, "ram_mb", 4096, "disk_gb", 40);
	int n = 0;

	assert_non_null(inv);
	for (int c = 0; c < clusters; c++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "c%d", c);
		json_array_append_new(json_object_get(inv, "clusters"),
				      json_pack("{s:s}", "name", cn));
		for (int r = 0; r < racks; r++) {
			char rn[32];
			snprintf(rn, sizeof(rn), "c%dr%d", c, r);
			json_array_append_new(json_object_get(inv, "racks"),
					      json_pack("{s:s, s:s}", "name", rn, "cluster", cn));
			for (int h = 0; h < hosts; h++, n++) {
				char hn[64];
				snprintf(hn, sizeof(hn), "%sh%d", rn, h);
				json_t *host = json_pack("{s:s, s:s, s:i, s:i, s:i}", "name", hn,
							 "rack", rn, "vcpus", 8 + vcpus_step * n,
							 "ram_mb", 65536, "disk_gb", 2000);
				json_array_append_new(json_object_get(inv, "hosts"), host);
			}
		}
	}
	assert_int_equal(json_dump_file(inv, path, 0), 0);
	json_decref(inv);
}

static void test_engine_limits(void **state)
{
	(void)state;
	static const char *const small_hosts[] = { "solver.exact.max_hosts", "20", NULL };
	char path[512];
	vlt_session_t s;
	json_t *res = NULL;

	/* too many servers */
	open_session(&s, DATA "/one-rack.json", NULL);
	json_t *req = request("big");
	for (int i = 0; i < 35; i++) {
		char id[16];
		snprintf(id, sizeof(id), "s%d", i);
		server(req, id, "m2");
	}
	assert_int_equal(place(&s, req, "exact", &res), VLT_E2BIG);
	assert_string_equal(message(res), "exact: 35 servers and 3 candidate hosts exceed the "
					  "limit (max_units 20, max_hosts 50); use the ostro "
					  "solver");
	json_decref(res);
	vlt__session_close(&s);

	/* 400 alike hosts: a 4-server stack sees 2 clusters x 4 racks x 4 hosts */
	snprintf(path, sizeof(path), "%s/tests/exact/alike-400.json", VLT_BINARY_DIR);
	write_inventory(path, 2, 10, 20, 0);
	open_session(&s, path, NULL);
	req = request("four");
	static const char *const four[] = { "a", "b", "c", "d" };
	for (int i = 0; i < 4; i++)
		server(req, four[i], "m2");
	pipe2(req, "a", "b", 100);
	pipe2(req, "c", "d", 100);
	assert_int_equal(place(&s, req, "exact", &res), 0);
	assert_true(metric(res, "candidate_hosts") == 32);
	assert_true(metric(res, "bandwidth_cost") == 0);
	assert_true(metric(res, "hosts_used") == 1);
	json_decref(res);
	vlt__session_close(&s);

	open_session(&s, path, small_hosts);
	req = request("four");
	for (int i = 0; i < 4; i++)
		server(req, four[i], "m2");
	assert_int_equal(place(&s, req, "exact", &res), VLT_E2BIG);
	assert_string_equal(message(res), "exact: 4 servers and 32 candidate hosts (of 400, "
					  "interchangeable ones set aside) exceed the limit "
					  "(max_units 20, max_hosts 20); use the ostro solver");
	json_decref(res);
	vlt__session_close(&s);

	/* 60 hosts all different: none set aside */
	snprintf(path, sizeof(path), "%s/tests/exact/distinct-60.json", VLT_BINARY_DIR);
	write_inventory(path, 1, 3, 20, 1);
	open_session(&s, path, NULL);
	req = request("two");
	server(req, "a", "m2");
	server(req, "b", "m2");
	assert_int_equal(place(&s, req, "exact", &res), VLT_E2BIG);
	assert_string_equal(message(res), "exact: 2 servers and 60 candidate hosts exceed the "
					  "limit (max_units 20, max_hosts 50); use the ostro "
					  "solver");
	json_decref(res);
	vlt__session_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_ring_optimum),
		cmocka_unit_test(test_engine_groups_optimum),
		cmocka_unit_test(test_engine_volume_near_server),
		cmocka_unit_test(test_engine_named_groups_across_plans),
		cmocka_unit_test(test_engine_named_affinity_and_diversity),
		cmocka_unit_test(test_engine_infeasible),
		cmocka_unit_test(test_engine_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
