# Tests of the logger, the configuration and the module loader.

add_subdirectory(${PROJECT_SOURCE_DIR}/tests/bad_modules ${PROJECT_BINARY_DIR}/tests/bad_modules)

vlt_add_test(test_log SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_log.c LIBS valetcore)
vlt_add_test(test_config SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_config.c LIBS valetcore)
vlt_add_test(test_abi_layout SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_abi_layout.c LIBS valetcore)
vlt_add_test(test_loader SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_loader.c LIBS valetcore)
target_compile_definitions(test_loader PRIVATE
  VLT_INSTALL_MODULE_DIR="${VLT_INSTALL_MODULE_DIR}")
add_dependencies(test_loader vlt_test_modules)

# An out-of-tree module built against an installed valet with pkg-config,
# then loaded by the core (docs/plugin-guide.md walks through the same).
add_executable(vlt_load_modules ${CMAKE_CURRENT_LIST_DIR}/load_modules.c)
target_link_libraries(vlt_load_modules PRIVATE valetcore)
add_test(NAME test_plugin_example
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/test_plugin_example.sh
          ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} $<TARGET_FILE:vlt_load_modules>
          ${CMAKE_INSTALL_INCLUDEDIR} ${CMAKE_INSTALL_LIBDIR})
set_tests_properties(test_plugin_example PROPERTIES TIMEOUT 300)
