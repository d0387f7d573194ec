/*
 * stack.c - the stack model (valet/model.h) from a plan request (placement
 * contract section 2; docs/plan-request.md).
 *
 * The request is read in passes over its resources, sorted by orchestration
 * id so that the same request always yields the same unit and group indices
 * (JSON objects carry no order a client can rely on):
 *   1. index every resource (type, name, path for messages);
 *   2. servers and volumes become units;
 *   3. group assignments become groups (named ones merged by name);
 *   4. their `resources` lists give member units and nested groups;
 *   5. servers' metadata.valet.groups add named groups from the registry;
 *   6. pipes and volume attachments become links;
 *   7. checks every group type shares; then everything is frozen into the
 *      stack's arena, with each unit's memberships and links.
 * Everything the stack points to lives in one arena owned by the stack.
 */
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "dc.h"
#include "rclass.h"
#include "request.h"
#include "stack.h"
#include "timeline.h"

/* The stack handed out is the first member, so vlt__stack_free finds the arena. */
struct stack_impl {
	vlt_stack_t pub;
	vlt_arena_t arena;
	vlt_interval_t interval; /* the request's start and end */
};

const vlt_interval_t *vlt__stack_interval(const vlt_stack_t *stack)
{
	return &((const struct stack_impl *)stack)->interval;
}

void vlt__stack_free(vlt_stack_t *stack)
{
	struct stack_impl *st = (struct stack_impl *)stack;

	if (st == NULL)
		return;
	vlt__arena_free(&st->arena);
	free(st);
}

/* ---------------------------------------------------------------- index vectors */

struct u32vec {
	uint32_t *v;
	uint32_t n;
	uint32_t cap;
};

static int u32vec_push(struct u32vec *vec, uint32_t x)
{
	if (vec->n == vec->cap) {
		uint32_t cap = vec->cap ? vec->cap * 2 : 4;
		uint32_t *v = realloc(vec->v, cap * sizeof(*v));
		if (v == NULL)
			return VLT_ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = x;
	return 0;
}

static bool u32vec_has(const struct u32vec *vec, uint32_t x)
{
	for (uint32_t i = 0; i < vec->n; i++)
		if (vec->v[i] == x)
			return true;
	return false;
}

static int u32vec_add(struct u32vec *vec, uint32_t x)
{
	return u32vec_has(vec, x) ? 0 : u32vec_push(vec, x);
}

/* ---------------------------------------------------------------- parser state */

/* The parser's names for the kinds of request.h, whose table maps the types. */
enum rkind {
	R_OTHER = VLT_RK_OTHER,
	R_SERVER = VLT_RK_SERVER,
	R_VOLUME = VLT_RK_VOLUME,
	R_ATTACH = VLT_RK_ATTACH,
	R_PIPE = VLT_RK_PIPE,
	R_GROUP_ATT = VLT_RK_GROUP_ATT,
	R_GROUP_CQOS = VLT_RK_GROUP_CQOS,
	R_GROUP_OSV = VLT_RK_GROUP_OSV,
	R_VALET_GROUP = VLT_RK_VALET_GROUP,
};

static bool is_assignment(enum rkind k)
{
	return vlt__request_kind_is_assignment((vlt_rkind_t)k);
}

struct res {
	const char *id;      /* orchestration id (borrowed from the request) */
	const char *name;    /* borrowed; NULL when not given */
	const char *type;    /* borrowed */
	const json_t *props; /* NULL when absent */
	const char *path;    /* arena: "$.resources.<id>" */
	enum rkind kind;
	uint32_t idx; /* unit or group index; VLT_NONE */
};

struct gbuild {
	vlt_group_t g;    /* scalar members and strings (arena) */
	const char *disp; /* arena: how messages name the group */
	const char *path; /* arena: where the request defines or first names it */
	struct u32vec children;
	struct u32vec units;
};

struct parser {
	const vlt_dc_t *dc;
	const vlt_group_registry_t *reg;
	const vlt_group_registry_t *retired; /* held plans only; may be NULL */
	vlt_group_registry_t req_groups; /* the engine form's "groups" map */
	vlt_policy_lookup_fn policy;
	void *policy_arg;
	const char *where;
	vlt_err_t *err;
	struct stack_impl *st;
	vlt_arena_t *arena;

	const json_t *top;     /* the request object */
	const char *root;      /* "$" or "$[0]" */
	const char *stack_id;  /* arena */

	struct res *res; /* sorted by id */
	size_t n_res;
	struct res **by_name; /* resources with a name, sorted by name */
	size_t n_by_name;

	vlt_unit_t *units;
	uint32_t n_units;
	struct gbuild *groups;
	uint32_t n_groups;
	uint32_t cap_groups;
	vlt_link_t *links;
	uint32_t n_links;
	uint32_t cap_links;
};

/* Every message starts with the input's name. */
__attribute__((format(printf, 3, 4))) static int perr(struct parser *p, int code,
						      const char *fmt, ...)
{
	char buf[VLT_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return vlt_err_set(p->err, code, "%s: %s", p->where, buf);
}

static int oom(struct parser *p)
{
	return perr(p, VLT_ENOMEM, "out of memory");
}

static char *adup(struct parser *p, const char *s)
{
	return vlt__arena_strdup(p->arena, s);
}

/* A key in a JSON path: ".key" when plain, ["key"] otherwise. */
static void path_key(char *buf, size_t n, const char *base, const char *key)
{
	bool plain = *key != '\0';

	for (const char *c = key; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
			plain = false;
	if (plain)
		snprintf(buf, n, "%s.%s", base, key);
	else
		snprintf(buf, n, "%s[\"%s\"]", base, key);
}

/* ---------------------------------------------------------------- typed getters */

/* obj.key as a string; path is obj's path. Absent and optional: *out = NULL. */
static int get_str(struct parser *p, const json_t *obj, const char *key, const char *path,
		   bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		return perr(p, VLT_EINVAL, "%s.%s: missing (expected a string)", path, key);
	}
	if (!json_is_string(v))
		return perr(p, VLT_EINVAL, "%s.%s: expected a string", path, key);
	*out = json_string_value(v);
	return 0;
}

/* A number, also as Heat may pass it: a string holding one. */
static bool number_of(const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	if (json_is_string(v)) {
		/* Heat may hand a number over as a string: plain decimal only, not "0x10" or "1e3" */
		const char *s = json_string_value(v);
		size_t digits = strspn(s + (*s == '-'), "0123456789");
		const char *rest = s + (*s == '-') + digits;
		if (digits == 0 || (*rest == '.' && rest[1] == '\0'))
			return false;
		if (*rest == '.')
			rest += 1 + strspn(rest + 1, "0123456789");
		*out = strtod(s, NULL);
		return *rest == '\0';
	}
	return false;
}

/* ---------------------------------------------------------------- references */

static int cmp_res_id(const void *a, const void *b)
{
	return strcmp(((const struct res *)a)->id, ((const struct res *)b)->id);
}

static int cmp_res_name(const void *a, const void *b)
{
	const struct res *x = *(struct res *const *)a;
	const struct res *y = *(struct res *const *)b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->id, y->id);
}

static struct res *find_by_id(struct parser *p, const char *id)
{
	struct res key = { .id = id };

	if (p->n_res == 0)
		return NULL;
	return bsearch(&key, p->res, p->n_res, sizeof(*p->res), cmp_res_id);
}

/* The leftmost resource with this name; *dup tells whether another shares it. */
static struct res *find_by_name(struct parser *p, const char *name, struct res **dup)
{
	size_t lo = 0, hi = p->n_by_name;

	*dup = NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(p->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == p->n_by_name || strcmp(p->by_name[lo]->name, name) != 0)
		return NULL;
	if (lo + 1 < p->n_by_name && strcmp(p->by_name[lo + 1]->name, name) == 0)
		*dup = p->by_name[lo + 1];
	return p->by_name[lo];
}

/* The text of a reference: "x" or {"get_resource": "x"}; NULL when neither. */
static const char *ref_text(const json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_object(v) && json_object_size(v) == 1) {
		json_t *r = json_object_get(v, "get_resource");
		if (json_is_string(r))
			return json_string_value(r);
	}
	return NULL;
}

