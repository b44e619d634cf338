/*
 * bench/footprint.c: what a started hams_t costs the process that hosts it.
 *
 *   footprint [IDLE_SECONDS [STARTS]]      (defaults 10 and 20)
 *
 * Prints one figure a line, as key=value:
 *   rss_kib_before          VmRSS before hams_new (library loaded)
 *   rss_kib_created         after hams_new and a manual probe
 *   rss_kib_started         right after hams_start
 *   rss_kib_served          after 1000 keep-alive and 200 close requests
 *   rss_kib_idle1000        while 1000 idle keep-alive connections are open
 *   rss_kib_after_free      after hams_free
 *   threads_before          tasks of this process before hams_start
 *   threads_manual          after hams_start, manual probes only
 *   threads_callback        with a callback probe (steady state)
 *   threads_callback_max    most seen while its check runs (sampled)
 *   threads_callback_freed  after hams_probe_free of the callback probe
 *   threads_after_free      after hams_free
 *   wakeups_manual          context switches of the hams-server thread over
 *                           IDLE_SECONDS idle, manual probes only
 *   wakeups_kick            same, with a kick probe kicked every 100 ms
 *   wakeups_after_traffic   same, right after all connections closed
 *   wakeups_callback        same, with a callback probe (interval 1 s)
 *   idle_seconds            IDLE_SECONDS
 *   first200_us_first       hams_start returning -> first 200 answered
 *   first200_us_median      the same over STARTS start/stop cycles
 *   first200_us_max
 * Context switches are voluntary + nonvoluntary, from
 * /proc/self/task/TID/status. Every loop is bounded in count and time.
 */
#define _GNU_SOURCE 1

#include "hams.h"
#include "http_client.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_TASKS 256
#define IDLE_CONNS 1000

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long status_field(const char *file, const char *key) {
    FILE *f = fopen(file, "r");
    if (f == NULL) return -1;
    char line[256];
    size_t klen = strlen(key);
    long v = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static long rss_kib(void) { return status_field("/proc/self/status", "VmRSS"); }

/* The task ids of this process; returns how many. */
static int tasks(long *tids, int max) {
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n < max && tids) tids[n] = strtol(e->d_name, NULL, 10);
        n++;
    }
    closedir(d);
    return n;
}

static int thread_count(void) { return tasks(NULL, 0); }

/* The tid of a thread named `name` that is not in `known`, or -1. */
static long find_thread(const char *name, const long *known, int nknown) {
    long tids[MAX_TASKS];
    int n = tasks(tids, MAX_TASKS);
    for (int i = 0; i < n && i < MAX_TASKS; i++) {
        bool old = false;
        for (int j = 0; j < nknown; j++) old = old || known[j] == tids[i];
        if (old) continue;
        char path[64], comm[64] = "";
        snprintf(path, sizeof(path), "/proc/self/task/%ld/comm", tids[i]);
        FILE *f = fopen(path, "r");
        if (f == NULL) continue;
        if (fgets(comm, sizeof(comm), f) == NULL) comm[0] = '\0';
        fclose(f);
        comm[strcspn(comm, "\n")] = '\0';
        if (strcmp(comm, name) == 0) return tids[i];
    }
    return -1;
}

static long ctxt_switches(long tid) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%ld/status", tid);
    long v = status_field(path, "voluntary_ctxt_switches");
    long nv = status_field(path, "nonvoluntary_ctxt_switches");
    return v < 0 || nv < 0 ? -1 : v + nv;
}

/* Sends one GET and reads its response (head + Content-Length body) within
 * 2 s. Returns the status, or -1. */
static int get(int fd, int port, bool keep_alive) {
    char req[256];
    int len = snprintf(req, sizeof(req),
                       "GET /hams/alive HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n",
                       port, keep_alive ? "" : "Connection: close\r\n");
    if (http_send_all(fd, req, (size_t)len) != 0) return -1;
    char buf[4096];
    return http_read_small(fd, buf, sizeof(buf), 2000);
}

static bool check_ok(void *user, char *reason, size_t reason_len) {
    (void)user;
    (void)reason;
    (void)reason_len;
    return true;
}

static void die(const char *what) {
    fprintf(stderr, "footprint: %s: %s\n", what, hams_last_error());
    exit(1);
}

/* Context switches of the server thread over `seconds` idle; kicks `kick`
 * every 100 ms if given. */
