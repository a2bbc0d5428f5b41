package dns_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func chainZone(t *testing.T) *dns.Zone {
	t.Helper()
	z, err := dns.LoadZoneFiles("testdata/zones/example.com.zone", "testdata/zones/no-apex.zone")
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func chainNext() *dnstest.Fake {
	f := dnstest.NewFake(
		`example.net. 300 IN TXT "v=spf1 -all"`,
		`target.example.net. 300 IN CNAME final.example.org.`,
		`final.example.org. 120 IN TXT "from the network"`,
		`nodata.example.net. 300 IN A 192.0.2.9`,
		// The zone must shadow these: they must never be asked.
		`example.com. 300 IN TXT "network copy of a zone name"`,
		`x.sub.example.com. 300 IN TXT "delegated"`,
	)
	f.ServFail("broken.example.net", 0)
	return f
}

func TestChainRouting(t *testing.T) {
	tests := []struct {
		name   string
		qtype  uint16
		rcode  int
		txt    []string
		cnames []string
		source string
		asked  []string // what reached the next resolver
	}{
		{name: "example.com", qtype: dns.TypeTXT, txt: []string{"v=spf1 include:_spf.example.net -all"}, source: "zone:testdata/zones/example.com.zone"},
		// NXDOMAIN and NODATA in the zone are final.
		{name: "nope.example.com", qtype: dns.TypeTXT, rcode: dns.RcodeNXDomain, source: "zone:testdata/zones/example.com.zone"},
		{name: "b.example.com", qtype: dns.TypeTXT},
		{name: "Example.COM.", qtype: dns.TypeAAAA},
		// A file without apex decides exactly its names.
		{name: "_dmarc.example.net", qtype: dns.TypeTXT, txt: []string{"v=DMARC1; p=none"}, source: "zone:testdata/zones/no-apex.zone"},
		// Everything else goes to the network.
		{name: "example.net", qtype: dns.TypeTXT, txt: []string{"v=spf1 -all"}, source: "fake", asked: []string{"example.net TXT"}},
		{name: "missing.example.net", qtype: dns.TypeTXT, rcode: dns.RcodeNXDomain, source: "fake", asked: []string{"missing.example.net TXT"}},
		{name: "nodata.example.net", qtype: dns.TypeTXT, source: "fake", asked: []string{"nodata.example.net TXT"}},
		// Below a delegation (NS record) that is not loaded.
		{name: "x.sub.example.com", qtype: dns.TypeTXT, txt: []string{"delegated"}, source: "fake", asked: []string{"x.sub.example.com TXT"}},
		// A CNAME out of the zone is followed through the network, the
		// chains merged.
		{name: "out.example.com", qtype: dns.TypeTXT, txt: []string{"from the network"},
			cnames: []string{"target.example.net", "final.example.org"}, source: "fake", asked: []string{"target.example.net TXT"}},
		{name: "out.example.com", qtype: dns.TypeCNAME, txt: nil, source: "zone:testdata/zones/example.com.zone"},
		// A CNAME within the zone stays in it.
		{name: "www.example.com", qtype: dns.TypeTXT, cnames: []string{"web.example.com", "host.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.TypeString(tt.qtype), func(t *testing.T) {
			next := chainNext()
			r := dns.NewChain(chainZone(t), next)
			a, err := r.Query(context.Background(), tt.name, tt.qtype)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if a.RCode != tt.rcode {
				t.Errorf("rcode %s, want %s", dns.RcodeString(a.RCode), dns.RcodeString(tt.rcode))
			}
			if !reflect.DeepEqual(a.TXT(), tt.txt) {
				t.Errorf("TXT() = %q, want %q", a.TXT(), tt.txt)
			}
			if !reflect.DeepEqual(a.CNAMEs, tt.cnames) {
				t.Errorf("CNAMEs = %q, want %q", a.CNAMEs, tt.cnames)
			}
			if tt.source != "" && a.Source != tt.source {
				t.Errorf("source %q, want %q", a.Source, tt.source)
			}
			if got := next.Asked(); !reflect.DeepEqual(got, tt.asked) {
				t.Errorf("asked the network %q, want %q", got, tt.asked)
			}
			if a.Name != dns.CanonicalName(tt.name) {
				t.Errorf("answer name %q", a.Name)
			}
		})
	}
}

func TestChainOffline(t *testing.T) {
	r := dns.NewChain(chainZone(t), nil)
	for name, rc := range map[string]int{"example.org": dns.RcodeNXDomain, "example.net": dns.RcodeSuccess, "example.com": dns.RcodeSuccess, "out.example.com": dns.RcodeNXDomain} {
		a, err := r.Query(context.Background(), name, dns.TypeTXT)
		if err != nil {
			t.Fatal(err)
		}
		if a.RCode != rc {
			t.Errorf("%s: %s, want %s", name, dns.RcodeString(a.RCode), dns.RcodeString(rc))
		}
	}
	// A nil zone offline: nothing exists.
	a, err := dns.NewChain(nil, nil).Query(context.Background(), "example.com", dns.TypeTXT)
	if err != nil || !a.NXDomain() {
		t.Errorf("nil zone: %v %+v", err, a)
	}
}

func TestChainErrors(t *testing.T) {
	z, err := dns.ParseZone(strings.NewReader(`$ORIGIN example.com.
bad 300 IN CNAME broken.example.net.
`), "t.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	next := chainNext()
	r := dns.NewChain(z, next)
	// A failure of the continuation is the answer's failure.
	if _, err := r.Query(context.Background(), "bad.example.com", dns.TypeTXT); !dns.IsTemporary(err) {
		t.Errorf("err = %v, want the SERVFAIL of the target", err)
	}
	if _, err := r.Query(context.Background(), "broken.example.net", dns.TypeTXT); !dns.IsTemporary(err) {
		t.Errorf("err = %v, want SERVFAIL from next", err)
	}
	// Bad names never reach the network.
	var ne *dns.NameError
	if _, err := r.Query(context.Background(), "a..example.net", dns.TypeTXT); !errors.As(err, &ne) {
		t.Errorf("err = %v, want a *dns.NameError", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Query(ctx, "x.example.com", dns.TypeTXT); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if got := next.Asked(); !reflect.DeepEqual(got, []string{"broken.example.net TXT", "broken.example.net TXT"}) {
		t.Errorf("asked %q", got)
	}
}

// chainCounting is a next resolver that counts what it sends.
type chainCounting struct{ *dnstest.Fake }

func (c chainCounting) Stats() dns.Stats { return dns.Stats{Sent: int64(len(c.Asked()))} }

func TestChainStats(t *testing.T) {
	next := chainCounting{chainNext()}
	r := dns.NewChain(chainZone(t), next)
	for _, n := range []string{"example.com", "www.example.com", "example.net", "out.example.com"} {
		if _, err := r.Query(context.Background(), n, dns.TypeTXT); err != nil {
			t.Fatal(err)
		}
	}
	sr, ok := r.(dns.StatsReporter)
	if !ok {
		t.Fatalf("%T is not a StatsReporter", r)
	}
	if got, want := sr.Stats(), (dns.Stats{ZoneAnswers: 3, Sent: 2}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
	if _, ok := r.(*dns.Chain); !ok {
		t.Errorf("NewChain returned %T, want *dns.Chain", r)
	}
}

func ExampleParseZone() {
	z, err := dns.ParseZone(strings.NewReader(`
$ORIGIN example.com.
$TTL 300
@       IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@       IN TXT "v=spf1 " "include:_spf.example.net -all"
_dmarc  IN TXT "v=DMARC1; p=reject"
`), "example.com.zone", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	a, _ := z.Query(ctx, "example.com", dns.TypeTXT)
	fmt.Println(a.TXT(), a.Source)
	a, _ = z.Query(ctx, "www.example.com", dns.TypeA)
	fmt.Println(dns.RcodeString(a.RCode))
	fmt.Println(z.Authoritative("x.y.example.com"), z.Authoritative("example.org"))
	// Output:
	// [v=spf1 include:_spf.example.net -all] zone:example.com.zone
	// NXDOMAIN
	// true false
}

func ExampleNewChain() {
	z, err := dns.ParseZone(strings.NewReader(`
$ORIGIN example.com.
@       300 IN SOA ns1 hostmaster 1 7200 3600 1209600 300
mail    300 IN CNAME mx.provider.example.
`), "example.com.zone", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The network, here a fake one.
	network := dnstest.NewFake(`mx.provider.example. 60 IN A 192.0.2.25`)
	r := dns.NewChain(z, network)
	a, _ := r.Query(context.Background(), "mail.example.com", dns.TypeA)
	fmt.Println(a.CNAMEs, a.IPs(), a.Source)
	fmt.Println(network.Asked())
	// Output:
	// [mx.provider.example] [192.0.2.25] fake
	// [mx.provider.example A]
}

func TestChainContinuationTakesADAndRCode(t *testing.T) {
	z, err := dns.ParseZone(strings.NewReader(`
$ORIGIN a.example.
@ 300 IN SOA ns hm 1 2 3 4 5
start 300 IN CNAME mid.b.example.
`), "a.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	zb, err := dns.ParseZone(strings.NewReader(`
$ORIGIN b.example.
mid 300 IN CNAME far.example.net.
`), "b.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	z.Merge(zb)
	var asked []string
	next := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		asked = append(asked, name)
		return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain, Authenticated: true,
			CNAMEs: []string{"farther.example.net"}, Records: []dns.Record{}, Source: "udp://192.0.2.53:53"}, nil
	})
	a, err := dns.NewChain(z, next).Query(context.Background(), "START.a.example", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	want := &dns.Answer{Name: "start.a.example", Type: dns.TypeTXT, RCode: dns.RcodeNXDomain, Authenticated: true,
		CNAMEs:  []string{"mid.b.example", "far.example.net", "farther.example.net"},
		Records: []dns.Record{}, Source: "udp://192.0.2.53:53"}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("answer\n\t%+v\nwant\n\t%+v", a, want)
	}
	if !reflect.DeepEqual(asked, []string{"far.example.net"}) {
		t.Errorf("asked %q", asked)
	}
}

func BenchmarkChainQuery(b *testing.B) {
	var text strings.Builder
	text.WriteString("$ORIGIN example.com.\n@ 300 IN SOA ns hm 1 2 3 4 5\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&text, "h%d 300 IN TXT \"v=spf1 -all\"\n", i)
	}
	z, err := dns.ParseZone(strings.NewReader(text.String()), "bench.zone", "")
	if err != nil {
		b.Fatal(err)
	}
	next := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		return &dns.Answer{Name: name, Type: qtype, Records: []dns.Record{}, Source: "next"}, nil
	})
	r := dns.NewChain(z, next)
	ctx := context.Background()
	for _, bc := range []struct{ name, q string }{{"zone", "h4242.example.com"}, {"next", "h4242.example.net"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Query(ctx, bc.q, dns.TypeTXT); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
