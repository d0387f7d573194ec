/*
 * test_diversity.c - the "diversity" policy through its ops table, against
 * the fake core: filter at every level, named-group persistence, child
 * groups whose domains must be disjoint, volumes, the prefilter fast path,
 * validate's nesting and tenant rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <valet/plugin.h>
#include <valet/policy.h>

#include "fake_cycle.h"
#include "policy_cases.h"

extern const vlt_plugin_info_t *const vlt_plugin_policy_diversity;

#define OPS ((const vlt_policy_ops_t *)vlt_plugin_policy_diversity)

/* Policy ids as the core would give them. */
enum { AFF = 0, DIV = 1, EX = 2 };

enum {
	G_WEB,      /* diversity host "web-div": web-1..3 */
	G_DB,       /* diversity rack, anonymous "db-div": children db-a, db-b */
	G_DBA,      /* affinity host, in db-div: db-a1, db-a2 */
	G_DBB,      /* affinity host, in db-div: db-b1 */
	G_VOL,      /* diversity cluster "vol-div": a volume and a server */
	G_EXOUT,    /* exclusivity rack "ex-outer" */
	G_DIVINEX,  /* diversity host "div-in-ex", in ex-outer: refused */
	G_DIVOUT,   /* diversity rack "div-outer" */
	G_DIVINDIV, /* diversity host "div-in-div", in div-outer: refused */
	G_AFFOUT,   /* affinity rack "aff-outer" */
	G_DIVINAFF, /* diversity host "div-in-aff", in aff-outer: fine */
	G_EXTOP,    /* exclusivity cluster "ex-top" */
	G_MID,      /* affinity rack "mid", in ex-top */
	G_DEEP,     /* diversity host "deep-div", in mid: refused (ex-top above) */
	G_TENANT,   /* diversity host "tenant-div", tenant t1 only */
	G_HOSTVOL,  /* diversity host "host-div": a volume and a server */
	N_GROUPS
};

enum {
	U_WEB1, U_WEB2, U_WEB3, U_DBA1, U_DBA2, U_DBB1, U_VOL, U_VOLSRV, U_PLAIN,
	U_AFFONLY, U_INAFF, U_HVOL, U_HSRV, N_UNITS
};

#define DIRECT(g) { .group = (g), .via = VLT_NONE }
#define VIA(g, c) { .group = (g), .via = (c) }

static const vlt_membership_t m_web[] = { DIRECT(G_WEB) };
static const vlt_membership_t m_dba[] = { DIRECT(G_DBA), VIA(G_DB, G_DBA) };
static const vlt_membership_t m_dbb[] = { DIRECT(G_DBB), VIA(G_DB, G_DBB) };
static const vlt_membership_t m_vol[] = { DIRECT(G_VOL) };
static const vlt_membership_t m_affonly[] = { DIRECT(G_MID), VIA(G_EXTOP, G_MID) };
static const vlt_membership_t m_inaff[] = { DIRECT(G_DIVINAFF), VIA(G_AFFOUT, G_DIVINAFF) };
static const vlt_membership_t m_hostvol[] = { DIRECT(G_HOSTVOL) };

#define UNIT(i, k, n, m) { .id = (i), .kind = (k), .orch_id = "id-" n, .name = n, \
			   .groups = (m), .n_groups = N_CASES(m) }
#define SERVER(i, n, m) UNIT(i, VLT_UNIT_SERVER, n, m)
#define VOLUME(i, n, m) UNIT(i, VLT_UNIT_VOLUME, n, m)

static const vlt_unit_t units[N_UNITS] = {
	[U_WEB1] = SERVER(U_WEB1, "web-1", m_web),
	[U_WEB2] = SERVER(U_WEB2, "web-2", m_web),
	[U_WEB3] = SERVER(U_WEB3, "web-3", m_web),
	[U_DBA1] = SERVER(U_DBA1, "db-a1", m_dba),
	[U_DBA2] = SERVER(U_DBA2, "db-a2", m_dba),
	[U_DBB1] = SERVER(U_DBB1, "db-b1", m_dbb),
	[U_VOL] = VOLUME(U_VOL, "vol", m_vol),
	[U_VOLSRV] = SERVER(U_VOLSRV, "vol-srv", m_vol),
	[U_PLAIN] = { .id = U_PLAIN, .kind = VLT_UNIT_SERVER, .name = "plain" },
	[U_AFFONLY] = SERVER(U_AFFONLY, "aff-only", m_affonly),
	[U_INAFF] = SERVER(U_INAFF, "in-aff", m_inaff),
	[U_HVOL] = VOLUME(U_HVOL, "host-vol", m_hostvol),
	[U_HSRV] = SERVER(U_HSRV, "host-srv", m_hostvol),
};

