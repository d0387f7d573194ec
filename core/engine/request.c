/*
 * request.c - the Heat resource types of a plan request and the questions
 * the service asks of a request's raw `resources` (request.h). The stack
 * parser (stack.c) reads its types from the same table, so a request means
 * the same thing here and there.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <valet/errors.h>

#include "request.h"

/* The first row of a kind is the type Valet writes for it. */
static const struct {
	const char *type;
	vlt_rkind_t kind;
} types[] = {
	{ "OS::Nova::Server", VLT_RK_SERVER },
	{ "OS::Cinder::Volume", VLT_RK_VOLUME },
	{ "OS::Cinder::VolumeAttachment", VLT_RK_ATTACH },
	{ "ATT::Valet::Pipe", VLT_RK_PIPE },
	{ "ATT::CloudQoS::Pipe", VLT_RK_PIPE },
	{ "ATT::Valet::GroupAssignment", VLT_RK_GROUP_ATT },
	{ "ATT::CloudQoS::ResourceGroup", VLT_RK_GROUP_CQOS },
	{ "OS::Valet::GroupAssignment", VLT_RK_GROUP_OSV },
	{ "OS::Valet::Group", VLT_RK_VALET_GROUP },
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

vlt_rkind_t vlt__request_kind(const char *type)
{
	for (size_t i = 0; type != NULL && i < N_TYPES; i++)
		if (strcmp(type, types[i].type) == 0)
			return types[i].kind;
	return VLT_RK_OTHER;
}

const char *vlt__request_type_name(vlt_rkind_t kind)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (types[i].kind == kind)
			return types[i].type;
	return NULL;
}

bool vlt__request_kind_is_assignment(vlt_rkind_t kind)
{
	return kind == VLT_RK_GROUP_ATT || kind == VLT_RK_GROUP_CQOS || kind == VLT_RK_GROUP_OSV;
}

bool vlt__request_is_server_type(const char *type)
{
	return vlt__request_kind(type) == VLT_RK_SERVER;
}

bool vlt__request_is_assignment_type(const char *type)
{
	return vlt__request_kind_is_assignment(vlt__request_kind(type));
}

bool vlt__request_is_pipe_type(const char *type)
{
	return vlt__request_kind(type) == VLT_RK_PIPE;
}

/* The kind of a resource object by its "type" member. */
static vlt_rkind_t kind_of(const json_t *r)
{
	return vlt__request_kind(json_string_value(json_object_get(r, "type")));
}

