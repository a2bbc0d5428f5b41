// Package reports holds the commands that read the reports receivers send
// about a domain's mail: "dmarc report" (every kind: DMARC aggregate,
// DMARC failure and SMTP TLS reports, with the readiness verdict) and
// "tls-rpt report" (the same reader, SMTP TLS reports only). Reading,
// analysis and verdicts are pkg/mailreport/ingest's and the report
// packages'; this package parses flags, runs the reader and renders the
// digest as a table, JSON or CSV.
package reports

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dmarc/aggregate"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/mailreport"
	"github.com/penguinmails/emailauth/pkg/mailreport/ingest"
)

// Options are the inputs of "dmarc report" and "tls-rpt report".
type Options struct {
	// Inputs are the paths given: files, directories, mbox files, Maildir
	// folders, "-" for standard input.
	Inputs []string
	// Kinds restricts the kinds of reports read (--kind); empty reads
	// every kind.
	Kinds  []ingest.Kind
	Limits mailreport.Limits
	// KeepGoing makes an input that cannot be read a warning rather than
	// bad input (exit 2), unless no report could be read at all.
	KeepGoing bool
	// ShowHeaders shows the personal data of failure reports.
	ShowHeaders bool
	// Resolve looks up the sources' reverse DNS names and the domains'
	// published DMARC records.
	Resolve bool
	// Readiness shows the readiness view; RequireReady fails a domain
	// whose verdict does not allow the next step (--fail-unless-ready).
	Readiness    bool
	RequireReady bool
	// TenantsFile maps domains to tenants (--tenants).
	TenantsFile string
	// Thresholds, SkipTesting, OmitPct and Abusive configure the
	// readiness rule (aggregate.AnalyzerOptions).
	Thresholds  aggregate.Thresholds
	SkipTesting bool
	OmitPct     bool
	Abusive     []netip.Prefix
	// FailOn is the least severity that fails a domain (--fail-on).
	FailOn finding.Severity
	// Top caps the rows per domain in the table (0: all).
	Top int
	// Command names the command in messages ("dmarc report").
	Command string
}

// Wants reports whether reports of kind k are read.
func (o *Options) Wants(k ingest.Kind) bool {
	return len(o.Kinds) == 0 || slices.Contains(o.Kinds, k)
}

var allKinds = []string{string(ingest.KindAggregate), string(ingest.KindFailure), string(ingest.KindTLS)}

// common are the flags both commands share.
type common struct {
	maxSize string
	failOn  string
}

func (c *common) add(fs *pflag.FlagSet, opts *Options) {
	fs.StringVar(&c.maxSize, "max-size", "50MB", "the most octets (a `size`: 50MB, 512KB, 1GB) read from one file, message or attachment, and the most one input may expand to once decompressed")
	fs.BoolVar(&opts.KeepGoing, "keep-going", false, "an input that cannot be read is a warning, not bad input (exit 2 only when no report could be read)")
	fs.StringVar(&opts.TenantsFile, "tenants", "", "group domains by tenant: the tenants `file` (docs/profiles.md); default: tenants: in the config file")
	fs.StringVar(&c.failOn, "fail-on", "error", "exit 1 when a domain has findings of this `severity` or worse: error or warning")
	fs.IntVar(&opts.Top, "top", 20, "the most `rows` (sources, failures, reports) the table lists per domain (0: all; JSON and CSV list every one)")
}

func (c *common) parse(opts *Options) error {
	n, err := parseSize(c.maxSize)
	if err != nil {
		return cmdutil.BadInputHint("--max-size", err, "give a size such as 50MB, 512KB or 1GB")
	}
	opts.Limits = mailreport.Limits{MaxInput: n, MaxExpanded: n}.WithDefaults()
	sev, err := finding.ParseSeverity(c.failOn)
	if err != nil || sev == finding.Info {
		return cmdutil.FlagErrorf("invalid --fail-on %q: want error or warning", c.failOn)
	}
	opts.FailOn = sev
	if opts.Top < 0 {
		return cmdutil.FlagErrorf("invalid --top %d: want 0 (all) or more", opts.Top)
	}
	return nil
}

