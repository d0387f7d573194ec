/*
 * api_leases.c - /v1/leases as Blazar's API 1.0 serves it (docs/blazar.md),
 * so that the blazar client drives Valet's reservations: each lease is one
 * reservation (/v1/reservations, op_reservations.c), translated by
 * blazar.h. A lease is a plan, so the plans' rules decide who may do what
 * (plans_list, plans_create, plans_get, plans_delete; docs/security.md).
 * Refusals are Blazar's error body, {"error_code", "error_message",
 * "error_name"}, which its client prints.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <valet/errors.h>

#include "api.h"
#include "api_int.h"
#include "blazar.h"
#include "clock.h"
#include "http_status.h"
#include "service.h"

/* ---------------------------------------------------------------- answers */

/* Finish a handler as Blazar does: doc (taken) on success, its error body otherwise. */
static int lease_answer(vlt_http_resp_t *resp, int rc, int status, json_t *doc,
			const vlt_err_t *err)
{
	if (rc >= 0)
		return vlt__api_answer(resp, rc, status, doc);
	json_decref(doc);
	status = vlt__http_status_of(rc);
	json_t *body = vlt__blazar_error_body(status, err->msg);
	if (body == NULL)
		return rc;
	vlt__http_resp_json(resp, status, body);
	return 0;
}

/* The lease's record kept with reservation id's request; VLT_ENOENT when it is no lease. */
static int record_of(vlt_service_t *s, const char *id, json_t **record, vlt_err_t *err)
{
	int rc = vlt__service_request_member(s, id, VLT_BLAZAR_MEMBER, record, err);

	if (rc == VLT_ENOENT || (rc == 0 && !json_is_object(*record))) {
		if (rc == 0)
			json_decref(*record);
		*record = NULL;
		return vlt_err_set(err, VLT_ENOENT, "Lease %.64s could not be found", id);
	}
	return rc;
}

