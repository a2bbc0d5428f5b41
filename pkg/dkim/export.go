package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// This file exports the building blocks of DKIM that other signature
// schemes built on it reuse (ARC, RFC 8617: its ARC-Message-Signature is a
// DKIM signature under another name, and its ARC-Seal a DKIM-style
// signature over header fields only). They are the same code paths Verify
// and Sign use, so both schemes canonicalize, select header fields and
// fetch keys identically.

// Name returns the field's name as written (without trailing whitespace).
func (f Field) Name() string { return f.name }

// Raw returns the whole field: name, colon, value, folds and the final
// CRLF (line ends are CRLF whatever the input used).
func (f Field) Raw() string { return f.raw }

// Value returns what follows the colon, without the final CRLF.
func (f Field) Value() string {
	colon := strings.IndexByte(f.raw, ':')
	return strings.TrimSuffix(f.raw[colon+1:], crlf)
}

// ReadMessage reads the header section of a message from r and calls fn
// with its fields, in order, and a reader of the body, which fn may read to
// its end. Bare LF line ends are read as CRLF. The header section is
// limited to MaxHeaderSize octets; a message that ends after its header has
// an empty body. The error is fn's, or one about reading the message: it
// wraps ErrEmptyMessage for an empty input and ErrNoSeparator when a line
// of the header section is not a header field.
func ReadMessage(r io.Reader, fn func(fields []Field, body io.Reader) error) error {
	cr, ok := r.(*crlfReader)
	if !ok {
		cr = newCRLFReader(r)
		defer cr.release()
	}
	br := getBufio(cr)
	defer putBufio(br)
	fields, _, err := readHeader(br)
	if err != nil {
		return err
	}
	return fn(fields, br)
}

// AppendCanonicalHeader appends to dst the canonical form of one header
// field (as Field.Raw gives it) for canon "simple" or "relaxed" (RFC 6376
// §3.4.1, §3.4.2), final CRLF included.
func AppendCanonicalHeader(dst []byte, field, canon string) []byte {
	return appendCanonicalHeader(dst, field, canon)
}

// HashHeaders writes to h what the header hash of a DKIM signature covers
// (RFC 6376 §3.7): the fields named in names, each occurrence of a name
// taking the next field of that name from the bottom up (§5.4.2; names with
// no field left contribute nothing), then sigField, the signature's own
// field with its b= value emptied, without its final CRLF; all in canonical
// form for canon. The field at index skip (the signature being verified;
// -1 for none) is never picked.
func HashHeaders(h hash.Hash, fields []Field, names []string, skip int, sigField, canon string) {
	headerHash(h, fields, names, sigField, canon, skip)
}

// BodyHasher canonicalizes a message body as it is written (CRLF line
// ends) and hashes it, as the bh= tag of a DKIM signature is computed (RFC
// 6376 §3.4.3, §3.4.4, §3.7).
type BodyHasher struct {
	b      *bodyHash
	closed bool
}

// NewBodyHasher returns a BodyHasher for canon ("simple" or "relaxed") and
// hashAlg ("sha256" or "sha1") that hashes at most limit octets of the
// canonical body (all of it when limit < 0, as without an l= tag).
func NewBodyHasher(canon, hashAlg string, limit int64) (*BodyHasher, error) {
	if canon != "simple" && canon != "relaxed" {
		return nil, fmt.Errorf("dkim: unknown body canonicalization %q (want simple or relaxed)", canon)
	}
	if hashAlg != "sha256" && hashAlg != "sha1" {
		return nil, fmt.Errorf("dkim: unknown hash algorithm %q (want sha256 or sha1)", hashAlg)
	}
	bh := &bodyHash{h: newHash(hashAlg)}
	bh.counter = &lengthCounter{w: bh.h, limit: limit}
	bh.canon = newBodyCanonicalizer(bh.counter, canon)
	return &BodyHasher{b: bh}, nil
}

// Write canonicalizes and hashes the next part of the body.
func (h *BodyHasher) Write(p []byte) (int, error) {
	if h.closed {
		return 0, errors.New("dkim: write to a closed BodyHasher")
	}
	return h.b.canon.Write(p)
}

