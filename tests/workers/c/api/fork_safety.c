/*
 * Fork safety without workers mode: a child forked from a process serving
 * hams has the parent's handle, which must not serve, stop or join anything
 * of the parent's, nor print anything; the parent serves on.
 */
#include "children.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hams_t *g_h;
static hams_metric_t *g_counter;

/* Each failed expectation in the child sets a bit of its exit status: it
 * must not print (the parent checks its output is empty). */
static int inherited_handle(void *arg) {
    (void)arg;
    int bad = 0;
    if (hams_counter_add(g_counter, 1) != HAMS_OK) bad |= 1;
    if (hams_start(g_h) != HAMS_ERR_STATE) bad |= 2;
    if (!contains(hams_last_error(), "fork")) bad |= 4;
    if (hams_stop(g_h) != HAMS_ERR_STATE) bad |= 8;
    if (hams_shutdown(g_h) != HAMS_ERR_STATE) bad |= 16;
    if (hams_wait(g_h, 0) != HAMS_ERR_STATE) bad |= 32;
    hams_free(g_h);
    return bad;
}

TEST(forked_child_cannot_serve_and_prints_nothing) {
    g_h = hams_new("fork-safety", "1");
    REQUIRE(g_h != NULL);
    CHECK_OK(hams_set_address(g_h, "127.0.0.1:0"));
    g_counter = hams_counter_new(g_h, "forked_total", "Counted before and after the fork.");
    REQUIRE(g_counter != NULL);
    hams_probe_t *p = hams_probe_new_manual(g_h, "db", HAMS_READY, true);
    REQUIRE(p != NULL);
    CHECK_OK(hams_start(g_h));
    int port = hams_port(g_h);
    REQUIRE(port > 0);
    CHECK_OK(hams_counter_add(g_counter, 2));

    child_t c;
    REQUIRE(child_start(&c, inherited_handle, NULL));
    char *out = NULL;
    int rc = child_end(&c, &out);
    if (rc != 0) FAILF("child failed the expectations with bits 0x%x (see inherited_handle)", rc);
    if (out[0] != '\0') FAILF("the child printed: \"%s\"", out);
    free(out);

    /* The parent serves as before; the child's increment was its own copy. */
    int status;
    char *body = get_body(port, "/hams/ready?verbose", &status);
    CHECK_INT(status, 200);
    CHECK(contains(body, "[+]db ok"));
    free(body);
    CHECK(metric(port, "forked_total") == 2);
    CHECK_OK(hams_probe_set(p, false, "down"));
    body = get_body(port, "/hams/ready", &status);
    CHECK_INT(status, 503);
    free(body);
    CHECK_OK(hams_stop(g_h));
    hams_free(g_h);
}

/* A child that frees the inherited handle at once, and one that exits
 * without freeing it: neither disturbs the parent. */
static int free_at_once(void *arg) {
    (void)arg;
    hams_free(g_h);
    return 0;
}

TEST(child_freeing_the_handle_leaves_the_parent_serving) {
    g_h = hams_new("fork-free", "1");
    REQUIRE(g_h != NULL);
    CHECK_OK(hams_set_address(g_h, "127.0.0.1:0"));
    CHECK_OK(hams_start(g_h));
    int port = hams_port(g_h);
    for (int i = 0; i < 3; i++) {
        child_t c;
        REQUIRE(child_start(&c, free_at_once, NULL));
        char *out = NULL;
        CHECK_INT(child_end(&c, &out), 0);
        if (out[0] != '\0') FAILF("the child printed: \"%s\"", out);
        free(out);
        int status;
        free(get_body(port, "/hams/alive", &status));
        CHECK_INT(status, 200);
    }
    hams_free(g_h);
}

TEST(attach_without_workers_mode_fails) {
    /* An earlier case may have set HAMS_WORKERS in this process. */
    char *saved = getenv("HAMS_WORKERS") ? strdup(getenv("HAMS_WORKERS")) : NULL;
    unsetenv("HAMS_WORKERS");
    hams_t *a = hams_attach();
    CHECK(a == NULL);
    CHECK_INT(hams_last_error_code(), HAMS_ERR_STATE);
    if (!contains(hams_last_error(), "HAMS_WORKERS"))
        FAILF("the message does not name HAMS_WORKERS: \"%s\"", safe_last_error());
    if (a != NULL) hams_free(a);
    if (saved != NULL) {
        setenv("HAMS_WORKERS", saved, 1);
        free(saved);
    }
}
