package spf

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalFileFlags(t *testing.T) {
	f, _ := flagFactory()
	var got *EvalOptions
	capture := func(o *EvalOptions) error { got = o; return nil }
	if _, err := run(NewCmdEval(f, capture), "--file", "conns.txt", "-j", "8"); err != nil {
		t.Fatal(err)
	}
	if got.File != "conns.txt" || got.Concurrency != 8 {
		t.Errorf("options: %+v", got)
	}
	for _, args := range [][]string{
		{"--file", "conns.txt", "--ip", "192.0.2.1"},
		{"--file", "conns.txt", "--mail-from", "a@example.com"},
		{"--file", "conns.txt", "-j", "0"},
	} {
		if _, err := run(NewCmdEval(f, capture), args...); exitCode(err) != 2 {
			t.Errorf("%q: err %v, want a flag error", args, err)
		}
	}
}

func TestParseBatchLine(t *testing.T) {
	for _, tc := range []struct {
		line           string
		skip           bool
		ip, from, helo string
		invalid        string
	}{
		{line: "", skip: true},
		{line: "   # a comment", skip: true},
		{line: "192.0.2.1 a@example.com mx.example.net", ip: "192.0.2.1", from: "a@example.com", helo: "mx.example.net"},
		{line: "192.0.2.1\t<a@example.com>\tmx.example.net", ip: "192.0.2.1", from: "a@example.com", helo: "mx.example.net"},
		{line: "2001:db8::1,a@example.com,mx.example.net", ip: "2001:db8::1", from: "a@example.com", helo: "mx.example.net"},
		{line: "192.0.2.1,,mx.example.net", ip: "192.0.2.1", from: "", helo: "mx.example.net"},
		{line: "192.0.2.1 <> mx.example.net", ip: "192.0.2.1", from: "", helo: "mx.example.net"},
		{line: "192.0.2.1 a@example.com", ip: "192.0.2.1", from: "a@example.com"},
		{line: "192.0.2.1 Jörg@Bücher.example", ip: "192.0.2.1", from: "Jörg@xn--bcher-kva.example"},
		{line: "192.0.2.1 <> ", invalid: "HELO"},
		{line: "192.0.2.1", invalid: "found 1"},
		{line: "192.0.2.1 a@example.com h.example x", invalid: "found 4"},
		{line: "192.0.2.300 a@example.com h.example", invalid: "not an IP address"},
		{line: "fe80::1%eth0 a@example.com h.example", invalid: "not an IP address"},
		{line: "192.0.2.1 nobody h.example", invalid: "not a mail address"},
	} {
		l, ok := parseBatchLine(7, tc.line)
		if ok == tc.skip {
			t.Errorf("%q: ok = %v", tc.line, ok)
			continue
		}
		if tc.skip {
			continue
		}
		if tc.invalid != "" {
			if !strings.Contains(l.invalid, tc.invalid) || l.input == "" || l.n != 7 {
				t.Errorf("%q: %+v, want invalid with %q", tc.line, l, tc.invalid)
			}
			continue
		}
		if l.invalid != "" || l.ip.String() != tc.ip || l.mailFrom != tc.from || l.helo != tc.helo {
			t.Errorf("%q: %+v", tc.line, l)
		}
	}
}

func readJSONLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestRunEvalFile: every connection gives one line in the order of the
// file, with its line number; an invalid line is reported and the others
// run; a temperror (a timed-out include) holds back nothing but itself.
func TestRunEvalFile(t *testing.T) {
	f, _, out, _ := testFactory(t, "json", 0)
	var b strings.Builder
	b.WriteString("# replayed from the mail log\n")
	want := []string{}
	for i := range 200 {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "192.0.2.25 a%d@example.com mx.example.net\n", i)
			want = append(want, "pass")
		case 1:
			fmt.Fprintf(&b, "203.0.113.%d b%d@example.com mx.example.net\n", i%250, i)
			want = append(want, "fail")
		case 2:
			fmt.Fprintf(&b, "198.51.100.1 <> tmp.example.com\n")
			want = append(want, "temperror")
		case 3:
			fmt.Fprintf(&b, "not-an-ip c%d@example.com mx.example.net\n", i)
			want = append(want, "invalid")
		case 4:
			b.WriteString("\n")
			fmt.Fprintf(&b, "198.51.100.9,<d%d@example.com>,mx.example.net\n", i)
			want = append(want, "pass")
		}
	}
	path := filepath.Join(t.TempDir(), "conns.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runEvalFile(f, &EvalOptions{File: path, Concurrency: 8, Receiver: "unknown"})
	if exitCodeOf(err) != 1 {
		t.Errorf("exit %d (%v), want 1: connections failed", exitCodeOf(err), err)
	}
	lines := readJSONLines(t, out.String())
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	prev := 0.0
	for i, m := range lines {
		n := m["line"].(float64)
		if n <= prev {
			t.Fatalf("line %d: line numbers out of order (%v after %v)", i, n, prev)
		}
		prev = n
		got, _ := m["result"].(string)
		if m["invalid"] != nil {
			got = "invalid"
		}
		if got != want[i] {
			t.Errorf("output line %d (input line %v): %s, want %s: %v", i, n, got, want[i], m)
		}
		if _, ok := m["trace"]; ok && len(m["trace"].([]any)) != 0 {
			t.Errorf("line %v has a trace", n)
		}
	}
}

func TestRunEvalFileErrors(t *testing.T) {
	f, _, _, _ := testFactory(t, "json", 0)
	err := runEvalFile(f, &EvalOptions{File: filepath.Join(t.TempDir(), "missing"), Concurrency: 2})
	if exitCodeOf(err) != 2 || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
	path := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(path, []byte("# nothing\n\n"), 0o644)
	if err := runEvalFile(f, &EvalOptions{File: path, Concurrency: 2}); exitCodeOf(err) != 2 {
		t.Errorf("no connection: %v", err)
	}
	// Only invalid lines: exit 2; a line too long is an input error too.
	os.WriteFile(path, []byte("x y z\n"), 0o644)
	if err := runEvalFile(f, &EvalOptions{File: path, Concurrency: 2}); exitCodeOf(err) != 2 {
		t.Errorf("invalid line: %v", err)
	}
	os.WriteFile(path, []byte("192.0.2.25 a@example.com mx.example.net\n"+strings.Repeat("x", maxBatchLine+1)+"\n"), 0o644)
	if err := runEvalFile(f, &EvalOptions{File: path, Concurrency: 2}); exitCodeOf(err) != 2 || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("long line: %v", err)
	}
}

// TestRunEvalFileStdin reads "-".
func TestRunEvalFileStdin(t *testing.T) {
	f, _, out, _ := testFactory(t, "json", 0)
	f.IO.In = strings.NewReader("192.0.2.25 a@example.com mx.example.net\n")
	if err := runEvalFile(f, &EvalOptions{File: "-", Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	if lines := readJSONLines(t, out.String()); len(lines) != 1 || lines[0]["result"] != "pass" {
		t.Errorf("output %q", out.String())
	}
}
