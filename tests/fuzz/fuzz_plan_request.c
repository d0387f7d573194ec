/*
 * fuzz_plan_request.c - the plan-request parser (core/engine/stack.c and
 * request.c) on arbitrary bytes, against the sample data center
 * (conf/sample-inventory.json) and the three group types.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dc.h"
#include "fake_core.h"
#include "inventory.h"
#include "request.h"
#include "stack.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vlt_dc_t *dc;
static vlt_group_registry_t no_groups;

static uint32_t policy_of(void *arg, const char *type)
{
	static const char *const types[] = { "affinity", "diversity", "exclusivity" };
	(void)arg;

	for (uint32_t i = 0; i < 3; i++)
		if (strcmp(type, types[i]) == 0)
			return i;
	return VLT_NONE;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fake_core_t *fc = fake_core_new();
	vlt_dc_builder_t *b = vlt__dc_builder_new();
	vlt_err_t err = { 0 };
	(void)argc;
	(void)argv;

	if (fc == NULL || b == NULL ||
	    static_inventory_load(VLT_SOURCE_DIR "/conf/sample-inventory.json", fake_core_api(fc), b,
				  NULL, &err) != 0 ||
	    vlt__dc_build(b, &dc, &err) != 0) {
		fprintf(stderr, "fuzz_plan_request: the sample inventory: %s\n", err.msg);
		exit(1);
	}
	vlt__dc_builder_free(b);
	fake_core_free(fc);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	json_t *lower = NULL;
	vlt_stack_t *st = NULL;
	vlt_err_t err = { 0 };

	if (req == NULL)
		return 0;
	if (vlt__request_lowercase(req, "fuzz", &lower, &err) == 0) {
		const json_t *r = lower != NULL ? lower : req;

		(void)vlt__request_has_server(json_object_get(r, "resources"));
		if (vlt__stack_parse(r, dc, &no_groups, policy_of, NULL, "fuzz", &st, &err) == 0)
			vlt__stack_free(st);
	}
	json_decref(lower);
	json_decref(req);
	return 0;
}
