// Package spf implements the Sender Policy Framework (RFC 7208): a parser
// for the whole record grammar including the macro language, check_host()
// exactly as §4 and §5 specify it, and an analysis of a domain's SPF policy
// that walks the include/redirect tree once and explains, term by term, what
// each costs against the limit of 10 DNS lookups.
//
// Evaluation (CheckHost) and analysis (Analyze) share the code that decides
// what a term costs (Term.LookupCost), so their counts cannot disagree.
//
// Every name resolution goes through a dns.Resolver; nothing here caches on
// its own, so callers that check many domains pass a shared dns.Cache.
package spf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Qualifier is a mechanism's prefix: '+', '-', '~' or '?'.
type Qualifier byte

// The qualifiers.
const (
	QPass     Qualifier = '+'
	QFail     Qualifier = '-'
	QSoftFail Qualifier = '~'
	QNeutral  Qualifier = '?'
)

// Result returns the result a matching mechanism with this qualifier gives.
func (q Qualifier) Result() Code {
	switch q {
	case QFail:
		return Fail
	case QSoftFail:
		return SoftFail
	case QNeutral:
		return Neutral
	}
	return Pass
}

// Code is a check_host() result (RFC 7208 §2.6).
type Code string

// The results of check_host().
const (
	None      Code = "none"
	Neutral   Code = "neutral"
	Pass      Code = "pass"
	Fail      Code = "fail"
	SoftFail  Code = "softfail"
	TempError Code = "temperror"
	PermError Code = "permerror"
)

// Mechanism names.
const (
	MechAll     = "all"
	MechInclude = "include"
	MechA       = "a"
	MechMX      = "mx"
	MechPTR     = "ptr"
	MechIP4     = "ip4"
	MechIP6     = "ip6"
	MechExists  = "exists"
)

// Modifier names with a meaning.
const (
	ModRedirect = "redirect"
	ModExp      = "exp"
)

// Limits of RFC 7208 §4.6.4.
const (
	MaxLookups     = 10 // DNS-querying terms per evaluation
	MaxVoidLookups = 2  // lookups answered NXDOMAIN or NODATA
	MaxNames       = 10 // MX names per mx term, PTR names per ptr term
)

// Term is one mechanism or modifier of a record.
type Term struct {
	// Raw is the term as written.
	Raw string `json:"term"`
	// Pos is the 1-based position of the term's first character in the
	// record.
	Pos int `json:"position"`
	// Qualifier of a mechanism ('+' when none was written); 0 for a
	// modifier.
	Qualifier Qualifier `json:"-"`
	// Mechanism is the lower-case mechanism name; "" for a modifier.
	Mechanism string `json:"mechanism,omitempty"`
	// Modifier is the lower-case modifier name; "" for a mechanism.
	Modifier string `json:"modifier,omitempty"`
	// Domain is the domain-spec of include, a, mx, ptr, exists, redirect
	// and exp; nil when the term has none (a, mx and ptr then use the
	// current domain).
	Domain *MacroString `json:"-"`
	// Value is the argument as written: the domain-spec, the network, or an
	// unknown modifier's value.
	Value string `json:"value,omitempty"`
	// Prefix is the network of ip4 and ip6.
	Prefix netip.Prefix `json:"-"`
	// CIDR4 and CIDR6 are the prefix lengths of a and mx; -1 when not
	// written (32 and 128 apply).
	CIDR4 int `json:"-"`
	CIDR6 int `json:"-"`
}

// IsMechanism reports whether t is a mechanism.
func (t *Term) IsMechanism() bool { return t.Mechanism != "" }

// HasMacros reports whether the term's target depends on the connection.
func (t *Term) HasMacros() bool { return t.Domain.HasMacros() }

// LookupCost is what the term costs against the limit of 10 DNS-querying
// terms when it is evaluated (RFC 7208 §4.6.4): 1 for include, a, mx, ptr,
// exists and redirect; 0 for all, ip4, ip6, exp and unknown modifiers. The
// address lookups an mx or ptr term makes for its names are not counted
// here: they are bounded separately (MaxNames). Evaluation and analysis both
// use this function.
func (t *Term) LookupCost() int {
	switch t.Mechanism {
	case MechInclude, MechA, MechMX, MechPTR, MechExists:
		return 1
	}
	if t.Modifier == ModRedirect {
		return 1
	}
	return 0
}

