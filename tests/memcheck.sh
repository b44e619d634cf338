#!/usr/bin/env bash
# Memory safety across the ABI: the C API tests (tests/c/api/ and
# tests/metrics/api/, built by tests/c/build-tests.sh) under valgrind's
# memcheck, and built with AddressSanitizer and UBSan. Errors (invalid
# reads/writes, use of freed or uninitialised memory, definite leaks,
# undefined behaviour) fail the suite.
#
#   HAMS_LIB_DIR=target/release HAMS_OUT_DIR=target/memcheck tests/memcheck.sh
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lib="${HAMS_LIB_DIR:-$root/target/release}"
out="${HAMS_OUT_DIR:-$root/target/memcheck}"
CC="${CC:-cc}"
mkdir -p "$out"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
passed=0 failed=0 skipped=0
result() { # name status
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok   $1"
    else failed=$((failed + 1)); echo "FAIL $1 (see $out/$1.log)"; tail -30 "$out/$1.log" | sed 's/^/    /'; fi
}
build() { # build DIR PROGRAM CFLAGS...
    CC="$CC" HAMS_LIB_DIR="$lib" bash "$root/tests/c/build-tests.sh" "$@"
}
tests=(test_api:c/api test_metrics:metrics/api)
for t in "${tests[@]}"; do
    name="${t%%:*}"
    src="$root/tests/${t#*:}"
    build "$src" "$out/$name" -g -O1 2>"$out/$name-build.log" ||
        { result "$name-build" 1; continue; }
    if command -v valgrind >/dev/null; then
        valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite "$out/$name" >"$out/valgrind-$name.log" 2>&1
        result "valgrind-$name" $?
    else
        skipped=$((skipped + 1)); echo "SKIP valgrind-$name: valgrind not installed (apt-get install valgrind)"
    fi
    build "$src" "$out/$name-asan" -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
        -fno-sanitize-recover=undefined 2>"$out/$name-asan-build.log" ||
        { result "$name-asan-build" 1; continue; }
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        "$out/$name-asan" >"$out/asan-$name.log" 2>&1
    result "asan-$name" $?
done
echo "memcheck: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ] || { [ "$failed" -eq 0 ] && exit 77; exit 1; }