// NewCmdDMARCReport returns "dmarc report": every kind of report, the
// DMARC analysis and the readiness verdict.
func NewCmdDMARCReport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Command: "dmarc report", Thresholds: aggregate.DefaultThresholds}
	var c common
	var kinds, abusive []string
	shares := map[string]*shareValue{
		"quarantine-share":  {&opts.Thresholds.QuarantineShare},
		"reject-share":      {&opts.Thresholds.RejectShare},
		"reject-dkim-share": {&opts.Thresholds.RejectDKIMShare},
	}
	cmd := &cobra.Command{
		Use:   "report FILE|DIR|MBOX|-...",
		Short: "Read DMARC aggregate, DMARC failure and SMTP TLS reports: sources, fixes, readiness for p=reject",
		Long: `Read the reports receivers send about a domain's mail, and say what they mean:
which sources send as each domain, what to do about each failing one, and
whether the domain can move to p=quarantine or p=reject.

Every kind is read, recognized from the content (never the name):
  aggregate  DMARC aggregate reports (rua): XML, .gz, .zip, e-mails carrying them
  failure    DMARC failure reports (ruf): ARF e-mails, and plain-text ones
  tls        SMTP TLS reports (RFC 8460): JSON, .gz, e-mails carrying them
--kind restricts the kinds read (the others are counted as skipped).

Each argument is a file, a directory (read recursively in name order), an
mbox file (read one message at a time) or a Maildir folder (cur and new);
"-" reads standard input. A report read twice (same reporter and report ID)
counts once. Input in a directory or mailbox that is no report (a README,
an ordinary message) is skipped; a file named on the command line that is
no report is bad input.

Receivers are sloppy: a report with a known quirk (an unclosed <xs:schema>
wrapper, invalid UTF-8, unescaped markup, upper-case results, a gzip with
trailing data, ...) is read, and a warning on standard error names the quirk
and the file (-q leaves it out; JSON lists every one). Strangers write
reports: every file, message and attachment is limited to --max-size
octets, and so is what it expands to; XML with a DOCTYPE is refused. An
input that cannot be read is an error naming it, and the batch goes on.

Per domain (the policy_published domain): the sources, failing first, with
their messages, DMARC passes, aligned SPF and DKIM passes, dispositions, a
class (aligned, partly-aligned, third-party, forwarder, unauthenticated,
abusive) and an action (authorize-spf, sign-dkim, treat-as-abuse,
forwarded); findings with fixes; and a readiness verdict (ready, hold,
not-ready, insufficient-data, enforced). --readiness shows the verdict in
full: the share of legitimate-looking mail passing DMARC, the sources an
enforcing policy would hurt, and the record to publish next, stepping
through p=quarantine; t=y, p=quarantine, p=reject; t=y, p=reject (t=y with
pct=0, so that RFC 7489 receivers test too). The thresholds are
emailauth's judgement and every one is a flag (docs/reports.md).

With --resolve, the sources' reverse DNS names are looked up (failing
sources first, 200 at most), and each domain's published DMARC record, so
that the record to publish next keeps its rua, ruf and other tags.

Failure reports may carry personal data (addresses, subjects, whole
headers): only their domains, source addresses and results are shown,
unless --show-headers.

Report content is shown escaped: control characters, escape sequences and
bidirectional controls are made visible in the table and CSV cells (which
never start a spreadsheet formula). -q prints the tables only (with
--readiness, one verdict line per domain).

Exit codes: 0 the reports were read and no domain failed (warnings allowed
unless --fail-on warning); 1 a domain failed: legitimate mail failing under
an enforcing policy, TLS failures to fix, or with --fail-unless-ready a
domain not ready for its next step; 2 an input could not be read, or none
holds a report (unless a domain failed; with --keep-going only when no
report could be read); 3 a lookup --resolve asked for could not be
answered, or the run was interrupted, and nothing failed.`,
		Example: `  # everything in the report mailbox: aggregate, failure and TLS reports
  emailauth dmarc report ~/Maildir/.dmarc

  # can the domains move to the next policy step? (exit 1 if one cannot)
  emailauth dmarc report --readiness --fail-unless-ready reports/

  # per tenant, with reverse DNS names of the sources
  emailauth dmarc report --tenants tenants.yaml --resolve reports/

  # one row per source, for a spreadsheet
  emailauth dmarc report --kind aggregate -o csv reports/*.xml.gz > sources.csv

  # failure reports with the original headers (personal data)
  emailauth dmarc report --kind failure --show-headers ruf.mbox`,
		Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if err := c.parse(opts); err != nil {
				return err
			}
			for _, k := range kinds {
				k = strings.ToLower(strings.TrimSpace(k))
				if !slices.Contains(allKinds, k) {
					return cmdutil.FlagErrorf("invalid --kind %q: want %s", k, strings.Join(allKinds, ", "))
				}
			}
			// In their canonical order, whatever the order given.
			for _, k := range allKinds {
				if slices.ContainsFunc(kinds, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), k) }) {
					opts.Kinds = append(opts.Kinds, ingest.Kind(k))
				}
			}
			if opts.RequireReady {
				opts.Readiness = true
			}
			if opts.Readiness && !opts.Wants(ingest.KindAggregate) {
				return cmdutil.FlagErrorf("--readiness is read from aggregate reports: add aggregate to --kind")
			}
			if opts.ShowHeaders && !opts.Wants(ingest.KindFailure) {
				return cmdutil.FlagErrorf("--show-headers shows the headers of failure reports: add failure to --kind")
			}
			for _, a := range abusive {
				p, err := parsePrefix(a)
				if err != nil {
					return cmdutil.BadInputHint("--abusive", err, "give an IP address or a network such as 203.0.113.0/24 or 2001:db8::/32")
				}
				opts.Abusive = append(opts.Abusive, p)
			}
			t := opts.Thresholds
			switch {
			case t.MinMessages < 1:
				return cmdutil.FlagErrorf("invalid --min-messages %d: want 1 or more", t.MinMessages)
			case t.MinDays <= 0 || t.StepDays <= 0 || t.TestingDays <= 0:
				return cmdutil.FlagErrorf("--min-days, --step-days and --testing-days want a positive number of days")
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, "table", "json", "csv")
	fs := cmd.Flags()
	fs.StringSliceVar(&kinds, "kind", nil, "read only these `kinds` of report (comma-separated): aggregate, failure, tls")
	fs.BoolVar(&opts.Readiness, "readiness", false, "show each domain's readiness verdict in full: the share passing, the sources that would be hurt, the record to publish next")
	fs.BoolVar(&opts.RequireReady, "fail-unless-ready", false, "exit 1 unless every domain is ready for its next policy step (or at p=reject); implies --readiness")
	fs.BoolVar(&opts.Resolve, "resolve", false, "look up the sources' reverse DNS names, and the domains' DMARC records for the record to publish next")
	fs.BoolVar(&opts.ShowHeaders, "show-headers", false, "show the personal data of failure reports: addresses and the original header fields")
	c.add(fs, opts)
	fs.Int64Var(&opts.Thresholds.MinMessages, "min-messages", aggregate.DefaultThresholds.MinMessages, "readiness: the fewest legitimate-looking `messages` to judge at all")
	fs.Float64Var(&opts.Thresholds.MinDays, "min-days", aggregate.DefaultThresholds.MinDays, "readiness: the fewest `days` of reports to judge at all")
	fs.Var(shares["quarantine-share"], "quarantine-share", "readiness: the `share` of legitimate-looking mail that must pass DMARC for a p=quarantine step (98% or 0.98)")
	fs.Var(shares["reject-share"], "reject-share", "readiness: the `share` that must pass DMARC for a p=reject step")
	fs.Var(shares["reject-dkim-share"], "reject-dkim-share", "readiness: the `share` that must pass with aligned DKIM for a p=reject step (RFC 9989 §7.4: not SPF alone)")
	fs.Float64Var(&opts.Thresholds.StepDays, "step-days", aggregate.DefaultThresholds.StepDays, "readiness: the `days` at p=none, then at p=quarantine, before the next step (RFC 9989 §7.4: a month)")
	fs.Float64Var(&opts.Thresholds.TestingDays, "testing-days", aggregate.DefaultThresholds.TestingDays, "readiness: the `days` at a t=y step before the next")
	fs.BoolVar(&opts.SkipTesting, "skip-testing", false, "readiness: leave out the t=y steps (none, quarantine, reject)")
	fs.BoolVar(&opts.OmitPct, "omit-pct", false, "readiness: write t=y steps without pct=0 (RFC 7489 receivers then apply the policy in full)")
	fs.StringArrayVar(&abusive, "abusive", nil, "a `network` known to be abuse (repeatable): its mail is left out of the readiness figures")
	_ = cmd.RegisterFlagCompletionFunc("kind", cmdutil.CompleteList(allKinds...))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cmdutil.CompleteValues("error", "warning"))
	return cmd
}

