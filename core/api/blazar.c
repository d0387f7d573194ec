/*
 * blazar.c - Blazar's leases as Valet reservations and back (blazar.h,
 * docs/blazar.md). Blazar's own API code is the reference for the
 * fields, statuses and the checks; none of it is copied.
 */
#define _DEFAULT_SOURCE /* gmtime_r */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blazar.h"
#include "clock.h"

#define OOM(err) vlt_err_set(err, VLT_ENOMEM, "out of memory")
#define MAX_AMOUNT 1000 /* servers or hosts one reservation may ask */

/* ---------------------------------------------------------------- dates */

/* "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM:SS[.ffffff][Z]"; false when neither. */
static bool parse_date(const char *text, int64_t *ms)
{
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	char sep = 0;
	int used = 0, sec_used = 0;
	long usec = 0;

	if (sscanf(text, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &used) != 6 ||
	    used != 16 || (sep != ' ' && sep != 'T'))
		return false;
	const char *p = text + used;
	if (sscanf(p, ":%2d%n", &sec, &sec_used) == 1 && sec_used == 3)
		p += sec_used;
	else if (sep == 'T')
		return false; /* Blazar's own form has seconds */
	if (sec_used == 3 && *p == '.') {
		int digits = 0;

		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 6)
				usec = usec * 10 + (*p - '0');
		if (digits == 0)
			return false;
		for (; digits < 6; digits++)
			usec *= 10;
	}
	if (sep == 'T' && *p == 'Z')
		p++;
	int64_t whole;
	if (*p != '\0' || y < 1970 || !vlt__time_from_civil(y, mo, d, h, mi, sec, &whole))
		return false;
	*ms = whole + usec / 1000;
	return true;
}

int vlt__blazar_time_parse(const char *text, int64_t now_ms, const char *where, int64_t *ms,
			   vlt_err_t *err)
{
	if (text != NULL && strcmp(text, "now") == 0 && now_ms != INT64_MIN) {
		*ms = now_ms;
		return 0;
	}
	if (text != NULL && parse_date(text, ms))
		return 0;
	if (text == NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: missing or not a string (expected a UTC date like "
				   "\"2026-12-08 10:00\"%s)",
				   where, now_ms != INT64_MIN ? " or \"now\"" : "");
	return vlt_err_set(err, VLT_EINVAL,
			   "%s: expected a UTC date like \"2026-12-08 10:00\"%s, not \"%.64s\"", where,
			   now_ms != INT64_MIN ? " or \"now\"" : "", text);
}

void vlt__blazar_time_format(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	char day[24];

	if (gmtime_r(&t, &tm) == NULL || strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, "%s.%06" PRId64, day, (ms - (int64_t)t * 1000) * 1000);
}

/* ---------------------------------------------------------------- members */

/* A whole number in [lo, hi]: a JSON integer, or a string holding one (as the client may send). */
static int want_count(const json_t *obj, const char *key, long lo, long hi, const char *where,
		      long *out, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	long n = 0;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		n = i < LONG_MIN / 2 ? LONG_MIN / 2 : i > LONG_MAX / 2 ? LONG_MAX / 2 : (long)i;
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end = NULL;

		errno = 0;
		n = strtol(s, &end, 10);
		if (s[0] == '\0' || *end != '\0' || errno != 0)
			v = NULL;
	} else {
		v = NULL;
	}
	if (v == NULL || n < lo || n > hi)
		return vlt_err_set(err, VLT_EINVAL, "%s.%s: expected a whole number from %ld to %ld",
				   where, key, lo, hi);
	*out = n;
	return 0;
}

/* affinity: true, false, null or absent; the client sends "True", "False", "None" */
static int want_affinity(const json_t *obj, const char *where, json_t **out, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, "affinity");
	static const char *const yes[] = { "true", "True", "1", NULL };
	static const char *const no[] = { "false", "False", "0", NULL };
	static const char *const none[] = { "none", "None", "null", "", NULL };

	*out = NULL;
	if (v == NULL || json_is_null(v) || json_is_boolean(v)) {
		*out = v == NULL ? json_null() : json_incref((json_t *)v);
		return 0;
	}
	const char *s = json_string_value(v);
	for (size_t i = 0; s != NULL && yes[i] != NULL; i++)
		if (strcmp(s, yes[i]) == 0)
			*out = json_true();
	for (size_t i = 0; s != NULL && no[i] != NULL; i++)
		if (strcmp(s, no[i]) == 0)
			*out = json_false();
	for (size_t i = 0; s != NULL && none[i] != NULL; i++)
		if (strcmp(s, none[i]) == 0)
			*out = json_null();
	if (*out == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s.affinity: expected true, false or null",
				   where);
	return 0;
}

