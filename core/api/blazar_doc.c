/*
 * blazar_doc.c - a lease's record as a Valet reservation request, and a
 * Valet reservation with its record as Blazar's lease document (blazar.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "blazar.h"
#include "clock.h"

#define OOM(err) vlt_err_set(err, VLT_ENOMEM, "out of memory")

/* ---------------------------------------------------------------- the request */

/* One server of a reservation: an inline flavor, the reservation's id in its metadata. */
static json_t *server(const char *name, const json_t *res, json_int_t vcpus, json_int_t ram,
		      json_int_t disk)
{
	char flavor[64];

	snprintf(flavor, sizeof(flavor), "blazar-%.40s", json_string_value(json_object_get(res, "id")));
	return json_pack("{s:s, s:s, s:{s:{s:s, s:I, s:I, s:I}}, s:{s:O}}", "name", name, "type",
			 "OS::Nova::Server", "properties", "flavor", "name", flavor, "vcpus", vcpus,
			 "ram_mb", ram, "disk_gb", disk, "metadata", "blazar_reservation_id",
			 json_object_get(res, "id"));
}

static int add(json_t *resources, const char *orch, json_t *r, vlt_err_t *err)
{
	if (r == NULL || json_object_set_new(resources, orch, r) != 0)
		return OOM(err);
	return 0;
}

/*
 * An instance reservation: amount servers "<id>/<k>", in an affinity
 * (true) or diversity (false) group of host level when there are two or
 * more (one server is on one host whatever it asks).
 */
static int instance_servers(const json_t *res, const char *lease, json_t *resources,
			    vlt_err_t *err)
{
	const char *id = json_string_value(json_object_get(res, "id"));
	json_int_t amount = json_integer_value(json_object_get(res, "amount"));
	const json_t *affinity = json_object_get(res, "affinity");
	json_t *members = json_array();
	char orch[96], name[160];
	int rc = members != NULL ? 0 : OOM(err);

	for (json_int_t k = 0; rc == 0 && k < amount; k++) {
		snprintf(orch, sizeof(orch), "%s/%" JSON_INTEGER_FORMAT, id, k);
		snprintf(name, sizeof(name), "%.80s-%.8s-%" JSON_INTEGER_FORMAT, lease, id, k + 1);
		rc = add(resources, orch,
			 server(name, res, json_integer_value(json_object_get(res, "vcpus")),
				json_integer_value(json_object_get(res, "memory_mb")),
				json_integer_value(json_object_get(res, "disk_gb"))),
			 err);
		if (rc == 0 && json_array_append_new(members, json_string(orch)) != 0)
			rc = OOM(err);
	}
	if (rc == 0 && amount > 1 && json_is_boolean(affinity)) {
		snprintf(orch, sizeof(orch), "%s/group", id);
		rc = add(resources, orch,
			 json_pack("{s:s, s:{s:s, s:s, s:O}}", "type", "ATT::Valet::GroupAssignment",
				   "properties", "group_type",
				   json_is_true(affinity) ? "affinity" : "diversity", "level",
				   "host", "resources", members),
			 err);
	}
	json_decref(members);
	return rc;
}

/* A host reservation: one server "<id>/<host>" per host, its whole capacity, pinned there. */
static int host_servers(const json_t *res, const json_t *hosts, json_t *resources,
			vlt_err_t *err)
{
	const char *id = json_string_value(json_object_get(res, "id"));
	size_t i;
	json_t *h;
	int rc = 0;

	if (json_array_size(hosts) == 0)
		return vlt_err_set(err, VLT_EINVAL, "reservation %s: no hosts picked", id);
	json_array_foreach(hosts, i, h) {
		const char *host = json_string_value(json_object_get(h, "name"));
		char orch[160], name[160];
		json_t *s;

		if (rc < 0 || host == NULL)
			return rc < 0 ? rc : vlt_err_set(err, VLT_EINVAL, "a host without a name");
		snprintf(orch, sizeof(orch), "%s/%.100s", id, host);
		snprintf(name, sizeof(name), "host-%.100s", host);
		s = server(name, res, json_integer_value(json_object_get(h, "vcpus")),
			   json_integer_value(json_object_get(h, "ram_mb")),
			   json_integer_value(json_object_get(h, "disk_gb")));
		if (s != NULL && json_object_set_new(s, "locations", json_pack("[s]", host)) != 0) {
			json_decref(s);
			s = NULL;
		}
		rc = add(resources, orch, s, err);
	}
	return rc;
}

