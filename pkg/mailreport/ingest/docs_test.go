package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/mailreport"
	"github.com/penguinmails/emailauth/pkg/tlsrpt/tlsreport"
)

// docs/reports.md names every quirk and finding code, and the readiness
// defaults it states are the code's.
func TestDocsReports(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "reports.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, q := range mailreport.Quirks() {
		if !strings.Contains(doc, "`"+string(q.Quirk)+"`") {
			t.Errorf("quirk %s not documented", q.Quirk)
		}
	}
	for _, s := range tlsreport.Findings() {
		if !strings.Contains(doc, "`"+s.Code+"`") {
			t.Errorf("finding %s not documented", s.Code)
		}
	}
	for _, s := range aggregate.Findings() {
		name := strings.TrimPrefix(s.Code, "dmarc-report.")
		if !strings.Contains(doc, "`"+name+"`") {
			t.Errorf("finding %s not documented", s.Code)
		}
	}
	d := aggregate.DefaultThresholds
	for name, v := range map[string]string{
		"MinMessages": fmt.Sprint(d.MinMessages), "MinDays": fmt.Sprint(d.MinDays), "QuarantineShare": fmt.Sprint(d.QuarantineShare),
		"RejectShare": fmt.Sprint(d.RejectShare), "RejectDKIMShare": fmt.Sprint(d.RejectDKIMShare), "StepDays": fmt.Sprint(d.StepDays), "TestingDays": fmt.Sprint(d.TestingDays),
	} {
		if !strings.Contains(doc, fmt.Sprintf("| `%s` | %s |", name, v)) {
			t.Errorf("threshold %s = %s not in the table", name, v)
		}
	}
}
