/*
 * testing.c: runs the cases of a C test program (see testing.h), and the
 * helpers every program uses.
 */
#include "testing.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int g_case_failures;

static const char *g_suite = "c-tests";
static const char *volatile g_current_case = "(none)";

const char *safe_last_error(void) {
    const char *e = hams_last_error();
    return e ? e : "(NULL)";
}

bool last_error_nonempty(void) {
    const char *e = hams_last_error();
    return e != NULL && e[0] != '\0';
}

double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool contains(const char *hay, const char *needle) {
    return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Minimal HTTP/1.1 client                                                  */
/* ------------------------------------------------------------------------ */

char *http_exchange(int port, const char *req, int timeout_ms, size_t max, size_t *got, bool *sent) {
    *got = 0;
    *sent = false;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return NULL;
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
    size_t cap = 64 * 1024;
    char *raw = malloc(cap);
    if (!raw || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        free(raw);
        close(fd);
        return NULL;
    }
    size_t n = strlen(req), off = 0;
    while (off < n) {
        ssize_t w = send(fd, req + off, n - off, 0);
        if (w <= 0) break;
        off += (size_t)w;
    }
    *sent = off == n;
    /* Read what came back even after a failed send: a server that refuses a
     * request may answer, then close, before taking all of it. */
    for (;;) {
        if (*got >= max) break;
        if (*got + 1 >= cap) {
            char *bigger = realloc(raw, cap * 2);
            if (!bigger) break;
            raw = bigger;
            cap *= 2;
        }
        size_t room = cap - 1 - *got;
        if (room > max - *got) room = max - *got;
        ssize_t rd = recv(fd, raw + *got, room, 0);
        if (rd < 0 && errno == EINTR) continue;
        if (rd <= 0) break; /* EOF, error or timeout */
        *got += (size_t)rd;
    }
    close(fd);
    raw[*got] = '\0';
    return raw;
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

void http_response_free(http_response *r) {
    free(r->headers);
    free(r->body);
    memset(r, 0, sizeof(*r));
    r->status = -1;
}

int http_request(int port, const char *method, const char *target, const char *extra_headers, http_response *r,
                 int timeout_ms) {
    double t0 = now_ms();
    memset(r, 0, sizeof(*r));
    r->status = -1;
    char req[2048];
    snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n", method, target,
             extra_headers ? extra_headers : "");
    size_t got;
    bool sent;
    char *raw = http_exchange(port, req, timeout_ms, 64u * 1024 * 1024, &got, &sent);
    r->ms = now_ms() - t0;
    if (!raw) return -1;

    int status = 0;
    char *sep = strstr(raw, "\r\n\r\n");
    if (!sent || got < 12 || sscanf(raw, "HTTP/1.%*d %d", &status) != 1 || !sep) {
        free(raw);
        return -1;
    }
    size_t hlen = (size_t)(sep - raw);
    r->headers = malloc(hlen + 1);
    r->body_len = got - hlen - 4;
    r->body = malloc(r->body_len + 1);
    if (!r->headers || !r->body) {
        free(raw);
        http_response_free(r);
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
    if (strstr(r->headers, "transfer-encoding: chunked")) dechunk(r->body, &r->body_len);
    r->status = status;
    return status;
}

static void put(const char *s) {
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

/* A case that hangs ends the program, naming the case (async-signal-safe). */
static void on_alarm(int sig) {
    (void)sig;
    put("\n");
    put(g_suite);
    put(": watchdog timeout in test case ");
    put(g_current_case);
    put("\n");
    put(g_suite);
    put(": aborted\n");
    _exit(3);
}

static bool wanted(const char *name, int argc, char **argv) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return true;
    return false;
}

int testing_main(const char *suite, unsigned timeout_s, int argc, char **argv) {
    g_suite = suite;
    for (int i = 1; i < argc; i++) {
        size_t j = 0;
        while (j < testing_case_count && strcmp(testing_cases[j].name, argv[i]) != 0) j++;
        if (j == testing_case_count) {
            fprintf(stderr, "%s: no test case named \"%s\"\n", suite, argv[i]);
            return 2;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    setvbuf(stderr, NULL, _IONBF, 0);

    int passed = 0, failed = 0;
    double t0 = now_ms();
    for (size_t i = 0; i < testing_case_count; i++) {
        const struct testing_case *c = &testing_cases[i];
        if (!wanted(c->name, argc, argv)) continue;
        g_case_failures = 0;
        g_current_case = c->name;
        double c0 = now_ms();
        alarm(timeout_s);
        c->run();
        alarm(0);
        double dt = now_ms() - c0;
        if (g_case_failures == 0) {
            passed++;
            fprintf(stderr, "ok   %-40s (%.0f ms)\n", c->name, dt);
        } else {
            failed++;
            fprintf(stderr, "FAIL %-40s (%.0f ms, %d failed checks)\n", c->name, dt, g_case_failures);
        }
    }
    fprintf(stderr, "(total %.0f ms)\n", now_ms() - t0);

    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    fflush(stdout);
    return failed == 0 ? 0 : 1;
}
