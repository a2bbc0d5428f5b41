package msgauth

import (
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// The verdicts of a message: what a receiver concludes from all its
// signatures together (and, over a connection, from DMARC).
const (
	// VerdictPass: a signature passes (one from the required domain, when
	// one is required), or DMARC passes.
	VerdictPass = "pass"
	// VerdictFail: the message is signed but no relevant signature passes,
	// or DMARC fails.
	VerdictFail = "fail"
	// VerdictNone: the message has no DKIM-Signature.
	VerdictNone = "none"
	// VerdictTemperror: nothing passed, and every relevant signature that
	// did not pass failed temporarily (its key could not be fetched), or
	// DMARC could not be evaluated for that reason: retrying later may
	// give another answer.
	VerdictTemperror = "temperror"
)

// Verdict is the conclusion about one message.
type Verdict struct {
	// Result is VerdictPass, VerdictFail, VerdictNone or VerdictTemperror.
	Result string `json:"result"`
	// Reason says why a message did not pass; it quotes d= values, which
	// come from the message: escape it before showing it on a terminal.
	Reason string `json:"reason,omitempty"`
}

// Status places the verdict in the one verdict model (pkg/finding): pass is
// pass; fail and none are fail (an unsigned message fails verification);
// temperror is error, "could not find out", never a failure.
func (v Verdict) Status() finding.Status {
	switch v.Result {
	case VerdictPass:
		return finding.StatusPass
	case VerdictTemperror:
		return finding.StatusError
	}
	return finding.StatusFail
}

// DKIMVerdict judges a message from the results of its DKIM signatures,
// as dkim.Summarize derives it (the one derivation: temporary failures stay
// temporary, signatures over the cap are neither passes nor failures). When
// domain is not empty, only signatures with that d= (compared without
// regard to case) count: the message passes only when one of them passes.
func DKIMVerdict(sigs []dkim.SignatureResult, domain string) Verdict {
	m := dkim.Summarize(sigs, strings.TrimSuffix(domain, "."))
	return Verdict{Result: m.Result, Reason: m.Reason}
}

// Verdict judges a message that Authenticate read: its DKIM verdict
// (DKIMVerdict with requireDomain), which DMARC overrules. A message fails
// when DMARC fails, or when no From domain could be taken from it (DMARC
// cannot be evaluated; RFC 9989 §4.4 lets the receiver reject it); it is
// temperror when DMARC could not be evaluated for a temporary reason; it
// passes when DMARC passes, unless a domain is required, whose signature
// must then pass. When the From domain publishes no DMARC policy (none) or
// a broken one (permerror), the DKIM verdict stands.
func (res *Result) Verdict(requireDomain string) Verdict {
	v := DKIMVerdict(res.DKIM, requireDomain)
	switch d := res.DMARC; {
	case d == nil:
		reason := res.FromError
		if reason == "" {
			reason = "no From domain"
		}
		return Verdict{VerdictFail, "DMARC cannot be evaluated: " + reason}
	case d.Result == dmarc.ResultFail:
		return Verdict{VerdictFail, fmt.Sprintf("DMARC fails for %s: no aligned SPF or DKIM pass (disposition %s)", d.FromDomain, d.Disposition)}
	case d.Result == dmarc.ResultTempError:
		return Verdict{VerdictTemperror, "DMARC could not be evaluated: " + d.Reason}
	case d.Result == dmarc.ResultPass && requireDomain == "":
		return Verdict{Result: VerdictPass}
	}
	return v
}
