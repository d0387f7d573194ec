/*
 * valetd - the placement service: loads the configured modules and serves
 * the REST API until SIGTERM or SIGINT. SIGHUP reads the configuration's
 * log settings again, reopens the log file and reads the sources again.
 *
 * Start-up, all on the main thread: configuration (file, then flags),
 * logging, the data directory, the modules (libltdl is not thread-safe, so
 * no other thread exists yet), the engine (the sources' data center), the
 * service (valet-api's state, replayed from the store's journal), then the
 * HTTP server and the sweepers that expire unreserved holds and end reservations. The stop signals are
 * blocked in every thread and taken synchronously with sigwait() by the
 * main thread, so no code runs in signal context. Shutdown goes in reverse.
 *
 * Under systemd (Type=notify) valetd says READY=1 once it listens, STATUS=
 * lines on the way, RELOADING=1 and READY=1 around a SIGHUP, STOPPING=1 on
 * the way out, and WATCHDOG=1 from the main loop at half the period systemd
 * asked for: the loop that takes the signals is the one that must be alive
 * for valetd to stop or reload when told.
 *
 * Exit status: 0 stopped cleanly, 1 failed while running (e.g. the port is
 * in use), 2 bad command line, configuration or module.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <valet/plugin.h>
#include <valet/source.h>

#include "api.h"
#include "clock.h"
#include "config.h"
#include "engine.h"
#include "http.h"
#include "listener.h"
#include "loader.h"
#include "log.h"
#include "service.h"
#include "valetd_systemd.h"

#ifndef VLT_VERSION
#define VLT_VERSION "0.0.0"
#endif
#ifndef VLT_BUILD_MODULE_DIR
#define VLT_BUILD_MODULE_DIR ""
#endif
#ifndef VLT_INSTALL_MODULE_DIR
#define VLT_INSTALL_MODULE_DIR ""
#endif

#define EXIT_RUNTIME 1
#define EXIT_CONFIG 2

typedef struct opts {
	const char *config;
	const char *listen;
	const char *data_dir;
	const char *inventory;
	const char *log_level;
	const char *log_file;
	const char **options; /* "KIND.NAME.KEY=VALUE", in order */
	size_t n_options;
	bool syslog;
	bool check_config;
	bool list_plugins;
} opts_t;

static void usage(FILE *out)
{
	fputs("usage: valetd [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
	      "              [--inventory FILE] [--option KIND.NAME.KEY=VALUE ...]\n"
	      "              [--log-level LEVEL] [--log-file FILE] [--syslog]\n"
	      "       valetd --check-config [same options]\n"
	      "       valetd --list-plugins [--config FILE]\n"
	      "       valetd --version | --help\n\n"
	      "Serves the Valet placement API. Without --config, built-in defaults apply;\n"
	      "flags override the file.\n\n"
	      "  --config FILE       configuration file (libconfig; see valet.conf)\n"
	      "  --listen HOST:PORT  address to serve on; port 0 picks a free one\n"
	      "  --data-dir DIR      where modules keep their data (created if missing)\n"
	      "  --inventory FILE    the inventory file, for the sources that read one\n"
	      "  --option P=V        a module setting, e.g. solver.ostro.max_units=500\n"
	      "  --log-level LEVEL   err, warning, notice, info or debug\n"
	      "  --log-file FILE     log to FILE (reopened on SIGHUP) instead of standard error\n"
	      "  --syslog            log to syslog instead of standard error\n"
	      "  --check-config      load the configuration and the modules, report, exit\n"
	      "  --list-plugins      list the modules in the module folders, exit\n\n"
	      "Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad configuration or module.\n",
	      out);
}

/* RET 0, or EXIT_CONFIG after saying why; --help and --version exit here. */
static int parse_args(int argc, char **argv, opts_t *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "option", required_argument, NULL, 'o' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "log-file", required_argument, NULL, 'F' },
		{ "syslog", no_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "list-plugins", no_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->options = calloc((size_t)argc, sizeof(*o->options));
	if (o->options == NULL) {
		fputs("valetd: out of memory\n", stderr);
		return EXIT_CONFIG;
	}
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'd':
			o->data_dir = optarg;
			break;
		case 'i':
			o->inventory = optarg;
			break;
		case 'o':
			o->options[o->n_options++] = optarg;
			break;
		case 'L':
			o->log_level = optarg;
			break;
		case 'F':
			o->log_file = optarg;
			break;
		case 's':
			o->syslog = true;
			break;
		case 'C':
			o->check_config = true;
			break;
		case 'P':
			o->list_plugins = true;
			break;
		case 'V':
			printf("valetd %s (module ABI %d.%d)\n", VLT_VERSION, VLT_ABI_MAJOR,
			       VLT_ABI_MINOR);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fputs("valetd: try --help\n", stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "valetd: unexpected argument '%s' (try --help)\n", argv[optind]);
		return EXIT_CONFIG;
	}
	return 0;
}

