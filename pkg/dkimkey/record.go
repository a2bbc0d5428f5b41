package dkimkey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Key types (k=).
const (
	KeyTypeRSA     = "rsa"
	KeyTypeEd25519 = "ed25519"
)

// Errors wrapped by ParseRecord, for callers that classify failures
// (errors.Is). A malformed tag-list wraps ErrSyntax.
var (
	// ErrVersion: v= is present but not first, or not "DKIM1".
	ErrVersion = errors.New("bad version")
	// ErrNoKey: the p= tag is missing.
	ErrNoKey = errors.New("no p= tag")
	// ErrKeyType: k= names a key type this implementation does not know.
	ErrKeyType = errors.New("unknown key type")
	// ErrBadKey: p= is not valid base64, or does not hold a valid key of
	// the record's type.
	ErrBadKey = errors.New("bad public key")
	// ErrBadTag: a known tag has a malformed value (h=, s=, t=, n=).
	ErrBadTag = errors.New("bad tag value")
)

// RecordError is returned by ParseRecord. It wraps one of ErrSyntax (via a
// *SyntaxError), ErrVersion, ErrNoKey, ErrKeyType, ErrBadKey or ErrBadTag.
type RecordError struct {
	// Tag is the tag at fault, when there is one ("p", "k", "v").
	Tag string
	// Kind is one of the sentinel errors above.
	Kind error
	// Msg says what is wrong and, where it can, how to fix it.
	Msg string
}

func (e *RecordError) Error() string {
	if e.Tag != "" {
		return fmt.Sprintf("dkimkey: key record: %s=: %s", e.Tag, e.Msg)
	}
	return "dkimkey: key record: " + e.Msg
}

// Unwrap returns the kind.
func (e *RecordError) Unwrap() error { return e.Kind }

