package dmarc

import (
	"context"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/suggest"
)

// CheckOptions tune Check.
type CheckOptions struct {
	// SkipDestinations skips the DNS checks of report destinations
	// (authorization records, mail servers).
	SkipDestinations bool
	// MaxDestinations bounds the report destinations checked, rua and ruf
	// together (DefaultMaxDestinations, 10, when 0); the others are listed
	// in CheckResult.UncheckedDestinations and reported as
	// dmarc.too-many-destinations.
	MaxDestinations int
}

// EffectivePolicy is the policy receivers apply to a domain's mail, for a
// BIMI check or a posture summary.
type EffectivePolicy struct {
	// P, SP and NP are the policies in force for the domain itself, its
	// existing subdomains and its non-existent subdomains (defaults
	// resolved: sp falls back to p, np to sp).
	P  Policy `json:"p"`
	SP Policy `json:"sp"`
	NP Policy `json:"np"`
	// Applied is the policy for the checked domain's own mail: p for its
	// own record, sp (or np) for an inherited one.
	Applied Policy `json:"applied"`
	Source  string `json:"source"`
	// Testing is t=y: receivers apply one step less than Applied.
	Testing bool `json:"testing"`
	// Pct is the RFC 7489 pct in force (100 without the tag).
	Pct int `json:"pct"`
}

// Enforcing reports whether receivers quarantine or reject failing mail
// for the domain: Applied is quarantine or reject, without t=y, and pct is
// 100 (as BIMI requires).
func (e *EffectivePolicy) Enforcing() bool {
	return e != nil && e.Applied.Strength() >= PolicyQuarantine.Strength() && !e.Testing && e.Pct == 100
}

// CheckResult is everything Check found about a domain's DMARC.
type CheckResult struct {
	Domain string `json:"domain"`
	// Name is _dmarc.<domain>; TXT lists every TXT record there.
	Name string   `json:"name"`
	TXT  []string `json:"txt"`
	// Discovery is where the policy comes from, in both views.
	Discovery *Discovery `json:"discovery,omitempty"`
	// RecordDomain and Record are the applicable record (the domain's own
	// or a parent's); nil when none applies.
	RecordDomain string  `json:"record_domain,omitempty"`
	Record       *Record `json:"record,omitempty"`
	// Policy is the effective policy; nil when no record applies.
	Policy       *EffectivePolicy `json:"policy,omitempty"`
	Destinations []Destination    `json:"destinations"`
	// UncheckedDestinations counts the rua and ruf URIs beyond
	// CheckOptions.MaxDestinations, not checked: the last ones of
	// Record.RUA then Record.RUF, after those in Destinations.
	UncheckedDestinations int          `json:"unchecked_destinations,omitempty"`
	Findings              finding.List `json:"findings"`
	// Incomplete is true when a DNS failure stopped part of the check;
	// Errors says which.
	Incomplete bool     `json:"incomplete"`
	Errors     []string `json:"errors,omitempty"`
}

