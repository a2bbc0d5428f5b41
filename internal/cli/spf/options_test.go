package spf

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

// run executes cmd with args and returns what Cobra wrote to stderr
// (deprecation notices) and its error.
func run(cmd *cobra.Command, args ...string) (string, error) {
	var errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return errOut.String(), err
}

func exitCode(err error) int { return cmdutil.ExitCode(err) }

// flagFactory is a Factory for flag-parsing tests: streams only, and stderr
// (notes) returned.
func flagFactory() (*cmdutil.Factory, *bytes.Buffer) {
	io, _, _, errOut := cmdutil.Test()
	return &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{}}, errOut
}

func TestEvalFlags(t *testing.T) {
	f, _ := flagFactory()
	var got *EvalOptions
	capture := func(o *EvalOptions) error { got = o; return nil }
	if _, err := run(NewCmdEval(f, capture), "--ip", "192.0.2.1", "--mail-from", "a@example.com", "--helo", "mx.example.net"); err != nil {
		t.Fatal(err)
	}
	if got.IP.String() != "192.0.2.1" || got.MailFrom != "a@example.com" || got.Helo != "mx.example.net" || got.Receiver != "unknown" {
		t.Errorf("options: %+v", got)
	}
	got = nil
	if _, err := run(NewCmdEval(f, capture), "--ip", "2001:db8::1", "--mail-from", "", "--helo", "mx.example.net"); err != nil || got.MailFrom != "" {
		t.Fatalf("null reverse-path: %v %+v", err, got)
	}
	// A domain in U-labels is asked in A-label form; the local part is
	// left alone.
	got = nil
	if _, err := run(NewCmdEval(f, capture), "--ip", "192.0.2.1", "--mail-from", "Jörg@Bücher.example", "--helo", "mx.bücher.example"); err != nil {
		t.Fatal(err)
	}
	if got.MailFrom != "Jörg@xn--bcher-kva.example" || got.Helo != "mx.xn--bcher-kva.example" {
		t.Errorf("IDN: mail-from %q, helo %q", got.MailFrom, got.Helo)
	}
	// A malformed ASCII domain is check_host()'s to judge (none), not bad
	// input.
	got = nil
	if _, err := run(NewCmdEval(f, capture), "--ip", "192.0.2.1", "--mail-from", "a@foo..example"); err != nil || got.MailFrom != "a@foo..example" {
		t.Errorf("malformed domain: %v %+v", err, got)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--mail-from", "a@example.com"}, 2},
		{[]string{"--ip", "192.0.2.300", "--mail-from", "a@example.com"}, 2},
		{[]string{"--ip", "fe80::1%eth0", "--mail-from", "a@example.com"}, 2},
		{[]string{"--ip", "192.0.2.1"}, 2},
		{[]string{"--ip", "192.0.2.1", "--mail-from", ""}, 2},
		{[]string{"--ip", "192.0.2.1", "--mail-from", "nobody"}, 2},
	} {
		_, err := run(NewCmdEval(f, capture), tc.args...)
		if err == nil || exitCode(err) != tc.code {
			t.Errorf("%v: error %v (exit %d), want exit %d", tc.args, err, exitCode(err), tc.code)
		}
	}
}

