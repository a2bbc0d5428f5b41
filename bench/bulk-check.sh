#!/usr/bin/env bash
# Bulk `emailauth check` against NSD on loopback, beside the DNS floor:
# dnsperf replaying exactly the questions emailauth sent.
#
#   1. Generates N tenant domains of one platform (default 10,000; N=...):
#      two MX hosts each, SPF including the platform's three-record chain,
#      two DKIM selectors, DMARC.
#   2. Serves them with NSD on 127.0.0.1:$PORT (one server process).
#   3. Runs `emailauth check --file ... --checks mx,spf,dkim,dmarc
#      --selector s1 --selector s2 -j 64 -o jsonl` (-vv once, to record the
#      questions sent), then RUNS more times without tracing, and reports
#      domains/s, peak RSS (GNU time) and queries per domain.
#   4. Runs dnsperf over the recorded questions (same client concurrency)
#      and prints emailauth's rate as a share of the floor.
#
# EMAILAUTH=path runs a binary built elsewhere (an older commit, to compare);
# PERF=file writes a perf profile of one more run to file.
# Needs: nsd, dnsperf (Debian packages of those names), GNU time
# (/usr/bin/time). Usage: N=100000 RUNS=3 bench/bulk-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
RUNS=${RUNS:-3}
PORT=${PORT:-5353}
CONC=${CONC:-64}
for t in nsd dnsperf /usr/bin/time; do
	command -v "$t" >/dev/null || { echo "bench/bulk-check.sh: $t is missing (apt-get install nsd dnsperf time)" >&2; exit 2; }
done

dir=$(mktemp -d)
nsdpid=
cleanup() {
	if [ -n "$nsdpid" ]; then kill "$nsdpid" 2>/dev/null || true; wait "$nsdpid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT

if [ -n "${EMAILAUTH:-}" ]; then
	cp "$EMAILAUTH" "$dir/emailauth" # a binary built elsewhere (an older commit)
else
	go build -o "$dir/emailauth" ./cmd/emailauth
fi

# The zones. The Ed25519 key is RFC 8463's. The test. zone answers the
# names above the tenants that DMARC discovery asks (_dmarc.test).
printf '$TTL 3600\ntest. SOA ns.test. h.test. 1 7200 3600 1209600 300\ntest. NS ns.test.\nns.test. A 127.0.0.1\n' >"$dir/test.zone"
key=jAJqAP7e65F4xGjB/rZZtjkoQVDxWksR5cJlUCh1xyA=
cat >"$dir/platform.test.zone" <<EOF
\$TTL 3600
platform.test. SOA ns.platform.test. h.platform.test. 1 7200 3600 1209600 300
platform.test. NS ns.platform.test.
ns.platform.test. A 127.0.0.1
platform.test. MX 10 mx.platform.test.
mx.platform.test. A 198.51.100.10
_spf.platform.test. TXT "v=spf1 include:_spf1.platform.test include:_spf2.platform.test -all"
_spf1.platform.test. TXT "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:100::/48 -all"
_spf2.platform.test. TXT "v=spf1 ip4:203.0.113.0/24 -all"
*._report._dmarc.platform.test. TXT "v=DMARC1"
EOF
{
	printf '$TTL 3600\ntenants.test. SOA ns.tenants.test. h.tenants.test. 1 7200 3600 1209600 300\n'
	printf 'tenants.test. NS ns.tenants.test.\nns.tenants.test. A 127.0.0.1\n'
	awk -v n="$N" -v key="$key" 'BEGIN {
		for (i = 0; i < n; i++) {
			d = "d" i ".tenants.test."
			printf "%s MX 10 mx1.%s\n%s MX 20 mx2.%s\n", d, d, d, d
			printf "mx1.%s A 192.0.2.%d\nmx2.%s A 192.0.2.%d\n", d, i % 250 + 1, d, (i + 1) % 250 + 1
			printf "%s TXT \"v=spf1 mx include:_spf.platform.test -all\"\n", d
			printf "s1._domainkey.%s TXT \"v=DKIM1; k=ed25519; p=%s\"\n", d, key
			printf "s2._domainkey.%s TXT \"v=DKIM1; k=ed25519; p=%s\"\n", d, key
			printf "_dmarc.%s TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@platform.test\"\n", d
		}
	}'
} >"$dir/tenants.test.zone"
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print "d" i ".tenants.test" }' >"$dir/domains.txt"

