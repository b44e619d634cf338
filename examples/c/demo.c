/*
 * hams demo: a tiny service exposing Kubernetes-style health probes, with a
 * graceful shutdown.
 *
 * Build (from the repository root, after `cargo build --release`):
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/demo.c \
 *      -Ltarget/release -lhams -o target/demo
 * Run:
 *   ln -sf libhams.so target/release/libhams.so.0   (SONAME, once)
 *   LD_LIBRARY_PATH=target/release target/demo [--address HOST:PORT]
 *       [--warmup-ms N] [--run-ms N] [--drain-ms N] [--shutdown-endpoint]
 *       [--shutdown-token T] [--config FILE]
 *       [--app-port PORT [--delay-ms N] [--downstream URL]]
 *
 * The server is built with hams_new_from_yaml() from a configuration the
 * demo writes from its options, or with hams_new_from_file() from --config
 * FILE (which must declare the `loop` and `warmup` probes; see
 * examples/config.yaml). HAMS_* environment variables override either (see
 * hams_config(5)).
 *
 * It follows the demo contract of the conformance kit (tests/tck/README.md).
 *
 * Probes:
 *   loop    ALIVE, kick probe (margin 1000 ms), kicked by the main loop
 *           every 100 ms (while kicking is on)
 *   warmup  READY|STARTUP, manual probe, healthy after --warmup-ms
 *   disk    READY, callback probe every 200 ms (timeout 1000 ms): can we
 *           stat "."? (fails with "disk full (tck)" after `fail-disk`)
 * Metrics:
 *   demo_loops_total     counter, +1 per main-loop iteration (/hams/metrics)
 *   tck_requests_total   counter vec {path,code}: /a 200 twice, /b 500 once
 *                        (with an exemplar)
 *   tck_latency_seconds  histogram, default buckets, one observation (0.3,
 *                        with an exemplar)
 *   app_requests_total, app_request_seconds: with --app-port (app_port.h)
 * Runtime info: "C11", "libhams", hams' version (in /hams/version).
 *
 * Commands on stdin, one per line: stop-kicking, start-kicking, fail-disk,
 * heal-disk, invalid-call (prints "hams demo: error: <hams' message>").
 * End of stdin is not a command.
 *
 * Application port (--app-port PORT, on the host of --address; 0 picks
 * one): GET /work answers JSON after --delay-ms, calling --downstream URL
 * first with the tracing headers forwarded (app_port.h, app_trace.h).
 *
 * Shutdown: SIGTERM or SIGINT (handled by hams), POST /hams/shutdown (with
 * --shutdown-endpoint), or --run-ms start the sequence: readiness fails at
 * once (the application port keeps serving), after --drain-ms the shutdown
 * callback runs, then hams_wait() returns 1, the application port stops
 * (requests in flight finish) and the demo exits 0. A second signal skips
 * the rest of the drain.
 */
#define _GNU_SOURCE 1 /* accept4, memmem, strcasestr (app_port.h) */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "hams.h"
#include "app_port.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Set by the `fail-disk` command (main thread), read by disk_check (a hams
 * thread). */
static atomic_bool g_disk_fail;

/* The "disk" check: the working directory can be stat'ed. */
static bool disk_check(void *user, char *reason, size_t reason_len) {
    const char *path = (const char *)user;
    struct stat st;
    if (atomic_load(&g_disk_fail)) {
        snprintf(reason, reason_len, "disk full (tck)");
        return false;
    }
    if (stat(path, &st) != 0) {
        snprintf(reason, reason_len, "cannot stat %s: %s", path,
                 strerror(errno));
        return false;
    }
    return true;
}

/* Runs once on a hams thread, after the drain: release resources here. */
static void on_shutdown(void *user) {
    (void)user;
    printf("hams demo: shutdown callback ran\n");
    fflush(stdout);
}

/* The status listener: one line per change of a check or probe (and first
 * one per current state), on a hams thread. */
