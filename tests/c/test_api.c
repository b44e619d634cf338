/*
 * C API tests for libhams.
 *
 * Build (from the repository root):
 *   cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude tests/c/test_api.c \
 *      -Ltarget/release -lhams -lpthread -o target/c-tests/test_api
 * Run:
 *   LD_LIBRARY_PATH=target/release target/c-tests/test_api
 *
 * Or simply: tests/c/run.sh
 *
 * Every test case is a function. A case fails if any CHECK in it fails.
 * The last line printed is exactly "c-api: N passed, N failed"; the exit
 * status is non-zero if any case failed.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "hams.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testing.h"

/* ------------------------------------------------------------------------ */
/* The rest of the framework, for this file (tests/c/testing.h has the core) */
/* ------------------------------------------------------------------------ */

/* A call returning a pointer that must be NULL with a non-empty error. */
#define CHECK_NULL_ERR(call)                                                   \
    do {                                                                       \
        const void *p_ = (const void *)(call);                                 \
        if (p_ != NULL)                                                        \
            FAILF("%s returned non-NULL, expected NULL", #call);               \
        else if (!last_error_nonempty())                                       \
            FAILF("%s: hams_last_error() is empty after failure", #call);      \
    } while (0)

static void on_alarm(int sig) {
    (void)sig;
    const char *a = "\nc-api: watchdog timeout in test case ";
    const char *b = g_current_case;
    ssize_t r;
    r = write(2, a, strlen(a));
    r = write(2, b, strlen(b));
    r = write(2, "\nc-api: aborted\n", 16);
    (void)r;
    _exit(3);
}

#define RUN(fn)                                                                \
    do {                                                                       \
        g_case_failures = 0;                                                   \
        g_current_case = #fn;                                                  \
        double t0_ = now_ms();                                                 \
        alarm(20);                                                             \
        fn();                                                                  \
        alarm(0);                                                              \
        double dt_ = now_ms() - t0_;                                           \
        if (g_case_failures == 0) {                                            \
            g_passed++;                                                        \
            fprintf(stderr, "ok   %-40s (%.0f ms)\n", #fn, dt_);               \
        } else {                                                               \
            g_failed++;                                                        \
            fprintf(stderr, "FAIL %-40s (%.0f ms, %d failed checks)\n", #fn,   \
                    dt_, g_case_failures);                                     \
        }                                                                      \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool contains(const char *hay, const char *needle) {
    return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}

static bool contains_ci(const char *hay, const char *needle) {
    if (!hay || !needle) return false;
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] &&
               (p[i] | 0x20) == (needle[i] | 0x20))
            i++;
        if (i == n) return true;
    }
    return false;
}

/* Copy of `s` without any whitespace (for lenient JSON matching). */
static void strip_ws(const char *s, char *out, size_t cap) {
    size_t j = 0;
    for (; *s && j + 1 < cap; s++)
        if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t') out[j++] = *s;
    out[j] = '\0';
}

/* Body with trailing whitespace removed equals `want`. */
static bool body_is(const char *body, const char *want) {
    size_t n = strlen(body);
    while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r' ||
                     body[n - 1] == ' '))
        n--;
    return n == strlen(want) && memcmp(body, want, n) == 0;
}

/* ------------------------------------------------------------------------ */
/* Minimal HTTP/1.1 client over a plain TCP socket                          */
/* ------------------------------------------------------------------------ */

#define RESP_CAP (128 * 1024)

typedef struct {
    int status;          /* -1 if the request could not be done */
    char headers[8192];  /* raw header block, lower-cased */
    char body[RESP_CAP]; /* NUL-terminated, de-chunked */
    size_t body_len;
    double ms; /* wall time of the whole exchange */
} http_resp;

static char g_raw[RESP_CAP + 8192];

static void dechunk(char *body, size_t *len) {
    char *src = body, *dst = body, *end = body + *len;
    while (src < end) {
        char *eol = strstr(src, "\r\n");
        if (!eol) break;
        unsigned long sz = strtoul(src, NULL, 16);
        src = eol + 2;
        if (sz == 0) break;
        if (src + sz > end) sz = (unsigned long)(end - src);
        memmove(dst, src, sz);
        dst += sz;
        src += sz;
        if (src + 2 <= end && src[0] == '\r' && src[1] == '\n') src += 2;
    }
    *len = (size_t)(dst - body);
    body[*len] = '\0';
}

