//go:build unix

package dns

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestZoneIncludePipe: a named pipe in the zone's directory is refused
// without waiting for a writer.
func TestZoneIncludePipe(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.inc"), 0o644); err != nil {
		t.Skip(err)
	}
	top := filepath.Join(dir, "top.zone")
	zoneWrite(t, top, "$ORIGIN example.test.\n$INCLUDE pipe.inc\n")
	done := make(chan error, 1)
	go func() { _, err := LoadZoneFiles(top); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("including a named pipe blocks")
	}
}
