/*
 * pack.c - ostro's packing phase (docs/solvers.md, "Packing").
 *
 * Once the stack is placed and improved, the phase tries to empty the
 * hosts the stack uses least: one at a time, then two, three and four
 * together. The servers of the hosts being emptied are lifted; every other
 * host of the stack may then trade with them: up to two of its own servers
 * for up to two lifted ones of greater size, so that each trade leaves
 * that host fuller and the lifted servers smaller (the dominance rule of
 * the grouping local searches for bin packing). What is still lifted is
 * then put back, largest first, on the fullest other host that takes it,
 * else first fit on the lifted hosts. The round is kept when fewer of
 * those hosts hold servers after it, or as many but the stack's hosts are
 * tighter (the sum of the squared loads grew, so rounds never cycle);
 * otherwise every move of it is taken back and the next hosts are tried.
 *
 * Only servers with no links and in no group move: the bandwidth cost
 * never changes, and grouped servers stay where the holistic search put
 * them. Every move goes through check(), so every capacity and policy
 * holds. Effort is counted (trades weighed, servers moved), not timed, so
 * the answer is deterministic; time_budget_ms still stops it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>

#include "state.h"

#define PACK_HOST_UNITS 8    /* a host's servers weighed for trades, at most */
#define PACK_LIFTED_MAX 32   /* a host holding more movable servers is not emptied */
#define PACK_FREED_MAX 16    /* lifted servers weighed for trades, at most */
#define PACK_PASSES 8        /* passes of trades over the hosts, per round */
#define PACK_FAILS 64        /* rounds in a row that gained nothing: the step ends */
#define PACK_TOGETHER 4      /* hosts emptied together, at most */
#define PACK_MOVE_EFFORT 8   /* a server lifted or put, against a trade weighed */
#define PACK_EFFORT_FLOOR 65536
#define PACK_EFFORT_PER_UNIT 8192

/* One move of a round: unit went from host `from` to host `to` (local indices; VLT_NONE: lifted). */
typedef struct pk_move {
	uint32_t unit, from, to;
} pk_move_t;

/* A trade: host h gives n_give of its servers for n_take lifted ones. */
typedef struct pk_trade {
	uint32_t give[2], take[2];
	uint32_t n_give, n_take;
	double gain;
} pk_trade_t;

typedef struct pack {
	uint32_t n_hosts;   /* hosts holding servers of the stack at the start */
	uint32_t *host;     /* local index -> data center host, ascending */
	bool *fixed;        /* per local host: holds a server that does not move */
	bool *failed;       /* per local host: would not empty since the last success */
	bool *emptying;     /* per local host: its servers are lifted in this round */
	double *load;       /* per local host: the sizes of its movable servers */
	uint32_t *n_on;     /* per local host: its movable servers */
	uint32_t *first;    /* per local host: one of them, VLT_NONE */
	uint32_t *next, *prev; /* per unit: the others on its host */
	uint32_t *at;       /* per unit: its local host; VLT_NONE when lifted or fixed */
	double *size;       /* per unit: its demand over the data center's free capacity */
	bool *movable;      /* per unit */
	uint32_t *freed;    /* the lifted servers */
	uint32_t n_freed;
	uint32_t *scratch;  /* the lifted ones in order */
	pk_move_t *trail;   /* the round's moves, to take them back */
	uint32_t n_trail, cap_trail;
	uint64_t effort, limit;
} pack_t;

/* ---------------------------------------------------------------- moves */

static int pk_trail(ostro_ctx_t *c, pack_t *p, uint32_t u, uint32_t from, uint32_t to)
{
	if (p->n_trail == p->cap_trail) {
		uint32_t cap = p->cap_trail ? 2 * p->cap_trail : 256;
		pk_move_t *t = realloc(p->trail, cap * sizeof(*t));
		if (t == NULL)
			return ostro_oom(c);
		p->trail = t;
		p->cap_trail = cap;
	}
	p->trail[p->n_trail++] = (pk_move_t){u, from, to};
	return VLT_OK;
}

