# The stack model from plan requests and the registry of named groups.
vlt_add_test(test_stack SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_stack.c LIBS valetcore
  SHARED_DATA_CASES valet/engine-requests)
