/*
 * service.c - the journal of valet-api's state and the state it builds:
 * reading and applying entries, catching up, the write loop (decide,
 * append, retry on a lost race), expiry of holds, and the documents.
 * The operations themselves are in service_plans.c and service_groups.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <valet/core.h>
#include <valet/store.h>

#include "dc.h"
#include "log.h"
#include "service_int.h"

#define SEQ_DIGITS 20
#define DEFAULT_RETRIES 8

/* ---------------------------------------------------------------- map */

static size_t map_hash(const char *key)
{
	size_t h = 1469598103934665603ull;

	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h;
}

void *vlt__svc_map_get(const vlt_svc_map_t *m, const char *key)
{
	if (m->n_b == 0 || key == NULL)
		return NULL;
	for (vlt_svc_map_entry_t *e = m->b[map_hash(key) % m->n_b]; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0)
			return e->val;
	}
	return NULL;
}

static int map_grow(vlt_svc_map_t *m)
{
	size_t n_b = m->n_b == 0 ? 64 : m->n_b * 2;
	vlt_svc_map_entry_t **b = calloc(n_b, sizeof(*b));

	if (b == NULL)
		return VLT_ENOMEM;
	for (size_t i = 0; i < m->n_b; i++) {
		vlt_svc_map_entry_t *e = m->b[i];

		while (e != NULL) {
			vlt_svc_map_entry_t *next = e->next;
			size_t k = map_hash(e->key) % n_b;

			e->next = b[k];
			b[k] = e;
			e = next;
		}
	}
	free(m->b);
	m->b = b;
	m->n_b = n_b;
	return 0;
}

/* Insert or replace. RET 0 or VLT_ENOMEM. */
int vlt__svc_map_put(vlt_svc_map_t *m, const char *key, void *val)
{
	if (m->n >= m->n_b && map_grow(m) < 0)
		return VLT_ENOMEM;
	size_t k = map_hash(key) % m->n_b;
	for (vlt_svc_map_entry_t *e = m->b[k]; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			e->val = val;
			return 0;
		}
	}
	vlt_svc_map_entry_t *e = malloc(sizeof(*e));
	if (e == NULL || (e->key = strdup(key)) == NULL) {
		free(e);
		return VLT_ENOMEM;
	}
	e->val = val;
	e->next = m->b[k];
	m->b[k] = e;
	m->n++;
	return 0;
}

void vlt__svc_map_del(vlt_svc_map_t *m, const char *key)
{
	if (m->n_b == 0 || key == NULL)
		return;
	for (vlt_svc_map_entry_t **pe = &m->b[map_hash(key) % m->n_b]; *pe != NULL;
	     pe = &(*pe)->next) {
		vlt_svc_map_entry_t *e = *pe;

		if (strcmp(e->key, key) == 0) {
			*pe = e->next;
			free(e->key);
			free(e);
			m->n--;
			return;
		}
	}
}

void vlt__svc_map_clear(vlt_svc_map_t *m)
{
	for (size_t i = 0; i < m->n_b; i++) {
		vlt_svc_map_entry_t *e = m->b[i];

		while (e != NULL) {
			vlt_svc_map_entry_t *next = e->next;

			free(e->key);
			free(e);
			e = next;
		}
	}
	free(m->b);
	memset(m, 0, sizeof(*m));
}

/* ---------------------------------------------------------------- small things */

int64_t vlt__svc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vlt__svc_uuid(char *buf)
{
	unsigned char r[16];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* no entropy source at all: time and address still differ per call */
			uint64_t t = (uint64_t)vlt__svc_now_ms() ^ (uint64_t)(uintptr_t)buf;
			for (size_t i = got; i < sizeof(r); i++)
				r[i] = (unsigned char)(t >> (8 * (i % 8))) ^ (unsigned char)rand();
			break;
		}
		got += (size_t)n;
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static bool dup_failed(const char *src, const char *copy)
{
	return src != NULL && copy == NULL;
}

bool vlt__svc_has_server(const json_t *resources)
{
	const char *k;
	json_t *r;

	json_object_foreach((json_t *)resources, k, r) {
		const char *type = json_string_value(json_object_get(r, "type"));

		if (type != NULL && strcmp(type, SVC_SERVER) == 0)
			return true;
	}
	return false;
}

