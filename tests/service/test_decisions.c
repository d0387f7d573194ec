/*
 * test_decisions.c - the decision record (docs/decisions.md) on a real
 * engine and store, with the service's clock injected: a plan made, a
 * server reserved, another replanned; their decisions found by plan,
 * stack, server (orchestration id and Nova's uuid), host and time; still
 * there after the service is opened again on the same store; expired past
 * service.decision_retention_s with their index. Each case runs on the
 * sqlite store and on the mongodb store (VALET_TEST_MONGODB_URI, else the
 * project's test server, tests/mongo/mockmongod.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <valet/store.h>

#include "decision.h"
#include "service_fixture.h"
#include "store_world.h"

/* 2030-01-01: far from the machine's time, so a service reading the real clock fails the tests. */
#define T0	    1893456000000
#define RETENTION_S 3600

struct world {
	store_world_t sw;
	svc_fixture_t f;
};

static void open_service(struct world *w, int64_t now_ms)
{
	vlt_service_opts_t so = { .hold_ttl_s = 0, .decision_retention_s = RETENTION_S };

	svc_fixture_open_store(&w->f, w->sw.dir, w->sw.store, w->sw.settings, so, now_ms);
}

static int setup_on(void **state, const char *store)
{
	struct world *w = calloc(1, sizeof(*w));

	if (store_world_init(&w->sw, store, "dec") < 0) {
		free(w);
		*state = NULL;
		return 0;
	}
	open_service(w, T0);
	*state = w;
	return 0;
}

static int setup_sqlite(void **state)
{
	return setup_on(state, "sqlite");
}

static int setup_mongodb(void **state)
{
	return setup_on(state, "mongodb");
}

static int teardown(void **state)
{
	struct world *w = *state;

	if (w == NULL)
		return 0;
	svc_fixture_close(&w->f);
	store_world_fini(&w->sw);
	free(w);
	return 0;
}

#define NEED_WORLD(w) STORE_WORLD_NEED(w)

/* ---- helpers */

/* GET /v1/decisions with the filter "k1", "v1", "k2", "v2", ..., NULL: the list (new reference). */
static json_t *query(svc_fixture_t *f, ...)
{
	json_t *filter = json_object(), *out = NULL;
	vlt_err_t err = { 0 };
	va_list ap;
	const char *k;

	va_start(ap, f);
	while ((k = va_arg(ap, const char *)) != NULL)
		json_object_set_new(filter, k, json_string(va_arg(ap, const char *)));
	va_end(ap);
	if (vlt__service_decisions(f->svc, filter, &out, &err) < 0)
		fail_msg("decisions: %s", err.msg);
	json_decref(filter);
	json_t *list = json_incref(json_object_get(out, "decisions"));
	json_decref(out);
	assert_true(json_is_array(list));
	return list;
}

/* The kinds of a list, newest first, joined by spaces, into buf. */
static const char *kinds(const json_t *list, char *buf, size_t n)
{
	size_t i, off = 0;
	json_t *d;

	buf[0] = '\0';
	json_array_foreach(list, i, d)
	{
		off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? " " : "",
					json_string_value(json_object_get(d, "kind")));
		if (off >= n)
			break;
	}
	return buf;
}

static void expect_kinds(svc_fixture_t *f, const char *want, const char *k, const char *v)
{
	char buf[256];
	json_t *list = query(f, k, v, NULL);

	if (strcmp(kinds(list, buf, sizeof(buf)), want) != 0)
		fail_msg("decisions with %s=%s: got \"%s\", want \"%s\"", k, v, buf, want);
	json_decref(list);
}

static const char *plan_id_of(svc_fixture_t *f, const char *stack, char *buf, size_t n)
{
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__service_plan_get(f->svc, stack, &doc, &err), 0);
	snprintf(buf, n, "%s",
		 json_string_value(json_object_get(json_object_get(doc, "plan"), "id")));
	json_decref(doc);
	return buf;
}