// CostReason explains LookupCost in words.
func (t *Term) CostReason() string {
	switch t.Mechanism {
	case MechInclude:
		return "1 lookup: TXT of the included domain"
	case MechA:
		return "1 lookup: A/AAAA of the name"
	case MechMX:
		return "1 lookup: MX of the name (its hosts' address lookups are not counted)"
	case MechPTR:
		return "1 lookup: PTR of the client (the names' address lookups are not counted)"
	case MechExists:
		return "1 lookup: A of the name"
	case MechAll, MechIP4, MechIP6:
		return "no lookup"
	}
	switch t.Modifier {
	case ModRedirect:
		return "1 lookup: TXT of the target domain"
	case ModExp:
		return "not counted: fetched only on fail"
	}
	return "unknown modifier: ignored"
}

// String returns the term as written.
func (t *Term) String() string { return t.Raw }

// Record is a parsed SPF record.
type Record struct {
	// Raw is the record text as published.
	Raw string
	// Terms are the mechanisms and modifiers in order.
	Terms []*Term
	// Redirect and Exp are the redirect= and exp= modifiers, when present.
	Redirect *Term
	Exp      *Term
}

// Mechanisms returns the mechanisms in order.
func (r *Record) Mechanisms() []*Term {
	var out []*Term
	for _, t := range r.Terms {
		if t.IsMechanism() {
			out = append(out, t)
		}
	}
	return out
}

// All returns the first "all" mechanism, or nil.
func (r *Record) All() *Term {
	for _, t := range r.Terms {
		if t.Mechanism == MechAll {
			return t
		}
	}
	return nil
}

// SyntaxError is a record that does not follow the RFC 7208 grammar. It
// names the term and the position so a person sees which part is wrong.
type SyntaxError struct {
	Record string `json:"record"`
	Term   string `json:"term,omitempty"`
	// Pos is the 1-based position of the offending character in the record.
	Pos    int    `json:"position"`
	Reason string `json:"reason"`
}

func (e *SyntaxError) Error() string {
	if e.Term != "" {
		return fmt.Sprintf("spf: syntax error in term %q at position %d: %s", e.Term, e.Pos, e.Reason)
	}
	return fmt.Sprintf("spf: syntax error at position %d: %s", e.Pos, e.Reason)
}

// IsSPF reports whether a TXT record's text is an SPF record: "v=spf1"
// (any case) followed by a space or the end (RFC 7208 §4.5).
func IsSPF(txt string) bool {
	if len(txt) < 6 || !strings.EqualFold(txt[:6], "v=spf1") {
		return false
	}
	return len(txt) == 6 || txt[6] == ' '
}

// Parse parses an SPF record. The error, if any, is a *SyntaxError.
func Parse(record string) (*Record, error) {
	if !IsSPF(record) {
		return nil, &SyntaxError{Record: record, Pos: 1, Reason: `an SPF record starts with "v=spf1" followed by a space or the end`}
	}
	for i := 0; i < len(record); i++ {
		if c := record[i]; c >= 0x80 {
			return nil, &SyntaxError{Record: record, Term: termAt(record, i), Pos: i + 1,
				Reason: fmt.Sprintf("the byte 0x%02X is not 7-bit ASCII; SPF records are ASCII only (RFC 7208 §3.1)", c)}
		}
	}
	r := &Record{Raw: record}
	i := 6
	for i < len(record) {
		if record[i] == ' ' {
			i++
			continue
		}
		j := strings.IndexByte(record[i:], ' ')
		if j < 0 {
			j = len(record)
		} else {
			j += i
		}
		t, err := parseTerm(record[i:j], i+1)
		if err != nil {
			err.Record = record
			return nil, err
		}
		switch t.Modifier {
		case ModRedirect:
			if r.Redirect != nil {
				return nil, &SyntaxError{Record: record, Term: t.Raw, Pos: t.Pos, Reason: fmt.Sprintf("a second redirect= modifier (the first is at position %d); a record may have only one", r.Redirect.Pos)}
			}
			r.Redirect = t
		case ModExp:
			if r.Exp != nil {
				return nil, &SyntaxError{Record: record, Term: t.Raw, Pos: t.Pos, Reason: fmt.Sprintf("a second exp= modifier (the first is at position %d); a record may have only one", r.Exp.Pos)}
			}
			r.Exp = t
		}
		r.Terms = append(r.Terms, t)
		i = j
	}
	return r, nil
}

