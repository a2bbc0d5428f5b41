#!/usr/bin/env bash
# interop-dkim.sh: DKIM interoperability between emailauth and the other major
# implementations: OpenDKIM (Debian's opendkim + opendkim-tools), dkimpy
# (python3-dkim), Mail::DKIM (libmail-dkim-perl) and Node's mailauth (npm).
#
# It installs them (Debian packages and npm only; no other network), makes a
# set of messages (plain text, multipart, 8-bit, long lines, folded headers,
# empty body, a 5 MB attachment), signs each with every implementation and
# both algorithms where the signer supports them (rsa-sha256 with a 2048-bit
# key, ed25519-sha256), verifies every signed message with every
# implementation, and prints a matrix: signer/algorithm by verifier, with the
# count of messages that verified.
#
# Keys are served to every verifier offline: emailauth reads a zone file,
# OpenDKIM a TestPublicKeys file, dkimpy a dnsfunc, Mail::DKIM an overridden
# Mail::DKIM::DNS::query, mailauth a resolver function.
#
# Usage: scripts/interop-dkim.sh [--no-install] [--keep] [--ci]
#   --no-install  use what is installed (skip apt-get and npm)
#   --keep        keep the work directory (printed at the end)
#   --ci          gate only on the cells emailauth is part of: what emailauth
#                 signs must verify everywhere, and what a peer signs must
#                 verify in emailauth whenever the peer verifies it itself
#                 (a peer's own flaky signing does not fail CI); if the
#                 peers cannot be installed, say so and exit 0
# Exit 0 when every supported cell (with --ci: every gated cell) is
# complete, 1 otherwise.
set -euo pipefail

NAME=interop-dkim
HELP='2,22'
. "$(dirname "$0")/interop-lib.sh"
interop_args "$@"
interop_workdir

# ---------------------------------------------------------------- install
interop_apt opendkim opendkim-tools python3-dkim python3-nacl libmail-dkim-perl
interop_mailauth
interop_require opendkim opendkim-testmsg node perl openssl
$PY -c 'import dkim, nacl' || {
	log "python3-dkim or python3-nacl is missing"
	exit 2
}
perl -MMail::DKIM::Verifier -e1 || {
	log "libmail-dkim-perl is missing"
	exit 2
}

# ---------------------------------------------------------------- emailauth
interop_build

# ---------------------------------------------------------------- keys
mkdir -p "$work/keys"
cd "$work/keys"
"$EA" dkim keygen --domain example.com --selector rsa1 --private-key rsa.pem >/dev/null 2>&1
"$EA" dkim keygen --domain example.com --selector ed1 --algorithm ed25519 --private-key ed.pem >/dev/null 2>&1
openssl pkey -in rsa.pem -traditional -out rsa-pkcs1.pem 2>/dev/null || openssl rsa -in rsa.pem -traditional -out rsa-pkcs1.pem 2>/dev/null
# The Ed25519 seed in base64 (dkimpy's key format): the last 32 octets of
# the PKCS#8 structure.
openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 >ed.seed
# The public records, as "name value" lines and as a zone file.
{
	"$EA" dkim record --private-key rsa.pem --domain example.com --selector rsa1 -o json
	"$EA" dkim record --private-key ed.pem --domain example.com --selector ed1 -o json
} >records.json 2>/dev/null
$PY - <<'EOF'
import json, re
text = open("records.json").read()
objs, dec, i = [], json.JSONDecoder(), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    o, i = dec.raw_decode(text, i)
    objs.append(o)
lines, zone = [], ["$ORIGIN example.com.", "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300"]
for o in objs:
    name = o.get("name") or o["record"]["name"]
    value = o.get("value") or o["record"]["value"]
    name = name.rstrip(".")
    lines.append(f"{name} {value}")
    chunks = [value[k:k + 255] for k in range(0, len(value), 255)]
    zone.append(f"{name}. 3600 IN TXT " + " ".join('"%s"' % c for c in chunks))
