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

/* Howard Hinnant's days_from_civil. */
int64_t vlt__days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Its inverse: the civil date of a day number. */
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

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* n decimal digits at *p into *out, advancing *p; false when one is not a digit. */
static bool digits(const char **p, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*out = *out * 10 + (**p - '0');
	}
	return true;
}

static bool expect(const char **p, char c)
{
	return *(*p)++ == c;
}

bool vlt__time_from_civil(int y, int mo, int d, int h, int mi, int s, int64_t *ms)
{
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59)
		return false;
	*ms = ((vlt__days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000;
	return true;
}

bool vlt__time_parse_rfc3339(const char *text, int64_t *ms)
{
	const char *p = text;
	int y, mo, d, h, mi, s, frac = 0, n_frac = 0;

	if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
	    !digits(&p, 2, &d) || (!expect(&p, 'T') && p[-1] != 't') || !digits(&p, 2, &h) ||
	    !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &s))
		return false;
	int64_t whole;
	if (!vlt__time_from_civil(y, mo, d, h, mi, s, &whole))
		return false;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, n_frac++)
			if (n_frac < 3)
				frac = frac * 10 + (*p - '0');
		if (n_frac == 0)
			return false;
		for (int k = n_frac; k < 3; k++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0 && strcmp(p, "+00:00") != 0 &&
	    strcmp(p, "-00:00") != 0)
		return false;
	*ms = whole + frac;
	return true;
}

void vlt__time_format_rfc3339(int64_t ms, char *buf, size_t n)
{
	/* floor division, without negating ms (INT64_MIN has no opposite) */
	int64_t days = ms / 86400000 - (ms % 86400000 < 0);
	int64_t in_day = ms - days * 86400000, y;
	int m, d;

	civil_from_days(days, &y, &m, &d);
	int secs = (int)(in_day / 1000), milli = (int)(in_day % 1000);
	if (milli != 0)
		snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
			 secs / 3600, secs / 60 % 60, secs % 60, milli);
	else
		snprintf(buf, n, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d,
			 secs / 3600, secs / 60 % 60, secs % 60);
}
