package dmarc

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
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

Exit 0 for pass or none, 1 for fail, 3 for temperror, 2 for bad input.`,
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
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, res); err != nil {
			return err
		}
	} else {
		writeEval(f.IO.Out, res, painter(f.IO.Color))
	}
	switch res.Result {
	case dmarc.ResultFail:
		return cmdutil.ErrFailed
	case dmarc.ResultTempError:
		return cmdutil.ErrIncomplete
	}
	return nil
}

func writeEval(out io.Writer, res *dmarc.EvalResult, p painter) {
	fmt.Fprintf(out, "header.from: %s\n", res.FromDomain)
	var steps []string
	for _, l := range res.Lookups {
		steps = append(steps, l.Name+" "+l.Status)
	}
	fmt.Fprintf(out, "discovery:   %s\n", strings.Join(steps, " -> "))
	if res.Record != nil {
		fmt.Fprintf(out, "record:      _dmarc.%s %q\n", res.RecordDomain, res.Record.Raw)
		for _, pr := range res.Record.Problems {
			fmt.Fprintf(out, "  %s: %s\n", p.paint("33", "record "+string(pr.Severity)), pr.Message)
		}
	}
	if res.OrgDomain != "" {
		fmt.Fprintf(out, "org domain:  %s (tree walk)\n", res.OrgDomain)
	}
	for _, m := range []struct {
		name string
		a    dmarc.Alignment
	}{{"spf", res.Alignment.SPF}, {"dkim", res.Alignment.DKIM}} {
		if res.Record == nil {
			break
		}
		if len(m.a.Checks) == 0 {
			fmt.Fprintf(out, "%-5s (%s): no passing identifier\n", m.name, m.a.Mode)
			continue
		}
		for _, c := range m.a.Checks {
			state := p.paint("31", "not aligned")
			switch {
			case c.Aligned && c.StrictAligned:
				state = p.paint("32", "aligned (identical)")
			case c.Aligned:
				state = p.paint("32", "aligned (same organizational domain "+c.OrgDomain+")")
			case c.RelaxedAligned:
				state = p.paint("31", "not aligned: strict alignment needs "+res.FromDomain)
			}
			fmt.Fprintf(out, "%-5s (%s): %s %s: %s\n", m.name, m.a.Mode, c.Domain, c.Result, state)
		}
	}
	res7489 := res.RFC7489
	resultColor := "31"
	if res.Result == dmarc.ResultPass {
		resultColor = "32"
	}
	fmt.Fprintf(out, "dmarc:       %s\n", p.paint(resultColor, res.Result))
	if res.Policy != "" {
		line := fmt.Sprintf("policy:      %s (%s)", res.Policy, res.PolicySource)
		if res.Testing {
			line += fmt.Sprintf(", t=y: %s requested, one step weaker applied", res.RequestedPolicy)
		}
		if res.Result == dmarc.ResultPass {
			line += "; the message passed, so no action"
		}
		fmt.Fprintln(out, line)
	}
	if res.Reason != "" {
		fmt.Fprintf(out, "reason:      %s\n", res.Reason)
	}
	if res.ViewsDiffer {
		fmt.Fprintf(out, "RFC 7489 receivers: dmarc=%s", res7489.Result)
		if res7489.Policy != "" {
			fmt.Fprintf(out, " policy=%s (%s) from _dmarc.%s", res7489.Policy, res7489.PolicySource, res7489.RecordDomain)
		}
		fmt.Fprintln(out)
		for _, d := range res.Differences {
			fmt.Fprintf(out, "  differs: %s\n", d)
		}
	} else {
		fmt.Fprintln(out, "RFC 7489 receivers: same result and policy")
	}
}
