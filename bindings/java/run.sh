#!/bin/sh
# Runs a class of the Java binding (build.sh first) with native access on:
#   bindings/java/run.sh io.hams.HamsTest
#   bindings/java/build.sh examples/java && bindings/java/run.sh io.hams.Demo --address 127.0.0.1:0
# libhams is found by the dynamic loader (libhams.so.0), or at $HAMS_LIBRARY.
set -eu
. "$(dirname "$0")/env.sh"
if [ $# -eq 0 ]; then
    set -- io.hams.HamsTest
fi
if [ ! -d "$HAMS_JAVA_OUT/io/hams" ]; then
    "$HAMS_JAVA_DIR/build.sh" >&2
fi
exec "$JAVA" --enable-native-access=ALL-UNNAMED ${HAMS_JAVA_OPTS:-} -cp "$HAMS_JAVA_OUT" "$@"