// NewCmdTLSReport returns "tls-rpt report": SMTP TLS reports only.
func NewCmdTLSReport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Command: "tls-rpt report", Kinds: []ingest.Kind{ingest.KindTLS}, Thresholds: aggregate.DefaultThresholds}
	var c common
	cmd := &cobra.Command{
		Use:   "report FILE|DIR|MBOX|-...",
		Short: "Read SMTP TLS reports: sessions per policy, each failure, and what to fix",
		Long: `Read the SMTP TLS reports (RFC 8460) sending servers post to the rua of a
domain's _smtp._tls record, and say what they mean: per policy domain and
policy type (sts, tlsa, no-policy-found) the successful and failed
sessions; each failure (result type, receiving MX and IP, sending MTAs,
reporters); and a finding per failure saying what to fix: an expired or
mismatched certificate, STARTTLS not offered, an MX the MTA-STS policy does
not list. While the MTA-STS policy is in testing mode, failures are
warnings: senders delivered the mail all the same.

It is "dmarc report --kind tls": the same reader, for a mailbox that holds
TLS reports. Each argument is a file (JSON, .gz, an e-mail carrying one), a
directory, an mbox file or a Maildir folder; "-" reads standard input. A
report read twice (same organization and report ID) counts once; input in a
directory or mailbox that is not a TLS report is skipped. Every input is
limited to --max-size octets, and so is what it expands to. An input that
cannot be read is an error naming it, and the batch goes on.

Report content is shown escaped. -q prints the tables only.

Exit codes: 0 no domain failed (warnings allowed unless --fail-on warning);
1 a domain has TLS failures to fix; 2 an input could not be read, or none
holds a TLS report (unless a domain failed; with --keep-going only when no
report could be read).`,
		Example: `  emailauth tls-rpt report ~/Maildir/.tlsrpt
  emailauth tls-rpt report -o json google.com!example.com!1700000000!1700086399.json.gz
  emailauth tls-rpt report --tenants tenants.yaml -o csv reports/ > tls.csv`,
		Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if err := c.parse(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(f, opts)
		},
	}
	cmdutil.AddOutputFlag(cmd, "table", "json", "csv")
	c.add(cmd.Flags(), opts)
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cmdutil.CompleteValues("error", "warning"))
	return cmd
}

