package spf

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// FlattenOptions are the inputs of "spf flatten".
type FlattenOptions struct {
	Domain string
	Opts   spf.FlattenOptions
	Check  string
}

// NewCmdFlatten returns "spf flatten".
func NewCmdFlatten(f *cmdutil.Factory, runF func(*FlattenOptions) error) *cobra.Command {
	opts := &FlattenOptions{}
	cmd := &cobra.Command{
		Use:   "flatten DOMAIN [--flatten INCLUDE]... | flatten --check FILE [DOMAIN]",
		Short: "Resolve includes into ip4/ip6 terms to stay under 10 lookups",
		Long: `Resolve the chosen includes of DOMAIN's record (--flatten, default all) into
ip4/ip6 terms, merge duplicate and adjacent networks, and print zone-file
lines: DOMAIN's record, plus _spf1.DOMAIN, _spf2.DOMAIN... chained with
include: when the networks do not fit in --max-length octets (default 450,
which keeps the TXT answer under 512 octets). The result must stay within
--max-lookups (default 10). Includes that use macros, ptr, exists or
exclusions are kept as they are.

Flattened records go stale: when a provider changes its addresses, the copy
does not follow. The output shows each source's TTL. Keep the output (it is a
zone file with a commented header) and run

  emailauth spf flatten --check FILE

every night: it flattens the same includes again, compares each provider's
networks with the file's, compares the file's records with what is
published, and exits 1 when anything changed.

Exit 0 on success, 1 when --check finds a change (or the flattened set still
exceeds --max-lookups), 2 for bad input, 3 when a lookup failed.`,
		Example: `  emailauth spf flatten example.com > spf-flat.zone
  emailauth spf flatten example.com --flatten _spf.google.com --flatten spf.protection.outlook.com
  emailauth spf flatten --check spf-flat.zone`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if err := dns.CheckName(args[0]); err != nil {
					return cmdutil.BadInput("DOMAIN", err)
				}
				opts.Domain = dns.CanonicalName(args[0])
			}
			if opts.Check == "" && opts.Domain == "" {
				return cmdutil.FlagErrorf("give DOMAIN, or --check FILE")
			}
			if opts.Opts.MaxLookups < 1 {
				return cmdutil.FlagErrorf("--max-lookups must be at least 1")
			}
			if opts.Opts.MaxRecordLen < 64 || opts.Opts.MaxRecordLen > 4000 {
				return cmdutil.FlagErrorf("--max-length must be between 64 and 4000 octets")
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.Check != "" {
				return runFlattenCheck(f, opts)
			}
			return runFlatten(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Opts.Flatten, "flatten", nil, "an include to flatten (`NAME`; repeatable; default all)")
	fl.IntVar(&opts.Opts.MaxLookups, "max-lookups", 10, "the most DNS lookups the flattened records may need")
	fl.IntVar(&opts.Opts.MaxRecordLen, "max-length", 450, "the longest record, in octets")
	fl.Uint32Var(&opts.Opts.TTL, "ttl", 3600, "the TTL of the zone-file lines")
	fl.StringVar(&opts.Check, "check", "", "compare a previously flattened `FILE` with today's DNS")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func runFlatten(f *cmdutil.Factory, opts *FlattenOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	res, err := spf.Flatten(f.Ctx(), r, opts.Domain, opts.Opts)
	var le *spf.LimitError
	switch {
	case errors.Is(err, spf.ErrFlattenIncomplete):
		return &cmdutil.IncompleteError{Err: err}
	case errors.As(err, &le) && res != nil:
		// Print what was produced, then fail.
	case err != nil:
		return cmdutil.BadInput(opts.Domain, err)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, res); err != nil {
			return err
		}
	} else {
		fmt.Fprint(f.IO.Out, spf.FormatFlattenFile(res, maxLenIfSet(opts.Opts.MaxRecordLen)))
		f.IO.Warnf("flattened records go stale when a provider changes its addresses; keep this output and run 'emailauth spf flatten --check FILE' regularly (the smallest source TTL is %ds)", res.MinTTL)
		for _, s := range res.Sources {
			f.IO.Verbosef(1, "source %s: %d networks, TTL %ds", s.Include, len(s.Networks), s.TTL)
		}
		for _, w := range res.Warnings {
			f.IO.Warnf("%s", w)
		}
		f.IO.Verbosef(0, "lookups: %d before, %d after (limit %d); %d record(s)", res.OriginalLookups, res.Lookups, res.MaxLookups, len(res.Records))
	}
	if le != nil {
		fmt.Fprintf(f.IO.ErrOut, "emailauth: %v\n", le)
		return cmdutil.ErrFailed
	}
	return nil
}

func maxLenIfSet(n int) int {
	if n == 450 {
		return 0
	}
	return n
}

func runFlattenCheck(f *cmdutil.Factory, opts *FlattenOptions) error {
	b, err := os.ReadFile(opts.Check)
	if err != nil {
		return cmdutil.BadInput("--check", err)
	}
	ff, err := spf.ParseFlattenFile(string(b))
	if err != nil {
		return cmdutil.BadInputHint("--check "+opts.Check, err, "give a file written by 'emailauth spf flatten DOMAIN > FILE'")
	}
	if opts.Domain != "" && opts.Domain != ff.Domain {
		return cmdutil.BadInput("--check "+opts.Check, fmt.Errorf("the file flattens %s, not %s", ff.Domain, opts.Domain))
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	fc, err := spf.CheckFlattened(f.Ctx(), r, ff)
	if err != nil {
		if errors.Is(err, spf.ErrFlattenIncomplete) {
			return &cmdutil.IncompleteError{Err: err}
		}
		return err
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, fc); err != nil {
			return err
		}
	} else {
		w := f.IO.Out
		fmt.Fprintf(w, "%s: flattened set in %s checked against today's DNS\n", fc.Domain, opts.Check)
		for _, s := range fc.Sources {
			if !s.Changed {
				fmt.Fprintf(w, "  %s: unchanged\n", s.Include)
				continue
			}
			var d []string
			for _, a := range s.Added {
				d = append(d, "+"+a)
			}
			for _, r := range s.Removed {
				d = append(d, "-"+r)
			}
			fmt.Fprintf(w, "  %s: CHANGED %s\n", s.Include, strings.Join(d, " "))
		}
		for _, p := range fc.Published {
			if p.Same {
				fmt.Fprintf(w, "  %s: published as in the file\n", p.Name)
			} else if p.Published == "" {
				fmt.Fprintf(w, "  %s: NOT PUBLISHED (the file has %q)\n", p.Name, p.File)
			} else {
				fmt.Fprintf(w, "  %s: DIFFERS: published %q, file %q\n", p.Name, p.Published, p.File)
			}
		}
		if fc.Changed {
			fmt.Fprintf(w, "changed: regenerate with 'emailauth spf flatten %s' and publish the new records\n", fc.Domain)
		} else {
			fmt.Fprintln(w, "unchanged")
		}
	}
	if fc.Changed {
		return cmdutil.ErrFailed
	}
	return nil
}
