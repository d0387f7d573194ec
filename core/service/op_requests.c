/*
 * op_requests.c - what a stored plan request says beyond its stack: a
 * member the plan parser ignores but the journal keeps with the request
 * (a Blazar lease's record, core/api/blazar.h), read back on the
 * caught-up state.
 */
#include <jansson.h>

#include "service.h"
#include "service_int.h"

int vlt__service_request_member(vlt_service_t *s, const char *id, const char *key,
				json_t **value, vlt_err_t *err)
{
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	const vlt_svc_plan_t *p = vlt__state_plan(&s->st, id);
	const json_t *v = p != NULL ? json_object_get(p->request, key) : NULL;
	if (p == NULL)
		rc = vlt_err_set(err, VLT_ENOENT, "Plan not found");
	else if ((*value = v != NULL ? json_deep_copy(v) : json_null()) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__svc_read_end(s);
	return rc;
}

int64_t vlt__service_now_ms(vlt_service_t *s)
{
	return vlt__svc_now_ms(s);
}

void vlt__service_uuid(char *buf)
{
	vlt__svc_uuid(buf);
}
