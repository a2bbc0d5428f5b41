package arc

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/penguinmails/emailauth/pkg/dkim"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// Results of one ARC signature (an ARC-Seal or an ARC-Message-Signature),
// as for a DKIM signature (RFC 8601 §2.7.1).
const (
	SigPass      = "pass"
	SigFail      = "fail"      // the signature or body hash does not match
	SigPolicy    = "policy"    // it may verify, but local policy refuses it (weak key)
	SigPermerror = "permerror" // malformed, key missing or unusable, expired
	SigTemperror = "temperror" // the key could not be fetched
)

// ValidateOptions tune validation.
type ValidateOptions struct {
	// Now is the clock x= is checked against; time.Now when nil.
	Now func() time.Time
	// MinRSABits is the smallest RSA key trusted (0: 1024, the floor of
	// RFC 8301 §3.2); a signature with a smaller key fails the chain.
	MinRSABits int
	// KeyLookups bounds the keys fetched at once (0: 8).
	KeyLookups int
}

// Validator validates ARC chains, fetching keys through a dns.Resolver. It
// is safe for concurrent use.
type Validator struct {
	res  dns.Resolver
	opts ValidateOptions
}

// NewValidator returns a Validator that fetches keys through res.
func NewValidator(res dns.Resolver, opts ValidateOptions) *Validator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MinRSABits == 0 {
		opts.MinRSABits = 1024
	}
	if opts.KeyLookups <= 0 {
		opts.KeyLookups = 8
	}
	return &Validator{res: res, opts: opts}
}

// SignatureResult is the outcome of verifying one ARC-Seal or
// ARC-Message-Signature.
type SignatureResult struct {
	Domain    string `json:"domain,omitempty"`    // d=
	Selector  string `json:"selector,omitempty"`  // s=
	Algorithm string `json:"algorithm,omitempty"` // a=
	// Result is pass, fail, policy, permerror or temperror; empty when the
	// signature was not verified (validation stopped before it, or the
	// field is missing).
	Result string `json:"result,omitempty"`
	// Code names the reason in a stable way, as dkim.SignatureResult.Code
	// does: pass, body-hash-mismatch, signature-mismatch, key-not-found,
	// weak-key, malformed, ...
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// KeyName is the DNS name the key was fetched from.
	KeyName string `json:"key_name,omitempty"`
	KeyType string `json:"key_type,omitempty"`
	KeyBits int    `json:"key_bits,omitempty"`
	// Signed is t=, when present.
	Signed *time.Time `json:"signed,omitempty"`
}

// SetResult is what was found about one ARC set.
type SetResult struct {
	Instance int `json:"instance"`
	// ChainValidation is the seal's cv= value.
	ChainValidation string `json:"cv,omitempty"`
	// AuthServID and AuthResults are the ARC-Authentication-Results
	// payload: the authserv-id and the resinfos as written.
	AuthServID       string          `json:"authserv_id,omitempty"`
	AuthResults      string          `json:"auth_results,omitempty"`
	Seal             SignatureResult `json:"seal"`
	MessageSignature SignatureResult `json:"message_signature"`
}

// Result is the validation of a message's ARC chain (RFC 8617 §5.2).
type Result struct {
	// Result is none (no ARC header field), pass, fail, or temperror (a
	// key could not be fetched; RFC 8617 knows only none, pass and fail,
	// and a receiver should retry rather than conclude).
	Result string `json:"result"`
	// Code names why, in a stable way: no-chain, pass, too-many-sets,
	// cv-fail-upstream, broken-structure, cv-invalid, or the Code of the
	// signature that failed (body-hash-mismatch, signature-mismatch,
	// key-not-found, weak-key, malformed, dns-error, ...).
	Code string `json:"code"`
	// Reason says why, in words, naming the set.
	Reason string `json:"reason,omitempty"`
	// Instance is the highest instance of the chain (N); 0 without one.
	Instance int `json:"instance"`
	// FailedInstance is the set whose problem decided a fail or temperror
	// result; 0 when no single set did (too many sets, gaps).
	FailedInstance int `json:"failed_instance,omitempty"`
	// OldestPass is the registry's header.oldest-pass (RFC 8617 §5.2 step
	// 5): for a passing chain, the instance of the oldest set whose
	// ARC-Message-Signature still verifies, or 0 when they all do.
	OldestPass int `json:"oldest_pass"`
	// Sets holds one entry per instance found, oldest first.
	Sets []SetResult `json:"sets"`

	spec *finding.Spec // the finding a fail or temperror result gives
}

