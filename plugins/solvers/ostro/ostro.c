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
 * component (restarts may rank by how much of it, see state.h), (4)
 * whether the stack already uses it, (5) best fit, (6) index; and tried in
 * that order, each after check() says yes. A descent that fails is rolled
 * back and the next candidate tried, until max_backtracks or
 * time_budget_ms is spent. When a node finds no place at all, the search
 * starts again with that node first (a few times). Once all are placed,
 * improve.c moves nodes while the placement gets better.
 *
 * The nodes and their order come from nodes.c; every buffer belongs to one
 * call (scratch.c), so the module may solve several cycles at once.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valet/core.h>

#include "state.h"

/* Candidates picked by a scan before the rest of them are sorted. */
#define SCAN_TRIES 4
/* Fresh starts with the node that failed placed first. */
#define OSTRO_MAX_RESTARTS 16

/* ---------------------------------------------------------------- state */

typedef struct cand {
	uint32_t dom;
	bool dead; /* a unit like this one failed to go down into it, and nothing left since */
	bool fits_rest;
	bool used;
	double room;      /* roomy ranking: how much of the rest the domain's sums take */
	double host_room; /* ... and its roomiest host; both 0 otherwise */
	double cost;
	double score; /* the policies' preference; hosts only */
	double fit;
} cand_t;