// Close ends the body: the canonical end of the body is hashed and Sum
// becomes valid. It must be called once the body is written, also on an
// error path (it returns a pooled buffer).
func (h *BodyHasher) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	err := h.b.canon.Close()
	h.b.canon.release()
	h.b.sum = h.b.h.Sum(nil)
	return err
}

// Sum returns the body hash, after Close.
func (h *BodyHasher) Sum() []byte { return h.b.sum }

// Length returns the length of the canonical body seen so far, all of it
// even beyond the limit (compare it with an l= value).
func (h *BodyHasher) Length() int64 { return h.b.counter.n }

// PublicKey is a DKIM public key taken from a key record (RFC 6376
// §3.6.1, RFC 8463).
type PublicKey struct {
	// Name is the DNS name the record was fetched from.
	Name string
	// Type is "rsa" or "ed25519"; Key is *rsa.PublicKey or
	// ed25519.PublicKey; Bits is the RSA modulus size (256 for Ed25519).
	Type string
	Key  crypto.PublicKey
	Bits int
	// HashAlgs is h= (nil: any), Services is s= (nil: any), Flags is t=.
	HashAlgs []string
	Services []string
	Flags    []string
	// Record is the TXT record as published.
	Record string
}

// KeyError says why a key could not be had. Code is one of key-not-found,
// key-syntax, key-unsupported, key-revoked and dns-error, as in
// SignatureResult.Code; Temporary is set for DNS failures that may pass
// (timeout, SERVFAIL), with the cause in Err.
type KeyError struct {
	Name      string
	Code      string
	Reason    string
	Temporary bool
	Err       error
}

func (e *KeyError) Error() string { return "dkim: " + e.Reason }

// Unwrap returns the DNS error of a temporary failure.
func (e *KeyError) Unwrap() error { return e.Err }

// LookupKey fetches and parses the key published at
// selector._domainkey.domain through res, as Verify does: NXDOMAIN, no TXT
// record, an unusable or revoked key are permanent *KeyErrors; a DNS
// failure that may pass is a *KeyError with Temporary set.
func LookupKey(ctx context.Context, res dns.Resolver, domain, selector string) (*PublicKey, error) {
	k, name, err := fetchKey(ctx, res, nil, domain, selector)
	if err != nil {
		var ke *keyError
		var te *tempError
		switch {
		case errors.As(err, &te):
			return nil, &KeyError{Name: name, Code: "dns-error", Reason: fmt.Sprintf("the key %s could not be fetched: %v", name, te.err), Temporary: true, Err: te.err}
		case errors.As(err, &ke):
			return nil, &KeyError{Name: name, Code: ke.code, Reason: ke.reason}
		}
		return nil, &KeyError{Name: name, Code: "key-syntax", Reason: err.Error()}
	}
	return &PublicKey{
		Name: name, Type: k.Type, Key: k.Key, Bits: k.Bits,
		HashAlgs: k.Hashes, Services: k.Services, Flags: k.Flags, Record: k.Record,
	}, nil
}

// Prepend reads the message from r, lets compute read it (bare LF line ends
// read as CRLF) and return header fields (name, value, final CRLF), and
// writes those fields followed by the message as it was read to w. The new
// fields end their lines as the message does. Memory stays bounded as for
// Sign: a regular file is read twice, anything else is spooled to a
// temporary file past 4 MiB. Nothing is written to w unless compute
// succeeds.
func Prepend(w io.Writer, r io.Reader, compute func(msg io.Reader) ([]string, error)) error {
	return prepend(w, r, func(cr *crlfReader) ([]string, error) { return compute(cr) })
}

// SignerAlgorithm returns the key algorithm of a signing key as the a= tag
// names it ("rsa" or "ed25519"), and an error, without a package prefix, for
// a key no DKIM verifier accepts: RSA under 1024 bits (RFC 8301 §3.2), or
// another type. Sign and the ARC sealer check their keys with it.
func SignerAlgorithm(s crypto.Signer) (string, error) {
	switch pub := s.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 1024 {
			return "", fmt.Errorf("the RSA key is %d bits; RFC 8301 requires at least 1024 (use 2048)", pub.N.BitLen())
		}
		return "rsa", nil
	case ed25519.PublicKey:
		return "ed25519", nil
	default:
		return "", fmt.Errorf("unsupported key type %T: want RSA or Ed25519", pub)
	}
}
