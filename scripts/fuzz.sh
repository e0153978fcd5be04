#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (the first
# argument, default 60s). The targets are found with `go test -list`, so a
# new one is never left out and none is run in a package it is not in
# (where `go test -fuzz` only warns that it found nothing to fuzz).
set -euo pipefail
fuzztime=${1:-60s}
targets=$(go test -list '^Fuzz' ./... | awk '
	/^Fuzz/ { names = names " " $1; next }
	/^(ok|FAIL|\?) / { if (names != "") print $2 names; names = "" }')
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
n=0
while read -r pkg names; do
	for name in $names; do
		echo "== $pkg $name ($fuzztime)"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"
		n=$((n + 1))
	done
done <<< "$targets"
echo "fuzz: $n targets, $fuzztime each"