static void reserve(svc_fixture_t *f, const char *orch, const char *action, const char *host,
		    const char *rid)
{
	json_t *body =
	    json_pack("{s:s, s:[s], s:s}", "action", action, "locations", host, "resource_id", rid);
	json_t *answer = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_placement_reserve(f->svc, orch, body, &answer, &err) < 0)
		fail_msg("%s %s on %s: %s", action, orch, host, err.msg);
	json_decref(answer);
	json_decref(body);
}

/* A host of the inventory (qos101 to qos108) that is neither a nor b. */
static void other_host(const char *a, const char *b, char *buf, size_t n)
{
	for (int i = 1; i <= 8; i++) {
		snprintf(buf, n, "qos10%d", i);
		if (strcmp(buf, a) != 0 && strcmp(buf, b) != 0)
			return;
	}
}

/*
 * Plan a (servers a0, a1), reserve a0 where it is (resource id uuid-a0),
 * replan a1 onto another host (uuid-a1), one ms apart each.
 * Fills a0's host and a1's new host.
 */
static void make_history(struct world *w, char *host0, char *host1, size_t n)
{
	svc_fixture_t *f = &w->f;
	vlt_err_t err = { 0 };
	char h1[64];

	if (svc_fixture_create(f, "stack-a", "a", 2, &err) < 0)
		fail_msg("plan: %s", err.msg);
	svc_fixture_location(f, "a0", host0, n);
	f->now_ms += 1;
	reserve(f, "a0", "reserve", host0, "uuid-a0");
	f->now_ms += 1;
	svc_fixture_location(f, "a1", h1, sizeof(h1));
	other_host(host0, h1, host1, n);
	reserve(f, "a1", "replan", host1, "uuid-a1");
	svc_fixture_location(f, "a1", h1, sizeof(h1));
	assert_string_equal(h1, host1);
}

/* ---- the cases */

/* The create's document: what was asked, solver and metrics, units with their runner-ups. */
static void test_plan_decision(void **state)
{
	struct world *w = *state;
	NEED_WORLD(w);
	svc_fixture_t *f = &w->f;
	vlt_err_t err = { 0 };
	char pid[64];

	assert_int_equal(svc_fixture_create(f, "stack-a", "a", 2, &err), 0);
	json_t *list = query(f, "stack", "stack-a", NULL);
	assert_int_equal(json_array_size(list), 1);
	json_t *d = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "create");
	assert_string_equal(json_string_value(json_object_get(d, "plan_id")),
			    plan_id_of(f, "stack-a", pid, sizeof(pid)));
	assert_string_equal(json_string_value(json_object_get(d, "stack_id")), "stack-a");
	assert_int_equal(json_integer_value(json_object_get(d, "time")), T0);
	assert_string_equal(json_string_value(json_object_get(d, "solver")), "ostro");
	assert_true(json_is_object(json_object_get(d, "metrics")));
	json_t *asked = json_object_get(d, "request");
	assert_int_equal(json_integer_value(json_object_get(asked, "journal")), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(asked, "body"), "stack_id")),
	    "stack-a");
	json_t *units = json_object_get(d, "units");
	assert_int_equal(json_array_size(units), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *u = json_array_get(units, i);
		char where[64];
		const char *id = json_string_value(json_object_get(u, "id"));
		assert_string_equal(json_string_value(json_object_get(u, "host")),
				    svc_fixture_location(f, id, where, sizeof(where)));
		/* eight hosts: the others fit too (large servers, an empty data center) */
		const char *ru = json_string_value(json_object_get(u, "runner_up"));
		assert_non_null(ru);
		assert_string_not_equal(ru, where);
		assert_non_null(strstr(json_string_value(json_object_get(u, "why")), "fit"));
	}
	/* every host the solver checked either fit or was refused for a reason, per unit */
	json_t *refused = json_object_get(d, "refused");
	assert_true(json_is_object(refused));
	json_int_t fit = 0, ref = 0, checked = 0;
	const char *reason;
	json_t *n;
	json_object_foreach(refused, reason, n) ref += json_integer_value(n);
	for (size_t i = 0; i < 2; i++) {
		json_t *u = json_array_get(units, i);
		fit += json_integer_value(json_object_get(u, "fit"));
		checked += json_integer_value(json_object_get(u, "checked"));
		assert_int_equal(json_integer_value(json_object_get(u, "of")), 8);
	}
	assert_int_equal(fit + ref, checked);
	assert_true(checked >= 2);

	/* the same document by its id */
	json_t *one = NULL;
	assert_int_equal(vlt__service_decision_get(
			     f->svc, json_string_value(json_object_get(d, "id")), &one, &err),
			 0);
	assert_true(json_equal(json_object_get(one, "decision"), d));
	json_decref(one);
	assert_int_equal(vlt__service_decision_get(f->svc, "no-such-decision", &one, &err),
			 VLT_ENOENT);
	json_decref(list);
}