func recErr(tag string, kind error, format string, args ...any) error {
	return &RecordError{Tag: tag, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Record is a parsed DKIM key record (RFC 6376 §3.6.1, RFC 8463).
type Record struct {
	// Version is the v= value ("DKIM1"), empty when the tag is absent.
	Version string `json:"version,omitempty"`
	// HashAlgs is the h= list, lower-cased; nil when absent (all allowed).
	HashAlgs []string `json:"hash_algorithms,omitempty"`
	// KeyType is the k= value, lower-cased; "rsa" when absent.
	KeyType string `json:"key_type"`
	// Note is the n= value, with its quoted-printable decoded.
	Note string `json:"note,omitempty"`
	// Services is the s= list, lower-cased; nil when absent ("*").
	Services []string `json:"services,omitempty"`
	// Flags is the t= list, lower-cased, unknown flags included.
	Flags []string `json:"flags,omitempty"`
	// PublicKeyData is the decoded p= value; empty when the key is revoked.
	PublicKeyData []byte `json:"-"`
	// PublicKey is *rsa.PublicKey or ed25519.PublicKey; nil when revoked.
	PublicKey crypto.PublicKey `json:"-"`
	// KeyFormat says how p= encodes the key: "spki" (SubjectPublicKeyInfo,
	// what RFC 6376 asks for RSA), "pkcs1" (a bare RSAPublicKey, which many
	// publishers use and verifiers accept) or "raw" (Ed25519, RFC 8463).
	// Empty when revoked.
	KeyFormat string `json:"key_format,omitempty"`
	// Tags is the whole tag-list as published, unknown tags included.
	Tags TagList `json:"tags"`
}

// Revoked reports whether the key has been revoked (an empty p=).
func (r *Record) Revoked() bool { return len(r.PublicKeyData) == 0 }

// Testing reports whether t=y is set: the domain is testing DKIM.
func (r *Record) Testing() bool { return r.hasFlag("y") }

// StrictSubdomains reports whether t=s is set: the i= domain of a signature
// must equal d=, not be a subdomain of it.
func (r *Record) StrictSubdomains() bool { return r.hasFlag("s") }

func (r *Record) hasFlag(f string) bool {
	for _, x := range r.Flags {
		if x == f {
			return true
		}
	}
	return false
}

// Bits returns the key size in bits: the RSA modulus length, 256 for
// Ed25519, 0 when revoked.
func (r *Record) Bits() int {
	switch k := r.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case ed25519.PublicKey:
		return 256
	}
	return 0
}

// AllowsHash reports whether h= permits the hash algorithm ("sha256").
func (r *Record) AllowsHash(alg string) bool {
	if r.HashAlgs == nil {
		return true
	}
	alg = strings.ToLower(alg)
	for _, h := range r.HashAlgs {
		if h == alg {
			return true
		}
	}
	return false
}

// AllowsService reports whether s= permits the service type ("email",
// "tlsrpt"). "*" matches every service.
func (r *Record) AllowsService(svc string) bool {
	if r.Services == nil {
		return true
	}
	svc = strings.ToLower(svc)
	for _, s := range r.Services {
		if s == "*" || s == svc {
			return true
		}
	}
	return false
}

// ParseRecord parses a DKIM key record: the TXT record's strings joined with
// nothing between them (RFC 6376 §3.6.2.2).
//
// v=, when present, must be the first tag and exactly "DKIM1". k= must be
// "rsa" (the default) or "ed25519". p= is required; it is base64, where
// whitespace and folding are allowed; an empty p= means the key has been
// revoked, and is not an error (see Revoked). An RSA key is a DER
// SubjectPublicKeyInfo, or a PKCS#1 RSAPublicKey as many publishers write;
// an Ed25519 key is the raw 32 bytes (RFC 8463 §4). h=, s= and t= are
// colon-separated lists; values unknown to this implementation are kept and
// otherwise ignored, as are unknown tags. The key size is not judged here:
// see Check.
//
// On error the Record is nil and the error is a *RecordError.
func ParseRecord(txt string) (*Record, error) {
	tags, err := ParseTagList(txt)
	if err != nil {
		return nil, &RecordError{Kind: ErrSyntax, Msg: strings.TrimPrefix(err.Error(), "dkimkey: tag-list: ")}
	}
	return recordFromTags(tags)
}

func recordFromTags(tags TagList) (*Record, error) {
	r := &Record{KeyType: KeyTypeRSA, Tags: tags}
	for i, t := range tags {
		switch t.Name {
		case "v":
			if i != 0 {
				return nil, recErr("v", ErrVersion, "v=%s is tag number %d; when present, v= must be the first tag (RFC 6376 §3.6.1)", t.Value, i+1)
			}
			if t.Value != "DKIM1" {
				return nil, recErr("v", ErrVersion, "the version is %q; a DKIM key record has v=DKIM1 (exactly, upper case) or no v= at all", t.Value)
			}
			r.Version = t.Value
		case "h":
			l, err := parseList("h", t.Value)
			if err != nil {
				return nil, err
			}
			r.HashAlgs = l
		case "k":
			k := strings.ToLower(t.Value)
			if k != KeyTypeRSA && k != KeyTypeEd25519 {
				if k == "" {
					return nil, recErr("k", ErrKeyType, "k= is empty; use k=rsa or k=ed25519, or remove the tag (rsa is the default)")
				}
				return nil, recErr("k", ErrKeyType, "unknown key type %q; DKIM keys are k=rsa (RFC 6376) or k=ed25519 (RFC 8463)", t.Value)
			}
			r.KeyType = k
		case "n":
			n, err := decodeQP(t.Value)
			if err != nil {
				return nil, recErr("n", ErrBadTag, "%v", err)
			}
			r.Note = n
		case "s":
			l, err := parseList("s", t.Value)
			if err != nil {
				return nil, err
			}
			r.Services = l
		case "t":
			l, err := parseList("t", t.Value)
			if err != nil {
				return nil, err
			}
			r.Flags = l
		}
	}
	pt := tags.Lookup("p")
	if pt == nil {
		return nil, recErr("", ErrNoKey, "there is no p= tag; a key record must have p=<base64 public key> (or an empty p= to revoke the key)")
	}
	data, err := decodeBase64(pt.Value)
	if err != nil {
		return nil, recErr("p", ErrBadKey, "%v", err)
	}
	if len(data) == 0 {
		return r, nil // revoked
	}
	key, format, err := ParsePublicKey(r.KeyType, data)
	if err != nil {
		return nil, recErr("p", ErrBadKey, "%v", strings.TrimPrefix(err.Error(), "dkimkey: "))
	}
	r.PublicKeyData, r.PublicKey, r.KeyFormat = data, key, format
	return r, nil
}

// parseList splits a colon-separated list (h=, s=, t=), where whitespace is
// allowed around the colons, and lower-cases it.
func parseList(tag, v string) ([]string, error) {
	if strings.TrimSpace(v) == "" {
		return nil, recErr(tag, ErrBadTag, "the list is empty; give at least one value or remove the tag")
	}
	parts := strings.Split(v, ":")
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.ToLower(strings.Trim(p, " \t\r\n"))
		if p == "" {
			return nil, recErr(tag, ErrBadTag, "an empty item in the list %q (two \":\" in a row, or one at an end)", v)
		}
		if strings.ContainsAny(p, " \t\r\n") {
			return nil, recErr(tag, ErrBadTag, "%q holds whitespace; items are separated by \":\", as in %s=a:b", p, tag)
		}
		out = append(out, p)
	}
	return out, nil
}

