/*
 * decision.c - the decision record (decision.h, docs/decisions.md): the
 * draft a placement leaves, the document built once its journal entry is
 * stored, its index, the queries of GET /v1/decisions, and expiry.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/store.h>

#include "clock.h"
#include "decision.h"
#include "log.h"
#include "service_int.h"

#define SEP	     "\x1f" /* between an index key's parts: below every printable byte */
#define TIME_DIGITS  13	    /* ms since the epoch, zero-padded: ids sort as times */
#define TIME_LAST    INT64_C(9999999999999)
#define TIME_BUF     24
#define VALUE_MAX    180 /* bytes of a value kept in an index key (the key's limit is 255) */
#define EXPIRE_BATCH 256

/* The index's fields, in the order a query picks the one it reads (most selective first). */
static const char *const index_fields[] = { "server", "plan", "stack", "host" };
#define N_INDEX_FIELDS (sizeof(index_fields) / sizeof(index_fields[0]))

/* ---------------------------------------------------------------- the store, by range */

static bool store_has_range(const vlt_module_t *m)
{
	return VLT_OPS_HAS(m->ops.store, vlt_store_ops_t, range, 4);
}

/* A store without range: list() walked, the span kept here (oldest first, then turned). */
struct span_walk {
	const char *from, *to;
	json_t *ids, *docs; /* in id order */
};

static int keep_in_span(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct span_walk *w = arg;

	(void)version;
	if ((w->from != NULL && strcmp(id, w->from) < 0) ||
	    (w->to != NULL && strcmp(id, w->to) >= 0))
		return 0;
	if (json_array_append_new(w->ids, json_string(id)) < 0 ||
	    json_array_append(w->docs, (json_t *)doc) < 0)
		return VLT_ENOMEM;
	return 0;
}

static int walk_span(vlt_service_t *s, const char *coll, const char *from, const char *to,
		     size_t limit, bool descending, vlt_store_each_fn fn, void *arg, vlt_err_t *err)
{
	struct span_walk w = { from, to, json_array(), json_array() };
	int rc = w.ids != NULL && w.docs != NULL
		     ? s->store->ops.store->list(s->store->state, coll, keep_in_span, &w, err)
		     : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	size_t n = json_array_size(w.ids);

	if (rc == VLT_ENOMEM)
		vlt_err_set(err, rc, "%s: out of memory", coll);
	for (size_t k = 0; rc == 0 && k < n && (limit == 0 || k < limit); k++) {
		size_t i = descending ? n - 1 - k : k;
		int stop = fn(arg, json_string_value(json_array_get(w.ids, i)),
			      json_array_get(w.docs, i), 1);
		if (stop != 0) {
			rc = stop < 0 ? stop : 0;
			break;
		}
	}
	json_decref(w.ids);
	json_decref(w.docs);
	return rc;
}

static int store_range(vlt_service_t *s, const char *coll, const char *from, const char *to,
		       size_t limit, bool descending, vlt_store_each_fn fn, void *arg,
		       vlt_err_t *err)
{
	if (store_has_range(s->store))
		return s->store->ops.store->range(s->store->state, coll, from, to, limit,
						  descending, fn, arg, err);
	return walk_span(s, coll, from, to, limit, descending, fn, arg, err);
}

/* ---------------------------------------------------------------- keys */

/* ms, clamped to what 13 digits hold (the year 2286), zero-padded; buf has TIME_BUF bytes. */
static void time_key(int64_t ms, char *buf, size_t n)
{
	snprintf(buf, n, "%0*" PRId64, TIME_DIGITS, ms < 0 ? 0 : ms > TIME_LAST ? TIME_LAST : ms);
}

