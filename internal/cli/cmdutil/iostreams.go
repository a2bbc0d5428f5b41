package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/mattn/go-isatty"

	"github.com/penguinmails/emailauth/pkg/report"
)

// IOStreams carries the standard streams and what is known about them. Data
// goes to Out; status, progress and diagnostics to ErrOut.
//
// Human-readable output is written through Term (stdout) and ErrTerm
// (stderr), never to Out or ErrOut directly: they make DNS- and
// message-derived text safe for a terminal and own colour. Out is written
// directly only by the machine formats (JSON, CSV, JUnit), whose encoders
// escape what they carry.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdoutTTY bool
	StderrTTY bool
	// Color is true when colour may be written to Out: a terminal, and
	// neither --no-color nor NO_COLOR. ErrColor is the same for ErrOut.
	Color    bool
	ErrColor bool
	// Verbosity is the count of -v flags; Quiet is -q: only results and
	// errors are printed (no notes, warnings or progress).
	Verbosity int
	Quiet     bool

	once          sync.Once
	term, errTerm *report.Term

	mu       sync.Mutex
	deferred []string // warnings raised before -q was known
}

// DeferWarning keeps a warning raised while the command line is still being
// parsed (a deprecated flag), before -q is known; FlushWarnings prints it.
func (s *IOStreams) DeferWarning(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deferred = append(s.deferred, msg)
}

// FlushWarnings prints the deferred warnings (unless -q) and forgets them.
func (s *IOStreams) FlushWarnings() {
	s.mu.Lock()
	pending := s.deferred
	s.deferred = nil
	s.mu.Unlock()
	for _, m := range pending {
		s.Warnf("%s", m)
	}
}

// System returns the process's streams.
func System() *IOStreams {
	out := isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd())
	errTTY := isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd())
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, StdoutTTY: out, StderrTTY: errTTY, Color: out, ErrColor: errTTY}
}

// Test returns streams backed by buffers, for tests: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// DisableColor turns colour off on both streams (--no-color, NO_COLOR). It
// must be called before the first Term or ErrTerm.
func (s *IOStreams) DisableColor() { s.Color, s.ErrColor = false, false }

func (s *IOStreams) terms() {
	s.once.Do(func() {
		s.term = report.NewTerm(s.Out, s.Color)
		s.errTerm = report.NewTerm(s.ErrOut, s.ErrColor)
	})
}

// Term is the writer of every human-readable result on stdout.
func (s *IOStreams) Term() *report.Term { s.terms(); return s.term }

// ErrTerm is the writer of every diagnostic on stderr.
func (s *IOStreams) ErrTerm() *report.Term { s.terms(); return s.errTerm }

// Verbosef writes a diagnostic line to stderr when -v was given at least
// level times (and not -q).
func (s *IOStreams) Verbosef(level int, format string, args ...any) {
	if s.Verbosity >= level && !s.Quiet {
		s.ErrTerm().Printf(format+"\n", args...)
	}
}

// Notef writes a note to stderr unless -q was given: something the user
// should know that is neither a result nor a problem ("using its domain").
func (s *IOStreams) Notef(format string, args ...any) {
	if !s.Quiet {
		s.ErrTerm().Printf("note: "+format+"\n", args...)
	}
}

// Warnf writes a warning line to stderr unless -q was given.
func (s *IOStreams) Warnf(format string, args ...any) {
	if !s.Quiet {
		s.ErrTerm().Printf("warning: "+format+"\n", args...)
	}
}

// Errorf writes an error line to stderr, whatever -q says.
func (s *IOStreams) Errorf(format string, args ...any) {
	s.ErrTerm().Printf(format+"\n", args...)
}

// Flush reports the first write error of either Term: output that could
// not be written is an error (exit 3), never dropped.
func (s *IOStreams) Flush() error {
	if s.term == nil {
		return nil
	}
	if err := s.term.Err(); err != nil {
		return &IncompleteError{Err: fmt.Errorf("standard output: %w", err)}
	}
	return nil
}

// Progress redraws a one-line progress indicator on stderr, which must be a
// terminal: the caller decides (StderrTTY, not Quiet). The line is made safe.
func (s *IOStreams) Progress(line string) {
	s.ErrTerm().Printf("%s", report.ProgressLine(line))
}

// ProgressDone erases the progress line.
func (s *IOStreams) ProgressDone() {
	s.ErrTerm().Printf("%s", report.ProgressLine(""))
}
