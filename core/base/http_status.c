/*
 * http_status.c - statuses, codes and upstream's error body (http_status.h).
 */
#include <stddef.h>

#include <jansson.h>

#include <valet/errors.h>

#include "http_status.h"

/* ---- statuses and error bodies */

static const struct status_info {
	int status;
	const char *reason;
	const char *type;    /* the "error.type" upstream's framework gives */
	const char *message; /* the generic "error.message" */
} statuses[] = {
	{ 200, "OK", NULL, NULL },
	{ 201, "Created", NULL, NULL },
	{ 204, "No Content", NULL, NULL },
	{ 400, "Bad Request", "HTTPBadRequest",
	  "The request is malformed or otherwise incorrect." },
	{ 401, "Unauthorized", "HTTPUnauthorized", "Authentication required." },
	{ 403, "Forbidden", "HTTPForbidden", "Access to this resource is denied." },
	{ 404, "Not Found", "HTTPNotFound", "The resource could not be found." },
	{ 405, "Method Not Allowed", "HTTPMethodNotAllowed",
	  "The method is not allowed for this resource." },
	{ 408, "Request Timeout", "HTTPRequestTimeout",
	  "The request did not arrive in the time this server waits." },
	{ 409, "Conflict", "HTTPConflict",
	  "The request conflicts with the current state of the resource." },
	{ 413, "Request Entity Too Large", "HTTPRequestEntityTooLarge",
	  "The request body is larger than this server accepts." },
	{ 414, "Request-URI Too Long", "HTTPRequestURITooLong",
	  "The request target is longer than this server accepts." },
	{ 429, "Too Many Requests", "HTTPTooManyRequests",
	  "The client has more connections open than this server accepts." },
	{ 431, "Request Header Fields Too Large", "HTTPRequestHeaderFieldsTooLarge",
	  "The request headers are larger than this server accepts." },
	{ 500, "Internal Server Error", "HTTPInternalServerError",
	  "The server could not complete the request." },
	{ 503, "Service Unavailable", "HTTPServiceUnavailable",
	  "A service the server depends on is unavailable; try again later." },
	{ 504, "Gateway Timeout", "HTTPGatewayTimeout",
	  "A service the server depends on did not answer in time." },
	{ 505, "HTTP Version Not Supported", "HTTPVersionNotSupported",
	  "The HTTP version of the request is not supported." },
};

static const struct status_info *status_info(int status)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		if (statuses[i].status == status)
			return &statuses[i];
	}
	return NULL;
}

/*
 * The one mapping from error codes to statuses. A tenant that is not a
 * member of a group is a conflict upstream, not a 403, so EFORBIDDEN
 * stays 409 for clients written against it.
 */
int vlt__http_status_of(int code)
{
	switch (code) {
	case VLT_OK:
		return 200;
	case VLT_EINVAL:
	case VLT_ECONFIG:
		return 400;
	case VLT_ENOENT:
		return 404;
	case VLT_EMETHOD:
		return 405;
	case VLT_EEXIST:
	case VLT_ECONFLICT:
	case VLT_ENOPLACE:
	case VLT_EFORBIDDEN:
		return 409;
	case VLT_E2BIG:
		return 413;
	case VLT_EBACKEND:
		return 503;
	case VLT_ETIMEDOUT:
		return 504;
	default:
		return 500;
	}
}

const char *vlt__http_reason(int status)
{
	const struct status_info *si = status_info(status);

	if (si != NULL)
		return si->reason;
	return status >= 500 ? "Internal Server Error" : "Error";
}

json_t *vlt__http_error_body(int status, const char *explanation)
{
	const struct status_info *si = status_info(status);

	if (si == NULL || si->type == NULL)
		si = status_info(500);
	if (explanation == NULL || explanation[0] == '\0')
		explanation = si->message;
	return json_pack("{s:s, s:s, s:i, s:{s:s, s:n, s:s}}", "title", vlt__http_reason(status),
			 "explanation", explanation, "code", status, "error", "message",
			 si->message, "traceback", "type", si->type);
}

const char *vlt__http_error_message(const json_t *body)
{
	const char *msg = json_string_value(json_object_get(body, "explanation"));

	if (msg == NULL)
		msg = json_string_value(json_object_get(json_object_get(body, "error"), "message"));
	return msg;
}
