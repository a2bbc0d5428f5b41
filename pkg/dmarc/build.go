package dmarc

import (
	"context"
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// DefaultTTL is the TTL of the zone lines Build writes when
// BuildOptions.TTL is zero.
const DefaultTTL = 3600

// BuildOptions describe a record to build. Empty fields take the defaults
// (which are then left out of the record).
type BuildOptions struct {
	// Domain is the domain the record is for; optional (the zone line
	// then uses the relative owner name "_dmarc").
	Domain          string
	Policy          string // p: none, quarantine, reject (required)
	SubdomainPolicy string // sp
	NP              string // np
	RUA             []string
	RUF             []string
	ADKIM           string // r or s
	ASPF            string // r or s
	FO              string // 0, 1, d, s or a colon-separated list
	Testing         bool   // t=y
	PSD             string // y, n or u
	// TTL is the TTL of the zone lines (DefaultTTL when zero).
	TTL uint32
}

// Authorization is a record a destination's domain must publish.
type Authorization struct {
	Destination string `json:"destination"`
	Name        string `json:"name"`
	Value       string `json:"value"`
	ZoneLine    string `json:"zone_line"`
	// Maybe is true when Domain was not given, so emailauth cannot tell
	// whether the destination is external: the record is needed only if
	// it is.
	Maybe bool `json:"maybe,omitempty"`
	// Status is what DNS says, once BuildResult.CheckDestinations has
	// run: AuthAuthorized (published), AuthMissing or AuthTempError;
	// empty when not checked.
	Status string `json:"status,omitempty"`
}

// BuildResult is a built record.
type BuildResult struct {
	// Domain is the domain the record is for (A-labels); empty when
	// BuildOptions.Domain was.
	Domain   string  `json:"domain,omitempty"`
	Name     string  `json:"name"`
	Record   string  `json:"record"`
	ZoneLine string  `json:"zone_line"`
	Parsed   *Record `json:"parsed"`
	// Authorizations are the records external destinations must publish.
	Authorizations []Authorization `json:"authorizations"`
	// Notes are advice about the choices made (p=none, t=y, ...).
	Notes []string `json:"notes"`
	// Destinations, Findings, Incomplete and Errors are what
	// CheckDestinations found in DNS about the report destinations (the
	// findings are those Check would give the published record); empty
	// when it has not run.
	Destinations []Destination `json:"destinations"`
	Findings     finding.List  `json:"findings"`
	Incomplete   bool          `json:"incomplete"`
	Errors       []string      `json:"errors,omitempty"`

	ttl uint32 // of the zone lines
}

// BuildError is an invalid option; Option names the option ("policy",
// "rua", ...).
type BuildError struct {
	Option string
	Err    error
}

func (e *BuildError) Error() string { return fmt.Sprintf("dmarc: %s: %v", e.Option, e.Err) }
func (e *BuildError) Unwrap() error { return e.Err }

func buildErr(opt, format string, args ...any) error {
	return &BuildError{Option: opt, Err: fmt.Errorf(format, args...)}
}

// Build builds and validates a DMARC record from opts. Only offline checks
// are made: whether a destination is external is judged with the Public
// Suffix List.
func Build(opts BuildOptions) (*BuildResult, error) {
	var tags []string
	p, ok := ParsePolicy(opts.Policy)
	if !ok {
		return nil, buildErr("policy", "%q is not a policy: want none, quarantine or reject", opts.Policy)
	}
	tags = append(tags, "v=DMARC1", "p="+string(p))
	for _, x := range []struct{ opt, tag, val string }{{"subdomain-policy", "sp", opts.SubdomainPolicy}, {"np", "np", opts.NP}} {
		if x.val == "" {
			continue
		}
		v, ok := ParsePolicy(x.val)
		if !ok {
			return nil, buildErr(x.opt, "%q is not a policy: want none, quarantine or reject", x.val)
		}
		tags = append(tags, x.tag+"="+string(v))
	}
	if opts.PSD != "" {
		v := strings.ToLower(opts.PSD)
		if v != "y" && v != "n" && v != "u" {
			return nil, buildErr("psd", "%q: want y, n or u", opts.PSD)
		}
		if v != "u" {
			tags = append(tags, "psd="+v)
		}
	}
	if opts.Testing {
		tags = append(tags, "t=y")
	}
	for _, x := range []struct{ opt, val string }{{"adkim", opts.ADKIM}, {"aspf", opts.ASPF}} {
		if x.val == "" {
			continue
		}
		v := strings.ToLower(x.val)
		if v != "r" && v != "s" {
			return nil, buildErr(x.opt, "%q: want r (relaxed) or s (strict)", x.val)
		}
		if v == "s" {
			tags = append(tags, x.opt+"=s")
		}
	}
	var domain string
	if opts.Domain != "" {
		d, err := NormalizeDomain(opts.Domain)
		if err != nil {
			return nil, &BuildError{Option: "domain", Err: err}
		}
		domain = d
	}
	ttl := opts.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	res := &BuildResult{Domain: domain, Authorizations: []Authorization{}, Notes: []string{}, Destinations: []Destination{}, Findings: finding.List{}, ttl: ttl}
	for _, x := range []struct {
		tag  string
		uris []string
	}{{"rua", opts.RUA}, {"ruf", opts.RUF}} {
		if len(x.uris) == 0 {
			continue
		}
		var parsed []string
		for _, raw := range x.uris {
			raw = strings.TrimSpace(raw)
			if !strings.Contains(raw, ":") && strings.Contains(raw, "@") {
				raw = "mailto:" + raw
			}
			u, err := ParseURI(raw)
			if err != nil {
				return nil, &BuildError{Option: x.tag, Err: err}
			}
			if u.Scheme != "mailto" {
				return nil, buildErr(x.tag, "%q: only mailto: destinations are defined (RFC 9990, RFC 9991)", raw)
			}
			parsed = append(parsed, u.Raw)
			res.addAuthorization(domain, ttl, u)
		}
		tags = append(tags, x.tag+"="+strings.Join(parsed, ","))
	}
	if opts.FO != "" {
		fo := strings.ToLower(strings.ReplaceAll(opts.FO, " ", ""))
		for _, o := range strings.Split(fo, ":") {
			if o != "0" && o != "1" && o != "d" && o != "s" {
				return nil, buildErr("fo", "%q: want 0, 1, d or s, or a colon-separated list of them", opts.FO)
			}
		}
		if len(opts.RUF) == 0 {
			res.Notes = append(res.Notes, "fo only matters with a ruf destination")
		}
		if fo != "0" {
			tags = append(tags, "fo="+fo)
		}
	}
	res.Record = strings.Join(tags, "; ")
	rec, err := Parse(res.Record)
	if err != nil {
		return nil, fmt.Errorf("dmarc: built record does not parse: %w", err)
	}
	if len(rec.Problems) > 0 {
		return nil, fmt.Errorf("dmarc: built record %q is not valid: %s", res.Record, rec.Problems[0].Message)
	}
	res.Parsed = rec
	if domain != "" {
		res.Name = "_dmarc." + domain
		res.ZoneLine = ZoneLine(res.Name+".", ttl, res.Record)
	} else {
		res.Name = "_dmarc"
		res.ZoneLine = ZoneLine("_dmarc", ttl, res.Record)
	}
	if p == PolicyNone {
		res.Notes = append(res.Notes, "p=none only monitors: move to p=quarantine, then p=reject, once the aggregate reports show all your mail passing")
	}
	if len(opts.RUA) == 0 {
		res.Notes = append(res.Notes, "no rua: you will receive no aggregate reports")
	}
	if len(opts.RUA) > 2 {
		res.Notes = append(res.Notes, "more than two rua destinations: some receivers send to the first two only")
	}
	if opts.Testing {
		res.Notes = append(res.Notes, "t=y: receivers apply one step less than p (RFC 9989); RFC 7489 receivers ignore t")
	}
	if len(res.Record) > 255 {
		res.Notes = append(res.Notes, fmt.Sprintf("the record is %d octets: publish it as several character-strings of at most 255 (the zone line does)", len(res.Record)))
	}
	return res, nil
}

func (res *BuildResult) addAuthorization(domain string, ttl uint32, u URI) {
	if u.Domain == "" {
		return
	}
	dest, err := NormalizeDomain(u.Domain)
	if err != nil {
		return
	}
	maybe := domain == ""
	if !maybe {
		o1, o2 := OrgDomain7489(domain), OrgDomain7489(dest)
		if o1 == "" {
			o1 = domain
		}
		if o2 == "" {
			o2 = dest
		}
		if o1 == o2 {
			return
		}
	}
	pd := domain
	if maybe {
		pd = "<your-domain>"
	}
	for _, a := range res.Authorizations {
		if a.Destination == dest {
			return
		}
	}
	name := AuthorizationName(pd, dest)
	res.Authorizations = append(res.Authorizations, Authorization{Destination: dest, Name: name, Value: "v=DMARC1", ZoneLine: ZoneLine(name+".", ttl, "v=DMARC1"), Maybe: maybe})
}

// CheckDestinations checks the built record's report destinations in DNS as
// Check does for a published record: whether each external destination has
// published its authorization record, and whether each destination's domain
// can receive mail. It fills Destinations, Findings, Incomplete and Errors,
// and the Status of each Authorization. Without a Domain it does nothing:
// whether a destination is external depends on the domain. A DNS failure
// makes the result Incomplete (and Status error), never a failure.
func (res *BuildResult) CheckDestinations(ctx context.Context, r dns.Resolver) {
	if res.Domain == "" || res.Parsed == nil {
		return
	}
	cr := &CheckResult{Findings: finding.List{}}
	dsts := CheckDestinations(ctx, r, res.Domain, res.Parsed)
	for _, d := range dsts {
		cr.destinationFindings(d, res.Parsed, res.Name)
		if d.AuthorizationName == "" {
			continue
		}
		dest := strings.TrimPrefix(d.AuthorizationName, res.Domain+"._report._dmarc.")
		i := -1
		for j, a := range res.Authorizations {
			if a.Destination == dest {
				i = j
			}
		}
		if i < 0 {
			// External by the tree walk only (a psd=y boundary the Public
			// Suffix List does not know).
			ttl := res.ttl
			if ttl == 0 {
				ttl = DefaultTTL
			}
			res.Authorizations = append(res.Authorizations, Authorization{Destination: dest, Name: d.AuthorizationName, Value: "v=DMARC1", ZoneLine: ZoneLine(d.AuthorizationName+".", ttl, "v=DMARC1")})
			i = len(res.Authorizations) - 1
		}
		if d.Authorization == AuthAuthorized || d.Authorization == AuthMissing || d.Authorization == AuthTempError {
			res.Authorizations[i].Status = d.Authorization
		}
	}
	res.Destinations = dsts
	finding.Sort(cr.Findings)
	res.Findings, res.Incomplete, res.Errors = cr.Findings, cr.Incomplete, cr.Errors
}

// Status is the verdict on the built record (finding.Judge): fail when
// CheckDestinations found an error (an external destination that has not
// authorized the domain, one that cannot receive mail), error when a DNS
// failure left it unsure, warn for warnings, else pass.
func (res *BuildResult) Status() finding.Status {
	return finding.Judge(res.Findings, !res.Incomplete)
}

// ZoneLine formats a TXT record as a zone-file line with the given TTL,
// splitting the value into character-strings of at most 255 octets and
// escaping quotes and backslashes, and control characters as \DDD.
func ZoneLine(owner string, ttl uint32, value string) string {
	var parts []string
	for len(value) > 255 {
		parts = append(parts, value[:255])
		value = value[255:]
	}
	parts = append(parts, value)
	for i, p := range parts {
		var b strings.Builder
		b.WriteByte('"')
		for j := 0; j < len(p); j++ {
			switch c := p[j]; {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20 || c == 0x7f:
				fmt.Fprintf(&b, "\\%03d", c)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
		parts[i] = b.String()
	}
	return fmt.Sprintf("%s %d IN TXT %s", owner, ttl, strings.Join(parts, " "))
}

// Suggest returns rec rewritten with the changes given as tag=value
// ("p=quarantine"; a value of "" removes the tag), in canonical form: the
// tags RFC 9989 defines, in a fixed order, pct, rf, ri and unknown tags
// left out, defaults omitted.
func Suggest(rec *Record, changes ...string) string {
	vals := map[string]string{}
	if rec != nil {
		if p, ok := rec.EffectiveP(); ok && p != "" {
			vals["p"] = string(p)
		}
		if rec.SP != "" {
			vals["sp"] = string(rec.SP)
		}
		if rec.NP != "" {
			vals["np"] = string(rec.NP)
		}
		if rec.PSD != "u" && rec.PSD != "" {
			vals["psd"] = rec.PSD
		}
		if rec.Testing {
			vals["t"] = "y"
		}
		if rec.ADKIM == "s" {
			vals["adkim"] = "s"
		}
		if rec.ASPF == "s" {
			vals["aspf"] = "s"
		}
		vals["rua"] = joinURIs(rec.RUA)
		vals["ruf"] = joinURIs(rec.RUF)
		if fo := strings.Join(rec.FO, ":"); fo != "0" && fo != "" {
			vals["fo"] = fo
		}
	}
	for _, c := range changes {
		k, v, _ := strings.Cut(c, "=")
		vals[k] = v
	}
	if vals["p"] == "" {
		vals["p"] = "none"
	}
	out := []string{"v=DMARC1"}
	for _, k := range []string{"p", "sp", "np", "psd", "t", "adkim", "aspf", "rua", "ruf", "fo"} {
		if v := vals[k]; v != "" {
			out = append(out, k+"="+v)
		}
	}
	return strings.Join(out, "; ")
}

func joinURIs(us []URI) string {
	var s []string
	for _, u := range us {
		s = append(s, u.URI)
	}
	return strings.Join(s, ",")
}