static void pk_unlink(pack_t *p, uint32_t u)
{
	uint32_t h = p->at[u];

	if (p->prev[u] != VLT_NONE)
		p->next[p->prev[u]] = p->next[u];
	else
		p->first[h] = p->next[u];
	if (p->next[u] != VLT_NONE)
		p->prev[p->next[u]] = p->prev[u];
	p->n_on[h]--;
	p->load[h] -= p->size[u];
	p->at[u] = VLT_NONE;
}

static void pk_link(pack_t *p, uint32_t u, uint32_t h)
{
	p->prev[u] = VLT_NONE;
	p->next[u] = p->first[h];
	if (p->first[h] != VLT_NONE)
		p->prev[p->first[h]] = u;
	p->first[h] = u;
	p->n_on[h]++;
	p->load[h] += p->size[u];
	p->at[u] = h;
}

/* Take u back from its host (out of the log too) into the lifted ones. RET 0 or an error. */
static int pk_lift(ostro_ctx_t *c, pack_t *p, uint32_t u)
{
	uint32_t i = 0, from = p->at[u];

	while (i < c->n_log && c->log[i].unit != u)
		i++;
	ostro_placed_t was = c->log[i];
	memmove(c->log + i, c->log + i + 1, (c->n_log - i - 1) * sizeof(*c->log));
	c->n_log--;
	ostro_undo(c, was);
	pk_unlink(p, u);
	p->freed[p->n_freed++] = u;
	p->effort += PACK_MOVE_EFFORT;
	return pk_trail(c, p, u, from, VLT_NONE);
}

/* Put lifted u on local host h. RET 0, OSTRO_TRY_REJECT (check() said no) or an error. */
static int pk_put(ostro_ctx_t *c, pack_t *p, uint32_t u, uint32_t h)
{
	int v = c->core->check(c->cy, u, VLT_LEVEL_HOST, p->host[h]);

	p->effort += PACK_MOVE_EFFORT;
	if (v < 0)
		return v;
	if (v != VLT_PASS)
		return OSTRO_TRY_REJECT;
	v = ostro_assign(c, u, p->host[h]);
	if (v < 0)
		return v;
	uint32_t k = 0;
	while (p->freed[k] != u)
		k++;
	p->freed[k] = p->freed[--p->n_freed];
	pk_link(p, u, h);
	return pk_trail(c, p, u, VLT_NONE, h);
}

/* Take back the moves made since the trail had `mark` entries. RET 0 or an error. */
static int pk_rollback(ostro_ctx_t *c, pack_t *p, uint32_t mark)
{
	while (p->n_trail > mark) {
		pk_move_t m = p->trail[--p->n_trail];
		uint32_t keep = p->n_trail;
		int rc = m.to != VLT_NONE ? pk_lift(c, p, m.unit) : pk_put(c, p, m.unit, m.from);

		p->n_trail = keep; /* the moves back are not moves of the round */
		if (rc == OSTRO_TRY_REJECT)
			return vlt_err_set(c->err, VLT_EINTERNAL,
					   "solver ostro: stack %s: check() refused to put a server "
					   "back where it was",
					   c->st->stack_id ? c->st->stack_id : "?");
		if (rc < 0)
			return rc;
	}
	return VLT_OK;
}

/* ---------------------------------------------------------------- trades */

/* What units (n of them) ask of extra class k, summed. */
static int64_t pk_class_asked(const ostro_ctx_t *c, const uint32_t *units, uint32_t n, uint32_t k)
{
	const vlt_class_demand_t *asks;
	int64_t sum = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t m = c->core->unit_classes(c->cy, units[i], &asks);
		for (uint32_t j = 0; j < m; j++)
			sum += asks[j].rclass == k ? asks[j].amount : 0;
	}
	return sum;
}

