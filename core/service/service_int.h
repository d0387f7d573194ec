/*
 * service_int.h - what the operations share: the service itself (its lock,
 * journal and state), the write and read brackets, holding a plan in the
 * engine, and the checks of request fields (common.c). The operations are
 * in op_*.c; service.c opens and closes the service. Nothing here is for
 * files outside core/service/; they use service.h.
 */
#ifndef VALET_CORE_SERVICE_INT_H
#define VALET_CORE_SERVICE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "gcommit.h"
#include "journal.h"
#include "listener.h"
#include "request.h"
#include "service.h"
#include "state.h"
#include "svc_metrics.h"

#define SVC_WHERE "plan request"

/* A thread running tick(s) every period_ms until the service stops it (common.c). */
typedef struct vlt_svc_ticker {
	pthread_t thread;
	bool running;
	/* leased: tick only while this instance holds the periodic work's lease (lease.c) */
	bool leased;
	unsigned period_ms;
	void (*tick)(vlt_service_t *s);
	vlt_service_t *s;
	pthread_cond_t *wake; /* with the service's lock: tick now; NULL: only s->wake (stop) */
} vlt_svc_ticker_t;

/*
 * The periodic work's lease as this instance knows it (lease.c). The
 * fields are under lock, which is never held across a store call; io
 * makes the lease thread's look at the document and the release on stop
 * one at a time.
 */
typedef struct vlt_svc_lease {
	pthread_mutex_t lock, io;
	int64_t lease_ms;      /* service.lease_s; 0: no lease, the work is always ours */
	char self[128];        /* "<host>:<pid>:<random>": who we are in the document */
	bool held;             /* the last look renewed or took it */
	bool stopping;         /* under io: released on stop, never taken again */
	int64_t held_until_ms; /* service clock: held only before this, unless renewed */
	int64_t term;          /* ours when held, else the document's as last seen */
	char holder[128];      /* the document's holder as last seen ("" released or none) */
	int64_t expires_at_ms; /* the document's, as last seen or written */
	uint64_t n_acquired, n_lost;
} vlt_svc_lease_t;

struct vlt_service {
	/*
	 * Serialises every operation: catching up with the journal, deciding
	 * (the engine's placements included), appending and applying. The
	 * engine's own mutex only guards its ledger against other users.
	 */
	pthread_mutex_t lock;
	vlt_engine_t *engine; /* borrowed */
	vlt_module_t *store;  /* borrowed */
	vlt_service_opts_t opts;
	vlt_journal_t journal;
	vlt_svc_state_t st;
	/* Reading the journal at start: plans are recorded, held after (vlt__svc_hold_after_replay). */
	bool replaying;

	/* The data center in use: when it was read, and how the last reading went. */
	pthread_mutex_t refresh_lock; /* one reading of the sources at a time */
	int64_t sources_ok_ms;	      /* when the data center in use was read (service clock) */
	int64_t sources_tried_ms;     /* the last reading, good or not */
	char sources_error[512];      /* why the last reading failed; "" when it did not */
	uint64_t n_refreshed, n_refresh_failed;
	/* what refreshes corrected that Nova's notifications should have told (op_nova.c) */
	atomic_uint_fast64_t n_corrections;
	vlt_listener_t *listener; /* Nova's notifications (listener.c); NULL when off */
	/* servers Valet never planned that notifications told of: uuid -> (op_outside.c) */
	vlt_strmap_t outside;
	/* the last refresh that swapped a data center in: reading the sources (off the lock),
	 * and swapping it in and holding the plans again (under it), ms; -1 before one */
	double last_read_ms, last_swap_ms;

	vlt_svc_metrics_t metrics; /* what GET /metrics shows that the state does not (metrics.c) */
	vlt_svc_checks_t checks;   /* the health check's last answers (health.c) */

	/* the threads that sweep expired holds and ended reservations, read the sources again, expire decisions,
	 * keep the lease of that periodic work (lease.c) and take snapshots */
	vlt_svc_ticker_t sweeper, refresher, decision_sweeper, leaser, snapshotter;
	vlt_svc_ticker_t resv_sweeper; /* ends reservations (op_reservations.c) */
	vlt_svc_lease_t lease;

