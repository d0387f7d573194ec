/*
 * fuzz_hot.c - the expansion of Heat templates (core/engine/hot.c, on
 * libyaml) on arbitrary bytes as a plan request's template.
 */
#include <stdint.h>

#include <jansson.h>

#include "hot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *req = json_pack("{s:s, s:o}", "stack_id", "fuzz-stack", "template",
				json_stringn_nocheck((const char *)data, size));
	json_t *out = NULL;
	vlt_err_t err = { 0 };

	if (req == NULL)
		return 0;
	if (vlt__hot_request(req, "fuzz", &out, &err) == 0)
		json_decref(out);
	json_decref(req);
	return 0;
}