// decodeBase64 decodes a base64 value in which whitespace is allowed.
func decodeBase64(v string) ([]byte, error) {
	s := RemoveFWS(v)
	if s == "" {
		return nil, nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlpha(c) || isDigit(c) || c == '+' || c == '/' || c == '=') {
			return nil, fmt.Errorf("%s is not a base64 character (base64 uses A-Z a-z 0-9 + / and = for padding)", quoteByte(s, i))
		}
	}
	data, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		// Accept missing padding, which some publishers drop.
		if d2, err2 := base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(s, "=")); err2 == nil && !strings.Contains(s, "=") {
			return d2, nil
		}
		return nil, fmt.Errorf("invalid base64 (%d characters): %v", len(s), err)
	}
	return data, nil
}

// ed25519SPKIPrefix is the DER prefix of an Ed25519 SubjectPublicKeyInfo.
var ed25519SPKIPrefix = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}

// ParsePublicKey decodes the bytes of a p= value for the key type (k=) and
// returns the key and its encoding ("spki", "pkcs1", "raw").
func ParsePublicKey(keyType string, data []byte) (crypto.PublicKey, string, error) {
	switch strings.ToLower(keyType) {
	case KeyTypeRSA, "":
		if k, err := x509.ParsePKIXPublicKey(data); err == nil {
			switch k := k.(type) {
			case *rsa.PublicKey:
				return k, "spki", nil
			case ed25519.PublicKey:
				return nil, "", fmt.Errorf("dkimkey: the key is an Ed25519 key, but the record says k=rsa (or has no k=); publish k=ed25519 with the raw 32-byte key")
			case *ecdsa.PublicKey:
				return nil, "", fmt.Errorf("dkimkey: the key is an ECDSA key; DKIM keys are RSA or Ed25519")
			default:
				return nil, "", fmt.Errorf("dkimkey: the key is a %T; DKIM keys are RSA or Ed25519", k)
			}
		}
		if k, err := x509.ParsePKCS1PublicKey(data); err == nil {
			return k, "pkcs1", nil
		}
		if len(data) == ed25519.PublicKeySize {
			return nil, "", fmt.Errorf("dkimkey: the data is 32 bytes, the size of an Ed25519 key, not an RSA key; if it is an Ed25519 key, add k=ed25519")
		}
		return nil, "", fmt.Errorf("dkimkey: the %d bytes are not an RSA public key (neither a SubjectPublicKeyInfo nor a PKCS#1 RSAPublicKey); the value may be truncated or mangled", len(data))
	case KeyTypeEd25519:
		if len(data) == ed25519.PublicKeySize {
			return ed25519.PublicKey(bytes.Clone(data)), "raw", nil
		}
		if len(data) == len(ed25519SPKIPrefix)+ed25519.PublicKeySize && bytes.HasPrefix(data, ed25519SPKIPrefix) {
			return nil, "", fmt.Errorf("dkimkey: the Ed25519 key is wrapped in a SubjectPublicKeyInfo (44 bytes); RFC 8463 §4 requires the raw 32-byte key, so publish only its last 32 bytes")
		}
		if _, err := x509.ParsePKIXPublicKey(data); err == nil {
			return nil, "", fmt.Errorf("dkimkey: the record says k=ed25519 but p= holds a SubjectPublicKeyInfo of another type (an RSA key? then use k=rsa)")
		}
		return nil, "", fmt.Errorf("dkimkey: an Ed25519 key is exactly 32 bytes; this one is %d", len(data))
	}
	return nil, "", fmt.Errorf("dkimkey: unknown key type %q", keyType)
}

