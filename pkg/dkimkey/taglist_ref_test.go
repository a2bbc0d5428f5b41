package dkimkey

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// The tag-list parser before its value and name loops became table-driven
// (and before AppendTagList), kept as the reference the fast one must
// match: same tags, same offsets, same errors, on every input.

func refParseTagList(s string) (TagList, error) {
	p := refTagParser{s: s}
	return p.parse()
}

type refTagParser struct {
	s string
	i int
}

func (p *refTagParser) errf(tag string, off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Tag: tag, Msg: fmt.Sprintf(format, args...)}
}

// skipFWS skips whitespace and folding whitespace. It fails on a line break
// that is not followed by whitespace.
func (p *refTagParser) skipFWS(tag string) error {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t':
			p.i++
		case '\r', '\n':
			n, err := p.lineBreak(tag)
			if err != nil {
				return err
			}
			p.i += n
		default:
			return nil
		}
	}
	return nil
}

// lineBreak checks the line break at p.i and returns its length (without
// the whitespace that must follow it).
func (p *refTagParser) lineBreak(tag string) (int, error) {
	n := 0
	switch {
	case strings.HasPrefix(p.s[p.i:], "\r\n"):
		n = 2
	case p.s[p.i] == '\n':
		n = 1
	default:
		return 0, p.errf(tag, p.i, "a carriage return not followed by a line feed")
	}
	if j := p.i + n; j >= len(p.s) || (p.s[j] != ' ' && p.s[j] != '\t') {
		return 0, p.errf(tag, p.i, "a line break not followed by a space or tab (it is not folding whitespace)")
	}
	return n, nil
}

func (p *refTagParser) parse() (TagList, error) {
	list := make(TagList, 0, strings.Count(p.s, ";")+1)
	var seen map[string]int // only for long lists; short ones are scanned
	if err := p.skipFWS(""); err != nil {
		return nil, err
	}
	if p.i == len(p.s) {
		return nil, p.errf("", p.i, "the tag-list is empty; it needs at least one tag=value")
	}
	for {
		// tag-name
		start := p.i
		c := p.s[p.i]
		switch {
		case c == ';':
			if len(list) == 0 {
				return nil, p.errf("", p.i, "the tag-list starts with \";\"; remove it")
			}
			return nil, p.errf("", p.i, "an empty tag-spec (two \";\" in a row); remove one \";\"")
		case c == '=':
			return nil, p.errf("", p.i, "a tag with no name before \"=\"")
		case !isAlpha(c):
			return nil, p.errf("", p.i, "a tag name must start with a letter, not %s", quoteByte(p.s, p.i))
		}
		p.i++
		for p.i < len(p.s) && (isAlpha(p.s[p.i]) || isDigit(p.s[p.i]) || p.s[p.i] == '_') {
			p.i++
		}
		name := p.s[start:p.i]
		if err := p.skipFWS(name); err != nil {
			return nil, err
		}
		if p.i == len(p.s) || p.s[p.i] == ';' {
			return nil, p.errf(name, start, "the tag has no \"=\" and no value (write %s=value)", name)
		}
		if p.s[p.i] != '=' {
			if p.s[p.i-1] == ' ' || p.s[p.i-1] == '\t' {
				return nil, p.errf(name, p.i, "expected \"=\" after the tag name, found %s", quoteByte(p.s, p.i))
			}
			return nil, p.errf(name, p.i, "a tag name may hold only letters, digits and \"_\"; found %s", quoteByte(p.s, p.i))
		}
		p.i++ // '='
		if err := p.skipFWS(name); err != nil {
			return nil, err
		}
		vstart, vend := p.i, p.i
	value:
		for p.i < len(p.s) {
			c := p.s[p.i]
			switch {
			case c == ';':
				break value
			case c == ' ' || c == '\t':
				p.i++
			case c == '\r' || c == '\n':
				n, err := p.lineBreak(name)
				if err != nil {
					return nil, err
				}
				p.i += n
			case c >= 0x21 && c <= 0x7e:
				p.i++
				vend = p.i
			case c >= 0x80:
				r, size := utf8.DecodeRuneInString(p.s[p.i:])
				if r == utf8.RuneError && size <= 1 {
					return nil, p.errf(name, p.i, "invalid UTF-8 (byte 0x%02x) in the value", c)
				}
				p.i += size
				vend = p.i
			default:
				return nil, p.errf(name, p.i, "a control character (0x%02x) in the value", c)
			}
		}
		if first, dup := p.duplicate(list, &seen, name); dup {
			return nil, p.errf(name, start, "the tag appears twice (first at offset %d); RFC 6376 §3.2 makes a duplicate tag an error", first)
		}
		if seen != nil {
			seen[name] = start
		}
		list = append(list, Tag{Name: name, Value: p.s[vstart:vend], Offset: start, ValueStart: vstart, ValueEnd: vend})
		if p.i == len(p.s) {
			return list, nil
		}
		p.i++ // ';'
		if err := p.skipFWS(""); err != nil {
			return nil, err
		}
		if p.i == len(p.s) {
			return list, nil // trailing ";"
		}
	}
}

