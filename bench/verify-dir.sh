#!/usr/bin/env bash
# `emailauth verify DIR` on N copies of a signed 2 KB message (RSA-2048,
# relaxed/relaxed), beside the library loops on the same kind of message:
# pkg/dkim's BenchmarkVerify/rsa2048/2KB and go-msgauth's (bench/peer). The
# command runs with -j 1 and GOMAXPROCS=1, like the single-goroutine
# library loops, and again with its defaults (every core). Goal: the
# command at least at pkg/dkim's library rate.
#
# Usage: N=2000 RUNS=3 bench/verify-dir.sh   (EMAILAUTH=path: a prebuilt binary)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
RUNS=${RUNS:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if [ -n "${EMAILAUTH:-}" ]; then cp "$EMAILAUTH" "$dir/emailauth"; else go build -o "$dir/emailauth" ./cmd/emailauth; fi
ea="$dir/emailauth"
"$ea" dkim keygen example.test -s s1 --out "$dir/key.pem" -q >/dev/null 2>&1 || "$ea" dkim keygen example.test -s s1 --out "$dir/key.pem" >/dev/null
{
	echo 'example.test. 3600 IN SOA ns.example.test. h.example.test. 1 7200 3600 1209600 300'
	"$ea" dkim record example.test -s s1 -k "$dir/key.pem" -q
} >"$dir/example.test.zone"
{
	printf 'Received: from mail.example.net (mail.example.net [192.0.2.1])\r\n\tby mx.example.test with ESMTPS id 4Xyz; Mon, 23 Nov 2026 10:00:00 +0000\r\n'
	printf 'From: Joe SixPack <joe@example.test>\r\nTo: Suzie Q <suzie@example.net>\r\nSubject: Quarterly report\r\n'
	printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <20261123100000.12345@example.test>\r\n'
	printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
	for _ in $(seq 24); do printf 'The quick brown fox jumps over the lazy dog;  pack my box with five dozen.\r\n'; done
} >"$dir/msg.eml"
"$ea" sign -d example.test -s s1 -k "$dir/key.pem" "$dir/msg.eml" >"$dir/signed.eml"
mkdir "$dir/msgs"
for i in $(seq "$N"); do cp "$dir/signed.eml" "$dir/msgs/m$i.eml"; done
"$ea" verify --offline --zone "$dir/example.test.zone" "$dir/msgs/m1.eml" -o json | grep -q '"result": *"pass"' ||
	{ echo "bench/verify-dir.sh: the message does not verify" >&2; "$ea" verify --offline --zone "$dir/example.test.zone" "$dir/msgs/m1.eml" >&2; exit 1; }
echo "message: $(wc -c <"$dir/signed.eml") octets, $N copies"

best() { sort -n | tail -1; }
for mode in one all; do
	for r in $(seq "$RUNS"); do
		start=$(date +%s.%N)
		if [ $mode = one ]; then
			GOMAXPROCS=1 "$ea" verify --offline --zone "$dir/example.test.zone" -j 1 "$dir/msgs" -o json >/dev/null || true
		else
			"$ea" verify --offline --zone "$dir/example.test.zone" "$dir/msgs" -o json >/dev/null || true
		fi
		end=$(date +%s.%N)
		awk -v n="$N" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f\n", n/(b-a)}'
	done | best >"$dir/rate.$mode"
done
go test -run '^$' -bench 'BenchmarkVerify/rsa2048/2KB$' -benchtime 1s -count "$RUNS" ./pkg/dkim | sed -n 's/.* \([0-9.]*\) msgs\/s.*/\1/p' | best >"$dir/rate.lib"
(cd bench/peer && go test -run '^$' -bench 'BenchmarkVerify/Msgauth/rsa2048/2KB$' -benchtime 1s -count "$RUNS" .) | sed -n 's/.* \([0-9.]*\) msgs\/s.*/\1/p' | best >"$dir/rate.peer"
one=$(cat "$dir/rate.one"); all=$(cat "$dir/rate.all"); lib=$(cat "$dir/rate.lib"); peer=$(cat "$dir/rate.peer")
echo "verify DIR, -j 1 GOMAXPROCS=1: $one msgs/s; default -j: $all msgs/s"
echo "pkg/dkim library loop: $lib msgs/s; go-msgauth library loop: $peer msgs/s"
awk -v o="$one" -v l="$lib" -v p="$peer" 'BEGIN{printf "verify DIR (-j 1) = %.2fx pkg/dkim library, %.2fx go-msgauth library (goal >= 1x pkg/dkim)\n", o/l, o/p}'
uptime | sed 's/^.*load/load/'
