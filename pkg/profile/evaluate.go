package profile

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mtasts"
	"github.com/penguinmails/emailauth/pkg/spf"
	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

// RequirementResult says whether a domain meets one requirement.
type RequirementResult struct {
	Requirement string `json:"requirement"`
	// Subject is what the requirement is about, when there are several
	// of a kind: the include, the selector, the report address, the host.
	Subject string `json:"subject,omitempty"`
	Level   Level  `json:"level"`
	Met     bool   `json:"met"`
	// Unknown is true when a DNS failure left the requirement unchecked.
	Unknown bool `json:"unknown,omitempty"`
	// Waiver is the waiver in force for the requirement, if any.
	Waiver  *WaiverState `json:"waiver,omitempty"`
	Message string       `json:"message"`
	// Name is the DNS name concerned.
	Name string `json:"name,omitempty"`
	// Fix is the record that fixes it (or what to do).
	Fix string `json:"fix,omitempty"`

	// folded is true for a requirement whose finding another one says
	// already (no SPF record: its includes are not there either).
	folded bool
}

// Result is the profile check of one domain: every requirement met or not,
// with the record that fixes each one not met.
type Result struct {
	Domain       string              `json:"domain"`
	Tenant       string              `json:"tenant,omitempty"`
	Profile      string              `json:"profile"`
	Requirements []RequirementResult `json:"requirements"`
	Waivers      []WaiverState       `json:"waivers,omitempty"`
	// Status is judged from Findings (finding.Judge), before the policy
	// of the profile and the tenants file (Requirements.Policy) is applied.
	Status   finding.Status `json:"-"`
	Findings finding.List   `json:"-"`
	// Records are the records examined.
	Records    []string `json:"-"`
	Incomplete bool     `json:"incomplete"`
	// Met and Unmet count the requirements (waived ones as met).
	Met   int `json:"met"`
	Unmet int `json:"unmet"`
}

// EvalOptions tune Evaluate.
type EvalOptions struct {
	// Now is the clock (the MTA-STS id of a record the fix proposes).
	Now func() time.Time
}

