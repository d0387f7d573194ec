/*
 * fake_cycle.h - the cycle behind the fake core (fake_core.h) for the
 * policy tests: cycle callbacks that answer from a small hand-built data
 * center, a hand-built stack and a list of placed servers.
 *
 * Occupancy is derived, not typed in: each placed server has a host and a
 * set of groups (a bit mask over "fake groups"). Fake groups 0 .. n-1 are
 * the stack's groups; fake_cycle_add_group() appends groups of other plans
 * (for policy_residents). Placing a server in a stack group also places it
 * in that group's ancestors, as the core counts members through children.
 * Volumes count as the core counts them: a member volume in group_count at
 * rack and cluster level (where its pool has a rack or cluster) and in the
 * data-center total, never at host level; residents and policy_residents
 * count servers only. A volume of the stack also shows in the view's
 * placement array.
 */
#ifndef VALET_TESTS_FAKE_CYCLE_H
#define VALET_TESTS_FAKE_CYCLE_H

#include <stdint.h>

#include <valet/core.h>
#include <valet/model.h>

#include "fake_core.h"

/* The bit of fake group g in a placement mask. */
#define FG(g) (UINT64_C(1) << (g))

/* At most this many fake groups (stack groups plus other plans'). */
#define FAKE_MAX_GROUPS 64

/*
 * The small data center every policy test uses: 2 clusters x 2 racks x 2
 * hosts. Host h (h0..h7) is in rack h/2 (r0..r3) and cluster h/4 (c0, c1).
 * Host h7 is preloaded (so r3 and c1 are too). Pools: p0 in r0 (c0), p1
 * outside every rack and cluster, p2 in r2 (c1). Static storage.
 */
const vlt_dc_t *fake_dc(void);

/*
 * fake_cycle_new - a cycle over stack on fake_dc(), with nothing placed.
 * Borrows stack for the cycle's life. Aborts the test on allocation failure.
 * OUT - new, owned by the caller; free with fake_cycle_free
 */
vlt_cycle_t *fake_cycle_new(const vlt_stack_t *stack);
void fake_cycle_free(vlt_cycle_t *cy);

/* Append a group of another plan (policy id, level); returns its fake id. */
uint32_t fake_cycle_add_group(vlt_cycle_t *cy, uint32_t policy, vlt_level_t level);
/* Place one server on host, member of the fake groups in mask (0: no group). */
void fake_cycle_place(vlt_cycle_t *cy, uint32_t host, uint64_t mask);
/*
 * Place a volume on pool, member of the fake groups in mask. unit is the
 * stack's volume (its placement is recorded in the view), or VLT_NONE for a
 * volume of an earlier plan.
 */
void fake_cycle_place_volume(vlt_cycle_t *cy, uint32_t unit, uint32_t pool, uint64_t mask);
/* Remove every placed server and volume. */
void fake_cycle_clear(vlt_cycle_t *cy);
/* How many occupancy callbacks (group_count, residents, policy_residents) ran. */
unsigned fake_cycle_queries(const vlt_cycle_t *cy);

/*
 * fake_cycle_attach - plug these cycles into fc's table: cycle_dc,
 * cycle_stack, cycle_view and the occupancy queries (group_count,
 * group_servers, residents, policy_residents, the last answering for the
 * table's self_id). Callbacks no policy should need (check, assign, ...)
 * stay NULL, so a stray call fails loudly.
 */
void fake_cycle_attach(fake_core_t *fc);

#endif /* VALET_TESTS_FAKE_CYCLE_H */
