/*
 * bench/kubelet.c: probe latency as the kubelet sees it, with idle
 * keep-alive connections held open to the same server.
 *
 *   kubelet [--keep-alive] PORT PATH REQUESTS IDLE [LATENCIES_FILE]
 *
 * 1. Opens IDLE connections to 127.0.0.1:PORT; on each it sends one
 *    keep-alive GET PATH and reads the answer, so that each is a real idle
 *    keep-alive connection (a connection that never sent a byte would be
 *    timed out as a slow request head instead).
 * 2. Sends REQUESTS probes one after another, each on a new connection with
 *    "Connection: close" as the kubelet does: connect, send, read the whole
 *    response, close. The latency of each (socket() to the last byte of the
 *    response) goes to LATENCIES_FILE, one number of microseconds a line.
 *    With --keep-alive, the REQUESTS go one after another on one keep-alive
 *    connection instead (for counting a server's system calls per request).
 * 3. Checks how many idle connections are still open, and prints one line:
 *    requests=N ok=N errors=N idle_open=N/N p50_us=.. p90_us=.. p99_us=..
 *    p999_us=.. max_us=.. mean_us=..
 *
 * Every wait is bounded: 2 s for a connect or a response, 120 s in all.
 */
#define _GNU_SOURCE 1

#define HTTP_TIMEOUT_MS 2000
#include "http_client.h"

#include <stdbool.h>
#include <sys/resource.h>

#define TOTAL_LIMIT_S 120

/* Reads one probe answer; the status code, or -1. */
static int read_response(int fd) {
    char buf[8192];
    return http_read_small(fd, buf, sizeof(buf), HTTP_TIMEOUT_MS);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return (double)v[i] / 1000.0;
}

int main(int argc, char **argv) {
    bool keep_alive = argc > 1 && strcmp(argv[1], "--keep-alive") == 0;
    if (keep_alive) {
        argv++;
        argc--;
    }
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s [--keep-alive] PORT PATH REQUESTS IDLE [LATENCIES_FILE]\n",
                argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    const char *path = argv[2];
    long requests = atol(argv[3]);
    long idle = atol(argv[4]);
    const char *out = argc > 5 ? argv[5] : NULL;
    if (port <= 0 || requests <= 0 || requests > 1000000 || idle < 0 ||
        idle > 100000) {
        fprintf(stderr, "kubelet: bad arguments\n");
        return 2;
    }

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    uint64_t deadline = http_now_ns() + (uint64_t)TOTAL_LIMIT_S * 1000000000u;

    char keep[512], closing[512];
    snprintf(keep, sizeof(keep),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: bench-idle\r\n"
             "Accept: */*\r\n\r\n",
             path, port);
    snprintf(closing, sizeof(closing),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: kube-probe/1.30\r\n"
             "Accept: */*\r\nConnection: close\r\n\r\n",
             path, port);

    int *idle_fds = calloc((size_t)idle + 1, sizeof(int));
    uint64_t *lat = calloc((size_t)requests, sizeof(uint64_t));
    if (idle_fds == NULL || lat == NULL) return 1;
    long opened = 0;
    for (long i = 0; i < idle && http_now_ns() < deadline; i++) {
        int fd = http_connect(port);
        if (fd < 0) {
            fprintf(stderr, "kubelet: idle connection %ld: connect: %s\n", i,
                    strerror(errno));
            break;
        }
        if (http_send_all(fd, keep, strlen(keep)) != 0 || read_response(fd) != 200) {
            fprintf(stderr, "kubelet: idle connection %ld: no 200\n", i);
            close(fd);
            break;
        }
        idle_fds[opened++] = fd;
    }

    long ok = 0, errors = 0;
    size_t n = 0;
    int kfd = keep_alive ? http_connect(port) : -1;
    for (long i = 0; i < requests && http_now_ns() < deadline; i++) {
        uint64_t t0 = http_now_ns();
        int status = -1;
        if (keep_alive) {
            if (kfd >= 0 && http_send_all(kfd, keep, strlen(keep)) == 0)
                status = read_response(kfd);
        } else {
            int fd = http_connect(port);
            if (fd >= 0) {
                if (http_send_all(fd, closing, strlen(closing)) == 0)
                    status = read_response(fd);
                close(fd);
            }
        }
        uint64_t t1 = http_now_ns();
        if (status == 200) {
            ok++;
            lat[n++] = t1 - t0;
        } else {
            errors++;
        }
    }

    if (kfd >= 0) close(kfd);

    /* An idle connection still open has nothing to read (EOF would be
     * readable). */
    long still = 0;
    for (long i = 0; i < opened; i++) {
        struct pollfd p = {.fd = idle_fds[i], .events = POLLIN, .revents = 0};
        if (poll(&p, 1, 0) == 0) still++;
        close(idle_fds[i]);
    }

    if (out != NULL) {
        FILE *f = fopen(out, "w");
        if (f != NULL) {
            for (size_t i = 0; i < n; i++)
                fprintf(f, "%.1f\n", (double)lat[i] / 1000.0);
            fclose(f);
        }
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += (double)lat[i] / 1000.0;
    qsort(lat, n, sizeof(uint64_t), cmp_u64);
    printf("requests=%ld ok=%ld errors=%ld idle_open=%ld/%ld p50_us=%.1f "
           "p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f mean_us=%.1f\n",
           requests, ok, errors, still, idle, pct(lat, n, 50), pct(lat, n, 90),
           pct(lat, n, 99), pct(lat, n, 99.9), n ? (double)lat[n - 1] / 1000.0 : 0,
           n ? sum / (double)n : 0);
    free(idle_fds);
    free(lat);
    return errors == 0 && still == opened && opened == idle ? 0 : 1;
}
