/*
 * C API tests of the HTTP side: the endpoints of an empty server,
 * /hams/version, JSON, sanitised reasons, keep-alive and pipelining.
 */
#include "helpers.h"

#include <string.h>

TEST(http_empty_server) {
    int port = 0;
    hams_t *h = start_server("empty", &port);
    REQUIRE(h != NULL);

    static const char *paths[] = {"/hams/alive", "/hams/ready",
                                  "/hams/startup"};
    for (size_t i = 0; i < 3; i++) {
        int st = get(port, paths[i]);
        if (st != 200) FAILF("GET %s -> %d, expected 200", paths[i], st);
        if (!body_is(g_resp.body, "ok"))
            FAILF("GET %s body \"%s\", expected \"ok\"", paths[i], g_resp.body);
    }
    /* Standard headers. */
    CHECK_INT(get(port, "/hams/alive"), 200);
    CHECK(body_is(g_resp.body, "ok"));
    CHECK(contains(g_resp.headers, "content-length: "));
    CHECK(contains(g_resp.headers, "content-type: text/plain; charset=utf-8"));
    CHECK(contains(g_resp.headers, "cache-control: no-store"));
    CHECK(contains(g_resp.headers, "x-content-type-options: nosniff"));

    CHECK_GET(port, "/hams/alive?verbose", 200);
    CHECK_BODY_HAS("alive check passed");
    CHECK_GET(port, "/hams/ready?verbose", 200);
    CHECK_BODY_HAS("ready check passed");
    CHECK_GET(port, "/hams/startup?verbose", 200);
    CHECK_BODY_HAS("startup check passed");

    /* HEAD: same status, no body. */
    int st = http_req(port, "HEAD", "/hams/alive", NULL, &g_resp, 3000);
    CHECK_INT(st, 200);
    CHECK_INT(g_resp.body_len, 0);

    /* Unknown paths and methods. */
    CHECK_GET(port, "/hams/nope", 404);
    CHECK_GET(port, "/", 404);
    CHECK_GET(port, "/other", 404);
    CHECK_GET(port, "/hams/alive/nosuchprobe", 404);
    st = http_req(port, "POST", "/hams/alive", "Content-Length: 0\r\n", &g_resp,
                  3000);
    CHECK_INT(st, 405);
    if (!contains(g_resp.headers, "allow: get, head"))
        FAILF("405 without \"Allow: GET, HEAD\"; headers: %s", g_resp.headers);
    st = http_req(port, "DELETE", "/hams/ready", NULL, &g_resp, 3000);
    CHECK_INT(st, 405);
    st = http_req(port, "PUT", "/hams/startup", "Content-Length: 0\r\n",
                  &g_resp, 3000);
    CHECK_INT(st, 405);

    hams_free(h);
}

TEST(http_version_endpoint) {
    hams_t *h = hams_new("my-service", "9.8.7");
    REQUIRE(h != NULL);
    CHECK_OK(hams_set_address(h, "127.0.0.1:0"));
    CHECK_OK(hams_start(h));
    int port = hams_port(h);
    REQUIRE(port > 0);
    CHECK_GET(port, "/hams/version", 200);
    CHECK_BODY_HAS("my-service");
    CHECK_BODY_HAS("9.8.7");
    CHECK(contains(g_resp.headers, "application/json"));
    char flat[4096], want[256];
    strip_ws(g_resp.body, flat, sizeof(flat));
    CHECK(flat[0] == '{');
    CHECK(contains(flat, "\"service\":\"my-service\""));
    CHECK(contains(flat, "\"version\":\"9.8.7\""));
    snprintf(want, sizeof(want), "\"hams_version\":\"%s\"", hams_version());
    if (!contains(flat, want))
        FAILF("version JSON lacks %s: %s", want, g_resp.body);
    hams_free(h);
}

