package dmarc

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const testZone = `_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
example.com. 300 IN MX 10 mx.example.com.
_dmarc.weak.example. 300 IN TXT "v=DMARC1; p=none"
`

func run(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

func testFactory(output string) (*cmdutil.Factory, *dnstest.Fake, *bytes.Buffer, *bytes.Buffer) {
	io, _, out, errOut := cmdutil.Test()
	fake := dnstest.NewFake(testZone)
	fake.Timeout("_dmarc.slow.example", 0)
	f := &cmdutil.Factory{
		IO:          io,
		Global:      &cmdutil.GlobalOptions{Output: output},
		Now:         func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return fake, nil },
	}
	return f, fake, out, errOut
}

func TestFlags(t *testing.T) {
	f := &cmdutil.Factory{}
	var b *BuildOptions
	if err := run(NewCmdBuild(f, func(o *BuildOptions) error { b = o; return nil }), "--policy", "reject", "--rua", "a@example.com", "--rua", "mailto:b@example.com", "--testing", "--np", "reject"); err != nil {
		t.Fatal(err)
	}
	if b.Policy != "reject" || len(b.RUA) != 2 || !b.Testing || b.NP != "reject" {
		t.Errorf("build options %+v", b)
	}
	var e *EvalOptions
	if err := run(NewCmdEval(f, func(o *EvalOptions) error { e = o; return nil }), "--from", "a@example.com", "--spf-pass", "example.com", "--dkim-pass", "x.example", "--dkim-pass", "y.example"); err != nil {
		t.Fatal(err)
	}
	if e.From != "a@example.com" || len(e.SPFPass) != 1 || len(e.DKIMPass) != 2 {
		t.Errorf("eval options %+v", e)
	}
	var r *ReportOptions
	if err := run(NewCmdReport(f, func(o *ReportOptions) error { r = o; return nil }), "--max-size", "2MiB", "a.xml"); err != nil {
		t.Fatal(err)
	}
	if r.Limits.MaxXML != 2<<20 || r.Limits.MaxInput != 2<<20 || r.Files[0] != "a.xml" {
		t.Errorf("report options %+v", r)
	}
	for _, tc := range []struct {
		cmd  *cobra.Command
		args []string
		code int
	}{
		{NewCmdBuild(f, nil), []string{}, 2},
		{NewCmdEval(f, nil), []string{}, 2},
		{NewCmdEval(f, nil), []string{"--from", "a..b"}, 2},
		{NewCmdCheck(f, nil), []string{"a..b"}, 2},
		{NewCmdReport(f, nil), []string{"--max-size", "0", "x"}, 2},
	} {
		if err := run(tc.cmd, tc.args...); cmdutil.ExitCode(err) != tc.code {
			t.Errorf("%s %v: exit %d (%v), want %d", tc.cmd.Name(), tc.args, cmdutil.ExitCode(err), err, tc.code)
		}
	}
}

func TestRunCheck(t *testing.T) {
	f, _, out, _ := testFactory("json")
	if err := runCheck(f, &CheckOptions{Domains: []string{"example.com", "weak.example"}}); err != nil {
		t.Fatalf("warnings only: %v", err)
	}
	var got []struct {
		Domain   string `json:"domain"`
		Policy   *struct{ Applied string }
		Findings []struct{ Code string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Policy.Applied != "reject" || len(got[0].Findings) != 0 || got[1].Findings[0].Code != "dmarc.policy-none" {
		t.Errorf("got %+v", got)
	}
	f, _, _, errOut := testFactory("table")
	if err := runCheck(f, &CheckOptions{Domains: []string{"slow.example"}}); cmdutil.ExitCode(err) != 3 {
		t.Errorf("timeout: exit %d", cmdutil.ExitCode(err))
	}
	if !strings.Contains(errOut.String(), "timed out") {
		t.Errorf("stderr %q", errOut)
	}
	f, _, _, _ = testFactory("table")
	if err := runCheck(f, &CheckOptions{Domains: []string{"nothing.example"}}); cmdutil.ExitCode(err) != 1 {
		t.Errorf("no record: exit %d", cmdutil.ExitCode(err))
	}
}

func TestRunEval(t *testing.T) {
	for _, tc := range []struct {
		opts EvalOptions
		code int
		want string
	}{
		{EvalOptions{From: "example.com", DKIMPass: []string{"example.com"}}, 0, `"result": "pass"`},
		{EvalOptions{From: "example.com", SPFPass: []string{"other.example"}}, 1, `"result": "fail"`},
		{EvalOptions{From: "slow.example"}, 3, `"result": "temperror"`},
		{EvalOptions{From: "nothing.example"}, 0, `"result": "none"`},
	} {
		f, _, out, _ := testFactory("json")
		err := runEval(f, &tc.opts)
		if cmdutil.ExitCode(err) != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%+v: exit %d, output %s", tc.opts, cmdutil.ExitCode(err), out)
		}
	}
}

func TestRunBuildAndReport(t *testing.T) {
	f, _, out, _ := testFactory("table")
	if err := runBuild(f, &BuildOptions{}); cmdutil.ExitCode(err) != 2 {
		t.Errorf("empty policy: %v", err)
	}
	b := &BuildOptions{}
	b.Policy, b.Domain, b.RUA = "reject", "example.com", []string{"r@vendor.example.net"}
	if err := runBuild(f, b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "example.com._report._dmarc.vendor.example.net. 3600 IN TXT \"v=DMARC1\"") {
		t.Errorf("out %s", out)
	}
	dir := filepath.Join("..", "..", "..", "testdata", "dmarc", "reports")
	f, _, out, _ = testFactory("csv")
	if err := runReport(f, &ReportOptions{Files: []string{filepath.Join(dir, "rfc7489-example.com.xml")}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "198.51.100.7,15,0,15,") {
		t.Errorf("csv %q", lines)
	}
	f, _, _, _ = testFactory("table")
	bad := filepath.Join(t.TempDir(), "x.xml")
	os.WriteFile(bad, []byte("<feedback>"), 0o644)
	if err := runReport(f, &ReportOptions{Files: []string{bad}}); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "x.xml") {
		t.Errorf("bad report: %v", err)
	}
}
