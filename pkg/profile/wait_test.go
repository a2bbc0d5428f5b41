package profile

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// fakeClock is a clock that only Sleep moves.
type fakeClock struct {
	t      time.Time
	slept  []time.Duration
	onStep func(n int)
}

func (c *fakeClock) Now() time.Time { return c.t }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
	if c.onStep != nil {
		c.onStep(len(c.slept))
	}
	return ctx.Err()
}

const tenantZone = `
$ORIGIN tenant.example.
@      300 IN SOA ns1.tenant.example. h.tenant.example. 2026112301 3600 600 86400 300
@      300 IN NS  ns1.tenant.example.
@      300 IN NS  ns2.tenant.example.
@      300 IN TXT "v=spf1 include:_spf.penguinmails.com -all"
mailu._domainkey 300 IN CNAME mailu._domainkey.tenant.example.dkim.penguinmails.com.
`

const dmarcLine = `_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@penguinmails.com"`

func waitSetup(t *testing.T, ns1, ns2 string) (*Requirements, dns.Resolver, WaitOptions, []*dnstest.Server) {
	t.Helper()
	p, err := Parse("p.yaml", []byte(`
spf:
  include: [_spf.penguinmails.com]
dkim:
  selectors:
    - selector: mailu
      cname: "{selector}._domainkey.{domain}.dkim.penguinmails.com"
dmarc:
  policy: quarantine
  rua: [mailto:dmarc@penguinmails.com]
bimi: optional
`), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.For("tenant.example", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	var servers []*dnstest.Server
	addrs := map[string][]string{}
	for i, z := range []string{ns1, ns2} {
		s := dnstest.NewServer(t, z)
		s.SetAuthoritative(true)
		servers = append(servers, s)
		addrs[[]string{"ns1.tenant.example", "ns2.tenant.example"}[i]] = []string{s.Addr()}
	}
	// The recursive view: the delegation, and the platform's records.
	r := dnstest.NewFake(platformZone, tenantZone)
	opts := WaitOptions{Client: &dns.AuthClient{Timeout: 2 * time.Second}, NS: dns.NSOptions{Addrs: addrs}, Interval: 30 * time.Second, MaxWait: 10 * time.Minute}
	return req, r, opts, servers
}

func TestWaitUntilEveryServerHasTheRecords(t *testing.T) {
	req, r, opts, servers := waitSetup(t, tenantZone+dmarcLine, tenantZone)
	clock := &fakeClock{t: now}
	// The DMARC record reaches ns2 during the first pause.
	clock.onStep = func(n int) {
		if n == 1 {
			servers[1].Fake().Add(dmarcLine)
		}
	}
	opts.Now, opts.Sleep = clock.Now, clock.Sleep
	var rounds []string
	opts.Progress = func(st *WaitStatus) { rounds = append(rounds, st.Summary()) }
	st, err := Wait(context.Background(), r, req, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Done || st.TimedOut || st.Round != 2 || st.Elapsed != 30*time.Second || len(clock.slept) != 1 {
		t.Fatalf("status %+v, slept %v", st, clock.slept)
	}
	if len(rounds) != 2 || !strings.Contains(rounds[0], "ns1.tenant.example ready") || !strings.Contains(rounds[0], "ns2.tenant.example missing dmarc-record") ||
		!strings.Contains(rounds[1], "ns2.tenant.example ready") {
		t.Errorf("progress %q", rounds)
	}
}

func TestWaitTimesOut(t *testing.T) {
	req, r, opts, _ := waitSetup(t, tenantZone+dmarcLine, tenantZone)
	clock := &fakeClock{t: now}
	opts.Now, opts.Sleep = clock.Now, clock.Sleep
	opts.MaxWait = 75 * time.Second
	st, err := Wait(context.Background(), r, req, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Rounds at 0s, 30s, 60s and the last at the deadline, 75s.
	if st.Done || !st.TimedOut || st.Round != 4 || st.Elapsed != 75*time.Second || !st.Missing() || st.Unreachable() {
		t.Fatalf("status %+v, slept %v", st, clock.slept)
	}
	if s := st.Servers[1]; s.Ready || len(s.Missing) == 0 || s.Missing[0].Requirement != "dmarc-record" || s.Missing[0].Name != "_dmarc.tenant.example" {
		t.Errorf("ns2 %+v", s)
	}
	// MaxWait 0: one round.
	opts.MaxWait = 0
	clock.slept = nil
	st, _ = Wait(context.Background(), r, req, opts)
	if st.Round != 1 || !st.TimedOut || len(clock.slept) != 0 {
		t.Errorf("one round: %+v", st)
	}
}

func TestWaitUnreachableServer(t *testing.T) {
	req, r, opts, servers := waitSetup(t, tenantZone+dmarcLine, tenantZone+dmarcLine)
	servers[1].Inject("", 0, dnstest.Fault{Drop: true})
	opts.Client.Timeout = 100 * time.Millisecond
	clock := &fakeClock{t: now}
	opts.Now, opts.Sleep, opts.MaxWait = clock.Now, clock.Sleep, 0
	st, err := Wait(context.Background(), r, req, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done || st.Missing() || !st.Unreachable() || st.Servers[1].Status != "unreachable" {
		t.Errorf("status %+v", st)
	}
	if !strings.Contains(st.Summary(), "ns2.tenant.example unreachable") {
		t.Errorf("summary %q", st.Summary())
	}
}

func TestWaitStopsWithTheContext(t *testing.T) {
	req, r, opts, _ := waitSetup(t, tenantZone, tenantZone)
	ctx, cancel := context.WithCancel(context.Background())
	clock := &fakeClock{t: now, onStep: func(int) { cancel() }}
	opts.Now, opts.Sleep = clock.Now, clock.Sleep
	st, err := Wait(ctx, r, req, opts)
	if err == nil || st == nil || st.Round != 1 {
		t.Errorf("Wait = %+v, %v", st, err)
	}
	empty, _ := Parse("p.yaml", []byte("bimi: optional\n"), LoadOptions{})
	er, _ := empty.For("tenant.example", nil, now)
	if _, err := Wait(context.Background(), r, er, opts); err != ErrNoRequirement {
		t.Errorf("nothing required: %v", err)
	}
}

func TestWaitEndsWithAFrozenClock(t *testing.T) {
	req, r, opts, _ := waitSetup(t, tenantZone+dmarcLine, tenantZone)
	n := 0
	opts.Now = func() time.Time { return now } // pinned, as golden tests pin it
	opts.Sleep = func(ctx context.Context, d time.Duration) error { n++; return nil }
	opts.MaxWait = 90 * time.Second
	st, err := Wait(context.Background(), r, req, opts)
	if err != nil || !st.TimedOut || st.Elapsed != 90*time.Second || n != 3 {
		t.Errorf("status %+v, %d sleeps, %v", st, n, err)
	}
}