/* At most VALUE_MAX bytes of v, cut at a character's start: the index keeps a prefix. */
static size_t value_prefix(const char *v)
{
	size_t n = strlen(v);

	if (n <= VALUE_MAX)
		return n;
	n = VALUE_MAX;
	while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* "<field>\x1f<value prefix>\x1f" + tail into buf (VLT_STORE_NAME_MAX + 1 bytes). */
static void index_key(const char *field, const char *value, const char *tail, char *buf)
{
	snprintf(buf, VLT_STORE_NAME_MAX + 1, "%s" SEP "%.*s" SEP "%s", field,
		 (int)value_prefix(value), value, tail);
}

/* ---------------------------------------------------------------- the draft */

static const char *unit_why(const vlt_placed_unit_t *p, char *buf, size_t n)
{
	const char *what = p->server ? "hosts" : "pools";
	int k = snprintf(buf, n, "%u of the %u %s the solver checked (of %u) fit", p->n_fit,
			 p->n_seen, what, p->n_total);

	if (k < 0 || (size_t)k >= n)
		return buf;
	if (p->runner_up == NULL)
		snprintf(buf + k, n - (size_t)k, "; no other one did");
	else if (p->cost < p->runner_up_cost)
		snprintf(buf + k, n - (size_t)k, "; bandwidth cost %g here, %g on the runner-up",
			 p->cost, p->runner_up_cost);
	else if (p->cost == p->runner_up_cost)
		snprintf(buf + k, n - (size_t)k,
			 "; the same bandwidth cost (%g) on the runner-up: the solver's own order "
			 "chose",
			 p->cost);
	else /* a greedy solver's earlier choices, or capacity the stack's later units took */
		snprintf(buf + k, n - (size_t)k,
			 "; bandwidth cost %g here, %g on the runner-up as the stack ended up: the "
			 "solver chose before the other units were placed",
			 p->cost, p->runner_up_cost);
	return buf;
}

static json_t *draft_unit(const vlt_placed_unit_t *p)
{
	char why[256];

	return json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:s, s:i, s:i, s:i, s:f, s:o?}", "id",
			 p->orch, "name", p->name, "type", p->type, "host", p->location,
			 "runner_up", p->runner_up, "why", unit_why(p, why, sizeof(why)), "fit",
			 (int)p->n_fit, "checked", (int)p->n_seen, "of", (int)p->n_total, "cost",
			 p->cost, "runner_up_cost",
			 p->runner_up != NULL ? json_real(p->runner_up_cost) : NULL);
}

void vlt__svc_decision_draft(vlt_service_t *s, const vlt_place_result_t *r)
{
	json_t *units = json_array();

	vlt__svc_decision_forget(s);
	for (size_t i = 0; units != NULL && i < r->n_units; i++) {
		/* units pinned where they were (a migrate's siblings) were not decided */
		if (r->units[i].explained && !r->units[i].pinned &&
		    json_array_append_new(units, draft_unit(&r->units[i])) < 0) {
			json_decref(units);
			units = NULL;
		}
	}
	if (units != NULL)
		s->decision_draft =
		    json_pack("{s:s?, s:O?, s:o, s:O?}", "solver", r->solver, "metrics", r->metrics,
			      "units", units, "refused", r->refused);
	if (s->decision_draft == NULL)
		vlt__log(NULL, VLT_LOG_WARNING, "decision record: out of memory for the draft");
}

void vlt__svc_decision_forget(vlt_service_t *s)
{
	json_decref(s->decision_draft);
	s->decision_draft = NULL;
}

/* ---------------------------------------------------------------- the document */

/* What kind of decision the entry records, or NULL for none. */
static const char *entry_kind(const json_t *e, bool drafted)
{
	const char *op = json_string_value(json_object_get(e, "op"));

	if (op == NULL)
		return NULL;
	if (strcmp(op, "reserve") == 0)
		return "reserve";
	if (!drafted)
		return NULL; /* nothing was solved: a delete's or an expiry's replacement */
	if (strcmp(op, "plan_replace") == 0)
		return json_string_value(json_object_get(e, "why"));
	if (strcmp(op, "plan_create") != 0)
		return NULL;
	json_t *req = vlt__svc_entry_request(e);
	bool adhoc = json_object_get(req, "locations") != NULL;
	const json_t *u0 = json_array_get(json_object_get(e, "units"), 0);
	json_decref(req);
	return adhoc || json_is_true(json_object_get(u0, "reserved")) ? "adhoc" : "create";
}

static const char *entry_plan_id(const json_t *e)
{
	const char *id = json_string_value(json_object_get(e, "plan_id"));

	return id != NULL ? id
			  : json_string_value(json_object_get(json_object_get(e, "plan"), "id"));
}

/* A reserve that kept its host: the one unit, as the state holds it now. */
static json_t *reserved_units(const vlt_svc_plan_t *p, const json_t *e)
{
	const vlt_svc_unit_t *u =
	    p != NULL ? vlt__state_unit_of(p, json_string_value(json_object_get(e, "orch"))) : NULL;

	if (u == NULL)
		return json_array();
	return json_pack("[{s:s, s:s?, s:s, s:s?, s:n, s:s}]", "id", u->orch, "name", u->name,
			 "type", u->type, "host", u->loc, "runner_up", "why",
			 "reserved on the host its plan held for it");
}

