// Package finding defines what emailauth reports about a domain's
// configuration: a Finding, with a stable code, a severity, a message and a
// fix, and the catalogue of codes each check can emit.
//
// Finding codes are an API that CI pipelines depend on. A package declares
// its codes once, in a Catalog, and can only emit findings through the
// Specs it declared, so every code emitted is in the catalogue, and the
// catalogue is what docs/findings.md is generated from.
//
//	var catalog finding.Catalog
//	var LookupLimit = catalog.Define(finding.Spec{
//		Code: "spf.lookup-limit", Severity: finding.Error,
//		Title:   "more than 10 DNS lookups",
//		Meaning: "...", Fix: "...",
//	})
//	...
//	f := LookupLimit.New("the record needs 12 DNS lookups; the limit is 10", "remove ...")
package finding

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Severity ranks a finding.
type Severity int

// Severities, from least to most severe. The zero value is Info.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity parses "error", "warning" (or "warn") and "info".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error":
		return Error, nil
	case "warning", "warn":
		return Warning, nil
	case "info":
		return Info, nil
	}
	return 0, fmt.Errorf("finding: unknown severity %q (want error, warning or info)", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Spec declares one finding code and documents it.
type Spec struct {
	// Code is stable: "<check>.<kebab-case-name>", e.g. "spf.lookup-limit".
	Code string
	// Severity is the default severity of findings with this code.
	Severity Severity
	// Title is a short summary for the catalogue ("more than 10 DNS lookups").
	Title string
	// Meaning explains what was found and why it matters (markdown).
	Meaning string
	// Fix explains in general terms how to fix it (markdown). Each finding
	// also carries a specific fix naming the record to change.
	Fix string
	// Transient marks a finding that says something could not be found out
	// (a DNS timeout or SERVFAIL, an unreachable server), not that the
	// configuration is wrong. Judge makes a result with a transient finding
	// an error ("could not complete", exit 3), never a failure.
	Transient bool
}

// New returns a finding with this spec's code and severity.
func (s *Spec) New(message, fix string) Finding {
	return Finding{Code: s.Code, Severity: s.Severity, Message: message, Fix: fix, Transient: s.Transient}
}

// Newf returns a finding with a formatted message and no specific fix.
func (s *Spec) Newf(format string, args ...any) Finding {
	return s.New(fmt.Sprintf(format, args...), "")
}

// Finding is one thing found about a domain's configuration.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Fix tells the tenant what to publish or change, with the record's name
	// and value where they are known. Empty when nothing needs fixing.
	Fix string `json:"fix,omitempty"`
	// Name is the DNS name the finding is about, when it is not the domain
	// being checked (an include target, a selector's record).
	Name string `json:"name,omitempty"`
	// Transient is true when the finding says that something could not be
	// found out (Spec.Transient): retrying later may give another answer.
	Transient bool `json:"transient,omitempty"`
}

// WithFix returns a copy of f with the fix set.
func (f Finding) WithFix(fix string) Finding { f.Fix = fix; return f }

// WithName returns a copy of f about the DNS name n.
func (f Finding) WithName(n string) Finding { f.Name = n; return f }

// WithSeverity returns a copy of f with another severity (a profile may
// raise or lower one).
func (f Finding) WithSeverity(s Severity) Finding { f.Severity = s; return f }

// String formats the finding on one line: "error spf.lookup-limit: message".
func (f Finding) String() string {
	return fmt.Sprintf("%s %s: %s", f.Severity, f.Code, f.Message)
}

// Max returns the highest severity among fs, and false when fs is empty.
func Max(fs []Finding) (Severity, bool) {
	if len(fs) == 0 {
		return Info, false
	}
	m := fs[0].Severity
	for _, f := range fs[1:] {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m, true
}

// Catalog collects the Specs a package declares. The zero value is ready.
type Catalog struct {
	mu    sync.Mutex
	specs []*Spec
	codes map[string]*Spec
}

// Define adds a spec to the catalogue and returns it. It panics on a
// malformed or duplicate code: that is a programming error, caught by any
// test that loads the package.
func (c *Catalog) Define(s Spec) *Spec {
	if err := checkCode(s.Code); err != nil {
		panic(err)
	}
	if s.Title == "" || s.Meaning == "" || s.Fix == "" {
		panic(fmt.Sprintf("finding: %s needs a Title, a Meaning and a Fix", s.Code))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codes == nil {
		c.codes = map[string]*Spec{}
	}
	if c.codes[s.Code] != nil {
		panic(fmt.Sprintf("finding: %s defined twice", s.Code))
	}
	p := &s
	c.codes[s.Code] = p
	c.specs = append(c.specs, p)
	return p
}

// Specs returns the catalogue's specs sorted by code.
func (c *Catalog) Specs() []*Spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]*Spec(nil), c.specs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Has reports whether code is defined in the catalogue.
func (c *Catalog) Has(code string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.codes[code] != nil
}

func checkCode(code string) error {
	check, name, ok := strings.Cut(code, ".")
	if !ok || check == "" || name == "" {
		return fmt.Errorf("finding: code %q is not of the form check.name", code)
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("finding: code %q has %q; codes are lower-case kebab-case", code, r)
		}
	}
	return nil
}

// List is a slice of findings that is written to JSON as [] when empty, never
// as null: JSON consumers should not have to tell the two apart.
type List []Finding

// MarshalJSON writes an empty list as [] rather than null.
func (l List) MarshalJSON() ([]byte, error) {
	if len(l) == 0 {
		return []byte("[]"), nil
	}
	// Encode without HTML escaping: fixes quote records such as
	// "v=spf1 ... -all" and URIs with & that must read as published.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode([]Finding(l)); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
