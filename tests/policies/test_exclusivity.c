/*
 * test_exclusivity.c - the "exclusivity" policy through its ops table,
 * against the fake core: members against plain servers, other exclusivity
 * groups and preloaded hosts; non-members kept out of held domains; named
 * groups of earlier plans; volumes; the prefilter fast path; validate's
 * name, nesting, one-per-level and tenant rules.
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

extern const vlt_plugin_info_t *const vlt_plugin_policy_exclusivity;

#define OPS ((const vlt_policy_ops_t *)vlt_plugin_policy_exclusivity)

/* Policy ids as the core would give them. */
enum { AFF = 0, DIV = 1, EX = 2 };

enum {
	G_DB,       /* exclusivity host "db-ex": db-1, db-2, and a volume */
	G_RACK,     /* exclusivity rack "rack-ex": rack-1 and a volume */
	G_OTHER,    /* exclusivity host "other-ex": other-1 */
	G_AFF,      /* affinity host "aff": aff-1 */
	G_ANON,     /* exclusivity host without a name: refused */
	G_EXA,      /* exclusivity host "ex-a" } both hold "multi": refused */
	G_EXB,      /* exclusivity host "ex-b" } */
	G_EXR,      /* exclusivity rack "ex-r" } both hold "two": fine */
	G_EXH,      /* exclusivity host "ex-h" } */
	G_DIVTOP,   /* diversity rack "div-top" */
	G_EXINDIV,  /* exclusivity host "ex-in-div", in div-top: refused */
	G_EXTOP,    /* exclusivity rack "ex-top" */
	G_EXINEX,   /* exclusivity host "ex-in-ex", in ex-top: refused */
	G_AFFTOP,   /* affinity rack "aff-top" */
	G_EXINAFF,  /* exclusivity host "ex-in-aff", in aff-top: fine */
	G_TENANT,   /* exclusivity host "tenant-ex", tenant t1 only */
	G_NESTX,    /* exclusivity host "ex-x" holding nest-aff */
	G_NESTAFF,  /* affinity host, in ex-x: "nest" */
	G_NESTY,    /* exclusivity host "ex-y": "nest" again, refused */
	N_GROUPS
};

enum {
	U_DB1, U_DB2, U_R1, U_RVOL, U_O1, U_AFF, U_PLAIN, U_PVOL, U_ANON, U_MULTI, U_TWO,
	U_INAFF, U_NEST, U_HVOL, N_UNITS
};

#define DIRECT(g) { .group = (g), .via = VLT_NONE }
#define VIA(g, c) { .group = (g), .via = (c) }

static const vlt_membership_t m_db[] = { DIRECT(G_DB) };
static const vlt_membership_t m_rack[] = { DIRECT(G_RACK) };
static const vlt_membership_t m_other[] = { DIRECT(G_OTHER) };
static const vlt_membership_t m_aff[] = { DIRECT(G_AFF) };
static const vlt_membership_t m_anon[] = { DIRECT(G_ANON) };
static const vlt_membership_t m_multi[] = { DIRECT(G_EXA), DIRECT(G_EXB) };
static const vlt_membership_t m_two[] = { DIRECT(G_EXH), DIRECT(G_EXR) };
static const vlt_membership_t m_inaff[] = { DIRECT(G_EXINAFF), VIA(G_AFFTOP, G_EXINAFF) };
static const vlt_membership_t m_nest[] = { DIRECT(G_NESTAFF), VIA(G_NESTX, G_NESTAFF),
					   DIRECT(G_NESTY) };

#define UNIT(i, k, n, m) { .id = (i), .kind = (k), .orch_id = "id-" n, .name = n, \
			   .groups = (m), .n_groups = N_CASES(m) }
#define SERVER(i, n, m) UNIT(i, VLT_UNIT_SERVER, n, m)
#define VOLUME(i, n, m) UNIT(i, VLT_UNIT_VOLUME, n, m)

