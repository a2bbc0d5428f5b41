package spf

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// BuildOptions are the inputs of "spf build".
type BuildOptions struct {
	// Domain is the domain the record is for; empty when not given (then
	// the zone line's owner is "@").
	Domain dns.Domain
	Parts  spf.BuildOptions
	TTL    uint32
}

// NewCmdBuild returns "spf build".
func NewCmdBuild(f *cmdutil.Factory, runF func(*BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{}
	cmd := &cobra.Command{
		Use:   "build [DOMAIN] [--include NAME]... [--ip4 NET]... [--ip6 NET]... [--a NAME]... [--mx NAME]... [--exists NAME]... [--redirect NAME | --all fail|softfail|neutral]",
		Short: "Compose an SPF record, with its lookup cost and a zone-file line",
		Long: `Compose an SPF record from its parts, in the order ip4, ip6, a, mx,
include, exists, then all (or redirect). Every value is checked. The record's
DNS-lookup cost is computed by resolving its includes, and a record over 10
lookups is refused, naming the count and the terms that cost most.

--a and --mx take a host name, "@" for DOMAIN itself, and an optional prefix
length ("@/24", "mail.example.com/28"). --all defaults to fail; pass (+all)
authorizes every host on the Internet and is refused unless --allow-pass-all.

The zone-file line splits the record into strings of at most 255 octets;
--ttl sets its TTL (default 3600). DOMAIN may be written in U-labels (the
zone line has the A-label form), or as a URL or an e-mail address, which is
reduced to its domain with a note. With -q, only the zone line is printed
(and the error findings, on standard error).

The record is analysed as the DNS would serve it, and judged like "spf
check": exit 0 when it passes (warnings allowed), 1 when a finding is an
error (an include whose target has no SPF record, +all), 3 when a lookup of
an include failed, 2 for bad input (a malformed value, a record over the
lookup limit).`,
		Example: `  emailauth spf build example.com --mx @ --include _spf.google.com --all softfail
  emailauth spf build example.com --ip4 192.0.2.0/24 --ip6 2001:db8::/32 --include spf.protection.outlook.com
  emailauth spf build example.com --redirect _spf.example.net --ttl 300
  emailauth spf build -q example.com --ip4 192.0.2.0/24 >> example.com.zone
  emailauth spf build -o json example.com --a @ --all fail`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				d, err := f.Domain("DOMAIN", args[0])
				if err != nil {
					return err
				}
				opts.Domain = d
			}
			if opts.Domain.ASCII == "" {
				for _, v := range append(append([]string(nil), opts.Parts.A...), opts.Parts.MX...) {
					if v == "" || v == "@" || strings.HasPrefix(v, "@/") || strings.HasPrefix(v, "/") {
						return cmdutil.FlagErrorf("--a/--mx %q names the domain itself: give DOMAIN", v)
					}
				}
			}
			if !cmd.Flags().Changed("all") {
				opts.Parts.All = ""
			}
			if runF != nil {
				return runF(opts)
			}
			return runBuild(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Parts.Includes, "include", nil, "include:`NAME` (repeatable, or comma-separated)")
	fl.StringSliceVar(&opts.Parts.IP4, "ip4", nil, "ip4:`NET` (repeatable, or comma-separated)")
	fl.StringSliceVar(&opts.Parts.IP6, "ip6", nil, "ip6:`NET` (repeatable, or comma-separated)")
	fl.StringSliceVar(&opts.Parts.A, "a", nil, "a:`NAME` (\"@\" for DOMAIN; repeatable)")
	fl.StringSliceVar(&opts.Parts.MX, "mx", nil, "mx:`NAME` (\"@\" for DOMAIN; repeatable)")
	fl.StringArrayVar(&opts.Parts.Exists, "exists", nil, "exists:`NAME` (may hold macros; repeatable)")
	fl.StringVar(&opts.Parts.Redirect, "redirect", "", "redirect=`NAME` instead of all")
	fl.StringVar(&opts.Parts.All, "all", "fail", "the result for unlisted hosts: fail, softfail or neutral")
	fl.BoolVar(&opts.Parts.AllowPassAll, "allow-pass-all", false, "permit --all pass (+all), which authorizes every host")
	fl.IntVar(&opts.Parts.MaxLookups, "max-lookups", 10, "refuse a record that needs more lookups than this")
	fl.Uint32Var(&opts.TTL, "ttl", 3600, "the TTL of the zone-file line")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// buildResult is what -o json writes: the built record with its verdict.
type buildResult struct {
	*spf.BuildResult
	Status finding.Status `json:"status"`
}

func runBuild(f *cmdutil.Factory, opts *BuildOptions) error {
	rec, err := spf.Compose(opts.Parts)
	if err != nil {
		return buildError(err)
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	domain := opts.Domain.ASCII
	if domain == "" {
		domain = "build.invalid" // never asked: a and mx without a name are refused
	}
	res, err := spf.Build(f.Ctx(), r, domain, opts.Parts)
	if err != nil {
		return buildError(err)
	}
	owner := opts.Domain.ASCII
	if owner == "" {
		owner = "@"
		res.Domain = ""
	}
	res.ZoneLine = strings.Replace(spf.ZoneLine(owner, opts.TTL, rec), "@.", "@", 1)
	// The record's verdict: an error finding (an include without an SPF
	// record, +all) fails the build, a failed lookup is "could not
	// complete", warnings pass.
	st := res.Analysis.Status()
	switch {
	case f.Global.Output == "json":
		if err := cmdutil.WriteJSON(f.IO.Out, buildResult{BuildResult: res, Status: st}); err != nil {
			return err
		}
	case f.IO.Quiet:
		// The zone line alone on stdout (it can be appended to a zone
		// file); the errors that fail it on stderr.
		f.IO.Term().Printf("%s\n", res.ZoneLine)
		for _, x := range res.Analysis.Findings {
			if x.Severity >= finding.Error {
				f.IO.Errorf("%s %s: %s", x.Severity, x.Code, report.SafeLine(x.Message))
			}
		}
	default:
		t := f.IO.Term()
		if opts.Domain.Unicode != "" {
			t.Printf("domain: %s\n", opts.Domain.Display())
		}
		t.Printf("record: %s\n", res.Record)
		t.Printf("length: %d octets in %d string(s)\n", len(res.Record), len(res.Strings))
		costs := ""
		if len(res.Analysis.Costs) > 0 {
			costs = fmt.Sprintf(" (%s)", spf.CostSummary(res.Analysis.Costs, spf.MaxLookups))
		}
		t.Printf("lookups: %d of %d%s\n", res.Lookups, spf.MaxLookups, costs)
		t.Printf("zone file:\n%s\n", res.ZoneLine)
		if len(res.Analysis.Findings) > 0 {
			t.Printf("findings:\n")
			for _, x := range res.Analysis.Findings {
				t.Printf("  %s %s: %s\n", t.Style(report.SeverityStyle(x.Severity), x.Severity.String()), x.Code, report.SafeLine(x.Message))
				if x.Fix != "" {
					t.Printf("      fix: %s\n", report.SafeLine(x.Fix))
				}
			}
		}
		t.Printf("status: %s\n", t.Style(report.StatusStyle(string(st)), string(st)))
	}
	if opts.Domain.ASCII != "" && st != finding.StatusFail {
		if err := f.Audit(audit.RecordsProduced{Domain: opts.Domain.ASCII, Records: []audit.DNSRecord{
			{Name: opts.Domain.ASCII, Type: "TXT", TTL: int(opts.TTL), Value: res.Record, Action: "add"},
		}}); err != nil {
			return err
		}
	}
	return cmdutil.ExitForStatus(st)
}

func buildError(err error) error {
	var be *spf.BuildError
	var le *spf.LimitError
	switch {
	case errors.As(err, &be) && be.Value != "":
		return cmdutil.BadInput(fmt.Sprintf("--%s %q", be.Input, be.Value), be.Err)
	case errors.As(err, &be):
		return cmdutil.BadInput("--"+be.Input, be.Err)
	case errors.As(err, &le):
		return cmdutil.BadInputHint("", err, "remove includes you no longer use, replace --a/--mx with --ip4/--ip6, or publish the includes and flatten them with 'emailauth spf flatten'")
	}
	return err
}
