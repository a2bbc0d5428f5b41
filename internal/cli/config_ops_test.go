package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/warmup"
)

func TestConfigAuditLog(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("audit_log: /var/log/emailauth/audit.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"none", nil, nil, ""},
		{"file", nil, []string{"--config", cfg}, "/var/log/emailauth/audit.log"},
		{"env over file", map[string]string{"EMAILAUTH_AUDIT_LOG": "/tmp/env.log"}, []string{"--config", cfg}, "/tmp/env.log"},
		{"flag over file", nil, []string{"--config", cfg, "--audit-log", "mine.log"}, "mine.log"},
		{"empty flag turns it off", nil, []string{"--config", cfg, "--audit-log", ""}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, code, msg := runProbe(t, tc.env, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, msg)
			}
			if g.AuditLog != tc.want {
				t.Errorf("AuditLog = %q, want %q", g.AuditLog, tc.want)
			}
		})
	}
}

func TestConfigWarmup(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	g, code, msg := runProbe(t, nil)
	if code != 0 || g.Warmup != cmdutil.DefaultWarmup() {
		t.Fatalf("defaults: exit %d %s: %+v", code, msg, g.Warmup)
	}
	good := write("good.yaml", `warmup:
  start: 1k
  growth: 1.3
  max-growth: 1.8
  complaint-slow-down: 0.05%
  complaint-pause: "0.2%"
  bounce-slow-down: 1%
  bounce-pause: 3%
  over-plan: 0%
`)
	g, code, msg = runProbe(t, nil, "--config", good)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	want := cmdutil.WarmupOptions{Start: 1000, Growth: 1.3, MaxGrowth: 1.8, Thresholds: warmup.Thresholds{
		ComplaintSlowDown: 500, ComplaintPause: 2000, BounceSlowDown: 10000, BouncePause: 30000, OverPlan: 0}}
	if g.Warmup != want {
		t.Errorf("warmup = %+v, want %+v", g.Warmup, want)
	}
	g, _, _ = runProbe(t, map[string]string{"EMAILAUTH_WARMUP_BOUNCE_PAUSE": "4%"}, "--config", good)
	if g.Warmup.Thresholds.BouncePause != 40000 {
		t.Errorf("env over file: %+v", g.Warmup.Thresholds)
	}

	for _, tc := range []struct{ content, want string }{
		{"warmup:\n  complaint-pause: 0.3\n", "warmup.complaint-pause: warmup: \"0.3\" is not a percentage"},
		{"warmup:\n  start: lots\n", "warmup.start"},
		{"warmup:\n  growth: 0.5\n", "warmup.growth: \"0.5\" is not a daily growth factor"},
		{"warmup:\n  growth: 3\n", "the growth (3) is above the maximum growth (2)"},
		{"warmup:\n  bounce-stop: 5%\n", `unknown key "warmup.bounce-stop"`},
		{"audit-log: x.log\n", `unknown key "audit-log"`},
	} {
		p := write("bad.yaml", tc.content)
		_, code, msg := runProbe(t, nil, "--config", p)
		if code != 2 || !strings.Contains(msg, tc.want) {
			t.Errorf("%q: exit %d: %s\nwant %q", tc.content, code, msg, tc.want)
		}
	}
	_, code, msg = runProbe(t, map[string]string{"EMAILAUTH_WARMUP_COMPLAINT_PAUSE": "high"})
	if code != 2 || !strings.Contains(msg, "EMAILAUTH_WARMUP_COMPLAINT_PAUSE") {
		t.Errorf("a bad environment value: exit %d: %s", code, msg)
	}
}
