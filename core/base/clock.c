#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"

int64_t vlt__clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vlt__clock_now_ms(const vlt_clock_t *c)
{
	if (c == NULL || c->now_ms == NULL)
		return vlt__clock_real_ms();
	return c->now_ms(c->arg);
}

double vlt__clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The civil date of a day since 1970-01-01 (the inverse of days_from_civil). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

bool vlt__clock_parse_utc(const char *v, int64_t *out)
{
	int y, mo, d, h, mi, sec, used = 0, ms = 0, digits = 0;

	if (v == NULL ||
	    sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
	    used != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	v += used;
	if (*v == '.') {
		for (v++; *v >= '0' && *v <= '9'; v++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*v - '0');
		if (digits == 0)
			return false;
	}
	for (int k = digits; k > 0 && k < 3; k++)
		ms *= 10;
	if (strcmp(v, "Z") != 0 && strcmp(v, "+00:00") != 0)
		return false;
	*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + ms;
	return true;
}

void vlt__clock_format_utc(int64_t ms, char *buf, size_t size)
{
	int64_t day = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t in_day = ms - day * 86400000, y;
	int m, d;

	civil_from_days(day, &y, &m, &d);
	int h = (int)(in_day / 3600000), mi = (int)(in_day / 60000 % 60);
	int sec = (int)(in_day / 1000 % 60), frac = (int)(in_day % 1000);
	if (frac != 0)
		snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d, h,
			 mi, sec, frac);
	else
		snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, h, mi,
			 sec);
}
