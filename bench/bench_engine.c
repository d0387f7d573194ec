/*
 * bench_engine - the placement engine's figures, measured in-process:
 *   throughput  one server at a time on 5,000 hosts (ostro and nova)
 *   stack100    a 100-server three-tier stack with groups and pipes on 5,000 hosts
 *   stack1000   a 1,000-server stack on 20,000 hosts
 *   quality     bandwidth cost of ostro against nova on rack-sized three-tier
 *               stacks (web and db spread over hosts, app kept in a rack), and
 *               against the exact solver on small ones
 * usage: bench_engine [--quick] [--only SCENARIO] [--json FILE] [--explain]
 *        (--explain: each placement also explained, as valetd asks for its decision record)
 *        bench_engine replay --jobs FILE [--out FILE]   (replay.c; what bench/run uses)
 * Times are wall-clock on this machine; ratios compare runs of the same process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "engine.h"
#include "log.h"
#include "session.h"

static const char *const flavors[] = {"small", "medium", "large", "xlarge"};

/* An inventory of clusters x racks x hosts; 64 vCPU, 256 GiB, 2 TB, 10 Gb/s hosts. */
static char *write_inventory(unsigned clusters, unsigned racks, unsigned hosts)
{
	char path[] = "/tmp/valet-bench-inv-XXXXXX";
	int fd;
	json_t *inv = json_pack("{s:s, s:[], s:[], s:[], s:[], s:["
				"{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i},"
				"{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i}]}",
				"datacenter", "bench", "clusters", "racks", "hosts", "storage",
				"flavors", "name", "small", "vcpus", 2, "ram_mb", 4096, "disk_gb",
				40, "name", "medium", "vcpus", 4, "ram_mb", 8192, "disk_gb", 80,
				"name", "large", "vcpus", 8, "ram_mb", 16384, "disk_gb", 160,
				"name", "xlarge", "vcpus", 16, "ram_mb", 32768, "disk_gb", 320);
	json_t *cl = json_object_get(inv, "clusters"), *rk = json_object_get(inv, "racks");
	json_t *hs = json_object_get(inv, "hosts"), *st = json_object_get(inv, "storage");
	char name[96], rname[48], cname[16];

	for (unsigned c = 0; c < clusters; c++) {
		snprintf(cname, sizeof(cname), "c%02u", c);
		json_array_append_new(cl, json_pack("{s:s, s:i}", "name", cname, "uplink_mbps",
						    160000));
		for (unsigned r = 0; r < racks; r++) {
			snprintf(rname, sizeof(rname), "%sr%02u", cname, r);
			json_array_append_new(rk, json_pack("{s:s, s:s, s:i}", "name", rname,
							    "cluster", cname, "uplink_mbps", 40000));
			snprintf(name, sizeof(name), "pool-%s", rname);
			json_array_append_new(st, json_pack("{s:s, s:s, s:i}", "name", name,
							    "rack", rname, "capacity_gb", 100000));
			for (unsigned h = 0; h < hosts; h++) {
				snprintf(name, sizeof(name), "%sh%02u", rname, h);
				json_array_append_new(
					hs, json_pack("{s:s, s:s, s:i, s:i, s:i, s:i}", "name", name,
						      "rack", rname, "vcpus", 64, "ram_mb", 262144,
						      "disk_gb", 2000, "nic_mbps", 10000));
			}
		}
	}
	char *text = json_dumps(inv, JSON_COMPACT);
	FILE *out = NULL;
	fd = mkstemp(path);
	if (fd < 0 || text == NULL || (out = fdopen(fd, "w")) == NULL ||
	    fputs(text, out) == EOF || fclose(out) != 0) {
		perror("inventory");
		exit(2);
	}
	free(text);
	json_decref(inv);
	return strdup(path);
}

static json_t *server(const char *name, const char *flavor)
{
	return json_pack("{s:s, s:s, s:{s:s}}", "name", name, "type", "OS::Nova::Server",
			 "properties", "flavor", flavor);
}

