/*
 * decision.h - the decision record: for every placement the service
 * decides (plan create and update, replan, migrate, resize, reserve,
 * ad-hoc), one document in the store saying what was asked, which solver
 * answered and how, where each unit went, the runner-up and why it lost,
 * and how many locations were refused per reason (docs/decisions.md).
 *
 * Collections: "decisions", one document per decision under the id
 * "<time, 13 digits of ms>-<uuid>", so that time ranges are id ranges;
 * "decision_index", one empty-bodied entry per (field, value, decision)
 * under "<field>\x1f<value>\x1f<decision id>", so that "the decisions of
 * plan P since T" is one range of ids. Both are read through the store's
 * range (ABI 1.4), or a walk of list() filtered here when a store lacks it.
 *
 * A decision is built after its journal entry is stored and written
 * outside the service's lock, by a writer thread when it runs (queries
 * wait for it first); a failure to write it is logged and counted, and
 * never fails the request that made it. Expiry
 * (service.decision_retention_s) runs on a thread of its own.
 */
#ifndef VALET_CORE_DECISION_H
#define VALET_CORE_DECISION_H

#include <stdint.h>

#include <jansson.h>

#include "engine.h"

typedef struct vlt_service vlt_service_t;

#define VLT_DECISIONS		    "decisions"
#define VLT_DECISION_INDEX	    "decision_index"
#define VLT_DECISIONS_LIMIT_DEFAULT 100
#define VLT_DECISIONS_LIMIT_MAX	    1000

/*
 * What a placement explained (solver, metrics, units, refusals), kept
 * under the lock until its journal entry is stored; replaces the previous
 * one. Called by vlt__svc_place on a successful placement.
 */
void vlt__svc_decision_draft(vlt_service_t *s, const vlt_place_result_t *r);
/* Forget the draft (a decision that was not journaled). Under the lock. */
void vlt__svc_decision_forget(vlt_service_t *s);

/*
 * Under the lock, once entry (borrowed) is journaled at number seq and
 * applied: the decision it records, built from the draft and the state
 * (new reference), or NULL when the entry decides no placement (a delete,
 * an expiry, a group). Takes the draft.
 */
json_t *vlt__svc_decision_build(vlt_service_t *s, const json_t *entry, uint64_t seq);

/*
 * Outside the lock: store doc (taken) and its index entries; failures
 * logged and counted. Queued for the writer thread when it runs
 * (vlt__service_decisions_start), else written before returning.
 */
void vlt__svc_decision_write(vlt_service_t *s, json_t *doc);

/* The queue's set-up (vlt__service_open) and its end: the writer drains it and stops. */
void vlt__svc_decisions_init(vlt_service_t *s);
void vlt__svc_decisions_stop(vlt_service_t *s);

/* {"recorded", "failed", "expired", "retention_s"} for GET /v1/status (new reference). */
json_t *vlt__svc_decisions_status(vlt_service_t *s);

#endif /* VALET_CORE_DECISION_H */
