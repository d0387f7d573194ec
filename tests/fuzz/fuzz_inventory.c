/*
 * fuzz_inventory.c - the static source's inventory parser
 * (plugins/sources/static/inventory.c) on arbitrary bytes, through the
 * real data-center builder (core/engine/dc.c) to a built data center.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dc.h"
#include "fake_core.h"
#include "inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	fake_core_t *fc;
	vlt_dc_builder_t *b;
	vlt_dc_t *dc = NULL;
	vlt_err_t err = { 0 };

	if (doc == NULL)
		return 0;
	fc = fake_core_new();
	b = vlt__dc_builder_new();
	if (fc != NULL && b != NULL &&
	    static_inventory_apply(doc, "fuzz", fake_core_api(fc), b, NULL, &err) == 0 &&
	    vlt__dc_build(b, &dc, &err) == 0)
		vlt__dc_free(dc);
	vlt__dc_builder_free(b);
	fake_core_free(fc);
	json_decref(doc);
	return 0;
}
