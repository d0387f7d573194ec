/*
 * timeline.c - intervals of plan requests, and the tree of a host's timed
 * holds (docs/reservations.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "timeline.h"

const vlt_interval_t vlt__interval_always = {VLT_TIME_BEGIN, VLT_TIME_END};

bool vlt__interval_timed(const vlt_interval_t *iv)
{
	return iv->start_ms != VLT_TIME_BEGIN || iv->end_ms != VLT_TIME_END;
}

#define TIME_EXPECTED "expected an RFC 3339 UTC time like 2026-12-08T10:00:00Z"

/* What a JSON value that is not a string is, for messages. */
static const char *json_kind(const json_t *v)
{
	if (json_is_number(v))
		return "a number";
	if (json_is_boolean(v))
		return "a boolean";
	if (json_is_null(v))
		return "null";
	return json_is_array(v) ? "an array" : "an object";
}

/* obj.key as a time; absent: *ms = absent. */
static int parse_time(const json_t *obj, const char *key, const char *where, const char *root,
		      int64_t absent, int64_t *ms, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, key);

	*ms = absent;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.%s: %s, not %s", where, root, key,
				   TIME_EXPECTED, json_kind(v));
	if (!vlt__time_parse_rfc3339(json_string_value(v), ms))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.%s: %s, not \"%.80s\"", where, root,
				   key, TIME_EXPECTED, json_string_value(v));
	return 0;
}

int vlt__interval_parse(const json_t *req, const char *where, vlt_interval_t *iv,
			vlt_err_t *err)
{
	const char *root = "$";
	vlt_interval_t got;
	int rc;

	if (where == NULL)
		where = "request";
	if (json_is_array(req) && json_array_size(req) == 1) {
		req = json_array_get(req, 0);
		root = "$[0]";
	}
	if (!json_is_object(req)) {
		*iv = vlt__interval_always;
		return 0;
	}
	if ((rc = parse_time(req, "start", where, root, VLT_TIME_BEGIN, &got.start_ms, err)) < 0 ||
	    (rc = parse_time(req, "end", where, root, VLT_TIME_END, &got.end_ms, err)) < 0)
		return rc;
	if (got.end_ms <= got.start_ms)
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.end: not after %s.start", where, root,
				   root);
	*iv = got;
	return 0;
}

void vlt__interval_format(const vlt_interval_t *iv, char *buf, size_t n)
{
	char s[40] = "", e[40] = "";

	/* the bounds' sentinels are no times to write */
	if (iv->start_ms != VLT_TIME_BEGIN)
		vlt__time_format_rfc3339(iv->start_ms, s, sizeof(s));
	if (iv->end_ms != VLT_TIME_END)
		vlt__time_format_rfc3339(iv->end_ms, e, sizeof(e));
	snprintf(buf, n, "%s to %s", *s ? s : "now", *e ? e : "no end");
}

/* ---------------------------------------------------------------- the tree */

/* The resources, then how many holds there are: busy() reads the last. */
#define TL_WIDTH (VLT_RES_COUNT + 1)
#define TL_HOLDS VLT_RES_COUNT

/* One time where usage changes. */
typedef struct tl_node {
	int64_t t;
	uint64_t prio;	/* heap order: a hash of t, so the shape is random yet repeatable */
	uint32_t uses;	/* hold bounds at t (a start, an end): 0 removes the node */
	struct tl_node *left, *right;
	int64_t delta[TL_WIDTH];   /* the change of usage at t */
	int64_t sum[TL_WIDTH];	   /* of the subtree's deltas */
	int64_t maxpref[TL_WIDTH]; /* the subtree's largest non-empty prefix sum */
} tl_node_t;

struct vlt_timeline {
	tl_node_t *root;
	uint32_t holds;
};

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* n's sums from its children's. */
static void pull(tl_node_t *n)
{
	for (int r = 0; r < TL_WIDTH; r++) {
		int64_t before = n->left ? n->left->sum[r] : 0;
		int64_t at = before + n->delta[r];
		int64_t best = n->left ? max64(n->left->maxpref[r], at) : at;

		if (n->right != NULL)
			best = max64(best, at + n->right->maxpref[r]);
		n->sum[r] = at + (n->right ? n->right->sum[r] : 0);
		n->maxpref[r] = best;
	}
}

/* Split n into the nodes before t (*a: t' < t, or t' <= t with inclusive) and the rest. */
static void split(tl_node_t *n, int64_t t, bool inclusive, tl_node_t **a, tl_node_t **b)
{
	if (n == NULL) {
		*a = *b = NULL;
	} else if (n->t < t || (inclusive && n->t == t)) {
		split(n->right, t, inclusive, &n->right, b);
		pull(n);
		*a = n;
	} else {
		split(n->left, t, inclusive, a, &n->left);
		pull(n);
		*b = n;
	}
}

/* Every time of a before every time of b. */
static tl_node_t *merge(tl_node_t *a, tl_node_t *b)
{
	if (a == NULL)
		return b;
	if (b == NULL)
		return a;
	if (a->prio > b->prio) {
		a->right = merge(a->right, b);
		pull(a);
		return a;
	}
	b->left = merge(a, b->left);
	pull(b);
	return b;
}

