/*
 * built_module.h - open a module of the build tree the way the core does,
 * so that a module's test can check that the .so it ships passes the
 * loader's checks (magic, ABI version, kind, name, table size, mandatory
 * ops) and works through its one export, rather than restating what
 * VLT_PLUGIN_INFO put in the descriptor.
 */
#ifndef VALET_TEST_BUILT_MODULE_H
#define VALET_TEST_BUILT_MODULE_H

#include <valet/plugin.h>

/*
 * built_module_open - probe VLT_BUILD_MODULE_DIR/<kind>_<name>.so as a
 * module of that kind and name; fails the (cmocka) test with the loader's
 * message when it is refused.
 * OUT handle - for built_module_close
 * RET the module's ops table (cast to the kind's type), borrowed until
 *     built_module_close
 */
const void *built_module_open(vlt_kind_t kind, const char *name, void **handle);
void built_module_close(void *handle);

#endif /* VALET_TEST_BUILT_MODULE_H */