// The old spelling --sender keeps working, and says it is deprecated.
func TestEvalDeprecatedSender(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--ip", "192.0.2.1", "--sender", "a@example.com"}, "a@example.com"},
		{[]string{"--ip", "192.0.2.1", "--sender=", "--helo", "mx.example.net"}, ""},
	} {
		f, errOut := flagFactory()
		var got *EvalOptions
		cobraOut, err := run(NewCmdEval(f, func(o *EvalOptions) error { got = o; return nil }), tc.args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		f.IO.FlushWarnings() // as the root command does once -q is known
		if got.MailFrom != tc.want {
			t.Errorf("%v: mail-from %q, want %q", tc.args, got.MailFrom, tc.want)
		}
		if errOut.String() != "warning: --sender is deprecated: use --mail-from instead\n" || cobraOut != "" {
			t.Errorf("%v: deprecation notice %q (and from Cobra %q)", tc.args, errOut, cobraOut)
		}
	}
	// The notice is not printed for the new spelling.
	f, errOut := flagFactory()
	cobraOut, err := run(NewCmdEval(f, func(*EvalOptions) error { return nil }), "--ip", "192.0.2.1", "--mail-from", "a@example.com")
	if err != nil || cobraOut != "" || errOut.Len() != 0 {
		t.Errorf("--mail-from: %v %q %q", err, cobraOut, errOut)
	}
	// The alias is hidden from help.
	if fl := NewCmdEval(f, nil).Flags().Lookup("sender"); fl == nil || !fl.Hidden {
		t.Errorf("--sender: %+v", fl)
	}
}

func TestBuildFlags(t *testing.T) {
	f, _ := flagFactory()
	var got *BuildOptions
	capture := func(o *BuildOptions) error { got = o; return nil }
	if _, err := run(NewCmdBuild(f, capture), "example.com", "--ip4", "192.0.2.0/24,198.51.100.0/24", "--mx", "@", "--include", "_spf.example.net", "--exists", "%{l2r+,}.x.example.com"); err != nil {
		t.Fatal(err)
	}
	if got.Domain.ASCII != "example.com" || len(got.Parts.IP4) != 2 || got.Parts.All != "" || len(got.Parts.Exists) != 1 || got.TTL != 3600 {
		t.Errorf("options: %+v", got)
	}
	got = nil
	if _, err := run(NewCmdBuild(f, capture), "--ip4", "192.0.2.1", "--all", "softfail", "--ttl", "300"); err != nil || got.Parts.All != "softfail" || got.TTL != 300 || got.Domain.ASCII != "" {
		t.Errorf("--all: %v %+v", err, got)
	}
	_, err := run(NewCmdBuild(f, capture), "--mx", "@")
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) {
		t.Errorf("--mx @ without DOMAIN: %v", err)
	}
}

// Every positional DOMAIN is read with f.Domain: a URL or an address is
// reduced to its domain with a note, U-labels become A-labels, anything
// else is bad input with a hint.
func TestDomainArguments(t *testing.T) {
	type parsed struct{ ascii, unicode string }
	commands := map[string]func(f *cmdutil.Factory, got *parsed) *cobra.Command{
		"check": func(f *cmdutil.Factory, got *parsed) *cobra.Command {
			return NewCmdCheck(f, func(o *CheckOptions) error { *got = parsed{o.Domains[0].ASCII, o.Domains[0].Unicode}; return nil })
		},
		"build": func(f *cmdutil.Factory, got *parsed) *cobra.Command {
			return NewCmdBuild(f, func(o *BuildOptions) error { *got = parsed{o.Domain.ASCII, o.Domain.Unicode}; return nil })
		},
		"flatten": func(f *cmdutil.Factory, got *parsed) *cobra.Command {
			return NewCmdFlatten(f, func(o *FlattenOptions) error { *got = parsed{o.Domain.ASCII, o.Domain.Unicode}; return nil })
		},
	}
	for name, newCmd := range commands {
		for _, tc := range []struct {
			arg, ascii, unicode, note string
		}{
			{"Example.COM.", "example.com", "", ""},
			{"https://tenant.example/login?x=1", "tenant.example", "", `note: "https://tenant.example/login?x=1" is a URL: using its host name tenant.example`},
			{"user@tenant.example", "tenant.example", "", `note: "user@tenant.example" is an e-mail address: using its domain tenant.example`},
			{"bücher.example", "xn--bcher-kva.example", "bücher.example", ""},
			{"xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example", ""},
		} {
			f, errOut := flagFactory()
			var got parsed
			if _, err := run(newCmd(f, &got), tc.arg); err != nil {
				t.Errorf("%s %s: %v", name, tc.arg, err)
				continue
			}
			if got.ascii != tc.ascii || got.unicode != tc.unicode {
				t.Errorf("%s %s: %+v, want %s (%s)", name, tc.arg, got, tc.ascii, tc.unicode)
			}
			if strings.TrimSpace(errOut.String()) != tc.note {
				t.Errorf("%s %s: stderr %q, want %q", name, tc.arg, errOut, tc.note)
			}
		}
		for _, arg := range []string{"a.example,b.example", "192.0.2.1", "tenant.example:25", "a..example", "exa mple.com", "https:///", "user@"} {
			f, _ := flagFactory()
			var got parsed
			_, err := run(newCmd(f, &got), arg)
			if exitCode(err) != 2 {
				t.Errorf("%s %q: exit %d (%v), want 2", name, arg, exitCode(err), err)
			}
			if !strings.Contains(err.Error(), "DOMAIN") {
				t.Errorf("%s %q: the error does not name DOMAIN: %v", name, arg, err)
			}
		}
	}
	// A comma-separated list gets a hint.
	f, _ := flagFactory()
	_, err := run(NewCmdCheck(f, func(*CheckOptions) error { return nil }), "a.example,b.example")
	if h := cmdutil.HintFor(err); !strings.Contains(h, "one domain per argument") {
		t.Errorf("hint %q", h)
	}
}

