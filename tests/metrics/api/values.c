/*
 * Metrics API tests of values: NaN and infinities, calls on the wrong
 * kind of metric, concurrent adds, histogram buckets.
 */
#include "helpers.h"

TEST(values_and_wrong_kinds) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *c = hams_counter_new(h, "v_total", "Counter");
    hams_metric_t *g = hams_gauge_new(h, "v_gauge", "Gauge");
    hams_metric_t *g_nan = hams_gauge_new(h, "v_nan", "Gauge");
    hams_metric_t *g_pinf = hams_gauge_new(h, "v_pinf", "Gauge");
    hams_metric_t *g_ninf = hams_gauge_new(h, "v_ninf", "Gauge");
    hams_metric_t *hi = hams_histogram_new(h, "v_hist", "Histogram", B3, 3);
    REQUIRE(c && g && g_nan && g_pinf && g_ninf && hi);

    CHECK_OK(hams_counter_add(c, 0.0));
    CHECK_OK(hams_counter_add(c, 1.5));
    CHECK_OK(hams_counter_add(c, 1e-3));
    CHECK_ERR(hams_counter_add(c, -1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, -1e-300), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, NAN), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, INFINITY), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(c, -INFINITY), HAMS_ERR_INVALID);

    CHECK_OK(hams_gauge_set(g, 3.0));
    CHECK_OK(hams_gauge_add(g, -2.5));
    CHECK_OK(hams_gauge_add(g, 0.25));
    CHECK_ERR(hams_gauge_add(g, NAN), HAMS_ERR_INVALID);
    CHECK_OK(hams_gauge_set(g_nan, NAN));
    CHECK_OK(hams_gauge_set(g_pinf, 1.0));
    CHECK_OK(hams_gauge_add(g_pinf, INFINITY));
    CHECK_OK(hams_gauge_set(g_ninf, -INFINITY));

    CHECK_OK(hams_histogram_observe(hi, -5.0));
    CHECK_ERR(hams_histogram_observe(hi, NAN), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(hi, INFINITY), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(hi, -INFINITY), HAMS_ERR_INVALID);

    /* Wrong kinds. */
    CHECK_ERR(hams_gauge_set(c, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_gauge_add(c, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(c, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(g, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_histogram_observe(g, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_counter_add(hi, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_gauge_set(hi, 1.0), HAMS_ERR_INVALID);
    CHECK_ERR(hams_gauge_add(hi, 1.0), HAMS_ERR_INVALID);

    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    /* Failed and wrong-kind calls changed nothing. */
    CHECK_SAMPLE(r.body, "v_total", 1.501);
    CHECK_SAMPLE(r.body, "v_gauge", 0.75);
    CHECK_HAS_LINE(r.body, "v_nan NaN");
    CHECK_HAS_LINE(r.body, "v_pinf +Inf");
    CHECK_HAS_LINE(r.body, "v_ninf -Inf");
    CHECK_SAMPLE(r.body, "v_hist_count", 1);
    CHECK_SAMPLE(r.body, "v_hist_sum", -5);
    CHECK_SAMPLE(r.body, "v_hist_bucket{le=\"0.1\"}", 1);
    http_response_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "v_nan NaN");
    CHECK_HAS_LINE(r.body, "v_pinf +Inf");
    CHECK_HAS_LINE(r.body, "v_ninf -Inf");
    http_response_free(&r);
    hams_free(h);
}

struct adder {
    hams_metric_t *m;
    atomic_int errors;
};

static void *add_loop(void *arg) {
    struct adder *a = arg;
    for (int i = 0; i < 100000; i++)
        if (hams_counter_add(a->m, 1.0) != HAMS_OK) atomic_fetch_add(&a->errors, 1);
    return NULL;
}

TEST(concurrent_counter) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    struct adder a;
    a.m = hams_counter_new(h, "conc_total", "Concurrent adds");
    atomic_init(&a.errors, 0);
    REQUIRE(a.m);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) REQUIRE(pthread_create(&t[i], NULL, add_loop, &a) == 0);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    CHECK_INT(atomic_load(&a.errors), 0);
    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "conc_total 400000");
    http_response_free(&r);
    hams_free(h);
}

static void check_histogram(const char *body, const char *name,
                            const char *labels, const double *bounds,
                            size_t n, const double *want, double want_sum) {
    char series[256];
    double prev = 0;
    for (size_t i = 0; i <= n; i++) {
        char le[64];
        if (i < n)
            snprintf(le, sizeof(le), "%.17g", bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        /* the bound as printed may differ ("1" vs "1.0"): find by value */
        snprintf(series, sizeof(series), "%s_bucket{%s%sle=\"", name,
                 labels, labels[0] ? "," : "");
        const char *p = body, *found = NULL;
        while ((p = strstr(p, series)) != NULL) {
            const char *q = p + strlen(series);
            char *end;
            double b = strtod(q, &end);
            if (end != q && *end == '"' &&
                ((i == n && isinf(b) && b > 0) || (i < n && b == bounds[i]))) {
                found = end + 3; /* skip '"} ' */
                break;
            }
            p = q;
        }
        if (!found) {
            FAILF("no bucket le=%s for %s{%s} in:\n%s", le, name, labels, body);
            return;
        }
        double v = strtod(found, NULL);
        if (v != want[i]) FAILF("%s bucket le=%s = %g, expected %g", name, le, v, want[i]);
        if (v < prev) FAILF("%s bucket le=%s = %g < previous %g", name, le, v, prev);
        prev = v;
    }
    snprintf(series, sizeof(series), "%s_count%s%s%s", name, labels[0] ? "{" : "",
             labels, labels[0] ? "}" : "");
    double count = -1;
    if (!sample(body, series, &count)) FAILF("no %s", series);
    if (count != prev) FAILF("%s = %g, but the +Inf bucket is %g", series, count, prev);
    snprintf(series, sizeof(series), "%s_sum%s%s%s", name, labels[0] ? "{" : "",
             labels, labels[0] ? "}" : "");
    double sum = NAN;
    if (!sample(body, series, &sum)) FAILF("no %s", series);
    else if (fabs(sum - want_sum) > 1e-9 * fabs(want_sum) + 1e-12)
        FAILF("%s = %.17g, expected %.17g", series, sum, want_sum);
}

TEST(histogram_buckets) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    hams_metric_t *hi = hams_histogram_new(h, "lat_seconds", "Latency", B3, 3);
    const char *labels[] = {"op", "read", NULL};
    hams_metric_t *hl =
        hams_histogram_new_labeled(h, "op_seconds", "By op", B3, 3, labels);
    REQUIRE(hi && hl);
    const double obs[] = {0.05, 0.1, -3.0, 0.5, 1.0, 5.0, 100.0, 10.0, 10.000001};
    double sum = 0;
    for (size_t i = 0; i < sizeof(obs) / sizeof(*obs); i++) {
        CHECK_OK(hams_histogram_observe(hi, obs[i]));
        sum += obs[i];
    }
    CHECK_OK(hams_histogram_observe(hl, 2.0));

    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# TYPE lat_seconds histogram");
    /* upper bounds are inclusive: 0.1 is in le="0.1", 1 in le="1", 10 in le="10" */
    const double want[] = {3, 5, 7, 9};
    check_histogram(r.body, "lat_seconds", "", B3, 3, want, sum);
    const double want_l[] = {0, 0, 1, 1};
    check_histogram(r.body, "op_seconds", "op=\"read\"", B3, 3, want_l, 2.0);
    CHECK_HAS_LINE(r.body, "op_seconds_bucket{op=\"read\",le=\"+Inf\"} 1");
    http_response_free(&r);

    REQUIRE(scrape_om(port, &r) == 200);
    CHECK_HAS_LINE(r.body, "# TYPE lat_seconds histogram");
    check_histogram(r.body, "lat_seconds", "", B3, 3, want, sum);
    check_histogram(r.body, "op_seconds", "op=\"read\"", B3, 3, want_l, 2.0);
    http_response_free(&r);
    hams_free(h);
}
