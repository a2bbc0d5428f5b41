package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// macroPart is one piece of a macro-string: a literal, or a macro-expand.
type macroPart struct {
	lit     string // literal text (when letter == 0)
	letter  byte   // lower-case macro letter
	upper   bool   // the letter was written in upper case: URL-escape the result
	digits  int    // keep this many right-hand parts; 0 = all
	reverse bool   // the "r" transformer
	delims  string // split on these; "" means "."
}

// MacroString is a parsed macro-string (RFC 7208 §7.1): the argument of a
// domain-spec, of a modifier, or the text of an explanation.
type MacroString struct {
	Raw   string
	parts []macroPart
	exp   bool // explanation text: expansion bounded by maxExpansion
}

// HasMacros reports whether the string has at least one %{...} expansion, so
// that its value depends on the connection being checked.
func (m *MacroString) HasMacros() bool {
	if m == nil {
		return false
	}
	for _, p := range m.parts {
		if p.letter != 0 {
			return true
		}
	}
	return false
}

// Letters returns the macro letters used, lower case, in order of appearance.
func (m *MacroString) Letters() string {
	if m == nil {
		return ""
	}
	var b []byte
	for _, p := range m.parts {
		if p.letter != 0 && !strings.ContainsRune(string(b), rune(p.letter)) {
			b = append(b, p.letter)
		}
	}
	return string(b)
}

// macroError is a syntax error inside a macro-string; off is the byte offset
// of the offending character within the string.
type macroError struct {
	off    int
	reason string
}

func (e *macroError) Error() string { return e.reason }

// Context of a macro-string: which letters are allowed, and whether spaces are.
const (
	macroDomain = iota // a domain-spec: letters s l o d i p h v
	macroAny           // an unknown modifier's value: any macro letter
	macroExp           // the text of an explanation: any letter, and spaces
)

// parseMacroString parses s as a macro-string (RFC 7208 §7.1).
func parseMacroString(s string, ctx int) (*MacroString, error) {
	m := &MacroString{Raw: s, exp: ctx == macroExp}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			m.parts = append(m.parts, macroPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			switch {
			case c == ' ' && ctx == macroExp:
			case c < 0x21 || c > 0x7e:
				if c == ' ' {
					return nil, &macroError{i, "a space is not allowed here"}
				}
				return nil, &macroError{i, fmt.Sprintf("the character %s is not allowed (only visible 7-bit ASCII)", describeByte(c))}
			}
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return nil, &macroError{i, `a lone "%" at the end; write "%%" for a literal percent sign`}
		}
		switch s[i+1] {
		case '%':
			lit.WriteByte('%')
			i++
			continue
		case '_':
			lit.WriteByte(' ')
			i++
			continue
		case '-':
			lit.WriteString("%20")
			i++
			continue
		case '{':
		default:
			return nil, &macroError{i, fmt.Sprintf(`"%%%c" is not a macro; a macro is written %%{letter}, and a literal percent sign %%%%`, s[i+1])}
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, &macroError{i, `the macro "%{" is not closed with "}"`}
		}
		body := s[i+2 : i+end]
		p, off, err := parseMacroBody(body, ctx)
		if err != nil {
			return nil, &macroError{i + 2 + off, err.Error()}
		}
		flush()
		m.parts = append(m.parts, p)
		i += end
	}
	flush()
	return m, nil
}

func describeByte(c byte) string {
	switch c {
	case '\r':
		return `CR (\r)`
	case '\n':
		return `LF (\n)`
	case '\t':
		return `TAB (\t)`
	case 0:
		return "NUL"
	}
	return fmt.Sprintf("0x%02X", c)
}

func parseMacroBody(body string, ctx int) (macroPart, int, error) {
	var p macroPart
	if body == "" {
		return p, 0, fmt.Errorf(`the macro "%%{}" has no letter`)
	}
	l := body[0]
	lower := l | 0x20
	if !strings.ContainsRune("slodiphcrtv", rune(lower)) || l < 'A' || (l > 'Z' && l < 'a') || l > 'z' {
		return p, 0, fmt.Errorf("%q is not a macro letter (s l o d i p h c r t v)", string(l))
	}
	if ctx == macroDomain && strings.ContainsRune("crt", rune(lower)) {
		return p, 0, fmt.Errorf("the macro %%{%c} is allowed only in explanation text, not in a domain", l)
	}
	p.letter = lower
	p.upper = l >= 'A' && l <= 'Z'
	i := 1
	start := i
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i++
	}
	if i > start {
		n, err := strconv.Atoi(body[start:i])
		if err != nil || n > 1000 {
			n = 1000 // more parts than any name has
		}
		if n == 0 {
			return p, start, fmt.Errorf("the digit transformer must not be zero")
		}
		p.digits = n
	}
	if i < len(body) && (body[i] == 'r' || body[i] == 'R') {
		p.reverse = true
		i++
	}
	for ; i < len(body); i++ {
		if !strings.ContainsRune(".-+,/_=", rune(body[i])) {
			return p, i, fmt.Errorf("%q is not a macro transformer or delimiter (digits, r, then . - + , / _ =)", string(body[i]))
		}
		if !strings.ContainsRune(p.delims, rune(body[i])) {
			p.delims += string(body[i])
		}
	}
	return p, 0, nil
}

