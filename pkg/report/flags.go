package report

import (
	"fmt"
	"strings"

	"github.com/penguinmails/emailauth/pkg/finding"
)

// OnlyValues are the values of the --only flag, for help and completion.
var OnlyValues = []string{"warn", "error", "fail"}

// Usage texts of the flags that set Options.Only and Options.Summary, the
// same in every command that has them.
const (
	OnlyUsage    = "show only the domains at least this `severe`: warn (hide those that passed), error or fail (table, markdown, html)"
	SummaryUsage = "one line per domain: status, the checks to look at, the first fix (table, markdown, html)"
)

// OnlyFlag is the value of an --only flag: it accepts warn (or warning),
// error or fail, in any case, and stores the status in *Only, for
// Options.Only. It is a flag.Value and a pflag.Value, so a command
// registers it with
//
//	fl.Var(report.OnlyFlag{Only: &ropts.Only}, "only", report.OnlyUsage)
type OnlyFlag struct{ Only *finding.Status }

// String returns the status set, or "".
func (f OnlyFlag) String() string {
	if f.Only == nil {
		return ""
	}
	return string(*f.Only)
}

// Set parses a value of --only.
func (f OnlyFlag) Set(s string) error {
	st := finding.Status(strings.ToLower(strings.TrimSpace(s)))
	if st == "warning" { // as --fail-on spells it
		st = finding.StatusWarn
	}
	for _, v := range OnlyValues {
		if string(st) == v {
			*f.Only = st
			return nil
		}
	}
	return fmt.Errorf("report: %q is not a status --only takes: want %s", s, strings.Join(OnlyValues, ", "))
}

// Type names the value in usage lines.
func (f OnlyFlag) Type() string { return "status" }