/* {"lease": ...} of a reservation document ({"reservation": ...}, taken) and its record. */
static int lease_of(vlt_service_t *s, json_t *reservation_doc, const json_t *record,
		    json_t **doc, vlt_err_t *err)
{
	json_t *lease = vlt__blazar_lease_doc(
		record, json_object_get(reservation_doc, "reservation"), vlt__service_now_ms(s));

	json_decref(reservation_doc);
	*doc = lease != NULL ? json_pack("{s:o}", "lease", lease) : NULL;
	return *doc != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* The lease the path names, as a lease document. */
static int lease_get(vlt_service_t *s, const char *id, json_t **doc, vlt_err_t *err)
{
	json_t *record = NULL, *resv = NULL;
	int rc = record_of(s, id, &record, err);

	if (rc == 0)
		rc = vlt__service_reservation_get(s, id, &resv, err);
	if (rc == VLT_ENOENT)
		rc = vlt_err_set(err, VLT_ENOENT, "Lease %.64s could not be found", id);
	if (rc == 0)
		rc = lease_of(s, resv, record, doc, err);
	json_decref(record);
	return rc;
}

/* ---------------------------------------------------------------- the hosts */

/* Mark every host of picked as taken. */
static int take(json_t *taken, const json_t *picked, vlt_err_t *err)
{
	size_t i;
	json_t *h;

	json_array_foreach(picked, i, h) {
		if (json_object_set_new(taken, json_string_value(json_object_get(h, "name")),
					json_true()) != 0)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * More hosts for res, which holds n already: up to max - n (at least
 * min - n) among the hosts wholly free over the window (*free, asked of
 * the service once), appended to picked.
 */
static int more_hosts(vlt_service_t *s, const json_t *res, size_t n, int64_t start, int64_t end,
		      json_t **free, const json_t *taken, json_t *picked, vlt_err_t *err)
{
	json_int_t min = json_integer_value(json_object_get(res, "min"));
	json_int_t max = json_integer_value(json_object_get(res, "max"));
	json_t *more = NULL;
	json_t *ask = json_pack("{s:O, s:I, s:I, s:O}", "id", json_object_get(res, "id"), "min",
				min > (json_int_t)n ? min - (json_int_t)n : 0, "max",
				max - (json_int_t)n, "hypervisor_properties",
				json_object_get(res, "hypervisor_properties"));
	int rc = ask != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	if (rc == 0 && *free == NULL)
		rc = vlt__service_hosts_over(s, start, end, free, err);
	if (rc == 0)
		rc = vlt__blazar_pick_hosts(ask, *free, taken, &more, err);
	if (rc == VLT_ENOPLACE && n > 0) {
		char why[VLT_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg);
		vlt_err_set(err, rc, "%.400s, besides the %zu it keeps", why, n);
	}
	if (rc == 0 && json_array_extend(picked, more) != 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_decref(more);
	json_decref(ask);
	return rc;
}

/*
 * The hosts of one physical:host reservation: those it keeps (an
 * update's, in kept), down to its max, then more up to max when it has
 * fewer.
 */
static int hosts_of_reservation(vlt_service_t *s, const json_t *res, int64_t start, int64_t end,
				const json_t *kept, json_t **free, const json_t *taken,
				json_t **picked, vlt_err_t *err)
{
	const json_t *mine = json_object_get(kept, json_string_value(json_object_get(res, "id")));
	size_t max = (size_t)json_integer_value(json_object_get(res, "max"));
	json_t *hosts = mine != NULL ? json_deep_copy(mine) : json_array();
	int rc = hosts != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	while (rc == 0 && json_array_size(hosts) > max)
		json_array_remove(hosts, json_array_size(hosts) - 1);
	if (rc == 0 && json_array_size(hosts) < max)
		rc = more_hosts(s, res, json_array_size(hosts), start, end, free, taken, hosts, err);
	if (rc < 0)
		json_decref(hosts);
	else
		*picked = hosts;
	return rc;
}

/* For each physical:host reservation of record, its hosts: {reservation id: [host...]}. */
static int hosts_for(vlt_service_t *s, const json_t *record, int64_t start, int64_t end,
		     const json_t *kept, json_t **out, vlt_err_t *err)
{
	json_t *free = NULL, *taken = json_object(), *by_res = json_object();
	size_t i;
	json_t *res;
	int rc = taken != NULL && by_res != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	const char *k;
	json_t *held;

	/* kept hosts first: a new pick must not take them again */
	json_object_foreach((json_t *)kept, k, held) {
		if (rc == 0)
			rc = take(taken, held, err);
	}
	json_array_foreach(json_object_get(record, "reservations"), i, res) {
		json_t *picked = NULL;

		if (rc < 0 || strcmp(json_string_value(json_object_get(res, "resource_type")),
				     VLT_BLAZAR_HOST) != 0)
			continue;
		rc = hosts_of_reservation(s, res, start, end, kept, &free, taken, &picked, err);
		if (rc == 0)
			rc = take(taken, picked, err);
		if (rc == 0 && json_object_set_new(by_res, json_string_value(json_object_get(res, "id")),
						   picked) != 0)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		else if (rc < 0)
			json_decref(picked);
	}
	json_decref(free);
	json_decref(taken);
	if (rc < 0)
		json_decref(by_res);
	else
		*out = by_res;
	return rc;
}

/* ---------------------------------------------------------------- create */

/* The reservation request of a lease over [start_ms, end_ms) ("now" kept for the service). */
static int request_of(vlt_service_t *s, const json_t *record, bool now, int64_t start_ms,
		      int64_t end_ms, const char *project, const json_t *kept, json_t **request,
		      vlt_err_t *err)
{
	char start[40], end[40];
	json_t *hosts = NULL;

	if (now)
		snprintf(start, sizeof(start), "now");
	else
		vlt__time_format_rfc3339(start_ms, start, sizeof(start));
	vlt__time_format_rfc3339(end_ms, end, sizeof(end));
	int rc = hosts_for(s, record, start_ms, end_ms, kept, &hosts, err);
	if (rc == 0)
		rc = vlt__blazar_request(record, start, end, project, hosts, request, err);
	json_decref(hosts);
	return rc;
}

static bool says_now(const json_t *body)
{
	const char *start = json_string_value(json_object_get(body, "start_date"));

	return start != NULL && strcmp(start, "now") == 0;
}

static int lease_create(vlt_service_t *s, const json_t *body, const char *project, json_t **doc,
			vlt_err_t *err)
{
	json_t *record = NULL, *request = NULL, *resv = NULL;
	int64_t start = 0, end = 0;
	int rc = vlt__blazar_lease_parse(body, vlt__service_now_ms(s), vlt__service_uuid, &record,
					 &start, &end, err);

	if (rc == 0)
		rc = request_of(s, record, says_now(body), start, end, project, NULL, &request, err);
	if (rc == 0)
		rc = vlt__service_reservation_create(s, request, project, &resv, err);
	if (rc == 0)
		rc = lease_of(s, resv, record, doc, err);
	json_decref(request);
	json_decref(record);
	return rc;
}

/* ---------------------------------------------------------------- update */

/*
 * A host reservation keeps its hosts through an update (min and max may
 * change: hosts are dropped or added): changing which hosts qualify
 * (hypervisor_properties) is refused, naming it.
 */
static int hosts_unchanged(const json_t *before, const json_t *after, vlt_err_t *err)
{
	static const char *const keys[] = { "hypervisor_properties", NULL };
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(after, "reservations"), i, a) {
		const json_t *b = json_array_get(json_object_get(before, "reservations"), i);

		if (strcmp(json_string_value(json_object_get(a, "resource_type")), VLT_BLAZAR_HOST) != 0)
			continue;
		for (size_t k = 0; keys[k] != NULL; k++)
			if (!json_equal(json_object_get(a, keys[k]), json_object_get(b, keys[k])))
				return vlt_err_set(err, VLT_EINVAL,
						   "$.reservations: %s of host reservation %.40s "
						   "cannot change (its hosts are kept; make another "
						   "lease for other hosts)",
						   keys[k], json_string_value(json_object_get(a, "id")));
	}
	return 0;
}

/* The hosts each host reservation holds now, from the stored request: {id: [host...]}. */
static json_t *hosts_held(const json_t *resources)
{
	json_t *kept = json_object();
	const char *orch;
	json_t *r;

	json_object_foreach((json_t *)resources, orch, r) {
		const char *id = json_string_value(
			json_object_get(json_object_get(r, "metadata"), "blazar_reservation_id"));
		const json_t *flavor = json_object_get(json_object_get(r, "properties"), "flavor");
		const json_t *at = json_array_get(json_object_get(r, "locations"), 0);

		if (kept == NULL || id == NULL || at == NULL)
			continue;
		if (json_object_get(kept, id) == NULL)
			json_object_set_new(kept, id, json_array());
		json_array_append_new(json_object_get(kept, id),
				      json_pack("{s:O, s:O, s:O, s:O}", "name", at, "vcpus",
						json_object_get(flavor, "vcpus"), "ram_mb",
						json_object_get(flavor, "ram_mb"), "disk_gb",
						json_object_get(flavor, "disk_gb")));
	}
	return kept;
}

/* The lease's record and window as they are now. */
static int lease_now(vlt_service_t *s, const char *id, json_t **record, int64_t *start,
		     int64_t *end, vlt_err_t *err)
{
	json_t *resv = NULL;
	int rc = record_of(s, id, record, err);

	if (rc == 0)
		rc = vlt__service_reservation_get(s, id, &resv, err);
	const json_t *r = json_object_get(resv, "reservation");
	if (rc == 0 &&
	    (!vlt__time_parse_rfc3339(json_string_value(json_object_get(r, "start")), start) ||
	     !vlt__time_parse_rfc3339(json_string_value(json_object_get(r, "end")), end)))
		rc = vlt_err_set(err, VLT_EINTERNAL, "lease %.64s: its reservation has no window", id);
	json_decref(resv);
	return rc;
}

static int lease_update(vlt_service_t *s, const char *id, const json_t *body, json_t **doc,
			vlt_err_t *err)
{
	json_t *record = NULL, *changed = NULL, *resources = NULL, *kept = NULL, *request = NULL;
	json_t *resv = NULL;
	int64_t start = 0, end = 0;
	int rc = lease_now(s, id, &record, &start, &end, err);

	if (rc == 0)
		rc = vlt__blazar_lease_change(record, body, vlt__service_now_ms(s), &changed, &start,
					      &end, err);
	if (rc == 0)
		rc = hosts_unchanged(record, changed, err);
	if (rc == 0)
		rc = vlt__service_request_member(s, id, "resources", &resources, err);
	if (rc == 0 && (kept = hosts_held(resources)) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = request_of(s, changed, false, start, end, NULL, kept, &request, err);
	if (rc == 0)
		rc = vlt__service_reservation_update(s, id, request, NULL, &resv, err);
	if (rc == 0)
		rc = lease_of(s, resv, changed, doc, err);
	json_decref(request);
	json_decref(kept);
	json_decref(resources);
	json_decref(changed);
	json_decref(record);
	return rc;
}

/* ---------------------------------------------------------------- handlers */

int vlt__api_leases_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize(req, resp, "plans_create", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc == 0 && vlt__api_no_service(req, err))
		rc = err->code;
	if (rc == 0)
		rc = lease_create(vlt__api_service(req), body, vlt__api_plan_project(&c, body), &doc,
				  err);
	return lease_answer(resp, rc, 201, doc, err);
}

/* The leases among a listing of reservations (taken): those with a record. */
static int leases_of(vlt_service_t *s, json_t *reservations, json_t **doc, vlt_err_t *err)
{
	json_t *leases = json_array();
	size_t i;
	json_t *r;
	int rc = leases != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	json_array_foreach(json_object_get(reservations, "reservations"), i, r) {
		json_t *record = NULL, *lease;

		if (rc < 0)
			break;
		rc = vlt__service_request_member(s, json_string_value(json_object_get(r, "id")),
						 VLT_BLAZAR_MEMBER, &record, err);
		if (rc == VLT_ENOENT) /* deleted since the listing: not there any more */
			rc = 0;
		if (rc == 0 && json_is_object(record)) {
			lease = vlt__blazar_lease_doc(record, r, vlt__service_now_ms(s));
			if (lease == NULL || json_array_append_new(leases, lease) != 0)
				rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		}
		json_decref(record);
	}
	json_decref(reservations);
	*doc = rc == 0 ? json_pack("{s:o}", "leases", leases) : NULL;
	if (rc < 0)
		json_decref(leases);
	return rc == 0 && *doc == NULL ? vlt_err_set(err, VLT_ENOMEM, "out of memory") : rc;
}

int vlt__api_leases_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *reservations = NULL, *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "plans_list", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	if (vlt__api_no_service(req, err))
		rc = err->code;
	if (rc == 0)
		rc = vlt__service_reservations(vlt__api_service(req), NULL, &reservations, err);
	if (rc == 0)
		rc = vlt__api_keep_own(req, &c, reservations, "reservations", vlt__api_plan_owner,
				       err);
	if (rc == 0)
		rc = leases_of(vlt__api_service(req), reservations, &doc, err);
	else
		json_decref(reservations);
	return lease_answer(resp, rc, 200, doc, err);
}

/* Who may act on the lease the path names; an unknown one is Blazar's 404. */
static int authorize_lease(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
			   vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = vlt__api_authorize_owned(req, resp, rule, false, &c, err);

	if (rc == VLT_ENOENT)
		rc = vlt_err_set(err, VLT_ENOENT, "Lease %.64s could not be found", req->params[0]);
	if (rc == 0 && vlt__api_no_service(req, err))
		rc = err->code;
	return rc;
}

int vlt__api_lease_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;
	int rc = authorize_lease(req, resp, "plans_get", err);

	if (rc > 0)
		return 0;
	if (rc == 0)
		rc = lease_get(vlt__api_service(req), req->params[0], &doc, err);
	return lease_answer(resp, rc, 200, doc, err);
}

int vlt__api_lease_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = authorize_lease(req, resp, "plans_update", err);

	if (rc > 0)
		return 0;
	if (rc == 0)
		rc = vlt__api_body_of(req, &body, err);
	if (rc == 0)
		rc = lease_update(vlt__api_service(req), req->params[0], body, &doc, err);
	return lease_answer(resp, rc, 200, doc, err);
}

int vlt__api_lease_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *record = NULL;
	int rc = authorize_lease(req, resp, "plans_delete", err);

	if (rc > 0)
		return 0;
	if (rc == 0)
		rc = record_of(vlt__api_service(req), req->params[0], &record, err);
	json_decref(record);
	if (rc == 0)
		rc = vlt__service_reservation_delete(vlt__api_service(req), req->params[0], err);
	return lease_answer(resp, rc, 204, NULL, err);
}
