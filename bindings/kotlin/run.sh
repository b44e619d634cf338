#!/bin/sh
# Runs a Kotlin program built by build.sh: hams.jar on the module path with
# native access for io.hams only; the Kotlin layer, the standard library and
# the program on the class path.
#   bindings/kotlin/build.sh examples/kotlin && bindings/kotlin/run.sh io.hams.demo.kotlin.DemoKt --address 127.0.0.1:0
set -eu
. "$(dirname "$0")/env.sh"
exec "$JAVA" --module-path "$HAMS_JAVA_OUT/hams.jar" --add-modules io.hams --enable-native-access=io.hams \
    ${HAMS_JAVA_OPTS:-} -cp "$HAMS_KOTLIN_OUT/app:$HAMS_KOTLIN_OUT/hams-kotlin.jar:$KOTLIN_STDLIB" "$@"