static const vlt_unit_t units[N_UNITS] = {
	[U_DB1] = SERVER(U_DB1, "db-1", m_db),
	[U_DB2] = SERVER(U_DB2, "db-2", m_db),
	[U_R1] = SERVER(U_R1, "rack-1", m_rack),
	[U_RVOL] = VOLUME(U_RVOL, "rack-vol", m_rack),
	[U_O1] = SERVER(U_O1, "other-1", m_other),
	[U_AFF] = SERVER(U_AFF, "aff-1", m_aff),
	[U_PLAIN] = { .id = U_PLAIN, .kind = VLT_UNIT_SERVER, .name = "plain" },
	[U_PVOL] = { .id = U_PVOL, .kind = VLT_UNIT_VOLUME, .name = "plain-vol" },
	[U_ANON] = SERVER(U_ANON, "anon-1", m_anon),
	[U_MULTI] = SERVER(U_MULTI, "multi", m_multi),
	[U_TWO] = SERVER(U_TWO, "two", m_two),
	[U_INAFF] = SERVER(U_INAFF, "in-aff", m_inaff),
	[U_NEST] = SERVER(U_NEST, "nest", m_nest),
	[U_HVOL] = VOLUME(U_HVOL, "db-vol", m_db),
};

static const uint32_t db_units[] = { U_DB1, U_DB2, U_HVOL };
static const uint32_t rack_units[] = { U_R1, U_RVOL };
static const uint32_t other_units[] = { U_O1 };
static const uint32_t aff_units[] = { U_AFF };
static const uint32_t anon_units[] = { U_ANON };
static const uint32_t multi_units[] = { U_MULTI };
static const uint32_t two_units[] = { U_TWO };
static const uint32_t divtop_children[] = { G_EXINDIV };
static const uint32_t extop_children[] = { G_EXINEX };
static const uint32_t afftop_children[] = { G_EXINAFF };
static const uint32_t inaff_units[] = { U_INAFF };
static const uint32_t nestx_children[] = { G_NESTAFF };
static const uint32_t nest_units[] = { U_NEST };
static const char *const tenants[] = { "t1" };

#define GROUP(i, t, p, l, n, r, par) .id = (i), .type = (t), .policy = (p), .level = (l), \
				    .name = (n), .key = (n), .ref = (r), .parent = (par)
#define KIDS(a) .children = (a), .n_children = N_CASES(a)
#define UNITS(a) .units = (a), .n_units = N_CASES(a)
#define EXCL(i, l, n, par) GROUP(i, "exclusivity", EX, l, n, n, par)
#define H VLT_LEVEL_HOST
#define R VLT_LEVEL_RACK
#define C VLT_LEVEL_CLUSTER
#define D VLT_LEVEL_DC
#define NO VLT_NONE

static const vlt_group_t groups[N_GROUPS] = {
	[G_DB] = { EXCL(G_DB, H, "db-ex", NO), UNITS(db_units) },
	[G_RACK] = { EXCL(G_RACK, R, "rack-ex", NO), UNITS(rack_units) },
	[G_OTHER] = { EXCL(G_OTHER, H, "other-ex", NO), UNITS(other_units) },
	[G_AFF] = { GROUP(G_AFF, "affinity", AFF, H, "aff", "aff", NO), UNITS(aff_units) },
	[G_ANON] = { GROUP(G_ANON, "exclusivity", EX, H, NULL, "anon-ex", NO),
		     UNITS(anon_units) },
	[G_EXA] = { EXCL(G_EXA, H, "ex-a", NO), UNITS(multi_units) },
	[G_EXB] = { EXCL(G_EXB, H, "ex-b", NO), UNITS(multi_units) },
	[G_EXR] = { EXCL(G_EXR, R, "ex-r", NO), UNITS(two_units) },
	[G_EXH] = { EXCL(G_EXH, H, "ex-h", NO), UNITS(two_units) },
	[G_DIVTOP] = { GROUP(G_DIVTOP, "diversity", DIV, R, "div-top", "div-top", NO),
		       KIDS(divtop_children) },
	[G_EXINDIV] = { EXCL(G_EXINDIV, H, "ex-in-div", G_DIVTOP) },
	[G_EXTOP] = { EXCL(G_EXTOP, R, "ex-top", NO), KIDS(extop_children) },
	[G_EXINEX] = { EXCL(G_EXINEX, H, "ex-in-ex", G_EXTOP) },
	[G_AFFTOP] = { GROUP(G_AFFTOP, "affinity", AFF, R, "aff-top", "aff-top", NO),
		       KIDS(afftop_children) },
	[G_EXINAFF] = { EXCL(G_EXINAFF, H, "ex-in-aff", G_AFFTOP), UNITS(inaff_units) },
	[G_TENANT] = { EXCL(G_TENANT, H, "tenant-ex", NO), .tenants = tenants,
		       .n_tenants = 1 },
	[G_NESTX] = { EXCL(G_NESTX, H, "ex-x", NO), KIDS(nestx_children) },
	[G_NESTAFF] = { GROUP(G_NESTAFF, "affinity", AFF, H, NULL, "nest-aff", G_NESTX),
			UNITS(nest_units) },
	[G_NESTY] = { EXCL(G_NESTY, H, "ex-y", NO), UNITS(nest_units) },
};

