# The core's layers: every quoted include of core/ points at the same layer
# or one below, no file's includes lead back to it, and the build itself
# refuses an upward include (a probe per layer includes the header of the
# layer above and must fail to compile, naming that header; the same probe
# including its own layer's header must compile).
set(VLT_LAYERS base engine service api)
set(VLT_LAYER_HEADERS log.h engine.h service.h api.h)
set(VLT_LAYER_PROBES "")
list(LENGTH VLT_LAYERS n_layers)
math(EXPR last "${n_layers} - 2")
foreach(i RANGE ${last})
  math(EXPR up "${i} + 1")
  list(GET VLT_LAYERS ${i} layer)
  list(GET VLT_LAYER_HEADERS ${i} own)
  list(GET VLT_LAYER_HEADERS ${up} above)
  foreach(kind own above)
    set(header ${${kind}})
    set(probe ${PROJECT_BINARY_DIR}/tests/core/layers/${layer}_${kind}.c)
    file(WRITE ${probe}.in "/* generated: layer ${layer} includes ${header} */\n#include \"${header}\"\nint vlt_layer_probe_${layer}_${kind}(void);\nint vlt_layer_probe_${layer}_${kind}(void) { return 0; }\n")
    configure_file(${probe}.in ${probe} COPYONLY)
    add_library(layer_probe_${layer}_${kind} OBJECT EXCLUDE_FROM_ALL ${probe})
    target_link_libraries(layer_probe_${layer}_${kind} PRIVATE vlt_${layer})
    list(APPEND VLT_LAYER_PROBES "${layer}:${kind}:${header}")
  endforeach()
endforeach()

find_package(Python3 COMPONENTS Interpreter REQUIRED)
add_test(NAME core_layers
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/layers/layers_test.py
          --core ${PROJECT_SOURCE_DIR}/core --layers ${VLT_LAYERS} programs
          --build ${PROJECT_BINARY_DIR} --probes ${VLT_LAYER_PROBES})
set_tests_properties(core_layers PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
