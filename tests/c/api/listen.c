/*
 * C API tests of status listeners (hams_on_change), hams_check_state and
 * probe thresholds: the first call, the order of changes, changes caused by
 * time alone, a blocked listener that delays no HTTP answer, a listener
 * that calls hams or frees its hams_t, and blips below a threshold.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

/* The delivery bounds are the library's promises; under valgrind (whose
 * preload is in LD_PRELOAD) everything runs tens of times slower. */
static double slack(void) {
    const char *p = getenv("LD_PRELOAD");
    return p != NULL && strstr(p, "vgpreload") != NULL ? 20.0 : 1.0;
}

/* ---- a listener recording what it is told ---- */

#define MAX_EVENTS 256

typedef struct {
    char name[64];
    bool healthy;
    char reason[256];
    double at; /* now_ms() when told */
    int ready_state; /* hams_check_state(READY) inside the call, if asked */
} event;

typedef struct {
    pthread_mutex_t mu;
    event ev[MAX_EVENTS];
    atomic_int n;
    hams_t *h;               /* for listeners that call hams */
    atomic_int block;        /* 1: the listener waits while this is 1 ... */
    char block_on[64];       /* ... on a change of this name to unhealthy */
    atomic_int blocked;      /* it is waiting now */
    char free_on[64];        /* frees h on this name turning unhealthy */
    atomic_int freed;        /* hams_free(h) returned inside the listener */
    atomic_int calls_after_free;
} recorder;

static void rec_init(recorder *r) {
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->mu, NULL);
}

static void record(void *user, const char *name, bool healthy, const char *reason) {
    recorder *r = user;
    if (atomic_load(&r->freed)) atomic_fetch_add(&r->calls_after_free, 1);
    int ready = r->h != NULL && !atomic_load(&r->freed) ? hams_check_state(r->h, HAMS_READY) : -100;
    pthread_mutex_lock(&r->mu);
    int i = atomic_load(&r->n);
    if (i < MAX_EVENTS) {
        event *e = &r->ev[i];
        snprintf(e->name, sizeof(e->name), "%s", name);
        e->healthy = healthy;
        snprintf(e->reason, sizeof(e->reason), "%s", reason != NULL ? reason : "(null)");
        e->at = now_ms();
        e->ready_state = ready;
        atomic_store(&r->n, i + 1);
    }
    pthread_mutex_unlock(&r->mu);
    if (!healthy && r->block_on[0] && strcmp(name, r->block_on) == 0) {
        atomic_store(&r->blocked, 1);
        while (atomic_load(&r->block)) sleep_ms(5);
        atomic_store(&r->blocked, 0);
    }
    if (!healthy && r->free_on[0] && strcmp(name, r->free_on) == 0 && !atomic_load(&r->freed)) {
        hams_free(r->h);
        atomic_store(&r->freed, 1);
    }
}

/* The index of the first event at or after `from` for `name` with state
 * `healthy`, waiting up to within_ms; -1 if none came. */
static int wait_event(recorder *r, int from, const char *name, bool healthy, double within_ms) {
    double end = now_ms() + within_ms;
    for (;;) {
        int n = atomic_load(&r->n);
        for (int i = from; i < n; i++)
            if (strcmp(r->ev[i].name, name) == 0 && r->ev[i].healthy == healthy) return i;
        if (now_ms() > end) return -1;
        sleep_ms(1);
    }
}

/* Fails the case when an event arrives within `ms` after index `from`. */
static void expect_quiet(recorder *r, int from, int ms, int line) {
    sleep_ms(ms);
    int n = atomic_load(&r->n);
    for (int i = from; i < n; i++)
        FAILF("line %d: unexpected change %s %s \"%s\"", line, r->ev[i].name,
              r->ev[i].healthy ? "healthy" : "unhealthy", r->ev[i].reason);
}

