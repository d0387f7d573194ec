/*
 * bench_snapshot.c - what journal snapshots buy: the store's size and the
 * time valetd's service takes to start after many create/delete cycles
 * with a few live plans, with snapshots (service.snapshot_every) and
 * without. In-process, on a real engine and store; run by hand:
 *
 *   bench_snapshot [CYCLES [EVERY [CONFIG]]]
 *
 * CYCLES (default 100000) plans are created and deleted again, one after
 * the other, beside LIVE plans that stay; the snapshot thread runs as in
 * valetd every EVERY entries (default 10000; 0: no snapshot). CONFIG is a
 * valet.conf (default: the sqlite store in a new folder and the static
 * source on conf/sample-inventory.json): one naming the mongodb store
 * benchmarks that (its source must know the flavor m1.small). One JSON
 * line: the entries written; what the store keeps, documents and bytes of
 * their JSON text, of the journal, the snapshots and the decision record
 * (kept service.decision_retention_s, whatever the journal); the sizes of
 * the sqlite store's files; the cycles' time and the start's
 * (vlt__service_open, on a new engine). The store's folder is made in
 * $TMPDIR (default /tmp). Figures in docs/performance.md.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include <valet/store.h>

#include "bench.h"
#include "config.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "service.h"

#define LIVE 5

struct world {
	vlt_config_t cfg;
	vlt_modules_t mods;
	vlt_engine_t *engine;
	vlt_service_t *svc;
	uint64_t every;
};

static void die(const char *what, const vlt_err_t *err)
{
	fprintf(stderr, "bench_snapshot: %s: %s\n", what, err->msg);
	exit(1);
}

/* The service's start alone, ms. */
static double open_service(struct world *w)
{
	vlt_service_opts_t so = { .snapshot_every = w->every, .mods = &w->mods };
	vlt_err_t err = { 0 };
	double t0 = bench_now_ms();

	if (vlt__service_open(&w->svc, w->engine, w->mods.store, &so, &err) < 0)
		die("service", &err);
	return bench_now_ms() - t0;
}

static void close_world(struct world *w)
{
	vlt__service_free(w->svc);
	vlt__engine_free(w->engine);
	vlt__modules_unload(&w->mods);
	vlt__config_free(&w->cfg);
	memset(w, 0, sizeof(*w));
}

static void plan(struct world *w, const char *stack)
{
	char orch[80];
	vlt_err_t err = { 0 };
	json_t *answer = NULL;

	snprintf(orch, sizeof(orch), "%s-s0", stack);
	json_t *req = json_pack("{s:s, s:s, s:{s:{s:s, s:s, s:{s:s}}}}", "plan_name", stack,
				"stack_id", stack, "resources", orch, "name", orch, "type",
				"OS::Nova::Server", "properties", "flavor", "m1.small");

	if (vlt__service_plan_create(w->svc, req, NULL, &answer, &err) < 0)
		die("create", &err);
	json_decref(req);
	json_decref(answer);
}

static void delete(struct world *w, const char *stack)
{
	vlt_err_t err = { 0 };

	if (vlt__service_plan_delete(w->svc, stack, &err) < 0)
		die("delete", &err);
}

/* A collection's documents and the bytes of their JSON text. */
struct tally {
	size_t docs, bytes;
};

static int tally_one(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct tally *t = arg;
	(void)id;
	(void)version;

	t->docs++;
	t->bytes += json_dumpb(doc, NULL, 0, JSON_COMPACT);
	return 0;
}

static struct tally tally(struct world *w, const char *coll)
{
	struct tally t = { 0, 0 };
	vlt_err_t err = { 0 };

	if (w->mods.store->ops.store->list(w->mods.store->state, coll, tally_one, &t, &err) < 0)
		die(coll, &err);
	return t;
}

static size_t count_docs(struct world *w, const char *coll)
{
	return tally(w, coll).docs;
}

/* {"docs", "bytes"} of the collections named, added up (new reference). */
static json_t *tally_json(struct world *w, const char *const *colls)
{
	struct tally sum = { 0, 0 };

	for (size_t i = 0; colls[i] != NULL; i++) {
		struct tally t = tally(w, colls[i]);

		sum.docs += t.docs;
		sum.bytes += t.bytes;
	}
	return json_pack("{s:I, s:I}", "docs", (json_int_t)sum.docs, "bytes",
			 (json_int_t)sum.bytes);
}

