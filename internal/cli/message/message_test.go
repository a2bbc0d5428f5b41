package message

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/msgauth"
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
	return signMessage(t, res, "From: a@example.com\nSubject: hi\n\nbody\n")
}

// signMessage signs msg with an Ed25519 key published in res at
// ed1._domainkey.example.com.
func signMessage(t *testing.T, res *dnstest.Fake, msg string) string {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	res.AddTXT("ed1._domainkey.example.com", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)))
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "ed.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	f, in, out, _ := testFactory(res)
	in.WriteString(msg)
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
		if opts.Concurrency == 0 {
			opts.Concurrency = 2
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

func TestVerifyFlags(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		notice string
		want   func(*VerifyOptions) bool
	}{
		{nil, "", func(o *VerifyOptions) bool { return o.Concurrency >= 4 && len(o.Inputs) == 1 && o.Inputs[0] == "-" }},
		{[]string{"-j", "3", "a.eml", "b.eml"}, "", func(o *VerifyOptions) bool { return o.Concurrency == 3 && len(o.Inputs) == 2 }},
		{[]string{"--concurrency", "5"}, "", func(o *VerifyOptions) bool { return o.Concurrency == 5 }},
		{[]string{"--jobs", "7"}, "--jobs is deprecated: use --concurrency instead", func(o *VerifyOptions) bool { return o.Concurrency == 7 }},
		{[]string{"--require-domain", "Bücher.Example."}, "", func(o *VerifyOptions) bool { return o.RequireDomain == "xn--bcher-kva.example" }},
		{[]string{"--ip", "192.0.2.1", "--helo", "mx.example.org", "--mail-from", "a@example.org"}, "", func(o *VerifyOptions) bool {
			return o.Conn != nil && o.Conn.IP.String() == "192.0.2.1" && o.Conn.HELO == "mx.example.org" && o.Conn.MailFrom == "a@example.org"
		}},
	} {
		io, _, out, errOut := cmdutil.Test()
		f := &cmdutil.Factory{IO: io}
		var got *VerifyOptions
		root := &cobra.Command{Use: "emailauth", SilenceErrors: true, SilenceUsage: true}
		root.AddCommand(newCmdVerify(f, func(o *VerifyOptions) error { got = o; return nil }))
		root.SetOut(out) // as cli.Run does
		root.SetErr(errOut)
		root.SetArgs(append([]string{"verify"}, tc.args...))
		if err := root.Execute(); err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		io.FlushWarnings() // as cli.Run does once -q is known
		if !tc.want(got) {
			t.Errorf("%v: options %+v", tc.args, got)
		}
		if tc.notice == "" && errOut.Len() > 0 || tc.notice != "" && !strings.Contains(errOut.String(), tc.notice) {
			t.Errorf("%v: stderr %q, want %q", tc.args, errOut, tc.notice)
		}
		if out.Len() > 0 {
			t.Errorf("%v: stdout %q", tc.args, out)
		}
	}
	for _, args := range [][]string{{"-j", "0"}, {"--jobs", "0"}, {"--require-domain", "a..example"}, {"--helo", "x.example"}, {"--ip", "192.0.2.1"}} {
		io, _, _, _ := cmdutil.Test()
		cmd := newCmdVerify(&cmdutil.Factory{IO: io}, func(*VerifyOptions) error { return nil })
		cmd.SetArgs(args)
		cmd.SetOut(io.Out)
		cmd.SetErr(io.ErrOut)
		if err := cmd.Execute(); cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%v: %v (exit %d)", args, err, cmdutil.ExitCode(err))
		}
	}
}

