package profile

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// Tenants is a tenants file: each tenant's domains, in the file's order,
// with what each domain does differently from the profile.
type Tenants struct {
	File    string    `json:"file"`
	Tenants []*Tenant `json:"tenants"`

	byDomain map[string]*Domain
	byID     map[string]*Tenant
}

// Tenant is one tenant of the platform.
type Tenant struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Domains []*Domain `json:"domains"`
	Line    int       `json:"-"`
}

// Domain is one of a tenant's domains and its overrides.
type Domain struct {
	// Domain is the name in A-label form.
	Domain   string   `json:"domain"`
	Tenant   *Tenant  `json:"-"`
	Override Override `json:"override"`
	Line     int      `json:"-"`
}

// Override is what a domain does differently from the profile: more
// includes or selectors (a selector the profile names gets its key pinned
// here), a stricter DMARC policy, codes ignored or with another severity,
// requirements waived for a time.
type Override struct {
	SPF      *OverrideSPF   `yaml:"spf" json:"spf,omitempty"`
	DKIM     *OverrideDKIM  `yaml:"dkim" json:"dkim,omitempty"`
	DMARC    *OverrideDMARC `yaml:"dmarc" json:"dmarc,omitempty"`
	Ignore   CodeList       `yaml:"ignore" json:"-"`
	Severity SeverityMap    `yaml:"severity" json:"-"`
	Waivers  []Waiver       `yaml:"waivers" json:"waivers,omitempty"`
}

// OverrideSPF adds required includes.
type OverrideSPF struct {
	Include []string `yaml:"include" json:"include,omitempty"`
	Line    int      `yaml:"-" json:"-"`
}

// OverrideDKIM adds selectors, or pins the key of the profile's.
type OverrideDKIM struct {
	Selectors []Selector `yaml:"selectors" json:"selectors,omitempty"`
}

// OverrideDMARC makes the DMARC requirements stricter.
type OverrideDMARC struct {
	Policy          string         `yaml:"policy" json:"policy,omitempty"`
	SubdomainPolicy string         `yaml:"subdomain_policy" json:"subdomain_policy,omitempty"`
	ADKIM           string         `yaml:"adkim" json:"adkim,omitempty"`
	ASPF            string         `yaml:"aspf" json:"aspf,omitempty"`
	Line            int            `yaml:"-" json:"-"`
	Lines           map[string]int `yaml:"-" json:"-"`
}

// Waiver suspends a requirement (or any finding code) for a domain until a
// date, for a reason.
type Waiver struct {
	// Code is the code waived: "profile.dmarc-policy", or a requirement's
	// name ("dmarc-policy"), or any check's code.
	Code    string         `yaml:"code" json:"code"`
	Reason  string         `yaml:"reason" json:"reason"`
	Expires Date           `yaml:"expires" json:"expires"`
	Line    int            `yaml:"-" json:"-"`
	Lines   map[string]int `yaml:"-" json:"-"`
}

// tenantsFile is the file's top level.
type tenantsFile struct {
	Tenants tenantList `yaml:"tenants"`
}

type tenantList []*Tenant

func (l *tenantList) decodeNode(d *decoder, n *yaml.Node, key string) error {
	pairs, err := d.mappingPairs(n, key)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		k, v := p[0], p[1]
		id := strings.TrimSpace(k.Value)
		if id == "" || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return d.errf(k, key, "%q is not a tenant id: an id has no spaces or control characters", k.Value)
		}
		t := &Tenant{ID: id, Line: k.Line}
		var body struct {
			Name    string     `yaml:"name"`
			Domains domainList `yaml:"domains"`
		}
		if err := d.decode(v, reflect.ValueOf(&body).Elem(), join(key, id)); err != nil {
			return err
		}
		t.Name = body.Name
		t.Domains = body.Domains
		for _, dm := range t.Domains {
			dm.Tenant = t
		}
		*l = append(*l, t)
	}
	return nil
}

type domainList []*Domain

func (l *domainList) decodeNode(d *decoder, n *yaml.Node, key string) error {
	if n.Kind == yaml.SequenceNode {
		// A plain list of domains, without overrides.
		for _, c := range n.Content {
			c = resolve(c)
			if c.Kind != yaml.ScalarNode {
				return d.errf(c, key, "want a domain name, got %s", kindName(c))
			}
			dm, err := newDomain(d, c, key)
			if err != nil {
				return err
			}
			*l = append(*l, dm)
		}
		return nil
	}
	pairs, err := d.mappingPairs(n, key)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		dm, err := newDomain(d, p[0], key)
		if err != nil {
			return err
		}
		if err := d.decode(p[1], reflect.ValueOf(&dm.Override).Elem(), join(key, dm.Domain)); err != nil {
			return err
		}
		*l = append(*l, dm)
	}
	return nil
}

func newDomain(d *decoder, k *yaml.Node, key string) (*Domain, error) {
	name, err := dns.NormalizeName(strings.TrimSpace(k.Value))
	if err != nil {
		return nil, d.errf(k, key, "%q is not a domain name: %v", k.Value, strings.TrimPrefix(err.Error(), "dns: "))
	}
	return &Domain{Domain: name, Line: k.Line}, nil
}

// LoadTenants reads and validates a tenants file against the profile p (an
// override may only make a requirement stricter). p may be nil.
func LoadTenants(file string, p *Profile, opts LoadOptions) (*Tenants, error) {
	root, err := readYAML(file)
	if err != nil {
		return nil, err
	}
	return parseTenants(file, root, p, opts)
}

// ParseTenants reads a tenants file from data.
func ParseTenants(file string, data []byte, p *Profile, opts LoadOptions) (*Tenants, error) {
	root, err := parseYAML(file, data)
	if err != nil {
		return nil, err
	}
	return parseTenants(file, root, p, opts)
}