/* A reserve and a replan: found by plan, stack, server (both ids), host and time, newest first. */
static void test_found_by_every_filter(void **state)
{
	struct world *w = *state;
	NEED_WORLD(w);
	svc_fixture_t *f = &w->f;
	char host0[64], host1[64], pid[64], t[32];

	make_history(w, host0, host1, sizeof(host0));
	plan_id_of(f, "stack-a", pid, sizeof(pid));
	expect_kinds(f, "replan reserve create", "plan", pid);
	expect_kinds(f, "replan reserve create", "stack", "stack-a");
	expect_kinds(f, "replan reserve create", "plan", "stack-a"); /* a plan by its stack's id */
	expect_kinds(f, "reserve create", "server", "a0");
	expect_kinds(f, "reserve create", "server", "uuid-a0"); /* the create learnt Nova's uuid */
	expect_kinds(f, "replan create", "server", "a1");
	expect_kinds(f, "replan create", "server", "uuid-a1"); /* a replan tells the uuid too */
	expect_kinds(f, "replan", "host", host1);
	expect_kinds(f, "", "plan", "no-such-plan");
	snprintf(t, sizeof(t), "%lld", (long long)T0 + 1);
	expect_kinds(f, "replan reserve create", "since", "0");
	json_t *list = query(f, "plan", pid, "since", t, NULL);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	list = query(f, "until", t, "limit", "1", NULL);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "kind")),
			    "reserve");
	json_decref(list);
	/* 2030-01-01T00:00:00.001Z is T0 + 1 */
	list = query(f, "since", "2030-01-01T00:00:00.001Z", NULL);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	/* the replan says where it went instead, the reserve where it stayed */
	list = query(f, "server", "a1", "limit", "1", NULL);
	json_t *u = json_array_get(json_object_get(json_array_get(list, 0), "units"), 0);
	assert_string_equal(json_string_value(json_object_get(u, "id")), "a1");
	assert_string_equal(json_string_value(json_object_get(u, "host")), host1);
	assert_string_equal(json_string_value(json_object_get(u, "resource_id")), "uuid-a1");
	json_decref(list);
}

static void update_plan(svc_fixture_t *f, const char *stack, json_t *body)
{
	json_t *plan = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_plan_update(f->svc, stack, body, NULL, &plan, &err) < 0)
		fail_msg("update %s: %s", stack, err.msg);
	json_decref(plan);
	json_decref(body);
}

/* An update, a migrate and an ad-hoc plan each leave theirs; the migrate's siblings are not in it.
 */
