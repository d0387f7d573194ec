/*
 * built_module.c - see built_module.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "built_module.h"
#include "loader.h"

const void *built_module_open(vlt_kind_t kind, const char *name, void **handle)
{
	const vlt_plugin_info_t *info = NULL;
	vlt_err_t err = { 0 };
	char file[1024];

	snprintf(file, sizeof(file), "%s/%s_%s.so", VLT_BUILD_MODULE_DIR, vlt__kind_name(kind),
		 name);
	if (vlt__module_probe(file, kind, name, handle, &info, &err) != 0)
		fail_msg("the loader refuses %s: %s", file, err.msg);
	return info;
}

void built_module_close(void *handle)
{
	vlt__module_close(handle);
}
