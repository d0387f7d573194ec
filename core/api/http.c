/*
 * http.c - valetd's HTTP server on libmicrohttpd (see http.h).
 *
 * The listening socket is made here rather than by libmicrohttpd, so that
 * a port in use or an address that does not exist is reported with the
 * system's own reason. libmicrohttpd then runs a pool of cfg->threads
 * threads, each polling the shared socket; handlers run on those threads.
 *
 * The socket is not libmicrohttpd's, though: http_gate.c accepts on it,
 * holds each connection until its request line and headers have arrived
 * and passed the checks libmicrohttpd would answer with HTML of its own
 * (http_head.c), within server.header_timeout_s and the connection bounds,
 * and only then hands it over (MHD_add_connection).
 *
 * A request goes through the access handler several times: first with
 * only its headers (a Content-Length over the limit is refused there, so
 * a client waiting on "Expect: 100-continue" never sends the body), then
 * once per chunk of body, then once more to answer. The checks the gate
 * makes on a connection's first request are made here again for the next
 * ones of a kept-alive connection, as far as libmicrohttpd lets a handler.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include <valet/core.h>
#include <valet/errors.h>

#include "http.h"
#include "http_gate.h"
#include "http_stats.h"
#include "http_tls.h"
#include "log.h"

/* Room for the request headers and libmicrohttpd's read buffer. */
#define HTTP_CONN_MEMORY (64 * 1024)
#define HTTP_BACKLOG 128
#define HTTP_LIMIT_SLACK 64
/* Deeper paths than this match no route (a template's ids have a segment per level). */
#define HTTP_MAX_SEGMENTS 64
#define HTTP_BOUND_MAX 300

struct vlt_http {
	struct MHD_Daemon *mhd;
	const vlt_http_route_t *routes;
	size_t n_routes;
	void *app;
	size_t max_body;
	size_t max_query_args;
	unsigned request_timeout_s;
	bool keep_alive;
	vlt_http_gate_t *gate;
	vlt_http_stats_t *stats; /* owned */
	uint16_t port;
	char bound[HTTP_BOUND_MAX];
	vlt_http_tls_t tls; /* zeroed: plain HTTP */
};

/* One request's state between the access handler's calls. */
struct req_state {
	struct timespec start;
	char *method;
	char *url;
	char *body; /* NUL-terminated */
	size_t len;
	size_t cap;
	uint64_t declared; /* Content-Length, when given */
	bool too_big;
	bool answered;
	bool close; /* answer with "Connection: close" (server.keep_alive false) */
	int status; /* what was sent, for the log line */
	int route;  /* the index of the route that answered, -1 for none */
	vlt_http_stats_t *stats; /* the server's, borrowed: counts the answer */
};

/* ---- sending */

static const char *const method_names[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH" };
#define N_METHODS (sizeof(method_names) / sizeof(method_names[0]))

static unsigned method_bit(const char *method)
{
	for (size_t i = 0; i < N_METHODS; i++) {
		if (strcmp(method, method_names[i]) == 0)
			return 1u << i;
	}
	return 0;
}

/* "GET, HEAD, OPTIONS" for the Allow header. */
static void allow_string(unsigned methods, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_METHODS; i++) {
		if ((methods & (1u << i)) == 0)
			continue;
		int n = snprintf(buf + off, size - off, "%s, ", method_names[i]);
		if (n < 0 || (size_t)n >= size - off)
			return;
		off += (size_t)n;
	}
	snprintf(buf + off, size - off, "OPTIONS");
}

static double elapsed_ms(const struct req_state *st)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - st->start.tv_sec) * 1e3 +
	       (double)(now.tv_nsec - st->start.tv_nsec) / 1e6;
}

/*
 * Queue one response. body (may be NULL) is copied; content_type and
 * allow may be NULL.
 */
