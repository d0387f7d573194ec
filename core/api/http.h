/*
 * http.h - valetd's HTTP server: libmicrohttpd with a pool of threads, a
 * route table, and upstream valet-api's JSON error bodies.
 *
 * A route is a set of methods, a path pattern and a handler. Patterns are
 * literal segments and "{name}" segments, each of which matches one
 * non-empty segment and is handed to the handler in req->params; a last
 * "{name*}" segment matches the rest of the path, slashes included (the
 * orchestration ids of expanded Heat templates hold '/', whether a client
 * sends them as '/' or "%2F", which libmicrohttpd decodes first). A
 * trailing slash is ignored ("/v1/plans/" is "/v1/plans"). Several routes
 * may share a pattern with different methods; together they form the
 * path's Allow header.
 *
 * What the server does by itself, so that handlers never have to:
 *  - OPTIONS on a known path: 204 with Allow;
 *  - HEAD on a path with a GET route and no HEAD route: the GET handler,
 *    without the body;
 *  - a known path with another method: 405 with Allow and an error body;
 *  - an unknown path: 404 with an error body;
 *  - a body over max_body_bytes: 413; a body that is not JSON where the
 *    route wants JSON: 400 naming line and column;
 *  - the connection and request limits of cfg (server.max_connections,
 *    max_client_connections, header_timeout_s, max_header_kb, max_url_kb,
 *    max_query_args; http_gate.h), each refused with the error body
 *    naming the setting, and every protocol error libmicrohttpd would
 *    answer with its own HTML that the gate can see first (http_head.h);
 *    a limit left 0 in cfg takes its default;
 *  - one INFO log line per request: method, path, status, milliseconds.
 *
 * Handlers run on the server's threads, several at once.
 */
#ifndef VALET_CORE_HTTP_H
#define VALET_CORE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <valet/errors.h>

#include "config.h"
#include "prom.h"
#include "http_status.h"

/* Method bits of a route. */
enum {
	VLT_HTTP_GET = 1u << 0,
	VLT_HTTP_HEAD = 1u << 1,
	VLT_HTTP_POST = 1u << 2,
	VLT_HTTP_PUT = 1u << 3,
	VLT_HTTP_DELETE = 1u << 4,
	VLT_HTTP_PATCH = 1u << 5,
};

/* Route flags. */
enum {
	/* Hand the body over as bytes only; do not parse it as JSON. */
	VLT_HTTP_F_RAW_BODY = 1u << 0,
};

/* Most "{name}" segments one pattern may hold. */
#define VLT_HTTP_MAX_PARAMS 4

struct MHD_Connection;

/* One request as a handler sees it; everything borrowed for the call. */
typedef struct vlt_http_req {
	const char *method; /* "GET", ... */
	const char *path;   /* decoded, without the query string */
	const char *pattern; /* the route's; see vlt__http_req_param */
	/* the values of the pattern's "{name}" segments, in order */
	const char *params[VLT_HTTP_MAX_PARAMS];
	size_t n_params;
	const char *body; /* NUL-terminated; "" when there is none */
	size_t body_len;
	json_t *json;     /* the parsed body; NULL when empty or raw */
	void *app;        /* as given to vlt__http_start */
	const char *bound; /* "host:port" the server listens on */
	struct MHD_Connection *conn;
	const struct vlt_http *server; /* the server answering */
	bool tls; /* the listener speaks TLS */
} vlt_http_req_t;

/* What a handler answers. Starts as 200 with no body. */
typedef struct vlt_http_resp {
	int status;
	json_t *json;       /* owned; sent as application/json */
	char *text;         /* owned (malloc); sent when json is NULL */
	size_t text_len;    /* bytes of text to send; 0: strlen(text) (binary files set it) */
	const char *content_type; /* for text; static storage */
	char *location;     /* owned (malloc); a Location header when set */
} vlt_http_resp_t;

/*
 * A handler answers 0 after filling resp, or a negative VLT_E* code with
 * err->msg saying what is wrong (the error body's "explanation"); the
 * server then maps the code to a status (vlt__http_status_of) and builds
 * the error body itself. On failure resp is discarded.
 */
typedef int (*vlt_http_handler_t)(const vlt_http_req_t *req, vlt_http_resp_t *resp,
				  vlt_err_t *err);

typedef struct vlt_http_route {
	unsigned methods;   /* VLT_HTTP_* bits */
	const char *pattern; /* "/v1/plans/{id}" */
	vlt_http_handler_t handler;
	unsigned flags;     /* VLT_HTTP_F_* */
} vlt_http_route_t;

typedef struct vlt_http vlt_http_t;

/*
 * vlt__http_start - listen on cfg's listen_host:listen_port (port 0: any
 * free port) and serve routes with cfg->threads threads.
 * IN  cfg, routes, app - borrowed until vlt__http_stop
 * OUT h - the running server, owned by the caller (vlt__http_stop)
 * RET 0; VLT_EINVAL for an address that does not resolve; VLT_EIO when
 *     the socket cannot be bound (err says why, e.g. address in use);
 *     VLT_ENOMEM.
 */
int vlt__http_start(vlt_http_t **h, const vlt_config_t *cfg, const vlt_http_route_t *routes,
		    size_t n_routes, void *app, vlt_err_t *err);
/* Stop serving, wait for the threads, free h. NULL is a no-op. */
void vlt__http_stop(vlt_http_t *h);
/* The port really bound (useful when the configured one is 0). */
uint16_t vlt__http_port(const vlt_http_t *h);
/* "host:port" really bound, IPv6 hosts in brackets; borrowed from h. */
const char *vlt__http_bound(const vlt_http_t *h);
/* What the server counted (requests and latency per route), for GET /metrics. */
void vlt__http_write_metrics(const vlt_http_t *h, vlt_prom_t *p);

/* ---- for handlers */

/* A request header (case-insensitive name) or NULL; borrowed. */
const char *vlt__http_req_header(const vlt_http_req_t *req, const char *name);
/* The first query argument called key or NULL ("" for "?key"); borrowed. */
const char *vlt__http_req_query(const vlt_http_req_t *req, const char *key);
/*
 * Call fn on every query argument in order (value may be NULL for
 * "?key"). fn returns false to stop. RET the number of calls made.
 */
size_t vlt__http_req_query_each(const vlt_http_req_t *req,
				bool (*fn)(void *cls, const char *key, const char *value),
				void *cls);
/* The value of the pattern's "{name}" segment or NULL; borrowed. */
const char *vlt__http_req_param(const vlt_http_req_t *req, const char *name);
/*
 * "http://<Host header>" ("https://" under TLS), falling back to the
 * bound address.
 * Writes into buf; RET buf.
 */
const char *vlt__http_req_app_url(const vlt_http_req_t *req, char *buf, size_t size);

/* Set status and JSON body; takes the reference to json even on failure. */
void vlt__http_resp_json(vlt_http_resp_t *resp, int status, json_t *json);

#endif /* VALET_CORE_HTTP_H */
