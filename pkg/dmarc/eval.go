package dmarc

import (
	"context"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Results of a DMARC evaluation (RFC 8601 §2.7.1 values).
const (
	ResultPass      = "pass"
	ResultFail      = "fail"
	ResultNone      = "none"
	ResultTempError = "temperror"
	ResultPermError = "permerror"
)

// AuthResult is one SPF or DKIM outcome: the authenticated domain (SPF:
// the MAIL FROM domain, or the HELO name when MAIL FROM is empty; DKIM: the
// signature's d=) and its result ("pass", "fail", "none", ...). Only
// "pass" results can align.
type AuthResult struct {
	Domain string `json:"domain"`
	Result string `json:"result"`
}

// EvalInput is what a receiver knows when it evaluates DMARC for a message.
type EvalInput struct {
	// From is the RFC5322.From domain (or address).
	From string
	SPF  []AuthResult
	DKIM []AuthResult
}

// IdentifierCheck is the alignment of one authenticated identifier.
type IdentifierCheck struct {
	Domain string `json:"domain"`
	Result string `json:"result"`
	// OrgDomain is the identifier's organizational domain (RFC 9989 tree
	// walk), when it was needed.
	OrgDomain      string `json:"org_domain,omitempty"`
	StrictAligned  bool   `json:"strict_aligned"`
	RelaxedAligned bool   `json:"relaxed_aligned"`
	// Aligned is the alignment under the mode in force, for a passing result.
	Aligned bool `json:"aligned"`
}

// Alignment is the alignment of one mechanism (SPF or DKIM).
type Alignment struct {
	// Mode is "relaxed" or "strict" (aspf / adkim).
	Mode   string `json:"mode"`
	Strict bool   `json:"strict"`
	// Aligned is true when at least one passing identifier aligns.
	Aligned bool `json:"aligned"`
	// Domain is the first aligned passing identifier, "" when none;
	// OrgDomain is its organizational domain.
	Domain    string            `json:"domain,omitempty"`
	OrgDomain string            `json:"org_domain,omitempty"`
	Checks    []IdentifierCheck `json:"checks"`
}

// Alignments holds SPF and DKIM alignment.
type Alignments struct {
	SPF  Alignment `json:"spf"`
	DKIM Alignment `json:"dkim"`
}

// LegacyView is what an RFC 7489 receiver concludes: policy discovery at
// the author domain then at the Public Suffix List organizational domain,
// relaxed alignment by that organizational domain, p or sp (no np, no t),
// and pct sampling.
type LegacyView struct {
	Result       string      `json:"result"`
	Policy       Policy      `json:"policy,omitempty"`
	PolicySource string      `json:"policy_source,omitempty"`
	RecordDomain string      `json:"record_domain,omitempty"`
	OrgDomain    string      `json:"org_domain,omitempty"`
	Pct          *int        `json:"pct,omitempty"`
	Alignment    *Alignments `json:"alignment,omitempty"`
	// Note explains what pct means for this message, when below 100.
	Note string `json:"note,omitempty"`
}

// EvalResult is the DMARC outcome for one message.
type EvalResult struct {
	// FromDomain is the RFC5322.From domain (header.from), normalized.
	FromDomain string `json:"from_domain"`
	// Result is pass, fail, none, temperror or permerror.
	Result string `json:"result"`
	// Policy is the policy to apply after a t=y downgrade; empty when no
	// policy applies (result none, temperror).
	Policy Policy `json:"policy,omitempty"`
	// Disposition is what to do with this message: the policy when DMARC
	// failed, none otherwise (pass, none, and errors, which RFC 9989 §5.3
	// leaves to local policy).
	Disposition Policy `json:"disposition"`
	// RequestedPolicy is the policy before a t=y downgrade.
	RequestedPolicy Policy `json:"requested_policy,omitempty"`
	// PolicySource is the tag that chose it: "p", "sp" or "np".
	PolicySource string `json:"policy_source,omitempty"`
	Testing      bool   `json:"testing"`
	// RecordDomain is where the policy record was found (header.d in
	// some Authentication-Results writers).
	RecordDomain string  `json:"record_domain,omitempty"`
	Record       *Record `json:"record,omitempty"`
	// OrgDomain is the From domain's organizational domain (tree walk).
	OrgDomain string `json:"org_domain,omitempty"`
	// AuthorDomainExists is set when existence was tested for np.
	AuthorDomainExists *bool      `json:"author_domain_exists,omitempty"`
	Alignment          Alignments `json:"alignment"`
	// Lookups are the DMARC queries of the policy walk.
	Lookups []*Lookup `json:"lookups"`
	// Queries are all the DMARC names asked, in order: the policy walk,
	// then the organizational-domain walks (each name once).
	Queries []string `json:"queries"`
	// Reason explains a none, temperror or permerror result.
	Reason string `json:"reason,omitempty"`

	// RFC7489 is the RFC 7489 receiver's view; ViewsDiffer says whether
	// it reaches another result, policy or policy record, and Differences
	// says how.
	RFC7489     LegacyView `json:"rfc7489"`
	ViewsDiffer bool       `json:"views_differ"`
	Differences []string   `json:"differences,omitempty"`
}

// Status is the verdict on the evaluation in the one verdict model: pass
// for pass; fail for fail, and for permerror (the policy record is broken);
// error for temperror (a DNS failure: never a fail); skip for none (no
// policy applies, so there is nothing to pass or fail).
func (res *EvalResult) Status() finding.Status {
	switch res.Result {
	case ResultPass:
		return finding.StatusPass
	case ResultFail, ResultPermError:
		return finding.StatusFail
	case ResultTempError:
		return finding.StatusError
	case ResultNone:
		return finding.StatusSkip
	}
	return finding.StatusError
}

// Evaluate evaluates DMARC (RFC 9989) for a message from in.From with the
// given SPF and DKIM results, and the RFC 7489 view beside it. DNS failures
// are a temperror result, not an error; the error is for input that is not
// a domain.
func Evaluate(ctx context.Context, r dns.Resolver, in EvalInput) (*EvalResult, error) {
	from, err := NormalizeDomain(in.From)
	if err != nil {
		return nil, err
	}
	s := newSession(r)
	res := &EvalResult{FromDomain: from, Lookups: []*Lookup{}}
	res.Alignment = Alignments{SPF: Alignment{Mode: "relaxed", Checks: []IdentifierCheck{}}, DKIM: Alignment{Mode: "relaxed", Checks: []IdentifierCheck{}}}

	found, steps, werr := s.policyWalk(ctx, from)
	res.Lookups = steps
	switch {
	case werr != nil:
		res.Result, res.Reason = ResultTempError, fmt.Sprintf("DNS failure during policy discovery: %v", werr)
	case found == nil:
		res.Result, res.Reason = ResultNone, "no DMARC record at "+from+" or any parent domain"
	case found.Status == "multiple":
		res.Result, res.Reason = ResultNone, fmt.Sprintf("%d DMARC records at %s: all are discarded and no policy applies", len(found.Records), found.Name)
	default:
		evalPolicy(ctx, s, r, res, found, in)
	}
	res.Disposition = PolicyNone
	if res.Result == ResultFail && res.Policy != "" {
		res.Disposition = res.Policy
	}
	res.Queries = s.queried()
	res.RFC7489 = evalLegacy(ctx, s, from, in)
	compareViews(res)
	return res, nil
}

func evalPolicy(ctx context.Context, s *session, r dns.Resolver, res *EvalResult, found *Lookup, in EvalInput) {
	rec := found.record
	res.Record = rec
	res.RecordDomain = found.Domain
	p, ok := rec.EffectiveP()
	if !ok {
		res.Result, res.Reason = ResultNone, "the record at "+found.Name+" has no valid p tag and no valid rua: no DMARC processing applies"
		return
	}
	from := res.FromDomain
	switch {
	case from == found.Domain:
		res.RequestedPolicy, res.PolicySource = p, "p"
	default:
		ex, err := exists(ctx, r, from)
		res.AuthorDomainExists = &ex
		if err != nil && dns.IsTemporary(err) && ex {
			res.Reason = fmt.Sprintf("could not tell whether %s exists (%v); sp applies", from, err)
		}
		if ex {
			res.RequestedPolicy, res.PolicySource = rec.EffectiveSP(), "sp"
		} else {
			res.RequestedPolicy, res.PolicySource = rec.EffectiveNP(), "np"
		}
	}
	res.Testing = rec.Testing
	res.Policy = res.RequestedPolicy
	if rec.Testing {
		res.Policy = Weaken(res.RequestedPolicy)
	}

	res.Alignment.SPF.Strict = rec.ASPF == "s"
	res.Alignment.DKIM.Strict = rec.ADKIM == "s"
	orgFor := func(d string) (string, error) { return s.orgDomain(ctx, d) }
	fromOrg := ""
	needOrg := func() (string, error) {
		if fromOrg != "" {
			return fromOrg, nil
		}
		o, err := orgFor(from)
		fromOrg = o
		return o, err
	}
	if _, err := needOrg(); err != nil {
		res.Result, res.Reason = ResultTempError, fmt.Sprintf("DNS failure finding the organizational domain of %s: %v", from, err)
		return
	}
	res.OrgDomain = fromOrg
	// A DNS failure while finding an identifier's organizational domain
	// matters only when nothing else aligns.
	spfErr := align(&res.Alignment.SPF, from, fromOrg, in.SPF, orgFor)
	dkimErr := align(&res.Alignment.DKIM, from, fromOrg, in.DKIM, orgFor)
	switch {
	case res.Alignment.SPF.Aligned || res.Alignment.DKIM.Aligned:
		res.Result = ResultPass
	case spfErr != nil:
		res.Result, res.Reason = ResultTempError, spfErr.Error()
	case dkimErr != nil:
		res.Result, res.Reason = ResultTempError, dkimErr.Error()
	default:
		res.Result = ResultFail
	}
}

// align fills a with the alignment of each identifier against the From
// domain and its organizational domain fromOrg.
func align(a *Alignment, from, fromOrg string, ids []AuthResult, orgFor func(string) (string, error)) error {
	if a.Strict {
		a.Mode = "strict"
	} else {
		a.Mode = "relaxed"
	}
	var firstErr error
	for _, id := range ids {
		d, err := NormalizeDomain(id.Domain)
		c := IdentifierCheck{Domain: strings.ToLower(strings.TrimSuffix(id.Domain, ".")), Result: strings.ToLower(id.Result)}
		if err == nil {
			c.Domain = d
			c.StrictAligned = d == from
			if c.StrictAligned {
				c.OrgDomain = fromOrg
				c.RelaxedAligned = true
			} else {
				o, oerr := orgFor(d)
				if oerr != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("DNS failure finding the organizational domain of %s: %v", d, oerr)
					}
				} else {
					c.OrgDomain = o
					c.RelaxedAligned = o == fromOrg
				}
			}
		}
		if c.Result == "pass" {
			c.Aligned = c.StrictAligned || (!a.Strict && c.RelaxedAligned)
		}
		if c.Aligned && !a.Aligned {
			a.Aligned, a.Domain, a.OrgDomain = true, c.Domain, c.OrgDomain
		}
		a.Checks = append(a.Checks, c)
	}
	return firstErr
}

