/*
 * arena.h - memory freed all at once: the data-center model and each stack
 * model keep their many small strings and arrays in one arena, so building
 * is a few allocations and freeing is one walk.
 */
#ifndef VALET_CORE_ARENA_H
#define VALET_CORE_ARENA_H

#include <stddef.h>

struct vlt_arena_chunk;

typedef struct vlt_arena {
	struct vlt_arena_chunk *head;
	size_t next_size; /* the next chunk's size: small first, doubling to a cap */
} vlt_arena_t;

/* Zeroed memory, aligned for any type, owned by a; NULL when out of memory. */
void *vlt__arena_alloc(vlt_arena_t *a, size_t size);
/* A copy of s owned by a; NULL for a NULL s or when out of memory. */
char *vlt__arena_strdup(vlt_arena_t *a, const char *s);
/* Frees everything a holds; a is empty and reusable afterwards. */
void vlt__arena_free(vlt_arena_t *a);

#endif /* VALET_CORE_ARENA_H */
