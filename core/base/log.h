/*
 * log.h - the logger behind vlt_core_t.log: stderr with levels (with the
 * journal's "<N>" priorities when stderr is the journal), a file, or syslog
 * on request.
 */
#ifndef VALET_CORE_LOG_H
#define VALET_CORE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include <valet/errors.h>

void vlt__log_setup(int level, bool use_syslog, const char *ident);
/*
 * vlt__log_file - send the lines to path (opened for appending, created
 * 0640), or back to stderr when path is NULL or "". Called again with the
 * same path it reopens the file: what SIGHUP does after logrotate moved it
 * away. The descriptor belongs to the logger. RET 0, or VLT_ECONFIG naming
 * the file and the reason (the lines keep going where they went).
 */
int vlt__log_file(const char *path, vlt_err_t *err);
/* Do the lines go to the journal's stream, "<N>" first? */
bool vlt__log_journal(void);
int vlt__log_level(void);
/* prefix may be NULL (the core itself) or "kind/name". */
void vlt__logv(const char *prefix, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void vlt__log(const char *prefix, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "err", "warning", "notice", "info", "debug" -> VLT_LOG_*; -1 if unknown */
int vlt__log_level_parse(const char *name);
/* VLT_LOG_* -> its name as the configuration spells it (clamped, never NULL) */
const char *vlt__log_level_name(int level);

#endif /* VALET_CORE_LOG_H */