uint64_t ostro_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ostro_budget_check(ostro_ctx_t *c)
{
	if (c->backtracks >= c->bt_limit || ostro_now_ns() >= c->deadline_ns)
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

/* How much of the rest free amounts can take, weighted as the weights. */
static double room_for_rest(const ostro_ctx_t *c, const int64_t *sum)
{
	double room = 0;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (c->rest[r] > 0)
			room += c->w[r] * (double)(sum[r] < c->rest[r] ? sum[r] : c->rest[r]) *
				c->inv_free[r];
	return room;
}

/* Best fit: Ostro's key, the weighted share of the data center's free capacity left there. */
static double fit_key(const ostro_ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	const int64_t *sum = sum_free(c, lvl, d);
	double key = 0;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		key += (1.0 - c->w[r]) * (double)sum[r] * c->inv_free[r];
	/* a host's extra classes the stack asks (racks and clusters keep no sums of them) */
	for (uint32_t k = 0; lvl == VLT_LEVEL_HOST && k < c->n_xc; k++) {
		int64_t f = c->xw[k] > 0 ? c->core->class_free(c->cy, d, k) : 0;

		key += f > 0 ? (1.0 - c->xw[k]) * (double)f * c->x_inv_free[k] : 0;
	}
	return key;
}

/* ---------------------------------------------------------------- bandwidth cost */

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
			cost += ostro_link_cost(k, levels_to(c, lvl, d, peer));
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

static bool cand_better(const cand_t *a, const cand_t *b)
{
	if (a->dead != b->dead)
		return b->dead;
	if (ostro_cost_less(a->cost, b->cost))
		return true;
	if (ostro_cost_less(b->cost, a->cost))
		return false;
	if (a->score != b->score)
		return a->score > b->score;
	if (a->fits_rest != b->fits_rest)
		return a->fits_rest;
	if (a->room != b->room)
		return a->room > b->room;
	if (a->host_room != b->host_room)
		return a->host_room > b->host_room;
	if (a->used != b->used)
		return a->used;
	if (a->fit != b->fit)
		return a->fit < b->fit;
	return a->dom < b->dom;
}

static int cand_cmp(const void *a, const void *b)
{
	return cand_better(a, b) ? -1 : cand_better(b, a) ? 1 : 0;
}

/* ---------------------------------------------------------------- assign, roll back */

/* Keep n_hosts and stranded current as a server lands on or leaves host h. */
static void host_changed(ostro_ctx_t *c, uint32_t h, const int64_t before[VLT_RES_COUNT],
			 uint32_t was, uint32_t now)
{
	const int64_t *after = c->v->host_free[h];

	if (was == 0)
		c->n_hosts++;
	if (now == 0)
		c->n_hosts--;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		c->stranded[r] += (now > 0 ? after[r] : 0) - (was > 0 ? before[r] : 0);
}

int ostro_assign(ostro_ctx_t *c, uint32_t u, uint32_t loc)
{
	int64_t before[VLT_RES_COUNT];
	bool server = ostro_is_server(c, u);

	if (server)
		memcpy(before, c->v->host_free[loc], sizeof(before));
	int rc = c->core->assign(c->cy, u, loc);
	if (rc < 0)
		return call_failed(c, "assign", u, rc);
	c->log[c->n_log++] = (ostro_placed_t){u, loc};
	if (server) {
		const vlt_host_t *h = &c->dc->hosts[loc];
		uint32_t was = ostro_cmap_get(&c->used[VLT_LEVEL_HOST], loc);
		if (ostro_cmap_add(&c->used[VLT_LEVEL_HOST], loc, 1) < 0 ||
		    ostro_cmap_add(&c->used[VLT_LEVEL_RACK], h->rack, 1) < 0 ||
		    ostro_cmap_add(&c->used[VLT_LEVEL_CLUSTER], h->cluster, 1) < 0)
			return ostro_oom(c);
		host_changed(c, loc, before, was, was + 1);
	}
	return VLT_OK;
}

void ostro_undo(ostro_ctx_t *c, ostro_placed_t p)
{
	int64_t before[VLT_RES_COUNT];
	bool server = ostro_is_server(c, p.unit);

	if (server)
		memcpy(before, c->v->host_free[p.loc], sizeof(before));
	c->core->unassign(c->cy, p.unit);
	if (server) {
		const vlt_host_t *h = &c->dc->hosts[p.loc];
		uint32_t was = ostro_cmap_get(&c->used[VLT_LEVEL_HOST], p.loc);
		ostro_cmap_add(&c->used[VLT_LEVEL_HOST], p.loc, -1);
		ostro_cmap_add(&c->used[VLT_LEVEL_RACK], h->rack, -1);
		ostro_cmap_add(&c->used[VLT_LEVEL_CLUSTER], h->cluster, -1);
		c->gen[VLT_LEVEL_RACK][h->rack]++;
		c->gen[VLT_LEVEL_CLUSTER][h->cluster]++;
		host_changed(c, p.loc, before, was, was - 1);
	}
}

void ostro_unwind(ostro_ctx_t *c, uint32_t mark)
{
	while (c->n_log > mark)
		ostro_undo(c, c->log[--c->n_log]);
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
			return OSTRO_TRY_REJECT;
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
		if (best == VLT_NONE || ostro_cost_less(cost, best_cost) ||
		    (!ostro_cost_less(best_cost, cost) && free_gb > best_free)) {
			best = p;
			best_cost = cost;
			best_free = free_gb;
		}
	}
	if (best == VLT_NONE) {
		record_failure(c, u);
		return VLT_ENOPLACE;
	}
	return ostro_assign(c, u, best);
}

