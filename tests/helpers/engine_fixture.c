#include <stdio.h>

#include "engine_fixture.h"
#include "log.h"

int vlt_fixture_open(vlt_session_t *s, const char *inventory)
{
	static const char *const solvers[] = { "nova", "exact" };
	vlt_err_t err = { 0 };

	vlt__log_setup(VLT_LOG_ERR, false, "test");
	if (vlt__session_open(s, NULL, inventory, solvers, 2, NULL, &err) < 0) {
		fprintf(stderr, "session: %s\n", err.msg);
		return -1;
	}
	return 0;
}

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

json_t *vlt_fixture_servers(const char *plan, unsigned n, const char *flavor, const char *az)
{
	json_t *resources = json_object();
	char id[16];

	for (unsigned i = 0; i < n; i++) {
		json_t *props = json_pack("{s:s}", "flavor", flavor);

		if (az != NULL)
			json_object_set_new(props, "availability_zone", json_string(az));
		snprintf(id, sizeof(id), "s%u", i);
		json_object_set_new(resources, id,
				    json_pack("{s:s, s:s, s:o}", "name", id, "type",
					      "OS::Nova::Server", "properties", props));
	}
	return json_pack("{s:s, s:s, s:o}", "plan_name", plan, "stack_id", plan, "resources",
			 resources);
}

const char *vlt_fixture_message(const json_t *result)
{
	return json_string_value(json_object_get(json_object_get(result, "status"), "message"));
}
