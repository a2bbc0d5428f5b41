package profile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/tlsrpt"
)

// maxFile bounds a profile or tenants file read (a platform with a hundred
// thousand tenants still fits).
const maxFile = 64 << 20

// LoadOptions tune Load and LoadTenants.
type LoadOptions struct {
	// Codes are every finding code the checks can emit: the codes of
	// ignore, severity and waivers are checked against them (an unknown
	// one is an error naming the nearest). Nil skips that check.
	Codes []string
}

// Load reads and validates a profile file.
func Load(file string, opts LoadOptions) (*Profile, error) {
	root, err := readYAML(file)
	if err != nil {
		return nil, err
	}
	return parseProfile(file, root, opts)
}

// LoadKey reads the profile held under key in a YAML file (the config
// file's "profile:" mapping), with the file's own line numbers.
func LoadKey(file, key string, opts LoadOptions) (*Profile, error) {
	root, err := readYAML(file)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: file}
	pairs, err := d.mappingPairs(root, "")
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		if p[0].Value == key {
			return parseProfile(file, p[1], opts)
		}
	}
	return nil, &Error{File: file, Msg: fmt.Sprintf("no %q key", key)}
}

// Parse reads a profile from data; file names it in errors and locates the
// key files it names.
func Parse(file string, data []byte, opts LoadOptions) (*Profile, error) {
	root, err := parseYAML(file, data)
	if err != nil {
		return nil, err
	}
	return parseProfile(file, root, opts)
}

func readYAML(file string) (*yaml.Node, error) {
	f, err := os.Open(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, &Error{File: file, Msg: pe.Err.Error(), Err: pe.Err}
		}
		return nil, &Error{File: file, Msg: err.Error(), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, &Error{File: file, Msg: err.Error()}
	}
	if len(data) > maxFile {
		return nil, &Error{File: file, Msg: fmt.Sprintf("the file is larger than %d MiB", maxFile>>20)}
	}
	return parseYAML(file, data)
}

func parseYAML(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "yaml: "); i >= 0 {
			msg = msg[i+len("yaml: "):]
		}
		line := 0
		if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
			msg = strings.TrimSpace(msg[strings.IndexByte(msg, ':')+1:])
		}
		return nil, &Error{File: file, Line: line, Msg: "malformed YAML: " + msg, Hint: "the file is YAML; see docs/profiles.md for a complete example"}
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Msg: "the file is empty"}
	}
	return doc.Content[0], nil
}