TEST(listen_first_call_then_changes_in_order) {
    hams_t *h = hams_new("listen", "1");
    REQUIRE(h != NULL);
    REQUIRE(hams_probe_new_manual(h, "db", HAMS_READY, true) != NULL);
    REQUIRE(hams_probe_new_manual(h, "cache", HAMS_ALIVE, false) != NULL);
    hams_probe_t *db = hams_probe_get(h, "db");
    REQUIRE(db != NULL);
    static recorder r;
    rec_init(&r);
    CHECK_OK(hams_on_change(h, record, &r));

    /* First every probe in registration order, then alive, ready, startup. */
    static const struct { const char *name; bool healthy; } first[] = {
        {"db", true}, {"cache", false}, {"alive", false}, {"ready", true}, {"startup", true}};
    double end = now_ms() + 2000 * slack();
    while (atomic_load(&r.n) < 5 && now_ms() < end) sleep_ms(2);
    REQUIRE(atomic_load(&r.n) >= 5);
    for (int i = 0; i < 5; i++) {
        if (strcmp(r.ev[i].name, first[i].name) != 0 || r.ev[i].healthy != first[i].healthy)
            FAILF("first call %d: %s %d, expected %s %d", i, r.ev[i].name, r.ev[i].healthy, first[i].name,
                  first[i].healthy);
        if (r.ev[i].healthy && r.ev[i].reason[0] != '\0') FAILF("healthy %s with reason \"%s\"", r.ev[i].name, r.ev[i].reason);
    }
    CHECK(contains(r.ev[2].reason, "cache")); /* alive names its failing probe */
    expect_quiet(&r, 5, 200, __LINE__);

    /* A probe's change, then the check it changes. */
    int from = atomic_load(&r.n);
    double t = now_ms();
    CHECK_OK(hams_probe_set(db, false, "connection refused"));
    int a = wait_event(&r, from, "db", false, 100 * slack());
    int b = wait_event(&r, from, "ready", false, 100 * slack());
    REQUIRE(a >= 0 && b >= 0);
    CHECK(a < b);
    CHECK(r.ev[b].at - t < 100 * slack());
    CHECK(strcmp(r.ev[a].reason, "connection refused") == 0);
    if (strcmp(r.ev[b].reason, "probe db: connection refused") != 0) FAILF("ready's reason: \"%s\"", r.ev[b].reason);
    CHECK_INT(hams_check_state(h, HAMS_READY), 0);
    CHECK_INT(hams_check_state(h, HAMS_STARTUP), 1);
    CHECK_INT(hams_check_state(h, HAMS_ALIVE), 0);

    /* A new reason alone is not a change. */
    from = atomic_load(&r.n);
    CHECK_OK(hams_probe_set(db, false, "still refused"));
    expect_quiet(&r, from, 200, __LINE__);

    from = atomic_load(&r.n);
    CHECK_OK(hams_probe_set(db, true, NULL));
    a = wait_event(&r, from, "db", true, 100 * slack());
    b = wait_event(&r, from, "ready", true, 100 * slack());
    CHECK(a >= 0 && b >= 0 && a < b);
    CHECK_INT(hams_check_state(h, HAMS_READY), 1);

    /* The shutdown sequence turns ready unhealthy. */
    from = atomic_load(&r.n);
    CHECK_OK(hams_shutdown(h));
    a = wait_event(&r, from, "shutdown", false, 100 * slack());
    b = wait_event(&r, from, "ready", false, 100 * slack());
    REQUIRE(a >= 0 && b >= 0);
    CHECK(a < b); /* the built-in shutdown is reported before the ready check it turns */
    if (strncmp(r.ev[b].reason, "shutdown: shutting down", 23) != 0) FAILF("shutdown reason: \"%s\"", r.ev[b].reason);
    CHECK_INT(hams_check_state(h, HAMS_READY), 0);
    hams_free(h);
}

