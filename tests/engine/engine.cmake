# The engine through its API, and black-box through `valet simulate`:
# every upstream engine request with every solver, and random stacks checked
# by a checker that shares no code with the engine.
vlt_add_test(test_engine SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_engine.c LIBS vlt_test_engine)

find_package(Python3 COMPONENTS Interpreter REQUIRED)
vlt_shared_data_test(engine_requests DATA valet/engine-requests
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/engine_requests_test.py
          $<TARGET_FILE:valet> ${VLT_TEST_DATA}/inventory/engine-dc.json)
add_test(NAME engine_property
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/property_test.py
          $<TARGET_FILE:valet> --seeds 40)
set_tests_properties(engine_requests engine_property PROPERTIES TIMEOUT 600)
add_test(NAME inventory_cli
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/inventory_cli_test.py
          $<TARGET_FILE:valet> ${PROJECT_SOURCE_DIR}/conf/sample-inventory.json
          ${VLT_TEST_DATA}/engine/limits-dc.json)
