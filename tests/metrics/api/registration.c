/*
 * Metrics API tests: duplicate registrations, families of labeled
 * series, and hams_metric_free.
 */
#include "helpers.h"

TEST(duplicate_registration) {
    hams_t *h = new_server();
    REQUIRE(h);
    hams_metric_t *c = hams_counter_new(h, "dup_total", "Dups");
    REQUIRE(c);
    CHECK_NULL_ERR(hams_counter_new(h, "dup_total", "Dups"));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "dup_total", "Dups", NULL));
    /* Same name with labels: other label names than the existing series. */
    const char *a1[] = {"a", "1", NULL};
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "dup_total", "Dups", a1));

    const char *q1[] = {"q", "mail", NULL};
    const char *q2[] = {"q", "sms", NULL};
    const char *p1[] = {"p", "mail", NULL};
    const char *q1p[] = {"q", "mail", "p", "x", NULL};
    hams_metric_t *l1 = hams_counter_new_labeled(h, "jobs_total", "Jobs", q1);
    REQUIRE(l1);
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Jobs", q1));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Other", q2));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Jobs", p1));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "jobs_total", "Jobs", q1p));
    CHECK_NULL_ERR(hams_counter_new(h, "jobs_total", "Jobs"));
    hams_metric_t *l2 = hams_counter_new_labeled(h, "jobs_total", "Jobs", q2);
    CHECK(l2 != NULL);

    /* Same name, other type. */
    hams_metric_t *g = hams_gauge_new(h, "shared", "Shared");
    REQUIRE(g);
    CHECK_NULL_ERR(hams_histogram_new(h, "shared", "Shared", B3, 3));
    CHECK_NULL_ERR(hams_gauge_new(h, "shared", "Shared"));
    CHECK_NULL_ERR(hams_gauge_new(h, "shared", "Other help"));
    hams_metric_t *hi = hams_histogram_new(h, "hist", "H", B3, 3);
    REQUIRE(hi);
    CHECK_NULL_ERR(hams_gauge_new(h, "hist", "H"));
    CHECK_NULL_ERR(hams_histogram_new(h, "hist", "H", B3, 2));

    /* After freeing, the name can be registered again. */
    CHECK_OK(hams_metric_free(c));
    c = hams_counter_new(h, "dup_total", "Dups");
    CHECK(c != NULL);
    CHECK_OK(hams_metric_free(g));
    hams_metric_t *g2 = hams_histogram_new(h, "shared", "Now a histogram", B3, 3);
    CHECK(g2 != NULL);

    /* Registrations are per hams_t. */
    hams_t *h2 = new_server();
    REQUIRE(h2);
    hams_metric_t *other = hams_counter_new(h2, "dup_total", "Dups");
    CHECK(other != NULL);
    hams_free(h2);
    hams_free(h);
}

TEST(metric_free) {
    int port = 0;
    hams_t *h = start_server(&port);
    REQUIRE(h);
    const char *a[] = {"q", "a", NULL};
    const char *b[] = {"q", "b", NULL};
    hams_metric_t *ca = hams_counter_new_labeled(h, "fr_total", "Free test", a);
    hams_metric_t *cb = hams_counter_new_labeled(h, "fr_total", "Free test", b);
    hams_metric_t *g = hams_gauge_new(h, "fr_gauge", "Free gauge");
    hams_metric_t *hi = hams_histogram_new(h, "fr_hist", "Free histogram", B3, 3);
    REQUIRE(ca && cb && g && hi);
    CHECK_OK(hams_counter_add(ca, 1));
    CHECK_OK(hams_counter_add(cb, 2));

    http_response r;
    REQUIRE(scrape(port, &r) == 200);
    CHECK_SAMPLE(r.body, "fr_total{q=\"a\"}", 1);
    CHECK_SAMPLE(r.body, "fr_total{q=\"b\"}", 2);
    CHECK_HAS_LINE(r.body, "# TYPE fr_gauge gauge");
    CHECK_HAS_LINE(r.body, "# TYPE fr_hist histogram");
    http_response_free(&r);

    CHECK_OK(hams_metric_free(ca));
    CHECK_OK(hams_metric_free(g));
    CHECK_OK(hams_metric_free(hi));
    REQUIRE(scrape(port, &r) == 200);
    CHECK_LACKS(r.body, "fr_total{q=\"a\"}");
    CHECK_SAMPLE(r.body, "fr_total{q=\"b\"}", 2);
    CHECK_HAS_LINE(r.body, "# TYPE fr_total counter");
    CHECK_LACKS(r.body, "fr_gauge");
    CHECK_LACKS(r.body, "fr_hist");
    http_response_free(&r);

    CHECK_OK(hams_metric_free(cb));
    REQUIRE(scrape(port, &r) == 200);
    CHECK_LACKS(r.body, "fr_total");
    http_response_free(&r);

    /* The name is free again; a new series starts at 0. */
    ca = hams_counter_new_labeled(h, "fr_total", "Free test", a);
    REQUIRE(ca);
    REQUIRE(scrape(port, &r) == 200);
    CHECK_SAMPLE(r.body, "fr_total{q=\"a\"}", 0);
    http_response_free(&r);
    /* Metrics left registered are freed by hams_free. */
    hams_free(h);
}
