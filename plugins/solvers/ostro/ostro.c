/*
 * ostro.c - Ostro's holistic placement (see ostro.h and docs/solvers.md).
 *
 * Placement nodes: every top-most affinity group is one node placed as a
 * unit at its level (nested affinity groups become its sub-nodes); every
 * other unit is a node of its own. Nodes are ordered largest first by
 * Ostro's weighted demand, except that once a node is ordered, the nodes
 * linked to ordered ones come next (most bandwidth first), so that the
 * bandwidth ranking sees their peers placed.
 *
 * Each node descends cluster -> rack -> host. At every level candidates are
 * pruned with the view (sums and per-host maxima of free capacity), ranked
 * by (0) dead ends last (a unit alike found no place there already), (1)
 * the bandwidth cost the node adds, (2) on hosts, the policies' scores, (3)
 * whether the domain can take what is left of the node's linked
 * component, (4) whether the stack already uses it, (5) best fit, (6)
 * index; and tried in that order, each after check() says yes. A
 * descent that fails is rolled back and the next candidate tried, until
 * max_backtracks or time_budget_ms is spent. When a node finds no place at
 * all, the search starts again with that node first (a few times). Once
 * all are placed, each linked node is placed again with the others fixed,
 * and moves if its links then cost less.
 *
 * The nodes and their order come from nodes.c; every buffer belongs to one
 * call (scratch.c), so the module may solve several cycles at once.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valet/policy.h>

#include "state.h"

/* try_domain: check() said no; not a backtrack. */
#define TRY_REJECT 1
/* Fresh starts with the node that failed placed first. */
#define OSTRO_MAX_RESTARTS 16

/* ---------------------------------------------------------------- state */

typedef struct cand {
	uint32_t dom;
	bool dead; /* a unit like this one failed to go down into it, and nothing left since */
	bool fits_rest;
	bool used;
	double cost;
	double score; /* the policies' preference; hosts only */
	double fit;
} cand_t;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void budget_check(ostro_ctx_t *c)
{
	if (c->backtracks >= (uint64_t)c->set->max_backtracks || now_ns() >= c->deadline_ns)
		c->exhausted = true;
}

static const char *unit_name(const ostro_ctx_t *c, uint32_t u)
{
	const vlt_unit_t *unit = &c->st->units[u];

	return unit->name != NULL ? unit->name : unit->orch_id;
}

static int call_failed(ostro_ctx_t *c, const char *what, uint32_t u, int rc)
{
	return vlt_err_set(c->err, rc, "solver ostro: %s of unit %s failed: %s", what,
			   unit_name(c, u), vlt_strerror(rc));
}

/* ---------------------------------------------------------------- domains */

/* The domains of level lvl inside domain wd of level wl (wl >= lvl). */
static void domain_range(const vlt_dc_t *dc, vlt_level_t lvl, vlt_level_t wl, uint32_t wd,
			 uint32_t *first, uint32_t *n)
{
	if (wl <= lvl) {
		*first = wd;
		*n = 1;
	} else if (wl == VLT_LEVEL_DC) {
		*first = 0;
		*n = vlt_level_size(dc, lvl);
	} else {
		const vlt_domain_t *d = wl == VLT_LEVEL_CLUSTER ? &dc->clusters[wd] : &dc->racks[wd];
		*first = lvl == VLT_LEVEL_HOST ? d->first_host : d->first_rack;
		*n = lvl == VLT_LEVEL_HOST ? d->n_hosts : d->n_racks;
	}
}

static const int64_t *sum_free(const ostro_ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	if (lvl == VLT_LEVEL_RACK)
		return c->v->rack_free[d];
	if (lvl == VLT_LEVEL_CLUSTER)
		return c->v->cluster_free[d];
	return c->v->host_free[d];
}

static const int64_t *max_free(const ostro_ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	if (lvl == VLT_LEVEL_RACK)
		return c->v->rack_max_free[d];
	if (lvl == VLT_LEVEL_CLUSTER)
		return c->v->cluster_max_free[d];
	return c->v->host_free[d];
}

/* A necessary condition read from the view: the node's sum and its largest server fit. */
static bool may_fit(const ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	const int64_t *sum = sum_free(c, lvl, d), *max = max_free(c, lvl, d);

	for (int r = 0; r < VLT_RES_COUNT; r++) {
		if (n->demand[r] > 0 && sum[r] < n->demand[r])
			return false;
		if (n->max_demand[r] > 0 && max[r] < n->max_demand[r])
			return false;
	}
	return true;
}

