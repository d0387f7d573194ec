/*
 * op_nova.c - what Nova's versioned notifications say of Valet's servers:
 * an AMQP message body read (oslo.messaging's envelope, the versioned
 * payload), the fact turned into a journal entry by identity (the
 * instance's uuid is a placement's resource_id), and the "server_at"
 * entry applied; an instance no placement names is op_outside.c's. The
 * AMQP consumer that feeds it is listener.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dc.h"
#include "clock.h"
#include "log.h"
#include "ops.h"

#define WHERE "notification"

/* ---------------------------------------------------------------- reading */

/* Nova's event types Valet acts on, and the fact each states. */
static const struct {
	const char *type;
	vlt_nova_fact_t fact;
} nova_events[] = {
	{ "instance.delete.end", VLT_NOVA_GONE },
	{ "instance.shelve_offload.end", VLT_NOVA_GONE },
	{ "instance.create.end", VLT_NOVA_AT_HOST },
	/* sent by the destination once the instance's host is set to it. Not
	   instance.live_migration_post.end: the source sends it after this one,
	   newer, with its own stale copy of the instance naming the source. */
	{ "instance.live_migration_post_dest.end", VLT_NOVA_AT_HOST },
	{ "instance.resize_confirm.end", VLT_NOVA_AT_HOST },
	{ "instance.evacuate", VLT_NOVA_AT_HOST },
	{ "instance.rebuild.end", VLT_NOVA_AT_HOST }, /* an evacuation's end, on its new host */
	{ "instance.unshelve.end", VLT_NOVA_AT_HOST },
};

static vlt_nova_fact_t fact_of(const char *type)
{
	for (size_t i = 0; i < sizeof(nova_events) / sizeof(nova_events[0]); i++) {
		if (strcmp(nova_events[i].type, type) == 0)
			return nova_events[i].fact;
	}
	return VLT_NOVA_OTHER;
}

/*
 * oslo.messaging's timestamp, str(utcnow()): "YYYY-MM-DD HH:MM:SS" with
 * ".ffffff" unless the microseconds are 0 ('T' between is taken too).
 * RET 0 with *us, or -1.
 */
static int parse_timestamp(const char *text, int64_t *us)
{
	int y, mo, d, h, mi, sec, used = 0;
	char sep;

	if (sscanf(text, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &sec, &used) !=
		    7 ||
	    (sep != ' ' && sep != 'T') || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	int64_t frac = 0;
	const char *p = text + used;
	if (*p == '.') {
		int digits = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits < 6)
				frac = frac * 10 + (*p - '0');
		}
		if (digits == 0)
			return -1;
		for (; digits < 6; digits++)
			frac *= 10;
	}
	if (*p != '\0' && strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0)
		return -1;
	int64_t secs = vlt__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
		       sec;
	*us = secs * 1000000 + frac;
	return 0;
}

/* A string member copied into buf (size bytes). RET 0, or VLT_EINVAL naming path.key. */
static int want_text(const json_t *obj, const char *key, bool required, const char *path,
		     char *buf, size_t size, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, key);

	buf[0] = '\0';
	if (v == NULL || (json_is_null(v) && !required))
		return required ? vlt_err_set(err, VLT_EINVAL, WHERE ": %s.%s: missing", path, key)
				: 0;
	if (!json_is_string(v))
		return vlt_err_set(err, VLT_EINVAL, WHERE ": %s.%s: expected a string", path, key);
	if (json_string_length(v) >= size)
		return vlt_err_set(err, VLT_EINVAL, WHERE ": %s.%s: longer than %zu characters",
				   path, key, size - 1);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

