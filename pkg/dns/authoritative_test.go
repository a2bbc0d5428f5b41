package dns_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const authZone = `
$ORIGIN tenant.test.
@            300 IN SOA   ns1.tenant.test. hostmaster.tenant.test. 2026112301 3600 600 86400 300
@            300 IN NS    ns1.tenant.test.
@            300 IN NS    ns2.tenant.test.
@            300 IN NS    ns3.elsewhere.test.
@            300 IN TXT   "v=spf1 include:_spf.platform.test -all"
ns1          300 IN A     192.0.2.1
ns2          300 IN A     192.0.2.2
ns2          300 IN AAAA  2001:db8::2
mailu._domainkey 300 IN CNAME mailu.dkim.platform.test.
`

func TestFindZone(t *testing.T) {
	f := dnstest.NewFake(authZone)
	ctx := context.Background()
	for _, name := range []string{"tenant.test", "_dmarc.tenant.test", "a.b.c.tenant.test.", "TENANT.test"} {
		z, err := dns.FindZone(ctx, f, name)
		if err != nil || z != "tenant.test" {
			t.Errorf("FindZone(%s) = %q, %v", name, z, err)
		}
	}
	if _, err := dns.FindZone(ctx, f, "nothing.invalid"); err == nil || !strings.Contains(err.Error(), "no zone found for nothing.invalid") {
		t.Errorf("FindZone outside every zone: %v", err)
	}
	f.ServFail("tenant.test", dns.TypeSOA)
	if _, err := dns.FindZone(ctx, f, "x.tenant.test"); !dns.IsTemporary(err) {
		t.Errorf("FindZone with SERVFAIL: %v, want a temporary error", err)
	}
	if _, err := dns.FindZone(ctx, f, "a..b"); err == nil {
		t.Error("FindZone of a malformed name succeeded")
	}
}

