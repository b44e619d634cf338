/*
 * C tests of the libhams metrics API: counters, gauges, histograms, their
 * labeled variants, hams_metric_free, the metrics callback and
 * hams_metrics_append, checked through the C API and through real scrapes
 * of /hams/metrics over a socket.
 *
 * Build (from the repository root):
 *   cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Iinclude \
 *      tests/metrics/test_metrics.c -Ltarget/release -lhams -lpthread \
 *      -o target/metrics-tests/test_metrics
 * Run:
 *   LD_LIBRARY_PATH=target/release target/metrics-tests/test_metrics
 *
 * Or: tests/metrics/run.sh
 *
 * Every test case is a function; it fails if any CHECK in it fails. The
 * last line printed is "c-metrics: N passed, N failed"; the exit status is
 * non-zero if any case failed.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "hams.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
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

#include "../c/testing.h"

/* ------------------------------------------------------------------------ */
/* The rest of the framework, for this file (tests/c/testing.h has the core) */
/* ------------------------------------------------------------------------ */

/* A call returning a pointer that must be NULL with a non-empty error. */
#define CHECK_NULL_ERR(call)                                                   \
    do {                                                                       \
        hams_metric_t *p_ = (call);                                            \
        if (p_ != NULL) {                                                      \
            FAILF("%s returned non-NULL, expected NULL", #call);               \
            hams_metric_free(p_);                                              \
        } else if (!last_error_nonempty()) {                                   \
            FAILF("%s: hams_last_error() is empty after failure", #call);      \
        }                                                                      \
    } while (0)

/* A call returning a metric that must succeed; the metric is freed. */
#define CHECK_CREATES(call)                                                    \
    do {                                                                       \
        hams_metric_t *p_ = (call);                                            \
        if (p_ == NULL)                                                        \
            FAILF("%s returned NULL (last_error: \"%s\")", #call,              \
                  safe_last_error());                                          \
        else                                                                   \
            hams_metric_free(p_);                                              \
    } while (0)

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

static void on_alarm(int sig) {
    (void)sig;
    const char *a = "\nc-metrics: watchdog timeout in test case ";
    const char *b = g_current_case;
    ssize_t r;
    r = write(2, a, strlen(a));
    r = write(2, b, strlen(b));
    r = write(2, "\nc-metrics: aborted\n", 20);
    (void)r;
    _exit(3);
}

#define RUN(fn)                                                                \
    do {                                                                       \
        g_case_failures = 0;                                                   \
        g_current_case = #fn;                                                  \
        double t0_ = now_ms();                                                 \
        alarm(30);                                                             \
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
/* Minimal HTTP/1.1 client                                                  */
/* ------------------------------------------------------------------------ */

typedef struct {
    int status;      /* -1 when the exchange failed */
    char *headers;   /* header block, lower-cased, NUL-terminated */
    char *body;      /* NUL-terminated, de-chunked */
    size_t body_len;
    double ms;       /* wall time of the exchange */
} http_resp;

static void resp_free(http_resp *r) {
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
    r->status = -1;
}

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

/* One request with "Connection: close", read until EOF. Returns the status,
 * or -1. The caller frees the response with resp_free(). */
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
            return -1;
        }
        off += (size_t)w;
    }
    size_t cap = 64 * 1024, got = 0;
    char *raw = malloc(cap);
    if (!raw) {
        close(fd);
        return -1;
    }
    for (;;) {
        if (got + 1 >= cap) {
            if (cap >= 64u * 1024 * 1024) break;
            char *bigger = realloc(raw, cap * 2);
            if (!bigger) break;
            raw = bigger;
            cap *= 2;
        }
        ssize_t rd = recv(fd, raw + got, cap - 1 - got, 0);
        if (rd < 0 && errno == EINTR) continue;
        if (rd <= 0) break;
        got += (size_t)rd;
    }
    close(fd);
    raw[got] = '\0';
    r->ms = now_ms() - t0;

    int status = 0;
    char *sep = strstr(raw, "\r\n\r\n");
    if (got < 12 || sscanf(raw, "HTTP/1.%*d %d", &status) != 1 || !sep) {
        free(raw);
        return -1;
    }
    size_t hlen = (size_t)(sep - raw);
    r->headers = malloc(hlen + 1);
    r->body_len = got - hlen - 4;
    r->body = malloc(r->body_len + 1);
    if (!r->headers || !r->body) {
        free(raw);
        resp_free(r);
        return -1;
    }
    for (size_t i = 0; i < hlen; i++) {
        char c = raw[i];
        r->headers[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    r->headers[hlen] = '\0';
    memcpy(r->body, sep + 4, r->body_len);
    r->body[r->body_len] = '\0';
    free(raw);
    if (strstr(r->headers, "transfer-encoding: chunked"))
        dechunk(r->body, &r->body_len);
    r->status = status;
    return status;
}

#define OPENMETRICS_ACCEPT                                                     \
    "Accept: application/openmetrics-text; version=1.0.0,"                    \
    "text/plain;version=0.0.4;q=0.5\r\n"
#define TEXT_CT "content-type: text/plain; version=0.0.4; charset=utf-8"
#define OM_CT                                                                  \
    "content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"

/* GET /hams/metrics in the 0.0.4 text format. */
static int scrape(int port, http_resp *r) {
    return http_req(port, "GET", "/hams/metrics", NULL, r, 10000);
}

static int scrape_om(int port, http_resp *r) {
    return http_req(port, "GET", "/hams/metrics", OPENMETRICS_ACCEPT, r,
                    10000);
}

static bool contains(const char *hay, const char *needle) {
    return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}

/* Whether `text` has a line that is exactly `line`. */
static bool has_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0) return true;
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

/* Whether a line of `text` starts with `prefix`. */
static bool has_line_prefix(const char *text, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, n) == 0) return true;
        const char *eol = strchr(p, '\n');
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

/* The value of the sample whose line starts with `series` followed by a
 * space (`series` is the name with its exact label block). */
static bool sample(const char *text, const char *series, double *value) {
    size_t n = strlen(series);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            char *end;
            double v = strtod(p + n + 1, &end);
            if (end == p + n + 1) return false;
            *value = v;
            return true;
        }
        const char *eol = strchr(p, '\n');
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

#define CHECK_HAS_LINE(text, line)                                             \
    do {                                                                       \
        if (!has_line((text), (line)))                                         \
            FAILF("no line \"%s\" in:\n%s", (line), (text));                   \
    } while (0)

#define CHECK_LACKS(text, needle)                                              \
    do {                                                                       \
        if (contains((text), (needle)))                                        \
            FAILF("unexpected \"%s\" in:\n%s", (needle), (text));              \
    } while (0)

/* CHECK that `series` has the value `want` (within 1e-9 relative). */
#define CHECK_SAMPLE(text, series, want)                                       \
    do {                                                                       \
        double v_ = 0, w_ = (want);                                            \
        if (!sample((text), (series), &v_))                                    \
            FAILF("no sample %s in:\n%s", (series), (text));                   \
        else if (!(v_ == w_ || fabs(v_ - w_) <= 1e-9 * fabs(w_)))              \
            FAILF("sample %s = %.17g, expected %.17g", (series), v_, w_);      \
    } while (0)

static double sample_or(const char *text, const char *series, double dflt) {
    double v;
    return sample(text, series, &v) ? v : dflt;
}

