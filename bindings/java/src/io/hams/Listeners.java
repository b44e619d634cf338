package io.hams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The upcall stubs of one {@link Hams}' status listeners, in an arena of
 * their own: closed after hams_free, unless hams_free was called by one of
 * these listeners (allowed by hams_on_change(3): hams_free then returns at
 * once), whose stub is still running until the listener returns. Then the
 * arena is closed once hams' listener thread has ended.
 */
final class Listeners {
    private static final MethodHandle UPCALL;
    /** The Hams whose listener this thread is running, else null. */
    private static final ThreadLocal<Hams> RUNNING = new ThreadLocal<>();
    private static final System.Logger LOG = System.getLogger("hams");

    static {
        try {
            UPCALL = MethodHandles.lookup().findStatic(Listeners.class, "run", MethodType.methodType(void.class,
                    Hams.class, ChangeListener.class, MemorySegment.class, MemorySegment.class, boolean.class,
                    MemorySegment.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Arena arena = Arena.ofShared();

    /** A C function pointer calling {@code l}, valid until {@link #close}. */
    MemorySegment stub(Hams owner, ChangeListener l) {
        return Native.LINKER.upcallStub(MethodHandles.insertArguments(UPCALL, 0, owner, l), Native.CHANGE_FN, arena);
    }

    /** After hams_free of {@code owner}: no listener of it runs, except maybe the caller. */
    void close(Hams owner) {
        if (RUNNING.get() != owner) {
            arena.close();
            return;
        }
        // hams' listener thread is attached to the JVM while it calls us,
        // and detached when it ends: its Thread ends then.
        Thread listening = Thread.currentThread();
        Thread reaper = new Thread(() -> {
            boolean ended = false;
            while (!ended) {
                try {
                    listening.join();
                    ended = true;
                } catch (InterruptedException e) {
                    // only the listener thread's end lets the stub go
                }
            }
            arena.close();
        }, "hams-listener-reaper");
        reaper.setDaemon(true);
        reaper.start();
    }

    @SuppressWarnings("unused") // an upcall, on hams' listener thread
    private static void run(Hams owner, ChangeListener l, MemorySegment user, MemorySegment name, boolean healthy,
            MemorySegment reason) {
        Hams outer = RUNNING.get();
        RUNNING.set(owner);
        String n = null;
        try {
            n = Native.string(name);
            String r = Native.string(reason);
            l.changed(n, healthy, r == null ? "" : r);
        } catch (Throwable t) {
            // An exception must never unwind into hams.
            try {
                LOG.log(System.Logger.Level.WARNING, "status listener threw for '" + n + "'", t);
            } catch (Throwable ignored) {
                // a broken logger cannot be helped here
            }
        } finally {
            RUNNING.set(outer);
        }
    }
}
