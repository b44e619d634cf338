package io.hams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A probe, owned by its {@link Hams}: manual probes are {@link #set}, kick
 * probes {@link #kick}ed; check probes run their {@link Check}. Invalid once
 * freed or once its Hams is closed (calls then throw HamsException).
 */
public final class Probe {
    private final Hams owner;
    private final String name;
    private final MemorySegment ptr;
    private final Guard guard;
    /** The upcall stub of a check probe, released after hams_probe_free; else null. */
    private final Arena arena;

    Probe(Hams owner, String name, MemorySegment ptr, Arena arena) {
        this.owner = owner;
        this.name = name;
        this.ptr = ptr;
        this.arena = arena;
        this.guard = new Guard("probe \"" + name + "\"");
    }

    public String name() {
        return name;
    }

    /** Sets a manual probe healthy (reason ignored) or unhealthy with a reason (may be null). */
    public Probe set(boolean healthy, String reason) {
        owner.enter();
        try {
            guard.enter();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment r = reason == null ? MemorySegment.NULL : Native.cstr(a, reason, "reason");
                Native.check((int) Native.PROBE_SET.invokeExact(ptr, healthy, r), "hams_probe_set");
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            } finally {
                guard.exit();
            }
        } finally {
            owner.exit();
        }
        return this;
    }

    public Probe set(boolean healthy) {
        return set(healthy, null);
    }

    /** Kicks a kick probe: healthy for its margin from now. */
    public Probe kick() {
        owner.enter();
        try {
            guard.enter();
            try {
                Native.check((int) Native.PROBE_KICK.invokeExact(ptr), "hams_probe_kick");
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            } finally {
                guard.exit();
            }
        } finally {
            owner.exit();
        }
        return this;
    }

    /**
     * Makes a manual or check probe tolerate blips: it turns unhealthy only
     * after {@code failures} failed results in a row, and healthy again after
     * {@code successes} good ones (both at least 1; 1 and 1 by default). A
     * check run that passes its timeout fails the probe at once.
     */
    public Probe setThresholds(int failures, int successes) {
        if (failures < 1 || successes < 1) {
            throw new HamsException("thresholds must be at least 1 (failures " + failures + ", successes "
                    + successes + ")", HamsException.ERR_INVALID, "hams_probe_set_thresholds");
        }
        owner.enter();
        try {
            guard.enter();
            try {
                Native.check((int) Native.PROBE_SET_THRESHOLDS.invokeExact(ptr, failures, successes),
                        "hams_probe_set_thresholds");
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            } finally {
                guard.exit();
            }
        } finally {
            owner.exit();
        }
        return this;
    }

    /**
     * Unregisters and frees the probe. For a check probe this waits for a run
     * in progress (unless called from inside it); the check is never run after.
     */
    public void free() {
        owner.enter();
        try {
            if (!guard.close()) return;
            try {
                Native.check((int) Native.PROBE_FREE.invokeExact(ptr), "hams_probe_free");
            } catch (Throwable t) {
                throw HamsException.rethrow(t);
            }
            owner.forget(this);
            if (arena != null) {
                if (Hams.inCallback()) owner.closeLater(arena); // the stub is running: not now
                else arena.close();
            }
        } finally {
            owner.exit();
        }
    }

    boolean isFreed() {
        return guard.isClosed();
    }

    /** After hams_free: the handle is gone. */
    void invalidate() {
        guard.close();
        if (arena != null) arena.close();
    }

    @Override
    public String toString() {
        return "Probe[" + name + "]";
    }
}
