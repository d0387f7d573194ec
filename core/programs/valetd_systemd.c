/*
 * valetd_systemd.c - sd_notify(3) for valetd, or nothing without libsystemd.
 * The notification is formatted into a local buffer: sd_notify sends one
 * datagram per call, and is safe to call from any thread.
 */
#include <stdarg.h>
#include <stdio.h>

#include "valetd_systemd.h"

#ifdef VLT_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void vlt_valetd_notify(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* 0 unset_environment: a reload or a test may notify again */
	(void)sd_notify(0, msg);
}

uint64_t vlt_valetd_watchdog_usec(void)
{
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

#else

void vlt_valetd_notify(const char *fmt, ...)
{
	(void)fmt;
}

uint64_t vlt_valetd_watchdog_usec(void)
{
	return 0;
}

#endif
