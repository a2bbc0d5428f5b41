package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/pkg/audit"
)

func TestAuditCommandLine(t *testing.T) {
	var got []string
	root := &cobra.Command{Use: "emailauth"}
	root.PersistentFlags().String("audit-log", "", "the audit log `FILE`")
	root.PersistentFlags().CountP("verbose", "v", "")
	sub := &cobra.Command{Use: "sign", RunE: func(cmd *cobra.Command, args []string) error {
		got = AuditCommandLine(cmd)
		return nil
	}}
	fl := sub.Flags()
	fl.StringArrayP("private-key", "k", nil, "private key `FILE`")
	fl.StringArrayP("selector", "s", nil, "selector")
	fl.String("imap-password", "", "the password")
	fl.String("seed", "", "a seed")
	fl.String("note", "", "a note")
	fl.Bool("force", false, "")
	MarkSecret(fl, "seed")
	root.AddCommand(sub)
	root.SetArgs([]string{"sign", "-k", "rsa.pem", "-s", "s1", "-k", "-", "-s", "ed1", "--imap-password", "hunter2", "--seed=c2VlZA==",
		"--note", "-----BEGIN PRIVATE KEY-----", "--force", "-vv", "--audit-log", "/var/log/a.log", "msg.eml"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	want := "emailauth sign --audit-log=/var/log/a.log --force --imap-password=[REDACTED] --note=[REDACTED] --private-key=rsa.pem --private-key=- --seed=[REDACTED] --selector=s1 --selector=ed1 --verbose=2 msg.eml"
	if strings.Join(got, " ") != want {
		t.Errorf("command line\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestFactoryAudit(t *testing.T) {
	io, _, _, errOut := Test()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := &Factory{IO: io, Global: &GlobalOptions{}, Now: func() time.Time { return now }, AuditCommand: []string{"emailauth", "sign"}}
	ev := audit.MessageSigned{Input: "-", Output: "-"}
	// No audit log: nothing to do.
	if err := f.Audit(ev); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "audit.log")
	f.Global.AuditLog = path
	f.IO.Verbosity = 1
	if err := f.Audit(ev); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"time":"2026-11-23T12:00:00Z"`) || !strings.Contains(string(data), `"cmd":["emailauth","sign"]`) {
		t.Errorf("record: %s", data)
	}
	if !strings.Contains(errOut.String(), "audit: message.signed recorded in "+path) {
		t.Errorf("-v: %q", errOut.String())
	}

	// A damaged log: exit 3, saying the action was done, with a hint.
	if err := os.WriteFile(path, append(data, "garbage"...), 0o600); err != nil {
		t.Fatal(err)
	}
	err := f.Audit(audit.KeyGenerated{File: "/k/s1.pem"})
	if err == nil || ExitCode(err) != ExitIncomplete || !errors.Is(err, audit.ErrDamaged) {
		t.Fatalf("a damaged log: %v (exit %d)", err, ExitCode(err))
	}
	if !strings.HasPrefix(err.Error(), "the key was generated and written to /k/s1.pem, but the audit log could not record it") || !strings.Contains(HintFor(err), "emailauth audit verify "+path) {
		t.Errorf("error %q, hint %q", err, HintFor(err))
	}
	// A log that cannot be opened.
	f.Global.AuditLog = filepath.Join(path, "sub")
	err = f.Audit(ev)
	if ExitCode(err) != ExitIncomplete || !strings.Contains(HintFor(err), "--audit-log") || !strings.HasPrefix(err.Error(), "the message was signed, but") {
		t.Errorf("an unusable path: %v (hint %q)", err, HintFor(err))
	}
}
