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
	"github.com/spf13/viper"

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
		Config:      viper.New(),
		Now:         time.Now,
		Rand:        rand.Reader,
		Getenv:      os.Getenv,
		NewResolver: newResolver,
	}
}

// Run executes the command line args with f and returns the exit code. Errors
// are printed to f.IO.ErrOut as one line (and a hint where the fix is known).
func Run(f *cmdutil.Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	cmd, err := root.ExecuteContextC(f.Ctx())
	printStats(f)
	if err == nil {
		return cmdutil.ExitOK
	}
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) {
		fmt.Fprintf(f.IO.ErrOut, "emailauth: %v\n", err)
		if hint := cmdutil.HintFor(err); hint != "" {
			fmt.Fprintf(f.IO.ErrOut, "hint: %s\n", hint)
		}
		var fe *cmdutil.FlagError
		if errors.As(err, &fe) || isCobraUsageError(err) {
			fmt.Fprintf(f.IO.ErrOut, "usage: %s\n", cmd.UseLine())
			fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for more.\n", cmd.CommandPath())
			return cmdutil.ExitBadInput
		}
	}
	return cmdutil.ExitCode(err)
}

// isCobraUsageError recognizes the errors Cobra itself returns for bad
// flags and arguments, which are usage errors.
func isCobraUsageError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "received ", "bad flag syntax",
		"if any flags in the group", "none of the others can be"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
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
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})
	root.AddCommand(
		lookup.NewCmdLookup(f, nil),
		version.NewCmdVersion(f),
	)
	addCommands(root, f)
	return root
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
