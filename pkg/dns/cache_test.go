package dns_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// TestCacheDeduplicatesInFlight: many goroutines asking the same question
// at once send one query to the server.
func TestCacheDeduplicatesInFlight(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("", 0, dnstest.Fault{Delay: 100 * time.Millisecond})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 5 * time.Second})
	cache := dns.NewCache(c)

	const n = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	answers := make([]*dns.Answer, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name := "example.test"
			if i%2 == 1 {
				name = "EXAMPLE.Test." // same question, other spelling
			}
			a, err := cache.Query(context.Background(), name, dns.TypeTXT)
			if err != nil {
				t.Error(err)
				return
			}
			answers[i] = a
		}()
	}
	close(start)
	wg.Wait()
	if udp, tcp := srv.Queries(); udp != 1 || tcp != 0 {
		t.Errorf("server saw %d UDP and %d TCP queries, want 1", udp, tcp)
	}
	for i, a := range answers {
		if a == nil || len(a.TXT()) != 1 || a.Name != "example.test" {
			t.Fatalf("caller %d got %+v", i, a)
		}
	}
	if answers[0] == answers[1] {
		t.Error("two callers got the same *Answer")
	}
	s := cache.Stats()
	if s.Questions != n || s.Shared+s.CacheHits != n-1 || s.Shared < 1 || s.Sent != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestCacheHitsAndStats(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	cache := dns.NewCache(c)
	ctx := context.Background()
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"example.test", dns.TypeTXT},
		{"Example.Test", dns.TypeTXT},  // hit
		{"example.test.", dns.TypeTXT}, // hit
		{"example.test", dns.TypeMX},   // other type: miss
		{"nowhere.example.test", dns.TypeTXT},
		{"nowhere.example.test", dns.TypeTXT}, // NXDOMAIN is kept
		{"mx1.example.test", dns.TypeTXT},
		{"mx1.example.test", dns.TypeTXT}, // NODATA is kept
	} {
		if _, err := cache.Query(ctx, q.name, q.qtype); err != nil {
			t.Fatal(err)
		}
	}
	a, err := cache.Query(ctx, "nowhere.example.test", dns.TypeTXT)
	if err != nil || !a.NXDomain() {
		t.Errorf("cached NXDOMAIN = %+v, %v", a, err)
	}
	if udp, _ := srv.Queries(); udp != 4 {
		t.Errorf("server saw %d queries, want 4", udp)
	}
	want := dns.Stats{Questions: 9, CacheHits: 5, Sent: 4}
	if s := cache.Stats(); s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
}

// TestCacheKeepsFailures: a dead server is waited for once per question.
func TestCacheKeepsFailures(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("example.test", dns.TypeTXT, dnstest.Fault{Drop: true})
	srv.Inject("mx1.example.test", 0, dnstest.Fault{Rcode: dns.RcodeServFail})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond, Retries: -1})
	cache := dns.NewCache(c)
	for range 3 {
		_, err := cache.Query(context.Background(), "example.test", dns.TypeTXT)
		if !dns.IsTimeout(err) {
			t.Fatalf("err = %v, want a timeout", err)
		}
		a, err := cache.Query(context.Background(), "mx1.example.test", dns.TypeA)
		var de *dns.Error
		if !errors.As(err, &de) || de.RCode != dns.RcodeServFail || a == nil || a.RCode != dns.RcodeServFail {
			t.Fatalf("SERVFAIL: answer %+v, err %v", a, err)
		}
	}
	if udp, _ := srv.Queries(); udp != 2 {
		t.Errorf("server saw %d queries, want 2", udp)
	}
	if s := cache.Stats(); s.CacheHits != 4 || s.Timeouts != 1 || s.Failures != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

// cacheBlocking is a resolver that answers when released, or fails with its
// context's error.
type cacheBlocking struct {
	calls   atomic.Int64
	release chan struct{}
}

func (b *cacheBlocking) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	b.calls.Add(1)
	select {
	case <-b.release:
		return &dns.Answer{Name: name, Type: qtype, Records: []dns.Record{{Name: name, Type: qtype, Data: "x"}}}, nil
	case <-ctx.Done():
		return nil, &dns.Error{Name: name, Type: qtype, RCode: -1, Err: ctx.Err()}
	}
}

