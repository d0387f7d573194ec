/*
 * test_rclass.c - resource classes beyond vcpus, ram_mb and disk_gb, asked
 * by flavors' resources[$S]:CLASS=N extra specs the way Nova reads them,
 * on rclass-dc.json (every ratio 1):
 *
 *   f1  CUSTOM_FPGA 1
 *   f2  CUSTOM_FPGA 4, reserved 1, max_unit 2 (3 to give); PCPU 8
 *   p1  PCPU 16, 4 used (12 to give)
 *
 * each 16 vCPU / 32 GiB / 200 GB. Every solver (ostro, nova, exact) keeps
 * servers to hosts with room, the refusal names the class, and releasing
 * a plan gives the classes back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cycle.h"
#include "dc.h"
#include "engine_fixture.h"
#include "ledger.h"
#include "log.h"
#include "rclass.h"
#include "stack.h"

#define RCLASS_DC VLT_TEST_DATA "/engine/rclass-dc.json"

static const char *const solvers[] = { "ostro", "nova", "exact" };
#define N_SOLVERS (sizeof(solvers) / sizeof(solvers[0]))

static vlt_session_t session;

static int setup(void **state)
{
	vlt_err_t err = { 0 };

	(void)state;
	vlt__log_setup(VLT_LOG_ERR, false, "test");
	if (vlt__session_open(&session, NULL, RCLASS_DC, solvers, N_SOLVERS, NULL, &err) < 0) {
		fprintf(stderr, "session: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vlt__session_close(&session);
	return 0;
}

/* n servers s0.. of flavor in plan `plan`, placed by solver. */
static int place(const char *plan, unsigned n, const char *flavor, const char *solver,
		 json_t **res, vlt_err_t *err)
{
	json_t *req = vlt_fixture_servers(plan, n, flavor, NULL);

	*res = NULL;
	int rc = vlt__engine_place(session.engine, req, "test", solver, res, err);

	json_decref(req);
	return rc;
}

/* Place n of flavor with solver; count them per host in on[f1, f2, p1]. */
static void place_counting(const char *plan, unsigned n, const char *flavor, const char *solver,
			   unsigned on[3])
{
	static const char *const hosts[3] = { "f1", "f2", "p1" };
	json_t *res;
	vlt_err_t err = { 0 };
	char id[16];

	if (place(plan, n, flavor, solver, &res, &err) != VLT_OK)
		fail_msg("%u of %s with %s: %s", n, flavor,
			 solver != NULL ? solver : "the default solver", err.msg);
	memset(on, 0, 3 * sizeof(*on));
	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		const char *at = vlt_fixture_location(res, id);
		unsigned h = 0;

		assert_non_null(at);
		while (h < 3 && strcmp(at, hosts[h]) != 0)
			h++;
		assert_true(h < 3);
		on[h]++;
	}
	json_decref(res);
}

/* Place n of flavor with solver: f1, f2 and p1 take as many as want says. */
static void expect_spread(const char *plan, unsigned n, const char *flavor, const char *solver,
			  unsigned f1, unsigned f2, unsigned p1)
{
	unsigned on[3];

	place_counting(plan, n, flavor, solver, on);
	if (on[0] != f1 || on[1] != f2 || on[2] != p1)
		fail_msg("%u of %s with %s: %u, %u, %u on f1, f2, p1; want %u, %u, %u", n, flavor,
			 solver != NULL ? solver : "the default solver", on[0], on[1], on[2], f1, f2,
			 p1);
}

/* Placing n of flavor fails, with message, with every solver. */
static void expect_refused(const char *plan, unsigned n, const char *flavor, const char *want)
{
	for (size_t i = 0; i < N_SOLVERS; i++) {
		json_t *res;
		vlt_err_t err = { 0 };

		assert_int_equal(place(plan, n, flavor, solvers[i], &res, &err), VLT_ENOPLACE);
		assert_string_equal(vlt_fixture_message(res), want);
		json_decref(res);
	}
}

static void test_rclass_fpga_goes_only_where_there_is_room(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_SOLVERS; i++) {
		/* 1 FPGA on f1 and 3 on f2: four servers fill them, p1 has none */
		expect_spread("p", 4, "fpga", solvers[i], 1, 3, 0);
		/* every FPGA is held now: one more fits nowhere */
		expect_refused("q", 1, "fpga", "server s0: 0 of 3 hosts fit: 3 short of CUSTOM_FPGA");
		/* releasing the plan gives them back */
		assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
	}
	expect_spread("p", 4, "fpga", NULL, 1, 3, 0);
	assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
}