static enum MHD_Result send_bytes(struct MHD_Connection *conn, struct req_state *st, int status,
				  const char *content_type, const char *body, size_t len,
				  const char *allow, const char *location)
{
	struct MHD_Response *r;

	if (body != NULL && len > 0)
		r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	else
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (content_type != NULL && status != 204)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (location != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	if (st->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");

	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
	MHD_destroy_response(r);
	st->answered = true;
	st->status = status;
	/* counted now, before the client can read the answer and scrape */
	vlt__http_stats_note(st->stats, st->route, st->method, status, elapsed_ms(st) / 1e3);
	return ret;
}

/* Takes the reference to json (may be NULL: no body). */
static enum MHD_Result send_json(struct MHD_Connection *conn, struct req_state *st, int status,
				 json_t *json, const char *allow, const char *location)
{
	/* Shown when even the error body cannot be built. */
	static const char oom_body[] =
		"{\"title\": \"Internal Server Error\", \"explanation\": \"out of memory\", "
		"\"code\": 500, \"error\": {\"message\": \"out of memory\", \"traceback\": null, "
		"\"type\": \"HTTPInternalServerError\"}}";

	if (json == NULL || status == 204)
		goto no_body;

	char *text = json_dumps(json, JSON_ENCODE_ANY);
	json_decref(json);
	if (text == NULL)
		return send_bytes(conn, st, 500, "application/json", oom_body,
				  sizeof(oom_body) - 1, NULL, NULL);
	enum MHD_Result ret = send_bytes(conn, st, status, "application/json", text,
					 strlen(text), allow, location);
	free(text);
	return ret;

no_body:
	json_decref(json);
	return send_bytes(conn, st, status, NULL, NULL, 0, allow, location);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct req_state *st, int status,
				  const char *explanation, const char *allow)
{
	json_t *body = vlt__http_error_body(status, explanation);

	if (body == NULL)
		status = 500;
	return send_json(conn, st, status, body, allow, NULL);
}

/* ---- routing */

/* Split a decoded path in place; trailing slashes do not count. */
static size_t split_path(char *path, char **segs, size_t max, bool *too_deep)
{
	size_t n = 0;
	size_t len = strlen(path);

	*too_deep = false;
	while (len > 0 && path[len - 1] == '/')
		path[--len] = '\0';
	char *p = path[0] == '/' ? path + 1 : path;
	if (*p == '\0')
		return 0;
	for (;;) {
		if (n == max) {
			*too_deep = true;
			return n;
		}
		segs[n++] = p;
		char *slash = strchr(p, '/');
		if (slash == NULL)
			return n;
		*slash = '\0';
		p = slash + 1;
	}
}

/*
 * Does pattern match the n segments? Captures "{name}" segments into
 * params (room for VLT_HTTP_MAX_PARAMS) when params is not NULL.
 */
static bool route_matches(const char *pattern, char *const *segs, size_t n, const char **params,
			  size_t *n_params)
{
	const char *p = pattern[0] == '/' ? pattern + 1 : pattern;
	size_t i = 0;
	size_t np = 0;

	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (i == n)
			return false;
		if (end == NULL && len >= 3 && p[0] == '{' && p[len - 2] == '*' &&
		    p[len - 1] == '}') {
			if (np == VLT_HTTP_MAX_PARAMS)
				return false;
			if (params != NULL)
				params[np] = segs[i]; /* the rest: rejoin_rest puts its slashes back */
			np++;
			i = n;
			break;
		}
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
			if (segs[i][0] == '\0' || np == VLT_HTTP_MAX_PARAMS)
				return false;
			if (params != NULL)
				params[np] = segs[i];
			np++;
		} else if (strlen(segs[i]) != len || strncmp(segs[i], p, len) != 0) {
			return false;
		}
		i++;
		p += len;
		if (*p == '/')
			p++;
	}
	if (i != n)
		return false;
	if (n_params != NULL)
		*n_params = np;
	return true;
}

/* The route answering (path, method) and every method the path allows. */
struct route_match {
	const vlt_http_route_t *route;
	const char *params[VLT_HTTP_MAX_PARAMS];
	size_t n_params;
	unsigned allowed;
};

/*
 * A route ending in "{name*}" takes the rest of the path: put back the
 * slashes split_path cut after its first segment (segs share one buffer).
 */
