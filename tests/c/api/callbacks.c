/*
 * C API tests of callback probes: their results and reasons over HTTP,
 * pending first runs, timeouts that do not block serving, and a
 * callback that frees its own probe.
 */
#include "helpers.h"

#include <string.h>

TEST(http_callback_probe) {
    int port = 0;
    hams_t *h = start_server("callback", &port);
    REQUIRE(h != NULL);
    static cb_state bad, good;
    memset(&bad, 0, sizeof(bad));
    memset(&good, 0, sizeof(good));
    atomic_store(&bad.result, 0);
    bad.reason = "disk full";
    atomic_store(&good.result, 1);

    hams_probe_t *g = hams_probe_new_callback(h, "good", HAMS_READY, check_cb,
                                              &good, 50, 1000);
    REQUIRE(g != NULL);
    /* Runs at once: becomes healthy well before a second interval. */
    CHECK(wait_for(port, "/hams/ready?verbose", 200, "[+]good ok", 1000));
    CHECK(atomic_load(&good.calls) >= 1);
    CHECK(atomic_load(&good.last_len) > 0);

    hams_probe_t *b = hams_probe_new_callback(h, "disk", HAMS_READY, check_cb,
                                              &bad, 50, 1000);
    REQUIRE(b != NULL);
    if (!wait_for(port, "/hams/ready?verbose", 503, "[-]disk failed: disk full",
                  1000))
        FAILF("callback failure not shown; last %d: \"%s\"", g_resp.status,
              g_resp.body);
    CHECK_BODY_HAS("ready check failed");
    CHECK_BODY_HAS("[+]good ok");
    CHECK_GET(port, "/hams/alive", 200);

    /* Called repeatedly at its interval. */
    int c0 = atomic_load(&bad.calls);
    sleep_ms(300);
    int c1 = atomic_load(&bad.calls);
    if (c1 - c0 < 2) FAILF("callback ran %d times in 300 ms at 50 ms", c1 - c0);

    /* Recovers when the callback does. */
    atomic_store(&bad.result, 1);
    CHECK(wait_for(port, "/hams/ready", 200, NULL, 1000));

    /* NULL user pointer is passed through untouched. */
    hams_probe_t *n = hams_probe_new_callback(h, "nulluser", HAMS_READY,
                                              check_cb_null_user, NULL, 50, 500);
    REQUIRE(n != NULL);
    CHECK(wait_for(port, "/hams/ready?verbose", 200, "[+]nulluser ok", 1000));

    hams_free(h);
    /* After hams_free no callback runs any more. */
    int after = atomic_load(&good.calls);
    sleep_ms(150);
    CHECK_INT(atomic_load(&good.calls), after);
}

TEST(http_callback_pending_counts_as_failing) {
    int port = 0;
    hams_t *h = start_server("pending", &port);
    REQUIRE(h != NULL);
    static cb_state slow;
    memset(&slow, 0, sizeof(slow));
    atomic_store(&slow.result, 1);
    slow.sleep_ms = 400;
    hams_probe_t *p = hams_probe_new_callback(h, "slowstart", HAMS_READY,
                                              check_cb, &slow, 1000, 2000);
    REQUIRE(p != NULL);
    /* First call is still running: the probe counts as failing. */
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_BODY_HAS("[-]slowstart failed: not checked yet");
    /* Then it succeeds. */
    CHECK(wait_for(port, "/hams/ready", 200, NULL, 1500));
    atomic_store(&slow.stop, 1);
    hams_free(h);
}

TEST(http_callback_timeout) {
    int port = 0;
    hams_t *h = start_server("timeout", &port);
    REQUIRE(h != NULL);
    static cb_state stuck;
    memset(&stuck, 0, sizeof(stuck));
    atomic_store(&stuck.result, 1);
    stuck.sleep_ms = 2000;
    hams_probe_t *p = hams_probe_new_callback(h, "stuck", HAMS_READY, check_cb,
                                              &stuck, 1000, 100);
    REQUIRE(p != NULL);

    double t0 = now_ms();
    bool seen = false;
    while (now_ms() - t0 < 1500) {
        int st = get(port, "/hams/ready?verbose");
        if (st == 503 && contains(g_resp.body, "[-]stuck failed") &&
            (contains_ci(g_resp.body, "timeout") ||
             contains_ci(g_resp.body, "timed out"))) {
            seen = true;
            break;
        }
        sleep_ms(25);
    }
    if (!seen)
        FAILF("no timeout reason within 1.5 s; last %d: \"%s\"", g_resp.status,
              g_resp.body);
    CHECK_BODY_HAS("[-]stuck failed: check timed out after 100 ms");
    /* The serving thread is not blocked by the stuck callback. */
    CHECK_GET(port, "/hams/alive", 200);
    if (g_resp.ms > 500)
        FAILF("/hams/alive took %.0f ms while a callback was stuck", g_resp.ms);
    CHECK_GET(port, "/hams/ready", 503);
    if (g_resp.ms > 500)
        FAILF("/hams/ready took %.0f ms while a callback was stuck", g_resp.ms);
    /* It is still within its 2 s sleep: the timeout fired, not completion. */
    CHECK(now_ms() - t0 < 2000);

    atomic_store(&stuck.stop, 1);
    hams_free(h);
}

typedef struct {
    _Atomic(hams_probe_t *) self;
    atomic_int calls;
    atomic_int free_rc;
} selffree_state;

static bool selffree_cb(void *user, char *reason, size_t reason_len) {
    (void)reason;
    (void)reason_len;
    selffree_state *s = (selffree_state *)user;
    atomic_fetch_add(&s->calls, 1);
    hams_probe_t *p = atomic_exchange(&s->self, NULL);
    if (p) atomic_store(&s->free_rc, hams_probe_free(p) + 100);
    return true;
}

TEST(callback_frees_itself) {
    int port = 0;
    hams_t *h = start_server("selffree", &port);
    REQUIRE(h != NULL);
    static selffree_state s;
    atomic_store(&s.self, NULL);
    atomic_store(&s.calls, 0);
    atomic_store(&s.free_rc, 0);
    hams_probe_t *p = hams_probe_new_callback(h, "selfie", HAMS_READY,
                                              selffree_cb, &s, 20, 500);
    REQUIRE(p != NULL);
    atomic_store(&s.self, p);
    double t0 = now_ms();
    while (atomic_load(&s.free_rc) == 0 && now_ms() - t0 < 2000) sleep_ms(10);
    CHECK_INT(atomic_load(&s.free_rc), HAMS_OK + 100);
    CHECK_GET(port, "/hams/ready?verbose", 200);
    CHECK_BODY_LACKS("selfie");
    int n = atomic_load(&s.calls);
    sleep_ms(100);
    CHECK_INT(atomic_load(&s.calls), n);
    hams_free(h);
}
