/*
 * C API tests: hams_version, the constants, hams_last_error (never NULL,
 * per thread), NULL arguments and invalid UTF-8 everywhere.
 */
#include "helpers.h"

#include <pthread.h>
#include <string.h>

TEST(version) {
    const char *v = hams_version();
    REQUIRE(v != NULL);
    CHECK(strlen(v) > 0);
    CHECK(v[0] >= '0' && v[0] <= '9');
    CHECK(strchr(v, '.') != NULL);
    /* Stable pointer / same content on repeated calls. */
    CHECK(strcmp(v, hams_version()) == 0);
}

TEST(constants) {
    CHECK_INT(HAMS_OK, 0);
    CHECK_INT(HAMS_ERR_NULL, -1);
    CHECK_INT(HAMS_ERR_INVALID, -2);
    CHECK_INT(HAMS_ERR_STATE, -3);
    CHECK_INT(HAMS_ERR_IO, -4);
    CHECK_INT(HAMS_ERR_CONFIG, -5);
    CHECK_INT(HAMS_ERR_PANIC, -6);
    CHECK_INT(HAMS_ALIVE, 1);
    CHECK_INT(HAMS_READY, 2);
    CHECK_INT(HAMS_STARTUP, 4);
}

TEST(last_error_is_never_null) {
    const char *e = hams_last_error();
    CHECK(e != NULL);
    /* After a failure it names something. */
    CHECK_ERR(hams_start(NULL), HAMS_ERR_NULL);
    e = hams_last_error();
    REQUIRE(e != NULL);
    CHECK(strlen(e) > 0);
}

TEST(null_arguments) {
    hams_t *h = hams_new("null-test", "1.0.0");
    REQUIRE(h != NULL);
    hams_probe_t *m = hams_probe_new_manual(h, "m", HAMS_ALIVE, true);
    hams_probe_t *k = hams_probe_new_kick(h, "k", HAMS_ALIVE, 1000);
    REQUIRE(m != NULL);
    REQUIRE(k != NULL);
    cb_state st;
    memset(&st, 0, sizeof(st));
    atomic_store(&st.result, 1);

    CHECK_NULL_ERR(hams_new(NULL, "1.0.0"));
    CHECK_NULL_ERR(hams_new("svc", NULL));
    CHECK_NULL_ERR(hams_new(NULL, NULL));

    CHECK_ERR(hams_set_address(NULL, "127.0.0.1:0"), HAMS_ERR_NULL);
    CHECK_ERR(hams_set_address(h, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_start(NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_port(NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_stop(NULL), HAMS_ERR_NULL);
    hams_free(NULL); /* must be a no-op */

    CHECK_NULL_ERR(hams_probe_new_manual(NULL, "x", HAMS_ALIVE, true));
    CHECK_NULL_ERR(hams_probe_new_manual(h, NULL, HAMS_ALIVE, true));
    CHECK_NULL_ERR(hams_probe_new_kick(NULL, "x", HAMS_ALIVE, 100));
    CHECK_NULL_ERR(hams_probe_new_kick(h, NULL, HAMS_ALIVE, 100));
    CHECK_NULL_ERR(hams_probe_new_callback(NULL, "x", HAMS_READY, check_cb,
                                           &st, 100, 100));
    CHECK_NULL_ERR(hams_probe_new_callback(h, NULL, HAMS_READY, check_cb,
                                           &st, 100, 100));
    CHECK_NULL_ERR(hams_probe_new_callback(h, "x", HAMS_READY, NULL, &st,
                                           100, 100));

    CHECK_ERR(hams_probe_set(NULL, true, "r"), HAMS_ERR_NULL);
    CHECK_ERR(hams_probe_set(NULL, false, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_probe_kick(NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_probe_free(NULL), HAMS_ERR_NULL);

    /* NULL where NULL is allowed. */
    CHECK_OK(hams_probe_set(m, false, NULL));
    CHECK_OK(hams_probe_set(m, true, NULL));
    hams_probe_t *c = hams_probe_new_callback(h, "nulluser", HAMS_READY,
                                              check_cb_null_user, NULL, 50, 50);
    CHECK(c != NULL);

    /* The failed calls above registered nothing named "x". */
    hams_probe_t *x = hams_probe_new_manual(h, "x", HAMS_ALIVE, true);
    CHECK(x != NULL);

    /* The handles are still usable after all those failures. */
    CHECK_OK(hams_probe_kick(k));
    CHECK_OK(hams_probe_free(k));
    hams_free(h);
}

static void check_worker_error_differs(void);

static char g_thread_err_before[256];
static char g_thread_err_after[256];

static void *last_error_thread(void *arg) {
    (void)arg;
    const char *e = hams_last_error();
    snprintf(g_thread_err_before, sizeof(g_thread_err_before), "%s",
             e ? e : "(NULL)");
    hams_t *h = hams_new("tl", "1");
    if (h) {
        (void)hams_set_address(h, "nonsense");
        hams_free(h);
    }
    e = hams_last_error();
    snprintf(g_thread_err_after, sizeof(g_thread_err_after), "%s",
             e ? e : "(NULL)");
    return NULL;
}

TEST(last_error_thread_local) {
    /* Main thread: a NULL-argument failure. */
    CHECK_ERR(hams_probe_kick(NULL), HAMS_ERR_NULL);
    char mine[512];
    snprintf(mine, sizeof(mine), "%s", safe_last_error());

    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, last_error_thread, NULL) == 0);
    pthread_join(t, NULL);

    /* A fresh thread has no error yet. */
    if (strcmp(g_thread_err_before, "") != 0)
        FAILF("fresh thread's hams_last_error() = \"%s\", expected \"\"",
              g_thread_err_before);
    /* Its own failure is visible to it. */
    CHECK(strlen(g_thread_err_after) > 0);
    CHECK(strcmp(g_thread_err_after, "(NULL)") != 0);
    /* ...and did not overwrite the main thread's message. */
    if (strcmp(mine, safe_last_error()) != 0)
        FAILF("main thread's error changed from \"%s\" to \"%s\"", mine,
              safe_last_error());
    check_worker_error_differs();
}

static void check_worker_error_differs(void) {
    /* The two messages should differ (different failure kinds). */
    CHECK(strcmp(g_thread_err_after, safe_last_error()) != 0);
}

TEST(invalid_utf8) {
    CHECK_NULL_ERR(hams_new("\xff\xfe", "1.0"));
    CHECK_NULL_ERR(hams_new("svc", "\xff\xfe"));
    hams_t *h = hams_new("utf8", "1.0");
    REQUIRE(h != NULL);
    CHECK_ERR(hams_set_address(h, "\xff\xfe"), HAMS_ERR_INVALID);
    CHECK_ERR(hams_set_address(h, "127.0.0.1:\xc3"), HAMS_ERR_INVALID);
    CHECK_NULL_ERR(hams_probe_new_manual(h, "\xff\xfe", HAMS_ALIVE, true));
    CHECK_NULL_ERR(hams_probe_new_kick(h, "a\xff", HAMS_ALIVE, 100));
    cb_state st;
    memset(&st, 0, sizeof(st));
    CHECK_NULL_ERR(hams_probe_new_callback(h, "\xc3\x28", HAMS_READY,
                                           check_cb, &st, 100, 100));
    hams_probe_t *m = hams_probe_new_manual(h, "m", HAMS_ALIVE, true);
    REQUIRE(m != NULL);
    CHECK_ERR(hams_probe_set(m, false, "bad \xff\xfe reason"),
              HAMS_ERR_INVALID);
    hams_free(h);
}