// Evaluate checks every requirement of req against what the domain
// publishes, through r. Each requirement not met is a finding of its code
// (profile.<requirement>) at its level's severity, with a fix naming the
// record to publish, merged with what is there (the records Plan gives).
// DNS failures are profile.dns-error findings (transient) and leave the
// requirements they concern unknown.
func Evaluate(ctx context.Context, r dns.Resolver, req *Requirements, opts EvalOptions) *Result {
	s := inspect(ctx, r, req)
	res := &Result{Domain: req.Domain, Tenant: req.Tenant, Profile: req.Profile, Requirements: []RequirementResult{}, Findings: finding.List{}, Records: []string{}, Waivers: req.Waivers}
	p, err := plan(ctx, r, req, s, PlanOptions{Now: opts.Now, IgnoreWaivers: true})
	if err != nil {
		p = &Plan{}
	}
	fixFor := func(rr RequirementResult) string {
		for _, c := range p.Changes {
			if c.Action == ActionKeep {
				continue
			}
			for _, n := range c.Requirements {
				if n == rr.Requirement && (rr.Subject == "" || c.Type != "MX" || strings.Contains(c.Value, rr.Subject)) &&
					(!strings.HasPrefix(rr.Requirement, "dkim-") || c.Name == rr.Name) {
					return c.Fix()
				}
			}
		}
		return ""
	}
	var all []RequirementResult
	all = append(all, checkSPF(req, s)...)
	all = append(all, checkDKIM(req, s)...)
	all = append(all, checkDMARC(req, s)...)
	all = append(all, checkMX(req, s)...)
	all = append(all, checkRecords(req, s)...)
	for _, rr := range all {
		rr.Level = req.Level(rr.Requirement)
		if rr.Level == Off {
			continue
		}
		// A waived requirement not met is still reported; the policy makes
		// its finding info, saying why.
		rr.Waiver = req.Waived(rr.Requirement)
		if !rr.Met && !rr.Unknown && rr.Fix == "" {
			rr.Fix = fixFor(rr)
		}
		switch {
		case rr.Unknown:
			res.Incomplete = true
		case rr.Met || rr.Waiver != nil:
			res.Met++
		default:
			res.Unmet++
		}
		if !rr.Met && !rr.Unknown && !rr.folded {
			q, _ := requirementByName(rr.Requirement)
			f := q.spec.New(rr.Message, rr.Fix).WithSeverity(rr.Level.Severity())
			if rr.Name != "" && rr.Name != req.Domain {
				f = f.WithName(rr.Name)
			}
			res.Findings = append(res.Findings, f)
		}
		res.Requirements = append(res.Requirements, rr)
	}
	seen := map[string]bool{}
	for _, e := range s.errs {
		if seen[e.name] {
			continue
		}
		seen[e.name] = true
		res.Findings = append(res.Findings, FindDNSError.New(fmt.Sprintf("could not look up %s: %v; the requirements on it (%s) are unknown", e.name, e.err, strings.Join(e.reqs, ", ")),
			fmt.Sprintf("retry later; if it persists, check that every name server of %s answers (emailauth check --authoritative %s)", req.Domain, req.Domain)).WithName(e.name))
	}
	for _, w := range req.Waivers {
		name := strings.TrimPrefix(w.Code, "profile.")
		switch {
		case w.Expired:
			res.Findings = append(res.Findings, FindWaiverExpired.New(
				fmt.Sprintf("the waiver of %s for %s (%s) expired on %s: the requirement applies again", w.Code, req.Domain, w.Reason, w.Expires),
				fmt.Sprintf("meet the requirement, or renew the waiver in the tenants file (line %d) with a new expires date", w.Line)))
		case strings.HasPrefix(w.Code, "profile.") && metAll(res.Requirements, name):
			res.Findings = append(res.Findings, FindWaiverUnused.New(
				fmt.Sprintf("%s waives %s until %s, but the requirement is met", req.Domain, w.Code, w.Expires),
				fmt.Sprintf("remove the waiver from the tenants file (line %d)", w.Line)))
		}
	}
	res.Records = examined(s)
	finding.Sort(res.Findings)
	res.Status = finding.Judge(res.Findings, !res.Incomplete)
	return res
}

// metAll reports whether every result of the requirement is met (and there
// is one).
func metAll(rs []RequirementResult, name string) bool {
	found := false
	for _, r := range rs {
		if r.Requirement != name {
			continue
		}
		found = true
		if !r.Met {
			return false
		}
	}
	return found
}

