/*
 * store_stats.c - the store's latency and errors (see store_stats.h).
 */
#include <valet/errors.h>

#include "clock.h"
#include "store_stats.h"

static const char *const op_names[VLT_STORE_OP_COUNT] = { "get", "put", "list", "ping",
								  "remove" };

void vlt__store_stats_init(vlt_store_stats_t *st)
{
	for (int i = 0; i < VLT_STORE_OP_COUNT; i++) {
		vlt__prom_hist_init(&st->seconds[i], vlt_prom_latency_bounds,
				    vlt_prom_n_latency_bounds);
		atomic_init(&st->errors[i], 0);
	}
}

void vlt__store_stats_note(vlt_store_stats_t *st, vlt_store_op_t op, double start_ms, int rc)
{
	vlt__prom_hist_observe(&st->seconds[op], (vlt__clock_mono_ms() - start_ms) / 1e3);
	if (rc < 0 && rc != VLT_ENOENT && rc != VLT_ECONFLICT)
		vlt__prom_add(&st->errors[op], 1);
}

void vlt__store_stats_write(const vlt_store_stats_t *st, vlt_prom_t *p)
{
	vlt_prom_label_t l;

	vlt__prom_family(p, "valet_store_operation_duration_seconds", "histogram",
			 "Time the store took to answer the service, by operation.");
	for (int i = 0; i < VLT_STORE_OP_COUNT; i++) {
		l = (vlt_prom_label_t){ "operation", op_names[i] };
		vlt__prom_histogram(p, "valet_store_operation_duration_seconds", &l, 1,
				    &st->seconds[i]);
	}
	vlt__prom_family(p, "valet_store_errors_total", "counter",
			 "Store operations that failed (not found and conflicts are answers), "
			 "by operation.");
	for (int i = 0; i < VLT_STORE_OP_COUNT; i++) {
		l = (vlt_prom_label_t){ "operation", op_names[i] };
		vlt__prom_sample_u64(p, "valet_store_errors_total", &l, 1,
				     vlt__prom_get(&st->errors[i]));
	}
}