/* A resource by orchestration id, else by name (*dup: another of that name). */
static struct res *lookup_res(struct parser *p, const char *text, struct res **dup)
{
	struct res *r = find_by_id(p, text);

	*dup = NULL;
	if (r != NULL)
		return r;
	return find_by_name(p, text, dup);
}

/*
 * resolve_ref - the resource a reference (at path) names.
 * RET 0 with *out, or VLT_EINVAL naming the reference.
 */
static int resolve_ref(struct parser *p, const json_t *v, const char *path, struct res **out)
{
	const char *text = ref_text(v);
	struct res *dup;

	*out = NULL;
	if (text == NULL)
		return perr(p, VLT_EINVAL,
			    "%s: expected a resource reference (an orchestration id, a name or "
			    "{\"get_resource\": name})",
			    path);
	*out = lookup_res(p, text, &dup);
	if (*out == NULL)
		return perr(p, VLT_EINVAL, "%s: no resource '%s' in the request", path, text);
	if (dup != NULL)
		return perr(p, VLT_EINVAL,
			    "%s: reference '%s' is ambiguous: it names both %s and %s", path,
			    text, (*out)->path, dup->path);
	return 0;
}

/* ---------------------------------------------------------------- top level */

static int check_action(struct parser *p, const json_t *obj, bool required)
{
	const char *action;
	int rc;

	if ((rc = get_str(p, obj, "action", p->root, required, &action)) != 0)
		return rc;
	if (action != NULL && strcmp(action, "create") != 0)
		return perr(p, VLT_EINVAL,
			    "%s.action: '%s' requests are not placement plans; only \"create\" "
			    "is accepted",
			    p->root, action);
	return 0;
}

/*
 * The engine form's "groups" map {id: {name, type, level, members?}}: named
 * groups the request brings along, looked up after the registry.
 */
static int parse_request_groups(struct parser *p)
{
	json_t *map = json_object_get(p->top, "groups");
	const char *id;
	json_t *g;
	char where[256];
	int rc;

	if (map == NULL)
		return 0;
	if (!json_is_object(map))
		return perr(p, VLT_EINVAL, "%s.groups: expected an object {id: group}", p->root);
	json_t *doc = json_pack("{s:[]}", "groups");
	if (doc == NULL)
		return oom(p);
	json_t *arr = json_object_get(doc, "groups");
	json_object_foreach(map, id, g) {
		json_t *c = json_is_object(g) ? json_copy(g) : json_incref(g);
		if (c == NULL || json_array_append_new(arr, c) != 0) {
			json_decref(doc);
			return oom(p);
		}
		if (json_is_object(c) && json_object_get(c, "id") == NULL)
			json_object_set_new(c, "id", json_string(id));
	}
	snprintf(where, sizeof(where), "%s (%s.groups as a list)", p->where, p->root);
	rc = vlt__groups_from_json(&p->req_groups, doc, where, p->err);
	json_decref(doc);
	return rc;
}

static int parse_top(struct parser *p, const json_t *req, vlt_stack_t *s)
{
	const char *stack_id, *plan_name, *app_name, *tenant;
	int rc;

	if (json_is_array(req)) {
		if (json_array_size(req) != 1 || !json_is_object(json_array_get(req, 0)))
			return perr(p, VLT_EINVAL,
				    "$: expected a list holding exactly one request object (it "
				    "holds %zu items)",
				    json_array_size(req));
		p->top = json_array_get(req, 0);
		p->root = "$[0]";
		rc = check_action(p, p->top, true);
	} else if (json_is_object(req)) {
		p->top = req;
		p->root = "$";
		rc = check_action(p, p->top, false);
	} else {
		return perr(p, VLT_EINVAL, "$: expected a plan request object");
	}
	if (rc != 0)
		return rc;

	if ((rc = get_str(p, p->top, "stack_id", p->root, true, &stack_id)) != 0 ||
	    (rc = get_str(p, p->top, "plan_name", p->root, false, &plan_name)) != 0 ||
	    (rc = get_str(p, p->top, "application_name", p->root, false, &app_name)) != 0 ||
	    (rc = get_str(p, p->top, "tenant_id", p->root, false, &tenant)) != 0)
		return rc;
	if (*stack_id == '\0')
		return perr(p, VLT_EINVAL, "%s.stack_id: empty", p->root);
	json_t *resources = json_object_get(p->top, "resources");
	if (resources == NULL)
		return perr(p, VLT_EINVAL, "%s.resources: missing (expected an object)", p->root);
	if (!json_is_object(resources))
		return perr(p, VLT_EINVAL, "%s.resources: expected an object", p->root);

	if ((rc = vlt__interval_parse(req, p->where, &p->st->interval, p->err)) != 0)
		return rc;
	if (plan_name == NULL)
		plan_name = app_name != NULL ? app_name : stack_id;
	p->stack_id = adup(p, stack_id);
	s->stack_id = p->stack_id;
	s->plan_name = adup(p, plan_name);
	s->tenant_id = adup(p, tenant);
	if (s->stack_id == NULL || s->plan_name == NULL || (tenant != NULL && !s->tenant_id))
		return oom(p);
	return parse_request_groups(p);
}

/* ---------------------------------------------------------------- pass 1: index */

static int index_one(struct parser *p, struct res *r, const json_t *body, const char *base)
{
	char path[512];
	int rc;

	path_key(path, sizeof(path), base, r->id);
	if ((r->path = adup(p, path)) == NULL)
		return oom(p);
	r->idx = VLT_NONE;
	if (!json_is_object(body))
		return perr(p, VLT_EINVAL, "%s: expected an object", r->path);
	if ((rc = get_str(p, body, "type", r->path, true, &r->type)) != 0 ||
	    (rc = get_str(p, body, "name", r->path, false, &r->name)) != 0)
		return rc;
	r->kind = (enum rkind)vlt__request_kind(r->type);
	r->props = json_object_get(body, "properties");
	if (r->kind != R_OTHER && r->props != NULL && !json_is_object(r->props))
		return perr(p, VLT_EINVAL, "%s.properties: expected an object", r->path);
	return 0;
}

