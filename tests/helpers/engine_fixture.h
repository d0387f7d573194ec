/*
 * engine_fixture.h - a real engine for tests: built-in default
 * configuration, the static source on a given inventory, no store, the
 * modules from the build tree.
 */
#ifndef VALET_TEST_ENGINE_FIXTURE_H
#define VALET_TEST_ENGINE_FIXTURE_H

#include <jansson.h>

#include "config.h"
#include "engine.h"
#include "loader.h"

typedef struct vlt_fixture {
	vlt_config_t cfg;
	vlt_modules_t mods;
	vlt_engine_t *engine;
} vlt_fixture_t;

/*
 * vlt_fixture_open - load the default modules (plus `solvers`, NULL
 * terminated, may be NULL) and build an engine on `inventory` (a path).
 * `settings` (may be NULL) is a NULL-terminated list of "kind.name.key",
 * "value" pairs of module overrides.
 * RET 0 or a negative code with err.
 */
int vlt_fixture_open(vlt_fixture_t *f, const char *inventory, const char *const *solvers,
		     const char *const *settings, vlt_err_t *err);
void vlt_fixture_close(vlt_fixture_t *f);

/*
 * vlt_fixture_place_file - place the request in a JSON file.
 * OUT result - new reference or NULL (bad input: err says why)
 * RET what vlt__engine_place returned (or VLT_EINVAL for an unreadable file)
 */
int vlt_fixture_place_file(vlt_fixture_t *f, const char *path, const char *solver,
			   json_t **result, vlt_err_t *err);

/* The location of one resource in a result, or NULL. Borrowed. */
const char *vlt_fixture_location(const json_t *result, const char *orch_id);

#endif /* VALET_TEST_ENGINE_FIXTURE_H */
