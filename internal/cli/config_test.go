package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// runProbe runs the root command with a test-only subcommand that records
// the global options it was given.
func runProbe(t *testing.T, env map[string]string, args ...string) (*cmdutil.GlobalOptions, int, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	io, _, _, errOut := cmdutil.Test()
	f := NewFactory(io)
	f.Getenv = func(k string) string { return env[k] }
	var got *cmdutil.GlobalOptions
	root := NewCmdRoot(f)
	probe := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error {
		got = f.Global
		return nil
	}}
	cmdutil.AddOutputFlag(probe, "table", "json")
	root.AddCommand(probe)
	root.SetArgs(append([]string{"probe"}, args...))
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	_, err := root.ExecuteC()
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return got, cmdutil.ExitCode(err), errOut.String()
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("timeout: 7s\nretries: 5\nresolver:\n  - 192.0.2.1\n  - 192.0.2.2:5353\noutput: json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("defaults", func(t *testing.T) {
		g, code, msg := runProbe(t, map[string]string{"HOME": dir})
		if code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		if g.Timeout != 2*time.Second || g.Retries != 2 || g.Output != "table" || len(g.Resolvers) != 0 {
			t.Errorf("defaults = %+v", g)
		}
	})
	t.Run("file", func(t *testing.T) {
		g, code, msg := runProbe(t, nil, "--config", cfg)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		if g.Timeout != 7*time.Second || g.Retries != 5 || g.Output != "json" || strings.Join(g.Resolvers, " ") != "192.0.2.1 192.0.2.2:5353" {
			t.Errorf("from file = %+v", g)
		}
		if g.ConfigFile != cfg {
			t.Errorf("ConfigFile = %q", g.ConfigFile)
		}
	})
	t.Run("env beats file", func(t *testing.T) {
		g, _, _ := runProbe(t, map[string]string{"EMAILAUTH_TIMEOUT": "3s", "EMAILAUTH_RESOLVER": "198.51.100.1, 198.51.100.2"}, "--config", cfg)
		if g.Timeout != 3*time.Second || g.Retries != 5 || strings.Join(g.Resolvers, " ") != "198.51.100.1 198.51.100.2" {
			t.Errorf("env over file = %+v", g)
		}
	})
	t.Run("flag beats env", func(t *testing.T) {
		g, _, _ := runProbe(t, map[string]string{"EMAILAUTH_TIMEOUT": "3s"}, "--config", cfg, "--timeout", "4s", "--resolver", "203.0.113.1")
		if g.Timeout != 4*time.Second || strings.Join(g.Resolvers, " ") != "203.0.113.1" {
			t.Errorf("flag over env = %+v", g)
		}
	})
	t.Run("xdg config home", func(t *testing.T) {
		xdg := filepath.Join(dir, "xdg")
		if err := os.MkdirAll(filepath.Join(xdg, "emailauth"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(xdg, "emailauth", "config.yaml"), []byte("retries: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		g, _, _ := runProbe(t, map[string]string{"XDG_CONFIG_HOME": xdg})
		if g.Retries != 1 {
			t.Errorf("retries from XDG config = %d", g.Retries)
		}
	})
	t.Run("NO_COLOR", func(t *testing.T) {
		g, _, _ := runProbe(t, map[string]string{"NO_COLOR": "1", "HOME": dir})
		if !g.NoColor {
			t.Error("NO_COLOR not honoured")
		}
	})
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("timeout: 2s\nresolver: [192.0.2.1\nretries: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"malformed file", []string{"--config", bad}, "bad.yaml: malformed config file: line"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml: config file not found"},
		{"negative timeout", []string{"--timeout", "-1s"}, `invalid --timeout "-1s"`},
		{"zero timeout", []string{"--timeout", "0s"}, `invalid --timeout "0s"`},
		{"retries", []string{"--retries", "99"}, "invalid --retries 99"},
		{"output", []string{"-o", "xml"}, `invalid --output "xml"`},
		{"unknown key", []string{"--config", write("typo.yaml", "timeout: 2s\nresolvers:\n  - 192.0.2.1\n")}, `typo.yaml: line 2: unknown key "resolvers"`},
		{"unknown nested key", []string{"--config", write("nested.yaml", "dkim:\n  selector: [s1]\n")}, `nested.yaml: line 2: unknown key "dkim.selector"`},
		{"wrong type", []string{"--config", write("type.yaml", "retries: many\n")}, `type.yaml: line 1: cannot unmarshal`},
		{"wrong shape", []string{"--config", write("shape.yaml", "dkim: s1\n")}, `shape.yaml: line 1: "dkim" holds a single value; want a mapping`},
		{"duplicate key", []string{"--config", write("dup.yaml", "tcp: true\ntcp: false\n")}, `key "tcp" given twice`},
		{"output from config", []string{"--config", write("out.yaml", "output: xml\n")}, `invalid --output "xml" (from `},
		{"offline without zone", []string{"--offline"}, "--offline needs at least one --zone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, code, msg := runProbe(t, map[string]string{"HOME": dir}, tc.args...)
			if code != cmdutil.ExitBadInput {
				t.Errorf("exit %d, want 2 (%s)", code, msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
		})
	}
}

// TestConfigHints: an unknown key's error names the nearest known key.
func TestConfigHints(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte("resolvers: [192.0.2.1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	io, _, _, _ := cmdutil.Test()
	f := NewFactory(io)
	f.Getenv = func(string) string { return "" }
	root := NewCmdRoot(f)
	probe := &cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error { return nil }}
	root.AddCommand(probe)
	root.SetArgs([]string{"probe", "--config", p})
	_, err := root.ExecuteC()
	if hint := cmdutil.HintFor(err); !strings.Contains(hint, `did you mean "resolver"?`) {
		t.Errorf("hint %q (error %v)", hint, err)
	}
}

func TestConfigValues(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("dkim:\n  selectors: [mailu, s2]\nzone: a.zone, b.zone\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, code, msg := runProbe(t, nil, "--config", cfg, "-o", "JSON")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if strings.Join(g.DKIMSelectors, " ") != "mailu s2" || strings.Join(g.Zones, " ") != "a.zone b.zone" || g.Output != "json" {
		t.Errorf("values = %+v", g)
	}
	g, _, _ = runProbe(t, map[string]string{"EMAILAUTH_DKIM_SELECTORS": "x1,x2"}, "--config", cfg)
	if strings.Join(g.DKIMSelectors, " ") != "x1 x2" {
		t.Errorf("env selectors = %v", g.DKIMSelectors)
	}
}

// TestPanicIsReportedNotDumped: a panic anywhere in a command is a bug,
// reported in two lines asking for a bug report, exit 3, no stack trace.
func TestPanicIsReportedNotDumped(t *testing.T) {
	io, _, out, errOut := cmdutil.Test()
	f := NewFactory(io)
	f.Getenv = func(string) string { return "" }
	root := NewCmdRoot(f)
	root.AddCommand(&cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error {
		var steps []string
		_ = steps[len(os.Args)+3] // an index out of range: a runtime panic
		return nil
	}})
	code := run(f, root, []string{"boom"})
	if code != cmdutil.ExitIncomplete {
		t.Errorf("exit %d, want 3", code)
	}
	msg := errOut.String()
	if !strings.Contains(msg, "emailauth: internal error: runtime error: index out of range") || !strings.Contains(msg, "This is a bug in emailauth") {
		t.Errorf("stderr: %q", msg)
	}
	if strings.Contains(msg, "goroutine") || strings.Contains(msg, ".go:") || out.Len() != 0 {
		t.Errorf("a stack trace or output leaked: %q / %q", msg, out.String())
	}
}

func TestConfigProfileKeys(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("profile: profiles/p.yaml\ntenants: /abs/tenants.yaml\n"), 0o644)
	g, code, msg := runProbe(t, nil, "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if g.Profile != filepath.Join(dir, "profiles/p.yaml") || g.ProfileInConfig || g.Tenants != "/abs/tenants.yaml" {
		t.Errorf("paths relative to the config file: %+v", g)
	}
	os.WriteFile(cfg, []byte("profile:\n  name: inline\n  spf:\n    include: [_spf.p.example]\n"), 0o644)
	g, code, msg = runProbe(t, nil, "--config", cfg)
	if code != 0 || g.Profile != cfg || !g.ProfileInConfig {
		t.Errorf("inline profile: %+v, exit %d: %s", g, code, msg)
	}
	g, _, _ = runProbe(t, map[string]string{"EMAILAUTH_PROFILE": "env.yaml"}, "--config", cfg)
	if g.Profile != "env.yaml" || g.ProfileInConfig {
		t.Errorf("environment: %+v", g)
	}
	os.WriteFile(cfg, []byte("profile: [a, b]\n"), 0o644)
	if _, code, msg := runProbe(t, nil, "--config", cfg); code != 2 || !strings.Contains(msg, "want a file name or a mapping") {
		t.Errorf("a list: exit %d: %s", code, msg)
	}
	os.WriteFile(cfg, []byte("tenant: t.yaml\n"), 0o644)
	if _, code, msg := runProbe(t, nil, "--config", cfg); code != 2 || !strings.Contains(msg, `unknown key "tenant"`) {
		t.Errorf("a typo: exit %d: %s", code, msg)
	}
}

