/*
 * improve.c - ostro's improvement phase (docs/solvers.md, "Improvement").
 *
 * Once every unit is placed, whole nodes move: next to a linked peer (its
 * host, its rack), swapped with a server on a peer's host, placed again by
 * the descent, placed together with a linked peer as one node; then each
 * small linked component is gathered into one host or rack, and on small
 * stacks what two hosts hold is merged onto one. A move is kept only when
 * the objective drops: the bandwidth cost, then the hosts the stack uses,
 * then the capacity left stranded on them; otherwise it is taken back.
 * Small stacks are also placed again from scratch from other first nodes
 * and with other rankings, each improved the same way, and the best
 * placement is kept.
 *
 * Every move goes through the descent or check(), so every policy and
 * every capacity holds. Effort is counted, not timed, so the answer stays
 * deterministic: each move costs a fixed amount plus the domains its
 * descent ranks, and the phase may spend a floor plus a multiple of what
 * the greedy placement spent (a multiple that shrinks as stacks grow).
 * time_budget_ms still stops it; a move's own descent may roll back a few
 * times only.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>

#include "state.h"

/* Up to this many top-level nodes: restarts, moves to every host the stack uses, merges. */
#define SMALL_NODES 24
/* Up to this many: a few passes; above, a pass of descents and one of the other moves. */
#define MEDIUM_NODES 160
#define SMALL_FIRSTS 4  /* first nodes of the restarts, besides the heaviest */
#define SMALL_PASSES 8
#define MEDIUM_PASSES 3
#define LARGE_PASSES 2
#define SWAP_SCAN 16        /* swap partners tried per host */
#define MAX_TRIED 32        /* moves remembered per node and pass */
#define PAIR_SERVERS 16     /* two nodes go as one up to this many servers */
#define GATHER_SERVERS 64   /* components are gathered up to this many servers */
#define PEER_MOVES 64       /* servers moved next to peers, per node and pass */
#define MOVE_BACKTRACKS 8   /* rolled-back descents one move may spend */
#define START_BACKTRACKS 64 /* ... and one placement from scratch */
/*
 * Effort: the domains the descent ranks, plus MOVE_EFFORT per move (its
 * bookkeeping costs about that). The phase may spend EFFORT_FLOOR plus
 * EFFORT_SMALL, _MEDIUM or _LARGE times what the greedy placement spent.
 */
#define MOVE_EFFORT 8
#define EFFORT_FLOOR 16384
#define EFFORT_SMALL 8
#define EFFORT_MEDIUM 2
#define EFFORT_LARGE 1

/* What a move is judged by, in this order. */
typedef struct obj {
	double cost;     /* bandwidth cost: of the links a move touches, or of all */
	uint32_t hosts;  /* hosts holding servers of the stack */
	double stranded; /* weighted free capacity left on them */
} obj_t;

enum { MOVE_EACH, MOVE_TOGETHER };

/*
 * A move of nodes (movers, disjoint). MOVE_EACH: node i goes inside domain
 * dom[i] of level lvl[i] (VLT_LEVEL_DC: anywhere the descent picks).
 * MOVE_TOGETHER: the nodes go as one node of level `level`, wherever the
 * descent picks.
 */
typedef struct move {
	int kind;
	const uint32_t *nodes;
	uint32_t n;
	vlt_level_t lvl[2];
	uint32_t dom[2];
	vlt_level_t level;
} move_t;

/* What was tried for the node being improved: moves to, with, swaps on. */
enum { TRY_TO, TRY_WITH, TRY_SWAP };

typedef struct tried {
	int kind;
	vlt_level_t lvl;
	uint32_t dom;
} tried_t;

/* Scratch of the improvement, all in the call's arena. */
typedef struct imp {
	uint32_t *movers;    /* what moves: top-level nodes and the sub-nodes of wide groups */
	uint32_t n_movers;
	bool *atom;          /* per node: a mover with no movers inside */
	uint32_t *atom_of;   /* per unit: the atom holding it */
	bool *lifted;        /* per unit: moved by the move being tried */
	bool *dirty;         /* per node: something near it moved since it was last tried */
	ostro_placed_t *old; /* the assignments the move took back, in log order */
	uint32_t n_old;
	ostro_node_t tmp;    /* MOVE_TOGETHER's node */
	uint32_t *tmp_kids;
	uint32_t *tmp_members;
	int64_t rest[VLT_RES_COUNT];
	uint32_t *comp_nodes; /* a component's nodes, in order */
	uint32_t *hosts;      /* merge_hosts: the hosts the stack uses */
	tried_t tried[MAX_TRIED];
	uint32_t n_tried;
	uint64_t moves;  /* moves tried */
	uint64_t limit;  /* effort() at which the current improvement stops */
	uint64_t end;    /* ... and the whole phase */
	bool wide; /* small stack: moves to every host the stack uses, every swap */
	bool descent_only; /* large stack, first pass: each linked node placed again, only */
	int passes;
} imp_t;

/* ---------------------------------------------------------------- objective */

