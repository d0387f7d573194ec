/*
 * http_head.c - the check of a request's line and headers (see http_head.h).
 *
 * It reads the head as it arrives, so that a client sending bytes that can
 * never become HTTP is refused at once rather than when its head ends (or
 * never). It checks what libmicrohttpd would refuse with a page of its own
 * and what valet-api bounds; everything else is left to libmicrohttpd.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http_head.h"

/* Returned by the line checks: the line is fine (or not complete yet, but fine so far). */
#define LINE_OK 0
#define LINE_INCOMPLETE (-1)
/* Longest method accepted; the longest valet-api knows is "OPTIONS". */
#define METHOD_MAX 16

struct head {
	const char *buf;
	size_t n;
	const vlt_http_head_limits_t *lim;
	char *msg;
	size_t size;
	bool http11;
	bool host;
	bool chunked;
	bool has_length;
	unsigned long long length;
};

__attribute__((format(printf, 3, 4))) static int refuse(struct head *h, int status,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->msg, h->size, fmt, ap);
	va_end(ap);
	return status;
}

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Index of the '\n' ending the line that starts at from, or h->n when it has not arrived. */
static size_t line_end(const struct head *h, size_t from)
{
	const char *nl = memchr(h->buf + from, '\n', h->n - from);

	return nl != NULL ? (size_t)(nl - h->buf) : h->n;
}

/* The line [from, end) without its '\r'. */
static size_t trim_cr(const struct head *h, size_t from, size_t end)
{
	return end > from && h->buf[end - 1] == '\r' ? end - 1 : end;
}

static int check_query(struct head *h, size_t from, size_t end)
{
	const char *q = memchr(h->buf + from, '?', end - from);
	size_t args = 0;

	if (q == NULL)
		return LINE_OK;
	for (size_t i = (size_t)(q - h->buf) + 1; i < end; i++) {
		bool starts = h->buf[i] != '&' && (h->buf[i - 1] == '&' || h->buf[i - 1] == '?');
		args += starts;
	}
	if (args > h->lim->max_query_args)
		return refuse(h, 400,
			      "the request has %zu query arguments; at most %zu are accepted "
			      "(server.max_query_args)",
			      args, h->lim->max_query_args);
	return LINE_OK;
}

/* "HTTP/1.1" (so far, when the line is not complete). */
static int check_version(struct head *h, size_t from, size_t end, bool complete)
{
	static const char prefix[] = "HTTP/";
	const char *v = h->buf + from;
	size_t len = end - from;
	size_t cmp = len < 5 ? len : 5;

	if (memcmp(v, prefix, cmp) != 0 || (!complete && len > 8))
		return refuse(h, 400, "request line: the version at offset %zu is not HTTP/x.y",
			      from);
	if (!complete)
		return LINE_INCOMPLETE;
	if (len != 8 || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return refuse(h, 400, "request line: the version at offset %zu is not HTTP/x.y",
			      from);
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return refuse(h, 505, "HTTP/%c.%c is not supported (HTTP/1.0 and HTTP/1.1 are)",
			      v[5], v[7]);
	h->http11 = v[7] == '1';
	return LINE_OK;
}

/* METHOD SP TARGET SP VERSION, checked as far as it has arrived. */
static int check_request_line(struct head *h, size_t from, size_t end, bool complete)
{
	const unsigned char *b = (const unsigned char *)h->buf;
	size_t i = from;

	while (i < end && i - from <= METHOD_MAX && is_tchar(b[i]))
		i++;
	if (i == end && !complete && i - from <= METHOD_MAX)
		return LINE_INCOMPLETE;
	if (i == from || i == end || b[i] != ' ' || i - from > METHOD_MAX)
		return refuse(h, 400,
			      "request line: byte 0x%02x at offset %zu is not part of an HTTP "
			      "method",
			      i < end ? b[i] : 0u, i);
	size_t t = i + 1, j = t;
	while (j < end && b[j] > 0x20 && b[j] < 0x7f)
		j++;
	if (j - t > h->lim->max_url)
		return refuse(h, 414,
			      "the request target is longer than %zu bytes (server.max_url_kb)",
			      h->lim->max_url);
	if (j == end && !complete)
		return LINE_INCOMPLETE;
	if (j == t || j == end || b[j] != ' ')
		return refuse(h, 400,
			      "request line: byte 0x%02x at offset %zu: expected the request "
			      "target, then a space and the HTTP version",
			      j < end ? b[j] : 0u, j);
	int rc = check_query(h, t, j);
	return rc != LINE_OK ? rc : check_version(h, j + 1, end, complete);
}

static bool name_is(const struct head *h, size_t from, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(h->buf + from, name, len) == 0;
}

static int check_length(struct head *h, const char *v, size_t len)
{
	unsigned long long x = 0;

	if (len == 0)
		return refuse(h, 400, "header Content-Length: empty");
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return refuse(h, 400, "header Content-Length: '%.*s' is not a number",
				      (int)(len > 32 ? 32 : len), v);
		if (x > h->lim->max_body)
			break; /* already too big: the exact figure does not matter */
		x = x * 10 + (unsigned long long)(v[i] - '0');
	}
	if (h->has_length && x != h->length)
		return refuse(h, 400, "header Content-Length: given twice with different values");
	h->has_length = true;
	h->length = x;
	if (x > h->lim->max_body)
		return refuse(h, 413,
			      "request body of %s%llu bytes is over the limit of %zu bytes "
			      "(server.max_body_kb)",
			      len > 20 ? "more than " : "", x, h->lim->max_body);
	return LINE_OK;
}

