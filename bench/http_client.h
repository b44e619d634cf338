/*
 * bench/http_client.h: the smallest HTTP/1.1 client the benchmarks need,
 * on connections to 127.0.0.1: http_read_small() reads a probe's short
 * answer into the caller's fixed buffer (no allocation, for latency and
 * footprint figures); http_get() a Content-Length or chunked body of any
 * size into a growing buffer (the metrics benchmarks).
 * Header-only (static inline functions) so that each bench program is one
 * file; a program that includes it defines _GNU_SOURCE (memmem).
 * Every wait of http_get is bounded by HTTP_TIMEOUT_MS.
 */
#ifndef BENCH_HTTP_CLIENT_H
#define BENCH_HTTP_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* a 100,000-series render may take seconds on a slow build */
#ifndef HTTP_TIMEOUT_MS
#define HTTP_TIMEOUT_MS 60000
#endif

static inline uint64_t http_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int http_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response (head plus Content-Length body) into buf[cap] within
 * timeout_ms per read. Returns the status code, or -1 on error, timeout,
 * a short response or one that does not fit. */
static inline int http_read_small(int fd, char *buf, size_t cap, int timeout_ms) {
    size_t have = 0;
    long need = -1; /* total bytes, once the head is complete */
    int status = -1;
    for (;;) {
        if (need >= 0 && (long)have >= need) return status;
        struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
        int r = poll(&p, 1, timeout_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        if (have >= cap - 1) return -1;
        ssize_t n = recv(fd, buf + have, cap - 1 - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        have += (size_t)n;
        buf[have] = '\0';
        if (need < 0) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL) continue;
            if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) return -1;
            long clen = 0;
            for (char *line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
                if (strncasecmp(line + 2, "content-length:", 15) == 0) clen = strtol(line + 17, NULL, 10);
            }
            need = (long)(end + 4 - buf) + clen;
        }
    }
}

/* One response. `raw` holds what was read (head, body, chunk framing);
 * `body` the decoded body (de-chunked, still compressed if it was). */
struct http_response {
    int status;
    char content_type[160];
    char content_encoding[40];
    int chunked;
    char *raw;
    size_t raw_len, raw_cap;
    char *body;
    size_t body_len, body_cap;
    size_t head_len;
};

static inline void http_response_free(struct http_response *r) {
    free(r->raw);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static inline int http_grow(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 65536;
    while (c < need) c *= 2;
    char *p = realloc(*buf, c);
    if (p == NULL) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

static inline int http_send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads more bytes into r->raw; -1 on error, timeout or EOF. */
static inline int http_fill(int fd, struct http_response *r) {
    for (;;) {
        if (http_grow(&r->raw, &r->raw_cap, r->raw_len + 65536 + 1) != 0) return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
        int pr = poll(&p, 1, HTTP_TIMEOUT_MS);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return -1;
        ssize_t n = recv(fd, r->raw + r->raw_len, r->raw_cap - r->raw_len - 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        r->raw_len += (size_t)n;
        r->raw[r->raw_len] = '\0';
        return 0;
    }
}

static inline void http_header_value(const char *line, size_t name_len, char *out, size_t out_len) {
    const char *v = line + name_len;
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strcspn(v, "\r\n");
    if (n >= out_len) n = out_len - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

/* Decodes chunked framing from r->raw starting at r->head_len into r->body;
 * 1 when the last chunk was seen, 0 when more bytes are needed, -1 on a
 * framing error. Re-decodes from the start on each call (fine for a bench:
 * called after each read of up to 64 KiB, bodies of a few MiB). */
static inline int http_dechunk(struct http_response *r) {
    size_t pos = r->head_len;
    r->body_len = 0;
    for (;;) {
        char *eol = memmem(r->raw + pos, r->raw_len - pos, "\r\n", 2);
        if (eol == NULL) return 0;
        size_t size = strtoul(r->raw + pos, NULL, 16);
        size_t data = (size_t)(eol - r->raw) + 2;
        if (size == 0) {
            /* no trailers expected: the final CRLF ends the message */
            return r->raw_len >= data + 2 ? 1 : 0;
        }
        if (r->raw_len < data + size + 2) return 0;
        if (http_grow(&r->body, &r->body_cap, r->body_len + size + 1) != 0) return -1;
        memcpy(r->body + r->body_len, r->raw + data, size);
        r->body_len += size;
        pos = data + size + 2;
    }
}

/* GET `path` on keep-alive connection `fd`, with optional Accept and
 * Accept-Encoding headers (NULL: none). 0 on a complete response. */
static inline int http_get(int fd, const char *path, const char *accept, const char *encoding,
                           struct http_response *r) {
    char req[1024];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s%s%s%s\r\n", path,
                     accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "",
                     encoding ? "Accept-Encoding: " : "", encoding ? encoding : "", encoding ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(req)) return -1;
    r->raw_len = 0;
    r->body_len = 0;
    r->head_len = 0;
    r->status = -1;
    r->chunked = 0;
    r->content_type[0] = '\0';
    r->content_encoding[0] = '\0';
    if (http_send_all(fd, req, (size_t)n) != 0) return -1;
    long clen = -1;
    for (;;) {
        if (http_fill(fd, r) != 0) return -1;
        char *end = strstr(r->raw, "\r\n\r\n");
        if (end == NULL) continue;
        r->head_len = (size_t)(end + 4 - r->raw);
        if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1) return -1;
        for (char *line = strstr(r->raw, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
            const char *h = line + 2;
            if (strncasecmp(h, "content-length:", 15) == 0) clen = strtol(h + 15, NULL, 10);
            if (strncasecmp(h, "transfer-encoding:", 18) == 0 && strstr(h, "chunked") != NULL) r->chunked = 1;
            if (strncasecmp(h, "content-type:", 13) == 0)
                http_header_value(h, 13, r->content_type, sizeof(r->content_type));
            if (strncasecmp(h, "content-encoding:", 17) == 0)
                http_header_value(h, 17, r->content_encoding, sizeof(r->content_encoding));
        }
        break;
    }
    if (r->chunked) {
        for (;;) {
            int d = http_dechunk(r);
            if (d < 0) return -1;
            if (d == 1) return 0;
            if (http_fill(fd, r) != 0) return -1;
        }
    }
    if (clen < 0) return -1; /* keep-alive needs a length */
    while (r->raw_len < r->head_len + (size_t)clen) {
        if (http_fill(fd, r) != 0) return -1;
    }
    if (http_grow(&r->body, &r->body_cap, (size_t)clen + 1) != 0) return -1;
    memcpy(r->body, r->raw + r->head_len, (size_t)clen);
    r->body_len = (size_t)clen;
    return 0;
}

#endif /* BENCH_HTTP_CLIENT_H */