static int index_resources(struct parser *p)
{
	json_t *resources = json_object_get(p->top, "resources");
	char base[32];
	const char *key;
	json_t *body;
	size_t i = 0;
	int rc;

	snprintf(base, sizeof(base), "%s.resources", p->root);
	p->n_res = json_object_size(resources);
	if (p->n_res == 0)
		return 0;
	p->res = calloc(p->n_res, sizeof(*p->res));
	p->by_name = calloc(p->n_res, sizeof(*p->by_name));
	if (p->res == NULL || p->by_name == NULL)
		return oom(p);
	json_object_foreach(resources, key, body) {
		p->res[i++].id = key;
	}
	qsort(p->res, p->n_res, sizeof(*p->res), cmp_res_id);
	for (i = 0; i < p->n_res; i++) {
		struct res *r = &p->res[i];
		if ((rc = index_one(p, r, json_object_get(resources, r->id), base)) != 0)
			return rc;
		if (r->name != NULL)
			p->by_name[p->n_by_name++] = r;
	}
	qsort(p->by_name, p->n_by_name, sizeof(*p->by_name), cmp_res_name);
	return 0;
}

/* ---------------------------------------------------------------- pass 2: units */

/* "az" or "az:host": only the zone counts. *out NULL: any zone. */
static int parse_az(struct parser *p, const struct res *r, const char *what, const char **out)
{
	const char *az;
	char path[600];
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s.properties", r->path);
	if ((rc = get_str(p, r->props, "availability_zone", path, false, &az)) != 0)
		return rc;
	if (az == NULL)
		return 0;
	size_t len = strcspn(az, ":");
	if (len == 0)
		return 0;
	char *zone = vlt__arena_alloc(p->arena, len + 1);
	if (zone == NULL)
		return oom(p);
	memcpy(zone, az, len);
	zone[len] = '\0';
	*out = zone;
	/* An inventory that lists zones can tell at once that this one is unknown. */
	if (p->dc == NULL || p->dc->n_azs == 0)
		return 0;
	for (uint32_t i = 0; i < p->dc->n_azs; i++)
		if (strcmp(p->dc->azs[i], zone) == 0)
			return 0;
	return perr(p, VLT_ENOENT, "%s %s (%s): availability zone '%s' is not in the inventory",
		    what, r->name != NULL ? r->name : r->id, r->path, zone);
}

static int unit_common(struct parser *p, const struct res *r, vlt_unit_t *u)
{
	u->orch_id = adup(p, r->id);
	u->name = adup(p, r->name != NULL ? r->name : r->id);
	u->type = adup(p, r->type);
	if (u->orch_id == NULL || u->name == NULL || u->type == NULL)
		return oom(p);
	return 0;
}

static int copy_extra_specs(struct parser *p, const vlt_flavor_t *f, vlt_unit_t *u)
{
	if (f->n_extra_specs == 0)
		return 0;
	vlt_kv_t *kv = vlt__arena_alloc(p->arena, f->n_extra_specs * sizeof(*kv));
	if (kv == NULL)
		return oom(p);
	for (uint32_t i = 0; i < f->n_extra_specs; i++) {
		kv[i].key = adup(p, f->extra_specs[i].key);
		kv[i].value = adup(p, f->extra_specs[i].value);
		if (kv[i].key == NULL || (f->extra_specs[i].value != NULL && !kv[i].value))
			return oom(p);
	}
	u->extra_specs = kv;
	u->n_extra_specs = f->n_extra_specs;
	return 0;
}

/* A whole number of resource `key` of an inline flavor at path, 0 to 2^53. */
static int inline_amount(struct parser *p, const json_t *fl, const char *key, const char *path,
			 int64_t *out)
{
	const json_t *v = json_object_get(fl, key);
	double x;

	if (v == NULL)
		return perr(p, VLT_EINVAL, "%s.%s: missing (expected a whole number)", path, key);
	if (!number_of(v, &x) || !(x >= 0 && x <= 9007199254740992.0) || x != (double)(int64_t)x)
		return perr(p, VLT_EINVAL, "%s.%s: expected a whole number, at least 0", path, key);
	*out = (int64_t)x;
	return 0;
}

/* The extra specs of an inline flavor: an object of strings. */
static int inline_extra_specs(struct parser *p, const json_t *fl, const char *path, vlt_unit_t *u)
{
	const json_t *specs = json_object_get(fl, "extra_specs");
	const char *k;
	json_t *v;
	uint32_t n = 0;

	if (specs == NULL || json_is_null(specs))
		return 0;
	if (!json_is_object(specs))
		return perr(p, VLT_EINVAL, "%s.extra_specs: expected an object of strings", path);
	vlt_kv_t *kv = vlt__arena_alloc(p->arena, (json_object_size(specs) + 1) * sizeof(*kv));
	if (kv == NULL)
		return oom(p);
	json_object_foreach((json_t *)specs, k, v) {
		if (!json_is_string(v))
			return perr(p, VLT_EINVAL, "%s.extra_specs.%s: expected a string", path, k);
		kv[n].key = adup(p, k);
		kv[n].value = adup(p, json_string_value(v));
		if (kv[n].key == NULL || kv[n].value == NULL)
			return oom(p);
		n++;
	}
	u->extra_specs = kv;
	u->n_extra_specs = n;
	return 0;
}

/*
 * A flavor given in place ({"name"?, "vcpus", "ram_mb", "disk_gb",
 * "extra_specs"?}), as an ad-hoc plan of the external-scheduler call
 * has it from Nova's request: the demand is what it says, whether or
 * not the inventory knows a flavor of that name.
 */
static int parse_inline_flavor(struct parser *p, const json_t *fl, const char *props_path,
			       vlt_unit_t *u)
{
	char path[640];
	const char *name;
	int rc;

	snprintf(path, sizeof(path), "%s.flavor", props_path);
	if ((rc = get_str(p, fl, "name", path, false, &name)) != 0 ||
	    (rc = inline_amount(p, fl, "vcpus", path, &u->demand[VLT_RES_VCPUS])) != 0 ||
	    (rc = inline_amount(p, fl, "ram_mb", path, &u->demand[VLT_RES_RAM_MB])) != 0 ||
	    (rc = inline_amount(p, fl, "disk_gb", path, &u->demand[VLT_RES_DISK_GB])) != 0)
		return rc;
	if ((u->flavor = adup(p, name != NULL ? name : "(inline)")) == NULL)
		return oom(p);
	if ((rc = inline_extra_specs(p, fl, path, u)) != 0)
		return rc;
	/* resources:VCPU=N and the like replace the flavor's own figures, as in Nova */
	vlt__rclass_read_specs(u->extra_specs, u->n_extra_specs, u->demand, NULL);
	return 0;
}

