package check

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// syntheticZone returns zone text for n tenant domains d0.tenants.test ...
// of one platform, platform.test: each tenant has two MX hosts, SPF that
// includes the platform's chain (three records), two DKIM selectors, DMARC
// with reports to the platform, MTA-STS, TLS-RPT and BIMI records.
func syntheticZone(n int) string {
	const key = "jAJqAP7e65F4xGjB/rZZtjkoQVDxWksR5cJlUCh1xyA=" // a raw Ed25519 key (RFC 8463)
	var b strings.Builder
	b.WriteString(`$TTL 3600
platform.test. SOA ns.platform.test. h.platform.test. 1 7200 3600 1209600 300
platform.test. MX 10 mx.platform.test.
mx.platform.test. A 198.51.100.10
_spf.platform.test. TXT "v=spf1 include:_spf1.platform.test include:_spf2.platform.test -all"
_spf1.platform.test. TXT "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:100::/48 -all"
_spf2.platform.test. TXT "v=spf1 ip4:203.0.113.0/24 -all"
*._report._dmarc.platform.test. TXT "v=DMARC1"
tenants.test. SOA ns.tenants.test. h.tenants.test. 1 7200 3600 1209600 300
`)
	for i := 0; i < n; i++ {
		d := fmt.Sprintf("d%d.tenants.test.", i)
		fmt.Fprintf(&b, "%s MX 10 mx1.%s\n%s MX 20 mx2.%s\n", d, d, d, d)
		fmt.Fprintf(&b, "mx1.%s A 192.0.2.%d\nmx2.%s A 192.0.2.%d\n", d, i%250+1, d, (i+1)%250+1)
		fmt.Fprintf(&b, "%s TXT \"v=spf1 mx include:_spf.platform.test -all\"\n", d)
		fmt.Fprintf(&b, "s1._domainkey.%s TXT \"v=DKIM1; k=ed25519; p=%s\"\n", d, key)
		fmt.Fprintf(&b, "s2._domainkey.%s TXT \"v=DKIM1; k=ed25519; p=%s\"\n", d, key)
		fmt.Fprintf(&b, "_dmarc.%s TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@platform.test\"\n", d)
		fmt.Fprintf(&b, "_mta-sts.%s TXT \"v=STSv1; id=20261101\"\nmta-sts.%s A 192.0.2.80\n", d, d)
		fmt.Fprintf(&b, "_smtp._tls.%s TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@platform.test\"\n", d)
		fmt.Fprintf(&b, "default._bimi.%s TXT \"v=BIMI1; l=https://platform.test/logo.svg\"\n", d)
	}
	return b.String()
}

// countingResolver counts the questions that reach it and how many of them
// were distinct: with a perfect cache every question is distinct.
type countingResolver struct {
	next  dns.Resolver
	mu    sync.Mutex
	total int
	seen  map[string]bool
}

func (c *countingResolver) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	c.mu.Lock()
	c.total++
	c.seen[dns.CanonicalName(name)+" "+dns.TypeString(qtype)] = true
	c.mu.Unlock()
	return c.next.Query(ctx, name, qtype)
}

