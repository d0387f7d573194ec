/*
 * test_request.c - the Heat types of a plan request and what is asked of its
 * raw resources (core/engine/request.c): the type table, references,
 * pruning and the servers of a named group.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "request.h"

/* JSON written with ' for " so that requests read in C. */
static json_t *J(const char *text)
{
	char *s = strdup(text);
	json_error_t jerr;

	assert_non_null(s);
	for (char *c = s; *c != '\0'; c++)
		if (*c == '\'')
			*c = '"';
	json_t *v = json_loads(s, JSON_DECODE_ANY, &jerr);
	if (v == NULL)
		fail_msg("bad test JSON at %d: %s\n%s", jerr.position, jerr.text, s);
	free(s);
	return v;
}

/* A request around these resources (an object's members, as text). */
static json_t *request(const char *resources)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "{'stack_id': 's1', 'resources': {%s}}", resources);
	return J(buf);
}

#define VM(id, name) "'" id "': {'type': 'OS::Nova::Server', 'name': '" name "'}"
#define VOL(id) "'" id "': {'type': 'OS::Cinder::Volume', 'name': '" id "'}"

/* ---------------------------------------------------------------- types */

static void test_type_table(void **state)
{
	static const struct {
		const char *type;
		vlt_rkind_t kind;
	} cases[] = {
		{ "OS::Nova::Server", VLT_RK_SERVER },
		{ "OS::Cinder::Volume", VLT_RK_VOLUME },
		{ "OS::Cinder::VolumeAttachment", VLT_RK_ATTACH },
		{ "ATT::Valet::Pipe", VLT_RK_PIPE },
		{ "ATT::CloudQoS::Pipe", VLT_RK_PIPE },
		{ "ATT::Valet::GroupAssignment", VLT_RK_GROUP_ATT },
		{ "ATT::CloudQoS::ResourceGroup", VLT_RK_GROUP_CQOS },
		{ "OS::Valet::GroupAssignment", VLT_RK_GROUP_OSV },
		{ "OS::Valet::Group", VLT_RK_VALET_GROUP },
		{ "OS::Neutron::Port", VLT_RK_OTHER },
		{ "os::nova::server", VLT_RK_OTHER },
		{ "", VLT_RK_OTHER },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(vlt__request_kind(cases[i].type), cases[i].kind);
	assert_int_equal(vlt__request_kind(NULL), VLT_RK_OTHER);
	assert_string_equal(vlt__request_type_name(VLT_RK_SERVER), "OS::Nova::Server");
	assert_string_equal(vlt__request_type_name(VLT_RK_PIPE), "ATT::Valet::Pipe");
	assert_null(vlt__request_type_name(VLT_RK_OTHER));
	for (int k = VLT_RK_SERVER; k <= VLT_RK_VALET_GROUP; k++)
		assert_int_equal(vlt__request_kind(vlt__request_type_name((vlt_rkind_t)k)), k);

	assert_true(vlt__request_is_server_type("OS::Nova::Server"));
	assert_false(vlt__request_is_server_type("OS::Cinder::Volume"));
	assert_false(vlt__request_is_server_type(NULL));
	assert_true(vlt__request_is_assignment_type("ATT::Valet::GroupAssignment"));
	assert_true(vlt__request_is_assignment_type("ATT::CloudQoS::ResourceGroup"));
	assert_true(vlt__request_is_assignment_type("OS::Valet::GroupAssignment"));
	assert_false(vlt__request_is_assignment_type("OS::Valet::Group"));
	assert_true(vlt__request_is_pipe_type("ATT::Valet::Pipe"));
	assert_true(vlt__request_is_pipe_type("ATT::CloudQoS::Pipe"));
	assert_false(vlt__request_is_pipe_type("OS::Cinder::VolumeAttachment"));
}

static void test_has_server(void **state)
{
	json_t *with = request(VOL("v1") "," VM("a", "vm-a"));
	json_t *without = request(VOL("v1") ", 'x': {'type': 7}, 'y': 3");
	json_t *empty = request("");
	(void)state;

	assert_true(vlt__request_has_server(json_object_get(with, "resources")));
	assert_false(vlt__request_has_server(json_object_get(without, "resources")));
	assert_false(vlt__request_has_server(json_object_get(empty, "resources")));
	assert_false(vlt__request_has_server(NULL));
	json_decref(with);
	json_decref(without);
	json_decref(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_has_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
