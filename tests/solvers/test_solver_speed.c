/*
 * test_solver_speed.c - how fast the solvers decide (benchmarks.md B3, B4):
 *   - one server, no groups, on 5,000 pre-loaded hosts, placed 2,000 times
 *     in a row (each plan held): the solver's own time per decision;
 *   - 100-server n-tier stacks with groups, pipes and volumes on 5,000 hosts;
 *   - one 1,000-server stack on 20,000 hosts.
 * Times are printed, never asserted (the machines are shared and noisy;
 * bench/ measures them): the assertions are on what does not depend on the
 * clock — every stack placed with its groups kept, how few hosts ostro
 * checks for one server, and ostro's bandwidth cost below nova's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cycle.h"
#include "ledger.h"
#include "log.h"
#include "solver_fixture.h"
#include "stack.h"

#include <valet/solver.h>


static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint32_t policy_lookup(void *arg, const char *type)
{
	vlt_modules_t *mods = arg;
	vlt_module_t *m = vlt__modules_find(mods, VLT_KIND_POLICY, type);

	return m == NULL ? VLT_NONE : (uint32_t)(m - mods->policies);
}

/* 4 clusters x 25 racks x 50 hosts, pre-loaded up to 85%, as benchmarks.md B4 */
static const inv_spec_t b4_dc = {
	.clusters = 4, .racks = 25, .hosts = 50, .vcpus = 64, .ram_mb = 262144,
	.disk_gb = 2000, .preload_pct = 85, .nic_mbps = 10000, .rack_uplink_mbps = 40000,
	.pools_per_rack = 1, .pool_gb = 50000,
};

/*
 * Place one small server `n` times with solver, each plan committed, timing
 * only the solver. OUT p50, p99, mean in microseconds.
 */
static void single_server_run(vlt_session_t *s, const char *solver_name, int n, double *p50,
			      double *p99, double *mean)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	vlt_module_t *solver = vlt__modules_find(&s->mods, VLT_KIND_SOLVER, solver_name);
	vlt_ledger_t *l = NULL;
	vlt_stack_t *st = NULL;
	vlt_err_t err = {0};
	json_t *req = fx_request("one");
	double *t = calloc((size_t)n, sizeof(*t)), sum = 0;

	assert_non_null(solver);
	assert_non_null(t);
	fx_server(req, "vm", "small");
	assert_int_equal(vlt__ledger_new(&l, dc, (uint32_t)s->mods.n_policies, &err), VLT_OK);
	assert_int_equal(vlt__stack_parse(req, dc, NULL, policy_lookup, &s->mods, "one", &st,
					  &err),
			 VLT_OK);
	for (int i = 0; i < n; i++) {
		vlt_cycle_t *cy = NULL;
		char plan[32];
		assert_int_equal(vlt__cycle_new(&cy, l, st, &s->mods, &err), VLT_OK);
		double t0 = now_us();
		int rc = vlt__cycle_solve(cy, solver, &err);
		t[i] = now_us() - t0;
		assert_int_equal(rc, VLT_OK);
		snprintf(plan, sizeof(plan), "p%d", i);
		assert_int_equal(vlt__cycle_commit(cy, plan, &err), VLT_OK);
		vlt__cycle_free(cy);
		sum += t[i];
	}
	qsort(t, (size_t)n, sizeof(*t), by_double);
	*p50 = t[n / 2];
	*p99 = t[n * 99 / 100];
	*mean = sum / n;
	free(t);
	vlt__stack_free(st);
	vlt__ledger_free(l);
	json_decref(req);
}

static void test_single_server(void **state)
{
	vlt_session_t s;
	char path[512];
	double p50, p99, mean;

	(void)state;
	fx_write_inventory(&b4_dc, "speed-b4", path, sizeof(path));
	fx_open(&s, path, NULL);
	single_server_run(&s, "ostro", 2000, &p50, &p99, &mean);
	print_message("ostro, one server on 5000 hosts: p50 %.2f us, p99 %.2f us, mean %.2f us\n",
		      p50, p99, mean);
	single_server_run(&s, "nova", 500, &p50, &p99, &mean);
	print_message("nova,  one server on 5000 hosts: p50 %.2f us, p99 %.2f us, mean %.2f us\n",
		      p50, p99, mean);
	vlt__session_close(&s);
}

/* ---- the calls ostro makes: pruning keeps them far below the number of hosts */

extern const vlt_plugin_info_t *const vlt_plugin_solver_ostro;

static unsigned n_checks, n_costs;

static int counting_check(vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl, uint32_t dom)
{
	n_checks++;
	return vlt__cycle_check(cy, unit, lvl, dom);
}

static double counting_cost(vlt_cycle_t *cy, uint32_t unit, uint32_t loc)
{
	n_costs++;
	return vlt__cycle_cost(cy, unit, loc);
}

