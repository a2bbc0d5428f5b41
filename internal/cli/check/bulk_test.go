package check

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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
