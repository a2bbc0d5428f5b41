package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"
)

// printable makes s safe to write to a terminal or a document: control
// characters other than newline (ESC above all: a TXT record is written by
// whoever controls the domain, and must not drive the reader's terminal) are
// written as \xNN or \u{NNNN}, and invalid UTF-8 as U+FFFD. Tabs become a
// space.
func printable(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isBadByte(s, i):
			b.WriteRune(utf8.RuneError)
		case r == '\n':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.Is(unicode.Cc, r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r) && isBidi(r):
			fmt.Fprintf(&b, `\u{%04x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isBadByte(s string, i int) bool {
	r, n := utf8.DecodeRuneInString(s[i:])
	return r == utf8.RuneError && n <= 1
}

// isBidi reports whether r is a bidirectional formatting character, which
// can make a record read differently from what it is ("Trojan Source").
func isBidi(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// oneLine joins the lines of s with a space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " \n ")), " ")
}

// truncate shortens s to at most n terminal columns, ending with "…" when
// cut.
func truncate(s string, n int) string {
	if Width(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	return displaywidth.TruncateString(s, n, "…")
}

// wrap breaks text into lines of at most width terminal columns, after
// words. Each of
// the text's own lines starts a new line. A quoted ("...") or backquoted
// span is never broken, nor is a word: one longer than width gets a line of
// its own, whole, so record values and names can be copied from the
// terminal. A line that looks like a record (v=spf1 ..., v=DMARC1; ...) is
// kept whole too.
func wrap(text string, width int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		para = strings.TrimRight(para, " ")
		if Width(para) <= width || looksLikeRecord(para) {
			out = append(out, para)
			continue
		}
		line, n := "", 0
		for _, u := range units(para) {
			un := Width(u)
			switch {
			case n == 0:
				line, n = u, un
			case n+1+un <= width:
				line, n = line+" "+u, n+1+un
			default:
				out = append(out, line)
				line, n = u, un
			}
		}
		out = append(out, line)
	}
	return out
}

func looksLikeRecord(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) > 2 && (s[0] == 'v' || s[0] == 'V') && s[1] == '='
}

// units splits a line at spaces, keeping "quoted" and `backquoted` spans
// (spaces and all) in one unit.
func units(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			cur.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '`':
			cur.WriteRune(r)
			quote = r
		case r == ' ':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// Markdown (CommonMark with GitHub's tables).

// mdText escapes s for markdown running text (on one line): the characters
// that start emphasis, code, links, HTML, tables and strikethrough are
// backslash-escaped.
func mdText(s string) string {
	s = oneLine(printable(s))
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&', '#', '!', '$':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdCode writes s as a code span on one line; inTable also escapes "|",
// which GitHub's tables split cells on even inside code spans.
func mdCode(s string, inTable bool) string {
	s = oneLine(printable(s))
	if s == "" {
		return ""
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") {
		s = " " + s + " "
	}
	return ticks + s + ticks
}

// mdFence writes s as a fenced code block, with a fence longer than any run
// of backquotes in s.
func mdFence(s, info string) string {
	s = strings.TrimRight(printable(strings.ReplaceAll(s, "\r\n", "\n")), "\n")
	n := longestRun(s, '`') + 1
	if n < 3 {
		n = 3
	}
	fence := strings.Repeat("`", n)
	return fence + info + "\n" + s + "\n" + fence + "\n"
}

func longestRun(s string, c byte) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			cur++
			if cur > best {
				best = cur
			}
		} else {
			cur = 0
		}
	}
	return best
}
