#!/bin/sh
# Checks the ABI of libhams.so:
#  - its SONAME is the expected one;
#  - the symbols it exports (defined, in .dynsym) are exactly the functions
#    declared in include/hams.h, no more and no fewer;
#  - each carries, as the default version, the node of the linker version
#    script that names it, or else the first node, whose pattern takes the
#    rest (hams_new@@HAMS_0.1, hams_vec_with@@HAMS_0.2).
#
# Usage: tests/symbols.sh LIBHAMS.SO HAMS.H LIBHAMS.SYM SONAME
# Environment: READELF (default readelf).
# Prints one line per failure and "symbols: N passed, N failed".
LC_ALL=C
export LC_ALL

lib=${1:?usage: symbols.sh LIB HEADER SYMFILE SONAME}
header=${2:?usage: symbols.sh LIB HEADER SYMFILE SONAME}
symfile=${3:?usage: symbols.sh LIB HEADER SYMFILE SONAME}
want_soname=${4:?usage: symbols.sh LIB HEADER SYMFILE SONAME}
READELF=${READELF:-readelf}

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

for f in "$lib" "$header" "$symfile"; do
	[ -f "$f" ] || { echo "symbols: $f not found"; echo "symbols: 0 passed, 1 failed"; exit 1; }
done
if ! command -v "$READELF" >/dev/null 2>&1; then
	echo "symbols: $READELF not found (apt-get install binutils)"
	echo "symbols: 0 passed, 1 failed"
	exit 1
fi

# SONAME
soname=$("$READELF" -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" = "$want_soname" ]; then pass; else
	fail "SONAME is '${soname}', expected $want_soname"
fi

# The version nodes of the script ("HAMS_0.1 {", ...) in order, and the
# function names each lists explicitly ("NODE NAME").
awk '
	{
		# Drop comments, which may span lines.
		line = $0; out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/"); if (i == 0) { line = ""; break }
				line = substr(line, i + 2); incomment = 0; continue
			}
			i = index(line, "/*"); if (i == 0) { out = out line; break }
			out = out substr(line, 1, i - 1); line = substr(line, i + 2); incomment = 1
		}
		$0 = out
	}
	/^[[:space:]]*[A-Za-z_][A-Za-z0-9_.]*[[:space:]]*\{/ { node = $1; sub(/\{.*/, "", node); print "node", node; next }
	/^[[:space:]]*(global|local):/ || /^[[:space:]]*\}/ { next }
	node != "" && NF { n = $1; sub(/;.*/, "", n); if (n ~ /^[A-Za-z_][A-Za-z0-9_]*$/) print node, n }
' "$symfile" >"$tmp/script"
awk '$1 == "node" { print $2 }' "$tmp/script" >"$tmp/nodes"
awk '$1 != "node"' "$tmp/script" >"$tmp/named"
node=$(sed 1q "$tmp/nodes")
if [ -n "$node" ]; then pass; else fail "no version node in $symfile"; fi

# Functions declared in the header.
sh "$(dirname "$0")/../tools/header-functions.sh" "$header" >"$tmp/declared"
if [ -s "$tmp/declared" ]; then pass; else fail "no hams_* functions in $header"; fi

# Defined dynamic symbols: "TYPE BIND NAME[@[@]VERSION]".
"$READELF" --dyn-syms -W "$lib" |
	awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $8 != "" { print $4, $5, $8 }' |
	sort -k3 >"$tmp/exported"

# The version definitions themselves may appear as ABS symbols named like them.
awk 'NR == FNR { nodes[$1] = 1; next } !($3 in nodes)' "$tmp/nodes" "$tmp/exported" >"$tmp/exported.syms"

while read -r fn; do
	line=$(awk -v fn="$fn" '{ n = $3; sub(/@.*/, "", n) } n == fn { print; exit }' "$tmp/exported.syms")
	if [ -z "$line" ]; then
		fail "$fn: declared in hams.h but not exported by ${lib##*/}"
		continue
	fi
	want=$(awk -v fn="$fn" '$2 == fn { print $1; exit }' "$tmp/named")
	want=${want:-$node}
	set -- $line
	if [ "$1" != FUNC ] || [ "$2" != GLOBAL ]; then
		fail "$fn: exported as $1 $2, expected FUNC GLOBAL"
	elif [ "$3" != "$fn@@$want" ]; then
		fail "$fn: exported as '$3', expected version $fn@@$want"
	else
		pass
	fi
done <"$tmp/declared"

while read -r type bind name; do
	base=${name%%@*}
	if ! grep -qx "$base" "$tmp/declared"; then
		fail "${lib##*/} exports $name ($type $bind), not declared in hams.h"
	fi
done <"$tmp/exported.syms"

echo "symbols: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