static int parse_server(struct parser *p, const struct res *r, vlt_unit_t *u)
{
	const char *flavor;
	char path[600];
	int rc;

	u->kind = VLT_UNIT_SERVER;
	if ((rc = unit_common(p, r, u)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s.properties", r->path);
	if (json_is_object(json_object_get(r->props, "flavor"))) {
		rc = parse_inline_flavor(p, json_object_get(r->props, "flavor"), path, u);
		return rc != 0 ? rc : parse_az(p, r, "server", &u->az);
	}
	if ((rc = get_str(p, r->props, "flavor", path, true, &flavor)) != 0)
		return rc;
	const vlt_flavor_t *f = p->dc != NULL ? vlt__dc_find_flavor(p->dc, flavor) : NULL;
	if (f == NULL)
		return perr(p, VLT_ENOENT, "server %s (%s): flavor '%s' is not in the inventory",
			    u->name, r->path, flavor);
	if ((u->flavor = adup(p, f->name)) == NULL)
		return oom(p);
	u->demand[VLT_RES_VCPUS] = f->vcpus;
	u->demand[VLT_RES_RAM_MB] = f->ram_mb;
	u->demand[VLT_RES_DISK_GB] = f->disk_gb;
	if ((rc = copy_extra_specs(p, f, u)) != 0)
		return rc;
	vlt__rclass_read_specs(u->extra_specs, u->n_extra_specs, u->demand, NULL);
	return parse_az(p, r, "server", &u->az);
}

static int parse_volume(struct parser *p, const struct res *r, vlt_unit_t *u)
{
	const char *vtype;
	char path[600];
	double size;
	int rc;

	u->kind = VLT_UNIT_VOLUME;
	if ((rc = unit_common(p, r, u)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s.properties", r->path);
	json_t *v = json_object_get(r->props, "size");
	if (v == NULL)
		return perr(p, VLT_EINVAL, "%s.size: missing (expected a size in GB)", path);
	if (!number_of(v, &size) || !(size >= 1 && size <= 1e15) ||
	    size != (double)(int64_t)size)
		return perr(p, VLT_EINVAL, "%s.size: expected a whole number of GB, at least 1",
			    path);
	u->demand[VLT_RES_DISK_GB] = (int64_t)size;
	if ((rc = get_str(p, r->props, "volume_type", path, false, &vtype)) != 0)
		return rc;
	if (vtype != NULL && (u->volume_type = adup(p, vtype)) == NULL)
		return oom(p);
	return parse_az(p, r, "volume", &u->az);
}

static int make_units(struct parser *p)
{
	uint32_t n = 0;
	int rc;

	for (size_t i = 0; i < p->n_res; i++)
		if (p->res[i].kind == R_SERVER || p->res[i].kind == R_VOLUME)
			n++;
	if (n == 0)
		return 0;
	p->units = vlt__arena_alloc(p->arena, n * sizeof(*p->units));
	if (p->units == NULL)
		return oom(p);
	for (size_t i = 0; i < p->n_res; i++) {
		struct res *r = &p->res[i];
		if (r->kind != R_SERVER && r->kind != R_VOLUME)
			continue;
		vlt_unit_t *u = &p->units[p->n_units];
		u->id = p->n_units;
		rc = r->kind == R_SERVER ? parse_server(p, r, u) : parse_volume(p, r, u);
		if (rc != 0)
			return rc;
		r->idx = p->n_units++;
	}
	return 0;
}

/* ---------------------------------------------------------------- groups */

/* A named group from the registry, or from the request's own "groups" map. */
static const vlt_named_group_t *find_named(struct parser *p, const char *ref)
{
	const vlt_named_group_t *ng = vlt__groups_find(p->reg, ref);

	if (ng == NULL)
		ng = vlt__groups_find(&p->req_groups, ref);
	if (ng == NULL && p->retired != NULL)
		ng = vlt__groups_find(p->retired, ref);
	return ng;
}

static uint32_t find_group_key(struct parser *p, const char *key)
{
	for (uint32_t i = 0; i < p->n_groups; i++)
		if (strcmp(p->groups[i].g.key, key) == 0)
			return i;
	return VLT_NONE;
}

/* What a new group is made of; strings are borrowed and copied. */
struct gspec {
	const char *type;
	vlt_level_t level;
	const char *name; /* NULL: anonymous */
	const char *key;
	const char *ref;
	const char *disp;
	const char *path;
	const vlt_named_group_t *reg; /* tenants from here; may be NULL */
};

static int group_new(struct parser *p, const struct gspec *s, uint32_t *gi)
{
	if (p->n_groups == p->cap_groups) {
		uint32_t cap = p->cap_groups ? p->cap_groups * 2 : 8;
		struct gbuild *g = realloc(p->groups, cap * sizeof(*g));
		if (g == NULL)
			return oom(p);
		p->groups = g;
		p->cap_groups = cap;
	}
	uint32_t policy = p->policy != NULL ? p->policy(p->policy_arg, s->type) : VLT_NONE;
	if (policy == VLT_NONE)
		return perr(p, VLT_EINVAL, "group %s (%s): type '%s' is handled by no loaded policy",
			    s->disp, s->path, s->type);

	struct gbuild *b = &p->groups[p->n_groups];
	memset(b, 0, sizeof(*b));
	b->g.id = p->n_groups;
	b->g.type = adup(p, s->type);
	b->g.policy = policy;
	b->g.level = s->level;
	b->g.name = adup(p, s->name);
	b->g.key = adup(p, s->key);
	b->g.parent = VLT_NONE;
	b->g.ref = adup(p, s->ref);
	b->disp = adup(p, s->disp);
	b->path = adup(p, s->path);
	if (!b->g.type || (s->name && !b->g.name) || !b->g.key || !b->g.ref || !b->disp ||
	    !b->path)
		return oom(p);
	if (s->reg != NULL && s->reg->n_members > 0) {
		const char **t = vlt__arena_alloc(p->arena, s->reg->n_members * sizeof(*t));
		if (t == NULL)
			return oom(p);
		for (size_t i = 0; i < s->reg->n_members; i++)
			if ((t[i] = adup(p, s->reg->members[i])) == NULL)
				return oom(p);
		b->g.tenants = t;
		b->g.n_tenants = (uint32_t)s->reg->n_members;
	}
	*gi = p->n_groups++;
	return 0;
}

/*
 * The stack group for a named group: one per name, however many resources
 * and servers name it. Type and level must agree wherever it is named.
 */
static int group_named(struct parser *p, const struct gspec *s, uint32_t *gi)
{
	uint32_t i = find_group_key(p, s->key);

	if (i == VLT_NONE)
		return group_new(p, s, gi);
	const struct gbuild *b = &p->groups[i];
	if (strcmp(b->g.type, s->type) != 0 || b->g.level != s->level)
		return perr(p, VLT_EINVAL,
			    "group '%s' is %s at %s level in %s but %s at %s level in %s",
			    s->name, b->g.type, vlt__level_name(b->g.level), b->path, s->type,
			    vlt__level_name(s->level), s->path);
	*gi = i;
	return 0;
}

/* A name given in the request for a group the registry may also hold. */
static int check_against_registry(struct parser *p, struct gspec *s)
{
	const vlt_named_group_t *ng;

	if (!vlt__group_name_valid(s->name))
		return perr(p, VLT_EINVAL,
			    "group %s (%s): '%s' is not a valid group name "
			    "(letters, digits and - . _ ~ only)",
			    s->disp, s->path, s->name);
	ng = find_named(p, s->name);
	if (ng == NULL)
		return 0;
	if (strcmp(ng->type, s->type) != 0 || ng->level != s->level)
		return perr(p, VLT_EINVAL,
			    "group '%s' (%s): the request makes it %s at %s level but the group "
			    "registry holds it as %s at %s level",
			    s->name, s->path, s->type, vlt__level_name(s->level), ng->type,
			    vlt__level_name(ng->level));
	s->name = ng->name;
	s->key = ng->name;
	s->reg = ng;
	return 0;
}

/* ATT::Valet::GroupAssignment and ATT::CloudQoS::ResourceGroup. */
static int spec_att(struct parser *p, const struct res *r, struct gspec *s)
{
	/* AT&T's 2017 requests (upstream's API collection) still say relationship */
	bool old_name = r->kind == R_GROUP_CQOS ||
			(json_object_get(r->props, "group_type") == NULL &&
			 json_object_get(r->props, "relationship") != NULL);
	const char *type_key = old_name ? "relationship" : "group_type";
	const char *level, *gname;
	char path[600];
	int rc;

	snprintf(path, sizeof(path), "%s.properties", r->path);
	if (r->kind == R_GROUP_ATT && json_object_get(r->props, "group_type") != NULL &&
	    json_object_get(r->props, "relationship") != NULL)
		return perr(p, VLT_EINVAL,
			    "group %s (%s): give group_type or its older name relationship, not both",
			    s->disp, path);
	if ((rc = get_str(p, r->props, type_key, path, true, &s->type)) != 0 ||
	    (rc = get_str(p, r->props, "group_name", path, false, &gname)) != 0 ||
	    (rc = get_str(p, r->props, "level", path, false, &level)) != 0)
		return rc;
	if (level == NULL)
		return perr(p, VLT_EINVAL, "group %s (%s): level is missing (host, rack or cluster)",
			    s->disp, r->path);
	int lvl = vlt__level_parse(level);
	if (lvl < 0)
		return perr(p, VLT_EINVAL,
			    "group %s (%s.level): unknown level '%s' (host, rack or cluster)",
			    s->disp, path, level);
	s->level = (vlt_level_t)lvl;
	/* CloudQoS requests name exclusivity groups by the resource's own name. */
	if (gname == NULL && r->kind == R_GROUP_CQOS && strcmp(s->type, "exclusivity") == 0)
		gname = r->name;
	/* Whether a type may be anonymous is its policy's rule (validate). */
	if (gname == NULL)
		return 0;
	s->name = gname;
	s->disp = gname;
	return check_against_registry(p, s);
}

/*
 * An OS::Valet::Group of the request: its own name, type and level (host
 * when not given, as the resource's default) define it, since the registry
 * may not hold it yet (Heat makes it only when it creates the stack's
 * resources, after the plan: a lifecycle plugin plans before any resource
 * exists). A group the registry does hold must agree with it.
 */
static int spec_from_group_resource(struct parser *p, const struct res *target,
				    const char *gname, const char *tpath, struct gspec *s)
{
	const char *level;
	int rc;

	if ((rc = get_str(p, target->props, "type", tpath, true, &s->type)) != 0 ||
	    (rc = get_str(p, target->props, "level", tpath, false, &level)) != 0)
		return rc;
	int lvl = level != NULL ? vlt__level_parse(level) : (int)VLT_LEVEL_HOST;
	if (lvl < 0)
		return perr(p, VLT_EINVAL,
			    "group %s (%s.level): unknown level '%s' (host, rack or cluster)",
			    gname, tpath, level);
	s->level = (vlt_level_t)lvl;
	s->name = gname;
	s->disp = gname;
	return check_against_registry(p, s);
}

/* OS::Valet::GroupAssignment: `group` names a group of the registry, or an
 * OS::Valet::Group of the request. */
static int spec_osv(struct parser *p, const struct res *r, struct gspec *s)
{
	char path[600];
	const char *text;
	struct res *target, *dup;
	int rc;

	snprintf(path, sizeof(path), "%s.properties.group", r->path);
	json_t *v = json_object_get(r->props, "group");
	if (v == NULL)
		return perr(p, VLT_EINVAL, "%s: missing (a group name or id)", path);
	text = ref_text(v);
	if (text == NULL)
		return perr(p, VLT_EINVAL,
			    "%s: expected a group name or id, or {\"get_resource\": name}", path);
	/*
	 * get_resource of an OS::Valet::Group in the stack: the group it names;
	 * also when a template's expansion has already made the reference the
	 * group resource's orchestration id.
	 */
	target = lookup_res(p, text, &dup);
	if (target != NULL && (json_is_object(v) || target->kind == R_VALET_GROUP)) {
		if (dup != NULL)
			return perr(p, VLT_EINVAL,
				    "%s: reference '%s' is ambiguous: it names both %s and %s",
				    path, text, target->path, dup->path);
		if (target->kind != R_VALET_GROUP)
			return perr(p, VLT_EINVAL, "%s: '%s' is a %s, not an OS::Valet::Group",
				    path, text, target->type);
		const char *gname;
		char tpath[600];
		snprintf(tpath, sizeof(tpath), "%s.properties", target->path);
		if ((rc = get_str(p, target->props, "name", tpath, true, &gname)) != 0)
			return rc;
		return spec_from_group_resource(p, target, gname, tpath, s);
	}
	const vlt_named_group_t *ng = find_named(p, text);
	if (ng == NULL)
		return perr(p, VLT_ENOENT, "%s: group '%s' not found", path, text);
	s->type = ng->type;
	s->level = ng->level;
	s->name = ng->name;
	s->key = ng->name;
	s->disp = ng->name;
	s->reg = ng;
	return 0;
}

static int make_assignment_group(struct parser *p, struct res *r)
{
	struct gspec s = {
		.disp = r->name != NULL ? r->name : r->id,
		.ref = r->id,
		.path = r->path,
	};
	int rc = r->kind == R_GROUP_OSV ? spec_osv(p, r, &s) : spec_att(p, r, &s);

	if (rc != 0)
		return rc;
	if (s.name != NULL) {
		s.key = s.name;
		return group_named(p, &s, &r->idx);
	}
	/* Anonymous: lives in this plan only, keyed by where it is defined. */
	size_t len = strlen(p->stack_id) + 1 + strlen(r->id) + 1;
	char *key = vlt__arena_alloc(p->arena, len);
	if (key == NULL)
		return oom(p);
	snprintf(key, len, "%s/%s", p->stack_id, r->id);
	s.key = key;
	return group_new(p, &s, &r->idx);
}

/* The nesting checks every group type shares. */
static int nest(struct parser *p, uint32_t parent, uint32_t child, const char *path)
{
	struct gbuild *pb = &p->groups[parent], *cb = &p->groups[child];

	if (parent == child)
		return perr(p, VLT_EINVAL, "group %s (%s): lists itself: nesting cycle", pb->disp,
			    path);
	if (cb->g.parent == parent)
		return 0;
	if (cb->g.parent != VLT_NONE)
		return perr(p, VLT_EINVAL,
			    "group %s is nested in both %s and %s: a group may be nested in one "
			    "group only",
			    cb->disp, p->groups[cb->g.parent].disp, pb->disp);
	for (uint32_t a = pb->g.parent; a != VLT_NONE; a = p->groups[a].g.parent)
		if (a == child)
			return perr(p, VLT_EINVAL,
				    "group %s (%s): nesting cycle: it contains group %s, which "
				    "is already nested in it",
				    pb->disp, path, cb->disp);
	if (cb->g.level > pb->g.level)
		return perr(p, VLT_EINVAL,
			    "group %s (%s) cannot be nested in group %s (%s): a nested group's "
			    "level may not be higher than its parent's",
			    cb->disp, vlt__level_name(cb->g.level), pb->disp,
			    vlt__level_name(pb->g.level));
	cb->g.parent = parent;
	return u32vec_push(&pb->children, child) != 0 ? oom(p) : 0;
}

static int add_members(struct parser *p, const struct res *r)
{
	char path[600], epath[640];
	uint32_t gi = r->idx;
	struct res *m;
	int rc;

	snprintf(path, sizeof(path), "%s.properties.resources", r->path);
	json_t *list = json_object_get(r->props, "resources");
	if (list == NULL)
		return perr(p, VLT_EINVAL, "group %s (%s): resources is missing (expected a list)",
			    p->groups[gi].disp, r->path);
	if (!json_is_array(list))
		return perr(p, VLT_EINVAL, "%s: expected a list of resource references", path);
	/* Even when another assignment of the same named group has members. */
	if (json_array_size(list) == 0)
		return perr(p, VLT_EINVAL, "group %s (%s): has no members", p->groups[gi].disp,
			    r->path);
	for (size_t i = 0; i < json_array_size(list); i++) {
		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if ((rc = resolve_ref(p, json_array_get(list, i), epath, &m)) != 0)
			return rc;
		if (m->kind == R_SERVER || m->kind == R_VOLUME) {
			/* duplicates go at freeze time: a linear check here is quadratic */
			if (u32vec_push(&p->groups[gi].units, m->idx) != 0)
				return oom(p);
		} else if (is_assignment(m->kind)) {
			if ((rc = nest(p, gi, m->idx, epath)) != 0)
				return rc;
		} else {
			return perr(p, VLT_EINVAL,
				    "%s: '%s' is a %s, which cannot be a group member (servers, "
				    "volumes and group assignments can)",
				    epath, m->name != NULL ? m->name : m->id, m->type);
		}
	}
	return 0;
}

static int make_assignment_groups(struct parser *p)
{
	int rc;

	for (size_t i = 0; i < p->n_res; i++)
		if (is_assignment(p->res[i].kind) && (rc = make_assignment_group(p, &p->res[i])))
			return rc;
	for (size_t i = 0; i < p->n_res; i++)
		if (is_assignment(p->res[i].kind) && (rc = add_members(p, &p->res[i])) != 0)
			return rc;
	return 0;
}

/* ---------------------------------------------------------------- server metadata */

/* metadata.valet, an object or (as Nova stores metadata) a JSON string. */
static int valet_metadata(struct parser *p, const struct res *r, const char *path,
			  json_t **out)
{
	json_t *md = json_object_get(r->props, "metadata");
	json_error_t jerr;

	*out = NULL;
	if (md == NULL)
		return 0;
	if (!json_is_object(md))
		return perr(p, VLT_EINVAL, "%s.properties.metadata: expected an object", r->path);
	json_t *v = json_object_get(md, "valet");
	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		v = json_loads(json_string_value(v), JSON_REJECT_DUPLICATES, &jerr);
		if (v == NULL)
			return perr(p, VLT_EINVAL, "%s: not valid JSON: %s (column %d)", path,
				    jerr.text, jerr.column);
	} else {
		json_incref(v);
	}
	if (!json_is_object(v)) {
		json_decref(v);
		return perr(p, VLT_EINVAL, "%s: expected an object {\"groups\": [...]}", path);
	}
	*out = v;
	return 0;
}

static int metadata_groups_of(struct parser *p, const struct res *r)
{
	char path[600], epath[640];
	json_t *valet;
	int rc;

	snprintf(path, sizeof(path), "%s.properties.metadata.valet", r->path);
	if ((rc = valet_metadata(p, r, path, &valet)) != 0 || valet == NULL)
		return rc;
	json_t *list = json_object_get(valet, "groups");
	if (list != NULL && !json_is_array(list))
		rc = perr(p, VLT_EINVAL, "%s.groups: expected a list of group names or ids", path);
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		snprintf(epath, sizeof(epath), "%s.groups[%zu]", path, i);
		if (!json_is_string(e)) {
			rc = perr(p, VLT_EINVAL, "%s: expected a group name or id", epath);
			break;
		}
		const char *text = json_string_value(e);
		const vlt_named_group_t *ng = find_named(p, text);
		if (ng == NULL) {
			rc = perr(p, VLT_ENOENT, "%s: group '%s' not found", epath, text);
			break;
		}
		struct gspec s = {
			.type = ng->type, .level = ng->level, .name = ng->name, .key = ng->name,
			.ref = text, .disp = ng->name, .path = epath, .reg = ng,
		};
		uint32_t gi;
		if ((rc = group_named(p, &s, &gi)) == 0 &&
		    u32vec_push(&p->groups[gi].units, r->idx) != 0)
			rc = oom(p);
	}
	json_decref(valet);
	return rc;
}

static int metadata_groups(struct parser *p)
{
	int rc;

	for (size_t i = 0; i < p->n_res; i++)
		if (p->res[i].kind == R_SERVER && (rc = metadata_groups_of(p, &p->res[i])) != 0)
			return rc;
	return 0;
}

/* ---------------------------------------------------------------- pass 6: links */

static int link_add(struct parser *p, uint32_t a, uint32_t b, double mbps, uint32_t flags)
{
	if (p->n_links == p->cap_links) {
		uint32_t cap = p->cap_links ? p->cap_links * 2 : 8;
		vlt_link_t *l = realloc(p->links, cap * sizeof(*l));
		if (l == NULL)
			return oom(p);
		p->links = l;
		p->cap_links = cap;
	}
	p->links[p->n_links++] = (vlt_link_t){ .a = a, .b = b, .mbps = mbps, .flags = flags };
	return 0;
}

static int attach_end(struct parser *p, const struct res *r, const char *key,
		      enum rkind want, uint32_t *unit)
{
	char path[600];
	struct res *m;
	int rc;

	snprintf(path, sizeof(path), "%s.properties.%s", r->path, key);
	json_t *v = json_object_get(r->props, key);
	if (v == NULL)
		return perr(p, VLT_EINVAL, "%s: missing (expected a resource reference)", path);
	if ((rc = resolve_ref(p, v, path, &m)) != 0)
		return rc;
	if (m->kind != want)
		return perr(p, VLT_EINVAL, "%s: '%s' is a %s, not %s", path,
			    m->name != NULL ? m->name : m->id, m->type,
			    want == R_SERVER ? "a server" : "a volume");
	*unit = m->idx;
	return 0;
}

static int parse_attachment(struct parser *p, const struct res *r)
{
	uint32_t server, volume;
	int rc;

	if ((rc = attach_end(p, r, "instance_uuid", R_SERVER, &server)) != 0 ||
	    (rc = attach_end(p, r, "volume_id", R_VOLUME, &volume)) != 0)
		return rc;
	return link_add(p, server, volume, 0, VLT_LINK_ATTACHMENT);
}

static int pipe_bandwidth(struct parser *p, const struct res *r, double *mbps)
{
	static const struct {
		const char *units;
		double mbps;
	} scale[] = { { "kbps", 1e-3 }, { "Mbps", 1 }, { "Gbps", 1e3 }, { "Tbps", 1e6 } };
	char path[600];
	const char *units;
	double min;
	int rc;

	snprintf(path, sizeof(path), "%s.properties.bandwidth", r->path);
	json_t *bw = json_object_get(r->props, "bandwidth");
	if (bw == NULL)
		return perr(p, VLT_EINVAL, "%s: missing (expected {\"min\": n, \"units\": u})",
			    path);
	if (!json_is_object(bw))
		return perr(p, VLT_EINVAL, "%s: expected an object {\"min\": n, \"units\": u}",
			    path);
	json_t *v = json_object_get(bw, "min");
	if (v == NULL)
		return perr(p, VLT_EINVAL, "%s.min: missing (expected a number)", path);
	if (!number_of(v, &min) || !(min >= 0 && isfinite(min)))
		return perr(p, VLT_EINVAL, "%s.min: expected a number, at least 0", path);
	if ((rc = get_str(p, bw, "units", path, false, &units)) != 0)
		return rc;
	if (units == NULL)
		units = "Mbps";
	for (size_t i = 0; i < sizeof(scale) / sizeof(scale[0]); i++) {
		if (strcmp(units, scale[i].units) == 0) {
			*mbps = min * scale[i].mbps;
			return 0;
		}
	}
	return perr(p, VLT_EINVAL, "%s.units: unknown units '%s' (kbps, Mbps, Gbps or Tbps)",
		    path, units);
}

/* An attachment as a pipe's endpoint: its server and its volume (the pipe is their I/O). */
static int attachment_ends(struct parser *p, const struct res *a, struct u32vec *ends)
{
	uint32_t server, volume;
	int rc;

	if ((rc = attach_end(p, a, "instance_uuid", R_SERVER, &server)) != 0 ||
	    (rc = attach_end(p, a, "volume_id", R_VOLUME, &volume)) != 0)
		return rc;
	return u32vec_add(ends, server) != 0 || u32vec_add(ends, volume) != 0 ? oom(p) : 0;
}

static int parse_pipe(struct parser *p, const struct res *r)
{
	struct u32vec ends = { 0 };
	char path[600], epath[640];
	double mbps = 0;
	struct res *m;
	int rc = 0;

	snprintf(path, sizeof(path), "%s.properties.resources", r->path);
	json_t *list = json_object_get(r->props, "resources");
	if (list == NULL)
		return perr(p, VLT_EINVAL, "%s: missing (expected a list of endpoints)", path);
	if (!json_is_array(list))
		return perr(p, VLT_EINVAL, "%s: expected a list of endpoints", path);
	if ((rc = pipe_bandwidth(p, r, &mbps)) != 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < json_array_size(list); i++) {
		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if ((rc = resolve_ref(p, json_array_get(list, i), epath, &m)) != 0)
			break;
		if (m->kind == R_ATTACH)
			rc = attachment_ends(p, m, &ends);
		else if (m->kind != R_SERVER && m->kind != R_VOLUME)
			rc = perr(p, VLT_EINVAL,
				  "%s: '%s' is a %s; pipe endpoints are servers, volumes or "
				  "volume attachments",
				  epath, m->name != NULL ? m->name : m->id, m->type);
		else if (u32vec_add(&ends, m->idx) != 0)
			rc = oom(p);
	}
	if (rc == 0 && ends.n < 2)
		rc = perr(p, VLT_EINVAL, "pipe %s (%s): needs at least two distinct endpoints",
			  r->name != NULL ? r->name : r->id, r->path);
	for (uint32_t i = 0; rc == 0 && i < ends.n; i++)
		for (uint32_t j = i + 1; rc == 0 && j < ends.n; j++)
			rc = link_add(p, ends.v[i], ends.v[j], mbps, 0);
	free(ends.v);
	return rc;
}

static int make_links(struct parser *p)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < p->n_res; i++) {
		if (p->res[i].kind == R_ATTACH)
			rc = parse_attachment(p, &p->res[i]);
		else if (p->res[i].kind == R_PIPE)
			rc = parse_pipe(p, &p->res[i]);
	}
	return rc;
}

