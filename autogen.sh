#!/bin/sh
# Generates configure and Makefile.in from a git checkout.
# Needs autoconf and automake (Debian: apt-get install autoconf automake).
set -e
cd "$(dirname "$0")"
autoreconf -fi
