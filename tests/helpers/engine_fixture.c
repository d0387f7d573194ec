#include "engine_fixture.h"

int vlt_fixture_place_file(vlt_engine_t *e, const char *path, const char *solver,
			   json_t **result, vlt_err_t *err)
{
	json_error_t je;
	json_t *req = json_load_file(path, 0, &je);

	*result = NULL;
	if (req == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s:%d: %s", path, je.line, je.text);
	int rc = vlt__engine_place(e, req, path, solver, result, err);
	json_decref(req);
	return rc;
}

const char *vlt_fixture_location(const json_t *result, const char *orch_id)
{
	json_t *p = json_object_get(json_object_get(result, "placements"), orch_id);

	return json_string_value(json_object_get(p, "location"));
}
