/*
 * config.c - valet's configuration, read with libconfig 1.5.
 *
 * The file is checked as a whole when it is loaded: every key the core
 * owns must be known and of the right type and range, and every module
 * group must belong to a module the file loads. Keys inside a module group
 * belong to that module; they are checked after its init, from the list of
 * keys it asked for (vlt__cfg_check_unknown).
 *
 * Every error names the file, the line and the setting's full path:
 *   "valet.conf:3: setting 'server.threads': must be between 1 and 256".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <valet/core.h>

#include "config.h"
#include "log.h"

#define THREADS_MAX 256
#define MAX_BODY_KB_MAX (1024 * 1024) /* 1 GiB */
#define SHUTDOWN_GRACE_MAX 3600
#define HOLD_TTL_MAX (366LL * 24 * 3600) /* a year */
#define DECISION_RETENTION_DEFAULT (30LL * 24 * 3600)
#define DECISION_RETENTION_MAX (10LL * 366 * 24 * 3600) /* ten years */
#define SNAPSHOT_EVERY_DEFAULT 10000
#define SNAPSHOT_EVERY_MAX 100000000LL
#define RETRIES_MAX 1000
#define REFRESH_MAX (24LL * 3600) /* a day */
#define LEASE_DEFAULT 10
#define LEASE_MAX 3600 /* an hour: longer, a crashed holder stops the periodic work too long */
#define CONNECTIONS_MAX 65536
#define TIMEOUT_MAX 3600
/* The request head must fit libmicrohttpd's per-connection memory (http.c). */
#define MAX_HEADER_KB_MAX 32
#define QUERY_ARGS_MAX 1024
#define PLAN_RESOURCES_MAX 1000000
#define GROUP_MEMBERS_MAX 1000000
#define MODULE_NAME_MAX 48            /* "kind/name" must fit vlt_module_t.prefix */

/* ---------------------------------------------------------------- helpers */

static void free_names(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* OUT *names - a new array of n heap copies; RET 0 or VLT_ENOMEM. */
static int copy_names(const char *const *src, size_t n, char ***names)
{
	char **v = calloc(n > 0 ? n : 1, sizeof(*v));

	if (v == NULL)
		return VLT_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(src[i]);
		if (v[i] == NULL) {
			free_names(v, i);
			return VLT_ENOMEM;
		}
	}
	*names = v;
	return 0;
}

bool vlt__config_is_module_name(const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > MODULE_NAME_MAX)
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return true;
}

/* "server.threads", "modules.sources[1]": the setting's full path. */
static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t used;

	buf[0] = '\0';
	if (parent == NULL)
		return;
	setting_path(parent, buf, len);
	used = strlen(buf);
	if (config_setting_name(s) != NULL)
		snprintf(buf + used, len - used, "%s%s", used > 0 ? "." : "",
			 config_setting_name(s));
	else
		snprintf(buf + used, len - used, "[%d]", config_setting_index(s));
}

/*
 * The file a setting comes from. libconfig records an @include'd file as
 * written in the directive; it was opened relative to the include folder.
 */
static const char *setting_file(const vlt_config_t *cfg, const config_setting_t *s, char *buf,
				size_t len)
{
	const char *file = config_setting_source_file(s);
	const char *dir = config_get_include_dir(&cfg->lc);

	if (file == NULL)
		return cfg->file != NULL ? cfg->file : "(configuration)";
	if (file[0] == '/' || dir == NULL || (cfg->file != NULL && strcmp(file, cfg->file) == 0))
		return file;
	snprintf(buf, len, "%s/%s", dir, file);
	return buf;
}

/* "FILE:LINE: setting 'PATH': <why>", VLT_ECONFIG. */
__attribute__((format(printf, 4, 5))) static int
setting_error(vlt_err_t *err, const vlt_config_t *cfg, const config_setting_t *s,
	      const char *fmt, ...)
{
	char path[256], file[256];
	char why[VLT_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	setting_path(s, path, sizeof(path));
	return vlt_err_set(err, VLT_ECONFIG, "%s:%u: setting '%s': %s",
			   setting_file(cfg, s, file, sizeof(file)), config_setting_source_line(s),
			   path, why);
}

/* "--option PATH=VALUE: <why>", VLT_ECONFIG. */
__attribute__((format(printf, 3, 4))) static int
override_error(vlt_err_t *err, const vlt_override_t *ov, const char *fmt, ...)
{
	char why[VLT_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ov->flag != NULL)
		return vlt_err_set(err, VLT_ECONFIG, "%s: %s", ov->flag, why);
	return vlt_err_set(err, VLT_ECONFIG, "--option %s=%s: %s", ov->path, ov->value, why);
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "nothing";
	}
}

static int want_string(const vlt_config_t *cfg, const config_setting_t *s, const char **out,
		       vlt_err_t *err)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return setting_error(err, cfg, s, "must be a string, not %s",
				     type_name(config_setting_type(s)));
	*out = config_setting_get_string(s);
	return 0;
}

static int want_int(const vlt_config_t *cfg, const config_setting_t *s, long long min,
		    long long max, long long *out, vlt_err_t *err)
{
	long long v = 0;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return setting_error(err, cfg, s, "must be an integer, not %s",
				     type_name(config_setting_type(s)));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return setting_error(err, cfg, s, "must be between %lld and %lld", min, max);
	*out = v;
	return 0;
}