static const uint32_t web_units[] = { U_WEB1, U_WEB2, U_WEB3 };
static const uint32_t db_children[] = { G_DBA, G_DBB };
static const uint32_t dba_units[] = { U_DBA1, U_DBA2 };
static const uint32_t dbb_units[] = { U_DBB1 };
static const uint32_t vol_units[] = { U_VOL, U_VOLSRV };
static const uint32_t exout_children[] = { G_DIVINEX };
static const uint32_t divout_children[] = { G_DIVINDIV };
static const uint32_t affout_children[] = { G_DIVINAFF };
static const uint32_t inaff_units[] = { U_INAFF };
static const uint32_t extop_children[] = { G_MID };
static const uint32_t mid_children[] = { G_DEEP };
static const uint32_t mid_units[] = { U_AFFONLY };
static const uint32_t hostvol_units[] = { U_HVOL, U_HSRV };
static const char *const tenants[] = { "t1" };

#define GROUP(i, t, p, l, n, r, par) .id = (i), .type = (t), .policy = (p), .level = (l), \
				    .name = (n), .key = (n), .ref = (r), .parent = (par)
#define KIDS(a) .children = (a), .n_children = N_CASES(a)
#define UNITS(a) .units = (a), .n_units = N_CASES(a)
#define H VLT_LEVEL_HOST
#define R VLT_LEVEL_RACK
#define C VLT_LEVEL_CLUSTER
#define D VLT_LEVEL_DC
#define NO VLT_NONE

static const vlt_group_t groups[N_GROUPS] = {
	[G_WEB] = { GROUP(G_WEB, "diversity", DIV, H, "web-div", "web-div", NO),
		    UNITS(web_units) },
	[G_DB] = { GROUP(G_DB, "diversity", DIV, R, NULL, "db-div", NO), KIDS(db_children) },
	[G_DBA] = { GROUP(G_DBA, "affinity", AFF, H, NULL, "db-a", G_DB), UNITS(dba_units) },
	[G_DBB] = { GROUP(G_DBB, "affinity", AFF, H, NULL, "db-b", G_DB), UNITS(dbb_units) },
	[G_VOL] = { GROUP(G_VOL, "diversity", DIV, C, "vol-div", "vol-div", NO),
		    UNITS(vol_units) },
	[G_EXOUT] = { GROUP(G_EXOUT, "exclusivity", EX, R, "ex-outer", "ex-outer", NO),
		      KIDS(exout_children) },
	[G_DIVINEX] = { GROUP(G_DIVINEX, "diversity", DIV, H, "div-in-ex", "div-in-ex",
			      G_EXOUT) },
	[G_DIVOUT] = { GROUP(G_DIVOUT, "diversity", DIV, R, "div-outer", "div-outer", NO),
		       KIDS(divout_children) },
	[G_DIVINDIV] = { GROUP(G_DIVINDIV, "diversity", DIV, H, "div-in-div", "div-in-div",
			       G_DIVOUT) },
	[G_AFFOUT] = { GROUP(G_AFFOUT, "affinity", AFF, R, "aff-outer", "aff-outer", NO),
		       KIDS(affout_children) },
	[G_DIVINAFF] = { GROUP(G_DIVINAFF, "diversity", DIV, H, "div-in-aff", "div-in-aff",
			       G_AFFOUT),
			 UNITS(inaff_units) },
	[G_EXTOP] = { GROUP(G_EXTOP, "exclusivity", EX, C, "ex-top", "ex-top", NO),
		      KIDS(extop_children) },
	[G_MID] = { GROUP(G_MID, "affinity", AFF, R, "mid", "mid", G_EXTOP), KIDS(mid_children),
		    UNITS(mid_units) },
	[G_DEEP] = { GROUP(G_DEEP, "diversity", DIV, H, "deep-div", "deep-div", G_MID) },
	[G_TENANT] = { GROUP(G_TENANT, "diversity", DIV, H, "tenant-div", "tenant-div", NO),
		       .tenants = tenants, .n_tenants = 1 },
	[G_HOSTVOL] = { GROUP(G_HOSTVOL, "diversity", DIV, H, "host-div", "host-div", NO),
			UNITS(hostvol_units) },
};