static bool fits_rest(const ostro_ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	const int64_t *sum = sum_free(c, lvl, d);

	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (c->rest[r] > 0 && sum[r] < c->rest[r])
			return false;
	return true;
}

/* Best fit: Ostro's key, the weighted share of the data center's free capacity left there. */
static double fit_key(const ostro_ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	const int64_t *sum = sum_free(c, lvl, d);
	double key = 0;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		key += (1.0 - c->w[r]) * (double)sum[r] * c->inv_free[r];
	return key;
}

/* ---------------------------------------------------------------- bandwidth cost */

static double link_cost(const vlt_link_t *k, int levels)
{
	if (k->flags & VLT_LINK_ATTACHMENT)
		return OSTRO_ATTACH_WEIGHT * levels;
	return 2.0 * k->mbps * levels;
}

/*
 * The fewest levels crossed between a server somewhere in rack or cluster d
 * and a placed peer: 0 for a server peer inside (it may share the host).
 */
static int levels_to(const ostro_ctx_t *c, vlt_level_t lvl, uint32_t d, uint32_t peer)
{
	const vlt_dc_t *dc = c->dc;
	uint32_t loc = c->v->placement[peer];
	bool server = ostro_is_server(c, peer);
	uint32_t pr = server ? dc->hosts[loc].rack : dc->pools[loc].rack;
	uint32_t pc = server ? dc->hosts[loc].cluster : dc->pools[loc].cluster;

	if (lvl == VLT_LEVEL_RACK) {
		if (pr == d)
			return server ? 0 : 1;
		return pc != VLT_NONE && pc == dc->racks[d].parent ? 2 : 3;
	}
	if (pc == d)
		return server ? 0 : pr != VLT_NONE ? 1 : 2;
	return 3;
}

/* What the node's servers add to the bandwidth cost in d: exact on a host, a bound above. */
static double node_cost(const ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	const vlt_stack_t *st = c->st;
	double cost = 0;

	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		const vlt_unit_t *unit = &st->units[u];
		if (unit->kind != VLT_UNIT_SERVER || unit->n_links == 0)
			continue;
		if (lvl == VLT_LEVEL_HOST) {
			cost += c->core->cost(c->cy, u, d);
			continue;
		}
		for (uint32_t j = 0; j < unit->n_links; j++) {
			const vlt_link_t *k = &st->links[unit->links[j]];
			uint32_t peer = k->a == u ? k->b : k->a;
			if (peer == u || c->v->placement[peer] == VLT_NONE)
				continue;
			cost += link_cost(k, levels_to(c, lvl, d, peer));
		}
	}
	return cost;
}

/* The policies' weighted preference for the node's servers on host h. */
static double node_score(const ostro_ctx_t *c, const ostro_node_t *n, uint32_t h)
{
	double score = 0;

	for (uint32_t i = 0; i < n->n_members; i++)
		if (ostro_is_server(c, n->members[i]))
			score += c->core->score(c->cy, n->members[i], h);
	return score;
}

static bool cost_less(double a, double b)
{
	return a < b - 1e-9 * (1.0 + fabs(a) + fabs(b));
}

static bool cand_better(const cand_t *a, const cand_t *b)
{
	if (a->dead != b->dead)
		return b->dead;
	if (cost_less(a->cost, b->cost))
		return true;
	if (cost_less(b->cost, a->cost))
		return false;
	if (a->score != b->score)
		return a->score > b->score;
	if (a->fits_rest != b->fits_rest)
		return a->fits_rest;
	if (a->used != b->used)
		return a->used;
	if (a->fit != b->fit)
		return a->fit < b->fit;
	return a->dom < b->dom;
}

/* ---------------------------------------------------------------- assign, roll back */

static int do_assign(ostro_ctx_t *c, uint32_t u, uint32_t loc)
{
	int rc = c->core->assign(c->cy, u, loc);

	if (rc < 0)
		return call_failed(c, "assign", u, rc);
	c->log[c->n_log++] = (ostro_placed_t){u, loc};
	if (ostro_is_server(c, u)) {
		const vlt_host_t *h = &c->dc->hosts[loc];
		if (ostro_cmap_add(&c->used[VLT_LEVEL_HOST], loc, 1) < 0 ||
		    ostro_cmap_add(&c->used[VLT_LEVEL_RACK], h->rack, 1) < 0 ||
		    ostro_cmap_add(&c->used[VLT_LEVEL_CLUSTER], h->cluster, 1) < 0)
			return ostro_oom(c);
	}
	return VLT_OK;
}