TEST(listen_errors) {
    hams_t *h = hams_new("listen-errors", "1");
    REQUIRE(h != NULL);
    static recorder r;
    rec_init(&r);
    CHECK_ERR(hams_on_change(NULL, record, &r), HAMS_ERR_NULL);
    CHECK_ERR(hams_on_change(h, NULL, &r), HAMS_ERR_NULL);
    CHECK_ERR(hams_check_state(NULL, HAMS_READY), HAMS_ERR_NULL);
    CHECK_ERR(hams_check_state(h, 0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_check_state(h, HAMS_READY | HAMS_ALIVE), HAMS_ERR_INVALID);
    CHECK_ERR(hams_check_state(h, 8), HAMS_ERR_INVALID);
    hams_probe_t *m = hams_probe_new_manual(h, "m", HAMS_READY, true);
    hams_probe_t *k = hams_probe_new_kick(h, "k", HAMS_ALIVE, 1000);
    REQUIRE(m != NULL && k != NULL);
    CHECK_ERR(hams_probe_set_thresholds(NULL, 1, 1), HAMS_ERR_NULL);
    CHECK_ERR(hams_probe_set_thresholds(m, 0, 1), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_set_thresholds(m, 1, 0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_set_thresholds(k, 2, 2), HAMS_ERR_INVALID);
    CHECK_OK(hams_probe_set_thresholds(m, 1, 1));
    hams_free(h);
}

TEST(listen_time_caused_changes_within_100ms) {
    hams_t *h = hams_new("listen-time", "1");
    REQUIRE(h != NULL);
    hams_probe_t *kick = hams_probe_new_kick(h, "loop", HAMS_ALIVE, 300);
    REQUIRE(kick != NULL);
    static recorder r;
    rec_init(&r);
    CHECK_OK(hams_on_change(h, record, &r));
    REQUIRE(wait_event(&r, 0, "startup", true, 2000 * slack()) >= 0);
    int from = atomic_load(&r.n);
    double kicked = now_ms();
    CHECK_OK(hams_probe_kick(kick));
    /* Nobody asks over HTTP: the margin passing alone is the change. */
    int i = wait_event(&r, from, "loop", false, 1000 * slack());
    REQUIRE(i >= 0);
    double late = r.ev[i].at - kicked;
    if (late < 300 || late >= 300 + 100 * slack()) FAILF("kick probe failed after %.0f ms, margin 300", late);
    CHECK(wait_event(&r, from, "alive", false, 100 * slack()) > i);
    from = atomic_load(&r.n);
    double t = now_ms();
    CHECK_OK(hams_probe_kick(kick));
    i = wait_event(&r, from, "loop", true, 100 * slack());
    CHECK(i >= 0 && r.ev[i].at - t < 100 * slack());
    hams_free(h);
}

TEST(listen_blocked_listener_delays_no_http_answer) {
    int port = 0;
    hams_t *h = start_server("listen-blocked", &port);
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "flappy", HAMS_READY, true);
    REQUIRE(p != NULL);
    static recorder r;
    rec_init(&r);
    snprintf(r.block_on, sizeof(r.block_on), "flappy");
    atomic_store(&r.block, 1);
    CHECK_OK(hams_on_change(h, record, &r));
    REQUIRE(wait_event(&r, 0, "startup", true, 2000 * slack()) >= 0);
    CHECK_OK(hams_probe_set(p, false, "one"));
    double end = now_ms() + 1000 * slack();
    while (!atomic_load(&r.blocked) && now_ms() < end) sleep_ms(2);
    REQUIRE(atomic_load(&r.blocked));

    /* The listener is stuck: HTTP answers at once, with the new state. */
    int st = get(port, "/hams/ready");
    CHECK_INT(st, 503);
    if (g_resp.ms >= 100 * slack()) FAILF("/hams/ready took %.0f ms with a listener blocked", g_resp.ms);
    CHECK_INT(hams_check_state(h, HAMS_READY), 0);
    /* Flips while blocked arrive as the latest state once it returns. */
    int from = atomic_load(&r.n);
    CHECK_OK(hams_probe_set(p, true, NULL));
    CHECK_OK(hams_probe_set(p, false, "two"));
    CHECK_OK(hams_probe_set(p, true, NULL));
    snprintf(r.block_on, sizeof(r.block_on), "-");
    atomic_store(&r.block, 0);
    CHECK(wait_event(&r, from, "flappy", true, 500 * slack()) >= 0);
    sleep_ms(100);
    int flappy = 0;
    for (int i = from; i < atomic_load(&r.n); i++) flappy += strcmp(r.ev[i].name, "flappy") == 0;
    CHECK_INT(flappy, 1);
    hams_free(h);
}

TEST(listen_listener_calls_check_state) {
    hams_t *h = hams_new("listen-calls", "1");
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "db", HAMS_READY, true);
    REQUIRE(p != NULL);
    static recorder r;
    rec_init(&r);
    r.h = h;
    CHECK_OK(hams_on_change(h, record, &r));
    int i = wait_event(&r, 0, "ready", true, 2000 * slack());
    REQUIRE(i >= 0);
    CHECK_INT(r.ev[i].ready_state, 1);
    int from = atomic_load(&r.n);
    CHECK_OK(hams_probe_set(p, false, "down"));
    i = wait_event(&r, from, "ready", false, 100 * slack());
    REQUIRE(i >= 0);
    /* Inside the listener, hams answers with the state it is told. */
    CHECK_INT(r.ev[i].ready_state, 0);
    hams_free(h);
}

TEST(listen_listener_frees_its_hams) {
    hams_t *h = hams_new("listen-free", "1");
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "bye", HAMS_READY, true);
    hams_probe_t *k = hams_probe_new_kick(h, "tick", HAMS_ALIVE, 50);
    REQUIRE(p != NULL && k != NULL);
    static recorder r;
    rec_init(&r);
    r.h = h;
    snprintf(r.free_on, sizeof(r.free_on), "bye");
    CHECK_OK(hams_on_change(h, record, &r));
    REQUIRE(wait_event(&r, 0, "startup", true, 2000 * slack()) >= 0);
    CHECK_OK(hams_probe_set(p, false, "go"));
    double end = now_ms() + 2000 * slack();
    while (!atomic_load(&r.freed) && now_ms() < end) sleep_ms(2);
    REQUIRE(atomic_load(&r.freed)); /* hams_free returned inside the listener */
    sleep_ms(200); /* "ready" and the kick probe would change now: not told */
    CHECK_INT(atomic_load(&r.calls_after_free), 0);
}

