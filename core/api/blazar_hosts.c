/*
 * blazar_hosts.c - the hosts of Blazar's physical:host reservations:
 * hypervisor_properties, Blazar's filter, read as its convert_requirements
 * reads it (one comparison, or "and" of several), evaluated against the
 * properties the inventory gives a host, and the pick among hosts wholly
 * free over the lease (blazar.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blazar.h"

#define OOM(err) vlt_err_set(err, VLT_ENOMEM, "out of memory")

static const char *const ops[] = { "==", "=", "!=", "<", "<=", ">", ">=", NULL };

/* A value as a number, if the whole of it is one. */
static bool as_number(const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	const char *s = json_string_value(v);
	char *end = NULL;
	if (s == NULL || s[0] == '\0')
		return false;
	*out = strtod(s, &end);
	return *end == '\0';
}

/* -1, 0, 1: numbers as numbers, else as text. */
static int compare(const json_t *have, const char *want)
{
	json_t *w = json_string(want);
	double a, b;
	int c;

	if (as_number(have, &a) && as_number(w, &b)) {
		c = a < b ? -1 : a > b ? 1 : 0;
	} else {
		char num[64];
		const char *h = json_string_value(have);
		if (h == NULL) {
			snprintf(num, sizeof(num), "%g", json_number_value(have));
			h = num;
		}
		c = strcmp(h, want);
		c = c < 0 ? -1 : c > 0 ? 1 : 0;
	}
	json_decref(w);
	return c;
}

static bool holds(const char *op, int c)
{
	if (strcmp(op, "==") == 0 || strcmp(op, "=") == 0)
		return c == 0;
	if (strcmp(op, "!=") == 0)
		return c != 0;
	if (strcmp(op, "<") == 0)
		return c < 0;
	if (strcmp(op, "<=") == 0)
		return c <= 0;
	if (strcmp(op, ">") == 0)
		return c > 0;
	return c >= 0;
}

static bool known_op(const char *op)
{
	for (size_t i = 0; op != NULL && ops[i] != NULL; i++)
		if (strcmp(op, ops[i]) == 0)
			return true;
	return false;
}

/* ["op", "$prop", "value"] against props (may be NULL: checked only). */
static int comparison(const json_t *f, const char *where, const json_t *props, bool *match,
		      vlt_err_t *err)
{
	const char *op = json_string_value(json_array_get(f, 0));
	const char *prop = json_string_value(json_array_get(f, 1));
	const char *value = json_string_value(json_array_get(f, 2));

	if (json_array_size(f) != 3 || !known_op(op) || prop == NULL || prop[0] != '$' ||
	    prop[1] == '\0' || value == NULL || value[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: expected [\"<op>\", \"$<property>\", \"<value>\"] with op one "
				   "of == = != < <= > >=, all strings",
				   where);
	const json_t *have = json_object_get(props, prop + 1);
	*match = have != NULL && (json_is_string(have) || json_is_number(have)) &&
		 holds(op, compare(have, value));
	return 0;
}

static int evaluate(const json_t *f, const char *where, const json_t *props, bool *match,
		    vlt_err_t *err)
{
	const char *head = json_string_value(json_array_get(f, 0));

	if (!json_is_array(f))
		return vlt_err_set(err, VLT_EINVAL, "%s: expected a list", where);
	if (json_array_size(f) == 0) {
		*match = true;
		return 0;
	}
	if (head == NULL || strcmp(head, "and") != 0)
		return comparison(f, where, props, match, err);
	if (json_array_size(f) < 2)
		return vlt_err_set(err, VLT_EINVAL, "%s: \"and\" of nothing", where);
	*match = true;
	for (size_t i = 1; i < json_array_size(f); i++) {
		char at[96];
		bool one = false;

		snprintf(at, sizeof(at), "%.80s[%zu]", where, i);
		int rc = comparison(json_array_get(f, i), at, props, &one, err);
		if (rc < 0)
			return rc;
		*match = *match && one;
	}
	return 0;
}

int vlt__blazar_host_matches(const char *hypervisor_properties, const json_t *props, bool *match,
			     vlt_err_t *err)
{
	json_error_t jerr;

	*match = false;
	if (hypervisor_properties == NULL || hypervisor_properties[0] == '\0') {
		*match = true;
		return 0;
	}
	json_t *f = json_loads(hypervisor_properties, JSON_DECODE_ANY, &jerr);
	if (f == NULL)
		return vlt_err_set(err, VLT_EINVAL, "not JSON: %s", jerr.text);
	int rc = evaluate(f, "$", props, match, err);
	json_decref(f);
	return rc;
}

json_t *vlt__blazar_host_properties(const json_t *host)
{
	/* Blazar's are the hypervisor's own figures: the hardware's, when given */
	const json_t *size = json_is_object(json_object_get(host, "total"))
				     ? json_object_get(host, "total")
				     : host;
	json_t *p = json_pack("{s:O?, s:O?, s:O?, s:O?}", "hypervisor_hostname",
			      json_object_get(host, "name"), "vcpus", json_object_get(size, "vcpus"),
			      "memory_mb", json_object_get(size, "ram_mb"), "local_gb",
			      json_object_get(size, "disk_gb"));

	if (p == NULL)
		return NULL;
	if (json_object_get(host, "zone") != NULL)
		json_object_set(p, "availability_zone", json_object_get(host, "zone"));
	if (json_object_get(host, "rack") != NULL)
		json_object_set(p, "rack", json_object_get(host, "rack"));
	return p;
}

/* Does host match res's filter and is it not another reservation's? */
static int eligible(const json_t *res, const json_t *host, const json_t *taken, bool *ok,
		    vlt_err_t *err)
{
	const char *name = json_string_value(json_object_get(host, "name"));
	json_t *props = vlt__blazar_host_properties(host);

	*ok = false;
	if (props == NULL)
		return OOM(err);
	int rc = vlt__blazar_host_matches(
		json_string_value(json_object_get(res, "hypervisor_properties")), props, ok, err);
	json_decref(props);
	if (name == NULL || json_object_get(taken, name) != NULL)
		*ok = false;
	return rc;
}

int vlt__blazar_pick_hosts(const json_t *res, const json_t *free, const json_t *taken,
			   json_t **picked, vlt_err_t *err)
{
	json_int_t min = json_integer_value(json_object_get(res, "min"));
	json_int_t max = json_integer_value(json_object_get(res, "max"));
	json_t *out = json_array();
	size_t i;
	json_t *h;
	int rc = out != NULL ? 0 : OOM(err);

	json_array_foreach(free, i, h) {
		bool ok = false;

		if (rc < 0 || (json_int_t)json_array_size(out) >= max)
			break;
		rc = eligible(res, h, taken, &ok, err);
		if (rc == 0 && ok && json_array_append_new(out, json_deep_copy(h)) != 0)
			rc = OOM(err);
	}
	if (rc == 0 && (json_int_t)json_array_size(out) < min)
		rc = vlt_err_set(err, VLT_ENOPLACE,
				 "Not enough hosts available: reservation %.40s asks at least %" JSON_INTEGER_FORMAT
				 " host(s) matching hypervisor_properties '%.200s' wholly free over "
				 "the lease, %zu found",
				 json_string_value(json_object_get(res, "id")), min,
				 json_string_value(json_object_get(res, "hypervisor_properties")),
				 json_array_size(out));
	if (rc < 0) {
		json_decref(out);
		return rc;
	}
	*picked = out;
	return 0;
}
