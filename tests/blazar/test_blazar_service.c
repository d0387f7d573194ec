/*
 * test_blazar_service.c - what the lease API asks of the service, in
 * process with the fixture's clock: a stored request's member read back
 * (the lease's record), kept through a reservation's update that does not
 * give it and replaced by one that does; the hosts wholly free over a
 * window (vlt__service_hosts_over) around an ordinary plan and a
 * reservation; a server's own locations pinning it.
 *
 * tests/data/api/inventory.json: 8 hosts of 4 vCPU; m1.large takes a
 * whole host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "service_fixture.h"

#define T0 946684800000 /* 2000-01-01T00:00:00Z */
#define HOUR 3600000LL

static int setup(void **state)
{
	*state = svc_world_open(0, T0);
	return 0;
}

static int teardown(void **state)
{
	svc_world_close(*state);
	return 0;
}

/* A reservation of n large servers <stack>-k over [01:00, 02:00), with a "lease" member. */
static void reserve(svc_fixture_t *f, const char *stack, unsigned n, const char *lease)
{
	char prefix[64];
	json_t *answer = NULL;
	vlt_err_t err = { 0 };

	snprintf(prefix, sizeof(prefix), "%s-", stack);
	json_t *req = svc_fixture_request(stack, prefix, n, "m1.large");
	json_object_set_new(req, "start", json_string("2000-01-01T01:00:00Z"));
	json_object_set_new(req, "end", json_string("2000-01-01T02:00:00Z"));
	if (lease != NULL)
		json_object_set_new(req, "lease", json_pack("{s:s}", "id", lease));
	if (vlt__service_reservation_create(f->svc, req, "p1", &answer, &err) != 0)
		fail_msg("%s", err.msg);
	json_decref(answer);
	json_decref(req);
}

static const char *lease_id(svc_fixture_t *f, const char *stack)
{
	static char buf[64];
	json_t *v = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__service_request_member(f->svc, stack, "lease", &v, &err), 0);
	snprintf(buf, sizeof(buf), "%s",
		 json_is_null(v) ? "(null)" : json_string_value(json_object_get(v, "id")));
	json_decref(v);
	return buf;
}

static void request_member_read_back_and_kept(void **state)
{
	svc_fixture_t *f = &((svc_world_t *)*state)->f;
	json_t *answer = NULL, *v = NULL;
	vlt_err_t err = { 0 };

	reserve(f, "with", 1, "L1");
	reserve(f, "without", 1, NULL);
	assert_string_equal(lease_id(f, "with"), "L1");
	assert_string_equal(lease_id(f, "without"), "(null)");
	assert_int_equal(vlt__service_request_member(f->svc, "nope", "lease", &v, &err),
			 VLT_ENOENT);

	/* an update that does not give it keeps it; one that does replaces it */
	json_t *body = json_pack("{s:s}", "end", "2000-01-01T03:00:00Z");
	assert_int_equal(vlt__service_reservation_update(f->svc, "with", body, NULL, &answer, &err),
			 0);
	json_decref(answer);
	json_decref(body);
	assert_string_equal(lease_id(f, "with"), "L1");
	body = json_pack("{s:{s:s}}", "lease", "id", "L2");
	assert_int_equal(vlt__service_reservation_update(f->svc, "with", body, NULL, &answer, &err),
			 0);
	json_decref(answer);
	json_decref(body);
	assert_string_equal(lease_id(f, "with"), "L2");
}

/* How many hosts are wholly free over [from, to) hours after T0; the first's figures checked. */
static size_t vacant(svc_fixture_t *f, int from, int to)
{
	json_t *hosts = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_hosts_over(f->svc, T0 + from * HOUR, T0 + to * HOUR, &hosts, &err) != 0)
		fail_msg("%s", err.msg);
	json_t *h = json_array_get(hosts, 0);
	size_t n = json_array_size(hosts);
	if (h != NULL) {
		assert_int_equal(json_integer_value(json_object_get(h, "vcpus")), 4);
		assert_int_equal(
			json_integer_value(json_object_get(json_object_get(h, "total"), "vcpus")), 4);
		assert_non_null(json_string_value(json_object_get(h, "rack")));
	}
	json_decref(hosts);
	return n;
}

static void hosts_free_over_a_window(void **state)
{
	svc_fixture_t *f = &((svc_world_t *)*state)->f;
	vlt_err_t err = { 0 };
	json_t *hosts = NULL;

	assert_int_equal(vacant(f, 0, 1), 8);
	assert_int_equal(svc_fixture_create(f, "plain", "plain-", 1, &err), 0); /* always held */
	reserve(f, "later", 2, NULL);						 /* [1 h, 2 h) */
	assert_int_equal(vacant(f, 0, 1), 7);
	assert_int_equal(vacant(f, 1, 2), 5);
	assert_int_equal(vacant(f, 0, 3), 5);
	assert_int_equal(vacant(f, 2, 3), 7);
	assert_int_equal(vlt__service_hosts_over(f->svc, T0 + HOUR, T0 + HOUR, &hosts, &err),
			 VLT_EINVAL);
	assert_null(hosts);
}

static void a_servers_locations_pin_it(void **state)
{
	svc_fixture_t *f = &((svc_world_t *)*state)->f;
	json_t *answer = NULL;
	vlt_err_t err = { 0 };
	char at[64];

	json_t *req = svc_fixture_request("pinned", "pinned-", 2, "m1.small");
	json_object_set_new(json_object_get(json_object_get(req, "resources"), "pinned-1"),
			    "locations", json_pack("[s]", "qos107"));
	assert_int_equal(vlt__service_plan_create(f->svc, req, "p1", &answer, &err), 0);
	json_decref(answer);
	assert_string_equal(svc_fixture_location(f, "pinned-1", at, sizeof(at)), "qos107");

	/* a host the inventory lacks is refused, naming the server */
	json_object_set_new(req, "stack_id", json_string("pinned-2"));
	json_t *res = json_object_get(req, "resources");
	json_object_set_new(res, "other-0", json_deep_copy(json_object_get(res, "pinned-1")));
	json_object_del(res, "pinned-0");
	json_object_del(res, "pinned-1");
	json_object_set_new(json_object_get(res, "other-0"), "locations",
			    json_pack("[s]", "nowhere"));
	assert_int_equal(vlt__service_plan_create(f->svc, req, "p1", &answer, &err), VLT_ENOPLACE);
	assert_non_null(strstr(err.msg, "$.resources.other-0.locations"));
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(request_member_read_back_and_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(hosts_free_over_a_window, setup, teardown),
		cmocka_unit_test_setup_teardown(a_servers_locations_pin_it, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