// Check checks domain's DMARC configuration: discovery in both views, the
// record's syntax, its policy, and its report destinations. A DNS failure
// during discovery returns the partial result with Incomplete set and the
// error; bad input returns a nil result and an error.
func Check(ctx context.Context, r dns.Resolver, domain string, opts CheckOptions) (*CheckResult, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{Domain: d, Name: "_dmarc." + d, TXT: []string{}, Destinations: []Destination{}, Findings: finding.List{}}
	disc, derr := Discover(ctx, r, d)
	res.Discovery = disc
	if derr != nil {
		res.Incomplete = true
		res.Errors = append(res.Errors, derr.Error())
		return res, derr
	}
	s := disc.session
	own := s.lookup(ctx, d)
	res.TXT = append(append(res.TXT, own.Records...), own.Other...)
	for _, txt := range own.Other {
		if LooksLikeDMARC(txt) {
			res.add(FindNotDMARC.New(
				fmt.Sprintf("the TXT record %q at %s is not recognized as DMARC: it must start exactly with v=DMARC1", abbreviate(txt, 80), res.Name),
				fmt.Sprintf("replace it with: %s TXT %q", res.Name, fixVersion(txt))))
		}
	}
	if own.Status == "none" {
		res.checkApex(ctx, r)
	}

	switch disc.Status {
	case StatusMultiple:
		name := "_dmarc." + disc.RecordDomain
		l := s.lookup(ctx, disc.RecordDomain)
		res.add(FindMultipleRecords.New(
			fmt.Sprintf("%d DMARC records at %s (%s): receivers discard them all, so no DMARC policy applies to %s", len(l.Records), name, quoteList(l.Records), d),
			fmt.Sprintf("keep exactly one TXT record at %s, for example %q, and delete the others", name, strongest(l.Records))).WithName(name))
		res.viewsDisagree(disc)
		return res, nil
	case StatusNone:
		res.add(FindNoRecord.New(
			fmt.Sprintf("no DMARC record at %s or any parent domain: receivers apply no policy to mail from %s", res.Name, d),
			fmt.Sprintf("publish %s TXT %q to start receiving aggregate reports, then move to p=quarantine and p=reject", res.Name, Suggest(nil, "p=none", "rua=mailto:dmarc-reports@"+d))))
		res.viewsDisagree(disc)
		return res, nil
	}

	rec := disc.Record
	res.Record, res.RecordDomain = rec, disc.RecordDomain
	recName := "_dmarc." + disc.RecordDomain
	withName := func(f finding.Finding) finding.Finding {
		if disc.Inherited {
			return f.WithName(recName)
		}
		return f
	}
	ep := &EffectivePolicy{SP: rec.EffectiveSP(), NP: rec.EffectiveNP(), Testing: rec.Testing, Pct: rec.EffectivePct()}
	ep.P, _ = rec.EffectiveP()
	ep.Applied, ep.Source = ep.P, "p"
	if disc.Inherited {
		ex, eerr := exists(ctx, r, d)
		if eerr != nil && ex {
			res.Errors = append(res.Errors, fmt.Sprintf("could not tell whether %s exists: %v", d, eerr))
		}
		if ex {
			ep.Applied, ep.Source = ep.SP, "sp"
		} else {
			ep.Applied, ep.Source = ep.NP, "np"
		}
		res.add(FindInherited.New(
			fmt.Sprintf("%s has no DMARC record of its own; receivers apply %s=%s from %s", d, ep.Source, ep.Applied, recName),
			fmt.Sprintf("nothing to do if that is intended; to set a policy of its own, publish %s TXT %q", res.Name, Suggest(rec, "p="+string(ep.Applied), "sp=", "np=", "psd="))))
	}
	if _, ok := rec.EffectiveP(); ok {
		res.Policy = ep
	}

	// Problems of the record's text.
	corr := corrections(rec)
	for _, p := range rec.Problems {
		var spec *finding.Spec
		fix := ""
		switch p.Kind {
		case KindSyntax, KindWhitespace, KindOrder:
			spec = FindSyntax
			fix = fmt.Sprintf("publish the corrected record: %s TXT %q", recName, Suggest(rec, corr...))
		case KindDuplicate:
			spec = FindDuplicateTag
			fix = fmt.Sprintf("keep one %s tag: %s TXT %q", p.Tag, recName, Suggest(rec))
		case KindUnknown:
			spec = FindUnknownTag
			fix = fmt.Sprintf("remove %s (or correct its name): %s TXT %q", p.Tag, recName, Suggest(rec))
		case KindRemoved:
			spec = FindRemovedTag
			fix = fmt.Sprintf("remove %s: %s TXT %q", p.Tag, recName, Suggest(rec))
		case KindNoPolicy:
			spec = FindNoPolicy
			fix = fmt.Sprintf("give the record a valid policy: %s TXT %q", recName, Suggest(rec, append([]string{"p=" + string(orNone(rec.P))}, corr...)...))
		}
		f := spec.New(p.Message, fix)
		if p.Severity == SevWarning && spec.Severity == finding.Error {
			f = f.WithSeverity(finding.Warning)
		}
		res.add(withName(f))
	}

	// Policy strength.
	if res.Policy != nil {
		if ep.Applied == PolicyNone {
			next := Suggest(rec, "p=quarantine")
			if disc.Inherited {
				res.add(withName(FindPolicyNone.New(
					fmt.Sprintf("%s=none at %s: receivers take no action on mail from %s that fails DMARC (monitoring only)", ep.Source, recName, d),
					fmt.Sprintf("once the aggregate reports show all legitimate mail passing, set %s=quarantine (then reject) at %s, or publish %s TXT %q", ep.Source, recName, res.Name, Suggest(rec, "p=quarantine", "sp=", "np=", "psd=")))))
			} else {
				res.add(FindPolicyNone.New(
					fmt.Sprintf("p=none at %s: receivers take no action on mail that fails DMARC (monitoring only)", recName),
					fmt.Sprintf("once the aggregate reports (rua) show all legitimate mail passing with aligned SPF or DKIM, publish %s TXT %q; after a few weeks without surprises, p=reject", recName, next)))
			}
		}
		if rec.Testing {
			res.add(withName(FindTesting.New(
				fmt.Sprintf("t=y at %s: receivers apply %s instead of %s (RFC 9989); RFC 7489 receivers ignore t and apply %s", recName, Weaken(ep.Applied), ep.Applied, ep.Applied),
				fmt.Sprintf("when the reports show the policy can be enforced, publish %s TXT %q", recName, Suggest(rec, "t=")))))
		}
		var weak []string
		if rec.SP != "" && rec.SP.Strength() < ep.P.Strength() {
			weak = append(weak, fmt.Sprintf("sp=%s is weaker than p=%s", rec.SP, ep.P))
		}
		if rec.NP != "" && rec.NP.Strength() < ep.P.Strength() {
			weak = append(weak, fmt.Sprintf("np=%s is weaker than p=%s", rec.NP, ep.P))
		}
		if len(weak) > 0 {
			changes := []string{"sp="}
			if rec.NP != "" {
				changes = append(changes, "np=reject")
			}
			res.add(withName(FindWeakSubdomain.New(
				fmt.Sprintf("%s at %s: spoofed mail from subdomains gets the weaker policy", strings.Join(weak, "; "), recName),
				fmt.Sprintf("publish %s TXT %q", recName, Suggest(rec, changes...)))))
		}
		if rec.PCT != nil && *rec.PCT < 100 {
			msg := fmt.Sprintf("pct=%d at %s: RFC 7489 receivers apply %s to %d%% of failing mail and %s to the rest; RFC 9989 receivers ignore pct and apply %s to all of it", *rec.PCT, recName, ep.Applied, *rec.PCT, Weaken(ep.Applied), ep.Applied)
			if ep.Applied == PolicyNone {
				msg = fmt.Sprintf("pct=%d at %s has no effect while the policy is none, but once p is raised RFC 7489 receivers will apply it to only %d%% of failing mail, while RFC 9989 receivers ignore pct", *rec.PCT, recName, *rec.PCT)
			}
			res.add(withName(FindPctBelow100.New(msg,
				fmt.Sprintf("remove pct (use t=y to test a policy): %s TXT %q", recName, Suggest(rec)))))
		}
	}
	if rec.PSD == "y" {
		res.add(withName(FindPSD.New(fmt.Sprintf("%s says psd=y: %s is declared a public suffix domain", recName, disc.RecordDomain), "")))
	}

	// Reporting.
	if len(rec.RUA) == 0 {
		res.add(withName(FindNoRUA.New(
			fmt.Sprintf("%s has no rua: no aggregate reports will be sent, so you cannot see who sends mail as %s", recName, d),
			fmt.Sprintf("publish %s TXT %q (any mailbox or report service you read)", recName, Suggest(rec, "rua=mailto:dmarc-reports@"+disc.RecordDomain)))))
	}
	if len(rec.RUA) > 2 {
		res.add(withName(FindTooManyRUA.New(
			fmt.Sprintf("%s has %d rua destinations; receivers may send to the first two only (RFC 7489 §6.2)", recName, len(rec.RUA)),
			fmt.Sprintf("keep the two that matter most: %s TXT %q", recName, Suggest(rec, "rua="+joinURIs(rec.RUA[:2]))))))
	}
	if !opts.SkipDestinations && !disc.Inherited {
		var unchecked []URI
		res.Destinations, unchecked = checkDestinations(ctx, s, r, disc.RecordDomain, rec, opts.MaxDestinations)
		for _, dst := range res.Destinations {
			res.destinationFindings(dst, rec, recName)
		}
		if len(unchecked) > 0 {
			res.tooManyDestinations(unchecked, recName)
		}
	}
	res.viewsDisagree(disc)
	return res, nil
}

