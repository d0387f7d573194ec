/*
 * api_int.h - what the handlers of valet-api share (api.c): who calls and
 * what they may do, the body and the query of a request, the answer. For
 * the route files of core/api/ (api.c, api_reservations.c, api_leases.c) only.
 */
#ifndef VALET_CORE_API_INT_H
#define VALET_CORE_API_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "service.h"

/* The caller of one request. */
struct vlt_api_caller {
	vlt_identity_t who;
	bool keystone;	     /* identity from a validated token */
	const char *project; /* the project a plan is made for; NULL: the body's tenant_id */
	bool all_projects;   /* listings show every project's */
};

/* A handler's verdict of authorize: 1 (answered) becomes 0 for the server. */
#define GUARDED(rc) ((rc) > 0 ? 0 : (rc))

/* The service handlers act on (NULL when it does not run). */
vlt_service_t *vlt__api_service(const vlt_http_req_t *req);
/*
 * May the caller apply rule to what it makes or lists (its own project's)?
 * RET 0: yes, c filled; 1: resp holds the 401 or 403; < 0: an error.
 */
int vlt__api_authorize(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
		       struct vlt_api_caller *c, vlt_err_t *err);
/*
 * The same on the plan (or placement) req->params[0] names, owned by its
 * project: an unknown id, or another project's, is 404 (VLT_ENOENT).
 */
int vlt__api_authorize_owned(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
			     bool placement, struct vlt_api_caller *c, vlt_err_t *err);
/* The body a write needs (borrowed): present, an object, no '$' keys, not too deep. */
int vlt__api_body_of(const vlt_http_req_t *req, const json_t **body, vlt_err_t *err);
/* No service: true with err set (503). */
bool vlt__api_no_service(const vlt_http_req_t *req, vlt_err_t *err);
/* Finish a handler: status and doc (taken) on success, rc otherwise. */
int vlt__api_answer(vlt_http_resp_t *resp, int rc, int status, json_t *doc);
/*
 * Keep the members of doc's array key whose owner (owner_of) is the
 * caller's project; nothing to do when the caller sees every project.
 */
int vlt__api_keep_own(const vlt_http_req_t *req, const struct vlt_api_caller *c, json_t *doc,
		      const char *key,
		      const char *(*owner_of)(const json_t *item, const json_t *owners),
		      vlt_err_t *err);
/* A plan's (or reservation's: its "id") project among owners, or NULL. */
const char *vlt__api_plan_owner(const json_t *plan, const json_t *owners);
/* The project a new plan is for: the token's, or the body's tenant_id (an all-projects caller). */
const char *vlt__api_plan_project(const struct vlt_api_caller *c, const json_t *body);

/* A request's query as a filter object. */
struct vlt_api_query {
	json_t *filter; /* owned: {key: value} */
	bool repeated;	/* a key given twice */
};
/* The query's arguments into q->filter (new), once the service is known to run. RET 0 or < 0. */
int vlt__api_query_of(const vlt_http_req_t *req, struct vlt_api_query *q, vlt_err_t *err);

/* api_reservations.c: /v1/reservations */
int vlt__api_reservations_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_reservations_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_reservation_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_reservation_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_reservation_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_reservation_servers_post(const vlt_http_req_t *req, vlt_http_resp_t *resp,
				      vlt_err_t *err);

/* api_leases.c: /v1/leases, Blazar's (docs/blazar.md) */
int vlt__api_leases_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_leases_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_lease_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_lease_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_lease_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);

#endif /* VALET_CORE_API_INT_H */
