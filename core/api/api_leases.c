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

/* Is a host of GET /v1/topology wholly free: enabled, no server, nothing used or held? */
static bool wholly_free(const json_t *h)
{
	const char *k;
	json_t *r;

	if (!json_is_true(json_object_get(h, "enabled")) ||
	    json_integer_value(json_object_get(h, "servers")) != 0 ||
	    !json_is_null(json_object_get(h, "exclusive")))
		return false;
	json_object_foreach(json_object_get(h, "resources"), k, r) {
		if (json_number_value(json_object_get(r, "used")) != 0 ||
		    json_number_value(json_object_get(r, "held")) != 0)
			return false;
	}
	return true;
}

/* A host as blazar.h takes it: what to hold (free), the hardware (total), zone, rack. */
static json_t *host_of(const json_t *h, const char *rack)
{
	const json_t *res = json_object_get(h, "resources");
	const json_t *v = json_object_get(res, "vcpus"), *m = json_object_get(res, "ram_mb"),
		     *d = json_object_get(res, "disk_gb");

	return json_pack("{s:O, s:O, s:O, s:O, s:{s:O, s:O, s:O}, s:O?, s:s}", "name",
			 json_object_get(h, "name"), "vcpus", json_object_get(v, "free"), "ram_mb",
			 json_object_get(m, "free"), "disk_gb", json_object_get(d, "free"), "total",
			 "vcpus", json_object_get(v, "total"), "ram_mb", json_object_get(m, "total"),
			 "disk_gb", json_object_get(d, "total"), "zone",
			 json_object_get(h, "availability_zone"), "rack", rack);
}

/*
 * The hosts nothing is held on, now or later, in the data center's
 * order: a reservation of the whole host fits them over any window.
 */
static int free_hosts(vlt_service_t *s, json_t **hosts, vlt_err_t *err)
{
	json_t *topo = NULL;
	int rc = vlt__service_topology(s, &topo, err);
	size_t i, j, k;
	json_t *c, *r, *h;

	if (rc < 0)
		return rc;
	*hosts = json_array();
	json_array_foreach(json_object_get(json_object_get(topo, "topology"), "clusters"), i, c) {
		json_array_foreach(json_object_get(c, "racks"), j, r) {
			json_array_foreach(json_object_get(r, "hosts"), k, h) {
				if (*hosts != NULL && wholly_free(h) &&
				    json_array_append_new(*hosts,
							  host_of(h, json_string_value(json_object_get(
									     r, "name")))) != 0) {
					json_decref(*hosts);
					*hosts = NULL;
				}
			}
		}
	}
	json_decref(topo);
	return *hosts != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

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

/* For each physical:host reservation of record, its hosts: {reservation id: [host...]}. */
static int hosts_for(vlt_service_t *s, const json_t *record, json_t **out, vlt_err_t *err)
{
	json_t *free = NULL, *taken = json_object(), *by_res = json_object();
	size_t i;
	json_t *res;
	int rc = taken != NULL && by_res != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	json_array_foreach(json_object_get(record, "reservations"), i, res) {
		json_t *picked = NULL;

		if (rc < 0 || strcmp(json_string_value(json_object_get(res, "resource_type")),
				     VLT_BLAZAR_HOST) != 0)
			continue;
		if (free == NULL)
			rc = free_hosts(s, &free, err);
		if (rc == 0)
			rc = vlt__blazar_pick_hosts(res, free, taken, &picked, err);
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

/* The reservation request of a new lease: window as texts ("now" kept for the service). */
static int request_of(vlt_service_t *s, const json_t *body, const json_t *record,
		      int64_t start_ms, int64_t end_ms, const char *project, json_t **request,
		      vlt_err_t *err)
{
	const char *start_text = json_string_value(json_object_get(body, "start_date"));
	char start[40], end[40];
	json_t *hosts = NULL;

	if (start_text != NULL && strcmp(start_text, "now") == 0)
		snprintf(start, sizeof(start), "now");
	else
		vlt__blazar_time_rfc3339(start_ms, start, sizeof(start));
	vlt__blazar_time_rfc3339(end_ms, end, sizeof(end));
	int rc = hosts_for(s, record, &hosts, err);
	if (rc == 0)
		rc = vlt__blazar_request(record, start, end, project, hosts, request, err);
	json_decref(hosts);
	return rc;
}

static int lease_create(vlt_service_t *s, const json_t *body, const char *project, json_t **doc,
			vlt_err_t *err)
{
	json_t *record = NULL, *request = NULL, *resv = NULL;
	int64_t start = 0, end = 0;
	int rc = vlt__blazar_lease_parse(body, vlt__service_now_ms(s), vlt__service_uuid, &record,
					 &start, &end, err);

	if (rc == 0)
		rc = request_of(s, body, record, start, end, project, &request, err);
	if (rc == 0)
		rc = vlt__service_reservation_create(s, request, project, &resv, err);
	if (rc == 0)
		rc = lease_of(s, resv, record, doc, err);
	json_decref(request);
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
