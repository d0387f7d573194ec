/*
 * mip.c - builds the exact solver's MIP and solves it with CBC.
 *
 * Variables (all in [0, 1]):
 *   x[u][k]  binary: unit u on its k-th candidate location;
 *   y        per linked pair, level and domain D both may be in:
 *            y <= X_a[D], y <= X_b[D], where X_u[D] is the sum of u's x
 *            over the locations inside D. The pair crosses the level when
 *            its y sum to 0 (in the relaxation, 1 - sum y is the total
 *            variation distance of the two rows);
 *   sep      per link and bandwidth-limited NIC or uplink: |X_a - X_b|;
 *   open[h]  host h holds a server of the stack;
 *   a, z, own  group domains (affinity choice, diversity branch use,
 *            exclusivity ownership).
 * Only x is integer: for integer x every other variable takes an integer
 * value at the optimum or may as well.
 *
 * Rows are collected here, then handed to CBC in one Cbc_loadProblem; a
 * model is never reused after Cbc_solve (the C interface does not allow
 * it), so each round of cuts builds anew.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <coin/Cbc_C_Interface.h>

#include "mip.h"

/* Cbc_solve goes through CBC's command-line driver (CbcMain1), which is not
 * documented as safe to run concurrently: one solve at a time. */
static pthread_mutex_t exact_cbc_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---------------------------------------------------------------- no-good cuts */

struct exact_cuts {
	uint32_t n;      /* cuts */
	uint32_t *start; /* n + 1 offsets into unit and loc */
	uint32_t *unit;
	uint32_t *loc;
	uint32_t cap_start, cap_unit, cap_loc;
};

exact_cuts_t *exact_cuts_new(void)
{
	exact_cuts_t *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->start = calloc(1, sizeof(*c->start));
	if (c->start == NULL) {
		free(c);
		return NULL;
	}
	c->cap_start = 1;
	return c;
}

void exact_cuts_free(exact_cuts_t *c)
{
	if (c == NULL)
		return;
	free(c->start);
	free(c->unit);
	free(c->loc);
	free(c);
}