static const vlt_stack_t stack = {
	.stack_id = "s-ex", .plan_name = "ex", .tenant_id = "t1",
	.units = units, .n_units = N_UNITS, .groups = groups, .n_groups = N_GROUPS,
};

#define PASS VLT_PASS
#define REJECT VLT_REJECT
#define HELD(l) "exclusivity(" l ") held by another group"

/* Hosts h0..h7; host h is in rack h/2 and cluster h/4; h7 is preloaded. */
static const struct filter_case member_host_cases[] = {
	{ "empty host", 0, {{0}}, U_DB1, H, 0, PASS, NULL },
	{ "preloaded host", 0, {{0}}, U_DB1, H, 7, REJECT, "exclusivity(host) db-ex" },
	{ "host with a plain server", 1, {SRV(1, 0)}, U_DB1, H, 1, REJECT,
	  "exclusivity(host) db-ex" },
	{ "host held by its group", 1, {SRV(2, FG(G_DB))}, U_DB1, H, 2, PASS, NULL },
	{ "its group and a plain server", 2, {SRV(3, FG(G_DB)), SRV(3, 0)}, U_DB1, H, 3, REJECT,
	  "exclusivity(host) db-ex" },
	{ "host of another exclusivity group", 1, {SRV(4, FG(G_OTHER))}, U_DB1, H, 4, REJECT,
	  "exclusivity(host) db-ex" },
	{ "host with an affinity member", 1, {SRV(4, FG(G_AFF))}, U_DB1, H, 4, REJECT, NULL },
	{ "rack: another host may be empty", 2, {SRV(0, 0), SRV(1, 0)}, U_DB1, R, 0, PASS, NULL },
	{ "cluster with a preloaded host", 0, {{0}}, U_DB1, C, 1, PASS, NULL },
	{ "rack of the preloaded host", 0, {{0}}, U_DB1, R, 3, PASS, NULL },
};

/* A named group's members of earlier plans hold their hosts. */
static const struct filter_case named_cases[] = {
	{ "earlier plan's host", 1, {SRV(5, FG(G_DB))}, U_DB2, H, 5, PASS, NULL },
	{ "plain unit kept out", 1, {SRV(5, FG(G_DB))}, U_PLAIN, H, 5, REJECT, HELD("host") },
	{ "plain unit: its rack may have room", 1, {SRV(5, FG(G_DB))}, U_PLAIN, R, 2, PASS, NULL },
	{ "plain unit: the next host", 1, {SRV(5, FG(G_DB))}, U_PLAIN, H, 4, PASS, NULL },
	{ "other group's member kept out", 1, {SRV(5, FG(G_DB))}, U_O1, H, 5, REJECT,
	  "exclusivity(host) other-ex" },
	{ "affinity-only unit kept out", 1, {SRV(5, FG(G_DB))}, U_AFF, H, 5, REJECT, HELD("host") },
};

