package dmarc

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// CheckOptions are the inputs of "dmarc check".
type CheckOptions struct {
	Domains          []string
	SkipDestinations bool
}

// NewCmdCheck returns "dmarc check". runF, when not nil, replaces the run
// function.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check DOMAIN...",
		Short: "Check a domain's DMARC record, policy discovery and report destinations",
		Long: `Check each domain's DMARC configuration:

- policy discovery as RFC 9989 receivers do it (the DNS tree walk, at most 8
  queries, psd=) and as RFC 7489 receivers do it (the domain, then its Public
  Suffix List organizational domain), and where the two disagree;
- the record, parsed strictly: the version tag, every tag's value, duplicate,
  unknown and removed (pct, rf, ri) tags, several records at one name, a record
  published at the domain instead of _dmarc;
- the policy: p=none, t=y, sp or np weaker than p, pct below 100;
- reporting: no rua, more than two rua URIs, external destinations without
  their authorization record (<domain>._report._dmarc.<destination>, CNAMEs
  followed), destinations whose domain cannot receive mail.

Every finding has a code and a fix naming the record to publish.

Exit 0 when no finding is an error, 1 when one is, 3 when a DNS lookup failed,
2 for a malformed domain.`,
		Example: `  emailauth dmarc check example.com
  emailauth dmarc check -o json example.com example.net
  emailauth dmarc check --offline --zone testdata/zones/example.com.zone example.com`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range args {
				if _, err := dmarc.NormalizeDomain(d); err != nil {
					return cmdutil.BadInputHint("DOMAIN", err, "give a domain name such as example.com")
				}
			}
			opts.Domains = args
			if runF != nil {
				return runF(opts)
			}
			return runCheck(f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.SkipDestinations, "skip-destinations", false, "do not check report destinations (authorization records, mail servers)")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func runCheck(f *cmdutil.Factory, opts *CheckOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	results := []*dmarc.CheckResult{}
	for _, d := range opts.Domains {
		res, err := dmarc.Check(f.Ctx(), r, d, dmarc.CheckOptions{SkipDestinations: opts.SkipDestinations})
		if res == nil {
			return cmdutil.BadInput("DOMAIN", err)
		}
		if err != nil {
			f.IO.Warnf("%s: %v", d, err)
		}
		results = append(results, res)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, results); err != nil {
			return err
		}
	} else {
		for i, res := range results {
			if i > 0 {
				fmt.Fprintln(f.IO.Out)
			}
			writeCheck(f.IO.Out, res, painter(f.IO.Color), f.IO.Verbosity > 0)
		}
	}
	failed, incomplete := false, false
	for _, res := range results {
		for _, x := range res.Findings {
			if x.Severity == finding.Error {
				failed = true
			}
		}
		incomplete = incomplete || res.Incomplete
	}
	switch {
	case failed:
		return cmdutil.ErrFailed
	case incomplete:
		return cmdutil.ErrIncomplete
	}
	return nil
}

func writeCheck(out io.Writer, res *dmarc.CheckResult, p painter, verbose bool) {
	fmt.Fprintln(out, p.paint("1", res.Domain))
	d := res.Discovery
	if d != nil {
		var steps []string
		for _, l := range d.Lookups {
			steps = append(steps, l.Name+" "+l.Status)
		}
		fmt.Fprintf(out, "  discovery (RFC 9989 tree walk): %s\n", strings.Join(steps, " -> "))
		steps = steps[:0]
		for _, l := range d.RFC7489.Lookups {
			steps = append(steps, l.Name+" "+l.Status)
		}
		fmt.Fprintf(out, "  discovery (RFC 7489):           %s\n", strings.Join(steps, " -> "))
		legacyOrg := d.RFC7489.OrgDomain
		if legacyOrg == "" {
			legacyOrg = "none (a public suffix)"
		}
		fmt.Fprintf(out, "  organizational domain: %s (tree walk), %s (Public Suffix List)\n", d.OrgDomain, legacyOrg)
		if d.ViewsDisagree {
			fmt.Fprintf(out, "  %s\n", p.paint("33", "RFC 9989 and RFC 7489 receivers disagree: "+strings.Join(d.Differences, "; ")))
		}
	}
	for _, txt := range res.TXT {
		if verbose {
			fmt.Fprintf(out, "  TXT at %s: %q\n", res.Name, txt)
		}
	}
	if res.Record != nil {
		where := "_dmarc." + res.RecordDomain
		if res.RecordDomain != res.Domain {
			where += " (inherited)"
		}
		fmt.Fprintf(out, "  record: %s %q\n", where, res.Record.Raw)
		rec := res.Record
		if pol := res.Policy; pol != nil {
			line := fmt.Sprintf("  policy: p=%s sp=%s np=%s; %s gets %s (%s)", pol.P, pol.SP, pol.NP, res.Domain, pol.Applied, pol.Source)
			if pol.Testing {
				line += fmt.Sprintf(", t=y: receivers apply %s", dmarc.Weaken(pol.Applied))
			}
			if pol.Pct < 100 {
				line += fmt.Sprintf(", pct=%d for RFC 7489 receivers", pol.Pct)
			}
			fmt.Fprintln(out, line)
		} else {
			fmt.Fprintln(out, "  policy: none usable (no valid p and no valid rua): receivers apply no DMARC processing")
		}
		fmt.Fprintf(out, "  alignment: adkim=%s aspf=%s; psd=%s\n", rec.ADKIM, rec.ASPF, rec.PSD)
	} else {
		fmt.Fprintln(out, "  record: none applies")
	}
	for _, dst := range res.Destinations {
		status := dst.Authorization
		switch dst.Authorization {
		case dmarc.AuthNotNeeded:
			status = "same organization"
		case dmarc.AuthAuthorized:
			status = "authorized by " + dst.AuthorizationName
			if len(dst.AuthCNAMEs) > 0 {
				status += " (via " + strings.Join(dst.AuthCNAMEs, " -> ") + ")"
			}
		case dmarc.AuthMissing:
			status = p.paint("31", "NOT AUTHORIZED") + " (no v=DMARC1 at " + dst.AuthorizationName + ")"
		}
		recv := ""
		switch dst.Receive {
		case dmarc.ReceiveMX:
			recv = "; receives mail (MX " + strings.Join(dst.MX, ", ") + ")"
		case dmarc.ReceiveAddress:
			recv = "; receives mail (no MX, A/AAAA)"
		case dmarc.ReceiveNullMX:
			recv = "; " + p.paint("31", "null MX: cannot receive mail")
		case dmarc.ReceiveNone:
			recv = "; " + p.paint("31", "no MX, A or AAAA: cannot receive mail")
		case dmarc.ReceiveTempError:
			recv = "; mail servers unknown (DNS failure)"
		}
		fmt.Fprintf(out, "  %s %s: %s%s\n", dst.Tag, dst.URI.Raw, status, recv)
	}
	if res.Incomplete {
		fmt.Fprintf(out, "  %s\n", p.paint("33", "incomplete: "+strings.Join(res.Errors, "; ")))
	}
	writeFindings(out, res.Findings, p, "  ")
}

// inputError turns a pkg/dmarc error about input into bad input.
func inputError(input string, err error) error {
	var be *dmarc.BuildError
	if errors.As(err, &be) {
		return cmdutil.BadInput("--"+be.Option, be.Err)
	}
	return cmdutil.BadInput(input, err)
}
