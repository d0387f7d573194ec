/*
 * timeline.h - capacity over time (docs/reservations.md).
 *
 * A plan request may carry "start" and "end" (RFC 3339 UTC): its holds
 * then take capacity on [start, end) only. Inside the engine times are
 * milliseconds since the epoch; an absent start is INT64_MIN (the hold has
 * always begun), an absent end INT64_MAX (open-ended). A request with
 * neither is an ordinary plan, held exactly as before.
 */
#ifndef VALET_CORE_TIMELINE_H
#define VALET_CORE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <valet/errors.h>

#define VLT_TIME_BEGIN INT64_MIN /* no start: always begun */
#define VLT_TIME_END INT64_MAX	 /* no end: open-ended */

/* [start_ms, end_ms): end exclusive, start before end. */
typedef struct vlt_interval {
	int64_t start_ms;
	int64_t end_ms;
} vlt_interval_t;

/* Always: [VLT_TIME_BEGIN, VLT_TIME_END), what an ordinary plan holds. */
extern const vlt_interval_t vlt__interval_always;

/* Not [VLT_TIME_BEGIN, VLT_TIME_END): the request gave a start or an end. */
bool vlt__interval_timed(const vlt_interval_t *iv);

/*
 * vlt__interval_parse - the request's "start" and "end" into iv.
 * IN  req   - the plan request (borrowed): an object, or the upstream list
 *             of exactly one (paths then read "$[0].start"); anything else
 *             gives always, the stack parser refuses it
 * IN  where - the input's name for messages (NULL: "request")
 * RET 0, or VLT_EINVAL with err naming the input, the JSON path and why
 *     ("plan.json: $.start: expected an RFC 3339 UTC time like
 *     2026-12-08T10:00:00Z, not \"now\"", "...: $.end: not after $.start").
 *     iv is set only on success.
 */
int vlt__interval_parse(const json_t *req, const char *where, vlt_interval_t *iv,
			vlt_err_t *err);

/*
 * The interval as messages show it, into buf: "2026-12-08T10:00:00Z to
 * 2026-12-09T10:00:00Z"; "until ...", "from ... on" or "from now on" where
 * a bound is absent.
 */
void vlt__interval_format(const vlt_interval_t *iv, char *buf, size_t n);

#endif /* VALET_CORE_TIMELINE_H */
