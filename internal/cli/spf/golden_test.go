package spf

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/spf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestCheckTableGolden pins the human report of "spf check" for the
// scripts' zones (testdata/spf): the tree, the costs, totals and findings.
func TestCheckTableGolden(t *testing.T) {
	zone, err := dns.LoadZoneFiles(filepath.Join("..", "..", "..", "testdata", "spf", "tenant.example.zone"), filepath.Join("..", "..", "..", "testdata", "spf", "platform.example.zone"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"tenant.example", "heavy.tenant.example", "broken.tenant.example", "twice.tenant.example"} {
		t.Run(d, func(t *testing.T) {
			a, err := spf.Analyze(context.Background(), zone, d, spf.AnalyzeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			writeAnalysis(report.NewTerm(&buf, false), a, a.Domain, a.Status(), false)
			golden := filepath.Join("testdata", "check-"+d+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("the report differs from %s (run with -update after checking):\n%s", golden, buf.String())
			}
		})
	}
}
