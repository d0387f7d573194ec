/*
 * op_reservations.c - reservations (docs/reservations.md): a plan whose
 * request has an interval, "start" and "end". Created through the plan
 * path (journaled as a plan_create whose request holds the interval, "now"
 * resolved before), read and listed with a status the service's clock
 * gives (pending before start, active until end, ended after), deleted like
 * a plan. At its end the lease holder's sweeper writes a
 * "reservation_end" entry: its holds are released, its record kept, with
 * the servers Nova still runs on its placements, until it is deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops.h"
#include "timeline.h"

#define RESV_WHERE "reservation request"
#define RESV_LIST_WHERE "GET /v1/reservations"
#define RESV_TIME_SHAPE "an RFC 3339 UTC time like 2026-12-08T10:00:00Z"
#define RESV_TIME_LEN 40 /* one such time written, with its milliseconds */

/* ---------------------------------------------------------------- the interval, the status */

void vlt__svc_plan_interval(vlt_svc_plan_t *p)
{
	vlt_interval_t iv = vlt__interval_always;
	vlt_err_t err = { 0 };

	/* the engine accepted the request with its interval: a failure here is a broken entry */
	if (p->request != NULL && vlt__interval_parse(p->request, SVC_WHERE, &iv, &err) < 0)
		vlt__log(NULL, VLT_LOG_ERR, "plan %s: %s", p->id, err.msg);
	p->timed = vlt__interval_timed(&iv);
	p->start_ms = iv.start_ms;
	p->end_ms = iv.end_ms;
}

typedef enum resv_status { RESV_PENDING, RESV_ACTIVE, RESV_ENDED } resv_status_t;

static const char *const status_names[] = { "pending", "active", "ended" };

/* Ended once its entry released it, or once its end passed (the sweeper's entry follows). */
static resv_status_t status_of(const vlt_svc_plan_t *p, int64_t now_ms)
{
	if (p->ended_ms != 0 || now_ms >= p->end_ms)
		return RESV_ENDED;
	return now_ms < p->start_ms ? RESV_PENDING : RESV_ACTIVE;
}

int vlt__svc_reservable(vlt_service_t *s, const vlt_svc_plan_t *p, vlt_err_t *err)
{
	char at[RESV_TIME_LEN];

	if (!p->timed)
		return 0;
	switch (status_of(p, vlt__svc_now_ms(s))) {
	case RESV_PENDING:
		vlt__time_format_rfc3339(p->start_ms, at, sizeof(at));
		return vlt_err_set(err, VLT_ECONFLICT,
				   "reservation %s (stack %s) is pending: its placements are "
				   "reservable from its start, %s",
				   p->id, p->stack_id, at);
	case RESV_ENDED:
		vlt__time_format_rfc3339(p->end_ms, at, sizeof(at));
		return vlt_err_set(err, VLT_ECONFLICT,
				   "reservation %s (stack %s) ended at %s: its placements are no "
				   "longer reservable",
				   p->id, p->stack_id, at);
	default:
		return 0;
	}
}

int vlt__svc_reservation_changeable(vlt_service_t *s, const vlt_svc_plan_t *p, vlt_err_t *err)
{
	char at[RESV_TIME_LEN];

	if (status_of(p, vlt__svc_now_ms(s)) != RESV_ENDED)
		return 0;
	vlt__time_format_rfc3339(p->end_ms, at, sizeof(at));
	return vlt_err_set(err, VLT_ECONFLICT,
			   "reservation %s (stack %s) ended at %s: it can no longer change", p->id,
			   p->stack_id, at);
}

/* ---------------------------------------------------------------- documents */

static json_t *time_or_null(int64_t ms, bool present)
{
	char text[RESV_TIME_LEN];

	if (!present)
		return json_null();
	vlt__time_format_rfc3339(ms, text, sizeof(text));
	return json_string(text);
}

