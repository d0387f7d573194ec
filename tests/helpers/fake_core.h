/*
 * fake_core.h - a vlt_core_t for unit tests of modules, without the loader.
 *
 * - cfg_*: read from a small key table filled with fake_core_set (values are
 *   strings, converted on lookup like the real configuration's overrides);
 *   a value that does not convert fails with VLT_ECONFIG.
 * - log: every line is recorded (level and text) for assertions, and also
 *   printed to stderr when FAKE_CORE_VERBOSE is set in the environment.
 * - dc_*: forward to the real builder (core/engine/dc.c), so a test binary using
 *   this helper links valetcore.
 * - cycle callbacks are NULL; a test may fill them through fake_core_table.
 */
#ifndef VALET_TEST_FAKE_CORE_H
#define VALET_TEST_FAKE_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include <valet/core.h>

typedef struct fake_core fake_core_t;

/* OUT: a new fake core with no settings, owned by the caller (fake_core_free). */
fake_core_t *fake_core_new(void);
void fake_core_free(fake_core_t *fc);

/* Set key to value (both copied); a NULL value removes the key. RET 0 or VLT_ENOMEM. */
int fake_core_set(fake_core_t *fc, const char *key, const char *value);
/* What data_dir returns (copied); "." until set. */
int fake_core_set_data_dir(fake_core_t *fc, const char *dir);
/* Whether a module asked for key through cfg_*. */
bool fake_core_was_read(const fake_core_t *fc, const char *key);

/* The table to hand to a module (borrowed, lives as long as fc). */
const vlt_core_t *fake_core_api(fake_core_t *fc);
/* The same table, writable: for tests that plug in cycle callbacks. */
vlt_core_t *fake_core_table(fake_core_t *fc);

/* Recorded log lines, oldest first (borrowed). */
size_t fake_core_n_logs(const fake_core_t *fc);
const char *fake_core_log_text(const fake_core_t *fc, size_t i);
int fake_core_log_level(const fake_core_t *fc, size_t i);
/* Whether a line of exactly this level (or any level when level < 0) contains needle. */
bool fake_core_logged(const fake_core_t *fc, int level, const char *needle);
void fake_core_clear_logs(fake_core_t *fc);

#endif /* VALET_TEST_FAKE_CORE_H */
