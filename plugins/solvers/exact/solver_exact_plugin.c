/*
 * solver_exact_plugin.c - the "exact" solver: the optimal placement of a
 * small stack, for measuring the holistic solver against the optimum with
 * the same objective (docs/solver-exact.md).
 *
 * A solve:
 *  1. asks the core's check where each unit may go on its own (every
 *     policy, capacity, zone and aggregate rule of the core, and what
 *     earlier plans fixed for named groups);
 *  2. sets aside hosts interchangeable with ones kept (same free capacity,
 *     bandwidth, occupancy and candidates, in racks and clusters alike);
 *  3. refuses with VLT_E2BIG a problem above max_units or max_hosts;
 *  4. solves the MIP of mip.c, the interactions between the stack's units;
 *  5. assigns the solution through the core, checking each unit first: a
 *     rule the model does not know that rejects it becomes a no-good cut
 *     (shrunk to the assignments that matter) and the MIP is solved again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/model.h>
#include <valet/plugin.h>
#include <valet/solver.h>

#include "mip.h"

struct exact_state {
	const vlt_core_t *core; /* borrowed, lives as long as the module */
	int64_t max_units;      /* units of a stack */
	int64_t max_hosts;      /* candidate hosts once interchangeable ones are set aside */
	int64_t max_rounds;     /* MIP solves, the first included */
	double time_limit_s;    /* CBC's time over all rounds */
	bool merge_hosts;       /* set interchangeable hosts aside */
};

/* One solve's working data: everything is freed by ctx_free. */
struct ctx {
	const vlt_core_t *core;
	vlt_cycle_t *cy;
	const vlt_dc_t *dc;
	const vlt_stack_t *stack;
	const vlt_view_t *view;
	uint32_t n_units, n_servers, n_volumes;

	uint32_t **cand;   /* per unit: candidate hosts, or pools (indices in dc) */
	uint32_t *n_cand;
	bool *fixed;       /* placed before the solve: kept where it is */
	uint32_t words;    /* 64-bit words of a unit bitset */
	uint64_t *bits;    /* per host: which units may go there (words each) */
	bool *host_cand;   /* per host: some unit may go there */
	bool *host_kept;   /* per host: in the model */
	bool *pool_cand;   /* per pool */
	uint32_t *hclass;  /* per host: interchangeability class, from 1; 0 when none */
	uint32_t *rclass;  /* per rack: the same for racks */
	uint32_t n_host_cand, n_host_kept;

	/* the problem handed to mip.c */
	exact_loc_t *locs;
	uint32_t *loc_of;  /* per location: host index, or n_hosts + pool index */
	uint32_t *local;   /* per host then pool: location index or VLT_NONE */
	int64_t *rack_up, *cluster_up;
	uint32_t *rack_local, *cluster_local; /* dc index -> problem index */
	exact_unit_t *units;
	uint32_t *ucand;   /* all units' candidate locations */
	exact_link_t *links;
	exact_group_t *groups;
	uint32_t *gmem;    /* members then branches of every group */
	exact_problem_t prob;
};

/* ---------------------------------------------------------------- helpers */

static const char *unit_label(const vlt_unit_t *u)
{
	if (u->name != NULL)
		return u->name;
	return u->orch_id != NULL ? u->orch_id : "(unnamed)";
}