// Validate validates the ARC chain of the message read from r, fetching
// keys through res. See Validator.Validate.
func Validate(ctx context.Context, r io.Reader, res dns.Resolver, opts ValidateOptions) (*Result, error) {
	return NewValidator(res, opts).Validate(ctx, r)
}

// Validate validates the ARC chain of the message read from r (RFC 8617
// §5.2). It reads the message once, holding only its header in memory. The
// error is non-nil only when the message cannot be read or is not a
// message (a header line that is not a field); chain problems are results.
// An empty input has no chain (none).
func (v *Validator) Validate(ctx context.Context, r io.Reader) (*Result, error) {
	var res *Result
	err := dkim.ReadMessage(r, func(fields []dkim.Field, body io.Reader) error {
		c := v.examine(fields)
		hashers, err := c.hashBody(body, nil)
		if err != nil {
			return err
		}
		v.finish(ctx, c, hashers)
		res = c.res
		return nil
	})
	if errors.Is(err, dkim.ErrEmptyMessage) {
		return &Result{Result: None, Code: "no-chain", Reason: "the message is empty", Sets: []SetResult{}, spec: FindNoChain}, nil
	}
	if err != nil {
		var re *readError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, wrapDKIMErr(err)
	}
	return res, nil
}

// wrapDKIMErr gives an error from pkg/dkim's reader this package's prefix.
func wrapDKIMErr(err error) error {
	msg := strings.TrimPrefix(err.Error(), "dkim: ")
	return &readError{msg: "arc: " + msg, err: err}
}

type readError struct {
	msg string
	err error
}

func (e *readError) Error() string { return e.msg }
func (e *readError) Unwrap() error { return e.err }

// arcField is one ARC header field of the message.
type arcField struct {
	index int // in the message's fields
	kind  string
	raw   string
	value string
}

// set is one ARC set, as found.
type set struct {
	instance int
	aar      *arcField
	ams      *arcField
	as       *arcField
	aarP     *AuthResults
	amsP     *MessageSignature
	asP      *Seal
	aarErr   error
	amsErr   error
	asErr    error
	amsTags  dkimkey.TagList
	asTags   dkimkey.TagList
}

// chain is a validation in progress.
type chain struct {
	fields []dkim.Field
	sets   []*set // sets[i-1] is instance i
	res    *Result
	done   bool // res is final
}

