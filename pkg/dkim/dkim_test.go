package dkim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	mrand "math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const testMessage = "From: Joe SixPack <joe@example.com>\r\n" +
	"To: Suzie Q <suzie@example.net>\r\n" +
	"Subject: Is dinner ready?\r\n" +
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n" +
	"Message-ID: <20030712040037.46341.5F8J@example.com>\r\n" +
	"\r\n" +
	"Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"

var (
	testRSA  *rsa.PrivateKey
	testEd   ed25519.PrivateKey
	testNow  = time.Unix(1700000000, 0)
	testZone *dnstest.Fake
)

func init() {
	// A fixed 2048-bit key (generated for these tests only): generating one
	// per run is slow, and very slow under the fuzzer's instrumentation.
	data, err := os.ReadFile("testdata/rsa2048.pem")
	if err != nil {
		panic(err)
	}
	blk, _ := pem.Decode(data)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		panic(err)
	}
	testRSA = k.(*rsa.PrivateKey)
	testEd = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	testZone = dnstest.NewFake()
	der, _ := x509.MarshalPKIXPublicKey(&testRSA.PublicKey)
	addTXT(testZone, "rsa._domainkey.example.com", "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(der))
	addTXT(testZone, "ed._domainkey.example.com", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(testEd.Public().(ed25519.PublicKey)))
}

func signWith(t testing.TB, msg string, opts ...SignOptions) string {
	t.Helper()
	var out bytes.Buffer
	if err := Sign(&out, strings.NewReader(msg), opts...); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func rsaOpts() SignOptions {
	return SignOptions{Domain: "example.com", Selector: "rsa", Signer: testRSA, Now: func() time.Time { return testNow }}
}

func edOpts() SignOptions {
	return SignOptions{Domain: "example.com", Selector: "ed", Signer: testEd, Now: func() time.Time { return testNow }}
}

func verifyString(t testing.TB, msg string, opts VerifyOptions) []SignatureResult {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	got, err := Verify(context.Background(), strings.NewReader(msg), testZone, opts)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestDualSignAndVerify(t *testing.T) {
	signed := signWith(t, testMessage, rsaOpts(), edOpts())
	got := verifyString(t, signed, VerifyOptions{})
	if len(got) != 2 {
		t.Fatalf("got %d results", len(got))
	}
	for i, want := range []string{"rsa-sha256", "ed25519-sha256"} {
		if got[i].Result != Pass || got[i].Algorithm != want || got[i].Canonicalization != "relaxed/relaxed" {
			t.Errorf("signature %d: %+v", i, got[i])
		}
	}
	if got[0].KeyBits != 2048 || got[1].KeyBits != 256 {
		t.Errorf("key bits %d, %d", got[0].KeyBits, got[1].KeyBits)
	}
	// Oversigning: h= lists From twice, and Cc (absent) once.
	h := strings.Join(got[0].SignedHeaders, ":")
	if !strings.Contains(h, "from:from") || !strings.Contains(h, "cc") || strings.Contains(h, "list-id") {
		t.Errorf("h=%s", h)
	}
	// Adding an oversigned field breaks the signature; adding another does not.
	for _, tc := range []struct{ field, want string }{
		{"Cc: intruder@example.org\r\n", Fail},
		{"Subject: changed\r\n", Fail},
		{"Received: from relay.example.net\r\n", Pass},
	} {
		i := strings.Index(signed, "\r\n\r\n")
		m := signed[:i+2] + tc.field + signed[i+2:]
		for _, r := range verifyString(t, m, VerifyOptions{}) {
			if r.Result != tc.want {
				t.Errorf("after adding %q: %s %s, want %s", strings.TrimSpace(tc.field), r.Result, r.Code, tc.want)
			}
		}
	}
}

func TestSignOutputFormat(t *testing.T) {
	signed := signWith(t, testMessage, rsaOpts())
	hdr, _, _ := strings.Cut(signed, "\r\n\r\n")
	for _, line := range strings.Split(hdr, "\r\n") {
		if len(line) > 78 {
			t.Errorf("line longer than 78: %q", line)
		}
	}
	if !strings.HasPrefix(signed, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;") {
		t.Errorf("unexpected start: %q", signed[:80])
	}
	if !strings.HasSuffix(signed, testMessage) {
		t.Error("the message was not copied unchanged")
	}
	// LF messages get LF header fields and stay LF.
	lf := strings.ReplaceAll(testMessage, "\r\n", "\n")
	signedLF := signWith(t, lf, rsaOpts())
	if strings.Contains(signedLF, "\r") || !strings.HasSuffix(signedLF, lf) {
		t.Errorf("LF message not kept LF:\n%q", signedLF)
	}
	if r := verifyString(t, signedLF, VerifyOptions{}); r[0].Result != Pass {
		t.Errorf("LF message: %+v", r[0])
	}
	// And the LF form verifies like the CRLF one (bare LF read as CRLF).
	if r := verifyString(t, strings.ReplaceAll(signed, "\r\n", "\n"), VerifyOptions{}); r[0].Result != Pass {
		t.Errorf("CRLF-signed message read with LF: %+v", r[0])
	}
}

func TestSignOptionsErrors(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 512)
	for _, tc := range []struct {
		name string
		opts SignOptions
		want string
	}{
		{"no domain", SignOptions{Selector: "s", Signer: testEd}, "no domain"},
		{"bad domain", SignOptions{Domain: "exa mple.com", Selector: "s", Signer: testEd}, "not a domain name"},
		{"no selector", SignOptions{Domain: "example.com", Signer: testEd}, "no selector"},
		{"no key", SignOptions{Domain: "example.com", Selector: "s"}, "no private key"},
		{"small rsa", SignOptions{Domain: "example.com", Selector: "s", Signer: small}, "512 bits"},
		{"bad canon", SignOptions{Domain: "example.com", Selector: "s", Signer: testEd, Canonicalization: "loose"}, "canonicalization"},
		{"identity outside", SignOptions{Domain: "example.com", Selector: "s", Signer: testEd, Identity: "a@example.org"}, "not in example.com"},
		{"no from in list", SignOptions{Domain: "example.com", Selector: "s", Signer: testEd, Headers: []string{"Subject"}}, "must include From"},
		{"expiration before t", SignOptions{Domain: "example.com", Selector: "s", Signer: testEd, Time: testNow, Expiration: testNow.Add(-time.Hour)}, "not after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Sign(&out, strings.NewReader(testMessage), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "dkim: ") {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if out.Len() != 0 {
				t.Error("something was written despite the error")
			}
		})
	}
}