func TestLookupNameServers(t *testing.T) {
	f := dnstest.NewFake(authZone)
	ctx := context.Background()
	ns, err := dns.LookupNameServers(ctx, f, "tenant.test", dns.NSOptions{Port: "5353", Addrs: map[string][]string{"ns1.tenant.test": {"127.0.0.1:4001"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, s := range ns {
		got = append(got, s.Name+"="+strings.Join(s.Addrs, ",")+"|"+s.Error)
	}
	want := []string{
		"ns1.tenant.test=127.0.0.1:4001|",
		"ns2.tenant.test=192.0.2.2:5353,[2001:db8::2]:5353|",
		"ns3.elsewhere.test=|ns3.elsewhere.test has no A or AAAA record",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("name servers:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ns[0].String() != "ns1.tenant.test" || (dns.NameServer{Addrs: []string{"192.0.2.9:53"}}).String() != "192.0.2.9:53" {
		t.Error("NameServer.String")
	}
	if _, err := dns.LookupNameServers(ctx, f, "ns1.tenant.test", dns.NSOptions{}); err == nil || !strings.Contains(err.Error(), "no NS records") {
		t.Errorf("a name without NS records: %v", err)
	}
	if _, err := dns.LookupNameServers(ctx, f, "gone.invalid", dns.NSOptions{}); err == nil || !strings.Contains(err.Error(), "NXDOMAIN") {
		t.Errorf("a name that does not exist: %v", err)
	}
}

func TestAuthClientAsk(t *testing.T) {
	auth := dnstest.NewServer(t, authZone)
	auth.SetAuthoritative(true)
	recursive := dnstest.NewServer(t, authZone)
	c := &dns.AuthClient{Timeout: 5 * time.Second}
	ctx := context.Background()

	a, err := c.Ask(ctx, auth.Addr(), "tenant.test", dns.TypeTXT)
	if err != nil || !a.Authoritative || len(a.TXT()) != 1 || a.Source != "udp://"+auth.Addr() {
		t.Fatalf("Ask = %+v, %v", a, err)
	}
	a, err = c.Ask(ctx, auth.Addr(), "tenant.test", dns.TypeSOA)
	if err != nil || a.Serial != 2026112301 {
		t.Errorf("SOA serial: %+v, %v", a, err)
	}
	a, err = c.Ask(ctx, auth.Addr(), "_dmarc.tenant.test", dns.TypeTXT)
	if err != nil || !a.NXDomain() {
		t.Errorf("NXDOMAIN is an answer: %+v, %v", a, err)
	}

	// A server that answers without AA is lame for the zone.
	a, err = c.Ask(ctx, recursive.Addr(), "tenant.test", dns.TypeTXT)
	if !errors.Is(err, dns.ErrNotAuthoritative) || a == nil || a.Authoritative {
		t.Errorf("non-authoritative answer: %+v, %v", a, err)
	}
	// REFUSED is an error with its RCODE.
	auth.Inject("refused.tenant.test", 0, dnstest.Fault{Rcode: dns.RcodeRefused})
	_, err = c.Ask(ctx, auth.Addr(), "refused.tenant.test", dns.TypeTXT)
	var de *dns.Error
	if !errors.As(err, &de) || de.RCode != dns.RcodeRefused {
		t.Errorf("REFUSED: %v", err)
	}
	// A truncated UDP answer is asked again over TCP.
	auth.Inject("tenant.test", dns.TypeTXT, dnstest.Fault{Truncate: true, Times: 1})
	a, err = c.Ask(ctx, auth.Addr(), "tenant.test", dns.TypeTXT)
	if err != nil || len(a.TXT()) != 1 || !strings.HasPrefix(a.Source, "tcp://") {
		t.Errorf("truncated: %+v, %v", a, err)
	}
	// No reply: a timeout, retried.
	auth.Inject("slow.tenant.test", 0, dnstest.Fault{Drop: true})
	quick := &dns.AuthClient{Timeout: 50 * time.Millisecond, Retries: 1}
	_, err = quick.Ask(ctx, auth.Addr(), "slow.tenant.test", dns.TypeTXT)
	if !dns.IsTimeout(err) || !dns.IsTemporary(err) {
		t.Errorf("dropped: %v", err)
	}
	if udp, _ := auth.Queries(); udp < 2 {
		t.Errorf("the server saw %d UDP queries", udp)
	}
	if _, err := c.Ask(ctx, auth.Addr(), "a..b", dns.TypeTXT); err == nil {
		t.Error("a malformed name was asked")
	}
}

func TestServerResolver(t *testing.T) {
	auth := dnstest.NewServer(t, authZone)
	auth.SetAuthoritative(true)
	auth.Strict(true)
	platform := dnstest.NewFake(`
_spf.platform.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
mailu.dkim.platform.test. 300 IN TXT "v=DKIM1; p=MIIB"
`)
	var traced []string
	c := &dns.AuthClient{Timeout: 5 * time.Second, Trace: func(l string) { traced = append(traced, l) }}
	r := c.ServerResolver(auth.Addr(), "tenant.test", platform)
	ctx := context.Background()

	a, err := r.Query(ctx, "tenant.test", dns.TypeTXT)
	if err != nil || !strings.Contains(strings.Join(a.TXT(), ""), "include:_spf.platform.test") {
		t.Fatalf("in-zone: %+v, %v", a, err)
	}
	a, err = r.Query(ctx, "_spf.platform.test", dns.TypeTXT)
	if err != nil || a.Source != "fake" {
		t.Errorf("outside the zone goes to next: %+v, %v", a, err)
	}
	a, err = r.Query(ctx, "mailu._domainkey.tenant.test", dns.TypeTXT)
	if err != nil || strings.Join(a.CNAMEs, ",") != "mailu.dkim.platform.test" || len(a.TXT()) != 1 {
		t.Errorf("a CNAME leaving the zone is followed through next: %+v, %v", a, err)
	}
	if len(traced) == 0 || !strings.Contains(traced[0], "no recursion") {
		t.Errorf("trace: %v", traced)
	}
	if !dns.InZone("A.Tenant.test.", "tenant.test") || dns.InZone("xtenant.test", "tenant.test") {
		t.Error("InZone")
	}
	alone := c.ServerResolver(auth.Addr(), "tenant.test", nil)
	if _, err := alone.Query(ctx, "other.test", dns.TypeTXT); err == nil {
		t.Error("a name outside the zone without next succeeded")
	}
}

func TestProbe(t *testing.T) {
	auth := dnstest.NewServer(t, authZone)
	auth.SetAuthoritative(true)
	dead := clientDeadAddr(t)
	c := &dns.AuthClient{Timeout: 200 * time.Millisecond}
	ctx := context.Background()
	addr, serial, err := c.Probe(ctx, dns.NameServer{Name: "ns1.tenant.test", Addrs: []string{dead, auth.Addr()}}, "tenant.test")
	if err != nil || addr != auth.Addr() || serial != 2026112301 {
		t.Errorf("Probe = %q, %d, %v", addr, serial, err)
	}
	// A server that is not authoritative for the zone (NXDOMAIN for its
	// apex, or no AA) is lame.
	if _, _, err := c.Probe(ctx, dns.NameServer{Addrs: []string{auth.Addr()}}, "other.test"); err == nil {
		t.Error("a server without the zone was not reported")
	}
	_, _, err = c.Probe(ctx, dns.NameServer{Name: "ns3.elsewhere.test", Error: "ns3.elsewhere.test has no A or AAAA record"}, "tenant.test")
	if err == nil || !strings.Contains(err.Error(), "no A or AAAA") {
		t.Errorf("no address: %v", err)
	}
}
