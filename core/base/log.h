/* log.h - the logger behind vlt_core_t.log: stderr with levels, syslog on request. */
#ifndef VALET_CORE_LOG_H
#define VALET_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

void vlt__log_setup(int level, bool use_syslog, const char *ident);
int vlt__log_level(void);
/* prefix may be NULL (the core itself) or "kind/name". */
void vlt__logv(const char *prefix, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void vlt__log(const char *prefix, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "err", "warning", "notice", "info", "debug" -> VLT_LOG_*; -1 if unknown */
int vlt__log_level_parse(const char *name);

#endif /* VALET_CORE_LOG_H */