static int want_bool(const vlt_config_t *cfg, const config_setting_t *s, bool *out,
		     vlt_err_t *err)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return setting_error(err, cfg, s, "must be true or false, not %s",
				     type_name(config_setting_type(s)));
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int want_group(const vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	if (!config_setting_is_group(s))
		return setting_error(err, cfg, s, "must be a group { ... }, not %s",
				     type_name(config_setting_type(s)));
	return 0;
}

static int check_module_name(const vlt_config_t *cfg, const config_setting_t *s,
			     const char *name, vlt_err_t *err)
{
	if (name[0] == '\0')
		return setting_error(err, cfg, s, "a module name must not be empty");
	if (strlen(name) > MODULE_NAME_MAX)
		return setting_error(err, cfg, s, "module name '%s' is longer than %d characters",
				     name, MODULE_NAME_MAX);
	if (!vlt__config_is_module_name(name))
		return setting_error(err, cfg, s,
				     "module name '%s' must use only a-z, 0-9 and '_'", name);
	return 0;
}

/*
 * A list or array of strings. OUT *names, *n - replaced (the old array is
 * freed) only on success. module_names: each must be a module name.
 */
static int want_names(const vlt_config_t *cfg, const config_setting_t *s, bool module_names,
		      char ***names, size_t *n, vlt_err_t *err)
{
	const char **tmp;
	char **copy;
	int count, rc;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return setting_error(err, cfg, s,
				     "must be a list of strings [ \"...\", ... ], not %s",
				     type_name(config_setting_type(s)));
	count = config_setting_length(s);
	tmp = calloc(count > 0 ? (size_t)count : 1, sizeof(*tmp));
	if (tmp == NULL)
		return VLT_ENOMEM;
	for (int i = 0; i < count; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		rc = want_string(cfg, e, &tmp[i], err);
		if (rc == 0 && module_names)
			rc = check_module_name(cfg, e, tmp[i], err);
		if (rc == 0 && tmp[i][0] == '\0')
			rc = setting_error(err, cfg, e, "must not be empty");
		if (rc < 0) {
			free(tmp);
			return rc;
		}
	}
	rc = copy_names(tmp, (size_t)count, &copy);
	free(tmp);
	if (rc < 0)
		return rc;
	free_names(*names, *n);
	*names = copy;
	*n = (size_t)count;
	return 0;
}

static int replace_str(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL) {
		copy = strdup(value);
		if (copy == NULL)
			return VLT_ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* ---------------------------------------------------------------- listen address */

/* A DNS name: dot-separated labels of letters, digits and '-', not all digits. */
static bool is_host_name(const char *h)
{
	size_t label = 0;
	bool letter = false;

	if (strlen(h) > 253)
		return false;
	for (const char *p = h;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return letter;
			label = 0;
			continue;
		}
		if (*p == '-' && label == 0)
			return false;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-')
			letter = true;
		else if (!(*p >= '0' && *p <= '9'))
			return false;
		label++;
	}
}

/*
 * "ADDRESS:PORT" where ADDRESS is an IPv4 address, a host name, or an IPv6
 * address in brackets ("[::1]:8090"); port 0 asks for any free port.
 * OUT *host - a new string (IPv6 without its brackets). On a bad value RET
 * VLT_EINVAL with the reason in why.
 */
static int parse_listen(const char *text, char **host, uint16_t *port, char *why, size_t len)
{
	const char *colon = strrchr(text, ':');
	const char *hs = text, *he;
	unsigned char bin[16];
	char addr[256];
	unsigned long p;
	size_t plen;

	if (colon == NULL) {
		snprintf(why, len, "'%s' must be ADDRESS:PORT, e.g. 127.0.0.1:8090", text);
		return VLT_EINVAL;
	}
	he = colon;
	if (text[0] == '[') {
		hs = text + 1;
		he = colon > text && colon[-1] == ']' ? colon - 1 : NULL;
		if (he == NULL) {
			snprintf(why, len, "'%s': an IPv6 address is written [ADDRESS]:PORT", text);
			return VLT_EINVAL;
		}
	}
	plen = strlen(colon + 1);
	if (plen == 0 || plen > 5 || strspn(colon + 1, "0123456789") != plen ||
	    (p = strtoul(colon + 1, NULL, 10)) > 65535) {
		snprintf(why, len, "'%s': the port must be a number between 0 and 65535", text);
		return VLT_EINVAL;
	}
	if (he == hs) {
		snprintf(why, len, "'%s' has no address before the port", text);
		return VLT_EINVAL;
	}
	if ((size_t)(he - hs) >= sizeof(addr)) {
		snprintf(why, len, "'%s': the address is too long", text);
		return VLT_EINVAL;
	}
	memcpy(addr, hs, (size_t)(he - hs));
	addr[he - hs] = '\0';
	if (hs != text) {
		if (inet_pton(AF_INET6, addr, bin) != 1) {
			snprintf(why, len, "'%s': '%s' is not an IPv6 address", text, addr);
			return VLT_EINVAL;
		}
	} else if (strchr(addr, ':') != NULL) {
		snprintf(why, len, "'%s': write an IPv6 address in brackets, e.g. [::1]:8090",
			 text);
		return VLT_EINVAL;
	} else if (inet_pton(AF_INET, addr, bin) != 1 && !is_host_name(addr)) {
		snprintf(why, len, "'%s': '%s' is neither an IPv4 address nor a host name", text,
			 addr);
		return VLT_EINVAL;
	}
	*host = strdup(addr);
	if (*host == NULL)
		return VLT_ENOMEM;
	*port = (uint16_t)p;
	return 0;
}

