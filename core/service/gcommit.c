/*
 * gcommit.c - the group commit queue: leader/follower, one batch at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "gcommit.h"

#define DEFAULT_MAX_BATCH 64

void vlt__gcommit_init(vlt_gcommit_t *g, vlt_gcommit_fn commit, void *arg, size_t max_batch)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->woken, NULL);
	g->commit = commit;
	g->arg = arg;
	g->max_batch = max_batch != 0 ? max_batch : DEFAULT_MAX_BATCH;
}

void vlt__gcommit_fini(vlt_gcommit_t *g)
{
	pthread_cond_destroy(&g->woken);
	pthread_mutex_destroy(&g->lock);
}

/* Take up to max_batch queued waiters, in order, into batch; RET how many. */
static size_t take_batch(vlt_gcommit_t *g, vlt_gc_waiter_t **batch)
{
	size_t n = 0;

	while (g->head != NULL && n < g->max_batch) {
		batch[n++] = g->head;
		g->head = g->head->next;
	}
	if (g->head == NULL)
		g->tail = NULL;
	return n;
}

/*
 * As the committer, with g->lock held: write one batch unlocked, then
 * answer each of its waiters. The entries array is on the heap because
 * max_batch is the caller's choice; when it cannot be had, the batch
 * fails as a whole, as any failed commit does.
 */
static void commit_one_batch(vlt_gcommit_t *g)
{
	vlt_gc_waiter_t **batch = malloc(g->max_batch * sizeof(*batch));
	void **items = malloc(g->max_batch * sizeof(*items));
	vlt_err_t err = { 0 };
	size_t n = 0;
	int rc;

	if (batch == NULL || items == NULL) {
		free(batch);
		free(items);
		vlt_gc_waiter_t *one = g->head; /* answer at least the oldest */
		g->head = one->next;
		if (g->head == NULL)
			g->tail = NULL;
		one->rc = vlt_err_set(&one->err, VLT_ENOMEM, "group commit: out of memory");
		one->finished = true;
		return;
	}
	n = take_batch(g, batch);
	for (size_t i = 0; i < n; i++)
		items[i] = batch[i]->item;
	pthread_mutex_unlock(&g->lock);
	rc = g->commit(g->arg, items, n, &err);
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < n; i++) {
		batch[i]->rc = rc;
		if (rc < 0)
			batch[i]->err = err;
		batch[i]->finished = true;
	}
	if (rc == 0) {
		g->n_batches++;
		g->n_entries += n;
	}
	free(batch);
	free(items);
}

void vlt__gcommit_enqueue(vlt_gcommit_t *g, vlt_gc_waiter_t *w, void *item)
{
	*w = (vlt_gc_waiter_t){ .item = item };
	pthread_mutex_lock(&g->lock);
	if (g->tail != NULL)
		g->tail->next = w;
	else
		g->head = w;
	g->tail = w;
	pthread_mutex_unlock(&g->lock);
}

int vlt__gcommit_wait(vlt_gcommit_t *g, vlt_gc_waiter_t *w, vlt_err_t *err)
{
	pthread_mutex_lock(&g->lock);
	/* Wait for the batch holding w, committing batches (its or earlier ones) when the seat is free. */
	while (!w->finished) {
		if (!g->committing) {
			g->committing = true;
			commit_one_batch(g);
			g->committing = false;
			pthread_cond_broadcast(&g->woken);
		} else {
			pthread_cond_wait(&g->woken, &g->lock);
		}
	}
	pthread_mutex_unlock(&g->lock);
	if (w->rc < 0 && err != NULL)
		*err = w->err;
	return w->rc;
}

int vlt__gcommit_submit(vlt_gcommit_t *g, void *item, vlt_err_t *err)
{
	vlt_gc_waiter_t me;

	vlt__gcommit_enqueue(g, &me, item);
	return vlt__gcommit_wait(g, &me, err);
}

size_t vlt__gcommit_fail_queued(vlt_gcommit_t *g, int rc, const char *msg,
				void (*each)(void *arg, void *item), void *arg)
{
	size_t n = 0;

	pthread_mutex_lock(&g->lock);
	for (vlt_gc_waiter_t *w = g->head; w != NULL; w = w->next, n++) {
		if (each != NULL)
			each(arg, w->item);
		w->rc = vlt_err_set(&w->err, rc, "%s", msg);
		w->finished = true;
	}
	g->head = g->tail = NULL;
	pthread_cond_broadcast(&g->woken);
	pthread_mutex_unlock(&g->lock);
	return n;
}