/* The message inside the envelope (a new reference), or the body itself when unwrapped. */
static json_t *unwrap(json_t *body, const char **path, vlt_err_t *err)
{
	const json_t *inner = json_object_get(body, "oslo.message");
	json_error_t jerr;

	*path = "$";
	if (inner == NULL)
		return json_incref(body);
	*path = "$['oslo.message']";
	if (!json_is_string(inner)) {
		vlt_err_set(err, VLT_EINVAL, WHERE ": $['oslo.message']: expected JSON text");
		return NULL;
	}
	json_t *msg = json_loadb(json_string_value(inner), json_string_length(inner), 0, &jerr);
	if (msg == NULL)
		vlt_err_set(err, VLT_EINVAL, WHERE ": $['oslo.message']: not JSON: %s at %d:%d",
			    jerr.text, jerr.line, jerr.column);
	else if (!json_is_object(msg))
		vlt_err_set(err, VLT_EINVAL, WHERE ": $['oslo.message']: expected a JSON object");
	if (msg != NULL && !json_is_object(msg)) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

/* The instance's uuid and host from the versioned payload. */
static int read_payload(const json_t *msg, const char *path, vlt_nova_event_t *ev,
			vlt_err_t *err)
{
	const json_t *payload = json_object_get(msg, "payload");
	const json_t *data = json_object_get(payload, "nova_object.data");
	char where[96];
	int rc;

	if (!json_is_object(payload))
		return vlt_err_set(err, VLT_EINVAL, WHERE ": %s.payload: expected a JSON object",
				   path);
	if (!json_is_object(data))
		return vlt_err_set(err, VLT_EINVAL,
				   WHERE ": %s.payload['nova_object.data']: expected a JSON object "
				   "(is Nova's notification_format versioned?)",
				   path);
	snprintf(where, sizeof(where), "%s.payload['nova_object.data']", path);
	/* the flavor, for a server Valet never planned (InstancePayload's FlavorPayload) */
	const json_t *flavor = json_object_get(json_object_get(data, "flavor"), "nova_object.data");
	char flavor_where[160];
	snprintf(flavor_where, sizeof(flavor_where), "%s.flavor['nova_object.data']", where);
	if ((rc = want_text(data, "uuid", true, where, ev->uuid, sizeof(ev->uuid), err)) < 0 ||
	    (rc = want_text(data, "host", false, where, ev->host, sizeof(ev->host), err)) < 0 ||
	    (rc = want_text(flavor, "name", false, flavor_where, ev->flavor, sizeof(ev->flavor),
			    err)) < 0)
		return rc;
	if (ev->uuid[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, WHERE ": %s.uuid: empty", where);
	if (ev->fact == VLT_NOVA_AT_HOST && ev->host[0] == '\0')
		ev->fact = VLT_NOVA_OTHER; /* nowhere yet (a failed build): nothing to follow */
	return 0;
}

int vlt__nova_event_parse(const char *body, size_t len, vlt_nova_event_t *ev, vlt_err_t *err)
{
	json_error_t jerr;
	json_t *outer = json_loadb(body, len, 0, &jerr);
	const char *path = "$";
	char stamp[64];
	int rc = 0;

	memset(ev, 0, sizeof(*ev));
	if (outer == NULL)
		return vlt_err_set(err, VLT_EINVAL, WHERE ": not JSON: %s at %d:%d", jerr.text,
				   jerr.line, jerr.column);
	json_t *msg = json_is_object(outer) ? unwrap(outer, &path, err) : NULL;
	if (!json_is_object(outer))
		rc = vlt_err_set(err, VLT_EINVAL, WHERE ": $: expected a JSON object");
	else if (msg == NULL)
		rc = err->code;
	if (rc == 0)
		rc = want_text(msg, "event_type", true, path, ev->event_type,
			       sizeof(ev->event_type), err);
	if (rc == 0)
		ev->fact = fact_of(ev->event_type);
	if (rc == 0 && ev->fact != VLT_NOVA_OTHER)
		rc = want_text(msg, "timestamp", true, path, stamp, sizeof(stamp), err);
	if (rc == 0 && ev->fact != VLT_NOVA_OTHER && parse_timestamp(stamp, &ev->t_us) < 0)
		rc = vlt_err_set(err, VLT_EINVAL,
				 WHERE ": %s.timestamp: '%s' is not 'YYYY-MM-DD HH:MM:SS[.ffffff]'",
				 path, stamp);
	if (rc == 0 && ev->fact != VLT_NOVA_OTHER)
		rc = read_payload(msg, path, ev, err);
	json_decref(msg);
	json_decref(outer);
	return rc;
}

/* ---------------------------------------------------------------- deciding */

/* The reserved server whose Nova uuid is uuid, and its plan; NULL. */
static vlt_svc_unit_t *server_of_instance(const vlt_service_t *s, const char *uuid,
					  vlt_svc_plan_t **plan)
{
	for (vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next) {
		for (size_t i = 0; i < p->n_units; i++) {
			vlt_svc_unit_t *u = &p->units[i];

			if (u->server && u->resource_id != NULL && strcmp(u->resource_id, uuid) == 0) {
				*plan = p;
				return u;
			}
		}
	}
	return NULL;
}

struct nova_ctx {
	const vlt_nova_event_t *ev;
	vlt_nova_outcome_t outcome;
};

static int decide_nova(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
		       vlt_err_t *err)
{
	struct nova_ctx *c = arg;
	const vlt_nova_event_t *ev = c->ev;
	vlt_svc_plan_t *p = NULL;
	vlt_svc_unit_t *u = server_of_instance(s, ev->uuid, &p);
	(void)engine_done;

	c->outcome = VLT_NOVA_UNCHANGED;
	if (ev->fact == VLT_NOVA_OTHER)
		return 1;
	if (u == NULL) /* one Valet never planned, or released already (a duplicate) */
		return vlt__svc_decide_outside(s, ev, entry, &c->outcome, err);
	if (ev->fact == VLT_NOVA_GONE) {
		c->outcome = VLT_NOVA_RELEASED;
		return vlt__svc_drop_server_entry(p, u, "nova_delete", entry, err);
	}
	if (ev->t_us <= u->nova_us)
		return 1; /* a duplicate, or older than what was applied */
	c->outcome = vlt__svc_same_str(u->loc, ev->host) ? VLT_NOVA_NOTED : VLT_NOVA_MOVED;
	*entry = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "op", "server_at", "plan_id", p->id,
			   "orch", u->orch, "resource_id", ev->uuid, "host", ev->host, "nova_t",
			   (json_int_t)ev->t_us);
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_nova_event(vlt_service_t *s, const vlt_nova_event_t *ev,
			    vlt_nova_outcome_t *outcome, vlt_err_t *err)
{
	struct nova_ctx c = { .ev = ev };
	int rc = vlt__svc_write(s, decide_nova, NULL, NULL, &c, err);

	if (outcome != NULL)
		*outcome = rc == 0 ? c.outcome : VLT_NOVA_UNCHANGED;
	if (rc == 0 && c.outcome != VLT_NOVA_UNCHANGED)
		vlt__log(NULL, VLT_LOG_INFO, "%s of instance %s: its placement %s%s", ev->event_type,
			 ev->uuid,
			 c.outcome == VLT_NOVA_RELEASED ? "is released"
			 : c.outcome == VLT_NOVA_MOVED	? "moves to "
			 : c.outcome == VLT_NOVA_TAKEN	? "(none: Valet did not plan it) is taken on "
							: "stays on ",
			 c.outcome == VLT_NOVA_RELEASED ? "" : ev->host);
	return rc;
}

int vlt__service_listener_start(vlt_service_t *s, const vlt_listener_opts_t *o, vlt_err_t *err)
{
	if (s->listener != NULL)
		return 0;
	return vlt__listener_start(&s->listener, s, o, err);
}

/* The listener's figures and the refreshes' corrections, for GET /v1/status (new reference). */
json_t *vlt__svc_notifications_status(vlt_service_t *s)
{
	vlt_listener_stats_t st = { 0 };

	if (s->listener != NULL)
		vlt__listener_stats(s->listener, &st);
	return json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "enabled",
			 s->listener != NULL, "connected", st.connected, "received",
			 (json_int_t)st.received, "applied", (json_int_t)st.applied, "unchanged",
			 (json_int_t)st.unchanged, "rejected", (json_int_t)st.rejected, "failed",
			 (json_int_t)st.failed, "connects", (json_int_t)st.connects, "corrections",
			 (json_int_t)atomic_load(&s->n_corrections));
}

uint64_t vlt__service_corrections(vlt_service_t *s)
{
	return atomic_load(&s->n_corrections);
}

/* ---------------------------------------------------------------- what a refresh corrects */

/* A reserved server Placement's allocations put on another host than its placement says. */
struct vlt_svc_moved {
	char uuid[64];
	char host[256];
};

vlt_svc_moved_t *vlt__svc_moved_servers(const vlt_service_t *s, size_t *n)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	uint32_t n_consumers = 0;
	const vlt_dc_consumer_t *c = vlt__dc_consumers(dc, &n_consumers);
	vlt_strmap_t by_id = { 0 };
	size_t cap = 0;

	*n = 0;
	for (uint32_t i = 0; i < n_consumers; i++) {
		if (c[i].credited && vlt__strmap_put(&by_id, c[i].id, (void *)&c[i]) < 0)
			break; /* out of memory: fewer corrections, the next refresh tries again */
	}
	for (const vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next)
		cap += p->n_units;
	vlt_svc_moved_t *out = calloc(cap + 1, sizeof(*out));
	for (const vlt_svc_plan_t *p = s->st.first; out != NULL && p != NULL; p = p->next) {
		for (size_t i = 0; i < p->n_units; i++) {
			const vlt_svc_unit_t *u = &p->units[i];
			const vlt_dc_consumer_t *at = u->server && u->reserved && !u->expired
							      ? vlt__strmap_get(&by_id, u->resource_id)
							      : NULL;
			const char *host = at != NULL ? dc->hosts[at->host].name : NULL;

			if (host != NULL && !vlt__svc_same_str(host, u->loc) &&
			    strlen(u->resource_id) < sizeof(out->uuid) && strlen(host) < sizeof(out->host)) {
				snprintf(out[*n].uuid, sizeof(out->uuid), "%s", u->resource_id);
				snprintf(out[*n].host, sizeof(out->host), "%s", host);
				(*n)++;
			}
		}
	}
	vlt__strmap_clear(&by_id);
	return out;
}

