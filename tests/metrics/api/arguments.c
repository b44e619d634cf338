/*
 * Metrics API tests: NULL arguments, invalid UTF-8, and the names,
 * labels, buckets and help texts the constructors refuse.
 */
#include "helpers.h"

#include <stdio.h>

TEST(null_arguments) {
    hams_t *h = new_server();
    REQUIRE(h);
    const char *labels[] = {"k", "v", NULL};

    CHECK_NULL_ERR(hams_counter_new(NULL, "a_total", "help"));
    CHECK_NULL_ERR(hams_counter_new(h, NULL, "help"));
    CHECK_NULL_ERR(hams_counter_new(h, "a_total", NULL));
    CHECK_NULL_ERR(hams_counter_new_labeled(NULL, "a_total", "help", labels));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, NULL, "help", labels));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "a_total", NULL, labels));

    CHECK_NULL_ERR(hams_gauge_new(NULL, "g", "help"));
    CHECK_NULL_ERR(hams_gauge_new(h, NULL, "help"));
    CHECK_NULL_ERR(hams_gauge_new(h, "g", NULL));
    CHECK_NULL_ERR(hams_gauge_new_labeled(NULL, "g", "help", labels));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, NULL, "help", labels));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "g", NULL, labels));

    CHECK_NULL_ERR(hams_histogram_new(NULL, "hi", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, NULL, "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "hi", NULL, B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "hi", "help", NULL, 3));
    CHECK_NULL_ERR(hams_histogram_new_labeled(NULL, "hi", "help", B3, 3, labels));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, NULL, "help", B3, 3, labels));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "hi", NULL, B3, 3, labels));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "hi", "help", NULL, 3, labels));

    /* A label name without its value (the NULL ends the array early). */
    const char *odd1[] = {"k", NULL};
    const char *odd2[] = {"k", "v", "k2", NULL};
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "a_total", "help", odd1));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "g", "help", odd2));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "hi", "help", B3, 3, odd2));

    /* labels NULL is the unlabeled series. */
    CHECK_CREATES(hams_counter_new_labeled(h, "a_total", "help", NULL));
    CHECK_CREATES(hams_gauge_new_labeled(h, "g", "help", NULL));
    CHECK_CREATES(hams_histogram_new_labeled(h, "hi", "help", B3, 3, NULL));
    /* An empty label array too. */
    const char *none[] = {NULL};
    CHECK_CREATES(hams_counter_new_labeled(h, "a_total", "help", none));

    CHECK_ERR(hams_counter_add(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_gauge_set(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_gauge_add(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_histogram_observe(NULL, 1.0), HAMS_ERR_NULL);
    CHECK_ERR(hams_metric_free(NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_set_metrics_callback(NULL, NULL, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_metrics_append(NULL, "x 1\n"), HAMS_ERR_NULL);
    CHECK_ERR(hams_metrics_append(NULL, NULL), HAMS_ERR_NULL);
    /* NULL callback on a valid handle removes (none installed: still OK). */
    CHECK_OK(hams_set_metrics_callback(h, NULL, NULL));

    hams_free(h);
}

TEST(invalid_utf8) {
    hams_t *h = new_server();
    REQUIRE(h);
    const char *bad_key[] = {"k\xff", "v", NULL};
    const char *bad_val[] = {"k", "\xc3\x28", NULL};
    const char *bad_val2[] = {"k", "ok\xed\xa0\x80", NULL}; /* a surrogate */

    CHECK_NULL_ERR(hams_counter_new(h, "u\xff_total", "help"));
    CHECK_NULL_ERR(hams_counter_new(h, "u_total", "help \xff"));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "u_total", "help", bad_key));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "u_total", "help", bad_val));
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "u_total", "help", bad_val2));
    CHECK_NULL_ERR(hams_gauge_new(h, "\xe2\x82", "help"));
    CHECK_NULL_ERR(hams_gauge_new(h, "ug", "\xc0\xaf"));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "ug", "help", bad_val));
    CHECK_NULL_ERR(hams_histogram_new(h, "uh\x80", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "uh", "\xff", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "uh", "help", B3, 3, bad_key));
    /* Valid multi-byte UTF-8 is fine in help and label values. */
    const char *utf8[] = {"city", "Z\xc3\xbcrich \xe2\x9c\x93", NULL};
    CHECK_CREATES(hams_counter_new_labeled(h, "u_total",
                                           "help \xc3\xa9\xe2\x82\xac", utf8));
    hams_free(h);
}

