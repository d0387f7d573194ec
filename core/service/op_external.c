/*
 * op_external.c - POST /scheduler/{nova,cinder,manila}/external: the call
 * SAP's Nova, Cinder and Manila forks make to an external scheduler once
 * their filters and weighers are done (docs/openstack.md, "External
 * scheduler"). Nova's and Cinder's go through one decision, for a server
 * or for a volume (struct ext_req's kind); Manila's shares are not Valet's
 * to place, and its call is answered with the offered hosts unchanged.
 *
 * Nova's body is its RequestSpec (a nova object primitive), the flags
 * rebuild, resize, live and vmware, the hosts left ([{"host",
 * "hypervisor_hostname"}]) and their weights; the answer is {"hosts":
 * [names]}, which Nova takes as the new order and filter of its own list.
 *
 * The instance is found in a plan by Heat's hints (heat_resource_uuid, or
 * the orchestration id heat_hints.c makes of heat_root_stack_id,
 * heat_path_in_stack and heat_resource_name) or by its uuid (as the
 * Nova uuid a reservation recorded, or the orchestration id of the
 * ad-hoc plan made here). Found, it is reserved on its planned host when
 * that host is offered, else placed again among the offered hosts (the
 * replace-a-server decision of op_replace.c, as a replan, as a migrate
 * for a live migration, with the spec's new flavor for a resize). Not
 * found, it gets an ad-hoc plan of its own (stack id = orchestration id =
 * its uuid) from the spec's flavor, in the Valet groups its Nova server
 * group and its hints name, reserved at once.
 *
 * Cinder's body is its request spec as a plain dict (jsonutils'
 * to_primitive of the RequestSpec object): the volume is found by Heat's
 * hints when the spec carries any, else by its volume id, among the
 * offered pools (host@backend#pool) as a server among the offered hosts;
 * not found, an ad-hoc plan of that volume alone (its size, volume type,
 * availability zone and project). Only the pools of the spec's
 * resource_backend count when it names one.
 *
 * Every write is one journal entry of an existing op ("reserve",
 * "plan_replace", "plan_create"); nothing here needs an apply of its own.
 *
 * Memory: struct ext_req borrows from the request body, but for its list
 * of offered host names, which unit_external (Manila's: its answer) owns
 * and frees; the answer is a new reference handed to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heat_hints.h"
#include "log.h"
#include "ops.h"

#define EXT_WHERE "external scheduler request"
#define SPEC "$.spec.nova_object.data"
#define CINDER_SPEC "$.spec"
#define ID_MAX 512

/* What the body says; every pointer is borrowed from the body. */
struct ext_req {
	bool server;		 /* Nova's call about a server; false: Cinder's about a volume */
	const char *spec_path;	 /* SPEC or CINDER_SPEC: where the fields below are read */
	const json_t *spec;	 /* the RequestSpec's nova_object.data; Cinder's spec */
	const json_t *flavor;	 /* the Flavor's nova_object.data (servers) */
	const json_t *hints;	 /* scheduler_hints, or NULL */
	const json_t *group;	 /* the InstanceGroup's nova_object.data, or NULL */
	const char *instance;	 /* instance_uuid; the volume_id of a volume */
	const char *project;	 /* project_id, or NULL */
	const char *zone;	 /* availability_zone, or NULL (any) */
	json_int_t size_gb;	 /* a volume's size */
	const char *volume_type; /* a volume's type name, or NULL */
	const char *heat_uuid;	 /* heat_resource_uuid, or NULL */
	char heat_orch[ID_MAX];	 /* from the other Heat hints; "" when they are not all there */
	bool rebuild, resize, live;
	json_t *hosts; /* [name, ...]: the offered hosts (pools) in the caller's order, once each (owned) */
};

struct ext_ctx {
	struct ext_req r;
	bool adhoc;		    /* the decision made a plan */
	char plan_id[ID_MAX];	    /* the plan decided on */
	char orch[ID_MAX];	    /* the server's orchestration id in it */
	bool soft_group_dropped;    /* a soft server-group policy could not be held */
	json_t *answer;
};

/* ---------------------------------------------------------------- reading the body */

static int bad(vlt_err_t *err, const char *path, const char *what)
{
	return vlt_err_set(err, VLT_EINVAL, "%s: %s: %s", EXT_WHERE, path, what);
}

/*
 * The nova_object.data of v, a nova object primitive of class name at
 * path. NULL v (or JSON null) gives *data = NULL when not required.
 */
