package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	paudit "github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/report"
)

type env struct {
	f           *cmdutil.Factory
	in          *bytes.Buffer
	out, errOut *bytes.Buffer
}

func newEnv(output string) *env {
	io, in, out, errOut := cmdutil.Test()
	return &env{f: &cmdutil.Factory{IO: io, Global: &cmdutil.GlobalOptions{Output: output}}, in: in, out: out, errOut: errOut}
}

func run(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return cmd.Execute()
}

// writeLog writes a log of n records and returns its path and lines.
func writeLog(t *testing.T, n int) (string, []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i := range n {
		ev := paudit.KeyGenerated{Domain: "example.com", Selector: "s" + string(rune('a'+i)), Algorithm: "ed25519", Bits: 256}
		if _, err := paudit.Append(path, paudit.Options{Now: func() time.Time { return now }, NoSync: true, User: "ops", Host: "h"}, ev); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	return path, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestVerifyFlags(t *testing.T) {
	head := strings.Repeat("ab", 32)
	tests := []struct {
		args     []string
		auditLog string
		code     int
		want     VerifyOptions
	}{
		{[]string{"a.log"}, "", 0, VerifyOptions{File: "a.log"}},
		{[]string{"-"}, "", 0, VerifyOptions{File: "-"}},
		{nil, "/var/log/a.log", 0, VerifyOptions{File: "/var/log/a.log"}},
		{[]string{"b.log"}, "/var/log/a.log", 0, VerifyOptions{File: "b.log"}},
		{[]string{"--head", strings.ToUpper(head), "a.log"}, "", 0, VerifyOptions{File: "a.log", Head: head}},
		{nil, "", 2, VerifyOptions{}},
		{[]string{"a.log", "b.log"}, "", 2, VerifyOptions{}},
		{[]string{"--head", "abc", "a.log"}, "", 2, VerifyOptions{}},
		{[]string{"--head", strings.Repeat("zz", 32), "a.log"}, "", 2, VerifyOptions{}},
	}
	for _, tc := range tests {
		e := newEnv("table")
		e.f.Global.AuditLog = tc.auditLog
		var got *VerifyOptions
		err := run(NewCmdVerify(e.f, func(o *VerifyOptions) error { got = o; return nil }), tc.args...)
		code := cmdutil.ExitCode(err)
		if tc.code == 2 && err != nil {
			code = 2 // cobra's own argument errors become usage errors in the tree
		}
		if code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
			continue
		}
		if tc.code == 0 && *got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.args, *got, tc.want)
		}
	}
}

