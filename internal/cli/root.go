// Package cli is emailauth's command line: Cobra commands, flags, config and
// rendering. It holds no DNS, parsing or crypto logic; that is under pkg/.
package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/lookup"
	"github.com/penguinmails/emailauth/internal/cli/version"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// Main runs emailauth with the process's arguments and streams and returns
// the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	f := NewFactory(cmdutil.System())
	f.Context = ctx
	return Run(f, os.Args[1:])
}

// NewFactory returns a Factory with the real clock, randomness and
// environment.
func NewFactory(io *cmdutil.IOStreams) *cmdutil.Factory {
	return &cmdutil.Factory{
		IO:          io,
		Now:         time.Now,
		Rand:        rand.Reader,
		Getenv:      os.Getenv,
		NewResolver: newResolver,
	}
}

// Run executes the command line args with f and returns the exit code. Errors
// are printed to f.IO.ErrOut as one line (and a hint where the fix is known).
// A panic is a bug: it is reported in two lines asking for a bug report,
// never as a stack trace, and exits 3 (could not complete).
func Run(f *cmdutil.Factory, args []string) int {
	return run(f, NewCmdRoot(f), args)
}

// reportPanic prints a panic as a bug report request and returns exit 3.
func reportPanic(f *cmdutil.Factory, p any) int {
	f.IO.Errorf("emailauth: internal error: %v", p)
	f.IO.Errorf("This is a bug in emailauth %s. Please report it with the command line that caused it (without secrets) and the output of 'emailauth version'.", version.Get().Version)
	return cmdutil.ExitIncomplete
}

func run(f *cmdutil.Factory, root *cobra.Command, args []string) (code int) {
	defer func() {
		if p := recover(); p != nil {
			code = reportPanic(f, p)
		}
	}()
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	cmd, err := root.ExecuteContextC(f.Ctx())
	f.IO.FlushWarnings()
	printStats(f)
	if ferr := f.IO.Flush(); ferr != nil && (err == nil || cmdutil.ExitCode(err) != cmdutil.ExitBadInput) {
		err = ferr
	}
	if err == nil {
		return cmdutil.ExitOK
	}
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) {
		f.IO.Errorf("emailauth: %s", err)
		if hint := cmdutil.HintFor(err); hint != "" {
			f.IO.Errorf("hint: %s", hint)
		}
		var fe *cmdutil.FlagError
		if errors.As(err, &fe) {
			f.IO.Errorf("usage: %s", cmd.UseLine())
			f.IO.Errorf("Run '%s --help' for more.", cmd.CommandPath())
			return cmdutil.ExitBadInput
		}
	}
	return cmdutil.ExitCode(err)
}

// prepareTree makes every usage error Cobra can produce a *FlagError, so
// that Run tells them apart by type, never by text: positional-argument
// validators are wrapped, and a command group given an unknown subcommand
// says so (with suggestions) instead of printing its help and exiting 0.
func prepareTree(c *cobra.Command) {
	switch {
	case c.Args != nil:
		v := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := v(cmd, args); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			return nil
		}
	case c.HasSubCommands() && c.Run == nil && c.RunE == nil:
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if sugg := cmd.SuggestionsFor(args[0]); len(sugg) > 0 {
				msg += "; did you mean " + strings.Join(sugg, " or ") + "?"
			}
			return cmdutil.FlagErrorf("%s", msg)
		}
	}
	for _, sub := range c.Commands() {
		prepareTree(sub)
	}
}

// NewCmdRoot builds the root command and all its children.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "emailauth",
		Short: "Check and build SPF, DKIM, DMARC, MTA-STS, TLS-RPT and BIMI",
		Long: `emailauth checks a domain's email authentication (SPF, DKIM, DMARC, MTA-STS,
TLS-RPT, BIMI) against live DNS or against zone files that are not yet
published, builds the records to publish, and signs and verifies messages.

Exit codes: 0 passed, 1 a check failed, 2 bad input, 3 could not complete.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return loadConfig(cmd, f)
		},
	}
	addGlobalFlags(root.PersistentFlags())
	_ = root.RegisterFlagCompletionFunc("zone", cmdutil.CompleteFiles("zone", "db", "txt"))
	_ = root.RegisterFlagCompletionFunc("config", cmdutil.CompleteFiles("yaml", "yml"))
	_ = root.RegisterFlagCompletionFunc("resolver", cobra.NoFileCompletions)
	_ = root.RegisterFlagCompletionFunc("timeout", cmdutil.CompleteValues("1s", "2s", "5s", "10s"))
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		lookup.NewCmdLookup(f, nil),
		version.NewCmdVersion(f),
	)
	addCommands(root, f)
	prepareTree(root)
	return root
}

// flagError makes Cobra's flag errors usage errors; an unknown flag gets
// the nearest flags of the command as a hint.
func flagError(cmd *cobra.Command, err error) error {
	var ne *pflag.NotExistError
	if errors.As(err, &ne) && ne.GetSpecifiedName() != "" {
		var names []string
		cmd.Flags().VisitAll(func(fl *pflag.Flag) {
			if !fl.Hidden {
				names = append(names, fl.Name)
			}
		})
		if near := cmdutil.Nearest(ne.GetSpecifiedName(), names, 3); len(near) > 0 {
			for i := range near {
				near[i] = "--" + near[i]
			}
			return cmdutil.FlagErrorHint(err, "did you mean "+strings.Join(near, " or ")+"?")
		}
	}
	return &cmdutil.FlagError{Err: err}
}

// printStats reports the resolver's counters with -v.
func printStats(f *cmdutil.Factory) {
	if f.IO.Verbosity < 1 {
		return
	}
	if r, ok := f.ResolverBuilt().(dns.StatsReporter); ok {
		f.IO.Verbosef(1, "dns: %s", r.Stats())
	}
}
