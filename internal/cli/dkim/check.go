package dkim

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/report"
)

// CheckOptions are the check command's inputs.
type CheckOptions struct {
	Domain    dns.Domain
	Selectors []string
	// PrivateKey is a private key file ("-": stdin) whose public half is
	// compared with each published key.
	PrivateKey string
	// MaxKeyAge is the key age past which a key gets dkim.key-age (0: not
	// judged); MaxKeyAgeSet says whether --max-key-age was given (else the
	// profile's dkim.max_key_age, when a profile is configured).
	MaxKeyAge    time.Duration
	MaxKeyAgeSet bool
}

// NewCmdCheck returns the "dkim check" command.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{}
	var maxAge string
	cmd := &cobra.Command{
		Use:   "check DOMAIN [-s SELECTOR]...",
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
published with the wrong key. --private-key - reads the key from stdin.

Each key's age is reported where it can be known: from a date in the
selector name (s2026-06, 20260601, 2026q2) or, for the key that matches
--private-key, the key file's modification time (the older of the two). A key
older than --max-key-age (180d: M3AAWG recommends rotating at least every six
months; dkim.max_key_age in the configured profile) gets a warning
(dkim.key-age); "emailauth dkim rotate" walks through the rotation.

With no --selector, probe a list of common selectors (see docs/dkim-keys.md;
add your own with dkim.selectors in the config file) and check those found.
Discovery can never be complete: the DNS cannot list the selectors of a domain.

-q prints one line per selector, its warnings and errors, and the result.

Exit 0 when every key passes (warnings allowed), 1 when a check fails, 2 for
bad input, 3 when some lookups could not complete.`,
		Example: `  emailauth dkim check example.com -s selector1 -s selector2
  emailauth dkim check example.com -s s1 -k s1.example.com.pem
  emailauth dkim check example.com            # discover common selectors
  emailauth dkim check -o json example.com -s google
  emailauth dkim check example.com -s s2026-05 --max-key-age 90d`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := f.Domain("DOMAIN", args[0])
			if err != nil {
				return err
			}
			opts.Domain = d
			opts.MaxKeyAgeSet = cmd.Flags().Changed("max-key-age")
			if opts.MaxKeyAge, err = dkimkey.ParseAge(maxAge); err != nil {
				return cmdutil.BadInputHint("--max-key-age", err, "write days (180d), weeks (26w) or hours (4320h); 0 turns the check off")
			}
			for _, s := range opts.Selectors {
				if err := dkimkey.CheckSelectorName(s, d.ASCII); err != nil {
					return cmdutil.BadInputHint("--selector", err, "give the selector only, as in --selector s1 for s1._domainkey."+d.ASCII)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(f, opts)
		},
	}
	cmd.Flags().StringSliceVarP(&opts.Selectors, "selector", "s", nil, "`selector` to check (repeatable or comma-separated); none: discover common ones")
	cmd.Flags().StringVarP(&opts.PrivateKey, "private-key", "k", "", "private key `FILE` (- for stdin): say whether each published key matches it")
	cmd.Flags().StringVar(&maxAge, "max-key-age", "180d", "warn about keys older than this `DURATION`, such as 180d, 26w or 4320h; 0: never (default: the profile's dkim.max_key_age)")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func checkRun(f *cmdutil.Factory, o *CheckOptions) error {
	var pub crypto.PublicKey
	var keyTime time.Time
	if o.PrivateKey != "" {
		k, err := readPrivateKey(f, o.PrivateKey)
		if err != nil {
			return err
		}
		pub = k
		if o.PrivateKey != "-" {
			if fi, err := os.Stat(o.PrivateKey); err == nil {
				keyTime = fi.ModTime()
			}
		}
	}
	maxAge := o.MaxKeyAge
	if !o.MaxKeyAgeSet && f.Global != nil && (f.Global.Profile != "" || f.Global.ProfileInConfig) {
		// The platform's profile, configured for every command, may set
		// its own maximum.
		loaded, err := profileopt.Load(f, profileopt.Flags{})
		if err != nil {
			return err
		}
		if loaded.Profile != nil {
			if d, ok := loaded.Profile.DKIM.MaxKeyAgeDuration(); ok {
				maxAge = d
			}
		}
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	if err := f.RequireCovered("DOMAIN", o.Domain); err != nil {
		return err
	}
	// dkim.selectors in the config means what --selector means.
	sels := o.Selectors
	if len(sels) == 0 {
		sels = f.Global.DKIMSelectors
	}
	res, err := dkimkey.Check(f.Ctx(), r, o.Domain.ASCII, sels, dkimkey.CheckOptions{PublicKey: pub, Now: f.Now, MaxKeyAge: maxAge, KeyFileTime: keyTime})
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
		writeCheck(f.IO.Term(), res, o.Domain, f.IO.Verbosity > 0, f.IO.Quiet)
	}
	return cmdutil.ExitForStatus(checkStatus(res))
}

// checkStatus is the result's status in the verdict model (pkg/finding),
// as pkg/dkimkey judged it.
func checkStatus(res *dkimkey.CheckResult) finding.Status { return res.Status }

// selectorLabel is the status word of a selector's line: a revoked key that
// is otherwise fine (a retired selector) reads REVOKED.
func selectorLabel(s *dkimkey.SelectorResult) (string, report.Style) {
	if s.Revoked && s.Status == finding.StatusPass {
		return "REVOKED", report.StyleDim // a retired selector, revoked on purpose
	}
	return strings.ToUpper(string(s.Status)), report.StatusStyle(string(s.Status))
}

// writeCheck renders a check for people on t. Every record, name and
// message comes from the DNS: t makes them safe. quiet keeps the results:
// the selector lines, their warnings and errors, and the result line.
func writeCheck(t *report.Term, res *dkimkey.CheckResult, d dns.Domain, verbose, quiet bool) {
	if !quiet {
		t.Printf("DKIM keys of %s\n", d.Display())
		if res.Discovered {
			t.Printf("No selector given: probed %d common selectors, found %d.\n", len(res.Probed), len(res.Selectors))
			t.Printf("Note: %s.\n", res.Note)
			if verbose {
				t.Printf("Probed: %s\n", strings.Join(res.Probed, ", "))
			}
		}
	}
	for _, s := range res.Selectors {
		if !quiet {
			t.Printf("\n")
		}
		label, style := selectorLabel(s)
		key := ""
		switch {
		case s.Record != nil && s.Record.Revoked():
			key = "  (revoked)"
		case s.KeyType != "":
			key = "  (" + describeKey(s.KeyType, s.KeyBits) + ")"
		}
		t.Printf("%s  %s  %s%s\n", t.Style(style, label), s.Selector, s.Name, key)
		if len(s.CNAMEs) > 0 && !quiet {
			t.Printf("  cname: %s -> %s\n", s.Name, strings.Join(s.CNAMEs, " -> "))
		}
		if s.Error != "" {
			t.Printf("  could not look it up: %s\n", s.Error)
		}
		if !quiet {
			for i, v := range s.Records {
				t.Printf("  record: %s\n", abbreviate(v, verbose))
				if verbose && i < len(s.Strings) && len(s.Strings[i]) > 1 {
					for j, str := range s.Strings[i] {
						t.Printf("    string %d (%d octets): %q\n", j+1, len(str), str)
					}
				}
			}
			if a := s.KeyAge; a != nil {
				line := fmt.Sprintf("  age: %d days, %s", a.Days, a.Describe())
				if a.MaxDays > 0 {
					line += fmt.Sprintf("; the maximum is %d days", a.MaxDays)
				}
				t.Printf("%s\n", line)
			}
			if s.KeyMatches != nil {
				if *s.KeyMatches {
					t.Printf("  private key: matches the published key\n")
				} else {
					t.Printf("  private key: %s the published key\n", t.Style(report.StyleFail, "DOES NOT match"))
				}
			}
		}
		for _, fd := range s.Findings {
			writeFinding(t, fd, quiet)
		}
	}
	first := true
	for _, fd := range res.Findings {
		if fd.Name != "" || quiet && fd.Severity < finding.Warning {
			continue
		}
		if first && !quiet {
			t.Printf("\n")
		}
		first = false
		writeFinding(t, fd, quiet)
	}
	if !quiet {
		t.Printf("\n")
	}
	st := string(checkStatus(res))
	t.Printf("Result: %s\n", t.Style(report.StatusStyle(st), st))
}

// writeFinding writes a finding and its fix; quiet keeps warnings and
// errors, without the fix.
func writeFinding(t *report.Term, fd finding.Finding, quiet bool) {
	if quiet && fd.Severity < finding.Warning {
		return
	}
	t.Printf("  %s %s: %s\n", t.Style(report.SeverityStyle(fd.Severity), fd.Severity.String()), fd.Code, fd.Message)
	if fd.Fix != "" && !quiet {
		t.Printf("    fix: %s\n", fd.Fix)
	}
}

// abbreviate shortens a long record for the table, cutting between
// characters; -v shows it whole.
func abbreviate(v string, whole bool) string {
	if whole || len(v) <= 100 {
		return v
	}
	head, tail := 60, len(v)-20
	for head > 0 && !utf8.RuneStart(v[head]) {
		head--
	}
	for tail < len(v) && !utf8.RuneStart(v[tail]) {
		tail++
	}
	return v[:head] + "..." + v[tail:] + fmt.Sprintf(" (%d octets)", len(v))
}