TEST(invalid_metric_names) {
    hams_t *h = new_server();
    REQUIRE(h);
    static const char *const bad_counters[] = {
        "",           "jobs",        "jobs_Total",  "a:b_total",  ":a_total",
        "1x_total",   "__x_total",   "__total",     "a-b_total",  "a b_total",
        "a.b_total",  "\xc3\xa9_total", "a_total\n", "_total_",   "x_totals",
    };
    for (size_t i = 0; i < sizeof(bad_counters) / sizeof(*bad_counters); i++) {
        hams_metric_t *m = hams_counter_new(h, bad_counters[i], "help");
        if (m) {
            FAILF("hams_counter_new(\"%s\") succeeded", bad_counters[i]);
            hams_metric_free(m);
        } else if (!last_error_nonempty()) {
            FAILF("hams_counter_new(\"%s\"): empty last_error", bad_counters[i]);
        }
    }
    static const char *const bad_others[] = {
        "",    "x_total", "a:b",   "1x",  "__x", "a-b", "a b",
        "a.b", "\xc3\xa9", "x\t",  "9",   "__",
    };
    for (size_t i = 0; i < sizeof(bad_others) / sizeof(*bad_others); i++) {
        hams_metric_t *g = hams_gauge_new(h, bad_others[i], "help");
        hams_metric_t *hi = hams_histogram_new(h, bad_others[i], "help", B3, 3);
        if (g || hi) FAILF("name \"%s\" accepted (gauge %p, histogram %p)",
                           bad_others[i], (void *)g, (void *)hi);
        if (g) hams_metric_free(g);
        if (hi) hams_metric_free(hi);
    }
    /* Histogram names must not end like their own samples. */
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_bucket", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_sum", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_count", "help", B3, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "lat_total", "help", B3, 3));
    /* Built-in names are refused, whatever the type asked for. */
    static const char *const builtin_counters[] = {
        "hams_http_requests_total", "hams_metrics_callback_failures_total",
        "process_cpu_seconds_total",
    };
    static const char *const builtin_gauges[] = {
        "hams_build_info",         "hams_check_healthy",
        "hams_probe_healthy",      "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds",
        "process_max_fds",         "process_start_time_seconds",
    };
    for (size_t i = 0; i < 3; i++)
        CHECK_NULL_ERR(hams_counter_new(h, builtin_counters[i], "help"));
    for (size_t i = 0; i < sizeof(builtin_gauges) / sizeof(*builtin_gauges); i++) {
        CHECK_NULL_ERR(hams_gauge_new(h, builtin_gauges[i], "help"));
        CHECK_NULL_ERR(hams_histogram_new(h, builtin_gauges[i], "help", B3, 3));
    }
    /* Empty help. */
    CHECK_NULL_ERR(hams_counter_new(h, "ok_total", ""));
    CHECK_NULL_ERR(hams_gauge_new(h, "ok", ""));
    CHECK_NULL_ERR(hams_histogram_new(h, "ok", "", B3, 3));
    /* Control characters other than newline in help. */
    CHECK_NULL_ERR(hams_counter_new(h, "ok_total", "tab\there"));
    CHECK_NULL_ERR(hams_gauge_new(h, "ok", "bell\a"));

    /* Valid names. */
    CHECK_CREATES(hams_counter_new(h, "_private_total", "help"));
    CHECK_CREATES(hams_counter_new(h, "A9_b_total", "help"));
    CHECK_CREATES(hams_counter_new(h, "_total", "help"));
    CHECK_CREATES(hams_gauge_new(h, "_", "help"));
    CHECK_CREATES(hams_gauge_new(h, "Temp_C2", "help"));
    CHECK_CREATES(hams_gauge_new(h, "total", "help"));
    CHECK_CREATES(hams_histogram_new(h, "lat_seconds", "help", B3, 3));
    CHECK_CREATES(hams_histogram_new(h, "bucket", "help", B3, 3));
    /* Help may hold a backslash and a newline (escaped in the output). */
    CHECK_CREATES(hams_gauge_new(h, "multi", "line one\nline \\two"));
    hams_free(h);
}