static int nova_data(const json_t *v, const char *name, const char *path, bool required,
		     const json_t **data, vlt_err_t *err)
{
	char where[256];
	const char *cls;

	*data = NULL;
	if (v == NULL || json_is_null(v))
		return required ? bad(err, path, "missing (expected a nova object)") : 0;
	if (!json_is_object(v))
		return bad(err, path, "expected a nova object ({\"nova_object.data\": {...}})");
	cls = json_string_value(json_object_get(v, "nova_object.name"));
	if (cls != NULL && strcmp(cls, name) != 0) {
		snprintf(where, sizeof(where), "%s[\"nova_object.name\"]", path);
		return vlt_err_set(err, VLT_EINVAL, "%s: %s: '%s', expected '%s'", EXT_WHERE,
				   where, cls, name);
	}
	*data = json_object_get(v, "nova_object.data");
	if (!json_is_object(*data)) {
		snprintf(where, sizeof(where), "%s[\"nova_object.data\"]", path);
		return bad(err, where, "missing (expected an object)");
	}
	return 0;
}

/*
 * obj.key: a string, or JSON null / absent (NULL) unless required. Unlike
 * vlt__svc_want_string, it names a nested path (path is obj's).
 */
static int opt_string(const json_t *obj, const char *key, const char *path, bool required,
		      const char **out, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	char where[256];

	snprintf(where, sizeof(where), "%s.%s", path, key);
	*out = json_string_value(v);
	if (v == NULL || json_is_null(v))
		return required ? bad(err, where, "missing (expected a string)") : 0;
	if (!json_is_string(v))
		return bad(err, where, "expected a string");
	if (required && (*out)[0] == '\0')
		return bad(err, where, "expected a non-empty string");
	return 0;
}

static int opt_bool(const json_t *obj, const char *key, bool *out, vlt_err_t *err)
{
	const json_t *v = json_object_get(obj, key);
	char where[64];

	snprintf(where, sizeof(where), "$.%s", key);
	*out = json_is_true(v);
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v))
		return bad(err, where, "expected true or false");
	return 0;
}

/*
 * A scheduler hint's one string: Nova keeps every hint as a list
 * (["value"]); a bare string is taken as well. NULL when absent.
 */
static int hint_string(const struct ext_req *r, const char *key, const char **out, vlt_err_t *err)
{
	const json_t *v = json_object_get(r->hints, key);
	char where[128];

	snprintf(where, sizeof(where), "%s.scheduler_hints.%s", r->spec_path, key);
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_array(v) && json_array_size(v) == 1)
		v = json_array_get(v, 0);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return bad(err, where, "expected a string or a list of one string");
	*out = json_string_value(v);
	return 0;
}

/*
 * The hosts of $.hosts, in order, once each; each must name its host.
 * Nova's carry a hypervisor_hostname too (with_node), Cinder's and Manila's
 * only the host.
 */
static int read_hosts(const json_t *body, bool with_node, json_t **out, vlt_err_t *err)
{
	const json_t *list = json_object_get(body, "hosts");
	const char *shape = with_node ? "{\"host\": name, \"hypervisor_hostname\": name or null}"
				      : "{\"host\": name}";
	json_t *names, *h;
	char where[64];
	size_t i;

	if (list == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: $.hosts: missing (expected a list of %s)",
				   EXT_WHERE, shape);
	if (!json_is_array(list))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.hosts: expected a list of %s", EXT_WHERE,
				   shape);
	if ((names = json_array()) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	json_array_foreach(list, i, h) {
		const json_t *host = json_object_get(h, "host");
		const json_t *node = json_object_get(h, "hypervisor_hostname");
		bool seen = false;
		size_t j;
		json_t *x;

		snprintf(where, sizeof(where), "$.hosts[%zu]", i);
		if (!json_is_object(h) || !json_is_string(host) || json_string_length(host) == 0 ||
		    (node != NULL && !json_is_null(node) && !json_is_string(node))) {
			json_decref(names);
			return vlt_err_set(err, VLT_EINVAL, "%s: %s: expected %s", EXT_WHERE, where,
					   shape);
		}
		json_array_foreach(names, j, x)
			seen = seen || json_equal(x, host);
		if (!seen && json_array_append(names, (json_t *)host) < 0) {
			json_decref(names);
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
		}
	}
	*out = names;
	return 0;
}

/* The Heat hints: heat_resource_uuid, and the orchestration id of the other three. */
static int read_heat_hints(struct ext_req *r, vlt_err_t *err)
{
	const char *root = NULL, *name = NULL;
	const json_t *path;
	int rc;

	char where[96];

	r->hints = json_object_get(r->spec, "scheduler_hints");
	if (json_is_null(r->hints))
		r->hints = NULL;
	snprintf(where, sizeof(where), "%s.scheduler_hints", r->spec_path);
	if (r->hints != NULL && !json_is_object(r->hints))
		return bad(err, where, "expected an object");
	if ((rc = hint_string(r, "heat_resource_uuid", &r->heat_uuid, err)) < 0 ||
	    (rc = hint_string(r, "heat_root_stack_id", &root, err)) < 0 ||
	    (rc = hint_string(r, "heat_resource_name", &name, err)) < 0)
		return rc;
	path = json_object_get(r->hints, "heat_path_in_stack");
	if (root == NULL || name == NULL || path == NULL || json_is_null(path))
		return 0;
	snprintf(where, sizeof(where), "%s.scheduler_hints.heat_path_in_stack", r->spec_path);
	return vlt__heat_orch_id(root, path, name, where, r->heat_orch, sizeof(r->heat_orch), err);
}

