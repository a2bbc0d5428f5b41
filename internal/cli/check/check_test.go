package check

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	io, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IO: io}
	var got *Options
	cmd := NewCmdCheck(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	err := cmd.Execute()
	return got, err
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "example.com", "b.example", "--checks", "spf,dmarc", "--fail-on", "warning", "--shard", "2/5", "--selector", "s1", "--selector", "s2", "--concurrency", "8")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Domains, " ") != "example.com b.example" || strings.Join(o.Checks, ",") != "spf,dmarc" ||
		o.FailOn != finding.Warning || o.ShardK != 2 || o.ShardN != 5 || strings.Join(o.Selectors, ",") != "s1,s2" || o.Concurrency != 8 {
		t.Errorf("options = %+v", o)
	}
	o, _ = parse(t, "--smtp", "example.com")
	if strings.Join(o.Checks, ",") != "starttls" {
		t.Errorf("--smtp adds starttls: %v", o.Checks)
	}
	if o.FailOn != finding.Error {
		t.Errorf("default fail-on %v", o.FailOn)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no domain to check"},
		{[]string{"--fail-on", "info", "x.example"}, `invalid --fail-on "info"`},
		{[]string{"--shard", "0/3", "x.example"}, `invalid --shard "0/3"`},
		{[]string{"--shard", "4/3", "x.example"}, `invalid --shard "4/3"`},
		{[]string{"--shard", "a", "x.example"}, `invalid --shard "a"`},
		{[]string{"--checks", "spf,dmark", "x.example"}, `unknown check "dmark"`},
		{[]string{"--skip", "mtasts", "x.example"}, `unknown check "mtasts"`},
		{[]string{"--concurrency", "0", "x.example"}, "invalid --concurrency 0"},
	} {
		_, err := parse(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
		if cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%v: exit %d, want 2", tc.args, cmdutil.ExitCode(err))
		}
	}
}

func TestShardsPartitionTheInput(t *testing.T) {
	const n = 4
	domains := []string{}
	for i := 0; i < 1000; i++ {
		domains = append(domains, fmt.Sprintf("tenant-%d.example", i))
	}
	count := map[string]int{}
	sizes := make([]int, n)
	for k := 1; k <= n; k++ {
		for _, d := range domains {
			if inShard(d, k, n) {
				count[d]++
				sizes[k-1]++
			}
		}
	}
	for _, d := range domains {
		if count[d] != 1 {
			t.Fatalf("%s is in %d shards", d, count[d])
		}
	}
	t.Logf("shard sizes %v", sizes)
}

