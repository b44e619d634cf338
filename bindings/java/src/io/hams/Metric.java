package io.hams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * A counter, gauge or histogram, owned by its {@link Hams}, or one series of
 * a {@link MetricVec}, owned by the vector.
 */
public abstract class Metric {
    private final Hams owner;
    private final String name;
    final MemorySegment ptr;
    private final Guard guard;
    /** Set on a vector's series: the vector frees them (hams_metric_free refuses to). */
    MetricVec<?> vec;
    List<String> key;

    Metric(Hams owner, String name, MemorySegment ptr) {
        this.owner = owner;
        this.name = name;
        this.ptr = ptr;
        this.guard = new Guard("metric \"" + name + "\"");
    }

    public String name() {
        return name;
    }

    interface Op {
        int apply(MemorySegment ptr) throws Throwable;
    }

    final void call(Op op, String call) {
        owner.enter();
        try {
            guard.enter();
            try {
                Native.check(op.apply(ptr), call);
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            } finally {
                guard.exit();
            }
        } finally {
            owner.exit();
        }
    }

    /** Removes the metric from the exposition and frees it; a vector's series: from its vector. */
    public void free() {
        if (vec != null) {
            vec.drop(this);
            return;
        }
        owner.enter();
        try {
            if (!guard.close()) return;
            try {
                Native.check((int) Native.METRIC_FREE.invokeExact(ptr), "hams_metric_free");
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            }
            owner.forget(this);
        } finally {
            owner.exit();
        }
    }

    void invalidate() {
        guard.close();
    }

    /** A monotonic counter (name ending in _total). */
    public static final class Counter extends Metric {
        Counter(Hams owner, String name, MemorySegment ptr) {
            super(owner, name, ptr);
        }

        public Counter inc() {
            return inc(1.0);
        }

        /** Adds v (finite, >= 0). */
        public Counter inc(double v) {
            call(p -> (int) Native.COUNTER_ADD.invokeExact(p, v), "hams_counter_add");
            return this;
        }

        /**
         * Adds v with an exemplar, e.g. {@code Map.of("trace_id", id)} (at most
         * 128 characters in all names and values; an empty map: no labels): the
         * counter's latest exemplar, shown in the OpenMetrics exposition. A bad
         * exemplar throws {@link HamsException} (ERR_INVALID) and counts nothing.
         */
        public Counter inc(double v, Map<String, String> exemplar) {
            call(p -> {
                try (Arena a = Arena.ofConfined()) {
                    return (int) Native.COUNTER_ADD_EXEMPLAR.invokeExact(p, v, Native.exemplar(a, exemplar));
                }
            }, "hams_counter_add_exemplar");
            return this;
        }
    }

    /** A value that goes up and down. */
    public static final class Gauge extends Metric {
        Gauge(Hams owner, String name, MemorySegment ptr) {
            super(owner, name, ptr);
        }

        public Gauge set(double v) {
            call(p -> (int) Native.GAUGE_SET.invokeExact(p, v), "hams_gauge_set");
            return this;
        }

        /** Adds v (may be negative, not NaN). */
        public Gauge add(double v) {
            call(p -> (int) Native.GAUGE_ADD.invokeExact(p, v), "hams_gauge_add");
            return this;
        }
    }

    /** Observations counted in buckets. */
    public static final class Histogram extends Metric {
        Histogram(Hams owner, String name, MemorySegment ptr) {
            super(owner, name, ptr);
        }

        /** Records one finite observation. */
        public Histogram observe(double v) {
            call(p -> (int) Native.OBSERVE.invokeExact(p, v), "hams_histogram_observe");
            return this;
        }

        /**
         * Records v with an exemplar (as {@link Counter#inc(double, Map)}): the
         * latest exemplar of the bucket v falls in.
         */
        public Histogram observe(double v, Map<String, String> exemplar) {
            call(p -> {
                try (Arena a = Arena.ofConfined()) {
                    return (int) Native.OBSERVE_EXEMPLAR.invokeExact(p, v, Native.exemplar(a, exemplar));
                }
            }, "hams_histogram_observe_exemplar");
            return this;
        }
    }
}