int vlt__blazar_request(const json_t *record, const char *start, const char *end,
			const char *project, const json_t *hosts, json_t **request, vlt_err_t *err)
{
	const char *lease = json_string_value(json_object_get(record, "name"));
	json_t *resources = json_object();
	size_t i;
	json_t *res;
	int rc = resources != NULL ? 0 : OOM(err);

	json_array_foreach(json_object_get(record, "reservations"), i, res) {
		const char *type = json_string_value(json_object_get(res, "resource_type"));
		const char *id = json_string_value(json_object_get(res, "id"));

		if (rc < 0)
			break;
		rc = strcmp(type, VLT_BLAZAR_INSTANCE) == 0
			     ? instance_servers(res, lease, resources, err)
			     : host_servers(res, json_object_get(hosts, id), resources, err);
	}
	json_t *req = rc == 0 ? json_pack("{s:s?, s:O, s:s, s:s, s:o, s:O}", "plan_name", lease,
					  "stack_id", json_object_get(record, "id"), "start", start,
					  "end", end, "resources", resources, VLT_BLAZAR_MEMBER,
					  record)
			      : NULL;
	if (rc == 0 && (req == NULL || (project != NULL && json_object_set_new(req, "tenant_id",
									       json_string(project)) != 0)))
		rc = OOM(err);
	if (rc < 0) {
		json_decref(req != NULL ? req : resources); /* req holds resources once made */
		return rc;
	}
	*request = req;
	return 0;
}

/* ---------------------------------------------------------------- the document */

static json_t *date_of(int64_t ms)
{
	char buf[40];

	vlt__blazar_time_format(ms, buf, sizeof(buf));
	return json_string(buf);
}

/* Blazar's created_at, "2017-12-27 10:00:00". */
static json_t *stamp_of(const json_t *ms)
{
	char buf[40];

	vlt__blazar_time_format(json_integer_value(ms), buf, sizeof(buf));
	buf[10] = ' ';
	buf[19] = '\0';
	return json_string(buf);
}

/* The reservation's time member in ms (its RFC 3339 text), or fallback. */
static int64_t ms_of(const json_t *reservation, const char *key, int64_t fallback)
{
	int64_t ms;
	const char *text = json_string_value(json_object_get(reservation, key));

	if (text != NULL && vlt__time_parse_rfc3339(text, &ms))
		return ms;
	return fallback;
}

struct view {
	const char *status; /* the Valet reservation's */
	int64_t now, start, end;
	const json_t *reservation;
};

static const char *lease_status(const struct view *v)
{
	if (strcmp(v->status, "pending") == 0)
		return v->now >= v->start ? "STARTING" : "PENDING";
	if (strcmp(v->status, "active") == 0)
		return v->now >= v->end ? "TERMINATING" : "ACTIVE";
	if (strcmp(v->status, "ended") == 0)
		return "TERMINATED";
	return "ERROR";
}

static const char *reservation_status(const struct view *v)
{
	if (strcmp(v->status, "pending") == 0 || strcmp(v->status, "active") == 0)
		return v->status;
	return strcmp(v->status, "ended") == 0 ? "deleted" : "error";
}

/* The hosts the reservation's servers are placed on (sorted, each once). */
static json_t *hosts_of(const struct view *v, const char *id)
{
	json_t *out = json_array();
	size_t n = strlen(id);
	const char *orch;
	json_t *p;

	json_object_foreach(json_object_get(v->reservation, "placements"), orch, p) {
		const char *loc = json_string_value(json_object_get(p, "location"));
		bool seen = false;
		size_t i;
		json_t *h;

		if (out == NULL || loc == NULL || strncmp(orch, id, n) != 0 || orch[n] != '/')
			continue;
		json_array_foreach(out, i, h) {
			seen = seen || strcmp(json_string_value(h), loc) == 0;
		}
		size_t at = 0;
		while (!seen && at < json_array_size(out) &&
		       strcmp(json_string_value(json_array_get(out, at)), loc) < 0)
			at++;
		if (!seen)
			json_array_insert_new(out, at, json_string(loc));
	}
	return out;
}