func TestFlattenFlags(t *testing.T) {
	f, _ := flagFactory()
	var got *FlattenOptions
	capture := func(o *FlattenOptions) error { got = o; return nil }
	if _, err := run(NewCmdFlatten(f, capture), "example.com", "--flatten", "_spf.example.net", "--max-lookups", "8"); err != nil {
		t.Fatal(err)
	}
	if got.Domain.ASCII != "example.com" || got.Opts.MaxLookups != 8 || got.Opts.MaxRecordLen != 450 || len(got.Opts.Flatten) != 1 || got.Opts.TTL != 3600 {
		t.Errorf("options: %+v", got)
	}
	got = nil
	if _, err := run(NewCmdFlatten(f, capture), "--check", "flat.zone"); err != nil || got.Check != "flat.zone" || got.Domain.ASCII != "" {
		t.Errorf("--check: %v %+v", err, got)
	}
	for _, args := range [][]string{{}, {"example.com", "--max-length", "10"}, {"example.com", "--max-lookups", "0"}, {"bad..name"}} {
		if _, err := run(NewCmdFlatten(f, capture), args...); err == nil || exitCode(err) != 2 {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestCheckFlags(t *testing.T) {
	f, _ := flagFactory()
	var got *CheckOptions
	if _, err := run(NewCmdCheck(f, func(o *CheckOptions) error { got = o; return nil }), "example.com", "example.net"); err != nil || len(got.Domains) != 2 || got.MaxLookups != 10 {
		t.Fatalf("%v %+v", err, got)
	}
	for _, args := range [][]string{{"exa mple.com"}, {"example.com", "--max-lookups", "0"}} {
		if _, err := run(NewCmdCheck(f, nil), args...); exitCode(err) != 2 {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// Each command offers exactly the formats it renders.
func TestOutputFormats(t *testing.T) {
	f, _ := flagFactory()
	for _, cmd := range []*cobra.Command{NewCmdCheck(f, nil), NewCmdEval(f, nil), NewCmdBuild(f, nil), NewCmdFlatten(f, nil)} {
		if got := strings.Join(cmdutil.Outputs(cmd), ","); got != "table,json" {
			t.Errorf("%s: formats %s", cmd.Name(), got)
		}
		if u := cmd.Flags().Lookup("output").Usage; !strings.Contains(u, "table, json") {
			t.Errorf("%s: -o help %q", cmd.Name(), u)
		}
	}
}
