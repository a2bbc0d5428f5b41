package message

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
	"github.com/penguinmails/emailauth/pkg/msgauth"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// VerifyOptions are the verify command's inputs.
type VerifyOptions struct {
	Inputs        []string // files, directories, mboxes; "-" is stdin
	AuthResults   string   // authserv-id for an Authentication-Results header
	RequireDomain string
	AllowSHA1     bool
	MinRSABits    int
	At            time.Time // evaluate x= at this time; now when zero
	// Concurrency is how many messages are verified at once.
	Concurrency int
	// Conn is the SMTP connection (--ip, --helo, --mail-from): with it,
	// SPF and DMARC are evaluated too.
	Conn *msgauth.Connection
	// ARCChain (--arc-chain) writes arc.chain, the sealers, in the arc=
	// resinfo of the Authentication-Results header.
	ARCChain bool
	// TrustedSealers (--trusted-sealer) are the ARC sealers whose recorded
	// results are honoured: the trusted-sealer view.
	TrustedSealers []string
	// Bulk (--bulk-sender) checks the bulk-sender requirements of the
	// large mailbox providers; Transactional exempts the message from the
	// unsubscribe rule; TrustedAuthServIDs are the receiving hosts whose
	// Authentication-Results the sender did not write.
	Bulk               bool
	Transactional      bool
	TrustedAuthServIDs []string
}

// resultError is the result of an input that is not a readable message:
// bad input, beside the verdicts of pkg/msgauth.
const resultError = "error"

// MessageReport is the verification of one message: the JSON contract of
// "verify -o json".
type MessageReport struct {
	Source string `json:"source"`
	// Result is the message's verdict (msgauth.DKIMVerdict, or
	// Result.Verdict with --ip): pass (a signature passes, from
	// --require-domain when given), fail, none (no signature), temperror
	// (nothing passed and every relevant signature failed temporarily); or
	// error (not a readable message).
	Result                string                 `json:"result"`
	Reason                string                 `json:"reason,omitempty"`
	Signatures            []dkim.SignatureResult `json:"signatures"`
	AuthenticationResults string                 `json:"authentication_results,omitempty"`
	// With --ip: the From domain, SPF for the connection and DMARC.
	HeaderFrom      string            `json:"header_from,omitempty"`
	HeaderFromError string            `json:"header_from_error,omitempty"`
	SPF             *spf.Result       `json:"spf,omitempty"`
	SPFIdentity     string            `json:"spf_identity,omitempty"`
	DMARC           *dmarc.EvalResult `json:"dmarc,omitempty"`
	// ARC is the validation of the message's ARC chain (RFC 8617).
	ARC *arc.Result `json:"arc,omitempty"`
	// TrustedARC is the trusted-sealer view (--trusted-sealer).
	TrustedARC *msgauth.TrustedARC `json:"trusted_arc,omitempty"`
	// Bulk is the bulk-sender check (--bulk-sender).
	Bulk *BulkReport `json:"bulk,omitempty"`
}

// BulkReport is the bulk-sender check of a message (msgauth.BulkResult
// without the authentication, which the message report already holds).
type BulkReport struct {
	// Status is judged from the findings: pass, warn, fail or error.
	Status   finding.Status      `json:"status"`
	Findings finding.List        `json:"findings"`
	Checks   []msgauth.BulkCheck `json:"checks"`
	// ReverseDNS is the sending IP's reverse DNS (with --ip).
	ReverseDNS  *msgauth.ReverseDNS  `json:"reverse_dns,omitempty"`
	Unsubscribe *msgauth.Unsubscribe `json:"unsubscribe,omitempty"`
}

// Summary counts the messages of a run by result.
type Summary struct {
	MessageCounts
	// Bulk counts the messages by bulk-sender status (--bulk-sender).
	Bulk *BulkSummary `json:"bulk,omitempty"`
}

// MessageCounts counts the messages of a run by result (verify, arc
// verify).
type MessageCounts struct {
	Messages  int `json:"messages"`
	Pass      int `json:"pass"`
	Fail      int `json:"fail"`
	None      int `json:"none"`
	Temperror int `json:"temperror"`
	Error     int `json:"error"`
}

