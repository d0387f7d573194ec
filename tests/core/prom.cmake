# The Prometheus text exposition (core/base/prom.c).
vlt_add_test(test_prom SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_prom.c LIBS valetcore)
