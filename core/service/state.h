/*
 * state.h - valet-api's state as the journal builds it: plans in creation
 * order, each with its units (servers and volumes, where they are held),
 * indexes by plan id, stack id, placement id and orchestration id, and the
 * named groups. Pure data: holding capacity in the engine is the
 * operations' business.
 */
#ifndef VALET_CORE_STATE_H
#define VALET_CORE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "strmap.h"

/*
 * Where a unit's location stands in the data center in use; found again
 * whenever the plan is held (never journalled).
 */
typedef enum vlt_svc_health {
	VLT_SVC_HEALTH_OK = 0,	/* there, or nothing to hold */
	VLT_SVC_HEALTH_GONE,	/* the inventory no longer has its host or pool: not held */
	VLT_SVC_HEALTH_DISABLED /* its host is disabled: held, but Nova will not build there */
} vlt_svc_health_t;

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
	int64_t nova_us; /* the newest Nova notification applied to it (its timestamp); 0: none */
	vlt_svc_health_t health;
	uint64_t reserved_seq; /* the journal entry that reserved it (not journalled) */
} vlt_svc_unit_t;

/* A plan; every string and the request are owned by it. */
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
	/*
	 * A reservation (op_reservations.c, docs/reservations.md): a plan
	 * whose request has "start" or "end". Its interval in ms since the
	 * epoch, read from the request whenever one is applied (INT64_MIN,
	 * INT64_MAX where absent), and when a "reservation_end" entry
	 * released it (0: not ended; its units are kept, expired).
	 */
	bool timed;
	int64_t start_ms, end_ms;
	int64_t ended_ms;
	struct vlt_svc_plan *prev, *next; /* creation order */
} vlt_svc_plan_t;

/* The whole state; owns its plans and groups. A zeroed one is not ready: vlt__state_init. */
typedef struct vlt_svc_state {
	vlt_svc_plan_t *first, *last;
	size_t n_plans;
	vlt_strmap_t by_id;    /* plan id -> plan */
	vlt_strmap_t by_stack; /* stack id -> plan */
	vlt_strmap_t by_pid;   /* placement id -> plan */
	vlt_strmap_t by_orch;  /* orchestration id -> plan */
	json_t *groups;	       /* array of group objects, creation order */
	json_t *retired;       /* groups deleted while plans named them, by name */
} vlt_svc_state_t;

/* RET 0 or VLT_ENOMEM. */
int vlt__state_init(vlt_svc_state_t *st);
void vlt__state_free(vlt_svc_state_t *st);

/* Take ownership of p, last in creation order. RET 0, VLT_EEXIST (its id), VLT_ENOMEM (p freed in both cases). */
int vlt__state_add_plan(vlt_svc_state_t *st, vlt_svc_plan_t *p);
/* Unlink p and free it. */
void vlt__state_remove_plan(vlt_svc_state_t *st, vlt_svc_plan_t *p);
/* Give p new units (owned by p from now on), keeping the indexes right. */
void vlt__state_set_units(vlt_svc_state_t *st, vlt_svc_plan_t *p, vlt_svc_unit_t *units, size_t n);
void vlt__state_plan_free(vlt_svc_plan_t *p);

/* A plan by plan id, then by stack id; NULL. */
vlt_svc_plan_t *vlt__state_plan(const vlt_svc_state_t *st, const char *id);
/* A plan by plan id only. */
vlt_svc_plan_t *vlt__state_plan_by_id(const vlt_svc_state_t *st, const char *id);
/* The plan an orchestration id belongs to, or NULL. */
vlt_svc_plan_t *vlt__state_plan_of_orch(const vlt_svc_state_t *st, const char *orch);
/* A unit (server or volume) by placement id or orchestration id, and its plan (may be NULL); NULL. */
vlt_svc_unit_t *vlt__state_unit(const vlt_svc_state_t *st, const char *id, vlt_svc_plan_t **plan);
/* The same, servers only. */
vlt_svc_unit_t *vlt__state_server(const vlt_svc_state_t *st, const char *id,
				  vlt_svc_plan_t **plan);
/* A unit of p by orchestration id, or NULL. */
vlt_svc_unit_t *vlt__state_unit_of(const vlt_svc_plan_t *p, const char *orch);
/* A group by id, then by name (borrowed); *index its position (may be NULL). */
json_t *vlt__state_group(const vlt_svc_state_t *st, const char *ref, size_t *index);

/* ---- units: their journal form and back; copies */
json_t *vlt__units_json(const vlt_svc_unit_t *units, size_t n);
/* Fill *units (owned by the caller). RET 0, VLT_EINVAL (a unit lacks orch, name or type), VLT_ENOMEM. */
int vlt__units_from_json(const json_t *arr, vlt_svc_unit_t **units, size_t *n);
void vlt__units_free(vlt_svc_unit_t *units, size_t n);
/* dst gets copies of src's strings. RET 0 or VLT_ENOMEM (dst cleared). */
int vlt__unit_copy(vlt_svc_unit_t *dst, const vlt_svc_unit_t *src);
/* {orch: true} of the expired units of p (new reference). */
json_t *vlt__plan_expired_set(const vlt_svc_plan_t *p);

/* ---- documents (upstream valet-api v1; new references, NULL on out of memory) */
json_t *vlt__plan_json(const vlt_svc_plan_t *p);
json_t *vlt__placement_json(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u);

#endif /* VALET_CORE_STATE_H */
