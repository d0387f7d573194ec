/*
 * log.c - the logger behind vlt_core_t.log.
 *
 * A line reads "LEVEL [kind/name] message" on stderr ("LEVEL message" for
 * the core itself), or in the log file when one is set, or goes to
 * syslog(3) with the same "[kind/name]" tag when syslog is asked for.
 *
 * Under systemd, when stderr is the journal's stream (JOURNAL_STREAM names
 * its device and inode), a line reads "<N>[kind/name] message" instead: the
 * journal takes the syslog priority N from the prefix (SyslogLevelPrefix=,
 * on by default) and the label would only repeat it. This needs no library:
 * the journal's native protocol (sd_journal_print) would bring libsystemd
 * into every program and test that links the base layer, for no field the
 * prefix does not already carry.
 *
 * Each line is formatted into a local buffer and written with one write(2)
 * on the log descriptor, so lines from several threads never interleave
 * (a file is opened O_APPEND). vlt__log_file reopens the file by dup2()ing
 * the new descriptor onto the one in use, which replaces it atomically: a
 * thread writing meanwhile writes to the old file or the new one, never to
 * a closed descriptor (the logger's descriptor is never closed).
 *
 * vlt__log_setup runs on the main thread before any worker starts; the
 * settings are atomic anyway so that a later setup (SIGHUP) is safe to race
 * with writers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <valet/core.h>

#include "log.h"

/* Long enough for any message the core or a module writes in one line. */
#define LOG_LINE_MAX 2048

static atomic_int log_level = VLT_LOG_INFO;
static atomic_bool log_to_syslog = false;
/* where stderr-style lines go: STDERR_FILENO, or file_fd */
static atomic_int log_fd = STDERR_FILENO;
/*
 * The descriptor every log file is dup2()ed onto (-1 until the first);
 * main thread only. Never closed: a writer that loaded its number just
 * before a switch must not write to whatever the number would be reused for.
 */
static int file_fd = -1;
/* lines carry "<N>" for the journal instead of the level's label */
static atomic_bool log_to_journal = false;
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

/* Is standard error the journal's stream? ("DEVICE:INODE" in JOURNAL_STREAM) */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev = 0, ino = 0;
	struct stat st;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/*
 * vlt__log_setup - choose the threshold and the destination. ident (may be
 * NULL: "valet") is copied; it names the program in syslog.
 */
void vlt__log_setup(int level, bool use_syslog, const char *ident)
{
	bool had_syslog = atomic_load(&log_to_syslog);

	atomic_store(&log_level, clamp_level(level));
	atomic_store(&log_to_journal, !use_syslog && atomic_load(&log_fd) == STDERR_FILENO &&
					      stderr_is_journal());
	if (had_syslog)
		closelog();
	snprintf(log_ident, sizeof(log_ident), "%s", ident != NULL ? ident : "valet");
	if (use_syslog)
		openlog(log_ident, LOG_PID, LOG_DAEMON);
	atomic_store(&log_to_syslog, use_syslog);
}

int vlt__log_file(const char *path, vlt_err_t *err)
{
	if (path == NULL || path[0] == '\0') {
		atomic_store(&log_fd, STDERR_FILENO);
		/* the number stays open, on stderr: the old file can go */
		if (file_fd >= 0)
			dup2(STDERR_FILENO, file_fd);
		return 0;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return vlt_err_set(err, VLT_ECONFIG, "log file %s: cannot open: %s", path,
				   strerror(errno));
	if (file_fd < 0) {
		file_fd = fd;
	} else {
		int rc = dup2(fd, file_fd) < 0 ? errno : 0;

		close(fd);
		if (rc != 0)
			return vlt_err_set(err, VLT_ECONFIG, "log file %s: cannot reopen: %s",
					   path, strerror(rc));
		fcntl(file_fd, F_SETFD, FD_CLOEXEC); /* dup2 clears it */
	}
	atomic_store(&log_fd, file_fd);
	atomic_store(&log_to_journal, false);
	return 0;
}

bool vlt__log_journal(void)
{
	return atomic_load(&log_to_journal);
}

int vlt__log_level(void)
{
	return atomic_load(&log_level);
}

const char *vlt__log_level_name(int level)
{
	level = clamp_level(level);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (levels[i].level == level)
			return levels[i].name;
	}
	return "debug";
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

/* The line, built whole, in one write(2): see the head of this file. */
static void write_line(const char *prefix, int level, const char *msg)
{
	char line[LOG_LINE_MAX + 64];
	char head[32];
	int len;

	if (atomic_load(&log_to_journal))
		snprintf(head, sizeof(head), "<%d>", level);
	else
		snprintf(head, sizeof(head), "%s ", level_label(level));
	if (prefix != NULL)
		len = snprintf(line, sizeof(line), "%s[%s] %s\n", head, prefix, msg);
	else
		len = snprintf(line, sizeof(line), "%s%s\n", head, msg);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line)) {
		len = (int)sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	for (ssize_t off = 0; off < len;) {
		ssize_t n = write(atomic_load(&log_fd), line + off, (size_t)(len - off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere left to say it */
		off += n;
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
	write_line(prefix, level, msg);
}

void vlt__log(const char *prefix, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlt__logv(prefix, level, fmt, ap);
	va_end(ap);
}
