package msgauth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// listed returns the demo resolver with the key of a mailing list,
// lists.example.org (selector arc1, Ed25519), and a message from the
// tenant example.com as that list forwards it: received with DKIM
// passing, a footer added, then sealed with what the list found.
func listed(t testing.TB, body string) (dns.Resolver, []byte) {
	t.Helper()
	z, err := dns.LoadZoneFiles("../../testdata/zones/example.com.zone", "../../testdata/zones/example.net.zone")
	if err != nil {
		t.Fatal(err)
	}
	_, signed := demo(t, "example.com")
	if body != "" {
		signed = bytes.Replace(signed, []byte("Hello.\r\n"), []byte(body), 1)
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	rec, err := dkimkey.NewRecord(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	f := dnstest.NewFake()
	f.AddTXT("arc1._domainkey.lists.example.org", rec.String())
	r := dns.NewChain(z, f)

	v := arc.NewValidator(r, arc.ValidateOptions{})
	received, err := v.Validate(context.Background(), bytes.NewReader(signed))
	if err != nil || received.Result != arc.None {
		t.Fatalf("received: %+v, %v", received, err)
	}
	// The list adds its footer, breaking the tenant's signature.
	changed := append(bytes.Clone(signed), []byte("-- \r\nThe list footer\r\n")...)
	s, err := arc.NewSealer(v, arc.SealOptions{
		Domain: "lists.example.org", Selector: "arc1", Signer: key, AuthServID: "mx.lists.example.org",
		AuthResults: "spf=pass smtp.mailfrom=bounce@example.com; dkim=pass header.d=example.com header.s=selector1",
		Time:        time.Unix(1795000000, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := s.Seal(context.Background(), &out, bytes.NewReader(changed), received); err != nil {
		t.Fatal(err)
	}
	return r, out.Bytes()
}

func TestAuthenticateARC(t *testing.T) {
	ctx := context.Background()
	r, msg := listed(t, "")
	// The list's outbound server is not in the tenant's SPF.
	conn := &Connection{IP: netip.MustParseAddr("192.0.2.99"), HELO: "out.lists.example.org", MailFrom: "list-bounce@lists.example.org"}
	v := dkim.NewVerifier(r, dkim.VerifyOptions{})
	opts := Options{AuthServID: "mx.example.test", ARC: arc.NewValidator(r, arc.ValidateOptions{}), ARCChain: true}

	res, err := Authenticate(ctx, bytes.NewReader(msg), r, v, conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ARC == nil || res.ARC.Result != arc.Pass || res.ARC.Instance != 1 {
		t.Fatalf("arc = %+v", res.ARC)
	}
	if res.DKIMResult.Result == dkim.Pass || res.DMARC == nil || res.DMARC.Result != "fail" {
		t.Errorf("the footer must break DKIM and so DMARC: dkim %+v, dmarc %+v", res.DKIMResult, res.DMARC)
	}
	if res.TrustedARC != nil {
		t.Errorf("no trusted sealer given, but %+v", res.TrustedARC)
	}
	// arc= comes last, after dmarc=, as in RFC 8617's examples.
	if !strings.HasSuffix(res.AuthenticationResults, "; arc=pass smtp.remote-ip=192.0.2.99 arc.chain=lists.example.org") ||
		!strings.Contains(res.AuthenticationResults, "; dmarc=fail") {
		t.Errorf("header = %s", res.AuthenticationResults)
	}

	// Trusting the list: DMARC passes on what it recorded, an override.
	opts.TrustedSealers = []string{"LISTS.example.org."}
	res, err = Authenticate(ctx, bytes.NewReader(msg), r, v, conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.TrustedARC
	if tr == nil || tr.Sealer != "lists.example.org" || tr.Instance != 1 || tr.AuthServID != "mx.lists.example.org" ||
		tr.DMARC == nil || tr.DMARC.Result != "pass" || !tr.Override || !strings.Contains(tr.Results, "dkim=pass header.d=example.com") {
		t.Fatalf("trusted = %+v", tr)
	}
	if v := res.Verdict(""); v.Result != VerdictFail {
		t.Errorf("the trusted-sealer view must not change the verdict: %+v", v)
	}

	// Trusting someone else, or the parent domain only: no override.
	for _, trusted := range []string{"other.example", "example.org"} {
		opts.TrustedSealers = []string{trusted}
		res, err = Authenticate(ctx, bytes.NewReader(msg), r, v, conn, opts)
		if err != nil {
			t.Fatal(err)
		}
		if tr := res.TrustedARC; tr == nil || tr.Sealer != "" || tr.Override || !strings.Contains(tr.Reason, "sealers: lists.example.org") {
			t.Errorf("trusting %s: %+v", trusted, tr)
		}
	}

	// Changed after sealing: the chain fails, nothing is trusted.
	opts.TrustedSealers = []string{"lists.example.org"}
	broken := bytes.Replace(msg, []byte("Hello."), []byte("Hello!"), 1)
	res, err = Authenticate(ctx, bytes.NewReader(broken), r, v, conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ARC.Result != arc.Fail || res.ARC.FailedInstance != 1 || res.ARC.Code != "body-hash-mismatch" {
		t.Errorf("arc = %+v", res.ARC)
	}
	if tr := res.TrustedARC; tr == nil || tr.DMARC != nil || tr.Override || !strings.Contains(tr.Reason, "arc=fail") {
		t.Errorf("trusted = %+v", tr)
	}
	if !strings.Contains(res.AuthenticationResults, "; arc=fail reason=body-hash-mismatch") {
		t.Errorf("header = %s", res.AuthenticationResults)
	}
}

func TestVerifyMessageARC(t *testing.T) {
	ctx := context.Background()
	// A body far larger than any buffer on the way, so that the DKIM
	// and ARC readers must run in step.
	big := strings.Repeat("A line of the body, long enough to fill buffers quickly.\r\n", 40000)
	r, msg := listed(t, big)
	v := dkim.NewVerifier(r, dkim.VerifyOptions{})
	opts := Options{AuthServID: "mx.example.test", ARC: arc.NewValidator(r, arc.ValidateOptions{}), TrustedSealers: []string{"lists.example.org"}}
	res, err := VerifyMessage(ctx, bytes.NewReader(msg), r, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ARC.Result != arc.Pass || res.DMARC != nil || res.SPF != nil {
		t.Errorf("arc %+v, dmarc %+v, spf %+v", res.ARC, res.DMARC, res.SPF)
	}
	if strings.Contains(res.AuthenticationResults, "dmarc=") || !strings.HasSuffix(res.AuthenticationResults, "; arc=pass") ||
		!strings.HasPrefix(res.AuthenticationResults, "mx.example.test; dkim=fail") {
		t.Errorf("header = %s", res.AuthenticationResults)
	}
	// Without DMARC on the message's own results there is no override to
	// speak of, but the view is there.
	if tr := res.TrustedARC; tr == nil || tr.DMARC == nil || tr.DMARC.Result != "pass" || tr.Override {
		t.Errorf("trusted = %+v", tr)
	}

	// No DKIM signature at all: the DKIM side stops after the header, and
	// the chain is still validated over the whole body.
	unsigned := dropField(msg, "DKIM-Signature")
	res, err = VerifyMessage(ctx, bytes.NewReader(unsigned), r, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.DKIM) != 0 || res.ARC.Result != arc.Fail || res.ARC.Code != "signature-mismatch" {
		// The AMS signed the DKIM-Signature field that was removed.
		t.Errorf("dkim %d, arc %+v", len(res.DKIM), res.ARC)
	}

	// No ARC field: none, without reading the body twice.
	_, plain := demo(t, "example.com")
	res, err = VerifyMessage(ctx, bytes.NewReader(plain), r, v, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ARC.Result != arc.None || !strings.HasSuffix(res.AuthenticationResults, "; arc=none") || res.DKIMResult.Result != dkim.Pass {
		t.Errorf("arc %+v, header %s", res.ARC, res.AuthenticationResults)
	}
	if tr := res.TrustedARC; tr == nil || tr.Sealer != "" || !strings.Contains(tr.Reason, "arc=none") {
		t.Errorf("trusted = %+v", tr)
	}

	// Without a validator, nothing about ARC.
	res, err = VerifyMessage(ctx, bytes.NewReader(msg), r, v, Options{AuthServID: "mx.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ARC != nil || res.TrustedARC != nil || strings.Contains(res.AuthenticationResults, "arc=") {
		t.Errorf("arc %+v, header %s", res.ARC, res.AuthenticationResults)
	}
}

// A message that is not one fails the same way with ARC as without, and
// nothing is left blocked.
func TestVerifyMessageARCBadInput(t *testing.T) {
	r, msg := listed(t, "")
	v := dkim.NewVerifier(r, dkim.VerifyOptions{})
	opts := Options{ARC: arc.NewValidator(r, arc.ValidateOptions{})}
	bad := append([]byte("not a header line\r\n"), msg...)
	if _, err := VerifyMessage(context.Background(), bytes.NewReader(bad), r, v, opts); err == nil {
		t.Error("a header line that is not a field: no error")
	}
	if _, err := VerifyMessage(context.Background(), &failingReader{data: msg, n: len(msg) - 10}, r, v, opts); err == nil {
		t.Error("a read error: no error")
	}
}

type failingReader struct {
	data []byte
	n    int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errRead
	}
	k := copy(p, f.data[:min(len(f.data), f.n)])
	f.data, f.n = f.data[k:], f.n-k
	return k, nil
}

var errRead = &readErr{}

type readErr struct{}

func (*readErr) Error() string { return "disk on fire" }

func dropField(msg []byte, name string) []byte {
	var out []byte
	skip := false
	for _, line := range bytes.SplitAfter(msg, []byte("\n")) {
		if len(line) > 0 && line[0] != ' ' && line[0] != '\t' {
			skip = bytes.HasPrefix(bytes.ToLower(line), []byte(strings.ToLower(name)+":"))
		}
		if !skip {
			out = append(out, line...)
		}
	}
	return out
}

// BenchmarkVerifyMessage measures a forwarded message of about 1 MB (a
// DKIM signature and one ARC set) read once for DKIM alone, and once for
// DKIM and ARC together: the pipe between them is the price of ARC.
func BenchmarkVerifyMessage(b *testing.B) {
	body := strings.Repeat("A line of the body, long enough to fill buffers quickly.\r\n", 18000)
	r, msg := listed(b, body)
	v := dkim.NewVerifier(r, dkim.VerifyOptions{})
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"dkim", Options{}},
		{"dkim+arc", Options{ARC: arc.NewValidator(r, arc.ValidateOptions{})}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := VerifyMessage(context.Background(), bytes.NewReader(msg), r, v, bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
