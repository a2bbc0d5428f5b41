package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const clientZone = `
$ORIGIN example.test.
@                 300 IN TXT   "v=spf1 include:_spf.example.net -all"
@                 300 IN MX    10 mx1.example.test.
@                 300 IN MX    20 mx2.example.test.
mx1               300 IN A     192.0.2.25
mx1               300 IN AAAA  2001:db8::25
www               300 IN CNAME alias.example.net.
sel._domainkey    300 IN TXT   "v=DKIM1; k=rsa; " "p=MIIBIjANBg"
$ORIGIN example.net.
alias             600 IN CNAME target.example.org.
_spf              300 IN TXT   "v=spf1 ip4:192.0.2.0/24 -all"
$ORIGIN example.org.
target            120 IN TXT   "at the end of the chain"
target            120 IN A     192.0.2.80
`

// clientNew returns a Client for tests. The default timeout is the real
// one, so that a loaded machine does not turn answers into timeouts; tests
// of timeouts set short ones.
func clientNew(t testing.TB, cfg dns.ClientConfig) *dns.Client {
	t.Helper()
	c, err := dns.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clientDeadAddr returns a 127.0.0.1 UDP port with nobody listening: a
// socket is bound, its port noted, and it is closed.
func clientDeadAddr(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func clientDNSError(t *testing.T, err error) *dns.Error {
	t.Helper()
	var de *dns.Error
	if !errors.As(err, &de) {
		t.Fatalf("error = %v (%T), want a *dns.Error", err, err)
	}
	return de
}

func TestClientAnswers(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Strict(true)
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	ctx := context.Background()

	a, err := c.Query(ctx, "Example.TEST.", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "example.test" || a.Type != dns.TypeTXT || a.RCode != dns.RcodeSuccess {
		t.Errorf("answer = %+v", a)
	}
	if got := a.TXT(); !reflect.DeepEqual(got, []string{"v=spf1 include:_spf.example.net -all"}) {
		t.Errorf("TXT = %q", got)
	}
	if want := "udp://" + srv.Addr(); a.Source != want {
		t.Errorf("Source = %q, want %q", a.Source, want)
	}
	if a.Authenticated {
		t.Error("AD set, the server did not set it")
	}

	a, err = c.Query(ctx, "sel._domainkey.example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 1 || !reflect.DeepEqual(a.Records[0].Strings, []string{"v=DKIM1; k=rsa; ", "p=MIIBIjANBg"}) {
		t.Errorf("DKIM TXT strings = %+v", a.Records)
	}

	a, err = c.Query(ctx, "example.test", dns.TypeMX)
	if err != nil {
		t.Fatal(err)
	}
	var mx []string
	for _, r := range a.Records {
		mx = append(mx, fmt.Sprintf("%d %s", r.Preference, r.Target))
	}
	if !reflect.DeepEqual(mx, []string{"10 mx1.example.test", "20 mx2.example.test"}) {
		t.Errorf("MX = %q", mx)
	}

	for _, tc := range []struct {
		qtype uint16
		ip    string
	}{{dns.TypeA, "192.0.2.25"}, {dns.TypeAAAA, "2001:db8::25"}} {
		a, err = c.Query(ctx, "mx1.example.test", tc.qtype)
		if err != nil {
			t.Fatal(err)
		}
		if ips := a.IPs(); len(ips) != 1 || ips[0].String() != tc.ip || a.Records[0].TTL != 300 {
			t.Errorf("%s: IPs = %v, records %+v", dns.TypeString(tc.qtype), ips, a.Records)
		}
	}
	if s := c.Stats(); s.Sent != 5 || s.TCP != 0 || s.Timeouts != 0 || s.Failures != 0 || s.Truncated != 0 {
		t.Errorf("Stats = %+v", s)
	}
	if udp, tcp := srv.Queries(); udp != 5 || tcp != 0 {
		t.Errorf("server saw %d UDP, %d TCP queries; want 5, 0", udp, tcp)
	}
}

func TestClientNXDomainAndNoData(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		qtype          uint16
		nxdomain, nodt bool
	}{
		{"nowhere.example.test", dns.TypeTXT, true, false},
		{"mx1.example.test", dns.TypeTXT, false, true},
		{"_domainkey.example.test", dns.TypeTXT, false, true}, // empty non-terminal
		{"no.such.tld.invalid", dns.TypeA, true, false},
	} {
		a, err := c.Query(ctx, tc.name, tc.qtype)
		if err != nil {
			t.Errorf("%s: err = %v; NXDOMAIN and NODATA are answers", tc.name, err)
			continue
		}
		if a.NXDomain() != tc.nxdomain || a.NoData() != tc.nodt || !a.Void() || len(a.Records) != 0 {
			t.Errorf("%s: RCode %s, records %d: NXDomain()=%v NoData()=%v, want %v %v",
				tc.name, dns.RcodeString(a.RCode), len(a.Records), a.NXDomain(), a.NoData(), tc.nxdomain, tc.nodt)
		}
	}
}

func TestClientCNAMEChain(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	a, err := c.Query(context.Background(), "WWW.example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alias.example.net", "target.example.org"}; !reflect.DeepEqual(a.CNAMEs, want) {
		t.Errorf("CNAMEs = %q, want %q", a.CNAMEs, want)
	}
	if len(a.Records) != 1 || a.Records[0].Name != "target.example.org" || a.TXT()[0] != "at the end of the chain" {
		t.Errorf("Records = %+v", a.Records)
	}
	if a.Name != "www.example.test" {
		t.Errorf("Name = %q", a.Name)
	}

	// Asking for the CNAME itself stops at the first alias.
	a, err = c.Query(context.Background(), "www.example.test", dns.TypeCNAME)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.CNAMEs) != 0 || len(a.Records) != 1 || a.Records[0].Target != "alias.example.net" {
		t.Errorf("CNAME query: CNAMEs %q, records %+v", a.CNAMEs, a.Records)
	}

	// A chain ending in nothing of the type: NODATA at the end.
	a, err = c.Query(context.Background(), "www.example.test", dns.TypeMX)
	if err != nil {
		t.Fatal(err)
	}
	if !a.NoData() || len(a.CNAMEs) != 2 {
		t.Errorf("MX via chain: RCode %s, CNAMEs %q, records %d", dns.RcodeString(a.RCode), a.CNAMEs, len(a.Records))
	}
}

// TestClientCNAMELoop checks that a looping chain in an answer section ends
// in the loop error, not in NODATA.
func TestClientCNAMELoop(t *testing.T) {
	srv := dnstest.NewServerFor(t, dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		// The server writes a CNAME record from each name to the next:
		// a.test -> b.test -> a.test.
		return &dns.Answer{Name: name, Type: qtype, CNAMEs: []string{"b.loop.test", "a.loop.test"}}, nil
	}))
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	a, err := c.Query(context.Background(), "a.loop.test", dns.TypeTXT)
	if !errors.Is(err, dns.ErrCNAMELoop) || dns.IsTemporary(err) {
		t.Fatalf("err = %v, want ErrCNAMELoop, not temporary", err)
	}
	if !reflect.DeepEqual(a.CNAMEs, []string{"b.loop.test", "a.loop.test"}) || len(a.Records) != 0 || a.Void() {
		t.Errorf("CNAMEs = %q, records %d, void %v", a.CNAMEs, len(a.Records), a.Void())
	}
}