static void test_rclass_refusal_names_the_class_and_its_limit(void **state)
{
	(void)state;
	/* 3 FPGAs: above f2's max_unit 2, and f1 (1) and p1 (none) are short */
	expect_refused("p", 1, "fpga3",
		       "server s0: 0 of 3 hosts fit: 2 short of CUSTOM_FPGA, 1 with max_unit 2 "
		       "of CUSTOM_FPGA (asks 3)");
	/* a class no host has */
	expect_refused("p", 1, "vgpu", "server s0: 0 of 3 hosts fit: 3 short of VGPU");
	assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_ENOENT);
}

static void test_rclass_groups_of_one_class_add_up(void **state)
{
	(void)state;
	/* resources1:CUSTOM_FPGA=1 and resources_b:CUSTOM_FPGA=1 ask 2: only f2 has them */
	for (size_t i = 0; i < N_SOLVERS; i++) {
		expect_spread("p", 1, "fpga-two-groups", solvers[i], 0, 1, 0);
		assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
	}
}

static void test_rclass_pcpu_replaces_the_flavors_vcpus(void **state)
{
	(void)state;
	/* 64 vCPUs fit no host, but resources:PCPU=4 asks 4 PCPU and no VCPU:
	 * f2 takes 2, p1 3 */
	for (size_t i = 0; i < N_SOLVERS; i++) {
		expect_spread("p", 5, "pinned", solvers[i], 0, 2, 3);
		expect_refused("q", 1, "pinned", "server s0: 0 of 3 hosts fit: 3 short of PCPU");
		assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
	}
}

static void test_rclass_standard_classes_override_the_flavor(void **state)
{
	unsigned on[3];

	(void)state;
	/* VCPU=0 and MEMORY_MB=1024 replace 64 vCPUs and 999999 MB;
	 * CUSTOM_FPGA=0 asks none, so p1 may take it too */
	for (size_t i = 0; i < N_SOLVERS; i++) {
		place_counting("p", 3, "overridden", solvers[i], on);
		assert_int_equal(on[0] + on[1] + on[2], 3);
		assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
	}
	/* amounts Nova ignores (negative, not a number) and names that are
	 * no resource class ask nothing */
	place_counting("p", 3, "ignored", NULL, on);
	assert_int_equal(on[0] + on[1] + on[2], 3);
	assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
}

/* A hold (a plan acknowledged earlier, replayed) is kept on a host without the class. */
static void test_rclass_a_hold_is_kept_where_the_class_is_not(void **state)
{
	json_t *locs = json_pack("{s:s, s:s}", "s0", "p1", "s1", "f1");
	json_t *req = vlt_fixture_servers("old", 2, "fpga", NULL);
	vlt_err_t err = { 0 };

	(void)state;
	if (vlt__engine_hold(session.engine, req, "test", "old", locs, &err) != VLT_OK)
		fail_msg("hold: %s", err.msg);
	json_decref(req);
	json_decref(locs);
	/* f1's one FPGA is held (p1 has none to hold): three are left, on f2 */
	expect_spread("p", 3, "fpga", NULL, 0, 3, 0);
	expect_refused("q", 1, "fpga", "server s0: 0 of 3 hosts fit: 3 short of CUSTOM_FPGA");
	assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
	assert_int_equal(vlt__engine_release(session.engine, "old"), VLT_OK);
	expect_spread("p", 4, "fpga", NULL, 1, 3, 0);
	assert_int_equal(vlt__engine_release(session.engine, "p"), VLT_OK);
}

