/*
 * test_refresh.c - reading the sources again while plans hold capacity,
 * in-process on the real engine, static source and sqlite store: a host
 * added is used; a host gone is reported while the rest of its plan stays
 * held, and migrate places the lost server again; a disabled host is
 * reported; sources that cannot be read leave the data center in use,
 * until it is older than max_stale_s and planning is refused.
 *
 * The inventory is written by the test: hosts h1..hN of 4 vCPU, flavor
 * m1.large of 4 vCPU, so each large server takes a whole host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "service_fixture.h"

#define T0 946684800000

struct world {
	char dir[64];
	char inventory[128];
	svc_fixture_t f;
};

/*
 * Write the inventory: hosts h1..h<n> (uuids uuid-h1..), each enabled
 * unless its bit is in disabled.
 */
static void write_inventory(struct world *w, unsigned n, unsigned disabled)
{
	json_t *hosts = json_array();

	for (unsigned i = 1; i <= n; i++) {
		char name[16], uuid[24];

		snprintf(name, sizeof(name), "h%u", i);
		snprintf(uuid, sizeof(uuid), "uuid-h%u", i);
		json_array_append_new(hosts, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:b}",
						       "name", name, "uuid", uuid, "rack",
						       i % 2 ? "r1" : "r2", "vcpus", 4, "ram_mb", 16384,
						       "disk_gb", 200, "enabled",
						       !(disabled & (1u << i))));
	}
	json_t *inv = json_pack(
		"{s:s, s:{s:f, s:f, s:f}, s:[{s:s}], s:[{s:s, s:s}, {s:s, s:s}], s:o, "
		"s:[{s:s, s:i, s:i, s:i}]}",
		"datacenter", "refresh-dc", "allocation_ratios", "vcpus", 1.0, "ram_mb", 1.0,
		"disk_gb", 1.0, "clusters", "name", "c1", "racks", "name", "r1",
		"cluster", "c1", "name", "r2", "cluster", "c1", "hosts", hosts, "flavors", "name",
		"m1.large", "vcpus", 4, "ram_mb", 8192, "disk_gb", 80);
	assert_int_equal(json_dump_file(inv, w->inventory, JSON_INDENT(1)), 0);
	json_decref(inv);
}

/*
 * Two hosts of 8 vCPU, h1 and h2: on host `on` (h1 or h2) `used` taken by
 * the consumers given (id, vCPUs; ids NULL-terminated, each with 8 GiB and
 * 80 GB).
 */
static void write_two_big_hosts(struct world *w, const char *on, const char *const *ids,
				const int *vcpus)
{
	json_t *consumers = json_array();
	int used = 0;

	for (size_t i = 0; ids != NULL && ids[i] != NULL; i++) {
		json_array_append_new(consumers, json_pack("{s:s, s:i, s:i, s:i}", "id", ids[i],
							   "vcpus", vcpus[i], "ram_mb", 8192,
							   "disk_gb", 80));
		used += vcpus[i];
	}
	int n = (int)json_array_size(consumers);
	json_t *loaded = json_pack("{s:s, s:i, s:i, s:i, s:{s:i, s:i, s:i}, s:o}", "name", on,
				   "vcpus", 8, "ram_mb", 65536, "disk_gb", 1000, "used", "vcpus",
				   used, "ram_mb", 8192 * n, "disk_gb", 80 * n, "consumers",
				   consumers);
	json_t *other = json_pack("{s:s, s:i, s:i, s:i}", "name",
				  strcmp(on, "h1") == 0 ? "h2" : "h1", "vcpus", 8, "ram_mb", 65536,
				  "disk_gb", 1000);
	json_t *inv = json_pack("{s:s, s:{s:f, s:f, s:f}, s:[o, o], s:[{s:s, s:i, s:i, s:i}]}",
				"datacenter", "refresh-dc", "allocation_ratios", "vcpus", 1.0,
				"ram_mb", 1.0, "disk_gb", 1.0, "hosts", loaded, other, "flavors",
				"name", "m1.large", "vcpus", 4, "ram_mb", 8192, "disk_gb", 80);
	assert_int_equal(json_dump_file(inv, w->inventory, JSON_INDENT(1)), 0);
	json_decref(inv);
}

