/*
 * prom.h - the Prometheus text exposition format (version 0.0.4), written
 * in this one place, and the counters and histograms it shows.
 *
 * Counting is lock-free: a counter is one atomic, a histogram an atomic
 * per bucket and one for the sum, all updated with relaxed order, so any
 * thread may count at any time without a lock. A scrape reads them with
 * no lock either; it may see a bucket counted before the sum moves, which
 * Prometheus tolerates (the next scrape is consistent again).
 *
 * Writing: vlt__prom_family once per metric family (# HELP and # TYPE),
 * then its samples. Label values are escaped as the format defines
 * (backslash, double quote and newline); HELP text escapes backslash and
 * newline. Names are the caller's, from static text: they are not checked.
 * Any allocation failure makes the whole text NULL (vlt__prom_take).
 */
#ifndef VALET_CORE_PROM_H
#define VALET_CORE_PROM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The content type of the text the writer produces. */
#define VLT_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Most finite bucket bounds a histogram may have. */
#define VLT_PROM_MAX_BUCKETS 16

typedef _Atomic uint64_t vlt_prom_counter_t;

static inline void vlt__prom_add(vlt_prom_counter_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t vlt__prom_get(const vlt_prom_counter_t *c)
{
	return atomic_load_explicit((vlt_prom_counter_t *)c, memory_order_relaxed);
}

/*
 * A histogram of values in seconds (or any unit: the sum keeps 1e-9 of
 * it). bounds: ascending upper bounds, static storage, at most
 * VLT_PROM_MAX_BUCKETS; the +Inf bucket is implicit. Zero it, then set
 * bounds with vlt__prom_hist_init.
 */
typedef struct vlt_prom_hist {
	const double *bounds;
	size_t n_bounds;
	vlt_prom_counter_t bucket[VLT_PROM_MAX_BUCKETS + 1]; /* not cumulative; last: +Inf */
	vlt_prom_counter_t sum_nano;
} vlt_prom_hist_t;

/* Bounds for request and store latency, in seconds: 1 ms to 30 s. */
extern const double vlt_prom_latency_bounds[];
extern const size_t vlt_prom_n_latency_bounds;

/* Reset h and give it bounds (n is capped at VLT_PROM_MAX_BUCKETS). */
void vlt__prom_hist_init(vlt_prom_hist_t *h, const double *bounds, size_t n);
/* Count one value (negative values count as 0). */
void vlt__prom_hist_observe(vlt_prom_hist_t *h, double value);

/* One label: name (static text) and value (escaped when written). */
typedef struct vlt_prom_label {
	const char *name;
	const char *value;
} vlt_prom_label_t;

/* The text being written; owns text until vlt__prom_take or vlt__prom_free. */
typedef struct vlt_prom {
	char *text;
	size_t len, cap;
	bool failed; /* out of memory: the text is dropped */
} vlt_prom_t;

void vlt__prom_init(vlt_prom_t *p);
/* The text written (malloc, the caller's), or NULL when out of memory; p is emptied. */
char *vlt__prom_take(vlt_prom_t *p);
void vlt__prom_free(vlt_prom_t *p);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void vlt__prom_family(vlt_prom_t *p, const char *name, const char *type, const char *help);
/* "name{labels} value"; labels may be NULL when n is 0. */
void vlt__prom_sample(vlt_prom_t *p, const char *name, const vlt_prom_label_t *labels, size_t n,
		      double value);
/* The same with an exact integer value (counters past 2^53 stay exact). */
void vlt__prom_sample_u64(vlt_prom_t *p, const char *name, const vlt_prom_label_t *labels,
			  size_t n, uint64_t value);
/* name_bucket{labels,le="..."} (cumulative, +Inf last), name_sum and name_count. */
void vlt__prom_histogram(vlt_prom_t *p, const char *name, const vlt_prom_label_t *labels,
			 size_t n, const vlt_prom_hist_t *h);

/* Escape a label value into out (NUL-terminated, truncated to size). RET out. */
char *vlt__prom_escape_label(const char *value, char *out, size_t size);

#endif /* VALET_CORE_PROM_H */
