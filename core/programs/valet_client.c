/*
 * valet_client.c - the `valet` API client's command line, connection and
 * requests (valet_client.h, docs/cli.md).
 *
 * The endpoint and the token come from the environment as the OpenStack
 * client reads them: VALET_URL (or --url) names valetd; OS_TOKEN (or
 * --os-token) is sent as X-Auth-Token; OS_AUTH_URL with a password or an
 * application credential takes a token from Keystone, and without
 * VALET_URL the catalog's valet service gives the endpoint. With none of
 * them, requests go without a token (a valetd with no auth in front).
 * Keystone is reached through os_client.c, the sources' client, so both
 * authenticate in the same way.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "http_status.h"
#include "valet_client.h"

/* What the OS_* variables are, in os_auth_check's messages. */
static const os_auth_names_t env_names = {
	.auth_url = "OS_AUTH_URL",
	.username = "OS_USERNAME",
	.password = "OS_PASSWORD",
	.app_cred_id = "OS_APPLICATION_CREDENTIAL_ID",
	.app_cred_secret = "OS_APPLICATION_CREDENTIAL_SECRET",
	.project = "OS_PROJECT_NAME",
	.interface = "OS_INTERFACE",
};

#define REQUEST_TIMEOUT_MS 120000 /* a large stack's plan is solved while the request waits */

/* ---------------------------------------------------------------- usage */

int vlt__cli_usage_error(const vlt_cli_opts_t *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "valet %s%s%s: ", o->noun, o->verb != NULL ? " " : "",
		o->verb != NULL ? o->verb : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (valet help %s)\n", o->noun);
	return VLT_CLI_EXIT_USAGE;
}

static const struct option long_opts[] = {
	{ "url", required_argument, NULL, 'U' },
	{ "os-token", required_argument, NULL, 'T' },
	{ "format", required_argument, NULL, 'f' },
	{ "column", required_argument, NULL, 'c' },
	{ "name", required_argument, NULL, 'n' },
	{ "stack-id", required_argument, NULL, 'S' },
	{ "type", required_argument, NULL, 't' },
	{ "level", required_argument, NULL, 'l' },
	{ "description", required_argument, NULL, 'd' },
	{ "host", required_argument, NULL, 'H' },
	{ "resource-id", required_argument, NULL, 'r' },
	{ "replan", no_argument, NULL, 'R' },
	{ "plan", required_argument, NULL, 'p' },
	{ "server", required_argument, NULL, 's' },
	{ "query", required_argument, NULL, 'q' },
	{ "all", no_argument, NULL, 'a' },
	{ "reserved", required_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The name of the long option whose value is c, for messages. */
static const char *option_name(int c)
{
	for (size_t i = 0; long_opts[i].name != NULL; i++) {
		if (long_opts[i].val == c)
			return long_opts[i].name;
	}
	return "?";
}

static const struct {
	int c;
	unsigned bit;
} option_bits[] = {
	{ 'n', VLT_CLI_O_NAME },	{ 'S', VLT_CLI_O_STACK_ID },	{ 't', VLT_CLI_O_TYPE },
	{ 'l', VLT_CLI_O_LEVEL },	{ 'd', VLT_CLI_O_DESCRIPTION }, { 'H', VLT_CLI_O_HOST },
	{ 'r', VLT_CLI_O_RESOURCE_ID }, { 'R', VLT_CLI_O_REPLAN },	{ 'p', VLT_CLI_O_PLAN },
	{ 's', VLT_CLI_O_SERVER },	{ 'q', VLT_CLI_O_QUERY },	{ 'a', VLT_CLI_O_ALL },
	{ 'V', VLT_CLI_O_RESERVED },
};

int vlt__cli_check_usage(const vlt_cli_opts_t *o, unsigned allowed, size_t min, long max,
			 const char *what)
{
	for (size_t i = 0; i < sizeof(option_bits) / sizeof(option_bits[0]); i++) {
		if ((o->given & option_bits[i].bit) && !(allowed & option_bits[i].bit))
			return vlt__cli_usage_error(o, "option --%s does not apply here",
						    option_name(option_bits[i].c));
	}
	if (o->n_args < min)
		return vlt__cli_usage_error(o, "%s needed", what);
	if (max >= 0 && o->n_args > (size_t)max)
		return vlt__cli_usage_error(o, "unexpected operand '%s'", o->args[max]);
	return 0;
}

static int add_repeated(const vlt_cli_opts_t *o, const char **list, size_t *n, const char *opt,
			const char *value)
{
	if (*n == VLT_CLI_MAX_REPEAT)
		return vlt__cli_usage_error(o, "more than %d %s options", VLT_CLI_MAX_REPEAT, opt);
	list[(*n)++] = value;
	return 0;
}

static int set_format(vlt_cli_opts_t *o, const char *f)
{
	static const struct {
		const char *name;
		vlt_cli_format_t format;
	} formats[] = { { "table", VLT_CLI_TABLE },
			{ "json", VLT_CLI_JSON },
			{ "yaml", VLT_CLI_YAML },
			{ "value", VLT_CLI_VALUE } };

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(f, formats[i].name) == 0) {
			o->format = formats[i].format;
			return 0;
		}
	}
	return vlt__cli_usage_error(o, "-f %s: the formats are table, json, yaml and value", f);
}