/* A started server on 127.0.0.1 at a free port. */
static hams_t *start_server(int *port) {
    hams_t *h = hams_new("metrics-test", "1.2.3");
    if (!h) {
        FAILF("hams_new failed: %s", safe_last_error());
        return NULL;
    }
    if (hams_set_address(h, "127.0.0.1:0") != HAMS_OK ||
        hams_start(h) != HAMS_OK) {
        FAILF("cannot start hams: %s", safe_last_error());
        hams_free(h);
        return NULL;
    }
    *port = hams_port(h);
    return h;
}

/* A stopped server (registration tests need no socket). */
static hams_t *new_server(void) {
    hams_t *h = hams_new("metrics-test", "1.2.3");
    if (!h) FAILF("hams_new failed: %s", safe_last_error());
    return h;
}

static const double B3[] = {0.1, 1.0, 10.0};

/* ------------------------------------------------------------------------ */
/* NULL arguments                                                           */
/* ------------------------------------------------------------------------ */

static void test_null_arguments(void) {
    hams_t *h = new_server();
    REQUIRE(h);
    const char *labels[] = {"k", "v", NULL};

    CHECK_NULL_ERR(hams_counter_new(NULL, "a_total", "help"));
    CHECK_NULL_ERR(hams_counter_new(h, NULL, "help"));
    CHECK_NULL_ERR(hams_counter_new(h, "a_total", NULL));
    CHECK_NULL_ERR(hams_counter_new_labeled(NULL, "a_total", "help", labels));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, NULL, "help", labels));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "a_total", NULL, labels));

    CHECK_NULL_ERR(hams_gauge_new(NULL, "g", "help"));
    CHECK_NULL_ERR(hams_gauge_new(h, NULL, "help"));
    CHECK_NULL_ERR(hams_gauge_new(h, "g", NULL));
    CHECK_NULL_ERR(hams_gauge_new_labeled(NULL, "g", "help", labels));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, NULL, "help", labels));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "g", NULL, labels));

    CHECK_NULL_ERR(hams_histogram_new(NULL, "hi", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, NULL, "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "hi", NULL, B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "hi", "help", NULL, 3));
    CHECK_NULL_ERR(hams_histogram_new_labeled(NULL, "hi", "help", B3, 3, labels));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, NULL, "help", B3, 3, labels));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "hi", NULL, B3, 3, labels));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "hi", "help", NULL, 3, labels));

    /* A label name without its value (the NULL ends the array early). */
    const char *odd1[] = {"k", NULL};
    const char *odd2[] = {"k", "v", "k2", NULL};
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "a_total", "help", odd1));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "g", "help", odd2));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "hi", "help", B3, 3, odd2));

    /* labels NULL is the unlabeled series. */
    CHECK_CREATES(hams_counter_new_labeled(h, "a_total", "help", NULL));
    CHECK_CREATES(hams_gauge_new_labeled(h, "g", "help", NULL));
    CHECK_CREATES(hams_histogram_new_labeled(h, "hi", "help", B3, 3, NULL));
    /* An empty label array too. */
    const char *none[] = {NULL};
    CHECK_CREATES(hams_counter_new_labeled(h, "a_total", "help", none));

    CHECK_ERR(hams_counter_add(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_gauge_set(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_gauge_add(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_histogram_observe(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_metric_free(NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_set_metrics_callback(NULL, NULL, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_metrics_append(NULL, "x 1\n"), HAMS_ERR_NULL);
    CHECK_ERR(hams_metrics_append(NULL, NULL), HAMS_ERR_NULL);
    /* NULL callback on a valid handle removes (none installed: still OK). */
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));

    hams_free(h);
}

/* ------------------------------------------------------------------------ */
/* Invalid UTF-8, names, labels, buckets, help                              */
/* ------------------------------------------------------------------------ */

static void test_invalid_utf8(void) {
    hams_t *h = new_server();
    REQUIRE(h);
    const char *bad_key[] = {"k\xff", "v", NULL};
    const char *bad_val[] = {"k", "\xc3\x28", NULL};
    const char *bad_val2[] = {"k", "ok\xed\xa0\x80", NULL}; /* a surrogate */

    CHECK_NULL_ERR(hams_counter_new(h, "u\xff_total", "help"));
    CHECK_NULL_ERR(hams_counter_new(h, "u_total", "help \xff"));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "u_total", "help", bad_key));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "u_total", "help", bad_val));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "u_total", "help", bad_val2));
    CHECK_NULL_ERR(hams_gauge_new(h, "\xe2\x82", "help"));
    CHECK_NULL_ERR(hams_gauge_new(h, "ug", "\xc0\xaf"));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "ug", "help", bad_val));
    CHECK_NULL_ERR(hams_histogram_new(h, "uh\x80", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "uh", "\xff", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "uh", "help", B3, 3, bad_key));
    /* Valid multi-byte UTF-8 is fine in help and label values. */
    const char *utf8[] = {"city", "Z\xc3\xbcrich \xe2\x9c\x93", NULL};
    CHECK_CREATES(hams_counter_new_labeled(h, "u_total",
                                           "help \xc3\xa9\xe2\x82\xac", utf8));
    hams_free(h);
}

static void test_invalid_metric_names(void) {
    hams_t *h = new_server();
    REQUIRE(h);
    static const char *const bad_counters[] = {
        "",           "jobs",        "jobs_Total",  "a:b_total",  ":a_total",
        "1x_total",   "__x_total",   "__total",     "a-b_total",  "a b_total",
        "a.b_total",  "\xc3\xa9_total", "a_total\n", "_total_",   "x_totals",
    };
    for (size_t i = 0; i < sizeof(bad_counters) / sizeof(*bad_counters); i++) {
        hams_metric_t *m = hams_counter_new(h, bad_counters[i], "help");
        if (m) {
            FAILF("hams_counter_new(\"%s\") succeeded", bad_counters[i]);
            hams_metric_free(m);
        } else if (!last_error_nonempty()) {
            FAILF("hams_counter_new(\"%s\"): empty last_error", bad_counters[i]);
        }
    }
    static const char *const bad_others[] = {
        "",    "x_total", "a:b",   "1x",  "__x", "a-b", "a b",
        "a.b", "\xc3\xa9", "x\t",  "9",   "__",
    };
    for (size_t i = 0; i < sizeof(bad_others) / sizeof(*bad_others); i++) {
        hams_metric_t *g = hams_gauge_new(h, bad_others[i], "help");
        hams_metric_t *hi = hams_histogram_new(h, bad_others[i], "help", B3, 3);
        if (g || hi) FAILF("name \"%s\" accepted (gauge %p, histogram %p)",
                           bad_others[i], (void *)g, (void *)hi);
        if (g) hams_metric_free(g);
        if (hi) hams_metric_free(hi);
    }
    /* Histogram names must not end like their own samples. */
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_bucket", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_sum", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_count", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_total", "help", B3, 3));
    /* Built-in names are refused, whatever the type asked for. */
    static const char *const builtin_counters[] = {
        "hams_http_requests_total", "hams_metrics_callback_failures_total",
        "process_cpu_seconds_total",
    };
    static const char *const builtin_gauges[] = {
        "hams_build_info",         "hams_check_healthy",
        "hams_probe_healthy",      "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds",
        "process_max_fds",         "process_start_time_seconds",
    };
    for (size_t i = 0; i < 3; i++)
        CHECK_NULL_ERR(hams_counter_new(h, builtin_counters[i], "help"));
    for (size_t i = 0; i < sizeof(builtin_gauges) / sizeof(*builtin_gauges); i++) {
        CHECK_NULL_ERR(hams_gauge_new(h, builtin_gauges[i], "help"));
        CHECK_NULL_ERR(hams_histogram_new(h, builtin_gauges[i], "help", B3, 3));
    }
    /* Empty help. */
    CHECK_NULL_ERR(hams_counter_new(h, "ok_total", ""));
    CHECK_NULL_ERR(hams_gauge_new(h, "ok", ""));
    CHECK_NULL_ERR(hams_histogram_new(h, "ok", "", B3, 3));
    /* Control characters other than newline in help. */
    CHECK_NULL_ERR(hams_counter_new(h, "ok_total", "tab\there"));
    CHECK_NULL_ERR(hams_gauge_new(h, "ok", "bell\a"));

    /* Valid names. */
    CHECK_CREATES(hams_counter_new(h, "_private_total", "help"));
    CHECK_CREATES(hams_counter_new(h, "A9_b_total", "help"));
    CHECK_CREATES(hams_counter_new(h, "_total", "help"));
    CHECK_CREATES(hams_gauge_new(h, "_", "help"));
    CHECK_CREATES(hams_gauge_new(h, "Temp_C2", "help"));
    CHECK_CREATES(hams_gauge_new(h, "total", "help"));
    CHECK_CREATES(hams_histogram_new(h, "lat_seconds", "help", B3, 3));
    CHECK_CREATES(hams_histogram_new(h, "bucket", "help", B3, 3));
    /* Help may hold a backslash and a newline (escaped in the output). */
    CHECK_CREATES(hams_gauge_new(h, "multi", "line one\nline \\two"));
    hams_free(h);
}