/* Performs one request with "Connection: close" and reads until EOF. */
static int http_req(int port, const char *method, const char *target,
                    const char *extra_headers, http_resp *r, int timeout_ms) {
    double t0 = now_ms();
    memset(r, 0, sizeof(*r));
    r->status = -1;

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        r->ms = now_ms() - t0;
        return -1;
    }

    char req[2048];
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n",
                     method, target, extra_headers ? extra_headers : "");
    size_t off = 0;
    while (off < (size_t)n) {
        ssize_t w = send(fd, req + off, (size_t)n - off, 0);
        if (w <= 0) {
            close(fd);
            r->ms = now_ms() - t0;
            return -1;
        }
        off += (size_t)w;
    }

    size_t got = 0;
    for (;;) {
        if (got >= sizeof(g_raw) - 1) break;
        ssize_t rd = recv(fd, g_raw + got, sizeof(g_raw) - 1 - got, 0);
        if (rd < 0 && errno == EINTR) continue;
        if (rd <= 0) break; /* EOF, error or timeout */
        got += (size_t)rd;
    }
    close(fd);
    g_raw[got] = '\0';
    r->ms = now_ms() - t0;

    int status = 0;
    if (got < 12 || sscanf(g_raw, "HTTP/1.%*d %d", &status) != 1) return -1;
    char *sep = strstr(g_raw, "\r\n\r\n");
    if (!sep) return -1;
    size_t hlen = (size_t)(sep - g_raw);
    if (hlen >= sizeof(r->headers)) hlen = sizeof(r->headers) - 1;
    for (size_t i = 0; i < hlen; i++) {
        char c = g_raw[i];
        r->headers[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    r->headers[hlen] = '\0';
    const char *b = sep + 4;
    r->body_len = got - (size_t)(b - g_raw);
    if (r->body_len >= sizeof(r->body)) r->body_len = sizeof(r->body) - 1;
    memcpy(r->body, b, r->body_len);
    r->body[r->body_len] = '\0';
    if (contains(r->headers, "transfer-encoding: chunked"))
        dechunk(r->body, &r->body_len);
    r->status = status;
    return status;
}

/* Sends `raw` as is, reads until EOF or timeout into g_raw; returns bytes. */
static size_t http_raw(int port, const char *raw, int timeout_ms) {
    g_raw[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct timeval tv;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return 0;
    }
    size_t n = strlen(raw), off = 0;
    while (off < n) {
        ssize_t w = send(fd, raw + off, n - off, 0);
        if (w <= 0) break;
        off += (size_t)w;
    }
    size_t got = 0;
    for (;;) {
        if (got >= sizeof(g_raw) - 1) break;
        ssize_t rd = recv(fd, g_raw + got, sizeof(g_raw) - 1 - got, 0);
        if (rd < 0 && errno == EINTR) continue;
        if (rd <= 0) break;
        got += (size_t)rd;
    }
    close(fd);
    g_raw[got] = '\0';
    return got;
}

static int count_occurrences(const char *hay, const char *needle) {
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

static http_resp g_resp; /* shared response buffer (large) */

static int get(int port, const char *target) {
    return http_req(port, "GET", target, NULL, &g_resp, 3000);
}

static int get_json(int port, const char *target) {
    return http_req(port, "GET", target, "Accept: application/json\r\n",
                    &g_resp, 3000);
}

/* Polls GET target until status == want and (if non-NULL) the body contains
 * `needle`, or until `within_ms` passed. Leaves the last response in g_resp. */
static bool wait_for(int port, const char *target, int want,
                     const char *needle, int within_ms) {
    double deadline = now_ms() + within_ms;
    for (;;) {
        int st = get(port, target);
        if (st == want && (needle == NULL || contains(g_resp.body, needle)))
            return true;
        if (now_ms() > deadline) return false;
        sleep_ms(20);
    }
}

#define CHECK_GET(port, target, want_status)                                   \
    do {                                                                       \
        int st_ = get((port), (target));                                       \
        if (st_ != (want_status))                                              \
            FAILF("GET %s -> %d, expected %d; body: \"%s\"", (target), st_,    \
                  (int)(want_status), g_resp.body);                            \
    } while (0)

#define CHECK_BODY_HAS(needle)                                                 \
    do {                                                                       \
        if (!contains(g_resp.body, (needle)))                                  \
            FAILF("body does not contain \"%s\"; body: \"%s\"", (needle),      \
                  g_resp.body);                                                \
    } while (0)

#define CHECK_BODY_LACKS(needle)                                               \
    do {                                                                       \
        if (contains(g_resp.body, (needle)))                                   \
            FAILF("body unexpectedly contains \"%s\"; body: \"%s\"",           \
                  (needle), g_resp.body);                                      \
    } while (0)

/* Creates a server on 127.0.0.1:<any free port>, starts it, returns it and
 * stores the port in *port. Returns NULL (and records a failure) on error. */
static hams_t *start_server(const char *service, int *port) {
    hams_t *h = hams_new(service, "1.2.3");
    if (!h) {
        FAILF("hams_new(\"%s\") failed: %s", service, safe_last_error());
        return NULL;
    }
    int rc = hams_set_address(h, "127.0.0.1:0");
    if (rc != HAMS_OK) {
        FAILF("hams_set_address failed: %d %s", rc, safe_last_error());
        hams_free(h);
        return NULL;
    }
    rc = hams_start(h);
    if (rc != HAMS_OK) {
        FAILF("hams_start failed: %d %s", rc, safe_last_error());
        hams_free(h);
        return NULL;
    }
    *port = hams_port(h);
    if (*port <= 0 || *port > 65535) {
        FAILF("hams_port returned %d", *port);
        hams_free(h);
        return NULL;
    }
    return h;
}

/* ------------------------------------------------------------------------ */
/* Callback probe helpers                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    atomic_int calls;
    atomic_int stop;          /* ends a sleeping callback early */
    atomic_int result;        /* what the callback returns */
    atomic_size_t last_len;   /* reason_len seen by the callback */
    int sleep_ms;             /* how long each call takes */
    const char *reason;       /* written to the reason buffer if non-NULL */
} cb_state;

static bool check_cb(void *user, char *reason, size_t reason_len) {
    cb_state *s = (cb_state *)user;
    atomic_fetch_add(&s->calls, 1);
    atomic_store(&s->last_len, reason_len);
    if (s->sleep_ms > 0) {
        double end = now_ms() + s->sleep_ms;
        while (now_ms() < end && !atomic_load(&s->stop)) sleep_ms(10);
    }
    if (s->reason && reason && reason_len > 0)
        snprintf(reason, reason_len, "%s", s->reason);
    return atomic_load(&s->result) != 0;
}

static bool check_cb_null_user(void *user, char *reason, size_t reason_len) {
    (void)reason;
    (void)reason_len;
    return user == NULL; /* healthy iff the library passed NULL through */
}

/* ------------------------------------------------------------------------ */
/* Test cases: basic API                                                    */
/* ------------------------------------------------------------------------ */

static void test_version(void) {
    const char *v = hams_version();
    REQUIRE(v != NULL);
    CHECK(strlen(v) > 0);
    CHECK(v[0] >= '0' && v[0] <= '9');
    CHECK(strchr(v, '.') != NULL);
    /* Stable pointer / same content on repeated calls. */
    CHECK(strcmp(v, hams_version()) == 0);
}

static void test_constants(void) {
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

static void test_last_error_is_never_null(void) {
    const char *e = hams_last_error();
    CHECK(e != NULL);
    /* After a failure it names something. */
    CHECK_ERR(hams_start(NULL), HAMS_ERR_NULL);
    e = hams_last_error();
    REQUIRE(e != NULL);
    CHECK(strlen(e) > 0);
}

static void test_null_arguments(void) {
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

static void test_last_error_thread_local_worker_result(void);

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

static void test_last_error_thread_local(void) {
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
    test_last_error_thread_local_worker_result();
}

static void test_last_error_thread_local_worker_result(void) {
    /* The two messages should differ (different failure kinds). */
    CHECK(strcmp(g_thread_err_after, safe_last_error()) != 0);
}

static void test_invalid_utf8(void) {
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

static void test_service_name_validation(void) {
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

static void test_bad_probe_names(void) {
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

static void test_duplicate_names(void) {
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

static void test_bad_checks_bits(void) {
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

static void test_bad_kick_margin(void) {
    hams_t *h = hams_new("margin", "1.0");
    REQUIRE(h != NULL);
    CHECK_NULL_ERR(hams_probe_new_kick(h, "k", HAMS_ALIVE, 0));
    CHECK(hams_probe_new_kick(h, "k", HAMS_ALIVE, 1) != NULL);
    hams_free(h);
}

static void test_bad_callback_timing(void) {
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

static void test_bad_addresses(void) {
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

static void test_wrong_state(void) {
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

static void test_wrong_probe_kind(void) {
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

/* ------------------------------------------------------------------------ */
/* Test cases: HTTP behaviour                                               */
/* ------------------------------------------------------------------------ */

static void test_http_empty_server(void) {
    int port = 0;
    hams_t *h = start_server("empty", &port);
    REQUIRE(h != NULL);

    static const char *paths[] = {"/hams/alive", "/hams/ready",
                                  "/hams/startup"};
    for (size_t i = 0; i < 3; i++) {
        int st = get(port, paths[i]);
        if (st != 200) FAILF("GET %s -> %d, expected 200", paths[i], st);
        if (!body_is(g_resp.body, "ok"))
            FAILF("GET %s body \"%s\", expected \"ok\"", paths[i], g_resp.body);
    }
    /* Standard headers. */
    CHECK_INT(get(port, "/hams/alive"), 200);
    CHECK(body_is(g_resp.body, "ok"));
    CHECK(contains(g_resp.headers, "content-length: "));
    CHECK(contains(g_resp.headers, "content-type: text/plain; charset=utf-8"));
    CHECK(contains(g_resp.headers, "cache-control: no-store"));
    CHECK(contains(g_resp.headers, "x-content-type-options: nosniff"));

    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("alive check passed");
    CHECK_GET(port, "/hams/ready?verbose", 200);
    CHECK_BODY_HAS("ready check passed");
    CHECK_GET(port, "/hams/startup?verbose", 200);
    CHECK_BODY_HAS("startup check passed");

    /* HEAD: same status, no body. */
    int st = http_req(port, "HEAD", "/hams/alive", NULL, &g_resp, 3000);
    CHECK_INT(st, 200);
    CHECK_INT(g_resp.body_len, 0);

    /* Unknown paths and methods. */
    CHECK_GET(port, "/hams/nope", 404);
    CHECK_GET(port, "/", 404);
    CHECK_GET(port, "/other", 404);
    CHECK_GET(port, "/hams/alive/nosuchprobe", 404);
    st = http_req(port, "POST", "/hams/alive", "Content-Length: 0\r\n", &g_resp,
                  3000);
    CHECK_INT(st, 405);
    if (!contains(g_resp.headers, "allow: get, head"))
        FAILF("405 without \"Allow: GET, HEAD\"; headers: %s", g_resp.headers);
    st = http_req(port, "DELETE", "/hams/ready", NULL, &g_resp, 3000);
    CHECK_INT(st, 405);
    st = http_req(port, "PUT", "/hams/startup", "Content-Length: 0\r\n",
                  &g_resp, 3000);
    CHECK_INT(st, 405);

    hams_free(h);
}

static void test_http_version_endpoint(void) {
    hams_t *h = hams_new("my-service", "9.8.7");
    REQUIRE(h != NULL);
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    CHECK_OK(hams_start(h));
    int port = hams_port(h);
    REQUIRE(port > 0);
    CHECK_GET(port, "/hams/version", 200);
    CHECK_BODY_HAS("my-service");
    CHECK_BODY_HAS("9.8.7");
    CHECK(contains(g_resp.headers, "application/json"));
    char flat[4096], want[256];
    strip_ws(g_resp.body, flat, sizeof(flat));
    CHECK(flat[0] == '{');
    CHECK(contains(flat, "\"service\":\"my-service\""));
    CHECK(contains(flat, "\"version\":\"9.8.7\""));
    snprintf(want, sizeof(want), "\"hams_version\":\"%s\"", hams_version());
    if (!contains(flat, want))
        FAILF("version JSON lacks %s: %s", want, g_resp.body);
    hams_free(h);
}

static void test_http_manual_probe(void) {
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

static void test_http_json(void) {
    int port = 0;
    hams_t *h = start_server("json", &port);
    REQUIRE(h != NULL);
    hams_probe_t *a = hams_probe_new_manual(h, "alpha", HAMS_ALIVE, true);
    hams_probe_t *b = hams_probe_new_manual(h, "beta", HAMS_ALIVE, true);
    REQUIRE(a && b);
    char flat[8192];

    CHECK_INT(get_json(port, "/hams/alive"), 200);
    CHECK(contains(g_resp.headers, "application/json"));
    strip_ws(g_resp.body, flat, sizeof(flat));
    if (!contains(flat, "\"status\":\"UP\""))
        FAILF("JSON lacks status UP: %s", g_resp.body);
    CHECK(contains(flat, "\"checks\":["));
    CHECK(contains(flat, "\"name\":\"alpha\""));
    CHECK(contains(flat, "\"name\":\"beta\""));

    CHECK_OK(hams_probe_set(b, false, "beta-is-broken"));
    CHECK_INT(get_json(port, "/hams/alive"), 503);
    CHECK(contains(g_resp.headers, "application/json"));
    strip_ws(g_resp.body, flat, sizeof(flat));
    if (!contains(flat, "\"status\":\"DOWN\""))
        FAILF("JSON lacks status DOWN: %s", g_resp.body);
    CHECK(contains(flat, "\"name\":\"beta\""));
    CHECK(contains(flat, "\"reason\":\"beta-is-broken\""));
    CHECK(contains(flat, "\"name\":\"alpha\""));

    hams_free(h);
}

static void test_http_ready_startup_interplay(void) {
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

static void test_http_kick_probe(void) {
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

static void test_http_callback_probe(void) {
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

static void test_http_callback_pending_counts_as_failing(void) {
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

static void test_http_callback_timeout(void) {
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

static void test_http_probe_free(void) {
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

static void test_port_in_use(void) {
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

static void test_two_servers(void) {
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

static void test_stop_start_again(void) {
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

static void test_free_with_probes(void) {
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

static void test_http_reason_sanitised(void) {
    int port = 0;
    hams_t *h = start_server("sanitise", &port);
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "inj", HAMS_ALIVE, true);
    REQUIRE(p != NULL);
    CHECK_OK(hams_probe_set(p, false, "evil\r\nX-Injected: yes\r\n\r\nbody"));
    CHECK_GET(port, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]inj failed: evil");
    CHECK(!contains(g_resp.headers, "x-injected"));
    CHECK(!contains(g_resp.body, "\r"));
    CHECK(!contains(g_resp.body, "evil\n"));
    CHECK_INT(count_occurrences(g_resp.body, "\n") <= 3, 1);

    /* Long reasons are truncated to 256 bytes. */
    static char longr[2001];
    memset(longr, 'r', 2000);
    longr[2000] = '\0';
    CHECK_OK(hams_probe_set(p, false, longr));
    CHECK_GET(port, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]inj failed: rrrr");
    int rs = 0;
    for (const char *c = g_resp.body; *c; c++) rs += (*c == 'r');
    if (rs < 200 || rs > 256 + 8)
        FAILF("long reason reported with %d 'r' bytes, expected about 256", rs);

    /* A callback's reason is sanitised too. */
    static cb_state ctl;
    memset(&ctl, 0, sizeof(ctl));
    ctl.reason = "line1\nline2\x01";
    hams_probe_t *c = hams_probe_new_callback(h, "ctl", HAMS_READY, check_cb,
                                              &ctl, 1000, 500);
    REQUIRE(c != NULL);
    CHECK(wait_for(port, "/hams/ready?verbose", 503, "[-]ctl failed: line1",
                   1000));
    CHECK(!contains(g_resp.body, "line1\nline2"));
    CHECK(!contains(g_resp.body, "\x01"));
    hams_free(h);
}

static void test_http_keepalive(void) {
    int port = 0;
    hams_t *h = start_server("keepalive", &port);
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "r", HAMS_READY, false);
    REQUIRE(p != NULL);
    /* Two pipelined requests on one connection, the second closes it. */
    size_t n = http_raw(port,
                        "GET /hams/alive HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /hams/ready HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\n\r\n",
                        3000);
    CHECK(n > 0);
    CHECK_INT(count_occurrences(g_raw, "HTTP/1.1 200"), 1);
    CHECK_INT(count_occurrences(g_raw, "HTTP/1.1 503"), 1);
    const char *a = strstr(g_raw, "HTTP/1.1 200");
    const char *b = strstr(g_raw, "HTTP/1.1 503");
    CHECK(a && b && a < b); /* responses in request order */

    /* HTTP/1.0 without keep-alive: answered, then closed (no hang). */
    double t0 = now_ms();
    n = http_raw(port, "GET /hams/alive HTTP/1.0\r\n\r\n", 3000);
    CHECK(n > 0);
    CHECK(contains(g_raw, " 200"));
    if (now_ms() - t0 > 1000)
        FAILF("HTTP/1.0 connection not closed promptly (%.0f ms)",
              now_ms() - t0);

    /* Malformed request: 400. */
    n = http_raw(port, "NOT A REQUEST\r\n\r\n", 3000);
    CHECK(contains(g_raw, " 400"));
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

static void test_callback_frees_itself(void) {
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

/* ------------------------------------------------------------------------ */
/* Logging                                                                  */
/* ------------------------------------------------------------------------ */

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

static void test_logger(void) {
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

/* ------------------------------------------------------------------------ */
/* Concurrency                                                              */
/* ------------------------------------------------------------------------ */

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

static void test_concurrency(void) {
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

/* ------------------------------------------------------------------------ */
/* Lifecycle: configuration, shutdown sequence, signals                     */
/* ------------------------------------------------------------------------ */

#define YAML_SERVICE "service:\n  name: yaml-svc\n  version: 2.0.0\n"
#define YAML_LOCAL "server:\n  address: 127.0.0.1:0\n"

/* Creates a server from YAML text (failing the case if that fails), starts
 * it and stores its port. */
static hams_t *start_yaml(const char *yaml, int *port) {
    hams_t *h = hams_new_from_yaml(yaml);
    if (!h) {
        FAILF("hams_new_from_yaml failed: %s\n--- yaml:\n%s---", safe_last_error(),
              yaml);
        return NULL;
    }
    int rc = hams_start(h);
    if (rc != HAMS_OK) {
        FAILF("hams_start failed: %d %s", rc, safe_last_error());
        hams_free(h);
        return NULL;
    }
    *port = hams_port(h);
    if (*port <= 0) {
        FAILF("hams_port returned %d", *port);
        hams_free(h);
        return NULL;
    }
    return h;
}

#define CHECK_ERR_HAS(needle)                                                  \
    do {                                                                       \
        if (!contains(safe_last_error(), (needle)))                            \
            FAILF("hams_last_error() \"%s\" lacks \"%s\"", safe_last_error(),  \
                  (needle));                                                   \
    } while (0)

/* Checks that the verbose readiness body starts with the shutdown line. */
#define CHECK_SHUTDOWN_FIRST_LINE()                                            \
    do {                                                                       \
        static const char want_[] = "[-]shutdown failed: shutting down\n";     \
        if (strncmp(g_resp.body, want_, sizeof(want_) - 1) != 0)               \
            FAILF("verbose ready body does not start with the shutdown "      \
                  "line; body: \"%s\"",                                        \
                  g_resp.body);                                                \
    } while (0)

typedef struct {
    atomic_int calls;
    atomic_int order[8]; /* which callback ran n-th (its id) */
    atomic_int next;
    int sleep_ms;
    pthread_t thread; /* the thread the last call ran on */
} sd_state;

typedef struct {
    sd_state *s;
    int id;
} sd_arg;

static void on_shutdown_cb(void *user) {
    sd_arg *a = (sd_arg *)user;
    sd_state *s = a->s;
    s->thread = pthread_self();
    int n = atomic_fetch_add(&s->next, 1);
    if (n >= 0 && n < 8) atomic_store(&s->order[n], a->id);
    if (s->sleep_ms > 0) sleep_ms(s->sleep_ms);
    atomic_fetch_add(&s->calls, 1);
}

static void noop_shutdown_cb(void *user) { (void)user; }

static void test_lifecycle_null_arguments(void) {
    hams_t *h = hams_new_from_yaml(YAML_SERVICE);
    REQUIRE(h != NULL);
    CHECK_NULL_ERR(hams_new_from_file(NULL));
    CHECK_NULL_ERR(hams_new_from_yaml(NULL));
    CHECK_NULL_ERR(hams_probe_get(NULL, "x"));
    CHECK_NULL_ERR(hams_probe_get(h, NULL));
    CHECK_ERR(hams_on_shutdown(NULL, noop_shutdown_cb, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_on_shutdown(h, NULL, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_shutdown(NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_wait(NULL, 0), HAMS_ERR_NULL);
    CHECK_ERR(hams_wait(NULL, -1), HAMS_ERR_NULL);
    CHECK_ERR(hams_handle_signals(NULL, true), HAMS_ERR_NULL);
    CHECK_ERR(hams_handle_signals(NULL, false), HAMS_ERR_NULL);
    /* NULL user data is fine. */
    CHECK_OK(hams_on_shutdown(h, noop_shutdown_cb, NULL));
    hams_free(h);
}

static void test_config_yaml_probes(void) {
    static const char yaml[] =
        YAML_SERVICE YAML_LOCAL
        "probes:\n"
        "  - name: main-loop\n"
        "    type: kick\n"
        "    checks: [alive]\n"
        "    margin_ms: 300\n"
        "  - name: warmup\n"
        "    type: manual\n"
        "    checks: [ready, startup]\n"
        "  - name: up\n"
        "    type: manual\n"
        "    checks: [alive, ready]\n"
        "    healthy: true\n";
    int port = 0;
    hams_t *h = start_yaml(yaml, &port);
    REQUIRE(h != NULL);

    hams_probe_t *loop = hams_probe_get(h, "main-loop");
    hams_probe_t *warm = hams_probe_get(h, "warmup");
    hams_probe_t *up = hams_probe_get(h, "up");
    CHECK(loop != NULL && warm != NULL && up != NULL);
    CHECK(hams_probe_get(h, "main-loop") == loop);
    CHECK(hams_probe_get(h, "warmup") == warm);
    CHECK(loop != warm && warm != up && loop != up);
    CHECK_NULL_ERR(hams_probe_get(h, "nope"));
    CHECK_ERR_HAS("nope");
    CHECK_NULL_ERR(hams_probe_get(h, "bad name"));
    REQUIRE(loop != NULL && warm != NULL && up != NULL);

    /* The declared kinds: kick on the kick probe, set on the manual ones. */
    CHECK_OK(hams_probe_kick(loop));
    CHECK_ERR(hams_probe_set(loop, true, NULL), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_kick(warm), HAMS_ERR_INVALID);

    /* The service section names the service. */
    CHECK_GET(port, "/hams/version", 200);
    CHECK_BODY_HAS("\"service\":\"yaml-svc\"");
    CHECK_BODY_HAS("\"version\":\"2.0.0\"");

    /* warmup starts unhealthy (healthy: false is the default), up healthy. */
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_BODY_HAS("[-]warmup failed");
    CHECK_BODY_HAS("[+]up ok");
    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]main-loop ok");
    CHECK_OK(hams_probe_set(warm, true, NULL));
    CHECK_GET(port, "/hams/ready", 200);
    CHECK_GET(port, "/hams/startup", 200);

    /* margin_ms 300: without kicks the alive check fails, a kick heals it. */
    CHECK(wait_for(port, "/hams/alive?verbose", 503, "[-]main-loop failed",
                   3000));
    CHECK_OK(hams_probe_kick(loop));
    CHECK_GET(port, "/hams/alive", 200);

    /* Probes created on h are found too; freed ones no more. */
    hams_probe_t *extra = hams_probe_new_manual(h, "extra", HAMS_READY, true);
    REQUIRE(extra != NULL);
    CHECK(hams_probe_get(h, "extra") == extra);
    CHECK_OK(hams_probe_free(extra));
    CHECK_NULL_ERR(hams_probe_get(h, "extra"));
    /* A declared name is taken. */
    CHECK_NULL_ERR(hams_probe_new_manual(h, "warmup", HAMS_READY, true));

    /* The same config on another server gives other handles. */
    hams_t *h2 = hams_new_from_yaml(yaml);
    REQUIRE(h2 != NULL);
    hams_probe_t *loop2 = hams_probe_get(h2, "main-loop");
    CHECK(loop2 != NULL && loop2 != loop);
    hams_free(h2);
    hams_free(h);
}

static void test_config_yaml_server_keys(void) {
    /* prefix */
    int port = 0;
    hams_t *h = start_yaml(YAML_SERVICE
                           "server:\n"
                           "  address: 127.0.0.1:0\n"
                           "  prefix: /health\n",
                           &port);
    REQUIRE(h != NULL);
    CHECK_GET(port, "/health/alive", 200);
    CHECK_GET(port, "/health/version", 200);
    CHECK_GET(port, "/hams/alive", 404);
    hams_free(h);

    h = start_yaml(YAML_SERVICE "server:\n  address: 127.0.0.1:0\n  prefix: \"\"\n",
                   &port);
    REQUIRE(h != NULL);
    CHECK_GET(port, "/alive", 200);
    CHECK_GET(port, "/ready", 200);
    CHECK_GET(port, "/hams/alive", 404);
    hams_free(h);

    /* header_timeout_ms: an incomplete head gets 408 in time. */
    h = start_yaml(YAML_SERVICE
                   "server:\n"
                   "  address: 127.0.0.1:0\n"
                   "  header_timeout_ms: 200\n",
                   &port);
    REQUIRE(h != NULL);
    double t0 = now_ms();
    size_t got = http_raw(port, "GET /hams/alive HTTP/1.1\r\nHost: x\r\n", 5000);
    double dt = now_ms() - t0;
    CHECK(got > 0);
    if (strncmp(g_raw, "HTTP/1.1 408", 12) != 0)
        FAILF("incomplete head: got \"%.40s\", expected 408", g_raw);
    if (dt < 150 || dt > 3000)
        FAILF("408 after %.0f ms with header_timeout_ms 200", dt);
    hams_free(h);

    /* idle_timeout_ms: an idle keep-alive connection is closed. */
    h = start_yaml(YAML_SERVICE
                   "server:\n"
                   "  address: 127.0.0.1:0\n"
                   "  idle_timeout_ms: 200\n",
                   &port);
    REQUIRE(h != NULL);
    t0 = now_ms();
    got = http_raw(port, "GET /hams/alive HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    dt = now_ms() - t0;
    CHECK(strncmp(g_raw, "HTTP/1.1 200", 12) == 0);
    if (dt < 150 || dt > 3000)
        FAILF("idle connection closed after %.0f ms with idle_timeout_ms 200",
              dt);
    hams_free(h);
}

static void test_config_yaml_errors(void) {
    static const struct {
        const char *yaml;
        const char *needle; /* line:column: key: problem */
    } cases[] = {
        {"", "missing field `service`"},
        {"server:\n  address: 127.0.0.1:0\n", "missing field `service`"},
        {"service:\n  name: demo\n", ":2:3: service: missing field `version`"},
        {"service:\n  name: demo\n  version: 1.0.0\n  colour: red\n",
         ":4:3: service: unknown field `colour`"},
        {YAML_SERVICE "server:\n  address: nowhere\n",
         ":5:3: server.address: invalid address \"nowhere\""},
        {YAML_SERVICE "server:\n  max_connections: 0\n",
         ":5:3: server.max_connections: must be greater than zero"},
        {YAML_SERVICE "server:\n  prefix: hams/\n", ":5:3: server.prefix:"},
        {YAML_SERVICE "shutdown:\n  drain_ms: -1\n", ":5:"},
        {YAML_SERVICE "shutdown:\n  handle_signals: maybe\n",
         ":5:19: shutdown.handle_signals:"},
        {YAML_SERVICE "shutdown:\n  token: \"a b\"\n", ":5:3: shutdown.token:"},
        {YAML_SERVICE "shutdown:\n  endpoint_wait_ms: 0\n",
         ":5:3: shutdown.endpoint_wait_ms: must be greater than zero"},
        {YAML_SERVICE "shutdown:\n  drain: 5\n",
         ":5:3: shutdown: unknown field `drain`"},
        {YAML_SERVICE "probes:\n  - name: a\n    type: timer\n    checks: [alive]\n",
         ":6:11: probes[0].type: unknown variant `timer`"},
        {YAML_SERVICE "probes:\n  - name: a\n    type: kick\n    checks: [alive]\n",
         "probes[0]: a: a kick probe needs margin_ms"},
        {YAML_SERVICE "probes:\n  - name: a\n    type: manual\n    checks: [lively]\n",
         ":7:13: probes[0].checks: unknown check \"lively\""},
        {YAML_SERVICE "probes:\n  - name: a\n    type: manual\n    checks: [alive]\n"
                      "  - name: a\n    type: manual\n    checks: [ready]\n",
         "declared twice"},
        {"service: [\n", ":1:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hams_t *h = hams_new_from_yaml(cases[i].yaml);
        if (h != NULL) {
            FAILF("case %zu accepted:\n%s", i, cases[i].yaml);
            hams_free(h);
            continue;
        }
        if (!contains(safe_last_error(), cases[i].needle))
            FAILF("case %zu: hams_last_error() \"%s\" lacks \"%s\"", i,
                  safe_last_error(), cases[i].needle);
    }
}

static void test_config_invalid_utf8(void) {
    CHECK_NULL_ERR(hams_new_from_yaml("service:\n  name: \xff\xfe\n  version: 1\n"));
    CHECK_NULL_ERR(hams_new_from_yaml("\xc3\x28"));
    CHECK_NULL_ERR(hams_new_from_file("/nonexistent-\xff\xfe.yaml"));
    hams_t *h = hams_new_from_yaml(YAML_SERVICE);
    REQUIRE(h != NULL);
    CHECK_NULL_ERR(hams_probe_get(h, "\xff\xfe"));
    hams_free(h);
}

static void test_config_file(void) {
    CHECK_NULL_ERR(hams_new_from_file("hams-no-such-dir/missing.yaml"));
    CHECK_ERR_HAS("cannot read config file hams-no-such-dir/missing.yaml");

    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir == NULL || *tmpdir == '\0') tmpdir = "/tmp";
    char path[512];
    snprintf(path, sizeof(path), "%s/hams-c-test-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    static const char good[] =
        "service:\n  name: file-svc\n  version: 3.1.4\n" YAML_LOCAL
        "probes:\n  - name: db\n    type: manual\n    checks: [ready]\n"
        "    healthy: true\n";
    ssize_t w = write(fd, good, sizeof(good) - 1);
    close(fd);
    CHECK(w == (ssize_t)(sizeof(good) - 1));

    hams_t *h = hams_new_from_file(path);
    if (h == NULL) FAILF("hams_new_from_file(%s): %s", path, safe_last_error());
    if (h != NULL) {
        CHECK(hams_probe_get(h, "db") != NULL);
        CHECK_OK(hams_start(h));
        int port = hams_port(h);
        CHECK_GET(port, "/hams/version", 200);
        CHECK_BODY_HAS("\"service\":\"file-svc\"");
        CHECK_GET(port, "/hams/ready?verbose", 200);
        CHECK_BODY_HAS("[+]db ok");
        hams_free(h);
    }

    /* An error in a file names the file, line and key. */
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("service:\n  name: x\n  version: 1\nserver:\n  adress: 127.0.0.1:0\n", f);
    fclose(f);
    CHECK_NULL_ERR(hams_new_from_file(path));
    char want[600];
    snprintf(want, sizeof(want), "%s:5:3: server: unknown field `adress`", path);
    CHECK_ERR_HAS(want);
    unlink(path);
}

static void test_config_environment(void) {
    static const char *vars[] = {"HAMS_SERVICE_NAME", "HAMS_ADDRESS",
                                 "HAMS_DRAIN_MS", "HAMS_HANDLE_SIGNALS",
                                 "HAMS_PREFIX"};
    /* Overrides win over the text. */
    setenv("HAMS_SERVICE_NAME", "from-env", 1);
    setenv("HAMS_ADDRESS", "127.0.0.1:0", 1);
    setenv("HAMS_PREFIX", "/env", 1);
    int port = 0;
    hams_t *h = start_yaml(YAML_SERVICE "server:\n  address: 127.0.0.1:1\n",
                           &port);
    if (h != NULL) {
        CHECK_GET(port, "/env/version", 200);
        CHECK_BODY_HAS("\"service\":\"from-env\"");
        CHECK_BODY_HAS("\"version\":\"2.0.0\"");
        hams_free(h);
    }
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);

    /* Bad values are errors naming the variable. */
    setenv("HAMS_DRAIN_MS", "5s", 1);
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE));
    CHECK_ERR_HAS("HAMS_DRAIN_MS");
    unsetenv("HAMS_DRAIN_MS");
    setenv("HAMS_ADDRESS", "nope", 1);
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE));
    CHECK_ERR_HAS("environment variable HAMS_ADDRESS=\"nope\"");
    unsetenv("HAMS_ADDRESS");
    setenv("HAMS_HANDLE_SIGNALS", "maybe", 1);
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE));
    CHECK_ERR_HAS("HAMS_HANDLE_SIGNALS");
    unsetenv("HAMS_HANDLE_SIGNALS");

    /* Clean again: the same text works. */
    h = hams_new_from_yaml(YAML_SERVICE);
    CHECK(h != NULL);
    hams_free(h);
}

static void test_wait_timeouts(void) {
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

static void test_shutdown_sequence(void) {
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

static void test_shutdown_drain_zero_and_stopped(void) {
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

static void test_shutdown_endpoint_202(void) {
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

static void test_shutdown_endpoint_answer_before_free(void) {
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

/* ---- signals ---- */

static volatile sig_atomic_t g_term_count;
static volatile sig_atomic_t g_int_count;
static volatile sig_atomic_t g_int_signo;

static void count_term(int sig) {
    (void)sig;
    g_term_count++;
}

static void count_int_info(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    g_int_count++;
    g_int_signo = info != NULL ? info->si_signo : -sig;
}

static bool same_disposition(const struct sigaction *a,
                             const struct sigaction *b) {
    if ((a->sa_flags & SA_SIGINFO) != (b->sa_flags & SA_SIGINFO)) return false;
    if (a->sa_flags & SA_SIGINFO) return a->sa_sigaction == b->sa_sigaction;
    return a->sa_handler == b->sa_handler;
}

static void test_signals_untouched_by_default(void) {
    struct sigaction term0, int0, term1, int1;
    sigaction(SIGTERM, NULL, &term0);
    sigaction(SIGINT, NULL, &int0);

    int port = 0;
    hams_t *h = start_server("nosignals", &port);
    REQUIRE(h != NULL);
    hams_t *y = start_yaml(YAML_SERVICE YAML_LOCAL
                           "shutdown:\n  handle_signals: false\n",
                           &port);
    hams_t *z = hams_new_from_yaml(YAML_SERVICE);
    /* A config that asks for signals but fails elsewhere applies nothing. */
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE
                                      "server:\n  address: nowhere\n"
                                      "shutdown:\n  handle_signals: true\n"));
    sigaction(SIGTERM, NULL, &term1);
    sigaction(SIGINT, NULL, &int1);
    CHECK(same_disposition(&term0, &term1));
    CHECK(same_disposition(&int0, &int1));
    CHECK(term1.sa_handler == SIG_DFL);
    hams_free(z);
    hams_free(y);
    hams_free(h);
    sigaction(SIGTERM, NULL, &term1);
    CHECK(same_disposition(&term0, &term1));
}

static void test_handle_signals_one_owner(void) {
    struct sigaction term0, now;
    sigaction(SIGTERM, NULL, &term0);
    hams_t *a = hams_new("sig-a", "1");
    hams_t *b = hams_new("sig-b", "1");
    REQUIRE(a != NULL && b != NULL);
    CHECK_OK(hams_handle_signals(a, true));
    CHECK_OK(hams_handle_signals(a, true)); /* twice is fine */
    sigaction(SIGTERM, NULL, &now);
    CHECK(!same_disposition(&term0, &now));
    CHECK_ERR(hams_handle_signals(b, true), HAMS_ERR_STATE);
    CHECK_OK(hams_handle_signals(b, false)); /* not owned: nothing to do */
    /* A config asking for signals cannot have them either. */
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE "shutdown:\n  handle_signals: true\n"));
    /* Still a's. */
    sigaction(SIGTERM, NULL, &now);
    CHECK(!same_disposition(&term0, &now));

    /* Turned off: restored, and another may take them. */
    CHECK_OK(hams_handle_signals(a, false));
    CHECK_OK(hams_handle_signals(a, false));
    sigaction(SIGTERM, NULL, &now);
    CHECK(same_disposition(&term0, &now));
    CHECK_OK(hams_handle_signals(b, true));
    CHECK_ERR(hams_handle_signals(a, true), HAMS_ERR_STATE);
    hams_free(b); /* releases them */
    sigaction(SIGTERM, NULL, &now);
    CHECK(same_disposition(&term0, &now));
    hams_t *c = hams_new_from_yaml(YAML_SERVICE "shutdown:\n  handle_signals: true\n");
    CHECK(c != NULL);
    CHECK_OK(hams_handle_signals(a, false));
    CHECK_ERR(hams_handle_signals(a, true), HAMS_ERR_STATE);
    hams_free(c);
    CHECK_OK(hams_handle_signals(a, true));
    hams_free(a);
    sigaction(SIGTERM, NULL, &now);
    CHECK(same_disposition(&term0, &now));
}

static void test_signals_chain_and_restore(void) {
    struct sigaction orig_term, orig_int, mine_term, mine_int, now;
    sigaction(SIGTERM, NULL, &orig_term);
    sigaction(SIGINT, NULL, &orig_int);

    /* The application's own handlers, installed first. */
    memset(&mine_term, 0, sizeof(mine_term));
    mine_term.sa_handler = count_term;
    sigemptyset(&mine_term.sa_mask);
    REQUIRE(sigaction(SIGTERM, &mine_term, NULL) == 0);
    memset(&mine_int, 0, sizeof(mine_int));
    mine_int.sa_sigaction = count_int_info;
    mine_int.sa_flags = SA_SIGINFO;
    sigemptyset(&mine_int.sa_mask);
    REQUIRE(sigaction(SIGINT, &mine_int, NULL) == 0);
    g_term_count = 0;
    g_int_count = 0;

    int port = 0;
    hams_t *h = start_yaml(YAML_SERVICE YAML_LOCAL "shutdown:\n  drain_ms: 60000\n",
                           &port);
    if (h != NULL) {
        sigaction(SIGTERM, NULL, &now);
        CHECK(now.sa_handler == count_term); /* not opted in yet */
        CHECK_OK(hams_handle_signals(h, true));
        sigaction(SIGTERM, NULL, &now);
        CHECK(now.sa_handler != count_term);
        CHECK_GET(port, "/hams/ready", 200);

        CHECK(raise(SIGTERM) == 0);
        CHECK_INT(g_term_count, 1); /* chained to, once */
        CHECK(wait_for(port, "/hams/ready?verbose", 503,
                       "[-]shutdown failed: shutting down", 2000));
        CHECK_SHUTDOWN_FIRST_LINE();
        CHECK_GET(port, "/hams/alive", 200);
        CHECK_INT(hams_wait(h, 0), 0); /* draining for 60 s */

        /* A second signal (SIGINT here) skips the rest of the drain. */
        CHECK(raise(SIGINT) == 0);
        CHECK_INT(g_int_count, 1);
        CHECK_INT(g_int_signo, SIGINT);
        CHECK_INT(g_term_count, 1);
        CHECK_INT(hams_wait(h, 5000), 1);

        hams_free(h);
        sigaction(SIGTERM, NULL, &now);
        CHECK(now.sa_handler == count_term);
        CHECK((now.sa_flags & SA_SIGINFO) == 0);
        sigaction(SIGINT, NULL, &now);
        CHECK((now.sa_flags & SA_SIGINFO) != 0);
        CHECK(now.sa_sigaction == count_int_info);

        /* Restored: a signal now reaches only the application's handler. */
        CHECK(raise(SIGTERM) == 0);
        CHECK_INT(g_term_count, 2);
    }

    /* Opted in through the configuration: SIGINT starts the sequence. */
    h = start_yaml(YAML_SERVICE YAML_LOCAL
                   "shutdown:\n  drain_ms: 100\n  handle_signals: true\n",
                   &port);
    if (h != NULL) {
        sigaction(SIGINT, NULL, &now);
        CHECK(now.sa_sigaction != count_int_info);
        sd_state s;
        memset(&s, 0, sizeof(s));
        sd_arg a = {&s, 1};
        CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a));
        CHECK(raise(SIGINT) == 0);
        CHECK_INT(g_int_count, 2);
        CHECK_INT(hams_wait(h, 5000), 1);
        CHECK_INT(atomic_load(&s.calls), 1);
        CHECK_GET(port, "/hams/ready?verbose", 503);
        CHECK_SHUTDOWN_FIRST_LINE();
        /* Turned off explicitly: restored before hams_free. */
        CHECK_OK(hams_handle_signals(h, false));
        sigaction(SIGINT, NULL, &now);
        CHECK(now.sa_sigaction == count_int_info);
        hams_free(h);
    }

    sigaction(SIGTERM, &orig_term, NULL);
    sigaction(SIGINT, &orig_int, NULL);
}

/* ------------------------------------------------------------------------ */

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    setvbuf(stderr, NULL, _IONBF, 0);

    double t0 = now_ms();
    RUN(test_version);
    RUN(test_constants);
    RUN(test_last_error_is_never_null);
    RUN(test_null_arguments);
    RUN(test_last_error_thread_local);
    RUN(test_invalid_utf8);
    RUN(test_service_name_validation);
    RUN(test_bad_probe_names);
    RUN(test_duplicate_names);
    RUN(test_bad_checks_bits);
    RUN(test_bad_kick_margin);
    RUN(test_bad_callback_timing);
    RUN(test_bad_addresses);
    RUN(test_wrong_state);
    RUN(test_wrong_probe_kind);
    RUN(test_http_empty_server);
    RUN(test_http_version_endpoint);
    RUN(test_http_manual_probe);
    RUN(test_http_json);
    RUN(test_http_ready_startup_interplay);
    RUN(test_http_kick_probe);
    RUN(test_http_callback_probe);
    RUN(test_http_callback_pending_counts_as_failing);
    RUN(test_http_callback_timeout);
    RUN(test_http_probe_free);
    RUN(test_http_reason_sanitised);
    RUN(test_http_keepalive);
    RUN(test_callback_frees_itself);
    RUN(test_port_in_use);
    RUN(test_two_servers);
    RUN(test_stop_start_again);
    RUN(test_free_with_probes);
    RUN(test_logger);
    RUN(test_concurrency);
    RUN(test_lifecycle_null_arguments);
    RUN(test_config_yaml_probes);
    RUN(test_config_yaml_server_keys);
    RUN(test_config_yaml_errors);
    RUN(test_config_invalid_utf8);
    RUN(test_config_file);
    RUN(test_config_environment);
    RUN(test_wait_timeouts);
    RUN(test_shutdown_sequence);
    RUN(test_shutdown_drain_zero_and_stopped);
    RUN(test_shutdown_endpoint_202);
    RUN(test_shutdown_endpoint_answer_before_free);
    RUN(test_signals_untouched_by_default);
    RUN(test_handle_signals_one_owner);
    RUN(test_signals_chain_and_restore);
    fprintf(stderr, "(total %.0f ms)\n", now_ms() - t0);

    printf("c-api: %d passed, %d failed\n", g_passed, g_failed);
    fflush(stdout);
    return g_failed == 0 ? 0 : 1;
}