/*
 * resource_properties select hosts by Blazar's extra capabilities, which
 * Valet's inventory does not have: only "no constraint" is taken.
 */
static int want_no_resource_properties(const json_t *obj, const char *where, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, "resource_properties");
	const char *s = json_string_value(v);

	if (v == NULL || json_is_null(v) || (s != NULL && (s[0] == '\0' || strcmp(s, "[]") == 0)))
		return 0;
	return vlt_err_set(err, VLT_EINVAL,
			   "%s.resource_properties: not supported (Valet's hosts have no extra "
			   "capabilities; hypervisor_properties selects hosts): expected \"\"",
			   where);
}

/* hypervisor_properties: Blazar's filter as a string (or the JSON itself), checked. */
static int want_filter(const json_t *obj, const char *where, json_t **out, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, "hypervisor_properties");
	char path[160];
	bool unused;
	static const json_t *no_props;

	snprintf(path, sizeof(path), "%s.hypervisor_properties", where);
	if (v == NULL || json_is_null(v)) {
		*out = json_string("");
		return *out != NULL ? 0 : OOM(err);
	}
	if (json_is_array(v)) {
		char *text = json_dumps(v, JSON_COMPACT);
		*out = text != NULL ? json_string(text) : NULL;
		free(text);
	} else if (json_is_string(v)) {
		*out = json_incref((json_t *)v);
	} else {
		return vlt_err_set(err, VLT_EINVAL, "%s: expected a JSON filter as a string", path);
	}
	if (*out == NULL)
		return OOM(err);
	/* a filter is checked whole even against no host: malformed is malformed */
	vlt_err_t why = { 0 };
	int rc = vlt__blazar_host_matches(json_string_value(*out), no_props, &unused, &why);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return vlt_err_set(err, rc, "%s: %s", path, why.msg);
	}
	return 0;
}

/* ---------------------------------------------------------------- reservations */

static int instance_record(const json_t *r, const char *where, json_t *rec, vlt_err_t *err)
{
	long amount = 0, vcpus = 0, memory = 0, disk = 0;
	json_t *affinity = NULL;
	int rc;

	if ((rc = want_count(r, "amount", 1, MAX_AMOUNT, where, &amount, err)) < 0 ||
	    (rc = want_count(r, "vcpus", 1, INT_MAX, where, &vcpus, err)) < 0 ||
	    (rc = want_count(r, "memory_mb", 1, INT_MAX, where, &memory, err)) < 0 ||
	    (rc = want_count(r, "disk_gb", 0, INT_MAX, where, &disk, err)) < 0 ||
	    (rc = want_affinity(r, where, &affinity, err)) < 0 ||
	    (rc = want_no_resource_properties(r, where, err)) < 0)
		return rc;
	if (json_object_get(r, "flavor_id") != NULL) {
		json_decref(affinity);
		return vlt_err_set(err, VLT_EINVAL,
				   "%s.flavor_id: not supported (flavor-based instance reservations "
				   "need Nova's flavors); give vcpus, memory_mb and disk_gb",
				   where);
	}
	if (json_object_set_new(rec, "amount", json_integer(amount)) != 0 ||
	    json_object_set_new(rec, "vcpus", json_integer(vcpus)) != 0 ||
	    json_object_set_new(rec, "memory_mb", json_integer(memory)) != 0 ||
	    json_object_set_new(rec, "disk_gb", json_integer(disk)) != 0 ||
	    json_object_set_new(rec, "affinity", affinity) != 0)
		return OOM(err);
	return 0;
}

