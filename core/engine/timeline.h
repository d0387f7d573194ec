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
#include <valet/model.h>

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
 * 2026-12-09T10:00:00Z"; "now to ..." without a start, "... to no end"
 * without an end.
 */
void vlt__interval_format(const vlt_interval_t *iv, char *buf, size_t n);

/*
 * ---- a host's timed holds: the vcpus, ram_mb and disk_gb they take over
 * time, as a balanced tree (a treap) of the times where usage changes,
 * each node with the change there, its subtree's sum of changes and its
 * largest prefix sum, so that the peak over any interval costs O(log k)
 * for k holds, and adding or removing a hold O(log k) too.
 */
typedef struct vlt_timeline vlt_timeline_t;

/* RET new, owned by the caller (vlt__timeline_free), or NULL on ENOMEM. */
vlt_timeline_t *vlt__timeline_new(void);
void vlt__timeline_free(vlt_timeline_t *t);
/*
 * Take demand over iv (sign +1), or give back what such a call took (-1).
 * RET 0, or VLT_ENOMEM (only when taking), with t unchanged.
 */
int vlt__timeline_add(vlt_timeline_t *t, const vlt_interval_t *iv,
		      const int64_t demand[VLT_RES_COUNT], int sign);
/* The most the holds take at any one time of iv, per resource, into peak. */
void vlt__timeline_peak(const vlt_timeline_t *t, const vlt_interval_t *iv,
			int64_t peak[VLT_RES_COUNT]);
/* The holds taken and not given back. */
uint32_t vlt__timeline_holds(const vlt_timeline_t *t);
/*
 * vlt__timeline_short - the parts of iv where the holds take more than
 * limit of some resource (usage[r] > limit[r] for any r), in order and
 * merged, into out, at most max of them; t NULL: a host without holds.
 * RET how many parts there are, which may be more than max. An in-order
 * walk of the changes up to iv's end, O(k): for refusals' messages, not
 * for checks.
 */
size_t vlt__timeline_short(const vlt_timeline_t *t, const vlt_interval_t *iv,
			   const int64_t limit[VLT_RES_COUNT], vlt_interval_t *out, size_t max);
/* Whether any hold takes anything at some time of iv (a zero demand counts too). */
bool vlt__timeline_busy(const vlt_timeline_t *t, const vlt_interval_t *iv);

#endif /* VALET_CORE_TIMELINE_H */
