#!/usr/bin/env bash
# screenshot-report.sh: render the html report of the demo zones in headless
# Chromium (Debian's chromium package) and save PNGs to look at: a desktop
# width, a phone width, and the phone with the "fail" filter applied (a
# :target anchor, no JavaScript).
#
# The report is that of `emailauth check -o html --offline` on the demo
# zones in testdata/zones (a broken domain and two well-configured ones),
# plus a stored result with hostile text (an escape sequence, a bidi
# override, markup) rendered again with `report render`, so the pictures show
# how such text reads.
#
# The pictures: desktop.png (1280 wide), phone.png (390 wide),
# phone-only-fail.png (report.html#only-fail) and desktop-hostile.png (the
# hostile result alone, hostile.html).
#
# Usage: scripts/screenshot-report.sh [OUTDIR]   (default: ./screenshots)
#   --install   apt-get install chromium first when it is missing
# Prints the PNG paths. Exit 0 when every screenshot was written.
set -euo pipefail

install=0
out=""
for a in "$@"; do
	case "$a" in
	--install) install=1 ;;
	-h | --help)
		sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) out=$a ;;
	esac
done
out=${out:-screenshots}

root=$(cd "$(dirname "$0")/.." && pwd)
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ] && [ "$install" = 1 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
	browser=$(command -v chromium || true)
fi
if [ -z "$browser" ]; then
	echo "screenshot-report: chromium is not installed (apt-get install chromium, or run with --install)" >&2
	exit 1
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/emailauth" ./cmd/emailauth)
z=$root/testdata/zones
"$work/emailauth" check -o jsonl -j 1 --offline \
	--zone "$z/broken.example.zone" --zone "$z/example.com.zone" --zone "$z/example.net.zone" \
	broken.example example.com example.net >"$work/night.jsonl" || true
cat >>"$work/night.jsonl" <<'EOF'
{"domain":"hostile.example","status":"fail","checks":[{"check":"spf","status":"fail","records":["v=spf1 include:\u001b]0;pwned\u0007_spf.hostile.example \u202e-all <script>alert(1)</script>"],"findings":[{"code":"spf.syntax","severity":"error","message":"the record has a control character and markup: <b>bold</b> \u001b[2J","fix":"publish a TXT record at hostile.example:\nv=spf1 include:_spf.hostile.example -all","name":"hostile.example"}],"details":{}}]}
EOF
"$work/emailauth" report render -o html --sort status "$work/night.jsonl" >"$out/report.html" || true
tail -n 1 "$work/night.jsonl" >"$work/hostile.jsonl"
"$work/emailauth" report render -o html "$work/hostile.jsonl" >"$out/hostile.html" || true

shoot() { # NAME WIDTH HEIGHT URL
	local profile
	profile=$(mktemp -d)
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--no-first-run --disable-component-update --disable-sync --hide-scrollbars \
		--force-device-scale-factor=1 --user-data-dir="$profile" \
		--window-size="$2,$3" --screenshot="$out/$1.png" "$4" >/dev/null 2>&1 || true
	rm -rf "$profile"
	if [ ! -s "$out/$1.png" ]; then
		echo "screenshot-report: no screenshot $1.png" >&2
		return 1
	fi
	echo "$out/$1.png"
}

url="file://$out/report.html"
shoot desktop 1280 2000 "$url"
shoot phone 390 2400 "$url"
shoot phone-only-fail 390 1600 "$url#only-fail"
shoot desktop-hostile 1280 700 "file://$out/hostile.html"
echo "$out/report.html"
echo "$out/hostile.html"