open("keys.txt", "w").write("\n".join(lines) + "\n")
open("keys.zone", "w").write("\n".join(zone) + "\n")
EOF
[ "$(wc -l <keys.txt)" = 2 ] || {
	log "could not derive the key records"
	cat records.json >&2
	exit 2
}

# ---------------------------------------------------------------- messages
interop_messages "$work/msgs"
cd "$work/msgs"
messages=$(ls "$work/msgs" | sed 's/\.eml$//' | sort)
nmsg=$(echo "$messages" | wc -l)

# ---------------------------------------------------------------- helpers
interop_key_dns
cat >"$work/dkimpy.py" <<'EOF'
import sys, dkim
from keydns import dnsfunc
mode = sys.argv[1]
if mode == "sign":
    alg, keyfile, selector, outdir = sys.argv[3:7]
    key = open(keyfile, "rb").read().strip()
    for path in sys.argv[7:]:
        data = open(path, "rb").read()
        sig = dkim.sign(data, selector.encode(), b"example.com", key, signature_algorithm=alg.encode(),
                        canonicalize=(b"relaxed", b"relaxed"))
        open(outdir + "/" + path.rsplit("/", 1)[-1], "wb").write(sig + data)
else:
    for path in sys.argv[3:]:
        data = open(path, "rb").read()
        try:
            ok = dkim.verify(data, dnsfunc=dnsfunc)
        except Exception as e:
            ok = False
        print(path, "pass" if ok else "fail")
EOF

cat >"$work/maildkim.pl" <<'EOF'
use strict; use warnings;
use Mail::DKIM::Signer; use Mail::DKIM::Verifier; use Mail::DKIM::DNS; use Net::DNS;
my $mode = shift;
my %keys;
open my $kf, '<', shift or die; while (<$kf>) { chomp; my ($n, $v) = split / /, $_, 2; $keys{lc $n} = $v } close $kf;
{
	no warnings 'redefine';
	*Mail::DKIM::DNS::query = sub {
		my ($name, $type) = @_;
		my $v = $keys{lc $name};
		if (!defined $v) { $@ = 'NXDOMAIN'; return; }
		my @chunks = ($v =~ /(.{1,255})/gs);
		return Net::DNS::RR->new(name => $name, type => 'TXT', txtdata => \@chunks);
	};
}
sub slurp { my $p = shift; open my $f, '<:raw', $p or die "$p: $!"; local $/; my $d = <$f>; close $f; $d }
if ($mode eq 'sign') {
	my ($keyfile, $selector, $outdir, @files) = @ARGV;
	for my $p (@files) {
		my $data = slurp($p);
		my $dkim = Mail::DKIM::Signer->new(Algorithm => 'rsa-sha256', Method => 'relaxed', Domain => 'example.com',
			Selector => $selector, KeyFile => $keyfile);
		$dkim->PRINT($data); $dkim->CLOSE;
		(my $base = $p) =~ s{.*/}{};
		open my $o, '>:raw', "$outdir/$base" or die; print $o $dkim->signature->as_string, "\r\n", $data; close $o;
	}
} else {
	for my $p (@ARGV) {
		my $v = Mail::DKIM::Verifier->new;
		$v->PRINT(slurp($p)); $v->CLOSE;
		print "$p ", ($v->result eq 'pass' ? 'pass' : 'fail'), "\n";
	}
}
EOF

