/*
 * api.c - the handlers of valetd's REST API and its route table.
 *
 * Documents follow upstream valet-api so that its clients (the Heat
 * plugin, the Nova filter, valet's own CLI) keep working: same keys, same
 * statuses, same error bodies.
 */
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include <valet/errors.h>

#include "api.h"
#include "http.h"
#include "service.h"

#define API_VERSION_ID "v1.0"

const char *const vlt__api_v1_endpoints[] = { "decisions", "groups",	"placements",
					       "plans",	    "status", NULL };

/*
 * One entry of the versions document. links is a new reference, taken
 * even on failure. RET a new reference or NULL.
 */
static json_t *version_doc(json_t *links)
{
	json_t *v = json_pack("{s:s, s:s, s:o}", "status", "CURRENT", "id", API_VERSION_ID,
			      "links", links);

	if (v == NULL)
		return NULL;
	return json_pack("{s:[o]}", "versions", v);
}

static json_t *self_link(const char *href)
{
	return json_pack("{s:s, s:s}", "href", href, "rel", "self");
}

/* GET / - the API versions, no authentication (upstream: pecan root). */
static int get_root(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	char url[512];
	char href[600];

	vlt__http_req_app_url(req, url, sizeof(url));
	snprintf(href, sizeof(href), "%s/v1/", url);
	json_t *doc = version_doc(json_pack("[o]", self_link(href)));
	if (doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_resp_json(resp, 200, doc);
	return 0;
}

/* GET /v1 - the same shape, one link per endpoint of version 1. */
static int get_v1(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	char url[512];
	char href[600];
	json_t *links = json_array();

	vlt__http_req_app_url(req, url, sizeof(url));
	for (size_t i = 0; links != NULL && vlt__api_v1_endpoints[i] != NULL; i++) {
		snprintf(href, sizeof(href), "%s/v1/%s/", url, vlt__api_v1_endpoints[i]);
		if (json_array_append_new(links, self_link(href)) != 0) {
			json_decref(links);
			links = NULL;
		}
	}
	json_t *doc = links != NULL ? version_doc(links) : NULL;
	if (doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_resp_json(resp, 200, doc);
	return 0;
}

/* ---- valet-api v1 */

static vlt_service_t *service_of(const vlt_http_req_t *req)
{
	const vlt_api_t *api = req->app;

	return api->service;
}

/*
 * The caller's project, as keystonemiddleware (or a proxy in front) sets
 * it; valetd does not validate tokens itself (docs/api.md, "Auth").
 */
static const char *tenant_of(const vlt_http_req_t *req)
{
	const char *t = vlt__http_req_header(req, "X-Project-Id");

	if (t == NULL || t[0] == '\0')
		t = vlt__http_req_header(req, "X-Tenant-Id");
	return t != NULL && t[0] != '\0' ? t : NULL;
}

/* The body a write needs: present, an object, no '$' keys, not too deep. */
static int body_of(const vlt_http_req_t *req, const json_t **body, vlt_err_t *err)
{
	if (req->json == NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "request body: missing (expected a JSON object)");
	if (!json_is_object(req->json))
		return vlt_err_set(err, VLT_EINVAL, "request body: expected a JSON object");
	int rc = vlt__service_check_body(req->json, err);
	if (rc == 0)
		*body = req->json;
	return rc;
}

static bool no_service(const vlt_http_req_t *req, vlt_err_t *err)
{
	if (service_of(req) != NULL)
		return false;
	vlt_err_set(err, VLT_EBACKEND, "the service is not running");
	return true;
}

/* Finish a handler: status and document on success, the code otherwise. */
static int answer(vlt_http_resp_t *resp, int rc, int status, json_t *doc)
{
	if (rc < 0) {
		json_decref(doc);
		return rc;
	}
	if (doc != NULL)
		vlt__http_resp_json(resp, status, doc);
	else
		resp->status = status;
	return 0;
}

static int plans_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_plans(service_of(req), &doc, err);

	return answer(resp, rc, 200, doc);
}

static int plans_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc < 0 || no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_plan_create(service_of(req), body, tenant_of(req), &doc, err);
	return answer(resp, rc, 201, doc);
}

static int plan_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_plan_get(service_of(req), req->params[0], &doc, err);
	return answer(resp, rc, 200, doc);
}

