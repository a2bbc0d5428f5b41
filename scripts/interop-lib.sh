# interop-lib.sh: what scripts/interop-dkim.sh and scripts/interop-arc.sh
# share. Sourced, never run: the arguments, the work directory, installing
# the peers (Debian packages, mailauth from npm), building emailauth, and
# the corpus of test messages.
#
# The sourcing script sets NAME (its name in messages) and HELP (the line
# range of its header comment that --help prints), then calls, in order:
#   interop_args "$@"          sets install, keep, ci
#   interop_workdir            makes $work (mode 700), removed at exit unless --keep
#   interop_apt PACKAGE...     installs the Debian packages (with --ci, an
#                              unreachable registry skips the run: exit 0)
#   interop_mailauth           installs mailauth into $work/npm, or uses
#                              $MAILAUTH_DIR with --no-install; sets npmdir
#                              and mailauth_version
#   interop_require TOOL...    each must be on PATH
#   interop_build              builds emailauth into $work; sets EA
#   interop_messages DIR       writes the test messages into DIR

PY=/usr/bin/python3 # Debian's python, where python3-dkim lives

log() { echo "$NAME: $*" >&2; }

interop_args() {
	install=1
	keep=0
	ci=0
	for a in "$@"; do
		case "$a" in
		--no-install) install=0 ;;
		--keep) keep=1 ;;
		--ci) ci=1 ;;
		-h | --help)
			sed -n "${HELP}p" "$0" | sed 's/^# \{0,1\}//'
			exit 0
			;;
		*)
			echo "$NAME: unknown argument $a" >&2
			exit 2
			;;
		esac
	done
	repo=$(cd "$(dirname "$0")/.." && pwd)
	start=$(date +%s)
}

interop_cleanup() {
	if [ "$keep" = 1 ]; then
		echo "work directory kept: $work"
	else
		rm -rf "$work"
	fi
}

interop_workdir() {
	work=$(mktemp -d "/tmp/$NAME.XXXXXX")
	chmod 700 "$work" # opendkim refuses key and config files others can read
	trap interop_cleanup EXIT
}

# interop_key_dns writes the DNS the peers see, from a key file of lines
# "NAME VALUE" (the TXT records emailauth published): $work/keydns.py
# (dkimpy's dnsfunc, keys from sys.argv[2]) and $work/keydns.js
# (mailauth's resolver, keyResolver(file)). The helper scripts written
# beside them import them.
interop_key_dns() {
	cat >"$work/keydns.py" <<'EOF_PY'
import sys
keys = {}
for line in open(sys.argv[2]):
    name, value = line.rstrip("\n").split(" ", 1)
    keys[name.lower()] = value.encode()
def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return keys.get(name.lower().rstrip("."))
EOF_PY
	cat >"$work/keydns.js" <<'EOF_JS'
const fs = require('fs');
exports.keyResolver = (keysFile) => {
  const keys = {};
  for (const line of fs.readFileSync(keysFile, 'utf8').split('\n')) {
    if (!line) continue;
    const i = line.indexOf(' ');
    keys[line.slice(0, i).toLowerCase()] = line.slice(i + 1);
  }
  return async (name, type) => {
    const v = keys[name.toLowerCase().replace(/\.$/, '')];
    if (type !== 'TXT' || v === undefined) { const e = new Error('queryTxt ENOTFOUND ' + name); e.code = 'ENOTFOUND'; throw e; }
    const chunks = []; for (let k = 0; k < v.length; k += 255) chunks.push(v.slice(k, k + 255));
    return [chunks];
  };
};
EOF_JS
}

# interop_skip WHAT: the peers could not be installed. With --ci that is
# not a failure of emailauth: say so and exit 0; otherwise exit 2.
interop_skip() {
	log "$1 could not be installed"
	if [ "$ci" = 1 ]; then
		echo "$NAME: SKIPPED: $1 could not be installed (package registry unreachable?)"
		exit 0
	fi
	exit 2
}

