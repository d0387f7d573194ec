/*
 * http_head.h - the check of a request's line and headers that valetd
 * makes before libmicrohttpd sees a connection (http.c), so that a request
 * libmicrohttpd would refuse with its own HTML page, or not answer at
 * all, gets valet-api's JSON error body instead, and so that the bounds
 * of docs/security.md ("Limits") are refused naming the setting.
 *
 * Pure: no allocation, no I/O; the fuzz harness tests/fuzz/fuzz_http.c
 * calls it on arbitrary bytes.
 */
#ifndef VALET_CORE_HTTP_HEAD_H
#define VALET_CORE_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vlt_http_head_limits {
	size_t max_header; /* bytes of request line and headers: 431 past it */
	size_t max_url;    /* bytes of the request target: 414 past it */
	size_t max_query_args;
	size_t max_body; /* a declared Content-Length over it: 413 */
} vlt_http_head_limits_t;

/* What an accepted head says of the body that follows it. */
typedef struct vlt_http_head_info {
	size_t head_len;           /* bytes of request line and headers, the blank line included */
	bool has_length;           /* Content-Length given */
	unsigned long long length; /* its value */
	bool chunked;              /* Transfer-Encoding: chunked */
} vlt_http_head_info_t;

enum {
	VLT_HTTP_HEAD_INCOMPLETE = 0, /* nothing wrong so far; wait for more bytes */
	VLT_HTTP_HEAD_OK = 1,         /* the whole head arrived and is acceptable */
};

/*
 * vlt__http_head_check - look at the first n bytes a client sent.
 * IN  buf, n - borrowed; need not be NUL-terminated
 * OUT msg - on refusal, what is wrong and where (the error body's explanation)
 * OUT info - may be NULL; filled when the head is accepted
 * RET VLT_HTTP_HEAD_INCOMPLETE, VLT_HTTP_HEAD_OK, or the status to refuse
 *     with: 400 (not HTTP, a bad header, no Host in HTTP/1.1, too many
 *     query arguments), 413, 414, 431, 505.
 */
int vlt__http_head_check(const char *buf, size_t n, const vlt_http_head_limits_t *lim, char *msg,
			 size_t size, vlt_http_head_info_t *info);

/*
 * vlt__http_chunks_check - the framing of a chunked body, as far as its
 * first n bytes go (buf starts after the head): chunk sizes in hex (with
 * optional extensions) on their own lines, each chunk's data followed by
 * its line end.
 * RET 0 when nothing is wrong so far, or 400 with msg saying what and at
 *     which offset of the body.
 */
int vlt__http_chunks_check(const char *buf, size_t n, char *msg, size_t size);

#endif /* VALET_CORE_HTTP_HEAD_H */
