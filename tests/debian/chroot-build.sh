#!/usr/bin/env bash
# Builds the Debian packages of hams the way a distribution does: in a clean
# Debian 13 (trixie) chroot, from the source package's declared build
# dependencies only (Debian's own rustc and cargo, no rustup), without `-d`
# and with no network, then checks them there.
#
#  1. `make dist` in this checkout (the crates vendored), unless --tarball;
#  2. debootstrap --variant=buildd trixie into CHROOT (default
#     target/debian-chroot, which git ignores), from the Debian mirror the
#     host's apt uses (or HAMS_DEBIAN_MIRROR); proc, /dev/pts and /dev/shm
#     are mounted there and unmounted on exit, failure included;
#  3. the source package (orig tarball + this checkout's debian/) in the
#     chroot, dpkg-source -b, then `apt-get build-dep` of it and the tools of
#     the checks (lintian, curl) with apt, from the mirror;
#  4. Cargo.toml's rust-version is at most the chroot's rustc, then
#     `dpkg-buildpackage -us -uc -b` as an unprivileged user (builder), in a
#     network namespace with only the loopback interface (unshare -n), and
#     lintian (an error fails);
#  5. in the chroot, offline: tests/debian/install-test.sh (dpkg -i, a C
#     program built with pkg-config, C++, ctypes, hams-probe, purge), then the
#     packages installed again and debian/tests/* run (python3-hams: import
#     hams with the fast path, a server; libhams-dev: pkg-config, hams-probe);
#  6. a git checkout (the files git knows, no vendor/): `dpkg-buildpackage
#     -b` must stop at once, saying how to build, and never reach cargo;
#  7. unless --no-repro: a second build at the same path (nocheck), and the
#     .debs compared with the first (SOURCE_DATE_EPOCH comes from
#     debian/changelog); a difference fails and is listed file by file.
#
# The .debs, .changes, .buildinfo, build.log, lintian.txt and repro.txt go
# to OUT (default target/debian-trixie/). Each phase prints its time. The
# chroot is removed at the end unless --keep; --reuse starts from a kept one
# (skips debootstrap: for working on the packaging, not for CI).
#
# Usage: tests/debian/chroot-build.sh [--tarball FILE] [--out DIR]
#          [--chroot DIR] [--keep] [--reuse] [--no-repro]
# Needs: root, debootstrap (installed with apt-get when missing), unshare and
# ip (util-linux, iproute2), network access to the Debian mirror.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

suite=trixie
tarball=""
out="$root/target/debian-trixie"
chroot_dir="$root/target/debian-chroot"
keep=""
reuse=""
repro=1
usage() {
    echo "usage: tests/debian/chroot-build.sh [--tarball FILE] [--out DIR] [--chroot DIR] [--keep] [--reuse] [--no-repro]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --tarball) tarball="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --out) mkdir -p "$2"; out="$(cd "$2" && pwd)"; shift 2 ;;
    --chroot) mkdir -p "$2"; chroot_dir="$(cd "$2" && pwd)"; shift 2 ;;
    --keep) keep=1; shift ;;
    --reuse) reuse=1; keep=1; shift ;;
    --no-repro) repro=""; shift ;;
    *) usage ;;
    esac
done

say() { echo "==> $*"; }
die() { echo "debian chroot build: FAIL: $*" >&2; exit 1; }
phase_start=$SECONDS
phase() { # phase NAME: the time of the phase that ends
    echo "    [$1: $((SECONDS - phase_start))s]"
    timings="$timings $1=$((SECONDS - phase_start))s"
    phase_start=$SECONDS
}
timings=""

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"
for tool in unshare ip mount umount chroot; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing"
done
if ! command -v debootstrap >/dev/null 2>&1; then
    say "apt-get install debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
[ -f "/usr/share/debootstrap/scripts/$suite" ] || die "this debootstrap does not know $suite"

# The mirror the host's apt uses for Debian (deb822 URIs: or one-line deb).
mirror="${HAMS_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
    mirror="$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
        sed -n -e 's#^URIs:[[:space:]]*\([^[:space:]]*/debian\)/*$#\1#p' \
            -e 's#^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*/debian\)/*[[:space:]].*#\2#p' |
        head -n1)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