func TestVerifyRun(t *testing.T) {
	path, lines := writeLog(t, 5)
	write := func(name string, ls []string) string {
		p := filepath.Join(filepath.Dir(path), name)
		if err := os.WriteFile(p, []byte(strings.Join(ls, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edited := write("edited.log", []string{lines[0], strings.Replace(lines[1], `"sb"`, `"sz"`, 1), lines[2], lines[3], lines[4]})
	deleted := write("deleted.log", []string{lines[0], lines[1], lines[3], lines[4]})
	reordered := write("reordered.log", []string{lines[0], lines[2], lines[1], lines[3], lines[4]})
	hostile := write("hostile.log", []string{lines[0], "\x1b]0;owned\x07\x1b[2J\u202e{", lines[1]})

	tests := []struct {
		file, head string
		quiet      bool
		code       int
		stdout     []string
	}{
		{path, "", false, 0, []string{"audit.log: intact: 5 records (seq 1 to 5)\n", "head: " + paudit.LineHash([]byte(lines[4])) + " (line 5)\n"}},
		{path, paudit.LineHash([]byte(lines[2])), false, 0, []string{"the head given is line 3, 2 records since"}},
		{edited, "", false, 1, []string{"edited.log: broken: 5 records (seq 1 to 5)\n", "  line 2  edited  line 2 was changed after line 3 recorded its hash\n", "  fix (edited): Keep the file"}},
		{deleted, "", true, 1, []string{"  line 3  deleted  1 record (seq 3) deleted between line 2 and line 3\n"}},
		{reordered, "", false, 1, []string{"  lines 2-4  reordered  lines 2 to 4 are out of the order they were written in (seq 3, 2, 4)\n"}},
		{hostile, "", false, 1, []string{"line 2  malformed  line 2 is not an audit record: it is not JSON"}},
		{deleted, paudit.LineHash([]byte(lines[4])), false, 1, []string{"the head given is line 4, 0 records since"}},
		{write("cut.log", lines[:4]), paudit.LineHash([]byte(lines[4])), false, 1, []string{"  line 4  head-missing  no line has the hash"}},
	}
	for _, tc := range tests {
		e := newEnv("table")
		e.f.IO.Quiet = tc.quiet
		err := verifyRun(e.f, &VerifyOptions{File: tc.file, Head: tc.head})
		if code := cmdutil.ExitCode(err); code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.file, code, tc.code, e.out)
		}
		for _, s := range tc.stdout {
			if !strings.Contains(e.out.String(), s) {
				t.Errorf("%s: stdout lacks %q:\n%s", tc.file, s, e.out)
			}
		}
		if tc.quiet && strings.Contains(e.out.String(), "fix (") {
			t.Errorf("%s: -q printed fixes", tc.file)
		}
		if err := report.CheckSafe(e.out.String()); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
	}

	// JSON: the file, the counts, the head and the problems.
	e := newEnv("json")
	err := verifyRun(e.f, &VerifyOptions{File: deleted})
	if cmdutil.ExitCode(err) != 1 {
		t.Errorf("json: %v", err)
	}
	var got struct {
		File     string `json:"file"`
		Lines    int    `json:"lines"`
		Status   string `json:"status"`
		Head     string `json:"head"`
		Problems []struct {
			Break, Code, Severity, Message, Fix string
			Line                                int
		}
	}
	if err := json.Unmarshal(e.out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.File != deleted || got.Lines != 4 || got.Status != "fail" || got.Head != paudit.LineHash([]byte(lines[4])) || len(got.Problems) != 1 ||
		got.Problems[0].Break != "deleted" || got.Problems[0].Code != "audit.line-deleted" || got.Problems[0].Line != 3 || got.Problems[0].Severity != "error" {
		t.Errorf("json: %s", e.out)
	}

	// Standard input.
	e = newEnv("table")
	e.in.WriteString(strings.Join(lines, "\n") + "\n")
	if err := verifyRun(e.f, &VerifyOptions{File: "-"}); err != nil || !strings.HasPrefix(e.out.String(), "standard input: intact") {
		t.Errorf("stdin: %v %s", err, e.out)
	}
	// A file that is not there, a directory: bad input.
	for _, bad := range []string{filepath.Join(t.TempDir(), "missing.log"), t.TempDir()} {
		if err := verifyRun(newEnv("table").f, &VerifyOptions{File: bad}); cmdutil.ExitCode(err) != 2 {
			t.Errorf("%s: %v", bad, err)
		}
	}
	// An empty log is intact.
	empty := write("empty.log", nil)
	_ = os.WriteFile(empty, nil, 0o600)
	e = newEnv("table")
	if err := verifyRun(e.f, &VerifyOptions{File: empty}); err != nil || !strings.Contains(e.out.String(), "head: none") {
		t.Errorf("empty: %v %s", err, e.out)
	}
}

// exampleArgs returns the arguments of each example of cmd's help, after
// the command's path, up to a pipe or a redirection.
func exampleArgs(t *testing.T, cmd *cobra.Command, path string) [][]string {
	t.Helper()
	var out [][]string
	for _, line := range strings.Split(cmd.Example, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "emailauth "+path+" ") {
			t.Fatalf("an example that is not %q: %q", path, line)
		}
		var args []string
		for _, w := range strings.Fields(strings.TrimPrefix(line, "emailauth "+path)) {
			if w == "|" || strings.HasPrefix(w, ">") || strings.HasPrefix(w, "<") {
				break
			}
			args = append(args, w)
		}
		out = append(out, args)
	}
	return out
}

func TestVerifyExamplesParse(t *testing.T) {
	for _, args := range exampleArgs(t, NewCmdVerify(newEnv("table").f, nil), "audit verify") {
		if err := run(NewCmdVerify(newEnv("table").f, func(*VerifyOptions) error { return nil }), args...); err != nil {
			t.Errorf("example %v: %v", args, err)
		}
	}
}