cat >"$work/mailauth.js" <<'EOF'
const fs = require('fs');
const { dkimSign } = require(process.env.NPMDIR + '/node_modules/mailauth/lib/dkim/sign');
const { dkimVerify } = require(process.env.NPMDIR + '/node_modules/mailauth/lib/dkim/verify');
const [mode, keysFile, ...rest] = process.argv.slice(2);
const resolver = require('./keydns.js').keyResolver(keysFile);
(async () => {
  if (mode === 'sign') {
    const [alg, keyFile, selector, outdir, ...files] = rest;
    for (const p of files) {
      const data = fs.readFileSync(p);
      const r = await dkimSign(data, { signatureData: [{ signingDomain: 'example.com', selector,
        privateKey: fs.readFileSync(keyFile), algorithm: alg, canonicalization: 'relaxed/relaxed' }] });
      if (r.errors && r.errors.length) { console.error(p, r.errors); process.exitCode = 1; continue; }
      fs.writeFileSync(outdir + '/' + p.split('/').pop(), Buffer.concat([Buffer.from(r.signatures), data]));
    }
  } else {
    for (const p of rest) {
      const r = await dkimVerify(fs.readFileSync(p), { resolver });
      const ok = r.results.some(x => x.status && x.status.result === 'pass');
      console.log(p, ok ? 'pass' : 'fail');
    }
  }
})();
EOF

cat >"$work/opendkim-verify.conf" <<EOF
Mode v
Syslog no
TestPublicKeys $work/keys/keys.txt
EOF
for alg in rsa ed; do
	if [ $alg = rsa ]; then a=rsa-sha256 s=rsa1; else a=ed25519-sha256 s=ed1; fi
	cat >"$work/opendkim-sign-$alg.conf" <<EOF
Mode s
Syslog no
Domain example.com
Selector $s
KeyFile $work/keys/$alg.pem
SignatureAlgorithm $a
Canonicalization relaxed/relaxed
RequireSafeKeys no
EOF
done

# ---------------------------------------------------------------- sign
signers="emailauth opendkim dkimpy maildkim mailauth"
verifiers="emailauth opendkim dkimpy maildkim mailauth"
declare -A supported
for s in $signers; do supported[$s/rsa]=1 supported[$s/ed]=1; done
supported[maildkim/ed]=0 # Mail::DKIM 1.20230212 (Debian 12) has no Ed25519
declare -A verifies_ed
for v in $verifiers; do verifies_ed[$v]=1; done
verifies_ed[maildkim]=0

files=$(for m in $messages; do echo "$work/msgs/$m.eml"; done)
for signer in $signers; do
	for alg in rsa ed; do
		[ "${supported[$signer/$alg]}" = 1 ] || continue
		out="$work/signed/$signer-$alg"
		mkdir -p "$out"
		if [ $alg = rsa ]; then a=rsa-sha256 s=rsa1; else a=ed25519-sha256 s=ed1; fi
		log "signing with $signer ($a)"
		case $signer in
		emailauth)
			for f in $files; do "$EA" sign -k "$work/keys/$alg.pem" -d example.com -s $s "$f" >"$out/$(basename "$f")"; done
			;;
		opendkim)
			for f in $files; do
				# Test mode prints "opendkim: FILE:" then the header field,
				# whose last line ends in a bare LF: make it CRLF like the rest.
				opendkim -x "$work/opendkim-sign-$alg.conf" -t "$f" 2>/dev/null | tail -n +2 | sed 's/\r$//; s/$/\r/' >"$out/sig"
				cat "$out/sig" "$f" >"$out/$(basename "$f")"
				rm "$out/sig"
			done
			;;
		dkimpy)
			key="$work/keys/rsa.pem"
			[ $alg = ed ] && key="$work/keys/ed.seed"
			# shellcheck disable=SC2086
			$PY "$work/dkimpy.py" sign "$work/keys/keys.txt" $a "$key" $s "$out" $files
			;;
		maildkim)
			# shellcheck disable=SC2086
			perl "$work/maildkim.pl" sign "$work/keys/keys.txt" "$work/keys/rsa-pkcs1.pem" $s "$out" $files
			;;
		mailauth)
			# shellcheck disable=SC2086
			NPMDIR=$npmdir node "$work/mailauth.js" sign "$work/keys/keys.txt" $a "$work/keys/$alg.pem" $s "$out" $files
			;;
		esac
	done
done

