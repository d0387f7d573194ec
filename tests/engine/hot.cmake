# Heat templates expanded into one plan request (core/engine/hot.c).
vlt_add_test(test_hot SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hot.c LIBS valetcore vlt_test_json)
# Upstream's tempest and functional templates through `valet simulate
# --template`, checked by a checker that reads the templates itself (PyYAML,
# so Debian's /usr/bin/python3) and shares no code with the engine.
vlt_shared_data_test(hot_templates
  DATA valet/tempest-templates valet/functional-templates
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/hot_templates_test.py
          $<TARGET_FILE:valet> ${VLT_TEST_DATA}/inventory/engine-dc.json)
set_tests_properties(hot_templates PROPERTIES TIMEOUT 600)
# valet simulate --template's options and exit statuses, on tests/data/hot.
add_test(NAME hot_cli
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/hot_cli_test.py
          $<TARGET_FILE:valet> ${PROJECT_SOURCE_DIR}/conf/sample-inventory.json
          ${VLT_TEST_DATA}/hot)
