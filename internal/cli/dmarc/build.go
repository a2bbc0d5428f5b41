package dmarc

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
)

// BuildOptions are the inputs of "dmarc build".
type BuildOptions struct {
	dmarc.BuildOptions
}

// NewCmdBuild returns "dmarc build".
func NewCmdBuild(f *cmdutil.Factory, runF func(*BuildOptions) error) *cobra.Command {
	opts := &BuildOptions{}
	cmd := &cobra.Command{
		Use:   "build --policy none|quarantine|reject [flags]",
		Short: "Compose a DMARC record, its zone line and any authorization records",
		Long: `Compose an RFC 9989 DMARC record from flags, validate it, and print it with a
zone-file line (split into 255-octet strings when long). For each rua or ruf
destination in another organizational domain (Public Suffix List), print the
authorization record that the destination's domain must publish
(<domain>._report._dmarc.<destination>; RFC 9990, RFC 7489 §7.1). Without
--domain the zone line is relative ("_dmarc") and every destination's
authorization record is shown with <your-domain>, needed only if it is
external. Addresses without a scheme get mailto:.

No DNS query is made. Exit 0, or 2 for a bad flag value.`,
		Example: `  emailauth dmarc build --policy none --rua dmarc@example.com --domain example.com
  emailauth dmarc build --policy reject --np reject --adkim s --aspf s --rua mailto:d@example.com
  emailauth dmarc build --policy quarantine --testing --rua mailto:r@vendor.example.net --domain example.com
  emailauth dmarc build -o json --policy reject`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Policy == "" {
				return cmdutil.FlagErrorf("--policy is required: none, quarantine or reject")
			}
			if runF != nil {
				return runF(opts)
			}
			return runBuild(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Domain, "domain", "", "the domain the record is for (for the zone line and authorization records)")
	fl.StringVar(&opts.Policy, "policy", "", "p: none, quarantine or reject")
	fl.StringVar(&opts.SubdomainPolicy, "subdomain-policy", "", "sp: the policy for subdomains (default: p)")
	fl.StringVar(&opts.NP, "np", "", "np: the policy for non-existent subdomains (default: sp, then p)")
	fl.StringArrayVar(&opts.RUA, "rua", nil, "aggregate report destination (repeatable)")
	fl.StringArrayVar(&opts.RUF, "ruf", nil, "failure report destination (repeatable)")
	fl.StringVar(&opts.ADKIM, "adkim", "", "DKIM alignment: r (relaxed, default) or s (strict)")
	fl.StringVar(&opts.ASPF, "aspf", "", "SPF alignment: r (relaxed, default) or s (strict)")
	fl.StringVar(&opts.FO, "fo", "", "failure reporting options: 0, 1, d, s (colon-separated)")
	fl.BoolVar(&opts.Testing, "testing", false, "t=y: ask receivers to apply one step less than the policy")
	fl.StringVar(&opts.PSD, "psd", "", "psd: y for a public suffix domain, n for an organizational domain")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func runBuild(f *cmdutil.Factory, opts *BuildOptions) error {
	res, err := dmarc.Build(opts.BuildOptions)
	if err != nil {
		return inputError("record", err)
	}
	if f.Global.Output == "json" {
		return cmdutil.WriteJSON(f.IO.Out, res)
	}
	out := f.IO.Out
	fmt.Fprintf(out, "name:   %s\n", res.Name)
	fmt.Fprintf(out, "record: %s\n", res.Record)
	fmt.Fprintf(out, "zone:   %s\n", res.ZoneLine)
	for _, a := range res.Authorizations {
		if a.Maybe {
			fmt.Fprintf(out, "\nif %s is not in your organizational domain, it must publish:\n  %s\n", a.Destination, a.ZoneLine)
		} else {
			fmt.Fprintf(out, "\n%s is an external destination: it must publish\n  %s\n", a.Destination, a.ZoneLine)
		}
	}
	for _, n := range res.Notes {
		if !f.IO.Quiet {
			fmt.Fprintf(f.IO.ErrOut, "note: %s\n", n)
		}
	}
	return nil
}
