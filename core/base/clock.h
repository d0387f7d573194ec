/*
 * clock.h - the time of day as milliseconds since the epoch, passed in
 * where decisions depend on it (hold expiry, journal stamps), so tests can
 * set the time instead of sleeping.
 */
#ifndef VALET_CORE_CLOCK_H
#define VALET_CORE_CLOCK_H

#include <stdint.h>

typedef struct vlt_clock {
	/* Milliseconds since the epoch; NULL: the real clock. */
	int64_t (*now_ms)(void *arg);
	void *arg; /* handed to now_ms (borrowed) */
} vlt_clock_t;

/* The real time of day (CLOCK_REALTIME), in milliseconds since the epoch. */
int64_t vlt__clock_real_ms(void);

/* c's time; the real time when c or c->now_ms is NULL. */
int64_t vlt__clock_now_ms(const vlt_clock_t *c);

/* A monotonic time in milliseconds, for measuring how long something took. */
double vlt__clock_mono_ms(void);

#endif /* VALET_CORE_CLOCK_H */