/* Take back one assignment (already out of the log). */
static void undo(ostro_ctx_t *c, ostro_placed_t p)
{
	c->core->unassign(c->cy, p.unit);
	if (ostro_is_server(c, p.unit)) {
		const vlt_host_t *h = &c->dc->hosts[p.loc];
		ostro_cmap_add(&c->used[VLT_LEVEL_HOST], p.loc, -1);
		ostro_cmap_add(&c->used[VLT_LEVEL_RACK], h->rack, -1);
		ostro_cmap_add(&c->used[VLT_LEVEL_CLUSTER], h->cluster, -1);
		c->gen[VLT_LEVEL_RACK][h->rack]++;
		c->gen[VLT_LEVEL_CLUSTER][h->cluster]++;
	}
}

/* Take back every assignment made since the log had `mark` entries. */
static void unwind(ostro_ctx_t *c, uint32_t mark)
{
	while (c->n_log > mark)
		undo(c, c->log[--c->n_log]);
}

/* Remember the first unit of this top-level node that found no place, and the state then. */
static void record_failure(ostro_ctx_t *c, uint32_t u)
{
	if (c->fail_unit != VLT_NONE)
		return;
	c->fail_unit = u;
	c->n_fail_log = c->n_log - c->top_mark;
	memcpy(c->fail_log, c->log + c->top_mark, c->n_fail_log * sizeof(*c->fail_log));
}

/* ---------------------------------------------------------------- search */

static int place_node(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t wl, uint32_t wd);

/* Does every server of the node pass check() in domain d of level lvl? */
static int node_check(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		if (!ostro_is_server(c, u))
			continue;
		int v = c->core->check(c->cy, u, lvl, d);
		if (v < 0)
			return call_failed(c, "check", u, v);
		if (v != VLT_PASS)
			return TRY_REJECT;
	}
	return VLT_PASS;
}

/* A volume goes on the pool that passes check with the lowest cost, then the most free. */
static int place_volume(ostro_ctx_t *c, uint32_t u)
{
	int64_t size = c->st->units[u].demand[VLT_RES_DISK_GB];
	uint32_t best = VLT_NONE;
	double best_cost = 0;
	int64_t best_free = 0;

	for (uint32_t p = 0; p < c->dc->n_pools; p++) {
		int64_t free_gb = c->v->pool_free_gb[p];
		if (free_gb < size)
			continue;
		int v = c->core->check(c->cy, u, VLT_LEVEL_HOST, p);
		if (v < 0)
			return call_failed(c, "check", u, v);
		if (v != VLT_PASS)
			continue;
		double cost = c->core->cost(c->cy, u, p);
		if (best == VLT_NONE || cost_less(cost, best_cost) ||
		    (!cost_less(best_cost, cost) && free_gb > best_free)) {
			best = p;
			best_cost = cost;
			best_free = free_gb;
		}
	}
	if (best == VLT_NONE) {
		record_failure(c, u);
		return VLT_ENOPLACE;
	}
	return do_assign(c, u, best);
}

/* Place a group node's members inside domain d of level lvl, the node's own level. */
static int place_members(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	int rc;

	if (lvl != VLT_LEVEL_HOST) {
		for (uint32_t i = 0; i < n->n_kids; i++) {
			rc = place_node(c, &c->nodes[n->kids[i]], lvl, d);
			if (rc != VLT_OK)
				return rc;
		}
		return VLT_OK;
	}
	/* One host for all: nested groups can only agree. */
	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		if (!ostro_is_server(c, u)) {
			rc = place_volume(c, u);
		} else {
			int v = c->core->check(c->cy, u, VLT_LEVEL_HOST, d);
			if (v < 0)
				return call_failed(c, "check", u, v);
			if (v != VLT_PASS) {
				record_failure(c, u);
				return VLT_ENOPLACE;
			}
			rc = do_assign(c, u, d);
		}
		if (rc != VLT_OK)
			return rc;
	}
	return VLT_OK;
}