/* A callback probe following a script: each run takes the next result. */
typedef struct {
    atomic_int go;    /* 0: healthy runs until the script starts */
    atomic_int step;  /* the next entry */
    atomic_int runs;
    const char *const *script; /* NULL = ok, else a failure's reason */
    int len;
} scripted;

static bool scripted_cb(void *user, char *reason, size_t reason_len) {
    scripted *s = user;
    atomic_fetch_add(&s->runs, 1);
    if (!atomic_load(&s->go)) return true;
    int i = atomic_fetch_add(&s->step, 1);
    const char *r = s->script[i < s->len ? i : s->len - 1];
    if (r == NULL) return true;
    snprintf(reason, reason_len, "%s", r);
    return false;
}

TEST(listen_callback_thresholds_tolerate_a_blip) {
    hams_t *h = hams_new("thresholds", "1");
    REQUIRE(h != NULL);
    static const char *const script[] = {"blip", NULL, NULL, "f1", "f2", "f3"};
    static scripted s;
    memset(&s, 0, sizeof(s));
    s.script = script;
    s.len = 6;
    hams_probe_t *p = hams_probe_new_callback(h, "flaky", HAMS_READY, scripted_cb, &s, 30, 1000);
    REQUIRE(p != NULL);
    CHECK_OK(hams_probe_set_thresholds(p, 3, 1));
    double end = now_ms() + 2000 * slack();
    while (hams_check_state(h, HAMS_READY) != 1 && now_ms() < end) sleep_ms(5);
    REQUIRE(hams_check_state(h, HAMS_READY) == 1);
    static recorder r;
    rec_init(&r);
    CHECK_OK(hams_on_change(h, record, &r));
    REQUIRE(wait_event(&r, 0, "startup", true, 2000 * slack()) >= 0);
    int from = atomic_load(&r.n);
    atomic_store(&s.go, 1);
    /* One failure, then two good runs: the probe stays healthy. */
    end = now_ms() + 2000 * slack();
    while (atomic_load(&s.step) < 3 && now_ms() < end) sleep_ms(2);
    CHECK(atomic_load(&s.step) >= 3);
    /* Three failures in a row fail it, with the last one's reason. */
    int i = wait_event(&r, from, "flaky", false, 2000 * slack());
    REQUIRE(i >= 0);
    CHECK(atomic_load(&s.step) >= 6);
    if (strcmp(r.ev[i].reason, "f3") != 0) FAILF("flaky turned with reason \"%s\", expected f3", r.ev[i].reason);
    for (int j = from; j < i; j++)
        FAILF("before the third failure: change %s %d \"%s\"", r.ev[j].name, r.ev[j].healthy, r.ev[j].reason);
    int b = wait_event(&r, from, "ready", false, 100 * slack());
    CHECK(b > i);
    if (b >= 0 && strcmp(r.ev[b].reason, "probe flaky: f3") != 0) FAILF("ready's reason: \"%s\"", r.ev[b].reason);
    hams_free(h);
}

TEST(listen_manual_thresholds) {
    hams_t *h = hams_new("thresholds-manual", "1");
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "db", HAMS_READY, true);
    REQUIRE(p != NULL);
    CHECK_OK(hams_probe_set_thresholds(p, 3, 2));
    static recorder r;
    rec_init(&r);
    CHECK_OK(hams_on_change(h, record, &r));
    REQUIRE(wait_event(&r, 0, "startup", true, 2000 * slack()) >= 0);
    int from = atomic_load(&r.n);
    CHECK_OK(hams_probe_set(p, false, "a"));
    CHECK_OK(hams_probe_set(p, false, "b"));
    CHECK_INT(hams_check_state(h, HAMS_READY), 1);
    CHECK_OK(hams_probe_set(p, false, "c"));
    CHECK_INT(hams_check_state(h, HAMS_READY), 0);
    int i = wait_event(&r, from, "db", false, 100 * slack());
    REQUIRE(i >= 0);
    if (strcmp(r.ev[i].reason, "c") != 0) FAILF("db turned with reason \"%s\", expected c", r.ev[i].reason);
    CHECK_OK(hams_probe_set(p, true, NULL));
    CHECK_INT(hams_check_state(h, HAMS_READY), 0);
    CHECK_OK(hams_probe_set(p, true, NULL));
    CHECK_INT(hams_check_state(h, HAMS_READY), 1);
    hams_free(h);
}
