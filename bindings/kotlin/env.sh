# Sourced by build.sh and run.sh: the Java module's environment
# (bindings/java/env.sh) and the Kotlin compiler.
#   KOTLINC          kotlinc; else the one of the npm package kotlin-compiler
#                    (cd bindings/kotlin && npm install), else kotlinc on PATH
#   HAMS_KOTLIN_OUT  where the build goes (default bindings/kotlin/out)
HAMS_KOTLIN_DIR=$(cd "$(dirname "$0")" && pwd)
HAMS_JAVA_DIR=$(cd "$HAMS_KOTLIN_DIR/../java" && pwd)
. "$HAMS_JAVA_DIR/env.sh"
HAMS_KOTLIN_OUT=${HAMS_KOTLIN_OUT:-$HAMS_KOTLIN_DIR/out}
if [ -z "${KOTLINC:-}" ]; then
    if [ -x "$HAMS_KOTLIN_DIR/node_modules/kotlin-compiler/bin/kotlinc" ]; then
        KOTLINC=$HAMS_KOTLIN_DIR/node_modules/kotlin-compiler/bin/kotlinc
    else
        KOTLINC=$(command -v kotlinc || true)
    fi
fi
# The Kotlin standard library, beside the compiler.
KOTLIN_STDLIB=${KOTLIN_STDLIB:-$(dirname "$(dirname "${KOTLINC:-/}")")/lib/kotlin-stdlib.jar}
