package dns_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// countingNext answers every TXT question with one SPF-sized record and
// counts the questions per name.
type countingNext struct {
	mu    sync.Mutex
	asked map[string]int
	total atomic.Int64
}

func (n *countingNext) Query(_ context.Context, name string, qtype uint16) (*dns.Answer, error) {
	n.total.Add(1)
	n.mu.Lock()
	n.asked[name]++
	n.mu.Unlock()
	txt := "v=spf1 ip4:192.0.2.0/24 include:_spf.platform.test -all"
	return &dns.Answer{Name: name, Type: qtype, Records: []dns.Record{{Name: name, Type: dns.TypeTXT, Strings: []string{txt}, Data: `"` + txt + `"`}}}, nil
}

func (n *countingNext) count(name string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.asked[name]
}

// TestCacheBoundedKeepsSharedHot: a stream of one-time names many times
// larger than the bound passes through the cache, while a few shared names
// (a platform's include chain) are asked for between them. The cache stays
// within its bound, the one-time names are evicted, and the shared names
// are asked of the next resolver once.
func TestCacheBoundedKeepsSharedHot(t *testing.T) {
	next := &countingNext{asked: map[string]int{}}
	const bound = 64 << 10 // a few hundred answers
	cache := dns.NewCacheWith(next, dns.CacheOptions{MaxBytes: bound})
	ctx := context.Background()
	shared := []string{"_spf.platform.test", "_spf1.platform.test", "_spf2.platform.test"}
	const domains = 20000
	for i := range domains {
		for _, q := range []string{"d%d.tenants.test", "s1._domainkey.d%d.tenants.test", "_dmarc.d%d.tenants.test"} {
			if _, err := cache.Query(ctx, fmt.Sprintf(q, i), dns.TypeTXT); err != nil {
				t.Fatal(err)
			}
		}
		// The tenant's SPF record asked twice (by two checks): a hit.
		if _, err := cache.Query(ctx, fmt.Sprintf("d%d.tenants.test", i), dns.TypeTXT); err != nil {
			t.Fatal(err)
		}
		for _, s := range shared {
			if _, err := cache.Query(ctx, s, dns.TypeTXT); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range shared {
		if n := next.count(s); n != 1 {
			t.Errorf("%s asked %d times of the next resolver, want once", s, n)
		}
	}
	if got, want := next.total.Load(), int64(3*domains+len(shared)); got != want {
		t.Errorf("next asked %d questions, want %d (each distinct one once)", got, want)
	}
	n, size := cache.Len()
	if size > bound || n == 0 || n > 1000 {
		t.Errorf("cache holds %d outcomes, %d bytes; bound %d", n, size, bound)
	}
	s := cache.Stats()
	if s.Evictions < 3*domains-1000 || s.Evictions != int64(3*domains+len(shared)-n) {
		t.Errorf("Stats = %+v with %d kept", s, n)
	}

	// An evicted name is asked again.
	if _, err := cache.Query(ctx, "d0.tenants.test", dns.TypeTXT); err != nil {
		t.Fatal(err)
	}
	if n := next.count("d0.tenants.test"); n != 2 {
		t.Errorf("an evicted name was asked %d times, want 2", n)
	}
}

// TestCacheUnbounded: a negative MaxBytes keeps everything.
func TestCacheUnbounded(t *testing.T) {
	next := &countingNext{asked: map[string]int{}}
	cache := dns.NewCacheWith(next, dns.CacheOptions{MaxBytes: -1})
	for i := range 5000 {
		_, _ = cache.Query(context.Background(), fmt.Sprintf("n%d.example.test", i), dns.TypeTXT)
	}
	for i := range 5000 {
		_, _ = cache.Query(context.Background(), fmt.Sprintf("n%d.example.test", i), dns.TypeTXT)
	}
	if got := next.total.Load(); got != 5000 {
		t.Errorf("next asked %d questions, want 5000", got)
	}
	if s := cache.Stats(); s.Evictions != 0 || s.CacheHits != 5000 {
		t.Errorf("Stats = %+v", s)
	}
}

// TestCacheBoundedConcurrent: eviction under concurrent hits, misses and
// cancelled callers, for the race detector; the bound holds.
func TestCacheBoundedConcurrent(t *testing.T) {
	next := &countingNext{asked: map[string]int{}}
	const bound = 16 << 10
	cache := dns.NewCacheWith(next, dns.CacheOptions{MaxBytes: bound})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				ctx, cancel := context.WithCancel(context.Background())
				name := fmt.Sprintf("n%d.example.test", (g*7+i)%300)
				if i%5 == 0 {
					name = "shared.example.test"
				}
				a, err := cache.Query(ctx, name, dns.TypeTXT)
				if err != nil || len(a.Records) != 1 {
					t.Errorf("%s: %+v %v", name, a, err)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	if _, size := cache.Len(); size > bound {
		t.Errorf("size %d over the bound %d", size, bound)
	}
	s := cache.Stats()
	if s.Questions != 8*2000 || s.CacheHits+s.Shared+next.total.Load() != s.Questions {
		t.Errorf("Stats = %+v, %d asked of next", s, next.total.Load())
	}
}
