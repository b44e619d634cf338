package io.hams;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Tests of the Java binding over real servers on 127.0.0.1:0, on JUnit 5:
 * {@code bindings/java/run.sh}. Each {@code test(name, body)} is one dynamic
 * test of {@link #tests()}, run in the order written (the metric vector tests
 * of {@link MetricVecTest}, then the listener tests of {@link ListenerTest}, last).
 */
public final class HamsTest {
    interface Body {
        void run() throws Exception;
    }

    private static final List<DynamicTest> tests = new ArrayList<>();

    static void test(String name, Body body) {
        tests.add(DynamicTest.dynamicTest(name, body::run));
    }

    // ------------------------------------------------------------ assertions

    static void check(boolean cond, String what) {
        if (!cond) throw new AssertionError(what);
    }

    static void eq(Object expected, Object got, String what) {
        if (expected == null ? got != null : !expected.equals(got)) {
            throw new AssertionError(what + ": expected <" + expected + ">, got <" + got + ">");
        }
    }

    static void contains(String haystack, String needle) {
        if (haystack == null || !haystack.contains(needle)) {
            throw new AssertionError("expected <" + needle + "> in <" + haystack + ">");
        }
    }

    static HamsException throwsHams(Body body) {
        try {
            body.run();
        } catch (HamsException e) {
            check(e.getMessage() != null && !e.getMessage().isEmpty(), "the exception has hams' message");
            return e;
        } catch (Throwable t) {
            throw new AssertionError("expected HamsException, got " + t, t);
        }
        throw new AssertionError("expected HamsException, nothing was thrown");
    }

    interface Cond {
        void check() throws Exception;
    }

    static void eventually(Cond c) throws Exception {
        long end = System.nanoTime() + 3_000_000_000L;
        for (;;) {
            try {
                c.check();
                return;
            } catch (AssertionError e) {
                if (System.nanoTime() > end) throw e;
            }
            Thread.sleep(20);
        }
    }

    // ------------------------------------------------------------------ http

    static final class Response {
        final int status;
        final String body;

        Response(int status, String body) {
            this.status = status;
            this.body = body;
        }
    }