/*
 * --inventory FILE: offered to every loaded source under the ABI's key (the
 * core names no source's setting). A relative path on the command line
 * means the working directory's.
 */
static int offer_inventory(vlt_config_t *cfg, const char *path, vlt_err_t *err)
{
	char cwd[4096];
	char abs[8192];
	char flag[8192 + 16];

	snprintf(flag, sizeof(flag), "--inventory %s", path);
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
		snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
		path = abs;
	}
	int n = vlt__config_offer(cfg, "source", VLT_SOURCE_INVENTORY_KEY, path, flag);
	if (n < 0)
		return vlt_err_set(err, n, "%s: %s", flag, vlt_strerror(n));
	if (n == 0)
		return vlt_err_set(err, VLT_ECONFIG, "%s: no source is loaded (modules.sources)",
				   flag);
	return 0;
}

static int apply_option(vlt_config_t *cfg, const char *opt, vlt_err_t *err)
{
	const char *eq = strchr(opt, '=');
	char path[256];

	if (eq == NULL || (size_t)(eq - opt) >= sizeof(path))
		return vlt_err_set(err, VLT_ECONFIG, "--option %s: expected KIND.NAME.KEY=VALUE",
				   opt);
	snprintf(path, sizeof(path), "%.*s", (int)(eq - opt), opt);
	int rc = vlt__config_add_override(cfg, path, eq + 1);
	if (rc == VLT_EINVAL)
		return vlt_err_set(err, VLT_ECONFIG,
				   "--option %s: '%s' is not KIND.NAME.KEY (kind one of source, "
				   "policy, solver, store)",
				   opt, path);
	return rc < 0 ? vlt_err_set(err, rc, "--option %s: %s", opt, vlt_strerror(rc)) : 0;
}

/* The log flags on top of the configuration's log settings. */
static int apply_log_flags(vlt_config_t *cfg, const opts_t *o, vlt_err_t *err)
{
	if (o->log_level != NULL) {
		int level = vlt__log_level_parse(o->log_level);

		if (level < 0)
			return vlt_err_set(err, VLT_ECONFIG,
					   "--log-level %s: unknown level (use err, warning, "
					   "notice, info or debug)",
					   o->log_level);
		cfg->log_level = level;
	}
	if (o->log_file != NULL && vlt__config_set_str(&cfg->log_file, o->log_file) < 0)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (o->syslog)
		cfg->log_syslog = true;
	return 0;
}

