/*
 * nodes.c - what the ostro search places and in which order: the placement
 * nodes (affinity trees placed as units), Ostro's resource weights, the
 * order of the top-level nodes (heaviest first, linked nodes close), their
 * linked components, and the classes of units alike (for dead ends).
 */
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* ---------------------------------------------------------------- weights */

/*
 * The extra classes' share of what the stack asks, summed into *sum; none
 * asked (or a core before ABI 1.6) leaves n_xc 0. RET 0 or VLT_ENOMEM.
 */
static int class_ratios(ostro_ctx_t *c, double *sum)
{
	uint32_t nc = c->dc->n_classes;
	const vlt_class_demand_t *asks;
	double *demand;
	bool any = false;

	c->n_xc = 0;
	if (c->core->abi_minor < 6 || nc == 0)
		return VLT_OK;
	demand = ostro_arena_alloc(&c->arena, nc * sizeof(*demand));
	c->xw = ostro_arena_alloc(&c->arena, nc * sizeof(*c->xw));
	c->x_inv_free = ostro_arena_alloc(&c->arena, nc * sizeof(*c->x_inv_free));
	if (demand == NULL || c->xw == NULL || c->x_inv_free == NULL)
		return ostro_oom(c);
	for (uint32_t u = 0; u < c->st->n_units; u++) {
		uint32_t n = ostro_is_server(c, u) ? c->core->unit_classes(c->cy, u, &asks) : 0;

		for (uint32_t i = 0; i < n; i++)
			demand[asks[i].rclass] += (double)asks[i].amount;
		any = any || n > 0;
	}
	if (!any)
		return VLT_OK;
	for (uint32_t k = 0; k < nc; k++) {
		double free_ = 0;

		for (uint32_t h = 0; demand[k] > 0 && h < c->dc->n_hosts; h++) {
			int64_t f = c->core->class_free(c->cy, h, k);

			free_ += c->dc->hosts[h].enabled && f > 0 ? (double)f : 0;
		}
		c->x_inv_free[k] = free_ > 0 ? 1.0 / free_ : 0.0;
		c->xw[k] = demand[k] > 0 ? (free_ > 0 ? demand[k] / free_ : 1.0) : 0.0;
		*sum += c->xw[k];
	}
	c->n_xc = nc;
	return VLT_OK;
}

/* The extra classes' part of unit u's weighted demand. */
static double class_weight(const ostro_ctx_t *c, uint32_t u)
{
	const vlt_class_demand_t *asks;
	uint32_t n = c->n_xc > 0 ? c->core->unit_classes(c->cy, u, &asks) : 0;
	double key = 0;

	for (uint32_t i = 0; i < n; i++)
		key += c->xw[asks[i].rclass] * (double)asks[i].amount *
		       c->x_inv_free[asks[i].rclass];
	return key;
}

/* Ostro's weights: each resource by the share of the free capacity the stack asks for. */
static int compute_weights(ostro_ctx_t *c)
{
	double ratio[VLT_RES_COUNT], sum = 0;
	int64_t demand[VLT_RES_COUNT] = {0}, free_[VLT_RES_COUNT] = {0};

	for (uint32_t u = 0; u < c->st->n_units; u++)
		if (ostro_is_server(c, u))
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
	if (class_ratios(c, &sum) < 0)
		return VLT_ENOMEM;
	for (int r = 0; r < VLT_RES_COUNT; r++)
		c->w[r] = sum > 0 ? ratio[r] / sum : 1.0 / VLT_RES_COUNT;
	for (uint32_t k = 0; k < c->n_xc; k++)
		c->xw[k] = sum > 0 ? c->xw[k] / sum : 0.0;
	return VLT_OK;
}

static double demand_weight(const ostro_ctx_t *c, const int64_t demand[VLT_RES_COUNT])
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
static int sort_heaviest(ostro_ctx_t *c, uint32_t *idx, uint32_t n)
{
	ostro_mark_t m = ostro_arena_mark(&c->arena);
	wkey_t *keys;

	if (n < 2)
		return VLT_OK;
	keys = ostro_arena_alloc(&c->arena, n * sizeof(*keys));
	if (keys == NULL)
		return ostro_oom(c);
	for (uint32_t i = 0; i < n; i++)
		keys[i] = (wkey_t){c->nodes[idx[i]].weight, idx[i]};
	qsort(keys, n, sizeof(*keys), by_weight_desc);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = keys[i].idx;
	ostro_arena_release(&c->arena, m);
	return VLT_OK;
}

