/*
 * hot.h - Heat Orchestration Templates expanded into one plan request
 * (docs/heat-templates.md). A template, its environment, the files it
 * names (nested and provider templates) and its parameters become the
 * `resources` object of a plan request (docs/plan-request.md): every
 * nested stack, ResourceGroup and AutoScalingGroup member expanded in
 * place, so that the root stack's whole tree is placed as one plan.
 *
 * Each expanded resource is keyed "<stack_id>/<path>", path being the Heat
 * resource names from the root down joined with '/': what a Nova filter
 * computes from the scheduler hints Heat sets (heat_root_stack_id,
 * heat_path_in_stack, heat_resource_name).
 *
 * One implementation, shared by `valet simulate --template` and valetd's
 * API (the template form of POST /v1/plans and PUT /v1/plans/{id}), so
 * that no client expands templates itself.
 *
 * Ownership: every json_t * argument and member of vlt_hot_input_t is
 * borrowed and left unchanged; every json_t ** result is a new reference
 * the caller must json_decref. Nothing else is allocated past a call.
 */
#ifndef VALET_CORE_HOT_H
#define VALET_CORE_HOT_H

#include <stddef.h>

#include <jansson.h>

#include <valet/errors.h>

/* At most this many resources come out of one template, nesting included. */
#define VLT_HOT_MAX_RESOURCES 10000
/* Nested templates (template resources, group members) at most this deep. */
#define VLT_HOT_MAX_DEPTH 10
/* A YAML document at most this many nodes, aliases counted each time used. */
#define VLT_HOT_MAX_NODES 1000000

typedef struct vlt_hot_input {
	const char *name;          /* the template's name in messages ("stack.yaml") */
	const json_t *tmpl;        /* the template: an object, or a string of YAML or JSON */
	const json_t *environment; /* NULL, an object, or a string of YAML or JSON */
	const json_t *files;       /* NULL or {name: content}: nested templates, as Heat has them */
	const json_t *params;      /* NULL or {name: value}: above the environment's */
	const char *stack_id;      /* required: the ids' first part, OS::stack_id */
	const char *stack_name;    /* OS::stack_name; NULL: stack_id */
	const char *tenant_id;     /* OS::project_id; NULL: "" */
	/*
	 * Folders in which nested templates not in `files` are read, in order
	 * (the template's folder, --files DIR): NULL-terminated, or NULL for
	 * none, which is what valetd passes, so that a template sent through
	 * the API never makes valetd read a file of its own.
	 */
	const char *const *dirs;
} vlt_hot_input_t;

/*
 * vlt__hot_expand - the resources of the template's whole tree.
 * OUT resources - {"<stack_id>/<path>": {"name", "type", "properties"}}
 * RET 0; VLT_EINVAL with err naming the file, the resource path and what
 *     is wrong (a template or environment that does not parse, an unknown
 *     parameter, a parameter with no value, a missing nested file, a cycle
 *     of nested templates, a count that is not a number, nesting deeper
 *     than VLT_HOT_MAX_DEPTH); VLT_E2BIG for more than
 *     VLT_HOT_MAX_RESOURCES resources; VLT_ENOMEM.
 */
int vlt__hot_expand(const vlt_hot_input_t *in, json_t **resources, vlt_err_t *err);

/*
 * vlt__hot_parse - YAML (1.1, as Heat reads it: plain scalars become null,
 * booleans, integers or floats where they read as such, dates stay
 * strings) or JSON text into JSON. `where` names the text in messages.
 * RET 0, *out a new reference; VLT_EINVAL with err giving where, the line
 * and column and the reason (duplicate keys included); VLT_ENOMEM.
 */
int vlt__hot_parse(const char *text, size_t len, const char *where, json_t **out,
		   vlt_err_t *err);

/* vlt__hot_parse of a file's content; err names the path when it cannot be read. */
int vlt__hot_parse_file(const char *path, json_t **out, vlt_err_t *err);

/*
 * vlt__hot_request - a plan request in the template form (`template`,
 * optional `files`, `environment`, `parameters`, required `stack_id`)
 * turned into the resources form: a new request (a shallow copy of req)
 * without those four members and with `resources`. where names the
 * request in messages ("request").
 * RET 0; VLT_EINVAL when req gives both `resources` and `template`, lacks
 * stack_id, or the expansion fails (its message; a tree above
 * VLT_HOT_MAX_RESOURCES included); VLT_ENOMEM.
 */
int vlt__hot_request(const json_t *req, const char *where, json_t **out, vlt_err_t *err);

#endif /* VALET_CORE_HOT_H */
