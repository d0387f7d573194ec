/*
 * state.c - plans, units and groups in memory, their indexes, and the
 * documents made of them.
 */
#include <stdlib.h>
#include <string.h>

#include <valet/errors.h>

#include "request.h"
#include "state.h"

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static bool dup_failed(const char *src, const char *copy)
{
	return src != NULL && copy == NULL;
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

void vlt__units_free(vlt_svc_unit_t *units, size_t n)
{
	for (size_t i = 0; units != NULL && i < n; i++)
		unit_clear(&units[i]);
	free(units);
}

int vlt__unit_copy(vlt_svc_unit_t *dst, const vlt_svc_unit_t *src)
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

json_t *vlt__units_json(const vlt_svc_unit_t *units, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr != NULL && i < n; i++) {
		const vlt_svc_unit_t *u = &units[i];
		json_t *o =
			json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:b, s:b, s:I}", "orch",
				  u->orch, "name", u->name, "type", u->type, "location", u->loc,
				  "placement_id", u->pid, "resource_id", u->resource_id, "reserved",
				  u->reserved, "expired", u->expired, "t", (json_int_t)u->t_ms);

		if (o != NULL && u->nova_us != 0)
			json_object_set_new(o, "nova_t", json_integer((json_int_t)u->nova_us));
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

int vlt__units_from_json(const json_t *arr, vlt_svc_unit_t **units, size_t *n)
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
		u->nova_us = json_integer_value(json_object_get(o, "nova_t"));
		u->server = vlt__request_is_server_type(u->type);
		if (u->orch == NULL || u->name == NULL || u->type == NULL) {
			vlt__units_free(us, i + 1);
			return VLT_EINVAL;
		}
	}
	*units = us;
	*n = count;
	return 0;
}

vlt_svc_unit_t *vlt__state_unit_of(const vlt_svc_plan_t *p, const char *orch)
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

json_t *vlt__placement_json(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u)
{
	/* "id" may be missing for a volume placed before volumes had placement ids */
	return json_pack("{s:s?, s:s, s:s, s:s?, s:s?, s:b, s:o, s:s}", "id", u->pid, "name",
			 u->name, "orchestration_id", u->orch, "resource_id", u->resource_id,
			 "location", u->loc, "reserved", u->reserved, "metadata",
			 unit_metadata(p, u), "plan_id", p->id);
}

json_t *vlt__plan_json(const vlt_svc_plan_t *p)
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

json_t *vlt__plan_expired_set(const vlt_svc_plan_t *p)
{
	json_t *set = json_object();

	for (size_t i = 0; set != NULL && i < p->n_units; i++) {
		if (p->units[i].expired)
			json_object_set_new(set, p->units[i].orch, json_true());
	}
	return set;
}


/* ---------------------------------------------------------------- plans */

int vlt__state_init(vlt_svc_state_t *st)
{
	memset(st, 0, sizeof(*st));
	st->groups = json_array();
	st->retired = json_object();
	return st->groups != NULL && st->retired != NULL ? 0 : VLT_ENOMEM;
}

void vlt__state_plan_free(vlt_svc_plan_t *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->stack_id);
	free(p->name);
	free(p->tenant);
	json_decref(p->request);
	vlt__units_free(p->units, p->n_units);
	free(p->hold_error);
	free(p);
}

void vlt__state_free(vlt_svc_state_t *st)
{
	vlt_svc_plan_t *p = st->first;

	while (p != NULL) {
		vlt_svc_plan_t *next = p->next;

		vlt__state_plan_free(p);
		p = next;
	}
	vlt__strmap_clear(&st->by_id);
	vlt__strmap_clear(&st->by_stack);
	vlt__strmap_clear(&st->by_pid);
	vlt__strmap_clear(&st->by_orch);
	json_decref(st->groups);
	json_decref(st->retired);
	memset(st, 0, sizeof(*st));
}

