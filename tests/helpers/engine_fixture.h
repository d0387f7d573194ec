/* engine_fixture.h - small helpers for tests that place requests with a real engine. */
#ifndef VALET_TEST_ENGINE_FIXTURE_H
#define VALET_TEST_ENGINE_FIXTURE_H

#include <jansson.h>

#include "engine.h"
#include "session.h"

/*
 * vlt_fixture_place_file - place the request in a JSON file.
 * OUT result - new reference or NULL (bad input: err says why)
 * RET what vlt__engine_place returned (or VLT_EINVAL for an unreadable file)
 */
int vlt_fixture_place_file(vlt_engine_t *e, const char *path, const char *solver,
			   json_t **result, vlt_err_t *err);

/*
 * vlt_fixture_open - s on the static inventory at path, with the nova and
 * exact solvers and errors-only logging. RET 0, or -1 having said why on stderr.
 */
int vlt_fixture_open(vlt_session_t *s, const char *inventory);

/*
 * A plan request (plan_name and stack_id plan) of n servers s0.. of
 * flavor, in zone az (NULL: any). RET a new reference.
 */
json_t *vlt_fixture_servers(const char *plan, unsigned n, const char *flavor, const char *az);

/* A result's status message, or NULL. Borrowed. */
const char *vlt_fixture_message(const json_t *result);

/* The location of one resource in a result, or NULL. Borrowed. */
const char *vlt_fixture_location(const json_t *result, const char *orch_id);

#endif /* VALET_TEST_ENGINE_FIXTURE_H */