static void rejoin_rest(const struct route_match *m, char *const *segs, size_t n)
{
	size_t plen = m->route != NULL ? strlen(m->route->pattern) : 0;

	if (plen < 2 || strcmp(m->route->pattern + plen - 2, "*}") != 0 || m->n_params == 0)
		return;
	for (size_t k = 0; k + 1 < n; k++)
		if (segs[k] >= m->params[m->n_params - 1])
			segs[k][strlen(segs[k])] = '/';
}

static void find_route(const vlt_http_t *h, char *const *segs, size_t n, unsigned want,
		       struct route_match *m)
{
	const vlt_http_route_t *get_route = NULL;
	const char *get_params[VLT_HTTP_MAX_PARAMS];
	size_t get_n = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < h->n_routes; i++) {
		const vlt_http_route_t *r = &h->routes[i];
		const char *params[VLT_HTTP_MAX_PARAMS];
		size_t np = 0;

		if (!route_matches(r->pattern, segs, n, params, &np))
			continue;
		m->allowed |= r->methods;
		if (m->route == NULL && (r->methods & want) != 0) {
			m->route = r;
			memcpy(m->params, params, sizeof(params));
			m->n_params = np;
		}
		if (get_route == NULL && (r->methods & VLT_HTTP_GET) != 0) {
			get_route = r;
			memcpy(get_params, params, sizeof(params));
			get_n = np;
		}
	}
	/* HEAD falls back on GET: libmicrohttpd drops the body of a HEAD answer. */
	if ((m->allowed & VLT_HTTP_GET) != 0)
		m->allowed |= VLT_HTTP_HEAD;
	if (m->route == NULL && want == VLT_HTTP_HEAD && get_route != NULL) {
		m->route = get_route;
		memcpy(m->params, get_params, sizeof(get_params));
		m->n_params = get_n;
	}
}

/* A body of only whitespace counts as none. */
static bool body_is_empty(const char *body, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n')
			return false;
	}
	return true;
}

static enum MHD_Result call_handler(vlt_http_t *h, struct MHD_Connection *conn,
				    struct req_state *st, const struct route_match *m)
{
	vlt_http_req_t req = {
		.method = st->method,
		.path = st->url,
		.n_params = m->n_params,
		.body = st->body != NULL ? st->body : "",
		.body_len = st->len,
		.app = h->app,
		.bound = h->bound,
		.pattern = m->route->pattern,
		.conn = conn,
		.server = h,
		.tls = vlt__http_tls_on(&h->tls),
	};
	memcpy(req.params, m->params, sizeof(req.params));

	if ((m->route->flags & VLT_HTTP_F_RAW_BODY) == 0 && !body_is_empty(req.body, req.body_len)) {
		json_error_t jerr;
		req.json = json_loadb(req.body, req.body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
				      &jerr);
		if (req.json == NULL) {
			char msg[VLT_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "request body is not valid JSON: line %d column %d: %s",
				 jerr.line, jerr.column, jerr.text);
			return send_error(conn, st, 400, msg, NULL);
		}
	}

	vlt_http_resp_t resp = { .status = 200 };
	vlt_err_t err = { 0 };
	int rc = m->route->handler(&req, &resp, &err);
	enum MHD_Result ret;

	json_decref(req.json);
	if (rc < 0) {
		int status = vlt__http_status_of(rc);
		const char *why = err.msg[0] != '\0' ? err.msg : vlt_strerror(rc);

		if (status >= 500)
			vlt__log(NULL, VLT_LOG_ERR, "%s %s: %s", st->method, st->url, why);
		ret = send_error(conn, st, status, why, NULL);
		json_decref(resp.json);
	} else if (resp.json != NULL) {
		ret = send_json(conn, st, resp.status, resp.json, NULL, resp.location);
	} else {
		const char *ctype = resp.content_type != NULL ? resp.content_type : "text/plain";

		size_t len = resp.text_len != 0 ? resp.text_len
				 : resp.text != NULL ? strlen(resp.text) : 0;

		ret = send_bytes(conn, st, resp.status, resp.text != NULL ? ctype : NULL, resp.text,
				 len, NULL, resp.location);
	}
	free(resp.text);
	free(resp.location);
	return ret;
}

