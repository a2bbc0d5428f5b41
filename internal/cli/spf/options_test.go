package spf

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
)

func run(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.Execute()
}

func exitCode(err error) int { return cmdutil.ExitCode(err) }

func TestEvalFlags(t *testing.T) {
	f := &cmdutil.Factory{}
	var got *EvalOptions
	capture := func(o *EvalOptions) error { got = o; return nil }
	if err := run(NewCmdEval(f, capture), "--ip", "192.0.2.1", "--sender", "a@example.com", "--helo", "mx.example.net"); err != nil {
		t.Fatal(err)
	}
	if got.IP.String() != "192.0.2.1" || got.Sender != "a@example.com" || got.Helo != "mx.example.net" || got.Receiver != "unknown" {
		t.Errorf("options: %+v", got)
	}
	got = nil
	if err := run(NewCmdEval(f, capture), "--ip", "2001:db8::1", "--sender", "", "--helo", "mx.example.net"); err != nil || got.Sender != "" {
		t.Fatalf("null reverse-path: %v %+v", err, got)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--sender", "a@example.com"}, 2},
		{[]string{"--ip", "192.0.2.300", "--sender", "a@example.com"}, 2},
		{[]string{"--ip", "192.0.2.1"}, 2},
		{[]string{"--ip", "192.0.2.1", "--sender", ""}, 2},
		{[]string{"--ip", "192.0.2.1", "--sender", "nobody"}, 2},
	} {
		err := run(NewCmdEval(f, capture), tc.args...)
		if err == nil || exitCode(err) != tc.code {
			t.Errorf("%v: error %v (exit %d), want exit %d", tc.args, err, exitCode(err), tc.code)
		}
	}
}

func TestBuildFlags(t *testing.T) {
	f := &cmdutil.Factory{}
	var got *BuildOptions
	capture := func(o *BuildOptions) error { got = o; return nil }
	if err := run(NewCmdBuild(f, capture), "example.com", "--ip4", "192.0.2.0/24,198.51.100.0/24", "--mx", "@", "--include", "_spf.example.net", "--exists", "%{l2r+,}.x.example.com"); err != nil {
		t.Fatal(err)
	}
	if got.Domain != "example.com" || len(got.Parts.IP4) != 2 || got.Parts.All != "" || len(got.Parts.Exists) != 1 {
		t.Errorf("options: %+v", got)
	}
	got = nil
	if err := run(NewCmdBuild(f, capture), "--ip4", "192.0.2.1", "--all", "softfail"); err != nil || got.Parts.All != "softfail" {
		t.Errorf("--all: %v %+v", err, got)
	}
	err := run(NewCmdBuild(f, capture), "--mx", "@")
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) {
		t.Errorf("--mx @ without DOMAIN: %v", err)
	}
}

func TestFlattenFlags(t *testing.T) {
	f := &cmdutil.Factory{}
	var got *FlattenOptions
	capture := func(o *FlattenOptions) error { got = o; return nil }
	if err := run(NewCmdFlatten(f, capture), "example.com", "--flatten", "_spf.example.net", "--max-lookups", "8"); err != nil {
		t.Fatal(err)
	}
	if got.Domain != "example.com" || got.Opts.MaxLookups != 8 || got.Opts.MaxRecordLen != 450 || len(got.Opts.Flatten) != 1 {
		t.Errorf("options: %+v", got)
	}
	for _, args := range [][]string{{}, {"example.com", "--max-length", "10"}, {"bad..name"}} {
		if err := run(NewCmdFlatten(f, capture), args...); err == nil || exitCode(err) != 2 {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestCheckFlags(t *testing.T) {
	f := &cmdutil.Factory{}
	var got *CheckOptions
	if err := run(NewCmdCheck(f, func(o *CheckOptions) error { got = o; return nil }), "example.com", "example.net"); err != nil || len(got.Domains) != 2 {
		t.Fatalf("%v %+v", err, got)
	}
	if err := run(NewCmdCheck(f, nil), "exa mple.com"); exitCode(err) != 2 {
		t.Errorf("bad domain: %v", err)
	}
}
