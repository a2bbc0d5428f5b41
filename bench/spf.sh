#!/usr/bin/env bash
# SPF evaluation beside libspf2 (spfquery) and pyspf, on the same
# connections and the same DNS: NSD serving a platform's three-record
# include chain and D tenant domains on 127.0.0.77:53. The peers read
# /etc/resolv.conf, so everything runs in a private mount namespace where
# /etc/resolv.conf names that server (the machine's own file is untouched).
#
#   - batch: C connections from a file, one process: `emailauth spf eval
#     --file` (-j 1, then -j 16) against `spfquery -file` and a pyspf loop
#     (spf.check2 per line);
#   - one process per call: P runs of `emailauth spf eval --ip ...` against
#     `spfquery -ip ...`.
# Prints connections/s and emailauth's rate as a multiple of each peer's,
# and how many results each gave, as a check that they agree.
#
# Needs root (a mount namespace, port 53 on loopback) and the Debian
# packages nsd, spfquery (libspf2) and python3-spf.
# Usage: C=5000 D=500 P=100 bench/spf.sh
set -euo pipefail
cd "$(dirname "$0")/.."
C=${C:-5000}
D=${D:-500}
P=${P:-100}
ADDR=127.0.0.77
if [ -z "${SPF_BENCH_INNER:-}" ]; then
	for t in nsd spfquery unshare; do
		command -v "$t" >/dev/null || { echo "bench/spf.sh: $t is missing (apt-get install nsd spfquery python3-spf)" >&2; exit 2; }
	done
	/usr/bin/python3 -c 'import spf' 2>/dev/null || { echo "bench/spf.sh: pyspf is missing (apt-get install python3-spf)" >&2; exit 2; }
	exec unshare -m env SPF_BENCH_INNER=1 bash "$0" "$@"
fi

dir=$(mktemp -d)
nsdpid=
cleanup() {
	if [ -n "$nsdpid" ]; then kill "$nsdpid" 2>/dev/null || true; wait "$nsdpid" 2>/dev/null || true; fi
	rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/emailauth" ./cmd/emailauth
ea="$dir/emailauth"

printf '$TTL 3600\ntest. SOA ns.test. h.test. 1 7200 3600 1209600 300\ntest. NS ns.test.\nns.test. A %s\n' "$ADDR" >"$dir/test.zone"
cat >"$dir/platform.test.zone" <<Z
\$TTL 3600
platform.test. SOA ns.platform.test. h.platform.test. 1 7200 3600 1209600 300
platform.test. NS ns.test.
_spf.platform.test. TXT "v=spf1 include:_spf1.platform.test include:_spf2.platform.test -all"
_spf1.platform.test. TXT "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:100::/48 -all"
_spf2.platform.test. TXT "v=spf1 ip4:203.0.113.0/24 -all"
Z
{
	printf '$TTL 3600\ntenants.test. SOA ns.tenants.test. h.tenants.test. 1 7200 3600 1209600 300\ntenants.test. NS ns.test.\n'
	awk -v n="$D" 'BEGIN { for (i = 0; i < n; i++) {
		d = "d" i ".tenants.test."
		printf "%s MX 10 mx.%s\nmx.%s A 192.0.2.%d\n", d, d, d, i % 250 + 1
		printf "%s TXT \"v=spf1 mx include:_spf.platform.test -all\"\n", d
	} }'
} >"$dir/tenants.test.zone"
# Connections: from the platform's ranges (pass at the second include),
# from the tenant's MX (pass at mx), and from elsewhere (fail after the
# whole chain).
awk -v c="$C" -v d="$D" 'BEGIN { srand(7); for (i = 0; i < c; i++) {
	t = int(rand() * d); k = i % 3
	if (k == 0) ip = "203.0.113." int(rand() * 250 + 1)
	else if (k == 1) ip = "192.0.2." (t % 250 + 1)
	else ip = "192.0.2." ((t + 7) % 250 + 1)
	printf "%s user%d@d%d.tenants.test mail.d%d.tenants.test\n", ip, i, t, t
} }' >"$dir/conns.txt"

cat >"$dir/nsd.conf" <<Z
server:
	ip-address: $ADDR
	port: 53
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
Z
nsd -c "$dir/nsd.conf" -d >"$dir/nsd.out" 2>&1 &
nsdpid=$!
echo "nameserver $ADDR" >"$dir/resolv.conf"
mount --bind "$dir/resolv.conf" /etc/resolv.conf
for _ in $(seq 100); do
	"$ea" lookup --resolver "$ADDR" --timeout 200ms --retries 0 _spf.platform.test TXT >/dev/null 2>&1 && break
	sleep 0.1
done

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN{printf "%.0f", n/(b-a)}'; }

s=$(now); "$ea" spf eval --resolver "$ADDR" --file "$dir/conns.txt" -j 1 >"$dir/ea1.jsonl" || true; e=$(now); ea1=$(rate "$C" "$s" "$e")
s=$(now); "$ea" spf eval --resolver "$ADDR" --file "$dir/conns.txt" -j 16 >"$dir/ea16.jsonl" || true; e=$(now); ea16=$(rate "$C" "$s" "$e")
s=$(now); spfquery -file "$dir/conns.txt" >"$dir/spfquery.txt" 2>/dev/null || true; e=$(now); lib=$(rate "$C" "$s" "$e")
cat >"$dir/pyspf.py" <<'PY'
import sys, spf
counts = {}
for line in open(sys.argv[1]):
    ip, sender, helo = line.split()
    res, _ = spf.check2(i=ip, s=sender, h=helo)
    counts[res] = counts.get(res, 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))
PY
s=$(now); py_counts=$(/usr/bin/python3 "$dir/pyspf.py" "$dir/conns.txt"); e=$(now); py=$(rate "$C" "$s" "$e")

ea_counts=$(grep -o '"result":"[a-z]*"' "$dir/ea1.jsonl" | sort | uniq -c | awk '{sub(/"result":"/, "", $2); sub(/"/, "", $2); printf "%s=%d ", $2, $1}')
lib_counts=$(grep -cx 'pass' "$dir/spfquery.txt" || true)
echo "connections: $C over $D tenant domains"
echo "results: emailauth $ea_counts| pyspf $py_counts | spfquery pass=$lib_counts"
echo "batch, one process: emailauth -j 1 $ea1/s, -j 16 $ea16/s; spfquery -file $lib/s; pyspf loop $py/s"
awk -v a="$ea1" -v l="$lib" -v p="$py" 'BEGIN{printf "  emailauth -j 1 = %.2fx spfquery, %.2fx pyspf\n", a/l, a/p}'

# One process per call.
ip=203.0.113.7 from=user@d1.tenants.test helo=mail.d1.tenants.test
s=$(now); for _ in $(seq "$P"); do "$ea" spf eval --resolver "$ADDR" --ip $ip --mail-from $from --helo $helo -q >/dev/null || true; done; e=$(now); eap=$(rate "$P" "$s" "$e")
s=$(now); for _ in $(seq "$P"); do spfquery -ip $ip -sender $from -helo $helo >/dev/null 2>&1 || true; done; e=$(now); libp=$(rate "$P" "$s" "$e")
echo "one process per call: emailauth spf eval $eap/s, spfquery $libp/s = $(awk -v a="$eap" -v l="$libp" 'BEGIN{printf "%.2fx", a/l}')"
uptime | sed 's/^.*load/load/'