/* Above hosts, check() refuses a rack or cluster where no host has room for the class. */
static void test_rclass_domains_without_the_class_refuse(void **state)
{
	const vlt_dc_t *dc = vlt__engine_dc(session.engine);
	json_t *req = vlt_fixture_servers("d", 2, "fpga", NULL);
	vlt_ledger_t *l = NULL;
	vlt_stack_t *st = NULL;
	vlt_cycle_t *cy = NULL;
	vlt_err_t err = { 0 };
	uint32_t f1 = vlt__dc_find_host(dc, "f1"), p1 = vlt__dc_find_host(dc, "p1");

	(void)state;
	assert_int_equal(vlt__ledger_new(&l, dc, (uint32_t)session.mods.n_policies, &err), 0);
	assert_int_equal(vlt__stack_parse(req, dc, NULL, NULL, NULL, "d", &st, &err), 0);
	assert_int_equal(vlt__cycle_new(&cy, l, st, &session.mods, &err), 0);
	/* each host is its own rack, in the one implicit cluster */
	assert_int_equal(vlt__cycle_check(cy, 0, VLT_LEVEL_RACK, dc->hosts[f1].rack), VLT_PASS);
	assert_int_equal(vlt__cycle_check(cy, 0, VLT_LEVEL_RACK, dc->hosts[p1].rack),
			 VLT_REJECT);
	assert_int_equal(vlt__cycle_check(cy, 0, VLT_LEVEL_CLUSTER, 0), VLT_PASS);
	/* what the solvers read of them */
	const vlt_class_demand_t *asks;
	uint32_t fpga = vlt__dc_class_id(dc, "CUSTOM_FPGA");

	assert_int_equal(vlt__cycle_unit_classes(cy, 0, &asks), 1);
	assert_int_equal(asks[0].rclass, fpga);
	assert_int_equal(asks[0].amount, 1);
	assert_int_equal(vlt__cycle_class_free(cy, f1, fpga), 1);
	assert_int_equal(vlt__cycle_class_free(cy, p1, fpga), -1);
	assert_int_equal(vlt__cycle_assign(cy, 0, f1), 0);
	assert_int_equal(vlt__cycle_class_free(cy, f1, fpga), 0);
	assert_int_equal(vlt__cycle_check(cy, 1, VLT_LEVEL_HOST, f1), VLT_REJECT);
	/* f1's rack has none left now; the cluster still has f2's three */
	assert_int_equal(vlt__cycle_check(cy, 1, VLT_LEVEL_RACK, dc->hosts[f1].rack), VLT_REJECT);
	assert_int_equal(vlt__cycle_check(cy, 1, VLT_LEVEL_CLUSTER, 0), VLT_PASS);
	vlt__cycle_unassign(cy, 0);
	assert_int_equal(vlt__cycle_check(cy, 1, VLT_LEVEL_RACK, dc->hosts[f1].rack), VLT_PASS);
	assert_int_equal(vlt__cycle_assign(cy, 0, f1), 0);
	vlt__cycle_free(cy); /* not committed: gives it back */
	assert_int_equal(l->class_free[(size_t)f1 * dc->n_classes + fpga], 1);
	assert_int_equal(l->rack_class_max[(size_t)dc->hosts[f1].rack * dc->n_classes + fpga], 1);
	assert_int_equal(l->cluster_class_max[fpga], 3);
	vlt__stack_free(st);
	vlt__ledger_free(l);
	json_decref(req);
}

static void test_rclass_read_specs_follows_nova(void **state)
{
	const vlt_kv_t specs[] = {
		{ "resources:VCPU", " 3 " },	     { "resources2:VCPU", "+1" },
		{ "resources:DISK_GB", "-0" },	     { "resources:CUSTOM_A", "1_000" },
		{ "resourcesX:CUSTOM_A", "24" },     { "resources:CUSTOM_B", "0" },
		{ "resources:CUSTOM_C", "1__0" },    { "resources:CUSTOM_D", "-2" },
		{ "resources:custom_e", "1" },	     { "resourcesbad.suffix:CUSTOM_F", "1" },
		{ "hw:resources:CUSTOM_G", "1" },    { "resources:NET_BW_EGR_KILOBIT_PER_SEC", "9" },
		{ "trait:CUSTOM_A", "required" },
	};
	int64_t demand[VLT_RES_COUNT] = { 8, 4096, 40 };
	vlt_rclass_ask_t asks[sizeof(specs) / sizeof(specs[0])];
	uint32_t n = vlt__rclass_read_specs(specs, sizeof(specs) / sizeof(specs[0]), demand, asks);

	(void)state;
	assert_int_equal(demand[VLT_RES_VCPUS], 4); /* groups add up, replacing 8 */
	assert_int_equal(demand[VLT_RES_RAM_MB], 4096); /* not named: the flavor's */
	assert_int_equal(demand[VLT_RES_DISK_GB], 0);
	assert_int_equal(n, 2);
	assert_string_equal(asks[0].name, "CUSTOM_A");
	assert_int_equal(asks[0].amount, 1024);
	assert_string_equal(asks[1].name, "NET_BW_EGR_KILOBIT_PER_SEC");
	assert_int_equal(asks[1].amount, 9);
	assert_true(vlt__rclass_name_ok("PCPU"));
	assert_true(vlt__rclass_name_ok("CUSTOM_FPGA_2"));
	assert_false(vlt__rclass_name_ok("CUSTOM_"));
	assert_false(vlt__rclass_name_ok("FPGA_X"));
}