func examined(s *state) []string {
	out := []string{}
	if s.spfFetch != nil {
		out = append(out, s.spfFetch.Records...)
	}
	if s.dmarc != nil && s.dmarc.Record != nil {
		out = append(out, s.dmarc.Record.Raw)
	}
	for _, name := range sortedKeys(s.selectors) {
		for _, rec := range s.selectors[name].Records {
			out = append(out, name+": "+rec)
		}
	}
	out = append(out, s.mtasts...)
	out = append(out, s.tlsrpt...)
	out = append(out, s.bimi...)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func unknownResults(req *Requirements, names ...string) []RequirementResult {
	var out []RequirementResult
	for _, n := range names {
		if req.Enabled(n) {
			out = append(out, RequirementResult{Requirement: n, Unknown: true, Message: "could not be checked: a DNS lookup failed"})
		}
	}
	return out
}

func checkSPF(req *Requirements, s *state) []RequirementResult {
	if !spfWanted(req) {
		return nil
	}
	d := req.Domain
	if s.unknown("spf-record") || s.spfFetch == nil {
		return unknownResults(req, "spf-record", "spf-include", "spf-all", "spf-budget")
	}
	fr := s.spfFetch
	var out []RequirementResult
	broken := ""
	noRecord := fr.Code == spf.None || len(fr.Records) > 1 || fr.Code == spf.PermError
	switch {
	case fr.Code == spf.None:
		broken = fmt.Sprintf("%s has no SPF record", d)
	case len(fr.Records) > 1:
		broken = fmt.Sprintf("%s has %d SPF records, a permerror for every receiver", d, len(fr.Records))
	case fr.Code == spf.PermError:
		broken = fmt.Sprintf("the SPF record of %s does not parse: %v", d, strings.TrimPrefix(fr.Err.Error(), "spf: "))
	case s.spf != nil && s.spf.Result == spf.PermError:
		broken = fmt.Sprintf("evaluating the SPF record of %s ends in permerror (%d DNS lookups; see the spf check): the platform's mail gets no SPF pass", d, s.spf.Lookups)
	}
	out = append(out, RequirementResult{Requirement: "spf-record", Met: broken == "", Message: orMet(broken, fmt.Sprintf("%s has one SPF record", d))})
	for _, inc := range req.SPF.Include {
		rr := RequirementResult{Requirement: "spf-include", Subject: inc, folded: noRecord}
		switch {
		case s.spf != nil && s.spf.Includes(inc):
			rr.Met, rr.Message = true, fmt.Sprintf("the SPF record reaches include:%s", inc)
		default:
			rr.Message = fmt.Sprintf("the SPF record of %s does not include %s: mail the platform sends for %s fails SPF", d, inc, d)
		}
		out = append(out, rr)
	}
	if req.SPF.All != "" || req.Enabled("spf-all") {
		rr := RequirementResult{Requirement: "spf-all", Met: true, folded: noRecord}
		if s.spf != nil && !noRecord {
			switch s.spf.Result {
			case spf.Pass:
				rr.Met, rr.Message = false, fmt.Sprintf("the SPF record of %s passes every host (+all)", d)
			case spf.Neutral:
				rr.Met, rr.Message = false, fmt.Sprintf("the SPF record of %s gives unlisted hosts neutral (?all, or no all); the platform wants %s", d, req.SPF.Generate)
			case spf.Fail:
				if req.SPF.All == "~all" {
					rr.Met, rr.Message = false, fmt.Sprintf("the SPF record of %s ends in -all; the platform allows ~all at most (forwarded mail would be rejected before DMARC is applied)", d)
				} else {
					rr.Message = "unlisted hosts get fail (-all)"
				}
			case spf.SoftFail:
				rr.Message = "unlisted hosts get softfail (~all)"
			default:
				rr.Message = fmt.Sprintf("unlisted hosts get %s", s.spf.Result)
			}
		} else {
			rr.Met, rr.Message = false, broken
		}
		out = append(out, rr)
	}
	if req.Enabled("spf-budget") && s.spf != nil && broken == "" {
		b := req.SPF.Budget
		if s.platformSPF >= 0 {
			rr := RequirementResult{Requirement: "spf-budget", Subject: "platform", Met: s.platformSPF <= spf.MaxLookups-b}
			rr.Message = fmt.Sprintf("the platform's includes cost %d DNS lookups, leaving %d for the tenant's own senders (the profile promises %d)", s.platformSPF, spf.MaxLookups-s.platformSPF, b)
			if !rr.Met {
				rr.Fix = fmt.Sprintf("the platform trims its include tree to at most %d lookups (%s); the tenant cannot fix this", spf.MaxLookups-b, strings.Join(prefixAll("include:", req.SPF.Include), " "))
			}
			out = append(out, rr)
		}
		platform := 0
		for _, c := range platformCosts(s.spf.Costs, req.SPF.Protected) {
			platform += c.Lookups
		}
		own := s.spf.Lookups - platform
		rr := RequirementResult{Requirement: "spf-budget", Subject: "tenant", Met: own <= b}
		rr.Message = fmt.Sprintf("the domain's own SPF terms cost %d DNS lookups; the platform leaves %d for them", own, b)
		if !rr.Met {
			rr.Fix = fmt.Sprintf("cut your own terms to %d lookups: %s; replace a and mx with ip4:/ip6:, or flatten your own includes (never the platform's)", b, spf.CostSummary(spf.CostsExcept(s.spf.Costs, req.SPF.Protected), 4))
		}
		out = append(out, rr)
	}
	for i := range out {
		out[i].Name = d
	}
	return out
}

func orMet(problem, ok string) string {
	if problem != "" {
		return problem
	}
	return ok
}

func prefixAll(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

func checkDKIM(req *Requirements, s *state) []RequirementResult {
	var out []RequirementResult
	for _, sel := range req.DKIM.Selectors {
		res := s.selectors[sel.Selector]
		if res == nil {
			continue
		}
		name := res.Name
		if res.Error != "" {
			for _, rr := range unknownResults(req, "dkim-selector") {
				rr.Subject, rr.Name = sel.Selector, name
				out = append(out, rr)
			}
			continue
		}
		if sel.CNAME != "" {
			rr := RequirementResult{Requirement: "dkim-cname", Subject: sel.Selector, Name: name}
			switch {
			case len(res.CNAMEs) > 0 && res.CNAMEs[0] == sel.CNAME:
				rr.Met, rr.Message = true, fmt.Sprintf("%s is delegated to %s", name, sel.CNAME)
			case len(res.CNAMEs) > 0:
				rr.Message = fmt.Sprintf("%s points at %s, not at %s where the platform hosts the key", name, res.CNAMEs[0], sel.CNAME)
			case len(res.Records) > 0:
				rr.Message = fmt.Sprintf("%s publishes a key itself instead of delegating to %s, where the platform hosts and rotates it", name, sel.CNAME)
			default:
				rr.Message = fmt.Sprintf("%s does not exist: it must be an alias (CNAME) of %s", name, sel.CNAME)
			}
			out = append(out, rr)
		}
		usable := len(res.Records) == 1 && res.Record != nil && !res.Revoked && res.Record.PublicKey != nil
		rr := RequirementResult{Requirement: "dkim-selector", Subject: sel.Selector, Name: name, Met: usable}
		switch {
		case usable:
			rr.Message = fmt.Sprintf("selector %s publishes a %s key", sel.Selector, res.KeyType)
		case len(res.Records) == 0 && len(res.CNAMEs) > 0:
			rr.Message = fmt.Sprintf("selector %s is an alias of %s, which holds no key", sel.Selector, res.CNAMEs[len(res.CNAMEs)-1])
			rr.folded = sel.CNAME != "" && res.CNAMEs[0] != sel.CNAME
		case len(res.Records) == 0:
			rr.Message = fmt.Sprintf("selector %s has no key at %s: the platform's DKIM signatures for the domain cannot be verified", sel.Selector, name)
			rr.folded = sel.CNAME != ""
		case res.Revoked:
			rr.Message = fmt.Sprintf("the key of selector %s is revoked (empty p=)", sel.Selector)
		case len(res.Records) > 1:
			rr.Message = fmt.Sprintf("selector %s has %d key records; verifiers pick one at random", sel.Selector, len(res.Records))
		default:
			rr.Message = fmt.Sprintf("the record of selector %s is not a usable key", sel.Selector)
		}
		out = append(out, rr)
		if !usable {
			continue
		}
		if sel.Key != nil {
			rr := RequirementResult{Requirement: "dkim-key", Subject: sel.Selector, Name: name, Met: res.KeyMatches != nil && *res.KeyMatches}
			if rr.Met {
				rr.Message = fmt.Sprintf("selector %s publishes the pinned key", sel.Selector)
			} else {
				rr.Message = fmt.Sprintf("selector %s publishes another key than the one pinned for it (from the %s file): the platform's signatures fail", sel.Selector, sel.From)
			}
			out = append(out, rr)
		}
		small := res.KeyType == dkimkey.KeyTypeRSA && res.KeyBits < req.DKIM.MinBits
		rr = RequirementResult{Requirement: "dkim-key-size", Subject: sel.Selector, Name: name, Met: !small}
		if small {
			rr.Message = fmt.Sprintf("the key of selector %s has %d bits; the platform requires at least %d", sel.Selector, res.KeyBits, req.DKIM.MinBits)
		} else {
			rr.Message = fmt.Sprintf("a %s key of %d bits", res.KeyType, res.KeyBits)
		}
		out = append(out, rr)
	}
	return out
}

func checkDMARC(req *Requirements, s *state) []RequirementResult {
	if !dmarcWanted(req) {
		return nil
	}
	d := req.Domain
	name := "_dmarc." + d
	if s.unknown("dmarc-record") || s.dmarc == nil {
		return unknownResults(req, dmarcRequirements...)
	}
	res := s.dmarc
	var out []RequirementResult
	add := func(rr RequirementResult) {
		rr.Name = name
		out = append(out, rr)
	}
	if res.Record == nil || res.Policy == nil {
		msg := fmt.Sprintf("no DMARC record applies to %s (none at %s or at its organizational domain)", d, name)
		if res.Discovery != nil && res.Discovery.Status == dmarc.StatusMultiple {
			msg = fmt.Sprintf("several DMARC records apply to %s, so receivers ignore them all", d)
		}
		add(RequirementResult{Requirement: "dmarc-record", Message: msg})
		for _, n := range dmarcRequirements[1:] {
			add(RequirementResult{Requirement: n, Message: msg, folded: true})
		}
		return out
	}
	rec, pol := res.Record, res.Policy
	from := "its own record"
	if res.RecordDomain != d {
		from = "the record of " + res.RecordDomain
	}
	add(RequirementResult{Requirement: "dmarc-record", Met: true, Message: fmt.Sprintf("%s applies", from)})
	want := req.DMARC
	if want.Policy != "" {
		rr := RequirementResult{Requirement: "dmarc-policy", Met: pol.Applied.Strength() >= want.Policy.Strength()}
		rr.Message = fmt.Sprintf("the policy applied to %s's mail is %s (%s); the platform requires %s or stronger", d, orNone(pol.Applied), from, want.Policy)
		add(rr)
	}
	if want.SubdomainPolicy != "" {
		rr := RequirementResult{Requirement: "dmarc-subdomain-policy", Met: pol.SP.Strength() >= want.SubdomainPolicy.Strength()}
		rr.Message = fmt.Sprintf("the policy for subdomains of %s is %s; the platform requires %s or stronger", d, orNone(pol.SP), want.SubdomainPolicy)
		add(rr)
	}
	for _, u := range want.RUA {
		rr := RequirementResult{Requirement: "dmarc-rua", Subject: u, Met: dmarc.HasURI(rec.RUA, u)}
		if rr.Met {
			rr.Message = fmt.Sprintf("aggregate reports go to %s", u)
		} else {
			rr.Message = fmt.Sprintf("aggregate reports for %s do not go to %s: the platform cannot watch the domain's authentication", d, u)
		}
		add(rr)
	}
	for _, u := range want.RUF {
		rr := RequirementResult{Requirement: "dmarc-ruf", Subject: u, Met: dmarc.HasURI(rec.RUF, u)}
		rr.Message = fmt.Sprintf("failure reports for %s do not go to %s", d, u)
		if rr.Met {
			rr.Message = fmt.Sprintf("failure reports go to %s", u)
		}
		add(rr)
	}
	if want.FO != "" {
		missing := []string{}
		for _, o := range strings.Split(want.FO, ":") {
			found := false
			for _, h := range rec.FO {
				found = found || h == o
			}
			if !found {
				missing = append(missing, o)
			}
		}
		rr := RequirementResult{Requirement: "dmarc-fo", Met: len(missing) == 0}
		rr.Message = fmt.Sprintf("the record's fo is %s; the platform requires fo=%s", strings.Join(rec.FO, ":"), want.FO)
		add(rr)
	}
	if !want.AllowTesting {
		rr := RequirementResult{Requirement: "dmarc-testing", Met: !pol.Testing && pol.Pct == 100, Message: "the policy is applied to all mail"}
		switch {
		case pol.Testing:
			rr.Message = fmt.Sprintf("the record has t=y: receivers apply one step less than %s, and the platform allows no testing", pol.Applied)
		case pol.Pct < 100:
			rr.Message = fmt.Sprintf("the record has pct=%d: RFC 7489 receivers apply the policy to %d%% of failing mail only, and the platform allows no testing", pol.Pct, pol.Pct)
		}
		add(rr)
	}
	if want.ADKIMStrict || want.ASPFStrict {
		var loose []string
		if want.ADKIMStrict && rec.ADKIM != "s" {
			loose = append(loose, "adkim")
		}
		if want.ASPFStrict && rec.ASPF != "s" {
			loose = append(loose, "aspf")
		}
		rr := RequirementResult{Requirement: "dmarc-alignment", Met: len(loose) == 0, Message: "strict alignment as required"}
		if !rr.Met {
			rr.Message = fmt.Sprintf("the record's %s is relaxed; the platform requires strict alignment", strings.Join(loose, " and "))
		}
		add(rr)
	}
	return out
}

func checkMX(req *Requirements, s *state) []RequirementResult {
	if len(req.MX) == 0 || !req.Enabled("mx") {
		return nil
	}
	if s.mx == nil || s.mx.Err != nil {
		return unknownResults(req, "mx")
	}
	var out []RequirementResult
	for _, h := range req.MX {
		rr := RequirementResult{Requirement: "mx", Subject: h.Host, Name: req.Domain}
		for _, have := range s.mx.Hosts {
			rr.Met = rr.Met || have == h.Host
		}
		switch {
		case rr.Met:
			rr.Message = fmt.Sprintf("%s lists %s", req.Domain, h.Host)
		case s.mx.Null:
			rr.Message = fmt.Sprintf("%s publishes a null MX (it receives no mail); the platform receives at %s", req.Domain, h.Host)
		default:
			rr.Message = fmt.Sprintf("%s does not list the platform's exchange %s", req.Domain, h.Host)
		}
		out = append(out, rr)
	}
	return out
}

func checkRecords(req *Requirements, s *state) []RequirementResult {
	d := req.Domain
	var out []RequirementResult
	if req.Enabled("mta-sts") {
		name := "_mta-sts." + d
		rr := RequirementResult{Requirement: "mta-sts", Name: name}
		switch {
		case s.mtastsErr != nil:
			rr.Unknown, rr.Message = true, "could not be checked: a DNS lookup failed"
		case len(s.mtasts) == 0:
			rr.Message = fmt.Sprintf("%s has no MTA-STS record", name)
		case len(s.mtasts) > 1:
			rr.Message = fmt.Sprintf("%s has %d MTA-STS records; senders ignore them all", name, len(s.mtasts))
		default:
			if _, err := mtasts.ParseRecord(s.mtasts[0]); err != nil {
				rr.Message = fmt.Sprintf("the MTA-STS record at %s is not valid: %v", name, err)
			} else {
				rr.Met, rr.Message = true, "published"
			}
		}
		out = append(out, rr)
	}
	if req.Enabled("tls-rpt") {
		name := "_smtp._tls." + d
		rr := RequirementResult{Requirement: "tls-rpt", Name: name}
		switch {
		case s.tlsErr != nil:
			rr.Unknown, rr.Message = true, "could not be checked: a DNS lookup failed"
		case len(s.tlsrpt) == 0:
			rr.Message = fmt.Sprintf("%s has no TLS-RPT record", name)
		case len(s.tlsrpt) > 1:
			rr.Message = fmt.Sprintf("%s has %d TLS-RPT records; senders ignore them all", name, len(s.tlsrpt))
		default:
			rec, err := tlsrpt.ParseRecord(s.tlsrpt[0])
			switch {
			case err != nil:
				rr.Message = fmt.Sprintf("the TLS-RPT record at %s is not valid: %v", name, err)
			case len(missingFold(rec.RUA, req.TLSRPT)) > 0:
				rr.Message = fmt.Sprintf("TLS reports for %s do not go to %s", d, strings.Join(missingFold(rec.RUA, req.TLSRPT), ", "))
			default:
				rr.Met, rr.Message = true, "published"
			}
		}
		out = append(out, rr)
	}
	if req.Enabled("bimi") {
		name := req.BIMISelector + "._bimi." + d
		rr := RequirementResult{Requirement: "bimi", Name: name, Met: len(s.bimi) == 1, Message: "published"}
		switch {
		case s.bimiErr != nil:
			rr.Unknown, rr.Message = true, "could not be checked: a DNS lookup failed"
		case len(s.bimi) == 0:
			rr.Message = fmt.Sprintf("%s has no BIMI record", name)
		case len(s.bimi) > 1:
			rr.Message = fmt.Sprintf("%s has %d BIMI records", name, len(s.bimi))
		}
		out = append(out, rr)
	}
	return out
}
