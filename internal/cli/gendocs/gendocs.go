// Package gendocs writes (internal/cmd/gen-docs, and the test that keeps
// docs/ current) the command reference in markdown (cobra/doc) and the man pages (section 1),
// generated from the commands themselves, deterministically (no generated-by
// line, a fixed date), so that the committed copies can be checked against
// the code.
package gendocs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manDate is the date written in the man pages: fixed, so that the pages
// change only when the commands do. Raise it when releasing.
var manDate = time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)

// Generate writes the reference and the man pages of root's tree under dir.
func Generate(root *cobra.Command, dir string) error {
	root.DisableAutoGenTag = true
	ref := filepath.Join(dir, "reference")
	man := filepath.Join(dir, "man")
	for _, d := range []string{ref, man} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := removeGenerated(d); err != nil {
			return err
		}
	}
	var errs []error
	walk(root, func(c *cobra.Command) { c.DisableAutoGenTag = true })
	if err := doc.GenMarkdownTreeCustom(root, ref, func(string) string { return "" }, func(name string) string {
		return strings.TrimSuffix(name, ".md") + ".md"
	}); err != nil {
		errs = append(errs, err)
	}
	hdr := &doc.GenManHeader{Title: "EMAILAUTH", Section: "1", Date: &manDate, Source: "emailauth", Manual: "emailauth manual"}
	if err := doc.GenManTree(root, hdr, man); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeGenerated deletes the files a previous run wrote, so that a command
// removed from the tree leaves no page behind.
func removeGenerated(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "emailauth") && (strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".1")) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return fmt.Errorf("removing the old %s: %w", n, err)
			}
		}
	}
	return nil
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}