// TestNowPinsTheClock: --now (and EMAILAUTH_NOW) pins the clock for
// reproducible output.
func TestNowPinsTheClock(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want time.Time
	}{
		{nil, []string{"--now", "2026-11-23T12:00:00Z"}, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)},
		{nil, []string{"--now", "1795435200"}, time.Unix(1795435200, 0).UTC()},
		{map[string]string{"EMAILAUTH_NOW": "2026-01-02T03:04:05Z"}, nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		io, _, _, _ := cmdutil.Test()
		f := NewFactory(io)
		f.Getenv = func(k string) string { return tc.env[k] }
		var got time.Time
		root := NewCmdRoot(f)
		root.AddCommand(&cobra.Command{Use: "probe", RunE: func(*cobra.Command, []string) error { got = f.Now(); return nil }})
		root.SetArgs(append([]string{"probe"}, tc.args...))
		if _, err := root.ExecuteC(); err != nil || !got.Equal(tc.want) {
			t.Errorf("%v %v: now %s, err %v; want %s", tc.env, tc.args, got, err, tc.want)
		}
	}
	_, code, msg := runProbe(t, nil, "--now", "yesterday")
	if code != 2 || !strings.Contains(msg, `invalid --now "yesterday"`) {
		t.Errorf("bad --now: exit %d %s", code, msg)
	}
}