/* Levels crossed between unit a on la and unit b on lb (hosts or pools), as the core counts. */
static int levels_at(const ostro_ctx_t *c, uint32_t a, uint32_t la, uint32_t b, uint32_t lb)
{
	const vlt_dc_t *dc = c->dc;
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

/* Levels crossed between two placed units. */
static int levels_between(const ostro_ctx_t *c, uint32_t a, uint32_t b)
{
	return levels_at(c, a, c->v->placement[a], b, c->v->placement[b]);
}

/* The capacity left on the stack's hosts, each resource weighted as in best fit. */
static double stranded_key(const ostro_ctx_t *c)
{
	double key = 0;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		key += c->w[r] * (double)c->stranded[r] * c->inv_free[r];
	return key;
}

/* The cost of every link of the moved nodes' units; a link between two of them counts once. */
static double moved_cost(const ostro_ctx_t *c, const imp_t *im, const move_t *mv)
{
	const vlt_stack_t *st = c->st;
	double cost = 0;

	for (uint32_t i = 0; i < mv->n; i++) {
		const ostro_node_t *n = &c->nodes[mv->nodes[i]];
		for (uint32_t j = 0; j < n->n_members; j++) {
			uint32_t u = n->members[j];
			const vlt_unit_t *unit = &st->units[u];
			for (uint32_t l = 0; l < unit->n_links; l++) {
				const vlt_link_t *k = &st->links[unit->links[l]];
				uint32_t peer = k->a == u ? k->b : k->a;
				if (peer == u || c->v->placement[peer] == VLT_NONE)
					continue;
				double w = im->lifted[peer] ? 0.5 : 1.0;
				cost += w * ostro_link_cost(k, levels_between(c, u, peer));
			}
		}
	}
	return cost;
}

/* The stack's bandwidth cost, as the core computes it. */
static double total_cost(const ostro_ctx_t *c)
{
	const vlt_stack_t *st = c->st;
	double cost = 0;

	for (uint32_t k = 0; k < st->n_links; k++) {
		const vlt_link_t *l = &st->links[k];
		if (l->a == l->b || c->v->placement[l->a] == VLT_NONE ||
		    c->v->placement[l->b] == VLT_NONE)
			continue;
		cost += ostro_link_cost(l, levels_between(c, l->a, l->b));
	}
	return cost;
}

static bool obj_better(const obj_t *a, const obj_t *b)
{
	if (ostro_cost_less(a->cost, b->cost))
		return true;
	if (ostro_cost_less(b->cost, a->cost))
		return false;
	if (a->hosts != b->hosts)
		return a->hosts < b->hosts;
	return ostro_cost_less(a->stranded, b->stranded);
}

static obj_t whole_obj(const ostro_ctx_t *c)
{
	return (obj_t){total_cost(c), c->n_hosts, stranded_key(c)};
}

/* ---------------------------------------------------------------- moves */

/* Mark (or unmark) the moved nodes' units as lifted. */
static void mark_lifted(const ostro_ctx_t *c, imp_t *im, const move_t *mv, bool on)
{
	for (uint32_t i = 0; i < mv->n; i++) {
		const ostro_node_t *n = &c->nodes[mv->nodes[i]];
		for (uint32_t j = 0; j < n->n_members; j++)
			im->lifted[n->members[j]] = on;
	}
}

/* Take the moved nodes' units out of the log and back from where they are. */
static void lift(ostro_ctx_t *c, imp_t *im)
{
	uint32_t k = 0;

	im->n_old = 0;
	for (uint32_t i = 0; i < c->n_log; i++) {
		if (im->lifted[c->log[i].unit])
			im->old[im->n_old++] = c->log[i];
		else
			c->log[k++] = c->log[i];
	}
	c->n_log = k;
	for (uint32_t i = im->n_old; i-- > 0;)
		ostro_undo(c, im->old[i]);
}

/* Put the lifted units back where they were: the state before the move. */
static int put_back(ostro_ctx_t *c, const imp_t *im)
{
	for (uint32_t i = 0; i < im->n_old; i++) {
		int rc = ostro_assign(c, im->old[i].unit, im->old[i].loc);
		if (rc < 0)
			return rc;
	}
	return VLT_OK;
}

/* MOVE_TOGETHER's node: the moved nodes as kids, their members in that order. */
static void build_together(ostro_ctx_t *c, imp_t *im, const move_t *mv)
{
	ostro_node_t *t = &im->tmp;

	*t = (ostro_node_t){
		.unit = VLT_NONE,
		.level = mv->level,
		.parent = VLT_NONE,
		.kids = im->tmp_kids,
		.n_kids = mv->n,
		.members = im->tmp_members,
		.live = true,
	};
	for (uint32_t i = 0; i < mv->n; i++) {
		const ostro_node_t *n = &c->nodes[mv->nodes[i]];
		im->tmp_kids[i] = mv->nodes[i];
		memcpy(im->tmp_members + t->n_members, n->members,
		       n->n_members * sizeof(*n->members));
		t->n_members += n->n_members;
		t->n_servers += n->n_servers;
		for (int r = 0; r < VLT_RES_COUNT; r++) {
			t->demand[r] += n->demand[r];
			if (n->max_demand[r] > t->max_demand[r])
				t->max_demand[r] = n->max_demand[r];
		}
	}
}

/* Is unit u on a host the move left or took (log entries from mark on)? */
static bool on_touched_host(const ostro_ctx_t *c, const imp_t *im, uint32_t mark, uint32_t u)
{
	uint32_t h = c->v->placement[u];

	if (!ostro_is_server(c, u) || h == VLT_NONE)
		return false;
	for (uint32_t i = 0; i < im->n_old; i++)
		if (im->old[i].loc == h && ostro_is_server(c, im->old[i].unit))
			return true;
	for (uint32_t i = mark; i < c->n_log; i++)
		if (c->log[i].loc == h && ostro_is_server(c, c->log[i].unit))
			return true;
	return false;
}

/* Unit u and every node holding it are worth trying again (a leaf node's index is its unit's). */
static void stir_unit(const ostro_ctx_t *c, imp_t *im, uint32_t u)
{
	for (uint32_t x = u; x != VLT_NONE; x = c->nodes[x].parent)
		im->dirty[x] = true;
}

/*
 * A move was kept: the nodes it moved, their linked peers and the nodes on
 * the hosts it touched are worth trying again.
 */
static void stir(const ostro_ctx_t *c, imp_t *im, const move_t *mv, uint32_t mark)
{
	for (uint32_t i = 0; i < mv->n; i++) {
		const ostro_node_t *n = &c->nodes[mv->nodes[i]];
		im->dirty[mv->nodes[i]] = true;
		for (uint32_t j = 0; j < n->n_members; j++) {
			const vlt_unit_t *unit = &c->st->units[n->members[j]];
			for (uint32_t l = 0; l < unit->n_links; l++) {
				const vlt_link_t *k = &c->st->links[unit->links[l]];
				stir_unit(c, im, k->a);
				stir_unit(c, im, k->b);
			}
		}
	}
	for (uint32_t u = 0; u < c->st->n_units; u++)
		if (!im->dirty[u] && on_touched_host(c, im, mark, u))
			stir_unit(c, im, u);
}

/* Place the lifted nodes as the move says. RET 0, VLT_ENOPLACE or an error. */
static int place_move(ostro_ctx_t *c, imp_t *im, const move_t *mv)
{
	if (mv->kind == MOVE_TOGETHER) {
		build_together(c, im, mv);
		return ostro_place_node(c, &im->tmp, VLT_LEVEL_DC, 0);
	}
	for (uint32_t i = 0; i < mv->n; i++) {
		int rc = ostro_place_node(c, &c->nodes[mv->nodes[i]], mv->lvl[i], mv->dom[i]);
		if (rc != VLT_OK)
			return rc;
	}
	return VLT_OK;
}

/* Where a move of single servers to hosts would put unit u (it stays put if not moved). */
static uint32_t loc_after(const ostro_ctx_t *c, const move_t *mv, uint32_t u)
{
	for (uint32_t i = 0; i < mv->n; i++)
		if (c->nodes[mv->nodes[i]].unit == u)
			return mv->dom[i];
	return c->v->placement[u];
}

/* What node n's servers on host h ask of resource r. */
static int64_t demand_on(const ostro_ctx_t *c, const ostro_node_t *n, uint32_t h, int r)
{
	int64_t sum = 0;

	for (uint32_t i = 0; i < n->n_members; i++)
		if (ostro_is_server(c, n->members[i]) && c->v->placement[n->members[i]] == h)
			sum += c->st->units[n->members[i]].demand[r];
	return sum;
}

/*
 * Might some host take all the moved nodes at once? The roomiest host of
 * any cluster, or a host they are on now with what they hold there back.
 */
static bool host_may_take(const ostro_ctx_t *c, const move_t *mv)
{
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		int64_t need = 0, room = 0;
		for (uint32_t i = 0; i < mv->n; i++)
			need += c->nodes[mv->nodes[i]].demand[r];
		for (uint32_t k = 0; k < c->dc->n_clusters; k++)
			if (c->v->cluster_max_free[k][r] > room)
				room = c->v->cluster_max_free[k][r];
		for (uint32_t i = 0; i < mv->n && room < need; i++) {
			const ostro_node_t *n = &c->nodes[mv->nodes[i]];
			for (uint32_t j = 0; j < n->n_members; j++) {
				uint32_t u = n->members[j], h = c->v->placement[u];
				int64_t back = 0;
				if (!ostro_is_server(c, u))
					continue;
				for (uint32_t a = 0; a < mv->n; a++)
					back += demand_on(c, &c->nodes[mv->nodes[a]], h, r);
				if (c->v->host_free[h][r] + back > room)
					room = c->v->host_free[h][r] + back;
			}
		}
		if (need > room)
			return false;
	}
	return true;
}