static void test_invalid_labels(void) {
    hams_t *h = new_server();
    REQUIRE(h);
    static const char *const bad_names[] = {
        "", "1a", "__a", "__", "a-b", "a b", "a.b", "a:b", "\xc3\xa9", "a\n",
    };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
        const char *labels[] = {bad_names[i], "v", NULL};
        hams_metric_t *c = hams_counter_new_labeled(h, "l_total", "help", labels);
        hams_metric_t *g = hams_gauge_new_labeled(h, "l", "help", labels);
        hams_metric_t *hi =
            hams_histogram_new_labeled(h, "lh", "help", B3, 3, labels);
        if (c || g || hi)
            FAILF("label name \"%s\" accepted", bad_names[i]);
        else if (!last_error_nonempty())
            FAILF("label name \"%s\": empty last_error", bad_names[i]);
        if (c) hams_metric_free(c);
        if (g) hams_metric_free(g);
        if (hi) hams_metric_free(hi);
    }
    const char *dup[] = {"a", "1", "b", "2", "a", "3", NULL};
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "l_total", "help", dup));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "l", "help", dup));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "lh", "help", B3, 3, dup));
    /* At most 64 labels. */
    static char names[65][8];
    const char *many[2 * 65 + 1];
    for (int i = 0; i < 65; i++) {
        snprintf(names[i], sizeof(names[i]), "l%d", i);
        many[2 * i] = names[i];
        many[2 * i + 1] = "v";
    }
    many[2 * 65] = NULL;
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "l_total", "help", many));
    many[2 * 64] = NULL;
    CHECK_CREATES(hams_counter_new_labeled(h, "l_total", "help", many));
    /* `le` is reserved for histogram buckets. */
    const char *le[] = {"le", "1", NULL};
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "lh", "help", B3, 3, le));

    /* Valid label names and values (any UTF-8, empty included). */
    const char *ok[] = {"_a", "", "B9", "x\"y\\z\nw", "c", "\xe2\x9c\x93", NULL};
    CHECK_CREATES(hams_counter_new_labeled(h, "l_total", "help", ok));
    CHECK_CREATES(hams_gauge_new_labeled(h, "l", "help", ok));
    CHECK_CREATES(hams_histogram_new_labeled(h, "lh", "help", B3, 3, ok));
    hams_free(h);
}

static void test_invalid_buckets(void) {
    hams_t *h = new_server();
    REQUIRE(h);
    const double nan_b[] = {0.1, NAN, 1.0};
    const double inf_b[] = {0.1, 1.0, INFINITY};
    const double ninf_b[] = {-INFINITY, 0.0};
    const double dec[] = {1.0, 0.5};
    const double eq[] = {1.0, 2.0, 2.0};
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", B3, 0));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", nan_b, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", inf_b, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", ninf_b, 2));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", dec, 2));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", eq, 3));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "b", "help", dec, 2, NULL));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "b", "help", B3, 0, NULL));

    static double many[1025];
    for (size_t i = 0; i < 1025; i++) many[i] = (double)i;
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", many, 1025));
    CHECK_CREATES(hams_histogram_new(h, "b", "help", many, 1024));
    CHECK_CREATES(hams_histogram_new(h, "b", "help", many, 1));
    const double neg[] = {-10.0, -0.5, 0.0, 1e300};
    CHECK_CREATES(hams_histogram_new(h, "b", "help", neg, 4));
    hams_free(h);
}

/* ------------------------------------------------------------------------ */
/* Duplicates and families                                                  */
/* ------------------------------------------------------------------------ */

static void test_duplicate_registration(void) {
    hams_t *h = new_server();
    REQUIRE(h);
    hams_metric_t *c = hams_counter_new(h, "dup_total", "Dups");
    REQUIRE(c);
    CHECK_NULL_ERR(hams_counter_new(h, "dup_total", "Dups"));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "dup_total", "Dups", NULL));
    /* Same name with labels: other label names than the existing series. */
    const char *a1[] = {"a", "1", NULL};
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "dup_total", "Dups", a1));

    const char *q1[] = {"q", "mail", NULL};
    const char *q2[] = {"q", "sms", NULL};
    const char *p1[] = {"p", "mail", NULL};
    const char *q1p[] = {"q", "mail", "p", "x", NULL};
    hams_metric_t *l1 = hams_counter_new_labeled(h, "jobs_total", "Jobs", q1);
    REQUIRE(l1);
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Jobs", q1));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Other", q2));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Jobs", p1));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Jobs", q1p));
    CHECK_NULL_ERR(hams_counter_new(h, "jobs_total", "Jobs"));
    hams_metric_t *l2 = hams_counter_new_labeled(h, "jobs_total", "Jobs", q2);
    CHECK(l2 != NULL);

    /* Same name, other type. */
    hams_metric_t *g = hams_gauge_new(h, "shared", "Shared");
    REQUIRE(g);
    CHECK_NULL_ERR(hams_histogram_new(h, "shared", "Shared", B3, 3));
    CHECK_NULL_ERR(hams_gauge_new(h, "shared", "Shared"));
    CHECK_NULL_ERR(hams_gauge_new(h, "shared", "Other help"));
    hams_metric_t *hi = hams_histogram_new(h, "hist", "H", B3, 3);
    REQUIRE(hi);
    CHECK_NULL_ERR(hams_gauge_new(h, "hist", "H"));
    CHECK_NULL_ERR(hams_histogram_new(h, "hist", "H", B3, 2));

    /* After freeing, the name can be registered again. */
    CHECK_OK(hams_metric_free(c));
    c = hams_counter_new(h, "dup_total", "Dups");
    CHECK(c != NULL);
    CHECK_OK(hams_metric_free(g));
    hams_metric_t *g2 = hams_histogram_new(h, "shared", "Now a histogram", B3, 3);
    CHECK(g2 != NULL);

    /* Registrations are per hams_t. */
    hams_t *h2 = new_server();
    REQUIRE(h2);
    hams_metric_t *other = hams_counter_new(h2, "dup_total", "Dups");
    CHECK(other != NULL);
    hams_free(h2);
    hams_free(h);
}

