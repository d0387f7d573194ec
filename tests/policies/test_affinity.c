/*
 * test_affinity.c - the "affinity" policy through its ops table, against
 * the fake core: filter at every level, named-group persistence, nested
 * groups, volumes, the prefilter fast path, validate's rules.
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

extern const vlt_plugin_info_t *const vlt_plugin_policy_affinity;

#define OPS ((const vlt_policy_ops_t *)vlt_plugin_policy_affinity)

/* Policy ids as the core would give them, this policy's first. */
enum { AFF = 0, DIV = 1, EX = 2 };

/* Stack groups. */
enum { G_WEB, G_APP, G_OUTER, G_INNER, G_DIV, G_RESTRICTED, G_WIDE, N_GROUPS };
/* Stack units. */
enum { U_WEB1, U_WEB2, U_APP1, U_APPVOL, U_PLAIN, U_WEBVOL, U_NESTED, U_DIVONLY, N_UNITS };

#define DIRECT(g) { .group = (g), .via = VLT_NONE }
#define VIA(g, c) { .group = (g), .via = (c) }

static const vlt_membership_t m_web[] = { DIRECT(G_WEB) };
static const vlt_membership_t m_app[] = { DIRECT(G_APP) };
static const vlt_membership_t m_nested[] = { DIRECT(G_INNER), VIA(G_OUTER, G_INNER) };
static const vlt_membership_t m_div[] = { DIRECT(G_DIV) };

#define SERVER(i, n, m) { .id = (i), .kind = VLT_UNIT_SERVER, .orch_id = "id-" n, .name = n, \
			  .groups = (m), .n_groups = N_CASES(m) }
#define VOLUME(i, n, m) { .id = (i), .kind = VLT_UNIT_VOLUME, .orch_id = "id-" n, .name = n, \
			  .groups = (m), .n_groups = N_CASES(m) }

static const vlt_unit_t units[N_UNITS] = {
	[U_WEB1] = SERVER(U_WEB1, "web-1", m_web),
	[U_WEB2] = SERVER(U_WEB2, "web-2", m_web),
	[U_APP1] = SERVER(U_APP1, "app-1", m_app),
	[U_APPVOL] = VOLUME(U_APPVOL, "app-vol", m_app),
	[U_PLAIN] = { .id = U_PLAIN, .kind = VLT_UNIT_SERVER, .name = "plain" },
	[U_WEBVOL] = VOLUME(U_WEBVOL, "web-vol", m_web),
	[U_NESTED] = SERVER(U_NESTED, "nested", m_nested),
	[U_DIVONLY] = SERVER(U_DIVONLY, "div-only", m_div),
};

static const uint32_t web_units[] = { U_WEB1, U_WEB2, U_WEBVOL };
static const uint32_t app_units[] = { U_APP1, U_APPVOL };
static const uint32_t outer_children[] = { G_INNER };
static const uint32_t inner_units[] = { U_NESTED };
static const uint32_t div_units[] = { U_DIVONLY };
static const char *const restricted_tenants[] = { "t1", "t2" };

/* A group's common fields; parent VLT_NONE unless PARENT() follows. */
#define GROUP(i, t, p, l, n, r) .id = (i), .type = (t), .policy = (p), .level = (l), \
			       .name = (n), .key = (n), .ref = (r)
#define TOP .parent = VLT_NONE

static const vlt_group_t groups[N_GROUPS] = {
	[G_WEB] = { GROUP(G_WEB, "affinity", AFF, VLT_LEVEL_HOST, "web-aff", "web-aff"), TOP,
		    .units = web_units, .n_units = N_CASES(web_units) },
	[G_APP] = { GROUP(G_APP, "affinity", AFF, VLT_LEVEL_RACK, NULL, "app-rack"), TOP,
		    .units = app_units, .n_units = N_CASES(app_units) },
	[G_OUTER] = { GROUP(G_OUTER, "affinity", AFF, VLT_LEVEL_CLUSTER, "outer", "outer"), TOP,
		      .children = outer_children, .n_children = 1 },
	[G_INNER] = { GROUP(G_INNER, "affinity", AFF, VLT_LEVEL_HOST, NULL, "inner"),
		      .parent = G_OUTER, .units = inner_units, .n_units = 1 },
	[G_DIV] = { GROUP(G_DIV, "diversity", DIV, VLT_LEVEL_RACK, "web-div", "web-div"), TOP,
		    .units = div_units, .n_units = 1 },
	[G_RESTRICTED] = { GROUP(G_RESTRICTED, "affinity", AFF, VLT_LEVEL_HOST, "restricted",
				 "restricted"), TOP,
			   .tenants = restricted_tenants, .n_tenants = 2 },
	[G_WIDE] = { GROUP(G_WIDE, "affinity", AFF, VLT_LEVEL_DC, "too-wide", "too-wide"), TOP },
};