static json_t *group(const char *type, const char *level, const char *name, json_t *members)
{
	json_t *g = json_pack("{s:s, s:{s:s, s:s, s:o}}", "type", "ATT::Valet::GroupAssignment",
			      "properties", "group_type", type, "level", level, "resources",
			      members);
	if (name != NULL)
		json_object_set_new(json_object_get(g, "properties"), "group_name",
				    json_string(name));
	return g;
}

static json_t *pipe_between(const char *a, const char *b, int mbps)
{
	return json_pack("{s:s, s:{s:[s,s], s:{s:i, s:s}}}", "type", "ATT::Valet::Pipe",
			 "properties", "resources", a, b, "bandwidth", "min", mbps, "units",
			 "Mbps");
}

/*
 * A three-tier stack of n servers: web (40%) spread over hosts, app (40%)
 * kept in one rack, db (20%) spread over hosts; pipes web->app 100 Mb/s,
 * app->db 200 Mb/s.
 */
static json_t *three_tier(const char *stack_id, unsigned n, bool with_groups)
{
	json_t *res = json_object(), *web = json_array(), *app = json_array(), *db = json_array();
	unsigned n_web = n * 2 / 5, n_app = n * 2 / 5, n_db = n - n_web - n_app;
	char id[64], peer[64];

	for (unsigned i = 0; i < n; i++) {
		const char *tier = i < n_web ? "web" : i < n_web + n_app ? "app" : "db";
		unsigned k = i < n_web ? i : i < n_web + n_app ? i - n_web : i - n_web - n_app;
		snprintf(id, sizeof(id), "%s-%u", tier, k);
		json_object_set_new(res, id, server(id, tier[0] == 'd' ? "large" : "medium"));
		json_array_append_new(tier[0] == 'w' ? web : tier[0] == 'a' ? app : db,
				      json_string(id));
		if (tier[0] == 'w' && n_app > 0) {
			snprintf(peer, sizeof(peer), "app-%u", k % n_app);
			snprintf(id, sizeof(id), "pipe-web-%u", k);
			json_object_set_new(res, id,
					    pipe_between(json_string_value(json_array_get(
								 web, json_array_size(web) - 1)),
							 peer, 100));
		} else if (tier[0] == 'd') {
			for (unsigned j = k; j < n_app; j += n_db) {
				snprintf(peer, sizeof(peer), "app-%u", j);
				snprintf(id, sizeof(id), "pipe-db-%u-%u", k, j);
				char me[64];
				snprintf(me, sizeof(me), "db-%u", k);
				json_object_set_new(res, id, pipe_between(me, peer, 200));
			}
		}
	}
	if (with_groups) {
		json_object_set_new(res, "web-div", group("diversity", "host", NULL, web));
		json_object_set_new(res, "app-aff", group("affinity", "rack", NULL, app));
		json_object_set_new(res, "db-div", group("diversity", "host", NULL, db));
	} else {
		json_decref(web);
		json_decref(app);
		json_decref(db);
	}
	return json_pack("{s:s, s:s, s:o}", "plan_name", stack_id, "stack_id", stack_id,
			 "resources", res);
}

typedef struct figures {
	json_t *rows;
} figures_t;

static void record(figures_t *f, const char *scenario, const char *metric, double value,
		   const char *unit)
{
	printf("  %-12s %-34s %14.3f %s\n", scenario, metric, value, unit);
	json_array_append_new(f->rows, json_pack("{s:s, s:s, s:f, s:s}", "scenario", scenario,
						 "metric", metric, "value", value, "unit", unit));
}

