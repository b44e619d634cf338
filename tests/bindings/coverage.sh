#!/bin/sh
# Binding coverage: for each binding in bindings/<language>, every function
# declared in include/hams.h is either wrapped by the binding's library or
# listed in its gaps.txt ("hams_function  reason" per line; # comments) with
# the reason. Fails on a function neither wrapped nor listed, on a gaps.txt
# line without a reason, naming a function hams.h does not declare or one the
# binding wraps (stale), and on a wrapped name hams.h does not declare.
# The Rust crate is itself the Rust binding, so Rust has no manifest; the
# Rust crates over the system library are: rust-sys (hams-sys, declarations)
# and rust (hams-system, the safe API calling them).
#
#   tests/bindings/coverage.sh [SRCDIR]
#
# Prints one line per binding, then "coverage: N passed, N failed".
set -eu
# One collation for sort and comm, the header's list included.
export LC_ALL=C
srcdir=${1:-$(dirname "$0")/../..}
cd "$srcdir"
work=$(mktemp -d "${TMPDIR:-/tmp}/hams-coverage.XXXXXX")
trap 'rm -rf "$work"' EXIT

sh tools/header-functions.sh include/hams.h >"$work/header"
if [ ! -s "$work/header" ]; then
	echo "coverage: FAIL: no function found in include/hams.h"
	exit 1
fi

# The functions a binding's library declares or calls, by their C names,
# one per line, sorted. Each binding names them in one way: its source is
# joined into one line first, since a declaration may span lines.
joined() { cat "$@" | tr '\n' ' '; }
names() { grep -oE 'hams_[a-z0-9_]+' | sort -u; }
wrapped() {
	case $1 in
	# ctypes: _proto("hams_x", restype, argtypes...)
	python) joined bindings/python/hams/*.py | grep -oE '_proto\([[:space:]]*"hams_[a-z0-9_]+"' | names ;;
	# koffi: lib.func('int hams_x(hams_t *h, ...)'), the C prototype as text
	node) joined bindings/node/hams.js | grep -oE "lib\.func\([[:space:]]*'[^']*'" |
		grep -oE 'hams_[a-z0-9_]+\(' | names ;;
	# FFM: fn("hams_x", FunctionDescriptor)
	java) joined bindings/java/src/io/hams/*.java | grep -oE '[^A-Za-z0-9_.]fn\([[:space:]]*"hams_[a-z0-9_]+"' | names ;;
	# the header-only C++ wrapper calls them: hams_x( outside comments
	cpp) sh tools/header-functions.sh bindings/cpp/hams.hpp ;;
	# extern "C" { pub fn hams_x(...) } (tests/header.rs there checks the signatures)
	rust-sys) joined bindings/rust-sys/src/lib.rs | grep -oE 'pub fn hams_[a-z0-9_]+[[:space:]]*\(' | names ;;
	# the safe crate calls them (or passes them): hams_sys::hams_x, types
	# (hams_x_t, hams_x_fn) aside
	rust) joined bindings/rust/src/*.rs | grep -oE 'hams_sys::hams_[a-z0-9_]+' | sed 's/^hams_sys:://' |
		grep -vE '_(t|fn)$' | names ;;
	*) return 1 ;;
	esac
}

passed=0 failed=0
for lang in python node java cpp rust-sys rust; do
	gaps=bindings/$lang/gaps.txt
	problems=$work/$lang.problems
	: >"$problems"
	wrapped "$lang" >"$work/$lang.wrapped" || true
	if [ ! -s "$work/$lang.wrapped" ]; then
		echo "bindings/$lang: no wrapped function found (has the way it declares them changed? see tests/bindings/coverage.sh)" >>"$problems"
	fi
	# gaps.txt: the names, and lines with a name but no reason.
	if [ -f "$gaps" ]; then
		sed -e 's/#.*//' "$gaps" | awk -v f="$gaps" 'NF == 1 { print f ": " $1 ": no reason given" }' >>"$problems"
		sed -e 's/#.*//' "$gaps" | awk 'NF { print $1 }' | sort >"$work/$lang.gaps"
	else
		: >"$work/$lang.gaps"
	fi
	sort -u "$work/$lang.gaps" | comm -12 - "$work/$lang.wrapped" | while read -r f; do
		echo "$gaps: $f: stale, the binding wraps it" >>"$problems"
	done
	sort -u "$work/$lang.gaps" | comm -23 - "$work/header" | while read -r f; do
		echo "$gaps: $f: stale, include/hams.h does not declare it" >>"$problems"
	done
	sort "$work/$lang.gaps" | uniq -d | while read -r f; do
		echo "$gaps: $f: listed twice" >>"$problems"
	done
	comm -23 "$work/$lang.wrapped" "$work/header" | while read -r f; do
		echo "bindings/$lang: wraps $f, which include/hams.h does not declare" >>"$problems"
	done
	sort -u "$work/$lang.wrapped" "$work/$lang.gaps" | comm -23 "$work/header" - | while read -r f; do
		echo "bindings/$lang: $f is declared in include/hams.h but neither wrapped nor listed in $gaps" >>"$problems"
	done
	if [ -s "$problems" ]; then
		failed=$((failed + 1))
		echo "FAIL $lang:"
		sed 's/^/    /' "$problems"
	else
		passed=$((passed + 1))
		echo "ok   $lang: $(wc -l <"$work/$lang.wrapped") wrapped, $(wc -l <"$work/$lang.gaps") listed in $gaps"
	fi
done
echo "coverage: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