static const vlt_stack_t stack = {
	.stack_id = "s-aff", .plan_name = "aff", .tenant_id = "t1",
	.units = units, .n_units = N_UNITS, .groups = groups, .n_groups = N_GROUPS,
};

#define H VLT_LEVEL_HOST
#define R VLT_LEVEL_RACK
#define C VLT_LEVEL_CLUSTER
#define D VLT_LEVEL_DC
#define PASS VLT_PASS
#define REJECT VLT_REJECT

/* Hosts h0..h7; host h is in rack h/2 and cluster h/4 (fake_dc). */
static const struct filter_case host_cases[] = {
	{ "first member: any host", 0, {{0}}, U_WEB1, H, 3, PASS, NULL },
	{ "first member: any rack", 0, {{0}}, U_WEB1, R, 1, PASS, NULL },
	{ "first member: any cluster", 0, {{0}}, U_WEB1, C, 1, PASS, NULL },
	{ "first member: preloaded host is fine", 0, {{0}}, U_WEB1, H, 7, PASS, NULL },
	{ "the member's host", 1, {SRV(2, FG(G_WEB))}, U_WEB1, H, 2, PASS, NULL },
	{ "another host", 1, {SRV(2, FG(G_WEB))}, U_WEB1, H, 3, REJECT, "affinity(host) web-aff" },
	{ "same rack, other host", 1, {SRV(2, FG(G_WEB))}, U_WEB1, H, 3, REJECT, NULL },
	{ "rack holding the member", 1, {SRV(2, FG(G_WEB))}, U_WEB1, R, 1, PASS, NULL },
	{ "rack without it", 1, {SRV(2, FG(G_WEB))}, U_WEB1, R, 0, REJECT,
	  "affinity(host) web-aff" },
	{ "cluster holding it", 1, {SRV(2, FG(G_WEB))}, U_WEB1, C, 0, PASS, NULL },
	{ "cluster without it", 1, {SRV(2, FG(G_WEB))}, U_WEB1, C, 1, REJECT, NULL },
	{ "datacenter", 1, {SRV(2, FG(G_WEB))}, U_WEB1, D, 0, PASS, NULL },
	{ "others' servers do not count", 2, {SRV(2, 0), SRV(3, FG(G_DIV))}, U_WEB1, H, 5, PASS, NULL },
	{ "members of another group do not count", 1, {SRV(2, FG(G_APP))}, U_WEB1, H, 5, PASS,
	  NULL },
	{ "several members on one host", 2, {SRV(4, FG(G_WEB)), SRV(4, FG(G_WEB))}, U_WEB2, H, 4,
	  PASS, NULL },
};

/* A named group's members of earlier plans count like this cycle's. */
static const struct filter_case named_cases[] = {
	{ "earlier plan's host", 1, {SRV(5, FG(G_WEB))}, U_WEB1, H, 5, PASS, NULL },
	{ "not beside it", 1, {SRV(5, FG(G_WEB))}, U_WEB2, H, 4, REJECT, "affinity(host) web-aff" },
	{ "not in another rack", 1, {SRV(5, FG(G_WEB))}, U_WEB2, R, 0, REJECT, NULL },
};

static const struct filter_case rack_cases[] = {
	{ "same rack, other host", 1, {SRV(1, FG(G_APP))}, U_APP1, H, 0, PASS, NULL },
	{ "same host", 1, {SRV(1, FG(G_APP))}, U_APP1, H, 1, PASS, NULL },
	{ "host in another rack", 1, {SRV(1, FG(G_APP))}, U_APP1, H, 2, REJECT,
	  "affinity(rack) app-rack" },
	{ "the rack", 1, {SRV(1, FG(G_APP))}, U_APP1, R, 0, PASS, NULL },
	{ "another rack", 1, {SRV(1, FG(G_APP))}, U_APP1, R, 1, REJECT, "affinity(rack) app-rack" },
	{ "its cluster", 1, {SRV(1, FG(G_APP))}, U_APP1, C, 0, PASS, NULL },
	{ "another cluster", 1, {SRV(1, FG(G_APP))}, U_APP1, C, 1, REJECT, NULL },
};

