package dmarc

import (
	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// OrgDomainOptions are the inputs of "dmarc orgdomain".
type OrgDomainOptions struct {
	// Domains are the DOMAIN arguments, read as f.Domain reads them.
	Domains []dns.Domain
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

Internationalized names are asked in A-labels and shown in both forms.

Exit 0, 3 when a DNS lookup failed, 2 for a malformed domain.`,
		Example: `  emailauth dmarc orgdomain mail.example.co.uk
  emailauth dmarc orgdomain -o json mail.example.com www.example.org
  emailauth dmarc orgdomain --psl www.食狮.公司.cn`,
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
			return runOrgDomain(f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.PSLOnly, "psl", false, "only the Public Suffix List (no DNS queries)")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

type orgDomainRow struct {
	Domain   string         `json:"domain"`
	Unicode  string         `json:"unicode,omitempty"`
	TreeWalk string         `json:"tree_walk,omitempty"`
	PSL      string         `json:"psl"`
	Error    string         `json:"error,omitempty"`
	Status   finding.Status `json:"status"`
}

func runOrgDomain(f *cmdutil.Factory, opts *OrgDomainOptions) error {
	rows := []orgDomainRow{}
	var tally finding.Tally
	for _, d := range opts.Domains {
		row := orgDomainRow{Domain: d.ASCII, Unicode: d.Unicode, PSL: dmarc.OrgDomain7489(d.ASCII), Status: finding.StatusPass}
		if !opts.PSLOnly {
			r, err := f.Resolver()
			if err != nil {
				return err
			}
			o, err := dmarc.OrgDomain(f.Ctx(), r, d.ASCII)
			if err != nil {
				// The walk could not finish: a DNS failure, never a
				// wrong answer.
				row.Error, row.Status = err.Error(), finding.StatusError
			}
			row.TreeWalk = o
		}
		tally.Add(row.Status)
		rows = append(rows, row)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, rows); err != nil {
			return err
		}
		return cmdutil.ExitFor(tally, finding.Error)
	}
	// The column header is part of the table, kept with -q (the table is
	// the result; -o json is for programs).
	table := [][]report.Cell{report.Row("DOMAIN", "TREE WALK (RFC 9989)", "PUBLIC SUFFIX LIST (RFC 7489)")}
	if opts.PSLOnly {
		table[0] = report.Row("DOMAIN", "PUBLIC SUFFIX LIST")
	}
	for _, r := range rows {
		psl := "none (a public suffix)"
		if r.PSL != "" {
			psl = display(r.PSL)
		}
		name := dns.Domain{ASCII: r.Domain, Unicode: r.Unicode}.Display()
		if opts.PSLOnly {
			table = append(table, report.Row(name, psl))
			continue
		}
		tree := report.Text(display(r.TreeWalk))
		if r.Error != "" {
			tree = report.Styles(report.StyleError, "error: "+r.Error)
		}
		table = append(table, []report.Cell{report.Text(name), tree, report.Text(psl)})
	}
	report.Columns(f.IO.Term(), table, 2)
	return cmdutil.ExitFor(tally, finding.Error)
}
