package io.hams;

/**
 * A status listener ({@link Hams#onChange}): told when a check ("alive",
 * "ready", "startup") or a probe turns healthy or unhealthy, and first once
 * with the current state of each. It runs on hams' listener thread, never the
 * one serving HTTP; an exception is logged (System.Logger "hams") and the
 * listener is called again at the next change.
 */
@FunctionalInterface
public interface ChangeListener {
    /** {@code reason} is "" when {@code healthy}; else why, e.g. "probe db: connection refused". */
    void changed(String name, boolean healthy, String reason) throws Exception;
}
