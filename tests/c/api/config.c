/*
 * C API tests of the configuration: hams_new_from_yaml and
 * hams_new_from_file, probes declared there, the server keys, errors
 * naming line, column and key, and the environment overrides.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

TEST(lifecycle_null_arguments) {
    hams_t *h = hams_new_from_yaml(YAML_SERVICE);
    REQUIRE(h != NULL);
    CHECK_NULL_ERR(hams_new_from_file(NULL));
    CHECK_NULL_ERR(hams_new_from_yaml(NULL));
    CHECK_NULL_ERR(hams_probe_get(NULL, "x"));
    CHECK_NULL_ERR(hams_probe_get(h, NULL));
    CHECK_ERR(hams_on_shutdown(NULL, noop_shutdown_cb, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_on_shutdown(h, NULL, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_shutdown(NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_wait(NULL, 0), HAMS_ERR_NULL);
    CHECK_ERR(hams_wait(NULL, -1), HAMS_ERR_NULL);
    CHECK_ERR(hams_handle_signals(NULL, true), HAMS_ERR_NULL);
    CHECK_ERR(hams_handle_signals(NULL, false), HAMS_ERR_NULL);
    /* NULL user data is fine. */
    CHECK_OK(hams_on_shutdown(h, noop_shutdown_cb, NULL));
    hams_free(h);
}

TEST(config_yaml_probes) {
    static const char yaml[] =
        YAML_SERVICE YAML_LOCAL
        "probes:\n"
        "  - name: main-loop\n"
        "    type: kick\n"
        "    checks: [alive]\n"
        "    margin_ms: 300\n"
        "  - name: warmup\n"
        "    type: manual\n"
        "    checks: [ready, startup]\n"
        "  - name: up\n"
        "    type: manual\n"
        "    checks: [alive, ready]\n"
        "    healthy: true\n";
    int port = 0;
    hams_t *h = start_yaml(yaml, &port);
    REQUIRE(h != NULL);

    hams_probe_t *loop = hams_probe_get(h, "main-loop");
    hams_probe_t *warm = hams_probe_get(h, "warmup");
    hams_probe_t *up = hams_probe_get(h, "up");
    CHECK(loop != NULL && warm != NULL && up != NULL);
    CHECK(hams_probe_get(h, "main-loop") == loop);
    CHECK(hams_probe_get(h, "warmup") == warm);
    CHECK(loop != warm && warm != up && loop != up);
    CHECK_NULL_ERR(hams_probe_get(h, "nope"));
    CHECK_ERR_HAS("nope");
    CHECK_NULL_ERR(hams_probe_get(h, "bad name"));
    REQUIRE(loop != NULL && warm != NULL && up != NULL);

    /* The declared kinds: kick on the kick probe, set on the manual ones. */
    CHECK_OK(hams_probe_kick(loop));
    CHECK_ERR(hams_probe_set(loop, true, NULL), HAMS_ERR_INVALID);
    CHECK_ERR(hams_probe_kick(warm), HAMS_ERR_INVALID);

    /* The service section names the service. */
    CHECK_GET(port, "/hams/version", 200);
    CHECK_BODY_HAS("\"service\":\"yaml-svc\"");
    CHECK_BODY_HAS("\"version\":\"2.0.0\"");

    /* warmup starts unhealthy (healthy: false is the default), up healthy. */
    CHECK_GET(port, "/hams/ready?verbose", 503);
    CHECK_BODY_HAS("[-]warmup failed");
    CHECK_BODY_HAS("[+]up ok");
    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("[+]main-loop ok");
    CHECK_OK(hams_probe_set(warm, true, NULL));
    CHECK_GET(port, "/hams/ready", 200);
    CHECK_GET(port, "/hams/startup", 200);

    /* margin_ms 300: without kicks the alive check fails, a kick heals it. */
    CHECK(wait_for(port, "/hams/alive?verbose", 503, "[-]main-loop failed",
                   3000));
    CHECK_OK(hams_probe_kick(loop));
    CHECK_GET(port, "/hams/alive", 200);

    /* Probes created on h are found too; freed ones no more. */
    hams_probe_t *extra = hams_probe_new_manual(h, "extra", HAMS_READY, true);
    REQUIRE(extra != NULL);
    CHECK(hams_probe_get(h, "extra") == extra);
    CHECK_OK(hams_probe_free(extra));
    CHECK_NULL_ERR(hams_probe_get(h, "extra"));
    /* A declared name is taken. */
    CHECK_NULL_ERR(hams_probe_new_manual(h, "warmup", HAMS_READY, true));

    /* The same config on another server gives other handles. */
    hams_t *h2 = hams_new_from_yaml(yaml);
    REQUIRE(h2 != NULL);
    hams_probe_t *loop2 = hams_probe_get(h2, "main-loop");
    CHECK(loop2 != NULL && loop2 != loop);
    hams_free(h2);
    hams_free(h);
}

