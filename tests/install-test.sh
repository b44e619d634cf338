#!/usr/bin/env bash
# Install test, run by `make check` from the build tree:
#  1. make install DESTDIR=<tmp>: exactly the expected files are installed
#     (library, SONAME and dev links, static library, header, hams.pc, man
#     pages and their links, the cli/ programs), and the library's SONAME is
#     right;
#  2. examples/c/demo.c builds with nothing but
#     `cc demo.c $(pkg-config --cflags --libs hams)` against the staged
#     hams.pc, runs against the staged library, and answers over HTTP:
#     /hams/alive 200, /hams/ready 503 during warm-up, then 200;
#  3. it also links statically (libhams.a and hams.pc's Libs.private);
#  4. a C++17 program including <hams.hpp> (installed beside hams.h) builds
#     with `c++ -std=c++17 prog.cpp $(pkg-config --cflags --libs hams)`, runs
#     and names itself in /hams/version (skipped without a C++ compiler);
#  5. make uninstall DESTDIR=<tmp> leaves nothing behind.
#
# Usage: tests/install-test.sh --srcdir DIR --version X.Y.Z --major X
#            --bindir DIR --libdir DIR --includedir DIR --mandir DIR
# Environment: MAKE, CC, PKG_CONFIG, CURL, READELF (the ones configure found),
#              CXX (default c++).
# Prints one line per failure and "install: N passed, N failed".
set -u
export LC_ALL=C

srcdir= version= major= bindir= libdir= includedir= mandir=
while [ $# -gt 0 ]; do
    case $1 in
        --srcdir) srcdir=$2 ;;
        --version) version=$2 ;;
        --major) major=$2 ;;
        --bindir) bindir=$2 ;;
        --libdir) libdir=$2 ;;
        --includedir) includedir=$2 ;;
        --mandir) mandir=$2 ;;
        *) echo "install-test: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
for v in srcdir version major bindir libdir includedir mandir; do
    [ -n "${!v}" ] || { echo "install-test: --$v is missing" >&2; exit 2; }
