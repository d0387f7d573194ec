/*
 * op_owners.c - which project owns what: the questions the API's rights
 * ask before it lets a caller read or change a plan or a placement
 * (core/api/auth_policy.h). A plan's project is the one it was created
 * for; a placement's is its plan's.
 */
#include <jansson.h>

#include "service.h"
#include "service_int.h"

/* {"project": "..."} of the plan id names; "" when it has none. */
static int answer_plan_owner(vlt_service_t *s, const char *id, json_t **out, vlt_err_t *err)
{
	const vlt_svc_plan_t *p = vlt__state_plan(&s->st, id);

	if (p == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Plan not found");
	*out = json_string(p->tenant != NULL ? p->tenant : "");
	return *out != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static int answer_placement_owner(vlt_service_t *s, const char *id, json_t **out,
				  vlt_err_t *err)
{
	vlt_svc_plan_t *p = NULL;

	if (vlt__state_unit(&s->st, id, &p) == NULL || p == NULL) /* a server's or a volume's */
		return vlt_err_set(err, VLT_ENOENT, "Placement not found");
	*out = json_string(p->tenant != NULL ? p->tenant : "");
	return *out != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static int answer_owners(vlt_service_t *s, const char *id, json_t **out, vlt_err_t *err)
{
	(void)id;
	*out = json_object();
	for (const vlt_svc_plan_t *p = s->st.first; *out != NULL && p != NULL; p = p->next) {
		if (json_object_set_new(*out, p->id, json_string(p->tenant != NULL ? p->tenant : "")) <
		    0) {
			json_decref(*out);
			*out = NULL;
		}
	}
	return *out != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_plan_owner(vlt_service_t *s, const char *id, json_t **project, vlt_err_t *err)
{
	return vlt__svc_read_one(s, answer_plan_owner, id, project, err);
}

int vlt__service_placement_owner(vlt_service_t *s, const char *id, json_t **project,
				 vlt_err_t *err)
{
	return vlt__svc_read_one(s, answer_placement_owner, id, project, err);
}

int vlt__service_plan_owners(vlt_service_t *s, json_t **owners, vlt_err_t *err)
{
	return vlt__svc_read_one(s, answer_owners, NULL, owners, err);
}
