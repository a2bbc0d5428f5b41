package profile

import (
	"crypto"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// Level is how much a requirement matters to the platform: a critical
// requirement not met is an error (the domain fails), an advisory one a
// warning, an optional one a note (info); off drops it.
type Level int

// The levels. LevelDefault means "not set here": the requirement's section,
// then the requirement's own default, decide.
const (
	LevelDefault Level = iota
	Critical
	Advisory
	Optional
	Off
)

func (l Level) String() string {
	switch l {
	case Critical:
		return "critical"
	case Advisory:
		return "advisory"
	case Optional:
		return "optional"
	case Off:
		return "off"
	}
	return "default"
}

// MarshalText writes the level's name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Severity is the severity of the finding of a requirement not met.
func (l Level) Severity() finding.Severity {
	switch l {
	case Advisory:
		return finding.Warning
	case Optional, Off:
		return finding.Info
	}
	return finding.Error
}

// ParseLevel parses "critical", "advisory", "optional" or "off".
func ParseLevel(s string) (Level, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "required":
		return Critical, true
	case "advisory", "recommended":
		return Advisory, true
	case "optional":
		return Optional, true
	case "off", "none":
		return Off, true
	}
	return LevelDefault, false
}

func (l *Level) decodeNode(d *decoder, n *yaml.Node, key string) error {
	if n.Kind != yaml.ScalarNode {
		return d.errf(n, key, "want a level (critical, advisory, optional or off), got %s", kindName(n))
	}
	v, ok := ParseLevel(n.Value)
	if !ok {
		e := d.errf(n, key, "%q is not a level", n.Value)
		e.Hint = "a level is critical (not met: error), advisory (warning), optional (info) or off"
		return e
	}
	*l = v
	return nil
}

// Profile is what a sending platform requires of every tenant domain. The
// schema is documented in docs/profiles.md.
type Profile struct {
	// Name names the platform in reports ("penguinmails").
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// TTL is the TTL of the records generated (3600 when 0).
	TTL   int   `yaml:"ttl"`
	SPF   SPF   `yaml:"spf"`
	DKIM  DKIM  `yaml:"dkim"`
	DMARC DMARC `yaml:"dmarc"`
	MX    *MX   `yaml:"mx"`
	MTA   *MTA  `yaml:"mta_sts"`
	TLS   *TLS  `yaml:"tls_rpt"`
	BIMI  *BIMI `yaml:"bimi"`
	// Levels sets the level of single requirements by name
	// ("spf-budget: advisory"), over their section's level.
	Levels LevelMap `yaml:"levels"`
	// Ignore and Severity apply to every check's findings (as --ignore and
	// --severity do).
	Ignore   CodeList    `yaml:"ignore"`
	Severity SeverityMap `yaml:"severity"`

	// File is the file the profile was read from.
	File  string         `yaml:"-"`
	Lines map[string]int `yaml:"-"`
}

// SPF is what the platform requires of a tenant's SPF record.
type SPF struct {
	Level Level `yaml:"level"`
	// Include are the include targets every tenant's record must reach.
	Include []string `yaml:"include"`
	// OptionalInclude are includes a tenant may have (a partner's); they
	// are protected like Include, never required.
	OptionalInclude []string `yaml:"optional_include"`
	// Protect are more includes that must never be flattened or suggested
	// for removal (Include and OptionalInclude are protected already).
	Protect []string `yaml:"protect"`
	// All is the strongest "all" the platform allows, and the one the
	// records it generates end with: "-all" (both -all and ~all are
	// fine) or "~all" (a tenant's -all is too strong). Empty: "-all",
	// without the check of a stronger one.
	All string `yaml:"all"`
	// LookupBudget is how many of the 10 DNS lookups the platform leaves
	// for the tenant's own senders: its includes may cost at most 10 minus
	// this, and a tenant's own terms should cost at most this.
	LookupBudget int            `yaml:"lookup_budget"`
	Line         int            `yaml:"-"`
	Lines        map[string]int `yaml:"-"`
}

