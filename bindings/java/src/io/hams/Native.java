package io.hams;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The C functions of libhams, as method handles. The library is found by the
 * platform's normal lookup (libhams.so.0, then libhams.so), or at the path in
 * the HAMS_LIBRARY environment variable (or the hams.library system property).
 */
final class Native {
    private Native() {}

    static final Linker LINKER = Linker.nativeLinker();
    private static final Object[] LOADED = load();
    static final SymbolLookup LIB = (SymbolLookup) LOADED[0];
    /** The name or path libhams was loaded by. */
    static final String LIBRARY = (String) LOADED[1];

    private static Object[] load() {
        List<String> names = new ArrayList<>();
        String explicit = System.getProperty("hams.library");
        if (explicit == null || explicit.isEmpty()) explicit = System.getenv("HAMS_LIBRARY");
        if (explicit != null && !explicit.isEmpty()) {
            names.add(explicit);
        } else {
            String os = System.getProperty("os.name", "").toLowerCase();
            if (os.contains("mac")) {
                names.add("libhams.0.dylib");
                names.add("libhams.dylib");
            } else if (os.contains("win")) {
                names.add("hams.dll");
            } else {
                names.add("libhams.so.0");
                names.add("libhams.so");
            }
        }
        StringBuilder errors = new StringBuilder();
        for (String name : names) {
            try {
                return new Object[] {SymbolLookup.libraryLookup(name, Arena.global()), name};
            } catch (IllegalArgumentException e) {
                errors.append(errors.length() == 0 ? "" : "; ").append(name).append(": ").append(e.getMessage());
            }
        }
        throw new UnsatisfiedLinkError(
                "hams: cannot load libhams (install it, or set HAMS_LIBRARY to its path): " + errors);
    }

    private static MethodHandle fn(String name, FunctionDescriptor d) {
        MemorySegment addr = LIB.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libhams has no " + name));
        return LINKER.downcallHandle(addr, d);
    }

    private static FunctionDescriptor f(java.lang.foreign.MemoryLayout ret, java.lang.foreign.MemoryLayout... args) {
        return FunctionDescriptor.of(ret, args);
    }