version="$(dpkg-parsechangelog -l debian/changelog -S Version)"
upstream="${version%-*}"
upstream="${upstream#*:}"
source="$(dpkg-parsechangelog -l debian/changelog -S Source)"

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo "$out"/*.dsc "$out"/*.orig.tar.* \
    "$out"/*.debian.tar.* "$out"/*.log "$out"/lintian.txt "$out"/repro.txt

# ---------------------------------------------------------------- tarball
if [ -z "$tarball" ]; then
    if [ ! -f Makefile ]; then
        say "./autogen.sh && ./configure"
        ./autogen.sh >/dev/null
        ./configure >/dev/null
    fi
    say "make dist"
    make dist >/dev/null
    tarball="$root/hams-$upstream.tar.gz"
fi
[ -f "$tarball" ] || die "no tarball $tarball"
tar -tzf "$tarball" "hams-$upstream/vendor" >/dev/null 2>&1 ||
    die "$tarball has no hams-$upstream/vendor/: not a \`make dist\` tarball of $upstream?"
phase "make dist"

# ----------------------------------------------------------------- chroot
mounted=()
umount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null || true
    done
    mounted=()
}
cleanup() {
    # A failure or a signal may leave the build running in there: stop what
    # runs in the chroot before unmounting.
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" != "$chroot_dir" ] || kill "${p#/proc/}" 2>/dev/null || true
    done
    sleep 0.5
    umount_all
    # Never follow a mount out of the chroot: everything is unmounted above,
    # and rm stays on the chroot's file system anyway.
    if [ -z "$keep" ] && [ -d "$chroot_dir" ] && ! grep -qF " $chroot_dir/" /proc/self/mounts; then
        rm -rf --one-file-system "$chroot_dir"
    elif [ -n "$keep" ]; then
        echo "kept the chroot $chroot_dir"
    fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

if [ -n "$reuse" ] && [ -x "$chroot_dir/usr/bin/apt-get" ]; then
    say "reusing the chroot $chroot_dir"
else
    grep -qF " $chroot_dir/" /proc/self/mounts && die "something is mounted under $chroot_dir"
    rm -rf --one-file-system "$chroot_dir"
    mkdir -p "$chroot_dir"
    say "debootstrap --variant=buildd $suite $chroot_dir $mirror"
    debootstrap --variant=buildd --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        "$suite" "$chroot_dir" "$mirror" >"$out/debootstrap.log" 2>&1 ||
        { tail -20 "$out/debootstrap.log"; die "debootstrap failed"; }
    rm -f "$out/debootstrap.log"
fi
bind() { # bind TYPE SOURCE TARGET [OPTIONS]
    mkdir -p "$chroot_dir$3"
    mount -t "$1" ${4:+-o "$4"} "$2" "$chroot_dir$3"
    mounted+=("$chroot_dir$3")
}
bind proc proc /proc
bind devpts devpts /dev/pts newinstance,ptmxmode=0666
bind tmpfs tmpfs /dev/shm mode=1777
cp -L /etc/resolv.conf "$chroot_dir/etc/resolv.conf" 2>/dev/null || true
# A throwaway system: dpkg need not sync each file, man-db need not index
# the manual pages of each package apt installs.
echo force-unsafe-io >"$chroot_dir/etc/dpkg/dpkg.cfg.d/hams-unsafe-io"
echo 'man-db man-db/auto-update boolean false' | chroot "$chroot_dir" debconf-set-selections
phase debootstrap

# The chroot's commands: a clean environment, Debian's tools only.
in_chroot() {
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive ${DEB_BUILD_OPTIONS:+DEB_BUILD_OPTIONS="$DEB_BUILD_OPTIONS"} \
        chroot "$chroot_dir" "$@"
}
# ... and with no network: a namespace of its own, loopback only. As root,
# or (as_builder) as the chroot's unprivileged user, as sbuild builds.
offline() {
    local home=/root user=()
    if [ "${1:-}" = as_builder ]; then home=/home/builder user=(--userspec=builder:builder); shift; fi
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=$home \
        LANG=C.UTF-8 ${DEB_BUILD_OPTIONS:+DEB_BUILD_OPTIONS="$DEB_BUILD_OPTIONS"} \
        chroot "${user[@]}" "$chroot_dir" "$@"
}
in_chroot sh -c 'id builder >/dev/null 2>&1 || useradd --create-home --shell /bin/sh builder'

# ------------------------------------------------------ source package
b=/build
rm -rf "${chroot_dir:?}$b"
mkdir -p "$chroot_dir$b/src"
cp -p "$tarball" "$chroot_dir$b/src/${source}_$upstream.orig.tar.gz"
unpack() { # unpack DIR: the orig tree with this checkout's debian/ at DIR
    rm -rf "$chroot_dir$1"
    mkdir -p "$chroot_dir$1"
    tar -xzf "$tarball" -C "$chroot_dir$1"
    rm -rf "$chroot_dir$1/hams-$upstream/debian"
    cp -pR debian "$chroot_dir$1/hams-$upstream/debian"
    rm -rf "$chroot_dir$1/hams-$upstream/debian/.cargo-home"
    ln -s ../src/"${source}_$upstream.orig.tar.gz" "$chroot_dir$1/${source}_$upstream.orig.tar.gz"
    in_chroot chown -R builder:builder "$1"
}
unpack $b/one
in_chroot chroot --userspec=builder:builder / sh -c "cd $b/one && dpkg-source -b hams-$upstream" >"$out/build.log" 2>&1 ||
    { cat "$out/build.log"; die "dpkg-source -b failed"; }

say "apt-get build-dep (the source package's Build-Depends), lintian, curl"
{
    in_chroot apt-get update -qq &&
        in_chroot apt-get build-dep -y -q --no-install-recommends "$b/one/hams-$upstream" &&
        in_chroot apt-get install -y -q --no-install-recommends lintian curl
} >>"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; die "apt-get in the chroot failed"; }
! in_chroot sh -c 'command -v rustup || ls -d /root/.cargo /root/.rustup' 2>/dev/null ||
    die "rustup in the chroot: the build must use Debian's rustc"
rustc_v="$(in_chroot rustc --version)"
cargo_v="$(in_chroot cargo --version)"
echo "    $rustc_v ($(in_chroot dpkg-query -W -f '${Package} ${Version}' rustc)), $cargo_v"
phase "build-dep"

# Cargo.toml's rust-version within what this Debian ships (the build below
# then proves it with that very rustc).
msrv="$(sed -n 's/^rust-version[[:space:]]*=[[:space:]]*"\([0-9.]*\)".*/\1/p' Cargo.toml)"
have="$(echo "$rustc_v" | sed -n 's/^rustc \([0-9]*\.[0-9]*\).*/\1/p')"
[ -n "$msrv" ] && [ -n "$have" ] || die "cannot compare rust-version ($msrv) with $rustc_v"
printf '%s\n%s\n' "$msrv" "$have" | sort -C -V ||
    die "Cargo.toml's rust-version $msrv is newer than Debian $suite's rustc $have"
