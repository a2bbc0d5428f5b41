#!/usr/bin/env bash
# DKIM goals of issue 13, each beside its ceiling or peer, in the same run:
#   - a 2 KB RSA-2048 verification as a share of the raw RSA-2048 verify
#     rate (crypto/rsa.VerifyPKCS1v15 alone; goal >= 80%);
#   - a 1 MB verification as a share of the relaxed canonicalization +
#     SHA-256 ceiling (1 / (1/canon + 1/sha256) in MB/s; goal >= 85%);
#   - verify and sign against emersion/go-msgauth on the same messages and
#     keys (bench/peer), as a multiple of its rate.
# Each of COUNT rounds runs every benchmark once, so a ratio compares
# figures taken seconds apart; the median of the rounds is printed. On a
# shared machine the ratios hold better than the rates; bench/ir.sh gives
# instruction counts.
#
# Usage: COUNT=5 BENCHTIME=1s bench/dkim.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-1s}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go test -c -o "$dir/dkim.test" ./pkg/dkim
(cd bench/peer && go test -c -o "$dir/peer.test" .)
for r in $(seq "$COUNT"); do
	(cd pkg/dkim && "$dir/dkim.test" -test.run '^$' -test.benchtime "$BENCHTIME" \
		-test.bench 'BenchmarkVerify/rsa2048/(2KB|1MB)$|BenchmarkRaw/(rsa2048-verify|sha256-1MB|canonicalize-relaxed-1MB)$') >"$dir/own.$r"
	"$dir/peer.test" -test.run '^$' -test.benchtime "$BENCHTIME" \
		-test.bench 'Benchmark(Verify|Sign)/(Ours|Msgauth)/(rsa2048|ed25519)/(2KB|1MB)$' >"$dir/peer.$r"
	cat "$dir/own.$r" "$dir/peer.$r" | grep '^Benchmark' | sed 's/-[0-9]* / /' >"$dir/all.$r"
done
cat "$dir"/all.* | awk '{print $1, $3, $4}' >"$dir/raw.txt"

# ns/op and MB/s of one benchmark in one round.
awk -v count="$COUNT" '
function median(a, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
FNR == 1 { round++ }
/^Benchmark/ {
	ns[round, $1] = $3
	for (i = 4; i <= NF; i++) if ($(i + 1) == "MB/s") mbs[round, $1] = $i
	names[$1] = 1
}
END {
	n = 0
	for (r = 1; r <= round; r++) {
		raw = ns[r, "BenchmarkRaw/rsa2048-verify"]; v2 = ns[r, "BenchmarkVerify/rsa2048/2KB"]
		if (raw && v2) a2[++n2] = 100 * raw / v2
		c = mbs[r, "BenchmarkRaw/canonicalize-relaxed-1MB"]; s = mbs[r, "BenchmarkRaw/sha256-1MB"]; v1 = mbs[r, "BenchmarkVerify/rsa2048/1MB"]
		if (c && s && v1) { ceil = 1 / (1 / c + 1 / s); a1[++n1] = 100 * v1 / ceil; ce[n1] = ceil; vv[n1] = v1 }
	}
	printf "2 KB RSA verify / raw RSA verify:                 %5.1f%% (median of %d; goal >= 80%%)\n", median(a2, n2), n2
	printf "1 MB verify / canonicalization+SHA-256 ceiling:   %5.1f%% (median of %d; goal >= 85%%; %.0f of %.0f MB/s)\n", median(a1, n1), n1, median(vv, n1), median(ce, n1)
	split("Verify Sign", ops, " "); split("rsa2048 ed25519", ks, " "); split("2KB 1MB", ss, " ")
	for (o = 1; o <= 2; o++) for (k = 1; k <= 2; k++) for (z = 1; z <= 2; z++) {
		m = 0; delete q
		for (r = 1; r <= round; r++) {
			ours = ns[r, "Benchmark" ops[o] "/Ours/" ks[k] "/" ss[z]]; peer = ns[r, "Benchmark" ops[o] "/Msgauth/" ks[k] "/" ss[z]]
			if (ours && peer) q[++m] = peer / ours
		}
		if (m) printf "%-6s %-8s %-4s vs go-msgauth:                %5.2fx its rate\n", ops[o], ks[k], ss[z], median(q, m)
	}
}' "$dir"/all.*
uptime | sed 's/^.*load/load/'
