/*
 * test_exact_mip.c - the exact solver's model (plugins/solvers/exact/mip.c)
 * on plain inputs: small cases whose optimum is worked out by hand, and
 * random small problems checked against an independent brute force that
 * enumerates every assignment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mip.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define UNL VLT_UNLIMITED

/* A host of rack r, cluster c with vcpus free (plenty of ram and disk). */
#define HOST(r, c, cpu) { .rack = (r), .cluster = (c), .free = { (cpu), 1 << 20, 1 << 20 }, \
			  .nic_free_mbps = UNL }
#define SRV(cpu, cs) { .server = true, .demand = { (cpu), 1024, 10 }, .cand = (cs), \
			 .n_cand = N_OF(cs) }

static const int64_t unl[8] = { UNL, UNL, UNL, UNL, UNL, UNL, UNL, UNL };

static int solve(const exact_problem_t *p, const exact_cuts_t *cuts, exact_result_t *res)
{
	vlt_err_t err = { 0 };
	int rc = exact_mip_solve(p, cuts, 20, res, &err);

	if (rc < 0)
		fail_msg("exact_mip_solve: %d %s", rc, err.msg);
	return rc;
}

/* ---------------------------------------------------------------- hand-made cases */

static const uint32_t all3[] = { 0, 1, 2 };

/*
 * Four servers of 2 vcpus on one rack of three 4-vcpu hosts: at most two
 * per host. Links a-b 100, b-c 100, c-d 100, a-d 10. Best: {a,b} and
 * {c,d}, crossing b-c and a-d once within the rack: 2 x 100 + 2 x 10 = 220
 * on two hosts.
 */
static void test_mip_split_in_one_rack(void **state)
{
	(void)state;
	const exact_loc_t locs[] = { HOST(0, 0, 4), HOST(0, 0, 4), HOST(0, 0, 4) };
	const exact_unit_t units[] = { SRV(2, all3), SRV(2, all3), SRV(2, all3), SRV(2, all3) };
	const exact_link_t links[] = { { 0, 1, 100, false }, { 1, 2, 100, false },
				       { 2, 3, 100, false }, { 0, 3, 10, false } };
	const exact_problem_t p = { .locs = locs, .n_locs = 3, .rack_uplink_free_mbps = unl,
				    .n_racks = 1, .cluster_uplink_free_mbps = unl,
				    .n_clusters = 1, .units = units, .n_units = 4,
				    .links = links, .n_links = 4 };
	uint32_t loc[4];
	exact_result_t res = { .loc = loc };

	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_true(res.bandwidth_cost == 220);
	assert_int_equal(loc[0], loc[1]);
	assert_int_equal(loc[2], loc[3]);
	assert_int_not_equal(loc[0], loc[2]);
	assert_true(res.gap == 0);
}

/*
 * Two racks of two 2-vcpu hosts in one cluster; servers a, b, c of 2 vcpus
 * (one per host); links a-b 100, a-c 100. One of b, c shares a's rack
 * (d = 1), the other cannot (d = 2): 2 x 100 + 4 x 100 = 600. The link
 * that crosses is charged on both racks' uplinks: with 150 free it fits,
 * with 50 it does not, and three servers never fit in one rack.
 */
static void test_mip_uplink_limits_where_links_cross(void **state)
{
	(void)state;
	const exact_loc_t locs[] = { HOST(0, 0, 2), HOST(0, 0, 2), HOST(1, 0, 2), HOST(1, 0, 2) };
	static const uint32_t all4[] = { 0, 1, 2, 3 };
	static const uint32_t rack1[] = { 2, 3 };
	const exact_unit_t units[] = { SRV(2, all4), SRV(2, all4), SRV(2, all4) };
	const exact_link_t links[] = { { 0, 1, 100, false }, { 0, 2, 100, false } };
	const int64_t up[] = { 150, UNL };
	exact_problem_t p = { .locs = locs, .n_locs = 4, .rack_uplink_free_mbps = up,
			      .n_racks = 2, .cluster_uplink_free_mbps = unl, .n_clusters = 1,
			      .units = units, .n_units = 3, .links = links, .n_links = 2 };
	uint32_t loc[3];
	exact_result_t res = { .loc = loc };

	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_true(res.bandwidth_cost == 600);

	/* a confined to rack 1: b or c stays with it, the other crosses from rack 0 */
	exact_unit_t u2[] = { SRV(2, rack1), SRV(2, all4), SRV(2, all4) };
	p.units = u2;
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_true(res.bandwidth_cost == 600);
	assert_true(loc[0] >= 2);

	/* with rack 0's uplink at 50 nothing may cross from it: a, b, c need
	 * three hosts in one rack, and there are two: infeasible */
	const int64_t up2[] = { 50, 50 };
	p.rack_uplink_free_mbps = up2;
	p.units = units;
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_INFEASIBLE);
}

