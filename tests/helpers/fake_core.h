/*
 * fake_core.h - the one vlt_core_t that the module tests hand to modules,
 * without the loader or an engine.
 *
 * - cfg_*: read from a small key table. A value set with fake_core_set is
 *   text converted on lookup, as the real configuration treats an
 *   --option override; one set with fake_core_set_str or fake_core_set_int
 *   has that type, as a value in the configuration file has, and a lookup
 *   of another type fails (an integer is also a number). A value that
 *   does not convert, or has the wrong type, fails with VLT_ECONFIG and a
 *   message naming the key.
 * - log: every line is recorded (level and text) for assertions, from any
 *   thread, and also printed to stderr when FAKE_CORE_VERBOSE is set.
 * - data_dir: "." until fake_core_set_data_dir.
 * - dc_*: forward to the real builder (core/engine/dc.c), so a source
 *   fills a real vlt_dc_builder_t.
 * - cycle callbacks are NULL: fake_cycle.h plugs in a small hand-built
 *   cycle, and a test with a cycle of its own fills them through
 *   fake_core_table. A module that reaches for a NULL one crashes its
 *   test at once.
 */
#ifndef VALET_TEST_FAKE_CORE_H
#define VALET_TEST_FAKE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <valet/core.h>

typedef struct fake_core fake_core_t;

/* OUT: a new fake core with no settings and self_id 0, owned by the caller
 * (fake_core_free). Aborts on allocation failure. */
fake_core_t *fake_core_new(void);
/* Accepts NULL. Whatever a module keeps of the table must be gone by then. */
void fake_core_free(fake_core_t *fc);

/* Set key to text (both copied), converted on lookup; a NULL text removes
 * the key. RET 0, VLT_ENOMEM or VLT_E2BIG (too many keys). */
int fake_core_set(fake_core_t *fc, const char *key, const char *text);
/* Set key to a typed value (copied), replacing any earlier value. Abort on failure. */
void fake_core_set_str(fake_core_t *fc, const char *key, const char *value);
void fake_core_set_int(fake_core_t *fc, const char *key, int64_t value);
/* What data_dir returns (copied). RET 0 or VLT_ENOMEM. */
int fake_core_set_data_dir(fake_core_t *fc, const char *dir);
/* Whether a module asked for key through cfg_*. */
bool fake_core_was_read(const fake_core_t *fc, const char *key);

/* The table to hand to a module (borrowed, lives as long as fc). */
const vlt_core_t *fake_core_api(fake_core_t *fc);
/* The same table, writable: for self_id and the cycle callbacks. */
vlt_core_t *fake_core_table(fake_core_t *fc);

/* Recorded log lines, oldest first (borrowed, valid until the next clear). */
size_t fake_core_n_logs(const fake_core_t *fc);
const char *fake_core_log_text(const fake_core_t *fc, size_t i);
int fake_core_log_level(const fake_core_t *fc, size_t i);
/* How many lines of exactly this level (any level when level < 0) contain needle. */
size_t fake_core_n_logged(const fake_core_t *fc, int level, const char *needle);
/* Whether at least one such line was logged. */
bool fake_core_logged(const fake_core_t *fc, int level, const char *needle);
void fake_core_clear_logs(fake_core_t *fc);
/* Every recorded line to stderr, for a failing assertion's context. */
void fake_core_print_logs(const fake_core_t *fc);

/* Fail the (cmocka) test unless a line of level (< 0: any) contains needle. */
#define assert_logged(fc, level, needle)                                               \
	do {                                                                           \
		if (!fake_core_logged((fc), (level), (needle))) {                      \
			fake_core_print_logs(fc);                                      \
			fail_msg("no log line of level %d contains \"%s\"", (level),   \
				 (needle));                                            \
		}                                                                      \
	} while (0)

#endif /* VALET_TEST_FAKE_CORE_H */
