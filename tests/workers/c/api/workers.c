/*
 * Workers mode: children forked with the parent's handle or attached with
 * hams_attach(); their counts, gauges and probes in the parent's endpoints.
 */
#include "children.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hams_t *g_h;
static hams_metric_t *g_jobs;

static hams_t *workers_server(const char *name) {
    hams_t *h = hams_new(name, "1");
    if (h == NULL) return NULL;
    if (hams_set_address(h, "127.0.0.1:0") != HAMS_OK || hams_set_workers(h, true) != HAMS_OK) {
        FAILF("workers server: %s", safe_last_error());
        hams_free(h);
        return NULL;
    }
    return h;
}

static int start(hams_t *h) {
    if (hams_start(h) != HAMS_OK) {
        FAILF("hams_start: %s", safe_last_error());
        return -1;
    }
    return hams_port(h);
}

TEST(set_workers_state_rules) {
    hams_t *h = hams_new("rules", "1");
    REQUIRE(h != NULL);
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    hams_metric_t *m = hams_counter_new(h, "early_total", "Before workers mode.");
    REQUIRE(m != NULL);
    CHECK_ERR(hams_set_workers(h, true), HAMS_ERR_STATE);
    hams_free(h);

    h = hams_new("rules", "1");
    REQUIRE(h != NULL);
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    CHECK_OK(hams_start(h));
    CHECK_ERR(hams_set_workers(h, true), HAMS_ERR_STATE);
    hams_free(h);

    h = hams_new("rules", "1");
    REQUIRE(h != NULL);
    CHECK_OK(hams_set_workers(h, true));
    CHECK(getenv("HAMS_WORKERS") != NULL && getenv("HAMS_WORKERS")[0] != '\0');
    /* Native histograms cannot be shared between processes. */
    CHECK(hams_histogram_native_new(h, "native_seconds", "Native.", 1.1, 0) == NULL);
    CHECK_INT(hams_last_error_code(), HAMS_ERR_INVALID);
    hams_metric_t *g = hams_gauge_new(h, "level", "A gauge.");
    REQUIRE(g != NULL);
    CHECK_ERR(hams_gauge_set_aggregation(g, 42), HAMS_ERR_INVALID);
    CHECK_OK(hams_gauge_set_aggregation(g, HAMS_AGG_MAX));
    CHECK_OK(hams_gauge_set(g, 1));
    CHECK(hams_gauge_set_aggregation(g, HAMS_AGG_SUM) < 0);
    hams_free(h);
}

/* A child with the inherited handle: adds 5 to the counter made before the
 * fork, registers a probe and a gauge of its own, and waits for the parent. */
static int forked_worker(void *arg) {
    (void)arg;
    int bad = 0;
    for (int i = 0; i < 5; i++)
        if (hams_counter_add(g_jobs, 1) != HAMS_OK) bad |= 1;
    if (hams_probe_new_manual(g_h, "child", HAMS_READY, true) == NULL) bad |= 2;
    hams_metric_t *pid = hams_gauge_new(g_h, "child_pid", "The child's pid.");
    if (pid == NULL || hams_gauge_set(pid, (double)getpid()) != HAMS_OK) bad |= 4;
    if (hams_start(g_h) != HAMS_ERR_STATE) bad |= 8;
    child_ready();
    child_wait_go();
    return bad;
}

TEST(forked_children_share_counts_and_show_probes) {
    int port;
    g_h = workers_server("forked");
    REQUIRE(g_h != NULL);
    g_jobs = hams_counter_new(g_h, "jobs_total", "Jobs, by every process.");
    REQUIRE(g_jobs != NULL);
    port = start(g_h);
    REQUIRE(port > 0);
    CHECK_OK(hams_counter_add(g_jobs, 1));

    child_t c[2];
    REQUIRE(child_start(&c[0], forked_worker, NULL));
    REQUIRE(child_start(&c[1], forked_worker, NULL));
    CHECK(child_wait_ready(&c[0]));
    CHECK(child_wait_ready(&c[1]));

    /* Shared cells: exact at once. */
    CHECK(metric(port, "jobs_total") == 11);
    /* The parent sees a new worker's probes within a second, as it sees exits. */
    CHECK(metric_becomes(port, "hams_workers", 2, 1000));
    char name[64], series[96];
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof(name), "child@%d", (int)c[i].pid);
        if (!ready_list_becomes(port, name, true, 1000)) FAILF("/hams/ready?verbose does not list %s", name);
        snprintf(series, sizeof(series), "child_pid{pid=\"%d\"}", (int)c[i].pid);
        if (metric(port, series) != (double)c[i].pid) FAILF("no %s %d", series, (int)c[i].pid);
        snprintf(name, sizeof(name), "/hams/ready/child@%d", (int)c[i].pid);
        int status;
        free(get_body(port, name, &status));
        CHECK_INT(status, 200);
    }

    /* One is killed, the other ends normally: counts stay, probes leave. */
    kill(c[0].pid, SIGKILL);
    child_go(&c[1]);
    char *out = NULL;
    CHECK_INT(child_end(&c[0], NULL), 128 + SIGKILL);
    CHECK_INT(child_end(&c[1], &out), 0);
    if (out[0] != '\0') FAILF("the child printed: \"%s\"", out);
    free(out);
    CHECK(metric(port, "jobs_total") == 11);
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof(name), "child@%d", (int)c[i].pid);
        if (!ready_list_becomes(port, name, false, 2000)) FAILF("%s still listed 2 s after the exit", name);
    }
    CHECK(metric_becomes(port, "hams_workers", 0, 2000));
    CHECK(metric(port, "jobs_total") == 11);
    CHECK_OK(hams_counter_add(g_jobs, 1));
    CHECK(metric(port, "jobs_total") == 12);
    hams_free(g_h);
}