static const struct filter_case rack_cases[] = {
	{ "empty rack", 0, {{0}}, U_R1, R, 0, PASS, NULL },
	{ "host of an empty rack", 0, {{0}}, U_R1, H, 0, PASS, NULL },
	{ "rack with a preloaded host", 0, {{0}}, U_R1, R, 3, REJECT, "exclusivity(rack) rack-ex" },
	{ "clean host, preloaded rack", 0, {{0}}, U_R1, H, 6, REJECT, NULL },
	{ "rack with a plain server", 1, {SRV(2, 0)}, U_R1, R, 1, REJECT, NULL },
	{ "its other host", 1, {SRV(2, 0)}, U_R1, H, 3, REJECT, "exclusivity(rack) rack-ex" },
	{ "rack held by its group", 1, {SRV(3, FG(G_RACK))}, U_R1, R, 1, PASS, NULL },
	{ "its other host, held", 1, {SRV(3, FG(G_RACK))}, U_R1, H, 2, PASS, NULL },
	{ "cluster: optimistic", 1, {SRV(0, 0)}, U_R1, C, 0, PASS, NULL },
	{ "rack with a host-level member", 1, {SRV(2, FG(G_DB))}, U_R1, H, 3, REJECT,
	  "exclusivity(rack) rack-ex" },
};

static const struct filter_case outsider_cases[] = {
	{ "plain: host in a held rack", 1, {SRV(2, FG(G_RACK))}, U_PLAIN, H, 3, REJECT,
	  HELD("rack") },
	{ "plain: the held rack", 1, {SRV(2, FG(G_RACK))}, U_PLAIN, R, 1, REJECT, HELD("rack") },
	{ "plain: another rack", 1, {SRV(2, FG(G_RACK))}, U_PLAIN, H, 0, PASS, NULL },
	{ "plain: the cluster (optimistic)", 1, {SRV(2, FG(G_RACK))}, U_PLAIN, C, 0, PASS, NULL },
	{ "host member in a held rack", 1, {SRV(2, FG(G_RACK))}, U_DB1, H, 3, REJECT, HELD("rack") },
	{ "host member elsewhere", 1, {SRV(2, FG(G_RACK))}, U_DB1, H, 0, PASS, NULL },
	{ "plain: next to a plain server", 1, {SRV(0, 0)}, U_PLAIN, H, 0, PASS, NULL },
	{ "plain: preloaded host", 0, {{0}}, U_PLAIN, H, 7, PASS, NULL },
	{ "affinity member: held host", 1, {SRV(4, FG(G_OTHER))}, U_AFF, H, 4, REJECT, HELD("host") },
};

/* Volumes: rack and cluster only (p0 in r0, p1 outside racks, p2 in r2). */
static const struct filter_case volume_cases[] = {
	{ "member volume: empty rack", 0, {{0}}, U_RVOL, R, 0, PASS, NULL },
	{ "member volume: pool in an empty rack", 0, {{0}}, U_RVOL, H, 0, PASS, NULL },
	{ "member volume: rack with a plain server", 1, {SRV(1, 0)}, U_RVOL, H, 0, REJECT,
	  "exclusivity(rack) rack-ex" },
	{ "member volume: that rack", 1, {SRV(1, 0)}, U_RVOL, R, 0, REJECT, NULL },
	{ "member volume: pool outside racks", 1, {SRV(1, 0)}, U_RVOL, H, 1, PASS, NULL },
	{ "member volume: cluster (optimistic)", 1, {SRV(1, 0)}, U_RVOL, C, 0, PASS, NULL },
	{ "plain volume: pool in a held rack", 1, {SRV(0, FG(G_RACK))}, U_PVOL, H, 0, REJECT,
	  HELD("rack") },
	{ "plain volume: another rack", 1, {SRV(0, FG(G_RACK))}, U_PVOL, R, 1, PASS, NULL },
	{ "plain volume: pool outside racks", 1, {SRV(0, FG(G_RACK))}, U_PVOL, H, 1, PASS, NULL },
	{ "plain volume: host-level holders do not count", 1, {SRV(0, FG(G_DB))}, U_PVOL, R, 0,
	  PASS, NULL },
	{ "host-group volume: plain servers around", 1, {SRV(1, 0)}, U_HVOL, R, 0, PASS, NULL },
	{ "host-group volume: held rack", 1, {SRV(0, FG(G_RACK))}, U_HVOL, R, 0, REJECT,
	  HELD("rack") },
};

