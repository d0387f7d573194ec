/*
 * groups.c - the registry of named groups (placement contract section 3):
 * parsing {"groups": [...]}, lookups by id or name, and topology level names.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stack.h"

static const char *const level_names[VLT_LEVEL_COUNT] = {
	[VLT_LEVEL_HOST] = "host",
	[VLT_LEVEL_RACK] = "rack",
	[VLT_LEVEL_CLUSTER] = "cluster",
	[VLT_LEVEL_DC] = "datacenter",
};

/* Only the levels a group may name; the data center is not one of them. */
int vlt__level_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = VLT_LEVEL_HOST; i <= VLT_LEVEL_CLUSTER; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *vlt__level_name(vlt_level_t lvl)
{
	if ((unsigned)lvl >= VLT_LEVEL_COUNT)
		return "unknown";
	return level_names[lvl];
}

/* RFC 3986 unreserved characters, as upstream's group-name rule. */
bool vlt__group_name_valid(const char *name)
{
	/* "." and ".." would read as paths wherever a name becomes one (a URL, a file) */
	if (name == NULL || *name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (!ok)
			return false;
	}
	return true;
}

static void named_group_clear(vlt_named_group_t *g)
{
	free(g->id);
	free(g->name);
	free(g->type);
	free(g->description);
	for (size_t i = 0; i < g->n_members; i++)
		free(g->members[i]);
	free(g->members);
	memset(g, 0, sizeof(*g));
}

void vlt__groups_free(vlt_group_registry_t *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i < reg->n_groups; i++)
		named_group_clear(&reg->groups[i]);
	free(reg->groups);
	reg->groups = NULL;
	reg->n_groups = 0;
}

const vlt_named_group_t *vlt__groups_find(const vlt_group_registry_t *reg, const char *ref)
{
	if (reg == NULL || ref == NULL)
		return NULL;
	/* Ids first: a uuid never collides with a name by accident. */
	for (size_t i = 0; i < reg->n_groups; i++)
		if (strcmp(reg->groups[i].id, ref) == 0)
			return &reg->groups[i];
	for (size_t i = 0; i < reg->n_groups; i++)
		if (strcmp(reg->groups[i].name, ref) == 0)
			return &reg->groups[i];
	return NULL;
}

/*
 * A string member of obj: *out = a heap copy (NULL when absent and optional).
 * RET 0 or VLT_EINVAL naming where and the path.
 */
static int take_str(const json_t *obj, const char *key, bool required, const char *where,
		    const char *path, char **out, vlt_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.%s: missing (expected a string)",
				   where, path, key);
	}
	if (!json_is_string(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.%s: expected a string", where, path,
				   key);
	*out = strdup(json_string_value(v));
	return *out == NULL ? vlt_err_set(err, VLT_ENOMEM, "%s: out of memory", where) : 0;
}

static int parse_members(vlt_named_group_t *g, const json_t *obj, const char *where,
			 const char *path, vlt_err_t *err)
{
	json_t *arr = json_object_get(obj, "members");

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.members: expected a list of tenant ids",
				   where, path);
	size_t n = json_array_size(arr);
	if (n == 0)
		return 0;
	g->members = calloc(n, sizeof(*g->members));
	if (g->members == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "%s: out of memory", where);
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(arr, i);
		if (!json_is_string(m))
			return vlt_err_set(err, VLT_EINVAL, "%s: %s.members[%zu]: expected a string",
					   where, path, i);
		g->members[i] = strdup(json_string_value(m));
		if (g->members[i] == NULL)
			return vlt_err_set(err, VLT_ENOMEM, "%s: out of memory", where);
		g->n_members = i + 1;
	}
	return 0;
}

/* One entry of the list; g is zeroed and owns what it gets even on failure. */
static int parse_one(vlt_named_group_t *g, const json_t *obj, const char *where,
		     const char *path, vlt_err_t *err)
{
	char *level = NULL;
	int rc;

	if (!json_is_object(obj))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s: expected an object", where, path);
	if ((rc = take_str(obj, "name", true, where, path, &g->name, err)) != 0 ||
	    (rc = take_str(obj, "id", false, where, path, &g->id, err)) != 0 ||
	    (rc = take_str(obj, "type", true, where, path, &g->type, err)) != 0 ||
	    (rc = take_str(obj, "description", false, where, path, &g->description, err)) != 0 ||
	    (rc = parse_members(g, obj, where, path, err)) != 0)
		return rc;
	if (!vlt__group_name_valid(g->name))
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: %s.name: '%s' is not a valid group name "
				   "(letters, digits and - . _ ~ only)",
				   where, path, g->name);
	if (g->type[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "%s: %s.type: empty group type", where, path);
	if (g->id == NULL && (g->id = strdup(g->name)) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "%s: out of memory", where);

	if ((rc = take_str(obj, "level", true, where, path, &level, err)) != 0)
		return rc;
	int lvl = vlt__level_parse(level);
	if (lvl < 0)
		rc = vlt_err_set(err, VLT_EINVAL,
				 "%s: %s.level: unknown level '%s' (host, rack or cluster)", where,
				 path, level);
	g->level = (vlt_level_t)(lvl < 0 ? 0 : lvl);
	free(level);
	return rc;
}

/* Names are unique whatever the type (as upstream), and so are ids. */
static int check_unique(const vlt_group_registry_t *reg, size_t i, const char *where,
			vlt_err_t *err)
{
	const vlt_named_group_t *g = &reg->groups[i];

	for (size_t j = 0; j < i; j++) {
		const vlt_named_group_t *o = &reg->groups[j];
		if (strcmp(o->name, g->name) == 0)
			return vlt_err_set(err, VLT_EINVAL,
					   "%s: $.groups[%zu].name: duplicate group name '%s' "
					   "(also $.groups[%zu])",
					   where, i, g->name, j);
		if (strcmp(o->id, g->id) == 0)
			return vlt_err_set(err, VLT_EINVAL,
					   "%s: $.groups[%zu].id: duplicate group id '%s' "
					   "(also $.groups[%zu])",
					   where, i, g->id, j);
	}
	return 0;
}

int vlt__groups_from_json(vlt_group_registry_t *reg, const json_t *doc, const char *where,
			  vlt_err_t *err)
{
	json_t *arr;
	int rc = 0;

	reg->groups = NULL;
	reg->n_groups = 0;
	if (where == NULL)
		where = "groups";
	if (!json_is_object(doc))
		return vlt_err_set(err, VLT_EINVAL, "%s: $: expected an object {\"groups\": [...]}",
				   where);
	arr = json_object_get(doc, "groups");
	if (arr == NULL)
		return vlt_err_set(err, VLT_EINVAL, "%s: $.groups: missing (expected a list)",
				   where);
	if (!json_is_array(arr))
		return vlt_err_set(err, VLT_EINVAL, "%s: $.groups: expected a list", where);

	size_t n = json_array_size(arr);
	if (n == 0)
		return 0;
	reg->groups = calloc(n, sizeof(*reg->groups));
	if (reg->groups == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "%s: out of memory", where);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char path[48];
		snprintf(path, sizeof(path), "$.groups[%zu]", i);
		reg->n_groups = i + 1;
		rc = parse_one(&reg->groups[i], json_array_get(arr, i), where, path, err);
		if (rc == 0)
			rc = check_unique(reg, i, where, err);
	}
	if (rc != 0)
		vlt__groups_free(reg);
	return rc;
}