/* The state's resource ids (Nova's uuids) onto the units that have one by now. */
static void add_resource_ids(const vlt_svc_plan_t *p, json_t *units)
{
	size_t i;
	json_t *u;

	json_array_foreach(units, i, u)
	{
		const vlt_svc_unit_t *su =
		    p != NULL ? vlt__state_unit_of(p, json_string_value(json_object_get(u, "id")))
			      : NULL;
		if (su != NULL && su->resource_id != NULL)
			json_object_set_new(u, "resource_id", json_string(su->resource_id));
	}
}

/* What was asked: the entry's request (or the reserve itself), and where the journal has it. */
static json_t *asked(const json_t *e, uint64_t seq)
{
	json_t *req = vlt__svc_entry_request(e);

	if (req == NULL)
		req = json_pack("{s:O?, s:O?}", "orch", json_object_get(e, "orch"), "resource_id",
				json_object_get(e, "resource_id"));
	return json_pack("{s:I, s:O?, s:o?}", "journal", (json_int_t)seq, "op",
			 json_object_get(e, "op"), "body", req);
}

json_t *vlt__svc_decision_build(vlt_service_t *s, const json_t *entry, uint64_t seq)
{
	json_t *draft = s->decision_draft;
	const char *kind = entry_kind(entry, draft != NULL);
	char id[TIME_BUF + 1 + 37], uuid[37];
	int64_t now = vlt__svc_now_ms(s);

	s->decision_draft = NULL;
	if (kind == NULL) {
		json_decref(draft);
		return NULL;
	}
	const char *plan_id = entry_plan_id(entry);
	const vlt_svc_plan_t *p = plan_id != NULL ? vlt__state_plan_by_id(&s->st, plan_id) : NULL;
	json_t *units =
	    draft != NULL ? json_incref(json_object_get(draft, "units")) : reserved_units(p, entry);
	add_resource_ids(p, units);
	time_key(now, id, sizeof(id));
	vlt__svc_uuid(uuid);
	snprintf(id + TIME_DIGITS, sizeof(id) - TIME_DIGITS, "-%s", uuid);
	json_t *doc = json_pack("{s:s, s:I, s:s, s:s?, s:s?, s:o, s:O?, s:O?, s:o, s:O?}", "id", id,
				"time", (json_int_t)now, "kind", kind, "plan_id", plan_id,
				"stack_id", p != NULL ? p->stack_id : NULL, "request",
				asked(entry, seq), "solver", json_object_get(draft, "solver"),
				"metrics", json_object_get(draft, "metrics"), "units", units,
				"refused", json_object_get(draft, "refused"));
	json_decref(draft);
	if (doc != NULL && !json_is_object(json_object_get(doc, "refused")))
		json_object_set_new(doc, "refused", json_object()); /* a reserve refused nothing */
	if (doc == NULL)
		vlt__log(NULL, VLT_LOG_WARNING,
			 "decision record: out of memory for journal entry %" PRIu64, seq);
	return doc;
}

/* ---------------------------------------------------------------- writing */

/* Each (field, value) the decision is found by, to fn; stops at fn's first error. */
typedef int (*index_fn)(vlt_service_t *s, const char *field, const char *value,
			const char *decision_id, void *arg, vlt_err_t *err);

static int for_each_key(vlt_service_t *s, const json_t *doc, index_fn fn, void *arg,
			vlt_err_t *err)
{
	const char *id = json_string_value(json_object_get(doc, "id"));
	const char *plan = json_string_value(json_object_get(doc, "plan_id"));
	const char *stack = json_string_value(json_object_get(doc, "stack_id"));
	int rc = plan != NULL ? fn(s, "plan", plan, id, arg, err) : 0;
	size_t i;
	json_t *u;

	/* a plan is named by its id or its stack's, as GET /v1/plans/{id} takes either */
	if (rc == 0 && stack != NULL && !vlt__svc_same_str(stack, plan))
		rc = fn(s, "plan", stack, id, arg, err);
	if (rc == 0 && stack != NULL)
		rc = fn(s, "stack", stack, id, arg, err);
	json_array_foreach(json_object_get(doc, "units"), i, u)
	{
		const char *orch = json_string_value(json_object_get(u, "id"));
		const char *rid = json_string_value(json_object_get(u, "resource_id"));
		const char *host = json_string_value(json_object_get(u, "host"));

		if (rc == 0 && orch != NULL)
			rc = fn(s, "server", orch, id, arg, err);
		if (rc == 0 && rid != NULL && !vlt__svc_same_str(rid, orch))
			rc = fn(s, "server", rid, id, arg, err);
		if (rc == 0 && host != NULL)
			rc = fn(s, "host", host, id, arg, err);
	}
	return rc;
}

