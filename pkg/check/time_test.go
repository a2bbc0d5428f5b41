package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// TestDeadDomainIsNotProbed: a domain whose name servers do not answer the
// first question is not asked anything else; every check is "could not
// complete", never a failure.
func TestDeadDomainIsNotProbed(t *testing.T) {
	var queries atomic.Int64
	r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		queries.Add(1)
		return nil, &dns.Error{Name: name, Type: qtype, RCode: -1, Err: dns.ErrTimeout}
	})
	c, err := New(r, Options{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	res := c.CheckDomain(context.Background(), "dead.test")
	if n := queries.Load(); n != 1 {
		t.Errorf("%d queries for a dead domain, want 1", n)
	}
	if res.Status != StatusError || len(res.Checks) != len(DefaultNames()) {
		t.Fatalf("status %s, %d checks", res.Status, len(res.Checks))
	}
	for _, cr := range res.Checks {
		if cr.Status != StatusError || !strings.HasPrefix(cr.Error, "not checked: no answer in time") {
			t.Errorf("%s: %s %q", cr.Check, cr.Status, cr.Error)
		}
	}
	// The same with only the SPF check: the probe is the TXT query SPF
	// needs anyway.
	queries.Store(0)
	c, _ = New(r, Options{Checks: []string{CheckSPF}, Offline: true})
	if res := c.CheckDomain(context.Background(), "dead.test"); res.Status != StatusError || queries.Load() != 1 {
		t.Errorf("spf only: %s after %d queries", res.Status, queries.Load())
	}
}

// TestDeadline: a check that outlives the domain's deadline is an error
// saying so, and the domain is done when the deadline passes.
func TestDeadline(t *testing.T) {
	healthy := dnstest.NewFake(`slow.test. MX 0 .`, `slow.test. TXT "v=spf1 -all"`)
	r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		if qtype == dns.TypeTXT && name == "_dmarc.slow.test" {
			<-ctx.Done() // a server that never answers, within the client's timeout
			return nil, &dns.Error{Name: name, Type: qtype, RCode: -1, Err: ctx.Err()}
		}
		return healthy.Query(ctx, name, qtype)
	})
	c, _ := New(r, Options{Checks: []string{CheckMX, CheckSPF, CheckDMARC}, Offline: true, Deadline: 50 * time.Millisecond})
	start := time.Now()
	res := c.CheckDomain(context.Background(), "slow.test")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	for _, cr := range res.Checks {
		switch cr.Check {
		case CheckDMARC:
			if cr.Status != StatusError || !strings.Contains(cr.Error, "deadline (50ms) passed") {
				t.Errorf("dmarc: %s %q", cr.Status, cr.Error)
			}
		default:
			if cr.Status == StatusError {
				t.Errorf("%s: %s %q", cr.Check, cr.Status, cr.Error)
			}
		}
	}
}

// TestRunInterruptedDropsDomains: a domain still being checked when the run
// is interrupted is never emitted as a result.
func TestRunInterruptedDropsDomains(t *testing.T) {
	healthy := dnstest.NewFake(`a.test. TXT "v=spf1 -all"`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	r := dns.ResolverFunc(func(qctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		if strings.HasSuffix(name, "b.test") {
			once.Do(cancel) // the interrupt arrives while b.test is in flight
			<-qctx.Done()
			return nil, &dns.Error{Name: name, Type: qtype, RCode: -1, Err: qctx.Err()}
		}
		return healthy.Query(qctx, name, qtype)
	})
	c, _ := New(r, Options{Checks: []string{CheckSPF}, Offline: true, Concurrency: 1})
	var got []string
	c.Run(ctx, []string{"a.test", "b.test", "c.test"}, func(i int, d *DomainResult) { got = append(got, d.Domain) })
	if strings.Join(got, ",") != "a.test" {
		t.Errorf("emitted %v, want only a.test", got)
	}
}

// The probe's error says who did not answer, as far as the error tells.
func TestUnanswered(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&dns.Error{RCode: -1, Err: dns.ErrTimeout}, "no answer in time"},
		{context.DeadlineExceeded, "no answer in time"},
		{&dns.Error{RCode: dns.RcodeServFail}, "the domain's name servers did not answer"},
		{&dns.Error{RCode: dns.RcodeRefused}, "the resolver refused"},
		{&dns.Error{RCode: -1, Err: errors.New("read: connection refused")}, "the resolver could not be asked"},
	} {
		if got := unanswered(tc.err); !strings.HasPrefix(got, tc.want) {
			t.Errorf("unanswered(%v) = %q, want %q...", tc.err, got, tc.want)
		}
	}
}

// A run whose resolver answers nothing stops after the first domains (and a
// question about their top-level domain) with ErrResolverSilent, rather than
// wait out every domain's timeouts; a resolver that answers the top-level
// domain is alive, and every domain is checked.
func TestRunStopsWhenTheResolverIsSilent(t *testing.T) {
	domains := make([]string, 500)
	for i := range domains {
		domains[i] = fmt.Sprintf("d%d.test", i)
	}
	for _, tc := range []struct {
		name     string
		tldAlive bool
	}{{"silent", false}, {"domains silent, resolver alive", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var queries atomic.Int64
			r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
				queries.Add(1)
				if tc.tldAlive && name == "test" {
					return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain}, nil
				}
				return nil, &dns.Error{Name: name, Type: qtype, RCode: -1, Err: dns.ErrTimeout}
			})
			c, err := New(r, Options{Checks: []string{CheckSPF}, Concurrency: 4})
			if err != nil {
				t.Fatal(err)
			}
			emitted := 0
			err = c.Run(context.Background(), domains, func(int, *DomainResult) { emitted++ })
			if !tc.tldAlive {
				if !errors.Is(err, ErrResolverSilent) || !strings.Contains(err.Error(), "top-level domain test") {
					t.Fatalf("err = %v, want ErrResolverSilent", err)
				}
				if emitted < c.silentLimit() || emitted > c.silentLimit()+4 || queries.Load() > int64(emitted+5) {
					t.Errorf("%d domains emitted, %d queries, for a silent resolver (limit %d)", emitted, queries.Load(), c.silentLimit())
				}
				return
			}
			if err != nil || emitted != len(domains) {
				t.Errorf("err = %v, %d of %d domains emitted", err, emitted, len(domains))
			}
		})
	}
}
