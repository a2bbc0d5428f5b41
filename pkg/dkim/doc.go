// Package dkim signs and verifies DKIM signatures (RFC 6376, RFC 8463
// Ed25519, RFC 8301 algorithm and key-size rules).
//
// Both directions stream: Verify reads the header into memory and hashes the
// body as it passes, so a 100 MB message costs the same memory as a 2 KB
// one; Sign reads a file twice or spools a pipe to a temporary file. Bare LF
// line ends are read as CRLF, as MTAs do.
//
// Keys are fetched through a dns.Resolver, never the network directly, and
// every outcome is a SignatureResult with an RFC 8601 result (pass, fail,
// neutral, policy, temperror, permerror), a stable Code and a Reason.
//
// The canonicalization, header selection and signature formatting are our
// own rather than github.com/emersion/go-msgauth/dkim's: that package cannot
// take a clock (x= is checked against time.Now and t= is always now), emits
// its tags in sorted order (so the RFC examples cannot be reproduced), holds
// the whole message in memory when signing, and reports too coarsely for a
// diagnostic tool (no weak-key policy, l= is a plain failure).
// Interoperability with OpenDKIM, dkimpy, Mail::DKIM and mailauth is checked
// by scripts/interop-dkim.sh.
package dkim
