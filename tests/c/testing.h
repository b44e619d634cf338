/*
 * testing.h: the small test framework shared by the C test programs
 * (tests/c/api/ and tests/metrics/api/). Include it first.
 *
 * A case is written `TEST(name) { ... }` at the start of a line: a CHECK
 * records a failure and goes on, a REQUIRE returns from the case.
 * tests/c/list-tests.sh writes the table of a program's cases from its
 * sources at build time (tests/c/build-tests.sh), so a case cannot be
 * written and never run; tests/c/testing.c runs them in that order.
 */
#ifndef HAMS_TESTING_H
#define HAMS_TESTING_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include "hams.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Defines the case `name` (the function test_name). */
#define TEST(name)                                                             \
    void test_##name(void);                                                    \
    void test_##name(void)

struct testing_case {
    const char *name;
    void (*run)(void);
};

/* Written by tests/c/list-tests.sh: every TEST of the program. */
extern const struct testing_case testing_cases[];
extern const size_t testing_case_count;

/* Runs the cases named in argv (all without names), each under a watchdog
 * of timeout_s seconds; prints a line per case, then exactly
 * "<suite>: N passed, N failed". Returns main's exit status. */
int testing_main(const char *suite, unsigned timeout_s, int argc, char **argv);

/* Failed checks in the running case. */
extern int g_case_failures;

const char *safe_last_error(void);
bool last_error_nonempty(void);
double now_ms(void);
void sleep_ms(long ms);
bool contains(const char *hay, const char *needle);

/* ---- a minimal HTTP/1.1 client over TCP to 127.0.0.1 ---- */

typedef struct {
    int status;     /* -1 when the exchange failed */
    char *headers;  /* header block, lower-cased, NUL-terminated */
    char *body;     /* NUL-terminated, de-chunked */
    size_t body_len;
    double ms;      /* wall time of the exchange */
} http_response;

/* Sends `req` as is and reads until EOF, an error or timeout_ms without data
 * (at most `max` bytes). Returns what was read, NUL-terminated and malloc'd
 * (the caller frees it), its length in *got and in *sent whether all of `req`
 * went out; NULL if no connection was made. */
char *http_exchange(int port, const char *req, int timeout_ms, size_t max, size_t *got, bool *sent);
/* One request with "Connection: close", read until EOF. Returns the status,
 * or -1. The caller frees the response with http_response_free(). */
int http_request(int port, const char *method, const char *target, const char *extra_headers, http_response *r,
                 int timeout_ms);
void http_response_free(http_response *r);

#define FAILF(...)                                                             \
    do {                                                                       \
        fprintf(stderr, "    FAIL %s:%d: ", __FILE__, __LINE__);              \
        fprintf(stderr, __VA_ARGS__);                                          \
        fputc('\n', stderr);                                                   \
        g_case_failures++;                                                     \
    } while (0)

/* Soft assertion: records the failure, keeps running the case. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) FAILF("CHECK(%s)", #cond);                                \
    } while (0)

/* Hard assertion: records the failure and returns from the case. */
#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            FAILF("REQUIRE(%s) (last_error: \"%s\")", #cond,                   \
                  safe_last_error());                                          \
            return;                                                            \
        }                                                                      \
    } while (0)

#define CHECK_INT(actual, expected)                                            \
    do {                                                                       \
        long long a_ = (long long)(actual);                                    \
        long long e_ = (long long)(expected);                                  \
        if (a_ != e_)                                                          \
            FAILF("%s == %lld, expected %s == %lld (last_error: \"%s\")",     \
                  #actual, a_, #expected, e_, safe_last_error());              \
    } while (0)

/* A call that must fail with `code` and leave a non-empty hams_last_error(). */
#define CHECK_ERR(call, code)                                                  \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ != (code))                                                     \
            FAILF("%s returned %d, expected %s (%d) (last_error: \"%s\")",    \
                  #call, rc_, #code, (int)(code), safe_last_error());          \
        else if (!last_error_nonempty())                                       \
            FAILF("%s: hams_last_error() is empty after failure", #call);      \
    } while (0)

#define CHECK_OK(call)                                                         \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ != HAMS_OK)                                                    \
            FAILF("%s returned %d, expected HAMS_OK (last_error: \"%s\")",    \
                  #call, rc_, safe_last_error());                              \
    } while (0)

#endif