TEST(invalid_labels) {
    hams_t *h = new_server();
    REQUIRE(h);
    static const char *const bad_names[] = {
        "", "1a", "__a", "__", "a-b", "a b", "a.b", "a:b", "\xc3\xa9", "a\n",
    };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++) {
        const char *labels[] = {bad_names[i], "v", NULL};
        hams_metric_t *c = hams_counter_new_labeled(h, "l_total", "help", labels);
        hams_metric_t *g = hams_gauge_new_labeled(h, "l", "help", labels);
        hams_metric_t *hi =
            hams_histogram_new_labeled(h, "lh", "help", B3, 3, labels);
        if (c || g || hi)
            FAILF("label name \"%s\" accepted", bad_names[i]);
        else if (!last_error_nonempty())
            FAILF("label name \"%s\": empty last_error", bad_names[i]);
        if (c) hams_metric_free(c);
        if (g) hams_metric_free(g);
        if (hi) hams_metric_free(hi);
    }
    const char *dup[] = {"a", "1", "b", "2", "a", "3", NULL};
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "l_total", "help", dup));
    CHECK_NULL_ERR(hams_gauge_new_labeled(h, "l", "help", dup));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "lh", "help", B3, 3, dup));
    /* At most 64 labels. */
    static char names[65][8];
    const char *many[2 * 65 + 1];
    for (int i = 0; i < 65; i++) {
        snprintf(names[i], sizeof(names[i]), "l%d", i);
        many[2 * i] = names[i];
        many[2 * i + 1] = "v";
    }
    many[2 * 65] = NULL;
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "l_total", "help", many));
    many[2 * 64] = NULL;
    CHECK_CREATES(hams_counter_new_labeled(h, "l_total", "help", many));
    /* `le` is reserved for histogram buckets. */
    const char *le[] = {"le", "1", NULL};
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "lh", "help", B3, 3, le));

    /* Valid label names and values (any UTF-8, empty included). */
    const char *ok[] = {"_a", "", "B9", "x\"y\\z\nw", "c", "\xe2\x9c\x93", NULL};
    CHECK_CREATES(hams_counter_new_labeled(h, "l_total", "help", ok));
    CHECK_CREATES(hams_gauge_new_labeled(h, "l", "help", ok));
    CHECK_CREATES(hams_histogram_new_labeled(h, "lh", "help", B3, 3, ok));
    hams_free(h);
}

TEST(invalid_buckets) {
    hams_t *h = new_server();
    REQUIRE(h);
    const double nan_b[] = {0.1, NAN, 1.0};
    const double inf_b[] = {0.1, 1.0, INFINITY};
    const double ninf_b[] = {-INFINITY, 0.0};
    const double dec[] = {1.0, 0.5};
    const double eq[] = {1.0, 2.0, 2.0};
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", B3, 0));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", nan_b, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", inf_b, 3));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", ninf_b, 2));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", dec, 2));
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", eq, 3));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "b", "help", dec, 2, NULL));
    CHECK_NULL_ERR(hams_histogram_new_labeled(h, "b", "help", B3, 0, NULL));

    static double many[1025];
    for (size_t i = 0; i < 1025; i++) many[i] = (double)i;
    CHECK_NULL_ERR(hams_histogram_new(h, "b", "help", many, 1025));
    CHECK_CREATES(hams_histogram_new(h, "b", "help", many, 1024));
    CHECK_CREATES(hams_histogram_new(h, "b", "help", many, 1));
    const double neg[] = {-10.0, -0.5, 0.0, 1e300};
    CHECK_CREATES(hams_histogram_new(h, "b", "help", neg, 4));
    hams_free(h);
}