static int read_flavor(struct ext_req *r, vlt_err_t *err)
{
	static const char *const amounts[] = { "vcpus", "memory_mb", "root_gb", NULL };
	static const char path[] = SPEC ".flavor";
	char where[160];
	int rc = nova_data(json_object_get(r->spec, "flavor"), "Flavor", path, true, &r->flavor,
			   err);

	for (size_t i = 0; rc == 0 && amounts[i] != NULL; i++) {
		const json_t *v = json_object_get(r->flavor, amounts[i]);

		snprintf(where, sizeof(where), "%s[\"nova_object.data\"].%s", path, amounts[i]);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			rc = bad(err, where, "expected a whole number, at least 0");
	}
	const json_t *eph = json_object_get(r->flavor, "ephemeral_gb");
	if (rc == 0 && eph != NULL && !json_is_null(eph) &&
	    (!json_is_integer(eph) || json_integer_value(eph) < 0)) {
		snprintf(where, sizeof(where), "%s[\"nova_object.data\"].ephemeral_gb", path);
		rc = bad(err, where, "expected a whole number, at least 0");
	}
	const json_t *specs = json_object_get(r->flavor, "extra_specs");
	const char *k;
	json_t *v;
	snprintf(where, sizeof(where), "%s[\"nova_object.data\"].extra_specs", path);
	if (rc == 0 && specs != NULL && !json_is_null(specs) && !json_is_object(specs))
		rc = bad(err, where, "expected an object of strings");
	json_object_foreach((json_t *)specs, k, v) {
		if (rc == 0 && !json_is_string(v))
			rc = vlt_err_set(err, VLT_EINVAL, "%s: %s[\"%s\"]: expected a string",
					 EXT_WHERE, where, k);
	}
	return rc;
}

static int read_spec(const json_t *body, struct ext_req *r, vlt_err_t *err)
{
	const json_t *n;
	int rc = nova_data(json_object_get(body, "spec"), "RequestSpec", "$.spec", true, &r->spec,
			   err);

	r->server = true;
	r->spec_path = SPEC;

	if (rc == 0)
		rc = opt_string(r->spec, "instance_uuid", SPEC, true, &r->instance, err);
	if (rc == 0 && strlen(r->instance) >= ID_MAX / 2)
		rc = bad(err, SPEC ".instance_uuid", "longer than an instance uuid can be");
	if (rc == 0)
		rc = opt_string(r->spec, "project_id", SPEC, false, &r->project, err);
	if (rc == 0)
		rc = opt_string(r->spec, "availability_zone", SPEC, false, &r->zone, err);
	n = json_object_get(r->spec, "num_instances");
	if (rc == 0 && n != NULL && !json_is_null(n) &&
	    (!json_is_integer(n) || json_integer_value(n) < 1))
		rc = bad(err, SPEC ".num_instances", "expected a whole number, at least 1");
	if (rc == 0)
		rc = read_flavor(r, err);
	if (rc == 0)
		rc = read_heat_hints(r, err);
	if (rc == 0)
		rc = nova_data(json_object_get(r->spec, "instance_group"), "InstanceGroup",
			       SPEC ".instance_group", false, &r->group, err);
	return rc;
}

/* $.weights and $.context: only their shape is Valet's business. */
static int check_weights_context(const json_t *body, vlt_err_t *err)
{
	const json_t *w = json_object_get(body, "weights");
	const json_t *ctx = json_object_get(body, "context");

	if (w != NULL && !json_is_null(w) && !json_is_object(w))
		return bad(err, "$.weights", "expected an object of host weights");
	if (ctx != NULL && !json_is_null(ctx) && !json_is_object(ctx))
		return bad(err, "$.context", "expected an object (the request context)");
	return 0;
}

static int read_request(const json_t *body, struct ext_req *r, vlt_err_t *err)
{
	int rc = read_spec(body, r, err);

	if (rc == 0)
		rc = check_weights_context(body, err);
	if (rc == 0 && ((rc = opt_bool(body, "rebuild", &r->rebuild, err)) < 0 ||
			(rc = opt_bool(body, "resize", &r->resize, err)) < 0 ||
			(rc = opt_bool(body, "live", &r->live, err)) < 0))
		return rc;
	bool vmware;
	if (rc == 0)
		rc = opt_bool(body, "vmware", &vmware, err);
	return rc == 0 ? read_hosts(body, true, &r->hosts, err) : rc;
}

