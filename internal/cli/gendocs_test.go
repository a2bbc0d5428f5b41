package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/gendocs"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/reference and docs/man from the commands")

// TestGeneratedDocsAreCurrent fails when the committed command reference or
// man pages differ from what the commands generate. Refresh them with
// `go test ./internal/cli -run GeneratedDocs -update`.
func TestGeneratedDocsAreCurrent(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	f := NewFactory(io)
	root := NewCmdRoot(f)
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	dir := t.TempDir()
	if err := gendocs.Generate(root, dir); err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join("..", "..", "docs")
	for _, sub := range []string{"reference", "man"} {
		want := filepath.Join(docs, sub)
		got := filepath.Join(dir, sub)
		if *updateDocs {
			if err := os.RemoveAll(want); err != nil {
				t.Fatal(err)
			}
			if err := os.CopyFS(want, os.DirFS(got)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		compareDirs(t, got, want)
	}
}

func compareDirs(t *testing.T, got, want string) {
	t.Helper()
	gotFiles, err := os.ReadDir(got)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles, err := os.ReadDir(want)
	if err != nil {
		t.Fatalf("%v: run go test ./internal/cli -run GeneratedDocs -update", err)
	}
	names := map[string]bool{}
	for _, e := range wantFiles {
		names[e.Name()] = true
	}
	for _, e := range gotFiles {
		g, _ := os.ReadFile(filepath.Join(got, e.Name()))
		w, err := os.ReadFile(filepath.Join(want, e.Name()))
		switch {
		case err != nil:
			t.Errorf("%s is missing from %s: run go test ./internal/cli -run GeneratedDocs -update", e.Name(), want)
		case !bytes.Equal(g, w):
			t.Errorf("%s differs from what the commands generate: run go test ./internal/cli -run GeneratedDocs -update", filepath.Join(want, e.Name()))
		}
		delete(names, e.Name())
	}
	for n := range names {
		t.Errorf("%s is in %s but no command generates it: run go test ./internal/cli -run GeneratedDocs -update", n, want)
	}
}
