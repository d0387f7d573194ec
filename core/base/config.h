/*
 * config.h - valet's configuration: a libconfig file (conf/valet.conf
 * documents every setting), built-in defaults when there is none, and
 * command-line overrides on top.
 *
 * Errors name the file, the line and the setting: an unknown key, a value
 * of the wrong type or a bad value stops start-up.
 */
#ifndef VALET_CORE_CONFIG_H
#define VALET_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include <valet/errors.h>
#include <valet/plugin.h>

/* A setting given on the command line for a module: "<kind>.<name>.<key>". */
typedef struct vlt_override {
	char *path;  /* e.g. "solver.ostro.max_units" */
	char *value; /* as a string; converted on lookup */
	/*
	 * NULL: --option PATH=VALUE. Else an offer made by a generic flag,
	 * as messages name it ("--inventory inv.json"): a module that does
	 * not read the key is not refused for it (vlt__config_offer).
	 */
	char *flag;
} vlt_override_t;

/* The limits' defaults (conf/valet.conf), also for a caller that leaves a limit 0. */
enum {
	VLT_DEFAULT_MAX_CONNECTIONS = 1024,
	VLT_DEFAULT_MAX_CLIENT_CONNECTIONS = 64,
	VLT_DEFAULT_HEADER_TIMEOUT_S = 10,
	VLT_DEFAULT_REQUEST_TIMEOUT_S = 60,
	VLT_DEFAULT_IDLE_TIMEOUT_S = 30,
	VLT_DEFAULT_MAX_HEADER_BYTES = 16 * 1024,
	VLT_DEFAULT_MAX_URL_BYTES = 8 * 1024,
	VLT_DEFAULT_MAX_QUERY_ARGS = 64,
	VLT_DEFAULT_MAX_RESOURCES = 5000,
	VLT_DEFAULT_MAX_MEMBERS = 10000,
};

typedef struct vlt_config {
	char *file; /* NULL: built-in defaults only */
	config_t lc; /* the parsed file (empty without one) */

	/* server */
	char *listen_host; /* "127.0.0.1" */
	uint16_t listen_port; /* 8090 */
	unsigned threads;     /* 4 */
	size_t max_body_bytes; /* 1 MiB */
	int64_t shutdown_grace_s; /* 0: stop serving at once on SIGTERM */
	/*
	 * The dashboard's files (server.dashboard_dir). NULL: the build tree's,
	 * then the install prefix's; "": no dashboard.
	 */
	char *dashboard_dir;
	/* limits that keep the service for everyone (docs/security.md, "Limits") */
	unsigned max_connections;        /* 1024: open at once, all clients */
	unsigned max_client_connections; /* 64: open at once from one address */
	unsigned header_timeout_s;       /* 10: request line and headers must arrive within */
	unsigned request_timeout_s;      /* 60: the whole request, body included */
	unsigned idle_timeout_s;         /* 30: a kept-alive connection with nothing to say */
	size_t max_header_bytes;         /* 16 KiB: request line and headers */
	size_t max_url_bytes;            /* 8 KiB: the request target */
	unsigned max_query_args;         /* 64 */
	bool keep_alive; /* false: one request per connection, so the gate sees each */
	/* TLS on the listener (PEM files); NULL: plain HTTP. A client CA asks clients for a certificate */
	char *tls_cert;
	char *tls_key;
	char *tls_client_ca;

	/* log */
	int log_level;   /* VLT_LOG_* ; "info" */
	bool log_syslog; /* false */
	char *log_file;  /* NULL: stderr (the journal under systemd) */

	char *data_dir; /* "valet-data" */

	/* modules: path, then the build tree's and the install prefix's dirs */
	char **module_path;
	size_t n_module_path;
	char **sources; /* "static" */
	size_t n_sources;
	char **policies; /* "affinity", "diversity", "exclusivity" */
	size_t n_policies;
	char *solver; /* "ostro" */
	char *store;  /* "sqlite" */

	/* service: valet-api's plans and placements */
	int64_t hold_ttl_s;   /* 3600; 0: holds never expire */
	unsigned max_retries; /* 8: lost races for a journal entry before 503 */
	int64_t refresh_s;    /* 0: the sources are read at start only */
	int64_t max_stale_s;  /* 0: plan on the last data center however old */
	unsigned max_resources; /* 5000: resources in one plan request */
	unsigned max_members;   /* 10000: member tenants of one named group */
	int64_t decision_retention_s; /* 30 days; 0: decision records are kept forever */
	int64_t lease_s; /* 10: the periodic work's lease among several valetd; 0: none */

	/* notifications: Nova's versioned notifications over AMQP (docs/notifications.md) */
	bool notify_enabled;	      /* false: valetd listens to nothing */
	char *notify_url;	      /* "amqp://guest:guest@127.0.0.1:5672/" */
	char *notify_exchange;	      /* "nova": oslo.messaging's control_exchange of Nova */
	char *notify_topic;	      /* "versioned_notifications": bound as <topic>.info */
	char *notify_queue;	      /* "valet.versioned_notifications": durable, Valet's own */
	bool notify_exchange_durable; /* false: as oslo.messaging's amqp_durable_queues */
	uint64_t snapshot_every;      /* 10000: journal entries between snapshots; 0: none */

	vlt_override_t *overrides;
	size_t n_overrides;
} vlt_config_t;