/* $.spec.volume_properties: the volume's size, project and zone. */
static int read_volume_properties(struct ext_req *r, vlt_err_t *err)
{
#define VOLUME_PROPS CINDER_SPEC ".volume_properties"
	static const char path[] = VOLUME_PROPS;
	const json_t *props = json_object_get(r->spec, "volume_properties");
	const json_t *size = json_object_get(props, "size");
	int rc = 0;

	if (!json_is_object(props))
		return bad(err, path, props == NULL ? "missing (expected an object)"
						    : "expected an object");
	if (!json_is_integer(size) || json_integer_value(size) < 1)
		return bad(err, VOLUME_PROPS ".size", "expected a whole number of gigabytes, at least 1");
	r->size_gb = json_integer_value(size);
	if ((rc = opt_string(props, "project_id", path, false, &r->project, err)) < 0 ||
	    (rc = opt_string(props, "availability_zone", path, false, &r->zone, err)) < 0)
		return rc;
	return 0;
}

/*
 * Only the pools of resource_backend, when the spec names one (a volume
 * made from a snapshot, another volume or in a group must stay on its
 * source's backend, and Cinder drops any other pool after this call):
 * "host@backend#pool" names one pool, "host@backend" every pool of it.
 */
static int keep_resource_backend(struct ext_req *r, vlt_err_t *err)
{
	const char *rb = NULL;
	int rc = opt_string(r->spec, "resource_backend", CINDER_SPEC, false, &rb, err);
	size_t n = rb != NULL ? strlen(rb) : 0;
	bool whole_pool = rb != NULL && strchr(rb, '#') != NULL;

	for (size_t i = json_array_size(r->hosts); rc == 0 && n > 0 && i-- > 0;) {
		const char *h = json_string_value(json_array_get(r->hosts, i));
		bool same = whole_pool ? strcmp(h, rb) == 0
				       : strncmp(h, rb, n) == 0 && (h[n] == '\0' || h[n] == '#');

		if (!same)
			json_array_remove(r->hosts, i);
	}
	return rc;
}

/* Cinder's body: {"spec": {request spec}, "context", "hosts": [{"host"}], "weights"}. */
static int read_cinder_request(const json_t *body, struct ext_req *r, vlt_err_t *err)
{
	const json_t *type;
	int rc = check_weights_context(body, err);

	r->server = false;
	r->spec_path = CINDER_SPEC;
	r->spec = json_object_get(body, "spec");
	if (rc == 0 && !json_is_object(r->spec))
		rc = bad(err, "$.spec", r->spec == NULL ? "missing (expected Cinder's request spec)"
							: "expected an object (Cinder's request spec)");
	if (rc == 0)
		rc = opt_string(r->spec, "volume_id", CINDER_SPEC, true, &r->instance, err);
	if (rc == 0 && strlen(r->instance) >= ID_MAX / 2)
		rc = bad(err, CINDER_SPEC ".volume_id", "longer than a volume id can be");
	if (rc == 0)
		rc = read_volume_properties(r, err);
	type = json_object_get(r->spec, "volume_type");
	if (rc == 0 && type != NULL && !json_is_null(type) && !json_is_object(type))
		rc = bad(err, CINDER_SPEC ".volume_type", "expected an object (the volume type)");
	if (rc == 0 && json_is_object(type))
		rc = opt_string(type, "name", CINDER_SPEC ".volume_type", false, &r->volume_type,
				err);
	if (rc == 0)
		rc = read_heat_hints(r, err);
	if (rc == 0)
		rc = read_hosts(body, false, &r->hosts, err);
	if (rc == 0)
		rc = keep_resource_backend(r, err);
	return rc;
}

/* ---------------------------------------------------------------- the unit's plan */

/* The unit of that kind whose resource id (Nova uuid, Cinder volume id) is id, in any plan. */
static vlt_svc_unit_t *unit_of_resource(const vlt_svc_state_t *st, const char *id, bool server,
					vlt_svc_plan_t **plan)
{
	for (vlt_svc_plan_t *p = st->first; p != NULL; p = p->next) {
		for (size_t i = 0; i < p->n_units; i++) {
			if (p->units[i].server == server &&
			    vlt__svc_same_str(p->units[i].resource_id, id)) {
				*plan = p;
				return &p->units[i];
			}
		}
	}
	return NULL;
}

/* A unit of the request's kind by placement or orchestration id, or NULL. */
static vlt_svc_unit_t *unit_by_id(const vlt_svc_state_t *st, const struct ext_req *r,
				  const char *id, vlt_svc_plan_t **p)
{
	vlt_svc_unit_t *u = r->server ? vlt__state_server(st, id, p) : vlt__state_unit(st, id, p);

	return u != NULL && u->server == r->server ? u : NULL;
}

