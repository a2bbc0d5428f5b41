package dmarc

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/report"
)

const testZone = `_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
example.com. 300 IN MX 10 mx.example.com.
_dmarc.weak.example. 300 IN TXT "v=DMARC1; p=none"
_dmarc.xn--bcher-kva.example. 300 IN TXT "v=DMARC1; p=reject"
xn--bcher-kva.example. 300 IN A 192.0.2.1
vendor.example. 300 IN MX 10 mx.vendor.example.
authorized.example. 300 IN MX 10 mx.vendor.example.
example.com._report._dmarc.authorized.example. 300 IN TXT "v=DMARC1"
nomail.example. 300 IN MX 0 .
flaky.example. 300 IN MX 10 mx.vendor.example.
`

func run(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

type testEnv struct {
	f           *cmdutil.Factory
	fake        *dnstest.Fake
	out, errOut *bytes.Buffer
}

// newEnv returns a Factory answering from testZone (slow.example times
// out, servfail.example gets SERVFAIL) and the buffers of its streams.
func newEnv(output string) *testEnv {
	io, _, out, errOut := cmdutil.Test()
	fake := dnstest.NewFake(testZone)
	fake.Timeout("_dmarc.slow.example", 0)
	fake.ServFail("_dmarc.servfail.example", 0)
	fake.ServFail("example.com._report._dmarc.flaky.example", 0)
	f := &cmdutil.Factory{
		IO:          io,
		Global:      &cmdutil.GlobalOptions{Output: output},
		Now:         func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return fake, nil },
	}
	return &testEnv{f: f, fake: fake, out: out, errOut: errOut}
}

// noResolver is a Factory whose resolver fails the test when built: the
// command must make no DNS query.
func noResolver(t *testing.T, env *testEnv) {
	env.f.NewResolver = func(*cmdutil.Factory) (dns.Resolver, error) {
		t.Error("a DNS resolver was asked for")
		return nil, errors.New("no DNS in this test")
	}
}

func TestCheckFlags(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		code  int
		want  []string // the A-labels asked
		uni   string   // the first domain's U-label form
		notes string   // on stderr
	}{
		{[]string{"Example.COM."}, 0, []string{"example.com"}, "", ""},
		{[]string{"a.example", "b.example", "--skip-destinations"}, 0, []string{"a.example", "b.example"}, "", ""},
		{[]string{"bücher.example"}, 0, []string{"xn--bcher-kva.example"}, "bücher.example", ""},
		{[]string{"https://tenant.example/path"}, 0, []string{"tenant.example"}, "", "is a URL"},
		{[]string{"user@tenant.example"}, 0, []string{"tenant.example"}, "", "note: "},
		{[]string{"a.example,b.example"}, 2, nil, "", ""},
		{[]string{"192.0.2.1"}, 2, nil, "", ""},
		{[]string{"a..b"}, 2, nil, "", ""},
		{[]string{"tenant.example:25"}, 2, nil, "", ""},
	} {
		env := newEnv("table")
		var got *CheckOptions
		err := run(NewCmdCheck(env.f, func(o *CheckOptions) error { got = o; return nil }), tc.args...)
		if code := cmdutil.ExitCode(err); code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
			continue
		}
		if tc.code != 0 {
			continue
		}
		var asked []string
		for _, d := range got.Domains {
			asked = append(asked, d.ASCII)
		}
		if strings.Join(asked, " ") != strings.Join(tc.want, " ") || got.Domains[0].Unicode != tc.uni {
			t.Errorf("%v: domains %+v", tc.args, got.Domains)
		}
		if tc.notes != "" && !strings.Contains(env.errOut.String(), tc.notes) || tc.notes == "" && env.errOut.Len() > 0 {
			t.Errorf("%v: stderr %q", tc.args, env.errOut)
		}
	}
	// -q: no note.
	env := newEnv("table")
	env.f.IO.Quiet = true
	if err := run(NewCmdCheck(env.f, func(*CheckOptions) error { return nil }), "https://tenant.example/"); err != nil || env.errOut.Len() > 0 {
		t.Errorf("-q: %v, stderr %q", err, env.errOut)
	}
}