/* Route the complete request and answer it. */
static enum MHD_Result dispatch(vlt_http_t *h, struct MHD_Connection *conn, struct req_state *st)
{
	char *path = strdup(st->url);
	char *segs[HTTP_MAX_SEGMENTS];
	char msg[VLT_ERR_MSG_MAX];
	char allow[96];
	struct route_match m;
	bool too_deep;
	enum MHD_Result ret;

	if (path == NULL)
		return send_error(conn, st, 500, "out of memory", NULL);
	size_t n = split_path(path, segs, HTTP_MAX_SEGMENTS, &too_deep);
	bool options = strcmp(st->method, "OPTIONS") == 0;

	if (too_deep)
		memset(&m, 0, sizeof(m));
	else
		find_route(h, segs, n, method_bit(st->method), &m);
	rejoin_rest(&m, segs, n);
	allow_string(m.allowed, allow, sizeof(allow));

	if (m.allowed == 0) {
		snprintf(msg, sizeof(msg), "no resource at %s", st->url);
		ret = send_error(conn, st, 404, msg, NULL);
	} else if (options) {
		ret = send_bytes(conn, st, 204, NULL, NULL, 0, allow, NULL);
	} else if (m.route == NULL) {
		snprintf(msg, sizeof(msg), "method %s is not allowed on %s; allowed: %s",
			 st->method, st->url, allow);
		ret = send_error(conn, st, 405, msg, allow);
	} else {
		st->route = (int)(m.route - h->routes);
		ret = call_handler(h, conn, st, &m);
	}
	free(path);
	return ret;
}

/* ---- libmicrohttpd callbacks */

static void free_state(struct req_state *st)
{
	if (st == NULL)
		return;
	free(st->method);
	free(st->url);
	free(st->body);
	free(st);
}

/* Keep up to max bytes of body; past that only remember it was too big. */
static int append_body(struct req_state *st, const char *data, size_t n, size_t max)
{
	if (st->too_big)
		return 0;
	if (n > max - st->len) {
		st->too_big = true;
		free(st->body);
		st->body = NULL;
		st->len = 0;
		st->cap = 0;
		return 0;
	}
	if (st->len + n + 1 > st->cap) {
		size_t cap = st->cap != 0 ? st->cap : 4096;
		while (cap < st->len + n + 1)
			cap *= 2;
		char *p = realloc(st->body, cap);
		if (p == NULL)
			return VLT_ENOMEM;
		st->body = p;
		st->cap = cap;
	}
	memcpy(st->body + st->len, data, n);
	st->len += n;
	st->body[st->len] = '\0';
	return 0;
}

static enum MHD_Result send_too_big(struct MHD_Connection *conn, struct req_state *st,
				    size_t max)
{
	char msg[VLT_ERR_MSG_MAX];

	if (st->declared > 0)
		snprintf(msg, sizeof(msg),
			 "request body of %llu bytes is over the limit of %zu bytes "
			 "(server.max_body_kb)",
			 (unsigned long long)st->declared, max);
	else
		snprintf(msg, sizeof(msg),
			 "request body is over the limit of %zu bytes (server.max_body_kb)", max);
	return send_error(conn, st, 413, msg, NULL);
}

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	(void)kind;
	(void)key;
	(void)value;
	++*(size_t *)cls;
	return MHD_YES;
}

/*
 * What the gate checks of a connection's first request (http_head.c),
 * for the next ones of a kept-alive connection, which libmicrohttpd has
 * parsed: Host in HTTP/1.1, the number of query arguments. RET the status
 * to refuse with (msg says why), or 0.
 */
static int check_next_request(const vlt_http_t *h, struct MHD_Connection *conn,
			      const char *version, char *msg, size_t size)
{
	size_t args = 0;

	if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST) == NULL) {
		snprintf(msg, size, "an HTTP/1.1 request must have a Host header");
		return 400;
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, count_arg, &args);
	if (args > h->max_query_args) {
		snprintf(msg, size,
			 "the request has %zu query arguments; at most %zu are accepted "
			 "(server.max_query_args)",
			 args, h->max_query_args);
		return 400;
	}
	return 0;
}

