package dns_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// Resolver throughput against the in-process server (bench/dns.sh runs
// these). The server runs in the same process, so for the benchmarks that
// reach it, allocs/op and B/op include the server's share (decoding the
// query, building and packing the reply); the cache hit benchmarks do not
// reach it. "qps" is questions answered per second of wall time.

// benchServer answers every question with one SPF-sized TXT record, so the
// server does as little as it can.
func benchServer(b *testing.B) *dnstest.Server {
	txt := "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.net -all"
	return dnstest.NewServerFor(b, dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		rr := &mdns.TXT{Hdr: mdns.RR_Header{Name: name + ".", Rrtype: mdns.TypeTXT, Class: mdns.ClassINET, Ttl: 300}, Txt: []string{txt}}
		return &dns.Answer{Name: name, Type: qtype, Records: []dns.Record{{Name: name, Type: mdns.TypeTXT, RR: rr}}}, nil
	}))
}

func benchClient(b *testing.B, srv *dnstest.Server, tcp bool) *dns.Client {
	c, err := dns.NewClient(dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 5 * time.Second, TCP: tcp, MaxInFlight: 256})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchQPS(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
}

func benchCheck(b *testing.B, a *dns.Answer, err error) {
	if err != nil {
		b.Fatal(err)
	}
	if len(a.Records) != 1 {
		b.Fatalf("answer %+v", a)
	}
}

// BenchmarkClient: every question goes to the server.
func BenchmarkClient(b *testing.B) {
	for _, tcp := range []bool{false, true} {
		transport := "udp"
		if tcp {
			transport = "tcp"
		}
		b.Run(transport, func(b *testing.B) {
			c := benchClient(b, benchServer(b), tcp)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a, err := c.Query(ctx, "example.test", dns.TypeTXT)
				benchCheck(b, a, err)
			}
			benchQPS(b)
		})
		b.Run(transport+"-parallel", func(b *testing.B) {
			c := benchClient(b, benchServer(b), tcp)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(8) // network-bound: more goroutines than cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					a, err := c.Query(ctx, "example.test", dns.TypeTXT)
					benchCheck(b, a, err)
				}
			})
			benchQPS(b)
		})
	}
}

// benchNames are the names of a warm cache: a run over a few hundred
// domains asks each a handful of questions.
var benchNames = func() []string {
	n := make([]string, 256)
	for i := range n {
		n[i] = "d" + strconv.Itoa(i) + ".example.test"
	}
	return n
}()

// BenchmarkCache: the cache over a Client.
//   - hits: 256 names asked over and over; after the first 256 questions
//     every one is a hit.
//   - distinct: every question is new, so every one is a miss reaching the
//     server: the cache's overhead over BenchmarkClient.
func BenchmarkCache(b *testing.B) {
	b.Run("hits", func(b *testing.B) {
		cache := dns.NewCache(benchClient(b, benchServer(b), false))
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a, err := cache.Query(ctx, benchNames[i%len(benchNames)], dns.TypeTXT)
			benchCheck(b, a, err)
		}
		benchQPS(b)
		benchHitRate(b, cache)
	})
	b.Run("hits-parallel", func(b *testing.B) {
		cache := dns.NewCache(benchClient(b, benchServer(b), false))
		ctx := context.Background()
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1)
				a, err := cache.Query(ctx, benchNames[i%int64(len(benchNames))], dns.TypeTXT)
				benchCheck(b, a, err)
			}
		})
		benchQPS(b)
		benchHitRate(b, cache)
	})
	b.Run("distinct", func(b *testing.B) {
		cache := dns.NewCache(benchClient(b, benchServer(b), false))
		ctx := context.Background()
		names := benchDistinct(b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a, err := cache.Query(ctx, names[i], dns.TypeTXT)
			benchCheck(b, a, err)
		}
		benchQPS(b)
	})
	b.Run("distinct-parallel", func(b *testing.B) {
		cache := dns.NewCache(benchClient(b, benchServer(b), false))
		ctx := context.Background()
		names := benchDistinct(b.N)
		var next atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				a, err := cache.Query(ctx, names[next.Add(1)-1], dns.TypeTXT)
				benchCheck(b, a, err)
			}
		})
		benchQPS(b)
	})
	b.Run("hits-with-deadline", func(b *testing.B) {
		// Callers with a cancellable context (the CLI's --timeout) take
		// the same path on a hit.
		cache := dns.NewCache(benchClient(b, benchServer(b), false))
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a, err := cache.Query(ctx, benchNames[i%len(benchNames)], dns.TypeTXT)
			benchCheck(b, a, err)
		}
		benchQPS(b)
	})
}

func benchDistinct(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("n%d.distinct.example.test", i)
	}
	return names
}

func benchHitRate(b *testing.B, c *dns.Cache) {
	s := c.Stats()
	if s.Questions > 0 {
		b.ReportMetric(100*float64(s.CacheHits)/float64(s.Questions), "%hits")
	}
}

// BenchmarkCacheMemory fills an unbounded cache with answers from the real
// client (miekg/dns records inside) and reports the heap each kept answer
// takes beside the cache's own estimate, which its bound counts in.
func BenchmarkCacheMemory(b *testing.B) {
	c := benchClient(b, benchServer(b), false)
	names := benchDistinct(5000)
	for i := 0; i < b.N; i++ {
		cache := dns.NewCacheWith(c, dns.CacheOptions{MaxBytes: -1})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, n := range names {
			a, err := cache.Query(context.Background(), n, dns.TypeTXT)
			benchCheck(b, a, err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		bounded := dns.NewCacheWith(c, dns.CacheOptions{MaxBytes: 1 << 40})
		for _, n := range names[:100] {
			_, _ = bounded.Query(context.Background(), n, dns.TypeTXT)
		}
		_, est := bounded.Len()
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(names)), "heap-B/answer")
		b.ReportMetric(float64(est)/100, "estimate-B/answer")
		runtime.KeepAlive(cache)
	}
}