static int descend(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, vlt_level_t wl,
		   uint32_t wd);

/*
 * Try the node in domain d of level lvl: check, then go down (or, at the
 * node's level, place its members). RET 0, TRY_REJECT (check said no),
 * VLT_ENOPLACE (went down and failed; rolled back) or an error.
 */
static int try_domain(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	int rc = node_check(c, n, lvl, d);

	if (rc != VLT_PASS)
		return rc;
	if (n->unit != VLT_NONE && lvl == VLT_LEVEL_HOST)
		return do_assign(c, n->unit, d);

	uint32_t mark = c->n_log;
	if (n->unit == VLT_NONE && lvl <= n->level)
		rc = place_members(c, n, lvl, d);
	else
		rc = descend(c, n, (vlt_level_t)(lvl - 1), lvl, d);
	if (rc == VLT_ENOPLACE) {
		unwind(c, mark);
		c->backtracks++;
		budget_check(c);
		if (n->unit != VLT_NONE &&
		    ostro_dmap_put(&c->dead, ostro_dead_key(c->cls[n->unit], lvl, d), c->gen[lvl][d] + 1) < 0)
			return ostro_oom(c);
	}
	return rc;
}

/* Did a unit like leaf n fail to go down into d, with nothing taken back there since? */
static bool is_dead(const ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	if (n->unit == VLT_NONE || lvl == VLT_LEVEL_HOST || c->dead.used == 0)
		return false;
	return ostro_dmap_get(&c->dead, ostro_dead_key(c->cls[n->unit], lvl, d)) == c->gen[lvl][d] + 1;
}

/* Place the node in some domain of level lvl inside domain wd of level wl = lvl + 1. */
static int descend(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, vlt_level_t wl,
		   uint32_t wd)
{
	ostro_mark_t m = ostro_arena_mark(&c->arena);
	uint32_t first, count, nc = 0;
	int rc = VLT_ENOPLACE;

	domain_range(c->dc, lvl, wl, wd, &first, &count);
	cand_t *cs = ostro_arena_alloc(&c->arena, (size_t)count * sizeof(*cs));
	if (cs == NULL)
		return ostro_oom(c);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t d = first + i;
		if (!may_fit(c, n, lvl, d))
			continue;
		cs[nc++] = (cand_t){
			.dom = d,
			.dead = is_dead(c, n, lvl, d),
			.fits_rest = fits_rest(c, lvl, d),
			.used = ostro_cmap_get(&c->used[lvl], d) > 0,
			.cost = node_cost(c, n, lvl, d),
			.score = lvl == VLT_LEVEL_HOST ? node_score(c, n, d) : 0,
			.fit = fit_key(c, lvl, d),
		};
	}
	while (nc > 0) {
		uint32_t b = 0;
		for (uint32_t i = 1; i < nc; i++)
			if (cand_better(&cs[i], &cs[b]))
				b = i;
		uint32_t d = cs[b].dom;
		cs[b] = cs[--nc];
		if ((++c->ticks & 63) == 0)
			budget_check(c);
		rc = try_domain(c, n, lvl, d);
		if (rc == TRY_REJECT)
			continue;
		if (rc != VLT_ENOPLACE || c->exhausted)
			break;
	}
	ostro_arena_release(&c->arena, m);
	return rc == TRY_REJECT ? VLT_ENOPLACE : rc;
}

/* A server of the group that passes check() in no domain of the group's level, or VLT_NONE. */
static uint32_t lone_misfit(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, vlt_level_t wl,
			    uint32_t wd)
{
	uint32_t first, count;

	domain_range(c->dc, lvl, wl, wd, &first, &count);
	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		bool fits = false;
		if (!ostro_is_server(c, u))
			continue;
		for (uint32_t d = first; d < first + count && !fits; d++)
			fits = c->core->check(c->cy, u, lvl, d) == VLT_PASS;
		if (!fits)
			return u;
	}
	return VLT_NONE;
}

/*
 * Every member fits somewhere alone, but no domain took the group whole:
 * place it anyway in the roomiest domain where each member passes alone, so
 * that the first member with no room beside the others is recorded.
 */
