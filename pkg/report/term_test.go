package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// hostile is text a stranger can publish in a TXT record or a header.
var hostile = []string{
	"\x1b]0;pwned\x07",
	"\x1b[2J\x1b[H",
	"a\x00b",
	"bell\x07",
	"cr\rover",
	"rtl \u202eevil\u202c",
	"isolate \u2066x\u2069",
	"bad utf8 \xff\xfe",
	"c1 \u009b31m",
	"line\u2028sep",
	"marker \ue000" + "0\ue001 here",
}

// unsafeByte returns the first byte of s that must not reach a terminal:
// a C0 control other than newline, DEL, or the start of a C1 control or a
// bidi control in UTF-8.
func unsafeByte(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c == 0x7f {
			return fmt.Sprintf("%q at %d", c, i), true
		}
	}
	for _, r := range s {
		if r >= 0x80 && r < 0xa0 || isBidi(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Sprintf("%U", r), true
		}
	}
	return "", false
}

func TestTermEscapesEverything(t *testing.T) {
	type rec struct{ Name string }
	for _, h := range hostile {
		var buf bytes.Buffer
		term := NewTerm(&buf, false)
		term.Printf("%s %q %v %v %v %s\n", h, h, rec{h}, []string{h}, errors.New(h), []byte(h))
		term.Println(h, rec{h}, term.Style(StyleFail, h))
		fmt.Fprintf(term, "written %s\n", h)
		if err := term.Err(); err != nil {
			t.Fatal(err)
		}
		if what, bad := unsafeByte(buf.String()); bad {
			t.Errorf("%q: %s reached the output: %q", h, what, buf.String())
		}
		if strings.Contains(buf.String(), "\ue000") {
			t.Errorf("%q: a marker reached the output: %q", h, buf.String())
		}
	}
}

func TestTermColour(t *testing.T) {
	var buf bytes.Buffer
	term := NewTerm(&buf, true)
	term.Printf("%s is %s; data %s\n", term.Style(StyleBold, "example.com"), term.Style(StyleFail, "FAIL"), "\x1b[31mred")
	want := "\x1b[1mexample.com\x1b[0m is \x1b[31mFAIL\x1b[0m; data \\x1b[31mred\n"
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
	buf.Reset()
	// Data cannot place a styled text, nor drive colour.
	term.Printf("%s %s\n", "\ue0000\ue001", term.Style(StylePass, "ok"))
	if got := buf.String(); strings.Count(got, "\x1b[") != 2 || !strings.HasPrefix(got, `\u{e000}0\u{e001} `) {
		t.Errorf("data with markers: %q", got)
	}
	buf.Reset()
	plain := NewTerm(&buf, false)
	plain.Printf("%s\n", plain.Style(StyleFail, "FAIL"))
	if buf.String() != "FAIL\n" {
		t.Errorf("no colour: %q", buf.String())
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("no space left on device")
}

func TestTermKeepsFirstError(t *testing.T) {
	w := &failWriter{}
	term := NewTerm(w, false)
	term.Printf("a\n")
	term.Printf("b\n")
	if err := term.Err(); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("Err = %v", err)
	}
	if w.n != 1 {
		t.Errorf("wrote %d times after an error; want 1", w.n)
	}
	if _, err := term.Write([]byte("c")); err == nil {
		t.Error("Write after an error succeeded")
	}
}

func TestWidth(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"example.com", 11},
		{"bücher.example", 14},
		{"例え.テスト", 11},
		{"e\u0301", 1},
	} {
		if got := Width(tc.s); got != tc.want {
			t.Errorf("Width(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
	if got := truncate("例え例え例え", 7); Width(got) > 7 || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate = %q (width %d)", got, Width(got))
	}
	for _, l := range wrap("例え例え 例え例え 例え例え 例え例え", 18) {
		if Width(l) > 18 {
			t.Errorf("wrap: %q is %d columns", l, Width(l))
		}
	}
}

func TestGrid(t *testing.T) {
	var buf bytes.Buffer
	term := NewTerm(&buf, true)
	err := Grid(term, []string{"NAME", "TYPE", "VALUE"}, [][]string{
		{"例え.example", "TXT", "v=spf1 -all"},
		{"a.example", "MX", "10 mx.example.\x1b[2J\u202e"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if what, bad := unsafeByte(out); bad {
		t.Fatalf("%s in %q", what, out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("lines: %q", lines)
	}
	// The TYPE column starts at the same display column on every row.
	col := func(l, cell string) int { return Width(l[:strings.Index(l, cell)]) }
	if a, b := col(lines[2], "TXT"), col(lines[3], "MX"); a != b || col(lines[0], "TYPE") != a {
		t.Errorf("columns not aligned (%d, %d):\n%s", a, b, out)
	}
	if !strings.Contains(out, `10 mx.example.\x1b[2J\u{202e}`) {
		t.Errorf("hostile cell not escaped whole:\n%s", out)
	}
}

func TestSafeLineAndJSON(t *testing.T) {
	if got := SafeLine("v=spf1 -all\nresult: pass\x1b[2J"); got != `v=spf1 -all\x0aresult: pass\x1b[2J` {
		t.Errorf("SafeLine = %q", got)
	}
	var buf bytes.Buffer
	in := map[string]string{"v": "a\u202eb\u009bc\x7fd<e>&"}
	if err := WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "{\n  \"v\": \"a\\u202eb\\u009bc\\u007fd<e>&\"\n}\n" {
		t.Errorf("WriteJSON = %q", got)
	}
	var back map[string]string
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["v"] != in["v"] {
		t.Errorf("round trip: %q, %v", back["v"], err)
	}
	if got := CSVCell("=cmd|\x1b[2J"); got != `'=cmd|\x1b[2J` {
		t.Errorf("CSVCell = %q", got)
	}
}
