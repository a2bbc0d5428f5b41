package message

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
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
}

// Summary counts the messages of a run by result.
type Summary struct {
	Messages  int `json:"messages"`
	Pass      int `json:"pass"`
	Fail      int `json:"fail"`
	None      int `json:"none"`
	Temperror int `json:"temperror"`
	Error     int `json:"error"`
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
		Short: "Verify the DKIM signatures of messages, and SPF and DMARC for a connection",
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
prints one Authentication-Results header with spf=, dkim= and dmarc=.

A message passes when at least one signature passes, or, with
--require-domain D, when a signature with d=D passes. It is temperror when
every signature that counts failed temporarily. With --ip, DMARC decides: a
message fails when DMARC fails (and passes when it passes; when the From
domain publishes no DMARC record, the DKIM verdict stands).

-q prints one line per message (its verdict) and the Authentication-Results
header; -o json gives every detail.

Exit 0 when every message passes, 1 when one fails (or is not signed), 2 when
one is not a readable message, 3 when the only problem was temporary.`,
		Example: `  emailauth verify signed.eml
  emailauth verify --auth-results mx.example.net signed.eml
  emailauth verify --require-domain example.com -o json signed.eml
  emailauth verify --offline --zone example.com.zone -j 8 outbox/ archive.mbox
  emailauth verify --ip 198.51.100.7 --helo out.example.net --mail-from bounce@example.com --auth-results mx.example.org msg.eml
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
	v := dkim.NewVerifier(res, dkim.VerifyOptions{Now: now, AllowSHA1: opts.AllowSHA1, MinRSABits: opts.MinRSABits})

	workers := max(opts.Concurrency, 1)
	jobs := make(chan *job, workers)
	go listInputs(opts.Inputs, f.IO.In, jobs)
	var mu sync.Mutex
	var reports []*MessageReport
	var indexes []int
	var firstErr error // the error of a lone input, reported as bad input
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				rep, err := verifyOne(f, v, opts, j)
				mu.Lock()
				reports = append(reports, rep)
				indexes = append(indexes, j.index)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Sort(byIndex{reports, indexes})

	if len(reports) == 1 && reports[0].Result == resultError && firstErr != nil {
		return firstErr
	}
	if len(reports) == 0 {
		return cmdutil.BadInputHint("MESSAGE", errors.New("no messages found"), "give message files, directories holding them, or mbox files")
	}
	rep := &VerifyReport{Messages: reports}
	var tally finding.Tally
	for _, m := range reports {
		rep.Summary.Messages++
		switch m.Result {
		case msgauth.VerdictPass:
			rep.Summary.Pass++
		case msgauth.VerdictFail:
			rep.Summary.Fail++
		case msgauth.VerdictNone:
			rep.Summary.None++
		case msgauth.VerdictTemperror:
			rep.Summary.Temperror++
		default:
			rep.Summary.Error++
		}
		if m.Result == resultError {
			tally.AddInvalid()
		} else {
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

type byIndex struct {
	r []*MessageReport
	i []int
}

func (b byIndex) Len() int           { return len(b.r) }
func (b byIndex) Less(x, y int) bool { return b.i[x] < b.i[y] }
func (b byIndex) Swap(x, y int) {
	b.r[x], b.r[y] = b.r[y], b.r[x]
	b.i[x], b.i[y] = b.i[y], b.i[x]
}

// verifyOne verifies one message. The error is the bad-input error for a
// message that could not be read, for when it is the only input.
func verifyOne(f *cmdutil.Factory, v *dkim.Verifier, opts *VerifyOptions, j *job) (*MessageReport, error) {
	rep := &MessageReport{Source: j.name, Signatures: []dkim.SignatureResult{}}
	fail := func(err error) (*MessageReport, error) {
		rep.Result = resultError
		rep.Reason = err.Error()
		if errors.Is(err, os.ErrNotExist) {
			rep.Reason = "no such file"
		}
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
	if opts.Conn != nil {
		return authenticate(f, v, opts, r, rep, fail)
	}
	sigs, err := v.Verify(f.Ctx(), r)
	if err != nil {
		return fail(err)
	}
	rep.Signatures = sigs
	if opts.AuthResults != "" {
		rep.AuthenticationResults = dkim.AuthenticationResults(opts.AuthResults, sigs)
	}
	verdict := msgauth.DKIMVerdict(sigs, opts.RequireDomain)
	rep.Result, rep.Reason = verdict.Result, verdict.Reason
	return rep, nil
}

// authenticate verifies one message received over opts.Conn: DKIM, SPF and
// DMARC; DMARC decides the result when the From domain has a policy.
func authenticate(f *cmdutil.Factory, v *dkim.Verifier, opts *VerifyOptions, r io.Reader, rep *MessageReport, fail func(error) (*MessageReport, error)) (*MessageReport, error) {
	res, err := f.Resolver()
	if err != nil {
		return fail(err)
	}
	m, err := msgauth.Authenticate(f.Ctx(), r, res, v, opts.Conn, msgauth.Options{
		AuthServID: opts.AuthResults,
		SPF:        spf.Options{Receiver: opts.AuthResults, Now: f.Now},
	})
	if err != nil {
		return fail(err)
	}
	rep.Signatures = m.DKIM
	rep.AuthenticationResults = m.AuthenticationResults
	rep.HeaderFrom, rep.HeaderFromError = m.FromDomain, m.FromError
	rep.SPF, rep.SPFIdentity, rep.DMARC = m.SPF, m.SPFIdentity, m.DMARC
	verdict := m.Verdict(opts.RequireDomain)
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
// line per signature, the SPF and DMARC lines with --ip, the verdict when
// it does not pass, the Authentication-Results header when asked, and a
// summary for a batch. With quiet, one verdict line per message and the
// header. Everything from the messages goes through t, which escapes it.
func writeVerifyTable(t *report.Term, rep *VerifyReport, quiet bool) {
	var tb table
	for _, m := range rep.Messages {
		res := cell{m.Result, resultStyle(m.Result)}
		switch {
		case quiet:
			if m.Result == msgauth.VerdictPass {
				tb.row(plain(m.Source), res)
			} else {
				tb.row(plain(m.Source), res, plain(m.Reason))
			}
		case len(m.Signatures) == 0:
			tb.row(plain(m.Source), res, plain(m.Reason))
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
				tb.row(plain(m.Source), cell{s.Result, resultStyle(s.Result)}, plain("d="+s.Domain), plain("s="+s.Selector),
					plain("a="+s.Algorithm), plain("c="+s.Canonicalization), plain(why))
			}
			if len(m.Signatures) > 0 && m.Result != msgauth.VerdictPass && m.Reason != "" {
				tb.row(plain(m.Source), res, plain(m.Reason))
			}
			if m.SPF != nil {
				tb.row(plain(m.Source), cell{"spf=" + string(m.SPF.Result), resultStyle(string(m.SPF.Result))},
					plain(m.SPFIdentity+"="+m.SPF.Domain), plain(spfWhy(m.SPF)))
			}
			if m.DMARC != nil {
				tb.row(plain(m.Source), cell{"dmarc=" + m.DMARC.Result, resultStyle(m.DMARC.Result)},
					plain("header.from="+m.DMARC.FromDomain), plain(dmarcWhy(m.DMARC)))
			} else if m.HeaderFromError != "" {
				tb.row(plain(m.Source), cell{"dmarc=none", report.StyleFail}, plain(""), plain(m.HeaderFromError))
			}
		}
		if m.AuthenticationResults != "" {
			tb.line("Authentication-Results: " + m.AuthenticationResults)
		}
	}
	tb.write(t)
	if len(rep.Messages) > 1 && !quiet {
		s := rep.Summary
		t.Printf("%d messages: %d pass, %d fail, %d none, %d temperror, %d error\n", s.Messages, s.Pass, s.Fail, s.None, s.Temperror, s.Error)
	}
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
