package msgauth

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// demo returns the resolver of the demo zones (tenant example.com sending
// through the platform example.net) and a message signed by example.com.
func demo(t testing.TB, from string) (dns.Resolver, []byte) {
	t.Helper()
	z, err := dns.LoadZoneFiles("../../testdata/zones/example.com.zone", "../../testdata/zones/example.net.zone")
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile("../../testdata/demo-keys/selector1.example.com.pem")
	if err != nil {
		t.Fatal(err)
	}
	key, err := dkimkey.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: Alice <alice@" + from + ">\r\nTo: bob@example.org\r\nSubject: hello\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello.\r\n"
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), dkim.SignOptions{Domain: "example.com", Selector: "selector1", Signer: key}); err != nil {
		t.Fatal(err)
	}
	return dns.NewChain(z, nil), out.Bytes()
}

func TestAuthenticate(t *testing.T) {
	platformIP := netip.MustParseAddr("198.51.100.7") // in _spf-out1.example.net
	for _, tc := range []struct {
		name      string
		from      string
		conn      *Connection
		tamper    bool
		spf, dmrc string
		header    []string
	}{
		{"aligned DKIM and SPF", "example.com", &Connection{IP: platformIP, HELO: "out.example.net", MailFrom: "bounce@example.com"},
			false, "pass", "pass", []string{"mx.example.test;", "spf=pass smtp.mailfrom=bounce@example.com", "dkim=pass header.a=rsa-sha256 header.b=", "dmarc=pass", "header.from=example.com"}},
		{"SPF fails, DKIM aligned passes", "example.com", &Connection{IP: netip.MustParseAddr("203.0.113.250"), HELO: "x.example.org", MailFrom: "bounce@example.org"},
			false, "none", "pass", []string{"spf=none smtp.mailfrom=bounce@example.org", "dmarc=pass"}},
		{"tampered body, unaligned SPF: DMARC fails", "example.com", &Connection{IP: netip.MustParseAddr("192.0.2.99"), HELO: "x.example.org", MailFrom: "bounce@example.com"},
			true, "fail", "fail", []string{"spf=fail", "dkim=fail reason=body-hash-mismatch", "dmarc=fail (p=quarantine", "dis=quarantine"}},
		{"null sender: HELO identity", "example.com", &Connection{IP: platformIP, HELO: "example.net", MailFrom: ""},
			false, "pass", "pass", []string{"spf=pass smtp.helo=example.net"}},
		{"no connection", "example.com", nil, false, "", "pass", []string{"dkim=pass", "dmarc=pass"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, msg := demo(t, tc.from)
			if tc.tamper {
				msg = bytes.Replace(msg, []byte("Hello."), []byte("Hello!"), 1)
			}
			v := dkim.NewVerifier(r, dkim.VerifyOptions{})
			res, err := Authenticate(context.Background(), bytes.NewReader(msg), r, v, tc.conn, Options{AuthServID: "mx.example.test"})
			if err != nil {
				t.Fatal(err)
			}
			if tc.spf == "" && res.SPF != nil || tc.spf != "" && (res.SPF == nil || string(res.SPF.Result) != tc.spf) {
				t.Errorf("spf = %+v, want %s", res.SPF, tc.spf)
			}
			if res.DMARC == nil || res.DMARC.Result != tc.dmrc {
				t.Errorf("dmarc = %+v, want %s", res.DMARC, tc.dmrc)
			}
			for _, want := range tc.header {
				if !strings.Contains(res.AuthenticationResults, want) {
					t.Errorf("header lacks %q:\n%s", want, res.AuthenticationResults)
				}
			}
		})
	}
}