static const char *unit_kind(const vlt_unit_t *u)
{
	return u->kind == VLT_UNIT_VOLUME ? "volume" : "server";
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ctx_free(struct ctx *c)
{
	if (c->cand != NULL)
		for (uint32_t u = 0; u < c->n_units; u++)
			free(c->cand[u]);
	free(c->cand);
	free(c->n_cand);
	free(c->fixed);
	free(c->bits);
	free(c->host_cand);
	free(c->host_kept);
	free(c->pool_cand);
	free(c->hclass);
	free(c->rclass);
	free(c->locs);
	free(c->loc_of);
	free(c->local);
	free(c->rack_up);
	free(c->cluster_up);
	free(c->rack_local);
	free(c->cluster_local);
	free(c->units);
	free(c->ucand);
	free(c->links);
	free(c->groups);
	free(c->gmem);
}

static int oom(vlt_err_t *err)
{
	return vlt_err_set(err, VLT_ENOMEM, "exact: out of memory");
}

/* ---------------------------------------------------------------- candidates */

/* Add host h to u's candidates when the core's check passes there. */
static int try_host(struct ctx *c, uint32_t u, uint32_t h, vlt_err_t *err)
{
	int rc = c->core->check(c->cy, u, VLT_LEVEL_HOST, h);

	if (rc < 0)
		return vlt_err_set(err, rc, "exact: check of %s on host %s failed: %s",
				   unit_label(&c->stack->units[u]), c->dc->hosts[h].name,
				   vlt_strerror(rc));
	if (rc == VLT_PASS) {
		c->cand[u][c->n_cand[u]++] = h;
		c->bits[(size_t)h * c->words + u / 64] |= 1ull << (u % 64);
		c->host_cand[h] = true;
	}
	return 0;
}

/* Walk clusters, racks, hosts; a level's REJECT spares every host below. */
static int server_candidates(struct ctx *c, uint32_t u, vlt_err_t *err)
{
	const vlt_dc_t *dc = c->dc;

	for (uint32_t cl = 0; cl < dc->n_clusters; cl++) {
		const vlt_domain_t *cd = &dc->clusters[cl];
		int rc = c->core->check(c->cy, u, VLT_LEVEL_CLUSTER, cl);
		if (rc < 0)
			return vlt_err_set(err, rc, "exact: check of %s on cluster %s failed",
					   unit_label(&c->stack->units[u]), cd->name);
		if (rc != VLT_PASS)
			continue;
		for (uint32_t r = cd->first_rack; r < cd->first_rack + cd->n_racks; r++) {
			const vlt_domain_t *rd = &dc->racks[r];
			rc = c->core->check(c->cy, u, VLT_LEVEL_RACK, r);
			if (rc < 0)
				return vlt_err_set(err, rc, "exact: check of %s on rack %s failed",
						   unit_label(&c->stack->units[u]), rd->name);
			if (rc != VLT_PASS)
				continue;
			for (uint32_t h = rd->first_host; h < rd->first_host + rd->n_hosts; h++) {
				rc = try_host(c, u, h, err);
				if (rc < 0)
					return rc;
			}
		}
	}
	return 0;
}

static int volume_candidates(struct ctx *c, uint32_t u, vlt_err_t *err)
{
	for (uint32_t p = 0; p < c->dc->n_pools; p++) {
		int rc = c->core->check(c->cy, u, VLT_LEVEL_HOST, p);
		if (rc < 0)
			return vlt_err_set(err, rc, "exact: check of %s on pool %s failed",
					   unit_label(&c->stack->units[u]), c->dc->pools[p].name);
		if (rc == VLT_PASS) {
			c->cand[u][c->n_cand[u]++] = p;
			c->pool_cand[p] = true;
		}
	}
	return 0;
}

/*
 * Where each unit may go on its own, at the start of the solve. A unit
 * already placed (the core placed it before calling) stays where it is.
 * OUT *nowhere - a unit with no candidate, or VLT_NONE
 */
static int candidates(struct ctx *c, uint32_t *nowhere, vlt_err_t *err)
{
	const vlt_dc_t *dc = c->dc;

	*nowhere = VLT_NONE;
	for (uint32_t u = 0; u < c->n_units; u++) {
		const vlt_unit_t *un = &c->stack->units[u];
		bool server = un->kind == VLT_UNIT_SERVER;
		uint32_t at = c->view->placement ? c->view->placement[u] : VLT_NONE;

		c->cand[u] = malloc(((server ? dc->n_hosts : dc->n_pools) + 1) * sizeof(uint32_t));
		if (c->cand[u] == NULL)
			return oom(err);
		if (at != VLT_NONE) {
			c->fixed[u] = true;
			c->cand[u][c->n_cand[u]++] = at;
			if (server) {
				c->bits[(size_t)at * c->words + u / 64] |= 1ull << (u % 64);
				c->host_cand[at] = true;
			} else {
				c->pool_cand[at] = true;
			}
			continue;
		}
		int rc = server ? server_candidates(c, u, err) : volume_candidates(c, u, err);
		if (rc < 0)
			return rc;
		if (c->n_cand[u] == 0 && *nowhere == VLT_NONE)
			*nowhere = u;
	}
	for (uint32_t h = 0; h < dc->n_hosts; h++)
		c->n_host_cand += c->host_cand[h];
	return 0;
}

/* ---------------------------------------------------------------- interchangeable hosts */

struct i64vec {
	int64_t *v;
	uint32_t n, cap;
	bool oom;
};

static void vpush(struct i64vec *v, int64_t x)
{
	if (v->n == v->cap) {
		uint32_t ncap = v->cap ? v->cap * 2 : 256;
		int64_t *n = realloc(v->v, ncap * sizeof(*n));
		if (n == NULL) {
			v->oom = true;
			return;
		}
		v->v = n;
		v->cap = ncap;
	}
	v->v[v->n++] = x;
}

struct sigref {
	uint64_t hash;
	uint32_t idx;
};

static int sigref_cmp(const void *a, const void *b)
{
	const struct sigref *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool sig_equal(const struct i64vec *v, const uint32_t *start, uint32_t i, uint32_t j)
{
	uint32_t li = start[i + 1] - start[i], lj = start[j + 1] - start[j];

	return li == lj && memcmp(v->v + start[i], v->v + start[j], li * sizeof(int64_t)) == 0;
}

/*
 * classify - give entries with equal signatures (v->v[start[i]..start[i+1]))
 * equal class ids 1, 2, ...
 * OUT cls - n entries
 * RET 0 or VLT_ENOMEM
 */
static int classify(const struct i64vec *v, const uint32_t *start, uint32_t n, uint32_t *cls)
{
	struct sigref *r = malloc((n + 1) * sizeof(*r));
	uint32_t next = 1;

	if (r == NULL)
		return VLT_ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t hsh = 1469598103934665603ull;
		for (uint32_t k = start[i]; k < start[i + 1]; k++)
			hsh = (hsh ^ (uint64_t)v->v[k]) * 1099511628211ull;
		r[i].hash = hsh;
		r[i].idx = i;
		cls[i] = 0;
	}
	qsort(r, n, sizeof(*r), sigref_cmp);
	for (uint32_t i = 0; i < n;) {
		uint32_t j = i;
		while (j < n && r[j].hash == r[i].hash)
			j++;
		for (uint32_t k = i; k < j; k++) {
			if (cls[r[k].idx] != 0)
				continue;
			cls[r[k].idx] = next;
			for (uint32_t m = k + 1; m < j; m++)
				if (cls[r[m].idx] == 0 && sig_equal(v, start, r[k].idx, r[m].idx))
					cls[r[m].idx] = next;
			next++;
		}
		i = j;
	}
	free(r);
	return 0;
}

static uint32_t popcount_units(const uint64_t *bits, uint32_t words)
{
	uint32_t n = 0;

	for (uint32_t w = 0; w < words; w++)
		n += (uint32_t)__builtin_popcountll(bits[w]);
	return n;
}

/* What makes domain d of lvl different from its peers, whatever is inside. */
static void domain_sig(struct ctx *c, struct i64vec *v, vlt_level_t lvl, uint32_t d)
{
	const vlt_dc_t *dc = c->dc;
	bool pools = false;

	for (uint32_t p = 0; p < dc->n_pools && lvl != VLT_LEVEL_HOST && !pools; p++)
		pools = c->pool_cand[p] &&
			(lvl == VLT_LEVEL_RACK ? dc->pools[p].rack : dc->pools[p].cluster) == d;
	vpush(v, pools ? (int64_t)d + 1 : 0); /* a domain holding pools is unique */
	if (lvl == VLT_LEVEL_HOST) {
		const vlt_host_t *h = &dc->hosts[d];
		for (int r = 0; r < VLT_RES_COUNT; r++)
			vpush(v, c->view->host_free[d][r]);
		vpush(v, c->view->host_nic_free_mbps[d]);
		vpush(v, h->preloaded);
		vpush(v, h->enabled);
	} else if (lvl == VLT_LEVEL_RACK) {
		vpush(v, c->view->rack_uplink_free_mbps[d]);
		vpush(v, dc->racks[d].n_preloaded > 0);
	} else {
		vpush(v, c->view->cluster_uplink_free_mbps[d]);
		vpush(v, dc->clusters[d].n_preloaded > 0);
	}
	vpush(v, c->core->residents(c->cy, lvl, d));
	for (uint32_t g = 0; g < c->stack->n_groups; g++)
		vpush(v, c->core->group_count(c->cy, g, lvl, d));
}

/* Append the children's classes cls[0..n), sorted: their multiset. */
static void push_multiset(struct i64vec *v, uint32_t *cls, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		for (uint32_t j = i; j > 0 && cls[j - 1] > cls[j]; j--) {
			uint32_t t = cls[j];
			cls[j] = cls[j - 1];
			cls[j - 1] = t;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		vpush(v, cls[i]);
}

/*
 * Host classes: hosts with the same free capacity, bandwidth, occupancy,
 * group counts and candidate units. In each rack, keep of each class as
 * many hosts as units may use it; the rest are set aside.
 */
static int merge_hosts_in_racks(struct ctx *c)
{
	const vlt_dc_t *dc = c->dc;
	uint32_t n = c->n_host_cand, i = 0;
	uint32_t *hosts = malloc((n + 1) * sizeof(*hosts));
	uint32_t *start = malloc((n + 2) * sizeof(*start));
	uint32_t *cls = malloc((n + 1) * sizeof(*cls));
	struct i64vec v = { 0 };
	int rc = VLT_ENOMEM;

	if (!hosts || !start || !cls)
		goto out;
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		if (!c->host_cand[h])
			continue;
		hosts[i] = h;
		start[i] = v.n;
		domain_sig(c, &v, VLT_LEVEL_HOST, h);
		bool pinned = false;
		for (uint32_t u = 0; u < c->n_units && !pinned; u++)
			pinned = c->fixed[u] && c->stack->units[u].kind == VLT_UNIT_SERVER &&
				 c->cand[u][0] == h;
		vpush(&v, pinned ? (int64_t)h + 1 : 0);
		for (uint32_t w = 0; w < c->words; w++)
			vpush(&v, (int64_t)c->bits[(size_t)h * c->words + w]);
		i++;
	}
	start[n] = v.n;
	if (v.oom || classify(&v, start, n, cls) < 0)
		goto out;
	/* hosts are sorted by rack: count each class within the rack as we go */
	for (i = 0; i < n; i++) {
		uint32_t h = hosts[i], seen = 0;
		c->hclass[h] = cls[i];
		for (uint32_t k = i; k-- > 0 && dc->hosts[hosts[k]].rack == dc->hosts[h].rack;)
			seen += cls[k] == cls[i];
		c->host_kept[h] = seen < popcount_units(&c->bits[(size_t)h * c->words], c->words);
	}
	rc = 0;
out:
	free(hosts);
	free(start);
	free(cls);
	free(v.v);
	return rc;
}

static const vlt_domain_t *domain_at(const vlt_dc_t *dc, vlt_level_t lvl, uint32_t d)
{
	return lvl == VLT_LEVEL_RACK ? &dc->racks[d] : &dc->clusters[d];
}

/* The classes of the kept children of domain dd: hosts' of a rack, racks' of a cluster. */
static uint32_t kid_classes(const struct ctx *c, vlt_level_t lvl, const vlt_domain_t *dd,
			    uint32_t *kids)
{
	uint32_t nk = 0;

	if (lvl == VLT_LEVEL_RACK) {
		for (uint32_t h = dd->first_host; h < dd->first_host + dd->n_hosts; h++)
			if (c->host_kept[h])
				kids[nk++] = c->hclass[h];
		return nk;
	}
	for (uint32_t r = dd->first_rack; r < dd->first_rack + dd->n_racks; r++) {
		const vlt_domain_t *rd = &c->dc->racks[r];
		bool kept = false;
		for (uint32_t h = rd->first_host; h < rd->first_host + rd->n_hosts && !kept; h++)
			kept = c->host_kept[h];
		if (kept)
			kids[nk++] = c->rclass[r];
	}
	return nk;
}

/* Which units may go somewhere in dd. */
static void units_in(const struct ctx *c, const vlt_domain_t *dd, uint64_t *any)
{
	memset(any, 0, c->words * sizeof(*any));
	for (uint32_t h = dd->first_host; h < dd->first_host + dd->n_hosts; h++)
		for (uint32_t w = 0; c->host_cand[h] && w < c->words; w++)
			any[w] |= c->bits[(size_t)h * c->words + w];
}

/*
 * Rack (lvl RACK) or cluster (lvl CLUSTER) classes: the same own properties
 * and the same multiset of kept children's classes. Keep of each class (per
 * cluster for racks, overall for clusters) as many as units may use; set
 * the others' hosts aside.
 */
static int merge_domains(struct ctx *c, vlt_level_t lvl)
{
	const vlt_dc_t *dc = c->dc;
	uint32_t nd = lvl == VLT_LEVEL_RACK ? dc->n_racks : dc->n_clusters;
	uint32_t nkid = lvl == VLT_LEVEL_RACK ? dc->n_hosts : dc->n_racks;
	uint32_t *doms = malloc((nd + 1) * sizeof(*doms));
	uint32_t *start = malloc((nd + 2) * sizeof(*start));
	uint32_t *cls = malloc((nd + 1) * sizeof(*cls));
	uint32_t *kids = malloc((nkid + 1) * sizeof(*kids));
	uint64_t *any = calloc(c->words + 1, sizeof(*any));
	struct i64vec v = { 0 };
	uint32_t n = 0;
	int rc = VLT_ENOMEM;

	if (!doms || !start || !cls || !kids || !any)
		goto out;
	for (uint32_t d = 0; d < nd; d++) {
		uint32_t nk = kid_classes(c, lvl, domain_at(dc, lvl, d), kids);
		if (nk == 0)
			continue;
		doms[n] = d;
		start[n] = v.n;
		domain_sig(c, &v, lvl, d);
		push_multiset(&v, kids, nk);
		n++;
	}
	start[n] = v.n;
	if (v.oom || classify(&v, start, n, cls) < 0)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		const vlt_domain_t *dd = domain_at(dc, lvl, doms[i]);
		uint32_t seen = 0;
		if (lvl == VLT_LEVEL_RACK)
			c->rclass[doms[i]] = cls[i];
		for (uint32_t k = i; k-- > 0;) {
			const vlt_domain_t *kd = domain_at(dc, lvl, doms[k]);
			bool peer = lvl != VLT_LEVEL_RACK || kd->parent == dd->parent;
			seen += peer && cls[k] == cls[i];
		}
		units_in(c, dd, any);
		if (seen < popcount_units(any, c->words))
			continue;
		for (uint32_t h = dd->first_host; h < dd->first_host + dd->n_hosts; h++)
			c->host_kept[h] = false;
	}
	rc = 0;
out:
	free(doms);
	free(start);
	free(cls);
	free(kids);
	free(any);
	free(v.v);
	return rc;
}

