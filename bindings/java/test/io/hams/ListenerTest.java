package io.hams;

import static io.hams.HamsTest.check;
import static io.hams.HamsTest.eq;
import static io.hams.HamsTest.eventually;
import static io.hams.HamsTest.server;
import static io.hams.HamsTest.test;
import static io.hams.HamsTest.throwsHams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Tests of status listeners ({@link Hams#onChange}), {@link Hams#checkState}
 * and {@link Probe#setThresholds}; run by {@link HamsTest}'s main.
 */
final class ListenerTest {
    private ListenerTest() {}

    /** A listener recording "name healthy|unhealthy reason" lines, and when each name was last told. */
    static final class Recorder implements ChangeListener {
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Map<String, Long> at = new ConcurrentHashMap<>();

        @Override
        public void changed(String name, boolean healthy, String reason) {
            at.put(name, System.nanoTime());
            lines.add(name + " " + (healthy ? "healthy" : "unhealthy") + (reason.isEmpty() ? "" : " " + reason));
        }

        String next() throws InterruptedException {
            String s = lines.poll(5, TimeUnit.SECONDS);
            if (s == null) throw new AssertionError("no change within 5 s");
            return s;
        }

        List<String> next(int n) throws InterruptedException {
            List<String> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(next());
            return out;
        }

        void none(long ms) throws InterruptedException {
            String s = lines.poll(ms, TimeUnit.MILLISECONDS);
            if (s != null) throw new AssertionError("unexpected change: " + s);
        }
    }

    static void run() {
        test("onChange: first every probe in registration order, then alive, ready, startup", () -> {
            try (Hams h = server()) {
                h.probeManual("db", Hams.READY, false).set(false, "connecting");
                h.probeKick("loop", Hams.ALIVE, 60_000).kick();
                h.probeManual("warm", Hams.STARTUP, true);
                Recorder r = new Recorder();
                h.onChange(r);
                eq(List.of("db unhealthy connecting", "loop healthy", "warm healthy", "alive healthy",
                        "ready unhealthy probe db: connecting", "startup healthy"), r.next(6), "first calls");
                r.none(200);
                // A listener added later is told the current state too.
                Recorder late = new Recorder();
                h.start().onChange(late);
                eq(6, late.next(6).size(), "the late listener's first calls");
                eq(0, r.lines.size(), "the first listener is told nothing new");
            }
        });

        test("onChange: a probe's change, then the check's; a new reason alone is no change", () -> {
            try (Hams h = server()) {
                Probe db = h.probeManual("db", Hams.READY, false);
                Recorder r = new Recorder();
                h.onChange(r).start();
                r.next(4);
                db.set(true);
                eq(List.of("db healthy", "ready healthy"), r.next(2), "turning healthy");
                db.set(false, "connection refused");
                eq(List.of("db unhealthy connection refused", "ready unhealthy probe db: connection refused"),
                        r.next(2), "turning unhealthy");
                db.set(false, "timed out");
                r.none(300);
            }
        });

        test("onChange: shutdown turns ready unhealthy", () -> {
            try (Hams h = HamsTest.yaml("shutdown:\n  drain_ms: 50\n")) {
                Recorder r = new Recorder();
                h.onChange(r).start();
                eq(List.of("alive healthy", "ready healthy", "startup healthy"), r.next(3), "first calls");
                h.shutdown();
                eq("shutdown unhealthy shutting down", r.next(), "hams reports its built-in shutdown first");
                eq("ready unhealthy shutdown: shutting down", r.next(), "shutdown");
                check(h.waitFor(5000), "the shutdown sequence ends");
                check(h.checkState(Hams.ALIVE), "alive stays up");
            }
        });

        test("onChange: a kick probe's margin passing is told within 100 ms", () -> {
            try (Hams h = server()) {
                Probe loop = h.probeKick("loop", Hams.ALIVE, 300);
                loop.kick();
                Recorder r = new Recorder();
                h.onChange(r);
                eq(List.of("loop healthy", "alive healthy", "ready healthy", "startup healthy"), r.next(4),
                        "first calls");
                long kicked = System.nanoTime();
                loop.kick();
                String change = r.next();
                long late = (r.at.get("loop") - kicked) / 1_000_000L - 300;
                check(change.startsWith("loop unhealthy "), "the margin passed: " + change);
                check(late >= 0, "not before the margin: " + late + " ms");
                check(late < 100, "told " + late + " ms after the margin passed");
                check(r.next().startsWith("alive unhealthy probe loop: "), "then the check");
            }
        });

        test("setThresholds: blips below the threshold change nothing", () -> {
            try (Hams h = server()) {
                Probe db = h.probeManual("db", Hams.READY, true);
                db.setThresholds(3, 2);
                Recorder r = new Recorder();
                h.onChange(r);
                r.next(4);
                db.set(false, "blip 1");
                db.set(false, "blip 2");
                check(h.checkState(Hams.READY), "two failures are blips");
                r.none(200);
                db.set(false, "down");
                eq(List.of("db unhealthy down", "ready unhealthy probe db: down"), r.next(2), "the third failure");
                check(!h.checkState(Hams.READY), "ready fails");
                db.set(true);
                check(!h.checkState(Hams.READY), "one success is not enough");
                r.none(200);
                db.set(true);
                eq(List.of("db healthy", "ready healthy"), r.next(2), "the second success");
                eq(HamsException.ERR_INVALID, throwsHams(() -> db.setThresholds(0, 1)).code(), "0 failures");
                eq(HamsException.ERR_INVALID, throwsHams(() -> db.setThresholds(1, -1)).code(), "negative");
                Probe loop = h.probeKick("loop", Hams.ALIVE, 1000);
                HamsException e = throwsHams(() -> loop.setThresholds(2, 2));
                eq(HamsException.ERR_INVALID, e.code(), "a kick probe has no thresholds");
                eq("hams_probe_set_thresholds", e.call(), "call");
                db.free();
                eq(HamsException.ERR_STATE, throwsHams(() -> db.setThresholds(1, 1)).code(), "freed");
            }
        });

        test("setThresholds on a check probe", () -> {
            try (Hams h = server()) {
                AtomicInteger runs = new AtomicInteger();
                Probe p = h.check("flaky", Hams.READY, () -> {
                    int n = runs.incrementAndGet();
                    return n == 1 || n > 4 ? Check.Result.healthy() : Check.Result.unhealthy("run " + n);
                }, 30, 1000);
                p.setThresholds(4, 1);
                h.start();
                eventually(() -> check(runs.get() > 6, "the check ran: " + runs.get()));
                check(h.checkState(Hams.READY), "three failures in a row stay below 4");
            }
        });

        test("checkState: each check, and not a check", () -> {
            try (Hams h = server()) {
                Probe db = h.probeManual("db", Hams.READY | Hams.STARTUP, false);
                check(h.checkState(Hams.ALIVE), "alive");
                check(!h.checkState(Hams.READY), "ready");
                check(!h.checkState(Hams.STARTUP), "startup");
                db.set(true);
                check(h.checkState(Hams.READY) && h.checkState(Hams.STARTUP), "ready and startup");
                for (int bad : new int[] {0, Hams.ALIVE | Hams.READY, 8, -1}) {
                    HamsException e = throwsHams(() -> h.checkState(bad));
                    eq(HamsException.ERR_INVALID, e.code(), "check " + bad);
                    eq("hams_check_state", e.call(), "call");
                }
            }
        });

        test("onChange: an exception is logged, the listener called again; it may call hams", () -> {
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
            try (Hams h = server()) {
                Probe db = h.probeManual("db", Hams.READY, true);
                Recorder r = new Recorder();
                AtomicReference<String> seen = new AtomicReference<>();
                h.onChange((name, healthy, reason) -> {
                    if (name.equals("db")) {
                        // hams state as the listener sees it: the change is already made
                        seen.set(healthy + "/" + h.checkState(Hams.READY));
                        throw new IllegalStateException("listener boom " + healthy);
                    }
                    r.changed(name, healthy, reason);
                });
                eq(List.of("alive healthy", "ready healthy", "startup healthy"), r.next(3), "called past the throw");
                db.set(false, "x");
                eq("ready unhealthy probe db: x", r.next(), "still called");
                eq("false/false", seen.get(), "the listener called checkState");
                eventually(() -> check(records.stream().anyMatch(l -> l.getLevel() == Level.WARNING
                        && l.getThrown() != null && "listener boom false".equals(l.getThrown().getMessage())),
                        "the exception was logged: " + records.size()));
                try {
                    h.onChange(null);
                    throw new AssertionError("a null listener was taken");
                } catch (NullPointerException e) {
                    check(e.getMessage().contains("listener"), "null listener: " + e);
                }
            } finally {
                jul.removeHandler(handler);
            }
        });

        test("onChange: a listener may close its Hams; never called after close", () -> {
            Hams h = server();
            Probe db = h.probeManual("db", Hams.READY, true);
            AtomicInteger calls = new AtomicInteger();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            CountDownLatch returned = new CountDownLatch(1);
            h.onChange((name, healthy, reason) -> {
                calls.incrementAndGet();
                if (name.equals("db") && !healthy) {
                    try {
                        h.close();
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                    returned.countDown();
                }
            });
            h.start();
            eventually(() -> eq(4, calls.get(), "first calls"));
            db.set(false);
            check(returned.await(5, TimeUnit.SECONDS), "close() returned in the listener");
            check(h.isClosed(), "closed from the listener");
            eq(null, failed.get(), "close() in a listener");
            Thread.sleep(100);
            eq(5, calls.get(), "not called after close");
            // The stub's arena is closed once hams' listener thread has ended.
            eventually(() -> check(Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("hams-listener-reaper")), "the reaper ended"));
            eq(HamsException.ERR_STATE, throwsHams(() -> h.onChange((n, ok, why) -> {})).code(), "after close");

            // Closed from another thread while a listener runs: close waits for it.
            Hams h2 = server();
            Recorder r = new Recorder();
            h2.onChange((name, healthy, reason) -> {
                Thread.sleep(100);
                r.changed(name, healthy, reason);
            });
            Thread.sleep(50);
            h2.close();
            int told = r.lines.size();
            Thread.sleep(200);
            eq(told, r.lines.size(), "nothing told after close returned");
        });
    }
}
