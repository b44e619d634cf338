/*
 * expose: a small service that serves a known set of metrics, for checking
 * the exposition with real Prometheus tools (tests/metrics/check_exposition.py).
 *
 * It starts hams on 127.0.0.1 at a free port (or the address given as the
 * first argument), with a few probes, an application counter whose label
 * value holds a quote, a backslash and a newline, a gauge, a histogram, and
 * a metrics callback that appends a gauge family. It prints "port=N" on
 * stdout, then serves until its standard input closes or it gets SIGTERM or
 * SIGINT, and exits 0.
 *
 * The values (check_exposition.py asserts them):
 *   expose_jobs_total{queue="a\"b\\c\nd",kind="mixed"}  7
 *   expose_jobs_total{queue="plain",kind="simple"}       2.5
 *   expose_temperature_celsius                           21.5
 *   expose_latency_seconds  buckets 0.005 0.01 0.1 1 10, observations
 *       0.001 0.007 0.05 0.05 0.5 2 20: cumulative 1 2 4 5 6 7, +Inf 7,
 *       sum 22.608, count 7
 *   expose_queue_items{queue="mail"} 3, {queue="sms"} 0   (from the callback)
 *   expose_callback_runs_total  (from the callback, runs so far, >= 1)
 *   expose_native_latency_seconds  a native histogram, bucket factor 1.1,
 *       observations 0.5 x3, 1 x4, 3 x3
 *
 * Build: cc -std=c11 -Iinclude tests/metrics/expose.c -Ltarget/release \
 *          -lhams -lpthread -o target/metrics-tests/expose
 */
#define _POSIX_C_SOURCE 200809L

#include "hams.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static atomic_long g_runs;

/* Runs on a hams thread for each scrape of /hams/metrics. */
static void collect(void *user, hams_metrics_buffer_t *out) {
    (void)user;
    long runs = atomic_fetch_add(&g_runs, 1) + 1;
    char line[128];
    hams_metrics_append(out,
                        "# HELP expose_queue_items Items waiting per queue (from the callback).\n"
                        "# TYPE expose_queue_items gauge\n"
                        "expose_queue_items{queue=\"mail\"} 3\n"
                        "expose_queue_items{queue=\"sms\"} 0\n"
                        "# HELP expose_callback_runs_total Runs of the metrics callback.\n"
                        "# TYPE expose_callback_runs_total counter\n");
    snprintf(line, sizeof(line), "expose_callback_runs_total %ld\n", runs);
    hams_metrics_append(out, line);
}

/* Reads standard input until it closes, then starts the shutdown. */
static void *watch_stdin(void *arg) {
    hams_t *h = arg;
    char buf[256];
    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
    }
    hams_shutdown(h);
    return NULL;
}

