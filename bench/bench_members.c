/*
 * bench_members.c - how long one PUT /v1/groups/{id}/members holds the
 * service's lock, by the size of the group: the operation itself
 * (vlt__service_members_add) on a real engine and SQLite store, in-process.
 * Every other request waits this long at most behind it. Run by hand:
 *
 *   bench_members [MAX]   (default: 95000, about what a 1 MiB body holds)
 *
 * One JSON line per size: members added to an empty group ("add_ms"),
 * the same added again, nothing new ("again_ms"), and as many new ones to
 * the full group ("grow_ms"). Figures in docs/security.md, "Limits".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench.h"
#include "config.h"
#include "engine.h"
#include "loader.h"
#include "log.h"
#include "service.h"

struct world {
	vlt_config_t cfg;
	vlt_modules_t mods;
	vlt_engine_t *engine;
	vlt_service_t *svc;
};

static void die(const char *what, const vlt_err_t *err)
{
	fprintf(stderr, "bench_members: %s: %s\n", what, err->msg);
	exit(1);
}

static void open_world(struct world *w, char *dir)
{
	vlt_service_opts_t so = { .max_members = 1000000 };
	vlt_err_t err = { 0 };

	vlt__log_setup(VLT_LOG_ERR, false, "bench");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	bench_open_engine("bench_members", NULL, dir, &w->cfg, &w->mods, &w->engine);
	so.mods = &w->mods;
	if (vlt__service_open(&w->svc, w->engine, w->mods.store, &so, &err) < 0)
		die("service", &err);
}

static json_t *tenants(const char *prefix, unsigned from, unsigned n)
{
	json_t *list = json_array();
	char id[32];

	for (unsigned i = from; i < from + n; i++) {
		snprintf(id, sizeof(id), "%s%u", prefix, i);
		json_array_append_new(list, json_string(id));
	}
	return json_pack("{s:o}", "members", list);
}

/* Milliseconds of one members_add of n tenants from `from` to group id. */
static double add(struct world *w, const char *id, unsigned from, unsigned n)
{
	json_t *body = tenants("tenant-", from, n);
	json_t *group = NULL;
	vlt_err_t err = { 0 };
	double t0 = bench_now_ms();

	if (vlt__service_members_add(w->svc, id, body, &group, &err) != 0)
		die("members", &err);
	double ms = bench_now_ms() - t0;
	json_decref(group);
	json_decref(body);
	return ms;
}

static void measure(struct world *w, unsigned n)
{
	char name[32];
	vlt_err_t err = { 0 };
	json_t *group = NULL;

	snprintf(name, sizeof(name), "g%u", n);
	json_t *body = json_pack("{s:s, s:s}", "name", name, "type", "exclusivity");
	if (vlt__service_group_create(w->svc, body, &group, &err) != 0)
		die("group", &err);
	json_decref(body);
	json_decref(group);
	double first = add(w, name, 0, n);
	double again = add(w, name, 0, n);
	double grow = add(w, name, n, n);
	printf("{\"members\": %u, \"add_ms\": %.1f, \"again_ms\": %.1f, \"grow_ms\": %.1f}\n", n,
	       first, again, grow);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned max = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 95000;
	char dir[] = "/tmp/valet-bench-members-XXXXXX";
	char cmd[64];
	struct world w = { 0 };

	open_world(&w, dir);
	for (unsigned n = 1000; n <= max; n *= 2)
		measure(&w, n);
	if (max % 1000 != 0 || (max / 1000 & (max / 1000 - 1)) != 0)
		measure(&w, max);
	vlt__service_free(w.svc);
	vlt__engine_free(w.engine);
	vlt__modules_unload(&w.mods);
	vlt__config_free(&w.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
