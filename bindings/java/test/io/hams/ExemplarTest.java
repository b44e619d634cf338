package io.hams;

import static io.hams.HamsTest.check;
import static io.hams.HamsTest.contains;
import static io.hams.HamsTest.eq;
import static io.hams.HamsTest.get;
import static io.hams.HamsTest.server;
import static io.hams.HamsTest.test;
import static io.hams.HamsTest.throwsHams;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Tests of exemplars ({@code inc(v, exemplar)}, {@code observe(v, exemplar)}):
 * shown in an OpenMetrics scrape, not in the text format; a bad one throws and
 * counts nothing. Run by {@link HamsTest}'s test factory.
 */
final class ExemplarTest {
    private ExemplarTest() {}

    static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0";
    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    private static String scrape(Hams h, String accept) throws Exception {
        HamsTest.Response r = get(h, "/hams/metrics", accept);
        eq(200, r.status, "metrics status");
        return r.body;
    }

    /** `sample value # {labels} exemplarValue timestamp` is a line of body. */
    private static void exemplar(String body, String sample, String value, String labels, String exemplarValue) {
        String line = Pattern.quote(sample + " " + value + " # {" + labels + "} " + exemplarValue + " ") + "\\d+(\\.\\d+)?";
        check(Pattern.compile("^" + line + "$", Pattern.MULTILINE).matcher(body).find(),
                "no exemplar line <" + sample + " " + value + " # {" + labels + "} " + exemplarValue + " <ts>> in <" + body + ">");
    }

    static void run() {
        test("exemplars: counters, histograms and vec series, in OpenMetrics only", () -> {
            try (Hams h = server()) {
                Metric.Counter jobs = h.counter("jobs_total", "Jobs.");
                jobs.inc(1, Map.of("trace_id", TRACE)).inc(2);
                Metric.Histogram work = h.histogram("work_seconds", "Work.");
                work.observe(0.3, Map.of("trace_id", TRACE));
                MetricVec.CounterVec req = h.counterVec("requests_total", "Requests.", "path", "code");
                req.labels("/b", "500").inc(1, Map.of("trace_id", "b7ad6b7169203331"));
                MetricVec.HistogramVec rpc = h.histogramVec("rpc_seconds", "RPCs.", new double[] {1}, "method");
                rpc.labels("get").observe(0.5, Map.of());
                h.start();
                String om = scrape(h, OPENMETRICS);
                exemplar(om, "jobs_total", "3", "trace_id=\"" + TRACE + "\"", "1");
                exemplar(om, "work_seconds_bucket{le=\"0.5\"}", "1", "trace_id=\"" + TRACE + "\"", "0.3");
                contains(om, "work_seconds_bucket{le=\"0.25\"} 0\n");
                exemplar(om, "requests_total{path=\"/b\",code=\"500\"}", "1", "trace_id=\"b7ad6b7169203331\"", "1");
                exemplar(om, "rpc_seconds_bucket{method=\"get\",le=\"1.0\"}", "1", "", "0.5");
                String text = scrape(h, null);
                contains(text, "jobs_total 3\n");
                check(!text.contains("trace_id"), "no exemplar in the text format 0.0.4: " + text);
            }
        });

        test("exemplars: a bad one throws HamsException and counts nothing", () -> {
            try (Hams h = server()) {
                Metric.Counter jobs = h.counter("bad_total", "Bad.");
                Metric.Histogram work = h.histogram("bad_seconds", "Bad.");
                String ok = "x".repeat(128 - "trace_id".length());
                jobs.inc(1, Map.of("trace_id", ok));
                for (Object[] bad : List.of(
                        new Object[] {Map.of("trace_id", ok + "x"), "128"},
                        new Object[] {Map.of("bad name", "v"), "bad name"},
                        new Object[] {Map.of("1st", "v"), "1st"},
                        new Object[] {Map.of("a\0b", "v"), "NUL"})) {
                    @SuppressWarnings("unchecked")
                    Map<String, String> labels = (Map<String, String>) bad[0];
                    for (HamsTest.Body call : List.<HamsTest.Body>of(
                            () -> jobs.inc(1, labels), () -> work.observe(0.1, labels))) {
                        HamsException e = throwsHams(call);
                        eq(HamsException.ERR_INVALID, e.code(), "code of " + labels);
                        check(e.getMessage().contains((String) bad[1]), labels + ": " + e.getMessage());
                    }
                }
                eq(HamsException.ERR_NULL, throwsHams(() -> jobs.inc(1, null)).code(), "a null exemplar");
                h.start();
                String om = scrape(h, OPENMETRICS);
                exemplar(om, "bad_total", "1", "trace_id=\"" + ok + "\"", "1");
                contains(om, "bad_seconds_count 0\n");
            }
        });
    }
}
