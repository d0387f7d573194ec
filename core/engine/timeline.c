/*
 * timeline.c - intervals of plan requests (docs/reservations.md).
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "timeline.h"

const vlt_interval_t vlt__interval_always = {VLT_TIME_BEGIN, VLT_TIME_END};

bool vlt__interval_timed(const vlt_interval_t *iv)
{
	return iv->start_ms != VLT_TIME_BEGIN || iv->end_ms != VLT_TIME_END;
}

#define TIME_EXPECTED "expected an RFC 3339 UTC time like 2026-12-08T10:00:00Z"

/* What a JSON value that is not a string is, for messages. */
static const char *json_kind(const json_t *v)
{
	if (json_is_number(v))
		return "a number";
	if (json_is_boolean(v))
		return "a boolean";
	if (json_is_null(v))
		return "null";
	return json_is_array(v) ? "an array" : "an object";
}

/* obj.key as a time; absent: *ms = absent. */
static int parse_time(const json_t *obj, const char *key, const char *where, const char *root,
		      int64_t absent, int64_t *ms, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, key);

	*ms = absent;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.%s: %s, not %s", where, root, key,
				   TIME_EXPECTED, json_kind(v));
	if (!vlt__time_parse_rfc3339(json_string_value(v), ms))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.%s: %s, not \"%.80s\"", where, root,
				   key, TIME_EXPECTED, json_string_value(v));
	return 0;
}

int vlt__interval_parse(const json_t *req, const char *where, vlt_interval_t *iv,
			vlt_err_t *err)
{
	const char *root = "$";
	vlt_interval_t got;
	int rc;

	if (where == NULL)
		where = "request";
	if (json_is_array(req) && json_array_size(req) == 1) {
		req = json_array_get(req, 0);
		root = "$[0]";
	}
	if (!json_is_object(req)) {
		*iv = vlt__interval_always;
		return 0;
	}
	if ((rc = parse_time(req, "start", where, root, VLT_TIME_BEGIN, &got.start_ms, err)) < 0 ||
	    (rc = parse_time(req, "end", where, root, VLT_TIME_END, &got.end_ms, err)) < 0)
		return rc;
	if (got.end_ms <= got.start_ms)
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.end: not after %s.start", where, root,
				   root);
	*iv = got;
	return 0;
}

void vlt__interval_format(const vlt_interval_t *iv, char *buf, size_t n)
{
	char s[40] = "", e[40] = "";

	/* the bounds' sentinels are no times to write */
	if (iv->start_ms != VLT_TIME_BEGIN)
		vlt__time_format_rfc3339(iv->start_ms, s, sizeof(s));
	if (iv->end_ms != VLT_TIME_END)
		vlt__time_format_rfc3339(iv->end_ms, e, sizeof(e));
	if (*s == '\0' && *e == '\0')
		snprintf(buf, n, "from now on");
	else if (*s == '\0')
		snprintf(buf, n, "until %s", e);
	else if (*e == '\0')
		snprintf(buf, n, "from %s on", s);
	else
		snprintf(buf, n, "%s to %s", s, e);
}
