/*
 * C API tests of signal handling: untouched by default, one owner,
 * chained to the application's handlers and restored.
 */
#include "helpers.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t g_term_count;
static volatile sig_atomic_t g_int_count;
static volatile sig_atomic_t g_int_signo;

static void count_term(int sig) {
    (void)sig;
    g_term_count++;
}

static void count_int_info(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    g_int_count++;
    g_int_signo = info != NULL ? info->si_signo : -sig;
}

static bool same_disposition(const struct sigaction *a,
                             const struct sigaction *b) {
    if ((a->sa_flags & SA_SIGINFO) != (b->sa_flags & SA_SIGINFO)) return false;
    if (a->sa_flags & SA_SIGINFO) return a->sa_sigaction == b->sa_sigaction;
    return a->sa_handler == b->sa_handler;
}

TEST(signals_untouched_by_default) {
    struct sigaction term0, int0, term1, int1;
    sigaction(SIGTERM, NULL, &term0);
    sigaction(SIGINT, NULL, &int0);

    int port = 0;
    hams_t *h = start_server("nosignals", &port);
    REQUIRE(h != NULL);
    hams_t *y = start_yaml(YAML_SERVICE YAML_LOCAL
                           "shutdown:\n  handle_signals: false\n",
                           &port);
    hams_t *z = hams_new_from_yaml(YAML_SERVICE);
    /* A config that asks for signals but fails elsewhere applies nothing. */
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE
                                      "server:\n  address: nowhere\n"
                                      "shutdown:\n  handle_signals: true\n"));
    sigaction(SIGTERM, NULL, &term1);
    sigaction(SIGINT, NULL, &int1);
    CHECK(same_disposition(&term0, &term1));
    CHECK(same_disposition(&int0, &int1));
    CHECK(term1.sa_handler == SIG_DFL);
    hams_free(z);
    hams_free(y);
    hams_free(h);
    sigaction(SIGTERM, NULL, &term1);
    CHECK(same_disposition(&term0, &term1));
}

TEST(handle_signals_one_owner) {
    struct sigaction term0, now;
    sigaction(SIGTERM, NULL, &term0);
    hams_t *a = hams_new("sig-a", "1");
    hams_t *b = hams_new("sig-b", "1");
    REQUIRE(a != NULL && b != NULL);
    CHECK_OK(hams_handle_signals(a, true));
    CHECK_OK(hams_handle_signals(a, true)); /* twice is fine */
    sigaction(SIGTERM, NULL, &now);
    CHECK(!same_disposition(&term0, &now));
    CHECK_ERR(hams_handle_signals(b, true), HAMS_ERR_STATE);
    CHECK_OK(hams_handle_signals(b, false)); /* not owned: nothing to do */
    /* A config asking for signals cannot have them either. */
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE "shutdown:\n  handle_signals: true\n"));
    /* Still a's. */
    sigaction(SIGTERM, NULL, &now);
    CHECK(!same_disposition(&term0, &now));

    /* Turned off: restored, and another may take them. */
    CHECK_OK(hams_handle_signals(a, false));
    CHECK_OK(hams_handle_signals(a, false));
    sigaction(SIGTERM, NULL, &now);
    CHECK(same_disposition(&term0, &now));
    CHECK_OK(hams_handle_signals(b, true));
    CHECK_ERR(hams_handle_signals(a, true), HAMS_ERR_STATE);
    hams_free(b); /* releases them */
    sigaction(SIGTERM, NULL, &now);
    CHECK(same_disposition(&term0, &now));
    hams_t *c = hams_new_from_yaml(YAML_SERVICE "shutdown:\n  handle_signals: true\n");
    CHECK(c != NULL);
    CHECK_OK(hams_handle_signals(a, false));
    CHECK_ERR(hams_handle_signals(a, true), HAMS_ERR_STATE);
    hams_free(c);
    CHECK_OK(hams_handle_signals(a, true));
    hams_free(a);
    sigaction(SIGTERM, NULL, &now);
    CHECK(same_disposition(&term0, &now));
}

