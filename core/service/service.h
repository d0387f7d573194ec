/*
 * service.h - the state of valet-api (plans, placements, groups) kept in a
 * store as a journal, and the operations the REST API performs on it.
 *
 * The store holds one collection, "journal": document N (its id is N
 * zero-padded to 20 digits) is the Nth change: a plan created, replaced
 * (update, replan, migrate, a placement deleted), deleted, a placement
 * reserved, holds expired, a group written or deleted. Appending is
 * put(journal, N, entry, expect 0), so exactly one writer wins each N,
 * even between processes sharing the store.
 *
 * Every service.snapshot_every entries the state at the last one is written
 * to the store too (snapshot.c) and the history it makes redundant is
 * removed; a start reads the newest snapshot and the entries after it.
 *
 * A service keeps in memory the journal applied in order up to `applied`,
 * and the engine's ledger holds exactly what those entries hold. Every
 * operation first catches up (applies applied+1, applied+2, ... until the
 * store has no more). A write then decides on that state (solving with
 * the engine where it must), and appends at applied+1. If another writer
 * took that number, the decision is undone, the service catches up and
 * decides again (at most max_retries times, then VLT_EBACKEND, 503). So
 * every decision is made on the journal prefix it follows: several valetd
 * on one store never over-commit, and a crash loses nothing that was
 * acknowledged (docs/api.md, "The journal").
 *
 * All operations are safe to call from several threads: one mutex per
 * service serialises them. Documents follow upstream valet-api v1; their
 * shapes are in docs/api.md. Errors carry a message for the error body;
 * codes map to statuses through vlt__http_status_of.
 */
#ifndef VALET_CORE_SERVICE_H
#define VALET_CORE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <valet/errors.h>

#include "clock.h"
#include "engine.h"
#include "loader.h"
#include "prom.h"

typedef struct vlt_service vlt_service_t;

typedef struct vlt_service_opts {
	/* Seconds an unreserved server's hold lasts; 0: forever. */
	int64_t hold_ttl_s;
	/* How often a write may lose the race for the next journal entry. */
	unsigned max_retries;
	/* The collection of the journal ("journal" when NULL). */
	const char *collection;
	/* The loaded modules, required: group types are their policies' names (borrowed). */
	vlt_modules_t *mods;
	/*
	 * The time of day for hold deadlines and journal stamps (zero: the
	 * real clock); tests set it to step time without sleeping.
	 */
	vlt_clock_t clock;
	/* Seconds between readings of the sources by a thread; 0: none. */
	int64_t refresh_s;
	/* Seconds the data center may age while the sources cannot be read; 0: no limit. */
	int64_t max_stale_s;
	/* Most resources in one plan request (0: VLT_DEFAULT_MAX_RESOURCES). */
	unsigned max_resources;
	/* Most member tenants of one named group (0: VLT_DEFAULT_MAX_MEMBERS). */
	unsigned max_members;
	/* Seconds a decision record is kept (docs/decisions.md); 0: forever. */
	int64_t decision_retention_s;
	/*
	 * Seconds the periodic work's lease lasts unrenewed (lease.c,
	 * vlt__service_lease_start); 0: no lease, this service does the
	 * periodic work whatever other instances do.
	 */
	int64_t lease_s;
	/* Journal entries between two snapshots (vlt__service_snapshotter_start); 0: none. */
	uint64_t snapshot_every;
	/* A snapshot chunk's most JSON text (0: 4 MiB); tests make it small. */
	size_t snapshot_chunk_bytes;
	/* Called between a snapshot's writes with the step's name (NULL: nothing);
	 * tests end the process there to see that a crash loses nothing. */
	void (*snapshot_step)(const char *step);
} vlt_service_opts_t;

