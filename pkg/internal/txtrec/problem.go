package txtrec

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// Field is one name=value (record) or name: value (policy) pair, as
// published.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Problem is one thing wrong with a record or a policy. Spec is the finding
// the check reports it with; JSON carries its code.
type Problem struct {
	Spec *finding.Spec
	// Line is the policy line (1-based); 0 for a TXT record or for the
	// policy as a whole.
	Line    int
	Message string
	// URI is the URI the problem is about, if any (a TLS-RPT rua).
	URI string
}

// Problemf returns a problem of spec s with a formatted message.
func Problemf(s *finding.Spec, format string, args ...any) Problem {
	return Problem{Spec: s, Message: fmt.Sprintf(format, args...)}
}

// Code is the code of the problem's finding ("" without a spec).
func (p Problem) Code() string {
	if p.Spec == nil {
		return ""
	}
	return p.Spec.Code
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d: %s", p.Line, p.Message)
	}
	return p.Message
}

// problemJSON is the JSON form of a Problem: its spec's code in place of
// the spec.
type problemJSON struct {
	Code    string `json:"code"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
	URI     string `json:"uri,omitempty"`
}

// MarshalJSON writes {"code", "line", "message", "uri"}, leaving out a zero
// line and an empty URI. It does not escape HTML: the caller's encoder
// decides (messages quote records whose URLs hold "&").
func (p Problem) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(problemJSON{Code: p.Code(), Line: p.Line, Message: p.Message, URI: p.URI}); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// UnmarshalJSON reads the JSON form. The spec of a decoded problem holds
// its code only: the rest of the catalogue entry is not in the JSON.
func (p *Problem) UnmarshalJSON(b []byte) error {
	var v problemJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Problem{Line: v.Line, Message: v.Message, URI: v.URI}
	if v.Code != "" {
		p.Spec = &finding.Spec{Code: v.Code}
	}
	return nil
}

// SyntaxError reports why a record or a policy is invalid, listing every
// problem found.
type SyntaxError struct {
	// Package is the name that prefixes the message ("bimi", "mta-sts").
	Package string
	// What is what was parsed: "record" (the default) or "policy".
	What     string
	Problems []Problem
}

func (e *SyntaxError) Error() string {
	var b bytes.Buffer
	if e.Package != "" {
		b.WriteString(e.Package + ": ")
	}
	what := e.What
	if what == "" {
		what = "record"
	}
	b.WriteString("invalid " + what)
	if len(e.Problems) == 0 {
		return b.String()
	}
	b.WriteString(": " + e.Problems[0].String())
	if n := len(e.Problems) - 1; n == 1 {
		b.WriteString(" (and 1 more problem)")
	} else if n > 1 {
		fmt.Fprintf(&b, " (and %d more problems)", n)
	}
	return b.String()
}
