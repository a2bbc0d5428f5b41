package spf

import (
	"context"
	"net/netip"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// benchZone: example.com includes a, which includes b, which includes c: three
// nested includes, each with a few networks, against the in-memory resolver.
func benchZone() *dnstest.Fake {
	return dnstest.NewFake(`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/28 include:a.example.net -all"
a.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.0/26 ip6:2001:db8:a::/48 include:b.example.net ~all"
b.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.64/26 ip6:2001:db8:b::/48 include:c.example.net ~all"
c.example.net. 300 IN TXT "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:c::/48 -all"`)
}

func BenchmarkCheckHostNestedIncludes(b *testing.B) {
	r := benchZone()
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		ip   string
		want Code
	}{
		{"pass-deepest", "203.0.113.77", Pass},
		{"fail-all-walked", "192.0.2.200", Fail},
	} {
		ip := netip.MustParseAddr(bc.ip)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := CheckHost(ctx, r, ip, "example.com", "a@example.com", "h.example.com", Options{})
				if res.Result != bc.want || res.Lookups != 3 {
					b.Fatalf("got %s with %d lookups", res.Result, res.Lookups)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
		})
	}
}

func BenchmarkParse(b *testing.B) {
	rec := "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip6:2001:db8::/32 a mx:mail.example.com/28 include:_spf.google.com include:spf.protection.outlook.com exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.com exp=explain._spf.%{d}"
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := Parse(rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAnalyze(b *testing.B) {
	r := benchZone()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		a, err := Analyze(ctx, r, "example.com", AnalyzeOptions{})
		if err != nil || a.Lookups != 3 {
			b.Fatal(err)
		}
	}
}

// preparedResolver answers from answers prepared once, without copying:
// what an evaluation allocates itself shows alone.
func preparedResolver(tb testing.TB) dns.Resolver {
	f := benchZone()
	answers := map[string]*dns.Answer{}
	for _, n := range []string{"example.com", "a.example.net", "b.example.net", "c.example.net"} {
		a, err := f.Query(context.Background(), n, dns.TypeTXT)
		if err != nil {
			tb.Fatal(err)
		}
		answers[n] = a
	}
	return dns.ResolverFunc(func(_ context.Context, name string, _ uint16) (*dns.Answer, error) {
		if a, ok := answers[name]; ok {
			return a, nil
		}
		return &dns.Answer{Name: name, RCode: dns.RcodeNXDomain, Records: []dns.Record{}}, nil
	})
}

// BenchmarkCheckHostPrepared: the nested includes against prepared answers,
// without and with the trace.
func BenchmarkCheckHostPrepared(b *testing.B) {
	r := preparedResolver(b)
	ctx := context.Background()
	ip := netip.MustParseAddr("203.0.113.77")
	for _, trace := range []bool{false, true} {
		name := "plain"
		if trace {
			name = "trace"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := CheckHost(ctx, r, ip, "example.com", "a@example.com", "h.example.com", Options{Trace: trace})
				if res.Result != Pass {
					b.Fatal(res.Result)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
		})
	}
}

// TestCheckHostAllocations pins what a plain evaluation (no trace) of three
// nested includes allocates itself: the evaluator and the Result, whatever
// the number of records walked. A regression here is a trace or a parse
// creeping back into the plain path.
func TestCheckHostAllocations(t *testing.T) {
	r := preparedResolver(t)
	ctx := context.Background()
	ip := netip.MustParseAddr("203.0.113.77")
	CheckHost(ctx, r, ip, "example.com", "a@example.com", "h.example.com", Options{}) // parse and cache the records
	n := testing.AllocsPerRun(100, func() {
		CheckHost(ctx, r, ip, "example.com", "a@example.com", "h.example.com", Options{})
	})
	if n > 3 {
		t.Errorf("a plain evaluation allocates %v times, want at most 3", n)
	}
}