// shareValue is a share flag: "98%" or "0.98".
type shareValue struct{ p *float64 }

func (v *shareValue) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return strconv.FormatFloat(*v.p*100, 'f', -1, 64) + "%"
}

func (v *shareValue) Set(s string) error {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	n, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(t, "%")), 64)
	if err == nil && pct {
		n /= 100
	}
	if err != nil || n <= 0 || n > 1 {
		return fmt.Errorf("%q is not a share: give a percentage (98%%) or a fraction (0.98) above 0 and at most 100%%", s)
	}
	*v.p = n
	return nil
}

func (v *shareValue) Type() string { return "share" }

// parsePrefix reads a network or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a network", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a network", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseSize reads "50MB", "512KiB", "1g" or a count of octets.
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size between 1 byte and 1 TB", s)
	}
	return n * mult, nil
}

// NewCmdTLSRPT returns the "tls-rpt" command group.
func NewCmdTLSRPT(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls-rpt",
		Short: "Read SMTP TLS reports (RFC 8460)",
		Long: `Work with SMTP TLS reporting (RFC 8460).

  report   read the TLS reports sending servers post to the domain's rua:
           sessions per policy, each failure, and what to fix

The domain's _smtp._tls record itself is checked by "emailauth check
--checks tls-rpt DOMAIN".`,
	}
	cmd.AddCommand(NewCmdTLSReport(f, nil))
	return cmd
}