func parseTenants(file string, root *yaml.Node, p *Profile, opts LoadOptions) (*Tenants, error) {
	d := &decoder{file: file}
	var tf tenantsFile
	if err := d.decode(root, reflect.ValueOf(&tf).Elem(), ""); err != nil {
		return nil, err
	}
	t := &Tenants{File: file, Tenants: tf.Tenants, byDomain: map[string]*Domain{}, byID: map[string]*Tenant{}}
	if len(t.Tenants) == 0 {
		return nil, &Error{File: file, Msg: "no tenants", Hint: "the file holds a \"tenants:\" mapping of tenant ids to their domains; see docs/profiles.md"}
	}
	for _, tn := range t.Tenants {
		t.byID[tn.ID] = tn
		for _, dm := range tn.Domains {
			if prev, dup := t.byDomain[dm.Domain]; dup {
				e := d.at(dm.Line, "tenants."+tn.ID+".domains", "the domain %s is claimed by tenant %q and, on line %d, by tenant %q", dm.Domain, tn.ID, prev.Line, prev.Tenant.ID)
				e.Hint = "a domain belongs to one tenant: remove it from one of them"
				return nil, e
			}
			t.byDomain[dm.Domain] = dm
			if err := dm.validate(d, "tenants."+tn.ID+".domains."+dm.Domain, p, opts); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

func (dm *Domain) validate(d *decoder, key string, p *Profile, opts LoadOptions) error {
	o := &dm.Override
	if o.SPF != nil {
		for i, inc := range o.SPF.Include {
			n := dns.CanonicalName(strings.TrimPrefix(strings.TrimSpace(inc), "include:"))
			if err := dns.CheckName(n); err != nil {
				return d.at(o.SPF.Line, key+".spf.include", "%q is not a domain name", inc)
			}
			o.SPF.Include[i] = n
		}
	}
	if o.DKIM != nil {
		if err := validateSelectors(d, key+".dkim.selectors", o.DKIM.Selectors, false); err != nil {
			return err
		}
	}
	if m := o.DMARC; m != nil {
		for _, x := range []struct {
			name string
			v    *string
			base string
		}{{"policy", &m.Policy, profileDMARC(p).Policy}, {"subdomain_policy", &m.SubdomainPolicy, profileDMARC(p).SubdomainPolicy}} {
			if *x.v == "" {
				continue
			}
			pol, ok := dmarc.ParsePolicy(*x.v)
			if !ok {
				return d.at(lineOf(m.Lines, x.name, m.Line), key+".dmarc."+x.name, "%q is not a policy: want none, quarantine or reject", *x.v)
			}
			if b, _ := dmarc.ParsePolicy(x.base); pol.Strength() < b.Strength() {
				e := d.at(lineOf(m.Lines, x.name, m.Line), key+".dmarc."+x.name, "%s is weaker than the profile's %s", pol, b)
				e.Hint = "an override can only make a requirement stricter; to relax one for a time, add a waiver with a reason and an expiry date"
				return e
			}
			*x.v = string(pol)
		}
		for _, x := range []struct {
			name string
			v    *string
		}{{"adkim", &m.ADKIM}, {"aspf", &m.ASPF}} {
			switch strings.ToLower(*x.v) {
			case "":
			case "s", "strict":
				*x.v = "strict"
			default:
				e := d.at(lineOf(m.Lines, x.name, m.Line), key+".dmarc."+x.name, "%q: an override can only require strict alignment", *x.v)
				e.Hint = "write strict, or leave the key out"
				return e
			}
		}
	}
	if err := validateCodes(d, key+".ignore", o.Ignore, opts); err != nil {
		return err
	}
	if err := validateSeverity(d, key+".severity", o.Severity, opts); err != nil {
		return err
	}
	for i := range o.Waivers {
		w := &o.Waivers[i]
		k := fmt.Sprintf("%s.waivers[%d]", key, i)
		w.Code = strings.ToLower(strings.TrimSpace(w.Code))
		if _, ok := requirementByName(w.Code); ok {
			w.Code = "profile." + w.Code
		}
		switch {
		case w.Code == "":
			return d.at(w.Line, k+".code", "missing: a waiver names the code (or requirement) it waives")
		case strings.TrimSpace(w.Reason) == "":
			e := d.at(w.Line, k+".reason", "missing: a waiver says why")
			e.Hint = "add reason: \"...\" (who agreed, and why)"
			return e
		case w.Expires.IsZero():
			e := d.at(w.Line, k+".expires", "missing: a waiver has an end")
			e.Hint = "add expires: YYYY-MM-DD; an expired waiver is reported"
			return e
		}
		if opts.Codes != nil {
			if err := validateCodes(d, k+".code", CodeList{{Code: w.Code, Line: lineOf(w.Lines, "code", w.Line)}}, opts); err != nil {
				return err
			}
		}
	}
	return nil
}

func profileDMARC(p *Profile) DMARC {
	if p == nil {
		return DMARC{}
	}
	return p.DMARC
}

// Lookup returns the entry of a domain (any case, U- or A-labels), or nil.
func (t *Tenants) Lookup(domain string) *Domain {
	if t == nil {
		return nil
	}
	n, err := dns.NormalizeName(domain)
	if err != nil {
		return nil
	}
	return t.byDomain[n]
}

// Tenant returns the tenant with the id, or nil.
func (t *Tenants) Tenant(id string) *Tenant {
	if t == nil {
		return nil
	}
	return t.byID[id]
}

// IDs returns the tenant ids in the file's order.
func (t *Tenants) IDs() []string {
	var out []string
	for _, tn := range t.Tenants {
		out = append(out, tn.ID)
	}
	return out
}
