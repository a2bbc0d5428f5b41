package profile

import (
	"crypto"
	"fmt"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Requirements are what one domain must publish: the profile with the
// domain's overrides from the tenants file applied, at a given date (for
// the waivers). Build them with Profile.For.
type Requirements struct {
	Profile string `json:"profile"`
	// ProfileFile is the file the profile was read from.
	ProfileFile string `json:"-"`
	Tenant      string `json:"tenant,omitempty"`
	Domain      string `json:"domain"`
	TTL         int    `json:"ttl"`

	SPF   SPFRequirements   `json:"spf"`
	DKIM  DKIMRequirements  `json:"dkim"`
	DMARC DMARCRequirements `json:"dmarc"`
	// MX are the exchanges to list (none when the platform does not
	// receive for its tenants).
	MX []MXHost `json:"mx,omitempty"`
	// TLSRPT are the TLS-RPT destinations required; BIMISelector the BIMI
	// selector looked at.
	TLSRPT       []string `json:"tls_rpt,omitempty"`
	BIMISelector string   `json:"bimi_selector,omitempty"`

	// Waivers are the domain's waivers, each marked expired or not.
	Waivers []WaiverState `json:"waivers,omitempty"`
	// Policy is what the profile and the tenants file make of every
	// check's findings: codes ignored, severities, the waivers in force.
	Policy finding.Policy `json:"policy"`

	levels map[string]Level
}

// SPFRequirements are the SPF requirements of one domain.
type SPFRequirements struct {
	Include  []string `json:"include"`
	Optional []string `json:"optional_include,omitempty"`
	// Protected are every include that must never be flattened or
	// suggested for removal.
	Protected []string `json:"protected"`
	// All is the strongest "all" allowed ("" when the profile sets none);
	// Generate the one generated records end with.
	All      string `json:"all,omitempty"`
	Generate string `json:"generate_all"`
	Budget   int    `json:"lookup_budget,omitempty"`
}

// DKIMRequirements are the DKIM requirements of one domain.
type DKIMRequirements struct {
	MinBits   int                   `json:"min_bits"`
	KeyType   string                `json:"key_type"`
	Selectors []SelectorRequirement `json:"selectors"`
}

// GeneratedBits is the size of the RSA keys generated for the domain: the
// smallest of 2048, 3072 and 4096 that is at least MinBits (0 for
// Ed25519 keys).
func (d DKIMRequirements) GeneratedBits() int {
	switch {
	case d.KeyType == dkimkey.AlgEd25519:
		return 0
	case d.MinBits <= dkimkey.DefaultRSABits:
		return dkimkey.DefaultRSABits
	case d.MinBits <= 3072:
		return 3072
	}
	return 4096
}

// SelectorRequirement is a selector one domain must publish.
type SelectorRequirement struct {
	Selector string `json:"selector"`
	// CNAME is where the selector must point, for this domain; empty when
	// the key is published at the selector itself.
	CNAME string `json:"cname,omitempty"`
	// Key is the pinned public key (nil when any key of the right size
	// will do); Record its DKIM record.
	Key    crypto.PublicKey `json:"-"`
	Record string           `json:"record,omitempty"`
	// From says where the requirement comes from: "profile" or "tenants".
	From string `json:"from"`
}

// DMARCRequirements are the DMARC requirements of one domain.
type DMARCRequirements struct {
	Policy          dmarc.Policy `json:"policy,omitempty"`
	SubdomainPolicy dmarc.Policy `json:"subdomain_policy,omitempty"`
	RUA             []string     `json:"rua,omitempty"`
	RUF             []string     `json:"ruf,omitempty"`
	FO              string       `json:"fo,omitempty"`
	AllowTesting    bool         `json:"allow_testing"`
	ADKIMStrict     bool         `json:"adkim_strict,omitempty"`
	ASPFStrict      bool         `json:"aspf_strict,omitempty"`
	// GenerateRUF and GenerateFO go into generated records only.
	GenerateRUF []string `json:"generate_ruf,omitempty"`
	GenerateFO  string   `json:"generate_fo,omitempty"`
}

// WaiverState is a waiver and whether it has expired.
type WaiverState struct {
	Waiver
	Expired bool `json:"expired"`
}

// Level returns the level of a requirement for this domain (Off for an
// unknown name).
func (r *Requirements) Level(name string) Level {
	if l, ok := r.levels[name]; ok {
		return l
	}
	return Off
}

// Enabled reports whether a requirement applies (its level is not off).
func (r *Requirements) Enabled(name string) bool { return r.Level(name) != Off }

// Waived returns the waiver in force for a requirement, or nil.
func (r *Requirements) Waived(name string) *WaiverState {
	code := "profile." + name
	for i := range r.Waivers {
		if w := &r.Waivers[i]; w.Code == code && !w.Expired {
			return w
		}
	}
	return nil
}

// Selectors returns the names of the DKIM selectors required.
func (r *Requirements) Selectors() []string {
	out := make([]string, len(r.DKIM.Selectors))
	for i, s := range r.DKIM.Selectors {
		out[i] = s.Selector
	}
	return out
}

// For returns the requirements of domain: the profile, with the overrides
// of the domain's entry in t (nil when there are no tenants, or the domain
// is in no tenant's list) applied. A waiver has expired when its date is
// before now's date (a waiver holds through its expiry day, UTC).
func (p *Profile) For(domain string, t *Tenants, now time.Time) (*Requirements, error) {
	d, err := dns.NormalizeName(domain)
	if err != nil {
		return nil, err
	}
	r := &Requirements{Profile: p.Name, ProfileFile: p.File, Domain: d, TTL: p.TTL, levels: map[string]Level{}}
	if r.TTL == 0 {
		r.TTL = 3600
	}
	entry := t.Lookup(d)
	var o Override
	if entry != nil {
		r.Tenant = entry.Tenant.ID
		o = entry.Override
	}

	// Levels: levels key, else the section's level, else the default. A
	// section the profile leaves out is off, except spf, dkim and dmarc,
	// whose requirements are off when they require nothing.
	section := map[string]Level{"spf": p.SPF.Level, "dkim": p.DKIM.Level, "dmarc": p.DMARC.Level}
	present := map[string]bool{"spf": true, "dkim": true, "dmarc": true}
	if p.MX != nil {
		section["mx"], present["mx"] = p.MX.Level, len(p.MX.Hosts) > 0
	}
	if p.MTA != nil {
		section["mta_sts"], present["mta_sts"] = p.MTA.Level, true
	}
	if p.TLS != nil {
		section["tls_rpt"], present["tls_rpt"] = p.TLS.Level, true
	}
	if p.BIMI != nil {
		section["bimi"], present["bimi"] = p.BIMI.Level, true
	}
	for _, q := range requirements {
		l := q.def
		if s := section[q.section]; s != LevelDefault {
			l = s
		}
		if !present[q.section] {
			l = Off
		}
		r.levels[q.name] = l
	}
	for _, lr := range p.Levels {
		r.levels[lr.Requirement] = lr.Level
	}

	// SPF.
	r.SPF.Include = append([]string(nil), p.SPF.Include...)
	if o.SPF != nil {
		for _, inc := range o.SPF.Include {
			r.SPF.Include = appendNew(r.SPF.Include, inc)
		}
	}
	r.SPF.Optional = append([]string(nil), p.SPF.OptionalInclude...)
	for _, l := range [][]string{r.SPF.Include, r.SPF.Optional, p.SPF.Protect} {
		for _, inc := range l {
			r.SPF.Protected = appendNew(r.SPF.Protected, inc)
		}
	}
	r.SPF.All, r.SPF.Generate = p.SPF.All, p.SPF.All
	if r.SPF.Generate == "" {
		r.SPF.Generate = "-all"
	}
	r.SPF.Budget = p.SPF.LookupBudget
	if len(r.SPF.Include) == 0 {
		for _, n := range []string{"spf-include", "spf-budget"} {
			r.levels[n] = Off
		}
		if r.SPF.All == "" {
			r.levels["spf-all"] = Off
			r.levels["spf-record"] = Off
		}
	}
	if r.SPF.Budget == 0 {
		r.levels["spf-budget"] = Off
	}

	// DKIM: the profile's selectors, each possibly pinned by the tenant,
	// then the tenant's extra ones.
	r.DKIM.MinBits, r.DKIM.KeyType = p.DKIM.MinBits, p.DKIM.KeyType
	if r.DKIM.MinBits == 0 {
		r.DKIM.MinBits = 2048
	}
	if r.DKIM.KeyType == "" {
		r.DKIM.KeyType = "rsa"
	}
	var extra []Selector
	if o.DKIM != nil {
		extra = o.DKIM.Selectors
	}
	used := map[string]bool{}
	add := func(s Selector, from string) error {
		req := SelectorRequirement{Selector: s.Selector, Key: s.pub, Record: s.keyText, From: from}
		if s.CNAME != "" {
			c, err := expandCNAME(s.CNAME, s.Selector, d)
			if err != nil {
				return err
			}
			req.CNAME = c
		}
		r.DKIM.Selectors = append(r.DKIM.Selectors, req)
		return nil
	}
	for _, s := range p.DKIM.Selectors {
		from := "profile"
		for _, e := range extra {
			if e.Selector == s.Selector {
				s, from = e, "tenants"
				used[e.Selector] = true
			}
		}
		if err := add(s, from); err != nil {
			return nil, err
		}
	}
	for _, e := range extra {
		if !used[e.Selector] {
			if err := add(e, "tenants"); err != nil {
				return nil, err
			}
		}
	}
	if len(r.DKIM.Selectors) == 0 {
		for _, n := range []string{"dkim-selector", "dkim-cname", "dkim-key", "dkim-key-size"} {
			r.levels[n] = Off
		}
	}

	// DMARC: the profile's, made stricter by the tenant's.
	m := p.DMARC
	r.DMARC = DMARCRequirements{
		Policy: dmarc.Policy(m.Policy), SubdomainPolicy: dmarc.Policy(m.SubdomainPolicy),
		RUA: m.RUA, RUF: m.RUF, FO: m.FO,
		AllowTesting: m.AllowTesting == nil || *m.AllowTesting,
		ADKIMStrict:  m.ADKIM == "strict", ASPFStrict: m.ASPF == "strict",
		GenerateRUF: m.Generate.RUF, GenerateFO: m.Generate.FO,
	}
	if od := o.DMARC; od != nil {
		if od.Policy != "" {
			r.DMARC.Policy = dmarc.Policy(od.Policy)
		}
		if od.SubdomainPolicy != "" {
			r.DMARC.SubdomainPolicy = dmarc.Policy(od.SubdomainPolicy)
		}
		r.DMARC.ADKIMStrict = r.DMARC.ADKIMStrict || od.ADKIM == "strict"
		r.DMARC.ASPFStrict = r.DMARC.ASPFStrict || od.ASPF == "strict"
	}
	dm := &r.DMARC
	for _, x := range []struct {
		name string
		off  bool
	}{
		{"dmarc-policy", dm.Policy == ""},
		{"dmarc-subdomain-policy", dm.SubdomainPolicy == ""},
		{"dmarc-rua", len(dm.RUA) == 0},
		{"dmarc-ruf", len(dm.RUF) == 0},
		{"dmarc-fo", dm.FO == ""},
		{"dmarc-testing", dm.AllowTesting},
		{"dmarc-alignment", !dm.ADKIMStrict && !dm.ASPFStrict},
	} {
		if x.off {
			r.levels[x.name] = Off
		}
	}
	if r.levels["dmarc-policy"] == Off && r.levels["dmarc-subdomain-policy"] == Off && r.levels["dmarc-rua"] == Off &&
		r.levels["dmarc-ruf"] == Off && r.levels["dmarc-fo"] == Off && r.levels["dmarc-testing"] == Off && r.levels["dmarc-alignment"] == Off &&
		p.DMARC.Level == LevelDefault {
		r.levels["dmarc-record"] = Off
	}

	if p.MX != nil {
		r.MX = p.MX.Hosts
	}
	if p.TLS != nil {
		r.TLSRPT = p.TLS.RUA
	}
	r.BIMISelector = "default"
	if p.BIMI != nil && p.BIMI.Selector != "" {
		r.BIMISelector = p.BIMI.Selector
	}

	// Findings policy: the profile's, then the domain's, then its waivers.
	pol := finding.Policy{Ignore: append(p.Ignore.Codes(), o.Ignore.Codes()...)}
	for _, sm := range []SeverityMap{p.Severity, o.Severity} {
		for _, s := range sm {
			if pol.Severity == nil {
				pol.Severity = map[string]finding.Severity{}
			}
			pol.Severity[s.Code] = s.Severity
		}
	}
	today := now.UTC().Format("2006-01-02")
	for _, w := range o.Waivers {
		ws := WaiverState{Waiver: w, Expired: w.Expires.String() < today}
		r.Waivers = append(r.Waivers, ws)
		if !ws.Expired {
			if pol.Waive == nil {
				pol.Waive = map[string]string{}
			}
			pol.Waive[w.Code] = fmt.Sprintf("until %s: %s", w.Expires, w.Reason)
		}
	}
	r.Policy = pol
	return r, nil
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
