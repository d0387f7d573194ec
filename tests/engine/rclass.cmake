# Extra resource classes (resources:CLASS=N) in the engine's host check and
# the ledger, through the static inventory tests/data/engine/rclass-dc.json.
vlt_add_test(test_rclass SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_rclass.c LIBS vlt_test_engine)
