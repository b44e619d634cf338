/*
 * Metrics API tests of the metrics callback and hams_metrics_append:
 * valid text in both formats, append errors, the size limit, and the
 * invalid texts refused as a whole.
 */
#include "helpers.h"

static const char *k_valid_cb =
    "# HELP cb_queue_depth Depth of a queue.\n"
    "# TYPE cb_queue_depth gauge\n"
    "cb_queue_depth{queue=\"mail\"} 7\n"
    "cb_queue_depth{queue=\"q\\\"x\"} 8.5\n"
    "# HELP cb_events_total Events seen.\n"
    "# TYPE cb_events_total counter\n"
    "cb_events_total 12\n"
    "# TYPE cb_lat histogram\n"
    "cb_lat_bucket{le=\"1\"} 1\n"
    "cb_lat_bucket{le=\"+Inf\"} 2\n"
    "cb_lat_sum 3.5\n"
    "cb_lat_count 2\n"
    "cb_untyped NaN\n";

TEST(callback_valid) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *app = hams_gauge_new(h, "app_gauge", "App gauge");
    REQUIRE(app);
    static int tag = 7;
    cb_reset(CB_TEXT, k_valid_cb);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, &tag));

    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK(contains(r.headers, TEXT_CT));
    CHECK(contains(r.body, k_valid_cb));
    CHECK_SAMPLE(r.body, "cb_queue_depth{queue=\"mail\"}", 7);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
    /* after hams' own and the application's families */
    const char *own = strstr(r.body, "app_gauge"), *cb = strstr(r.body, "cb_queue_depth");
    CHECK(own && cb && own < cb);
    CHECK_INT(atomic_load(&g_cb.calls), 1);
    CHECK_INT(atomic_load(&g_cb.same_thread), 0);
    http_response_free(&r);

    /* Run again for each scrape. */
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.calls), 2);
    http_response_free(&r);

    /* OpenMetrics: converted (counter family without _total, # EOF last). */
    REQUIRE(scrape_om(port, &r) == 200);
    CHECK(contains(r.headers, OM_CT));
    CHECK_HAS_LINE(r.body, "# TYPE cb_events counter");
    CHECK_HAS_LINE(r.body, "# HELP cb_events Events seen.");
    CHECK_HAS_LINE(r.body, "cb_events_total 12");
    CHECK_HAS_LINE(r.body, "cb_queue_depth{queue=\"q\\\"x\"} 8.5");
    CHECK_HAS_LINE(r.body, "cb_lat_count 2");
    CHECK_HAS_LINE(r.body, "cb_untyped NaN");
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    CHECK_INT(strstr(r.body, "# EOF") - r.body, (long long)r.body_len - 6);
    http_response_free(&r);

    /* Pieces appended in several calls; `user` is passed through. */
    cb_reset(CB_PIECES, NULL);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# HELP cb_pieces Built from pieces");
    CHECK_HAS_LINE(r.body, "cb_pieces{user=\"seven\"} 3");
    CHECK_LACKS(r.body, "cb_queue_depth");
    http_response_free(&r);

    /* Text without a final newline still ends the document cleanly. */
    cb_reset(CB_TEXT, "cb_no_newline 1");
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_no_newline 1");
    http_response_free(&r);
    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_no_newline 1");
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    http_response_free(&r);

    /* NULL removes the callback. */
    cb_reset(CB_TEXT, k_valid_cb);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    REQUIRE(scrape(port, &r) == 200);
    CHECK_LACKS(r.body, "cb_");
    CHECK_INT(atomic_load(&g_cb.calls), 0);
    CHECK(contains(r.body, "app_gauge"));
    http_response_free(&r);
    hams_free(h);
}

TEST(callback_append_errors) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    cb_reset(CB_ERRORS, NULL);
    atomic_store(&g_cb.rc_null_text, 1);
    atomic_store(&g_cb.rc_bad_utf8, 1);
    atomic_store(&g_cb.rc_empty, 1);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.rc_null_text), HAMS_ERR_NULL);
    CHECK_INT(atomic_load(&g_cb.rc_bad_utf8), HAMS_ERR_INVALID);
    CHECK_INT(atomic_load(&g_cb.rc_empty), HAMS_OK);
    CHECK_INT(atomic_load(&g_cb.err_nonempty), 1);
    /* Failed appends added nothing; the rest is served. */
    CHECK_HAS_LINE(r.body, "cb_after_errors 1");
    CHECK_LACKS(r.body, "bad_utf8");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", 0);
    http_response_free(&r);

    /* At most 4 MiB per run. */
    g_big = malloc(BIG_CHUNK + 1);
    REQUIRE(g_big);
    for (size_t i = 0; i < BIG_CHUNK; i += 64) {
        g_big[i] = '#';
        memset(g_big + i + 1, 'x', 62);
        g_big[i + 63] = '\n';
    }
    g_big[BIG_CHUNK] = '\0';
    cb_reset(CB_BIG, NULL);
    atomic_store(&g_cb.rc_big_ok, 0);
    atomic_store(&g_cb.rc_big_over, 0);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_INT(atomic_load(&g_cb.rc_big_ok), 1);
    CHECK_INT(atomic_load(&g_cb.rc_big_over), HAMS_ERR_INVALID);
    CHECK_HAS_LINE(r.body, "cb_big 1");
    CHECK(r.body_len > 3u * BIG_CHUNK && r.body_len < 4u * BIG_CHUNK);
    http_response_free(&r);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    free(g_big);
    g_big = NULL;
    hams_free(h);
}