/* The unit of a plan the request is about, or NULL: by Heat's hints, then by its id. */
static vlt_svc_unit_t *planned_unit(const vlt_svc_state_t *st, const struct ext_req *r,
				    vlt_svc_plan_t **p)
{
	const char *ids[] = { r->heat_uuid, r->heat_orch[0] != '\0' ? r->heat_orch : NULL,
			      r->instance };
	vlt_svc_unit_t *u = NULL;

	for (size_t i = 0; u == NULL && i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (ids[i] != NULL)
			u = unit_by_id(st, r, ids[i], p);
	}
	return u != NULL ? u : unit_of_resource(st, r->instance, r->server, p);
}

/* ---------------------------------------------------------------- the ad-hoc plan */

/* The Valet groups the hints name: valet_groups ([name, ...]) or valet ({"groups": [...]}). */
static json_t *hinted_groups(const json_t *hints, vlt_err_t *err, int *rc)
{
	const json_t *list = json_object_get(hints, "valet_groups");
	const json_t *valet = json_object_get(hints, "valet");
	json_t *groups = json_array(), *decoded = NULL, *x;
	size_t i;

	if (json_is_array(valet) && json_array_size(valet) == 1)
		valet = json_array_get(valet, 0);
	if (json_is_string(valet)) {
		decoded = json_loads(json_string_value(valet), 0, NULL);
		valet = decoded;
		if (!json_is_object(valet))
			*rc = bad(err, SPEC ".scheduler_hints.valet",
				  "expected {\"groups\": [names]} as JSON text");
	}
	if (valet != NULL && !json_is_array(list))
		list = json_object_get(valet, "groups");
	json_array_foreach(list, i, x) {
		if (*rc < 0)
			break;
		if (!json_is_string(x)) {
			*rc = bad(err, SPEC ".scheduler_hints.valet_groups",
				  "expected a list of Valet group names");
			break;
		}
		json_array_append(groups, x);
	}
	if (list != NULL && !json_is_array(list) && *rc == 0)
		*rc = bad(err, SPEC ".scheduler_hints.valet_groups",
			  "expected a list of Valet group names");
	json_decref(decoded);
	if (*rc < 0 || groups == NULL) {
		json_decref(groups);
		if (*rc == 0)
			*rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		return NULL;
	}
	return groups;
}

/* The spec's flavor in the plan request's inline form. */
static json_t *inline_flavor(const json_t *f)
{
	const json_t *specs = json_object_get(f, "extra_specs");
	json_int_t disk = json_integer_value(json_object_get(f, "root_gb")) +
			  json_integer_value(json_object_get(f, "ephemeral_gb"));

	return json_pack("{s:s?, s:I, s:I, s:I, s:o}", "name",
			 json_string_value(json_object_get(f, "name")), "vcpus",
			 json_integer_value(json_object_get(f, "vcpus")), "ram_mb",
			 json_integer_value(json_object_get(f, "memory_mb")), "disk_gb", disk,
			 "extra_specs",
			 json_is_object(specs) ? json_incref((json_t *)specs) : json_object());
}

/*
 * The Valet group type of a Nova server group policy (Zed's "policy", or
 * the first of the older "policies"), *soft when Nova may break it.
 * NULL: no policy Valet holds.
 */
static const char *group_type(const json_t *group, bool *soft)
{
	const char *policy = json_string_value(json_object_get(group, "policy"));

	if (policy == NULL)
		policy = json_string_value(json_array_get(json_object_get(group, "policies"), 0));
	if (policy == NULL)
		return NULL;
	*soft = strncmp(policy, "soft-", 5) == 0;
	if (*soft)
		policy += 5;
	if (strcmp(policy, "affinity") == 0)
		return "affinity";
	if (strcmp(policy, "anti-affinity") == 0)
		return "diversity";
	return NULL;
}

/*
 * The plan request of an ad-hoc plan: the instance (orchestration id and
 * name its uuid) and, with_group, an assignment of it to the named Valet
 * group that stands for its Nova server group (nova-server-group-<uuid>),
 * so that the group's next member is placed with regard to this one.
 */
static json_t *adhoc_request(const struct ext_req *r, const json_t *groups, bool with_group)
{
	json_t *props = json_pack("{s:o}", "flavor", inline_flavor(r->flavor));
	json_t *res = json_object();
	bool soft = false;
	const char *type = r->group != NULL ? group_type(r->group, &soft) : NULL;
	const char *sg = json_string_value(json_object_get(r->group, "uuid"));
	char key[ID_MAX], name[ID_MAX];

	if (props == NULL || res == NULL) {
		json_decref(props);
		json_decref(res);
		return NULL;
	}
	if (r->zone != NULL && r->zone[0] != '\0')
		json_object_set_new(props, "availability_zone", json_string(r->zone));
	if (json_array_size(groups) > 0)
		json_object_set_new(props, "metadata",
				    json_pack("{s:{s:O}}", "valet", "groups", groups));
	json_object_set_new(res, r->instance,
			    json_pack("{s:s, s:s, s:o}", "name", r->instance, "type",
				      "OS::Nova::Server", "properties", props));
	if (with_group && type != NULL && sg != NULL) {
		snprintf(key, sizeof(key), "%s/server-group", r->instance);
		snprintf(name, sizeof(name), "nova-server-group-%s", sg);
		json_object_set_new(res, key,
				    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:[s]}}", "name", name,
					      "type", "ATT::Valet::GroupAssignment", "properties",
					      "group_type", type, "group_name", name, "level",
					      "host", "resources", r->instance));
	}
	return json_pack("{s:s, s:s, s:s?, s:o}", "plan_name", r->instance, "stack_id", r->instance,
			 "tenant_id", r->project, "resources", res);
}

