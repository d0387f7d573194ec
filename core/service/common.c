/*
 * common.c - what every operation uses: the write and read brackets
 * around the journal, holding a plan's record in the engine, ids, and the
 * checks of request fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <valet/core.h>

#include "dc.h"
#include "decision.h"
#include "log.h"
#include "request.h"
#include "service_int.h"

/* ---------------------------------------------------------------- small things */

int64_t vlt__svc_now_ms(const vlt_service_t *s)
{
	return vlt__journal_now_ms(&s->journal);
}

void vlt__svc_uuid(char *buf)
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* no entropy source at all: time and address still differ per call */
			uint64_t t = (uint64_t)vlt__clock_real_ms() ^ (uint64_t)(uintptr_t)buf;
			for (size_t i = got; i < sizeof(r); i++)
				r[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)rand();
			break;
		}
		got += (size_t)n;
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
}

int vlt__svc_want_string(const json_t *obj, const char *key, bool required, const char *where,
			 const char **out, vlt_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || (json_is_null(v) && !required)) {
		if (!required)
			return 0;
		return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: missing (expected a string)", where,
				   key);
	}
	if (!json_is_string(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: expected a string", where, key);
	*out = json_string_value(v);
	return 0;
}

int vlt__svc_want_strings(const json_t *obj, const char *key, bool required, const char *where,
			  const json_t **out, vlt_err_t *err)
{
	json_t *v = json_object_get(obj, key);
	size_t i;
	json_t *x;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.%s: missing (expected a list of strings)", where, key);
	}
	if (!json_is_array(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: expected a list of strings", where,
				   key);
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return vlt_err_set(err, VLT_EINVAL, "%s: $.%s[%zu]: expected a string",
					   where, key, i);
	}
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- the journal's brackets */

int vlt__svc_w_decide(void *arg, json_t **entry, bool *decided_here, vlt_err_t *err)
{
	struct svc_write *w = arg;

	/* a decision retried after a lost race replaces the one before, draft and all */
	json_decref(w->entry);
	w->entry = NULL;
	vlt__svc_decision_forget(w->s);
	int rc = w->decide(w->s, w->ctx, entry, decided_here, err);
	if (rc == 0 && *entry != NULL)
		w->entry = json_incref(*entry);
	return rc;
}

void vlt__svc_w_undo(void *arg)
{
	struct svc_write *w = arg;

	if (w->undo != NULL)
		w->undo(w->s, w->ctx);
}

int vlt__svc_w_done(void *arg, vlt_err_t *err)
{
	struct svc_write *w = arg;

	return w->done != NULL ? w->done(w->s, w->ctx, err) : 0;
}

int vlt__svc_write(vlt_service_t *s, vlt_svc_decide_fn decide, vlt_svc_undo_fn undo,
		   vlt_svc_done_fn done, void *ctx, vlt_err_t *err)
{
	struct svc_write w = { s, decide, undo, done, ctx, NULL };
	vlt_journal_write_t jw = { vlt__svc_w_decide, vlt__svc_w_undo, vlt__svc_w_done, &w };
	json_t *decision = NULL;

	int rc;

	pthread_mutex_lock(&s->lock);
	if (vlt__journal_can_batch(&s->journal)) {
		rc = vlt__svc_write_grouped(s, &w, &decision, err);
	} else {
		rc = vlt__journal_write(&s->journal, &jw, err);
		if (rc == 0 && w.entry != NULL) /* journaled at the last number applied */
			decision = vlt__svc_decision_build(s, w.entry, s->journal.applied);
	}
	vlt__svc_decision_forget(s);
	pthread_mutex_unlock(&s->lock);
	json_decref(w.entry);
	if (decision != NULL) /* stored off the lock; its failure is logged, never the request's */
		vlt__svc_decision_write(s, decision);
	return rc;
}

int vlt__svc_read_begin(vlt_service_t *s, vlt_err_t *err)
{
	pthread_mutex_lock(&s->lock);
	int rc = vlt__journal_catch_up(&s->journal, err);
	if (rc < 0)
		pthread_mutex_unlock(&s->lock);
	return rc;
}

void vlt__svc_read_end(vlt_service_t *s)
{
	pthread_mutex_unlock(&s->lock);
}

int vlt__svc_read_one(vlt_service_t *s, vlt_svc_answer_fn answer, const char *id, json_t **out,
		      vlt_err_t *err)
{
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	rc = answer(s, id, out, err);
	vlt__svc_read_end(s);
	return rc;
}

json_t *vlt__svc_request_text(const json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *s = text != NULL ? json_string(text) : NULL;

	free(text);
	return s;
}

/* Stored as text, so no key of a client reaches the store. */
json_t *vlt__svc_entry_request(const json_t *e)
{
	const char *text = json_string_value(json_object_get(e, "request"));

	return text != NULL ? json_loads(text, 0, NULL) : NULL;
}

vlt_svc_plan_t *vlt__svc_entry_plan(vlt_service_t *s, const json_t *e, const char *where,
				    vlt_err_t *err)
{
	const char *id = json_string_value(json_object_get(e, "plan_id"));
	vlt_svc_plan_t *p = id != NULL ? vlt__state_plan_by_id(&s->st, id) : NULL;

	if (p == NULL)
		vlt_err_set(err, VLT_ENOENT, "%s: no plan '%s'", where, id != NULL ? id : "");
	return p;
}

/* ---------------------------------------------------------------- holds */

/* u's host or pool in the data center in use, or VLT_NONE. */
static uint32_t unit_location(const vlt_dc_t *dc, const vlt_svc_unit_t *u)
{
	return u->server ? vlt__dc_find_host(dc, u->loc) : vlt__dc_find_pool(dc, u->loc);
}

/*
 * {orch: location} of p's units to hold, each unit's health found anew;
 * units whose location is gone join gone (so the request loses them too).
 * RET how many are gone, or -1 (out of memory).
 */
static long held_locations(vlt_service_t *s, vlt_svc_plan_t *p, json_t *locs, json_t *gone)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	long n_gone = 0;

	for (size_t i = 0; i < p->n_units; i++) {
		vlt_svc_unit_t *u = &p->units[i];
		uint32_t at;

		u->health = VLT_SVC_HEALTH_OK;
		if (u->expired || u->loc == NULL)
			continue;
		at = unit_location(dc, u);
		if (at == VLT_NONE) {
			u->health = VLT_SVC_HEALTH_GONE;
			n_gone++;
			if (json_object_set_new(gone, u->orch, json_true()) < 0)
				return -1;
			continue;
		}
		if (u->server && !dc->hosts[at].enabled)
			u->health = VLT_SVC_HEALTH_DISABLED;
		if (json_object_set_new(locs, u->orch, json_string(u->loc)) < 0)
			return -1;
	}
	return n_gone;
}

