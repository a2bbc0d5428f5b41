// Package lookup is the "emailauth lookup" command: what the resolver layer
// sees for one question.
package lookup

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/report"
)

// Options are the lookup command's inputs.
type Options struct {
	Name string
	Type uint16
}

// NewCmdLookup returns the lookup command. runF, when not nil, replaces the
// run function (tests stop after flag parsing).
func NewCmdLookup(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lookup NAME [TYPE]",
		Short: "Show what the DNS answers for one name and type",
		Long: `Show what emailauth's resolver layer sees for one question: the records, the
RCODE (NXDOMAIN and NODATA told apart), the AD bit, TTLs, the CNAME chain
followed, and which resolver or zone file answered. TYPE defaults to TXT.
An internationalized NAME is asked in A-label form (bücher.example as
xn--bcher-kva.example).

Exit 0 when an answer was obtained (NXDOMAIN and NODATA are answers), 3 when
none could be.`,
		Example: `  emailauth lookup _dmarc.example.com
  emailauth lookup example.com MX --resolver 1.1.1.1
  emailauth lookup --offline --zone testdata/zones/example.com.zone selector1._domainkey.example.com
  emailauth lookup -o json example.com TXT`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, err := dns.NormalizeName(args[0])
			if err != nil {
				return cmdutil.BadInput("NAME", err)
			}
			opts := &Options{Name: name, Type: dns.TypeTXT}
			if len(args) == 2 {
				t, err := dns.ParseType(args[1])
				if err != nil {
					return cmdutil.BadInputHint("TYPE", err, "use a record type such as TXT, MX, A, AAAA, CNAME, NS, PTR or SOA")
				}
				opts.Type = t
			}
			if runF != nil {
				return runF(opts)
			}
			return run(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func run(f *cmdutil.Factory, opts *Options) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	ans, qerr := r.Query(f.Ctx(), opts.Name, opts.Type)
	if qerr != nil && ans == nil {
		var ne *dns.NameError
		if errors.As(qerr, &ne) {
			return cmdutil.BadInput("NAME", qerr)
		}
		return &cmdutil.IncompleteError{Err: qerr}
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, ans); err != nil {
			return err
		}
	} else if err := writeTable(f, ans); err != nil {
		return err
	}
	if qerr != nil {
		return &cmdutil.IncompleteError{Err: qerr}
	}
	return nil
}

func writeTable(f *cmdutil.Factory, a *dns.Answer) error {
	w := f.IO.Term()
	status := dns.RcodeString(a.RCode)
	switch {
	case a.NXDomain():
		status = "NXDOMAIN (the name does not exist)"
	case a.NoData():
		status = "NOERROR, no " + dns.TypeString(a.Type) + " records (NODATA)"
	}
	name := a.Name
	if u := dns.UnicodeName(a.Name); u != "" {
		name += " (" + u + ")"
	}
	if !f.IO.Quiet {
		w.Printf("%s %s: %s\n", name, dns.TypeString(a.Type), status)
		w.Printf("answered by: %s\n", a.Source)
		if a.Authenticated {
			w.Printf("dnssec: validated by the resolver (AD bit set)\n")
		} else {
			w.Printf("dnssec: not validated (AD bit clear)\n")
		}
		if len(a.CNAMEs) > 0 {
			w.Printf("cname chain: %s -> %s\n", a.Name, strings.Join(a.CNAMEs, " -> "))
		}
	}
	if len(a.Records) == 0 {
		return nil
	}
	if !f.IO.Quiet {
		w.Printf("\n")
	}
	rows := make([][]string, 0, len(a.Records))
	for _, r := range a.Records {
		rows = append(rows, []string{r.Name, fmt.Sprint(r.TTL), dns.TypeString(r.Type), r.Data})
		if len(r.Strings) > 1 {
			for i, s := range r.Strings {
				rows = append(rows, []string{"", "", "", fmt.Sprintf("string %d (%d octets): %q", i+1, len(s), s)})
			}
		}
	}
	return report.Grid(w, []string{"NAME", "TTL", "TYPE", "DATA"}, rows)
}
