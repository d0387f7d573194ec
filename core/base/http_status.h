/*
 * http_status.h - HTTP statuses as valet-api speaks them: the one table of
 * reasons, upstream's error types and generic messages, the mapping from
 * VLT_E* codes, and upstream valet-api's JSON error body. valetd's server
 * (api/http.c) writes error bodies with it and the `valet` client reads
 * them with it, so both sides agree on one shape.
 */
#ifndef VALET_CORE_HTTP_STATUS_H
#define VALET_CORE_HTTP_STATUS_H

#include <jansson.h>

/* The HTTP status for a VLT_E* code: the one table both directions use. */
int vlt__http_status_of(int code);
/* "Not Found" for 404, ...; never NULL. */
const char *vlt__http_reason(int status);
/*
 * vlt__http_error_body - upstream valet-api's error document:
 * {"title", "explanation", "code", "error": {"message", "traceback", "type"}}.
 * explanation may be NULL (the generic text is used).
 * RET a new reference, or NULL when out of memory.
 */
json_t *vlt__http_error_body(int status, const char *explanation);
/*
 * vlt__http_error_message - what an error body says went wrong: the
 * "explanation" of upstream's document, else the "error.message" of an
 * OpenStack service's or keystonemiddleware's ({"error": {"message"}}).
 * RET borrowed from body, or NULL when body is neither.
 */
const char *vlt__http_error_message(const json_t *body);

#endif /* VALET_CORE_HTTP_STATUS_H */
