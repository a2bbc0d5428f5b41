package dkim

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
)

// Results of one signature, as in RFC 8601 §2.7.1.
const (
	Pass      = "pass"
	Fail      = "fail"
	Neutral   = "neutral"
	Policy    = "policy"
	Temperror = "temperror"
	Permerror = "permerror"
	None      = "none"
)

// SignatureResult is the outcome of verifying one DKIM-Signature.
type SignatureResult struct {
	Domain           string `json:"domain"`    // d=
	Selector         string `json:"selector"`  // s=
	Algorithm        string `json:"algorithm"` // a=
	Canonicalization string `json:"canonicalization"`
	Identity         string `json:"identity,omitempty"` // i=, or "@" d= when absent
	// Result is pass, fail, neutral, policy, temperror or permerror.
	Result string `json:"result"`
	// Code names the reason in a stable, machine-readable way:
	// body-hash-mismatch, signature-mismatch, key-revoked, key-not-found, ...
	Code string `json:"code"`
	// Reason says why, in words.
	Reason string `json:"reason,omitempty"`
	// KeyName is the DNS name the key was fetched from.
	KeyName string `json:"key_name,omitempty"`
	KeyType string `json:"key_type,omitempty"`
	KeyBits int    `json:"key_bits,omitempty"`
	// Testing is set when the key record carries t=y.
	Testing       bool       `json:"testing,omitempty"`
	SignedHeaders []string   `json:"signed_headers,omitempty"`
	Signed        *time.Time `json:"signed,omitempty"`
	Expires       *time.Time `json:"expires,omitempty"`
	BodyLength    *int64     `json:"body_length,omitempty"`
	// SignaturePrefix is the first 8 characters of b=, for telling apart
	// signatures in an Authentication-Results header (RFC 6008).
	SignaturePrefix string `json:"signature_prefix,omitempty"`
}

// VerifyOptions tune verification.
type VerifyOptions struct {
	// Now is the clock that x= is checked against; time.Now when nil.
	Now func() time.Time
	// AllowSHA1 accepts rsa-sha1 signatures, which RFC 8301 forbids; without
	// it they verify to "policy".
	AllowSHA1 bool
	// MinRSABits is the smallest RSA key accepted; smaller keys verify to
	// "policy". 0 means 1024, the floor of RFC 8301 §3.2.
	MinRSABits int
	// AllowDrafts accepts signatures made to the drafts that preceded RFC
	// 4871 (no v= tag, or v=0.5), as old archives hold.
	AllowDrafts bool
	// MaxSignatures bounds the signatures verified per message (0: 16); the
	// rest are reported as neutral with code too-many-signatures
	// (CodeTooManySignatures), not verified, and Summarize does not count
	// them as failures.
	MaxSignatures int
	// MaxRSABits is the largest RSA key verified with (0:
	// dkimkey.MaxRSABits, 8192 bits). The signer chooses the key and the
	// verifier pays for its size, so a larger key is a permerror with code
	// key-too-large, whatever the signature.
	MaxRSABits int
}

// CodeTooManySignatures is the Code of a signature left unverified because
// the message has more than VerifyOptions.MaxSignatures signatures.
const CodeTooManySignatures = "too-many-signatures"

// Verifier verifies messages, sharing parsed keys between them. It is safe
// for concurrent use.
type Verifier struct {
	res   dns.Resolver
	opts  VerifyOptions
	cache keyCache
}

// NewVerifier returns a Verifier that fetches keys through res.
func NewVerifier(res dns.Resolver, opts VerifyOptions) *Verifier {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MinRSABits == 0 {
		opts.MinRSABits = 1024
	}
	if opts.MaxSignatures == 0 {
		opts.MaxSignatures = 16
	}
	if opts.MaxRSABits <= 0 {
		opts.MaxRSABits = dkimkey.MaxRSABits
	}
	return &Verifier{res: res, opts: opts}
}

// Verify verifies every DKIM-Signature of the message read from r, fetching
// keys through res. It reads the message once, holding only the header in
// memory. The error is non-nil only when the message cannot be read or is
// not a message (no header/body separator); signature problems are results.
// A message without signatures gives no results and no error.
func Verify(ctx context.Context, r io.Reader, res dns.Resolver, opts VerifyOptions) ([]SignatureResult, error) {
	return NewVerifier(res, opts).Verify(ctx, r)
}

type sigState struct {
	res   SignatureResult
	sig   *Signature
	field int // index of the DKIM-Signature field
	// unsignedA and unsignedB are the field before and after its b= value:
	// what the header hash covers of it.
	unsignedA, unsignedB string
	done                 bool // the result is final
	key                  *publicKey
	keyErr               error
	body                 *bodyHash
	sigv                 Signature // what sig points to
}

