/*
 * hams-probe: a tiny HTTP client for Kubernetes exec probes and Docker
 * HEALTHCHECK in images without curl.
 *
 *   hams-probe [--timeout MS] http://127.0.0.1:8079/hams/ready
 *
 * Exits 0 when the answer is 2xx or 3xx, 1 otherwise (printing the status
 * and body to stderr), 2 on bad usage. IPv4, IPv6 ([::1]) and host names
 * (resolved with getaddrinfo); plain HTTP only.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define MAX_RESPONSE 65536

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void) {
    fprintf(stderr, "usage: hams-probe [--timeout MS] http://HOST:PORT/PATH\n");
    return 2;
}

/* Splits http://host[:port]/path; host may be [v6]. */
static int parse_url(const char *url, char *host, size_t hlen, char *port, size_t plen, const char **path) {
    if (strncmp(url, "http://", 7) != 0) return -1;
    const char *p = url + 7;
    const char *end;
    if (*p == '[') {
        end = strchr(p, ']');
        if (!end || (size_t)(end - p - 1) >= hlen) return -1;
        memcpy(host, p + 1, (size_t)(end - p - 1));
        host[end - p - 1] = '\0';
        p = end + 1;
    } else {
        end = p + strcspn(p, ":/");
        if (end == p || (size_t)(end - p) >= hlen) return -1;
        memcpy(host, p, (size_t)(end - p));
        host[end - p] = '\0';
        p = end;
    }
    if (*p == ':') {
        p++;
        size_t n = strspn(p, "0123456789");
        if (n == 0 || n >= plen) return -1;
        memcpy(port, p, n);
        port[n] = '\0';
        p += n;
    } else {
        snprintf(port, plen, "80");
    }
    if (*p != '/' && *p != '\0') return -1;
    *path = *p ? p : "/";
    return 0;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static int wait_fd(int fd, short events, long long deadline) {
    long long left = deadline - now_ms();
    if (left <= 0) return -1;
    struct pollfd pfd = {.fd = fd, .events = events};
    int r = poll(&pfd, 1, (int)left);
    return r == 1 ? 0 : -1;
}

int main(int argc, char **argv) {
    long timeout_ms = 1000;
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            char *end;
            timeout_ms = strtol(argv[++i], &end, 10);
            if (*end != '\0' || timeout_ms <= 0) return usage();
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else if (url == NULL && argv[i][0] != '-') {
            url = argv[i];
        } else {
            return usage();
        }
    }
    char host[256], port[8];
    const char *path;
    if (url == NULL || parse_url(url, host, sizeof host, port, sizeof port, &path) != 0) return usage();
    long long deadline = now_ms() + timeout_ms;

    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "hams-probe: %s: %s\n", host, gai_strerror(gai));
        return 1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            int err = 0;
            socklen_t len = sizeof err;
            if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 0 ||
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "hams-probe: cannot connect to %s:%s within %ld ms\n", host, port, timeout_ms);
        return 1;
    }

    char request[2048];
    int n = snprintf(request, sizeof request,
                     "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: hams-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                     path, host, port);
    if (n < 0 || (size_t)n >= sizeof request) return usage();
    for (int sent = 0; sent < n;) {
        if (wait_fd(fd, POLLOUT, deadline) != 0) goto timeout;
        ssize_t w = send(fd, request + sent, (size_t)(n - sent), MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR) goto io_error;
        if (w > 0) sent += (int)w;
    }

    static char response[MAX_RESPONSE + 1];
    size_t got = 0;
    for (;;) {
        if (got == MAX_RESPONSE) break;
        if (wait_fd(fd, POLLIN, deadline) != 0) goto timeout;
        ssize_t r = recv(fd, response + got, MAX_RESPONSE - got, 0);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            goto io_error;
        }
        got += (size_t)r;
    }
    close(fd);
    response[got] = '\0';

    int status = 0;
    if (sscanf(response, "HTTP/1.%*d %d", &status) != 1) {
        fprintf(stderr, "hams-probe: not an HTTP response from %s\n", url);
        return 1;
    }
    if (status >= 200 && status < 400) return 0;
    const char *body = strstr(response, "\r\n\r\n");
    fprintf(stderr, "hams-probe: %s answered %d\n%s", url, status, body ? body + 4 : "");
    return 1;

timeout:
    fprintf(stderr, "hams-probe: no answer from %s within %ld ms\n", url, timeout_ms);
    close(fd);
    return 1;
io_error:
    fprintf(stderr, "hams-probe: %s: %s\n", url, strerror(errno));
    close(fd);
    return 1;
}