static void open_world(struct world *w, int64_t max_stale_s)
{
	vlt_service_opts_t so = { .max_stale_s = max_stale_s };

	svc_fixture_open_with(&w->f, w->dir, w->inventory, so, T0);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	svc_fixture_dir(w->dir);
	snprintf(w->inventory, sizeof(w->inventory), "%s/inventory.json", w->dir);
	write_inventory(w, 3, 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	svc_fixture_close(&w->f);
	svc_fixture_rmdir(w->dir);
	free(w);
	return 0;
}

/* A plan of n large servers <stack>-0, <stack>-1, ... */
static int create(svc_fixture_t *f, const char *stack, unsigned n, vlt_err_t *err)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s-", stack);
	return svc_fixture_create(f, stack, prefix, n, err);
}

static void refresh_ok(svc_fixture_t *f)
{
	vlt_err_t err = { 0 };

	if (vlt__service_refresh(f->svc, &err) < 0)
		fail_msg("refresh: %s", err.msg);
}

/* GET /v1/status's sources object (new reference). */
static json_t *sources(svc_fixture_t *f)
{
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__service_status(f->svc, &doc, &err), 0);
	json_t *src = json_incref(json_object_get(json_object_get(doc, "status"), "sources"));
	json_decref(doc);
	assert_non_null(src);
	return src;
}

static json_int_t sources_int(svc_fixture_t *f, const char *key)
{
	json_t *src = sources(f);
	json_int_t v = json_integer_value(json_object_get(src, key));

	json_decref(src);
	return v;
}

/* The last refresh's timing key of GET /v1/status: a number >= 0 (null before any). */
static void assert_timing(svc_fixture_t *f, const char *key, bool refreshed)
{
	json_t *src = sources(f);
	json_t *v = json_object_get(src, key);

	if (!refreshed) {
		assert_true(json_is_null(v));
	} else {
		assert_true(json_is_number(v));
		assert_true(json_number_value(v) >= 0);
	}
	json_decref(src);
}

/* GET /v1/resources' entry for orch (borrowed from *doc, which the caller frees), or NULL. */
static json_t *trouble(svc_fixture_t *f, const char *orch, json_t **doc)
{
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__service_resources(f->svc, doc, &err), 0);
	return json_object_get(json_object_get(*doc, "resources"), orch);
}

/* ---- tests */

static void test_a_new_host_is_used(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	open_world(w, 0);
	assert_timing(&w->f, "read_ms", false);
	assert_timing(&w->f, "swap_ms", false);
	if (create(&w->f, "a", 3, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(create(&w->f, "b", 1, &err), VLT_ENOPLACE);
	write_inventory(w, 4, 0);
	refresh_ok(&w->f);
	assert_timing(&w->f, "read_ms", true);
	assert_timing(&w->f, "swap_ms", true);
	/* a's three servers are held again: only the new host is free */
	assert_int_equal(create(&w->f, "b", 2, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 1, &err), 0);
	assert_int_equal(sources_int(&w->f, "hosts"), 4);
	assert_int_equal(sources_int(&w->f, "refreshes"), 1);
	assert_int_equal(sources_int(&w->f, "units_gone"), 0);
}

static void test_a_gone_host_is_reported_and_the_rest_stays_held(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };
	char lost[16], kept[16], buf[16];
	json_t *doc = NULL;

	write_inventory(w, 4, 0);
	open_world(w, 0);
	assert_int_equal(create(&w->f, "a", 2, &err), 0);
	svc_fixture_location(&w->f, "a-0", kept, sizeof(kept));
	svc_fixture_location(&w->f, "a-1", lost, sizeof(lost));

	/* the host of a-1 leaves the inventory: write it without that host */
	unsigned n_lost = (unsigned)atoi(lost + 1);
	write_inventory(w, 4, 0);
	json_t *inv = json_load_file(w->inventory, 0, NULL);
	json_array_remove(json_object_get(inv, "hosts"), n_lost - 1);
	assert_int_equal(json_dump_file(inv, w->inventory, 0), 0);
	json_decref(inv);
	refresh_ok(&w->f);

	json_t *why = trouble(&w->f, "a-1", &doc);
	assert_non_null(why);
	assert_string_equal(json_string_value(json_object_get(why, "status")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(why, "message")), lost));
	assert_null(json_object_get(why, "host_uuid")); /* its host is not in the inventory */
	assert_null(json_object_get(json_object_get(doc, "resources"), "a-0"));
	json_decref(doc);
	assert_int_equal(sources_int(&w->f, "units_gone"), 1);

	/* 3 hosts left; a-0 still holds one of them, a-1 none */
	assert_int_equal(create(&w->f, "b", 3, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 2, &err), 0);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* migrate places the lost server again; nothing is reported after */
	json_t *body = json_pack("{s:s, s:[s]}", "action", "migrate", "resources", "a-1");
	json_t *plan = NULL;
	if (vlt__service_plan_update(w->f.svc, "a", body, NULL, &plan, &err) < 0)
		fail_msg("migrate: %s", err.msg);
	json_decref(body);
	json_decref(plan);
	svc_fixture_location(&w->f, "a-1", buf, sizeof(buf));
	assert_string_not_equal(buf, lost);
	assert_string_not_equal(buf, kept);
	assert_string_equal(svc_fixture_location(&w->f, "a-0", buf, sizeof(buf)), kept);
	assert_null(trouble(&w->f, "a-1", &doc));
	json_decref(doc);
	assert_int_equal(create(&w->f, "b", 2, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 1, &err), 0);
}