/* Place a group node's members inside domain d of level lvl, the node's own level. */
static int place_members(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	int rc;

	if (lvl != VLT_LEVEL_HOST) {
		for (uint32_t i = 0; i < n->n_kids; i++) {
			rc = ostro_place_node(c, &c->nodes[n->kids[i]], lvl, d);
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
			rc = ostro_assign(c, u, d);
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
 * node's level, place its members). RET 0, OSTRO_TRY_REJECT (check said no),
 * VLT_ENOPLACE (went down and failed; rolled back) or an error.
 */
static int try_domain(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	int rc = node_check(c, n, lvl, d);

	if (rc != VLT_PASS)
		return rc;
	if (n->unit != VLT_NONE && lvl == VLT_LEVEL_HOST)
		return ostro_assign(c, n->unit, d);

	uint32_t mark = c->n_log;
	if (n->unit == VLT_NONE && lvl <= n->level)
		rc = place_members(c, n, lvl, d);
	else
		rc = descend(c, n, (vlt_level_t)(lvl - 1), lvl, d);
	if (rc == VLT_ENOPLACE) {
		ostro_unwind(c, mark);
		c->backtracks++;
		ostro_budget_check(c);
		uint64_t key = n->unit != VLT_NONE ? ostro_dead_key(c->cls[n->unit], lvl, d) : 0;
		if (key != 0 && ostro_dmap_put(&c->dead, key, c->gen[lvl][d] + 1) < 0)
			return ostro_oom(c);
	}
	return rc;
}

/* Did a unit like leaf n fail to go down into d, with nothing taken back there since? */
static bool is_dead(const ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, uint32_t d)
{
	if (n->unit == VLT_NONE || lvl == VLT_LEVEL_HOST || c->dead.used == 0)
		return false;
	uint64_t key = ostro_dead_key(c->cls[n->unit], lvl, d);

	return ostro_dmap_get(&c->dead, key) == c->gen[lvl][d] + 1;
}

/*
 * Does node n hold the first server of a named affinity group (none of its
 * servers placed yet, in this plan or an earlier one)? Wherever it goes,
 * every later member must follow, so best fit — the domain with the least
 * room left — is the wrong choice for it: such an anchor is ranked worst fit.
 */
static bool anchors_named_affinity(const ostro_ctx_t *c, const ostro_node_t *n)
{
	if (c->core->abi_minor < 1 || c->core->group_servers == NULL)
		return false;
	for (uint32_t i = 0; i < n->n_members; i++) {
		const vlt_unit_t *u = &c->st->units[n->members[i]];
		for (uint32_t k = 0; k < u->n_groups; k++) {
			const vlt_group_t *g = &c->st->groups[u->groups[k].group];
			if (g->name != NULL && strcmp(g->type, "affinity") == 0 &&
			    c->core->group_servers(c->cy, g->id, VLT_LEVEL_DC, 0) == 0)
				return true;
		}
	}
	return false;
}

/* Place the node in some domain of level lvl inside domain wd of level wl = lvl + 1. */
static int descend(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t lvl, vlt_level_t wl,
		   uint32_t wd)
{
	ostro_mark_t m = ostro_arena_mark(&c->arena);
	uint32_t first, count, nc = 0;
	bool roomy = c->rank != OSTRO_RANK_FIT;
	bool spread = c->rank == OSTRO_RANK_SPREAD || anchors_named_affinity(c, n);
	int rc = VLT_ENOPLACE;

	domain_range(c->dc, lvl, wl, wd, &first, &count);
	c->work += count;
	/* not zeroed: every candidate read is written whole first; zeroing one per host cost more */
	cand_t *cs = ostro_arena_alloc_raw(&c->arena, (size_t)count * sizeof(*cs));
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
			.room = roomy ? room_for_rest(c, sum_free(c, lvl, d)) : 0,
			.host_room = roomy ? room_for_rest(c, max_free(c, lvl, d)) : 0,
			.used = ostro_cmap_get(&c->used[lvl], d) > 0,
			.cost = node_cost(c, n, lvl, d),
			.score = lvl == VLT_LEVEL_HOST ? node_score(c, n, d) : 0,
			.fit = spread ? -fit_key(c, lvl, d) : fit_key(c, lvl, d),
		};
	}
	for (uint32_t next = 0; next < nc; next++) {
		/* the best untried by a scan; once a few were refused, the rest sorted */
		if (next == SCAN_TRIES) {
			qsort(cs + next, nc - next, sizeof(*cs), cand_cmp);
		} else if (next < SCAN_TRIES) {
			uint32_t b = next;
			for (uint32_t i = next + 1; i < nc; i++)
				if (cand_better(&cs[i], &cs[b]))
					b = i;
			cand_t best = cs[b];
			cs[b] = cs[next];
			cs[next] = best;
		}
		uint32_t d = cs[next].dom;
		if ((++c->ticks & 63) == 0)
			ostro_budget_check(c);
		rc = try_domain(c, n, lvl, d);
		if (rc == OSTRO_TRY_REJECT)
			continue;
		if (rc != VLT_ENOPLACE || c->exhausted)
			break;
	}
	ostro_arena_release(&c->arena, m);
	return rc == OSTRO_TRY_REJECT ? VLT_ENOPLACE : rc;
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
	ostro_unwind(c, mark);
}

/* Record whom to blame when node n found no place inside domain wd of level wl. */
static void blame(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t wl, uint32_t wd)
{
	vlt_level_t lvl = n->level < wl ? n->level : wl;
	uint32_t u;

	if (c->fail_unit != VLT_NONE || c->quiet)
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

/* Place the node somewhere inside domain wd of level wl (state.h). */
int ostro_place_node(ostro_ctx_t *c, const ostro_node_t *n, vlt_level_t wl, uint32_t wd)
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
	if (rc == OSTRO_TRY_REJECT)
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

	ostro_unwind(c, c->top_mark);
	for (uint32_t i = 0; i < c->n_fail_log; i++)
		if (ostro_assign(c, c->fail_log[i].unit, c->fail_log[i].loc) < 0)
			break;
	c->core->note_failure(c->cy, u);
	ostro_unwind(c, c->top_mark);
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
int ostro_place_all(ostro_ctx_t *c, uint32_t *failed)
{
	for (uint32_t i = 0; i < c->n_order; i++) {
		uint32_t t = c->order[i];
		const ostro_node_t *n = &c->nodes[t];
		int64_t *rest = c->comp_rest[c->comp[t]];

		c->rest = rest;
		c->top_mark = c->n_log;
		c->fail_unit = VLT_NONE;
		int rc = ostro_place_node(c, n, VLT_LEVEL_DC, 0);
		if (rc == VLT_ENOPLACE)
			*failed = i;
		if (rc < 0)
			return rc;
		for (int r = 0; r < VLT_RES_COUNT; r++)
			rest[r] -= n->demand[r];
		ostro_budget_check(c);
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
		int rc = ostro_place_all(c, &failed);
		if (rc != VLT_ENOPLACE)
			return rc;
		if (failed > 0 && attempt < OSTRO_MAX_RESTARTS && !c->exhausted) {
			c->backtracks++;
			ostro_budget_check(c);
		}
		if (failed == 0 || attempt >= OSTRO_MAX_RESTARTS || c->exhausted) {
			report_failure(c, &c->nodes[c->order[failed]]);
			return rc;
		}
		ostro_unwind(c, 0);
		memcpy(c->comp_rest, rest0, rest_size);
		promote(c, failed);
	}
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
	uint64_t t0 = ostro_now_ns();
	int rc;

	if (c.st->n_units == 0)
		return VLT_OK;
	c.deadline_ns = t0 + (uint64_t)set->time_budget_ms * 1000000u;
	c.bt_limit = (uint64_t)set->max_backtracks;
	rc = prepare(&c);
	if (rc == VLT_OK)
		rc = search(&c);
	if (rc == VLT_OK)
		rc = ostro_improve(&c);
	if (rc == VLT_OK)
		rc = ostro_pack(&c);
	if (rc == VLT_ENOPLACE && c.exhausted)
		vlt_log_notice(core,
			       "stack %s: search stopped after %llu backtracks in %.1f ms "
			       "(max_backtracks %lld, time_budget_ms %lld)",
			       c.st->stack_id ? c.st->stack_id : "?",
			       (unsigned long long)c.backtracks,
			       (double)(ostro_now_ns() - t0) / 1e6,
			       (long long)set->max_backtracks, (long long)set->time_budget_ms);
	if (rc == VLT_OK || rc == VLT_ENOPLACE)
		core->metric(cy, "backtracks", (double)c.backtracks);
	for (int l = VLT_LEVEL_HOST; l < VLT_LEVEL_DC; l++)
		ostro_cmap_fini(&c.used[l]);
	ostro_dmap_fini(&c.dead);
	ostro_arena_release(&c.arena, (ostro_mark_t){NULL, 0});
	return rc;
}