static long idle_wakeups(long tid, int seconds, hams_probe_t *kick) {
    long before = ctxt_switches(tid);
    for (int i = 0; i < seconds * 10; i++) {
        if (kick != NULL) hams_probe_kick(kick);
        sleep_ms(100);
    }
    long after = ctxt_switches(tid);
    return before < 0 || after < 0 ? -1 : after - before;
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int idle_s = argc > 1 ? atoi(argv[1]) : 10;
    int starts = argc > 2 ? atoi(argv[2]) : 20;
    if (idle_s < 1 || idle_s > 600 || starts < 1 || starts > 1000) {
        fprintf(stderr, "usage: %s [IDLE_SECONDS [STARTS]]\n", argv[0]);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    hams_set_logger(NULL, NULL, 1);

    printf("idle_seconds=%d\n", idle_s);
    printf("rss_kib_before=%ld\n", rss_kib());
    long known[MAX_TASKS];
    int nknown = tasks(known, MAX_TASKS);
    printf("threads_before=%d\n", nknown);

    hams_t *h = hams_new("footprint", "1.0.0");
    if (h == NULL) die("hams_new");
    if (hams_set_address(h, "127.0.0.1:0") != HAMS_OK) die("hams_set_address");
    if (hams_probe_new_manual(h, "db", HAMS_ALIVE | HAMS_READY | HAMS_STARTUP,
                              true) == NULL)
        die("hams_probe_new_manual");
    printf("rss_kib_created=%ld\n", rss_kib());
    if (hams_start(h) != HAMS_OK) die("hams_start");
    int port = hams_port(h);
    printf("rss_kib_started=%ld\n", rss_kib());
    printf("threads_manual=%d\n", thread_count());
    /* The new thread names itself once it runs: look for up to 1 s. */
    long tid = -1;
    for (int i = 0; i < 1000 && tid < 0; i++) {
        tid = find_thread("hams-server", known, nknown);
        if (tid < 0) sleep_ms(1);
    }
    if (tid < 0) {
        fprintf(stderr, "footprint: no hams-server thread\n");
        return 1;
    }
    fflush(stdout);

    /* Idle, never served a request: no connection, no deadline. */
    printf("wakeups_manual=%ld\n", idle_wakeups(tid, idle_s, NULL));
    fflush(stdout);
    hams_probe_t *kick = hams_probe_new_kick(h, "loop", HAMS_ALIVE, 5000);
    if (kick == NULL) die("hams_probe_new_kick");
    printf("wakeups_kick=%ld\n", idle_wakeups(tid, idle_s, kick));
    fflush(stdout);

    /* Serve: 1000 keep-alive requests on one connection, 200 closing ones. */
    int fd = http_connect(port);
    int bad = 0;
    for (int i = 0; i < 1000 && fd >= 0; i++) {
        hams_probe_kick(kick);
        if (get(fd, port, true) != 200) bad++;
    }
    if (fd >= 0) close(fd);
    for (int i = 0; i < 200; i++) {
        int c = http_connect(port);
        if (c < 0 || get(c, port, false) != 200) bad++;
        if (c >= 0) close(c);
    }
    if (bad) fprintf(stderr, "footprint: %d requests failed\n", bad);
    printf("rss_kib_served=%ld\n", rss_kib());

    /* 1000 idle keep-alive connections (each served one request). */
    static int idle_fds[IDLE_CONNS];
    int opened = 0;
    for (int i = 0; i < IDLE_CONNS; i++) {
        int c = http_connect(port);
        if (c < 0) break;
        hams_probe_kick(kick);
        if (get(c, port, true) != 200) {
            close(c);
            break;
        }
        idle_fds[opened++] = c;
    }
    printf("idle_conns_opened=%d\n", opened);
    printf("rss_kib_idle1000=%ld\n", rss_kib());
    for (int i = 0; i < opened; i++) close(idle_fds[i]);
    fflush(stdout);
    /* Idle again once the closes are handled: no connection is left, so
     * any wake-up now is a timer that outlived its connections. */
    sleep_ms(200);
    printf("wakeups_after_traffic=%ld\n", idle_wakeups(tid, idle_s, kick));
    fflush(stdout);

    /* A callback probe: the checker thread exists while it does. */
    hams_probe_t *cb =
        hams_probe_new_callback(h, "cb", HAMS_READY, check_ok, NULL, 1000, 500);
    if (cb == NULL) die("hams_probe_new_callback");
    int most = thread_count();
    for (int i = 0; i < 1200; i++) { /* 1.2 s: two runs of the check */
        int n = thread_count();
        if (n > most) most = n;
        sleep_ms(1);
    }
    printf("threads_callback=%d\n", thread_count());
    printf("threads_callback_max=%d\n", most);
    printf("wakeups_callback=%ld\n", idle_wakeups(tid, idle_s, kick));
    fflush(stdout);
    if (hams_probe_free(cb) != HAMS_OK) die("hams_probe_free");
    sleep_ms(50);
    printf("threads_callback_freed=%d\n", thread_count());
    hams_free(h);
    sleep_ms(50);
    printf("threads_after_free=%d\n", thread_count());
    printf("rss_kib_after_free=%ld\n", rss_kib());
    fflush(stdout);

    /* hams_start returning -> first 200, over `starts` start/stop cycles. */
    hams_t *h2 = hams_new("footprint2", "1.0.0");
    if (h2 == NULL || hams_set_address(h2, "127.0.0.1:0") != HAMS_OK ||
        hams_probe_new_manual(h2, "db", HAMS_ALIVE, true) == NULL)
        die("hams_new (2)");
    long *us = calloc((size_t)starts, sizeof(long));
    int got = 0;
    for (int s = 0; s < starts; s++) {
        if (hams_start(h2) != HAMS_OK) die("hams_start (2)");
        uint64_t t0 = http_now_ns();
        int p = hams_port(h2);
        long took = -1;
        for (int i = 0; i < 100000 && http_now_ns() - t0 < 2000000000u; i++) {
            int c = http_connect(p);
            int st = c >= 0 ? get(c, p, false) : -1;
            if (c >= 0) close(c);
            if (st == 200) {
                took = (long)((http_now_ns() - t0) / 1000u);
                break;
            }
        }
        if (took >= 0) us[got++] = took;
        if (s == 0) printf("first200_us_first=%ld\n", took);
        if (hams_stop(h2) != HAMS_OK) die("hams_stop (2)");
    }
    hams_free(h2);
    qsort(us, (size_t)got, sizeof(long), cmp_long);
    printf("first200_starts=%d/%d\n", got, starts);
    printf("first200_us_median=%ld\n", got ? us[got / 2] : -1);
    printf("first200_us_max=%ld\n", got ? us[got - 1] : -1);
    free(us);
    return 0;
}
