package dnstest_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const serverZone = `
$ORIGIN example.test.
@                 IN TXT   "v=spf1 -all"
www               IN CNAME web.example.net.
sel._domainkey    IN TXT   "v=DKIM1; p=abc"
web.example.net.  IN A     192.0.2.80
`

// serverAsk asks the server with miekg/dns's own client, independent of
// dns.Client.
func serverAsk(t *testing.T, addr, network, name string, qtype uint16, edns bool) (*mdns.Msg, error) {
	return serverAskWithin(t, 2*time.Second, addr, network, name, qtype, edns)
}

func serverAskWithin(t *testing.T, timeout time.Duration, addr, network, name string, qtype uint16, edns bool) (*mdns.Msg, error) {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	if edns {
		m.SetEdns0(1232, true)
	}
	c := &mdns.Client{Net: network, Timeout: timeout, UDPSize: 65535}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func serverMustAsk(t *testing.T, addr, network, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	r, err := serverAsk(t, addr, network, name, qtype, true)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeString(qtype), network, err)
	}
	return r
}

func TestServerAnswersOverUDPAndTCP(t *testing.T) {
	s := dnstest.NewServer(t, serverZone)
	if host, _, _ := net.SplitHostPort(s.Addr()); host != "127.0.0.1" {
		t.Errorf("Addr = %q", s.Addr())
	}
	for _, network := range []string{"udp", "tcp"} {
		r := serverMustAsk(t, s.Addr(), network, "example.test", dns.TypeTXT)
		if r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 1 || !r.RecursionAvailable || r.Authoritative {
			t.Errorf("%s: reply %v", network, r)
		}
		if txt, ok := r.Answer[0].(*mdns.TXT); !ok || txt.Txt[0] != "v=spf1 -all" {
			t.Errorf("%s: answer %v", network, r.Answer)
		}
		if opt := r.IsEdns0(); opt == nil || !opt.Do() {
			t.Errorf("%s: EDNS0 with DO not echoed: %v", network, r)
		}
	}
	if udp, tcp := s.Queries(); udp != 1 || tcp != 1 {
		t.Errorf("Queries() = %d, %d", udp, tcp)
	}
}

func TestServerNegativeAnswersAndChains(t *testing.T) {
	s := dnstest.NewServer(t, serverZone)
	for _, tc := range []struct {
		name    string
		qtype   uint16
		rcode   int
		answers string
	}{
		{"example.test", dns.TypeMX, mdns.RcodeSuccess, ""},             // NODATA
		{"_domainkey.example.test", dns.TypeTXT, mdns.RcodeSuccess, ""}, // empty non-terminal
		{"nowhere.example.test", dns.TypeTXT, mdns.RcodeNameError, ""},
		{"other.invalid", dns.TypeA, mdns.RcodeNameError, ""}, // no zone covers it
		{"WWW.Example.Test", dns.TypeA, mdns.RcodeSuccess, "CNAME web.example.net.|A 192.0.2.80"},
	} {
		r := serverMustAsk(t, s.Addr(), "udp", tc.name, tc.qtype)
		var got []string
		for _, rr := range r.Answer {
			f := strings.Fields(rr.String())
			got = append(got, f[3]+" "+f[4])
		}
		if r.Rcode != tc.rcode || strings.Join(got, "|") != tc.answers {
			t.Errorf("%s %s: %s %q, want %s %q", tc.name, dns.TypeString(tc.qtype), mdns.RcodeToString[r.Rcode], got, mdns.RcodeToString[tc.rcode], tc.answers)
		}
	}
}

func TestServerTruncatesUDP(t *testing.T) {
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "big.example.test. IN TXT \"%d%s\"\n", i, strings.Repeat("y", 100))
	}
	s := dnstest.NewServer(t, b.String())
	// No EDNS0: 512 octets.
	r, err := serverAsk(t, s.Addr(), "udp", "big.example.test", dns.TypeTXT, false)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Truncated || len(r.Answer) >= 10 {
		t.Errorf("without EDNS0: TC=%v, %d answers", r.Truncated, len(r.Answer))
	}
	// 1232 octets fit all ten.
	r = serverMustAsk(t, s.Addr(), "udp", "big.example.test", dns.TypeTXT)
	if r.Truncated || len(r.Answer) != 10 {
		t.Errorf("with EDNS0: TC=%v, %d answers", r.Truncated, len(r.Answer))
	}
}

