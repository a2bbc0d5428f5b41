package dkim

import (
	"fmt"
	"strings"
)

// MessageResult is what a message's DKIM signatures say together: the one
// derivation of a message's DKIM result, for the verify command and for
// msgauth.
type MessageResult struct {
	// Result is pass (a signature of the domain passes), fail (none
	// passes, and one failed for good), temperror (none passes, and every
	// signature of the domain that was verified failed temporarily, or none
	// could be verified) or none (the message has no signature).
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	// Signatures is the number of DKIM-Signature fields; NotVerified those
	// left unverified beyond VerifyOptions.MaxSignatures (code
	// too-many-signatures). NotVerified > 0 says the cap was hit.
	Signatures  int `json:"signatures"`
	NotVerified int `json:"not_verified,omitempty"`
}

// Summarize derives the message's DKIM result from the results of Verify.
// With domain not empty only signatures of that d= count (a signature of
// another domain passing does not make the message pass).
//
// Temporary failures stay temporary: signatures left unverified because of
// the cap on signatures verified are neither passes nor failures, so a
// message whose verified signatures all failed temporarily is temperror
// however many more it carries (a message with 1,000 signatures whose keys
// time out is temperror, as one with a single such signature is). A
// signature of the domain that could not be verified because of the cap
// leaves the result temperror too: nothing definite is known.
func Summarize(results []SignatureResult, domain string) MessageResult {
	m := MessageResult{Signatures: len(results)}
	for _, r := range results {
		if r.Code == CodeTooManySignatures {
			m.NotVerified++
		}
	}
	capNote := ""
	if m.NotVerified > 0 {
		capNote = fmt.Sprintf("; %d of the %d signatures were not verified (the limit is %d per message)", m.NotVerified, m.Signatures, m.Signatures-m.NotVerified)
	}
	if len(results) == 0 {
		m.Result, m.Reason = None, "the message has no DKIM-Signature"
		return m
	}
	var passing []string
	relevant, verified, temp := 0, 0, 0
	for _, r := range results {
		if r.Result == Pass && !containsFold(passing, r.Domain) {
			passing = append(passing, r.Domain)
		}
		if domain != "" && !strings.EqualFold(r.Domain, domain) {
			continue
		}
		relevant++
		if r.Result == Pass {
			m.Result = Pass
			return m
		}
		if r.Code == CodeTooManySignatures {
			continue
		}
		verified++
		if r.Result == Temperror {
			temp++
		}
	}
	from := ""
	if domain != "" {
		from = " from " + domain
	}
	also := ""
	if len(passing) > 0 {
		also = " (passing: " + strings.Join(passing, ", ") + ")"
	}
	switch {
	case relevant == 0:
		m.Result, m.Reason = Fail, "no signature"+from+also+capNote
	case verified == 0:
		m.Result, m.Reason = Temperror, "no signature"+from+" was verified"+also+capNote
	case temp == verified:
		m.Result, m.Reason = Temperror, "no signature"+from+" could be checked: the keys could not be fetched"+also+capNote
	case domain != "":
		m.Result, m.Reason = Fail, "no passing signature"+from+also+capNote
	default:
		m.Result, m.Reason = Fail, "no signature passes"+capNote
	}
	return m
}
