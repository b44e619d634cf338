/*
 * C API tests of a server's life: a port in use, two servers, stop and
 * start again, hams_free with probes registered.
 */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

TEST(port_in_use) {
    int port = 0;
    hams_t *h1 = start_server("first", &port);
    REQUIRE(h1 != NULL);
    hams_t *h2 = hams_new("second", "1.0");
    REQUIRE(h2 != NULL);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    CHECK_OK(hams_set_address(h2, addr));
    CHECK_ERR(hams_start(h2), HAMS_ERR_IO);
    if (!contains_ci(safe_last_error(), "in use"))
        FAILF("bind error message lacks the OS error: \"%s\"",
              safe_last_error());
    CHECK_ERR(hams_port(h2), HAMS_ERR_STATE);
    CHECK_ERR(hams_stop(h2), HAMS_ERR_STATE);
    /* The first server is unaffected. */
    CHECK_GET(port, "/hams/alive", 200);
    /* The failed one can be pointed elsewhere and started. */
    CHECK_OK(hams_set_address(h2, "127.0.0.1:0"));
    CHECK_OK(hams_start(h2));
    CHECK(hams_port(h2) > 0);
    CHECK(hams_port(h2) != port);
    hams_free(h2);
    hams_free(h1);
}

TEST(two_servers) {
    int p1 = 0, p2 = 0;
    hams_t *h1 = start_server("one", &p1);
    hams_t *h2 = start_server("two", &p2);
    REQUIRE(h1 && h2);
    CHECK(p1 != p2);
    hams_probe_t *x = hams_probe_new_manual(h1, "x", HAMS_ALIVE, false);
    hams_probe_t *y = hams_probe_new_manual(h2, "y", HAMS_ALIVE, true);
    REQUIRE(x && y);
    CHECK_GET(p1, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]x failed");
    CHECK_BODY_LACKS("[+]y");
    CHECK_GET(p2, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]y ok");
    CHECK_BODY_LACKS("x failed");
    CHECK_GET(p1, "/hams/version", 200);
    CHECK_BODY_HAS("one");
    CHECK_GET(p2, "/hams/version", 200);
    CHECK_BODY_HAS("two");
    /* Stopping one leaves the other serving. */
    CHECK_OK(hams_stop(h1));
    CHECK_GET(p2, "/hams/alive", 200);
    hams_free(h1);
    CHECK_GET(p2, "/hams/alive", 200);
    hams_free(h2);
}

TEST(stop_start_again) {
    int port = 0;
    hams_t *h = start_server("restart", &port);
    REQUIRE(h != NULL);
    hams_probe_t *m = hams_probe_new_manual(h, "persist", HAMS_ALIVE, false);
    REQUIRE(m != NULL);
    CHECK_GET(port, "/hams/alive", 503);
    CHECK_OK(hams_stop(h));
    CHECK_ERR(hams_port(h), HAMS_ERR_STATE);
    /* Not serving any more: the request cannot succeed. */
    int st = http_req(port, "GET", "/hams/alive", NULL, &g_resp, 500);
    if (st != -1) FAILF("GET after stop answered %d", st);

    /* Probes can be changed while stopped. */
    CHECK_OK(hams_probe_set(m, true, NULL));
    CHECK_OK(hams_start(h));
    int port2 = hams_port(h);
    CHECK(port2 > 0);
    CHECK_GET(port2, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]persist ok");

    /* Several cycles. */
    for (int i = 0; i < 3; i++) {
        CHECK_OK(hams_stop(h));
        CHECK_OK(hams_start(h));
        int p = hams_port(h);
        CHECK(p > 0);
        CHECK_GET(p, "/hams/alive", 200);
    }
    CHECK_OK(hams_stop(h));
    hams_free(h); /* free when stopped */
}

TEST(free_with_probes) {
    /* Started, with all kinds of probes still registered. */
    int port = 0;
    hams_t *h = start_server("freeall", &port);
    REQUIRE(h != NULL);
    static cb_state st;
    memset(&st, 0, sizeof(st));
    atomic_store(&st.result, 1);
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof(name), "m%d", i);
        CHECK(hams_probe_new_manual(h, name, HAMS_ALIVE, i % 2) != NULL);
        snprintf(name, sizeof(name), "k%d", i);
        CHECK(hams_probe_new_kick(h, name, HAMS_READY, 500) != NULL);
    }
    CHECK(hams_probe_new_callback(h, "cb", HAMS_STARTUP, check_cb, &st, 20,
                                  100) != NULL);
    CHECK_GET(port, "/hams/alive", 503);
    hams_free(h);
    int n = atomic_load(&st.calls);
    sleep_ms(100);
    CHECK_INT(atomic_load(&st.calls), n);

    /* Never started, with probes. */
    h = hams_new("freeall2", "1.0");
    REQUIRE(h != NULL);
    CHECK(hams_probe_new_manual(h, "a", HAMS_ALIVE, true) != NULL);
    CHECK(hams_probe_new_kick(h, "b", HAMS_ALIVE, 100) != NULL);
    CHECK(hams_probe_new_callback(h, "c", HAMS_READY, check_cb, &st, 20,
                                  100) != NULL);
    hams_free(h);

    /* Many create/free cycles (leak check under valgrind/ASan if used). */
    for (int i = 0; i < 50; i++) {
        h = hams_new("cycle", "1.0");
        REQUIRE(h != NULL);
        hams_probe_t *p = hams_probe_new_manual(h, "p", HAMS_ALIVE, true);
        CHECK(p != NULL);
        if (i % 2) CHECK_OK(hams_probe_free(p));
        hams_free(h);
    }
}