func termAt(record string, i int) string {
	s := strings.LastIndexByte(record[:i], ' ') + 1
	e := strings.IndexByte(record[i:], ' ')
	if e < 0 {
		return record[s:]
	}
	return record[s : i+e]
}

func isModifierName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func parseTerm(s string, pos int) (*Term, *SyntaxError) {
	t := &Term{Raw: s, Pos: pos, CIDR4: -1, CIDR6: -1}
	fail := func(off int, format string, args ...any) *SyntaxError {
		return &SyntaxError{Term: s, Pos: pos + off, Reason: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return nil, fail(i, "the character %s is not allowed; terms are separated by spaces only", describeByte(c))
		}
	}
	// A modifier: name "=" macro-string.
	if eq := strings.IndexByte(s, '='); eq >= 0 && isModifierName(s[:eq]) {
		t.Modifier = strings.ToLower(s[:eq])
		t.Value = s[eq+1:]
		switch t.Modifier {
		case ModRedirect, ModExp:
			if t.Value == "" {
				return nil, fail(eq+1, "%s= needs a domain name", t.Modifier)
			}
			m, err := parseDomainSpec(t.Value)
			if err != nil {
				return nil, fail(eq+1+err.off, "%s", err.reason)
			}
			t.Domain = m
		default:
			if _, err := parseMacroString(t.Value, macroAny); err != nil {
				me := err.(*macroError)
				return nil, fail(eq+1+me.off, "in the value of the unknown modifier %q: %s", t.Modifier, me.reason)
			}
		}
		return t, nil
	}
	// A mechanism: [qualifier] name [":" arg] [cidr].
	i := 0
	t.Qualifier = QPass
	if s != "" && strings.IndexByte("+-~?", s[0]) >= 0 {
		t.Qualifier = Qualifier(s[0])
		i = 1
	}
	j := i
	for j < len(s) && (isAlpha(s[j]) || j > i && isDigit(s[j])) {
		j++
	}
	name := strings.ToLower(s[i:j])
	rest := s[j:]
	switch name {
	case MechAll, MechInclude, MechA, MechMX, MechPTR, MechIP4, MechIP6, MechExists:
	default:
		if eq := strings.IndexByte(s, '='); eq >= 0 {
			if i == 1 && isModifierName(s[1:eq]) {
				return nil, fail(0, "a modifier cannot have a qualifier (%q)", string(s[0]))
			}
			return nil, fail(0, "%q is not a valid modifier name (a letter, then letters, digits, '-', '_' or '.')", s[:eq])
		}
		if name == "" {
			return nil, fail(i, "expected a mechanism (all, include, a, mx, ptr, ip4, ip6, exists) or a modifier (name=value)")
		}
		if strings.HasPrefix(name, "redirect") || strings.HasPrefix(name, "exp") {
			return nil, fail(i, "%q is not a mechanism; modifiers are written with \"=\" (redirect=domain, exp=domain)", s[i:])
		}
		return nil, fail(i, "unknown mechanism %q (known: all, include, a, mx, ptr, ip4, ip6, exists)", s[i:])
	}
	if rest != "" && rest[0] != ':' && rest[0] != '/' {
		return nil, fail(j, "unknown mechanism %q (known: all, include, a, mx, ptr, ip4, ip6, exists)", s[i:])
	}
	t.Mechanism = name
	off := j // offset of rest within s
	switch name {
	case MechAll:
		if rest != "" {
			return nil, fail(off, "\"all\" takes no argument")
		}
	case MechInclude, MechExists:
		if rest == "" || rest[0] != ':' {
			return nil, fail(off, "%q needs a domain: %s:domain", name, name)
		}
		if len(rest) == 1 {
			return nil, fail(off+1, "the domain after %q is empty", name+":")
		}
		t.Value = rest[1:]
		m, err := parseDomainSpec(t.Value)
		if err != nil {
			return nil, fail(off+1+err.off, "%s", err.reason)
		}
		t.Domain = m
	case MechPTR:
		if rest != "" {
			if rest[0] != ':' {
				return nil, fail(off, "\"ptr\" takes no prefix length")
			}
			if len(rest) == 1 {
				return nil, fail(off+1, "the domain after \"ptr:\" is empty")
			}
			t.Value = rest[1:]
			m, err := parseDomainSpec(t.Value)
			if err != nil {
				return nil, fail(off+1+err.off, "%s", err.reason)
			}
			t.Domain = m
		}
	case MechA, MechMX:
		dom, c4, c6, cerr := splitDualCIDR(rest)
		if cerr != nil {
			return nil, fail(off+cerr.off, "%s", cerr.reason)
		}
		t.CIDR4, t.CIDR6 = c4, c6
		if dom != "" {
			if dom[0] != ':' {
				return nil, fail(off, "expected \":domain\" or a prefix length after %q", name)
			}
			if len(dom) == 1 {
				return nil, fail(off+1, "the domain after %q is empty", name+":")
			}
			t.Value = dom[1:]
			m, err := parseDomainSpec(t.Value)
			if err != nil {
				return nil, fail(off+1+err.off, "%s", err.reason)
			}
			t.Domain = m
		}
	case MechIP4, MechIP6:
		if rest == "" || rest[0] != ':' || len(rest) == 1 {
			return nil, fail(off, "%q needs a network: %s:address[/length]", name, name)
		}
		arg := rest[1:]
		t.Value = arg
		addr, bitsStr, hasBits := strings.Cut(arg, "/")
		ip, err := netip.ParseAddr(addr)
		max := 32
		if name == MechIP6 {
			max = 128
		}
		switch {
		case err != nil || ip.Zone() != "":
			return nil, fail(off+1, "%q is not an %s address", addr, map[string]string{MechIP4: "IPv4", MechIP6: "IPv6"}[name])
		case name == MechIP4 && !ip.Is4():
			return nil, fail(off+1, "%q is not an IPv4 address; use ip6: for IPv6", addr)
		case name == MechIP6 && !ip.Is6():
			return nil, fail(off+1, "%q is not an IPv6 address; use ip4: for IPv4", addr)
		}
		bits := max
		if hasBits {
			n, perr := parseCIDRLen(bitsStr, max)
			if perr != "" {
				return nil, fail(off+1+len(addr), "%s", perr)
			}
			bits = n
		}
		t.Prefix = netip.PrefixFrom(ip, bits).Masked()
	}
	return t, nil
}