/*
 * vlt__service_open - read the journal from store (its newest snapshot,
 * then the entries after it) and apply it to a fresh engine (its ledger
 * must hold nothing yet).
 * IN  engine, store - borrowed for the service's life (store: a loaded
 *                     store module)
 * IN  opts - copied; opts->mods is required
 * OUT s - new, owned by the caller (vlt__service_free)
 * RET 0, VLT_EBACKEND when the store cannot be read, VLT_ECONFIG without a
 *     store, VLT_EINVAL without modules, VLT_ENOMEM.
 * An entry that cannot be applied (a hold that no longer fits the
 * inventory, say) is logged and shown by GET /v1/resources; it does not
 * stop the start.
 */
int vlt__service_open(vlt_service_t **s, vlt_engine_t *engine, vlt_module_t *store,
		      const vlt_service_opts_t *opts, vlt_err_t *err);
/* Stops the service's threads if running; NULL is a no-op. */
void vlt__service_free(vlt_service_t *s);

/* The journal entries applied so far. */
uint64_t vlt__service_applied(vlt_service_t *s);

/*
 * vlt__service_sweep - expire the holds of unreserved servers whose
 * deadline (the time their hold started, as the journal recorded it, plus
 * hold_ttl_s) is at or before now_ms (milliseconds since the epoch).
 * OUT n_expired - how many servers were expired (may be NULL).
 * RET 0 or the store's error.
 */
int vlt__service_sweep(vlt_service_t *s, int64_t now_ms, size_t *n_expired, vlt_err_t *err);
/*
 * Start a thread that sweeps every period_ms (0: a period derived from
 * hold_ttl_s). Does nothing when hold_ttl_s is 0. RET 0 or VLT_ENOMEM.
 */
int vlt__service_sweeper_start(vlt_service_t *s, unsigned period_ms, vlt_err_t *err);

/*
 * vlt__service_snapshot - write the state at the last entry applied to the
 * store as a snapshot (unless one is there for it already), then compact:
 * the older snapshots and the journal entries below the previous
 * snapshot's go (docs/api.md, "The journal"). The state is copied under
 * the lock; the writes are made without it. RET 0, VLT_ECONFIG (a store
 * without range()), VLT_EBACKEND, VLT_ENOMEM; a failed compaction is
 * logged and left to the next snapshot.
 */
int vlt__service_snapshot(vlt_service_t *s, vlt_err_t *err);
/*
 * Start a thread that takes a snapshot every snapshot_every entries
 * (applied by this valetd or read from others); nothing when it is 0.
 * RET 0, VLT_ECONFIG (a store without range()), VLT_ENOMEM.
 */
int vlt__service_snapshotter_start(vlt_service_t *s, vlt_err_t *err);

/*
 * vlt__service_refresh - read the sources again, off the request path,
 * and put the new data center in use: every plan holds again what it
 * holds, hosts and pools matched by name. A unit whose host or pool is
 * gone is not held and is reported (GET /v1/resources, the log); one on
 * a disabled host stays held and is reported too; migrate and replan
 * re-place them. When the sources cannot be read, the data center in use
 * stays and the failure is kept for GET /v1/status; past max_stale_s,
 * planning is refused with 503 and the reason until a reading succeeds.
 * RET 0, or the sources' error (err says which and why).
 */
int vlt__service_refresh(vlt_service_t *s, vlt_err_t *err);
/* Start a thread that refreshes every refresh_s; nothing when it is 0. RET 0 or VLT_ENOMEM. */
int vlt__service_refresher_start(vlt_service_t *s, vlt_err_t *err);

/*
 * ---- the periodic work's lease (lease.c, docs/valetd.md "Several valetd").
 * Among the instances sharing a store, the one holding the lease in the
 * store's "leases" collection expires holds, releases the placements of
 * instances the sources no longer know, expires decisions and consumes
 * the notifications; every instance serves the API.
 *
 * vlt__service_lease_start - look at the lease once (alone on the store,
 * it is ours at once), then start the thread that renews or takes it
 * every third of lease_s. Nothing when lease_s is 0. RET 0 or VLT_ENOMEM.
 */