/* Member volumes placed on pools: not residents, but counted as members. */
static const struct filter_case placed_volume_cases[] = {
	{ "rack holding only the group's volume", 1, {VOL(0, FG(G_RACK), U_RVOL)}, U_R1, H, 0,
	  PASS, NULL },
	{ "that rack, by rack", 1, {VOL(0, FG(G_RACK), U_RVOL)}, U_R1, R, 0, PASS, NULL },
	{ "the group's volume and a plain server", 2, {VOL(0, FG(G_RACK), U_RVOL), SRV(1, 0)}, U_R1,
	  H, 0, REJECT, "exclusivity(rack) rack-ex" },
	{ "the group's volume and server", 2, {VOL(0, FG(G_RACK), U_RVOL), SRV(1, FG(G_RACK))},
	  U_R1, H, 0, PASS, NULL },
	{ "... and another group's server", 3, {VOL(0, FG(G_RACK), U_RVOL), SRV(1, FG(G_RACK)),
	  SRV(0, FG(G_OTHER))}, U_R1, H, 0, REJECT, "exclusivity(rack) rack-ex" },
	{ "a volume alone does not hold a rack", 1, {VOL(0, FG(G_RACK), U_RVOL)}, U_PLAIN, H, 0,
	  PASS, NULL },
	{ "a host group's volume holds no host", 1, {VOL(0, FG(G_DB), U_HVOL)}, U_DB1, H, 0, PASS,
	  NULL },
	{ "an earlier plan's member volume is no resident", 2, {VOL(0, FG(G_RACK), VLT_NONE),
	  SRV(1, FG(G_RACK))}, U_R1, H, 0, PASS, NULL },
};

/* "two" is in ex-h (host) and ex-r (rack): both must hold. */
static const struct filter_case two_level_cases[] = {
	{ "empty", 0, {{0}}, U_TWO, H, 0, PASS, NULL },
	{ "rack held by ex-r", 1, {SRV(1, FG(G_EXR))}, U_TWO, H, 0, PASS, NULL },
	{ "rack also holds an ex-h-only server", 2, {SRV(1, FG(G_EXR)), SRV(0, FG(G_EXH))}, U_TWO, H, 0,
	  REJECT, "exclusivity(rack) ex-r" },
	{ "beside a member of both", 1, {SRV(1, FG(G_EXR) | FG(G_EXH))}, U_TWO, H, 1, PASS, NULL },
	{ "host held by ex-r only", 1, {SRV(1, FG(G_EXR))}, U_TWO, H, 1, REJECT,
	  "exclusivity(host) ex-h" },
};

static void test_exclusivity_filter_members_host(void **state)
{
	(void)state;
	run_filter_cases(OPS, EX, &stack, member_host_cases, N_CASES(member_host_cases));
}

static void test_exclusivity_filter_named_group_persists(void **state)
{
	(void)state;
	run_filter_cases(OPS, EX, &stack, named_cases, N_CASES(named_cases));
}

static void test_exclusivity_filter_members_rack(void **state)
{
	(void)state;
	run_filter_cases(OPS, EX, &stack, rack_cases, N_CASES(rack_cases));
}

static void test_exclusivity_filter_outsiders(void **state)
{
	(void)state;
	run_filter_cases(OPS, EX, &stack, outsider_cases, N_CASES(outsider_cases));
}

static void test_exclusivity_filter_volumes(void **state)
{
	(void)state;
	run_filter_cases(OPS, EX, &stack, volume_cases, N_CASES(volume_cases));
}

static void test_exclusivity_filter_placed_volumes(void **state)
{
	(void)state;
	run_filter_cases(OPS, EX, &stack, placed_volume_cases, N_CASES(placed_volume_cases));
}

