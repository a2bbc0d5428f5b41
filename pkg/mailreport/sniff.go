package mailreport

import "bytes"

// Format is the container or document format of an input, recognized from
// its first octets.
type Format string

// The formats Sniff recognizes.
const (
	FormatUnknown Format = ""
	FormatGzip    Format = "gzip"
	FormatZip     Format = "zip"
	FormatXML     Format = "xml"
	FormatJSON    Format = "json"
	// FormatEmail is one RFC 5322 message.
	FormatEmail Format = "email"
	// FormatMbox is a mailbox file: messages each introduced by a
	// "From " line.
	FormatMbox Format = "mbox"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// Sniff names the format of data from its first octets. A byte-order mark
// and leading white space are skipped before XML and JSON.
func Sniff(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return FormatGzip
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return FormatZip
	case bytes.HasPrefix(data, []byte("From ")):
		return FormatMbox
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(data, utf8BOM), " \t\r\n")
	switch {
	case bytes.HasPrefix(t, []byte("<")):
		return FormatXML
	case bytes.HasPrefix(t, []byte("{")):
		return FormatJSON
	}
	if looksLikeHeader(data) {
		return FormatEmail
	}
	return FormatUnknown
}

// looksLikeHeader reports whether data begins with a header field: a name
// of printable ASCII without spaces, then a colon.
func looksLikeHeader(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	name, _, ok := bytes.Cut(line, []byte(":"))
	if !ok || len(name) == 0 || len(name) > 76 {
		return false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
