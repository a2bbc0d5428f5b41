package dkim

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// CheckOptions are the check command's inputs.
type CheckOptions struct {
	Domain     string
	Selectors  []string
	PrivateKey string
}

// NewCmdCheck returns the "dkim check" command.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
	cmd := &cobra.Command{
		Use:   "check DOMAIN [--selector S]...",
		Short: "Fetch and check the DKIM key records of a domain",
		Long: `Fetch the key record of each selector (SELECTOR._domainkey.DOMAIN) and check it:
the tag-list syntax (RFC 6376 §3.2, §3.6.1), v=DKIM1 first when present, a
known k=, p= valid base64 holding a valid key of that type, the RSA key size
(under 1024 bits fails, 1024 warns, 2048 or more passes; RFC 8301), Ed25519
keys of exactly 32 bytes, t=y (testing), h= allowing only sha1, revoked keys
(an empty p=, reported as revoked, not as broken), several TXT records at one
selector, a record split into several records or with quotes or spaces where
it was split, and CNAME-delegated selectors (followed and reported).

With --private-key, say whether each published key is the public half of that
private key (as opendkim-testkey does): the check that catches a rotation
published with the wrong key.

With no --selector, probe a list of common selectors (see docs/dkim-keys.md;
add your own with dkim.selectors in the config file) and check those found.
Discovery can never be complete: the DNS cannot list the selectors of a domain.

Exit 0 when every key passes (warnings allowed), 1 when a check fails, 2 for
bad input, 3 when some lookups could not complete.`,
		Example: `  emailauth dkim check example.com --selector selector1 --selector selector2
  emailauth dkim check example.com --selector s1 --private-key s1.example.com.pem
  emailauth dkim check example.com            # discover common selectors
  emailauth dkim check -o json example.com -s google`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Domain = dns.CanonicalName(strings.TrimSpace(args[0]))
			if err := dns.CheckName(opts.Domain); err != nil {
				return cmdutil.BadInput("DOMAIN", err)
			}
			for _, s := range opts.Selectors {
				if err := dkimkey.CheckSelectorName(s, opts.Domain); err != nil {
					return cmdutil.BadInputHint("--selector", err, "give the selector only, as in --selector s1 for s1._domainkey."+opts.Domain)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(f, opts)
		},
	}
	cmd.Flags().StringSliceVarP(&opts.Selectors, "selector", "s", nil, "`selector` to check (repeatable or comma-separated); none: discover common ones")
	cmd.Flags().StringVar(&opts.PrivateKey, "private-key", "", "private key `file`: say whether each published key matches it")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func checkRun(f *cmdutil.Factory, o *CheckOptions) error {
	var pub crypto.PublicKey
	if o.PrivateKey != "" {
		k, err := readPrivateKey(f, o.PrivateKey)
		if err != nil {
			return err
		}
		pub = k
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	// dkim.selectors in the config means what --selector means.
	sels := o.Selectors
	if len(sels) == 0 {
		sels = f.Global.DKIMSelectors
	}
	res, err := dkimkey.Check(f.Ctx(), r, o.Domain, sels, dkimkey.CheckOptions{PublicKey: pub})
	if err != nil {
		var ne *dns.NameError
		if errors.As(err, &ne) {
			return cmdutil.BadInput("DOMAIN", err)
		}
		return cmdutil.BadInput("--selector", err)
	}
	if f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, res); err != nil {
			return err
		}
	} else {
		writeCheck(f.IO.Out, res, f.IO.Verbosity > 0)
	}
	switch res.Status {
	case finding.StatusFail:
		return cmdutil.ErrFailed
	case finding.StatusError:
		return cmdutil.ErrIncomplete
	}
	return nil
}

func writeCheck(w io.Writer, res *dkimkey.CheckResult, verbose bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "DKIM keys of %s\n", res.Domain)
	if res.Discovered {
		fmt.Fprintf(&b, "No selector given: probed %d common selectors, found %d.\n", len(res.Probed), len(res.Selectors))
		fmt.Fprintf(&b, "Note: %s.\n", res.Note)
		if verbose {
			fmt.Fprintf(&b, "Probed: %s\n", strings.Join(res.Probed, ", "))
		}
	}
	for _, s := range res.Selectors {
		b.WriteString("\n")
		key := ""
		switch {
		case s.Record != nil && s.Record.Revoked():
			key = "revoked"
		case s.KeyType != "":
			key = describeKey(s.KeyType, s.KeyBits)
		}
		label := strings.ToUpper(string(s.Status))
		if s.Revoked && s.Status == finding.StatusPass {
			label = "REVOKED" // a retired selector, revoked on purpose
		}
		fmt.Fprintf(&b, "%s  %s  %s", label, s.Selector, s.Name)
		if key != "" {
			fmt.Fprintf(&b, "  (%s)", key)
		}
		b.WriteString("\n")
		if len(s.CNAMEs) > 0 {
			fmt.Fprintf(&b, "  cname: %s -> %s\n", s.Name, strings.Join(s.CNAMEs, " -> "))
		}
		if s.Error != "" {
			fmt.Fprintf(&b, "  could not look it up: %s\n", s.Error)
		}
		for i, v := range s.Records {
			fmt.Fprintf(&b, "  record: %s\n", abbreviate(v, verbose))
			if verbose && len(s.Strings[i]) > 1 {
				for j, str := range s.Strings[i] {
					fmt.Fprintf(&b, "    string %d (%d octets): %q\n", j+1, len(str), str)
				}
			}
		}
		if s.KeyMatches != nil {
			if *s.KeyMatches {
				b.WriteString("  private key: matches the published key\n")
			} else {
				b.WriteString("  private key: DOES NOT match the published key\n")
			}
		}
		for _, fd := range s.Findings {
			writeFinding(&b, fd)
		}
	}
	var domainLevel []finding.Finding
	for _, fd := range res.Findings {
		if fd.Name == "" {
			domainLevel = append(domainLevel, fd)
		}
	}
	if len(domainLevel) > 0 {
		b.WriteString("\n")
		for _, fd := range domainLevel {
			writeFinding(&b, fd)
		}
	}
	fmt.Fprintf(&b, "\nResult: %s\n", res.Status)
	io.WriteString(w, b.String())
}

func writeFinding(b *strings.Builder, fd finding.Finding) {
	fmt.Fprintf(b, "  %s %s: %s\n", fd.Severity, fd.Code, fd.Message)
	if fd.Fix != "" {
		fmt.Fprintf(b, "    fix: %s\n", fd.Fix)
	}
}

// abbreviate shortens a long record for the table; -v shows it whole.
func abbreviate(v string, whole bool) string {
	if whole || len(v) <= 100 {
		return v
	}
	return v[:60] + "..." + v[len(v)-20:] + fmt.Sprintf(" (%d octets)", len(v))
}
