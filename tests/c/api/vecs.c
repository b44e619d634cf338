/*
 * C API tests: metric vecs (hams_*_vec_new, hams_vec_with, hams_vec_remove,
 * hams_vec_free), native histograms, the default buckets and the bucket
 * helpers; every error they report.
 */
#include "helpers.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const PATH_CODE[] = {"path", "code", NULL};

/* The scrape of `port` into g_resp. */
static void scrape(int port) { CHECK_GET(port, "/hams/metrics", 200); }

TEST(vec_series_are_made_once_and_scraped) {
    int port;
    hams_t *h = start_server("vecs", &port);
    REQUIRE(h != NULL);
    hams_vec_t *req = hams_counter_vec_new(h, "req_total", "Requests.", PATH_CODE);
    REQUIRE(req != NULL);
    const char *const ok[] = {"/", "200", NULL};
    const char *const err[] = {"/x", "500", NULL};
    hams_metric_t *m = hams_vec_with(req, ok);
    REQUIRE(m != NULL);
    CHECK(hams_vec_with(req, ok) == m);
    CHECK_OK(hams_counter_add(m, 2));
    CHECK_OK(hams_counter_add(hams_vec_with(req, err), 1));
    CHECK_ERR(hams_gauge_set(m, 1), HAMS_ERR_INVALID);

    const char *const room[] = {"room", NULL};
    hams_vec_t *temp = hams_gauge_vec_new(h, "temp_celsius", "Temperature.", room);
    REQUIRE(temp != NULL);
    const char *const kitchen[] = {"kit\"chen", NULL};
    CHECK_OK(hams_gauge_set(hams_vec_with(temp, kitchen), -3.5));

    scrape(port);
    CHECK_BODY_HAS("# TYPE req_total counter\n"
                   "req_total{path=\"/\",code=\"200\"} 2\n"
                   "req_total{path=\"/x\",code=\"500\"} 1\n");
    CHECK_BODY_HAS("temp_celsius{room=\"kit\\\"chen\"} -3.5\n");

    CHECK_OK(hams_vec_remove(req, ok));
    CHECK_ERR(hams_vec_remove(req, ok), HAMS_ERR_INVALID);
    CHECK_ERR_HAS("no series");
    scrape(port);
    CHECK_BODY_LACKS("req_total{path=\"/\",code=\"200\"}");
    CHECK_BODY_HAS("req_total{path=\"/x\",code=\"500\"} 1\n");
    /* Made again, from zero. */
    hams_metric_t *again = hams_vec_with(req, ok);
    REQUIRE(again != NULL);
    scrape(port);
    CHECK_BODY_HAS("req_total{path=\"/\",code=\"200\"} 0\n");

    CHECK_OK(hams_vec_free(req));
    scrape(port);
    CHECK_BODY_LACKS("req_total");
    /* The name is free again, for any kind. */
    hams_metric_t *alone = hams_gauge_new(h, "req", "Now a gauge.");
    CHECK(alone != NULL);
    /* temp is left to hams_free, with its series. */
    hams_free(h);
}

