/*
 * test_log.c - the logger: line format with and without a module prefix,
 * the level filter, one line per record, level names, and many threads
 * logging at once without mixing their lines; the log file and its
 * reopening, and the journal's "<N>" priorities.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <valet/core.h>

#include "log.h"

static char captured[1 << 20];

/* Runs fn with stderr sent to a temporary file; captured gets the output. */
static void capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
}

static void log_some(void)
{
	vlt__log(NULL, VLT_LOG_INFO, "listening on %s:%d", "127.0.0.1", 8090);
	vlt__log("solver/ostro", VLT_LOG_WARNING, "budget %d ms exceeded", 200);
	vlt__log("source/static", VLT_LOG_ERR, "bad inventory");
	vlt__log("policy/affinity", VLT_LOG_NOTICE, "two\nlines\n");
	vlt__log(NULL, VLT_LOG_DEBUG, "not shown at info");
	vlt__log(NULL, 99, "clamped to debug, not shown");
	vlt__log(NULL, -5, "clamped to err");
}

static void test_format_and_filter(void **state)
{
	(void)state;
	vlt__log_setup(VLT_LOG_INFO, false, "test");
	assert_int_equal(vlt__log_level(), VLT_LOG_INFO);
	capture(log_some);
	assert_string_equal(captured, "INFO listening on 127.0.0.1:8090\n"
				      "WARNING [solver/ostro] budget 200 ms exceeded\n"
				      "ERROR [source/static] bad inventory\n"
				      "NOTICE [policy/affinity] two lines\n"
				      "ERROR clamped to err\n");
}

static void test_debug_level(void **state)
{
	(void)state;
	vlt__log_setup(VLT_LOG_DEBUG, false, NULL);
	capture(log_some);
	assert_non_null(strstr(captured, "DEBUG not shown at info\n"));
	assert_non_null(strstr(captured, "DEBUG clamped to debug, not shown\n"));
	vlt__log_setup(VLT_LOG_ERR, false, NULL);
	capture(log_some);
	assert_string_equal(captured, "ERROR [source/static] bad inventory\n"
				      "ERROR clamped to err\n");
	vlt__log_setup(VLT_LOG_INFO, false, NULL);
}

/* With syslog on, nothing goes to stderr. */
static void test_syslog_replaces_stderr(void **state)
{
	(void)state;
	vlt__log_setup(VLT_LOG_ERR, true, "valet-test");
	capture(log_some);
	assert_string_equal(captured, "");
	vlt__log_setup(VLT_LOG_INFO, false, NULL);
	capture(log_some);
	assert_non_null(strstr(captured, "INFO listening"));
}

static void test_level_names(void **state)
{
	(void)state;
	assert_int_equal(vlt__log_level_parse("err"), VLT_LOG_ERR);
	assert_int_equal(vlt__log_level_parse("warning"), VLT_LOG_WARNING);
	assert_int_equal(vlt__log_level_parse("notice"), VLT_LOG_NOTICE);
	assert_int_equal(vlt__log_level_parse("info"), VLT_LOG_INFO);
	assert_int_equal(vlt__log_level_parse("debug"), VLT_LOG_DEBUG);
	assert_int_equal(vlt__log_level_parse("INFO"), -1);
	assert_int_equal(vlt__log_level_parse("verbose"), -1);
	assert_int_equal(vlt__log_level_parse(""), -1);
	assert_int_equal(vlt__log_level_parse(NULL), -1);
}

#define N_THREADS 4
#define N_LINES 500

static void *log_lines(void *arg)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "solver/t%d", (int)(intptr_t)arg);
	for (int i = 0; i < N_LINES; i++)
		vlt__log(prefix, VLT_LOG_INFO, "line %d of a record long enough to be "
			 "written in more than one piece if it were split %d", i, i);
	return NULL;
}

static void log_from_threads(void)
{
	pthread_t t[N_THREADS];

	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_lines, (void *)(intptr_t)i), 0);
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
}

/* Every line is whole: no record is cut by another thread's. */
static void test_threads_do_not_mix_lines(void **state)
{
	int lines = 0;

	(void)state;
	vlt__log_setup(VLT_LOG_INFO, false, NULL);
	capture(log_from_threads);
	for (char *line = strtok(captured, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		int t, i, j;
		char tail[8];

		if (sscanf(line,
			   "INFO [solver/t%d] line %d of a record long enough to be "
			   "written in more than one piece if it were split %d%7s",
			   &t, &i, &j, tail) != 3 || i != j)
			fail_msg("mixed line: \"%s\"", line);
		lines++;
	}
	assert_int_equal(lines, N_THREADS * N_LINES);
}

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The file takes the lines; the same path again reopens it once moved away. */
static void test_log_file_reopens(void **state)
{
	char dir[] = "/tmp/valet-log-XXXXXX";
	char path[64], moved[64], text[4096];
	vlt_err_t err = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/valetd.log", dir);
	snprintf(moved, sizeof(moved), "%s/valetd.log.1", dir);
	vlt__log_setup(VLT_LOG_INFO, false, NULL);
	assert_int_equal(vlt__log_file(path, &err), 0);
	vlt__log("store/sqlite", VLT_LOG_WARNING, "first");
	assert_int_equal(rename(path, moved), 0);
	vlt__log(NULL, VLT_LOG_INFO, "still to the moved file");
	assert_int_equal(vlt__log_file(path, &err), 0);
	vlt__log(NULL, VLT_LOG_NOTICE, "second");
	read_file(moved, text, sizeof(text));
	assert_string_equal(text, "WARNING [store/sqlite] first\nINFO still to the moved file\n");
	read_file(path, text, sizeof(text));
	assert_string_equal(text, "NOTICE second\n");

	/* a file that cannot be opened leaves the lines where they went */
	assert_int_equal(vlt__log_file("/nonexistent/dir/x.log", &err), VLT_ECONFIG);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/x.log: cannot open"));
	vlt__log(NULL, VLT_LOG_NOTICE, "third");
	read_file(path, text, sizeof(text));
	assert_string_equal(text, "NOTICE second\nNOTICE third\n");

	assert_int_equal(vlt__log_file(NULL, &err), 0);
	capture(log_some);
	assert_non_null(strstr(captured, "INFO listening"));
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

static void log_as_journal(void)
{
	struct stat st;
	char stream[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", stream, 1);
	vlt__log_setup(VLT_LOG_INFO, false, NULL);
	log_some();
	unsetenv("JOURNAL_STREAM");
	vlt__log_setup(VLT_LOG_INFO, false, NULL);
}

/* stderr is the journal's stream: the priority, not the label, leads. */
static void test_journal_priorities(void **state)
{
	(void)state;
	capture(log_as_journal);
	assert_string_equal(captured, "<6>listening on 127.0.0.1:8090\n"
				      "<4>[solver/ostro] budget 200 ms exceeded\n"
				      "<3>[source/static] bad inventory\n"
				      "<5>[policy/affinity] two lines\n"
				      "<3>clamped to err\n");
	/* and not once the setup sees another stream */
	capture(log_some);
	assert_non_null(strstr(captured, "INFO listening"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_filter),
		cmocka_unit_test(test_debug_level),
		cmocka_unit_test(test_syslog_replaces_stderr),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_threads_do_not_mix_lines),
		cmocka_unit_test(test_log_file_reopens),
		cmocka_unit_test(test_journal_priorities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
