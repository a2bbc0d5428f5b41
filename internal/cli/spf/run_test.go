package spf

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/spf"
)

const testZone = `example.com. 300 IN TXT "v=spf1 mx ip4:192.0.2.128/27 include:_spf.example.net -all"
example.com. 300 IN MX 10 mx1.example.com.
mx1.example.com. 300 IN A 192.0.2.25
_spf.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
bad.example.com. 300 IN TXT "v=spf1 +all"
tmp.example.com. 300 IN TXT "v=spf1 include:slow.example.net -all"
sf.example.com. 300 IN TXT "v=spf1 include:servfail.example.net -all"
sfbad.example.com. 300 IN TXT "v=spf1 include:servfail.example.net +all"
warn.example.com. 300 IN TXT "v=spf1 ip4:192.0.2.1 ?all"
xn--bcher-kva.example. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"
`

func testFactory(t *testing.T, output string, verbose int) (*cmdutil.Factory, *dnstest.Fake, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	io.Verbosity = verbose
	fake := dnstest.NewFake(testZone)
	fake.Timeout("slow.example.net", 0)
	fake.ServFail("servfail.example.net", 0)
	f := &cmdutil.Factory{
		IO:          io,
		Global:      &cmdutil.GlobalOptions{Output: output},
		Now:         func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return fake, nil },
	}
	return f, fake, out, errOut
}