	/* Snapshots (snapshot.c). snap_lock: one snapshot at a time; the rest under lock:
	 * the entry of the newest snapshot known, how many were taken or failed, how long
	 * the last one took in all and how long it held the lock to copy the state (ms). */
	pthread_mutex_t snap_lock;
	pthread_cond_t snap_due; /* with lock: snapshot_every entries were applied since */
	uint64_t snap_seq, n_snapshots, n_snapshot_failed;
	double snap_last_ms, snap_copy_ms;

	/* The decision record (decision.c): the last placement's explanation, under lock,
	 * until its journal entry is stored; what was written, failed, expired. */
	json_t *decision_draft;
	atomic_uint_fast64_t n_decisions, n_decisions_failed, n_decisions_expired;
	/* Decisions waiting for the writer thread (when it runs: else written at once). */
	struct vlt_svc_decision_queue {
		pthread_mutex_t lock;
		pthread_cond_t changed; /* something queued, written, or stop */
		json_t *docs;		/* array, oldest first */
		bool writing;		/* the writer holds documents taken off docs */
		bool running, stop;   /* running: documents go to the queue */
		bool thread_started; /* to be joined */
		pthread_t thread;
	} decision_queue;
	/* Group commit (group_write.c), used when the store has insert_batch.
	 * Under lock: the keys (stack and orchestration ids) of the pending
	 * plan creations, each to a count, so two creations that would clash
	 * never share a batch; exclusive: an entry other than a plan creation
	 * is pending, and nothing else is decided until it is stored. */
	vlt_gcommit_t gc;
	json_t *gc_keys;
	bool gc_exclusive;
	pthread_cond_t gc_drained; /* with lock: the journal has nothing pending */
	bool stop;	     /* under lock: every ticker ends */
	pthread_cond_t wake; /* with lock: signalled on stop */
};

/* ---- common.c */

/* The service's time (its clock), in milliseconds since the epoch. */
int64_t vlt__svc_now_ms(const vlt_service_t *s);
/* A random (version 4) uuid into buf (37 bytes at least). */
void vlt__svc_uuid(char *buf);

/*
 * One write through the journal (vlt__journal_write), under the lock:
 * decide() looks at the caught-up state and answers (1), fails, or
 * returns 0 with *entry; *engine_done says whether it already changed the
 * engine to match. undo() (may be NULL) takes that back after a lost race;
 * done() (may be NULL) builds the answer, still locked.
 */
typedef int (*vlt_svc_decide_fn)(vlt_service_t *s, void *ctx, json_t **entry, bool *engine_done,
				 vlt_err_t *err);
typedef void (*vlt_svc_undo_fn)(vlt_service_t *s, void *ctx);
typedef int (*vlt_svc_done_fn)(vlt_service_t *s, void *ctx, vlt_err_t *err);
int vlt__svc_write(vlt_service_t *s, vlt_svc_decide_fn decide, vlt_svc_undo_fn undo,
		   vlt_svc_done_fn done, void *ctx, vlt_err_t *err);
/* One write's callbacks and context, seen by the journal as its own. */
struct svc_write {
	vlt_service_t *s;
	vlt_svc_decide_fn decide;
	vlt_svc_undo_fn undo;
	vlt_svc_done_fn done;
	void *ctx;
	json_t *entry; /* the last decision's entry (a reference): journaled if the write succeeds */
};
/* The service's callbacks (common.c), seen by the journal as its own; arg is a struct svc_write. */
int vlt__svc_w_decide(void *arg, json_t **entry, bool *decided_here, vlt_err_t *err);
void vlt__svc_w_undo(void *arg);
int vlt__svc_w_done(void *arg, vlt_err_t *err);
/*
 * The same write when the store can batch (vlt__journal_can_batch),
 * called under the lock and returning with it held: the entry is queued
 * for a group commit and the lock released while it is written, so the
 * next request decides meanwhile; the answer is built once the entry is
 * stored and applied. OUT decision - the decision record to write (new
 * reference or NULL).
 */
