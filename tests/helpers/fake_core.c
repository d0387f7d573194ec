/*
 * fake_core.c - see fake_core.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valet/core.h>
#include <valet/errors.h>
#include <valet/plugin.h>

#include "dc.h"
#include "fake_core.h"

#define FAKE_MAX_KEYS 32
#define FAKE_LOG_LEN 1024

/* How a setting was given: text converts to any type, the others are typed. */
enum fake_type { FAKE_TEXT, FAKE_STR, FAKE_INT };

struct fake_setting {
	char *key;
	char *value; /* the text; a FAKE_INT's digits */
	enum fake_type type;
	bool read;
};

struct fake_log {
	int level;
	char *text;
};

struct fake_core {
	vlt_core_t api;
	struct fake_setting settings[FAKE_MAX_KEYS];
	size_t n_settings;
	char *data_dir;
	pthread_mutex_t log_lock; /* stores log from several threads at once */
	struct fake_log *logs;
	size_t n_logs, cap_logs;
};

static fake_core_t *fake_of(const vlt_core_t *c)
{
	return c->priv;
}

static void *must(void *p)
{
	if (p == NULL) {
		fprintf(stderr, "fake_core: out of memory\n");
		abort();
	}
	return p;
}

/* ---------------------------------------------------------------- log */

