#!/bin/sh
# Runs the Java binding's JUnit 5 tests, or a class of an application built
# with it (build.sh first), with hams.jar on the module path and native access
# for the module io.hams only:
#   bindings/java/run.sh                       the tests (JUnit's console launcher)
#   bindings/java/build.sh examples/java && bindings/java/run.sh io.hams.demo.Demo --address 127.0.0.1:0
# libhams is found by the dynamic loader (libhams.so.0), or at $HAMS_LIBRARY.
set -eu
. "$(dirname "$0")/env.sh"
if [ ! -f "$HAMS_JAVA_OUT/hams.jar" ]; then
    "$HAMS_JAVA_DIR/build.sh" >&2
fi
MODULE="--module-path $HAMS_JAVA_OUT/hams.jar --add-modules io.hams --enable-native-access=io.hams"
if [ $# -eq 0 ]; then
    if [ ! -f "$HAMS_JUNIT" ]; then
        echo "hams java: JUnit 5 not found at $HAMS_JUNIT; install it with: apt-get install -y junit5" >&2
        exit 1
    fi
    # The tests are in the package io.hams: patched into the module, which
    # then reads JUnit (on the class path) and java.logging, and opens its
    # package to JUnit.
    # shellcheck disable=SC2086
    exec "$JAVA" $MODULE --patch-module "io.hams=$HAMS_JAVA_OUT/test" \
        --add-reads io.hams=ALL-UNNAMED,java.logging --add-opens io.hams/io.hams=ALL-UNNAMED \
        ${HAMS_JAVA_OPTS:-} -cp "$HAMS_JUNIT" org.junit.platform.console.ConsoleLauncher \
        --disable-banner --disable-ansi-colors --details=tree --fail-if-no-tests --select-class io.hams.HamsTest
fi
# shellcheck disable=SC2086
exec "$JAVA" $MODULE ${HAMS_JAVA_OPTS:-} -cp "$HAMS_JAVA_OUT/app${HAMS_JAVA_CP:+:$HAMS_JAVA_CP}" "$@"