    static final MethodHandle VERSION = fn("hams_version", f(ADDRESS));
    static final MethodHandle LAST_ERROR = fn("hams_last_error", f(ADDRESS));
    static final MethodHandle NEW = fn("hams_new", f(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle SET_ADDRESS = fn("hams_set_address", f(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle SET_RUNTIME = fn("hams_set_runtime", f(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle START = fn("hams_start", f(JAVA_INT, ADDRESS));
    static final MethodHandle PORT = fn("hams_port", f(JAVA_INT, ADDRESS));
    static final MethodHandle STOP = fn("hams_stop", f(JAVA_INT, ADDRESS));
    static final MethodHandle FREE = fn("hams_free", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle NEW_FROM_FILE = fn("hams_new_from_file", f(ADDRESS, ADDRESS));
    static final MethodHandle NEW_FROM_YAML = fn("hams_new_from_yaml", f(ADDRESS, ADDRESS));
    static final MethodHandle ON_SHUTDOWN = fn("hams_on_shutdown", f(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle SHUTDOWN = fn("hams_shutdown", f(JAVA_INT, ADDRESS));
    static final MethodHandle WAIT = fn("hams_wait", f(JAVA_INT, ADDRESS, JAVA_LONG));
    static final MethodHandle HANDLE_SIGNALS = fn("hams_handle_signals", f(JAVA_INT, ADDRESS, JAVA_BOOLEAN));
    static final MethodHandle SET_LOGGER = fn("hams_set_logger", f(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    static final MethodHandle COUNTER_NEW =
            fn("hams_counter_new_labeled", f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle GAUGE_NEW = fn("hams_gauge_new_labeled", f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle HISTOGRAM_NEW =
            fn("hams_histogram_new_labeled", f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    static final MethodHandle COUNTER_ADD = fn("hams_counter_add", f(JAVA_INT, ADDRESS, JAVA_DOUBLE));
    static final MethodHandle GAUGE_SET = fn("hams_gauge_set", f(JAVA_INT, ADDRESS, JAVA_DOUBLE));
    static final MethodHandle GAUGE_ADD = fn("hams_gauge_add", f(JAVA_INT, ADDRESS, JAVA_DOUBLE));
    static final MethodHandle OBSERVE = fn("hams_histogram_observe", f(JAVA_INT, ADDRESS, JAVA_DOUBLE));
    static final MethodHandle COUNTER_ADD_EXEMPLAR =
            fn("hams_counter_add_exemplar", f(JAVA_INT, ADDRESS, JAVA_DOUBLE, ADDRESS));
    static final MethodHandle OBSERVE_EXEMPLAR =
            fn("hams_histogram_observe_exemplar", f(JAVA_INT, ADDRESS, JAVA_DOUBLE, ADDRESS));
    static final MethodHandle METRIC_FREE = fn("hams_metric_free", f(JAVA_INT, ADDRESS));
    static final MethodHandle HISTOGRAM_NATIVE_NEW =
            fn("hams_histogram_native_new", f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_DOUBLE, JAVA_INT));
    static final MethodHandle COUNTER_VEC_NEW =
            fn("hams_counter_vec_new", f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle GAUGE_VEC_NEW = fn("hams_gauge_vec_new", f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle HISTOGRAM_VEC_NEW =
            fn("hams_histogram_vec_new", f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    static final MethodHandle HISTOGRAM_NATIVE_VEC_NEW = fn("hams_histogram_native_vec_new",
            f(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_DOUBLE, JAVA_INT, ADDRESS));
    static final MethodHandle VEC_WITH = fn("hams_vec_with", f(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle VEC_REMOVE = fn("hams_vec_remove", f(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle VEC_FREE = fn("hams_vec_free", f(JAVA_INT, ADDRESS));
    static final MethodHandle BUCKETS_LINEAR =
            fn("hams_buckets_linear", f(JAVA_INT, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_LONG, ADDRESS));
    static final MethodHandle BUCKETS_EXPONENTIAL =
            fn("hams_buckets_exponential", f(JAVA_INT, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_LONG, ADDRESS));
    static final MethodHandle METRICS_APPEND = fn("hams_metrics_append", f(JAVA_INT, ADDRESS, ADDRESS));
    static final MethodHandle SET_METRICS_CALLBACK =
            fn("hams_set_metrics_callback", f(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle PROBE_MANUAL =
            fn("hams_probe_new_manual", f(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_BOOLEAN));
    static final MethodHandle PROBE_KICK_NEW =
            fn("hams_probe_new_kick", f(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG));
    static final MethodHandle PROBE_CALLBACK = fn("hams_probe_new_callback",
            f(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
    static final MethodHandle PROBE_SET = fn("hams_probe_set", f(JAVA_INT, ADDRESS, JAVA_BOOLEAN, ADDRESS));
    static final MethodHandle PROBE_KICK = fn("hams_probe_kick", f(JAVA_INT, ADDRESS));
    static final MethodHandle PROBE_GET = fn("hams_probe_get", f(ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle PROBE_FREE = fn("hams_probe_free", f(JAVA_INT, ADDRESS));
    static final MethodHandle PROBE_SET_THRESHOLDS =
            fn("hams_probe_set_thresholds", f(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    static final MethodHandle ON_CHANGE = fn("hams_on_change", f(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    static final MethodHandle CHECK_STATE = fn("hams_check_state", f(JAVA_INT, ADDRESS, JAVA_INT));

    /** Signatures of the callbacks hams calls. */
    static final FunctionDescriptor CHECK_FN = FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, ADDRESS, JAVA_LONG);
    static final FunctionDescriptor SHUTDOWN_FN = FunctionDescriptor.ofVoid(ADDRESS);
    static final FunctionDescriptor LOG_FN = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
    static final FunctionDescriptor METRICS_FN = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS);
    static final FunctionDescriptor CHANGE_FN = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_BOOLEAN, ADDRESS);

    /** A NUL-terminated C string (or NULL) decoded as UTF-8. */
    static String string(MemorySegment p) {
        if (p == null || p.equals(MemorySegment.NULL)) return null;
        return p.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    /** A C copy of s in arena; a NUL inside is an error (it would cut the string). */
    static MemorySegment cstr(Arena arena, String s, String what) {
        if (s == null) throw new NullPointerException(what + " is null");
        if (s.indexOf('\0') >= 0) {
            throw new HamsException(what + " contains a NUL character", HamsException.ERR_INVALID, null);
        }
        return arena.allocateFrom(s, StandardCharsets.UTF_8);
    }

    /** A NULL-terminated array of C strings in arena (label names or values). */
    static MemorySegment cstrs(Arena arena, String[] items, String what) {
        if (items == null) throw new HamsException(what + "s is null", HamsException.ERR_NULL, null);
        MemorySegment arr = arena.allocate(ADDRESS, items.length + 1L);
        for (int i = 0; i < items.length; i++) {
            if (items[i] == null) {
                throw new HamsException(what + " #" + (i + 1) + " is null", HamsException.ERR_NULL, null);
            }
            arr.setAtIndex(ADDRESS, i, cstr(arena, items[i], what));
        }
        arr.setAtIndex(ADDRESS, items.length, MemorySegment.NULL);
        return arr;
    }

    /**
     * An exemplar's labels in arena: name, value, ..., NULL in the map's order;
     * an empty map is an exemplar without labels, null stays NULL (hams says
     * HAMS_ERR_NULL).
     */
    static MemorySegment exemplar(Arena arena, java.util.Map<String, String> labels) {
        if (labels == null) return MemorySegment.NULL;
        MemorySegment arr = arena.allocate(ADDRESS, labels.size() * 2L + 1);
        long i = 0;
        for (java.util.Map.Entry<String, String> e : labels.entrySet()) {
            arr.setAtIndex(ADDRESS, i++, cstr(arena, e.getKey(), "exemplar label name"));
            arr.setAtIndex(ADDRESS, i++, cstr(arena, e.getValue(), "exemplar label value"));
        }
        arr.setAtIndex(ADDRESS, i, MemorySegment.NULL);
        return arr;
    }

    /** hams_last_error() of this thread. */
    static String lastError() {
        try {
            String s = string((MemorySegment) LAST_ERROR.invokeExact());
            return s == null || s.isEmpty() ? "unknown error" : s;
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    static int check(int rc, String call) {
        if (rc < 0) throw new HamsException(lastError(), rc, call);
        return rc;
    }

    static MemorySegment checkPtr(MemorySegment p, String call) {
        if (p == null || p.equals(MemorySegment.NULL)) {
            throw new HamsException(lastError(), HamsException.NO_CODE, call);
        }
        return p;
    }

}