/*
 * Set interchangeable hosts aside (see docs/solver-exact.md): exact for the
 * model, as any solution maps onto the kept hosts with the same cost.
 */
static int merge(struct ctx *c, bool enabled, vlt_err_t *err)
{
	const vlt_dc_t *dc = c->dc;

	for (uint32_t h = 0; h < dc->n_hosts; h++)
		c->host_kept[h] = c->host_cand[h];
	if (enabled && (merge_hosts_in_racks(c) < 0 || merge_domains(c, VLT_LEVEL_RACK) < 0 ||
			merge_domains(c, VLT_LEVEL_CLUSTER) < 0))
		return oom(err);
	c->n_host_kept = 0;
	for (uint32_t h = 0; h < dc->n_hosts; h++)
		c->n_host_kept += c->host_kept[h];
	return 0;
}

/* ---------------------------------------------------------------- the problem */

static uint32_t map_domain(uint32_t *local, uint32_t d, uint32_t *n, int64_t *up, int64_t free)
{
	if (local[d] == VLT_NONE) {
		local[d] = (*n)++;
		up[local[d]] = free;
	}
	return local[d];
}

/* Kept hosts, then candidate pools, with their racks and clusters numbered anew. */
static int build_locations(struct ctx *c)
{
	const vlt_dc_t *dc = c->dc;
	const vlt_view_t *vw = c->view;
	uint32_t n = c->n_host_kept, nr = 0, nc = 0;

	for (uint32_t p = 0; p < dc->n_pools; p++)
		n += c->pool_cand[p];
	c->locs = calloc(n + 1, sizeof(*c->locs));
	c->loc_of = calloc(n + 1, sizeof(*c->loc_of));
	c->local = malloc(((size_t)dc->n_hosts + dc->n_pools + 1) * sizeof(*c->local));
	c->rack_local = malloc(((size_t)dc->n_racks + 1) * sizeof(*c->rack_local));
	c->cluster_local = malloc(((size_t)dc->n_clusters + 1) * sizeof(*c->cluster_local));
	c->rack_up = calloc(n + dc->n_racks + 1, sizeof(*c->rack_up));
	c->cluster_up = calloc(n + dc->n_clusters + 1, sizeof(*c->cluster_up));
	if (!c->locs || !c->loc_of || !c->local || !c->rack_local || !c->cluster_local ||
	    !c->rack_up || !c->cluster_up)
		return VLT_ENOMEM;
	memset(c->local, 0xff, ((size_t)dc->n_hosts + dc->n_pools) * sizeof(*c->local));
	memset(c->rack_local, 0xff, dc->n_racks * sizeof(*c->rack_local));
	memset(c->cluster_local, 0xff, dc->n_clusters * sizeof(*c->cluster_local));

	uint32_t i = 0;
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		if (!c->host_kept[h])
			continue;
		const vlt_host_t *ho = &dc->hosts[h];
		exact_loc_t *l = &c->locs[i];
		l->rack = map_domain(c->rack_local, ho->rack, &nr, c->rack_up,
				     vw->rack_uplink_free_mbps[ho->rack]);
		l->cluster = map_domain(c->cluster_local, ho->cluster, &nc, c->cluster_up,
					vw->cluster_uplink_free_mbps[ho->cluster]);
		memcpy(l->free, vw->host_free[h], sizeof(l->free));
		l->nic_free_mbps = vw->host_nic_free_mbps[h];
		l->sym = c->hclass[h];
		c->loc_of[i] = h;
		c->local[h] = i++;
	}
	for (uint32_t p = 0; p < dc->n_pools; p++) {
		if (!c->pool_cand[p])
			continue;
		const vlt_pool_t *po = &dc->pools[p];
		exact_loc_t *l = &c->locs[i];
		l->pool = true;
		l->own_rack = po->rack == VLT_NONE;
		l->own_cluster = po->cluster == VLT_NONE;
		l->rack = l->own_rack ? nr++ : map_domain(c->rack_local, po->rack, &nr, c->rack_up,
							   vw->rack_uplink_free_mbps[po->rack]);
		if (l->own_rack)
			c->rack_up[l->rack] = VLT_UNLIMITED;
		l->cluster = l->own_cluster ? nc++
					    : map_domain(c->cluster_local, po->cluster, &nc,
							 c->cluster_up,
							 vw->cluster_uplink_free_mbps[po->cluster]);
		if (l->own_cluster)
			c->cluster_up[l->cluster] = VLT_UNLIMITED;
		l->free[VLT_RES_DISK_GB] = vw->pool_free_gb[p];
		l->nic_free_mbps = VLT_UNLIMITED;
		c->loc_of[i] = dc->n_hosts + p;
		c->local[dc->n_hosts + p] = i++;
	}
	c->prob.locs = c->locs;
	c->prob.n_locs = n;
	c->prob.rack_uplink_free_mbps = c->rack_up;
	c->prob.n_racks = nr;
	c->prob.cluster_uplink_free_mbps = c->cluster_up;
	c->prob.n_clusters = nc;
	return 0;
}

