package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/audit"
)

// writeAuditLogs writes the contract's audit logs into dir: audit.log,
// whole, and audit-deleted.log, the same with its second line deleted.
func writeAuditLogs(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, "audit.log")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, sel := range []string{"s1", "s2", "s3"} {
		ev := audit.KeyGenerated{Domain: "example.com", Selector: sel, Record: sel + "._domainkey.example.com", Algorithm: "ed25519", Bits: 256}
		if _, err := audit.Append(path, audit.Options{Now: func() time.Time { return now }, NoSync: true}, ev); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	if err := os.WriteFile(filepath.Join(dir, "audit-deleted.log"), []byte(lines[0]+lines[2]), 0o600); err != nil {
		t.Fatal(err)
	}
}
