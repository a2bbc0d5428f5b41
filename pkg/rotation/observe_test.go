package rotation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func edSigner(seed byte) crypto.Signer {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

func keyLine(sel string, pub crypto.PublicKey, ttl int) string {
	rec, err := dkimkey.NewRecord(pub)
	if err != nil {
		panic(err)
	}
	return dkimkey.ZoneLine(dkimkey.RecordName(sel, dom), rec.String(), ttl) + "\n"
}

const zoneHead = `$ORIGIN tenant.example.
@    600 IN SOA ns1.tenant.example. hostmaster.tenant.example. 2026112301 3600 600 1209600 300
@    300 IN NS  ns1.tenant.example.
@    300 IN NS  ns2.tenant.example.
`

func signed(t *testing.T, key crypto.Signer, sel string, at time.Time) []byte {
	t.Helper()
	msg := "From: a@tenant.example\r\nTo: b@example.com\r\nSubject: rotation test\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n\r\nhello\r\n"
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), dkim.SignOptions{Domain: dom, Selector: sel, Signer: key, Time: at}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestObserve(t *testing.T) {
	oldSigner, newSigner := edSigner(1), edSigner(2)
	ns1 := dnstest.NewServer(t, zoneHead+keyLine(cur, oldSigner.Public(), 3600)+keyLine(next, newSigner.Public(), 900)+
		"cname._domainkey 300 IN CNAME s1._domainkey.esp.example.\n")
	ns1.SetAuthoritative(true)
	ns2 := dnstest.NewServer(t, zoneHead+keyLine(cur, oldSigner.Public(), 3600)+`s2026-11._domainkey 300 IN TXT "v=DKIM1; p=not base64!"`+"\n")
	ns2.SetAuthoritative(true)
	r := dnstest.NewFake(zoneHead, `s1._domainkey.esp.example. 120 IN TXT "v=DKIM1; k=ed25519; p=`+ed25519B64(edKey(9))+`"`)
	opts := ObserveOptions{
		NS:  dns.NSOptions{Addrs: map[string][]string{"ns1.tenant.example": {ns1.Addr()}, "ns2.tenant.example": {ns2.Addr()}}},
		Now: t0, Client: &dns.AuthClient{Timeout: 2 * time.Second},
		Message: bytes.NewReader(signed(t, newSigner, next, t0.Add(-time.Hour))), MessageName: "test.eml",
	}
	obs, err := Observe(context.Background(), r, "Tenant.Example.", " S2026-05 ", next, opts)
	if err != nil {
		t.Fatal(err)
	}
	if obs.Domain != dom || obs.Zone != dom || obs.Selector != cur || len(obs.Servers) != 2 {
		t.Fatalf("observation %+v", obs)
	}
	s1, s2 := obs.Servers[0], obs.Servers[1]
	if s1.Status != "ok" || s1.Serial != 2026112301 || s1.NegativeTTL != 300 {
		t.Errorf("ns1 %+v", s1.Server)
	}
	if s1.Current.State != RecordKey || s1.Current.TTL != 3600 || s1.Current.Key != KeyID(oldSigner.Public()) || s1.Current.KeyType != "ed25519" {
		t.Errorf("ns1 current %+v", s1.Current)
	}
	if s1.Next.State != RecordKey || s1.Next.TTL != 900 || s1.Next.Key != KeyID(newSigner.Public()) {
		t.Errorf("ns1 next %+v", s1.Next)
	}
	if s2.Next.State != RecordBroken || s2.Next.Problem == "" || s2.Next.Value != "v=DKIM1; p=not base64!" {
		t.Errorf("ns2 next %+v", s2.Next)
	}
	// The message is verified against ns1, which serves the new key.
	if m := obs.Message; m == nil || len(m.Signatures) != 1 || m.Signatures[0].Result != dkim.Pass || m.Signatures[0].Selector != next ||
		m.Signatures[0].Signed == nil || !m.Signatures[0].Signed.Equal(t0.Add(-time.Hour)) {
		t.Errorf("message %+v", obs.Message)
	}
	if err := obs.CanGenerate(); err == nil || !strings.Contains(err.Error(), "already publishes a record on ns1.tenant.example") {
		t.Errorf("CanGenerate: %v", err)
	}
	res := Judge(obs, Options{Now: t0, NextKey: newSigner.Public()})
	if res.Status != finding.StatusFail || res.Stage != StagePropagate {
		t.Errorf("judged %s at %s", res.Status, res.Stage)
	}

	// A CNAME-delegated selector is followed out of the zone, through r.
	obs, err = Observe(context.Background(), r, dom, "cname", next, ObserveOptions{NS: opts.NS, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if c := obs.Servers[0].Current; c.State != RecordKey || len(c.CNAMEs) != 1 || c.Key != KeyID(edKey(9)) {
		t.Errorf("cname %+v", c)
	}
	if obs.Message != nil {
		t.Error("no message was given")
	}

	// Absent and revoked; nothing at NEXT: a key may be generated.
	ns3 := dnstest.NewServer(t, zoneHead+`s2026-05._domainkey 300 IN TXT "v=DKIM1; p="`+"\n")
	ns3.SetAuthoritative(true)
	obs, err = Observe(context.Background(), r, dom, cur, next, ObserveOptions{Servers: []string{ns3.Addr()}, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	if c, x := obs.Servers[0].Current, obs.Servers[0].Next; c.State != RecordRevoked || x.State != RecordAbsent {
		t.Errorf("current %+v next %+v", c, x)
	}
	if err := obs.CanGenerate(); err != nil {
		t.Errorf("CanGenerate: %v", err)
	}
}

func ed25519B64(pub crypto.PublicKey) string {
	rec, _ := dkimkey.NewRecord(pub)
	v := rec.String()
	return v[strings.Index(v, "p=")+2:]
}

func TestObserveFailures(t *testing.T) {
	r := dnstest.NewFake(zoneHead)
	ctx := context.Background()
	// A server that does not answer: unreachable, every record unknown.
	dead := dnstest.NewServer(t, zoneHead)
	dead.Inject("", 0, dnstest.Fault{Drop: true})
	obs, err := Observe(ctx, r, dom, cur, next, ObserveOptions{Servers: []string{dead.Addr()}, Client: &dns.AuthClient{Timeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if s := obs.Servers[0]; s.Status != "unreachable" || s.Current.State != RecordUnknown || s.Next.State != RecordUnknown {
		t.Errorf("server %+v", s)
	}
	if res := Judge(obs, Options{Now: t0}); res.Status != finding.StatusError {
		t.Errorf("status %s", res.Status)
	}
	// A record that gets SERVFAIL: unknown.
	sf := dnstest.NewServer(t, zoneHead+keyLine(cur, edKey(1), 300))
	sf.SetAuthoritative(true)
	sf.Inject("s2026-11._domainkey.tenant.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServFail})
	obs, err = Observe(ctx, r, dom, cur, next, ObserveOptions{Servers: []string{sf.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	if s := obs.Servers[0]; s.Status != "ok" || s.Current.State != RecordKey || s.Next.State != RecordUnknown || s.Next.Problem == "" {
		t.Errorf("server %+v", s)
	}
	// The zone cannot be found: SERVFAIL is temporary.
	bad := dnstest.NewFake()
	bad.ServFail(dom, dns.TypeSOA)
	obs, err = Observe(ctx, bad, dom, cur, next, ObserveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if obs.Error == "" || !obs.ErrorTemporary {
		t.Errorf("error %q temporary %v", obs.Error, obs.ErrorTemporary)
	}
	// Bad input.
	for _, tc := range []struct{ domain, sel, next, want string }{
		{"a..b", cur, next, "empty label"},
		{dom, "a b", next, "selector"},
		{dom, cur, "S2026-05.", "--next is the current selector"},
		{dom, cur, "x._domainkey", "_domainkey"},
	} {
		if _, err := Observe(ctx, r, tc.domain, tc.sel, tc.next, ObserveOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc, err, tc.want)
		}
	}
	if _, err := Observe(ctx, r, dom, cur, next, ObserveOptions{}); err != nil {
		t.Errorf("no NS: %v", err)
	}
	// A message that is not a message.
	ns := dnstest.NewServer(t, zoneHead)
	ns.SetAuthoritative(true)
	_, err = Observe(ctx, r, dom, cur, next, ObserveOptions{Servers: []string{ns.Addr()}, Message: strings.NewReader("no header separator"), MessageName: "junk.eml"})
	var me *MessageError
	if !errors.As(err, &me) || me.Name != "junk.eml" {
		t.Errorf("junk message: %v", err)
	}
}
