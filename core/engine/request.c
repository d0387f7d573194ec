/*
 * request.c - the Heat resource types of a plan request and the questions
 * the service asks of a request's raw `resources` (request.h). The stack
 * parser (stack.c) reads its types from the same table, so a request means
 * the same thing here and there.
 */
#include <string.h>

#include <jansson.h>

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
