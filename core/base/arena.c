#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/*
 * The first chunk with its header stays under 1 KiB: glibc's malloc
 * consolidates its freed small blocks on every larger request, which cost
 * a per-request arena (the stack model's) more than its contents.
 */
#define ARENA_FIRST 960u
#define ARENA_MAX (64u * 1024u)

struct vlt_arena_chunk {
	struct vlt_arena_chunk *next;
	size_t cap;
	size_t used;
	max_align_t data[];
};

void *vlt__arena_alloc(vlt_arena_t *a, size_t size)
{
	size_t al = alignof(max_align_t);
	struct vlt_arena_chunk *c = a->head;

	if (size > SIZE_MAX - al)
		return NULL;
	size = size == 0 ? al : (size + al - 1) / al * al;
	if (c == NULL || c->cap - c->used < size) {
		size_t cap = a->next_size ? a->next_size : ARENA_FIRST;
		if (cap < ARENA_MAX)
			a->next_size = cap * 2;
		if (cap < size)
			cap = size;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (unsigned char *)c->data + c->used;
	c->used += size;
	return memset(p, 0, size);
}

char *vlt__arena_strdup(vlt_arena_t *a, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = vlt__arena_alloc(a, n);
	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

void vlt__arena_free(vlt_arena_t *a)
{
	struct vlt_arena_chunk *c = a->head;

	while (c != NULL) {
		struct vlt_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->next_size = 0;
}