static const vlt_stack_t stack = {
	.stack_id = "s-div", .plan_name = "div", .tenant_id = "t1",
	.units = units, .n_units = N_UNITS, .groups = groups, .n_groups = N_GROUPS,
};

#define PASS VLT_PASS
#define REJECT VLT_REJECT

/* Hosts h0..h7; host h is in rack h/2 and cluster h/4 (fake_dc). */
static const struct filter_case host_cases[] = {
	{ "empty: any host", 0, {{0}}, U_WEB1, H, 0, PASS, NULL },
	{ "a member's host", 1, {SRV(0, FG(G_WEB))}, U_WEB1, H, 0, REJECT,
	  "diversity(host) web-div" },
	{ "the next host", 1, {SRV(0, FG(G_WEB))}, U_WEB1, H, 1, PASS, NULL },
	{ "rack: some host inside may be free", 1, {SRV(0, FG(G_WEB))}, U_WEB1, R, 0, PASS, NULL },
	{ "rack: every host holds a member", 2, {SRV(0, FG(G_WEB)), SRV(1, FG(G_WEB))}, U_WEB3, R,
	  0, REJECT, "diversity(host) web-div" },
	{ "rack: two members on one host, one free", 2, {SRV(0, FG(G_WEB)), SRV(0, FG(G_WEB))},
	  U_WEB3, R, 0, PASS, NULL },
	{ "cluster", 1, {SRV(0, FG(G_WEB))}, U_WEB1, C, 0, PASS, NULL },
	{ "cluster: every host holds a member", 4,
	  {SRV(0, FG(G_WEB)), SRV(1, FG(G_WEB)), SRV(2, FG(G_WEB)), SRV(3, FG(G_WEB))}, U_WEB3, C,
	  0, REJECT, "diversity(host) web-div" },
	{ "cluster: three of four hosts", 3,
	  {SRV(0, FG(G_WEB)), SRV(1, FG(G_WEB)), SRV(3, FG(G_WEB))}, U_WEB3, C, 0, PASS, NULL },
	{ "datacenter", 1, {SRV(0, FG(G_WEB))}, U_WEB1, D, 0, PASS, NULL },
	{ "two members: the second's host", 2, {SRV(0, FG(G_WEB)), SRV(5, FG(G_WEB))}, U_WEB3, H, 5,
	  REJECT, "diversity(host) web-div" },
	{ "a plain server's host", 1, {SRV(1, 0)}, U_WEB1, H, 1, PASS, NULL },
	{ "another group's host", 1, {SRV(1, FG(G_DBA))}, U_WEB1, H, 1, PASS, NULL },
};

/* A named group's members of earlier plans count like this cycle's. */
static const struct filter_case named_cases[] = {
	{ "earlier plan's host", 1, {SRV(3, FG(G_WEB))}, U_WEB2, H, 3, REJECT,
	  "diversity(host) web-div" },
	{ "elsewhere", 1, {SRV(3, FG(G_WEB))}, U_WEB2, H, 4, PASS, NULL },
};

