# The orchestration id of a server from Heat's scheduler hints.
vlt_add_test(test_heat_hints SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_heat_hints.c LIBS valetcore)
