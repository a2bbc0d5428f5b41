#!/usr/bin/env bash
# Bulk-check benchmarks: 10,000 synthetic tenant domains (shared SPF include
# chain, two DKIM selectors each), against an in-memory resolver and against
# the in-process DNS server through the real client. Reports domains/s,
# queries per domain reaching the resolver against the distinct questions
# (the minimum), and the peak heap.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'BenchmarkCheckBulk' -benchtime "${BENCHTIME:-1x}" -count "${COUNT:-1}" ./pkg/check/