static void fake_log(const vlt_core_t *c, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append one line; the caller holds log_lock. A line lost to ENOMEM only weakens a test. */
static void log_append(fake_core_t *fc, int level, const char *line)
{
	if (fc->n_logs == fc->cap_logs) {
		size_t cap = fc->cap_logs == 0 ? 16 : fc->cap_logs * 2;
		struct fake_log *p = realloc(fc->logs, cap * sizeof(*p));

		if (p == NULL)
			return;
		fc->logs = p;
		fc->cap_logs = cap;
	}
	char *text = strdup(line);

	if (text == NULL)
		return;
	fc->logs[fc->n_logs].level = level;
	fc->logs[fc->n_logs].text = text;
	fc->n_logs++;
}

static void fake_log(const vlt_core_t *c, int level, const char *fmt, ...)
{
	fake_core_t *fc = fake_of(c);
	char line[FAKE_LOG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (getenv("FAKE_CORE_VERBOSE") != NULL)
		fprintf(stderr, "fake_core log %d: %s\n", level, line);
	pthread_mutex_lock(&fc->log_lock);
	log_append(fc, level, line);
	pthread_mutex_unlock(&fc->log_lock);
}

size_t fake_core_n_logs(const fake_core_t *fc)
{
	return fc->n_logs;
}

const char *fake_core_log_text(const fake_core_t *fc, size_t i)
{
	return i < fc->n_logs ? fc->logs[i].text : NULL;
}

int fake_core_log_level(const fake_core_t *fc, size_t i)
{
	return i < fc->n_logs ? fc->logs[i].level : -1;
}

size_t fake_core_n_logged(const fake_core_t *fc, int level, const char *needle)
{
	size_t n = 0;

	for (size_t i = 0; i < fc->n_logs; i++)
		if ((level < 0 || fc->logs[i].level == level) &&
		    strstr(fc->logs[i].text, needle) != NULL)
			n++;
	return n;
}

bool fake_core_logged(const fake_core_t *fc, int level, const char *needle)
{
	return fake_core_n_logged(fc, level, needle) > 0;
}

void fake_core_clear_logs(fake_core_t *fc)
{
	for (size_t i = 0; i < fc->n_logs; i++)
		free(fc->logs[i].text);
	fc->n_logs = 0;
}

void fake_core_print_logs(const fake_core_t *fc)
{
	fprintf(stderr, "fake_core: %zu log lines\n", fc->n_logs);
	for (size_t i = 0; i < fc->n_logs; i++)
		fprintf(stderr, "  %d %s\n", fc->logs[i].level, fc->logs[i].text);
}

/* ---------------------------------------------------------------- settings */

static struct fake_setting *find_setting(const fake_core_t *fc, const char *key)
{
	for (size_t i = 0; i < fc->n_settings; i++)
		if (strcmp(fc->settings[i].key, key) == 0)
			return (struct fake_setting *)&fc->settings[i];
	return NULL;
}

static void remove_setting(fake_core_t *fc, struct fake_setting *s)
{
	free(s->key);
	free(s->value);
	*s = fc->settings[--fc->n_settings];
}

/* Store key = value (value already a heap copy, taken over) of type. */
static int put_setting(fake_core_t *fc, const char *key, char *value, enum fake_type type)
{
	struct fake_setting *s = find_setting(fc, key);

	if (s == NULL) {
		if (fc->n_settings == FAKE_MAX_KEYS) {
			free(value);
			return VLT_E2BIG;
		}
		s = &fc->settings[fc->n_settings];
		*s = (struct fake_setting){ .key = strdup(key) };
		if (s->key == NULL) {
			free(value);
			return VLT_ENOMEM;
		}
		fc->n_settings++;
	}
	free(s->value);
	s->value = value;
	s->type = type;
	return 0;
}

int fake_core_set(fake_core_t *fc, const char *key, const char *text)
{
	if (text == NULL) {
		struct fake_setting *s = find_setting(fc, key);

		if (s != NULL)
			remove_setting(fc, s);
		return 0;
	}
	char *v = strdup(text);

	return v == NULL ? VLT_ENOMEM : put_setting(fc, key, v, FAKE_TEXT);
}

void fake_core_set_str(fake_core_t *fc, const char *key, const char *value)
{
	if (put_setting(fc, key, must(strdup(value)), FAKE_STR) != 0)
		abort(); /* more keys than a test should ever need */
}

void fake_core_set_int(fake_core_t *fc, const char *key, int64_t value)
{
	char digits[24];

	snprintf(digits, sizeof(digits), "%" PRId64, value);
	if (put_setting(fc, key, must(strdup(digits)), FAKE_INT) != 0)
		abort();
}

int fake_core_set_data_dir(fake_core_t *fc, const char *dir)
{
	char *d = strdup(dir);

	if (d == NULL)
		return VLT_ENOMEM;
	free(fc->data_dir);
	fc->data_dir = d;
	return 0;
}

bool fake_core_was_read(const fake_core_t *fc, const char *key)
{
	const struct fake_setting *s = find_setting(fc, key);

	return s != NULL && s->read;
}

static const char *type_name(enum fake_type t)
{
	return t == FAKE_STR ? "a string" : "an integer";
}

/*
 * The setting's text in *out (NULL when absent), marking it read. A typed
 * value of a type the lookup does not take (ok_str: strings, ok_int:
 * integers) fails with VLT_ECONFIG.
 */
static int lookup(const vlt_core_t *c, const char *key, const char *what, bool ok_str,
		  bool ok_int, const char **out, vlt_err_t *err)
{
	struct fake_setting *s = find_setting(fake_of(c), key);

	*out = NULL;
	if (s == NULL)
		return 0;
	s->read = true;
	if ((s->type == FAKE_STR && !ok_str) || (s->type == FAKE_INT && !ok_int))
		return vlt_err_set(err, VLT_ECONFIG, "setting '%s': expected %s, got %s", key,
				   what, type_name(s->type));
	*out = s->value;
	return 0;
}

static int bad_value(vlt_err_t *err, const char *key, const char *what, const char *value)
{
	return vlt_err_set(err, VLT_ECONFIG, "setting '%s': expected %s, got '%s'", key, what,
			   value);
}

static int fake_cfg_str(const vlt_core_t *c, const char *key, const char *dflt, char **out,
			vlt_err_t *err)
{
	const char *v;
	int rc = lookup(c, key, "a string", true, false, &v, err);

	*out = NULL;
	if (rc != 0)
		return rc;
	if (v == NULL)
		v = dflt;
	if (v == NULL)
		return 0;
	*out = strdup(v);
	return *out == NULL ? vlt_err_set(err, VLT_ENOMEM, "out of memory") : 0;
}

static int fake_cfg_int(const vlt_core_t *c, const char *key, int64_t dflt, int64_t *out,
			vlt_err_t *err)
{
	const char *v;
	char *end;

	*out = dflt;
	int rc = lookup(c, key, "an integer", false, true, &v, err);

	if (rc != 0 || v == NULL)
		return rc;
	errno = 0;
	long long n = strtoll(v, &end, 10);

	if (errno != 0 || end == v || *end != '\0')
		return bad_value(err, key, "an integer", v);
	*out = n;
	return 0;
}

/* An integer is a number too, as in the configuration file. */
static int fake_cfg_double(const vlt_core_t *c, const char *key, double dflt, double *out,
			   vlt_err_t *err)
{
	const char *v;
	char *end;

	*out = dflt;
	int rc = lookup(c, key, "a number", false, true, &v, err);

	if (rc != 0 || v == NULL)
		return rc;
	errno = 0;
	double d = strtod(v, &end);

	if (errno != 0 || end == v || *end != '\0' || !isfinite(d))
		return bad_value(err, key, "a number", v);
	*out = d;
	return 0;
}

static int fake_cfg_bool(const vlt_core_t *c, const char *key, bool dflt, bool *out,
			 vlt_err_t *err)
{
	const char *v;

	*out = dflt;
	int rc = lookup(c, key, "true or false", false, false, &v, err);

	if (rc != 0 || v == NULL)
		return rc;
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return bad_value(err, key, "true or false", v);
	return 0;
}

static const char *fake_data_dir(const vlt_core_t *c)
{
	return fake_of(c)->data_dir;
}

/* ---------------------------------------------------------------- life */

fake_core_t *fake_core_new(void)
{
	fake_core_t *fc = must(calloc(1, sizeof(*fc)));

	fc->data_dir = must(strdup("."));
	pthread_mutex_init(&fc->log_lock, NULL);
	fc->api = (vlt_core_t){
		.abi_major = VLT_ABI_MAJOR,
		.abi_minor = VLT_ABI_MINOR,
		.self_id = 0,
		.priv = fc,
		.log = fake_log,
		.cfg_str = fake_cfg_str,
		.cfg_int = fake_cfg_int,
		.cfg_double = fake_cfg_double,
		.cfg_bool = fake_cfg_bool,
		.data_dir = fake_data_dir,
		.dc_set_name = vlt__dc_set_name,
		.dc_set_defaults = vlt__dc_set_defaults,
		.dc_add_cluster = vlt__dc_add_cluster,
		.dc_add_rack = vlt__dc_add_rack,
		.dc_add_aggregate = vlt__dc_add_aggregate,
		.dc_add_host = vlt__dc_add_host,
		.dc_add_pool = vlt__dc_add_pool,
		.dc_add_flavor = vlt__dc_add_flavor,
		.dc_add_consumer = vlt__dc_add_consumer,
		.dc_set_host_limits = vlt__dc_set_host_limits,
		.dc_set_host_traits = vlt__dc_set_host_traits,
		.dc_set_host_uuid = vlt__dc_set_host_uuid,
		.dc_set_host_nic = vlt__dc_set_host_nic,
		.dc_set_host_class = vlt__dc_set_host_class,
		.dc_add_consumer_class = vlt__dc_add_consumer_class,
	};
	return fc;
}

void fake_core_free(fake_core_t *fc)
{
	if (fc == NULL)
		return;
	while (fc->n_settings > 0)
		remove_setting(fc, &fc->settings[0]);
	fake_core_clear_logs(fc);
	free(fc->logs);
	pthread_mutex_destroy(&fc->log_lock);
	free(fc->data_dir);
	free(fc);
}

const vlt_core_t *fake_core_api(fake_core_t *fc)
{
	return &fc->api;
}

vlt_core_t *fake_core_table(fake_core_t *fc)
{
	return &fc->api;
}