int vlt__svc_plan_hold(vlt_service_t *s, vlt_svc_plan_t *p, bool release, const char *where,
		       vlt_err_t *err)
{
	if (s->replaying || p->ended_ms != 0) { /* held once the whole journal is read; */
		if (release && p->held)		 /* an ended reservation never again */
			vlt__engine_release(s->engine, p->id);
		p->held = false;
		return 0;
	}
	json_t *locs = json_object();
	json_t *gone = vlt__plan_expired_set(p);
	json_t *req = NULL;
	long n_gone = locs != NULL && gone != NULL ? held_locations(s, p, locs, gone) : -1;
	int rc = 0;

	if (release)
		vlt__engine_release(s->engine, p->id);
	p->held = false;
	free(p->hold_error);
	p->hold_error = NULL;
	if (n_gone < 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	else if (json_object_size(locs) > 0) {
		req = vlt__request_prune(p->request, gone);
		rc = req == NULL ? vlt_err_set(err, VLT_ENOMEM, "out of memory")
				 : vlt__engine_hold(s->engine, req, where, p->id, locs, err);
		p->held = rc == 0;
	}
	if (n_gone > 0)
		vlt__log(NULL, VLT_LOG_WARNING,
			 "plan %s (stack %s): %ld of its units are on hosts or pools the inventory "
			 "no longer has; the rest is held (GET /v1/resources; migrate or replan "
			 "re-places them)",
			 p->id, p->stack_id, n_gone);
	if (rc < 0 && rc != VLT_ENOMEM) {
		p->hold_error = strdup(err->msg);
		vlt__log(NULL, VLT_LOG_ERR, "plan %s (stack %s): its hold is not restored: %s",
			 p->id, p->stack_id, err->msg);
	}
	json_decref(locs);
	json_decref(gone);
	json_decref(req);
	return rc;
}

bool vlt__svc_unit_placed(vlt_service_t *s, const vlt_svc_unit_t *u)
{
	return !u->expired && u->loc != NULL &&
	       unit_location(vlt__engine_dc(s->engine), u) != VLT_NONE;
}

bool vlt__svc_in_list(const json_t *list, const char *s)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x) {
		if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
			return true;
	}
	return false;
}

bool vlt__svc_same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

