/*
 * prefork: a pre-forking HTTP server (the Apache prefork / unicorn model)
 * whose worker processes share one hams in workers mode.
 *
 * The parent makes the hams server, turns workers mode on, registers a
 * counter vec and starts serving /hams/...; then it forks --workers children
 * that accept() on one listening socket and answer every request with
 * "hello", counting it in the vec before answering. The parent's
 * /hams/metrics sums what every worker counted, also the workers that died:
 * a worker killed with SIGKILL loses none of its counts. The parent reaps dead
 * workers and forks new ones. Each worker registers a probe of its own after
 * the fork, which the parent's checks show as worker@<pid> while it lives.
 *
 * Build (from the repository root; `make` builds it as target/prefork):
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude examples/c/prefork.c \
 *      -Ltarget/release -lhams -o target/prefork
 * Run:
 *   LD_LIBRARY_PATH=target/release target/prefork [--app HOST:PORT] [--workers K]
 *
 * --app is where the workers answer (default 127.0.0.1:8080; port 0 picks
 * one); hams' own settings come from HAMS_* variables (hams_config(5)):
 * HAMS_ADDRESS (default 0.0.0.0:8079), HAMS_DRAIN_MS (default 5000), ...
 * It prints "prefork: hams port H, app port A" once both listen.
 *
 * SIGTERM or SIGINT (handled by hams) start hams' shutdown sequence:
 * readiness fails at once while the workers go on answering for the drain
 * time; then the parent stops the workers and exits 0.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "hams.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define MAX_WORKERS 64

static void die(const char *what) {
    fprintf(stderr, "prefork: %s failed: %s\n", what, hams_last_error());
    exit(1);
}

static void die_errno(const char *what) {
    fprintf(stderr, "prefork: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* The listening socket of the app, shared by every worker; its port in *port. */
static int listen_on(const char *host_port, int *port) {
    char host[64];
    const char *colon = strrchr(host_port, ':');
    if (colon == NULL || (size_t)(colon - host_port) >= sizeof(host)) {
        fprintf(stderr, "prefork: --app wants IPV4:PORT, got %s\n", host_port);
        exit(2);
    }
    memcpy(host, host_port, (size_t)(colon - host_port));
    host[colon - host_port] = '\0';
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "prefork: bad --app address %s\n", host_port);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die_errno("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) die_errno("bind");
    if (listen(fd, 128) != 0) die_errno("listen");
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0) die_errno("getsockname");
    *port = ntohs(addr.sin_port);
    return fd;
}

/* Reads the request head (enough for GET without a body); false on EOF or error. */
static bool read_head(int fd) {
    char buf[8192];
    size_t got = 0;
    while (got < sizeof(buf) - 1) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL) return true;
    }
    return true;
}

static void write_all(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

/* A worker: runs in the child until killed. It uses the handle inherited
 * from the parent: the vec made before the fork counts into the parent's
 * shared cells, the probe made after it is this worker's own. */
static void worker(int lfd, hams_t *h, hams_vec_t *requests) {
    /* hams handles SIGTERM in the parent; a worker just ends (its counts stay). */
    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* no worker outlives a parent killed hard */
#endif
    hams_probe_t *alive = hams_probe_new_manual(h, "worker", HAMS_READY, true);
    const char *ok[] = {"/", "200", NULL};
    hams_metric_t *answered = hams_vec_with(requests, ok);
    if (alive == NULL || answered == NULL) {
        fprintf(stderr, "prefork: worker %d: %s\n", (int)getpid(), hams_last_error());
        _exit(1);
    }
    static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"
                                "Connection: close\r\n\r\nhello\n";
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            _exit(1);
        }
        struct timeval tv = {5, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (read_head(c)) {
            /* Counted before the answer: once a client has it, the parent shows it. */
            hams_counter_add(answered, 1);
            write_all(c, reply, sizeof(reply) - 1);
        }
        close(c);
    }
}

static pid_t spawn(int lfd, hams_t *h, hams_vec_t *requests) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) die_errno("fork");
    if (pid == 0) worker(lfd, h, requests);
    printf("prefork: worker %d started\n", (int)pid);
    fflush(stdout);
    return pid;
}

int main(int argc, char **argv) {
    const char *app = "127.0.0.1:8080";
    int workers = 4;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--app") == 0 && i + 1 < argc) {
            app = argv[++i];
        } else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
            workers = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--app HOST:PORT] [--workers K (1 to %d)]\n", argv[0], MAX_WORKERS);
            return 2;
        }
    }
    if (workers < 1 || workers > MAX_WORKERS) {
        fprintf(stderr, "prefork: --workers must be 1 to %d\n", MAX_WORKERS);
        return 2;
    }

    /* From YAML so that the HAMS_* variables apply (address, drain, ...). */
    hams_t *h = hams_new_from_yaml("service:\n  name: prefork\n  version: \"1.0\"\n"
                                   "shutdown:\n  handle_signals: true\n");
    if (h == NULL) die("hams_new_from_yaml");
    /* Before any metric or probe: they then live in memory the workers share. */
    if (hams_set_workers(h, true) != HAMS_OK) die("hams_set_workers");
    const char *labels[] = {"path", "code", NULL};
    hams_vec_t *requests =
        hams_counter_vec_new(h, "prefork_requests_total", "Requests answered by the workers.", labels);
    if (requests == NULL) die("hams_counter_vec_new");
    if (hams_start(h) != HAMS_OK) die("hams_start");

    int app_port = 0;
    int lfd = listen_on(app, &app_port);
    printf("prefork: hams port %d, app port %d\n", hams_port(h), app_port);

    pid_t pids[MAX_WORKERS];
    for (int i = 0; i < workers; i++) pids[i] = spawn(lfd, h, requests);

    /* Until the shutdown sequence is done: replace the workers that die. */
    while (hams_wait(h, 100) == 0) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < workers; i++) {
                if (pids[i] != pid) continue;
                if (WIFSIGNALED(status))
                    printf("prefork: worker %d killed by signal %d\n", (int)pid, WTERMSIG(status));
                else
                    printf("prefork: worker %d exited with %d\n", (int)pid, WEXITSTATUS(status));
                pids[i] = spawn(lfd, h, requests);
            }
        }
    }

    /* The drain is over: the workers stop, then the parent. */
    for (int i = 0; i < workers; i++) kill(pids[i], SIGTERM);
    for (int i = 0; i < workers; i++) waitpid(pids[i], NULL, 0);
    close(lfd);
    hams_free(h);
    printf("prefork: stopped\n");
    return 0;
}