/* The engine keeps pointers into the session: open it where it will stay. */
static void open_session(vlt_session_t *s, const char *inv)
{
	static const char *const solvers[] = {"nova", "exact"};
	vlt_err_t err = {0};

	if (vlt__session_open(s, NULL, inv, solvers, 2, NULL, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(2);
	}
}

/* --explain: every placement also explained, as valetd asks for its decision record. */
static bool explain;

/* Place one request; returns its wall time in ms and the result (new reference). */
static double place(vlt_session_t *s, json_t *req, const char *solver, json_t **res)
{
	vlt_err_t err = {0};
	const vlt_place_opts_t o = {.solver = solver, .explain = explain};
	double t0 = bench_now_ms();
	int rc = vlt__engine_place_opts(s->engine, req, "bench", &o, res, &err);
	double t = bench_now_ms() - t0;

	if (*res == NULL) {
		fprintf(stderr, "bench: %s (%d)\n", err.msg, rc);
		exit(2);
	}
	return t;
}

static void throughput(figures_t *f, const char *inv, const char *solver, unsigned n)
{
	vlt_session_t s;

	open_session(&s, inv);
	json_t **reqs = calloc(n, sizeof(*reqs));
	double *lat = calloc(n, sizeof(*lat)), total = 0;
	char id[32], metric[64];
	unsigned placed = 0;

	srand(42);
	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "s%u", i);
		reqs[i] = json_pack("{s:s, s:s, s:{s:o}}", "plan_name", id, "stack_id", id,
				    "resources", "vm", server(id, flavors[rand() % 4]));
	}
	for (unsigned i = 0; i < n; i++) {
		json_t *res = NULL;
		lat[i] = place(&s, reqs[i], solver, &res);
		total += lat[i];
		placed += strcmp(json_string_value(json_object_get(
					 json_object_get(res, "status"), "type")),
				 "ok") == 0;
		json_decref(res);
		json_decref(reqs[i]);
	}
	snprintf(metric, sizeof(metric), "%s placements/s", solver);
	record(f, "throughput", metric, placed / (total / 1e3), "1/s");
	snprintf(metric, sizeof(metric), "%s p50 latency", solver);
	record(f, "throughput", metric, bench_percentile(lat, n, 0.5) * 1e3, "us");
	snprintf(metric, sizeof(metric), "%s p99 latency", solver);
	record(f, "throughput", metric, bench_percentile(lat, n, 0.99) * 1e3, "us");
	free(reqs);
	free(lat);
	vlt__session_close(&s);
}

static void stack_latency(figures_t *f, const char *scenario, const char *inv, unsigned n,
			  unsigned reps)
{
	vlt_session_t s;

	open_session(&s, inv);
	double *lat = calloc(reps, sizeof(*lat));
	json_t *req = three_tier("tier", n, true);
	double cost = 0, cross = 0;

	for (unsigned i = 0; i < reps; i++) {
		json_t *res = NULL;
		lat[i] = place(&s, req, NULL, &res);
		json_t *m = json_object_get(res, "metrics");
		if (strcmp(json_string_value(json_object_get(json_object_get(res, "status"),
							      "type")),
			   "ok") != 0) {
			fprintf(stderr, "bench: %s not placed: %s\n", scenario,
				json_string_value(json_object_get(json_object_get(res, "status"),
								  "message")));
			exit(2);
		}
		cost = json_number_value(json_object_get(m, "bandwidth_cost"));
		cross = json_number_value(json_object_get(m, "cross_rack_mbps"));
		json_decref(res);
		vlt__engine_release(s.engine, "tier");
	}
	record(f, scenario, "ostro p50 latency", bench_percentile(lat, reps, 0.5), "ms");
	record(f, scenario, "ostro p99 latency", bench_percentile(lat, reps, 0.99), "ms");
	record(f, scenario, "ostro bandwidth_cost", cost, "Mbps x levels");
	record(f, scenario, "ostro cross_rack_mbps", cross, "Mbps");
	json_decref(req);
	free(lat);
	vlt__session_close(&s);
}

