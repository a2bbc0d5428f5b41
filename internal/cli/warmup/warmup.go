// Package warmup holds the "emailauth warmup" commands: plan, a daily
// volume schedule for a new sending domain or IP, and assess, the verdict
// on a day's sending (docs/warmup.md). The logic is pkg/warmup's.
package warmup

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/report"
	pwarmup "github.com/penguinmails/emailauth/pkg/warmup"
)

// NewCmdWarmup returns the "warmup" command group.
func NewCmdWarmup(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "warmup",
		Short: "Plan the warm-up of a new sending domain or IP, and judge each day",
		Long: `Warm up a new sending domain or IP address: raise its daily volume step by
step, and check each day's complaint and bounce rates before taking the next.

  plan     a daily-volume schedule ramping to a target, with its assumptions
  assess   continue, slow down or pause, from a day's counts

The thresholds are the ones mailbox providers publish (a complaint rate under
0.1%, never reaching 0.3%); docs/warmup.md gives the sources.`,
	}
	cmd.AddCommand(NewCmdPlan(f, nil), NewCmdAssess(f, nil))
	return cmd
}

// config returns the warmup defaults of the configuration (the built-in
// ones when there is none).
func config(f *cmdutil.Factory) cmdutil.WarmupOptions {
	if f.Global == nil || f.Global.Warmup == (cmdutil.WarmupOptions{}) {
		return cmdutil.DefaultWarmup()
	}
	return f.Global.Warmup
}

// inputError turns the library's InputError into bad input naming the
// flag.
func inputError(err error) error {
	var ie *pwarmup.InputError
	if errors.As(err, &ie) {
		name := "--" + ie.Field
		if ie.Field == "plan" {
			name = "--plan"
		}
		return cmdutil.BadInputHint(name, errors.New(ie.Reason), ie.Hint)
	}
	return err
}

// wrap writes text in lines of at most width display columns, the first
// prefixed with first and the others with rest.
func wrap(t *report.Term, text, first, rest string, width int) {
	line, prefix := "", first
	for _, w := range strings.Fields(text) {
		if line != "" && report.Width(prefix+line+" "+w) > width {
			t.Printf("%s%s\n", prefix, line)
			line, prefix = "", rest
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		t.Printf("%s%s\n", prefix, line)
	}
}