/* ------------------------------------------------------------------------ */
/* Values: NaN, infinities, wrong kinds                                     */
/* ------------------------------------------------------------------------ */

static void test_values_and_wrong_kinds(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *c = hams_counter_new(h, "v_total", "Counter");
    hams_metric_t *g = hams_gauge_new(h, "v_gauge", "Gauge");
    hams_metric_t *g_nan = hams_gauge_new(h, "v_nan", "Gauge");
    hams_metric_t *g_pinf = hams_gauge_new(h, "v_pinf", "Gauge");
    hams_metric_t *g_ninf = hams_gauge_new(h, "v_ninf", "Gauge");
    hams_metric_t *hi = hams_histogram_new(h, "v_hist", "Histogram", B3, 3);
    REQUIRE(c && g && g_nan && g_pinf && g_ninf && hi);

    CHECK_OK(hams_counter_add(c, 0.0));
    CHECK_OK(hams_counter_add(c, 1.5));
    CHECK_OK(hams_counter_add(c, 1e-3));
    CHECK_ERR(hams_counter_add(c, -1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, -1e-300), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, NAN), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, INFINITY), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, -INFINITY), HAMS_ERR_INVALID);

    CHECK_OK(hams_gauge_set(g, 3.0));
    CHECK_OK(hams_gauge_add(g, -2.5));
    CHECK_OK(hams_gauge_add(g, 0.25));
    CHECK_ERR(hams_gauge_add(g, NAN), HAMS_ERR_INVALID);
    CHECK_OK(hams_gauge_set(g_nan, NAN));
    CHECK_OK(hams_gauge_set(g_pinf, 1.0));
    CHECK_OK(hams_gauge_add(g_pinf, INFINITY));
    CHECK_OK(hams_gauge_set(g_ninf, -INFINITY));

    CHECK_OK(hams_histogram_observe(hi, -5.0));
    CHECK_ERR(hams_histogram_observe(hi, NAN), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(hi, INFINITY), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(hi, -INFINITY), HAMS_ERR_INVALID);

    /* Wrong kinds. */
    CHECK_ERR(hams_gauge_set(c, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_gauge_add(c, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(c, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(g, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(g, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(hi, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_gauge_set(hi, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_gauge_add(hi, 1.0), HAMS_ERR_INVALID);

    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    /* Failed and wrong-kind calls changed nothing. */
    CHECK_SAMPLE(r.body, "v_total", 1.501);
    CHECK_SAMPLE(r.body, "v_gauge", 0.75);
    CHECK_HAS_LINE(r.body, "v_nan NaN");
    CHECK_HAS_LINE(r.body, "v_pinf +Inf");
    CHECK_HAS_LINE(r.body, "v_ninf -Inf");
    CHECK_SAMPLE(r.body, "v_hist_count", 1);
    CHECK_SAMPLE(r.body, "v_hist_sum", -5);
    CHECK_SAMPLE(r.body, "v_hist_bucket{le=\"0.1\"}", 1);
    resp_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "v_nan NaN");
    CHECK_HAS_LINE(r.body, "v_pinf +Inf");
    CHECK_HAS_LINE(r.body, "v_ninf -Inf");
    resp_free(&r);
    hams_free(h);
}

/* ------------------------------------------------------------------------ */
/* The exposition: formats, escaping, built-ins                             */
/* ------------------------------------------------------------------------ */

static void test_scrape_format_and_escaping(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    const char *labels[] = {"queue", "a\"b\\c\nd", "kind", "plain", NULL};
    hams_metric_t *c =
        hams_counter_new_labeled(h, "esc_total", "Escapes: \\ and\nnewline", labels);
    REQUIRE(c);
    CHECK_OK(hams_counter_add(c, 2));
    hams_metric_t *g = hams_gauge_new(h, "plain_gauge", "A gauge");
    REQUIRE(g);
    CHECK_OK(hams_gauge_set(g, 42));

    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK(contains(r.headers, TEXT_CT));
    CHECK_HAS_LINE(r.body, "# HELP esc_total Escapes: \\\\ and\\nnewline");
    CHECK_HAS_LINE(r.body, "# TYPE esc_total counter");
    CHECK_HAS_LINE(r.body, "esc_total{queue=\"a\\\"b\\\\c\\nd\",kind=\"plain\"} 2");
    CHECK_HAS_LINE(r.body, "# HELP plain_gauge A gauge");
    CHECK_HAS_LINE(r.body, "# TYPE plain_gauge gauge");
    CHECK_HAS_LINE(r.body, "plain_gauge 42");
    CHECK(r.body_len > 0 && r.body[r.body_len - 1] == '\n');
    CHECK_LACKS(r.body, "# EOF");
    resp_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK(contains(r.headers, OM_CT));
    CHECK_HAS_LINE(r.body, "# HELP esc Escapes: \\\\ and\\nnewline");
    CHECK_HAS_LINE(r.body, "# TYPE esc counter");
    CHECK_HAS_LINE(r.body, "esc_total{queue=\"a\\\"b\\\\c\\nd\",kind=\"plain\"} 2");
    CHECK_HAS_LINE(r.body, "# TYPE plain_gauge gauge");
    CHECK_HAS_LINE(r.body, "# TYPE hams_build info");
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    CHECK_INT(strstr(r.body, "# EOF") - r.body, (long long)r.body_len - 6);
    resp_free(&r);

    /* HEAD: same headers, no body. */
    REQUIRE(http_req(port, "HEAD", "/hams/metrics", NULL, &r, 5000) == 200);
    CHECK(contains(r.headers, TEXT_CT));
    CHECK_INT(r.body_len, 0);
    resp_free(&r);
    /* Other methods are refused. */
    REQUIRE(http_req(port, "POST", "/hams/metrics", NULL, &r, 5000) == 405);
    resp_free(&r);
    hams_free(h);
}

static void test_builtin_metrics(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_probe_t *p = hams_probe_new_manual(h, "db", HAMS_ALIVE | HAMS_READY, false);
    REQUIRE(p);

    http_resp r;
    REQUIRE(http_req(port, "GET", "/hams/alive", NULL, &r, 5000) == 503);
    resp_free(&r);
    REQUIRE(http_req(port, "GET", "/hams/ready/db", NULL, &r, 5000) == 503);
    resp_free(&r);
    REQUIRE(http_req(port, "GET", "/nope", NULL, &r, 5000) == 404);
    resp_free(&r);
    REQUIRE(scrape(port, &r) == 200);
    resp_free(&r);
    REQUIRE(scrape(port, &r) == 200);

    static const char *const families[][2] = {
        {"hams_build_info", "gauge"},
        {"hams_check_healthy", "gauge"},
        {"hams_probe_healthy", "gauge"},
        {"hams_http_requests_total", "counter"},
        {"hams_metrics_callback_failures_total", "counter"},
        {"process_cpu_seconds_total", "counter"},
        {"process_resident_memory_bytes", "gauge"},
        {"process_virtual_memory_bytes", "gauge"},
        {"process_open_fds", "gauge"},
        {"process_max_fds", "gauge"},
        {"process_start_time_seconds", "gauge"},
    };
    char line[256];
    for (size_t i = 0; i < sizeof(families) / sizeof(*families); i++) {
        snprintf(line, sizeof(line), "# HELP %s ", families[i][0]);
        if (!has_line_prefix(r.body, line)) FAILF("no \"%s\"", line);
        snprintf(line, sizeof(line), "# TYPE %s %s", families[i][0], families[i][1]);
        CHECK_HAS_LINE(r.body, line);
    }
    snprintf(line, sizeof(line), "hams_build_info{version=\"%s\"}", hams_version());
    CHECK_SAMPLE(r.body, line, 1);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"alive\"}", 0);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"ready\"}", 0);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"startup\"}", 1);
    CHECK_SAMPLE(r.body, "hams_probe_healthy{check=\"alive\",probe=\"db\"}", 0);
    CHECK_SAMPLE(r.body, "hams_probe_healthy{check=\"ready\",probe=\"db\"}", 0);
    CHECK_LACKS(r.body, "hams_probe_healthy{check=\"startup\",probe=\"db\"}");
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/alive\",code=\"503\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/ready/{probe}\",code=\"503\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"other\",code=\"404\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/metrics\",code=\"200\"}", 1);
    /* Only non-zero series. */
    CHECK_LACKS(r.body, "path=\"/hams/version\"");
    CHECK_LACKS(r.body, "hams_http_requests_total{path=\"/hams/alive\",code=\"200\"}");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 0);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"panic\"}", 0);
    CHECK(sample_or(r.body, "process_cpu_seconds_total", -1) >= 0);
    CHECK(sample_or(r.body, "process_resident_memory_bytes", 0) > 0);
    CHECK(sample_or(r.body, "process_virtual_memory_bytes", 0) > 0);
    CHECK(sample_or(r.body, "process_open_fds", 0) >= 3);
    CHECK(sample_or(r.body, "process_max_fds", 0) >= 3);
    double start = sample_or(r.body, "process_start_time_seconds", 0);
    double now = (double)time(NULL);
    if (!(start > now - 24 * 3600 && start <= now + 5))
        FAILF("process_start_time_seconds %f, now %f", start, now);
    resp_free(&r);

    /* Probe and checks turn healthy. */
    CHECK_OK(hams_probe_set(p, true, NULL));
    REQUIRE(http_req(port, "GET", "/hams/alive", NULL, &r, 5000) == 200);
    resp_free(&r);
    REQUIRE(http_req(port, "GET", "/hams/version", NULL, &r, 5000) == 200);
    resp_free(&r);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"alive\"}", 1);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"ready\"}", 1);
    CHECK_SAMPLE(r.body, "hams_probe_healthy{check=\"alive\",probe=\"db\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/alive\",code=\"200\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/version\",code=\"200\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/metrics\",code=\"200\"}", 2);
    resp_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# TYPE hams_build info");
    CHECK_HAS_LINE(r.body, "# TYPE hams_http_requests counter");
    CHECK_HAS_LINE(r.body, "# TYPE hams_metrics_callback_failures counter");
    CHECK_HAS_LINE(r.body, "# TYPE process_cpu_seconds counter");
    snprintf(line, sizeof(line), "hams_build_info{version=\"%s\"}", hams_version());
    CHECK_SAMPLE(r.body, line, 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/version\",code=\"200\"}", 1);
    resp_free(&r);
    hams_free(h);
}