func TestReadDomains(t *testing.T) {
	io, in, _, _ := cmdutil.Test()
	in.WriteString("# tenants\nExample.com\n\nb.example  # second\nexample.com\n")
	f := &cmdutil.Factory{IO: io}
	got, err := readDomains(f, &Options{Domains: []string{"a.example", "-", "A.example"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range got {
		names = append(names, e.domain.ASCII)
	}
	if strings.Join(names, " ") != "a.example example.com b.example" {
		t.Errorf("got %q", names)
	}
	if _, err := readDomains(f, &Options{File: "/nonexistent/tenants.txt"}); err == nil || cmdutil.ExitCode(err) != 2 {
		t.Errorf("missing file: %v", err)
	}
}

// TestReadDomainsForms: URLs and addresses are reduced (with a note), IDN
// names are asked in A-label form, and lines that are not a domain are kept
// as invalid entries naming their line.
func TestReadDomainsForms(t *testing.T) {
	io, in, _, errOut := cmdutil.Test()
	in.WriteString("https://tenant.example/\nuser@other.example\nbücher.example\na.example,b.example\nc.example d.example\n192.0.2.1\n")
	f := &cmdutil.Factory{IO: io}
	got, err := readDomains(f, &Options{Domains: []string{"-"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ ascii, err string }{
		{"tenant.example", ""},
		{"other.example", ""},
		{"xn--bcher-kva.example", ""},
		{"", "standard input:4: dns: invalid domain name \"a.example,b.example\": a domain name has no comma"},
		{"", "standard input:5: dns: invalid domain name \"c.example d.example\""},
		{"", "standard input:6: dns: invalid domain name \"192.0.2.1\": it is an IP address"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if w.err == "" && (e.err != nil || e.domain.ASCII != w.ascii) || w.err != "" && (e.err == nil || !strings.HasPrefix(e.err.Error(), w.err)) {
			t.Errorf("entry %d = %+v (err %v), want %+v", i, e.domain, e.err, w)
		}
	}
	if got[2].domain.Unicode != "bücher.example" {
		t.Errorf("unicode = %q", got[2].domain.Unicode)
	}
	notes := errOut.String()
	if !strings.Contains(notes, `standard input:1: "https://tenant.example/" is a URL: using its host name tenant.example`) ||
		!strings.Contains(notes, `is an e-mail address: using its domain other.example`) {
		t.Errorf("notes:\n%s", notes)
	}
}

func TestDeprecatedHeloName(t *testing.T) {
	io, _, _, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: io}
	var got *Options
	cmd := NewCmdCheck(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--smtp", "--helo-name", "probe.example", "-s", "mailu", "-j", "4", "x.example"})
	cmd.SetOut(io.Out)
	cmd.SetErr(errOut)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	io.FlushWarnings()
	if got.HeloName != "probe.example" || strings.Join(got.Selectors, ",") != "mailu" || got.Concurrency != 4 {
		t.Errorf("options = %+v", got)
	}
	if !strings.Contains(errOut.String(), "warning: --helo-name is deprecated: use --helo instead") {
		t.Errorf("no deprecation notice: %q", errOut.String())
	}
}

// TestInterruptWritesOnlyFinishedDomains: Ctrl-C during a bulk run writes
// the domains that finished, as valid JSON, counts the others as not
// checked, and exits 3.
func TestInterruptWritesOnlyFinishedDomains(t *testing.T) {
	healthy := dnstest.NewFake(`a.test. TXT "v=spf1 -all"`)
	for _, format := range []string{"json", "jsonl"} {
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
		io, _, out, _ := cmdutil.Test()
		f := &cmdutil.Factory{IO: io, Context: ctx, Now: time.Now,
			Global:      &cmdutil.GlobalOptions{Output: format, Offline: true},
			NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return r, nil }}
		err := run(f, &Options{Domains: []string{"a.test", "b.test", "c.test"}, Checks: []string{"spf"}, Concurrency: 1, FailOn: finding.Error, Deadline: time.Minute})
		if code := cmdutil.ExitCode(err); code != cmdutil.ExitIncomplete || !strings.Contains(err.Error(), "2 of 3 domains were not checked") {
			t.Errorf("%s: exit %d (%v)", format, code, err)
		}
		text := out.String()
		if strings.Contains(text, "b.test") || strings.Contains(text, "c.test") || !strings.Contains(text, "a.test") {
			t.Errorf("%s: output\n%s", format, text)
		}
		if format == "json" {
			var rep struct {
				Summary map[string]int `json:"summary"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("json: %v\n%s", err, text)
			}
			if rep.Summary["not_checked"] != 2 || rep.Summary["domains"] != 1 {
				t.Errorf("summary %v", rep.Summary)
			}
		} else {
			for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("jsonl line %q", line)
				}
			}
		}
	}
}

func TestProfileFlags(t *testing.T) {
	o, err := parse(t, "x.example", "--profile", "p.yaml", "--tenants", "t.yaml", "--tenant", "acme",
		"--ignore", "bimi.*", "--ignore", "dmarc.policy-none,mta-sts.no-record", "--severity", "dnssec.unsigned=warning",
		"--authoritative", "--nameserver", "192.0.2.53", "--nameserver", "ns1.x.example=127.0.0.1:5353")
	if err != nil {
		t.Fatal(err)
	}
	if o.Profile.Profile != "p.yaml" || o.Profile.Tenants != "t.yaml" || o.Profile.Tenant != "acme" {
		t.Errorf("profile flags %+v", o.Profile)
	}
	if strings.Join(o.Policy.Ignore, " ") != "bimi.* dmarc.policy-none mta-sts.no-record" || o.Policy.Severity["dnssec.unsigned"] != finding.Warning {
		t.Errorf("policy %+v", o.Policy)
	}
	if !o.Authoritative || strings.Join(o.Nameservers, ",") != "192.0.2.53:53" || strings.Join(o.NSAddrs["ns1.x.example"], ",") != "127.0.0.1:5353" {
		t.Errorf("authoritative %+v", o)
	}
	// --tenants alone is enough: the domains come from the file.
	if _, err := parse(t, "--profile", "p.yaml", "--tenants", "t.yaml"); err != nil {
		t.Errorf("--tenants without domains: %v", err)
	}
	// --authoritative with --checks adds the check.
	o, _ = parse(t, "--checks", "spf", "--authoritative", "x.example")
	if strings.Join(o.Checks, ",") != "spf,authoritative" {
		t.Errorf("checks %v", o.Checks)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ignore", "dmarc.policy-non", "x.example"}, `invalid --ignore "dmarc.policy-non": unknown finding code; did you mean "dmarc.policy-none"?`},
		{[]string{"--ignore", "nothing.at-all-like-it", "x.example"}, "unknown finding code (emailauth explain"},
		{[]string{"--severity", "dmarc.policy-none", "x.example"}, "want CODE=LEVEL"},
		{[]string{"--severity", "dmarc.policy-none=loud", "x.example"}, `"loud" is not a severity`},
		{[]string{"--severity", "bimi.*=info", "x.example"}, "per code"},
		{[]string{"--nameserver", "192.0.2.1", "x.example"}, "--nameserver goes with --authoritative"},
		{[]string{"--authoritative", "--nameserver", "x y", "x.example"}, "invalid --nameserver"},
	} {
		_, err := parse(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestHashSet: every hash is new once and a duplicate after, across merges
// of the recent map into the sorted slice, which stays sorted.
func TestHashSet(t *testing.T) {
	var s hashSet
	rng := rand.New(rand.NewPCG(1, 2))
	var added []uint64
	for i := 0; i < 3*recentMax+17; i++ {
		h := rng.Uint64()
		if !s.add(h) {
			t.Fatalf("hash %d reported as a duplicate", i)
		}
		added = append(added, h)
		if i%1000 == 0 && s.add(added[rng.IntN(len(added))]) {
			t.Fatalf("a hash added before was new again at %d", i)
		}
	}
	for i, h := range added {
		if s.add(h) {
			t.Fatalf("hash %d new twice", i)
		}
	}
	if !slices.IsSorted(s.sorted) || len(s.sorted)+len(s.recent) != len(added) {
		t.Errorf("sorted %v, %d + %d of %d", slices.IsSorted(s.sorted), len(s.sorted), len(s.recent), len(added))
	}
}