static void diagnose_group(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, vlt_level_t wl,
			   uint32_t wd)
{
	uint32_t first, count, best = VLT_NONE, mark = c->n_log;
	double best_room = -1;

	domain_range(c->dc, lvl, wl, wd, &first, &count);
	for (uint32_t d = first; d < first + count; d++) {
		double room = 0;
		const int64_t *sum = sum_free(c, lvl, d);
		for (int r = 0; r < VLT_RES_COUNT; r++)
			room += c->w[r] * (double)sum[r] * c->inv_free[r];
		if (room > best_room && node_check(c, n, lvl, d) == VLT_PASS) {
			best = d;
			best_room = room;
		}
	}
	if (best != VLT_NONE && place_members(c, n, lvl, best) == VLT_OK)
		c->fail_unit = VLT_NONE; /* it fit after all: blame no member */
	unwind(c, mark);
}

/* Record whom to blame when node n found no place inside domain wd of level wl. */
static void blame(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t wl, uint32_t wd)
{
	vlt_level_t lvl = n->level < wl ? n->level : wl;
	uint32_t u;

	if (c->fail_unit != VLT_NONE)
		return;
	if (n->unit != VLT_NONE) {
		record_failure(c, n->unit);
		return;
	}
	u = lone_misfit(c, n, lvl, wl, wd);
	if (u == VLT_NONE)
		diagnose_group(c, n, lvl, wl, wd);
	if (u == VLT_NONE && c->fail_unit == VLT_NONE)
		for (uint32_t i = 0; i < n->n_members && u == VLT_NONE; i++)
			if (ostro_is_server(c, n->members[i]))
				u = n->members[i];
	if (u != VLT_NONE)
		record_failure(c, u);
}

/* Place the node somewhere inside domain wd of level wl. */
static int place_node(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t wl, uint32_t wd)
{
	int rc = VLT_OK;

	if (n->n_servers == 0) {
		for (uint32_t i = 0; i < n->n_members && rc == VLT_OK; i++)
			rc = place_volume(c, n->members[i]);
		return rc;
	}
	if (n->unit == VLT_NONE && n->level >= wl)
		rc = place_members(c, n, wl, wd);
	else if (wl == VLT_LEVEL_HOST)
		rc = try_domain(c, n, wl, wd);
	else
		rc = descend(c, n, (vlt_level_t)(wl - 1), wl, wd);
	if (rc == TRY_REJECT)
		rc = VLT_ENOPLACE;
	if (rc == VLT_ENOPLACE)
		blame(c, n, wl, wd);
	return rc;
}

/*
 * Explain the failure of top-level node n: put back what was assigned when
 * its first unit found no place, let the core explain that unit, take it
 * all back again.
 */
static void report_failure(ostro_ctx_t *c, const ostro_node_t *n)
{
	uint32_t u = c->fail_unit != VLT_NONE ? c->fail_unit : n->members[0];

	unwind(c, c->top_mark);
	for (uint32_t i = 0; i < c->n_fail_log; i++)
		if (do_assign(c, c->fail_log[i].unit, c->fail_log[i].loc) < 0)
			break;
	c->core->note_failure(c->cy, u);
	unwind(c, c->top_mark);
}

/* ---------------------------------------------------------------- passes */

static int prepare(ostro_ctx_t *c)
{
	uint32_t nu = c->st->n_units;
	int rc = ostro_build(c);

	if (rc < 0)
		return rc;
	c->log = ostro_arena_alloc(&c->arena, nu * sizeof(*c->log));
	c->fail_log = ostro_arena_alloc(&c->arena, nu * sizeof(*c->fail_log));
	if (c->log == NULL || c->fail_log == NULL)
		return ostro_oom(c);
	c->gen[VLT_LEVEL_RACK] = ostro_arena_alloc(&c->arena, (c->dc->n_racks + 1) * sizeof(uint32_t));
	c->gen[VLT_LEVEL_CLUSTER] =
		ostro_arena_alloc(&c->arena, (c->dc->n_clusters + 1) * sizeof(uint32_t));
	if (c->gen[VLT_LEVEL_RACK] == NULL || c->gen[VLT_LEVEL_CLUSTER] == NULL)
		return ostro_oom(c);
	for (int l = VLT_LEVEL_HOST; l < VLT_LEVEL_DC; l++)
		if (ostro_cmap_init(&c->used[l], 4 * (nu + 1)) < 0)
			return ostro_oom(c);
	return VLT_OK;
}

