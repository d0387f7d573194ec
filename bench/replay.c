/*
 * replay.c - `bench_engine replay`: recorded placements and releases
 * through the engine, one session per job, timed call by call.
 *
 * The jobs file holds one JSON object per line:
 *   name         a label, copied to the output
 *   inventory    the inventory file (required)
 *   solver       the solver placing every request (default: the configured one, ostro)
 *   load         further solvers to load (default: the solver itself)
 *   settings     {"kind.name.key": value}: module settings
 *   groups       the named groups' registry, {"groups": [...]}
 *   events       a JSONL file, or an array: {"place": REQUEST} or {"release": PLAN_ID},
 *                each with "warm": true to leave it out of the figures
 *   results      a file to write one line per event: {i, us, rc, result, error}
 *   track_hosts  count hosts holding the replayed servers (peak_active_hosts)
 *
 * Each job prints one JSON line: counts, time spent in the engine, latency
 * quantiles in microseconds, hosts, bandwidth cost. Requests are parsed into
 * JSON before the clock starts; a placement's time is that of
 * vlt__engine_place (stack parse, validation, solve, commit, result).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "engine.h"
#include "session.h"

typedef struct job_figures {
	size_t events, measured, placed, refused, too_big, errors, released;
	double place_ms, release_ms;
	double *lat_us, *rel_us;
	size_t n_lat, n_rel;
	double cost, cross;
	json_int_t hosts_used_last;
	char first_error[512];
} job_figures_t;

/* Hosts holding replayed servers: per host a count, per plan its hosts. */
typedef struct tracker {
	bool on;
	json_t *host_index; /* host name -> index */
	json_t *plan_hosts; /* plan id -> [host index per server] */
	uint32_t *count;
	size_t active, peak;
} tracker_t;

static json_t *load_jsonl(const char *path)
{
	FILE *f = fopen(path, "r");
	json_t *out = json_array();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL) {
		fprintf(stderr, "bench replay: %s: cannot open\n", path);
		json_decref(out);
		return NULL;
	}
	for (size_t no = 1; (n = getline(&line, &cap, f)) > 0; no++) {
		json_error_t je;
		if (n == 1 && line[0] == '\n')
			continue;
		json_t *ev = json_loadb(line, (size_t)n, 0, &je);
		if (ev == NULL) {
			fprintf(stderr, "bench replay: %s:%zu: %s\n", path, no, je.text);
			json_decref(out);
			out = NULL;
			break;
		}
		json_array_append_new(out, ev);
	}
	free(line);
	fclose(f);
	return out;
}

/* The job's settings as the NULL-terminated "key", "value" list the session takes. */
static char **settings_list(const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	char **kv = calloc(2 * n + 1, sizeof(*kv));
	const char *key;
	json_t *v;
	char buf[64];

	if (kv == NULL)
		return NULL;
	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_string(v))
			snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		else if (json_is_integer(v))
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (json_is_boolean(v))
			snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "true" : "false");
		else
			snprintf(buf, sizeof(buf), "%.17g", json_number_value(v));
		kv[i++] = strdup(key);
		kv[i++] = strdup(buf);
	}
	return kv;
}

static void free_list(char **kv)
{
	for (size_t i = 0; kv != NULL && kv[i] != NULL; i++)
		free(kv[i]);
	free(kv);
}

