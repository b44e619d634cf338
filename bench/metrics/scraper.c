/*
 * bench/metrics/scraper.c: scrapes /hams/metrics back to back over one
 * keep-alive connection, as a Prometheus 2.x would (its Accept header and
 * gzip), until SIGTERM/SIGINT or SECONDS pass: the load under which the
 * probe latency is measured.
 *
 *   scraper PORT SECONDS
 *
 * Prints one JSON line at the end:
 *   {"scrapes":N,"errors":N,"mean_s":..,"max_s":..,"wire_bytes":..,"content_type":..}
 */
#define _GNU_SOURCE 1

#include <signal.h>

#include "accept.h"
#include "../http_client.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT SECONDS\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    long seconds = atol(argv[2]);
    if (port <= 0 || port > 65535 || seconds < 1) {
        fprintf(stderr, "scraper: bad arguments\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    uint64_t end = http_now_ns() + (uint64_t)seconds * 1000000000u;
    struct http_response r;
    memset(&r, 0, sizeof(r));
    long scrapes = 0, errors = 0;
    uint64_t total = 0, max = 0;
    size_t wire = 0;
    int fd = -1;
    while (!stop && http_now_ns() < end && errors < 100) {
        if (fd < 0 && (fd = http_connect(port)) < 0) {
            errors++;
            usleep(10000);
            continue;
        }
        uint64_t t0 = http_now_ns();
        if (http_get(fd, "/hams/metrics", ACCEPT_PROM2, "gzip", &r) != 0 || r.status != 200) {
            if (stop) break; /* a signal cut the read short */
            errors++;
            close(fd);
            fd = -1;
            continue;
        }
        uint64_t d = http_now_ns() - t0;
        total += d;
        if (d > max) max = d;
        wire = r.raw_len - r.head_len;
        scrapes++;
    }
    if (fd >= 0) close(fd);
    printf("{\"scrapes\":%ld,\"errors\":%ld,\"mean_s\":%.6f,\"max_s\":%.6f,\"wire_bytes\":%zu,\"content_type\":\"%s\"}\n",
           scrapes, errors, scrapes ? (double)total / 1e9 / (double)scrapes : 0.0, (double)max / 1e9, wire,
           r.content_type);
    http_response_free(&r);
    return 0;
}