int vlt__svc_want_string(const json_t *obj, const char *key, bool required, const char *where,
			 const char **out, vlt_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || (json_is_null(v) && !required)) {
		if (!required)
			return 0;
		return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: missing (expected a string)", where,
				   key);
	}
	if (!json_is_string(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: expected a string", where, key);
	*out = json_string_value(v);
	return 0;
}

int vlt__svc_want_strings(const json_t *obj, const char *key, bool required, const char *where,
			  const json_t **out, vlt_err_t *err)
{
	json_t *v = json_object_get(obj, key);
	size_t i;
	json_t *x;

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.%s: missing (expected a list of strings)", where, key);
	}
	if (!json_is_array(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: expected a list of strings", where,
				   key);
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return vlt_err_set(err, VLT_EINVAL, "%s: $.%s[%zu]: expected a string",
					   where, key, i);
	}
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- bodies */

static int check_value(const json_t *v, char *path, size_t len, size_t cap, unsigned depth,
		       vlt_err_t *err);

/* path + key (or [i]) for messages; truncated quietly when long */
static size_t path_push(char *path, size_t len, size_t cap, const char *key, size_t index)
{
	int n = key != NULL ? snprintf(path + len, cap - len, ".%s", key)
			    : snprintf(path + len, cap - len, "[%zu]", index);

	if (n < 0 || (size_t)n >= cap - len)
		return cap - 1;
	return len + (size_t)n;
}

static int check_value(const json_t *v, char *path, size_t len, size_t cap, unsigned depth,
		       vlt_err_t *err)
{
	const char *k;
	json_t *x;
	size_t i;

	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (depth >= VLT_SERVICE_MAX_DEPTH)
		return vlt_err_set(err, VLT_EINVAL,
				   "request body: %s: nested deeper than %d levels", path,
				   VLT_SERVICE_MAX_DEPTH);
	if (json_is_array(v)) {
		json_array_foreach((json_t *)v, i, x) {
			size_t l = path_push(path, len, cap, NULL, i);
			int rc = check_value(x, path, l, cap, depth + 1, err);

			path[len] = '\0';
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	json_object_foreach((json_t *)v, k, x) {
		if (k[0] == '$')
			return vlt_err_set(err, VLT_EINVAL,
					   "request body: %s: key '%s': keys starting with '$' "
					   "are not accepted",
					   path, k);
		size_t l = path_push(path, len, cap, k, 0);
		int rc = check_value(x, path, l, cap, depth + 1, err);

		path[len] = '\0';
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vlt__service_check_body(const json_t *body, vlt_err_t *err)
{
	char path[400] = "$";

	return check_value(body, path, 1, sizeof(path), 0, err);
}

/* ---------------------------------------------------------------- units */

static void unit_clear(vlt_svc_unit_t *u)
{
	free(u->orch);
	free(u->name);
	free(u->type);
	free(u->loc);
	free(u->pid);
	free(u->resource_id);
	memset(u, 0, sizeof(*u));
}

void vlt__svc_units_free(vlt_svc_unit_t *units, size_t n)
{
	for (size_t i = 0; units != NULL && i < n; i++)
		unit_clear(&units[i]);
	free(units);
}

int vlt__svc_unit_copy(vlt_svc_unit_t *dst, const vlt_svc_unit_t *src)
{
	*dst = *src;
	dst->orch = dup_or_null(src->orch);
	dst->name = dup_or_null(src->name);
	dst->type = dup_or_null(src->type);
	dst->loc = dup_or_null(src->loc);
	dst->pid = dup_or_null(src->pid);
	dst->resource_id = dup_or_null(src->resource_id);
	if (dup_failed(src->orch, dst->orch) || dup_failed(src->name, dst->name) ||
	    dup_failed(src->type, dst->type) || dup_failed(src->loc, dst->loc) ||
	    dup_failed(src->pid, dst->pid) || dup_failed(src->resource_id, dst->resource_id)) {
		unit_clear(dst);
		return VLT_ENOMEM;
	}
	return 0;
}

json_t *vlt__svc_units_json(const vlt_svc_unit_t *units, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++) {
		const vlt_svc_unit_t *u = &units[i];
		json_t *o =
			json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:b, s:b, s:I}", "orch",
				  u->orch, "name", u->name, "type", u->type, "location", u->loc,
				  "placement_id", u->pid, "resource_id", u->resource_id, "reserved",
				  u->reserved, "expired", u->expired, "t", (json_int_t)u->t_ms);

		if (o == NULL || json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static char *str_member(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? strdup(v) : NULL;
}

int vlt__svc_units_from_json(const json_t *arr, vlt_svc_unit_t **units, size_t *n)
{
	size_t count = json_array_size(arr);
	vlt_svc_unit_t *us = calloc(count > 0 ? count : 1, sizeof(*us));
	size_t i;
	json_t *o;

	if (us == NULL)
		return VLT_ENOMEM;
	json_array_foreach(arr, i, o) {
		vlt_svc_unit_t *u = &us[i];

		u->orch = str_member(o, "orch");
		u->name = str_member(o, "name");
		u->type = str_member(o, "type");
		u->loc = str_member(o, "location");
		u->pid = str_member(o, "placement_id");
		u->resource_id = str_member(o, "resource_id");
		u->reserved = json_is_true(json_object_get(o, "reserved"));
		u->expired = json_is_true(json_object_get(o, "expired"));
		u->t_ms = json_integer_value(json_object_get(o, "t"));
		u->server = u->type != NULL && strcmp(u->type, SVC_SERVER) == 0;
		if (u->orch == NULL || u->name == NULL || u->type == NULL) {
			vlt__svc_units_free(us, i + 1);
			return VLT_EINVAL;
		}
	}
	*units = us;
	*n = count;
	return 0;
}

vlt_svc_unit_t *vlt__svc_unit_of(const vlt_svc_plan_t *p, const char *orch)
{
	for (size_t i = 0; i < p->n_units; i++) {
		if (strcmp(p->units[i].orch, orch) == 0)
			return &p->units[i];
	}
	return NULL;
}

/* ---------------------------------------------------------------- documents */

static json_t *unit_metadata(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u)
{
	json_t *r = json_object_get(json_object_get(p->request, "resources"), u->orch);
	json_t *md = json_object_get(r, "metadata");

	return json_is_object(md) ? json_deep_copy(md) : json_object();
}

json_t *vlt__svc_placement_json(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u)
{
	return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:b, s:o, s:s}", "id", u->pid, "name",
			 u->name, "orchestration_id", u->orch, "resource_id", u->resource_id,
			 "location", u->loc, "reserved", u->reserved, "metadata",
			 unit_metadata(p, u), "plan_id", p->id);
}

json_t *vlt__svc_plan_json(const vlt_svc_plan_t *p)
{
	json_t *pl = json_object();

	for (size_t i = 0; pl != NULL && i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];

		if (!u->server)
			continue;
		if (json_object_set_new(
			    pl, u->orch,
			    json_pack("{s:s, s:s?}", "name", u->name, "location", u->loc)) < 0) {
			json_decref(pl);
			pl = NULL;
		}
	}
	if (pl == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:o}", "id", p->id, "stack_id", p->stack_id, "name",
			 p->name, "placements", pl);
}

/* ---------------------------------------------------------------- pruning */

static bool is_group_type(const char *t)
{
	return strcmp(t, "ATT::Valet::GroupAssignment") == 0 ||
	       strcmp(t, "ATT::CloudQoS::ResourceGroup") == 0 ||
	       strcmp(t, "OS::Valet::GroupAssignment") == 0;
}

static bool is_pipe_type(const char *t)
{
	return strcmp(t, "ATT::Valet::Pipe") == 0 || strcmp(t, "ATT::CloudQoS::Pipe") == 0;
}

/* The orchestration id a reference names in req's resources, or NULL. */
const char *vlt__svc_resolve_ref(const json_t *resources, const json_t *ref)
{
	const char *s = json_string_value(ref);
	const char *k, *found = NULL;
	json_t *r;

	if (json_is_object(ref))
		s = json_string_value(json_object_get(ref, "get_resource"));
	if (s == NULL)
		return NULL;
	if (json_object_get(resources, s) != NULL) {
		json_object_foreach((json_t *)resources, k, r) {
			if (strcmp(k, s) == 0)
				return k;
		}
	}
	json_object_foreach((json_t *)resources, k, r) {
		const char *name = json_string_value(json_object_get(r, "name"));

		if (name != NULL && strcmp(name, s) == 0) {
			if (found != NULL)
				return NULL; /* ambiguous: the parser refuses it anyway */
			found = k;
		}
	}
	return found;
}

/* Drop from list the references that name a resource of gone. RET how many remain. */
static size_t filter_refs(json_t *list, const json_t *orig, const json_t *gone)
{
	for (size_t i = json_array_size(list); i-- > 0;) {
		const char *orch = vlt__svc_resolve_ref(orig, json_array_get(list, i));

		if (orch != NULL && json_object_get(gone, orch) != NULL)
			json_array_remove(list, i);
	}
	return json_array_size(list);
}

static size_t distinct_refs(const json_t *list, const json_t *orig)
{
	json_t *seen = json_object();
	size_t n;

	for (size_t i = 0; seen != NULL && i < json_array_size(list); i++) {
		const char *orch = vlt__svc_resolve_ref(orig, json_array_get(list, i));
		const char *key = orch != NULL ? orch : json_string_value(json_array_get(list, i));

		if (key != NULL)
			json_object_set_new(seen, key, json_true());
	}
	n = json_object_size(seen);
	json_decref(seen);
	return n;
}

/* One pass over the remaining resources. RET true when something more went. */
static bool prune_pass(json_t *res, const json_t *orig, json_t *gone)
{
	bool more = false;
	const char *k;
	json_t *r;
	void *tmp;

	json_object_foreach_safe(res, tmp, k, r) {
		const char *type = json_string_value(json_object_get(r, "type"));
		json_t *props = json_object_get(r, "properties");
		json_t *list = json_object_get(props, "resources");
		bool drop = false;

		if (type == NULL || !json_is_object(props))
			continue;
		if (is_group_type(type) && json_is_array(list) && json_array_size(list) > 0) {
			drop = filter_refs(list, orig, gone) == 0;
		} else if (is_pipe_type(type) && json_is_array(list)) {
			filter_refs(list, orig, gone);
			drop = distinct_refs(list, orig) < 2 && json_array_size(list) > 0;
		} else if (strcmp(type, "OS::Cinder::VolumeAttachment") == 0) {
			const char *a =
				vlt__svc_resolve_ref(orig, json_object_get(props, "instance_uuid"));
			const char *b =
				vlt__svc_resolve_ref(orig, json_object_get(props, "volume_id"));

			drop = (a != NULL && json_object_get(gone, a) != NULL) ||
			       (b != NULL && json_object_get(gone, b) != NULL);
		}
		if (drop) {
			json_object_set_new(gone, k, json_true());
			json_object_del(res, k);
			more = true;
		}
	}
	return more;
}

json_t *vlt__svc_prune(const json_t *req, const json_t *drop)
{
	json_t *out = json_deep_copy(req);
	json_t *gone = json_deep_copy(drop);
	const json_t *orig = json_object_get(req, "resources");
	json_t *res = json_object_get(out, "resources");
	const char *k;
	json_t *v;

	if (out == NULL || gone == NULL) {
		json_decref(out);
		json_decref(gone);
		return NULL;
	}
	if (json_object_size(gone) > 0 && json_is_object(res)) {
		json_object_foreach(gone, k, v)
			json_object_del(res, k);
		while (prune_pass(res, orig, gone))
			;
	}
	json_decref(gone);
	return out;
}

json_t *vlt__svc_expired_set(const vlt_svc_plan_t *p)
{
	json_t *set = json_object();

	for (size_t i = 0; set != NULL && i < p->n_units; i++) {
		if (p->units[i].expired)
			json_object_set_new(set, p->units[i].orch, json_true());
	}
	return set;
}

/* ---------------------------------------------------------------- holds */

int vlt__svc_plan_hold(vlt_service_t *s, vlt_svc_plan_t *p, bool release, const char *where,
		       vlt_err_t *err)
{
	json_t *locs = json_object();
	json_t *gone = vlt__svc_expired_set(p);
	json_t *req = NULL;
	int rc = 0;

	if (release)
		vlt__engine_release(s->engine, p->id);
	p->held = false;
	free(p->hold_error);
	p->hold_error = NULL;
	for (size_t i = 0; locs != NULL && i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];

		if (!u->expired && u->loc != NULL)
			json_object_set_new(locs, u->orch, json_string(u->loc));
	}
	if (locs == NULL || gone == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	else if (json_object_size(locs) > 0) {
		req = vlt__svc_prune(p->request, gone);
		rc = req == NULL ? vlt_err_set(err, VLT_ENOMEM, "out of memory")
				 : vlt__engine_hold(s->engine, req, where, p->id, locs, err);
		p->held = rc == 0;
	}
	if (rc < 0 && rc != VLT_ENOMEM) {
		p->hold_error = strdup(err->msg);
		vlt__log(NULL, VLT_LOG_ERR, "plan %s (stack %s): its hold is not restored: %s",
			 p->id, p->stack_id, err->msg);
	}
	json_decref(locs);
	json_decref(gone);
	json_decref(req);
	return rc;
}

json_t *vlt__svc_known_hosts(vlt_service_t *s, const json_t *list)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	json_t *out = json_array();
	size_t i;
	json_t *h;

	json_array_foreach(list, i, h) {
		const char *name = json_string_value(h);

		if (out != NULL && name != NULL && vlt__dc_find_host(dc, name) != VLT_NONE)
			json_array_append(out, h);
	}
	return out;
}

