/*
 * svc_metrics.h - what the service counts for GET /metrics (metrics.c)
 * and what its health check keeps between two checks (health.c). Nothing
 * here is for files outside core/service/.
 */
#ifndef VALET_CORE_SVC_METRICS_H
#define VALET_CORE_SVC_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "prom.h"

/* Solvers and refusal reasons kept apart; beyond, they are counted under "other". */
#define VLT_SVC_MAX_SOLVERS 8
#define VLT_SVC_MAX_REASONS 48
#define VLT_SVC_REASON_MAX 64

typedef enum vlt_svc_outcome {
	VLT_SVC_PLACED,	 /* a placement found */
	VLT_SVC_REFUSED, /* no placement: the stack does not fit */
	VLT_SVC_FAILED,	 /* the request or the engine failed */
	VLT_SVC_OUTCOME_COUNT,
} vlt_svc_outcome_t;

typedef struct vlt_svc_solver_stats {
	char name[64];
	uint64_t outcomes[VLT_SVC_OUTCOME_COUNT];
	vlt_prom_hist_t seconds;
} vlt_svc_solver_stats_t;

typedef struct vlt_svc_reason_stats {
	char reason[VLT_SVC_REASON_MAX];
	uint64_t refusals; /* refused placements that gave this reason */
	uint64_t hosts;	   /* hosts or pools ruled out for it, summed over them */
} vlt_svc_reason_stats_t;

typedef struct vlt_svc_metrics {
	/* atomic: counted wherever the operation ends */
	vlt_prom_counter_t plans_created, plans_deleted, reservations;
	/* under the service's lock: every placement runs under it */
	vlt_svc_solver_stats_t solvers[VLT_SVC_MAX_SOLVERS + 1]; /* the last: "other" */
	size_t n_solvers;
	vlt_svc_reason_stats_t reasons[VLT_SVC_MAX_REASONS + 1]; /* the last: "other" */
	size_t n_reasons;
} vlt_svc_metrics_t;

/*
 * The health check's memory. ping_lock is held while the store is pinged,
 * so only one health check waits on a slow store: the others answer with
 * the last result. facts_lock guards the rest, for moments only.
 */
typedef struct vlt_svc_checks {
	pthread_mutex_t ping_lock;
	pthread_mutex_t facts_lock;
	double pinged_ms; /* monotonic time of the last ping; < 0 before it */
	int ping_rc;
	char ping_error[512];
	/* the data center's freshness, published by each reading of the sources */
	int64_t sources_ok_ms;
	char sources_error[512];
	bool stopping;
} vlt_svc_checks_t;

struct vlt_service;
struct vlt_place_result;

void vlt__svc_metrics_init(vlt_svc_metrics_t *m);
/*
 * Count one placement with solver (NULL: the configured one) that took
 * ms and returned rc; a refusal's explanation (res->message, may be NULL)
 * gives its reasons. Called under the service's lock.
 */
void vlt__svc_metrics_placement(struct vlt_service *s, const char *solver, double ms, int rc,
				const char *explanation);

void vlt__svc_health_init(vlt_svc_checks_t *h);
void vlt__svc_health_fini(vlt_svc_checks_t *h);
/* Publish how the data center stands (after each reading, under the service's lock). */
void vlt__svc_health_note_sources(struct vlt_service *s);

#endif /* VALET_CORE_SVC_METRICS_H */
