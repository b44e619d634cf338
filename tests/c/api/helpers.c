/*
 * helpers.c: what the C API test cases share (declared in helpers.h).
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

bool contains_ci(const char *hay, const char *needle) {
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

void strip_ws(const char *s, char *out, size_t cap) {
    size_t j = 0;
    for (; *s && j + 1 < cap; s++)
        if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t') out[j++] = *s;
    out[j] = '\0';
}

bool body_is(const char *body, const char *want) {
    size_t n = strlen(body);
    while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r' ||
                     body[n - 1] == ' '))
        n--;
    return n == strlen(want) && memcmp(body, want, n) == 0;
}

int count_occurrences(const char *hay, const char *needle) {
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* ------------------------------------------------------------------------ */
/* HTTP: the client of testing.c, into fixed buffers                        */
/* ------------------------------------------------------------------------ */

char g_raw[RESP_CAP + 8192];
http_resp g_resp;

/* The shared client (testing.c), copied into the fixed buffers these cases
 * read (g_resp, g_raw), cut to their size. */
int http_req(int port, const char *method, const char *target,
             const char *extra_headers, http_resp *r, int timeout_ms) {
    http_response full;
    memset(r, 0, sizeof(*r));
    r->status = http_request(port, method, target, extra_headers, &full, timeout_ms);
    r->ms = full.ms;
    if (r->status >= 0) {
        snprintf(r->headers, sizeof(r->headers), "%s", full.headers);
        r->body_len = full.body_len < sizeof(r->body) ? full.body_len : sizeof(r->body) - 1;
        memcpy(r->body, full.body, r->body_len);
        r->body[r->body_len] = '\0';
    }
    http_response_free(&full);
    return r->status;
}

size_t http_raw(int port, const char *raw, int timeout_ms) {
    size_t got;
    bool sent;
    char *all = http_exchange(port, raw, timeout_ms, sizeof(g_raw) - 1, &got, &sent);
    if (!all) got = 0;
    else memcpy(g_raw, all, got);
    g_raw[got] = '\0';
    free(all);
    return got;
}

int get(int port, const char *target) {
    return http_req(port, "GET", target, NULL, &g_resp, 3000);
}

int get_json(int port, const char *target) {
    return http_req(port, "GET", target, "Accept: application/json\r\n",
                    &g_resp, 3000);
}

bool wait_for(int port, const char *target, int want,
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

hams_t *start_server(const char *service, int *port) {
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
/* Callback probes, configurations, shutdown callbacks                      */
/* ------------------------------------------------------------------------ */

bool check_cb(void *user, char *reason, size_t reason_len) {
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

bool check_cb_null_user(void *user, char *reason, size_t reason_len) {
    (void)reason;
    (void)reason_len;
    return user == NULL; /* healthy iff the library passed NULL through */
}

hams_t *start_yaml(const char *yaml, int *port) {
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

void on_shutdown_cb(void *user) {
    sd_arg *a = (sd_arg *)user;
    sd_state *s = a->s;
    s->thread = pthread_self();
    int n = atomic_fetch_add(&s->next, 1);
    if (n >= 0 && n < 8) atomic_store(&s->order[n], a->id);
    if (s->sleep_ms > 0) sleep_ms(s->sleep_ms);
    atomic_fetch_add(&s->calls, 1);
}

void noop_shutdown_cb(void *user) { (void)user; }
