/*
 * helpers.c: what the C tests of the metrics API share (declared in
 * helpers.h).
 */
#include "helpers.h"

int scrape(int port, http_response *r) {
    return http_request(port, "GET", "/hams/metrics", NULL, r, 10000);
}

int scrape_om(int port, http_response *r) {
    return http_request(port, "GET", "/hams/metrics", OPENMETRICS_ACCEPT, r,
                    10000);
}

/* ------------------------------------------------------------------------ */
/* The exposition text                                                      */
/* ------------------------------------------------------------------------ */

bool has_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len == n && memcmp(p, line, n) == 0) return true;
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

bool has_line_prefix(const char *text, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, n) == 0) return true;
        const char *eol = strchr(p, '\n');
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

bool sample(const char *text, const char *series, double *value) {
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

double sample_or(const char *text, const char *series, double dflt) {
    double v;
    return sample(text, series, &v) ? v : dflt;
}

/* ------------------------------------------------------------------------ */
/* Servers                                                                  */
/* ------------------------------------------------------------------------ */

hams_t *start_server(int *port) {
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

hams_t *new_server(void) {
    hams_t *h = hams_new("metrics-test", "1.2.3");
    if (!h) FAILF("hams_new failed: %s", safe_last_error());
    return h;
}

const double B3[3] = {0.1, 1.0, 10.0};

/* ------------------------------------------------------------------------ */
/* The metrics callback                                                     */
/* ------------------------------------------------------------------------ */

struct cb_control g_cb;
pthread_t g_main_thread;
char *g_big;

void metrics_cb(void *user, hams_metrics_buffer_t *out) {
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

void cb_reset(int mode, const char *text) {
    atomic_store(&g_cb.mode, mode);
    atomic_store(&g_cb.text, text);
    atomic_store(&g_cb.calls, 0);
    atomic_store(&g_cb.same_thread, 0);
}
