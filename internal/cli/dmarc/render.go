package dmarc

import (
	"github.com/penguinmails/emailauth/pkg/dns"
)

// Everything these commands print for people goes through the Term
// (f.IO.Term()), which escapes control characters, escape sequences,
// bidirectional controls and invalid UTF-8, and owns colour. DNS records are
// written by strangers: a value that reaches a line of its own is also kept
// on one line (report.SafeLine), so that it cannot forge a line of output.

// display returns a domain for people: its A-label form, and the U-label
// form beside it when they differ ("xn--bcher-kva.example (bücher.example)").
func display(ascii string) string {
	return dns.Domain{ASCII: ascii, Unicode: dns.UnicodeName(ascii)}.Display()
}
