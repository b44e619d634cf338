/* children.c: see children.h. */
#include "children.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_ready_fd = -1, g_go_fd = -1;

bool child_start(child_t *c, int (*body)(void *arg), void *arg) {
    int up[2], down[2];
    if (pipe(up) != 0) return false;
    if (pipe(down) != 0) {
        close(up[0]);
        close(up[1]);
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        dup2(up[1], 1);
        dup2(up[1], 2);
        g_ready_fd = up[1];
        g_go_fd = down[0];
        _exit(body(arg));
    }
    close(up[1]);
    close(down[0]);
    c->pid = pid;
    c->to_child = down[1];
    c->from_child = up[0];
    return true;
}

void child_ready(void) {
    /* A byte the parent tells from output: printing is what the tests forbid. */
    char b = '\x01';
    if (write(g_ready_fd, &b, 1) != 1) _exit(100);
}

void child_wait_go(void) {
    char b;
    while (read(g_go_fd, &b, 1) < 0 && errno == EINTR) {
    }
}

bool child_wait_ready(child_t *c) {
    struct pollfd p = {c->from_child, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) return false;
    char b;
    return read(c->from_child, &b, 1) == 1 && b == '\x01';
}

void child_go(child_t *c) {
    char b = 'g';
    if (write(c->to_child, &b, 1) != 1) FAILF("cannot tell child %d to go on", (int)c->pid);
}

int child_end(child_t *c, char **output) {
    close(c->to_child);
    size_t len = 0, cap = 256;
    char *out = malloc(cap);
    for (;;) {
        if (len + 128 > cap) {
            cap *= 2;
            out = realloc(out, cap);
        }
        ssize_t n = read(c->from_child, out + len, cap - len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    out[len] = '\0';
    close(c->from_child);
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (output != NULL)
        *output = out;
    else
        free(out);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

char *get_body(int port, const char *path, int *status) {
    http_response r;
    *status = http_request(port, "GET", path, NULL, &r, 3000);
    if (*status < 0) return NULL;
    char *body = strdup(r.body ? r.body : "");
    http_response_free(&r);
    return body;
}

double metric(int port, const char *series) {
    int status;
    char *body = get_body(port, "/hams/metrics", &status);
    double v = NAN;
    size_t n = strlen(series);
    for (char *line = body; line != NULL && *line;) {
        char *next = strchr(line, '\n');
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            v = strtod(line + n + 1, NULL);
            break;
        }
        line = next ? next + 1 : NULL;
    }
    free(body);
    return v;
}

bool ready_lists(int port, const char *name) {
    int status;
    char *body = get_body(port, "/hams/ready?verbose", &status);
    char needle[128];
    snprintf(needle, sizeof(needle), "]%s ", name);
    bool found = contains(body, needle);
    free(body);
    return found;
}

bool metric_becomes(int port, const char *series, double want, int within_ms) {
    double end = now_ms() + within_ms;
    while (metric(port, series) != want) {
        if (now_ms() > end) return false;
        sleep_ms(20);
    }
    return true;
}

bool ready_list_becomes(int port, const char *name, bool listed, int within_ms) {
    double end = now_ms() + within_ms;
    while (ready_lists(port, name) != listed) {
        if (now_ms() > end) return false;
        sleep_ms(20);
    }
    return true;
}
