package message

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/arc"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/msgauth"
	"github.com/penguinmails/emailauth/pkg/report"
)

func TestARCSealFlags(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IO: io}
	var got *ARCSealOptions
	cmd := newCmdARCSeal(f, func(o *ARCSealOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-k", "k.pem", "-d", "Lists.Bücher.example", "-s", "arc1", "--authserv-id", "mx.lists.example",
		"--auth-results", "spf=pass smtp.mailfrom=a@example.com", "--received", "orig.eml", "-c", "simple/simple",
		"--headers", "from:to,subject", "--timestamp", "1700000000", "--out", "out.eml", "msg.eml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.KeyFile != "k.pem" || got.Domain != "lists.xn--bcher-kva.example" || got.Selector != "arc1" || got.AuthServID != "mx.lists.example" ||
		got.AuthResults != "spf=pass smtp.mailfrom=a@example.com" || got.Received != "orig.eml" || got.Canonicalization != "simple/simple" ||
		strings.Join(got.Headers, ",") != "from,to,subject" || got.Timestamp.Unix() != 1700000000 || got.Out != "out.eml" || got.Message != "msg.eml" {
		t.Errorf("options = %+v", got)
	}
	cmd = newCmdARCSeal(f, func(o *ARCSealOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--private-key", "k.pem", "--domain", "lists.example", "--selector", "arc1", "--authserv-id", "mx"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Headers != nil || got.Message != "" || got.Canonicalization != "relaxed/relaxed" || !got.Timestamp.IsZero() {
		t.Errorf("defaults: %+v", got)
	}
}

func TestARCSealFlagErrors(t *testing.T) {
	base := []string{"-k", "k.pem", "-d", "lists.example", "-s", "arc1", "--authserv-id", "mx.lists.example"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", "lists.example", "-s", "s", "--authserv-id", "mx"}, "--private-key is required"},
		{[]string{"-k", "k.pem", "-s", "s", "--authserv-id", "mx"}, "--domain is required"},
		{[]string{"-k", "k.pem", "-d", "lists.example", "--authserv-id", "mx"}, "--selector is required"},
		{[]string{"-k", "k.pem", "-d", "lists.example", "-s", "s"}, "--authserv-id is required"},
		{[]string{"-k", "k.pem", "-d", "a..b", "-s", "s", "--authserv-id", "mx"}, "--domain"},
		{[]string{"-k", "-", "-d", "lists.example", "-s", "s", "--authserv-id", "mx"}, "cannot come from there too"},
		{append(base, "--received", "-"), "cannot both come from stdin"},
		{append(base, "--timestamp", "soon", "m.eml"), "--timestamp"},
		{append(base, "--headers", "", "m.eml"), "--headers is empty"},
		{append(base, "a.eml", "b.eml"), "accepts at most 1 arg"},
	} {
		io, _, _, _ := cmdutil.Test()
		cmd := newCmdARCSeal(&cmdutil.Factory{IO: io}, func(*ARCSealOptions) error { return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Out)
		cmd.SetErr(io.ErrOut)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
			continue
		}
		if code := cmdutil.ExitCode(err); code != cmdutil.ExitBadInput && !strings.Contains(err.Error(), "accepts") {
			t.Errorf("%v: exit %d", tc.args, code)
		}
	}
}

func TestARCVerifyFlags(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	var got *ARCVerifyOptions
	cmd := newCmdARCVerify(&cmdutil.Factory{IO: io}, func(o *ARCVerifyOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-j", "3", "--min-rsa-bits", "2048", "--time", "2026-12-01T00:00:00Z", "a.eml", "dir"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Concurrency != 3 || got.MinRSABits != 2048 || got.At.IsZero() || strings.Join(got.Inputs, ",") != "a.eml,dir" {
		t.Errorf("options = %+v", got)
	}
	cmd = newCmdARCVerify(&cmdutil.Factory{IO: io}, func(o *ARCVerifyOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil || strings.Join(got.Inputs, ",") != "-" || got.MinRSABits != 1024 {
		t.Errorf("defaults: %+v %v", got, err)
	}
	for _, args := range [][]string{{"--min-rsa-bits", "512"}, {"-j", "0"}, {"--time", "yesterday"}} {
		cmd = newCmdARCVerify(&cmdutil.Factory{IO: io}, func(*ARCVerifyOptions) error { return nil })
		cmd.SetArgs(args)
		cmd.SetOut(io.Out)
		cmd.SetErr(io.ErrOut)
		if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestVerifyARCFlags(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	var got *VerifyOptions
	cmd := newCmdVerify(&cmdutil.Factory{IO: io}, func(o *VerifyOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--trusted-sealer", "Lists.Example.ORG", "--trusted-sealer", "bücher.example", "--arc-chain",
		"--bulk-sender", "--transactional", "--trusted-authserv-id", "mx.google.com", "m.eml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.TrustedSealers, ",") != "lists.example.org,xn--bcher-kva.example" || !got.ARCChain || !got.Bulk ||
		!got.Transactional || strings.Join(got.TrustedAuthServIDs, ",") != "mx.google.com" {
		t.Errorf("options = %+v", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trusted-sealer", "a..b", "m.eml"}, "--trusted-sealer"},
		{[]string{"--transactional", "m.eml"}, "tune --bulk-sender"},
		{[]string{"--trusted-authserv-id", "mx", "m.eml"}, "tune --bulk-sender"},
	} {
		cmd := newCmdVerify(&cmdutil.Factory{IO: io}, func(*VerifyOptions) error { return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Out)
		cmd.SetErr(io.ErrOut)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) || cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}

// sealerKey publishes an Ed25519 sealing key at arc1._domainkey.D in res
// and writes it to a file.
func sealerKey(t *testing.T, res *dnstest.Fake, domain string) string {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	res.AddTXT("arc1._domainkey."+domain, "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)))
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	file := filepath.Join(t.TempDir(), "arc.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	return file
}

func TestARCSealRun(t *testing.T) {
	res := dnstest.NewFake()
	signed := signedMessage(t, res)
	key := sealerKey(t, res, "lists.example.org")
	dir := t.TempDir()
	seal := func(msg string, o ARCSealOptions) (string, string, error) {
		f, in, out, errOut := testFactory(res)
		in.WriteString(msg)
		if o.KeyFile == "" {
			o.KeyFile = key
		}
		o.Domain, o.Selector, o.AuthServID = "lists.example.org", "arc1", "mx.lists.example.org"
		err := runARCSeal(f, &o)
		return out.String(), errOut.String(), err
	}

	// Once: cv=none; twice: cv=pass; both validate.
	once, stderr, err := seal(signed, ARCSealOptions{})
	if err != nil || !strings.Contains(once, "cv=none") || !strings.Contains(stderr, "sealed as i=1 with cv=none") {
		t.Fatalf("first seal: %v\n%s\n%s", err, once, stderr)
	}
	twice, _, err := seal(once, ARCSealOptions{})
	if err != nil || !strings.Contains(twice, "i=2; a=ed25519-sha256; t=1700000000; cv=pass") {
		t.Fatalf("second seal: %v\n%s", err, twice)
	}
	chain, err := arc.Validate(t.Context(), strings.NewReader(twice), res, arc.ValidateOptions{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil || chain.Result != arc.Pass || chain.Instance != 2 {
		t.Fatalf("chain %+v, %v", chain, err)
	}

	// A list adds a footer: validated as received, the chain passes.
	footer := twice + "-- \nthe footer\n"
	orig := filepath.Join(dir, "orig.eml")
	os.WriteFile(orig, []byte(twice), 0o644)
	third, _, err := seal(footer, ARCSealOptions{Received: orig})
	if err != nil || !strings.Contains(third, "i=3; a=ed25519-sha256; t=1700000000; cv=pass") {
		t.Fatalf("sealed as received: %v\n%s", err, third)
	}
	// Without --received, the footer broke the chain: sealed with cv=fail,
	// exit 1, the reason on stderr even with -q.
	out, stderr, err := seal(footer, ARCSealOptions{})
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed || !strings.Contains(out, "cv=fail") || !strings.Contains(stderr, "sealed as i=3 with cv=fail") {
		t.Errorf("cv=fail: exit %d\n%s\n%s", cmdutil.ExitCode(err), out, stderr)
	}
	// Once cv=fail, nobody seals: nothing written, exit 1.
	out2, stderr, err := seal(out, ARCSealOptions{})
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed || out2 != "" || !strings.Contains(stderr, "cv=fail, so no set may be added") {
		t.Errorf("after cv=fail: exit %d\n%q\n%s", cmdutil.ExitCode(err), out2, stderr)
	}
	// --received of another chain.
	other := filepath.Join(dir, "other.eml")
	os.WriteFile(other, []byte(signed), 0o644)
	if _, _, err := seal(footer, ARCSealOptions{Received: other}); cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
		t.Errorf("--received of another message: %v", err)
	}
	// A key lookup that fails: exit 3, nothing written.
	res.ServFail("arc1._domainkey.lists.example.org", 16)
	out, _, err = seal(once, ARCSealOptions{})
	if cmdutil.ExitCode(err) != cmdutil.ExitIncomplete || out != "" {
		t.Errorf("SERVFAIL: exit %d (%v), %q", cmdutil.ExitCode(err), err, out)
	}

	// --out writes the file, atomically; a key too weak is bad input.
	res2 := dnstest.NewFake()
	signed2 := signedMessage(t, res2)
	sealerKey(t, res2, "lists.example.org")
	f, in, stdout, _ := testFactory(res2)
	in.WriteString(signed2)
	dest := filepath.Join(dir, "sealed.eml")
	if err := runARCSeal(f, &ARCSealOptions{KeyFile: key, Domain: "lists.example.org", Selector: "arc1", AuthServID: "mx", Out: dest}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dest); !bytes.HasPrefix(b, []byte("ARC-Seal: i=1;")) || stdout.Len() != 0 {
		t.Errorf("--out: %q, stdout %q", b, stdout)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestARCVerifyRun(t *testing.T) {
	res := dnstest.NewFake()
	signed := signedMessage(t, res)
	key := sealerKey(t, res, "lists.example.org")
	f, in, out, _ := testFactory(res)
	in.WriteString(signed)
	if err := runARCSeal(f, &ARCSealOptions{KeyFile: key, Domain: "lists.example.org", Selector: "arc1", AuthServID: "mx.lists.example.org"}); err != nil {
		t.Fatal(err)
	}
	sealed := out.String()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a-pass.eml"), []byte(sealed), 0o644)
	os.WriteFile(filepath.Join(dir, "b-broken.eml"), []byte(strings.Replace(sealed, "body", "BODY", 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "c-none.eml"), []byte(signed), 0o644)

	f, _, out, _ = testFactory(res)
	f.Global.Output = "json"
	err := runARCVerify(f, &ARCVerifyOptions{Inputs: []string{dir}, MinRSABits: 1024, Concurrency: 2})
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed {
		t.Errorf("exit %d", cmdutil.ExitCode(err))
	}
	var rep ARCVerifyReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Messages) != 3 || rep.Summary != (ARCSummary{Messages: 3, Pass: 1, Fail: 1, None: 1}) {
		t.Fatalf("report: %+v", rep)
	}
	pass, broken, none := rep.Messages[0], rep.Messages[1], rep.Messages[2]
	if pass.Result != arc.Pass || pass.Status != "pass" || pass.Chain.Sets[0].Seal.Domain != "lists.example.org" {
		t.Errorf("pass: %+v", pass)
	}
	if broken.Result != arc.Fail || broken.Status != "fail" || broken.Chain.FailedInstance != 1 ||
		len(broken.Findings) != 1 || broken.Findings[0].Code != "arc.ams-fail" || !strings.Contains(broken.Reason, "body hash mismatch") {
		t.Errorf("broken: %+v", broken)
	}
	if none.Result != arc.None || none.Status != "pass" || none.Findings[0].Code != "arc.no-chain" {
		t.Errorf("none: %+v", none)
	}

	// The table names the failing set and why; -q one line per message.
	f, _, out, _ = testFactory(res)
	runARCVerify(f, &ARCVerifyOptions{Inputs: []string{filepath.Join(dir, "b-broken.eml")}, MinRSABits: 1024, Concurrency: 1})
	for _, want := range []string{"arc=fail", "  1  none  lists.example.org  pass (arc1, 256-bit ed25519)  fail (body-hash-mismatch)  mx.lists.example.org",
		"error arc.ams-fail: the newest ARC-Message-Signature (i=1, d=lists.example.org, s=arc1) does not verify", "fix: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	f, _, out, errOut := testFactory(res)
	f.IO.Quiet = true
	runARCVerify(f, &ARCVerifyOptions{Inputs: []string{dir}, MinRSABits: 1024, Concurrency: 1})
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "arc=fail  the newest") ||
		strings.Contains(out.String(), "findings") || errOut.Len() != 0 {
		t.Errorf("-q:\n%s\nstderr: %s", out, errOut)
	}
	if err := report.CheckSafe(out.String()); err != nil {
		t.Error(err)
	}

	// SERVFAIL for the sealer's key: temperror, exit 3.
	res.ServFail("arc1._domainkey.lists.example.org", 16)
	f, _, _, _ = testFactory(res)
	if err := runARCVerify(f, &ARCVerifyOptions{Inputs: []string{filepath.Join(dir, "a-pass.eml")}, MinRSABits: 1024, Concurrency: 1}); cmdutil.ExitCode(err) != cmdutil.ExitIncomplete {
		t.Errorf("SERVFAIL: exit %d", cmdutil.ExitCode(err))
	}
}

// TestMessageCountsARCResults: arc verify's summary counts ARC results with
// the counter verify uses for msgauth verdicts; the names must agree.
func TestMessageCountsARCResults(t *testing.T) {
	var c MessageCounts
	for _, r := range []string{arc.Pass, arc.Fail, arc.None, arc.Temperror, resultError} {
		c.count(r)
	}
	if c != (MessageCounts{Messages: 5, Pass: 1, Fail: 1, None: 1, Temperror: 1, Error: 1}) {
		t.Errorf("counts %+v", c)
	}
	if arc.Pass != msgauth.VerdictPass || arc.Fail != msgauth.VerdictFail || arc.None != msgauth.VerdictNone || arc.Temperror != msgauth.VerdictTemperror {
		t.Error("arc results and msgauth verdicts differ in name")
	}
}
