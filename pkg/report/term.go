package report

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/clipperhouse/displaywidth"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// Safe makes s safe to write to a terminal: control characters other than
// newline (ESC above all: a TXT record or a message header is written by a
// stranger, and must not drive the reader's terminal), bidirectional
// formatting characters and invalid UTF-8 are written as visible escapes
// (\x1b, \u{202e}, U+FFFD). Tabs become a space. Every human-readable output
// of emailauth passes through it, by way of a Term.
func Safe(s string) string { return printable(s) }

// SafeLine is Safe for a value shown on one line of its own: line breaks in
// it are escaped too (\x0a), so that a record cannot forge a line of the
// output ("result: pass").
func SafeLine(s string) string {
	s = printable(s)
	if strings.ContainsRune(s, '\n') {
		s = strings.ReplaceAll(s, "\n", `\x0a`)
	}
	return s
}

// Width returns the number of terminal columns s takes: East Asian wide
// characters and most emoji take two, combining marks none. Layouts measure
// with it, never with byte or rune counts.
func Width(s string) int { return displaywidth.String(s) }

// Style is a text style of the colour scheme.
type Style int

// The styles. Statuses map to them with StatusStyle.
const (
	StylePlain Style = iota
	StyleBold
	StyleDim
	StylePass  // green
	StyleWarn  // yellow
	StyleFail  // red
	StyleError // magenta: could not complete
)

func (s Style) sgr() string {
	switch s {
	case StyleBold:
		return ansiBold
	case StyleDim:
		return ansiDim
	case StylePass:
		return ansiGreen
	case StyleWarn:
		return ansiYellow
	case StyleFail:
		return ansiRed
	case StyleError:
		return ansiMagenta
	}
	return ""
}

// StatusStyle is the style of a status (and of "invalid", an input that
// could not be checked).
func StatusStyle(status string) Style {
	switch status {
	case string(finding.StatusPass):
		return StylePass
	case string(finding.StatusWarn):
		return StyleWarn
	case string(finding.StatusFail), "invalid":
		return StyleFail
	case string(finding.StatusError):
		return StyleError
	case string(finding.StatusSkip):
		return StyleDim
	}
	return StylePlain
}

// SeverityStyle is the style of a finding's severity.
func SeverityStyle(s finding.Severity) Style {
	switch s {
	case finding.Error:
		return StyleFail
	case finding.Warning:
		return StyleWarn
	}
	return StyleDim
}

// ColorScheme decides once whether colour is written; renderers ask it and
// never write escape sequences of their own.
type ColorScheme struct{ Enabled bool }

// Paint returns s (which must already be safe) in style st when colour is
// enabled, else s unchanged.
func (c ColorScheme) Paint(st Style, s string) string {
	if !c.Enabled || st == StylePlain || s == "" {
		return s
	}
	return st.sgr() + s + ansiReset
}

// Term is the one writer for human-readable output. It makes everything it
// writes safe for a terminal (Safe), owns colour (a ColorScheme decided once
// by the caller from the terminal, --no-color and NO_COLOR), and keeps the
// first write error, which the command reports: output lost to a full disk
// is an error, never silence. It is safe for concurrent use.
//
// Printf formats, then makes the whole result safe, so a string nested in a
// struct formatted with %v is escaped too. Styled arguments are the only way
// to colour: their text is made safe, then painted.
type Term struct {
	mu     sync.Mutex
	w      io.Writer
	colors ColorScheme
	err    error
}

// NewTerm returns a Term writing to w, in colour when color is true.
func NewTerm(w io.Writer, color bool) *Term {
	return &Term{w: w, colors: ColorScheme{Enabled: color}}
}

// Colors returns the Term's colour scheme.
func (t *Term) Colors() ColorScheme { return t.colors }

// Styled is text in a style, made by Term.Style; it is made safe when
// written.
type Styled struct {
	Style Style
	Text  string
}

// Style returns s in style st, for a Printf argument.
func (t *Term) Style(st Style, s string) Styled { return Styled{Style: st, Text: s} }

// markers delimit a Styled argument's place in the formatted text: private
// use code points, around a nonce drawn for each call and the argument's
// index. Data cannot forge one: the markers it holds are escaped.
const (
	markOpen  = '\ue000'
	markClose = '\ue001'
)