int vlt__config_set_listen(vlt_config_t *cfg, const char *host_port, vlt_err_t *err)
{
	char why[VLT_ERR_MSG_MAX];
	char *host = NULL;
	uint16_t port = 0;
	int rc;

	if (host_port == NULL)
		return vlt_err_set(err, VLT_ECONFIG, "listen address: missing");
	rc = parse_listen(host_port, &host, &port, why, sizeof(why));
	if (rc == VLT_ENOMEM)
		return vlt_err_set(err, rc, "listen address: out of memory");
	if (rc < 0)
		return vlt_err_set(err, VLT_ECONFIG, "listen address %s", why);
	free(cfg->listen_host);
	cfg->listen_host = host;
	cfg->listen_port = port;
	return 0;
}

int vlt__config_set_str(char **field, const char *value)
{
	return replace_str(field, value);
}

/* ---------------------------------------------------------------- defaults */

static int set_defaults(vlt_config_t *cfg)
{
	static const char *const sources[] = { "static" };
	static const char *const policies[] = { "affinity", "diversity", "exclusivity" };
	int rc = 0;

	cfg->listen_port = 8090;
	cfg->threads = 4;
	cfg->max_body_bytes = 1024 * 1024;
	cfg->max_connections = VLT_DEFAULT_MAX_CONNECTIONS;
	cfg->max_client_connections = VLT_DEFAULT_MAX_CLIENT_CONNECTIONS;
	cfg->header_timeout_s = VLT_DEFAULT_HEADER_TIMEOUT_S;
	cfg->request_timeout_s = VLT_DEFAULT_REQUEST_TIMEOUT_S;
	cfg->idle_timeout_s = VLT_DEFAULT_IDLE_TIMEOUT_S;
	cfg->max_header_bytes = VLT_DEFAULT_MAX_HEADER_BYTES;
	cfg->max_url_bytes = VLT_DEFAULT_MAX_URL_BYTES;
	cfg->max_query_args = VLT_DEFAULT_MAX_QUERY_ARGS;
	cfg->max_resources = VLT_DEFAULT_MAX_RESOURCES;
	cfg->max_members = VLT_DEFAULT_MAX_MEMBERS;
	cfg->log_level = VLT_LOG_INFO;
	cfg->log_syslog = false;
	cfg->hold_ttl_s = 3600;
	cfg->decision_retention_s = DECISION_RETENTION_DEFAULT;
	cfg->lease_s = LEASE_DEFAULT;
	cfg->snapshot_every = SNAPSHOT_EVERY_DEFAULT;
	cfg->max_retries = 8;
	rc = replace_str(&cfg->listen_host, "127.0.0.1");
	if (rc == 0)
		rc = replace_str(&cfg->data_dir, "valet-data");
	if (rc == 0)
		rc = replace_str(&cfg->solver, "ostro");
	if (rc == 0)
		rc = replace_str(&cfg->store, "sqlite");
	if (rc == 0)
		rc = replace_str(&cfg->notify_url, "amqp://guest:guest@127.0.0.1:5672/");
	if (rc == 0)
		rc = replace_str(&cfg->notify_exchange, "nova");
	if (rc == 0)
		rc = replace_str(&cfg->notify_topic, "versioned_notifications");
	if (rc == 0)
		rc = replace_str(&cfg->notify_queue, "valet.versioned_notifications");
	if (rc == 0)
		rc = copy_names(sources, 1, &cfg->sources);
	if (rc == 0) {
		cfg->n_sources = 1;
		rc = copy_names(policies, 3, &cfg->policies);
	}
	if (rc == 0) {
		cfg->n_policies = 3;
		rc = copy_names(NULL, 0, &cfg->module_path);
	}
	return rc;
}

/* ---------------------------------------------------------------- the file */

typedef int (*apply_fn)(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err);

struct key {
	const char *name;
	apply_fn apply; /* NULL: checked later (module groups) */
};

/* Walk a group's members, refusing unknown keys and applying known ones. */
static int apply_group(vlt_config_t *cfg, const config_setting_t *g, const struct key *keys,
		       size_t n_keys, vlt_err_t *err)
{
	int rc = want_group(cfg, g, err);

	for (int i = 0; rc == 0 && i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const struct key *k = NULL;
		char known[256] = "";

		for (size_t j = 0; j < n_keys; j++) {
			size_t used = strlen(known);

			if (strcmp(keys[j].name, config_setting_name(s)) == 0)
				k = &keys[j];
			snprintf(known + used, sizeof(known) - used, "%s%s", j > 0 ? ", " : "",
				 keys[j].name);
		}
		if (k == NULL)
			return setting_error(err, cfg, s, "unknown setting (known here: %s)",
					     known);
		if (k->apply != NULL)
			rc = k->apply(cfg, s, err);
	}
	return rc;
}

static int apply_listen(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	char why[VLT_ERR_MSG_MAX];
	const char *text = NULL;
	char *host = NULL;
	uint16_t port;
	int rc = want_string(cfg, s, &text, err);

	if (rc < 0)
		return rc;
	rc = parse_listen(text, &host, &port, why, sizeof(why));
	if (rc == VLT_ENOMEM)
		return rc;
	if (rc < 0)
		return setting_error(err, cfg, s, "%s", why);
	free(cfg->listen_host);
	cfg->listen_host = host;
	cfg->listen_port = port;
	return 0;
}

static int apply_threads(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 1, THREADS_MAX, &v, err);

	if (rc == 0)
		cfg->threads = (unsigned)v;
	return rc;
}

static int apply_max_body(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 1, MAX_BODY_KB_MAX, &v, err);

	if (rc == 0)
		cfg->max_body_bytes = (size_t)v * 1024;
	return rc;
}

