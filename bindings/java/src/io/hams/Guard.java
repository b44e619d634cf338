package io.hams;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps a native handle from being freed while calls on it are in flight:
 * calls {@link #enter} and {@link #exit} around each use; {@link #close}
 * refuses new calls and waits for those in flight, without holding a lock
 * while they run (so a callback that hams is waiting for may still call in,
 * and be refused, instead of deadlocking).
 */
final class Guard {
    private final AtomicInteger active = new AtomicInteger();
    private volatile boolean closed;
    private final String what;

    Guard(String what) {
        this.what = what;
    }

    void enter() {
        active.incrementAndGet();
        if (closed) {
            exit();
            throw new HamsException(what + " was closed", HamsException.ERR_STATE, null);
        }
    }

    void exit() {
        if (active.decrementAndGet() == 0 && closed) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Refuses new calls and waits until none is in flight; false if already closed. */
    boolean close() {
        synchronized (this) {
            if (closed) return false;
            closed = true;
            boolean interrupted = false;
            while (active.get() > 0) {
                try {
                    wait(10);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        return true;
    }
}
