// Package txtrec holds what the parsers of the TXT-record policies share
// (MTA-STS, TLS-RPT, BIMI): the types of their parse results (Field,
// Problem, SyntaxError, which the public packages re-export as aliases), the
// version-tag sniffing, the extension grammar that RFC 8461 and RFC 8460
// have in common, and message helpers.
package txtrec

import "strings"

// LooksVersioned reports whether txt starts with "v=<prefix>", ignoring
// case and white space: a record someone meant to publish, even if it is
// malformed ("V = STSv1" looks like an MTA-STS record).
func LooksVersioned(txt, prefix string) bool {
	t := strings.ToLower(strings.Join(strings.Fields(txt), ""))
	return strings.HasPrefix(t, "v="+strings.ToLower(prefix))
}

// IsAlnum reports whether c is an ASCII letter or digit.
func IsAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ValidExtName checks an extension name (RFC 8461 §3.1, RFC 8460 §3):
// (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
func ValidExtName(s string) bool {
	if len(s) < 1 || len(s) > 32 || !IsAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !IsAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// ValidExtValue checks an extension value: 1*(%x21-3A / %x3C / %x3E-7E).
func ValidExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}

// Abbreviate shortens s to at most n octets for a message, marking the cut.
func Abbreviate(s string, n int) string {
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}
