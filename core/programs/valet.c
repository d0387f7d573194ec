/*
 * valet - the command-line tool. `valet plan|placement|group|decision|status`
 * are a client of valetd's API (valet_client.c, docs/cli.md); the rest works
 * without valetd. `valet inventory` prints what the configured
 * sources see (valet_inventory.c). `valet simulate` answers "where would this
 * go?": it places plan requests on an inventory file, in order, each seeing
 * what the earlier ones hold, with the same modules valetd loads. It reads
 * the inventory given and writes nothing: the static source is its only
 * source and no store is opened, whatever the configuration says of them.
 * Given --config and no --inventory, it plans on what the configuration's
 * own sources report instead (a live cloud's view), still writing nothing.
 * --template places a Heat template as valetd would have it sent: expanded
 * by engine/hot.c, nested templates and group members included, into one
 * plan request, placed after the --plan files.
 * --start and --end give the last request placed (the template, else the
 * last --plan) an interval, as a request's own "start" and "end" would
 * (docs/reservations.md); --displace says what that last request would
 * displace (valet_displace.c).
 *
 * Exit status of simulate: 0 every plan placed, 1 some plan could not be,
 * 2 bad input or configuration (with a message naming the file and the
 * problem). The client's are in valet_client.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine.h"
#include "hot.h"
#include "log.h"
#include "session.h"
#include "timeline.h"
#include "valet_client.h"
#include "valet_displace.h"
#include "valet_inventory.h"

#define EXIT_NOT_PLACED 1
#define EXIT_BAD_INPUT 2

typedef struct sim_args {
	const char *inventory;
	const char *groups;
	const char **plans;
	size_t n_plans;
	const char *solver;
	const char *config;
	bool json;
	/* --template and what goes with it */
	const char *tmpl;
	const char *environment;
	const char *files_dir;
	const char *stack_id;
	json_t *params; /* {name: value} of the --param options (owned) */
	/* the last request's interval, and what it would displace */
	const char *start;
	const char *end;
	json_t *interval; /* {"start", "end"} as given (owned; set by check_interval) */
	bool displace;
} sim_args_t;

static void usage(FILE *out)
{
	fputs("usage: valet simulate [--inventory INV.json] [--groups GROUPS.json] --plan PLAN.json\n"
	      "                      [--plan PLAN2.json ...] [--solver NAME] [--config FILE] "
	      "[--json]\n"
	      "       valet simulate [--inventory INV.json] [--groups GROUPS.json] [--plan ...]\n"
	      "                      --template STACK.yaml [--environment ENV.yaml] "
	      "[--files DIR]\n"
	      "                      [--param NAME=VALUE ...] [--stack-id ID] [--solver NAME]\n"
	      "                      [--config FILE] [--json]\n"
	      "       valet simulate ... [--start TIME] [--end TIME] [--displace]\n"
	      "       valet inventory [--config FILE] [--inventory INV.json] [--json]\n"
	      "       valet plan|placement|group|decision|status ...   (valet help)\n"
	      "       valet --version | --help\n\n"
	      "Places the plans in order on the inventory (with --config and no --inventory:\n"
	      "on what the configuration's sources report), each seeing what the earlier ones\n"
	      "hold, with the modules the configuration names (built-in defaults without one).\n"
	      "--json prints one JSON object per plan, one per line.\n"
	      "--template expands a Heat template (YAML or JSON) into one plan, placed after\n"
	      "the --plan files: nested templates come from beside the template, from the\n"
	      "environment's folder, then from --files DIR; --param gives a parameter (above\n"
	      "the environment's); resources are keyed ID/<path> (ID: --stack-id, else the\n"
	      "template's file name without its extension).\n"
	      "--start/--end (RFC 3339 UTC, 2026-12-08T10:00:00Z) give the last request (the\n"
	      "template, else the last --plan) that interval; --displace says which earlier\n"
	      "plans share its hosts during it, or, when it does not fit, which would have to\n"
	      "move for it to fit.\n"
	      "Exit status: 0 all placed, 1 some not placed, 2 bad input or configuration.\n",
	      out);
}