// macroEnv holds what macros expand to for one evaluation.
type macroEnv struct {
	sender string // <sender>, with "postmaster@" added when it had no local-part
	local  string
	domain string // the domain of <sender>
	helo   string
	ip     netip.Addr
	recv   string
	now    int64
	// ptr returns the validated domain name of ip, for %{p}.
	ptr func() (string, error)
}

// maxExpansion bounds an expanded explanation: one longer than this is not
// an explanation (the default is used). Domains are cut to 253 octets after
// expansion, as RFC 7208 §7.3 says.
const maxExpansion = 8192

// maxDomainExpansion bounds the expansion of a domain-spec before it is
// cut to 253 octets: beyond it (a huge <sender> repeated by many macros) the
// name is treated as invalid rather than built.
const maxDomainExpansion = 1 << 16

var errTooLong = errors.New("expansion too long")

// expand expands m with d as the current domain.
func (m *MacroString) expand(env *macroEnv, d string) (string, error) {
	if len(m.parts) == 1 && m.parts[0].letter == 0 && len(m.parts[0].lit) <= maxDomainExpansion && (!m.exp || len(m.parts[0].lit) <= maxExpansion) {
		return m.parts[0].lit, nil // no macro: the text itself, no copy
	}
	var b strings.Builder
	for _, p := range m.parts {
		if p.letter == 0 {
			b.WriteString(p.lit)
			continue
		}
		var v string
		switch p.letter {
		case 's':
			v = env.sender
		case 'l':
			v = env.local
		case 'o':
			v = env.domain
		case 'd':
			v = d
		case 'i':
			v = dotIP(env.ip)
		case 'p':
			if env.ptr != nil {
				name, err := env.ptr()
				if err != nil {
					return "", err
				}
				v = name
			} else {
				v = "unknown"
			}
		case 'v':
			if env.ip.Is4() {
				v = "in-addr"
			} else {
				v = "ip6"
			}
		case 'h':
			v = env.helo
		case 'c':
			v = env.ip.String()
		case 'r':
			v = env.recv
		case 't':
			v = strconv.FormatInt(env.now, 10)
		}
		v = transform(v, p)
		if p.upper {
			v = urlEscape(v)
		}
		b.WriteString(v)
		if m.exp && b.Len() > maxExpansion {
			return "", fmt.Errorf("spf: the macro-string %q expands to more than %d octets", abbreviate(m.Raw), maxExpansion)
		}
		if b.Len() > maxDomainExpansion {
			return "", fmt.Errorf("spf: the macro-string %q expands to more than %d octets: %w", abbreviate(m.Raw), maxDomainExpansion, errTooLong)
		}
	}
	return b.String(), nil
}

func transform(v string, p macroPart) string {
	if p.digits == 0 && !p.reverse && (p.delims == "" || p.delims == ".") {
		return v
	}
	delims := p.delims
	if delims == "" {
		delims = "."
	}
	parts := splitAny(v, delims)
	if p.reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if p.digits > 0 && p.digits < len(parts) {
		parts = parts[len(parts)-p.digits:]
	}
	return strings.Join(parts, ".")
}

func splitAny(v, delims string) []string {
	var out []string
	start := 0
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(delims, v[i]) >= 0 {
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// dotIP formats ip for the "i" macro: dotted quad, or 32 dot-separated
// nibbles for IPv6. The nibbles are upper-case hexadecimal, as the OpenSPF
// suite expects; DNS names are case-insensitive, so only explanation text
// shows the difference.
func dotIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	const hexdig = "0123456789ABCDEF"
	a := ip.As16()
	b := make([]byte, 0, 63)
	for i, x := range a {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, hexdig[x>>4], '.', hexdig[x&0xf])
	}
	return string(b)
}

// urlEscape escapes every character outside RFC 3986's unreserved set.
func urlEscape(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&0xf])
	}
	return b.String()
}

// ExpandMacros expands a macro-string for a connection, as check_host would:
// ip is the client, sender the MAIL FROM (or "postmaster@HELO"), domain the
// current domain. %{p} expands to "unknown" (no DNS is asked) and %{r} to
// receiver. It is exported for tooling and fuzzing; evaluation uses the same
// code.
func ExpandMacros(s string, explanation bool, ip netip.Addr, sender, helo, domain, receiver string, now int64) (string, error) {
	ctx := macroDomain
	if explanation {
		ctx = macroExp
	}
	m, err := parseMacroString(s, ctx)
	if err != nil {
		return "", fmt.Errorf("spf: macro-string %q: %w", s, err)
	}
	local, dom := splitSender(sender)
	env := &macroEnv{sender: local + "@" + dom, local: local, domain: dom, helo: helo, ip: ip.Unmap(), recv: receiver, now: now}
	return m.expand(env, domain)
}

// splitSender splits an address into local-part and domain; a missing
// local-part becomes "postmaster" (RFC 7208 §4.3).
func splitSender(sender string) (local, domain string) {
	at := strings.LastIndexByte(sender, '@')
	if at < 0 {
		return "postmaster", sender
	}
	local, domain = sender[:at], sender[at+1:]
	if local == "" {
		local = "postmaster"
	}
	return local, domain
}
