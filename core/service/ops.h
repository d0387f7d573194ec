/*
 * ops.h - the operations' journal entries and what they share.
 *
 * Each op_*.c file keeps an operation's decision (what to write) beside
 * the apply function of the entry it writes (what it does to the state);
 * service.c puts the apply functions in the journal's op table. Apply
 * functions have the journal's signature (vlt_journal_apply_fn) with the
 * service as state.
 */
#ifndef VALET_CORE_OPS_H
#define VALET_CORE_OPS_H

#include "service_int.h"

/* op_plans.c: "plan_create", "plan_delete" */
int vlt__apply_plan_create(void *svc, const json_t *e, bool decided_here, const char *where,
			   vlt_err_t *err);
int vlt__apply_plan_delete(void *svc, const json_t *e, bool decided_here, const char *where,
			   vlt_err_t *err);
/* op_replace.c: "plan_replace" */
int vlt__apply_plan_replace(void *svc, const json_t *e, bool decided_here, const char *where,
			    vlt_err_t *err);
/* op_placements.c: "reserve" */
int vlt__apply_reserve(void *svc, const json_t *e, bool decided_here, const char *where,
		       vlt_err_t *err);
/* op_expire.c: "expire" */
int vlt__apply_expire(void *svc, const json_t *e, bool decided_here, const char *where,
		      vlt_err_t *err);
/*
 * op_reservations.c: p's interval (timed, start_ms, end_ms) read again
 * from its request; called whenever an entry gives p a request.
 */
void vlt__svc_plan_interval(vlt_svc_plan_t *p);
/*
 * op_reservations.c: may p's servers be reserved now (for Nova, by the
 * reserve path)? An ordinary plan's always; a reservation's while it is
 * active. RET 0, or VLT_ECONFLICT saying when it starts or that it ended.
 */
int vlt__svc_reservable(vlt_service_t *s, const vlt_svc_plan_t *p, vlt_err_t *err);
/*
 * op_plans.c: POST /v1/plans with answer (NULL: the plan's document, and
 * a request with nothing to place is answered {"plan": {}}) building the
 * document of the plan by stack id; with an answer, nothing to place is
 * VLT_EINVAL. *doc is the caller's.
 */
int vlt__svc_plan_create_as(vlt_service_t *s, const json_t *body, const char *tenant,
			    vlt_svc_answer_fn answer, json_t **doc, vlt_err_t *err);
/*
 * op_plans.c: PUT /v1/reservations/{id}, the plan update path on a
 * reservation (VLT_ENOENT "Reservation not found" for another plan): body
 * is a plan request whose resources (else the reservation's) and bounds
 * (else its own) are placed again in its stead, what did not change kept
 * where it is and, when that cannot be, only its reserved servers kept;
 * refused, and nothing changed, when it does not fit or ended. answer
 * builds *doc (the caller's) from the plan's id.
 */
int vlt__svc_reservation_update_as(vlt_service_t *s, const char *id, const json_t *body,
				   const char *tenant, vlt_svc_answer_fn answer, json_t **doc,
				   vlt_err_t *err);
/* op_reservations.c: 0 while p (a reservation) has not ended, else VLT_ECONFLICT saying when. */
int vlt__svc_reservation_changeable(vlt_service_t *s, const vlt_svc_plan_t *p, vlt_err_t *err);
/* op_reservations.c: "reservation_end" (a reservation's end: its holds released) */
int vlt__apply_reservation_end(void *svc, const json_t *e, bool decided_here, const char *where,
			       vlt_err_t *err);
/* op_nova.c: "server_at" (Nova says where a server runs) */
int vlt__apply_server_at(void *svc, const json_t *e, bool decided_here, const char *where,
			 vlt_err_t *err);
/* op_nova.c: GET /v1/status's "notifications" (new reference) */
json_t *vlt__svc_notifications_status(vlt_service_t *s);
/*
 * op_nova.c, for the refresh: the reserved servers whose allocation the
 * data center just swapped in puts on another host than their placement
 * (lock held; a new array, *n long), then, with no lock held, each moved
 * there as a notification of the reading's time would (read_us), unless
 * a newer notification was applied; each move counted as a correction.
 * vlt__svc_correct_moves frees moved.
 */