// examine runs the steps of RFC 8617 §5.2 that need no key: it collects
// the sets, checks the limit, the newest cv=, the structure and the cv=
// progression, and parses every field.
func (v *Validator) examine(fields []dkim.Field) *chain {
	c := &chain{fields: fields, res: &Result{Sets: []SetResult{}}}
	var arcFields []*arcField
	total := 0
	for i, f := range fields {
		kind := ""
		switch {
		case strings.EqualFold(f.Name(), SealField):
			kind = SealField
		case strings.EqualFold(f.Name(), MessageSignatureField):
			kind = MessageSignatureField
		case strings.EqualFold(f.Name(), AuthResultsField):
			kind = AuthResultsField
		default:
			continue
		}
		total++
		if total > 3*MaxInstance {
			// Bound the work before parsing anything more.
			c.failChain("too-many-sets", FindTooManySets, 0, "the message has more than %d ARC header fields, so more than %d sets (RFC 8617 §5.2 step 1)", 3*MaxInstance, MaxInstance)
			return c
		}
		arcFields = append(arcFields, &arcField{index: i, kind: kind, raw: f.Raw(), value: f.Value()})
	}
	if len(arcFields) == 0 {
		c.res.Result, c.res.Code, c.res.Reason, c.res.spec = None, "no-chain", "the message has no ARC header fields", FindNoChain
		c.done = true
		return c
	}

	// Group the fields by instance.
	byInstance := map[int]*set{}
	highest := 0
	var structural []string
	for _, af := range arcFields {
		n, err := instanceOf(af.kind, af.value)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) && pe.Code == "bad-instance" {
				structural = append(structural, strings.TrimPrefix(err.Error(), "arc: "))
				continue
			}
			structural = append(structural, fmt.Sprintf("%s: the instance cannot be read: %s", af.kind, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "arc: "), af.kind+": ")))
			continue
		}
		s := byInstance[n]
		if s == nil {
			s = &set{instance: n}
			byInstance[n] = s
		}
		if n > highest {
			highest = n
		}
		slot := &s.as
		switch af.kind {
		case MessageSignatureField:
			slot = &s.ams
		case AuthResultsField:
			slot = &s.aar
		}
		if *slot != nil {
			structural = append(structural, fmt.Sprintf("set i=%d has more than one %s", n, af.kind))
			continue
		}
		*slot = af
	}
	c.res.Instance = highest

	// Step 2: the newest seal says the chain already failed.
	if s := byInstance[highest]; s != nil && s.as != nil {
		if seal, err := ParseSeal(s.as.value); err == nil && seal.ChainValidation == Fail {
			c.sets = orderSets(byInstance, highest)
			c.fillSetResults()
			c.failChain("cv-fail-upstream", FindChainFailedUpstream, highest, "the newest ARC-Seal (i=%d, d=%s) says cv=fail: an earlier intermediary found the chain broken (RFC 8617 §5.2 step 2)", highest, seal.Domain)
			return c
		}
	}

	// Step 3: structure.
	for i := 1; i <= highest; i++ {
		s := byInstance[i]
		if s == nil {
			structural = append(structural, fmt.Sprintf("there is no ARC set i=%d (the instances must run from 1 to %d without a gap)", i, highest))
			continue
		}
		var missing []string
		if s.aar == nil {
			missing = append(missing, AuthResultsField)
		}
		if s.ams == nil {
			missing = append(missing, MessageSignatureField)
		}
		if s.as == nil {
			missing = append(missing, SealField)
		}
		if len(missing) > 0 {
			structural = append(structural, fmt.Sprintf("set i=%d has no %s", i, strings.Join(missing, " and no ")))
		}
	}
	c.sets = orderSets(byInstance, highest)
	c.parseSets()
	c.fillSetResults()
	if len(structural) > 0 {
		failed := 0
		if len(structural) == 1 {
			failed = firstInstance(byInstance, highest, structural[0])
		}
		c.failChain("broken-structure", FindStructure, failed, "%s (RFC 8617 §5.2 step 3)", strings.Join(structural, "; "))
		return c
	}

	// A set whose seal or AAR cannot be parsed fails the chain: every seal
	// must verify, and each covers every AAR.
	for _, s := range c.sets {
		if s.aarErr != nil {
			c.failField(s, AuthResultsField, s.aarErr)
			return c
		}
		if s.asErr != nil {
			c.failField(s, SealField, s.asErr)
			return c
		}
	}
	// Step 3.3: cv= progression.
	for _, s := range c.sets {
		want := Pass
		if s.instance == 1 {
			want = None
		}
		if s.asP.ChainValidation != want {
			which := "the first set"
			if s.instance > 1 {
				which = "every set after the first"
			}
			c.failChain("cv-invalid", FindCVInvalid, s.instance, "the ARC-Seal i=%d says cv=%s; %s must say cv=%s (RFC 8617 §5.2 step 3)", s.instance, s.asP.ChainValidation, which, want)
			return c
		}
	}
	return c
}

