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
