package spf

import "github.com/penguinmails/emailauth/pkg/finding"

var catalog finding.Catalog

// Findings returns the catalogue of finding codes this package can emit.
func Findings() []*finding.Spec { return catalog.Specs() }

// The findings of Analyze.
var (
	FindNoRecord = catalog.Define(finding.Spec{
		Code: "spf.no-record", Severity: finding.Error,
		Title:   "no SPF record",
		Meaning: "The domain publishes no TXT record starting with `v=spf1`, so receivers get the SPF result `none` for mail that uses it: anyone can send as this domain as far as SPF is concerned, and DMARC cannot pass through SPF.",
		Fix:     "Publish one TXT record at the domain listing the hosts that send its mail and ending in `-all` or `~all`. A domain that sends no mail should publish `v=spf1 -all`.",
	})
	FindMultipleRecords = catalog.Define(finding.Spec{
		Code: "spf.multiple-records", Severity: finding.Error,
		Title:   "more than one SPF record",
		Meaning: "The domain publishes more than one TXT record starting with `v=spf1`. RFC 7208 §4.5 makes this a `permerror`: receivers ignore all of them, and DMARC treats SPF as failed. The analysis shows each record's tree, and the merged record with what it costs (its lookup count is the analysis's total).",
		Fix:     "Publish the merged record the finding gives (the terms of every record once, in order, and one `all` at the end with the strictest qualifier among them; a `redirect=` beside it becomes an `include:`) and delete the others. If it needs more than 10 lookups, reduce it as `spf.lookup-limit` says.",
	})
	FindBadVersion = catalog.Define(finding.Spec{
		Code: "spf.bad-version", Severity: finding.Error,
		Title:   "a record that does not start exactly with v=spf1",
		Meaning: "A TXT record looks like an SPF record but does not start exactly with `v=spf1` followed by a space: a typo (`v=spf`, `v=spf 1`, `spf1`), a leading space or quote, or upper case. Receivers select SPF records by that prefix, so a misspelt record is ignored and the domain behaves as if it had none; upper case works only where the receiver compares case-insensitively, as RFC 7208 requires but not every implementation does.",
		Fix:     "Rewrite the record so that it starts with exactly `v=spf1 ` (lower case, no leading space).",
	})
	FindSyntaxError = catalog.Define(finding.Spec{
		Code: "spf.syntax-error", Severity: finding.Error,
		Title:   "syntax error in the SPF record",
		Meaning: "The record does not follow the RFC 7208 grammar: an unknown mechanism, a bad network or prefix length, a malformed macro, a modifier given twice, a character that is not 7-bit ASCII. A syntax error anywhere makes the whole record a `permerror` (RFC 7208 §4.6), even if the faulty term is never reached.",
		Fix:     "Correct the term named in the finding; the position counts characters from the start of the record.",
	})
	FindLookupLimit = catalog.Define(finding.Spec{
		Code: "spf.lookup-limit", Severity: finding.Error,
		Title:   "more than 10 DNS lookups",
		Meaning: "Evaluating the record needs more than 10 DNS-querying terms (include, a, mx, ptr, exists, redirect), counted across every nested include. RFC 7208 §4.6.4 makes the 11th a `permerror`, so mail from any host reached after it fails SPF, and DMARC with it.",
		Fix:     "Remove includes for services you no longer use, replace `a` and `mx` with `ip4:`/`ip6:` where the addresses are stable, or flatten large includes (`emailauth spf flatten`) and keep the flattened records up to date.",
	})
	FindLookupHeadroom = catalog.Define(finding.Spec{
		Code: "spf.lookup-headroom", Severity: finding.Warning,
		Title:   "9 or 10 DNS lookups: no headroom",
		Meaning: "The record is within the limit of 10 DNS lookups but uses 9 or 10 of them. Providers change their own records without notice; one more include on their side pushes the domain over the limit and SPF starts failing with `permerror`.",
		Fix:     "Bring the count down to 8 or fewer: drop unused includes, replace `a`/`mx` with fixed networks, or flatten one large include.",
	})
	FindVoidLimit = catalog.Define(finding.Spec{
		Code: "spf.void-lookup-limit", Severity: finding.Error,
		Title:   "more than 2 void lookups",
		Meaning: "More than two of the record's lookups return no data (NXDOMAIN or an empty answer). RFC 7208 §4.6.4 tells receivers to stop with `permerror` after the second void lookup, so the record fails for the hosts it should authorize.",
		Fix:     "Remove the terms that name hosts or domains that no longer exist, or that have no address of the family the mechanism looks up.",
	})
	FindMXLimit = catalog.Define(finding.Spec{
		Code: "spf.mx-limit", Severity: finding.Error,
		Title:   "an mx term with more than 10 MX hosts",
		Meaning: "The name an `mx` mechanism points to has more than 10 MX records. RFC 7208 §4.6.4 makes such an `mx` term a `permerror`.",
		Fix:     "Replace the `mx` term with `ip4:`/`ip6:` terms for the hosts that actually send mail, or with a `mx:` name that has 10 MX records or fewer.",
	})
	FindPassAll = catalog.Define(finding.Spec{
		Code: "spf.pass-all", Severity: finding.Error,
		Title:   "+all authorizes the whole Internet",
		Meaning: "The record ends in `+all` (or a bare `all`), so every host on the Internet passes SPF for the domain. SPF then protects nothing, and a DMARC policy can be satisfied by anyone.",
		Fix:     "List the hosts that send the domain's mail and end the record with `-all` (or `~all` while you are still finding senders).",
	})
	FindNeutralAll = catalog.Define(finding.Spec{
		Code: "spf.neutral-all", Severity: finding.Warning,
		Title:   "?all: unlisted hosts get neutral",
		Meaning: "The record ends in `?all`: hosts that are not listed get `neutral`, which receivers treat like no policy at all. Spoofed mail is not flagged by SPF.",
		Fix:     "End the record with `~all` (softfail) once the listed senders are complete, then `-all` (fail).",
	})
	FindNoAll = catalog.Define(finding.Spec{
		Code: "spf.no-all", Severity: finding.Warning,
		Title:   "neither all nor redirect",
		Meaning: "The record has no `all` mechanism and no `redirect=`, so hosts that match nothing get the default result `neutral` (RFC 7208 §4.7): the record authorizes its senders but says nothing about everyone else.",
		Fix:     "Add `-all` (or `~all`) at the end of the record.",
	})
	FindPTR = catalog.Define(finding.Spec{
		Code: "spf.ptr", Severity: finding.Warning,
		Title:   "ptr mechanism (deprecated)",
		Meaning: "The record uses `ptr`, which RFC 7208 §5.5 says SHOULD NOT be used: it is slow, costs a reverse lookup plus up to 10 address lookups per connection, depends on reverse DNS the domain often does not control, and some large receivers ignore it.",
		Fix:     "Replace `ptr` with `ip4:`/`ip6:` terms for the sending hosts, or with `a:` names.",
	})
	FindTermsAfterAll = catalog.Define(finding.Spec{
		Code: "spf.terms-after-all", Severity: finding.Warning,
		Title:   "terms after all",
		Meaning: "Mechanisms after `all` are never evaluated: `all` always matches, so evaluation stops there. The hosts they were meant to authorize are not authorized.",
		Fix:     "Move `all` to the end of the record.",
	})
	FindRedirectWithAll = catalog.Define(finding.Spec{
		Code: "spf.redirect-with-all", Severity: finding.Warning,
		Title:   "redirect beside all (redirect is ignored)",
		Meaning: "The record has both `redirect=` and an `all` mechanism. RFC 7208 §6.1 ignores `redirect` when `all` is present, so the redirected policy never applies.",
		Fix:     "Remove either the `all` mechanism (to use the redirected policy) or the `redirect=` modifier.",
	})
	FindTargetWithoutRecord = catalog.Define(finding.Spec{
		Code: "spf.target-without-record", Severity: finding.Error,
		Title:   "include or redirect target without an SPF record",
		Meaning: "An `include:` or `redirect=` names a domain that has no SPF record (or does not exist). Evaluation reaching it ends in `permerror` (RFC 7208 §5.2, §6.1), so SPF fails for every host not matched before it.",
		Fix:     "Correct the domain name (providers document the exact include), or remove the term if the service is no longer used.",
	})
	FindIncludeLoop = catalog.Define(finding.Spec{
		Code: "spf.include-loop", Severity: finding.Error,
		Title:   "include or redirect loop",
		Meaning: "Following includes and redirects leads back to a domain already being evaluated. Evaluation goes round until the limit of 10 lookups and ends in `permerror`.",
		Fix:     "Remove the include or redirect that points back up the chain.",
	})
	FindDuplicateInclude = catalog.Define(finding.Spec{
		Code: "spf.duplicate-include", Severity: finding.Warning,
		Title:   "the same domain included twice",
		Meaning: "The same domain is included more than once in the tree (directly or through other includes). Each occurrence is evaluated and counted again against the limit of 10 lookups, for no gain.",
		Fix:     "Remove the repeated include; one occurrence authorizes the same hosts.",
	})
	FindDuplicateNetwork = catalog.Define(finding.Spec{
		Code: "spf.duplicate-network", Severity: finding.Warning,
		Title:   "a network listed twice or inside another",
		Meaning: "An `ip4:`/`ip6:` network is listed more than once, or lies inside another listed network. The repeat changes nothing and makes the record longer and harder to maintain.",
		Fix:     "Remove the repeated or contained network.",
	})
	FindBroadNetwork = catalog.Define(finding.Spec{
		Code: "spf.broad-network", Severity: finding.Warning,
		Title:   "a very broad network",
		Meaning: "An `ip4:` network shorter than /8 or an `ip6:` network shorter than /32 authorizes a huge share of the Internet, usually by mistake (a missing prefix length digit, `/1` for `/31`). `/0` is the same as `+all`.",
		Fix:     "Write the exact networks of the sending hosts.",
	})
	FindLongString = catalog.Define(finding.Spec{
		Code: "spf.long-string", Severity: finding.Error,
		Title:   "a TXT string over 255 octets",
		Meaning: "One character-string of the TXT record is longer than 255 octets, which the DNS cannot carry: DNS servers and providers' panels reject or silently cut such records.",
		Fix:     "Split the record into several quoted strings of at most 255 octets each in the same TXT record (`\"v=spf1 ... \" \"...-all\"`); receivers join them without a separator. `emailauth spf build` prints correctly split zone lines.",
	})
	FindLargeAnswer = catalog.Define(finding.Spec{
		Code: "spf.large-answer", Severity: finding.Warning,
		Title:   "TXT answer over 512 octets",
		Meaning: "The TXT answer for the domain (the SPF record and every other TXT record at that name) is larger than 512 octets. Resolvers without EDNS0 get a truncated UDP answer and must retry over TCP; where TCP is blocked, the lookup fails and SPF gives `temperror`.",
		Fix:     "Shorten the SPF record (flatten or remove includes), or move other TXT records (site verification tokens) to a subdomain where the provider allows it.",
	})
	FindType99 = catalog.Define(finding.Spec{
		Code: "spf.type99-record", Severity: finding.Warning,
		Title:   "a type-99 SPF record is still published",
		Meaning: "The domain publishes a record of the obsolete SPF type (99). RFC 7208 §3.1 removed it: receivers read only TXT. It is easily forgotten when the TXT record changes, and then misleads anyone who reads it.",
		Fix:     "Delete the type-99 SPF record; keep only the TXT record.",
	})
	FindInvalidDomain = catalog.Define(finding.Spec{
		Code: "spf.invalid-domain", Severity: finding.Error,
		Title:   "a term names an invalid domain",
		Meaning: "A mechanism names a domain that cannot exist in the DNS (an empty label, a label over 63 octets). The term never matches, so the hosts it was meant to authorize are not authorized.",
		Fix:     "Correct the domain name in the term.",
	})
	FindMacroCost = catalog.Define(finding.Spec{
		Code: "spf.macro-cost", Severity: finding.Info,
		Title:   "cost depends on the connection (macro)",
		Meaning: "A term's target is built from macros (`%{i}`, `%{s}`, `%{h}`...), so what it looks up, whether the lookup is void and, for an include or redirect, the record it reaches depend on each connection. The analysis counts the term itself but cannot follow it.",
		Fix:     "Nothing to fix if intended. Check the term with `emailauth spf eval --ip ... --mail-from ...` for typical connections.",
	})
	FindDNSError = catalog.Define(finding.Spec{
		Code: "spf.dns-error", Severity: finding.Error, Transient: true,
		Title:   "a DNS lookup failed",
		Meaning: "A lookup the record needs timed out or failed (SERVFAIL, REFUSED). Receivers hitting the same failure return `temperror` and may defer or reject mail; the analysis of that branch is incomplete. This says the check could not find out, not that the record is wrong: the result is `error`, not `fail`.",
		Fix:     "Check that every authoritative server of the named zone answers, over UDP and TCP, and that the zone's DNSSEC (if signed) validates; then run the check again.",
	})
	FindCNAMEChain = catalog.Define(finding.Spec{
		Code: "spf.cname-error", Severity: finding.Error,
		Title:   "a name's CNAME chain loops or is too long",
		Meaning: "A name the record needs is a CNAME whose chain comes back to itself, or has more than 16 aliases. Resolvers give up on it (SERVFAIL), so receivers return `temperror` for every message that reaches the term, every time: a misconfiguration, not an outage.",
		Fix:     "Correct the CNAME records of the name (or the term that names it) so that the chain ends in the records asked for.",
	})
	FindNotCheckedOffline = catalog.Define(finding.Spec{
		Code: "spf.not-checked-offline", Severity: finding.Info,
		Title:   "a name no zone file covers was not checked (offline)",
		Meaning: "The check ran offline and no `--zone` file is authoritative for a name the record needs (an include of a provider, the host of an `a` or `mx` term). Nothing is known about it: it is not counted as missing or void, and its own lookups are not counted, so the totals are a lower bound.",
		Fix:     "Nothing to fix. Run the check online, or add a zone file for that name, to check it.",
	})
	FindReceiverCompat = catalog.Define(finding.Spec{
		Code: "spf.receiver-compat", Severity: finding.Warning,
		Title:   "permerror at pyspf and Mail::SPF receivers",
		Meaning: "The record is within the limits as RFC 7208 §4.6.4 words them, and emailauth evaluates it so; but pyspf (behind policyd-spf and many Python MTAs) and Mail::SPF (behind SpamAssassin and many Perl MTAs) count more. Both count a `redirect=` as a lookup even beside `all` (where it is ignored), and an MX host with no address of the client's family (no AAAA record, for an IPv6 client) as a void lookup; both also count empty reverse-DNS lookups of `ptr`, which depend on each client and are not counted here. At those receivers the record is a `permerror`.",
		Fix:     "Give every MX host named by an `mx` term an address of each family clients use (or replace `mx` with `ip4:`/`ip6:` terms), and remove a `redirect=` from records that also end in `all`.",
	})
)