TEST(signals_chain_and_restore) {
    struct sigaction orig_term, orig_int, mine_term, mine_int, now;
    sigaction(SIGTERM, NULL, &orig_term);
    sigaction(SIGINT, NULL, &orig_int);

    /* The application's own handlers, installed first. */
    memset(&mine_term, 0, sizeof(mine_term));
    mine_term.sa_handler = count_term;
    sigemptyset(&mine_term.sa_mask);
    REQUIRE(sigaction(SIGTERM, &mine_term, NULL) == 0);
    memset(&mine_int, 0, sizeof(mine_int));
    mine_int.sa_sigaction = count_int_info;
    mine_int.sa_flags = SA_SIGINFO;
    sigemptyset(&mine_int.sa_mask);
    REQUIRE(sigaction(SIGINT, &mine_int, NULL) == 0);
    g_term_count = 0;
    g_int_count = 0;

    int port = 0;
    hams_t *h = start_yaml(YAML_SERVICE YAML_LOCAL "shutdown:\n  drain_ms: 60000\n",
                           &port);
    if (h != NULL) {
        sigaction(SIGTERM, NULL, &now);
        CHECK(now.sa_handler == count_term); /* not opted in yet */
        CHECK_OK(hams_handle_signals(h, true));
        sigaction(SIGTERM, NULL, &now);
        CHECK(now.sa_handler != count_term);
        CHECK_GET(port, "/hams/ready", 200);

        CHECK(raise(SIGTERM) == 0);
        CHECK_INT(g_term_count, 1); /* chained to, once */
        CHECK(wait_for(port, "/hams/ready?verbose", 503,
                       "[-]shutdown failed: shutting down", 2000));
        CHECK_SHUTDOWN_FIRST_LINE();
        CHECK_GET(port, "/hams/alive", 200);
        CHECK_INT(hams_wait(h, 0), 0); /* draining for 60 s */

        /* A second signal (SIGINT here) skips the rest of the drain. */
        CHECK(raise(SIGINT) == 0);
        CHECK_INT(g_int_count, 1);
        CHECK_INT(g_int_signo, SIGINT);
        CHECK_INT(g_term_count, 1);
        CHECK_INT(hams_wait(h, 5000), 1);

        hams_free(h);
        sigaction(SIGTERM, NULL, &now);
        CHECK(now.sa_handler == count_term);
        CHECK((now.sa_flags & SA_SIGINFO) == 0);
        sigaction(SIGINT, NULL, &now);
        CHECK((now.sa_flags & SA_SIGINFO) != 0);
        CHECK(now.sa_sigaction == count_int_info);

        /* Restored: a signal now reaches only the application's handler. */
        CHECK(raise(SIGTERM) == 0);
        CHECK_INT(g_term_count, 2);
    }

    /* Opted in through the configuration: SIGINT starts the sequence. */
    h = start_yaml(YAML_SERVICE YAML_LOCAL
                   "shutdown:\n  drain_ms: 100\n  handle_signals: true\n",
                   &port);
    if (h != NULL) {
        sigaction(SIGINT, NULL, &now);
        CHECK(now.sa_sigaction != count_int_info);
        sd_state s;
        memset(&s, 0, sizeof(s));
        sd_arg a = {&s, 1};
        CHECK_OK(hams_on_shutdown(h, on_shutdown_cb, &a));
        CHECK(raise(SIGINT) == 0);
        CHECK_INT(g_int_count, 2);
        CHECK_INT(hams_wait(h, 5000), 1);
        CHECK_INT(atomic_load(&s.calls), 1);
        CHECK_GET(port, "/hams/ready?verbose", 503);
        CHECK_SHUTDOWN_FIRST_LINE();
        /* Turned off explicitly: restored before hams_free. */
        CHECK_OK(hams_handle_signals(h, false));
        sigaction(SIGINT, NULL, &now);
        CHECK(now.sa_sigaction == count_int_info);
        hams_free(h);
    }

    sigaction(SIGTERM, &orig_term, NULL);
    sigaction(SIGINT, &orig_int, NULL);
}