int vlt__svc_write_grouped(vlt_service_t *s, struct svc_write *w, json_t **decision,
			   vlt_err_t *err);
/* Group commit's half of opening and freeing the service. */
int vlt__svc_group_init(vlt_service_t *s);
void vlt__svc_group_fini(vlt_service_t *s);
/* With the lock held: wait until no entry is pending (before changing the engine apart from a write). */
void vlt__svc_wait_drained(vlt_service_t *s);

/* Lock, catch up; on failure unlocked with err set. */
int vlt__svc_read_begin(vlt_service_t *s, vlt_err_t *err);
void vlt__svc_read_end(vlt_service_t *s);
/*
 * A read of one document: answer(s, id, out, err) on the caught-up state,
 * under the lock. RET what answer returned, or the catch-up's error.
 */
typedef int (*vlt_svc_answer_fn)(vlt_service_t *s, const char *id, json_t **out, vlt_err_t *err);
int vlt__svc_read_one(vlt_service_t *s, vlt_svc_answer_fn answer, const char *id, json_t **out,
		      vlt_err_t *err);

/*
 * Hold in the engine what p's record says (its units that did not
 * expire), releasing what it held first when release is set. Units whose
 * host or pool the data center no longer has are left out and marked
 * gone (each unit's health is found anew); the rest is held. A failure is
 * kept in p->hold_error and logged.
 */
int vlt__svc_plan_hold(vlt_service_t *s, vlt_svc_plan_t *p, bool release, const char *where,
		       vlt_err_t *err);

/* Take back a decision that lost the race: plan_id's record held again. */
void vlt__svc_rehold(vlt_service_t *s, const char *plan_id);

/* Place req with the engine; *result owned by the caller; on failure none, err says why. */
int vlt__svc_place(vlt_service_t *s, const json_t *req, const vlt_place_opts_t *o,
		   vlt_place_result_t **result, vlt_err_t *err);

/*
 * Start t (period_ms > 0) unless it runs. A ticker whose t->leased is set
 * before the start skips its ticks while this instance does not hold the
 * lease (vlt__service_lease_held). RET 0 or VLT_ENOMEM naming what.
 */
int vlt__svc_ticker_start(vlt_service_t *s, vlt_svc_ticker_t *t, unsigned period_ms,
			  void (*tick)(vlt_service_t *s), const char *what, vlt_err_t *err);
/* Stop every ticker of s and join them; safe when none runs. */
void vlt__svc_tickers_stop(vlt_service_t *s);

/* ---- lease.c: the lease's half of opening and freeing the service; the status's part. */
void vlt__svc_lease_init(vlt_service_t *s);
void vlt__svc_lease_fini(vlt_service_t *s);
/* {"enabled", "held", "self", "holder", "term", "expires_at_ms", "lease_s", "acquired",
 * "lost"} (new reference) or NULL. */
json_t *vlt__svc_lease_status(vlt_service_t *s);
/* valet_lease_held, _term, _acquired_total, _lost_total for GET /metrics; no service lock. */
void vlt__svc_lease_write_metrics(vlt_service_t *s, vlt_prom_t *p);

/*
 * Planning needs sources that were read recently enough (service.max_stale_s).
 * RET 0, or VLT_EBACKEND saying how old the data center is and why it could
 * not be read (op_refresh.c). Called with the lock held.
 */
int vlt__svc_check_fresh(vlt_service_t *s, vlt_err_t *err);
/* The same rule on given facts: a data center age_ms old, the last reading's error ("" if none). */
int vlt__svc_stale_error(int64_t age_ms, int64_t max_stale_s, const char *sources_error,
			 vlt_err_t *err);

/*
 * The end of the start's replay (op_refresh.c): the reserved servers'
 * own allocations taken out of their hosts' used (known only once the
 * whole journal is read), then every plan held, once. RET 0 or VLT_ENOMEM.
 */