/*
 * A move of single servers onto given hosts that cannot be kept, seen from
 * the view without making it: a host without the room, or a higher cost.
 * Other moves are never refused here.
 */
static bool futile(const ostro_ctx_t *c, const imp_t *im, const move_t *mv, double before)
{
	double after = 0;

	if (mv->kind == MOVE_TOGETHER)
		return mv->level == VLT_LEVEL_HOST && !host_may_take(c, mv);
	if (mv->kind != MOVE_EACH)
		return false;
	for (uint32_t i = 0; i < mv->n; i++) {
		const ostro_node_t *n = &c->nodes[mv->nodes[i]];
		if (mv->lvl[i] != VLT_LEVEL_HOST || n->unit == VLT_NONE || n->n_servers != 1)
			return false;
	}
	for (uint32_t i = 0; i < mv->n; i++) {
		uint32_t h = mv->dom[i];
		for (int r = 0; r < VLT_RES_COUNT; r++) {
			int64_t need = 0;
			for (uint32_t j = 0; j < mv->n; j++) {
				const ostro_node_t *n = &c->nodes[mv->nodes[j]];
				need += mv->dom[j] == h ? n->demand[r] : 0;
				need -= c->v->placement[n->unit] == h ? n->demand[r] : 0;
			}
			if (need > c->v->host_free[h][r])
				return true;
		}
	}
	for (uint32_t i = 0; i < mv->n; i++) {
		uint32_t u = c->nodes[mv->nodes[i]].unit;
		const vlt_unit_t *unit = &c->st->units[u];
		for (uint32_t l = 0; l < unit->n_links; l++) {
			const vlt_link_t *k = &c->st->links[unit->links[l]];
			uint32_t peer = k->a == u ? k->b : k->a;
			if (peer == u || c->v->placement[peer] == VLT_NONE)
				continue;
			double w = im->lifted[peer] ? 0.5 : 1.0;
			after += w * ostro_link_cost(k, levels_at(c, u, mv->dom[i], peer,
								  loc_after(c, mv, peer)));
		}
	}
	return ostro_cost_less(before, after);
}

