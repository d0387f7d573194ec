/*
 * service_fixture.h - valet-api's service in-process, without HTTP: the
 * configured modules (sqlite store in a folder of the test's, the static
 * source on tests/data/api/inventory.json), an engine, and a service whose
 * clock is the fixture's now_ms, which the test sets.
 */
#ifndef VALET_TEST_SERVICE_FIXTURE_H
#define VALET_TEST_SERVICE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "loader.h"
#include "service.h"

typedef struct svc_fixture {
	vlt_config_t cfg;
	vlt_modules_t mods;
	vlt_engine_t *engine;
	vlt_service_t *svc;
	int64_t now_ms; /* the service's time; the test moves it */
} svc_fixture_t;

/* A new folder for a store (mkdtemp, under $TMPDIR or /tmp); buf of 64 bytes at least. */
void svc_fixture_dir(char *buf);
/* Remove the folder and the files in it. */
void svc_fixture_rmdir(const char *dir);

/*
 * svc_fixture_open - modules and engine, and the service on the store in
 * dir (several fixtures may share one dir: several valetd on one store),
 * holds lasting hold_ttl_s (0: forever). The clock starts at now_ms.
 * Fails the test on error.
 */
void svc_fixture_open(svc_fixture_t *f, const char *dir, int64_t hold_ttl_s, int64_t now_ms);
/* The same on another inventory file, with service options of the test's (clock and mods are set here). */
void svc_fixture_open_with(svc_fixture_t *f, const char *dir, const char *inventory,
			   vlt_service_opts_t so, int64_t now_ms);
/*
 * The same on the store module store ("sqlite", "mongodb"; NULL: the
 * configuration's), with settings given as "key=value" overrides of that
 * store's group (e.g. "uri=mongodb://...", NULL-terminated; may be NULL).
 */
void svc_fixture_open_store(svc_fixture_t *f, const char *dir, const char *store,
			    const char *const *store_settings, vlt_service_opts_t so,
			    int64_t now_ms);
void svc_fixture_close(svc_fixture_t *f);

/* One service on a store of its own: a folder made for it, removed with it. */
typedef struct svc_world {
	char dir[64];
	svc_fixture_t f;
} svc_world_t;
/* A new world (svc_fixture_open's arguments); fails the test on error. */
svc_world_t *svc_world_open(int64_t hold_ttl_s, int64_t now_ms);
/* Close its service, remove its folder, free it. */
void svc_world_close(svc_world_t *w);

/*
 * A plan request of n servers of one flavor (new reference), orchestration
 * ids <prefix>0 .. <prefix><n-1> (they must differ between plans).
 */
json_t *svc_fixture_request(const char *stack_id, const char *prefix, unsigned n,
			    const char *flavor);

/*
 * POST /v1/plans of n large (m1.large) servers named <prefix>0 ..
 * <prefix><n-1> in stack stack_id. RET what the service returned.
 */
int svc_fixture_create(svc_fixture_t *f, const char *stack_id, const char *prefix, unsigned n,
		       vlt_err_t *err);

/* The placement of orchestration id orch (a new reference); fails the test when absent. */
json_t *svc_fixture_placement(svc_fixture_t *f, const char *orch);
/* Its location, copied into buf ("" when it has none); buf. */
const char *svc_fixture_location(svc_fixture_t *f, const char *orch, char *buf, size_t size);

/* ---- Nova's notifications */

/*
 * One AMQP body as Nova's messagingv2 notifier sends it (a new string,
 * free()): the envelope around the message's JSON text, the versioned
 * payload of instance uuid on host (NULL: none) at t_us (µs since the epoch).
 */
char *svc_fixture_nova_body(const char *event_type, const char *uuid, const char *host,
			    int64_t t_us);
/* The same with the instance's flavor (its FlavorPayload's name). */
char *svc_fixture_nova_body_flavor(const char *event_type, const char *uuid, const char *host,
				   const char *flavor, int64_t t_us);
/* A plan of n servers of flavor, orchestration ids <prefix>0.., each reserved as <prefix>-uuid-<i>. */
void svc_fixture_create_reserved(svc_fixture_t *f, const char *stack, const char *prefix,
				 unsigned n, const char *flavor);
/* Does the service know a placement (server or volume) by this id? */
bool svc_fixture_placement_exists(svc_fixture_t *f, const char *orch);

#endif /* VALET_TEST_SERVICE_FIXTURE_H */
