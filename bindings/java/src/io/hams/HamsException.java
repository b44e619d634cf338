package io.hams;

/**
 * A failed hams call. The message is hams_last_error()'s text; {@link #code()}
 * is the negative HAMS_ERR_* code when the C function returned one, or
 * {@link #NO_CODE} for functions that return a pointer (they return NULL and
 * no code) and for errors found before calling hams.
 */
public class HamsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** No code: the failing function returns a pointer (NULL on error). */
    public static final int NO_CODE = 0;
    public static final int ERR_NULL = -1;
    public static final int ERR_INVALID = -2;
    public static final int ERR_STATE = -3;
    public static final int ERR_IO = -4;
    public static final int ERR_CONFIG = -5;
    public static final int ERR_PANIC = -6;

    private final int code;
    private final String call;

    public HamsException(String message, int code, String call) {
        super(message);
        this.code = code;
        this.call = call;
    }

    /** The HAMS_ERR_* code (negative), or {@link #NO_CODE}. */
    public int code() {
        return code;
    }

    /** The name of the code, e.g. "HAMS_ERR_INVALID", or null without a code. */
    public String codeName() {
        switch (code) {
            case ERR_NULL: return "HAMS_ERR_NULL";
            case ERR_INVALID: return "HAMS_ERR_INVALID";
            case ERR_STATE: return "HAMS_ERR_STATE";
            case ERR_IO: return "HAMS_ERR_IO";
            case ERR_CONFIG: return "HAMS_ERR_CONFIG";
            case ERR_PANIC: return "HAMS_ERR_PANIC";
            case NO_CODE: return null;
            default: return "HAMS_ERR(" + code + ")";
        }
    }

    /** For catch blocks around method handle calls: unchecked exceptions and errors as they are. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) return (RuntimeException) t;
        if (t instanceof Error) throw (Error) t;
        return new IllegalStateException(t);
    }

    /** The C function that failed, e.g. "hams_start", or null. */
    public String call() {
        return call;
    }
}