static int put_key(vlt_service_t *s, const char *field, const char *value, const char *decision_id,
		   void *arg, vlt_err_t *err)
{
	(void)arg;
	char key[VLT_STORE_NAME_MAX + 1];
	json_t *doc = json_pack("{s:s, s:s}", "decision", decision_id, "value", value);

	index_key(field, value, decision_id, key);
	int rc = doc != NULL ? s->store->ops.store->put(s->store->state, VLT_DECISION_INDEX, key,
							doc, 0, err)
			     : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_decref(doc);
	return rc == VLT_ECONFLICT ? 0 : rc; /* there already: a decision indexed twice */
}

static int remove_key(vlt_service_t *s, const char *field, const char *value,
		      const char *decision_id, void *arg, vlt_err_t *err)
{
	(void)arg;
	char key[VLT_STORE_NAME_MAX + 1];

	index_key(field, value, decision_id, key);
	int rc = s->store->ops.store->remove(s->store->state, VLT_DECISION_INDEX, key, -1, err);
	return rc == VLT_ENOENT ? 0 : rc;
}

/* The ids of the decisions an index range names, oldest first. */
static int collect_decision_id(void *arg, const char *id, const json_t *doc, int64_t version)
{
	const char *d = json_string_value(json_object_get(doc, "decision"));

	(void)id;
	(void)version;
	return d != NULL && json_array_append_new(arg, json_string(d)) < 0 ? VLT_ENOMEM : 0;
}

/* Add resource id rid to unit orch of decision did (so that its expiry finds every key). */
static int note_resource_id(vlt_service_t *s, const char *did, const char *orch, const char *rid,
			    vlt_err_t *err)
{
	json_t *doc = NULL, *u;
	int64_t version = 0;
	size_t i;
	int rc = s->store->ops.store->get(s->store->state, VLT_DECISIONS, did, &doc, &version, err);

	if (rc == VLT_ENOENT)
		return 0;
	json_array_foreach(json_object_get(doc, "units"), i, u)
	{
		if (rc == 0 &&
		    vlt__svc_same_str(json_string_value(json_object_get(u, "id")), orch) &&
		    json_object_get(u, "resource_id") == NULL) {
			json_object_set_new(u, "resource_id", json_string(rid));
			rc = s->store->ops.store->put(s->store->state, VLT_DECISIONS, did, doc,
						      version, err);
			if (rc == 0)
				rc = put_key(s, "server", rid, did, NULL, err);
		}
	}
	json_decref(doc);
	return rc == VLT_ECONFLICT ? 0 : rc;
}

/*
 * Once Nova's uuid of a server is known (a reserve, a replan), the earlier
 * decisions about it are found by that uuid too. Those that have it
 * already are left alone, so this reads the server's index and no more.
 */
static int link_earlier(vlt_service_t *s, const json_t *doc, vlt_err_t *err)
{
	const char *self = json_string_value(json_object_get(doc, "id"));
	size_t i;
	json_t *u;
	int rc = 0;

	json_array_foreach(json_object_get(doc, "units"), i, u)
	{
		const char *orch = json_string_value(json_object_get(u, "id"));
		const char *rid = json_string_value(json_object_get(u, "resource_id"));
		char from[VLT_STORE_NAME_MAX + 1], to[VLT_STORE_NAME_MAX + 1];
		json_t *ids = json_array();

		if (rc != 0 || orch == NULL || rid == NULL || strcmp(orch, rid) == 0 ||
		    ids == NULL) {
			json_decref(ids);
			continue;
		}
		index_key("server", orch, "", from);
		index_key("server", orch, self, to);
		rc = store_range(s, VLT_DECISION_INDEX, from, to, 0, false, collect_decision_id,
				 ids, err);
		for (size_t k = 0; rc == 0 && k < json_array_size(ids); k++)
			rc = note_resource_id(s, json_string_value(json_array_get(ids, k)), orch,
					      rid, err);
		json_decref(ids);
	}
	return rc;
}

/* The index documents of one decision, gathered to be stored in one insert_batch. */
struct index_batch {
	json_t *ids;  /* array of the keys, each once */
	json_t *docs; /* array of their documents, in the same order */
};

