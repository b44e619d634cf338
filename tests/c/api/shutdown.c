/*
 * C API tests of the shutdown sequence: hams_wait, hams_shutdown and
 * its callbacks, the drain, and the POST /hams/shutdown endpoint.
 */
#include "helpers.h"

#include <string.h>

TEST(wait_timeouts) {
    hams_t *h = hams_new_from_yaml(YAML_SERVICE);
    REQUIRE(h != NULL);
    CHECK_INT(hams_wait(h, 0), 0);
    double t0 = now_ms();
    CHECK_INT(hams_wait(h, 150), 0);
    double dt = now_ms() - t0;
    if (dt < 140 || dt > 3000) FAILF("hams_wait(h, 150) took %.0f ms", dt);
    CHECK_ERR(hams_wait(h, -5), HAMS_ERR_INVALID);
    CHECK_ERR(hams_wait(h, -2), HAMS_ERR_INVALID);
    CHECK_ERR(hams_wait(h, INT64_MIN), HAMS_ERR_INVALID);
    hams_free(h);
}

typedef struct {
    hams_t *h;
    int rc;
} waiter_arg;

static void *waiter_thread(void *arg) {
    waiter_arg *w = (waiter_arg *)arg;
    w->rc = hams_wait(w->h, -1);
    return NULL;
}

TEST(shutdown_sequence) {
    static const char yaml[] =
        YAML_SERVICE YAML_LOCAL
        "shutdown:\n  drain_ms: 300\n"
        "probes:\n  - name: db\n    type: manual\n    checks: [ready]\n"
        "    healthy: true\n";
    int port = 0;
    hams_t *h = start_yaml(yaml, &port);
    REQUIRE(h != NULL);
    sd_state s;
    memset(&s, 0, sizeof(s));
    sd_arg a1 = {&s, 1}, a2 = {&s, 2}, a3 = {&s, 3};
    CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a1));
    CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a2));
    CHECK_GET(port, "/hams/ready", 200);
    CHECK_INT(hams_wait(h, 0), 0);

    waiter_arg w = {h, -100};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, waiter_thread, &w) == 0);

    double t0 = now_ms();
    CHECK_OK(hams_shutdown(h));
    /* Readiness fails at once; the shutdown line comes first. */
    CHECK_GET(port, "/hams/ready", 503);
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_SHUTDOWN_FIRST_LINE();
    CHECK_BODY_HAS("[+]db ok");
    CHECK_GET(port, "/hams/ready/db", 200);
    /* Liveness and the rest keep answering. */
    CHECK_GET(port, "/hams/alive", 200);
    CHECK_GET(port, "/hams/startup", 200);
    CHECK_GET(port, "/hams/version", 200);
    CHECK_GET(port, "/hams/nope", 404);
    get_json(port, "/hams/ready");
    CHECK_INT(g_resp.status, 503);
    CHECK_BODY_HAS("\"shutdown\"");
    /* Repeat calls are harmless; callbacks may still be added while draining. */
    CHECK_OK(hams_shutdown(h));
    CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a3));
    if (now_ms() - t0 < 250) CHECK_INT(atomic_load(&s.calls), 0);

    CHECK_INT(hams_wait(h, 5000), 1);
    double dt = now_ms() - t0;
    if (dt < 295) FAILF("hams_wait returned %.0f ms after hams_shutdown, drain is 300 ms", dt);
    CHECK_INT(atomic_load(&s.calls), 3);
    CHECK_INT(atomic_load(&s.order[0]), 1);
    CHECK_INT(atomic_load(&s.order[1]), 2);
    CHECK_INT(atomic_load(&s.order[2]), 3);
    CHECK(!pthread_equal(s.thread, pthread_self()));
    pthread_join(t, NULL);
    CHECK_INT(w.rc, 1);

    /* Done: waits return at once, callbacks are refused, no second run. */
    CHECK_INT(hams_wait(h, 0), 1);
    CHECK_INT(hams_wait(h, -1), 1);
    CHECK_ERR(hams_on_shutdown(h, on_shutdown_cb, &a1), HAMS_ERR_STATE);
    CHECK_OK(hams_shutdown(h));
    sleep_ms(50);
    CHECK_INT(atomic_load(&s.calls), 3);
    /* Still serving until the application stops it. */
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_SHUTDOWN_FIRST_LINE();
    CHECK_GET(port, "/hams/alive", 200);
    CHECK_OK(hams_stop(h));
    hams_free(h);
}

TEST(shutdown_drain_zero_and_stopped) {
    /* drain_ms 0, not even started: the callbacks run at once. */
    hams_t *h = hams_new_from_yaml(YAML_SERVICE "shutdown:\n  drain_ms: 0\n");
    REQUIRE(h != NULL);
    sd_state s;
    memset(&s, 0, sizeof(s));
    sd_arg a = {&s, 1};
    CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a));
    double t0 = now_ms();
    CHECK_OK(hams_shutdown(h));
    CHECK_INT(hams_wait(h, 2000), 1);
    if (now_ms() - t0 > 1000) FAILF("drain 0 took %.0f ms", now_ms() - t0);
    CHECK_INT(atomic_load(&s.calls), 1);
    hams_free(h);

    /* hams_new() servers have the sequence too (default drain 5 s):
     * hams_free during the drain does not wait for it. */
    h = hams_new("plain", "1.0");
    REQUIRE(h != NULL);
    memset(&s, 0, sizeof(s));
    CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a));
    CHECK_OK(hams_shutdown(h));
    CHECK_INT(hams_wait(h, 0), 0);
    t0 = now_ms();
    hams_free(h);
    if (now_ms() - t0 > 2000)
        FAILF("hams_free during the drain took %.0f ms", now_ms() - t0);
}