/* A TLS file: a path, read when the server starts (so its errors name the file then). */
static int apply_tls_file(const vlt_config_t *cfg, const config_setting_t *s, char **field,
			  vlt_err_t *err)
{
	const char *text = NULL;
	int rc = want_string(cfg, s, &text, err);

	if (rc == 0 && text[0] == '\0')
		rc = setting_error(err, cfg, s, "must name a file");
	if (rc == 0 && replace_str(field, text) < 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return rc;
}

static int apply_tls_cert(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_tls_file(cfg, s, &cfg->tls_cert, err);
}

static int apply_tls_key(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_tls_file(cfg, s, &cfg->tls_key, err);
}

static int apply_tls_client_ca(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_tls_file(cfg, s, &cfg->tls_client_ca, err);
}

static int apply_dashboard_dir(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	const char *text = NULL;
	int rc = want_string(cfg, s, &text, err);

	return rc < 0 ? rc : replace_str(&cfg->dashboard_dir, text);
}

/* An integer setting between lo and hi stored times scale into field of cfg. */
#define APPLY_COUNT(fn, field, lo, hi, scale)                                             \
	static int fn(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)       \
	{                                                                                 \
		long long v = 0;                                                          \
		int rc = want_int(cfg, s, lo, hi, &v, err);                               \
		if (rc == 0)                                                              \
			cfg->field = (unsigned)v * (scale);                                \
		return rc;                                                                \
	}

APPLY_COUNT(apply_max_connections, max_connections, 1, CONNECTIONS_MAX, 1)
APPLY_COUNT(apply_max_client_connections, max_client_connections, 1, CONNECTIONS_MAX, 1)
APPLY_COUNT(apply_header_timeout, header_timeout_s, 1, TIMEOUT_MAX, 1)
APPLY_COUNT(apply_request_timeout, request_timeout_s, 1, TIMEOUT_MAX, 1)
APPLY_COUNT(apply_idle_timeout, idle_timeout_s, 1, TIMEOUT_MAX, 1)
APPLY_COUNT(apply_max_header, max_header_bytes, 1, MAX_HEADER_KB_MAX, 1024)
APPLY_COUNT(apply_max_url, max_url_bytes, 1, MAX_HEADER_KB_MAX, 1024)
APPLY_COUNT(apply_max_query_args, max_query_args, 1, QUERY_ARGS_MAX, 1)
APPLY_COUNT(apply_max_resources, max_resources, 1, PLAN_RESOURCES_MAX, 1)
APPLY_COUNT(apply_max_members, max_members, 1, GROUP_MEMBERS_MAX, 1)

static int apply_keep_alive(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return want_bool(cfg, s, &cfg->keep_alive, err);
}

static int apply_shutdown_grace(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 0, SHUTDOWN_GRACE_MAX, &v, err);

	if (rc == 0)
		cfg->shutdown_grace_s = v;
	return rc;
}

static int apply_server(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	static const struct key keys[] = {
		{ "listen", apply_listen },
		{ "threads", apply_threads },
		{ "max_body_kb", apply_max_body },
		{ "dashboard_dir", apply_dashboard_dir },
		{ "max_connections", apply_max_connections },
		{ "max_client_connections", apply_max_client_connections },
		{ "header_timeout_s", apply_header_timeout },
		{ "request_timeout_s", apply_request_timeout },
		{ "idle_timeout_s", apply_idle_timeout },
		{ "max_header_kb", apply_max_header },
		{ "max_url_kb", apply_max_url },
		{ "max_query_args", apply_max_query_args },
		{ "keep_alive", apply_keep_alive },
		{ "shutdown_grace_s", apply_shutdown_grace },
		{ "tls_cert", apply_tls_cert },
		{ "tls_key", apply_tls_key },
		{ "tls_client_ca", apply_tls_client_ca },
	};

	return apply_group(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err);
}

static int apply_hold_ttl(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 0, HOLD_TTL_MAX, &v, err);

	if (rc == 0)
		cfg->hold_ttl_s = v;
	return rc;
}

static int apply_max_retries(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 1, RETRIES_MAX, &v, err);

	if (rc == 0)
		cfg->max_retries = (unsigned)v;
	return rc;
}

static int apply_refresh(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 0, REFRESH_MAX, &v, err);

	if (rc == 0)
		cfg->refresh_s = v;
	return rc;
}

static int apply_max_stale(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 0, HOLD_TTL_MAX, &v, err);

	if (rc == 0)
		cfg->max_stale_s = v;
	return rc;
}

static int apply_decision_retention(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 0, DECISION_RETENTION_MAX, &v, err);

	if (rc == 0)
		cfg->decision_retention_s = v;
	return rc;
}

static int apply_lease(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 0, LEASE_MAX, &v, err);

	if (rc == 0)
		cfg->lease_s = v;
	return rc;
}

static int apply_snapshot_every(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	long long v = 0;
	int rc = want_int(cfg, s, 0, SNAPSHOT_EVERY_MAX, &v, err);

	if (rc == 0)
		cfg->snapshot_every = (uint64_t)v;
	return rc;
}

static int apply_service(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	static const struct key keys[] = {
		{ "hold_ttl_s", apply_hold_ttl },
		{ "max_retries", apply_max_retries },
		{ "refresh_s", apply_refresh },
		{ "max_stale_s", apply_max_stale },
		{ "max_resources", apply_max_resources },
		{ "max_members", apply_max_members },
		{ "decision_retention_s", apply_decision_retention },
		{ "lease_s", apply_lease },
		{ "snapshot_every", apply_snapshot_every },
	};

	return apply_group(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err);
}

