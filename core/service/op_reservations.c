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

#define RESV_WHERE "reservation request"
#define RESV_LIST_WHERE "GET /v1/reservations"
#define RESV_TIME_SHAPE "an RFC 3339 UTC time like 2026-12-08T10:00:00Z"

/* ---------------------------------------------------------------- the interval, the status */

void vlt__svc_plan_interval(vlt_svc_plan_t *p)
{
	const json_t *start = json_object_get(p->request, "start");
	const json_t *end = json_object_get(p->request, "end");

	p->timed = start != NULL || end != NULL;
	p->start_ms = INT64_MIN;
	p->end_ms = INT64_MAX;
	/* the request was accepted with these: a value that does not read stays absent */
	if (start != NULL)
		vlt__clock_parse_utc(json_string_value(start), &p->start_ms);
	if (end != NULL)
		vlt__clock_parse_utc(json_string_value(end), &p->end_ms);
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
	char at[VLT_CLOCK_UTC_LEN];

	if (!p->timed)
		return 0;
	switch (status_of(p, vlt__svc_now_ms(s))) {
	case RESV_PENDING:
		vlt__clock_format_utc(p->start_ms, at, sizeof(at));
		return vlt_err_set(err, VLT_ECONFLICT,
				   "reservation %s (stack %s) is pending: its placements are "
				   "reservable from its start, %s",
				   p->id, p->stack_id, at);
	case RESV_ENDED:
		vlt__clock_format_utc(p->end_ms, at, sizeof(at));
		return vlt_err_set(err, VLT_ECONFLICT,
				   "reservation %s (stack %s) ended at %s: its placements are no "
				   "longer reservable",
				   p->id, p->stack_id, at);
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- documents */

static json_t *time_or_null(int64_t ms, bool present)
{
	char text[VLT_CLOCK_UTC_LEN];

	if (!present)
		return json_null();
	vlt__clock_format_utc(ms, text, sizeof(text));
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
			      "start", time_or_null(p->start_ms, p->start_ms != INT64_MIN), "end",
			      time_or_null(p->end_ms, p->end_ms != INT64_MAX), "status",
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

/*
 * body's "start" ("now" becomes now_ms's time) and "end", checked: both
 * given, times, end after start and after now. *ms gets the value; the
 * resolved text, when it was "now", goes into copy.
 */
static int check_time(const json_t *body, const char *key, int64_t now_ms, json_t *copy,
		      int64_t *ms, vlt_err_t *err)
{
	const json_t *v = json_object_get(body, key);
	const char *text = json_string_value(v);

	if (v == NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.%s: missing (a reservation has a start, or \"now\", and "
				   "an end)",
				   RESV_WHERE, key);
	if (text != NULL && strcmp(key, "start") == 0 && strcmp(text, "now") == 0) {
		char now[VLT_CLOCK_UTC_LEN];

		vlt__clock_format_utc(now_ms, now, sizeof(now));
		*ms = now_ms;
		return json_object_set_new(copy, key, json_string(now)) == 0
			       ? 0
			       : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (!vlt__clock_parse_utc(text, ms))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: expected %s%s", RESV_WHERE, key,
				   RESV_TIME_SHAPE, strcmp(key, "start") == 0 ? " or \"now\"" : "");
	return 0;
}

/* The body to journal (new reference in *out): start resolved, the interval checked. */
static int resolve_interval(vlt_service_t *s, const json_t *body, json_t **out, vlt_err_t *err)
{
	int64_t now_ms = vlt__svc_now_ms(s), start_ms = 0, end_ms = 0;
	char now[VLT_CLOCK_UTC_LEN];

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", RESV_WHERE);
	json_t *copy = json_copy((json_t *)body);
	if (copy == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	int rc = check_time(body, "start", now_ms, copy, &start_ms, err);
	if (rc == 0)
		rc = check_time(body, "end", now_ms, copy, &end_ms, err);
	vlt__clock_format_utc(now_ms, now, sizeof(now));
	if (rc == 0 && end_ms <= start_ms)
		rc = vlt_err_set(err, VLT_EINVAL, "%s: $.end: not after $.start", RESV_WHERE);
	else if (rc == 0 && end_ms <= now_ms)
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
	if (vlt__clock_parse_utc(v, ms))
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