/* Place the top-level nodes in order. OUT *failed - where in the order the failing node is. */
static int place_all(ostro_ctx_t *c, uint32_t *failed)
{
	for (uint32_t i = 0; i < c->n_order; i++) {
		uint32_t t = c->order[i];
		const ostro_node_t *n = &c->nodes[t];
		int64_t *rest = c->comp_rest[c->comp[t]];

		c->rest = rest;
		c->top_mark = c->n_log;
		c->fail_unit = VLT_NONE;
		int rc = place_node(c, n, VLT_LEVEL_DC, 0);
		if (rc == VLT_ENOPLACE)
			*failed = i;
		if (rc < 0)
			return rc;
		for (int r = 0; r < VLT_RES_COUNT; r++)
			rest[r] -= n->demand[r];
		budget_check(c);
	}
	return VLT_OK;
}

/* Move the node at position i of the order to the front; the others keep their order. */
static void promote(ostro_ctx_t *c, uint32_t i)
{
	uint32_t t = c->order[i];

	memmove(c->order + 1, c->order, i * sizeof(*c->order));
	c->order[0] = t;
}

/*
 * Place every node; when one finds no place, start again with that node
 * first (it is the hard one), up to OSTRO_MAX_RESTARTS times within the
 * bounds. Each restart counts as a backtrack.
 */
static int search(ostro_ctx_t *c)
{
	size_t rest_size = c->n_nodes * sizeof(*c->comp_rest);
	int64_t(*rest0)[VLT_RES_COUNT] = ostro_arena_alloc(&c->arena, rest_size);

	if (rest0 == NULL)
		return ostro_oom(c);
	memcpy(rest0, c->comp_rest, rest_size);
	for (unsigned attempt = 0;; attempt++) {
		uint32_t failed = 0;
		int rc = place_all(c, &failed);
		if (rc != VLT_ENOPLACE)
			return rc;
		if (failed > 0 && attempt < OSTRO_MAX_RESTARTS && !c->exhausted) {
			c->backtracks++;
			budget_check(c);
		}
		if (failed == 0 || attempt >= OSTRO_MAX_RESTARTS || c->exhausted) {
			report_failure(c, &c->nodes[c->order[failed]]);
			return rc;
		}
		unwind(c, 0);
		memcpy(c->comp_rest, rest0, rest_size);
		promote(c, failed);
	}
}

/* ---------------------------------------------------------------- improvement */

/* Levels crossed between two placed units, as the core counts them. */
static int levels_between(const ostro_ctx_t *c, uint32_t a, uint32_t b)
{
	const vlt_dc_t *dc = c->dc;
	uint32_t la = c->v->placement[a], lb = c->v->placement[b];
	bool sa = ostro_is_server(c, a), sb = ostro_is_server(c, b);

	if (sa == sb && la == lb)
		return 0;
	uint32_t ra = sa ? dc->hosts[la].rack : dc->pools[la].rack;
	uint32_t rb = sb ? dc->hosts[lb].rack : dc->pools[lb].rack;
	uint32_t ca = sa ? dc->hosts[la].cluster : dc->pools[la].cluster;
	uint32_t cb = sb ? dc->hosts[lb].cluster : dc->pools[lb].cluster;
	if (ra != VLT_NONE && ra == rb)
		return 1;
	if (ca != VLT_NONE && ca == cb)
		return 2;
	return 3;
}

/*
 * The bandwidth cost of node t's links where it is now: a link inside the
 * node counts once. OUT *outside - whether some link leaves the node.
 */
static double node_link_cost(const ostro_ctx_t *c, uint32_t t, bool *outside)
{
	const ostro_node_t *n = &c->nodes[t];
	double cost = 0;

	*outside = false;
	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		const vlt_unit_t *unit = &c->st->units[u];
		for (uint32_t j = 0; j < unit->n_links; j++) {
			const vlt_link_t *k = &c->st->links[unit->links[j]];
			uint32_t peer = k->a == u ? k->b : k->a;
			if (peer == u || c->v->placement[peer] == VLT_NONE)
				continue;
			bool inside = c->top_of[peer] == t;
			*outside |= !inside;
			cost += (inside ? 0.5 : 1.0) * link_cost(k, levels_between(c, u, peer));
		}
	}
	return cost;
}