static double cost_of(vlt_session_t *s, json_t *req, const char *solver, const char *id,
		      bool *ok)
{
	json_t *res = NULL;
	place(s, req, solver, &res);
	*ok = strcmp(json_string_value(json_object_get(json_object_get(res, "status"), "type")),
		     "ok") == 0;
	double c = json_number_value(
		json_object_get(json_object_get(res, "metrics"), "bandwidth_cost"));
	json_decref(res);
	vlt__engine_release(s->engine, id);
	return c;
}

/* Sum of bandwidth cost over stacks of 4..max servers: ostro, nova, and exact if asked. */
static void quality(figures_t *f, const char *scenario, const char *inv, unsigned max,
		    bool with_exact)
{
	vlt_session_t s;

	open_session(&s, inv);
	double ostro = 0, nova = 0, exact = 0, ostro_x = 0;
	unsigned n_exact = 0;

	for (unsigned n = 4; n <= max; n++) {
		json_t *req = three_tier("q", n, true);
		bool ok_o, ok_n, ok_x = false;
		double co = cost_of(&s, req, "ostro", "q", &ok_o);
		double cn = cost_of(&s, req, "nova", "q", &ok_n);
		if (ok_o && ok_n) {
			ostro += co;
			nova += cn;
		}
		if (with_exact) {
			double cx = cost_of(&s, req, "exact", "q", &ok_x);
			if (ok_x && ok_o) {
				exact += cx;
				ostro_x += co;
				n_exact++;
			}
		}
		json_decref(req);
	}
	record(f, scenario, "ostro bandwidth_cost (sum)", ostro, "Mbps x levels");
	record(f, scenario, "nova bandwidth_cost (sum)", nova, "Mbps x levels");
	record(f, scenario, "ostro / nova", nova > 0 ? ostro / nova : 0, "ratio");
	if (with_exact && n_exact > 0) {
		record(f, scenario, "exact bandwidth_cost (sum)", exact, "Mbps x levels");
		record(f, scenario, "ostro / exact", exact > 0 ? ostro_x / exact : 1, "ratio");
		record(f, scenario, "stacks solved by exact", n_exact, "count");
	}
	vlt__session_close(&s);
}

int main(int argc, char **argv)
{
	bool quick = false;
	const char *out = NULL, *only = NULL;
	figures_t f = {json_array()};

	if (argc > 1 && strcmp(argv[1], "replay") == 0) {
		vlt__log_setup(VLT_LOG_ERR, false, "bench");
		return bench_replay_main(argc - 1, argv + 1);
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--explain") == 0)
			explain = true;
		else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: bench_engine [--quick] [--only SCENARIO] "
					"[--json FILE] [--explain]\n");
			return 2;
		}
	}
	vlt__log_setup(VLT_LOG_ERR, false, "bench");
	char *dc5k = write_inventory(4, 25, 50);
	char *dc20k = write_inventory(8, 50, 50);
	char *dc48 = write_inventory(2, 2, 12);

	printf("scenario     metric                                      value unit\n");
#define RUN(name) (only == NULL || strcmp(only, name) == 0)
	if (RUN("throughput")) {
		throughput(&f, dc5k, "ostro", quick ? 2000 : 50000);
		throughput(&f, dc5k, "nova", quick ? 500 : 10000);
	}
	if (RUN("stack100"))
		stack_latency(&f, "stack100", dc5k, 100, quick ? 5 : 50);
	if (RUN("stack1000"))
		stack_latency(&f, "stack1000", dc20k, 1000, quick ? 1 : 5);
	if (RUN("rack-fit"))
		quality(&f, "rack-fit", dc5k, quick ? 12 : 40, false);
	if (RUN("small"))
		quality(&f, "small", dc48, quick ? 8 : 16, true);
#undef RUN
	if (out != NULL && json_dump_file(f.rows, out, JSON_INDENT(1)) < 0)
		fprintf(stderr, "bench: cannot write %s\n", out);
	unlink(dc5k);
	unlink(dc20k);
	unlink(dc48);
	free(dc5k);
	free(dc20k);
	free(dc48);
	json_decref(f.rows);
	return 0;
}
