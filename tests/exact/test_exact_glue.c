/*
 * test_exact_glue.c - the exact solver through its ops table, against the
 * fake core with a hand-made cycle whose check() knows a rule the model
 * does not (a vendor's "these two never share a host"): the no-good cuts,
 * rounds, limits, settings, merged hosts, units placed before the solve.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <valet/plugin.h>
#include <valet/policy.h>
#include <valet/solver.h>

#include "built_module.h"
#include "fake_core.h"

extern const vlt_plugin_info_t *const vlt_plugin_solver_exact;

#define OPS ((const vlt_solver_ops_t *)vlt_plugin_solver_exact)
#define MAXH 8
#define MAXU 4
#define MAXM 16

/* One rack (or two) of identical hosts, up to four servers. */
struct fcy {
	vlt_dc_t dc;
	vlt_host_t hosts[MAXH];
	vlt_domain_t racks[2], clusters[1];
	vlt_stack_t st;
	vlt_unit_t units[MAXU];
	vlt_link_t links[MAXU * MAXU];
	vlt_view_t view;
	int64_t host_free[MAXH][VLT_RES_COUNT];
	int64_t nic[MAXH], rack_up[2], cluster_up[1];
	uint32_t placement[MAXU];
	uint32_t apart_a, apart_b; /* the vendor rule; VLT_NONE: none */
	int fail_check;            /* a negative code check() returns, 0: none */
	uint32_t failed;           /* note_failure's unit */
	int n_assign;
	const char *metric[MAXM];
	double value[MAXM];
	int n_metrics;
};

static struct fcy *F(vlt_cycle_t *cy)
{
	return (struct fcy *)(void *)cy;
}

static const vlt_dc_t *f_dc(vlt_cycle_t *cy)
{
	return &F(cy)->dc;
}

static const vlt_stack_t *f_stack(vlt_cycle_t *cy)
{
	return &F(cy)->st;
}

static const vlt_view_t *f_view(vlt_cycle_t *cy)
{
	return &F(cy)->view;
}

static int f_check(vlt_cycle_t *cy, uint32_t u, vlt_level_t lvl, uint32_t dom)
{
	struct fcy *f = F(cy);

	if (f->fail_check)
		return f->fail_check;
	if (lvl != VLT_LEVEL_HOST)
		return VLT_PASS;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (f->units[u].demand[r] > f->host_free[dom][r])
			return VLT_REJECT;
	if ((u == f->apart_a && f->placement[f->apart_b] == dom) ||
	    (u == f->apart_b && f->placement[f->apart_a] == dom))
		return VLT_REJECT;
	return VLT_PASS;
}

static int f_assign(vlt_cycle_t *cy, uint32_t u, uint32_t loc)
{
	struct fcy *f = F(cy);

	assert_int_equal(f->placement[u], VLT_NONE);
	f->placement[u] = loc;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		f->host_free[loc][r] -= f->units[u].demand[r];
	f->n_assign++;
	return 0;
}

static void f_unassign(vlt_cycle_t *cy, uint32_t u)
{
	struct fcy *f = F(cy);
	uint32_t loc = f->placement[u];

	if (loc == VLT_NONE)
		return;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		f->host_free[loc][r] += f->units[u].demand[r];
	f->placement[u] = VLT_NONE;
}

static void f_note_failure(vlt_cycle_t *cy, uint32_t u)
{
	F(cy)->failed = u;
}

static void f_metric(vlt_cycle_t *cy, const char *name, double value)
{
	struct fcy *f = F(cy);

	assert_true(f->n_metrics < MAXM);
	f->metric[f->n_metrics] = name;
	f->value[f->n_metrics++] = value;
}

static uint32_t f_group_count(vlt_cycle_t *cy, uint32_t g, vlt_level_t lvl, uint32_t dom)
{
	(void)cy;
	(void)g;
	(void)lvl;
	(void)dom;
	return 0;
}

static uint32_t f_residents(vlt_cycle_t *cy, vlt_level_t lvl, uint32_t dom)
{
	(void)cy;
	(void)lvl;
	(void)dom;
	return 0;
}

static double metric(const struct fcy *f, const char *name)
{
	for (int i = 0; i < f->n_metrics; i++)
		if (strcmp(f->metric[i], name) == 0)
			return f->value[i];
	fail_msg("no metric %s", name);
	return -1;
}

