package dmarc

import (
	"errors"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// CheckOptions are the inputs of "dmarc check".
type CheckOptions struct {
	// Domains are the DOMAIN arguments, read as f.Domain reads them (a URL
	// or an address gives its domain; U-labels are asked as A-labels).
	Domains          []dns.Domain
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

Each domain gets a status (pass, warn, fail, error) and findings, each with a
code and a fix naming the record to publish. A DOMAIN may be an
internationalized name (asked in A-labels), a URL or an e-mail address (its
domain is checked, with a note). -q prints each domain's status and its
warnings and errors only.

Exit 0 when no domain fails (warnings allowed), 1 when one has an error
finding, 3 when a DNS failure (SERVFAIL, timeout) left one unchecked, 2 for a
malformed domain.`,
		Example: `  emailauth dmarc check example.com
  emailauth dmarc check -o json example.com example.net
  emailauth dmarc check -q https://www.example.com/ postmaster@example.org
  emailauth dmarc check --offline --zone example.com.zone example.com`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Domains = opts.Domains[:0]
			for _, a := range args {
				d, err := f.Domain("DOMAIN", a)
				if err != nil {
					return err
				}
				opts.Domains = append(opts.Domains, d)
			}
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

// checkOutput is one domain's result as printed: the library's result, the
// domain's U-label form and its status in the verdict model.
type checkOutput struct {
	*dmarc.CheckResult
	Unicode string         `json:"unicode,omitempty"`
	Status  finding.Status `json:"status"`
}

func runCheck(f *cmdutil.Factory, opts *CheckOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	var tally finding.Tally
	results := make([]checkOutput, 0, len(opts.Domains))
	for _, d := range opts.Domains {
		if err := f.RequireCovered("DOMAIN", d); err != nil {
			return err
		}
	}
	for _, d := range opts.Domains {
		res, err := dmarc.Check(f.Ctx(), r, d.ASCII, dmarc.CheckOptions{SkipDestinations: opts.SkipDestinations})
		if res == nil {
			if err == nil {
				err = errors.New("dmarc: no result")
			}
			return cmdutil.BadInput("DOMAIN", err)
		}
		if err != nil && f.Global.Output == "json" {
			// The table says it on the domain's "incomplete:" line.
			f.IO.Warnf("%s: %v", d.Display(), err)
		}
		// A DNS failure is Incomplete (a transient finding, once the
		// specs say so): error, exit 3, never fail.
		st := finding.Judge(res.Findings, !res.Incomplete)
		tally.Add(st)
		results = append(results, checkOutput{CheckResult: res, Unicode: d.Unicode, Status: st})
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, results); err != nil {
			return err
		}
	} else {
		t := f.IO.Term()
		for i, res := range results {
			if i > 0 && !f.IO.Quiet {
				t.Printf("\n")
			}
			writeCheck(t, res, f.IO.Verbosity > 0, f.IO.Quiet)
		}
	}
	return cmdutil.ExitFor(tally, finding.Error)
}

func writeCheck(t *report.Term, out checkOutput, verbose, quiet bool) {
	res := out.CheckResult
	name := dns.Domain{ASCII: res.Domain, Unicode: out.Unicode}.Display()
	t.Printf("%s: %s\n", t.Style(report.StyleBold, name), t.Style(report.StatusStyle(string(out.Status)), string(out.Status)))
	if quiet {
		if res.Incomplete {
			t.Printf("  %s\n", t.Style(report.StyleError, "incomplete: "+report.SafeLine(strings.Join(res.Errors, "; "))))
		}
		report.WriteFindings(t, res.Findings, "  ", true)
		return
	}
	if d := res.Discovery; d != nil {
		var steps []string
		for _, l := range d.Lookups {
			steps = append(steps, l.Name+" "+l.Status)
		}
		t.Printf("  discovery (RFC 9989 tree walk): %s\n", report.SafeLine(strings.Join(steps, " -> ")))
		steps = steps[:0]
		for _, l := range d.RFC7489.Lookups {
			steps = append(steps, l.Name+" "+l.Status)
		}
		t.Printf("  discovery (RFC 7489):           %s\n", report.SafeLine(strings.Join(steps, " -> ")))
		legacyOrg := d.RFC7489.OrgDomain
		if legacyOrg == "" {
			legacyOrg = "none (a public suffix)"
		} else {
			legacyOrg = display(legacyOrg)
		}
		if d.OrgDomain != "" {
			t.Printf("  organizational domain: %s (tree walk), %s (Public Suffix List)\n", display(d.OrgDomain), legacyOrg)
		}
		if d.ViewsDisagree {
			t.Printf("  %s\n", t.Style(report.StyleWarn, "RFC 9989 and RFC 7489 receivers disagree: "+report.SafeLine(strings.Join(d.Differences, "; "))))
		}
	}
	if verbose {
		for _, txt := range res.TXT {
			t.Printf("  TXT at %s: %q\n", res.Name, txt)
		}
	}
	if rec := res.Record; rec != nil {
		where := "_dmarc." + res.RecordDomain
		if res.RecordDomain != res.Domain {
			where += " (inherited)"
		}
		t.Printf("  record: %s %q\n", where, rec.Raw)
		if pol := res.Policy; pol != nil {
			line := "  policy: p=" + string(pol.P) + " sp=" + string(pol.SP) + " np=" + string(pol.NP) + "; " + res.Domain + " gets " + string(pol.Applied) + " (" + pol.Source + ")"
			if pol.Testing {
				line += ", t=y: receivers apply " + string(dmarc.Weaken(pol.Applied))
			}
			if pol.Pct < 100 {
				line += ", pct=" + strconv.Itoa(pol.Pct) + " for RFC 7489 receivers"
			}
			t.Printf("%s\n", line)
		} else {
			t.Printf("  policy: none usable (no valid p and no valid rua): receivers apply no DMARC processing\n")
		}
		t.Printf("  alignment: adkim=%s aspf=%s; psd=%s\n", rec.ADKIM, rec.ASPF, rec.PSD)
	} else {
		t.Printf("  record: none applies\n")
	}
	for _, dst := range res.Destinations {
		status := t.Style(report.StylePlain, dst.Authorization)
		switch dst.Authorization {
		case dmarc.AuthNotNeeded:
			status = t.Style(report.StylePlain, "same organization")
		case dmarc.AuthAuthorized:
			s := "authorized by " + dst.AuthorizationName
			if len(dst.AuthCNAMEs) > 0 {
				s += " (via " + strings.Join(dst.AuthCNAMEs, " -> ") + ")"
			}
			status = t.Style(report.StylePlain, s)
		case dmarc.AuthMissing:
			status = t.Style(report.StyleFail, "NOT AUTHORIZED (no v=DMARC1 at "+dst.AuthorizationName+")")
		case dmarc.AuthTempError:
			status = t.Style(report.StyleError, "authorization unknown (DNS failure)")
		}
		recv := t.Style(report.StylePlain, "")
		switch dst.Receive {
		case dmarc.ReceiveMX:
			recv = t.Style(report.StylePlain, "; receives mail (MX "+strings.Join(dst.MX, ", ")+")")
		case dmarc.ReceiveAddress:
			recv = t.Style(report.StylePlain, "; receives mail (no MX, A/AAAA)")
		case dmarc.ReceiveNullMX:
			recv = t.Style(report.StyleFail, "; null MX: cannot receive mail")
		case dmarc.ReceiveNone:
			recv = t.Style(report.StyleFail, "; no MX, A or AAAA: cannot receive mail")
		case dmarc.ReceiveTempError:
			recv = t.Style(report.StyleError, "; mail servers unknown (DNS failure)")
		}
		t.Printf("  %s %s: %s%s\n", dst.Tag, report.SafeLine(dst.URI.Raw), status, recv)
	}
	if res.Incomplete {
		t.Printf("  %s\n", t.Style(report.StyleError, "incomplete: "+report.SafeLine(strings.Join(res.Errors, "; "))))
	}
	report.WriteFindings(t, res.Findings, "  ", false)
}

// inputError turns a pkg/dmarc error about input into bad input.
func inputError(input string, err error) error {
	var be *dmarc.BuildError
	if errors.As(err, &be) {
		return cmdutil.BadInput("--"+be.Option, be.Err)
	}
	return cmdutil.BadInput(input, err)
}
