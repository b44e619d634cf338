#!/usr/bin/env bash
# The Python package as users get it, run by `make check-python-package`:
#  1. make install DESTDIR=<tmp> stages libhams with its header and hams.pc;
#  2. `python -m build` makes an sdist and a wheel of bindings/python, whose
#     C fast path (hams._fast) is built against the staged library through
#     `pkg-config hams` (the wheel must contain it, linked to libhams.so.0);
#  3. the wheel, then the sdist, are pip-installed into fresh virtualenvs,
#     and the binding's tests run against the installed package twice: with
#     the fast path and with ctypes (HAMS_PYTHON_NO_EXT=1);
#  4. `import hams` where libhams is not found raises an ImportError that
#     names libhams.so.0 and how to install it.
# Needs the `build` module (tools/deps.sh check installs it): exit 77 without.
#
# Usage: tests/python-package.sh --srcdir DIR --libdir DIR
# Environment: MAKE, PYTHON, PKG_CONFIG. Prints "python-package: N passed, N failed".
set -u
export LC_ALL=C

srcdir= libdir=
while [ $# -gt 0 ]; do
    case $1 in
        --srcdir) srcdir=$2 ;;
        --libdir) libdir=$2 ;;
        *) echo "python-package: unknown argument $1" >&2; exit 2 ;;
    esac
    shift 2
done
[ -n "$srcdir" ] && [ -n "$libdir" ] || { echo "python-package: --srcdir and --libdir are needed" >&2; exit 2; }
srcdir=$(cd "$srcdir" && pwd)
MAKE=${MAKE:-make}
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import build, venv' 2>/dev/null; then
    echo "python-package: SKIP, $PYTHON has no 'build' module (tools/deps.sh check installs it)"
    exit 77
fi

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { # check DESCRIPTION LOG COMMAND...: the log's tail on failure
    local what=$1 log=$2; shift 2
    if "$@" >"$log" 2>&1; then pass "$what"; else fail "$what"; tail -n 25 "$log" | sed 's/^/    /'; fi
}

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage

# 1. The library, staged as `make install` puts it.
if ! $MAKE install DESTDIR="$stage" >"$tmp/install.log" 2>&1; then
    tail -n 25 "$tmp/install.log" | sed 's/^/    /'
    fail "make install DESTDIR=..."
    echo "python-package: $passed passed, $failed failed"
    exit 1
fi
pass "make install DESTDIR=..."
# Only the staged hams.pc, its paths mapped into DESTDIR (as install-test.sh).
export PKG_CONFIG_LIBDIR=$stage$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage
unset PKG_CONFIG_PATH HAMS_LIBRARY HAMS_PYTHON_NO_EXT HAMS_PYTHON_EXPECT
staged_lib=$stage$libdir

# 2. sdist and wheel, from a copy of the sources (the build writes next to them).
mkdir -p "$tmp/src" "$tmp/dist"
(cd "$srcdir/bindings/python" && tar cf - --exclude='_fast*.so' --exclude=build --exclude='*.egg-info' \
    --exclude=dist --exclude=__pycache__ .) | (cd "$tmp/src" && tar xf -)
for why in no-pkg-config no-compiler; do cp -R "$tmp/src" "$tmp/src-$why"; done
# --no-isolation: the setuptools already here, no download at build time.
check "python -m build (sdist and wheel)" "$tmp/build.log" \
    "$PYTHON" -m build --no-isolation --outdir "$tmp/dist" "$tmp/src"
wheel=$(ls "$tmp"/dist/hams-*.whl 2>/dev/null | head -n 1)
sdist=$(ls "$tmp"/dist/hams-*.tar.gz 2>/dev/null | head -n 1)
[ -n "$wheel" ] && [ -n "$sdist" ] || {
    fail "the sdist and the wheel exist"
    echo "python-package: $passed passed, $failed failed"
    exit 1
}
check "the sdist carries the extension's source" "$tmp/sdist.log" \
    sh -c 'tar tzf "$1" | grep -q "/src/hams_fast.c$"' sh "$sdist"