/* n_hosts hosts of `cpus` vcpus in one rack (two when split), n_units 1-vcpu servers. */
static void fcy_init(struct fcy *f, uint32_t n_hosts, bool split, uint32_t n_units, int cpus)
{
	static const char *const names[MAXH] = { "h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7" };
	static const char *const unames[MAXU] = { "u0", "u1", "u2", "u3" };
	uint32_t n_racks = split ? 2 : 1, per = n_hosts / n_racks;

	memset(f, 0, sizeof(*f));
	for (uint32_t h = 0; h < n_hosts; h++) {
		uint32_t r = split && h >= per ? 1 : 0;
		f->hosts[h] = (vlt_host_t){ .id = h, .rack = r, .cluster = 0, .name = names[h],
					    .az = "nova", .enabled = true,
					    .nic_mbps = VLT_UNLIMITED };
		f->host_free[h][0] = cpus;
		f->host_free[h][1] = 1 << 20;
		f->host_free[h][2] = 1 << 20;
		f->nic[h] = VLT_UNLIMITED;
	}
	for (uint32_t r = 0; r < n_racks; r++) {
		f->racks[r] = (vlt_domain_t){ .id = r, .name = r ? "r1" : "r0", .parent = 0,
					      .uplink_mbps = VLT_UNLIMITED, .first_host = r * per,
					      .n_hosts = r + 1 < n_racks ? per : n_hosts - r * per,
					      .n_enabled = per };
		f->rack_up[r] = VLT_UNLIMITED;
	}
	f->clusters[0] = (vlt_domain_t){ .name = "c0", .parent = VLT_NONE,
					 .uplink_mbps = VLT_UNLIMITED, .n_hosts = n_hosts,
					 .n_racks = n_racks };
	f->cluster_up[0] = VLT_UNLIMITED;
	f->dc = (vlt_dc_t){ .name = "fake", .hosts = f->hosts, .n_hosts = n_hosts,
			    .racks = f->racks, .n_racks = n_racks, .clusters = f->clusters,
			    .n_clusters = 1 };
	for (uint32_t u = 0; u < n_units; u++) {
		f->units[u] = (vlt_unit_t){ .id = u, .kind = VLT_UNIT_SERVER, .orch_id = unames[u],
					    .name = unames[u], .demand = { 1, 1024, 10 } };
		f->placement[u] = VLT_NONE;
	}
	f->st = (vlt_stack_t){ .stack_id = "st", .units = f->units, .n_units = n_units,
			       .links = f->links };
	f->view = (vlt_view_t){ .host_free = (const int64_t(*)[VLT_RES_COUNT])f->host_free,
				.host_nic_free_mbps = f->nic, .rack_uplink_free_mbps = f->rack_up,
				.cluster_uplink_free_mbps = f->cluster_up,
				.placement = f->placement };
	f->apart_a = f->apart_b = VLT_NONE;
	f->failed = VLT_NONE;
}

static void link(struct fcy *f, uint32_t a, uint32_t b, double mbps)
{
	f->links[f->st.n_links++] = (vlt_link_t){ .a = a, .b = b, .mbps = mbps };
}

/* A fake core for the solver with the cycle callbacks and some settings ("key", "value", ...). */
static fake_core_t *core_for(const char *const *settings)
{
	fake_core_t *fc = fake_core_new();
	vlt_core_t *t;

	assert_non_null(fc);
	for (size_t i = 0; settings != NULL && settings[i] != NULL; i += 2)
		assert_int_equal(fake_core_set(fc, settings[i], settings[i + 1]), 0);
	t = fake_core_table(fc);
	t->cycle_dc = f_dc;
	t->cycle_stack = f_stack;
	t->cycle_view = f_view;
	t->check = f_check;
	t->assign = f_assign;
	t->unassign = f_unassign;
	t->note_failure = f_note_failure;
	t->metric = f_metric;
	t->group_count = f_group_count;
	t->residents = f_residents;
	return fc;
}

/* init, solve f and fini through the ops table o (the linked copy's or a loaded module's). */
static int run_with(const vlt_solver_ops_t *o, struct fcy *f, const char *const *settings,
		    vlt_err_t *err, fake_core_t **out)
{
	fake_core_t *fc = core_for(settings);
	void *st = NULL;
	int rc = o->init(fake_core_api(fc), &st, err);

	if (rc == 0) {
		rc = o->solve(st, (vlt_cycle_t *)(void *)f, err);
		o->fini(st);
	}
	if (out != NULL)
		*out = fc;
	else
		fake_core_free(fc);
	return rc;
}

static int run(struct fcy *f, const char *const *settings, vlt_err_t *err, fake_core_t **out)
{
	return run_with(OPS, f, settings, err, out);
}

/* ---------------------------------------------------------------- tests */