TEST(shutdown_endpoint_202) {
    /* The sequence outlasts endpoint_wait_ms in the drain: 202 draining. */
    int port = 0;
    hams_t *h = start_yaml(YAML_SERVICE YAML_LOCAL
                           "shutdown:\n"
                           "  drain_ms: 1500\n"
                           "  endpoint: true\n"
                           "  endpoint_wait_ms: 100\n",
                           &port);
    REQUIRE(h != NULL);
    http_resp *r = &g_resp;
    http_req(port, "GET", "/hams/shutdown", NULL, r, 3000);
    CHECK_INT(r->status, 405);
    CHECK(contains(r->headers, "allow: post"));
    double t0 = now_ms();
    http_req(port, "POST", "/hams/shutdown", NULL, r, 5000);
    double dt = now_ms() - t0;
    CHECK_INT(r->status, 202);
    CHECK(contains(r->headers, "content-type: application/json"));
    CHECK_BODY_HAS("\"status\":\"draining\"");
    CHECK_BODY_HAS("\"origin\":\"http\"");
    CHECK_BODY_HAS("\"drain_ms\":1500");
    CHECK_BODY_HAS("\"callbacks_run\":0");
    if (dt < 90 || dt > 1400) FAILF("202 after %.0f ms, endpoint_wait_ms 100", dt);
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_SHUTDOWN_FIRST_LINE();
    CHECK_INT(hams_wait(h, 5000), 1);
    hams_free(h);

    /* ... or in the callbacks: 202 callbacks. */
    h = start_yaml(YAML_SERVICE YAML_LOCAL
                   "shutdown:\n"
                   "  drain_ms: 0\n"
                   "  endpoint: true\n"
                   "  endpoint_wait_ms: 100\n",
                   &port);
    REQUIRE(h != NULL);
    sd_state s;
    memset(&s, 0, sizeof(s));
    s.sleep_ms = 1000;
    sd_arg a = {&s, 1};
    CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a));
    http_req(port, "POST", "/hams/shutdown", NULL, r, 5000);
    CHECK_INT(r->status, 202);
    CHECK_BODY_HAS("\"status\":\"callbacks\"");
    CHECK_INT(hams_wait(h, 5000), 1);
    CHECK_INT(atomic_load(&s.calls), 1);
    hams_free(h);

    /* Done in time: 200 with the summary, after the callbacks. */
    h = start_yaml(YAML_SERVICE YAML_LOCAL
                   "shutdown:\n"
                   "  drain_ms: 100\n"
                   "  endpoint: true\n",
                   &port);
    REQUIRE(h != NULL);
    memset(&s, 0, sizeof(s));
    CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a));
    http_req(port, "POST", "/hams/shutdown", NULL, r, 5000);
    CHECK_INT(r->status, 200);
    CHECK_BODY_HAS("\"status\":\"done\"");
    CHECK_BODY_HAS("\"callbacks_run\":1");
    CHECK_INT(atomic_load(&s.calls), 1);
    CHECK_INT(hams_wait(h, 0), 1);
    hams_free(h);
}

/* The application's natural sequence, hams_wait() then at once hams_free(),
 * must not cut off the answer to POST /hams/shutdown: the spec says the
 * endpoint answers once the callbacks completed, and the application stops
 * hams once hams_wait() returned 1. */
typedef struct {
    int port;
    http_resp resp;
} poster_arg;

static void *shutdown_poster(void *arg) {
    poster_arg *p = (poster_arg *)arg;
    http_req(p->port, "POST", "/hams/shutdown", NULL, &p->resp, 5000);
    return NULL;
}

TEST(shutdown_endpoint_answer_before_free) {
    static poster_arg p; /* large: not on the stack */
    int lost = 0, first_bad = -1, first_status = 0;
    enum { ROUNDS = 50 };
    for (int i = 0; i < ROUNDS; i++) {
        int port = 0;
        hams_t *h = start_yaml(YAML_SERVICE YAML_LOCAL
                               "shutdown:\n  drain_ms: 0\n  endpoint: true\n",
                               &port);
        REQUIRE(h != NULL);
        memset(&p, 0, sizeof(p));
        p.port = port;
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, shutdown_poster, &p) == 0);
        int w = hams_wait(h, 5000);
        hams_free(h); /* what an application does once hams_wait says so */
        pthread_join(t, NULL);
        CHECK_INT(w, 1);
        if (p.resp.status != 200 || !contains(p.resp.body, "\"status\":\"done\"")) {
            if (lost++ == 0) {
                first_bad = i;
                first_status = p.resp.status;
            }
        }
    }
    if (lost > 0)
        FAILF("POST /hams/shutdown got no 200 answer in %d of %d rounds of "
              "hams_wait() then hams_free() (first: round %d, status %d, "
              "-1 = connection closed without a response)",
              lost, ROUNDS, first_bad, first_status);
}
