package arc

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// Errors Seal returns for messages it must not seal; test them with
// errors.Is.
var (
	// ErrChainFailed: the newest ARC-Seal already says cv=fail. RFC 8617
	// §5.1: a sealer adds nothing to a chain an earlier hop found broken.
	ErrChainFailed = errors.New("the newest ARC-Seal says cv=fail, so no set may be added (RFC 8617 §5.1)")
	// ErrInstanceLimit: the message already carries 50 sets (RFC 8617
	// §4.2.1).
	ErrInstanceLimit = errors.New("the message already carries 50 ARC sets, the most RFC 8617 allows")
	// ErrTemporary: the chain could not be validated because a key lookup
	// failed temporarily, so cv= cannot be computed; retry later.
	ErrTemporary = errors.New("the chain could not be validated (a key lookup failed temporarily)")
)

// DefaultHeaders are the header fields an ARC-Message-Signature signs when
// SealOptions.Headers is nil: DKIM's default set and the DKIM-Signature
// fields already present (RFC 8617 §4.1.2 recommends signing them).
var DefaultHeaders = append(append([]string(nil), dkim.DefaultHeaders...), "DKIM-Signature")

// SealOptions describe the ARC set a forwarder adds.
type SealOptions struct {
	// Domain (d=) and Selector (s=) of the sealer's key, published at
	// Selector._domainkey.Domain as a DKIM key record. Required.
	Domain   string
	Selector string
	// Signer is the private key: *rsa.PrivateKey (rsa-sha256, at least
	// 1024 bits) or ed25519.PrivateKey (ed25519-sha256), or a crypto.Signer
	// whose Public() is one of those. Required.
	Signer crypto.Signer
	// AuthServID is the authserv-id of the ARC-Authentication-Results: the
	// sealing host's ADMD name. Required.
	AuthServID string
	// AuthResults are the resinfos to record ("spf=pass
	// smtp.mailfrom=a@example.com; dkim=pass header.d=example.com"). When
	// empty, the resinfos of the message's Authentication-Results fields
	// whose authserv-id is AuthServID are gathered, in order. Either way,
	// when none of them is an arc= result, "arc=<cv>" is put first.
	AuthResults string
	// Headers are the header fields the ARC-Message-Signature signs;
	// DefaultHeaders when nil. ARC-Seal and Authentication-Results cannot
	// be signed (RFC 8617 §4.1.2).
	Headers []string
	// Canonicalization is the ARC-Message-Signature's c=:
	// "relaxed/relaxed" (the default), "simple/simple", ...
	Canonicalization string
	// Time is t=; Now() when zero.
	Time time.Time
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand is the randomness for signers that use it; crypto/rand when nil.
	Rand io.Reader
}

// Sealer adds ARC sets to messages: it validates the chain a message
// carries to compute cv=, then signs a new set. It is safe for concurrent
// use.
type Sealer struct {
	v           *Validator
	opts        SealOptions
	keyAlg      string
	headerCanon string
	bodyCanon   string
	// suiteFormat writes the tags sorted, on one line, as the ValiMail
	// signing suite's expected values are written (tests only).
	suiteFormat bool
}