echo "    Cargo.toml rust-version $msrv <= Debian $suite rustc $have"

# ------------------------------------------------------------------ build
build() { # build DIR LOG: dpkg-buildpackage -b in DIR/hams-VERSION, offline
    local status=0
    # In the background and waited for: a signal then reaches the traps at
    # once, not after the build.
    offline as_builder sh -c "cd $1/hams-$upstream && dpkg-buildpackage -us -uc -b" >>"$2" 2>&1 &
    wait $! || status=$?
    if [ "$status" -ne 0 ]; then
        tail -40 "$2"
        die "dpkg-buildpackage in $1 exited $status (see $2)"
    fi
}
say "dpkg-buildpackage -us -uc -b (no -d; offline; as a user, not root; log: $out/build.log)"
build $b/one "$out/build.log"
phase "dpkg-buildpackage"
grep -E '^(dpkg-gensymbols|dh_missing): (warning|error)' "$out/build.log" &&
    die "dpkg-gensymbols or dh_missing complained (see $out/build.log)"
grep -E '^check: [0-9]+ passed' "$out/build.log" || echo "    (tests not run: DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-})"
grep -qE '^ *(Compiling|Finished) ' "$out/build.log" || die "no cargo build in the log"
cp -p "$chroot_dir$b"/one/*.deb "$chroot_dir$b"/one/*.changes "$chroot_dir$b"/one/*.buildinfo \
    "$chroot_dir$b"/one/*.dsc "$chroot_dir$b"/one/*.debian.tar.* "$chroot_dir$b/src"/*.orig.tar.* "$out"/
cp -p "$chroot_dir$b"/one/*.ddeb "$out"/ 2>/dev/null || true
for deb in "$out"/*.deb; do
    echo "    $(basename "$deb") $(du -k "$deb" | cut -f1) KiB"
done
for p in libhams0 libhams-dev hams-probe python3-hams; do
    ls "$out/${p}_"*.deb >/dev/null 2>&1 || die "no $p package"
done

# ---------------------------------------------------------------- lintian
say "lintian (Debian $suite's) on the .changes and the .dsc"
lint_status=0
offline as_builder sh -c "cd $b/one && lintian --display-info --pedantic --fail-on error *.changes *.dsc" \
    >"$out/lintian.txt" 2>&1 || lint_status=$?
cat "$out/lintian.txt"
count() { grep -c "^$1: " "$out/lintian.txt" || true; }
errors=$(count E)
echo "lintian: $errors errors, $(count W) warnings, $(count I) info, $(count P) pedantic"
[ "$errors" -eq 0 ] || die "lintian found $errors errors"
[ "$lint_status" -eq 0 ] || die "lintian exited $lint_status"
phase lintian

# ------------------------------------------------------------ smoke tests
say "in the chroot, offline: tests/debian/install-test.sh"
rm -rf "$chroot_dir$b/checks"
mkdir -p "$chroot_dir$b/checks/tests" "$chroot_dir$b/checks/debs"
cp -pR tests/debian "$chroot_dir$b/checks/tests/debian"
cp -pR debian "$chroot_dir$b/checks/debian"
cp -p "$chroot_dir$b"/one/*.deb "$chroot_dir$b/checks/debs/"
offline bash "$b/checks/tests/debian/install-test.sh" "$b/checks/debs" ||
    die "install-test.sh in the chroot failed"
say "in the chroot, offline: dpkg -i, then debian/tests (autopkgtest's tests, run as they are)"
in_chroot sh -c "dpkg -i $b/checks/debs/libhams0_*.deb $b/checks/debs/libhams-dev_*.deb \
    $b/checks/debs/hams-probe_*.deb $b/checks/debs/python3-hams_*.deb" >/dev/null ||
    die "dpkg -i of the four packages failed"
echo "    python3-hams: $(in_chroot dpkg-query -W -f '${Version} Depends: ${Depends}' python3-hams)"
in_chroot sh -c "dpkg -L python3-hams | grep -E '\\.so\$|/hams/__init__\\.py\$'" | sed 's/^/    /'
for t in $(sed -n 's/^Tests:[[:space:]]*//p' debian/tests/control); do
    say "debian/tests/$t"
    offline sh -c "cd $b/checks && mkdir -p /tmp/autopkgtest-$t && AUTOPKGTEST_TMP=/tmp/autopkgtest-$t debian/tests/$t" ||
        die "debian/tests/$t failed in the chroot"