/* ---------------------------------------------------------------- plans in memory */

static void plan_free(vlt_svc_plan_t *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->stack_id);
	free(p->name);
	free(p->tenant);
	json_decref(p->request);
	vlt__svc_units_free(p->units, p->n_units);
	free(p->hold_error);
	free(p);
}

static void index_units(vlt_service_t *s, vlt_svc_plan_t *p, bool add)
{
	for (size_t i = 0; i < p->n_units; i++) {
		vlt_svc_unit_t *u = &p->units[i];

		if (add) {
			vlt__svc_map_put(&s->by_orch, u->orch, p);
			if (u->pid != NULL)
				vlt__svc_map_put(&s->by_pid, u->pid, p);
		} else {
			if (vlt__svc_map_get(&s->by_orch, u->orch) == p)
				vlt__svc_map_del(&s->by_orch, u->orch);
			if (u->pid != NULL)
				vlt__svc_map_del(&s->by_pid, u->pid);
		}
	}
}

static void plan_unlink(vlt_service_t *s, vlt_svc_plan_t *p)
{
	index_units(s, p, false);
	vlt__svc_map_del(&s->by_id, p->id);
	if (vlt__svc_map_get(&s->by_stack, p->stack_id) == p)
		vlt__svc_map_del(&s->by_stack, p->stack_id);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		s->first = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		s->last = p->prev;
	s->n_plans--;
}

