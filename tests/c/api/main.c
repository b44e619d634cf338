/*
 * The C API tests of libhams: every TEST in this directory, run in file
 * order. Build and run with tests/c/run.sh; `test_api NAME...` runs only
 * the cases named. The last line printed is exactly
 * "c-api: N passed, N failed"; the exit status is non-zero if a case failed.
 */
#include "testing.h"

int main(int argc, char **argv) { return testing_main("c-api", 20, argc, argv); }
