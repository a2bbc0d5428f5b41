#!/bin/sh
# emailauth-zones.sh: the pre-commit hook of docs/ci/pre-commit-config.yaml.
# Checks the zone files kept in a repository, offline, before they are
# committed: for each zone file given (zones/DOMAIN.zone), emailauth check
# DOMAIN with every zone file of the directory loaded (a tenant's records
# often point at the platform's, in another file), and no live DNS.
#
# Usage: emailauth-zones.sh [EMAILAUTH-CHECK-FLAGS...] ZONEFILE...
#   Arguments ending in .zone are zone files, named DOMAIN.zone; the others
#   go to emailauth check (such as --fail-on warning, --checks spf,dmarc).
#   EMAILAUTH (default: emailauth) is the binary. Paths with spaces are not
#   supported.
# Exit: the worst of the checks' exit codes (1 a domain failed, 2 bad input,
# 0 when every domain passed).
set -u
emailauth=${EMAILAUTH:-emailauth}
if ! command -v "$emailauth" >/dev/null 2>&1; then
	echo "emailauth-zones: emailauth is not installed: go install github.com/penguinmails/emailauth/cmd/emailauth@latest" >&2
	exit 2
fi
flags=""
files=""
for a in "$@"; do
	case "$a" in
	*.zone) files="$files $a" ;;
	*) flags="$flags $a" ;;
	esac
done
status=0
for f in $files; do
	dir=$(dirname "$f")
	domain=$(basename "$f" .zone)
	zones=""
	for z in "$dir"/*.zone; do zones="$zones --zone $z"; done
	# shellcheck disable=SC2086 # flags and zones are lists of words
	"$emailauth" check --offline $zones $flags "$domain"
	code=$?
	# 1 (failed) outranks 2 (bad input), which outranks 3 (incomplete).
	case "$status:$code" in
	*:0) ;;
	1:*) ;;
	*:1) status=1 ;;
	2:*) ;;
	*) status=$code ;;
	esac
done
exit "$status"