/*
 * n servers of flavor under plan over [start, end) (NULL: absent), by the
 * default solver: VLT_OK, or the refusal's code with its message in why.
 */
static int place_timed(const char *plan, unsigned n, const char *flavor, const char *start,
		       const char *end, char *why, size_t why_n)
{
	json_t *req = vlt_fixture_servers(plan, n, flavor, NULL), *res = NULL;
	vlt_err_t err = { 0 };

	if (start != NULL)
		json_object_set_new(req, "start", json_string(start));
	if (end != NULL)
		json_object_set_new(req, "end", json_string(end));
	int rc = vlt__engine_place(session.engine, req, "test", NULL, &res, &err);
	snprintf(why, why_n, "%s", res != NULL ? vlt_fixture_message(res) : err.msg);
	json_decref(res);
	json_decref(req);
	return rc;
}

#define D8 "2026-12-08T10:00:00Z"
#define D9 "2026-12-09T10:00:00Z"
#define D10 "2026-12-10T10:00:00Z"

/*
 * The four FPGAs (f1's one, f2's three) held by a reservation are held
 * over its window only: another in a disjoint window takes them too, one
 * overlapping it does not, and neither does an open-ended plan, which a
 * plan ending by the reservation's start does.
 */
static void test_rclass_timed_holds_take_the_class_over_their_interval(void **state)
{
	char why[512];

	(void)state;
	assert_int_equal(place_timed("a", 4, "fpga", D8, D9, why, sizeof(why)), VLT_OK);
	assert_int_equal(place_timed("b", 4, "fpga", D9, D10, why, sizeof(why)), VLT_OK);
	assert_int_equal(place_timed("c", 1, "fpga", "2026-12-09T09:00:00Z", "2026-12-09T11:00:00Z",
				     why, sizeof(why)),
			 VLT_ENOPLACE);
	assert_non_null(strstr(why, "short of CUSTOM_FPGA"));
	assert_int_equal(place_timed("open", 1, "fpga", NULL, NULL, why, sizeof(why)),
			 VLT_ENOPLACE);
	assert_non_null(strstr(why, "short of CUSTOM_FPGA"));
	assert_int_equal(place_timed("before", 4, "fpga", NULL, D8, why, sizeof(why)), VLT_OK);
	assert_int_equal(vlt__engine_release(session.engine, "before"), VLT_OK);
	/* released, a's window is free again: c fits in it, and the open plan still not */
	assert_int_equal(vlt__engine_release(session.engine, "a"), VLT_OK);
	assert_int_equal(place_timed("c", 1, "fpga", D8, "2026-12-08T11:00:00Z", why, sizeof(why)),
			 VLT_OK);
	assert_int_equal(place_timed("open", 1, "fpga", NULL, NULL, why, sizeof(why)),
			 VLT_ENOPLACE);
	assert_int_equal(vlt__engine_release(session.engine, "b"), VLT_OK);
	assert_int_equal(vlt__engine_release(session.engine, "c"), VLT_OK);
	/* nothing timed is left: the whole class is open-ended plans' again */
	assert_int_equal(place_timed("open", 4, "fpga", NULL, NULL, why, sizeof(why)), VLT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rclass_fpga_goes_only_where_there_is_room,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rclass_timed_holds_take_the_class_over_their_interval, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_rclass_refusal_names_the_class_and_its_limit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rclass_groups_of_one_class_add_up, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rclass_pcpu_replaces_the_flavors_vcpus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rclass_standard_classes_override_the_flavor,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rclass_a_hold_is_kept_where_the_class_is_not,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rclass_domains_without_the_class_refuse, setup,
						teardown),
		cmocka_unit_test(test_rclass_read_specs_follows_nova),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