/* NIC: a host whose NIC is full takes a unit only with all its peers. */
static void test_mip_nic_keeps_peers_together(void **state)
{
	(void)state;
	exact_loc_t locs[] = { HOST(0, 0, 8), HOST(1, 0, 8) };
	static const uint32_t both[] = { 0, 1 };
	static const uint32_t only0[] = { 0 };
	/* b must be on host 0 and does not fit with a; a-b 100 Mbps over NICs of 50 */
	const exact_unit_t units[] = { SRV(4, both), SRV(6, only0) };
	const exact_link_t links[] = { { 0, 1, 100, false } };
	exact_problem_t p = { .locs = locs, .n_locs = 2, .rack_uplink_free_mbps = unl,
			      .n_racks = 2, .cluster_uplink_free_mbps = unl, .n_clusters = 1,
			      .units = units, .n_units = 2, .links = links, .n_links = 1 };
	uint32_t loc[2];
	exact_result_t res = { .loc = loc };

	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_true(res.bandwidth_cost == 400); /* across racks: d = 2 */
	locs[0].nic_free_mbps = 50;
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_INFEASIBLE);
	locs[0].nic_free_mbps = 100; /* exactly enough */
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
}

/*
 * Groups on two racks of two hosts: diversity(host) forces a and b apart,
 * affinity(rack) keeps c with a, exclusivity(host) of {d} keeps d alone.
 */
static void test_mip_groups(void **state)
{
	(void)state;
	const exact_loc_t locs[] = { HOST(0, 0, 16), HOST(0, 0, 16), HOST(1, 0, 16),
				     HOST(1, 0, 16) };
	static const uint32_t all4[] = { 0, 1, 2, 3 };
	const exact_unit_t units[] = { SRV(1, all4), SRV(1, all4), SRV(1, all4), SRV(1, all4) };
	/* every pair linked: without groups all four would share one host */
	const exact_link_t links[] = { { 0, 1, 10, false }, { 0, 2, 10, false },
				       { 0, 3, 10, false }, { 1, 2, 10, false },
				       { 1, 3, 10, false }, { 2, 3, 10, false } };
	static const uint32_t div_ab[] = { 0, 1 };
	static const uint32_t aff_ac[] = { 0, 2 };
	static const uint32_t ex_d[] = { 3 };
	const exact_group_t groups[] = {
		{ .type = EXACT_DIVERSITY, .level = VLT_LEVEL_HOST, .members = div_ab,
		  .n_members = 2 },
		{ .type = EXACT_AFFINITY, .level = VLT_LEVEL_RACK, .members = aff_ac,
		  .n_members = 2 },
		{ .type = EXACT_EXCLUSIVITY, .level = VLT_LEVEL_HOST, .members = ex_d,
		  .n_members = 1 },
	};
	exact_problem_t p = { .locs = locs, .n_locs = 4, .rack_uplink_free_mbps = unl,
			      .n_racks = 2, .cluster_uplink_free_mbps = unl, .n_clusters = 1,
			      .units = units, .n_units = 4, .links = links, .n_links = 6 };
	uint32_t loc[4];
	exact_result_t res = { .loc = loc };

	solve(&p, NULL, &res);
	assert_true(res.bandwidth_cost == 0);
	p.groups = groups;
	p.n_groups = N_OF(groups);
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_int_not_equal(loc[0], loc[1]);
	assert_int_equal(locs[loc[0]].rack, locs[loc[2]].rack);
	for (int u = 0; u < 3; u++)
		assert_int_not_equal(loc[u], loc[3]);
	/* a, b and d need three hosts, a rack has two, and c stays in a's
	 * rack. Best (160): one rack holds a and c on one host with d beside
	 * them, b alone in the other (a-b, b-c, b-d cross racks: 3 x 40; a-d,
	 * c-d within: 2 x 20); or a alone, b with c, d in the other rack
	 * (a-d, b-d, c-d: 3 x 40; a-b, a-c: 2 x 20). c always shares a host. */
	assert_true(res.bandwidth_cost == 160);
	assert_true(loc[2] == loc[0] || loc[2] == loc[1]);
}