/* The command line on top of the configuration. */
static int apply_flags(vlt_config_t *cfg, const opts_t *o, vlt_err_t *err)
{
	int rc = 0;

	if (o->listen != NULL) {
		rc = vlt__config_set_listen(cfg, o->listen, err);
		if (rc < 0)
			return rc;
	}
	if (o->data_dir != NULL) {
		if (o->data_dir[0] == '\0')
			return vlt_err_set(err, VLT_ECONFIG, "--data-dir: must not be empty");
		if (vlt__config_set_str(&cfg->data_dir, o->data_dir) < 0)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (o->inventory != NULL) {
		rc = offer_inventory(cfg, o->inventory, err);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < o->n_options; i++) {
		rc = apply_option(cfg, o->options[i], err);
		if (rc < 0)
			return rc;
	}
	return apply_log_flags(cfg, o, err);
}

/* The log file (or stderr), then the level and syslog, as cfg says. */
static int setup_logging(const vlt_config_t *cfg, vlt_err_t *err)
{
	int rc = vlt__log_file(cfg->log_syslog ? NULL : cfg->log_file, err);

	vlt__log_setup(cfg->log_level, cfg->log_syslog, "valetd");
	return rc;
}

/*
 * A fatal message: on standard error always (an operator starting valetd
 * by hand sees it; the journal, under systemd, at priority err), and in the
 * log as well when that is syslog or a file.
 */
static void report(const vlt_config_t *cfg, const char *msg)
{
	fprintf(stderr, "%svaletd: %s\n", vlt__log_journal() ? "<3>" : "", msg);
	if (cfg != NULL && (cfg->log_syslog || cfg->log_file != NULL))
		vlt__log(NULL, VLT_LOG_ERR, "%s", msg);
	vlt_valetd_notify("STATUS=failed: %s", msg);
}

/* Make the data directory (one level) unless it is there. */
static int ensure_data_dir(const char *dir, vlt_err_t *err)
{
	struct stat st;

	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return vlt_err_set(err, VLT_ECONFIG, "data directory %s: cannot create: %s", dir,
				   strerror(errno));
	if (stat(dir, &st) != 0)
		return vlt_err_set(err, VLT_ECONFIG, "data directory %s: %s", dir,
				   strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vlt_err_set(err, VLT_ECONFIG, "data directory %s: not a directory", dir);
	return 0;
}

/* ---- --list-plugins */

/* "policy_affinity.so" -> kind and name (into buf); false for other files. */
static bool parse_module_file(const char *file, vlt_kind_t *kind, char *name, size_t size)
{
	static const vlt_kind_t kinds[] = { VLT_KIND_SOURCE, VLT_KIND_POLICY, VLT_KIND_SOLVER,
					    VLT_KIND_STORE };
	size_t len = strlen(file);

	if (len < 4 || strcmp(file + len - 3, ".so") != 0)
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *k = vlt__kind_name(kinds[i]);
		size_t klen = strlen(k);

		if (strncmp(file, k, klen) != 0 || file[klen] != '_')
			continue;
		size_t nlen = len - 3 - klen - 1;
		if (nlen == 0 || nlen >= size)
			return false;
		memcpy(name, file + klen + 1, nlen);
		name[nlen] = '\0';
		*kind = kinds[i];
		return true;
	}
	return false;
}

static bool seen_before(char **seen, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(seen[i], id) == 0)
			return true;
	}
	return false;
}

/* One folder's modules; seen collects "kind/name" to mark shadowed files. */
static void list_dir(const char *dir, char ***seen, size_t *n_seen)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0) {
		printf("%s: cannot read: %s\n", dir, strerror(errno));
		return;
	}
	printf("%s:\n", dir);
	for (int i = 0; i < n; i++) {
		char name[128], file[4096], id[160];
		const vlt_plugin_info_t *info = NULL;
		vlt_err_t err = { 0 };
		vlt_kind_t kind;
		void *handle = NULL;

		if (!parse_module_file(ents[i]->d_name, &kind, name, sizeof(name)))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, ents[i]->d_name);
		snprintf(id, sizeof(id), "%s/%s", vlt__kind_name(kind), name);
		if (vlt__module_probe(file, kind, name, &handle, &info, &err) < 0) {
			printf("  %-7s %-14s %-9s BROKEN: %s\n", vlt__kind_name(kind), name, "-",
			       err.msg);
			continue;
		}
		printf("  %-7s %-14s %-9s %s%s\n", vlt__kind_name(kind), name,
		       info->version != NULL ? info->version : "-",
		       info->summary != NULL ? info->summary : "",
		       seen_before(*seen, *n_seen, id) ? " (shadowed by an earlier folder)" : "");
		vlt__module_close(handle);
		char **grown = realloc(*seen, (*n_seen + 1) * sizeof(**seen));
		if (grown != NULL) {
			*seen = grown;
			grown[*n_seen] = strdup(id);
			if (grown[*n_seen] != NULL)
				(*n_seen)++;
		}
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/* The folders the loader searches, in its order, without repeats. */
static int list_plugins(const vlt_config_t *cfg)
{
	const char *builtin[] = { VLT_BUILD_MODULE_DIR, VLT_INSTALL_MODULE_DIR };
	size_t n_dirs = cfg->n_module_path + 2;
	char **seen = NULL;
	size_t n_seen = 0;

	for (size_t i = 0; i < n_dirs; i++) {
		const char *dir = i < cfg->n_module_path ? cfg->module_path[i] :
							   builtin[i - cfg->n_module_path];
		bool repeat = false;

		if (dir == NULL || dir[0] == '\0')
			continue;
		for (size_t j = 0; j < i; j++) {
			const char *d = j < cfg->n_module_path ? cfg->module_path[j] :
								 builtin[j - cfg->n_module_path];
			repeat = repeat || (d != NULL && strcmp(d, dir) == 0);
		}
		if (!repeat)
			list_dir(dir, &seen, &n_seen);
	}
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	free(seen);
	return 0;
}

