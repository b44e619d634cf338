/*
 * C tests of workers mode and fork safety (tests/workers/c/api/): forked
 * children with the parent's handle, hams_attach(), aggregation of gauges.
 * Build and run with tests/workers/c/run.sh; the last line printed is
 * exactly "c-workers: N passed, N failed".
 */
#include "testing.h"

int main(int argc, char **argv) { return testing_main("c-workers", 30, argc, argv); }