static int gather_key(vlt_service_t *s, const char *field, const char *value,
		      const char *decision_id, void *arg, vlt_err_t *err)
{
	struct index_batch *b = arg;
	char key[VLT_STORE_NAME_MAX + 1];
	size_t i;
	json_t *k;

	(void)s;
	index_key(field, value, decision_id, key);
	json_array_foreach(b->ids, i, k) {
		if (strcmp(json_string_value(k), key) == 0)
			return 0; /* two units on one host: one key */
	}
	if (json_array_append_new(b->ids, json_string(key)) < 0 ||
	    json_array_append_new(b->docs, json_pack("{s:s, s:s}", "decision", decision_id,
						     "value", value)) < 0)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return 0;
}

/* Store the gathered keys in one write; RET as insert_batch. */
static int insert_gathered(vlt_service_t *s, const struct index_batch *b, vlt_err_t *err)
{
	size_t n = json_array_size(b->ids);
	const char **ids = malloc((n + 1) * sizeof(*ids));
	const json_t **docs = malloc((n + 1) * sizeof(*docs));
	int rc = ids != NULL && docs != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	for (size_t i = 0; rc == 0 && i < n; i++) {
		ids[i] = json_string_value(json_array_get(b->ids, i));
		docs[i] = json_array_get(b->docs, i);
	}
	if (rc == 0 && n > 0)
		rc = s->store->ops.store->insert_batch(s->store->state, VLT_DECISION_INDEX, n, ids,
						       docs, err);
	free(ids);
	free(docs);
	return rc;
}

/*
 * A decision's index: one write for all its keys when the store can
 * batch (one transaction, not one per key: a 10-server plan has 20 and
 * more), else, or when one is there already (indexed before), key by key.
 */
static int write_index(vlt_service_t *s, const json_t *doc, vlt_err_t *err)
{
	int rc = VLT_ECONFLICT; /* no batch: key by key, below */

	if (vlt__journal_can_batch(&s->journal)) {
		struct index_batch b = { json_array(), json_array() };

		rc = b.ids != NULL && b.docs != NULL ? for_each_key(s, doc, gather_key, &b, err)
						     : VLT_ENOMEM;
		if (rc == 0)
			rc = insert_gathered(s, &b, err);
		json_decref(b.ids);
		json_decref(b.docs);
	}
	if (rc == VLT_ECONFLICT || rc == VLT_ENOMEM) {
		memset(err, 0, sizeof(*err));
		rc = for_each_key(s, doc, put_key, NULL, err);
	}
	return rc;
}

/* Store doc and its index now; failures logged and counted. Takes doc. */
static void write_now(vlt_service_t *s, json_t *doc)
{
	vlt_err_t err = { 0 };
	const char *id = json_string_value(json_object_get(doc, "id"));
	int rc = s->store->ops.store->put(s->store->state, VLT_DECISIONS, id, doc, 0, &err);

	if (rc == 0)
		rc = write_index(s, doc, &err);
	if (rc == 0) /* a reserve or a replan may have told Nova's uuid */
		rc = link_earlier(s, doc, &err);
	if (rc == 0) {
		atomic_fetch_add(&s->n_decisions, 1);
	} else {
		atomic_fetch_add(&s->n_decisions_failed, 1);
		vlt__log(NULL, VLT_LOG_ERR, "decision record %s (plan %s) not written: %s", id,
			 json_string_value(json_object_get(doc, "plan_id")), err.msg);
	}
	json_decref(doc);
}

void vlt__svc_decision_write(vlt_service_t *s, json_t *doc)
{
	struct vlt_svc_decision_queue *q = &s->decision_queue;

	pthread_mutex_lock(&q->lock);
	bool queued = q->running && json_array_append_new(q->docs, doc) == 0;
	if (queued)
		pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
	if (!queued)
		write_now(s, doc);
}