static int apply_notify_enabled(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return want_bool(cfg, s, &cfg->notify_enabled, err);
}

static int apply_notify_durable(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return want_bool(cfg, s, &cfg->notify_exchange_durable, err);
}

/* A notifications string that may not be empty. */
static int apply_notify_str(vlt_config_t *cfg, const config_setting_t *s, char **field,
			    vlt_err_t *err)
{
	const char *text = NULL;
	int rc = want_string(cfg, s, &text, err);

	if (rc < 0)
		return rc;
	if (text[0] == '\0')
		return setting_error(err, cfg, s, "must not be empty");
	return replace_str(field, text);
}

static int apply_notify_url(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	const char *text = config_setting_get_string(s);

	/* TLS to the broker (amqps://) is not supported yet: refused rather than sent in clear */
	if (text != NULL && strncmp(text, "amqp://", 7) != 0)
		return setting_error(err, cfg, s, "'%s' is not an amqp:// URL", text);
	return apply_notify_str(cfg, s, &cfg->notify_url, err);
}

static int apply_notify_exchange(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_notify_str(cfg, s, &cfg->notify_exchange, err);
}

static int apply_notify_topic(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_notify_str(cfg, s, &cfg->notify_topic, err);
}

static int apply_notify_queue(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_notify_str(cfg, s, &cfg->notify_queue, err);
}

static int apply_notifications(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	static const struct key keys[] = {
		{ "enabled", apply_notify_enabled },	{ "url", apply_notify_url },
		{ "exchange", apply_notify_exchange },	{ "topic", apply_notify_topic },
		{ "queue", apply_notify_queue },	{ "exchange_durable", apply_notify_durable },
	};

	return apply_group(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err);
}

static int apply_level(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	const char *text = NULL;
	int rc = want_string(cfg, s, &text, err);
	int level;

	if (rc < 0)
		return rc;
	level = vlt__log_level_parse(text);
	if (level < 0)
		return setting_error(err, cfg, s,
				     "unknown log level '%s' "
				     "(use err, warning, notice, info or debug)",
				     text);
	cfg->log_level = level;
	return 0;
}

static int apply_syslog(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return want_bool(cfg, s, &cfg->log_syslog, err);
}

static int apply_log_file(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	const char *text = NULL;
	int rc = want_string(cfg, s, &text, err);

	if (rc < 0)
		return rc;
	/* "" is the default spelled out: stderr */
	return replace_str(&cfg->log_file, text[0] == '\0' ? NULL : text);
}

static int apply_log(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	static const struct key keys[] = {
		{ "level", apply_level },
		{ "syslog", apply_syslog },
		{ "file", apply_log_file },
	};

	return apply_group(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err);
}

static int apply_data_dir(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	const char *text = NULL;
	int rc = want_string(cfg, s, &text, err);

	if (rc < 0)
		return rc;
	if (text[0] == '\0')
		return setting_error(err, cfg, s, "must not be empty");
	return replace_str(&cfg->data_dir, text);
}

static int apply_path(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return want_names(cfg, s, false, &cfg->module_path, &cfg->n_module_path, err);
}

static int apply_sources(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return want_names(cfg, s, true, &cfg->sources, &cfg->n_sources, err);
}

static int apply_policies(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return want_names(cfg, s, true, &cfg->policies, &cfg->n_policies, err);
}

static int apply_module_str(vlt_config_t *cfg, const config_setting_t *s, char **field,
			    vlt_err_t *err)
{
	const char *text = NULL;
	int rc = want_string(cfg, s, &text, err);

	if (rc == 0)
		rc = check_module_name(cfg, s, text, err);
	if (rc == 0)
		rc = replace_str(field, text);
	return rc;
}

static int apply_solver(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_module_str(cfg, s, &cfg->solver, err);
}

static int apply_store(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	return apply_module_str(cfg, s, &cfg->store, err);
}

static int apply_modules(vlt_config_t *cfg, const config_setting_t *s, vlt_err_t *err)
{
	static const struct key keys[] = {
		{ "path", apply_path },
		{ "sources", apply_sources },
		{ "policies", apply_policies },
		{ "solver", apply_solver },
		{ "store", apply_store },
	};

	return apply_group(cfg, s, keys, sizeof(keys) / sizeof(keys[0]), err);
}

