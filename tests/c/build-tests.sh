#!/usr/bin/env bash
# Builds one C test program: every DIR/*.c, the runner tests/c/testing.c and
# the table of DIR's TEST cases, which tests/c/list-tests.sh writes beside
# PROGRAM (PROGRAM-cases.c). tests/c/run.sh, tests/metrics/run.sh and
# tests/memcheck.sh build with it.
#
# Usage: tests/c/build-tests.sh DIR PROGRAM [CFLAGS...]
# Env:   CC            C compiler (default: cc)
#        HAMS_LIB_DIR  the directory of libhams.so (default: target/release)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 DIR PROGRAM [CFLAGS...]" >&2; exit 2; }
dir=$1 program=$2
shift 2
c_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$c_dir/../.." && pwd)"
CC="${CC:-cc}"
lib_dir="${HAMS_LIB_DIR:-$root/target/release}"

export LC_ALL=C # the glob, hence the order of the cases, is the same everywhere
sources=("$dir"/*.c)
[ -e "${sources[0]}" ] || { echo "error: no C file in $dir" >&2; exit 2; }
mkdir -p "$(dirname "$program")"
sh "$c_dir/list-tests.sh" "$program-cases.c" "${sources[@]}"
"$CC" -std=c11 "$@" -I"$root/include" -I"$c_dir" "$c_dir/testing.c" "${sources[@]}" \
    "$program-cases.c" -L"$lib_dir" -lhams -lpthread -lm -o "$program"