/* Diversity with child branches: {a1, a2} and {b} in disjoint racks, a1 and a2 may share. */
static void test_mip_diversity_branches(void **state)
{
	(void)state;
	const exact_loc_t locs[] = { HOST(0, 0, 16), HOST(1, 0, 16), HOST(2, 0, 16) };
	const exact_unit_t units[] = { SRV(1, all3), SRV(1, all3), SRV(1, all3) };
	const exact_link_t links[] = { { 0, 1, 10, false }, { 0, 2, 10, false },
				       { 1, 2, 10, false } };
	static const uint32_t mem[] = { 0, 1, 2 };
	static const uint32_t br[] = { 7, 7, 9 };
	const exact_group_t groups[] = { { .type = EXACT_DIVERSITY, .level = VLT_LEVEL_RACK,
					   .members = mem, .n_members = 3, .branch = br } };
	const exact_problem_t p = { .locs = locs, .n_locs = 3, .rack_uplink_free_mbps = unl,
				    .n_racks = 3, .cluster_uplink_free_mbps = unl,
				    .n_clusters = 1, .units = units, .n_units = 3,
				    .links = links, .n_links = 3, .groups = groups,
				    .n_groups = 1 };
	uint32_t loc[3];
	exact_result_t res = { .loc = loc };

	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_int_equal(loc[0], loc[1]);
	assert_int_not_equal(loc[0], loc[2]);
	assert_true(res.bandwidth_cost == 2 * 10 * 2 * 2);
}

/* A no-good cut removes the optimum; the next best is found. */
static void test_mip_cut_excludes_combination(void **state)
{
	(void)state;
	const exact_loc_t locs[] = { HOST(0, 0, 8), HOST(0, 0, 8), HOST(1, 0, 8) };
	static const uint32_t only2[] = { 2 };
	const exact_unit_t units[] = { SRV(1, all3), SRV(1, only2) };
	const exact_link_t links[] = { { 0, 1, 5, false } };
	const exact_problem_t p = { .locs = locs, .n_locs = 3, .rack_uplink_free_mbps = unl,
				    .n_racks = 2, .cluster_uplink_free_mbps = unl,
				    .n_clusters = 1, .units = units, .n_units = 2,
				    .links = links, .n_links = 1 };
	exact_cuts_t *cuts = exact_cuts_new();
	uint32_t loc[2];
	exact_result_t res = { .loc = loc };
	const uint32_t cu[] = { 0, 1 }, cl[] = { 2, 2 };

	assert_non_null(cuts);
	solve(&p, cuts, &res);
	assert_int_equal(loc[0], 2);
	assert_int_equal(exact_cuts_add(cuts, cu, cl, 2), 0);
	assert_int_equal(exact_cuts_count(cuts), 1);
	solve(&p, cuts, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_int_not_equal(loc[0], 2);
	assert_true(res.bandwidth_cost == 2 * 5 * 2);
	const uint32_t cu2[] = { 0 }, cl0[] = { 0 }, cl1[] = { 1 };
	assert_int_equal(exact_cuts_add(cuts, cu2, cl0, 1), 0);
	assert_int_equal(exact_cuts_add(cuts, cu2, cl1, 1), 0);
	solve(&p, cuts, &res);
	assert_int_equal(res.status, EXACT_INFEASIBLE);
	exact_cuts_free(cuts);
	exact_cuts_free(NULL);
}

/*
 * Volumes: a pool in rack 0 and a pool outside every rack. An attachment
 * (no bandwidth) prefers the pool in the server's rack. Affinity(rack)
 * with a volume: a pool outside every rack is not held to the rack.
 */
static void test_mip_volumes_and_attachments(void **state)
{
	(void)state;
	exact_loc_t locs[] = {
		HOST(0, 0, 8),
		HOST(1, 0, 8),
		{ .pool = true, .rack = 0, .cluster = 0, .free = { 0, 0, 100 } },
		{ .pool = true, .rack = 2, .cluster = 1, .own_rack = true, .own_cluster = true,
		  .free = { 0, 0, 100 } },
	};
	static const uint32_t h1[] = { 1 };
	static const uint32_t pools[] = { 2, 3 };
	const exact_unit_t units[] = {
		SRV(1, h1),
		{ .server = false, .demand = { 0, 0, 50 }, .cand = pools, .n_cand = 2 },
	};
	const exact_link_t att[] = { { 0, 1, 0, true } };
	exact_problem_t p = { .locs = locs, .n_locs = 4, .rack_uplink_free_mbps = unl,
			      .n_racks = 3, .cluster_uplink_free_mbps = unl, .n_clusters = 2,
			      .units = units, .n_units = 2, .links = att, .n_links = 1 };
	uint32_t loc[2];
	exact_result_t res = { .loc = loc };

	/* server in rack 1; pool 2 is in rack 0 of the same cluster (d = 2),
	 * pool 3 outside everything (d = 3): the attachment prefers pool 2 */
	solve(&p, NULL, &res);
	assert_int_equal(loc[1], 2);
	assert_true(res.bandwidth_cost == 0);
	/* affinity(rack) of server (rack 1) and volume: pool 2 (rack 0) is out,
	 * pool 3 is seen by no rack, so it is free of the group */
	static const uint32_t mem[] = { 0, 1 };
	const exact_group_t aff[] = { { .type = EXACT_AFFINITY, .level = VLT_LEVEL_RACK,
					.members = mem, .n_members = 2 } };
	p.groups = aff;
	p.n_groups = 1;
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_int_equal(loc[1], 3);
	/* a pool with a cluster but its own rack: held to the group's cluster */
	locs[3].own_cluster = false;
	locs[3].cluster = 1;
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_INFEASIBLE);
	locs[3].cluster = 0;
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_int_equal(loc[1], 3);
}