// DKIM is what the platform requires of a tenant's DKIM keys.
type DKIM struct {
	Level Level `yaml:"level"`
	// MinBits is the smallest RSA key accepted (2048 when 0).
	MinBits int `yaml:"min_bits"`
	// KeyType is the type of the keys the platform generates: rsa (the
	// default) or ed25519.
	KeyType   string     `yaml:"key_type"`
	Selectors []Selector `yaml:"selectors"`
	// MaxKeyAge is the age past which a key should be rotated ("180d",
	// "26w"; dkim check warns past it); RotationGrace how long dkim rotate
	// keeps the old key after the signer switched ("7d"). Empty: the
	// commands' defaults.
	MaxKeyAge     string         `yaml:"max_key_age"`
	RotationGrace string         `yaml:"rotation_grace"`
	Lines         map[string]int `yaml:"-"`

	maxKeyAge, rotationGrace time.Duration
}

// MaxKeyAgeDuration returns max_key_age, and false when the profile does
// not set it.
func (k *DKIM) MaxKeyAgeDuration() (time.Duration, bool) { return k.maxKeyAge, k.MaxKeyAge != "" }

// RotationGraceDuration returns rotation_grace, and false when the profile
// does not set it.
func (k *DKIM) RotationGraceDuration() (time.Duration, bool) {
	return k.rotationGrace, k.RotationGrace != ""
}

// Selector is a selector the platform signs with.
type Selector struct {
	Selector string `yaml:"selector"`
	// Key is the expected public key: the p= value (base64), or a whole
	// DKIM record. KeyFile names a file holding a PEM public key or a DKIM
	// record, relative to the file that names it.
	Key     string `yaml:"key"`
	KeyFile string `yaml:"key_file"`
	// CNAME is where the selector must be delegated, for a platform that
	// hosts the keys: a pattern with {selector} and {domain}
	// ("{selector}._domainkey.{domain}.dkim.platform.example").
	CNAME string         `yaml:"cname"`
	Line  int            `yaml:"-"`
	Lines map[string]int `yaml:"-"`

	pub     crypto.PublicKey
	keyText string // the p= value of pub
}

// DMARC is what the platform requires of a tenant's DMARC record.
type DMARC struct {
	Level Level `yaml:"level"`
	// Policy is the weakest p allowed (none < quarantine < reject), and
	// SubdomainPolicy the weakest sp in force (sp, else p).
	Policy          string `yaml:"policy"`
	SubdomainPolicy string `yaml:"subdomain_policy"`
	// RUA and RUF are report destinations that must be among the record's
	// rua and ruf; FO the failure-reporting options it must have.
	RUA []string `yaml:"rua"`
	RUF []string `yaml:"ruf"`
	FO  string   `yaml:"fo"`
	// AllowTesting allows pct below 100 and t=y (default true).
	AllowTesting *bool `yaml:"allow_testing"`
	// ADKIM and ASPF are the alignment modes required: strict, or relaxed
	// (any; the default).
	ADKIM string `yaml:"adkim"`
	ASPF  string `yaml:"aspf"`
	// Generate holds values used only in the records the platform
	// generates, not required of a record already published.
	Generate DMARCGenerate  `yaml:"generate"`
	Line     int            `yaml:"-"`
	Lines    map[string]int `yaml:"-"`
}

// DMARCGenerate are values of generated DMARC records only.
type DMARCGenerate struct {
	RUF   []string       `yaml:"ruf"`
	FO    string         `yaml:"fo"`
	Lines map[string]int `yaml:"-"`
}

// MX is the platform's mail exchangers, when it receives for tenants.
type MX struct {
	Level Level    `yaml:"level"`
	Hosts []MXHost `yaml:"hosts"`
}

// MXHost is one exchange every tenant must list.
type MXHost struct {
	Host       string         `yaml:"host"`
	Preference int            `yaml:"preference"`
	Line       int            `yaml:"-"`
	Lines      map[string]int `yaml:"-"`
}

// MTA is the MTA-STS requirement: a valid _mta-sts record.
type MTA struct {
	Level Level `yaml:"level"`
}

// TLS is the TLS-RPT requirement: a valid _smtp._tls record, with RUA among
// its destinations.
type TLS struct {
	Level Level          `yaml:"level"`
	RUA   []string       `yaml:"rua"`
	Lines map[string]int `yaml:"-"`
}

