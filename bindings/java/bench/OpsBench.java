package io.hams.bench;

import io.hams.Hams;
import io.hams.Metric;
import io.hams.MetricVec;

/**
 * ns per metric operation through the Java binding (FFM downcalls), the Java
 * row of bench/metrics' per-language table (no Prometheus Java client is
 * packaged for Debian to compare with):
 *
 * <pre>
 *   bindings/java/build.sh bindings/java/bench && bindings/java/run.sh io.hams.bench.OpsBench [N]
 * </pre>
 */
public final class OpsBench {
    private OpsBench() {}

    interface Op {
        void run();
    }

    /** The median of 5 runs of n operations, after a warm-up run for the JIT. */
    static double nsPerOp(long n, Op op) {
        for (long i = 0; i < n; i++) op.run();
        double[] runs = new double[5];
        for (int r = 0; r < runs.length; r++) {
            long t = System.nanoTime();
            for (long i = 0; i < n; i++) op.run();
            runs[r] = (System.nanoTime() - t) / (double) n;
        }
        java.util.Arrays.sort(runs);
        return runs[runs.length / 2];
    }

    public static void main(String[] args) {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
        try (Hams h = new Hams("bench", "1.0.0", "127.0.0.1:0")) {
            Metric.Counter c = h.counter("ops_total", "Ops.");
            Metric.Gauge g = h.gauge("level", "Level.");
            Metric.Histogram hist = h.histogram("latency_seconds", "Latency.");
            MetricVec.CounterVec vec = h.counterVec("requests_total", "Requests.", "path", "code");
            vec.labels("/", "200").inc();
            System.out.printf("java %s, %s, %d ops each (ns/op, median of 5)%n", Hams.javaRuntime(), Hams.VERSION, n);
            System.out.printf("inc                %8.1f%n", nsPerOp(n, c::inc));
            System.out.printf("set                %8.1f%n", nsPerOp(n, () -> g.set(1.5)));
            System.out.printf("observe            %8.1f%n", nsPerOp(n, () -> hist.observe(0.02)));
            System.out.printf("labels(...).inc()  %8.1f%n", nsPerOp(n, () -> vec.labels("/", "200").inc()));
        }
    }
}