/* Pool capacity and exclusivity with a volume outsider at rack level. */
static void test_mip_pool_capacity(void **state)
{
	(void)state;
	const exact_loc_t locs[] = {
		{ .pool = true, .rack = 0, .cluster = 0, .free = { 0, 0, 100 } },
		{ .pool = true, .rack = 1, .cluster = 0, .free = { 0, 0, 100 } },
	};
	static const uint32_t pools[] = { 0, 1 };
	const exact_unit_t units[] = {
		{ .demand = { 0, 0, 60 }, .cand = pools, .n_cand = 2 },
		{ .demand = { 0, 0, 60 }, .cand = pools, .n_cand = 2 },
		{ .demand = { 0, 0, 60 }, .cand = pools, .n_cand = 2 },
	};
	const exact_problem_t p = { .locs = locs, .n_locs = 2, .rack_uplink_free_mbps = unl,
				    .n_racks = 2, .cluster_uplink_free_mbps = unl,
				    .n_clusters = 1, .units = units, .n_units = 3 };
	uint32_t loc[3];
	exact_result_t res = { .loc = loc };

	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_INFEASIBLE);
	const exact_problem_t p2 = { .locs = locs, .n_locs = 2, .rack_uplink_free_mbps = unl,
				     .n_racks = 2, .cluster_uplink_free_mbps = unl,
				     .n_clusters = 1, .units = units, .n_units = 2 };
	solve(&p2, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	assert_int_not_equal(loc[0], loc[1]);
}

/* Hosts used come second: one host when nothing else matters. */
static void test_mip_consolidates(void **state)
{
	(void)state;
	exact_loc_t locs[] = { HOST(0, 0, 8), HOST(0, 0, 8), HOST(0, 0, 8) };
	const exact_unit_t units[] = { SRV(2, all3), SRV(2, all3), SRV(2, all3) };
	exact_problem_t p = { .locs = locs, .n_locs = 3, .rack_uplink_free_mbps = unl,
			      .n_racks = 1, .cluster_uplink_free_mbps = unl, .n_clusters = 1,
			      .units = units, .n_units = 3 };
	uint32_t loc[3];
	exact_result_t res = { .loc = loc };

	solve(&p, NULL, &res);
	assert_int_equal(loc[0], loc[1]);
	assert_int_equal(loc[1], loc[2]);
	/* interchangeable hosts: the first is used */
	for (int i = 0; i < 3; i++)
		locs[i].sym = 5;
	solve(&p, NULL, &res);
	assert_int_equal(loc[0], 0);
	assert_int_equal(loc[2], 0);
}