func (res *CheckResult) destinationFindings(dst Destination, rec *Record, recName string) {
	switch {
	case dst.URI.Scheme != "mailto":
		res.add(FindUnsupportedURI.New(
			fmt.Sprintf("%s uses the %s scheme; receivers send reports only to mailto: destinations", describeDest(dst), dst.URI.Scheme),
			fmt.Sprintf("replace it with a mailto: address in %s", recName)))
		return
	case dst.Authorization == AuthTempError || dst.Receive == ReceiveTempError:
		res.Incomplete = true
		res.Errors = append(res.Errors, dst.Error)
		res.add(FindDestUnverified.New(fmt.Sprintf("%s could not be checked: %s", describeDest(dst), dst.Error), "run the check again"))
	case dst.Authorization == AuthOffline || dst.Receive == ReceiveOffline:
		var what []string
		if dst.Authorization == AuthOffline {
			what = append(what, "its authorization record "+dst.AuthorizationName)
		}
		if dst.Receive == ReceiveOffline {
			what = append(what, "the mail servers of "+dst.URI.Domain)
		}
		res.add(FindDestNotCheckedOffline.New(fmt.Sprintf("%s was not checked: the check ran offline and no zone file covers %s", describeDest(dst), strings.Join(what, " nor ")), "").WithName(dst.URI.Domain))
	}
	if dst.Authorization == AuthMissing {
		why := "is in another organizational domain"
		if !dst.External {
			why = "is in another organizational domain by the Public Suffix List (RFC 7489 receivers)"
		}
		res.add(FindUnauthorizedDest.New(
			fmt.Sprintf("%s %s and %s publishes no authorization record: receivers will not send reports there", describeDest(dst), why, dst.AuthorizationName),
			fmt.Sprintf("the operator of %s must publish %s", dst.URI.Domain, ZoneLine(dst.AuthorizationName+".", DefaultTTL, "v=DMARC1"))).WithName(dst.AuthorizationName))
	}
	switch dst.Receive {
	case ReceiveNone, ReceiveNullMX:
		why := "has no MX, A or AAAA record"
		if dst.Receive == ReceiveNullMX {
			why = "publishes a null MX (it accepts no mail)"
		}
		res.add(FindCannotReceive.New(
			fmt.Sprintf("%s: the domain %s %s, so reports sent there bounce", describeDest(dst), dst.URI.Domain, why),
			fmt.Sprintf("correct the %s address in %s, or publish an MX record for %s", dst.Tag, recName, dst.URI.Domain)).WithName(dst.URI.Domain))
	}
}

