/*
 * test_blazar_map.c - Blazar's lease documents into Valet reservation
 * requests and back (core/api/blazar.h): dates, the checks of a create
 * and an update, hypervisor_properties, the hosts picked, the request's
 * servers and groups, the lease's statuses and events, the error body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "blazar.h"
#include "test_json.h"

/* 2026-12-08T10:00:00Z and an hour, a day */
#define T0 1796724000000LL
#define HOUR (3600 * 1000LL)
#define NOW (T0 - 24 * HOUR)

static int next_id;

/* Ids that say their order: 00000000-0000-4000-8000-00000000000N. */
static void counting_uuid(char *buf)
{
	snprintf(buf, 37, "00000000-0000-4000-8000-%012d", ++next_id);
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Is v the JSON text says? */
static bool is(const json_t *v, const char *text)
{
	json_t *want = test_json(text);
	bool same = json_equal(v, want);

	json_decref(want);
	return same;
}

static json_int_t num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* What the blazar client sends for lease-create with both kinds (its strings and ints). */
static const char *const client_body =
	"{'name': 'l1', 'start_date': '2026-12-08 10:00', 'end_date': '2026-12-09 10:00',"
	" 'before_end_date': null, 'events': [], 'reservations': ["
	"  {'resource_type': 'physical:host', 'min': 1, 'max': 2,"
	"   'hypervisor_properties': '[\\\"==\\\", \\\"$vcpus\\\", \\\"4\\\"]', 'resource_properties': ''},"
	"  {'resource_type': 'virtual:instance', 'amount': 3, 'vcpus': 1, 'memory_mb': 512,"
	"   'disk_gb': 1, 'affinity': 'False', 'resource_properties': ''}]}";

static json_t *parse_ok(const char *body_text, int64_t *start, int64_t *end)
{
	json_t *body = test_json(body_text);
	json_t *record = NULL;
	vlt_err_t err = { 0 };

	next_id = 0;
	int rc = vlt__blazar_lease_parse(body, NOW, counting_uuid, &record, start, end, &err);
	if (rc != 0)
		fail_msg("refused: %s", err.msg);
	json_decref(body);
	return record;
}

/* The create of body_text is refused with code, the message holding want. */
static void parse_refused(const char *body_text, int code, const char *want)
{
	json_t *body = test_json(body_text);
	json_t *record = NULL;
	vlt_err_t err = { 0 };
	int64_t s = 0, e = 0;

	int rc = vlt__blazar_lease_parse(body, NOW, counting_uuid, &record, &s, &e, &err);
	if (rc != code || strstr(err.msg, want) == NULL)
		fail_msg("%s: got %d '%s', wanted %d '%s'", body_text, rc, err.msg, code, want);
	assert_null(record);
	json_decref(body);
}

/* ---------------------------------------------------------------- dates */

static void dates_in_every_form_blazar_speaks(void **state)
{
	(void)state;
	int64_t ms = 0;
	char buf[40];
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__blazar_time_parse("2026-12-08 10:00", INT64_MIN, "$.d", &ms, &err), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(vlt__blazar_time_parse("2026-12-08 10:00:30", INT64_MIN, "$.d", &ms, &err),
			 0);
	assert_int_equal(ms, T0 + 30000);
	assert_int_equal(vlt__blazar_time_parse("2026-12-08T10:00:00.250000", INT64_MIN, "$.d", &ms,
						&err),
			 0);
	assert_int_equal(ms, T0 + 250);
	assert_int_equal(vlt__blazar_time_parse("2026-12-08T10:00:00Z", INT64_MIN, "$.d", &ms, &err),
			 0);
	assert_int_equal(ms, T0);
	assert_int_equal(vlt__blazar_time_parse("now", 42, "$.d", &ms, &err), 0);
	assert_int_equal(ms, 42);

	vlt__blazar_time_format(T0 + 250, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-08T10:00:00.250000");
}

static void bad_dates_name_the_member(void **state)
{
	(void)state;
	static const char *const bad[] = { "2026-02-30 10:00", "2026-12-08 24:00", "tomorrow",
					   "2026-12-08T10:00", "2026-12-08 10:00 ", "" };
	int64_t ms = 7;
	vlt_err_t err = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vlt__blazar_time_parse(bad[i], 1, "$.end_date", &ms, &err),
				 VLT_EINVAL);
		assert_non_null(strstr(err.msg, "$.end_date: expected a UTC date"));
		assert_int_equal(ms, 7);
	}
	/* "now" only where it is allowed */
	assert_int_equal(vlt__blazar_time_parse("now", INT64_MIN, "$.end_date", &ms, &err),
			 VLT_EINVAL);
	assert_int_equal(vlt__blazar_time_parse(NULL, 1, "$.end_date", &ms, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.end_date: missing or not a string"));
}

/* ---------------------------------------------------------------- create */

static void client_body_becomes_a_record(void **state)
{
	(void)state;
	int64_t start = 0, end = 0;
	json_t *rec = parse_ok(client_body, &start, &end);

	assert_int_equal(start, T0);
	assert_int_equal(end, T0 + 24 * HOUR);
	assert_string_equal(str(rec, "id"), "00000000-0000-4000-8000-000000000001");
	assert_string_equal(str(rec, "name"), "l1");
	assert_true(json_is_null(json_object_get(rec, "before_end_ms")));
	json_t *host = json_array_get(json_object_get(rec, "reservations"), 0);
	json_t *inst = json_array_get(json_object_get(rec, "reservations"), 1);
	assert_string_equal(str(host, "resource_type"), "physical:host");
	assert_int_equal(num(host, "min"), 1);
	assert_int_equal(num(host, "max"), 2);
	assert_string_equal(str(host, "hypervisor_properties"), "[\"==\", \"$vcpus\", \"4\"]");
	assert_string_equal(str(host, "before_end"), "default");
	assert_string_equal(str(inst, "resource_type"), "virtual:instance");
	assert_int_equal(num(inst, "amount"), 3);
	assert_int_equal(num(inst, "memory_mb"), 512);
	assert_true(json_is_false(json_object_get(inst, "affinity")));
	assert_non_null(str(json_object_get(rec, "events"), "before_end_lease"));
	json_decref(rec);

	/* "now", numbers as strings, affinity "None", before_end_date inside */
	rec = parse_ok("{'name': 'n', 'start_date': 'now', 'end_date': '2026-12-08 10:00',"
		       " 'before_end_date': '2026-12-08 09:00', 'reservations': [{'resource_type':"
		       " 'virtual:instance', 'amount': '2', 'vcpus': '2', 'memory_mb': 1024,"
		       " 'disk_gb': 0, 'affinity': 'None'}]}",
		       &start, &end);
	assert_int_equal(start, NOW);
	assert_int_equal(num(rec, "before_end_ms"), T0 - HOUR);
	inst = json_array_get(json_object_get(rec, "reservations"), 0);
	assert_int_equal(num(inst, "amount"), 2);
	assert_true(json_is_null(json_object_get(inst, "affinity")));
	json_decref(rec);
}

static void bad_creates_say_what_and_where(void **state)
{
	(void)state;
#define INST "{'resource_type': 'virtual:instance', 'amount': 1, 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 0"
#define LEASE(extra, res) \
	"{'name': 'x', 'start_date': '2026-12-08 10:00', 'end_date': '2026-12-09 10:00'" extra \
	", 'reservations': [" res "]}"
	parse_refused("[]", VLT_EINVAL, "$: expected a JSON object");
	parse_refused("{'start_date': 'now', 'end_date': '2026-12-09 10:00', 'reservations': []}",
		      VLT_EINVAL, "$.name");
	parse_refused("{'name': 'x', 'start_date': '2026-12-09 10:00', 'end_date': "
		      "'2026-12-08 10:00', 'reservations': [" INST "}]}",
		      VLT_EINVAL, "$.end_date: must be after start_date");
	parse_refused("{'name': 'x', 'start_date': '2026-12-01 10:00', 'end_date': "
		      "'2026-12-09 10:00', 'reservations': [" INST "}]}",
		      VLT_EINVAL, "$.start_date: the lease cannot start in the past");
	parse_refused(LEASE("", ""), VLT_EINVAL, "$.reservations: expected a list of at least one");
	parse_refused(LEASE("", "{'resource_type': 'virtual:floatingip', 'amount': 1}"), VLT_EINVAL,
		      "$.reservations[0].resource_type: 'virtual:floatingip' is not supported");
	parse_refused(LEASE("", "{'amount': 1}"), VLT_EINVAL,
		      "$.reservations[0].resource_type: missing");
	parse_refused(LEASE("", INST "}, {'resource_type': 'virtual:instance', 'amount': 0, 'vcpus':"
				     " 1, 'memory_mb': 1, 'disk_gb': 0}"),
		      VLT_EINVAL, "$.reservations[1].amount: expected a whole number from 1");
	parse_refused(LEASE("", INST ", 'affinity': 'maybe'}"), VLT_EINVAL,
		      "$.reservations[0].affinity: expected true, false or null");
	parse_refused(LEASE("", INST ", 'resource_properties': '[\\\"==\\\", \\\"$a\\\", \\\"b\\\"]'}"),
		      VLT_EINVAL, "$.reservations[0].resource_properties: not supported");
	parse_refused(LEASE("", INST ", 'flavor_id': 'f1'}"), VLT_EINVAL,
		      "$.reservations[0].flavor_id: not supported");
	parse_refused(LEASE("", "{'resource_type': 'physical:host', 'min': 3, 'max': 2}"),
		      VLT_EINVAL, "$.reservations[0]: min 3 is above max 2");
	parse_refused(LEASE("", "{'resource_type': 'physical:host', 'min': 1, 'max': 2,"
				" 'hypervisor_properties': '[\\\"~\\\", \\\"$vcpus\\\", \\\"4\\\"]'}"),
		      VLT_EINVAL, "$.reservations[0].hypervisor_properties: $: expected [");
	parse_refused(LEASE("", "{'resource_type': 'physical:host', 'min': 1, 'max': 2,"
				" 'hypervisor_properties': '[=='}"),
		      VLT_EINVAL, "$.reservations[0].hypervisor_properties: not JSON");
	parse_refused(LEASE(", 'before_end_date': '2026-12-10 10:00'", INST "}"), VLT_EINVAL,
		      "$.before_end_date: must be within the lease");
#undef LEASE
#undef INST
}

/* ---------------------------------------------------------------- hosts */

static bool matches(const char *filter, const char *host_text)
{
	json_t *host = test_json(host_text);
	json_t *props = vlt__blazar_host_properties(host);
	bool m = false;
	vlt_err_t err = { 0 };

	if (vlt__blazar_host_matches(filter, props, &m, &err) != 0)
		fail_msg("%s: %s", filter, err.msg);
	json_decref(props);
	json_decref(host);
	return m;
}

static void hypervisor_properties_as_blazar_reads_them(void **state)
{
	(void)state;
	const char *h = "{'name': 'qos101', 'vcpus': 8, 'ram_mb': 16384, 'disk_gb': 200, 'rack': 'r1'}";

	assert_true(matches("", h));
	assert_true(matches("[]", h));
	assert_true(matches("[\"==\", \"$vcpus\", \"8\"]", h));
	assert_true(matches("[\"=\", \"$vcpus\", \"8.0\"]", h));
	assert_false(matches("[\"==\", \"$vcpus\", \"4\"]", h));
	assert_true(matches("[\">=\", \"$memory_mb\", \"4096\"]", h));
	assert_false(matches("[\"<\", \"$local_gb\", \"100\"]", h));
	assert_true(matches("[\"!=\", \"$hypervisor_hostname\", \"qos102\"]", h));
	assert_true(matches("[\"==\", \"$rack\", \"r1\"]", h));
	assert_true(matches("[\"and\", [\">\", \"$vcpus\", \"4\"], [\"==\", \"$rack\", \"r1\"]]", h));
	assert_false(matches("[\"and\", [\">\", \"$vcpus\", \"4\"], [\"==\", \"$rack\", \"r2\"]]", h));
	/* "10" > "9" as numbers, though not as text */
	assert_true(matches("[\">\", \"$vcpus\", \"10\"]",
			    "{'name': 'big', 'vcpus': 16, 'ram_mb': 1, 'disk_gb': 1}"));
	/* a property the inventory does not give: no host has it */
	assert_false(matches("[\"==\", \"$cpu_arch\", \"x86_64\"]", h));

	bool m = true;
	vlt_err_t err = { 0 };
	assert_int_equal(vlt__blazar_host_matches("[\"or\", [\"==\", \"$vcpus\", \"8\"]]", NULL, &m,
						  &err),
			 VLT_EINVAL);
	assert_int_equal(vlt__blazar_host_matches("[\"and\", [\"==\", \"vcpus\", \"8\"]]", NULL, &m,
						  &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$[1]: expected"));
	assert_int_equal(vlt__blazar_host_matches("{\"a\": 1}", NULL, &m, &err), VLT_EINVAL);
}

static void hosts_picked_up_to_max_and_at_least_min(void **state)
{
	(void)state;
	json_t *free = test_json("[{'name': 'a', 'vcpus': 4, 'ram_mb': 8, 'disk_gb': 1},"
				 " {'name': 'b', 'vcpus': 8, 'ram_mb': 8, 'disk_gb': 1},"
				 " {'name': 'c', 'vcpus': 8, 'ram_mb': 8, 'disk_gb': 1},"
				 " {'name': 'd', 'vcpus': 8, 'ram_mb': 8, 'disk_gb': 1}]");
	json_t *res = test_json("{'id': 'r1', 'min': 1, 'max': 2, 'hypervisor_properties':"
				" '[\\\"==\\\", \\\"$vcpus\\\", \\\"8\\\"]'}");
	json_t *taken = test_json("{'b': true}");
	json_t *picked = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__blazar_pick_hosts(res, free, taken, &picked, &err), 0);
	assert_int_equal(json_array_size(picked), 2);
	assert_string_equal(str(json_array_get(picked, 0), "name"), "c");
	assert_string_equal(str(json_array_get(picked, 1), "name"), "d");
	json_decref(picked);

	json_object_set_new(res, "min", json_integer(4));
	json_object_set_new(res, "max", json_integer(4));
	picked = NULL;
	assert_int_equal(vlt__blazar_pick_hosts(res, free, taken, &picked, &err), VLT_ENOPLACE);
	assert_null(picked);
	assert_non_null(strstr(err.msg, "Not enough hosts available"));
	assert_non_null(strstr(err.msg, "at least 4"));
	assert_non_null(strstr(err.msg, "2 found"));
	json_decref(res);
	json_decref(taken);
	json_decref(free);
}

/* ---------------------------------------------------------------- the request */

static void lease_becomes_one_request(void **state)
{
	(void)state;
	int64_t start = 0, end = 0;
	json_t *rec = parse_ok(client_body, &start, &end);
	json_t *host_res = json_array_get(json_object_get(rec, "reservations"), 0);
	json_t *inst_res = json_array_get(json_object_get(rec, "reservations"), 1);
	char hosts_text[256];
	json_t *req = NULL;
	vlt_err_t err = { 0 };

	snprintf(hosts_text, sizeof(hosts_text),
		 "{'%s': [{'name': 'qos101', 'vcpus': 4, 'ram_mb': 16384, 'disk_gb': 200}]}",
		 str(host_res, "id"));
	json_t *hosts = test_json(hosts_text);
	assert_int_equal(vlt__blazar_request(rec, "2026-12-08T10:00:00Z", "2026-12-09T10:00:00Z",
					     "p1", hosts, &req, &err),
			 0);
	assert_string_equal(str(req, "stack_id"), str(rec, "id"));
	assert_string_equal(str(req, "plan_name"), "l1");
	assert_string_equal(str(req, "tenant_id"), "p1");
	assert_string_equal(str(req, "start"), "2026-12-08T10:00:00Z");
	assert_string_equal(str(req, "end"), "2026-12-09T10:00:00Z");
	assert_true(json_equal(json_object_get(req, VLT_BLAZAR_MEMBER), rec));

	json_t *resources = json_object_get(req, "resources");
	assert_int_equal(json_object_size(resources), 1 + 3 + 1); /* host, 3 servers, a group */
	char orch[128];
	snprintf(orch, sizeof(orch), "%s/qos101", str(host_res, "id"));
	json_t *pinned = json_object_get(resources, orch);
	assert_non_null(pinned);
	assert_true(is(json_object_get(pinned, "locations"), "['qos101']"));
	json_t *flavor = json_object_get(json_object_get(pinned, "properties"), "flavor");
	assert_int_equal(num(flavor, "vcpus"), 4);
	assert_int_equal(num(flavor, "ram_mb"), 16384);
	assert_int_equal(num(flavor, "disk_gb"), 200);

	snprintf(orch, sizeof(orch), "%s/2", str(inst_res, "id"));
	json_t *third = json_object_get(resources, orch);
	assert_non_null(third);
	assert_string_equal(str(third, "type"), "OS::Nova::Server");
	assert_string_equal(str(json_object_get(third, "metadata"), "blazar_reservation_id"),
			    str(inst_res, "id"));
	flavor = json_object_get(json_object_get(third, "properties"), "flavor");
	assert_int_equal(num(flavor, "ram_mb"), 512);
	snprintf(orch, sizeof(orch), "%s/group", str(inst_res, "id"));
	json_t *group = json_object_get(json_object_get(resources, orch), "properties");
	assert_string_equal(str(group, "group_type"), "diversity");
	assert_string_equal(str(group, "level"), "host");
	assert_int_equal(json_array_size(json_object_get(group, "resources")), 3);
	json_decref(req);

	/* affinity true: an affinity group; null: none */
	json_object_set_new(inst_res, "affinity", json_true());
	assert_int_equal(vlt__blazar_request(rec, "now", "2026-12-09T10:00:00Z", NULL, hosts, &req,
					     &err),
			 0);
	assert_string_equal(str(json_object_get(json_object_get(json_object_get(req, "resources"),
								orch),
						"properties"),
				"group_type"),
			    "affinity");
	assert_null(json_object_get(req, "tenant_id"));
	json_decref(req);
	json_object_set_new(inst_res, "affinity", json_null());
	assert_int_equal(vlt__blazar_request(rec, "now", "2026-12-09T10:00:00Z", NULL, hosts, &req,
					     &err),
			 0);
	assert_null(json_object_get(json_object_get(req, "resources"), orch));
	json_decref(req);

	/* a host reservation with no host picked is a caller's mistake, said so */
	req = NULL;
	assert_int_equal(vlt__blazar_request(rec, "now", "2026-12-09T10:00:00Z", NULL, NULL, &req,
					     &err),
			 VLT_EINVAL);
	assert_null(req);
	json_decref(hosts);
	json_decref(rec);
}

/* ---------------------------------------------------------------- the document */

static json_t *doc_at(const json_t *rec, const char *status, int64_t now)
{
	char text[1024];
	const json_t *inst = json_array_get(json_object_get(rec, "reservations"), 1);

	snprintf(text, sizeof(text),
		 "{'id': 'v-1', 'stack_id': '%s', 'project': 'p1', 'status': '%s',"
		 " 'start': '2026-12-08T10:00:00Z', 'end': '2026-12-09T10:00:00.000Z',"
		 " 'placements': {'%s/0': {'location': 'qos103'}, '%s/1': {'location': 'qos102'},"
		 " '%s/2': {'location': 'qos103'}, 'other/0': {'location': 'qos108'}}}",
		 str(rec, "id"), status, str(inst, "id"), str(inst, "id"), str(inst, "id"));
	json_t *resv = test_json(text);
	json_t *doc = vlt__blazar_lease_doc(rec, resv, now);
	json_decref(resv);
	assert_non_null(doc);
	return doc;
}

static const char *event_status(const json_t *doc, const char *type)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(doc, "events"), i, e) {
		if (strcmp(str(e, "event_type"), type) == 0)
			return str(e, "status");
	}
	return "missing";
}

static void lease_document_as_blazar_shows_it(void **state)
{
	(void)state;
	int64_t start = 0, end = 0;
	json_t *rec = parse_ok(client_body, &start, &end);
	json_t *doc = doc_at(rec, "pending", NOW);

	assert_string_equal(str(doc, "id"), str(rec, "id"));
	assert_string_equal(str(doc, "name"), "l1");
	assert_string_equal(str(doc, "status"), "PENDING");
	assert_string_equal(str(doc, "start_date"), "2026-12-08T10:00:00.000000");
	assert_string_equal(str(doc, "end_date"), "2026-12-09T10:00:00.000000");
	assert_string_equal(str(doc, "before_end_date"), "2026-12-09T09:00:00.000000");
	assert_string_equal(str(doc, "project_id"), "p1");
	assert_string_equal(str(doc, "created_at"), "2026-12-07 10:00:00");
	assert_true(json_is_false(json_object_get(doc, "degraded")));
	json_t *inst = json_array_get(json_object_get(doc, "reservations"), 1);
	assert_string_equal(str(inst, "status"), "pending");
	assert_string_equal(str(inst, "lease_id"), str(rec, "id"));
	assert_string_equal(str(inst, "resource_id"), "v-1");
	assert_int_equal(num(inst, "amount"), 3);
	assert_true(json_is_false(json_object_get(inst, "affinity")));
	assert_true(is(json_object_get(inst, "hosts"), "['qos102', 'qos103']"));
	json_t *host = json_array_get(json_object_get(doc, "reservations"), 0);
	assert_int_equal(num(host, "max"), 2);
	assert_null(json_object_get(host, "amount"));
	assert_string_equal(event_status(doc, "start_lease"), "UNDONE");
	assert_string_equal(event_status(doc, "before_end_lease"), "UNDONE");
	json_decref(doc);

	/* past the start, not yet swept: starting; active; terminating; ended */
	doc = doc_at(rec, "pending", T0 + 1);
	assert_string_equal(str(doc, "status"), "STARTING");
	json_decref(doc);
	doc = doc_at(rec, "active", T0 + 1);
	assert_string_equal(str(doc, "status"), "ACTIVE");
	assert_string_equal(event_status(doc, "start_lease"), "DONE");
	assert_string_equal(event_status(doc, "end_lease"), "UNDONE");
	assert_string_equal(event_status(doc, "before_end_lease"), "UNDONE");
	json_decref(doc);
	doc = doc_at(rec, "active", T0 + 23 * HOUR + 1);
	assert_string_equal(event_status(doc, "before_end_lease"), "DONE");
	json_decref(doc);
	doc = doc_at(rec, "active", T0 + 24 * HOUR);
	assert_string_equal(str(doc, "status"), "TERMINATING");
	json_decref(doc);
	doc = doc_at(rec, "ended", T0 + 25 * HOUR);
	assert_string_equal(str(doc, "status"), "TERMINATED");
	assert_string_equal(str(json_array_get(json_object_get(doc, "reservations"), 0), "status"),
			    "deleted");
	assert_string_equal(event_status(doc, "end_lease"), "DONE");
	json_decref(doc);
	doc = doc_at(rec, "broken", T0);
	assert_string_equal(str(doc, "status"), "ERROR");
	json_decref(doc);
	json_decref(rec);
}

/* ---------------------------------------------------------------- update */

static void updates_by_blazars_rules(void **state)
{
	(void)state;
	int64_t start = 0, end = 0;
	json_t *rec = parse_ok(client_body, &start, &end);
	json_t *before = json_deep_copy(rec);
	const char *inst_id =
		str(json_array_get(json_object_get(rec, "reservations"), 1), "id");
	char text[512];
	json_t *changed = NULL, *body;
	vlt_err_t err = { 0 };
	int64_t s = start, e = end;

	/* prolonged by a day, renamed, one more server */
	snprintf(text, sizeof(text),
		 "{'name': 'l2', 'end_date': '2026-12-10 10:00', 'reservations': [{'id': '%s',"
		 " 'amount': 4}]}",
		 inst_id);
	body = test_json(text);
	assert_int_equal(vlt__blazar_lease_change(rec, body, NOW, &changed, &s, &e, &err), 0);
	json_decref(body);
	assert_int_equal(s, T0);
	assert_int_equal(e, T0 + 48 * HOUR);
	assert_string_equal(str(changed, "name"), "l2");
	assert_int_equal(num(json_array_get(json_object_get(changed, "reservations"), 1), "amount"),
			 4);
	assert_true(json_equal(rec, before)); /* the original is untouched */
	json_decref(changed);

	struct {
		const char *body;
		int64_t now;
		int code;
		const char *want;
	} bad[] = {
		{ "{'start_date': '2026-12-08 11:00'}", T0 + 1, VLT_EINVAL, "has started" },
		{ "{'end_date': '2026-12-08 09:00'}", NOW, VLT_EINVAL, "must be after start_date" },
		{ "{'end_date': '2026-12-08 11:00'}", T0 + 2 * HOUR, VLT_EINVAL,
		  "must be in the future" },
		{ "{'reservations': [{'id': 'nope', 'amount': 2}]}", NOW, VLT_ENOENT,
		  "no reservation nope" },
		{ "{'name': ''}", NOW, VLT_EINVAL, "$.name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		body = test_json(bad[i].body);
		changed = NULL;
		s = start;
		e = end;
		int rc = vlt__blazar_lease_change(rec, body, bad[i].now, &changed, &s, &e, &err);
		if (rc != bad[i].code || strstr(err.msg, bad[i].want) == NULL)
			fail_msg("%s: %d %s", bad[i].body, rc, err.msg);
		assert_null(changed);
		assert_int_equal(s, start);
		assert_int_equal(e, end);
		json_decref(body);
	}
	snprintf(text, sizeof(text), "{'reservations': [{'id': '%s', 'amount': 0}]}", inst_id);
	body = test_json(text);
	assert_int_equal(vlt__blazar_lease_change(rec, body, NOW, &changed, &s, &e, &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.reservations[0].amount"));
	json_decref(body);
	snprintf(text, sizeof(text), "{'reservations': [{'id': '%s', 'colour': 'red'}]}", inst_id);
	body = test_json(text);
	assert_int_equal(vlt__blazar_lease_change(rec, body, NOW, &changed, &s, &e, &err),
			 VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.reservations[0].colour: not a member"));
	json_decref(body);
	assert_true(json_equal(rec, before));
	json_decref(before);
	json_decref(rec);
}

static void error_body_is_blazars(void **state)
{
	(void)state;
	json_t *b = vlt__blazar_error_body(409, "Not enough hosts available");

	assert_true(is(b, "{'error_code': 409, 'error_message': 'Not enough "
					    "hosts available', 'error_name': 409}"));
	json_decref(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dates_in_every_form_blazar_speaks),
		cmocka_unit_test(bad_dates_name_the_member),
		cmocka_unit_test(client_body_becomes_a_record),
		cmocka_unit_test(bad_creates_say_what_and_where),
		cmocka_unit_test(hypervisor_properties_as_blazar_reads_them),
		cmocka_unit_test(hosts_picked_up_to_max_and_at_least_min),
		cmocka_unit_test(lease_becomes_one_request),
		cmocka_unit_test(lease_document_as_blazar_shows_it),
		cmocka_unit_test(updates_by_blazars_rules),
		cmocka_unit_test(error_body_is_blazars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