// firstInstance guesses the set a single structural problem is about.
func firstInstance(by map[int]*set, highest int, msg string) int {
	for i := 1; i <= highest; i++ {
		if strings.Contains(msg, fmt.Sprintf("i=%d ", i)) {
			return i
		}
	}
	return 0
}

func orderSets(by map[int]*set, highest int) []*set {
	out := make([]*set, 0, highest)
	for i := 1; i <= highest; i++ {
		if s := by[i]; s != nil {
			out = append(out, s)
		}
	}
	return out
}

// parseSets parses every field of the sets.
func (c *chain) parseSets() {
	for _, s := range c.sets {
		if s.aar != nil {
			s.aarP, s.aarErr = ParseAuthResults(s.aar.value)
		}
		if s.ams != nil {
			s.amsP, s.amsErr = ParseMessageSignature(s.ams.value)
			s.amsTags, _ = dkimkey.ParseTagList(s.ams.value)
		}
		if s.as != nil {
			s.asP, s.asErr = ParseSeal(s.as.value)
			s.asTags, _ = dkimkey.ParseTagList(s.as.value)
		}
	}
}

// fillSetResults records what the fields say, before any verification.
func (c *chain) fillSetResults() {
	c.res.Sets = make([]SetResult, 0, len(c.sets))
	for _, s := range c.sets {
		sr := SetResult{Instance: s.instance}
		if s.aar != nil && s.aarP == nil {
			s.aarP, _ = ParseAuthResults(s.aar.value)
		}
		if s.aarP != nil {
			sr.AuthServID, sr.AuthResults = s.aarP.AuthServID, s.aarP.Results
		}
		if s.as != nil && s.asP == nil && s.asErr == nil {
			s.asP, s.asErr = ParseSeal(s.as.value)
		}
		if s.asP != nil {
			sr.ChainValidation = s.asP.ChainValidation
			sr.Seal = SignatureResult{Domain: s.asP.Domain, Selector: s.asP.Selector, Algorithm: s.asP.Algorithm, Signed: unixTime(s.asP.Timestamp)}
		}
		if s.asErr != nil {
			sr.Seal.Result, sr.Seal.Code, sr.Seal.Reason = SigPermerror, errorCode(s.asErr), trimErr(s.asErr)
		}
		if s.ams != nil && s.amsP == nil && s.amsErr == nil {
			s.amsP, s.amsErr = ParseMessageSignature(s.ams.value)
		}
		if s.amsP != nil {
			sr.MessageSignature = SignatureResult{Domain: s.amsP.Domain, Selector: s.amsP.Selector, Algorithm: s.amsP.Algorithm, Signed: unixTime(s.amsP.Timestamp)}
		}
		if s.amsErr != nil {
			sr.MessageSignature.Result, sr.MessageSignature.Code, sr.MessageSignature.Reason = SigPermerror, errorCode(s.amsErr), trimErr(s.amsErr)
		}
		c.res.Sets = append(c.res.Sets, sr)
	}
}

func unixTime(t int64) *time.Time {
	if t == 0 {
		return nil
	}
	u := time.Unix(t, 0).UTC()
	return &u
}

func trimErr(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return strings.TrimPrefix(err.Error(), "arc: ")
}

// failChain ends the validation with fail (or temperror for a transient
// finding).
func (c *chain) failChain(code string, spec *finding.Spec, instance int, format string, args ...any) {
	c.res.Result = Fail
	if spec.Transient {
		c.res.Result = Temperror
	}
	c.res.Code = code
	c.res.spec = spec
	c.res.FailedInstance = instance
	c.res.Reason = fmt.Sprintf(format, args...)
	c.done = true
}