// String returns the record in canonical form: v=DKIM1 first, then k=, h=,
// s=, t=, n=, any unknown tags in their order, and p= last, separated by
// "; ". The public key is written as SubjectPublicKeyInfo for RSA (whatever
// was published) and raw for Ed25519; a revoked key as an empty p=.
func (r *Record) String() string {
	var parts []string
	parts = append(parts, "v=DKIM1")
	kt := r.KeyType
	if kt == "" {
		kt = KeyTypeRSA
	}
	if len(r.HashAlgs) > 0 {
		parts = append(parts, "h="+strings.Join(r.HashAlgs, ":"))
	}
	parts = append(parts, "k="+kt)
	if n := encodeQP(r.Note); n != "" {
		parts = append(parts, "n="+n)
	}
	if len(r.Services) > 0 {
		parts = append(parts, "s="+strings.Join(r.Services, ":"))
	}
	if len(r.Flags) > 0 {
		parts = append(parts, "t="+strings.Join(r.Flags, ":"))
	}
	for _, t := range r.Tags {
		switch t.Name {
		case "v", "h", "k", "n", "s", "t", "p":
		default:
			parts = append(parts, t.Name+"="+t.Value)
		}
	}
	parts = append(parts, "p="+r.publicKeyBase64())
	return strings.Join(parts, "; ")
}

func (r *Record) publicKeyBase64() string {
	switch k := r.PublicKey.(type) {
	case *rsa.PublicKey:
		if der, err := x509.MarshalPKIXPublicKey(k); err == nil {
			return base64.StdEncoding.EncodeToString(der)
		}
	case ed25519.PublicKey:
		return base64.StdEncoding.EncodeToString(k)
	}
	if len(r.PublicKeyData) > 0 {
		return base64.StdEncoding.EncodeToString(r.PublicKeyData)
	}
	return ""
}

// NewRecord returns the record publishing a public key (*rsa.PublicKey or
// ed25519.PublicKey, or a crypto.Signer's Public()).
func NewRecord(pub crypto.PublicKey) (*Record, error) {
	r := &Record{Version: "DKIM1"}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("dkimkey: encoding the RSA public key: %w", err)
		}
		r.KeyType, r.PublicKey, r.PublicKeyData, r.KeyFormat = KeyTypeRSA, k, der, "spki"
	case ed25519.PublicKey:
		r.KeyType, r.PublicKey, r.PublicKeyData, r.KeyFormat = KeyTypeEd25519, k, bytes.Clone(k), "raw"
	default:
		return nil, fmt.Errorf("dkimkey: a %T cannot be a DKIM key; DKIM keys are RSA or Ed25519", pub)
	}
	return r, nil
}

// decodeQP decodes the n= value (qp-section, RFC 6376 §3.6.1): "=XX" is a
// hex-encoded octet.
func decodeQP(s string) (string, error) {
	if !strings.Contains(s, "=") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("%q: \"=\" must be followed by two hex digits in quoted-printable (write =3D for \"=\")", s)
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return isDigit(c) || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f'
}

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// encodeQP encodes a note for n=: printable ASCII other than "=" and ";"
// is kept, as are inner spaces; everything else becomes =XX.
func encodeQP(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || (c >= 0x21 && c <= 0x7e && c != '=' && c != ';'):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}