static int build_units(struct ctx *c)
{
	const vlt_dc_t *dc = c->dc;
	size_t total = 0;

	for (uint32_t u = 0; u < c->n_units; u++)
		total += c->n_cand[u];
	c->units = calloc(c->n_units + 1, sizeof(*c->units));
	c->ucand = malloc((total + 1) * sizeof(*c->ucand));
	if (!c->units || !c->ucand)
		return VLT_ENOMEM;
	size_t at = 0;
	for (uint32_t u = 0; u < c->n_units; u++) {
		const vlt_unit_t *un = &c->stack->units[u];
		exact_unit_t *eu = &c->units[u];
		eu->server = un->kind == VLT_UNIT_SERVER;
		if (!c->fixed[u]) /* a placed unit's capacity is held already */
			memcpy(eu->demand, un->demand, sizeof(eu->demand));
		eu->cand = c->ucand + at;
		for (uint32_t k = 0; k < c->n_cand[u]; k++) {
			uint32_t g = eu->server ? c->cand[u][k] : dc->n_hosts + c->cand[u][k];
			if (c->local[g] != VLT_NONE)
				c->ucand[at + eu->n_cand++] = c->local[g];
		}
		at += eu->n_cand;
	}
	c->prob.units = c->units;
	c->prob.n_units = c->n_units;
	return 0;
}