static void test_a_disabled_host_is_reported_and_stays_held(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };
	char host[16];
	json_t *doc = NULL;

	open_world(w, 0);
	assert_int_equal(create(&w->f, "a", 1, &err), 0);
	svc_fixture_location(&w->f, "a-0", host, sizeof(host));
	write_inventory(w, 3, 1u << atoi(host + 1));
	refresh_ok(&w->f);
	json_t *why = trouble(&w->f, "a-0", &doc);
	assert_non_null(why);
	assert_string_equal(json_string_value(json_object_get(why, "status")), "warning");
	assert_non_null(strstr(json_string_value(json_object_get(why, "message")), "disabled"));
	char uuid[24];

	snprintf(uuid, sizeof(uuid), "uuid-%s", host);
	assert_string_equal(json_string_value(json_object_get(why, "host_uuid")), uuid);
	json_decref(doc);
	assert_int_equal(sources_int(&w->f, "units_on_disabled_hosts"), 1);
	/* two enabled hosts, both free: a-0's disabled host counts for nothing new */
	assert_int_equal(create(&w->f, "b", 3, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 2, &err), 0);
}

static void test_unreadable_sources_keep_the_last_then_go_stale(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	open_world(w, 60);
	assert_int_equal(create(&w->f, "a", 1, &err), 0);
	FILE *out = fopen(w->inventory, "w");
	assert_non_null(out);
	fputs("{ not json", out);
	fclose(out);

	w->f.now_ms = T0 + 10000;
	assert_true(vlt__service_refresh(w->f.svc, &err) < 0);
	assert_non_null(strstr(err.msg, "inventory.json"));
	json_t *src = sources(&w->f);
	assert_string_equal(json_string_value(json_object_get(src, "type")), "degraded");
	assert_non_null(strstr(json_string_value(json_object_get(src, "error")), "inventory.json"));
	json_decref(src);
	/* within max_stale_s of the last good reading: planning goes on */
	w->f.now_ms = T0 + 60000;
	assert_int_equal(create(&w->f, "b", 1, &err), 0);
	/* past it: refused with the age and the reason; what is held stays held */
	w->f.now_ms = T0 + 60001;
	assert_int_equal(create(&w->f, "c", 1, &err), VLT_EBACKEND);
	assert_non_null(strstr(err.msg, "last read 60 s ago"));
	assert_non_null(strstr(err.msg, "inventory.json"));
	src = sources(&w->f);
	assert_string_equal(json_string_value(json_object_get(src, "type")), "stale");
	json_decref(src);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* the sources answer again: planning on the new reading */
	write_inventory(w, 3, 0);
	refresh_ok(&w->f);
	assert_int_equal(create(&w->f, "c", 2, &err), 0);
	assert_int_equal(create(&w->f, "d", 1, &err), VLT_ENOPLACE);
	src = sources(&w->f);
	assert_string_equal(json_string_value(json_object_get(src, "type")), "ok");
	assert_true(json_is_null(json_object_get(src, "error")));
	assert_int_equal(json_integer_value(json_object_get(src, "failures")), 1);
	json_decref(src);
}

