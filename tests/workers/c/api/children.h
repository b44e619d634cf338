/*
 * children.h: forked children that the test cases drive through pipes, and
 * reading the parent's exposition.
 */
#ifndef HAMS_WORKERS_CHILDREN_H
#define HAMS_WORKERS_CHILDREN_H

#include "testing.h"

#include <sys/types.h>

typedef struct {
    pid_t pid;
    int to_child;   /* the parent writes "go" here */
    int from_child; /* the child writes "ready" here; then its stdout and stderr */
} child_t;

/* Forks a child running body(arg) with stdout and stderr into from_child
 * (so that the parent sees whatever it prints); body's return value is the
 * child's exit status. body calls child_ready() once it has done its part,
 * then child_wait_go() blocks until the parent says child_go(). */
bool child_start(child_t *c, int (*body)(void *arg), void *arg);
void child_ready(void);
void child_wait_go(void);
/* Waits (up to 5 s) for the child's ready byte. */
bool child_wait_ready(child_t *c);
void child_go(child_t *c);
/* Reaps the child; its exit status (or 128 + signal) and what it printed
 * (malloc'd, NUL-terminated, into *output when not NULL). */
int child_end(child_t *c, char **output);

/* GET path on 127.0.0.1:port; the body (malloc'd) or NULL; the status in *status. */
char *get_body(int port, const char *path, int *status);
/* The value of the sample line starting with `series` followed by a space
 * (e.g. "jobs_total" or "temp{pid=\"12\"}") in the parent's /hams/metrics; NAN
 * when absent. */
double metric(int port, const char *series);
/* Whether /hams/ready?verbose lists `name` (e.g. "child@1234"). */
bool ready_lists(int port, const char *name);
/* Polls cond-like checks: true once metric(port, series) == want, within ms. */
bool metric_becomes(int port, const char *series, double want, int within_ms);
bool ready_list_becomes(int port, const char *name, bool listed, int within_ms);

#endif