static int host_record(const json_t *r, const char *where, json_t *rec, vlt_err_t *err)
{
	long min = 0, max = 0;
	json_t *filter = NULL;
	const char *before_end = json_string_value(json_object_get(r, "before_end"));
	int rc;

	if ((rc = want_count(r, "min", 1, MAX_AMOUNT, where, &min, err)) < 0 ||
	    (rc = want_count(r, "max", 1, MAX_AMOUNT, where, &max, err)) < 0)
		return rc;
	if (min > max)
		return vlt_err_set(err, VLT_EINVAL, "%s: min %ld is above max %ld", where, min, max);
	if ((rc = want_no_resource_properties(r, where, err)) < 0 ||
	    (rc = want_filter(r, where, &filter, err)) < 0)
		return rc;
	if (before_end != NULL && strcmp(before_end, "default") != 0 &&
	    strcmp(before_end, "snapshot") != 0 && strcmp(before_end, "") != 0) {
		json_decref(filter);
		return vlt_err_set(err, VLT_EINVAL,
				   "%s.before_end: expected \"default\" or \"snapshot\"", where);
	}
	if (json_object_set_new(rec, "min", json_integer(min)) != 0 ||
	    json_object_set_new(rec, "max", json_integer(max)) != 0 ||
	    json_object_set_new(rec, "hypervisor_properties", filter) != 0 ||
	    json_object_set_new(rec, "before_end",
				json_string(before_end != NULL && before_end[0] != '\0'
						    ? before_end
						    : "default")) != 0)
		return OOM(err);
	return 0;
}

