/*
 * journal.h - a sequence of changes kept in a store, as valet-api's state
 * is: document N of the collection (its id is N zero-padded to 20 digits)
 * is the Nth change, appended with put(..., expect 0) so that exactly one
 * writer wins each N, even between processes sharing the store.
 *
 * The journal knows nothing of what the entries mean. Each entry has an
 * "op"; the table the owner passes in maps it to the function that applies
 * it to the owner's state. An entry that cannot be applied is logged and
 * counted, and the journal goes on: one broken entry must not stop every
 * later one.
 *
 * Not thread-safe: the owner serialises every call (the service's mutex).
 */
#ifndef VALET_CORE_JOURNAL_H
#define VALET_CORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <valet/errors.h>

#include "clock.h"
#include "loader.h"
#include "store_stats.h"

/*
 * Apply entry (borrowed) to state. decided_here: this process decided the
 * entry and has already made the engine match it (a placement solved and
 * held), so only the record is to change. where names the entry for
 * messages. RET 0 or a negative code with err.
 */
typedef int (*vlt_journal_apply_fn)(void *state, const json_t *entry, bool decided_here,
				    const char *where, vlt_err_t *err);

typedef struct vlt_journal_op {
	const char *name; /* the entry's "op" */
	vlt_journal_apply_fn apply;
} vlt_journal_op_t;

/*
 * Rebuild state from a snapshot covering entry missing, which compaction
 * removed while later entries remain, and set the journal's applied to
 * the snapshot's entry (> missing - 1). RET 0 or a negative code with err.
 */
typedef int (*vlt_journal_reload_fn)(void *state, uint64_t missing, vlt_err_t *err);

typedef struct vlt_journal {
	vlt_module_t *store;	      /* a loaded store module (borrowed) */
	char coll[64];		      /* the collection */
	const vlt_journal_op_t *ops; /* borrowed for the journal's life */
	size_t n_ops;
	void *state;	    /* handed to every apply (borrowed) */
	vlt_clock_t clock;  /* stamps entries ("at") */
	unsigned max_retries;
	uint64_t applied;     /* entries applied: the next one is applied+1 */
	uint64_t n_unapplied; /* of those, how many failed to apply */
	/* entries of this process's queued for a group commit, numbered
	 * applied+1 .. applied+pending, not yet stored and applied */
	uint64_t pending;
	vlt_store_stats_t stats; /* every store call the journal makes, timed */
	vlt_journal_reload_fn reload; /* NULL: a gap is an error (vlt__journal_on_gap) */
	/* called after each entry is applied, with applied (NULL: nothing) */
	void (*after_apply)(void *state, uint64_t applied);
} vlt_journal_t;

/*
 * vlt__journal_init - a journal on store's collection (NULL: "journal"),
 * applying nothing yet. clock may be NULL (the real one); max_retries 0
 * means the default (8).
 */
void vlt__journal_init(vlt_journal_t *j, vlt_module_t *store, const char *collection,
		       const vlt_journal_op_t *ops, size_t n_ops, void *state,
		       const vlt_clock_t *clock, unsigned max_retries);

/*
 * Apply every entry the store has from applied+1 (the first, or the one
 * after the snapshot the owner loaded): at start. RET 0 or VLT_EBACKEND.
 */
int vlt__journal_replay(vlt_journal_t *j, vlt_err_t *err);

/*
 * What to do when entry applied+1 is gone while later ones are there
 * (snapshots and compaction, docs/api.md "The journal"): reload calls the
 * owner to rebuild its state from a snapshot. Without it such a gap is
 * VLT_EBACKEND. Gaps are seen only with a store that has range() (ABI 1.4).
 */
void vlt__journal_on_gap(vlt_journal_t *j, vlt_journal_reload_fn reload);

/*
 * Apply the entries others appended since (applied+1, +2, ...), in runs
 * read with the store's range(); past a gap, from a snapshot (on_gap).
 * RET 0 or VLT_EBACKEND. Nothing while entries of ours are pending: the next
 * numbers are theirs, and one another writer took makes their batch fail
 * (and decide again after catching up).
 */
int vlt__journal_catch_up(vlt_journal_t *j, vlt_err_t *err);

/* The journal's time, from its clock. */
int64_t vlt__journal_now_ms(const vlt_journal_t *j);

/*
 * One write: the journal catches up, then decide() looks at the state and either answers from it (returns 1:
 * nothing to write), fails (a negative code), or returns 0 with *entry, a
 * new journal entry (ownership passes to the journal); *decided_here says
 * whether it already changed the engine to match the entry. The entry is
 * stamped with "at", appended at applied+1 and, once stored, applied.
 * When another writer took that number, undo() (may be NULL; called only
 * when decided_here) takes back what decide did to the engine, the
 * journal catches up and decide runs again, at most max_retries times.
 * done() (may be NULL) builds the answer from the state, after writing or
 * answering.
 */
typedef struct vlt_journal_write {
	int (*decide)(void *arg, json_t **entry, bool *decided_here, vlt_err_t *err);
	void (*undo)(void *arg);
	int (*done)(void *arg, vlt_err_t *err);
	void *arg;
} vlt_journal_write_t;

/*
 * Group commit's half in the journal. vlt__journal_can_batch: the store
 * has insert_batch (ABI 1.5), so several entries can share one commit;
 * without it a batch must be one entry. vlt__journal_append_batch: store
 * entries[0..n) (borrowed) at first, first+1, ... in one write, all or
 * none; it changes nothing of j but its statistics (atomic), so the
 * committer may call it without the owner's lock, provided it alone
 * appends. RET 0, VLT_ECONFLICT (a number was taken: nothing written) or
 * VLT_EBACKEND.
 */
bool vlt__journal_can_batch(const vlt_journal_t *j);
/* Apply entry (borrowed), just stored by this process at applied+1. */
void vlt__journal_apply_appended(vlt_journal_t *j, const json_t *entry, bool decided_here);
int vlt__journal_append_batch(vlt_journal_t *j, uint64_t first, json_t *const *entries,
			      size_t n, vlt_err_t *err);

/*
 * RET 0 (written or answered), VLT_EBACKEND (the store failed, or every
 * attempt lost the race), or decide's or done's negative code.
 */
int vlt__journal_write(vlt_journal_t *j, const vlt_journal_write_t *w, vlt_err_t *err);

#endif /* VALET_CORE_JOURNAL_H */
