package spf

import (
	"fmt"
	"strings"
)

// MaxStringLen is the longest character-string a TXT record can carry.
const MaxStringLen = 255

// SplitStrings splits a record into character-strings of at most 255
// octets, breaking after a space where one is near the limit so that each
// string ends on a term boundary. Receivers join the strings with no
// separator (RFC 7208 §3.3), so the split never changes the record.
func SplitStrings(record string) []string {
	var out []string
	for len(record) > MaxStringLen {
		cut := strings.LastIndexByte(record[:MaxStringLen], ' ')
		if cut < MaxStringLen/2 {
			cut = MaxStringLen
		} else {
			cut++ // keep the space at the end of this string
		}
		out = append(out, record[:cut])
		record = record[cut:]
	}
	return append(out, record)
}

// ZoneStrings returns the record as zone-file character-strings: quoted,
// escaped, split at 255 octets.
func ZoneStrings(record string) string {
	var q []string
	for _, s := range SplitStrings(record) {
		q = append(q, quoteZone(s))
	}
	return strings.Join(q, " ")
}

// ZoneLine returns a BIND zone-file line publishing record as TXT at name.
func ZoneLine(name string, ttl uint32, record string) string {
	return fmt.Sprintf("%s.\t%d\tIN\tTXT\t%s", strings.TrimSuffix(name, "."), ttl, ZoneStrings(record))
}

func quoteZone(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
