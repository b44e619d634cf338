/*
 * helpers.h: what the C tests of the metrics API share (helpers.c): scrapes
 * of /hams/metrics with the client of testing.h, checks on the exposition text,
 * servers, and the metrics callback the callback cases drive.
 */
#ifndef HAMS_METRICS_HELPERS_H
#define HAMS_METRICS_HELPERS_H

#include "testing.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- HTTP ---- */

/* The client is the shared one of testing.h (http_request, http_response). */

#define OPENMETRICS_ACCEPT                                                     \
    "Accept: application/openmetrics-text; version=1.0.0,"                    \
    "text/plain;version=0.0.4;q=0.5\r\n"
#define TEXT_CT "content-type: text/plain; version=0.0.4; charset=utf-8"
#define OM_CT                                                                  \
    "content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"

/* GET /hams/metrics in the 0.0.4 text format. */
int scrape(int port, http_response *r);
int scrape_om(int port, http_response *r);

/* ---- the exposition text ---- */

/* Whether `text` has a line that is exactly `line`. */
bool has_line(const char *text, const char *line);
/* Whether a line of `text` starts with `prefix`. */
bool has_line_prefix(const char *text, const char *prefix);
/* The value of the sample whose line starts with `series` followed by a
 * space (`series` is the name with its exact label block). */
bool sample(const char *text, const char *series, double *value);
double sample_or(const char *text, const char *series, double dflt);

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

/* ---- servers ---- */

/* A started server on 127.0.0.1 at a free port. */
hams_t *start_server(int *port);
/* A stopped server (registration tests need no socket). */
hams_t *new_server(void);

extern const double B3[3]; /* histogram buckets 0.1, 1, 10 */

/* ---- the metrics callback ---- */

enum cb_mode { CB_TEXT, CB_PIECES, CB_ERRORS, CB_BIG, CB_SLOW };

/* What metrics_cb does (mode, text) and what it saw. */
struct cb_control {
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
};
extern struct cb_control g_cb;

extern pthread_t g_main_thread; /* set by main: callbacks must not run on it */

#define BIG_CHUNK (1024 * 1024)
extern char *g_big; /* 1 MiB of comment lines */

void metrics_cb(void *user, hams_metrics_buffer_t *out);
void cb_reset(int mode, const char *text);

#endif