// tooManyDestinations reports the destinations left unchecked.
func (res *CheckResult) tooManyDestinations(unchecked []URI, recName string) {
	checked := len(res.Destinations)
	res.UncheckedDestinations = len(unchecked)
	var show []string
	for _, u := range unchecked[:min(3, len(unchecked))] {
		show = append(show, abbreviate(u.Raw, 60))
	}
	list := strings.Join(show, ", ")
	if more := len(unchecked) - len(show); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	res.add(FindTooManyDestinations.New(
		fmt.Sprintf("%s lists %d report destinations; the first %d were checked, the other %d were not: %s", recName, checked+len(unchecked), checked, len(unchecked), list),
		fmt.Sprintf("list only the mailboxes that read the reports in %s (receivers send to the first two rua destinations at most)", recName)))
}

func (res *CheckResult) checkApex(ctx context.Context, r dns.Resolver) {
	ans, err := r.Query(ctx, res.Domain, dns.TypeTXT)
	if err != nil {
		return
	}
	for _, txt := range ans.TXT() {
		if IsDMARCVersion(txt) || LooksLikeDMARC(txt) && strings.HasPrefix(strings.ToLower(strings.TrimSpace(txt)), "v=dmarc") {
			res.add(FindRecordAtApex.New(
				fmt.Sprintf("%s publishes the DMARC record %q at the domain itself; receivers only look at %s", res.Domain, abbreviate(txt, 80), res.Name),
				fmt.Sprintf("publish %s TXT %q and delete the TXT record %q from %s", res.Name, fixVersion(txt), txt, res.Domain)).WithName(res.Domain))
		}
	}
}

