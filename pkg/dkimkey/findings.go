package dkimkey

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of the codes Check emits.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of a DKIM key check.
var (
	FindNoRecord = catalog.Define(finding.Spec{
		Code: "dkim.no-record", Severity: finding.Error,
		Title:   "no key record at the selector",
		Meaning: "The name `<selector>._domainkey.<domain>` has no TXT record (NXDOMAIN or NODATA), or is a CNAME whose target does not exist. Every message signed with this selector fails DKIM verification (permerror, no key).",
		Fix:     "Publish the selector's key record (`emailauth dkim keygen` or `emailauth dkim record` prints it), or the CNAME your sending provider gives you. If nothing signs with this selector any more, stop checking it.",
	})
	FindMultipleRecords = catalog.Define(finding.Spec{
		Code: "dkim.multiple-records", Severity: finding.Error,
		Title:   "several TXT records at one selector",
		Meaning: "RFC 6376 §3.6.2.2 requires one TXT record per selector; with several, the result is undefined: verifiers pick one, and may pick the wrong one.",
		Fix:     "Delete every TXT record at the selector name but the key record.",
	})
	FindSplitRecords = catalog.Define(finding.Spec{
		Code: "dkim.split-across-records", Severity: finding.Error,
		Title:   "key record split into several TXT records",
		Meaning: "The key record was published as several separate TXT records (one per piece) instead of one TXT record made of several strings. Verifiers read one record, which is incomplete on its own, so verification fails.",
		Fix:     "Delete the pieces and publish one TXT record whose strings are the pieces in order (the zone-file line in the finding).",
	})
	FindBadSplit = catalog.Define(finding.Spec{
		Code: "dkim.bad-split", Severity: finding.Error,
		Title:   "quote characters inside the record value",
		Meaning: "The value contains literal double quotes, typically `\" \"` where the value was split: zone-file quoting was typed into a DNS control panel that stores the text as is, so the quotes (and the space between them) became part of the key, which no longer decodes.",
		Fix:     "Enter the value without any quotes; the control panel (or the zone file's quoting) splits long values into strings by itself.",
	})
	FindSplitWhitespace = catalog.Define(finding.Spec{
		Code: "dkim.split-whitespace", Severity: finding.Warning,
		Title:   "whitespace inside the public key",
		Meaning: "The base64 of `p=` contains spaces, usually at the boundary between two strings of the TXT record. RFC 6376 allows whitespace there and conforming verifiers remove it, but some verifiers do not and fail.",
		Fix:     "Republish the value with no whitespace inside `p=`; a split between strings needs no space.",
	})
	FindMalformed = catalog.Define(finding.Spec{
		Code: "dkim.malformed", Severity: finding.Error,
		Title:   "malformed key record",
		Meaning: "The TXT record is not a valid DKIM key record: the tag-list syntax of RFC 6376 §3.2 is broken (a duplicate tag, a tag without `=`, a bad character), a known tag has an invalid value, or the record is not a DKIM record at all. Verifiers treat the key as unusable (permerror).",
		Fix:     "Republish the record as `v=DKIM1; k=rsa; p=<base64 key>` (the message says where the record breaks).",
	})
	FindBadVersion = catalog.Define(finding.Spec{
		Code: "dkim.bad-version", Severity: finding.Error,
		Title:   "v= is not DKIM1 or not first",
		Meaning: "When present, `v=` must be the first tag and exactly `DKIM1` (RFC 6376 §3.6.1); verifiers discard a record that starts with another version.",
		Fix:     "Start the record with `v=DKIM1;`, or remove `v=` altogether.",
	})
	FindUnknownKeyType = catalog.Define(finding.Spec{
		Code: "dkim.unknown-key-type", Severity: finding.Error,
		Title:   "unknown key type in k=",
		Meaning: "`k=` names a key type verifiers do not know; DKIM defines `rsa` (RFC 6376) and `ed25519` (RFC 8463). Signatures with this key cannot be verified.",
		Fix:     "Use `k=rsa` or `k=ed25519` to match the key, or remove `k=` for an RSA key.",
	})
	FindNoKey = catalog.Define(finding.Spec{
		Code: "dkim.no-key", Severity: finding.Error,
		Title:   "no p= tag",
		Meaning: "A key record must carry `p=` (the public key, or empty for a revoked key). Without it the record is unusable.",
		Fix:     "Add `p=<base64 public key>`; `emailauth dkim record DOMAIN -s SELECTOR -k KEY` derives it from the private key.",
	})
	FindBadKey = catalog.Define(finding.Spec{
		Code: "dkim.bad-key", Severity: finding.Error,
		Title:   "p= does not hold a valid key",
		Meaning: "`p=` is not valid base64, or does not decode to a public key of the record's type: an RSA SubjectPublicKeyInfo for `k=rsa`, 32 raw bytes for `k=ed25519`. Often the value was truncated or mangled when pasted.",
		Fix:     "Republish `p=` from the private key (`emailauth dkim record D -s S -k KEY`).",
	})
	FindKeyTooShort = catalog.Define(finding.Spec{
		Code: "dkim.key-too-short", Severity: finding.Error,
		Title:   "RSA key under 1024 bits",
		Meaning: "RFC 8301 §3.2 forbids verifiers to accept RSA keys under 1024 bits: signatures with this key fail, and such keys can be factored.",
		Fix:     "Generate a 2048-bit key under a new selector (`emailauth dkim keygen`), publish it, switch the signer to it, then revoke the old selector (`p=`).",
	})
	FindKeyWeak = catalog.Define(finding.Spec{
		Code: "dkim.key-weak-1024", Severity: finding.Warning,
		Title:   "RSA key under 2048 bits",
		Meaning: "RFC 8301 §3.2 asks signers for keys of at least 2048 bits; 1024-bit keys are still accepted by verifiers but are within reach of factoring.",
		Fix:     "Rotate to a 2048-bit key under a new selector (`emailauth dkim keygen --bits 2048`), then revoke the old one.",
	})
	FindKeyOver4096 = catalog.Define(finding.Spec{
		Code: "dkim.key-over-4096", Severity: finding.Warning,
		Title:   "RSA key over 4096 bits",
		Meaning: "RFC 8301 §3.2 requires verifiers to handle RSA keys of 1024 to 4096 bits only; larger keys cost every receiver more to verify, need TXT answers that often go over TCP, and some verifiers refuse them, failing the signatures. `emailauth dkim keygen` stops at 4096 bits.",
		Fix:     "Rotate to a 2048-bit (or at most 4096-bit) key under a new selector, then revoke the old one.",
	})
	FindKeyTooLarge = catalog.Define(finding.Spec{
		Code: "dkim.key-too-large", Severity: finding.Error,
		Title:   "RSA key over 8192 bits",
		Meaning: "The key is over 8192 bits. Verifying with it is a cost the signer imposes on every receiver, so verifiers refuse such keys: emailauth gives `permerror` (code key-too-large), and mail signed with it fails DKIM there.",
		Fix:     "Rotate to a 2048-bit key under a new selector (`emailauth dkim keygen`), switch the signer to it, then revoke the old selector.",
	})
	FindKeyAge = catalog.Define(finding.Spec{
		Code: "dkim.key-age", Severity: finding.Warning,
		Title:   "key older than the rotation period",
		Meaning: "The key has been in use for longer than the maximum key age: 180 days unless configured (`dkim check --max-key-age`, or `dkim.max_key_age` in the platform profile). M3AAWG's DKIM Key Rotation Best Common Practices recommend rotating keys at least every six months: a key that leaked, or was factored, signs for the domain until it is replaced. The age comes from a date in the selector name (s2026-06, 20260601) or from the private key file's modification time, whichever is older.",
		Fix:     "Rotate the key to a new selector: `emailauth dkim rotate DOMAIN --selector OLD --next NEW --generate` walks through the stages (docs/rotation.md).",
	})
	FindRevoked = catalog.Define(finding.Spec{
		Code: "dkim.revoked", Severity: finding.Info,
		Title:   "key revoked (empty p=)",
		Meaning: "An empty `p=` revokes the key (RFC 6376 §3.6.1): signatures with this selector fail. This is the right state for a retired selector, not a broken record.",
		Fix:     "Nothing to do if the selector was retired on purpose; make sure no signer still uses it.",
	})
	FindTesting = catalog.Define(finding.Spec{
		Code: "dkim.testing", Severity: finding.Warning,
		Title:   "testing mode (t=y)",
		Meaning: "`t=y` tells verifiers the domain is testing DKIM: they must not treat signed mail differently from unsigned mail when verification fails, and some ignore the signatures for reputation.",
		Fix:     "Remove `y` from `t=` once signing works.",
	})
	FindSHA1Only = catalog.Define(finding.Spec{
		Code: "dkim.sha1-only", Severity: finding.Warning,
		Title:   "h= allows only SHA-1",
		Meaning: "`h=sha1` restricts the key to rsa-sha1 signatures, which RFC 8301 forbids signers to use and verifiers to accept.",
		Fix:     "Remove `h=` or set `h=sha256`, and sign with rsa-sha256.",
	})
	FindUnknownHash = catalog.Define(finding.Spec{
		Code: "dkim.unknown-hash", Severity: finding.Error,
		Title:   "h= allows no known hash",
		Meaning: "`h=` lists only hash algorithms verifiers do not know, so no signature can use this key.",
		Fix:     "Remove `h=` or set `h=sha256`.",
	})
	FindNotForEmail = catalog.Define(finding.Spec{
		Code: "dkim.not-for-email", Severity: finding.Warning,
		Title:   "s= excludes email",
		Meaning: "`s=` lists service types and neither `email` nor `*`: the key cannot verify mail signatures (an `s=tlsrpt` key is for signed TLS reports only, RFC 8460).",
		Fix:     "If the key signs mail, add `email` to `s=` or remove `s=`.",
	})
	FindPKCS1 = catalog.Define(finding.Spec{
		Code: "dkim.pkcs1-key", Severity: finding.Warning,
		Title:   "RSA key published as PKCS#1",
		Meaning: "`p=` holds a bare RSAPublicKey (PKCS#1) rather than a SubjectPublicKeyInfo, the form `openssl rsa -pubout` writes and most verifiers expect. Many verifiers accept both; some load `p=` only as a SubjectPublicKeyInfo (Mail::DKIM wraps it in a PEM `PUBLIC KEY` block for OpenSSL) and fail on PKCS#1.",
		Fix:     "Republish `p=` as a SubjectPublicKeyInfo (the value in the finding).",
	})
	FindGranularity = catalog.Define(finding.Spec{
		Code: "dkim.obsolete-granularity", Severity: finding.Warning,
		Title:   "g= restricts the local part (obsolete)",
		Meaning: "`g=` (granularity) comes from RFC 4871 and was removed by RFC 6376, whose verifiers ignore it. Older verifiers still enforce it (Mail::DKIM does): a `g=` other than `*`, or an empty one, makes signatures whose `i=` local part does not match fail there.",
		Fix:     "Remove `g=` from the record (or set `g=*`).",
	})
	FindIgnoredTag = catalog.Define(finding.Spec{
		Code: "dkim.ignored-tag", Severity: finding.Warning,
		Title:   "upper-case tag name ignored",
		Meaning: "Tag names are case-sensitive (RFC 6376 §3.2): `K=`, `T=`, `H=`... are not `k=`, `t=`, `h=`; verifiers ignore them as unknown tags, so the setting they were meant to make has no effect.",
		Fix:     "Write the tag name in lower case.",
	})
	FindKeyMismatch = catalog.Define(finding.Spec{
		Code: "dkim.key-mismatch", Severity: finding.Error,
		Title:   "published key does not match the private key",
		Meaning: "The key published at the selector is not the public half of the private key given: mail signed with that private key fails verification. Typical after a rotation published with the wrong key, or a key pasted to the wrong selector.",
		Fix:     "Publish the record derived from the private key (the value in the finding), or sign with the private key that matches the published one.",
	})
	FindCNAME = catalog.Define(finding.Spec{
		Code: "dkim.cname", Severity: finding.Info,
		Title:   "selector delegated by CNAME",
		Meaning: "The selector name is an alias (CNAME) for a record elsewhere, usually hosted by a sending provider, which can rotate the key without a change to your zone.",
		Fix:     "Nothing to do; keep the CNAME as long as the provider signs with this selector.",
	})
	FindCNAMEChain = catalog.Define(finding.Spec{
		Code: "dkim.cname-error", Severity: finding.Error,
		Title:   "the selector's CNAME chain loops or is too long",
		Meaning: "The selector name is an alias (CNAME) whose chain loops back on itself or runs longer than 16 hops. Resolvers answer SERVFAIL for it, so receivers get temperror for every signature with this selector, forever: it is a misconfiguration, not a passing outage.",
		Fix:     "Correct the CNAME records so that the chain ends in the TXT record of the key (usually one CNAME to the sending provider's record).",
	})
	FindNotCheckedOffline = catalog.Define(finding.Spec{
		Code: "dkim.not-checked-offline", Severity: finding.Info,
		Title:   "the key was not checked offline",
		Meaning: "The check ran offline and the selector's record is outside every zone file given (typically a CNAME to a sending provider's zone): its key could not be read, so it is neither passed nor failed.",
		Fix:     "Run the check online, or give the provider's zone file with --zone as well.",
	})
	FindEd25519Only = catalog.Define(finding.Spec{
		Code: "dkim.ed25519-only", Severity: finding.Info,
		Title:   "only Ed25519 keys found",
		Meaning: "Every key found is Ed25519 (RFC 8463). Many receivers do not verify Ed25519 signatures yet and see such mail as unsigned.",
		Fix:     "Sign with an RSA-2048 key as well (dual signing), under its own selector.",
	})
	FindAllRevoked = catalog.Define(finding.Spec{
		Code: "dkim.all-revoked", Severity: finding.Error,
		Title:   "every key found is revoked",
		Meaning: "Every selector checked publishes a revoked key (empty `p=`): the domain has no working DKIM key. Mail signed with any of these selectors fails verification, and DMARC can then pass only through SPF. Revoking is right for retired selectors, but the selector the signer uses needs a published key.",
		Fix:     "Generate a new key under a new selector with `emailauth dkim keygen`, publish its record and switch the signer to it. If the domain signs with a selector that was not checked, check that one with `--selector`.",
	})
	FindNoneFound = catalog.Define(finding.Spec{
		Code: "dkim.none-found", Severity: finding.Warning,
		Title:   "no DKIM key found at the common selectors",
		Meaning: "None of the commonly used selectors probed has a key record. Selector discovery can never be complete: DNS cannot list the names under `_domainkey`, so the domain may well sign with a selector not on the list.",
		Fix:     "Give the selectors your signers use (`--selector`, or `dkim.selectors` in the config file); find them in the `s=` tag of the DKIM-Signature of a message you sent.",
	})
)