// failField fails the chain on a field of set s that cannot be parsed.
func (c *chain) failField(s *set, kind string, err error) {
	code := errorCode(err)
	spec := FindMalformed
	if code == "unsupported-algorithm" {
		spec = FindUnsupportedAlgorithm
	}
	c.failChain(code, spec, s.instance, "the %s of set i=%d is unusable: %s", kind, s.instance, trimErr(err))
}

// bodyKey identifies one body hash: canonicalization and length limit (all
// ARC algorithms hash with SHA-256).
type bodyKey struct {
	canon string
	limit int64
}

// hashBody reads the body through one hasher per body hash the chain's
// message signatures need, plus extra (for a seal being made). Without a
// chain to verify it only drains the body.
func (c *chain) hashBody(body io.Reader, extra *bodyKey) (map[bodyKey]*dkim.BodyHasher, error) {
	keys := map[bodyKey]bool{}
	if !c.done {
		for _, s := range c.sets {
			if s.amsP != nil && s.amsErr == nil {
				keys[bodyKey{s.amsP.BodyCanon, s.amsP.BodyLength}] = true
			}
		}
	}
	if extra != nil {
		keys[*extra] = true
	}
	hashers := map[bodyKey]*dkim.BodyHasher{}
	var writers []io.Writer
	for k := range keys {
		h, err := dkim.NewBodyHasher(k.canon, "sha256", k.limit)
		if err != nil {
			return nil, err
		}
		hashers[k] = h
		writers = append(writers, h)
	}
	var w io.Writer = io.Discard
	switch len(writers) {
	case 0:
	case 1:
		w = writers[0]
	default:
		w = io.MultiWriter(writers...)
	}
	_, err := io.Copy(w, body)
	for _, h := range hashers {
		if cerr := h.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, &readError{msg: "arc: reading the message: " + err.Error(), err: err}
	}
	return hashers, nil
}

// keyResult is a fetched key or why there is none.
type keyResult struct {
	key *dkim.PublicKey
	err error
}

// fetchKeys fetches the distinct keys of the chain's signatures, a few at
// a time.
func (v *Validator) fetchKeys(ctx context.Context, c *chain) map[string]*keyResult {
	out := map[string]*keyResult{}
	type ds struct{ d, s string }
	var todo []ds
	add := func(d, s string) {
		k := strings.ToLower(s + "._domainkey." + d)
		if _, ok := out[k]; !ok {
			out[k] = &keyResult{}
			todo = append(todo, ds{d, s})
		}
	}
	for _, s := range c.sets {
		if s.asP != nil && s.asErr == nil {
			add(s.asP.Domain, s.asP.Selector)
		}
		if s.amsP != nil && s.amsErr == nil {
			add(s.amsP.Domain, s.amsP.Selector)
		}
	}
	if len(todo) == 1 {
		k := todo[0]
		kr := out[strings.ToLower(k.s+"._domainkey."+k.d)]
		kr.key, kr.err = dkim.LookupKey(ctx, v.res, k.d, k.s)
		return out
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, v.opts.KeyLookups)
	for _, k := range todo {
		kr := out[strings.ToLower(k.s+"._domainkey."+k.d)]
		wg.Add(1)
		sem <- struct{}{}
		go func(d, s string) {
			defer wg.Done()
			defer func() { <-sem }()
			kr.key, kr.err = dkim.LookupKey(ctx, v.res, d, s)
		}(k.d, k.s)
	}
	wg.Wait()
	return out
}

func keyFor(keys map[string]*keyResult, d, s string) *keyResult {
	return keys[strings.ToLower(s+"._domainkey."+d)]
}

