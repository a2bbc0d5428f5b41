package cmdutil

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams carries the standard streams and what is known about them. Data
// goes to Out; status, progress and diagnostics to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	StdoutTTY bool
	StderrTTY bool
	// Color is true when colour may be written to Out: a terminal, and
	// neither --no-color nor NO_COLOR.
	Color bool
	// Verbosity is the count of -v flags; Quiet is -q.
	Verbosity int
	Quiet     bool
}

// System returns the process's streams.
func System() *IOStreams {
	out := isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd())
	errTTY := isatty.IsTerminal(os.Stderr.Fd()) || isatty.IsCygwinTerminal(os.Stderr.Fd())
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, StdoutTTY: out, StderrTTY: errTTY, Color: out}
}

// Test returns streams backed by buffers, for tests: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// Verbosef writes a diagnostic line to ErrOut when -v was given at least
// level times.
func (s *IOStreams) Verbosef(level int, format string, args ...any) {
	if s.Verbosity >= level && !s.Quiet {
		fmt.Fprintf(s.ErrOut, format+"\n", args...)
	}
}

// Warnf writes a warning line to ErrOut unless -q was given.
func (s *IOStreams) Warnf(format string, args ...any) {
	if !s.Quiet {
		fmt.Fprintf(s.ErrOut, "warning: "+format+"\n", args...)
	}
}
