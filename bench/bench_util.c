#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

void bench_open_engine(const char *prog, const char *path, const char *dir, vlt_config_t *cfg,
		       vlt_modules_t *mods, vlt_engine_t **engine)
{
	vlt_err_t err = { 0 };
	const char *what = "configuration";

	if (vlt__config_load(cfg, path, &err) != 0 || vlt__config_set_str(&cfg->data_dir, dir) != 0)
		goto fail;
	what = "modules";
	if (vlt__modules_load(mods, cfg, NULL, 0, &err) < 0)
		goto fail;
	what = "engine";
	if (vlt__engine_new(engine, mods, &err) < 0)
		goto fail;
	return;
fail:
	fprintf(stderr, "%s: %s: %s\n", prog, what, err.msg);
	exit(1);
}

double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(p * (double)(n - 1) + 0.5)];
}