static void test_exclusivity_filter_two_levels(void **state)
{
	(void)state;
	run_filter_cases(OPS, EX, &stack, two_level_cases, N_CASES(two_level_cases));
}

/* In a stack with exclusivity groups every unit is asked. */
static void test_exclusivity_prefilter_stack_with_groups(void **state)
{
	(void)state;
	fake_core_t *fc;
	void *ps = policy_start(OPS, EX, &fc);
	vlt_cycle_t *cy = fake_cycle_new(&stack);

	for (uint32_t u = 0; u < N_UNITS; u++)
		if (OPS->prefilter(ps, cy, u) != VLT_PASS)
			fail_msg("prefilter of %s: want PASS", units[u].name);
	assert_true(OPS->prefilter(ps, cy, N_UNITS) < 0);
	assert_true(OPS->filter(ps, cy, N_UNITS, VLT_LEVEL_HOST, 0, NULL, 0) < 0);
	fake_cycle_free(cy);
	policy_stop(OPS, ps, fc);
}

/* A stack without exclusivity: plain units skip until a member exists somewhere. */
enum { P_AFF, P_N_GROUPS };
enum { P_PLAIN, P_INAFF, P_N_UNITS };

static const vlt_membership_t pm_aff[] = { DIRECT(P_AFF) };
static const uint32_t p_aff_units[] = { P_INAFF };
static const vlt_unit_t p_units[P_N_UNITS] = {
	[P_PLAIN] = { .id = P_PLAIN, .kind = VLT_UNIT_SERVER, .name = "plain" },
	[P_INAFF] = SERVER(P_INAFF, "in-aff", pm_aff),
};
static const vlt_group_t p_groups[P_N_GROUPS] = {
	[P_AFF] = { GROUP(P_AFF, "affinity", AFF, H, "aff", "aff", NO), UNITS(p_aff_units) },
};
static const vlt_stack_t plain_stack = {
	.stack_id = "s-plain", .plan_name = "plain", .tenant_id = "t1",
	.units = p_units, .n_units = P_N_UNITS, .groups = p_groups, .n_groups = P_N_GROUPS,
};

static void test_exclusivity_prefilter_plain_stack(void **state)
{
	(void)state;
	fake_core_t *fc;
	void *ps = policy_start(OPS, EX, &fc);
	vlt_cycle_t *cy = fake_cycle_new(&plain_stack);
	char why[128] = "";

	/* Nothing exclusive anywhere: both units skip. */
	fake_cycle_place(cy, 0, FG(P_AFF));
	fake_cycle_place(cy, 1, 0);
	assert_int_equal(OPS->prefilter(ps, cy, P_PLAIN), VLT_SKIP);
	assert_int_equal(OPS->prefilter(ps, cy, P_INAFF), VLT_SKIP);

	/* A server of another plan's affinity group changes nothing. */
	uint32_t other_aff = fake_cycle_add_group(cy, AFF, VLT_LEVEL_RACK);
	fake_cycle_place(cy, 2, FG(other_aff));
	assert_int_equal(OPS->prefilter(ps, cy, P_PLAIN), VLT_SKIP);

	/* A member of another plan's exclusivity group: everyone is asked. */
	uint32_t other_ex = fake_cycle_add_group(cy, EX, VLT_LEVEL_HOST);
	fake_cycle_place(cy, 3, FG(other_ex));
	assert_int_equal(OPS->prefilter(ps, cy, P_PLAIN), VLT_PASS);
	assert_int_equal(OPS->prefilter(ps, cy, P_INAFF), VLT_PASS);
	assert_int_equal(OPS->filter(ps, cy, P_PLAIN, VLT_LEVEL_HOST, 3, why, sizeof(why)),
			 VLT_REJECT);
	assert_string_equal(why, HELD("host"));
	assert_int_equal(OPS->filter(ps, cy, P_INAFF, VLT_LEVEL_HOST, 3, NULL, 0), VLT_REJECT);
	assert_int_equal(OPS->filter(ps, cy, P_PLAIN, VLT_LEVEL_HOST, 2, NULL, 0), VLT_PASS);
	assert_int_equal(OPS->filter(ps, cy, P_PLAIN, VLT_LEVEL_RACK, 1, NULL, 0), VLT_PASS);

	/* Another policy's groups are not this policy's residents. */
	fake_cycle_clear(cy);
	uint32_t other_div = fake_cycle_add_group(cy, DIV, VLT_LEVEL_HOST);
	fake_cycle_place(cy, 3, FG(other_div));
	assert_int_equal(OPS->prefilter(ps, cy, P_PLAIN), VLT_SKIP);

	fake_cycle_free(cy);
	policy_stop(OPS, ps, fc);
}

