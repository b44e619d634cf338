#!/usr/bin/env bash
# shellcheck disable=SC2016 # (bash -c '...' _ ARGS: the inner shell expands them)
# Installs the Debian packages that tests/debian/build.sh built (libhams0,
# libhams-dev, hams-probe; python3-hams when there) with dpkg -i, checks that
# they work from the system alone, then purges them and checks that they are
# gone:
#  - dpkg -L lists what each package must hold (and libhams0 no program);
#  - tests/debian/prog.c builds with nothing but
#    `cc prog.c $(pkg-config --cflags --libs hams)`, loads
#    /usr/lib/<triplet>/libhams.so.0 (ldd, and the running process' maps)
#    and answers curl; it links statically against libhams.a too;
#  - tests/debian/prog.cpp (C++17, <hams.hpp>) builds the same way, runs and
#    names its runtime in /hams/version;
#  - Python's ctypes loads the library by its SONAME, libhams.so.0;
#  - python3-hams: debian/tests/python3-hams (the fast path, a server);
#  - hams-probe (/usr/bin) checks the program's endpoints;
#  - the manual pages resolve (man -w), links included.
# Nothing from the build tree is used: LD_LIBRARY_PATH and PKG_CONFIG_PATH
# are unset and everything runs in a temporary directory.
#
# Usage: tests/debian/install-test.sh [DIR]   (DIR: the .debs, default
#        target/debian/ of this checkout).  As root (dpkg -i).
# Needs: cc, c++, pkg-config, curl, python3. Prints "debian: N passed, N failed".
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
debs="${1:-$root/target/debian}"
debs="$(cd "$debs" && pwd)" || exit 1
prog_c="$root/tests/debian/prog.c"
prog_cpp="$root/tests/debian/prog.cpp"
pkgs=(libhams0 libhams-dev hams-probe)
arch="$(dpkg --print-architecture)"
# python3-hams when it was built: installed with the others, its autopkgtest
# (debian/tests/python3-hams) run with Debian's python3 alone.
# shellcheck disable=SC2012
[ -z "$(ls "$debs/python3-hams_"*"_$arch.deb" 2>/dev/null)" ] || pkgs+=(python3-hams)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
summary() { echo "debian: $passed passed, $failed failed"; }

if [ "$(id -u)" != 0 ]; then
    echo "install-test: must run as root (dpkg -i)" >&2
    fail "running as root"; summary; exit 1
fi
for tool in cc c++ pkg-config curl python3 dpkg ldd; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed"; summary; exit 1; }
done

triplet="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)"
libdir="/usr/lib/$triplet"
files=()
for p in "${pkgs[@]}"; do
    # shellcheck disable=SC2012
    f="$(ls "$debs/${p}_"*"_$arch.deb" 2>/dev/null | sort -V | tail -n1)"
    [ -n "$f" ] || { fail "$debs has ${p}_*_$arch.deb (run tests/debian/build.sh)"; summary; exit 1; }
    files+=("$f")
done
version="$(dpkg-deb -f "${files[0]}" Version)"
upstream="${version%-*}"

work="$(mktemp -d "${TMPDIR:-/tmp}/hams-deb-install.XXXXXX")"
pid=""
installed=""
purge() {
    dpkg --purge "${pkgs[@]}" >"$work/purge.log" 2>&1
}
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    if [ -n "$installed" ]; then purge || cat "$work/purge.log"; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# The system alone: no library or .pc from elsewhere, nothing relative.
unset LD_LIBRARY_PATH LD_PRELOAD PKG_CONFIG_PATH PKG_CONFIG_LIBDIR
cd "$work" || exit 1

echo "==> dpkg -i $(for f in "${files[@]}"; do basename "$f"; done | tr '\n' ' ')"
for p in "${pkgs[@]}"; do
    if dpkg -s "$p" >/dev/null 2>&1; then
        echo "    $p was installed already: purging it first"
        dpkg --purge "$p" >/dev/null 2>&1
    fi
done
installed=1
if dpkg -i "${files[@]}" >"$work/install.log" 2>&1; then
    pass "dpkg -i ${pkgs[*]}"
else
    cat "$work/install.log"; fail "dpkg -i ${pkgs[*]}"; summary; exit 1
fi
for p in "${pkgs[@]}"; do
    check "$p is installed, version $version" \
        test "$(dpkg-query -W -f '${db:Status-Status} ${Version}' "$p" 2>/dev/null)" = "installed $version"
done

# ------------------------------------------------------------------ dpkg -L
for p in "${pkgs[@]}"; do dpkg -L "$p" | LC_ALL=C sort >"$work/$p.list"; done
lists() { # lists PACKAGE PATH...: each PATH is in dpkg -L PACKAGE
    local p=$1 path missing=""; shift
    for path in "$@"; do grep -qxF "$path" "$work/$p.list" || missing="$missing $path"; done
    [ -z "$missing" ] || echo "    dpkg -L $p lacks:$missing"
    [ -z "$missing" ]
}
check "dpkg -L libhams0: the library and its SONAME link" \
    lists libhams0 "$libdir/libhams.so.$upstream" "$libdir/libhams.so.0"