void vlt__svc_correct_moves(vlt_service_t *s, vlt_svc_moved_t *moved, size_t n, int64_t read_us)
{
	for (size_t i = 0; i < n; i++) {
		vlt_nova_event_t ev = { .fact = VLT_NOVA_AT_HOST, .t_us = read_us };
		vlt_nova_outcome_t out = VLT_NOVA_UNCHANGED;
		vlt_err_t err = { 0 };

		snprintf(ev.event_type, sizeof(ev.event_type), "refresh");
		snprintf(ev.uuid, sizeof(ev.uuid), "%s", moved[i].uuid);
		snprintf(ev.host, sizeof(ev.host), "%s", moved[i].host);
		/* a notification newer than the reading wins: the entry is not written then */
		if (vlt__service_nova_event(s, &ev, &out, &err) < 0)
			vlt__log(NULL, VLT_LOG_WARNING, "instance %s is on %s, not moved there: %s",
				 ev.uuid, ev.host, err.msg);
		else if (out == VLT_NOVA_MOVED) {
			atomic_fetch_add(&s->n_corrections, 1);
			vlt__log(NULL, VLT_LOG_WARNING,
				 "refresh: instance %s is on %s, and no notification said so: its "
				 "placement follows it",
				 ev.uuid, ev.host);
		}
	}
	free(moved);
}