// count counts one message of the result given (the results of msgauth
// and arc share their names).
func (c *MessageCounts) count(result string) {
	c.Messages++
	switch result {
	case msgauth.VerdictPass:
		c.Pass++
	case msgauth.VerdictFail:
		c.Fail++
	case msgauth.VerdictNone:
		c.None++
	case msgauth.VerdictTemperror:
		c.Temperror++
	default:
		c.Error++
	}
}

// unreadableReason is the reason reported for a message that could not be
// read.
func unreadableReason(err error) string {
	if errors.Is(err, os.ErrNotExist) {
		return "no such file"
	}
	return err.Error()
}

// errNotMessageWalked replaces dkim.ErrNoSeparator's error, which quotes the
// offending line, for a file found in a directory rather than named.
var errNotMessageWalked = errors.New("not a message: its first lines are not header fields followed by an empty line (its content is not shown: the file was found in a directory; name it to see the line)")

// jobError is err as reported for j: a file found in a directory that is
// not a message is said to be one without quoting what it holds.
func jobError(j *job, err error) error {
	if j.walked && errors.Is(err, dkim.ErrNoSeparator) {
		return errNotMessageWalked
	}
	return err
}

// BulkSummary counts the messages of a --bulk-sender run by status.
type BulkSummary struct {
	Pass  int `json:"pass"`
	Warn  int `json:"warn"`
	Fail  int `json:"fail"`
	Error int `json:"error"`
}

// VerifyReport is the whole output of "verify -o json".
type VerifyReport struct {
	Messages []*MessageReport `json:"messages"`
	Summary  Summary          `json:"summary"`
}

// NewCmdVerify returns the verify command.
func NewCmdVerify(f *cmdutil.Factory) *cobra.Command { return newCmdVerify(f, nil) }

func newCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{}
	var at, ip, helo, mailFrom string
	cmd := &cobra.Command{
		Use:   "verify [MESSAGE|DIR|MBOX...]",
		Short: "Verify the DKIM signatures and ARC chain of messages; SPF and DMARC for a connection; bulk-sender rules",
		Long: `Verify every DKIM-Signature of a message (RFC 6376, RFC 8463 Ed25519), and say
for each one its d=, s=, a=, c=, its result and why:

  pass        the signature verifies
  fail        body hash mismatch, or signature mismatch (a signed header changed)
  policy      it verifies, but local policy refuses it: an RSA key under
              1024 bits, rsa-sha1 (both forbidden by RFC 8301), or l= leaving
              part of the body unsigned
  permerror   key not found, key revoked, malformed key, expired (x=),
              i= outside d=, From not signed, ...
  neutral     a signature that cannot be processed: syntax error, unknown
              version, algorithm or canonicalization
  temperror   the key could not be fetched (DNS timeout, SERVFAIL)

The message's ARC chain (RFC 8617: the sets forwarders and mailing lists
add) is validated in the same read: one "arc=" line per message (none, pass,
fail, temperror), the sealers, and for a failure the set that failed and why
('emailauth arc verify' shows every set). It does not change the verdict:
receivers use ARC only to override a DMARC failure, and only for sealers
they trust. --trusted-sealer DOMAIN (repeatable) shows that override: when
the chain passes, DMARC evaluated on the SPF and DKIM results that the
newest set sealed by DOMAIN recorded (its ARC-Authentication-Results), and,
with --ip, whether a receiver trusting DOMAIN would deliver a message that
DMARC fails (override). The exit code stays the message's own verdict.

Keys are fetched through the resolver, so --zone and --offline work; a batch
shares one key cache. Several files, directories (walked) or mbox files can
be given; their messages are verified concurrently (-j), one line per
signature, then a summary line. With no argument, or "-", the message is
read from stdin. Bare-LF messages are read as CRLF. Everything taken from a
message (d=, s=, the From domain, reasons quoting them) is shown escaped.

With --ip IP --helo NAME [--mail-from ADDR], verify also evaluates SPF for
that SMTP connection (the HELO identity when --mail-from is empty, the null
reverse-path), takes the domain of the message's From field, evaluates DMARC
(RFC 9989, with what an RFC 7489 receiver would do) and, with --auth-results,
prints one Authentication-Results header with spf=, dkim=, dmarc= and arc=
(--arc-chain adds arc.chain, the sealers' domains).

--bulk-sender checks a test send against what Gmail, Yahoo and Outlook.com
require of senders of more than 5,000 messages a day (docs/bulk-sender.md):
SPF and DKIM pass, DMARC published and aligned, DKIM keys of 1024 bits at
least, forward-confirmed reverse DNS for --ip, RFC 8058 one-click
unsubscribe signed by DKIM, a valid Message-ID and Date, no
Authentication-Results written by the sender (--trusted-authserv-id names
the receiving hosts whose fields are not the sender's, such as the seed
inbox's). Each requirement is printed with its status and findings; without
--ip, SPF and reverse DNS are not checked (a warning). --transactional
exempts a receipt or a password reset from the unsubscribe rule. The exit
code is then the bulk-sender status: 0 pass (warnings allowed), 1 a
requirement fails, 3 one could not be checked (a DNS timeout).

A message passes when at least one signature passes, or, with
--require-domain D, when a signature with d=D passes. It is temperror when
every signature that counts failed temporarily. With --ip, DMARC decides: a
message fails when DMARC fails (and passes when it passes; when the From
domain publishes no DMARC record, the DKIM verdict stands).

-q prints one line per message (its verdict; with --bulk-sender, its
bulk-sender status and the findings that are errors or warnings) and the
Authentication-Results header; -o json gives every detail.

Exit 0 when every message passes, 1 when one fails (or is not signed), 2 when
one is not a readable message, 3 when the only problem was temporary.`,
		Example: `  emailauth verify signed.eml
  emailauth verify --auth-results mx.example.net signed.eml
  emailauth verify --require-domain example.com -o json signed.eml
  emailauth verify --offline --zone example.com.zone -j 8 outbox/ archive.mbox
  emailauth verify --ip 198.51.100.7 --helo out.example.net --mail-from bounce@example.com --auth-results mx.example.org msg.eml
  emailauth verify --trusted-sealer lists.example.org --auth-results mx.example.org --arc-chain forwarded.eml
  emailauth verify --bulk-sender --ip 198.51.100.7 --helo out.example.net --mail-from bounce@example.com campaign-test.eml
  cat signed.eml | emailauth verify -q -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if len(opts.Inputs) == 0 {
				opts.Inputs = []string{"-"}
			}
			if opts.RequireDomain != "" {
				d, err := dns.NormalizeName(opts.RequireDomain)
				if err != nil {
					return cmdutil.BadInput("--require-domain", err)
				}
				opts.RequireDomain = d
			}
			if at != "" {
				t, err := parseTime(at)
				if err != nil {
					return cmdutil.BadInput("--time", err)
				}
				opts.At = t
			}
			if ip != "" {
				addr, err := netip.ParseAddr(ip)
				if err != nil {
					return cmdutil.BadInputHint("--ip", fmt.Errorf("%q is not an IP address", ip), "give the connecting client's IPv4 or IPv6 address, such as 192.0.2.7")
				}
				if helo == "" {
					return cmdutil.FlagErrorf("--ip needs --helo: the name the client gave in EHLO/HELO")
				}
				if err := dns.CheckName(helo); err != nil {
					return cmdutil.BadInput("--helo", err)
				}
				opts.Conn = &msgauth.Connection{IP: addr.Unmap(), HELO: helo, MailFrom: mailFrom}
			} else if helo != "" || cmd.Flags().Changed("mail-from") {
				return cmdutil.FlagErrorf("--helo and --mail-from describe an SMTP connection: give its client address with --ip too")
			}
			for i, d := range opts.TrustedSealers {
				n, err := dns.NormalizeName(d)
				if err != nil {
					return cmdutil.BadInputHint("--trusted-sealer", err, "give the d= domain of the sealer's ARC-Seal, such as lists.example.org")
				}
				opts.TrustedSealers[i] = n
			}
			if !opts.Bulk && (opts.Transactional || len(opts.TrustedAuthServIDs) > 0) {
				return cmdutil.FlagErrorf("--transactional and --trusted-authserv-id tune --bulk-sender: give it too")
			}
			if opts.MinRSABits < 512 {
				return cmdutil.FlagErrorf("--min-rsa-bits %d: at least 512 (RFC 8301 says 1024)", opts.MinRSABits)
			}
			if opts.Concurrency < 1 {
				return cmdutil.FlagErrorf("invalid --concurrency %d: at least 1", opts.Concurrency)
			}
			if runF != nil {
				return runF(opts)
			}
			return runVerify(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.AuthResults, "auth-results", "", "print an Authentication-Results header with this authserv-id (`HOST`)")
	fl.StringVar(&opts.RequireDomain, "require-domain", "", "pass only when a signature from this d= `DOMAIN` passes")
	fl.BoolVar(&opts.AllowSHA1, "allow-sha1", false, "accept rsa-sha1 signatures (RFC 8301 forbids them; for old archives)")
	fl.IntVar(&opts.MinRSABits, "min-rsa-bits", 1024, "smallest RSA key trusted; smaller keys give policy")
	fl.StringVar(&at, "time", "", "check expiration (x=) as of this `TIME` (Unix seconds or RFC 3339), for archived messages")
	fl.IntVarP(&opts.Concurrency, "concurrency", "j", 4*runtime.GOMAXPROCS(0), "messages verified at once")
	cmdutil.DeprecatedAlias(f.IO, fl, "jobs", "concurrency")
	fl.StringVar(&ip, "ip", "", "the SMTP client's `address`: evaluate SPF and DMARC too")
	fl.StringVar(&helo, "helo", "", "the `name` the client gave in EHLO/HELO (with --ip)")
	fl.StringVar(&mailFrom, "mail-from", "", "the MAIL FROM `address` (with --ip); empty: the null reverse-path")
	fl.BoolVar(&opts.ARCChain, "arc-chain", false, "write arc.chain (the ARC sealers, oldest first) in the Authentication-Results arc= result")
	fl.StringArrayVar(&opts.TrustedSealers, "trusted-sealer", nil, "an ARC sealer (ARC-Seal d= `DOMAIN`) whose recorded results a receiver honours: show what DMARC concludes on them (repeatable)")
	fl.BoolVar(&opts.Bulk, "bulk-sender", false, "check the bulk-sender requirements of Gmail, Yahoo and Outlook.com (docs/bulk-sender.md)")
	fl.BoolVar(&opts.Transactional, "transactional", false, "with --bulk-sender: a transactional message, exempt from the unsubscribe rule")
	fl.StringArrayVar(&opts.TrustedAuthServIDs, "trusted-authserv-id", nil, "with --bulk-sender: an Authentication-Results authserv-id (`HOST`) the sender did not write, such as the seed inbox's receiving host (repeatable)")
	cmdutil.AddOutputFlag(cmd, "table", "json")
	return cmd
}

func runVerify(f *cmdutil.Factory, opts *VerifyOptions) error {
	res, err := f.Resolver()
	if err != nil {
		return err
	}
	now := f.Now
	if !opts.At.IsZero() {
		now = func() time.Time { return opts.At }
	}
	v := &verifiers{
		dkim: dkim.NewVerifier(res, dkim.VerifyOptions{Now: now, AllowSHA1: opts.AllowSHA1, MinRSABits: opts.MinRSABits}),
		arc:  arc.NewValidator(res, arc.ValidateOptions{Now: now, MinRSABits: opts.MinRSABits}),
		res:  res,
	}

	reports, firstErr := eachMessage(opts.Inputs, f.IO.In, opts.Concurrency, func(j *job) (*MessageReport, error) {
		return verifyOne(f, v, opts, j)
	})

	if len(reports) == 1 && reports[0].Result == resultError && firstErr != nil {
		return firstErr
	}
	if len(reports) == 0 {
		return cmdutil.BadInputHint("MESSAGE", errors.New("no messages found"), "give message files, directories holding them, or mbox files")
	}
	rep := &VerifyReport{Messages: reports}
	if opts.Bulk {
		rep.Summary.Bulk = &BulkSummary{}
	}
	var tally finding.Tally
	for _, m := range reports {
		rep.Summary.count(m.Result)
		switch {
		case m.Result == resultError:
			tally.AddInvalid()
		case m.Bulk != nil:
			// With --bulk-sender, the requirements decide (the
			// authentication is one of them).
			tally.Add(m.Bulk.Status)
			rep.Summary.Bulk.add(m.Bulk.Status)
		default:
			tally.Add(msgauth.Verdict{Result: m.Result}.Status())
		}
	}
	if f.Global != nil && f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, rep); err != nil {
			return err
		}
	} else {
		writeVerifyTable(f.IO.Term(), rep, f.IO.Quiet)
	}
	return cmdutil.ExitFor(tally, finding.Error)
}

// verifiers are what every message of a run is verified with.
type verifiers struct {
	dkim *dkim.Verifier
	arc  *arc.Validator
	res  dns.Resolver
}

func (b *BulkSummary) add(s finding.Status) {
	switch s {
	case finding.StatusFail:
		b.Fail++
	case finding.StatusError:
		b.Error++
	case finding.StatusWarn:
		b.Warn++
	default:
		b.Pass++
	}
}

// verifyOne verifies one message, reading it once: DKIM and ARC always,
// SPF and DMARC with a connection, the bulk-sender requirements when
// asked. The error is the bad-input error for a message that could not be
// read, for when it is the only input.
func verifyOne(f *cmdutil.Factory, v *verifiers, opts *VerifyOptions, j *job) (*MessageReport, error) {
	rep := &MessageReport{Source: j.name, Signatures: []dkim.SignatureResult{}}
	fail := func(err error) (*MessageReport, error) {
		err = jobError(j, err)
		rep.Result, rep.Reason = resultError, unreadableReason(err)
		return rep, messageError(j.name, err)
	}
	if j.err != nil {
		return fail(j.err)
	}
	r, err := j.open()
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	mopts := msgauth.Options{
		AuthServID:     opts.AuthResults,
		SPF:            spf.Options{Receiver: opts.AuthResults, Now: f.Now},
		ARC:            v.arc,
		ARCChain:       opts.ARCChain,
		TrustedSealers: opts.TrustedSealers,
	}
	var m *msgauth.Result
	switch {
	case opts.Bulk:
		b, err := msgauth.CheckBulk(f.Ctx(), r, v.res, v.dkim, opts.Conn, msgauth.BulkOptions{
			Options: mopts, Transactional: opts.Transactional, TrustedAuthServIDs: opts.TrustedAuthServIDs,
		})
		if err != nil {
			return fail(err)
		}
		m = b.Authentication
		rep.Bulk = &BulkReport{Status: b.Status, Findings: b.Findings, Checks: b.Checks, ReverseDNS: b.ReverseDNS, Unsubscribe: b.Unsubscribe}
	case opts.Conn != nil:
		m, err = msgauth.Authenticate(f.Ctx(), r, v.res, v.dkim, opts.Conn, mopts)
	default:
		m, err = msgauth.VerifyMessage(f.Ctx(), r, v.res, v.dkim, mopts)
	}
	if err != nil {
		return fail(err)
	}
	rep.Signatures = m.DKIM
	rep.AuthenticationResults = m.AuthenticationResults
	rep.ARC, rep.TrustedARC = m.ARC, m.TrustedARC
	var verdict msgauth.Verdict
	if opts.Conn != nil || opts.Bulk {
		// DMARC was evaluated: it decides.
		rep.HeaderFrom, rep.HeaderFromError = m.FromDomain, m.FromError
		rep.SPF, rep.SPFIdentity, rep.DMARC = m.SPF, m.SPFIdentity, m.DMARC
		verdict = m.Verdict(opts.RequireDomain)
	} else {
		verdict = msgauth.DKIMVerdict(m.DKIM, opts.RequireDomain)
	}
	rep.Result, rep.Reason = verdict.Result, verdict.Reason
	return rep, nil
}

// resultStyle colours a message's verdict or a signature's result.
func resultStyle(result string) report.Style {
	switch result {
	case dkim.Pass:
		return report.StylePass
	case dkim.Temperror:
		return report.StyleError
	case dkim.Policy, dkim.Neutral:
		return report.StyleWarn
	case resultError:
		return report.StyleFail
	}
	return report.StyleFail // fail, none, permerror
}

// writeVerifyTable renders the verification for people: per message, one
// line per signature, the SPF and DMARC lines with --ip, the ARC chain and
// the trusted-sealer view, the verdict when it does not pass, the
// Authentication-Results header when asked, the bulk-sender requirements
// when asked, and a summary for a batch. With quiet, one verdict line per
// message and the header (and the bulk-sender errors and warnings).
// Everything from the messages goes through t, which escapes it.
func writeVerifyTable(t *report.Term, rep *VerifyReport, quiet bool) {
	var tb table
	for _, m := range rep.Messages {
		addMessageRows(&tb, m, quiet)
		if m.Bulk != nil {
			// Each message's requirements under its own lines.
			tb.write(t)
			tb = table{}
			writeBulk(t, m, quiet)
		}
	}
	tb.write(t)
	if len(rep.Messages) > 1 && !quiet {
		s := rep.Summary
		t.Printf("%d messages: %d pass, %d fail, %d none, %d temperror, %d error\n", s.Messages, s.Pass, s.Fail, s.None, s.Temperror, s.Error)
		if b := s.Bulk; b != nil {
			t.Printf("bulk-sender requirements: %d pass, %d warn, %d fail, %d error\n", b.Pass, b.Warn, b.Fail, b.Error)
		}
	}
}

// addMessageRows adds the rows of one message.
func addMessageRows(tb *table, m *MessageReport, quiet bool) {
	res := report.Styles(resultStyle(m.Result), m.Result)
	switch {
	case quiet && m.Bulk != nil:
		row := []report.Cell{report.Text(m.Source), res, report.Styles(report.StatusStyle(string(m.Bulk.Status)), "bulk-sender="+string(m.Bulk.Status))}
		if m.Reason != "" {
			row = append(row, report.Text(m.Reason))
		}
		tb.row(row...)
	case quiet:
		if m.Result == msgauth.VerdictPass {
			tb.row(report.Text(m.Source), res)
		} else {
			tb.row(report.Text(m.Source), res, report.Text(m.Reason))
		}
	case len(m.Signatures) == 0:
		tb.row(report.Text(m.Source), res, report.Text(m.Reason))
	}
	if !quiet {
		for _, s := range m.Signatures {
			why := s.Reason
			if s.Result == dkim.Pass {
				why = fmt.Sprintf("%d-bit %s key", s.KeyBits, s.KeyType)
				if s.Reason != "" {
					why += "; " + s.Reason
				}
			}
			tb.row(report.Text(m.Source), report.Styles(resultStyle(s.Result), s.Result), report.Text("d="+s.Domain), report.Text("s="+s.Selector),
				report.Text("a="+s.Algorithm), report.Text("c="+s.Canonicalization), report.Text(why))
		}
		if len(m.Signatures) > 0 && m.Result != msgauth.VerdictPass && m.Reason != "" {
			tb.row(report.Text(m.Source), res, report.Text(m.Reason))
		}
		if m.SPF != nil {
			tb.row(report.Text(m.Source), report.Styles(resultStyle(string(m.SPF.Result)), "spf="+string(m.SPF.Result)),
				report.Text(m.SPFIdentity+"="+m.SPF.Domain), report.Text(spfWhy(m.SPF)))
		}
		if m.DMARC != nil {
			tb.row(report.Text(m.Source), report.Styles(resultStyle(m.DMARC.Result), "dmarc="+m.DMARC.Result),
				report.Text("header.from="+m.DMARC.FromDomain), report.Text(dmarcWhy(m.DMARC)))
		} else if m.HeaderFromError != "" {
			tb.row(report.Text(m.Source), report.Styles(report.StyleFail, "dmarc=none"), report.Text(""), report.Text(m.HeaderFromError))
		}
		if m.ARC != nil {
			tb.row(report.Text(m.Source), report.Styles(arcStyle(m.ARC.Result), "arc="+m.ARC.Result), report.Text(arcSets(m.ARC)), report.Text(arcWhy(m.ARC)))
		}
		if tr := m.TrustedARC; tr != nil {
			switch {
			case tr.DMARC != nil:
				tb.row(report.Text(m.Source), report.Styles(resultStyle(tr.DMARC.Result), "dmarc="+tr.DMARC.Result),
					report.Text(fmt.Sprintf("via ARC i=%d %s", tr.Instance, tr.Sealer)), report.Text(trustedWhy(tr)))
			default:
				tb.row(report.Text(m.Source), report.Styles(report.StyleWarn, "trusted=none"), report.Text(""), report.Text(tr.Reason))
			}
		}
	}
	if m.AuthenticationResults != "" {
		tb.line("Authentication-Results: " + m.AuthenticationResults)
	}
}

// arcStyle colours a chain result: none is not a problem.
func arcStyle(result string) report.Style {
	switch result {
	case arc.None:
		return report.StylePlain
	case arc.Temperror:
		return report.StyleError
	}
	return resultStyle(result)
}

// arcSets names the chain: its sets and sealers, oldest first.
func arcSets(r *arc.Result) string {
	if r.Instance == 0 {
		return ""
	}
	var ds []string
	for _, s := range r.Sets {
		d := s.Seal.Domain
		if d == "" {
			d = "?"
		}
		ds = append(ds, d)
	}
	return fmt.Sprintf("i=%d %s", r.Instance, strings.Join(ds, ">"))
}

// arcWhy says why a chain did not pass, or what a passing one says.
func arcWhy(r *arc.Result) string {
	switch r.Result {
	case arc.None:
		return "no ARC header fields"
	case arc.Pass:
		if r.OldestPass > 0 {
			return fmt.Sprintf("oldest-pass=%d: the message signatures of the sets before it no longer verify", r.OldestPass)
		}
		return "every set verifies"
	}
	return r.Reason
}

// trustedWhy explains the trusted-sealer view.
func trustedWhy(tr *msgauth.TrustedARC) string {
	parts := []string{"on the results " + tr.AuthServID + " recorded: " + tr.Results}
	if tr.Reason != "" {
		parts = append(parts, tr.Reason)
	} else if tr.DMARC.Reason != "" {
		parts = append(parts, tr.DMARC.Reason)
	}
	return strings.Join(parts, "; ")
}

// writeBulk writes a message's bulk-sender requirements: one line per
// requirement with its status and finding codes, then the findings (with
// quiet, only the errors and warnings, without fixes).
func writeBulk(t *report.Term, m *MessageReport, quiet bool) {
	b := m.Bulk
	if !quiet {
		t.Printf("%s: bulk-sender requirements: %s\n", report.SafeLine(m.Source), t.Style(report.StatusStyle(string(b.Status)), string(b.Status)))
		rows := [][]report.Cell{}
		for _, c := range b.Checks {
			var codes []string
			for _, x := range c.Findings {
				codes = append(codes, x.Code)
			}
			rows = append(rows, []report.Cell{report.Text("  " + c.ID), report.Styles(report.StatusStyle(string(c.Status)), string(c.Status)), report.Text(strings.Join(codes, ", "))})
		}
		report.Columns(t, rows, 2)
	}
	report.WriteFindings(t, b.Findings, "  ", quiet)
}

func spfWhy(r *spf.Result) string {
	switch {
	case r.Error != "":
		return r.Error
	case r.Mechanism != "":
		return "matched " + r.Mechanism
	}
	return "no mechanism matched"
}

func dmarcWhy(d *dmarc.EvalResult) string {
	var parts []string
	if d.Policy != "" {
		parts = append(parts, fmt.Sprintf("policy %s (%s at %s)", d.Policy, d.PolicySource, d.RecordDomain))
	}
	if d.Result == "fail" {
		parts = append(parts, "disposition "+string(d.Disposition))
	}
	if d.Reason != "" {
		parts = append(parts, d.Reason)
	}
	if d.ViewsDiffer && len(d.Differences) > 0 {
		parts = append(parts, "RFC 7489: "+strings.Join(d.Differences, "; "))
	}
	return strings.Join(parts, "; ")
}
