/*
 * store_fake_core.c - see store_fake_core.h. Only the members a store uses
 * are filled; every other callback stays NULL, so a store that reached for
 * one would crash its test at once.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fake_core.h"

#define FAKE_MAX_SETTINGS 16
#define FAKE_GROUP "store.test"

enum fake_type { FAKE_STR, FAKE_INT };

struct fake_setting {
	char *key;
	enum fake_type type;
	char *str;
	int64_t num;
};

struct store_fake_core {
	vlt_core_t core; /* first, so a vlt_core_t * converts back */
	char *data_dir;
	struct fake_setting set[FAKE_MAX_SETTINGS];
	size_t n_set;
	pthread_mutex_t log_lock;
	char *log;
	size_t log_len;
};

static store_fake_core_t *fake_of(const vlt_core_t *c)
{
	return (store_fake_core_t *)c->priv;
}

static const struct fake_setting *find(const store_fake_core_t *fc, const char *key)
{
	for (size_t i = 0; i < fc->n_set; i++) {
		if (strcmp(fc->set[i].key, key) == 0)
			return &fc->set[i];
	}
	return NULL;
}

static void fake_log(const vlt_core_t *c, int level, const char *fmt, ...)
{
	store_fake_core_t *fc = fake_of(c);
	char line[1024];
	va_list ap;

	int n = snprintf(line, sizeof(line), "%d ", level);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	pthread_mutex_lock(&fc->log_lock);
	char *grown = realloc(fc->log, fc->log_len + len + 2);
	if (grown) {
		fc->log = grown;
		memcpy(fc->log + fc->log_len, line, len);
		fc->log_len += len;
		fc->log[fc->log_len++] = '\n';
		fc->log[fc->log_len] = '\0';
	}
	pthread_mutex_unlock(&fc->log_lock);
}

static int wrong_type(const char *key, const char *want, vlt_err_t *err)
{
	return vlt_err_set(err, VLT_ECONFIG, "fake.conf:1: %s.%s: expected %s", FAKE_GROUP, key,
			   want);
}

static int fake_cfg_str(const vlt_core_t *c, const char *key, const char *dflt, char **out,
			vlt_err_t *err)
{
	const struct fake_setting *s = find(fake_of(c), key);

	if (s && s->type != FAKE_STR)
		return wrong_type(key, "a string", err);
	const char *v = s ? s->str : dflt;
	*out = v ? strdup(v) : NULL;
	if (v && !*out)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return 0;
}

static int fake_cfg_int(const vlt_core_t *c, const char *key, int64_t dflt, int64_t *out,
			vlt_err_t *err)
{
	const struct fake_setting *s = find(fake_of(c), key);

	if (s && s->type != FAKE_INT)
		return wrong_type(key, "an integer", err);
	*out = s ? s->num : dflt;
	return 0;
}

static int fake_cfg_double(const vlt_core_t *c, const char *key, double dflt, double *out,
			   vlt_err_t *err)
{
	const struct fake_setting *s = find(fake_of(c), key);

	if (s && s->type != FAKE_INT)
		return wrong_type(key, "a number", err);
	*out = s ? (double)s->num : dflt;
	return 0;
}

static int fake_cfg_bool(const vlt_core_t *c, const char *key, bool dflt, bool *out,
			 vlt_err_t *err)
{
	const struct fake_setting *s = find(fake_of(c), key);

	if (s && s->type != FAKE_INT)
		return wrong_type(key, "a boolean", err);
	*out = s ? s->num != 0 : dflt;
	return 0;
}

static const char *fake_data_dir(const vlt_core_t *c)
{
	return fake_of(c)->data_dir;
}

store_fake_core_t *store_fake_core_new(const char *data_dir)
{
	store_fake_core_t *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	fc->core.abi_major = VLT_ABI_MAJOR;
	fc->core.abi_minor = VLT_ABI_MINOR;
	fc->core.priv = fc;
	fc->core.log = fake_log;
	fc->core.cfg_str = fake_cfg_str;
	fc->core.cfg_int = fake_cfg_int;
	fc->core.cfg_double = fake_cfg_double;
	fc->core.cfg_bool = fake_cfg_bool;
	fc->core.data_dir = fake_data_dir;
	pthread_mutex_init(&fc->log_lock, NULL);
	fc->data_dir = data_dir ? strdup(data_dir) : NULL;
	return fc;
}

void store_fake_core_free(store_fake_core_t *fc)
{
	if (!fc)
		return;
	for (size_t i = 0; i < fc->n_set; i++) {
		free(fc->set[i].key);
		free(fc->set[i].str);
	}
	pthread_mutex_destroy(&fc->log_lock);
	free(fc->log);
	free(fc->data_dir);
	free(fc);
}

static struct fake_setting *slot(store_fake_core_t *fc, const char *key)
{
	struct fake_setting *s = (struct fake_setting *)find(fc, key);

	if (s) {
		free(s->str);
		s->str = NULL;
		return s;
	}
	if (fc->n_set == FAKE_MAX_SETTINGS)
		abort(); /* a test asked for more than it should ever need */
	s = &fc->set[fc->n_set++];
	s->key = strdup(key);
	return s;
}

void store_fake_core_set_str(store_fake_core_t *fc, const char *key, const char *value)
{
	struct fake_setting *s = slot(fc, key);

	s->type = FAKE_STR;
	s->str = strdup(value);
}

void store_fake_core_set_int(store_fake_core_t *fc, const char *key, int64_t value)
{
	struct fake_setting *s = slot(fc, key);

	s->type = FAKE_INT;
	s->num = value;
}

const vlt_core_t *store_fake_core_api(store_fake_core_t *fc)
{
	return &fc->core;
}

const char *store_fake_core_log(const store_fake_core_t *fc)
{
	return fc->log ? fc->log : "";
}
