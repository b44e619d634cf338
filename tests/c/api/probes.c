/*
 * C API tests of manual and kick probes seen over HTTP: single-probe
 * endpoints, exclude, the startup latch, and freeing probes.
 */
#include "helpers.h"

#include <string.h>

TEST(http_manual_probe) {
    int port = 0;
    hams_t *h = start_server("manual", &port);
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "db", HAMS_ALIVE, true);
    REQUIRE(p != NULL);

    CHECK_GET(port, "/hams/alive", 200);
    CHECK(body_is(g_resp.body, "ok"));
    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]db ok");
    CHECK_BODY_HAS("alive check passed");

    CHECK_OK(hams_probe_set(p, false, "connection refused"));
    CHECK_GET(port, "/hams/alive", 503);
    CHECK_BODY_HAS("db");
    CHECK_BODY_HAS("connection refused");
    CHECK_BODY_HAS("[-]db failed: connection refused");
    CHECK_GET(port, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]db failed: connection refused");
    CHECK_BODY_HAS("alive check failed");
    /* Only the alive check includes it. */
    CHECK_GET(port, "/hams/ready", 200);
    CHECK_GET(port, "/hams/startup", 200);

    /* Single probe endpoint. */
    CHECK_GET(port, "/hams/alive/db", 503);
    CHECK_BODY_HAS("connection refused");
    CHECK_GET(port, "/hams/alive/nope", 404);

    /* Exclude. */
    CHECK_GET(port, "/hams/alive?exclude=db", 200);
    CHECK_GET(port, "/hams/alive?verbose&exclude=db", 200);
    CHECK_BODY_HAS("[+]db excluded: ok");
    CHECK_BODY_HAS("alive check passed");
    CHECK_GET(port, "/hams/alive?exclude=other", 503);
    CHECK_GET(port, "/hams/alive?exclude=db&exclude=other&verbose", 200);
    CHECK_BODY_HAS("warn:");
    CHECK_BODY_HAS("other");

    /* HEAD on a failing check. */
    int st = http_req(port, "HEAD", "/hams/alive", NULL, &g_resp, 3000);
    CHECK_INT(st, 503);
    CHECK_INT(g_resp.body_len, 0);

    /* Failing without a reason. */
    CHECK_OK(hams_probe_set(p, false, NULL));
    CHECK_GET(port, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]db failed");
    CHECK_BODY_LACKS("connection refused");

    CHECK_OK(hams_probe_set(p, true, NULL));
    CHECK_GET(port, "/hams/alive", 200);
    CHECK(body_is(g_resp.body, "ok"));
    CHECK_GET(port, "/hams/alive/db", 200);
    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]db ok");

    /* A probe created unhealthy fails immediately; it can be in several
     * checks at once. */
    hams_probe_t *q = hams_probe_new_manual(h, "cache", HAMS_ALIVE | HAMS_READY,
                                            false);
    REQUIRE(q != NULL);
    CHECK_GET(port, "/hams/alive", 503);
    CHECK_BODY_HAS("cache");
    CHECK_BODY_LACKS("[-]db");
    CHECK_GET(port, "/hams/ready", 503);
    CHECK_BODY_HAS("cache");
    CHECK_GET(port, "/hams/startup", 200);
    CHECK_GET(port, "/hams/ready/cache", 503);
    CHECK_GET(port, "/hams/ready/nope", 404);
    CHECK_GET(port, "/hams/startup/nope", 404);
    CHECK_OK(hams_probe_set(q, true, "warm"));
    CHECK_GET(port, "/hams/alive", 200);
    CHECK_GET(port, "/hams/ready", 200);

    hams_free(h);
}