/* One option of getopt_long; RET 0 or VLT_CLI_EXIT_USAGE. */
static int take_option(vlt_cli_opts_t *o, int c, const char *arg)
{
	for (size_t i = 0; i < sizeof(option_bits) / sizeof(option_bits[0]); i++) {
		if (option_bits[i].c == c)
			o->given |= option_bits[i].bit;
	}
	switch (c) {
	case 'U': o->url = arg; return 0;
	case 'T': o->token = arg; return 0;
	case 'f': return set_format(o, arg);
	case 'c': return add_repeated(o, o->columns, &o->n_columns, "-c", arg);
	case 'n': o->name = arg; return 0;
	case 'S': o->stack_id = arg; return 0;
	case 't': o->type = arg; return 0;
	case 'l': o->level = arg; return 0;
	case 'd': o->description = arg; return 0;
	case 'H': return add_repeated(o, o->hosts, &o->n_hosts, "--host", arg);
	case 'r': o->resource_id = arg; return 0;
	case 'R': o->replan = true; return 0;
	case 'p': o->plan = arg; return 0;
	case 's': o->server = arg; return 0;
	case 'q': return add_repeated(o, o->query, &o->n_query, "--query", arg);
	case 'a': o->all = true; return 0;
	case 'V': o->reserved = arg; return 0;
	default: return vlt__cli_usage_error(o, "unknown option");
	}
}

/* True for a command that has subcommands (all but status and help). */
static bool has_verbs(const char *noun)
{
	return strcmp(noun, "status") != 0 && strcmp(noun, "help") != 0;
}

/* argv[0] is the command. RET 0, VLT_CLI_EXIT_USAGE, or -1 for --help (printed). */
static int parse_args(int argc, char **argv, vlt_cli_opts_t *o)
{
	int c;

	o->noun = argv[0];
	o->url = getenv("VALET_URL");
	o->token = getenv("OS_TOKEN");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:c:h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			vlt__cli_help(strcmp(o->noun, "help") == 0 ? NULL : o->noun, stdout);
			return -1;
		}
		if (c == '?' || c == ':')
			return vlt__cli_usage_error(o, "%s '%s'",
						    c == ':' ? "a value is needed after"
							     : "unknown option",
						    argv[optind - 1]);
		int rc = take_option(o, c, optarg);
		if (rc != 0)
			return rc;
	}
	o->args = argv + optind;
	o->n_args = (size_t)(argc - optind);
	if (has_verbs(o->noun) && o->n_args > 0) {
		o->verb = o->args[0];
		o->args++;
		o->n_args--;
	}
	return 0;
}

/* ---------------------------------------------------------------- the connection */

/* The exit status for an error of os_client (Keystone's or the transport's). */
static int exit_of(int code)
{
	switch (code) {
	case VLT_ECONFIG:
		return VLT_CLI_EXIT_USAGE;
	case VLT_EBACKEND:
	case VLT_ETIMEDOUT:
		return VLT_CLI_EXIT_UNREACHABLE; /* no answer, or none that could be used */
	default:
		return VLT_CLI_EXIT_API; /* Keystone refused (401, 403, 404) */
	}
}

/* A copy of a variable that is set and not empty, else of dflt (may be NULL). */
static char *env_dup(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0')
		v = dflt;
	return v != NULL ? strdup(v) : NULL;
}

static void trim_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