// benchmarkBulk checks n synthetic domains per iteration through the given
// resolver stack and reports domains/s, questions per domain reaching the
// bottom resolver against the distinct questions (the minimum), and the peak
// heap.
func benchmarkBulk(b *testing.B, n int, bottom func(zone string) dns.Resolver, cached func(dns.Resolver) dns.Resolver) {
	zone := syntheticZone(n)
	domains := make([]string, n)
	for i := range domains {
		domains[i] = fmt.Sprintf("d%d.tenants.test", i)
	}
	base := bottom(zone)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var peak, live uint64
	for it := 0; it < b.N; it++ {
		stop := sampleHeap(&peak)
		counter := &countingResolver{next: base, seen: map[string]bool{}}
		r := cached(counter)
		// Offline: DNS only, never an HTTPS or SMTP connection.
		c, err := New(r, Options{Selectors: []string{"s1", "s2"}, Concurrency: 64, Offline: true})
		if err != nil {
			b.Fatal(err)
		}
		var fails int
		c.Run(context.Background(), domains, func(i int, d *DomainResult) {
			if d.Status == StatusFail || d.Status == StatusError {
				fails++
				if fails == 1 {
					b.Logf("%s: %s %+v", d.Domain, d.Status, summarize(d))
				}
			}
		})
		stop()
		if it == b.N-1 {
			// What the run retains: the cache of every answer.
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			live = ms.HeapAlloc
			runtime.KeepAlive(r)
			b.StartTimer()
			b.ReportMetric(float64(counter.total)/float64(n), "queries/domain")
			b.ReportMetric(float64(len(counter.seen))/float64(n), "distinct/domain")
			b.ReportMetric(float64(fails), "failed-domains")
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "domains/s")
	b.ReportMetric(float64(peak-min(peak, before.HeapInuse))/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(live-min(live, before.HeapAlloc))/(1<<20), "retained-MiB")
}

// sampleHeap records the peak heap in use every 10ms until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > *peak {
				*peak = ms.HeapInuse
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func summarize(d *DomainResult) []string {
	var out []string
	for _, c := range d.Checks {
		if c.Status == StatusFail || c.Status == StatusError {
			out = append(out, c.Check+":"+string(c.Status)+":"+codesOf(c)+c.Error)
		}
	}
	return out
}

func codesOf(c *CheckResult) string {
	var s []string
	for _, f := range c.Findings {
		s = append(s, f.Code)
	}
	return strings.Join(s, ",")
}

// mustZone parses zone text into an authoritative zone (wildcards, empty
// non-terminals). The synthetic zone of 10,000 domains has more records
// than a zone file named by a user may (dns.DefaultZoneMaxRecords).
func mustZone(b *testing.B, text string) *dns.Zone {
	z, err := dns.ZoneOptions{MaxRecords: 1 << 22}.Parse(strings.NewReader(text), "synthetic.zone", ".")
	if err != nil {
		b.Fatal(err)
	}
	return z
}

// BenchmarkCheckBulkMemory checks 10,000 domains against an in-memory zone
// behind the run cache: the cost of emailauth itself, without the network.
func BenchmarkCheckBulkMemory(b *testing.B) {
	benchmarkBulk(b, bulkN(),
		func(zone string) dns.Resolver { return mustZone(b, zone) },
		func(r dns.Resolver) dns.Resolver { return dns.NewCache(r) })
}

// BenchmarkCheckBulkServer checks 10,000 domains against the in-process DNS
// server on 127.0.0.1 through the real client and the run cache: what a bulk
// run costs end to end. The server is the expected bottleneck.
func BenchmarkCheckBulkServer(b *testing.B) {
	benchmarkBulk(b, bulkN(),
		func(zone string) dns.Resolver {
			srv := dnstest.NewServerFor(b, mustZone(b, zone))
			c, err := dns.NewClient(dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 2 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			return c
		},
		func(r dns.Resolver) dns.Resolver { return dns.NewCache(r) })
}

// bulkN is the number of domains of the bulk benchmarks: 10,000, or BULK_N.
func bulkN() int {
	if n, err := strconv.Atoi(os.Getenv("BULK_N")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// BenchmarkDeadDomains is the dead-domain run of the hardening issue: 1,000
// domains of which one in ten never answers, over the in-process DNS server
// through the real client with its default timeouts (2 s, 2 retries), 64 at
// a time. It reports the wall time of a run and the queries a dead domain
// costs. (bench/deadline.sh runs it.)
func BenchmarkDeadDomains(b *testing.B) {
	const n = 1000
	var zone strings.Builder
	zone.WriteString("$TTL 300\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&zone, "t%d.test. MX 10 mx.t%d.test.\nmx.t%d.test. A 192.0.2.1\nt%d.test. TXT \"v=spf1 mx -all\"\n_dmarc.t%d.test. TXT \"v=DMARC1; p=reject\"\n", i, i, i, i, i)
	}
	srv := dnstest.NewServer(b, zone.String())
	domains := make([]string, n)
	for i := range domains {
		domains[i] = fmt.Sprintf("t%d.test", i)
		if i%10 == 3 {
			srv.Inject(domains[i], 0, dnstest.Fault{Drop: true})
			srv.Inject("_dmarc."+domains[i], 0, dnstest.Fault{Drop: true})
		}
	}
	for b.Loop() {
		c, err := dns.NewClient(dns.ClientConfig{Servers: []string{srv.Addr()}, MaxInFlight: 256})
		if err != nil {
			b.Fatal(err)
		}
		chk, _ := New(dns.NewCache(c), Options{Offline: true, Concurrency: 64, Deadline: 30 * time.Second})
		udp0, _ := srv.Queries()
		start := time.Now()
		chk.Run(context.Background(), domains, func(int, *DomainResult) {})
		udp1, _ := srv.Queries()
		b.ReportMetric(time.Since(start).Seconds(), "s/run")
		b.ReportMetric(float64(udp1-udp0)/n, "queries/domain")
	}
}