done
in_chroot dpkg --purge python3-hams hams-probe libhams-dev libhams0 >/dev/null
phase "smoke tests"

# ------------------------------------------------------------ git checkout
# What a packager gets from `dpkg-buildpackage -b` in a git checkout: the
# files git knows (tracked or new, not ignored), no vendor/.
say "git checkout: dpkg-buildpackage -us -uc -b must stop at once"
co="$chroot_dir$b/checkout/hams"
rm -rf "$chroot_dir$b/checkout"
mkdir -p "$co"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$co"
in_chroot chown -R builder:builder "$b/checkout"
co_status=0
co_start=$SECONDS
offline as_builder sh -c "cd $b/checkout/hams && dpkg-buildpackage -us -uc -b" >"$out/build-checkout.log" 2>&1 || co_status=$?
co_time=$((SECONDS - co_start))
sed 's/^/    | /' "$out/build-checkout.log" | tail -12
[ "$co_status" -ne 0 ] || die "dpkg-buildpackage in a git checkout succeeded without vendor/?"
grep -q 'make dist' "$out/build-checkout.log" || die "the git-checkout failure does not say how to build"
! grep -qE 'Compiling |no matching package' "$out/build-checkout.log" ||
    die "the git-checkout build reached cargo"
echo "    git checkout: dpkg-buildpackage exited $co_status after ${co_time}s, saying how to build"
rm -rf "$chroot_dir$b/checkout"
phase "git checkout"

# ---------------------------------------------------------- reproducible?
if [ -n "$repro" ]; then
    say "reproducibility: a second build at the same path (DEB_BUILD_OPTIONS=nocheck), compared"
    mkdir -p "$chroot_dir$b/first"
    mv "$chroot_dir$b"/one/*.deb "$chroot_dir$b/first/"
    unpack $b/one
    DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" build $b/one "$out/build2.log"
    differ=""
    for deb in "$chroot_dir$b"/first/*.deb; do
        name="$(basename "$deb")"
        if cmp -s "$deb" "$chroot_dir$b/one/$name"; then
            echo "identical: $name $(sha256sum <"$deb" | cut -c1-16)" >>"$out/repro.txt"
            continue
        fi
        differ="$differ $name"
        echo "DIFFERS: $name" >>"$out/repro.txt"
        x1="$chroot_dir$b/x1" x2="$chroot_dir$b/x2"
        rm -rf "$x1" "$x2"
        mkdir -p "$x1" "$x2"
        dpkg-deb -R "$deb" "$x1"
        dpkg-deb -R "$chroot_dir$b/one/$name" "$x2"
        diff -rq "$x1" "$x2" | sed -e "s#$x1/##g" -e "s#$x2/##g" -e 's/^/    /' >>"$out/repro.txt" || true
        rm -rf "$x1" "$x2"
    done
    sed 's/^/    /' "$out/repro.txt"
    [ -z "$differ" ] || die "two builds differ:$differ (see $out/repro.txt)"
    echo "    reproducible: the two builds' .debs are identical"
    phase "second build, compared"
fi

say "Debian $suite packages in $out ($rustc_v; phases:$timings)"
