/*
 * hams demo: a tiny service exposing Kubernetes-style health probes.
 *
 * Build (from the repository root, after `cargo build --release`):
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/demo.c \
 *      -Ltarget/release -lhams -o target/demo
 * Run:
 *   ln -sf libhams.so target/release/libhams.so.0   (SONAME, once)
 *   LD_LIBRARY_PATH=target/release target/demo [--address HOST:PORT]
 *       [--warmup-ms N] [--run-ms N]
 *
 * Probes:
 *   loop    ALIVE, kick probe (margin 1000 ms), kicked by the main loop
 *           every 100 ms
 *   warmup  READY|STARTUP, manual probe, healthy after --warmup-ms
 *   disk    READY, callback probe every 1000 ms: can we stat "."?
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "hams.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static volatile sig_atomic_t g_stop = 0;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    /* An interrupting signal just ends the sleep early; the loop re-checks. */
    nanosleep(&ts, NULL);
}

/* The "disk" check: the working directory can be stat'ed. */
static bool disk_check(void *user, char *reason, size_t reason_len) {
    const char *path = (const char *)user;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(reason, reason_len, "cannot stat %s: %s", path,
                 strerror(errno));
        return false;
    }
    return true;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--address HOST:PORT] [--warmup-ms N] [--run-ms N]\n"
            "  --address    listen address (default 0.0.0.0:8079,\n"
            "               or $HAMS_DEMO_ADDRESS)\n"
            "  --warmup-ms  ms until the 'warmup' probe turns healthy "
            "(default 2000)\n"
            "  --run-ms     stop after N ms (default 0 = until SIGINT/SIGTERM)\n",
            argv0);
}

static bool parse_ms(const char *s, uint64_t *out) {
    char *end = NULL;
    if (s == NULL || *s == '\0' || *s == '-') return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = (uint64_t)v;
    return true;
}

static void die_hams(const char *what) {
    fprintf(stderr, "hams demo: %s failed: %s\n", what, hams_last_error());
    exit(1);
}

int main(int argc, char **argv) {
    const char *address = getenv("HAMS_DEMO_ADDRESS");
    if (address == NULL || *address == '\0') address = "0.0.0.0:8079";
    uint64_t warmup_ms = 2000;
    uint64_t run_ms = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(argv[0]);
            return 0;
        } else if (strcmp(arg, "--address") == 0 && val) {
            address = val;
            i++;
        } else if (strcmp(arg, "--warmup-ms") == 0 && val) {
            if (!parse_ms(val, &warmup_ms)) {
                fprintf(stderr, "hams demo: bad --warmup-ms: %s\n", val);
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--run-ms") == 0 && val) {
            if (!parse_ms(val, &run_ms)) {
                fprintf(stderr, "hams demo: bad --run-ms: %s\n", val);
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "hams demo: unknown or incomplete option: %s\n",
                    arg);
            usage(argv[0]);
            return 2;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    hams_t *h = hams_new("hams-c-demo", hams_version());
    if (h == NULL) die_hams("hams_new");
    if (hams_set_address(h, address) != HAMS_OK) die_hams("hams_set_address");

    hams_probe_t *loop = hams_probe_new_kick(h, "loop", HAMS_ALIVE, 1000);
    if (loop == NULL) die_hams("hams_probe_new_kick(loop)");
    hams_probe_t *warmup =
        hams_probe_new_manual(h, "warmup", HAMS_READY | HAMS_STARTUP, false);
    if (warmup == NULL) die_hams("hams_probe_new_manual(warmup)");
    if (hams_probe_set(warmup, false, "warming up") != HAMS_OK)
        die_hams("hams_probe_set(warmup)");
    static const char disk_path[] = ".";
    hams_probe_t *disk = hams_probe_new_callback(
        h, "disk", HAMS_READY, disk_check, (void *)disk_path, 1000, 500);
    if (disk == NULL) die_hams("hams_probe_new_callback(disk)");

    if (hams_start(h) != HAMS_OK) die_hams("hams_start");
    int port = hams_port(h);
    if (port <= 0) die_hams("hams_port");

    printf("hams demo: serving on http://127.0.0.1:%d/hams/ready\n", port);
    fflush(stdout);

    uint64_t start = now_ms();
    bool warmed = false;
    while (!g_stop) {
        uint64_t elapsed = now_ms() - start;
        if (hams_probe_kick(loop) != HAMS_OK)
            fprintf(stderr, "hams demo: kick failed: %s\n", hams_last_error());
        if (!warmed && elapsed >= warmup_ms) {
            if (hams_probe_set(warmup, true, NULL) != HAMS_OK)
                fprintf(stderr, "hams demo: warmup set failed: %s\n",
                        hams_last_error());
            warmed = true;
            fprintf(stderr, "hams demo: warmed up after %llu ms\n",
                    (unsigned long long)elapsed);
        }
        if (run_ms > 0 && elapsed >= run_ms) break;
        sleep_ms(100);
    }

    fprintf(stderr, "hams demo: shutting down\n");
    hams_free(h);
    return 0;
}
