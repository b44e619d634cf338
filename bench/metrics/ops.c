/*
 * bench/metrics/ops.c: nanoseconds per metric operation from C.
 *
 *   ops ITERATIONS
 *
 * Times ITERATIONS calls each of hams_counter_add, hams_gauge_set,
 * hams_histogram_observe, hams_histogram_observe_exemplar (a trace id) and
 * hams_vec_with + hams_counter_add on an existing series (the C form of
 * prometheus_client's labels(...).inc(), only with -DHAVE_VEC). Prints one
 * JSON line:
 *   {"impl":"hams-c","ops":{"inc":NS,"set":NS,"observe":NS,"observe_exemplar":NS,"labels_inc":NS|null}}
 */
#define _GNU_SOURCE 1

#include "hams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what) {
    fprintf(stderr, "ops: %s: %s\n", what, hams_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 0;
    if (iters < 1) {
        fprintf(stderr, "usage: %s ITERATIONS\n", argv[0]);
        return 2;
    }
    hams_t *h = hams_new("hams-bench", "1.0.0");
    if (h == NULL) fail("hams_new");
    hams_metric_t *c = hams_counter_new(h, "bench_ops_total", "Operations.");
    hams_metric_t *g = hams_gauge_new(h, "bench_level", "A level.");
    static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    hams_metric_t *hi = hams_histogram_new(h, "bench_seconds", "Durations.", buckets, 11);
    if (c == NULL || g == NULL || hi == NULL) fail("creating metrics");

    uint64_t t0 = now_ns();
    for (long i = 0; i < iters; i++) hams_counter_add(c, 1);
    uint64_t t1 = now_ns();
    for (long i = 0; i < iters; i++) hams_gauge_set(g, (double)i);
    uint64_t t2 = now_ns();
    /* values spread over the buckets, as a real latency histogram's */
    for (long i = 0; i < iters; i++) hams_histogram_observe(hi, (double)(i & 1023) / 100.0);
    uint64_t t3 = now_ns();
    static const char *const trace[] = {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", NULL};
    for (long i = 0; i < iters; i++) hams_histogram_observe_exemplar(hi, (double)(i & 1023) / 100.0, trace);
    uint64_t t3e = now_ns();
    printf("{\"impl\":\"hams-c\",\"ops\":{\"inc\":%.1f,\"set\":%.1f,\"observe\":%.1f,"
           "\"observe_exemplar\":%.1f,\"labels_inc\":",
           (double)(t1 - t0) / (double)iters, (double)(t2 - t1) / (double)iters, (double)(t3 - t2) / (double)iters,
           (double)(t3e - t3) / (double)iters);
#ifdef HAVE_VEC
    static const char *const names[] = {"path", "code", NULL};
    hams_vec_t *v = hams_counter_vec_new(h, "bench_requests_total", "Requests served.", names);
    if (v == NULL) fail("hams_counter_vec_new");
    static const char *const values[] = {"/api/v1/items", "200", NULL};
    if (hams_vec_with(v, values) == NULL) fail("hams_vec_with");
    uint64_t t4 = now_ns();
    for (long i = 0; i < iters; i++) hams_counter_add(hams_vec_with(v, values), 1);
    uint64_t t5 = now_ns();
    printf("%.1f", (double)(t5 - t4) / (double)iters);
#else
    printf("null");
#endif
    printf("}}\n");
    hams_free(h);
    return 0;
}
