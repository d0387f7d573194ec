/*
 * shared_data.h - the public data sets (../shared/data) for the C tests.
 *
 * A test whose cases read the data keeps them in a group of their own, run
 * when the test is started with --shared-data: CTest runs that as
 * <test>_shared_data through tests/helpers/shared_data.py, which checks the
 * data is there first (skipped without it, failed under CI=true), so the
 * other cases run on every checkout.
 */
#ifndef VALET_TEST_SHARED_DATA_H
#define VALET_TEST_SHARED_DATA_H

#include <stdbool.h>

/* Whether the command line asks for the cases that read the data. */
bool vlt_shared_data_cases(int argc, char **argv);

/*
 * vlt_shared_data - the path of rel in the data folder: $VALET_SHARED_DATA
 * (shared_data.py sets it), else the folder configured at build time.
 * RET a static buffer, overwritten by the next call
 */
const char *vlt_shared_data(const char *rel);

#endif /* VALET_TEST_SHARED_DATA_H */