TEST(config_yaml_server_keys) {
    /* prefix */
    int port = 0;
    hams_t *h = start_yaml(YAML_SERVICE
                           "server:\n"
                           "  address: 127.0.0.1:0\n"
                           "  prefix: /health\n",
                           &port);
    REQUIRE(h != NULL);
    CHECK_GET(port, "/health/alive", 200);
    CHECK_GET(port, "/health/version", 200);
    CHECK_GET(port, "/hams/alive", 404);
    hams_free(h);

    h = start_yaml(YAML_SERVICE "server:\n  address: 127.0.0.1:0\n  prefix: \"\"\n",
                   &port);
    REQUIRE(h != NULL);
    CHECK_GET(port, "/alive", 200);
    CHECK_GET(port, "/ready", 200);
    CHECK_GET(port, "/hams/alive", 404);
    hams_free(h);

    /* header_timeout_ms: an incomplete head gets 408 in time. */
    h = start_yaml(YAML_SERVICE
                   "server:\n"
                   "  address: 127.0.0.1:0\n"
                   "  header_timeout_ms: 200\n",
                   &port);
    REQUIRE(h != NULL);
    double t0 = now_ms();
    size_t got = http_raw(port, "GET /hams/alive HTTP/1.1\r\nHost: x\r\n", 5000);
    double dt = now_ms() - t0;
    CHECK(got > 0);
    if (strncmp(g_raw, "HTTP/1.1 408", 12) != 0)
        FAILF("incomplete head: got \"%.40s\", expected 408", g_raw);
    if (dt < 150 || dt > 3000)
        FAILF("408 after %.0f ms with header_timeout_ms 200", dt);
    hams_free(h);

    /* idle_timeout_ms: an idle keep-alive connection is closed. */
    h = start_yaml(YAML_SERVICE
                   "server:\n"
                   "  address: 127.0.0.1:0\n"
                   "  idle_timeout_ms: 200\n",
                   &port);
    REQUIRE(h != NULL);
    t0 = now_ms();
    got = http_raw(port, "GET /hams/alive HTTP/1.1\r\nHost: x\r\n\r\n", 5000);
    dt = now_ms() - t0;
    CHECK(strncmp(g_raw, "HTTP/1.1 200", 12) == 0);
    if (dt < 150 || dt > 3000)
        FAILF("idle connection closed after %.0f ms with idle_timeout_ms 200",
              dt);
    hams_free(h);
}