/* ---------------------------------------------------------------- freeze */

static int check_groups(struct parser *p)
{
	for (uint32_t i = 0; i < p->n_groups; i++) {
		const struct gbuild *b = &p->groups[i];
		if (b->units.n == 0 && b->children.n == 0)
			return perr(p, VLT_EINVAL, "group %s (%s): has no members", b->disp,
				    b->path);
	}
	return 0;
}

static const uint32_t *freeze_u32(struct parser *p, const struct u32vec *v)
{
	if (v->n == 0)
		return NULL;
	uint32_t *a = vlt__arena_alloc(p->arena, v->n * sizeof(*a));
	if (a != NULL)
		memcpy(a, v->v, v->n * sizeof(*a));
	return a;
}

/* Innermost first: lower level first; at one level, the deeper group first. */
struct mship {
	vlt_membership_t m;
	vlt_level_t level;
	uint32_t depth;
};

static int cmp_mship(const void *a, const void *b)
{
	const struct mship *x = a, *y = b;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->m.group < y->m.group ? -1 : x->m.group > y->m.group;
}

static uint32_t group_depth(const struct parser *p, uint32_t g)
{
	uint32_t d = 0;

	for (uint32_t a = p->groups[g].g.parent; a != VLT_NONE; a = p->groups[a].g.parent)
		d++;
	return d;
}

