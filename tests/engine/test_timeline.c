/*
 * test_timeline.c - capacity over time (core/engine/timeline.c,
 * docs/reservations.md): the request's start and end, and timed plans
 * through the engine on tiny-dc.json (6 hosts of 8 vCPU / 8 GiB / 100 GB;
 * h4 runs 2 vCPU before Valet, h6 is disabled).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "clock.h"
#include "dc.h"
#include "engine_fixture.h"
#include "ledger.h"
#include "timeline.h"

#define TINY VLT_TEST_DATA "/engine/tiny-dc.json"

static vlt_session_t session;

static int setup(void **state)
{
	(void)state;
	return vlt_fixture_open(&session, TINY);
}

static int teardown(void **state)
{
	(void)state;
	vlt__session_close(&session);
	return 0;
}

/* n servers of flavor under plan, over [start, end) (either NULL: absent). */
static json_t *timed(const char *plan, unsigned n, const char *flavor, const char *start,
		     const char *end)
{
	json_t *req = vlt_fixture_servers(plan, n, flavor, NULL);

	if (start != NULL)
		json_object_set_new(req, "start", json_string(start));
	if (end != NULL)
		json_object_set_new(req, "end", json_string(end));
	return req;
}

static int place(json_t *req, json_t **res, vlt_err_t *err)
{
	*res = NULL;
	int rc = vlt__engine_place(session.engine, req, "test", NULL, res, err);
	json_decref(req);
	return rc;
}

/* ---------------------------------------------------------------- times */

static int64_t at(const char *text)
{
	int64_t ms = 0;

	if (!vlt__time_parse_rfc3339(text, &ms))
		fail_msg("not a time: %s", text);
	return ms;
}

