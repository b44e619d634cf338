/*
 * C API tests: what the constructors and setters refuse (service and
 * probe names, duplicates, check bits, timings, addresses) and calls
 * in the wrong state or on the wrong kind of probe.
 */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

TEST(service_name_validation) {
    CHECK_NULL_ERR(hams_new("", "1.0"));
    CHECK_NULL_ERR(hams_new("svc", ""));
    CHECK_NULL_ERR(hams_new("bad\nname", "1.0"));
    CHECK_NULL_ERR(hams_new("svc", "1.0\r"));
    CHECK_NULL_ERR(hams_new("tab\there", "1.0"));
    hams_t *h = hams_new("service with spaces", "1.0.0-beta+build.5");
    CHECK(h != NULL);
    hams_free(h);
    h = hams_new("caf\xc3\xa9", "v1"); /* valid UTF-8, non-ASCII */
    CHECK(h != NULL);
    hams_free(h);
}

TEST(bad_probe_names) {
    hams_t *h = hams_new("names", "1.0");
    REQUIRE(h != NULL);
    static const char *bad[] = {
        "",       " ",       "has space", "slash/name", "q?x",  "a&b",
        "a=b",    "colon:x", "tab\tx",    "nl\nx",      "%20",  "uni\xc3\xa9",
        "[x]",    "a+b",     "a#b",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        hams_probe_t *p = hams_probe_new_manual(h, bad[i], HAMS_ALIVE, true);
        if (p != NULL) FAILF("manual probe name \"%s\" was accepted", bad[i]);
        else if (!last_error_nonempty())
            FAILF("no error message for bad name \"%s\"", bad[i]);
        p = hams_probe_new_kick(h, bad[i], HAMS_ALIVE, 100);
        if (p != NULL) FAILF("kick probe name \"%s\" was accepted", bad[i]);
    }
    cb_state st;
    memset(&st, 0, sizeof(st));
    CHECK_NULL_ERR(hams_probe_new_callback(h, "bad name", HAMS_READY,
                                           check_cb, &st, 100, 100));
    CHECK_NULL_ERR(hams_probe_new_callback(h, "", HAMS_READY, check_cb, &st,
                                           100, 100));

    /* Length limit: 1 to 64 characters. */
    char n64[65], n65[66];
    memset(n64, 'a', 64);
    n64[64] = '\0';
    memset(n65, 'b', 65);
    n65[65] = '\0';
    CHECK_NULL_ERR(hams_probe_new_manual(h, n65, HAMS_ALIVE, true));
    CHECK(hams_probe_new_manual(h, n64, HAMS_ALIVE, true) != NULL);

    static const char *good[] = {"a", "Z", "0", "db", "A-Z_0.9", "x.y-z_1",
                                 "_", "-", ".x", "UPPER", "with-dash"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        hams_probe_t *p = hams_probe_new_manual(h, good[i], HAMS_ALIVE, true);
        if (p == NULL)
            FAILF("good name \"%s\" was rejected: %s", good[i],
                  safe_last_error());
    }
    hams_free(h);
}

TEST(duplicate_names) {
    hams_t *h = hams_new("dups", "1.0");
    hams_t *h2 = hams_new("dups2", "1.0");
    REQUIRE(h != NULL && h2 != NULL);
    cb_state st;
    memset(&st, 0, sizeof(st));

    hams_probe_t *a = hams_probe_new_manual(h, "same", HAMS_ALIVE, true);
    REQUIRE(a != NULL);
    CHECK_NULL_ERR(hams_probe_new_manual(h, "same", HAMS_ALIVE, true));
    CHECK_NULL_ERR(hams_probe_new_manual(h, "same", HAMS_READY, true));
    CHECK_NULL_ERR(hams_probe_new_kick(h, "same", HAMS_READY, 100));
    CHECK_NULL_ERR(hams_probe_new_callback(h, "same", HAMS_STARTUP, check_cb,
                                           &st, 100, 100));

    hams_probe_t *k = hams_probe_new_kick(h, "kk", HAMS_ALIVE, 100);
    REQUIRE(k != NULL);
    CHECK_NULL_ERR(hams_probe_new_manual(h, "kk", HAMS_ALIVE, true));

    /* Same name on a different server is fine. */
    hams_probe_t *b = hams_probe_new_manual(h2, "same", HAMS_ALIVE, true);
    CHECK(b != NULL);

    /* After freeing, the name can be used again. */
    CHECK_OK(hams_probe_free(a));
    a = hams_probe_new_manual(h, "same", HAMS_READY, false);
    if (a == NULL) FAILF("name not reusable after free: %s", safe_last_error());

    hams_free(h);
    hams_free(h2);
}