static bool mship_has(const struct mship *ms, uint32_t n, uint32_t g)
{
	for (uint32_t i = 0; i < n; i++)
		if (ms[i].m.group == g)
			return true;
	return false;
}

/*
 * Each unit's memberships: the groups listing it directly (via VLT_NONE),
 * then their ancestors, each reached through the child on the way up.
 */
static int freeze_memberships(struct parser *p, struct u32vec *direct, const uint32_t *depth)
{
	for (uint32_t u = 0; u < p->n_units; u++) {
		const struct u32vec *d = &direct[u];
		uint32_t n = 0, cap = 0;

		if (d->n == 0)
			continue;
		if (d->n > VLT_STACK_MAX_UNIT_GROUPS)
			return perr(p, VLT_EINVAL,
				    "%s %s is in %u groups; at most %d are accepted for one unit",
				    p->units[u].kind == VLT_UNIT_SERVER ? "server" : "volume",
				    p->units[u].name, d->n, VLT_STACK_MAX_UNIT_GROUPS);
		for (uint32_t i = 0; i < d->n; i++)
			cap += depth[d->v[i]] + 1;
		struct mship *ms = calloc(cap, sizeof(*ms));
		if (ms == NULL)
			return oom(p);
		for (uint32_t i = 0; i < d->n; i++)
			ms[n++].m = (vlt_membership_t){ .group = d->v[i], .via = VLT_NONE };
		for (uint32_t i = 0; i < d->n; i++) {
			uint32_t c = d->v[i];
			for (uint32_t a = p->groups[c].g.parent; a != VLT_NONE;
			     c = a, a = p->groups[a].g.parent) {
				if (mship_has(ms, n, a))
					break;
				ms[n++].m = (vlt_membership_t){ .group = a, .via = c };
			}
		}
		for (uint32_t i = 0; i < n; i++) {
			ms[i].level = p->groups[ms[i].m.group].g.level;
			ms[i].depth = depth[ms[i].m.group];
		}
		qsort(ms, n, sizeof(*ms), cmp_mship);
		vlt_membership_t *out = vlt__arena_alloc(p->arena, n * sizeof(*out));
		if (out != NULL)
			for (uint32_t i = 0; i < n; i++)
				out[i] = ms[i].m;
		free(ms);
		if (out == NULL)
			return oom(p);
		p->units[u].groups = out;
		p->units[u].n_groups = n;
	}
	return 0;
}