TEST(http_json) {
    int port = 0;
    hams_t *h = start_server("json", &port);
    REQUIRE(h != NULL);
    hams_probe_t *a = hams_probe_new_manual(h, "alpha", HAMS_ALIVE, true);
    hams_probe_t *b = hams_probe_new_manual(h, "beta", HAMS_ALIVE, true);
    REQUIRE(a && b);
    char flat[8192];

    CHECK_INT(get_json(port, "/hams/alive"), 200);
    CHECK(contains(g_resp.headers, "application/json"));
    strip_ws(g_resp.body, flat, sizeof(flat));
    if (!contains(flat, "\"status\":\"UP\""))
        FAILF("JSON lacks status UP: %s", g_resp.body);
    CHECK(contains(flat, "\"checks\":["));
    CHECK(contains(flat, "\"name\":\"alpha\""));
    CHECK(contains(flat, "\"name\":\"beta\""));

    CHECK_OK(hams_probe_set(b, false, "beta-is-broken"));
    CHECK_INT(get_json(port, "/hams/alive"), 503);
    CHECK(contains(g_resp.headers, "application/json"));
    strip_ws(g_resp.body, flat, sizeof(flat));
    if (!contains(flat, "\"status\":\"DOWN\""))
        FAILF("JSON lacks status DOWN: %s", g_resp.body);
    CHECK(contains(flat, "\"name\":\"beta\""));
    CHECK(contains(flat, "\"reason\":\"beta-is-broken\""));
    CHECK(contains(flat, "\"name\":\"alpha\""));

    hams_free(h);
}

TEST(http_reason_sanitised) {
    int port = 0;
    hams_t *h = start_server("sanitise", &port);
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "inj", HAMS_ALIVE, true);
    REQUIRE(p != NULL);
    CHECK_OK(hams_probe_set(p, false, "evil\r\nX-Injected: yes\r\n\r\nbody"));
    CHECK_GET(port, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]inj failed: evil");
    CHECK(!contains(g_resp.headers, "x-injected"));
    CHECK(!contains(g_resp.body, "\r"));
    CHECK(!contains(g_resp.body, "evil\n"));
    CHECK_INT(count_occurrences(g_resp.body, "\n") <= 3, 1);

    /* Long reasons are truncated to 256 bytes. */
    static char longr[2001];
    memset(longr, 'r', 2000);
    longr[2000] = '\0';
    CHECK_OK(hams_probe_set(p, false, longr));
    CHECK_GET(port, "/hams/alive?verbose", 503);
    CHECK_BODY_HAS("[-]inj failed: rrrr");
    int rs = 0;
    for (const char *c = g_resp.body; *c; c++) rs += (*c == 'r');
    if (rs < 200 || rs > 256 + 8)
        FAILF("long reason reported with %d 'r' bytes, expected about 256", rs);

    /* A callback's reason is sanitised too. */
    static cb_state ctl;
    memset(&ctl, 0, sizeof(ctl));
    ctl.reason = "line1\nline2\x01";
    hams_probe_t *c = hams_probe_new_callback(h, "ctl", HAMS_READY, check_cb,
                                              &ctl, 1000, 500);
    REQUIRE(c != NULL);
    CHECK(wait_for(port, "/hams/ready?verbose", 503, "[-]ctl failed: line1",
                   1000));
    CHECK(!contains(g_resp.body, "line1\nline2"));
    CHECK(!contains(g_resp.body, "\x01"));
    hams_free(h);
}

TEST(http_keepalive) {
    int port = 0;
    hams_t *h = start_server("keepalive", &port);
    REQUIRE(h != NULL);
    hams_probe_t *p = hams_probe_new_manual(h, "r", HAMS_READY, false);
    REQUIRE(p != NULL);
    /* Two pipelined requests on one connection, the second closes it. */
    size_t n = http_raw(port,
                        "GET /hams/alive HTTP/1.1\r\nHost: x\r\n\r\n"
                        "GET /hams/ready HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\n\r\n",
                        3000);
    CHECK(n > 0);
    CHECK_INT(count_occurrences(g_raw, "HTTP/1.1 200"), 1);
    CHECK_INT(count_occurrences(g_raw, "HTTP/1.1 503"), 1);
    const char *a = strstr(g_raw, "HTTP/1.1 200");
    const char *b = strstr(g_raw, "HTTP/1.1 503");
    CHECK(a && b && a < b); /* responses in request order */

    /* HTTP/1.0 without keep-alive: answered, then closed (no hang). */
    double t0 = now_ms();
    n = http_raw(port, "GET /hams/alive HTTP/1.0\r\n\r\n", 3000);
    CHECK(n > 0);
    CHECK(contains(g_raw, " 200"));
    if (now_ms() - t0 > 1000)
        FAILF("HTTP/1.0 connection not closed promptly (%.0f ms)",
              now_ms() - t0);

    /* Malformed request: 400. */
    n = http_raw(port, "NOT A REQUEST\r\n\r\n", 3000);
    CHECK(contains(g_raw, " 400"));
    hams_free(h);
}
