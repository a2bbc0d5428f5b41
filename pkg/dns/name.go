package dns

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Domain is a domain name as a person gave it, normalised for asking: ASCII
// is the name in A-label form (IDNA), lower case, without the trailing dot;
// Unicode is the same name in U-label form when it differs ("bücher.example"
// for "xn--bcher-kva.example"), for reports to show beside it.
type Domain struct {
	ASCII   string `json:"domain"`
	Unicode string `json:"unicode,omitempty"`
}

// String returns the A-label form.
func (d Domain) String() string { return d.ASCII }

// Display returns the name for people: "xn--bcher-kva.example (bücher.example)"
// when the forms differ, else the name.
func (d Domain) Display() string {
	if d.Unicode == "" || d.Unicode == d.ASCII {
		return d.ASCII
	}
	return d.ASCII + " (" + d.Unicode + ")"
}

// idnaProfile converts names as a resolver would ask them (UTS #46,
// transitional processing off), without the host-name rules: labels such as
// "_dmarc" and "_spf" are valid DNS names.
var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false), idna.BidiRule())

// unicodeProfile renders A-labels as U-labels for display.
var unicodeProfile = idna.New(idna.Transitional(false), idna.StrictDomainName(false))

// NormalizeName returns name in the form every query uses: IDNA A-labels,
// lower case, no trailing dot. A name that is not a valid domain name (by
// CheckName's rules, or not convertible to A-labels) is a *NameError.
func NormalizeName(name string) (string, error) {
	n := strings.TrimSuffix(strings.TrimSpace(name), ".")
	if n == "" {
		return "", &NameError{Name: name, Reason: "the name is empty"}
	}
	if !isASCII(n) {
		if !utf8.ValidString(n) {
			return "", &NameError{Name: name, Reason: "the name is not valid UTF-8"}
		}
		a, err := idnaProfile.ToASCII(n)
		if err != nil {
			return "", &NameError{Name: name, Reason: "the name cannot be written in A-labels (IDNA): " + strings.TrimPrefix(err.Error(), "idna: ")}
		}
		n = a
	}
	n = CanonicalName(n)
	if err := CheckName(n); err != nil {
		if ne, ok := err.(*NameError); ok {
			ne.Name = name
		}
		return "", err
	}
	return n, nil
}

// UnicodeName returns the U-label form of an A-label name, or "" when it is
// the same as name or cannot be converted.
func UnicodeName(name string) string {
	if !strings.Contains(name, "xn--") {
		return ""
	}
	u, err := unicodeProfile.ToUnicode(name)
	if err != nil || u == name {
		return ""
	}
	return u
}

// NewDomain normalises a domain name (NormalizeName) and records its
// U-label form.
func NewDomain(name string) (Domain, error) {
	a, err := NormalizeName(name)
	if err != nil {
		return Domain{}, err
	}
	return Domain{ASCII: a, Unicode: UnicodeName(a)}, nil
}

// ParseDomain reads a domain name as a person gives it on a command line or
// in a list of domains. Besides a name (in A-labels or U-labels) it accepts
// a URL, reduced to its host name, and an e-mail address (or a mailto: URI),
// reduced to its domain; note then says what was done, for the caller to
// print. Anything else that is not a domain name (an IP address, a list
// with commas or spaces, a host:port) is a *NameError with a hint.
func ParseDomain(input string) (d Domain, note string, err error) {
	s := strings.TrimSpace(input)
	switch {
	case s == "":
		return Domain{}, "", &NameError{Name: input, Reason: "the name is empty"}
	case strings.ContainsAny(s, ", \t;"):
		return Domain{}, "", &NameError{Name: input, Reason: "a domain name has no comma, semicolon or space",
			hint: "give one domain per argument, or one per line in a --file"}
	}
	host := s
	if i := strings.Index(s, "://"); i > 0 {
		u, perr := url.Parse(s)
		if perr != nil || u.Hostname() == "" {
			return Domain{}, "", &NameError{Name: input, Reason: "it looks like a URL but has no host name",
				hint: "give the domain alone, such as example.com"}
		}
		host = u.Hostname()
		note = fmt.Sprintf("%q is a URL: using its host name %s", input, host)
	} else if strings.HasPrefix(strings.ToLower(s), "mailto:") || strings.Contains(s, "@") {
		addr := s
		if strings.HasPrefix(strings.ToLower(addr), "mailto:") {
			addr = addr[len("mailto:"):]
			if i := strings.IndexByte(addr, '?'); i >= 0 {
				addr = addr[:i]
			}
		}
		at := strings.LastIndexByte(addr, '@')
		if at < 0 || at == len(addr)-1 {
			return Domain{}, "", &NameError{Name: input, Reason: "it looks like an e-mail address but has no domain after @",
				hint: "give the domain alone, such as example.com"}
		}
		host = strings.Trim(addr[at+1:], "<>")
		note = fmt.Sprintf("%q is an e-mail address: using its domain %s", input, host)
	}
	bare := strings.Trim(host, "[]")
	if _, perr := netip.ParseAddr(bare); perr == nil {
		return Domain{}, "", &NameError{Name: input, Reason: "it is an IP address, not a domain name",
			hint: "give the domain whose records to check, such as example.com"}
	}
	if h, port, ok := strings.Cut(host, ":"); ok && h != "" && isDigits(port) {
		return Domain{}, "", &NameError{Name: input, Reason: "a domain name has no port",
			hint: fmt.Sprintf("give the domain alone: %s", h)}
	}
	d, err = NewDomain(host)
	if err != nil {
		return Domain{}, "", err
	}
	// The DNS carries any octet in a label, but the name of a domain that
	// sends or receives mail is letters, digits and hyphens (RFC 1123, RFC
	// 5321 §4.1.2), and underscores begin the names of records (_spf,
	// _dmarc). Anything else is a mistake, such as a line of the wrong file
	// ("API_TOKEN=..."), and is never sent to a resolver.
	if i := strings.IndexFunc(d.ASCII, func(r rune) bool { return !isHostChar(r) }); i >= 0 {
		return Domain{}, "", &NameError{Name: input, Reason: fmt.Sprintf("a domain name holds only letters, digits, hyphens, underscores and dots, not %q", d.ASCII[i:i+1]),
			hint: "give a domain name such as example.com"}
	}
	return d, note, nil
}

func isHostChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
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