static int freeze_unit_links(struct parser *p, struct u32vec *ul)
{
	for (uint32_t l = 0; l < p->n_links; l++)
		if (u32vec_push(&ul[p->links[l].a], l) != 0 ||
		    u32vec_push(&ul[p->links[l].b], l) != 0)
			return oom(p);
	for (uint32_t u = 0; u < p->n_units; u++) {
		if (ul[u].n == 0)
			continue;
		if ((p->units[u].links = freeze_u32(p, &ul[u])) == NULL)
			return oom(p);
		p->units[u].n_links = ul[u].n;
	}
	return 0;
}

static int freeze_groups(struct parser *p, vlt_stack_t *s)
{
	if (p->n_groups == 0)
		return 0;
	vlt_group_t *gs = vlt__arena_alloc(p->arena, p->n_groups * sizeof(*gs));
	if (gs == NULL)
		return oom(p);
	for (uint32_t i = 0; i < p->n_groups; i++) {
		const struct gbuild *b = &p->groups[i];
		gs[i] = b->g;
		gs[i].children = freeze_u32(p, &b->children);
		gs[i].n_children = b->children.n;
		gs[i].units = freeze_u32(p, &b->units);
		gs[i].n_units = b->units.n;
		if ((b->children.n && !gs[i].children) || (b->units.n && !gs[i].units))
			return oom(p);
	}
	s->groups = gs;
	s->n_groups = p->n_groups;
	return 0;
}