static int build_links(struct ctx *c)
{
	const vlt_stack_t *s = c->stack;
	uint32_t n = 0;

	c->links = calloc(s->n_links + 1, sizeof(*c->links));
	if (c->links == NULL)
		return VLT_ENOMEM;
	for (uint32_t i = 0; i < s->n_links; i++) {
		const vlt_link_t *l = &s->links[i];
		if (l->a == l->b || l->a >= c->n_units || l->b >= c->n_units)
			continue;
		c->links[n].a = l->a;
		c->links[n].b = l->b;
		c->links[n].mbps = l->mbps;
		c->links[n].attachment = (l->flags & VLT_LINK_ATTACHMENT) || l->mbps <= 0;
		n++;
	}
	c->prob.links = c->links;
	c->prob.n_links = n;
	return 0;
}

static bool group_type(const vlt_group_t *g, exact_gtype_t *t)
{
	if (g->type == NULL)
		return false;
	if (strcmp(g->type, "affinity") == 0)
		*t = EXACT_AFFINITY;
	else if (strcmp(g->type, "diversity") == 0)
		*t = EXACT_DIVERSITY;
	else if (strcmp(g->type, "exclusivity") == 0)
		*t = EXACT_EXCLUSIVITY;
	else
		return false; /* another policy's: its check still rules, through the cuts */
	return true;
}

/*
 * The stack's groups of the three known types. A member's branch is the
 * child group holding it, or the member itself; volumes count only in
 * groups above host level, as the policies hold them.
 */