static bool name_listed(const char *name, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

/*
 * source: { static: { ... }; }: each member must be a group for a module
 * the file loads. Its keys are the module's, checked after its init.
 */
static int check_module_groups(const vlt_config_t *cfg, const char *kind, const char *list,
			       char *const *names, size_t n, vlt_err_t *err)
{
	const config_setting_t *g = config_lookup(&cfg->lc, kind);
	int rc;

	if (g == NULL)
		return 0;
	rc = want_group(cfg, g, err);
	for (int i = 0; rc == 0 && i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		char listed[256] = "";

		rc = want_group(cfg, m, err);
		if (rc < 0)
			break;
		if (name_listed(config_setting_name(m), names, n))
			continue;
		for (size_t j = 0; j < n; j++) {
			size_t used = strlen(listed);

			snprintf(listed + used, sizeof(listed) - used, "%s'%s'", j > 0 ? ", " : "",
				 names[j]);
		}
		return setting_error(err, cfg, m,
				     "configures a module that is not loaded (%s: %s)", list,
				     n > 0 ? listed : "none");
	}
	return rc;
}

static int apply_root(vlt_config_t *cfg, vlt_err_t *err)
{
	static const struct key keys[] = {
		{ "server", apply_server },   { "log", apply_log },
		{ "data_dir", apply_data_dir }, { "modules", apply_modules },
		{ "service", apply_service },
		{ "notifications", apply_notifications },
		{ "auth", NULL }, /* read by the API's auth (core/api/auth.c) */
		{ "source", NULL },           { "policy", NULL },
		{ "solver", NULL },           { "store", NULL },
	};
	char *store[1];
	const config_setting_t *g;
	int rc;

	rc = apply_group(cfg, config_root_setting(&cfg->lc), keys, sizeof(keys) / sizeof(keys[0]),
			 err);
	/* after the whole file: `modules` may come after the module groups */
	store[0] = cfg->store;
	if (rc == 0)
		rc = check_module_groups(cfg, "source", "modules.sources", cfg->sources,
					 cfg->n_sources, err);
	if (rc == 0)
		rc = check_module_groups(cfg, "policy", "modules.policies", cfg->policies,
					 cfg->n_policies, err);
	/* solver groups: only their shape here, see vlt__config_check_solvers */
	g = config_lookup(&cfg->lc, "solver");
	if (rc == 0 && g != NULL)
		rc = want_group(cfg, g, err);
	for (int i = 0; rc == 0 && g != NULL && i < config_setting_length(g); i++)
		rc = want_group(cfg, config_setting_get_elem(g, (unsigned)i), err);
	if (rc == 0)
		rc = check_module_groups(cfg, "store", "modules.store", store,
					 cfg->store != NULL, err);
	return rc;
}

int vlt__config_check_solvers(const vlt_config_t *cfg, const char *const *extra,
			      size_t n_extra, vlt_err_t *err)
{
	char **names = calloc(n_extra + 1, sizeof(*names));
	size_t n = 0;
	int rc;

	if (names == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (cfg->solver != NULL)
		names[n++] = cfg->solver;
	for (size_t i = 0; extra != NULL && i < n_extra; i++)
		names[n++] = (char *)extra[i];
	rc = 0;
	if (cfg->lc.root != NULL)
		rc = check_module_groups(cfg, "solver", "solvers loaded", names, n, err);
	free(names);
	return rc;
}

static int read_file(vlt_config_t *cfg, vlt_err_t *err)
{
	FILE *f = fopen(cfg->file, "r");
	char *dir, *slash;
	struct stat st;

	if (f == NULL)
		return vlt_err_set(err, VLT_ECONFIG, "%s: cannot read: %s", cfg->file,
				   strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return vlt_err_set(err, VLT_ECONFIG, "%s: cannot read: %s", cfg->file,
				   strerror(EISDIR));
	}
	fclose(f);

	/* @include "x.conf" resolves next to the file, not the working directory */
	dir = strdup(cfg->file);
	if (dir == NULL)
		return VLT_ENOMEM;
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		config_set_include_dir(&cfg->lc, slash == dir ? "/" : dir);
	}
	free(dir);

	if (config_read_file(&cfg->lc, cfg->file) != CONFIG_TRUE) {
		const char *file = config_error_file(&cfg->lc);

		if (config_error_type(&cfg->lc) == CONFIG_ERR_FILE_IO)
			return vlt_err_set(err, VLT_ECONFIG, "%s: cannot read: %s",
					   file != NULL ? file : cfg->file,
					   config_error_text(&cfg->lc));
		return vlt_err_set(err, VLT_ECONFIG, "%s:%d: %s", file != NULL ? file : cfg->file,
				   config_error_line(&cfg->lc), config_error_text(&cfg->lc));
	}
	return 0;
}

int vlt__config_load(vlt_config_t *cfg, const char *path, vlt_err_t *err)
{
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	config_init(&cfg->lc);
	rc = set_defaults(cfg);
	if (rc == 0 && path != NULL) {
		rc = replace_str(&cfg->file, path);
		if (rc == 0)
			rc = read_file(cfg, err);
		if (rc == 0)
			rc = apply_root(cfg, err);
	}
	if (rc == VLT_ENOMEM)
		vlt_err_set(err, rc, "%s: out of memory", path != NULL ? path : "configuration");
	if (rc < 0)
		vlt__config_free(cfg);
	return rc;
}

void vlt__config_free(vlt_config_t *cfg)
{
	if (cfg == NULL)
		return;
	/* config_init makes the root: a zeroed vlt_config_t has none to destroy */
	if (cfg->lc.root != NULL)
		config_destroy(&cfg->lc);
	free(cfg->file);
	free(cfg->listen_host);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->tls_client_ca);
	free(cfg->data_dir);
	free(cfg->log_file);
	free(cfg->dashboard_dir);
	free_names(cfg->module_path, cfg->n_module_path);
	free_names(cfg->sources, cfg->n_sources);
	free_names(cfg->policies, cfg->n_policies);
	free(cfg->solver);
	free(cfg->store);
	free(cfg->notify_url);
	free(cfg->notify_exchange);
	free(cfg->notify_topic);
	free(cfg->notify_queue);
	for (size_t i = 0; i < cfg->n_overrides; i++) {
		free(cfg->overrides[i].path);
		free(cfg->overrides[i].value);
		free(cfg->overrides[i].flag);
	}
	free(cfg->overrides);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---------------------------------------------------------------- overrides */

static bool is_kind(const char *s, size_t len)
{
	static const char *const kinds[] = { "source", "policy", "solver", "store" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strlen(kinds[i]) == len && strncmp(kinds[i], s, len) == 0)
			return true;
	}
	return false;
}

static int add_override(vlt_config_t *cfg, const char *path, const char *value,
			const char *flag);

