// Package msgauth authenticates one received message as a receiving MTA
// would: DKIM signatures, SPF for the SMTP connection, DMARC for the
// RFC5322.From domain with both, and an Authentication-Results header field
// (RFC 8601) that records them.
package msgauth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"strings"
	"sync"

	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/spf"
)

// MaxHeaderSize bounds the header block read to find the From field.
const MaxHeaderSize = 1 << 20

// Connection is what the receiver knew of the SMTP session.
type Connection struct {
	IP netip.Addr
	// HELO is the EHLO/HELO name.
	HELO string
	// MailFrom is the RFC5321.MailFrom address; "" is the null reverse-path,
	// and SPF then checks the HELO identity (RFC 7208 §2.4).
	MailFrom string
}

// Options tune Authenticate.
type Options struct {
	// AuthServID is the authserv-id of the Authentication-Results header
	// field (the receiving host's name); no header is built when empty.
	AuthServID string
	// SPF tunes SPF evaluation (receiver name, clock, limits).
	SPF spf.Options
	// ARC, when not nil, validates the message's ARC chain (RFC 8617) in
	// the same read of the message as DKIM: Result.ARC, and an arc=
	// resinfo in the Authentication-Results header field.
	ARC *arc.Validator
	// ARCChain writes arc.chain (the sealers, oldest first) in the arc=
	// resinfo.
	ARCChain bool
	// TrustedSealers are the ARC sealers (ARC-Seal d=) whose recorded
	// results the receiver honours (with ARC): Result.TrustedARC says what
	// DMARC concludes on them.
	TrustedSealers []string
}

// Result is everything known about the message's authentication.
type Result struct {
	// FromDomain is the RFC5322.From domain; FromError says why none could
	// be taken (no From field, several, several addresses, unparsable).
	FromDomain string `json:"header_from"`
	FromError  string `json:"header_from_error,omitempty"`
	// DKIM holds one result per DKIM-Signature.
	DKIM []dkim.SignatureResult `json:"dkim"`
	// DKIMResult is what the signatures say together (dkim.Summarize, any
	// d=): temperror stays temperror however many signatures were left
	// unverified by the cap; its NotVerified says whether the cap was hit.
	DKIMResult dkim.MessageResult `json:"dkim_result"`
	// SPF is the SPF result for the connection; nil without one.
	SPF *spf.Result `json:"spf,omitempty"`
	// SPFIdentity is the identity SPF checked: "mailfrom" or "helo".
	SPFIdentity string `json:"spf_identity,omitempty"`
	// DMARC is the DMARC result; nil when no From domain could be taken.
	DMARC *dmarc.EvalResult `json:"dmarc,omitempty"`
	// ARC is the validation of the ARC chain; nil without Options.ARC.
	ARC *arc.Result `json:"arc,omitempty"`
	// TrustedARC is the trusted-sealer view; nil without
	// Options.TrustedSealers.
	TrustedARC *TrustedARC `json:"trusted_arc,omitempty"`
	// AuthenticationResults is the header field's value (without the
	// "Authentication-Results:" name).
	AuthenticationResults string `json:"authentication_results,omitempty"`
}

// Authenticate reads the message from msg (once, holding only the header in
// memory), verifies its DKIM signatures with v, evaluates SPF for conn when
// it is not nil, and DMARC for the From domain; with opts.ARC it validates
// the ARC chain in the same read. The error is non-nil only when the
// message cannot be read or is not a message.
func Authenticate(ctx context.Context, msg io.Reader, r dns.Resolver, v *dkim.Verifier, conn *Connection, opts Options) (*Result, error) {
	return authenticate(ctx, msg, r, v, conn, opts, true)
}

// VerifyMessage reads the message from msg once and verifies what it
// carries: its DKIM signatures and, with opts.ARC, its ARC chain (with
// opts.TrustedSealers, the trusted-sealer view too). Neither SPF nor DMARC
// is evaluated for the message itself: that needs the connection
// (Authenticate). The Authentication-Results header field, with
// opts.AuthServID, holds dkim= and arc=. The error is non-nil only when
// the message cannot be read or is not a message.
func VerifyMessage(ctx context.Context, msg io.Reader, r dns.Resolver, v *dkim.Verifier, opts Options) (*Result, error) {
	return authenticate(ctx, msg, r, v, nil, opts, false)
}

func authenticate(ctx context.Context, msg io.Reader, r dns.Resolver, v *dkim.Verifier, conn *Connection, opts Options, withDMARC bool) (*Result, error) {
	br := getReader(msg)
	defer putReader(br)
	header, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	res := &Result{DKIM: []dkim.SignatureResult{}}
	res.FromDomain, err = fromDomain(header)
	if err != nil {
		res.FromError = err.Error()
	}
	sigs, chain, err := verifyBoth(ctx, header, br, v, opts.ARC)
	if err != nil {
		return nil, err
	}
	res.ARC = chain
	res.DKIM = append(res.DKIM, sigs...)
	res.DKIMResult = dkim.Summarize(sigs, "")

	in := dmarc.EvalInput{From: res.FromDomain}
	for _, s := range sigs {
		if s.Code == dkim.CodeTooManySignatures {
			// Not verified: no result to align, and aligning each one
			// would cost DNS queries the cap is there to bound.
			continue
		}
		in.DKIM = append(in.DKIM, dmarc.AuthResult{Domain: s.Domain, Result: s.Result})
	}
	if conn != nil {
		res.SPF = spf.CheckMailFrom(ctx, r, conn.IP, conn.MailFrom, conn.HELO, opts.SPF)
		res.SPFIdentity = "mailfrom"
		if conn.MailFrom == "" {
			res.SPFIdentity = "helo"
		}
		in.SPF = append(in.SPF, dmarc.AuthResult{Domain: res.SPF.Domain, Result: string(res.SPF.Result)})
	}
	if withDMARC && res.FromDomain != "" {
		res.DMARC = evaluateDMARC(ctx, r, in)
	}
	if len(opts.TrustedSealers) > 0 && res.ARC != nil {
		res.TrustedARC = trustedView(ctx, r, res, opts.TrustedSealers)
	}
	if opts.AuthServID != "" {
		res.AuthenticationResults = res.header(opts.AuthServID, conn, withDMARC, opts.ARCChain)
	}
	return res, nil
}