type bodyHash struct {
	h       hash.Hash
	counter *lengthCounter
	canon   *bodyCanonicalizer
	sum     []byte
}

// verifyScratch is what one verification needs and does not return,
// pooled: a small message then costs few allocations beyond its results
// (and the RSA operation's own).
type verifyScratch struct {
	cr      crlfReader
	br      *bufio.Reader
	header  headerScratch
	states  []sigState
	ptrs    []*sigState
	pending []*sigState
	tags    []tag
	// The body hash of the first (c=, hash, l=) group; others are
	// allocated.
	body    bodyHash
	counter lengthCounter
	canon   bodyCanonicalizer
	sha256  [2]hash.Hash // body, header
	sums    [2][sha256.Size]byte
	groups  []*bodyHash
	keys    []bodyGroupKey
	writers []io.Writer
}

type bodyGroupKey struct {
	canon, hash string
	length      int64
}

var verifyPool = sync.Pool{New: func() any {
	sc := &verifyScratch{br: bufio.NewReaderSize(nil, bufSize)}
	sc.cr.buf = getBuf()
	sc.canon.buf = getBuf()[:0]
	sc.sha256 = [2]hash.Hash{sha256.New(), sha256.New()}
	return sc
}}

// put clears what refers to the message and returns sc to the pool,
// unless a hostile message made it large.
func (sc *verifyScratch) put() {
	keep := sc.header.reset() && cap(sc.states) <= 64 && cap(sc.tags) <= 1024
	clear(sc.states)
	clear(sc.ptrs)
	clear(sc.pending)
	clear(sc.tags)
	clear(sc.groups)
	clear(sc.writers)
	sc.body, sc.counter = bodyHash{}, lengthCounter{}
	sc.cr = crlfReader{buf: sc.cr.buf}
	sc.canon = bodyCanonicalizer{buf: sc.canon.buf[:0]}
	sc.br.Reset(nil)
	if keep {
		verifyPool.Put(sc)
	}
}

