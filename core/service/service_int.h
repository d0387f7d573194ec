/*
 * service_int.h - what service.c, service_plans.c and service_groups.c
 * share: the in-memory state the journal builds, and the write loop.
 * Nothing here is for other files; they use service.h.
 */
#ifndef VALET_CORE_SERVICE_INT_H
#define VALET_CORE_SERVICE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "service.h"

#define SVC_SERVER "OS::Nova::Server"
#define SVC_WHERE "plan request"

/* A string -> pointer hash map with chaining; keys are copied. */
typedef struct vlt_svc_map_entry {
	char *key;
	void *val;
	struct vlt_svc_map_entry *next;
} vlt_svc_map_entry_t;

typedef struct vlt_svc_map {
	vlt_svc_map_entry_t **b;
	size_t n_b;
	size_t n;
} vlt_svc_map_t;

void *vlt__svc_map_get(const vlt_svc_map_t *m, const char *key);
int vlt__svc_map_put(vlt_svc_map_t *m, const char *key, void *val);
void vlt__svc_map_del(vlt_svc_map_t *m, const char *key);
void vlt__svc_map_clear(vlt_svc_map_t *m);

/* One placed unit of a plan: a server (a placement) or a volume. */
typedef struct vlt_svc_unit {
	char *orch;	   /* orchestration id */
	char *name;	   /* the resource's name */
	char *type;	   /* its type */
	char *loc;	   /* host or pool; NULL once its hold expired */
	char *pid;	   /* placement id; servers only */
	char *resource_id; /* the Nova uuid, NULL until known */
	bool server;
	bool reserved;
	bool expired;
	int64_t t_ms; /* when its hold started (journal time): the expiry clock */
} vlt_svc_unit_t;

typedef struct vlt_svc_plan {
	char *id;
	char *stack_id;
	char *name;
	char *tenant;	 /* NULL when unknown */
	json_t *request; /* as last accepted, expired units included */
	vlt_svc_unit_t *units;
	size_t n_units;
	char *hold_error;		  /* why its hold could not be restored; NULL when held */
	bool held;			  /* the engine holds capacity under its id */
	struct vlt_svc_plan *prev, *next; /* creation order */
} vlt_svc_plan_t;

struct vlt_service {
	pthread_mutex_t lock;
	vlt_engine_t *engine;
	vlt_module_t *store;
	vlt_service_opts_t opts;
	char coll[64];
	uint64_t applied;

	vlt_svc_plan_t *first, *last;
	size_t n_plans;
	vlt_svc_map_t by_id;	/* plan id -> plan */
	vlt_svc_map_t by_stack; /* stack id -> plan */
	vlt_svc_map_t by_pid;	/* placement id -> plan */
	vlt_svc_map_t by_orch;	/* orchestration id -> plan */
	json_t *groups;		/* array of group objects, creation order */
	uint64_t n_unapplied;

	/* the sweeper */
	pthread_t sweeper;
	bool sweeping;
	bool stop;
	unsigned sweep_ms;
	pthread_cond_t wake;
};

/* ---- service.c */

/* Milliseconds since the epoch. */
int64_t vlt__svc_now_ms(void);
/* A random (version 4) uuid into buf (37 bytes at least). */
void vlt__svc_uuid(char *buf);

/* Catch up with the journal. Called with the lock held. */
int vlt__svc_catch_up(vlt_service_t *s, vlt_err_t *err);

/*
 * One write: decide() looks at the caught-up state and either answers
 * from it (returns 1: nothing to write), fails (a negative code), or
 * returns 0 with *entry, a new journal entry; *engine_done says whether
 * it already changed the engine to match the entry (a placement solved
 * and held). The entry is appended at applied+1; on success it is
 * applied to the state. When another writer took that number, undo()
 * (may be NULL) takes back what decide did to the engine, the service
 * catches up, and decide runs again. Called without the lock.
 * RET 0 (written or answered) or a negative code with err.
 */
typedef int (*vlt_svc_decide_fn)(vlt_service_t *s, void *ctx, json_t **entry, bool *engine_done,
				 vlt_err_t *err);
