/*
 * C tests of the libhams metrics API: counters, gauges, histograms, their
 * labeled variants, hams_metric_free, the metrics callback and
 * hams_metrics_append, checked through the C API and through real scrapes
 * of /hams/metrics over a socket. Every TEST in this directory runs, in
 * file order; build and run with tests/metrics/run.sh (`test_metrics
 * NAME...` runs only the cases named). The last line printed is exactly
 * "c-metrics: N passed, N failed"; the exit status is non-zero if a case
 * failed.
 */
#include "helpers.h"

int main(int argc, char **argv) {
    g_main_thread = pthread_self();
    /* Keep the library's own warnings (dropped callback output) quiet. */
    hams_set_logger(NULL, NULL, 1);
    return testing_main("c-metrics", 30, argc, argv);
}
