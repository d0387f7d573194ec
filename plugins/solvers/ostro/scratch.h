/*
 * scratch.h - per-call memory of the ostro solver: an arena released in
 * LIFO order, and two small open-addressing hash maps. Every object belongs
 * to one solve; nothing here is shared between calls.
 */
#ifndef VALET_SOLVER_OSTRO_SCRATCH_H
#define VALET_SOLVER_OSTRO_SCRATCH_H

#include <stddef.h>
#include <stdint.h>

#include <valet/model.h>

/* Bump allocation in chunks of 64 KiB (or one larger block). */
typedef struct ostro_chunk {
	struct ostro_chunk *prev;
	size_t used, cap;
	max_align_t data[];
} ostro_chunk_t;

typedef struct ostro_arena {
	ostro_chunk_t *top; /* NULL: empty */
} ostro_arena_t;

typedef struct ostro_mark {
	ostro_chunk_t *chunk;
	size_t used;
} ostro_mark_t;

/* Zeroed memory valid until the arena is released past it; NULL on ENOMEM. */
void *ostro_arena_alloc(ostro_arena_t *a, size_t n);
/* The same, not zeroed: for arrays the caller fills before reading (descend's candidates). */
void *ostro_arena_alloc_raw(ostro_arena_t *a, size_t n);
ostro_mark_t ostro_arena_mark(const ostro_arena_t *a);
/* Give back everything allocated since m; {NULL, 0} frees the whole arena. */
void ostro_arena_release(ostro_arena_t *a, ostro_mark_t m);

/* Domain index -> a count (servers of the stack there); keys stay once added. */
typedef struct ostro_cmap {
	uint32_t *keys; /* VLT_NONE: empty */
	uint32_t *vals;
	uint32_t cap; /* a power of two, or 0 */
	uint32_t used;
	uint32_t shift;
} ostro_cmap_t;

/* Room for about want / 2 keys before it grows. RET 0 or VLT_ENOMEM. */
int ostro_cmap_init(ostro_cmap_t *m, uint32_t want);
void ostro_cmap_fini(ostro_cmap_t *m); /* accepts a zeroed map */
uint32_t ostro_cmap_get(const ostro_cmap_t *m, uint32_t key);
/* Add delta (+1 or -1) to key's count; a new key needs delta > 0. RET 0 or VLT_ENOMEM. */
int ostro_cmap_add(ostro_cmap_t *m, uint32_t key, int delta);

/*
 * Dead ends: (class of unit, level, domain) -> 1 + the domain's generation
 * when a unit of that class last failed to go down into it (0: never).
 */
typedef struct ostro_dmap {
	uint64_t *keys; /* 0: empty */
	uint32_t *vals;
	uint32_t cap, used;
} ostro_dmap_t;

uint64_t ostro_dead_key(uint32_t cls, vlt_level_t lvl, uint32_t dom);
uint32_t ostro_dmap_get(const ostro_dmap_t *m, uint64_t key);
/* RET 0 or VLT_ENOMEM (the map is unchanged then). */
int ostro_dmap_put(ostro_dmap_t *m, uint64_t key, uint32_t val);
void ostro_dmap_clear(ostro_dmap_t *m); /* forget every dead end, keep the room */
void ostro_dmap_fini(ostro_dmap_t *m);  /* accepts a zeroed map */

#endif /* VALET_SOLVER_OSTRO_SCRATCH_H */
