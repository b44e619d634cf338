/*
 * The demo's application port, part 2: a small HTTP/1.1 server beside
 * hams' port (--app-port) with one resource, GET /work, which waits
 * --delay-ms, calls --downstream URL if given (forwarding the tracing
 * headers of app_trace.h, with a new span id) and answers JSON:
 *
 *   {"service": "hams-demo", "pid": 123, "trace_id": "<32 hex>",
 *    "span_id": "<16 hex>", "seen": {<tracing headers it arrived with>},
 *    "downstream": <the downstream's JSON, or null>}
 *
 * Every request counts in app_requests_total{path,code} and is timed in
 * app_request_seconds, both with the exemplar {trace_id="<its trace id>"}.
 *
 * One thread accepts, one thread serves each connection (keep-alive, and
 * pipelined requests in order). app_stop() is called after hams' shutdown
 * sequence, so /work keeps answering through the drain: it stops
 * accepting, lets the requests in flight finish (answered with
 * `Connection: close`), closes the idle connections and returns.
 *
 * Included once, by demo.c only (see app_trace.h for why).
 */
#ifndef HAMS_DEMO_APP_PORT_H
#define HAMS_DEMO_APP_PORT_H

#include "app_trace.h"
#include "hams.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#define APP_REQ_MAX 16384       /* request line and headers */
#define APP_DOWNSTREAM_MAX 65536 /* the downstream's whole answer */
#define APP_IDLE_MS 60000        /* an idle keep-alive connection is closed after */
#define APP_IO_TIMEOUT_S 10      /* a stalled peer (send, downstream) gives up after */

typedef struct {
    /* What demo.c sets before app_start(). */
    const char *service;
    char host[256];
    int port; /* 0: ephemeral */
    uint64_t delay_ms;
    const char *downstream; /* full URL, or NULL */
    hams_vec_t *requests;   /* app_requests_total {path, code} */
    hams_metric_t *latency; /* app_request_seconds */
    /* Set by app_start(). */
    int bound_port;
    char ds_host[256], ds_port[8], ds_authority[300];
    const char *ds_path;
    int listen_fd;
    pthread_t acceptor;
    atomic_bool stopping;
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when `active` drops to 0 */
    int active;          /* connection threads running */
} app_t;

typedef struct {
    app_t *app;
    int fd;
} app_conn_t;

/* One parsed request: pointers into the connection's buffer. */
typedef struct {
    const char *method, *path;
    size_t method_len, path_len;
    const char *trace[APP_TRACE_HEADERS]; /* NUL-terminated values, or NULL */
    bool close;
    unsigned long long content_length;
} app_req_t;

static double app_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool app_send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void app_set_timeouts(int fd) {
    struct timeval tv = {.tv_sec = APP_IO_TIMEOUT_S, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* http://HOST[:PORT][/PATH] (HOST may be [v6]) into the app's ds_* fields. */
static bool app_parse_url(app_t *a, const char *url) {
    if (strncmp(url, "http://", 7) != 0) return false;
    const char *auth = url + 7;
    const char *slash = strchr(auth, '/');
    size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);
    if (alen == 0 || alen >= sizeof(a->ds_authority)) return false;
    memcpy(a->ds_authority, auth, alen);
    a->ds_authority[alen] = '\0';
    a->ds_path = slash ? slash : "/";
    const char *host = a->ds_authority, *colon;
    size_t hlen;
    if (*host == '[') {
        const char *end = strchr(host, ']');
        if (end == NULL) return false;
        host++;
        hlen = (size_t)(end - host);
        colon = end[1] == ':' ? end + 1 : NULL;
        if (end[1] != '\0' && colon == NULL) return false;
    } else {
        colon = strrchr(host, ':');
        hlen = colon ? (size_t)(colon - host) : alen;
    }
    if (hlen == 0 || hlen >= sizeof(a->ds_host)) return false;
    memcpy(a->ds_host, host, hlen);
    a->ds_host[hlen] = '\0';
    const char *port = colon ? colon + 1 : "80";
    if (*port == '\0' || strlen(port) >= sizeof(a->ds_port) || strspn(port, "0123456789") != strlen(port))
        return false;
    snprintf(a->ds_port, sizeof(a->ds_port), "%s", port);
    return true;
}

/* GET the downstream with `headers` (complete lines); its JSON body into
 * out[0..cap). False with a reason in `err`. */
static bool app_call_downstream(app_t *a, const char *headers, char *out, size_t cap, char *err, size_t errlen) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(a->ds_host, a->ds_port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "resolving %s: %s", a->ds_host, gai_strerror(rc));
        return false;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        app_set_timeouts(fd);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "connecting to %s: %s", a->ds_authority, strerror(errno));
        return false;
    }
    char *buf = malloc(APP_DOWNSTREAM_MAX + 1);
    bool ok = false;
    int n = -1;
    size_t len = 0;
    if (buf != NULL)
        n = snprintf(buf, APP_DOWNSTREAM_MAX, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n"
                     "Connection: close\r\n%s\r\n", a->ds_path, a->ds_authority, headers);
    if (n < 0 || n >= APP_DOWNSTREAM_MAX || !app_send_all(fd, buf, (size_t)n)) {
        snprintf(err, errlen, "sending to %s failed", a->ds_authority);
        goto out;
    }
    for (;;) { /* Connection: close: the answer ends at EOF */
        ssize_t r = recv(fd, buf + len, APP_DOWNSTREAM_MAX - len, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(err, errlen, "reading from %s: %s", a->ds_authority, strerror(errno));
            goto out;
        }
        if (r == 0) break;
        len += (size_t)r;
        if (len == APP_DOWNSTREAM_MAX) {
            snprintf(err, errlen, "the answer of %s is too long", a->ds_authority);
            goto out;
        }
    }
    buf[len] = '\0';
    int status = 0;
    char *body = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1 || body == NULL) {
        snprintf(err, errlen, "%s sent no HTTP answer", a->ds_authority);
        goto out;
    }
    if (status != 200) {
        snprintf(err, errlen, "%s answered %d", a->ds_authority, status);
        goto out;
    }
    body += 4;
    size_t blen = strlen(body);
    while (blen > 0 && strchr(" \t\r\n", body[blen - 1]) != NULL) blen--;
    while (blen > 0 && strchr(" \t\r\n", *body) != NULL) body++, blen--;
    if (blen < 2 || body[0] != '{' || body[blen - 1] != '}' || blen + 1 > cap) {
        snprintf(err, errlen, "%s answered no JSON object (chunked, or too long)", a->ds_authority);
        goto out;
    }
    memcpy(out, body, blen);
    out[blen] = '\0';
    ok = true;
