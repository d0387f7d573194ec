/*
 * nova.c - the per-server baseline (see nova.h).
 *
 * The weight of a host is read from the view before check() is asked, and
 * check() is asked only about hosts that would beat the best so far: the
 * answer is the one filtering every host and then weighing would give,
 * with fewer policy calls.
 */
#include <stdbool.h>

#include <valet/core.h>

#include "nova.h"

static const char *unit_name(const vlt_unit_t *unit)
{
	return unit->name != NULL ? unit->name : unit->orch_id;
}

static int check_failed(const vlt_unit_t *unit, int rc, vlt_err_t *err)
{
	return vlt_err_set(err, rc, "solver nova: check of unit %s failed: %s", unit_name(unit),
			   vlt_strerror(rc));
}

/* Would weight w beat best (spread: more free RAM; stack: less)? */
static bool beats(nova_weigher_t weigher, int64_t w, int64_t best)
{
	return weigher == NOVA_WEIGH_RAM_STACK ? w < best : w > best;
}

/* OUT *host - the chosen host, VLT_NONE when none passes. RET 0 or a check error. */
static int pick_host(const vlt_core_t *core, nova_weigher_t weigher, vlt_cycle_t *cy,
		     uint32_t u, uint32_t *host, vlt_err_t *err)
{
	const vlt_dc_t *dc = core->cycle_dc(cy);
	const vlt_view_t *v = core->cycle_view(cy);
	int64_t best_w = 0;

	*host = VLT_NONE;
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		int64_t w = v->host_free[h][VLT_RES_RAM_MB];
		if (*host != VLT_NONE && !beats(weigher, w, best_w))
			continue;
		int rc = core->check(cy, u, VLT_LEVEL_HOST, h);
		if (rc < 0)
			return check_failed(&core->cycle_stack(cy)->units[u], rc, err);
		if (rc == VLT_PASS) {
			*host = h;
			best_w = w;
		}
	}
	return VLT_OK;
}

/* OUT *pool - the passing pool with the most free space, VLT_NONE when none. */
static int pick_pool(const vlt_core_t *core, vlt_cycle_t *cy, uint32_t u, uint32_t *pool,
		     vlt_err_t *err)
{
	const vlt_dc_t *dc = core->cycle_dc(cy);
	const vlt_view_t *v = core->cycle_view(cy);

	*pool = VLT_NONE;
	for (uint32_t p = 0; p < dc->n_pools; p++) {
		if (*pool != VLT_NONE && v->pool_free_gb[p] <= v->pool_free_gb[*pool])
			continue;
		int rc = core->check(cy, u, VLT_LEVEL_HOST, p);
		if (rc < 0)
			return check_failed(&core->cycle_stack(cy)->units[u], rc, err);
		if (rc == VLT_PASS)
			*pool = p;
	}
	return VLT_OK;
}

int nova_solve(const vlt_core_t *core, nova_weigher_t weigher, vlt_cycle_t *cy,
	       vlt_err_t *err)
{
	const vlt_stack_t *st = core->cycle_stack(cy);

	for (uint32_t u = 0; u < st->n_units; u++) {
		const vlt_unit_t *unit = &st->units[u];
		uint32_t loc;
		int rc = unit->kind == VLT_UNIT_SERVER ? pick_host(core, weigher, cy, u, &loc, err)
						       : pick_pool(core, cy, u, &loc, err);
		if (rc < 0)
			return rc;
		if (loc == VLT_NONE) {
			core->note_failure(cy, u);
			return VLT_ENOPLACE;
		}
		rc = core->assign(cy, u, loc);
		if (rc < 0)
			return vlt_err_set(err, rc, "solver nova: assign of unit %s failed: %s",
					   unit_name(unit), vlt_strerror(rc));
	}
	return VLT_OK;
}
