package dkimkey

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxTXTString is the longest character-string a TXT record can hold, in
// octets (RFC 1035 §3.3: a length octet, then the data).
const MaxTXTString = 255

// SplitTXT splits a record value into character-strings of at most max
// octets (MaxTXTString when max is out of range), for publication as ONE
// TXT record of several strings. Verifiers join the strings with nothing
// between them (RFC 6376 §3.6.2.2), so where the value is cut does not
// matter to them; SplitTXT cuts as late as it can, never inside a UTF-8
// sequence. An empty value gives one empty string.
func SplitTXT(value string, max int) []string {
	if max <= 0 || max > MaxTXTString {
		max = MaxTXTString
	}
	if len(value) <= max {
		return []string{value}
	}
	var out []string
	for len(value) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(value[cut]) {
			cut--
		}
		if cut == 0 {
			cut = max
		}
		out = append(out, value[:cut])
		value = value[cut:]
	}
	if value != "" {
		out = append(out, value)
	}
	return out
}

// QuoteTXT writes one character-string in zone-file presentation form:
// in double quotes, with '"' and '\' escaped, and octets outside printable
// ASCII as \DDD (RFC 1035 §5.1).
func QuoteTXT(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ZoneLine returns a BIND zone-file line publishing value as one TXT record
// at name: the value split into strings of at most 255 octets, each quoted.
// A ttl of 0 or less leaves the TTL out (the zone's $TTL applies).
//
//	sel._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; p=MIIB..." "...IDAQAB"
func ZoneLine(name, value string, ttl int) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(name, ".") + ".")
	if ttl > 0 {
		fmt.Fprintf(&b, " %d", ttl)
	}
	b.WriteString(" IN TXT")
	for _, s := range SplitTXT(value, MaxTXTString) {
		b.WriteByte(' ')
		b.WriteString(QuoteTXT(s))
	}
	return b.String()
}

// RecordName returns the DNS name of a selector's key record:
// "<selector>._domainkey.<domain>", canonical (lower case, no final dot).
func RecordName(selector, domain string) string {
	return strings.ToLower(strings.TrimSuffix(selector, ".") + "._domainkey." + strings.TrimSuffix(domain, "."))
}
