#!/bin/sh
# Builds the Kotlin layer into $HAMS_KOTLIN_OUT/hams-kotlin.jar over the Java
# module (bindings/java/build.sh, into $HAMS_JAVA_OUT), and the .kt files of
# any directories given into $HAMS_KOTLIN_OUT/app (e.g. examples/kotlin), its
# JUnit 5 tests into $HAMS_KOTLIN_OUT/test.
# kotlinc runs on the Java 22+ runtime and compiles against its classes.
#   (cd bindings/kotlin && npm install) && bindings/kotlin/build.sh [DIR...]
set -eu
. "$(dirname "$0")/env.sh"
if [ -z "$KOTLINC" ]; then
    echo "hams kotlin: kotlinc not found; install it with: (cd bindings/kotlin && npm install) (or set KOTLINC)" >&2
    exit 1
fi
EXTRA=
for dir in "$@"; do
    EXTRA="$EXTRA $(cd "$dir" && pwd)"
done
[ -f "$HAMS_JAVA_OUT/hams.jar" ] || sh "$HAMS_JAVA_DIR/build.sh"
rm -rf "$HAMS_KOTLIN_OUT"
mkdir -p "$HAMS_KOTLIN_OUT"
kc() {
    JAVA_HOME=$JAVA_RT "$KOTLINC" -nowarn -jdk-home "$JAVA_RT" -jvm-target 17 "$@"
}
kc -cp "$HAMS_JAVA_OUT/hams.jar" -d "$HAMS_KOTLIN_OUT/hams-kotlin.jar" "$HAMS_KOTLIN_DIR/src"
if [ -f "$HAMS_JUNIT" ]; then
    kc -cp "$HAMS_JAVA_OUT/hams.jar:$HAMS_KOTLIN_OUT/hams-kotlin.jar:$HAMS_JUNIT" -d "$HAMS_KOTLIN_OUT/test" \
        "$HAMS_KOTLIN_DIR/test"
fi
if [ -n "$EXTRA" ]; then
    # shellcheck disable=SC2086
    kc -cp "$HAMS_JAVA_OUT/hams.jar:$HAMS_KOTLIN_OUT/hams-kotlin.jar" -d "$HAMS_KOTLIN_OUT/app" $EXTRA
fi
echo "hams kotlin: built $HAMS_KOTLIN_OUT/hams-kotlin.jar"