static void test_update_migrate_adhoc(void **state)
{
	struct world *w = *state;
	NEED_WORLD(w);
	svc_fixture_t *f = &w->f;
	vlt_err_t err = { 0 };
	char h0[64], h1[64];

	assert_int_equal(svc_fixture_create(f, "stack-a", "a", 2, &err), 0);
	f->now_ms += 1;
	json_t *req = svc_fixture_request("stack-a", "a", 3, "m1.large");
	json_object_set_new(req, "action", json_string("update"));
	update_plan(f, "stack-a", req);
	f->now_ms += 1;
	svc_fixture_location(f, "a0", h0, sizeof(h0));
	update_plan(f, "stack-a",
		    json_pack("{s:s, s:[s]}", "action", "migrate", "resources", "a0"));
	svc_fixture_location(f, "a0", h1, sizeof(h1));
	assert_string_not_equal(h0, h1);
	expect_kinds(f, "migrate update create", "stack", "stack-a");
	json_t *list = query(f, "stack", "stack-a", "limit", "1", NULL);
	json_t *units = json_object_get(json_array_get(list, 0), "units");
	assert_int_equal(json_array_size(units), 1); /* a1 and a2 stayed where they were */
	assert_string_equal(json_string_value(json_object_get(json_array_get(units, 0), "host")),
			    h1);
	json_decref(list);
	expect_kinds(f, "migrate create", "server", "a0"); /* the update kept a0 where it was */
	expect_kinds(f, "update", "server", "a2");	   /* a2 came with the update */

	f->now_ms += 1;
	req = svc_fixture_request("stack-x", "x", 1, "m1.large");
	json_object_set_new(req, "locations", json_pack("[s]", "qos105"));
	json_t *plan = NULL;
	assert_int_equal(vlt__service_plan_create(f->svc, req, NULL, &plan, &err), 0);
	json_decref(plan);
	json_decref(req);
	expect_kinds(f, "adhoc", "host", "qos105");
}

/*
 * A store without range (a module built for ABI 1.3): the core walks
 * list() and filters; the answers are the same.
 */
static void test_store_without_range(void **state)
{
	struct world *w = *state;
	NEED_WORLD(w);
	svc_fixture_t *f = &w->f;
	vlt_store_ops_t older = *f->mods.store->ops.store;
	const vlt_store_ops_t *own = f->mods.store->ops.store;
	char host0[64], host1[64], pid[64];

	older.range = NULL;
	older.info.abi_minor = 3;
	f->mods.store->ops.store = &older;
	make_history(w, host0, host1, sizeof(host0));
	plan_id_of(f, "stack-a", pid, sizeof(pid));
	expect_kinds(f, "replan reserve create", "plan", pid);
	expect_kinds(f, "reserve create", "server", "uuid-a0");
	expect_kinds(f, "replan", "host", host1);
	json_t *list = query(f, "limit", "2", NULL);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "kind")),
			    "replan");
	json_decref(list);
	f->mods.store->ops.store = own;
}

static void expect_refused(svc_fixture_t *f, const char *key, const char *value, const char *words)
{
	json_t *filter = json_pack("{s:s}", key, value), *out = NULL;
	vlt_err_t err = { 0 };

	assert_int_equal(vlt__service_decisions(f->svc, filter, &out, &err), VLT_EINVAL);
	if (strstr(err.msg, words) == NULL)
		fail_msg("%s=%s: \"%s\" does not say \"%s\"", key, value, err.msg, words);
	assert_null(out);
	json_decref(filter);
}

static void test_bad_filters(void **state)
{
	struct world *w = *state;
	NEED_WORLD(w);
	svc_fixture_t *f = &w->f;

	expect_refused(f, "limit", "0", "limit: \"0\" is not a number from 1 to 1000");
	expect_refused(f, "limit", "1001", "limit");
	expect_refused(f, "since", "yesterday", "since: \"yesterday\" is not a time");
	expect_refused(f, "until", "2030-13-01T00:00:00Z", "until");
	expect_refused(f, "tenant", "x", "unknown filter \"tenant\"");
	expect_refused(f, "host", "", "host: empty");
}

/*
 * The service opened again on the same store (valetd restarted) answers
 * the same; the decisions went through the writer thread, as in valetd.
 */