// Printf formats according to format, makes the result safe and writes it.
func (t *Term) Printf(format string, args ...any) {
	var styled []Styled
	var nonce string
	for i, a := range args {
		if v, ok := a.(Styled); ok {
			if nonce == "" {
				nonce = strconv.FormatUint(rand.Uint64(), 36) + ":"
				args = append([]any(nil), args...)
			}
			args[i] = string(markOpen) + nonce + strconv.Itoa(len(styled)) + string(markClose)
			styled = append(styled, v)
		}
	}
	t.write(t.expand(printable(fmt.Sprintf(format, args...)), nonce, styled))
}

// Println writes its arguments separated by spaces and a newline, made safe.
func (t *Term) Println(args ...any) {
	parts := make([]string, len(args))
	for i, a := range args {
		if s, ok := a.(Styled); ok {
			parts[i] = t.colors.Paint(s.Style, safeData(s.Text))
			continue
		}
		parts[i] = safeData(fmt.Sprint(a))
	}
	t.write(strings.Join(parts, " ") + "\n")
}

// Write makes p safe as a whole (no colour can pass) and writes it: for text
// laid out elsewhere, such as a tabwriter's output. It reports the first
// error.
func (t *Term) Write(p []byte) (int, error) {
	t.write(safeData(string(p)))
	if err := t.Err(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteSafe writes text that a renderer of this package has already made
// safe and coloured through this Term's ColorScheme (the check report).
func (t *Term) writeSafe(s string) error {
	t.write(s)
	return t.Err()
}

// Err returns the first write error, or nil.
func (t *Term) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *Term) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil || s == "" {
		return
	}
	if _, err := io.WriteString(t.w, s); err != nil {
		t.err = fmt.Errorf("writing output: %w", err)
	}
}

// expand replaces the markers of this call (nonce) in s with the styled
// texts, made safe and painted. Any other marker character is escaped.
func (t *Term) expand(s, nonce string, styled []Styled) string {
	if !strings.ContainsRune(s, markOpen) && !strings.ContainsRune(s, markClose) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexAny(s, string(markOpen)+string(markClose))
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		r, size := utf8.DecodeRuneInString(s[i:])
		rest := s[i+size:]
		if r == markOpen && nonce != "" && strings.HasPrefix(rest, nonce) {
			body := rest[len(nonce):]
			if j := strings.IndexRune(body, markClose); j >= 0 {
				if n, err := strconv.Atoi(body[:j]); err == nil && n >= 0 && n < len(styled) {
					st := styled[n]
					if st.Style == styleProgress {
						b.WriteString("\r" + ansiEraseLine + safeData(oneLine(st.Text)))
					} else {
						b.WriteString(t.colors.Paint(st.Style, safeData(st.Text)))
					}
					s = body[j+size:]
					continue
				}
			}
		}
		fmt.Fprintf(&b, `\u{%04x}`, r)
		s = rest
	}
}

// safeData is Safe, and also escapes the markers Printf uses, so that data
// cannot place a styled text.
func safeData(s string) string {
	s = printable(s)
	if strings.ContainsRune(s, markOpen) || strings.ContainsRune(s, markClose) {
		s = strings.NewReplacer(string(markOpen), `\u{e000}`, string(markClose), `\u{e001}`).Replace(s)
	}
	return s
}

// ProgressLine is a Printf argument that returns the cursor to the start of
// the line, erases it, and writes line (made safe): the one terminal control
// emailauth writes besides colour, for progress indicators on stderr.
func ProgressLine(line string) Styled { return Styled{Style: styleProgress, Text: line} }

const ansiEraseLine = "\x1b[K"

// styleProgress is ProgressLine's style: "\r", erase the line, the text.
const styleProgress Style = -1

// CheckSafe returns an error naming the first character of s that must not
// reach a terminal (a C0 control other than newline and tab, DEL, a C1
// control, a bidirectional control, U+2028, U+2029, or invalid UTF-8), or
// nil. Tests of every command assert their output with it.
func CheckSafe(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("invalid UTF-8 in %q", s)
	}
	for i, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r >= 0x7f && r <= 0x9f || isBidi(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%U at offset %d of %q", r, i, s)
		}
	}
	return nil
}