/* A unit without candidates, and an inconsistent problem. */
static void test_mip_degenerate(void **state)
{
	(void)state;
	const exact_loc_t locs[] = { HOST(0, 0, 8) };
	static const uint32_t none[] = { 0 };
	const exact_unit_t units[] = { { .server = true, .cand = none, .n_cand = 0 } };
	exact_problem_t p = { .locs = locs, .n_locs = 1, .rack_uplink_free_mbps = unl,
			      .n_racks = 1, .cluster_uplink_free_mbps = unl, .n_clusters = 1,
			      .units = units, .n_units = 1 };
	uint32_t loc[1];
	exact_result_t res = { .loc = loc };
	vlt_err_t err = { 0 };

	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_INFEASIBLE);
	p.n_units = 0;
	solve(&p, NULL, &res);
	assert_int_equal(res.status, EXACT_OPTIMAL);
	static const uint32_t bad[] = { 4 };
	const exact_unit_t ub[] = { { .server = true, .cand = bad, .n_cand = 1 } };
	p.units = ub;
	p.n_units = 1;
	assert_int_equal(exact_mip_solve(&p, NULL, 5, &res, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "unit 0"));
}

/* ---------------------------------------------------------------- brute force */

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r, uint32_t n)
{
	r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)((r->s >> 33) % n);
}

#define MAXU 5
#define MAXL 6
#define MAXG 3

struct rcase {
	exact_loc_t locs[MAXL];
	int64_t rack_up[MAXL], cl_up[MAXL];
	exact_unit_t units[MAXU];
	uint32_t cand[MAXU][MAXL];
	exact_link_t links[MAXU * MAXU];
	exact_group_t groups[MAXG];
	uint32_t members[MAXG][MAXU], branch[MAXG][MAXU];
	exact_problem_t p;
};

static bool is_cand(const struct rcase *c, uint32_t u, uint32_t h)
{
	for (uint32_t k = 0; k < c->units[u].n_cand; k++)
		if (c->cand[u][k] == h)
			return true;
	return false;
}

/* Hosts of one rack alike in everything the model reads share a class. */
static void mark_twins(struct rcase *c, uint32_t nl, uint32_t nu)
{
	for (uint32_t h = 1; h < nl; h++) {
		for (uint32_t k = 0; k < h; k++) {
			const exact_loc_t *a = &c->locs[k], *b = &c->locs[h];
			bool same = a->rack == b->rack && a->free[0] == b->free[0] &&
				    a->nic_free_mbps == b->nic_free_mbps;
			for (uint32_t u = 0; u < nu && same; u++)
				same = is_cand(c, u, k) == is_cand(c, u, h);
			if (same) {
				if (c->locs[k].sym == 0)
					c->locs[k].sym = k + 1;
				c->locs[h].sym = c->locs[k].sym;
				break;
			}
		}
	}
}