// Verify verifies the message read from r; see the package-level Verify.
func (v *Verifier) Verify(ctx context.Context, r io.Reader) ([]SignatureResult, error) {
	sc := verifyPool.Get().(*verifyScratch)
	defer sc.put()
	sc.cr.r = r
	cr := &sc.cr
	br := sc.br
	br.Reset(cr)
	fields, _, err := sc.header.read(br)
	if err != nil {
		return nil, err
	}
	cr.passThrough() // the canonicalizers take bare LFs in the same pass
	now := v.opts.Now()
	// The states live in one slice, sized first so that pointers into it
	// stay valid.
	n := 0
	for _, f := range fields {
		if foldEqual(f.name, "DKIM-Signature") {
			n++
		}
	}
	if cap(sc.states) < n {
		sc.states = make([]sigState, n)
	}
	sc.states = sc.states[:n]
	states := sc.ptrs[:0]
	for i, f := range fields {
		if !foldEqual(f.name, "DKIM-Signature") {
			continue
		}
		st := &sc.states[len(states)]
		*st = sigState{field: i}
		states = append(states, st)
		colon := strings.IndexByte(f.raw, ':')
		value := strings.TrimSuffix(f.raw[colon+1:], crlf)
		st.sig = &st.sigv
		tags, err := parseSignatureTo(st.sig, sc.tags[:0], value, v.opts.AllowDrafts)
		if tags != nil {
			sc.tags = tags
		}
		sig := st.sig
		st.res = SignatureResult{
			Domain: sig.Domain, Selector: sig.Selector, Algorithm: sig.Algorithm,
			Canonicalization: sig.Canonicalization(), Identity: sig.Identity,
		}
		if len(states) > v.opts.MaxSignatures {
			// Parsed (so the report says whose it is), never verified.
			st.finish(Neutral, CodeTooManySignatures, fmt.Sprintf("not verified: the message has more than %d signatures", v.opts.MaxSignatures))
			continue
		}
		if err != nil {
			var se *SignatureError
			errors.As(err, &se)
			st.finish(se.Result, se.Code, se.Reason)
			continue
		}
		st.res.SignedHeaders = sig.Headers
		if sig.hasTimestamp {
			t := time.Unix(sig.Timestamp, 0).UTC()
			st.res.Signed = &t
		}
		if sig.hasExpiration {
			t := time.Unix(sig.Expiration, 0).UTC()
			st.res.Expires = &t
		}
		if sig.BodyLength >= 0 {
			l := sig.BodyLength
			st.res.BodyLength = &l
		}
		for _, t := range tags {
			if t.name == "b" {
				st.unsignedA, st.unsignedB = f.raw[:colon+1+t.start], f.raw[colon+1+t.end:]
				st.res.SignaturePrefix = prefixNoFWS(t.value, 8)
			}
		}
		if sig.expired(now) {
			st.finish(Permerror, "expired", fmt.Sprintf("the signature expired at %s (x=%d)", st.res.Expires.Format(time.RFC3339), sig.Expiration))
			continue
		}
	}
	sc.ptrs = states
	if len(states) == 0 {
		_, err := io.Copy(io.Discard, br)
		return nil, wrapRead(err)
	}

	// Fetch the keys while the body is read; a lone key is fetched first,
	// without a goroutine (with a cache, it is usually answered at once).
	wg := noWait
	pending := sc.pending[:0]
	for _, st := range states {
		if !st.done {
			pending = append(pending, st)
		}
	}
	sc.pending = pending
	if len(pending) == 1 {
		v.fetch(ctx, pending[0])
	} else {
		wg = new(sync.WaitGroup)
		for _, st := range pending {
			wg.Add(1)
			go func(st *sigState) {
				defer wg.Done()
				v.fetch(ctx, st)
			}(st)
		}
	}

	// One canonicalizer and hash per (c=, hash, l=) in use; the first
	// is the scratch's.
	keys, groups, writers := sc.keys[:0], sc.groups[:0], sc.writers[:0]
	for _, st := range states {
		if st.done {
			continue
		}
		k := bodyGroupKey{st.sig.BodyCanon, st.sig.HashAlgorithm, st.sig.BodyLength}
		var bh *bodyHash
		for g, gk := range keys {
			if gk == k {
				bh = groups[g]
				break
			}
		}
		if bh == nil {
			if len(groups) == 0 && k.hash == "sha256" {
				bh = &sc.body
				bh.h = sc.sha256[0]
				bh.h.Reset()
				sc.counter = lengthCounter{w: bh.h, limit: k.length}
				bh.counter = &sc.counter
				sc.canon = bodyCanonicalizer{w: bh.counter, relaxed: k.canon == "relaxed", buf: sc.canon.buf[:0], bareLF: true}
				bh.canon = &sc.canon
			} else {
				bh = &bodyHash{h: newHash(k.hash)}
				bh.counter = &lengthCounter{w: bh.h, limit: k.length}
				bh.canon = newRawBodyCanonicalizer(bh.counter, k.canon)
			}
			keys = append(keys, k)
			groups = append(groups, bh)
			writers = append(writers, bh.canon)
		}
		st.body = bh
	}
	sc.keys, sc.groups, sc.writers = keys, groups, writers
	var w io.Writer = io.Discard
	switch len(writers) {
	case 0:
	case 1:
		w = writers[0]
	default:
		w = io.MultiWriter(writers...)
	}
	_, copyErr := io.Copy(w, br)
	wg.Wait()
	release := func() {
		for _, bh := range groups {
			if bh.canon != &sc.canon {
				bh.canon.release()
			}
		}
	}
	if copyErr != nil {
		release()
		return nil, wrapRead(copyErr)
	}
	for _, bh := range groups {
		err := bh.canon.Close()
		if err != nil {
			release()
			return nil, wrapRead(err)
		}
		if bh == &sc.body {
			bh.sum = bh.h.Sum(sc.sums[0][:0])
		} else {
			bh.sum = bh.h.Sum(nil)
		}
	}
	release()

	out := make([]SignatureResult, 0, len(states))
	for _, st := range states {
		if !st.done {
			v.check(st, fields, sc)
		}
		out = append(out, st.res)
	}
	return out, nil
}

// noWait is the WaitGroup of a verification without key-fetching
// goroutines: nothing to wait for, and none allocated.
var noWait = new(sync.WaitGroup)

// fetch fetches the key of st.
func (v *Verifier) fetch(ctx context.Context, st *sigState) {
	st.key, st.res.KeyName, st.keyErr = fetchKey(ctx, v.res, &v.cache, st.sig.Domain, st.sig.Selector)
}

func wrapRead(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("dkim: reading the message: %w", err)
}

func newHash(name string) hash.Hash {
	if name == "sha1" {
		return sha1.New()
	}
	return sha256.New()
}

func (st *sigState) finish(result, code, reason string) {
	st.res.Result, st.res.Code, st.res.Reason = result, code, reason
	st.done = true
}

