package dkim

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
)

// DefaultHeaders are the header fields signed when SignOptions.Headers is
// nil: the ones a reader sees or a client acts on (RFC 6376 §5.4.1), the
// MIME structure, and the list headers (RFC 8058 one-click unsubscribe needs
// List-Unsubscribe and List-Unsubscribe-Post signed).
var DefaultHeaders = []string{
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID",
	"In-Reply-To", "References", "Sender",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID", "Content-Description",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
}

// DefaultOversign are the header fields listed in h= once more than they
// occur (even when absent), so that a field of that name added in transit
// breaks the signature (RFC 6376 §8.15).
var DefaultOversign = []string{
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
}

// SignOptions describe one signature.
type SignOptions struct {
	// Domain (d=) and Selector (s=): the key is published at
	// Selector._domainkey.Domain. Required.
	Domain   string
	Selector string
	// Signer is the private key: *rsa.PrivateKey (rsa-sha256) or
	// ed25519.PrivateKey (ed25519-sha256), or any crypto.Signer whose
	// Public() is one of those. Required.
	Signer crypto.Signer
	// Identity is i=, the agent or user on whose behalf the message is
	// signed ("@example.com", "user@mail.example.com"); it must be in Domain
	// or a subdomain. Optional.
	Identity string
	// Canonicalization is c=: "relaxed/relaxed" (the default), "simple",
	// "relaxed", "simple/relaxed", ...
	Canonicalization string
	// Headers are the names of the header fields to sign; DefaultHeaders
	// when nil. From is required.
	Headers []string
	// Oversign are the names listed in h= once more than they occur. When
	// nil: the names of DefaultOversign that Headers contains. Use an empty
	// non-nil slice for none.
	Oversign []string
	// Time is t=; Now() when zero.
	Time time.Time
	// Expiration is x=; none when zero. It must be after Time.
	Expiration time.Time
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand is the source of randomness for signers that use it (RSA
	// PKCS#1 v1.5 does not); crypto/rand when nil.
	Rand io.Reader
}

// Validate checks the options without signing anything, so that a caller
// can report a bad option before reading a message. Options that are valid
// but unwise are not errors; see Warnings.
func (o *SignOptions) Validate() error {
	_, err := o.plan()
	return err
}

// SignWarning is something about valid SignOptions that the signer should
// be told: signing goes ahead, but receivers may not like the result.
type SignWarning struct {
	// Code is stable: "key-over-4096", "key-too-large".
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (w SignWarning) String() string { return w.Code + ": " + w.Message }

// Warnings returns what the signer should hear about o (nil when nothing),
// by emailauth's key-size policy (dkimkey.MaxInteropRSABits and
// dkimkey.MaxRSABits): an RSA key over 8192 bits makes signatures that
// verifiers refuse (emailauth gives permerror), one over 4096 bits
// signatures that RFC 8301 does not require verifiers to handle.
func (o *SignOptions) Warnings() []SignWarning {
	if o.Signer == nil {
		return nil
	}
	pub, ok := o.Signer.Public().(*rsa.PublicKey)
	if !ok {
		return nil
	}
	switch bits := pub.N.BitLen(); {
	case bits > dkimkey.MaxRSABits:
		return []SignWarning{{Code: "key-too-large", Message: fmt.Sprintf("the RSA key is %d bits; verifiers refuse keys over %d bits (emailauth gives permerror), so these signatures will fail: sign with a 2048-bit key", bits, dkimkey.MaxRSABits)}}
	case bits > dkimkey.MaxInteropRSABits:
		return []SignWarning{{Code: "key-over-4096", Message: fmt.Sprintf("the RSA key is %d bits; RFC 8301 only requires verifiers to handle up to %d, so some may refuse these signatures: a 2048-bit key is enough", bits, dkimkey.MaxInteropRSABits)}}
	}
	return nil
}

type signPlan struct {
	opts        SignOptions
	keyAlgo     string
	headerCanon string
	bodyCanon   string
	body        *bodyHash
}

func (o *SignOptions) plan() (*signPlan, error) {
	p := &signPlan{opts: *o}
	if o.Domain == "" {
		return nil, errors.New("dkim: no domain (d=) given")
	}
	if err := checkDomain(o.Domain); err != nil {
		return nil, fmt.Errorf("dkim: domain %q is not a domain name: %v", o.Domain, err)
	}
	if o.Selector == "" {
		return nil, errors.New("dkim: no selector (s=) given")
	}
	for _, label := range strings.Split(o.Selector, ".") {
		if err := checkDomain(label); err != nil || label == "" {
			return nil, fmt.Errorf("dkim: selector %q is not a valid selector: labels of letters, digits, hyphens and underscores", o.Selector)
		}
	}
	if o.Signer == nil {
		return nil, errors.New("dkim: no private key given")
	}
	alg, err := SignerAlgorithm(o.Signer)
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	p.keyAlgo = alg
	h, b, err := ParseCanonicalization(o.Canonicalization)
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	p.headerCanon, p.bodyCanon = h, b
	if o.Identity != "" {
		at := strings.LastIndexByte(o.Identity, '@')
		if at < 0 {
			return nil, fmt.Errorf("dkim: identity %q has no \"@\" (write @%s or user@%s)", o.Identity, o.Domain, o.Domain)
		}
		dom := strings.ToLower(o.Identity[at+1:])
		if d := strings.ToLower(o.Domain); dom != d && !strings.HasSuffix(dom, "."+d) {
			return nil, fmt.Errorf("dkim: identity %q is not in %s or a subdomain of it", o.Identity, o.Domain)
		}
		for k := 0; k < len(o.Identity); k++ {
			if ch := o.Identity[k]; ch <= ' ' || ch == ';' || ch >= 0x7f {
				return nil, fmt.Errorf("dkim: identity %q contains a space, a semicolon or a non-ASCII character", o.Identity)
			}
		}
	}
	if p.opts.Headers == nil {
		p.opts.Headers = DefaultHeaders
	}
	hasFrom := false
	for _, n := range p.opts.Headers {
		if strings.EqualFold(n, "From") {
			hasFrom = true
		}
		if n == "" || strings.ContainsAny(n, ": \t\r\n;") {
			return nil, fmt.Errorf("dkim: %q is not a header field name", n)
		}
	}
	if !hasFrom {
		return nil, errors.New("dkim: the header list must include From (RFC 6376 §5.4)")
	}
	if p.opts.Oversign == nil {
		for _, n := range DefaultOversign {
			if containsFold(p.opts.Headers, n) {
				p.opts.Oversign = append(p.opts.Oversign, n)
			}
		}
	}
	if p.opts.Now == nil {
		p.opts.Now = time.Now
	}
	if p.opts.Time.IsZero() {
		p.opts.Time = p.opts.Now()
	}
	if !o.Expiration.IsZero() && !o.Expiration.After(p.opts.Time) {
		return nil, fmt.Errorf("dkim: the expiration %s is not after the signing time %s", o.Expiration.UTC().Format(time.RFC3339), p.opts.Time.UTC().Format(time.RFC3339))
	}
	if p.opts.Rand == nil {
		p.opts.Rand = rand.Reader
	}
	return p, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// ErrNoFrom is wrapped by the error for a message without a From field.
var ErrNoFrom = errors.New("the message has no From header field")

// Signatures reads a message from r and returns the DKIM-Signature header
// fields (name, value, final CRLF) to put on top of it, one per options
// value, in order. Bare LFs are read as CRLFs. It reads the message once
// and holds only its header in memory.
func Signatures(r io.Reader, opts ...SignOptions) ([]string, error) {
	cr := newCRLFReader(r)
	defer cr.release()
	return signatures(cr, opts)
}

func signatures(cr *crlfReader, opts []SignOptions) ([]string, error) {
	if len(opts) == 0 {
		return nil, errors.New("dkim: no signing key given")
	}
	plans := make([]*signPlan, len(opts))
	for i := range opts {
		p, err := opts[i].plan()
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	br := getBufio(cr)
	defer putBufio(br)
	fields, _, err := readHeader(br)
	if err != nil {
		return nil, err
	}
	cr.passThrough() // the canonicalizers take bare LFs in the same pass
	from := 0
	for _, f := range fields {
		if strings.EqualFold(f.name, "From") {
			from++
		}
	}
	if from == 0 {
		return nil, fmt.Errorf("dkim: %w; RFC 6376 requires From to be signed: add one", ErrNoFrom)
	}
	groups := map[string]*bodyHash{}
	var writers []io.Writer
	for _, p := range plans {
		bh := groups[p.bodyCanon]
		if bh == nil {
			bh = &bodyHash{h: sha256.New()}
			bh.counter = &lengthCounter{w: bh.h, limit: -1}
			bh.canon = newRawBodyCanonicalizer(bh.counter, p.bodyCanon)
			groups[p.bodyCanon] = bh
			writers = append(writers, bh.canon)
		}
		p.body = bh
	}
	var w io.Writer = writers[0]
	if len(writers) > 1 {
		w = io.MultiWriter(writers...)
	}
	if _, err := io.Copy(w, br); err != nil {
		for _, bh := range groups {
			bh.canon.release()
		}
		return nil, wrapRead(err)
	}
	for _, bh := range groups {
		err := bh.canon.Close()
		if bh.canon.sawBareLF {
			cr.bareLF = true // prepend ends the new fields' lines as the message does
		}
		bh.canon.release()
		if err != nil {
			return nil, wrapRead(err)
		}
		bh.sum = bh.h.Sum(nil)
	}
	out := make([]string, len(plans))
	for i, p := range plans {
		field, err := p.sign(fields)
		if err != nil {
			return nil, err
		}
		out[i] = field
	}
	return out, nil
}

// headerList builds h=: each name once per occurrence, plus once more when
// oversigned.
func (p *signPlan) headerList(fields []headerField) []string {
	var names []string
	for _, n := range p.opts.Headers {
		count := 0
		for _, f := range fields {
			if strings.EqualFold(f.name, n) {
				count++
			}
		}
		if containsFold(p.opts.Oversign, n) {
			count++
		}
		for ; count > 0; count-- {
			names = append(names, strings.ToLower(n))
		}
	}
	return names
}

func (p *signPlan) sign(fields []headerField) (string, error) {
	names := p.headerList(fields)
	items := []string{
		"v=1",
		"a=" + p.keyAlgo + "-sha256",
		"c=" + p.headerCanon + "/" + p.bodyCanon,
		"d=" + p.opts.Domain,
		"s=" + p.opts.Selector,
		"t=" + strconv.FormatInt(p.opts.Time.Unix(), 10),
	}
	if !p.opts.Expiration.IsZero() {
		items = append(items, "x="+strconv.FormatInt(p.opts.Expiration.Unix(), 10))
	}
	if p.opts.Identity != "" {
		items = append(items, "i="+p.opts.Identity)
	}
	var b strings.Builder
	b.WriteString("DKIM-Signature:")
	col := len("DKIM-Signature:")
	put := func(s string, sep string) {
		if col+len(sep)+len(s) > 76 {
			b.WriteString(crlf + "\t")
			col = 8
			sep = strings.TrimLeft(sep, " ")
		}
		b.WriteString(sep)
		b.WriteString(s)
		col += len(sep) + len(s)
	}
	for _, it := range items {
		put(it+";", " ")
	}
	// h= folds after a colon when a line would grow too long.
	for k, n := range names {
		tok := n
		if k == 0 {
			tok = "h=" + n
		}
		if k < len(names)-1 {
			tok += ":"
		} else {
			tok += ";"
		}
		sep := ""
		if k == 0 {
			sep = " "
		}
		put(tok, sep)
	}
	put("bh="+base64Std.EncodeToString(p.body.sum)+";", " ")
	put("b=", " ")
	unsigned := b.String() + crlf

	sig, err := signHeader(fields, names, unsigned, p.headerCanon, p.opts.Signer, p.opts.Rand)
	if err != nil {
		return "", fmt.Errorf("dkim: signing with the %s key for %s._domainkey.%s: %w", p.keyAlgo, p.opts.Selector, p.opts.Domain, err)
	}
	// Fold b= at the line width.
	enc := base64Std.EncodeToString(sig)
	for len(enc) > 0 {
		room := 76 - col
		if room <= 0 {
			b.WriteString(crlf + "\t")
			col = 8
			room = 76 - col
		}
		n := min(room, len(enc))
		b.WriteString(enc[:n])
		col += n
		enc = enc[n:]
	}
	b.WriteString(crlf)
	return b.String(), nil
}

// signHeader computes b= for the header fields named in h= and the
// DKIM-Signature field with an empty b= (name, value, final CRLF), exactly
// as a verifier hashes them.
func signHeader(fields []headerField, names []string, unsigned, canon string, signer crypto.Signer, rnd io.Reader) ([]byte, error) {
	h := sha256.New()
	headerHash(h, fields, names, unsigned, canon, -1)
	digest := h.Sum(nil)
	var opts crypto.SignerOpts = crypto.SHA256
	if _, ok := signer.Public().(ed25519.PublicKey); ok {
		opts = crypto.Hash(0)
	}
	return signer.Sign(rnd, digest, opts)
}

func headerHash(h hash.Hash, fields []headerField, names []string, sigField, canon string, skip int) {
	headerHash2(h, fields, names, sigField, "", canon, skip)
}

// headerHash2 is headerHash for the signature field sigA+sigB (the field
// with its b= value cut out, not joined).
func headerHash2(h hash.Hash, fields []headerField, names []string, sigA, sigB, canon string, skip int) {
	bp := headerBufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	pickHeaders(fields, names, skip, func(f string) {
		buf = appendCanonicalHeader(buf, f, canon)
	})
	buf = appendCanonicalHeader2(buf, sigA, sigB, canon)
	h.Write(bytes.TrimSuffix(buf, []byte(crlf)))
	if cap(buf) <= 64<<10 {
		*bp = buf
		headerBufPool.Put(bp)
	}
}

// headerBufPool holds the buffers of headerHash.
var headerBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Sign reads a message from r and writes it to w with one DKIM-Signature
// per options value on top (dual signing: pass an RSA and an Ed25519
// options value). The message is written as it was read; the new header
// fields end their lines as the message does (LF for a Unix file, CRLF
// otherwise). Memory stays bounded: a seekable r (a file) is read twice,
// anything else is spooled to a temporary file past 4 MiB. Nothing is
// written to w unless signing succeeds.
func Sign(w io.Writer, r io.Reader, opts ...SignOptions) error {
	return prepend(w, r, func(cr *crlfReader) ([]string, error) { return signatures(cr, opts) })
}

// prepend reads the message from r through a crlfReader given to compute,
// then writes the header fields compute returns (line ends as the message
// has them) and the message as it was read. See Prepend.
func prepend(w io.Writer, r io.Reader, compute func(*crlfReader) ([]string, error)) error {
	var replay func() (io.Reader, error)
	var src io.Reader = r
	var sp *spool
	if s, ok := r.(io.ReadSeeker); ok && isRegular(r) {
		start, err := s.Seek(0, io.SeekCurrent)
		if err == nil {
			replay = func() (io.Reader, error) {
				if _, err := s.Seek(start, io.SeekStart); err != nil {
					return nil, err
				}
				return s, nil
			}
		}
	}
	if replay == nil {
		sp = &spool{limit: 4 << 20}
		defer sp.Close()
		src = io.TeeReader(r, sp)
		replay = sp.Reader
	}
	cr := newCRLFReader(src)
	defer cr.release()
	fieldsOut, err := compute(cr)
	if err != nil {
		return err
	}
	// compute may stop reading early: the rest of the message must still
	// reach the spool, and a bare LF in it decides the line ends.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return wrapRead(err)
	}
	if sp != nil && sp.err != nil {
		return fmt.Errorf("dkim: spooling the message: %w", sp.err)
	}
	eol := crlf
	if cr.bareLF {
		eol = "\n"
	}
	msg, err := replay()
	if err != nil {
		return fmt.Errorf("dkim: re-reading the message: %w", err)
	}
	for _, f := range fieldsOut {
		if eol != crlf {
			f = strings.ReplaceAll(f, crlf, eol)
		}
		if _, err := io.WriteString(w, f); err != nil {
			return err
		}
	}
	_, err = io.Copy(w, msg)
	return err
}

func isRegular(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

// spool keeps what is written in memory up to limit, then in a temporary
// file.
type spool struct {
	limit int
	mem   bytes.Buffer
	file  *os.File
	err   error
}

func (s *spool) Write(p []byte) (int, error) {
	if s.err != nil {
		return len(p), nil // reported after the copy
	}
	if s.file == nil && s.mem.Len()+len(p) <= s.limit {
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "emailauth-sign-*")
		if err != nil {
			s.err = err
			return len(p), nil
		}
		os.Remove(f.Name()) // unlinked at once where the OS allows it
		s.file = f
		if _, err := f.Write(s.mem.Bytes()); err != nil {
			s.err = err
			return len(p), nil
		}
		s.mem = bytes.Buffer{}
	}
	if _, err := s.file.Write(p); err != nil {
		s.err = err
	}
	return len(p), nil
}

// Reader returns the spooled bytes from the start.
func (s *spool) Reader() (io.Reader, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return s.file, nil
}

func (s *spool) Close() error {
	if s.file != nil {
		name := s.file.Name()
		err := s.file.Close()
		os.Remove(name)
		return err
	}
	return nil
}

// ParseCanonicalization reads a c= value as a signer is given it: "header/body"
// of simple or relaxed, case-insensitive; "" is relaxed/relaxed (what this
// package signs with by default) and a lone "header" has a simple body, as
// RFC 6376 §3.5 says.
func ParseCanonicalization(c string) (header, body string, err error) {
	lc := strings.ToLower(c)
	if lc == "" {
		lc = "relaxed/relaxed"
	}
	header, body, ok := strings.Cut(lc, "/")
	if !ok {
		body = "simple"
	}
	for _, x := range []string{header, body} {
		if x != "simple" && x != "relaxed" {
			return "", "", fmt.Errorf("canonicalization %q: want simple or relaxed, as header/body (relaxed/relaxed)", c)
		}
	}
	return header, body, nil
}
