/*
 * clock.h - the time of day as milliseconds since the epoch, passed in
 * where decisions depend on it (hold expiry, journal stamps, reservations
 * starting and ending), so tests can set the time instead of sleeping; and
 * RFC 3339 UTC times read and written.
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

/*
 * vlt__clock_parse_utc - an RFC 3339 time in UTC, "2026-12-08T10:00:00Z"
 * (a fraction of a second and "+00:00" for "Z" accepted; digits past
 * milliseconds are dropped), into *ms since the epoch. RET false (and *ms
 * untouched) when text is not that.
 */
bool vlt__clock_parse_utc(const char *text, int64_t *ms);
/*
 * ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least
 * VLT_CLOCK_UTC_LEN bytes; the fraction left out when it is zero).
 */
#define VLT_CLOCK_UTC_LEN 32
void vlt__clock_format_utc(int64_t ms, char *buf, size_t size);

#endif /* VALET_CORE_CLOCK_H */