static void test_kept_across_restarts(void **state)
{
	struct world *w = *state;
	NEED_WORLD(w);
	char host0[64], host1[64];

	vlt_err_t err = { 0 };

	/* as valetd runs it: written by the writer thread, which the close drains */
	assert_int_equal(vlt__service_decisions_start(w->f.svc, 0, &err), 0);
	make_history(w, host0, host1, sizeof(host0));
	json_t *before = query(&w->f, "stack", "stack-a", NULL);
	int64_t now = w->f.now_ms;
	svc_fixture_close(&w->f);
	open_service(w, now + 86400000); /* a day later */
	json_t *after = query(&w->f, "stack", "stack-a", NULL);
	assert_int_equal(json_array_size(after), 3);
	assert_true(json_equal(before, after));
	expect_kinds(&w->f, "reserve create", "server", "uuid-a0");
	expect_kinds(&w->f, "reserve create", "host", host0);
	json_decref(before);
	json_decref(after);
}

static int count_index(void *arg, const char *id, const json_t *doc, int64_t version)
{
	(void)id;
	(void)doc;
	(void)version;
	(*(size_t *)arg)++;
	return 0;
}

static size_t index_size(svc_fixture_t *f)
{
	const vlt_module_t *m = f->mods.store;
	vlt_err_t err = { 0 };
	size_t n = 0;

	assert_int_equal(m->ops.store->list(m->state, VLT_DECISION_INDEX, count_index, &n, &err),
			 0);
	return n;
}

/* Past the retention the old decisions go, index and all; a younger one stays. */
static void test_retention(void **state)
{
	struct world *w = *state;
	NEED_WORLD(w);
	svc_fixture_t *f = &w->f;
	char host0[64], host1[64];
	vlt_err_t err = { 0 };
	size_t n = 99;

	make_history(w, host0, host1, sizeof(host0));
	assert_int_equal(vlt__service_decisions_expire(f->svc, f->now_ms, &n, &err), 0);
	assert_int_equal(n, 0); /* young still */
	size_t index_of_a = index_size(f);
	assert_true(index_of_a > 0);

	f->now_ms += (int64_t)RETENTION_S * 1000 - 500; /* stack-a's are ~an hour old */
	assert_int_equal(svc_fixture_create(f, "stack-b", "b", 1, &err), 0);
	f->now_ms += 1000; /* now all three of stack-a are older than the retention */
	assert_int_equal(vlt__service_decisions_expire(f->svc, f->now_ms, &n, &err), 0);
	assert_int_equal(n, 3);
	expect_kinds(f, "", "stack", "stack-a");
	expect_kinds(f, "", "server", "uuid-a0");
	expect_kinds(f, "", "host", host1);
	expect_kinds(f, "create", "stack", "stack-b");
	/* stack-b's create: plan (by its id and its stack's), stack, its server and host */
	assert_int_equal(index_size(f), 5);
	/* what the status counts */
	json_t *st = NULL;
	assert_int_equal(vlt__service_status(f->svc, &st, &err), 0);
	json_t *dec = json_object_get(json_object_get(st, "status"), "decisions");
	assert_int_equal(json_integer_value(json_object_get(dec, "recorded")), 4);
	assert_int_equal(json_integer_value(json_object_get(dec, "expired")), 3);
	assert_int_equal(json_integer_value(json_object_get(dec, "failed")), 0);
	assert_int_equal(json_integer_value(json_object_get(dec, "retention_s")), RETENTION_S);
	json_decref(st);
}

#define BOTH(t)                                                                                    \
	cmocka_unit_test_setup_teardown(t, setup_sqlite, teardown),                                \
	    cmocka_unit_test_setup_teardown(t, setup_mongodb, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_plan_decision), BOTH(test_found_by_every_filter),
		BOTH(test_bad_filters),	  BOTH(test_kept_across_restarts),
		BOTH(test_retention),	  BOTH(test_update_migrate_adhoc),
		BOTH(test_store_without_range),
	};

	return cmocka_run_group_tests(tests, mongo_test_shared_start, mongo_test_shared_stop);
}
