/*
 * bench.h - what the benchmark programs share: a monotonic clock, order
 * statistics, and the replay of recorded placements (replay.c).
 */
#ifndef VALET_BENCH_H
#define VALET_BENCH_H

#include <stddef.h>

#include "config.h"
#include "engine.h"
#include "loader.h"

/*
 * The configuration at path (NULL: the built-in one) with data_dir dir,
 * its modules loaded and an engine on them, for an in-process benchmark;
 * on error prints prog's message and exits 1.
 */
void bench_open_engine(const char *prog, const char *path, const char *dir, vlt_config_t *cfg,
		       vlt_modules_t *mods, vlt_engine_t **engine);

/* Milliseconds on the monotonic clock. */
double bench_now_ms(void);

/* The p-quantile (0..1) of v[0..n), nearest rank; sorts v in place. 0 when n is 0. */
double bench_percentile(double *v, size_t n, double p);

/*
 * bench_replay_main - `bench_engine replay --jobs FILE [--out FILE]`: run
 * each job of FILE (one JSON object per line) in its own engine session
 * and write one JSON line of figures per job. RET the exit status.
 */
int bench_replay_main(int argc, char **argv);

#endif /* VALET_BENCH_H */
