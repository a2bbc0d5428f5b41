package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goodLog writes a log of n records and returns its lines (without
// newlines).
func goodLog(t testing.TB, n int) []string { return goodLogBy(t, n, "alice") }

func goodLogBy(t testing.TB, n int, user string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.log")
	opts := testOptions()
	opts.User = user
	l, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(testEvent{Writer: "w", N: i}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	data, _ := os.ReadFile(path)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func join(lines []string) string { return strings.Join(lines, "\n") + "\n" }

// problem is what a tampering must be reported as.
type problem struct {
	code     string
	line     int
	lastLine int
	message  string // a substring of the message
}

func TestVerifyDetectsTampering(t *testing.T) {
	g := goodLog(t, 6)
	other := goodLogBy(t, 2, "bob") // another log's chain
	edit := func(l string) string { return strings.Replace(l, `"writer":"w"`, `"writer":"mallory"`, 1) }
	// A record claiming seq 3 whose prev points at no line.
	forged := edit(g[2])
	forged = forged[:strings.Index(forged, `"prev":"`)+8] + strings.Repeat("f", 64) + `"}`
	tests := []struct {
		name string
		log  string
		head string
		want []problem
	}{
		{"intact", join(g), "", nil},
		{"empty", "", "", nil},
		{"edited line 3", join([]string{g[0], g[1], edit(g[2]), g[3], g[4], g[5]}), "", []problem{
			{"audit.line-edited", 3, 0, "line 3 was changed after line 4 recorded its hash"}}},
		{"edited first line", join([]string{edit(g[0]), g[1], g[2], g[3], g[4], g[5]}), "", []problem{
			{"audit.line-edited", 1, 0, "line 1 was changed"}}},
		{"edited last line: seen only with the head", join([]string{g[0], g[1], g[2], g[3], g[4], edit(g[5])}), LineHash([]byte(g[5])), []problem{
			{"audit.head-missing", 6, 0, "no line has the hash"}}},
		{"sequence number edited", join([]string{g[0], g[1], strings.Replace(g[2], `"seq":3`, `"seq":9`, 1), g[3], g[4], g[5]}), "", []problem{
			{"audit.line-edited", 3, 0, "line 3 has sequence number 9 where 3 follows line 2 (seq 2)"},
			{"audit.line-edited", 3, 0, "line 3 was changed after line 4"}}},
		{"deleted line 3", join([]string{g[0], g[1], g[3], g[4], g[5]}), "", []problem{
			{"audit.line-deleted", 3, 0, "1 record (seq 3) deleted between line 2 and line 3"}}},
		{"deleted lines 3 and 4", join([]string{g[0], g[1], g[4], g[5]}), "", []problem{
			{"audit.line-deleted", 3, 0, "2 records (seq 3 to 4) deleted between line 2 and line 3"}}},
		{"deleted the first line", join(g[1:]), "", []problem{
			{"audit.line-deleted", 1, 0, "1 record (seq 1) deleted before line 1, the first"}}},
		{"deleted the last line: seen only with the head", join(g[:5]), LineHash([]byte(g[5])), []problem{
			{"audit.head-missing", 5, 0, "lines were deleted from the end"}}},
		{"deleted the last line, head of line 5 kept", join(g[:5]), LineHash([]byte(g[4])), nil},
		{"swapped lines 3 and 4", join([]string{g[0], g[1], g[3], g[2], g[4], g[5]}), "", []problem{
			{"audit.lines-reordered", 3, 5, "lines 3 to 5 are out of the order they were written in (seq 4, 3, 5)"}}},
		{"line 2 moved to the end", join([]string{g[0], g[2], g[3], g[4], g[5], g[1]}), "", []problem{
			{"audit.lines-reordered", 2, 0, "line 2 (seq 3) was written after line 6, not after line 1 (seq 1)"},
			{"audit.lines-reordered", 6, 0, "line 6 (seq 2) was written after line 1"}}},
		{"line 2 copied after line 5", join([]string{g[0], g[1], g[2], g[3], g[4], g[1], g[5]}), "", []problem{
			{"audit.line-inserted", 6, 0, "line 6 is a copy of line 2"}}},
		{"a forged record with a taken sequence number", join([]string{g[0], g[1], g[2], forged, g[3], g[4], g[5]}), "", []problem{
			{"audit.line-inserted", 4, 0, "line 4 claims seq 3, which line 3 has"},
			{"audit.lines-reordered", 5, 0, "line 5 (seq 4) was written after line 3, not after line 4"}}},
		{"last line cut short", join(g)[:len(join(g))-20], "", []problem{
			{"audit.line-truncated", 6, 0, "line 6, the last, has no newline"}}},
		{"last newline removed", strings.TrimSuffix(join(g), "\n"), "", []problem{
			{"audit.line-truncated", 6, 0, "line 6, the last"}}},
		{"garbage inserted", join([]string{g[0], g[1], "hello", g[2], g[3], g[4], g[5]}), "", []problem{
			{"audit.line-malformed", 3, 0, "line 3 is not an audit record: it is not JSON"}}},
		{"line 3 replaced by garbage", join([]string{g[0], g[1], "{}", g[3], g[4], g[5]}), "", []problem{
			{"audit.line-malformed", 3, 0, "it has no version"}}},
		{"blank line", join([]string{g[0], g[1], "", g[2], g[3], g[4], g[5]}), "", []problem{
			{"audit.line-malformed", 3, 0, "it is empty"}}},
		{"prev not hex", join([]string{g[0], strings.Replace(g[1], `"prev":"`, `"prev":"zz`, 1)}), "", []problem{
			{"audit.line-malformed", 2, 0, "its prev is not a SHA-256"}}},
		{"a line over the limit", join([]string{g[0], `{"pad":"` + strings.Repeat("x", MaxLine) + `"}`, g[1]}), "", []problem{
			{"audit.line-malformed", 2, 0, "longer than 65536 octets"}}},
		{"two logs joined", join(append(slices.Clone(g), other...)), "", []problem{
			{"audit.chain-restarted", 7, 0, "line 7 starts a new chain (seq 1) after line 6 (seq 6)"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(strings.NewReader(tc.log), VerifyOptions{Head: tc.head})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range v.Problems {
				got = append(got, fmt.Sprintf("%s line %d-%d: %s", p.Code, p.Line, p.LastLine, p.Message))
			}
			if len(v.Problems) != len(tc.want) {
				t.Fatalf("problems:\n%s\nwant %d", strings.Join(got, "\n"), len(tc.want))
			}
			for i, w := range tc.want {
				p := v.Problems[i]
				if breakSpecs[p.Break].Code != p.Code || p.Fix == "" {
					t.Errorf("problem %d: break %q with code %s, fix %q", i, p.Break, p.Code, p.Fix)
				}
				if p.Code != w.code || p.Line != w.line || p.LastLine != w.lastLine || !strings.Contains(p.Message, w.message) {
					t.Errorf("problem %d: %s\nwant %s line %d-%d: ...%s...", i, got[i], w.code, w.line, w.lastLine, w.message)
				}
			}
			wantStatus := "pass"
			if len(tc.want) > 0 {
				wantStatus = "fail"
			}
			if string(v.Status) != wantStatus {
				t.Errorf("status %s, want %s", v.Status, wantStatus)
			}
		})
	}
}

func TestVerifySummary(t *testing.T) {
	g := goodLog(t, 4)
	v, err := Verify(strings.NewReader(join(g)), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Lines != 4 || v.Records != 4 || v.FirstSeq != 1 || v.LastSeq != 4 || v.Head != LineHash([]byte(g[3])) || v.HeadLine != 0 {
		t.Errorf("%+v", v)
	}
	if _, err := Verify(strings.NewReader(join(g)), VerifyOptions{Head: "not-a-hash"}); !errors.Is(err, ErrBadHead) {
		t.Errorf("a bad head: %v, want ErrBadHead", err)
	}
	// Problems past the cap are counted.
	var many []string
	for range 30 {
		many = append(many, "x")
	}
	v, _ = Verify(strings.NewReader(join(many)), VerifyOptions{MaxProblems: 10})
	if len(v.Problems) != 10 || v.MoreProblems != 20 {
		t.Errorf("%d problems, %d more", len(v.Problems), v.MoreProblems)
	}
}

func FuzzVerify(f *testing.F) {
	g := goodLog(f, 3)
	f.Add([]byte(join(g)))
	f.Add([]byte(join([]string{g[0], g[2], g[1]})))
	f.Add([]byte("{}\n\n" + g[1]))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Verify(bytes.NewReader(data), VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v.Records > v.Lines || (len(v.Problems) == 0) != (v.Status == "pass") {
			t.Fatalf("inconsistent: %+v", v)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	g := goodLog(b, 1000)
	data := []byte(join(g))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(bytes.NewReader(data), VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