// finish runs the steps that need keys: the newest message signature
// (step 4), the older ones for oldest-pass (step 5), and every seal (step
// 6). Every signature that can be verified is, for the report; the result
// follows the order of the RFC.
func (v *Validator) finish(ctx context.Context, c *chain, hashers map[bodyKey]*dkim.BodyHasher) {
	if c.done {
		return
	}
	keys := v.fetchKeys(ctx, c)
	now := v.opts.Now()
	n := len(c.sets)

	amsOK := make([]bool, n)
	for i := n - 1; i >= 0; i-- {
		s := c.sets[i]
		sr := &c.res.Sets[i].MessageSignature
		if s.amsP == nil || s.amsErr != nil {
			continue
		}
		v.verifyAMS(c, s, sr, keys, hashers, now)
		amsOK[i] = sr.Result == SigPass
	}
	asOK := make([]bool, n)
	for i := n - 1; i >= 0; i-- {
		sr := &c.res.Sets[i].Seal
		v.verifyAS(c, i, sr, keys)
		asOK[i] = sr.Result == SigPass
	}

	// Step 4: the newest message signature.
	if !amsOK[n-1] {
		c.failSignature(c.sets[n-1], MessageSignatureField, c.res.Sets[n-1].MessageSignature)
		return
	}
	// Step 6: every seal, newest first.
	for i := n - 1; i >= 0; i-- {
		if !asOK[i] {
			c.failSignature(c.sets[i], SealField, c.res.Sets[i].Seal)
			return
		}
	}
	// Step 5: oldest-pass, the oldest set of the unbroken run of verifying
	// message signatures from the newest down; 0 when they all verify.
	c.res.OldestPass = 0
	for i := n - 2; i >= 0; i-- {
		if !amsOK[i] {
			c.res.OldestPass = i + 2
			break
		}
	}
	c.res.Result, c.res.Code = Pass, "pass"
	c.res.Reason = fmt.Sprintf("%d ARC set(s) validate; the newest was sealed by %s", n, c.sets[n-1].asP.Domain)
	if c.res.OldestPass > 0 {
		c.res.Reason += fmt.Sprintf("; the message signatures before set i=%d no longer verify (the message was changed after them)", c.res.OldestPass)
	}
	c.res.spec = nil
	c.done = true
}

// failSignature fails the chain on a signature that did not verify.
func (c *chain) failSignature(s *set, kind string, sr SignatureResult) {
	spec := specFor(kind, sr)
	what := "ARC-Seal"
	if kind == MessageSignatureField {
		what = "newest ARC-Message-Signature"
	}
	c.failChain(sr.Code, spec, s.instance, "the %s (i=%d, d=%s, s=%s) does not verify: %s", what, s.instance, sr.Domain, sr.Selector, sr.Reason)
}

// specFor maps a signature's outcome to the finding it gives.
func specFor(kind string, sr SignatureResult) *finding.Spec {
	switch sr.Code {
	case "dns-error":
		return FindDNSError
	case "weak-key":
		return FindWeakKey
	case "expired":
		return FindExpired
	case "unsupported-algorithm":
		return FindUnsupportedAlgorithm
	case "key-not-found", "key-syntax", "key-unsupported", "key-revoked", "key-mismatch":
		return FindKeyError
	case "body-hash-mismatch", "signature-mismatch", "body-length":
		if kind == SealField {
			return FindSealFail
		}
		return FindMessageSignatureFail
	}
	return FindMalformed
}

func setResult(sr *SignatureResult, result, code, format string, args ...any) {
	sr.Result, sr.Code, sr.Reason = result, code, fmt.Sprintf(format, args...)
}

