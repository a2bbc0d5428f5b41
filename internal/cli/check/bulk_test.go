package check

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// TestBulkWithFaultsAndInterrupt runs a bulk check of 1,000 domains over an
// in-process DNS server (real UDP and TCP on loopback) where one domain in
// ten never answers, one in ten answers SERVFAIL and one in ten answers
// only over TCP (truncated over UDP), and interrupts it part way. Run with
// -race (CI does): every result written is valid JSON with the status its
// domain deserves, an interrupted domain is never written, and the summary
// counts what was not checked.
func TestBulkWithFaultsAndInterrupt(t *testing.T) {
	const n = 1000
	var zone strings.Builder
	zone.WriteString("$TTL 300\n")
	kind := func(i int) string {
		switch i % 10 {
		case 3:
			return "dead"
		case 5:
			return "servfail"
		case 7:
			return "tcp"
		}
		return "ok"
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&zone, "t%d.test. MX 0 .\nt%d.test. TXT \"v=spf1 -all\"\n_dmarc.t%d.test. TXT \"v=DMARC1; p=reject\"\n", i, i, i)
	}
	srv := dnstest.NewServer(t, zone.String())
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("t%d.test", i)
		switch kind(i) {
		case "dead":
			srv.Inject(name, 0, dnstest.Fault{Drop: true})
			srv.Inject("_dmarc."+name, 0, dnstest.Fault{Drop: true})
		case "servfail":
			srv.Inject(name, dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServFail})
		case "tcp":
			srv.Inject(name, 0, dnstest.Fault{Truncate: true})
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	io, _, out, _ := cmdutil.Test()
	var emitted atomic.Int64
	// The interrupt arrives once 600 domains have been written.
	counter := writerFunc(func(p []byte) (int, error) {
		if emitted.Add(int64(strings.Count(string(p), "\n"))) >= 600 {
			cancel()
		}
		return out.Write(p)
	})
	io.Out = counter
	f := &cmdutil.Factory{IO: io, Context: ctx, Now: time.Now,
		Global: &cmdutil.GlobalOptions{Output: "jsonl", Timeout: time.Second, Retries: 0},
		NewResolver: func(f *cmdutil.Factory) (dns.Resolver, error) {
			c, err := dns.NewClient(dns.ClientConfig{Servers: []string{srv.Addr()}, Timeout: time.Second, Retries: -1, MaxInFlight: f.Global.MaxInFlight})
			if err != nil {
				return nil, err
			}
			return dns.NewCache(c), nil
		}}
	domains := make([]string, n)
	for i := range domains {
		domains[i] = fmt.Sprintf("t%d.test", i)
	}
	start := time.Now()
	err := run(f, &Options{Domains: domains, Checks: []string{"mx", "spf", "dmarc"}, Concurrency: 64, FailOn: finding.Error, Deadline: 10 * time.Second})
	elapsed := time.Since(start)
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitIncomplete || !strings.Contains(err.Error(), "were not checked") {
		t.Fatalf("exit %d (%v)", code, err)
	}
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Domain string `json:"domain"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("invalid JSON line %q: %v", sc.Text(), err)
		}
		seen++
		var i int
		fmt.Sscanf(line.Domain, "t%d.test", &i)
		want := "warn" // no rua
		switch kind(i) {
		case "dead", "servfail":
			want = "error"
		}
		if line.Status != want {
			t.Errorf("%s (%s): status %s, want %s", line.Domain, kind(i), line.Status, want)
		}
	}
	if seen == 0 || seen == n {
		t.Fatalf("%d domains written: the interrupt did not land mid-run", seen)
	}
	// JSON lines carry no summary (shards are concatenated); the error
	// says how many domains were not checked.
	var notChecked, total int
	if _, err := fmt.Sscanf(err.Error(), "check: interrupted: %d of %d domains were not checked", &notChecked, &total); err != nil || notChecked != n-seen || total != n {
		t.Errorf("error %q, %d written of %d", err, seen, n)
	}
	udp, tcp := srv.Queries()
	t.Logf("%d of %d domains written in %s before the interrupt; %d UDP and %d TCP queries", seen, n, elapsed.Round(time.Millisecond), udp, tcp)
}

type writerFunc func(p []byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// lineGen is standard input that makes its lines as they are read, one
// line per Read, and counts them.
type lineGen struct {
	n, made int
	lines   *atomic.Int64
	tail    string // written after the n lines
}

func (g *lineGen) Read(p []byte) (int, error) {
	if g.made == g.n {
		if g.tail != "" {
			n := copy(p, g.tail)
			g.tail = g.tail[n:]
			return n, nil
		}
		return 0, io.EOF
	}
	line := fmt.Sprintf("d%d.test\n", g.made)
	if len(p) < len(line) {
		return 0, io.ErrShortBuffer
	}
	g.made++
	g.lines.Add(1)
	return copy(p, line), nil
}

// TestStreamedInput: a list on standard input (or --file) is read as the
// run goes, not whole before it: when a result is written, the lines read
// beyond it are at most the workers in flight (jsonl, written as they
// finish) or the reorder window (every other format, written in order).
func TestStreamedInput(t *testing.T) {
	const n, workers = 3000, 8
	r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain}, nil
	})
	for _, format := range []string{"jsonl", "json"} {
		var lines, written atomic.Int64
		var lag atomic.Int64
		cio, _, out, _ := cmdutil.Test()
		cio.In = &lineGen{n: n, lines: &lines}
		cio.Out = writerFunc(func(p []byte) (int, error) {
			w := written.Add(int64(strings.Count(string(p), `"domain":`)))
			if d := lines.Load() - w; d > lag.Load() {
				lag.Store(d)
			}
			return out.Write(p)
		})
		f := &cmdutil.Factory{IO: cio, Context: context.Background(), Now: time.Now,
			Global:      &cmdutil.GlobalOptions{Output: format, Offline: true},
			NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return r, nil }}
		err := run(f, &Options{File: "-", Checks: []string{"mx"}, Concurrency: workers, FailOn: finding.Error})
		if code := cmdutil.ExitCode(err); code != cmdutil.ExitFailed {
			t.Fatalf("%s: exit %d (%v)", format, code, err)
		}
		if got := written.Load(); got != n {
			t.Fatalf("%s: %d domains written, want %d", format, got, n)
		}
		bound := int64(workers + 4)
		if format != "jsonl" {
			bound = int64(max(1024, 32*workers) + workers + 4)
		}
		t.Logf("%s: at most %d lines read ahead of the results written (bound %d, input %d)", format, lag.Load(), bound, n)
		if lag.Load() > bound {
			t.Errorf("%s: %d lines read ahead of the results written, want at most %d", format, lag.Load(), bound)
		}
	}
}

// TestStreamedInputReadError: a line standard input cannot give (longer
// than 1 MiB) ends the run as bad input, after the domains before it were
// checked and reported (the report stays valid).
func TestStreamedInputReadError(t *testing.T) {
	r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain}, nil
	})
	var lines atomic.Int64
	cio, _, out, _ := cmdutil.Test()
	cio.In = &lineGen{n: 3, lines: &lines, tail: strings.Repeat("x", 2<<20) + "\n"}
	f := &cmdutil.Factory{IO: cio, Context: context.Background(), Now: time.Now,
		Global:      &cmdutil.GlobalOptions{Output: "json", Offline: true},
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return r, nil }}
	err := run(f, &Options{Domains: []string{"-"}, Checks: []string{"mx"}, Concurrency: 2, FailOn: finding.Error})
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitBadInput || !strings.Contains(err.Error(), "standard input") || !strings.Contains(err.Error(), "line 4 is longer than 1048576 octets") {
		t.Fatalf("exit %d (%v)", code, err)
	}
	var rep struct {
		Domains []struct{ Domain string } `json:"domains"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Domains) != 3 {
		t.Fatalf("report (%v):\n%s", err, out.String())
	}
}