static void test_times_parse_and_format(void **state)
{
	char buf[40];
	int64_t ms;

	(void)state;
	assert_int_equal(at("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(at("2026-12-08T10:00:00Z"), 1796724000000LL);
	assert_int_equal(at("2026-12-08T10:00:00.25Z"), 1796724000250LL);
	assert_int_equal(at("2026-12-08T10:00:00.123456+00:00"), 1796724000123LL);
	assert_int_equal(at("2024-02-29t23:59:59z"), at("2024-03-01T00:00:00Z") - 1000);
	assert_int_equal(at("1969-12-31T23:59:59.999Z"), -1);
	static const char *const bad[] = {
		"", "now", "2026-12-08", "2026-12-08 10:00:00Z", "2026-12-08T10:00:00",
		"2026-12-08T10:00:00+01:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-12-08T24:00:00Z", "2026-12-08T10:60:00Z", "2026-12-08T10:00:00.Z",
		"2026-12-08T10:00:00Zjunk", "+2026-12-08T10:00:00Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_false(vlt__time_parse_rfc3339(bad[i], &ms));
	vlt__time_format_rfc3339(1796724000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-08T10:00:00Z");
	vlt__time_format_rfc3339(-1, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	/* what is written reads back the same */
	for (int64_t t = -86400001; t < 4000000000000LL; t += 98765432101LL) {
		vlt__time_format_rfc3339(t, buf, sizeof(buf));
		assert_int_equal(at(buf), t);
	}
}

static void expect_interval_error(const char *json, const char *want)
{
	json_t *req = json_loads(json, 0, NULL);
	vlt_interval_t iv = {1, 2};
	vlt_err_t err = {0};

	assert_non_null(req);
	assert_int_equal(vlt__interval_parse(req, "plan.json", &iv, &err), VLT_EINVAL);
	assert_string_equal(err.msg, want);
	assert_int_equal(iv.start_ms, 1); /* untouched */
	json_decref(req);
}

static void test_interval_parse(void **state)
{
	vlt_interval_t iv;
	vlt_err_t err = {0};
	char buf[80];

	(void)state;
	json_t *req = json_pack("{s:s, s:s}", "start", "2026-12-08T10:00:00Z", "end",
				"2026-12-09T10:00:00Z");
	assert_int_equal(vlt__interval_parse(req, NULL, &iv, &err), 0);
	assert_int_equal(iv.start_ms, at("2026-12-08T10:00:00Z"));
	assert_int_equal(iv.end_ms, at("2026-12-09T10:00:00Z"));
	assert_true(vlt__interval_timed(&iv));
	vlt__interval_format(&iv, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-08T10:00:00Z to 2026-12-09T10:00:00Z");
	json_object_del(req, "start");
	assert_int_equal(vlt__interval_parse(req, NULL, &iv, &err), 0);
	assert_true(iv.start_ms == VLT_TIME_BEGIN && vlt__interval_timed(&iv));
	vlt__interval_format(&iv, buf, sizeof(buf));
	assert_string_equal(buf, "now to 2026-12-09T10:00:00Z");
	json_object_del(req, "end");
	assert_int_equal(vlt__interval_parse(req, NULL, &iv, &err), 0);
	assert_false(vlt__interval_timed(&iv));
	json_decref(req);

	expect_interval_error("{\"start\": \"now\"}",
			      "plan.json: $.start: expected an RFC 3339 UTC time like "
			      "2026-12-08T10:00:00Z, not \"now\"");
	expect_interval_error("{\"end\": 17}",
			      "plan.json: $.end: expected an RFC 3339 UTC time like "
			      "2026-12-08T10:00:00Z, not a number");
	expect_interval_error("{\"start\": \"2026-12-08T10:00:00Z\", \"end\": "
			      "\"2026-12-08T10:00:00Z\"}",
			      "plan.json: $.end: not after $.start");
	expect_interval_error("[{\"start\": \"2026-12-09T10:00:00Z\", \"end\": "
			      "\"2026-12-08T10:00:00Z\"}]",
			      "plan.json: $[0].end: not after $[0].start");
}

/* ---------------------------------------------------------------- the tree */

struct brute_hold {
	vlt_interval_t iv;
	int64_t demand[VLT_RES_COUNT];
	bool live;
};

static uint64_t rng_state = 12345;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/* A time among few, so that holds share bounds; sometimes absent. */
static int64_t random_time(int64_t absent)
{
	return rnd(12) == 0 ? absent : (int64_t)rnd(40) * 1000 - 5000;
}

static vlt_interval_t random_interval(void)
{
	vlt_interval_t iv;

	do {
		iv.start_ms = random_time(VLT_TIME_BEGIN);
		iv.end_ms = random_time(VLT_TIME_END);
	} while (iv.end_ms <= iv.start_ms);
	return iv;
}

/* The peak as a definition: the usage at the interval's start and at every start within it. */
static void brute_peak(const struct brute_hold *h, size_t n, const vlt_interval_t *iv,
		       int64_t peak[VLT_RES_COUNT], bool *busy)
{
	memset(peak, 0, sizeof(int64_t) * VLT_RES_COUNT);
	*busy = false;
	for (size_t c = 0; c <= n; c++) {
		int64_t t = c == n ? iv->start_ms : h[c].iv.start_ms;
		int64_t use[VLT_RES_COUNT] = {0};
		bool any = false;

		if (c < n && (!h[c].live || t < iv->start_ms || t >= iv->end_ms))
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!h[i].live || h[i].iv.start_ms > t || h[i].iv.end_ms <= t)
				continue;
			any = true;
			for (int r = 0; r < VLT_RES_COUNT; r++)
				use[r] += h[i].demand[r];
		}
		*busy = *busy || any;
		for (int r = 0; r < VLT_RES_COUNT; r++)
			peak[r] = use[r] > peak[r] ? use[r] : peak[r];
	}
}

static int by_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether the live holds take more than limit of some resource at time t. */
static bool brute_over_at(const struct brute_hold *h, size_t n, int64_t t,
			  const int64_t limit[VLT_RES_COUNT])
{
	int64_t use[VLT_RES_COUNT] = {0};

	for (size_t i = 0; i < n; i++)
		if (h[i].live && h[i].iv.start_ms <= t && t < h[i].iv.end_ms)
			for (int r = 0; r < VLT_RES_COUNT; r++)
				use[r] += h[i].demand[r];
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (use[r] > limit[r])
			return true;
	return false;
}

/*
 * The parts of iv over limit as a definition: usage is constant between
 * the interval's start and the bounds of holds within it; consecutive
 * stretches over the limit are one part.
 */
static size_t brute_short(const struct brute_hold *h, size_t n, const vlt_interval_t *iv,
			  const int64_t limit[VLT_RES_COUNT], vlt_interval_t *out)
{
	static int64_t times[2 * 300 + 1];
	size_t k = 0, parts = 0;
	bool open = false;

	times[k++] = iv->start_ms;
	for (size_t i = 0; i < n; i++) {
		if (!h[i].live)
			continue;
		int64_t b[2] = {h[i].iv.start_ms, h[i].iv.end_ms};
		for (int j = 0; j < 2; j++)
			if (b[j] > iv->start_ms && b[j] < iv->end_ms)
				times[k++] = b[j];
	}
	qsort(times, k, sizeof(*times), by_time);
	for (size_t i = 0; i < k; i++) {
		if (i > 0 && times[i] == times[i - 1])
			continue;
		bool over = brute_over_at(h, n, times[i], limit);
		if (over && !open)
			out[parts].start_ms = times[i];
		else if (!over && open)
			out[parts++].end_ms = times[i];
		open = over;
	}
	if (open)
		out[parts++].end_ms = iv->end_ms;
	return parts;
}

/* vlt__timeline_short agrees with brute_short on iv, for a random limit. */
static void check_short(const vlt_timeline_t *t, const struct brute_hold *h, size_t n,
			const vlt_interval_t *iv)
{
	static vlt_interval_t got[2 * 300 + 1], want[2 * 300 + 1];
	int64_t limit[VLT_RES_COUNT];

	for (int r = 0; r < VLT_RES_COUNT; r++)
		limit[r] = (int64_t)rnd(40) - 1; /* -1: over at every time */
	size_t n_want = brute_short(h, n, iv, limit, want);
	/* a short buffer still counts every part */
	assert_int_equal(vlt__timeline_short(t, iv, limit, got, 1), n_want);
	assert_int_equal(vlt__timeline_short(t, iv, limit, got, n_want), n_want);
	for (size_t i = 0; i < n_want; i++) {
		assert_int_equal(got[i].start_ms, want[i].start_ms);
		assert_int_equal(got[i].end_ms, want[i].end_ms);
	}
}

static void test_tree_peak_matches_brute_force(void **state)
{
	enum { N = 300 };
	static struct brute_hold h[N];
	vlt_timeline_t *t = vlt__timeline_new();
	uint32_t live = 0;

	(void)state;
	assert_non_null(t);
	for (int step = 0; step < 4000; step++) {
		size_t i = rnd(N);
		if (h[i].live) {
			vlt__timeline_add(t, &h[i].iv, h[i].demand, -1);
			h[i].live = false;
			live--;
		} else {
			h[i].iv = random_interval();
			for (int r = 0; r < VLT_RES_COUNT; r++)
				h[i].demand[r] = (int64_t)rnd(5); /* zero demands too */
			assert_int_equal(vlt__timeline_add(t, &h[i].iv, h[i].demand, +1), 0);
			h[i].live = true;
			live++;
		}
		assert_int_equal(vlt__timeline_holds(t), live);
		for (int q = 0; q < 3; q++) {
			vlt_interval_t iv = q == 0 ? vlt__interval_always : random_interval();
			int64_t got[VLT_RES_COUNT], want[VLT_RES_COUNT];
			bool busy;

			vlt__timeline_peak(t, &iv, got);
			brute_peak(h, N, &iv, want, &busy);
			assert_memory_equal(got, want, sizeof(got));
			assert_int_equal(vlt__timeline_busy(t, &iv), busy);
			check_short(t, h, N, &iv);
		}
	}
	/* everything given back: nothing left at any time */
	for (size_t i = 0; i < N; i++)
		if (h[i].live)
			vlt__timeline_add(t, &h[i].iv, h[i].demand, -1);
	assert_int_equal(vlt__timeline_holds(t), 0);
	assert_false(vlt__timeline_busy(t, &vlt__interval_always));
	vlt__timeline_free(t);
}

/* ---------------------------------------------------------------- engine */

static void test_timed_request_is_placed_and_bad_times_refused(void **state)
{
	json_t *res;
	vlt_err_t err = {0};

	(void)state;
	assert_int_equal(place(timed("r", 2, "half", "2026-12-08T10:00:00Z",
				     "2026-12-09T10:00:00Z"), &res, &err), VLT_OK);
	assert_string_equal(vlt_fixture_message(res), "success");
	json_decref(res);
	assert_int_equal(vlt__engine_release(session.engine, "r"), VLT_OK);

	res = NULL;
	assert_int_equal(place(timed("bad", 1, "half", "2026-12-09T10:00:00Z",
				     "2026-12-08T10:00:00Z"), &res, &err), VLT_EINVAL);
	assert_null(res);
	assert_string_equal(err.msg, "test: $.end: not after $.start");
	/* refused: nothing held under it */
	assert_int_equal(vlt__engine_release(session.engine, "bad"), VLT_ENOENT);
}

#define D8 "2026-12-08T10:00:00Z"
#define D9 "2026-12-09T10:00:00Z"
#define D10 "2026-12-10T10:00:00Z"
#define NONE_FIT "0 of 6 hosts fit: 5 short of vcpus, 1 disabled"
/* A timed refusal's: when says when the host short for the least time is short. */
#define NONE_FIT_WHEN(when) "0 of 6 hosts fit: 5 short of vcpus (" when "), 1 disabled"
#define THROUGHOUT "each short throughout the interval"
#define LEAST(host) "on the host short for the least time, " host ": short "

/* place answers VLT_OK, or VLT_ENOPLACE with the message want. */
static void expect(json_t *req, const char *want)
{
	json_t *res = NULL;
	vlt_err_t err = {0};
	int rc = place(req, &res, &err);

	if (want == NULL) {
		if (rc != VLT_OK)
			fail_msg("not placed: %s", res ? vlt_fixture_message(res) : err.msg);
	} else {
		if (rc == VLT_OK)
			fail_msg("placed, on %s", vlt_fixture_location(res, "s0"));
		assert_int_equal(rc, VLT_ENOPLACE);
		assert_string_equal(vlt_fixture_message(res), want);
	}
	json_decref(res);
}

static void release(const char *plan)
{
	assert_int_equal(vlt__engine_release(session.engine, plan), VLT_OK);
}

/*
 * The ledger's per-rack and per-cluster sums and maxima agree with its
 * hosts' free capacity, and no host shows a timed peak it has no timeline
 * for, whatever projections came and went.
 */
static int aggregates_agree(const vlt_engine_view_t *v, void *ctx, vlt_err_t *err)
{
	const vlt_ledger_t *l = v->ledger;
	const vlt_dc_t *dc = v->dc;

	(void)ctx;
	(void)err;
	assert_false(vlt__interval_timed(&l->view));
	for (uint32_t r = 0; r < dc->n_racks; r++)
		for (int res = 0; res < VLT_RES_COUNT; res++) {
			int64_t sum = 0, max = -1;
			const vlt_domain_t *rk = &dc->racks[r];
			for (uint32_t h = rk->first_host; h < rk->first_host + rk->n_hosts; h++) {
				if (!dc->hosts[h].enabled)
					continue;
				sum += l->host_free[h][res];
				max = l->host_free[h][res] > max ? l->host_free[h][res] : max;
			}
			assert_int_equal(l->rack_free[r][res], sum);
			assert_int_equal(l->rack_max_free[r][res], max);
		}
	for (uint32_t h = 0; h < dc->n_hosts; h++)
		if (l->timeline[h] == NULL)
			for (int res = 0; res < VLT_RES_COUNT; res++)
				assert_int_equal(l->timed_shown[h][res], 0);
	return 0;
}

static void check_aggregates(void)
{
	vlt_err_t err = {0};

	assert_int_equal(vlt__engine_inspect(session.engine, aggregates_agree, NULL, &err), 0);
}

/*
 * Four full servers fit on h1-h3 and h5 (h4 runs 2 vCPU): reserved for
 * Dec 8 to 9, they keep every open-ended plan out, but not a plan that
 * ends by the reservation's start.
 */
static void test_future_reservation_keeps_open_ended_plans_out(void **state)
{
	(void)state;
	expect(timed("r", 4, "full", D8, D9), NULL);
	expect(timed("open", 1, "full", NULL, NULL), "server s0: " NONE_FIT);
	expect(timed("later", 1, "full", D9, NULL), NULL); /* starts as r ends */
	release("later");
	expect(timed("starts", 1, "full", "2026-12-08T09:00:00Z", NULL),
	       "server s0 over 2026-12-08T09:00:00Z to no end: " NONE_FIT_WHEN(
		       LEAST("h1") "from " D8 " to " D9 "; free before and after"));
	expect(timed("before", 4, "full", NULL, D8), NULL); /* ends as r starts */
	expect(timed("late", 1, "full", NULL, "2026-12-08T10:00:00.001Z"),
	       "server s0 over now to 2026-12-08T10:00:00.001Z: " NONE_FIT_WHEN(THROUGHOUT));
	release("before");
	/* what is left beside r: h4's 6 vCPU, at every time */
	expect(timed("small", 1, "half", NULL, NULL), NULL);
	release("small");
	release("r");
	expect(timed("open", 4, "full", NULL, NULL), NULL);
	release("open");
}

static void test_disjoint_windows_share_hosts_overlapping_do_not(void **state)
{
	(void)state;
	expect(timed("r1", 4, "full", D8, D9), NULL);
	expect(timed("r2", 4, "full", D9, D10), NULL);
	expect(timed("r3", 1, "full", "2026-12-09T09:00:00Z", "2026-12-09T11:00:00Z"),
	       "server s0 over 2026-12-09T09:00:00Z to 2026-12-09T11:00:00Z: "
	       NONE_FIT_WHEN(THROUGHOUT));
	/* released, r1's window is free again; r2's is not */
	release("r1");
	expect(timed("r4", 4, "full", "2026-12-08T12:00:00Z", "2026-12-08T13:00:00Z"), NULL);
	expect(timed("r3", 1, "full", "2026-12-09T09:00:00Z", "2026-12-09T11:00:00Z"),
	       "server s0 over 2026-12-09T09:00:00Z to 2026-12-09T11:00:00Z: "
	       NONE_FIT_WHEN(LEAST("h1") "from " D9 " to 2026-12-09T11:00:00Z; free before"));
	release("r2");
	expect(timed("r3", 1, "full", "2026-12-09T09:00:00Z", "2026-12-09T11:00:00Z"), NULL);
	check_aggregates();
	release("r3");
	release("r4");
	/* nothing timed is left: the open-ended view is the whole inventory again */
	expect(timed("open", 4, "full", NULL, NULL), NULL);
	expect(timed("more", 1, "full", NULL, NULL), "server s0: " NONE_FIT);
}

/* Where s<i> of a placed request went, copied into hosts[i]. */
static void place_at(json_t *req, unsigned n, char hosts[][8])
{
	json_t *res = NULL;
	vlt_err_t err = {0};
	char id[16];

	if (place(req, &res, &err) != VLT_OK)
		fail_msg("not placed: %s", res ? vlt_fixture_message(res) : err.msg);
	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		snprintf(hosts[i], 8, "%s", vlt_fixture_location(res, id));
	}
	json_decref(res);
}

/* A group assignment of s0..s<n-1> as resource "g" of req. */
static json_t *grouped(json_t *req, const char *type, const char *name, unsigned n)
{
	json_t *members = json_array();
	char id[16];

	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		json_array_append_new(members, json_string(id));
	}
	json_object_set_new(json_object_get(req, "resources"), "g",
			    json_pack("{s:s, s:{s:s, s:s?, s:s, s:o}}", "type",
				      "ATT::Valet::GroupAssignment", "properties", "group_type",
				      type, "group_name", name, "level", "host", "resources",
				      members));
	return req;
}

static void test_groups_hold_for_timed_stacks(void **state)
{
	char at[4][8], later[1][8];

	(void)state;
	/* diversity: four hosts, affinity: one */
	place_at(grouped(timed("div", 4, "half", D8, D9), "diversity", "spread", 4), 4, at);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(at[i], at[j]);
	place_at(grouped(timed("aff", 2, "half", D8, D9), "affinity", "pair", 2), 2, at);
	assert_string_equal(at[0], at[1]);
	/* a later member of the named affinity group joins its host, capacity allowing */
	place_at(grouped(timed("aff2", 1, "half", D9, D10), "affinity", "pair", 1), 1, later);
	assert_string_equal(later[0], at[0]);
	expect(grouped(timed("aff3", 1, "half", D8, D9), "affinity", "pair", 1),
	       "server s0 over " D8 " to " D9 ": 0 of 6 hosts fit: 3 affinity(host) pair, "
	       "2 short of vcpus (" THROUGHOUT "), 1 disabled");
	check_aggregates();
	release("div");
	release("aff");
	release("aff2");

	/* exclusivity: while the reservation is held, its host is its group's only */
	place_at(grouped(timed("ex", 1, "half", D8, D9), "exclusivity", "mine", 1), 1, at);
	for (int i = 0; i < 4; i++) {
		char name[8], o[1][8];
		snprintf(name, sizeof(name), "o%d", i);
		place_at(timed(name, 1, "half", D9, D10), 1, o);
		assert_string_not_equal(o[0], at[0]);
	}
}

/* A replayed timed plan holds over its interval, as the placed one did. */
static void test_hold_replays_a_timed_plan(void **state)
{
	json_t *req = timed("h", 2, "full", D8, D9);
	json_t *locs = json_pack("{s:s, s:s}", "s0", "h1", "s1", "h2");
	vlt_err_t err = {0};

	(void)state;
	assert_int_equal(vlt__engine_hold(session.engine, req, "t", "h", locs, &err), VLT_OK);
	expect(timed("open", 1, "full", NULL, NULL), NULL);
	expect(timed("open2", 1, "full", NULL, NULL), NULL);
	expect(timed("open3", 1, "full", NULL, NULL), "server s0: " NONE_FIT);
	expect(timed("before", 2, "full", NULL, D8), NULL);
	expect(timed("during", 1, "full", D8, D9),
	       "server s0 over " D8 " to " D9 ": " NONE_FIT_WHEN(THROUGHOUT));
	release("h");
	expect(timed("during", 2, "full", D8, D9), NULL);
	json_decref(locs);
	json_decref(req);
}

/* n full servers over [start, end), held (as a replay does) on hosts, one each. */
static void hold_on(const char *plan, const char *start, const char *end, unsigned n,
		    const char *const *hosts)
{
	json_t *req = timed(plan, n, "full", start, end);
	json_t *locs = json_object();
	vlt_err_t err = {0};
	char id[16];

	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		json_object_set_new(locs, id, json_string(hosts[i]));
	}
	if (vlt__engine_hold(session.engine, req, "t", plan, locs, &err) != VLT_OK)
		fail_msg("not held: %s", err.msg);
	json_decref(locs);
	json_decref(req);
}

/*
 * A timed refusal says when the host short for the least time is short:
 * the parts of the interval where its timed holds leave too little,
 * merged, and whether it is free before, between and after them.
 */
static void test_refusal_says_when_capacity_is_short(void **state)
{
	static const char *const four[] = {"h1", "h2", "h3", "h5"}, *const h1[] = {"h1"};

	(void)state;
	hold_on("a", D8, D9, 4, four);
	hold_on("b", D9, D10, 1, h1);
	/* h1 is short from Dec 8 to 10 (a and b meet), h2 only Dec 8 to 9, h4 throughout */
	expect(timed("q", 1, "full", "2026-12-08T08:00:00Z", "2026-12-10T12:00:00Z"),
	       "server s0 over 2026-12-08T08:00:00Z to 2026-12-10T12:00:00Z: " NONE_FIT_WHEN(
		       LEAST("h2") "from " D8 " to " D9 "; free before and after"));
	/* a half server fits: h4 has 6 vCPU free throughout */
	expect(timed("half", 1, "half", "2026-12-08T08:00:00Z", "2026-12-10T12:00:00Z"), NULL);
	release("half");
	release("b");
	hold_on("c", D10, "2026-12-10T11:00:00Z", 4, four);
	expect(timed("q", 1, "full", "2026-12-08T08:00:00Z", "2026-12-10T12:00:00Z"),
	       "server s0 over 2026-12-08T08:00:00Z to 2026-12-10T12:00:00Z: " NONE_FIT_WHEN(
		       LEAST("h1") "from " D8 " to " D9 " and from " D10
				   " to 2026-12-10T11:00:00Z; free before, between and after"));
	/* an open-ended refusal says no times */
	expect(timed("open", 1, "full", NULL, NULL), "server s0: " NONE_FIT);
	release("a");
	release("c");
	check_aggregates();
}

/* A timed plan's update (moved to another window) keeps it whole, or changes nothing. */
static void test_replace_moves_a_reservation_or_changes_nothing(void **state)
{
	vlt_place_opts_t o = {.replaces = "r", .plan_id = "r"};
	json_t *res = NULL;
	vlt_err_t err = {0};

	(void)state;
	expect(timed("r", 4, "full", D8, D9), NULL);
	expect(timed("other", 4, "full", D9, D10), NULL);
	/* onto other's window: refused, r still holds Dec 8 to 9 */
	json_t *req = timed("r", 4, "full", "2026-12-09T09:00:00Z", D10);
	assert_int_equal(vlt__engine_place_opts(session.engine, req, "test", &o, &res, &err),
			 VLT_ENOPLACE);
	json_decref(req);
	json_decref(res);
	expect(timed("probe", 1, "full", D8, D9),
	       "server s0 over " D8 " to " D9 ": " NONE_FIT_WHEN(THROUGHOUT));
	/* to the day before: placed, and Dec 8 to 9 is free */
	req = timed("r", 4, "full", "2026-12-07T10:00:00Z", D8);
	assert_int_equal(vlt__engine_place_opts(session.engine, req, "test", &o, &res, &err),
			 VLT_OK);
	json_decref(req);
	json_decref(res);
	expect(timed("probe", 4, "full", D8, D9), NULL);
	expect(timed("probe2", 1, "full", "2026-12-07T12:00:00Z", "2026-12-07T13:00:00Z"),
	       "server s0 over 2026-12-07T12:00:00Z to 2026-12-07T13:00:00Z: "
	       NONE_FIT_WHEN(THROUGHOUT));
	check_aggregates();
	release("r");
	release("other");
	release("probe");
	expect(timed("open", 4, "full", NULL, NULL), NULL);
}

/* hosts_over(iv) into w (freed by the caller). */
static vlt_host_window_t *window(const char *start, const char *end)
{
	vlt_interval_t iv = {at(start), at(end)};
	vlt_host_window_t *w = NULL;
	vlt_err_t err = {0};

	assert_int_equal(vlt__engine_hosts_over(session.engine, &iv, &w, &err), VLT_OK);
	return w;
}

/* A whole host held over [start, end): one server of an inline flavor of all it has, pinned. */
static int take_host(const char *plan, const char *host, const char *start, const char *end,
		     const int64_t free_[VLT_RES_COUNT], char *why, size_t n)
{
	json_t *req = timed(plan, 1, "full", start, end);
	json_t *props = json_object_get(json_object_get(json_object_get(req, "resources"), "s0"),
					"properties");
	const vlt_dc_t *dc = vlt__engine_dc(session.engine);
	uint32_t h = vlt__dc_find_host(dc, host);
	vlt_unit_locs_t pin = {.orch = "s0", .locs = &h, .n_locs = 1};
	vlt_place_opts_t o = {.pinned = &pin, .n_pinned = 1};
	json_t *res = NULL;
	vlt_err_t err = {0};

	json_object_set_new(props, "flavor",
			    json_pack("{s:I, s:I, s:I}", "vcpus", (json_int_t)free_[VLT_RES_VCPUS],
				      "ram_mb", (json_int_t)free_[VLT_RES_RAM_MB], "disk_gb",
				      (json_int_t)free_[VLT_RES_DISK_GB]));
	int rc = vlt__engine_place_opts(session.engine, req, "test", &o, &res, &err);
	snprintf(why, n, "%s", res ? vlt_fixture_message(res) : err.msg);
	json_decref(res);
	json_decref(req);
	return rc;
}

static void test_hosts_over_a_window(void **state)
{
	static const int64_t whole[VLT_RES_COUNT] = {8, 8192, 100};
	char why[VLT_ERR_MSG_MAX];

	(void)state;
	/* a half server on h1 over Dec 8 to 9, one open-ended on h2 */
	json_t *req = timed("r", 1, "half", D8, D9), *locs = json_pack("{s:s}", "s0", "h1");
	vlt_err_t err = {0};
	assert_int_equal(vlt__engine_hold(session.engine, req, "t", "r", locs, &err), VLT_OK);
	json_decref(req);
	json_decref(locs);
	req = timed("o", 1, "half", NULL, NULL);
	locs = json_pack("{s:s}", "s0", "h2");
	assert_int_equal(vlt__engine_hold(session.engine, req, "t", "o", locs, &err), VLT_OK);
	json_decref(req);
	json_decref(locs);

	vlt_host_window_t *w = window(D9, D10); /* after r */
	bool vacant[6] = {true, false, true, false, true, false}; /* h4 preloaded, h6 disabled */
	int64_t vcpus[6] = {8, 4, 8, 6, 8, 8};
	for (int h = 0; h < 6; h++) {
		assert_int_equal(w[h].vacant, vacant[h]);
		assert_int_equal(w[h].held, h == 1);
		assert_int_equal(w[h].free[VLT_RES_VCPUS], vcpus[h]);
	}
	free(w);
	w = window("2026-12-09T09:59:59.999Z", D10); /* r's last millisecond */
	assert_true(w[0].held && !w[0].vacant);
	assert_int_equal(w[0].free[VLT_RES_VCPUS], 4);
	assert_int_equal(w[0].free[VLT_RES_RAM_MB], 4096);
	free(w);
	w = window("2026-12-08T09:00:00Z", D8); /* the hour before r */
	assert_true(w[0].vacant);
	free(w);

	/* h1 taken whole after r: no longer vacant then, still before */
	assert_int_equal(take_host("whole", "h1", D9, D10, whole, why, sizeof(why)), VLT_OK);
	w = window(D9, D10);
	assert_true(w[0].held && !w[0].vacant);
	assert_int_equal(w[0].free[VLT_RES_VCPUS], 0);
	free(w);
	w = window("2026-12-08T09:00:00Z", D8);
	assert_true(w[0].vacant);
	free(w);
	/* and not twice, nor over r's window */
	assert_int_equal(take_host("again", "h1", "2026-12-09T12:00:00Z", D10, whole, why,
				   sizeof(why)), VLT_ENOPLACE);
	assert_non_null(strstr(why, "over 2026-12-09T12:00:00Z to " D10));
	assert_int_equal(take_host("during", "h1", D8, D9, whole, why, sizeof(why)),
			 VLT_ENOPLACE);
	release("whole");
	assert_int_equal(take_host("again", "h1", D9, D10, whole, why, sizeof(why)), VLT_OK);

	vlt_interval_t empty = {at(D9), at(D9)};
	assert_int_equal(vlt__engine_hosts_over(session.engine, &empty, &w, &err), VLT_EINVAL);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_parse_and_format),
		cmocka_unit_test(test_interval_parse),
		cmocka_unit_test(test_tree_peak_matches_brute_force),
		TEST(test_timed_request_is_placed_and_bad_times_refused),
		TEST(test_future_reservation_keeps_open_ended_plans_out),
		TEST(test_disjoint_windows_share_hosts_overlapping_do_not),
		TEST(test_groups_hold_for_timed_stacks),
		TEST(test_hold_replays_a_timed_plan),
		TEST(test_refusal_says_when_capacity_is_short),
		TEST(test_replace_moves_a_reservation_or_changes_nothing),
		TEST(test_hosts_over_a_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