/*
 * Try a move: lift its nodes, place them as it says, keep the result if
 * the objective dropped, else put everything back. OUT *kept.
 * RET 0 or an error.
 */
static int try_move(ostro_ctx_t *c, imp_t *im, const move_t *mv, bool *kept)
{
	uint64_t backtracks = c->backtracks;
	obj_t before, after;
	uint32_t mark;
	int rc;

	*kept = false;
	if ((++im->moves & 31) == 0)
		ostro_budget_check(c);
	mark_lifted(c, im, mv, true);
	before = (obj_t){moved_cost(c, im, mv), c->n_hosts, stranded_key(c)};
	if (futile(c, im, mv, before.cost)) {
		mark_lifted(c, im, mv, false);
		return VLT_OK;
	}
	lift(c, im);
	memset(im->rest, 0, sizeof(im->rest));
	for (uint32_t i = 0; i < mv->n; i++)
		for (int r = 0; r < VLT_RES_COUNT; r++)
			im->rest[r] += c->nodes[mv->nodes[i]].demand[r];
	c->rest = im->rest;
	mark = c->n_log;
	c->top_mark = mark;
	c->fail_unit = VLT_NONE;
	c->bt_limit = backtracks + MOVE_BACKTRACKS;
	rc = place_move(c, im, mv);
	c->backtracks = backtracks;
	c->bt_limit = (uint64_t)c->set->max_backtracks;
	c->exhausted = false;
	if (rc == VLT_OK) {
		after = (obj_t){moved_cost(c, im, mv), c->n_hosts, stranded_key(c)};
		*kept = obj_better(&after, &before);
		if (*kept)
			stir(c, im, mv, mark);
		else
			rc = VLT_ENOPLACE;
	}
	if (rc == VLT_ENOPLACE) {
		ostro_unwind(c, mark);
		rc = put_back(c, im);
	}
	mark_lifted(c, im, mv, false);
	ostro_budget_check(c);
	return rc;
}

/* ---------------------------------------------------------------- neighbourhoods */

/* The level a node's servers share: a leaf's host, a group's own level. */
static vlt_level_t node_level(const ostro_node_t *n)
{
	return n->unit != VLT_NONE ? VLT_LEVEL_HOST : n->level;
}

/* The domain of level lvl that holds unit u; VLT_NONE if it is not placed or in none. */
static uint32_t unit_domain(const ostro_ctx_t *c, uint32_t u, vlt_level_t lvl)
{
	uint32_t loc = c->v->placement[u];

	if (loc == VLT_NONE)
		return VLT_NONE;
	if (ostro_is_server(c, u))
		return vlt_host_domain(c->dc, loc, lvl);
	if (lvl == VLT_LEVEL_RACK)
		return c->dc->pools[loc].rack;
	if (lvl == VLT_LEVEL_CLUSTER)
		return c->dc->pools[loc].cluster;
	return lvl == VLT_LEVEL_DC ? 0 : VLT_NONE;
}

/* Is unit u under node t? */
static bool node_has(const ostro_ctx_t *c, uint32_t t, uint32_t u)
{
	for (uint32_t x = u; x != VLT_NONE; x = c->nodes[x].parent)
		if (x == t)
			return true;
	return false;
}

/* A node's first server, or VLT_NONE. */
static uint32_t first_server(const ostro_ctx_t *c, const ostro_node_t *n)
{
	for (uint32_t i = 0; i < n->n_members; i++)
		if (ostro_is_server(c, n->members[i]))
			return n->members[i];
	return VLT_NONE;
}

/* The domain of level lvl that holds node t's first server. */
static uint32_t node_domain(const ostro_ctx_t *c, uint32_t t, vlt_level_t lvl)
{
	return unit_domain(c, first_server(c, &c->nodes[t]), lvl);
}

/* Has this move of the current node been tried? Remember it if not (when there is room). */
static bool seen(imp_t *im, int kind, vlt_level_t lvl, uint32_t dom)
{
	for (uint32_t i = 0; i < im->n_tried; i++)
		if (im->tried[i].kind == kind && im->tried[i].lvl == lvl && im->tried[i].dom == dom)
			return true;
	if (im->n_tried == MAX_TRIED)
		return true;
	im->tried[im->n_tried++] = (tried_t){kind, lvl, dom};
	return false;
}

/* The effort spent so far: domains ranked by descents, and a fixed share per move. */
static uint64_t effort(const ostro_ctx_t *c, const imp_t *im)
{
	return c->work + MOVE_EFFORT * im->moves;
}

static bool out_of_effort(const ostro_ctx_t *c, const imp_t *im)
{
	return c->exhausted || effort(c, im) >= im->limit;
}

/* Node t inside domain dom of level lvl (VLT_LEVEL_DC: where the descent picks). */
static int move_to(ostro_ctx_t *c, imp_t *im, uint32_t t, vlt_level_t lvl, uint32_t dom,
		   bool *kept)
{
	move_t mv = {.kind = MOVE_EACH, .nodes = &t, .n = 1, .lvl = {lvl}, .dom = {dom}};

	if (seen(im, TRY_TO, lvl, dom))
		return VLT_OK;
	return try_move(c, im, &mv, kept);
}

