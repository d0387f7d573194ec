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
 * Every buffer belongs to one call (an arena freed at the end), so the
 * module may solve several cycles at once.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valet/policy.h>

#include "ostro.h"

/* The core's ranking weight of a volume attachment per level crossed (cycle.c). */
#define ATTACH_WEIGHT 1e-3
/* try_domain: check() said no; not a backtrack. */
#define TRY_REJECT 1
#define ARENA_CHUNK (64u * 1024u)
/* Fresh starts with the node that failed placed first. */
#define OSTRO_MAX_RESTARTS 16

/* ---------------------------------------------------------------- arena */

/* Per-call scratch: bump allocation in chunks, released in LIFO order. */
typedef struct chunk {
	struct chunk *prev;
	size_t used, cap;
	max_align_t data[];
} chunk_t;

typedef struct arena {
	chunk_t *top;
} arena_t;

typedef struct arena_mark {
	chunk_t *chunk;
	size_t used;
} arena_mark_t;

/* Zeroed memory valid until the arena is released past this point; NULL on ENOMEM. */
static void *arena_alloc(arena_t *a, size_t n)
{
	size_t align = sizeof(max_align_t);

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (a->top == NULL || a->top->cap - a->top->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		chunk_t *c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->prev = a->top;
		c->used = 0;
		c->cap = cap;
		a->top = c;
	}
	void *p = (char *)a->top->data + a->top->used;
	a->top->used += n;
	memset(p, 0, n);
	return p;
}

static arena_mark_t arena_mark(const arena_t *a)
{
	return (arena_mark_t){a->top, a->top != NULL ? a->top->used : 0};
}

static void arena_release(arena_t *a, arena_mark_t m)
{
	while (a->top != m.chunk) {
		chunk_t *c = a->top;
		a->top = c->prev;
		free(c);
	}
	if (a->top != NULL)
		a->top->used = m.used;
}

/* ---------------------------------------------------------------- count map */

/* Domain index -> servers of this stack in it; keys stay once added. */
typedef struct cmap {
	uint32_t *keys; /* VLT_NONE: empty */
	uint32_t *vals;
	uint32_t cap; /* a power of two */
	uint32_t used;
	uint32_t shift;
} cmap_t;

