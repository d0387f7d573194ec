/*
 * test_prom.c - the Prometheus text exposition (core/base/prom.c): HELP and
 * TYPE lines, label escaping, values, histograms' cumulative buckets, and
 * counting from several threads at once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prom.h"

/* The text written so far (p stays usable). */
static const char *text_of(const vlt_prom_t *p)
{
	return p->text != NULL ? p->text : "";
}

static void test_family_and_samples(void **state)
{
	vlt_prom_t p;
	vlt_prom_label_t l[] = { { "route", "/v1/plans" }, { "code", "201" } };

	(void)state;
	vlt__prom_init(&p);
	vlt__prom_family(&p, "valet_x_total", "counter", "Things\\counted,\nby route.");
	vlt__prom_sample_u64(&p, "valet_x_total", l, 2, 18446744073709551615ull);
	vlt__prom_sample(&p, "valet_x_total", NULL, 0, 3);
	assert_string_equal(text_of(&p),
			    "# HELP valet_x_total Things\\\\counted,\\nby route.\n"
			    "# TYPE valet_x_total counter\n"
			    "valet_x_total{route=\"/v1/plans\",code=\"201\"} 18446744073709551615\n"
			    "valet_x_total 3\n");
	char *t = vlt__prom_take(&p);
	assert_non_null(t);
	assert_null(p.text);
	free(t);
}

static void test_label_escaping(void **state)
{
	vlt_prom_t p;
	vlt_prom_label_t l = { "reason", "a \"quoted\" back\\slash\nnew line" };
	char out[64];

	(void)state;
	vlt__prom_init(&p);
	vlt__prom_sample(&p, "m", &l, 1, 1);
	assert_string_equal(text_of(&p),
			    "m{reason=\"a \\\"quoted\\\" back\\\\slash\\nnew line\"} 1\n");
	vlt__prom_free(&p);
	assert_string_equal(vlt__prom_escape_label("x\"y", out, sizeof(out)), "x\\\"y");
	assert_string_equal(vlt__prom_escape_label("", out, sizeof(out)), "");
	/* a NULL value is written as empty, not dereferenced */
	vlt__prom_init(&p);
	l.value = NULL;
	vlt__prom_sample(&p, "m", &l, 1, 0);
	assert_string_equal(text_of(&p), "m{reason=\"\"} 0\n");
	vlt__prom_free(&p);
}

static void test_values(void **state)
{
	vlt_prom_t p;

	(void)state;
	vlt__prom_init(&p);
	vlt__prom_sample(&p, "a", NULL, 0, 0.25);
	vlt__prom_sample(&p, "b", NULL, 0, -7);
	vlt__prom_sample(&p, "c", NULL, 0, 1.0 / 0.0);
	vlt__prom_sample(&p, "d", NULL, 0, -1.0 / 0.0);
	vlt__prom_sample(&p, "e", NULL, 0, 0.0 / 0.0);
	vlt__prom_sample(&p, "f", NULL, 0, 0.1);
	assert_string_equal(text_of(&p), "a 0.25\nb -7\nc +Inf\nd -Inf\ne NaN\nf 0.1\n");
	vlt__prom_free(&p);
}

static void test_histogram_buckets(void **state)
{
	static const double bounds[] = { 0.01, 0.1, 1 };
	vlt_prom_hist_t h;
	vlt_prom_t p;
	vlt_prom_label_t l = { "solver", "ostro" };

	(void)state;
	vlt__prom_hist_init(&h, bounds, 3);
	vlt__prom_hist_observe(&h, 0.005); /* <= 0.01 */
	vlt__prom_hist_observe(&h, 0.01);  /* on a bound: that bucket (le is "less or equal") */
	vlt__prom_hist_observe(&h, 0.5);   /* <= 1 */
	vlt__prom_hist_observe(&h, 7);     /* +Inf only */
	vlt__prom_hist_observe(&h, -1);    /* counted as 0 */
	vlt__prom_init(&p);
	vlt__prom_histogram(&p, "valet_t_seconds", &l, 1, &h);
	assert_string_equal(text_of(&p),
			    "valet_t_seconds_bucket{solver=\"ostro\",le=\"0.01\"} 3\n"
			    "valet_t_seconds_bucket{solver=\"ostro\",le=\"0.1\"} 3\n"
			    "valet_t_seconds_bucket{solver=\"ostro\",le=\"1\"} 4\n"
			    "valet_t_seconds_bucket{solver=\"ostro\",le=\"+Inf\"} 5\n"
			    "valet_t_seconds_sum{solver=\"ostro\"} 7.515\n"
			    "valet_t_seconds_count{solver=\"ostro\"} 5\n");
	vlt__prom_free(&p);

	/* without labels, le is the only one */
	vlt__prom_init(&p);
	vlt__prom_hist_init(&h, bounds, 1);
	vlt__prom_histogram(&p, "z", NULL, 0, &h);
	assert_string_equal(text_of(&p), "z_bucket{le=\"0.01\"} 0\nz_bucket{le=\"+Inf\"} 0\n"
					 "z_sum 0\nz_count 0\n");
	vlt__prom_free(&p);
}

static void test_latency_bounds_ascend(void **state)
{
	(void)state;
	assert_true(vlt_prom_n_latency_bounds <= VLT_PROM_MAX_BUCKETS);
	for (size_t i = 1; i < vlt_prom_n_latency_bounds; i++)
		assert_true(vlt_prom_latency_bounds[i - 1] < vlt_prom_latency_bounds[i]);
}

#define N_THREADS 4
#define N_EACH 100000

struct shared {
	vlt_prom_counter_t c;
	vlt_prom_hist_t h;
};

static void *count_many(void *arg)
{
	struct shared *sh = arg;

	for (int i = 0; i < N_EACH; i++) {
		vlt__prom_add(&sh->c, 1);
		vlt__prom_hist_observe(&sh->h, (i % 2) ? 0.002 : 2.0);
	}
	return NULL;
}

/* No lock, yet no count is lost. */
static void test_counting_from_threads(void **state)
{
	static struct shared sh;
	pthread_t t[N_THREADS];

	(void)state;
	atomic_init(&sh.c, 0);
	vlt__prom_hist_init(&sh.h, vlt_prom_latency_bounds, vlt_prom_n_latency_bounds);
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, count_many, &sh), 0);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(vlt__prom_get(&sh.c), (uint64_t)N_THREADS * N_EACH);
	uint64_t total = 0;
	for (size_t i = 0; i <= sh.h.n_bounds; i++)
		total += vlt__prom_get(&sh.h.bucket[i]);
	assert_int_equal(total, (uint64_t)N_THREADS * N_EACH);
	/* half at 2 ms, half at 2 s: the sum is exact in nanoseconds */
	assert_int_equal(vlt__prom_get(&sh.h.sum_nano),
			 (uint64_t)N_THREADS * (N_EACH / 2) * (2000000ull + 2000000000ull));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_histogram_buckets),
		cmocka_unit_test(test_latency_bounds_ascend),
		cmocka_unit_test(test_counting_from_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