/* ------------------------------------------------------------------------ */
/* Concurrency, histograms, free                                            */
/* ------------------------------------------------------------------------ */

struct adder {
    hams_metric_t *m;
    atomic_int errors;
};

static void *add_loop(void *arg) {
    struct adder *a = arg;
    for (int i = 0; i < 100000; i++)
        if (hams_counter_add(a->m, 1.0) != HAMS_OK) atomic_fetch_add(&a->errors, 1);
    return NULL;
}

static void test_concurrent_counter(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    struct adder a;
    a.m = hams_counter_new(h, "conc_total", "Concurrent adds");
    atomic_init(&a.errors, 0);
    REQUIRE(a.m);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) REQUIRE(pthread_create(&t[i], NULL, add_loop, &a) == 0);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK_INT(atomic_load(&a.errors), 0);
    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "conc_total 400000");
    resp_free(&r);
    hams_free(h);
}

static void check_histogram(const char *body, const char *name,
                            const char *labels, const double *bounds,
                            size_t n, const double *want, double want_sum) {
    char series[256];
    double prev = 0;
    for (size_t i = 0; i <= n; i++) {
        char le[64];
        if (i < n)
            snprintf(le, sizeof(le), "%.17g", bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        /* the bound as printed may differ ("1" vs "1.0"): find by value */
        snprintf(series, sizeof(series), "%s_bucket{%s%sle=\"", name,
                 labels, labels[0] ? "," : "");
        const char *p = body, *found = NULL;
        while ((p = strstr(p, series)) != NULL) {
            const char *q = p + strlen(series);
            char *end;
            double b = strtod(q, &end);
            if (end != q && *end == '"' &&
                ((i == n && isinf(b) && b > 0) || (i < n && b == bounds[i]))) {
                found = end + 3; /* skip '"} ' */
                break;
            }
            p = q;
        }
        if (!found) {
            FAILF("no bucket le=%s for %s{%s} in:\n%s", le, name, labels, body);
            return;
        }
        double v = strtod(found, NULL);
        if (v != want[i]) FAILF("%s bucket le=%s = %g, expected %g", name, le, v, want[i]);
        if (v < prev) FAILF("%s bucket le=%s = %g < previous %g", name, le, v, prev);
        prev = v;
    }
    snprintf(series, sizeof(series), "%s_count%s%s%s", name, labels[0] ? "{" : "",
             labels, labels[0] ? "}" : "");
    double count = -1;
    if (!sample(body, series, &count)) FAILF("no %s", series);
    if (count != prev) FAILF("%s = %g, but the +Inf bucket is %g", series, count, prev);
    snprintf(series, sizeof(series), "%s_sum%s%s%s", name, labels[0] ? "{" : "",
             labels, labels[0] ? "}" : "");
    double sum = NAN;
    if (!sample(body, series, &sum)) FAILF("no %s", series);
    else if (fabs(sum - want_sum) > 1e-9 * fabs(want_sum) + 1e-12)
        FAILF("%s = %.17g, expected %.17g", series, sum, want_sum);
}

static void test_histogram_buckets(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *hi = hams_histogram_new(h, "lat_seconds", "Latency", B3, 3);
    const char *labels[] = {"op", "read", NULL};
    hams_metric_t *hl =
        hams_histogram_new_labeled(h, "op_seconds", "By op", B3, 3, labels);
    REQUIRE(hi && hl);
    const double obs[] = {0.05, 0.1, -3.0, 0.5, 1.0, 5.0, 100.0, 10.0, 10.000001};
    double sum = 0;
    for (size_t i = 0; i < sizeof(obs) / sizeof(*obs); i++) {
        CHECK_OK(hams_histogram_observe(hi, obs[i]));
        sum += obs[i];
    }
    CHECK_OK(hams_histogram_observe(hl, 2.0));

    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# TYPE lat_seconds histogram");
    /* upper bounds are inclusive: 0.1 is in le="0.1", 1 in le="1", 10 in le="10" */
    const double want[] = {3, 5, 7, 9};
    check_histogram(r.body, "lat_seconds", "", B3, 3, want, sum);
    const double want_l[] = {0, 0, 1, 1};
    check_histogram(r.body, "op_seconds", "op=\"read\"", B3, 3, want_l, 2.0);
    CHECK_HAS_LINE(r.body, "op_seconds_bucket{op=\"read\",le=\"+Inf\"} 1");
    resp_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# TYPE lat_seconds histogram");
    check_histogram(r.body, "lat_seconds", "", B3, 3, want, sum);
    check_histogram(r.body, "op_seconds", "op=\"read\"", B3, 3, want_l, 2.0);
    resp_free(&r);
    hams_free(h);
}

static void test_metric_free(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    const char *a[] = {"q", "a", NULL};
    const char *b[] = {"q", "b", NULL};
    hams_metric_t *ca = hams_counter_new_labeled(h, "fr_total", "Free test", a);
    hams_metric_t *cb = hams_counter_new_labeled(h, "fr_total", "Free test", b);
    hams_metric_t *g = hams_gauge_new(h, "fr_gauge", "Free gauge");
    hams_metric_t *hi = hams_histogram_new(h, "fr_hist", "Free histogram", B3, 3);
    REQUIRE(ca && cb && g && hi);
    CHECK_OK(hams_counter_add(ca, 1));
    CHECK_OK(hams_counter_add(cb, 2));

    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_SAMPLE(r.body, "fr_total{q=\"a\"}", 1);
    CHECK_SAMPLE(r.body, "fr_total{q=\"b\"}", 2);
    CHECK_HAS_LINE(r.body, "# TYPE fr_gauge gauge");
    CHECK_HAS_LINE(r.body, "# TYPE fr_hist histogram");
    resp_free(&r);

    CHECK_OK(hams_metric_free(ca));
    CHECK_OK(hams_metric_free(g));
    CHECK_OK(hams_metric_free(hi));
    REQUIRE(scrape(port, &r) == 200);
    CHECK_LACKS(r.body, "fr_total{q=\"a\"}");
    CHECK_SAMPLE(r.body, "fr_total{q=\"b\"}", 2);
    CHECK_HAS_LINE(r.body, "# TYPE fr_total counter");
    CHECK_LACKS(r.body, "fr_gauge");
    CHECK_LACKS(r.body, "fr_hist");
    resp_free(&r);

    CHECK_OK(hams_metric_free(cb));
    REQUIRE(scrape(port, &r) == 200);
    CHECK_LACKS(r.body, "fr_total");
    resp_free(&r);

    /* The name is free again; a new series starts at 0. */
    ca = hams_counter_new_labeled(h, "fr_total", "Free test", a);
    REQUIRE(ca);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_SAMPLE(r.body, "fr_total{q=\"a\"}", 0);
    resp_free(&r);
    /* Metrics left registered are freed by hams_free. */
    hams_free(h);
}

/* ------------------------------------------------------------------------ */
/* The metrics callback                                                     */
/* ------------------------------------------------------------------------ */

enum cb_mode { CB_TEXT, CB_PIECES, CB_ERRORS, CB_BIG, CB_SLOW };

static struct {
    _Atomic int mode;
    const char *_Atomic text;
    atomic_int calls;
    atomic_int running;
    atomic_int sleep_ms;
    atomic_int same_thread;
    /* CB_ERRORS results */
    atomic_int rc_null_text, rc_bad_utf8, rc_empty, err_nonempty;
    /* CB_BIG results */
    atomic_int rc_big_ok, rc_big_over;
} g_cb;

static pthread_t g_main_thread;

#define BIG_CHUNK (1024 * 1024)
static char *g_big; /* 1 MiB of comment lines */

static void metrics_cb(void *user, hams_metrics_buffer_t *out) {
    atomic_fetch_add(&g_cb.calls, 1);
    atomic_store(&g_cb.running, 1);
    if (pthread_equal(pthread_self(), g_main_thread)) atomic_store(&g_cb.same_thread, 1);
    int *tag = user;
    switch (atomic_load(&g_cb.mode)) {
    case CB_TEXT:
        hams_metrics_append(out, atomic_load(&g_cb.text));
        break;
    case CB_PIECES:
        hams_metrics_append(out, "# HELP cb_pieces Built from ");
        hams_metrics_append(out, "");
        hams_metrics_append(out, "pieces\n# TYPE cb_pieces gauge\ncb_pie");
        hams_metrics_append(out, "ces{user=\"");
        hams_metrics_append(out, *tag == 7 ? "seven" : "other");
        hams_metrics_append(out, "\"} 3\n");
        break;
    case CB_ERRORS: {
        int rc = hams_metrics_append(out, NULL);
        atomic_store(&g_cb.rc_null_text, rc);
        int nonempty = last_error_nonempty();
        rc = hams_metrics_append(out, "bad_utf8{x=\"\xff\"} 1\n");
        atomic_store(&g_cb.rc_bad_utf8, rc);
        nonempty = nonempty && last_error_nonempty();
        atomic_store(&g_cb.err_nonempty, nonempty);
        atomic_store(&g_cb.rc_empty, hams_metrics_append(out, ""));
        hams_metrics_append(out, "cb_after_errors 1\n");
        break;
    }
    case CB_BIG: {
        int ok = 1;
        for (int i = 0; i < 3; i++)
            ok = ok && hams_metrics_append(out, g_big) == HAMS_OK;
        ok = ok && hams_metrics_append(out, "# TYPE cb_big gauge\ncb_big 1\n") == HAMS_OK;
        atomic_store(&g_cb.rc_big_ok, ok);
        /* 3 MiB + a few bytes + 1 MiB is over the 4 MiB limit */
        atomic_store(&g_cb.rc_big_over, hams_metrics_append(out, g_big));
        break;
    }
    case CB_SLOW:
        sleep_ms(atomic_load(&g_cb.sleep_ms));
        hams_metrics_append(out, "cb_slow_marker 1\n");
        break;
    }
    atomic_store(&g_cb.running, 0);
}

static void cb_reset(int mode, const char *text) {
    atomic_store(&g_cb.mode, mode);
    atomic_store(&g_cb.text, text);
    atomic_store(&g_cb.calls, 0);
    atomic_store(&g_cb.same_thread, 0);
}

static const char *k_valid_cb =
    "# HELP cb_queue_depth Depth of a queue.\n"
    "# TYPE cb_queue_depth gauge\n"
    "cb_queue_depth{queue=\"mail\"} 7\n"
    "cb_queue_depth{queue=\"q\\\"x\"} 8.5\n"
    "# HELP cb_events_total Events seen.\n"
    "# TYPE cb_events_total counter\n"
    "cb_events_total 12\n"
    "# TYPE cb_lat histogram\n"
    "cb_lat_bucket{le=\"1\"} 1\n"
    "cb_lat_bucket{le=\"+Inf\"} 2\n"
    "cb_lat_sum 3.5\n"
    "cb_lat_count 2\n"
    "cb_untyped NaN\n";

static void test_callback_valid(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *app = hams_gauge_new(h, "app_gauge", "App gauge");
    REQUIRE(app);
    static int tag = 7;
    cb_reset(CB_TEXT, k_valid_cb);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, &tag));

    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK(contains(r.headers, TEXT_CT));
    CHECK(contains(r.body, k_valid_cb));
    CHECK_SAMPLE(r.body, "cb_queue_depth{queue=\"mail\"}", 7);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
    /* after hams' own and the application's families */
    const char *own = strstr(r.body, "app_gauge"), *cb = strstr(r.body, "cb_queue_depth");
    CHECK(own && cb && own < cb);
    CHECK_INT(atomic_load(&g_cb.calls), 1);
    CHECK_INT(atomic_load(&g_cb.same_thread), 0);
    resp_free(&r);

    /* Run again for each scrape. */
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.calls), 2);
    resp_free(&r);

    /* OpenMetrics: converted (counter family without _total, # EOF last). */
    REQUIRE(scrape_om(port, &r) == 200);
    CHECK(contains(r.headers, OM_CT));
    CHECK_HAS_LINE(r.body, "# TYPE cb_events counter");
    CHECK_HAS_LINE(r.body, "# HELP cb_events Events seen.");
    CHECK_HAS_LINE(r.body, "cb_events_total 12");
    CHECK_HAS_LINE(r.body, "cb_queue_depth{queue=\"q\\\"x\"} 8.5");
    CHECK_HAS_LINE(r.body, "cb_lat_count 2");
    CHECK_HAS_LINE(r.body, "cb_untyped NaN");
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    CHECK_INT(strstr(r.body, "# EOF") - r.body, (long long)r.body_len - 6);
    resp_free(&r);

    /* Pieces appended in several calls; `user` is passed through. */
    cb_reset(CB_PIECES, NULL);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# HELP cb_pieces Built from pieces");
    CHECK_HAS_LINE(r.body, "cb_pieces{user=\"seven\"} 3");
    CHECK_LACKS(r.body, "cb_queue_depth");
    resp_free(&r);

    /* Text without a final newline still ends the document cleanly. */
    cb_reset(CB_TEXT, "cb_no_newline 1");
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_no_newline 1");
    resp_free(&r);
    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_no_newline 1");
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    resp_free(&r);

    /* NULL removes the callback. */
    cb_reset(CB_TEXT, k_valid_cb);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    REQUIRE(scrape(port, &r) == 200);
    CHECK_LACKS(r.body, "cb_");
    CHECK_INT(atomic_load(&g_cb.calls), 0);
    CHECK(contains(r.body, "app_gauge"));
    resp_free(&r);
    hams_free(h);
}