/* Add change (scaled by sign) at n's node of time t, which exists; sums refreshed on the way up. */
static void add_at(tl_node_t *n, int64_t t, const int64_t change[TL_WIDTH], int sign)
{
	if (t < n->t)
		add_at(n->left, t, change, sign);
	else if (t > n->t)
		add_at(n->right, t, change, sign);
	else {
		for (int r = 0; r < TL_WIDTH; r++)
			n->delta[r] += sign * change[r];
		n->uses = (uint32_t)((int64_t)n->uses + sign);
	}
	pull(n);
}

static tl_node_t *find(tl_node_t *n, int64_t t)
{
	while (n != NULL && n->t != t)
		n = t < n->t ? n->left : n->right;
	return n;
}

/* Put a fresh node (spare, taken) at time t. */
static void insert_node(vlt_timeline_t *tl, tl_node_t *spare, int64_t t)
{
	tl_node_t *a, *b;

	*spare = (tl_node_t){.t = t, .prio = mix64((uint64_t)t)};
	pull(spare);
	split(tl->root, t, false, &a, &b);
	tl->root = merge(merge(a, spare), b);
}

/* Take the node of time t out of the tree and free it. */
static void remove_node(vlt_timeline_t *tl, int64_t t)
{
	tl_node_t *a, *mid, *b;

	split(tl->root, t, false, &a, &b);
	split(b, t, true, &mid, &b);
	free(mid);
	tl->root = merge(a, b);
}

/* One bound of a hold: change at time t, the node there made from spare when there is none. */
static void bound(vlt_timeline_t *tl, int64_t t, const int64_t change[TL_WIDTH], int sign,
		  tl_node_t **spare)
{
	tl_node_t *n = find(tl->root, t);

	if (n == NULL && sign < 0)
		return; /* nothing was taken there */
	if (n == NULL) {
		insert_node(tl, *spare, t);
		*spare = NULL;
	}
	add_at(tl->root, t, change, sign);
	if (sign < 0 && (n = find(tl->root, t)) != NULL && n->uses == 0)
		remove_node(tl, t);
}

vlt_timeline_t *vlt__timeline_new(void)
{
	return calloc(1, sizeof(vlt_timeline_t));
}

static void free_nodes(tl_node_t *n)
{
	if (n == NULL)
		return;
	free_nodes(n->left);
	free_nodes(n->right);
	free(n);
}

void vlt__timeline_free(vlt_timeline_t *t)
{
	if (t == NULL)
		return;
	free_nodes(t->root);
	free(t);
}

int vlt__timeline_add(vlt_timeline_t *t, const vlt_interval_t *iv,
		      const int64_t demand[VLT_RES_COUNT], int sign)
{
	int64_t up[TL_WIDTH], down[TL_WIDTH];
	/* both nodes a hold may need, before anything changes: taking fails whole or not at all */
	tl_node_t *spare[2] = {NULL, NULL};

	if (sign > 0 && ((spare[0] = malloc(sizeof(tl_node_t))) == NULL ||
			 (spare[1] = malloc(sizeof(tl_node_t))) == NULL)) {
		free(spare[0]);
		return VLT_ENOMEM;
	}
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		up[r] = demand[r];
		down[r] = -demand[r];
	}
	up[TL_HOLDS] = 1;
	down[TL_HOLDS] = -1;
	bound(t, iv->start_ms, up, sign, &spare[0]);
	bound(t, iv->end_ms, down, sign, &spare[1]);
	free(spare[0]);
	free(spare[1]);
	t->holds = (uint32_t)((int64_t)t->holds + sign);
	return 0;
}

uint32_t vlt__timeline_holds(const vlt_timeline_t *t)
{
	return t->holds;
}

/* ---------------------------------------------------------------- the peak over an interval */

/*
 * The usage at a node's time is the sum of the deltas up to it, its
 * prefix. base is the sum of every delta before the subtree; best takes
 * the larger of itself and each prefix of the subtree's nodes asked for.
 */
static void take_best(int64_t best[TL_WIDTH], const int64_t base[TL_WIDTH],
		      const int64_t add[TL_WIDTH])
{
	for (int r = 0; r < TL_WIDTH; r++)
		best[r] = max64(best[r], base[r] + (add ? add[r] : 0));
}

/* base plus the node's left subtree and itself: the prefix at the node. */
static void prefix_at(const tl_node_t *n, const int64_t base[TL_WIDTH], int64_t at[TL_WIDTH])
{
	for (int r = 0; r < TL_WIDTH; r++)
		at[r] = base[r] + (n->left ? n->left->sum[r] : 0) + n->delta[r];
}

/* Nodes after lo. */
static void best_after(const tl_node_t *n, int64_t lo, const int64_t base[TL_WIDTH],
		       int64_t best[TL_WIDTH])
{
	int64_t at[TL_WIDTH];

	if (n == NULL)
		return;
	prefix_at(n, base, at);
	if (n->t <= lo) {
		best_after(n->right, lo, at, best);
		return;
	}
	best_after(n->left, lo, base, best);
	take_best(best, at, NULL);
	if (n->right != NULL)
		take_best(best, at, n->right->maxpref);
}

