/*
 * gcommit.h - group commit: threads that each need one entry written hand
 * it to a queue and wait; one of them at a time (the committer) takes
 * everything queued, writes it with a single commit() call (one
 * transaction, so one fsync for the whole batch) and wakes every waiter of
 * that batch with the batch's result. No waiter returns before the write
 * that holds its entry has returned, so an acknowledged entry is durable
 * exactly as far as commit() makes it; a failed batch answers each of its
 * waiters with the same error, and commit() must then have written none of
 * it (the store's insert_batch is all or nothing).
 *
 * There is no thread of its own: the first waiter that finds no commit
 * running becomes the committer (leader/follower), so nothing has to be
 * started or stopped, and a lone writer pays no hand-over.
 *
 * Thread-safe. Entries are committed in the order they were queued.
 */
#ifndef VALET_CORE_GCOMMIT_H
#define VALET_CORE_GCOMMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <valet/errors.h>

/*
 * Write items[0..n) (borrowed; what an item is, is the caller's: an
 * entry, or a request's whole context) in one go. Called without the
 * queue's lock, by one thread at a time. RET 0 when every item is
 * written, or a negative code with err when none is.
 */
typedef int (*vlt_gcommit_fn)(void *arg, void *const *items, size_t n, vlt_err_t *err);

/* One per waiting thread, on its own stack; the queue only links it. */
typedef struct vlt_gc_waiter {
	void *item;		    /* borrowed from the submitting thread */
	struct vlt_gc_waiter *next; /* queue order */
	bool finished;		    /* its batch has been written (or failed) */
	int rc;
	vlt_err_t err;
} vlt_gc_waiter_t;

typedef struct vlt_gcommit {
	pthread_mutex_t lock; /* guards every member below */
	pthread_cond_t woken; /* a batch finished, or the committer's seat is free */
	struct vlt_gc_waiter *head, *tail; /* queued, not yet taken (borrowed) */
	bool committing;		   /* a commit() call is running */
	size_t max_batch;		   /* at most this many entries per commit */
	vlt_gcommit_fn commit;
	void *arg; /* handed to commit (borrowed) */
	uint64_t n_batches, n_entries; /* committed so far, for tests and metrics */
} vlt_gcommit_t;

/* max_batch 0 means the default (64). */
void vlt__gcommit_init(vlt_gcommit_t *g, vlt_gcommit_fn commit, void *arg, size_t max_batch);
void vlt__gcommit_fini(vlt_gcommit_t *g);

/*
 * Queue item (borrowed; it must live until vlt__gcommit_wait returns) as
 * w. Split from the wait so that a caller can queue under a lock of its
 * own, which fixes the order of the items, then wait without it.
 */
void vlt__gcommit_enqueue(vlt_gcommit_t *g, vlt_gc_waiter_t *w, void *item);

/* Wait until w's batch has been committed. RET commit()'s result for that batch, err copied. */
int vlt__gcommit_wait(vlt_gcommit_t *g, vlt_gc_waiter_t *w, vlt_err_t *err);

/* Both at once. */
int vlt__gcommit_submit(vlt_gcommit_t *g, void *item, vlt_err_t *err);

/*
 * Answer every waiter still queued (not in the batch being committed)
 * with rc and msg, without committing it, calling each(arg, item) for
 * each first (may be NULL). For a commit() that failed and whose later
 * items depended on it: none of them may be written after a failed one.
 * RET how many were answered.
 */
size_t vlt__gcommit_fail_queued(vlt_gcommit_t *g, int rc, const char *msg,
				void (*each)(void *arg, void *item), void *arg);

#endif /* VALET_CORE_GCOMMIT_H */
