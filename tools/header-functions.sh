#!/bin/sh
# Prints the hams_* functions declared in a C header, one per line, sorted:
# comments and preprocessor lines are dropped, everything is joined into one
# line (a declaration may span lines), and every hams_* identifier directly
# followed by "(" is taken. Function-pointer typedefs such as
# (*hams_check_fn)(...) have ")" after the name and are not matched.
#   tools/header-functions.sh include/hams.h
set -eu
awk '
	{
		line = $0; out = ""
		while (line != "") {
			if (incomment) {
				i = index(line, "*/")
				if (i == 0) { line = ""; break }
				line = substr(line, i + 2); incomment = 0
				continue
			}
			i = index(line, "/*"); j = index(line, "//")
			if (j > 0 && (i == 0 || j < i)) {
				out = out substr(line, 1, j - 1); line = ""; break
			}
			if (i == 0) { out = out line; line = ""; break }
			out = out substr(line, 1, i - 1) " "
			line = substr(line, i + 2); incomment = 1
		}
		# preprocessor lines, including continued ones
		if (incont || out ~ /^[ \t]*#/) { incont = (out ~ /\\$/); next }
		print out
	}
' "$1" | tr '\n' ' ' |
	grep -oE '(^|[^A-Za-z0-9_])hams_[a-z0-9_]+[[:space:]]*\(' |
	sed -E 's/^[^h]*//; s/[[:space:]]*\($//' | sort -u