func TestBuildFlags(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		want   func(*BuildOptions) bool
		notice string // on stderr
	}{
		{[]string{"--policy", "reject", "--rua", "a@example.com", "--rua", "mailto:b@example.com", "--testing", "--np", "reject"}, 0, func(o *BuildOptions) bool {
			return o.Record.Policy == "reject" && len(o.Record.RUA) == 2 && o.Record.Testing && o.Record.NP == "reject" && o.Domain.ASCII == "" && o.Record.Domain == "" && o.Record.TTL == 3600
		}, ""},
		{[]string{"Tenant.Example", "--policy", "none", "--ttl", "300", "--skip-destinations"}, 0, func(o *BuildOptions) bool {
			return o.Domain.ASCII == "tenant.example" && o.Record.Domain == "tenant.example" && o.Record.TTL == 300 && o.SkipDestinations
		}, ""},
		{[]string{"bücher.example", "--policy", "none"}, 0, func(o *BuildOptions) bool {
			return o.Record.Domain == "xn--bcher-kva.example" && o.Domain.Unicode == "bücher.example"
		}, ""},
		{[]string{"https://tenant.example/", "--policy", "none"}, 0, func(o *BuildOptions) bool { return o.Record.Domain == "tenant.example" }, "is a URL"},
		{[]string{"--policy", "quarantine", "--subdomain-policy", "reject", "--adkim", "s", "--aspf", "s", "--fo", "1:d", "--psd", "n", "--ruf", "f@example.com"}, 0, func(o *BuildOptions) bool {
			return o.Record.SubdomainPolicy == "reject" && o.Record.ADKIM == "s" && o.Record.ASPF == "s" && o.Record.FO == "1:d" && o.Record.PSD == "n" && len(o.Record.RUF) == 1
		}, ""},
		// The old spelling: works, warns on stderr.
		{[]string{"--domain", "Tenant.Example", "--policy", "reject"}, 0, func(o *BuildOptions) bool { return o.Record.Domain == "tenant.example" },
			"warning: --domain is deprecated: give the domain as the argument: dmarc build DOMAIN"},
		{[]string{"tenant.example", "--domain", "TENANT.example.", "--policy", "reject"}, 0, func(o *BuildOptions) bool { return o.Record.Domain == "tenant.example" },
			"--domain is deprecated"},
		{[]string{"a.example", "--domain", "b.example", "--policy", "reject"}, 2, nil, ""},
		{[]string{"--policy", "reject", "--ttl", "0"}, 2, nil, ""},
		{[]string{"--rua", "a@example.com"}, 2, nil, ""},
		{[]string{"a.example,b.example", "--policy", "reject"}, 2, nil, ""},
		{[]string{"--domain", "192.0.2.1", "--policy", "reject"}, 2, nil, ""},
	} {
		env := newEnv("table")
		var got *BuildOptions
		err := run(NewCmdBuild(env.f, func(o *BuildOptions) error { got = o; return nil }), tc.args...)
		env.f.IO.FlushWarnings() // as the root command does once -q is known
		if code := cmdutil.ExitCode(err); code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
			continue
		}
		if tc.want != nil && !tc.want(got) {
			t.Errorf("%v: options %+v", tc.args, got)
		}
		if tc.code == 0 && (tc.notice == "" && strings.Contains(env.errOut.String(), "deprecated") || !strings.Contains(env.errOut.String(), tc.notice)) {
			t.Errorf("%v: stderr %q, want %q", tc.args, env.errOut, tc.notice)
		}
		if env.out.Len() > 0 {
			t.Errorf("%v: stdout %q", tc.args, env.out)
		}
	}
	// The deprecated flag is hidden from the help.
	cmd := NewCmdBuild(newEnv("table").f, nil)
	if fl := cmd.Flags().Lookup("domain"); fl == nil || !fl.Hidden && fl.Deprecated == "" {
		t.Errorf("--domain: %+v", fl)
	}
	if strings.Contains(cmd.Flags().FlagUsages(), "--domain") {
		t.Errorf("--domain is in the help:\n%s", cmd.Flags().FlagUsages())
	}
}