// parseCIDRLen parses the digits of a prefix length: no leading zeros, at
// most max.
func parseCIDRLen(s string, max int) (int, string) {
	if s == "" {
		return 0, "the prefix length after \"/\" is empty"
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fmt.Sprintf("%q is not a prefix length", "/"+s)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Sprintf("the prefix length %q has a leading zero", "/"+s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > max {
		return 0, fmt.Sprintf("the prefix length /%s is out of range (0 to %d)", s, max)
	}
	return n, ""
}

// splitDualCIDR removes a trailing dual-cidr-length ("/24", "//64",
// "/24//64") from the argument of a or mx.
func splitDualCIDR(rest string) (string, int, int, *macroError) {
	c4, c6 := -1, -1
	allDigits := func(s string) bool {
		if s == "" {
			return false
		}
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) {
				return false
			}
		}
		return true
	}
	if k := strings.LastIndex(rest, "//"); k >= 0 && allDigits(rest[k+2:]) {
		n, err := parseCIDRLen(rest[k+2:], 128)
		if err != "" {
			return "", 0, 0, &macroError{k, err}
		}
		c6 = n
		rest = rest[:k]
	} else if k >= 0 && rest[k+2:] == "" {
		return "", 0, 0, &macroError{k, "the IPv6 prefix length after \"//\" is empty"}
	}
	if k := strings.LastIndexByte(rest, '/'); k >= 0 && (allDigits(rest[k+1:]) || rest[k+1:] == "") {
		n, err := parseCIDRLen(rest[k+1:], 32)
		if err != "" {
			return "", 0, 0, &macroError{k, err}
		}
		c4 = n
		rest = rest[:k]
	}
	return rest, c4, c6, nil
}

