#!/bin/sh
# Check the hams manual pages in man/.
#
#  1. Every page must pass `mandoc -Tlint -W warning` without messages.
#     Only messages of level WARNING and above (WARNING, ERROR, UNSUPP)
#     fail the check.  STYLE (and "base system") messages are ignored on
#     purpose: the main one is "referenced manual not found" for .Xr
#     cross-references, whose result depends on which pages happen to be
#     installed on the machine running the test (our own pages before
#     `make install`, pkg-config(1), syslog(3), ...), and the set of style
#     suggestions changes between mandoc versions.  Neither says anything
#     about whether a page is well-formed; warnings and errors do (bad macro
#     use, broken lists, sections out of order, unknown library names, ...).
#  2. The first .Nm of every page must match its file name
#     (man/hams_start.3 documents hams_start first).
#  3. When include/hams.h exists, every function it declares whose name
#     matches hams_[a-z0-9_]+ must be listed by .Nm in the NAME section of
#     some page (other names of a page are installed as links to it).
#
# Prints one line per failure and a summary "man: N passed, N failed".
# Exit status is 0 when nothing failed, 1 otherwise.
#
# Environment: MANDOC (default mandoc), HAMS_HEADER (default
# include/hams.h in the source tree).

LC_ALL=C
export LC_ALL

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
mandir=$root/man
header=${HAMS_HEADER:-$root/include/hams.h}
MANDOC=${MANDOC:-mandoc}

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

have_mandoc=yes
if ! command -v "$MANDOC" >/dev/null 2>&1; then
	have_mandoc=no
fi

# NAME-section names of every page, one "name page" per line.
: >"$tmp/names"
npages=0
for page in "$mandir"/*.[1-9]; do
	[ -f "$page" ] || continue
	npages=$((npages + 1))
	base=${page##*/}
	rel=man/$base

	awk -v page="$base" '
		/^\.Sh[ \t]/ { insec = ($2 == "NAME"); next }
		insec && /^\.Nm[ \t]/ { print $2, page }
	' "$page" >"$tmp/page_names"
	cat "$tmp/page_names" >>"$tmp/names"

	ok=yes
	if [ "$have_mandoc" = yes ]; then
		"$MANDOC" -Tlint -W warning "$page" >"$tmp/lint" 2>&1
		rc=$?
		# mandoc may mention an outdated mandoc.db: not about the page.
		grep -v 'mandoc\.db' "$tmp/lint" >"$tmp/lint.msgs"
		if [ "$rc" -ne 0 ] || [ -s "$tmp/lint.msgs" ]; then
			ok=no
			fail "$rel: mandoc -Tlint -W warning (exit $rc):"
			sed "s|$mandir/|man/|g; s/^/    /" "$tmp/lint.msgs"
		fi
	else
		ok=no
		fail "$rel: cannot lint, $MANDOC not found (apt-get install mandoc)"
	fi

	first=$(awk 'NR == 1 { print $1 }' "$tmp/page_names")
	want=${base%.*}
	if [ -z "$first" ]; then
		ok=no
		fail "$rel: no .Nm in the NAME section"
	elif [ "$first" != "$want" ]; then
		ok=no
		fail "$rel: first .Nm is $first, expected $want"
	fi

	if [ "$ok" = yes ]; then pass; fi
done

if [ "$npages" -eq 0 ]; then
	fail "no manual pages found in man/"
fi

# Functions declared in the header.
if [ -f "$header" ]; then
	sh "$(dirname "$0")/../../tools/header-functions.sh" "$header" >"$tmp/functions"

	if [ ! -s "$tmp/functions" ]; then
		fail "${header#"$root"/}: no hams_* functions found"
	fi
	while read -r fn; do
		if awk -v fn="$fn" '$1 == fn { found = 1 } END { exit !found }' \
		    "$tmp/names"; then
			pass
		else
			fail "$fn: declared in hams.h but listed in no page's NAME section"
		fi
	done <"$tmp/functions"
else
	echo "note: ${header#"$root"/} not found, function coverage not checked"
fi

echo "man: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
