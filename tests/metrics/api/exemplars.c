/*
 * Metrics API tests of exemplars: hams_counter_add_exemplar and
 * hams_histogram_observe_exemplar, every kind of bad argument (a clear
 * error, nothing counted), and what an OpenMetrics scrape shows.
 */
#include "helpers.h"

/* CHECK_ERR, and hams_last_error() names the problem. */
#define CHECK_ERR_SAYS(call, code, words)                                      \
    do {                                                                       \
        CHECK_ERR(call, code);                                                 \
        if (!contains(safe_last_error(), (words)))                             \
            FAILF("%s: last_error \"%s\" does not say \"%s\"", #call,          \
                  safe_last_error(), (words));                                 \
    } while (0)

TEST(exemplar_arguments) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *c = hams_counter_new(h, "ex_total", "Counter");
    hams_metric_t *hi = hams_histogram_new(h, "ex_seconds", "Histogram", B3, 3);
    hams_metric_t *g = hams_gauge_new(h, "ex_gauge", "Gauge");
    REQUIRE(c && hi && g);

    const char *ok[] = {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", NULL};
    const char *empty[] = {NULL};
    const char *odd[] = {"trace_id", NULL};
    const char *bad_name[] = {"trace-id", "x", NULL};
    const char *digit_name[] = {"1trace", "x", NULL};
    const char *twice[] = {"a", "1", "a", "2", NULL};
    const char *bad_utf8[] = {"trace_id", "\xff\xfe", NULL};
    char long_value[130];
    memset(long_value, 'x', 121); /* "trace_id" (8) + 121 = 129 characters */
    long_value[121] = '\0';
    const char *too_long[] = {"trace_id", long_value, NULL};
    /* 128 characters, 255 bytes: the limit counts characters. */
    static char accents[300];
    for (int i = 0; i < 127; i++) memcpy(accents + 2 * i, "\xc3\xa9", 2);
    accents[254] = '\0';
    const char *at_limit[] = {"t", accents, NULL};

    CHECK_ERR_SAYS(hams_counter_add_exemplar(NULL, 1, ok), HAMS_ERR_NULL, "NULL");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(c, 1, NULL), HAMS_ERR_NULL, "labels");
    CHECK_ERR_SAYS(hams_histogram_observe_exemplar(NULL, 1, ok), HAMS_ERR_NULL, "NULL");
    CHECK_ERR_SAYS(hams_histogram_observe_exemplar(hi, 1, NULL), HAMS_ERR_NULL, "labels");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(c, 1, odd), HAMS_ERR_INVALID, "no value");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(c, 1, bad_name), HAMS_ERR_INVALID, "not valid");
    CHECK_ERR_SAYS(hams_histogram_observe_exemplar(hi, 1, digit_name), HAMS_ERR_INVALID, "not valid");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(c, 1, twice), HAMS_ERR_INVALID, "twice");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(c, 1, bad_utf8), HAMS_ERR_INVALID, "UTF-8");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(c, 1, too_long), HAMS_ERR_INVALID, "129 characters");
    CHECK_ERR_SAYS(hams_histogram_observe_exemplar(hi, 1, too_long), HAMS_ERR_INVALID, "128");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(c, -1, ok), HAMS_ERR_INVALID, "negative");
    CHECK_ERR_SAYS(hams_histogram_observe_exemplar(hi, NAN, ok), HAMS_ERR_INVALID, "NaN");
    CHECK_ERR_SAYS(hams_counter_add_exemplar(g, 1, ok), HAMS_ERR_INVALID, "gauge");
    CHECK_ERR_SAYS(hams_histogram_observe_exemplar(c, 1, ok), HAMS_ERR_INVALID, "counter");

    http_response r;
    REQUIRE(scrape_om(port, &r) == 200);
    /* Nothing was counted, and no exemplar was kept. */
    CHECK_HAS_LINE(r.body, "ex_total 0");
    CHECK_HAS_LINE(r.body, "ex_seconds_count 0");
    CHECK_LACKS(r.body, " # {");
    http_response_free(&r);

    CHECK_OK(hams_counter_add_exemplar(c, 2, ok));
    CHECK_OK(hams_counter_add_exemplar(c, 1, at_limit));
    CHECK_OK(hams_histogram_observe_exemplar(hi, 0.5, ok));
    CHECK_OK(hams_histogram_observe_exemplar(hi, 50, empty));
    REQUIRE(scrape_om(port, &r) == 200);
    /* The counter keeps its latest exemplar; each bucket its own. */
    char want[400];
    snprintf(want, sizeof want, "ex_total 3 # {t=\"%s\"} 1 ", accents);
    if (!has_line_prefix(r.body, want)) FAILF("no line starting \"%s\" in:\n%s", want, r.body);
    if (!has_line_prefix(r.body, "ex_seconds_bucket{le=\"1.0\"} 1 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 0.5 "))
        FAILF("no exemplar on le=1.0 in:\n%s", r.body);
    if (!has_line_prefix(r.body, "ex_seconds_bucket{le=\"+Inf\"} 2 # {} 50 "))
        FAILF("no exemplar on le=+Inf in:\n%s", r.body);
    CHECK_HAS_LINE(r.body, "ex_seconds_bucket{le=\"0.1\"} 0");
    http_response_free(&r);

    /* The text format 0.0.4 has no exemplars. */
    REQUIRE(scrape(port, &r) == 200);
    CHECK_LACKS(r.body, " # {");
    CHECK_SAMPLE(r.body, "ex_total", 3);
    http_response_free(&r);
    hams_free(h);
}

TEST(exemplar_on_vec_series) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    const char *names[] = {"path", NULL};
    hams_vec_t *v = hams_counter_vec_new(h, "exv_total", "Requests", names);
    REQUIRE(v);
    const char *work[] = {"/work", NULL};
    const char *trace[] = {"trace_id", "0af7651916cd43dd8448eb211c80319c", NULL};
    CHECK_OK(hams_counter_add_exemplar(hams_vec_with(v, work), 1, trace));
    http_response r;
    REQUIRE(scrape_om(port, &r) == 200);
    if (!has_line_prefix(r.body, "exv_total{path=\"/work\"} 1 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\"} 1 "))
        FAILF("no exemplar on the vec's series in:\n%s", r.body);
    http_response_free(&r);
    hams_free(h);
}
