package dmarc

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// EvalOptions are the inputs of "dmarc eval".
type EvalOptions struct {
	From     string
	SPFPass  []string
	DKIMPass []string
}

// NewCmdEval returns "dmarc eval".
func NewCmdEval(f *cmdutil.Factory, runF func(*EvalOptions) error) *cobra.Command {
	opts := &EvalOptions{}
	cmd := &cobra.Command{
		Use:   "eval --from DOMAIN [--spf-pass DOMAIN]... [--dkim-pass DOMAIN]...",
		Short: "Evaluate DMARC for a From domain and given SPF and DKIM passes",
		Long: `Evaluate DMARC (RFC 9989) for a message whose RFC5322.From domain is --from
(an address is accepted), given the domains that passed SPF (--spf-pass: the
MAIL FROM domain, or the HELO name for a null sender) and the d= domains of the
DKIM signatures that passed (--dkim-pass). Print the policy record found by the
DNS tree walk, each identifier's strict and relaxed alignment, the result and
the policy to apply (p, sp or np; one step weaker with t=y), and what an RFC
7489 receiver concludes (Public Suffix List, pct) where it differs.

-q prints the result and the policy to apply only.

Exit 0 for pass or none, 1 for fail (or permerror), 3 for temperror (a DNS
failure), 2 for bad input.`,
		Example: `  emailauth dmarc eval --from example.com --dkim-pass example.com
  emailauth dmarc eval --from user@mail.example.com --spf-pass bounces.example.com
  emailauth dmarc eval -o json --from example.com --spf-pass other.example --dkim-pass example.net`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.From == "" {
				return cmdutil.FlagErrorf("--from is required: the RFC5322.From domain or address")
			}
			if _, err := dmarc.NormalizeDomain(opts.From); err != nil {
				return cmdutil.BadInputHint("--from", err, "give the From domain (example.com) or address (user@example.com)")
			}
			for _, x := range []struct {
				flag string
				ds   []string
			}{{"--spf-pass", opts.SPFPass}, {"--dkim-pass", opts.DKIMPass}} {
				for _, d := range x.ds {
					if _, err := dmarc.NormalizeDomain(d); err != nil {
						return cmdutil.BadInput(x.flag, err)
					}
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runEval(f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.From, "from", "", "the RFC5322.From domain (or address)")
	cmd.Flags().StringArrayVar(&opts.SPFPass, "spf-pass", nil, "a domain that passed SPF (repeatable)")
	cmd.Flags().StringArrayVar(&opts.DKIMPass, "dkim-pass", nil, "the d= of a DKIM signature that passed (repeatable)")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// evalOutput is an evaluation as printed: the library's result and its
// status in the verdict model.
type evalOutput struct {
	*dmarc.EvalResult
	Status finding.Status `json:"status"`
}

func runEval(f *cmdutil.Factory, opts *EvalOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	in := dmarc.EvalInput{From: opts.From}
	for _, d := range opts.SPFPass {
		in.SPF = append(in.SPF, dmarc.AuthResult{Domain: d, Result: "pass"})
	}
	for _, d := range opts.DKIMPass {
		in.DKIM = append(in.DKIM, dmarc.AuthResult{Domain: d, Result: "pass"})
	}
	res, err := dmarc.Evaluate(f.Ctx(), r, in)
	if err != nil {
		return cmdutil.BadInput("--from", err)
	}
	out := evalOutput{EvalResult: res, Status: res.Status()}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, out); err != nil {
			return err
		}
	} else {
		writeEval(f.IO.Term(), res, f.IO.Quiet)
	}
	return cmdutil.ExitForStatus(out.Status)
}

func resultStyle(result string) report.Style {
	switch result {
	case dmarc.ResultPass:
		return report.StylePass
	case dmarc.ResultFail, dmarc.ResultPermError:
		return report.StyleFail
	case dmarc.ResultTempError:
		return report.StyleError
	}
	return report.StylePlain
}

func writeEval(t *report.Term, res *dmarc.EvalResult, quiet bool) {
	policy := ""
	if res.Policy != "" {
		policy = string(res.Policy) + " (" + res.PolicySource + ")"
		if res.Testing {
			policy += ", t=y: " + string(res.RequestedPolicy) + " requested, one step weaker applied"
		}
		if res.Result == dmarc.ResultPass {
			policy += "; the message passed, so no action"
		}
	}
	if quiet {
		t.Printf("dmarc:       %s\n", t.Style(resultStyle(res.Result), res.Result))
		if policy != "" {
			t.Printf("policy:      %s\n", policy)
		}
		return
	}
	t.Printf("header.from: %s\n", display(res.FromDomain))
	var steps []string
	for _, l := range res.Lookups {
		steps = append(steps, l.Name+" "+l.Status)
	}
	t.Printf("discovery:   %s\n", report.SafeLine(strings.Join(steps, " -> ")))
	if res.Record != nil {
		t.Printf("record:      _dmarc.%s %q\n", res.RecordDomain, res.Record.Raw)
		for _, pr := range res.Record.Problems {
			t.Printf("  %s: %s\n", t.Style(report.StyleWarn, "record "+string(pr.Severity)), report.SafeLine(pr.Message))
		}
	}
	if res.OrgDomain != "" {
		t.Printf("org domain:  %s (tree walk)\n", display(res.OrgDomain))
	}
	for _, m := range []struct {
		name string
		a    dmarc.Alignment
	}{{"spf", res.Alignment.SPF}, {"dkim", res.Alignment.DKIM}} {
		if res.Record == nil {
			break
		}
		if len(m.a.Checks) == 0 {
			t.Printf("%-5s (%s): no passing identifier\n", m.name, m.a.Mode)
			continue
		}
		for _, c := range m.a.Checks {
			state := t.Style(report.StyleFail, "not aligned")
			switch {
			case c.Aligned && c.StrictAligned:
				state = t.Style(report.StylePass, "aligned (identical)")
			case c.Aligned:
				state = t.Style(report.StylePass, "aligned (same organizational domain "+c.OrgDomain+")")
			case c.RelaxedAligned:
				state = t.Style(report.StyleFail, "not aligned: strict alignment needs "+res.FromDomain)
			}
			t.Printf("%-5s (%s): %s %s: %s\n", m.name, m.a.Mode, c.Domain, c.Result, state)
		}
	}
	t.Printf("dmarc:       %s\n", t.Style(resultStyle(res.Result), res.Result))
	if policy != "" {
		t.Printf("policy:      %s\n", policy)
	}
	if res.Reason != "" {
		t.Printf("reason:      %s\n", report.SafeLine(res.Reason))
	}
	if res.ViewsDiffer {
		res7489 := res.RFC7489
		line := "RFC 7489 receivers: dmarc=" + res7489.Result
		if res7489.Policy != "" {
			line += " policy=" + string(res7489.Policy) + " (" + res7489.PolicySource + ") from _dmarc." + res7489.RecordDomain
		}
		t.Printf("%s\n", line)
		for _, d := range res.Differences {
			t.Printf("  differs: %s\n", report.SafeLine(d))
		}
	} else {
		t.Printf("RFC 7489 receivers: same result and policy\n")
	}
}