static int plan_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc < 0 || no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_plan_update(service_of(req), req->params[0], body, tenant_of(req), &doc,
				      err);
	return answer(resp, rc, 201, doc);
}

static int plan_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_plan_delete(service_of(req), req->params[0], err);
	return answer(resp, rc, 204, NULL);
}

struct query {
	json_t *filter;
	bool repeated;
};

static bool add_query_arg(void *cls, const char *key, const char *value)
{
	struct query *q = cls;

	if (json_object_get(q->filter, key) != NULL) {
		q->repeated = true; /* upstream: a repeated key matches nothing */
		return false;
	}
	json_object_set_new(q->filter, key, json_string(value != NULL ? value : ""));
	return true;
}

/*
 * The query's arguments as a filter object (new reference, in q->filter),
 * once the service is known to run. RET 0 or the error to answer.
 */
static int query_of(const vlt_http_req_t *req, struct query *q, vlt_err_t *err)
{
	if (no_service(req, err))
		return err->code;
	q->filter = json_object();
	if (q->filter == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_req_query_each(req, add_query_arg, q);
	return 0;
}

static int placements_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct query q = { NULL, false };
	json_t *doc = NULL;
	int rc = query_of(req, &q, err);

	if (rc < 0)
		return rc;
	if (q.repeated)
		doc = json_pack("{s:[]}", "placements");
	else
		rc = vlt__service_placements(service_of(req), q.filter, &doc, err);
	json_decref(q.filter);
	if (rc == 0 && doc == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return answer(resp, rc, 200, doc);
}

static int decisions_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct query q = { NULL, false };
	json_t *doc = NULL;
	int rc = query_of(req, &q, err);

	if (rc < 0)
		return rc;
	/* unlike placements' upstream rule, a filter given twice is an error here */
	if (q.repeated)
		rc = vlt_err_set(err, VLT_EINVAL,
				 "GET /v1/decisions: a filter is given twice (each at most once)");
	else
		rc = vlt__service_decisions(service_of(req), q.filter, &doc, err);
	json_decref(q.filter);
	return answer(resp, rc, 200, doc);
}

static int decision_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_decision_get(service_of(req), req->params[0], &doc, err);
	return answer(resp, rc, 200, doc);
}

static int placement_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_placement_get(service_of(req), req->params[0], &doc, err);
	return answer(resp, rc, 200, doc);
}

static int placement_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc < 0 || no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_placement_reserve(service_of(req), req->params[0], body, &doc, err);
	return answer(resp, rc, 201, doc);
}

static int placement_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_placement_delete(service_of(req), req->params[0], err);
	return answer(resp, rc, 204, NULL);
}

static int groups_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_groups(service_of(req), &doc, err);

	return answer(resp, rc, 200, doc);
}

static int groups_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc < 0 || no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_group_create(service_of(req), body, &doc, err);
	return answer(resp, rc, 201, doc); /* upstream: the bare group */
}

static int group_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *g = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_group_get(service_of(req), req->params[0], &g, err);
	json_t *doc = rc == 0 ? json_pack("{s:o}", "group", g) : NULL;
	if (rc == 0 && doc == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return answer(resp, rc, 200, doc);
}

static int group_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc < 0 || no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_group_update(service_of(req), req->params[0], body, &doc, err);
	return answer(resp, rc, 201, doc);
}

static int group_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_group_delete(service_of(req), req->params[0], err);
	return answer(resp, rc, 204, NULL);
}

static int members_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc < 0 || no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_members_add(service_of(req), req->params[0], body, &doc, err);
	return answer(resp, rc, 201, doc);
}

static int members_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_members_remove(service_of(req), req->params[0], NULL, err);
	return answer(resp, rc, 204, NULL);
}

static int member_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_member_check(service_of(req), req->params[0], req->params[1], err);
	return answer(resp, rc, 204, NULL);
}

static int member_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_members_remove(service_of(req), req->params[0], req->params[1],
					     err);
	return answer(resp, rc, 204, NULL);
}

/* HEAD /v1/status: 204 when the store answers (upstream pinged its engine). */
static int status_head(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_status(service_of(req), &doc, err);
	json_decref(doc);
	return answer(resp, rc, 204, NULL);
}

static int status_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_status(service_of(req), &doc, err);

	return answer(resp, rc, 200, doc);
}

static int resources_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_resources(service_of(req), &doc, err);

	return answer(resp, rc, 200, doc);
}