// evalLegacy computes the RFC 7489 view.
func evalLegacy(ctx context.Context, s *session, from string, in EvalInput) LegacyView {
	v := LegacyView{OrgDomain: OrgDomain7489(from)}
	l := s.lookup(ctx, from)
	if l.Status == "none" && v.OrgDomain != "" && v.OrgDomain != from {
		l = s.lookup(ctx, v.OrgDomain)
	}
	switch l.Status {
	case "temperror":
		v.Result = ResultTempError
		return v
	case "none", "multiple":
		v.Result = ResultNone
		return v
	}
	rec := l.record
	v.RecordDomain = l.Domain
	p, ok := rec.EffectiveP()
	if !ok {
		v.Result = ResultNone
		return v
	}
	if l.Domain == from {
		v.Policy, v.PolicySource = p, "p"
	} else {
		v.Policy, v.PolicySource = rec.EffectiveSP(), "sp"
	}
	pct := rec.EffectivePct()
	v.Pct = &pct
	al := Alignments{SPF: Alignment{Strict: rec.ASPF == "s", Checks: []IdentifierCheck{}}, DKIM: Alignment{Strict: rec.ADKIM == "s", Checks: []IdentifierCheck{}}}
	fromOrg := v.OrgDomain
	if fromOrg == "" {
		fromOrg = from
	}
	orgFor := func(d string) (string, error) {
		if o := OrgDomain7489(d); o != "" {
			return o, nil
		}
		return d, nil
	}
	_ = align(&al.SPF, from, fromOrg, in.SPF, orgFor)
	_ = align(&al.DKIM, from, fromOrg, in.DKIM, orgFor)
	v.Alignment = &al
	if al.SPF.Aligned || al.DKIM.Aligned {
		v.Result = ResultPass
	} else {
		v.Result = ResultFail
		if pct < 100 {
			v.Note = fmt.Sprintf("pct=%d: an RFC 7489 receiver applies %s to %d%% of failing messages and %s to the rest", pct, v.Policy, pct, legacyPctFallback(v.Policy))
		}
	}
	return v
}