json_t *vlt__svc_known_locations(vlt_service_t *s, const json_t *list, bool server)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	json_t *out = json_array();
	size_t i;
	json_t *h;

	json_array_foreach(list, i, h) {
		const char *name = json_string_value(h);

		if (out != NULL && name != NULL &&
		    (server ? vlt__dc_find_host(dc, name) : vlt__dc_find_pool(dc, name)) != VLT_NONE)
			json_array_append(out, h);
	}
	return out;
}

json_t *vlt__svc_known_hosts(vlt_service_t *s, const json_t *list)
{
	return vlt__svc_known_locations(s, list, true);
}


void vlt__svc_rehold(vlt_service_t *s, const char *plan_id)
{
	vlt_svc_plan_t *p = vlt__state_plan(&s->st, plan_id);
	vlt_err_t err = { 0 };

	if (p != NULL)
		vlt__svc_plan_hold(s, p, true, SVC_WHERE, &err);
}

int vlt__svc_place(vlt_service_t *s, const json_t *req, const vlt_place_opts_t *o,
		   vlt_place_result_t **result, vlt_err_t *err)
{
	vlt_place_result_t *res = NULL;
	int rc = vlt__svc_check_fresh(s, err);

	if (rc < 0)
		return rc;
	/* the decision record keeps the explanation */
	vlt_place_opts_t explained = o != NULL ? *o : (vlt_place_opts_t){ 0 };
	explained.explain = true;
	double t0 = vlt__clock_mono_ms();
	rc = vlt__engine_plan(s->engine, req, SVC_WHERE, &explained, &res, err);
	vlt__svc_metrics_placement(s, explained.solver, vlt__clock_mono_ms() - t0, rc, err->msg);

	if (rc < 0) {
		vlt__place_result_free(res);
		return rc;
	}
	vlt__svc_decision_draft(s, res);
	*result = res;
	return 0;
}

/* ---------------------------------------------------------------- locations */

int vlt__svc_locs_add(vlt_service_t *s, vlt_svc_locs_t *l, const char *orch, bool server,
		      const json_t *names, const char *what, vlt_err_t *err)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	size_t n = json_is_array(names) ? json_array_size(names) : 1;
	uint32_t *locs = calloc(n + 1, sizeof(*locs));
	vlt_unit_locs_t *grown = realloc(l->v, (l->n + 1) * sizeof(*l->v));

	if (grown != NULL)
		l->v = grown;
	if (locs == NULL || grown == NULL) {
		free(locs);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = json_string_value(json_is_array(names) ? json_array_get(names, i)
									  : names);
		locs[i] = name == NULL ? VLT_NONE
			  : server     ? vlt__dc_find_host(dc, name)
				       : vlt__dc_find_pool(dc, name);
		if (locs[i] == VLT_NONE) {
			free(locs);
			return vlt_err_set(err, VLT_EINVAL, "%s of %s: unknown %s '%s'", what, orch,
					   server ? "host" : "pool",
					   name != NULL ? name : "(not a string)");
		}
	}
	l->v[l->n++] = (vlt_unit_locs_t){ .orch = orch, .locs = locs, .n_locs = (uint32_t)n };
	return 0;
}

void vlt__svc_locs_free(vlt_svc_locs_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((void *)l->v[i].locs);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---------------------------------------------------------------- tickers */

static void *ticker_main(void *arg)
{
	vlt_svc_ticker_t *t = arg;
	vlt_service_t *s = t->s;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += t->period_ms / 1000;
		ts.tv_nsec += (long)(t->period_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(t->wake != NULL ? t->wake : &s->wake, &s->lock, &ts);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		if (!t->leased || vlt__service_lease_held(s))
			t->tick(s);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int vlt__svc_ticker_start(vlt_service_t *s, vlt_svc_ticker_t *t, unsigned period_ms,
			  void (*tick)(vlt_service_t *s), const char *what, vlt_err_t *err)
{
	if (t->running || period_ms == 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	s->stop = false;
	pthread_mutex_unlock(&s->lock);
	t->period_ms = period_ms;
	t->tick = tick;
	t->s = s;
	if (pthread_create(&t->thread, NULL, ticker_main, t) != 0)
		return vlt_err_set(err, VLT_ENOMEM, "cannot start the %s thread", what);
	t->running = true;
	return 0;
}

void vlt__svc_tickers_stop(vlt_service_t *s)
{
	vlt_svc_ticker_t *all[] = { &s->sweeper,	&s->refresher,	  &s->decision_sweeper,
				    &s->leaser,		&s->snapshotter, &s->resv_sweeper };

	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->wake);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i]->wake != NULL)
			pthread_cond_broadcast(all[i]->wake);
	}
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (all[i]->running)
			pthread_join(all[i]->thread, NULL);
		all[i]->running = false;
	}
}
