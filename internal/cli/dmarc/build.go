package dmarc

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/audit"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// BuildOptions are the inputs of "dmarc build".
type BuildOptions struct {
	// Domain is the DOMAIN argument (or the deprecated --domain); zero
	// when neither was given.
	Domain dns.Domain
	// Record is what to build; Record.Domain is Domain.ASCII and
	// Record.TTL is --ttl.
	Record dmarc.BuildOptions
	// SkipDestinations makes no DNS query: the report destinations are
	// not checked.
	SkipDestinations bool
}

// NewCmdBuild returns "dmarc build".
func NewCmdBuild(f *cmdutil.Factory, runF func(*BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{}
	var legacyDomain string
	cmd := &cobra.Command{
		Use:   "build [DOMAIN] --policy none|quarantine|reject [flags]",
		Short: "Compose a DMARC record, its zone line and any authorization records",
		Long: `Compose an RFC 9989 DMARC record from flags, validate it, and print it with a
zone-file line (split into 255-octet strings when long; TTL --ttl).

With DOMAIN, the zone line is for _dmarc.DOMAIN, and each rua or ruf
destination in another organizational domain gets the authorization record
its domain must publish (DOMAIN._report._dmarc.<destination>; RFC 9990, RFC
7489 §7.1). The destinations are then checked in DNS as 'dmarc check' checks
a published record: an external destination without its authorization
record, or whose domain cannot receive mail, is an error finding (exit 1);
--skip-destinations makes no DNS query. Without DOMAIN, no DNS query is made,
the zone line is relative ("_dmarc") and every destination's authorization
record is shown with <your-domain>, needed only if it is external.

Addresses without a scheme get mailto:. -q prints the zone line only (the
record's value without DOMAIN), and error findings on standard error.

Exit 0 (warnings allowed), 1 for an error finding, 3 when a DNS failure left
a destination unchecked, 2 for a bad flag value.`,
		Example: `  emailauth dmarc build example.com --policy none --rua dmarc@example.com
  emailauth dmarc build example.com --policy reject --np reject --adkim s --aspf s --rua mailto:d@example.com
  emailauth dmarc build example.com --policy quarantine --testing --rua mailto:r@vendor.example.net --ttl 300
  emailauth dmarc build -q --policy reject --rua mailto:d@example.com
  emailauth dmarc build -o json example.com --policy reject --skip-destinations`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Record.Policy == "" {
				return cmdutil.FlagErrorf("--policy is required: none, quarantine or reject")
			}
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			if legacyDomain != "" {
				if arg != "" {
					a, _, aerr := dns.ParseDomain(arg)
					l, _, lerr := dns.ParseDomain(legacyDomain)
					if aerr != nil || lerr != nil || a.ASCII != l.ASCII {
						return cmdutil.FlagErrorf("DOMAIN %q and --domain %q differ: give the domain once, as DOMAIN", arg, legacyDomain)
					}
				} else {
					arg = legacyDomain
				}
			}
			opts.Domain, opts.Record.Domain = dns.Domain{}, ""
			if arg != "" {
				d, err := f.Domain("DOMAIN", arg)
				if err != nil {
					return err
				}
				opts.Domain, opts.Record.Domain = d, d.ASCII
			}
			if opts.Record.TTL == 0 {
				return cmdutil.BadInputHint("--ttl", errors.New("a TTL of 0 stops resolvers caching the record, so every receiver asks for it with every message"), "give a TTL in seconds of at least 1 (the default is 3600)")
			}
			if runF != nil {
				return runF(opts)
			}
			return runBuild(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Record.Policy, "policy", "", "p: none, quarantine or reject")
	fl.StringVar(&opts.Record.SubdomainPolicy, "subdomain-policy", "", "sp: the policy for subdomains (default: p)")
	fl.StringVar(&opts.Record.NP, "np", "", "np: the policy for non-existent subdomains (default: sp, then p)")
	fl.StringArrayVar(&opts.Record.RUA, "rua", nil, "aggregate report destination (repeatable)")
	fl.StringArrayVar(&opts.Record.RUF, "ruf", nil, "failure report destination (repeatable)")
	fl.StringVar(&opts.Record.ADKIM, "adkim", "", "DKIM alignment: r (relaxed, default) or s (strict)")
	fl.StringVar(&opts.Record.ASPF, "aspf", "", "SPF alignment: r (relaxed, default) or s (strict)")
	fl.StringVar(&opts.Record.FO, "fo", "", "failure reporting options: 0, 1, d, s (colon-separated)")
	fl.BoolVar(&opts.Record.Testing, "testing", false, "t=y: ask receivers to apply one step less than the policy")
	fl.StringVar(&opts.Record.PSD, "psd", "", "psd: y for a public suffix domain, n for an organizational domain")
	fl.Uint32Var(&opts.Record.TTL, "ttl", dmarc.DefaultTTL, "the TTL of the zone-file lines, in seconds")
	fl.BoolVar(&opts.SkipDestinations, "skip-destinations", false, "do not check the report destinations in DNS (no DNS query)")
	fl.StringVar(&legacyDomain, "domain", "", "the domain the record is for")
	cmdutil.Deprecate(f.IO, fl, "domain", "give the domain as the argument: dmarc build DOMAIN")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// buildOutput is a built record as printed: the library's result, the
// domain's U-label form and the status in the verdict model.
type buildOutput struct {
	*dmarc.BuildResult
	Unicode string `json:"unicode,omitempty"`
	// Checked says whether the destinations were checked in DNS.
	Checked bool           `json:"destinations_checked"`
	Status  finding.Status `json:"status"`
}

func runBuild(f *cmdutil.Factory, opts *BuildOptions) error {
	res, err := dmarc.Build(opts.Record)
	if err != nil {
		return inputError("record", err)
	}
	out := buildOutput{BuildResult: res, Unicode: opts.Domain.Unicode}
	if res.Domain != "" && !opts.SkipDestinations {
		r, err := f.Resolver()
		if err != nil {
			return err
		}
		res.CheckDestinations(f.Ctx(), r)
		out.Checked = true
	}
	out.Status = res.Status()
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, out); err != nil {
			return err
		}
	} else {
		writeBuild(f, out)
	}
	for _, n := range res.Notes {
		f.IO.Notef("%s", n)
	}
	if res.Domain != "" && out.Status != finding.StatusFail {
		ttl := int(opts.Record.TTL)
		ev := audit.RecordsProduced{Domain: res.Domain, Records: []audit.DNSRecord{{Name: res.Name, Type: "TXT", TTL: ttl, Value: res.Record, Action: "add"}}}
		for _, a := range res.Authorizations {
			ev.Records = append(ev.Records, audit.DNSRecord{Name: a.Name, Type: "TXT", TTL: ttl, Value: a.Value, Action: "add"})
		}
		if err := f.Audit(ev); err != nil {
			return err
		}
	}
	return cmdutil.ExitForStatus(out.Status)
}

func writeBuild(f *cmdutil.Factory, out buildOutput) {
	t, res := f.IO.Term(), out.BuildResult
	if f.IO.Quiet {
		// The result: what to publish. Errors go to stderr, so that the
		// output stays a zone line.
		if res.Domain != "" {
			t.Printf("%s\n", res.ZoneLine)
		} else {
			t.Printf("%s\n", res.Record)
		}
		for _, x := range res.Findings {
			if x.Severity >= finding.Error && !x.Transient {
				f.IO.Errorf("%s %s: %s", x.Severity, x.Code, report.SafeLine(x.Message))
			}
		}
		if res.Incomplete {
			f.IO.Errorf("incomplete: %s", report.SafeLine(strings.Join(res.Errors, "; ")))
		}
		return
	}
	name := res.Name
	if out.Unicode != "" {
		name += " (for " + out.Unicode + ")"
	}
	t.Printf("name:   %s\n", name)
	t.Printf("record: %s\n", res.Record)
	t.Printf("zone:   %s\n", res.ZoneLine)
	for _, a := range res.Authorizations {
		switch {
		case a.Maybe:
			t.Printf("\nif %s is not in your organizational domain, it must publish:\n  %s\n", a.Destination, a.ZoneLine)
		case a.Status == dmarc.AuthAuthorized:
			t.Printf("\n%s is an external destination and %s its authorization record:\n  %s\n", a.Destination, t.Style(report.StylePass, "publishes"), a.ZoneLine)
		case a.Status == dmarc.AuthMissing:
			t.Printf("\n%s is an external destination: it %s\n  %s\n", a.Destination, t.Style(report.StyleFail, "must publish (it does not yet)"), a.ZoneLine)
		case a.Status == dmarc.AuthTempError:
			t.Printf("\n%s is an external destination: it must publish (%s)\n  %s\n", a.Destination, t.Style(report.StyleError, "could not check whether it does"), a.ZoneLine)
		default:
			t.Printf("\n%s is an external destination: it must publish\n  %s\n", a.Destination, a.ZoneLine)
		}
	}
	if out.Checked {
		t.Printf("\n")
		if res.Incomplete {
			t.Printf("%s\n", t.Style(report.StyleError, "incomplete: "+report.SafeLine(strings.Join(res.Errors, "; "))))
		}
		report.WriteFindings(t, res.Findings, "", false)
	}
}