check "the wheel carries hams._fast" "$tmp/wheel.log" \
    "$PYTHON" -c 'import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist(); print(names); sys.exit(not any(n.startswith("hams/_fast") and n.endswith(".so") for n in names))' "$wheel"

# Without hams.pc, or with a compiler that fails, the wheel still builds: ctypes only.
for why in "no-pkg-config:PKG_CONFIG_LIBDIR=$tmp/none" "no-compiler:CC=false"; do
    check "a wheel without the fast path builds (${why%%:*})" "$tmp/wheel-${why%%:*}.log" \
        sh -c 'env "$1" "$2" -m build --no-isolation --wheel --outdir "$3" "$4" &&
            "$2" -c "import sys, zipfile, glob; w = glob.glob(sys.argv[1] + \"/hams-*.whl\")[0]; sys.exit(any(n.startswith(\"hams/_fast.\") for n in zipfile.ZipFile(w).namelist()))" "$3"' \
        sh "${why#*:}" "$PYTHON" "$tmp/dist-${why%%:*}" "$tmp/src-${why%%:*}"
done

# 3. Fresh virtualenvs; the tests of this tree against the installed package.
tests=$srcdir/bindings/python/tests
run_tests() { # venv implementation [HAMS_PYTHON_NO_EXT]
    (cd "$tmp" && env LD_LIBRARY_PATH="$staged_lib" HAMS_LIBRARY="$staged_lib/libhams.so.0" \
        HAMS_PYTHON_INSTALLED=1 HAMS_PYTHON_EXPECT="$2" HAMS_PYTHON_NO_EXT="${3:-}" \
        "$1/bin/python" -m unittest discover -s "$tests" -t "$tests")
}
for kind in wheel sdist; do
    venv=$tmp/venv-$kind
    art=$wheel
    [ "$kind" = sdist ] && art=$sdist
    # The sdist's venv sees the system's site packages for setuptools and
    # wheel to build it offline (the package itself goes into the venv).
    opt=
    [ "$kind" = sdist ] && opt=--system-site-packages
    if ! "$PYTHON" -m venv $opt "$venv" >"$tmp/venv-$kind.log" 2>&1; then
        fail "python -m venv ($kind)"; tail -n 10 "$tmp/venv-$kind.log"; continue
    fi
    check "pip install the $kind into a fresh virtualenv" "$tmp/pip-$kind.log" \
        env LD_LIBRARY_PATH="$staged_lib" "$venv/bin/python" -m pip install --disable-pip-version-check \
        --no-index --no-build-isolation --no-deps "$art"
    check "$kind: hams is the virtualenv's" "$tmp/where-$kind.log" \
        sh -c 'cd / && LD_LIBRARY_PATH="$2" "$1/bin/python" -c "import hams, sys; print(hams.__file__); sys.exit(not hams.__file__.startswith(sys.argv[1]))" "$1"' sh "$venv" "$staged_lib"
    check "$kind: the extension links libhams.so.0 of the prefix" "$tmp/ldd-$kind.log" \
        sh -c 'so=$(ls "$1"/lib/python*/site-packages/hams/_fast*.so) && LD_LIBRARY_PATH="$2" ldd "$so" |
            grep -q "libhams.so.0 => $2/libhams.so.0"' sh "$venv" "$staged_lib"
    check "$kind: the binding's tests, fast path" "$tmp/test-$kind-fast.log" run_tests "$venv" c-extension
    check "$kind: the binding's tests, ctypes" "$tmp/test-$kind-ctypes.log" run_tests "$venv" ctypes 1
done

# 4. Without the library: an ImportError naming libhams.so.0 and the remedy.
check "import hams without libhams: ImportError naming libhams.so.0 and make install" "$tmp/noimport.log" \
    sh -c 'cd "$1" && env -u LD_LIBRARY_PATH -u HAMS_LIBRARY "$1/venv-wheel/bin/python" -c "
import sys
try:
    import hams
except ImportError as e:
    print(e)
    sys.exit(0 if \"libhams.so.0\" in str(e) and \"make install\" in str(e) else 1)
sys.exit(\"imported without the library\")"' sh "$tmp"
cat "$tmp/noimport.log"

echo "python-package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
