package arc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// The names of the three header fields of an ARC set (RFC 8617 §4.1).
const (
	SealField             = "ARC-Seal"
	MessageSignatureField = "ARC-Message-Signature"
	AuthResultsField      = "ARC-Authentication-Results"
)

// MaxInstance is the highest instance number, and so the most ARC sets a
// message can carry (RFC 8617 §4.2.1, §5.2 step 1).
const MaxInstance = 50

// Chain validation statuses: the cv= values of an ARC-Seal (RFC 8617
// §4.1.3) and the results of validating a chain (§5.2, the "arc" method of
// RFC 8601).
const (
	None = "none"
	Pass = "pass"
	Fail = "fail"
	// Temperror is not a cv= value: it is the result of a validation that
	// could not fetch a key (a DNS timeout or SERVFAIL). Retrying later may
	// give pass or fail.
	Temperror = "temperror"
)

// ParseError is an ARC header field that cannot be used. Code names the
// problem in a stable way: malformed, missing-tag, bad-instance,
// unsupported-algorithm, unsupported-canonicalization, forbidden-tag.
type ParseError struct {
	Field  string // SealField, MessageSignatureField or AuthResultsField
	Code   string
	Reason string
}

func (e *ParseError) Error() string { return "arc: " + e.Field + ": " + e.Reason }