func TestFromDomain(t *testing.T) {
	for hdr, want := range map[string]string{
		"From: a@Example.COM\r\n\r\n":                       "example.com",
		"From: \"A, B\" <a@x.example>, c@x.example\r\n\r\n": "x.example",
		"From: a@x.example, b@y.example\r\n\r\n":            "!authors in x.example and y.example",
		"From: a@x.example\r\nFrom: b@x.example\r\n\r\n":    "!2 From fields",
		"To: b@x.example\r\n\r\n":                           "!no From field",
		"From: undisclosed\r\n\r\n":                         "!cannot be parsed",
	} {
		got, err := fromDomain([]byte(hdr))
		if strings.HasPrefix(want, "!") {
			if err == nil || !strings.Contains(err.Error(), want[1:]) {
				t.Errorf("%q: %q %v, want error %q", hdr, got, err, want[1:])
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", hdr, got, err, want)
		}
	}
}

func TestNotAMessage(t *testing.T) {
	r, _ := demo(t, "example.com")
	_, err := Authenticate(context.Background(), strings.NewReader("no separator here"), r, dkim.NewVerifier(r, dkim.VerifyOptions{}), nil, Options{})
	// pkg/dkim's reader names the line, and the error is the one callers
	// test for.
	if !errors.Is(err, dkim.ErrNoSeparator) || !strings.Contains(err.Error(), "line 1 of the message is not a header field") {
		t.Errorf("err = %v", err)
	}
}

func TestValueQuoting(t *testing.T) {
	for in, want := range map[string]string{"example.com": "example.com", "a b": `"a b"`, `x"y`: `"x\"y"`, "": `""`, "bounce@example.com": "bounce@example.com"} {
		if got := value(in); got != want {
			t.Errorf("value(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestManySignaturesTimingOut: 1,000 signatures whose keys time out give
// the DKIM result temperror, as one does; the cap is reported, the
// Authentication-Results value stays short, and the signatures beyond the
// cap are not aligned for DMARC (each would cost DNS queries).
func TestManySignaturesTimingOut(t *testing.T) {
	var hdr strings.Builder
	for i := 0; i < 1000; i++ {
		hdr.WriteString("DKIM-Signature: v=1; a=rsa-sha256; d=d" + strings.Repeat("x", i%7) + ".example.org; s=slow; h=from; bh=AAAA; b=AAAA\r\n")
	}
	msg := hdr.String() + "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"
	f := dnsFake{}
	v := dkim.NewVerifier(f, dkim.VerifyOptions{})
	res, err := Authenticate(context.Background(), strings.NewReader(msg), f, v, nil, Options{AuthServID: "mx.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.DKIMResult.Result != dkim.Temperror || res.DKIMResult.NotVerified != 984 {
		t.Errorf("DKIM result %+v, want temperror with 984 not verified", res.DKIMResult)
	}
	if n := strings.Count(res.AuthenticationResults, "dkim="); n != 17 || len(res.AuthenticationResults) > 8000 {
		t.Errorf("Authentication-Results: %d dkim= results, %d octets", n, len(res.AuthenticationResults))
	}
	if res.DMARC == nil || len(res.DMARC.Alignment.DKIM.Checks) != 16 {
		t.Errorf("DMARC aligned %d DKIM identifiers, want the 16 verified", len(res.DMARC.Alignment.DKIM.Checks))
	}
}

// dnsFake times out every key lookup, publishes a DMARC record for
// example.com, and answers NXDOMAIN otherwise.
type dnsFake struct{}

func (dnsFake) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	if strings.Contains(name, "._domainkey.") {
		return nil, &dns.Error{Name: name, Type: qtype, RCode: -1, Err: dns.ErrTimeout}
	}
	if n := dns.CanonicalName(name); n == "_dmarc.example.com" && qtype == dns.TypeTXT {
		return &dns.Answer{Name: n, Type: qtype, Records: []dns.Record{{Name: n, Type: dns.TypeTXT, Strings: []string{"v=DMARC1; p=reject"}}}}, nil
	}
	return &dns.Answer{Name: dns.CanonicalName(name), Type: qtype, RCode: dns.RcodeNXDomain, Records: []dns.Record{}}, nil
}