int vlt__service_lease_start(vlt_service_t *s, vlt_err_t *err);
/* One look at the lease: renew it, take it when free or expired, or note who holds it. */
void vlt__service_lease_tick(vlt_service_t *s);
/* Does this instance hold the lease now? Always true when lease_s is 0. */
bool vlt__service_lease_held(vlt_service_t *s);
/* The lease's term: ours while held, else the last one seen (0: none seen). */
int64_t vlt__service_lease_term(vlt_service_t *s);
/*
 * Give the lease up for good (a clean stop: another instance takes it on
 * its next look, not after lease_s) and never take it again. Idempotent.
 */
void vlt__service_lease_release(vlt_service_t *s);

/*
 * ---- operations. OUT documents are new references owned by the caller.
 * `tenant` is the caller's project (X-Project-Id), or NULL.
 */

/* POST /v1/plans: *plan = {"plan": ...} ({"plan": {}} when no server). */
int vlt__service_plan_create(vlt_service_t *s, const json_t *body, const char *tenant,
			     json_t **plan, vlt_err_t *err);
/* GET /v1/plans: {"plans": [...]}, in the order they were created. */
int vlt__service_plans(vlt_service_t *s, json_t **plans, vlt_err_t *err);
/* GET /v1/plans/{id}: by plan id or stack id; {"plan": ...}. */
int vlt__service_plan_get(vlt_service_t *s, const char *id, json_t **plan, vlt_err_t *err);
/* PUT /v1/plans/{id}: action update or migrate; {"plan": ...}. */
int vlt__service_plan_update(vlt_service_t *s, const char *id, const json_t *body,
			     const char *tenant, json_t **plan, vlt_err_t *err);
/* DELETE /v1/plans/{id}: releases what it holds. */
int vlt__service_plan_delete(vlt_service_t *s, const char *id, vlt_err_t *err);

/*
 * ---- reservations (op_reservations.c, docs/reservations.md): plans with
 * an interval. Ids are plan ids (a stack id finds one too).
 *
 * POST /v1/reservations: body is a plan request with "start" (an RFC 3339
 * UTC time, or "now": the service's time, resolved before it is
 * journaled) and "end" (after start and after now); idempotent by
 * stack_id. *doc = {"reservation": {id, stack_id, name, project, start,
 * end, status, released, placements}}. RET 0, VLT_EINVAL naming the
 * field, VLT_ENOPLACE (the engine's explanation), VLT_ECONFLICT (the
 * stack has an ordinary plan), the store's errors.
 */
int vlt__service_reservation_create(vlt_service_t *s, const json_t *body, const char *tenant,
				    json_t **doc, vlt_err_t *err);
/*
 * GET /v1/reservations: query (borrowed, may be NULL) holds strings among
 * project, status (pending, active, ended), from and to (RFC 3339 UTC:
 * those overlapping [from, to)); *doc = {"reservations": [...]} in
 * creation order. RET 0 or VLT_EINVAL naming a bad filter.
 */
int vlt__service_reservations(vlt_service_t *s, const json_t *query, json_t **doc,
			      vlt_err_t *err);
/* GET /v1/reservations/{id}: {"reservation": ...}; VLT_ENOENT "Reservation not found". */
int vlt__service_reservation_get(vlt_service_t *s, const char *id, json_t **doc, vlt_err_t *err);
/*
 * PUT /v1/reservations/{id}: body holds what changes: "start" (or "now"),
 * "end" (after now), "resources" (the stack), "plan_name"; the rest is the
 * reservation's. Placed again in its stead, what did not change kept
 * where it is (when that cannot be, only the servers Nova reserved);
 * *doc = {"reservation": ...}. RET 0, VLT_ENOENT, VLT_EINVAL naming the
 * field, VLT_ENOPLACE (refused, unchanged), VLT_ECONFLICT (it ended).
 */