static void on_change(void *user, const char *name, bool healthy,
                      const char *reason) {
    (void)user;
    (void)reason;
    printf("hams demo: change %s %s\n", name, healthy ? "healthy" : "unhealthy");
    fflush(stdout);
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--address HOST:PORT] [--warmup-ms N] [--run-ms N]\n"
            "          [--drain-ms N] [--shutdown-endpoint] "
            "[--shutdown-token T]\n"
            "          [--config FILE] [--app-port PORT [--delay-ms N] "
            "[--downstream URL]]\n"
            "  --address            listen address (default 0.0.0.0:8079,\n"
            "                       or $HAMS_DEMO_ADDRESS)\n"
            "  --warmup-ms          ms until the 'warmup' probe turns healthy "
            "(default 2000)\n"
            "  --run-ms             start the shutdown after N ms\n"
            "                       (default 0 = on SIGINT/SIGTERM only)\n"
            "  --drain-ms           ms readiness fails before the shutdown\n"
            "                       callbacks run (default 5000)\n"
            "  --shutdown-endpoint  serve POST /hams/shutdown\n"
            "  --shutdown-token     bearer token POST /hams/shutdown requires\n"
            "  --config             read the configuration from FILE instead\n"
            "                       (it must declare the probes 'loop' and\n"
            "                       'warmup'; not with --address, --drain-ms,\n"
            "                       --shutdown-endpoint, --shutdown-token)\n"
            "  --app-port           serve GET /work on this port, host of\n"
            "                       --address (0: any free port)\n"
            "  --delay-ms           simulated work per request (default 0)\n"
            "  --downstream         URL GET /work calls first, forwarding the\n"
            "                       tracing headers\n"
            "commands on stdin: stop-kicking, start-kicking, fail-disk, "
            "heal-disk,\n"
            "  invalid-call\n",
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

/* A growing text buffer for the generated YAML. */
typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static void buf_add(buf_t *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            fprintf(stderr, "hams demo: out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Appends `s` as a YAML double-quoted scalar, so that no option value can
 * change the structure of the document. */
static void buf_quoted(buf_t *b, const char *s) {
    buf_add(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        char esc[8];
        if (*c == '"' || *c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*c;
            buf_add(b, esc, 2);
        } else if (*c < 0x20 || *c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", *c);
            buf_str(b, esc);
        } else {
            buf_add(b, (const char *)c, 1);
        }
    }
    buf_add(b, "\"", 1);
}

/* The configuration the demo's options describe (see hams_config(5)). */
static char *demo_yaml(const char *address, uint64_t drain_ms, bool endpoint,
                       const char *token) {
    buf_t b = {NULL, 0, 0};
    char num[32];
    buf_str(&b, "service:\n  name: hams-demo\n  version: ");
    buf_quoted(&b, hams_version());
    buf_str(&b, "\nserver:\n  address: ");
    buf_quoted(&b, address);
    buf_str(&b, "\nshutdown:\n  drain_ms: ");
    snprintf(num, sizeof(num), "%llu", (unsigned long long)drain_ms);
    buf_str(&b, num);
    buf_str(&b, "\n  handle_signals: true\n  endpoint: ");
    buf_str(&b, endpoint ? "true" : "false");
    if (token != NULL) {
        buf_str(&b, "\n  token: ");
        buf_quoted(&b, token);
    }
    buf_str(&b,
            "\nprobes:\n"
            "  - name: loop\n"
            "    type: kick\n"
            "    checks: [alive]\n"
            "    margin_ms: 1000\n"
            "  - name: warmup\n"
            "    type: manual\n"
            "    checks: [ready, startup]\n"
            "    healthy: false\n");
    return b.p;
}

/* Commands from stdin, read without blocking the main loop. */
typedef struct {
    char line[256];
    size_t len;
    bool eof;
    bool overlong; /* the current line did not fit: ignore it */
} input_t;

typedef struct {
    hams_t *h;
    bool kicking;
} demo_t;

static void run_command(demo_t *d, const char *cmd) {
    if (strcmp(cmd, "stop-kicking") == 0) {
        d->kicking = false;
    } else if (strcmp(cmd, "start-kicking") == 0) {
        d->kicking = true;
    } else if (strcmp(cmd, "fail-disk") == 0) {
        atomic_store(&g_disk_fail, true);
    } else if (strcmp(cmd, "heal-disk") == 0) {
        atomic_store(&g_disk_fail, false);
    } else if (strcmp(cmd, "invalid-call") == 0) {
        /* An invalid name: shows how hams reports errors. */
        hams_probe_t *p = hams_probe_new_manual(d->h, "bad name", HAMS_READY, true);
        if (p == NULL) {
            printf("hams demo: error: %s\n", hams_last_error());
        } else {
            printf("hams demo: invalid-call unexpectedly succeeded\n");
            hams_probe_free(p);
        }
        fflush(stdout);
    } else if (*cmd != '\0') {
        fprintf(stderr, "hams demo: unknown command: %s\n", cmd);
    }
}

/* Runs the complete lines waiting on stdin, if any. */
static void read_commands(demo_t *d, input_t *in) {
    while (!in->eof) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
        if (poll(&pfd, 1, 0) <= 0) return;
        if ((pfd.revents & (POLLIN | POLLHUP)) == 0) {
            in->eof = true; /* POLLNVAL (stdin closed) or POLLERR */
            return;
        }
        char buf[256];
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            in->eof = true;
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            if (c == '\n') {
                in->line[in->len] = '\0';
                if (in->len > 0 && in->line[in->len - 1] == '\r')
                    in->line[in->len - 1] = '\0';
                if (!in->overlong) run_command(d, in->line);
                in->len = 0;
                in->overlong = false;
            } else if (in->len + 1 < sizeof(in->line)) {
                in->line[in->len++] = c;
            } else {
                in->overlong = true;
            }
        }
    }
}