func domains(t *testing.T, names ...string) []dns.Domain {
	t.Helper()
	var ds []dns.Domain
	for _, n := range names {
		d, err := dns.NewDomain(n)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestRunCheck(t *testing.T) {
	f, _, out, _ := testFactory(t, "json", 0)
	err := runCheck(f, &CheckOptions{Domains: domains(t, "example.com", "bad.example.com"), MaxLookups: 10})
	if exitCodeOf(err) != 1 {
		t.Errorf("exit %d, want 1 (bad.example.com has +all)", exitCodeOf(err))
	}
	var got []struct {
		Domain   string `json:"domain"`
		Lookups  int    `json:"lookups"`
		Result   string `json:"result"`
		Status   string `json:"status"`
		Networks []string
		Findings []struct{ Code string }
		Tree     struct {
			Terms []struct {
				Term    string `json:"term"`
				Cost    int    `json:"cost"`
				Running int    `json:"running_total"`
			} `json:"terms"`
		} `json:"tree"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got) != 2 || got[0].Lookups != 2 || got[0].Result != "fail" || len(got[0].Networks) != 3 || got[0].Status != "pass" || got[1].Status != "fail" {
		t.Fatalf("got %+v", got)
	}
	if tr := got[0].Tree.Terms; tr[2].Term != "include:_spf.example.net" || tr[2].Cost != 1 || tr[2].Running != 2 {
		t.Errorf("terms %+v", tr)
	}
	if len(got[1].Findings) == 0 || got[1].Findings[0].Code != "spf.pass-all" {
		t.Errorf("findings of bad.example.com: %+v", got[1].Findings)
	}

	f, _, out, _ = testFactory(t, "table", 0)
	if err := runCheck(f, &CheckOptions{Domains: domains(t, "example.com"), MaxLookups: 10}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"include:_spf.example.net", "total: 2 DNS lookups of 10", "findings: none", "unlisted hosts get: fail", "\nstatus: pass\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

// The verdict model decides the exit code: a DNS failure (timeout or
// SERVFAIL) in an include is "could not complete" (3), never "failed" (1);
// a definite error beside it still fails; warnings pass.
func TestRunCheckExitCodes(t *testing.T) {
	for _, tc := range []struct {
		domains []string
		code    int
		status  string
	}{
		{[]string{"example.com"}, 0, "pass"},
		{[]string{"warn.example.com"}, 0, "warn"},
		{[]string{"tmp.example.com"}, 3, "error"},
		{[]string{"sf.example.com"}, 3, "error"},
		{[]string{"sfbad.example.com"}, 1, "fail"},
		{[]string{"sf.example.com", "bad.example.com"}, 1, ""},
		{[]string{"sf.example.com", "example.com"}, 3, ""},
		{[]string{"nothing.example.com"}, 1, "fail"},
	} {
		f, _, out, _ := testFactory(t, "table", 0)
		err := runCheck(f, &CheckOptions{Domains: domains(t, tc.domains...), MaxLookups: 10})
		if exitCodeOf(err) != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.domains, exitCodeOf(err), tc.code)
		}
		if tc.status != "" && !strings.Contains(out.String(), "\nstatus: "+tc.status+"\n") {
			t.Errorf("%v: want status %s:\n%s", tc.domains, tc.status, out)
		}
	}
	f, _, out, _ := testFactory(t, "table", 0)
	_ = runCheck(f, &CheckOptions{Domains: domains(t, "sf.example.com"), MaxLookups: 10})
	for _, want := range []string{"DNS-ERROR: ", "incomplete: a DNS lookup failed", "error spf.dns-error: could not look up servfail.example.net"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("SERVFAIL: the table lacks %q:\n%s", want, out)
		}
	}
}

// -q prints the result alone: the status line and the findings that matter.
func TestRunCheckQuiet(t *testing.T) {
	f, _, out, errOut := testFactory(t, "table", 0)
	f.IO.Quiet = true
	err := runCheck(f, &CheckOptions{Domains: domains(t, "example.com", "bad.example.com", "bücher.example"), MaxLookups: 10})
	if exitCodeOf(err) != 1 {
		t.Errorf("exit %d", exitCodeOf(err))
	}
	want := "example.com: pass\n" +
		"bad.example.com: fail\n" +
		"  error spf.pass-all: the record of bad.example.com ends in \"+all\": every host on the Internet passes\n" +
		"xn--bcher-kva.example (bücher.example): pass\n"
	if out.String() != want || errOut.Len() != 0 {
		t.Errorf("-q:\n%s\nwant:\n%s\nstderr: %s", out, want, errOut)
	}
}

// An IDN is asked in A-label form and shown in both.
func TestRunCheckIDN(t *testing.T) {
	f, fake, out, _ := testFactory(t, "table", 0)
	if err := runCheck(f, &CheckOptions{Domains: domains(t, "bücher.example"), MaxLookups: 10}); err != nil {
		t.Fatal(err)
	}
	if asked := strings.Join(fake.Asked(), ","); !strings.Contains(asked, "xn--bcher-kva.example TXT") || strings.Contains(asked, "ü") {
		t.Errorf("asked %s", asked)
	}
	if !strings.HasPrefix(out.String(), "xn--bcher-kva.example (bücher.example)\n") {
		t.Errorf("heading:\n%s", out)
	}
	f, _, out, _ = testFactory(t, "json", 0)
	_ = runCheck(f, &CheckOptions{Domains: domains(t, "bücher.example"), MaxLookups: 10})
	if !strings.Contains(out.String(), `"domain": "xn--bcher-kva.example"`) || !strings.Contains(out.String(), `"unicode": "bücher.example"`) {
		t.Errorf("json:\n%s", out)
	}
}

func exitCodeOf(err error) int { return cmdutil.ExitCode(err) }

func TestRunEval(t *testing.T) {
	for _, tc := range []struct {
		ip, sender, helo string
		result           string
		status           string
		code             int
	}{
		{"192.0.2.25", "a@example.com", "mx1.example.com", "pass", "pass", 0},
		{"198.51.100.7", "a@example.com", "x.example.net", "pass", "pass", 0},
		{"203.0.113.1", "a@example.com", "x.example.net", "fail", "fail", 1},
		{"203.0.113.1", "", "example.com", "fail", "fail", 1},
		{"203.0.113.1", "a@tmp.example.com", "x", "temperror", "error", 3},
		{"203.0.113.1", "a@sf.example.com", "x", "temperror", "error", 3},
		{"203.0.113.1", "a@warn.example.com", "x", "neutral", "fail", 1},
		{"203.0.113.1", "a@bad.example.com", "x", "pass", "pass", 0},
		{"203.0.113.1", "a@nowhere.example.org", "x", "none", "fail", 1},
	} {
		f, _, out, _ := testFactory(t, "json", 0)
		opts := &EvalOptions{MailFrom: tc.sender, Helo: tc.helo, Receiver: "unknown"}
		opts.IP = mustAddr(t, tc.ip)
		err := runEval(f, opts)
		var res struct {
			Result      string            `json:"result"`
			Status      string            `json:"status"`
			Mechanism   string            `json:"mechanism"`
			Explanation *string           `json:"explanation"`
			Domain      string            `json:"domain"`
			Lookups     *int              `json:"lookups"`
			VoidLookups *int              `json:"void_lookups"`
			Trace       []json.RawMessage `json:"trace"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.Result != tc.result || res.Status != tc.status || exitCodeOf(err) != tc.code || res.Lookups == nil || res.VoidLookups == nil || res.Explanation == nil || res.Trace == nil {
			t.Errorf("%+v: got %s/%s exit %d: %s", tc, res.Result, res.Status, exitCodeOf(err), out)
		}
	}
	f, _, out, _ := testFactory(t, "table", 1)
	opts := &EvalOptions{MailFrom: "a@example.com", Helo: "h.example.com", IP: mustAddr(t, "203.0.113.1")}
	_ = runEval(f, opts)
	for _, want := range []string{"result: fail", "mechanism: -all", "lookups: 2 of 10", "trace:", "example.com MX"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// -q: the result alone, and the reason of a temperror.
	f, _, out, _ = testFactory(t, "table", 0)
	f.IO.Quiet = true
	if err := runEval(f, &EvalOptions{MailFrom: "a@example.com", IP: mustAddr(t, "203.0.113.1")}); exitCodeOf(err) != 1 || out.String() != "result: fail\n" {
		t.Errorf("-q fail: exit %d %q", exitCodeOf(err), out)
	}
	f, _, out, _ = testFactory(t, "table", 0)
	f.IO.Quiet = true
	if err := runEval(f, &EvalOptions{MailFrom: "a@sf.example.com", IP: mustAddr(t, "203.0.113.1")}); exitCodeOf(err) != 3 || !strings.HasPrefix(out.String(), "result: temperror\nreason: ") || strings.Count(out.String(), "\n") != 2 {
		t.Errorf("-q temperror: exit %d %q", exitCodeOf(err), out)
	}
}

func TestRunBuild(t *testing.T) {
	f, _, out, _ := testFactory(t, "table", 0)
	err := runBuild(f, &BuildOptions{Domain: domains(t, "example.org")[0], TTL: 300})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `example.org. 300 IN TXT "v=spf1 -all"`) || !strings.Contains(out.String(), "\nstatus: pass\n") {
		t.Errorf("build output:\n%s", out)
	}
	for _, tc := range []struct {
		name   string
		parts  func(o *BuildOptions)
		code   int
		status string
	}{
		{"clean", func(o *BuildOptions) { o.Parts.Includes = []string{"_spf.example.net"} }, 0, "pass"},
		{"include without a record", func(o *BuildOptions) { o.Parts.Includes = []string{"nothere.example"} }, 1, "fail"},
		{"redirect without a record", func(o *BuildOptions) { o.Parts.Redirect = "nothere.example" }, 1, "fail"},
		{"+all", func(o *BuildOptions) { o.Parts.All, o.Parts.AllowPassAll = "pass", true }, 1, "fail"},
		{"warning: ?all", func(o *BuildOptions) { o.Parts.IP4, o.Parts.All = []string{"192.0.2.1"}, "neutral" }, 0, "warn"},
		{"include SERVFAIL", func(o *BuildOptions) { o.Parts.Includes = []string{"servfail.example.net"} }, 3, "error"},
	} {
		f, _, out, _ := testFactory(t, "json", 0)
		opts := &BuildOptions{Domain: domains(t, "example.org")[0], TTL: 3600}
		tc.parts(opts)
		err := runBuild(f, opts)
		var res struct {
			Status string `json:"status"`
		}
		if jerr := json.Unmarshal(out.Bytes(), &res); jerr != nil {
			t.Fatalf("%s: %v: %s", tc.name, jerr, out)
		}
		if exitCodeOf(err) != tc.code || res.Status != tc.status {
			t.Errorf("%s: exit %d status %s, want %d %s", tc.name, exitCodeOf(err), res.Status, tc.code, tc.status)
		}
	}
	// -q: the zone line alone on stdout, the error findings on stderr.
	f, _, out, errOut := testFactory(t, "table", 0)
	f.IO.Quiet = true
	err = runBuild(f, &BuildOptions{Domain: domains(t, "example.org")[0], TTL: 3600, Parts: spfParts("nothere.example")})
	if exitCodeOf(err) != 1 || out.String() != "example.org. 3600 IN TXT \"v=spf1 include:nothere.example -all\"\n" || !strings.HasPrefix(errOut.String(), "error spf.target-without-record: ") {
		t.Errorf("-q: exit %d\nstdout %q\nstderr %q", exitCodeOf(err), out, errOut)
	}
}

func TestRunFlatten(t *testing.T) {
	f, _, out, _ := testFactory(t, "table", 0)
	opts := &FlattenOptions{Domain: domains(t, "example.com")[0]}
	opts.Opts.MaxLookups, opts.Opts.MaxRecordLen, opts.Opts.TTL = 10, 450, 300
	if err := runFlatten(f, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"v=spf1 mx ip4:192.0.2.128/27 ip4:198.51.100.0/24 -all"`) {
		t.Errorf("flatten output:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "flat.zone")
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not published yet: the check reports the difference and exits 1.
	f, _, out, _ = testFactory(t, "table", 0)
	err := runFlattenCheck(f, &FlattenOptions{Check: file})
	if exitCodeOf(err) != 1 || !strings.Contains(out.String(), "DIFFERS") {
		t.Errorf("check before publishing: exit %d\n%s", exitCodeOf(err), out)
	}
	// -q: only what changed, and the verdict.
	f, _, out, _ = testFactory(t, "table", 0)
	f.IO.Quiet = true
	err = runFlattenCheck(f, &FlattenOptions{Check: file})
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); exitCodeOf(err) != 1 || len(lines) != 2 || !strings.Contains(lines[0], "example.com: DIFFERS") || lines[1] != "changed" {
		t.Errorf("-q check: exit %d\n%s", exitCodeOf(err), out)
	}
	// A lookup that fails: exit 3.
	f, _, _, _ = testFactory(t, "table", 0)
	opts = &FlattenOptions{Domain: domains(t, "sf.example.com")[0]}
	opts.Opts.MaxLookups, opts.Opts.MaxRecordLen = 10, 450
	if err := runFlatten(f, opts); exitCodeOf(err) != 3 {
		t.Errorf("SERVFAIL: exit %d (%v)", exitCodeOf(err), err)
	}
	// -q: the file alone, no notes or warnings.
	f, _, out, errOut := testFactory(t, "table", 0)
	f.IO.Quiet = true
	opts = &FlattenOptions{Domain: domains(t, "example.com")[0]}
	opts.Opts.MaxLookups, opts.Opts.MaxRecordLen, opts.Opts.TTL = 10, 450, 3600
	if err := runFlatten(f, opts); err != nil || errOut.Len() != 0 || !strings.HasPrefix(out.String(), "; emailauth spf flatten: example.com\n") {
		t.Errorf("-q: %v\nstdout %s\nstderr %s", err, out, errOut)
	}
}

func spfParts(includes ...string) (p spfBuildParts) {
	p.Includes = includes
	return p
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type spfBuildParts = spf.BuildOptions

type spfAnalysis = spf.Analysis

func spfAnalyze(r dns.Resolver, domain string) (*spf.Analysis, error) {
	return spf.Analyze(context.Background(), r, domain, spf.AnalyzeOptions{})
}