func TestSignOutAndStdinKey(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want func(*SignOptions) bool
		err  string
	}{
		{[]string{"-k", "a.pem", "-d", "example.com", "-s", "s1", "--out", "-", "m.eml"}, func(o *SignOptions) bool { return o.Out == "-" }, ""},
		{[]string{"-k", "a.pem", "-d", "example.com", "-s", "s1", "-O", "signed.eml"}, func(o *SignOptions) bool { return o.Out == "signed.eml" }, ""},
		{[]string{"-k", "-", "-d", "example.com", "-s", "s1", "m.eml"}, func(o *SignOptions) bool { return o.KeyFiles[0] == "-" && o.Message == "m.eml" }, ""},
		{[]string{"-k", "-", "-d", "example.com", "-s", "s1"}, nil, "the message cannot come from there too"},
		{[]string{"-k", "-", "-d", "example.com", "-s", "s1", "-"}, nil, "the message cannot come from there too"},
		{[]string{"-k", "-", "-k", "-", "-d", "example.com", "-s", "s1", "-s", "s2", "m.eml"}, nil, "stdin holds one key"},
	} {
		io, _, _, _ := cmdutil.Test()
		var got *SignOptions
		cmd := newCmdSign(&cmdutil.Factory{IO: io}, func(o *SignOptions) error { got = o; return nil })
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Out)
		cmd.SetErr(io.ErrOut)
		err := cmd.Execute()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || cmdutil.ExitCode(err) != cmdutil.ExitBadInput):
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.err)
		case tc.err == "" && (err != nil || !tc.want(got)):
			t.Errorf("%v: %v %+v", tc.args, err, got)
		}
	}
}

// TestSignKeyFromStdin: -k - reads the key from stdin; the message is a file.
func TestSignKeyFromStdin(t *testing.T) {
	res := dnstest.NewFake()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	res.AddTXT("ed1._domainkey.example.com", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)))
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	msg := filepath.Join(t.TempDir(), "m.eml")
	os.WriteFile(msg, []byte("From: a@example.com\nSubject: hi\n\nbody\n"), 0o644)
	f, in, out, _ := testFactory(res)
	in.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err := runSign(f, &SignOptions{KeyFiles: []string{"-"}, Domain: "example.com", Selectors: []string{"ed1"}, Canonicalization: "relaxed/relaxed", Message: msg, Out: "-"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "DKIM-Signature: v=1; a=ed25519-sha256;") {
		t.Errorf("output: %q", out)
	}
	f, in, _, _ = testFactory(res)
	in.WriteString("not a key")
	err := runSign(f, &SignOptions{KeyFiles: []string{"-"}, Domain: "example.com", Selectors: []string{"ed1"}, Canonicalization: "relaxed/relaxed", Message: msg})
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "--private-key -: dkimkey: ") || strings.Contains(err.Error(), "not a key") {
		t.Errorf("bad key from stdin: %v", err)
	}
}

// hostile is what a stranger can put in a message header to drive a
// terminal: ESC sequences (title, clear screen), BEL, NUL, a bidi override
// and bytes that are not UTF-8.
const hostile = "\x1b]0;owned\x07\x1b[2J\x00\u202e\xff\xfe"

// hostileMessages returns messages with hostile bytes in From, in the d=
// and s= of a DKIM-Signature (with control characters, which the parser
// refuses, and with a bidi control alone, which it keeps), and in a signed
// message's From display name and Subject.
func hostileMessages(t *testing.T, res *dnstest.Fake) map[string]string {
	signed := signMessage(t, res, "From: \""+hostile+"\" <a@example.com>\nSubject: "+hostile+"\n\nbody\n")
	return map[string]string{
		"bidi.eml":    "DKIM-Signature: v=1; a=rsa-sha256; d=ex\u202eample.com; s=s\u202e1; h=from; bh=AAAA; b=AAAA\nFrom: a@ex\u202eample.com\n\nbody\n",
		"bidisel.eml": "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s\u202e1\xff; h=from; bh=AAAA; b=AAAA\nFrom: a@example.com\n\nbody\n",
		"from.eml":    "From: " + hostile + " <a@ex" + hostile + "ample.com>\nSubject: hi\n\nbody\n",
		"sig.eml":     "DKIM-Signature: v=1; a=rsa-sha256; d=" + hostile + "; s=" + hostile + "; h=from; bh=AAAA; b=AAAA\nFrom: a@example.com\nSubject: hi\n\nbody\n",
		"sel.eml":     "DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=x" + hostile + "; h=from; bh=AAAA; b=AAAA\nFrom: a@example.com\n\nbody\n",
		"signed.eml":  signed,
		"twofrom.eml": "From: a@" + hostile + "\nFrom: b@example.com\n\nbody\n",
	}
}