/*
 * The plan request of a volume no plan has: that volume alone (orchestration
 * id and name its volume id), with its size, type and zone.
 */
static json_t *adhoc_volume_request(const struct ext_req *r)
{
	json_t *props = json_pack("{s:I}", "size", r->size_gb);

	if (props != NULL && r->volume_type != NULL && r->volume_type[0] != '\0')
		json_object_set_new(props, "volume_type", json_string(r->volume_type));
	if (props != NULL && r->zone != NULL && r->zone[0] != '\0')
		json_object_set_new(props, "availability_zone", json_string(r->zone));
	if (props == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s?, s:{s:{s:s, s:s, s:o}}}", "plan_name", r->instance,
			 "stack_id", r->instance, "tenant_id", r->project, "resources",
			 r->instance, "name", r->instance, "type", "OS::Cinder::Volume",
			 "properties", props);
}

/* The plan_create entry of the ad-hoc plan: its one unit reserved where it was placed. */
static json_t *adhoc_entry(vlt_service_t *s, const struct ext_ctx *c, const json_t *req,
			   const char *loc)
{
	char pid[40];
	json_t *text = vlt__svc_request_text(req);
	vlt_svc_unit_t u = { .orch = (char *)c->r.instance,
			     .name = (char *)c->r.instance,
			     .type = (char *)(c->r.server ? "OS::Nova::Server" : "OS::Cinder::Volume"),
			     .loc = (char *)loc,
			     .pid = pid,
			     .resource_id = (char *)c->r.instance,
			     .server = c->r.server,
			     .reserved = true,
			     .t_ms = vlt__svc_now_ms(s) };
	vlt__svc_uuid(pid);
	json_t *uj = text != NULL ? vlt__units_json(&u, 1) : NULL;

	if (uj == NULL) {
		json_decref(text);
		return NULL;
	}
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s?}, s:o, s:o}", "op", "plan_create", "plan",
			 "id", c->plan_id, "stack_id", c->r.instance, "name", c->r.instance,
			 "tenant", c->r.project, "request", text, "units", uj);
}

/* Place req, its unit allowed only on the known offered hosts (pools). */
static int place_adhoc(vlt_service_t *s, struct ext_ctx *c, const json_t *req,
		       const json_t *known, vlt_place_result_t **result, vlt_err_t *err)
{
	vlt_svc_locs_t allowed = { 0 };
	int rc = vlt__svc_locs_add(s, &allowed, c->r.instance, c->r.server, known,
				   c->r.server ? "offered hosts" : "offered pools", err);
	vlt_place_opts_t o = { .plan_id = c->plan_id,
			       .tenant_id = c->r.project,
			       .allowed = allowed.v,
			       .n_allowed = allowed.n };

	if (rc == 0)
		rc = vlt__svc_place(s, req, &o, result, err);
	vlt__svc_locs_free(&allowed);
	return rc;
}

