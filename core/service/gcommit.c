/*
 * gcommit.c - the group commit queue: leader/follower, one batch at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "gcommit.h"

#define DEFAULT_MAX_BATCH 64

struct vlt_gc_waiter {
	json_t *entry;		   /* borrowed from the submitting thread */
	struct vlt_gc_waiter *next; /* queue order */
	bool finished;		   /* its batch has been written (or failed) */
	int rc;
	vlt_err_t err;
};

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
static size_t take_batch(vlt_gcommit_t *g, struct vlt_gc_waiter **batch)
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
	struct vlt_gc_waiter **batch = malloc(g->max_batch * sizeof(*batch));
	json_t **entries = malloc(g->max_batch * sizeof(*entries));
	vlt_err_t err = { 0 };
	size_t n = 0;
	int rc;

	if (batch == NULL || entries == NULL) {
		free(batch);
		free(entries);
		struct vlt_gc_waiter *one = g->head; /* answer at least the oldest */
		g->head = one->next;
		if (g->head == NULL)
			g->tail = NULL;
		one->rc = vlt_err_set(&one->err, VLT_ENOMEM, "group commit: out of memory");
		one->finished = true;
		return;
	}
	n = take_batch(g, batch);
	for (size_t i = 0; i < n; i++)
		entries[i] = batch[i]->entry;
	pthread_mutex_unlock(&g->lock);
	rc = g->commit(g->arg, entries, n, &err);
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
	free(entries);
}

int vlt__gcommit_submit(vlt_gcommit_t *g, json_t *entry, vlt_err_t *err)
{
	struct vlt_gc_waiter me = { .entry = entry };

	pthread_mutex_lock(&g->lock);
	if (g->tail != NULL)
		g->tail->next = &me;
	else
		g->head = &me;
	g->tail = &me;
	/* Wait for the batch holding me, committing batches (mine or earlier ones) when the seat is free. */
	while (!me.finished) {
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
	if (me.rc < 0 && err != NULL)
		*err = me.err;
	return me.rc;
}
