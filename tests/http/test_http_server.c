/*
 * test_http_server.c - the HTTP layer (core/api/http.c) in-process, with a
 * route table of its own: routing and {id} segments, query arguments,
 * JSON bodies, the error-to-status table and upstream's error bodies,
 * OPTIONS, HEAD, 404, 405 and body limits (declared and chunked), and
 * what it counts for GET /metrics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include <valet/errors.h>

#include "config.h"
#include "http.h"
#include "http_client.h"

#define MAX_BODY 1000

static vlt_http_t *server;
static vlt_config_t cfg;
static char base[64];

/* ---- the routes under test */

/* GET /items/{id}: {"id": <id>, "x": <query x or null>, "app": <app string>} */
static int get_item(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const char *x = vlt__http_req_query(req, "x");
	json_t *doc = json_pack("{s:s, s:s?, s:s}", "id", vlt__http_req_param(req, "id"), "x", x,
				"app", (const char *)req->app);

	if (doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_resp_json(resp, 200, doc);
	return 0;
}

static int delete_item(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	(void)req;
	(void)err;
	resp->status = 204;
	return 0;
}

static bool collect_query(void *cls, const char *key, const char *value)
{
	json_array_append_new(cls, json_pack("[s, s?]", key, value));
	return true;
}

/* POST /items/{id}/echo/{sub}: 201 with the body, the params and the query. */
static int echo(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	json_t *query = json_array();

	vlt__http_req_query_each(req, collect_query, query);
	json_t *doc = json_pack("{s:O?, s:s, s:s, s:o, s:s?}", "body", req->json, "id",
				vlt__http_req_param(req, "id"), "sub",
				vlt__http_req_param(req, "sub"), "query", query, "nope",
				vlt__http_req_param(req, "nope"));
	if (doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_resp_json(resp, 201, doc);
	resp->location = strdup("/items/1");
	return 0;
}

/* POST /raw: the body back as text, never parsed. */
static int raw(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	(void)err;
	if (req->json != NULL)
		return vlt_err_set(err, VLT_EINTERNAL, "raw route got parsed JSON");
	resp->text = strdup(req->body);
	resp->content_type = "text/plain";
	return 0;
}

/* GET /fail/{code}: fails with -code and a message naming it. */
static int fail_with(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	int code = -atoi(vlt__http_req_param(req, "code"));

	/* a partly built answer must be discarded */
	vlt__http_resp_json(resp, 200, json_pack("{s:b}", "partial", 1));
	if (code == -1)
		return code; /* no message: the generic text is used */
	return vlt_err_set(err, code, "failing with %d", code);
}

static const vlt_http_route_t routes[] = {
	{ VLT_HTTP_GET, "/items/{id}", get_item, 0 },
	{ VLT_HTTP_DELETE, "/items/{id}", delete_item, 0 },
	{ VLT_HTTP_POST | VLT_HTTP_PUT, "/items/{id}/echo/{sub}", echo, 0 },
	{ VLT_HTTP_POST, "/raw", raw, VLT_HTTP_F_RAW_BODY },
	{ VLT_HTTP_GET, "/fail/{code}", fail_with, 0 },
};

/* ---- helpers */

static void url_of(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "%s%s", base, path);
}

static json_t *request(const char *method, const char *path, const char *body, long want,
		       http_reply_t *rep)
{
	char url[256];
	http_request_t req = { .method = method, .url = url, .body = body,
			       .body_len = body != NULL ? strlen(body) : 0 };

	url_of(url, sizeof(url), path);
	assert_int_equal(http_do(&req, rep), 0);
	if (rep->status != want)
		fail_msg("%s %s: status %ld, want %ld; body %s", method, path, rep->status, want,
			 rep->body);
	if (rep->body_len == 0)
		return NULL;
	json_error_t je;
	json_t *doc = json_loads(rep->body, 0, &je);
	if (doc == NULL && strcmp(rep->content_type, "application/json") == 0)
		fail_msg("%s %s: body is not JSON: %s", method, path, rep->body);
	return doc;
}

/* The error body's every field. */
static void check_error_body(const json_t *doc, int status, const char *title, const char *type,
			     const char *explanation_part)
{
	assert_non_null(doc);
	assert_int_equal(json_object_size(doc), 4);
	assert_string_equal(json_string_value(json_object_get(doc, "title")), title);
	assert_int_equal(json_integer_value(json_object_get(doc, "code")), status);
	const char *expl = json_string_value(json_object_get(doc, "explanation"));
	assert_non_null(expl);
	if (explanation_part != NULL && strstr(expl, explanation_part) == NULL)
		fail_msg("explanation '%s' lacks '%s'", expl, explanation_part);
	const json_t *e = json_object_get(doc, "error");
	assert_int_equal(json_object_size(e), 3);
	assert_true(json_is_null(json_object_get(e, "traceback")));
	assert_string_equal(json_string_value(json_object_get(e, "type")), type);
	assert_non_null(json_string_value(json_object_get(e, "message")));
}

/* ---- tests */

static void test_http_param_and_query(void **state)
{
	http_reply_t rep;
	(void)state;

	json_t *doc = request("GET", "/items/abc-1?x=42&y=0", NULL, 200, &rep);
	assert_string_equal(rep.content_type, "application/json");
	assert_string_equal(json_string_value(json_object_get(doc, "id")), "abc-1");
	assert_string_equal(json_string_value(json_object_get(doc, "x")), "42");
	assert_string_equal(json_string_value(json_object_get(doc, "app")), "the app");
	json_decref(doc);
	http_reply_free(&rep);

	/* a trailing slash does not count; percent-escapes are decoded */
	doc = request("GET", "/items/a%20b/", NULL, 200, &rep);
	assert_string_equal(json_string_value(json_object_get(doc, "id")), "a b");
	assert_true(json_is_null(json_object_get(doc, "x")));
	json_decref(doc);
	http_reply_free(&rep);

	/* "?x" with no value reads as "" */
	doc = request("GET", "/items/1?x", NULL, 200, &rep);
	assert_string_equal(json_string_value(json_object_get(doc, "x")), "");
	json_decref(doc);
	http_reply_free(&rep);
}

static void test_http_json_body_params_and_location(void **state)
{
	http_reply_t rep;
	(void)state;

	json_t *doc = request("POST", "/items/7/echo/z?k=1&k=2&flag", "{\"a\": [1, 2]}", 201, &rep);
	assert_string_equal(rep.location, "/items/1");
	json_t *want = json_pack("{s:{s:[i,i]}, s:s, s:s, s:[[s,s],[s,s],[s,n]], s:n}", "body", "a",
				 1, 2, "id", "7", "sub", "z", "query", "k", "1", "k", "2", "flag",
				 "nope");
	if (!json_equal(doc, want))
		fail_msg("got %s", rep.body);
	json_decref(want);
	json_decref(doc);
	http_reply_free(&rep);

	/* PUT shares the route; an empty body gives no JSON */
	doc = request("PUT", "/items/7/echo/z", " \n", 201, &rep);
	assert_false(json_object_get(doc, "body") != NULL &&
		     !json_is_null(json_object_get(doc, "body")));
	json_decref(doc);
	http_reply_free(&rep);
}

static void test_http_bad_json_gives_400_with_position(void **state)
{
	http_reply_t rep;
	(void)state;

	json_t *doc = request("POST", "/items/7/echo/z", "{\"a\": \n  [1, }", 400, &rep);
	check_error_body(doc, 400, "Bad Request", "HTTPBadRequest",
			 "request body is not valid JSON: line 2 column");
	json_decref(doc);
	http_reply_free(&rep);

	doc = request("POST", "/items/7/echo/z", "{\"a\": 1, \"a\": 2}", 400, &rep);
	check_error_body(doc, 400, "Bad Request", "HTTPBadRequest", "duplicate");
	json_decref(doc);
	http_reply_free(&rep);
}

static void test_http_raw_route_keeps_bytes(void **state)
{
	http_reply_t rep;
	(void)state;

	json_t *doc = request("POST", "/raw", "not { json", 200, &rep);
	assert_null(doc);
	assert_string_equal(rep.body, "not { json");
	assert_string_equal(rep.content_type, "text/plain");
	http_reply_free(&rep);
}

static void test_http_error_codes_map_to_statuses(void **state)
{
	static const struct {
		int code;
		int status;
		const char *title;
		const char *type;
	} cases[] = {
		{ VLT_EINVAL, 400, "Bad Request", "HTTPBadRequest" },
		{ VLT_ECONFIG, 400, "Bad Request", "HTTPBadRequest" },
		{ VLT_ENOENT, 404, "Not Found", "HTTPNotFound" },
		{ VLT_EMETHOD, 405, "Method Not Allowed", "HTTPMethodNotAllowed" },
		{ VLT_EEXIST, 409, "Conflict", "HTTPConflict" },
		{ VLT_ECONFLICT, 409, "Conflict", "HTTPConflict" },
		{ VLT_ENOPLACE, 409, "Conflict", "HTTPConflict" },
		{ VLT_EFORBIDDEN, 409, "Conflict", "HTTPConflict" },
		{ VLT_E2BIG, 413, "Request Entity Too Large", "HTTPRequestEntityTooLarge" },
		{ VLT_EBACKEND, 503, "Service Unavailable", "HTTPServiceUnavailable" },
		{ VLT_ETIMEDOUT, 504, "Gateway Timeout", "HTTPGatewayTimeout" },
		{ VLT_ENOMEM, 500, "Internal Server Error", "HTTPInternalServerError" },
		{ VLT_EIO, 500, "Internal Server Error", "HTTPInternalServerError" },
		{ VLT_EABI, 500, "Internal Server Error", "HTTPInternalServerError" },
		{ VLT_EINTERNAL, 500, "Internal Server Error", "HTTPInternalServerError" },
		{ -1, 500, "Internal Server Error", "HTTPInternalServerError" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[64], msg[64];
		http_reply_t rep;

		assert_int_equal(vlt__http_status_of(cases[i].code), cases[i].status);
		snprintf(path, sizeof(path), "/fail/%d", -cases[i].code);
		snprintf(msg, sizeof(msg), "failing with %d", cases[i].code);
		json_t *doc = request("GET", path, NULL, cases[i].status, &rep);
		assert_string_equal(rep.content_type, "application/json");
		check_error_body(doc, cases[i].status, cases[i].title, cases[i].type,
				 cases[i].code == -1 ? "unknown error" : msg);
		json_decref(doc);
		http_reply_free(&rep);
	}
	assert_int_equal(vlt__http_status_of(0), 200);
}

static void test_http_options_head_405_404(void **state)
{
	http_reply_t rep;
	(void)state;

	/* OPTIONS: every method of every route on the path, HEAD with GET */
	json_t *doc = request("OPTIONS", "/items/9", NULL, 204, &rep);
	assert_null(doc);
	assert_string_equal(rep.allow, "GET, HEAD, DELETE, OPTIONS");
	http_reply_free(&rep);

	doc = request("OPTIONS", "/raw", NULL, 204, &rep);
	assert_string_equal(rep.allow, "POST, OPTIONS");
	http_reply_free(&rep);

	/* HEAD answers like GET, without the body */
	doc = request("HEAD", "/items/9", NULL, 200, &rep);
	assert_null(doc);
	assert_int_equal(rep.body_len, 0);
	assert_string_equal(rep.content_type, "application/json");
	http_reply_free(&rep);

	doc = request("DELETE", "/items/9", NULL, 204, &rep);
	assert_null(doc);
	http_reply_free(&rep);

	doc = request("PATCH", "/items/9", NULL, 405, &rep);
	assert_string_equal(rep.allow, "GET, HEAD, DELETE, OPTIONS");
	check_error_body(doc, 405, "Method Not Allowed", "HTTPMethodNotAllowed",
			 "method PATCH is not allowed on /items/9");
	json_decref(doc);
	http_reply_free(&rep);

	/* an unknown method is a 405 as well */
	doc = request("BREW", "/raw", NULL, 405, &rep);
	check_error_body(doc, 405, "Method Not Allowed", "HTTPMethodNotAllowed", "BREW");
	json_decref(doc);
	http_reply_free(&rep);

	static const char *const unknown[] = { "/nothing", "/items", "/items/1/2",
					       "/items//", "/items/1/echo",
					       "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		doc = request("GET", unknown[i], NULL, 404, &rep);
		check_error_body(doc, 404, "Not Found", "HTTPNotFound", "no resource at");
		json_decref(doc);
		http_reply_free(&rep);
	}
	/* OPTIONS on an unknown path is a 404 too */
	doc = request("OPTIONS", "/nothing", NULL, 404, &rep);
	json_decref(doc);
	http_reply_free(&rep);
}

static char *filled(size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, ' ', n);
	s[0] = '[';
	s[n - 1] = ']';
	s[n] = '\0';
	return s;
}

static void test_http_body_limit(void **state)
{
	char url[256];
	http_reply_t rep;
	(void)state;

	url_of(url, sizeof(url), "/items/1/echo/2");
	/* exactly the limit passes */
	char *body = filled(MAX_BODY);
	json_t *doc = request("POST", "/items/1/echo/2", body, 201, &rep);
	json_decref(doc);
	http_reply_free(&rep);
	free(body);

	/* one byte over, declared by Content-Length, then sent in chunks */
	body = filled(MAX_BODY + 1);
	for (int chunked = 0; chunked <= 1; chunked++) {
		http_request_t req = { .method = "POST", .url = url, .body = body,
				       .body_len = MAX_BODY + 1, .chunked = chunked };
		assert_int_equal(http_do(&req, &rep), 0);
		assert_int_equal(rep.status, 413);
		doc = json_loads(rep.body, 0, NULL);
		check_error_body(doc, 413, "Request Entity Too Large", "HTTPRequestEntityTooLarge",
				 chunked ? "request body is over the limit of 1000 bytes" :
					   "request body of 1001 bytes is over the limit of 1000");
		json_decref(doc);
		http_reply_free(&rep);
	}
	free(body);

	/* the server still serves afterwards */
	doc = request("GET", "/items/1", NULL, 200, &rep);
	json_decref(doc);
	http_reply_free(&rep);
}

static void test_http_error_body_shape(void **state)
{
	(void)state;
	json_t *doc = vlt__http_error_body(404, "Plan not found");
	char *text = json_dumps(doc, 0);

	assert_string_equal(text, "{\"title\": \"Not Found\", \"explanation\": \"Plan not found\", "
				  "\"code\": 404, \"error\": {\"message\": \"The resource could "
				  "not be found.\", \"traceback\": null, \"type\": "
				  "\"HTTPNotFound\"}}");
	free(text);
	json_decref(doc);

	/* no explanation: the generic message stands in */
	doc = vlt__http_error_body(409, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "explanation")),
			    json_string_value(json_object_get(json_object_get(doc, "error"),
							      "message")));
	json_decref(doc);
	assert_string_equal(vlt__http_reason(201), "Created");
}