/* A child that joins through hams_attach(), as a spawned program would. */
static int attached_worker(void *arg) {
    double level = *(const double *)arg;
    int bad = 0;
    hams_t *a = hams_attach();
    if (a == NULL) return 1;
    if (hams_start(a) != HAMS_ERR_STATE) bad |= 2;
    if (hams_shutdown(a) != HAMS_ERR_STATE) bad |= 4;
    hams_metric_t *sum = hams_gauge_new(a, "level_sum", "Summed.");
    hams_metric_t *max = hams_gauge_new(a, "level_max", "Largest.");
    hams_metric_t *min = hams_gauge_new(a, "level_min", "Smallest.");
    const char *names[] = {"queue", NULL};
    hams_vec_t *depth = hams_gauge_vec_new(a, "queue_depth", "Summed per queue.", names);
    hams_vec_t *requests = hams_counter_vec_new(a, "requests_total", "Requests.", names);
    if (!sum || !max || !min || !depth || !requests) return bad | 8;
    if (hams_gauge_set_aggregation(sum, HAMS_AGG_SUM) != HAMS_OK) bad |= 16;
    if (hams_gauge_set_aggregation(max, HAMS_AGG_MAX) != HAMS_OK) bad |= 16;
    if (hams_gauge_set_aggregation(min, HAMS_AGG_MIN) != HAMS_OK) bad |= 16;
    if (hams_vec_set_aggregation(depth, HAMS_AGG_SUM) != HAMS_OK) bad |= 32;
    hams_gauge_set(sum, level);
    hams_gauge_set(max, level);
    hams_gauge_set(min, level);
    const char *q[] = {"mail", NULL};
    hams_gauge_set(hams_vec_with(depth, q), 2);
    hams_counter_add(hams_vec_with(requests, q), 3);
    if (hams_probe_new_kick(a, "loop", HAMS_ALIVE, 60000) == NULL) bad |= 64;
    child_ready();
    child_wait_go();
    hams_free(a);
    return bad;
}

TEST(attached_children_aggregate_gauges) {
    int port;
    g_h = workers_server("attached");
    REQUIRE(g_h != NULL);
    port = start(g_h);
    REQUIRE(port > 0);

    double levels[2] = {3, 4};
    child_t c[2];
    REQUIRE(child_start(&c[0], attached_worker, &levels[0]));
    REQUIRE(child_start(&c[1], attached_worker, &levels[1]));
    CHECK(child_wait_ready(&c[0]));
    CHECK(child_wait_ready(&c[1]));

    CHECK(metric(port, "level_sum") == 7);
    CHECK(metric(port, "level_max") == 4);
    CHECK(metric(port, "level_min") == 3);
    CHECK(metric(port, "queue_depth{queue=\"mail\"}") == 4);
    CHECK(metric(port, "requests_total{queue=\"mail\"}") == 6);
    CHECK(metric_becomes(port, "hams_workers", 2, 1000));
    char name[64];
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof(name), "loop@%d", (int)c[i].pid);
        bool listed = false;
        double end = now_ms() + 1000;
        do {
            int status;
            char *body = get_body(port, "/hams/alive?verbose", &status);
            listed = contains(body, name);
            free(body);
        } while (!listed && now_ms() < end && (sleep_ms(20), true));
        if (!listed) FAILF("/hams/alive?verbose lacks %s", name);
    }
    for (int i = 0; i < 2; i++) {
        child_go(&c[i]);
        char *out = NULL;
        CHECK_INT(child_end(&c[i], &out), 0);
        if (out[0] != '\0') FAILF("the child printed: \"%s\"", out);
        free(out);
    }
    CHECK(metric_becomes(port, "hams_workers", 0, 2000));
    CHECK(metric(port, "requests_total{queue=\"mail\"}") == 6);
    hams_free(g_h);
}

/* min_ready: readiness fails while fewer workers are attached. */
static int waits(void *arg) {
    (void)arg;
    hams_t *a = hams_attach();
    if (a == NULL) return 1;
    child_ready();
    child_wait_go();
    return 0;
}

TEST(min_ready_from_configuration) {
    hams_t *h = hams_new_from_yaml("service:\n  name: min-ready\n  version: \"1\"\n"
                                   "server:\n  address: \"127.0.0.1:0\"\n"
                                   "workers:\n  enabled: true\n  min_ready: 1\n");
    REQUIRE(h != NULL);
    CHECK_OK(hams_start(h));
    int port = hams_port(h);
    int status;
    char *body = get_body(port, "/hams/ready?verbose", &status);
    CHECK_INT(status, 503);
    CHECK(contains(body, "[-]workers"));
    free(body);
    child_t c;
    REQUIRE(child_start(&c, waits, NULL));
    CHECK(child_wait_ready(&c));
    double until = now_ms() + 1000;
    do {
        free(get_body(port, "/hams/ready", &status));
        if (status == 200) break;
        sleep_ms(20);
    } while (now_ms() < until);
    CHECK_INT(status, 200);
    child_go(&c);
    CHECK_INT(child_end(&c, NULL), 0);
    double end = now_ms() + 2000;
    do {
        free(get_body(port, "/hams/ready", &status));
        if (status == 503) break;
        sleep_ms(20);
    } while (now_ms() < end);
    CHECK_INT(status, 503);
    hams_free(h);
}