/* The same check for the extra classes the lifted servers ask (ABI 1.6). */
static bool pk_fits_classes(const ostro_ctx_t *c, uint32_t host, const pk_trade_t *t)
{
	const vlt_class_demand_t *asks;

	for (uint32_t i = 0; i < t->n_take; i++) {
		uint32_t m = c->core->unit_classes(c->cy, t->take[i], &asks);
		for (uint32_t j = 0; j < m; j++) {
			uint32_t k = asks[j].rclass;
			int64_t need = pk_class_asked(c, t->take, t->n_take, k) -
				       pk_class_asked(c, t->give, t->n_give, k);
			if (need > 0 && need > c->core->class_free(c->cy, host, k))
				return false;
		}
	}
	return true;
}

/* Does host h take `take` once it gives `give`, by the free capacity alone? */
static bool pk_fits(const ostro_ctx_t *c, const pack_t *p, uint32_t h, const pk_trade_t *t)
{
	const int64_t *free = c->v->host_free[p->host[h]];

	for (int r = 0; r < VLT_RES_COUNT; r++) {
		int64_t room = free[r];
		for (uint32_t i = 0; i < t->n_give; i++)
			room += c->st->units[t->give[i]].demand[r];
		for (uint32_t i = 0; i < t->n_take; i++)
			room -= c->st->units[t->take[i]].demand[r];
		if (room < 0)
			return false;
	}
	return c->n_xc == 0 || pk_fits_classes(c, p->host[h], t);
}

static double pk_sum(const pack_t *p, const uint32_t *u, uint32_t n)
{
	double s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += p->size[u[i]];
	return s;
}

/* Weigh trade t for host h; keep it in *best when it gains more. */
static void pk_weigh(const ostro_ctx_t *c, pack_t *p, uint32_t h, pk_trade_t *t, pk_trade_t *best)
{
	double take = pk_sum(p, t->take, t->n_take), give = pk_sum(p, t->give, t->n_give);

	p->effort++;
	t->gain = take - give;
	if (t->gain <= 1e-9 * (take + give) || t->gain <= best->gain)
		return;
	if (pk_fits(c, p, h, t))
		*best = *t;
}

/* The best trade for host h: none, one or two of its servers for one or two lifted ones. */
static pk_trade_t pk_best_trade(const ostro_ctx_t *c, pack_t *p, uint32_t h)
{
	pk_trade_t best = {.gain = 0}, gives[1 + PACK_HOST_UNITS * (PACK_HOST_UNITS + 1) / 2];
	uint32_t own[PACK_HOST_UNITS], n_own = 0, n_gives = 0, n_free = p->n_freed;

	for (uint32_t u = p->first[h]; u != VLT_NONE && n_own < PACK_HOST_UNITS; u = p->next[u])
		own[n_own++] = u;
	gives[n_gives++] = (pk_trade_t){.n_give = 0};
	for (uint32_t i = 0; i < n_own; i++) {
		gives[n_gives++] = (pk_trade_t){.give = {own[i]}, .n_give = 1};
		for (uint32_t j = 0; j < i; j++)
			gives[n_gives++] = (pk_trade_t){.give = {own[i], own[j]}, .n_give = 2};
	}
	if (n_free > PACK_FREED_MAX)
		n_free = PACK_FREED_MAX;
	for (uint32_t g = 0; g < n_gives; g++) {
		pk_trade_t t = gives[g];
		for (uint32_t f0 = 0; f0 < n_free; f0++) {
			t.take[0] = p->freed[f0];
			t.n_take = 1;
			pk_weigh(c, p, h, &t, &best);
			for (uint32_t f1 = 0; f1 < f0; f1++) {
				t.take[1] = p->freed[f1];
				t.n_take = 2;
				pk_weigh(c, p, h, &t, &best);
			}
		}
	}
	return best;
}

/* Make trade t with host h. OUT *made - false when check() refused it (nothing changed). */
static int pk_trade(ostro_ctx_t *c, pack_t *p, uint32_t h, const pk_trade_t *t, bool *made)
{
	uint32_t mark = p->n_trail;
	int rc = VLT_OK;

	*made = false;
	for (uint32_t i = 0; i < t->n_give && rc == VLT_OK; i++)
		rc = pk_lift(c, p, t->give[i]);
	for (uint32_t i = 0; i < t->n_take && rc == VLT_OK; i++)
		rc = pk_put(c, p, t->take[i], h);
	if (rc == OSTRO_TRY_REJECT)
		return pk_rollback(c, p, mark);
	*made = rc == VLT_OK;
	return rc;
}