/* The node next to each linked peer: in the peer's domain of its level, or in its rack. */
static int to_peers(ostro_ctx_t *c, imp_t *im, uint32_t t, bool *kept)
{
	const ostro_node_t *n = &c->nodes[t];
	vlt_level_t lvl = node_level(n);
	uint32_t self = first_server(c, n), left = PEER_MOVES / n->n_servers + 1;
	int rc = VLT_OK;

	for (uint32_t i = 0; i < n->n_members && !*kept && rc == VLT_OK && left > 0; i++) {
		const vlt_unit_t *unit = &c->st->units[n->members[i]];
		for (uint32_t j = 0; j < unit->n_links && !*kept && rc == VLT_OK && left > 0; j++) {
			const vlt_link_t *k = &c->st->links[unit->links[j]];
			uint32_t peer = k->a == n->members[i] ? k->b : k->a;
			if (node_has(c, t, peer) || out_of_effort(c, im))
				continue;
			uint32_t d = unit_domain(c, peer, lvl);
			if (d != VLT_NONE && d != unit_domain(c, self, lvl)) {
				left--;
				rc = move_to(c, im, t, lvl, d, kept);
			}
			if (lvl != VLT_LEVEL_HOST || *kept || rc != VLT_OK)
				continue;
			d = unit_domain(c, peer, VLT_LEVEL_RACK);
			if (d != VLT_NONE && d != unit_domain(c, self, VLT_LEVEL_RACK))
				rc = move_to(c, im, t, VLT_LEVEL_RACK, d, kept);
		}
	}
	return rc;
}

/* The node and each linked peer node, as one node. */
static int with_peers(ostro_ctx_t *c, imp_t *im, uint32_t t, bool *kept)
{
	const ostro_node_t *n = &c->nodes[t];
	int rc = VLT_OK;

	for (uint32_t i = 0; i < n->n_members && !*kept && rc == VLT_OK; i++) {
		const vlt_unit_t *unit = &c->st->units[n->members[i]];
		for (uint32_t j = 0; j < unit->n_links && !*kept && rc == VLT_OK; j++) {
			const vlt_link_t *k = &c->st->links[unit->links[j]];
			uint32_t peer = k->a == n->members[i] ? k->b : k->a;
			uint32_t p = im->atom_of[peer];
			const ostro_node_t *pn = &c->nodes[p];
			if (node_has(c, t, peer) || pn->n_servers == 0 ||
			    levels_between(c, n->members[i], peer) == 0 ||
			    n->n_servers + pn->n_servers > PAIR_SERVERS || out_of_effort(c, im) ||
			    seen(im, TRY_WITH, VLT_LEVEL_DC, p))
				continue;
			uint32_t pair[2] = {t, p};
			vlt_level_t a = node_level(n), b = node_level(pn);
			move_t mv = {.kind = MOVE_TOGETHER, .nodes = pair, .n = 2,
				     .level = a > b ? a : b};
			rc = try_move(c, im, &mv, kept);
		}
	}
	return rc;
}

/* Is node v a single server, placed on host h? */
static bool leaf_on(const ostro_ctx_t *c, uint32_t v, uint32_t h)
{
	const ostro_node_t *n = &c->nodes[v];

	return n->unit != VLT_NONE && n->n_servers == 1 && c->v->placement[n->unit] == h;
}

/*
 * Single-server node t and each single-server node on host h trade places,
 * or t takes the place and the other goes where the descent picks.
 */
static int swap_on(ostro_ctx_t *c, imp_t *im, uint32_t t, uint32_t h, bool *kept)
{
	uint32_t hu = c->v->placement[c->nodes[t].unit], tried = 0;
	int rc = VLT_OK;

	if (seen(im, TRY_SWAP, VLT_LEVEL_HOST, h))
		return VLT_OK;
	for (uint32_t i = 0; i < c->st->n_units && !*kept && rc == VLT_OK; i++) {
		uint32_t v = im->atom_of[i];
		if (v == t || !leaf_on(c, v, h) || out_of_effort(c, im) || tried++ >= SWAP_SCAN)
			continue;
		uint32_t pair[2] = {t, v};
		move_t mv = {.kind = MOVE_EACH, .nodes = pair, .n = 2,
			     .lvl = {VLT_LEVEL_HOST, VLT_LEVEL_HOST}, .dom = {h, hu}};
		rc = try_move(c, im, &mv, kept);
	}
	return rc;
}

/* Swaps with the single servers on the hosts of the node's peers. */
static int swap_peers(ostro_ctx_t *c, imp_t *im, uint32_t t, bool *kept)
{
	uint32_t u = c->nodes[t].unit, hu = c->v->placement[u];
	const vlt_unit_t *unit = &c->st->units[u];
	int rc = VLT_OK;

	for (uint32_t j = 0; j < unit->n_links && !*kept && rc == VLT_OK; j++) {
		const vlt_link_t *k = &c->st->links[unit->links[j]];
		uint32_t peer = k->a == u ? k->b : k->a;
		uint32_t h = c->v->placement[peer];
		if (ostro_is_server(c, peer) && h != VLT_NONE && h != hu)
			rc = swap_on(c, im, t, h, kept);
	}
	return rc;
}

/* Small stacks: the node onto every other host the stack uses, and every swap. */
static int wide_moves(ostro_ctx_t *c, imp_t *im, uint32_t t, bool *kept)
{
	uint32_t u = c->nodes[t].unit, hu = c->v->placement[u];
	int rc = VLT_OK;

	for (uint32_t s = 0; s < c->st->n_units && !*kept && rc == VLT_OK; s++) {
		if (!ostro_is_server(c, s) || node_has(c, t, s) || out_of_effort(c, im))
			continue;
		uint32_t h = c->v->placement[s];
		if (h == hu)
			continue;
		rc = move_to(c, im, t, VLT_LEVEL_HOST, h, kept);
		if (rc == VLT_OK && !*kept)
			rc = swap_on(c, im, t, h, kept);
	}
	return rc;
}

