#!/usr/bin/env bash
# Instructions per benchmark op, counted by valgrind (callgrind), for when
# wall time is too noisy on a shared machine: the benchmark runs twice,
# with -benchtime=${LO}x and ${HI}x, and the difference of the instruction
# totals divided by HI-LO is what one op costs (the set-up cancels out).
#
# Usage: bench/ir.sh PKG_DIR 'BenchmarkRegexp' [more regexps...]
#   e.g. bench/ir.sh pkg/dkim 'BenchmarkVerify/rsa2048/2KB$' 'BenchmarkRaw/rsa2048-verify$'
# Needs valgrind (Debian package valgrind). LO=20 HI=120 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=$1
shift
LO=${LO:-20}
HI=${HI:-120}
command -v valgrind >/dev/null || { echo "bench/ir.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/t.test" "./$pkg"
for re in "$@"; do
	declare -A ir=()
	for n in "$LO" "$HI"; do
		# Go's asynchronous preemption signals upset callgrind.
		ir[$n]=$(cd "$pkg" && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$dir/t.test" -test.run '^$' -test.bench "$re" -test.benchtime "${n}x" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
	done
	awk -v re="$re" -v lo="${ir[$LO]}" -v hi="${ir[$HI]}" -v n=$((HI - LO)) 'BEGIN { printf "%-50s %12.0f instructions/op\n", re, (hi - lo) / n }'
done
