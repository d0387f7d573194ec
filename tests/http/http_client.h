/*
 * http_client.h - a small libcurl client for the HTTP tests: one request,
 * the status, the headers the tests look at, and the body.
 */
#ifndef VALET_TESTS_HTTP_CLIENT_H
#define VALET_TESTS_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct http_reply {
	long status;
	char content_type[128];
	char allow[128];
	char location[256];
	char *body; /* NUL-terminated, malloc'd; "" when empty */
	size_t body_len;
} http_reply_t;

typedef struct http_request {
	const char *method; /* "GET", ... */
	const char *url;
	const char *body;   /* may be NULL */
	size_t body_len;
	bool chunked;       /* send the body with Transfer-Encoding: chunked */
	const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
} http_request_t;

/* Perform req; RET 0 or -1 (transport failure, message on stderr). */
int http_do(const http_request_t *req, http_reply_t *rep);
/* GET url. */
int http_get(const char *url, http_reply_t *rep);
void http_reply_free(http_reply_t *rep);

#endif /* VALET_TESTS_HTTP_CLIENT_H */