/* ---------------------------------------------------------------- rounds */

/* Does host h hold servers of the stack? An emptied one takes none again. */
static bool pk_open(const pack_t *p, uint32_t h)
{
	return p->n_on[h] > 0 || p->fixed[h];
}

static bool pk_spent(ostro_ctx_t *c, const pack_t *p)
{
	if (p->effort >= p->limit)
		return true;
	ostro_budget_check(c);
	return c->exhausted;
}

/* Passes of trades over the open hosts not being emptied, until none gains. RET 0 or an error. */
static int pk_trades(ostro_ctx_t *c, pack_t *p)
{
	for (int pass = 0; pass < PACK_PASSES && p->n_freed > 0 && !pk_spent(c, p); pass++) {
		bool any = false;
		for (uint32_t h = 0; h < p->n_hosts && p->n_freed > 0; h++) {
			if (p->emptying[h] || !pk_open(p, h))
				continue;
			pk_trade_t t = pk_best_trade(c, p, h);
			bool made = false;
			int rc = t.gain > 0 ? pk_trade(c, p, h, &t, &made) : VLT_OK;
			if (rc < 0)
				return rc;
			any |= made;
		}
		if (!any)
			break;
	}
	return VLT_OK;
}

/* The lifted ones, largest first (insertion sort: they are few), into order. */
static void pk_sorted_freed(const pack_t *p, uint32_t *order)
{
	for (uint32_t i = 0; i < p->n_freed; i++) {
		uint32_t u = p->freed[i], k = i;
		while (k > 0 && p->size[order[k - 1]] < p->size[u])
			order[k] = order[k - 1], k--;
		order[k] = u;
	}
}

/*
 * Put lifted u on a host: among the open hosts not being emptied, the
 * fullest that takes it; failing that, the first of those being emptied
 * that takes it (first fit there, so that as few of them as can be are
 * used again). refused (per local host, zeroed per round) marks those
 * check() turned down. RET 0 (placed or not) or an error.
 */
static int pk_put_one(ostro_ctx_t *c, pack_t *p, uint32_t u, bool *refused)
{
	pk_trade_t t = {.take = {u}, .n_take = 1};

	for (;;) {
		uint32_t best = VLT_NONE;
		for (uint32_t h = 0; h < p->n_hosts; h++) {
			p->effort++;
			if (p->emptying[h] || !pk_open(p, h) || refused[h] || !pk_fits(c, p, h, &t))
				continue;
			if (best == VLT_NONE || p->load[h] > p->load[best])
				best = h;
		}
		for (uint32_t h = 0; best == VLT_NONE && h < p->n_hosts; h++)
			if (p->emptying[h] && !refused[h] && pk_fits(c, p, h, &t))
				best = h;
		if (best == VLT_NONE)
			return VLT_OK;
		int rc = pk_put(c, p, u, best);
		if (rc != OSTRO_TRY_REJECT)
			return rc;
		refused[best] = true;
	}
}

/* The sum of the squared loads of the open hosts: higher is tighter. */
static double pk_tightness(const pack_t *p)
{
	double sum = 0;

	for (uint32_t h = 0; h < p->n_hosts; h++)
		sum += p->load[h] * p->load[h];
	return sum;
}

/*
 * Lift the servers of the k hosts in e, trade, and put back what is left.
 * Kept when fewer of those hosts hold servers after, or as many but the
 * hosts are tighter (so that rounds never cycle); else taken back.
 * OUT *emptied - hosts freed. RET 0 or an error.
 */
