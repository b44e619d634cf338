#!/usr/bin/env bash
# Builds the Debian packages of hams (debian/) from the release tarball, with
# no network, and runs lintian on them.
#
#  1. `make dist` in this checkout (after ./autogen.sh and ./configure when
#     there is no Makefile yet): hams-VERSION.tar.gz, the crates vendored;
#  2. in a new temporary directory: the tarball as hams_VERSION.orig.tar.gz,
#     extracted, with this checkout's debian/ copied in (3.0 (quilt));
#  3. `dpkg-source -b` (the source package), then
#     `dpkg-buildpackage -us -uc -b -d` in a network namespace of its own with
#     only the loopback interface (`unshare -n`, when it works: as root), and
#     CARGO_NET_OFFLINE=true in any case;
#  4. lintian on the binary .changes and on the .dsc: an error fails the
#     script, warnings and the rest are printed and counted.
#
# The .debs, .changes, .buildinfo, the source package, build.log and
# lintian.txt go to OUT (default target/debian/ in this checkout); the
# temporary directory is removed.
#
# Usage: tests/debian/build.sh [--tarball FILE] [--out DIR] [--keep]
#   --tarball FILE  build from FILE instead of running `make dist`
#   --keep          keep the temporary build directory (its path is printed)
# Needs (Debian): dpkg-dev debhelper lintian fakeroot and debian/control's
# Build-Depends but cargo and rustc; as root the script installs them with
# apt-get when missing. Rust (cargo, rustc >= 1.80) from
# rustup (~/.cargo/bin) or on PATH. Environment: DEB_BUILD_OPTIONS is passed
# on (nocheck skips the tests of the build).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

tarball=""
out="$root/target/debian"
keep=""
while [ $# -gt 0 ]; do
    case $1 in
    --tarball) tarball="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --out) mkdir -p "$2"; out="$(cd "$2" && pwd)"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: tests/debian/build.sh [--tarball FILE] [--out DIR] [--keep]" >&2; exit 2 ;;
    esac
done

say() { echo "==> $*"; }
die() { echo "debian build: FAIL: $*" >&2; exit 1; }

# ------------------------------------------------------------------ tools
deb_tools="dpkg-dev debhelper lintian fakeroot"
missing=""
command -v dpkg-buildpackage >/dev/null 2>&1 || missing="$missing dpkg-dev"
command -v dh >/dev/null 2>&1 || missing="$missing debhelper"
command -v lintian >/dev/null 2>&1 || missing="$missing lintian"
command -v fakeroot >/dev/null 2>&1 || missing="$missing fakeroot"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "apt-get install$missing"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        die "missing:$missing (apt-get install $deb_tools)"
    fi
fi

# The other declared build dependencies (python3-hams: dh-python, pybuild's
# pyproject plugin, the Python headers; mandoc), but Rust's: Debian 12's
# rustc is too old, the build uses rustup's (see debian/control).
unmet="$(dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' |
    sed 's/([^)]*)//g; s/<[^>]*>//g' | tr ' ' '\n' | grep -vxE 'cargo|rustc|' | tr '\n' ' ' || true)"