int vlt__service_reservation_update(vlt_service_t *s, const char *id, const json_t *body,
				    const char *tenant, json_t **doc, vlt_err_t *err);
/* DELETE /v1/reservations/{id}: its holds released, its record gone; VLT_ENOENT. */
int vlt__service_reservation_delete(vlt_service_t *s, const char *id, vlt_err_t *err);
/*
 * vlt__service_reservations_sweep - end the reservations whose end is at
 * or before now_ms: one "reservation_end" entry each, which releases its
 * holds and keeps its record (ended, with the servers still running).
 * OUT n_ended - how many were ended (may be NULL). RET 0 or the store's error.
 */
int vlt__service_reservations_sweep(vlt_service_t *s, int64_t now_ms, size_t *n_ended,
				    vlt_err_t *err);
/*
 * Start the thread that sweeps reservations every period_ms (0:
 * VLT_RESV_SWEEP_MS), on the service's clock, only while this instance
 * holds the periodic work's lease. RET 0 or VLT_ENOMEM.
 */
#define VLT_RESV_SWEEP_MS 1000
int vlt__service_reservations_start(vlt_service_t *s, unsigned period_ms, vlt_err_t *err);

/*
 * vlt__service_request_member - a copy of the top-level member key of the
 * request stored with the plan (or reservation) id or stack id names
 * (op_requests.c): a member the plan parser ignores but the journal
 * keeps, such as a Blazar lease's record (core/api/blazar.h). RET 0 with
 * *value (new reference; JSON null when the request has no such member),
 * VLT_ENOENT "Plan not found", the catch-up's errors.
 */
int vlt__service_request_member(vlt_service_t *s, const char *id, const char *key,
				json_t **value, vlt_err_t *err);
/* The service's time of day (its clock: the real one, or a test's), ms since the epoch. */
int64_t vlt__service_now_ms(vlt_service_t *s);
/*
 * vlt__service_hosts_over - the hosts wholly free over [start_ms, end_ms)
 * (op_hosts.c): enabled, running nothing outside Valet, and no hold of
 * Valet's on them at any time of it, in the data center's order, as
 * {"name", "vcpus", "ram_mb", "disk_gb" (free over the window), "total":
 * {the same, the hardware's}, "zone", "rack"}. RET 0 with *hosts (new
 * reference), VLT_EINVAL (an empty window), VLT_ENOMEM, the catch-up's errors.
 */
int vlt__service_hosts_over(vlt_service_t *s, int64_t start_ms, int64_t end_ms, json_t **hosts,
			    vlt_err_t *err);
/* A random (version 4) uuid into buf (37 bytes at least), as the service makes its ids. */
void vlt__service_uuid(char *buf);

/*
 * GET /v1/placements: {"placements": [...]} of those matching every
 * member of filter (NULL: all). A key among id, orchestration_id, plan_id,
 * resource_id, location, name, reserved compares with the placement's own
 * field, any other with its metadata; a value matches when it equals the
 * field (json_equal) or, for a string field, when it is that string.
 */
int vlt__service_placements(vlt_service_t *s, const json_t *filter, json_t **list, vlt_err_t *err);
/* GET /v1/placements/{id}: by placement id or orchestration id. */
int vlt__service_placement_get(vlt_service_t *s, const char *id, json_t **placement,
			       vlt_err_t *err);
/*
 * POST /v1/reservations/{id}/servers: a server Nova boots with the
 * reservation's scheduler hint (Blazar's `reservation`) takes one of its
 * placements (id: a Valet reservation's plan or stack id, or a Blazar
 * reservation's id within a lease, docs/blazar.md): the one it reserved already (the same resource_id: a
 * retry), else one not reserved whose flavor matches body's "flavor"
 * ({"name", "vcpus", "ram_mb", "disk_gb"}: a named flavor by name, an
 * inline one by size), on one of body's "locations" if one is there (else
 * replanned among them). Reserved as POST /v1/placements/{id} reserves;
 * *placement = {"placement": ...}. RET 0, VLT_ENOENT, VLT_EINVAL,
 * VLT_ECONFLICT (pending, ended, or none of that flavor left), or as a
 * reserve fails.
 */