TEST(vec_histograms_and_default_buckets) {
    int port;
    hams_t *h = start_server("vech", &port);
    REQUIRE(h != NULL);
    const char *const op[] = {"op", NULL};
    hams_vec_t *lat = hams_histogram_vec_new(h, "lat_seconds", "Latency.", NULL, 0, op);
    REQUIRE(lat != NULL);
    const char *const get_[] = {"get", NULL};
    hams_metric_t *m = hams_vec_with(lat, get_);
    REQUIRE(m != NULL);
    CHECK_OK(hams_histogram_observe(m, 0.003));
    CHECK_OK(hams_histogram_observe(m, 0.2));
    CHECK_OK(hams_histogram_observe(m, 20));
    CHECK_ERR(hams_counter_add(m, 1), HAMS_ERR_INVALID);
    hams_metric_t *alone = hams_histogram_new(h, "alone_seconds", "Alone.", NULL, 0);
    REQUIRE(alone != NULL);
    CHECK_OK(hams_histogram_observe(alone, 7));
    static const double B2[] = {1, 2};
    hams_vec_t *two = hams_histogram_vec_new(h, "two", "Two buckets.", B2, 2, op);
    REQUIRE(two != NULL);
    CHECK_OK(hams_histogram_observe(hams_vec_with(two, get_), 1.5));

    scrape(port);
    CHECK_BODY_HAS("lat_seconds_bucket{op=\"get\",le=\"0.005\"} 1\n"
                   "lat_seconds_bucket{op=\"get\",le=\"0.01\"} 1\n"
                   "lat_seconds_bucket{op=\"get\",le=\"0.025\"} 1\n"
                   "lat_seconds_bucket{op=\"get\",le=\"0.05\"} 1\n"
                   "lat_seconds_bucket{op=\"get\",le=\"0.1\"} 1\n"
                   "lat_seconds_bucket{op=\"get\",le=\"0.25\"} 2\n"
                   "lat_seconds_bucket{op=\"get\",le=\"0.5\"} 2\n"
                   "lat_seconds_bucket{op=\"get\",le=\"1\"} 2\n"
                   "lat_seconds_bucket{op=\"get\",le=\"2.5\"} 2\n"
                   "lat_seconds_bucket{op=\"get\",le=\"5\"} 2\n"
                   "lat_seconds_bucket{op=\"get\",le=\"10\"} 2\n"
                   "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 3\n"
                   "lat_seconds_sum{op=\"get\"} 20.203\n"
                   "lat_seconds_count{op=\"get\"} 3\n");
    CHECK_BODY_HAS("alone_seconds_bucket{le=\"5\"} 0\nalone_seconds_bucket{le=\"10\"} 1\n");
    CHECK_BODY_HAS("two_bucket{op=\"get\",le=\"2\"} 1\ntwo_bucket{op=\"get\",le=\"+Inf\"} 1\n");
    hams_free(h);
}

TEST(native_histograms) {
    int port;
    hams_t *h = start_server("native", &port);
    REQUIRE(h != NULL);
    hams_metric_t *n = hams_histogram_native_new(h, "rt_seconds", "Response time.", 1.1, 160);
    REQUIRE(n != NULL);
    CHECK_OK(hams_histogram_observe(n, -2));
    CHECK_OK(hams_histogram_observe(n, 0));
    CHECK_OK(hams_histogram_observe(n, 0.5));
    CHECK_ERR(hams_histogram_observe(n, NAN), HAMS_ERR_INVALID);
    CHECK_ERR(hams_gauge_set(n, 1), HAMS_ERR_INVALID);
    const char *const op[] = {"op", NULL};
    hams_vec_t *v = hams_histogram_native_vec_new(h, "op_seconds", "Per op.", 2, 0, op);
    REQUIRE(v != NULL);
    const char *const put[] = {"put", NULL};
    CHECK_OK(hams_histogram_observe(hams_vec_with(v, put), 4));

    scrape(port);
    CHECK_BODY_HAS("# TYPE rt_seconds histogram\n"
                   "rt_seconds_bucket{le=\"+Inf\"} 3\n"
                   "rt_seconds_sum -1.5\n"
                   "rt_seconds_count 3\n");
    CHECK_BODY_HAS("op_seconds_bucket{op=\"put\",le=\"+Inf\"} 1\n"
                   "op_seconds_sum{op=\"put\"} 4\n"
                   "op_seconds_count{op=\"put\"} 1\n");

    static const double bad_factor[] = {1.0, 0.5, 0.0, -2.0, NAN, INFINITY};
    for (size_t i = 0; i < sizeof(bad_factor) / sizeof(bad_factor[0]); i++) {
        CHECK_NULL_ERR(hams_histogram_native_new(h, "bad", "Bad.", bad_factor[i], 0));
        CHECK_ERR_HAS("bucket_factor");
        CHECK_NULL_ERR(hams_histogram_native_vec_new(h, "bad", "Bad.", bad_factor[i], 0, op));
    }
    const char *const le[] = {"le", NULL};
    CHECK_NULL_ERR(hams_histogram_native_vec_new(h, "bad", "Bad.", 1.1, 0, le));
    CHECK_NULL_ERR(hams_histogram_native_new(h, "bad_count", "Bad.", 1.1, 0));
    CHECK_NULL_ERR(hams_histogram_native_new(h, "rt_seconds", "Again.", 1.1, 0));
    CHECK_NULL_ERR(hams_histogram_native_new(NULL, "x", "X.", 1.1, 0));
    CHECK_NULL_ERR(hams_histogram_native_new(h, NULL, "X.", 1.1, 0));
    CHECK_NULL_ERR(hams_histogram_native_new(h, "x", NULL, 1.1, 0));
    CHECK_NULL_ERR(hams_histogram_native_new(h, "x\xff", "X.", 1.1, 0));
    CHECK_OK(hams_metric_free(n));
    hams_free(h);
}