func TestBadMessages(t *testing.T) {
	for _, tc := range []struct{ name, msg, want string }{
		{"empty", "", "empty"},
		{"no separator", "From: a@example.com\nThis is the body\n", "not a header field"},
		{"continuation first", " folded\nFrom: a@example.com\n\nbody\n", "continuation"},
		{"binary", "\x00\x01\x02\n\nbody", "not a header field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(context.Background(), strings.NewReader(tc.msg), testZone, VerifyOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("verify: got %v, want %q", err, tc.want)
			}
			err = Sign(io.Discard, strings.NewReader(tc.msg), rsaOpts())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("sign: got %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("no from", func(t *testing.T) {
		err := Sign(io.Discard, strings.NewReader("To: a@example.com\n\nbody\n"), rsaOpts())
		if !errors.Is(err, ErrNoFrom) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("header only", func(t *testing.T) {
		msg := "From: Joe <joe@example.com>\r\nSubject: hi\r\n"
		signed := signWith(t, msg, rsaOpts())
		if r := verifyString(t, signed, VerifyOptions{}); r[0].Result != Pass {
			t.Errorf("%+v", r[0])
		}
	})
	t.Run("no signatures", func(t *testing.T) {
		if r := verifyString(t, testMessage, VerifyOptions{}); len(r) != 0 {
			t.Errorf("%+v", r)
		}
	})
}

func TestVerifyResults(t *testing.T) {
	base := rsaOpts()
	signed := signWith(t, testMessage, base)
	withKey := func(record string) *dnstest.Fake {
		f := dnstest.NewFake()
		addTXT(f, "rsa._domainkey.example.com", record)
		return f
	}
	der, _ := x509.MarshalPKIXPublicKey(&testRSA.PublicKey)
	p := base64.StdEncoding.EncodeToString(der)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallDER, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)

	tests := []struct {
		name   string
		msg    string
		res    *dnstest.Fake
		opts   VerifyOptions
		result string
		code   string
	}{
		{"pass", signed, testZone, VerifyOptions{}, Pass, "pass"},
		{"body changed", strings.Replace(signed, "hungry", "thirsty", 1), testZone, VerifyOptions{}, Fail, "body-hash-mismatch"},
		{"header changed", strings.Replace(signed, "Is dinner ready?", "Is lunch ready?", 1), testZone, VerifyOptions{}, Fail, "signature-mismatch"},
		{"key not found", signed, dnstest.NewFake(), VerifyOptions{}, Permerror, "key-not-found"},
		{"key revoked", signed, withKey("v=DKIM1; p="), VerifyOptions{}, Permerror, "key-revoked"},
		{"key syntax", signed, withKey("v=DKIM1; p=!!!"), VerifyOptions{}, Permerror, "key-syntax"},
		{"key type", signed, withKey("v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(testEd.Public().(ed25519.PublicKey))), VerifyOptions{}, Permerror, "key-mismatch"},
		{"key hash", signed, withKey("v=DKIM1; h=sha1; p=" + p), VerifyOptions{}, Permerror, "hash-not-allowed"},
		{"key service", signed, withKey("v=DKIM1; s=tlsrpt; p=" + p), VerifyOptions{}, Permerror, "service-not-allowed"},
		{"wrong key", signed, withKey("v=DKIM1; p=" + base64.StdEncoding.EncodeToString(smallDER)), VerifyOptions{}, Fail, "signature-mismatch"},
		{"weak key policy", signed, withKey("v=DKIM1; p=" + p), VerifyOptions{MinRSABits: 4096}, Policy, "weak-key"},
		{"testing flag", signed, withKey("v=DKIM1; t=y; p=" + p), VerifyOptions{}, Pass, "pass"},
	}
	timeout := dnstest.NewFake()
	timeout.Timeout("rsa._domainkey.example.com", 0)
	servfail := dnstest.NewFake()
	servfail.ServFail("rsa._domainkey.example.com", 0)
	tests = append(tests,
		struct {
			name   string
			msg    string
			res    *dnstest.Fake
			opts   VerifyOptions
			result string
			code   string
		}{"dns timeout", signed, timeout, VerifyOptions{}, Temperror, "dns-error"},
		struct {
			name   string
			msg    string
			res    *dnstest.Fake
			opts   VerifyOptions
			result string
			code   string
		}{"dns servfail", signed, servfail, VerifyOptions{}, Temperror, "dns-error"},
	)
	exp := base
	exp.Expiration = testNow.Add(time.Hour)
	expired := signWith(t, testMessage, exp)
	tests = append(tests, struct {
		name   string
		msg    string
		res    *dnstest.Fake
		opts   VerifyOptions
		result string
		code   string
	}{"expired", expired, testZone, VerifyOptions{Now: func() time.Time { return testNow.Add(2 * time.Hour) }}, Permerror, "expired"},
		struct {
			name   string
			msg    string
			res    *dnstest.Fake
			opts   VerifyOptions
			result string
			code   string
		}{"not yet expired", expired, testZone, VerifyOptions{}, Pass, "pass"})

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Now == nil {
				tc.opts.Now = func() time.Time { return testNow }
			}
			got, err := Verify(context.Background(), strings.NewReader(tc.msg), tc.res, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Result != tc.result || got[0].Code != tc.code {
				t.Fatalf("got %+v, want %s %s", got, tc.result, tc.code)
			}
			if tc.result != Pass && got[0].Reason == "" {
				t.Error("no reason given")
			}
			if tc.name == "testing flag" && !got[0].Testing {
				t.Error("t=y not reported")
			}
		})
	}
}

// signRaw signs a message whose DKIM-Signature is written by hand (all tags
// but b=), as other signers might, to test what our signer never emits.
func signRaw(t testing.TB, key crypto.Signer, sigTags, msg string) string {
	t.Helper()
	return signRawCanon(t, key, sigTags, msg, "relaxed")
}

func signRawCanon(t testing.TB, key crypto.Signer, sigTags, msg, canon string) string {
	t.Helper()
	br := newCRLFReader(strings.NewReader(msg))
	fields, err := readAll(br)
	if err != nil {
		t.Fatal(err)
	}
	unsigned := "DKIM-Signature: " + sigTags + " b=\r\n"
	sig, _, err := parseSignature(strings.TrimSuffix(unsigned[len("DKIM-Signature:"):], crlf)+"AAAA", false)
	if err != nil {
		t.Fatalf("test signature %q: %v", sigTags, err)
	}
	b, err := signHeader(fields, sig.Headers, unsigned, canon, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(unsigned, crlf) + base64.StdEncoding.EncodeToString(b) + crlf + msg
}

func readAll(r io.Reader) ([]headerField, error) {
	fields, _, err := readHeader(bufioReader(r))
	return fields, err
}

func bodyHashOf(t testing.TB, body, canon string, limit int64) string {
	var h bytes.Buffer
	lc := &lengthCounter{w: &h, limit: limit}
	bc := newBodyCanonicalizer(lc, canon)
	bc.Write([]byte(body))
	bc.Close()
	sum := sha256Sum(h.Bytes())
	return base64.StdEncoding.EncodeToString(sum)
}

func TestBodyLengthTag(t *testing.T) {
	_, body, _ := strings.Cut(testMessage, "\r\n\r\n")
	hdr := strings.SplitN(testMessage, "\r\n\r\n", 2)[0] + "\r\n\r\n"
	l := int64(len("Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n"))
	tags := fmt.Sprintf("v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa; h=from:subject; l=%d; bh=%s;", l, bodyHashOf(t, body, "relaxed", l))
	signed := signRaw(t, testRSA, tags, hdr+body)
	if r := verifyString(t, signed, VerifyOptions{}); r[0].Result != Pass || !strings.Contains(r[0].Reason, "l=") {
		t.Errorf("whole body covered: %+v", r[0])
	}
	if r := verifyString(t, signed+"Unsigned appended text\r\n", VerifyOptions{}); r[0].Result != Policy || r[0].Code != "body-length" {
		t.Errorf("content appended: %+v", r[0])
	}
	short := strings.Replace(signed, "Joe.\r\n", "", 1)
	if r := verifyString(t, short, VerifyOptions{}); r[0].Result != Fail || r[0].Code != "body-length" {
		t.Errorf("body shortened: %+v", r[0])
	}
}

func TestSignatureSyntaxResults(t *testing.T) {
	for _, tc := range []struct {
		tags   string
		result string
		code   string
	}{
		{"v=2; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AAAA; b=AAAA", Neutral, "unsupported-version"},
		{"v=1; a=rsa-md5; d=example.com; s=rsa; h=from; bh=AAAA; b=AAAA", Neutral, "unsupported-algorithm"},
		{"v=1; a=rsa-sha256; c=future; d=example.com; s=rsa; h=from; bh=AAAA; b=AAAA", Neutral, "unsupported-canonicalization"},
		{"v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AAAA", Neutral, "missing-tag"},
		{"v=1; a=rsa-sha256; d=example.com; s=rsa; h=subject; bh=AAAA; b=AAAA", Permerror, "from-not-signed"},
		{"v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; i=joe@example.org; bh=AAAA; b=AAAA", Permerror, "identity-mismatch"},
		{"v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; q=http; bh=AAAA; b=AAAA", Neutral, "unsupported-query-method"},
		{"v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; t=200; x=100; bh=AAAA; b=AAAA", Permerror, "malformed-signature"},
		{"v=1; v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AAAA; b=AAAA", Neutral, "malformed-signature"},
		{"v=1; a=rsa-sha256; d=exa mple.com; s=rsa; h=from; bh=AAAA; b=AAAA", Neutral, "malformed-signature"},
		{"synerr", Neutral, "malformed-signature"},
	} {
		t.Run(tc.tags, func(t *testing.T) {
			got := verifyString(t, "DKIM-Signature: "+tc.tags+"\r\n"+testMessage, VerifyOptions{})
			if len(got) != 1 || got[0].Result != tc.result || got[0].Code != tc.code {
				t.Fatalf("got %+v, want %s %s", got, tc.result, tc.code)
			}
		})
	}
}

func TestSHA1Policy(t *testing.T) {
	_, body, _ := strings.Cut(testMessage, "\r\n\r\n")
	hdr := strings.SplitN(testMessage, "\r\n\r\n", 2)[0] + "\r\n\r\n"
	h := sha1Sum(canonBody(body, "relaxed"))
	tags := "v=1; a=rsa-sha1; c=relaxed/relaxed; d=example.com; s=rsa; h=from:subject; bh=" + base64.StdEncoding.EncodeToString(h) + ";"
	signed := signRawSHA1(t, tags, hdr+body)
	if r := verifyString(t, signed, VerifyOptions{}); r[0].Result != Policy || r[0].Code != "sha1" {
		t.Errorf("default: %+v", r[0])
	}
	if r := verifyString(t, signed, VerifyOptions{AllowSHA1: true}); r[0].Result != Pass {
		t.Errorf("AllowSHA1: %+v", r[0])
	}
}

// TestBodyCanonicalizerSplits feeds random bodies in random pieces and
// checks the result does not depend on where the writes split.
func TestBodyCanonicalizerSplits(t *testing.T) {
	rng := mrand.New(mrand.NewSource(1))
	alphabet := []byte("ab \t\r\n")
	for i := 0; i < 2000; i++ {
		body := make([]byte, rng.Intn(40))
		for k := range body {
			body[k] = alphabet[rng.Intn(len(alphabet))]
		}
		for _, canon := range []string{"simple", "relaxed"} {
			whole := canonBody(string(body), canon)
			var out bytes.Buffer
			bc := newBodyCanonicalizer(&out, canon)
			for rest := body; len(rest) > 0; {
				n := 1 + rng.Intn(len(rest))
				bc.Write(rest[:n])
				rest = rest[n:]
			}
			bc.Close()
			if !bytes.Equal(out.Bytes(), whole) {
				t.Fatalf("%s %q: split gives %q, whole %q", canon, body, out.Bytes(), whole)
			}
			if ref := referenceCanon(string(body), canon); string(whole) != ref {
				t.Fatalf("%s %q: got %q, reference %q", canon, body, whole, ref)
			}
		}
	}
}

// referenceCanon is a direct transcription of RFC 6376 §3.4.3/§3.4.4 over
// whole lines (after bare CR/LF are left alone), used as an oracle.
func referenceCanon(body, canon string) string {
	lines := strings.Split(body, "\r\n")
	// The last element is what follows the final CRLF (maybe empty).
	if canon == "relaxed" {
		for i, l := range lines {
			l = strings.Map(func(r rune) rune {
				if r == '\t' {
					return ' '
				}
				return r
			}, l)
			for strings.Contains(l, "  ") {
				l = strings.ReplaceAll(l, "  ", " ")
			}
			lines[i] = strings.TrimRight(l, " ")
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		if canon == "relaxed" {
			return ""
		}
		return "\r\n"
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

func TestVerifierConcurrent(t *testing.T) {
	v := NewVerifier(testZone, VerifyOptions{Now: func() time.Time { return testNow }})
	signed := signWith(t, testMessage, rsaOpts(), edOpts())
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			r, err := v.Verify(context.Background(), strings.NewReader(signed))
			if err == nil && (len(r) != 2 || r[0].Result != Pass || r[1].Result != Pass) {
				err = fmt.Errorf("%+v", r)
			}
			errs <- err
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSignSpoolsPipes: a non-seekable input larger than the in-memory limit
// goes through a temporary file and comes out unchanged.
func TestSignSpoolsPipes(t *testing.T) {
	body := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n", 80000) // ~5 MB
	msg := "From: a@example.com\r\nSubject: big\r\n\r\n" + body
	pr, pw := io.Pipe()
	go func() { io.WriteString(pw, msg); pw.Close() }()
	var out bytes.Buffer
	if err := Sign(&out, pr, edOpts()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), msg) {
		t.Fatal("message changed")
	}
	if r := verifyString(t, out.String(), VerifyOptions{}); r[0].Result != Pass {
		t.Errorf("%+v", r[0])
	}
	// A regular file is read twice instead.
	path := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(path, []byte(msg), 0o600)
	f, _ := os.Open(path)
	defer f.Close()
	out.Reset()
	if err := Sign(&out, f, edOpts()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), msg) {
		t.Fatal("message changed (file)")
	}
}

func TestAuthenticationResults(t *testing.T) {
	signed := signWith(t, testMessage, rsaOpts(), edOpts())
	rs := verifyString(t, signed, VerifyOptions{})
	rs[1].Result, rs[1].Code = Fail, "body-hash-mismatch"
	got := AuthenticationResults("mx.example.net", rs)
	for _, want := range []string{
		"mx.example.net; dkim=pass header.a=rsa-sha256 header.b=" + rs[0].SignaturePrefix + " header.d=example.com header.i=@example.com header.s=rsa",
		"; dkim=fail reason=body-hash-mismatch header.a=ed25519-sha256",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got %q\nwant it to contain %q", got, want)
		}
	}
	if got := AuthenticationResults("mx.example.net", nil); got != "mx.example.net; dkim=none " && got != "mx.example.net; dkim=none" {
		t.Errorf("none: %q", got)
	}
}

// TestBareLFLarge: a large Unix-format message, read in odd pieces, verifies
// like its CRLF form, and the CRLF reader converts across chunk edges.
func TestBareLFLarge(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: big\r\n\r\n")
	for i := 0; b.Len() < 200000; i++ {
		fmt.Fprintf(&b, "line %d with  some\ttext \r\n", i)
		if i%7 == 0 {
			b.WriteString("\r\n")
		}
	}
	crlfMsg := b.String()
	signed := signWith(t, crlfMsg, edOpts())
	lf := strings.ReplaceAll(signed, "\r\n", "\n")
	for _, r := range []io.Reader{strings.NewReader(lf), iotest.OneByteReader(strings.NewReader(lf)), iotest.HalfReader(strings.NewReader(lf))} {
		got, err := Verify(context.Background(), r, testZone, VerifyOptions{Now: func() time.Time { return testNow }})
		if err != nil || len(got) != 1 || got[0].Result != Pass {
			t.Fatalf("%v %+v", err, got)
		}
	}
	// The CRLF reader alone: LF-only input becomes exactly the CRLF form.
	out, err := io.ReadAll(newCRLFReader(iotest.HalfReader(strings.NewReader(lf))))
	if err != nil || string(out) != signed {
		t.Fatalf("conversion differs (%v)", err)
	}
}

// TestVerifierPoolDoesNotLeak: a Verifier pools its per-message state, so
// messages of every shape (no signature, one, two, a broken body, other
// headers signed, relaxed and simple, l=) verified at once, over and over,
// must each give exactly the results they give alone, and a result must
// not change when the pooled state is reused for another message.
func TestVerifierPoolDoesNotLeak(t *testing.T) {
	v := NewVerifier(testZone, VerifyOptions{Now: func() time.Time { return testNow }})
	simple := rsaOpts()
	simple.Canonicalization = "simple/simple"
	fewer := edOpts()
	fewer.Headers = []string{"From", "Subject"}
	long := testMessage + strings.Repeat("a line of the body, longer than the others\r\n", 300)
	msgs := []string{
		testMessage,
		signWith(t, testMessage, rsaOpts()),
		signWith(t, testMessage, rsaOpts(), edOpts()),
		signWith(t, testMessage, simple, fewer),
		strings.Replace(signWith(t, testMessage, rsaOpts()), "Joe.", "Jim.", 1),
		signWith(t, long, edOpts(), rsaOpts()),
	}
	want := make([][]SignatureResult, len(msgs))
	for i, m := range msgs {
		want[i] = verifyString(t, m, VerifyOptions{})
	}
	if len(want[0]) != 0 || len(want[2]) != 2 || want[2][1].Result != Pass || want[4][0].Result != Fail || want[4][0].Code != "body-hash-mismatch" {
		t.Fatalf("the messages do not give the results this test is about: %+v", want)
	}
	// What the first results were, kept by value, to see they do not change.
	kept := fmt.Sprintf("%+v", want)
	var wg sync.WaitGroup
	errs := make(chan error, len(msgs))
	for i, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				got, err := v.Verify(context.Background(), strings.NewReader(m))
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					errs <- fmt.Errorf("message %d: %v\n got %+v\nwant %+v", i, err, got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if now := fmt.Sprintf("%+v", want); now != kept {
		t.Errorf("results changed after the pooled state was reused:\n%s\n%s", kept, now)
	}
}
