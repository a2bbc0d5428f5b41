package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/warmup"
)

// WarmupOptions (warmup: in the config file) are the defaults of the
// warmup commands; their flags override them.
type WarmupOptions struct {
	Start      int64
	Growth     float64
	MaxGrowth  float64
	Thresholds warmup.Thresholds
}

// DefaultWarmup are the warmup defaults without a config file.
func DefaultWarmup() WarmupOptions {
	return WarmupOptions{Start: warmup.DefaultStart, Growth: warmup.DefaultGrowth, MaxGrowth: warmup.DefaultMaxGrowth, Thresholds: warmup.DefaultThresholds}
}

// secretAnnotation marks a flag whose value is redacted from audit records
// whatever its name (audit.SecretFlag).
const secretAnnotation = "emailauth/secret"

// MarkSecret marks the flag name of fs as holding a secret: its value never
// reaches an audit record. Flags named like secrets (--password, --token,
// --api-key, ...) are redacted without it; see audit.SecretFlag.
func MarkSecret(fs *pflag.FlagSet, name string) {
	_ = fs.SetAnnotation(name, secretAnnotation, []string{"true"})
}

// AuditCommandLine returns cmd's command line as audit records keep it:
// the command's words, the flags that were set (one word per value, in
// the order of the flag set) and the arguments, with secrets redacted
// (audit.CommandLine). A flag holds a path when its help calls its value
// FILE, DIR or PATH.
func AuditCommandLine(cmd *cobra.Command) []string {
	var flags []audit.Flag
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		af := audit.Flag{Name: fl.Name, Bool: fl.Value.Type() == "bool"}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			af.Values = sv.GetSlice()
		} else {
			af.Values = []string{fl.Value.String()}
		}
		name, _ := pflag.UnquoteUsage(fl)
		switch strings.ToUpper(name) {
		case "FILE", "DIR", "PATH":
			af.Path = true
		}
		_, af.Secret = fl.Annotations[secretAnnotation]
		flags = append(flags, af)
	})
	return audit.CommandLine(strings.Fields(cmd.CommandPath()), flags, cmd.Flags().Args())
}

// Audit appends a record of ev to the audit log (--audit-log, audit_log:
// in the config), if there is one: a command calls it once the action it
// records is done. A record that cannot be written is an error (exit 3)
// saying that the action was done but not logged; nothing else is undone.
func (f *Factory) Audit(ev audit.Event) error {
	if f.Global == nil || f.Global.AuditLog == "" {
		return nil
	}
	clock := f.AuditClock
	if clock == nil {
		clock = f.Now
	}
	opts := audit.Options{Now: clock, Command: f.AuditCommand}
	if _, err := audit.Append(f.Global.AuditLog, opts, ev); err != nil {
		hint := "check the path given to --audit-log (or audit_log: in the config) and that this user may write it"
		if errors.Is(err, audit.ErrDamaged) {
			hint = "run 'emailauth audit verify " + f.Global.AuditLog + "', keep the file as evidence, and log to a new file"
		}
		return &auditError{err: fmt.Errorf("%s, but the audit log could not record it: %w", auditAction(ev), err), hint: hint}
	}
	f.IO.Verbosef(1, "audit: %s recorded in %s", ev.Kind(), f.Global.AuditLog)
	return nil
}

// auditError is a record that could not be written: exit 3, with a hint.
type auditError struct {
	err  error
	hint string
}

func (e *auditError) Error() string { return e.err.Error() }
func (e *auditError) Unwrap() error { return &IncompleteError{Err: e.err} }
func (e *auditError) Hint() string  { return e.hint }

// WithAudit combines a command's result with the error of writing its
// audit record: a failure (exit 1) still wins, and the audit error is then
// reported on stderr; otherwise a record that could not be written is the
// result (exit 3).
func (f *Factory) WithAudit(result, auditErr error) error {
	if auditErr == nil {
		return result
	}
	if ExitCode(result) == ExitFailed {
		f.IO.Errorf("emailauth: %s", auditErr)
		if hint := HintFor(auditErr); hint != "" {
			f.IO.Errorf("hint: %s", hint)
		}
		return result
	}
	return auditErr
}

// auditAction says in words what an event records, for errors.
func auditAction(ev audit.Event) string {
	switch e := ev.(type) {
	case audit.KeyGenerated:
		where := e.File
		if where == "-" {
			where = "standard output"
		}
		return "the key was generated and written to " + where
	case audit.MessageSigned:
		return "the message was signed"
	case audit.RecordsProduced:
		return "the records for " + e.Domain + " were produced"
	case audit.ProfileGate:
		return e.Domain + " was checked against the profile"
	case audit.RotationStep:
		return "the rotation of " + e.Domain + " was assessed"
	}
	return "the action (" + ev.Kind() + ") was done"
}