func parseProfile(file string, root *yaml.Node, opts LoadOptions) (*Profile, error) {
	d := &decoder{file: file}
	p := &Profile{File: file}
	if err := d.decode(root, reflect.ValueOf(p).Elem(), ""); err != nil {
		return nil, err
	}
	if err := p.validate(d, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// at returns an error at a line.
func (d *decoder) at(line int, key, format string, args ...any) *Error {
	return &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (p *Profile) validate(d *decoder, opts LoadOptions) error {
	if p.TTL != 0 && (p.TTL < 60 || p.TTL > 604800) {
		return d.at(lineOf(p.Lines, "ttl", 0), "ttl", "%d is out of range: want 60 to 604800 seconds", p.TTL)
	}
	s := &p.SPF
	for _, list := range []struct {
		key string
		v   []string
	}{{"include", s.Include}, {"optional_include", s.OptionalInclude}, {"protect", s.Protect}} {
		for i, inc := range list.v {
			n := dns.CanonicalName(strings.TrimPrefix(strings.TrimSpace(inc), "include:"))
			if err := dns.CheckName(n); err != nil {
				return d.at(lineOf(s.Lines, list.key, s.Line), "spf."+list.key, "%q is not a domain name: %v", inc, strings.TrimPrefix(err.Error(), "dns: "))
			}
			list.v[i] = n
		}
	}
	switch s.All {
	case "", "-all", "~all":
	default:
		e := d.at(lineOf(s.Lines, "all", s.Line), "spf.all", "%q: want -all or ~all", s.All)
		e.Hint = "spf.all is the strongest all the platform allows; ?all and +all are never allowed"
		return e
	}
	if s.LookupBudget < 0 || s.LookupBudget > 9 {
		return d.at(lineOf(s.Lines, "lookup_budget", s.Line), "spf.lookup_budget", "%d is out of range: want 0 to 9 of the 10 lookups", s.LookupBudget)
	}
	k := &p.DKIM
	if k.MinBits != 0 && (k.MinBits < 1024 || k.MinBits > 8192) {
		return d.at(lineOf(k.Lines, "min_bits", 0), "dkim.min_bits", "%d is out of range: want 1024 to 8192 (2048 is the usual minimum)", k.MinBits)
	}
	switch strings.ToLower(k.KeyType) {
	case "", dkimkey.AlgRSA, dkimkey.AlgEd25519:
		k.KeyType = strings.ToLower(k.KeyType)
	default:
		return d.at(lineOf(k.Lines, "key_type", 0), "dkim.key_type", "%q: want rsa or ed25519", k.KeyType)
	}
	for _, x := range []struct {
		key string
		v   string
		out *time.Duration
	}{{"max_key_age", k.MaxKeyAge, &k.maxKeyAge}, {"rotation_grace", k.RotationGrace, &k.rotationGrace}} {
		if x.v == "" {
			continue
		}
		dur, err := dkimkey.ParseAge(x.v)
		if err != nil {
			e := d.at(lineOf(k.Lines, x.key, 0), "dkim."+x.key, "%q is not a duration", x.v)
			e.Hint = "write days (180d), weeks (26w) or hours (4320h)"
			return e
		}
		*x.out = dur
	}
	if err := validateSelectors(d, "dkim.selectors", k.Selectors, true); err != nil {
		return err
	}
	m := &p.DMARC
	for _, x := range []struct {
		key string
		v   *string
	}{{"policy", &m.Policy}, {"subdomain_policy", &m.SubdomainPolicy}} {
		if *x.v == "" {
			continue
		}
		pol, ok := dmarc.ParsePolicy(*x.v)
		if !ok {
			return d.at(lineOf(m.Lines, x.key, m.Line), "dmarc."+x.key, "%q is not a policy: want none, quarantine or reject", *x.v)
		}
		*x.v = string(pol)
	}
	for _, x := range []struct {
		key  string
		line int
		v    []string
	}{{"dmarc.rua", lineOf(m.Lines, "rua", m.Line), m.RUA}, {"dmarc.ruf", lineOf(m.Lines, "ruf", m.Line), m.RUF}, {"dmarc.generate.ruf", lineOf(m.Generate.Lines, "ruf", m.Line), m.Generate.RUF}} {
		if err := validateURIs(d, x.line, x.key, x.v); err != nil {
			return err
		}
	}
	for _, x := range []struct {
		key  string
		line int
		v    *string
	}{{"dmarc.fo", lineOf(m.Lines, "fo", m.Line), &m.FO}, {"dmarc.generate.fo", lineOf(m.Generate.Lines, "fo", m.Line), &m.Generate.FO}} {
		if err := validateFO(d, x.line, x.key, x.v); err != nil {
			return err
		}
	}
	for _, x := range []struct {
		key string
		v   *string
	}{{"adkim", &m.ADKIM}, {"aspf", &m.ASPF}} {
		switch strings.ToLower(*x.v) {
		case "":
		case "s", "strict":
			*x.v = "strict"
		case "r", "relaxed":
			*x.v = "relaxed"
		default:
			return d.at(lineOf(m.Lines, x.key, m.Line), "dmarc."+x.key, "%q: want strict or relaxed", *x.v)
		}
	}
	if p.MX != nil {
		for i := range p.MX.Hosts {
			h := &p.MX.Hosts[i]
			n := dns.CanonicalName(strings.TrimSpace(h.Host))
			if err := dns.CheckName(n); err != nil {
				return d.at(lineOf(h.Lines, "host", h.Line), fmt.Sprintf("mx.hosts[%d].host", i), "%q is not a host name: %v", h.Host, strings.TrimPrefix(err.Error(), "dns: "))
			}
			if h.Preference < 0 || h.Preference > 65535 {
				return d.at(lineOf(h.Lines, "preference", h.Line), fmt.Sprintf("mx.hosts[%d].preference", i), "%d is out of range: want 0 to 65535", h.Preference)
			}
			h.Host = n
		}
	}
	if p.TLS != nil {
		for _, u := range p.TLS.RUA {
			if _, err := tlsrpt.ParseRecord("v=TLSRPTv1; rua=" + u); err != nil {
				return d.at(lineOf(p.TLS.Lines, "rua", 0), "tls_rpt.rua", "%q is not a TLS-RPT destination (mailto: or https:): %v", u, strings.TrimPrefix(err.Error(), "tlsrpt: "))
			}
		}
	}
	if p.BIMI != nil && p.BIMI.Selector != "" {
		if err := dkimkey.CheckSelectorName(p.BIMI.Selector, "example.com"); err != nil {
			return d.at(lineOf(p.BIMI.Lines, "selector", 0), "bimi.selector", "%q is not a selector", p.BIMI.Selector)
		}
	}
	if err := validateCodes(d, "ignore", p.Ignore, opts); err != nil {
		return err
	}
	return validateSeverity(d, "severity", p.Severity, opts)
}

func validateSelectors(d *decoder, key string, sels []Selector, named bool) error {
	seen := map[string]int{}
	for i := range sels {
		s := &sels[i]
		k := fmt.Sprintf("%s[%d]", key, i)
		name := strings.ToLower(strings.TrimSpace(s.Selector))
		if name == "" {
			return d.at(s.Line, k+".selector", "missing: every entry names its selector")
		}
		if err := dkimkey.CheckSelectorName(name, "example.com"); err != nil {
			return d.at(lineOf(s.Lines, "selector", s.Line), k+".selector", "%v", strings.TrimPrefix(err.Error(), "dkimkey: "))
		}
		if prev, dup := seen[name]; dup {
			return d.at(s.Line, k+".selector", "selector %q given twice (first on line %d)", name, prev)
		}
		seen[name] = s.Line
		s.Selector = name
		set := 0
		for _, v := range []string{s.Key, s.KeyFile, s.CNAME} {
			if v != "" {
				set++
			}
		}
		if set > 1 {
			return d.at(s.Line, k, "give one of key, key_file and cname: a selector's key is either pinned here or hosted by the platform")
		}
		switch {
		case s.Key != "":
			pub, err := parsePublicKey(s.Key)
			if err != nil {
				return d.at(lineOf(s.Lines, "key", s.Line), k+".key", "%v", err)
			}
			s.pub = pub
		case s.KeyFile != "":
			pub, err := readKeyFile(d.file, s.KeyFile)
			if err != nil {
				return d.at(lineOf(s.Lines, "key_file", s.Line), k+".key_file", "%v", err)
			}
			s.pub = pub
		case s.CNAME != "":
			if _, err := expandCNAME(s.CNAME, name, "tenant.example"); err != nil {
				return d.at(lineOf(s.Lines, "cname", s.Line), k+".cname", "%v", err)
			}
		}
		if s.pub != nil {
			rec, err := keyRecord(s.pub)
			if err != nil {
				return d.at(s.Line, k, "%v", err)
			}
			s.keyText = rec
		}
	}
	return nil
}

// expandCNAME fills a CNAME pattern's {selector} and {domain}.
func expandCNAME(pattern, selector, domain string) (string, error) {
	out := strings.NewReplacer("{selector}", selector, "{domain}", domain).Replace(strings.TrimSpace(pattern))
	if i := strings.IndexAny(out, "{}"); i >= 0 {
		return "", fmt.Errorf("%q has an unknown placeholder; the pattern may use {selector} and {domain}", pattern)
	}
	n := dns.CanonicalName(out)
	if err := dns.CheckName(n); err != nil {
		return "", fmt.Errorf("%q does not make a domain name: %v", pattern, strings.TrimPrefix(err.Error(), "dns: "))
	}
	return n, nil
}

func validateURIs(d *decoder, line int, key string, uris []string) error {
	for i, u := range uris {
		raw := strings.TrimSpace(u)
		if !strings.Contains(raw, ":") && strings.Contains(raw, "@") {
			raw = "mailto:" + raw
		}
		pu, err := dmarc.ParseURI(raw)
		if err != nil || pu.Scheme != "mailto" {
			return d.at(line, key, "%q is not a report address: want mailto:address", u)
		}
		uris[i] = raw
	}
	return nil
}

func validateFO(d *decoder, line int, key string, fo *string) error {
	if *fo == "" {
		return nil
	}
	v := strings.ToLower(strings.ReplaceAll(*fo, " ", ""))
	for _, o := range strings.Split(v, ":") {
		if o != "0" && o != "1" && o != "d" && o != "s" {
			return d.at(line, key, "%q: want 0, 1, d or s, or a colon-separated list of them", *fo)
		}
	}
	*fo = v
	return nil
}

// codeError is an unknown code at its line, with the nearest known ones.
func codeError(d *decoder, line int, key string, err error) error {
	e := d.at(line, key, "%v", strings.TrimPrefix(err.Error(), "finding: "))
	var ue *finding.UnknownCodeError
	if errors.As(err, &ue) {
		e.Msg = fmt.Sprintf("unknown finding code %q", ue.Code)
		if len(ue.Near) > 0 {
			e.Hint = fmt.Sprintf("did you mean %q? `emailauth explain` lists every code", ue.Near[0])
		} else {
			e.Hint = "`emailauth explain` lists every code; CHECK.* names every code of a check"
		}
	}
	return e
}

func validateCodes(d *decoder, key string, codes CodeList, opts LoadOptions) error {
	for _, c := range codes {
		if c.Code == "" {
			return d.at(c.Line, key, "an empty code")
		}
		if opts.Codes != nil {
			if err := finding.CheckCode(c.Code, opts.Codes); err != nil {
				return codeError(d, c.Line, key, err)
			}
		}
	}
	return nil
}

func validateSeverity(d *decoder, key string, rules SeverityMap, opts LoadOptions) error {
	for _, r := range rules {
		if opts.Codes != nil {
			if err := finding.CheckCode(r.Code, opts.Codes); err != nil || strings.HasSuffix(r.Code, ".*") {
				if err == nil {
					err = fmt.Errorf("a severity is set per code, not for a whole check (%s)", r.Code)
				}
				return codeError(d, r.Line, join(key, r.Code), err)
			}
		}
	}
	return nil
}
