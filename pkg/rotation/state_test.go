package rotation

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rotation.json")
	s, err := ReadState(path, dom, cur, next)
	if err != nil {
		t.Fatal(err)
	}
	if s.Schema != StateSchema || s.Published != nil {
		t.Fatalf("new state %+v", s)
	}
	s.Published = &Event{At: t0, Key: "sha256:abc", Evidence: "seen"}
	s.Switched = &Event{At: t0.Add(time.Hour), Evidence: "message"}
	if err := s.Write(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	back, err := ReadState(path, dom, cur, next)
	if err != nil {
		t.Fatal(err)
	}
	if !sameState(s, back) {
		t.Errorf("read back %+v", back)
	}
	// Written again over itself; no temporary file is left.
	back.Revoked = &Event{At: t0.Add(48 * time.Hour), Evidence: "revoked"}
	if err := back.Write(path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}

	if _, err := ReadState(path, dom, cur, "s2027-05"); !errors.Is(err, ErrStateMismatch) || !strings.Contains(err.Error(), "rotation of tenant.example from s2026-05 to s2026-11") {
		t.Errorf("another rotation: %v", err)
	}
	for name, content := range map[string]string{
		"junk":       "not json",
		"unknown":    `{"schema": "emailauth.rotation/v1", "domain": "tenant.example", "selector": "s2026-05", "next": "s2026-11", "extra": 1}`,
		"schema":     `{"schema": "emailauth.rotation/v9", "domain": "tenant.example", "selector": "s2026-05", "next": "s2026-11"}`,
		"no time":    `{"schema": "emailauth.rotation/v1", "domain": "tenant.example", "selector": "s2026-05", "next": "s2026-11", "published": {"evidence": "x"}}`,
		"too large":  strings.Repeat(" ", maxStateFile+1),
		"bad time":   `{"schema": "emailauth.rotation/v1", "domain": "tenant.example", "selector": "s2026-05", "next": "s2026-11", "published": {"at": "yesterday"}}`,
		"two values": `{"schema": "emailauth.rotation/v1", "domain": "tenant.example", "selector": "s2026-05", "next": "s2026-11"} {}`,
	} {
		p := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadState(p, dom, cur, next); !errors.Is(err, ErrStateMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ReadState(dir, dom, cur, next); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if err := s.Write(filepath.Join(dir, "missing", "x.json")); err == nil {
		t.Error("writing into a missing directory")
	}
}