int vlt__service_reservation_claim(vlt_service_t *s, const char *id, const json_t *body,
				   json_t **placement, vlt_err_t *err);
/* POST /v1/placements/{id}: reserve or replan; {"placement": ...}. */
int vlt__service_placement_reserve(vlt_service_t *s, const char *id, const json_t *body,
				   json_t **placement, vlt_err_t *err);
/* DELETE /v1/placements/{id}: the server leaves its plan; its hold goes. */
int vlt__service_placement_delete(vlt_service_t *s, const char *id, vlt_err_t *err);

/* GET /v1/groups: {"groups": [...]}. */
int vlt__service_groups(vlt_service_t *s, json_t **groups, vlt_err_t *err);
/* GET /v1/groups/{id}: by id or name; the bare group. */
int vlt__service_group_get(vlt_service_t *s, const char *id, json_t **group, vlt_err_t *err);
/* POST /v1/groups: the bare new group. */
int vlt__service_group_create(vlt_service_t *s, const json_t *body, json_t **group, vlt_err_t *err);
/* The same, recording owner (the creating project; NULL: none) as the group's "owner". */
int vlt__service_group_create_owned(vlt_service_t *s, const json_t *body, const char *owner,
				    json_t **group, vlt_err_t *err);
/* PUT /v1/groups/{id}: description only; the bare group. */
int vlt__service_group_update(vlt_service_t *s, const char *id, const json_t *body, json_t **group,
			      vlt_err_t *err);
/* DELETE /v1/groups/{id}: VLT_ECONFLICT while it has members or plans use it. */
int vlt__service_group_delete(vlt_service_t *s, const char *id, vlt_err_t *err);
/* PUT /v1/groups/{id}/members: adds; the bare group. */
int vlt__service_members_add(vlt_service_t *s, const char *id, const json_t *body, json_t **group,
			     vlt_err_t *err);
/* DELETE /v1/groups/{id}/members[/{member}]: member NULL removes all. */
int vlt__service_members_remove(vlt_service_t *s, const char *id, const char *member,
				vlt_err_t *err);
/* GET /v1/groups/{id}/members/{member}: 0 or VLT_ENOENT. */
int vlt__service_member_check(vlt_service_t *s, const char *id, const char *member, vlt_err_t *err);

/*
 * POST /scheduler/nova/external (op_external.c): the external-scheduler
 * call of SAP's Nova fork. *answer (new, the caller's) = {"hosts": [name]}: the host the
 * instance is reserved on, one of the offered ones, or [] when none of
 * them can take it (Nova then finds no valid host).
 * RET 0, VLT_EINVAL naming the field of a bad body, VLT_ENOENT for a
 * Valet group the hints name that does not exist, the store's or the
 * engine's errors.
 */
int vlt__service_nova_external(vlt_service_t *s, const json_t *body, json_t **answer,
			       vlt_err_t *err);
/*
 * POST /scheduler/cinder/external: the same call of SAP's Cinder fork, for
 * a volume among the offered pools (host@backend#pool); *answer as above,
 * {"hosts": [pool]} or []. RET as above.
 */
int vlt__service_cinder_external(vlt_service_t *s, const json_t *body, json_t **answer,
				 vlt_err_t *err);
/*
 * POST /scheduler/manila/external: Valet does not place shares; *answer
 * (new, the caller's) = {"hosts": [the offered hosts, in order]}. Reads no
 * state. RET 0 or VLT_EINVAL naming the field of a bad body.
 */
int vlt__service_manila_external(const json_t *body, json_t **answer, vlt_err_t *err);