static int fail(const char *what) {
    fprintf(stderr, "expose: %s: %s\n", what, hams_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *address = argc > 1 ? argv[1] : "127.0.0.1:0";
    hams_t *h = hams_new_from_yaml("service: {name: expose, version: \"1.0.0\"}\n"
                                   "shutdown: {drain_ms: 0}\n");
    if (!h) return fail("hams_new_from_yaml");
    if (hams_set_address(h, address) != HAMS_OK) return fail("hams_set_address");

    if (!hams_probe_new_manual(h, "db", HAMS_READY, true)) return fail("probe db");
    if (!hams_probe_new_kick(h, "main-loop", HAMS_ALIVE, 3600 * 1000))
        return fail("probe main-loop");
    if (!hams_probe_new_manual(h, "warmup", HAMS_STARTUP, true)) return fail("probe warmup");

    const char *mixed[] = {"queue", "a\"b\\c\nd", "kind", "mixed", NULL};
    const char *simple[] = {"queue", "plain", "kind", "simple", NULL};
    hams_metric_t *jobs = hams_counter_new_labeled(h, "expose_jobs_total", "Jobs done.", mixed);
    hams_metric_t *jobs2 = hams_counter_new_labeled(h, "expose_jobs_total", "Jobs done.", simple);
    if (!jobs || !jobs2) return fail("counter");
    hams_metric_t *temp = hams_gauge_new(h, "expose_temperature_celsius", "Temperature.");
    if (!temp) return fail("gauge");
    static const double bounds[] = {0.005, 0.01, 0.1, 1, 10};
    hams_metric_t *lat = hams_histogram_new(h, "expose_latency_seconds",
                                            "Request latency.", bounds, 5);
    if (!lat) return fail("histogram");

    if (hams_counter_add(jobs, 4) != HAMS_OK || hams_counter_add(jobs, 3) != HAMS_OK ||
        hams_counter_add(jobs2, 2.5) != HAMS_OK)
        return fail("hams_counter_add");
    if (hams_gauge_set(temp, 20) != HAMS_OK || hams_gauge_add(temp, 1.5) != HAMS_OK)
        return fail("gauge update");
    static const double obs[] = {0.001, 0.007, 0.05, 0.05, 0.5, 2, 20};
    for (size_t i = 0; i < sizeof(obs) / sizeof(*obs); i++)
        if (hams_histogram_observe(lat, obs[i]) != HAMS_OK) return fail("observe");

    /* A vec of counters, a vec of histograms with the default buckets, and
     * a native histogram (text: its +Inf bucket, sum and count). */
    const char *path_code[] = {"path", "code", NULL};
    hams_vec_t *requests = hams_counter_vec_new(h, "expose_requests_total", "Requests.", path_code);
    const char *path[] = {"path", NULL};
    hams_vec_t *durations =
        hams_histogram_vec_new(h, "expose_request_seconds", "Request time.", NULL, 0, path);
    hams_metric_t *native = hams_histogram_native_new(h, "expose_native_seconds", "Native.", 1.1, 0);
    if (!requests || !durations || !native) return fail("vecs");
    const char *root_ok[] = {"/", "200", NULL};
    const char *api_err[] = {"/api", "500", NULL};
    const char *root[] = {"/", NULL};
    if (hams_counter_add(hams_vec_with(requests, root_ok), 3) != HAMS_OK ||
        hams_counter_add(hams_vec_with(requests, api_err), 1) != HAMS_OK ||
        hams_histogram_observe(hams_vec_with(durations, root), 0.2) != HAMS_OK ||
        hams_histogram_observe(hams_vec_with(durations, root), 3) != HAMS_OK ||
        hams_histogram_observe(native, -1) != HAMS_OK || hams_histogram_observe(native, 4) != HAMS_OK)
        return fail("vec updates");

    /* Exemplars (checks (c), (d), (f)): a counter's and a histogram bucket's. */
    hams_metric_t *traced = hams_counter_new(h, "expose_traced_total", "Traced requests.");
    static const double traced_bounds[] = {0.1, 1};
    hams_metric_t *traced_lat = hams_histogram_new(h, "expose_traced_seconds", "Traced latency.",
                                                   traced_bounds, 2);
    hams_metric_t *traced_native = hams_histogram_native_new(h, "expose_traced_native_seconds",
                                                             "Traced, native.", 1.1, 0);
    if (!traced || !traced_lat || !traced_native) return fail("traced metrics");
    const char *trace1[] = {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", NULL};
    const char *trace2[] = {"trace_id", "0af7651916cd43dd8448eb211c80319c", "span_id", "b7ad6b7169203331",
                            NULL};
    if (hams_counter_add_exemplar(traced, 2, trace1) != HAMS_OK ||
        hams_histogram_observe_exemplar(traced_lat, 0.05, trace2) != HAMS_OK ||
        hams_histogram_observe_exemplar(traced_native, 0.25, trace1) != HAMS_OK)
        return fail("exemplars");

    /* A native histogram whose quantiles Prometheus computes (check (h)). */
    hams_metric_t *native_lat = hams_histogram_native_new(h, "expose_native_latency_seconds",
                                                          "Latency, native histogram.", 1.1, 160);
    if (!native_lat) return fail("native histogram");
    static const double native_obs[] = {0.5, 0.5, 0.5, 1, 1, 1, 1, 3, 3, 3};
    for (size_t i = 0; i < sizeof(native_obs) / sizeof(*native_obs); i++)
        if (hams_histogram_observe(native_lat, native_obs[i]) != HAMS_OK) return fail("observe native");

    if (hams_set_metrics_callback(h, collect, NULL) != HAMS_OK) return fail("callback");
    if (hams_handle_signals(h, true) != HAMS_OK) return fail("hams_handle_signals");
    if (hams_start(h) != HAMS_OK) return fail("hams_start");

    printf("port=%d\n", hams_port(h));
    fflush(stdout);

    pthread_t t;
    if (pthread_create(&t, NULL, watch_stdin, h) != 0) {
        fprintf(stderr, "expose: cannot start the stdin thread\n");
        hams_free(h);
        return 1;
    }
    pthread_detach(t);

    int rc = hams_wait(h, -1);
    hams_free(h);
    return rc == 1 ? 0 : 1;
}