/* The OS_* variables and the token as os_client's settings; RET 0 or VLT_CLI_EXIT_USAGE. */
static int auth_from_env(const vlt_cli_opts_t *o, os_auth_t *a)
{
	vlt_err_t err = { 0 };

	memset(a, 0, sizeof(*a));
	a->auth_url = env_dup("OS_AUTH_URL", NULL);
	a->username = env_dup("OS_USERNAME", NULL);
	a->password = env_dup("OS_PASSWORD", NULL);
	a->user_domain = env_dup("OS_USER_DOMAIN_NAME", "Default");
	a->app_cred_id = env_dup("OS_APPLICATION_CREDENTIAL_ID", NULL);
	a->app_cred_secret = env_dup("OS_APPLICATION_CREDENTIAL_SECRET", NULL);
	a->project = env_dup("OS_PROJECT_NAME", NULL);
	a->project_domain = env_dup("OS_PROJECT_DOMAIN_NAME", "Default");
	a->region = env_dup("OS_REGION_NAME", NULL);
	a->interface = env_dup("OS_INTERFACE", "public");
	a->cafile = env_dup("OS_CACERT", NULL);
	a->token = o->token != NULL && o->token[0] != '\0' ? strdup(o->token) : NULL;
	a->timeout_ms = REQUEST_TIMEOUT_MS;
	a->retries = 0;
	a->parallel = 1;
	if (a->auth_url != NULL)
		trim_slashes(a->auth_url);
	bool keystone = a->auth_url != NULL || a->username != NULL || a->password != NULL ||
			a->app_cred_id != NULL || a->app_cred_secret != NULL;
	if ((keystone || a->token != NULL) && os_auth_check(a, &env_names, &err) < 0) {
		fprintf(stderr, "valet: %s\n", err.msg);
		os_auth_free(a);
		return VLT_CLI_EXIT_USAGE;
	}
	return 0;
}

/* base as valetd's root: no trailing slash, no "/v1" (a catalog's endpoint may have it). */
static int set_base(vlt_cli_conn_t *conn, const char *base, const char *from)
{
	if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
		fprintf(stderr, "valet: %s: '%s' is not an http:// or https:// URL\n", from, base);
		return VLT_CLI_EXIT_USAGE;
	}
	if (strlen(base) >= sizeof(conn->base)) {
		fprintf(stderr, "valet: %s: longer than %zu bytes\n", from, sizeof(conn->base) - 1);
		return VLT_CLI_EXIT_USAGE;
	}
	strcpy(conn->base, base);
	trim_slashes(conn->base);
	size_t n = strlen(conn->base);
	if (n >= 3 && strcmp(conn->base + n - 3, "/v1") == 0)
		conn->base[n - 3] = '\0';
	trim_slashes(conn->base);
	return 0;
}

static int open_conn(vlt_cli_conn_t *conn)
{
	const vlt_cli_opts_t *o = conn->opts;
	vlt_err_t err = { 0 };
	os_auth_t a;
	int rc = auth_from_env(o, &a);

	if (rc != 0)
		return rc;
	bool catalog = o->url == NULL || o->url[0] == '\0';
	if (catalog && a.auth_url == NULL) {
		os_auth_free(&a);
		fprintf(stderr, "valet: no endpoint: set VALET_URL (or give --url), or OS_AUTH_URL "
				"and credentials to find valet in Keystone's catalog\n");
		return VLT_CLI_EXIT_USAGE;
	}
	if (os_client_new(&conn->client, &a, NULL, &err) < 0) {
		fprintf(stderr, "valet: %s\n", err.msg);
		return exit_of(err.code);
	}
	if (!catalog) /* getenv's own pointer: the URL came from the environment */
		return set_base(conn, o->url,
				o->url == getenv("VALET_URL") ? "VALET_URL" : "--url");
	const char *url = os_service_endpoint(conn->client, "valet", "valet", &err);
	if (url == NULL) {
		fprintf(stderr, "valet: %s\n", err.msg);
		return exit_of(err.code);
	}
	return set_base(conn, url, "the catalog's valet endpoint");
}

/* ---------------------------------------------------------------- requests */

const char *vlt__cli_path(char *buf, size_t size, const char *collection, const char *id,
			  const char *tail)
{
	char *esc = curl_easy_escape(NULL, id, 0);
	int n = esc != NULL ? snprintf(buf, size, "/v1/%s/%s%s%s", collection, esc,
				       tail != NULL ? "/" : "", tail != NULL ? tail : "")
			    : -1;

	curl_free(esc);
	return n >= 0 && (size_t)n < size ? buf : NULL;
}

/* An answer that is not 2xx: "valet: GET /v1/plans/x: 404 Not Found: Plan not found". */
static int report_error(const char *method, const char *path, long status, const json_t *doc,
			const char *text)
{
	const char *msg = vlt__http_error_message(doc);

	fprintf(stderr, "valet: %s %s: %ld %s", method, path, status,
		vlt__http_reason((int)status));
	if (msg != NULL)
		fprintf(stderr, ": %s", msg);
	else if (text[0] != '\0')
		fprintf(stderr, ": %.300s", text); /* not valet's body: a proxy's, say */
	fputc('\n', stderr);
	if (status == 404 && msg != NULL && strncmp(msg, "no resource at ", 15) == 0)
		fprintf(stderr,
			"valet: this valetd does not serve %.*s: it may be older than "
			"this valet\n",
			(int)strcspn(path, "?"), path);
	return VLT_CLI_EXIT_API;
}

