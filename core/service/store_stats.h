/*
 * store_stats.h - how long the service's calls to its store take and how
 * often they fail, per operation, for GET /metrics. Counting is atomic
 * (prom.h), so the calls made off the service's lock count as well.
 */
#ifndef VALET_CORE_STORE_STATS_H
#define VALET_CORE_STORE_STATS_H

#include "prom.h"

typedef enum vlt_store_op {
	VLT_STORE_OP_GET,
	VLT_STORE_OP_PUT,
	VLT_STORE_OP_LIST,
	VLT_STORE_OP_PING,
	VLT_STORE_OP_REMOVE,
	VLT_STORE_OP_COUNT,
} vlt_store_op_t;

typedef struct vlt_store_stats {
	vlt_prom_hist_t seconds[VLT_STORE_OP_COUNT];
	vlt_prom_counter_t errors[VLT_STORE_OP_COUNT];
} vlt_store_stats_t;

void vlt__store_stats_init(vlt_store_stats_t *st);
/*
 * Count one call that started at start_ms (vlt__clock_mono_ms) and
 * returned rc. VLT_ENOENT and VLT_ECONFLICT are answers, not errors.
 */
void vlt__store_stats_note(vlt_store_stats_t *st, vlt_store_op_t op, double start_ms, int rc);
/* valet_store_operation_duration_seconds and valet_store_errors_total. */
void vlt__store_stats_write(const vlt_store_stats_t *st, vlt_prom_t *p);

#endif /* VALET_CORE_STORE_STATS_H */
