#!/bin/sh
# Benchmarks of pkg/dns: the Client against the in-process test server over
# UDP and TCP, serial and parallel, the Cache (hits, distinct names), and the
# zone files. Prints ns/op, qps, B/op and allocs/op.
#
# Usage: bench/dns.sh [extra go test flags, e.g. -count=5 -benchtime=3s]
#        BENCH='Client|Cache' bench/dns.sh     (a subset)
# Compare two runs with benchstat (golang.org/x/perf/cmd/benchstat).
#
# Figures from the in-process server include the server's allocations; the
# cache hit figures do not reach it. Run on a quiet machine: the numbers are
# wall-clock throughput.
set -eu
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench "${BENCH:-.}" -benchmem "$@" ./pkg/dns/
