/*
 * api_reservations.c - /v1/reservations (docs/api.md, "Reservations"):
 * plans with an interval. A reservation is a plan, so the plans' rules
 * decide who may do what (plans_list, plans_create, plans_get,
 * plans_update, plans_delete; docs/security.md), and its owner is the
 * plan's.
 */
#include <jansson.h>

#include <valet/errors.h>

#include "api.h"
#include "api_int.h"
#include "service.h"

/* vlt__api_authorize_owned on the reservation the path names: 404 says "Reservation not found". */
static int authorize_reservation(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
				 struct vlt_api_caller *c, vlt_err_t *err)
{
	int rc = vlt__api_authorize_owned(req, resp, rule, false, c, err);

	return rc == VLT_ENOENT ? vlt_err_set(err, rc, "Reservation not found") : rc;
}

int vlt__api_reservations_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_query q = { NULL, false };
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "plans_list", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	if ((rc = vlt__api_query_of(req, &q, err)) < 0)
		return rc;
	if (q.repeated)
		rc = vlt_err_set(err, VLT_EINVAL, "GET /v1/reservations: a filter is given twice "
						  "(each at most once)");
	else
		rc = vlt__service_reservations(vlt__api_service(req), q.filter, &doc, err);
	json_decref(q.filter);
	if (rc == 0)
		rc = vlt__api_keep_own(req, &c, doc, "reservations", vlt__api_plan_owner, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

int vlt__api_reservations_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize(req, resp, "plans_create", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0 || vlt__api_no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_reservation_create(vlt__api_service(req), body,
					     vlt__api_plan_project(&c, body), &doc, err);
	return vlt__api_answer(resp, rc, 201, doc);
}

int vlt__api_reservation_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = authorize_reservation(req, resp, "plans_get", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_reservation_get(vlt__api_service(req), req->params[0], &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

int vlt__api_reservation_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = authorize_reservation(req, resp, "plans_update", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0 || vlt__api_no_service(req, err))
		return rc < 0 ? rc : err->code;
	/* under keystone a reservation stays its project's, whoever changes it */
	rc = vlt__service_reservation_update(vlt__api_service(req), req->params[0], body,
					     c.keystone ? NULL : c.project, &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

int vlt__api_reservation_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = authorize_reservation(req, resp, "plans_delete", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_reservation_delete(vlt__api_service(req), req->params[0], err);
	return vlt__api_answer(resp, rc, 204, NULL);
}
