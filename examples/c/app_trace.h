/*
 * The demo's application port, part 1: trace context and small text
 * helpers (random ids, traceparent, JSON strings).
 *
 * Included once, by demo.c only: the demo stays one translation unit so
 * that `cc demo.c $(pkg-config --cflags --libs hams)` still builds it.
 */
#ifndef HAMS_DEMO_APP_TRACE_H
#define HAMS_DEMO_APP_TRACE_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

/* The tracing headers Istio asks applications to forward, lower-case. */
static const char *const app_trace_headers[] = {
    "x-request-id", "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid",
    "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3",
};
#define APP_TRACE_HEADERS (sizeof(app_trace_headers) / sizeof(app_trace_headers[0]))
#define APP_TRACEPARENT 1 /* its index above */

/* Fills `buf` with random bytes: getrandom(), else /dev/urandom. */
static bool app_random(unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (got == n) return true;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    return got == n;
}

/* A random id of `nbytes` bytes as lower-case hex into `out` (2 * nbytes
 * + 1 chars), never all zeros (Trace Context calls that invalid). */
static bool app_random_hex(char *out, size_t nbytes) {
    unsigned char b[16];
    if (nbytes > sizeof(b)) return false;
    bool zero = true;
    do {
        if (!app_random(b, nbytes)) return false;
        for (size_t i = 0; i < nbytes; i++) zero = zero && b[i] == 0;
    } while (zero);
    for (size_t i = 0; i < nbytes; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
    return true;
}

static bool app_lower_hex(const char *s, size_t n, bool nonzero) {
    bool all_zero = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        all_zero = all_zero && c == '0';
    }
    return !(nonzero && all_zero);
}

/* Parses a W3C traceparent, `VV-<32 hex trace-id>-<16 hex parent-id>-FF`:
 * on success copies the trace id (33 chars) and the flags (3 chars). A
 * version other than 00 may carry more fields after a '-' (Trace Context's
 * rule for future versions); ff is invalid. */
static bool app_parse_traceparent(const char *v, char trace_id[33], char flags[3]) {
    size_t n = strlen(v);
    if (n < 55 || !app_lower_hex(v, 2, false) || strncmp(v, "ff", 2) == 0) return false;
    if (strncmp(v, "00", 2) == 0 ? n != 55 : (n > 55 && v[55] != '-')) return false;
    if (v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
    if (!app_lower_hex(v + 3, 32, true) || !app_lower_hex(v + 36, 16, true) || !app_lower_hex(v + 53, 2, false))
        return false;
    memcpy(trace_id, v + 3, 32);
    trace_id[32] = '\0';
    memcpy(flags, v + 53, 2);
    flags[2] = '\0';
    return true;
}

/* Appends `s` (NUL-terminated) to out[*len..cap) as a JSON string; false
 * when it does not fit. */
static bool app_json_str(char *out, size_t cap, size_t *len, const char *s) {
    size_t l = *len;
    if (l + 1 >= cap) return false;
    out[l++] = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        size_t k;
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            k = 2;
        } else if (*c < 0x20 || *c == 0x7f) {
            k = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *c);
        } else {
            esc[0] = (char)*c;
            k = 1;
        }
        if (l + k + 1 >= cap) return false;
        memcpy(out + l, esc, k);
        l += k;
    }
    if (l + 2 > cap) return false;
    out[l++] = '"';
    out[l] = '\0';
    *len = l;
    return true;
}

/* Appends formatted text; false when it does not fit. */
#define app_json_raw(out, cap, len, s) app_append((out), (cap), (len), (s), strlen(s))
static bool app_append(char *out, size_t cap, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > cap) return false;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

#endif