/* Nodes before hi. */
static void best_before(const tl_node_t *n, int64_t hi, const int64_t base[TL_WIDTH],
			int64_t best[TL_WIDTH])
{
	int64_t at[TL_WIDTH];

	while (n != NULL && n->t >= hi)
		n = n->left;
	if (n == NULL)
		return;
	if (n->left != NULL)
		take_best(best, base, n->left->maxpref);
	prefix_at(n, base, at);
	take_best(best, at, NULL);
	best_before(n->right, hi, at, best);
}

/* Nodes strictly between lo and hi. */
static void best_between(const tl_node_t *n, int64_t lo, int64_t hi,
			 const int64_t base[TL_WIDTH], int64_t best[TL_WIDTH])
{
	int64_t at[TL_WIDTH];

	while (n != NULL && n->t >= hi)
		n = n->left;
	if (n == NULL)
		return;
	prefix_at(n, base, at);
	if (n->t <= lo) {
		best_between(n->right, lo, hi, at, best);
		return;
	}
	best_after(n->left, lo, base, best);
	take_best(best, at, NULL);
	best_before(n->right, hi, at, best);
}

/* The usage at time t: every delta up to it. */
static void usage_at(const tl_node_t *n, int64_t t, int64_t out[TL_WIDTH])
{
	memset(out, 0, sizeof(int64_t) * TL_WIDTH);
	while (n != NULL) {
		if (n->t <= t) {
			prefix_at(n, out, out);
			n = n->right;
		} else {
			n = n->left;
		}
	}
}

/* The peak of every component over iv: the usage at its start, or at a change within it. */
static void peak_all(const vlt_timeline_t *t, const vlt_interval_t *iv, int64_t best[TL_WIDTH])
{
	static const int64_t none[TL_WIDTH];

	usage_at(t->root, iv->start_ms, best);
	best_between(t->root, iv->start_ms, iv->end_ms, none, best);
}

void vlt__timeline_peak(const vlt_timeline_t *t, const vlt_interval_t *iv,
			int64_t peak[VLT_RES_COUNT])
{
	int64_t best[TL_WIDTH];

	peak_all(t, iv, best);
	for (int r = 0; r < VLT_RES_COUNT; r++)
		peak[r] = max64(best[r], 0);
}

bool vlt__timeline_busy(const vlt_timeline_t *t, const vlt_interval_t *iv)
{
	int64_t best[TL_WIDTH];

	peak_all(t, iv, best);
	return best[TL_HOLDS] > 0;
}

/* ---------------------------------------------------------------- when usage is over a limit */

typedef struct short_walk {
	vlt_interval_t iv;
	const int64_t *limit;
	int64_t usage[VLT_RES_COUNT]; /* the sum of the deltas walked */
	bool begun;                   /* the usage at iv's start is known */
	bool over;                    /* a part is open, from since */
	int64_t since;
	vlt_interval_t *out;
	size_t max, n;
} short_walk_t;

static bool walk_over(const short_walk_t *w)
{
	for (int r = 0; r < VLT_RES_COUNT; r++)
		if (w->usage[r] > w->limit[r])
			return true;
	return false;
}

/* The usage changed at t (iv's start when begun is false): open or close a part. */
static void walk_turn(short_walk_t *w, int64_t t)
{
	bool over = walk_over(w);

	w->begun = true;
	if (over && !w->over)
		w->since = t;
	else if (!over && w->over) {
		if (w->n < w->max)
			w->out[w->n] = (vlt_interval_t){w->since, t};
		w->n++;
	}
	w->over = over;
}

/* In order, the nodes of n before iv's end. */
static void walk_nodes(const tl_node_t *n, short_walk_t *w)
{
	if (n == NULL)
		return;
	if (n->t <= w->iv.start_ms) {
		/* the left subtree is before the start too: only its sum matters */
		for (int r = 0; r < VLT_RES_COUNT; r++)
			w->usage[r] += (n->left ? n->left->sum[r] : 0) + n->delta[r];
		walk_nodes(n->right, w);
		return;
	}
	walk_nodes(n->left, w);
	if (n->t >= w->iv.end_ms)
		return;
	if (!w->begun)
		walk_turn(w, w->iv.start_ms);
	for (int r = 0; r < VLT_RES_COUNT; r++)
		w->usage[r] += n->delta[r];
	walk_turn(w, n->t);
	walk_nodes(n->right, w);
}

size_t vlt__timeline_short(const vlt_timeline_t *t, const vlt_interval_t *iv,
			   const int64_t limit[VLT_RES_COUNT], vlt_interval_t *out, size_t max)
{
	short_walk_t w = {.iv = *iv, .limit = limit, .out = out, .max = max};

	walk_nodes(t != NULL ? t->root : NULL, &w);
	if (!w.begun)
		walk_turn(&w, iv->start_ms);
	if (w.over) {
		if (w.n < w.max)
			w.out[w.n] = (vlt_interval_t){w.since, iv->end_ms};
		w.n++;
	}
	return w.n;
}