static int build_groups(struct ctx *c)
{
	const vlt_stack_t *s = c->stack;
	size_t total = 0;
	uint32_t n = 0;

	for (uint32_t u = 0; u < c->n_units; u++)
		total += s->units[u].n_groups;
	c->groups = calloc(s->n_groups + 1, sizeof(*c->groups));
	c->gmem = malloc((2 * total + 1) * sizeof(*c->gmem));
	if (!c->groups || !c->gmem)
		return VLT_ENOMEM;
	size_t at = 0;
	for (uint32_t g = 0; g < s->n_groups; g++) {
		const vlt_group_t *sg = &s->groups[g];
		exact_group_t *eg = &c->groups[n];
		if (!group_type(sg, &eg->type) || sg->level > VLT_LEVEL_CLUSTER)
			continue;
		eg->level = sg->level;
		uint32_t *mem = c->gmem + at, m = 0;
		for (uint32_t u = 0; u < c->n_units; u++) {
			const vlt_unit_t *un = &s->units[u];
			if (un->kind == VLT_UNIT_VOLUME && sg->level == VLT_LEVEL_HOST)
				continue;
			for (uint32_t k = 0; k < un->n_groups; k++)
				if (un->groups[k].group == g)
					mem[m++] = u;
		}
		uint32_t *br = mem + m;
		for (uint32_t i = 0; i < m; i++) {
			const vlt_unit_t *un = &s->units[mem[i]];
			br[i] = s->n_groups + mem[i];
			for (uint32_t k = 0; k < un->n_groups; k++)
				if (un->groups[k].group == g && un->groups[k].via != VLT_NONE)
					br[i] = un->groups[k].via;
		}
		at += 2 * (size_t)m;
		if (m == 0)
			continue;
		eg->members = mem;
		eg->n_members = m;
		eg->branch = br;
		n++;
	}
	c->prob.groups = c->groups;
	c->prob.n_groups = n;
	return 0;
}

static int build_problem(struct ctx *c, vlt_err_t *err)
{
	if (build_locations(c) < 0 || build_units(c) < 0 || build_links(c) < 0 ||
	    build_groups(c) < 0)
		return oom(err);
	return 0;
}

/* ---------------------------------------------------------------- assigning */

/* The core's location of problem location l: host, or pool index. */
static uint32_t core_loc(const struct ctx *c, uint32_t l)
{
	uint32_t g = c->loc_of[l];

	return g >= c->dc->n_hosts ? g - c->dc->n_hosts : g;
}

static void unassign_all(struct ctx *c, const uint32_t *done, uint32_t n)
{
	while (n-- > 0)
		c->core->unassign(c->cy, done[n]);
}

/*
 * A check rejected unit u at location l with the units done[0..n) placed:
 * find which of them matter (take each away in turn; put it back when the
 * check then passes, as it is needed for the refusal) and forbid that
 * combination in the next rounds. Some of done[] are left unassigned: the
 * caller takes back the rest. RET 0 or a negative code.
 */
static int learn_cut(struct ctx *c, exact_cuts_t *cuts, const uint32_t *done, uint32_t n,
		     const uint32_t *sol, uint32_t u, uint32_t l)
{
	uint32_t *cu = malloc((n + 1) * sizeof(*cu)), *cl = malloc((n + 1) * sizeof(*cl));
	uint32_t m = 0;
	int rc = 0;

	if (!cu || !cl) {
		rc = VLT_ENOMEM;
		goto out;
	}
	for (uint32_t i = n; i-- > 0;) {
		uint32_t v = done[i];
		c->core->unassign(c->cy, v);
		rc = c->core->check(c->cy, u, VLT_LEVEL_HOST, core_loc(c, l));
		if (rc < 0)
			goto out;
		if (rc != VLT_PASS)
			continue; /* refused without v too: v does not matter */
		rc = c->core->assign(c->cy, v, core_loc(c, sol[v]));
		if (rc < 0)
			goto out;
		cu[m] = v;
		cl[m++] = sol[v];
	}
	cu[m] = u;
	cl[m++] = l;
	rc = exact_cuts_add(cuts, cu, cl, m);
	vlt_log_debug(c->core, "%s %s refused where the MIP put it; cut over %u placements",
		      unit_kind(&c->stack->units[u]), unit_label(&c->stack->units[u]), m);
out:
	free(cu);
	free(cl);
	return rc;
}

/*
 * Assign the solution, checking each unit first: servers, then volumes
 * (a volume counts towards its group only at rack level and above, and
 * placing the servers first lets the policies see every server when a
 * volume is asked about).
 * OUT *rejected - the unit a check refused, VLT_NONE when all went in
 * RET 0 (all assigned, or rejected and a cut learnt with nothing left
 *     assigned), or a negative code with nothing left assigned
 */
static int assign_solution(struct ctx *c, const uint32_t *sol, exact_cuts_t *cuts,
			   uint32_t *rejected)
{
	uint32_t *done = malloc((c->n_units + 1) * sizeof(*done)), n = 0;
	int rc = 0;

	*rejected = VLT_NONE;
	if (done == NULL)
		return VLT_ENOMEM;
	for (int pass = 0; pass < 2 && *rejected == VLT_NONE; pass++) {
		for (uint32_t u = 0; u < c->n_units; u++) {
			bool server = c->stack->units[u].kind == VLT_UNIT_SERVER;
			if (c->fixed[u] || server != (pass == 0))
				continue;
			uint32_t at = core_loc(c, sol[u]);
			rc = c->core->check(c->cy, u, VLT_LEVEL_HOST, at);
			if (rc < 0)
				goto fail;
			if (rc != VLT_PASS) {
				*rejected = u;
				rc = learn_cut(c, cuts, done, n, sol, u, sol[u]);
				if (rc < 0)
					goto fail;
				unassign_all(c, done, n);
				break;
			}
			rc = c->core->assign(c->cy, u, at);
			if (rc < 0)
				goto fail;
			done[n++] = u;
		}
	}
	free(done);
	return 0;
fail:
	unassign_all(c, done, n);
	free(done);
	return rc;
}

/* ---------------------------------------------------------------- solve */