func TestClientTruncatedRetriesOverTCP(t *testing.T) {
	// 30 TXT records of 200 octets: about 6 kB, complete only over TCP.
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "big.example.test. 300 IN TXT \"%03d%s\"\n", i, strings.Repeat("x", 197))
	}
	srv := dnstest.NewServer(t, b.String())
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	a, err := c.Query(context.Background(), "big.example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 30 {
		t.Errorf("got %d records, want all 30", len(a.Records))
	}
	if want := "tcp://" + srv.Addr(); a.Source != want {
		t.Errorf("Source = %q, want %q", a.Source, want)
	}
	if udp, tcp := srv.Queries(); udp != 1 || tcp != 1 {
		t.Errorf("server saw %d UDP, %d TCP queries; want 1, 1", udp, tcp)
	}
	if s := c.Stats(); s.Sent != 2 || s.TCP != 1 || s.Truncated != 1 {
		t.Errorf("Stats = %+v, want 2 sent, 1 TCP, 1 truncated", s)
	}
}

func TestClientInjectedTruncation(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("example.test", dns.TypeTXT, dnstest.Fault{Truncate: true})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 1 || !strings.HasPrefix(a.Source, "tcp://") {
		t.Errorf("records %d, source %q", len(a.Records), a.Source)
	}
}