int vlt__svc_hold_after_replay(vlt_service_t *s, vlt_err_t *err);

/* ---- snapshot.c */

/* A snapshot chunk's most JSON text, unless service opts say otherwise. */
#define VLT_SNAPSHOT_CHUNK_BYTES (4u << 20)
/*
 * How often the snapshot thread looks whether snapshot_every entries went
 * by without being told (entries of other valetd, read when catching up);
 * this valetd's own writes wake it at once (vlt__svc_snapshot_note).
 */
#define VLT_SNAPSHOT_POLL_MS 1000
/*
 * Read the newest complete snapshot whose entry is above `above` into the
 * state, emptied first (replaying must be set: plans are held after), and
 * set the journal's applied to its entry. *loaded: one was read; else the
 * state is untouched, or empty when every snapshot failed to read.
 * RET 0, VLT_EBACKEND (the store), VLT_ENOMEM.
 */
int vlt__svc_snapshot_load(vlt_service_t *s, uint64_t above, bool *loaded, vlt_err_t *err);
/* The journal's after_apply: wake the snapshot thread when one is due (under lock). */
void vlt__svc_snapshot_note(void *svc, uint64_t applied);
/* The journal's on_gap (vlt_journal_reload_fn): the state read again from a snapshot. */
int vlt__svc_reload_past_gap(void *svc, uint64_t missing, vlt_err_t *err);

/* op_groups.c: give the engine the named and retired groups of the state. RET 0 or < 0. */
int vlt__svc_groups_to_engine(vlt_service_t *s, const char *where, vlt_err_t *err);

/* Does u hold a location the data center in use has (not expired, not gone)? */
bool vlt__svc_unit_placed(vlt_service_t *s, const vlt_svc_unit_t *u);

/*
 * Restrictions for the engine's placement options (pinned, allowed or
 * excluded locations), as the data center's indices. Owns the arrays.
 */
typedef struct vlt_svc_locs {
	vlt_unit_locs_t *v;
	size_t n;
} vlt_svc_locs_t;

/*
 * Add orch's locations: names is a host or pool name, or an array of them
 * (hosts for a server, pools for a volume). what names the restriction in
 * messages; orch is borrowed for the locations' life. RET 0, VLT_EINVAL
 * naming a location the inventory does not
 * have, VLT_ENOMEM.
 */
int vlt__svc_locs_add(vlt_service_t *s, vlt_svc_locs_t *l, const char *orch, bool server,
		      const json_t *names, const char *what, vlt_err_t *err);
void vlt__svc_locs_free(vlt_svc_locs_t *l);

/*
 * The hosts of list (an array of names) that the inventory has, as a new
 * array; unknown ones are left out (Nova may know hosts Valet does not).
 */
json_t *vlt__svc_known_hosts(vlt_service_t *s, const json_t *list);
/* The same for hosts (server) or storage pools (!server). */
json_t *vlt__svc_known_locations(vlt_service_t *s, const json_t *list, bool server);

/* Is s one of the strings of list? */
bool vlt__svc_in_list(const json_t *list, const char *s);
/* Both NULL, or the same string. */
bool vlt__svc_same_str(const char *a, const char *b);

/* A request as the journal keeps it: canonical JSON text (new reference). */
json_t *vlt__svc_request_text(const json_t *req);
/* An entry's request, parsed back (new reference) or NULL. */
json_t *vlt__svc_entry_request(const json_t *e);
/* The plan an entry names by "plan_id", or NULL with err (VLT_ENOENT). */
vlt_svc_plan_t *vlt__svc_entry_plan(vlt_service_t *s, const json_t *e, const char *where,
				    vlt_err_t *err);

/* Validation helpers: RET 0 or VLT_EINVAL naming where and path. */
int vlt__svc_want_string(const json_t *obj, const char *key, bool required, const char *where,
			 const char **out, vlt_err_t *err);
int vlt__svc_want_strings(const json_t *obj, const char *key, bool required, const char *where,
			  const json_t **out, vlt_err_t *err);

#endif /* VALET_CORE_SERVICE_INT_H */