static int grow(uint32_t **arr, uint32_t *cap, uint32_t need)
{
	if (need <= *cap)
		return 0;
	uint32_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	uint32_t *n = realloc(*arr, (size_t)ncap * sizeof(*n));
	if (n == NULL)
		return VLT_ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

int exact_cuts_add(exact_cuts_t *c, const uint32_t *units, const uint32_t *locs, uint32_t n)
{
	uint32_t used = c->start[c->n];

	if (grow(&c->unit, &c->cap_unit, used + n) || grow(&c->loc, &c->cap_loc, used + n) ||
	    grow(&c->start, &c->cap_start, c->n + 2))
		return VLT_ENOMEM;
	if (n > 0) {
		memcpy(c->unit + used, units, n * sizeof(*units));
		memcpy(c->loc + used, locs, n * sizeof(*locs));
	}
	c->n++;
	c->start[c->n] = used + n;
	return 0;
}

uint32_t exact_cuts_count(const exact_cuts_t *c)
{
	return c ? c->n : 0;
}

/* ---------------------------------------------------------------- distances */

static uint32_t loc_domain(const exact_problem_t *p, uint32_t loc, vlt_level_t lvl)
{
	switch (lvl) {
	case VLT_LEVEL_HOST:
		return loc;
	case VLT_LEVEL_RACK:
		return p->locs[loc].rack;
	case VLT_LEVEL_CLUSTER:
		return p->locs[loc].cluster;
	default:
		return 0;
	}
}

/* Does a group of level lvl see loc? (see exact_loc_t.own_rack) */
static bool sees(const exact_problem_t *p, uint32_t loc, vlt_level_t lvl)
{
	switch (lvl) {
	case VLT_LEVEL_HOST:
		return !p->locs[loc].pool;
	case VLT_LEVEL_RACK:
		return !p->locs[loc].own_rack;
	case VLT_LEVEL_CLUSTER:
		return !p->locs[loc].own_cluster;
	default:
		return true;
	}
}

int exact_distance(const exact_problem_t *p, uint32_t la, uint32_t lb)
{
	int d = 0;

	for (int lv = VLT_LEVEL_HOST; lv < VLT_LEVEL_DC; lv++)
		d += loc_domain(p, la, (vlt_level_t)lv) != loc_domain(p, lb, (vlt_level_t)lv);
	return d;
}

double exact_bandwidth_cost(const exact_problem_t *p, const uint32_t *loc)
{
	double cost = 0;

	for (uint32_t i = 0; i < p->n_links; i++) {
		const exact_link_t *l = &p->links[i];
		if (l->attachment || l->mbps <= 0)
			continue;
		cost += 2.0 * l->mbps * exact_distance(p, loc[l->a], loc[l->b]);
	}
	return cost;
}

/* ---------------------------------------------------------------- model builder */

struct lp {
	int n_cols, cap_cols;
	double *lb, *ub, *obj;
	char *is_int;
	int n_rows, cap_rows;
	double *rlo, *rhi;
	int *rstart; /* n_rows + 1 */
	int n_nz, cap_nz;
	int *rcol;
	double *rval;
	int row_open; /* first nonzero of the row being built, -1 when none */
	bool oom;     /* an allocation failed: the build is void */
};

/* y: units a and b (a < b) both inside domain dom of lvl, column col. */
struct coloc {
	uint32_t a, b;
	vlt_level_t lvl;
	uint32_t dom;
	int col;
};

struct build {
	const exact_problem_t *p;
	struct lp lp;
	int *xbase;        /* first x column of each unit */
	int *open;         /* open column per location, -1 */
	uint32_t *stamp;   /* per domain, for set building */
	uint32_t stamp_now;
	uint32_t *doms;    /* scratch list of domains */
	uint32_t *doms2;
	uint32_t *mark;    /* per unit */
	uint32_t n_dom_max;
	uint32_t *rep[VLT_LEVEL_DC]; /* per level and domain, a location inside, VLT_NONE */
	struct coloc *co;  /* co-location variables, in creation order */
	uint32_t n_co, cap_co;
	double scale;      /* 1 / bandwidth granularity */
	double w_att;      /* weight of one level crossed by an attachment */
	double w_open;     /* weight of one host used */
};

static bool lp_grow(void **arr, int *cap, int need, size_t elem)
{
	if (need <= *cap)
		return true;
	int ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*arr, (size_t)ncap * elem);
	if (n == NULL)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

/* A new column; -1 when out of memory (the build is then void). */
static int lp_col(struct lp *lp, double lb, double ub, double obj, bool integer)
{
	int need = lp->n_cols + 1, c1 = lp->cap_cols, c2 = lp->cap_cols, c3 = lp->cap_cols;

	if (!lp_grow((void **)&lp->lb, &c1, need, sizeof(double)) ||
	    !lp_grow((void **)&lp->ub, &c2, need, sizeof(double)) ||
	    !lp_grow((void **)&lp->obj, &c3, need, sizeof(double)) ||
	    !lp_grow((void **)&lp->is_int, &lp->cap_cols, need, sizeof(char))) {
		lp->oom = true;
		return -1;
	}
	lp->lb[lp->n_cols] = lb;
	lp->ub[lp->n_cols] = ub;
	lp->obj[lp->n_cols] = obj;
	lp->is_int[lp->n_cols] = integer;
	return lp->n_cols++;
}

static void lp_row_begin(struct lp *lp)
{
	lp->row_open = lp->n_nz;
}

static void lp_term(struct lp *lp, int col, double val)
{
	int c2 = lp->cap_nz;

	if (col < 0 || val == 0)
		return;
	if (!lp_grow((void **)&lp->rval, &c2, lp->n_nz + 1, sizeof(double)) ||
	    !lp_grow((void **)&lp->rcol, &lp->cap_nz, lp->n_nz + 1, sizeof(int))) {
		lp->oom = true;
		return;
	}
	lp->rcol[lp->n_nz] = col;
	lp->rval[lp->n_nz] = val;
	lp->n_nz++;
}

/* Close the row: merge repeated columns, keep it only when it has terms. */
static void lp_row_end(struct lp *lp, double lo, double hi)
{
	int first = lp->row_open, n = lp->n_nz - first;

	for (int i = 1; i < n; i++) { /* insertion sort: rows are short */
		int c = lp->rcol[first + i];
		double v = lp->rval[first + i];
		int j = i - 1;
		while (j >= 0 && lp->rcol[first + j] > c) {
			lp->rcol[first + j + 1] = lp->rcol[first + j];
			lp->rval[first + j + 1] = lp->rval[first + j];
			j--;
		}
		lp->rcol[first + j + 1] = c;
		lp->rval[first + j + 1] = v;
	}
	int w = 0;
	for (int i = 0; i < n; i++) {
		if (w > 0 && lp->rcol[first + w - 1] == lp->rcol[first + i]) {
			lp->rval[first + w - 1] += lp->rval[first + i];
			continue;
		}
		lp->rcol[first + w] = lp->rcol[first + i];
		lp->rval[first + w] = lp->rval[first + i];
		w++;
	}
	lp->n_nz = first + w;
	int c1 = lp->cap_rows, c2 = lp->cap_rows;
	/* one capacity for the three arrays: each grows to the same need */
	if (!lp_grow((void **)&lp->rlo, &c1, lp->n_rows + 2, sizeof(double)) ||
	    !lp_grow((void **)&lp->rhi, &c2, lp->n_rows + 2, sizeof(double)) ||
	    !lp_grow((void **)&lp->rstart, &lp->cap_rows, lp->n_rows + 2, sizeof(int))) {
		lp->oom = true;
		return;
	}
	lp->rstart[lp->n_rows] = first;
	lp->rlo[lp->n_rows] = lo;
	lp->rhi[lp->n_rows] = hi;
	lp->n_rows++;
	lp->rstart[lp->n_rows] = lp->n_nz;
	lp->row_open = -1;
}

static void lp_free(struct lp *lp)
{
	free(lp->lb);
	free(lp->ub);
	free(lp->obj);
	free(lp->is_int);
	free(lp->rlo);
	free(lp->rhi);
	free(lp->rstart);
	free(lp->rcol);
	free(lp->rval);
}

/* The x column of unit u on location loc, or -1 when loc is not a candidate. */
static int xcol(const struct build *b, uint32_t u, uint32_t loc)
{
	const exact_unit_t *un = &b->p->units[u];
	uint32_t lo = 0, hi = un->n_cand;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (un->cand[mid] < loc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < un->n_cand && un->cand[lo] == loc)
		return b->xbase[u] + (int)lo;
	return -1;
}

/*
 * Is loc inside domain dom of lvl? For groups (grp), only where a group of
 * that level sees the location: never a pool at host level, never a pool's
 * own rack or cluster.
 */
static bool in_dom(const struct build *b, uint32_t loc, vlt_level_t lvl, uint32_t dom, bool grp)
{
	if (loc_domain(b->p, loc, lvl) != dom)
		return false;
	return !grp || sees(b->p, loc, lvl);
}

/* Add coef x X_u[D] to the open row. */
static void term_in(struct build *b, uint32_t u, vlt_level_t lvl, uint32_t dom, double coef,
		    bool grp)
{
	const exact_unit_t *un = &b->p->units[u];

	for (uint32_t k = 0; k < un->n_cand; k++)
		if (in_dom(b, un->cand[k], lvl, dom, grp))
			lp_term(&b->lp, b->xbase[u] + (int)k, coef);
}

static bool can_be_in(const struct build *b, uint32_t u, vlt_level_t lvl, uint32_t dom, bool grp)
{
	const exact_unit_t *un = &b->p->units[u];

	for (uint32_t k = 0; k < un->n_cand; k++)
		if (in_dom(b, un->cand[k], lvl, dom, grp))
			return true;
	return false;
}

static void stamp_next(struct build *b)
{
	if (++b->stamp_now == 0) {
		memset(b->stamp, 0, b->n_dom_max * sizeof(*b->stamp));
		b->stamp_now = 1;
	}
}

/* Append u's domains at lvl not yet stamped to out; returns the new count. */
static uint32_t collect(struct build *b, uint32_t u, vlt_level_t lvl, uint32_t *out, uint32_t n,
			bool grp)
{
	const exact_unit_t *un = &b->p->units[u];

	for (uint32_t k = 0; k < un->n_cand; k++) {
		uint32_t d = loc_domain(b->p, un->cand[k], lvl);
		if (grp && !sees(b->p, un->cand[k], lvl))
			continue;
		if (b->stamp[d] != b->stamp_now) {
			b->stamp[d] = b->stamp_now;
			out[n++] = d;
		}
	}
	return n;
}

/* The distinct domains at lvl where any of units[0..n) may go, into b->doms. */
static uint32_t domains_of(struct build *b, const uint32_t *units, uint32_t n, vlt_level_t lvl,
			   bool grp)
{
	uint32_t cnt = 0;

	stamp_next(b);
	for (uint32_t i = 0; i < n; i++)
		cnt = collect(b, units[i], lvl, b->doms, cnt, grp);
	return cnt;
}

/* ---------------------------------------------------------------- weights */

/*
 * The largest power of ten q (1 down to 1e-6) that divides every link's
 * bandwidth: bandwidth costs are then multiples of 2q, and scaling by 1/q
 * makes them even integers, so that secondary terms kept below 1 never
 * outweigh a bandwidth difference.
 */
static double granularity(const exact_problem_t *p)
{
	double q = 1;

	for (int e = 0; e <= 6; e++, q /= 10) {
		bool ok = true;
		for (uint32_t i = 0; ok && i < p->n_links; i++) {
			const exact_link_t *l = &p->links[i];
			if (l->attachment || l->mbps <= 0)
				continue;
			double v = l->mbps / q;
			ok = fabs(v - nearbyint(v)) <= 1e-6 * (v > 1 ? v : 1);
		}
		if (ok)
			return q;
	}
	return 1e-6;
}

static void set_weights(struct build *b)
{
	const exact_problem_t *p = b->p;
	uint32_t n_att = 0, n_srv = 0;

	for (uint32_t i = 0; i < p->n_links; i++)
		n_att += p->links[i].attachment || p->links[i].mbps <= 0;
	for (uint32_t u = 0; u < p->n_units; u++)
		n_srv += p->units[u].server;
	b->scale = 1.0 / granularity(p);
	/* all attachment terms together stay below 1, all host terms below one
	 * attachment term: the objective's lattice step is w_open */
	b->w_att = 1.0 / (3.0 * n_att + 1.0);
	b->w_open = b->w_att / (2.0 * (n_srv + 1.0));
}

static double link_weight(const struct build *b, const exact_link_t *l)
{
	if (l->attachment || l->mbps <= 0)
		return b->w_att;
	return 2.0 * l->mbps * b->scale;
}

/* ---------------------------------------------------------------- rows */

static void add_assignment(struct build *b)
{
	const exact_problem_t *p = b->p;

	for (uint32_t u = 0; u < p->n_units; u++) {
		const exact_unit_t *un = &p->units[u];
		b->xbase[u] = b->lp.n_cols;
		for (uint32_t k = 0; k < un->n_cand; k++)
			lp_col(&b->lp, 0, 1, 0, true);
		lp_row_begin(&b->lp);
		for (uint32_t k = 0; k < un->n_cand; k++)
			lp_term(&b->lp, b->xbase[u] + (int)k, 1);
		lp_row_end(&b->lp, 1, 1);
	}
}

/* Per location and resource: what its candidates ask must fit what is free. */
static void add_capacity(struct build *b)
{
	const exact_problem_t *p = b->p;

	for (uint32_t h = 0; h < p->n_locs; h++) {
		const exact_loc_t *loc = &p->locs[h];
		for (int r = 0; r < VLT_RES_COUNT; r++) {
			if (loc->pool && r != VLT_RES_DISK_GB)
				continue;
			int64_t total = 0;
			for (uint32_t u = 0; u < p->n_units; u++)
				if (xcol(b, u, h) >= 0)
					total += p->units[u].demand[r];
			if (total <= loc->free[r])
				continue; /* cannot bind */
			lp_row_begin(&b->lp);
			for (uint32_t u = 0; u < p->n_units; u++)
				lp_term(&b->lp, xcol(b, u, h), (double)p->units[u].demand[r]);
			lp_row_end(&b->lp, -DBL_MAX, (double)loc->free[r]);
		}
	}
}

/*
 * Interchangeable hosts h < g (same rack, same class): any solution can be
 * renumbered so that the lowest unit on h is below the lowest unit on g,
 * and empty ones come last. So: g opens only after h, and unit u may sit on
 * g only when some unit before u sits on h.
 */
static void add_symmetry(struct build *b)
{
	const exact_problem_t *p = b->p;

	for (uint32_t h = 0; h < p->n_locs; h++) {
		const exact_loc_t *lh = &p->locs[h];
		if (lh->sym == 0 || lh->pool || b->open[h] < 0)
			continue;
		uint32_t g = h + 1;
		while (g < p->n_locs && (p->locs[g].sym != lh->sym || p->locs[g].rack != lh->rack))
			g++;
		if (g == p->n_locs || b->open[g] < 0)
			continue;
		lp_row_begin(&b->lp);
		lp_term(&b->lp, b->open[h], 1);
		lp_term(&b->lp, b->open[g], -1);
		lp_row_end(&b->lp, 0, DBL_MAX);
		for (uint32_t u = 0; u < p->n_units; u++) {
			int xg = xcol(b, u, g);
			if (xg < 0)
				continue;
			lp_row_begin(&b->lp);
			lp_term(&b->lp, xg, 1);
			for (uint32_t v = 0; v < u; v++)
				lp_term(&b->lp, xcol(b, v, h), -1);
			lp_row_end(&b->lp, -DBL_MAX, 0);
		}
	}
}

/* open[h] >= x[u][h] for servers; interchangeable hosts open in order. */
static void add_open(struct build *b, bool symmetry)
{
	const exact_problem_t *p = b->p;

	for (uint32_t h = 0; h < p->n_locs; h++)
		b->open[h] = -1;
	for (uint32_t u = 0; u < p->n_units; u++) {
		const exact_unit_t *un = &p->units[u];
		if (!un->server)
			continue;
		for (uint32_t k = 0; k < un->n_cand; k++) {
			uint32_t h = un->cand[k];
			if (p->locs[h].pool)
				continue;
			if (b->open[h] < 0)
				b->open[h] = lp_col(&b->lp, 0, 1, b->w_open, false);
			lp_row_begin(&b->lp);
			lp_term(&b->lp, b->open[h], 1);
			lp_term(&b->lp, b->xbase[u] + (int)k, -1);
			lp_row_end(&b->lp, 0, DBL_MAX);
		}
	}
	if (symmetry)
		add_symmetry(b);
}

/* Links between the same two units, merged: the model knows pairs. */
struct pair {
	uint32_t a, b; /* a < b */
	double w;      /* weight of one level crossed */
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* OUT *pairs (malloc'd, caller frees); RET the count, or -1 on ENOMEM. */
static int make_pairs(const struct build *b, struct pair **pairs)
{
	const exact_problem_t *p = b->p;
	struct pair *pr = malloc((p->n_links + 1) * sizeof(*pr));
	uint32_t n = 0;

	*pairs = pr;
	if (pr == NULL)
		return -1;
	for (uint32_t i = 0; i < p->n_links; i++) {
		const exact_link_t *l = &p->links[i];
		if (l->a == l->b)
			continue;
		pr[n].a = l->a < l->b ? l->a : l->b;
		pr[n].b = l->a < l->b ? l->b : l->a;
		pr[n++].w = link_weight(b, l);
	}
	qsort(pr, n, sizeof(*pr), pair_cmp);
	uint32_t m = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (m > 0 && pr[m - 1].a == pr[i].a && pr[m - 1].b == pr[i].b)
			pr[m - 1].w += pr[i].w;
		else
			pr[m++] = pr[i];
	}
	return (int)m;
}

/* What domain dom of lvl offers of resource r: the sum over its locations. */
static double dom_free(const struct build *b, vlt_level_t lvl, uint32_t dom, int r)
{
	const exact_problem_t *p = b->p;
	double sum = 0;

	if (lvl == VLT_LEVEL_HOST)
		return (double)p->locs[dom].free[r];
	for (uint32_t h = 0; h < p->n_locs; h++)
		if (loc_domain(p, h, lvl) == dom)
			sum += (double)p->locs[h].free[r];
	return sum;
}

/* May units u and v be inside dom together, as far as its capacity goes? */
static bool fit_together(const struct build *b, uint32_t u, uint32_t v, vlt_level_t lvl,
			 uint32_t dom)
{
	const exact_unit_t *uu = &b->p->units[u], *vv = &b->p->units[v];

	for (int r = 0; r < VLT_RES_COUNT; r++)
		if ((double)(uu->demand[r] + vv->demand[r]) > dom_free(b, lvl, dom, r))
			return false;
	return true;
}

static void coloc_add(struct build *b, uint32_t u, uint32_t v, vlt_level_t lvl, uint32_t dom,
		      int col)
{
	if (b->n_co == b->cap_co) {
		uint32_t ncap = b->cap_co ? 2 * b->cap_co : 256;
		struct coloc *n = realloc(b->co, ncap * sizeof(*n));
		if (n == NULL) {
			b->lp.oom = true;
			return;
		}
		b->co = n;
		b->cap_co = ncap;
	}
	b->co[b->n_co++] = (struct coloc){ u, v, lvl, dom, col };
}

/*
 * The objective's distance terms. Per pair and level, a co-location
 * variable y[D] <= X_a[D], X_b[D] for each domain both may be in: the
 * level is crossed (1 - sum y) when they are apart. A constant column
 * carries the 1s.
 */
static void add_pair_costs(struct build *b, const struct pair *pr, uint32_t n_pairs)
{
	double constant = 0;

	for (uint32_t i = 0; i < n_pairs; i++) {
		for (int lv = VLT_LEVEL_HOST; lv < VLT_LEVEL_DC; lv++) {
			uint32_t ends[2] = { pr[i].a, pr[i].b };
			if (domains_of(b, ends, 2, (vlt_level_t)lv, false) <= 1)
				continue; /* the ends cannot be apart at this level */
			constant += pr[i].w;
			stamp_next(b);
			uint32_t na = collect(b, pr[i].a, (vlt_level_t)lv, b->doms, 0, false);
			for (uint32_t j = 0; j < na; j++) {
				uint32_t d = b->doms[j];
				if (!can_be_in(b, pr[i].b, (vlt_level_t)lv, d, false) ||
				    !fit_together(b, pr[i].a, pr[i].b, (vlt_level_t)lv, d))
					continue;
				int y = lp_col(&b->lp, 0, 1, -pr[i].w, false);
				coloc_add(b, pr[i].a, pr[i].b, (vlt_level_t)lv, d, y);
				for (int end = 0; end < 2; end++) {
					lp_row_begin(&b->lp);
					lp_term(&b->lp, y, 1);
					term_in(b, end ? pr[i].b : pr[i].a, (vlt_level_t)lv, d, -1,
						false);
					lp_row_end(&b->lp, -DBL_MAX, 0);
				}
			}
		}
	}
	if (constant > 0)
		lp_col(&b->lp, 1, 1, constant, false);
}

/*
 * Capacity seen from one unit (the constraint multiplied by X_a[D]): what
 * a's partners bring into D together with a fits beside a,
 *   sum_b d_b y_ab[D] <= (free_D - d_a) X_a[D].
 * Without it the relaxation spreads every unit thinly over all hosts and
 * gets co-location for free; with it a unit with more partners than room
 * pays for the excess.
 */
static int coloc_cmp(const void *x, const void *y)
{
	const struct coloc *p = x, *q = y;

	if (p->lvl != q->lvl)
		return p->lvl < q->lvl ? -1 : 1;
	if (p->dom != q->dom)
		return p->dom < q->dom ? -1 : 1;
	return p->col < q->col ? -1 : p->col > q->col;
}

/* The row of unit a in the co-location entries co[0..n) of one domain, per resource. */
static void pair_capacity_rows(struct build *b, const struct coloc *co, uint32_t n, uint32_t a)
{
	const exact_problem_t *p = b->p;

	for (int r = 0; r < VLT_RES_COUNT; r++) {
		double room = dom_free(b, co->lvl, co->dom, r) - (double)p->units[a].demand[r];
		double sum = 0;
		for (uint32_t k = 0; k < n; k++)
			if (co[k].a == a || co[k].b == a)
				sum += (double)p->units[co[k].a == a ? co[k].b : co[k].a].demand[r];
		if (sum <= room)
			continue; /* cannot bind */
		lp_row_begin(&b->lp);
		for (uint32_t k = 0; k < n; k++) {
			if (co[k].a != a && co[k].b != a)
				continue;
			uint32_t o = co[k].a == a ? co[k].b : co[k].a;
			lp_term(&b->lp, co[k].col, (double)p->units[o].demand[r]);
		}
		term_in(b, a, co->lvl, co->dom, -room, false);
		lp_row_end(&b->lp, -DBL_MAX, 0);
	}
}

static void add_pair_capacity(struct build *b)
{
	if (b->n_co == 0)
		return;
	qsort(b->co, b->n_co, sizeof(*b->co), coloc_cmp); /* by level and domain */
	for (uint32_t i = 0; i < b->n_co;) {
		uint32_t j = i;
		while (j < b->n_co && b->co[j].lvl == b->co[i].lvl && b->co[j].dom == b->co[i].dom)
			j++;
		memset(b->mark, 0, b->p->n_units * sizeof(*b->mark));
		for (uint32_t k = i; k < j; k++) {
			for (int end = 0; end < 2; end++) {
				uint32_t a = end ? b->co[k].b : b->co[k].a;
				if (b->mark[a])
					continue;
				b->mark[a] = 1;
				pair_capacity_rows(b, &b->co[i], j - i, a);
			}
		}
		i = j;
	}
}

/* The bandwidth a link holds on a NIC or uplink, as the core charges it. */
static int64_t link_mbps(const exact_link_t *l)
{
	if (l->attachment || l->mbps <= 0)
		return 0;
	return (int64_t)(l->mbps + 0.5);
}

/* sum over links that may cross domain dom of lvl of mbps x |X_a - X_b| <= free */
static void add_bandwidth_row(struct build *b, vlt_level_t lvl, uint32_t dom, int64_t free_mbps)
{
	const exact_problem_t *p = b->p;
	int64_t total = 0;

	if (free_mbps == VLT_UNLIMITED)
		return;
	for (uint32_t i = 0; i < p->n_links; i++) {
		const exact_link_t *l = &p->links[i];
		if (l->a != l->b && link_mbps(l) > 0 &&
		    (can_be_in(b, l->a, lvl, dom, false) || can_be_in(b, l->b, lvl, dom, false)))
			total += link_mbps(l);
	}
	if (total <= free_mbps)
		return; /* cannot bind */
	int first_sep = b->lp.n_cols;
	uint32_t n_sep = 0;
	for (uint32_t i = 0; i < p->n_links; i++) {
		const exact_link_t *l = &p->links[i];
		if (l->a == l->b || link_mbps(l) == 0 ||
		    !(can_be_in(b, l->a, lvl, dom, false) || can_be_in(b, l->b, lvl, dom, false)))
			continue;
		int s = lp_col(&b->lp, 0, 1, 0, false);
		for (int dir = 0; dir < 2; dir++) {
			lp_row_begin(&b->lp);
			lp_term(&b->lp, s, 1);
			term_in(b, dir ? l->b : l->a, lvl, dom, -1, false);
			term_in(b, dir ? l->a : l->b, lvl, dom, 1, false);
			lp_row_end(&b->lp, 0, DBL_MAX);
		}
		n_sep++;
	}
	lp_row_begin(&b->lp);
	uint32_t j = 0;
	for (uint32_t i = 0; i < p->n_links && j < n_sep; i++) {
		const exact_link_t *l = &p->links[i];
		if (l->a == l->b || link_mbps(l) == 0 ||
		    !(can_be_in(b, l->a, lvl, dom, false) || can_be_in(b, l->b, lvl, dom, false)))
			continue;
		lp_term(&b->lp, first_sep + (int)(j++), (double)link_mbps(l));
	}
	lp_row_end(&b->lp, -DBL_MAX, (double)free_mbps);
}

static void add_bandwidth(struct build *b)
{
	const exact_problem_t *p = b->p;

	for (uint32_t h = 0; h < p->n_locs; h++)
		if (!p->locs[h].pool)
			add_bandwidth_row(b, VLT_LEVEL_HOST, h, p->locs[h].nic_free_mbps);
	for (uint32_t r = 0; r < p->n_racks; r++)
		add_bandwidth_row(b, VLT_LEVEL_RACK, r, p->rack_uplink_free_mbps[r]);
	for (uint32_t c = 0; c < p->n_clusters; c++)
		add_bandwidth_row(b, VLT_LEVEL_CLUSTER, c, p->cluster_uplink_free_mbps[c]);
}

/*
 * The up-domain at level up of domain dom of level lvl, read from any
 * location inside it (b->rep). VLT_NONE when none is known.
 */
static uint32_t dom_up(const struct build *b, vlt_level_t lvl, uint32_t dom, vlt_level_t up)
{
	uint32_t loc = b->rep[lvl][dom];

	return loc == VLT_NONE ? VLT_NONE : loc_domain(b->p, loc, up);
}

/*
 * A volume member on a pool that the group's level does not see (a pool
 * outside every rack) is held one level up, as the affinity policy reads
 * it: its pool's cluster must hold the chosen domain. Columns first..+nd
 * are a[D] for the domains in ds.
 */
static void add_affinity_up(struct build *b, const exact_group_t *g, uint32_t u, int first,
			    const uint32_t *ds, uint32_t nd)
{
	const exact_unit_t *un = &b->p->units[u];

	for (uint32_t k = 0; k < un->n_cand; k++) {
		uint32_t loc = un->cand[k];
		vlt_level_t up = g->level;
		while (up < VLT_LEVEL_DC && !sees(b->p, loc, up))
			up = (vlt_level_t)(up + 1);
		if (up == g->level || up == VLT_LEVEL_DC)
			continue; /* seen at the level, or nowhere: free */
		lp_row_begin(&b->lp);
		lp_term(&b->lp, b->xbase[u] + (int)k, 1);
		for (uint32_t j = 0; j < nd; j++)
			if (dom_up(b, g->level, ds[j], up) == loc_domain(b->p, loc, up))
				lp_term(&b->lp, first + (int)j, -1);
		lp_row_end(&b->lp, -DBL_MAX, 0);
	}
}

/* Affinity: one chosen domain a[D]; every member's X[D] equals it (servers)
 * or stays within it (volumes, which may sit where the level sees nothing). */
static void add_affinity(struct build *b, const exact_group_t *g)
{
	uint32_t nd = domains_of(b, g->members, g->n_members, g->level, true);
	uint32_t *ds = b->doms2;

	if (nd == 0)
		return;
	memcpy(ds, b->doms, nd * sizeof(*ds));
	int first = b->lp.n_cols;
	for (uint32_t j = 0; j < nd; j++)
		lp_col(&b->lp, 0, 1, 0, false);
	lp_row_begin(&b->lp);
	for (uint32_t j = 0; j < nd; j++)
		lp_term(&b->lp, first + (int)j, 1);
	lp_row_end(&b->lp, 1, 1);
	for (uint32_t i = 0; i < g->n_members; i++) {
		uint32_t u = g->members[i];
		bool server = b->p->units[u].server;
		for (uint32_t j = 0; j < nd; j++) {
			lp_row_begin(&b->lp);
			term_in(b, u, g->level, ds[j], 1, true);
			lp_term(&b->lp, first + (int)j, -1);
			lp_row_end(&b->lp, server ? 0 : -DBL_MAX, 0);
		}
		if (!server)
			add_affinity_up(b, g, u, first, ds, nd);
	}
}

static uint32_t branch_of(const exact_group_t *g, uint32_t i)
{
	return g->branch ? g->branch[i] : i;
}

/*
 * Member i's part in the diversity row of domain dom: -2 when another
 * member of its branch speaks for it, -1 for its own X, or the column of
 * a new z >= X of every member of the branch that may be there.
 */
static int diversity_term(struct build *b, const exact_group_t *g, uint32_t i, uint32_t dom)
{
	uint32_t others = 0;

	if (!can_be_in(b, g->members[i], g->level, dom, true))
		return -2;
	for (uint32_t k = 0; k < g->n_members; k++) {
		if (k == i || branch_of(g, k) != branch_of(g, i) ||
		    !can_be_in(b, g->members[k], g->level, dom, true))
			continue;
		if (k < i)
			return -2;
		others++;
	}
	if (others == 0)
		return -1;
	int z = lp_col(&b->lp, 0, 1, 0, false);
	for (uint32_t k = 0; k < g->n_members; k++) {
		if (branch_of(g, k) != branch_of(g, i) ||
		    !can_be_in(b, g->members[k], g->level, dom, true))
			continue;
		lp_row_begin(&b->lp);
		lp_term(&b->lp, z, 1);
		term_in(b, g->members[k], g->level, dom, -1, true);
		lp_row_end(&b->lp, 0, DBL_MAX);
	}
	return z;
}

/* Diversity: in each domain, at most one branch. */
static void add_diversity(struct build *b, const exact_group_t *g)
{
	uint32_t nd = domains_of(b, g->members, g->n_members, g->level, true);
	uint32_t *ds = b->doms2;
	int *term = malloc((g->n_members + 1) * sizeof(*term));

	if (term == NULL) {
		b->lp.oom = true;
		return;
	}
	memcpy(ds, b->doms, nd * sizeof(*ds));
	for (uint32_t j = 0; j < nd; j++) {
		uint32_t dom = ds[j], heads = 0;
		for (uint32_t i = 0; i < g->n_members; i++) {
			bool head = can_be_in(b, g->members[i], g->level, dom, true);
			for (uint32_t k = 0; k < i && head; k++)
				head = branch_of(g, k) != branch_of(g, i) ||
				       !can_be_in(b, g->members[k], g->level, dom, true);
			heads += head;
		}
		if (heads <= 1)
			continue; /* one branch at most may be here anyway */
		for (uint32_t i = 0; i < g->n_members; i++)
			term[i] = diversity_term(b, g, i, dom);
		lp_row_begin(&b->lp);
		for (uint32_t i = 0; i < g->n_members; i++) {
			if (term[i] == -1)
				term_in(b, g->members[i], g->level, dom, 1, true);
			else if (term[i] >= 0)
				lp_term(&b->lp, term[i], 1);
		}
		lp_row_end(&b->lp, -DBL_MAX, 1);
	}
	free(term);
}

/* Exclusivity: a domain holding a member holds no other unit of the stack. */
static void add_exclusivity(struct build *b, const exact_group_t *g)
{
	const exact_problem_t *p = b->p;
	uint32_t nd = domains_of(b, g->members, g->n_members, g->level, true);
	uint32_t *ds = b->doms2;

	memcpy(ds, b->doms, nd * sizeof(*ds));
	memset(b->mark, 0, p->n_units * sizeof(*b->mark));
	for (uint32_t i = 0; i < g->n_members; i++)
		b->mark[g->members[i]] = 1;
	for (uint32_t j = 0; j < nd; j++) {
		uint32_t dom = ds[j];
		bool any_other = false;
		for (uint32_t u = 0; u < p->n_units && !any_other; u++)
			any_other = !b->mark[u] && can_be_in(b, u, g->level, dom, true);
		if (!any_other)
			continue;
		int own = lp_col(&b->lp, 0, 1, 0, false);
		for (uint32_t i = 0; i < g->n_members; i++) {
			if (!can_be_in(b, g->members[i], g->level, dom, true))
				continue;
			lp_row_begin(&b->lp);
			term_in(b, g->members[i], g->level, dom, 1, true);
			lp_term(&b->lp, own, -1);
			lp_row_end(&b->lp, -DBL_MAX, 0);
		}
		for (uint32_t u = 0; u < p->n_units; u++) {
			if (b->mark[u] || !can_be_in(b, u, g->level, dom, true))
				continue;
			lp_row_begin(&b->lp);
			term_in(b, u, g->level, dom, 1, true);
			lp_term(&b->lp, own, 1);
			lp_row_end(&b->lp, -DBL_MAX, 1);
		}
	}
}

static void add_groups(struct build *b)
{
	for (uint32_t i = 0; i < b->p->n_groups; i++) {
		const exact_group_t *g = &b->p->groups[i];
		switch (g->type) {
		case EXACT_AFFINITY:
			add_affinity(b, g);
			break;
		case EXACT_DIVERSITY:
			add_diversity(b, g);
			break;
		case EXACT_EXCLUSIVITY:
			add_exclusivity(b, g);
			break;
		}
	}
}

static void add_cuts(struct build *b, const exact_cuts_t *c)
{
	for (uint32_t i = 0; c != NULL && i < c->n; i++) {
		uint32_t n = c->start[i + 1] - c->start[i];
		bool possible = true;
		for (uint32_t j = c->start[i]; j < c->start[i + 1] && possible; j++)
			possible = c->unit[j] < b->p->n_units &&
				   xcol(b, c->unit[j], c->loc[j]) >= 0;
		if (!possible)
			continue; /* the combination is out of the model anyway */
		lp_row_begin(&b->lp);
		for (uint32_t j = c->start[i]; j < c->start[i + 1]; j++)
			lp_term(&b->lp, xcol(b, c->unit[j], c->loc[j]), 1);
		lp_row_end(&b->lp, -DBL_MAX, (double)n - 1);
	}
}

/* ---------------------------------------------------------------- checks */

static int validate(const exact_problem_t *p, vlt_err_t *err)
{
	for (uint32_t h = 0; h < p->n_locs; h++)
		if (p->locs[h].rack >= p->n_racks || p->locs[h].cluster >= p->n_clusters)
			return vlt_err_set(err, VLT_EINVAL,
					   "exact: location %u: rack or cluster out of range", h);
	for (uint32_t u = 0; u < p->n_units; u++) {
		const exact_unit_t *un = &p->units[u];
		for (uint32_t k = 0; k < un->n_cand; k++)
			if (un->cand[k] >= p->n_locs || (k > 0 && un->cand[k] <= un->cand[k - 1]))
				return vlt_err_set(err, VLT_EINVAL,
						   "exact: unit %u: candidates not ascending "
						   "locations", u);
	}
	for (uint32_t i = 0; i < p->n_links; i++)
		if (p->links[i].a >= p->n_units || p->links[i].b >= p->n_units)
			return vlt_err_set(err, VLT_EINVAL, "exact: link %u: unit out of range",
					   i);
	for (uint32_t i = 0; i < p->n_groups; i++)
		for (uint32_t j = 0; j < p->groups[i].n_members; j++)
			if (p->groups[i].members[j] >= p->n_units)
				return vlt_err_set(err, VLT_EINVAL,
						   "exact: group %u: member out of range", i);
	return 0;
}

/* ---------------------------------------------------------------- CBC */

static int load(Cbc_Model *m, const struct lp *lp, vlt_err_t *err)
{
	CoinBigIndex *cstart = calloc((size_t)lp->n_cols + 1, sizeof(*cstart));
	int *cidx = malloc(((size_t)lp->n_nz + 1) * sizeof(*cidx));
	double *cval = malloc(((size_t)lp->n_nz + 1) * sizeof(*cval));
	int *fill = calloc((size_t)lp->n_cols + 1, sizeof(*fill));

	if (!cstart || !cidx || !cval || !fill) {
		free(cstart);
		free(cidx);
		free(cval);
		free(fill);
		return vlt_err_set(err, VLT_ENOMEM, "exact: out of memory loading the model");
	}
	/* row-major to compressed columns */
	for (int k = 0; k < lp->n_nz; k++)
		cstart[lp->rcol[k] + 1]++;
	for (int c = 0; c < lp->n_cols; c++)
		cstart[c + 1] += cstart[c];
	for (int r = 0; r < lp->n_rows; r++) {
		for (int k = lp->rstart[r]; k < lp->rstart[r + 1]; k++) {
			int c = lp->rcol[k];
			CoinBigIndex at = cstart[c] + fill[c]++;
			cidx[at] = r;
			cval[at] = lp->rval[k];
		}
	}
	Cbc_loadProblem(m, lp->n_cols, lp->n_rows, cstart, cidx, cval, lp->lb, lp->ub, lp->obj,
			lp->rlo, lp->rhi);
	for (int c = 0; c < lp->n_cols; c++)
		if (lp->is_int[c])
			Cbc_setInteger(m, c);
	free(cstart);
	free(cidx);
	free(cval);
	free(fill);
	return 0;
}

/* Read the chosen location of each unit from CBC's best solution. */
static int extract(const struct build *b, const double *sol, uint32_t *loc, vlt_err_t *err)
{
	const exact_problem_t *p = b->p;

	for (uint32_t u = 0; u < p->n_units; u++) {
		const exact_unit_t *un = &p->units[u];
		loc[u] = VLT_NONE;
		for (uint32_t k = 0; k < un->n_cand; k++) {
			if (sol[b->xbase[u] + (int)k] > 0.5) {
				loc[u] = un->cand[k];
				break;
			}
		}
		if (loc[u] == VLT_NONE)
			return vlt_err_set(err, VLT_EINTERNAL,
					   "exact: CBC's solution leaves unit %u unplaced", u);
	}
	return 0;
}

static int run_cbc(const struct build *b, double time_limit_s, exact_result_t *res,
		   vlt_err_t *err)
{
	Cbc_Model *m = Cbc_newModel();
	char buf[32];
	int rc;

	if (m == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "exact: out of memory creating the model");
	rc = load(m, &b->lp, err);
	if (rc < 0)
		goto out;
	Cbc_setObjSense(m, 1);
	Cbc_setParameter(m, "logLevel", "0");
	Cbc_setParameter(m, "slogLevel", "0");
	Cbc_setMaximumSeconds(m, time_limit_s > 0 ? time_limit_s : 1e9);
	/* measured on placement models: CBC's cut generators cost more time
	 * than they save in the tree (3 to 4 times over). Preprocessing stays:
	 * without it CBC 2.10 trips an assertion on the smallest models. */
	Cbc_setParameter(m, "cuts", "off");
	/* objective values lie on a lattice of step w_open: stop only when
	 * proven within half a step, and prune anything not a step better */
	Cbc_setAllowableFractionGap(m, 0);
	Cbc_setAllowableGap(m, b->w_open * 0.5);
	snprintf(buf, sizeof(buf), "%.12g", b->w_open * 0.9);
	Cbc_setParameter(m, "increment", buf);

	pthread_mutex_lock(&exact_cbc_lock);
	Cbc_solve(m);
	pthread_mutex_unlock(&exact_cbc_lock);

	res->nodes = Cbc_getNodeCount(m);
	res->n_cols = b->lp.n_cols;
	res->n_rows = b->lp.n_rows;
	if (Cbc_isProvenInfeasible(m)) {
		res->status = EXACT_INFEASIBLE;
		goto out;
	}
	const double *sol = Cbc_bestSolution(m);
	if (sol == NULL) {
		if (Cbc_isAbandoned(m)) {
			rc = vlt_err_set(err, VLT_EINTERNAL,
					 "exact: CBC abandoned the model (numerical trouble)");
			goto out;
		}
		res->status = EXACT_NO_SOLUTION;
		goto out;
	}
	rc = extract(b, sol, res->loc, err);
	if (rc < 0)
		goto out;
	res->status = Cbc_isProvenOptimal(m) ? EXACT_OPTIMAL : EXACT_FEASIBLE;
	res->objective = Cbc_getObjValue(m);
	res->bound = Cbc_getBestPossibleObjValue(m);
	if (res->status == EXACT_OPTIMAL || res->objective - res->bound <= b->w_open * 0.5) {
		res->status = EXACT_OPTIMAL;
		res->bound = res->objective;
		res->gap = 0;
	} else {
		res->gap = (res->objective - res->bound) /
			   (fabs(res->objective) > 1e-9 ? fabs(res->objective) : 1e-9);
	}
	res->bandwidth_cost = exact_bandwidth_cost(b->p, res->loc);
out:
	Cbc_deleteModel(m);
	return rc;
}

static void build_free(struct build *b)
{
	lp_free(&b->lp);
	free(b->xbase);
	free(b->open);
	free(b->stamp);
	free(b->doms);
	free(b->doms2);
	free(b->mark);
	free(b->co);
	for (int lv = 0; lv < VLT_LEVEL_DC; lv++)
		free(b->rep[lv]);
}

int exact_mip_solve(const exact_problem_t *p, const exact_cuts_t *cuts, double time_limit_s,
		    exact_result_t *res, vlt_err_t *err)
{
	struct build b = { .p = p, .lp = { .row_open = -1 } };
	int rc;

	res->status = EXACT_OPTIMAL;
	res->bandwidth_cost = res->objective = res->bound = res->gap = 0;
	res->nodes = res->n_cols = res->n_rows = 0;
	rc = validate(p, err);
	if (rc < 0)
		return rc;
	for (uint32_t u = 0; u < p->n_units; u++) {
		if (p->units[u].n_cand == 0) {
			res->status = EXACT_INFEASIBLE;
			return 0;
		}
	}
	if (p->n_units == 0)
		return 0;

	b.n_dom_max = p->n_locs;
	if (p->n_racks > b.n_dom_max)
		b.n_dom_max = p->n_racks;
	if (p->n_clusters > b.n_dom_max)
		b.n_dom_max = p->n_clusters;
	b.n_dom_max++;
	b.xbase = calloc(p->n_units, sizeof(*b.xbase));
	b.open = calloc(p->n_locs + 1, sizeof(*b.open));
	b.stamp = calloc(b.n_dom_max, sizeof(*b.stamp));
	b.doms = calloc(b.n_dom_max, sizeof(*b.doms));
	b.doms2 = calloc(b.n_dom_max, sizeof(*b.doms2));
	b.mark = calloc(p->n_units, sizeof(*b.mark));
	for (int lv = 0; lv < VLT_LEVEL_DC; lv++)
		b.rep[lv] = malloc(b.n_dom_max * sizeof(*b.rep[lv]));
	if (!b.xbase || !b.open || !b.stamp || !b.doms || !b.doms2 || !b.mark || !b.rep[0] ||
	    !b.rep[1] || !b.rep[2]) {
		build_free(&b);
		return vlt_err_set(err, VLT_ENOMEM, "exact: out of memory building the model");
	}
	for (int lv = 0; lv < VLT_LEVEL_DC; lv++) {
		for (uint32_t d = 0; d < b.n_dom_max; d++)
			b.rep[lv][d] = VLT_NONE;
		for (uint32_t h = p->n_locs; h-- > 0;)
			b.rep[lv][loc_domain(p, h, (vlt_level_t)lv)] = h;
	}
	set_weights(&b);
	add_assignment(&b);
	add_capacity(&b);
	add_open(&b, exact_cuts_count(cuts) == 0);
	struct pair *pairs = NULL;
	int n_pairs = make_pairs(&b, &pairs);
	if (n_pairs < 0)
		b.lp.oom = true;
	else
		add_pair_costs(&b, pairs, (uint32_t)n_pairs);
	free(pairs);
	add_pair_capacity(&b);
	add_bandwidth(&b);
	add_groups(&b);
	add_cuts(&b, cuts);
	if (b.lp.oom) {
		build_free(&b);
		return vlt_err_set(err, VLT_ENOMEM, "exact: out of memory building the model");
	}
	rc = run_cbc(&b, time_limit_s, res, err);
	build_free(&b);
	return rc;
}
