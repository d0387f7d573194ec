#include <stdlib.h>
#include <string.h>

#include <valet/errors.h>

#include "hash.h"
#include "strmap.h"

static size_t bucket(const vlt_strmap_t *m, const char *key)
{
	return (size_t)(vlt__hash_str(key) % m->n_b);
}

void *vlt__strmap_get(const vlt_strmap_t *m, const char *key)
{
	if (m->n_b == 0 || key == NULL)
		return NULL;
	for (vlt_strmap_entry_t *e = m->b[bucket(m, key)]; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0)
			return e->val;
	}
	return NULL;
}

/* Twice the buckets (64 at first), every entry moved over. */
static int grow(vlt_strmap_t *m)
{
	vlt_strmap_t bigger = { .n_b = m->n_b == 0 ? 64 : m->n_b * 2, .n = m->n };

	bigger.b = calloc(bigger.n_b, sizeof(*bigger.b));
	if (bigger.b == NULL)
		return VLT_ENOMEM;
	for (size_t i = 0; i < m->n_b; i++) {
		vlt_strmap_entry_t *e = m->b[i];

		while (e != NULL) {
			vlt_strmap_entry_t *next = e->next;
			size_t k = bucket(&bigger, e->key);

			e->next = bigger.b[k];
			bigger.b[k] = e;
			e = next;
		}
	}
	free(m->b);
	*m = bigger;
	return 0;
}

int vlt__strmap_put(vlt_strmap_t *m, const char *key, void *val)
{
	if (m->n >= m->n_b && grow(m) < 0)
		return VLT_ENOMEM;
	size_t k = bucket(m, key);
	for (vlt_strmap_entry_t *e = m->b[k]; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			e->val = val;
			return 0;
		}
	}
	vlt_strmap_entry_t *e = malloc(sizeof(*e));
	if (e == NULL || (e->key = strdup(key)) == NULL) {
		free(e);
		return VLT_ENOMEM;
	}
	e->val = val;
	e->next = m->b[k];
	m->b[k] = e;
	m->n++;
	return 0;
}

void vlt__strmap_del(vlt_strmap_t *m, const char *key)
{
	if (m->n_b == 0 || key == NULL)
		return;
	for (vlt_strmap_entry_t **pe = &m->b[bucket(m, key)]; *pe != NULL; pe = &(*pe)->next) {
		vlt_strmap_entry_t *e = *pe;

		if (strcmp(e->key, key) == 0) {
			*pe = e->next;
			free(e->key);
			free(e);
			m->n--;
			return;
		}
	}
}

void vlt__strmap_clear(vlt_strmap_t *m)
{
	vlt__strmap_clear_values(m, NULL);
}

void vlt__strmap_clear_values(vlt_strmap_t *m, void (*free_val)(void *val))
{
	for (size_t i = 0; i < m->n_b; i++) {
		vlt_strmap_entry_t *e = m->b[i];

		while (e != NULL) {
			vlt_strmap_entry_t *next = e->next;

			if (free_val != NULL)
				free_val(e->val);
			free(e->key);
			free(e);
			e = next;
		}
	}
	free(m->b);
	memset(m, 0, sizeof(*m));
}
