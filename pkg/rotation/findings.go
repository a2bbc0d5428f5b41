package rotation

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of the codes a rotation's judgement emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// A failed precondition of the stage the rotation is at is an error: the
// step cannot be taken now (exit 1), and the message says what is missing.
// Waiting (a TTL, the grace period) is a precondition like any other: the
// finding says until when. What could not be found out is transient (exit
// 3), never a failure.
var (
	FindNoNameServers = catalog.Define(finding.Spec{
		Code: "rotation.no-nameservers", Severity: finding.Error,
		Title:   "the zone's name servers could not be found",
		Meaning: "The zone holding the domain has no NS records, or does not exist: there is no authoritative server to ask whether a record is published.",
		Fix:     "Check the domain and its delegation (`emailauth lookup DOMAIN NS`); give the DNS provider's servers with `--nameserver` before the delegation is switched.",
	})
	FindLameServer = catalog.Define(finding.Spec{
		Code: "rotation.lame-server", Severity: finding.Error,
		Title:   "a name server does not answer for the zone",
		Meaning: "A server of the zone's NS set answers, but not authoritatively (a lame delegation), or has no address. Resolvers that ask it get no key, so no record can be said to be served by every name server.",
		Fix:     "Configure the zone on that server, or remove it from the zone's NS records (at the zone and at the parent).",
	})
	FindUnreachable = catalog.Define(finding.Spec{
		Code: "rotation.unreachable", Severity: finding.Error, Transient: true,
		Title:   "a name server could not be asked",
		Meaning: "A name server did not answer, or a question about a selector got no usable answer (a timeout, SERVFAIL): what it serves is unknown, so the stage cannot be confirmed. This is not a failure of the rotation.",
		Fix:     "Run again later; if it persists, check that the server is reachable on UDP and TCP port 53.",
	})
	FindCurrentMissing = catalog.Define(finding.Spec{
		Code: "rotation.current-missing", Severity: finding.Error,
		Title:   "no working key at the current selector",
		Meaning: "Before the signer has switched, the current selector must publish the key the signer uses. It has no usable key record on some name server (none at all, a revoked one, or a record that does not parse): either `--selector` names the wrong selector, or the domain's signing is broken already.",
		Fix:     "Check `--selector` (the `s=` of a DKIM-Signature the domain sends names it) and `emailauth dkim check DOMAIN -s SELECTOR`. To set up a domain's first key, use `emailauth dkim keygen`.",
	})
	FindCurrentKeyMismatch = catalog.Define(finding.Spec{
		Code: "rotation.current-key-mismatch", Severity: finding.Error,
		Title:   "the current key file is not the key published",
		Meaning: "The private key given with `--private-key` is not the one the current selector publishes: the signer may be using another key, or the key file belongs to another selector.",
		Fix:     "Give the private key the signer uses for the current selector, or check `--selector`.",
	})
	FindNextKeyMismatch = catalog.Define(finding.Spec{
		Code: "rotation.next-key-mismatch", Severity: finding.Error,
		Title:   "the new selector publishes another key",
		Meaning: "A name server serves, at the new selector, a key that is not the public half of the new private key (`--next-key`): mail signed with the new key would fail DKIM there.",
		Fix:     "Publish the record of the new key (the zone line in the finding) in place of the one served, or give the key file that matches it.",
	})
	FindNextDiffers = catalog.Define(finding.Spec{
		Code: "rotation.next-differs", Severity: finding.Error,
		Title:   "the name servers serve different keys at the new selector",
		Meaning: "The name servers disagree about the key at the new selector: a change is propagating, or the zone was edited differently on each server. Until they agree, a verifier may fetch either key.",
		Fix:     "Publish one record at the new selector on every server; give `--next-key` to say which key is meant.",
	})
	FindNextBroken = catalog.Define(finding.Spec{
		Code: "rotation.next-broken", Severity: finding.Error,
		Title:   "the new selector's record is broken",
		Meaning: "A name server serves, at the new selector, a record that is not a usable key record (it does not parse, there are several, or it is split wrongly). Verifiers fail every signature that uses it.",
		Fix:     "Publish the new key's record exactly as printed (`emailauth dkim record DOMAIN -s NEXT -k KEYFILE`); `emailauth dkim check DOMAIN -s NEXT` says what is wrong with the one served.",
	})
	FindNextKeyWeak = catalog.Define(finding.Spec{
		Code: "rotation.next-key-weak", Severity: finding.Error,
		Title:   "the new key is too short",
		Meaning: "The new RSA key has fewer bits than the minimum (2048, RFC 8301; or the profile's `dkim.min_bits`). A rotation is the moment to replace a weak key, not to keep one.",
		Fix:     "Generate a key of at least the minimum size (`--generate`, or `emailauth dkim keygen --bits 2048`) and publish it instead.",
	})
	FindNextMissing = catalog.Define(finding.Spec{
		Code: "rotation.next-missing", Severity: finding.Error,
		Title:   "the new key is not on every name server yet",
		Meaning: "Some name servers serve the new selector's key and others do not: the change is propagating, or did not reach every server. A verifier whose resolver asks one of the others finds no key, so the signer must not switch yet.",
		Fix:     "Wait for the zone to reach every server (run again, or `emailauth wait`); if a server never gets it, check its zone transfers.",
	})
	FindNextLost = catalog.Define(finding.Spec{
		Code: "rotation.next-lost", Severity: finding.Error,
		Title:   "the signer uses the new selector, which is not published",
		Meaning: "The signer was seen signing with the new selector, but a name server no longer serves its key: every message signed now fails DKIM where that server answers.",
		Fix:     "Publish the new selector's record again, now (the zone line in the finding).",
	})
	FindNotTimed = catalog.Define(finding.Spec{
		Code: "rotation.not-timed", Severity: finding.Error,
		Title:   "a wait cannot be timed",
		Meaning: "The stage needs a wait measured from when something was first seen (the new key on every server, the old key revoked everywhere), and nothing says when that was: the DNS does not date records. Without a state file, each run sees only the present.",
		Fix:     "Run with `--state FILE`: the first run that sees the condition records the time, and the wait is measured from it.",
	})
	FindTTLWait = catalog.Define(finding.Spec{
		Code: "rotation.ttl-wait", Severity: finding.Error,
		Title:   "resolvers may still cache the previous answer",
		Meaning: "A record changed less than a TTL ago: resolvers that asked before may still hold the previous answer (no such name, or the old key) until it expires. The wait is the longest of the zone's negative-caching TTL (RFC 2308: the SOA's TTL or MINIMUM, the smaller) and the TTL of the current selector's record.",
		Fix:     "Run again after the time the finding gives.",
	})
	FindGracePeriod = catalog.Define(finding.Spec{
		Code: "rotation.grace-period", Severity: finding.Error,
		Title:   "the grace period after the switch has not passed",
		Meaning: "Mail signed with the old key before the switch may still be queued or in transit (SMTP clients retry for 4 to 5 days, RFC 5321 §4.5.4.1), and verified on arrival: revoking the old key before the grace period ends fails those messages.",
		Fix:     "Revoke the old key after the time the finding gives (`--grace`, or `dkim.rotation_grace` in the profile, sets the period; 7 days by default).",
	})
	FindRetiredBeforeSwitch = catalog.Define(finding.Spec{
		Code: "rotation.retired-before-switch", Severity: finding.Error,
		Title:   "the old key was retired before the switch was confirmed",
		Meaning: "The current selector's key is revoked or removed on some name server, but nothing confirms that the signer signs with the new selector: if it still signs with the old one, its mail fails DKIM now.",
		Fix:     "Confirm the switch with a test message signed after it (`--message FILE`); if the signer still uses the old selector, publish its key again at once.",
	})
	FindRevocationPropagating = catalog.Define(finding.Spec{
		Code: "rotation.revocation-propagating", Severity: finding.Error,
		Title:   "the old key is revoked on some name servers only",
		Meaning: "Some servers serve the revoked (or removed) old selector and others still serve its key: the change is propagating, or did not reach every server.",
		Fix:     "Wait for the zone to reach every server and run again.",
	})
	FindMessageOldKey = catalog.Define(finding.Spec{
		Code: "rotation.message-old-key", Severity: finding.Error,
		Title:   "the test message is signed with the old selector",
		Meaning: "The message given with `--message` carries the domain's signature with the current (old) selector and none with the new one: the signer has not switched, or the message was signed before the switch.",
		Fix:     "Switch the signer to the new selector and key, send a new test message, and run again with it.",
	})
	FindMessageFails = catalog.Define(finding.Spec{
		Code: "rotation.message-fails", Severity: finding.Error,
		Title:   "the test message's new signature does not verify",
		Meaning: "The message carries a signature with the new selector, but it does not verify against the key the name servers serve: the signer uses another key than the one published, or the message was changed after signing.",
		Fix:     "Check that the signer uses the new private key (`emailauth dkim check DOMAIN -s NEXT -k KEYFILE`), and give the message exactly as it was received (a saved copy, not a forward).",
	})
	FindMessageUnsigned = catalog.Define(finding.Spec{
		Code: "rotation.message-unsigned", Severity: finding.Error,
		Title:   "the test message has no signature of the domain",
		Meaning: "The message given with `--message` carries no DKIM signature with the domain in `d=`: it was not signed by the domain's signer, or not at all.",
		Fix:     "Send the test message through the platform's signer and give the copy received.",
	})
	FindMessageDualSigned = catalog.Define(finding.Spec{
		Code: "rotation.message-dual-signed", Severity: finding.Warning,
		Title:   "the test message is signed with both selectors",
		Meaning: "The signer signs with the new selector and still with the old one. Mail passes DKIM through the new signature, but the old key stays in use until the signer stops using it.",
		Fix:     "Stop signing with the old selector; the grace period counts from then.",
	})
	FindSwitchedEarly = catalog.Define(finding.Spec{
		Code: "rotation.switched-early", Severity: finding.Warning,
		Title:   "the signer switched before the new key had propagated",
		Meaning: "A test message shows the signer signing with the new selector while the new key is not yet served by every name server, or resolvers may not have its record yet: some verifiers find no key for a while.",
		Fix:     "Nothing to undo; the rotation goes on once the wait is over. Next time, switch when `dkim rotate` says so.",
	})
	FindProfileSelector = catalog.Define(finding.Spec{
		Code: "rotation.profile-selector", Severity: finding.Warning,
		Title:   "the platform profile does not list the new selector",
		Meaning: "The profile's `dkim.selectors` (or the tenants file) lists the selectors every tenant must publish, and the new selector is not among them: once the old selector is retired, the profile check fails.",
		Fix:     "Add the new selector to the profile (or the tenant's entry) before retiring the old one.",
	})
	FindRotationDue = catalog.Define(finding.Spec{
		Code: "rotation.rotation-due", Severity: finding.Info,
		Title:   "the current key is past the maximum key age",
		Meaning: "The current key has been in use for longer than the maximum key age (180 days unless configured; M3AAWG recommends rotating at least every six months): this rotation is due.",
		Fix:     "Carry the rotation through.",
	})
	FindStateReset = catalog.Define(finding.Spec{
		Code: "rotation.state-reset", Severity: finding.Info,
		Title:   "a recorded time was cleared",
		Meaning: "A condition recorded in the state file no longer holds (the new key left a server, the message shows the old selector again, the old key is served again): its time is cleared, and the wait starts again when the condition holds again.",
		Fix:     "Nothing to do, unless the change was a mistake: then undo it.",
	})
	FindRevocationSkipped = catalog.Define(finding.Spec{
		Code: "rotation.revocation-skipped", Severity: finding.Info,
		Title:   "the old record was removed without being revoked first",
		Meaning: "The old selector's record is gone from every server and was never seen revoked. Verifiers treat a removed key like a revoked one, so nothing fails; a revocation (`p=`) kept for a while only makes the reason explicit in their results.",
		Fix:     "Nothing to do; next time, revoke first (`p=`) and remove later.",
	})
)