func TestClientTCPOnly(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, TCP: true})
	for range 3 {
		if _, err := c.Query(context.Background(), "example.test", dns.TypeTXT); err != nil {
			t.Fatal(err)
		}
	}
	if udp, tcp := srv.Queries(); udp != 0 || tcp != 3 {
		t.Errorf("server saw %d UDP, %d TCP queries; want 0, 3", udp, tcp)
	}
	if s := c.Stats(); s.Sent != 3 || s.TCP != 3 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestClientTimeout(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(fmt.Sprintf("tcp=%v", tcp), func(t *testing.T) {
			srv := dnstest.NewServer(t, clientZone)
			srv.Inject("", 0, dnstest.Fault{Drop: true})
			c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 100 * time.Millisecond, Retries: -1, TCP: tcp})
			start := time.Now()
			a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
			if a != nil {
				t.Errorf("answer %+v beside a timeout", a)
			}
			if !dns.IsTimeout(err) || !dns.IsTemporary(err) {
				t.Fatalf("err = %v; want a timeout", err)
			}
			de := clientDNSError(t, err)
			if de.RCode != -1 || de.Err != dns.ErrTimeout || de.Name != "example.test" || !strings.Contains(de.Server, srv.Addr()) {
				t.Errorf("error = %#v", de)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v with a 100ms timeout", d)
			}
			if s := c.Stats(); s.Sent != 1 || s.Timeouts != 1 {
				t.Errorf("Stats = %+v", s)
			}
		})
	}
}

func TestClientServFail(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("example.test", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServFail})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Retries: -1})
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	de := clientDNSError(t, err)
	if de.RCode != dns.RcodeServFail || de.Server != "udp://"+srv.Addr() || dns.IsTimeout(err) || !dns.IsTemporary(err) {
		t.Errorf("error = %#v", de)
	}
	if want := fmt.Sprintf("dns: example.test TXT: SERVFAIL (udp://%s)", srv.Addr()); err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
	if a == nil || a.RCode != dns.RcodeServFail || a.Source != "udp://"+srv.Addr() {
		t.Errorf("answer beside SERVFAIL = %+v", a)
	}
	if s := c.Stats(); s.Failures != 1 || s.Sent != 1 {
		t.Errorf("Stats = %+v", s)
	}
	// Other names are unaffected.
	if _, err := c.Query(context.Background(), "mx1.example.test", dns.TypeA); err != nil {
		t.Error(err)
	}
}

func TestClientServFailIsRetried(t *testing.T) {
	// A resolver's first SERVFAIL often comes from an upstream timeout; the
	// next round gets the answer.
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("example.test", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServFail, Times: 1})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil || len(a.Records) != 1 {
		t.Fatalf("answer %+v, err %v", a, err)
	}
	if s := c.Stats(); s.Sent != 2 || s.Failures != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestClientRefusedTriesNextServer(t *testing.T) {
	refusing := dnstest.NewServer(t, clientZone)
	refusing.Inject("", 0, dnstest.Fault{Rcode: dns.RcodeRefused})
	good := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{refusing.Addr(), good.Addr()}})
	for range 2 {
		a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
		if err != nil {
			t.Fatal(err)
		}
		if a.Source != "udp://"+good.Addr() {
			t.Errorf("Source = %q, want the second server", a.Source)
		}
	}

	// Every server refusing: REFUSED is reported, and a refusing server is
	// not asked again in later rounds.
	refusing2 := dnstest.NewServer(t, clientZone)
	refusing2.Inject("", 0, dnstest.Fault{Rcode: dns.RcodeRefused})
	c = clientNew(t, dns.ClientConfig{Servers: []string{refusing.Addr(), refusing2.Addr()}, Retries: 3})
	_, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	de := clientDNSError(t, err)
	if de.RCode != dns.RcodeRefused || de.Server != "udp://"+refusing2.Addr() {
		t.Errorf("error = %#v", de)
	}
	if s := c.Stats(); s.Sent != 2 || s.Failures != 2 {
		t.Errorf("Stats = %+v, want 2 sent (no retry of a refusal)", s)
	}
}