#define TWO_EX(g, a, b) "group " g ": unit " a " is in two exclusivity groups at level host (" \
	b "); at most one is allowed"

static const struct validate_case validate_cases[] = {
	{ "named host group", G_DB, "t1", VLT_OK, NULL },
	{ "named rack group", G_RACK, "t1", VLT_OK, NULL },
	{ "no name", G_ANON, "t1", VLT_EINVAL,
	  "group anon-ex: exclusivity needs a name (group_name)" },
	{ "unit in two at one level", G_EXA, "t1", VLT_EINVAL,
	  TWO_EX("ex-a", "multi", "ex-a and ex-b") },
	{ "the other of the two", G_EXB, "t1", VLT_EINVAL,
	  TWO_EX("ex-b", "multi", "ex-b and ex-a") },
	{ "one per level: rack", G_EXR, "t1", VLT_OK, NULL },
	{ "one per level: host", G_EXH, "t1", VLT_OK, NULL },
	{ "nested in diversity", G_EXINDIV, "t1", VLT_EINVAL,
	  "group ex-in-div: exclusivity may not be nested in diversity group div-top" },
	{ "nested in exclusivity", G_EXINEX, "t1", VLT_EINVAL,
	  "group ex-in-ex: exclusivity may not be nested in exclusivity group ex-top" },
	{ "nested in affinity", G_EXINAFF, "t1", VLT_OK, NULL },
	{ "two through a child group", G_NESTX, "t1", VLT_EINVAL,
	  TWO_EX("ex-x", "nest", "ex-x and ex-y") },
	{ "member tenant", G_TENANT, "t1", VLT_OK, NULL },
	{ "other tenant", G_TENANT, "t2", VLT_EFORBIDDEN,
	  "tenant t2 is not a member of group tenant-ex" },
	{ "unknown tenant", G_TENANT, NULL, VLT_EFORBIDDEN,
	  "group tenant-ex is restricted to its member tenants and the request's tenant is "
	  "unknown" },
	{ "an affinity group", G_AFF, "t1", VLT_EINVAL,
	  "group aff: type affinity is not handled here" },
};

static void test_exclusivity_validate(void **state)
{
	(void)state;
	run_validate_cases(OPS, EX, &stack, validate_cases, N_CASES(validate_cases));
}

/* The built .so passes the loader's checks and filters as the linked copy does. */
static void test_exclusivity_module_loads(void **state)
{
	(void)state;
	run_built_module_cases("exclusivity", EX, &stack, member_host_cases, N_CASES(member_host_cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exclusivity_module_loads),
		cmocka_unit_test(test_exclusivity_filter_members_host),
		cmocka_unit_test(test_exclusivity_filter_named_group_persists),
		cmocka_unit_test(test_exclusivity_filter_members_rack),
		cmocka_unit_test(test_exclusivity_filter_outsiders),
		cmocka_unit_test(test_exclusivity_filter_volumes),
		cmocka_unit_test(test_exclusivity_filter_placed_volumes),
		cmocka_unit_test(test_exclusivity_filter_two_levels),
		cmocka_unit_test(test_exclusivity_prefilter_stack_with_groups),
		cmocka_unit_test(test_exclusivity_prefilter_plain_stack),
		cmocka_unit_test(test_exclusivity_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
