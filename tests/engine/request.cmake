# The Heat types of plan requests, and pruning and group membership on a
# request's raw resources.
vlt_add_test(test_request SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_request.c LIBS valetcore vlt_test_json)