/* On two empty big hosts, plan a (one large server a-0) reserved by vm-a0; its host into host. */
static void reserve_a0(struct world *w, char *host, size_t size)
{
	vlt_err_t err = { 0 };

	write_two_big_hosts(w, "h1", NULL, NULL);
	open_world(w, 0);
	assert_int_equal(create(&w->f, "a", 1, &err), 0);
	json_t *body = json_pack("{s:[s, s], s:s}", "locations", "h1", "h2", "resource_id",
				 "vm-a0");
	json_t *answer = NULL;
	assert_int_equal(vlt__service_placement_reserve(w->f.svc, "a-0", body, &answer, &err), 0);
	json_decref(body);
	json_decref(answer);
	svc_fixture_location(&w->f, "a-0", host, size);
}

/*
 * A reserved server Nova has claimed shows in Placement as its consumer:
 * it is counted once (by its hold), before and after the claim, across a
 * refresh and a restart; a consumer Valet does not know is capacity taken.
 */
static void test_a_claimed_server_counts_once(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };
	char host[16];

	reserve_a0(w, host, sizeof(host));

	/* Nova claimed vm-a0 there: Placement's usage is 4 vCPU, one consumer */
	static const char *const claimed[] = { "vm-a0", NULL };
	static const int four[] = { 4 };
	write_two_big_hosts(w, host, claimed, four);
	refresh_ok(&w->f);
	/* that host has 4 vCPU left (not 0): three more large servers fit, not four */
	assert_int_equal(create(&w->f, "b", 4, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 3, &err), 0);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* the same after a restart: the replay's holds and the claim, once */
	svc_fixture_close(&w->f);
	open_world(w, 0);
	assert_int_equal(create(&w->f, "b", 4, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 3, &err), 0);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* a server booted around Valet beside it takes its 4 vCPU */
	static const char *const both[] = { "vm-a0", "vm-outside", NULL };
	static const int fours[] = { 4, 4 };
	write_two_big_hosts(w, host, both, fours);
	refresh_ok(&w->f);
	assert_int_equal(create(&w->f, "b", 3, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 2, &err), 0);
}

/*
 * A reserved server Placement puts on another host than its placement
 * (a move no notification told): the refresh moves the placement there,
 * counts one correction, and finds nothing to correct the next time.
 */
static void test_a_move_no_notification_told_is_corrected_once(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };
	char host[16], now[16];

	reserve_a0(w, host, sizeof(host));
	const char *other = strcmp(host, "h1") == 0 ? "h2" : "h1";

	static const char *const claimed[] = { "vm-a0", NULL };
	static const int four[] = { 4 };
	write_two_big_hosts(w, other, claimed, four);
	assert_int_equal(vlt__service_corrections(w->f.svc), 0);
	refresh_ok(&w->f);
	assert_string_equal(svc_fixture_location(&w->f, "a-0", now, sizeof(now)), other);
	assert_int_equal(vlt__service_corrections(w->f.svc), 1);
	/* counted once: its host is now the one Placement says, also after a restart */
	refresh_ok(&w->f);
	assert_int_equal(vlt__service_corrections(w->f.svc), 1);
	svc_fixture_close(&w->f);
	open_world(w, 0);
	assert_string_equal(svc_fixture_location(&w->f, "a-0", now, sizeof(now)), other);
	refresh_ok(&w->f);
	assert_int_equal(vlt__service_corrections(w->f.svc), 0);
	/* its capacity is held on the new host: h1 and h2 of 8 vCPU, three more fit, not four */
	assert_int_equal(create(&w->f, "b", 4, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 3, &err), 0);
}

/*
 * A server Valet never planned, told of by Nova's notification, is
 * capacity taken at once; once a reading of the sources counts it
 * (Placement's consumer) it is counted there, once; a reading newer than
 * the notification that does not list it finds it gone.
 */
