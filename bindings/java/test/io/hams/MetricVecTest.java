package io.hams;

import static io.hams.HamsTest.check;
import static io.hams.HamsTest.contains;
import static io.hams.HamsTest.eq;
import static io.hams.HamsTest.get;
import static io.hams.HamsTest.server;
import static io.hams.HamsTest.test;
import static io.hams.HamsTest.throwsHams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Tests of metric vectors ({@code counterVec(...).labels(String...)}),
 * default buckets, native histograms and the bucket helpers; run by
 * {@link HamsTest}'s main.
 */
final class MetricVecTest {
    private MetricVecTest() {}

    private static String metrics(Hams h) throws Exception {
        HamsTest.Response r = get(h, "/hams/metrics");
        eq(200, r.status, "metrics status");
        return r.body;
    }

    private static void absent(String body, String needle) {
        check(!body.contains(needle), "unexpected <" + needle + "> in <" + body + ">");
    }

    static void run() {
        test("vec: counterVec labels(String...), the same series, gauges and histograms", () -> {
            try (Hams h = server()) {
                h.start();
                MetricVec.CounterVec req = h.counterVec("requests_total", "Requests.", "path", "code");
                eq(List.of("path", "code"), req.labelNames(), "label names");
                req.labels("/", "200").inc();
                req.labels("/", "200").inc(2);
                req.labels("/x", "500").inc();
                check(req.labels("/", "200") == req.labels("/", "200"), "the same series object");
                MetricVec.GaugeVec temp = h.gaugeVec("temperature", "T.", "room");
                temp.labels("kitchen").set(21.5);
                temp.labels("hall").add(-2);
                MetricVec.HistogramVec lat = h.histogramVec("latency_seconds", "L.", new double[] {0.1, 1}, "op");
                lat.labels("get").observe(0.5);
                String m = metrics(h);
                contains(m, "# TYPE requests_total counter");
                contains(m, "requests_total{path=\"/\",code=\"200\"} 3\n");
                contains(m, "requests_total{path=\"/x\",code=\"500\"} 1\n");
                contains(m, "temperature{room=\"kitchen\"} 21.5\n");
                contains(m, "temperature{room=\"hall\"} -2\n");
                contains(m, "latency_seconds_bucket{op=\"get\",le=\"0.1\"} 0\n");
                contains(m, "latency_seconds_bucket{op=\"get\",le=\"1\"} 1\n");
            }
        });

        test("vec: default buckets for histogram(name, help) and histogramVec without bounds", () -> {
            try (Hams h = server()) {
                h.start();
                h.histogram("plain_seconds", "P.").observe(0.3);
                h.histogramVec("vec_seconds", "V.", "op").labels("put").observe(0.3);
                h.histogramVec("null_seconds", "N.", (double[]) null, "op").labels("put").observe(0.3);
                String m = metrics(h);
                for (String le : new String[] {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25"}) {
                    contains(m, "plain_seconds_bucket{le=\"" + le + "\"} 0\n");
                    contains(m, "vec_seconds_bucket{op=\"put\",le=\"" + le + "\"} 0\n");
                    contains(m, "null_seconds_bucket{op=\"put\",le=\"" + le + "\"} 0\n");
                }
                for (String le : new String[] {"0.5", "1", "2.5", "5", "10", "+Inf"}) {
                    contains(m, "plain_seconds_bucket{le=\"" + le + "\"} 1\n");
                    contains(m, "vec_seconds_bucket{op=\"put\",le=\"" + le + "\"} 1\n");
                }
                // No bounds at all is not "the defaults".
                contains(throwsHams(() -> h.histogram("empty_seconds", "E.", new double[0])).getMessage(), "bucket");
                throwsHams(() -> h.histogramVec("empty_vec_seconds", "E.", new double[0], "op"));
            }
        });

        test("vec: native histograms, single and vector, and their errors", () -> {
            try (Hams h = server()) {
                h.start();
                Metric.Histogram one = h.nativeHistogram("native_seconds", "N.", 1.1, 0);
                one.observe(0.25);
                one.observe(3);
                h.nativeHistogramVec("native_vec_seconds", "NV.", 2.0, 10, "op").labels("get").observe(1.5);
                String m = metrics(h);
                contains(m, "native_seconds_count 2\n");
                contains(m, "native_seconds_sum 3.25\n");
                contains(m, "native_vec_seconds_count{op=\"get\"} 1\n");
                String proto = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
                contains(get(h, "/hams/metrics", proto).body, "native_seconds");
                for (double f : new double[] {1.0, 0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
                    contains(throwsHams(() -> h.nativeHistogram("bad_seconds", "B.", f, 0)).getMessage(), "bucket_factor");
                    throwsHams(() -> h.nativeHistogramVec("bad_vec_seconds", "B.", f, 0, "op"));
                }
                eq(HamsException.ERR_INVALID, throwsHams(() -> h.nativeHistogram("neg_seconds", "N.", 1.1, -1)).code(),
                        "negative maxBuckets");
            }
        });

        test("vec: remove, a series' free, clear and free", () -> {
            try (Hams h = server()) {
                h.start();
                MetricVec.CounterVec req = h.counterVec("removed_total", "R.", "path");
                Metric.Counter a = req.labels("/a");
                a.inc();
                req.labels("/b").inc();
                req.remove("/a");
                String m = metrics(h);
                absent(m, "removed_total{path=\"/a\"}");
                contains(m, "removed_total{path=\"/b\"} 1\n");
                eq(HamsException.ERR_STATE, throwsHams(a::inc).code(), "a removed series");
                HamsException e = throwsHams(() -> req.remove("/a"));
                eq(HamsException.ERR_INVALID, e.code(), "removing it again");
                contains(e.getMessage(), "/a");
                Metric.Counter again = req.labels("/a");
                check(again != a, "a new series object");
                contains(metrics(h), "removed_total{path=\"/a\"} 0\n");
                again.free();
                again.free();
                absent(metrics(h), "removed_total{path=\"/a\"}");
                req.labels("/c").inc();
                req.clear();
                absent(metrics(h), "removed_total{");
                Metric.Counter d = req.labels("/d");
                req.free();
                req.free();
                absent(metrics(h), "removed_total");
                eq(HamsException.ERR_STATE, throwsHams(() -> req.labels("/d")).code(), "a freed vector");
                eq(HamsException.ERR_STATE, throwsHams(d::inc).code(), "a freed vector's series");
                h.counterVec("removed_total", "R.", "path").labels("/e").inc();
                contains(metrics(h), "removed_total{path=\"/e\"} 1\n");
            }
        });

        test("vec: closing the Hams invalidates vectors and their series", () -> {
            Hams h = server();
            MetricVec.GaugeVec g = h.gaugeVec("g", "G.", "k");
            Metric.Gauge x = g.labels("x");
            h.close();
            eq(HamsException.ERR_STATE, throwsHams(() -> g.labels("y")).code(), "labels after close");
            eq(HamsException.ERR_STATE, throwsHams(() -> x.set(1)).code(), "a series after close");
            eq(HamsException.ERR_STATE, throwsHams(g::free).code(), "free after close, as a Metric's");
        });

        test("vec: bad label values and names", () -> {
            try (Hams h = server()) {
                h.start();
                MetricVec.CounterVec req = h.counterVec("bad_total", "B.", "path", "code");
                contains(throwsHams(() -> req.labels("/")).getMessage(), "1 label values for 2 label names");
                contains(throwsHams(() -> req.labels("/", "200", "x")).getMessage(), "more label values");
                contains(throwsHams(() -> req.labels()).getMessage(), "0 label values");
                eq(HamsException.ERR_NULL, throwsHams(() -> req.labels(null, "200")).code(), "null value");
                eq(HamsException.ERR_NULL, throwsHams(() -> req.labels((String[]) null)).code(), "null array");
                contains(throwsHams(() -> req.labels("/\0", "200")).getMessage(), "NUL");
                throwsHams(() -> req.remove("/"));
                absent(metrics(h), "bad_total{");
                contains(throwsHams(() -> h.histogramVec("le_seconds", "L.", "le")).getMessage(), "le");
                throwsHams(() -> h.counterVec("dash_total", "D.", "bad-name"));
                throwsHams(() -> h.counterVec("dup_total", "D.", "a", "a"));
                eq(HamsException.ERR_NULL, throwsHams(() -> h.counterVec("n_total", "N.", "a", null)).code(), "null name");
                eq(HamsException.ERR_NULL, throwsHams(() -> h.counterVec("n2_total", "N.", (String[]) null)).code(),
                        "null names");
                contains(throwsHams(() -> h.counterVec("suffix", "S.", "a")).getMessage(), "_total");
                h.counterVec("taken_total", "T.", "a");
                throwsHams(() -> h.counterVec("taken_total", "T.", "a"));
            }
        });

        test("vec: concurrent first use gives one series", () -> {
            try (Hams h = server()) {
                h.start();
                MetricVec.CounterVec v = h.counterVec("race_total", "R.", "k");
                List<Metric.Counter> seen = java.util.Collections.synchronizedList(new ArrayList<>());
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    Thread th = new Thread(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            return;
                        }
                        Metric.Counter c = null;
                        for (int i = 0; i < 200; i++) {
                            c = v.labels("same");
                            c.inc();
                        }
                        seen.add(c);
                    });
                    th.start();
                    threads.add(th);
                }
                go.countDown();
                for (Thread th : threads) th.join();
                eq(8, seen.size(), "threads done");
                for (Metric.Counter c : seen) check(c == seen.get(0), "one object");
                contains(metrics(h), "race_total{k=\"same\"} 1600\n");
            }
        });

        test("buckets: linearBuckets and exponentialBuckets", () -> {
            eq("[1.0, 3.0, 5.0, 7.0]", Arrays.toString(Hams.linearBuckets(1, 2, 4)), "linear");
            eq("[0.5, 1.0, 2.0, 4.0]", Arrays.toString(Hams.exponentialBuckets(0.5, 2, 4)), "exponential");
            eq(1024, Hams.linearBuckets(0, 1, 1024).length, "1024 bounds");
            eq(HamsException.ERR_INVALID, throwsHams(() -> Hams.linearBuckets(1, 0, 3)).code(), "width 0");
            throwsHams(() -> Hams.linearBuckets(1, 1, 0));
            throwsHams(() -> Hams.linearBuckets(1, 1, 1025));
            throwsHams(() -> Hams.linearBuckets(1, 1, -1));
            throwsHams(() -> Hams.exponentialBuckets(0, 2, 3));
            throwsHams(() -> Hams.exponentialBuckets(1, 1, 3));
            throwsHams(() -> Hams.exponentialBuckets(1, 1e300, 3));
        });
    }
}