    static Response get(Hams h, String path, String accept) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + h.port() + path).toURL()
                .openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        if (accept != null) c.setRequestProperty("Accept", accept);
        int status = c.getResponseCode();
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (in != null) {
            try (InputStream i = in) {
                i.transferTo(out);
            }
        }
        c.disconnect();
        return new Response(status, out.toString(StandardCharsets.UTF_8));
    }

    static Response get(Hams h, String path) throws Exception {
        return get(h, path, null);
    }

    static Hams server() {
        return new Hams("java-test", "1.2.3", "127.0.0.1:0");
    }

    static Hams yaml(String extra) {
        return Hams.fromYaml("service:\n  name: yaml-svc\n  version: \"9.9.9\"\nserver:\n  address: 127.0.0.1:0\n" + extra);
    }

    // ----------------------------------------------------------------- tests

    @TestFactory
    List<DynamicTest> tests() {
        System.setProperty("http.keepAlive", "false");
        tests.clear();

        test("library loads and reports its version", () -> {
            check(Hams.libraryVersion().matches("\\d+\\.\\d+\\.\\d+.*"), "version " + Hams.libraryVersion());
            check(Hams.libraryPath() != null, "library path");
        });

        test("the binding is the named module io.hams, with native access", () -> {
            Module m = Hams.class.getModule();
            check(m.isNamed(), "named module (hams.jar on the module path)");
            eq("io.hams", m.getName(), "module name");
            check(m.getDescriptor().exports().stream().anyMatch(e -> e.source().equals("io.hams")), "exports io.hams");
            check(m.isNativeAccessEnabled(), "--enable-native-access=io.hams");
            // A jar tool records the version (jar --module-version); a plain zip has none.
            m.getDescriptor().rawVersion().ifPresent(v -> eq(Hams.VERSION, v, "the jar's module version"));
        });

        test("start, port, version endpoint, stop and restart", () -> {
            try (Hams h = server()) {
                HamsException e = throwsHams(h::port);
                eq(HamsException.ERR_STATE, e.code(), "code");
                eq("HAMS_ERR_STATE", e.codeName(), "code name");
                eq("hams_port", e.call(), "call");
                h.start();
                check(h.port() > 0, "port > 0");
                Response r = get(h, "/hams/version");
                eq(200, r.status, "status");
                contains(r.body, "\"service\":\"java-test\"");
                contains(r.body, "\"version\":\"1.2.3\"");
                contains(r.body, "\"hams_version\":\"" + Hams.libraryVersion() + "\"");
                eq(200, get(h, "/hams/alive").status, "alive");
                eq(HamsException.ERR_STATE, throwsHams(h::start).code(), "start twice");
                h.stop();
                throwsHams(h::port);
                h.start();
                eq(200, get(h, "/hams/ready").status, "ready after restart");
            }
        });

        test("runtime info: this JVM and hams-java in /hams/version and hams_build_info, setRuntime", () -> {
            try (Hams h = server()) {
                h.start();
                String v = get(h, "/hams/version").body;
                contains(v, "\"runtime\":\"" + Hams.javaRuntime() + "\"");
                contains(v, "\"library\":\"hams-java\"");
                contains(v, "\"library_version\":\"" + Hams.VERSION + "\"");
                eq(Hams.libraryVersion().replaceAll("[^0-9.].*", ""), Hams.VERSION, "the binding is of libhams' release");
                check(Hams.javaRuntime().startsWith("Java " + Runtime.version().feature()), Hams.javaRuntime());
                contains(get(h, "/hams/metrics").body, "library=\"hams-java\"");
                eq(HamsException.ERR_STATE, throwsHams(() -> h.setRuntime("X 1", "x", "1")).code(), "once started");
                h.stop();
                eq(HamsException.ERR_INVALID, throwsHams(() -> h.setRuntime("", "x", "1")).code(), "empty runtime");
                eq(HamsException.ERR_INVALID, throwsHams(() -> h.setRuntime("X\n1", "x", "1")).code(), "control");
                h.setRuntime("Kotlin 2.4.20 (Java 25)", "hams-kotlin", "0.1.0").start();
                v = get(h, "/hams/version").body;
                contains(v, "\"runtime\":\"Kotlin 2.4.20 (Java 25)\"");
                contains(v, "\"library\":\"hams-kotlin\"");
            }
        });

        test("manual probe: healthy, unhealthy with a reason, JSON, one probe alone", () -> {
            try (Hams h = server()) {
                Probe db = h.probeManual("db", Hams.READY, false);
                eq("db", db.name(), "name");
                h.start();
                Response r = get(h, "/hams/ready?verbose");
                eq(503, r.status, "initially unhealthy");
                contains(r.body, "[-]db failed");
                db.set(true);
                r = get(h, "/hams/ready?verbose");
                eq(200, r.status, "healthy");
                contains(r.body, "[+]db ok");
                db.set(false, "connection refused");
                r = get(h, "/hams/ready/db?verbose");
                eq(503, r.status, "one probe");
                contains(r.body, "connection refused");
                r = get(h, "/hams/ready", "application/json");
                contains(r.body, "\"status\":\"DOWN\"");
                contains(r.body, "\"name\":\"db\"");
                eq(200, get(h, "/hams/alive").status, "alive unaffected");
                eq(404, get(h, "/hams/ready/nope").status, "unknown probe");
                eq(200, get(h, "/hams/ready?exclude=db").status, "exclude");
            }
        });

        test("kick probe fails after its margin and recovers when kicked", () -> {
            try (Hams h = server()) {
                Probe loop = h.probeKick("loop", Hams.ALIVE, 200);
                h.start();
                loop.kick();
                eq(200, get(h, "/hams/alive").status, "kicked");
                Thread.sleep(400);
                Response r = get(h, "/hams/alive?verbose");
                eq(503, r.status, "margin passed");
                contains(r.body, "[-]loop failed");
                loop.kick();
                eq(200, get(h, "/hams/alive").status, "kicked again");
                throwsHams(() -> h.probeKick("zero", Hams.ALIVE, 0));
                throwsHams(() -> loop.set(true));
            }
        });

        test("errors carry hams_last_error's text and the code", () -> {
            try (Hams h = server()) {
                HamsException e = throwsHams(() -> h.probeManual("bad name", Hams.READY, false));
                contains(e.getMessage(), "probe name \"bad name\" has the character ' '");
                eq(HamsException.NO_CODE, e.code(), "pointer functions have no code");
                eq("hams_probe_new_manual", e.call(), "call");
                h.probeManual("dup", Hams.READY, true);
                contains(throwsHams(() -> h.probeManual("dup", Hams.READY, true)).getMessage(), "dup");
                throwsHams(() -> h.probeManual("nochecks", 0, true));
                e = throwsHams(() -> h.setAddress("not an address"));
                eq(HamsException.ERR_INVALID, e.code(), "bad address");
                eq("HAMS_ERR_INVALID", e.codeName(), "code name");
                eq("hams_new", throwsHams(() -> new Hams("", "1.0")).call(), "empty name");
                throwsHams(() -> new Hams("svc", "1.0", "nope"));
                e = throwsHams(() -> h.probeManual("nul\0name", Hams.READY, true));
                contains(e.getMessage(), "NUL");
                contains(throwsHams(() -> h.counter("no_suffix", "help")).getMessage(), "_total");
                throwsHams(() -> h.histogram("h_seconds", "help", new double[] {2, 1}));
                throwsHams(() -> h.waitFor(-5));
                throwsHams(() -> h.check("bad", Hams.READY, () -> true, 0, 100));
            }
        });

        test("port in use is HAMS_ERR_IO", () -> {
            try (Hams a = server(); Hams b = server()) {
                a.start();
                b.setAddress("127.0.0.1:" + a.port());
                HamsException e = throwsHams(b::start);
                eq(HamsException.ERR_IO, e.code(), "code");
                eq("HAMS_ERR_IO", e.codeName(), "code name");
            }
        });

        test("check: results, reasons, exceptions, timeouts, not checked yet, free", () -> {
            try (Hams h = server()) {
                AtomicBoolean healthy = new AtomicBoolean(true);
                AtomicInteger runs = new AtomicInteger();
                Probe sync = h.check("sync", Hams.READY, () -> {
                    runs.incrementAndGet();
                    return healthy.get();
                }, 50, 1000);
                h.check("reasoned", Hams.READY, () -> Check.Result.unhealthy("disk full"), 50, 1000);
                h.check("throws", Hams.READY, (Check) () -> {
                    throw new IllegalStateException("boom");
                }, 50, 1000);
                h.check("npe", Hams.READY, (Check) () -> {
                    throw new NullPointerException();
                }, 50, 1000);
                h.check("hangs", Hams.READY, () -> {
                    Thread.sleep(2000);
                    return Check.Result.healthy();
                }, 50, 100);
                h.check("slow", Hams.STARTUP, () -> {
                    Thread.sleep(500);
                    return Check.Result.healthy();
                }, 1000, 2000);
                h.check("long", Hams.ALIVE, () -> Check.Result.unhealthy("é".repeat(300)), 50, 1000);
                h.start();
                Response r = get(h, "/hams/startup?verbose");
                contains(r.body, "[-]slow failed: not checked yet");
                eventually(() -> {
                    String b = get(h, "/hams/ready?verbose").body;
                    contains(b, "[+]sync ok");
                    contains(b, "[-]reasoned failed: disk full");
                    contains(b, "[-]throws failed: boom");
                    contains(b, "[-]npe failed: java.lang.NullPointerException");
                    contains(b, "[-]hangs failed: check timed out after 100 ms");
                });
                eventually(() -> {
                    String b = get(h, "/hams/alive?verbose").body;
                    contains(b, "[-]long failed: ééé");
                    check(!b.contains("\uFFFD"), "the reason is cut at a character boundary: " + b);
                });
                eventually(() -> eq(200, get(h, "/hams/startup").status, "slow check passed"));
                healthy.set(false);
                eventually(() -> contains(get(h, "/hams/ready/sync?verbose").body, "[-]sync failed: check failed"));
                int before = runs.get();
                Thread.sleep(200);
                check(runs.get() > before, "the check keeps running");
                sync.free();
                int after = runs.get();
                Thread.sleep(150);
                eq(after, runs.get(), "a freed check is not run again");
                eq(404, get(h, "/hams/ready/sync").status, "freed probe is gone");
                eq(HamsException.ERR_STATE, throwsHams(() -> sync.set(true)).code(), "freed handle");
                sync.free(); // idempotent
            }
        });

        test("a check may free its own probe", () -> {
            try (Hams h = server()) {
                AtomicReference<Probe> self = new AtomicReference<>();
                AtomicInteger runs = new AtomicInteger();
                CountDownLatch created = new CountDownLatch(1);
                self.set(h.check("once", Hams.READY, () -> {
                    created.await();
                    runs.incrementAndGet();
                    self.get().free();
                    return Check.Result.healthy();
                }, 20, 1000));
                created.countDown();
                h.start();
                eventually(() -> eq(404, get(h, "/hams/ready/once").status, "freed from inside"));
                Thread.sleep(100);
                eq(1, runs.get(), "never run again");
            }
        });

        test("metrics: counter, gauge, histogram, labels, free, callback", () -> {
            try (Hams h = server()) {
                Metric.Counter c = h.counter("jobs_total", "Jobs done.");
                c.inc();
                c.inc(2.5);
                Map<String, String> mail = new LinkedHashMap<>();
                mail.put("queue", "mail");
                h.counter("queue_jobs_total", "Jobs by queue.", mail).inc(4);
                h.counter("queue_jobs_total", "Jobs by queue.", Map.of("queue", "sms")).inc();
                Metric.Gauge g = h.gauge("temperature_celsius", "Temperature.");
                g.set(20).add(-1.5);
                Metric.Histogram hist = h.histogram("latency_seconds", "Latency.", new double[] {0.1, 0.5, 1});
                hist.observe(0.05).observe(0.7);
                h.setMetricsCallback(() -> "# TYPE app_extra gauge\napp_extra 42\n");
                h.start();
                String b = get(h, "/hams/metrics").body;
                contains(b, "# TYPE jobs_total counter\n");
                contains(b, "\njobs_total 3.5\n");
                contains(b, "\nqueue_jobs_total{queue=\"mail\"} 4\n");
                contains(b, "\nqueue_jobs_total{queue=\"sms\"} 1\n");
                contains(b, "\ntemperature_celsius 18.5\n");
                contains(b, "\nlatency_seconds_bucket{le=\"0.1\"} 1\n");
                contains(b, "\nlatency_seconds_bucket{le=\"1\"} 2\n");
                contains(b, "\nlatency_seconds_count 2\n");
                contains(b, "\napp_extra 42\n");
                eq(HamsException.ERR_INVALID, throwsHams(() -> c.inc(-1)).code(), "negative counter");
                throwsHams(() -> hist.observe(Double.NaN));
                c.free();
                throwsHams(c::inc);
                h.setMetricsCallback(null);
                b = get(h, "/hams/metrics").body;
                check(!b.contains("\njobs_total "), "freed metric gone");
                check(!b.contains("app_extra"), "callback removed");
            }
        });

        test("fromYaml, probe(name) and configuration errors", () -> {
            try (Hams h = yaml("probes:\n  - name: warm\n    type: manual\n    checks: [ready]\n    healthy: false\n")) {
                Probe warm = h.probe("warm");
                check(warm != null, "declared probe found");
                check(warm == h.probe("warm"), "the same object each time");
                check(h.probe("nope") == null, "unknown probe is null");
                h.start();
                contains(get(h, "/hams/version").body, "\"service\":\"yaml-svc\"");
                eq(503, get(h, "/hams/ready").status, "declared unhealthy");
                warm.set(true);
                eq(200, get(h, "/hams/ready").status, "set healthy");
                throwsHams(warm::kick);
            }
            HamsException e = throwsHams(() -> Hams.fromYaml("service: [unclosed"));
            eq("hams_new_from_yaml", e.call(), "call");
            contains(throwsHams(() -> Hams.fromYaml("server:\n  address: 127.0.0.1:0\n")).getMessage(), "service");
            throwsHams(() -> Hams.fromFile(java.nio.file.Path.of("/nonexistent/hams.yaml")));
        });

        test("shutdown: readiness fails at once, callbacks run in order, waitFor", () -> {
            try (Hams h = yaml("shutdown:\n  drain_ms: 200\n")) {
                List<String> order = new CopyOnWriteArrayList<>();
                h.onShutdown(() -> order.add("first"));
                h.onShutdown(() -> {
                    throw new IllegalStateException("logged, not fatal");
                });
                h.onShutdown(() -> order.add("second"));
                h.start();
                check(!h.waitFor(0), "not done before");
                eq(200, get(h, "/hams/ready").status, "ready before");
                long t = System.nanoTime();
                h.shutdown();
                h.shutdown(); // harmless
                Response r = get(h, "/hams/ready?verbose");
                eq(503, r.status, "ready fails at once");
                contains(r.body, "shutting down");
                eq(200, get(h, "/hams/alive").status, "alive stays up");
                check(!h.waitFor(50), "draining");
                check(order.isEmpty(), "callbacks run after the drain");
                check(h.await(-1), "done");
                check((System.nanoTime() - t) / 1_000_000 >= 190, "the drain passed");
                eq(List.of("first", "second"), order, "callbacks in order");
                check(h.waitFor(0), "stays done");
            }
        });

        test("close: idempotent, handles invalid, not from a callback, ends waiters", () -> {
            Hams h = server();
            Probe p = h.probeManual("p", Hams.READY, true);
            Metric.Gauge g = h.gauge("g", "gauge");
            AtomicReference<Throwable> fromCallback = new AtomicReference<>();
            h.check("closer", Hams.READY, () -> {
                try {
                    h.close();
                } catch (Throwable t) {
                    fromCallback.compareAndSet(null, t);
                }
                return Check.Result.healthy();
            }, 20, 1000);
            h.start();
            eventually(() -> check(fromCallback.get() != null, "the check ran"));
            check(fromCallback.get() instanceof IllegalStateException, "close() in a callback: " + fromCallback.get());
            AtomicReference<Throwable> waiter = new AtomicReference<>();
            Thread w = new Thread(() -> {
                try {
                    h.waitFor(-1);
                } catch (Throwable t) {
                    waiter.set(t);
                }
            });
            w.start();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger incs = new AtomicInteger();
            Thread busy = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        g.add(1);
                        incs.incrementAndGet();
                    } catch (HamsException e) {
                        return; // closed
                    }
                }
            });
            busy.start();
            Thread.sleep(100);
            long t = System.nanoTime();
            h.close();
            h.close();
            w.join(2000);
            stop.set(true);
            busy.join(2000);
            check(!w.isAlive(), "the waiter ended");
            check((System.nanoTime() - t) / 1_000_000 < 1000, "close was not held up");
            check(waiter.get() instanceof HamsException, "the waiter got HamsException: " + waiter.get());
            check(incs.get() > 0, "the busy thread ran");
            check(h.isClosed(), "closed");
            contains(throwsHams(h::start).getMessage(), "closed");
            throwsHams(() -> p.set(true));
            throwsHams(() -> g.set(1));
        });

        test("logging: hams' records reach java.util.logging's logger \"hams\"", () -> {
            List<LogRecord> records = new CopyOnWriteArrayList<>();
            Logger jul = Logger.getLogger("hams");
            Handler handler = new Handler() {
                @Override
                public void publish(LogRecord r) {
                    records.add(r);
                }

                @Override
                public void flush() {}

                @Override
                public void close() {}
            };
            jul.addHandler(handler);
            jul.setLevel(Level.FINE);
            try {
                Hams.setLogger(4);
                try (Hams h = server()) {
                    h.start();
                    h.stop();
                }
                eventually(() -> check(records.stream().anyMatch(
                        r -> r.getLevel() == Level.INFO && r.getMessage().startsWith("hams::")),
                        "an info record from hams: " + records.size()));
                throwsHams(() -> Hams.setLogger(9));
            } finally {
                jul.removeHandler(handler);
                jul.setLevel(null);
                Hams.setLogger(2);
            }
        });

        MetricVecTest.run();
        ExemplarTest.run();
        ListenerTest.run();
        return List.copyOf(tests);
    }
}
