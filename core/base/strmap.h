/*
 * strmap.h - a string -> pointer hash map with chaining, on the core's one
 * string hash. Keys are copied and owned by the map; values are borrowed
 * (the map frees them only through vlt__strmap_clear_values). A zeroed
 * vlt_strmap_t is an empty map.
 */
#ifndef VALET_CORE_STRMAP_H
#define VALET_CORE_STRMAP_H

#include <stddef.h>

typedef struct vlt_strmap_entry {
	char *key;
	void *val;
	struct vlt_strmap_entry *next;
} vlt_strmap_entry_t;

typedef struct vlt_strmap {
	vlt_strmap_entry_t **b;
	size_t n_b;
	size_t n;
} vlt_strmap_t;

/* The value under key, or NULL (also for a NULL key). */
void *vlt__strmap_get(const vlt_strmap_t *m, const char *key);
/* Insert or replace. RET 0 or VLT_ENOMEM (the map unchanged). */
int vlt__strmap_put(vlt_strmap_t *m, const char *key, void *val);
/* Remove key if present. */
void vlt__strmap_del(vlt_strmap_t *m, const char *key);
/* Remove everything and free the map's memory; the map is empty after. */
void vlt__strmap_clear(vlt_strmap_t *m);
/* vlt__strmap_clear, handing every value to free_val first (for maps that own their values). */
void vlt__strmap_clear_values(vlt_strmap_t *m, void (*free_val)(void *val));

#endif /* VALET_CORE_STRMAP_H */