/* First call, headers only: set up the state, refuse a declared oversize body. */
static enum MHD_Result begin_request(vlt_http_t *h, struct MHD_Connection *conn, const char *url,
				     const char *method, const char *version, void **con_cls)
{
	char msg[VLT_ERR_MSG_MAX];

	struct req_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return MHD_NO;
	clock_gettime(CLOCK_MONOTONIC, &st->start);
	st->method = strdup(method);
	st->url = strdup(url);
	st->close = !h->keep_alive;
	st->route = -1;
	st->stats = h->stats;
	*con_cls = st;
	if (st->method == NULL || st->url == NULL)
		return MHD_NO;
	if (!vlt__http_tls_client_ok(&h->tls, conn))
		return send_error(conn, st, 403,
				  "a client certificate signed by server.tls_client_ca is required",
				  NULL);
	int refused = check_next_request(h, conn, version, msg, sizeof(msg));
	if (refused != 0) {
		st->too_big = true; /* its body, if any, is not wanted either */
		return send_error(conn, st, refused, msg, NULL);
	}

	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(cl, &end, 10);
		if (errno == 0 && end != cl)
			st->declared = v;
		if (errno == ERANGE || st->declared > h->max_body) {
			st->too_big = true;
			return send_too_big(conn, st, h->max_body);
		}
	}
	return MHD_YES;
}

/*
 * A body that trickles in keeps the connection from libmicrohttpd's idle
 * timeout; server.request_timeout_s bounds the whole request.
 */
static bool past_deadline(const vlt_http_t *h, const struct req_state *st)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - st->start.tv_sec < (time_t)h->request_timeout_s)
		return false;
	vlt__log(NULL, VLT_LOG_INFO,
		 "%s %s: closed: the body did not arrive within %u s (server.request_timeout_s)",
		 st->method, st->url, h->request_timeout_s);
	return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	vlt_http_t *h = cls;
	struct req_state *st = *con_cls;

	if (st == NULL)
		return begin_request(h, conn, url, method, version, con_cls);
	if (*upload_data_size != 0) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (st->answered)
			return MHD_YES;
		if (past_deadline(h, st))
			return MHD_NO; /* libmicrohttpd cannot answer mid-body: close */
		return append_body(st, upload_data, n, h->max_body) == 0 ? MHD_YES : MHD_NO;
	}
	if (st->answered)
		return MHD_YES;
	if (st->too_big)
		return send_too_big(conn, st, h->max_body);
	return dispatch(h, conn, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req_state *st = *con_cls;

	(void)cls;
	(void)conn;
	if (st == NULL)
		return;
	double ms = elapsed_ms(st);
	if (st->answered)
		vlt__log(NULL, VLT_LOG_INFO, "%s %s %d %.2f ms", st->method ? st->method : "-",
			 st->url ? st->url : "-", st->status, ms);
	else
		vlt__log(NULL, VLT_LOG_INFO, "%s %s - %.2f ms (not answered: %s)",
			 st->method ? st->method : "-", st->url ? st->url : "-", ms,
			 toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timed out" : "closed");
	free_state(st);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	vlt_http_t *h = cls;
	(void)socket_context;

	if (code != MHD_CONNECTION_NOTIFY_CLOSED)
		return;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	vlt__http_gate_closed(h->gate, ci != NULL ? ci->client_addr : NULL);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
							      va_list ap)
{
	(void)cls;
	vlt__logv("http", VLT_LOG_WARNING, fmt, ap);
}

/* ---- the listening socket */

/* "host:port" of a bound socket, IPv6 in brackets. */
static void format_bound(const struct sockaddr_storage *ss, char *buf, size_t size,
			 uint16_t *port)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		*port = ntohs(a->sin6_port);
		snprintf(buf, size, "[%s]:%u", host, (unsigned)*port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		*port = ntohs(a->sin_port);
		snprintf(buf, size, "%s:%u", host, (unsigned)*port);
	}
}

static int bind_one(const struct addrinfo *ai, int *fd_out)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	int one = 1;

	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, HTTP_BACKLOG) != 0) {
		int e = errno;
		close(fd);
		return e;
	}
	*fd_out = fd;
	return 0;
}