static int pk_round(ostro_ctx_t *c, pack_t *p, const uint32_t *e, uint32_t k, uint32_t *emptied)
{
	bool *refused = calloc(p->n_hosts, sizeof(*refused));
	double before = pk_tightness(p);
	uint32_t *order = p->scratch, n, used = 0;
	int rc = refused != NULL ? VLT_OK : ostro_oom(c);

	*emptied = 0;
	p->n_trail = 0;
	for (uint32_t i = 0; i < k; i++) {
		p->emptying[e[i]] = true;
		while (rc == VLT_OK && p->first[e[i]] != VLT_NONE)
			rc = pk_lift(c, p, p->first[e[i]]);
	}
	if (rc == VLT_OK)
		rc = pk_trades(c, p);
	n = p->n_freed;
	pk_sorted_freed(p, order);
	for (uint32_t i = 0; rc == VLT_OK && i < n; i++)
		rc = pk_put_one(c, p, order[i], refused);
	free(refused);
	for (uint32_t i = 0; i < k; i++) {
		p->emptying[e[i]] = false;
		used += p->n_on[e[i]] > 0;
	}
	if (rc == VLT_OK && p->n_freed == 0 &&
	    (used < k || (used == k && pk_tightness(p) > before * (1 + 1e-12))))
		*emptied = k - used;
	else if (rc == VLT_OK)
		rc = pk_rollback(c, p, 0);
	return rc;
}

static bool pk_may_empty(const pack_t *p, uint32_t h)
{
	return !p->fixed[h] && p->n_on[h] > 0 && p->n_on[h] <= PACK_LIFTED_MAX;
}

/*
 * The k hosts to empty next: the least loaded that has not failed since
 * the last change, and the k - 1 least loaded after it. RET how many.
 */
static uint32_t pk_pick(const pack_t *p, uint32_t *e, uint32_t k)
{
	uint32_t n = 0;

	while (n < k) {
		uint32_t best = VLT_NONE;
		for (uint32_t h = 0; h < p->n_hosts; h++) {
			bool taken = false;
			for (uint32_t i = 0; i < n; i++)
				taken |= e[i] == h;
			if (taken || !pk_may_empty(p, h) || (n == 0 && p->failed[h]))
				continue;
			if (best == VLT_NONE || p->load[h] < p->load[best])
				best = h;
		}
		if (best == VLT_NONE)
			break;
		e[n++] = best;
	}
	return n;
}

/* ---------------------------------------------------------------- setup */

static bool pk_is_movable(const ostro_ctx_t *c, uint32_t u)
{
	const vlt_unit_t *unit = &c->st->units[u];

	return ostro_is_server(c, u) && unit->n_links == 0 && unit->n_groups == 0 &&
	       c->v->placement[u] != VLT_NONE;
}