int vlt__cli_call(vlt_cli_conn_t *conn, const char *method, const char *path, const json_t *body,
		  json_t **doc)
{
	char url[4096];
	vlt_err_t err = { 0 };
	json_error_t je;
	long status = 0;
	char *text = NULL;
	int rc = conn->client == NULL ? open_conn(conn) : 0;

	*doc = NULL;
	if (rc != 0)
		return rc;
	if (snprintf(url, sizeof(url), "%s%s", conn->base, path) >= (int)sizeof(url)) {
		fprintf(stderr, "valet: %s: the URL is too long\n", path);
		return VLT_CLI_EXIT_USAGE;
	}
	char *req = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	rc = os_request(conn->client, method, url, req, NULL, &status, &text, &err);
	free(req);
	if (rc < 0) {
		fprintf(stderr, "valet: %s\n", err.msg);
		return exit_of(rc);
	}
	json_t *answer = text[0] != '\0' ? json_loads(text, 0, &je) : NULL;
	if (status < 200 || status > 299)
		rc = report_error(method, path, status, answer, text);
	else if (text[0] != '\0' && answer == NULL) {
		fprintf(stderr, "valet: %s %s: %ld, but the answer is not JSON: %s\n", method, path,
			status, je.text);
		rc = VLT_CLI_EXIT_API;
	}
	if (rc == 0)
		*doc = answer;
	else
		json_decref(answer);
	free(text);
	return rc;
}

/* ---------------------------------------------------------------- dispatch */

static const struct command {
	const char *noun;
	int (*run)(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o);
} commands[] = {
	{ "plan", vlt__cli_cmd_plan },	   { "placement", vlt__cli_cmd_placement },
	{ "group", vlt__cli_cmd_group },   { "decision", vlt__cli_cmd_decision },
	{ "status", vlt__cli_cmd_status },
};

static const struct command *command_of(const char *noun)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].noun, noun) == 0)
			return &commands[i];
	}
	return NULL;
}

bool vlt_valet_is_client_command(const char *name)
{
	return command_of(name) != NULL || strcmp(name, "help") == 0;
}

/* The options that may come before the command, and whether they take a value. */
static bool global_option(const char *arg, bool *takes_value)
{
	static const char *const with_value[] = { "--url", "--os-token", "--format",
						  "--column", "-f", "-c", NULL };

	for (size_t i = 0; with_value[i] != NULL; i++) {
		size_t n = strlen(with_value[i]);
		if (strncmp(arg, with_value[i], n) == 0 &&
		    (arg[n] == '\0' || arg[n] == '=' || (arg[1] != '-' && arg[n] != '\0'))) {
			*takes_value = arg[n] == '\0';
			return true;
		}
	}
	return false;
}

int vlt_valet_client_main(int argc, char **argv)
{
	int i = 1;
	bool takes_value = false;

	while (i < argc && global_option(argv[i], &takes_value))
		i += takes_value ? 2 : 1;
	if (i >= argc || !vlt_valet_is_client_command(argv[i]))
		return -1;
	/* the command first, then every option wherever it was: getopt_long takes them all */
	char *noun = argv[i];
	memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof(*argv));
	argv[1] = noun;
	return vlt_valet_client(argc - 1, argv + 1);
}

/* valet help [COMMAND] */
static int help(const vlt_cli_opts_t *o)
{
	const char *topic = o->n_args > 0 ? o->args[0] : NULL;

	if (o->n_args > 1)
		return vlt__cli_usage_error(o, "one command at most");
	if (topic != NULL && (strcmp(topic, "simulate") == 0 || strcmp(topic, "inventory") == 0)) {
		printf("valet %s works without valetd: valet %s --help prints its usage\n", topic,
		       topic);
		return VLT_CLI_EXIT_OK;
	}
	if (!vlt__cli_help(topic, stdout)) {
		fprintf(stderr, "valet help: no command '%s'\n", topic);
		vlt__cli_help(NULL, stderr);
		return VLT_CLI_EXIT_USAGE;
	}
	return VLT_CLI_EXIT_OK;
}

int vlt_valet_client(int argc, char **argv)
{
	vlt_cli_opts_t o = { 0 };
	int rc = parse_args(argc, argv, &o);

	if (rc != 0)
		return rc < 0 ? VLT_CLI_EXIT_OK : rc;
	if (strcmp(o.noun, "help") == 0)
		return help(&o);
	if (has_verbs(o.noun) && o.verb == NULL)
		return vlt__cli_usage_error(&o, "a subcommand is needed");
	vlt_cli_conn_t conn = { .opts = &o };
	rc = command_of(o.noun)->run(&conn, &o);
	os_client_free(conn.client);
	return rc;
}
