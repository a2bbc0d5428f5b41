package failure

import (
	"strings"
)

// AuthResult is one result of an Authentication-Results field (RFC 8601):
// a method, its result and its properties ("header.from",
// "smtp.mailfrom", ...). Property values that are addresses carry only
// their domain unless the report was read with Options.ShowHeaders.
type AuthResult struct {
	Method     string            `json:"method"`
	Result     string            `json:"result"`
	Properties map[string]string `json:"properties,omitempty"`
}

// parseAuthResults reads an Authentication-Results value. It is lenient
// where reporters are: the authserv-id is optional (failure reports often
// leave it out), comments may hold ";" and "=", and values may be quoted.
// Why not emersion/go-msgauth's authres: it requires the authserv-id and
// splits results at a ";" inside a comment, both of which real failure
// reports do.
func parseAuthResults(v string, keepAddresses bool) []AuthResult {
	var out []AuthResult
	for _, seg := range splitOutsideComments(v) {
		seg = strings.TrimSpace(stripComments(seg))
		if seg == "" {
			continue
		}
		fields := tokens(seg)
		if len(fields) == 0 {
			continue
		}
		method, result, ok := strings.Cut(fields[0], "=")
		if !ok {
			continue // the authserv-id (and its version), or "none"
		}
		method = strings.ToLower(method)
		if j := strings.IndexByte(method, '/'); j >= 0 {
			method = method[:j] // method version
		}
		r := AuthResult{Method: method, Result: strings.ToLower(unquote(result))}
		for _, f := range fields[1:] {
			k, val, ok := strings.Cut(f, "=")
			if !ok || k == "" {
				continue
			}
			k = strings.ToLower(k)
			val = unquote(val)
			if !keepAddresses {
				val = domainOnly(val)
			}
			if r.Properties == nil {
				r.Properties = map[string]string{}
			}
			r.Properties[k] = val
		}
		out = append(out, r)
		if len(out) >= 32 {
			break
		}
	}
	return out
}

// splitOutsideComments splits v at ";" outside comments and quoted
// strings.
func splitOutsideComments(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && (quoted || depth > 0):
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
		case c == '(' && !quoted:
			depth++
		case c == ')' && !quoted && depth > 0:
			depth--
		case c == ';' && !quoted && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// stripComments removes RFC 5322 comments (nested, with escapes) outside
// quoted strings.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (quoted || depth > 0):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
			continue
		case c == '"' && depth == 0:
			quoted = !quoted
		case c == '(' && !quoted:
			depth++
			b.WriteByte(' ')
			continue
		case c == ')' && !quoted && depth > 0:
			depth--
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// tokens splits s at white space outside quoted strings.
func tokens(s string) []string {
	var out []string
	quoted, start := false, -1
	for i := 0; i <= len(s); i++ {
		if i == len(s) || (!quoted && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		}
		if s[i] == '"' {
			quoted = !quoted
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	return s
}

// domainOnly reduces an address ("user@example.com", "<user@example.com>")
// to its domain; other values are returned as they are.
func domainOnly(v string) string {
	v = strings.TrimSpace(v)
	t := strings.Trim(v, "<>")
	if at := strings.LastIndexByte(t, '@'); at >= 0 {
		return strings.ToLower(t[at+1:])
	}
	return v
}
