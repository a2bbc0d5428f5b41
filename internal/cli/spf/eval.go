package spf

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// EvalOptions are the inputs of "spf eval".
type EvalOptions struct {
	IP netip.Addr
	// MailFrom is the RFC5321.MailFrom address; "" is the null
	// reverse-path, and then Helo is checked.
	MailFrom           string
	Helo               string
	Receiver           string
	DefaultExplanation string
	// File, when set, holds one connection per line (see batch.go): the
	// connections are evaluated in turn and written as JSON lines.
	File        string
	Concurrency int
}

// NewCmdEval returns "spf eval".
func NewCmdEval(f *cmdutil.Factory, runF func(*EvalOptions) error) *cobra.Command {
	opts := &EvalOptions{}
	var ip string
	cmd := &cobra.Command{
		Use:   "eval {--ip IP --mail-from ADDR [--helo NAME] | --file FILE}",
		Short: "Run check_host() for one connection",
		Long: `Run RFC 7208 check_host() for one SMTP connection and print the result, the
term that decided it, the explanation (on fail), and the DNS lookups and void
lookups used. With -v, print every step and query; with -q, only the result
(and, for permerror and temperror, the reason).

--mail-from is the RFC5321.MailFrom address. --mail-from "" is the null
reverse-path (a bounce): then the HELO identity is checked, as
postmaster@HELO (RFC 7208 §2.4), and --helo is required. A domain in
U-labels (in the address or --helo) is asked in A-label form.

%{r} expands to --receiver (default "unknown"), %{t} to the current time, and
%{p} to a PTR name of the client confirmed by a forward lookup (or "unknown").

Text from the DNS (an explanation, a record in the trace) is escaped: it
cannot drive the terminal.

With --file FILE (- for standard input), each line is one connection: the
client IP, the MAIL FROM address (<> or "" for the null reverse-path; angle
brackets are removed) and the HELO name, separated by spaces, tabs or
commas; blank lines and lines starting with # are skipped. Each connection
gives one JSON line, in the order of the file, with its line number; a line
that cannot be read gives a JSON line with "invalid" saying why, and the
others still run. Connections are evaluated -j at a time, sharing one DNS
cache, with no trace: this replays a mail log at the library's speed.

Exit 0 for pass; 1 for fail, softfail, neutral, none and permerror; 3 for
temperror (a DNS lookup failed: try again later); 2 for bad input. With
--file: 1 when a connection does not pass, else 2 when a line is invalid,
else 3 when a connection gave temperror.`,
		Example: `  emailauth spf eval --ip 192.0.2.10 --mail-from alice@example.com
  emailauth spf eval --ip 2001:db8::25 --mail-from "" --helo mail.example.com
  emailauth spf eval -v --ip 192.0.2.10 --mail-from alice@example.com --helo mx.example.net
  emailauth spf eval -o json --ip 192.0.2.10 --mail-from alice@example.com
  emailauth spf eval --file connections.txt -j 64 > results.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.File != "" {
				for _, single := range []string{"ip", "mail-from", "sender", "helo"} {
					if cmd.Flags().Changed(single) {
						return cmdutil.FlagErrorf("--%s and --file do not go together: with --file each line gives the connection", single)
					}
				}
				if cmd.Flags().Changed("output") && f.Global.Output != "json" {
					return cmdutil.FlagErrorf("--file writes JSON lines: -o %s is not available with it", f.Global.Output)
				}
				if opts.Concurrency < 1 || opts.Concurrency > 4096 {
					return cmdutil.FlagErrorf("invalid --concurrency %d: want 1 to 4096", opts.Concurrency)
				}
				if runF != nil {
					return runF(opts)
				}
				return runEvalFile(f, opts)
			}
			if ip == "" {
				return cmdutil.FlagErrorf("--ip is required: the connecting client's address")
			}
			a, err := netip.ParseAddr(strings.TrimSpace(ip))
			if err != nil || a.Zone() != "" {
				return cmdutil.BadInputHint("--ip", fmt.Errorf("%q is not an IP address", ip), "give an IPv4 or IPv6 address, e.g. 192.0.2.10 or 2001:db8::25")
			}
			opts.IP = a
			if !cmd.Flags().Changed("mail-from") && !cmd.Flags().Changed("sender") {
				return cmdutil.FlagErrorf("--mail-from is required: the MAIL FROM address, or \"\" for the null reverse-path (then --helo is checked)")
			}
			if opts.MailFrom == "" && opts.Helo == "" {
				return cmdutil.FlagErrorf("--mail-from \"\" checks the HELO identity: give --helo NAME")
			}
			if opts.MailFrom != "" {
				at := strings.LastIndexByte(opts.MailFrom, '@')
				if at < 0 {
					return cmdutil.BadInputHint("--mail-from", fmt.Errorf("%q is not a mail address", opts.MailFrom), "give the MAIL FROM address, e.g. alice@example.com, or \"\" for the null reverse-path")
				}
				opts.MailFrom = opts.MailFrom[:at+1] + aLabels(opts.MailFrom[at+1:])
			}
			opts.Helo = aLabels(opts.Helo)
			if runF != nil {
				return runF(opts)
			}
			return runEval(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&ip, "ip", "", "the connecting client's IP address")
	fl.StringVar(&opts.MailFrom, "mail-from", "", "the RFC5321.MailFrom `address` (\"\" for the null reverse-path)")
	fl.StringVar(&opts.Helo, "helo", "", "the HELO/EHLO `name`")
	fl.StringVar(&opts.Receiver, "receiver", "unknown", "the receiving host's `name`, for %{r}")
	fl.StringVar(&opts.DefaultExplanation, "default-explanation", "", "the explanation of a fail when the record gives none")
	fl.StringVarP(&opts.File, "file", "f", "", "evaluate the connections of `FILE`, one per line: IP MAIL-FROM HELO (- for standard input)")
	fl.IntVarP(&opts.Concurrency, "concurrency", "j", 16, "with --file, how many connections to evaluate at once")
	cmdutil.DeprecatedAlias(f.IO, fl, "sender", "mail-from")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

// aLabels writes a domain given in U-labels in A-label form, as it is
// asked. Anything else is left as given: check_host() itself decides what a
// malformed domain gives (none, RFC 7208 §4.3).
func aLabels(name string) string {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			if a, err := dns.NormalizeName(name); err == nil {
				return a
			}
			return name
		}
	}
	return name
}

// evalResult is a check_host() result with its verdict, as -o json writes
// it.
type evalResult struct {
	*spf.Result
	Status finding.Status `json:"status"`
}

func runEval(f *cmdutil.Factory, opts *EvalOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	res := spf.CheckMailFrom(f.Ctx(), r, opts.IP, opts.MailFrom, opts.Helo, spf.Options{
		Receiver: opts.Receiver, Now: f.Now, DefaultExplanation: opts.DefaultExplanation,
		Trace: true,
	})
	st := res.Result.Status()
	switch {
	case f.Global.Output == "json":
		if err := cmdutil.WriteJSON(f.IO.Out, evalResult{Result: res, Status: st}); err != nil {
			return err
		}
	case f.IO.Quiet:
		t := f.IO.Term()
		t.Printf("result: %s\n", t.Style(report.StatusStyle(string(st)), string(res.Result)))
		if res.Error != "" && (res.Result == spf.PermError || res.Result == spf.TempError) {
			t.Printf("reason: %s\n", report.SafeLine(res.Error))
		}
	default:
		writeEval(f.IO.Term(), res, st, f.IO.Verbosity > 0)
	}
	return cmdutil.ExitForStatus(st)
}

func writeEval(t *report.Term, res *spf.Result, st finding.Status, verbose bool) {
	t.Printf("result: %s\n", t.Style(report.StatusStyle(string(st)), string(res.Result)))
	t.Printf("domain: %s\n", dns.Domain{ASCII: res.Domain, Unicode: dns.UnicodeName(res.Domain)}.Display())
	switch {
	case res.Mechanism != "" && res.MatchDomain != res.Domain:
		t.Printf("mechanism: %s (in the record of %s)\n", report.SafeLine(res.Mechanism), res.MatchDomain)
	case res.Mechanism != "":
		t.Printf("mechanism: %s\n", report.SafeLine(res.Mechanism))
	case res.Result == spf.Neutral:
		t.Printf("mechanism: none matched (default result)\n")
	}
	if res.Result == spf.Fail {
		if res.Explanation == "" {
			t.Printf("explanation: none (the record has no usable exp=)\n")
		} else {
			t.Printf("explanation: %s\n", report.SafeLine(res.Explanation))
		}
	}
	if res.Error != "" {
		t.Printf("reason: %s\n", report.SafeLine(res.Error))
	}
	t.Printf("lookups: %d of %d, void lookups: %d of %d\n", res.Lookups, spf.MaxLookups, res.VoidLookups, spf.MaxVoidLookups)
	if verbose {
		t.Printf("trace:\n")
		for _, s := range res.Trace {
			t.Printf("  %s\n", report.SafeLine(s.String()))
		}
	}
}
