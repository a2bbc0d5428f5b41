package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mailreport/ingest"
	"github.com/penguinmails/emailauth/pkg/report"
)

var conformance = filepath.Join("..", "..", "..", "testdata", "conformance")

// execute runs cmd as the root does: flag and argument errors are usage
// errors (exit 2).
func execute(cmd *cobra.Command, args ...string) error {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	if v := cmd.Args; v != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := v(c, a); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			return nil
		}
	}
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

type testEnv struct {
	f           *cmdutil.Factory
	out, errOut *bytes.Buffer
}

func newEnv(output string) *testEnv {
	io, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{
		IO:     io,
		Global: &cmdutil.GlobalOptions{Output: output},
		Now:    func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) {
			return dnstest.NewFake(""), nil
		},
	}
	return &testEnv{f: f, out: out, errOut: errOut}
}

// Flags bind into Options; the run function is not called.
func TestFlags(t *testing.T) {
	env := newEnv("table")
	var got *Options
	capture := func(o *Options) error { got = o; return nil }
	err := execute(NewCmdDMARCReport(env.f, capture),
		"--kind", "TLS,aggregate", "--kind", "tls", "--readiness", "--resolve", "--max-size", "2MiB", "--keep-going", "--tenants", "t.txt",
		"--quarantine-share", "97%", "--reject-share", "0.999", "--reject-dkim-share", "90%", "--min-messages", "500", "--min-days", "21",
		"--step-days", "45", "--testing-days", "7", "--skip-testing", "--omit-pct", "--abusive", "203.0.113.0/24", "--abusive", "2001:db8::1",
		"--fail-on", "warning", "--top", "0", "a.xml", "-")
	if err != nil {
		t.Fatal(err)
	}
	want := aggregate.Thresholds{MinMessages: 500, MinDays: 21, QuarantineShare: 0.97, RejectShare: 0.999, RejectDKIMShare: 0.9, StepDays: 45, TestingDays: 7}
	if !slices.Equal(got.Kinds, []ingest.Kind{ingest.KindAggregate, ingest.KindTLS}) || !got.Readiness || got.RequireReady || !got.Resolve || !got.KeepGoing ||
		got.Limits.MaxInput != 2<<20 || got.Limits.MaxExpanded != 2<<20 || got.TenantsFile != "t.txt" || got.Thresholds != want || !got.SkipTesting || !got.OmitPct ||
		!slices.Equal(got.Abusive, []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::1/128")}) ||
		got.FailOn != finding.Warning || got.Top != 0 || !slices.Equal(got.Inputs, []string{"a.xml", "-"}) || got.Command != "dmarc report" {
		t.Errorf("options %+v", got)
	}

	// The defaults.
	if err := execute(NewCmdDMARCReport(env.f, capture), "dir"); err != nil {
		t.Fatal(err)
	}
	if got.Kinds != nil || got.Readiness || got.Thresholds != aggregate.DefaultThresholds || got.FailOn != finding.Error || got.Top != 20 ||
		got.Limits.MaxInput != 50<<20 || got.ShowHeaders || got.Resolve {
		t.Errorf("defaults %+v", got)
	}
	// --fail-unless-ready implies --readiness.
	if err := execute(NewCmdDMARCReport(env.f, capture), "--fail-unless-ready", "--show-headers", "dir"); err != nil {
		t.Fatal(err)
	}
	if !got.Readiness || !got.RequireReady || !got.ShowHeaders {
		t.Errorf("--fail-unless-ready: %+v", got)
	}
	// tls-rpt report reads TLS reports only.
	if err := execute(NewCmdTLSReport(env.f, capture), "--max-size", "1GB", "--tenants", "t.yaml", "dir"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Kinds, []ingest.Kind{ingest.KindTLS}) || got.Limits.MaxInput != 1<<30 || got.TenantsFile != "t.yaml" || got.Command != "tls-rpt report" {
		t.Errorf("tls-rpt report: %+v", got)
	}
	for _, name := range []string{"readiness", "kind", "show-headers", "resolve", "quarantine-share"} {
		if NewCmdTLSReport(env.f, nil).Flags().Lookup(name) != nil {
			t.Errorf("tls-rpt report has --%s", name)
		}
	}
	// Each command offers exactly the formats it renders.
	for _, cmd := range []*cobra.Command{NewCmdDMARCReport(env.f, nil), NewCmdTLSReport(env.f, nil)} {
		if got := strings.Join(cmdutil.Outputs(cmd), ","); got != "table,json,csv" {
			t.Errorf("%s: formats %s", cmd.Name(), got)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	env := newEnv("table")
	never := func(*Options) error { t.Error("run with bad flags"); return nil }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "requires at least 1 arg"},
		{[]string{"--kind", "rua", "x"}, `invalid --kind "rua"`},
		{[]string{"--kind", "tls", "--readiness", "x"}, "--readiness is read from aggregate reports"},
		{[]string{"--kind", "tls", "--fail-unless-ready", "x"}, "--readiness is read from aggregate reports"},
		{[]string{"--kind", "aggregate", "--show-headers", "x"}, "--show-headers shows the headers of failure reports"},
		{[]string{"--max-size", "0", "x"}, `"0" is not a size`},
		{[]string{"--max-size", "2TB", "x"}, `"2TB" is not a size`},
		{[]string{"--fail-on", "info", "x"}, `invalid --fail-on "info"`},
		{[]string{"--top", "-2", "x"}, "invalid --top -2"},
		{[]string{"--quarantine-share", "0", "x"}, "is not a share"},
		{[]string{"--reject-share", "101%", "x"}, "is not a share"},
		{[]string{"--abusive", "mail.example", "x"}, "is not an IP address or a network"},
		{[]string{"--abusive", "10.0.0.0/40", "x"}, "is not a network"},
		{[]string{"--min-messages", "0", "x"}, "invalid --min-messages 0"},
		{[]string{"--testing-days", "0", "x"}, "positive number of days"},
	} {
		err := execute(NewCmdDMARCReport(env.f, never), tc.args...)
		if cmdutil.ExitCode(err) != cmdutil.ExitBadInput || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (exit %d), want %q", tc.args, err, cmdutil.ExitCode(err), tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"50MB": 50 << 20, "512kib": 512 << 10, "1g": 1 << 30, "700": 700, " 3 MiB ": 3 << 20, "10B": 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "lots", "1.5MB", "2TB", "0"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestTenantFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// check's tenants file: a list of domains, or a mapping of domains to
	// their overrides (not used here); IDN names in A-labels.
	yml := write("t.yaml", "# the tenants file of check\ntenants:\n  acme:\n    name: Acme\n    domains: [A.Example., bücher.example]\n  globex:\n    domains:\n      globex.example:\n        dmarc: {policy: reject}\n")
	m, err := loadTenants(yml)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a.example": "acme", "xn--bcher-kva.example": "acme", "globex.example": "globex"}
	if len(m) != len(want) {
		t.Errorf("%v", m)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s: %q, want %q (%v)", k, m[k], v, m)
		}
	}
	for _, tc := range []struct{ name, text, want string }{
		{"lines.txt", "a.example acme\n", `lines.txt:1: want a mapping`},
		{"bad.yaml", "tenants:\n  acme:\n    domains: [a..example]\n", `bad.yaml:3: tenants.acme.domains: "a..example" is not a domain name`},
		{"twice.yaml", "tenants:\n  a:\n    domains: [x.example]\n  b:\n    domains: [x.example]\n", `the domain x.example is claimed by tenant "b"`},
		{"typo.yaml", "tenants:\n  a:\n    domain: [x.example]\n", "tenants.a.domain: unknown key"},
		{"empty.yaml", "# none\n", "the file is empty"},
	} {
		_, err := loadTenants(write(tc.name, tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) || cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := loadTenants(filepath.Join(dir, "missing")); cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
		t.Errorf("missing file: %v", err)
	}
	// The config file's tenants: is the default.
	env := newEnv("table")
	env.f.Global.Tenants = yml
	if got := tenantsFile(env.f, ""); got != yml {
		t.Errorf("default %q", got)
	}
	if got := tenantsFile(env.f, "other.yaml"); got != "other.yaml" {
		t.Errorf("flag %q", got)
	}
}

// The run over parsedmarc's and stalwart's samples, in each format: the
// figures, the exit code, and every CSV row as wide as its header.
func TestRun(t *testing.T) {
	inputs := []string{filepath.Join(conformance, "reports", "parsedmarc"), filepath.Join(conformance, "tlsrpt")}
	env := newEnv("json")
	if err := Run(env.f, &Options{Inputs: inputs, Thresholds: aggregate.DefaultThresholds, FailOn: finding.Error, Command: "dmarc report", Top: 20}); err != nil {
		t.Fatalf("exit %d: %v", cmdutil.ExitCode(err), err)
	}
	var res Result
	if err := json.Unmarshal(env.out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	s := res.Stats
	if s.Aggregate != 20 || s.Failure != 4 || s.TLS != 6 || s.Duplicates != 8 || s.NotReports != 4 || s.Errors != 0 || s.Warnings != 12 ||
		len(res.FailureReports) != 4 || len(res.DMARC.Domains) != 6 || len(res.TLS.Domains) != 4 || res.Status != finding.StatusWarn ||
		res.Summary.Domains != 10 || res.Summary.Warn != 5 || res.Schema != Schema {
		t.Errorf("stats %+v, summary %+v, status %s", s, res.Summary, res.Status)
	}
	for _, r := range res.FailureReports {
		if r.Personal != nil {
			t.Errorf("%s: personal data without --show-headers", r.Source)
		}
	}

	for _, readiness := range []bool{false, true} {
		for _, kinds := range [][]ingest.Kind{nil, {ingest.KindAggregate}, {ingest.KindFailure}, {ingest.KindTLS}, {ingest.KindFailure, ingest.KindTLS}} {
			if readiness && len(kinds) > 0 && !slices.Contains(kinds, ingest.KindAggregate) {
				continue
			}
			env := newEnv("csv")
			opts := &Options{Inputs: inputs, Kinds: kinds, Readiness: readiness, Thresholds: aggregate.DefaultThresholds, FailOn: finding.Error, Command: "dmarc report"}
			if err := Run(env.f, opts); err != nil {
				t.Fatalf("%v: %v", kinds, err)
			}
			rows, err := csv.NewReader(env.out).ReadAll()
			if err != nil {
				t.Fatalf("%v: %v", kinds, err)
			}
			seen := map[string]int{}
			for _, r := range rows[1:] {
				seen[r[0]]++
			}
			want := map[string]int{}
			if len(kinds) == 0 || slices.Contains(kinds, ingest.KindAggregate) {
				if readiness {
					want["readiness"] = 6
				} else {
					want["source"] = 2316
				}
			}
			if len(kinds) == 0 || slices.Contains(kinds, ingest.KindTLS) {
				want["tls-policy"], want["tls-failure"] = 5, 6
			}
			if len(kinds) == 0 || slices.Contains(kinds, ingest.KindFailure) {
				want["failure-report"] = 4
			}
			if len(seen) != len(want) {
				t.Errorf("%v readiness %v: rows %v, want %v", kinds, readiness, seen, want)
			}
			for k, n := range want {
				if seen[k] != n {
					t.Errorf("%v readiness %v: %d %s rows, want %d", kinds, readiness, seen[k], k, n)
				}
			}
		}
	}
}

// An interrupted run prints what it read and exits 3; a progress line on
// a terminal is erased before the results.
func TestRunInterrupted(t *testing.T) {
	env := newEnv("json")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	env.f.Context = ctx
	err := Run(env.f, &Options{Inputs: []string{filepath.Join(conformance, "tlsrpt")}, Thresholds: aggregate.DefaultThresholds, FailOn: finding.Error, Command: "tls-rpt report", Kinds: []ingest.Kind{ingest.KindTLS}})
	if cmdutil.ExitCode(err) != cmdutil.ExitIncomplete || !json.Valid(env.out.Bytes()) || !strings.Contains(env.errOut.String(), "interrupted") {
		t.Errorf("exit %d (%v)\n%s%s", cmdutil.ExitCode(err), err, env.out, env.errOut)
	}

	dir := t.TempDir()
	for i := range 250 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r%03d.xml", i)), []byte(strings.Replace(goodReport, "unit-1", fmt.Sprint("unit-", i), 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env = newEnv("table")
	env.f.IO.StderrTTY = true
	if err := Run(env.f, &Options{Inputs: []string{dir}, Thresholds: aggregate.DefaultThresholds, FailOn: finding.Error, Command: "dmarc report"}); err != nil {
		t.Fatal(err)
	}
	if e := env.errOut.String(); !strings.Contains(e, "reading reports: 200 inputs") || !strings.HasSuffix(e, "\r\x1b[K") {
		t.Errorf("progress: %q", e)
	}
	if !strings.Contains(env.out.String(), "read 250 aggregate reports") {
		t.Errorf("stdout: %s", env.out)
	}
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xml")
	if err := os.WriteFile(good, []byte(goodReport), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte("<feedback>"), 0o644); err != nil {
		t.Fatal(err)
	}
	stalwart := filepath.Join(conformance, "tlsrpt")
	for _, tc := range []struct {
		name   string
		opts   Options
		code   int
		stdout bool
	}{
		{"good", Options{Inputs: []string{good}}, 0, true},
		{"a bad input", Options{Inputs: []string{bad}}, 2, false},
		{"a bad input among good ones", Options{Inputs: []string{bad, good}}, 2, true},
		{"a bad input, keep going", Options{Inputs: []string{bad, good}, KeepGoing: true}, 0, true},
		{"only bad inputs, keep going", Options{Inputs: []string{bad}, KeepGoing: true}, 2, false},
		{"TLS failures to fix", Options{Inputs: []string{stalwart}}, 1, true},
		{"failure beats bad input", Options{Inputs: []string{bad, stalwart}}, 1, true},
		{"not ready", Options{Inputs: []string{good}, RequireReady: true, Readiness: true}, 1, true},
		{"warnings fail with --fail-on warning", Options{Inputs: []string{good}, FailOn: finding.Warning}, 1, true},
		{"nothing of the kind", Options{Inputs: []string{good}, Kinds: []ingest.Kind{ingest.KindTLS}}, 2, false},
	} {
		env := newEnv("table")
		o := tc.opts
		o.Thresholds, o.Command = aggregate.DefaultThresholds, "dmarc report"
		if o.FailOn == 0 {
			o.FailOn = finding.Error
		}
		err := Run(env.f, &o)
		if code := cmdutil.ExitCode(err); code != tc.code || (env.out.Len() > 0) != tc.stdout {
			t.Errorf("%s: exit %d (%v), stdout %q; want %d", tc.name, code, err, env.out, tc.code)
		}
	}
}

// hostile is the text strangers put in reports: terminal escape sequences
// (a title change ending in BEL, a screen clear), NUL, a bidi override,
// invalid UTF-8, a C1 CSI, DEL, a line break and a carriage return.
const hostile = "\x1b]0;pwned\x07\x1b[2J\x00\u202eevil\xff\xfe\u009b31m\x7f\nforged line\r"

// A digest as a lenient parser could produce it, every text field
// hostile, through every format, with colour and without, with -q and
// without.
func TestHostileResult(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.xml")
	if err := os.WriteFile(p, []byte(goodReport), 0o644); err != nil {
		t.Fatal(err)
	}
	env := newEnv("json")
	opts := &Options{Inputs: []string{p}, Thresholds: aggregate.DefaultThresholds, FailOn: finding.Error, Command: "dmarc report", Resolve: true}
	if err := Run(env.f, opts); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(env.out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	// Poison every string the renderers show.
	d := &res.DMARC.Domains[0]
	d.Domain += hostile
	d.Tenant = "t" + hostile
	d.Reporters[0].Name += hostile
	d.Readiness.Reasons = append(d.Readiness.Reasons, hostile)
	d.Readiness.AtRisk = append(d.Readiness.AtRisk, aggregate.AtRisk{SourceIP: "192.0.2.1" + hostile, PTR: "ptr" + hostile, Failing: 1, Messages: 1, Action: aggregate.Action("act" + hostile)})
	d.Readiness.Next = &aggregate.NextStep{Name: "p=quarantine" + hostile, Record: "v=DMARC1; p=quarantine" + hostile, Notes: []string{hostile}}
	d.Sources[0].SourceIP += hostile
	d.Sources[0].PTR = "ptr" + hostile
	d.Sources[0].HeaderFrom = []string{"=cmd|' /C calc'!A0", "a.example" + hostile}
	d.Sources[0].Reporters = []string{"@SUM(1+1)" + hostile}
	d.Sources[0].Advice = hostile
	d.Findings = append(d.Findings, finding.Finding{Code: "dmarc-report.ready", Severity: finding.Info, Message: hostile, Fix: hostile})
	res.Warnings = append(res.Warnings, res.Warnings...)
	res.Tenants = []ingest.TenantDigest{{Tenant: "t" + hostile, Domains: []string{"a" + hostile}, Status: finding.StatusWarn}}
	for _, color := range []bool{false, true} {
		for _, quiet := range []bool{false, true} {
			for _, readiness := range []bool{false, true} {
				for _, output := range []string{"table", "csv", "json"} {
					env := newEnv(output)
					env.f.IO.Color, env.f.IO.Quiet = color, quiet
					o := *opts
					o.Readiness, o.TenantsFile = readiness, "tenants"
					name := output
					if err := write(env.f, &o, &res); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					out := env.out.String()
					if color {
						out = regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(out, "")
					}
					if err := report.CheckSafe(out); err != nil {
						t.Errorf("%s colour %v quiet %v readiness %v: %v", name, color, quiet, readiness, err)
					}
					if err := report.CheckSafe(env.errOut.String()); err != nil {
						t.Errorf("%s stderr: %v", name, err)
					}
					if output != "json" && strings.Contains(out, "\nforged line") {
						t.Errorf("%s: a line break from a report reached the output:\n%s", name, out)
					}
					if output == "csv" && !readiness && (!strings.Contains(out, `'=cmd|' /C calc'!A0`) || !strings.Contains(out, `'@SUM(1+1)`)) {
						t.Errorf("csv: a formula is not defused:\n%s", out)
					}
					if output == "table" && !quiet && !strings.Contains(out, `\x1b]0;pwned\x07`) {
						t.Errorf("table: the escapes are not shown:\n%s", out)
					}
				}
			}
		}
	}
}

const goodReport = `<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <report_metadata>
    <org_name>receiver.example</org_name>
    <email>noreply@receiver.example</email>
    <report_id>unit-1</report_id>
    <date_range><begin>1790553600</begin><end>1790639999</end></date_range>
  </report_metadata>
  <policy_published><domain>example.com</domain><p>none</p></policy_published>
  <record>
    <row>
      <source_ip>192.0.2.130</source_ip>
      <count>10</count>
      <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated>
    </row>
    <identifiers><header_from>example.com</header_from></identifiers>
    <auth_results>
      <dkim><domain>example.com</domain><result>pass</result></dkim>
      <spf><domain>example.com</domain><result>pass</result></spf>
    </auth_results>
  </record>
</feedback>
`
