/*
 * C API tests of hams_set_logger: levels, filtering, off, and back to
 * the default stderr logger.
 */
#include "helpers.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LOG_CAP 256
typedef struct {
    pthread_mutex_t mu;
    int count;
    int levels[LOG_CAP];
    char messages[LOG_CAP][160];
    int bad_args; /* NULL target/message or out-of-range level */
    int wrong_user;
} log_rec;

static log_rec g_log = {PTHREAD_MUTEX_INITIALIZER, 0, {0}, {{0}}, 0, 0};

static void log_cb(void *user, int level, const char *target,
                   const char *message) {
    pthread_mutex_lock(&g_log.mu);
    if (user != &g_log) g_log.wrong_user++;
    if (target == NULL || message == NULL || level < 1 || level > 5)
        g_log.bad_args++;
    if (g_log.count < LOG_CAP) {
        g_log.levels[g_log.count] = level;
        snprintf(g_log.messages[g_log.count], sizeof(g_log.messages[0]),
                 "%s", message ? message : "(NULL)");
    }
    g_log.count++;
    pthread_mutex_unlock(&g_log.mu);
}

static void log_reset(void) {
    pthread_mutex_lock(&g_log.mu);
    g_log.count = 0;
    g_log.bad_args = 0;
    g_log.wrong_user = 0;
    pthread_mutex_unlock(&g_log.mu);
}

static int log_count(void) {
    pthread_mutex_lock(&g_log.mu);
    int n = g_log.count;
    pthread_mutex_unlock(&g_log.mu);
    return n;
}

static int log_count_level(int level) {
    pthread_mutex_lock(&g_log.mu);
    int n = 0;
    for (int i = 0; i < g_log.count && i < LOG_CAP; i++)
        if (g_log.levels[i] == level) n++;
    pthread_mutex_unlock(&g_log.mu);
    return n;
}

static int log_count_above(int level) {
    pthread_mutex_lock(&g_log.mu);
    int n = 0;
    for (int i = 0; i < g_log.count && i < LOG_CAP; i++)
        if (g_log.levels[i] > level) n++;
    pthread_mutex_unlock(&g_log.mu);
    return n;
}

static void start_stop_cycle(void) {
    int port = 0;
    hams_t *h = start_server("logger", &port);
    if (!h) return;
    (void)get(port, "/hams/alive");
    (void)hams_stop(h);
    hams_free(h);
}

TEST(logger) {
    CHECK_ERR(hams_set_logger(log_cb, &g_log, -1), HAMS_ERR_INVALID);
    CHECK_ERR(hams_set_logger(log_cb, &g_log, 6), HAMS_ERR_INVALID);
    CHECK_ERR(hams_set_logger(NULL, NULL, 99), HAMS_ERR_INVALID);
    /* Everything, up to trace. */
    log_reset();
    CHECK_OK(hams_set_logger(log_cb, &g_log, 5));
    start_stop_cycle();
    int n = log_count();
    if (n == 0) FAILF("no log record delivered for start/stop at max_level 5");
    if (log_count_level(3) == 0)
        FAILF("no info-level record for start (got %d records)", n);
    CHECK_INT(g_log.bad_args, 0);
    CHECK_INT(g_log.wrong_user, 0);

    /* A failed bind is logged too. */
    log_reset();
    {
        int port = 0;
        hams_t *h1 = start_server("logbind1", &port);
        hams_t *h2 = hams_new("logbind2", "1.0");
        if (h1 && h2) {
            char addr[64];
            snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
            CHECK_OK(hams_set_address(h2, addr));
            CHECK_ERR(hams_start(h2), HAMS_ERR_IO);
        }
        hams_free(h2);
        hams_free(h1);
    }
    CHECK(log_count() > 0);

    /* Filtered at warn: nothing more verbose than warn arrives. */
    log_reset();
    CHECK_OK(hams_set_logger(log_cb, &g_log, 2));
    start_stop_cycle();
    if (log_count_above(2) != 0)
        FAILF("%d records above warn delivered at max_level 2",
              log_count_above(2));

    /* Off: nothing arrives. */
    log_reset();
    CHECK_OK(hams_set_logger(log_cb, &g_log, 0));
    start_stop_cycle();
    CHECK_INT(log_count(), 0);

    /* Back to default stderr logging: our callback is no longer called. */
    CHECK_OK(hams_set_logger(log_cb, &g_log, 5));
    CHECK_OK(hams_set_logger(NULL, NULL, 2));
    log_reset();
    start_stop_cycle();
    CHECK_INT(log_count(), 0);
}
