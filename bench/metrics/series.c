/*
 * bench/metrics/series.c: hams from C with N labeled series: time to create
 * them, resident bytes they add, and scrapes of them over HTTP.
 *
 *   series N vec|labeled [--scrapes R] [--body-dir DIR] [--hold SECONDS]
 *
 * Creates N series of the counter family bench_requests_total{path, code}
 * (one inc each), through the vec API (hams_counter_vec_new + hams_vec_with,
 * compiled in with -DHAVE_VEC) or one hams_counter_new_labeled per series
 * (the API before vecs). Then scrapes /hams/metrics R times per variant of
 * accept.h over one keep-alive connection. Prints one JSON line:
 *   {"impl":"hams-c","api":..,"n":N,"create_s":..,"rss_bytes":..,
 *    "scrape":{"text":{"s":[..],"body_bytes":..,"wire_bytes":..,
 *    "content_type":..,"content_encoding":..},..},"series_seen":..}
 * With --body-dir, each variant's last body goes to DIR/hams-c-VARIANT.body.
 * With --hold, then prints "serving on http://127.0.0.1:PORT/" and serves
 * until SIGTERM/SIGINT or SECONDS pass (for the probe-latency run).
 */
#define _GNU_SOURCE 1

#include "hams.h"

#include <signal.h>

#include "accept.h"
#include "../http_client.h"

#define FAMILY "bench_requests_total"

static const char *const CODES[] = {"200", "201", "204", "404", "500"};

/* the i-th series' label values: unique (path, code) pairs */
static void label_values(long i, char *path, size_t path_len, const char **code) {
    snprintf(path, path_len, "/api/v1/items/%ld", i / 5);
    *code = CODES[i % 5];
}