static void random_case(struct rng *r, struct rcase *c)
{
	memset(c, 0, sizeof(*c));
	uint32_t nl = 3 + rnd(r, MAXL - 2), nc = 1 + rnd(r, 2), nr = 0;
	for (uint32_t h = 0; h < nl; h++) {
		exact_loc_t *l = &c->locs[h];
		/* racks in order: a new rack now and then, racks grouped in clusters */
		if (h == 0 || rnd(r, 2) == 0)
			c->rack_up[nr++] = rnd(r, 3) == 0 ? 10 + 10 * rnd(r, 4) : UNL;
		l->rack = nr - 1;
		l->cluster = l->rack * nc / (nl + 1);
		l->free[0] = 2 + rnd(r, 5);
		if (h > 0 && c->locs[h - 1].rack == l->rack && rnd(r, 2) == 0)
			l->free[0] = c->locs[h - 1].free[0]; /* a twin, maybe interchangeable */
		l->free[1] = 1 << 20;
		l->free[2] = 1 << 20;
		l->nic_free_mbps = rnd(r, 4) == 0 ? 10 * rnd(r, 5) : UNL;
	}
	uint32_t ncl = 0;
	for (uint32_t h = 0; h < nl; h++)
		ncl = c->locs[h].cluster + 1 > ncl ? c->locs[h].cluster + 1 : ncl;
	for (uint32_t k = 0; k < ncl; k++)
		c->cl_up[k] = rnd(r, 3) == 0 ? 10 + 10 * rnd(r, 3) : UNL;
	uint32_t nu = 2 + rnd(r, MAXU - 1);
	for (uint32_t u = 0; u < nu; u++) {
		exact_unit_t *un = &c->units[u];
		un->server = true;
		un->demand[0] = 1 + rnd(r, 3);
		bool any = rnd(r, 2) == 0;
		for (uint32_t h = 0; h < nl; h++)
			if (any || rnd(r, 5) != 0)
				c->cand[u][un->n_cand++] = h;
		if (un->n_cand == 0)
			c->cand[u][un->n_cand++] = rnd(r, nl);
		un->cand = c->cand[u];
	}
	mark_twins(c, nl, nu);
	uint32_t nlk = 0;
	for (uint32_t a = 0; a < nu; a++) {
		for (uint32_t b = a + 1; b < nu; b++) {
			if (rnd(r, 2) == 0)
				continue;
			bool att = rnd(r, 5) == 0;
			c->links[nlk++] = (exact_link_t){ a, b, att ? 0 : 10.0 * (1 + rnd(r, 5)),
							  att };
		}
	}
	uint32_t ng = rnd(r, MAXG + 1);
	for (uint32_t g = 0; g < ng; g++) {
		exact_group_t *eg = &c->groups[g];
		eg->type = (exact_gtype_t)rnd(r, 3);
		eg->level = (vlt_level_t)rnd(r, 3);
		for (uint32_t u = 0; u < nu; u++) {
			if (rnd(r, 2) == 0)
				continue;
			c->members[g][eg->n_members] = u;
			c->branch[g][eg->n_members++] = rnd(r, 3) == 0 ? 100 : u;
		}
		eg->members = c->members[g];
		eg->branch = c->branch[g];
	}
	c->p = (exact_problem_t){ .locs = c->locs, .n_locs = nl, .rack_uplink_free_mbps =
				  c->rack_up, .n_racks = nr, .cluster_uplink_free_mbps = c->cl_up,
				  .n_clusters = ncl, .units = c->units, .n_units = nu,
				  .links = c->links, .n_links = nlk, .groups = c->groups,
				  .n_groups = ng };
}

static uint32_t dom(const exact_problem_t *p, uint32_t loc, vlt_level_t lvl)
{
	return lvl == VLT_LEVEL_HOST ? loc : lvl == VLT_LEVEL_RACK ? p->locs[loc].rack
								   : p->locs[loc].cluster;
}

/* The traffic leaving domain d of lvl must fit its free bandwidth. */
static bool bw_ok(const exact_problem_t *p, const uint32_t *loc, vlt_level_t lvl, uint32_t d,
		  int64_t free_mbps)
{
	int64_t used = 0;

	if (free_mbps == UNL)
		return true;
	for (uint32_t i = 0; i < p->n_links; i++) {
		const exact_link_t *l = &p->links[i];
		bool ia = dom(p, loc[l->a], lvl) == d, ib = dom(p, loc[l->b], lvl) == d;
		if (!l->attachment && ia != ib)
			used += (int64_t)(l->mbps + 0.5);
	}
	return used <= free_mbps;
}

static bool group_ok(const exact_problem_t *p, const exact_group_t *g, const uint32_t *loc)
{
	for (uint32_t i = 0; i < g->n_members; i++) {
		for (uint32_t j = 0; j < g->n_members; j++) {
			uint32_t di = dom(p, loc[g->members[i]], g->level);
			uint32_t dj = dom(p, loc[g->members[j]], g->level);
			if (g->type == EXACT_AFFINITY && di != dj)
				return false;
			if (g->type == EXACT_DIVERSITY && g->branch[i] != g->branch[j] && di == dj)
				return false;
		}
		if (g->type != EXACT_EXCLUSIVITY)
			continue;
		for (uint32_t u = 0; u < p->n_units; u++) {
			bool member = false;
			for (uint32_t j = 0; j < g->n_members; j++)
				member |= g->members[j] == u;
			if (!member && dom(p, loc[u], g->level) ==
					       dom(p, loc[g->members[i]], g->level))
				return false;
		}
	}
	return true;
}

static bool feasible(const exact_problem_t *p, const uint32_t *loc)
{
	for (uint32_t h = 0; h < p->n_locs; h++) {
		int64_t used = 0;
		for (uint32_t u = 0; u < p->n_units; u++)
			used += loc[u] == h ? p->units[u].demand[0] : 0;
		if (used > p->locs[h].free[0] ||
		    !bw_ok(p, loc, VLT_LEVEL_HOST, h, p->locs[h].nic_free_mbps))
			return false;
	}
	for (uint32_t r = 0; r < p->n_racks; r++)
		if (!bw_ok(p, loc, VLT_LEVEL_RACK, r, p->rack_uplink_free_mbps[r]))
			return false;
	for (uint32_t k = 0; k < p->n_clusters; k++)
		if (!bw_ok(p, loc, VLT_LEVEL_CLUSTER, k, p->cluster_uplink_free_mbps[k]))
			return false;
	for (uint32_t g = 0; g < p->n_groups; g++)
		if (!group_ok(p, &p->groups[g], loc))
			return false;
	return true;
}