func TestOtherFlags(t *testing.T) {
	env := newEnv("table")
	f := env.f
	var e *EvalOptions
	if err := run(NewCmdEval(f, func(o *EvalOptions) error { e = o; return nil }), "--from", "a@example.com", "--spf-pass", "example.com", "--dkim-pass", "x.example", "--dkim-pass", "y.example"); err != nil {
		t.Fatal(err)
	}
	if e.From != "a@example.com" || len(e.SPFPass) != 1 || len(e.DKIMPass) != 2 {
		t.Errorf("eval options %+v", e)
	}
	var o *OrgDomainOptions
	if err := run(NewCmdOrgDomain(f, func(x *OrgDomainOptions) error { o = x; return nil }), "--psl", "www.bücher.example", "user@Example.COM"); err != nil {
		t.Fatal(err)
	}
	if !o.PSLOnly || len(o.Domains) != 2 || o.Domains[0].ASCII != "www.xn--bcher-kva.example" || o.Domains[1].ASCII != "example.com" {
		t.Errorf("orgdomain options %+v", o)
	}
	for _, tc := range []struct {
		cmd  *cobra.Command
		args []string
		code int
	}{
		{NewCmdBuild(f, nil), []string{}, 2},
		{NewCmdEval(f, nil), []string{}, 2},
		{NewCmdEval(f, nil), []string{"--from", "a..b"}, 2},
		{NewCmdEval(f, nil), []string{"--from", "user@[192.0.2.1]"}, 2},
		{NewCmdEval(f, nil), []string{"--from", "example.com", "--spf-pass", "a..b"}, 2},
		{NewCmdCheck(f, nil), []string{"a..b"}, 2},
		{NewCmdOrgDomain(f, nil), []string{"a,b"}, 2},
	} {
		if err := run(tc.cmd, tc.args...); cmdutil.ExitCode(err) != tc.code {
			t.Errorf("%s %v: exit %d (%v), want %d", tc.cmd.Name(), tc.args, cmdutil.ExitCode(err), err, tc.code)
		}
	}
	// Each command offers exactly the formats it renders.
	for _, tc := range []struct {
		cmd  *cobra.Command
		want string
	}{
		{NewCmdCheck(f, nil), "table,json"},
		{NewCmdBuild(f, nil), "table,json"},
		{NewCmdEval(f, nil), "table,json"},
		{NewCmdOrgDomain(f, nil), "table,json"},
	} {
		if got := strings.Join(cmdutil.Outputs(tc.cmd), ","); got != tc.want {
			t.Errorf("%s: formats %s, want %s", tc.cmd.Name(), got, tc.want)
		}
	}
}

func domains(names ...string) []dns.Domain {
	var ds []dns.Domain
	for _, n := range names {
		d, err := dns.NewDomain(n)
		if err != nil {
			panic(err)
		}
		ds = append(ds, d)
	}
	return ds
}