/* Does some link from node t to a unit outside it cross a level? */
static bool outside_cost(const ostro_ctx_t *c, uint32_t t)
{
	const ostro_node_t *n = &c->nodes[t];

	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i];
		const vlt_unit_t *unit = &c->st->units[u];
		for (uint32_t l = 0; l < unit->n_links; l++) {
			const vlt_link_t *k = &c->st->links[unit->links[l]];
			uint32_t peer = k->a == u ? k->b : k->a;
			if (!node_has(c, t, peer) && c->v->placement[peer] != VLT_NONE &&
			    levels_between(c, u, peer) > 0)
				return true;
		}
	}
	return false;
}

/* Try node t's moves, in order, until one is kept. OUT *kept. */
static int improve_node(ostro_ctx_t *c, imp_t *im, uint32_t t, bool *kept)
{
	const ostro_node_t *n = &c->nodes[t];
	bool leaf = n->unit != VLT_NONE && n->n_servers == 1;
	int rc;

	*kept = false;
	im->n_tried = 0;
	if (n->n_servers == 0)
		return move_to(c, im, t, VLT_LEVEL_DC, 0, kept);
	if (im->descent_only)
		return outside_cost(c, t) ? move_to(c, im, t, VLT_LEVEL_DC, 0, kept) : VLT_OK;
	/* the moves that the view can judge first: they are the cheap ones */
	rc = to_peers(c, im, t, kept);
	if (rc == VLT_OK && !*kept && leaf)
		rc = swap_peers(c, im, t, kept);
	if (rc == VLT_OK && !*kept && leaf && im->wide)
		rc = wide_moves(c, im, t, kept);
	/* the descent's moves: worth their price where links cost something */
	if (rc != VLT_OK || *kept || !outside_cost(c, t))
		return rc;
	rc = move_to(c, im, t, VLT_LEVEL_DC, 0, kept);
	if (rc == VLT_OK && !*kept)
		rc = with_peers(c, im, t, kept);
	return rc;
}

/*
 * Each linked component of several nodes gathered into one host, else one
 * rack, else one cluster, where it is not already. OUT *kept.
 */
static int gather_components(ostro_ctx_t *c, imp_t *im, bool *kept)
{
	int rc = VLT_OK;

	*kept = false;
	for (uint32_t i = 0; i < c->n_order && rc == VLT_OK && !out_of_effort(c, im); i++) {
		uint32_t root = c->comp[c->order[i]], n = 0, servers = 0;
		bool first = true;
		for (uint32_t j = 0; j < c->n_order; j++) {
			uint32_t t = c->order[j];
			if (c->comp[t] != root)
				continue;
			first &= j >= i;
			servers += c->nodes[t].n_servers;
			if (c->nodes[t].n_servers > 0)
				im->comp_nodes[n++] = t;
		}
		if (!first || n < 2 || servers > GATHER_SERVERS)
			continue;
		for (vlt_level_t lvl = VLT_LEVEL_HOST; lvl < VLT_LEVEL_DC && rc == VLT_OK; lvl++) {
			bool one = true, moved = false;
			uint32_t d = node_domain(c, im->comp_nodes[0], lvl);
			for (uint32_t j = 1; j < n && one; j++)
				one = node_domain(c, im->comp_nodes[j], lvl) == d;
			if (one)
				break;
			move_t mv = {.kind = MOVE_TOGETHER, .nodes = im->comp_nodes, .n = n,
				     .level = lvl};
			rc = try_move(c, im, &mv, &moved);
			*kept |= moved;
			if (moved)
				break;
		}
	}
	return rc;
}

/* Is every server of node t on host a or host b? */
static bool node_within(const ostro_ctx_t *c, uint32_t t, uint32_t a, uint32_t b)
{
	const ostro_node_t *n = &c->nodes[t];

	for (uint32_t i = 0; i < n->n_members; i++) {
		uint32_t u = n->members[i], h = c->v->placement[u];
		if (ostro_is_server(c, u) && h != a && h != b)
			return false;
	}
	return true;
}

/*
 * Small stacks: what the stack has on one host, or on two, moved as one
 * node onto one host (the two hosts' contents merged). Skipped where a
 * node reaches beyond them. OUT *kept.
 */
static int merge_hosts(ostro_ctx_t *c, imp_t *im, bool *kept)
{
	uint32_t *hosts = im->hosts, n_hosts = 0;
	int rc = VLT_OK;

	*kept = false;
	for (uint32_t s = 0; s < c->st->n_units; s++) {
		uint32_t h, j = 0;
		if (!ostro_is_server(c, s))
			continue;
		for (h = c->v->placement[s]; j < n_hosts && hosts[j] != h; j++)
			;
		if (j == n_hosts)
			hosts[n_hosts++] = h;
	}
	for (uint32_t a = 0; a < n_hosts && rc == VLT_OK && !*kept; a++) {
		for (uint32_t b = a; b < n_hosts && rc == VLT_OK && !*kept; b++) {
			uint32_t n = 0;
			if (out_of_effort(c, im))
				return rc;
			for (uint32_t i = 0; i < im->n_movers; i++) {
				uint32_t t = im->movers[i];
				if (im->atom[t] && c->nodes[t].n_servers > 0 &&
				    node_within(c, t, hosts[a], hosts[b]))
					im->comp_nodes[n++] = t;
			}
			if (n == 0)
				continue;
			move_t mv = {.kind = MOVE_TOGETHER, .nodes = im->comp_nodes, .n = n,
				     .level = VLT_LEVEL_HOST};
			rc = try_move(c, im, &mv, kept);
		}
	}
	return rc;
}

