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
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/msgauth"
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
	Jobs          int
	// Conn is the SMTP connection (--ip, --helo, --mail-from): with it,
	// SPF and DMARC are evaluated too.
	Conn *msgauth.Connection
}

// Message results.
const (
	resultPass      = "pass"
	resultFail      = "fail"
	resultNone      = "none"
	resultTemperror = "temperror"
	resultError     = "error"
)

// MessageReport is the verification of one message: the JSON contract of
// "verify -o json".
type MessageReport struct {
	Source string `json:"source"`
	// Result is pass (a signature passes, from --require-domain when given),
	// fail, none (no signature), temperror (nothing passed and every
	// relevant signature failed temporarily) or error (not a readable
	// message).
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
be given; their messages are verified concurrently, one line per signature,
then a summary line. With no argument, or "-", the message is read from
stdin. Bare-LF messages are read as CRLF.

With --ip IP --helo NAME [--mail-from ADDR], verify also evaluates SPF for
that SMTP connection (the HELO identity when --mail-from is empty, the null
reverse-path), takes the domain of the message's From field, evaluates DMARC
(RFC 9989, with what an RFC 7489 receiver would do) and, with --auth-results,
prints one Authentication-Results header with spf=, dkim= and dmarc=.

A message passes when at least one signature passes, or, with
--require-domain D, when a signature with d=D passes. With --ip, DMARC
decides: a message fails when DMARC fails (and passes when it passes; when
the From domain publishes no DMARC record, the DKIM verdict stands). Exit 0 when every
message passes, 1 when one does not, 2 when one is not a readable message, 3
when the only problem was temporary.`,
		Example: `  emailauth verify signed.eml
  emailauth verify --auth-results mx.example.net signed.eml
  emailauth verify --require-domain example.com -o json signed.eml
  emailauth verify --offline --zone example.com.zone outbox/ archive.mbox
  emailauth verify --ip 198.51.100.7 --helo out.example.net --mail-from bounce@example.com --auth-results mx.example.org msg.eml
  cat signed.eml | emailauth verify -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if len(opts.Inputs) == 0 {
				opts.Inputs = []string{"-"}
			}
			if opts.RequireDomain != "" {
				if err := dns.CheckName(opts.RequireDomain); err != nil {
					return cmdutil.BadInput("--require-domain", err)
				}
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
			if opts.Jobs < 1 {
				return cmdutil.FlagErrorf("--jobs must be at least 1")
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
	fl.StringVar(&at, "time", "", "check expiration (x=) as of this time (Unix seconds or RFC 3339), for archived messages")
	fl.IntVarP(&opts.Jobs, "jobs", "j", 4*runtime.GOMAXPROCS(0), "messages verified at once")
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

	jobs := make(chan *job, opts.Jobs)
	go listInputs(opts.Inputs, f.IO.In, jobs)
	var mu sync.Mutex
	var reports []*MessageReport
	var indexes []int
	var firstErr error // the error of a lone input, reported as bad input
	var wg sync.WaitGroup
	for w := 0; w < opts.Jobs; w++ {
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
	rep := &VerifyReport{Messages: reports}
	for _, m := range reports {
		rep.Summary.Messages++
		switch m.Result {
		case resultPass:
			rep.Summary.Pass++
		case resultFail:
			rep.Summary.Fail++
		case resultNone:
			rep.Summary.None++
		case resultTemperror:
			rep.Summary.Temperror++
		default:
			rep.Summary.Error++
		}
	}
	if len(reports) == 0 {
		return cmdutil.BadInputHint("MESSAGE", errors.New("no messages found"), "give message files, directories holding them, or mbox files")
	}
	if f.Global != nil && f.Global.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, rep); err != nil {
			return err
		}
	} else {
		writeVerifyTable(f.IO.Out, rep)
	}
	s := rep.Summary
	switch {
	case s.Fail > 0 || s.None > 0:
		return cmdutil.ErrFailed
	case s.Error > 0:
		return &cmdutil.ExitError{Code: cmdutil.ExitBadInput}
	case s.Temperror > 0:
		return cmdutil.ErrIncomplete
	}
	return nil
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
	rep.Result, rep.Reason = judge(sigs, opts.RequireDomain)
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
	rep.Result, rep.Reason = judge(m.DKIM, opts.RequireDomain)
	switch d := m.DMARC; {
	case d == nil:
		rep.Result, rep.Reason = resultFail, "DMARC cannot be evaluated: "+m.FromError
	case d.Result == "pass" && opts.RequireDomain == "":
		rep.Result, rep.Reason = resultPass, ""
	case d.Result == "fail":
		rep.Result, rep.Reason = resultFail, fmt.Sprintf("DMARC fails for %s: no aligned SPF or DKIM pass (disposition %s)", d.FromDomain, d.Disposition)
	case d.Result == "temperror":
		rep.Result, rep.Reason = resultTemperror, "DMARC could not be evaluated: "+d.Reason
	}
	return rep, nil
}

// judge decides a message's result from its signatures.
func judge(sigs []dkim.SignatureResult, domain string) (string, string) {
	if len(sigs) == 0 {
		return resultNone, "the message has no DKIM-Signature"
	}
	var relevant []dkim.SignatureResult
	var passing []string
	for _, s := range sigs {
		if domain == "" || strings.EqualFold(s.Domain, domain) {
			relevant = append(relevant, s)
		}
		if s.Result == dkim.Pass {
			passing = append(passing, s.Domain)
		}
	}
	for _, s := range relevant {
		if s.Result == dkim.Pass {
			return resultPass, ""
		}
	}
	if len(relevant) == 0 {
		if len(passing) > 0 {
			return resultFail, fmt.Sprintf("no signature from %s (passing: %s)", domain, strings.Join(passing, ", "))
		}
		return resultFail, fmt.Sprintf("no signature from %s", domain)
	}
	temp := true
	for _, s := range relevant {
		if s.Result != dkim.Temperror {
			temp = false
		}
	}
	if temp {
		return resultTemperror, "no signature could be checked: the keys could not be fetched"
	}
	if domain != "" {
		if len(passing) > 0 {
			return resultFail, fmt.Sprintf("no passing signature from %s (passing: %s)", domain, strings.Join(passing, ", "))
		}
		return resultFail, fmt.Sprintf("no passing signature from %s", domain)
	}
	return resultFail, "no signature passes"
}

func writeVerifyTable(w io.Writer, rep *VerifyReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range rep.Messages {
		if len(m.Signatures) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Source, m.Result, m.Reason)
		}
		for _, s := range m.Signatures {
			why := s.Reason
			if s.Result == dkim.Pass {
				why = fmt.Sprintf("%d-bit %s key", s.KeyBits, s.KeyType)
				if s.Reason != "" {
					why += "; " + s.Reason
				}
			}
			fmt.Fprintf(tw, "%s\t%s\td=%s\ts=%s\ta=%s\tc=%s\t%s\n", m.Source, s.Result, s.Domain, s.Selector, s.Algorithm, s.Canonicalization, why)
		}
		if len(m.Signatures) > 0 && m.Result != resultPass && m.Reason != "" && (len(m.Signatures) > 1 || strings.HasPrefix(m.Reason, "no signature from") || strings.HasPrefix(m.Reason, "no passing signature from")) {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Source, m.Result, m.Reason)
		}
		if m.SPF != nil {
			fmt.Fprintf(tw, "%s\tspf=%s\t%s=%s\t%s\n", m.Source, m.SPF.Result, m.SPFIdentity, m.SPF.Domain, spfWhy(m.SPF))
		}
		if m.DMARC != nil {
			fmt.Fprintf(tw, "%s\tdmarc=%s\theader.from=%s\t%s\n", m.Source, m.DMARC.Result, m.DMARC.FromDomain, dmarcWhy(m.DMARC))
		} else if m.HeaderFromError != "" {
			fmt.Fprintf(tw, "%s\tdmarc=none\t\t%s\n", m.Source, m.HeaderFromError)
		}
		if m.AuthenticationResults != "" {
			tw.Flush()
			fmt.Fprintf(w, "Authentication-Results: %s\n", m.AuthenticationResults)
		}
	}
	tw.Flush()
	if len(rep.Messages) > 1 {
		s := rep.Summary
		fmt.Fprintf(w, "%d messages: %d pass, %d fail, %d none, %d temperror, %d error\n", s.Messages, s.Pass, s.Fail, s.None, s.Temperror, s.Error)
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
