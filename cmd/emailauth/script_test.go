package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/penguinmails/emailauth/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script/*.txtar")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"emailauth": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// emailauth binary. Each script sees:
//
//	$ZONES        the repository's testdata/zones
//	$TESTDATA     the repository's testdata
//	$CONFORMANCE  ../shared/conformance
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
			env.Setenv("ZONES", filepath.Join(root, "testdata", "zones"))
			env.Setenv("TESTDATA", filepath.Join(root, "testdata"))
			env.Setenv("CONFORMANCE", filepath.Join(root, "..", "shared", "conformance"))
			return nil
		},
		Cmds: scriptCommands(),
	})
}
