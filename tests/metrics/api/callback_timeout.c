/*
 * Metrics API tests of a slow metrics callback: the timeout (from the
 * configuration or the environment), serving meanwhile, and
 * removal or hams_free waiting for a run in progress.
 */
#include "helpers.h"

struct scrape_job {
    int port;
    int status;
    double ms;
    char *body;
};

static void *scrape_thread(void *arg) {
    struct scrape_job *j = arg;
    http_response r;
    double t0 = now_ms();
    j->status = scrape(j->port, &r);
    j->ms = now_ms() - t0;
    j->body = r.body ? strdup(r.body) : NULL;
    http_response_free(&r);
    return NULL;
}

TEST(callback_timeout) {
    hams_t *h = hams_new_from_yaml("service: {name: metrics-timeout, version: \"1.0\"}\n"
                                   "server: {address: 127.0.0.1:0}\n"
                                   "metrics: {callback_timeout_ms: 200}\n");
    REQUIRE(h);
    REQUIRE(hams_start(h) == HAMS_OK);
    int port = hams_port(h);
    REQUIRE(port > 0);
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 1500);
    atomic_store(&g_cb.running, 0);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));

    struct scrape_job job = {port, -1, 0, NULL};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, scrape_thread, &job) == 0);
    /* While the scrape waits for the callback, other requests answer at once. */
    double deadline = now_ms() + 2000;
    while (!atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(5);
    CHECK_INT(atomic_load(&g_cb.running), 1);
    http_response r;
    int st = http_request(port, "GET", "/hams/alive", NULL, &r, 5000);
    CHECK_INT(st, 200);
    /* "at once": well before the 200 ms callback timeout */
    if (r.ms > 150) FAILF("/hams/alive took %.0f ms during a slow metrics callback", r.ms);
    http_response_free(&r);
    pthread_join(t, NULL);

    CHECK_INT(job.status, 200);
    if (job.ms < 150 || job.ms > 1000)
        FAILF("scrape with a slow callback took %.0f ms (timeout 200 ms)", job.ms);
    CHECK(job.body != NULL);
    if (job.body) {
        CHECK_LACKS(job.body, "cb_slow_marker");
        CHECK_SAMPLE(job.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 1);
        CHECK_SAMPLE(job.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
        CHECK(contains(job.body, "# TYPE process_open_fds gauge"));
    }
    free(job.body);
    CHECK_INT(atomic_load(&g_cb.calls), 1);

    /* Once the slow run is over, a fast one is served again. */
    deadline = now_ms() + 5000;
    while (atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(10);
    CHECK_INT(atomic_load(&g_cb.running), 0);
    cb_reset(CB_TEXT, "# TYPE cb_fast gauge\ncb_fast 1\n");
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_fast 1");
    CHECK_LACKS(r.body, "cb_slow_marker");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 1);
    http_response_free(&r);

    /* Removing the callback waits for a run in progress. */
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 600);
    job.status = -1;
    job.body = NULL;
    REQUIRE(pthread_create(&t, NULL, scrape_thread, &job) == 0);
    deadline = now_ms() + 2000;
    while (!atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(2);
    REQUIRE(atomic_load(&g_cb.running) == 1);
    double t0 = now_ms();
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    double waited = now_ms() - t0;
    CHECK_INT(atomic_load(&g_cb.running), 0);
    if (waited < 300) FAILF("hams_set_metrics_callback(NULL) returned after %.0f ms, "
                            "while the callback sleeps 600 ms", waited);
    pthread_join(t, NULL);
    CHECK_INT(job.status, 200);
    free(job.body);
    int calls = atomic_load(&g_cb.calls);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.calls), calls);
    CHECK_LACKS(r.body, "cb_slow_marker");
    http_response_free(&r);
    hams_free(h);
}

TEST(free_waits_for_callback) {
    /* Like hams_set_metrics_callback(h, NULL, NULL) and like callback probes,
     * hams_free must not return while the metrics callback still runs: the
     * application releases `user` after it. */
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 600);
    atomic_store(&g_cb.running, 0);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    struct scrape_job job = {port, -1, 0, NULL};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, scrape_thread, &job) == 0);
    double deadline = now_ms() + 2000;
    while (!atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(2);
    CHECK_INT(atomic_load(&g_cb.running), 1);
    double t0 = now_ms();
    hams_free(h);
    double took = now_ms() - t0;
    if (atomic_load(&g_cb.running))
        FAILF("hams_free returned after %.0f ms while the metrics callback "
              "was still running", took);
    pthread_join(t, NULL);
    free(job.body);
    /* Leave nothing running for the next case. */
    deadline = now_ms() + 3000;
    while (atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(10);
}

TEST(callback_timeout_env) {
    /* HAMS_METRICS_CALLBACK_TIMEOUT_MS overrides the configuration. */
    setenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS", "150", 1);
    hams_t *h = hams_new_from_yaml("service: {name: metrics-env, version: \"1.0\"}\n"
                                   "server: {address: 127.0.0.1:0}\n");
    unsetenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS");
    REQUIRE(h);
    REQUIRE(hams_start(h) == HAMS_OK);
    int port = hams_port(h);
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 800);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    if (r.ms < 100 || r.ms > 700) FAILF("scrape took %.0f ms with a 150 ms timeout", r.ms);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 1);
    http_response_free(&r);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    hams_free(h);

    /* A bad value is a configuration error. */
    setenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS", "0", 1);
    h = hams_new_from_yaml("service: {name: metrics-env, version: \"1.0\"}\n");
    unsetenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS");
    CHECK(h == NULL);
    hams_free(h);
    h = hams_new_from_yaml("service: {name: m, version: \"1.0\"}\n"
                           "metrics: {callback_timeout_ms: 0}\n");
    CHECK(h == NULL);
    hams_free(h);
}
