package dkimkey

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// From RFC 8463 Appendix A.2 (and dkimpy's test data).
const (
	rfc8463RSA     = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"
	rfc8463Ed25519 = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
)

func TestParseRecordRFC8463(t *testing.T) {
	r, err := ParseRecord(rfc8463RSA)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.PublicKey.(*rsa.PublicKey); !ok || r.Bits() != 1024 || r.KeyType != "rsa" || r.KeyFormat != "spki" || r.Revoked() {
		t.Errorf("rsa record: %+v bits %d", r, r.Bits())
	}
	if r.String() != rfc8463RSA {
		t.Errorf("String() = %q", r.String())
	}
	r, err = ParseRecord(rfc8463Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.PublicKey.(ed25519.PublicKey); !ok || r.Bits() != 256 || r.KeyFormat != "raw" {
		t.Errorf("ed25519 record: %+v", r)
	}
	if r.String() != rfc8463Ed25519 {
		t.Errorf("String() = %q", r.String())
	}
}

func TestParseRecordPKCS1(t *testing.T) {
	r, err := ParseRecord(rfc8463RSA)
	if err != nil {
		t.Fatal(err)
	}
	pk1 := base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(r.PublicKey.(*rsa.PublicKey)))
	r2, err := ParseRecord("k=rsa; p=" + pk1)
	if err != nil {
		t.Fatal(err)
	}
	if r2.KeyFormat != "pkcs1" || !r2.PublicKey.(*rsa.PublicKey).Equal(r.PublicKey) {
		t.Errorf("pkcs1: %+v", r2)
	}
	// String re-encodes as SubjectPublicKeyInfo.
	if r2.String() != rfc8463RSA {
		t.Errorf("String() = %q", r2.String())
	}
}

func TestParseRecordTags(t *testing.T) {
	r, err := ParseRecord("v=DKIM1; h=SHA1 : sha256; k=RSA; n=a=20note=3B; s=email:tlsrpt; t=y:s:z; x=unknown; p=")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Revoked() || r.PublicKey != nil || r.Bits() != 0 {
		t.Errorf("want revoked: %+v", r)
	}
	if !r.Testing() || !r.StrictSubdomains() || !r.AllowsHash("sha256") || !r.AllowsHash("sha1") || r.AllowsHash("sha512") {
		t.Errorf("flags or hashes: %+v", r)
	}
	if !r.AllowsService("email") || !r.AllowsService("TLSRPT") || r.AllowsService("other") {
		t.Errorf("services: %v", r.Services)
	}
	if r.Note != "a note;" {
		t.Errorf("note = %q", r.Note)
	}
	if got, want := r.String(), "v=DKIM1; h=sha1:sha256; k=rsa; n=a note=3B; s=email:tlsrpt; t=y:s:z; x=unknown; p="; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestParseRecordFWSInKey(t *testing.T) {
	p := strings.TrimPrefix(rfc8463RSA, "v=DKIM1; k=rsa; p=")
	folded := "p=" + p[:40] + "\r\n\t" + p[40:80] + " " + p[80:]
	if _, err := ParseRecord(folded); err != nil {
		t.Fatal(err)
	}
}

func TestParseRecordErrors(t *testing.T) {
	tests := []struct {
		in   string
		kind error
		msg  string
	}{
		{"v=DKIM1; p=;p=", ErrSyntax, "twice"},
		{"k=rsa; v=DKIM1; p=", ErrVersion, "first tag"},
		{"v=DKIM2; p=", ErrVersion, "DKIM1"},
		{"v=dkim1; p=", ErrVersion, "DKIM1"},
		{"v=DKIM1: g=*; k=rsa; p=", ErrVersion, "DKIM1"},
		{"v=DKIM1; k=ed25519-sha256; p=", ErrKeyType, "unknown key type"},
		{"v=DKIM1; k=; p=", ErrKeyType, "empty"},
		{"v=DKIM1; k=rsa", ErrNoKey, "no p= tag"},
		{"v=DKIM1; p=abc$", ErrBadKey, "not a base64 character"},
		{"v=DKIM1; p=abcde", ErrBadKey, "invalid base64"},
		{"v=DKIM1; p=AAAA", ErrBadKey, "not an RSA public key"},
		{"v=DKIM1; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", ErrBadKey, "add k=ed25519"},
		{"v=DKIM1; k=ed25519; p=AAAA", ErrBadKey, "exactly 32 bytes"},
		{"v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", ErrBadKey, "raw 32-byte"},
		{"v=DKIM1; h=; p=", ErrBadTag, "empty"},
		{"v=DKIM1; t=y::s; p=", ErrBadTag, "empty item"},
		{"v=DKIM1; s=email *; p=", ErrBadTag, "whitespace"},
		{"v=DKIM1; n=50%=; p=", ErrBadTag, "hex digits"},
	}
	for _, tt := range tests {
		r, err := ParseRecord(tt.in)
		if err == nil || r != nil {
			t.Errorf("ParseRecord(%q) = %v, %v; want an error", tt.in, r, err)
			continue
		}
		var re *RecordError
		if !errors.As(err, &re) || !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseRecord(%q): %v; want %v containing %q", tt.in, err, tt.kind, tt.msg)
		}
		if !strings.HasPrefix(err.Error(), "dkimkey: key record") {
			t.Errorf("error %q lacks the prefix", err)
		}
	}
}
