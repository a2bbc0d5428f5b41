package reportcmd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func run(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

func TestRenderFlags(t *testing.T) {
	f := &cmdutil.Factory{}
	for _, c := range []struct {
		args []string
		want RenderOptions
	}{
		{[]string{"a.json"}, RenderOptions{Files: []string{"a.json"}, FailOn: finding.Error, Sort: "input"}},
		{[]string{"--fail-on", "warning", "--only", "FAIL", "--summary", "--sort", "Status", "a.jsonl", "-", "b.jsonl"},
			RenderOptions{Files: []string{"a.jsonl", "-", "b.jsonl"}, FailOn: finding.Warning, Only: finding.StatusFail, Summary: true, Sort: "status"}},
		{[]string{"--only", "warning", "--fail-on", "warn", "x"}, RenderOptions{Files: []string{"x"}, FailOn: finding.Warning, Only: finding.StatusWarn, Sort: "input"}},
	} {
		var got *RenderOptions
		if err := run(NewCmdRender(f, func(o *RenderOptions) error { got = o; return nil }), c.args...); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if strings.Join(got.Files, " ") != strings.Join(c.want.Files, " ") || got.FailOn != c.want.FailOn || got.Only != c.want.Only || got.Summary != c.want.Summary || got.Sort != c.want.Sort {
			t.Errorf("%v: %+v, want %+v", c.args, *got, c.want)
		}
	}
	for _, args := range [][]string{
		{},
		{"--fail-on", "info", "a.json"},
		{"--fail-on", "never", "a.json"},
		{"--sort", "size", "a.json"},
		{"--only", "pass", "a.json"},
	} {
		err := run(NewCmdRender(f, func(*RenderOptions) error { t.Fatal("ran"); return nil }), args...)
		if err == nil {
			t.Errorf("%v: accepted", args)
			continue
		}
		var fe *cmdutil.FlagError
		if !errors.As(err, &fe) && !strings.Contains(err.Error(), "--only") && !strings.Contains(err.Error(), "arg") {
			t.Errorf("%v: %v is not a usage error", args, err)
		}
	}
	// Help lists every format, and the group has the command.
	cmd := NewCmdReport(f)
	render, _, err := cmd.Find([]string{"render"})
	if err != nil || render.Name() != "render" {
		t.Fatalf("report render: %v", err)
	}
	if usage := render.Flags().Lookup("output").Usage; !strings.Contains(usage, "html") || !strings.Contains(usage, "markdown") {
		t.Errorf("--output usage %q", usage)
	}
}

const stored = `{"domain":"ok.example","status":"pass","checks":[{"check":"mx","status":"pass","records":["0 ."],"findings":[],"details":{}}]}
{"domain":"bad.example","status":"fail","checks":[{"check":"spf","status":"fail","records":["v=spf1 +all"],"findings":[{"code":"spf.pass-all","severity":"error","message":"+all lets anyone send","fix":"publish \"v=spf1 -all\""}],"details":{}}]}
`

func TestRenderRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "night.jsonl")
	if err := os.WriteFile(path, []byte(stored), 0o644); err != nil {
		t.Fatal(err)
	}
	io, _, out, errOut := cmdutil.Test()
	io.Verbosity = 1
	f := &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{Output: "jsonl"}, Getenv: func(string) string { return "" }}
	err := runRender(f, &RenderOptions{Files: []string{path}, FailOn: finding.Error, Sort: "status"})
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Code != cmdutil.ExitFailed {
		t.Fatalf("exit: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"domain":"bad.example"`) {
		t.Errorf("sorted by status:\n%s", out)
	}
	if !strings.Contains(errOut.String(), "night.jsonl: 2 domain results, 0 whole reports") {
		t.Errorf("stderr %q", errOut)
	}

	// Standard input, once, whatever the number of "-".
	io, in, out, _ := cmdutil.Test()
	in.WriteString(stored)
	f = &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{Output: "table"}, Getenv: func(string) string { return "" }}
	err = runRender(f, &RenderOptions{Files: []string{"-", "-"}, FailOn: finding.Error, Only: finding.StatusFail})
	if !errors.As(err, &ee) || ee.Code != cmdutil.ExitFailed {
		t.Fatalf("exit: %v", err)
	}
	if got := out.String(); strings.Contains(got, "ok.example") || !strings.Contains(got, "bad.example  FAIL") || !strings.Contains(got, "1 domain less severe than fail not shown") {
		t.Errorf("table, only fail:\n%s", got)
	}

	// A directory is bad input, named.
	io, _, _, _ = cmdutil.Test()
	f = &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{Output: "json"}, Getenv: func(string) string { return "" }}
	err = runRender(f, &RenderOptions{Files: []string{dir}, FailOn: finding.Error})
	if cmdutil.ExitCode(err) != cmdutil.ExitBadInput || !strings.Contains(err.Error(), dir) {
		t.Errorf("a directory: %v", err)
	}

	// A write error is could-not-complete (3), not a result.
	io, _, _, _ = cmdutil.Test()
	io.Out = failWriter{}
	f = &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{Output: "json"}, Getenv: func(string) string { return "" }}
	err = runRender(f, &RenderOptions{Files: []string{path}, FailOn: finding.Error})
	if cmdutil.ExitCode(err) != cmdutil.ExitIncomplete {
		t.Errorf("write error: %v (exit %d)", err, cmdutil.ExitCode(err))
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