/* One reservation of a lease body into its record (new reference in *out). */
static int reservation_record(const json_t *r, size_t i, vlt_blazar_uuid_fn uuid,
			      int64_t now_ms, json_t **out, vlt_err_t *err)
{
	char where[64], id[40];
	const char *type = json_string_value(json_object_get(r, "resource_type"));
	int rc;

	snprintf(where, sizeof(where), "$.reservations[%zu]", i);
	if (!json_is_object(r))
		return vlt_err_set(err, VLT_EINVAL, "%s: expected an object", where);
	if (type == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s.resource_type: missing (expected \""
				   VLT_BLAZAR_INSTANCE "\" or \"" VLT_BLAZAR_HOST "\")", where);
	bool instance = strcmp(type, VLT_BLAZAR_INSTANCE) == 0;
	if (!instance && strcmp(type, VLT_BLAZAR_HOST) != 0)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s.resource_type: '%.64s' is not supported (\"" VLT_BLAZAR_INSTANCE
				   "\" or \"" VLT_BLAZAR_HOST "\")",
				   where, type);
	uuid(id);
	json_t *rec = json_pack("{s:s, s:s, s:I}", "id", id, "resource_type", type, "created_ms",
				(json_int_t)now_ms);
	if (rec == NULL)
		return OOM(err);
	rc = instance ? instance_record(r, where, rec, err) : host_record(r, where, rec, err);
	if (rc < 0) {
		json_decref(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

static int reservations_record(const json_t *body, vlt_blazar_uuid_fn uuid, int64_t now_ms,
			       json_t *record, vlt_err_t *err)
{
	const json_t *list = json_object_get(body, "reservations");
	json_t *out = json_array();
	int rc = 0;

	if (out == NULL)
		return OOM(err);
	if (!json_is_array(list) || json_array_size(list) == 0)
		rc = vlt_err_set(err, VLT_EINVAL,
				 "$.reservations: expected a list of at least one reservation");
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		json_t *rec = NULL;

		rc = reservation_record(json_array_get(list, i), i, uuid, now_ms, &rec, err);
		if (rc == 0 && json_array_append_new(out, rec) != 0)
			rc = OOM(err);
	}
	if (rc == 0 && json_object_set_new(record, "reservations", out) == 0)
		return 0;
	if (rc == 0)
		return OOM(err);
	json_decref(out);
	return rc;
}

/* ---------------------------------------------------------------- the window */

/* before_end_date of a body (absent or null: Blazar's default) within [start, end]. */
static int want_before_end(const json_t *body, int64_t start, int64_t end, json_t **out,
			   vlt_err_t *err)
{
	const json_t *v = json_object_get(body, "before_end_date");
	int64_t ms = 0;

	if (v == NULL || json_is_null(v)) {
		*out = json_null();
		return 0;
	}
	int rc = vlt__blazar_time_parse(json_string_value(v), INT64_MIN, "$.before_end_date", &ms,
					err);
	if (rc < 0)
		return rc;
	if (ms < start || ms > end)
		return vlt_err_set(err, VLT_EINVAL,
				   "$.before_end_date: must be within the lease, from start_date to "
				   "end_date");
	*out = json_integer(ms);
	return *out != NULL ? 0 : OOM(err);
}

/* The window of a create: start ("now" or not before now), end after it. */
static int lease_window(const json_t *body, int64_t now_ms, int64_t *start, int64_t *end,
			vlt_err_t *err)
{
	const json_t *end_v = json_object_get(body, "end_date");
	int rc = vlt__blazar_time_parse(json_string_value(json_object_get(body, "start_date")),
					now_ms, "$.start_date", start, err);

	if (rc == 0)
		rc = vlt__blazar_time_parse(json_string_value(end_v), INT64_MIN, "$.end_date", end,
					    err);
	if (rc < 0)
		return rc;
	/* the client's dates have minutes only: "now" rounded down is still now */
	if (*start < now_ms - 60 * 1000)
		return vlt_err_set(err, VLT_EINVAL,
				   "$.start_date: the lease cannot start in the past");
	if (*end <= *start)
		return vlt_err_set(err, VLT_EINVAL, "$.end_date: must be after start_date");
	return 0;
}

static int new_events(vlt_blazar_uuid_fn uuid, json_t *record, vlt_err_t *err)
{
	char a[40], b[40], c[40];

	uuid(a);
	uuid(b);
	uuid(c);
	json_t *ev = json_pack("{s:s, s:s, s:s}", "start_lease", a, "end_lease", b,
			       "before_end_lease", c);
	if (ev == NULL || json_object_set_new(record, "events", ev) != 0)
		return OOM(err);
	return 0;
}

int vlt__blazar_lease_parse(const json_t *body, int64_t now_ms, vlt_blazar_uuid_fn uuid,
			    json_t **record, int64_t *start_ms, int64_t *end_ms, vlt_err_t *err)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	json_t *before = NULL;
	char id[40];
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "$: expected a JSON object");
	if (name == NULL || name[0] == '\0' || strlen(name) > 80)
		return vlt_err_set(err, VLT_EINVAL, "$.name: expected a name of 1 to 80 characters");
	if ((rc = lease_window(body, now_ms, start_ms, end_ms, err)) < 0 ||
	    (rc = want_before_end(body, *start_ms, *end_ms, &before, err)) < 0)
		return rc;
	uuid(id);
	json_t *rec = json_pack("{s:s, s:s, s:I, s:o}", "id", id, "name", name, "created_ms",
				(json_int_t)now_ms, "before_end_ms", before);
	if (rec == NULL)
		return OOM(err);
	if ((rc = reservations_record(body, uuid, now_ms, rec, err)) < 0 ||
	    (rc = new_events(uuid, rec, err)) < 0) {
		json_decref(rec);
		return rc;
	}
	*record = rec;
	return 0;
}

/* ---------------------------------------------------------------- update */

/* The record's reservation of that id, or NULL. */
static json_t *reservation_by_id(json_t *record, const char *id)
{
	json_t *list = json_object_get(record, "reservations");
	size_t i;
	json_t *r;

	json_array_foreach(list, i, r) {
		if (id != NULL && strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
			return r;
	}
	return NULL;
}

static bool changeable(const char *key)
{
	static const char *const keys[] = { "id",	  "amount",	   "vcpus",
					     "memory_mb", "disk_gb",	   "affinity",
					     "min",	  "max",	   "hypervisor_properties",
					     "before_end", "resource_properties", NULL };

	for (size_t i = 0; keys[i] != NULL; i++)
		if (strcmp(keys[i], key) == 0)
			return true;
	return false;
}

/*
 * A changed reservation: the body's values over the record's, checked as
 * a create checks them. The type is the record's (Blazar does not change it).
 */
static int reservation_change(json_t *rec, const json_t *change, size_t i, vlt_err_t *err)
{
	char where[64];
	json_t *merged = json_deep_copy(rec);
	const char *k;
	json_t *v;
	int rc = 0;

	snprintf(where, sizeof(where), "$.reservations[%zu]", i);
	if (merged == NULL)
		return OOM(err);
	json_object_foreach((json_t *)change, k, v) {
		if (rc == 0 && !changeable(k))
			rc = vlt_err_set(err, VLT_EINVAL, "%s.%.64s: not a member a lease update changes",
					 where, k);
		if (rc == 0 && strcmp(k, "id") != 0 && json_object_set(merged, k, v) != 0)
			rc = OOM(err);
	}
	const char *type = json_string_value(json_object_get(rec, "resource_type"));
	if (rc == 0)
		rc = strcmp(type, VLT_BLAZAR_INSTANCE) == 0 ? instance_record(merged, where, merged, err)
							   : host_record(merged, where, merged, err);
	if (rc == 0)
		rc = json_object_update(rec, merged) == 0 ? 0 : OOM(err);
	json_decref(merged);
	return rc;
}

static int reservations_change(json_t *record, const json_t *body, vlt_err_t *err)
{
	const json_t *list = json_object_get(body, "reservations");
	int rc = 0;

	if (list == NULL)
		return 0;
	if (!json_is_array(list))
		return vlt_err_set(err, VLT_EINVAL, "$.reservations: expected a list");
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		const json_t *c = json_array_get(list, i);
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *rec = reservation_by_id(record, id);

		if (!json_is_object(c) || id == NULL)
			rc = vlt_err_set(err, VLT_EINVAL, "$.reservations[%zu].id: missing", i);
		else if (rec == NULL)
			rc = vlt_err_set(err, VLT_ENOENT,
					 "$.reservations[%zu].id: the lease has no reservation %.64s",
					 i, id);
		else
			rc = reservation_change(rec, c, i, err);
	}
	return rc;
}

/* The new window of an update, by Blazar's rules. */
static int window_change(const json_t *body, int64_t now_ms, int64_t *start, int64_t *end,
			 vlt_err_t *err)
{
	const json_t *s = json_object_get(body, "start_date");
	const json_t *e = json_object_get(body, "end_date");
	int64_t ns = *start, ne = *end;
	int rc = 0;

	if (s != NULL)
		rc = vlt__blazar_time_parse(json_string_value(s), now_ms, "$.start_date", &ns, err);
	if (rc == 0 && e != NULL)
		rc = vlt__blazar_time_parse(json_string_value(e), INT64_MIN, "$.end_date", &ne, err);
	if (rc < 0)
		return rc;
	if (s != NULL && ns != *start && *start <= now_ms)
		return vlt_err_set(err, VLT_EINVAL,
				   "$.start_date: the lease has started: its start cannot change");
	if (s != NULL && ns != *start && ns < now_ms - 60 * 1000)
		return vlt_err_set(err, VLT_EINVAL,
				   "$.start_date: the lease cannot start in the past");
	if (e != NULL && ne != *end && ne <= now_ms)
		return vlt_err_set(err, VLT_EINVAL, "$.end_date: must be in the future");
	if (ne <= ns)
		return vlt_err_set(err, VLT_EINVAL, "$.end_date: must be after start_date");
	*start = ns;
	*end = ne;
	return 0;
}

/* Is v (ms, or null) within [start, end]? null is. */
static bool within(const json_t *v, int64_t start, int64_t end)
{
	return !json_is_integer(v) ||
	       (json_integer_value(v) >= start && json_integer_value(v) <= end);
}

int vlt__blazar_lease_change(const json_t *record, const json_t *body, int64_t now_ms,
			     json_t **changed, int64_t *start_ms, int64_t *end_ms, vlt_err_t *err)
{
	const json_t *name = json_object_get(body, "name");
	int64_t start = *start_ms, end = *end_ms;
	json_t *before = NULL;
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "$: expected a JSON object");
	if (name != NULL && (!json_is_string(name) || json_string_length(name) == 0 ||
			     json_string_length(name) > 80))
		return vlt_err_set(err, VLT_EINVAL, "$.name: expected a name of 1 to 80 characters");
	if ((rc = window_change(body, now_ms, &start, &end, err)) < 0)
		return rc;
	json_t *rec = json_deep_copy(record);
	if (rec == NULL)
		return OOM(err);
	if (json_object_get(body, "before_end_date") != NULL)
		rc = want_before_end(body, start, end, &before, err);
	if (rc == 0 && before == NULL && !within(json_object_get(rec, "before_end_ms"), start, end))
		before = json_null(); /* the window moved past it: Blazar's default again */
	if (rc == 0 && before != NULL && json_object_set_new(rec, "before_end_ms", before) != 0)
		rc = OOM(err);
	if (rc == 0 && name != NULL && json_object_set(rec, "name", (json_t *)name) != 0)
		rc = OOM(err);
	if (rc == 0)
		rc = reservations_change(rec, body, err);
	if (rc < 0) {
		json_decref(rec);
		return rc;
	}
	*changed = rec;
	*start_ms = start;
	*end_ms = end;
	return 0;
}
