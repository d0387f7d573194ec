/*
 * valet_displace.h - what `valet simulate --displace` says of the last
 * request: placed, which earlier plans share its hosts while it holds them;
 * refused, which earlier plans would have to move for it to fit.
 */
#ifndef VALET_PROGRAMS_DISPLACE_H
#define VALET_PROGRAMS_DISPLACE_H

#include <jansson.h>

#include "engine.h"
#include "timeline.h"

/* One request simulate placed or tried to, in order. */
typedef struct sim_plan {
	char id[32];		 /* its plan id in the engine ("sim-N") */
	const char *where;	 /* the file it came from (borrowed from argv) */
	json_t *req;		 /* the request (owned) */
	vlt_interval_t iv;	 /* its interval; the whole of time when it has none */
	vlt_place_result_t *res; /* owned; NULL when refused or not yet placed */
} sim_plan_t;

/*
 * vlt__sim_shared - the earlier placed plans (plans[0..n)) that hold one of
 * the hosts of `asked` (placed) during an interval that overlaps its own:
 * [{"plan", "file", "start", "end", "hosts": [shared hosts]}].
 * RET a new reference, or NULL when out of memory.
 */
json_t *vlt__sim_shared(const sim_plan_t *plans, size_t n, const sim_plan_t *asked);

/*
 * vlt__sim_displace - for `asked` (refused, its res NULL): every earlier
 * placed plan whose interval overlaps its own is released, asked is placed,
 * then those plans are placed again in their order, first each kept where
 * it was (when it still fits there), then the others anywhere. The engine
 * keeps that outcome (asked is the last request simulate places), and
 * plans[] follows it. One answer, not the fewest moves.
 * OUT out - new: {"fits_if_moved": bool, "message" (when it does not),
 *           "placements": {orch: location}, "must_move": [{"plan", "file",
 *           "from", "to"}], "no_room": [{"plan", "file", "from"}]}
 * RET 0, or a negative code with err (bad input, out of memory).
 */
int vlt__sim_displace(vlt_engine_t *e, sim_plan_t *plans, size_t n, sim_plan_t *asked,
		      const char *solver, json_t **out, vlt_err_t *err);

#endif /* VALET_PROGRAMS_DISPLACE_H */