TEST(callback_invalid) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *taken = hams_counter_new(h, "app_taken_total", "Taken");
    hams_metric_t *hist = hams_histogram_new(h, "app_hist", "Taken histogram", B3, 3);
    hams_metric_t *gauge = hams_gauge_new(h, "app_level", "Taken gauge");
    REQUIRE(taken && hist && gauge);
    CHECK_OK(hams_counter_add(taken, 5));

    static const char *const bad[] = {
        /* bad names */
        "1bad 1\n",
        "bad-name 1\n",
        "# TYPE 1bad gauge\n1bad 1\n",
        /* bad labels */
        "x{a=\"1\" 1\n",
        "x{a=1} 1\n",
        "x{1a=\"v\"} 1\n",
        "x{a=\"\\q\"} 1\n",
        "x{a-b=\"v\"} 1\n",
        /* bad values */
        "x one\n",
        "x\n",
        "x 0x1p3z\n",
        /* timestamps */
        "x 1 1700000000000\n",
        "# TYPE x gauge\nx{a=\"b\"} 1 1700000000000\n",
        /* interleaved families */
        "x 1\ny 1\nx 2\n",
        "# TYPE x gauge\nx{a=\"1\"} 1\n# TYPE y gauge\ny 1\nx{a=\"2\"} 2\n",
        /* TYPE twice or after samples */
        "# TYPE x gauge\n# TYPE x gauge\nx 1\n",
        "x 1\n# TYPE x gauge\n",
        "# TYPE x thing\nx 1\n",
        /* names already taken by hams */
        "hams_build_info 1\n",
        "# TYPE process_open_fds gauge\nprocess_open_fds 3\n",
        "hams_http_requests_total{path=\"/x\",code=\"200\"} 1\n",
        /* ... or by the application */
        "app_taken_total 1\n",
        "# TYPE app_level gauge\napp_level 2\n",
        "# TYPE app_hist histogram\napp_hist_bucket{le=\"+Inf\"} 1\napp_hist_sum 1\napp_hist_count 1\n",
        /* samples named like the series of the application's histogram */
        "app_hist_bucket{le=\"+Inf\"} 1\n",
        "app_hist_count 1\n",
        /* invalid text after a valid family drops the whole run */
        "# TYPE good gauge\ngood 1\nbad{ 1\n",
    };
    const size_t nbad = sizeof(bad) / sizeof(*bad);
    CHECK_OK(hams_set_metrics_callback(h, metrics_cb, NULL));
    http_response r;
    double seen = 0; /* the invalid count so far */
    for (size_t i = 0; i < nbad; i++) {
        cb_reset(CB_TEXT, bad[i]);
        REQUIRE(scrape(port, &r) == 200);
        double invalid =
            sample_or(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}", -1);
        if (invalid != seen + 1)
            FAILF("callback text #%zu \"%s\" was not refused: invalid count %g, "
                  "expected %g", i, bad[i], invalid, seen + 1);
        if (invalid >= 0) seen = invalid;
        /* The application's own metrics are intact and appear once. */
        CHECK_SAMPLE(r.body, "app_taken_total", 5);
        const char *first = strstr(r.body, "\napp_taken_total ");
        if (first && strstr(first + 1, "\napp_taken_total "))
            FAILF("callback text #%zu: app_taken_total appears twice", i);
        /* Nothing of the dropped text is served: the document ends with
         * the application's last family. */
        static const char tail[] = "# TYPE app_level gauge\napp_level 0\n";
        if (r.body_len < sizeof(tail) - 1 ||
            strcmp(r.body + r.body_len - (sizeof(tail) - 1), tail) != 0)
            FAILF("callback text #%zu: the document does not end with the "
                  "application's families; it ends with:\n%s", i,
                  r.body + (r.body_len > 400 ? r.body_len - 400 : 0));
        CHECK_LACKS(r.body, "\ngood 1");
        http_response_free(&r);
    }
    /* Also counted for OpenMetrics scrapes, which still end in # EOF. */
    cb_reset(CB_TEXT, "x 1 2\n");
    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}",
                 seen + 1);
    CHECK(r.body_len >= 6 && strcmp(r.body + r.body_len - 6, "# EOF\n") == 0);
    http_response_free(&r);

    /* A valid run is served again afterwards. */
    cb_reset(CB_TEXT, "# TYPE cb_ok gauge\ncb_ok 1\n");
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "cb_ok 1");
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"invalid\"}",
                 seen + 1);
    CHECK_SAMPLE(r.body, "hams_metrics_callback_failures_total{reason=\"timeout\"}", 0);
    http_response_free(&r);
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));
    hams_free(h);
}