static void test_callback_append_errors(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    cb_reset(CB_ERRORS, NULL);
    atomic_store(&g_cb.rc_null_text, 1);
    atomic_store(&g_cb.rc_bad_utf8, 1);
    atomic_store(&g_cb.rc_empty, 1);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.rc_null_text), HAMS_ERR_NULL);
    CHECK_INT(atomic_load(&g_cb.rc_bad_utf8), HAMS_ERR_INVALID);
    CHECK_INT(atomic_load(&g_cb.rc_empty), HAMS_OK);
    CHECK_INT(atomic_load(&g_cb.err_nonempty), 1);
    /* Failed appends added nothing; the rest is served. */
    CHECK_HAS_LINE(r.body, "cb_after_errors 1");
    CHECK_LACKS(r.body, "bad_utf8");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
    resp_free(&r);

    /* At most 4 MiB per run. */
    g_big = malloc(BIG_CHUNK + 1);
    REQUIRE(g_big);
    for (size_t i = 0; i < BIG_CHUNK; i += 64) {
        g_big[i] = '#';
        memset(g_big + i + 1, 'x', 62);
        g_big[i + 63] = '\n';
    }
    g_big[BIG_CHUNK] = '\0';
    cb_reset(CB_BIG, NULL);
    atomic_store(&g_cb.rc_big_ok, 0);
    atomic_store(&g_cb.rc_big_over, 0);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.rc_big_ok), 1);
    CHECK_INT(atomic_load(&g_cb.rc_big_over), HAMS_ERR_INVALID);
    CHECK_HAS_LINE(r.body, "cb_big 1");
    CHECK(r.body_len > 3u * BIG_CHUNK && r.body_len < 4u * BIG_CHUNK);
    resp_free(&r);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    free(g_big);
    g_big = NULL;
    hams_free(h);
}

