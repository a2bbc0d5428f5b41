package dkim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// tag is one tag-spec of a DKIM-Signature, with the region of its value in
// the text it was parsed from.
type tag struct {
	name  string
	value string // the value with leading and trailing FWS removed
	// start and end delimit the whole value region in the source, surrounding
	// whitespace included: source[start:end] is everything between "=" and the
	// next ";" (or the end). Emptying b= removes exactly this (RFC 6376 §3.7).
	start, end int
}

// parseTagList parses an RFC 6376 §3.2 tag-list with dkimkey's parser and
// records where each value region lies.
func parseTagList(s string) ([]tag, error) { return appendTags(nil, s) }

// appendTags is parseTagList appending to dst: a verifier parses each
// signature into a slice it reuses. On error dst is returned as it was.
func appendTags(dst []tag, s string) ([]tag, error) {
	// Up to 16 tags are parsed on the stack (a signature has 9 to 12).
	var stack [16]dkimkey.Tag
	list, err := dkimkey.AppendTagList(stack[:0], s)
	if err != nil {
		return dst, errors.New(strings.TrimPrefix(err.Error(), "dkimkey: tag-list: "))
	}
	for _, t := range list {
		start := t.Offset + strings.IndexByte(s[t.Offset:], '=') + 1
		end := t.ValueEnd
		for end < len(s) && isFWSByte(s[end]) {
			end++
		}
		dst = append(dst, tag{name: t.Name, value: t.Value, start: start, end: end})
	}
	return dst, nil
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func isFWSByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// trimFWS removes spaces, tabs, CRs and LFs at both ends of s.
func trimFWS(s string) string {
	for len(s) > 0 && isFWSByte(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isFWSByte(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// hasFWS reports whether s holds a space, tab, CR or LF.
func hasFWS(s string) bool {
	for k := 0; k < len(s); k++ {
		if isFWSByte(s[k]) {
			return true
		}
	}
	return false
}

// prefixNoFWS returns the first n octets of s that are not FWS: the
// signature prefix of a b= value (RFC 6008) without unfolding all of it.
func prefixNoFWS(s string, n int) string {
	k := 0
	for k < len(s) && k < n && !isFWSByte(s[k]) {
		k++
	}
	if k == n || k == len(s) {
		return s[:k] // the usual case: no fold in the first n octets
	}
	b := make([]byte, 0, n)
	for j := 0; j < len(s) && len(b) < n; j++ {
		if !isFWSByte(s[j]) {
			b = append(b, s[j])
		}
	}
	return string(b)
}

func abbreviate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// stripFWS removes all whitespace: base64 values and h= may be folded.
func stripFWS(s string) string { return dkimkey.RemoveFWS(s) }

// Signature is a parsed DKIM-Signature header field (RFC 6376 §3.5).
type Signature struct {
	Version       string   `json:"version"`
	Algorithm     string   `json:"algorithm"` // a=, lower case: "rsa-sha256"
	KeyAlgorithm  string   `json:"-"`         // "rsa", "ed25519"
	HashAlgorithm string   `json:"-"`         // "sha256", "sha1"
	Domain        string   `json:"domain"`    // d=, as written
	Selector      string   `json:"selector"`  // s=
	Identity      string   `json:"identity,omitempty"`
	Headers       []string `json:"headers"` // h=, in order, as written
	HeaderCanon   string   `json:"-"`       // "simple" or "relaxed"
	BodyCanon     string   `json:"-"`
	BodyLength    int64    `json:"body_length,omitempty"` // l=, -1 when absent
	QueryMethods  []string `json:"query_methods,omitempty"`
	Timestamp     int64    `json:"timestamp,omitempty"`  // t=, 0 when absent
	Expiration    int64    `json:"expiration,omitempty"` // x=, 0 when absent
	BodyHash      []byte   `json:"-"`
	Data          []byte   `json:"-"` // b=, decoded
	CopiedHeaders string   `json:"copied_headers,omitempty"`
	// decoded holds BodyHash and Data when they fit (44 base64 characters
	// decode to 33 octets, 344 to 258): the signature of a 2048-bit RSA or
	// an Ed25519 key needs no allocation of its own.
	decoded          [36 + 264]byte
	hasTimestamp     bool
	hasExpiration    bool
	identityExplicit bool
}

// Canonicalization returns the c= value in its full form ("relaxed/simple").
func (s *Signature) Canonicalization() string {
	// The four valid forms without a concatenation each.
	switch {
	case s.HeaderCanon == "relaxed" && s.BodyCanon == "relaxed":
		return "relaxed/relaxed"
	case s.HeaderCanon == "relaxed" && s.BodyCanon == "simple":
		return "relaxed/simple"
	case s.HeaderCanon == "simple" && s.BodyCanon == "simple":
		return "simple/simple"
	case s.HeaderCanon == "simple" && s.BodyCanon == "relaxed":
		return "simple/relaxed"
	}
	return s.HeaderCanon + "/" + s.BodyCanon
}

// SignatureError is a DKIM-Signature that cannot be used: a syntax error, a
// missing required tag, an unsupported version or algorithm. Result says
// which RFC 8601 result it leads to ("neutral" or "permerror").
type SignatureError struct {
	Result string
	Code   string
	Reason string
}

func (e *SignatureError) Error() string { return "dkim: " + e.Reason }

func sigErr(result, code, format string, args ...any) *SignatureError {
	return &SignatureError{Result: result, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// ParseSignature parses the value of a DKIM-Signature header field (what
// follows the colon). It checks what RFC 6376 §3.5 and §6.1.1 require of the
// signature alone; checks that need the key or the message come later. The
// error is a *SignatureError. Whatever could be read (d=, s=, a=, c=) is
// returned beside an error, so a report can name the signature.
func ParseSignature(value string) (*Signature, error) {
	sig, _, err := parseSignature(value, false)
	return sig, err
}

// parseSignature parses a DKIM-Signature value; drafts accepts the
// signatures of the drafts before RFC 4871 (no v=, or v=0.5).
func parseSignature(value string, drafts bool) (*Signature, []tag, error) {
	sig := &Signature{}
	tags, err := parseSignatureTo(sig, nil, value, drafts)
	return sig, tags, err
}

// parseSignatureTo is parseSignature into sig, appending the tags to dst
// (nil on a tag-list error).
func parseSignatureTo(sig *Signature, dst []tag, value string, drafts bool) ([]tag, error) {
	*sig = Signature{BodyLength: -1}
	tags, err := appendTags(dst, value)
	if err != nil {
		return nil, sigErr(Neutral, "malformed-signature", "malformed DKIM-Signature: %v", err)
	}
	// Where each tag of a signature is, by name: a..z, then bh (tag names
	// are unique, the tag-list parser saw to it).
	var at [27]int
	for k, t := range tags {
		switch {
		case len(t.name) == 1 && t.name[0] >= 'a' && t.name[0] <= 'z':
			at[t.name[0]-'a'] = k + 1
		case t.name == "bh":
			at[26] = k + 1
		}
	}
	get := func(name string) (string, bool) {
		k := 26
		if name != "bh" {
			k = int(name[0] - 'a')
		}
		if at[k] == 0 {
			return "", false
		}
		return tags[at[k]-1].value, true
	}
	// Record what identifies the signature first, for the report.
	if d, ok := get("d"); ok {
		sig.Domain = d
	}
	if s, ok := get("s"); ok {
		sig.Selector = s
	}
	if a, ok := get("a"); ok {
		sig.Algorithm = strings.ToLower(a)
	}
	sig.HeaderCanon, sig.BodyCanon = "simple", "simple"
	if c, ok := get("c"); ok {
		c = strings.ToLower(c)
		h, b, hasBody := strings.Cut(c, "/")
		sig.HeaderCanon = h
		if hasBody {
			sig.BodyCanon = b
		}
	}

	v, ok := get("v")
	switch {
	case !ok && drafts:
		v = "1"
	case !ok:
		return tags, sigErr(Neutral, "missing-tag", "the signature has no v= tag (a signature from a draft before RFC 4871)")
	case v == "0.5" && drafts:
		v = "1"
	}
	sig.Version = v
	if v != "1" {
		return tags, sigErr(Neutral, "unsupported-version", "unsupported signature version v=%s (only v=1 exists)", abbreviate(v))
	}
	for _, req := range []string{"a", "b", "bh", "d", "h", "s"} {
		if _, ok := get(req); !ok {
			return tags, sigErr(Neutral, "missing-tag", "the signature has no %s= tag, which RFC 6376 requires", req)
		}
	}
	ka, ha, ok := strings.Cut(sig.Algorithm, "-")
	if !ok {
		return tags, sigErr(Neutral, "unsupported-algorithm", "malformed algorithm a=%s", abbreviate(sig.Algorithm))
	}
	sig.KeyAlgorithm, sig.HashAlgorithm = ka, ha
	switch sig.Algorithm {
	case "rsa-sha256", "ed25519-sha256", "rsa-sha1":
	default:
		return tags, sigErr(Neutral, "unsupported-algorithm", "unsupported algorithm a=%s (rsa-sha256 and ed25519-sha256 are the ones in use)", abbreviate(sig.Algorithm))
	}
	for _, c := range []string{sig.HeaderCanon, sig.BodyCanon} {
		if c != "simple" && c != "relaxed" {
			return tags, sigErr(Neutral, "unsupported-canonicalization", "unsupported canonicalization c=%s (want simple or relaxed)", abbreviate(sig.Canonicalization()))
		}
	}
	if sig.Domain == "" {
		return tags, sigErr(Neutral, "malformed-signature", "the signature has an empty d= tag")
	}
	if sig.Selector == "" {
		return tags, sigErr(Neutral, "malformed-signature", "the signature has an empty s= tag")
	}
	if err := checkDomain(sig.Domain); err != nil {
		return tags, sigErr(Neutral, "malformed-signature", "d=%s is not a domain name: %v", abbreviate(sig.Domain), err)
	}
	if err := checkDomain(sig.Selector); err != nil {
		return tags, sigErr(Neutral, "malformed-signature", "s=%s is not a valid selector: %v", abbreviate(sig.Selector), err)
	}

	h, _ := get("h")
	sig.Headers = make([]string, 0, strings.Count(h, ":")+1)
	for rest, more := h, true; more; {
		var name string
		name, rest, more = strings.Cut(rest, ":")
		name = trimFWS(name)
		if name == "" {
			return tags, sigErr(Neutral, "malformed-signature", "h= has an empty header field name")
		}
		if hasFWS(name) {
			return tags, sigErr(Neutral, "malformed-signature", "h= header field name %q contains whitespace", abbreviate(name))
		}
		sig.Headers = append(sig.Headers, name)
	}
	fromSigned := false
	for _, name := range sig.Headers {
		if strings.EqualFold(name, "from") {
			fromSigned = true
		}
	}
	if !fromSigned {
		return tags, sigErr(Permerror, "from-not-signed", "h= does not include From, which RFC 6376 §5.4 requires to be signed")
	}

	bh, _ := get("bh")
	sig.BodyHash, err = decodeBase64FWS(sig.decoded[:0:36], bh)
	if err != nil || len(sig.BodyHash) == 0 {
		return tags, sigErr(Neutral, "malformed-signature", "bh= is not valid base64")
	}
	b, _ := get("b")
	sig.Data, err = decodeBase64FWS(sig.decoded[36:36], b)
	if err != nil || len(sig.Data) == 0 {
		return tags, sigErr(Neutral, "malformed-signature", "b= is empty or not valid base64")
	}

	if i, ok := get("i"); ok {
		id, err := decodeQP(stripFWS(i))
		if err != nil {
			return tags, sigErr(Neutral, "malformed-signature", "i= is malformed: %v", err)
		}
		sig.Identity = id
		sig.identityExplicit = true
		at := strings.LastIndexByte(id, '@')
		if at < 0 {
			return tags, sigErr(Permerror, "identity-mismatch", "i=%s has no \"@\"", abbreviate(id))
		}
		idDomain := strings.ToLower(id[at+1:])
		d := strings.ToLower(sig.Domain)
		if idDomain != d && !strings.HasSuffix(idDomain, "."+d) {
			return tags, sigErr(Permerror, "identity-mismatch", "i=%s is not in d=%s or a subdomain of it (RFC 6376 §3.5)", abbreviate(id), sig.Domain)
		}
	} else {
		sig.Identity = "@" + sig.Domain
	}

	if l, ok := get("l"); ok {
		n, err := strconv.ParseInt(stripFWS(l), 10, 64)
		if err != nil || n < 0 || len(stripFWS(l)) > 76 {
			return tags, sigErr(Neutral, "malformed-signature", "l=%s is not a number of octets", abbreviate(l))
		}
		sig.BodyLength = n
	}
	if q, ok := get("q"); ok {
		found := false
		for _, m := range strings.Split(q, ":") {
			m = strings.ToLower(trimFWS(m))
			sig.QueryMethods = append(sig.QueryMethods, m)
			if m == "dns/txt" || m == "dns" {
				found = true
			}
		}
		if !found {
			return tags, sigErr(Neutral, "unsupported-query-method", "unsupported key query method q=%s (only dns/txt exists)", abbreviate(q))
		}
	}
	if t, ok := get("t"); ok {
		n, err := parseUnixTime(t)
		if err != nil {
			return tags, sigErr(Neutral, "malformed-signature", "t=%s is not a time: %v", abbreviate(t), err)
		}
		sig.Timestamp, sig.hasTimestamp = n, true
	}
	if x, ok := get("x"); ok {
		n, err := parseUnixTime(x)
		if err != nil {
			return tags, sigErr(Neutral, "malformed-signature", "x=%s is not a time: %v", abbreviate(x), err)
		}
		sig.Expiration, sig.hasExpiration = n, true
		if sig.hasTimestamp && n < sig.Timestamp {
			return tags, sigErr(Permerror, "malformed-signature", "x= (%d) is earlier than t= (%d)", n, sig.Timestamp)
		}
	}
	if z, ok := get("z"); ok {
		sig.CopiedHeaders = z
	}
	return tags, nil
}

// decodeBase64FWS decodes a base64 tag value that may be folded, as
// base64.StdEncoding decodes it with its whitespace removed (padding
// required, trailing bits ignored), but in one pass that skips the
// whitespace as it goes, four characters at a time between folds. The
// result is appended to dst (its spare capacity, when it fits); beside an
// error it holds the quanta decoded before it, as Decode's would.
func decodeBase64FWS(dst []byte, s string) ([]byte, error) {
	out := dst[len(dst):]
	var q [4]byte
	nq := 0
	i := 0
	for i < len(s) {
		if nq == 0 {
			for i+4 <= len(s) {
				w := s[i : i+4]
				a, b, c, d := base64Value[w[0]], base64Value[w[1]], base64Value[w[2]], base64Value[w[3]]
				if a|b|c|d >= 64 {
					break
				}
				out = append(out, a<<2|b>>4, b<<4|c>>2, c<<6|d)
				i += 4
			}
			if i == len(s) {
				break
			}
		}
		v := base64Value[s[i]]
		switch {
		case v < 64:
			q[nq] = v
			nq++
			if nq == 4 {
				out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
				nq = 0
			}
		case v == base64FWS:
		case s[i] == '=':
			return decodePadding(out, s[i+1:], q, nq)
		default:
			return out[:len(out):len(out)], errBase64
		}
		i++
	}
	if nq != 0 {
		return out[:len(out):len(out)], errBase64 // an incomplete quantum without padding
	}
	return out[:len(out):len(out)], nil
}

// decodePadding ends decodeBase64FWS at a "=": the quantum holds nq
// characters, rest is what follows the "=".
func decodePadding(out []byte, rest string, q [4]byte, nq int) ([]byte, error) {
	rest = trimFWS(rest)
	switch {
	case nq == 2 && strings.HasPrefix(rest, "="):
		rest = trimFWS(rest[1:])
		out = append(out, q[0]<<2|q[1]>>4)
	case nq == 3:
		out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2)
	default:
		return out[:len(out):len(out)], errBase64
	}
	if rest != "" {
		return out[:len(out):len(out)], errBase64 // something after the padding
	}
	return out[:len(out):len(out)], nil
}

var errBase64 = errors.New("not valid base64")

// base64FWS marks the whitespace in base64Value; 0xff marks the rest of
// what is not a base64 digit.
const base64FWS = 0xfe

var base64Value = func() (t [256]byte) {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for c := range t {
		t[c] = 0xff
	}
	for v := 0; v < len(digits); v++ {
		t[digits[v]] = byte(v)
	}
	for _, c := range []byte(" \t\r\n") {
		t[c] = base64FWS
	}
	return t
}()

func parseUnixTime(s string) (int64, error) {
	s = stripFWS(s)
	if s == "" || len(s) > 12 {
		return 0, errors.New("want up to 12 digits")
	}
	for k := 0; k < len(s); k++ {
		if s[k] < '0' || s[k] > '9' {
			return 0, errors.New("want digits")
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// checkDomain checks a d= value: labels of letters, digits, hyphens and
// underscores (RFC 6376 §3.5 uses the domain-name of RFC 5321; A-labels only).
func checkDomain(d string) error {
	if len(d) > 253 {
		return errors.New("longer than 253 octets")
	}
	for rest, more := d, true; more; {
		var label string
		label, rest, more = strings.Cut(rest, ".")
		if label == "" {
			return errors.New("empty label")
		}
		if len(label) > 63 {
			return errors.New("label longer than 63 octets")
		}
		for k := 0; k < len(label); k++ {
			c := label[k]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("contains %q", string(rune(c)))
			}
		}
	}
	return nil
}

// decodeQP decodes DKIM-Quoted-Printable (RFC 6376 §2.11): =XX escapes.
func decodeQP(s string) (string, error) {
	if !strings.Contains(s, "=") {
		return s, nil
	}
	var b strings.Builder
	for k := 0; k < len(s); k++ {
		if s[k] != '=' {
			b.WriteByte(s[k])
			continue
		}
		if k+2 >= len(s) {
			return "", errors.New("truncated =XX escape")
		}
		n, err := strconv.ParseUint(s[k+1:k+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape %q", s[k:k+3])
		}
		b.WriteByte(byte(n))
		k += 2
	}
	return b.String(), nil
}

// expired reports whether the signature's x= is in the past at now.
func (s *Signature) expired(now time.Time) bool {
	return s.hasExpiration && now.Unix() > s.Expiration
}