if [ -n "${unmet// /}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "apt-get install $unmet(Build-Depends)"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $unmet >/dev/null
    else
        die "missing build dependencies: $unmet"
    fi
fi

version="$(dpkg-parsechangelog -l debian/changelog -S Version)"
upstream="${version%-*}"
upstream="${upstream#*:}"
source="$(dpkg-parsechangelog -l debian/changelog -S Source)"
[ "$upstream" != "$version" ] || die "debian/changelog: $version is a native version, expected UPSTREAM-REVISION"

# ---------------------------------------------------------------- tarball
if [ -z "$tarball" ]; then
    if [ ! -f Makefile ]; then
        say "./autogen.sh && ./configure"
        ./autogen.sh
        ./configure
    fi
    say "make dist"
    make dist >/dev/null
    tarball="$root/hams-$upstream.tar.gz"
fi
[ -f "$tarball" ] || die "no tarball $tarball"
tar -tzf "$tarball" "hams-$upstream/vendor" >/dev/null 2>&1 ||
    die "$tarball has no hams-$upstream/vendor/: not a \`make dist\` tarball of $upstream?"

work="$(mktemp -d "${TMPDIR:-/tmp}/hams-deb.XXXXXX")"
cleanup() {
    if [ -n "$keep" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo \
    "$out"/*.dsc "$out"/*.orig.tar.* "$out"/*.debian.tar.* "$out"/build.log "$out"/lintian.txt

ln -s "$tarball" "$work/${source}_$upstream.orig.tar.gz"
tar -xzf "$tarball" -C "$work"
tree="$work/hams-$upstream"
[ -d "$tree" ] || die "the tarball does not extract to hams-$upstream/"
# A tarball made from a git checkout where debian/ is tracked carries it too:
# the packaging used is always this checkout's.
rm -rf "$tree/debian"
cp -pR debian "$tree/debian"

# ------------------------------------------------------------------ build
# The network: a namespace of its own, with the loopback interface up (the
# tests of the build serve on 127.0.0.1).
netns=()
if [ "${HAMS_DEB_NETWORK:-}" != 1 ] && command -v unshare >/dev/null 2>&1 &&
    command -v ip >/dev/null 2>&1 && unshare -n ip link set lo up 2>/dev/null; then
    netns=(unshare -n sh -c 'ip link set lo up && exec "$@"' sh)
    say "network: none (unshare -n, loopback only)"
else
    say "network: not cut (unshare -n does not work here); CARGO_NET_OFFLINE=true"
fi
export CARGO_NET_OFFLINE=true
# pybuild (python3-hams) runs python3.X from PATH: it must be Debian's, not
# one of pyenv or a virtualenv, whose directories are left out here.
build_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
    case $d in
    /usr/bin | /bin | /usr/sbin | /sbin) ;;
    *) if compgen -G "$d/python3*" >/dev/null; then continue; fi ;;
    esac
    case ":$build_path:" in *":$d:"*) ;; *) build_path="${build_path:+$build_path:}$d" ;; esac
done

say "dpkg-source -b (3.0 (quilt), ${source}_$upstream.orig.tar.gz)"
(cd "$work" && dpkg-source -b "hams-$upstream") >"$out/build.log" 2>&1 ||
    { tail -20 "$out/build.log"; die "dpkg-source -b failed (see $out/build.log)"; }

say "dpkg-buildpackage -us -uc -b -d (log: $out/build.log)"
SECONDS=0
status=0
(cd "$tree" && PATH="$build_path" "${netns[@]}" dpkg-buildpackage -us -uc -b -d) >>"$out/build.log" 2>&1 || status=$?
build_seconds=$SECONDS
if [ "$status" -ne 0 ]; then
    tail -40 "$out/build.log"
    die "dpkg-buildpackage exited $status after ${build_seconds}s (see $out/build.log)"
fi
say "dpkg-buildpackage: ${build_seconds}s"
grep -E '^(dpkg-gensymbols|dh_missing): (warning|error)' "$out/build.log" &&
    die "dpkg-gensymbols or dh_missing complained (see $out/build.log)"
grep -E '^check: [0-9]+ passed' "$out/build.log" || echo "    (tests not run: DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-})"

changes="$(ls "$work"/*.changes)"
cp -p "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
cp -p "$work"/*.ddeb "$out"/ 2>/dev/null || true
cp -pL "$work"/*.dsc "$work"/*.orig.tar.* "$work"/*.debian.tar.* "$out"/
for deb in "$out"/*.deb; do
    echo "    $(basename "$deb") $(du -k "$deb" | cut -f1) KiB"
done

# ---------------------------------------------------------------- lintian
say "lintian $(basename "$changes") $(basename "$work"/*.dsc)"
lint_status=0
lintian --display-info --pedantic --fail-on error "$changes" "$work"/*.dsc \
    >"$out/lintian.txt" 2>&1 || lint_status=$?
cat "$out/lintian.txt"
count() { grep -c "^$1: " "$out/lintian.txt" || true; }
errors=$(count E)
warnings=$(count W)
echo "lintian: $errors errors, $warnings warnings, $(count I) info, $(count P) pedantic"
if [ "$warnings" -gt 0 ]; then
    echo "lintian warnings:"
    grep '^W: ' "$out/lintian.txt" | sed 's/^/    /'
fi
[ "$errors" -eq 0 ] || die "lintian found $errors errors"
[ "$lint_status" -eq 0 ] || die "lintian exited $lint_status"
say "debian packages in $out (build ${build_seconds}s)"
