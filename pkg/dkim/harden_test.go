package dkim

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// publicOnly is a crypto.Signer that has a public key and cannot sign:
// enough for SignOptions.Warnings, which looks at the key's size.
type publicOnly struct{ pub crypto.PublicKey }

func (p publicOnly) Public() crypto.PublicKey { return p.pub }
func (p publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, fmt.Errorf("cannot sign")
}

func rsaPublicOfSize(bits int) *rsa.PublicKey {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	return &rsa.PublicKey{N: n.Add(n, big.NewInt(1)), E: 65537}
}

// TestVerifyRefusesHugeKeys: a key over 8192 bits is a permerror whatever
// the signature (it used to sign and verify without a word); the limit is
// an option.
func TestVerifyRefusesHugeKeys(t *testing.T) {
	big := loadPrivateKey(t, "testdata/rsa8704.pem")
	zone := dnstest.NewFake()
	der, err := x509.MarshalPKIXPublicKey(big.Public())
	if err != nil {
		t.Fatal(err)
	}
	addTXT(zone, "huge._domainkey.example.com", "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(der))
	opts := SignOptions{Domain: "example.com", Selector: "huge", Signer: big, Now: func() time.Time { return testNow }}
	if w := opts.Warnings(); len(w) != 1 || w[0].Code != "key-too-large" || !strings.Contains(w[0].Message, "8704 bits") {
		t.Errorf("sign warnings = %v", w)
	}
	signed := signWith(t, testMessage, opts)
	verify := func(o VerifyOptions) SignatureResult {
		o.Now = func() time.Time { return testNow }
		got, err := Verify(context.Background(), strings.NewReader(signed), zone, o)
		if err != nil || len(got) != 1 {
			t.Fatalf("%v %v", err, got)
		}
		return got[0]
	}
	r := verify(VerifyOptions{})
	if r.Result != Permerror || r.Code != "key-too-large" || r.KeyBits != 8704 || !strings.Contains(r.Reason, "over 8192 bits") {
		t.Errorf("default: %s %s %q", r.Result, r.Code, r.Reason)
	}
	if r := verify(VerifyOptions{MaxRSABits: 16384}); r.Result != Pass {
		t.Errorf("MaxRSABits 16384: %s %s %q", r.Result, r.Code, r.Reason)
	}
}

func TestSignWarnings(t *testing.T) {
	for _, tt := range []struct {
		signer crypto.Signer
		want   string
	}{
		{testRSA, ""},
		{testEd, ""},
		{publicOnly{rsaPublicOfSize(4096)}, ""},
		{publicOnly{rsaPublicOfSize(4608)}, "key-over-4096"},
		{publicOnly{rsaPublicOfSize(8192)}, "key-over-4096"},
		{publicOnly{rsaPublicOfSize(16384)}, "key-too-large"},
	} {
		o := SignOptions{Domain: "example.com", Selector: "s", Signer: tt.signer}
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		w := o.Warnings()
		got := ""
		if len(w) > 0 {
			got = w[0].Code
		}
		if got != tt.want || len(w) > 1 {
			t.Errorf("%T: warnings %v, want %q", tt.signer, w, tt.want)
		}
	}
}

// manySignatures returns testMessage with n DKIM-Signature fields of
// d=example.com, s=sel.
func manySignatures(n int, sel string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=%s; c=relaxed/relaxed; h=from; bh=%s; b=%s\r\n",
			sel, base64.StdEncoding.EncodeToString(make([]byte, 32)), base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(i))))
	}
	return b.String() + testMessage
}

// TestManySignaturesStayTemporary: signatures whose keys time out give
// temperror, for one signature as for 1,000 (the cap on signatures
// verified used to turn the rest into failures).
func TestManySignaturesStayTemporary(t *testing.T) {
	zone := dnstest.NewFake()
	zone.Timeout("slow._domainkey.example.com", 0)
	der, _ := x509.MarshalPKIXPublicKey(&testRSA.PublicKey)
	addTXT(zone, "rsa._domainkey.example.com", "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(der))
	verify := func(msg string) []SignatureResult {
		got, err := Verify(context.Background(), strings.NewReader(msg), zone, VerifyOptions{Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	one := Summarize(verify(manySignatures(1, "slow")), "")
	if one.Result != Temperror || one.NotVerified != 0 {
		t.Errorf("one signature: %+v", one)
	}
	res := verify(manySignatures(1000, "slow"))
	if len(res) != 1000 || res[15].Result != Temperror || res[16].Code != CodeTooManySignatures {
		t.Fatalf("%d results; 16th %s, 17th %s", len(res), res[15].Result, res[16].Code)
	}
	for _, domain := range []string{"", "example.com"} {
		m := Summarize(res, domain)
		if m.Result != Temperror || m.Signatures != 1000 || m.NotVerified != 984 || !strings.Contains(m.Reason, "984 of the 1000 signatures were not verified") {
			t.Errorf("1000 signatures, domain %q: %+v", domain, m)
		}
	}
	// The Authentication-Results value stays bounded.
	ar := AuthenticationResults("mx.example.net", res)
	if n := strings.Count(ar, "dkim="); n != 17 || !strings.Contains(ar, "(984 more signatures not verified)") || len(ar) > 8000 {
		t.Errorf("A-R has %d results, %d octets", n, len(ar))
	}

	// Definite failures among the verified ones make the message fail,
	// whatever lies beyond the cap; a pass makes it pass.
	failing := verify(manySignatures(40, "rsa")) // bh= and b= are wrong
	if m := Summarize(failing, ""); m.Result != Fail || m.NotVerified != 24 {
		t.Errorf("failing signatures: %+v", m)
	}
	signed := signWith(t, testMessage, rsaOpts())
	if m := Summarize(verify(signed), ""); m.Result != Pass {
		t.Errorf("signed: %+v", m)
	}
	if m := Summarize(verify(signed), "other.example"); m.Result != Fail || !strings.Contains(m.Reason, "no signature from other.example (passing: example.com)") {
		t.Errorf("other domain: %+v", m)
	}
	if m := Summarize(nil, ""); m.Result != None {
		t.Errorf("no signature: %+v", m)
	}
	// A signature of the domain left unverified by the cap: nothing is
	// known about it.
	mixed := append(verify(manySignatures(16, "slow"))[:0:0], verify(manySignatures(20, "slow"))...)
	for i := range mixed[:16] {
		mixed[i].Domain = "other.example"
	}
	if m := Summarize(mixed, "example.com"); m.Result != Temperror || !strings.Contains(m.Reason, "was verified") {
		t.Errorf("domain only beyond the cap: %+v", m)
	}
}