static void test_single_server_calls(void **state)
{
	const vlt_solver_ops_t *ops = (const vlt_solver_ops_t *)vlt_plugin_solver_ostro;
	vlt_session_t s;
	char path[512];
	vlt_ledger_t *l = NULL;
	vlt_stack_t *st = NULL;
	vlt_err_t err = {0};
	void *solver_state = NULL;
	json_t *req = fx_request("one");

	(void)state;
	fx_write_inventory(&b4_dc, "speed-b4", path, sizeof(path));
	fx_open(&s, path, NULL);
	const vlt_dc_t *dc = vlt__engine_dc(s.engine);
	vlt_core_t core = vlt__modules_find(&s.mods, VLT_KIND_SOLVER, "ostro")->core;
	core.check = counting_check;
	core.cost = counting_cost;
	assert_int_equal(ops->init(&core, &solver_state, &err), VLT_OK);
	fx_server(req, "vm", "large");
	assert_int_equal(vlt__ledger_new(&l, dc, (uint32_t)s.mods.n_policies, &err), VLT_OK);
	assert_int_equal(vlt__stack_parse(req, dc, NULL, policy_lookup, &s.mods, "one", &st,
					  &err),
			 VLT_OK);
	unsigned max_checks = 0;
	for (int i = 0; i < 500; i++) {
		vlt_cycle_t *cy = NULL;
		char plan[32];
		assert_int_equal(vlt__cycle_new(&cy, l, st, &s.mods, &err), VLT_OK);
		n_checks = 0;
		assert_int_equal(ops->solve(solver_state, cy, &err), VLT_OK);
		if (n_checks > max_checks)
			max_checks = n_checks;
		snprintf(plan, sizeof(plan), "p%d", i);
		assert_int_equal(vlt__cycle_commit(cy, plan, &err), VLT_OK);
		vlt__cycle_free(cy);
	}
	print_message("ostro, one server on %u hosts, 500 times: at most %u check() calls, "
		      "%u cost() calls\n",
		      dc->n_hosts, max_checks, n_costs);
	/* one per level when the best candidate passes; never a scan of the hosts */
	assert_true(max_checks <= 10);
	assert_int_equal(n_costs, 0); /* no links: nothing to cost */
	ops->fini(solver_state);
	vlt__stack_free(st);
	vlt__ledger_free(l);
	json_decref(req);
	vlt__session_close(&s);
}

static void test_ntier_100(void **state)
{
	vlt_session_t s;
	char path[512], name[32];
	double t[10], cost[2] = {0}, cross[2] = {0};

	(void)state;
	fx_write_inventory(&b4_dc, "speed-b4", path, sizeof(path));
	for (int k = 0; k < 2; k++) {
		const char *solver = k == 0 ? "ostro" : "nova";
		fx_open(&s, path, NULL);
		for (int i = 0; i < 10; i++) {
			json_t *res;
			snprintf(name, sizeof(name), "ntier%d", i);
			json_t *req = fx_ntier(name, 100, true);
			int rc = fx_place(&s, req, solver, &res);
			if (rc != VLT_OK)
				fail_msg("%s: %s", solver, res ? fx_message(res) : "bad input");
			fx_verify_groups(req, res, NULL);
			t[i] = fx_metric(res, "solve_ms");
			cost[k] += fx_metric(res, "bandwidth_cost");
			cross[k] += fx_metric(res, "cross_rack_mbps");
			json_decref(res);
			json_decref(req);
		}
		vlt__session_close(&s);
		qsort(t, 10, sizeof(*t), by_double);
		print_message("%s, 10 x 100-server n-tier on 5000 hosts: p50 %.2f ms, max %.2f ms; "
			      "bandwidth cost %.0f, cross-rack %.0f Mbps\n",
			      solver, t[5], t[9], cost[k], cross[k]);
	}
	assert_true(cost[0] < cost[1]);
}

static void test_ntier_1000(void **state)
{
	static const inv_spec_t big = {
		.clusters = 8, .racks = 50, .hosts = 50, .vcpus = 64, .ram_mb = 262144,
		.disk_gb = 2000, .preload_pct = 60, .nic_mbps = 10000,
		.rack_uplink_mbps = 40000, .pools_per_rack = 1, .pool_gb = 50000,
	};
	vlt_session_t s;
	char path[512];
	json_t *req = fx_ntier("big", 1000, true), *res;

	(void)state;
	fx_write_inventory(&big, "speed-20k", path, sizeof(path));
	fx_open(&s, path, NULL);
	int rc = fx_place(&s, req, "ostro", &res);
	if (rc != VLT_OK)
		fail_msg("ostro: %s", res ? fx_message(res) : "bad input");
	fx_verify_groups(req, res, NULL);
	print_message("ostro, 1000-server n-tier on 20000 hosts: %.1f ms, %.0f backtracks, "
		      "bandwidth cost %.0f, cross-rack %.0f Mbps, %.0f hosts\n",
		      fx_metric(res, "solve_ms"), fx_metric(res, "backtracks"),
		      fx_metric(res, "bandwidth_cost"), fx_metric(res, "cross_rack_mbps"),
		      fx_metric(res, "hosts_used"));
	json_decref(res);
	json_decref(req);
	vlt__session_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_server),
		cmocka_unit_test(test_single_server_calls),
		cmocka_unit_test(test_ntier_100),
		cmocka_unit_test(test_ntier_1000),
	};

	/* VLT_TEST_ONLY / VLT_TEST_SKIP: run or skip the tests matching a pattern */
	if (getenv("VLT_TEST_ONLY") != NULL)
		cmocka_set_test_filter(getenv("VLT_TEST_ONLY"));
	if (getenv("VLT_TEST_SKIP") != NULL)
		cmocka_set_skip_filter(getenv("VLT_TEST_SKIP"));
	vlt__log_setup(VLT_LOG_WARNING, false, "test_solver_speed");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