static int decide_adhoc(vlt_service_t *s, struct ext_ctx *c, const json_t *known, json_t **entry,
			bool *engine_done, vlt_err_t *err)
{
	int rc = 0;
	bool soft = false;
	/* Valet groups are named for servers only: a volume's follow from its attachments */
	json_t *groups = c->r.server ? hinted_groups(c->r.hints, err, &rc) : json_array();
	json_t *req = NULL;
	vlt_place_result_t *result = NULL;

	if (rc < 0 || groups == NULL) {
		json_decref(groups);
		return rc < 0 ? rc : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	c->adhoc = true;
	vlt__svc_uuid(c->plan_id);
	snprintf(c->orch, sizeof(c->orch), "%s", c->r.instance);
	if (vlt__state_plan_of_orch(&s->st, c->r.instance) != NULL ||
	    vlt__strmap_get(&s->st.by_stack, c->r.instance) != NULL)
		rc = vlt_err_set(err, VLT_ECONFLICT,
				 "%s: %s %s: a plan holds this id already, not as a %s", EXT_WHERE,
				 c->r.server ? "instance" : "volume", c->r.instance,
				 c->r.server ? "server" : "volume");
	if (rc == 0 && (req = c->r.server ? adhoc_request(&c->r, groups, true)
					  : adhoc_volume_request(&c->r)) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = place_adhoc(s, c, req, known, &result, err);
	/* a soft policy is Nova's wish, not a rule: without it, if that is what it takes */
	if (rc == VLT_ENOPLACE && c->r.group != NULL && group_type(c->r.group, &soft) != NULL &&
	    soft) {
		json_decref(req);
		req = adhoc_request(&c->r, groups, false);
		c->soft_group_dropped = true;
		rc = req != NULL ? place_adhoc(s, c, req, known, &result, err)
				 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (rc == 0) {
		const vlt_placed_unit_t *pl = vlt__place_result_unit(result, c->r.instance);

		*engine_done = true;
		*entry = pl != NULL ? adhoc_entry(s, c, req, pl->location) : NULL;
		if (*entry == NULL) {
			vlt__engine_release(s->engine, c->plan_id);
			*engine_done = false;
			rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
		}
	}
	vlt__place_result_free(result);
	json_decref(req);
	json_decref(groups);
	return rc;
}

/* ---------------------------------------------------------------- the decision */

/* A planned server again among the offered hosts: replan, or migrate when Nova moves it live. */
static int decide_replace(vlt_service_t *s, struct ext_ctx *c, vlt_svc_plan_t *p,
			  vlt_svc_unit_t *u, const json_t *known, json_t **entry,
			  bool *engine_done, vlt_err_t *err)
{
	json_t *away = c->r.live && vlt__svc_unit_placed(s, u) ? json_pack("[s]", u->loc) : NULL;
	vlt_svc_replace_t how = { .why = c->r.live ? "migrate" : "replan",
				  .tenant = p->tenant,
				  .pin_reserved_only = !c->r.live,
				  .allowed_hosts = known,
				  .excluded_hosts = away,
				  .reserve = true,
				  .resource_id = c->r.instance };
	int rc = vlt__svc_replace_server(s, p, u, &how, entry, engine_done, err);

	json_decref(away);
	return rc;
}

/* The plan's request with u's flavor the spec's (new reference), or NULL. */
static json_t *resized_request(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u,
			       const struct ext_req *r)
{
	json_t *req = json_deep_copy(p->request);
	json_t *props = json_object_get(json_object_get(json_object_get(req, "resources"), u->orch),
					"properties");

	if (!json_is_object(props) ||
	    json_object_set_new(props, "flavor", inline_flavor(r->flavor)) < 0) {
		json_decref(req);
		return NULL;
	}
	return req;
}

/* Does the plan's request give u the spec's flavor already (a resize answered before)? */
static bool has_spec_flavor(const vlt_svc_plan_t *p, const vlt_svc_unit_t *u,
			    const struct ext_req *r)
{
	const json_t *props = json_object_get(
		json_object_get(json_object_get(p->request, "resources"), u->orch), "properties");
	json_t *want = inline_flavor(r->flavor);
	bool same = json_equal(json_object_get(props, "flavor"), want);

	json_decref(want);
	return same;
}

/*
 * A resize: the server placed again among the offered hosts (its own
 * among them when Nova offers it) with the spec's flavor, which becomes
 * its flavor in the plan's request; every held sibling stays where it is.
 */
static int decide_resize(vlt_service_t *s, struct ext_ctx *c, vlt_svc_plan_t *p,
			 vlt_svc_unit_t *u, const json_t *known, json_t **entry, bool *engine_done,
			 vlt_err_t *err)
{
	json_t *req = resized_request(p, u, &c->r);
	vlt_svc_replace_t how = { .why = "resize",
				  .tenant = p->tenant,
				  .allowed_hosts = known,
				  .reserve = true,
				  .resource_id = c->r.instance,
				  .request = req };
	int rc = req != NULL ? vlt__svc_replace_server(s, p, u, &how, entry, engine_done, err)
			     : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	json_decref(req);
	return rc;
}

static int decide_external(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			   vlt_err_t *err)
{
	struct ext_ctx *c = arg;
	vlt_svc_plan_t *p = NULL;
	vlt_svc_unit_t *u = planned_unit(&s->st, &c->r, &p);
	json_t *known = vlt__svc_known_locations(s, c->r.hosts, c->r.server);
	int rc = 0;

	c->adhoc = false;
	c->soft_group_dropped = false;
	if (known == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (u != NULL) {
		snprintf(c->plan_id, sizeof(c->plan_id), "%s", p->id);
		snprintf(c->orch, sizeof(c->orch), "%s", u->orch);
		rc = vlt__svc_reservable(s, p, err); /* a reservation's, only while it is active */
	}
	if (rc < 0) {
		json_decref(known);
		return rc;
	}
	bool resized = u != NULL && c->r.server && c->r.resize && !has_spec_flavor(p, u, &c->r);
	if (u != NULL && !resized && vlt__svc_unit_placed(s, u) &&
	    vlt__svc_in_list(c->r.hosts, u->loc)) {
		json_decref(known);
		if (u->reserved && vlt__svc_same_str(u->resource_id, c->r.instance))
			return 1; /* reserved there already: the same answer again */
		*entry = json_pack("{s:s, s:s, s:s, s:s}", "op", "reserve", "plan_id", p->id,
				   "orch", u->orch, "resource_id", c->r.instance);
		return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (rc == 0 && json_array_size(known) == 0)
		rc = vlt_err_set(err, VLT_ENOPLACE,
				 "%s: %s %s: none of the %zu offered %s is in the inventory",
				 EXT_WHERE, c->r.server ? "instance" : "volume", c->r.instance,
				 json_array_size(c->r.hosts), c->r.server ? "hosts" : "pools");
	if (rc == 0 && resized)
		rc = decide_resize(s, c, p, u, known, entry, engine_done, err);
	else if (rc == 0)
		rc = u != NULL ? decide_replace(s, c, p, u, known, entry, engine_done, err)
			       : decide_adhoc(s, c, known, entry, engine_done, err);
	json_decref(known);
	return rc;
}

static void undo_external(vlt_service_t *s, void *arg)
{
	struct ext_ctx *c = arg;

	if (c->adhoc)
		vlt__engine_release(s->engine, c->plan_id);
	else
		vlt__svc_rehold(s, c->plan_id);
}

/* {"hosts": [its host]}: only ever a host (pool) the caller offered. */
static int done_external(vlt_service_t *s, void *arg, vlt_err_t *err)
{
	struct ext_ctx *c = arg;
	vlt_svc_plan_t *p = vlt__state_plan_by_id(&s->st, c->plan_id);
	const vlt_svc_unit_t *u = p != NULL ? vlt__state_unit_of(p, c->orch) : NULL;
	bool offered = u != NULL && u->loc != NULL && vlt__svc_in_list(c->r.hosts, u->loc);
	const char *what = c->r.server ? "instance" : "volume";

	if (!offered)
		vlt__log(NULL, VLT_LOG_ERR, "%s: %s %s: its placement is on no offered %s",
			 EXT_WHERE, what, c->r.instance, c->r.server ? "host" : "pool");
	if (c->soft_group_dropped)
		vlt__log(NULL, VLT_LOG_NOTICE,
			 "%s: instance %s: placed outside its server group's soft policy, "
			 "which no offered host could keep",
			 EXT_WHERE, c->r.instance);
	c->answer = offered ? json_pack("{s:[s]}", "hosts", u->loc) : json_pack("{s:[]}", "hosts");
	return c->answer != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

/* The one decision for a server (Nova) or a volume (Cinder), once the body is read into c. */
static int unit_external(vlt_service_t *s, struct ext_ctx *c, int rc, json_t **answer,
			 vlt_err_t *err)
{
	if (rc == 0)
		rc = vlt__svc_write(s, decide_external, undo_external, done_external, c, err);
	if (rc == VLT_ENOPLACE) {
		/* Nova and Cinder read an empty list as "no valid host": nothing is built */
		vlt__log(NULL, VLT_LOG_WARNING, "%s", err->msg);
		c->answer = json_pack("{s:[]}", "hosts");
		rc = c->answer != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	json_decref(c->r.hosts);
	if (rc == 0)
		*answer = c->answer;
	return rc;
}

int vlt__service_nova_external(vlt_service_t *s, const json_t *body, json_t **answer,
			       vlt_err_t *err)
{
	struct ext_ctx c;

	memset(&c, 0, sizeof(c));
	if (!json_is_object(body))
		return bad(err, "$", "expected a JSON object");
	return unit_external(s, &c, read_request(body, &c.r, err), answer, err);
}

int vlt__service_cinder_external(vlt_service_t *s, const json_t *body, json_t **answer,
				 vlt_err_t *err)
{
	struct ext_ctx c;

	memset(&c, 0, sizeof(c));
	if (!json_is_object(body))
		return bad(err, "$", "expected a JSON object");
	return unit_external(s, &c, read_cinder_request(body, &c.r, err), answer, err);
}

/*
 * Manila: Valet does not place shares. The offered hosts are answered as
 * offered, in Manila's order, which the fork takes as its own list
 * unchanged; a failed call would do the same but log an error for every
 * share. Nothing is read from the state or written.
 */
int vlt__service_manila_external(const json_t *body, json_t **answer, vlt_err_t *err)
{
	const json_t *spec = json_object_get(body, "spec");
	json_t *hosts = NULL;
	int rc = json_is_object(body) ? check_weights_context(body, err)
				      : bad(err, "$", "expected a JSON object");

	if (rc == 0 && !json_is_object(spec))
		rc = bad(err, "$.spec", spec == NULL ? "missing (expected Manila's request spec)"
						     : "expected an object (Manila's request spec)");
	if (rc == 0)
		rc = read_hosts(body, false, &hosts, err);
	if (rc == 0 && (*answer = json_pack("{s:o}", "hosts", hosts)) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return rc;
}
