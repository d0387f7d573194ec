/*
 * http_client.c - see http_client.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http_client.h"

struct upload {
	const char *data;
	size_t len;
	size_t off;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
	http_reply_t *rep = cls;
	size_t n = size * nmemb;
	char *p = realloc(rep->body, rep->body_len + n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + rep->body_len, data, n);
	rep->body = p;
	rep->body_len += n;
	rep->body[rep->body_len] = '\0';
	return n;
}

/* Copy the value of header line "Name: value\r\n" into buf when it is name. */
static void take_header(const char *line, size_t n, const char *name, char *buf, size_t size)
{
	size_t nlen = strlen(name);

	if (n <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return;
	const char *v = line + nlen + 1;
	size_t vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
		vlen--;
	snprintf(buf, size, "%.*s", (int)vlen, v);
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *cls)
{
	http_reply_t *rep = cls;
	size_t n = size * nmemb;

	take_header(line, n, "Content-Type", rep->content_type, sizeof(rep->content_type));
	take_header(line, n, "Allow", rep->allow, sizeof(rep->allow));
	take_header(line, n, "Location", rep->location, sizeof(rep->location));
	return n;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *cls)
{
	struct upload *up = cls;
	size_t n = size * nmemb;

	if (n > up->len - up->off)
		n = up->len - up->off;
	memcpy(buf, up->data + up->off, n);
	up->off += n;
	return n;
}

int http_do(const http_request_t *req, http_reply_t *rep)
{
	struct upload up = { req->body, req->body_len, 0 };
	struct curl_slist *hdrs = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(rep, 0, sizeof(*rep));
	rep->body = calloc(1, 1);
	if (c == NULL || rep->body == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rep);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rep);
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (req->body != NULL) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		if (req->chunked)
			hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
		else
			curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		hdrs = curl_slist_append(hdrs, req->headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rep->status);
	else
		fprintf(stderr, "%s %s: %s\n", req->method, req->url, curl_easy_strerror(rc));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

int http_get(const char *url, http_reply_t *rep)
{
	http_request_t req = { .method = "GET", .url = url };

	return http_do(&req, rep);
}

void http_reply_free(http_reply_t *rep)
{
	free(rep->body);
	rep->body = NULL;
}