TEST(vec_null_and_utf8_arguments) {
    hams_t *h = hams_new("vecnull", "1");
    REQUIRE(h != NULL);
    static const double B1[] = {1};
    CHECK_NULL_ERR(hams_counter_vec_new(NULL, "a_total", "A.", PATH_CODE));
    CHECK_INT(hams_last_error_code(), HAMS_ERR_NULL);
    CHECK_NULL_ERR(hams_counter_vec_new(h, NULL, "A.", PATH_CODE));
    CHECK_NULL_ERR(hams_counter_vec_new(h, "a_total", NULL, PATH_CODE));
    CHECK_NULL_ERR(hams_counter_vec_new(h, "a_total", "A.", NULL));
    CHECK_INT(hams_last_error_code(), HAMS_ERR_NULL);
    CHECK_ERR_HAS("label_names is NULL");
    CHECK_NULL_ERR(hams_gauge_vec_new(NULL, "g", "G.", PATH_CODE));
    CHECK_NULL_ERR(hams_gauge_vec_new(h, "g", "G.", NULL));
    CHECK_NULL_ERR(hams_histogram_vec_new(NULL, "hh", "H.", B1, 1, PATH_CODE));
    CHECK_NULL_ERR(hams_histogram_vec_new(h, "hh", "H.", NULL, 1, PATH_CODE));
    CHECK_INT(hams_last_error_code(), HAMS_ERR_NULL);
    CHECK_NULL_ERR(hams_histogram_vec_new(h, "hh", "H.", B1, 0, PATH_CODE));
    CHECK_INT(hams_last_error_code(), HAMS_ERR_INVALID);
    CHECK_NULL_ERR(hams_histogram_vec_new(h, "hh", "H.", B1, 1, NULL));
    CHECK_NULL_ERR(hams_histogram_native_vec_new(NULL, "n", "N.", 1.1, 0, PATH_CODE));
    CHECK_NULL_ERR(hams_histogram_native_vec_new(h, "n", "N.", 1.1, 0, NULL));

    CHECK_NULL_ERR(hams_counter_vec_new(h, "a\xff_total", "A.", PATH_CODE));
    CHECK_ERR_HAS("not valid UTF-8");
    CHECK_NULL_ERR(hams_counter_vec_new(h, "a_total", "\xc3", PATH_CODE));
    const char *const bad_name[] = {"pa\xfft", NULL};
    CHECK_NULL_ERR(hams_counter_vec_new(h, "a_total", "A.", bad_name));
    CHECK_ERR_HAS("label name is not valid UTF-8");

    hams_vec_t *v = hams_counter_vec_new(h, "a_total", "A.", PATH_CODE);
    REQUIRE(v != NULL);
    CHECK_NULL_ERR(hams_vec_with(NULL, PATH_CODE));
    CHECK_INT(hams_last_error_code(), HAMS_ERR_NULL);
    CHECK_NULL_ERR(hams_vec_with(v, NULL));
    CHECK_INT(hams_last_error_code(), HAMS_ERR_NULL);
    CHECK_ERR_HAS("label_values is NULL");
    const char *const bad_value[] = {"/", "2\xff", NULL};
    CHECK_NULL_ERR(hams_vec_with(v, bad_value));
    CHECK_ERR_HAS("label value is not valid UTF-8");
    CHECK_ERR(hams_vec_remove(NULL, PATH_CODE), HAMS_ERR_NULL);
    CHECK_ERR(hams_vec_remove(v, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_vec_remove(v, bad_value), HAMS_ERR_INVALID);
    CHECK_ERR(hams_vec_free(NULL), HAMS_ERR_NULL);
    /* A hams_t is not a vec. */
    CHECK_ERR(hams_vec_free((hams_vec_t *)(void *)h), HAMS_ERR_INVALID);
    CHECK_ERR_HAS("not a live vec handle");
    hams_free(h);
}

TEST(vec_label_errors) {
    hams_t *h = hams_new("veclabels", "1");
    REQUIRE(h != NULL);
    hams_vec_t *v = hams_counter_vec_new(h, "l_total", "L.", PATH_CODE);
    REQUIRE(v != NULL);
    const char *const none[] = {NULL};
    const char *const one[] = {"/", NULL};
    const char *const three[] = {"/", "200", "x", NULL};
    CHECK_NULL_ERR(hams_vec_with(v, none));
    CHECK_ERR_HAS("0 label values for 2 label names");
    CHECK_NULL_ERR(hams_vec_with(v, one));
    CHECK_ERR_HAS("1 label values for 2 label names");
    CHECK_NULL_ERR(hams_vec_with(v, three));
    CHECK_ERR_HAS("more label values than the 2 label names");
    CHECK_ERR(hams_vec_remove(v, one), HAMS_ERR_INVALID);
    CHECK_ERR(hams_vec_remove(v, three), HAMS_ERR_INVALID);
    /* Any text is a value, the empty string too. */
    const char *const empty[] = {"", "", NULL};
    CHECK(hams_vec_with(v, empty) != NULL);

    const char *const *const bad_names[] = {
        (const char *const[]){"1a", NULL},   (const char *const[]){"__x", NULL},
        (const char *const[]){"a-b", NULL},  (const char *const[]){"", NULL},
        (const char *const[]){"a", "a", NULL},
    };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        CHECK_NULL_ERR(hams_counter_vec_new(h, "b_total", "B.", bad_names[i]));
        CHECK_NULL_ERR(hams_gauge_vec_new(h, "b", "B.", bad_names[i]));
    }
    const char *const le[] = {"x", "le", NULL};
    CHECK_NULL_ERR(hams_histogram_vec_new(h, "b", "B.", NULL, 0, le));
    CHECK_ERR_HAS("le is reserved");
    CHECK(hams_gauge_vec_new(h, "le_is_fine_here", "Gauge.", le) != NULL);

    /* At most 64 label names. */
    const char *many[66];
    char names[65][8];
    for (int i = 0; i < 65; i++) {
        snprintf(names[i], sizeof(names[i]), "l%d", i);
        many[i] = names[i];
    }
    many[65] = NULL;
    CHECK_NULL_ERR(hams_counter_vec_new(h, "many_total", "M.", many));
    CHECK_ERR_HAS("more than 64 label names");
    many[64] = NULL;
    hams_vec_t *most = hams_counter_vec_new(h, "most_total", "M.", many);
    REQUIRE(most != NULL);
    CHECK(hams_vec_with(most, many) != NULL);
    hams_free(h);
}

