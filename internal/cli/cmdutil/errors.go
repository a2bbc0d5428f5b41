package cmdutil

import (
	"errors"
	"fmt"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Exit codes: a documented contract (docs/exit-codes.md), the same for every
// command, defined with the verdict model in pkg/finding.
const (
	ExitOK         = finding.ExitOK         // everything checked passed (warnings allowed)
	ExitFailed     = finding.ExitFailed     // a check or a verification failed
	ExitBadInput   = finding.ExitBadInput   // usage error or bad input
	ExitIncomplete = finding.ExitIncomplete // could not complete: DNS timeouts, SERVFAIL, network
)

// ExitFor returns the error that carries the exit code of a run whose
// results were counted in t (finding.Tally.ExitCode), or nil for exit 0.
// The results have already been printed.
func ExitFor(t finding.Tally, failOn finding.Severity) error {
	if code := t.ExitCode(failOn); code != ExitOK {
		return &ExitError{Code: code}
	}
	return nil
}

// ExitForStatus is ExitFor for a command with one result.
func ExitForStatus(s finding.Status) error {
	var t finding.Tally
	t.Add(s)
	return ExitFor(t, finding.Error)
}

// FlagError is a usage error: Main prints it with the command's usage line,
// and its hint when it has one.
type FlagError struct {
	Err  error
	hint string
}

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// Hint says how to fix the usage, when that is known.
func (e *FlagError) Hint() string { return e.hint }

// FlagErrorHint returns a *FlagError with a hint.
func FlagErrorHint(err error, hint string) error { return &FlagError{Err: err, hint: hint} }

// FlagErrorf returns a *FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// InputError is bad input: a malformed domain name, an unreadable or
// malformed file, a bad value in a flag. Input names it; Hint, when set, says
// how to fix it.
type InputError struct {
	Input string
	Err   error
	Hint  string
}

func (e *InputError) Error() string {
	if e.Input == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s: %v", e.Input, e.Err)
}
func (e *InputError) Unwrap() error { return e.Err }

// BadInput wraps err as bad input about input.
func BadInput(input string, err error) error { return &InputError{Input: input, Err: err} }

// BadInputHint wraps err as bad input about input, with a hint.
func BadInputHint(input string, err error, hint string) error {
	return &InputError{Input: input, Err: err, Hint: hint}
}

// IncompleteError means the command could not complete (exit 3).
type IncompleteError struct {
	Err  error
	hint string
}

// Incomplete returns an *IncompleteError with a hint (what to look at).
func Incomplete(err error, hint string) error { return &IncompleteError{Err: err, hint: hint} }

func (e *IncompleteError) Error() string { return e.Err.Error() }

// Hint says what to look at, when that is known.
func (e *IncompleteError) Hint() string  { return e.hint }
func (e *IncompleteError) Unwrap() error { return e.Err }

// ExitError carries an exit code for a result that has already been
// reported: a failed check (1), or some checks that could not complete (3).
// Main prints nothing for it.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ErrFailed is returned by a command whose checks failed; the output has
// already said why.
var ErrFailed error = &ExitError{Code: ExitFailed}

// ErrIncomplete is returned by a command that printed its report but could
// not complete some of it.
var ErrIncomplete error = &ExitError{Code: ExitIncomplete}

// Hinter is an error that knows how its cause can be fixed.
type Hinter interface{ Hint() string }

// ExitCode maps an error returned by a command to the exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	var fe *FlagError
	var ie *InputError
	var ne *dns.NameError
	var inc *IncompleteError
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &fe), errors.As(err, &ie), errors.As(err, &ne):
		return ExitBadInput
	case errors.As(err, &inc), dns.IsTemporary(err):
		return ExitIncomplete
	}
	return ExitIncomplete
}

// HintFor returns the hint attached to err, if any.
func HintFor(err error) string {
	var ie *InputError
	if errors.As(err, &ie) && ie.Hint != "" {
		return ie.Hint
	}
	var h Hinter
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}