func TestServerFaults(t *testing.T) {
	s := dnstest.NewServer(t, serverZone)
	s.Inject("example.test", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServFail, Times: 2})
	s.Inject("EXAMPLE.test", 0, dnstest.Fault{Rcode: dns.RcodeRefused, Times: 1})
	s.Inject("sel._domainkey.example.test", 0, dnstest.Fault{Truncate: true})
	s.Inject("www.example.test", dns.TypeA, dnstest.Fault{Drop: true})
	s.Inject("", dns.TypeAAAA, dnstest.Fault{Delay: time.Hour, Times: 1}) // ended by the cleanup

	var rcodes []string
	for range 4 {
		r := serverMustAsk(t, s.Addr(), "udp", "example.test", dns.TypeTXT)
		rcodes = append(rcodes, mdns.RcodeToString[r.Rcode])
	}
	if got := strings.Join(rcodes, " "); got != "SERVFAIL SERVFAIL REFUSED NOERROR" {
		t.Errorf("rcodes = %s", got)
	}

	r := serverMustAsk(t, s.Addr(), "udp", "sel._domainkey.example.test", dns.TypeTXT)
	if !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("Truncate over UDP: %v", r)
	}
	r = serverMustAsk(t, s.Addr(), "tcp", "sel._domainkey.example.test", dns.TypeTXT)
	if r.Truncated || len(r.Answer) != 1 {
		t.Errorf("Truncate over TCP: %v", r)
	}

	for _, network := range []string{"udp", "tcp"} {
		if r, err := serverAskWithin(t, 200*time.Millisecond, s.Addr(), network, "www.example.test", dns.TypeA, true); err == nil {
			t.Errorf("Drop over %s: got %v", network, r)
		}
	}

	if r, err := serverAskWithin(t, 200*time.Millisecond, s.Addr(), "udp", "example.test", dns.TypeAAAA, true); err == nil {
		t.Errorf("Delay: answered at once: %v", r)
	}
	// Times 1: the next query is answered at once.
	serverMustAsk(t, s.Addr(), "udp", "example.test", dns.TypeAAAA)
}

