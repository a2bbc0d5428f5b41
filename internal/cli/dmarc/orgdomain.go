package dmarc

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
)

// OrgDomainOptions are the inputs of "dmarc orgdomain".
type OrgDomainOptions struct {
	Domains []string
	PSLOnly bool
}

// NewCmdOrgDomain returns "dmarc orgdomain".
func NewCmdOrgDomain(f *cmdutil.Factory, runF func(*OrgDomainOptions) error) *cobra.Command {
	opts := &OrgDomainOptions{}
	cmd := &cobra.Command{
		Use:   "orgdomain DOMAIN...",
		Short: "Show a domain's organizational domain by the DNS tree walk and by the Public Suffix List",
		Long: `Show each domain's organizational domain as RFC 9989 receivers find it (the
DNS tree walk over _dmarc records, psd= included) and as RFC 7489 receivers
find it (the Public Suffix List: the public suffix plus one label; none when
the domain is itself a public suffix). --psl skips the DNS.

Exit 0, 3 when a DNS lookup failed, 2 for a malformed domain.`,
		Example: `  emailauth dmarc orgdomain mail.example.co.uk
  emailauth dmarc orgdomain --psl www.食狮.公司.cn`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range args {
				if _, err := dmarc.NormalizeDomain(d); err != nil {
					return cmdutil.BadInput("DOMAIN", err)
				}
			}
			opts.Domains = args
			if runF != nil {
				return runF(opts)
			}
			return runOrgDomain(f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.PSLOnly, "psl", false, "only the Public Suffix List (no DNS queries)")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

type orgDomainRow struct {
	Domain   string `json:"domain"`
	TreeWalk string `json:"tree_walk,omitempty"`
	PSL      string `json:"psl"`
	Error    string `json:"error,omitempty"`
}

func runOrgDomain(f *cmdutil.Factory, opts *OrgDomainOptions) error {
	rows := []orgDomainRow{}
	incomplete := false
	for _, d := range opts.Domains {
		n, _ := dmarc.NormalizeDomain(d)
		row := orgDomainRow{Domain: n, PSL: dmarc.OrgDomain7489(n)}
		if !opts.PSLOnly {
			r, err := f.Resolver()
			if err != nil {
				return err
			}
			o, err := dmarc.OrgDomain(f.Ctx(), r, n)
			if err != nil {
				row.Error, incomplete = err.Error(), true
			}
			row.TreeWalk = o
		}
		rows = append(rows, row)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, rows); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(f.IO.Out, 0, 0, 2, ' ', 0)
		if opts.PSLOnly {
			fmt.Fprintln(tw, "DOMAIN\tPUBLIC SUFFIX LIST")
		} else {
			fmt.Fprintln(tw, "DOMAIN\tTREE WALK (RFC 9989)\tPUBLIC SUFFIX LIST (RFC 7489)")
		}
		for _, r := range rows {
			psl := r.PSL
			if psl == "" {
				psl = "none (a public suffix)"
			}
			if opts.PSLOnly {
				fmt.Fprintf(tw, "%s\t%s\n", r.Domain, psl)
				continue
			}
			tree := r.TreeWalk
			if r.Error != "" {
				tree = "temperror: " + r.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Domain, tree, psl)
		}
		_ = tw.Flush()
	}
	if incomplete {
		return cmdutil.ErrIncomplete
	}
	return nil
}