cat >"$dir/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$PORT
	port: $PORT
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$dir"
	database: ""
	zonelistfile: "$dir/zone.list"
	pidfile: "$dir/nsd.pid"
	xfrdfile: "$dir/xfrd.state"
	logfile: "$dir/nsd.log"
	verbosity: 0
	hide-version: yes
	refuse-any: yes
	tcp-count: 256
	# No response rate limiting: it drops replies to a busy client.
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: test
	zonefile: test.zone
zone:
	name: platform.test
	zonefile: platform.test.zone
zone:
	name: tenants.test
	zonefile: tenants.test.zone
EOF
nsd -c "$dir/nsd.conf" -d >"$dir/nsd.out" 2>&1 &
nsdpid=$!
for _ in $(seq 100); do
	if dig +short +time=1 +tries=1 @127.0.0.1 -p "$PORT" tenants.test SOA 2>/dev/null | grep -q ns.tenants.test; then break; fi
	# Without dig: ask emailauth itself.
	if "$dir/emailauth" lookup --resolver "127.0.0.1:$PORT" --timeout 200ms tenants.test SOA >/dev/null 2>&1; then break; fi
	sleep 0.1
done

ea() {
	"$dir/emailauth" check --resolver "127.0.0.1:$PORT" --retries 2 --file "$dir/domains.txt" \
		--checks mx,spf,dkim,dmarc --selector s1 --selector s2 -j "$CONC" -o jsonl "$@"
}

# One traced run: the questions sent, for dnsperf (and the query count).
rc=0
ea -vv >"$dir/out.jsonl" 2>"$dir/trace.txt" || rc=$?
sed -n 's/^.*dns: query [^ ]* id=[0-9]* \([^ ]*\) \([A-Z0-9]*\) (attempt.*$/\1 \2/p' "$dir/trace.txt" >"$dir/questions.txt"
sent=$(wc -l <"$dir/questions.txt")
distinct=$(sort -u "$dir/questions.txt" | wc -l)
results=$(wc -l <"$dir/out.jsonl")
echo "domains: $N, results: $results (exit $rc), queries sent: $sent ($(awk -v s="$sent" -v n="$N" 'BEGIN{printf "%.2f", s/n}')/domain), distinct: $distinct, ratio $(awk -v s="$sent" -v d="$distinct" 'BEGIN{printf "%.3f", s/d}')"

best=0
for r in $(seq "$RUNS"); do
	start=$(date +%s.%N)
	/usr/bin/time -f '%M %U %S' -o "$dir/rss.txt" "$dir/emailauth" check --resolver "127.0.0.1:$PORT" --file "$dir/domains.txt" \
		--checks mx,spf,dkim,dmarc --selector s1 --selector s2 -j "$CONC" -o jsonl >"$dir/out.jsonl" || true
	end=$(date +%s.%N)
	rate=$(awk -v n="$N" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", n/(b-a)}')
	rss=$(awk '{printf "%.1f", $1/1024}' "$dir/rss.txt")
	cpu=$(awk -v n="$N" '{printf "%.0f", ($2+$3)*1e6/n}' "$dir/rss.txt")
	echo "emailauth run $r: $rate domains/s, peak RSS $rss MiB, CPU (user+sys) $cpu us/domain"
	if [ "$rate" -gt "$best" ]; then best=$rate; fi
done

if [ -n "${PERF:-}" ]; then
	# A profile of one more run (perf's software clock: works in a VM).
	perf record -q -e cpu-clock -F 999 -g -o "$dir/perf.data" "$dir/emailauth" check --resolver "127.0.0.1:$PORT" --file "$dir/domains.txt" \
		--checks mx,spf,dkim,dmarc --selector s1 --selector s2 -j "$CONC" -o jsonl >/dev/null 2>&1 || true
	perf report -i "$dir/perf.data" --no-children --percent-limit 0.7 --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 >"$PERF"
fi

dnsperf -s 127.0.0.1 -p "$PORT" -d "$dir/questions.txt" -n "$RUNS" -c 1 -q "$CONC" -t 2 >"$dir/dnsperf.txt" 2>&1 || true
qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$dir/dnsperf.txt")
lost=$(sed -n 's/^ *Queries lost: *\(.*\)$/\1/p' "$dir/dnsperf.txt")
floor=$(awk -v q="$qps" -v s="$sent" -v n="$N" 'BEGIN{printf "%.0f", q/(s/n)}')
echo "dnsperf: $qps queries/s (lost $lost) = $floor domains/s of these questions"
uptime | sed 's/^.*load/load/'
echo "emailauth best: $best domains/s = $(awk -v a="$best" -v b="$floor" 'BEGIN{printf "%.1f%%", 100*a/b}') of the DNS floor"