/* What valetd needs of the headers it reads: Host, Content-Length, Transfer-Encoding. */
static int check_header_value(struct head *h, size_t name, size_t name_len, size_t v, size_t len)
{
	if (name_is(h, name, name_len, "Host")) {
		if (h->host)
			return refuse(h, 400, "header Host: given twice");
		h->host = true;
	} else if (name_is(h, name, name_len, "Content-Length")) {
		return check_length(h, h->buf + v, len);
	} else if (name_is(h, name, name_len, "Transfer-Encoding")) {
		if (len != 7 || strncasecmp(h->buf + v, "chunked", 7) != 0)
			return refuse(h, 400,
				      "header Transfer-Encoding: '%.*s' is not supported (only "
				      "chunked)",
				      (int)(len > 32 ? 32 : len), h->buf + v);
		h->chunked = true;
	}
	return LINE_OK;
}

/* "Name: value" on the complete line [from, end). */
static int check_header_line(struct head *h, size_t from, size_t end)
{
	const unsigned char *b = (const unsigned char *)h->buf;
	size_t i = from;

	if (b[from] == ' ' || b[from] == '\t')
		return refuse(h, 400, "header line at offset %zu: a folded line is not accepted",
			      from);
	while (i < end && is_tchar(b[i]))
		i++;
	if (i == from || i == end || b[i] != ':')
		return refuse(h, 400, "header line at offset %zu is not 'Name: value'", from);
	size_t name_len = i - from;
	size_t v = i + 1;
	while (v < end && (b[v] == ' ' || b[v] == '\t'))
		v++;
	size_t ve = end;
	while (ve > v && (b[ve - 1] == ' ' || b[ve - 1] == '\t'))
		ve--;
	for (size_t k = v; k < ve; k++) {
		if ((b[k] < 0x20 && b[k] != '\t') || b[k] == 0x7f)
			return refuse(h, 400, "header %.*s: byte 0x%02x at offset %zu",
				      (int)(name_len > 64 ? 64 : name_len), h->buf + from, b[k], k);
	}
	return check_header_value(h, from, name_len, v, ve - v);
}

