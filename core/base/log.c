/*
 * log.c - the logger behind vlt_core_t.log.
 *
 * A line reads "LEVEL [kind/name] message" on stderr ("LEVEL message" for
 * the core itself), or goes to syslog(3) with the same "[kind/name]" tag
 * when syslog is asked for. Each line is formatted into a local buffer and
 * written with one stdio call: stdio locks the stream per call, so lines
 * from several threads never interleave.
 *
 * vlt__log_setup runs on the main thread before any worker starts; the
 * level is atomic anyway so that a later setup (a reload) is safe to race
 * with readers.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <valet/core.h>

#include "log.h"

/* Long enough for any message the core or a module writes in one line. */
#define LOG_LINE_MAX 2048

static atomic_int log_level = VLT_LOG_INFO;
static atomic_bool log_to_syslog = false;
/* openlog(3) keeps the ident pointer, so it must outlive the call. */
static char log_ident[64] = "valet";

static const struct {
	const char *name;  /* as the configuration spells it */
	const char *label; /* as a stderr line starts */
	int level;
} levels[] = {
	{ "err", "ERROR", VLT_LOG_ERR },
	{ "warning", "WARNING", VLT_LOG_WARNING },
	{ "notice", "NOTICE", VLT_LOG_NOTICE },
	{ "info", "INFO", VLT_LOG_INFO },
	{ "debug", "DEBUG", VLT_LOG_DEBUG },
};

static const char *level_label(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (levels[i].level == level)
			return levels[i].label;
	}
	return level < VLT_LOG_ERR ? "ERROR" : "DEBUG";
}

/* Out-of-range levels are clamped so that a module's typo still logs. */
static int clamp_level(int level)
{
	if (level < VLT_LOG_ERR)
		return VLT_LOG_ERR;
	if (level > VLT_LOG_DEBUG)
		return VLT_LOG_DEBUG;
	return level;
}

/*
 * vlt__log_setup - choose the threshold and the destination. ident (may be
 * NULL: "valet") is copied; it names the program in syslog.
 */
void vlt__log_setup(int level, bool use_syslog, const char *ident)
{
	bool had_syslog = atomic_load(&log_to_syslog);

	atomic_store(&log_level, clamp_level(level));
	if (had_syslog)
		closelog();
	snprintf(log_ident, sizeof(log_ident), "%s", ident != NULL ? ident : "valet");
	if (use_syslog)
		openlog(log_ident, LOG_PID, LOG_DAEMON);
	atomic_store(&log_to_syslog, use_syslog);
}

int vlt__log_level(void)
{
	return atomic_load(&log_level);
}

int vlt__log_level_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(levels[i].name, name) == 0)
			return levels[i].level;
	}
	return -1;
}

/* One record is one line: drop trailing newlines, flatten inner ones. */
static void make_one_line(char *msg)
{
	size_t len = strlen(msg);

	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	for (char *p = msg; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
}

void vlt__logv(const char *prefix, int level, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];

	level = clamp_level(level);
	if (level > atomic_load(&log_level))
		return;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	make_one_line(msg);

	if (atomic_load(&log_to_syslog)) {
		if (prefix != NULL)
			syslog(level, "[%s] %s", prefix, msg);
		else
			syslog(level, "%s", msg);
		return;
	}
	if (prefix != NULL)
		fprintf(stderr, "%s [%s] %s\n", level_label(level), prefix, msg);
	else
		fprintf(stderr, "%s %s\n", level_label(level), msg);
}

void vlt__log(const char *prefix, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlt__logv(prefix, level, fmt, ap);
	va_end(ap);
}