# ---------------------------------------------------------------- verify
declare -A pass
results="$work/results.txt"
: >"$results"
for dir in "$work"/signed/*; do
	signed=$(ls "$dir"/*.eml)
	for verifier in $verifiers; do
		case $verifier in
		emailauth)
			# shellcheck disable=SC2086
			"$EA" verify --offline --zone "$work/keys/keys.zone" -o json $signed 2>/dev/null |
				$PY -c 'import json,sys; [print(m["source"], m["result"]) for m in json.load(sys.stdin)["messages"]]' >"$work/v.txt" || true
			;;
		opendkim)
			: >"$work/v.txt"
			for f in $signed; do
				if opendkim -x "$work/opendkim-verify.conf" -t "$f" 2>&1 | grep -q 'verification .* succeeded'; then r=pass; else r=fail; fi
				echo "$f $r" >>"$work/v.txt"
			done
			;;
		dkimpy)
			# shellcheck disable=SC2086
			$PY "$work/dkimpy.py" verify "$work/keys/keys.txt" $signed >"$work/v.txt" 2>/dev/null || true
			;;
		maildkim)
			# shellcheck disable=SC2086
			perl "$work/maildkim.pl" verify "$work/keys/keys.txt" $signed >"$work/v.txt" 2>/dev/null || true
			;;
		mailauth)
			# shellcheck disable=SC2086
			NPMDIR=$npmdir node "$work/mailauth.js" verify "$work/keys/keys.txt" $signed >"$work/v.txt" 2>/dev/null || true
			;;
		esac
		row=$(basename "$dir")
		n=$(grep -c ' pass$' "$work/v.txt" || true)
		pass[$row/$verifier]=$n
		sed "s|^$dir/|$row $verifier |" "$work/v.txt" >>"$results"
	done
done

# ---------------------------------------------------------------- matrix
echo
echo "DKIM interoperability: messages verified out of $nmsg ($(echo $messages | tr ' ' ',')), relaxed/relaxed"
echo "OpenDKIM $(dpkg-query -W -f='${Version}' opendkim 2>/dev/null), dkimpy $(dpkg-query -W -f='${Version}' python3-dkim 2>/dev/null), Mail::DKIM $(perl -MMail::DKIM -e 'print $Mail::DKIM::VERSION'), mailauth $mailauth_version"
echo
printf '%-22s' "signer \\ verifier"
for v in $verifiers; do printf '%-11s' "$v"; done
echo
ok=1
for signer in $signers; do
	for alg in rsa ed; do
		name="$signer"
		[ $alg = rsa ] && label="$name rsa-sha256" || label="$name ed25519"
		printf '%-22s' "$label"
		for v in $verifiers; do
			if [ "${supported[$signer/$alg]}" != 1 ]; then
				printf '%-11s' "n/a(sign)"
			elif [ $alg = ed ] && [ "${verifies_ed[$v]}" != 1 ]; then
				printf '%-11s' "n/a(ver)"
			else
				n=${pass[$signer-$alg/$v]:-0}
				printf '%-11s' "$n/$nmsg"
				if [ "$n" != "$nmsg" ]; then
					if [ "$ci" = 0 ] || [ "$signer" = emailauth ] ||
						{ [ "$v" = emailauth ] && [ "${pass[$signer-$alg/$signer]:-0}" = "$nmsg" ]; }; then
						ok=0
					else
						peer_only=1
					fi
				fi
			fi
		done
		echo
	done
done
echo
echo "n/a(sign): the signer cannot make this algorithm; n/a(ver): the verifier cannot check it."
if [ "${peer_only:-0}" = 1 ]; then
	echo "note: some cells between other implementations (or of a peer that does not verify its own signature) are incomplete; with --ci they do not fail the run"
fi
if [ "$ok" = 0 ] || [ "${peer_only:-0}" = 1 ]; then
	echo
	echo "Failures (signer-alg verifier message result):"
	grep ' fail$' "$results" | while read -r row v f r; do
		case "$row" in *-ed) [ "${verifies_ed[$v]}" = 1 ] || continue ;; esac
		echo "  $row $v $(basename "$f") $r"
	done
fi
echo
echo "elapsed: $(($(date +%s) - start)) s"
[ "$ok" = 1 ]
