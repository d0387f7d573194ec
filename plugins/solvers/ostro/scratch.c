/*
 * scratch.c - per-call memory of the ostro solver: an arena released in
 * LIFO order, and two small open-addressing hash maps (domain -> servers of
 * the stack there; dead ends -> generation). Nothing here is shared between
 * calls.
 */
#include <stdlib.h>
#include <string.h>

#include <valet/errors.h>

#include "scratch.h"

#define ARENA_CHUNK (64u * 1024u)

/* ---------------------------------------------------------------- arena */

void *ostro_arena_alloc_raw(ostro_arena_t *a, size_t n)
{
	size_t align = sizeof(max_align_t);

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (a->top == NULL || a->top->cap - a->top->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		ostro_chunk_t *c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->prev = a->top;
		c->used = 0;
		c->cap = cap;
		a->top = c;
	}
	void *p = (char *)a->top->data + a->top->used;
	a->top->used += n;
	return p;
}

void *ostro_arena_alloc(ostro_arena_t *a, size_t n)
{
	void *p = ostro_arena_alloc_raw(a, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

ostro_mark_t ostro_arena_mark(const ostro_arena_t *a)
{
	return (ostro_mark_t){a->top, a->top != NULL ? a->top->used : 0};
}

void ostro_arena_release(ostro_arena_t *a, ostro_mark_t m)
{
	while (a->top != m.chunk) {
		ostro_chunk_t *c = a->top;
		a->top = c->prev;
		free(c);
	}
	if (a->top != NULL)
		a->top->used = m.used;
}

/* ---------------------------------------------------------------- count map */

static uint32_t cmap_slot(const ostro_cmap_t *m, uint32_t key)
{
	uint32_t i = (uint32_t)(key * 2654435761u) >> m->shift;

	while (m->keys[i] != VLT_NONE && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

int ostro_cmap_init(ostro_cmap_t *m, uint32_t want)
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

void ostro_cmap_fini(ostro_cmap_t *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = m->vals = NULL;
	m->cap = 0;
}

uint32_t ostro_cmap_get(const ostro_cmap_t *m, uint32_t key)
{
	if (m->cap == 0)
		return 0;
	uint32_t i = cmap_slot(m, key);
	return m->keys[i] == key ? m->vals[i] : 0;
}

/* Rebuild with room for the live keys; keys whose count fell to 0 go. */
static int cmap_rehash(ostro_cmap_t *m)
{
	ostro_cmap_t old = *m;
	uint32_t live = 0;

	for (uint32_t i = 0; i < old.cap; i++)
		live += old.keys[i] != VLT_NONE && old.vals[i] > 0;
	if (ostro_cmap_init(m, 4 * (live + 1)) < 0) {
		ostro_cmap_fini(m);
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
	ostro_cmap_fini(&old);
	return VLT_OK;
}

int ostro_cmap_add(ostro_cmap_t *m, uint32_t key, int delta)
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

uint64_t ostro_dead_key(uint32_t cls, vlt_level_t lvl, uint32_t dom)
{
	return ((uint64_t)cls << 34 | (uint64_t)lvl << 32 | dom) + 1;
}

static uint32_t dmap_slot(const ostro_dmap_t *m, uint64_t key)
{
	uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (m->cap - 1);

	while (m->keys[i] != 0 && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

uint32_t ostro_dmap_get(const ostro_dmap_t *m, uint64_t key)
{
	if (m->cap == 0)
		return 0;
	uint32_t i = dmap_slot(m, key);
	return m->keys[i] == key ? m->vals[i] : 0;
}

int ostro_dmap_put(ostro_dmap_t *m, uint64_t key, uint32_t val)
{
	if ((m->used + 1) * 2 > m->cap) {
		ostro_dmap_t big = {.cap = m->cap ? m->cap * 2 : 64};
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

void ostro_dmap_clear(ostro_dmap_t *m)
{
	if (m->cap > 0)
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->used = 0;
}

void ostro_dmap_fini(ostro_dmap_t *m)
{
	free(m->keys);
	free(m->vals);
}