static void test_callback_invalid(void) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *taken = hams_counter_new(h, "app_taken_total", "Taken");
    hams_metric_t *hist = hams_histogram_new(h, "app_hist", "Taken histogram", B3, 3);
    hams_metric_t *gauge = hams_gauge_new(h, "app_level", "Taken gauge");
    REQUIRE(taken && hist && gauge);
    CHECK_OK(hams_counter_add(taken, 5));

    static const char *const bad[] = {
        /* bad names */
        "1bad 1\n",
        "bad-name 1\n",
        "# TYPE 1bad gauge\n1bad 1\n",
        /* bad labels */
        "x{a=\"1\" 1\n",
        "x{a=1} 1\n",
        "x{1a=\"v\"} 1\n",
        "x{a=\"\\q\"} 1\n",
        "x{a-b=\"v\"} 1\n",
        /* bad values */
        "x one\n",
        "x\n",
        "x 0x1p3z\n",
        /* timestamps */
        "x 1 1700000000000\n",
        "# TYPE x gauge\nx{a=\"b\"} 1 1700000000000\n",
        /* interleaved families */
        "x 1\ny 1\nx 2\n",
        "# TYPE x gauge\nx{a=\"1\"} 1\n# TYPE y gauge\ny 1\nx{a=\"2\"} 2\n",
        /* TYPE twice or after samples */
        "# TYPE x gauge\n# TYPE x gauge\nx 1\n",
        "x 1\n# TYPE x gauge\n",
        "# TYPE x thing\nx 1\n",
        /* names already taken by hams */
        "hams_build_info 1\n",
        "# TYPE process_open_fds gauge\nprocess_open_fds 3\n",
        "hams_http_requests_total{path=\"/x\",code=\"200\"} 1\n",
        /* ... or by the application */
        "app_taken_total 1\n",
        "# TYPE app_level gauge\napp_level 2\n",
        "# TYPE app_hist histogram\napp_hist_bucket{le=\"+Inf\"} 1\napp_hist_sum 1\napp_hist_count 1\n",
        /* samples named like the series of the application's histogram */
        "app_hist_bucket{le=\"+Inf\"} 1\n",
        "app_hist_count 1\n",
        /* invalid text after a valid family drops the whole run */
        "# TYPE good gauge\ngood 1\nbad{ 1\n",
    };
    const size_t nbad = sizeof(bad) / sizeof(*bad);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    http_resp r;
    double seen = 0; /* the invalid count so far */
    for (size_t i = 0; i < nbad; i++) {
        cb_reset(CB_TEXT, bad[i]);
        REQUIRE(scrape(port, &r) == 200);
        double invalid =
            sample_or(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", -1);
        if (invalid != seen + 1)
            FAILF("callback text #%zu \"%s\" was not refused: invalid count %g, "
                  "expected %g", i, bad[i], invalid, seen + 1);
        if (invalid >= 0) seen = invalid;
        /* The application's own metrics are intact and appear once. */
        CHECK_SAMPLE(r.body, "app_taken_total", 5);
        const char *first = strstr(r.body, "\napp_taken_total ");
        if (first && strstr(first + 1, "\napp_taken_total "))
            FAILF("callback text #%zu: app_taken_total appears twice", i);
        /* Nothing of the dropped text is served: the document ends with
         * the application's last family. */
        static const char tail[] = "# TYPE app_level gauge\napp_level 0\n";
        if (r.body_len < sizeof(tail) - 1 ||
            strcmp(r.body + r.body_len - (sizeof(tail) - 1), tail) != 0)
            FAILF("callback text #%zu: the document does not end with the "
                  "application's families; it ends with:\n%s", i,
                  r.body + (r.body_len > 400 ? r.body_len - 400 : 0));
        CHECK_LACKS(r.body, "\ngood 1");
        resp_free(&r);
    }
    /* Also counted for OpenMetrics scrapes, which still end in # EOF. */
    cb_reset(CB_TEXT, "x 1 2\n");
    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}",
                 seen + 1);
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    resp_free(&r);

    /* A valid run is served again afterwards. */
    cb_reset(CB_TEXT, "# TYPE cb_ok gauge\ncb_ok 1\n");
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_ok 1");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}",
                 seen + 1);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 0);
    resp_free(&r);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    hams_free(h);
}