/* Bind host:port; the first address that works wins. */
static int open_listener(const char *host, uint16_t port, int *fd, int *family,
			 vlt_err_t *err)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL;
	char service[8];
	int e = 0;

	snprintf(service, sizeof(service), "%u", (unsigned)port);
	int gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0)
		return vlt_err_set(err, VLT_EINVAL, "cannot listen on %s:%u: %s", host,
				   (unsigned)port, gai_strerror(gai));
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		e = bind_one(ai, fd);
		if (e == 0) {
			*family = ai->ai_family;
			break;
		}
	}
	freeaddrinfo(res);
	if (e != 0)
		return vlt_err_set(err, VLT_EIO, "cannot listen on %s:%u: %s", host,
				   (unsigned)port, strerror(e));
	return 0;
}

/* ---- the server */

/* A limit the caller left 0 takes its default. */
static unsigned or_default(unsigned v, unsigned dflt)
{
	return v != 0 ? v : dflt;
}

static void gate_opts(const vlt_config_t *cfg, vlt_http_gate_opts_t *o)
{
	o->head.max_header = or_default((unsigned)cfg->max_header_bytes,
					VLT_DEFAULT_MAX_HEADER_BYTES);
	o->head.max_url = or_default((unsigned)cfg->max_url_bytes, VLT_DEFAULT_MAX_URL_BYTES);
	o->head.max_query_args = or_default(cfg->max_query_args, VLT_DEFAULT_MAX_QUERY_ARGS);
	o->head.max_body = cfg->max_body_bytes;
	o->max_connections = or_default(cfg->max_connections, VLT_DEFAULT_MAX_CONNECTIONS);
	o->max_client_connections = or_default(cfg->max_client_connections,
					       VLT_DEFAULT_MAX_CLIENT_CONNECTIONS);
	o->header_timeout_s = or_default(cfg->header_timeout_s, VLT_DEFAULT_HEADER_TIMEOUT_S);
}

/* libmicrohttpd with no socket of its own: the gate hands it connections. */
static struct MHD_Daemon *start_mhd(vlt_http_t *h, const vlt_config_t *cfg,
				    const vlt_http_gate_opts_t *g)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
			 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	/* A pool of one is the polling thread alone. */
	unsigned pool = cfg->threads > 1 ? cfg->threads : 0;
	unsigned idle = or_default(cfg->idle_timeout_s, VLT_DEFAULT_IDLE_TIMEOUT_S);
	struct MHD_OptionItem tls_opts[VLT_HTTP_TLS_OPTIONS];

	vlt__http_tls_options(&h->tls, tls_opts);
	if (vlt__http_tls_on(&h->tls))
		flags |= MHD_USE_TLS;

	/* The logger first, so that complaints about later options reach it too. */
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				MHD_OPTION_THREAD_POOL_SIZE, pool,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
				MHD_OPTION_CONNECTION_TIMEOUT, idle,
				/*
				 * The gate counts (per client too); libmicrohttpd's own
				 * default (about 1,000) must not refuse first. The slack
				 * covers closes it has made and not yet counted.
				 */
				MHD_OPTION_CONNECTION_LIMIT, g->max_connections + HTTP_LIMIT_SLACK,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_ARRAY, tls_opts,
				MHD_OPTION_END);
}

static void http_free(vlt_http_t *h)
{
	vlt__http_gate_stop(h->gate);
	if (h->mhd != NULL)
		MHD_stop_daemon(h->mhd);
	vlt__http_gate_free(h->gate);
	vlt__http_stats_free(h->stats);
	vlt__http_tls_free(&h->tls);
	free(h);
}