/* A server's size: each resource it asks over the data center's free amount of it. */
static double pk_size(const ostro_ctx_t *c, uint32_t u)
{
	const vlt_class_demand_t *asks;
	double size = 0;

	for (int r = 0; r < VLT_RES_COUNT; r++)
		size += (double)c->st->units[u].demand[r] * c->inv_free[r];
	uint32_t m = c->n_xc > 0 ? c->core->unit_classes(c->cy, u, &asks) : 0;
	for (uint32_t j = 0; j < m; j++)
		size += (double)asks[j].amount * c->x_inv_free[asks[j].rclass];
	return size;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t pk_local(const pack_t *p, uint32_t host)
{
	const uint32_t *hit = bsearch(&host, p->host, p->n_hosts, sizeof(host), cmp_u32);

	return (uint32_t)(hit - p->host);
}

/* The stack's hosts (sorted, unique) and which of them hold a server that does not move. */
static void pk_hosts(ostro_ctx_t *c, pack_t *p)
{
	uint32_t nu = c->st->n_units, n = 0;

	for (uint32_t u = 0; u < nu; u++)
		if (ostro_is_server(c, u) && c->v->placement[u] != VLT_NONE)
			p->host[n++] = c->v->placement[u];
	qsort(p->host, n, sizeof(*p->host), cmp_u32);
	p->n_hosts = 0;
	for (uint32_t i = 0; i < n; i++)
		if (p->n_hosts == 0 || p->host[p->n_hosts - 1] != p->host[i])
			p->host[p->n_hosts++] = p->host[i];
	for (uint32_t h = 0; h < p->n_hosts; h++)
		p->first[h] = VLT_NONE;
	for (uint32_t u = 0; u < nu; u++) {
		p->at[u] = VLT_NONE;
		if (!ostro_is_server(c, u) || c->v->placement[u] == VLT_NONE)
			continue;
		uint32_t h = pk_local(p, c->v->placement[u]);
		if (!p->movable[u]) {
			p->fixed[h] = true;
			continue;
		}
		p->size[u] = pk_size(c, u);
		pk_link(p, u, h);
	}
}

/* RET the number of movable servers, or a negative error. */
static int pk_setup(ostro_ctx_t *c, pack_t *p)
{
	uint32_t nu = c->st->n_units, n_movable = 0;

	p->movable = ostro_arena_alloc(&c->arena, nu * sizeof(*p->movable));
	if (p->movable == NULL)
		return ostro_oom(c);
	for (uint32_t u = 0; u < nu; u++)
		n_movable += p->movable[u] = pk_is_movable(c, u);
	if (n_movable < 2)
		return 0;
	p->host = ostro_arena_alloc(&c->arena, nu * sizeof(*p->host));
	p->fixed = ostro_arena_alloc(&c->arena, nu * sizeof(*p->fixed));
	p->failed = ostro_arena_alloc(&c->arena, nu * sizeof(*p->failed));
	p->emptying = ostro_arena_alloc(&c->arena, nu * sizeof(*p->emptying));
	p->load = ostro_arena_alloc(&c->arena, nu * sizeof(*p->load));
	p->n_on = ostro_arena_alloc(&c->arena, nu * sizeof(*p->n_on));
	p->first = ostro_arena_alloc(&c->arena, nu * sizeof(*p->first));
	p->next = ostro_arena_alloc(&c->arena, nu * sizeof(*p->next));
	p->prev = ostro_arena_alloc(&c->arena, nu * sizeof(*p->prev));
	p->at = ostro_arena_alloc(&c->arena, nu * sizeof(*p->at));
	p->size = ostro_arena_alloc(&c->arena, nu * sizeof(*p->size));
	p->freed = ostro_arena_alloc(&c->arena, nu * sizeof(*p->freed));
	p->scratch = ostro_arena_alloc(&c->arena, nu * sizeof(*p->scratch));
	if (!p->host || !p->fixed || !p->failed || !p->emptying || !p->load || !p->n_on || !p->first ||
	    !p->next || !p->prev || !p->at || !p->size || !p->freed || !p->scratch)
		return ostro_oom(c);
	pk_hosts(c, p);
	p->limit = PACK_EFFORT_FLOOR + (uint64_t)PACK_EFFORT_PER_UNIT * n_movable;
	return (int)n_movable;
}

/* ---------------------------------------------------------------- entry */

int ostro_pack(ostro_ctx_t *c)
{
	pack_t p = {0};
	ostro_mark_t mark = ostro_arena_mark(&c->arena);
	int rc = c->exhausted ? 0 : pk_setup(c, &p);

	/* one host at a time, then two and three together: more to trade with */
	for (uint32_t k = 1; rc > 0 && k <= PACK_TOGETHER; k++) {
		uint32_t fails = 0, e[PACK_TOGETHER];
		memset(p.failed, 0, p.n_hosts * sizeof(*p.failed));
		while (fails < PACK_FAILS && !pk_spent(c, &p)) {
			uint32_t emptied = 0;
			if (pk_pick(&p, e, k) < k)
				break;
			int r = pk_round(c, &p, e, k, &emptied);
			if (r < 0) {
				rc = r;
				break;
			}
			if (emptied > 0) {
				memset(p.failed, 0, p.n_hosts * sizeof(*p.failed));
				fails = 0;
			} else {
				fails++;
			}
			p.failed[e[0]] = true;
		}
	}
	free(p.trail);
	ostro_arena_release(&c->arena, mark);
	return rc < 0 ? rc : VLT_OK;
}
