/*
 * testing.h: the small assertion framework shared by the C test programs
 * (tests/c/test_api.c, tests/metrics/test_metrics.c). Each case is a
 * function; a CHECK records a failure and goes on, a REQUIRE returns from
 * the case. Include after hams.h and the C library headers.
 */
#ifndef HAMS_TESTING_H
#define HAMS_TESTING_H

static int g_passed;
static int g_failed;
static int g_case_failures;
static const char *volatile g_current_case = "(none)";

static const char *safe_last_error(void) {
    const char *e = hams_last_error();
    return e ? e : "(NULL)";
}

static bool last_error_nonempty(void) {
    const char *e = hams_last_error();
    return e != NULL && e[0] != '\0';
}

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