/*
 * Volumes are asked about at rack/cluster level (or at host level with a
 * pool index: p0 in r0, p1 outside every rack, p2 in r2). Host-level
 * groups never constrain them.
 */
static const struct filter_case volume_cases[] = {
	{ "volume: the members' rack", 1, {SRV(1, FG(G_APP))}, U_APPVOL, R, 0, PASS, NULL },
	{ "volume: another rack", 1, {SRV(1, FG(G_APP))}, U_APPVOL, R, 2, REJECT,
	  "affinity(rack) app-rack" },
	{ "volume: its cluster", 1, {SRV(1, FG(G_APP))}, U_APPVOL, C, 0, PASS, NULL },
	{ "volume: another cluster", 1, {SRV(1, FG(G_APP))}, U_APPVOL, C, 1, REJECT, NULL },
	{ "volume: pool in the rack", 1, {SRV(1, FG(G_APP))}, U_APPVOL, H, 0, PASS, NULL },
	{ "volume: pool in another rack", 1, {SRV(1, FG(G_APP))}, U_APPVOL, H, 2, REJECT,
	  "affinity(rack) app-rack" },
	{ "volume: pool outside racks", 1, {SRV(1, FG(G_APP))}, U_APPVOL, H, 1, PASS, NULL },
	{ "volume: rack of no pool (VLT_NONE)", 1, {SRV(1, FG(G_APP))}, U_APPVOL, R, VLT_NONE,
	  PASS, NULL },
	{ "volume: first member anywhere", 0, {{0}}, U_APPVOL, R, 3, PASS, NULL },
	{ "volume in a host group: any rack", 1, {SRV(2, FG(G_WEB))}, U_WEBVOL, R, 3, PASS, NULL },
	{ "volume in a host group: any pool", 1, {SRV(2, FG(G_WEB))}, U_WEBVOL, H, 2, PASS, NULL },
};

/* Placed volumes: they fix a rack or cluster, never a host. */
static const struct filter_case placed_volume_cases[] = {
	{ "a member volume fixes no host", 1, {VOL(0, FG(G_WEB), U_WEBVOL)}, U_WEB1, H, 3, PASS,
	  NULL },
	{ "a member volume fixes no host, by rack", 1, {VOL(2, FG(G_WEB), U_WEBVOL)}, U_WEB1, R,
	  0, PASS, NULL },
	{ "volume, then a server: its host", 2, {VOL(0, FG(G_WEB), U_WEBVOL), SRV(2, FG(G_WEB))},
	  U_WEB1, H, 2, PASS, NULL },
	{ "volume, then a server: another host", 2, {VOL(0, FG(G_WEB), U_WEBVOL),
	  SRV(2, FG(G_WEB))}, U_WEB1, H, 3, REJECT, "affinity(host) web-aff" },
	{ "rack group: the volume's rack", 1, {VOL(2, FG(G_APP), U_APPVOL)}, U_APP1, H, 4, PASS,
	  NULL },
	{ "rack group: another rack", 1, {VOL(2, FG(G_APP), U_APPVOL)}, U_APP1, H, 0, REJECT,
	  "affinity(rack) app-rack" },
	{ "rack group: the volume's rack, by rack", 1, {VOL(2, FG(G_APP), U_APPVOL)}, U_APP1, R,
	  2, PASS, NULL },
	{ "rack group: another cluster", 1, {VOL(2, FG(G_APP), U_APPVOL)}, U_APP1, C, 0, REJECT,
	  NULL },
	{ "rack group: an earlier plan's volume", 1, {VOL(2, FG(G_APP), VLT_NONE)}, U_APP1, H, 0,
	  REJECT, "affinity(rack) app-rack" },
};