TEST(bad_checks_bits) {
    hams_t *h = hams_new("bits", "1.0");
    REQUIRE(h != NULL);
    cb_state st;
    memset(&st, 0, sizeof(st));
    static const unsigned bad[] = {0u, 8u, 16u, 1u | 8u, 7u | 64u, 0x80000000u,
                                   0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "p%zu", i);
        hams_probe_t *p = hams_probe_new_manual(h, name, bad[i], true);
        if (p) FAILF("manual checks=0x%x accepted", bad[i]);
        else if (!last_error_nonempty()) FAILF("no message for checks=0x%x", bad[i]);
        p = hams_probe_new_kick(h, name, bad[i], 100);
        if (p) FAILF("kick checks=0x%x accepted", bad[i]);
        p = hams_probe_new_callback(h, name, bad[i], check_cb, &st, 100, 100);
        if (p) FAILF("callback checks=0x%x accepted", bad[i]);
    }
    static const unsigned good[] = {HAMS_ALIVE,
                                    HAMS_READY,
                                    HAMS_STARTUP,
                                    HAMS_ALIVE | HAMS_READY,
                                    HAMS_READY | HAMS_STARTUP,
                                    HAMS_ALIVE | HAMS_READY | HAMS_STARTUP};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "g%zu", i);
        hams_probe_t *p = hams_probe_new_manual(h, name, good[i], true);
        if (!p) FAILF("checks=0x%x rejected: %s", good[i], safe_last_error());
    }
    hams_free(h);
}

TEST(bad_kick_margin) {
    hams_t *h = hams_new("margin", "1.0");
    REQUIRE(h != NULL);
    CHECK_NULL_ERR(hams_probe_new_kick(h, "k", HAMS_ALIVE, 0));
    CHECK(hams_probe_new_kick(h, "k", HAMS_ALIVE, 1) != NULL);
    hams_free(h);
}

TEST(bad_callback_timing) {
    hams_t *h = hams_new("timing", "1.0");
    REQUIRE(h != NULL);
    cb_state st;
    memset(&st, 0, sizeof(st));
    atomic_store(&st.result, 1);
    CHECK_NULL_ERR(hams_probe_new_callback(h, "c", HAMS_READY, check_cb, &st,
                                           0, 100));
    CHECK_NULL_ERR(hams_probe_new_callback(h, "c", HAMS_READY, check_cb, &st,
                                           100, 0));
    CHECK_NULL_ERR(hams_probe_new_callback(h, "c", HAMS_READY, check_cb, &st,
                                           0, 0));
    hams_probe_t *c =
        hams_probe_new_callback(h, "c", HAMS_READY, check_cb, &st, 100, 100);
    CHECK(c != NULL);
    hams_free(h);
}

TEST(bad_addresses) {
    hams_t *h = hams_new("addr", "1.0");
    REQUIRE(h != NULL);
    static const char *bad[] = {"nonsense",        "1.2.3.4:99999",
                                "",                "127.0.0.1:-1",
                                "127.0.0.1:abc",   ":::",
                                "127.0.0.1:65536", "127.0.0.1: 80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = hams_set_address(h, bad[i]);
        if (rc != HAMS_ERR_INVALID)
            FAILF("hams_set_address(\"%s\") = %d, expected HAMS_ERR_INVALID",
                  bad[i], rc);
        else if (!last_error_nonempty())
            FAILF("no message for address \"%s\"", bad[i]);
    }
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    CHECK_OK(hams_set_address(h, "0.0.0.0:8079"));
    CHECK_OK(hams_set_address(h, "[::1]:0"));
    CHECK_OK(hams_set_address(h, "127.0.0.1:65535"));
    /* A bad address does not clobber the last good one: start works. */
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    CHECK_ERR(hams_set_address(h, "nonsense"), HAMS_ERR_INVALID);
    CHECK_OK(hams_start(h));
    CHECK(hams_port(h) > 0);
    hams_free(h);
}

TEST(wrong_state) {
    hams_t *h = hams_new("state", "1.0");
    REQUIRE(h != NULL);
    CHECK_ERR(hams_port(h), HAMS_ERR_STATE);
    CHECK_ERR(hams_stop(h), HAMS_ERR_STATE);
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    CHECK_OK(hams_start(h));
    int port = hams_port(h);
    CHECK(port > 0);
    CHECK_ERR(hams_start(h), HAMS_ERR_STATE);
    CHECK_ERR(hams_set_address(h, "127.0.0.1:0"), HAMS_ERR_STATE);
    /* Still serving after the failed calls, same port. */
    CHECK_INT(hams_port(h), port);
    CHECK_GET(port, "/hams/alive", 200);
    CHECK_OK(hams_stop(h));
    CHECK_ERR(hams_port(h), HAMS_ERR_STATE);
    CHECK_ERR(hams_stop(h), HAMS_ERR_STATE);
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    hams_free(h);
}

TEST(wrong_probe_kind) {
    hams_t *h = hams_new("kind", "1.0");
    REQUIRE(h != NULL);
    cb_state st;
    memset(&st, 0, sizeof(st));
    atomic_store(&st.result, 1);
    hams_probe_t *m = hams_probe_new_manual(h, "m", HAMS_ALIVE, true);
    hams_probe_t *k = hams_probe_new_kick(h, "k", HAMS_ALIVE, 1000);
    hams_probe_t *c =
        hams_probe_new_callback(h, "c", HAMS_READY, check_cb, &st, 100, 100);
    REQUIRE(m && k && c);
    CHECK_ERR(hams_probe_kick(m), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_set(k, true, NULL), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_set(k, false, "x"), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_kick(c), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_set(c, true, NULL), HAMS_ERR_INVALID);
    CHECK_OK(hams_probe_kick(k));
    CHECK_OK(hams_probe_set(m, true, "fine"));
    hams_free(h);
}