/* ---------------------------------------------------------------- applying */

int vlt__apply_server_at(void *svc, const json_t *e, bool decided_here, const char *where,
			 vlt_err_t *err)
{
	vlt_service_t *s = svc;
	vlt_svc_plan_t *p = vlt__svc_entry_plan(s, e, where, err);
	const char *orch = json_string_value(json_object_get(e, "orch"));
	const char *host = json_string_value(json_object_get(e, "host"));
	const char *rid = json_string_value(json_object_get(e, "resource_id"));
	vlt_svc_unit_t *u = p != NULL && orch != NULL ? vlt__state_unit_of(p, orch) : NULL;
	(void)decided_here;

	if (p == NULL)
		return err->code;
	if (u == NULL || host == NULL || rid == NULL ||
	    !vlt__svc_same_str(u->resource_id, rid))
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: a server_at entry names no server of plan %s with its "
				   "resource_id",
				   where, p->id);
	u->nova_us = json_integer_value(json_object_get(e, "nova_t"));
	if (vlt__svc_same_str(u->loc, host))
		return 0;
	char *copy = strdup(host);
	if (copy == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	free(u->loc);
	u->loc = copy;
	/* a fact, not a decision: held where Nova put it, whatever its groups say */
	vlt__svc_plan_hold(s, p, true, where, err);
	return 0;
}
