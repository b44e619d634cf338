/*
 * Metrics API tests of the exposition: both formats, escaping, HEAD,
 * and the built-in families.
 */
#include "helpers.h"

#include <stdio.h>
#include <time.h>

TEST(scrape_format_and_escaping) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    const char *labels[] = {"queue", "a\"b\\c\nd", "kind", "plain", NULL};
    hams_metric_t *c =
        hams_counter_new_labeled(h, "esc_total", "Escapes: \\ and\nnewline", labels);
    REQUIRE(c);
    CHECK_OK(hams_counter_add(c, 2));
    hams_metric_t *g = hams_gauge_new(h, "plain_gauge", "A gauge");
    REQUIRE(g);
    CHECK_OK(hams_gauge_set(g, 42));

    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK(contains(r.headers, TEXT_CT));
    CHECK_HAS_LINE(r.body, "# HELP esc_total Escapes: \\\\ and\\nnewline");
    CHECK_HAS_LINE(r.body, "# TYPE esc_total counter");
    CHECK_HAS_LINE(r.body, "esc_total{queue=\"a\\\"b\\\\c\\nd\",kind=\"plain\"} 2");
    CHECK_HAS_LINE(r.body, "# HELP plain_gauge A gauge");
    CHECK_HAS_LINE(r.body, "# TYPE plain_gauge gauge");
    CHECK_HAS_LINE(r.body, "plain_gauge 42");
    CHECK(r.body_len > 0 && r.body[r.body_len - 1] == '\n');
    CHECK_LACKS(r.body, "# EOF");
    http_response_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK(contains(r.headers, OM_CT));
    CHECK_HAS_LINE(r.body, "# HELP esc Escapes: \\\\ and\\nnewline");
    CHECK_HAS_LINE(r.body, "# TYPE esc counter");
    CHECK_HAS_LINE(r.body, "esc_total{queue=\"a\\\"b\\\\c\\nd\",kind=\"plain\"} 2");
    CHECK_HAS_LINE(r.body, "# TYPE plain_gauge gauge");
    CHECK_HAS_LINE(r.body, "# TYPE hams_build info");
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    CHECK_INT(strstr(r.body, "# EOF") - r.body, (long long)r.body_len - 6);
    http_response_free(&r);

    /* HEAD: same headers, no body. */
    REQUIRE(http_request(port, "HEAD", "/hams/metrics", NULL, &r, 5000) == 200);
    CHECK(contains(r.headers, TEXT_CT));
    CHECK_INT(r.body_len, 0);
    http_response_free(&r);
    /* Other methods are refused. */
    REQUIRE(http_request(port, "POST", "/hams/metrics", NULL, &r, 5000) == 405);
    http_response_free(&r);
    hams_free(h);
}

TEST(builtin_metrics) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_probe_t *p = hams_probe_new_manual(h, "db", HAMS_ALIVE | HAMS_READY, false);
    REQUIRE(p);

    http_response r;
    REQUIRE(http_request(port, "GET", "/hams/alive", NULL, &r, 5000) == 503);
    http_response_free(&r);
    REQUIRE(http_request(port, "GET", "/hams/ready/db", NULL, &r, 5000) == 503);
    http_response_free(&r);
    REQUIRE(http_request(port, "GET", "/nope", NULL, &r, 5000) == 404);
    http_response_free(&r);
    REQUIRE(scrape(port, &r) == 200);
    http_response_free(&r);
    REQUIRE(scrape(port, &r) == 200);

    static const char *const families[][2] = {
        {"hams_build_info", "gauge"},
        {"hams_check_healthy", "gauge"},
        {"hams_probe_healthy", "gauge"},
        {"hams_http_requests_total", "counter"},
        {"hams_metrics_callback_failures_total", "counter"},
        {"process_cpu_seconds_total", "counter"},
        {"process_resident_memory_bytes", "gauge"},
        {"process_virtual_memory_bytes", "gauge"},
        {"process_open_fds", "gauge"},
        {"process_max_fds", "gauge"},
        {"process_start_time_seconds", "gauge"},
    };
    char line[256];
    for (size_t i = 0; i < sizeof(families) / sizeof(*families); i++) {
        snprintf(line, sizeof(line), "# HELP %s ", families[i][0]);
        if (!has_line_prefix(r.body, line)) FAILF("no \"%s\"", line);
        snprintf(line, sizeof(line), "# TYPE %s %s", families[i][0], families[i][1]);
        CHECK_HAS_LINE(r.body, line);
    }
    snprintf(line, sizeof(line), "hams_build_info{version=\"%s\"}", hams_version());
    CHECK_SAMPLE(r.body, line, 1);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"alive\"}", 0);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"ready\"}", 0);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"startup\"}", 1);
    CHECK_SAMPLE(r.body, "hams_probe_healthy{check=\"alive\",probe=\"db\"}", 0);
    CHECK_SAMPLE(r.body, "hams_probe_healthy{check=\"ready\",probe=\"db\"}", 0);
    CHECK_LACKS(r.body, "hams_probe_healthy{check=\"startup\",probe=\"db\"}");
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/alive\",code=\"503\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/ready/{probe}\",code=\"503\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"other\",code=\"404\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/metrics\",code=\"200\"}", 1);
    /* Only non-zero series. */
    CHECK_LACKS(r.body, "path=\"/hams/version\"");
    CHECK_LACKS(r.body, "hams_http_requests_total{path=\"/hams/alive\",code=\"200\"}");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 0);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"panic\"}", 0);
    CHECK(sample_or(r.body, "process_cpu_seconds_total", -1) >= 0);
    CHECK(sample_or(r.body, "process_resident_memory_bytes", 0) > 0);
    CHECK(sample_or(r.body, "process_virtual_memory_bytes", 0) > 0);
    CHECK(sample_or(r.body, "process_open_fds", 0) >= 3);
    CHECK(sample_or(r.body, "process_max_fds", 0) >= 3);
    double start = sample_or(r.body, "process_start_time_seconds", 0);
    double now = (double)time(NULL);
    if (!(start > now - 24 * 3600 && start <= now + 5))
        FAILF("process_start_time_seconds %f, now %f", start, now);
    http_response_free(&r);

    /* Probe and checks turn healthy. */
    CHECK_OK(hams_probe_set(p, true, NULL));
    REQUIRE(http_request(port, "GET", "/hams/alive", NULL, &r, 5000) == 200);
    http_response_free(&r);
    REQUIRE(http_request(port, "GET", "/hams/version", NULL, &r, 5000) == 200);
    http_response_free(&r);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"alive\"}", 1);
    CHECK_SAMPLE(r.body, "hams_check_healthy{check=\"ready\"}", 1);
    CHECK_SAMPLE(r.body, "hams_probe_healthy{check=\"alive\",probe=\"db\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/alive\",code=\"200\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/version\",code=\"200\"}", 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/metrics\",code=\"200\"}", 2);
    http_response_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# TYPE hams_build info");
    CHECK_HAS_LINE(r.body, "# TYPE hams_http_requests counter");
    CHECK_HAS_LINE(r.body, "# TYPE hams_metrics_callback_failures counter");
    CHECK_HAS_LINE(r.body, "# TYPE process_cpu_seconds counter");
    snprintf(line, sizeof(line), "hams_build_info{version=\"%s\"}", hams_version());
    CHECK_SAMPLE(r.body, line, 1);
    CHECK_SAMPLE(r.body, "hams_http_requests_total{path=\"/hams/version\",code=\"200\"}", 1);
    http_response_free(&r);
    hams_free(h);
}
