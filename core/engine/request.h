/*
 * request.h - the Heat resources of a plan request (placement contract
 * section 2, docs/plan-request.md): the one table of the resource types
 * Valet reads, and the questions the layers above ask of a request without
 * building its stack (stack.h): what is left of it once some resources go,
 * which of its servers belong to a named group, whether it has a server.
 *
 * Nothing above the engine spells a Heat type or walks group forms itself:
 * it asks here, so that a new form is taught in one place.
 *
 * Ownership: every json_t * argument is borrowed and left unchanged; a
 * json_t * returned is a new reference the caller must json_decref; a
 * const char * returned is borrowed from an argument (see each function).
 */
#ifndef VALET_CORE_REQUEST_H
#define VALET_CORE_REQUEST_H

#include <stdbool.h>

#include <jansson.h>

#include <valet/errors.h>

/* What a resource is to Valet, by its Heat type. */
typedef enum vlt_rkind {
	VLT_RK_OTHER = 0,   /* a type Valet ignores */
	VLT_RK_SERVER,      /* OS::Nova::Server: a unit */
	VLT_RK_VOLUME,      /* OS::Cinder::Volume: a unit */
	VLT_RK_ATTACH,      /* OS::Cinder::VolumeAttachment: a server-volume link */
	VLT_RK_PIPE,        /* ATT::Valet::Pipe, ATT::CloudQoS::Pipe: links */
	VLT_RK_GROUP_ATT,   /* ATT::Valet::GroupAssignment */
	VLT_RK_GROUP_CQOS,  /* ATT::CloudQoS::ResourceGroup */
	VLT_RK_GROUP_OSV,   /* OS::Valet::GroupAssignment: names a registry group */
	VLT_RK_VALET_GROUP, /* OS::Valet::Group: only a target of get_resource */
} vlt_rkind_t;

/*
 * How deep assignments nested in assignments are followed when looking for
 * a group's servers; deeper ones (or a cycle) are not followed further.
 */
#define VLT_REQUEST_MAX_NESTING 32

/* The kind of a Heat type; VLT_RK_OTHER for an unknown type or NULL. */
vlt_rkind_t vlt__request_kind(const char *type);
/* The type Valet writes for a kind (a static string); NULL for VLT_RK_OTHER. */
const char *vlt__request_type_name(vlt_rkind_t kind);
/* The three group assignment forms. */
bool vlt__request_kind_is_assignment(vlt_rkind_t kind);

/* Predicates on a type string (NULL: false). */
bool vlt__request_is_server_type(const char *type);
bool vlt__request_is_assignment_type(const char *type);
bool vlt__request_is_pipe_type(const char *type);

/* Whether a request's `resources` object holds an OS::Nova::Server. */
bool vlt__request_has_server(const json_t *resources);

/*
 * vlt__request_lowercase - req with its resources' own keys in lower case,
 * as upstream's API made them: AT&T's Heat plugin sends Heat's parsed
 * template, whose resources say "Type" and "Properties". Keys inside them
 * (properties, metadata) are left as they are.
 * IN  where - the input's name for messages
 * OUT out   - NULL when nothing needs changing (use req), else a new
 *             request (shallow: it shares req's values)
 * RET 0; VLT_EINVAL when a resource gives a key in two cases ("Type" and
 *     "type"), err naming the resource; VLT_ENOMEM.
 */
int vlt__request_lowercase(const json_t *req, const char *where, json_t **out, vlt_err_t *err);

/*
 * vlt__request_resolve_ref - the orchestration id a reference names.
 * IN  resources - a request's `resources` object
 * IN  ref       - "x" or {"get_resource": "x"}: x is an orchestration id,
 *                 else the name of exactly one resource
 * RET the key of resources (borrowed from resources); NULL when ref names
 *     nothing, or a name two resources share.
 */
const char *vlt__request_resolve_ref(const json_t *resources, const json_t *ref);

/*
 * vlt__request_prune - a request without some resources, nor what only they
 * made.
 * IN  req  - the request object (borrowed)
 * IN  drop - {orchestration id: anything}: the resources to leave out
 * RET a deep copy of req (a new reference) without the resources of drop;
 *     then, until nothing more goes: group assignments whose `resources`
 *     list had members and has none left, pipes left with fewer than two
 *     distinct endpoints, volume attachments to a resource gone. References
 *     to gone resources are removed from the lists of what stays. NULL when
 *     out of memory.
 */
json_t *vlt__request_prune(const json_t *req, const json_t *drop);

/*
 * vlt__request_group_servers - the servers of a request in a named group.
 * IN  req        - the request object (borrowed)
 * IN  group_id   - the group's id
 * IN  group_name - and its name: a request may name it by either; when
 *                  either is NULL the set is empty
 * RET {orchestration id: true} (a new reference) of the OS::Nova::Server
 *     resources that name the group in metadata.valet.groups (a list, or a
 *     JSON string holding {"groups": [...]}), or are members of a group
 *     assignment naming it (group_name, or group: the id or name, or
 *     get_resource of an OS::Valet::Group whose properties.name is the
 *     group), through nested assignments up to VLT_REQUEST_MAX_NESTING.
 *     NULL when out of memory.
 */
json_t *vlt__request_group_servers(const json_t *req, const char *group_id,
				   const char *group_name);

#endif /* VALET_CORE_REQUEST_H */
