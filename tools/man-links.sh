#!/bin/sh
# Prints "ALIAS.3 PAGE.3" for every name listed in the NAME section of a
# manual page other than the page's own name (man/hams_new.3 lists hams_new
# and hams_free: prints "hams_free.3 hams_new.3").  `make install` makes each
# ALIAS a symbolic link to its PAGE; `make uninstall` removes it.
#
# Usage: tools/man-links.sh PAGE...
# Fails when a name is listed by two pages or would shadow a page.
LC_ALL=C
export LC_ALL

status=0
out=$(
	for page in "$@"; do
		base=${page##*/}
		sect=${base##*.}
		awk -v page="$base" -v sect="$sect" '
			/^\.Sh[ \t]/ { insec = ($2 == "NAME"); next }
			insec && /^\.Nm[ \t]/ && $2 "." sect != page { print $2 "." sect, page }
		' "$page"
	done | sort
) || exit 1

dups=$(printf '%s\n' "$out" | awk 'NF { print $1 }' | uniq -d)
if [ -n "$dups" ]; then
	echo "man-links: listed by more than one page: $dups" >&2
	status=1
fi
for page in "$@"; do
	base=${page##*/}
	if printf '%s\n' "$out" | awk -v b="$base" '$1 == b { f = 1 } END { exit !f }'; then
		echo "man-links: $base is both a page and an alias" >&2
		status=1
	fi
done
[ -z "$out" ] || printf '%s\n' "$out"
exit $status