/* The conformance kit's vector counter and default-bucket histogram, with
 * the known values tests/tck/README.md asks for. */
static void tck_metrics(hams_t *h) {
    static const char *const names[] = {"path", "code", NULL};
    static const char *const a[] = {"/a", "200", NULL};
    static const char *const b[] = {"/b", "500", NULL};
    hams_vec_t *requests = hams_counter_vec_new(
        h, "tck_requests_total", "Requests by path and code (tck).", names);
    if (requests == NULL) die_hams("hams_counter_vec_new(tck_requests_total)");
    hams_metric_t *ra = hams_vec_with(requests, a);
    hams_metric_t *rb = hams_vec_with(requests, b);
    /* Exemplars: the latest one of the series, and of the bucket. */
    static const char *const ex_b[] = {"trace_id", "b7ad6b7169203331", NULL};
    static const char *const ex_latency[] = {
        "trace_id", "0af7651916cd43dd8448eb211c80319c", NULL};
    if (ra == NULL || rb == NULL || hams_counter_add(ra, 1.0) != HAMS_OK ||
        hams_counter_add(ra, 1.0) != HAMS_OK ||
        hams_counter_add_exemplar(rb, 1.0, ex_b) != HAMS_OK)
        die_hams("tck_requests_total");
    hams_metric_t *latency = hams_histogram_new(
        h, "tck_latency_seconds", "Latency (tck), default buckets.", NULL, 0);
    if (latency == NULL ||
        hams_histogram_observe_exemplar(latency, 0.3, ex_latency) != HAMS_OK)
        die_hams("tck_latency_seconds");
}

/* The application port's metrics and host (that of hams' address, without
 * [] for IPv6). */
