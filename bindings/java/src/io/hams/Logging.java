package io.hams;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** hams' log records to the System.Logger "hams" (process-wide, like hams_set_logger). */
final class Logging {
    private Logging() {}

    /** hams' levels: 0 off, 1 error .. 5 trace. */
    private static final System.Logger.Level[] LEVELS = {
        System.Logger.Level.OFF, System.Logger.Level.ERROR, System.Logger.Level.WARNING,
        System.Logger.Level.INFO, System.Logger.Level.DEBUG, System.Logger.Level.TRACE,
    };
    private static final System.Logger LOGGER = System.getLogger("hams");
    private static MemorySegment stub;
    private static boolean installed;

    /** Once: to Java's logging at the level the "hams" logger has enabled, unless -Dhams.logging=stderr. */
    static synchronized void installDefault() {
        if (installed) return;
        installed = true;
        if ("stderr".equals(System.getProperty("hams.logging"))) return;
        int level = 0;
        for (int i = 5; i >= 1 && level == 0; i--) {
            if (LOGGER.isLoggable(LEVELS[i])) level = i;
        }
        try {
            toJava(level);
        } catch (HamsException e) {
            // another logger owns hams' records in this process: leave it
        }
    }

    static synchronized void toJava(int maxLevel) {
        try {
            if (stub == null) {
                stub = Native.LINKER.upcallStub(
                        MethodHandles.lookup().findStatic(Logging.class, "onLog", MethodType.methodType(
                                void.class, MemorySegment.class, int.class, MemorySegment.class, MemorySegment.class)),
                        Native.LOG_FN, Arena.global());
            }
            Native.check((int) Native.SET_LOGGER.invokeExact(stub, MemorySegment.NULL, maxLevel), "hams_set_logger");
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    static synchronized void toStderr(int maxLevel) {
        try {
            Native.check((int) Native.SET_LOGGER.invokeExact(MemorySegment.NULL, MemorySegment.NULL, maxLevel),
                    "hams_set_logger");
        } catch (Throwable t) {
            throw HamsException.rethrow(t);
        }
    }

    @SuppressWarnings("unused") // an upcall, from any hams thread
    private static void onLog(MemorySegment user, int level, MemorySegment target, MemorySegment message) {
        try {
            System.Logger.Level l = level >= 1 && level <= 5 ? LEVELS[level] : System.Logger.Level.INFO;
            LOGGER.log(l, Native.string(target) + ": " + Native.string(message));
        } catch (Throwable t) {
            // a log record must never unwind into hams
        }
    }
}