static void test_http_port_in_use(void **state)
{
	vlt_config_t c2 = cfg;
	vlt_http_t *h2 = NULL;
	vlt_err_t err = { 0 };
	char want[64];
	(void)state;

	c2.listen_port = vlt__http_port(server);
	assert_int_equal(vlt__http_start(&h2, &c2, routes, 1, NULL, &err), VLT_EIO);
	assert_null(h2);
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%u: Address already in use",
		 (unsigned)c2.listen_port);
	assert_string_equal(err.msg, want);

	c2.listen_host = "no-such-host.invalid";
	c2.listen_port = 0;
	assert_int_equal(vlt__http_start(&h2, &c2, routes, 1, NULL, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "cannot listen on no-such-host.invalid:0"));
	vlt__http_stop(NULL);
}

/* The value of one series in the server's metrics (0 when it is not there). */
static double metric(const char *series)
{
	vlt_prom_t p;
	double v = 0;

	vlt__prom_init(&p);
	vlt__http_write_metrics(server, &p);
	char *text = vlt__prom_take(&p);
	assert_non_null(text);
	size_t n = strlen(series);
	for (const char *line = text; line != NULL && *line != '\0';) {
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			v = strtod(line + n + 1, NULL);
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	free(text);
	return v;
}

/* Requests are counted by route pattern (never the raw path), method and status. */
static void test_http_metrics_by_route(void **state)
{
	static const char get_ok[] =
		"valet_http_requests_total{method=\"GET\",route=\"/items/{id}\",code=\"200\"}";
	static const char put_ok[] = "valet_http_requests_total{method=\"PUT\",route=\"/items/"
				     "{id}/echo/{sub}\",code=\"201\"}";
	static const char post_ok[] = "valet_http_requests_total{method=\"POST\",route=\"/items/"
				      "{id}/echo/{sub}\",code=\"201\"}";
	static const char failed[] =
		"valet_http_requests_total{method=\"GET\",route=\"/fail/{code}\",code=\"503\"}";
	static const char unmatched[] =
		"valet_http_requests_total{method=\"GET\",route=\"unmatched\",code=\"404\"}";
	static const char get_count[] =
		"valet_http_request_duration_seconds_count{method=\"GET\",route=\"/items/{id}\"}";
	static const char get_inf[] = "valet_http_request_duration_seconds_bucket{method=\"GET\","
				      "route=\"/items/{id}\",le=\"+Inf\"}";
	static const char head_count[] =
		"valet_http_request_duration_seconds_count{method=\"HEAD\",route=\"/items/{id}\"}";
	double before[] = { metric(get_ok),   metric(put_ok),	 metric(post_ok), metric(failed),
			    metric(unmatched), metric(get_count), metric(get_inf) };
	http_reply_t rep;

	(void)state;
	json_decref(request("GET", "/items/a", NULL, 200, &rep));
	http_reply_free(&rep);
	json_decref(request("GET", "/items/b?x=1", NULL, 200, &rep));
	http_reply_free(&rep);
	json_decref(request("PUT", "/items/1/echo/2", "{}", 201, &rep));
	http_reply_free(&rep);
	json_decref(request("GET", "/fail/5003", NULL, 503, &rep)); /* VLT_EBACKEND */
	http_reply_free(&rep);
	json_decref(request("GET", "/nowhere/at/all", NULL, 404, &rep));
	http_reply_free(&rep);

	assert_true(metric(get_ok) - before[0] == 2);
	assert_true(metric(put_ok) - before[1] == 1);
	assert_true(metric(post_ok) - before[2] == 0); /* same route, the other method */
	assert_true(metric(failed) - before[3] == 1);
	assert_true(metric(unmatched) - before[4] == 1);
	assert_true(metric(get_count) - before[5] == 2);
	assert_true(metric(get_inf) - before[6] == 2);
	/* declared series exist before any traffic: HEAD falls back on the GET route */
	vlt_prom_t p;
	vlt__prom_init(&p);
	vlt__http_write_metrics(server, &p);
	assert_non_null(strstr(p.text, head_count));
	assert_null(strstr(p.text, "/items/a")); /* never the raw path */
	vlt__prom_free(&p);
}

static int setup(void **state)
{
	vlt_err_t err = { 0 };
	(void)state;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	cfg.listen_host = "127.0.0.1";
	cfg.listen_port = 0;
	cfg.threads = 3;
	cfg.max_body_bytes = MAX_BODY;
	if (vlt__http_start(&server, &cfg, routes, sizeof(routes) / sizeof(routes[0]),
			    "the app", &err) != 0) {
		fprintf(stderr, "start: %s\n", err.msg);
		return -1;
	}
	if (vlt__http_port(server) == 0)
		return -1;
	snprintf(base, sizeof(base), "http://%s", vlt__http_bound(server));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vlt__http_stop(server);
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_param_and_query),
		cmocka_unit_test(test_http_json_body_params_and_location),
		cmocka_unit_test(test_http_bad_json_gives_400_with_position),
		cmocka_unit_test(test_http_raw_route_keeps_bytes),
		cmocka_unit_test(test_http_error_codes_map_to_statuses),
		cmocka_unit_test(test_http_options_head_405_404),
		cmocka_unit_test(test_http_body_limit),
		cmocka_unit_test(test_http_error_body_shape),
		cmocka_unit_test(test_http_port_in_use),
		cmocka_unit_test(test_http_metrics_by_route),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
