#!/bin/sh
# Writes OUT, the C table of the test cases of FILE... (testing.h): every
# line starting `TEST(name)`, in file order. So that a case cannot be
# written and never run, it fails on a case not written that way: a
# `void test_x(void)` function, or a TEST( it cannot read (indented, ...).
#
# Usage: tests/c/list-tests.sh OUT FILE...
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OUT FILE..." >&2; exit 2; }
out=$1
shift
LC_ALL=C awk '
    function fail(msg) { print FILENAME ":" FNR ": " msg >"/dev/stderr"; bad = 1 }
    /^TEST\([A-Za-z0-9_]+\)/ {
        name = substr($0, 6, index($0, ")") - 6)
        if (name in seen) fail("TEST(" name ") is defined twice (first at " seen[name] ")")
        seen[name] = FILENAME ":" FNR
        names[n++] = name
        next
    }
    /(^|[^A-Za-z0-9_])TEST[ \t]*\(/ && !/^[ \t]*(\/\*|\*|\/\/)/ {
        fail("write a case as TEST(name) at the start of a line, or list-tests.sh cannot see it: " $0)
    }
    /^[ \t]*(static[ \t]+)?void[ \t]+test_[A-Za-z0-9_]*[ \t]*\(/ {
        fail("a test case written as a function would never run; write it TEST(name) { ... }: " $0)
    }
    END {
        if (bad) exit 1
        if (n == 0) { print "list-tests.sh: no TEST(name) in the files given" >"/dev/stderr"; exit 1 }
        print "/* Written by tests/c/list-tests.sh at build time: do not edit. */"
        print "#include \"testing.h\""
        print ""
        for (i = 0; i < n; i++) print "TEST(" names[i] ");"
        print ""
        print "const struct testing_case testing_cases[] = {"
        for (i = 0; i < n; i++) print "    {\"" names[i] "\", test_" names[i] "},"
        print "};"
        print "const size_t testing_case_count = sizeof(testing_cases) / sizeof(testing_cases[0]);"
    }
' "$@" >"$out.tmp" || { rm -f "$out.tmp"; exit 1; }
mv "$out.tmp" "$out"