TEST(vec_name_clashes) {
    hams_t *h = hams_new("vecclash", "1");
    REQUIRE(h != NULL);
    hams_metric_t *alone = hams_counter_new(h, "alone_total", "Alone.");
    REQUIRE(alone != NULL);
    CHECK_NULL_ERR(hams_counter_vec_new(h, "alone_total", "Alone.", PATH_CODE));
    CHECK_ERR_HAS("already registered");
    hams_vec_t *v = hams_counter_vec_new(h, "v_total", "V.", PATH_CODE);
    REQUIRE(v != NULL);
    CHECK_NULL_ERR(hams_counter_vec_new(h, "v_total", "V.", PATH_CODE));
    CHECK_NULL_ERR(hams_gauge_vec_new(h, "v", "Clashes with v_total.", PATH_CODE));
    CHECK_ERR_HAS("clashes with v_total");
    CHECK_NULL_ERR(hams_gauge_vec_new(h, "v_created", "Clashes too.", PATH_CODE));
    const char *const labels[] = {"path", "/", "code", "200", NULL};
    CHECK_NULL_ERR(hams_counter_new_labeled(h, "v_total", "V.", labels));
    CHECK_ERR_HAS("vec's family");
    CHECK_NULL_ERR(hams_counter_vec_new(h, "process_cpu_seconds_total", "P.", PATH_CODE));
    CHECK_NULL_ERR(hams_counter_vec_new(h, "no_suffix", "N.", PATH_CODE));
    CHECK_NULL_ERR(hams_gauge_vec_new(h, "g_total", "G.", PATH_CODE));
    CHECK_NULL_ERR(hams_histogram_vec_new(h, "h_bucket", "H.", NULL, 0, PATH_CODE));
    CHECK_NULL_ERR(hams_gauge_vec_new(h, "ok", "", PATH_CODE));
    CHECK_NULL_ERR(hams_gauge_vec_new(h, "ok", "bad\x01help", PATH_CODE));
    static const double down[] = {2, 1};
    CHECK_NULL_ERR(hams_histogram_vec_new(h, "hv", "H.", down, 2, PATH_CODE));
    CHECK_ERR_HAS("strictly increasing");

    /* A vec's series belong to it. */
    const char *const vals[] = {"/", "200", NULL};
    hams_metric_t *m = hams_vec_with(v, vals);
    REQUIRE(m != NULL);
    CHECK_ERR(hams_metric_free(m), HAMS_ERR_INVALID);
    CHECK_ERR_HAS("belongs to a vec");
    CHECK_OK(hams_counter_add(m, 1));
    CHECK_OK(hams_metric_free(alone));
    hams_free(h);
}

