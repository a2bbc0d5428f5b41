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

Exit 0 when an answer was obtained (NXDOMAIN and NODATA are answers), 3 when
none could be.`,
		Example: `  emailauth lookup _dmarc.example.com
  emailauth lookup example.com MX --resolver 1.1.1.1
  emailauth lookup --offline --zone testdata/zones/example.com.zone selector1._domainkey.example.com
  emailauth lookup -o json example.com TXT`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := &Options{Name: args[0], Type: dns.TypeTXT}
			if err := dns.CheckName(opts.Name); err != nil {
				return cmdutil.BadInput("NAME", err)
			}
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
	} else {
		writeTable(f, ans)
	}
	if qerr != nil {
		return &cmdutil.IncompleteError{Err: qerr}
	}
	return nil
}

func writeTable(f *cmdutil.Factory, a *dns.Answer) {
	w := f.IO.Out
	status := dns.RcodeString(a.RCode)
	switch {
	case a.NXDomain():
		status = "NXDOMAIN (the name does not exist)"
	case a.NoData():
		status = "NOERROR, no " + dns.TypeString(a.Type) + " records (NODATA)"
	}
	fmt.Fprintf(w, "%s %s: %s\n", a.Name, dns.TypeString(a.Type), status)
	fmt.Fprintf(w, "answered by: %s\n", a.Source)
	if a.Authenticated {
		fmt.Fprintln(w, "dnssec: validated by the resolver (AD bit set)")
	} else {
		fmt.Fprintln(w, "dnssec: not validated (AD bit clear)")
	}
	if len(a.CNAMEs) > 0 {
		fmt.Fprintf(w, "cname chain: %s -> %s\n", a.Name, strings.Join(a.CNAMEs, " -> "))
	}
	for _, r := range a.Records {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", r.Name, r.TTL, dns.TypeString(r.Type), r.Data)
		if len(r.Strings) > 1 {
			for i, s := range r.Strings {
				fmt.Fprintf(w, "\tstring %d (%d octets): %q\n", i+1, len(s), s)
			}
		}
	}
}