// checkKey checks a fetched key against the signature's algorithm and
// local policy; it fills sr and reports whether the key may be used.
func (v *Validator) checkKey(kr *keyResult, alg string, sr *SignatureResult) (*dkim.PublicKey, bool) {
	if kr == nil {
		setResult(sr, SigPermerror, "key-not-found", "no key was fetched")
		return nil, false
	}
	if kr.err != nil {
		var ke *dkim.KeyError
		if errors.As(kr.err, &ke) {
			sr.KeyName = ke.Name
			if ke.Temporary {
				setResult(sr, SigTemperror, "dns-error", "%s", ke.Reason)
			} else {
				setResult(sr, SigPermerror, ke.Code, "%s", ke.Reason)
			}
			return nil, false
		}
		setResult(sr, SigPermerror, "key-syntax", "%v", kr.err)
		return nil, false
	}
	k := kr.key
	sr.KeyName, sr.KeyType, sr.KeyBits = k.Name, k.Type, k.Bits
	keyAlg, _, _ := strings.Cut(alg, "-")
	if k.Type != keyAlg {
		setResult(sr, SigPermerror, "key-mismatch", "the signature is %s but the key at %s is k=%s", alg, k.Name, k.Type)
		return nil, false
	}
	if k.HashAlgs != nil && !containsFold(k.HashAlgs, "sha256") {
		setResult(sr, SigPermerror, "key-mismatch", "the key at %s allows h=%s only, not sha256", k.Name, strings.Join(k.HashAlgs, ":"))
		return nil, false
	}
	if k.Services != nil && !containsFold(k.Services, "*") && !containsFold(k.Services, "email") {
		setResult(sr, SigPermerror, "key-mismatch", "the key at %s is for s=%s, not for email", k.Name, strings.Join(k.Services, ":"))
		return nil, false
	}
	if k.Type == "rsa" && k.Bits < v.opts.MinRSABits {
		setResult(sr, SigPolicy, "weak-key", "the RSA key at %s is %d bits; RFC 8301 forbids trusting keys under %d bits", k.Name, k.Bits, v.opts.MinRSABits)
		return nil, false
	}
	return k, true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// verifySignature checks sig over digest with the key.
func verifySignature(k *dkim.PublicKey, digest, sig []byte) bool {
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(pub, digest, sig)
	}
	return false
}

// blankB returns the value with the b= tag's value, and the whitespace
// around it, removed (RFC 6376 §3.7), as the raw field's prefix plus the
// blanked value: the field a signature covers.
func blankB(raw, value string, tags dkimkey.TagList) (string, bool) {
	t := tags.Lookup("b")
	if t == nil {
		return "", false
	}
	start := t.Offset + strings.IndexByte(value[t.Offset:], '=') + 1
	end := t.ValueEnd
	for end < len(value) && (value[end] == ' ' || value[end] == '\t' || value[end] == '\r' || value[end] == '\n') {
		end++
	}
	colon := strings.IndexByte(raw, ':')
	return raw[:colon+1] + value[:start] + value[end:] + "\r\n", true
}

// verifyAMS verifies the message signature of set s into sr.
func (v *Validator) verifyAMS(c *chain, s *set, sr *SignatureResult, keys map[string]*keyResult, hashers map[bodyKey]*dkim.BodyHasher, now time.Time) {
	m := s.amsP
	if m.Expiration != 0 && now.Unix() > m.Expiration {
		setResult(sr, SigPermerror, "expired", "it expired at %s (x=%d)", time.Unix(m.Expiration, 0).UTC().Format(time.RFC3339), m.Expiration)
		return
	}
	key, ok := v.checkKey(keyFor(keys, m.Domain, m.Selector), m.Algorithm, sr)
	if !ok {
		return
	}
	bh := hashers[bodyKey{m.BodyCanon, m.BodyLength}]
	if bh == nil {
		setResult(sr, SigPermerror, "malformed", "the body was not hashed")
		return
	}
	if m.BodyLength >= 0 && m.BodyLength > bh.Length() {
		setResult(sr, SigFail, "body-length", "l=%d is longer than the canonical body (%d octets): the body was shortened", m.BodyLength, bh.Length())
		return
	}
	if subtle.ConstantTimeCompare(bh.Sum(), m.BodyHash) != 1 {
		setResult(sr, SigFail, "body-hash-mismatch", "body hash mismatch: the body changed after this set was sealed (bh= does not match)")
		return
	}
	unsigned, ok := blankB(s.ams.raw, s.ams.value, s.amsTags)
	if !ok {
		setResult(sr, SigPermerror, "malformed", "no b= tag")
		return
	}
	// The message as this set's sealer saw it: without the ARC header
	// fields of later sets, which h= cannot have meant.
	fields, skip := c.fieldsUpTo(s.instance, s.ams.index)
	h := sha256.New()
	dkim.HashHeaders(h, fields, m.Headers, skip, unsigned, m.HeaderCanon)
	if !verifySignature(key, h.Sum(nil), m.Signature) {
		setResult(sr, SigFail, "signature-mismatch", "signature mismatch: a signed header field changed after this set was sealed, or the key does not match (b= does not verify)")
		return
	}
	reason := ""
	if m.BodyLength >= 0 && bh.Length() > m.BodyLength {
		reason = fmt.Sprintf("l=%d leaves %d octets of the body unsigned", m.BodyLength, bh.Length()-m.BodyLength)
	}
	setResult(sr, SigPass, "pass", "%s", reason)
}