// duplicate reports whether name is already in list, and where. Lists of
// up to 16 tags are scanned; longer ones get a map.
func (p *refTagParser) duplicate(list TagList, seen *map[string]int, name string) (int, bool) {
	if *seen == nil && len(list) < 16 {
		for _, t := range list {
			if t.Name == name {
				return t.Offset, true
			}
		}
		return 0, false
	}
	if *seen == nil {
		*seen = make(map[string]int, 2*len(list))
		for _, t := range list {
			(*seen)[t.Name] = t.Offset
		}
	}
	off, ok := (*seen)[name]
	return off, ok
}

// sameParse reports how ParseTagList (and AppendTagList onto a non-empty
// slice) differ from the reference on s, or "".
func sameParse(s string) string {
	want, wantErr := refParseTagList(s)
	got, gotErr := ParseTagList(s)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		return fmt.Sprintf("error %v, reference %v", gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("tags %+v, reference %+v", got, want)
	}
	// Appending after tags of another list: same tags after them, and the
	// duplicate check does not look at the earlier ones.
	prefix := TagList{{Name: "v"}, {Name: "a"}, {Name: "b"}}
	app, appErr := AppendTagList(prefix[:3:3], s)
	if fmt.Sprint(appErr) != fmt.Sprint(wantErr) {
		return fmt.Sprintf("AppendTagList error %v, reference %v", appErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(app[3:], want) || len(app) < 3 || app[0].Name != "v" {
		return fmt.Sprintf("AppendTagList %+v, reference %+v", app, want)
	}
	return ""
}

// tagListInputs cuts candidate tag-lists out of a file: each line, what
// follows its first ":" or "=" or quote, and each header field value with
// its folds (CRLF and LF forms).
func tagListInputs(text string) []string {
	var out []string
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		out = append(out, l)
		for _, sep := range []string{":", "=", "\"", " "} {
			if _, after, ok := strings.Cut(l, sep); ok {
				out = append(out, after, strings.Trim(after, "\" \t"))
			}
		}
		// A field and its continuation lines.
		if _, value, ok := strings.Cut(l, ":"); ok && l != "" && l[0] != ' ' && l[0] != '\t' {
			j := i + 1
			for j < len(lines) && j < i+200 && lines[j] != "" && (lines[j][0] == ' ' || lines[j][0] == '\t') {
				j++
			}
			folded := append([]string{value}, lines[i+1:j]...)
			out = append(out, strings.Join(folded, "\r\n"), strings.Join(folded, "\n"), strings.Join(folded, "\r"))
		}
	}
	return out
}

// TestTagListMatchesReference runs both parsers on every candidate
// tag-list of the DKIM and ARC conformance suites, and on mutations of
// them (each cut short, octets replaced by the ones the parser treats
// specially).
func TestTagListMatchesReference(t *testing.T) {
	n, accepted := 0, 0
	seen := map[string]bool{}
	special := []string{";", "=", " ", "\t", "\r", "\n", "\r\n ", "\x00", "\x7f", "\xc3", "\xc3\xa9", "\xff", "_", "1", ";;", "a=", "\"", ":"}
	for _, dir := range []string{"../../testdata/conformance/dkim", "../../testdata/conformance/arc"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, in := range tagListInputs(string(b)) {
				if len(in) > 4096 || seen[in] {
					continue
				}
				seen[in] = true
				cases := []string{in}
				if strings.Contains(in, "=") && len(in) < 2048 {
					for k, m := 0, 0; k < len(in); k += 1 + len(in)/24 {
						cases = append(cases, in[:k])
						for range 3 {
							m++
							cases = append(cases, in[:k]+special[m%len(special)]+in[k+1:])
						}
					}
				}
				for _, c := range cases {
					n++
					if _, err := refParseTagList(c); err == nil {
						accepted++
					}
					if d := sameParse(c); d != "" {
						t.Fatalf("%s: %q: %s", path, c, d)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The corpora must give both kinds of input in numbers, or the test
	// proves little.
	if n < 100000 || accepted < 20000 || n-accepted < 20000 {
		t.Fatalf("%d inputs, %d accepted: too few", n, accepted)
	}
	t.Logf("%d inputs, %d accepted by both parsers alike", n, accepted)
}

// Long lists use a map for the duplicate check: both sides of the
// threshold, and lists appended after others.
func TestTagListMatchesReferenceLong(t *testing.T) {
	for n := 1; n <= 40; n++ {
		var b strings.Builder
		for k := 0; k < n; k++ {
			fmt.Fprintf(&b, "t%d=%d; ", k, k)
		}
		for _, s := range []string{b.String(), b.String() + "t0=x", b.String() + fmt.Sprintf("t%d=x", n-1), b.String() + "t99=\x01"} {
			if d := sameParse(s); d != "" {
				t.Fatalf("%q: %s", s, d)
			}
		}
	}
}

func FuzzTagListMatchesReference(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=rsa; p=abc", "a=1;;b=2", "a=1; a=2", " a = b c ; ", "a=1;\r\n\tb=2", "a=x\r\ny",
		"n=caf\u00e9", "=", ";", "a", "a=\xff", "v=DKIM1; h=sha256:sha1; s=*; t=y:s; n=x=20y; p=",
		" v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;\r\n\th=from:to; bh=AAAA; b=AA\r\n\tAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := sameParse(s); d != "" {
			t.Fatalf("%q: %s", s, d)
		}
	})
}