/* --param NAME=VALUE: the value is a string; the parameter's type converts it. */
static int add_param(sim_args_t *a, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg) {
		fprintf(stderr, "valet simulate: --param '%s': expected NAME=VALUE\n", arg);
		return -1;
	}
	if (a->params == NULL && (a->params = json_object()) == NULL)
		return -1;
	char *name = strndup(arg, (size_t)(eq - arg));
	int rc = name != NULL ? json_object_set_new(a->params, name, json_string(eq + 1)) : -1;
	free(name);
	return rc;
}

/* --start and --end as the engine reads them, with the options named in the message. */
static int check_interval(sim_args_t *a)
{
	json_t *iv = a->interval = json_object();
	vlt_interval_t parsed;
	vlt_err_t err = {0};

	if (iv != NULL && a->start != NULL)
		json_object_set_new(iv, "start", json_string(a->start));
	if (iv != NULL && a->end != NULL)
		json_object_set_new(iv, "end", json_string(a->end));
	int rc = iv != NULL ? vlt__interval_parse(iv, "--start/--end", &parsed, &err) : -1;

	if (rc < 0)
		fprintf(stderr, "valet simulate: %s\n", err.msg[0] ? err.msg : "out of memory");
	return rc < 0 ? -1 : 0;
}

static int parse_args(int argc, char **argv, sim_args_t *a)
{
	static const struct option opts[] = {
		{"inventory", required_argument, NULL, 'i'},
		{"groups", required_argument, NULL, 'g'},
		{"plan", required_argument, NULL, 'p'},
		{"solver", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"template", required_argument, NULL, 't'},
		{"environment", required_argument, NULL, 'e'},
		{"files", required_argument, NULL, 'f'},
		{"param", required_argument, NULL, 'P'},
		{"stack-id", required_argument, NULL, 'S'},
		{"start", required_argument, NULL, 'B'},
		{"end", required_argument, NULL, 'E'},
		{"displace", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	a->plans = calloc((size_t)argc, sizeof(*a->plans));
	if (a->plans == NULL)
		return -1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': a->inventory = optarg; break;
		case 'g': a->groups = optarg; break;
		case 'p': a->plans[a->n_plans++] = optarg; break;
		case 's': a->solver = optarg; break;
		case 'c': a->config = optarg; break;
		case 'j': a->json = true; break;
		case 't': a->tmpl = optarg; break;
		case 'e': a->environment = optarg; break;
		case 'f': a->files_dir = optarg; break;
		case 'S': a->stack_id = optarg; break;
		case 'B': a->start = optarg; break;
		case 'E': a->end = optarg; break;
		case 'D': a->displace = true; break;
		case 'P':
			if (add_param(a, optarg) < 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "valet simulate: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	/* without an inventory file, the configuration's sources are read */
	if ((a->inventory == NULL && a->config == NULL) || (a->n_plans == 0 && a->tmpl == NULL)) {
		fprintf(stderr, "valet simulate: --inventory (or --config) and at least one "
				"--plan or a --template are needed\n");
		return -1;
	}
	if (a->tmpl == NULL && (a->environment != NULL || a->files_dir != NULL ||
				a->stack_id != NULL || a->params != NULL)) {
		fprintf(stderr, "valet simulate: --environment, --files, --param and --stack-id "
				"go with --template\n");
		return -1;
	}
	return 0;
}

/* A JSON file or standard input, for simulate and the client (valet_client.h). */
json_t *vlt__cli_load_json(const char *who, const char *path)
{
	json_error_t je;
	json_t *doc = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
					     : json_load_file(path, JSON_REJECT_DUPLICATES, &je);

	if (doc == NULL) {
		if (je.line < 0)
			fprintf(stderr, "%s: %s: %s\n", who, path, je.text);
		else
			fprintf(stderr, "%s: %s:%d:%d: %s\n", who, path, je.line, je.column,
				je.text);
	}
	return doc;
}

static json_t *load_json(const char *path)
{
	return vlt__cli_load_json("valet simulate", path);
}

/* " over START to END" of an object with a request's "start" and "end", when it has one. */
static void print_interval(const json_t *obj)
{
	vlt_interval_t iv;
	char buf[128];

	if (vlt__interval_parse(obj, NULL, &iv, NULL) == 0 && vlt__interval_timed(&iv)) {
		vlt__interval_format(&iv, buf, sizeof(buf));
		printf(" over %s", buf);
	}
}

static void print_hosts(const char *lead, const json_t *hosts)
{
	size_t i;
	json_t *h;

	fputs(lead, stdout);
	json_array_foreach(hosts, i, h) {
		printf("%s%s", i ? ", " : "", json_string_value(h));
	}
}

/* "plan NAME (FILE) over ...", one line's start for --displace. */
static void print_ref(const char *indent, const json_t *ref)
{
	printf("%splan %s (%s)", indent, json_string_value(json_object_get(ref, "plan")),
	       json_string_value(json_object_get(ref, "file")));
	print_interval(ref);
}

static void print_units(const json_t *placements)
{
	const char *key;
	json_t *p;

	json_object_foreach((json_t *)placements, key, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		/* a template's ids (stack/path) say where in the tree a resource is */
		printf("  %-28s %-20s %s\n", name != NULL && strchr(key, '/') == NULL ? name : key,
		       json_string_value(json_object_get(p, "type")),
		       json_string_value(json_object_get(p, "location")));
	}
}

static void print_shared(const json_t *shared)
{
	size_t i;
	json_t *ref;

	if (json_array_size(shared) == 0) {
		puts("  shares no host with another plan while it holds them");
		return;
	}
	puts("  shares hosts with, while it holds them:");
	json_array_foreach(shared, i, ref) {
		print_ref("    ", ref);
		print_hosts(": ", json_object_get(ref, "hosts"));
		putchar('\n');
	}
}

static void print_moves(const json_t *d)
{
	const char *key;
	size_t i;
	json_t *ref, *loc;

	if (!json_is_true(json_object_get(d, "fits_if_moved"))) {
		printf("  even with every plan that overlaps it moved, it does not fit: %s\n",
		       json_string_value(json_object_get(d, "message")));
		return;
	}
	puts("  it fits if these plans move:");
	json_array_foreach(json_object_get(d, "must_move"), i, ref) {
		print_ref("    ", ref);
		print_hosts(": from ", json_object_get(ref, "from"));
		print_hosts(" to ", json_object_get(ref, "to"));
		putchar('\n');
	}
	json_array_foreach(json_object_get(d, "no_room"), i, ref) {
		print_ref("    ", ref);
		print_hosts(": no room left for it (was on ", json_object_get(ref, "from"));
		puts(")");
	}
	puts("  it would go to:");
	json_object_foreach(json_object_get(d, "placements"), key, loc) {
		printf("    %-26s %s\n", key, json_string_value(loc));
	}
}

static void print_human(const json_t *req, const json_t *res)
{
	const json_t *status = json_object_get(res, "status");
	const json_t *metrics = json_object_get(res, "metrics");
	const json_t *d = json_object_get(res, "displacement");
	const char *type = json_string_value(json_object_get(status, "type"));

	printf("plan %s (stack %s)", json_string_value(json_object_get(res, "plan_name")),
	       json_string_value(json_object_get(res, "stack_id")));
	print_interval(req);
	if (type == NULL || strcmp(type, "ok") != 0) {
		printf(": not placed: %s\n", json_string_value(json_object_get(status, "message")));
		if (d != NULL)
			print_moves(d);
		return;
	}
	printf(": placed on %" JSON_INTEGER_FORMAT " hosts, bandwidth cost %g, cross-rack %g "
	       "Mbps, %.3f ms\n",
	       json_integer_value(json_object_get(metrics, "hosts_used")),
	       json_number_value(json_object_get(metrics, "bandwidth_cost")),
	       json_number_value(json_object_get(metrics, "cross_rack_mbps")),
	       json_number_value(json_object_get(metrics, "solve_ms")));
	print_units(json_object_get(res, "placements"));
	if (d != NULL)
		print_shared(json_object_get(d, "shared"));
}

/* --start/--end into the last request, which must not have its own. RET 0 or -1. */
static int give_interval(const sim_args_t *a, json_t *req, const char *where)
{
	if (json_object_size(a->interval) == 0)
		return 0;
	if (!json_is_object(req) || json_object_get(req, "start") != NULL ||
	    json_object_get(req, "end") != NULL) {
		fprintf(stderr, "valet simulate: %s: --start/--end give the last request its "
				"interval, and this one %s\n", where,
			json_is_object(req) ? "has its own start or end" : "is not an object");
		return -1;
	}
	return json_object_update(req, a->interval);
}

/* What --displace adds to the last request's result: "displacement". RET 0 or an error. */
static int add_displacement(vlt_engine_t *engine, const sim_args_t *a, sim_plan_t *plans,
			    size_t i, json_t *res, vlt_err_t *err)
{
	json_t *d = NULL;
	int rc = 0;

	if (plans[i].res != NULL)
		d = json_pack("{s:o}", "shared", vlt__sim_shared(plans, i, &plans[i]));
	else
		rc = vlt__sim_displace(engine, plans, i, &plans[i], a->solver, &d, err);
	if (rc == 0 && d == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		json_object_set_new(res, "displacement", d);
	return rc;
}

static void print_result(const sim_args_t *a, const json_t *req, const json_t *res)
{
	if (a->json) {
		char *line = json_dumps(res, JSON_COMPACT);
		if (line != NULL)
			puts(line);
		free(line);
	} else {
		print_human(req, res);
	}
}

/*
 * Places plans[i] (its request and file set) and prints the result, the
 * last one with its interval and displacement as asked; returns the exit status.
 */
static int place_one(vlt_engine_t *engine, const sim_args_t *a, sim_plan_t *plans, size_t i,
		     bool last)
{
	sim_plan_t *p = &plans[i];
	vlt_place_result_t *r = NULL;
	vlt_err_t err = {0};
	json_t *res = NULL;

	snprintf(p->id, sizeof(p->id), "sim-%zu", i + 1);
	if (last && give_interval(a, p->req, p->where) < 0)
		return EXIT_BAD_INPUT;
	vlt_place_opts_t o = { .plan_id = p->id, .solver = a->solver };
	int rc = vlt__interval_parse(p->req, p->where, &p->iv, &err);
	if (rc == 0)
		rc = vlt__engine_plan(engine, p->req, p->where, &o, &r, &err);
	if (r != NULL && (res = vlt__place_result_json(r)) == NULL)
		rc = vlt_err_set(&err, VLT_ENOMEM, "result: out of memory");
	bool placed = r != NULL && rc == VLT_OK;
	if (placed)
		p->res = r;
	else
		vlt__place_result_free(r);
	if (res != NULL && last && a->displace &&
	    (rc = add_displacement(engine, a, plans, i, res, &err)) == 0)
		rc = placed ? VLT_OK : VLT_ENOPLACE;
	if (res == NULL || (rc < 0 && rc != VLT_ENOPLACE && rc != VLT_E2BIG)) {
		fprintf(stderr, "valet simulate: %s\n", err.msg[0] ? err.msg : vlt_strerror(rc));
		json_decref(res);
		return EXIT_BAD_INPUT;
	}
	print_result(a, p->req, res);
	json_decref(res);
	return rc != VLT_OK ? EXIT_NOT_PLACED : 0;
}

/* The folder of a path ("." for a bare name), in buf. */
static const char *folder_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, size, ".");
	else
		snprintf(buf, size, "%.*s", (int)(slash - path) > 0 ? (int)(slash - path) : 1,
			 path);
	return buf;
}

/* The template's stack id when --stack-id is not given: its file name, extension off. */
static void default_stack_id(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');

	snprintf(buf, size, "%s", base != NULL ? base + 1 : path);
	char *dot = strrchr(buf, '.');
	if (dot != NULL && dot != buf)
		*dot = '\0';
}

/* The plan request of --template, expanded by hot.c; NULL after a message. */
static json_t *template_request(const sim_args_t *a)
{
	char tdir[4096], edir[4096], sid[256];
	const char *dirs[4] = { NULL };
	size_t n_dirs = 0;
	json_t *tmpl = NULL, *env = NULL, *resources = NULL, *req = NULL;
	vlt_err_t err = {0};

	dirs[n_dirs++] = folder_of(a->tmpl, tdir, sizeof(tdir));
	if (a->environment != NULL)
		dirs[n_dirs++] = folder_of(a->environment, edir, sizeof(edir));
	if (a->files_dir != NULL)
		dirs[n_dirs++] = a->files_dir;
	if (a->stack_id == NULL)
		default_stack_id(a->tmpl, sid, sizeof(sid));
	int rc = vlt__hot_parse_file(a->tmpl, &tmpl, &err);
	if (rc == 0 && a->environment != NULL)
		rc = vlt__hot_parse_file(a->environment, &env, &err);
	vlt_hot_input_t in = { .name = a->tmpl,
			       .tmpl = tmpl,
			       .environment = env,
			       .params = a->params,
			       .stack_id = a->stack_id != NULL ? a->stack_id : sid,
			       .dirs = dirs };
	if (rc == 0 && a->environment != NULL && !json_is_object(env))
		rc = vlt_err_set(&err, VLT_EINVAL, "%s: expected a mapping at the top",
				 a->environment);
	if (rc == 0)
		rc = vlt__hot_expand(&in, &resources, &err);
	if (rc == 0)
		req = json_pack("{s:s, s:s, s:o}", "stack_id", in.stack_id, "plan_name",
				in.stack_id, "resources", resources);
	if (rc < 0)
		fprintf(stderr, "valet simulate: %s\n", err.msg);
	json_decref(tmpl);
	json_decref(env);
	return req;
}

/* The request of plans[i]: the i-th --plan, then the template; NULL after a message. */
static json_t *request_of(const sim_args_t *a, size_t i)
{
	return i < a->n_plans ? load_json(a->plans[i]) : template_request(a);
}

/* Places every plan in order, then the template; returns the exit status. */
static int run_plans(vlt_engine_t *engine, const sim_args_t *a)
{
	size_t n = a->n_plans + (a->tmpl != NULL ? 1 : 0), i;
	sim_plan_t *plans = calloc(n + 1, sizeof(*plans));
	int status = plans != NULL ? 0 : EXIT_BAD_INPUT;

	for (i = 0; status != EXIT_BAD_INPUT && i < n; i++) {
		plans[i].where = i < a->n_plans ? a->plans[i] : a->tmpl;
		if ((plans[i].req = request_of(a, i)) == NULL) {
			status = EXIT_BAD_INPUT;
			break;
		}
		int rc = place_one(engine, a, plans, i, i + 1 == n);
		if (rc != 0)
			status = rc;
	}
	for (i = 0; plans != NULL && i < n; i++) {
		json_decref(plans[i].req);
		vlt__place_result_free(plans[i].res);
	}
	free(plans);
	return status;
}

static int load_groups(vlt_engine_t *engine, const char *path)
{
	json_t *doc = load_json(path);
	vlt_err_t err = {0};

	if (doc == NULL)
		return EXIT_BAD_INPUT;
	int rc = vlt__engine_set_groups(engine, doc, path, &err);
	json_decref(doc);
	if (rc < 0) {
		fprintf(stderr, "valet simulate: %s\n", err.msg);
		return EXIT_BAD_INPUT;
	}
	return 0;
}

static int simulate(int argc, char **argv)
{
	sim_args_t a = {0};
	vlt_session_t session = {0};
	vlt_err_t err = {0};
	int status = EXIT_BAD_INPUT;
	const char *extra[1] = {NULL};

	if (parse_args(argc, argv, &a) < 0) {
		usage(stderr);
		goto out;
	}
	if (check_interval(&a) < 0)
		goto out;
	vlt__log_setup(VLT_LOG_WARNING, false, "valet");
	extra[0] = a.solver;
	/* no inventory file: the configuration's own sources (a cloud's, say) */
	int rc = a.inventory != NULL
			 ? vlt__session_open(&session, a.config, a.inventory, extra,
					     a.solver ? 1 : 0, NULL, &err)
			 : vlt__session_open_sources(&session, a.config, NULL, extra,
						     a.solver ? 1 : 0, &err);
	if (rc < 0) {
		fprintf(stderr, "valet simulate: %s\n", err.msg);
		goto out;
	}
	if (a.groups != NULL && (status = load_groups(session.engine, a.groups)) != 0)
		goto out;
	status = run_plans(session.engine, &a);
out:
	vlt__session_close(&session);
	free(a.plans);
	json_decref(a.params);
	json_decref(a.interval);
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "simulate") == 0)
		return simulate(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "inventory") == 0)
		return vlt_valet_inventory(argc - 1, argv + 1);
	int client = vlt_valet_client_main(argc, argv);
	if (client >= 0)
		return client;
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("valet %s\n", VLT_VERSION);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_BAD_INPUT;
}
