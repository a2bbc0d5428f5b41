package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/penguinmails/emailauth/internal/cli"
	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"emailauth": func() { os.Exit(runForScript()) },
	})
}

// runForScript runs emailauth as Main does, with the clock pinned when a
// script sets EMAILAUTH_TEST_NOW (RFC 3339): golden output must not depend
// on the day. The hook exists only in this test binary.
func runForScript() int {
	f := cli.NewFactory(cmdutil.System())
	if v := os.Getenv("EMAILAUTH_TEST_NOW"); v != "" {
		now, err := time.Parse(time.RFC3339, v)
		if err != nil {
			panic(err)
		}
		f.Now = func() time.Time { return now }
	}
	return cli.Run(f, os.Args[1:])
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// emailauth binary. Each script sees:
//
//	$ZONES        the repository's testdata/zones
//	$TESTDATA     the repository's testdata
//	$CONFORMANCE  the repository's testdata/conformance
//
// and a HOME and XDG_CONFIG_HOME of its own, so no user config leaks in.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("NO_COLOR", "1")
			env.Setenv("EMAILAUTH_TEST_NOW", "2026-11-23T12:00:00Z")
			env.Setenv("ZONES", filepath.Join(root, "testdata", "zones"))
			env.Setenv("TESTDATA", filepath.Join(root, "testdata"))
			env.Setenv("CONFORMANCE", filepath.Join(root, "testdata", "conformance"))
			env.Values[serversKey{}] = map[string]*dnstest.Server{}
			env.Values[triggersKey{}] = map[string]*triggerResolver{}
			return nil
		},
		Cmds: scriptCommands(),
	})
}
