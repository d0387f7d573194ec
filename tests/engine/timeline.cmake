# Capacity over time: intervals of plan requests, the per-host timeline of
# timed holds (against a brute-force check), and timed placements through
# the engine's API.
vlt_add_test(test_timeline SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_timeline.c LIBS vlt_test_engine)