/* db-div (rack) holds db-a and db-b: their racks must not overlap. */
static const struct filter_case child_cases[] = {
	{ "same child, same rack", 1, {SRV(0, FG(G_DBA))}, U_DBA1, H, 1, PASS, NULL },
	{ "same child, same host", 1, {SRV(0, FG(G_DBA))}, U_DBA1, H, 0, PASS, NULL },
	{ "other child's rack", 1, {SRV(0, FG(G_DBA))}, U_DBB1, H, 1, REJECT,
	  "diversity(rack) db-div" },
	{ "other child's rack, by rack", 1, {SRV(0, FG(G_DBA))}, U_DBB1, R, 0, REJECT,
	  "diversity(rack) db-div" },
	{ "another rack", 1, {SRV(0, FG(G_DBA))}, U_DBB1, H, 2, PASS, NULL },
	{ "another rack, by rack", 1, {SRV(0, FG(G_DBA))}, U_DBB1, R, 1, PASS, NULL },
	{ "cluster: optimistic", 1, {SRV(0, FG(G_DBA))}, U_DBB1, C, 0, PASS, NULL },
	{ "both children placed", 2, {SRV(0, FG(G_DBA)), SRV(2, FG(G_DBB))}, U_DBA2, H, 3, REJECT,
	  "diversity(rack) db-div" },
	{ "both children placed, own rack", 2, {SRV(0, FG(G_DBA)), SRV(2, FG(G_DBB))}, U_DBA2, H, 1,
	  PASS, NULL },
	{ "a direct member of an earlier plan", 1, {SRV(4, FG(G_DB))}, U_DBA1, H, 5, REJECT,
	  "diversity(rack) db-div" },
	{ "mixed rack: own child and the other", 2, {SRV(0, FG(G_DBA)), SRV(1, FG(G_DBB))}, U_DBA1, H,
	  0, REJECT, NULL },
};

/* vol-div (cluster): a volume is asked at rack/cluster or by pool. */
static const struct filter_case volume_cases[] = {
	{ "volume: rack in the member's cluster", 1, {SRV(0, FG(G_VOL))}, U_VOL, R, 0, REJECT,
	  "diversity(cluster) vol-div" },
	{ "volume: rack in the other cluster", 1, {SRV(0, FG(G_VOL))}, U_VOL, R, 2, PASS, NULL },
	{ "volume: the member's cluster", 1, {SRV(0, FG(G_VOL))}, U_VOL, C, 0, REJECT, NULL },
	{ "volume: the other cluster", 1, {SRV(0, FG(G_VOL))}, U_VOL, C, 1, PASS, NULL },
	{ "volume: pool p0 (r0, c0)", 1, {SRV(0, FG(G_VOL))}, U_VOL, H, 0, REJECT,
	  "diversity(cluster) vol-div" },
	{ "volume: pool p2 (r2, c1)", 1, {SRV(0, FG(G_VOL))}, U_VOL, H, 2, PASS, NULL },
	{ "volume: pool p1 (no rack)", 1, {SRV(0, FG(G_VOL))}, U_VOL, H, 1, PASS, NULL },
	{ "volume: host group ignored, rack", 1, {SRV(0, FG(G_HOSTVOL))}, U_HVOL, R, 0, PASS, NULL },
	{ "volume: host group ignored, pool", 1, {SRV(0, FG(G_HOSTVOL))}, U_HVOL, H, 0, PASS, NULL },
	{ "server of that host group still held", 1, {SRV(0, FG(G_HOSTVOL))}, U_HSRV, H, 0, REJECT,
	  "diversity(host) host-div" },
	{ "a placed volume holds its cluster", 1, {VOL(0, FG(G_VOL), U_VOL)}, U_VOLSRV, H, 1,
	  REJECT, "diversity(cluster) vol-div" },
	{ "a placed volume: the other cluster", 1, {VOL(0, FG(G_VOL), U_VOL)}, U_VOLSRV, H, 4,
	  PASS, NULL },
	{ "a placed volume holds no host", 1, {VOL(0, FG(G_HOSTVOL), U_HVOL)}, U_HSRV, H, 0, PASS,
	  NULL },
};

static const struct filter_case other_cases[] = {
	{ "plain unit", 1, {SRV(0, FG(G_WEB))}, U_PLAIN, H, 0, PASS, NULL },
	{ "affinity-only unit", 1, {SRV(0, FG(G_MID))}, U_AFFONLY, H, 0, PASS, NULL },
	{ "diversity in affinity", 1, {SRV(0, FG(G_DIVINAFF))}, U_INAFF, H, 0, REJECT,
	  "diversity(host) div-in-aff" },
};

static void test_diversity_filter_host_level(void **state)
{
	(void)state;
	run_filter_cases(OPS, DIV, &stack, host_cases, N_CASES(host_cases));
}

static void test_diversity_filter_named_group_persists(void **state)
{
	(void)state;
	run_filter_cases(OPS, DIV, &stack, named_cases, N_CASES(named_cases));
}

