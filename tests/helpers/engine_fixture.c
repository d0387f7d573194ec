#include <stdlib.h>
#include <string.h>

#include "engine_fixture.h"
#include "log.h"

int vlt_fixture_open(vlt_fixture_t *f, const char *inventory, const char *const *solvers,
		     const char *const *settings, vlt_err_t *err)
{
	size_t n_solvers = 0;
	int rc;

	memset(f, 0, sizeof(*f));
	vlt__log_setup(VLT_LOG_WARNING, false, "valet-test");
	rc = vlt__config_load(&f->cfg, NULL, err);
	if (rc < 0)
		return rc;
	free(f->cfg.store); /* tests of the engine need no store */
	f->cfg.store = NULL;
	if (inventory != NULL &&
	    vlt__config_add_override(&f->cfg, "source.static.inventory", inventory) < 0)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; settings != NULL && settings[i] != NULL; i += 2)
		if (vlt__config_add_override(&f->cfg, settings[i], settings[i + 1]) < 0)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	while (solvers != NULL && solvers[n_solvers] != NULL)
		n_solvers++;
	rc = vlt__modules_load(&f->mods, &f->cfg, solvers, n_solvers, err);
	if (rc < 0)
		return rc;
	return vlt__engine_new(&f->engine, &f->mods, err);
}

void vlt_fixture_close(vlt_fixture_t *f)
{
	vlt__engine_free(f->engine);
	vlt__modules_unload(&f->mods);
	vlt__config_free(&f->cfg);
	memset(f, 0, sizeof(*f));
}

int vlt_fixture_place_file(vlt_fixture_t *f, const char *path, const char *solver,
			   json_t **result, vlt_err_t *err)
{
	json_error_t je;
	json_t *req = json_load_file(path, 0, &je);

	*result = NULL;
	if (req == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s:%d: %s", path, je.line, je.text);
	int rc = vlt__engine_place(f->engine, req, path, solver, result, err);
	json_decref(req);
	return rc;
}

const char *vlt_fixture_location(const json_t *result, const char *orch_id)
{
	json_t *p = json_object_get(json_object_get(result, "placements"), orch_id);

	return json_string_value(json_object_get(p, "location"));
}