static void test_a_server_told_of_counts_once_then_the_sources_count_it(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };
	const int64_t told_us = (T0 + 1000) * 1000; /* a second after the service's clock */
	char *body = svc_fixture_nova_body_flavor("instance.create.end", "vm-outside", "h1",
						  "m1.large", told_us);
	vlt_nova_event_t ev;
	vlt_nova_outcome_t out = VLT_NOVA_UNCHANGED;

	write_two_big_hosts(w, "h1", NULL, NULL);
	open_world(w, 0);
	assert_int_equal(vlt__nova_event_parse(body, strlen(body), &ev, &err), 0);
	free(body);
	assert_int_equal(vlt__service_nova_event(w->f.svc, &ev, &out, &err), 0);
	assert_int_equal(out, VLT_NOVA_TAKEN);
	assert_int_equal(create(&w->f, "b", 4, &err), VLT_ENOPLACE); /* 2 hosts of 8 vCPU */
	assert_int_equal(create(&w->f, "b", 3, &err), 0);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* Placement counts it now: still three, not two */
	static const char *const outside[] = { "vm-outside", NULL };
	static const int four[] = { 4 };
	write_two_big_hosts(w, "h1", outside, four);
	refresh_ok(&w->f);
	assert_int_equal(create(&w->f, "b", 4, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 3, &err), 0);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* gone from Placement: the reading is the authority now, nothing is held */
	write_two_big_hosts(w, "h1", NULL, NULL);
	refresh_ok(&w->f);
	assert_int_equal(create(&w->f, "b", 4, &err), 0);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* another told of: a reading older than the notification keeps it taken, a newer
	 * one that does not list it finds it gone */
	body = svc_fixture_nova_body_flavor("instance.create.end", "vm-later", "h2", "m1.large",
					    told_us);
	assert_int_equal(vlt__nova_event_parse(body, strlen(body), &ev, &err), 0);
	free(body);
	assert_int_equal(vlt__service_nova_event(w->f.svc, &ev, &out, &err), 0);
	refresh_ok(&w->f);
	assert_int_equal(create(&w->f, "b", 4, &err), VLT_ENOPLACE);
	w->f.now_ms = T0 + 5000;
	refresh_ok(&w->f);
	assert_int_equal(create(&w->f, "b", 4, &err), 0);
}

static void test_consumers_beyond_used_are_refused(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	open_world(w, 0);
	static const char *const ids[] = { "vm-1", NULL };
	static const int five[] = { 5 };
	write_two_big_hosts(w, "h1", ids, five);
	/* h1's used says 5 vCPU; claim a consumer of 9 by editing the file */
	json_t *inv = json_load_file(w->inventory, 0, NULL);
	json_t *c = json_array_get(json_object_get(json_array_get(json_object_get(inv, "hosts"),
								   0),
						   "consumers"),
				   0);
	json_object_set_new(c, "vcpus", json_integer(9));
	assert_int_equal(json_dump_file(inv, w->inventory, 0), 0);
	json_decref(inv);
	assert_true(vlt__service_refresh(w->f.svc, &err) < 0);
	assert_non_null(strstr(err.msg, "host h1: its consumers use 9 vcpus, more than the 5"));
}

/* Nova reserves orch on whichever of h1..h3 it is planned on, as instance rid. */
static void reserve_as(svc_fixture_t *f, const char *orch, const char *rid)
{
	json_t *body = json_pack("{s:[s, s, s], s:s}", "locations", "h1", "h2", "h3",
				 "resource_id", rid);
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_placement_reserve(f->svc, orch, body, &doc, &err) < 0)
		fail_msg("reserve %s: %s", orch, err.msg);
	json_decref(doc);
	json_decref(body);
}

/*
 * A source that lists every instance: a reserved server whose instance is
 * gone is released, and its plan, left with no server, is deleted.
 */