/* A unit named twice in one group (a list, metadata, merged assignments) counts once. */
static void dedupe_group_units(struct parser *p, uint32_t *stamp)
{
	for (uint32_t u = 0; u < p->n_units; u++)
		stamp[u] = VLT_NONE;
	for (uint32_t g = 0; g < p->n_groups; g++) {
		struct u32vec *v = &p->groups[g].units;
		uint32_t n = 0;
		for (uint32_t i = 0; i < v->n; i++) {
			if (stamp[v->v[i]] == g)
				continue;
			stamp[v->v[i]] = g;
			v->v[n++] = v->v[i];
		}
		v->n = n;
	}
}

static int freeze(struct parser *p, vlt_stack_t *s)
{
	struct u32vec *direct = calloc(p->n_units + 1, sizeof(*direct));
	struct u32vec *ul = calloc(p->n_units + 1, sizeof(*ul));
	uint32_t *depth = calloc(p->n_groups + 1, sizeof(*depth));

	uint32_t *stamp = calloc(p->n_units + 1, sizeof(*stamp));
	int rc = 0;

	if (direct == NULL || ul == NULL || depth == NULL || stamp == NULL)
		rc = oom(p);
	else
		dedupe_group_units(p, stamp);
	free(stamp);
	for (uint32_t g = 0; rc == 0 && g < p->n_groups; g++) {
		depth[g] = group_depth(p, g);
		for (uint32_t i = 0; rc == 0 && i < p->groups[g].units.n; i++)
			if (u32vec_push(&direct[p->groups[g].units.v[i]], g) != 0)
				rc = oom(p);
	}
	if (rc == 0)
		rc = freeze_memberships(p, direct, depth);
	if (rc == 0)
		rc = freeze_unit_links(p, ul);
	if (rc == 0)
		rc = freeze_groups(p, s);
	if (rc == 0 && p->n_links > 0) {
		vlt_link_t *l = vlt__arena_alloc(p->arena, p->n_links * sizeof(*l));
		if (l == NULL) {
			rc = oom(p);
		} else {
			memcpy(l, p->links, p->n_links * sizeof(*l));
			s->links = l;
			s->n_links = p->n_links;
		}
	}
	s->units = p->units;
	s->n_units = p->n_units;
	for (uint32_t u = 0; direct != NULL && ul != NULL && u < p->n_units; u++) {
		free(direct[u].v);
		free(ul[u].v);
	}
	free(direct);
	free(ul);
	free(depth);
	return rc;
}

static void parser_cleanup(struct parser *p)
{
	for (uint32_t i = 0; i < p->n_groups; i++) {
		free(p->groups[i].children.v);
		free(p->groups[i].units.v);
	}
	free(p->groups);
	free(p->links);
	free(p->res);
	free(p->by_name);
	vlt__groups_free(&p->req_groups);
}

int vlt__stack_parse(const json_t *req, const vlt_dc_t *dc, const vlt_group_registry_t *reg,
		     vlt_policy_lookup_fn policy, void *policy_arg, const char *where,
		     vlt_stack_t **stack, vlt_err_t *err)
{
	return vlt__stack_parse_held(req, dc, reg, NULL, policy, policy_arg, where, stack, err);
}

int vlt__stack_parse_held(const json_t *req, const vlt_dc_t *dc, const vlt_group_registry_t *reg,
			  const vlt_group_registry_t *retired, vlt_policy_lookup_fn policy,
			  void *policy_arg, const char *where, vlt_stack_t **stack,
			  vlt_err_t *err)
{
	struct parser p = {
		.dc = dc, .reg = reg, .retired = retired, .policy = policy,
		.policy_arg = policy_arg, .where = where != NULL ? where : "request", .err = err,
	};
	int rc;

	*stack = NULL;
	p.st = calloc(1, sizeof(*p.st));
	if (p.st == NULL)
		return oom(&p);
	p.arena = &p.st->arena;
	if ((rc = parse_top(&p, req, &p.st->pub)) == 0 && (rc = index_resources(&p)) == 0 &&
	    (rc = make_units(&p)) == 0 && (rc = make_assignment_groups(&p)) == 0 &&
	    (rc = metadata_groups(&p)) == 0 && (rc = make_links(&p)) == 0 &&
	    (rc = check_groups(&p)) == 0)
		rc = freeze(&p, &p.st->pub);
	parser_cleanup(&p);
	if (rc != 0) {
		vlt__stack_free(&p.st->pub);
		return rc;
	}
	*stack = &p.st->pub;
	return 0;
}
