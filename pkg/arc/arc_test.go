package arc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dmarc"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

const baseMessage = "From: Alice <alice@sender.example>\r\n" +
	"To: list@lists.example\r\n" +
	"Subject: hello\r\n" +
	"Date: Mon, 23 Nov 2026 12:00:00 +0000\r\n" +
	"Message-ID: <1@sender.example>\r\n" +
	"\r\n" +
	"Hello.\r\n"

// testEnv holds two sealers' keys and the DNS that publishes them:
// forwarder.example seals with RSA-2048, lists.example with Ed25519.
type testEnv struct {
	rsa, ed crypto.Signer
	dns     *dnstest.Fake
	now     func() time.Time
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	pem, err := os.ReadFile("../../testdata/demo-keys/selector1.example.com.pem")
	if err != nil {
		t.Fatal(err)
	}
	rk, err := dkimkey.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	ek := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	env := &testEnv{rsa: rk, ed: ek, dns: dnstest.NewFake(), now: at(1795000000)}
	for name, k := range map[string]crypto.Signer{"rsa._domainkey.forwarder.example": rk, "ed._domainkey.lists.example": ek} {
		rec, err := dkimkey.NewRecord(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		addTXT(env.dns, name, rec.String())
	}
	return env
}

func (e *testEnv) validator() *Validator {
	return NewValidator(e.dns, ValidateOptions{Now: e.now})
}

func (e *testEnv) sealer(t testing.TB, who string, opts SealOptions) *Sealer {
	t.Helper()
	switch who {
	case "forwarder":
		opts.Domain, opts.Selector, opts.Signer = "forwarder.example", "rsa", e.rsa
	case "list":
		opts.Domain, opts.Selector, opts.Signer = "lists.example", "ed", e.ed
	}
	if opts.AuthServID == "" {
		opts.AuthServID = "mx." + opts.Domain
	}
	opts.Now = e.now
	s, err := NewSealer(e.validator(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seal seals msg and returns the sealed message.
func (e *testEnv) seal(t testing.TB, who, msg string, received *Result) (string, *Sealed) {
	t.Helper()
	var out bytes.Buffer
	sealed, err := e.sealer(t, who, SealOptions{}).Seal(context.Background(), &out, strings.NewReader(msg), received)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), sealed
}

func (e *testEnv) validate(t testing.TB, msg string) *Result {
	t.Helper()
	res, err := e.validator().Validate(context.Background(), strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSealThreeHops(t *testing.T) {
	env := newEnv(t)
	msg := baseMessage
	for i, who := range []string{"forwarder", "list", "forwarder"} {
		var sealed *Sealed
		msg, sealed = env.seal(t, who, msg, nil)
		wantCV := Pass
		if i == 0 {
			wantCV = None
		}
		if sealed.Instance != i+1 || sealed.ChainValidation != wantCV {
			t.Fatalf("hop %d: sealed i=%d cv=%s, want i=%d cv=%s", i+1, sealed.Instance, sealed.ChainValidation, i+1, wantCV)
		}
	}
	res := env.validate(t, msg)
	if res.Result != Pass || res.Instance != 3 || res.OldestPass != 0 || len(res.Sets) != 3 {
		t.Fatalf("got %+v", res)
	}
	for _, s := range res.Sets {
		if s.Seal.Result != SigPass || s.MessageSignature.Result != SigPass {
			t.Errorf("set %d: %+v", s.Instance, s)
		}
	}
	if d := res.Sets[1].Seal; d.Domain != "lists.example" || d.Algorithm != "ed25519-sha256" || d.KeyType != "ed25519" {
		t.Errorf("set 2 seal: %+v", d)
	}
	if res.Sets[0].AuthServID != "mx.forwarder.example" || res.Sets[0].AuthResults != "arc=none" {
		t.Errorf("set 1 AAR: %q %q", res.Sets[0].AuthServID, res.Sets[0].AuthResults)
	}
	if fs := res.Findings(); len(fs) != 0 || finding.Judge(fs, true) != finding.StatusPass {
		t.Errorf("findings %v", fs)
	}
	// The new fields go on top, and the message follows unchanged.
	if !strings.HasPrefix(msg, "ARC-Seal: i=3; a=rsa-sha256;") || !strings.HasSuffix(msg, baseMessage) {
		t.Errorf("sealed message:\n%s", msg)
	}
}

// A mailing list validates on receipt, changes the message, then seals
// with the chain it received: the chain passes, and header.oldest-pass
// says the first set's message signature no longer verifies.
func TestSealAfterModification(t *testing.T) {
	env := newEnv(t)
	msg, _ := env.seal(t, "forwarder", baseMessage, nil)
	received := env.validate(t, msg)
	if received.Result != Pass {
		t.Fatalf("received: %+v", received)
	}
	changed := strings.Replace(msg, "Subject: hello", "Subject: [list] hello", 1) + "-- \r\nThe list footer.\r\n"
	// Validating the changed message would fail the chain...
	if got := env.validate(t, changed); got.Result != Fail || got.Code != "body-hash-mismatch" || got.FailedInstance != 1 {
		t.Fatalf("changed: %+v", got)
	}
	// ...so the list seals with what it received.
	sealedMsg, sealed := env.seal(t, "list", changed, received)
	if sealed.ChainValidation != Pass || sealed.Instance != 2 {
		t.Fatalf("sealed %+v", sealed)
	}
	res := env.validate(t, sealedMsg)
	if res.Result != Pass || res.OldestPass != 2 {
		t.Fatalf("got %s oldest-pass %d: %s", res.Result, res.OldestPass, res.Reason)
	}
	if res.Sets[0].MessageSignature.Result != SigFail || res.Sets[1].MessageSignature.Result != SigPass {
		t.Errorf("sets: %+v", res.Sets)
	}
	fs := res.Findings()
	if len(fs) != 1 || fs[0].Code != FindOlderSignatureFail.Code || finding.Judge(fs, true) != finding.StatusPass {
		t.Errorf("findings %v", fs)
	}
	if got := res.AuthResultsProperty(AuthResultsOptions{}); got != "arc=pass header.oldest-pass=2" {
		t.Errorf("property %q", got)
	}
	// Sealing with a received result that does not match the message.
	_, err := env.sealer(t, "list", SealOptions{}).Fields(context.Background(), strings.NewReader(baseMessage), received)
	if err == nil || !strings.Contains(err.Error(), "validated with 1 set(s) but the message now carries 0") {
		t.Errorf("err = %v", err)
	}
}

func TestTampering(t *testing.T) {
	env := newEnv(t)
	two, _ := env.seal(t, "forwarder", baseMessage, nil)
	two, _ = env.seal(t, "list", two, nil)
	for _, tc := range []struct {
		name     string
		edit     func(string) string
		code     string
		spec     *finding.Spec
		instance int
	}{
		{"body changed after the last seal", func(m string) string { return strings.Replace(m, "Hello.", "Hello!", 1) }, "body-hash-mismatch", FindMessageSignatureFail, 2},
		{"signed header changed", func(m string) string { return strings.Replace(m, "Subject: hello", "Subject: hullo", 1) }, "signature-mismatch", FindMessageSignatureFail, 2},
		{"older AAR changed", func(m string) string {
			return strings.Replace(m, "i=1; mx.forwarder.example;\r\n\tarc=none", "i=1; mx.forwarder.example;\r\n\tarc=pass", 1)
		}, "signature-mismatch", FindSealFail, 2},
		{"set removed", func(m string) string {
			i := strings.Index(m, "ARC-Authentication-Results: i=2")
			j := strings.Index(m[i:], "\r\nARC-Seal: i=1") + i + 2
			return m[:i] + m[j:]
		}, "broken-structure", FindStructure, 2},
		{"unknown key", func(m string) string { return strings.Replace(m, "s=ed;", "s=gone;", 1) }, "key-not-found", FindKeyError, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := env.validate(t, tc.edit(two))
			if res.Result != Fail || res.Code != tc.code || res.FailedInstance != tc.instance {
				t.Fatalf("got %s %s i=%d: %s", res.Result, res.Code, res.FailedInstance, res.Reason)
			}
			fs := res.Findings()
			if len(fs) != 1 || fs[0].Code != tc.spec.Code || finding.Judge(fs, true) != finding.StatusFail {
				t.Errorf("findings %v", fs)
			}
			if !strings.HasPrefix(res.AuthResultsProperty(AuthResultsOptions{}), "arc=fail reason="+tc.code) {
				t.Errorf("property %q", res.AuthResultsProperty(AuthResultsOptions{}))
			}
		})
	}
}

// A broken chain is sealed with cv=fail; the seal covers its own set only,
// and nobody seals after it.
func TestSealFailedChain(t *testing.T) {
	env := newEnv(t)
	msg, _ := env.seal(t, "forwarder", baseMessage, nil)
	broken := strings.Replace(msg, "Hello.", "Hello, changed in transit.", 1)
	sealedMsg, sealed := env.seal(t, "list", broken, nil)
	if sealed.ChainValidation != Fail || sealed.Chain.Code != "body-hash-mismatch" {
		t.Fatalf("sealed %+v", sealed)
	}
	res := env.validate(t, sealedMsg)
	if res.Result != Fail || res.Code != "cv-fail-upstream" || res.FailedInstance != 2 {
		t.Fatalf("got %+v", res)
	}
	if fs := res.Findings(); len(fs) != 1 || fs[0].Code != FindChainFailedUpstream.Code || fs[0].Name != "lists.example" {
		t.Errorf("findings %v", fs)
	}
	_, err := env.sealer(t, "forwarder", SealOptions{}).Fields(context.Background(), strings.NewReader(sealedMsg), nil)
	if !errors.Is(err, ErrChainFailed) {
		t.Errorf("sealing after cv=fail: %v", err)
	}
}

func TestInstanceLimit(t *testing.T) {
	env := newEnv(t)
	msg := baseMessage
	for i := 0; i < MaxInstance; i++ {
		msg, _ = env.seal(t, "list", msg, nil)
	}
	res := env.validate(t, msg)
	if res.Result != Pass || res.Instance != 50 {
		t.Fatalf("50 sets: %s %s", res.Result, res.Reason)
	}
	_, err := env.sealer(t, "list", SealOptions{}).Fields(context.Background(), strings.NewReader(msg), nil)
	if !errors.Is(err, ErrInstanceLimit) {
		t.Errorf("51st set: %v", err)
	}
	// A 51st set written by hand is over the limit (RFC 8617 §5.2 step 1).
	extra := "ARC-Seal: i=51; a=ed25519-sha256; cv=pass; d=lists.example; s=ed; b=AAAA\r\n" +
		"ARC-Message-Signature: i=51; a=ed25519-sha256; d=lists.example; s=ed; h=from; bh=AAAA; b=AAAA\r\n" +
		"ARC-Authentication-Results: i=51; lists.example; arc=pass\r\n"
	if res := env.validate(t, extra+msg); res.Result != Fail || res.Code != "too-many-sets" {
		t.Errorf("51 sets: %s %s: %s", res.Result, res.Code, res.Reason)
	}
	// An instance above 50 on its own is not a valid instance.
	if res := env.validate(t, extra+baseMessage); res.Result != Fail || res.Code != "broken-structure" || !strings.Contains(res.Reason, "i=51 is outside 1 to 50") {
		t.Errorf("i=51: %s %s: %s", res.Result, res.Code, res.Reason)
	}
	// Far more ARC fields than 50 sets can hold stop the validation
	// before anything is parsed.
	flood := strings.Repeat("ARC-Seal: i=1\r\n", 3*MaxInstance+1) + baseMessage
	if res := env.validate(t, flood); res.Code != "too-many-sets" {
		t.Errorf("flood: %s %s", res.Code, res.Reason)
	}
}

func TestTemporaryKeyFailure(t *testing.T) {
	env := newEnv(t)
	msg, _ := env.seal(t, "list", baseMessage, nil)
	env.dns.Timeout("ed._domainkey.lists.example", dns.TypeTXT)
	res := env.validate(t, msg)
	if res.Result != Temperror || res.Code != "dns-error" {
		t.Fatalf("got %+v", res)
	}
	fs := res.Findings()
	if len(fs) != 1 || !fs[0].Transient || finding.Judge(fs, true) != finding.StatusError {
		t.Errorf("findings %v", fs)
	}
	_, err := env.sealer(t, "forwarder", SealOptions{}).Fields(context.Background(), strings.NewReader(msg), nil)
	if !errors.Is(err, ErrTemporary) {
		t.Errorf("seal: %v", err)
	}
}

func TestNoChain(t *testing.T) {
	env := newEnv(t)
	for _, msg := range []string{baseMessage, "", "\r\nbody only\r\n", "From: a@b.example\r\n"} {
		res := env.validate(t, msg)
		if res.Result != None || res.Code != "no-chain" {
			t.Errorf("%q: %+v", msg, res)
		}
		fs := res.Findings()
		if len(fs) != 1 || fs[0].Code != FindNoChain.Code || finding.Judge(fs, true) != finding.StatusPass {
			t.Errorf("%q: findings %v", msg, fs)
		}
		if got := res.AuthResultsProperty(AuthResultsOptions{}); got != "arc=none" {
			t.Errorf("property %q", got)
		}
	}
	if len(env.dns.Asked()) != 0 {
		t.Errorf("queries without a chain: %v", env.dns.Asked())
	}
	_, err := env.validator().Validate(context.Background(), strings.NewReader("not a header\r\n\r\nbody"))
	if err == nil || !strings.HasPrefix(err.Error(), "arc: line 1 of the message is not a header field") {
		t.Errorf("err = %v", err)
	}
}

// Messages stored with Unix line ends validate, and are sealed with Unix
// line ends.
func TestBareLF(t *testing.T) {
	env := newEnv(t)
	lf := strings.ReplaceAll(baseMessage, "\r\n", "\n")
	sealedMsg, _ := env.seal(t, "forwarder", lf, nil)
	if strings.Contains(sealedMsg, "\r") {
		t.Errorf("CR in a sealed LF message")
	}
	if res := env.validate(t, sealedMsg); res.Result != Pass {
		t.Errorf("got %s: %s", res.Result, res.Reason)
	}
	if res := env.validate(t, strings.ReplaceAll(sealedMsg, "\n", "\r\n")); res.Result != Pass {
		t.Errorf("as CRLF: %s: %s", res.Result, res.Reason)
	}
}

func TestGatherAuthResults(t *testing.T) {
	env := newEnv(t)
	msg := "Authentication-Results: mx.forwarder.example;\r\n  spf=pass smtp.mailfrom=alice@sender.example (a comment; with a semicolon);\r\n  dkim=pass header.d=sender.example\r\n" +
		"Authentication-Results: other.example; spf=fail smtp.mailfrom=x@y.example\r\n" +
		"Authentication-Results: MX.Forwarder.Example 1; dmarc=pass header.from=sender.example\r\n" +
		"Authentication-Results: mx.forwarder.example; none\r\n" + baseMessage
	got, err := env.sealer(t, "forwarder", SealOptions{}).Fields(context.Background(), strings.NewReader(msg), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "ARC-Authentication-Results: i=1; mx.forwarder.example;\r\n\tarc=none;\r\n\tspf=pass smtp.mailfrom=alice@sender.example (a comment; with a semicolon);\r\n\tdkim=pass header.d=sender.example;\r\n\tdmarc=pass header.from=sender.example\r\n"
	if got.Fields[2] != want {
		t.Errorf("AAR:\n%q\nwant\n%q", got.Fields[2], want)
	}
	// Given results are recorded as given; an arc= result is kept.
	got, err = env.sealer(t, "forwarder", SealOptions{AuthResults: "arc=pass; spf=pass smtp.mailfrom=a@sender.example"}).Fields(context.Background(), strings.NewReader(baseMessage), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "ARC-Authentication-Results: i=1; mx.forwarder.example;\r\n\tarc=pass;\r\n\tspf=pass smtp.mailfrom=a@sender.example\r\n"; got.Fields[2] != want {
		t.Errorf("AAR %q", got.Fields[2])
	}
	// The AMS signs the headers asked for, each as often as it occurs.
	got, err = env.sealer(t, "forwarder", SealOptions{Headers: []string{"From", "To", "Received", "X-Absent"}}).Fields(context.Background(), strings.NewReader("Received: a\r\nReceived: b\r\n"+baseMessage), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.Fields[1], " h=from:to:received:received;") {
		t.Errorf("AMS %q", got.Fields[1])
	}
}

func TestSealerOptions(t *testing.T) {
	env := newEnv(t)
	v := env.validator()
	base := SealOptions{Domain: "forwarder.example", Selector: "rsa", Signer: env.rsa, AuthServID: "mx.forwarder.example"}
	for _, tc := range []struct {
		edit func(*SealOptions)
		want string
	}{
		{func(o *SealOptions) { o.Domain = "" }, "no sealing domain"},
		{func(o *SealOptions) { o.Domain = "bad domain" }, "is not a domain name"},
		{func(o *SealOptions) { o.Selector = "" }, "no selector"},
		{func(o *SealOptions) { o.Signer = nil }, "no private key"},
		{func(o *SealOptions) { o.AuthServID = "" }, "no authserv-id"},
		{func(o *SealOptions) { o.AuthServID = "a b" }, "is not a token"},
		{func(o *SealOptions) { o.AuthResults = "spf=pass\r\nX: y" }, "line break"},
		{func(o *SealOptions) { o.Canonicalization = "loose" }, "want simple or relaxed"},
		{func(o *SealOptions) { o.Headers = []string{"From", "ARC-Seal"} }, "must not sign ARC-Seal"},
		{func(o *SealOptions) { o.Headers = []string{"authentication-results"} }, "must not sign Authentication-Results"},
		{func(o *SealOptions) { o.Headers = []string{"From:"} }, "not a header field name"},
	} {
		o := base
		tc.edit(&o)
		_, err := NewSealer(v, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "arc: ") {
			t.Errorf("%+v: err = %v, want %q", o, err, tc.want)
		}
	}
	if _, err := NewSealer(nil, base); err == nil {
		t.Error("no validator accepted")
	}
	if _, err := NewSealer(v, base); err != nil {
		t.Error(err)
	}
}

func TestAuthResultsProperty(t *testing.T) {
	res := &Result{Result: Pass, Code: "pass", Instance: 2, Sets: []SetResult{
		{Instance: 1, Seal: SignatureResult{Domain: "forwarder.example"}},
		{Instance: 2, Seal: SignatureResult{Domain: "lists.example"}},
	}}
	for _, tc := range []struct {
		res  *Result
		opts AuthResultsOptions
		want string
	}{
		{res, AuthResultsOptions{}, "arc=pass"},
		{res, AuthResultsOptions{RemoteIP: netip.MustParseAddr("192.0.2.7"), Chain: true}, `arc=pass smtp.remote-ip=192.0.2.7 arc.chain="forwarder.example:lists.example"`},
		{res, AuthResultsOptions{RemoteIP: netip.MustParseAddr("2001:db8::7")}, `arc=pass smtp.remote-ip="2001:db8::7"`},
		{&Result{Result: Fail, Code: "cv-invalid"}, AuthResultsOptions{}, "arc=fail reason=cv-invalid"},
		{&Result{Result: Temperror, Code: "dns-error"}, AuthResultsOptions{}, "arc=temperror reason=dns-error"},
	} {
		got := tc.res.AuthResultsProperty(tc.opts)
		if got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
		// emersion/go-msgauth reads it back.
		_, rs, err := authres.Parse("mx.example; " + got)
		if err != nil || len(rs) != 1 {
			t.Errorf("%s: authres: %v %v", got, rs, err)
			continue
		}
		ar, ok := rs[0].(*authres.ARCResult)
		if !ok || string(ar.Value) != tc.res.Result {
			t.Errorf("%s: parsed as %#v", got, rs[0])
		}
	}
}

// TestTrustedResults re-evaluates DMARC on what a trusted forwarder
// recorded: the list broke the sender's DKIM signature, but the forwarder
// saw it pass.
func TestTrustedResults(t *testing.T) {
	env := newEnv(t)
	env.dns.AddTXT("_dmarc.sender.example", "v=DMARC1; p=reject")
	fwd := env.sealer(t, "forwarder", SealOptions{AuthResults: "spf=fail smtp.mailfrom=bounce@other.example; dkim=pass (2048-bit key) header.d=sender.example header.s=s1; dmarc=pass header.from=sender.example"})
	var out bytes.Buffer
	if _, err := fwd.Seal(context.Background(), &out, strings.NewReader(baseMessage), nil); err != nil {
		t.Fatal(err)
	}
	received := env.validate(t, out.String())
	msg, _ := env.seal(t, "list", out.String()+"footer\r\n", received)
	res := env.validate(t, msg)
	if res.Result != Pass {
		t.Fatalf("chain: %+v", res)
	}
	if rec := res.TrustedResults([]string{"unknown.example"}); rec != nil {
		t.Errorf("untrusted sealers: %+v", rec)
	}
	if rec := res.TrustedResults([]string{"example"}); rec != nil {
		t.Errorf("a parent domain is not trusted for its subdomains: %+v", rec)
	}
	rec := res.TrustedResults([]string{"Forwarder.Example."})
	if rec == nil || rec.Instance != 1 || rec.Sealer != "forwarder.example" || rec.AuthServID != "mx.forwarder.example" {
		t.Fatalf("recorded %+v", rec)
	}
	if len(rec.Results) != 4 || len(rec.Unparsed) != 0 {
		t.Fatalf("results %#v unparsed %q", rec.Results, rec.Unparsed)
	}
	// The newest trusted sealer wins.
	if rec := res.TrustedResults([]string{"forwarder.example", "lists.example"}); rec == nil || rec.Instance != 2 {
		t.Errorf("newest: %+v", rec)
	}
	in := rec.DMARCInput("sender.example")
	if len(in.DKIM) != 1 || in.DKIM[0] != (dmarc.AuthResult{Domain: "sender.example", Result: "pass"}) ||
		len(in.SPF) != 1 || in.SPF[0] != (dmarc.AuthResult{Domain: "other.example", Result: "fail"}) {
		t.Fatalf("input %+v", in)
	}
	d, err := dmarc.Evaluate(context.Background(), env.dns, in)
	if err != nil || d.Result != "pass" {
		t.Errorf("DMARC on the trusted results: %+v %v", d, err)
	}
	// A failed chain vouches for nothing.
	if rec := (&Result{Result: Fail, Sets: res.Sets}).TrustedResults([]string{"forwarder.example"}); rec != nil {
		t.Errorf("failed chain: %+v", rec)
	}
}

func TestParseResults(t *testing.T) {
	rs, bad := ParseResults("arc=none header.oldest-pass=0; spf=pass smtp.mailfrom=a@b.example (x; y); dkim=pass header.i=@b.example; none; ;x-custom=ok ptype.prop=v")
	if len(bad) != 1 || bad[0] != "arc=none header.oldest-pass=0" {
		t.Errorf("unparsed %q", bad)
	}
	if len(rs) != 3 {
		t.Fatalf("results %#v", rs)
	}
	if spf, ok := rs[0].(*authres.SPFResult); !ok || spf.From != "a@b.example" {
		t.Errorf("spf %#v", rs[0])
	}
	if g, ok := rs[2].(*authres.GenericResult); !ok || g.Method != "x-custom" || g.Params["ptype.prop"] != "v" {
		t.Errorf("generic %#v", rs[2])
	}
	rec := &Recorded{Results: rs}
	in := rec.DMARCInput("b.example")
	if len(in.DKIM) != 1 || in.DKIM[0].Domain != "b.example" {
		t.Errorf("dkim from header.i: %+v", in.DKIM)
	}
}

// errReader fails after the header.
type errReader struct{ r *strings.Reader }

func (e errReader) Read(p []byte) (int, error) {
	if e.r.Len() == 0 {
		return 0, errors.New("disk on fire")
	}
	return e.r.Read(p)
}

func TestReadErrors(t *testing.T) {
	env := newEnv(t)
	_, err := env.validator().Validate(context.Background(), errReader{strings.NewReader(baseMessage)})
	if err == nil || !strings.HasPrefix(err.Error(), "arc: reading the message: ") || strings.Contains(err.Error(), "arc: arc:") || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("validate: %v", err)
	}
	var out bytes.Buffer
	_, err = env.sealer(t, "list", SealOptions{}).Seal(context.Background(), &out, errReader{strings.NewReader(baseMessage)}, nil)
	if err == nil || strings.Contains(err.Error(), "arc: arc:") || out.Len() != 0 {
		t.Errorf("seal: %v, wrote %d", err, out.Len())
	}
}