/*
 * ---- the decision record (decision.c, docs/decisions.md)
 * GET /v1/decisions: filter (borrowed, may be NULL) holds strings among
 * plan, stack, server (orchestration or resource id), host, since, until
 * (ms since the epoch or ISO 8601 UTC, inclusive), limit (1 to
 * VLT_DECISIONS_LIMIT_MAX, default 100); *list = {"decisions": [...]},
 * newest first. RET 0, VLT_EINVAL naming a bad filter, the store's error.
 */
int vlt__service_decisions(vlt_service_t *s, const json_t *filter, json_t **list, vlt_err_t *err);
/* GET /v1/decisions/{id}: {"decision": ...}; VLT_ENOENT. */
int vlt__service_decision_get(vlt_service_t *s, const char *id, json_t **decision,
			      vlt_err_t *err);
/* Remove the decisions recorded before now_ms - decision_retention_s (none when it is 0). */
int vlt__service_decisions_expire(vlt_service_t *s, int64_t now_ms, size_t *n_expired,
				  vlt_err_t *err);
/*
 * Start the decision record's threads: one writing decisions off the
 * request path (queries first wait for what it holds, so a client reads
 * its own decisions), one expiring them every period_ms (0: a tenth of
 * the retention, 1 s to 1 h; none when the retention is 0). Without them
 * decisions are written by the request that made them. RET 0 or VLT_ENOMEM.
 */
int vlt__service_decisions_start(vlt_service_t *s, unsigned period_ms, vlt_err_t *err);
/*
 * ---- owners (op_owners.c), for the API's per-project rights. *project
 * is a new JSON string: the project the plan was made for ("" when none
 * was known). The plan by plan or stack id (VLT_ENOENT "Plan not found");
 * a placement's (a server's or a volume's) is its plan's (by placement or orchestration id;
 * VLT_ENOENT "Placement not found"). *owners = {plan id: project} of every plan.
 */
int vlt__service_plan_owner(vlt_service_t *s, const char *id, json_t **project, vlt_err_t *err);
int vlt__service_placement_owner(vlt_service_t *s, const char *id, json_t **project,
				 vlt_err_t *err);
int vlt__service_plan_owners(vlt_service_t *s, json_t **owners, vlt_err_t *err);

/* GET /v1/status: the engine's and the store's state. */
int vlt__service_status(vlt_service_t *s, json_t **status, vlt_err_t *err);
/*
 * GET /metrics (metrics.c): the service's metric families written into p:
 * plans, placements, capacity per rack and cluster, placements and time
 * per solver, refusals per reason, the store's calls, the journal, the
 * sources. Takes the service's lock for the state; calls no store.
 */
void vlt__service_write_metrics(vlt_service_t *s, vlt_prom_t *p);

/* What GET /healthcheck answers (health.c). */
#define VLT_SERVICE_HEALTH_MAX 3
typedef struct vlt_service_health {
	bool healthy;
	size_t n_reasons; /* 0 when healthy */
	char reasons[VLT_SERVICE_HEALTH_MAX][700];
} vlt_service_health_t;
/*
 * vlt__service_health - is this valetd fit to serve: its store answers
 * (pinged at most once a second, off the service's lock; while one check
 * pings, the others take its last answer), its data center is not older
 * than max_stale_s while the sources fail, it is not shutting down.
 */
void vlt__service_health(vlt_service_t *s, vlt_service_health_t *h);
/* {"healthy": bool, "reasons": [...]} (new reference) or NULL. */
json_t *vlt__service_health_json(const vlt_service_health_t *h);
/* From now on the health check says valetd is shutting down. */
void vlt__service_stopping(vlt_service_t *s);

/*
 * GET /v1/topology (op_topology.c): {"topology": ...}, the data center in
 * use as clusters, racks and hosts, each host's capacity per resource
 * (allocatable, used outside Valet, held by plans, free), its servers, and
 * the domains exclusivity groups hold (docs/api.md, "Topology").
 */