static void test_a_server_whose_instance_is_gone_is_released(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };
	json_t *doc = NULL;

	open_world(w, 0);
	assert_int_equal(create(&w->f, "a", 2, &err), 0);
	reserve_as(&w->f, "a-0", "vm-a0");
	/* both servers' instances exist: nothing changes */
	json_t *inv = json_load_file(w->inventory, 0, NULL);
	json_object_set_new(inv, "instances", json_pack("[s, s]", "vm-a0", "vm-other"));
	assert_int_equal(json_dump_file(inv, w->inventory, 0), 0);
	refresh_ok(&w->f);
	json_t *pl = svc_fixture_placement(&w->f, "a-0");
	json_decref(pl);
	/* vm-a0 is gone: a-0 is released; a-1, never reserved, stays */
	json_object_set_new(inv, "instances", json_pack("[s]", "vm-other"));
	assert_int_equal(json_dump_file(inv, w->inventory, 0), 0);
	refresh_ok(&w->f);
	assert_int_equal(vlt__service_placement_get(w->f.svc, "a-0", &doc, &err), VLT_ENOENT);
	pl = svc_fixture_placement(&w->f, "a-1");
	json_decref(pl);
	/* its host is free again: 2 of 3 hosts free */
	assert_int_equal(create(&w->f, "b", 3, &err), VLT_ENOPLACE);
	assert_int_equal(create(&w->f, "b", 2, &err), 0);
	assert_int_equal(vlt__service_plan_delete(w->f.svc, "b", &err), 0);

	/* a-1 reserved, then gone too: the plan, now without servers, goes */
	reserve_as(&w->f, "a-1", "vm-a1");
	refresh_ok(&w->f);
	assert_int_equal(vlt__service_plan_get(w->f.svc, "a", &doc, &err), VLT_ENOENT);
	json_decref(inv);
}

/*
 * Among services sharing a store with the lease on, each reads the
 * sources into its own data center, but only the lease's holder releases
 * the servers whose instance is gone.
 */
static void test_only_the_lease_holder_releases_gone_instances(void **state)
{
	struct world *w = *state;
	vlt_service_opts_t so = { .lease_s = 10 };
	svc_fixture_t holder;
	vlt_err_t err = { 0 };
	json_t *doc = NULL;

	svc_fixture_open_with(&holder, w->dir, w->inventory, so, T0);
	svc_fixture_open_with(&w->f, w->dir, w->inventory, so, T0);
	vlt__service_lease_tick(holder.svc);
	vlt__service_lease_tick(w->f.svc);
	assert_false(vlt__service_lease_held(w->f.svc));
	assert_int_equal(create(&w->f, "a", 1, &err), 0);
	reserve_as(&w->f, "a-0", "vm-a0");
	json_t *inv = json_load_file(w->inventory, 0, NULL);
	json_object_set_new(inv, "instances", json_pack("[s]", "vm-other"));
	assert_int_equal(json_dump_file(inv, w->inventory, 0), 0);
	json_decref(inv);
	/* the other one reads the sources, and leaves the journal alone */
	refresh_ok(&w->f);
	assert_int_equal(sources_int(&w->f, "refreshes"), 1);
	json_decref(svc_fixture_placement(&w->f, "a-0"));
	assert_int_equal(vlt__service_applied(w->f.svc), 2);
	/* the holder's reading releases it, and its plan left with no server */
	refresh_ok(&holder);
	assert_int_equal(vlt__service_placement_get(w->f.svc, "a-0", &doc, &err), VLT_ENOENT);
	assert_int_equal(vlt__service_plan_get(w->f.svc, "a", &doc, &err), VLT_ENOENT);
	svc_fixture_close(&holder);
}

/* A source that lists no instances says nothing of them: nothing is released. */
static void test_without_an_instance_list_nothing_is_released(void **state)
{
	struct world *w = *state;
	vlt_err_t err = { 0 };

	open_world(w, 0);
	assert_int_equal(create(&w->f, "a", 1, &err), 0);
	reserve_as(&w->f, "a-0", "vm-a0");
	refresh_ok(&w->f);
	json_t *pl = svc_fixture_placement(&w->f, "a-0");
	json_decref(pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_new_host_is_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_gone_host_is_reported_and_the_rest_stays_held,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_disabled_host_is_reported_and_stays_held,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_sources_keep_the_last_then_go_stale,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_claimed_server_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_move_no_notification_told_is_corrected_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_a_server_told_of_counts_once_then_the_sources_count_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumers_beyond_used_are_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_server_whose_instance_is_gone_is_released,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_the_lease_holder_releases_gone_instances,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_an_instance_list_nothing_is_released,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
