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
// defaults it states are the code's, with their flags.
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
	// Each threshold with the dmarc report flag that sets it.
	d := aggregate.DefaultThresholds
	for name, v := range map[string][2]string{
		"MinMessages": {"min-messages", fmt.Sprint(d.MinMessages)}, "MinDays": {"min-days", fmt.Sprint(d.MinDays)},
		"QuarantineShare": {"quarantine-share", fmt.Sprint(d.QuarantineShare)}, "RejectShare": {"reject-share", fmt.Sprint(d.RejectShare)},
		"RejectDKIMShare": {"reject-dkim-share", fmt.Sprint(d.RejectDKIMShare)}, "StepDays": {"step-days", fmt.Sprint(d.StepDays)},
		"TestingDays": {"testing-days", fmt.Sprint(d.TestingDays)},
	} {
		if !strings.Contains(doc, fmt.Sprintf("| `%s` | `--%s` | %s |", name, v[0], v[1])) {
			t.Errorf("threshold %s (--%s) = %s not in the table", name, v[0], v[1])
		}
	}
}