/* Passes over the nodes until none moves, within the effort bounds. */
static int local_search(ostro_ctx_t *c, imp_t *im)
{
	for (uint32_t i = 0; i < im->n_movers; i++)
		im->dirty[im->movers[i]] = true;
	for (int pass = 0; pass < im->passes && !out_of_effort(c, im); pass++) {
		bool any = false, kept;
		int rc;
		im->descent_only = pass == 0 && c->n_tops > MEDIUM_NODES;
		for (uint32_t i = 0; i < im->n_movers && !out_of_effort(c, im); i++) {
			uint32_t t = im->movers[i];
			if (!im->dirty[t])
				continue;
			im->dirty[t] = false;
			rc = improve_node(c, im, t, &kept);
			if (rc < 0)
				return rc;
			any |= kept;
		}
		rc = gather_components(c, im, &kept);
		if (rc < 0)
			return rc;
		any |= kept;
		if (im->wide) {
			rc = merge_hosts(c, im, &kept);
			if (rc < 0)
				return rc;
			any |= kept;
		}
		if (im->descent_only) {
			for (uint32_t i = 0; i < im->n_movers; i++)
				im->dirty[im->movers[i]] = true;
			continue;
		}
		if (!any)
			break;
	}
	return VLT_OK;
}

/* ---------------------------------------------------------------- restarts */

/* What is left of each linked component: all of it. */
static void reset_rest(ostro_ctx_t *c)
{
	for (uint32_t i = 0; i < c->n_tops; i++)
		memset(c->comp_rest[c->comp[c->tops[i]]], 0, sizeof(*c->comp_rest));
	for (uint32_t i = 0; i < c->n_tops; i++)
		for (int r = 0; r < VLT_RES_COUNT; r++)
			c->comp_rest[c->comp[c->tops[i]]][r] += c->nodes[c->tops[i]].demand[r];
}

/*
 * Place the whole stack again from scratch: `first` first (VLT_NONE: the
 * heaviest), with ranking `rank`. OUT *placed - false if it found no place
 * (then nothing is assigned). RET 0 or an error.
 */
static int start_over(ostro_ctx_t *c, uint32_t first, int rank, uint32_t *order, bool *placed)
{
	uint64_t backtracks = c->backtracks;
	uint32_t failed;
	int rc;

	*placed = false;
	ostro_unwind(c, 0);
	reset_rest(c);
	ostro_dmap_clear(&c->dead);
	rc = ostro_order(c, first, order);
	if (rc < 0)
		return rc;
	c->order = order;
	c->rank = rank;
	c->bt_limit = backtracks + START_BACKTRACKS;
	rc = ostro_place_all(c, &failed);
	c->backtracks = backtracks;
	c->bt_limit = (uint64_t)c->set->max_backtracks;
	c->exhausted = false;
	ostro_budget_check(c);
	if (rc == VLT_ENOPLACE) {
		ostro_unwind(c, 0);
		return VLT_OK;
	}
	*placed = rc == VLT_OK;
	return rc;
}

/* Assign a saved placement again, each unit after check(). RET 0, VLT_ENOPLACE or an error. */
static int replay(ostro_ctx_t *c, const ostro_placed_t *p, uint32_t n)
{
	ostro_unwind(c, 0);
	for (uint32_t i = 0; i < n; i++) {
		int v = c->core->check(c->cy, p[i].unit, VLT_LEVEL_HOST, p[i].loc);
		if (v < 0)
			return v;
		if (v != VLT_PASS) {
			ostro_unwind(c, 0);
			return VLT_ENOPLACE;
		}
		v = ostro_assign(c, p[i].unit, p[i].loc);
		if (v < 0)
			return v;
	}
	return VLT_OK;
}

/* First nodes for the restarts: the nodes with the most bandwidth, heaviest on ties. */
static uint32_t pick_firsts(const ostro_ctx_t *c, uint32_t *firsts, uint32_t max)
{
	uint32_t n = 0;

	while (n < max) {
		uint32_t best = VLT_NONE;
		double best_bw = 0;
		for (uint32_t i = 0; i < c->n_tops; i++) {
			uint32_t t = c->tops[i];
			const ostro_node_t *nd = &c->nodes[t];
			double bw = 0;
			bool taken = t == c->tops[0];
			for (uint32_t j = 0; j < n && !taken; j++)
				taken = firsts[j] == t;
			if (taken || nd->n_servers == 0)
				continue;
			for (uint32_t j = 0; j < nd->n_members; j++) {
				const vlt_unit_t *u = &c->st->units[nd->members[j]];
				for (uint32_t l = 0; l < u->n_links; l++)
					if (c->top_of[c->st->links[u->links[l]].a] != t ||
					    c->top_of[c->st->links[u->links[l]].b] != t)
						bw += c->st->links[u->links[l]].mbps;
			}
			if (bw > best_bw) {
				best = t;
				best_bw = bw;
			}
		}
		if (best == VLT_NONE)
			break;
		firsts[n++] = best;
	}
	return n;
}

/*
 * The effort the phase may spend: a floor, and a multiple of what the
 * greedy placement spent (which tells how dear a move is on this data
 * center); small stacks give half of it to improving the first placement
 * and share the rest among the restarts.
 */
static void budget(const ostro_ctx_t *c, imp_t *im)
{
	uint64_t factor = c->n_tops <= SMALL_NODES	? EFFORT_SMALL
			  : c->n_tops <= MEDIUM_NODES ? EFFORT_MEDIUM
						      : EFFORT_LARGE;
	uint64_t total = EFFORT_FLOOR + factor * (c->work + MOVE_EFFORT * c->st->n_units);

	im->end = effort(c, im) + total;
	im->limit = effort(c, im) + (im->wide ? total / 2 : total);
}

/*
 * Node t moves, and so do the sub-nodes of a group wider than a host (each
 * inside the group's domain, as check() requires): a rack's worth of
 * servers in one affinity group need not stay where its descent put them.
 */