static json_t *reservation_doc(const json_t *res, const char *lease_id, const struct view *v)
{
	const char *id = json_string_value(json_object_get(res, "id"));
	bool instance = strcmp(json_string_value(json_object_get(res, "resource_type")),
			       VLT_BLAZAR_INSTANCE) == 0;
	json_t *d = json_pack("{s:O, s:s, s:s, s:b, s:b, s:O?, s:O, s:s, s:o, s:n, s:o}", "id",
			      json_object_get(res, "id"), "lease_id", lease_id, "status",
			      reservation_status(v), "missing_resources", 0, "resources_changed",
			      0, "resource_id", json_object_get(v->reservation, "id"),
			      "resource_type", json_object_get(res, "resource_type"),
			      "resource_properties", "", "created_at",
			      stamp_of(json_object_get(res, "created_ms")), "updated_at", "hosts",
			      hosts_of(v, id));
	static const char *const instance_keys[] = { "amount", "vcpus", "memory_mb", "disk_gb",
						     "affinity", NULL };
	static const char *const host_keys[] = { "min", "max", "hypervisor_properties",
						 "before_end", NULL };
	const char *const *keys = instance ? instance_keys : host_keys;

	for (size_t i = 0; d != NULL && keys[i] != NULL; i++)
		json_object_set(d, keys[i], json_object_get(res, keys[i]));
	if (d != NULL && instance) {
		/* Blazar's Nova flavor, server group and aggregate: Valet makes none */
		json_object_set_new(d, "flavor_id", json_null());
		json_object_set_new(d, "server_group_id", json_null());
		json_object_set_new(d, "aggregate_id", json_null());
	}
	return d;
}

/* When before_end_lease happens: the record's, or an hour before the end, not before the start. */
static int64_t before_end_of(const json_t *record, const struct view *v)
{
	const json_t *b = json_object_get(record, "before_end_ms");
	int64_t t = v->end - VLT_BLAZAR_BEFORE_END_MS;

	if (json_is_integer(b))
		return json_integer_value(b);
	return t < v->start ? v->start : t;
}

static json_t *event_doc(const json_t *record, const char *type, int64_t at, bool done)
{
	return json_pack("{s:O, s:O, s:s, s:s, s:o, s:o, s:n}", "id",
			 json_object_get(json_object_get(record, "events"), type), "lease_id",
			 json_object_get(record, "id"), "status", done ? "DONE" : "UNDONE",
			 "event_type", type, "time", date_of(at), "created_at",
			 stamp_of(json_object_get(record, "created_ms")), "updated_at");
}

static json_t *events_doc(const json_t *record, const struct view *v)
{
	bool started = strcmp(v->status, "active") == 0 || strcmp(v->status, "ended") == 0;
	bool ended = strcmp(v->status, "ended") == 0;
	int64_t before = before_end_of(record, v);

	return json_pack("[o, o, o]", event_doc(record, "start_lease", v->start, started),
			 event_doc(record, "end_lease", v->end, ended),
			 event_doc(record, "before_end_lease", before,
				   ended || (started && v->now >= before)));
}

json_t *vlt__blazar_lease_doc(const json_t *record, const json_t *reservation, int64_t now_ms)
{
	const char *status = json_string_value(json_object_get(reservation, "status"));
	struct view v = { status != NULL ? status : "", now_ms, 0, 0, reservation };
	const char *lease_id = json_string_value(json_object_get(record, "id"));
	json_t *list = json_array();
	size_t i;
	json_t *res;

	v.start = ms_of(reservation, "start", now_ms);
	v.end = ms_of(reservation, "end", now_ms);
	json_array_foreach(json_object_get(record, "reservations"), i, res) {
		if (list != NULL && json_array_append_new(list, reservation_doc(res, lease_id, &v)) != 0) {
			json_decref(list);
			list = NULL;
		}
	}
	if (list == NULL)
		return NULL;
	return json_pack("{s:O, s:O, s:o, s:o, s:o, s:s, s:b, s:n, s:O?, s:n, s:o, s:n, s:o, s:o}",
			 "id", json_object_get(record, "id"), "name",
			 json_object_get(record, "name"), "start_date", date_of(v.start), "end_date",
			 date_of(v.end), "before_end_date", date_of(before_end_of(record, &v)),
			 "status", lease_status(&v), "degraded", 0, "user_id", "project_id",
			 json_object_get(reservation, "project"), "trust_id", "created_at",
			 stamp_of(json_object_get(record, "created_ms")), "updated_at",
			 "reservations", list, "events", events_doc(record, &v));
}

json_t *vlt__blazar_error_body(int status, const char *message)
{
	return json_pack("{s:i, s:s, s:i}", "error_code", status, "error_message",
			 message != NULL ? message : "", "error_name", status);
}