// BIMI is the BIMI requirement: a record at the selector (default).
type BIMI struct {
	Level    Level          `yaml:"level"`
	Selector string         `yaml:"selector"`
	Lines    map[string]int `yaml:"-"`
}

// CodeList is a list of finding codes ("dmarc.policy-none", "bimi.*"),
// each with the line it was written on.
type CodeList []Code

// Code is a finding code as written in a file.
type Code struct {
	Code string
	Line int
}

func (l *CodeList) decodeNode(d *decoder, n *yaml.Node, key string) error {
	add := func(c *yaml.Node) error {
		if c.Kind != yaml.ScalarNode || isNull(c) {
			return d.errf(c, key, "want a finding code, got %s", kindName(c))
		}
		*l = append(*l, Code{Code: strings.ToLower(strings.TrimSpace(c.Value)), Line: c.Line})
		return nil
	}
	switch {
	case isNull(n):
		return nil
	case n.Kind == yaml.ScalarNode:
		return add(n)
	case n.Kind == yaml.SequenceNode:
		for _, c := range n.Content {
			if err := add(resolve(c)); err != nil {
				return err
			}
		}
		return nil
	}
	return d.errf(n, key, "want a list of finding codes, got %s", kindName(n))
}

// Codes returns the codes.
func (l CodeList) Codes() []string {
	out := make([]string, len(l))
	for i, c := range l {
		out[i] = c.Code
	}
	return out
}

// SeverityMap maps finding codes to the severity their findings get.
type SeverityMap []SeverityRule

// SeverityRule is one entry of a SeverityMap.
type SeverityRule struct {
	Code     string
	Severity finding.Severity
	Line     int
}

func (m *SeverityMap) decodeNode(d *decoder, n *yaml.Node, key string) error {
	pairs, err := d.mappingPairs(n, key)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		k, v := p[0], p[1]
		if v.Kind != yaml.ScalarNode {
			return d.errf(v, join(key, k.Value), "want a severity (error, warning or info), got %s", kindName(v))
		}
		s, err := finding.ParseSeverity(v.Value)
		if err != nil {
			return d.errf(v, join(key, k.Value), "%q is not a severity: want error, warning or info", v.Value)
		}
		*m = append(*m, SeverityRule{Code: strings.ToLower(k.Value), Severity: s, Line: k.Line})
	}
	return nil
}

// LevelMap maps requirement names to levels.
type LevelMap []LevelRule

// LevelRule is one entry of a LevelMap.
type LevelRule struct {
	Requirement string
	Level       Level
	Line        int
}

func (m *LevelMap) decodeNode(d *decoder, n *yaml.Node, key string) error {
	pairs, err := d.mappingPairs(n, key)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		k, v := p[0], p[1]
		name := strings.TrimPrefix(strings.ToLower(k.Value), "profile.")
		if _, ok := requirementByName(name); !ok {
			e := d.errf(k, join(key, k.Value), "unknown requirement")
			e.Hint = "requirements: " + strings.Join(RequirementNames(), ", ")
			if near := finding.NearestCodes(name, RequirementNames(), 1); len(near) > 0 {
				e.Hint = fmt.Sprintf("did you mean %q? %s", near[0], e.Hint)
			}
			return e
		}
		var l Level
		if err := l.decodeNode(d, v, join(key, k.Value)); err != nil {
			return err
		}
		*m = append(*m, LevelRule{Requirement: name, Level: l, Line: k.Line})
	}
	return nil
}

// Date is a calendar date (a waiver's expiry), written 2006-01-02.
type Date struct{ time.Time }

func (t *Date) decodeNode(d *decoder, n *yaml.Node, key string) error {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return d.errf(n, key, "want a date (YYYY-MM-DD), got %s", kindName(n))
	}
	v, err := time.Parse("2006-01-02", strings.TrimSpace(n.Value))
	if err != nil {
		return d.errf(n, key, "%q is not a date: write it YYYY-MM-DD, such as 2026-12-31", n.Value)
	}
	t.Time = v
	return nil
}

// String writes the date as 2006-01-02.
func (t Date) String() string { return t.Format("2006-01-02") }

// MarshalText writes the date as 2006-01-02.
func (t Date) MarshalText() ([]byte, error) { return []byte(t.String()), nil }
