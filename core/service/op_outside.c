/*
 * op_outside.c - servers Valet never planned, as Nova's notifications
 * tell of them: one that starts on a host is capacity taken at once (held
 * in the engine under "outside:<uuid>" with its flavor), until a reading
 * of the sources newer than the notification counts it through
 * Placement's allocations (or finds it gone); one deleted gives its
 * capacity back. Journaled as "server_outside" entries, so every valetd
 * on the store takes the same capacity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc.h"
#include "log.h"
#include "ops.h"

#define PLAN_PREFIX "outside:"

/* What the service knows of one such server; owned by s->outside (uuid -> it). */
struct vlt_svc_outside {
	char *host;   /* NULL once Nova said it is gone */
	char *flavor; /* the flavor it was built with */
	int64_t nova_us;
};

static void outside_free(void *v)
{
	struct vlt_svc_outside *o = v;

	if (o != NULL) {
		free(o->host);
		free(o->flavor);
		free(o);
	}
}

void vlt__svc_outside_free(vlt_service_t *s)
{
	vlt__strmap_clear_values(&s->outside, outside_free);
}

/* Does the data center in use count uuid already (a consumer in Placement's allocations)? */
static bool counted_by_sources(const vlt_service_t *s, const char *uuid)
{
	uint32_t n = 0;
	const vlt_dc_consumer_t *c = vlt__dc_consumers(vlt__engine_dc(s->engine), &n);

	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(c[i].id, uuid) == 0)
			return true;
	}
	return false;
}

int vlt__svc_decide_outside(vlt_service_t *s, const vlt_nova_event_t *ev, json_t **entry,
			    vlt_nova_outcome_t *outcome, vlt_err_t *err)
{
	const struct vlt_svc_outside *o = vlt__strmap_get(&s->outside, ev->uuid);
	bool gone = ev->fact == VLT_NOVA_GONE;

	if (ev->fact == VLT_NOVA_OTHER || (o != NULL && ev->t_us <= o->nova_us))
		return 1; /* a duplicate, or older than what was applied */
	if (gone && (o == NULL || o->host == NULL))
		return 1; /* not held: Placement's count goes at the next reading */
	if (!gone && (counted_by_sources(s, ev->uuid) || ev->flavor[0] == '\0' ||
		      vlt__dc_find_flavor(vlt__engine_dc(s->engine), ev->flavor) == NULL))
		return 1; /* counted already, or nothing to hold it by: the next reading does */
	if (gone)
		*outcome = VLT_NOVA_RELEASED;
	else if (o == NULL || o->host == NULL)
		*outcome = VLT_NOVA_TAKEN;
	else
		*outcome = strcmp(o->host, ev->host) == 0 ? VLT_NOVA_NOTED : VLT_NOVA_MOVED;
	*entry = json_pack("{s:s, s:s, s:s?, s:s, s:I}", "op", "server_outside", "resource_id",
			   ev->uuid, "host", gone ? NULL : ev->host, "flavor",
			   gone ? (o != NULL ? o->flavor : "") : ev->flavor, "nova_t",
			   (json_int_t)ev->t_us);
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* Hold uuid's capacity on its host again (lock held); a failure is logged. */
static void hold_outside(vlt_service_t *s, const char *uuid, const struct vlt_svc_outside *o)
{
	char plan_id[128];
	vlt_err_t err = { 0 };

	snprintf(plan_id, sizeof(plan_id), PLAN_PREFIX "%s", uuid);
	vlt__engine_release(s->engine, plan_id);
	if (o->host == NULL || s->replaying)
		return;
	json_t *req = json_pack("{s:s, s:{s:{s:s, s:s, s:{s:s}}}}", "stack_id", plan_id,
				"resources", uuid, "name", uuid, "type", "OS::Nova::Server",
				"properties", "flavor", o->flavor);
	json_t *loc = json_pack("{s:s}", uuid, o->host);
	int rc = req != NULL && loc != NULL
			 ? vlt__engine_hold(s->engine, req, "notification", plan_id, loc, &err)
			 : vlt_err_set(&err, VLT_ENOMEM, "out of memory");
	if (rc < 0)
		vlt__log(NULL, VLT_LOG_WARNING,
			 "instance %s (flavor %s) on %s, which Valet did not plan, is not held: %s",
			 uuid, o->flavor, o->host, err.msg);
	json_decref(req);
	json_decref(loc);
}

int vlt__apply_server_outside(void *svc, const json_t *e, bool decided_here, const char *where,
			      vlt_err_t *err)
{
	vlt_service_t *s = svc;
	const char *uuid = json_string_value(json_object_get(e, "resource_id"));
	const char *host = json_string_value(json_object_get(e, "host"));
	const char *flavor = json_string_value(json_object_get(e, "flavor"));
	struct vlt_svc_outside *o = uuid != NULL ? vlt__strmap_get(&s->outside, uuid) : NULL;
	(void)decided_here;

	if (uuid == NULL || flavor == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: a server_outside entry is broken", where);
	if (o == NULL) {
		o = calloc(1, sizeof(*o));
		if (o == NULL || vlt__strmap_put(&s->outside, uuid, o) < 0) {
			free(o);
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
		}
	}
	char *h = host != NULL ? strdup(host) : NULL, *fl = strdup(flavor);
	if ((host != NULL && h == NULL) || fl == NULL) {
		free(h);
		free(fl);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	free(o->host);
	free(o->flavor);
	o->host = h;
	o->flavor = fl;
	o->nova_us = json_integer_value(json_object_get(e, "nova_t"));
	hold_outside(s, uuid, o);
	return 0;
}

void vlt__svc_outside_forget(vlt_service_t *s, const char *uuid)
{
	struct vlt_svc_outside *o = uuid != NULL ? vlt__strmap_get(&s->outside, uuid) : NULL;
	char plan_id[128];

	if (o == NULL)
		return;
	snprintf(plan_id, sizeof(plan_id), PLAN_PREFIX "%s", uuid);
	vlt__engine_release(s->engine, plan_id);
	outside_free(o);
	vlt__strmap_del(&s->outside, uuid);
}

void vlt__svc_outside_after_reading(vlt_service_t *s, int64_t read_us)
{
	size_t n = 0;
	const char **drop = calloc(s->outside.n + 1, sizeof(*drop));

	for (size_t b = 0; b < s->outside.n_b; b++) {
		for (const vlt_strmap_entry_t *it = s->outside.b[b]; it != NULL; it = it->next) {
			struct vlt_svc_outside *o = it->val;

			/* a reading newer than the notification counts it, or found it gone */
			if (read_us > o->nova_us || counted_by_sources(s, it->key)) {
				if (drop != NULL)
					drop[n++] = it->key;
			} else {
				hold_outside(s, it->key, o);
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		char plan_id[128];

		snprintf(plan_id, sizeof(plan_id), PLAN_PREFIX "%s", drop[i]);
		vlt__engine_release(s->engine, plan_id);
		outside_free(vlt__strmap_get(&s->outside, drop[i]));
		vlt__strmap_del(&s->outside, drop[i]);
	}
	free(drop);
}