static void app_setup(hams_t *h, app_t *app, const char *address) {
    static const char *const names[] = {"path", "code", NULL};
    app->requests = hams_counter_vec_new(
        h, "app_requests_total", "Requests to the application port.", names);
    if (app->requests == NULL) die_hams("hams_counter_vec_new(app_requests_total)");
    app->latency = hams_histogram_new(h, "app_request_seconds",
                                      "Time to answer a request to the application port.", NULL, 0);
    if (app->latency == NULL) die_hams("hams_histogram_new(app_request_seconds)");
    const char *colon = strrchr(address, ':');
    size_t n = colon ? (size_t)(colon - address) : strlen(address);
    if (n >= 2 && address[0] == '[' && address[n - 1] == ']') {
        address++;
        n -= 2;
    }
    if (n >= sizeof(app->host)) n = sizeof(app->host) - 1;
    memcpy(app->host, address, n);
    app->host[n] = '\0';
}

int main(int argc, char **argv) {
    const char *address = getenv("HAMS_DEMO_ADDRESS");
    if (address == NULL || *address == '\0') address = "0.0.0.0:8079";
    const char *config = NULL;
    const char *token = NULL;
    bool endpoint = false;
    bool server_opts = false; /* an option that --config excludes was given */
    uint64_t warmup_ms = 2000;
    uint64_t run_ms = 0;
    uint64_t drain_ms = 5000;
    uint64_t app_port = 0;
    bool app_on = false;
    static app_t app; /* zeroed: the app port is off until --app-port */
    app.service = "hams-demo";

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(argv[0]);
            return 0;
        } else if (strcmp(arg, "--address") == 0 && val) {
            address = val;
            server_opts = true;
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
        } else if (strcmp(arg, "--drain-ms") == 0 && val) {
            if (!parse_ms(val, &drain_ms)) {
                fprintf(stderr, "hams demo: bad --drain-ms: %s\n", val);
                return 2;
            }
            server_opts = true;
            i++;
        } else if (strcmp(arg, "--shutdown-endpoint") == 0) {
            endpoint = true;
            server_opts = true;
        } else if (strcmp(arg, "--shutdown-token") == 0 && val) {
            token = val;
            server_opts = true;
            i++;
        } else if (strcmp(arg, "--app-port") == 0 && val) {
            if (!parse_ms(val, &app_port) || app_port > 65535) {
                fprintf(stderr, "hams demo: bad --app-port: %s\n", val);
                return 2;
            }
            app.port = (int)app_port;
            app_on = true;
            i++;
        } else if (strcmp(arg, "--delay-ms") == 0 && val) {
            if (!parse_ms(val, &app.delay_ms)) {
                fprintf(stderr, "hams demo: bad --delay-ms: %s\n", val);
                return 2;
            }
            i++;
        } else if (strcmp(arg, "--downstream") == 0 && val) {
            app.downstream = val;
            i++;
        } else if (strcmp(arg, "--config") == 0 && val) {
            config = val;
            i++;
        } else {
            fprintf(stderr, "hams demo: unknown or incomplete option: %s\n",
                    arg);
            usage(argv[0]);
            return 2;
        }
    }
    if (!app_on && (app.delay_ms > 0 || app.downstream != NULL)) {
        fprintf(stderr, "hams demo: --delay-ms and --downstream need --app-port\n");
        return 2;
    }
    if (config != NULL && server_opts) {
        fprintf(stderr,
                "hams demo: --config cannot be combined with --address, "
                "--drain-ms, --shutdown-endpoint or --shutdown-token\n"
                "  (set them in the file, or with HAMS_* variables)\n");
        return 2;
    }

    hams_t *h;
    if (config != NULL) {
        h = hams_new_from_file(config);
        if (h == NULL) die_hams("hams_new_from_file");
        /* The demo always lets hams handle SIGTERM/SIGINT, whatever the
         * file says (enabling it twice is harmless). */
        if (hams_handle_signals(h, true) != HAMS_OK)
            die_hams("hams_handle_signals");
    } else {
        char *yaml = demo_yaml(address, drain_ms, endpoint, token);
        h = hams_new_from_yaml(yaml);
        free(yaml);
        if (h == NULL) die_hams("hams_new_from_yaml");
    }

    hams_probe_t *loop = hams_probe_get(h, "loop");
    if (loop == NULL) die_hams("hams_probe_get(loop)");
    hams_probe_t *warmup = hams_probe_get(h, "warmup");
    if (warmup == NULL) die_hams("hams_probe_get(warmup)");
    /* These fail if the configuration gave the probes the wrong types. */
    if (hams_probe_kick(loop) != HAMS_OK) die_hams("hams_probe_kick(loop)");
    if (hams_probe_set(warmup, false, "warming up") != HAMS_OK)
        die_hams("hams_probe_set(warmup)");
    static const char disk_path[] = ".";
    hams_probe_t *disk = hams_probe_new_callback(
        h, "disk", HAMS_READY, disk_check, (void *)disk_path, 200, 1000);
    if (disk == NULL) die_hams("hams_probe_new_callback(disk)");
    hams_metric_t *loops = hams_counter_new(
        h, "demo_loops_total", "Iterations of the demo's main loop.");
    if (loops == NULL) die_hams("hams_counter_new(demo_loops_total)");
    if (hams_on_shutdown(h, on_shutdown, NULL) != HAMS_OK)
        die_hams("hams_on_shutdown");
    if (hams_on_change(h, on_change, NULL) != HAMS_OK)
        die_hams("hams_on_change");
    tck_metrics(h);
    if (app_on) app_setup(h, &app, address);
    /* A C program is native: naming the runtime is optional; the demo does. */
    if (hams_set_runtime(h, "C11", "libhams", hams_version()) != HAMS_OK)
        die_hams("hams_set_runtime");

    if (hams_start(h) != HAMS_OK) die_hams("hams_start");
    int port = hams_port(h);
    if (port <= 0) die_hams("hams_port");

    printf("hams demo: serving on http://127.0.0.1:%d/hams/ready\n", port);
    fflush(stdout);
    if (app_on) {
        if (!app_start(&app)) {
            hams_free(h);
            return 1;
        }
        bool v6 = strchr(app.host, ':') != NULL;
        printf("app serving on http://%s%s%s:%d/\n", v6 ? "[" : "", app.host, v6 ? "]" : "",
               app.bound_port);
        fflush(stdout);
    }

    demo_t demo = {h, true};
    input_t input;
    memset(&input, 0, sizeof(input));
    uint64_t start = now_ms();
    bool warmed = false;
    bool requested = false;
    int rc = 0;
    do {
        uint64_t elapsed = now_ms() - start;
        read_commands(&demo, &input);
        if (hams_counter_add(loops, 1.0) != HAMS_OK)
            fprintf(stderr, "hams demo: counter failed: %s\n",
                    hams_last_error());
        /* Keep kicking during the drain: the service is alive until the
         * sequence ends, only not ready. */
        if (demo.kicking && hams_probe_kick(loop) != HAMS_OK)
            fprintf(stderr, "hams demo: kick failed: %s\n", hams_last_error());
        if (!warmed && elapsed >= warmup_ms) {
            if (hams_probe_set(warmup, true, NULL) != HAMS_OK)
                fprintf(stderr, "hams demo: warmup set failed: %s\n",
                        hams_last_error());
            warmed = true;
            fprintf(stderr, "hams demo: warmed up after %llu ms\n",
                    (unsigned long long)elapsed);
        }
        if (run_ms > 0 && !requested && elapsed >= run_ms) {
            fprintf(stderr, "hams demo: --run-ms reached, shutting down\n");
            if (hams_shutdown(h) != HAMS_OK) die_hams("hams_shutdown");
            requested = true;
        }
    } while ((rc = hams_wait(h, 100)) == 0);
    if (rc < 0) die_hams("hams_wait");
    if (app_on) app_stop(&app);

    printf("hams demo: stopped\n");
    fflush(stdout);
    hams_free(h);
    return 0;
}
