package docgen

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/check"
)

var update = flag.Bool("update", false, "rewrite the generated documents under docs/")

func TestFindingsDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "findings.md")
	want := FindingsMarkdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./internal/docgen -update)", err)
	}
	if string(got) != want {
		t.Errorf("docs/findings.md differs from the catalogue in the code; regenerate it with: go test ./internal/docgen -update")
	}
}

// TestCatalogue checks the catalogue itself: every code belongs to a known
// check, no code is defined twice across packages, and every spec is
// documented well enough to act on.
func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range check.Catalogue() {
		group, _, _ := strings.Cut(s.Code, ".")
		if !slices.Contains(check.Groups(), group) {
			t.Errorf("%s: %q is not a known group", s.Code, group)
		}
		if seen[s.Code] {
			t.Errorf("%s is defined twice", s.Code)
		}
		seen[s.Code] = true
		if len(s.Meaning) < 40 || len(s.Fix) < 15 {
			t.Errorf("%s: meaning or fix too short to help anyone", s.Code)
		}
	}
	if len(seen) == 0 {
		t.Fatal("empty catalogue")
	}
}
