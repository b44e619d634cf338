package io.hams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A metric family with label names, owned by its {@link Hams}: {@link #labels}
 * gives the series of some label values, made on first use.
 *
 * <pre>{@code
 * MetricVec.CounterVec requests = h.counterVec("requests_total", "Requests.", "path", "code");
 * requests.labels("/", "200").inc();
 * }</pre>
 *
 * A series is cached per label values: a repeated {@link #labels} is a map
 * lookup that does not call into libhams.
 */
public abstract class MetricVec<M extends Metric> {
    private final Hams owner;
    private final String name;
    private final List<String> labelNames;
    private final MemorySegment ptr;
    private final Guard guard;
    private final ConcurrentHashMap<List<String>, M> children = new ConcurrentHashMap<>();

    MetricVec(Hams owner, String name, String[] labelNames, MemorySegment ptr) {
        this.owner = owner;
        this.name = name;
        this.labelNames = List.of(labelNames);
        this.ptr = ptr;
        this.guard = new Guard("metric vector \"" + name + "\"");
    }

    /** The Java object of a new series. */
    abstract M child(Hams owner, String name, MemorySegment p);

    public String name() {
        return name;
    }

    public List<String> labelNames() {
        return labelNames;
    }

    private List<String> key(String[] values) {
        if (values == null) throw new HamsException("label values is null", HamsException.ERR_NULL, null);
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                String label = i < labelNames.size() ? "\"" + labelNames.get(i) + "\"" : "#" + (i + 1);
                throw new HamsException("label value for " + label + " is null", HamsException.ERR_NULL, null);
            }
        }
        return List.of(values);
    }

    /** The series for these label values, one per label name, in order; the same object every time. */
    public M labels(String... values) {
        List<String> key = key(values);
        M known = children.get(key);
        return known != null ? known : make(key);
    }

    private interface Body<T> {
        T run(Arena a) throws Throwable;
    }

    /** Runs body while neither this vector nor its Hams can be freed. */
    private <T> T call(Body<T> body) {
        owner.enter();
        try {
            guard.enter();
            try (Arena a = Arena.ofConfined()) {
                return body.run(a);
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            } finally {
                guard.exit();
            }
        } finally {
            owner.exit();
        }
    }

    private synchronized M make(List<String> key) {
        M known = children.get(key);
        if (known != null) return known;
        return call(a -> {
            MemorySegment values = Native.cstrs(a, key.toArray(new String[0]), "label value");
            MemorySegment p = Native.checkPtr((MemorySegment) Native.VEC_WITH.invokeExact(ptr, values), "hams_vec_with");
            M m = child(owner, name, p);
            m.vec = this;
            m.key = key;
            children.put(key, m);
            return m;
        });
    }

    /** Removes the series of these label values; its object can no longer be used. */
    public synchronized void remove(String... values) {
        removeKey(key(values));
    }

    private void removeKey(List<String> key) {
        call(a -> {
            MemorySegment values = Native.cstrs(a, key.toArray(new String[0]), "label value");
            M m = children.remove(key);
            if (m != null) m.invalidate(); // waits for calls on it in flight
            return Native.check((int) Native.VEC_REMOVE.invokeExact(ptr, values), "hams_vec_remove");
        });
    }

    /** A series' free(): removes it unless it is gone already. */
    synchronized void drop(Metric m) {
        if (children.get(m.key) != m) return;
        removeKey(m.key);
    }

    /** Removes every series made through this object. */
    public synchronized void clear() {
        for (List<String> key : new ArrayList<>(children.keySet())) removeKey(key);
    }

    /** Removes the family from the exposition and frees it with its series (idempotent). */
    public void free() {
        owner.enter();
        try {
            if (!guard.close()) return;
            invalidateChildren();
            try {
                Native.check((int) Native.VEC_FREE.invokeExact(ptr), "hams_vec_free");
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            }
            owner.forget(this);
        } finally {
            owner.exit();
        }
    }

    /** The Hams was freed: so were this vector and its series. */
    void invalidate() {
        guard.close();
        invalidateChildren();
    }

    private void invalidateChildren() {
        for (M m : children.values()) m.invalidate();
        children.clear();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + " " + labelNames + (guard.isClosed() ? " freed" : "") + "]";
    }

    /** Counters by label values. */
    public static final class CounterVec extends MetricVec<Metric.Counter> {
        CounterVec(Hams owner, String name, String[] labelNames, MemorySegment ptr) {
            super(owner, name, labelNames, ptr);
        }

        @Override
        Metric.Counter child(Hams owner, String name, MemorySegment p) {
            return new Metric.Counter(owner, name, p);
        }
    }

    /** Gauges by label values. */
    public static final class GaugeVec extends MetricVec<Metric.Gauge> {
        GaugeVec(Hams owner, String name, String[] labelNames, MemorySegment ptr) {
            super(owner, name, labelNames, ptr);
        }

        @Override
        Metric.Gauge child(Hams owner, String name, MemorySegment p) {
            return new Metric.Gauge(owner, name, p);
        }
    }

    /** Histograms (classic or native) by label values. */
    public static final class HistogramVec extends MetricVec<Metric.Histogram> {
        HistogramVec(Hams owner, String name, String[] labelNames, MemorySegment ptr) {
            super(owner, name, labelNames, ptr);
        }

        @Override
        Metric.Histogram child(Hams owner, String name, MemorySegment p) {
            return new Metric.Histogram(owner, name, p);
        }
    }
}
