// Command gen-docs writes the command reference (DIR/reference/*.md) and
// the man pages (DIR/man/*.1) of emailauth, from the commands themselves:
//
//	go run ./internal/cmd/gen-docs DIR
//
// It is a program of its own, not an emailauth command, so that cobra/doc
// and its markdown renderer stay out of the emailauth binary (they cost
// 0.7 ms of every start; docs/performance.md).
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/penguinmails/emailauth/internal/cli"
	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/gendocs"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] == "" || os.Args[1][0] == '-' {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/cmd/gen-docs DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	root := cli.NewCmdRoot(cli.NewFactory(cmdutil.System()))
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	if err := gendocs.Generate(root, dir); err != nil {
		fmt.Fprintf(os.Stderr, "gen-docs: %s: %v\n", dir, err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s\n", filepath.Join(dir, "reference"), filepath.Join(dir, "man"))
}