// fieldsUpTo returns the message's fields without the ARC fields of sets
// after instance, and the index of field skip in that slice.
func (c *chain) fieldsUpTo(instance, skip int) ([]dkim.Field, int) {
	if instance == len(c.sets) {
		return c.fields, skip
	}
	drop := map[int]bool{}
	for _, s := range c.sets[instance:] {
		for _, af := range []*arcField{s.aar, s.ams, s.as} {
			if af != nil {
				drop[af.index] = true
			}
		}
	}
	out := make([]dkim.Field, 0, len(c.fields))
	newSkip := -1
	for i, f := range c.fields {
		if drop[i] {
			continue
		}
		if i == skip {
			newSkip = len(out)
		}
		out = append(out, f)
	}
	return out, newSkip
}

// verifyAS verifies the seal of set index i into sr.
func (v *Validator) verifyAS(c *chain, i int, sr *SignatureResult, keys map[string]*keyResult) {
	s := c.sets[i]
	if s.asP == nil || s.asErr != nil {
		return
	}
	key, ok := v.checkKey(keyFor(keys, s.asP.Domain, s.asP.Selector), s.asP.Algorithm, sr)
	if !ok {
		return
	}
	unsigned, ok := blankB(s.as.raw, s.as.value, s.asTags)
	if !ok {
		setResult(sr, SigPermerror, "malformed", "no b= tag")
		return
	}
	digest := sha256.Sum256(sealInput(make([]byte, 0, 4096), c.sets[:i], s.aar.raw, s.ams.raw, unsigned))
	if !verifySignature(key, digest[:], s.asP.Signature) {
		setResult(sr, SigFail, "signature-mismatch", "signature mismatch: an ARC header field up to this set changed after sealing, or the key does not match (b= does not verify)")
		return
	}
	setResult(sr, SigPass, "pass", "")
}

// Findings returns the result as findings of the package's catalogue: none
// gives arc.no-chain (info), a failure the finding of its cause (with the
// catalogue's fix), a pass with an older message signature broken
// arc.older-ams-fail (info). Judge
// them with finding.Judge(res.Findings(), true).
func (r *Result) Findings() []finding.Finding {
	switch {
	case r.Result == Pass && r.OldestPass > 0:
		return []finding.Finding{FindOlderSignatureFail.New(fmt.Sprintf("the chain validates, but the ARC-Message-Signatures before set i=%d no longer verify: the message was changed after them (header.oldest-pass=%d)", r.OldestPass, r.OldestPass), "")}
	case r.Result == Pass:
		return nil
	case r.spec != nil:
		fix := ""
		if r.spec.Severity >= finding.Warning {
			// What to do about a broken chain; an info finding (no
			// chain) needs nothing done.
			fix = r.spec.Fix
		}
		f := r.spec.New(r.Reason, fix)
		if r.FailedInstance > 0 && r.FailedInstance <= len(r.Sets) {
			if d := r.Sets[r.FailedInstance-1].Seal.Domain; d != "" {
				f = f.WithName(d)
			}
		}
		return []finding.Finding{f}
	}
	return nil
}