// assertSafe fails when out holds a control character other than newline,
// invalid UTF-8 or (for text meant for people) a bidi control.
func assertSafe(t *testing.T, what string, out []byte, human bool) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Errorf("%s: invalid UTF-8: %q", what, out)
	}
	for _, r := range string(out) {
		if r < 0x20 && r != '\n' || r == 0x7f || human && (r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069) {
			t.Errorf("%s: unsafe character %U in %q", what, r, out)
			return
		}
	}
}

func TestVerifyHostileMessages(t *testing.T) {
	res := dnstest.NewFake()
	res.Add("example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"")
	res.Add("_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject\"")
	msgs := hostileMessages(t, res)
	dir := t.TempDir()
	var files []string
	for name, m := range msgs {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(m), 0o644)
		files = append(files, p)
	}
	sort.Strings(files)
	for _, format := range []string{"table", "json"} {
		for _, quiet := range []bool{false, true} {
			for _, conn := range []bool{false, true} {
				what := fmt.Sprintf("-o %s quiet=%v conn=%v", format, quiet, conn)
				f, _, out, errOut := testFactory(res)
				f.Global.Output = format
				f.IO.Quiet = quiet
				opts := &VerifyOptions{Inputs: files, Concurrency: 2, MinRSABits: 1024, AuthResults: "mx.example.net"}
				if conn {
					opts.Conn = &msgauth.Connection{IP: netip.MustParseAddr("192.0.2.7"), HELO: "mx.example.org", MailFrom: "b@example.com"}
				}
				err := runVerify(f, opts)
				if code := cmdutil.ExitCode(err); code != 1 {
					t.Errorf("%s: exit %d (%v), want 1", what, code, err)
				}
				assertSafe(t, what+" stdout", out.Bytes(), format == "table")
				assertSafe(t, what+" stderr", errOut.Bytes(), true)
				if format == "json" {
					var rep VerifyReport
					if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Messages) != len(files) {
						t.Errorf("%s: %v %s", what, err, out)
					}
				} else if !quiet && (conn && !strings.Contains(out.String(), `\x1b]0;owned`) || !strings.Contains(out.String(), `d=ex\u{202e}ample.com`)) {
					t.Errorf("%s: the hostile text is not shown escaped:\n%s", what, out)
				}
			}
		}
	}
}

func TestVerifyQuiet(t *testing.T) {
	res := dnstest.NewFake()
	signed := signedMessage(t, res)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.eml"), []byte(signed), 0o644)
	os.WriteFile(filepath.Join(dir, "b.eml"), []byte(strings.Replace(signed, "body", "BODY", 1)), 0o644)
	os.WriteFile(filepath.Join(dir, "c.eml"), []byte("From: a@example.com\n\nunsigned\n"), 0o644)
	f, _, out, errOut := testFactory(res)
	f.IO.Quiet = true
	err := runVerify(f, &VerifyOptions{Inputs: []string{dir}, Concurrency: 2, MinRSABits: 1024, AuthResults: "mx.example.net"})
	if cmdutil.ExitCode(err) != 1 {
		t.Errorf("exit %d: %v", cmdutil.ExitCode(err), err)
	}
	a, b, c := filepath.Join(dir, "a.eml"), filepath.Join(dir, "b.eml"), filepath.Join(dir, "c.eml")
	w := len(a)
	pad := func(s string) string { return s + strings.Repeat(" ", w-len(s)+2) }
	want := pad(a) + "pass\n" +
		"Authentication-Results: mx.example.net; dkim=pass header.a=ed25519-sha256 header.b=" + regexp.MustCompile(`header\.b=(\S+)`).FindStringSubmatch(out.String())[1] + " header.d=example.com header.i=@example.com header.s=ed1; arc=none\n" +
		pad(b) + "fail  no signature passes\n"
	if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), pad(c)+"none  the message has no DKIM-Signature\n") || strings.Contains(out.String(), "messages:") {
		t.Errorf("-q output:\n%s\nwant to start with:\n%s", out, want)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %q", errOut)
	}
}