/* The head has ended: what the headers say together. */
static int check_whole(struct head *h, size_t head_len)
{
	if (head_len > h->lim->max_header)
		return refuse(h, 431,
			      "the request line and headers are longer than %zu bytes "
			      "(server.max_header_kb)",
			      h->lim->max_header);
	if (h->http11 && !h->host)
		return refuse(h, 400, "an HTTP/1.1 request must have a Host header");
	if (h->chunked && h->has_length)
		return refuse(h, 400,
			      "headers Content-Length and Transfer-Encoding: only one may be given");
	return VLT_HTTP_HEAD_OK;
}

static int too_long(struct head *h)
{
	return refuse(h, 431,
		      "the request line and headers are longer than %zu bytes "
		      "(server.max_header_kb)",
		      h->lim->max_header);
}

int vlt__http_head_check(const char *buf, size_t n, const vlt_http_head_limits_t *lim, char *msg,
			 size_t size, vlt_http_head_info_t *info)
{
	struct head h = { .buf = buf, .n = n, .lim = lim, .msg = msg, .size = size };
	size_t pos = 0;

	msg[0] = '\0';
	while (pos < n && (buf[pos] == '\r' || buf[pos] == '\n') && pos < 4)
		pos++; /* a client may end its previous body with a stray CRLF */
	size_t end = line_end(&h, pos);
	int rc = check_request_line(&h, pos, trim_cr(&h, pos, end), end < n);
	if (rc != LINE_OK)
		return rc == LINE_INCOMPLETE ? (n > lim->max_header ? too_long(&h) : 0) : rc;
	for (pos = end + 1; pos < n; pos = end + 1) {
		end = line_end(&h, pos);
		if (end == n)
			break;
		size_t line = trim_cr(&h, pos, end);
		if (line == pos) {
			rc = check_whole(&h, end + 1);
			if (rc == VLT_HTTP_HEAD_OK && info != NULL)
				*info = (vlt_http_head_info_t){ .head_len = end + 1,
								 .has_length = h.has_length,
								 .length = h.length,
								 .chunked = h.chunked };
			return rc;
		}
		if ((rc = check_header_line(&h, pos, line)) != LINE_OK)
			return rc;
	}
	return n > lim->max_header ? too_long(&h) : VLT_HTTP_HEAD_INCOMPLETE;
}

/* ---- chunked bodies */

/* Longest chunk-size accepted, in hex digits (16: a 64-bit size). */
#define CHUNK_DIGITS_MAX 16

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int bad_chunk(char *msg, size_t size, size_t at, const char *what)
{
	snprintf(msg, size, "chunked body: %s at offset %zu of the body", what, at);
	return 400;
}

int vlt__http_chunks_check(const char *buf, size_t n, char *msg, size_t size)
{
	size_t pos = 0;

	msg[0] = '\0';
	while (pos < n) {
		unsigned long long len = 0;
		size_t digits = 0;

		for (; pos < n && hex_value(buf[pos]) >= 0; pos++, digits++) {
			if (digits == CHUNK_DIGITS_MAX)
				return bad_chunk(msg, size, pos, "a chunk size too large");
			len = len * 16 + (unsigned long long)hex_value(buf[pos]);
		}
		if (pos == n)
			return 0;
		if (digits == 0)
			return bad_chunk(msg, size, pos, "expected a chunk size in hex");
		if (buf[pos] != ';' && buf[pos] != '\r' && buf[pos] != '\n')
			return bad_chunk(msg, size, pos, "expected the end of the chunk-size line");
		const char *nl = memchr(buf + pos, '\n', n - pos);
		if (nl == NULL)
			return 0;
		pos = (size_t)(nl - buf) + 1;
		if (len == 0)
			return 0; /* the last chunk: trailers follow, which libmicrohttpd reads */
		if (len > n - pos)
			return 0; /* its data has not all arrived */
		pos += (size_t)len;
		if (pos < n && buf[pos] == '\r')
			pos++;
		if (pos < n && buf[pos] != '\n')
			return bad_chunk(msg, size, pos, "a chunk's data is longer than its size");
		pos++;
	}
	return 0;
}
