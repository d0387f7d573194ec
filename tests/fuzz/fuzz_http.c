#define _GNU_SOURCE /* strcasestr */
/*
 * fuzz_http.c - the HTTP request path on arbitrary bytes: the head check
 * (core/api/http_head.c) alone, then the same bytes sent over loopback to
 * a real server of core/api/http.c (its gate, libmicrohttpd, the routing
 * and a handler that parses the body). Whenever the head check refuses
 * the bytes, the server must answer with that very status and a JSON
 * error body; whatever the bytes, it must not crash, leak or hang.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <valet/core.h>

#include "http.h"
#include "http_head.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 4096

static vlt_http_t *server;
static uint16_t port;

static int echo(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	(void)err;
	vlt__http_resp_json(resp, 200, json_pack("{s:s, s:O?}", "path", req->path, "body",
						  req->json));
	return 0;
}

static const vlt_http_route_t routes[] = {
	{ VLT_HTTP_GET | VLT_HTTP_POST | VLT_HTTP_PUT, "/v1/things/{id*}", echo, 0 },
	{ VLT_HTTP_GET, "/v1", echo, 0 },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static vlt_config_t cfg;
	vlt_err_t err = { 0 };
	(void)argc;
	(void)argv;

	vlt__log_setup(VLT_LOG_ERR, false, "fuzz_http");
	cfg.listen_host = "127.0.0.1";
	cfg.threads = 2;
	cfg.max_body_bytes = MAX_BODY;
	cfg.max_client_connections = 4096; /* closes reach the count a little later */
	cfg.header_timeout_s = 5;
	if (vlt__http_start(&server, &cfg, routes, 2, NULL, &err) != 0) {
		fprintf(stderr, "fuzz_http: %s\n", err.msg);
		exit(1);
	}
	port = vlt__http_port(server);
	return 0;
}

/* Has the whole answer arrived: its head, and as many body bytes as it says? */
static bool answer_complete(const char *answer, size_t got)
{
	const char *end = strstr(answer, "\r\n\r\n");
	const char *cl = strcasestr(answer, "\r\nContent-Length:");

	if (end == NULL)
		return false;
	if (cl == NULL || cl > end)
		return true;
	return got - (size_t)(end + 4 - answer) >= strtoul(cl + 17, NULL, 10);
}

/* Send data, shut our side, read the answer (up to size bytes) until the server closes. */
static size_t exchange(const uint8_t *data, size_t n, char *answer, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		abort();
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (n > 0)
		(void)send(fd, data, n, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t r = recv(fd, answer + got, size - 1 - got, 0);
		if (r <= 0 || (got += (size_t)r) == size - 1)
			break;
		answer[got] = '\0';
		if (answer_complete(answer, got))
			break; /* a kept-alive connection stays open: do not wait for its end */
	}
	close(fd);
	answer[got] = '\0';
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const vlt_http_head_limits_t lim = { .max_header = VLT_DEFAULT_MAX_HEADER_BYTES,
					     .max_url = VLT_DEFAULT_MAX_URL_BYTES,
					     .max_query_args = VLT_DEFAULT_MAX_QUERY_ARGS,
					     .max_body = MAX_BODY };
	char msg[VLT_ERR_MSG_MAX];
	static char answer[65536];
	/* the gate peeks at most max_header + 1 bytes, and knows the client has shut its side */
	size_t seen = size < lim.max_header + 1 ? size : lim.max_header + 1;
	int v = vlt__http_head_check((const char *)data, seen, &lim, msg, sizeof(msg), NULL);

	if (size == 0)
		return 0; /* nothing sent: closed without an answer */
	if (v == VLT_HTTP_HEAD_INCOMPLETE)
		v = 400; /* the request ended before its headers did */
	exchange(data, size, answer, sizeof(answer));
	if (v >= 400) {
		char want[32];
		snprintf(want, sizeof(want), "HTTP/1.1 %d ", v);
		if (strncmp(answer, want, strlen(want)) != 0 ||
		    strstr(answer, "application/json") == NULL) {
			fprintf(stderr, "fuzz_http: the head check says %d (%s), the server: %.200s\n",
				v, msg, answer);
			abort();
		}
	}
	return 0;
}