typedef struct vlt_svc_moved vlt_svc_moved_t;
vlt_svc_moved_t *vlt__svc_moved_servers(const vlt_service_t *s, size_t *n);
void vlt__svc_correct_moves(vlt_service_t *s, vlt_svc_moved_t *moved, size_t n, int64_t read_us);
/* op_outside.c: "server_outside" (a server Valet never planned, as Nova tells of it) */
int vlt__apply_server_outside(void *svc, const json_t *e, bool decided_here, const char *where,
			      vlt_err_t *err);
/*
 * op_outside.c: the decision for an event of an instance no placement
 * names: RET 1 (nothing to write) or 0 with *entry and *outcome.
 */
int vlt__svc_decide_outside(vlt_service_t *s, const vlt_nova_event_t *ev, json_t **entry,
			    vlt_nova_outcome_t *outcome, vlt_err_t *err);
/*
 * After a reading of the sources that began at read_us (lock held): those
 * servers it counts (or that were told of before it began) are left to
 * it; the others are held again on the new data center.
 */
void vlt__svc_outside_after_reading(vlt_service_t *s, int64_t read_us);
void vlt__svc_outside_free(vlt_service_t *s);
/* A placement is reserved by uuid now: its hold counts it, no longer as a server outside. */
void vlt__svc_outside_forget(vlt_service_t *s, const char *uuid);
/* op_groups.c: "group_put", "group_delete" */
int vlt__apply_group_put(void *svc, const json_t *e, bool decided_here, const char *where,
			 vlt_err_t *err);
int vlt__apply_group_delete(void *svc, const json_t *e, bool decided_here, const char *where,
			    vlt_err_t *err);

/* ---- op_placements.c: a server leaves its plan */

/*
 * A "plan_replace" entry (why says which operation) for plan p without
 * server u: u leaves the plan's request and units. RET 0 with *entry, or
 * VLT_ENOMEM with err.
 */
int vlt__svc_drop_server_entry(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u, const char *why,
			       json_t **entry, vlt_err_t *err);

/* ---- op_replace.c: a plan's record replaced, and replacing one server */

/*
 * A "plan_replace" entry: plan p gets request req and these units (both
 * copied), name when not NULL; why says which operation wrote it.
 * RET a new entry or NULL (out of memory).
 */
json_t *vlt__svc_replace_entry(const vlt_svc_plan_t *p, const char *why, const char *name,
			       const json_t *req, const vlt_svc_unit_t *units, size_t n);

/* How one server of a plan is placed again (migrate, replan). */
typedef struct vlt_svc_replace {
	const char *why;    /* the entry's "why": "migrate" or "replan" */
	const char *tenant; /* checked against groups' members (may be NULL) */
	/* The siblings that stay where they are: only reserved ones, or every held one. */
	bool pin_reserved_only;
	const json_t *allowed_hosts;  /* [host, ...]: where the server may go, or NULL */
	const json_t *excluded_hosts; /* [host, ...]: where it may not, or NULL */
	/* Reserved where it lands (Nova asked for it there), or left for Nova to reserve. */
	bool reserve;
	const char *resource_id; /* with reserve: its Nova uuid (NULL: keep the known one) */
	/* The plan's request to place and record instead of its own (a resize), or NULL. */
	const json_t *request;
} vlt_svc_replace_t;

/*
 * vlt__svc_replace_server - a decision for vlt__svc_write: place target
 * (a server or a volume of p; how->allowed_hosts and excluded_hosts are
 * pools for a volume) again as how says, the plan's other units kept, its
 * hold's clock started anew. On success *entry is a "plan_replace" entry
 * and *engine_done is set (the engine holds the new placement under p's
 * id). On failure the engine holds what p's record says again.
 * RET 0 or a negative code with err (VLT_ENOPLACE when it fits nowhere).
 */
int vlt__svc_replace_server(vlt_service_t *s, vlt_svc_plan_t *p, vlt_svc_unit_t *target,
			    const vlt_svc_replace_t *how, json_t **entry, bool *engine_done,
			    vlt_err_t *err);

#endif /* VALET_CORE_OPS_H */
