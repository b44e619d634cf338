/*
 * testing.c: runs the cases of a C test program (see testing.h), and the
 * helpers every program uses.
 */
#include "testing.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int g_case_failures;

static const char *g_suite = "c-tests";
static const char *volatile g_current_case = "(none)";

const char *safe_last_error(void) {
    const char *e = hams_last_error();
    return e ? e : "(NULL)";
}

bool last_error_nonempty(void) {
    const char *e = hams_last_error();
    return e != NULL && e[0] != '\0';
}

double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

bool contains(const char *hay, const char *needle) {
    return hay != NULL && needle != NULL && strstr(hay, needle) != NULL;
}

static void put(const char *s) {
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

/* A case that hangs ends the program, naming the case (async-signal-safe). */
static void on_alarm(int sig) {
    (void)sig;
    put("\n");
    put(g_suite);
    put(": watchdog timeout in test case ");
    put(g_current_case);
    put("\n");
    put(g_suite);
    put(": aborted\n");
    _exit(3);
}

static bool wanted(const char *name, int argc, char **argv) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return true;
    return false;
}

int testing_main(const char *suite, unsigned timeout_s, int argc, char **argv) {
    g_suite = suite;
    for (int i = 1; i < argc; i++) {
        size_t j = 0;
        while (j < testing_case_count && strcmp(testing_cases[j].name, argv[i]) != 0) j++;
        if (j == testing_case_count) {
            fprintf(stderr, "%s: no test case named \"%s\"\n", suite, argv[i]);
            return 2;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    setvbuf(stderr, NULL, _IONBF, 0);

    int passed = 0, failed = 0;
    double t0 = now_ms();
    for (size_t i = 0; i < testing_case_count; i++) {
        const struct testing_case *c = &testing_cases[i];
        if (!wanted(c->name, argc, argv)) continue;
        g_case_failures = 0;
        g_current_case = c->name;
        double c0 = now_ms();
        alarm(timeout_s);
        c->run();
        alarm(0);
        double dt = now_ms() - c0;
        if (g_case_failures == 0) {
            passed++;
            fprintf(stderr, "ok   %-40s (%.0f ms)\n", c->name, dt);
        } else {
            failed++;
            fprintf(stderr, "FAIL %-40s (%.0f ms, %d failed checks)\n", c->name, dt, g_case_failures);
        }
    }
    fprintf(stderr, "(total %.0f ms)\n", now_ms() - t0);

    printf("%s: %d passed, %d failed\n", suite, passed, failed);
    fflush(stdout);
    return failed == 0 ? 0 : 1;
}
