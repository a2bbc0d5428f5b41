package arc

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of the finding codes Result.Findings
// emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of an ARC chain validation.
var (
	FindNoChain = catalog.Define(finding.Spec{
		Code: "arc.no-chain", Severity: finding.Info,
		Title:   "no ARC chain",
		Meaning: "The message carries no ARC header fields: no intermediary sealed it, so the result is `arc=none`. That is normal for mail sent directly to its recipient; ARC only matters for mail relayed by a forwarder or a mailing list that changes it.",
		Fix:     "Nothing to fix. A forwarder or mailing list that modifies messages should seal them (`emailauth arc seal`) so that receivers can see what authenticated before the change.",
	})
	FindTooManySets = catalog.Define(finding.Spec{
		Code: "arc.too-many-sets", Severity: finding.Error,
		Title:   "more than 50 ARC sets",
		Meaning: "The message carries more than 50 ARC sets (or an instance number above 50). RFC 8617 §5.2 makes such a chain fail without looking further: it bounds the work a receiver does and stops mail loops.",
		Fix:     "Look for a forwarding loop between the intermediaries named in the ARC-Seal d= tags.",
	})
	FindChainFailedUpstream = catalog.Define(finding.Spec{
		Code: "arc.cv-fail-upstream", Severity: finding.Error,
		Title:   "an intermediary already found the chain broken (cv=fail)",
		Meaning: "The newest ARC-Seal says `cv=fail`: the intermediary that added it could not validate the chain it received, and recorded that. RFC 8617 §5.2 step 2: the chain fails and nothing before that set can be trusted.",
		Fix:     "Find the intermediary of the cv=fail set (its d=) and the hop before it: a modification between them, or a broken seal, made the chain fail there.",
	})
	FindStructure = catalog.Define(finding.Spec{
		Code: "arc.broken-structure", Severity: finding.Error,
		Title:   "incomplete or disordered ARC sets",
		Meaning: "The ARC header fields do not form sets 1..N: a set lacks its ARC-Seal, ARC-Message-Signature or ARC-Authentication-Results, has two of one, the instance numbers have a gap, or an instance (i=) is missing or not a number from 1 to 50. RFC 8617 §5.2 step 3 makes the chain fail.",
		Fix:     "The intermediary that wrote the set named in the finding must add all three header fields, with the same i= (one more than the previous set), and must not remove or rename earlier sets.",
	})
	FindCVInvalid = catalog.Define(finding.Spec{
		Code: "arc.cv-invalid", Severity: finding.Error,
		Title:   "a cv= value out of sequence",
		Meaning: "The first ARC-Seal must say `cv=none` (no chain before it) and every later one `cv=pass`. A seal says otherwise, so the chain fails (RFC 8617 §5.2 step 3).",
		Fix:     "The sealer of the set named in the finding must compute cv= from the chain it received: none for the first set, pass when the chain validated.",
	})
	FindMalformed = catalog.Define(finding.Spec{
		Code: "arc.malformed", Severity: finding.Error,
		Title:   "a malformed ARC header field",
		Meaning: "An ARC-Seal or ARC-Message-Signature breaks the tag-list syntax (a duplicate tag, a stray semicolon, an invalid tag name), lacks a required tag, has an invalid value (a bad domain, time, base64, canonicalization), or uses a forbidden tag: h= in an ARC-Seal, ARC-Seal named in an ARC-Message-Signature's h=. The set cannot be verified.",
		Fix:     "Fix the sealing software of the intermediary named in the finding; the message says which tag is wrong.",
	})
	FindUnsupportedAlgorithm = catalog.Define(finding.Spec{
		Code: "arc.unsupported-algorithm", Severity: finding.Error,
		Title:   "an unsupported signing algorithm",
		Meaning: "An ARC signature uses an algorithm other than rsa-sha256 or ed25519-sha256, such as rsa-sha1, which RFC 8301 forbids verifiers to trust.",
		Fix:     "The intermediary must sign with rsa-sha256 (a 2048-bit key) or ed25519-sha256.",
	})
	FindMessageSignatureFail = catalog.Define(finding.Spec{
		Code: "arc.ams-fail", Severity: finding.Error,
		Title:   "the newest ARC-Message-Signature does not verify",
		Meaning: "The ARC-Message-Signature of the newest set does not verify: the body (bh= mismatch) or a signed header field (b= mismatch) changed after the last intermediary sealed the message. RFC 8617 §5.2 step 4 makes the chain fail.",
		Fix:     "Find what changed the message after the last ARC hop (a footer, a subject tag, a content filter), or have that hop seal after its last change.",
	})
	FindSealFail = catalog.Define(finding.Spec{
		Code: "arc.seal-fail", Severity: finding.Error,
		Title:   "an ARC-Seal does not verify",
		Meaning: "An ARC-Seal's signature does not verify over the ARC header fields up to its set: a header field of the chain was altered, re-folded or removed after sealing, or the seal was made with another key than the one published. RFC 8617 §5.2 makes the chain fail.",
		Fix:     "Check the sealer's published key (s= and d= of the seal) against its private key, and that nothing between the hops rewrites ARC header fields.",
	})
	FindKeyError = catalog.Define(finding.Spec{
		Code: "arc.key-error", Severity: finding.Error,
		Title:   "the signing key cannot be used",
		Meaning: "The key of an ARC signature (`<s>._domainkey.<d>`) does not exist, is revoked, is not a valid DKIM key record, is of another type than the signature's algorithm, or does not allow SHA-256 or email. The signature cannot be verified, so the chain fails.",
		Fix:     "The intermediary must publish the key record of the selector it seals with, as a DKIM key record.",
	})
	FindWeakKey = catalog.Define(finding.Spec{
		Code: "arc.weak-key", Severity: finding.Error,
		Title:   "an RSA key under 1024 bits",
		Meaning: "An ARC signature is made with an RSA key shorter than 1024 bits, which RFC 8301 §3.2 forbids verifiers to trust: such keys can be factored. The chain fails.",
		Fix:     "The intermediary must seal with a 2048-bit RSA key or an Ed25519 key.",
	})
	FindExpired = catalog.Define(finding.Spec{
		Code: "arc.expired", Severity: finding.Error,
		Title:   "the newest ARC-Message-Signature has expired",
		Meaning: "The newest ARC-Message-Signature carries an x= expiration time that has passed, so it no longer verifies (RFC 6376 §3.5, which RFC 8617 §4.1.2 inherits).",
		Fix:     "The intermediary should not set x=, or set it far enough ahead for delivery.",
	})
	FindDNSError = catalog.Define(finding.Spec{
		Code: "arc.dns-error", Severity: finding.Error, Transient: true,
		Title:   "a sealer's key could not be fetched",
		Meaning: "A DNS query for an ARC signing key timed out or failed (SERVFAIL), so the chain could not be validated. This says nothing about the chain itself: retrying later may give pass or fail.",
		Fix:     "Retry later; if it persists, check the name servers of the domain named in the finding.",
	})
	FindOlderSignatureFail = catalog.Define(finding.Spec{
		Code: "arc.older-ams-fail", Severity: finding.Info,
		Title:   "an older ARC-Message-Signature no longer verifies",
		Meaning: "The chain validates, but the ARC-Message-Signature of an earlier set does not verify any more: an intermediary after it changed the message, as mailing lists do when they add a footer or a subject tag. `header.oldest-pass` names the oldest set whose signature still verifies; the results recorded before it describe a message that has since changed.",
		Fix:     "Nothing to fix when a known intermediary modifies messages; it is what ARC is for. Trust the ARC-Authentication-Results of an intermediary only if you trust that intermediary.",
	})
)