/* The bytes of each file in dir but the configuration: the sqlite database and its WAL. */
static json_t *folder_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	json_t *files = json_object();
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[700];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (strcmp(e->d_name, "valet.conf") != 0 && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			json_object_set_new(files, e->d_name, json_integer((json_int_t)st.st_size));
	}
	if (d != NULL)
		closedir(d);
	return files;
}

/*
 * Wait until the snapshot thread has caught up (at most 10 minutes): the
 * journal keeps the entries since the snapshot before the last, fewer than
 * two intervals and what came while the last was written.
 */
static void settle(struct world *w)
{
	for (int i = 0; w->every > 0 && i < 6000; i++) {
		if (count_docs(w, "journal") <= 2 * w->every + 2)
			return;
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
}

/* The default configuration, written into dir: the sample inventory, the sqlite store. */
static const char *default_config(const char *dir, char *path, size_t size)
{
	snprintf(path, size, "%s/valet.conf", dir);
	FILE *f = fopen(path, "w");

	if (f == NULL || fprintf(f, "source: { static: { inventory = \"%s\"; }; };\n",
				 VLT_SAMPLE_INVENTORY) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

int main(int argc, char **argv)
{
	unsigned long cycles = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	uint64_t every = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
	const char *config = argc > 3 ? argv[3] : NULL;
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char dir[400], cmd[480], stack[32], conf[480];
	struct world w = { 0 };
	vlt_err_t err = { 0 };

	vlt__log_setup(VLT_LOG_ERR, false, "bench");
	snprintf(dir, sizeof(dir), "%s/valet-bench-snapshot-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	w.every = every;
	if (config == NULL)
		config = default_config(dir, conf, sizeof(conf));
	bench_open_engine("bench_snapshot", config, dir, &w.cfg, &w.mods, &w.engine);
	open_service(&w);
	if (vlt__service_snapshotter_start(w.svc, &err) < 0)
		die("snapshot thread", &err);
	for (int i = 0; i < LIVE; i++) {
		snprintf(stack, sizeof(stack), "live-%d", i);
		plan(&w, stack);
	}
	double t0 = bench_now_ms();
	for (unsigned long i = 0; i < cycles; i++) {
		snprintf(stack, sizeof(stack), "cycle-%lu", i);
		plan(&w, stack);
		delete(&w, stack);
	}
	double cycles_ms = bench_now_ms() - t0;
	uint64_t entries = vlt__service_applied(w.svc);

	settle(&w);
	static const char *const journal_colls[] = { "journal", NULL };
	static const char *const snapshot_colls[] = { "journal_snapshots",
						      "journal_snapshot_chunks", NULL };
	static const char *const decision_colls[] = { "decisions", "decision_index", NULL };
	json_t *kept = json_pack("{s:o, s:o, s:o}", "journal", tally_json(&w, journal_colls),
				 "snapshots", tally_json(&w, snapshot_colls), "decisions",
				 tally_json(&w, decision_colls));
	char *kept_text = json_dumps(kept, JSON_COMPACT | JSON_SORT_KEYS);
	vlt__service_free(w.svc);
	vlt__engine_free(w.engine);
	json_t *bytes = folder_bytes(dir);
	char *bytes_text = json_dumps(bytes, JSON_COMPACT | JSON_SORT_KEYS);
	if (vlt__engine_new(&w.engine, &w.mods, &err) < 0) /* a new valetd's: holding nothing */
		die("engine", &err);
	double start_ms = open_service(&w);

	printf("{\"cycles\": %lu, \"live_plans\": %d, \"snapshot_every\": %" PRIu64
	       ", \"entries\": %" PRIu64 ", \"kept\": %s, \"files\": %s, \"cycles_s\": %.1f, "
	       "\"start_ms\": %.1f}\n",
	       cycles, LIVE, every, entries, kept_text, bytes_text, cycles_ms / 1e3, start_ms);
	free(kept_text);
	json_decref(kept);
	free(bytes_text);
	json_decref(bytes);
	close_world(&w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