int vlt__service_topology(vlt_service_t *s, json_t **topology, vlt_err_t *err);
/* GET /v1/resources: servers whose hold could not be restored. */
int vlt__service_resources(vlt_service_t *s, json_t **resources, vlt_err_t *err);

/*
 * vlt__service_check_body - what every request body must be before any
 * handler looks at it: no object nested deeper than VLT_SERVICE_MAX_DEPTH,
 * no key starting with '$' (a MongoDB operator). RET 0 or VLT_EINVAL
 * naming the JSON path.
 */
#define VLT_SERVICE_MAX_DEPTH 64
int vlt__service_check_body(const json_t *body, vlt_err_t *err);

/* ---- Nova's notifications (op_nova.c; docs/notifications.md) */

/* What one of Nova's versioned notifications says of a server. */
typedef enum vlt_nova_fact {
	VLT_NOVA_OTHER = 0, /* nothing Valet acts on (another event type, no host) */
	VLT_NOVA_GONE,	    /* the instance left its host: deleted or shelved offload */
	VLT_NOVA_AT_HOST    /* the instance runs on host (created, moved, rebuilt) */
} vlt_nova_fact_t;

typedef struct vlt_nova_event {
	char event_type[96];
	char uuid[64];	   /* the instance: a placement's resource_id */
	char host[256];	   /* VLT_NOVA_AT_HOST: where it runs */
	char flavor[128];  /* its flavor's name, "" when the payload has none */
	int64_t t_us;	   /* the notification's timestamp, microseconds since the epoch (UTC) */
	vlt_nova_fact_t fact;
} vlt_nova_event_t;

/*
 * vlt__nova_event_parse - one AMQP message body as oslo.messaging sends
 * it: the envelope {"oslo.version": "2.0", "oslo.message": "<JSON text>"}
 * (or the message itself, unwrapped), the message's event_type and
 * timestamp, and the versioned payload's nova_object.data (uuid, host).
 * RET 0 with *ev, or VLT_EINVAL naming the field that is wrong.
 */
int vlt__nova_event_parse(const char *body, size_t len, vlt_nova_event_t *ev, vlt_err_t *err);

/* What an event did to the state. */
typedef enum vlt_nova_outcome {
	VLT_NOVA_UNCHANGED = 0, /* nothing to do: another event, a duplicate, an older fact, a
				   server Valet does not hold */
	VLT_NOVA_RELEASED,	/* the server's placement was released */
	VLT_NOVA_MOVED,		/* its placement now follows it to the event's host */
	VLT_NOVA_NOTED,		/* where it already was: the event's time kept for ordering */
	VLT_NOVA_TAKEN		/* a server Valet never planned: its capacity taken on its host */
} vlt_nova_outcome_t;

/*
 * vlt__service_nova_event - apply what ev says to the placement whose
 * resource_id is ev->uuid, by identity: a gone server's placement is
 * released (a "plan_replace" entry, why "nova_delete"); a server on a
 * host gets a "server_at" entry (its host and the event's time) unless an
 * event as new or newer was applied to it already, so duplicates and
 * reordered events change nothing. A move is a fact: it is held even when
 * it breaks a group. Journaled before it returns.
 * RET 0 with *outcome (may be NULL), or the write's error (store, race).
 */
int vlt__service_nova_event(vlt_service_t *s, const vlt_nova_event_t *ev,
			    vlt_nova_outcome_t *outcome, vlt_err_t *err);

/*
 * vlt__service_listener_start - consume Nova's notifications as o says
 * (listener.h; o->may_consume pauses it) until the service is freed.
 * RET 0, or vlt__listener_start's error.
 */
struct vlt_listener_opts;
int vlt__service_listener_start(vlt_service_t *s, const struct vlt_listener_opts *o,
				vlt_err_t *err);

/*
 * The corrections refreshes made that the notifications should have:
 * reserved servers found gone, or on another host than the state says.
 */
uint64_t vlt__service_corrections(vlt_service_t *s);

#endif /* VALET_CORE_SERVICE_H */