/* "nested" is in inner (host), itself in outer (cluster). */
static const struct filter_case nested_cases[] = {
	{ "inner member's host", 1, {SRV(0, FG(G_INNER))}, U_NESTED, H, 0, PASS, NULL },
	{ "other host, inner first", 1, {SRV(0, FG(G_INNER))}, U_NESTED, H, 1, REJECT,
	  "affinity(host) inner" },
	{ "outer member elsewhere, inner empty", 1, {SRV(4, FG(G_OUTER))}, U_NESTED, H, 0, REJECT,
	  "affinity(cluster) outer" },
	{ "outer member's cluster", 1, {SRV(4, FG(G_OUTER))}, U_NESTED, H, 5, PASS, NULL },
	{ "outer's cluster, by rack", 1, {SRV(4, FG(G_OUTER))}, U_NESTED, R, 3, PASS, NULL },
	{ "not outer's cluster, by rack", 1, {SRV(4, FG(G_OUTER))}, U_NESTED, R, 1, REJECT,
	  "affinity(cluster) outer" },
};

static const struct filter_case other_cases[] = {
	{ "plain unit", 1, {SRV(2, FG(G_WEB))}, U_PLAIN, H, 5, PASS, NULL },
	{ "diversity-only unit", 1, {SRV(2, FG(G_DIV))}, U_DIVONLY, H, 2, PASS, NULL },
};

static void test_affinity_filter_host_level(void **state)
{
	(void)state;
	run_filter_cases(OPS, AFF, &stack, host_cases, N_CASES(host_cases));
}

static void test_affinity_filter_named_group_persists(void **state)
{
	(void)state;
	run_filter_cases(OPS, AFF, &stack, named_cases, N_CASES(named_cases));
}

static void test_affinity_filter_rack_level(void **state)
{
	(void)state;
	run_filter_cases(OPS, AFF, &stack, rack_cases, N_CASES(rack_cases));
}

static void test_affinity_filter_volumes(void **state)
{
	(void)state;
	run_filter_cases(OPS, AFF, &stack, volume_cases, N_CASES(volume_cases));
}

static void test_affinity_filter_placed_volumes(void **state)
{
	(void)state;
	run_filter_cases(OPS, AFF, &stack, placed_volume_cases, N_CASES(placed_volume_cases));
}

static void test_affinity_filter_nested(void **state)
{
	(void)state;
	run_filter_cases(OPS, AFF, &stack, nested_cases, N_CASES(nested_cases));
}

static void test_affinity_filter_outsiders_pass(void **state)
{
	(void)state;
	run_filter_cases(OPS, AFF, &stack, other_cases, N_CASES(other_cases));
}

/* Plain units, units of other types' groups and volumes of host groups skip. */
static void test_affinity_prefilter(void **state)
{
	(void)state;
	static const struct {
		uint32_t unit;
		int want;
	} cases[] = {
		{ U_WEB1, VLT_PASS }, { U_APP1, VLT_PASS },  { U_APPVOL, VLT_PASS },
		{ U_NESTED, VLT_PASS }, { U_PLAIN, VLT_SKIP }, { U_WEBVOL, VLT_SKIP },
		{ U_DIVONLY, VLT_SKIP },
	};
	fake_core_t *fc;
	void *ps = policy_start(OPS, AFF, &fc);
	vlt_cycle_t *cy = fake_cycle_new(&stack);

	for (size_t i = 0; i < N_CASES(cases); i++) {
		fake_cycle_clear(cy);
		fake_cycle_place(cy, 0, FG(G_WEB));
		int got = OPS->prefilter(ps, cy, cases[i].unit);
		if (got != cases[i].want)
			fail_msg("prefilter of %s: got %d want %d", units[cases[i].unit].name, got,
				 cases[i].want);
		/* The fast path asks the core nothing about occupancy. */
		if (got == VLT_SKIP)
			assert_int_equal(fake_cycle_queries(cy), 0);
	}
	assert_true(OPS->prefilter(ps, cy, N_UNITS) < 0);
	assert_true(OPS->filter(ps, cy, N_UNITS, VLT_LEVEL_HOST, 0, NULL, 0) < 0);
	fake_cycle_free(cy);
	policy_stop(OPS, ps, fc);
}

/*
 * score: 1 per group above host level with a server on the host; host
 * groups, other groups' members, volumes and plain units score nothing.
 */