static void test_diversity_filter_child_groups(void **state)
{
	(void)state;
	run_filter_cases(OPS, DIV, &stack, child_cases, N_CASES(child_cases));
}

static void test_diversity_filter_volumes(void **state)
{
	(void)state;
	run_filter_cases(OPS, DIV, &stack, volume_cases, N_CASES(volume_cases));
}

static void test_diversity_filter_others(void **state)
{
	(void)state;
	run_filter_cases(OPS, DIV, &stack, other_cases, N_CASES(other_cases));
}

static void test_diversity_prefilter(void **state)
{
	(void)state;
	static const struct {
		uint32_t unit;
		int want;
	} cases[] = {
		{ U_WEB1, VLT_PASS },    { U_DBA1, VLT_PASS }, { U_VOL, VLT_PASS },
		{ U_INAFF, VLT_PASS },   { U_HSRV, VLT_PASS }, { U_PLAIN, VLT_SKIP },
		{ U_AFFONLY, VLT_SKIP }, { U_HVOL, VLT_SKIP },
	};
	fake_core_t *fc;
	void *ps = policy_start(OPS, DIV, &fc);
	vlt_cycle_t *cy = fake_cycle_new(&stack);

	for (size_t i = 0; i < N_CASES(cases); i++) {
		fake_cycle_clear(cy);
		fake_cycle_place(cy, 0, FG(G_WEB) | FG(G_DBA));
		int got = OPS->prefilter(ps, cy, cases[i].unit);
		if (got != cases[i].want)
			fail_msg("prefilter of %s: got %d want %d", units[cases[i].unit].name, got,
				 cases[i].want);
		if (got == VLT_SKIP)
			assert_int_equal(fake_cycle_queries(cy), 0);
	}
	assert_true(OPS->prefilter(ps, cy, N_UNITS) < 0);
	assert_true(OPS->filter(ps, cy, N_UNITS, VLT_LEVEL_HOST, 0, NULL, 0) < 0);
	fake_cycle_free(cy);
	policy_stop(OPS, ps, fc);
}

static const struct validate_case validate_cases[] = {
	{ "named host group", G_WEB, "t1", VLT_OK, NULL },
	{ "anonymous group of groups", G_DB, "t1", VLT_OK, NULL },
	{ "cluster level", G_VOL, "t1", VLT_OK, NULL },
	{ "nested in affinity", G_DIVINAFF, "t1", VLT_OK, NULL },
	{ "nested in exclusivity", G_DIVINEX, "t1", VLT_EINVAL,
	  "group div-in-ex: diversity may not be nested in exclusivity group ex-outer" },
	{ "nested in diversity", G_DIVINDIV, "t1", VLT_EINVAL,
	  "group div-in-div: diversity may not be nested in diversity group div-outer" },
	{ "exclusivity two levels up", G_DEEP, "t1", VLT_EINVAL,
	  "group deep-div: diversity may not be nested in exclusivity group ex-top" },
	{ "member tenant", G_TENANT, "t1", VLT_OK, NULL },
	{ "other tenant", G_TENANT, "t9", VLT_EFORBIDDEN,
	  "tenant t9 is not a member of group tenant-div" },
	{ "unknown tenant", G_TENANT, NULL, VLT_EFORBIDDEN,
	  "group tenant-div is restricted to its member tenants and the request's tenant is "
	  "unknown" },
	{ "an affinity group", G_DBA, "t1", VLT_EINVAL,
	  "group db-a: type affinity is not handled here" },
};

static void test_diversity_validate(void **state)
{
	(void)state;
	run_validate_cases(OPS, DIV, &stack, validate_cases, N_CASES(validate_cases));
}

/* The built .so passes the loader's checks and filters as the linked copy does. */
static void test_diversity_module_loads(void **state)
{
	(void)state;
	run_built_module_cases("diversity", DIV, &stack, host_cases, N_CASES(host_cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diversity_module_loads),
		cmocka_unit_test(test_diversity_filter_host_level),
		cmocka_unit_test(test_diversity_filter_named_group_persists),
		cmocka_unit_test(test_diversity_filter_child_groups),
		cmocka_unit_test(test_diversity_filter_volumes),
		cmocka_unit_test(test_diversity_filter_others),
		cmocka_unit_test(test_diversity_prefilter),
		cmocka_unit_test(test_diversity_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