// check completes one signature once its key and body hash are known.
func (v *Verifier) check(st *sigState, fields []headerField, sc *verifyScratch) {
	sig := st.sig
	if st.keyErr != nil {
		var ke *keyError
		var te *tempError
		switch {
		case errors.As(st.keyErr, &te):
			st.finish(Temperror, "dns-error", fmt.Sprintf("the key %s could not be fetched: %v", st.res.KeyName, te.err))
		case errors.As(st.keyErr, &ke):
			st.finish(Permerror, ke.code, ke.reason)
		default:
			st.finish(Permerror, "key-syntax", st.keyErr.Error())
		}
		return
	}
	key := st.key
	st.res.KeyType, st.res.KeyBits = key.Type, key.Bits
	st.res.Testing = key.hasFlag("y")
	if key.Type != sig.KeyAlgorithm {
		st.finish(Permerror, "key-mismatch", fmt.Sprintf("the signature is %s but the key at %s is k=%s", sig.Algorithm, st.res.KeyName, key.Type))
		return
	}
	if key.Hashes != nil && !contains(key.Hashes, sig.HashAlgorithm) {
		st.finish(Permerror, "hash-not-allowed", fmt.Sprintf("the key allows h=%s only, the signature uses %s", strings.Join(key.Hashes, ":"), sig.HashAlgorithm))
		return
	}
	if key.Services != nil && !contains(key.Services, "*") && !contains(key.Services, "email") {
		st.finish(Permerror, "service-not-allowed", fmt.Sprintf("the key is for s=%s, not for email", strings.Join(key.Services, ":")))
		return
	}
	if key.Type == "rsa" && key.Bits > v.opts.MaxRSABits {
		st.finish(Permerror, "key-too-large", fmt.Sprintf("the RSA key at %s is %d bits; keys over %d bits are not verified (they cost the verifier more, the signer chooses them, and RFC 8301 only requires verifiers to handle up to %d): publish a 2048-bit key", st.res.KeyName, key.Bits, v.opts.MaxRSABits, dkimkey.MaxInteropRSABits))
		return
	}
	if key.hasFlag("s") && sig.identityExplicit {
		at := strings.LastIndexByte(sig.Identity, '@')
		if !strings.EqualFold(sig.Identity[at+1:], sig.Domain) {
			st.finish(Permerror, "identity-mismatch", fmt.Sprintf("the key has t=s, so i= must be in d=%s itself, not in %s", sig.Domain, sig.Identity[at+1:]))
			return
		}
	}

	bh := st.body
	if sig.BodyLength >= 0 && sig.BodyLength > bh.counter.n {
		st.finish(Fail, "body-length", fmt.Sprintf("l=%d is longer than the canonical body (%d octets): the body was shortened", sig.BodyLength, bh.counter.n))
		return
	}
	if subtle.ConstantTimeCompare(bh.sum, sig.BodyHash) != 1 {
		st.finish(Fail, "body-hash-mismatch", "body hash mismatch: the body was changed after signing (bh= does not match)")
		return
	}

	if key.Type == "rsa" && key.Bits < v.opts.MinRSABits {
		st.finish(Policy, "weak-key", fmt.Sprintf("the RSA key is %d bits; RFC 8301 forbids trusting keys under %d bits (publish a 2048-bit key)", key.Bits, v.opts.MinRSABits))
		return
	}

	var h hash.Hash
	var digest []byte
	if sig.HashAlgorithm == "sha256" {
		h = sc.sha256[1]
		h.Reset()
		headerHash2(h, fields, sig.Headers, st.unsignedA, st.unsignedB, sig.HeaderCanon, st.field)
		digest = h.Sum(sc.sums[1][:0])
	} else {
		h = newHash(sig.HashAlgorithm)
		headerHash2(h, fields, sig.Headers, st.unsignedA, st.unsignedB, sig.HeaderCanon, st.field)
		digest = h.Sum(nil)
	}

	var verr error
	switch pub := key.Key.(type) {
	case *rsa.PublicKey:
		hid := crypto.SHA256
		if sig.HashAlgorithm == "sha1" {
			hid = crypto.SHA1
		}
		verr = rsa.VerifyPKCS1v15(pub, hid, digest, sig.Data)
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, digest, sig.Data) {
			verr = errors.New("ed25519: invalid signature")
		}
	}
	if verr != nil {
		st.finish(Fail, "signature-mismatch", "signature mismatch: a signed header field was changed after signing, or the key does not match (b= does not verify)")
		return
	}

	// The signature is cryptographically valid; local policy may still
	// refuse it.
	switch {
	case sig.HashAlgorithm == "sha1" && !v.opts.AllowSHA1:
		st.finish(Policy, "sha1", "the signature verifies, but it uses rsa-sha1, which RFC 8301 forbids verifiers to trust")
	case sig.BodyLength >= 0 && bh.counter.n > sig.BodyLength:
		st.finish(Policy, "body-length", fmt.Sprintf("the signature verifies, but l=%d leaves %d octets of the body unsigned: content may have been appended", sig.BodyLength, bh.counter.n-sig.BodyLength))
	default:
		reason := ""
		code := "pass"
		if sig.BodyLength >= 0 {
			reason = fmt.Sprintf("l=%d present; it covers the whole body", sig.BodyLength)
		}
		if st.res.Testing {
			reason = strings.TrimPrefix(reason+"; the key is in testing mode (t=y)", "; ")
		}
		st.finish(Pass, code, reason)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// base64Std is shared by sign and verify.
var base64Std = base64.StdEncoding
