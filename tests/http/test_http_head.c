/*
 * test_http_head.c - the check of request heads and chunked framing
 * (core/api/http_head.c) on byte strings: what it accepts, what it waits
 * for, and which status and message each refusal has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http_head.h"

static const vlt_http_head_limits_t lim = {
	.max_header = 256, .max_url = 64, .max_query_args = 3, .max_body = 1000
};

struct head_case {
	const char *bytes;
	int want;          /* VLT_HTTP_HEAD_* or a status */
	const char *words; /* in the message of a refusal */
};

static const struct head_case cases[] = {
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\n\r\n", VLT_HTTP_HEAD_OK, NULL },
	{ "GET /v1 HTTP/1.0\r\n\r\n", VLT_HTTP_HEAD_OK, NULL },
	{ "\r\nGET /v1 HTTP/1.0\n\n", VLT_HTTP_HEAD_OK, NULL },
	{ "GET /v1?a=1&b&c= HTTP/1.1\r\nHost: x\r\n\r\n", VLT_HTTP_HEAD_OK, NULL },
	{ "", VLT_HTTP_HEAD_INCOMPLETE, NULL },
	{ "GE", VLT_HTTP_HEAD_INCOMPLETE, NULL },
	{ "GET /v1 HTT", VLT_HTTP_HEAD_INCOMPLETE, NULL },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\n", VLT_HTTP_HEAD_INCOMPLETE, NULL },
	{ "\x16\x03\x01", 400, "byte 0x16 at offset 0 is not part of an HTTP method" },
	{ "GET /\x01 HTTP/1.1\r\n", 400, "byte 0x01 at offset 5" },
	{ "GET /v1 FTP/1.1\r\n", 400, "not HTTP/x.y" },
	{ "GET /v1 HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2.0 is not supported" },
	{ "GET /v1 HTTP/1.1\r\n\r\n", 400, "must have a Host header" },
	{ "GET /v1?a&b&c&d HTTP/1.1\r\n", 400, "4 query arguments; at most 3" },
	{ "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 414,
	  "server.max_url_kb" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413,
	  "1001 bytes is over the limit of 1000 bytes" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413,
	  "more than" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400, "not a number" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
	  "twice" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, "Host: given twice" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
	  "'gzip' is not supported" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
	  400, "only one may be given" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "folded" },
	{ "GET /v1 HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "is not 'Name: value'" },
	{ "GET /v1 HTTP/1.1\r\nHost: x\001y\r\n\r\n", 400, "header Host: byte 0x01" },
};

static void test_heads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct head_case *c = &cases[i];
		char msg[512];
		int got = vlt__http_head_check(c->bytes, strlen(c->bytes), &lim, msg, sizeof(msg),
					       NULL);

		if (got != c->want)
			fail_msg("case %zu: got %d (%s), want %d", i, got, msg, c->want);
		if (c->words != NULL && strstr(msg, c->words) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, msg, c->words);
	}
}

static void test_header_size(void **state)
{
	char big[400];
	char msg[512];
	(void)state;

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /v1 HTTP/1.1\r\nX: ", 21);
	assert_int_equal(vlt__http_head_check(big, sizeof(big), &lim, msg, sizeof(msg), NULL),
			 431);
	assert_non_null(strstr(msg, "longer than 256 bytes (server.max_header_kb)"));
}

static void test_info(void **state)
{
	static const char req[] = "POST /v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n{}";
	vlt_http_head_info_t info;
	char msg[512];
	(void)state;

	assert_int_equal(vlt__http_head_check(req, sizeof(req) - 1, &lim, msg, sizeof(msg), &info),
			 VLT_HTTP_HEAD_OK);
	assert_int_equal(info.head_len, sizeof(req) - 3);
	assert_true(info.has_length);
	assert_int_equal(info.length, 12);
	assert_false(info.chunked);
}

static void test_chunks(void **state)
{
	static const struct { const char *body; int want; const char *words; } c[] = {
		{ "", 0, NULL },
		{ "5\r\nhello\r\n0\r\n\r\n", 0, NULL },
		{ "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n", 0, NULL },
		{ "5\nhello\n0\n\n", 0, NULL },
		{ "ff\r\nonly part of it", 0, NULL },
		{ "zz\r\n", 400, "expected a chunk size in hex at offset 0" },
		{ "5x\r\n", 400, "expected the end of the chunk-size line at offset 1" },
		{ "2\r\nhello\r\n", 400, "longer than its size at offset 5" },
		{ "11111111111111111\r\n", 400, "too large" },
	};
	char msg[512];
	(void)state;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int got = vlt__http_chunks_check(c[i].body, strlen(c[i].body), msg, sizeof(msg));

		if (got != c[i].want)
			fail_msg("chunks %zu: got %d (%s), want %d", i, got, msg, c[i].want);
		if (c[i].words != NULL && strstr(msg, c[i].words) == NULL)
			fail_msg("chunks %zu: '%s' lacks '%s'", i, msg, c[i].words);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_header_size),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_chunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