TEST(http_ready_startup_interplay) {
    int port = 0;
    hams_t *h = start_server("interplay", &port);
    REQUIRE(h != NULL);
    hams_probe_t *s = hams_probe_new_manual(h, "boot", HAMS_STARTUP, false);
    hams_probe_t *r = hams_probe_new_manual(h, "svc", HAMS_READY, true);
    REQUIRE(s && r);

    /* Startup has never passed: readiness fails although its probe is ok. */
    CHECK_GET(port, "/hams/startup", 503);
    CHECK_BODY_HAS("boot");
    CHECK_GET(port, "/hams/ready", 503);
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_BODY_HAS("[-]startup failed: startup check has not passed yet");
    CHECK_BODY_HAS("[+]svc ok");
    CHECK_GET(port, "/hams/alive", 200);

    /* Startup passes: both pass. */
    CHECK_OK(hams_probe_set(s, true, NULL));
    CHECK_GET(port, "/hams/startup", 200);
    CHECK_GET(port, "/hams/ready", 200);
    CHECK(body_is(g_resp.body, "ok"));

    /* Once startup has passed it stays passed (documented latch, as with
     * Kubernetes startup probes), and readiness no longer depends on it. */
    CHECK_OK(hams_probe_set(s, false, "rebooting"));
    CHECK_GET(port, "/hams/startup", 200);
    CHECK_GET(port, "/hams/ready", 200);
    CHECK_GET(port, "/hams/ready?verbose", 200);
    CHECK_BODY_LACKS("startup check has not passed yet");

    /* Readiness follows its own probes. */
    CHECK_OK(hams_probe_set(r, false, "overloaded"));
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_BODY_HAS("[-]svc failed: overloaded");
    CHECK_BODY_HAS("ready check failed");
    CHECK_OK(hams_probe_set(r, true, NULL));
    CHECK_GET(port, "/hams/ready", 200);
    hams_free(h);

    /* A probe in READY|STARTUP (like the demo's "warmup"). */
    h = start_server("interplay2", &port);
    REQUIRE(h != NULL);
    hams_probe_t *w =
        hams_probe_new_manual(h, "warmup", HAMS_READY | HAMS_STARTUP, false);
    REQUIRE(w != NULL);
    CHECK_GET(port, "/hams/startup?verbose", 503);
    CHECK_BODY_HAS("[-]warmup failed");
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_BODY_HAS("warmup");
    CHECK_OK(hams_probe_set(w, true, NULL));
    CHECK_GET(port, "/hams/startup", 200);
    CHECK_GET(port, "/hams/ready", 200);
    hams_free(h);
}

TEST(http_kick_probe) {
    int port = 0;
    hams_t *h = start_server("kick", &port);
    REQUIRE(h != NULL);
    hams_probe_t *k = hams_probe_new_kick(h, "loop", HAMS_ALIVE, 100);
    REQUIRE(k != NULL);

    /* Healthy right after creation. */
    CHECK_GET(port, "/hams/alive", 200);
    sleep_ms(300);
    CHECK_GET(port, "/hams/alive", 503);
    CHECK_BODY_HAS("loop");
    CHECK_GET(port, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]loop failed");
    CHECK_OK(hams_probe_kick(k));
    CHECK_GET(port, "/hams/alive", 200);
    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]loop ok");
    /* Kicking regularly keeps it healthy. */
    for (int i = 0; i < 6; i++) {
        sleep_ms(40);
        CHECK_OK(hams_probe_kick(k));
    }
    CHECK_GET(port, "/hams/alive", 200);
    sleep_ms(250);
    CHECK_GET(port, "/hams/alive/loop", 503);
    hams_free(h);
}

TEST(http_probe_free) {
    int port = 0;
    hams_t *h = start_server("pfree", &port);
    REQUIRE(h != NULL);
    hams_probe_t *a = hams_probe_new_manual(h, "keep", HAMS_ALIVE, true);
    hams_probe_t *b = hams_probe_new_manual(h, "gone", HAMS_ALIVE, false);
    hams_probe_t *k = hams_probe_new_kick(h, "gonekick", HAMS_ALIVE, 10000);
    static cb_state st;
    memset(&st, 0, sizeof(st));
    atomic_store(&st.result, 1);
    hams_probe_t *c = hams_probe_new_callback(h, "gonecb", HAMS_ALIVE,
                                              check_cb, &st, 50, 500);
    REQUIRE(a && b && k && c);
    CHECK(wait_for(port, "/hams/alive?verbose", 503, "[+]gonecb ok", 1000));
    CHECK_BODY_HAS("[-]gone failed");
    CHECK_BODY_HAS("[+]keep ok");
    CHECK_BODY_HAS("[+]gonekick ok");

    CHECK_OK(hams_probe_free(b));
    CHECK_OK(hams_probe_free(k));
    CHECK_OK(hams_probe_free(c));
    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]keep ok");
    CHECK_BODY_LACKS("gone");
    CHECK_GET(port, "/hams/alive/gone", 404);
    CHECK_GET(port, "/hams/alive/gonecb", 404);

    /* A freed callback probe's function is not called any more. */
    int n = atomic_load(&st.calls);
    sleep_ms(150);
    CHECK_INT(atomic_load(&st.calls), n);

    CHECK_OK(hams_probe_free(a));
    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_LACKS("keep");
    hams_free(h);
}
