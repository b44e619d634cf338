package io.hams.demo;

import io.hams.Check;
import io.hams.Hams;
import io.hams.HamsException;
import io.hams.Metric;
import io.hams.MetricVec;
import io.hams.Probe;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The hams demo service in Java, following the contract of tests/tck/README.md:
 *
 * <pre>
 *   bindings/java/build.sh examples/java
 *   bindings/java/run.sh io.hams.demo.Demo [--address HOST:PORT] [--warmup-ms N] [--drain-ms N]
 * </pre>
 *
 * Probes: {@code warmup} (manual, ready+startup, healthy after --warmup-ms),
 * {@code loop} (kick, alive, margin 1000 ms, kicked every 100 ms), {@code disk}
 * (a check every 200 ms, timeout 1000 ms). Counter {@code demo_loops_total},
 * vector {@code tck_requests_total}, default-bucket histogram
 * {@code tck_latency_seconds} (each with an exemplar); the runtime is named by the binding (hams-java).
 * A status listener prints "change NAME healthy|unhealthy" for each change.
 * Commands on stdin: stop-kicking, start-kicking, fail-disk, heal-disk,
 * invalid-call.
 *
 * The JVM owns SIGTERM and SIGINT (they run its shutdown hooks), so hams'
 * signal handling stays off: a shutdown hook starts hams' shutdown sequence
 * (readiness fails at once), waits for it (drain, then the shutdown
 * callback), prints "stopped", frees hams and halts with status 0 (a JVM ended
 * by SIGTERM would otherwise exit with 143).
 */
public final class Demo {
    private static volatile boolean kicking = true;
    private static volatile boolean diskFull = false;
    private static final Object STOP = new Object();
    private static boolean stopped;

    private static void say(String line) {
        synchronized (System.out) {
            System.out.println("hams demo: " + line);
            System.out.flush();
        }
    }

    private static void usage(int code) {
        System.err.println("usage: Demo [--address HOST:PORT] [--warmup-ms N] [--drain-ms N]");
        System.exit(code);
    }

    private static long ms(String opt, String v) {
        if (v == null || !v.matches("\\d+")) {
            System.err.println("hams demo: bad " + opt + ": " + v);
            System.exit(2);
        }
        return Long.parseLong(v);
    }

    /** A YAML double-quoted scalar (a JSON string is one). */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** Prints "stopped" and frees hams, once, whoever gets here first. */
    private static void finish(Hams hams) {
        synchronized (STOP) {
            if (stopped) return;
            stopped = true;
            say("stopped");
            hams.close();
        }
    }

    public static void main(String[] args) throws Exception {
        String address = "0.0.0.0:8079";
        long warmupMs = 2000;
        long drainMs = 5000;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) usage(0);
            String val = i + 1 < args.length ? args[i + 1] : null;
            if (val == null) {
                System.err.println("hams demo: unknown or incomplete option: " + arg);
                usage(2);
            }
            switch (arg) {
                case "--address": address = val; break;
                case "--warmup-ms": warmupMs = ms(arg, val); break;
                case "--drain-ms": drainMs = ms(arg, val); break;
                default:
                    System.err.println("hams demo: unknown option: " + arg);
                    usage(2);
            }
            i++;
        }

        Hams hams;
        try {
            // The drain time is configuration: build the server from YAML.
            hams = Hams.fromYaml("service:\n  name: hams-demo\n  version: " + quote(Hams.libraryVersion())
                    + "\nserver:\n  address: " + quote(address)
                    + "\nshutdown:\n  drain_ms: " + drainMs + "\n");
        } catch (HamsException e) {
            System.err.println("hams demo: " + e.getMessage());
            System.exit(1);
            return;
        }

        Probe warmup = hams.probeManual("warmup", Hams.READY | Hams.STARTUP, false);
        warmup.set(false, "warming up");
        Probe loop = hams.probeKick("loop", Hams.ALIVE, 1000);
        hams.check("disk", Hams.READY,
                () -> diskFull ? Check.Result.unhealthy("disk full (tck)") : Check.Result.healthy(), 200, 1000);
        // The kit's listener scenario: one line for each call of a status listener.
        hams.onChange((name, healthy, reason) -> say("change " + name + " " + (healthy ? "healthy" : "unhealthy")));
        Metric.Counter loops = hams.counter("demo_loops_total", "Main-loop iterations of the hams demo.");
        hams.onShutdown(() -> say("shutdown callback ran"));
        // A vector and a histogram with the default buckets (the kit's vectors and buckets).
        MetricVec.CounterVec requests = hams.counterVec("tck_requests_total", "Requests of the kit.", "path", "code");
        requests.labels("/a", "200").inc();
        requests.labels("/a", "200").inc();
        requests.labels("/b", "500").inc(1, Map.of("trace_id", "b7ad6b7169203331"));
        hams.histogram("tck_latency_seconds", "Latency of the kit.")
                .observe(0.3, Map.of("trace_id", "0af7651916cd43dd8448eb211c80319c"));

        final Hams h = hams;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (!h.isClosed()) {
                    h.shutdown();
                    h.waitFor(-1);
                }
                finish(h);
            } catch (RuntimeException e) {
                System.err.println("hams demo: shutdown: " + e.getMessage());
            }
            System.out.flush();
            Runtime.getRuntime().halt(0);
        }, "hams-demo-shutdown"));

        hams.start();
        say("serving on http://127.0.0.1:" + hams.port() + "/hams/ready");

        Thread commands = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    switch (line.trim()) {
                        case "stop-kicking": kicking = false; break;
                        case "start-kicking": kicking = true; break;
                        case "fail-disk": diskFull = true; break;
                        case "heal-disk": diskFull = false; break;
                        case "invalid-call":
                            try {
                                h.probeManual("bad name", Hams.READY, false);
                                say("error: none (the invalid call succeeded)");
                            } catch (HamsException e) {
                                say("error: " + e.getMessage());
                            }
                            break;
                        case "": break;
                        default: System.err.println("hams demo: unknown command: " + line.trim());
                    }
                }
            } catch (Exception e) {
                // stdin closed or unreadable: no more commands
            }
            // End of stdin is not a command: the main loop keeps running.
        }, "hams-demo-stdin");
        commands.setDaemon(true);
        commands.start();

        long start = System.nanoTime();
        boolean warmed = false;
        for (;;) {
            try {
                if (kicking) loop.kick();
                loops.inc();
                if (!warmed && (System.nanoTime() - start) / 1_000_000L >= warmupMs) {
                    warmup.set(true);
                    warmed = true;
                }
                // A shutdown started otherwise (POST /hams/shutdown when
                // enabled by HAMS_SHUTDOWN_ENDPOINT) ends the demo too.
                if (hams.waitFor(0)) {
                    finish(hams);
                    System.exit(0);
                }
            } catch (HamsException e) {
                // hams was closed by the shutdown hook: the JVM is halting
                if (hams.isClosed()) return;
                throw e;
            }
            Thread.sleep(100);
        }
    }
}