static void test_affinity_score(void **state)
{
	static const struct {
		const char *name;
		uint32_t host;  /* where a server is placed */
		uint64_t mask;  /* in these groups (0: nothing placed) */
		uint32_t unit;  /* the unit scored */
		uint32_t loc;
		double want;
	} cases[] = {
		{ "no member placed", 0, 0, U_APP1, 1, 0 },
		{ "a member's host", 1, FG(G_APP), U_APP1, 1, 1 },
		{ "same rack, other host", 1, FG(G_APP), U_APP1, 0, 0 },
		{ "another group's member", 1, FG(G_WEB), U_APP1, 1, 0 },
		{ "a plain server", 1, 0, U_APP1, 1, 0 },
		{ "host group: filter decides", 2, FG(G_WEB), U_WEB2, 2, 0 },
		{ "outer group through the inner", 3, FG(G_INNER), U_NESTED, 3, 1 },
		{ "outer group's own member", 3, FG(G_OUTER), U_NESTED, 3, 1 },
		{ "plain unit", 1, FG(G_APP), U_PLAIN, 1, 0 },
		{ "volume on a pool", 0, FG(G_APP), U_APPVOL, 0, 0 },
	};
	fake_core_t *fc = NULL;
	(void)state;
	void *ps = policy_start(OPS, AFF, &fc);
	vlt_cycle_t *cy = fake_cycle_new(&stack);

	for (size_t i = 0; i < N_CASES(cases); i++) {
		double got = -1;
		fake_cycle_clear(cy);
		fake_cycle_place(cy, cases[i].host, cases[i].mask);
		assert_int_equal(OPS->score(ps, cy, cases[i].unit, cases[i].loc, &got), VLT_OK);
		if (got != cases[i].want)
			fail_msg("score case '%s': got %g want %g", cases[i].name, got,
				 cases[i].want);
	}
	double ignored;
	assert_true(OPS->score(ps, cy, N_UNITS, 0, &ignored) < 0);
	assert_true(OPS->score(ps, cy, U_APP1, 8, &ignored) < 0);
	fake_cycle_free(cy);
	policy_stop(OPS, ps, fc);
}

static const struct validate_case validate_cases[] = {
	{ "named host group", G_WEB, "t1", VLT_OK, NULL },
	{ "anonymous rack group", G_APP, "t1", VLT_OK, NULL },
	{ "nested in affinity", G_INNER, "t1", VLT_OK, NULL },
	{ "no tenant needed for an open group", G_WEB, NULL, VLT_OK, NULL },
	{ "member tenant", G_RESTRICTED, "t2", VLT_OK, NULL },
	{ "other tenant", G_RESTRICTED, "t3", VLT_EFORBIDDEN,
	  "tenant t3 is not a member of group restricted" },
	{ "unknown tenant", G_RESTRICTED, NULL, VLT_EFORBIDDEN,
	  "group restricted is restricted to its member tenants and the request's tenant is "
	  "unknown" },
	{ "datacenter level", G_WIDE, "t1", VLT_EINVAL,
	  "group too-wide: level must be host, rack or cluster" },
	{ "a diversity group", G_DIV, "t1", VLT_EINVAL,
	  "group web-div: type diversity is not handled here" },
	{ "no such group", N_GROUPS, "t1", VLT_EINVAL, "group #7: no such group in the stack" },
};

static void test_affinity_validate(void **state)
{
	(void)state;
	run_validate_cases(OPS, AFF, &stack, validate_cases, N_CASES(validate_cases));
}

/* The built .so passes the loader's checks and filters as the linked copy does. */
static void test_affinity_module_loads(void **state)
{
	(void)state;
	run_built_module_cases("affinity", AFF, &stack, host_cases, N_CASES(host_cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_affinity_module_loads),
		cmocka_unit_test(test_affinity_filter_host_level),
		cmocka_unit_test(test_affinity_filter_named_group_persists),
		cmocka_unit_test(test_affinity_filter_rack_level),
		cmocka_unit_test(test_affinity_filter_volumes),
		cmocka_unit_test(test_affinity_filter_placed_volumes),
		cmocka_unit_test(test_affinity_filter_nested),
		cmocka_unit_test(test_affinity_filter_outsiders_pass),
		cmocka_unit_test(test_affinity_prefilter),
		cmocka_unit_test(test_affinity_score),
		cmocka_unit_test(test_affinity_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
