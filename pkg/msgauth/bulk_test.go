package msgauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// bulkEnv is a sending platform at sender.example: its outbound host
// out.sender.example (192.0.2.10, forward-confirmed), three DKIM keys
// (RSA-2048, RSA-1024, Ed25519) and an enforcing DMARC policy; a second
// domain, lax.example, with p=none; nodmarc.example without DMARC. The
// reverse zone has a PTR that does not confirm (192.0.2.20), none
// (192.0.2.30), and one that times out (192.0.2.40).
type bulkEnv struct {
	res                  *dnstest.Fake
	rsa2048, rsa1024, ed crypto.Signer
}

func newBulkEnv(t *testing.T) *bulkEnv {
	t.Helper()
	load := func(path string) crypto.Signer {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		k, err := dkimkey.ParsePrivateKey(data)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	e := &bulkEnv{
		res:     dnstest.NewFake(),
		rsa2048: load("../../testdata/demo-keys/selector1.example.com.pem"),
		rsa1024: load("../../testdata/conformance/dkim/rfc8463/rsa-test.private.pem"),
		ed:      ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize)),
	}
	for _, d := range []string{"sender.example", "lax.example", "nodmarc.example"} {
		for sel, k := range map[string]crypto.Signer{"s2048": e.rsa2048, "s1024": e.rsa1024, "ed": e.ed} {
			rec, err := dkimkey.NewRecord(k.Public())
			if err != nil {
				t.Fatal(err)
			}
			txt := rec.String()
			var parts []string
			for len(txt) > 255 {
				parts, txt = append(parts, txt[:255]), txt[255:]
			}
			e.res.AddTXT(sel+"._domainkey."+d, append(parts, txt)...)
		}
		e.res.AddTXT(d, "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all")
	}
	e.res.AddTXT("_dmarc.sender.example", "v=DMARC1; p=reject; rua=mailto:d@sender.example")
	e.res.AddTXT("_dmarc.lax.example", "v=DMARC1; p=none")
	e.res.AddTXT("other.example", "v=spf1 ip4:198.51.100.0/24 -all")
	e.res.Add(`
out.sender.example.          A   192.0.2.10
10.2.0.192.in-addr.arpa.     PTR out.sender.example.
20.2.0.192.in-addr.arpa.     PTR elsewhere.sender.example.
elsewhere.sender.example.    A   192.0.2.99
out6.sender.example.         AAAA 2001:db8::10
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR out6.sender.example.
`)
	e.res.AddName("30.2.0.192.in-addr.arpa")
	e.res.Timeout("40.2.0.192.in-addr.arpa", dns.TypePTR)
	return e
}

const goodHeader = "From: News <news@sender.example>\r\n" +
	"To: reader@gmail.example\r\n" +
	"Subject: This week\r\n" +
	"Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n" +
	"Message-ID: <20261123.1@sender.example>\r\n" +
	"List-Unsubscribe: <mailto:unsub@sender.example?subject=u>,\r\n <https://sender.example/u/opaque-token>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"

// message signs header+body with the keys named ("s2048@sender.example").
func (e *bulkEnv) message(t *testing.T, header string, signers []string, headers []string) string {
	t.Helper()
	msg := header + "\r\nHello, readers.\r\n"
	for _, s := range signers {
		sel, dom, _ := strings.Cut(s, "@")
		key := map[string]crypto.Signer{"s2048": e.rsa2048, "s1024": e.rsa1024, "ed": e.ed}[sel]
		var out bytes.Buffer
		if err := dkim.Sign(&out, strings.NewReader(msg), dkim.SignOptions{Domain: dom, Selector: sel, Signer: key, Headers: headers, Time: time.Unix(1795000000, 0)}); err != nil {
			t.Fatal(err)
		}
		msg = out.String()
	}
	return msg
}

func conn(ip, mailFrom string) *Connection {
	return &Connection{IP: netip.MustParseAddr(ip), HELO: "out.sender.example", MailFrom: mailFrom}
}

func codes(fs finding.List) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	sort.Strings(out)
	return out
}

