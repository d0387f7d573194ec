/*
 * op_groups.c - named groups and their members (upstream §2.5): the
 * documents, the checks, which servers of a plan belong to a group (for
 * "a member with servers in the group cannot leave"), and the "group_put"
 * and "group_delete" entries, which also give the engine the named groups
 * in force.
 *
 * A group without members can be deleted even while plans name it (as
 * upstream allowed: Heat may delete a stack's OS::Valet::Group before the
 * plan that names it is gone). Those plans keep what they were planned
 * with: the group is retired, known to the engine when it restores their
 * holds and to nothing else, until no plan names it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ops.h"
#include "stack.h"
#include "strmap.h"

#define GROUP_WHERE "group"
#define NAME_MAX_LEN 255
#define DESC_MAX_LEN 4096
/* Upstream 1.0 groups had no level; a client of that API still sends none. */
#define DEFAULT_LEVEL "host"

static json_t *groups_doc(vlt_service_t *s)
{
	json_t *retired = json_array();
	const char *name;
	json_t *g;

	json_object_foreach(s->st.retired, name, g)
		json_array_append(retired, g);
	return json_pack("{s:O, s:o}", "groups", s->st.groups, "retired", retired);
}

/* A group by id only (not by name: a put replaces the group with its id). */
static json_t *group_by_id(vlt_service_t *s, const char *id, size_t *index)
{
	for (size_t i = 0; i < json_array_size(s->st.groups); i++) {
		json_t *g = json_array_get(s->st.groups, i);
		const char *gid = json_string_value(json_object_get(g, "id"));

		if (gid != NULL && strcmp(gid, id) == 0) {
			*index = i;
			return g;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- entries */

static const vlt_svc_plan_t *plan_using(vlt_service_t *s, const json_t *g);

/* Retired groups that no plan names any more are forgotten. */
static void forget_retired(vlt_service_t *s)
{
	const char *name;
	void *tmp;
	json_t *g;

	json_object_foreach_safe(s->st.retired, tmp, name, g) {
		if (plan_using(s, g) == NULL)
			json_object_del(s->st.retired, name);
	}
}

int vlt__svc_groups_to_engine(vlt_service_t *s, const char *where, vlt_err_t *err)
{
	json_t *doc = groups_doc(s);
	int rc = doc != NULL ? vlt__engine_set_groups(s->engine, doc, where, err)
			     : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	json_decref(doc);
	if (rc < 0)
		vlt__log(NULL, VLT_LOG_ERR, "named groups not given to the engine: %s", err->msg);
	return rc;
}

static int push_groups(vlt_service_t *s, const char *where, vlt_err_t *err)
{
	forget_retired(s);
	return vlt__svc_groups_to_engine(s, where, err);
}

int vlt__apply_group_put(void *svc, const json_t *e, bool decided_here, const char *where,
			 vlt_err_t *err)
{
	vlt_service_t *s = svc;
	json_t *g = json_object_get(e, "group");
	const char *id = json_string_value(json_object_get(g, "id"));
	json_t *copy = id != NULL ? json_deep_copy(g) : NULL;
	size_t i = 0;
	(void)decided_here;

	if (id == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: a group_put entry lacks its group", where);
	if (copy == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (group_by_id(s, id, &i) != NULL)
		json_array_set_new(s->st.groups, i, copy);
	else
		json_array_append_new(s->st.groups, copy);
	return push_groups(s, where, err);
}

int vlt__apply_group_delete(void *svc, const json_t *e, bool decided_here, const char *where,
			    vlt_err_t *err)
{
	vlt_service_t *s = svc;
	const char *id = json_string_value(json_object_get(e, "group_id"));
	size_t i = 0;
	json_t *g;
	(void)decided_here;

	if (id == NULL || (g = vlt__state_group(&s->st, id, &i)) == NULL)
		return vlt_err_set(err, VLT_ENOENT, "%s: no group '%s'", where,
				   id != NULL ? id : "");
	if (plan_using(s, g) != NULL) {
		const char *name = json_string_value(json_object_get(g, "name"));

		if (name == NULL || json_object_set(s->st.retired, name, g) != 0)
			return vlt_err_set(err, VLT_ENOMEM, "out of memory");
		vlt__log(NULL, VLT_LOG_NOTICE,
			 "group %s deleted while plans name it: they keep it, new plans cannot",
			 name);
	}
	json_array_remove(s->st.groups, i);
	return push_groups(s, where, err);
}

/* ---------------------------------------------------------------- membership of servers */

/*
 * The servers of plan p in group g (named by its id or name, directly or
 * through assignments: the parser's rule), as a new array of their
 * resource ids (or orchestration ids until reserved); held ones only when
 * held_only.
 */
static json_t *group_servers(const vlt_svc_plan_t *p, const json_t *g, bool held_only)
{
	const char *id = json_string_value(json_object_get(g, "id"));
	const char *name = json_string_value(json_object_get(g, "name"));
	json_t *out = json_array();
	json_t *set = out != NULL && id != NULL && name != NULL
			      ? vlt__request_group_servers(p->request, id, name)
			      : NULL;

	if (set == NULL)
		return out;
	for (size_t i = 0; i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];

		if (!u->server || json_object_get(set, u->orch) == NULL ||
		    (held_only && u->expired))
			continue;
		json_array_append_new(
			out, json_string(u->resource_id != NULL ? u->resource_id : u->orch));
	}
	json_decref(set);
	return out;
}

/* ---------------------------------------------------------------- checks */

/* A group's type is the name of a loaded policy. */
static bool policy_loaded(vlt_service_t *s, const char *type)
{
	return vlt__modules_find(s->opts.mods, VLT_KIND_POLICY, type) != NULL;
}

static void policy_names(vlt_service_t *s, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->opts.mods->n_policies && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "",
				 s->opts.mods->policies[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Tenant ids go into URLs and messages: the group-name alphabet, at most 255 bytes. */
static bool tenant_valid(const char *t)
{
	return strlen(t) <= NAME_MAX_LEN && vlt__group_name_valid(t);
}

static int check_keys(const json_t *body, const char *const *known, const char *where,
		      vlt_err_t *err)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)body, k, v) {
		bool ok = false;

		for (size_t i = 0; known[i] != NULL; i++)
			ok = ok || strcmp(known[i], k) == 0;
		if (!ok)
			return vlt_err_set(err, VLT_EINVAL, "%s: $.%s: unknown field", where, k);
	}
	return 0;
}

static int validate_new_group(vlt_service_t *s, const json_t *body, vlt_err_t *err)
{
	static const char *const known[] = { "name", "type", "level", "description", NULL };
	const char *name, *type, *level = NULL, *desc;
	char names[256];
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", GROUP_WHERE);
	if ((rc = check_keys(body, known, GROUP_WHERE, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "name", true, GROUP_WHERE, &name, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "type", true, GROUP_WHERE, &type, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "level", false, GROUP_WHERE, &level, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "description", false, GROUP_WHERE, &desc, err)) < 0)
		return rc;
	if (level == NULL)
		level = DEFAULT_LEVEL;
	if (strlen(name) > NAME_MAX_LEN || !vlt__group_name_valid(name))
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.name: '%s' is not a valid group name (1 to %d letters, "
				   "digits and - . _ ~)",
				   GROUP_WHERE, name, NAME_MAX_LEN);
	if (!policy_loaded(s, type)) {
		policy_names(s, names, sizeof(names));
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.type: unknown group type '%s' (one of: %s)", GROUP_WHERE,
				   type, names);
	}
	if (vlt__level_parse(level) < 0)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.level: unknown level '%s' (host, rack or cluster)",
				   GROUP_WHERE, level);
	if (desc != NULL && strlen(desc) > DESC_MAX_LEN)
		return vlt_err_set(err, VLT_EINVAL, "%s: $.description: longer than %d bytes",
				   GROUP_WHERE, DESC_MAX_LEN);
	return 0;
}

/* ---------------------------------------------------------------- writes */

struct group_ctx {
	const char *id; /* as the client named it */
	const json_t *body;
	const char *member; /* for member removal; NULL: all */
	const char *owner;  /* for creation: the project that makes it; NULL: none */
	char gid[64];	    /* the group's id once found */
	json_t *answer;
};

static json_t *put_entry(json_t *group)
{
	return json_pack("{s:s, s:o}", "op", "group_put", "group", group);
}

static int found_group(vlt_service_t *s, struct group_ctx *c, json_t **g, vlt_err_t *err)
{
	*g = vlt__state_group(&s->st, c->id, NULL);
	if (*g == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Group not found");
	snprintf(c->gid, sizeof(c->gid), "%s", json_string_value(json_object_get(*g, "id")));
	return 0;
}

static int decide_group_create(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			       vlt_err_t *err)
{
	struct group_ctx *c = arg;
	const json_t *b = c->body;
	const char *name = json_string_value(json_object_get(b, "name"));
	const char *desc = json_string_value(json_object_get(b, "description"));
	const char *level = json_string_value(json_object_get(b, "level"));
	(void)engine_done;

	if (vlt__state_group(&s->st, name, NULL) != NULL)
		return vlt_err_set(err, VLT_EINVAL, "A group named %s already exists", name);
	/* the plans that keep it would find the new group under its name */
	const json_t *retired = json_object_get(s->st.retired, name);
	if (retired != NULL && plan_using(s, retired) != NULL)
		return vlt_err_set(err, VLT_ECONFLICT,
				   "A group named %s was deleted while plans still name it; delete "
				   "or update them first",
				   name);
	vlt__svc_uuid(c->gid);
	json_t *g = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[]}", "id", c->gid, "name", name,
			      "description", desc != NULL ? desc : "", "type",
			      json_string_value(json_object_get(b, "type")), "level",
			      level != NULL ? level : DEFAULT_LEVEL, "members");
	/* the project that made it: who may change it (core/api/auth_policy.h) */
	if (g != NULL && c->owner != NULL &&
	    json_object_set_new(g, "owner", json_string(c->owner)) < 0) {
		json_decref(g);
		g = NULL;
	}
	*entry = g != NULL ? put_entry(g) : NULL;
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static int done_group(vlt_service_t *s, void *arg, vlt_err_t *err)
{
	struct group_ctx *c = arg;
	json_t *g = vlt__state_group(&s->st, c->gid, NULL);

	if (g == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Group not found");
	c->answer = json_deep_copy(g);
	return c->answer != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_group_create(vlt_service_t *s, const json_t *body, json_t **group, vlt_err_t *err)
{
	return vlt__service_group_create_owned(s, body, NULL, group, err);
}

int vlt__service_group_create_owned(vlt_service_t *s, const json_t *body, const char *owner,
				    json_t **group, vlt_err_t *err)
{
	struct group_ctx c = { .body = body, .owner = owner };
	int rc = validate_new_group(s, body, err);

	if (rc == 0 && owner != NULL && strlen(owner) > NAME_MAX_LEN)
		rc = vlt_err_set(err, VLT_EINVAL, "%s: the owner project id is longer than %d bytes",
				 GROUP_WHERE, NAME_MAX_LEN);

	if (rc == 0)
		rc = vlt__svc_write(s, decide_group_create, NULL, done_group, &c, err);
	if (rc == 0)
		*group = c.answer;
	return rc;
}

static int decide_group_update(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			       vlt_err_t *err)
{
	struct group_ctx *c = arg;
	const char *desc = json_string_value(json_object_get(c->body, "description"));
	json_t *g;
	int rc = found_group(s, c, &g, err);
	(void)engine_done;

	if (rc < 0)
		return rc;
	/* name, type and level are immutable: the same values are accepted, others not */
	static const char *const fixed[] = { "name", "type", "level" };
	for (size_t i = 0; i < 3; i++) {
		const json_t *v = json_object_get(c->body, fixed[i]);

		if (v != NULL && !json_equal(v, json_object_get(g, fixed[i])))
			return vlt_err_set(err, VLT_EINVAL,
					   "%s: $.%s: a group's %s cannot be changed", GROUP_WHERE,
					   fixed[i], fixed[i]);
	}
	if (desc == NULL ||
	    json_equal(json_object_get(g, "description"), json_object_get(c->body, "description")))
		return 1;
	json_t *copy = json_deep_copy(g);
	if (copy != NULL)
		json_object_set_new(copy, "description", json_string(desc));
	*entry = copy != NULL ? put_entry(copy) : NULL;
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_group_update(vlt_service_t *s, const char *id, const json_t *body, json_t **group,
			      vlt_err_t *err)
{
	static const char *const known[] = { "name", "type", "level", "description", NULL };
	struct group_ctx c = { .id = id, .body = body };
	const char *desc;
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected a JSON object", GROUP_WHERE);
	if ((rc = check_keys(body, known, GROUP_WHERE, err)) < 0 ||
	    (rc = vlt__svc_want_string(body, "description", false, GROUP_WHERE, &desc, err)) < 0)
		return rc;
	if (desc != NULL && strlen(desc) > DESC_MAX_LEN)
		return vlt_err_set(err, VLT_EINVAL, "%s: $.description: longer than %d bytes",
				   GROUP_WHERE, DESC_MAX_LEN);
	rc = vlt__svc_write(s, decide_group_update, NULL, done_group, &c, err);
	if (rc == 0)
		*group = c.answer;
	return rc;
}

/* A plan (any) whose request names the group, which its holds need. */
static const vlt_svc_plan_t *plan_using(vlt_service_t *s, const json_t *g)
{
	for (const vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next) {
		json_t *servers = group_servers(p, g, false);
		size_t n = json_array_size(servers);

		json_decref(servers);
		if (n > 0)
			return p;
	}
	return NULL;
}

static int decide_group_delete(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			       vlt_err_t *err)
{
	struct group_ctx *c = arg;
	json_t *g;
	int rc = found_group(s, c, &g, err);
	(void)engine_done;

	if (rc < 0)
		return rc;
	if (json_array_size(json_object_get(g, "members")) > 0)
		return vlt_err_set(err, VLT_ECONFLICT, "Unable to delete a Group with members.");
	*entry = json_pack("{s:s, s:s}", "op", "group_delete", "group_id", c->gid);
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_group_delete(vlt_service_t *s, const char *id, vlt_err_t *err)
{
	struct group_ctx c = { .id = id };

	return vlt__svc_write(s, decide_group_delete, NULL, NULL, &c, err);
}

static int decide_members_add(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			      vlt_err_t *err)
{
	struct group_ctx *c = arg;
	json_t *g;
	int rc = found_group(s, c, &g, err);
	size_t i;
	json_t *m;
	(void)engine_done;

	if (rc < 0)
		return rc;
	json_t *copy = json_deep_copy(g);
	json_t *members = json_object_get(copy, "members");
	size_t before = json_array_size(members);
	/* a set of the members, so that the update is linear under the service's lock */
	vlt_strmap_t seen = { 0 };
	json_array_foreach(members, i, m) {
		if (rc == 0)
			rc = vlt__strmap_put(&seen, json_string_value(m), m);
	}
	json_array_foreach(json_object_get(c->body, "members"), i, m) {
		const char *t = json_string_value(m);

		if (rc == 0 && vlt__strmap_get(&seen, t) == NULL &&
		    (rc = vlt__strmap_put(&seen, t, m)) == 0)
			json_array_append(members, m);
	}
	vlt__strmap_clear(&seen);
	if (copy == NULL || rc < 0) {
		json_decref(copy);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	if (json_array_size(members) == before) {
		json_decref(copy);
		return 1; /* nothing new: the group as it is */
	}
	if (json_array_size(members) > s->opts.max_members) {
		json_decref(copy);
		return vlt_err_set(err, VLT_EINVAL,
				   "members: group %s would have %zu members; at most %u are "
				   "accepted (service.max_members)",
				   c->id, json_array_size(members), s->opts.max_members);
	}
	*entry = put_entry(copy);
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_members_add(vlt_service_t *s, const char *id, const json_t *body, json_t **group,
			     vlt_err_t *err)
{
	static const char *const known[] = { "members", NULL };
	struct group_ctx c = { .id = id, .body = body };
	const json_t *members;
	size_t i;
	json_t *m;
	int rc;

	if (!json_is_object(body))
		return vlt_err_set(err, VLT_EINVAL, "members: $: expected a JSON object");
	if ((rc = check_keys(body, known, "members", err)) < 0 ||
	    (rc = vlt__svc_want_strings(body, "members", true, "members", &members, err)) < 0)
		return rc;
	if (json_array_size(members) == 0)
		return vlt_err_set(err, VLT_EINVAL, "members: $.members: empty (list tenant ids)");
	if (json_array_size(members) > s->opts.max_members)
		return vlt_err_set(err, VLT_EINVAL,
				   "members: $.members: %zu tenant ids; at most %u are accepted "
				   "(service.max_members)",
				   json_array_size(members), s->opts.max_members);
	json_array_foreach(members, i, m) {
		if (!tenant_valid(json_string_value(m)))
			return vlt_err_set(err, VLT_EINVAL,
					   "members: $.members[%zu]: '%s' is not a tenant id "
					   "(1 to %d letters, digits and - . _ ~)",
					   i, json_string_value(m), NAME_MAX_LEN);
	}
	rc = vlt__svc_write(s, decide_members_add, NULL, done_group, &c, err);
	if (rc == 0)
		*group = c.answer;
	return rc;
}

/* 409 when tenant has held servers in group g. */
static int check_no_servers(vlt_service_t *s, const json_t *g, const char *tenant, vlt_err_t *err)
{
	for (const vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next) {
		if (p->tenant == NULL || strcmp(p->tenant, tenant) != 0)
			continue;
		json_t *servers = group_servers(p, g, true);
		if (json_array_size(servers) > 0) {
			char *list = json_dumps(servers, JSON_COMPACT);
			int rc = vlt_err_set(err, VLT_ECONFLICT,
					     "Tenant Member %s has servers in group \"%s\": %s",
					     tenant, json_string_value(json_object_get(g, "name")),
					     list != NULL ? list : "[...]");
			free(list);
			json_decref(servers);
			return rc;
		}
		json_decref(servers);
	}
	return 0;
}

static int decide_members_remove(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
				 vlt_err_t *err)
{
	struct group_ctx *c = arg;
	json_t *g;
	int rc = found_group(s, c, &g, err);
	size_t i, at = 0;
	json_t *m;
	bool found = false;
	(void)engine_done;

	if (rc < 0)
		return rc;
	json_t *members = json_object_get(g, "members");
	json_array_foreach(members, i, m) {
		const char *t = json_string_value(m);

		if (c->member != NULL && strcmp(t, c->member) != 0)
			continue;
		found = true;
		at = i;
		if ((rc = check_no_servers(s, g, t, err)) < 0)
			return rc;
	}
	if (c->member != NULL && !found)
		return vlt_err_set(err, VLT_ENOENT, "Member not found in group");
	if (json_array_size(members) == 0)
		return 1;
	json_t *copy = json_deep_copy(g);
	if (copy != NULL && c->member != NULL)
		json_array_remove(json_object_get(copy, "members"), at);
	else if (copy != NULL)
		json_array_clear(json_object_get(copy, "members"));
	*entry = copy != NULL ? put_entry(copy) : NULL;
	return *entry != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_members_remove(vlt_service_t *s, const char *id, const char *member,
				vlt_err_t *err)
{
	struct group_ctx c = { .id = id, .member = member };

	return vlt__svc_write(s, decide_members_remove, NULL, NULL, &c, err);
}

/* ---------------------------------------------------------------- reads */

int vlt__service_groups(vlt_service_t *s, json_t **groups, vlt_err_t *err)
{
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	*groups = json_pack("{s:o}", "groups", json_deep_copy(s->st.groups));
	vlt__svc_read_end(s);
	return *groups != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static int answer_group(vlt_service_t *s, const char *id, json_t **group, vlt_err_t *err)
{
	json_t *g = vlt__state_group(&s->st, id, NULL);

	if (g == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Group not found");
	*group = json_deep_copy(g);
	return *group != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

int vlt__service_group_get(vlt_service_t *s, const char *id, json_t **group, vlt_err_t *err)
{
	return vlt__svc_read_one(s, answer_group, id, group, err);
}

int vlt__service_member_check(vlt_service_t *s, const char *id, const char *member, vlt_err_t *err)
{
	int rc = vlt__svc_read_begin(s, err);
	size_t i;
	json_t *m;

	if (rc < 0)
		return rc;
	json_t *g = vlt__state_group(&s->st, id, NULL);
	bool found = false;
	json_array_foreach(json_object_get(g, "members"), i, m) {
		found = found || strcmp(json_string_value(m), member) == 0;
	}
	vlt__svc_read_end(s);
	if (g == NULL)
		return vlt_err_set(err, VLT_ENOENT, "Group not found");
	return found ? 0 : vlt_err_set(err, VLT_ENOENT, "Member not found in group");
}