/* ---- --check-config */

static void print_module(const vlt_module_t *m)
{
	printf("  %-7s %-14s %-9s %s\n", vlt__kind_name(m->kind), m->name,
	       m->info->version != NULL ? m->info->version : "-", m->file);
}

static void print_modules(const vlt_config_t *cfg, const vlt_modules_t *mods)
{
	printf("configuration OK (%s)\n", cfg->file != NULL ? cfg->file : "built-in defaults");
	if (mods->store != NULL)
		print_module(mods->store);
	for (size_t i = 0; i < mods->n_sources; i++)
		print_module(&mods->sources[i]);
	for (size_t i = 0; i < mods->n_policies; i++)
		print_module(&mods->policies[i]);
	for (size_t i = 0; i < mods->n_solvers; i++)
		print_module(&mods->solvers[i]);
}

/* ---- serving */

/* Block the stop signals in this thread and every thread started after. */
static void block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	/* A client gone mid-answer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
}

/*
 * SIGHUP's reading of the sources runs on a thread of its own: on a large
 * cloud it takes minutes, and the main loop must go on taking signals and
 * pinging the watchdog meanwhile. One at a time; main thread only.
 */
typedef struct hup_refresh {
	vlt_service_t *svc;
	pthread_t thread;
	bool started;        /* a thread to join */
	atomic_bool running; /* cleared by the thread when it is done */
} hup_refresh_t;

static void *hup_refresh_main(void *arg)
{
	hup_refresh_t *r = arg;
	vlt_err_t err = { 0 };

	vlt__service_refresh(r->svc, &err); /* logged and shown by GET /v1/status */
	atomic_store(&r->running, false);
	return NULL;
}

static void hup_refresh_join(hup_refresh_t *r)
{
	if (r->started)
		pthread_join(r->thread, NULL);
	r->started = false;
}

static void hup_refresh_start(hup_refresh_t *r)
{
	if (atomic_load(&r->running)) {
		vlt__log(NULL, VLT_LOG_NOTICE, "SIGHUP: the sources are being read already");
		return;
	}
	hup_refresh_join(r);
	atomic_store(&r->running, true);
	if (pthread_create(&r->thread, NULL, hup_refresh_main, r) != 0) {
		atomic_store(&r->running, false);
		vlt__log(NULL, VLT_LOG_ERR, "SIGHUP: cannot start a thread to read the sources");
		return;
	}
	r->started = true;
	vlt__log(NULL, VLT_LOG_NOTICE, "SIGHUP: reading the sources again");
}

/*
 * SIGHUP's reload: the configuration file read again (the flags still win
 * over it) for its log settings only, log.level, log.file and log.syslog,
 * and the log file reopened (logrotate moved it away). A file that no
 * longer reads leaves everything as it was. Every other setting is read at
 * start only: the listener, the modules and their settings, the store and
 * the service's timings need a restart.
 */
static void reload_logging(const opts_t *o)
{
	vlt_config_t fresh = { 0 };
	vlt_err_t err = { 0 };

	if (vlt__config_load(&fresh, o->config, &err) < 0 ||
	    apply_log_flags(&fresh, o, &err) < 0) {
		vlt__log(NULL, VLT_LOG_ERR, "SIGHUP: %s; the log settings stay as they were",
			 err.msg);
	} else if (setup_logging(&fresh, &err) < 0) {
		vlt__log(NULL, VLT_LOG_ERR, "SIGHUP: %s", err.msg);
	} else {
		vlt__log(NULL, VLT_LOG_NOTICE, "SIGHUP: logging at %s to %s",
			 vlt__log_level_name(fresh.log_level),
			 fresh.log_syslog	      ? "syslog" :
			 fresh.log_file != NULL ? fresh.log_file :
						  "standard error");
	}
	vlt__config_free(&fresh);
}

/* sigwait, or sigtimedwait with the watchdog's half period; 0 on a timeout. */
static int next_signal(const sigset_t *set, uint64_t ping_usec)
{
	int sig = 0;

	if (ping_usec == 0)
		return sigwait(set, &sig) == 0 ? sig : 0;
	struct timespec ts = { .tv_sec = (time_t)(ping_usec / 1000000),
			       .tv_nsec = (long)(ping_usec % 1000000) * 1000 };
	sig = sigtimedwait(set, NULL, &ts);
	return sig > 0 ? sig : 0;
}

