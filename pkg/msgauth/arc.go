package msgauth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// verifyBoth verifies the DKIM signatures of the message whose header
// (already read) is header and whose rest is in body, and, with av,
// validates its ARC chain in the same pass: what DKIM reads is copied
// through a pipe to the ARC validator as it goes, so the message is read
// once and neither side holds more than its header. A message without ARC
// header fields skips the pipe: its chain is validated from the header
// alone (none).
func verifyBoth(ctx context.Context, header []byte, body io.Reader, v *dkim.Verifier, av *arc.Validator) ([]dkim.SignatureResult, *arc.Result, error) {
	if av == nil {
		sigs, err := v.Verify(ctx, io.MultiReader(bytes.NewReader(header), body))
		return sigs, nil, err
	}
	if !hasARCField(header) {
		sigs, err := v.Verify(ctx, io.MultiReader(bytes.NewReader(header), body))
		if err != nil {
			return nil, nil, err
		}
		chain, err := av.Validate(ctx, bytes.NewReader(header))
		return sigs, chain, err
	}
	pr, pw := io.Pipe()
	type outcome struct {
		res *arc.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := av.Validate(ctx, io.MultiReader(bytes.NewReader(header), pr))
		// Whatever the validator left unread is drained, so that the
		// DKIM side never blocks on the pipe.
		_, _ = io.Copy(io.Discard, pr)
		done <- outcome{res, err}
	}()
	tee := io.TeeReader(body, pw)
	sigs, err := v.Verify(ctx, io.MultiReader(bytes.NewReader(header), tee))
	if err == nil {
		// DKIM may stop before the end (no signature to hash the body
		// for); the validator still needs the rest.
		_, err = io.Copy(io.Discard, tee)
	}
	if err != nil {
		pw.CloseWithError(err)
		<-done
		return nil, nil, err
	}
	pw.Close()
	o := <-done
	if o.err != nil {
		return nil, nil, o.err
	}
	return sigs, o.res, nil
}

// hasARCField reports whether the header may hold an ARC header field: a
// field whose name starts with "ARC-" (a superset of the three).
func hasARCField(header []byte) bool {
	for len(header) > 0 {
		line := header
		if i := bytes.IndexByte(header, '\n'); i >= 0 {
			line, header = header[:i], header[i+1:]
		} else {
			header = nil
		}
		if len(line) >= 4 && bytes.EqualFold(line[:4], []byte("arc-")) {
			return true
		}
	}
	return false
}

// TrustedARC is what DMARC concludes on the results a trusted ARC sealer
// recorded before the message was changed: the local-policy override RFC
// 8617 §7.2.1 describes, which receivers such as Microsoft 365 apply to the
// sealers an administrator trusts (in an aggregate report, the override
// reason trusted_forwarder).
type TrustedARC struct {
	// Sealer (the ARC-Seal d=), Instance and AuthServID name the set
	// whose ARC-Authentication-Results are honoured: the newest one sealed
	// by a trusted sealer. Empty when none is; Reason says why.
	Sealer     string `json:"sealer,omitempty"`
	Instance   int    `json:"instance,omitempty"`
	AuthServID string `json:"authserv_id,omitempty"`
	// Results are the resinfos that set recorded, as written.
	Results string `json:"results,omitempty"`
	// Unparsed are the resinfos that could not be parsed (they are left
	// out of DMARC).
	Unparsed []string `json:"unparsed,omitempty"`
	// DMARC is DMARC evaluated on the SPF and DKIM results the set
	// recorded, for the message's From domain; nil when no set is
	// honoured or the message has no single From domain.
	DMARC *dmarc.EvalResult `json:"dmarc,omitempty"`
	// Override is set when DMARC fails on the receiver's own results
	// (Result.DMARC) but passes on the recorded ones: a receiver that
	// trusts the sealer delivers the message despite the From domain's
	// policy. It needs Authenticate (VerifyMessage does not evaluate DMARC
	// on the message's own results).
	Override bool `json:"override"`
	// Reason says why no set is honoured, or what the override means.
	Reason string `json:"reason,omitempty"`
}

// trustedView evaluates DMARC on what the newest trusted sealer recorded.
func trustedView(ctx context.Context, r dns.Resolver, res *Result, trusted []string) *TrustedARC {
	t := &TrustedARC{}
	chain := res.ARC
	if chain.Result != arc.Pass {
		t.Reason = fmt.Sprintf("the ARC chain does not pass (arc=%s), so no sealer's results can be trusted", chain.Result)
		return t
	}
	rec := chain.TrustedResults(trusted)
	if rec == nil {
		var sealers []string
		for _, s := range chain.Sets {
			sealers = append(sealers, s.Seal.Domain)
		}
		t.Reason = fmt.Sprintf("no set of the chain was sealed by a trusted sealer (sealers: %s)", strings.Join(sealers, ", "))
		return t
	}
	t.Sealer, t.Instance, t.AuthServID, t.Unparsed = rec.Sealer, rec.Instance, rec.AuthServID, rec.Unparsed
	for _, s := range chain.Sets {
		if s.Instance == rec.Instance {
			t.Results = s.AuthResults
		}
	}
	if res.FromDomain == "" {
		t.Reason = "DMARC cannot be evaluated: " + firstNonEmpty(res.FromError, "no From domain")
		return t
	}
	in := rec.DMARCInput(res.FromDomain)
	t.DMARC = evaluateDMARC(ctx, r, in)
	if len(in.SPF) == 0 && len(in.DKIM) == 0 {
		t.Reason = fmt.Sprintf("%s recorded no SPF or DKIM result that DMARC could align", rec.Sealer)
	}
	if res.DMARC != nil && res.DMARC.Result == "fail" && t.DMARC.Result == "pass" {
		t.Override = true
		t.Reason = fmt.Sprintf("DMARC fails on this receiver's results but passes on those %s recorded (i=%d): a receiver that trusts it overrides the policy", rec.Sealer, rec.Instance)
	}
	return t
}