TEST(config_yaml_errors) {
    static const struct {
        const char *yaml;
        const char *needle; /* line:column: key: problem */
    } cases[] = {
        {"", "missing field `service`"},
        {"server:\n  address: 127.0.0.1:0\n", "missing field `service`"},
        {"service:\n  name: demo\n", ":2:3: service: missing field `version`"},
        {"service:\n  name: demo\n  version: 1.0.0\n  colour: red\n",
         ":4:3: service: unknown field `colour`"},
        {YAML_SERVICE "server:\n  address: nowhere\n",
         ":5:3: server.address: invalid address \"nowhere\""},
        {YAML_SERVICE "server:\n  max_connections: 0\n",
         ":5:3: server.max_connections: must be greater than zero"},
        {YAML_SERVICE "server:\n  prefix: hams/\n", ":5:3: server.prefix:"},
        {YAML_SERVICE "shutdown:\n  drain_ms: -1\n", ":5:"},
        {YAML_SERVICE "shutdown:\n  handle_signals: maybe\n",
         ":5:19: shutdown.handle_signals:"},
        {YAML_SERVICE "shutdown:\n  token: \"a b\"\n", ":5:3: shutdown.token:"},
        {YAML_SERVICE "shutdown:\n  endpoint_wait_ms: 0\n",
         ":5:3: shutdown.endpoint_wait_ms: must be greater than zero"},
        {YAML_SERVICE "shutdown:\n  drain: 5\n",
         ":5:3: shutdown: unknown field `drain`"},
        {YAML_SERVICE "probes:\n  - name: a\n    type: timer\n    checks: [alive]\n",
         ":6:11: probes[0].type: unknown variant `timer`"},
        {YAML_SERVICE "probes:\n  - name: a\n    type: kick\n    checks: [alive]\n",
         "probes[0]: a: a kick probe needs margin_ms"},
        {YAML_SERVICE "probes:\n  - name: a\n    type: manual\n    checks: [lively]\n",
         ":7:13: probes[0].checks: unknown check \"lively\""},
        {YAML_SERVICE "probes:\n  - name: a\n    type: manual\n    checks: [alive]\n"
                      "  - name: a\n    type: manual\n    checks: [ready]\n",
         "declared twice"},
        {"service: [\n", ":1:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hams_t *h = hams_new_from_yaml(cases[i].yaml);
        if (h != NULL) {
            FAILF("case %zu accepted:\n%s", i, cases[i].yaml);
            hams_free(h);
            continue;
        }
        if (!contains(safe_last_error(), cases[i].needle))
            FAILF("case %zu: hams_last_error() \"%s\" lacks \"%s\"", i,
                  safe_last_error(), cases[i].needle);
    }
}

TEST(config_invalid_utf8) {
    CHECK_NULL_ERR(hams_new_from_yaml("service:\n  name: \xff\xfe\n  version: 1\n"));
    CHECK_NULL_ERR(hams_new_from_yaml("\xc3\x28"));
    CHECK_NULL_ERR(hams_new_from_file("/nonexistent-\xff\xfe.yaml"));
    hams_t *h = hams_new_from_yaml(YAML_SERVICE);
    REQUIRE(h != NULL);
    CHECK_NULL_ERR(hams_probe_get(h, "\xff\xfe"));
    hams_free(h);
}

TEST(config_file) {
    CHECK_NULL_ERR(hams_new_from_file("hams-no-such-dir/missing.yaml"));
    CHECK_ERR_HAS("cannot read config file hams-no-such-dir/missing.yaml");

    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir == NULL || *tmpdir == '\0') tmpdir = "/tmp";
    char path[512];
    snprintf(path, sizeof(path), "%s/hams-c-test-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    static const char good[] =
        "service:\n  name: file-svc\n  version: 3.1.4\n" YAML_LOCAL
        "probes:\n  - name: db\n    type: manual\n    checks: [ready]\n"
        "    healthy: true\n";
    ssize_t w = write(fd, good, sizeof(good) - 1);
    close(fd);
    CHECK(w == (ssize_t)(sizeof(good) - 1));

    hams_t *h = hams_new_from_file(path);
    if (h == NULL) FAILF("hams_new_from_file(%s): %s", path, safe_last_error());
    if (h != NULL) {
        CHECK(hams_probe_get(h, "db") != NULL);
        CHECK_OK(hams_start(h));
        int port = hams_port(h);
        CHECK_GET(port, "/hams/version", 200);
        CHECK_BODY_HAS("\"service\":\"file-svc\"");
        CHECK_GET(port, "/hams/ready?verbose", 200);
        CHECK_BODY_HAS("[+]db ok");
        hams_free(h);
    }

    /* An error in a file names the file, line and key. */
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("service:\n  name: x\n  version: 1\nserver:\n  adress: 127.0.0.1:0\n", f);
    fclose(f);
    CHECK_NULL_ERR(hams_new_from_file(path));
    char want[600];
    snprintf(want, sizeof(want), "%s:5:3: server: unknown field `adress`", path);
    CHECK_ERR_HAS(want);
    unlink(path);
}

TEST(config_environment) {
    static const char *vars[] = {"HAMS_SERVICE_NAME", "HAMS_ADDRESS",
                                 "HAMS_DRAIN_MS", "HAMS_HANDLE_SIGNALS",
                                 "HAMS_PREFIX"};
    /* Overrides win over the text. */
    setenv("HAMS_SERVICE_NAME", "from-env", 1);
    setenv("HAMS_ADDRESS", "127.0.0.1:0", 1);
    setenv("HAMS_PREFIX", "/env", 1);
    int port = 0;
    hams_t *h = start_yaml(YAML_SERVICE "server:\n  address: 127.0.0.1:1\n",
                           &port);
    if (h != NULL) {
        CHECK_GET(port, "/env/version", 200);
        CHECK_BODY_HAS("\"service\":\"from-env\"");
        CHECK_BODY_HAS("\"version\":\"2.0.0\"");
        hams_free(h);
    }
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);

    /* Bad values are errors naming the variable. */
    setenv("HAMS_DRAIN_MS", "5s", 1);
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE));
    CHECK_ERR_HAS("HAMS_DRAIN_MS");
    unsetenv("HAMS_DRAIN_MS");
    setenv("HAMS_ADDRESS", "nope", 1);
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE));
    CHECK_ERR_HAS("environment variable HAMS_ADDRESS=\"nope\"");
    unsetenv("HAMS_ADDRESS");
    setenv("HAMS_HANDLE_SIGNALS", "maybe", 1);
    CHECK_NULL_ERR(hams_new_from_yaml(YAML_SERVICE));
    CHECK_ERR_HAS("HAMS_HANDLE_SIGNALS");
    unsetenv("HAMS_HANDLE_SIGNALS");

    /* Clean again: the same text works. */
    h = hams_new_from_yaml(YAML_SERVICE);
    CHECK(h != NULL);
    hams_free(h);
}
