#!/bin/sh
# Installs what hams needs from git when it is missing, on Debian or Ubuntu
# (apt-get, as root or through sudo); does nothing when all is there.
#
#   tools/deps.sh         to build: autoconf, automake, pkg-config, a C
#                         compiler, make
#   tools/deps.sh check   and for `make check`: mandoc, curl, python3, and
#                         Prometheus (promtool, prometheus, prometheus_client)
#
# Rust (cargo, rustc) must be there already: https://rustup.rs
set -e

need=
want() { # want COMMAND PACKAGE...
	cmd=$1; shift
	command -v "$cmd" >/dev/null 2>&1 || need="$need $*"
}
want autoreconf autoconf
want automake automake
want pkg-config pkgconf
want cc gcc libc6-dev
want make make
case ${1:-build} in
build) ;;
check)
	want mandoc mandoc
	want curl curl
	want python3 python3
	want promtool prometheus
	if ! python3 -c 'import prometheus_client' >/dev/null 2>&1; then
		need="$need python3-prometheus-client"
	fi
	;;
*)
	echo "usage: tools/deps.sh [build|check]" >&2
	exit 2
	;;
esac
# prometheus provides both promtool and prometheus.
need=$(printf '%s\n' $need | awk '!seen[$0]++' | tr '\n' ' ')

if [ -n "${need% }" ]; then
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "deps: please install: $need" >&2
		exit 1
	fi
	sudo=
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || {
			echo "deps: run as root, or install: $need" >&2
			exit 1
		}
		sudo=sudo
	fi
	echo "deps: installing $need" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/cargo" ]; then
	echo "deps: cargo not found: install Rust (https://rustup.rs)" >&2
	exit 1
fi
