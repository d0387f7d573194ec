/*
 * bench.h - what the benchmark programs share: a monotonic clock, order
 * statistics, and the replay of recorded placements (replay.c).
 */
#ifndef VALET_BENCH_H
#define VALET_BENCH_H

#include <stddef.h>

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