int vlt__http_start(vlt_http_t **out, const vlt_config_t *cfg, const vlt_http_route_t *routes,
		    size_t n_routes, void *app, vlt_err_t *err)
{
	const char *host = cfg->listen_host != NULL ? cfg->listen_host : "127.0.0.1";
	vlt_http_t *h = calloc(1, sizeof(*h));
	vlt_http_gate_opts_t go;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int fd = -1;
	int family = AF_INET;

	*out = NULL;
	if (h == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	h->routes = routes;
	h->n_routes = n_routes;
	h->app = app;
	h->max_body = cfg->max_body_bytes;
	gate_opts(cfg, &go);
	h->max_query_args = go.head.max_query_args;
	h->keep_alive = cfg->keep_alive;
	h->request_timeout_s = or_default(cfg->request_timeout_s, VLT_DEFAULT_REQUEST_TIMEOUT_S);
	h->stats = vlt__http_stats_new(routes, n_routes);
	if (h->stats == NULL) {
		free(h);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}

	int rc = vlt__http_tls_load(&h->tls, cfg, err);
	go.tls = vlt__http_tls_on(&h->tls);
	if (rc == 0)
		rc = vlt__http_gate_new(&h->gate, &go, err);
	if (rc == 0)
		rc = open_listener(host, cfg->listen_port, &fd, &family, err);
	if (rc < 0) {
		http_free(h);
		return rc;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
		rc = vlt_err_set(err, VLT_EIO, "cannot listen on %s:%u: %s", host,
				 (unsigned)cfg->listen_port, strerror(errno));
		close(fd);
		http_free(h);
		return rc;
	}
	format_bound(&ss, h->bound, sizeof(h->bound), &h->port);
	h->mhd = start_mhd(h, cfg, &go);
	if (h->mhd == NULL) {
		bool tls = vlt__http_tls_on(&h->tls);
		close(fd);
		http_free(h);
		return vlt_err_set(err, VLT_EIO, "cannot start the HTTP server on %s:%u%s",
				   host, (unsigned)cfg->listen_port,
				   tls ? " (is server.tls_cert a PEM certificate and server.tls_key "
					 "its key?)"
				       : "");
	}
	rc = vlt__http_gate_run(h->gate, fd, h->mhd, err); /* the gate owns fd now */
	if (rc < 0) {
		http_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void vlt__http_stop(vlt_http_t *h)
{
	if (h != NULL)
		http_free(h);
}

uint16_t vlt__http_port(const vlt_http_t *h)
{
	return h->port;
}

const char *vlt__http_bound(const vlt_http_t *h)
{
	return h->bound;
}

void vlt__http_write_metrics(const vlt_http_t *h, vlt_prom_t *p)
{
	vlt__http_stats_write(h != NULL ? h->stats : NULL, p);
}

/* ---- for handlers */

const char *vlt__http_req_header(const vlt_http_req_t *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *vlt__http_req_query(const vlt_http_req_t *req, const char *key)
{
	const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);

	if (v == NULL && MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, key,
						       strlen(key), NULL, NULL) == MHD_YES)
		return "";
	return v;
}

struct query_iter {
	bool (*fn)(void *cls, const char *key, const char *value);
	void *cls;
};

static enum MHD_Result query_step(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct query_iter *it = cls;

	(void)kind;
	return it->fn(it->cls, key, value) ? MHD_YES : MHD_NO;
}

size_t vlt__http_req_query_each(const vlt_http_req_t *req,
				bool (*fn)(void *cls, const char *key, const char *value),
				void *cls)
{
	struct query_iter it = { fn, cls };
	int n = MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_step, &it);

	return n > 0 ? (size_t)n : 0;
}

const char *vlt__http_req_param(const vlt_http_req_t *req, const char *name)
{
	const char *p = req->pattern;
	size_t idx = 0;
	size_t nlen = strlen(name);

	while (p != NULL && (p = strchr(p, '{')) != NULL) {
		const char *end = strchr(p, '}');
		if (end == NULL)
			return NULL;
		size_t plen = (size_t)(end - p - 1) - (end[-1] == '*'); /* "{name*}" too */
		if (plen == nlen && strncmp(p + 1, name, nlen) == 0)
			return idx < req->n_params ? req->params[idx] : NULL;
		idx++;
		p = end + 1;
	}
	return NULL;
}

const char *vlt__http_req_app_url(const vlt_http_req_t *req, char *buf, size_t size)
{
	const char *host = vlt__http_req_header(req, MHD_HTTP_HEADER_HOST);

	if (host == NULL || host[0] == '\0')
		host = req->bound;
	snprintf(buf, size, "%s://%s", req->tls ? "https" : "http", host);
	return buf;
}

void vlt__http_resp_json(vlt_http_resp_t *resp, int status, json_t *json)
{
	json_decref(resp->json);
	resp->status = status;
	resp->json = json;
}