static void add_mover(const ostro_ctx_t *c, imp_t *im, uint32_t t)
{
	const ostro_node_t *n = &c->nodes[t];
	bool wide = n->unit == VLT_NONE && n->level > VLT_LEVEL_HOST;

	im->movers[im->n_movers++] = t;
	im->atom[t] = !wide;
	if (!wide) {
		for (uint32_t i = 0; i < n->n_members; i++)
			im->atom_of[n->members[i]] = t;
		return;
	}
	for (uint32_t i = 0; i < n->n_kids; i++)
		add_mover(c, im, n->kids[i]);
}

static int setup(ostro_ctx_t *c, imp_t *im)
{
	uint32_t nu = c->st->n_units;

	im->lifted = ostro_arena_alloc(&c->arena, nu * sizeof(*im->lifted));
	im->movers = ostro_arena_alloc(&c->arena, c->n_nodes * sizeof(*im->movers));
	im->atom = ostro_arena_alloc(&c->arena, c->n_nodes * sizeof(*im->atom));
	im->atom_of = ostro_arena_alloc(&c->arena, nu * sizeof(*im->atom_of));
	im->dirty = ostro_arena_alloc(&c->arena, c->n_nodes * sizeof(*im->dirty));
	im->old = ostro_arena_alloc(&c->arena, nu * sizeof(*im->old));
	im->tmp_kids = ostro_arena_alloc(&c->arena, c->n_nodes * sizeof(*im->tmp_kids));
	im->tmp_members = ostro_arena_alloc(&c->arena, nu * sizeof(*im->tmp_members));
	im->comp_nodes = ostro_arena_alloc(&c->arena, c->n_nodes * sizeof(*im->comp_nodes));
	im->hosts = ostro_arena_alloc(&c->arena, nu * sizeof(*im->hosts));
	if (!im->lifted || !im->movers || !im->atom || !im->atom_of || !im->dirty || !im->old ||
	    !im->tmp_kids || !im->tmp_members || !im->comp_nodes || !im->hosts)
		return ostro_oom(c);
	for (uint32_t i = 0; i < c->n_order; i++)
		add_mover(c, im, c->order[i]);
	if (c->n_tops <= SMALL_NODES) {
		im->wide = true;
		im->passes = SMALL_PASSES;
	} else {
		im->passes = c->n_tops <= MEDIUM_NODES ? MEDIUM_PASSES : LARGE_PASSES;
	}
	budget(c, im);
	return VLT_OK;
}

/*
 * Small stacks: the whole stack placed again from other first nodes, each
 * with the three rankings, and improved; the best placement is kept (put
 * back through check() if a later start ended elsewhere). RET 0 or an error.
 */
static int restarts(ostro_ctx_t *c, imp_t *im)
{
	static const int ranks[] = {OSTRO_RANK_FIT, OSTRO_RANK_ROOMY, OSTRO_RANK_SPREAD};
	uint32_t nu = c->st->n_units, firsts[SMALL_FIRSTS + 1], n_starts;
	ostro_placed_t *best = ostro_arena_alloc(&c->arena, nu * sizeof(*best));
	ostro_placed_t *last = ostro_arena_alloc(&c->arena, nu * sizeof(*last));
	uint32_t *order = ostro_arena_alloc(&c->arena, c->n_nodes * sizeof(*order));
	obj_t best_obj = whole_obj(c);
	uint32_t n_best = c->n_log;
	bool current = true;
	int rc = VLT_OK;

	if (!best || !last || !order)
		return ostro_oom(c);
	memcpy(best, c->log, n_best * sizeof(*best));
	firsts[0] = VLT_NONE;
	n_starts = 3 * (1 + pick_firsts(c, firsts + 1, SMALL_FIRSTS));
	/* start 0, the heaviest first ranked FIT, is the placement being improved */
	for (uint32_t s = 1; s < n_starts && rc == VLT_OK && !c->exhausted; s++) {
		uint64_t now = effort(c, im);
		bool placed;
		if (now >= im->end)
			break;
		im->limit = now + (im->end - now) / (n_starts - s);
		rc = start_over(c, firsts[s / 3], ranks[s % 3], order, &placed);
		current = false;
		if (rc != VLT_OK || !placed)
			continue;
		rc = local_search(c, im);
		obj_t o = whole_obj(c);
		if (rc == VLT_OK && obj_better(&o, &best_obj)) {
			best_obj = o;
			n_best = c->n_log;
			memcpy(best, c->log, n_best * sizeof(*best));
			current = true;
		}
	}
	c->rank = OSTRO_RANK_FIT;
	if (rc < 0 || current)
		return rc;
	uint32_t n_last = c->n_log;
	memcpy(last, c->log, n_last * sizeof(*last));
	rc = replay(c, best, n_best);
	if (rc == VLT_ENOPLACE && n_last == nu)
		rc = replay(c, last, n_last);
	if (rc == VLT_ENOPLACE)
		rc = vlt_err_set(c->err, VLT_EINTERNAL,
				 "solver ostro: stack %s: check() refused a placement it had "
				 "passed",
				 c->st->stack_id ? c->st->stack_id : "?");
	return rc;
}

/* ---------------------------------------------------------------- entry */

int ostro_improve(ostro_ctx_t *c)
{
	imp_t im = {0};
	int rc;

	/* one node, or nothing linked on a stack too big to consolidate cheaply */
	if (c->n_tops < 2 || c->exhausted || (c->st->n_links == 0 && c->n_tops > SMALL_NODES))
		return VLT_OK;
	c->quiet = true;
	rc = setup(c, &im);
	if (rc == VLT_OK)
		rc = local_search(c, &im);
	if (rc == VLT_OK && im.wide)
		rc = restarts(c, &im);
	c->quiet = false;
	return rc;
}
