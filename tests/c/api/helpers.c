/*
 * helpers.c: what the C API test cases share (declared in helpers.h).
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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
/* Minimal HTTP/1.1 client over a plain TCP socket                          */
/* ------------------------------------------------------------------------ */

char g_raw[RESP_CAP + 8192];
http_resp g_resp;

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

int http_req(int port, const char *method, const char *target,
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

size_t http_raw(int port, const char *raw, int timeout_ms) {
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