// parseDomainSpec parses a domain-spec: a macro-string that ends with a
// macro or with "." and a top label (RFC 7208 §7.1). A domain-spec without
// macros must also be a valid DNS name.
func parseDomainSpec(s string) (*MacroString, *macroError) {
	m, err := parseMacroString(s, macroDomain)
	if err != nil {
		return nil, err.(*macroError)
	}
	if n := len(m.parts); n > 0 && m.parts[n-1].letter != 0 {
		return m, nil // ends with a macro-expand
	}
	if strings.HasSuffix(s, "%%") || strings.HasSuffix(s, "%_") || strings.HasSuffix(s, "%-") {
		return m, nil
	}
	body := strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(body, '.')
	if dot < 0 {
		return nil, &macroError{0, fmt.Sprintf("%q is not a fully qualified domain name (it needs a dot and a top-level label, as in example.com)", s)}
	}
	top := body[dot+1:]
	if !isTopLabel(top) {
		return nil, &macroError{dot + 1, fmt.Sprintf("%q is not a valid top-level label (letters, digits and inner hyphens, not all digits)", top)}
	}
	// A literal name with an empty or over-long label is not a syntax error:
	// it can never match (RFC 7208 §4.8; the OpenSPF suite prefers "fail"
	// for "invalid-domain-empty-label"). Analysis reports it.
	return m, nil
}

// isTopLabel implements RFC 7208's toplabel rule.
func isTopLabel(s string) bool {
	if s == "" {
		return false
	}
	alpha, dash := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-':
			dash = true
		default:
			return false
		}
	}
	if dash {
		return s[0] != '-' && s[len(s)-1] != '-'
	}
	return alpha
}

// nameProblem says what makes name unusable as a query name, or "".
func nameProblem(name string) string {
	if name == "" {
		return "the name is empty"
	}
	for rest := name; ; {
		l := rest
		dot := strings.IndexByte(rest, '.')
		if dot >= 0 {
			l, rest = rest[:dot], rest[dot+1:]
		}
		if l == "" {
			return "it has an empty label"
		}
		if len(l) > 63 {
			return fmt.Sprintf("the label %q is longer than 63 octets", abbreviate(l))
		}
		if dot < 0 {
			return ""
		}
	}
}

func abbreviate(s string) string {
	if len(s) > 24 {
		return s[:21] + "..."
	}
	return s
}

// checkDomain applies RFC 7208 §4.3 to a domain: it is malformed if a label
// is empty or longer than 63 octets, if it is not a multi-label name, or if
// it is a domain literal. It returns why, or "".
func checkDomain(d string) string {
	d = strings.TrimSuffix(d, ".")
	if strings.HasPrefix(d, "[") {
		return "a domain literal is not a domain name"
	}
	if r := nameProblem(d); r != "" {
		return r
	}
	if !strings.Contains(d, ".") {
		return "it is not a fully qualified (multi-label) domain name"
	}
	if len(d) > 253 {
		return "it is longer than 253 octets"
	}
	return ""
}

// truncateName shortens an expanded domain-spec over 253 octets by removing
// labels from the left (RFC 7208 §7.3).
func truncateName(s string) string {
	s = strings.TrimSuffix(s, ".")
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return s
		}
		s = s[i+1:]
	}
	return s
}

// parseLenient parses what it can of a record: the terms that parse, and a
// syntax error for each that does not. Analysis uses it to show the tree of
// a broken record; evaluation never does.
func parseLenient(record string) (*Record, []*SyntaxError) {
	if !IsSPF(record) {
		return nil, []*SyntaxError{{Record: record, Pos: 1, Reason: "not an SPF record"}}
	}
	r := &Record{Raw: record}
	var errs []*SyntaxError
	i := 6
	for i < len(record) {
		if record[i] == ' ' {
			i++
			continue
		}
		j := strings.IndexByte(record[i:], ' ')
		if j < 0 {
			j = len(record)
		} else {
			j += i
		}
		raw := record[i:j]
		t, err := parseTerm(raw, i+1)
		if err == nil {
			for k := 0; k < len(raw); k++ {
				if raw[k] >= 0x80 {
					err = &SyntaxError{Term: raw, Pos: i + 1 + k, Reason: "not 7-bit ASCII"}
					break
				}
			}
		}
		switch {
		case err != nil:
			err.Record = record
			errs = append(errs, err)
		case t.Modifier == ModRedirect && r.Redirect != nil, t.Modifier == ModExp && r.Exp != nil:
			errs = append(errs, &SyntaxError{Record: record, Term: raw, Pos: i + 1, Reason: "a second " + t.Modifier + "= modifier"})
		default:
			if t.Modifier == ModRedirect {
				r.Redirect = t
			} else if t.Modifier == ModExp {
				r.Exp = t
			}
			r.Terms = append(r.Terms, t)
		}
		i = j
	}
	return r, errs
}