func TestClientDeadServerThenNext(t *testing.T) {
	dead := clientDeadAddr(t)
	good := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{dead, good.Addr()}, Timeout: 5 * time.Second})
	start := time.Now()
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != "udp://"+good.Addr() || len(a.Records) != 1 {
		t.Errorf("answer = %+v", a)
	}
	// A closed port is refused at once (ICMP port unreachable): no wait for
	// the timeout.
	if d := time.Since(start); d >= 5*time.Second {
		t.Errorf("took %v: the dead server was waited for", d)
	}
	if s := c.Stats(); s.Sent != 2 || s.Failures != 1 {
		t.Errorf("Stats = %+v", s)
	}

	// Only dead servers: a network error naming the server, not a timeout.
	c = clientNew(t, dns.ClientConfig{Servers: []string{dead}, Retries: -1})
	_, err = c.Query(context.Background(), "example.test", dns.TypeTXT)
	de := clientDNSError(t, err)
	if de.RCode != -1 || dns.IsTimeout(err) || de.Err == nil || de.Server != "udp://"+dead || !dns.IsTemporary(err) {
		t.Errorf("error = %v (%#v)", err, de)
	}
}

func TestClientDroppingServerThenNext(t *testing.T) {
	dropping := dnstest.NewServer(t, clientZone)
	dropping.Inject("", 0, dnstest.Fault{Drop: true})
	good := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{dropping.Addr(), good.Addr()}, Timeout: 500 * time.Millisecond})
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != "udp://"+good.Addr() {
		t.Errorf("Source = %q", a.Source)
	}
	if s := c.Stats(); s.Sent != 2 || s.Timeouts != 1 {
		t.Errorf("Stats = %+v", s)
	}

	// Both dropping: every round asks both, and the error names both.
	good.Inject("", 0, dnstest.Fault{Drop: true})
	c = clientNew(t, dns.ClientConfig{Servers: []string{dropping.Addr(), good.Addr()}, Timeout: 50 * time.Millisecond, Retries: 1})
	_, err = c.Query(context.Background(), "example.test", dns.TypeTXT)
	if !dns.IsTimeout(err) {
		t.Fatalf("err = %v", err)
	}
	de := clientDNSError(t, err)
	if want := "udp://" + dropping.Addr() + ", udp://" + good.Addr(); de.Server != want {
		t.Errorf("Server = %q, want %q", de.Server, want)
	}
	if s := c.Stats(); s.Sent != 4 || s.Timeouts != 4 {
		t.Errorf("Stats = %+v, want 4 attempts (2 rounds x 2 servers)", s)
	}
}

func TestClientRetriesAfterLoss(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("example.test", dns.TypeTXT, dnstest.Fault{Drop: true, Times: 2})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 300 * time.Millisecond})
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 1 {
		t.Errorf("answer = %+v", a)
	}
	if s := c.Stats(); s.Sent != 3 || s.Timeouts != 2 {
		t.Errorf("Stats = %+v, want the third attempt to succeed", s)
	}
}

func TestClientAuthenticatedData(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	srv.SetAuthenticated(true)
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil || !a.Authenticated {
		t.Fatalf("answer %+v, err %v: want AD", a, err)
	}
	a, err = c.Query(context.Background(), "nowhere.example.test", dns.TypeTXT)
	if err != nil || !a.Authenticated || !a.NXDomain() {
		t.Fatalf("NXDOMAIN answer %+v, err %v: want AD", a, err)
	}
	srv.SetAuthenticated(false)
	a, err = c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil || a.Authenticated {
		t.Fatalf("answer %+v, err %v: want no AD", a, err)
	}
}