static void index_units(vlt_svc_state_t *st, vlt_svc_plan_t *p, bool add)
{
	for (size_t i = 0; i < p->n_units; i++) {
		vlt_svc_unit_t *u = &p->units[i];

		if (add) {
			vlt__strmap_put(&st->by_orch, u->orch, p);
			if (u->pid != NULL)
				vlt__strmap_put(&st->by_pid, u->pid, p);
		} else {
			if (vlt__strmap_get(&st->by_orch, u->orch) == p)
				vlt__strmap_del(&st->by_orch, u->orch);
			if (u->pid != NULL)
				vlt__strmap_del(&st->by_pid, u->pid);
		}
	}
}

int vlt__state_add_plan(vlt_svc_state_t *st, vlt_svc_plan_t *p)
{
	if (vlt__strmap_get(&st->by_id, p->id) != NULL) {
		vlt__state_plan_free(p);
		return VLT_EEXIST;
	}
	if (vlt__strmap_put(&st->by_id, p->id, p) < 0 ||
	    vlt__strmap_put(&st->by_stack, p->stack_id, p) < 0) {
		vlt__strmap_del(&st->by_id, p->id);
		vlt__state_plan_free(p);
		return VLT_ENOMEM;
	}
	index_units(st, p, true);
	p->prev = st->last;
	p->next = NULL;
	if (st->last != NULL)
		st->last->next = p;
	else
		st->first = p;
	st->last = p;
	st->n_plans++;
	return 0;
}

void vlt__state_remove_plan(vlt_svc_state_t *st, vlt_svc_plan_t *p)
{
	index_units(st, p, false);
	vlt__strmap_del(&st->by_id, p->id);
	if (vlt__strmap_get(&st->by_stack, p->stack_id) == p)
		vlt__strmap_del(&st->by_stack, p->stack_id);
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		st->first = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		st->last = p->prev;
	st->n_plans--;
	vlt__state_plan_free(p);
}

void vlt__state_set_units(vlt_svc_state_t *st, vlt_svc_plan_t *p, vlt_svc_unit_t *units, size_t n)
{
	index_units(st, p, false);
	vlt__units_free(p->units, p->n_units);
	p->units = units;
	p->n_units = n;
	index_units(st, p, true);
}

vlt_svc_plan_t *vlt__state_plan_by_id(const vlt_svc_state_t *st, const char *id)
{
	return vlt__strmap_get(&st->by_id, id);
}

vlt_svc_plan_t *vlt__state_plan(const vlt_svc_state_t *st, const char *id)
{
	vlt_svc_plan_t *p = vlt__strmap_get(&st->by_id, id);

	return p != NULL ? p : vlt__strmap_get(&st->by_stack, id);
}

vlt_svc_plan_t *vlt__state_plan_of_orch(const vlt_svc_state_t *st, const char *orch)
{
	return vlt__strmap_get(&st->by_orch, orch);
}

vlt_svc_unit_t *vlt__state_unit(const vlt_svc_state_t *st, const char *id, vlt_svc_plan_t **plan)
{
	vlt_svc_plan_t *p = vlt__strmap_get(&st->by_pid, id);
	vlt_svc_unit_t *u = NULL;

	if (p != NULL) {
		for (size_t i = 0; i < p->n_units && u == NULL; i++) {
			if (p->units[i].pid != NULL && strcmp(p->units[i].pid, id) == 0)
				u = &p->units[i];
		}
	} else if ((p = vlt__strmap_get(&st->by_orch, id)) != NULL) {
		u = vlt__state_unit_of(p, id);
	}
	if (plan != NULL)
		*plan = u != NULL ? p : NULL;
	return u;
}

vlt_svc_unit_t *vlt__state_server(const vlt_svc_state_t *st, const char *id,
				  vlt_svc_plan_t **plan)
{
	vlt_svc_unit_t *u = vlt__state_unit(st, id, plan);

	if (u != NULL && !u->server) {
		u = NULL;
		if (plan != NULL)
			*plan = NULL;
	}
	return u;
}

json_t *vlt__state_group(const vlt_svc_state_t *st, const char *ref, size_t *index)
{
	size_t i;
	json_t *g;

	for (int pass = 0; pass < 2; pass++) {
		json_array_foreach(st->groups, i, g) {
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