// NewSealer checks opts and returns a Sealer that validates chains with v.
func NewSealer(v *Validator, opts SealOptions) (*Sealer, error) {
	if v == nil {
		return nil, errors.New("arc: no validator given: the chain must be validated to compute cv=")
	}
	s := &Sealer{v: v, opts: opts}
	if opts.Domain == "" {
		return nil, errors.New("arc: no sealing domain (d=) given")
	}
	if err := checkDomain(SealField, "d", opts.Domain); err != nil {
		return nil, fmt.Errorf("arc: the sealing domain %q is not a domain name", opts.Domain)
	}
	if opts.Selector == "" {
		return nil, errors.New("arc: no selector (s=) given")
	}
	if err := checkDomain(SealField, "s", opts.Selector); err != nil {
		return nil, fmt.Errorf("arc: the selector %q is not valid: labels of letters, digits, hyphens and underscores", opts.Selector)
	}
	if opts.Signer == nil {
		return nil, errors.New("arc: no private key given")
	}
	alg, err := dkim.SignerAlgorithm(opts.Signer)
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	s.keyAlg = alg
	if opts.AuthServID == "" {
		return nil, errors.New("arc: no authserv-id given: name the sealing host's ADMD (mx.example.net)")
	}
	if strings.ContainsAny(opts.AuthServID, " \t\r\n;()\"\\") || !isPrintableASCII(opts.AuthServID) {
		return nil, fmt.Errorf("arc: the authserv-id %q is not a token: use a host or domain name", opts.AuthServID)
	}
	if strings.ContainsAny(opts.AuthResults, "\r\n") {
		return nil, errors.New("arc: the authentication results contain a line break: give them on one line, separated by \";\"")
	}
	if opts.AuthResults != "" && !isPrintableASCII(strings.ReplaceAll(opts.AuthResults, " ", "")) {
		return nil, errors.New("arc: the authentication results contain a control or non-ASCII character")
	}
	h, b, err := dkim.ParseCanonicalization(opts.Canonicalization)
	if err != nil {
		return nil, fmt.Errorf("arc: %w", err)
	}
	s.headerCanon, s.bodyCanon = h, b
	if s.opts.Headers == nil {
		s.opts.Headers = DefaultHeaders
	}
	for _, n := range s.opts.Headers {
		if n == "" || strings.ContainsAny(n, ": \t\r\n;") || !isPrintableASCII(n) {
			return nil, fmt.Errorf("arc: %q is not a header field name", n)
		}
		if strings.EqualFold(n, SealField) {
			return nil, errors.New("arc: an ARC-Message-Signature must not sign ARC-Seal (RFC 8617 §4.1.2): later seals would break it")
		}
		if strings.EqualFold(n, "Authentication-Results") {
			return nil, errors.New("arc: an ARC-Message-Signature must not sign Authentication-Results (RFC 8617 §4.1.2): receivers remove them")
		}
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.Rand == nil {
		s.opts.Rand = rand.Reader
	}
	return s, nil
}

func isPrintableASCII(s string) bool {
	for k := 0; k < len(s); k++ {
		if s[k] < 0x21 || s[k] > 0x7e {
			return false
		}
	}
	return true
}

// Sealed is the outcome of sealing one message.
type Sealed struct {
	// Instance is the new set's i=.
	Instance int `json:"instance"`
	// ChainValidation is the cv= written: none, pass or fail.
	ChainValidation string `json:"cv"`
	// Chain is the validation of the chain the message arrived with.
	Chain *Result `json:"chain"`
	// Fields are the new header fields (name, value, CRLF line ends), in
	// the order they go on top of the message: ARC-Seal,
	// ARC-Message-Signature, ARC-Authentication-Results.
	Fields []string `json:"fields"`
}

// Fields reads the message from r (once, holding only its header in
// memory) and returns the header fields of its next ARC set.
//
// received is the validation of the chain when the message was received,
// before this hop changed it: a mailing list validates on receipt, adds its
// footer or subject tag, then seals, and cv= must describe the chain it
// received, not the one its own change broke. With nil, the chain is
// validated as the message is now, as for a forwarder that changes
// nothing. The message must still carry the sets received describes.
//
// It fails with ErrChainFailed when the newest seal says cv=fail,
// ErrInstanceLimit at 50 sets, and ErrTemporary when a key lookup failed
// temporarily.
func (s *Sealer) Fields(ctx context.Context, r io.Reader, received *Result) (*Sealed, error) {
	var out *Sealed
	err := dkim.ReadMessage(r, func(fields []dkim.Field, body io.Reader) error {
		var err error
		out, err = s.seal(ctx, fields, body, received)
		return err
	})
	if err != nil {
		var re *readError
		var se *SealError
		if errors.As(err, &re) || errors.As(err, &se) {
			return nil, err
		}
		return nil, wrapDKIMErr(err)
	}
	return out, nil
}

// SealError is an error of the sealer itself (a chain that cannot be
// sealed), as opposed to one reading the message; ErrChainFailed,
// ErrInstanceLimit and ErrTemporary are wrapped in it.
type SealError struct{ Err error }

func (e *SealError) Error() string { return e.Err.Error() }
func (e *SealError) Unwrap() error { return e.Err }

func sealErrorf(format string, args ...any) error {
	return &SealError{Err: fmt.Errorf(format, args...)}
}

// Seal reads the message from r and writes it to w with the next ARC set
// on top; see Fields for received. The new fields end their lines as the
// message does. A regular file is read twice, anything else spooled past 4
// MiB, as dkim.Sign does. Nothing is written unless sealing succeeds.
func (s *Sealer) Seal(ctx context.Context, w io.Writer, r io.Reader, received *Result) (*Sealed, error) {
	var out *Sealed
	err := dkim.Prepend(w, r, func(msg io.Reader) ([]string, error) {
		var err error
		out, err = s.Fields(ctx, msg, received)
		if err != nil {
			return nil, err
		}
		return out.Fields, nil
	})
	if err != nil {
		var re *readError
		var se *SealError
		if errors.As(err, &re) || errors.As(err, &se) {
			return nil, err
		}
		return nil, wrapDKIMErr(err)
	}
	return out, nil
}

// SealMessage seals the message read from r with a Validator on res and the
// options, writing the sealed message to w; the chain is validated as the
// message is. For many messages, make one Sealer and reuse it.
func SealMessage(ctx context.Context, w io.Writer, r io.Reader, res dns.Resolver, opts SealOptions) (*Sealed, error) {
	s, err := NewSealer(NewValidator(res, ValidateOptions{Now: opts.Now}), opts)
	if err != nil {
		return nil, err
	}
	return s.Seal(ctx, w, r, nil)
}

func (s *Sealer) seal(ctx context.Context, fields []dkim.Field, body io.Reader, received *Result) (*Sealed, error) {
	c := s.v.examine(fields)
	if c.res.Code == "cv-fail-upstream" || received != nil && received.Code == "cv-fail-upstream" {
		return nil, sealErrorf("arc: cannot seal: %w", ErrChainFailed)
	}
	if c.res.Instance >= MaxInstance {
		return nil, sealErrorf("arc: cannot seal: %w", ErrInstanceLimit)
	}
	if received != nil && received.Instance != c.res.Instance {
		return nil, sealErrorf("arc: cannot seal: the chain was validated with %d set(s) but the message now carries %d", received.Instance, c.res.Instance)
	}
	if received != nil && received.Result == Pass && c.done && c.res.Result == Fail {
		return nil, sealErrorf("arc: cannot seal: the chain passed when received but its ARC header fields have changed since: %s", c.res.Reason)
	}
	own := bodyKey{s.bodyCanon, -1}
	if received != nil {
		c.done = true // nothing to verify: received says how the chain was
	}
	hashers, err := c.hashBody(body, &own)
	if err != nil {
		return nil, err
	}
	chainRes := received
	if chainRes == nil {
		s.v.finish(ctx, c, hashers)
		chainRes = c.res
	}
	cv := chainRes.Result
	switch cv {
	case None, Pass, Fail:
	default:
		return nil, sealErrorf("arc: cannot seal: %s: %w", chainRes.Reason, ErrTemporary)
	}
	n := chainRes.Instance + 1
	when := s.opts.Time
	if when.IsZero() {
		when = s.opts.Now()
	}
	ts := strconv.FormatInt(when.Unix(), 10)

	// ARC-Authentication-Results.
	results := s.opts.AuthResults
	var resinfos []string
	if results != "" {
		resinfos = cleanResinfos(splitResinfos(results))
	} else {
		resinfos = gatherResults(fields, s.opts.AuthServID)
	}
	if !hasMethod(resinfos, "arc") {
		resinfos = append([]string{"arc=" + cv}, resinfos...)
	}
	aar := s.renderAAR(n, resinfos)

	// ARC-Message-Signature.
	names := headerList(fields, s.opts.Headers)
	amsItems := []string{
		"i=" + strconv.Itoa(n),
		"a=" + s.keyAlg + "-sha256",
		"c=" + s.headerCanon + "/" + s.bodyCanon,
		"d=" + s.opts.Domain,
		"s=" + s.opts.Selector,
		"t=" + ts,
		"h=" + strings.Join(names, ":"),
		"bh=" + base64.StdEncoding.EncodeToString(hashers[own].Sum()),
	}
	amsUnsigned := s.render(MessageSignatureField, amsItems, "")
	h := sha256.New()
	dkim.HashHeaders(h, fields, names, -1, amsUnsigned, s.headerCanon)
	sig, err := s.sign(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	ams := s.render(MessageSignatureField, amsItems, sig)

	// ARC-Seal: every set so far, then this one (RFC 8617 §5.1.1); a seal
	// of a failed chain covers its own set only (§5.1.2).
	asItems := []string{
		"i=" + strconv.Itoa(n),
		"a=" + s.keyAlg + "-sha256",
		"t=" + ts,
		"cv=" + cv,
		"d=" + s.opts.Domain,
		"s=" + s.opts.Selector,
	}
	asUnsigned := s.render(SealField, asItems, "")
	var prior []*set
	if cv != Fail {
		prior = c.sets
	}
	digest := sha256.Sum256(sealInput(make([]byte, 0, 4096), prior, aar, ams, asUnsigned))
	sig, err = s.sign(digest[:])
	if err != nil {
		return nil, err
	}
	as := s.render(SealField, asItems, sig)
	return &Sealed{Instance: n, ChainValidation: cv, Chain: chainRes, Fields: []string{as, ams, aar}}, nil
}

// sealInput appends what a seal covers: the prior sets, in order, as
// AAR, AMS, AS, then the new set's AAR, AMS and unsigned AS without its
// final CRLF, all relaxed.
func sealInput(buf []byte, prior []*set, aar, ams, unsignedAS string) []byte {
	for _, s := range prior {
		buf = dkim.AppendCanonicalHeader(buf, s.aar.raw, "relaxed")
		buf = dkim.AppendCanonicalHeader(buf, s.ams.raw, "relaxed")
		buf = dkim.AppendCanonicalHeader(buf, s.as.raw, "relaxed")
	}
	buf = dkim.AppendCanonicalHeader(buf, aar, "relaxed")
	buf = dkim.AppendCanonicalHeader(buf, ams, "relaxed")
	buf = dkim.AppendCanonicalHeader(buf, unsignedAS, "relaxed")
	return buf[:len(buf)-2]
}

func (s *Sealer) sign(digest []byte) (string, error) {
	var opts crypto.SignerOpts = crypto.SHA256
	if s.keyAlg == "ed25519" {
		opts = crypto.Hash(0)
	}
	sig, err := s.opts.Signer.Sign(s.opts.Rand, digest, opts)
	if err != nil {
		return "", fmt.Errorf("arc: signing with the %s key for %s._domainkey.%s: %w", s.keyAlg, s.opts.Selector, s.opts.Domain, err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// headerList builds h=: each name once per field of that name in the
// message, lower case.
func headerList(fields []dkim.Field, want []string) []string {
	var names []string
	for _, n := range want {
		for _, f := range fields {
			if strings.EqualFold(f.Name(), n) {
				names = append(names, strings.ToLower(n))
			}
		}
	}
	return names
}

const lineWidth = 78

// render writes a signature field: the items ("tag=value") and b= with sig
// last, folded at the line width (b= and h= are folded inside their
// values). With suiteFormat, the tags are sorted and written on one line.
func (s *Sealer) render(name string, items []string, sig string) string {
	if s.suiteFormat {
		all := append(append([]string(nil), items...), "b="+sig)
		sort.Slice(all, func(i, j int) bool {
			ki, _, _ := strings.Cut(all[i], "=")
			kj, _, _ := strings.Cut(all[j], "=")
			return ki < kj
		})
		return name + ": " + strings.Join(all, "; ") + "\r\n"
	}
	var b strings.Builder
	b.WriteString(name + ":")
	col := len(name) + 1
	put := func(tok string, sep string) {
		if col+len(sep)+len(tok) > lineWidth {
			b.WriteString("\r\n\t")
			col = 8
			sep = ""
		}
		b.WriteString(sep)
		b.WriteString(tok)
		col += len(sep) + len(tok)
	}
	for _, it := range items {
		if strings.HasPrefix(it, "h=") {
			// h= folds after a colon.
			list := strings.Split(strings.TrimPrefix(it, "h="), ":")
			for k, n := range list {
				tok := n
				sep := ""
				if k == 0 {
					tok, sep = "h="+n, " "
				}
				if k < len(list)-1 {
					tok += ":"
				} else {
					tok += ";"
				}
				put(tok, sep)
			}
			continue
		}
		put(it+";", " ")
	}
	put("b=", " ")
	for len(sig) > 0 {
		room := lineWidth - col
		if room <= 0 {
			b.WriteString("\r\n\t")
			col = 8
			room = lineWidth - col
		}
		k := min(room, len(sig))
		b.WriteString(sig[:k])
		col += k
		sig = sig[k:]
	}
	b.WriteString("\r\n")
	return b.String()
}

// renderAAR writes the ARC-Authentication-Results field, one resinfo per
// line.
func (s *Sealer) renderAAR(n int, resinfos []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: i=%d; %s", AuthResultsField, n, s.opts.AuthServID)
	for _, r := range resinfos {
		if s.suiteFormat {
			b.WriteString("; " + r)
		} else {
			b.WriteString(";\r\n\t" + r)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// gatherResults collects, in order, the resinfos of the message's
// Authentication-Results fields whose authserv-id is id.
func gatherResults(fields []dkim.Field, id string) []string {
	var out []string
	for _, f := range fields {
		if !strings.EqualFold(f.Name(), "Authentication-Results") {
			continue
		}
		parts := splitResinfos(f.Value())
		got := strings.Fields(stripComments(parts[0]))
		if len(got) == 0 || !strings.EqualFold(got[0], id) {
			continue
		}
		out = append(out, cleanResinfos(parts[1:])...)
	}
	return out
}

// cleanResinfos unfolds the resinfos, squeezes their whitespace and drops
// empty ones and "none".
func cleanResinfos(parts []string) []string {
	var out []string
	for _, p := range parts {
		p = strings.Join(strings.Fields(p), " ")
		if p == "" || strings.EqualFold(p, "none") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// hasMethod reports whether a resinfo of the method is present.
func hasMethod(resinfos []string, method string) bool {
	for _, r := range resinfos {
		r = strings.TrimSpace(stripComments(r))
		m, _, ok := strings.Cut(r, "=")
		if ok && strings.EqualFold(strings.TrimSpace(m), method) {
			return true
		}
	}
	return false
}
