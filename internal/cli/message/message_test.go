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
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func TestSignFlags(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IO: io}
	var got *SignOptions
	cmd := newCmdSign(f, func(o *SignOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-k", "a.pem", "-s", "s1", "-k", "b.pem", "-s", "s2", "-d", "example.com",
		"--headers", "from:to,subject", "--oversign", "from", "--expiration", "7d", "--timestamp", "1700000000", "msg.eml"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.KeyFiles, ",") != "a.pem,b.pem" || strings.Join(got.Selectors, ",") != "s1,s2" ||
		strings.Join(got.Headers, ",") != "from,to,subject" || strings.Join(got.Oversign, ",") != "from" ||
		got.Expiration != 7*24*time.Hour || got.Timestamp.Unix() != 1700000000 || got.Message != "msg.eml" ||
		got.Canonicalization != "relaxed/relaxed" {
		t.Errorf("options = %+v", got)
	}
	cmd = newCmdSign(f, func(o *SignOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-k", "a.pem", "-s", "s1", "-d", "example.com", "--expiration", "2026-12-01T00:00:00Z"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Headers != nil || got.Oversign != nil || got.ExpireAt.IsZero() || got.Message != "" {
		t.Errorf("defaults: %+v", got)
	}
}

func TestSignFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", "example.com", "-s", "s"}, "--private-key is required"},
		{[]string{"-k", "a.pem", "-s", "s"}, "--domain is required"},
		{[]string{"-k", "a.pem", "-d", "example.com"}, "--selector is required"},
		{[]string{"-k", "a.pem", "-k", "b.pem", "-s", "s", "-d", "example.com"}, "one --selector per --private-key"},
		{[]string{"-k", "a.pem", "-s", "s", "-d", "example.com", "--expiration", "later"}, "--expiration"},
		{[]string{"-k", "a.pem", "-s", "s", "-d", "example.com", "--headers", ""}, "--headers is empty"},
	} {
		io, _, _, _ := cmdutil.Test()
		cmd := newCmdSign(&cmdutil.Factory{IO: io}, func(*SignOptions) error { return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Out)
		cmd.SetErr(io.ErrOut)
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
		if cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%v: exit %d", tc.args, cmdutil.ExitCode(err))
		}
	}
}

// testFactory returns a Factory whose resolver is res and whose clock is
// fixed.
func testFactory(res dns.Resolver) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	io, in, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{
		IO:          io,
		Global:      &cmdutil.GlobalOptions{Output: "table"},
		Now:         func() time.Time { return time.Unix(1700000000, 0) },
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return res, nil },
	}
	return f, in, out, errOut
}

// signedMessage signs a small message with an Ed25519 key published in res
// at ed1._domainkey.example.com.
func signedMessage(t *testing.T, res *dnstest.Fake) string {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	res.AddTXT("ed1._domainkey.example.com", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)))
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "ed.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	f, in, out, _ := testFactory(res)
	in.WriteString("From: a@example.com\nSubject: hi\n\nbody\n")
	err := runSign(f, &SignOptions{KeyFiles: []string{keyFile}, Domain: "example.com", Selectors: []string{"ed1"}, Canonicalization: "relaxed/relaxed"})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestVerifyExitCodes(t *testing.T) {
	res := dnstest.NewFake()
	signed := signedMessage(t, res)

	run := func(res dns.Resolver, msg string, opts VerifyOptions) (int, *VerifyReport) {
		f, in, out, _ := testFactory(res)
		f.Global.Output = "json"
		in.WriteString(msg)
		if opts.Inputs == nil {
			opts.Inputs = []string{"-"}
		}
		if opts.Jobs == 0 {
			opts.Jobs = 2
		}
		if opts.MinRSABits == 0 {
			opts.MinRSABits = 1024
		}
		err := runVerify(f, &opts)
		var rep VerifyReport
		if err == nil || cmdutil.ExitCode(err) != cmdutil.ExitBadInput || out.Len() > 0 {
			if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
				t.Fatalf("bad JSON (%v): %s", jerr, out.String())
			}
		}
		return cmdutil.ExitCode(err), &rep
	}

	if code, rep := run(res, signed, VerifyOptions{}); code != 0 || rep.Messages[0].Result != "pass" || rep.Summary.Pass != 1 {
		t.Errorf("pass: exit %d %+v", code, rep.Messages)
	}
	if code, rep := run(res, strings.Replace(signed, "body", "BODY", 1), VerifyOptions{}); code != 1 || rep.Messages[0].Signatures[0].Code != "body-hash-mismatch" {
		t.Errorf("fail: exit %d %+v", code, rep.Messages)
	}
	timeout := dnstest.NewFake()
	timeout.Timeout("ed1._domainkey.example.com", 0)
	if code, rep := run(timeout, signed, VerifyOptions{}); code != 3 || rep.Messages[0].Result != "temperror" {
		t.Errorf("temperror: exit %d %+v", code, rep.Messages)
	}
	// A temporary failure beside a real failure is a failure.
	two := strings.Replace(signed, "DKIM-Signature:", "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x; h=from; bh=AAAA; b=AAAA\nDKIM-Signature:", 1)
	timeout.Add("x._domainkey.example.com. 300 IN TXT \"v=DKIM1; p=\"")
	if code, _ := run(timeout, two, VerifyOptions{}); code != 1 {
		t.Errorf("temperror + permerror: exit %d, want 1", code)
	}
	if code, rep := run(res, signed, VerifyOptions{RequireDomain: "example.org"}); code != 1 || !strings.Contains(rep.Messages[0].Reason, "no signature from example.org") {
		t.Errorf("require-domain: exit %d %+v", code, rep.Messages)
	}
	if code, _ := run(res, "not a message\n", VerifyOptions{}); code != 2 {
		t.Errorf("bad message: exit %d", code)
	}
	if code, rep := run(res, signed, VerifyOptions{AuthResults: "mx.example.net"}); code != 0 || !strings.HasPrefix(rep.Messages[0].AuthenticationResults, "mx.example.net; dkim=pass ") {
		t.Errorf("auth-results: %+v", rep.Messages[0])
	}
}

func TestMbox(t *testing.T) {
	res := dnstest.NewFake()
	signed := signedMessage(t, res)
	dir := t.TempDir()
	box := "From sender@example.com Mon Nov 23 10:00:00 2026\n" + strings.Replace(signed, "body\n", "body\n>From the start\n", 1) + "\n" +
		"From sender@example.com Mon Nov 23 10:00:01 2026\n" + signed + "\n"
	path := filepath.Join(dir, "box")
	os.WriteFile(path, []byte(box), 0o644)
	jobs := make(chan *job, 10)
	go listInputs([]string{path}, nil, jobs)
	var got []*job
	for j := range jobs {
		got = append(got, j)
	}
	if len(got) != 2 || got[0].name != path+"#1" || got[1].name != path+"#2" {
		t.Fatalf("jobs: %+v", got)
	}
	if !bytes.Contains(got[0].data, []byte("\nFrom the start\n")) || !bytes.HasSuffix(got[1].data, []byte("body\n")) {
		t.Errorf("mbox not unescaped or trimmed: %q", got[0].data)
	}
}