vlt_svc_plan_t *vlt__svc_plan_find(vlt_service_t *s, const char *id)
{
	vlt_svc_plan_t *p = vlt__svc_map_get(&s->by_id, id);

	return p != NULL ? p : vlt__svc_map_get(&s->by_stack, id);
}

vlt_svc_unit_t *vlt__svc_unit_find(vlt_service_t *s, const char *id, vlt_svc_plan_t **plan)
{
	vlt_svc_plan_t *p = vlt__svc_map_get(&s->by_pid, id);
	vlt_svc_unit_t *u = NULL;

	if (p != NULL) {
		for (size_t i = 0; i < p->n_units && u == NULL; i++) {
			if (p->units[i].pid != NULL && strcmp(p->units[i].pid, id) == 0)
				u = &p->units[i];
		}
	} else if ((p = vlt__svc_map_get(&s->by_orch, id)) != NULL) {
		u = vlt__svc_unit_of(p, id);
	}
	if (u != NULL && !u->server)
		u = NULL;
	if (plan != NULL)
		*plan = u != NULL ? p : NULL;
	return u;
}

/* ---------------------------------------------------------------- applying entries */

/* The request of an entry: stored as text, so no key of a client reaches the store. */
static json_t *entry_request(const json_t *e)
{
	const char *text = json_string_value(json_object_get(e, "request"));

	return text != NULL ? json_loads(text, 0, NULL) : NULL;
}

