/*
 * clock.h - the time of day as milliseconds since the epoch, passed in
 * where decisions depend on it (hold expiry, journal stamps), so tests can
 * set the time instead of sleeping.
 */
#ifndef VALET_CORE_CLOCK_H
#define VALET_CORE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
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

/* Days from 1970-01-01 to y-m-d (m 1..12; proleptic Gregorian). */
int64_t vlt__days_from_civil(int64_t y, int64_t m, int64_t d);
/*
 * A UTC date and time of day (mo 1..12, d within the month, h 0..23, mi and
 * s 0..59) as milliseconds since the epoch. RET true, or false (*ms
 * untouched) when it is no real time (31 February, hour 24).
 */
bool vlt__time_from_civil(int y, int mo, int d, int h, int mi, int s, int64_t *ms);
/*
 * An RFC 3339 time in UTC ("2026-12-08T10:00:00Z"; a fraction of a second,
 * "+00:00" or "-00:00" for "Z", and lower-case "t"/"z" accepted; the
 * fraction is cut to the millisecond) into milliseconds since the epoch.
 * RET true, or false (*ms untouched) when text is not such a time.
 */
bool vlt__time_parse_rfc3339(const char *text, int64_t *ms);
/* ms as "2026-12-08T10:00:00Z" (".123" before "Z" when not whole seconds) into buf. */
void vlt__time_format_rfc3339(int64_t ms, char *buf, size_t n);

#endif /* VALET_CORE_CLOCK_H */