struct score {
	double bw;
	int att;
	int hosts;
};

static struct score score_of(const exact_problem_t *p, const uint32_t *loc)
{
	struct score s = { exact_bandwidth_cost(p, loc), 0, 0 };
	bool used[MAXL] = { false };

	for (uint32_t i = 0; i < p->n_links; i++)
		if (p->links[i].attachment)
			s.att += exact_distance(p, loc[p->links[i].a], loc[p->links[i].b]);
	for (uint32_t u = 0; u < p->n_units; u++) {
		s.hosts += !used[loc[u]];
		used[loc[u]] = true;
	}
	return s;
}

static bool better(struct score a, struct score b)
{
	if (a.bw != b.bw)
		return a.bw < b.bw;
	if (a.att != b.att)
		return a.att < b.att;
	return a.hosts < b.hosts;
}

/* Enumerate every assignment of candidates. RET whether one is feasible. */
static bool brute(const exact_problem_t *p, struct score *best)
{
	uint32_t idx[MAXU] = { 0 }, loc[MAXU];
	bool found = false;

	for (;;) {
		for (uint32_t u = 0; u < p->n_units; u++)
			loc[u] = p->units[u].cand[idx[u]];
		if (feasible(p, loc)) {
			struct score s = score_of(p, loc);
			if (!found || better(s, *best))
				*best = s;
			found = true;
		}
		uint32_t u = 0;
		while (u < p->n_units && ++idx[u] == p->units[u].n_cand)
			idx[u++] = 0;
		if (u == p->n_units)
			return found;
	}
}

static void test_mip_matches_brute_force(void **state)
{
	(void)state;
	struct rng r = { 20240611 };
	struct rcase *c = malloc(sizeof(*c));
	int n_feasible = 0, n_infeasible = 0, n_twins = 0;

	assert_non_null(c);
	for (int i = 0; i < 500; i++) {
		random_case(&r, c);
		uint32_t loc[MAXU];
		exact_result_t res = { .loc = loc };
		struct score best = { 0 };
		bool ok = brute(&c->p, &best);
		for (uint32_t h = 0; h < c->p.n_locs; h++)
			if (c->locs[h].sym != 0 && c->locs[h].sym != h + 1) {
				n_twins++;
				break;
			}

		solve(&c->p, NULL, &res);
		if (!ok) {
			if (res.status != EXACT_INFEASIBLE)
				fail_msg("case %d: brute force finds nothing, MIP status %d", i,
					 (int)res.status);
			n_infeasible++;
			continue;
		}
		n_feasible++;
		if (res.status != EXACT_OPTIMAL)
			fail_msg("case %d: MIP status %d, brute force cost %g", i,
				 (int)res.status, best.bw);
		if (!feasible(&c->p, loc))
			fail_msg("case %d: the MIP's solution breaks a constraint", i);
		struct score got = score_of(&c->p, loc);
		if (better(best, got) || better(got, best))
			fail_msg("case %d: MIP (%g, %d, %d) vs brute force (%g, %d, %d)", i,
				 got.bw, got.att, got.hosts, best.bw, best.att, best.hosts);
	}
	/* the generator must exercise both outcomes */
	assert_true(n_feasible > 50);
	assert_true(n_infeasible > 10);
	assert_true(n_twins > 20);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mip_split_in_one_rack),
		cmocka_unit_test(test_mip_uplink_limits_where_links_cross),
		cmocka_unit_test(test_mip_nic_keeps_peers_together),
		cmocka_unit_test(test_mip_groups),
		cmocka_unit_test(test_mip_diversity_branches),
		cmocka_unit_test(test_mip_cut_excludes_combination),
		cmocka_unit_test(test_mip_volumes_and_attachments),
		cmocka_unit_test(test_mip_pool_capacity),
		cmocka_unit_test(test_mip_consolidates),
		cmocka_unit_test(test_mip_degenerate),
		cmocka_unit_test(test_mip_matches_brute_force),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
