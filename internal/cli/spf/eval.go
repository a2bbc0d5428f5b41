package spf

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// EvalOptions are the inputs of "spf eval".
type EvalOptions struct {
	IP                 netip.Addr
	Sender             string
	Helo               string
	Receiver           string
	DefaultExplanation string
}

// NewCmdEval returns "spf eval".
func NewCmdEval(f *cmdutil.Factory, runF func(*EvalOptions) error) *cobra.Command {
	opts := &EvalOptions{}
	var ip string
	cmd := &cobra.Command{
		Use:   "eval --ip IP --sender ADDR [--helo NAME]",
		Short: "Run check_host() for one connection",
		Long: `Run RFC 7208 check_host() for one SMTP connection and print the result, the
term that decided it, the explanation (on fail), and the DNS lookups and void
lookups used. With -v, print every step and query.

--sender is the MAIL FROM address. --sender "" is the null reverse-path (a
bounce): then the HELO identity is checked, as postmaster@HELO (RFC 7208
§2.4), and --helo is required.

%{r} expands to --receiver (default "unknown"), %{t} to the current time, and
%{p} to a PTR name of the client confirmed by a forward lookup (or "unknown").

Exit 0 for pass, 1 for any other result, 3 for temperror, 2 for bad input.`,
		Example: `  emailauth spf eval --ip 192.0.2.10 --sender alice@example.com
  emailauth spf eval --ip 2001:db8::25 --sender "" --helo mail.example.com
  emailauth spf eval -v --ip 192.0.2.10 --sender alice@example.com --helo mx.example.net
  emailauth spf eval -o json --ip 192.0.2.10 --sender alice@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if ip == "" {
				return cmdutil.FlagErrorf("--ip is required: the connecting client's address")
			}
			a, err := netip.ParseAddr(strings.TrimSpace(ip))
			if err != nil || a.Zone() != "" {
				return cmdutil.BadInputHint("--ip", fmt.Errorf("%q is not an IP address", ip), "give an IPv4 or IPv6 address, e.g. 192.0.2.10 or 2001:db8::25")
			}
			opts.IP = a
			if !cmd.Flags().Changed("sender") {
				return cmdutil.FlagErrorf("--sender is required: the MAIL FROM address, or \"\" for the null reverse-path (then --helo is checked)")
			}
			if opts.Sender == "" && opts.Helo == "" {
				return cmdutil.FlagErrorf("--sender \"\" checks the HELO identity: give --helo NAME")
			}
			if opts.Sender != "" && !strings.Contains(opts.Sender, "@") {
				return cmdutil.BadInputHint("--sender", fmt.Errorf("%q is not a mail address", opts.Sender), "give the MAIL FROM address, e.g. alice@example.com, or \"\" for the null reverse-path")
			}
			if runF != nil {
				return runF(opts)
			}
			return runEval(f, opts)
		},
	}
	cmd.Flags().StringVar(&ip, "ip", "", "the connecting client's IP address")
	cmd.Flags().StringVar(&opts.Sender, "sender", "", "the MAIL FROM address (\"\" for the null reverse-path)")
	cmd.Flags().StringVar(&opts.Helo, "helo", "", "the HELO/EHLO name")
	cmd.Flags().StringVar(&opts.Receiver, "receiver", "unknown", "the receiving host's name, for %{r}")
	cmd.Flags().StringVar(&opts.DefaultExplanation, "default-explanation", "", "the explanation of a fail when the record gives none")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func runEval(f *cmdutil.Factory, opts *EvalOptions) error {
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	res := spf.CheckMailFrom(f.Ctx(), r, opts.IP, opts.Sender, opts.Helo, spf.Options{
		Receiver: opts.Receiver, Now: f.Now, DefaultExplanation: opts.DefaultExplanation,
		Trace: true,
	})
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, res); err != nil {
			return err
		}
	} else {
		w := f.IO.Out
		fmt.Fprintf(w, "result: %s\n", res.Result)
		fmt.Fprintf(w, "domain: %s\n", res.Domain)
		switch {
		case res.Mechanism != "" && res.MatchDomain != res.Domain:
			fmt.Fprintf(w, "mechanism: %s (in the record of %s)\n", res.Mechanism, res.MatchDomain)
		case res.Mechanism != "":
			fmt.Fprintf(w, "mechanism: %s\n", res.Mechanism)
		case res.Result == spf.Neutral:
			fmt.Fprintln(w, "mechanism: none matched (default result)")
		}
		if res.Result == spf.Fail {
			if res.Explanation == "" {
				fmt.Fprintln(w, "explanation: none (the record has no usable exp=)")
			} else {
				fmt.Fprintf(w, "explanation: %s\n", res.Explanation)
			}
		}
		if res.Error != "" {
			fmt.Fprintf(w, "reason: %s\n", res.Error)
		}
		fmt.Fprintf(w, "lookups: %d of 10, void lookups: %d of 2\n", res.Lookups, res.VoidLookups)
		if f.IO.Verbosity > 0 {
			fmt.Fprintln(w, "trace:")
			for _, s := range res.Trace {
				fmt.Fprintf(w, "  %s\n", s)
			}
		}
	}
	switch res.Result {
	case spf.Pass:
		return nil
	case spf.TempError:
		return cmdutil.ErrIncomplete
	}
	return cmdutil.ErrFailed
}
