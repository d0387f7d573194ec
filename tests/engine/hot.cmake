# Heat templates expanded into one plan request (core/engine/hot.c).
vlt_add_test(test_hot SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hot.c LIBS valetcore)
