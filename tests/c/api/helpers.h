/*
 * helpers.h: what the C API test cases share (helpers.c): the HTTP client of
 * testing.h into fixed buffers, servers on 127.0.0.1, callback probes,
 * configurations and shutdown callbacks.
 */
#ifndef HAMS_API_HELPERS_H
#define HAMS_API_HELPERS_H

#include "testing.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* A call returning a pointer that must be NULL with a non-empty error. */
#define CHECK_NULL_ERR(call)                                                   \
    do {                                                                       \
        const void *p_ = (const void *)(call);                                 \
        if (p_ != NULL)                                                        \
            FAILF("%s returned non-NULL, expected NULL", #call);               \
        else if (!last_error_nonempty())                                       \
            FAILF("%s: hams_last_error() is empty after failure", #call);      \
    } while (0)

bool contains_ci(const char *hay, const char *needle);
/* Copy of `s` without any whitespace (for lenient JSON matching). */
void strip_ws(const char *s, char *out, size_t cap);
/* Body with trailing whitespace removed equals `want`. */
bool body_is(const char *body, const char *want);
int count_occurrences(const char *hay, const char *needle);

/* ---- HTTP ---- */

#define RESP_CAP (128 * 1024)

typedef struct {
    int status;          /* -1 if the request could not be done */
    char headers[8192];  /* raw header block, lower-cased */
    char body[RESP_CAP]; /* NUL-terminated, de-chunked */
    size_t body_len;
    double ms; /* wall time of the whole exchange */
} http_resp;

extern char g_raw[RESP_CAP + 8192]; /* what http_raw() read */
extern http_resp g_resp;            /* shared response buffer (large) */

/* Performs one request with "Connection: close" and reads until EOF. */
int http_req(int port, const char *method, const char *target,
             const char *extra_headers, http_resp *r, int timeout_ms);
/* Sends `raw` as is, reads until EOF or timeout into g_raw; returns bytes. */
size_t http_raw(int port, const char *raw, int timeout_ms);
/* GET into g_resp. */
int get(int port, const char *target);
int get_json(int port, const char *target);
/* Polls GET target until status == want and (if non-NULL) the body contains
 * `needle`, or until `within_ms` passed. Leaves the last response in g_resp. */
bool wait_for(int port, const char *target, int want, const char *needle,
              int within_ms);

#define CHECK_GET(port, target, want_status)                                   \
    do {                                                                       \
        int st_ = get((port), (target));                                       \
        if (st_ != (want_status))                                              \
            FAILF("GET %s -> %d, expected %d; body: \"%s\"", (target), st_,    \
                  (int)(want_status), g_resp.body);                            \
    } while (0)

#define CHECK_BODY_HAS(needle)                                                 \
    do {                                                                       \
        if (!contains(g_resp.body, (needle)))                                  \
            FAILF("body does not contain \"%s\"; body: \"%s\"", (needle),      \
                  g_resp.body);                                                \
    } while (0)

#define CHECK_BODY_LACKS(needle)                                               \
    do {                                                                       \
        if (contains(g_resp.body, (needle)))                                   \
            FAILF("body unexpectedly contains \"%s\"; body: \"%s\"",           \
                  (needle), g_resp.body);                                      \
    } while (0)

/* Creates a server on 127.0.0.1:<any free port>, starts it, returns it and
 * stores the port in *port. Returns NULL (and records a failure) on error. */
hams_t *start_server(const char *service, int *port);

/* ---- callback probes ---- */

typedef struct {
    atomic_int calls;
    atomic_int stop;          /* ends a sleeping callback early */
    atomic_int result;        /* what the callback returns */
    atomic_size_t last_len;   /* reason_len seen by the callback */
    int sleep_ms;             /* how long each call takes */
    const char *reason;       /* written to the reason buffer if non-NULL */
} cb_state;

bool check_cb(void *user, char *reason, size_t reason_len);
/* Healthy iff the library passed a NULL user pointer through. */
bool check_cb_null_user(void *user, char *reason, size_t reason_len);

/* ---- configuration and the shutdown sequence ---- */

#define YAML_SERVICE "service:\n  name: yaml-svc\n  version: 2.0.0\n"
#define YAML_LOCAL "server:\n  address: 127.0.0.1:0\n"

/* Creates a server from YAML text (failing the case if that fails), starts
 * it and stores its port. */
hams_t *start_yaml(const char *yaml, int *port);

#define CHECK_ERR_HAS(needle)                                                  \
    do {                                                                       \
        if (!contains(safe_last_error(), (needle)))                            \
            FAILF("hams_last_error() \"%s\" lacks \"%s\"", safe_last_error(),  \
                  (needle));                                                   \
    } while (0)

/* Checks that the verbose readiness body starts with the shutdown line. */
#define CHECK_SHUTDOWN_FIRST_LINE()                                            \
    do {                                                                       \
        static const char want_[] = "[-]shutdown failed: shutting down\n";     \
        if (strncmp(g_resp.body, want_, sizeof(want_) - 1) != 0)               \
            FAILF("verbose ready body does not start with the shutdown "      \
                  "line; body: \"%s\"",                                        \
                  g_resp.body);                                                \
    } while (0)

typedef struct {
    atomic_int calls;
    atomic_int order[8]; /* which callback ran n-th (its id) */
    atomic_int next;
    int sleep_ms;
    pthread_t thread; /* the thread the last call ran on */
} sd_state;

typedef struct {
    sd_state *s;
    int id;
} sd_arg;

/* A shutdown callback recording its run in the sd_state of its sd_arg. */
void on_shutdown_cb(void *user);
void noop_shutdown_cb(void *user);

#endif
