/*
 * store_fake_core.h - a minimal vlt_core_t for store tests: settings from a
 * small table, a data directory, and a log kept in memory.
 */
#ifndef VALET_TEST_STORE_FAKE_CORE_H
#define VALET_TEST_STORE_FAKE_CORE_H

#include <stdint.h>

#include <valet/core.h>
#include <valet/plugin.h>

typedef struct store_fake_core store_fake_core_t;

/* OUT: new, owned by the caller; data_dir is copied (NULL: none). NULL on ENOMEM. */
store_fake_core_t *store_fake_core_new(const char *data_dir);
void store_fake_core_free(store_fake_core_t *fc);

/* Set (or replace) a setting of the module's group; values are copied. */
void store_fake_core_set_str(store_fake_core_t *fc, const char *key, const char *value);
void store_fake_core_set_int(store_fake_core_t *fc, const char *key, int64_t value);

/* The callback table to hand to a module's init (borrowed, lives with fc). */
const vlt_core_t *store_fake_core_api(store_fake_core_t *fc);

/* Everything logged so far, one line per message, "<level> <text>\n". Borrowed. */
const char *store_fake_core_log(const store_fake_core_t *fc);

#endif /* VALET_TEST_STORE_FAKE_CORE_H */
