/*
 * api.h - the REST API valetd serves, as a route table for http.h.
 *
 * Every path of the API is one row of the table in api.c: methods,
 * pattern, handler. A new resource adds its rows there and its handlers
 * (in api.c or a file of its own, declared here); the HTTP layer does the
 * rest (OPTIONS, 405 with Allow, 404, body limits, error bodies).
 */
#ifndef VALET_CORE_API_H
#define VALET_CORE_API_H

#include <stddef.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "loader.h"
#include "service.h"

/* What handlers reach through req->app; all borrowed for the server's life. */
typedef struct vlt_api {
	const vlt_config_t *cfg;
	vlt_modules_t *mods; /* may be NULL */
	vlt_service_t *service; /* plans, placements, groups; NULL: those answer 503 */
	vlt_auth_t *auth; /* who calls and their rights; NULL: noauth */
} vlt_api_t;

/* The API's routes (static storage); *n receives their count. */
const vlt_http_route_t *vlt__api_routes(size_t *n);

/* api_health.c: GET /metrics, GET and HEAD /healthcheck. */
int vlt__api_metrics_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_healthcheck_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
int vlt__api_healthcheck_head(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);
/*
 * GET /dashboard[/<file>] (dashboard.c): the dashboard's static files from
 * server.dashboard_dir or the built-in folders; "/dashboard" redirects to
 * "/dashboard/" so that the page's relative links resolve.
 */
int vlt__api_dashboard(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err);

/* The endpoints GET /v1 lists, in its order; NULL-terminated. */
extern const char *const vlt__api_v1_endpoints[];

#endif /* VALET_CORE_API_H */