done
MAKE=${MAKE:-make}
CC=${CC:-cc}
CXX=${CXX:-c++}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
CURL=${CURL:-curl}
READELF=${READELF:-readelf}

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass; else fail "$what"; fi
}
finish() {
    echo "install: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

tmp=$(mktemp -d) || exit 1
stage=$tmp/stage
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------------------ install
if ! $MAKE install DESTDIR="$stage" >"$tmp/install.log" 2>&1; then
    sed 's/^/    /' "$tmp/install.log"
    fail "make install DESTDIR=... failed"
    finish
fi
pass

{
    echo "$libdir/libhams.so.$version"
    echo "$libdir/libhams.so.$major -> libhams.so.$version"
    echo "$libdir/libhams.so -> libhams.so.$version"
    echo "$libdir/libhams.a"
    echo "$libdir/pkgconfig/hams.pc"
    echo "$includedir/hams.h"
    echo "$includedir/hams.hpp"
    echo "$includedir/hams_grpc.hpp"
    for prog in "$srcdir"/cli/*.c; do
        [ -f "$prog" ] || continue
        prog=${prog##*/}
        echo "$bindir/${prog%.c}"
    done
    for page in "$srcdir"/man/*.[1-9]; do echo "$mandir/man${page##*.}/${page##*/}"; done
    sh "$srcdir/tools/man-links.sh" "$srcdir"/man/*.[1-9] |
        while read -r alias page; do echo "$mandir/man${alias##*.}/$alias -> $page"; done
} | sort >"$tmp/expected"
(cd "$stage" && find . ! -type d) | sed 's|^\.||' | sort |
    while read -r f; do
        if [ -L "$stage$f" ]; then echo "$f -> $(readlink "$stage$f")"; else echo "$f"; fi
    done >"$tmp/installed"
if diff -u "$tmp/expected" "$tmp/installed" >"$tmp/files.diff"; then
    pass
else
    fail "installed files differ from the expected list (- expected, + installed):"
    sed -n '3,$p' "$tmp/files.diff" | grep '^[-+]' | sed 's/^/    /'
fi
echo "installed $(wc -l <"$tmp/installed") files and links under DESTDIR"

lib=$stage$libdir/libhams.so.$version
soname=$("$READELF" -d "$lib" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
check "installed library has SONAME '$soname', expected libhams.so.$major" \
    test "$soname" = "libhams.so.$major"

# ------------------------------------------------------------- pkg-config
# Only the staged hams.pc: PKG_CONFIG_LIBDIR replaces the default search
# path, PKG_CONFIG_SYSROOT_DIR maps its paths into DESTDIR.
export PKG_CONFIG_LIBDIR=$stage$libdir/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$stage
unset PKG_CONFIG_PATH
check "pkg-config --validate hams" "$PKG_CONFIG" --validate hams
modversion=$("$PKG_CONFIG" --modversion hams 2>&1)
check "pkg-config --modversion hams is '$modversion', expected $version" \
    test "$modversion" = "$version"
if ! flags=$("$PKG_CONFIG" --cflags --libs hams); then
    fail "pkg-config --cflags --libs hams failed"
    finish
fi
echo "pkg-config --cflags --libs hams: $flags"

# --------------------------------------------------------------- the demo
if ! command -v "$CURL" >/dev/null 2>&1; then
    fail "curl not found (apt-get install curl, or configure CURL=...)"
    finish
fi

# http_code PORT PATH
http_code() {
    "$CURL" -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$1$2" || true
}

# start_demo BINARY OUTFILE ARGS...: starts it, sets $demo_pid and $port.
start_demo() {
    local bin=$1 out=$2 line i
    shift 2
    "$bin" --address 127.0.0.1:0 "$@" >"$out" 2>"$out.err" &
    demo_pid=$!
    pids+=("$demo_pid")
    port=
    for i in $(seq 1 100); do
        line=$(grep -m1 'hams demo: serving on ' "$out" 2>/dev/null) && {
            port=$(printf '%s\n' "$line" |
                sed -n 's#.*http://127\.0\.0\.1:\([0-9][0-9]*\)/hams/ready.*#\1#p')
            [ -n "$port" ] && return 0
        }
        kill -0 "$demo_pid" 2>/dev/null || break
        sleep 0.05
    done
    sed 's/^/    /' "$out.err"
    return 1
}

# wait_exit PID: waits at most 10 s for it, returns its exit status.
wait_exit() {
    local i
    for i in $(seq 1 100); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$1" 2>/dev/null && { kill "$1"; echo "    still running after 10 s" >&2; }
    wait "$1"
}

demo_c=$srcdir/examples/c/demo.c
echo "cc demo.c \$(pkg-config --cflags --libs hams)"
# Word splitting of $flags is intended: it is a list of options.
# shellcheck disable=SC2086
if "$CC" "$demo_c" $flags -o "$tmp/demo" 2>"$tmp/cc.log"; then
    pass
    # It finds the staged library by its SONAME, libhams.so.MAJOR.
    resolved=$(LD_LIBRARY_PATH=$stage$libdir ldd "$tmp/demo" 2>/dev/null |
        awk '$1 == "libhams.so.'"$major"'" { print $3 }')
    check "demo resolves libhams.so.$major to '$resolved', expected $stage$libdir/..." \
        test "$resolved" = "$stage$libdir/libhams.so.$major"

    if LD_LIBRARY_PATH=$stage$libdir start_demo "$tmp/demo" "$tmp/demo.out" \
        --warmup-ms 1000 --run-ms 4000; then
        pass
        echo "demo: serving on port $port"
        code=$(http_code "$port" /hams/alive)
        check "GET /hams/alive during warm-up: $code, expected 200" test "$code" = 200
        code=$(http_code "$port" /hams/ready)
        check "GET /hams/ready during warm-up: $code, expected 503" test "$code" = 503
        code=
        for i in $(seq 1 50); do
            code=$(http_code "$port" /hams/ready)
            [ "$code" = 200 ] && break
            sleep 0.1
        done
        check "GET /hams/ready after warm-up: $code, expected 200" test "$code" = 200
        code=$(http_code "$port" /hams/version)
        check "GET /hams/version: $code, expected 200" test "$code" = 200
        wait_exit "$demo_pid"
        rc=$?
        check "demo --run-ms exited with $rc, expected 0" test "$rc" = 0
    else
        fail "the demo built with pkg-config did not start"
    fi
else
    sed 's/^/    /' "$tmp/cc.log"
    fail "cc demo.c \$(pkg-config --cflags --libs hams) failed"
fi

# Static: libhams.a and Libs.private (-lhams made static, the rest shared).
static_flags=$("$PKG_CONFIG" --cflags --libs --static hams)
static_flags=$(printf '%s\n' "$static_flags" |
    sed 's/\(^\| \)-lhams\( \|$\)/ -Wl,-Bstatic -lhams -Wl,-Bdynamic /')
echo "static: cc demo.c $static_flags"
# shellcheck disable=SC2086
if "$CC" "$demo_c" $static_flags -o "$tmp/demo-static" 2>"$tmp/cc-static.log"; then
    pass
    if "$READELF" -d "$tmp/demo-static" | grep -q 'NEEDED.*libhams'; then
        fail "the static demo still needs libhams.so"
    else
        pass
    fi
    if start_demo "$tmp/demo-static" "$tmp/demo-static.out" --warmup-ms 0 --run-ms 1500; then
        code=$(http_code "$port" /hams/alive)
        check "static demo: GET /hams/alive: $code, expected 200" test "$code" = 200
        wait_exit "$demo_pid"
        rc=$?
        check "static demo exited with $rc, expected 0" test "$rc" = 0
    else
        fail "the statically linked demo did not start"
    fi
else
    sed 's/^/    /' "$tmp/cc-static.log"
    fail "static link with pkg-config --static failed"
fi

# ------------------------------------------------------------------- C++
if command -v "$CXX" >/dev/null 2>&1; then
    cat >"$tmp/prog.cpp" <<'CPP'
// Serves for 3 s with the C++ runtime named, then stops.
#include <hams.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

int main(int argc, char **argv) {
    try {
        hamspp::server h("hams-cpp-install", "1.0");
        h.set_address(argc > 2 ? argv[2] : "127.0.0.1:0");
        h.set_runtime();
        h.start();
        std::printf("hams demo: serving on http://127.0.0.1:%d/hams/ready\n", h.port());
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::seconds(3));
        h.stop();
    } catch (const hamspp::error &e) {
        std::fprintf(stderr, "hams: %s\n", e.what());
        return 1;
    }
    return 0;
}
CPP
    echo "$CXX -std=c++17 prog.cpp \$(pkg-config --cflags --libs hams)"
    # shellcheck disable=SC2086
    if "$CXX" -std=c++17 -Wall -Wextra -Werror "$tmp/prog.cpp" $flags -o "$tmp/prog-cpp" 2>"$tmp/cxx.log"; then
        pass
        if LD_LIBRARY_PATH=$stage$libdir start_demo "$tmp/prog-cpp" "$tmp/prog-cpp.out"; then
            body=$("$CURL" -s --max-time 3 "http://127.0.0.1:$port/hams/version" || true)
            check "C++ program: /hams/version is '$body', expected library hams-cpp" \
                grep -q '"library":"hams-cpp"' <<<"$body"
            wait_exit "$demo_pid"
            rc=$?
            check "C++ program exited with $rc, expected 0" test "$rc" = 0
        else
            fail "the C++ program built with pkg-config did not start: $(cat "$tmp/prog-cpp.out.err")"
        fi
    else
        sed 's/^/    /' "$tmp/cxx.log"
        fail "$CXX -std=c++17 prog.cpp \$(pkg-config --cflags --libs hams) failed"
    fi
else
    echo "install: no C++ compiler ($CXX): the <hams.hpp> program is not built"
fi

# -------------------------------------------------------------- uninstall
if $MAKE uninstall DESTDIR="$stage" >"$tmp/uninstall.log" 2>&1; then
    pass
    left=$(cd "$stage" && find . ! -type d)
    if [ -z "$left" ]; then
        pass
    else
        fail "make uninstall left files behind:"
        printf '%s\n' "$left" | sed 's/^/    /'
    fi
else
    sed 's/^/    /' "$tmp/uninstall.log"
    fail "make uninstall DESTDIR=... failed"
fi

finish