static int too_big(const struct exact_state *st, const struct ctx *c, vlt_err_t *err)
{
	char units[96], hosts[96];

	if (c->n_volumes == 0)
		snprintf(units, sizeof(units), "%u servers", c->n_servers);
	else
		snprintf(units, sizeof(units), "%u units (%u servers, %u volumes)", c->n_units,
			 c->n_servers, c->n_volumes);
	if (c->n_host_kept != c->n_host_cand)
		snprintf(hosts, sizeof(hosts), "%u candidate hosts (of %u, interchangeable ones "
			 "set aside)", c->n_host_kept, c->n_host_cand);
	else
		snprintf(hosts, sizeof(hosts), "%u candidate hosts", c->n_host_kept);
	return vlt_err_set(err, VLT_E2BIG,
			   "exact: %s and %s exceed the limit (max_units %lld, max_hosts %lld); "
			   "use the ostro solver",
			   units, hosts, (long long)st->max_units, (long long)st->max_hosts);
}

static int ctx_init(struct ctx *c, const vlt_core_t *core, vlt_cycle_t *cy, vlt_err_t *err)
{
	c->core = core;
	c->cy = cy;
	c->dc = core->cycle_dc(cy);
	c->stack = core->cycle_stack(cy);
	c->view = core->cycle_view(cy);
	if (c->dc == NULL || c->stack == NULL || c->view == NULL)
		return vlt_err_set(err, VLT_EINTERNAL, "exact: the cycle has no data center, "
				   "stack or view");
	c->n_units = c->stack->n_units;
	for (uint32_t u = 0; u < c->n_units; u++) {
		if (c->stack->units[u].kind == VLT_UNIT_SERVER)
			c->n_servers++;
		else
			c->n_volumes++;
	}
	c->words = (c->n_units + 63) / 64;
	size_t nh = (size_t)c->dc->n_hosts + 1;
	c->cand = calloc(c->n_units + 1, sizeof(*c->cand));
	c->n_cand = calloc(c->n_units + 1, sizeof(*c->n_cand));
	c->fixed = calloc(c->n_units + 1, sizeof(*c->fixed));
	c->bits = calloc(nh * (c->words ? c->words : 1), sizeof(*c->bits));
	c->host_cand = calloc(nh, sizeof(*c->host_cand));
	c->host_kept = calloc(nh, sizeof(*c->host_kept));
	c->pool_cand = calloc((size_t)c->dc->n_pools + 1, sizeof(*c->pool_cand));
	c->hclass = calloc(nh, sizeof(*c->hclass));
	c->rclass = calloc((size_t)c->dc->n_racks + 1, sizeof(*c->rclass));
	if (!c->cand || !c->n_cand || !c->fixed || !c->bits || !c->host_cand || !c->host_kept ||
	    !c->pool_cand || !c->hclass || !c->rclass)
		return oom(err);
	return 0;
}

/* The first location (host or pool) where unit u passes check, or VLT_NONE. */
static uint32_t first_fit(struct ctx *c, uint32_t u)
{
	bool server = c->stack->units[u].kind == VLT_UNIT_SERVER;
	uint32_t n = server ? c->dc->n_hosts : c->dc->n_pools;

	for (uint32_t loc = 0; loc < n; loc++)
		if (c->core->check(c->cy, u, VLT_LEVEL_HOST, loc) == VLT_PASS)
			return loc;
	return VLT_NONE;
}

/*
 * With no unit to blame, place the units first-fit in order until one fits
 * nowhere, let the core explain that one in that state (it shows the rule
 * at fault: "diversity(host) web-div" rather than capacity alone), and take
 * the placements back. RET the unit blamed.
 */
static uint32_t blame_first_fit(struct ctx *c)
{
	uint32_t blamed = 0;

	for (uint32_t u = 0; u < c->n_units; u++) {
		if (c->fixed[u]) /* placed before the solve: it stays */
			continue;
		uint32_t loc = first_fit(c, u);
		if (loc == VLT_NONE || c->core->assign(c->cy, u, loc) < 0) {
			blamed = u;
			c->core->note_failure(c->cy, u);
			break;
		}
	}
	for (uint32_t u = 0; u < c->n_units; u++)
		if (!c->fixed[u])
			c->core->unassign(c->cy, u);
	return blamed;
}

/* Units fit nowhere together: blame one for the core's message. */
static int no_place(struct ctx *c, uint32_t u, const char *why, vlt_err_t *err)
{
	if (c->n_units == 0)
		return vlt_err_set(err, VLT_ENOPLACE, "exact: %s", why);
	if (u == VLT_NONE)
		u = blame_first_fit(c);
	else
		c->core->note_failure(c->cy, u);
	return vlt_err_set(err, VLT_ENOPLACE, "exact: %s %s: %s", unit_kind(&c->stack->units[u]),
			   unit_label(&c->stack->units[u]), why);
}

static void report(struct ctx *c, const exact_result_t *res, int nodes, uint32_t rounds)
{
	c->core->metric(c->cy, "gap", res->gap);
	c->core->metric(c->cy, "mip_nodes", nodes);
	c->core->metric(c->cy, "objective", res->bandwidth_cost);
	c->core->metric(c->cy, "mip_rounds", rounds);
	c->core->metric(c->cy, "candidate_hosts", c->n_host_kept);
}

