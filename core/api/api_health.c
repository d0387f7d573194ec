/*
 * api_health.c - GET /metrics (the Prometheus text format) and
 * GET|HEAD /healthcheck (as oslo.middleware's healthcheck answers it).
 * Neither needs authentication, as neither shows a tenant's data; a
 * deployment that wants them private keeps them off its public proxy.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "prom.h"

#define HEALTH_TEXT_TYPE "text/plain; charset=UTF-8"

static vlt_service_t *service_of(const vlt_http_req_t *req)
{
	const vlt_api_t *api = req->app;

	return api->service;
}

int vlt__api_metrics_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	vlt_prom_t p;

	vlt__prom_init(&p);
	vlt__http_write_metrics(req->server, &p);
	if (service_of(req) != NULL)
		vlt__service_write_metrics(service_of(req), &p);
	resp->text = vlt__prom_take(&p);
	if (resp->text == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	resp->status = 200;
	resp->content_type = VLT_PROM_CONTENT_TYPE;
	return 0;
}

/* The service's health, or unhealthy when valetd runs without one. */
static void health_of(const vlt_http_req_t *req, vlt_service_health_t *h)
{
	if (service_of(req) != NULL) {
		vlt__service_health(service_of(req), h);
		return;
	}
	memset(h, 0, sizeof(*h));
	h->n_reasons = 1;
	strcpy(h->reasons[0], "the service is not running");
}

/* Does the client ask for JSON before plain text (q-values are not weighed)? */
static bool wants_json(const vlt_http_req_t *req)
{
	const char *accept = vlt__http_req_header(req, "Accept");
	const char *json = accept != NULL ? strstr(accept, "application/json") : NULL;
	const char *text = accept != NULL ? strstr(accept, "text/plain") : NULL;

	return json != NULL && (text == NULL || json < text);
}

/* Every reason on a line of its own ("OK" when healthy). RET malloc'd or NULL. */
static char *health_text(const vlt_service_health_t *h)
{
	size_t len = 3;

	for (size_t i = 0; i < h->n_reasons; i++)
		len += strlen(h->reasons[i]) + 1;
	char *text = malloc(len);
	if (text == NULL)
		return NULL;
	strcpy(text, h->healthy ? "OK" : "");
	for (size_t i = 0; i < h->n_reasons; i++) {
		strcat(text, i > 0 ? "\n" : "");
		strcat(text, h->reasons[i]);
	}
	return text;
}

/* oslo.middleware's non-detailed JSON: {"detailed": false, "reasons": [...]}. */
static json_t *health_doc(const vlt_service_health_t *h)
{
	json_t *reasons = json_array();

	if (h->healthy)
		json_array_append_new(reasons, json_string("OK"));
	for (size_t i = 0; reasons != NULL && i < h->n_reasons; i++)
		json_array_append_new(reasons, json_string(h->reasons[i]));
	return json_pack("{s:b, s:o*}", "detailed", 0, "reasons", reasons);
}

int vlt__api_healthcheck_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	vlt_service_health_t h;

	health_of(req, &h);
	int status = h.healthy ? 200 : 503;

	if (wants_json(req)) {
		json_t *doc = health_doc(&h);

		if (doc == NULL)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
		vlt__http_resp_json(resp, status, doc);
		return 0;
	}
	resp->text = health_text(&h);
	if (resp->text == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	resp->status = status;
	resp->content_type = HEALTH_TEXT_TYPE;
	return 0;
}

/* HEAD: 204 when healthy, 503 when not, no body (oslo.middleware's statuses). */
int vlt__api_healthcheck_head(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	vlt_service_health_t h;

	(void)err;
	health_of(req, &h);
	resp->status = h.healthy ? 204 : 503;
	return 0;
}