out:
    free(buf);
    close(fd);
    return ok;
}

/* Parses the head in buf[0..head_len) (ending with CRLF CRLF; NULs are put
 * in). False: a bad request. */
static bool app_parse(char *buf, size_t head_len, app_req_t *r) {
    memset(r, 0, sizeof(*r));
    buf[head_len - 2] = '\0'; /* the last CRLF: the head is now lines ending in CRLF */
    char *line = buf, *eol = strstr(line, "\r\n");
    if (eol == NULL) return false;
    *eol = '\0';
    char *sp1 = strchr(line, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) return false;
    r->method = line;
    r->method_len = (size_t)(sp1 - line);
    r->path = sp1 + 1;
    r->path_len = strcspn(r->path, " ?");
    r->close = strcmp(sp2 + 1, "HTTP/1.0") == 0;
    for (line = eol + 2; *line != '\0'; line = eol + 2) {
        eol = strstr(line, "\r\n");
        if (eol == NULL) return false;
        *eol = '\0';
        char *colon = strchr(line, ':');
        if (colon == NULL || colon == line) return false;
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        char *end = v + strlen(v);
        while (end > v && (end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        /* A control character (a bare CR or LF) would split the header when
         * forwarded downstream. */
        for (char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20 && *c != '\t') return false;
        if (strcasecmp(line, "connection") == 0) {
            if (strcasestr(v, "close") != NULL) r->close = true;
            if (strcasestr(v, "keep-alive") != NULL) r->close = false;
        } else if (strcasecmp(line, "content-length") == 0) {
            char *e = NULL;
            r->content_length = strtoull(v, &e, 10);
            if (e == v || *e != '\0') return false;
        } else if (strcasecmp(line, "transfer-encoding") == 0) {
            return false; /* no bodies here */
        } else {
            for (size_t i = 0; i < APP_TRACE_HEADERS; i++)
                if (r->trace[i] == NULL && strcasecmp(line, app_trace_headers[i]) == 0) r->trace[i] = v;
        }
    }
    return true;
}

/* Counts and times one request, with its trace id as the exemplar. */
static void app_record(app_t *a, const char *path, int code, double seconds, const char *trace_id) {
    char code_s[8];
    snprintf(code_s, sizeof(code_s), "%d", code);
    const char *const values[] = {path, code_s, NULL};
    const char *const exemplar[] = {"trace_id", trace_id, NULL};
    hams_metric_t *m = hams_vec_with(a->requests, values);
    if (m == NULL || hams_counter_add_exemplar(m, 1.0, exemplar) != HAMS_OK ||
        hams_histogram_observe_exemplar(a->latency, seconds, exemplar) != HAMS_OK)
        fprintf(stderr, "hams demo: app metrics: %s\n", hams_last_error());
}

/* Answers GET /work into `body` (cap bytes); returns the status code. */
static int app_work(app_t *a, const app_req_t *r, char *body, size_t cap, char trace_id[33]) {
    char span_id[17], flags[3] = "01", traceparent[56];
    const char *in_tp = r->trace[APP_TRACEPARENT];
    if (in_tp == NULL || !app_parse_traceparent(in_tp, trace_id, flags)) {
        if (!app_random_hex(trace_id, 16)) return 500;
        strcpy(flags, "01");
    }
    if (!app_random_hex(span_id, 8)) return 500;
    snprintf(traceparent, sizeof(traceparent), "00-%s-%s-%s", trace_id, span_id, flags);

    if (a->delay_ms > 0) {
        struct timespec ts = {(time_t)(a->delay_ms / 1000), (long)(a->delay_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }

    size_t len = 0;
    char pid[64];
    snprintf(pid, sizeof(pid), ", \"pid\": %ld, \"trace_id\": ", (long)getpid());
    bool fits = app_json_raw(body, cap, &len, "{\"service\": ") && app_json_str(body, cap, &len, a->service) &&
                app_json_raw(body, cap, &len, pid) && app_json_str(body, cap, &len, trace_id) &&
                app_json_raw(body, cap, &len, ", \"span_id\": ") && app_json_str(body, cap, &len, span_id) &&
                app_json_raw(body, cap, &len, ", \"seen\": {");
    /* The forwarded headers: the incoming ones, traceparent with our span. */
    char fwd[APP_REQ_MAX + 128];
    size_t flen = 0;
    bool first = true;
    for (size_t i = 0; i < APP_TRACE_HEADERS; i++) {
        const char *v = r->trace[i];
        if (v != NULL) {
            fits = fits && app_json_raw(body, cap, &len, first ? "" : ", ") &&
                   app_json_str(body, cap, &len, app_trace_headers[i]) && app_json_raw(body, cap, &len, ": ") &&
                   app_json_str(body, cap, &len, v);
            first = false;
        }
        if (i == APP_TRACEPARENT) v = traceparent;
        if (v != NULL)
            fits = fits && app_json_raw(fwd, sizeof(fwd), &flen, app_trace_headers[i]) &&
                   app_json_raw(fwd, sizeof(fwd), &flen, ": ") && app_json_raw(fwd, sizeof(fwd), &flen, v) &&
                   app_json_raw(fwd, sizeof(fwd), &flen, "\r\n");
    }
    fits = fits && app_json_raw(body, cap, &len, "}, \"downstream\": ");
    if (!fits) return 500;
    if (a->downstream == NULL) return app_json_raw(body, cap, &len, "null}") ? 200 : 500;
    char err[640];
    if (!app_call_downstream(a, fwd, body + len, cap - len - 1, err, sizeof(err))) {
        len = 0;
        return app_json_raw(body, cap, &len, "{\"error\": ") && app_json_str(body, cap, &len, err) &&
                       app_json_raw(body, cap, &len, "}")
                   ? 502
                   : 500;
    }
    len += strlen(body + len);
    return app_json_raw(body, cap, &len, "}") ? 200 : 500;
}

static const char *app_reason(int code) {
    switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 502: return "Bad Gateway";
    default: return "Internal Server Error";
    }
}

static bool app_respond(int fd, int code, const char *body, bool close) {
    char head[256];
    size_t blen = strlen(body);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n", code,
                     app_reason(code), blen, close ? "Connection: close\r\n" : "");
    return app_send_all(fd, head, (size_t)n) && app_send_all(fd, body, blen);
}

/* Serves one request whose head is buf[0..head_len); false: close. */
static bool app_serve_one(app_t *a, int fd, char *buf, size_t head_len, unsigned long long *body_left) {
    double t0 = app_now_s();
    app_req_t r;
    char trace_id[33] = "";
    size_t cap = APP_DOWNSTREAM_MAX + APP_REQ_MAX * 2;
    char *body = malloc(cap);
    if (body == NULL) return false;
    int code;
    const char *path = "other";
    if (!app_parse(buf, head_len, &r)) {
        code = 400;
        r.close = true;
    } else if (r.path_len == 5 && strncmp(r.path, "/work", 5) == 0) {
        path = "/work";
        code = (r.method_len == 3 && strncmp(r.method, "GET", 3) == 0) ? app_work(a, &r, body, cap, trace_id) : 405;
    } else {
        code = 404;
    }
    if (code != 200 && code != 502) /* app_work's body only for those */
        snprintf(body, cap, "{\"error\": \"%s\"}", app_reason(code));
    if (trace_id[0] == '\0' && !app_random_hex(trace_id, 16)) strcpy(trace_id, "unknown");
    *body_left = r.content_length;
    bool close = r.close || atomic_load(&a->stopping);
    app_record(a, path, code, app_now_s() - t0, trace_id);
    bool ok = app_respond(fd, code, body, close);
    free(body);
    return ok && !close;
}

static void app_conn_done(app_t *a) {
    pthread_mutex_lock(&a->mu);
    if (--a->active == 0) pthread_cond_broadcast(&a->idle);
    pthread_mutex_unlock(&a->mu);
}

static void *app_conn_main(void *arg) {
    app_conn_t c = *(app_conn_t *)arg;
    free(arg);
    app_t *a = c.app;
    char *buf = malloc(APP_REQ_MAX + 1);
    size_t len = 0;
    unsigned long long skip = 0; /* body bytes of the last request, dropped */
    int idle_ms = 0;
    app_set_timeouts(c.fd);
    while (buf != NULL) {
        if (skip > 0 && len > 0) { /* drop what of a body is buffered */
            size_t d = skip < len ? (size_t)skip : len;
            memmove(buf, buf + d, len - d);
            len -= d;
            skip -= d;
        }
        char *end = (skip == 0 && len > 0) ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
        if (end != NULL) {
            size_t head = (size_t)(end - buf) + 4;
            bool keep = app_serve_one(a, c.fd, buf, head, &skip);
            memmove(buf, buf + head, len - head);
            len -= head;
            idle_ms = 0;
            if (!keep) break;
            continue;
        }
        if (len == APP_REQ_MAX) {
            app_respond(c.fd, 431, "{\"error\": \"Request Header Fields Too Large\"}", true);
            break;
        }
        /* Idle between requests: stop here once the app stops. */
        if (len == 0 && skip == 0 && (atomic_load(&a->stopping) || idle_ms >= APP_IDLE_MS)) break;
        struct pollfd p = {.fd = c.fd, .events = POLLIN, .revents = 0};
        int pr = poll(&p, 1, 100);
        if (pr == 0) {
            idle_ms += 100;
            continue;
        }
        if (pr < 0 && errno == EINTR) continue;
        if (pr < 0) break;
        ssize_t n = recv(c.fd, buf + len, APP_REQ_MAX - len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    free(buf);
    close(c.fd);
    app_conn_done(a);
    return NULL;
}

static void *app_accept_main(void *arg) {
    app_t *a = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (!atomic_load(&a->stopping)) {
        struct pollfd p = {.fd = a->listen_fd, .events = POLLIN, .revents = 0};
        if (poll(&p, 1, 100) <= 0) continue;
        int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) continue;
        app_conn_t *c = malloc(sizeof(*c));
        pthread_t t;
        if (c != NULL) {
            c->app = a;
            c->fd = fd;
            pthread_mutex_lock(&a->mu);
            a->active++;
            pthread_mutex_unlock(&a->mu);
            if (pthread_create(&t, &attr, app_conn_main, c) == 0) continue;
            app_conn_done(a);
            free(c);
        }
        close(fd);
    }
    pthread_attr_destroy(&attr);
    close(a->listen_fd);
    return NULL;
}

/* Binds host:port (SO_REUSEADDR: a restarted replica rebinds at once) and
 * starts accepting. False with a message on stderr. */
static bool app_start(app_t *a) {
    if (a->downstream != NULL && !app_parse_url(a, a->downstream)) {
        fprintf(stderr, "hams demo: bad --downstream URL (http://HOST:PORT/PATH): %s\n", a->downstream);
        return false;
    }
    char port[16];
    snprintf(port, sizeof(port), "%d", a->port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
    int rc = getaddrinfo(a->host[0] ? a->host : NULL, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "hams demo: app address %s: %s\n", a->host, gai_strerror(rc));
        return false;
    }
    int one = 1;
    a->listen_fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    if (a->listen_fd < 0 || setsockopt(a->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(a->listen_fd, res->ai_addr, res->ai_addrlen) != 0 || listen(a->listen_fd, 512) != 0) {
        fprintf(stderr, "hams demo: app port %s:%d: %s\n", a->host, a->port, strerror(errno));
        freeaddrinfo(res);
        return false;
    }
    freeaddrinfo(res);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(a->listen_fd, (struct sockaddr *)&ss, &sl);
    a->bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    atomic_store(&a->stopping, false);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->idle, NULL);
    a->active = 0;
    if (pthread_create(&a->acceptor, NULL, app_accept_main, a) != 0) {
        fprintf(stderr, "hams demo: cannot start the app thread\n");
        close(a->listen_fd);
        return false;
    }
    return true;
}

/* Stops accepting, waits (at most 30 s) for the connections to end. */
static void app_stop(app_t *a) {
    atomic_store(&a->stopping, true);
    pthread_join(a->acceptor, NULL);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&a->mu);
    while (a->active > 0)
        if (pthread_cond_timedwait(&a->idle, &a->mu, &deadline) != 0) break;
    if (a->active > 0) fprintf(stderr, "hams demo: %d app connections still open\n", a->active);
    pthread_mutex_unlock(&a->mu);
}

#endif