check "dpkg -L libhams-dev: headers, .so, .a, hams.pc, man pages" \
    lists libhams-dev /usr/include/hams.h /usr/include/hams.hpp /usr/include/hams_grpc.hpp "$libdir/libhams.so" "$libdir/libhams.a" \
    "$libdir/pkgconfig/hams.pc" /usr/share/man/man3/hams.3.gz \
    /usr/share/man/man3/hams_new.3.gz /usr/share/man/man3/hams_free.3.gz \
    /usr/share/man/man5/hams_config.5.gz
check "dpkg -L hams-probe: the program and its man page" \
    lists hams-probe /usr/bin/hams-probe /usr/share/man/man1/hams-probe.1.gz
check "libhams0 carries no program and nothing for development" \
    bash -c '! grep -Eq "^/usr/(s?bin|include)/|\.so$|\.a$|\.pc$" "$1"' _ "$work/libhams0.list"
check "the SONAME link points to the library" \
    test "$(readlink "$libdir/libhams.so.0")" = "libhams.so.$upstream"
# With merged /usr (Debian 12), ld.so.cache and so ldd name /lib/<triplet>,
# the same directory: a path is ours when it resolves to the library in
# /usr/lib/<triplet>.
ours() { # ours PATH
    case $1 in "$libdir"/* | "/lib/$triplet"/*) ;; *) return 1 ;; esac
    [ "$(readlink -f "$1")" = "$libdir/libhams.so.$upstream" ]
}
cached="$(ldconfig -p | sed -n 's#^[[:space:]]*libhams\.so\.0 (.*) => ##p' | head -n1)"
check "ldconfig knows libhams.so.0 in $libdir ($cached)" ours "$cached"
dep="$(dpkg-query -W -f '${Depends}' libhams-dev)"
check "libhams-dev depends on libhams0 (= $version) [$dep]" \
    bash -c '[[ "$1" == *"libhams0 (= $2)"* ]]' _ "$dep" "$version"

# ------------------------------------------------------- pkg-config and cc
pc="$(pkg-config --cflags --libs hams 2>&1)"
echo "    pkg-config --cflags --libs hams: $pc"
check "pkg-config finds hams $upstream in $libdir" \
    test "$(pkg-config --modversion hams 2>&1)/$(pkg-config --variable=libdir hams 2>&1)" = "$upstream/$libdir"
# shellcheck disable=SC2046
check "cc prog.c \$(pkg-config --cflags --libs hams)" \
    cc "$prog_c" $(pkg-config --cflags --libs hams) -o "$work/prog"
loaded="$(ldd "$work/prog" 2>/dev/null | sed -n 's#^[[:space:]]*libhams\.so\.0 => \([^ ]*\) .*#\1#p')"
echo "    ldd prog: libhams.so.0 => $loaded"
check "ldd prog: libhams.so.0 => $libdir/libhams.so.0 ($loaded)" ours "$loaded"
# Static: libhams.a and the libraries hams.pc names in Libs.private.
# shellcheck disable=SC2046
check "cc prog.c with libhams.a (pkg-config --static)" \
    cc "$prog_c" $(pkg-config --cflags hams) -Wl,-Bstatic -lhams -Wl,-Bdynamic \
    $(pkg-config --static --libs-only-l hams | sed 's/-lhams\b//') -o "$work/prog-static"
check "the static program does not load libhams.so" \
    bash -c '! ldd "$1/prog-static" | grep -q libhams' _ "$work"

# shellcheck disable=SC2046
check "c++ -std=c++17 prog.cpp \$(pkg-config --cflags --libs hams)" \
    c++ -std=c++17 -Wall -Wextra -Werror "$prog_cpp" $(pkg-config --cflags --libs hams) -o "$work/prog-cpp"

# ------------------------------------------------------ run it, curl, probe
port=""
start_prog() { # start_prog PROGRAM
    port=""
    "$1" 127.0.0.1:0 30 >"$work/out" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        port="$(sed -n 's#.*serving on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*#\1#p' "$work/out")"
        [ -n "$port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "    $(cat "$work/out")"
    return 1
}
stop_prog() {
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
}
get() { # get PATH: prints the status code, the body goes to $work/body
    curl -s -o "$work/body" -w '%{http_code}' "http://127.0.0.1:$port$1"
}
if start_prog "$work/prog"; then
    pass "prog serves on 127.0.0.1:$port"
    check "prog maps $libdir/libhams.so.$upstream" \
        grep -q " $libdir/libhams\.so\.$upstream\$" "/proc/$pid/maps"
    check "prog maps nothing from $root" \
        bash -c '! grep -qF " $1/" "/proc/$2/maps"' _ "$root" "$pid"
    code="$(get /hams/alive)"
    echo "    curl /hams/alive -> $code $(head -c 100 "$work/body")"
    check "curl /hams/alive answers 200" test "$code" = 200
    code="$(get '/hams/ready?verbose')"
    check "curl /hams/ready?verbose answers 200 with the db probe" \
        bash -c '[ "$1" = 200 ] && grep -q "^\[+\]db ok" "$2"' _ "$code" "$work/body"
    code="$(get /hams/version)"
    echo "    curl /hams/version -> $code $(head -c 200 "$work/body")"
    check "curl /hams/version names hams_version $upstream" \
        bash -c '[ "$1" = 200 ] && grep -q "\"hams_version\":\"$2\"" "$3"' _ "$code" "$upstream" "$work/body"
    code="$(get /hams/metrics)"
    check "curl /hams/metrics has the program's counter" \
        bash -c '[ "$1" = 200 ] && grep -q "^prog_requests_total 3" "$2"' _ "$code" "$work/body"

    check "hams-probe is /usr/bin/hams-probe" test "$(command -v hams-probe)" = /usr/bin/hams-probe
    out="$(hams-probe "http://127.0.0.1:$port/hams/alive" 2>&1)"; rc=$?
    echo "    hams-probe http://127.0.0.1:$port/hams/alive -> exit $rc $out"
    check "hams-probe /hams/alive exits 0" test "$rc" = 0
    hams-probe --timeout 2000 "http://127.0.0.1:$port/hams/ready/nosuchprobe" >/dev/null 2>&1; rc=$?
    check "hams-probe on a 404 fails (exit $rc)" test "$rc" != 0
    stop_prog
    hams-probe --timeout 2000 "http://127.0.0.1:$port/hams/alive" >/dev/null 2>&1; rc=$?
    check "hams-probe on a stopped service fails (exit $rc)" test "$rc" != 0
else
    fail "prog serves"
fi
if start_prog "$work/prog-cpp"; then
    code="$(get /hams/version)"
    echo "    prog-cpp: curl /hams/version -> $code $(head -c 200 "$work/body")"
    check "prog-cpp (<hams.hpp>) names its runtime in /hams/version" \
        bash -c '[ "$1" = 200 ] && grep -q "\"library\":\"hams-cpp\"" "$2"' _ "$code" "$work/body"
    stop_prog
else
    fail "prog-cpp serves"
fi
if start_prog "$work/prog-static"; then
    code="$(get /hams/alive)"
    check "the static program answers /hams/alive (port $port): $code" test "$code" = 200
    stop_prog
else
    fail "the static program serves"
fi

# ------------------------------------------------------------ python ctypes
out="$(python3 -c '
import ctypes, sys
lib = ctypes.CDLL("libhams.so.0")
lib.hams_version.restype = ctypes.c_char_p
v = lib.hams_version().decode()
maps = [l.split()[-1] for l in open("/proc/self/maps") if "libhams" in l]
print(v, sorted(set(maps))[0] if maps else "-")
' 2>&1)"
echo "    python3 ctypes.CDLL(\"libhams.so.0\").hams_version(): $out"
check "ctypes loads libhams.so.0 from $libdir, hams_version() is $upstream" \
    test "$out" = "$upstream $libdir/libhams.so.$upstream"

# ----------------------------------------------------------- python3-hams
if [[ " ${pkgs[*]} " == *" python3-hams "* ]]; then
    out="$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work" AUTOPKGTEST_TMP="$work" \
        sh "$root/debian/tests/python3-hams" 2>&1)"; rc=$?
    echo "$out" | sed 's/^/    /'
    check "python3-hams: import hams with the C fast path on $libdir's library, a server (debian/tests/python3-hams)" \
        test "$rc" = 0
fi

# ------------------------------------------------------------------ man
if command -v man >/dev/null 2>&1; then
    for page in "3 hams" "3 hams_free" "3 hams_probe_set" "5 hams_config" "1 hams-probe"; do
        # shellcheck disable=SC2086
        where="$(man -w $page 2>/dev/null)"
        check "man -w $page: $where" bash -c '[[ "$1" == /usr/share/man/* ]] && [ -e "$1" ]' _ "$where"
    done
else
    check "man3/hams_free.3.gz resolves" test -e /usr/share/man/man3/hams_free.3.gz
fi

# ---------------------------------------------------------------- purge
echo "==> dpkg --purge ${pkgs[*]}"
if purge; then pass "dpkg --purge ${pkgs[*]}"; else cat "$work/purge.log"; fail "dpkg --purge ${pkgs[*]}"; fi
installed=""
for p in "${pkgs[@]}"; do
    check "$p is not installed any more" bash -c '! dpkg -s "$1" >/dev/null 2>&1' _ "$p"
    left=""
    while IFS= read -r f; do
        [ -f "$f" ] || [ -L "$f" ] || continue
        left="$left $f"
    done <"$work/$p.list"
    [ -z "$left" ] || echo "    left behind:$left"
    check "the files of $p are gone" test -z "$left"
done
check "ldconfig forgot libhams.so.0 in $libdir" \
    bash -c '! ldconfig -p | grep -Eq "=> ($1|/lib/$2)/libhams\.so\.0$"' _ "$libdir" "$triplet"
check "pkg-config no longer finds hams in $libdir" \
    bash -c '[ "$(pkg-config --variable=libdir hams 2>/dev/null)" != "$1" ]' _ "$libdir"

summary
[ "$failed" -eq 0 ]