// TestCacheCallerContext: a caller's context ending is not a DNS failure:
// it is not kept, and it does not fail other callers waiting for the same
// question.
func TestCacheCallerContext(t *testing.T) {
	next := &cacheBlocking{release: make(chan struct{})}
	cache := dns.NewCache(next)

	// A lone caller gives up: its context's error, and nothing is kept.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err := cache.Query(ctx, "a.example.test", dns.TypeTXT)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !dns.IsTimeout(err) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	var de *dns.Error
	if !errors.As(err, &de) || de.Name != "a.example.test" {
		t.Errorf("err = %#v, want a *dns.Error naming the question", err)
	}

	// Two callers: the first gives up, the second still gets the answer
	// from the same query.
	ctx1, cancel1 := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := cache.Query(ctx1, "a.example.test", dns.TypeTXT)
		errc <- err
	}()
	for next.calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	type result struct {
		a   *dns.Answer
		err error
	}
	resc := make(chan result, 1)
	go func() {
		a, err := cache.Query(context.Background(), "a.example.test", dns.TypeTXT)
		resc <- result{a, err}
	}()
	for cache.Stats().Shared < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel1()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: err = %v, want context.Canceled", err)
	}
	close(next.release)
	r := <-resc
	if r.err != nil || r.a == nil || len(r.a.Records) != 1 {
		t.Fatalf("second caller: %+v, %v", r.a, r.err)
	}
	if n := next.calls.Load(); n != 2 {
		t.Errorf("next was asked %d times, want 2 (the abandoned query, then one shared)", n)
	}
	// Now kept.
	if _, err := cache.Query(context.Background(), "a.example.test", dns.TypeTXT); err != nil || next.calls.Load() != 2 {
		t.Errorf("after the answer: err %v, %d calls", err, next.calls.Load())
	}
}

func TestCacheAnswersAreCopies(t *testing.T) {
	f := dnstest.NewFake(`www.example.test. 300 IN CNAME host.example.test.
host.example.test. 300 IN TXT "one"
host.example.test. 300 IN TXT "two"`)
	cache := dns.NewCache(f)
	a, err := cache.Query(context.Background(), "www.example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	a.Records[0], a.Records[1] = a.Records[1], a.Records[0]
	a.Records[0].Data = "corrupted"
	a.Records = append(a.Records[:1], dns.Record{Data: "appended"})
	a.CNAMEs[0] = "corrupted"
	a.RCode = dns.RcodeNXDomain

	b, err := cache.Query(context.Background(), "www.example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(b.TXT(), b.CNAMEs, b.RCode, len(b.Records)); got != "[one two] [host.example.test] 0 2" {
		t.Errorf("cached answer changed by a caller: %s", got)
	}
	if len(f.Asked()) != 1 {
		t.Errorf("Fake asked %q", f.Asked())
	}
}

func TestCacheInvalidName(t *testing.T) {
	f := dnstest.NewFake()
	cache := dns.NewCache(f)
	_, err := cache.Query(context.Background(), "a..b", dns.TypeA)
	var ne *dns.NameError
	if !errors.As(err, &ne) {
		t.Errorf("err = %v, want a *dns.NameError", err)
	}
	if len(f.Asked()) != 0 {
		t.Errorf("invalid name passed on: %q", f.Asked())
	}
}

// TestCacheConcurrentMixed runs many goroutines over a few questions, for
// the race detector.
func TestCacheConcurrentMixed(t *testing.T) {
	f := dnstest.NewFake(clientZone)
	f.ServFail("mx1.example.test", dns.TypeA)
	cache := dns.NewCache(f)
	names := []string{"example.test", "mx1.example.test", "www.example.test", "nowhere.example.test"}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if i%3 == 0 {
					ctx, cancel = context.WithCancel(ctx)
				}
				_, _ = cache.Query(ctx, names[(g+i)%len(names)], []uint16{dns.TypeTXT, dns.TypeA}[i%2])
				cancel()
			}
		}()
	}
	wg.Wait()
	if s := cache.Stats(); s.Questions != 16*200 || s.CacheHits+s.Shared+int64(len(f.Asked())) != s.Questions {
		t.Errorf("Stats = %+v, %d asked of next", s, len(f.Asked()))
	}
	if n := len(f.Asked()); n != 8 {
		t.Errorf("next asked %d questions, want 8 (each once): %q", n, f.Asked())
	}
}
