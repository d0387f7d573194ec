/*
 * api.c - the handlers of valetd's REST API and its route table.
 *
 * Documents follow upstream valet-api so that its clients (the Heat
 * plugin, the Nova filter, valet's own CLI) keep working: same keys, same
 * statuses, same error bodies.
 */
#include <stdio.h>

#include <jansson.h>

#include <valet/errors.h>

#include "api.h"
#include "http.h"

#define API_VERSION_ID "v1.0"

const char *const vlt__api_v1_endpoints[] = { "groups", "placements", "plans", "status", NULL };

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

static const vlt_http_route_t routes[] = {
	{ VLT_HTTP_GET, "/", get_root, 0 },
	{ VLT_HTTP_GET, "/v1", get_v1, 0 },
};

const vlt_http_route_t *vlt__api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