/*
 * vlt__config_load - fill cfg from path, or from built-in defaults when path
 * is NULL. On failure cfg is left empty (safe to vlt__config_free).
 * RET 0 or VLT_ECONFIG with err naming file, line and setting.
 */
int vlt__config_load(vlt_config_t *cfg, const char *path, vlt_err_t *err);
void vlt__config_free(vlt_config_t *cfg);

/*
 * Setters for command-line flags, called after vlt__config_load (which
 * starts from scratch); they validate like the file does. set_listen takes
 * "ADDRESS:PORT": an IPv4 address, a host name or "[IPv6]"; port 0 means any
 * free port.
 * set_str replaces *field with a copy of value (NULL clears it); 0 or VLT_ENOMEM.
 */
int vlt__config_set_listen(vlt_config_t *cfg, const char *host_port, vlt_err_t *err);
int vlt__config_set_str(char **field, const char *value);
/*
 * Record "<kind>.<name>.<key>" = value for a module's settings (both
 * copied). RET 0, VLT_EINVAL when path is not of that shape (kind one of
 * source, policy, solver, store; name a module name), or VLT_ENOMEM.
 * The value is converted when the module reads it; a bad one is reported
 * as "--option PATH=VALUE: ...".
 */
int vlt__config_add_override(vlt_config_t *cfg, const char *path, const char *value);
/*
 * vlt__config_offer - what a generic command-line flag sets: key = value
 * for every module of kind ("source", ...) that cfg loads, as overrides
 * marked with flag (copied; how messages name the flag). A module that
 * never reads key is not refused for an offer; the loader refuses the flag
 * when no module reads it. The core names only the key, which the ABI
 * documents (VLT_SOURCE_INVENTORY_KEY), never a module.
 * RET how many modules were offered it (0: cfg loads none of that kind),
 * VLT_EINVAL for an unknown kind, or VLT_ENOMEM.
 */
int vlt__config_offer(vlt_config_t *cfg, const char *kind, const char *key, const char *value,
		      const char *flag);
/* Is name a valid module name: [a-z0-9_]+, at most 48 characters? */
bool vlt__config_is_module_name(const char *name);
/*
 * vlt__config_check_solvers - every group solver.X of the file must be for
 * a solver that is loaded: cfg->solver or one of extra (the solvers a
 * command line asks for as well). vlt__config_load checks the source,
 * policy and store groups itself; solver groups wait until the loader knows
 * every solver. RET 0 or VLT_ECONFIG naming file, line and group.
 */
int vlt__config_check_solvers(const vlt_config_t *cfg, const char *const *extra,
			      size_t n_extra, vlt_err_t *err);

/*
 * Module settings, read through vlt_core_t.cfg_*. `group` is the module's
 * "<kind>.<name>" path; overrides win over the file. Every key read is
 * remembered in *seen so that vlt__config_check_unknown can report keys of
 * the group nobody asked for. The scope is not locked: modules read their
 * settings in init, on the main thread. cfg_get_str's *out is a heap copy
 * (NULL when the key is absent and dflt is NULL); cfg_get_double accepts an
 * integer too.
 */
typedef struct vlt_cfg_scope {
	const vlt_config_t *cfg;
	const char *group; /* "source.static" */
	char **seen;
	size_t n_seen;
} vlt_cfg_scope_t;

int vlt__cfg_get_str(vlt_cfg_scope_t *s, const char *key, const char *dflt, char **out,
		     vlt_err_t *err);
int vlt__cfg_get_int(vlt_cfg_scope_t *s, const char *key, int64_t dflt, int64_t *out,
		     vlt_err_t *err);
int vlt__cfg_get_double(vlt_cfg_scope_t *s, const char *key, double dflt, double *out,
			vlt_err_t *err);
int vlt__cfg_get_bool(vlt_cfg_scope_t *s, const char *key, bool dflt, bool *out,
		      vlt_err_t *err);
/*
 * vlt__cfg_error - VLT_ECONFIG for a bad value of group.key, naming where
 * it came from: "FILE:LINE: setting 'policy.diversity.weight': <fmt>", or
 * "--option PATH=VALUE: <fmt>" for an override.
 */
int vlt__cfg_error(const vlt_cfg_scope_t *s, const char *key, vlt_err_t *err,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Count key as read (a subgroup the caller reads itself). RET 0 or VLT_ENOMEM. */
int vlt__cfg_mark_read(vlt_cfg_scope_t *s, const char *key, vlt_err_t *err);
/* Did the module ask for key? */
bool vlt__cfg_was_read(const vlt_cfg_scope_t *s, const char *key);
/* VLT_ECONFIG naming the first key of the group that was never read (offers aside). */
int vlt__cfg_check_unknown(const vlt_cfg_scope_t *s, vlt_err_t *err);
void vlt__cfg_scope_free(vlt_cfg_scope_t *s);

#endif /* VALET_CORE_CONFIG_H */