func (res *CheckResult) viewsDisagree(d *Discovery) {
	if !d.ViewsDisagree {
		return
	}
	fix := fmt.Sprintf("publish a DMARC record at _dmarc.%s itself so that both kinds of receivers apply the same policy", d.Domain)
	if !d.RecordDiffers {
		fix = fmt.Sprintf("both find the same policy record, but relaxed alignment differs: sign with DKIM d= and send with MAIL FROM domains at or under %s (which align for both)", d.OrgDomain)
	}
	res.add(FindViewsDisagree.New(fmt.Sprintf("%s: %s", d.Domain, strings.Join(d.Differences, "; ")), fix))
}

func (res *CheckResult) add(f finding.Finding) { res.Findings = append(res.Findings, f) }

// fixVersion rewrites a near-DMARC record's version tag to v=DMARC1.
func fixVersion(txt string) string {
	t := strings.TrimSpace(txt)
	tag, rest, ok := strings.Cut(t, ";")
	if !ok {
		rest = ""
	}
	if strings.Contains(strings.ToLower(tag), "dmarc") {
		if rest == "" {
			return "v=DMARC1"
		}
		return "v=DMARC1;" + rest
	}
	return "v=DMARC1; " + t
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", abbreviate(s, 60))
	}
	return strings.Join(q, ", ")
}

func orNone(p Policy) Policy {
	if p == "" {
		return PolicyNone
	}
	return p
}

// corrections guesses the intended value of misspelled policy tags
// ("p=rejct" is p=reject), for the fixes of syntax findings.
func corrections(rec *Record) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range rec.Tags {
		if (t.Name != "p" && t.Name != "sp" && t.Name != "np") || seen[t.Name] {
			continue
		}
		seen[t.Name] = true
		if _, ok := ParsePolicy(t.Value); ok {
			continue
		}
		if g := guessPolicy(t.Value); g != "" {
			out = append(out, t.Name+"="+string(g))
		}
	}
	return out
}

func guessPolicy(v string) Policy {
	v = strings.ToLower(strings.TrimSpace(v))
	best, bestD := Policy(""), 3
	for _, p := range []Policy{PolicyNone, PolicyQuarantine, PolicyReject} {
		if d := suggest.Distance(v, string(p)); d < bestD || (len(v) >= 3 && strings.HasPrefix(string(p), v)) {
			best, bestD = p, d
			if strings.HasPrefix(string(p), v) && len(v) >= 3 {
				bestD = 0
			}
		}
	}
	return best
}

// strongest returns the record with the strongest policy among txts.
func strongest(txts []string) string {
	best, bestS := txts[0], -1
	for _, t := range txts {
		r, err := Parse(t)
		if err != nil {
			continue
		}
		p, _ := r.EffectiveP()
		if p.Strength() > bestS {
			best, bestS = t, p.Strength()
		}
	}
	return best
}