bool vlt__request_has_server(const json_t *resources)
{
	const char *k;
	json_t *r;

	json_object_foreach((json_t *)resources, k, r) {
		if (kind_of(r) == VLT_RK_SERVER)
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------- key case */

static bool has_upper(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return true;
	return false;
}

static bool needs_lowercase(const json_t *resources)
{
	const char *k, *key;
	json_t *r, *v;

	json_object_foreach((json_t *)resources, k, r) {
		json_object_foreach(r, key, v) {
			if (has_upper(key))
				return true;
		}
	}
	return false;
}

/* r's members again under lower-case keys, into out (empty). */
static int lowercase_members(const json_t *r, json_t *out, const char *id, const char *where,
			     vlt_err_t *err)
{
	const char *key;
	json_t *v;
	char low[256];

	json_object_foreach((json_t *)r, key, v) {
		size_t n = strlen(key);

		if (n >= sizeof(low))
			return vlt_err_set(err, VLT_EINVAL, "%s: $.resources.%s: key '%.40s...' is "
					   "too long", where, id, key);
		for (size_t i = 0; i <= n; i++)
			low[i] = key[i] >= 'A' && key[i] <= 'Z' ? (char)(key[i] - 'A' + 'a') : key[i];
		if (json_object_get(out, low) != NULL)
			return vlt_err_set(err, VLT_EINVAL,
					   "%s: $.resources.%s: '%s' is given twice, in two cases",
					   where, id, low);
		if (json_object_set(out, low, v) != 0)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	return 0;
}

int vlt__request_lowercase(const json_t *req, const char *where, json_t **out, vlt_err_t *err)
{
	const json_t *resources = json_object_get(req, "resources");
	const char *k;
	json_t *r, *copy, *res;
	int rc = 0;

	*out = NULL;
	if (!json_is_object(resources) || !needs_lowercase(resources))
		return 0;
	copy = json_copy((json_t *)req);
	res = json_object();
	if (copy == NULL || res == NULL || json_object_set(copy, "resources", res) != 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_object_foreach((json_t *)resources, k, r) {
		json_t *low = json_is_object(r) ? json_object() : json_incref(r);

		if (rc == 0 && low == NULL)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		if (rc == 0 && json_is_object(r))
			rc = lowercase_members(r, low, k, where, err);
		if (rc == 0 && json_object_set(res, k, low) != 0)
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		json_decref(low);
	}
	json_decref(res);
	if (rc < 0) {
		json_decref(copy);
		return rc;
	}
	*out = copy;
	return 0;
}

/* ---------------------------------------------------------------- references */

const char *vlt__request_resolve_ref(const json_t *resources, const json_t *ref)
{
	const char *s = json_string_value(ref);
	const char *k, *found = NULL;
	json_t *r;

	if (json_is_object(ref))
		s = json_string_value(json_object_get(ref, "get_resource"));
	if (s == NULL)
		return NULL;
	/* the key itself, not s: callers keep it while ref may go */
	void *at = json_object_iter_at((json_t *)resources, s);
	if (at != NULL)
		return json_object_iter_key(at);
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

/* ---------------------------------------------------------------- pruning */

static bool ref_gone(const json_t *orig, const json_t *ref, const json_t *gone)
{
	const char *orch = vlt__request_resolve_ref(orig, ref);

	return orch != NULL && json_object_get(gone, orch) != NULL;
}

/* Drop from list the references that name a resource of gone. RET how many remain. */
static size_t filter_refs(json_t *list, const json_t *orig, const json_t *gone)
{
	for (size_t i = json_array_size(list); i-- > 0;) {
		if (ref_gone(orig, json_array_get(list, i), gone))
			json_array_remove(list, i);
	}
	return json_array_size(list);
}

/* Endpoints of a pipe: a reference that names nothing counts by its text. */
static size_t distinct_refs(const json_t *list, const json_t *orig)
{
	json_t *seen = json_object();
	size_t n;

	for (size_t i = 0; seen != NULL && i < json_array_size(list); i++) {
		const char *orch = vlt__request_resolve_ref(orig, json_array_get(list, i));
		const char *key = orch != NULL ? orch : json_string_value(json_array_get(list, i));

		if (key != NULL)
			json_object_set_new(seen, key, json_true());
	}
	n = json_object_size(seen);
	json_decref(seen);
	return n;
}

/*
 * Whether what is left of resource r goes too, now that gone went; its
 * lists lose their references to gone. A list that was empty already was
 * not made by gone: it stays for the parser to judge.
 */
static bool left_without_purpose(json_t *r, const json_t *orig, const json_t *gone)
{
	json_t *props = json_object_get(r, "properties");
	json_t *list = json_object_get(props, "resources");
	size_t had = json_array_size(list);

	if (!json_is_object(props))
		return false;
	switch (kind_of(r)) {
	case VLT_RK_GROUP_ATT:
	case VLT_RK_GROUP_CQOS:
	case VLT_RK_GROUP_OSV:
		return had > 0 && filter_refs(list, orig, gone) == 0;
	case VLT_RK_PIPE:
		filter_refs(list, orig, gone);
		return had > 0 && distinct_refs(list, orig) < 2;
	case VLT_RK_ATTACH:
		return ref_gone(orig, json_object_get(props, "instance_uuid"), gone) ||
		       ref_gone(orig, json_object_get(props, "volume_id"), gone);
	default:
		return false;
	}
}

/* One pass over the remaining resources. RET true when something more went. */
static bool prune_pass(json_t *res, const json_t *orig, json_t *gone)
{
	bool more = false;
	const char *k;
	json_t *r;
	void *tmp;

	json_object_foreach_safe(res, tmp, k, r) {
		if (left_without_purpose(r, orig, gone)) {
			json_object_set_new(gone, k, json_true());
			json_object_del(res, k);
			more = true;
		}
	}
	return more;
}

json_t *vlt__request_prune(const json_t *req, const json_t *drop)
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

/* ---------------------------------------------------------------- group servers */

/*
 * Assignments are read level by level from those naming the group, each
 * once at its least depth: the servers of following every path down to the
 * depth limit, without the paths an assignment listed by many (or twice)
 * multiplies.
 */
struct group_query {
	const json_t *resources;
	const char *id;
	const char *name;
	json_t *set;	    /* {orch: true} of the servers found */
	json_t *seen;	    /* {orch: true} of the assignments queued */
	const char **queue; /* their orchestration ids (keys of resources) */
	size_t n_queued;
	bool oom;
};

static bool names_group(const struct group_query *q, const json_t *v)
{
	const char *s = json_string_value(v);

	return s != NULL && (strcmp(s, q->id) == 0 || strcmp(s, q->name) == 0);
}

/* metadata.valet.groups of a server: a list, or a JSON string holding {"groups": [...]}. */
static bool server_names_group(const struct group_query *q, const json_t *r)
{
	const json_t *valet = json_object_get(
		json_object_get(json_object_get(r, "properties"), "metadata"), "valet");
	json_t *parsed = NULL;
	bool found = false;
	size_t i;
	json_t *g;

	if (json_is_string(valet))
		valet = parsed = json_loads(json_string_value(valet), 0, NULL);
	json_array_foreach(json_object_get(valet, "groups"), i, g) {
		found = found || names_group(q, g);
	}
	json_decref(parsed);
	return found;
}

/* The resource a reference names, or NULL; *orch its key (may be NULL). */
static const json_t *ref_target(const json_t *resources, const json_t *ref, const char **orch)
{
	const char *k = vlt__request_resolve_ref(resources, ref);

	if (orch != NULL)
		*orch = k;
	return k != NULL ? json_object_get(resources, k) : NULL;
}

/* Does assignment r name the group (group_name, or group: id, name or get_resource)? */
static bool assignment_names_group(const struct group_query *q, const json_t *r)
{
	const json_t *props = json_object_get(r, "properties");
	const json_t *g = json_object_get(props, "group");

	if (names_group(q, json_object_get(props, "group_name")) || names_group(q, g))
		return true;
	if (!json_is_object(g))
		return false;
	/* get_resource of an OS::Valet::Group: the group its properties.name names */
	const json_t *target = ref_target(q->resources, g, NULL);

	return names_group(q, json_object_get(json_object_get(target, "properties"), "name"));
}

static void add_server(struct group_query *q, const char *orch)
{
	if (json_object_set_new(q->set, orch, json_true()) != 0)
		q->oom = true;
}

static void enqueue(struct group_query *q, const char *orch)
{
	if (json_object_get(q->seen, orch) != NULL)
		return;
	if (json_object_set_new(q->seen, orch, json_true()) != 0) {
		q->oom = true;
		return;
	}
	q->queue[q->n_queued++] = orch; /* each resource once: the queue has room */
}

/* An assignment's members: servers are found, assignments read next. */
static void read_assignment(struct group_query *q, const char *orch)
{
	const json_t *r = json_object_get(q->resources, orch);
	size_t i;
	json_t *ref;

	json_array_foreach(json_object_get(json_object_get(r, "properties"), "resources"), i, ref) {
		const char *m;
		vlt_rkind_t kind = kind_of(ref_target(q->resources, ref, &m));

		if (vlt__request_kind_is_assignment(kind))
			enqueue(q, m);
		else if (kind == VLT_RK_SERVER)
			add_server(q, m);
	}
}

/* The servers naming the group, and the assignments naming it: level 0. */
static void find_direct(struct group_query *q)
{
	const char *k;
	json_t *r;

	json_object_foreach((json_t *)q->resources, k, r) {
		vlt_rkind_t kind = kind_of(r);

		if (vlt__request_kind_is_assignment(kind)) {
			if (assignment_names_group(q, r))
				enqueue(q, k);
		} else if (kind == VLT_RK_SERVER && server_names_group(q, r)) {
			add_server(q, k);
		}
	}
}

static void collect_members(struct group_query *q)
{
	size_t head = 0;

	for (unsigned depth = 0; depth <= VLT_REQUEST_MAX_NESTING && head < q->n_queued; depth++)
		for (size_t end = q->n_queued; head < end; head++)
			read_assignment(q, q->queue[head]);
}

json_t *vlt__request_group_servers(const json_t *req, const char *group_id,
				   const char *group_name)
{
	const json_t *resources = json_object_get(req, "resources");
	struct group_query q = {
		.resources = resources,
		.id = group_id,
		.name = group_name,
		.set = json_object(),
		.seen = json_object(),
		.queue = malloc((json_object_size(resources) + 1) * sizeof(*q.queue)),
	};

	q.oom = q.set == NULL || q.seen == NULL || q.queue == NULL;
	if (!q.oom && group_id != NULL && group_name != NULL) {
		find_direct(&q);
		collect_members(&q);
	}
	json_decref(q.seen);
	free(q.queue);
	if (q.oom) {
		json_decref(q.set);
		return NULL;
	}
	return q.set;
}