interop_apt() {
	[ "$install" = 1 ] || return 0
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	log "installing $*"
	{ $sudo apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null; } || interop_skip "the Debian packages"
	# The opendkim package may start its daemon; only its test mode is used.
	case " $* " in *" opendkim "*) $sudo systemctl stop opendkim >/dev/null 2>&1 || true ;; esac
}

interop_mailauth() {
	npmdir="$work/npm"
	mkdir -p "$npmdir"
	if [ "$install" = 1 ] || [ ! -d "${MAILAUTH_DIR:-/nonexistent}/node_modules/mailauth" ]; then
		log "installing mailauth from npm into $npmdir"
		(cd "$npmdir" && npm init -y >/dev/null 2>&1 && npm install --no-audit --no-fund --silent mailauth >/dev/null 2>&1) ||
			interop_skip "mailauth (npm)"
	else
		npmdir=$MAILAUTH_DIR
	fi
	command -v node >/dev/null || {
		log "node is missing"
		exit 2
	}
	mailauth_version=$(node -e "console.log(require('$npmdir/node_modules/mailauth/package.json').version)")
}

interop_require() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || {
			log "$tool is missing"
			exit 2
		}
	done
}

interop_build() {
	log "building emailauth"
	(cd "$repo" && go build -o "$work/emailauth" ./cmd/emailauth)
	EA="$work/emailauth"
}

# interop_messages DIR: the corpus: plain text, multipart, 8-bit UTF-8,
# 990-octet lines, folded header fields with odd whitespace, an empty body
# and a 5 MB attachment, with CRLF line ends.
interop_messages() {
	mkdir -p "$1"
	(cd "$1" && $PY - <<'EOF'
import base64, random
CRLF = "\r\n"
def msg(name, headers, body):
    data = CRLF.join(headers) + CRLF + CRLF + body
    open(name + ".eml", "wb").write(data.encode("utf-8"))
base = [
    "From: Joe SixPack <joe@example.com>",
    "To: Suzie Q <suzie@example.net>",
    "Date: Mon, 23 Nov 2026 10:00:00 +0000",
]
msg("plain", base + ["Subject: Is dinner ready?", "Message-ID: <plain.1@example.com>"],
    "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n")
msg("multipart", base + ["Subject: Multipart", "Message-ID: <multi.1@example.com>", "MIME-Version: 1.0",
    'Content-Type: multipart/alternative; boundary="b1"'],
    "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nPlain part.\r\n"
    "--b1\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>HTML part.</p>\r\n--b1--\r\n")
msg("8bit", base + ["Subject: =?UTF-8?Q?Caf=C3=A9_cr=C3=A8me?=", "Message-ID: <8bit.1@example.com>", "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"],
    "Café crème, naïve façade, Ærøskøbing, 日本語のテキスト, emoji 😀.\r\n")
line = ("0123456789 abcdefghijklmnopqrstuvwxyz " * 30)[:990]
msg("longlines", base + ["Subject: Long lines", "Message-ID: <long.1@example.com>"],
    (line + "\r\n") * 50 + "end\r\n")
msg("folded", [
    "From: Joe SixPack\r\n <joe@example.com>",
    "To: Suzie Q <suzie@example.net>,\r\n\tAnother One <another@example.net>,\r\n   Third <third@example.net>",
    "Subject:   Folded   header\r\n  with  \t tabs and   spaces   ",
    "Date: Mon, 23 Nov 2026\r\n 10:00:00 +0000",
    "Message-ID:\r\n <folded.1@example.com>",
    "X-Long: " + " ".join(["word%d" % k for k in range(60)]).replace(" word2", "\r\n\tword2"),
], "Body with trailing spaces   \r\nand\ttabs\t\t\r\n\r\n\r\n")
msg("empty", base + ["Subject: Empty body", "Message-ID: <empty.1@example.com>"], "")
random.seed(1)
att = base64.encodebytes(bytes(random.getrandbits(8) for _ in range(5 * 1024 * 1024 * 3 // 4))).decode().replace("\n", "\r\n")
msg("attachment", base + ["Subject: 5 MB attachment", "Message-ID: <att.1@example.com>", "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b2"'],
    "--b2\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
    "--b2\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="data.bin"\r\n\r\n' + att + "--b2--\r\n")
EOF
	)
}