static int apply_plan_create(vlt_service_t *s, const json_t *e, bool engine_done, const char *where,
			     vlt_err_t *err)
{
	const json_t *pj = json_object_get(e, "plan");
	vlt_svc_plan_t *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	p->id = str_member(pj, "id");
	p->stack_id = str_member(pj, "stack_id");
	p->name = str_member(pj, "name");
	p->tenant = str_member(pj, "tenant");
	p->request = entry_request(e);
	if (p->id == NULL || p->stack_id == NULL || p->name == NULL || p->request == NULL ||
	    vlt__svc_units_from_json(json_object_get(e, "units"), &p->units, &p->n_units) < 0) {
		plan_free(p);
		return vlt_err_set(err, VLT_EINVAL, "%s: a plan_create entry lacks its plan",
				   where);
	}
	if (vlt__svc_map_get(&s->by_id, p->id) != NULL) {
		int rc = vlt_err_set(err, VLT_EEXIST, "%s: plan %s exists already", where, p->id);
		plan_free(p);
		return rc;
	}
	if (vlt__svc_map_put(&s->by_id, p->id, p) < 0 ||
	    vlt__svc_map_put(&s->by_stack, p->stack_id, p) < 0) {
		vlt__svc_map_del(&s->by_id, p->id);
		plan_free(p);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	index_units(s, p, true);
	p->prev = s->last;
	if (s->last != NULL)
		s->last->next = p;
	else
		s->first = p;
	s->last = p;
	s->n_plans++;
	p->held = engine_done;
	if (!engine_done)
		vlt__svc_plan_hold(s, p, false, where, err);
	return 0;
}

static vlt_svc_plan_t *entry_plan(vlt_service_t *s, const json_t *e, const char *where,
				  vlt_err_t *err)
{
	const char *id = json_string_value(json_object_get(e, "plan_id"));
	vlt_svc_plan_t *p = id != NULL ? vlt__svc_map_get(&s->by_id, id) : NULL;

	if (p == NULL)
		vlt_err_set(err, VLT_ENOENT, "%s: no plan '%s'", where, id != NULL ? id : "");
	return p;
}

static int apply_plan_replace(vlt_service_t *s, const json_t *e, bool engine_done,
			      const char *where, vlt_err_t *err)
{
	vlt_svc_plan_t *p = entry_plan(s, e, where, err);
	json_t *req = entry_request(e);
	const char *name = json_string_value(json_object_get(e, "name"));
	vlt_svc_unit_t *units = NULL;
	size_t n = 0;

	if (p == NULL || req == NULL ||
	    vlt__svc_units_from_json(json_object_get(e, "units"), &units, &n) < 0) {
		json_decref(req);
		return p == NULL ? err->code
				 : vlt_err_set(err, VLT_EINVAL,
					       "%s: a plan_replace entry is broken", where);
	}
	if (name != NULL) {
		char *copy = strdup(name);

		if (copy != NULL) {
			free(p->name);
			p->name = copy;
		}
	}
	index_units(s, p, false);
	vlt__svc_units_free(p->units, p->n_units);
	json_decref(p->request);
	p->units = units;
	p->n_units = n;
	p->request = req;
	index_units(s, p, true);
	if (engine_done) {
		p->held = true;
		free(p->hold_error);
		p->hold_error = NULL;
	} else {
		vlt__svc_plan_hold(s, p, true, where, err);
	}
	return 0;
}

static int apply_reserve(vlt_service_t *s, const json_t *e, const char *where, vlt_err_t *err)
{
	vlt_svc_plan_t *p = entry_plan(s, e, where, err);
	const char *orch = json_string_value(json_object_get(e, "orch"));
	vlt_svc_unit_t *u = p != NULL && orch != NULL ? vlt__svc_unit_of(p, orch) : NULL;
	const char *rid = json_string_value(json_object_get(e, "resource_id"));

	if (u == NULL)
		return p == NULL ? err->code
				 : vlt_err_set(err, VLT_ENOENT, "%s: no unit '%s' in plan %s",
					       where, orch != NULL ? orch : "", p->id);
	char *copy = dup_or_null(rid);
	if (dup_failed(rid, copy))
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	free(u->resource_id);
	u->resource_id = copy;
	u->reserved = true;
	return 0;
}

static int apply_expire(vlt_service_t *s, const json_t *e, const char *where, vlt_err_t *err)
{
	vlt_svc_plan_t *p = entry_plan(s, e, where, err);
	size_t i;
	json_t *o;

	if (p == NULL)
		return err->code;
	json_array_foreach(json_object_get(e, "orchs"), i, o) {
		vlt_svc_unit_t *u =
			json_is_string(o) ? vlt__svc_unit_of(p, json_string_value(o)) : NULL;

		if (u != NULL && !u->reserved) {
			u->expired = true;
			free(u->loc);
			u->loc = NULL;
		}
	}
	vlt__svc_plan_hold(s, p, true, where, err);
	return 0;
}

static int apply_plan_delete(vlt_service_t *s, const json_t *e, const char *where, vlt_err_t *err)
{
	vlt_svc_plan_t *p = entry_plan(s, e, where, err);

	if (p == NULL)
		return err->code;
	vlt__engine_release(s->engine, p->id);
	plan_unlink(s, p);
	plan_free(p);
	return 0;
}

json_t *vlt__svc_group_find(vlt_service_t *s, const char *ref, size_t *index)
{
	size_t i;
	json_t *g;

	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(s->groups, i, g) {
			const char *v =
				json_string_value(json_object_get(g, pass == 0 ? "id" : "name"));

			if (v != NULL && strcmp(v, ref) == 0) {
				if (index != NULL)
					*index = i;
				return g;
			}
		}
	}
	return NULL;
}