// evaluateDMARC evaluates DMARC; an error without a result (the record
// could not be fetched) is temperror.
func evaluateDMARC(ctx context.Context, r dns.Resolver, in dmarc.EvalInput) *dmarc.EvalResult {
	d, err := dmarc.Evaluate(ctx, r, in)
	if err != nil && d == nil {
		d = &dmarc.EvalResult{FromDomain: in.From, Result: "temperror", Reason: err.Error()}
	}
	return d
}

// readers are the buffered readers of the messages being read (64 KiB,
// for the long lines and large headers real mail has), kept between
// messages: a batch of small messages would otherwise allocate, and
// collect, 64 KiB for each.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64*1024) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

// putReader returns br to the pool, holding nothing of the message.
func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}

// readHeader reads the header block, up to and including the empty line
// that ends it (CRLF or bare LF). A message may end after its header
// (RFC 5322 §3.5: the body is optional); what is not a header is left to
// pkg/dkim's reader to name precisely.
func readHeader(br *bufio.Reader) ([]byte, error) {
	var h []byte
	for {
		line, err := br.ReadSlice('\n')
		h = append(h, line...)
		if len(h) > MaxHeaderSize {
			return nil, fmt.Errorf("msgauth: the header is larger than %d octets", MaxHeaderSize)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF {
			return h, nil
		}
		if err != nil {
			return nil, fmt.Errorf("msgauth: reading the message: %w", err)
		}
		if string(line) == "\r\n" || string(line) == "\n" {
			return h, nil
		}
	}
}

// fromDomain returns the domain of the single RFC5322.From address. RFC
// 9989 §4.4: a message with several From fields or several authors is not
// evaluated (the receiver may reject it).
func fromDomain(header []byte) (string, error) {
	m, err := mail.ReadMessage(bytes.NewReader(header))
	if err != nil {
		return "", fmt.Errorf("the header cannot be parsed: %v", err)
	}
	froms := m.Header["From"]
	switch len(froms) {
	case 0:
		return "", errors.New("the message has no From field")
	case 1:
	default:
		return "", fmt.Errorf("the message has %d From fields", len(froms))
	}
	addrs, err := mail.ParseAddressList(froms[0])
	if err != nil {
		return "", fmt.Errorf("the From field %q cannot be parsed: %v", froms[0], err)
	}
	domain := ""
	for _, a := range addrs {
		at := strings.LastIndexByte(a.Address, '@')
		if at < 0 {
			return "", fmt.Errorf("the From address %q has no domain", a.Address)
		}
		d := dns.CanonicalName(a.Address[at+1:])
		if domain != "" && d != domain {
			return "", fmt.Errorf("the From field names authors in %s and %s", domain, d)
		}
		domain = d
	}
	// The domain DMARC asks about, in A-labels; one that cannot be asked
	// (a bidi control, a disallowed character) is the message's fault,
	// not a temporary failure of the evaluation.
	ascii, err := dns.NormalizeName(domain)
	if err != nil {
		return "", fmt.Errorf("the From domain is not valid: %v", err)
	}
	return ascii, nil
}

// header formats the Authentication-Results value: spf, one dkim per
// signature (dkim=none without one), dmarc (when evaluated), arc.
func (res *Result) header(id string, conn *Connection, withDMARC, arcChain bool) string {
	parts := []string{id}
	if res.SPF != nil {
		p := "spf=" + string(res.SPF.Result)
		if res.SPF.Result == spf.Fail || res.SPF.Result == spf.SoftFail || res.SPF.Result == spf.PermError || res.SPF.Result == spf.TempError {
			if reason := firstNonEmpty(res.SPF.Error, res.SPF.Mechanism); reason != "" {
				p += " reason=" + value(reason)
			}
		}
		if res.SPFIdentity == "helo" {
			p += " smtp.helo=" + value(conn.HELO)
		} else {
			p += " smtp.mailfrom=" + value(conn.MailFrom)
		}
		parts = append(parts, p)
	}
	parts = append(parts, dkim.AuthResultsProperties(res.DKIM)...)
	switch {
	case res.DMARC != nil:
		parts = append(parts, res.DMARC.AuthResultsProperty())
	case withDMARC:
		parts = append(parts, "dmarc=none reason="+value(firstNonEmpty(res.FromError, "no From domain")))
	}
	if res.ARC != nil {
		// Last, as in RFC 8617's examples (§B.2): arc= after dmarc=.
		ao := arc.AuthResultsOptions{Chain: arcChain}
		if conn != nil && res.ARC.Result != arc.None {
			ao.RemoteIP = conn.IP
		}
		parts = append(parts, res.ARC.AuthResultsProperty(ao))
	}
	return strings.Join(parts, "; ")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// value writes an RFC 8601 property value: a token as it is, anything else
// as a quoted-string.
func value(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"\\()<>,;:[]=") && isASCII(s) {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