// legacyPctFallback is the policy an RFC 7489 receiver applies to the
// failing messages pct did not select (§6.6.4): quarantine becomes none,
// reject becomes quarantine.
func legacyPctFallback(p Policy) Policy { return Weaken(p) }

func compareViews(res *EvalResult) {
	l := res.RFC7489
	if res.Result != l.Result && !(res.Result == ResultTempError || l.Result == ResultTempError) {
		res.Differences = append(res.Differences, fmt.Sprintf("result: RFC 9989 %s, RFC 7489 %s", res.Result, l.Result))
	}
	if res.Policy != l.Policy && res.Result != ResultNone && l.Result != ResultNone {
		res.Differences = append(res.Differences, fmt.Sprintf("policy: RFC 9989 %s (%s%s), RFC 7489 %s (%s)", res.Policy, res.PolicySource, testingNote(res), l.Policy, l.PolicySource))
	}
	if res.RecordDomain != l.RecordDomain && res.RecordDomain != "" && l.RecordDomain != "" {
		res.Differences = append(res.Differences, fmt.Sprintf("policy record: RFC 9989 _dmarc.%s, RFC 7489 _dmarc.%s", res.RecordDomain, l.RecordDomain))
	}
	if res.OrgDomain != "" && l.OrgDomain != "" && res.OrgDomain != l.OrgDomain {
		res.Differences = append(res.Differences, fmt.Sprintf("organizational domain: RFC 9989 tree walk %s, RFC 7489 Public Suffix List %s", res.OrgDomain, l.OrgDomain))
	}
	if l.Note != "" {
		res.Differences = append(res.Differences, l.Note+"; RFC 9989 ignores pct")
	}
	res.ViewsDiffer = len(res.Differences) > 0
}

func testingNote(res *EvalResult) string {
	if res.Testing {
		return ", t=y"
	}
	return ""
}

// AuthResultsProperty formats the result as the dmarc= part of an
// Authentication-Results header field (RFC 8601 §2.7.1), with the policy in
// a comment: `dmarc=fail (p=reject dis=reject) header.from=example.com`.
func (r *EvalResult) AuthResultsProperty() string {
	var b strings.Builder
	b.WriteString("dmarc=" + r.Result)
	if r.Record != nil && r.Policy != "" {
		p, _ := r.Record.EffectiveP()
		fmt.Fprintf(&b, " (p=%s", p)
		if r.Record.SP != "" {
			fmt.Fprintf(&b, " sp=%s", r.Record.SP)
		}
		if r.Record.NP != "" {
			fmt.Fprintf(&b, " np=%s", r.Record.NP)
		}
		if r.Testing {
			b.WriteString(" t=y")
		}
		fmt.Fprintf(&b, " dis=%s)", r.Disposition)
	}
	b.WriteString(" header.from=" + r.FromDomain)
	return b.String()
}