int vlt__config_add_override(vlt_config_t *cfg, const char *path, const char *value)
{
	return add_override(cfg, path, value, NULL);
}

/* The names of the modules of kind that cfg loads: *names, *n. RET 0 or VLT_EINVAL. */
static int loaded_of_kind(vlt_config_t *cfg, const char *kind, char *const **names, size_t *n)
{
	char **one = NULL;

	if (strcmp(kind, "source") == 0) {
		*names = cfg->sources;
		*n = cfg->n_sources;
		return 0;
	}
	if (strcmp(kind, "policy") == 0) {
		*names = cfg->policies;
		*n = cfg->n_policies;
		return 0;
	}
	if (strcmp(kind, "solver") == 0)
		one = &cfg->solver;
	else if (strcmp(kind, "store") == 0)
		one = &cfg->store;
	else
		return VLT_EINVAL;
	*names = one;
	*n = *one != NULL ? 1 : 0;
	return 0;
}

int vlt__config_offer(vlt_config_t *cfg, const char *kind, const char *key, const char *value,
		      const char *flag)
{
	char path[256];
	char *const *names;
	size_t n;

	if (flag == NULL || loaded_of_kind(cfg, kind, &names, &n) < 0)
		return VLT_EINVAL;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s.%s.%s", kind, names[i], key);
		int rc = add_override(cfg, path, value, flag);
		if (rc < 0)
			return rc;
	}
	return (int)n;
}

static int add_override(vlt_config_t *cfg, const char *path, const char *value,
			const char *flag)
{
	const char *dot1, *dot2;
	char name[MODULE_NAME_MAX + 1];
	vlt_override_t *v;
	size_t nlen;

	if (path == NULL || value == NULL)
		return VLT_EINVAL;
	dot1 = strchr(path, '.');
	dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL || dot2[1] == '\0' ||
	    !is_kind(path, (size_t)(dot1 - path)))
		return VLT_EINVAL;
	nlen = (size_t)(dot2 - dot1 - 1);
	if (nlen == 0 || nlen > MODULE_NAME_MAX)
		return VLT_EINVAL;
	memcpy(name, dot1 + 1, nlen);
	name[nlen] = '\0';
	if (!vlt__config_is_module_name(name))
		return VLT_EINVAL;

	v = realloc(cfg->overrides, (cfg->n_overrides + 1) * sizeof(*v));
	if (v == NULL)
		return VLT_ENOMEM;
	cfg->overrides = v;
	v = &cfg->overrides[cfg->n_overrides];
	v->path = strdup(path);
	v->value = strdup(value);
	v->flag = flag != NULL ? strdup(flag) : NULL;
	if (v->path == NULL || v->value == NULL || (flag != NULL && v->flag == NULL)) {
		free(v->path);
		free(v->value);
		free(v->flag);
		return VLT_ENOMEM;
	}
	cfg->n_overrides++;
	return 0;
}

/* Does ov set key of group ("source.static")? */
static bool override_is(const vlt_override_t *ov, const char *group, const char *key)
{
	size_t glen = strlen(group);

	return strncmp(ov->path, group, glen) == 0 && ov->path[glen] == '.' &&
	       (key == NULL || strcmp(ov->path + glen + 1, key) == 0);
}

/* The last override of group.key wins; NULL when none. */
static const vlt_override_t *find_override(const vlt_cfg_scope_t *s, const char *key)
{
	for (size_t i = s->cfg->n_overrides; i > 0; i--) {
		if (override_is(&s->cfg->overrides[i - 1], s->group, key))
			return &s->cfg->overrides[i - 1];
	}
	return NULL;
}

/* ---------------------------------------------------------------- module settings */

static const config_setting_t *scope_group(const vlt_cfg_scope_t *s)
{
	const config_setting_t *g;

	if (s->cfg->lc.root == NULL)
		return NULL;
	g = config_lookup(&s->cfg->lc, s->group);
	return g != NULL && config_setting_is_group(g) ? g : NULL;
}

static const config_setting_t *find_setting(const vlt_cfg_scope_t *s, const char *key)
{
	const config_setting_t *g = scope_group(s);

	return g != NULL ? config_setting_get_member(g, key) : NULL;
}

static bool was_seen(const vlt_cfg_scope_t *s, const char *key)
{
	for (size_t i = 0; i < s->n_seen; i++) {
		if (strcmp(s->seen[i], key) == 0)
			return true;
	}
	return false;
}

