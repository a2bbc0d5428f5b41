package dmarc

import (
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// URI is one report destination of a rua or ruf tag.
type URI struct {
	// Raw is the URI as written, size suffix included.
	Raw string `json:"raw"`
	// URI is the URI without the size suffix.
	URI    string `json:"uri"`
	Scheme string `json:"scheme"`
	// Address is a mailto URI's address; Domain its domain, lower case.
	Address string `json:"address,omitempty"`
	Domain  string `json:"domain,omitempty"`
	// MaxSize is the size limit in octets from a "!" suffix (RFC 7489 §6.2:
	// "!10m"); 0 when there is none.
	MaxSize uint64 `json:"max_size,omitempty"`
}

// ParseURIList parses a rua or ruf value: DMARC URIs separated by commas,
// optionally surrounded by spaces or tabs. It returns the URIs that parsed
// and an error for each that did not.
func ParseURIList(value string) ([]URI, []error) {
	var out []URI
	var errs []error
	if trimWSP(value) == "" {
		return nil, []error{fmt.Errorf("empty list of URIs")}
	}
	for _, item := range strings.Split(value, ",") {
		item = trimWSP(item)
		if item == "" {
			errs = append(errs, fmt.Errorf("empty URI in the list (two commas in a row, or a trailing comma)"))
			continue
		}
		u, err := ParseURI(item)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, u)
	}
	return out, errs
}

// ParseURI parses one DMARC URI: a URI with an optional size suffix
// ("mailto:dmarc@example.com!10m").
func ParseURI(s string) (URI, error) {
	u := URI{Raw: s, URI: s}
	if i := strings.LastIndexByte(s, '!'); i >= 0 {
		size, err := parseSize(s[i+1:])
		if err != nil {
			return u, fmt.Errorf("%q: bad size limit %q: %v", s, s[i+1:], err)
		}
		u.URI, u.MaxSize = s[:i], size
	}
	pu, err := url.Parse(u.URI)
	if err != nil || pu.Scheme == "" {
		return u, fmt.Errorf("%q is not a URI (want mailto:address@domain)", s)
	}
	u.Scheme = strings.ToLower(pu.Scheme)
	if u.Scheme != "mailto" {
		return u, nil
	}
	addr := pu.Opaque
	if addr == "" {
		addr = pu.Path
	}
	if j := strings.IndexByte(addr, '?'); j >= 0 {
		addr = addr[:j]
	}
	if a, err := url.PathUnescape(addr); err == nil {
		addr = a
	}
	if addr == "" {
		return u, fmt.Errorf("%q: mailto URI without an address", s)
	}
	if strings.ContainsAny(addr, " <>,;") {
		return u, fmt.Errorf("%q: the address %q contains a character that must be percent-encoded", s, addr)
	}
	pa, err := mail.ParseAddress(addr)
	if err != nil {
		return u, fmt.Errorf("%q: %q is not a valid e-mail address", s, addr)
	}
	at := strings.LastIndexByte(pa.Address, '@')
	if at < 1 || at == len(pa.Address)-1 {
		return u, fmt.Errorf("%q: %q is not a valid e-mail address", s, addr)
	}
	u.Address = pa.Address
	u.Domain = strings.ToLower(strings.TrimSuffix(pa.Address[at+1:], "."))
	if !strings.Contains(u.Domain, ".") {
		return u, fmt.Errorf("%q: the domain %q of the address is not a fully qualified domain name", s, u.Domain)
	}
	return u, nil
}

func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("no digits")
	}
	mult := uint64(1)
	switch s[len(s)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	case 't', 'T':
		mult = 1 << 40
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("want digits followed by an optional k, m, g or t")
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > (1<<63)/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}
