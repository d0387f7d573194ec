/*
 * solver_fixture.h - what the solver tests share: generated inventories
 * (clusters x racks x hosts, optionally pre-loaded), plan requests built in
 * code, sessions on the real engine, and an independent check of a
 * placement against its groups.
 *
 * Generated hosts are named cCCrRRRhHHH and pools cCCrRRR-poolP: the rack is the first 7 characters
 * of the name and the cluster the first 3, so the checks need no lookup.
 */
#ifndef VALET_TEST_SOLVER_FIXTURE_H
#define VALET_TEST_SOLVER_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "session.h"

typedef struct inv_spec {
	unsigned clusters;
	unsigned racks;      /* per cluster */
	unsigned hosts;      /* per rack */
	int vcpus, ram_mb, disk_gb; /* per host; ratios are 1 */
	unsigned preload_pct; /* 0: empty; else hosts use a pseudo-random share of RAM up to this */
	int nic_mbps;         /* 0: unlimited */
	int rack_uplink_mbps; /* 0: unlimited */
	unsigned pools_per_rack;
	int pool_gb;
} inv_spec_t;

/* Write the inventory to VLT_BINARY_DIR/tests/solvers/<name>.json. OUT path (caller's buffer). */
void fx_write_inventory(const inv_spec_t *spec, const char *name, char *path, size_t n);

/*
 * Open a session on inventory with the ostro, nova and exact solvers; extra
 * module settings as "kind.name.key", "value" pairs, NULL-terminated.
 * Fails the test on error.
 */
void fx_open(vlt_session_t *s, const char *inventory, const char *const *settings);

/* ---- requests */
json_t *fx_request(const char *name);
void fx_server(json_t *req, const char *id, const char *flavor);
void fx_volume(json_t *req, const char *id, int size_gb);
void fx_attach(json_t *req, const char *id, const char *server, const char *volume);
/* members: NULL-terminated orchestration ids (servers, volumes or groups) */
void fx_group(json_t *req, const char *id, const char *type, const char *level,
	      const char *group_name, const char *const *members);
void fx_pipe(json_t *req, const char *id, const char *const *members, double mbps);

/*
 * An n-tier application of about n servers (multiple of 10, at least 10):
 * 40% web (small), 40% app (medium), 20% db (large). Web and app come in
 * cells of 5 + 5 servers, each tier's half of a cell diverse across hosts
 * and the whole cell affine in one rack; db servers come in pairs diverse
 * across racks, each with an attached volume when volumes is true. Pipes:
 * web i - app i (100 Mbps), app i - db (i mod n_db) (200 Mbps), db - its
 * volume (200 Mbps).
 */
json_t *fx_ntier(const char *name, unsigned n, bool volumes);

/*
 * Place req with solver; RET what the engine returned. *result (new
 * reference) holds the contract's per-plan object, NULL on bad input.
 */
int fx_place(vlt_session_t *s, const json_t *req, const char *solver, json_t **result);

/* ---- results */
const char *fx_loc(const json_t *result, const char *id);
double fx_metric(const json_t *result, const char *name);
const char *fx_message(const json_t *result);
/* The domain name of a generated host at a level: "host", "rack" or "cluster". */
void fx_domain(const char *host, const char *level, char *buf, size_t n);

/*
 * Check every group of req against result with nothing but the request
 * and the host names: affinity members share a domain, diversity members
 * (or member groups) use disjoint domains, exclusive domains hold no
 * server outside the group (`others`: locations of every other server
 * placed in the data center, may be NULL). Fails the test with a message.
 */
void fx_verify_groups(const json_t *req, const json_t *result, const json_t *others);

#endif /* VALET_TEST_SOLVER_FIXTURE_H */
