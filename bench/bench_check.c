/*
 * bench_check - what the core's exact host check (vlt_core_t.check at
 * VLT_LEVEL_HOST) costs: one server checked against each of 5,000 hosts,
 * many rounds, the median round reported in nanoseconds per host.
 *
 * The server asks only the three standard classes (vcpus, ram_mb,
 * disk_gb), the case almost every request is; with --classes the hosts
 * also have CUSTOM_FPGA and PCPU and a second server asks one FPGA, to
 * show what asking an extra class adds. A program of its own, reading
 * only what every version of the core has, so that an older tree can be
 * built with it for an A/B (docs/performance.md).
 * usage: bench_check [--rounds N] [--classes]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bench.h"
#include "cycle.h"
#include "ledger.h"
#include "log.h"
#include "session.h"
#include "stack.h"

#define N_HOSTS 5000

/* 5,000 hosts of 64 vCPU, 256 GiB, 2 TB, a tenth of them a third full. */
static char *write_inventory(bool classes)
{
	char path[] = "/tmp/valet-bench-check-XXXXXX";
	json_t *hosts = json_array();
	char name[32];
	int fd;

	for (unsigned h = 0; h < N_HOSTS; h++) {
		json_t *host;

		snprintf(name, sizeof(name), "h%05u", h);
		host = json_pack("{s:s, s:i, s:i, s:i}", "name", name, "vcpus", 64, "ram_mb",
				 262144, "disk_gb", 2000);
		if (h % 10 == 0)
			json_object_set_new(host, "used",
					    json_pack("{s:i, s:i}", "vcpus", 20, "ram_mb", 90000));
		if (classes)
			json_object_set_new(host, "resources",
					    json_pack("{s:i, s:i}", "CUSTOM_FPGA", (int)(h % 3),
						      "PCPU", 32));
		json_array_append_new(hosts, host);
	}
	json_t *inv = json_pack(
		"{s:s, s:o, s:[{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i, s:{s:s}}]}",
		"datacenter", "check", "hosts", hosts, "flavors", "name", "small", "vcpus", 2,
		"ram_mb", 4096, "disk_gb", 40, "name", "fpga", "vcpus", 2, "ram_mb", 4096,
		"disk_gb", 40, "extra_specs", "resources:CUSTOM_FPGA", "1");

	if ((fd = mkstemp(path)) < 0 || json_dumpfd(inv, fd, 0) < 0) {
		perror("bench_check: inventory");
		exit(1);
	}
	close(fd);
	json_decref(inv);
	return strdup(path);
}

static uint32_t policy_lookup(void *arg, const char *type)
{
	vlt_modules_t *mods = arg;
	vlt_module_t *m = vlt__modules_find(mods, VLT_KIND_POLICY, type);

	return m == NULL ? VLT_NONE : (uint32_t)(m - mods->policies);
}

/* Median over rounds of the time to check the server of flavor on every host, ns per host. */
static double check_ns(vlt_session_t *s, const char *flavor, int rounds, uint32_t *fit)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	json_t *req = json_pack("{s:s, s:s, s:{s:{s:s, s:s, s:{s:s}}}}", "plan_name", "b",
				"stack_id", "b", "resources", "vm", "name", "vm", "type",
				"OS::Nova::Server", "properties", "flavor", flavor);
	double *t = calloc((size_t)rounds, sizeof(*t)), median;
	vlt_ledger_t *l = NULL;
	vlt_stack_t *st = NULL;
	vlt_cycle_t *cy = NULL;
	vlt_err_t err = { 0 };

	if (t == NULL || vlt__ledger_new(&l, dc, (uint32_t)s->mods.n_policies, &err) < 0 ||
	    vlt__stack_parse(req, dc, NULL, policy_lookup, &s->mods, "b", &st, &err) < 0 ||
	    vlt__cycle_new(&cy, l, st, &s->mods, &err) < 0) {
		fprintf(stderr, "bench_check: %s\n", err.msg);
		exit(1);
	}
	for (int r = 0; r < rounds; r++) {
		double t0 = bench_now_ms();

		*fit = 0;
		for (uint32_t h = 0; h < dc->n_hosts; h++)
			*fit += vlt__cycle_check(cy, 0, VLT_LEVEL_HOST, h) == VLT_PASS;
		t[r] = (bench_now_ms() - t0) * 1e6 / dc->n_hosts;
	}
	median = bench_percentile(t, (size_t)rounds, 0.5);
	vlt__cycle_free(cy);
	vlt__stack_free(st);
	vlt__ledger_free(l);
	json_decref(req);
	free(t);
	return median;
}

int main(int argc, char **argv)
{
	int rounds = 2000;
	bool classes = false;
	vlt_session_t s;
	vlt_err_t err = { 0 };
	uint32_t fit;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
			rounds = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--classes") == 0) {
			classes = true;
		} else {
			fprintf(stderr, "usage: bench_check [--rounds N] [--classes]\n");
			return 2;
		}
	}
	if (rounds < 1)
		rounds = 1;
	vlt__log_setup(VLT_LOG_ERR, false, "bench");
	char *inv = write_inventory(classes);

	if (vlt__session_open(&s, NULL, inv, NULL, 0, NULL, &err) < 0) {
		fprintf(stderr, "bench_check: %s\n", err.msg);
		return 1;
	}
	double ns = check_ns(&s, "small", rounds, &fit);

	printf("check, three classes: %.2f ns per host (%u of %u fit)\n", ns, fit, N_HOSTS);
	if (classes) {
		ns = check_ns(&s, "fpga", rounds, &fit);
		printf("check, one CUSTOM_FPGA asked: %.2f ns per host (%u of %u fit)\n", ns, fit,
		       N_HOSTS);
	}
	vlt__session_close(&s);
	unlink(inv);
	free(inv);
	return 0;
}