/* Take node n's units out of the log and back from where they are. OUT old (log order). */
static uint32_t lift_node(ostro_ctx_t *c, uint32_t t, ostro_placed_t *old)
{
	uint32_t n_old = 0, k = 0;

	for (uint32_t i = 0; i < c->n_log; i++) {
		if (c->top_of[c->log[i].unit] == t)
			old[n_old++] = c->log[i];
		else
			c->log[k++] = c->log[i];
	}
	c->n_log = k;
	for (uint32_t i = n_old; i-- > 0;)
		undo(c, old[i]);
	return n_old;
}

/*
 * Place node t again, the rest of the stack fixed: keep the new place if
 * it costs strictly less bandwidth, else put the node back. OUT *moved.
 */
static int replace_node(ostro_ctx_t *c, uint32_t t, ostro_placed_t *old, bool *moved)
{
	bool outside;
	double before = node_link_cost(c, t, &outside);
	uint32_t n_old, mark;
	int rc;

	*moved = false;
	if (!outside || before <= 0)
		return VLT_OK;
	n_old = lift_node(c, t, old);
	mark = c->n_log;
	c->top_mark = mark;
	c->fail_unit = VLT_NONE;
	c->rest = c->comp_rest[c->comp[t]];
	rc = place_node(c, &c->nodes[t], VLT_LEVEL_DC, 0);
	if (rc == VLT_OK && cost_less(node_link_cost(c, t, &outside), before)) {
		*moved = true;
		return VLT_OK;
	}
	if (rc != VLT_OK && rc != VLT_ENOPLACE)
		return rc;
	unwind(c, mark);
	for (uint32_t i = 0; i < n_old; i++) {
		rc = do_assign(c, old[i].unit, old[i].loc);
		if (rc < 0)
			return rc;
	}
	return VLT_OK;
}

/*
 * Local improvement once every node is placed: each linked node in turn is
 * placed again with all the others where they are, which lets an early
 * node follow the peers placed after it. Up to two passes, within the
 * bounds.
 */
static int improve(ostro_ctx_t *c)
{
	ostro_placed_t *old = ostro_arena_alloc(&c->arena, c->st->n_units * sizeof(*old));

	if (old == NULL)
		return ostro_oom(c);
	for (int pass = 0; pass < 2; pass++) {
		bool any = false;
		for (uint32_t i = 0; i < c->n_order && !c->exhausted; i++) {
			bool moved;
			int rc = replace_node(c, c->order[i], old, &moved);
			if (rc < 0)
				return rc;
			any |= moved;
		}
		if (!any)
			break;
	}
	return VLT_OK;
}

/* ---------------------------------------------------------------- entry */

int ostro_solve(const vlt_core_t *core, const ostro_settings_t *set, vlt_cycle_t *cy,
		vlt_err_t *err)
{
	ostro_ctx_t c = {
		.core = core,
		.set = set,
		.cy = cy,
		.dc = core->cycle_dc(cy),
		.st = core->cycle_stack(cy),
		.v = core->cycle_view(cy),
		.err = err,
	};
	uint64_t t0 = now_ns();
	int rc;

	if (c.st->n_units == 0)
		return VLT_OK;
	c.deadline_ns = t0 + (uint64_t)set->time_budget_ms * 1000000u;
	rc = prepare(&c);
	if (rc == VLT_OK)
		rc = search(&c);
	if (rc == VLT_OK && c.st->n_links > 0)
		rc = improve(&c);
	if (rc == VLT_ENOPLACE && c.exhausted)
		vlt_log_notice(core,
			       "stack %s: search stopped after %llu backtracks in %.1f ms "
			       "(max_backtracks %lld, time_budget_ms %lld)",
			       c.st->stack_id ? c.st->stack_id : "?",
			       (unsigned long long)c.backtracks, (double)(now_ns() - t0) / 1e6,
			       (long long)set->max_backtracks, (long long)set->time_budget_ms);
	if (rc == VLT_OK || rc == VLT_ENOPLACE)
		core->metric(cy, "backtracks", (double)c.backtracks);
	for (int l = VLT_LEVEL_HOST; l < VLT_LEVEL_DC; l++)
		ostro_cmap_fini(&c.used[l]);
	ostro_dmap_fini(&c.dead);
	ostro_arena_release(&c.arena, (ostro_mark_t){NULL, 0});
	return rc;
}
