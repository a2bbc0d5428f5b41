package spf

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// FlattenOptions are the inputs of "spf flatten".
type FlattenOptions struct {
	// Domain is the domain whose record is flattened; with Check, the
	// domain the file must be about (optional).
	Domain dns.Domain
	Opts   spf.FlattenOptions
	Check  string
	// Profile: a platform profile's protected includes are never flattened.
	Profile profileopt.Flags
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

A platform profile (--profile FILE, or profile: in the config file) names
includes that must never be flattened (the platform's own, whose addresses
change without notice): they are kept as they are, and --flatten refuses
them.

Flattened records go stale: when a provider changes its addresses, the copy
does not follow. The output shows each source's TTL. Keep the output (it is a
zone file with a commented header) and run

  emailauth spf flatten --check FILE

every night: it flattens the same includes again, compares each provider's
networks with the file's, compares the file's records with what is
published, and exits 1 when anything changed.

The zone lines have the TTL --ttl (default 3600). DOMAIN may be written in
U-labels (asked in A-label form), or as a URL or an e-mail address, which
is reduced to its domain with a note. With -q, notes and warnings are left
out (flattening prints the file alone; --check prints only what changed and
the verdict).

Exit 0 on success, 1 when --check finds a change (or the flattened set still
exceeds --max-lookups), 2 for bad input, 3 when a lookup failed.`,
		Example: `  emailauth spf flatten example.com > spf-flat.zone
  emailauth spf flatten example.com --flatten _spf.google.com --flatten spf.protection.outlook.com --ttl 300
  emailauth spf flatten --check spf-flat.zone
  emailauth spf flatten -q --check spf-flat.zone example.com`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				d, err := f.Domain("DOMAIN", args[0])
				if err != nil {
					return err
				}
				opts.Domain = d
			}
			if opts.Check == "" && opts.Domain.ASCII == "" {
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
	opts.Profile.Add(fl, false)
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// flattenResult is what -o json writes: the flattened set with its verdict
// (fail when it still needs more than --max-lookups).
type flattenResult struct {
	*spf.FlattenResult
	Status finding.Status `json:"status"`
}

// flattenCheck is what --check -o json writes.
type flattenCheck struct {
	*spf.FlattenCheck
	Status finding.Status `json:"status"`
}

func runFlatten(f *cmdutil.Factory, opts *FlattenOptions) error {
	loaded, err := profileopt.Load(f, opts.Profile)
	if err != nil {
		return err
	}
	if loaded.Profile != nil {
		req, err := loaded.Profile.For(opts.Domain.ASCII, loaded.Tenants, f.Now())
		if err != nil {
			return cmdutil.BadInput("--profile", err)
		}
		opts.Opts.Protect = req.SPF.Protected
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	if err := f.RequireCovered("DOMAIN", opts.Domain); err != nil {
		return err
	}
	res, err := spf.Flatten(f.Ctx(), r, opts.Domain.ASCII, opts.Opts)
	var le *spf.LimitError
	switch {
	case errors.Is(err, spf.ErrFlattenIncomplete):
		return &cmdutil.IncompleteError{Err: err}
	case errors.As(err, &le) && res != nil:
		// Print what was produced, then fail.
	case err != nil:
		return cmdutil.BadInput(opts.Domain.ASCII, err)
	}
	st := finding.StatusPass
	if le != nil {
		st = finding.StatusFail
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, flattenResult{FlattenResult: res, Status: st}); err != nil {
			return err
		}
	} else {
		// The output is the flatten file: zone-file text whose values are
		// escaped by spf.FormatFlattenFile, written through the Term all
		// the same.
		f.IO.Term().Printf("%s", spf.FormatFlattenFile(res, maxLenIfSet(opts.Opts.MaxRecordLen)))
	}
	f.IO.Warnf("flattened records go stale when a provider changes its addresses; keep this output and run 'emailauth spf flatten --check FILE' regularly (the smallest source TTL is %ds)", res.MinTTL)
	for _, s := range res.Sources {
		f.IO.Verbosef(1, "source %s: %d networks, TTL %ds", s.Include, len(s.Networks), s.TTL)
	}
	for _, w := range res.Warnings {
		f.IO.Warnf("%s", report.SafeLine(w))
	}
	f.IO.Notef("lookups: %d before, %d after (limit %d); %d record(s)", res.OriginalLookups, res.Lookups, res.MaxLookups, len(res.Records))
	if le != nil {
		f.IO.Errorf("emailauth: %s", report.SafeLine(le.Error()))
	}
	return cmdutil.ExitForStatus(st)
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
	if opts.Domain.ASCII != "" && opts.Domain.ASCII != ff.Domain {
		return cmdutil.BadInput("--check "+opts.Check, fmt.Errorf("the file flattens %s, not %s", ff.Domain, opts.Domain.ASCII))
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
	st := fc.Status()
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, flattenCheck{FlattenCheck: fc, Status: st}); err != nil {
			return err
		}
		return cmdutil.ExitForStatus(st)
	}
	t := f.IO.Term()
	quiet := f.IO.Quiet
	if !quiet {
		t.Printf("%s: flattened set in %s checked against today's DNS\n", fc.Domain, opts.Check)
	}
	for _, s := range fc.Sources {
		if !s.Changed {
			if !quiet {
				t.Printf("  %s: unchanged\n", s.Include)
			}
			continue
		}
		var d []string
		for _, a := range s.Added {
			d = append(d, "+"+a)
		}
		for _, r := range s.Removed {
			d = append(d, "-"+r)
		}
		t.Printf("  %s: %s %s\n", s.Include, t.Style(report.StyleFail, "CHANGED"), strings.Join(d, " "))
	}
	for _, p := range fc.Published {
		switch {
		case p.Same:
			if !quiet {
				t.Printf("  %s: published as in the file\n", p.Name)
			}
		case p.Published == "":
			t.Printf("  %s: %s (the file has %q)\n", p.Name, t.Style(report.StyleFail, "NOT PUBLISHED"), p.File)
		default:
			t.Printf("  %s: %s: published %q, file %q\n", p.Name, t.Style(report.StyleFail, "DIFFERS"), p.Published, p.File)
		}
	}
	switch {
	case fc.Changed && quiet:
		t.Printf("%s\n", t.Style(report.StatusStyle(string(st)), "changed"))
	case fc.Changed:
		t.Printf("%s: regenerate with 'emailauth spf flatten %s' and publish the new records\n", t.Style(report.StatusStyle(string(st)), "changed"), fc.Domain)
	default:
		t.Printf("%s\n", t.Style(report.StatusStyle(string(st)), "unchanged"))
	}
	return cmdutil.ExitForStatus(st)
}