static long rss_bytes(void) {
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static int create_series(hams_t *h, long n, int use_vec) {
#ifdef HAVE_VEC
    if (use_vec) {
        static const char *const names[] = {"path", "code", NULL};
        hams_vec_t *v = hams_counter_vec_new(h, FAMILY, "Requests served.", names);
        if (v == NULL) return -1;
        for (long i = 0; i < n; i++) {
            char path[64];
            const char *code;
            label_values(i, path, sizeof(path), &code);
            const char *values[] = {path, code, NULL};
            hams_metric_t *m = hams_vec_with(v, values);
            if (m == NULL || hams_counter_add(m, 1) != HAMS_OK) return -1;
        }
        return 0;
    }
#else
    if (use_vec) return -2;
#endif
    for (long i = 0; i < n; i++) {
        char path[64];
        const char *code;
        label_values(i, path, sizeof(path), &code);
        const char *labels[] = {"path", path, "code", code, NULL};
        hams_metric_t *m = hams_counter_new_labeled(h, FAMILY, "Requests served.", labels);
        if (m == NULL || hams_counter_add(m, 1) != HAMS_OK) return -1;
    }
    return 0;
}

/* series lines of the family in a text body (a check that all N are there) */
static long count_series(const char *body, size_t len) {
    long n = 0;
    const char *needle = "\n" FAMILY "{";
    size_t nl = strlen(needle);
    const char *p = body, *end = body + len;
    while ((p = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
        n++;
        p += nl;
    }
    return n;
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putchar('\\');
        if ((unsigned char)*s >= 0x20) putchar(*s);
    }
    putchar('"');
}

static int write_body(const char *dir, const char *variant, const struct http_response *r) {
    char file[4096];
    snprintf(file, sizeof(file), "%s/hams-c-%s.body", dir, variant);
    FILE *f = fopen(file, "wb");
    if (f == NULL) return -1;
    size_t w = fwrite(r->body, 1, r->body_len, f);
    return fclose(f) == 0 && w == r->body_len ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s N vec|labeled [--scrapes R] [--body-dir DIR] [--hold SECONDS]\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    int use_vec = strcmp(argv[2], "vec") == 0;
    long scrapes = 3, hold = 0;
    const char *body_dir = NULL;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--scrapes") == 0) scrapes = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--body-dir") == 0) body_dir = argv[i + 1];
        else if (strcmp(argv[i], "--hold") == 0) hold = atol(argv[i + 1]);
        else {
            fprintf(stderr, "series: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (n < 1 || scrapes < 1 || scrapes > 1000 || hold < 0) {
        fprintf(stderr, "series: bad arguments\n");
        return 2;
    }

    /* with --hold, the hams threads inherit the blocked mask so that
     * sigtimedwait gets the signal; without, SIGTERM (timeout) ends us */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (hold > 0) pthread_sigmask(SIG_BLOCK, &set, NULL);

    hams_t *h = hams_new("hams-bench", "1.0.0");
    if (h == NULL || hams_set_address(h, "127.0.0.1:0") != HAMS_OK ||
        hams_probe_new_manual(h, "ok", HAMS_ALIVE | HAMS_READY | HAMS_STARTUP, true) == NULL ||
        hams_start(h) != HAMS_OK) {
        fprintf(stderr, "series: %s\n", hams_last_error());
        return 1;
    }
    int port = hams_port(h);

    long rss0 = rss_bytes();
    uint64_t t0 = http_now_ns();
    int rc = create_series(h, n, use_vec);
    uint64_t t1 = http_now_ns();
    long rss1 = rss_bytes();
    if (rc != 0) {
        fprintf(stderr, "series: creating %ld series failed: %s\n", n,
                rc == -2 ? "no vec API in this build" : hams_last_error());
        return 1;
    }

    int fd = http_connect(port);
    if (fd < 0) {
        fprintf(stderr, "series: connect: %s\n", strerror(errno));
        return 1;
    }
    printf("{\"impl\":\"hams-c\",\"api\":\"%s\",\"n\":%ld,\"create_s\":%.6f,\"rss_bytes\":%ld,\"scrape\":{",
           use_vec ? "vec" : "labeled", n, (double)(t1 - t0) / 1e9, rss1 - rss0);
    struct http_response r;
    memset(&r, 0, sizeof(r));
    long seen = -1;
    for (size_t v = 0; v < N_SCRAPE_VARIANTS; v++) {
        const struct scrape_variant *sv = &SCRAPE_VARIANTS[v];
        printf("%s\"%s\":{\"s\":[", v ? "," : "", sv->name);
        for (long k = 0; k < scrapes; k++) {
            uint64_t s0 = http_now_ns();
            if (http_get(fd, "/hams/metrics", sv->accept, sv->encoding, &r) != 0 || r.status != 200) {
                fprintf(stderr, "series: scrape %s failed (status %d)\n", sv->name, r.status);
                return 1;
            }
            printf("%s%.6f", k ? "," : "", (double)(http_now_ns() - s0) / 1e9);
        }
        printf("],\"body_bytes\":%zu,\"wire_bytes\":%zu,\"content_type\":", r.body_len, r.raw_len - r.head_len);
        json_string(r.content_type);
        printf(",\"content_encoding\":");
        json_string(r.content_encoding);
        printf("}");
        if (v == 0) seen = count_series(r.body, r.body_len);
        if (body_dir != NULL && write_body(body_dir, sv->name, &r) != 0) {
            fprintf(stderr, "series: cannot write the body into %s\n", body_dir);
            return 1;
        }
    }
    printf("},\"series_seen\":%ld}\n", seen);
    http_response_free(&r);
    close(fd);

    if (hold > 0) {
        printf("serving on http://127.0.0.1:%d/\n", port);
        fflush(stdout);
        struct timespec limit = {.tv_sec = hold, .tv_nsec = 0};
        sigtimedwait(&set, NULL, &limit);
    }
    fflush(stdout);
    /* no hams_free: freeing N series is not measured, and exit frees them */
    hams_stop(h);
    return 0;
}