func TestCheckBulk(t *testing.T) {
	e := newBulkEnv(t)
	good := []string{"s2048@sender.example"}
	ok := conn("192.0.2.10", "bounce@sender.example")
	for _, tc := range []struct {
		name    string
		msg     func() string
		conn    *Connection
		opts    BulkOptions
		want    []string // finding codes, sorted
		status  finding.Status
		checkID string         // a check whose status is asserted
		checkSt finding.Status // its status
	}{
		{"compliant", func() string { return e.message(t, goodHeader, good, nil) }, ok, BulkOptions{}, nil, finding.StatusPass, BulkUnsubscribe, finding.StatusPass},
		{"IPv6 sender, forward-confirmed", func() string { return e.message(t, goodHeader, good, nil) }, conn("2001:db8::10", "bounce@sender.example"), BulkOptions{}, nil, finding.StatusPass, BulkReverseDNS, finding.StatusPass},
		{"no connection", func() string { return e.message(t, goodHeader, good, nil) }, nil, BulkOptions{},
			[]string{"bulk.no-connection"}, finding.StatusWarn, BulkReverseDNS, finding.StatusSkip},
		{"SPF fails", func() string { return e.message(t, goodHeader, good, nil) }, conn("192.0.2.10", "bounce@other.example"), BulkOptions{},
			[]string{"bulk.spf-fail"}, finding.StatusFail, BulkSPF, finding.StatusFail},
		{"no DKIM signature", func() string { return e.message(t, goodHeader, nil, nil) }, ok, BulkOptions{},
			[]string{"bulk.dkim-fail", "bulk.unsubscribe-not-signed"}, finding.StatusFail, BulkDKIMKey, finding.StatusSkip},
		{"DKIM broken in transit", func() string {
			return strings.Replace(e.message(t, goodHeader, good, nil), "Hello, readers.", "Hello, readers!", 1)
		}, ok, BulkOptions{}, []string{"bulk.dkim-fail", "bulk.unsubscribe-not-signed"}, finding.StatusFail, BulkDKIM, finding.StatusFail},
		{"1024-bit key", func() string { return e.message(t, goodHeader, []string{"s1024@sender.example"}, nil) }, ok, BulkOptions{},
			[]string{"bulk.dkim-key-1024"}, finding.StatusWarn, BulkDKIMKey, finding.StatusWarn},
		{"Ed25519 only", func() string { return e.message(t, goodHeader, []string{"ed@sender.example"}, nil) }, ok, BulkOptions{},
			[]string{"bulk.dkim-ed25519-only"}, finding.StatusWarn, BulkDKIMKey, finding.StatusWarn},
		{"dual signing is fine", func() string {
			return e.message(t, goodHeader, []string{"ed@sender.example", "s2048@sender.example"}, nil)
		}, ok, BulkOptions{},
			nil, finding.StatusPass, BulkDKIMKey, finding.StatusPass},
		{"no DMARC record", func() string {
			return e.message(t, strings.ReplaceAll(goodHeader, "news@sender.example", "news@nodmarc.example"), []string{"s2048@nodmarc.example"}, nil)
		}, conn("192.0.2.10", "bounce@nodmarc.example"), BulkOptions{}, []string{"bulk.no-dmarc"}, finding.StatusFail, BulkDMARC, finding.StatusFail},
		{"DMARC p=none passes", func() string {
			return e.message(t, strings.ReplaceAll(goodHeader, "news@sender.example", "news@lax.example"), []string{"s2048@lax.example"}, nil)
		}, conn("192.0.2.10", "bounce@lax.example"), BulkOptions{}, []string{"bulk.dmarc-p-none"}, finding.StatusPass, BulkDMARC, finding.StatusPass},
		{"DMARC not aligned", func() string { return e.message(t, goodHeader, []string{"s2048@lax.example"}, nil) },
			conn("192.0.2.10", "bounce@lax.example"), BulkOptions{}, []string{"bulk.dmarc-fail"}, finding.StatusFail, BulkDMARC, finding.StatusFail},
		{"no From", func() string {
			return e.message(t, strings.Replace(goodHeader, "From: News <news@sender.example>\r\n", "", 1), nil, nil)
		}, ok, BulkOptions{}, []string{"bulk.dkim-fail", "bulk.no-from-domain", "bulk.unsubscribe-not-signed"}, finding.StatusFail, BulkDMARC, finding.StatusFail},
		{"PTR not forward-confirmed", func() string { return e.message(t, goodHeader, good, nil) }, conn("192.0.2.20", "bounce@sender.example"), BulkOptions{},
			[]string{"bulk.ptr-mismatch"}, finding.StatusFail, BulkReverseDNS, finding.StatusFail},
		{"no PTR", func() string { return e.message(t, goodHeader, good, nil) }, conn("192.0.2.30", "bounce@sender.example"), BulkOptions{},
			[]string{"bulk.no-ptr"}, finding.StatusFail, BulkReverseDNS, finding.StatusFail},
		{"PTR lookup times out", func() string { return e.message(t, goodHeader, good, nil) }, conn("192.0.2.40", "bounce@sender.example"), BulkOptions{},
			[]string{"bulk.dns-error"}, finding.StatusError, BulkReverseDNS, finding.StatusError},
		{"no List-Unsubscribe", func() string {
			return e.message(t, strings.Split(goodHeader, "List-Unsubscribe:")[0], good, nil)
		}, ok, BulkOptions{}, []string{"bulk.no-list-unsubscribe"}, finding.StatusFail, BulkUnsubscribe, finding.StatusFail},
		{"transactional: no unsubscribe needed", func() string {
			return e.message(t, strings.Split(goodHeader, "List-Unsubscribe:")[0], good, nil)
		}, ok, BulkOptions{Transactional: true}, nil, finding.StatusPass, BulkUnsubscribe, finding.StatusSkip},
		{"mailto only", func() string {
			return e.message(t, strings.Replace(goodHeader, ",\r\n <https://sender.example/u/opaque-token>", "", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.unsubscribe-not-https"}, finding.StatusFail, BulkUnsubscribe, finding.StatusFail},
		{"http, not https", func() string {
			return e.message(t, strings.Replace(goodHeader, "<https://", "<http://", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.unsubscribe-not-https"}, finding.StatusFail, BulkUnsubscribe, finding.StatusFail},
		{"no List-Unsubscribe-Post", func() string {
			return e.message(t, strings.Replace(goodHeader, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.no-one-click-unsubscribe"}, finding.StatusFail, BulkUnsubscribe, finding.StatusFail},
		{"wrong List-Unsubscribe-Post", func() string {
			return e.message(t, strings.Replace(goodHeader, "List-Unsubscribe=One-Click", "One-Click=yes", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.no-one-click-unsubscribe"}, finding.StatusFail, BulkUnsubscribe, finding.StatusFail},
		{"unsubscribe fields not signed", func() string {
			return e.message(t, goodHeader, good, []string{"From", "To", "Subject", "Date", "Message-ID"})
		}, ok, BulkOptions{}, []string{"bulk.unsubscribe-not-signed"}, finding.StatusFail, BulkUnsubscribe, finding.StatusFail},
		{"no Message-ID", func() string {
			return e.message(t, strings.Replace(goodHeader, "Message-ID: <20261123.1@sender.example>\r\n", "", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.bad-message-id"}, finding.StatusFail, BulkMessageID, finding.StatusFail},
		{"malformed Message-ID", func() string {
			return e.message(t, strings.Replace(goodHeader, "<20261123.1@sender.example>", "20261123.1 at sender", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.bad-message-id"}, finding.StatusFail, BulkMessageID, finding.StatusFail},
		{"no Date", func() string {
			return e.message(t, strings.Replace(goodHeader, "Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n", "", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.bad-date"}, finding.StatusFail, BulkDate, finding.StatusFail},
		{"malformed Date", func() string {
			return e.message(t, strings.Replace(goodHeader, "Mon, 23 Nov 2026 12:00:00 +0000", "yesterday", 1), good, nil)
		}, ok, BulkOptions{}, []string{"bulk.bad-date"}, finding.StatusFail, BulkDate, finding.StatusFail},
		{"forged Authentication-Results", func() string {
			return "Authentication-Results: mx.gmail.example; spf=pass smtp.mailfrom=sender.example; dkim=pass\r\n" + e.message(t, goodHeader, good, nil)
		}, ok, BulkOptions{}, []string{"bulk.forged-auth-results"}, finding.StatusFail, BulkAuthResults, finding.StatusFail},
		{"the test inbox's own Authentication-Results", func() string {
			return "Authentication-Results: inbox.test.example; spf=pass\r\n" + e.message(t, goodHeader, good, nil)
		}, ok, BulkOptions{TrustedAuthServIDs: []string{"inbox.test.example"}}, nil, finding.StatusPass, BulkAuthResults, finding.StatusPass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := dkim.NewVerifier(e.res, dkim.VerifyOptions{Now: func() time.Time { return time.Unix(1795000100, 0) }})
			res, err := CheckBulk(context.Background(), strings.NewReader(tc.msg()), e.res, v, tc.conn, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(res.Findings); !slices.Equal(got, tc.want) {
				t.Errorf("findings %v, want %v", got, tc.want)
				for _, f := range res.Findings {
					t.Log(f)
				}
			}
			if res.Status != tc.status || res.Status != finding.Judge(res.Findings, true) {
				t.Errorf("status %s, want %s", res.Status, tc.status)
			}
			for _, f := range res.Findings {
				if !bulkCatalog.Has(f.Code) || f.Message == "" {
					t.Errorf("finding %+v", f)
				}
			}
			if len(res.Checks) != 9 {
				t.Errorf("%d checks, want 9: %+v", len(res.Checks), res.Checks)
			}
			for _, c := range res.Checks {
				if c.ID == tc.checkID && c.Status != tc.checkSt {
					t.Errorf("check %s: %s, want %s (%v)", c.ID, c.Status, tc.checkSt, c.Findings)
				}
			}
		})
	}
}

// The weak-key rule needs a signature with an RSA key under 1024 bits,
// which neither Go nor pkg/dkim will make: EvaluateBulk takes a result
// built by hand, as a service that authenticated the message itself does.
func TestEvaluateBulkWeakKey(t *testing.T) {
	e := newBulkEnv(t)
	header := []byte(goodHeader + "\r\n")
	auth := &Result{
		FromDomain: "sender.example",
		DKIM: []dkim.SignatureResult{
			{Domain: "sender.example", Selector: "old", Result: dkim.Policy, Code: "weak-key", KeyType: "rsa", KeyBits: 512, KeyName: "old._domainkey.sender.example"},
		},
	}
	res, err := EvaluateBulk(context.Background(), e.res, header, auth, nil, BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"bulk.dkim-fail", "bulk.dkim-weak-key", "bulk.no-connection", "bulk.no-from-domain", "bulk.unsubscribe-not-signed"}
	if got := codes(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if res.Status != finding.StatusFail {
		t.Errorf("status %s", res.Status)
	}
	if _, err := EvaluateBulk(context.Background(), e.res, header, nil, nil, BulkOptions{}); err == nil {
		t.Error("no Result accepted")
	}
}

// Every code of the catalogue is emitted by a test above (the catalogue
// and the tests cannot drift apart).
func TestBulkCatalogueCovered(t *testing.T) {
	covered := map[string]bool{
		"bulk.no-connection": true, "bulk.spf-fail": true, "bulk.dkim-fail": true, "bulk.dkim-weak-key": true,
		"bulk.dkim-key-1024": true, "bulk.dkim-ed25519-only": true, "bulk.no-from-domain": true, "bulk.no-dmarc": true,
		"bulk.dmarc-fail": true, "bulk.dmarc-p-none": true, "bulk.no-ptr": true, "bulk.ptr-mismatch": true,
		"bulk.no-list-unsubscribe": true, "bulk.unsubscribe-not-https": true, "bulk.no-one-click-unsubscribe": true,
		"bulk.unsubscribe-not-signed": true, "bulk.bad-message-id": true, "bulk.bad-date": true,
		"bulk.forged-auth-results": true, "bulk.dns-error": true,
	}
	for _, s := range BulkFindings() {
		if !covered[s.Code] {
			t.Errorf("%s has no test", s.Code)
		}
		delete(covered, s.Code)
	}
	for c := range covered {
		t.Errorf("%s is not in the catalogue", c)
	}
}

func TestBulkDetails(t *testing.T) {
	e := newBulkEnv(t)
	msg := e.message(t, goodHeader, []string{"s2048@sender.example"}, nil)
	v := dkim.NewVerifier(e.res, dkim.VerifyOptions{})
	res, err := CheckBulk(context.Background(), strings.NewReader(msg), e.res, v, conn("192.0.2.10", "bounce@sender.example"), BulkOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := res.Unsubscribe
	if u == nil || !u.OneClick || u.HTTPS != "https://sender.example/u/opaque-token" || len(u.URIs) != 2 || !slices.Equal(u.SignedBy, []string{"sender.example"}) {
		t.Errorf("unsubscribe %+v", u)
	}
	if rd := res.ReverseDNS; rd == nil || !slices.Equal(rd.Names, []string{"out.sender.example"}) || !slices.Equal(rd.Confirmed, rd.Names) {
		t.Errorf("reverse DNS %+v", rd)
	}
	// The JSON form has every list as [] rather than null.
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("null")) {
		t.Errorf("null in %s", data)
	}
	if _, err := CheckBulk(context.Background(), strings.NewReader("no header"), e.res, v, nil, BulkOptions{}); err == nil {
		t.Error("not a message accepted")
	}
}

func TestMessageIDAndURIs(t *testing.T) {
	for id, ok := range map[string]bool{
		"<a@b>": true, " <a.b.c@d.example> (comment)": true, "<a@[192.0.2.1]>": true,
		"a@b": false, "<ab>": false, "<@b>": false, "<a@>": false, "<a b@c>": false, "<a@b@c>": false,
	} {
		if got := checkMsgID(id) == ""; got != ok {
			t.Errorf("%q: %v (%s)", id, got, checkMsgID(id))
		}
	}
	got := unsubscribeURIs("(Unsubscribe) <mailto:u@x.example>, <https://x.example/\r\n u?a=1>, junk <ftp://x")
	if !slices.Equal(got, []string{"mailto:u@x.example", "https://x.example/u?a=1"}) {
		t.Errorf("URIs %q", got)
	}
	for ip, want := range map[string]string{
		"192.0.2.10":  "10.2.0.192.in-addr.arpa",
		"2001:db8::1": "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	} {
		if got := reverseName(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s: %s", ip, got)
		}
	}
}
