#!/usr/bin/env bash
# One process per call: `emailauth version` (goal: under 5 ms), beside the
# floor of any Go program on this machine (a hello world built by the same
# toolchain), and `emailauth sign` beside OpenDKIM signing the same 2 KB
# message with the same RSA-2048 key in its test mode (`opendkim -t`;
# Debian 12's opendkim-testmsg rejects every message with "dkim_chunk():
# Syntax error"). Uses hyperfine when installed
# (Debian package hyperfine), else a shell loop. Prints the package inits
# that cost most (GODEBUG=inittrace=1) and the page faults per run, which
# dominate start-up in a virtual machine.
#
# The binary is built as a release is (CGO_ENABLED=0 -trimpath -ldflags "-s -w":
# static, no dynamic loader at start).
# Usage: RUNS=200 bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-200}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/emailauth" ./cmd/emailauth
mkdir "$dir/hello"
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$dir/hello/main.go"
(cd "$dir/hello" && printf 'module hello\n\ngo 1.21\n' >go.mod && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/hello.bin" .)
ea="$dir/emailauth"
"$ea" dkim keygen example.test -s s1 --out "$dir/key.pem" >/dev/null 2>&1
{
	printf 'From: Joe SixPack <joe@example.test>\r\nTo: Suzie Q <suzie@example.net>\r\nSubject: Quarterly report\r\n'
	printf 'Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <20261123100000.12345@example.test>\r\n\r\n'
	for _ in $(seq 26); do printf 'The quick brown fox jumps over the lazy dog;  pack my box with five dozen.\r\n'; done
} >"$dir/msg.eml"

if command -v hyperfine >/dev/null; then
	cmds=("$dir/hello.bin" "$ea version" "$ea sign -d example.test -s s1 -k $dir/key.pem $dir/msg.eml")
	names=("go hello world" "emailauth version" "emailauth sign")
	if command -v opendkim >/dev/null; then
		printf 'Mode s\nSyslog no\nDomain example.test\nSelector s1\nKeyFile %s\nCanonicalization relaxed/relaxed\nRequireSafeKeys no\n' "$dir/key.pem" >"$dir/opendkim.conf"
		cmds+=("opendkim -x $dir/opendkim.conf -t $dir/msg.eml")
		names+=("opendkim -t")
	fi
	args=()
	for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
	hyperfine -N --warmup 20 -r "$RUNS" --export-json "$dir/h.json" "${args[@]}" >/dev/null 2>&1
	/usr/bin/python3 - "$dir/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
for name, x in r.items():
    print("%-20s mean %6.2f ms  median %6.2f ms  min %6.2f ms  (user %.2f, system %.2f)" % (name, 1000*x["mean"], 1000*x["median"], 1000*x["min"], 1000*x["user"], 1000*x["system"]))
if "opendkim -t" in r:
    print("emailauth sign = %.2fx OpenDKIM's rate (medians)" % (r["opendkim -t"]["median"] / r["emailauth sign"]["median"]))
print("emailauth version: median %.2f ms (goal < 5 ms); the Go floor here %.2f ms" % (1000*r["emailauth version"]["median"], 1000*r["go hello world"]["median"]))
PY
else
	for c in "$dir/hello.bin" "$ea version"; do
		s=$(date +%s.%N); for _ in $(seq "$RUNS"); do $c >/dev/null; done; e=$(date +%s.%N)
		awk -v n="$RUNS" -v a="$s" -v b="$e" -v c="$c" 'BEGIN{printf "%-40s %.2f ms per run\n", c, 1000*(b-a)/n}'
	done
fi
if command -v perf >/dev/null; then
	for c in "$dir/hello.bin" "$ea version"; do
		perf stat -e page-faults,task-clock -r 50 $c 2>&1 >/dev/null | awk -v c="${c##*/}" '/page-faults/ {pf=$1} /task-clock/ {tc=$1} END {printf "%-20s %s page faults, %s ms CPU per run\n", c, pf, tc}'
	done
fi
echo "package inits over 0.05 ms:"
GODEBUG=inittrace=1 "$ea" version 2>&1 >/dev/null | awk '$5 > 0.05 {printf "  %-55s %6.2f ms %8d bytes\n", $2, $5, $8}' | sort -k2 -n -r | head -12
GODEBUG=inittrace=1 "$ea" version 2>&1 >/dev/null | awk '{s += $5; b += $8} END {printf "  all inits: %.2f ms, %d bytes\n", s, b}'
uptime | sed 's/^.*load/load/'