typedef void (*vlt_svc_undo_fn)(vlt_service_t *s, void *ctx);
/* Build the answer from the state, still locked, after writing or answering. */
typedef int (*vlt_svc_done_fn)(vlt_service_t *s, void *ctx, vlt_err_t *err);
int vlt__svc_write(vlt_service_t *s, vlt_svc_decide_fn decide, vlt_svc_undo_fn undo,
		   vlt_svc_done_fn done, void *ctx, vlt_err_t *err);
/* Lock, catch up; on failure unlocked with err set. */
int vlt__svc_read_begin(vlt_service_t *s, vlt_err_t *err);
void vlt__svc_read_end(vlt_service_t *s);

/* Find a plan by plan id or stack id; a placement's plan and unit. */
vlt_svc_plan_t *vlt__svc_plan_find(vlt_service_t *s, const char *id);
vlt_svc_unit_t *vlt__svc_unit_find(vlt_service_t *s, const char *id, vlt_svc_plan_t **plan);
vlt_svc_unit_t *vlt__svc_unit_of(const vlt_svc_plan_t *p, const char *orch);

/*
 * Hold in the engine what p's record says (its units that did not
 * expire), releasing what it held first when release is set.
 */
int vlt__svc_plan_hold(vlt_service_t *s, vlt_svc_plan_t *p, bool release, const char *where,
		       vlt_err_t *err);

/*
 * A copy of req without the resources whose orchestration ids are the
 * keys of drop, nor what only they made: group assignments left without
 * members, pipes left with fewer than two endpoints, attachments to them.
 * RET a new reference or NULL (out of memory).
 */
json_t *vlt__svc_prune(const json_t *req, const json_t *drop);
/* {orch: true} of the expired units of p (new reference). */
json_t *vlt__svc_expired_set(const vlt_svc_plan_t *p);

/* ---- documents */
json_t *vlt__svc_plan_json(const vlt_svc_plan_t *p);
json_t *vlt__svc_placement_json(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u);
/* The units' journal form and back; units_from_json fills *units (owned). */
json_t *vlt__svc_units_json(const vlt_svc_unit_t *units, size_t n);
int vlt__svc_units_from_json(const json_t *arr, vlt_svc_unit_t **units, size_t *n);
void vlt__svc_units_free(vlt_svc_unit_t *units, size_t n);
int vlt__svc_unit_copy(vlt_svc_unit_t *dst, const vlt_svc_unit_t *src);

/* Named groups the engine should know, as {"groups": [...]}; new reference. */
json_t *vlt__svc_groups_doc(vlt_service_t *s);
/* A group by id, then by name (borrowed); *index its position (may be NULL). */
json_t *vlt__svc_group_find(vlt_service_t *s, const char *ref, size_t *index);
/*
 * The servers of plan p that belong to group g (named by its id or name),
 * directly or through assignments: a new array of their resource ids (or
 * orchestration ids until reserved); only held ones when held_only.
 */
json_t *vlt__svc_group_servers(const vlt_svc_plan_t *p, const json_t *g, bool held_only);
/* The orchestration id a reference (id, name, {"get_resource": x}) names; borrowed. */
const char *vlt__svc_resolve_ref(const json_t *resources, const json_t *ref);

/*
 * The hosts of list (an array of names) that the inventory has, as a new
 * array; unknown ones are left out (Nova may know hosts Valet does not).
 */
json_t *vlt__svc_known_hosts(vlt_service_t *s, const json_t *list);

/* Validation helpers: RET 0 or VLT_EINVAL naming where and path. */
int vlt__svc_want_string(const json_t *obj, const char *key, bool required, const char *where,
			 const char **out, vlt_err_t *err);
int vlt__svc_want_strings(const json_t *obj, const char *key, bool required, const char *where,
			  const json_t **out, vlt_err_t *err);
bool vlt__svc_has_server(const json_t *resources);

#endif /* VALET_CORE_SERVICE_INT_H */
