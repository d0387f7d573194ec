/*
 * stack.h - the stack model (valet/model.h) from a plan request (the body of
 * POST /v1/plans, placement contract section 2), and the registry of named
 * groups (contract section 3) that requests refer to.
 */
#ifndef VALET_CORE_STACK_H
#define VALET_CORE_STACK_H

#include <stdbool.h>

#include <jansson.h>

#include <valet/errors.h>
#include <valet/model.h>

#include "timeline.h"

/* A named group as GET /v1/groups shows it. */
typedef struct vlt_named_group {
	char *id;   /* uuid; may equal name in files without ids */
	char *name;
	char *type; /* "affinity" | "diversity" | "exclusivity" | a vendor policy's name */
	vlt_level_t level;
	char *description;
	char **members; /* tenant ids; empty: anyone */
	size_t n_members;
} vlt_named_group_t;

typedef struct vlt_group_registry {
	vlt_named_group_t *groups;
	size_t n_groups;
} vlt_group_registry_t;

/*
 * vlt__groups_from_json - parse {"groups": [...]} (a groups file, or the
 * store's documents). `where` names the input in messages (a file name).
 * RET 0 or VLT_EINVAL with err naming where, the JSON path and the reason.
 */
int vlt__groups_from_json(vlt_group_registry_t *reg, const json_t *doc, const char *where,
			  vlt_err_t *err);
void vlt__groups_free(vlt_group_registry_t *reg);
/* By id or by name; NULL when absent. */
const vlt_named_group_t *vlt__groups_find(const vlt_group_registry_t *reg, const char *ref);
/* A valid group name: [A-Za-z0-9-._~]+ (RFC 3986 unreserved characters). */
bool vlt__group_name_valid(const char *name);
/* "host" / "rack" / "cluster" -> level; -1 when unknown. */
int vlt__level_parse(const char *name);
const char *vlt__level_name(vlt_level_t lvl);

/*
 * How the stack parser learns which policy handles a group type: returns the
 * policy's self_id, or VLT_NONE when no loaded policy has that name.
 */
typedef uint32_t (*vlt_policy_lookup_fn)(void *arg, const char *type);

/*
 * Most groups that may list one unit directly (its ancestors come on top):
 * the policies' checks of a unit walk its groups, and every placement
 * step checks every unit. No real stack comes near it.
 */
#define VLT_STACK_MAX_UNIT_GROUPS 64

/*
 * vlt__stack_parse - build the stack model of a plan request.
 * IN  req      - the request body (borrowed): plan_name, stack_id, resources
 * IN  dc       - flavors and pools are resolved against it
 * IN  reg      - named groups (may be NULL: none)
 * IN  policy   - maps a group type to its policy (may be NULL: every type unknown)
 * IN  where    - the input's name for messages, e.g. "plan.json"
 * OUT stack    - new, owned by the caller; free with vlt__stack_free
 * RET 0; VLT_EINVAL for a malformed request or a broken nesting rule;
 *     VLT_ENOENT for a group or flavor that does not exist. err says which
 *     resource, which field, and why.
 * Checks here are the ones every group type shares (structure, references,
 * levels of nested groups); type-specific rules are the policies' validate.
 * Units, assignment groups and links follow the resources' orchestration
 * ids in byte order, so one request always gives the same indices
 * (docs/plan-request.md).
 */
int vlt__stack_parse(const json_t *req, const vlt_dc_t *dc, const vlt_group_registry_t *reg,
		     vlt_policy_lookup_fn policy, void *policy_arg, const char *where,
		     vlt_stack_t **stack, vlt_err_t *err);
/*
 * vlt__stack_parse_held - the same, for a request a plan was made from
 * earlier: a group name that reg lacks is also looked up in retired (groups
 * deleted since, which the plan named when it was made; may be NULL).
 */
int vlt__stack_parse_held(const json_t *req, const vlt_dc_t *dc, const vlt_group_registry_t *reg,
			  const vlt_group_registry_t *retired, vlt_policy_lookup_fn policy,
			  void *policy_arg, const char *where, vlt_stack_t **stack,
			  vlt_err_t *err);
void vlt__stack_free(vlt_stack_t *stack);
/*
 * The request's "start" and "end" (timeline.h), for a stack vlt__stack_parse
 * made; borrowed from the stack.
 */
const vlt_interval_t *vlt__stack_interval(const vlt_stack_t *stack);

#endif /* VALET_CORE_STACK_H */