/* {orch: {"id", "name", "location", "resource_id", "reserved"}} of p's servers. */
static json_t *placements_json(const vlt_svc_plan_t *p)
{
	json_t *pl = json_object();

	for (size_t i = 0; pl != NULL && i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];

		if (u->server &&
		    json_object_set_new(pl, u->orch,
					json_pack("{s:s?, s:s, s:s?, s:s?, s:b}", "id", u->pid,
						  "name", u->name, "location", u->loc,
						  "resource_id", u->resource_id, "reserved",
						  u->reserved)) < 0) {
			json_decref(pl);
			return NULL;
		}
	}
	return pl;
}

/* The servers Nova runs on p's placements: those reserved with an instance. */
static json_t *servers_running(const vlt_svc_plan_t *p)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];

		if (u->server && u->reserved && u->resource_id != NULL &&
		    json_array_append_new(arr, json_pack("{s:s, s:s, s:s?}", "orchestration_id",
							 u->orch, "resource_id", u->resource_id,
							 "location", u->loc)) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* p as GET /v1/reservations shows it at now_ms (new reference, NULL: out of memory). */
static json_t *reservation_json(const vlt_svc_plan_t *p, int64_t now_ms)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o, s:s, s:b, s:o*}", "id", p->id,
			      "stack_id", p->stack_id, "name", p->name, "project", p->tenant,
			      "start", time_or_null(p->start_ms, p->start_ms != VLT_TIME_BEGIN), "end",
			      time_or_null(p->end_ms, p->end_ms != VLT_TIME_END), "status",
			      status_names[status_of(p, now_ms)], "released", p->ended_ms != 0,
			      "placements", placements_json(p));

	if (r != NULL && p->ended_ms != 0 &&
	    (json_object_set_new(r, "ended_at", time_or_null(p->ended_ms, true)) < 0 ||
	     json_object_set_new(r, "servers_running", servers_running(p)) < 0)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* The reservation by plan or stack id, or NULL with VLT_ENOENT. */
static vlt_svc_plan_t *reservation_of(vlt_service_t *s, const char *id, vlt_err_t *err)
{
	vlt_svc_plan_t *p = vlt__state_plan(&s->st, id);

	if (p == NULL || !p->timed) {
		vlt_err_set(err, VLT_ENOENT, "Reservation not found");
		return NULL;
	}
	return p;
}

static int answer_reservation(vlt_service_t *s, const char *id, json_t **answer, vlt_err_t *err)
{
	vlt_svc_plan_t *p = reservation_of(s, id, err);
	json_t *r = p != NULL ? reservation_json(p, vlt__svc_now_ms(s)) : NULL;

	if (p == NULL)
		return err->code;
	*answer = r != NULL ? json_pack("{s:o}", "reservation", r) : NULL;
	return *answer != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* A create's answer: the reservation by stack id, 409 when that stack's plan is an ordinary one. */
static int answer_created(vlt_service_t *s, const char *stack_id, json_t **answer, vlt_err_t *err)
{
	vlt_svc_plan_t *p = vlt__state_plan(&s->st, stack_id);

	if (p != NULL && !p->timed)
		return vlt_err_set(err, VLT_ECONFLICT,
				   "%s: $.stack_id: stack %s has a plan (%s) that is not a "
				   "reservation",
				   RESV_WHERE, p->stack_id, p->id);
	return answer_reservation(s, stack_id, answer, err);
}

/* ---------------------------------------------------------------- create */

/* A reservation has both bounds: RET 0, or VLT_EINVAL naming the one missing. */
static int require_bounds(const json_t *body, vlt_err_t *err)
{
	static const char *const keys[] = { "start", "end" };

	for (size_t i = 0; i < 2; i++)
		if (json_object_get(body, keys[i]) == NULL)
			return vlt_err_set(err, VLT_EINVAL,
					   "%s: $.%s: missing (a reservation has a start, or "
					   "\"now\", and an end)",
					   RESV_WHERE, keys[i]);
	return 0;
}

/*
 * The body to journal (new reference in *out): a start of "now" replaced
 * by the service's time, the interval read as the engine reads it (one
 * parser: timeline.c), its end after now.
 */
static int resolve_interval(vlt_service_t *s, const json_t *body, json_t **out, vlt_err_t *err)
{
	int64_t now_ms = vlt__svc_now_ms(s);
	char now[RESV_TIME_LEN];
	vlt_interval_t iv;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", RESV_WHERE);
	int rc = require_bounds(body, err);
	if (rc < 0)
		return rc;
	json_t *copy = json_copy((json_t *)body);
	vlt__time_format_rfc3339(now_ms, now, sizeof(now));
	const char *start = json_string_value(json_object_get(body, "start"));
	if (copy == NULL || (start != NULL && strcmp(start, "now") == 0 &&
			     json_object_set_new(copy, "start", json_string(now)) < 0))
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = vlt__interval_parse(copy, RESV_WHERE, &iv, err);
	if (rc == 0 && iv.end_ms <= now_ms)
		rc = vlt_err_set(err, VLT_EINVAL, "%s: $.end: not in the future (now is %s)",
				 RESV_WHERE, now);
	if (rc < 0)
		json_decref(copy);
	else
		*out = copy;
	return rc;
}

int vlt__service_reservation_create(vlt_service_t *s, const json_t *body, const char *tenant,
				    json_t **doc, vlt_err_t *err)
{
	json_t *resolved = NULL;
	int rc = resolve_interval(s, body, &resolved, err);

	if (rc == 0)
		rc = vlt__svc_plan_create_as(s, resolved, tenant, answer_created, doc, err);
	json_decref(resolved);
	return rc;
}

/* ---------------------------------------------------------------- update */

/*
 * An update's body (new reference in *out): a start of "now" resolved, a
 * new end after now; the rest is checked against the reservation, under
 * the lock (op_plans.c).
 */
static int resolve_update(vlt_service_t *s, const json_t *body, json_t **out, vlt_err_t *err)
{
	int64_t now_ms = vlt__svc_now_ms(s), end_ms = 0;
	char now[RESV_TIME_LEN];

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", RESV_WHERE);
	json_t *copy = json_copy((json_t *)body);
	vlt__time_format_rfc3339(now_ms, now, sizeof(now));
	const char *start = json_string_value(json_object_get(body, "start"));
	const json_t *end = json_object_get(body, "end");
	int rc = 0;
	if (copy == NULL || (start != NULL && strcmp(start, "now") == 0 &&
			     json_object_set_new(copy, "start", json_string(now)) < 0))
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	/* each bound as the engine reads it; the pair once merged with the reservation's */
	json_t *bounds[2] = { json_pack("{s:O*}", "start", json_object_get(copy, "start")),
			      json_pack("{s:O*}", "end", end) };
	vlt_interval_t iv;
	for (size_t i = 0; rc == 0 && i < 2; i++)
		rc = vlt__interval_parse(bounds[i], RESV_WHERE, &iv, err);
	if (rc == 0 && end != NULL && vlt__time_parse_rfc3339(json_string_value(end), &end_ms) &&
	    end_ms <= now_ms)
		rc = vlt_err_set(err, VLT_EINVAL, "%s: $.end: not in the future (now is %s)",
				 RESV_WHERE, now);
	json_decref(bounds[0]);
	json_decref(bounds[1]);
	if (rc < 0)
		json_decref(copy);
	else
		*out = copy;
	return rc;
}

int vlt__service_reservation_update(vlt_service_t *s, const char *id, const json_t *body,
				    const char *tenant, json_t **doc, vlt_err_t *err)
{
	json_t *resolved = NULL;
	int rc = resolve_update(s, body, &resolved, err);

	if (rc == 0)
		rc = vlt__svc_reservation_update_as(s, id, resolved, tenant, answer_reservation, doc,
						    err);
	json_decref(resolved);
	return rc;
}

/* ---------------------------------------------------------------- read */

int vlt__service_reservation_get(vlt_service_t *s, const char *id, json_t **doc, vlt_err_t *err)
{
	return vlt__svc_read_one(s, answer_reservation, id, doc, err);
}

/* What a list keeps: a project, a status, reservations overlapping [from, to). */
struct resv_filter {
	const char *project;
	int status; /* -1: any */
	int64_t from_ms, to_ms;
};

static int filter_time(const char *key, const char *v, int64_t *ms, vlt_err_t *err)
{
	if (vlt__time_parse_rfc3339(v, ms))
		return 0;
	return vlt_err_set(err, VLT_EINVAL, "%s: %s: \"%s\" is not %s", RESV_LIST_WHERE, key, v,
			   RESV_TIME_SHAPE);
}

static int filter_status(const char *v, int *status, vlt_err_t *err)
{
	for (int i = RESV_PENDING; i <= RESV_ENDED; i++)
		if (strcmp(v, status_names[i]) == 0) {
			*status = i;
			return 0;
		}
	return vlt_err_set(err, VLT_EINVAL,
			   "%s: status: \"%s\" is not a status (pending, active or ended)",
			   RESV_LIST_WHERE, v);
}

static int parse_filter(const json_t *query, struct resv_filter *f, vlt_err_t *err)
{
	const char *key;
	json_t *v;
	int rc = 0;

	*f = (struct resv_filter){ NULL, -1, INT64_MIN, INT64_MAX };
	json_object_foreach((json_t *)query, key, v) {
		const char *sv = json_string_value(v);

		if (sv == NULL)
			rc = vlt_err_set(err, VLT_EINVAL, "%s: %s: expected a string",
					 RESV_LIST_WHERE, key);
		else if (strcmp(key, "project") == 0)
			f->project = sv;
		else if (strcmp(key, "status") == 0)
			rc = filter_status(sv, &f->status, err);
		else if (strcmp(key, "from") == 0)
			rc = filter_time(key, sv, &f->from_ms, err);
		else if (strcmp(key, "to") == 0)
			rc = filter_time(key, sv, &f->to_ms, err);
		else
			rc = vlt_err_set(err, VLT_EINVAL,
					 "%s: %s: not a filter (project, status, from or to)",
					 RESV_LIST_WHERE, key);
		if (rc < 0)
			return rc;
	}
	if (f->from_ms >= f->to_ms)
		return vlt_err_set(err, VLT_EINVAL, "%s: from: not before to", RESV_LIST_WHERE);
	return 0;
}

static bool kept(const vlt_svc_plan_t *p, const struct resv_filter *f, int64_t now_ms)
{
	if (!p->timed)
		return false;
	if (f->project != NULL && !vlt__svc_same_str(p->tenant, f->project))
		return false;
	if (f->status >= 0 && (int)status_of(p, now_ms) != f->status)
		return false;
	return p->start_ms < f->to_ms && p->end_ms > f->from_ms;
}

int vlt__service_reservations(vlt_service_t *s, const json_t *query, json_t **doc, vlt_err_t *err)
{
	struct resv_filter f;
	int rc = parse_filter(query, &f, err);

	if (rc < 0 || (rc = vlt__svc_read_begin(s, err)) < 0)
		return rc;
	int64_t now_ms = vlt__svc_now_ms(s);
	json_t *arr = json_array();
	for (const vlt_svc_plan_t *p = s->st.first; arr != NULL && p != NULL; p = p->next) {
		if (kept(p, &f, now_ms) &&
		    json_array_append_new(arr, reservation_json(p, now_ms)) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	vlt__svc_read_end(s);
	*doc = arr != NULL ? json_pack("{s:o}", "reservations", arr) : NULL;
	return *doc != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* ---------------------------------------------------------------- delete */

static int decide_delete(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			 vlt_err_t *err)
{
	vlt_svc_plan_t *p = reservation_of(s, arg, err);
	(void)engine_done;

	if (p == NULL)
		return err->code;
	*entry = json_pack("{s:s, s:s}", "op", "plan_delete", "plan_id", p->id);
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_reservation_delete(vlt_service_t *s, const char *id, vlt_err_t *err)
{
	int rc = vlt__svc_write(s, decide_delete, NULL, NULL, (void *)id, err);

	if (rc == 0)
		vlt__prom_add(&s->metrics.plans_deleted, 1);
	return rc;
}

/* ---------------------------------------------------------------- the end */

int vlt__apply_reservation_end(void *svc, const json_t *e, bool decided_here, const char *where,
			       vlt_err_t *err)
{
	vlt_service_t *s = svc;
	vlt_svc_plan_t *p = vlt__svc_entry_plan(s, e, where, err);
	(void)decided_here;

	if (p == NULL)
		return err->code;
	if (p->ended_ms != 0)
		return 0; /* ended already: nothing more to release */
	p->ended_ms = json_integer_value(json_object_get(e, "at"));
	if (p->ended_ms == 0)
		p->ended_ms = 1; /* ended all the same: the time is only reported */
	/* its units stay, expired, where they were: what ran there is reported */
	for (size_t i = 0; i < p->n_units; i++)
		p->units[i].expired = true;
	vlt__engine_release(s->engine, p->id);
	p->held = false;
	return 0;
}

struct resv_sweep {
	int64_t now_ms;
	size_t n;
	char plan_id[256]; /* the reservation the last decision ends */
};

static int decide_end(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
		      vlt_err_t *err)
{
	struct resv_sweep *c = arg;
	(void)engine_done;

	for (vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next) {
		if (!p->timed || p->ended_ms != 0 || c->now_ms < p->end_ms)
			continue;
		/* the journal stamps it with "at": the time it ended */
		*entry = json_pack("{s:s, s:s}", "op", "reservation_end", "plan_id", p->id);
		if (*entry == NULL)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
		snprintf(c->plan_id, sizeof(c->plan_id), "%s", p->id);
		return 0;
	}
	c->plan_id[0] = '\0';
	return 1;
}

/* Once its entry is stored and applied: told by the valetd that ended it, once. */
static int done_end(vlt_service_t *s, void *arg, vlt_err_t *err)
{
	struct resv_sweep *c = arg;
	const vlt_svc_plan_t *p = vlt__state_plan_by_id(&s->st, c->plan_id);
	(void)err;

	if (c->plan_id[0] == '\0' || p == NULL || p->ended_ms == 0)
		return 0;
	c->n++; /* counted once stored: a decision taken back and made again is one */
	json_t *running = servers_running(p);
	vlt__log(NULL, VLT_LOG_INFO,
		 "reservation %s (stack %s) ended: its holds released; %zu of its servers still run",
		 p->id, p->stack_id, json_array_size(running));
	json_decref(running);
	return 0;
}

int vlt__service_reservations_sweep(vlt_service_t *s, int64_t now_ms, size_t *n_ended,
				    vlt_err_t *err)
{
	struct resv_sweep c = { .now_ms = now_ms };
	int rc;

	/* one entry per reservation, each decided on the latest journal */
	for (;;) {
		size_t before = c.n;

		rc = vlt__svc_write(s, decide_end, NULL, done_end, &c, err);
		if (rc < 0 || c.n == before)
			break;
	}
	if (n_ended != NULL)
		*n_ended = c.n;
	return rc;
}

static void sweep_now(vlt_service_t *s)
{
	vlt_err_t err = { 0 };

	if (vlt__service_reservations_sweep(s, vlt__svc_now_ms(s), NULL, &err) < 0)
		vlt__log(NULL, VLT_LOG_WARNING, "ending reservations: %s", err.msg);
}

int vlt__service_reservations_start(vlt_service_t *s, unsigned period_ms, vlt_err_t *err)
{
	s->resv_sweeper.leased = true; /* among several valetd, the lease's holder ends them */
	return vlt__svc_ticker_start(s, &s->resv_sweeper,
				     period_ms != 0 ? period_ms : VLT_RESV_SWEEP_MS, sweep_now,
				     "reservations' sweeper", err);
}