/* Remember that the module asked for key, so it is not reported as unknown. */
static int mark_seen(vlt_cfg_scope_t *s, const char *key, vlt_err_t *err)
{
	char **v;

	if (key == NULL || key[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "%s: a setting name must not be empty",
				   s->group);
	if (was_seen(s, key))
		return 0;
	v = realloc(s->seen, (s->n_seen + 1) * sizeof(*v));
	if (v == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "%s.%s: out of memory", s->group, key);
	s->seen = v;
	s->seen[s->n_seen] = strdup(key);
	if (s->seen[s->n_seen] == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "%s.%s: out of memory", s->group, key);
	s->n_seen++;
	return 0;
}

int vlt__cfg_mark_read(vlt_cfg_scope_t *s, const char *key, vlt_err_t *err)
{
	return mark_seen(s, key, err);
}

int vlt__cfg_get_str(vlt_cfg_scope_t *s, const char *key, const char *dflt, char **out,
		     vlt_err_t *err)
{
	const vlt_override_t *ov;
	const config_setting_t *set;
	const char *value = dflt;
	int rc;

	*out = NULL;
	rc = mark_seen(s, key, err);
	if (rc < 0)
		return rc;
	ov = find_override(s, key);
	set = ov == NULL ? find_setting(s, key) : NULL;
	if (ov != NULL) {
		value = ov->value;
	} else if (set != NULL) {
		rc = want_string(s->cfg, set, &value, err);
		if (rc < 0)
			return rc;
	}
	if (value == NULL)
		return 0;
	*out = strdup(value);
	if (*out == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "%s.%s: out of memory", s->group, key);
	return 0;
}

int vlt__cfg_get_int(vlt_cfg_scope_t *s, const char *key, int64_t dflt, int64_t *out,
		     vlt_err_t *err)
{
	const vlt_override_t *ov;
	const config_setting_t *set;
	int rc = mark_seen(s, key, err);

	*out = dflt;
	if (rc < 0)
		return rc;
	ov = find_override(s, key);
	if (ov != NULL) {
		char *end;
		long long v = 0;

		errno = 0;
		v = strtoll(ov->value, &end, 10);
		if (end == ov->value || *end != '\0')
			return override_error(err, ov, "must be an integer");
		if (errno == ERANGE)
			return override_error(err, ov, "integer out of range");
		*out = v;
		return 0;
	}
	set = find_setting(s, key);
	if (set == NULL)
		return 0;
	if (config_setting_type(set) != CONFIG_TYPE_INT &&
	    config_setting_type(set) != CONFIG_TYPE_INT64)
		return setting_error(err, s->cfg, set, "must be an integer, not %s",
				     type_name(config_setting_type(set)));
	*out = config_setting_get_int64(set);
	return 0;
}

int vlt__cfg_get_double(vlt_cfg_scope_t *s, const char *key, double dflt, double *out,
			vlt_err_t *err)
{
	const vlt_override_t *ov;
	const config_setting_t *set;
	int rc = mark_seen(s, key, err);

	*out = dflt;
	if (rc < 0)
		return rc;
	ov = find_override(s, key);
	if (ov != NULL) {
		char *end;
		double v = 0;

		errno = 0;
		v = strtod(ov->value, &end);
		if (end == ov->value || *end != '\0' || !isfinite(v))
			return override_error(err, ov, "must be a number");
		if (errno == ERANGE)
			return override_error(err, ov, "number out of range");
		*out = v;
		return 0;
	}
	set = find_setting(s, key);
	if (set == NULL)
		return 0;
	switch (config_setting_type(set)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(set);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(set);
		return 0;
	default:
		return setting_error(err, s->cfg, set, "must be a number, not %s",
				     type_name(config_setting_type(set)));
	}
}

int vlt__cfg_get_bool(vlt_cfg_scope_t *s, const char *key, bool dflt, bool *out,
		      vlt_err_t *err)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	const vlt_override_t *ov;
	const config_setting_t *set;
	int rc = mark_seen(s, key, err);

	*out = dflt;
	if (rc < 0)
		return rc;
	ov = find_override(s, key);
	if (ov != NULL) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcasecmp(ov->value, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcasecmp(ov->value, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
		return override_error(err, ov, "must be true or false");
	}
	set = find_setting(s, key);
	if (set == NULL)
		return 0;
	return want_bool(s->cfg, set, out, err);
}

int vlt__cfg_error(const vlt_cfg_scope_t *s, const char *key, vlt_err_t *err,
		   const char *fmt, ...)
{
	char why[VLT_ERR_MSG_MAX];
	const vlt_override_t *ov = find_override(s, key);
	const config_setting_t *set = ov == NULL ? find_setting(s, key) : NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ov != NULL)
		return override_error(err, ov, "%s", why);
	if (set != NULL)
		return setting_error(err, s->cfg, set, "%s", why);
	return vlt_err_set(err, VLT_ECONFIG, "setting '%s.%s': %s", s->group, key, why);
}

/* "(the module reads: a, b)" for an unknown-setting message. */
static void describe_seen(const vlt_cfg_scope_t *s, char *buf, size_t len)
{
	size_t used;

	if (s->n_seen == 0) {
		snprintf(buf, len, "the module reads no settings");
		return;
	}
	snprintf(buf, len, "the module reads: ");
	for (size_t i = 0; i < s->n_seen; i++) {
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "", s->seen[i]);
	}
}

bool vlt__cfg_was_read(const vlt_cfg_scope_t *s, const char *key)
{
	return was_seen(s, key);
}

int vlt__cfg_check_unknown(const vlt_cfg_scope_t *s, vlt_err_t *err)
{
	const config_setting_t *g = scope_group(s);
	char known[256];

	describe_seen(s, known, sizeof(known));
	for (int i = 0; g != NULL && i < config_setting_length(g); i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);

		if (!was_seen(s, config_setting_name(m)))
			return setting_error(err, s->cfg, m, "unknown setting (%s)", known);
	}
	for (size_t i = 0; i < s->cfg->n_overrides; i++) {
		const vlt_override_t *ov = &s->cfg->overrides[i];
		size_t glen = strlen(s->group);

		/* An offer is for whichever module reads it: not reading it is no fault. */
		if (ov->flag == NULL && override_is(ov, s->group, NULL) &&
		    !was_seen(s, ov->path + glen + 1))
			return override_error(err, ov, "unknown setting (%s)", known);
	}
	return 0;
}

void vlt__cfg_scope_free(vlt_cfg_scope_t *s)
{
	if (s == NULL)
		return;
	free_names(s->seen, s->n_seen);
	s->seen = NULL;
	s->n_seen = 0;
}