/* Demand, weight and member list of node i, its kids first. */
static int finish_node(ostro_ctx_t *c, uint32_t i)
{
	ostro_node_t *n = &c->nodes[i];
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
			n->class_weight = class_weight(c, n->unit);
		}
		n->weight = demand_weight(c, n->demand) + n->class_weight;
		return VLT_OK;
	}
	for (uint32_t j = 0; j < n->n_kids; j++) {
		const ostro_node_t *kid = &c->nodes[n->kids[j]];
		rc = finish_node(c, n->kids[j]);
		if (rc < 0)
			return rc;
		n->n_members += kid->n_members;
		n->n_servers += kid->n_servers;
		n->class_weight += kid->class_weight;
		for (int r = 0; r < VLT_RES_COUNT; r++) {
			n->demand[r] += kid->demand[r];
			if (kid->max_demand[r] > n->max_demand[r])
				n->max_demand[r] = kid->max_demand[r];
		}
	}
	n->weight = demand_weight(c, n->demand) + n->class_weight;
	rc = sort_heaviest(c, n->kids, n->n_kids);
	if (rc < 0)
		return rc;
	members = ostro_arena_alloc(&c->arena, n->n_members * sizeof(*members));
	if (members == NULL)
		return ostro_oom(c);
	for (uint32_t j = 0; j < n->n_kids; j++) {
		const ostro_node_t *kid = &c->nodes[n->kids[j]];
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

static int scan_affinity(ostro_ctx_t *c, aff_t *a)
{
	const vlt_stack_t *st = c->st;
	uint32_t ng = st->n_groups, nu = st->n_units;

	a->up = ostro_arena_alloc(&c->arena, (ng + 1) * sizeof(uint32_t));
	a->top = ostro_arena_alloc(&c->arena, (ng + 1) * sizeof(uint32_t));
	a->uf = ostro_arena_alloc(&c->arena, (ng + 1) * sizeof(uint32_t));
	a->flat = ostro_arena_alloc(&c->arena, (ng + 1) * sizeof(bool));
	a->inner = ostro_arena_alloc(&c->arena, (nu + 1) * sizeof(uint32_t));
	a->root = ostro_arena_alloc(&c->arena, (nu + 1) * sizeof(uint32_t));
	if (!a->up || !a->top || !a->uf || !a->flat || !a->inner || !a->root)
		return ostro_oom(c);
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
static void set_parents(ostro_ctx_t *c, const aff_t *a)
{
	const vlt_stack_t *st = c->st;
	uint32_t nu = st->n_units, ng = st->n_groups;

	for (uint32_t u = 0; u < nu; u++) {
		ostro_node_t *n = &c->nodes[u];
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
		ostro_node_t *n = &c->nodes[nu + g];
		n->unit = VLT_NONE;
		n->parent = VLT_NONE;
		if (!is_affinity(st, g))
			continue;
		uint32_t root = uf_find(a->uf, a->top[g]);
		if (a->flat[root]) {
			/* the flattened node: the highest level among its groups */
			ostro_node_t *f = &c->nodes[nu + root];
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
static int attach_kids(ostro_ctx_t *c)
{
	for (uint32_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].live && c->nodes[i].parent != VLT_NONE)
			c->nodes[c->nodes[i].parent].n_kids++;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		ostro_node_t *n = &c->nodes[i];
		if (n->n_kids == 0)
			continue;
		n->kids = ostro_arena_alloc(&c->arena, n->n_kids * sizeof(*n->kids));
		if (n->kids == NULL)
			return ostro_oom(c);
		n->n_kids = 0;
	}
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		ostro_node_t *n = &c->nodes[i];
		if (n->live && n->parent != VLT_NONE) {
			ostro_node_t *p = &c->nodes[n->parent];
			p->kids[p->n_kids++] = i;
		}
	}
	return VLT_OK;
}

static int build_nodes(ostro_ctx_t *c)
{
	aff_t a;
	int rc;

	c->n_nodes = c->st->n_units + c->st->n_groups;
	c->nodes = ostro_arena_alloc(&c->arena, c->n_nodes * sizeof(*c->nodes));
	if (c->nodes == NULL)
		return ostro_oom(c);
	rc = scan_affinity(c, &a);
	if (rc == VLT_OK) {
		set_parents(c, &a);
		rc = attach_kids(c);
	}
	for (uint32_t i = 0; i < c->n_nodes && rc == VLT_OK; i++) {
		ostro_node_t *n = &c->nodes[i];
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
	return (k->flags & VLT_LINK_ATTACHMENT) ? OSTRO_ATTACH_WEIGHT : k->mbps;
}

/*
 * The top-level nodes (OUT tops, *n_top; top_of: each unit's top-level
 * node), and their linked components: c->comp maps a top-level node to its
 * component, c->comp_rest sums each component's demand.
 */
static void find_components(ostro_ctx_t *c, uint32_t *top_of, uint32_t *tops, uint32_t *n_top)
{
	const vlt_stack_t *st = c->st;

	*n_top = 0;
	for (uint32_t i = 0; i < c->n_nodes; i++) {
		const ostro_node_t *n = &c->nodes[i];
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

/* Scratch of ostro_order. */
typedef struct frontier {
	uint32_t *nodes; /* unordered nodes linked to ordered ones */
	uint32_t n;
	double *pull; /* per node: bandwidth to ordered nodes */
	bool *in, *done;
} frontier_t;

/* Take the frontier's node with the most bandwidth to ordered ones (then heaviest, lowest). */
static uint32_t frontier_take(const ostro_ctx_t *c, frontier_t *f)
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
static void frontier_grow(const ostro_ctx_t *c, frontier_t *f, const uint32_t *top_of, uint32_t t)
{
	const ostro_node_t *n = &c->nodes[t];

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
 * The placement order: `first` (or the heaviest node); then, while some
 * unordered node is linked to ordered ones, the one with the most bandwidth
 * to them (ties: heaviest, then index); otherwise the heaviest left.
 */
int ostro_order(ostro_ctx_t *c, uint32_t first, uint32_t *order)
{
	ostro_mark_t m = ostro_arena_mark(&c->arena);
	uint32_t n_top = c->n_tops, next_heavy = 0, n_order = 0;
	size_t n = c->n_nodes;
	frontier_t f = {0};

	f.nodes = ostro_arena_alloc(&c->arena, n * sizeof(*f.nodes));
	f.pull = ostro_arena_alloc(&c->arena, n * sizeof(*f.pull));
	f.in = ostro_arena_alloc(&c->arena, n * sizeof(*f.in));
	f.done = ostro_arena_alloc(&c->arena, n * sizeof(*f.done));
	if (!f.nodes || !f.pull || !f.in || !f.done)
		return ostro_oom(c);
	while (n_order < n_top) {
		uint32_t t;
		if (n_order == 0 && first != VLT_NONE) {
			t = first;
		} else if (f.n > 0) {
			t = frontier_take(c, &f);
		} else {
			while (f.done[c->tops[next_heavy]])
				next_heavy++;
			t = c->tops[next_heavy];
		}
		f.done[t] = true;
		order[n_order++] = t;
		frontier_grow(c, &f, c->top_of, t);
	}
	ostro_arena_release(&c->arena, m);
	return VLT_OK;
}

/* The top-level nodes, heaviest first, their components, and the default order. */
static int order_nodes(ostro_ctx_t *c, uint32_t *top_of)
{
	size_t n = c->n_nodes;
	int rc;

	c->tops = ostro_arena_alloc(&c->arena, n * sizeof(*c->tops));
	c->order = ostro_arena_alloc(&c->arena, n * sizeof(*c->order));
	c->comp = ostro_arena_alloc(&c->arena, n * sizeof(*c->comp));
	c->comp_rest = ostro_arena_alloc(&c->arena, n * sizeof(*c->comp_rest));
	if (!c->tops || !c->order || !c->comp || !c->comp_rest)
		return ostro_oom(c);
	find_components(c, top_of, c->tops, &c->n_tops);
	rc = sort_heaviest(c, c->tops, c->n_tops);
	if (rc < 0)
		return rc;
	c->n_order = c->n_tops;
	return ostro_order(c, VLT_NONE, c->order);
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
static int classify_units(ostro_ctx_t *c)
{
	uint32_t nu = c->st->n_units, cap = 16;
	uint32_t *table;

	while (cap < 2 * nu)
		cap *= 2;
	c->cls = ostro_arena_alloc(&c->arena, nu * sizeof(*c->cls));
	table = ostro_arena_alloc(&c->arena, cap * sizeof(*table));
	if (c->cls == NULL || table == NULL)
		return ostro_oom(c);
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

int ostro_build(ostro_ctx_t *c)
{
	uint32_t nu = c->st->n_units;
	int rc;

	rc = compute_weights(c);
	if (rc == VLT_OK)
		rc = build_nodes(c);
	if (rc < 0)
		return rc;
	c->top_of = ostro_arena_alloc(&c->arena, nu * sizeof(*c->top_of));
	if (c->top_of == NULL)
		return ostro_oom(c);
	memset(c->top_of, 0xff, nu * sizeof(*c->top_of));
	rc = order_nodes(c, c->top_of);
	if (rc == VLT_OK)
		rc = classify_units(c);
	return rc;
}
