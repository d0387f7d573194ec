# Placement's per-allocation limits and traits in the engine's host check,
# through the static inventory tests/data/engine/limits-dc.json.
vlt_add_test(test_limits SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_limits.c LIBS vlt_test_engine)