struct scrape_job {
    int port;
    int status;
    double ms;
    char *body;
};

static void *scrape_thread(void *arg) {
    struct scrape_job *j = arg;
    http_resp r;
    double t0 = now_ms();
    j->status = scrape(j->port, &r);
    j->ms = now_ms() - t0;
    j->body = r.body ? strdup(r.body) : NULL;
    resp_free(&r);
    return NULL;
}

static void test_callback_timeout(void) {
    hams_t *h = hams_new_from_yaml("service: {name: metrics-timeout, version: \"1.0\"}\n"
                                   "server: {address: 127.0.0.1:0}\n"
                                   "metrics: {callback_timeout_ms: 200}\n");
    REQUIRE(h);
    REQUIRE(hams_start(h) == HAMS_OK);
    int port = hams_port(h);
    REQUIRE(port > 0);
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 1500);
    atomic_store(&g_cb.running, 0);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));

    struct scrape_job job = {port, -1, 0, NULL};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, scrape_thread, &job) == 0);
    /* While the scrape waits for the callback, other requests answer at once. */
    double deadline = now_ms() + 2000;
    while (!atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(5);
    CHECK_INT(atomic_load(&g_cb.running), 1);
    http_resp r;
    int st = http_req(port, "GET", "/hams/alive", NULL, &r, 5000);
    CHECK_INT(st, 200);
    /* "at once": well before the 200 ms callback timeout */
    if (r.ms > 150) FAILF("/hams/alive took %.0f ms during a slow metrics callback", r.ms);
    resp_free(&r);
    pthread_join(t, NULL);

    CHECK_INT(job.status, 200);
    if (job.ms < 150 || job.ms > 1000)
        FAILF("scrape with a slow callback took %.0f ms (timeout 200 ms)", job.ms);
    CHECK(job.body != NULL);
    if (job.body) {
        CHECK_LACKS(job.body, "cb_slow_marker");
        CHECK_SAMPLE(job.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 1);
        CHECK_SAMPLE(job.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
        CHECK(contains(job.body, "# TYPE process_open_fds gauge"));
    }
    free(job.body);
    CHECK_INT(atomic_load(&g_cb.calls), 1);

    /* Once the slow run is over, a fast one is served again. */
    deadline = now_ms() + 5000;
    while (atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(10);
    CHECK_INT(atomic_load(&g_cb.running), 0);
    cb_reset(CB_TEXT, "# TYPE cb_fast gauge\ncb_fast 1\n");
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_fast 1");
    CHECK_LACKS(r.body, "cb_slow_marker");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 1);
    resp_free(&r);

    /* Removing the callback waits for a run in progress. */
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 600);
    job.status = -1;
    job.body = NULL;
    REQUIRE(pthread_create(&t, NULL, scrape_thread, &job) == 0);
    deadline = now_ms() + 2000;
    while (!atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(2);
    REQUIRE(atomic_load(&g_cb.running) == 1);
    double t0 = now_ms();
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    double waited = now_ms() - t0;
    CHECK_INT(atomic_load(&g_cb.running), 0);
    if (waited < 300) FAILF("hams_set_metrics_callback(NULL) returned after %.0f ms, "
                            "while the callback sleeps 600 ms", waited);
    pthread_join(t, NULL);
    CHECK_INT(job.status, 200);
    free(job.body);
    int calls = atomic_load(&g_cb.calls);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.calls), calls);
    CHECK_LACKS(r.body, "cb_slow_marker");
    resp_free(&r);
    hams_free(h);
}

static void test_free_waits_for_callback(void) {
    /* Like hams_set_metrics_callback(h, NULL, NULL) and like callback probes,
     * hams_free must not return while the metrics callback still runs: the
     * application releases `user` after it. */
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 600);
    atomic_store(&g_cb.running, 0);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    struct scrape_job job = {port, -1, 0, NULL};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, scrape_thread, &job) == 0);
    double deadline = now_ms() + 2000;
    while (!atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(2);
    CHECK_INT(atomic_load(&g_cb.running), 1);
    double t0 = now_ms();
    hams_free(h);
    double took = now_ms() - t0;
    if (atomic_load(&g_cb.running))
        FAILF("hams_free returned after %.0f ms while the metrics callback "
              "was still running", took);
    pthread_join(t, NULL);
    free(job.body);
    /* Leave nothing running for the next case. */
    deadline = now_ms() + 3000;
    while (atomic_load(&g_cb.running) && now_ms() < deadline) sleep_ms(10);
}

static void test_callback_timeout_env(void) {
    /* HAMS_METRICS_CALLBACK_TIMEOUT_MS overrides the configuration. */
    setenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS", "150", 1);
    hams_t *h = hams_new_from_yaml("service: {name: metrics-env, version: \"1.0\"}\n"
                                   "server: {address: 127.0.0.1:0}\n");
    unsetenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS");
    REQUIRE(h);
    REQUIRE(hams_start(h) == HAMS_OK);
    int port = hams_port(h);
    cb_reset(CB_SLOW, NULL);
    atomic_store(&g_cb.sleep_ms, 800);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    http_resp r;
    REQUIRE(scrape(port, &r) == 200);
    if (r.ms < 100 || r.ms > 700) FAILF("scrape took %.0f ms with a 150 ms timeout", r.ms);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 1);
    resp_free(&r);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    hams_free(h);

    /* A bad value is a configuration error. */
    setenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS", "0", 1);
    h = hams_new_from_yaml("service: {name: metrics-env, version: \"1.0\"}\n");
    unsetenv("HAMS_METRICS_CALLBACK_TIMEOUT_MS");
    CHECK(h == NULL);
    hams_free(h);
    h = hams_new_from_yaml("service: {name: m, version: \"1.0\"}\n"
                           "metrics: {callback_timeout_ms: 0}\n");
    CHECK(h == NULL);
    hams_free(h);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    setvbuf(stderr, NULL, _IONBF, 0);
    g_main_thread = pthread_self();
    /* Keep the library's own warnings (dropped callback output) quiet. */
    hams_set_logger(NULL, NULL, 1);

    double t0 = now_ms();
    RUN(test_null_arguments);
    RUN(test_invalid_utf8);
    RUN(test_invalid_metric_names);
    RUN(test_invalid_labels);
    RUN(test_invalid_buckets);
    RUN(test_duplicate_registration);
    RUN(test_values_and_wrong_kinds);
    RUN(test_scrape_format_and_escaping);
    RUN(test_builtin_metrics);
    RUN(test_concurrent_counter);
    RUN(test_histogram_buckets);
    RUN(test_metric_free);
    RUN(test_callback_valid);
    RUN(test_callback_append_errors);
    RUN(test_callback_invalid);
    RUN(test_callback_timeout);
    RUN(test_callback_timeout_env);
    RUN(test_free_waits_for_callback);
    fprintf(stderr, "(%.0f ms)\n", now_ms() - t0);
    printf("c-metrics: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}
