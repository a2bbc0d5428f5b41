package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// SafeJSON escapes, in JSON text, the characters that encoding/json leaves
// raw but that a terminal may act on or that make text read differently:
// DEL, the C1 controls (U+0080 to U+009F) and the bidirectional formatting
// characters. They can only occur inside strings, where \uXXXX means the
// same character, so the JSON decodes to exactly the same values: the
// output is safe to print and lossless. (encoding/json already escapes the
// C0 controls, U+2028, U+2029 and invalid UTF-8.)
func SafeJSON(b []byte) []byte {
	if !needsJSONEscape(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == 0x7f || r >= 0x80 && r <= 0x9f && n > 1 || isBidi(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

func needsJSONEscape(b []byte) bool {
	if bytes.IndexByte(b, 0x7f) >= 0 {
		return true
	}
	// C1 controls are \xc2\x80-\xc2\x9f in UTF-8; the bidi controls start
	// with \xd8 (U+061C) or \xe2\x80 / \xe2\x81.
	return bytes.Contains(b, []byte{0xc2}) || bytes.Contains(b, []byte{0xe2, 0x80}) || bytes.Contains(b, []byte{0xe2, 0x81}) || bytes.Contains(b, []byte{0xd8, 0x9c})
}

// WriteJSON writes v as JSON indented with two spaces, followed by a
// newline, without HTML escaping, and made safe for a terminal (SafeJSON).
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	out := SafeJSON(buf.Bytes())
	if bytes.Contains(out, []byte(`\u00`)) {
		out = unescapeHTML(out)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
