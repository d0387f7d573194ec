/*
 * valetd_systemd.h - what valetd tells systemd (sd_notify(3)): readiness,
 * status lines, watchdog pings, reload and stop. Without libsystemd (the
 * build option VLT_SYSTEMD=OFF) every call does nothing, and so does each
 * when valetd was not started by systemd (no NOTIFY_SOCKET).
 */
#ifndef VALET_VALETD_SYSTEMD_H
#define VALET_VALETD_SYSTEMD_H

#include <stdint.h>

/* One notification, "KEY=VALUE" lines as sd_notify(3) reads them; formatted like printf. */
void vlt_valetd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The watchdog's period in microseconds when systemd asked for pings
 * (WATCHDOG_USEC, for this process per WATCHDOG_PID), else 0.
 */
uint64_t vlt_valetd_watchdog_usec(void);

#endif /* VALET_VALETD_SYSTEMD_H */
