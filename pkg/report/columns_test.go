package report

import (
	"bytes"
	"testing"
)

func TestColumns(t *testing.T) {
	var out bytes.Buffer
	Columns(NewTerm(&out, false), [][]Cell{Row("A", "B", "C"), Row("食狮.公司", "x\ty", "end"), Row("e\u0301", "\x1b", "")}, 2)
	want := "A          B     C\n" +
		"食狮.公司  x y   end\n" +
		"e\u0301          \\x1b\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}

func TestJSONSafe(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"x"}`:          `{"a":"x"}`,
		"{\"a\":\"\x7f\"}":   `{"a":"\u007f"}`,
		"{\"a\":\"\u009b\"}": `{"a":"\u009b"}`,
		"{\"a\":\"\u202e\"}": `{"a":"\u202e"}`,
		"{\"a\":\"é食\"}":     "{\"a\":\"é食\"}",
	} {
		if got := string(SafeJSON([]byte(in))); got != want {
			t.Errorf("SafeJSON(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"example.com":  "example.com",
		"=1+1":         "'=1+1",
		"+1":           "'+1",
		"-1":           "'-1",
		"@x":           "'@x",
		"'x":           "''x",
		"\tx":          " x",
		"a\x1b[2Jb":    `a\x1b[2Jb`,
		"a\u202eb\xff": `a\u{202e}b` + "\ufffd",
		"line\nbreak":  "line\nbreak",
		"\r=1":         `\x0d=1`,
		"a\x00b":       `a\x00b`,
		"食狮":           "食狮",
		"2001:db8::25": "2001:db8::25",
	} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}