/* Wait for SIGTERM or SIGINT, pinging the watchdog; SIGHUP meanwhile reloads. */
static int wait_for_stop(const sigset_t *set, const opts_t *o, vlt_service_t *svc)
{
	hup_refresh_t refresh = { .svc = svc };
	uint64_t ping_usec = vlt_valetd_watchdog_usec() / 2;
	int sig;

	for (;;) {
		if (ping_usec > 0)
			vlt_valetd_notify("WATCHDOG=1");
		sig = next_signal(set, ping_usec);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig != SIGHUP)
			continue;
		vlt_valetd_notify("RELOADING=1");
		reload_logging(o);
		hup_refresh_start(&refresh);
		vlt_valetd_notify("READY=1");
	}
	vlt_valetd_notify("STOPPING=1\nSTATUS=stopping on %s",
			  sig == SIGINT ? "SIGINT" : "SIGTERM");
	hup_refresh_join(&refresh);
	return sig;
}

/*
 * SIGTERM came: the health check answers 503 from now on, and requests
 * are still served for server.shutdown_grace_s seconds (a load balancer
 * takes this valetd out meanwhile), or until a second stop signal.
 */
static void drain(const vlt_config_t *cfg, const sigset_t *set, vlt_service_t *svc)
{
	double deadline = vlt__clock_mono_ms() + (double)cfg->shutdown_grace_s * 1e3;

	vlt__service_stopping(svc);
	vlt__service_lease_release(svc); /* another valetd takes the periodic work at once */
	if (cfg->shutdown_grace_s > 0)
		vlt__log(NULL, VLT_LOG_NOTICE,
			 "serving %lld s more before stopping (server.shutdown_grace_s)",
			 (long long)cfg->shutdown_grace_s);
	for (double left = deadline - vlt__clock_mono_ms(); left > 0;
	     left = deadline - vlt__clock_mono_ms()) {
		struct timespec ts = { .tv_sec = (time_t)(left / 1e3),
				       .tv_nsec = (long)(fmod(left, 1e3) * 1e6) };
		int sig = sigtimedwait(set, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT || (sig < 0 && errno == EAGAIN))
			return; /* a second stop signal, or the grace is over */
	}
}

/* The engine on the loaded modules, and valet-api's state replayed from the store. */
static int open_service(const vlt_config_t *cfg, vlt_modules_t *mods, vlt_engine_t **engine,
			vlt_service_t **svc)
{
	vlt_service_opts_t so = { .hold_ttl_s = cfg->hold_ttl_s,
				  .max_retries = cfg->max_retries,
				  .refresh_s = cfg->refresh_s,
				  .max_stale_s = cfg->max_stale_s,
				  .max_resources = cfg->max_resources,
				  .max_members = cfg->max_members,
				  .decision_retention_s = cfg->decision_retention_s,
				  .lease_s = cfg->lease_s,
				  .snapshot_every = cfg->snapshot_every,
				  .mods = mods };
	vlt_err_t err = { 0 };

	vlt_valetd_notify("STATUS=reading the sources and the journal");
	if (vlt__engine_new(engine, mods, &err) < 0) {
		report(cfg, err.msg);
		return EXIT_CONFIG;
	}
	if (vlt__service_open(svc, *engine, mods->store, &so, &err) < 0) {
		report(cfg, err.msg);
		return err.code == VLT_ECONFIG ? EXIT_CONFIG : EXIT_RUNTIME;
	}
	return 0;
}

/* Nova's notifications, when notifications.enabled says so (docs/notifications.md). */
/* Among several valetd, the holder of the periodic work's lease consumes the queue. */
static bool holds_lease(void *svc)
{
	return vlt__service_lease_held(svc);
}

static int start_listener(const vlt_config_t *cfg, vlt_service_t *svc, vlt_err_t *err)
{
	vlt_listener_opts_t lo = { .url = cfg->notify_url,
				   .exchange = cfg->notify_exchange,
				   .topic = cfg->notify_topic,
				   .queue = cfg->notify_queue,
				   .exchange_durable = cfg->notify_exchange_durable,
				   .may_consume = holds_lease,
				   .may_consume_arg = svc };

	return cfg->notify_enabled ? vlt__service_listener_start(svc, &lo, err) : 0;
}