static int topology_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *doc = NULL;

	if (no_service(req, err))
		return err->code;
	int rc = vlt__service_topology(service_of(req), &doc, err);

	return answer(resp, rc, 200, doc);
}

typedef int (*external_fn)(vlt_service_t *s, const json_t *body, json_t **answer,
			   vlt_err_t *err);

/* An external-scheduler call of SAP's forks (docs/openstack.md, "External scheduler"). */
static int external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, external_fn decide,
			 vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc < 0 || no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = decide(service_of(req), body, &doc, err);
	return answer(resp, rc, 200, doc);
}

/* POST /scheduler/nova/external: SAP's Nova fork asks which host. */
static int nova_external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	return external_post(req, resp, vlt__service_nova_external, err);
}

/* POST /scheduler/cinder/external: SAP's Cinder fork asks which pool. */
static int cinder_external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp,
				vlt_err_t *err)
{
	return external_post(req, resp, vlt__service_cinder_external, err);
}

/* POST /scheduler/manila/external: shares are not Valet's; the offered hosts as they came. */
static int manila_external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp,
				vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	int rc = body_of(req, &body, err);

	if (rc == 0)
		rc = vlt__service_manila_external(body, &doc, err);
	return answer(resp, rc, 200, doc);
}

static const vlt_http_route_t routes[] = {
	{ VLT_HTTP_GET, "/", get_root, 0 },
	{ VLT_HTTP_GET, "/v1", get_v1, 0 },
	{ VLT_HTTP_GET, "/v1/plans", plans_get, 0 },
	{ VLT_HTTP_POST, "/v1/plans", plans_post, 0 },
	{ VLT_HTTP_GET, "/v1/plans/{id}", plan_get, 0 },
	{ VLT_HTTP_PUT, "/v1/plans/{id}", plan_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/plans/{id}", plan_delete, 0 },
	{ VLT_HTTP_GET, "/v1/placements", placements_get, 0 },
	{ VLT_HTTP_GET, "/v1/placements/{id*}", placement_get, 0 },
	{ VLT_HTTP_POST, "/v1/placements/{id*}", placement_post, 0 },
	{ VLT_HTTP_DELETE, "/v1/placements/{id*}", placement_delete, 0 },
	{ VLT_HTTP_GET, "/v1/decisions", decisions_get, 0 },
	{ VLT_HTTP_GET, "/v1/decisions/{id}", decision_get, 0 },
	{ VLT_HTTP_GET, "/v1/groups", groups_get, 0 },
	{ VLT_HTTP_POST, "/v1/groups", groups_post, 0 },
	{ VLT_HTTP_GET, "/v1/groups/{id}", group_get, 0 },
	{ VLT_HTTP_PUT, "/v1/groups/{id}", group_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/groups/{id}", group_delete, 0 },
	{ VLT_HTTP_PUT, "/v1/groups/{id}/members", members_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/groups/{id}/members", members_delete, 0 },
	{ VLT_HTTP_GET, "/v1/groups/{id}/members/{member}", member_get, 0 },
	{ VLT_HTTP_DELETE, "/v1/groups/{id}/members/{member}", member_delete, 0 },
	{ VLT_HTTP_HEAD, "/v1/status", status_head, 0 },
	{ VLT_HTTP_GET, "/v1/status", status_get, 0 },
	{ VLT_HTTP_GET, "/v1/resources", resources_get, 0 },
	{ VLT_HTTP_GET, "/v1/topology", topology_get, 0 },
	{ VLT_HTTP_POST, "/scheduler/nova/external", nova_external_post, 0 },
	{ VLT_HTTP_POST, "/scheduler/cinder/external", cinder_external_post, 0 },
	{ VLT_HTTP_POST, "/scheduler/manila/external", manila_external_post, 0 },
	{ VLT_HTTP_GET, "/metrics", vlt__api_metrics_get, 0 },
	{ VLT_HTTP_GET, "/healthcheck", vlt__api_healthcheck_get, 0 },
	{ VLT_HTTP_HEAD, "/healthcheck", vlt__api_healthcheck_head, 0 },
	{ VLT_HTTP_GET, "/dashboard", vlt__api_dashboard, 0 },
	{ VLT_HTTP_GET, "/dashboard/{file*}", vlt__api_dashboard, 0 },
};

const vlt_http_route_t *vlt__api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
