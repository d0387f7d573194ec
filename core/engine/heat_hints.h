/*
 * heat_hints.h - the orchestration id of a server from the scheduler
 * hints Heat gives it (heat_root_stack_id, heat_path_in_stack,
 * heat_resource_name), by the rule that keys every resource of a root
 * stack's tree: <root stack id>/<parent resource names below the
 * root>/<resource name>. A resource of the root stack itself is
 * <root stack id>/<name>; server vm in member 0 of ResourceGroup grp is
 * <root stack id>/grp/0/vm.
 */
#ifndef VALET_CORE_HEAT_HINTS_H
#define VALET_CORE_HEAT_HINTS_H

#include <stddef.h>

#include <jansson.h>

#include <valet/errors.h>

/*
 * vlt__heat_orch_id - buf gets the orchestration id.
 * IN path - heat_path_in_stack: a list from the root down, one entry per
 *           stack. Heat 19 writes each as a string, "stack_name" for the
 *           root and "parent_resource_name,stack_name" below it; older
 *           clients sent [parent_resource_name or null, stack_name]
 *           pairs; either list may also come as a JSON text.
 * IN where - the path of the hint in messages (borrowed).
 * RET 0, or VLT_EINVAL naming the entry that is wrong (an empty path, a
 *     nested entry without its parent's name, an id longer than size).
 */
int vlt__heat_orch_id(const char *root_stack_id, const json_t *path, const char *resource_name,
		      const char *where, char *buf, size_t size, vlt_err_t *err);

#endif /* VALET_CORE_HEAT_HINTS_H */