static int open_job_session(vlt_session_t *s, const json_t *job, vlt_err_t *err)
{
	const char *inv = json_string_value(json_object_get(job, "inventory"));
	const char *solver = json_string_value(json_object_get(job, "solver"));
	const json_t *load = json_object_get(job, "load");
	const char *names[16];
	size_t n = 0;
	char **kv;
	int rc;

	if (inv == NULL)
		return vlt_err_set(err, VLT_EINVAL, "job: 'inventory' is missing");
	if (json_is_array(load)) {
		for (size_t i = 0; i < json_array_size(load) && n < 16; i++)
			if (json_is_string(json_array_get(load, i)))
				names[n++] = json_string_value(json_array_get(load, i));
	} else if (solver != NULL && strcmp(solver, "ostro") != 0) {
		names[n++] = solver;
	}
	kv = settings_list(json_object_get(job, "settings"));
	if (kv == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	rc = vlt__session_open(s, NULL, inv, names, n, (const char *const *)kv, err);
	free_list(kv);
	if (rc == VLT_OK && json_is_object(json_object_get(job, "groups"))) {
		rc = vlt__engine_set_groups(s->engine, json_object_get(job, "groups"), "groups",
					    err);
		if (rc < 0)
			vlt__session_close(s);
	}
	return rc;
}

static int tracker_init(tracker_t *t, const vlt_dc_t *dc, bool on)
{
	memset(t, 0, sizeof(*t));
	t->on = on;
	if (!on)
		return 0;
	t->host_index = json_object();
	t->plan_hosts = json_object();
	t->count = calloc(dc->n_hosts + 1, sizeof(*t->count));
	if (t->host_index == NULL || t->plan_hosts == NULL || t->count == NULL)
		return -1;
	for (uint32_t h = 0; h < dc->n_hosts; h++)
		json_object_set_new(t->host_index, dc->hosts[h].name, json_integer(h));
	return 0;
}

static void tracker_fini(tracker_t *t)
{
	json_decref(t->host_index);
	json_decref(t->plan_hosts);
	free(t->count);
}

/* The engine's id for a new plan of stack_id: the stack id, else "<id>#N". */
static void plan_id_for(const tracker_t *t, const char *stack_id, char *buf, size_t n)
{
	snprintf(buf, n, "%s", stack_id);
	for (unsigned i = 2; json_object_get(t->plan_hosts, buf) != NULL; i++)
		snprintf(buf, n, "%s#%u", stack_id, i);
}

static void tracker_place(tracker_t *t, const json_t *res)
{
	const char *stack_id = json_string_value(json_object_get(res, "stack_id"));
	json_t *hosts = json_array(), *p;
	const char *key;
	char id[512];

	json_object_foreach(json_object_get(res, "placements"), key, p) {
		json_t *h = json_object_get(t->host_index,
					    json_string_value(json_object_get(p, "location")));
		if (h == NULL)
			continue; /* a volume's pool */
		json_int_t i = json_integer_value(h);
		if (t->count[i]++ == 0 && ++t->active > t->peak)
			t->peak = t->active;
		json_array_append(hosts, h);
	}
	plan_id_for(t, stack_id != NULL ? stack_id : "", id, sizeof(id));
	json_object_set_new(t->plan_hosts, id, hosts);
}

static void tracker_release(tracker_t *t, const char *plan)
{
	json_t *hosts = json_object_get(t->plan_hosts, plan), *h;
	size_t i;

	if (hosts == NULL)
		return;
	json_array_foreach(hosts, i, h) {
		if (--t->count[json_integer_value(h)] == 0)
			t->active--;
	}
	json_object_del(t->plan_hosts, plan);
}

static void write_result(FILE *out, size_t i, double us, int rc, json_t *res, const char *msg)
{
	json_t *line = json_pack("{s:I, s:f, s:i, s:O?, s:s?}", "i", (json_int_t)i, "us", us,
				 "rc", rc, "result", res, "error", msg);
	if (line == NULL)
		return;
	json_dumpf(line, out, JSON_COMPACT);
	fputc('\n', out);
	json_decref(line);
}

static void count_place(job_figures_t *f, int rc, json_t *res, const vlt_err_t *err)
{
	if (rc == VLT_OK) {
		json_t *m = json_object_get(res, "metrics");
		f->placed++;
		f->cost += json_number_value(json_object_get(m, "bandwidth_cost"));
		f->cross += json_number_value(json_object_get(m, "cross_rack_mbps"));
		f->hosts_used_last = json_integer_value(json_object_get(m, "hosts_used"));
	} else if (res != NULL) {
		f->refused++;
		f->too_big += rc == VLT_E2BIG;
	} else {
		if (f->errors++ == 0)
			snprintf(f->first_error, sizeof(f->first_error), "%s",
				 err->msg[0] ? err->msg : vlt_strerror(rc));
	}
}

/* One event: place or release, timed; figures and results updated. */
static void run_event(vlt_session_t *s, const json_t *job, const json_t *ev, size_t i,
		      job_figures_t *f, tracker_t *t, FILE *results)
{
	const char *solver = json_string_value(json_object_get(job, "solver"));
	const json_t *req = json_object_get(ev, "place");
	bool warm = json_is_true(json_object_get(ev, "warm"));
	vlt_err_t err = {0};
	json_t *res = NULL;
	double t0, us;
	int rc;

	if (req != NULL) {
		t0 = bench_now_ms();
		rc = vlt__engine_place(s->engine, req, "bench", solver, &res, &err);
		us = (bench_now_ms() - t0) * 1e3;
		if (!warm) {
			f->measured++;
			f->place_ms += us / 1e3;
			f->lat_us[f->n_lat++] = us;
			count_place(f, rc, res, &err);
		}
		if (rc == VLT_OK && t->on)
			tracker_place(t, res);
	} else {
		const char *plan = json_string_value(json_object_get(ev, "release"));
		t0 = bench_now_ms();
		rc = vlt__engine_release(s->engine, plan != NULL ? plan : "");
		us = (bench_now_ms() - t0) * 1e3;
		if (!warm) {
			f->measured++;
			f->released += rc == VLT_OK;
			f->release_ms += us / 1e3;
			f->rel_us[f->n_rel++] = us;
		}
		if (rc == VLT_OK && t->on)
			tracker_release(t, plan);
	}
	if (results != NULL)
		write_result(results, i, us, rc, res, res == NULL && err.msg[0] ? err.msg : NULL);
	json_decref(res);
}

static json_t *quantiles(double *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	double mean = n ? sum / (double)n : 0;
	double p50 = bench_percentile(v, n, 0.5), p90 = bench_percentile(v, n, 0.9);
	double p99 = bench_percentile(v, n, 0.99), max = n ? v[n - 1] : 0;
	return json_pack("{s:f, s:f, s:f, s:f, s:f}", "p50", p50, "p90", p90, "p99", p99, "max",
			 max, "mean", mean);
}

static json_t *figures_json(const json_t *job, job_figures_t *f, const tracker_t *t,
			    double open_ms)
{
	json_t *out = json_pack(
		"{s:O?, s:O?, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o, s:f, "
		"s:f, s:I}",
		"name", json_object_get(job, "name"), "solver", json_object_get(job, "solver"),
		"open_ms", open_ms, "events", (json_int_t)f->events, "measured",
		(json_int_t)f->measured, "placed", (json_int_t)f->placed, "refused",
		(json_int_t)f->refused, "too_big", (json_int_t)f->too_big, "errors",
		(json_int_t)f->errors, "released", (json_int_t)f->released, "place_ms",
		f->place_ms, "release_ms", f->release_ms, "lat_us", quantiles(f->lat_us, f->n_lat),
		"release_us", quantiles(f->rel_us, f->n_rel), "bandwidth_cost", f->cost,
		"cross_rack_mbps", f->cross, "hosts_used_last", f->hosts_used_last);
	if (out != NULL && t->on) {
		json_object_set_new(out, "peak_active_hosts", json_integer((json_int_t)t->peak));
		json_object_set_new(out, "active_hosts_end", json_integer((json_int_t)t->active));
	}
	if (out != NULL && f->errors > 0)
		json_object_set_new(out, "first_error", json_string(f->first_error));
	return out;
}

static json_t *job_events(const json_t *job)
{
	const json_t *ev = json_object_get(job, "events");

	if (json_is_string(ev))
		return load_jsonl(json_string_value(ev));
	if (json_is_array(ev))
		return json_incref((json_t *)ev);
	fprintf(stderr, "bench replay: job %s: 'events' must be a file or an array\n",
		json_string_value(json_object_get(job, "name")));
	return NULL;
}

/* Run one job; RET its figures (new reference) or NULL with a message on stderr. */
static json_t *run_job(const json_t *job)
{
	const char *results_path = json_string_value(json_object_get(job, "results"));
	job_figures_t f = {0};
	vlt_session_t s;
	vlt_err_t err = {0};
	tracker_t t = {0};
	FILE *results = NULL;
	json_t *events = job_events(job), *out = NULL;
	double t0 = bench_now_ms();

	if (events == NULL)
		return NULL;
	if (open_job_session(&s, job, &err) < 0) {
		fprintf(stderr, "bench replay: job %s: %s\n",
			json_string_value(json_object_get(job, "name")), err.msg);
		json_decref(events);
		return NULL;
	}
	double open_ms = bench_now_ms() - t0;
	f.events = json_array_size(events);
	f.lat_us = calloc(f.events + 1, sizeof(*f.lat_us));
	f.rel_us = calloc(f.events + 1, sizeof(*f.rel_us));
	if (results_path != NULL && (results = fopen(results_path, "w")) == NULL)
		fprintf(stderr, "bench replay: %s: cannot write\n", results_path);
	if (f.lat_us != NULL && f.rel_us != NULL &&
	    tracker_init(&t, vlt__engine_dc(s.engine),
			 json_is_true(json_object_get(job, "track_hosts"))) == 0) {
		for (size_t i = 0; i < f.events; i++)
			run_event(&s, job, json_array_get(events, i), i, &f, &t, results);
		out = figures_json(job, &f, &t, open_ms);
	}
	tracker_fini(&t);
	if (results != NULL)
		fclose(results);
	free(f.lat_us);
	free(f.rel_us);
	json_decref(events);
	vlt__session_close(&s);
	return out;
}

int bench_replay_main(int argc, char **argv)
{
	const char *jobs_path = NULL, *out_path = NULL;
	FILE *out = stdout;
	int status = 0;

	bool bad = false;

	for (int i = 1; i < argc && !bad; i++) {
		if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
			jobs_path = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else
			bad = true;
	}
	if (bad || jobs_path == NULL) {
		fprintf(stderr, "usage: bench_engine replay --jobs FILE [--out FILE]\n");
		return 2;
	}
	json_t *jobs = load_jsonl(jobs_path);
	if (jobs == NULL)
		return 2;
	if (out_path != NULL && (out = fopen(out_path, "w")) == NULL) {
		fprintf(stderr, "bench replay: %s: cannot write\n", out_path);
		json_decref(jobs);
		return 2;
	}
	for (size_t i = 0; i < json_array_size(jobs); i++) {
		json_t *fig = run_job(json_array_get(jobs, i));
		if (fig == NULL) {
			status = 1;
			fig = json_pack("{s:O?, s:s}", "name",
					json_object_get(json_array_get(jobs, i), "name"), "failed",
					"see the log");
		}
		json_dumpf(fig, out, JSON_COMPACT);
		fputc('\n', out);
		fflush(out);
		json_decref(fig);
	}
	if (out != stdout)
		fclose(out);
	json_decref(jobs);
	return status;
}