func parseErr(field, code, format string, args ...any) *ParseError {
	return &ParseError{Field: field, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Seal is a parsed ARC-Seal header field (RFC 8617 §4.1.3): a signature
// over the ARC header fields of every set up to its own.
type Seal struct {
	Instance  int    `json:"instance"`  // i=
	Algorithm string `json:"algorithm"` // a=, lower case: rsa-sha256, ed25519-sha256
	Domain    string `json:"domain"`    // d=
	Selector  string `json:"selector"`  // s=
	// ChainValidation is cv=: none, pass or fail (lower case).
	ChainValidation string `json:"cv"`
	// Timestamp is t=, 0 when absent.
	Timestamp int64  `json:"timestamp,omitempty"`
	Signature []byte `json:"-"` // b=, decoded
}

// MessageSignature is a parsed ARC-Message-Signature header field (RFC
// 8617 §4.1.2): a DKIM signature whose i= is the instance, with no v=.
type MessageSignature struct {
	Instance  int      `json:"instance"`  // i=
	Algorithm string   `json:"algorithm"` // a=, lower case
	Domain    string   `json:"domain"`    // d=
	Selector  string   `json:"selector"`  // s=
	Headers   []string `json:"headers"`   // h=, in order, as written; may be empty
	// HeaderCanon and BodyCanon are c= ("simple" when absent).
	HeaderCanon string `json:"header_canonicalization"`
	BodyCanon   string `json:"body_canonicalization"`
	// BodyLength is l=, -1 when absent.
	BodyLength int64 `json:"body_length,omitempty"`
	// Timestamp (t=) and Expiration (x=) are 0 when absent.
	Timestamp  int64  `json:"timestamp,omitempty"`
	Expiration int64  `json:"expiration,omitempty"`
	BodyHash   []byte `json:"-"` // bh=, decoded
	Signature  []byte `json:"-"` // b=, decoded
}

// AuthResults is a parsed ARC-Authentication-Results header field (RFC
// 8617 §4.1.1): an instance and an RFC 8601 Authentication-Results payload.
type AuthResults struct {
	Instance int `json:"instance"`
	// AuthServID is the authserv-id of the payload (the ADMD that recorded
	// the results).
	AuthServID string `json:"authserv_id"`
	// Results is the rest of the payload after the authserv-id (and its
	// version, if any) and the semicolon that follows it, unfolded, with
	// runs of whitespace squeezed: the resinfos ("spf=pass
	// smtp.mailfrom=...; dkim=pass ..."), or "none".
	Results string `json:"results"`
}

// algorithms are the a= values accepted for ARC-Seal and
// ARC-Message-Signature: RSA and Ed25519 with SHA-256 (RFC 8617 §4.1.2
// takes a= from DKIM; RFC 8301 forbids rsa-sha1, RFC 8463 adds Ed25519).
func checkAlgorithm(field, a string) (string, error) {
	switch a = strings.ToLower(a); a {
	case "rsa-sha256", "ed25519-sha256":
		return a, nil
	case "rsa-sha1":
		return a, parseErr(field, "unsupported-algorithm", "a=rsa-sha1 is not accepted (RFC 8301 forbids SHA-1 signatures; use rsa-sha256)")
	case "":
		return a, parseErr(field, "malformed", "a= is empty")
	}
	return a, parseErr(field, "unsupported-algorithm", "unsupported algorithm a=%s (want rsa-sha256 or ed25519-sha256)", abbreviate(a))
}

// parseTags parses a tag-list with dkimkey's RFC 6376 §3.2 parser.
func parseTags(field, value string) (dkimkey.TagList, error) {
	tags, err := dkimkey.ParseTagList(value)
	if err != nil {
		return nil, parseErr(field, "malformed", "malformed tag-list: %s", strings.TrimPrefix(err.Error(), "dkimkey: tag-list: "))
	}
	return tags, nil
}

// parseInstance parses an i= value: 1 to MaxInstance.
func parseInstance(field, v string) (int, error) {
	if v == "" {
		return 0, parseErr(field, "bad-instance", "i= is empty")
	}
	if len(v) > 2 || !allDigits(v) {
		return 0, parseErr(field, "bad-instance", "i=%s is not an instance number from 1 to %d", abbreviate(v), MaxInstance)
	}
	n, _ := strconv.Atoi(v)
	if n < 1 || n > MaxInstance {
		return 0, parseErr(field, "bad-instance", "i=%d is outside 1 to %d", n, MaxInstance)
	}
	return n, nil
}

func allDigits(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return s != ""
}

// parseTime parses t= or x=: up to 12 digits, no whitespace.
func parseTime(field, tag, v string) (int64, error) {
	if !allDigits(v) || len(v) > 12 {
		return 0, parseErr(field, "malformed", "%s=%s is not a time in seconds since 1970", tag, abbreviate(v))
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}

// decodeBase64 decodes b= or bh=, whose folding whitespace is ignored.
func decodeBase64(field, tag, v string) ([]byte, error) {
	data, err := base64.StdEncoding.DecodeString(dkimkey.RemoveFWS(v))
	if err != nil || len(data) == 0 {
		if strings.TrimSpace(v) == "" {
			return nil, parseErr(field, "malformed", "%s= is empty", tag)
		}
		return nil, parseErr(field, "malformed", "%s= is not valid base64", tag)
	}
	return data, nil
}

// checkDomain checks d= or s=: labels of letters, digits, hyphens and
// underscores, as DKIM allows (RFC 6376 §3.5).
func checkDomain(field, tag, d string) error {
	if d == "" {
		return parseErr(field, "malformed", "%s= is empty", tag)
	}
	if len(d) > 253 {
		return parseErr(field, "malformed", "%s= is longer than 253 octets", tag)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return parseErr(field, "malformed", "%s=%s is not a domain name (empty or over-long label)", tag, abbreviate(d))
		}
		for k := 0; k < len(label); k++ {
			c := label[k]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return parseErr(field, "malformed", "%s=%s is not a domain name (it contains %q)", tag, abbreviate(d), string(rune(c)))
			}
		}
	}
	return nil
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// required returns the value of a tag that must be present.
func required(field string, tags dkimkey.TagList, name string) (string, error) {
	v, ok := tags.Get(name)
	if !ok {
		return "", parseErr(field, "missing-tag", "there is no %s= tag, which RFC 8617 requires", name)
	}
	return v, nil
}

// ParseSeal parses the value of an ARC-Seal header field (what follows the
// colon). Every tag RFC 8617 §4.1.3 requires must be present (i, a, b, cv,
// d, s); t= is optional; h= is forbidden; other tags are ignored. The error
// is a *ParseError.
func ParseSeal(value string) (*Seal, error) {
	const f = SealField
	tags, err := parseTags(f, value)
	if err != nil {
		return nil, err
	}
	s := &Seal{}
	iv, err := required(f, tags, "i")
	if err != nil {
		return nil, err
	}
	if s.Instance, err = parseInstance(f, iv); err != nil {
		return nil, err
	}
	// What names the seal is recorded first, for the report.
	s.Domain, _ = tags.Get("d")
	s.Selector, _ = tags.Get("s")
	a, _ := tags.Get("a")
	s.Algorithm = strings.ToLower(a)
	if tags.Has("h") {
		return s, parseErr(f, "forbidden-tag", "an ARC-Seal must not have an h= tag (RFC 8617 §4.1.3: it signs the ARC header fields only)")
	}
	for _, name := range []string{"a", "b", "cv", "d", "s"} {
		if _, err := required(f, tags, name); err != nil {
			return s, err
		}
	}
	if s.Algorithm, err = checkAlgorithm(f, a); err != nil {
		return s, err
	}
	if err := checkDomain(f, "d", s.Domain); err != nil {
		return s, err
	}
	if err := checkDomain(f, "s", s.Selector); err != nil {
		return s, err
	}
	cv, _ := tags.Get("cv")
	switch s.ChainValidation = strings.ToLower(cv); s.ChainValidation {
	case None, Pass, Fail:
	case "":
		return s, parseErr(f, "malformed", "cv= is empty")
	default:
		return s, parseErr(f, "malformed", "cv=%s is not none, pass or fail", abbreviate(cv))
	}
	if t, ok := tags.Get("t"); ok {
		if s.Timestamp, err = parseTime(f, "t", t); err != nil {
			return s, err
		}
	}
	b, _ := tags.Get("b")
	if s.Signature, err = decodeBase64(f, "b", b); err != nil {
		return s, err
	}
	return s, nil
}

// ParseMessageSignature parses the value of an ARC-Message-Signature
// header field. It is a DKIM-Signature (RFC 6376 §3.5) with three
// differences (RFC 8617 §4.1.2): i= is the instance, there is no v= (one
// is ignored), and h= need not name From (it may even be empty). h= must
// not name ARC-Seal, which later seals change. The error is a *ParseError.
func ParseMessageSignature(value string) (*MessageSignature, error) {
	const f = MessageSignatureField
	tags, err := parseTags(f, value)
	if err != nil {
		return nil, err
	}
	m := &MessageSignature{BodyLength: -1, HeaderCanon: "simple", BodyCanon: "simple"}
	iv, err := required(f, tags, "i")
	if err != nil {
		return nil, err
	}
	if m.Instance, err = parseInstance(f, iv); err != nil {
		return nil, err
	}
	m.Domain, _ = tags.Get("d")
	m.Selector, _ = tags.Get("s")
	a, _ := tags.Get("a")
	m.Algorithm = strings.ToLower(a)
	for _, name := range []string{"a", "b", "bh", "d", "h", "s"} {
		if _, err := required(f, tags, name); err != nil {
			return m, err
		}
	}
	if m.Algorithm, err = checkAlgorithm(f, a); err != nil {
		return m, err
	}
	if err := checkDomain(f, "d", m.Domain); err != nil {
		return m, err
	}
	if err := checkDomain(f, "s", m.Selector); err != nil {
		return m, err
	}
	if c, ok := tags.Get("c"); ok {
		h, b, hasBody := strings.Cut(strings.ToLower(c), "/")
		m.HeaderCanon = h
		if hasBody {
			m.BodyCanon = b
		}
		for _, x := range []string{m.HeaderCanon, m.BodyCanon} {
			if x != "simple" && x != "relaxed" {
				return m, parseErr(f, "unsupported-canonicalization", "unsupported canonicalization c=%s (want simple or relaxed, as header/body)", abbreviate(c))
			}
		}
	}
	h, _ := tags.Get("h")
	m.Headers = []string{}
	for _, name := range strings.Split(h, ":") {
		// An empty name (h=, or "a::b") names no field: it adds nothing
		// to the hash, as in DKIM verifiers.
		name = strings.Trim(name, " \t\r\n")
		if name == "" {
			continue
		}
		if strings.ContainsAny(name, " \t\r\n;") {
			return m, parseErr(f, "malformed", "h= header field name %q contains whitespace", abbreviate(name))
		}
		if strings.EqualFold(name, SealField) {
			return m, parseErr(f, "forbidden-tag", "h= names ARC-Seal, which an ARC-Message-Signature must not sign (RFC 8617 §4.1.2)")
		}
		m.Headers = append(m.Headers, name)
	}
	if l, ok := tags.Get("l"); ok {
		if !allDigits(l) || len(l) > 18 {
			return m, parseErr(f, "malformed", "l=%s is not a number of octets", abbreviate(l))
		}
		m.BodyLength, _ = strconv.ParseInt(l, 10, 64)
	}
	if q, ok := tags.Get("q"); ok {
		found := false
		for _, x := range strings.Split(q, ":") {
			if x = strings.ToLower(strings.Trim(x, " \t\r\n")); x == "dns/txt" || x == "dns" {
				found = true
			}
		}
		if !found {
			return m, parseErr(f, "malformed", "unsupported key query method q=%s (only dns/txt exists)", abbreviate(q))
		}
	}
	if t, ok := tags.Get("t"); ok {
		if m.Timestamp, err = parseTime(f, "t", t); err != nil {
			return m, err
		}
	}
	if x, ok := tags.Get("x"); ok {
		if m.Expiration, err = parseTime(f, "x", x); err != nil {
			return m, err
		}
		if m.Timestamp != 0 && m.Expiration < m.Timestamp {
			return m, parseErr(f, "malformed", "x= (%d) is earlier than t= (%d)", m.Expiration, m.Timestamp)
		}
	}
	bh, _ := tags.Get("bh")
	if m.BodyHash, err = decodeBase64(f, "bh", bh); err != nil {
		return m, err
	}
	b, _ := tags.Get("b")
	if m.Signature, err = decodeBase64(f, "b", b); err != nil {
		return m, err
	}
	return m, nil
}

// ParseAuthResults parses the value of an ARC-Authentication-Results
// header field (RFC 8617 §4.1.1):
//
//	arc-info = instance [CFWS] ";" authres-payload
//	instance = [CFWS] "i" [CFWS] "=" [CFWS] i-value
//
// The instance comes first; the payload must start with an authserv-id.
// Results holds the resinfos as written; parse them with ParseResults. The
// error is a *ParseError.
func ParseAuthResults(value string) (*AuthResults, error) {
	const f = AuthResultsField
	k := skipCFWS(value, 0)
	if k >= len(value) || value[k] != 'i' {
		return nil, parseErr(f, "bad-instance", "the value does not start with the instance tag i= (RFC 8617 §4.1.1)")
	}
	k = skipCFWS(value, k+1)
	if k >= len(value) || value[k] != '=' {
		return nil, parseErr(f, "bad-instance", "the value does not start with the instance tag i= (RFC 8617 §4.1.1)")
	}
	k = skipCFWS(value, k+1)
	start := k
	for k < len(value) && !strings.ContainsRune(" \t\r\n(;", rune(value[k])) {
		k++
	}
	n, err := parseInstance(f, value[start:k])
	if err != nil {
		return nil, err
	}
	k = skipCFWS(value, k)
	if k >= len(value) || value[k] != ';' {
		return nil, parseErr(f, "bad-instance", "the instance i=%d is not followed by \";\" (RFC 8617 §4.1.1)", n)
	}
	ar := &AuthResults{Instance: n}
	payload := value[k+1:]
	parts := splitResinfos(payload)
	id := strings.Fields(stripComments(parts[0]))
	if len(id) == 0 {
		return ar, parseErr(f, "malformed", "the payload has no authserv-id after i=%d (RFC 8601 §2.2)", n)
	}
	if len(id) > 2 || len(id) == 2 && !allDigits(id[1]) {
		return ar, parseErr(f, "malformed", "the authserv-id %q is followed by %q, not by \";\"", abbreviate(id[0]), abbreviate(id[1]))
	}
	ar.AuthServID = id[0]
	if len(parts) > 1 {
		ar.Results = strings.Join(strings.Fields(payload[len(parts[0])+1:]), " ")
	}
	return ar, nil
}

// skipCFWS skips folding whitespace and comments from s[k:].
func skipCFWS(s string, k int) int {
	depth := 0
	for k < len(s) {
		c := s[k]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0 && k+1 < len(s):
			k++
		case depth > 0:
		default:
			return k
		}
		k++
	}
	return k
}

// splitResinfos splits an Authentication-Results payload at the
// semicolons that are outside comments and quoted strings. The first part
// is the authserv-id (and version); the others are resinfos, as written.
func splitResinfos(s string) []string {
	var parts []string
	depth, quoted, start := 0, false, 0
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case c == '\\' && (quoted || depth > 0):
			k++
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == '"' && depth == 0:
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ';' && depth == 0:
			parts = append(parts, s[start:k])
			start = k + 1
		}
	}
	return append(parts, s[start:])
}

// stripComments removes RFC 5322 comments (outside quoted strings),
// leaving a space in their place.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth, quoted := 0, false
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case depth == 0 && c == '\\' && quoted && k+1 < len(s):
			b.WriteByte(c)
			b.WriteByte(s[k+1])
			k++
		case depth == 0 && c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case quoted:
			b.WriteByte(c)
		case c == '(':
			if depth == 0 {
				b.WriteByte(' ')
			}
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0:
			k++
		case depth > 0:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// instanceOf reads the instance of an ARC header field without parsing the
// rest, for grouping the fields into sets.
func instanceOf(kind, value string) (int, error) {
	if kind == AuthResultsField {
		ar, err := ParseAuthResults(value)
		if ar == nil {
			return 0, err
		}
		return ar.Instance, nil
	}
	tags, err := parseTags(kind, value)
	if err != nil {
		return 0, err
	}
	iv, ok := tags.Get("i")
	if !ok {
		return 0, parseErr(kind, "bad-instance", "there is no i= tag, which RFC 8617 requires")
	}
	return parseInstance(kind, iv)
}

// errorCode returns the Code of a *ParseError, or "malformed".
func errorCode(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return "malformed"
}
