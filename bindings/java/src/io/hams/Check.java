package io.hams;

/**
 * A health check run by hams on one of its threads (never the thread that
 * serves HTTP): at once, then an interval after each run ends. It must be
 * thread-safe. An exception fails the probe with the exception's message.
 */
@FunctionalInterface
public interface Check {
    Result check() throws Exception;

    /** The outcome of one run: healthy, or unhealthy with a reason. */
    final class Result {
        private static final Result HEALTHY = new Result(true, null);
        private final boolean healthy;
        private final String reason;

        private Result(boolean healthy, String reason) {
            this.healthy = healthy;
            this.reason = reason;
        }

        public static Result healthy() {
            return HEALTHY;
        }

        public static Result unhealthy(String reason) {
            return new Result(false, reason);
        }

        public static Result of(boolean healthy, String reason) {
            return healthy ? HEALTHY : new Result(false, reason);
        }

        public boolean isHealthy() {
            return healthy;
        }

        public String reason() {
            return reason;
        }
    }
}