/* The built .so passes the loader's checks and solves through its one export. */
static void test_exact_module_loads(void **state)
{
	(void)state;
	void *so;
	const vlt_solver_ops_t *o = built_module_open(VLT_KIND_SOLVER, "exact", &so);
	struct fcy f;
	vlt_err_t err = { 0 };

	fcy_init(&f, 2, false, 2, 4);
	link(&f, 0, 1, 100);
	if (run_with(o, &f, NULL, &err, NULL) != 0)
		fail_msg("solve through the loaded module: %s", err.msg);
	/* linked and nothing against it: one host, no bandwidth cost */
	assert_int_not_equal(f.placement[0], VLT_NONE);
	assert_int_equal(f.placement[0], f.placement[1]);
	assert_true(metric(&f, "objective") == 0);
	o->fini(NULL); /* a failed init's state: fini must accept it */
	built_module_close(so);
}

/* Linked units want one host; the vendor rule refuses it: a second round. */
static void test_exact_rule_not_modelled_learnt(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };
	fake_core_t *fc;

	fcy_init(&f, 2, false, 2, 4);
	link(&f, 0, 1, 100);
	f.apart_a = 0;
	f.apart_b = 1;
	assert_int_equal(run(&f, NULL, &err, &fc), 0);
	assert_int_not_equal(f.placement[0], VLT_NONE);
	assert_int_not_equal(f.placement[1], VLT_NONE);
	assert_int_not_equal(f.placement[0], f.placement[1]);
	/* the hosts are alike: the MIP may try the other one before parting them */
	assert_true(metric(&f, "mip_rounds") >= 2 && metric(&f, "mip_rounds") <= 3);
	assert_true(metric(&f, "objective") == 200);
	assert_true(metric(&f, "gap") == 0);
	assert_true(fake_core_logged(fc, VLT_LOG_DEBUG, "cut over 2 placements"));
	fake_core_free(fc);
}

/* The cut keeps only the placements the refusal depends on. */
static void test_exact_cut_is_minimal(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };
	fake_core_t *fc;

	fcy_init(&f, 2, false, 3, 4);
	link(&f, 0, 1, 100);
	link(&f, 0, 2, 100);
	link(&f, 1, 2, 100);
	f.apart_a = 1;
	f.apart_b = 2;
	assert_int_equal(run(&f, NULL, &err, &fc), 0);
	assert_int_not_equal(f.placement[1], f.placement[2]);
	/* two of the three links cross hosts */
	assert_true(metric(&f, "objective") == 400);
	assert_true(fake_core_logged(fc, VLT_LOG_DEBUG, "u2 refused where the MIP put it; "
						       "cut over 2 placements"));
	assert_false(fake_core_logged(fc, VLT_LOG_DEBUG, "cut over 3 placements"));
	fake_core_free(fc);
}

/* One host only: the rule can never be met; the cuts prove it. */
static void test_exact_rule_impossible(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };

	fcy_init(&f, 1, false, 2, 4);
	f.apart_a = 0;
	f.apart_b = 1;
	assert_int_equal(run(&f, NULL, &err, NULL), VLT_ENOPLACE);
	assert_int_equal(f.placement[0], VLT_NONE);
	assert_int_equal(f.placement[1], VLT_NONE);
	assert_int_equal(f.failed, 1); /* the unit the check refused */
	assert_non_null(strstr(err.msg, "refused are excluded"));
	assert_non_null(strstr(err.msg, "u1"));

	/* with a single round the solver stops at the first refusal */
	static const char *const one[] = { "max_rounds", "1", NULL };
	fcy_init(&f, 2, false, 2, 4);
	link(&f, 0, 1, 10);
	f.apart_a = 0;
	f.apart_b = 1;
	assert_int_equal(run(&f, one, &err, NULL), VLT_ENOPLACE);
	assert_non_null(strstr(err.msg, "max_rounds"));
	assert_int_equal(f.placement[0], VLT_NONE);
}

/* Capacity the MIP knows: infeasible without any check refusing. */
static void test_exact_infeasible(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };

	fcy_init(&f, 2, false, 3, 1); /* three 1-vcpu servers, two 1-vcpu hosts */
	assert_int_equal(run(&f, NULL, &err, NULL), VLT_ENOPLACE);
	/* blamed: the first unit with no room once those before it are placed first-fit */
	assert_int_equal(f.failed, 2);
	assert_non_null(strstr(err.msg, "proven by the MIP"));
	/* and the first-fit placements are taken back */
	for (uint32_t u = 0; u < 3; u++)
		assert_int_equal(f.placement[u], VLT_NONE);

	/* a unit that fits nowhere is blamed at once */
	fcy_init(&f, 2, false, 2, 4);
	f.units[1].demand[0] = 5;
	assert_int_equal(run(&f, NULL, &err, NULL), VLT_ENOPLACE);
	assert_int_equal(f.failed, 1);
	assert_non_null(strstr(err.msg, "server u1: no host passes the checks"));
}

