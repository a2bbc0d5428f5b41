package msgauth

import (
	"bytes"
	"context"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func sig(domain, result string) dkim.SignatureResult {
	return dkim.SignatureResult{Domain: domain, Selector: "s1", Result: result}
}

func TestDKIMVerdict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sigs   []dkim.SignatureResult
		domain string
		want   Verdict
		status finding.Status
	}{
		{"no signature", nil, "", Verdict{VerdictNone, "the message has no DKIM-Signature"}, finding.StatusFail},
		{"no signature, domain required", nil, "example.com", Verdict{VerdictNone, "the message has no DKIM-Signature"}, finding.StatusFail},
		{"one pass", []dkim.SignatureResult{sig("example.com", dkim.Pass)}, "", Verdict{Result: VerdictPass}, finding.StatusPass},
		{"pass beside fail", []dkim.SignatureResult{sig("example.com", dkim.Fail), sig("example.net", dkim.Pass)}, "", Verdict{Result: VerdictPass}, finding.StatusPass},
		{"pass beside temperror", []dkim.SignatureResult{sig("example.com", dkim.Temperror), sig("example.com", dkim.Pass)}, "", Verdict{Result: VerdictPass}, finding.StatusPass},
		{"one fail", []dkim.SignatureResult{sig("example.com", dkim.Fail)}, "", Verdict{VerdictFail, "no signature passes"}, finding.StatusFail},
		{"policy is not a pass", []dkim.SignatureResult{sig("example.com", dkim.Policy)}, "", Verdict{VerdictFail, "no signature passes"}, finding.StatusFail},
		{"neutral is not a pass", []dkim.SignatureResult{sig("example.com", dkim.Neutral)}, "", Verdict{VerdictFail, "no signature passes"}, finding.StatusFail},
		{"all temperror", []dkim.SignatureResult{sig("example.com", dkim.Temperror), sig("example.net", dkim.Temperror)}, "",
			Verdict{VerdictTemperror, "no signature could be checked: the keys could not be fetched"}, finding.StatusError},
		{"temperror beside permerror: a failure", []dkim.SignatureResult{sig("example.com", dkim.Temperror), sig("example.com", dkim.Permerror)}, "",
			Verdict{VerdictFail, "no signature passes"}, finding.StatusFail},
		{"temperror beside fail: a failure", []dkim.SignatureResult{sig("example.com", dkim.Fail), sig("example.com", dkim.Temperror)}, "",
			Verdict{VerdictFail, "no signature passes"}, finding.StatusFail},
		{"required domain passes, any case", []dkim.SignatureResult{sig("esp.example", dkim.Pass), sig("Example.COM", dkim.Pass)}, "example.com.",
			Verdict{Result: VerdictPass}, finding.StatusPass},
		{"required domain absent", []dkim.SignatureResult{sig("esp.example", dkim.Pass), sig("esp.example", dkim.Pass)}, "example.com",
			Verdict{VerdictFail, "no signature from example.com (passing: esp.example)"}, finding.StatusFail},
		{"required domain absent, nothing passes", []dkim.SignatureResult{sig("esp.example", dkim.Fail)}, "example.com",
			Verdict{VerdictFail, "no signature from example.com"}, finding.StatusFail},
		{"required domain fails", []dkim.SignatureResult{sig("example.com", dkim.Fail), sig("esp.example", dkim.Pass)}, "example.com",
			Verdict{VerdictFail, "no passing signature from example.com (passing: esp.example)"}, finding.StatusFail},
		{"required domain fails, nothing passes", []dkim.SignatureResult{sig("example.com", dkim.Permerror)}, "example.com",
			Verdict{VerdictFail, "no passing signature from example.com"}, finding.StatusFail},
		{"required domain temperror, other passes", []dkim.SignatureResult{sig("example.com", dkim.Temperror), sig("esp.example", dkim.Pass)}, "example.com",
			Verdict{VerdictTemperror, "no signature from example.com could be checked: the keys could not be fetched (passing: esp.example)"}, finding.StatusError},
		{"required domain temperror, other domain fails", []dkim.SignatureResult{sig("example.com", dkim.Temperror), sig("esp.example", dkim.Fail)}, "example.com",
			Verdict{VerdictTemperror, "no signature from example.com could be checked: the keys could not be fetched"}, finding.StatusError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DKIMVerdict(tc.sigs, tc.domain)
			if got != tc.want {
				t.Errorf("DKIMVerdict = %+v, want %+v", got, tc.want)
			}
			if s := got.Status(); s != tc.status {
				t.Errorf("Status = %s, want %s", s, tc.status)
			}
		})
	}
}