func TestRunCheck(t *testing.T) {
	env := newEnv("json")
	if err := runCheck(env.f, &CheckOptions{Domains: domains("example.com", "weak.example")}); err != nil {
		t.Fatalf("warnings only: %v", err)
	}
	var got []struct {
		Domain   string `json:"domain"`
		Status   string `json:"status"`
		Policy   *struct{ Applied string }
		Findings []struct{ Code string }
	}
	if err := json.Unmarshal(env.out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Policy.Applied != "reject" || len(got[0].Findings) != 0 || got[0].Status != "pass" || got[1].Status != "warn" || got[1].Findings[0].Code != "dmarc.policy-none" {
		t.Errorf("got %+v", got)
	}

	// A DNS failure is "could not complete" (exit 3), never a failed check.
	for _, d := range []string{"slow.example", "servfail.example"} {
		env = newEnv("table")
		if err := runCheck(env.f, &CheckOptions{Domains: domains(d)}); cmdutil.ExitCode(err) != 3 {
			t.Errorf("%s: exit %d", d, cmdutil.ExitCode(err))
		}
		if !strings.Contains(env.out.String(), d+": error") || !strings.Contains(env.out.String(), "incomplete: ") {
			t.Errorf("%s: stdout %q", d, env.out)
		}
	}
	// A failure outranks an error; the run fails.
	env = newEnv("table")
	if err := runCheck(env.f, &CheckOptions{Domains: domains("servfail.example", "nothing.example")}); cmdutil.ExitCode(err) != 1 {
		t.Errorf("fail and error: exit %d", cmdutil.ExitCode(err))
	}
	if !strings.Contains(env.out.String(), "nothing.example: fail") || !strings.Contains(env.out.String(), "error dmarc.no-record") {
		t.Errorf("no record: stdout %q", env.out)
	}

	// IDN: asked in A-labels, shown in both forms.
	env = newEnv("table")
	if err := runCheck(env.f, &CheckOptions{Domains: domains("bücher.example")}); err != nil { // no rua: a warning
		t.Errorf("idn: %v", err)
	}
	if !strings.HasPrefix(env.out.String(), "xn--bcher-kva.example (bücher.example): warn\n") {
		t.Errorf("idn: stdout %q", env.out)
	}
	if a := env.fake.Asked(); len(a) == 0 || a[0] != "_dmarc.xn--bcher-kva.example TXT" {
		t.Errorf("idn: asked %v", a)
	}

	// -q: the status line and the warnings and errors, nothing else.
	env = newEnv("table")
	env.f.IO.Quiet = true
	if err := runCheck(env.f, &CheckOptions{Domains: domains("example.com", "weak.example")}); err != nil {
		t.Fatal(err)
	}
	want := "example.com: pass\nweak.example: warn\n  warning dmarc.policy-none: "
	if !strings.HasPrefix(env.out.String(), want) || strings.Contains(env.out.String(), "fix:") || strings.Contains(env.out.String(), "discovery") {
		t.Errorf("-q: stdout %q", env.out)
	}
}

func TestRunBuild(t *testing.T) {
	env := newEnv("table")
	if err := runBuild(env.f, &BuildOptions{}); cmdutil.ExitCode(err) != 2 {
		t.Errorf("empty policy: %v", err)
	}
	build := func(domain string, ttl uint32, rua ...string) *BuildOptions {
		b := &BuildOptions{}
		if domain != "" {
			b.Domain = domains(domain)[0]
		}
		b.Record.Domain, b.Record.Policy, b.Record.RUA, b.Record.TTL = b.Domain.ASCII, "reject", rua, ttl
		return b
	}

	// Without a domain: no DNS query, the record and a relative zone line.
	env = newEnv("table")
	noResolver(t, env)
	if err := runBuild(env.f, build("", 3600, "r@vendor.example")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(env.out.String(), "zone:   _dmarc 3600 IN TXT \"v=DMARC1; p=reject; rua=mailto:r@vendor.example\"") ||
		!strings.Contains(env.out.String(), "<your-domain>._report._dmarc.vendor.example. 3600 IN TXT") || strings.Contains(env.out.String(), "findings") {
		t.Errorf("no domain: %s", env.out)
	}
	env = newEnv("table")
	noResolver(t, env)
	env.f.IO.Quiet = true
	if err := runBuild(env.f, build("", 3600, "r@vendor.example")); err != nil || env.out.String() != "v=DMARC1; p=reject; rua=mailto:r@vendor.example\n" || env.errOut.Len() > 0 {
		t.Errorf("no domain, -q: %v %q %q", err, env.out, env.errOut)
	}

	// --skip-destinations: no DNS query either.
	env = newEnv("json")
	noResolver(t, env)
	b := build("example.com", 300, "r@vendor.example")
	b.SkipDestinations = true
	if err := runBuild(env.f, b); err != nil || !strings.Contains(env.out.String(), `"destinations_checked": false`) || !strings.Contains(env.out.String(), `"zone_line": "_dmarc.example.com. 300 IN TXT`) {
		t.Errorf("skip: %v %s", err, env.out)
	}

	for _, tc := range []struct {
		name   string
		opts   *BuildOptions
		code   int
		status string
		want   string // in the table
	}{
		{"same organization", build("example.com", 3600, "dmarc@example.com"), 0, "pass", "findings: none"},
		{"authorized", build("example.com", 3600, "r@authorized.example"), 0, "pass", "authorized.example is an external destination and publishes its authorization record:\n  example.com._report._dmarc.authorized.example. 3600 IN TXT \"v=DMARC1\""},
		{"unauthorized", build("example.com", 600, "r@vendor.example"), 1, "fail", "error dmarc.unauthorized-destination: rua destination mailto:r@vendor.example"},
		{"cannot receive", build("example.com", 3600, "dmarc@example.com", "x@nomail.example"), 1, "fail", "error dmarc.destination-cannot-receive"},
		{"servfail", build("example.com", 3600, "r@flaky.example"), 3, "error", "incomplete: "},
	} {
		env := newEnv("table")
		if err := runBuild(env.f, tc.opts); cmdutil.ExitCode(err) != tc.code {
			t.Errorf("%s: exit %d (%v), want %d", tc.name, cmdutil.ExitCode(err), err, tc.code)
		}
		if !strings.Contains(env.out.String(), tc.want) {
			t.Errorf("%s: stdout lacks %q:\n%s", tc.name, tc.want, env.out)
		}
		env = newEnv("json")
		_ = runBuild(env.f, tc.opts)
		var got struct {
			Status  string
			Checked bool `json:"destinations_checked"`
		}
		if err := json.Unmarshal(env.out.Bytes(), &got); err != nil || got.Status != tc.status || !got.Checked {
			t.Errorf("%s: json %+v (%v)", tc.name, got, err)
		}
		// -q: the zone line alone on stdout, error findings on stderr.
		env = newEnv("table")
		env.f.IO.Quiet = true
		_ = runBuild(env.f, tc.opts)
		if lines := strings.Split(strings.TrimSuffix(env.out.String(), "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "_dmarc.example.com. ") {
			t.Errorf("%s: -q stdout %q", tc.name, env.out)
		}
		if (tc.code != 0) != (env.errOut.Len() > 0) {
			t.Errorf("%s: -q stderr %q", tc.name, env.errOut)
		}
	}
}

func TestRunEval(t *testing.T) {
	for _, tc := range []struct {
		opts   EvalOptions
		code   int
		want   string
		status string
	}{
		{EvalOptions{From: "example.com", DKIMPass: []string{"example.com"}}, 0, `"result": "pass"`, "pass"},
		{EvalOptions{From: "example.com", SPFPass: []string{"other.example"}}, 1, `"result": "fail"`, "fail"},
		{EvalOptions{From: "slow.example"}, 3, `"result": "temperror"`, "error"},
		{EvalOptions{From: "servfail.example"}, 3, `"result": "temperror"`, "error"},
		{EvalOptions{From: "nothing.example"}, 0, `"result": "none"`, "skip"},
	} {
		env := newEnv("json")
		err := runEval(env.f, &tc.opts)
		if cmdutil.ExitCode(err) != tc.code || !strings.Contains(env.out.String(), tc.want) || !strings.Contains(env.out.String(), `"status": "`+tc.status+`"`) {
			t.Errorf("%+v: exit %d, output %s", tc.opts, cmdutil.ExitCode(err), env.out)
		}
	}
	env := newEnv("table")
	env.f.IO.Quiet = true
	if err := runEval(env.f, &EvalOptions{From: "user@example.com", DKIMPass: []string{"example.com"}}); err != nil {
		t.Fatal(err)
	}
	if got := env.out.String(); got != "dmarc:       pass\npolicy:      reject (p); the message passed, so no action\n" {
		t.Errorf("-q: %q", got)
	}
}

func TestRunOrgDomain(t *testing.T) {
	env := newEnv("table")
	if err := runOrgDomain(env.f, &OrgDomainOptions{Domains: domains("www.bücher.example", "mail.example.com")}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(env.out.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "www.xn--bcher-kva.example (www.bücher.example)  xn--bcher-kva.example (bücher.example)") ||
		!strings.HasPrefix(lines[2], "mail.example.com") {
		t.Errorf("table:\n%s", env.out)
	}
	// The second column starts at the same display column on every line,
	// though "ü" takes two bytes.
	col := report.Width(lines[0][:strings.Index(lines[0], "TREE WALK")])
	for _, l := range lines[1:] {
		i := strings.Index(l, "  ") + 2
		for l[i] == ' ' {
			i++
		}
		if got := report.Width(l[:i]); got != col {
			t.Errorf("column 2 at %d, want %d:\n%s", got, col, env.out)
		}
	}
	if a := env.fake.Asked(); len(a) == 0 || a[0] != "_dmarc.www.xn--bcher-kva.example TXT" {
		t.Errorf("asked %v", a)
	}
	env = newEnv("json")
	if err := runOrgDomain(env.f, &OrgDomainOptions{Domains: domains("www.slow.example", "example.com")}); cmdutil.ExitCode(err) != 3 {
		t.Errorf("timeout: %v", err)
	}
	if !strings.Contains(env.out.String(), `"status": "error"`) || !strings.Contains(env.out.String(), `"status": "pass"`) {
		t.Errorf("json %s", env.out)
	}
	env = newEnv("table")
	env.f.IO.Quiet = true
	noResolver(t, env)
	if err := runOrgDomain(env.f, &OrgDomainOptions{PSLOnly: true, Domains: domains("a.b.example.co.uk")}); err != nil || env.out.String() != "DOMAIN             PUBLIC SUFFIX LIST\na.b.example.co.uk  example.co.uk\n" {
		t.Errorf("-q --psl: %v %q", err, env.out)
	}
}

// hostile is the text strangers put in DNS records and reports: terminal
// escape sequences (a title change ending in BEL, a screen clear), NUL, a
// bidi override, invalid UTF-8, a C1 CSI, DEL, a line break and a carriage
// return.
const hostile = "\x1b]0;pwned\x07\x1b[2J\x00\u202eevil\xff\xfe\u009b31m\x7f\nforged line\r"

func hostileEnv(output string) *testEnv {
	env := newEnv(output)
	env.fake.AddTXT("_dmarc.evil.example", "v=DMARC1; p=reject"+hostile+"; rua=mailto:r@vendor.example; x"+hostile+"=1")
	env.fake.AddTXT("_dmarc.evil2.example", "v=DMARC1"+hostile+"; p=none")
	env.fake.AddTXT("_dmarc.evil3.example", "v=DMARC1; p=quarantine; adkim="+hostile+"; rua=mailto:a"+hostile+"@evil3.example,mailto:b@ev"+hostile+".example")
	env.fake.AddTXT("evil4.example", "v=DMARC1; p=reject"+hostile)
	env.fake.AddTXT("_dmarc.evil5.example", "v=DMARC1; p=reject")
	env.fake.AddTXT("_dmarc.evil5.example", hostile)
	return env
}

// assertSafe fails when b holds anything a terminal would act on: a
// control character other than newline, DEL, a C1 control, a bidi control,
// or invalid UTF-8. With colour, the SGR sequences of the colour scheme are
// allowed (and only those).
func assertSafe(t *testing.T, what string, b []byte, color bool) {
	t.Helper()
	if color {
		b = regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAll(b, nil)
	}
	if err := report.CheckSafe(string(b)); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func TestHostileInput(t *testing.T) {
	evil := []string{"evil.example", "evil2.example", "evil3.example", "evil4.example", "evil5.example"}
	for _, output := range []string{"table", "json"} {
		for _, quiet := range []bool{false, true} {
			for _, color := range []bool{false, true} {
				name := output
				if quiet {
					name += " -q"
				}
				if color {
					name += " colour"
				}
				runs := []struct {
					cmd string
					run func(*testEnv) error
				}{
					{"check", func(env *testEnv) error {
						env.f.IO.Verbosity = 1 // the TXT records too
						return runCheck(env.f, &CheckOptions{Domains: domains(evil...)})
					}},
					{"eval", func(env *testEnv) error {
						return runEval(env.f, &EvalOptions{From: "evil.example", SPFPass: []string{"evil3.example"}})
					}},
					{"eval evil3", func(env *testEnv) error { return runEval(env.f, &EvalOptions{From: "evil3.example"}) }},
					{"build", func(env *testEnv) error {
						o := &BuildOptions{Domain: domains("evil.example")[0]}
						o.Record.Domain, o.Record.Policy, o.Record.TTL, o.Record.RUA = "evil.example", "reject", 3600, []string{"r@evil3.example", "r@vendor.example"}
						return runBuild(env.f, o)
					}},
					{"orgdomain", func(env *testEnv) error {
						return runOrgDomain(env.f, &OrgDomainOptions{Domains: domains(evil...)})
					}},
				}
				for _, r := range runs {
					env := hostileEnv(output)
					env.f.IO.Quiet, env.f.IO.Color = quiet, color
					err := r.run(env)
					if code := cmdutil.ExitCode(err); code == 2 {
						t.Errorf("%s %s: %v", r.cmd, name, err)
					}
					if env.out.Len() == 0 {
						t.Errorf("%s %s: no output", r.cmd, name)
					}
					assertSafe(t, r.cmd+" "+name+" stdout", env.out.Bytes(), color)
					assertSafe(t, r.cmd+" "+name+" stderr", env.errOut.Bytes(), color)
					if output == "json" && !json.Valid(env.out.Bytes()) {
						t.Errorf("%s %s: invalid JSON:\n%s", r.cmd, name, env.out)
					}
					if output == "table" && strings.Contains(env.out.String(), "\nforged line") {
						t.Errorf("%s %s: a line break from DNS reached the output:\n%s", r.cmd, name, env.out)
					}
				}
			}
		}
	}
	// The escapes are visible, not dropped.
	env := hostileEnv("table")
	_ = runCheck(env.f, &CheckOptions{Domains: domains("evil.example")})
	for _, want := range []string{`\x1b]0;pwned`, `\u202e`} {
		if !strings.Contains(env.out.String(), want) {
			t.Errorf("check: %q is not shown:\n%s", want, env.out)
		}
	}
}
