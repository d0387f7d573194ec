/*
 * heat_hints.c - the orchestration id of a server from Heat's scheduler
 * hints (heat_hints.h). Heat builds heat_path_in_stack in
 * heat/engine/resources/scheduler_hints.py from Stack.path_in_stack()
 * (heat/engine/stack.py): (parent resource name, stack name) from the
 * root down, the root's parent being None.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "heat_hints.h"

/* Append "/" and n bytes of name to buf (used bytes *len). RET false when it does not fit. */
static bool append(char *buf, size_t size, size_t *len, const char *name, size_t n)
{
	if (*len + 1 + n + 1 > size)
		return false;
	buf[(*len)++] = '/';
	memcpy(buf + *len, name, n);
	*len += n;
	buf[*len] = '\0';
	return true;
}

/*
 * The parent resource name of entry i of the path: *name, n bytes.
 * The root entry (i == 0) has none. RET 0 or VLT_EINVAL.
 */
static int parent_of(const json_t *entry, size_t i, const char *where, const char **name,
		     size_t *n, vlt_err_t *err)
{
	const json_t *parent = NULL;

	if (json_is_string(entry)) {
		const char *s = json_string_value(entry);
		/* stack names have no comma; a resource name might */
		const char *comma = strrchr(s, ',');

		if (comma == NULL) {
			*name = NULL;
			*n = 0;
		} else {
			*name = s;
			*n = (size_t)(comma - s);
		}
	} else if (json_is_array(entry) && json_array_size(entry) == 2 &&
		   json_is_string(json_array_get(entry, 1))) {
		parent = json_array_get(entry, 0);
		if (!json_is_null(parent) && !json_is_string(parent))
			return vlt_err_set(err, VLT_EINVAL,
					   "%s[%zu][0]: expected the parent resource's name or null",
					   where, i);
		*name = json_string_value(parent);
		*n = *name != NULL ? strlen(*name) : 0;
	} else {
		return vlt_err_set(err, VLT_EINVAL,
				   "%s[%zu]: expected \"parent,stack_name\" or a [parent, stack_name] "
				   "pair",
				   where, i);
	}
	if (i == 0 && *name != NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s[0]: the root stack has no parent resource, yet one is named",
				   where);
	if (i > 0 && (*name == NULL || *n == 0))
		return vlt_err_set(err, VLT_EINVAL,
				   "%s[%zu]: a nested stack's entry must name its parent resource",
				   where, i);
	return 0;
}

static int orch_id_of_list(const char *root, const json_t *list, const char *resource,
			   const char *where, char *buf, size_t size, vlt_err_t *err)
{
	size_t len = strlen(root), i;
	json_t *entry;

	if (json_array_size(list) == 0)
		return vlt_err_set(err, VLT_EINVAL, "%s: expected a non-empty list", where);
	if (len + 1 > size)
		return vlt_err_set(err, VLT_EINVAL, "heat_root_stack_id: longer than %zu bytes",
				   size - 1);
	memcpy(buf, root, len + 1);
	json_array_foreach(list, i, entry) {
		const char *name = NULL;
		size_t n = 0;
		int rc = parent_of(entry, i, where, &name, &n, err);

		if (rc < 0)
			return rc;
		if (name != NULL && !append(buf, size, &len, name, n))
			return vlt_err_set(err, VLT_EINVAL, "%s: the id is longer than %zu bytes",
					   where, size - 1);
	}
	if (!append(buf, size, &len, resource, strlen(resource)))
		return vlt_err_set(err, VLT_EINVAL, "%s: the id is longer than %zu bytes", where,
				   size - 1);
	return 0;
}

int vlt__heat_orch_id(const char *root_stack_id, const json_t *path, const char *resource_name,
		      const char *where, char *buf, size_t size, vlt_err_t *err)
{
	if (root_stack_id == NULL || root_stack_id[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "heat_root_stack_id: expected a stack id");
	if (resource_name == NULL || resource_name[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "heat_resource_name: expected a name");
	if (json_is_string(path)) {
		json_t *list = json_loads(json_string_value(path), 0, NULL);
		int rc = json_is_array(list)
				 ? orch_id_of_list(root_stack_id, list, resource_name, where, buf,
						   size, err)
				 : vlt_err_set(err, VLT_EINVAL,
					       "%s: a string must hold a JSON list of the path",
					       where);
		json_decref(list);
		return rc;
	}
	if (!json_is_array(path))
		return vlt_err_set(err, VLT_EINVAL, "%s: expected a list", where);
	return orch_id_of_list(root_stack_id, path, resource_name, where, buf, size, err);
}