static int serve(const vlt_config_t *cfg, const opts_t *o, vlt_modules_t *mods,
		 const sigset_t *stop)
{
	vlt_api_t api = { .cfg = cfg, .mods = mods };
	vlt_engine_t *engine = NULL;
	vlt_http_t *http = NULL;
	vlt_err_t err = { 0 };
	size_t n_routes;
	const vlt_http_route_t *routes = vlt__api_routes(&n_routes);
	int rc = 0;

	if (vlt__auth_open(&api.auth, cfg, &err) < 0) {
		report(cfg, err.msg);
		return EXIT_CONFIG;
	}
	if (vlt__auth_strategy(api.auth) == VLT_AUTH_NOAUTH)
		vlt__log(NULL, VLT_LOG_NOTICE,
			 "auth.strategy = noauth: no token is asked for (docs/security.md)");
	rc = open_service(cfg, mods, &engine, &api.service);
	if (rc == 0 && vlt__http_start(&http, cfg, routes, n_routes, &api, &err) < 0) {
		report(cfg, err.msg);
		rc = EXIT_RUNTIME;
	}
	if (rc == 0 && (vlt__service_lease_start(api.service, &err) < 0 ||
			vlt__service_sweeper_start(api.service, 0, &err) < 0 ||
			vlt__service_reservations_start(api.service, 0, &err) < 0 ||
			vlt__service_refresher_start(api.service, &err) < 0 ||
			vlt__service_decisions_start(api.service, 0, &err) < 0 ||
			vlt__service_snapshotter_start(api.service, &err) < 0)) {
		report(cfg, err.msg);
		rc = EXIT_RUNTIME;
	}
	if (rc == 0 && start_listener(cfg, api.service, &err) < 0) {
		report(cfg, err.msg);
		rc = EXIT_CONFIG;
	}
	if (rc == 0) {
		vlt__log(NULL, VLT_LOG_NOTICE, "listening on %s", vlt__http_bound(http));
		vlt_valetd_notify("READY=1\nSTATUS=listening on %s\nMAINPID=%ld",
				  vlt__http_bound(http), (long)getpid());
		int sig = wait_for_stop(stop, o, api.service);

		drain(cfg, stop, api.service);
		vlt__log(NULL, VLT_LOG_NOTICE, "stopping on %s",
			 sig == SIGINT ? "SIGINT" : "SIGTERM");
	}
	/* in reverse: no request or sweep runs once the service goes */
	vlt__http_stop(http);
	vlt__service_free(api.service);
	vlt__engine_free(engine);
	vlt__auth_close(api.auth);
	return rc;
}

static int run(const opts_t *o, vlt_config_t *cfg)
{
	vlt_modules_t mods = { 0 };
	vlt_err_t err = { 0 };
	sigset_t stop;

	/* until the configuration says otherwise: stderr, or the journal */
	vlt__log_setup(VLT_LOG_INFO, false, "valetd");
	if (vlt__config_load(cfg, o->config, &err) < 0 || apply_flags(cfg, o, &err) < 0) {
		report(NULL, err.msg);
		return EXIT_CONFIG;
	}
	if (setup_logging(cfg, &err) < 0) {
		report(NULL, err.msg);
		return EXIT_CONFIG;
	}
	if (o->list_plugins)
		return list_plugins(cfg);

	if (ensure_data_dir(cfg->data_dir, &err) < 0) {
		report(cfg, err.msg);
		return EXIT_CONFIG;
	}
	block_stop_signals(&stop);
	vlt_valetd_notify("STATUS=loading the modules");
	if (vlt__modules_load(&mods, cfg, NULL, 0, &err) < 0) {
		report(cfg, err.msg);
		return EXIT_CONFIG;
	}
	int rc = 0;
	if (o->check_config)
		print_modules(cfg, &mods);
	else
		rc = serve(cfg, o, &mods, &stop);
	vlt__modules_unload(&mods);
	if (rc == 0 && !o->check_config)
		vlt__log(NULL, VLT_LOG_NOTICE, "stopped");
	return rc;
}

int main(int argc, char **argv)
{
	opts_t o = { 0 };
	vlt_config_t cfg = { 0 };
	int rc = parse_args(argc, argv, &o);

	if (rc == 0)
		rc = run(&o, &cfg);
	vlt__config_free(&cfg);
	free(o.options);
	return rc;
}