/* The writer thread: takes what is queued, writes it unlocked, says so. */
static void *writer_main(void *arg)
{
	vlt_service_t *s = arg;
	struct vlt_svc_decision_queue *q = &s->decision_queue;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (json_array_size(q->docs) == 0 && !q->stop)
			pthread_cond_wait(&q->changed, &q->lock);
		if (json_array_size(q->docs) == 0)
			break; /* stopping, and everything written */
		json_t *batch = q->docs;
		q->docs = json_array();
		q->writing = true;
		pthread_mutex_unlock(&q->lock);
		size_t i;
		json_t *doc;
		json_array_foreach(batch, i, doc)
			write_now(s, json_incref(doc));
		json_decref(batch);
		pthread_mutex_lock(&q->lock);
		q->writing = false;
		if (q->docs == NULL) /* out of memory replacing it: the next ones are written inline */
			q->running = false;
		pthread_cond_broadcast(&q->changed);
		if (!q->running)
			break;
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Wait until the writer holds nothing: a query then sees every decision made before it. */
static void flush_queue(vlt_service_t *s)
{
	struct vlt_svc_decision_queue *q = &s->decision_queue;

	pthread_mutex_lock(&q->lock);
	while (q->running && (json_array_size(q->docs) > 0 || q->writing))
		pthread_cond_wait(&q->changed, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void vlt__svc_decisions_init(vlt_service_t *s)
{
	pthread_mutex_init(&s->decision_queue.lock, NULL);
	pthread_cond_init(&s->decision_queue.changed, NULL);
}

void vlt__svc_decisions_stop(vlt_service_t *s)
{
	struct vlt_svc_decision_queue *q = &s->decision_queue;

	pthread_mutex_lock(&q->lock);
	bool joined = q->thread_started;
	q->stop = true;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
	if (joined)
		pthread_join(q->thread, NULL);
	json_decref(q->docs);
	q->docs = NULL;
	q->thread_started = q->running = false;
	pthread_cond_destroy(&q->changed);
	pthread_mutex_destroy(&q->lock);
}

static int writer_start(vlt_service_t *s, vlt_err_t *err)
{
	struct vlt_svc_decision_queue *q = &s->decision_queue;
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	if (!q->thread_started) {
		q->docs = json_array();
		q->stop = false;
		q->running = q->docs != NULL;
		if (q->running && pthread_create(&q->thread, NULL, writer_main, s) != 0)
			q->running = false;
		q->thread_started = q->running;
		if (!q->running)
			rc = vlt_err_set(err, VLT_ENOMEM, "cannot start the decision writer thread");
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

json_t *vlt__svc_decisions_status(vlt_service_t *s)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "recorded",
			 (json_int_t)atomic_load(&s->n_decisions), "failed",
			 (json_int_t)atomic_load(&s->n_decisions_failed), "expired",
			 (json_int_t)atomic_load(&s->n_decisions_expired), "retention_s",
			 (json_int_t)s->opts.decision_retention_s);
}

/* ---------------------------------------------------------------- queries */

struct query {
	const char *by[N_INDEX_FIELDS]; /* the filter's value per index field, or NULL */
	int64_t since, until;		/* ms, inclusive */
	size_t limit;
};

#define Q_WHERE "GET /v1/decisions"

/* ms since the epoch, or an ISO 8601 time in UTC ("2026-12-07T08:00:00Z", fraction optional). */
static int parse_time(const char *key, const char *v, int64_t *out, vlt_err_t *err)
{
	char *end = NULL;
	long long ms = strtoll(v, &end, 10);

	if (*v != '\0' && *end == '\0' && ms >= 0) {
		*out = ms;
		return 0;
	}
	if (vlt__time_parse_rfc3339(v, out) && *out >= 0)
		return 0;
	return vlt_err_set(err, VLT_EINVAL,
			   Q_WHERE ": %s: \"%s\" is not a time (milliseconds since the epoch, or "
				   "YYYY-MM-DDTHH:MM:SS[.mmm]Z)",
			   key, v);
}

static int parse_limit(const char *v, size_t *out, vlt_err_t *err)
{
	char *end = NULL;
	long long n = strtoll(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < 1 || n > VLT_DECISIONS_LIMIT_MAX)
		return vlt_err_set(err, VLT_EINVAL,
				   Q_WHERE ": limit: \"%s\" is not a number from 1 to %d", v,
				   VLT_DECISIONS_LIMIT_MAX);
	*out = (size_t)n;
	return 0;
}

static int parse_query(const json_t *filter, struct query *q, vlt_err_t *err)
{
	const char *key;
	json_t *v;

	*q = (struct query){ .since = 0,
			     .until = INT64_MAX / 2,
			     .limit = VLT_DECISIONS_LIMIT_DEFAULT };
	json_object_foreach((json_t *)filter, key, v)
	{
		const char *sv = json_string_value(v);
		size_t f = 0;
		int rc = 0;

		while (f < N_INDEX_FIELDS && strcmp(key, index_fields[f]) != 0)
			f++;
		if (sv == NULL)
			rc = vlt_err_set(err, VLT_EINVAL, Q_WHERE ": %s: expected a string", key);
		else if (f < N_INDEX_FIELDS && *sv == '\0')
			rc = vlt_err_set(err, VLT_EINVAL, Q_WHERE ": %s: empty", key);
		else if (f < N_INDEX_FIELDS)
			q->by[f] = sv;
		else if (strcmp(key, "since") == 0)
			rc = parse_time(key, sv, &q->since, err);
		else if (strcmp(key, "until") == 0)
			rc = parse_time(key, sv, &q->until, err);
		else if (strcmp(key, "limit") == 0)
			rc = parse_limit(sv, &q->limit, err);
		else
			rc = vlt_err_set(err, VLT_EINVAL,
					 Q_WHERE ": unknown filter \"%s\" (expected plan, stack, "
						 "server, host, since, until or limit)",
					 key);
		if (rc < 0)
			return rc;
	}
	if (q->since > q->until)
		return vlt_err_set(err, VLT_EINVAL, Q_WHERE ": since is after until");
	return 0;
}

static bool unit_has(const json_t *doc, const char *field, const char *v)
{
	size_t i;
	json_t *u;

	json_array_foreach(json_object_get(doc, "units"), i, u)
	{
		if (strcmp(field, "host") == 0
			? vlt__svc_same_str(json_string_value(json_object_get(u, "host")), v)
			: vlt__svc_same_str(json_string_value(json_object_get(u, "id")), v) ||
			      vlt__svc_same_str(
				  json_string_value(json_object_get(u, "resource_id")), v))
			return true;
	}
	return false;
}

static bool doc_matches(const struct query *q, const json_t *doc)
{
	int64_t t = json_integer_value(json_object_get(doc, "time"));

	if (t < q->since || t > q->until)
		return false;
	for (size_t f = 0; f < N_INDEX_FIELDS; f++) {
		const char *v = q->by[f];
		if (v == NULL)
			continue;
		if (f == 1 &&
		    !vlt__svc_same_str(json_string_value(json_object_get(doc, "plan_id")), v) &&
		    !vlt__svc_same_str(json_string_value(json_object_get(doc, "stack_id")), v))
			return false;
		if (f == 2 &&
		    !vlt__svc_same_str(json_string_value(json_object_get(doc, "stack_id")), v))
			return false;
		if ((f == 0 || f == 3) && !unit_has(doc, index_fields[f], v))
			return false;
	}
	return true;
}

/* One page of a query's walk, newest first; `to` moves down as pages are read. */
struct page {
	vlt_service_t *s;
	const struct query *q;
	bool indexed;
	json_t *out; /* the decisions found */
	char to[VLT_STORE_NAME_MAX + 1];
	size_t seen;
	vlt_err_t *err;
};

static int take_decision(struct page *pg, const json_t *doc)
{
	if (!doc_matches(pg->q, doc))
		return 0;
	if (json_array_append(pg->out, (json_t *)doc) < 0)
		return vlt_err_set(pg->err, VLT_ENOMEM, "out of memory");
	return json_array_size(pg->out) >= pg->q->limit ? 1 : 0;
}

static int page_row(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct page *pg = arg;
	json_t *d = NULL;
	int64_t v = 0;
	int rc;

	(void)version;
	snprintf(pg->to, sizeof(pg->to), "%s", id);
	pg->seen++;
	if (!pg->indexed)
		return take_decision(pg, doc);
	const char *did = json_string_value(json_object_get(doc, "decision"));
	rc = did != NULL ? pg->s->store->ops.store->get(pg->s->store->state, VLT_DECISIONS, did, &d,
							&v, pg->err)
			 : VLT_ENOENT;
	if (rc == VLT_ENOENT)
		return 0; /* expired since: its index entry goes with the next sweep */
	if (rc < 0)
		return rc;
	rc = take_decision(pg, d);
	json_decref(d);
	return rc;
}

static int run_query(vlt_service_t *s, const struct query *q, json_t *out, vlt_err_t *err)
{
	char from[VLT_STORE_NAME_MAX + 1], t0[TIME_BUF], t1[TIME_BUF];
	struct page pg = { .s = s, .q = q, .out = out, .err = err };
	size_t f = 0;

	while (f < N_INDEX_FIELDS && q->by[f] == NULL)
		f++;
	pg.indexed = f < N_INDEX_FIELDS;
	time_key(q->since, t0, sizeof(t0));
	time_key(q->until + 1, t1, sizeof(t1));
	if (pg.indexed) {
		index_key(index_fields[f], q->by[f], t0, from);
		index_key(index_fields[f], q->by[f], t1, pg.to);
	} else {
		snprintf(from, sizeof(from), "%s", t0);
		snprintf(pg.to, sizeof(pg.to), "%s", t1);
	}
	size_t batch = q->limit < 16 ? 32 : 2 * q->limit;
	int rc = 0;
	do {
		pg.seen = 0;
		rc = store_range(s, pg.indexed ? VLT_DECISION_INDEX : VLT_DECISIONS, from, pg.to,
				 batch, true, page_row, &pg, err);
	} while (rc == 0 && pg.seen == batch && json_array_size(out) < q->limit);
	return rc < 0 ? rc : 0;
}

int vlt__service_decisions(vlt_service_t *s, const json_t *filter, json_t **list, vlt_err_t *err)
{
	struct query q;
	json_t *out = json_array();
	int rc = out != NULL ? parse_query(filter, &q, err)
			     : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	if (rc == 0) {
		flush_queue(s);
		rc = run_query(s, &q, out, err);
	}
	if (rc == 0 && (*list = json_pack("{s:o}", "decisions", out)) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc < 0)
		json_decref(out);
	return rc < 0 ? rc : 0;
}

int vlt__service_decision_get(vlt_service_t *s, const char *id, json_t **decision, vlt_err_t *err)
{
	json_t *doc = NULL;
	int64_t version = 0;
	vlt_err_t e = { 0 };

	flush_queue(s); /* the caller's own decisions are there to be read */
	int rc =
	    vlt_store_check_name("decision id", id, &e) < 0
		? VLT_ENOENT
		: s->store->ops.store->get(s->store->state, VLT_DECISIONS, id, &doc, &version, &e);

	if (rc == VLT_ENOENT)
		return vlt_err_set(err, VLT_ENOENT, "Decision not found: %s", id);
	if (rc < 0)
		return vlt_err_set(err, VLT_EBACKEND, "store: %s", e.msg);
	*decision = json_pack("{s:o}", "decision", doc);
	return *decision != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------- expiry */

struct expiry {
	vlt_service_t *s;
	size_t n;
	vlt_err_t *err;
};

static int expire_one(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct expiry *x = arg;

	(void)version; /* removed whatever its version: a reserve may have added to it */
	int rc = for_each_key(x->s, doc, remove_key, NULL, x->err);

	if (rc == 0)
		rc = x->s->store->ops.store->remove(x->s->store->state, VLT_DECISIONS, id, -1,
						    x->err);
	if (rc == VLT_ENOENT || rc == VLT_ECONFLICT)
		return 0; /* another valetd expired it first */
	x->n += rc == 0;
	return rc;
}

int vlt__service_decisions_expire(vlt_service_t *s, int64_t now_ms, size_t *n_expired,
				  vlt_err_t *err)
{
	struct expiry x = { s, 0, err };
	char to[TIME_BUF];
	int rc = 0;
	size_t before;

	if (n_expired != NULL)
		*n_expired = 0;
	if (s->opts.decision_retention_s <= 0)
		return 0;
	time_key(now_ms - s->opts.decision_retention_s * 1000, to, sizeof(to));
	do {
		before = x.n;
		rc = store_range(s, VLT_DECISIONS, NULL, to, EXPIRE_BATCH, false, expire_one, &x,
				 err);
	} while (rc == 0 && x.n - before == EXPIRE_BATCH);
	atomic_fetch_add(&s->n_decisions_expired, x.n);
	if (n_expired != NULL)
		*n_expired = x.n;
	return rc < 0 ? rc : 0;
}

static void expire_now(vlt_service_t *s)
{
	vlt_err_t err = { 0 };
	size_t n = 0;

	if (vlt__service_decisions_expire(s, vlt__svc_now_ms(s), &n, &err) < 0)
		vlt__log(NULL, VLT_LOG_ERR, "decision record: expiry failed: %s", err.msg);
	else if (n > 0)
		vlt__log(NULL, VLT_LOG_INFO, "decision record: %zu decisions expired", n);
}

int vlt__service_decisions_start(vlt_service_t *s, unsigned period_ms, vlt_err_t *err)
{
	int64_t r = s->opts.decision_retention_s;
	int rc = writer_start(s, err);

	if (rc < 0 || r <= 0)
		return rc;
	if (period_ms == 0) /* a tenth of the retention, from a second to an hour */
		period_ms = (unsigned)(r * 100 < 1000	   ? 1000
				       : r * 100 > 3600000 ? 3600000
							   : r * 100);
	s->decision_sweeper.leased = true; /* one instance removes old decisions */
	return vlt__svc_ticker_start(s, &s->decision_sweeper, period_ms, expire_now,
				     "decision expiry", err);
}
