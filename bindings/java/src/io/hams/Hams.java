package io.hams;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One hams health server: Kubernetes probes, a graceful shutdown sequence and
 * Prometheus metrics, served by libhams on a background thread, through the
 * Java Foreign Function and Memory API (Java 22 or later, run with
 * {@code --enable-native-access=ALL-UNNAMED}).
 *
 * <pre>{@code
 * try (Hams h = new Hams("orders", "1.4.2", "0.0.0.0:8079")) {
 *     Probe db = h.probeManual("db", Hams.READY, false);
 *     Probe loop = h.probeKick("main-loop", Hams.ALIVE, 5000);
 *     h.start();
 *     db.set(true);
 *     while (!h.waitFor(100)) loop.kick();
 * }
 * }</pre>
 *
 * Errors throw {@link HamsException} with hams_last_error()'s text. All
 * methods are thread-safe. Callbacks (checks, shutdown callbacks, the
 * metrics callback, status listeners) run on hams threads; their upcall stubs live in arenas
 * owned by this object, released after hams_free ({@link #close}). hams' log
 * records go to the {@link System.Logger} named "hams" (set the system
 * property {@code hams.logging=stderr} to leave them on stderr).
 */
public final class Hams implements AutoCloseable {
    /** The probe takes part in the liveness check (/hams/alive). */
    public static final int ALIVE = 1;
    /** The probe takes part in the readiness check (/hams/ready). */
    public static final int READY = 2;
    /** The probe takes part in the startup check (/hams/startup). */
    public static final int STARTUP = 4;

    private static final ThreadLocal<Boolean> IN_CALLBACK = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private static final MethodHandle CHECK_UPCALL;
    private static final MethodHandle SHUTDOWN_UPCALL;
    private static final MethodHandle METRICS_UPCALL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            CHECK_UPCALL = l.findStatic(Hams.class, "runCheck",
                    MethodType.methodType(boolean.class, Check.class, MemorySegment.class, MemorySegment.class, long.class));
            SHUTDOWN_UPCALL = l.findStatic(Hams.class, "runShutdown",
                    MethodType.methodType(void.class, Runnable.class, MemorySegment.class));
            METRICS_UPCALL = l.findStatic(Hams.class, "runMetrics",
                    MethodType.methodType(void.class, Supplier.class, MemorySegment.class, MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        Logging.installDefault();
    }

    private final MemorySegment ptr;
    private final Guard guard = new Guard("this hams server");
    /** Upcall stubs of shutdown and metrics callbacks. */
    private final Arena arena = Arena.ofShared();
    private final List<Arena> later = new ArrayList<>();
    private final Listeners listeners = new Listeners();
    private final Map<String, Probe> probes = new ConcurrentHashMap<>();
    private final Set<Metric> metrics = ConcurrentHashMap.newKeySet();
    private final Set<MetricVec<?>> vecs = ConcurrentHashMap.newKeySet();

    /** A stopped server for service {@code name} at {@code version}, on 0.0.0.0:8079. */
    public Hams(String name, String version) {
        this(create(name, version));
    }

    /** A stopped server listening on {@code address} ("IP:PORT"; port 0 picks a free port) once started. */
    public Hams(String name, String version, String address) {
        this(create(name, version));
        try {
            setAddress(address);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private Hams(MemorySegment ptr) {
        this.ptr = ptr;
        try {
            setRuntime(javaRuntime(), "hams-java", VERSION);
        } catch (HamsException e) {
            // Only informational (/hams/version): a JVM naming itself oddly
            // (control characters, over 128 bytes) must not stop the service.
        }
    }

    /** This binding's version: the hams release it is part of. */
    public static final String VERSION = "0.1.0";

    /** "Java 25.0.1 (OpenJDK 64-Bit Server VM)": the runtime named in /hams/version. */
    public static String javaRuntime() {
        return "Java " + Runtime.version().version().stream().map(String::valueOf)
                .collect(java.util.stream.Collectors.joining(".")) + " (" + System.getProperty("java.vm.name", "JVM") + ")";
    }

    private static MemorySegment create(String name, String version) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = Native.cstr(a, name, "name");
            MemorySegment v = Native.cstr(a, version, "version");
            return Native.checkPtr((MemorySegment) Native.NEW.invokeExact(n, v), "hams_new");
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    /** A server from YAML configuration text (see hams_config(5)); HAMS_* variables override it. */
    public static Hams fromYaml(String yaml) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = Native.cstr(a, yaml, "yaml");
            return new Hams(Native.checkPtr((MemorySegment) Native.NEW_FROM_YAML.invokeExact(t), "hams_new_from_yaml"));
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    /** A server from a YAML configuration file. */
    public static Hams fromFile(Path file) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = Native.cstr(a, file.toString(), "path");
            return new Hams(Native.checkPtr((MemorySegment) Native.NEW_FROM_FILE.invokeExact(p), "hams_new_from_file"));
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    /** libhams' version, e.g. "0.1.0". */
    public static String libraryVersion() {
        try {
            return Native.string((MemorySegment) Native.VERSION.invokeExact());
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    /** Where libhams was loaded from (a name found by the dynamic loader, or the HAMS_LIBRARY path). */
    public static String libraryPath() {
        return Native.LIBRARY;
    }

    // ----------------------------------------------------------------- guard

    MemorySegment enter() {
        guard.enter();
        return ptr;
    }

    void exit() {
        guard.exit();
    }

    static boolean inCallback() {
        return IN_CALLBACK.get();
    }

    void forget(Probe p) {
        probes.remove(p.name(), p);
    }

    void forget(Metric m) {
        metrics.remove(m);
    }

    void forget(MetricVec<?> v) {
        vecs.remove(v);
    }

    synchronized void closeLater(Arena a) {
        later.add(a);
    }

    private interface IntCall {
        int call(Arena a) throws Throwable;
    }

    private int call(String name, IntCall c) {
        enter();
        try (Arena a = Arena.ofConfined()) {
            return Native.check(c.call(a), name);
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        } finally {
            exit();
        }
    }

    private interface PtrCall {
        MemorySegment call(Arena a) throws Throwable;
    }

    private MemorySegment callPtr(String name, PtrCall c) {
        enter();
        try (Arena a = Arena.ofConfined()) {
            return Native.checkPtr(c.call(a), name);
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        } finally {
            exit();
        }
    }

    // ---------------------------------------------------------------- server

    /** Sets the address, "IP:PORT" ("[::1]:8079" for IPv6); only while stopped. */
    public Hams setAddress(String hostPort) {
        call("hams_set_address", a -> (int) Native.SET_ADDRESS.invokeExact(ptr, Native.cstr(a, hostPort, "address")));
        return this;
    }

    /**
     * Names the runtime and library hosting hams in /hams/version and the
     * hams_build_info labels; set to this JVM and "hams-java" on creation, a
     * layer over this binding (Kotlin, say) names itself. Only while stopped.
     */
    public Hams setRuntime(String runtime, String library, String libraryVersion) {
        call("hams_set_runtime", a -> (int) Native.SET_RUNTIME.invokeExact(ptr, Native.cstr(a, runtime, "runtime"),
                Native.cstr(a, library, "library"), Native.cstr(a, libraryVersion, "library version")));
        return this;
    }

    /** Binds (before returning: a port in use throws, HAMS_ERR_IO) and serves on a background thread. */
    public Hams start() {
        call("hams_start", a -> (int) Native.START.invokeExact(ptr));
        return this;
    }

    /** Stops serving; the server may be started again. */
    public Hams stop() {
        call("hams_stop", a -> (int) Native.STOP.invokeExact(ptr));
        return this;
    }

    /** The bound port while started; HamsException (HAMS_ERR_STATE) otherwise. */
    public int port() {
        return call("hams_port", a -> (int) Native.PORT.invokeExact(ptr));
    }

    // ---------------------------------------------------------------- probes

    private Probe register(String name, MemorySegment p, Arena stubArena) {
        Probe probe = new Probe(this, name, p, stubArena);
        probes.put(name, probe);
        return probe;
    }

    /**
     * A probe the application sets with {@link Probe#set}. {@code checks} is
     * an OR of {@link #ALIVE}, {@link #READY}, {@link #STARTUP}; {@code name}
     * is 1-64 characters of [A-Za-z0-9_.-], unique in this server.
     */
    public Probe probeManual(String name, int checks, boolean healthy) {
        MemorySegment p = callPtr("hams_probe_new_manual",
                a -> (MemorySegment) Native.PROBE_MANUAL.invokeExact(ptr, Native.cstr(a, name, "name"), checks, healthy));
        return register(name, p, null);
    }

    /** A probe healthy while less than {@code marginMs} passed since its last {@link Probe#kick}. */
    public Probe probeKick(String name, int checks, long marginMs) {
        MemorySegment p = callPtr("hams_probe_new_kick",
                a -> (MemorySegment) Native.PROBE_KICK_NEW.invokeExact(ptr, Native.cstr(a, name, "name"), checks, marginMs));
        return register(name, p, null);
    }

    /**
     * A probe whose health is {@code fn}'s result, run by hams on a checker
     * thread: at once, then {@code intervalMs} after each run ends; a run
     * longer than {@code timeoutMs} fails the probe ("check timed out after N
     * ms"); before the first result it fails ("not checked yet"). An exception
     * fails the probe with its message.
     */
    public Probe check(String name, int checks, Check fn, long intervalMs, long timeoutMs) {
        Objects.requireNonNull(fn, "fn");
        Arena stubArena = Arena.ofShared();
        try {
            MemorySegment stub = Native.LINKER.upcallStub(CHECK_UPCALL.bindTo(fn), Native.CHECK_FN, stubArena);
            MemorySegment p = callPtr("hams_probe_new_callback", a -> (MemorySegment) Native.PROBE_CALLBACK.invokeExact(
                    ptr, Native.cstr(a, name, "name"), checks, stub, MemorySegment.NULL, intervalMs, timeoutMs));
            return register(name, p, stubArena);
        } catch (RuntimeException | Error e) {
            stubArena.close();
            throw e;
        }
    }

    /** A check probe for a plain healthy/unhealthy function (reason "check failed"). */
    public Probe check(String name, int checks, BooleanSupplier fn, long intervalMs, long timeoutMs) {
        Objects.requireNonNull(fn, "fn");
        return check(name, checks, () -> fn.getAsBoolean() ? Check.Result.healthy() : Check.Result.unhealthy("check failed"),
                intervalMs, timeoutMs);
    }

    /** The probe named {@code name} (declared in the configuration or created here), or null. */
    public Probe probe(String name) {
        Probe known = probes.get(name);
        if (known != null && !known.isFreed()) return known;
        enter();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) Native.PROBE_GET.invokeExact(ptr, Native.cstr(a, name, "name"));
            if (p.equals(MemorySegment.NULL)) return null;
            Probe probe = new Probe(this, name, p, null);
            Probe prev = probes.putIfAbsent(name, probe);
            return prev != null && !prev.isFreed() ? prev : probe;
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        } finally {
            exit();
        }
    }

    @SuppressWarnings("unused") // an upcall
    private static boolean runCheck(Check fn, MemorySegment user, MemorySegment reason, long reasonLen) {
        IN_CALLBACK.set(Boolean.TRUE);
        try {
            Check.Result r;
            try {
                r = fn.check();
                if (r == null) r = Check.Result.unhealthy("check returned null");
            } catch (Throwable t) {
                String m = t.getMessage();
                r = Check.Result.unhealthy(m == null || m.isEmpty() ? t.getClass().getName() : m);
            }
            if (!r.isHealthy() && r.reason() != null && reasonLen > 0) writeReason(reason, reasonLen, r.reason());
            return r.isHealthy();
        } catch (Throwable t) {
            return false; // an exception must never unwind into hams
        } finally {
            IN_CALLBACK.set(Boolean.FALSE);
        }
    }

    /** Writes s into the reason buffer, NUL-terminated, cut at a UTF-8 character boundary. */
    private static void writeReason(MemorySegment reason, long len, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(b.length, len - 1);
        while (n > 0 && n < b.length && (b[n] & 0xC0) == 0x80) n--;
        MemorySegment buf = reason.reinterpret(len);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, buf, 0, n);
        buf.set(java.lang.foreign.ValueLayout.JAVA_BYTE, n, (byte) 0);
    }

    // ------------------------------------------------------------- listeners

    /**
     * Adds a status listener: {@code l} is told, on hams' listener thread,
     * each time a check ("alive", "ready", "startup") or a probe turns healthy
     * or unhealthy, a probe's change before the changes of the checks it
     * causes; first once with the current state of every probe (in the order
     * registered), then alive, ready, startup. Changes caused by time alone
     * (a kick probe's margin passing) come within 100 ms. A slow listener gets
     * the latest state of each name that changed meanwhile. It may call any
     * method, {@link #close} included; an exception it throws is logged.
     * Listeners stay until {@link #close}.
     */
    public Hams onChange(ChangeListener l) {
        Objects.requireNonNull(l, "listener");
        enter();
        try {
            MemorySegment stub = listeners.stub(this, l);
            Native.check((int) Native.ON_CHANGE.invokeExact(ptr, stub, MemorySegment.NULL), "hams_on_change");
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        } finally {
            exit();
        }
        return this;
    }

    /**
     * Whether {@code check} ({@link #ALIVE}, {@link #READY} or {@link #STARTUP},
     * one of them) passes now, as /hams/&lt;check&gt; would answer.
     */
    public boolean checkState(int check) {
        return call("hams_check_state", a -> (int) Native.CHECK_STATE.invokeExact(ptr, check)) == 1;
    }

    // --------------------------------------------------------------- metrics

    private static MemorySegment labels(Arena a, Map<String, String> labels) {
        if (labels == null || labels.isEmpty()) return MemorySegment.NULL;
        MemorySegment arr = a.allocate(ADDRESS, labels.size() * 2L + 1);
        long i = 0;
        for (Map.Entry<String, String> e : labels.entrySet()) {
            arr.setAtIndex(ADDRESS, i++, Native.cstr(a, e.getKey(), "label name"));
            arr.setAtIndex(ADDRESS, i++, Native.cstr(a, e.getValue(), "label value"));
        }
        arr.setAtIndex(ADDRESS, i, MemorySegment.NULL);
        return arr;
    }

    private <M extends Metric> M add(M m) {
        metrics.add(m);
        return m;
    }

    /** A counter; {@code name} ends in _total. */
    public Metric.Counter counter(String name, String help) {
        return counter(name, help, null);
    }

    /** A counter with a fixed label set (use a LinkedHashMap to keep the order). */
    public Metric.Counter counter(String name, String help, Map<String, String> labels) {
        MemorySegment m = callPtr("hams_counter_new", a -> (MemorySegment) Native.COUNTER_NEW.invokeExact(
                ptr, Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), labels(a, labels)));
        return add(new Metric.Counter(this, name, m));
    }

    public Metric.Gauge gauge(String name, String help) {
        return gauge(name, help, null);
    }

    public Metric.Gauge gauge(String name, String help, Map<String, String> labels) {
        MemorySegment m = callPtr("hams_gauge_new", a -> (MemorySegment) Native.GAUGE_NEW.invokeExact(
                ptr, Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), labels(a, labels)));
        return add(new Metric.Gauge(this, name, m));
    }

    /** A histogram with bucket upper bounds (finite, strictly increasing; +Inf is implied). */
    public Metric.Histogram histogram(String name, String help, double[] buckets) {
        return histogram(name, help, buckets, null);
    }

    public Metric.Histogram histogram(String name, String help, double[] buckets, Map<String, String> labels) {
        Objects.requireNonNull(buckets, "buckets");
        MemorySegment m = callPtr("hams_histogram_new", a -> (MemorySegment) Native.HISTOGRAM_NEW.invokeExact(ptr,
                Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), bounds(a, buckets),
                (long) buckets.length, labels(a, labels)));
        return add(new Metric.Histogram(this, name, m));
    }

    /** A histogram with Prometheus' default buckets (0.005 to 10). */
    public Metric.Histogram histogram(String name, String help) {
        MemorySegment m = callPtr("hams_histogram_new", a -> (MemorySegment) Native.HISTOGRAM_NEW.invokeExact(ptr,
                Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), MemorySegment.NULL, 0L, MemorySegment.NULL));
        return add(new Metric.Histogram(this, name, m));
    }

    /**
     * A native histogram (sparse exponential buckets, in the protobuf
     * exposition; the text formats show its count and sum): each bucket at
     * most {@code bucketFactor} (> 1, e.g. 1.1) times as wide as the one
     * below, at most {@code maxBuckets} of them (0: no cap).
     */
    public Metric.Histogram nativeHistogram(String name, String help, double bucketFactor, int maxBuckets) {
        checkMaxBuckets(maxBuckets);
        MemorySegment m = callPtr("hams_histogram_native_new", a -> (MemorySegment) Native.HISTOGRAM_NATIVE_NEW
                .invokeExact(ptr, Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), bucketFactor, maxBuckets));
        return add(new Metric.Histogram(this, name, m));
    }

    /** The C bounds: NULL (with n 0) for the defaults; an empty array stays 0 bounds, which libhams refuses. */
    private static MemorySegment bounds(Arena a, double[] buckets) {
        if (buckets == null) return MemorySegment.NULL;
        return buckets.length == 0 ? a.allocate(JAVA_DOUBLE) : a.allocateFrom(JAVA_DOUBLE, buckets);
    }

    private static void checkMaxBuckets(int maxBuckets) {
        if (maxBuckets < 0) {
            throw new HamsException("maxBuckets is " + maxBuckets + "; 0 (no cap) or more", HamsException.ERR_INVALID,
                    null);
        }
    }

    // ----------------------------------------------------------- metric vecs

    private <V extends MetricVec<?>> V addVec(V v) {
        vecs.add(v);
        return v;
    }

    /** Counters by the values of {@code labelNames}: {@code counterVec(...).labels("/", "200").inc()}. */
    public MetricVec.CounterVec counterVec(String name, String help, String... labelNames) {
        MemorySegment v = callPtr("hams_counter_vec_new", a -> (MemorySegment) Native.COUNTER_VEC_NEW.invokeExact(
                ptr, Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), Native.cstrs(a, labelNames, "label name")));
        return addVec(new MetricVec.CounterVec(this, name, labelNames, v));
    }

    /** Gauges by the values of {@code labelNames}. */
    public MetricVec.GaugeVec gaugeVec(String name, String help, String... labelNames) {
        MemorySegment v = callPtr("hams_gauge_vec_new", a -> (MemorySegment) Native.GAUGE_VEC_NEW.invokeExact(
                ptr, Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), Native.cstrs(a, labelNames, "label name")));
        return addVec(new MetricVec.GaugeVec(this, name, labelNames, v));
    }

    /** Histograms with Prometheus' default buckets by the values of {@code labelNames}. */
    public MetricVec.HistogramVec histogramVec(String name, String help, String... labelNames) {
        return histogramVec(name, help, null, labelNames);
    }

    /** Histograms with these bucket bounds (null: the defaults) by the values of {@code labelNames}. */
    public MetricVec.HistogramVec histogramVec(String name, String help, double[] buckets, String... labelNames) {
        MemorySegment v = callPtr("hams_histogram_vec_new", a -> (MemorySegment) Native.HISTOGRAM_VEC_NEW.invokeExact(
                ptr, Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), bounds(a, buckets),
                buckets == null ? 0L : (long) buckets.length, Native.cstrs(a, labelNames, "label name")));
        return addVec(new MetricVec.HistogramVec(this, name, labelNames, v));
    }

    /** Native histograms (see {@link #nativeHistogram}) by the values of {@code labelNames}. */
    public MetricVec.HistogramVec nativeHistogramVec(String name, String help, double bucketFactor, int maxBuckets,
            String... labelNames) {
        checkMaxBuckets(maxBuckets);
        MemorySegment v = callPtr("hams_histogram_native_vec_new", a -> (MemorySegment) Native.HISTOGRAM_NATIVE_VEC_NEW
                .invokeExact(ptr, Native.cstr(a, name, "name"), Native.cstr(a, help, "help"), bucketFactor, maxBuckets,
                        Native.cstrs(a, labelNames, "label name")));
        return addVec(new MetricVec.HistogramVec(this, name, labelNames, v));
    }

    private interface Bounds {
        int write(MemorySegment out) throws Throwable;
    }

    private static double[] bucketBounds(int count, String call, Bounds fn) {
        // libhams refuses a count outside 1..1024 before it writes anything.
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_DOUBLE, Math.max(1, Math.min(count, 1024)));
            Native.check(fn.write(out), call);
            return out.asSlice(0, count * 8L).toArray(JAVA_DOUBLE);
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    /** {@code count} (1 to 1024) bounds: start, start + width, ... (width > 0), as client_golang's LinearBuckets. */
    public static double[] linearBuckets(double start, double width, int count) {
        return bucketBounds(count, "hams_buckets_linear",
                out -> (int) Native.BUCKETS_LINEAR.invokeExact(start, width, (long) Math.max(count, 0), out));
    }

    /** {@code count} (1 to 1024) bounds: start, start * factor, ... (start > 0, factor > 1). */
    public static double[] exponentialBuckets(double start, double factor, int count) {
        return bucketBounds(count, "hams_buckets_exponential",
                out -> (int) Native.BUCKETS_EXPONENTIAL.invokeExact(start, factor, (long) Math.max(count, 0), out));
    }

    /**
     * Installs {@code fn}, run on a hams thread for each scrape of
     * /hams/metrics: the exposition text it returns (Prometheus text format,
     * may be null) is validated and served after hams' own metrics. null
     * removes it (waiting for a run in progress).
     */
    public Hams setMetricsCallback(Supplier<String> fn) {
        if (fn == null) {
            call("hams_set_metrics_callback",
                    a -> (int) Native.SET_METRICS_CALLBACK.invokeExact(ptr, MemorySegment.NULL, MemorySegment.NULL));
            return this;
        }
        MemorySegment stub = Native.LINKER.upcallStub(METRICS_UPCALL.bindTo(fn), Native.METRICS_FN, arena);
        call("hams_set_metrics_callback",
                a -> (int) Native.SET_METRICS_CALLBACK.invokeExact(ptr, stub, MemorySegment.NULL));
        return this;
    }

    @SuppressWarnings("unused") // an upcall
    private static void runMetrics(Supplier<String> fn, MemorySegment user, MemorySegment out) {
        IN_CALLBACK.set(Boolean.TRUE);
        try (Arena a = Arena.ofConfined()) {
            String text = fn.get();
            if (text != null && !text.isEmpty() && text.indexOf('\0') < 0) {
                int rc = (int) Native.METRICS_APPEND.invokeExact(out, a.allocateFrom(text, StandardCharsets.UTF_8));
                if (rc < 0) return; // hams validates the text again; nothing more to do
            }
        } catch (Throwable t) {
            // nothing appended: hams serves its own metrics
        } finally {
            IN_CALLBACK.set(Boolean.FALSE);
        }
    }

    // -------------------------------------------------------------- shutdown

    /**
     * Adds {@code fn}, run once on a hams thread after the drain, when the
     * shutdown sequence runs; callbacks run in the order added. It must not
     * call {@link #close}.
     */
    public Hams onShutdown(Runnable fn) {
        Objects.requireNonNull(fn, "fn");
        enter();
        try {
            MemorySegment stub = Native.LINKER.upcallStub(SHUTDOWN_UPCALL.bindTo(fn), Native.SHUTDOWN_FN, arena);
            Native.check((int) Native.ON_SHUTDOWN.invokeExact(ptr, stub, MemorySegment.NULL), "hams_on_shutdown");
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        } finally {
            exit();
        }
        return this;
    }

    @SuppressWarnings("unused") // an upcall
    private static void runShutdown(Runnable fn, MemorySegment user) {
        IN_CALLBACK.set(Boolean.TRUE);
        try {
            fn.run();
        } catch (Throwable t) {
            System.getLogger("hams").log(System.Logger.Level.ERROR, "shutdown callback threw", t);
        } finally {
            IN_CALLBACK.set(Boolean.FALSE);
        }
    }

    /** Starts the shutdown sequence: readiness fails at once. Harmless when repeated. */
    public Hams shutdown() {
        call("hams_shutdown", a -> (int) Native.SHUTDOWN.invokeExact(ptr));
        return this;
    }

    /**
     * Blocks until the shutdown sequence is done (drain passed, callbacks
     * ran): true; false when {@code timeoutMs} passed first. -1 waits without
     * limit, 0 only looks. (Waits in slices of at most 100 ms, so that
     * {@link #close} from another thread is never held up for long; a closed
     * server ends the wait with HamsException.)
     */
    public boolean waitFor(long timeoutMs) {
        if (timeoutMs < -1) {
            call("hams_wait", a -> (int) Native.WAIT.invokeExact(ptr, timeoutMs));
            return false;
        }
        long deadline = timeoutMs == -1 ? Long.MAX_VALUE : System.nanoTime() + timeoutMs * 1_000_000L;
        for (;;) {
            long left = timeoutMs == -1 ? 100 : Math.max(0, (deadline - System.nanoTime() + 999_999) / 1_000_000L);
            long slice = Math.min(100, left);
            int rc = call("hams_wait", a -> (int) Native.WAIT.invokeExact(ptr, slice));
            if (rc == 1) return true;
            if (timeoutMs != -1 && System.nanoTime() - deadline >= 0) return false;
        }
    }

    /** The same as {@link #waitFor}. */
    public boolean await(long timeoutMs) {
        return waitFor(timeoutMs);
    }

    /**
     * Makes hams handle SIGTERM and SIGINT (or restores the previous
     * handlers). In a JVM, which owns these signals for its shutdown hooks,
     * prefer a shutdown hook that calls {@link #shutdown} and {@link #waitFor}.
     */
    public Hams handleSignals(boolean on) {
        call("hams_handle_signals", a -> (int) Native.HANDLE_SIGNALS.invokeExact(ptr, on));
        return this;
    }

    // ----------------------------------------------------------------- close

    /**
     * Stops and frees the server with its probes and metrics (their objects
     * become invalid), waiting for callback checks in progress; then releases
     * the callbacks' upcall stubs. Idempotent. Not from inside a check, shutdown
     * or metrics callback (a status listener may).
     */
    @Override
    public void close() {
        if (inCallback()) throw new IllegalStateException("close() from inside a hams callback would deadlock");
        if (!guard.close()) return;
        try {
            Native.FREE.invokeExact(ptr);
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
        for (Probe p : probes.values()) p.invalidate();
        for (Metric m : metrics) m.invalidate();
        for (MetricVec<?> v : vecs) v.invalidate();
        probes.clear();
        metrics.clear();
        vecs.clear();
        synchronized (this) {
            for (Arena a : later) a.close();
            later.clear();
        }
        arena.close();
        listeners.close(this);
    }

    public boolean isClosed() {
        return guard.isClosed();
    }

    // --------------------------------------------------------------- logging

    /**
     * Routes hams' log records (process-wide) up to {@code maxLevel} (0 off,
     * 1 error, 2 warn, 3 info, 4 debug, 5 trace) to the System.Logger "hams"
     * (java.util.logging's logger "hams" by default). Done when the class
     * loads, at the most detailed level that logger has enabled, unless the
     * system property hams.logging is "stderr".
     */
    public static void setLogger(int maxLevel) {
        Logging.toJava(maxLevel);
    }

    /** Routes hams' log records up to {@code maxLevel} to stderr again ("hams: " prefix; hams' default). */
    public static void setLoggerStderr(int maxLevel) {
        Logging.toStderr(maxLevel);
    }

    @Override
    public String toString() {
        return "Hams[" + (isClosed() ? "closed" : ptr) + "]";
    }
}