func TestServerSpoof(t *testing.T) {
	s := dnstest.NewServer(t, serverZone)
	s.Inject("", 0, dnstest.Fault{Spoof: true})
	conn, err := net.Dial("udp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	m := new(mdns.Msg)
	m.SetQuestion("example.test.", dns.TypeTXT)
	wire, _ := m.Pack()
	if _, err := conn.Write(wire); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	var got []string
	buf := make([]byte, 4096)
	for range 3 {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		r := new(mdns.Msg)
		if err := r.Unpack(buf[:n]); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("id-ok=%v q=%s %s", r.Id == m.Id, r.Question[0].Name, mdns.RcodeToString[r.Rcode]))
	}
	want := "id-ok=false q=example.test. NXDOMAIN|id-ok=true q=forged.invalid. NXDOMAIN|id-ok=true q=example.test. NOERROR"
	if strings.Join(got, "|") != want {
		t.Errorf("replies:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
}

func TestServerAuthenticated(t *testing.T) {
	s := dnstest.NewServer(t, serverZone)
	s.SetAuthenticated(true)
	if r := serverMustAsk(t, s.Addr(), "udp", "example.test", dns.TypeTXT); !r.AuthenticatedData {
		t.Error("AD not set")
	}
	s.SetAuthenticated(false)
	if r := serverMustAsk(t, s.Addr(), "udp", "example.test", dns.TypeTXT); r.AuthenticatedData {
		t.Error("AD set")
	}
}

func TestServerFor(t *testing.T) {
	f := dnstest.NewFake(serverZone)
	f.Timeout("slow.example.test", 0)
	f.ServFail("broken.example.test", dns.TypeTXT)
	f.Fail("refused.example.test", 0, &dns.Error{Name: "refused.example.test", RCode: dns.RcodeRefused})
	s := dnstest.NewServerFor(t, f)
	if s.Fake() != nil {
		t.Error("Fake() of NewServerFor is not nil")
	}
	if _, err := serverAskWithin(t, 200*time.Millisecond, s.Addr(), "udp", "slow.example.test", dns.TypeTXT, true); err == nil {
		t.Error("a resolver timeout was answered")
	}
	for name, want := range map[string]int{"broken.example.test": mdns.RcodeServerFailure, "refused.example.test": mdns.RcodeRefused, "example.test": mdns.RcodeSuccess} {
		if r := serverMustAsk(t, s.Addr(), "udp", name, dns.TypeTXT); r.Rcode != want {
			t.Errorf("%s: %s, want %s", name, mdns.RcodeToString[r.Rcode], mdns.RcodeToString[want])
		}
	}

	// Records added to the Fake of NewServer are served.
	s2 := dnstest.NewServer(t, "")
	s2.Fake().AddTXT("late.example.test", "added", " later")
	r := serverMustAsk(t, s2.Addr(), "udp", "late.example.test", dns.TypeTXT)
	if len(r.Answer) != 1 || strings.Join(r.Answer[0].(*mdns.TXT).Txt, "") != "added later" {
		t.Errorf("late record: %v", r.Answer)
	}
}

// serverRecTB records Errorf calls instead of failing.
type serverRecTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *serverRecTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *serverRecTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func TestServerStrict(t *testing.T) {
	rec := &serverRecTB{TB: t}
	s := dnstest.NewServer(rec, serverZone)
	s.Strict(true)
	s.Inject("injected.example.org", 0, dnstest.Fault{})
	for _, name := range []string{
		"example.test", "sel._domainkey.example.test", "_domainkey.example.test", // owners and ancestors
		"web.example.net", "example.net", "test", // CNAME target, ancestors
		"injected.example.org",
	} {
		serverMustAsk(t, s.Addr(), "udp", name, dns.TypeTXT)
	}
	if errs := rec.errors(); len(errs) != 0 {
		t.Errorf("routed names failed: %q", errs)
	}
	r := serverMustAsk(t, s.Addr(), "udp", "stray.example.test", dns.TypeTXT)
	if r.Rcode != mdns.RcodeNameError {
		t.Errorf("stray name: %s", mdns.RcodeToString[r.Rcode])
	}
	errs := rec.errors()
	if len(errs) != 1 || !strings.Contains(errs[0], "stray.example.test TXT has no route") {
		t.Errorf("errors = %q", errs)
	}
	s.Strict(false)
	serverMustAsk(t, s.Addr(), "udp", "stray2.example.test", dns.TypeTXT)
	if n := len(rec.errors()); n != 1 {
		t.Errorf("not strict: %d errors", n)
	}
}

func TestServerShutsDownAtCleanup(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		s := dnstest.NewServer(t, serverZone)
		s.Inject("", 0, dnstest.Fault{Delay: time.Hour}) // cleanup must not wait for it
		addr = s.Addr()
		go func() {
			m := new(mdns.Msg)
			m.SetQuestion("example.test.", dns.TypeTXT)
			_, _, _ = (&mdns.Client{Timeout: time.Second}).Exchange(m, addr)
		}()
		time.Sleep(20 * time.Millisecond)
	})
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("server at %s still accepts connections after its test ended", addr)
	}
}

func TestServerWithClient(t *testing.T) {
	// The server is a dns.Resolver's back end: round trip through both.
	s := dnstest.NewServer(t, serverZone)
	c, err := dns.NewClient(dns.ClientConfig{Servers: []string{s.Addr()}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Query(context.Background(), "sel._domainkey.example.test", dns.TypeTXT)
	if err != nil || len(a.TXT()) != 1 || a.TXT()[0] != "v=DKIM1; p=abc" {
		t.Errorf("answer %+v, err %v", a, err)
	}
}