static uint32_t cmap_slot(const cmap_t *m, uint32_t key)
{
	uint32_t i = (uint32_t)(key * 2654435761u) >> m->shift;

	while (m->keys[i] != VLT_NONE && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int cmap_init(cmap_t *m, uint32_t want)
{
	uint32_t bits = 4;

	while ((1u << bits) < want && bits < 31)
		bits++;
	m->cap = 1u << bits;
	m->shift = 32 - bits;
	m->used = 0;
	m->keys = malloc(m->cap * sizeof(*m->keys));
	m->vals = malloc(m->cap * sizeof(*m->vals));
	if (m->keys == NULL || m->vals == NULL)
		return VLT_ENOMEM;
	memset(m->keys, 0xff, m->cap * sizeof(*m->keys));
	return VLT_OK;
}

static void cmap_fini(cmap_t *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = m->vals = NULL;
	m->cap = 0;
}

static uint32_t cmap_get(const cmap_t *m, uint32_t key)
{
	if (m->cap == 0)
		return 0;
	uint32_t i = cmap_slot(m, key);
	return m->keys[i] == key ? m->vals[i] : 0;
}

/* Rebuild with room for the live keys; keys whose count fell to 0 go. */
static int cmap_rehash(cmap_t *m)
{
	cmap_t old = *m;
	uint32_t live = 0;

	for (uint32_t i = 0; i < old.cap; i++)
		live += old.keys[i] != VLT_NONE && old.vals[i] > 0;
	if (cmap_init(m, 4 * (live + 1)) < 0) {
		cmap_fini(m);
		*m = old;
		return VLT_ENOMEM;
	}
	for (uint32_t i = 0; i < old.cap; i++) {
		if (old.keys[i] == VLT_NONE || old.vals[i] == 0)
			continue;
		uint32_t s = cmap_slot(m, old.keys[i]);
		m->keys[s] = old.keys[i];
		m->vals[s] = old.vals[i];
		m->used++;
	}
	cmap_fini(&old);
	return VLT_OK;
}

static int cmap_add(cmap_t *m, uint32_t key, int delta)
{
	uint32_t i = cmap_slot(m, key);

	if (m->keys[i] == key) {
		m->vals[i] = (uint32_t)((int64_t)m->vals[i] + delta);
		return VLT_OK;
	}
	if (delta <= 0)
		return VLT_OK;
	if ((m->used + 1) * 2 > m->cap) {
		if (cmap_rehash(m) < 0)
			return VLT_ENOMEM;
		i = cmap_slot(m, key);
	}
	m->keys[i] = key;
	m->vals[i] = (uint32_t)delta;
	m->used++;
	return VLT_OK;
}

/* ---------------------------------------------------------------- dead ends */

/*
 * (class of unit, level, domain) -> 1 + the domain's generation when a unit
 * of that class last failed to go down into it. A domain's generation moves
 * whenever a server inside it is taken back, which may make room again.
 */
typedef struct dmap {
	uint64_t *keys; /* 0: empty */
	uint32_t *vals;
	uint32_t cap, used;
} dmap_t;

static uint64_t dead_key(uint32_t cls, vlt_level_t lvl, uint32_t dom)
{
	return ((uint64_t)cls << 34 | (uint64_t)lvl << 32 | dom) + 1;
}

static uint32_t dmap_slot(const dmap_t *m, uint64_t key)
{
	uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);

	while (m->keys[i] != 0 && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static uint32_t dmap_get(const dmap_t *m, uint64_t key)
{
	if (m->cap == 0)
		return 0;
	uint32_t i = dmap_slot(m, key);
	return m->keys[i] == key ? m->vals[i] : 0;
}

static int dmap_put(dmap_t *m, uint64_t key, uint32_t val)
{
	if ((m->used + 1) * 2 > m->cap) {
		dmap_t big = {.cap = m->cap ? m->cap * 2 : 64};
		big.keys = calloc(big.cap, sizeof(*big.keys));
		big.vals = calloc(big.cap, sizeof(*big.vals));
		if (big.keys == NULL || big.vals == NULL) {
			free(big.keys);
			free(big.vals);
			return VLT_ENOMEM;
		}
		for (uint32_t i = 0; i < m->cap; i++) {
			if (m->keys[i] == 0)
				continue;
			uint32_t s = dmap_slot(&big, m->keys[i]);
			big.keys[s] = m->keys[i];
			big.vals[s] = m->vals[i];
			big.used++;
		}
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	uint32_t i = dmap_slot(m, key);
	m->used += m->keys[i] == 0;
	m->keys[i] = key;
	m->vals[i] = val;
	return VLT_OK;
}

static void dmap_fini(dmap_t *m)
{
	free(m->keys);
	free(m->vals);
}

/* ---------------------------------------------------------------- state */

typedef struct onode {
	uint32_t unit;     /* a leaf's unit; VLT_NONE for a group node */
	vlt_level_t level; /* a group node's servers share one domain of this level */
	uint32_t parent;   /* the enclosing node; VLT_NONE at the top */
	uint32_t *kids;    /* sub-nodes, heaviest first */
	uint32_t n_kids;
	const uint32_t *members; /* every unit under the node, in the kids' order */
	uint32_t n_members;
	uint32_t n_servers;
	int64_t demand[VLT_RES_COUNT];     /* summed over its servers */
	int64_t max_demand[VLT_RES_COUNT]; /* of its largest server, per resource */
	double weight;                     /* Ostro's weighted demand */
	bool live;                         /* group slots of empty groups are not */
} onode_t;

typedef struct placed {
	uint32_t unit, loc;
} placed_t;

typedef struct cand {
	uint32_t dom;
	bool dead; /* a unit like this one failed to go down into it, and nothing left since */
	bool fits_rest;
	bool used;
	double cost;
	double score; /* the policies' preference; hosts only */
	double fit;
} cand_t;

typedef struct ctx {
	const vlt_core_t *core;
	const ostro_settings_t *set;
	vlt_cycle_t *cy;
	const vlt_dc_t *dc;
	const vlt_stack_t *st;
	const vlt_view_t *v;
	vlt_err_t *err;
	arena_t arena;

	onode_t *nodes; /* leaves 0..n_units-1, then one slot per group */
	uint32_t n_nodes;
	uint32_t *order; /* top-level nodes in placement order */
	uint32_t *top_of; /* per unit: its top-level node */
	uint32_t n_order;
	uint32_t *comp;                  /* per node: its linked component (a node index) */
	int64_t (*comp_rest)[VLT_RES_COUNT]; /* per component: demand not yet placed */
	const int64_t *rest;             /* the current node's component */

	double w[VLT_RES_COUNT];        /* Ostro's resource weights */
	double inv_free[VLT_RES_COUNT]; /* 1 / the data center's free capacity; 0 if none */

	uint32_t *cls;               /* per unit: the lowest unit alike (demand, flavor, zone, groups) */
	uint32_t *gen[VLT_LEVEL_DC]; /* per rack and cluster: bumped when a server there goes back */
	dmap_t dead;                 /* where units alike found no place */

	placed_t *log; /* this call's assignments, in order */
	uint32_t n_log;
	cmap_t used[VLT_LEVEL_DC]; /* servers of the stack per host, rack, cluster */

	uint32_t top_mark;  /* log length when the current top-level node began */
	uint32_t fail_unit; /* the first unit that found no place, in this node */
	placed_t *fail_log; /* the assignments in force then */
	uint32_t n_fail_log;

	uint64_t backtracks;
	uint32_t ticks; /* candidates tried; the clock is read every 64 */
	uint64_t deadline_ns;
	bool exhausted; /* no more backtracking */
} ctx_t;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void budget_check(ctx_t *c)
{
	if (c->backtracks >= (uint64_t)c->set->max_backtracks || now_ns() >= c->deadline_ns)
		c->exhausted = true;
}

static int oom(ctx_t *c)
{
	return vlt_err_set(c->err, VLT_ENOMEM, "solver ostro: out of memory (stack %s)",
			   c->st->stack_id ? c->st->stack_id : "?");
}

static const char *unit_name(const ctx_t *c, uint32_t u)
{
	const vlt_unit_t *unit = &c->st->units[u];

	return unit->name != NULL ? unit->name : unit->orch_id;
}

static int call_failed(ctx_t *c, const char *what, uint32_t u, int rc)
{
	return vlt_err_set(c->err, rc, "solver ostro: %s of unit %s failed: %s", what,
			   unit_name(c, u), vlt_strerror(rc));
}

static bool is_server(const ctx_t *c, uint32_t u)
{
	return c->st->units[u].kind == VLT_UNIT_SERVER;
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

static const int64_t *sum_free(const ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	if (lvl == VLT_LEVEL_RACK)
		return c->v->rack_free[d];
	if (lvl == VLT_LEVEL_CLUSTER)
		return c->v->cluster_free[d];
	return c->v->host_free[d];
}

static const int64_t *max_free(const ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	if (lvl == VLT_LEVEL_RACK)
		return c->v->rack_max_free[d];
	if (lvl == VLT_LEVEL_CLUSTER)
		return c->v->cluster_max_free[d];
	return c->v->host_free[d];
}

/* A necessary condition read from the view: the node's sum and its largest server fit. */
static bool may_fit(const ctx_t *c, const onode_t *n, vlt_level_t lvl, uint32_t d)
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

static bool fits_rest(const ctx_t *c, vlt_level_t lvl, uint32_t d)
{
	const int64_t *sum = sum_free(c, lvl, d);

	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (c->rest[r] > 0 && sum[r] < c->rest[r])
			return false;
	return true;
}

/* Best fit: Ostro's key, the weighted share of the data center's free capacity left there. */
static double fit_key(const ctx_t *c, vlt_level_t lvl, uint32_t d)
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
		return ATTACH_WEIGHT * levels;
	return 2.0 * k->mbps * levels;
}

/*
 * The fewest levels crossed between a server somewhere in rack or cluster d
 * and a placed peer: 0 for a server peer inside (it may share the host).
 */
static int levels_to(const ctx_t *c, vlt_level_t lvl, uint32_t d, uint32_t peer)
{
	const vlt_dc_t *dc = c->dc;
	uint32_t loc = c->v->placement[peer];
	bool server = is_server(c, peer);
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
static double node_cost(const ctx_t *c, const onode_t *n, vlt_level_t lvl, uint32_t d)
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
static double node_score(const ctx_t *c, const onode_t *n, uint32_t h)
{
	double score = 0;

	for (uint32_t i = 0; i < n->n_members; i++)
		if (is_server(c, n->members[i]))
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

static int do_assign(ctx_t *c, uint32_t u, uint32_t loc)
{
	int rc = c->core->assign(c->cy, u, loc);

	if (rc < 0)
		return call_failed(c, "assign", u, rc);
	c->log[c->n_log++] = (placed_t){u, loc};
	if (is_server(c, u)) {
		const vlt_host_t *h = &c->dc->hosts[loc];
		if (cmap_add(&c->used[VLT_LEVEL_HOST], loc, 1) < 0 ||
		    cmap_add(&c->used[VLT_LEVEL_RACK], h->rack, 1) < 0 ||
		    cmap_add(&c->used[VLT_LEVEL_CLUSTER], h->cluster, 1) < 0)
			return oom(c);
	}
	return VLT_OK;
}

/* Take back one assignment (already out of the log). */
static void undo(ctx_t *c, placed_t p)
{
	c->core->unassign(c->cy, p.unit);
	if (is_server(c, p.unit)) {
		const vlt_host_t *h = &c->dc->hosts[p.loc];
		cmap_add(&c->used[VLT_LEVEL_HOST], p.loc, -1);
		cmap_add(&c->used[VLT_LEVEL_RACK], h->rack, -1);
		cmap_add(&c->used[VLT_LEVEL_CLUSTER], h->cluster, -1);
		c->gen[VLT_LEVEL_RACK][h->rack]++;
		c->gen[VLT_LEVEL_CLUSTER][h->cluster]++;
	}
}

/* Take back every assignment made since the log had `mark` entries. */
static void unwind(ctx_t *c, uint32_t mark)
{
	while (c->n_log > mark)
		undo(c, c->log[--c->n_log]);
}

/* Remember the first unit of this top-level node that found no place, and the state then. */
static void record_failure(ctx_t *c, uint32_t u)
{
	if (c->fail_unit != VLT_NONE)
		return;
	c->fail_unit = u;
	c->n_fail_log = c->n_log - c->top_mark;
	memcpy(c->fail_log, c->log + c->top_mark, c->n_fail_log * sizeof(*c->fail_log));
}

/* ---------------------------------------------------------------- search */

static int place_node(ctx_t *c, const onode_t *n, vlt_level_t wl, uint32_t wd);

/* Does every server of the node pass check() in domain d of level lvl? */
static int node_check(ctx_t *c, const onode_t *n, vlt_level_t lvl, uint32_t d)
{
	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		if (!is_server(c, u))
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
static int place_volume(ctx_t *c, uint32_t u)
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
static int place_members(ctx_t *c, const onode_t *n, vlt_level_t lvl, uint32_t d)
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
		if (!is_server(c, u)) {
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

static int descend(ctx_t *c, const onode_t *n, vlt_level_t lvl, vlt_level_t wl, uint32_t wd);

/*
 * Try the node in domain d of level lvl: check, then go down (or, at the
 * node's level, place its members). RET 0, TRY_REJECT (check said no),
 * VLT_ENOPLACE (went down and failed; rolled back) or an error.
 */
static int try_domain(ctx_t *c, const onode_t *n, vlt_level_t lvl, uint32_t d)
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
		    dmap_put(&c->dead, dead_key(c->cls[n->unit], lvl, d), c->gen[lvl][d] + 1) < 0)
			return oom(c);
	}
	return rc;
}

/* Did a unit like leaf n fail to go down into d, with nothing taken back there since? */
static bool is_dead(const ctx_t *c, const onode_t *n, vlt_level_t lvl, uint32_t d)
{
	if (n->unit == VLT_NONE || lvl == VLT_LEVEL_HOST || c->dead.used == 0)
		return false;
	return dmap_get(&c->dead, dead_key(c->cls[n->unit], lvl, d)) == c->gen[lvl][d] + 1;
}

/* Place the node in some domain of level lvl inside domain wd of level wl = lvl + 1. */
static int descend(ctx_t *c, const onode_t *n, vlt_level_t lvl, vlt_level_t wl, uint32_t wd)
{
	arena_mark_t m = arena_mark(&c->arena);
	uint32_t first, count, nc = 0;
	int rc = VLT_ENOPLACE;

	domain_range(c->dc, lvl, wl, wd, &first, &count);
	cand_t *cs = arena_alloc(&c->arena, (size_t)count * sizeof(*cs));
	if (cs == NULL)
		return oom(c);
	for (uint32_t i = 0; i < count; i++) {
		uint32_t d = first + i;
		if (!may_fit(c, n, lvl, d))
			continue;
		cs[nc++] = (cand_t){
			.dom = d,
			.dead = is_dead(c, n, lvl, d),
			.fits_rest = fits_rest(c, lvl, d),
			.used = cmap_get(&c->used[lvl], d) > 0,
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
	arena_release(&c->arena, m);
	return rc == TRY_REJECT ? VLT_ENOPLACE : rc;
}

/* A server of the group that passes check() in no domain of the group's level, or VLT_NONE. */
static uint32_t lone_misfit(ctx_t *c, const onode_t *n, vlt_level_t lvl, vlt_level_t wl,
			    uint32_t wd)
{
	uint32_t first, count;

	domain_range(c->dc, lvl, wl, wd, &first, &count);
	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		bool fits = false;
		if (!is_server(c, u))
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
static void diagnose_group(ctx_t *c, const onode_t *n, vlt_level_t lvl, vlt_level_t wl,
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
static void blame(ctx_t *c, const onode_t *n, vlt_level_t wl, uint32_t wd)
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
			if (is_server(c, n->members[i]))
				u = n->members[i];
	if (u != VLT_NONE)
		record_failure(c, u);
}

/* Place the node somewhere inside domain wd of level wl. */
static int place_node(ctx_t *c, const onode_t *n, vlt_level_t wl, uint32_t wd)
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
static void report_failure(ctx_t *c, const onode_t *n)
{
	uint32_t u = c->fail_unit != VLT_NONE ? c->fail_unit : n->members[0];

	unwind(c, c->top_mark);
	for (uint32_t i = 0; i < c->n_fail_log; i++)
		if (do_assign(c, c->fail_log[i].unit, c->fail_log[i].loc) < 0)
			break;
	c->core->note_failure(c->cy, u);
	unwind(c, c->top_mark);
}

/* ---------------------------------------------------------------- weights */

/* Ostro's weights: each resource by the share of the free capacity the stack asks for. */
static void compute_weights(ctx_t *c)
{
	double ratio[VLT_RES_COUNT], sum = 0;
	int64_t demand[VLT_RES_COUNT] = {0}, free_[VLT_RES_COUNT] = {0};

	for (uint32_t u = 0; u < c->st->n_units; u++)
		if (is_server(c, u))
			for (int r = 0; r < VLT_RES_COUNT; r++)
				demand[r] += c->st->units[u].demand[r];
	for (uint32_t k = 0; k < c->dc->n_clusters; k++)
		for (int r = 0; r < VLT_RES_COUNT; r++)
			free_[r] += c->v->cluster_free[k][r] > 0 ? c->v->cluster_free[k][r] : 0;
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		if (free_[r] > 0)
			ratio[r] = (double)demand[r] / (double)free_[r];
		else
			ratio[r] = demand[r] > 0 ? 1.0 : 0.0;
		c->inv_free[r] = free_[r] > 0 ? 1.0 / (double)free_[r] : 0.0;
		sum += ratio[r];
	}
	for (int r = 0; r < VLT_RES_COUNT; r++)
		c->w[r] = sum > 0 ? ratio[r] / sum : 1.0 / VLT_RES_COUNT;
}

static double demand_weight(const ctx_t *c, const int64_t demand[VLT_RES_COUNT])
{
	double key = 0;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		key += c->w[r] * (double)demand[r] * c->inv_free[r];
	return key;
}

/* ---------------------------------------------------------------- nodes */

typedef struct wkey {
	double weight;
	uint32_t idx;
} wkey_t;

static int by_weight_desc(const void *a, const void *b)
{
	const wkey_t *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort node indices heaviest first, ties by index. */
static int sort_heaviest(ctx_t *c, uint32_t *idx, uint32_t n)
{
	arena_mark_t m = arena_mark(&c->arena);
	wkey_t *keys;

	if (n < 2)
		return VLT_OK;
	keys = arena_alloc(&c->arena, n * sizeof(*keys));
	if (keys == NULL)
		return oom(c);
	for (uint32_t i = 0; i < n; i++)
		keys[i] = (wkey_t){c->nodes[idx[i]].weight, idx[i]};
	qsort(keys, n, sizeof(*keys), by_weight_desc);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = keys[i].idx;
	arena_release(&c->arena, m);
	return VLT_OK;
}

/* Demand, weight and member list of node i, its kids first. */
static int finish_node(ctx_t *c, uint32_t i)
{
	onode_t *n = &c->nodes[i];
	uint32_t *members, k = 0;
	int rc;

	if (n->unit != VLT_NONE) {
		const vlt_unit_t *unit = &c->st->units[n->unit];
		n->members = &n->unit;
		n->n_members = 1;
		if (unit->kind == VLT_UNIT_SERVER) {
			n->n_servers = 1;
			memcpy(n->demand, unit->demand, sizeof(n->demand));
			memcpy(n->max_demand, unit->demand, sizeof(n->max_demand));
		}
		n->weight = demand_weight(c, n->demand);
		return VLT_OK;
	}
	for (uint32_t j = 0; j < n->n_kids; j++) {
		const onode_t *kid = &c->nodes[n->kids[j]];
		rc = finish_node(c, n->kids[j]);
		if (rc < 0)
			return rc;
		n->n_members += kid->n_members;
		n->n_servers += kid->n_servers;
		for (int r = 0; r < VLT_RES_COUNT; r++) {
			n->demand[r] += kid->demand[r];
			if (kid->max_demand[r] > n->max_demand[r])
				n->max_demand[r] = kid->max_demand[r];
		}
	}
	n->weight = demand_weight(c, n->demand);
	rc = sort_heaviest(c, n->kids, n->n_kids);
	if (rc < 0)
		return rc;
	members = arena_alloc(&c->arena, n->n_members * sizeof(*members));
	if (members == NULL)
		return oom(c);
	for (uint32_t j = 0; j < n->n_kids; j++) {
		const onode_t *kid = &c->nodes[n->kids[j]];
		memcpy(members + k, kid->members, kid->n_members * sizeof(*members));
		k += kid->n_members;
	}
	n->members = members;
	return VLT_OK;
}

static bool is_affinity(const vlt_stack_t *st, uint32_t g)
{
	return g != VLT_NONE && st->groups[g].type != NULL &&
	       strcmp(st->groups[g].type, "affinity") == 0;
}

static uint32_t uf_find(uint32_t *uf, uint32_t x)
{
	while (uf[x] != x) {
		uf[x] = uf[uf[x]];
		x = uf[x];
	}
	return x;
}

/*
 * The affinity structure: for each affinity group its nearest affinity
 * ancestor (up) and top-most one (top); for each unit its innermost
 * affinity group (inner) when its affinity groups form one chain. Units in
 * affinity groups of different trees join those trees (uf); such a joined
 * tree, or one where a unit's groups do not form a chain, is flattened:
 * one node at the highest level, every unit a direct member.
 */
typedef struct aff {
	uint32_t *up, *top, *uf, *inner, *root;
	bool *flat;
} aff_t;

static uint32_t innermost(const vlt_stack_t *st, const aff_t *a, const vlt_unit_t *unit)
{
	uint32_t n_aff = 0;

	for (uint32_t i = 0; i < unit->n_groups; i++)
		n_aff += is_affinity(st, unit->groups[i].group);
	for (uint32_t i = 0; i < unit->n_groups; i++) {
		uint32_t g = unit->groups[i].group, above = 0;
		if (!is_affinity(st, g))
			continue;
		/* count the unit's other affinity groups that enclose g */
		for (uint32_t p = a->up[g]; p != VLT_NONE; p = a->up[p])
			for (uint32_t j = 0; j < unit->n_groups; j++)
				above += unit->groups[j].group == p;
		if (above + 1 >= n_aff)
			return g;
	}
	return VLT_NONE;
}

static int scan_affinity(ctx_t *c, aff_t *a)
{
	const vlt_stack_t *st = c->st;
	uint32_t ng = st->n_groups, nu = st->n_units;

	a->up = arena_alloc(&c->arena, (ng + 1) * sizeof(uint32_t));
	a->top = arena_alloc(&c->arena, (ng + 1) * sizeof(uint32_t));
	a->uf = arena_alloc(&c->arena, (ng + 1) * sizeof(uint32_t));
	a->flat = arena_alloc(&c->arena, (ng + 1) * sizeof(bool));
	a->inner = arena_alloc(&c->arena, (nu + 1) * sizeof(uint32_t));
	a->root = arena_alloc(&c->arena, (nu + 1) * sizeof(uint32_t));
	if (!a->up || !a->top || !a->uf || !a->flat || !a->inner || !a->root)
		return oom(c);
	for (uint32_t g = 0; g < ng; g++) {
		uint32_t p = st->groups[g].parent;
		while (p != VLT_NONE && !is_affinity(st, p))
			p = st->groups[p].parent;
		a->up[g] = p;
		a->uf[g] = g;
	}
	for (uint32_t g = 0; g < ng; g++)
		for (a->top[g] = g; a->up[a->top[g]] != VLT_NONE;)
			a->top[g] = a->up[a->top[g]];
	for (uint32_t u = 0; u < nu; u++) {
		const vlt_unit_t *unit = &st->units[u];
		uint32_t root = VLT_NONE;
		for (uint32_t i = 0; i < unit->n_groups; i++) {
			uint32_t g = unit->groups[i].group;
			if (!is_affinity(st, g))
				continue;
			uint32_t t = uf_find(a->uf, a->top[g]);
			if (root == VLT_NONE) {
				root = t;
			} else if (t != root) {
				a->uf[t] = root;
				a->flat[root] = true;
			}
		}
		a->inner[u] = root != VLT_NONE ? innermost(st, a, unit) : VLT_NONE;
		if (root != VLT_NONE && a->inner[u] == VLT_NONE)
			a->flat[root] = true;
	}
	for (uint32_t g = 0; g < ng; g++)
		if (a->flat[g] && a->uf[g] != g)
			a->flat[uf_find(a->uf, g)] = true;
	for (uint32_t u = 0; u < nu; u++) {
		const vlt_unit_t *unit = &st->units[u];
		a->root[u] = VLT_NONE;
		for (uint32_t i = 0; i < unit->n_groups && a->root[u] == VLT_NONE; i++)
			if (is_affinity(st, unit->groups[i].group))
				a->root[u] = uf_find(a->uf, a->top[unit->groups[i].group]);
	}
	return VLT_OK;
}

/* Mark the live nodes and give each its parent and level. */
static void set_parents(ctx_t *c, const aff_t *a)
{
	const vlt_stack_t *st = c->st;
	uint32_t nu = st->n_units, ng = st->n_groups;

	for (uint32_t u = 0; u < nu; u++) {
		onode_t *n = &c->nodes[u];
		n->unit = u;
		n->level = VLT_LEVEL_HOST;
		n->live = true;
		n->parent = VLT_NONE;
		if (a->root[u] == VLT_NONE)
			continue;
		if (a->flat[a->root[u]]) {
			n->parent = nu + a->root[u];
			continue;
		}
		n->parent = nu + a->inner[u];
		/* every affinity group above a member is live */
		for (uint32_t g = a->inner[u]; g != VLT_NONE && !c->nodes[nu + g].live; g = a->up[g])
			c->nodes[nu + g].live = true;
	}
	for (uint32_t g = 0; g < ng; g++) {
		onode_t *n = &c->nodes[nu + g];
		n->unit = VLT_NONE;
		n->parent = VLT_NONE;
		if (!is_affinity(st, g))
			continue;
		uint32_t root = uf_find(a->uf, a->top[g]);
		if (a->flat[root]) {
			/* the flattened node: the highest level among its groups */
			onode_t *f = &c->nodes[nu + root];
			f->live = true;
			if (st->groups[g].level > f->level)
				f->level = st->groups[g].level;
			continue;
		}
		if (st->groups[g].level > n->level)
			n->level = st->groups[g].level;
		if (n->live && a->up[g] != VLT_NONE)
			n->parent = nu + a->up[g];
	}
}

/* Give every parent the array of its kids. */
static int attach_kids(ctx_t *c)
{
	for (uint32_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].live && c->nodes[i].parent != VLT_NONE)
			c->nodes[c->nodes[i].parent].n_kids++;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		onode_t *n = &c->nodes[i];
		if (n->n_kids == 0)
			continue;
		n->kids = arena_alloc(&c->arena, n->n_kids * sizeof(*n->kids));
		if (n->kids == NULL)
			return oom(c);
		n->n_kids = 0;
	}
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		onode_t *n = &c->nodes[i];
		if (n->live && n->parent != VLT_NONE) {
			onode_t *p = &c->nodes[n->parent];
			p->kids[p->n_kids++] = i;
		}
	}
	return VLT_OK;
}

static int build_nodes(ctx_t *c)
{
	aff_t a;
	int rc;

	c->n_nodes = c->st->n_units + c->st->n_groups;
	c->nodes = arena_alloc(&c->arena, c->n_nodes * sizeof(*c->nodes));
	if (c->nodes == NULL)
		return oom(c);
	rc = scan_affinity(c, &a);
	if (rc == VLT_OK) {
		set_parents(c, &a);
		rc = attach_kids(c);
	}
	for (uint32_t i = 0; i < c->n_nodes && rc == VLT_OK; i++) {
		onode_t *n = &c->nodes[i];
		if (n->live && n->parent == VLT_NONE && n->n_kids + (n->unit != VLT_NONE) > 0)
			rc = finish_node(c, i);
		else if (n->live && n->parent == VLT_NONE)
			n->live = false; /* a group without members */
	}
	return rc;
}

/* ---------------------------------------------------------------- order */

/* The ordering's view of a link: its bandwidth, attachments a token amount. */
static double link_pull(const vlt_link_t *k)
{
	return (k->flags & VLT_LINK_ATTACHMENT) ? ATTACH_WEIGHT : k->mbps;
}

/*
 * The top-level nodes (OUT tops, *n_top; top_of: each unit's top-level
 * node), and their linked components: c->comp maps a top-level node to its
 * component, c->comp_rest sums each component's demand.
 */
static void find_components(ctx_t *c, uint32_t *top_of, uint32_t *tops, uint32_t *n_top)
{
	const vlt_stack_t *st = c->st;

	*n_top = 0;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		const onode_t *n = &c->nodes[i];
		c->comp[i] = i;
		if (!n->live || n->parent != VLT_NONE)
			continue;
		tops[(*n_top)++] = i;
		for (uint32_t j = 0; j < n->n_members; j++)
			top_of[n->members[j]] = i;
	}
	for (uint32_t k = 0; k < st->n_links; k++) {
		const vlt_link_t *l = &st->links[k];
		if (l->a >= st->n_units || l->b >= st->n_units || link_pull(l) <= 0)
			continue;
		uint32_t x = uf_find(c->comp, top_of[l->a]), y = uf_find(c->comp, top_of[l->b]);
		if (x != y)
			c->comp[x < y ? y : x] = x < y ? x : y;
	}
	for (uint32_t i = 0; i < *n_top; i++) {
		uint32_t t = tops[i], r = uf_find(c->comp, t);
		c->comp[t] = r;
		for (int k = 0; k < VLT_RES_COUNT; k++)
			c->comp_rest[r][k] += c->nodes[t].demand[k];
	}
}

/* Scratch of order_nodes. */
typedef struct frontier {
	uint32_t *nodes; /* unordered nodes linked to ordered ones */
	uint32_t n;
	double *pull; /* per node: bandwidth to ordered nodes */
	bool *in, *done;
} frontier_t;

/* Take the frontier's node with the most bandwidth to ordered ones (then heaviest, lowest). */
static uint32_t frontier_take(const ctx_t *c, frontier_t *f)
{
	uint32_t b = 0;

	for (uint32_t i = 1; i < f->n; i++) {
		uint32_t x = f->nodes[i], y = f->nodes[b];
		double wx = c->nodes[x].weight, wy = c->nodes[y].weight;
		if (f->pull[x] > f->pull[y] ||
		    (f->pull[x] == f->pull[y] && (wx > wy || (wx == wy && x < y))))
			b = i;
	}
	uint32_t t = f->nodes[b];
	f->nodes[b] = f->nodes[--f->n];
	return t;
}

/* Node t is ordered: its unordered linked nodes join the frontier or pull harder. */
static void frontier_grow(const ctx_t *c, frontier_t *f, const uint32_t *top_of, uint32_t t)
{
	const onode_t *n = &c->nodes[t];

	for (uint32_t j = 0; j < n->n_members; j++) {
		const vlt_unit_t *unit = &c->st->units[n->members[j]];
		for (uint32_t i = 0; i < unit->n_links; i++) {
			const vlt_link_t *l = &c->st->links[unit->links[i]];
			uint32_t peer = l->a == n->members[j] ? l->b : l->a;
			uint32_t pt = top_of[peer];
			if (pt == VLT_NONE || f->done[pt] || link_pull(l) <= 0)
				continue;
			f->pull[pt] += link_pull(l);
			if (!f->in[pt]) {
				f->in[pt] = true;
				f->nodes[f->n++] = pt;
			}
		}
	}
}

/*
 * The placement order: the heaviest node first; then, while some unordered
 * node is linked to ordered ones, the one with the most bandwidth to them
 * (ties: heaviest, then index); otherwise the heaviest left.
 */
static int order_nodes(ctx_t *c, uint32_t *top_of)
{
	uint32_t n_top = 0, next_heavy = 0;
	size_t n = c->n_nodes;
	frontier_t f = {0};
	uint32_t *tops;

	tops = arena_alloc(&c->arena, n * sizeof(*tops));
	f.nodes = arena_alloc(&c->arena, n * sizeof(*f.nodes));
	f.pull = arena_alloc(&c->arena, n * sizeof(*f.pull));
	f.in = arena_alloc(&c->arena, n * sizeof(*f.in));
	f.done = arena_alloc(&c->arena, n * sizeof(*f.done));
	c->order = arena_alloc(&c->arena, n * sizeof(*c->order));
	c->comp = arena_alloc(&c->arena, n * sizeof(*c->comp));
	c->comp_rest = arena_alloc(&c->arena, n * sizeof(*c->comp_rest));
	if (!tops || !f.nodes || !f.pull || !f.in || !f.done || !c->order || !c->comp ||
	    !c->comp_rest)
		return oom(c);
	find_components(c, top_of, tops, &n_top);
	int rc = sort_heaviest(c, tops, n_top);
	if (rc < 0)
		return rc;
	while (c->n_order < n_top) {
		uint32_t t;
		if (f.n > 0) {
			t = frontier_take(c, &f);
		} else {
			while (f.done[tops[next_heavy]])
				next_heavy++;
			t = tops[next_heavy];
		}
		f.done[t] = true;
		c->order[c->n_order++] = t;
		frontier_grow(c, &f, top_of, t);
	}
	return VLT_OK;
}

/* ---------------------------------------------------------------- units alike */

static bool same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s != NULL && *s; s++)
		h = hash_mix(h, (unsigned char)*s);
	return hash_mix(h, 0xff);
}

/* What check() reads of a server, links aside: demand, flavor, zone, groups. */
static uint64_t unit_hash(const vlt_unit_t *u)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		h = hash_mix(h, (uint64_t)u->demand[r]);
	h = hash_str(hash_str(h, u->flavor), u->az);
	for (uint32_t i = 0; i < u->n_groups; i++)
		h = hash_mix(h, u->groups[i].group);
	return h;
}

static bool units_alike(const vlt_unit_t *a, const vlt_unit_t *b)
{
	if (a->kind != b->kind || a->n_groups != b->n_groups ||
	    memcmp(a->demand, b->demand, sizeof(a->demand)) != 0 ||
	    !same_str(a->flavor, b->flavor) || !same_str(a->az, b->az))
		return false;
	for (uint32_t i = 0; i < a->n_groups; i++)
		if (a->groups[i].group != b->groups[i].group)
			return false;
	return true;
}

/* c->cls: each unit's class, the lowest unit alike, so that dead ends are shared. */
static int classify_units(ctx_t *c)
{
	uint32_t nu = c->st->n_units, cap = 16;
	uint32_t *table;

	while (cap < 2 * nu)
		cap *= 2;
	c->cls = arena_alloc(&c->arena, nu * sizeof(*c->cls));
	table = arena_alloc(&c->arena, cap * sizeof(*table));
	if (c->cls == NULL || table == NULL)
		return oom(c);
	memset(table, 0xff, cap * sizeof(*table));
	for (uint32_t u = 0; u < nu; u++) {
		const vlt_unit_t *unit = &c->st->units[u];
		uint32_t i = (uint32_t)(unit_hash(unit) >> 32) & (cap - 1);
		while (table[i] != VLT_NONE && !units_alike(&c->st->units[table[i]], unit))
			i = (i + 1) & (cap - 1);
		if (table[i] == VLT_NONE)
			table[i] = u;
		c->cls[u] = table[i];
	}
	return VLT_OK;
}

/* ---------------------------------------------------------------- entry */

static int prepare(ctx_t *c)
{
	uint32_t nu = c->st->n_units;
	uint32_t *top_of;
	int rc;

	compute_weights(c);
	rc = build_nodes(c);
	if (rc < 0)
		return rc;
	top_of = arena_alloc(&c->arena, nu * sizeof(*top_of));
	c->log = arena_alloc(&c->arena, nu * sizeof(*c->log));
	c->fail_log = arena_alloc(&c->arena, nu * sizeof(*c->fail_log));
	if (top_of == NULL || c->log == NULL || c->fail_log == NULL)
		return oom(c);
	memset(top_of, 0xff, nu * sizeof(*top_of));
	c->top_of = top_of;
	rc = order_nodes(c, top_of);
	if (rc == VLT_OK)
		rc = classify_units(c);
	if (rc < 0)
		return rc;
	c->gen[VLT_LEVEL_RACK] = arena_alloc(&c->arena, (c->dc->n_racks + 1) * sizeof(uint32_t));
	c->gen[VLT_LEVEL_CLUSTER] =
		arena_alloc(&c->arena, (c->dc->n_clusters + 1) * sizeof(uint32_t));
	if (c->gen[VLT_LEVEL_RACK] == NULL || c->gen[VLT_LEVEL_CLUSTER] == NULL)
		return oom(c);
	for (int l = VLT_LEVEL_HOST; l < VLT_LEVEL_DC; l++)
		if (cmap_init(&c->used[l], 4 * (nu + 1)) < 0)
			return oom(c);
	return VLT_OK;
}

/* Place the top-level nodes in order. OUT *failed - where in the order the failing node is. */
static int place_all(ctx_t *c, uint32_t *failed)
{
	for (uint32_t i = 0; i < c->n_order; i++) {
		uint32_t t = c->order[i];
		const onode_t *n = &c->nodes[t];
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
static void promote(ctx_t *c, uint32_t i)
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
static int search(ctx_t *c)
{
	size_t rest_size = c->n_nodes * sizeof(*c->comp_rest);
	int64_t(*rest0)[VLT_RES_COUNT] = arena_alloc(&c->arena, rest_size);

	if (rest0 == NULL)
		return oom(c);
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
static int levels_between(const ctx_t *c, uint32_t a, uint32_t b)
{
	const vlt_dc_t *dc = c->dc;
	uint32_t la = c->v->placement[a], lb = c->v->placement[b];
	bool sa = is_server(c, a), sb = is_server(c, b);

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
static double node_link_cost(const ctx_t *c, uint32_t t, bool *outside)
{
	const onode_t *n = &c->nodes[t];
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
static uint32_t lift_node(ctx_t *c, uint32_t t, placed_t *old)
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
static int replace_node(ctx_t *c, uint32_t t, placed_t *old, bool *moved)
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
static int improve(ctx_t *c)
{
	placed_t *old = arena_alloc(&c->arena, c->st->n_units * sizeof(*old));

	if (old == NULL)
		return oom(c);
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

int ostro_solve(const vlt_core_t *core, const ostro_settings_t *set, vlt_cycle_t *cy,
		vlt_err_t *err)
{
	ctx_t c = {
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
		cmap_fini(&c.used[l]);
	dmap_fini(&c.dead);
	arena_release(&c.arena, (arena_mark_t){NULL, 0});
	return rc;
}