/* A unit placed before the solve stays; its partner joins it. */
static void test_exact_keeps_placed_units(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };

	fcy_init(&f, 3, false, 2, 4);
	link(&f, 0, 1, 100);
	f.placement[0] = 2;
	f.host_free[2][0] -= 1;
	assert_int_equal(run(&f, NULL, &err, NULL), 0);
	assert_int_equal(f.placement[0], 2);
	assert_int_equal(f.placement[1], 2);
	assert_int_equal(f.n_assign, 1);
}

/* Limits: the exact message; merged hosts count once. */
static void test_exact_limits(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };
	static const char *const one_unit[] = { "max_units", "1", NULL };

	fcy_init(&f, 2, false, 2, 4);
	assert_int_equal(run(&f, one_unit, &err, NULL), VLT_E2BIG);
	assert_string_equal(err.msg, "exact: 2 servers and 2 candidate hosts exceed the limit "
				     "(max_units 1, max_hosts 50); use the ostro solver");

	/* six interchangeable hosts, two servers: two hosts are enough to model */
	fcy_init(&f, 6, false, 2, 4);
	link(&f, 0, 1, 10);
	assert_int_equal(run(&f, NULL, &err, NULL), 0);
	assert_true(metric(&f, "candidate_hosts") == 2);
	assert_int_equal(f.placement[0], f.placement[1]);

	static const char *const one_host[] = { "max_hosts", "1", NULL };
	fcy_init(&f, 6, false, 2, 4);
	assert_int_equal(run(&f, one_host, &err, NULL), VLT_E2BIG);
	assert_string_equal(err.msg, "exact: 2 servers and 2 candidate hosts (of 6, "
				     "interchangeable ones set aside) exceed the limit "
				     "(max_units 20, max_hosts 1); use the ostro solver");

	static const char *const no_merge[] = { "merge_hosts", "false", NULL };
	fcy_init(&f, 6, false, 2, 4);
	assert_int_equal(run(&f, no_merge, &err, NULL), 0);
	assert_true(metric(&f, "candidate_hosts") == 6);

	/* two racks of three: racks alike too, two of each kept */
	fcy_init(&f, 6, true, 2, 4);
	assert_int_equal(run(&f, NULL, &err, NULL), 0);
	assert_true(metric(&f, "candidate_hosts") == 4);
	/* one host differs: it is kept apart from the others of its rack */
	fcy_init(&f, 6, true, 2, 4);
	f.host_free[4][0] = 3;
	assert_int_equal(run(&f, NULL, &err, NULL), 0);
	assert_true(metric(&f, "candidate_hosts") == 5);
}

static void test_exact_settings(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };
	static const char *const zero[] = { "max_units", "0", NULL };
	static const char *const neg[] = { "time_limit_s", "-1", NULL };
	static const char *const word[] = { "max_hosts", "many", NULL };

	fcy_init(&f, 2, false, 1, 4);
	assert_int_equal(run(&f, zero, &err, NULL), VLT_ECONFIG);
	assert_non_null(strstr(err.msg, "max_units must be positive"));
	assert_int_equal(run(&f, neg, &err, NULL), VLT_ECONFIG);
	assert_non_null(strstr(err.msg, "time_limit_s"));
	assert_int_equal(run(&f, word, &err, NULL), VLT_ECONFIG);

	static const char *const all[] = { "max_units", "5", "max_hosts", "9", "time_limit_s",
					   "2.5", "max_rounds", "3", "merge_hosts", "true", NULL };
	fake_core_t *fc;
	assert_int_equal(run(&f, all, &err, &fc), 0);
	assert_true(fake_core_was_read(fc, "max_units"));
	assert_true(fake_core_was_read(fc, "max_hosts"));
	assert_true(fake_core_was_read(fc, "time_limit_s"));
	assert_true(fake_core_was_read(fc, "max_rounds"));
	assert_true(fake_core_was_read(fc, "merge_hosts"));
	fake_core_free(fc);
}

/* A check that fails aborts the solve with its code and nothing assigned. */
static void test_exact_check_error(void **state)
{
	(void)state;
	struct fcy f;
	vlt_err_t err = { 0 };

	fcy_init(&f, 2, false, 2, 4);
	f.fail_check = VLT_EINTERNAL;
	assert_int_equal(run(&f, NULL, &err, NULL), VLT_EINTERNAL);
	assert_non_null(strstr(err.msg, "check of u0"));
	assert_int_equal(f.n_assign, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_module_loads),
		cmocka_unit_test(test_exact_rule_not_modelled_learnt),
		cmocka_unit_test(test_exact_cut_is_minimal),
		cmocka_unit_test(test_exact_rule_impossible),
		cmocka_unit_test(test_exact_infeasible),
		cmocka_unit_test(test_exact_keeps_placed_units),
		cmocka_unit_test(test_exact_limits),
		cmocka_unit_test(test_exact_settings),
		cmocka_unit_test(test_exact_check_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