/* Solve, assign, learn from rejections, until placed or out of rounds or time. */
static int solve_rounds(const struct exact_state *st, struct ctx *c, vlt_err_t *err)
{
	exact_cuts_t *cuts = exact_cuts_new();
	uint32_t *sol = calloc(c->n_units + 1, sizeof(*sol));
	exact_result_t res = { .loc = sol };
	double t0 = now_s();
	int rc = 0, nodes = 0;
	uint32_t round = 0, rejected = VLT_NONE;

	if (!cuts || !sol) {
		rc = oom(err);
		goto out;
	}
	while (round < (uint64_t)st->max_rounds) {
		double left = st->time_limit_s - (now_s() - t0);
		if (round > 0 && left <= 0)
			break;
		rc = exact_mip_solve(&c->prob, cuts, left > 0.05 ? left : 0.05, &res, err);
		if (rc < 0)
			goto out;
		round++;
		nodes += res.nodes;
		vlt_log_debug(c->core, "round %u: %d columns, %d rows, status %d, cost %g, "
			      "gap %g, %d nodes", round, res.n_cols, res.n_rows, (int)res.status,
			      res.bandwidth_cost, res.gap, res.nodes);
		if (res.status == EXACT_INFEASIBLE) {
			rc = no_place(c, rejected, round == 1 ?
				      "no placement meets every constraint together (proven "
				      "by the MIP)" :
				      "no placement meets every constraint together once "
				      "the placements the core's checks refused are excluded",
				      err);
			goto out;
		}
		if (res.status == EXACT_NO_SOLUTION) {
			/* beyond what the solver can do in its time: E2BIG, not a failure */
			rc = vlt_err_set(err, VLT_E2BIG,
					 "exact: no placement found within time_limit_s %g (none "
					 "proven impossible either); raise time_limit_s or use the "
					 "ostro solver", st->time_limit_s);
			goto out;
		}
		rc = assign_solution(c, sol, cuts, &rejected);
		if (rc < 0) {
			rc = vlt_err_set(err, rc, "exact: assigning the solution failed: %s",
					 vlt_strerror(rc));
			goto out;
		}
		if (rejected == VLT_NONE) {
			report(c, &res, nodes, round);
			if (res.status == EXACT_FEASIBLE)
				vlt_log_notice(c->core, "time limit reached: placed with a gap "
					       "of %.3g", res.gap);
			goto out;
		}
	}
	if (now_s() - t0 >= st->time_limit_s)
		rc = vlt_err_set(err, VLT_E2BIG,
				 "exact: time_limit_s %g reached after %u rounds of placements "
				 "the core's checks refused; raise time_limit_s or use the ostro "
				 "solver", st->time_limit_s, round);
	else
		rc = no_place(c, rejected, "the core's checks refused every placement the "
			      "MIP found (max_rounds reached)", err);
out:
	exact_cuts_free(cuts);
	free(sol);
	return rc;
}

static int exact_solve(void *state, vlt_cycle_t *cy, vlt_err_t *err)
{
	const struct exact_state *st = state;
	struct ctx c = { 0 };
	uint32_t nowhere;
	int rc;

	rc = ctx_init(&c, st->core, cy, err);
	if (rc < 0)
		goto out;
	rc = candidates(&c, &nowhere, err);
	if (rc < 0)
		goto out;
	if (nowhere != VLT_NONE) {
		rc = no_place(&c, nowhere, c.stack->units[nowhere].kind == VLT_UNIT_SERVER ?
			      "no host passes the checks" : "no storage pool passes the checks",
			      err);
		goto out;
	}
	if (c.n_units > (uint64_t)st->max_units) {
		c.n_host_kept = c.n_host_cand;
		rc = too_big(st, &c, err);
		goto out;
	}
	rc = merge(&c, st->merge_hosts, err);
	if (rc < 0)
		goto out;
	if (c.n_host_kept > (uint64_t)st->max_hosts) {
		rc = too_big(st, &c, err);
		goto out;
	}
	rc = build_problem(&c, err);
	if (rc < 0)
		goto out;
	rc = solve_rounds(st, &c, err);
out:
	ctx_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- life cycle */

static int positive(const vlt_core_t *core, const char *key, int64_t dflt, int64_t *out,
		    vlt_err_t *err)
{
	int rc = core->cfg_int(core, key, dflt, out, err);

	if (rc < 0)
		return rc;
	if (*out <= 0)
		return vlt_err_set(err, VLT_ECONFIG, "solver.exact: %s must be positive, not %lld",
				   key, (long long)*out);
	return 0;
}

static int exact_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	struct exact_state *st = calloc(1, sizeof(*st));
	int rc;

	if (st == NULL)
		return oom(err);
	st->core = core;
	rc = positive(core, "max_units", 20, &st->max_units, err);
	if (rc == 0)
		rc = positive(core, "max_hosts", 50, &st->max_hosts, err);
	if (rc == 0)
		rc = positive(core, "max_rounds", 20, &st->max_rounds, err);
	if (rc == 0)
		rc = core->cfg_double(core, "time_limit_s", 10, &st->time_limit_s, err);
	if (rc == 0 && !(st->time_limit_s > 0))
		rc = vlt_err_set(err, VLT_ECONFIG,
				 "solver.exact: time_limit_s must be positive, not %g",
				 st->time_limit_s);
	if (rc == 0)
		rc = core->cfg_bool(core, "merge_hosts", true, &st->merge_hosts, err);
	if (rc < 0) {
		free(st);
		return rc;
	}
	*state = st;
	return 0;
}

static void exact_fini(void *state)
{
	free(state);
}

static const vlt_solver_ops_t exact_ops = {
	.info = VLT_PLUGIN_INFO(VLT_KIND_SOLVER, vlt_solver_ops_t, "exact", "1.0.0",
				"optimal placement of small stacks (MIP, COIN-OR CBC)"),
	.init = exact_init,
	.fini = exact_fini,
	.solve = exact_solve,
};

VLT_PLUGIN_DEFINE(exact_ops);
