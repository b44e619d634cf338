#!/bin/sh
# Runs a Kotlin program built by build.sh: hams.jar on the module path with
# native access for io.hams only; the Kotlin layer, the standard library and
# the program on the class path. Without arguments: the JUnit 5 tests.
#   bindings/kotlin/build.sh examples/kotlin && bindings/kotlin/run.sh io.hams.demo.kotlin.DemoKt --address 127.0.0.1:0
set -eu
. "$(dirname "$0")/env.sh"
CP="$HAMS_KOTLIN_OUT/hams-kotlin.jar:$KOTLIN_STDLIB"
if [ $# -eq 0 ]; then
    # shellcheck disable=SC2086
    exec "$JAVA" --module-path "$HAMS_JAVA_OUT/hams.jar" --add-modules io.hams --enable-native-access=io.hams \
        ${HAMS_JAVA_OPTS:-} -cp "$HAMS_KOTLIN_OUT/test:$CP:$HAMS_JUNIT" org.junit.platform.console.ConsoleLauncher \
        --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests \
        --select-class io.hams.kotlin.HamsKotlinTest --select-class io.hams.kotlin.ChangesTest \
        --select-class io.hams.kotlin.ExemplarTest
fi
exec "$JAVA" --module-path "$HAMS_JAVA_OUT/hams.jar" --add-modules io.hams --enable-native-access=io.hams \
    ${HAMS_JAVA_OPTS:-} -cp "$HAMS_KOTLIN_OUT/app:$CP" "$@"
