// Package rotation works out where a DKIM key rotation stands, from what
// the domain's authoritative name servers serve, the key files, a test
// message and a small state file, and says what to do next with the exact
// records. `emailauth dkim rotate` is its command line; docs/rotation.md
// walks through a rotation.
//
// A rotation from selector CURRENT to selector NEXT goes through five
// stages, in order:
//
//  1. publish: generate the new key and publish it at NEXT beside CURRENT;
//  2. propagate: wait until every authoritative name server serves it, and
//     then until resolvers' caches can no longer hold the answer they had
//     before (the zone's negative-caching TTL, RFC 2308, and the TTL of
//     CURRENT's record, which stands in for whatever a reused selector
//     held before);
//  3. switch: the signer signs with NEXT (the platform's action; a test
//     message signed after it confirms it);
//  4. revoke: after a grace period (7 days by default: SMTP retries for 4
//     to 5 days, RFC 5321 §4.5.4.1), CURRENT's record gets an empty p=;
//  5. remove: once the revocation has reached every name server and the
//     old key can be in no cache (the same wait as in 2), CURRENT's record
//     is deleted.
//
// The rotation is at the first stage whose step is not done, and every
// stage is checked, not assumed: "published" means seen on a server,
// "everywhere" seen on every server of the NS set (a lame or unreachable
// server is not "every"), "switched" a message that verifies with NEXT's
// key. A stage whose precondition does not hold yields a finding (an error:
// the step cannot be taken now, exit 1) that says what is missing; a name
// server that could not be asked yields a transient finding (exit 3).
//
// Time comes from Options.Now, never the system clock. The DNS does not
// date records, so the two waits measured from "first seen" (NEXT on every
// server; CURRENT revoked on every server) need a State, which the caller
// keeps in a file between runs; without one, those waits cannot be timed
// and say so (rotation.not-timed). The grace period counts from the
// signature time (t=) of the test message signed with NEXT, or from when
// the state first recorded the switch, whichever is earlier: both are no
// earlier than the switch itself.
//
// Observe does the asking (network); Judge is a pure function of the
// observation, the keys, the state and the clock, so that every stage and
// every failed precondition is a table test.
package rotation