func TestClientIgnoresForgedReplies(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("", 0, dnstest.Fault{Spoof: true})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	for range 5 {
		a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
		if err != nil {
			t.Fatal(err)
		}
		if a.NXDomain() || len(a.Records) != 1 {
			t.Fatalf("took a forged reply: %+v", a)
		}
	}
	if s := c.Stats(); s.Sent != 5 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestClientFormErrRetriesWithoutEDNS(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("", 0, dnstest.Fault{Rcode: dns.RcodeFormErr, Times: 1})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Retries: -1})
	a, err := c.Query(context.Background(), "example.test", dns.TypeTXT)
	if err != nil || len(a.Records) != 1 {
		t.Fatalf("answer %+v, err %v", a, err)
	}
	if s := c.Stats(); s.Sent != 2 {
		t.Errorf("Stats = %+v", s)
	}
	// Always FORMERR: reported as such, not temporary.
	srv.Inject("", 0, dnstest.Fault{Rcode: dns.RcodeFormErr})
	_, err = c.Query(context.Background(), "mx1.example.test", dns.TypeA)
	de := clientDNSError(t, err)
	if de.RCode != dns.RcodeFormErr || dns.IsTemporary(err) {
		t.Errorf("error = %#v", de)
	}
}

func TestClientInvalidName(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}})
	for _, name := range []string{"", "a..example.test", strings.Repeat("x", 64) + ".example.test"} {
		_, err := c.Query(context.Background(), name, dns.TypeTXT)
		var ne *dns.NameError
		if !errors.As(err, &ne) || ne.Name != name {
			t.Errorf("%q: err = %v, want a *dns.NameError", name, err)
		}
	}
	if udp, tcp := srv.Queries(); udp+tcp != 0 {
		t.Errorf("%d queries sent for invalid names", udp+tcp)
	}
	// A label may hold any octet (RFC 2181 §11); SPF macros make such names.
	a, err := c.Query(context.Background(), "has space.example.test", dns.TypeTXT)
	if err != nil || !a.NXDomain() {
		t.Errorf("a name with a space: %v %+v", err, a)
	}
}

func TestClientContext(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	srv.Inject("", 0, dnstest.Fault{Delay: 5 * time.Second})
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 10 * time.Second})

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Query(ctx, "example.test", dns.TypeTXT)
	if !dns.IsTimeout(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's deadline", err)
	}
	clientDNSError(t, err)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v past a 50ms deadline", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start = time.Now()
	_, err = c.Query(ctx, "example.test", dns.TypeTXT)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v after cancellation", d)
	}

	_, err = c.Query(ctx, "example.test", dns.TypeTXT) // already cancelled
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestClientMaxInFlight(t *testing.T) {
	var cur, peak atomic.Int64
	srv := dnstest.NewServerFor(t, dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		return &dns.Answer{Name: name, Type: qtype}, nil
	}))
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, MaxInFlight: 3, Timeout: 5 * time.Second})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Query(context.Background(), fmt.Sprintf("h%d.example.test", i), dns.TypeA); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("%d queries in flight at once, want at most 3", p)
	}
}

func TestClientTrace(t *testing.T) {
	srv := dnstest.NewServer(t, clientZone)
	var mu sync.Mutex
	var lines []string
	c := clientNew(t, dns.ClientConfig{Servers: []string{srv.Addr()}, Trace: func(l string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, l)
	}})
	srv.SetAuthenticated(true)
	if _, err := c.Query(context.Background(), "example.test", dns.TypeTXT); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 {
		t.Fatalf("trace = %q, want 2 lines", lines)
	}
	if !strings.HasPrefix(lines[0], "query udp://"+srv.Addr()+" id=") || !strings.HasSuffix(lines[0], " example.test. TXT (attempt 1)") {
		t.Errorf("query line = %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "reply udp://"+srv.Addr()+" id=") || !strings.Contains(lines[1], " example.test. TXT NOERROR flags=rd ra ad answers=1 ") {
		t.Errorf("reply line = %q", lines[1])
	}
}

func TestNewClient(t *testing.T) {
	if _, err := dns.NewClient(dns.ClientConfig{}); err == nil || !strings.Contains(err.Error(), "no resolver") {
		t.Errorf("no servers: err = %v", err)
	}
	if _, err := dns.NewClient(dns.ClientConfig{Servers: []string{"nonsense"}}); err == nil || !strings.Contains(err.Error(), `"nonsense"`) {
		t.Errorf("bad server: err = %v", err)
	}
	c, err := dns.NewClient(dns.ClientConfig{Servers: []string{"192.0.2.1", "unbound:5353", "[2001:db8::1]:53"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Servers(), []string{"192.0.2.1:53", "unbound:5353", "[2001:db8::1]:53"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Servers() = %q, want %q", got, want)
	}
}