func TestResultVerdict(t *testing.T) {
	pass := []dkim.SignatureResult{sig("example.com", dkim.Pass)}
	fail := []dkim.SignatureResult{sig("example.com", dkim.Fail)}
	temp := []dkim.SignatureResult{sig("example.com", dkim.Temperror)}
	for _, tc := range []struct {
		name    string
		res     Result
		require string
		want    Verdict
	}{
		{"DMARC passes", Result{DKIM: fail, DMARC: &dmarc.EvalResult{Result: dmarc.ResultPass}}, "", Verdict{Result: VerdictPass}},
		{"DMARC passes, unsigned (aligned SPF)", Result{DKIM: nil, DMARC: &dmarc.EvalResult{Result: dmarc.ResultPass}}, "", Verdict{Result: VerdictPass}},
		{"DMARC passes, but the required domain does not sign", Result{DKIM: pass, DMARC: &dmarc.EvalResult{Result: dmarc.ResultPass}}, "example.org",
			Verdict{VerdictFail, "no signature from example.org (passing: example.com)"}},
		{"DMARC fails over a passing signature", Result{DKIM: []dkim.SignatureResult{sig("esp.example", dkim.Pass)},
			DMARC: &dmarc.EvalResult{FromDomain: "example.com", Result: dmarc.ResultFail, Disposition: dmarc.PolicyReject}}, "",
			Verdict{VerdictFail, "DMARC fails for example.com: no aligned SPF or DKIM pass (disposition reject)"}},
		{"DMARC temperror", Result{DKIM: pass, DMARC: &dmarc.EvalResult{Result: dmarc.ResultTempError, Reason: "SERVFAIL for _dmarc.example.com"}}, "",
			Verdict{VerdictTemperror, "DMARC could not be evaluated: SERVFAIL for _dmarc.example.com"}},
		{"no DMARC record: DKIM stands (pass)", Result{DKIM: pass, DMARC: &dmarc.EvalResult{Result: dmarc.ResultNone}}, "", Verdict{Result: VerdictPass}},
		{"no DMARC record: DKIM stands (fail)", Result{DKIM: fail, DMARC: &dmarc.EvalResult{Result: dmarc.ResultNone}}, "", Verdict{VerdictFail, "no signature passes"}},
		{"no DMARC record: DKIM stands (temperror)", Result{DKIM: temp, DMARC: &dmarc.EvalResult{Result: dmarc.ResultNone}}, "",
			Verdict{VerdictTemperror, "no signature could be checked: the keys could not be fetched"}},
		{"DMARC permerror: DKIM stands", Result{DKIM: pass, DMARC: &dmarc.EvalResult{Result: dmarc.ResultPermError}}, "", Verdict{Result: VerdictPass}},
		{"no From domain", Result{DKIM: pass, FromError: "the message has 2 From fields"}, "",
			Verdict{VerdictFail, "DMARC cannot be evaluated: the message has 2 From fields"}},
		{"no From domain, no reason", Result{DKIM: pass}, "", Verdict{VerdictFail, "DMARC cannot be evaluated: no From domain"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.res.Verdict(tc.require); got != tc.want {
				t.Errorf("Verdict = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestFromDomainVerdicts: a From domain DMARC cannot ask about (a bidi
// control in it) makes the message fail, never temperror; an IDN is asked
// in A-labels.
func TestFromDomainVerdicts(t *testing.T) {
	for _, tc := range []struct {
		from, wantDomain, wantResult string
	}{
		{"ex\u202eample.com", "", VerdictFail},
		{"ex\xffample.com", "", VerdictFail},
		{"Bücher.example", "xn--bcher-kva.example", VerdictPass},
	} {
		r, msg := demo(t, tc.from)
		v := dkim.NewVerifier(r, dkim.VerifyOptions{})
		res, err := Authenticate(context.Background(), bytes.NewReader(msg), r, v, nil, Options{})
		if err != nil {
			t.Fatalf("%q: %v", tc.from, err)
		}
		got := res.Verdict("")
		if res.FromDomain != tc.wantDomain || got.Result != tc.wantResult {
			t.Errorf("%q: from domain %q (%s), verdict %+v; want %q, %s", tc.from, res.FromDomain, res.FromError, got, tc.wantDomain, tc.wantResult)
		}
		if tc.wantDomain == "" && (res.DMARC != nil || res.FromError == "") {
			t.Errorf("%q: DMARC %+v, from error %q", tc.from, res.DMARC, res.FromError)
		}
	}
}