static int push_groups(vlt_service_t *s, const char *where, vlt_err_t *err)
{
	json_t *doc = vlt__svc_groups_doc(s);
	int rc = doc != NULL ? vlt__engine_set_groups(s->engine, doc, where, err)
			     : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	json_decref(doc);
	if (rc < 0)
		vlt__log(NULL, VLT_LOG_ERR, "named groups not given to the engine: %s", err->msg);
	return rc;
}

static int apply_group_put(vlt_service_t *s, const json_t *e, const char *where, vlt_err_t *err)
{
	json_t *g = json_object_get(e, "group");
	const char *id = json_string_value(json_object_get(g, "id"));
	json_t *copy = id != NULL ? json_deep_copy(g) : NULL;

	if (id == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: a group_put entry lacks its group", where);
	if (copy == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; i < json_array_size(s->groups); i++) {
		json_t *old = json_array_get(s->groups, i);
		const char *gid = json_string_value(json_object_get(old, "id"));

		if (gid != NULL && strcmp(gid, id) == 0) {
			json_array_set_new(s->groups, i, copy);
			return push_groups(s, where, err);
		}
	}
	json_array_append_new(s->groups, copy);
	return push_groups(s, where, err);
}

static int apply_group_delete(vlt_service_t *s, const json_t *e, const char *where, vlt_err_t *err)
{
	const char *id = json_string_value(json_object_get(e, "group_id"));
	size_t i = 0;

	if (id == NULL || vlt__svc_group_find(s, id, &i) == NULL)
		return vlt_err_set(err, VLT_ENOENT, "%s: no group '%s'", where,
				   id != NULL ? id : "");
	json_array_remove(s->groups, i);
	return push_groups(s, where, err);
}

/*
 * Apply entry number seq. engine_done: this process decided it and the
 * engine already holds what it says. A failure is logged and counted; the
 * journal goes on (one broken entry must not stop every later one).
 */
static void apply_entry(vlt_service_t *s, const json_t *e, uint64_t seq, bool engine_done)
{
	const char *op = json_string_value(json_object_get(e, "op"));
	char where[64];
	vlt_err_t err = { 0 };
	int rc;

	snprintf(where, sizeof(where), "journal entry %" PRIu64, seq);
	if (op == NULL)
		rc = vlt_err_set(&err, VLT_EINVAL, "%s: no op", where);
	else if (strcmp(op, "plan_create") == 0)
		rc = apply_plan_create(s, e, engine_done, where, &err);
	else if (strcmp(op, "plan_replace") == 0)
		rc = apply_plan_replace(s, e, engine_done, where, &err);
	else if (strcmp(op, "reserve") == 0)
		rc = apply_reserve(s, e, where, &err);
	else if (strcmp(op, "expire") == 0)
		rc = apply_expire(s, e, where, &err);
	else if (strcmp(op, "plan_delete") == 0)
		rc = apply_plan_delete(s, e, where, &err);
	else if (strcmp(op, "group_put") == 0)
		rc = apply_group_put(s, e, where, &err);
	else if (strcmp(op, "group_delete") == 0)
		rc = apply_group_delete(s, e, where, &err);
	else
		rc = vlt_err_set(&err, VLT_EINVAL,
				 "%s: unknown op '%s' (written by a newer valet?)", where, op);
	s->applied = seq;
	if (rc < 0) {
		s->n_unapplied++;
		vlt__log(NULL, VLT_LOG_ERR, "%s not applied: %s", where, err.msg);
	}
}

/* ---------------------------------------------------------------- the journal */

static void seq_id(uint64_t seq, char *buf, size_t size)
{
	snprintf(buf, size, "%0*" PRIu64, SEQ_DIGITS, seq);
}

static int store_err(int rc, const vlt_err_t *e, vlt_err_t *err, const char *what)
{
	return vlt_err_set(err, rc == VLT_ENOMEM ? rc : VLT_EBACKEND, "store %s: %s: %s", "journal",
			   what, e->msg[0] != '\0' ? e->msg : vlt_strerror(rc));
}

int vlt__svc_catch_up(vlt_service_t *s, vlt_err_t *err)
{
	const vlt_store_ops_t *ops = s->store->ops.store;

	for (;;) {
		char id[SEQ_DIGITS + 1];
		json_t *doc = NULL;
		int64_t version = 0;
		vlt_err_t e = { 0 };

		seq_id(s->applied + 1, id, sizeof(id));
		int rc = ops->get(s->store->state, s->coll, id, &doc, &version, &e);
		if (rc == VLT_ENOENT)
			return 0;
		if (rc < 0)
			return store_err(rc, &e, err, "read");
		apply_entry(s, doc, s->applied + 1, false);
		json_decref(doc);
	}
}

/* Append entry at applied+1. RET 0, VLT_ECONFLICT, or VLT_EBACKEND. */
static int append(vlt_service_t *s, const json_t *entry, vlt_err_t *err)
{
	char id[SEQ_DIGITS + 1];
	vlt_err_t e = { 0 };

	seq_id(s->applied + 1, id, sizeof(id));
	int rc = s->store->ops.store->put(s->store->state, s->coll, id, entry, 0, &e);
	if (rc == VLT_ECONFLICT)
		return rc;
	return rc < 0 ? store_err(rc, &e, err, "append") : 0;
}

int vlt__svc_read_begin(vlt_service_t *s, vlt_err_t *err)
{
	pthread_mutex_lock(&s->lock);
	int rc = vlt__svc_catch_up(s, err);
	if (rc < 0)
		pthread_mutex_unlock(&s->lock);
	return rc;
}

void vlt__svc_read_end(vlt_service_t *s)
{
	pthread_mutex_unlock(&s->lock);
}

int vlt__svc_write(vlt_service_t *s, vlt_svc_decide_fn decide, vlt_svc_undo_fn undo,
		   vlt_svc_done_fn done, void *ctx, vlt_err_t *err)
{
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	for (unsigned attempt = 0;; attempt++) {
		json_t *entry = NULL;
		bool engine_done = false;

		rc = decide(s, ctx, &entry, &engine_done, err);
		if (rc > 0) /* answered from the state: nothing to write */
			rc = done != NULL ? done(s, ctx, err) : 0;
		if (rc != 0 || entry == NULL)
			break;
		json_object_set_new(entry, "at", json_integer(vlt__svc_now_ms()));
		rc = append(s, entry, err);
		if (rc == 0) {
			apply_entry(s, entry, s->applied + 1, engine_done);
			json_decref(entry);
			if (done != NULL)
				rc = done(s, ctx, err);
			break;
		}
		json_decref(entry);
		if (engine_done && undo != NULL)
			undo(s, ctx);
		if (rc != VLT_ECONFLICT)
			break;
		if (attempt >= s->opts.max_retries) {
			rc = vlt_err_set(err, VLT_EBACKEND,
					 "the journal kept moving: %u attempts lost the race for "
					 "the next entry; retry the request",
					 attempt + 1);
			break;
		}
		rc = vlt__svc_catch_up(s, err);
		if (rc < 0)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return rc > 0 ? 0 : rc;
}

/* ---------------------------------------------------------------- open and close */

struct replay {
	vlt_service_t *s;
};

/* list() hands the entries in id order; apply the contiguous run from applied+1. */
static int replay_one(void *arg, const char *id, const json_t *doc, int64_t version)
{
	struct replay *r = arg;
	char want[SEQ_DIGITS + 1];
	(void)version;

	seq_id(r->s->applied + 1, want, sizeof(want));
	if (strcmp(id, want) != 0)
		return strcmp(id, want) < 0 ? 0 : 1;
	apply_entry(r->s, doc, r->s->applied + 1, false);
	return 0;
}

int vlt__service_open(vlt_service_t **out, vlt_engine_t *engine, vlt_module_t *store,
		      const vlt_service_opts_t *opts, vlt_err_t *err)
{
	vlt_service_t *s = calloc(1, sizeof(*s));
	vlt_err_t e = { 0 };
	int rc;

	if (s == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (store == NULL || store->ops.store == NULL) {
		free(s);
		return vlt_err_set(err, VLT_ECONFIG, "valet-api needs a store (modules.store)");
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->engine = engine;
	s->store = store;
	if (opts != NULL)
		s->opts = *opts;
	if (s->opts.max_retries == 0)
		s->opts.max_retries = DEFAULT_RETRIES;
	snprintf(s->coll, sizeof(s->coll), "%s",
		 s->opts.collection != NULL ? s->opts.collection : "journal");
	s->opts.collection = s->coll;
	s->groups = json_array();
	if (s->groups == NULL) {
		vlt__service_free(s);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	struct replay r = { s };
	rc = store->ops.store->list(store->state, s->coll, replay_one, &r, &e);
	if (rc < 0)
		rc = store_err(rc, &e, err, "replay");
	if (rc == 0)
		rc = vlt__svc_catch_up(s, err);
	if (rc < 0) {
		vlt__service_free(s);
		return rc;
	}
	vlt__log(NULL, VLT_LOG_NOTICE,
		 "journal replayed: %" PRIu64 " entries, %zu plans, %zu groups%s", s->applied,
		 s->n_plans, json_array_size(s->groups),
		 s->n_unapplied > 0 ? " (some entries could not be applied: see above)" : "");
	*out = s;
	return 0;
}

void vlt__service_free(vlt_service_t *s)
{
	if (s == NULL)
		return;
	vlt__service_sweeper_stop(s);
	vlt_svc_plan_t *p = s->first;
	while (p != NULL) {
		vlt_svc_plan_t *next = p->next;

		plan_free(p);
		p = next;
	}
	vlt__svc_map_clear(&s->by_id);
	vlt__svc_map_clear(&s->by_stack);
	vlt__svc_map_clear(&s->by_pid);
	vlt__svc_map_clear(&s->by_orch);
	json_decref(s->groups);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint64_t vlt__service_applied(vlt_service_t *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t n = s->applied;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---------------------------------------------------------------- expiry */

struct sweep_ctx {
	int64_t now_ms;
	size_t n;
};

/* One plan's expired servers, as an entry; NULL when none is due. */
static json_t *due_entry(const vlt_service_t *s, const vlt_svc_plan_t *p, int64_t now_ms)
{
	json_t *orchs = NULL;

	for (size_t i = 0; i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];

		if (!u->server || u->reserved || u->expired ||
		    u->t_ms + s->opts.hold_ttl_s * 1000 > now_ms)
			continue;
		if (orchs == NULL && (orchs = json_array()) == NULL)
			return NULL;
		json_array_append_new(orchs, json_string(u->orch));
	}
	if (orchs == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:o}", "op", "expire", "plan_id", p->id, "orchs", orchs);
}

static int decide_sweep(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			vlt_err_t *err)
{
	struct sweep_ctx *c = arg;
	(void)engine_done;
	(void)err;

	for (vlt_svc_plan_t *p = s->first; p != NULL; p = p->next) {
		json_t *e = due_entry(s, p, c->now_ms);

		if (e != NULL) {
			c->n += json_array_size(json_object_get(e, "orchs"));
			*entry = e;
			return 0;
		}
	}
	return 1;
}

int vlt__service_sweep(vlt_service_t *s, int64_t now_ms, size_t *n_expired, vlt_err_t *err)
{
	struct sweep_ctx c = { now_ms, 0 };
	int rc = 0;

	if (s->opts.hold_ttl_s > 0) {
		/* one entry per plan, each written against the latest journal */
		for (;;) {
			size_t before = c.n;

			rc = vlt__svc_write(s, decide_sweep, NULL, NULL, &c, err);
			if (rc < 0 || c.n == before)
				break;
		}
	}
	if (n_expired != NULL)
		*n_expired = c.n;
	if (c.n > 0)
		vlt__log(NULL, VLT_LOG_INFO, "holds expired: %zu unreserved servers", c.n);
	return rc;
}

static void *sweeper_main(void *arg)
{
	vlt_service_t *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += s->sweep_ms / 1000;
		ts.tv_nsec += (long)(s->sweep_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		if (s->stop)
			break;
		pthread_mutex_unlock(&s->lock);
		vlt_err_t err = { 0 };
		if (vlt__service_sweep(s, vlt__svc_now_ms(), NULL, &err) < 0)
			vlt__log(NULL, VLT_LOG_WARNING, "expiring holds: %s", err.msg);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int vlt__service_sweeper_start(vlt_service_t *s, unsigned period_ms, vlt_err_t *err)
{
	if (s->opts.hold_ttl_s <= 0 || s->sweeping)
		return 0;
	if (period_ms == 0) {
		/* a quarter of the hold, between 100 ms and 10 s */
		int64_t q = s->opts.hold_ttl_s * 250;
		period_ms = (unsigned)(q < 100 ? 100 : q > 10000 ? 10000 : q);
	}
	s->sweep_ms = period_ms;
	s->stop = false;
	if (pthread_create(&s->sweeper, NULL, sweeper_main, s) != 0)
		return vlt_err_set(err, VLT_ENOMEM, "cannot start the sweeper thread");
	s->sweeping = true;
	return 0;
}

void vlt__service_sweeper_stop(vlt_service_t *s)
{
	if (s == NULL || !s->sweeping)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->sweeper, NULL);
	s->sweeping = false;
}

/* ---------------------------------------------------------------- status, resources */

int vlt__service_status(vlt_service_t *s, json_t **status, vlt_err_t *err)
{
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	*status =
		json_pack("{s:{s:{s:{s:s, s:s}}, s:{s:s, s:s, s:I, s:I, s:I}}}", "status", "ostro",
			  "status", "type", "ok", "message", "success", "store", "type", "ok",
			  "module", s->store->name, "journal_entries", (json_int_t)s->applied,
			  "plans", (json_int_t)s->n_plans, "unapplied", (json_int_t)s->n_unapplied);
	vlt__svc_read_end(s);
	return *status != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_resources(vlt_service_t *s, json_t **resources, vlt_err_t *err)
{
	json_t *map = json_object();
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	for (vlt_svc_plan_t *p = s->first; map != NULL && p != NULL; p = p->next) {
		if (p->hold_error == NULL)
			continue;
		for (size_t i = 0; i < p->n_units; i++) {
			const vlt_svc_unit_t *u = &p->units[i];

			if (!u->server || u->expired)
				continue;
			json_object_set_new(map, u->resource_id != NULL ? u->resource_id : u->orch,
					    json_pack("{s:s, s:s, s:s}", "type", SVC_SERVER,
						      "status", "error", "message", p->hold_error));
		}
	}
	vlt__svc_read_end(s);
	*resources = map != NULL ? json_pack("{s:o}", "resources", map) : NULL;
	return *resources != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}