struct race {
    hams_vec_t *v;
    pthread_barrier_t *start;
    hams_metric_t *got;
};

static void *first_use(void *arg) {
    struct race *r = arg;
    const char *const same[] = {"/same", "200", NULL};
    pthread_barrier_wait(r->start);
    r->got = hams_vec_with(r->v, same);
    for (int i = 0; i < 1000; i++) {
        char path[16];
        snprintf(path, sizeof(path), "/%d", i % 50);
        const char *const other[] = {path, "200", NULL};
        hams_counter_add(hams_vec_with(r->v, other), 1);
        hams_counter_add(r->got, 1);
    }
    return NULL;
}

TEST(vec_concurrent_first_use) {
    int port;
    hams_t *h = start_server("vecrace", &port);
    REQUIRE(h != NULL);
    hams_vec_t *v = hams_counter_vec_new(h, "race_total", "Race.", PATH_CODE);
    REQUIRE(v != NULL);
    enum { N = 8 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    struct race r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct race){v, &start, NULL};
        pthread_create(&t[i], NULL, first_use, &r[i]);
    }
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < N; i++) CHECK(r[i].got != NULL && r[i].got == r[0].got);
    scrape(port);
    CHECK_BODY_HAS("race_total{path=\"/same\",code=\"200\"} 8000\n");
    CHECK_BODY_HAS("race_total{path=\"/7\",code=\"200\"} 160\n");
    CHECK_INT(count_occurrences(g_resp.body, "race_total{"), 51);
    hams_free(h);
}

TEST(bucket_helpers) {
    double out[4] = {0};
    CHECK_OK(hams_buckets_linear(1, 2, 4, out));
    CHECK(out[0] == 1 && out[1] == 3 && out[2] == 5 && out[3] == 7);
    CHECK_OK(hams_buckets_exponential(0.5, 2, 4, out));
    CHECK(out[0] == 0.5 && out[1] == 1 && out[2] == 2 && out[3] == 4);
    CHECK_OK(hams_buckets_linear(-1, 0.5, 3, out));
    CHECK(out[0] == -1 && out[1] == -0.5 && out[2] == 0 && out[3] == 4);

    double keep[2] = {42, 42};
    CHECK_ERR(hams_buckets_linear(0, 1, 0, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_linear(0, 1, 1025, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_linear(0, 0, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_linear(0, -1, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_linear(NAN, 1, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_linear(1e308, 1e308, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_linear(0, 1, 2, NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_buckets_exponential(1, 2, 0, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_exponential(0, 2, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_exponential(-1, 2, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_exponential(1, 1, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_exponential(1, INFINITY, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_exponential(1e300, 1e10, 2, keep), HAMS_ERR_INVALID);
    CHECK_ERR(hams_buckets_exponential(1, 2, 2, NULL), HAMS_ERR_NULL);
    CHECK(keep[0] == 42 && keep[1] == 42);

    /* What they write is what hams_histogram_new takes. */
    hams_t *h = hams_new("buckets", "1");
    REQUIRE(h != NULL);
    double b[10];
    CHECK_OK(hams_buckets_exponential(0.001, 3, 10, b));
    CHECK(hams_histogram_new(h, "exp_seconds", "Exp.", b, 10) != NULL);
    hams_free(h);
}
