/*
 * C API tests: probes set, created and freed from several threads
 * while the server answers.
 */
#include "helpers.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    hams_t *h;
    hams_probe_t *p;
    int idx;
    int errors;
} worker_arg;

static void *toggle_worker(void *arg) {
    worker_arg *w = (worker_arg *)arg;
    for (int i = 0; i < 500; i++) {
        if (hams_probe_set(w->p, (i % 2) == 0, "toggling") != HAMS_OK)
            w->errors++;
    }
    if (hams_probe_set(w->p, true, NULL) != HAMS_OK) w->errors++;
    return NULL;
}

static void *churn_worker(void *arg) {
    worker_arg *w = (worker_arg *)arg;
    for (int i = 0; i < 200; i++) {
        char name[48];
        snprintf(name, sizeof(name), "churn%d-%d", w->idx, i);
        hams_probe_t *p = (i % 2) ? hams_probe_new_manual(w->h, name, HAMS_READY, true)
                                  : hams_probe_new_kick(w->h, name, HAMS_READY, 10000);
        if (!p) {
            w->errors++;
            continue;
        }
        if (hams_probe_free(p) != HAMS_OK) w->errors++;
    }
    return NULL;
}

TEST(concurrency) {
    int port = 0;
    hams_t *h = start_server("concurrent", &port);
    REQUIRE(h != NULL);
    enum { NT = 4 };
    pthread_t t[NT * 2];
    worker_arg a[NT * 2];
    for (int i = 0; i < NT; i++) {
        char name[32];
        snprintf(name, sizeof(name), "t%d", i);
        a[i].h = h;
        a[i].idx = i;
        a[i].errors = 0;
        a[i].p = hams_probe_new_manual(h, name, HAMS_ALIVE, true);
        REQUIRE(a[i].p != NULL);
        a[NT + i] = a[i];
        a[NT + i].p = NULL;
    }
    for (int i = 0; i < NT; i++) {
        REQUIRE(pthread_create(&t[i], NULL, toggle_worker, &a[i]) == 0);
        REQUIRE(pthread_create(&t[NT + i], NULL, churn_worker, &a[NT + i]) == 0);
    }
    int bad_status = 0;
    for (int i = 0; i < 20; i++) {
        int st = get(port, "/hams/alive");
        if (st != 200 && st != 503) bad_status++;
    }
    for (int i = 0; i < 2 * NT; i++) pthread_join(t[i], NULL);
    CHECK_INT(bad_status, 0);
    for (int i = 0; i < 2 * NT; i++)
        if (a[i].errors) FAILF("worker %d had %d failed calls", i, a[i].errors);
    CHECK_GET(port, "/hams/alive", 200);
    CHECK_GET(port, "/hams/ready?verbose", 200);
    CHECK_BODY_LACKS("churn");
    hams_free(h);
}
