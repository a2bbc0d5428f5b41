package dkim

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const keysDir = "../../../testdata/keys"

type testEnv struct {
	f           *cmdutil.Factory
	in          *bytes.Buffer
	out, errOut *bytes.Buffer
}

func newEnv(t *testing.T, output string, r dns.Resolver) *testEnv {
	t.Helper()
	io, in, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{
		IO:     io,
		Global: &cmdutil.GlobalOptions{Output: output},
		Rand:   bytes.NewReader(bytes.Repeat([]byte{42}, 1024)),
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) {
			if r == nil {
				return nil, errors.New("no resolver in this test")
			}
			return r, nil
		},
	}
	return &testEnv{f: f, in: in, out: out, errOut: errOut}
}

func run(t *testing.T, cmd *cobra.Command, args ...string) error {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return cmd.Execute()
}

func TestKeygenFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want func(*KeygenOptions) bool
	}{
		{[]string{"Example.COM.", "--selector", "S1"}, 0, func(o *KeygenOptions) bool {
			return o.Domain.ASCII == "example.com" && o.Selector == "s1" && o.Algorithm == "rsa" && o.Bits == 2048 && o.TTL == 3600 && o.Out == "" && o.OutDir == ""
		}},
		{[]string{"example.com", "-s", "e", "--algorithm", "Ed25519", "--ttl", "0"}, 0, func(o *KeygenOptions) bool {
			return o.Algorithm == "ed25519" && o.Bits == 0 && o.TTL == 0
		}},
		{[]string{"bücher.example", "-s", "s1"}, 0, func(o *KeygenOptions) bool {
			return o.Domain.ASCII == "xn--bcher-kva.example" && o.Domain.Unicode == "bücher.example" && o.keyPath() == "s1.xn--bcher-kva.example.pem"
		}},
		{[]string{"https://Example.com/path", "-s", "s1"}, 0, func(o *KeygenOptions) bool { return o.Domain.ASCII == "example.com" }},
		{[]string{"postmaster@example.com", "-s", "s1"}, 0, func(o *KeygenOptions) bool { return o.Domain.ASCII == "example.com" }},
		{[]string{"example.com", "-s", "s", "--bits", "4096", "--testing", "--strict-subdomains", "--service", "email", "--hash", "SHA256", "--note", "hi"}, 0, func(o *KeygenOptions) bool {
			return o.Bits == 4096 && o.Testing && o.StrictSubdomains && o.Services[0] == "email" && o.Hashes[0] == "sha256" && o.Note == "hi"
		}},
		{[]string{"example.com", "-s", "s", "--out", "k.pem"}, 0, func(o *KeygenOptions) bool { return o.Out == "k.pem" && o.keyPath() == "k.pem" }},
		{[]string{"example.com", "-s", "s", "--out", "-"}, 0, func(o *KeygenOptions) bool { return o.keyPath() == "-" }},
		{[]string{"example.com", "-s", "s", "--out-dir", "keys"}, 0, func(o *KeygenOptions) bool {
			return o.OutDir == "keys" && o.keyPath() == filepath.Join("keys", "s.example.com.pem")
		}},
		{[]string{"example.com", "-s", "s", "--bits", "1024", "--insecure"}, 0, nil},
		{[]string{"example.com", "-s", "s", "--bits", "1024"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--bits", "512", "--insecure"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--algorithm", "ed25519", "--bits", "2048"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--algorithm", "dsa"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--ttl", "-1"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--ttl", "2147483648"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--out", "k.pem", "--out-dir", "d"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--out", dir, "--out-dir", "d"}, 2, nil},
		{[]string{"-s", "s"}, 2, nil},
		{[]string{"example.com"}, 2, nil},
		{[]string{"a.example,b.example", "-s", "s"}, 2, nil},
		{[]string{"192.0.2.1", "-s", "s"}, 2, nil},
		{[]string{"exa mple.com", "-s", "s"}, 2, nil},
		{[]string{"example.com", "-s", "s._domainkey.example.com"}, 2, nil},
		{[]string{"example.com", "-s", "a b"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--service", "web"}, 2, nil},
		{[]string{"example.com", "-s", "s", "--hash", "sha1"}, 2, nil},
	}
	for _, tt := range tests {
		env := newEnv(t, "table", nil)
		var got *KeygenOptions
		err := run(t, NewCmdKeygen(env.f, func(o *KeygenOptions) error { got = o; return nil }), tt.args...)
		if code := cmdutil.ExitCode(err); code != tt.code {
			t.Errorf("%v: exit %d (%v), want %d", tt.args, code, err, tt.code)
			continue
		}
		if tt.want != nil && !tt.want(got) {
			t.Errorf("%v: options %+v", tt.args, got)
		}
		if tt.code == 0 && strings.Contains(env.errOut.String(), "deprecated") {
			t.Errorf("%v: a deprecation notice for a current spelling: %s", tt.args, env.errOut)
		}
	}
}

// TestDeprecatedSpellings: every old spelling of keygen and record still
// works, means what it meant, and says so on stderr (never on stdout, which
// may hold a key or a record).
func TestDeprecatedSpellings(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		notice string
		check  func(*KeygenOptions) bool
	}{
		{"--domain", []string{"--domain", "Example.com", "-s", "s1"}, "--domain is deprecated: give the domain as the DOMAIN argument instead",
			func(o *KeygenOptions) bool { return o.Domain.ASCII == "example.com" }},
		{"--domain and the same DOMAIN", []string{"example.com", "--domain", "EXAMPLE.com.", "-s", "s1"}, "--domain is deprecated",
			func(o *KeygenOptions) bool { return o.Domain.ASCII == "example.com" }},
		{"--private-key FILE", []string{"example.com", "-s", "s1", "--private-key", "k.pem"}, "--private-key is deprecated: use --out instead",
			func(o *KeygenOptions) bool { return o.Out == "k.pem" && o.keyPath() == "k.pem" }},
		{"--private-key -", []string{"example.com", "-s", "s1", "--private-key", "-"}, "--private-key is deprecated: use --out instead",
			func(o *KeygenOptions) bool { return o.keyPath() == "-" }},
		{"--out DIR (existing)", []string{"example.com", "-s", "s1", "--out", dir}, "warning: --out with a directory is deprecated: use --out-dir " + dir + " instead",
			func(o *KeygenOptions) bool {
				return o.Out == "" && o.OutDir == dir && o.keyPath() == filepath.Join(dir, "s1.example.com.pem")
			}},
		{"--out DIR/ (new)", []string{"example.com", "-s", "s1", "--out", "newdir/"}, "use --out-dir newdir/ instead",
			func(o *KeygenOptions) bool { return o.Out == "" && o.OutDir == "newdir/" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, "table", nil)
			var got *KeygenOptions
			root := &cobra.Command{Use: "emailauth"}
			root.AddCommand(NewCmdKeygen(env.f, func(o *KeygenOptions) error { got = o; return nil }))
			root.SetOut(env.out) // as cli.Run does
			root.SetErr(env.errOut)
			root.SetArgs(append([]string{"keygen"}, tc.args...))
			root.SilenceErrors, root.SilenceUsage = true, true
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			env.f.IO.FlushWarnings() // as cli.Run does once -q is known
			if !tc.check(got) {
				t.Errorf("options %+v", got)
			}
			if !strings.Contains(env.errOut.String(), tc.notice) {
				t.Errorf("stderr %q lacks %q", env.errOut, tc.notice)
			}
			if env.out.Len() != 0 {
				t.Errorf("stdout: %q", env.out)
			}
		})
	}
	// --domain and a different DOMAIN: a usage error.
	env := newEnv(t, "table", nil)
	err := run(t, NewCmdKeygen(env.f, func(*KeygenOptions) error { return nil }), "a.example", "--domain", "b.example", "-s", "s")
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "differ") {
		t.Errorf("two domains: %v", err)
	}
	// record: --domain still works, with the notice.
	env = newEnv(t, "table", nil)
	var rec *RecordOptions
	err = run(t, NewCmdRecord(env.f, func(o *RecordOptions) error { rec = o; return nil }), "--domain", "example.com", "--selector", "s", "--private-key", "k.pem")
	env.f.IO.FlushWarnings()
	if err != nil || rec.Domain.ASCII != "example.com" || rec.PrivateKey != "k.pem" || !strings.Contains(env.errOut.String(), "--domain is deprecated") {
		t.Errorf("record --domain: %v %+v %q", err, rec, env.errOut)
	}
}

func TestRecordFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want func(*RecordOptions) bool
	}{
		{[]string{"example.com", "-s", "s1", "-k", "k.pem"}, 0, func(o *RecordOptions) bool {
			return o.Domain.ASCII == "example.com" && o.Selector == "s1" && o.PrivateKey == "k.pem" && o.TTL == 3600
		}},
		{[]string{"example.com", "--selector", "s1", "--private-key", "-", "--ttl", "300"}, 0, func(o *RecordOptions) bool { return o.PrivateKey == "-" && o.TTL == 300 }},
		{[]string{"xn--bcher-kva.example", "-s", "s1", "-k", "k.pem"}, 0, func(o *RecordOptions) bool {
			return o.Domain.ASCII == "xn--bcher-kva.example" && o.Domain.Unicode == "bücher.example"
		}},
		{[]string{"example.com", "-s", "s1"}, 2, nil},
		{[]string{"-s", "s1", "-k", "k.pem"}, 2, nil},
		{[]string{"example.com", "-k", "k.pem"}, 2, nil},
		{[]string{"example.com:25", "-s", "s1", "-k", "k.pem"}, 2, nil},
	} {
		env := newEnv(t, "table", nil)
		var got *RecordOptions
		err := run(t, NewCmdRecord(env.f, func(o *RecordOptions) error { got = o; return nil }), tc.args...)
		if code := cmdutil.ExitCode(err); code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
			continue
		}
		if tc.want != nil && !tc.want(got) {
			t.Errorf("%v: options %+v", tc.args, got)
		}
	}
}

func TestCheckFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want func(*CheckOptions) bool
	}{
		{[]string{"example.com", "-s", "a,b", "-s", "c", "-k", "k.pem"}, 0, func(o *CheckOptions) bool {
			return o.Domain.ASCII == "example.com" && strings.Join(o.Selectors, " ") == "a b c" && o.PrivateKey == "k.pem"
		}},
		{[]string{"bücher.example"}, 0, func(o *CheckOptions) bool { return o.Domain.ASCII == "xn--bcher-kva.example" && len(o.Selectors) == 0 }},
		{[]string{"mailto:dmarc@example.com"}, 0, func(o *CheckOptions) bool { return o.Domain.ASCII == "example.com" }},
		{[]string{"--private-key", "-", "example.com"}, 0, func(o *CheckOptions) bool { return o.PrivateKey == "-" }},
		{[]string{"a.example,b.example"}, 2, nil},
		{[]string{"example.com", "-s", "s1._domainkey.example.com"}, 2, nil},
	} {
		env := newEnv(t, "table", nil)
		var got *CheckOptions
		err := run(t, NewCmdCheck(env.f, func(o *CheckOptions) error { got = o; return nil }), tc.args...)
		if code := cmdutil.ExitCode(err); code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
			continue
		}
		if tc.want != nil && !tc.want(got) {
			t.Errorf("%v: options %+v", tc.args, got)
		}
	}
}

func TestKeygenEd25519(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, "json", nil)
	if err := run(t, NewCmdKeygen(env.f, nil), "example.com", "--selector", "ed1", "--algorithm", "ed25519", "--out-dir", dir, "--testing", "--note", "rotated 2026"); err != nil {
		t.Fatal(err)
	}
	var p Publication
	if err := json.Unmarshal(env.out.Bytes(), &p); err != nil {
		t.Fatalf("%v: %s", err, env.out)
	}
	path := filepath.Join(dir, "ed1.example.com.pem")
	// The seed comes from f.Rand: 32 bytes of 42.
	if p.Name != "ed1._domainkey.example.com" || p.Algorithm != "ed25519" || p.PrivateKeyFile != path ||
		p.Value != "v=DKIM1; k=ed25519; n=rotated 2026; t=y; p=GX9rI+FshTLGq8g4+s1ep4m+DHaykgM0A5v6iz02jWE=" || len(p.Strings) != 1 {
		t.Errorf("publication: %+v", p)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	seedPub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{42}, 32)).Public().(ed25519.PublicKey)
	if !strings.HasSuffix(p.Value, base64.StdEncoding.EncodeToString(seedPub)) {
		t.Error("the key does not come from f.Rand")
	}
	pemData, _ := os.ReadFile(path)
	if bytes.Contains(env.out.Bytes(), pemData[28:60]) || strings.Contains(env.out.String(), "PRIVATE") {
		t.Error("the JSON holds the private key")
	}
	key, err := dkimkey.ParsePrivateKey(pemData)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := dkimkey.ParseRecord(p.Value)
	if !dkimkey.SamePublicKey(key.Public(), rec.PublicKey) {
		t.Error("the record does not publish the written key")
	}
	// A second run refuses to overwrite, and leaves the key alone.
	env = newEnv(t, "json", nil)
	err = run(t, NewCmdKeygen(env.f, nil), "example.com", "--selector", "ed1", "--algorithm", "ed25519", "--out-dir", dir)
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), path) || !strings.Contains(cmdutil.HintFor(err), "--force") {
		t.Errorf("overwrite: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, pemData) {
		t.Error("the key was changed")
	}
	env = newEnv(t, "json", nil)
	env.f.Rand = bytes.NewReader(bytes.Repeat([]byte{7}, 64))
	if err := run(t, NewCmdKeygen(env.f, nil), "example.com", "--selector", "ed1", "--algorithm", "ed25519", "--out-dir", dir, "--force"); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); bytes.Equal(after, pemData) {
		t.Error("--force did not replace the key")
	}
}

func TestKeygenToStdout(t *testing.T) {
	env := newEnv(t, "table", nil)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := run(t, NewCmdKeygen(env.f, nil), "example.com", "--selector", "e", "--algorithm", "ed25519", "--out", "-"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(env.out.String(), "-----BEGIN PRIVATE KEY-----\n") || strings.Count(env.out.String(), "\n") != 3 {
		t.Errorf("stdout: %q", env.out)
	}
	if !strings.Contains(env.errOut.String(), "e._domainkey.example.com") {
		t.Errorf("stderr: %q", env.errOut)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Error("a file was written")
	}
}

func TestKeygenRSA(t *testing.T) {
	if testing.Short() {
		t.Skip("RSA key generation is slow")
	}
	dir := t.TempDir()
	env := newEnv(t, "table", nil)
	key := filepath.Join(dir, "k.pem")
	if err := run(t, NewCmdKeygen(env.f, nil), "example.com", "--selector", "s1", "--out", key); err != nil {
		t.Fatal(err)
	}
	out := env.out.String()
	for _, want := range []string{"Name:   s1._domainkey.example.com", "Value:  v=DKIM1; k=rsa; p=MIIB", "ONE\nrecord of 2 strings", `s1._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; p=MIIB`, "mode 0600"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRecord(t *testing.T) {
	env := newEnv(t, "json", nil)
	if err := run(t, NewCmdRecord(env.f, nil), "--private-key", filepath.Join(keysDir, "rsa1024-pkcs1.pem"), "example.com", "--selector", "old", "--hash", "sha256", "--ttl", "3600"); err != nil {
		t.Fatal(err)
	}
	var p Publication
	if err := json.Unmarshal(env.out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Bits != 1024 || !strings.HasPrefix(p.Value, "v=DKIM1; h=sha256; k=rsa; p=MIGfMA0G") || !strings.HasPrefix(p.ZoneLine, "old._domainkey.example.com. 3600 IN TXT ") || p.PrivateKeyFile != "" {
		t.Errorf("publication: %+v", p)
	}
	// Same key, PKCS#8 form: same record.
	env2 := newEnv(t, "json", nil)
	if err := run(t, NewCmdRecord(env2.f, nil), "--private-key", filepath.Join(keysDir, "rsa1024.pem"), "example.com", "--selector", "old", "--hash", "sha256", "--ttl", "3600"); err != nil {
		t.Fatal(err)
	}
	if env2.out.String() != env.out.String() {
		t.Error("PKCS#1 and PKCS#8 forms give different records")
	}
	// From stdin.
	env3 := newEnv(t, "table", nil)
	seed, _ := os.ReadFile("../../../testdata/conformance/dkim/rfc8463/ed25519.seed.b64")
	env3.in.Write(seed)
	if err := run(t, NewCmdRecord(env3.f, nil), "--private-key", "-", "football.example.com", "--selector", "brisbane"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(env3.out.String(), "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=") {
		t.Errorf("RFC 8463 key: %s", env3.out)
	}
}

func TestRecordBadKeys(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"not-a-key.pem", "malformed PKCS#8"},
		{"rsa1024-public.pem", "public key"},
		{"encrypted.pem", "encrypted"},
		{"text.txt", "not a private key"},
		{"missing.pem", "no such file"},
	} {
		env := newEnv(t, "table", nil)
		path := filepath.Join(keysDir, tt.file)
		err := run(t, NewCmdRecord(env.f, nil), "--private-key", path, "example.com", "--selector", "s")
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) || cmdutil.HintFor(err) == "" {
			t.Errorf("%s: %v (hint %q)", tt.file, err, cmdutil.HintFor(err))
		}
		if env.out.Len() != 0 {
			t.Errorf("%s: output %q", tt.file, env.out)
		}
	}
	env := newEnv(t, "table", nil)
	if err := run(t, NewCmdRecord(env.f, nil), "example.com", "--selector", "s"); cmdutil.ExitCode(err) != 2 {
		t.Errorf("no --private-key: %v", err)
	}
}

func checkFake(t *testing.T) *dnstest.Fake {
	key, err := os.ReadFile(filepath.Join(keysDir, "rsa2048.pem"))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := dkimkey.ParsePrivateKey(key)
	rec, _ := dkimkey.NewRecord(k.Public())
	fake := dnstest.NewFake(
		dkimkey.ZoneLine("s1._domainkey.example.com", rec.String(), 300),
		dkimkey.ZoneLine("old._domainkey.example.com", "v=DKIM1; p=", 300),
		dkimkey.ZoneLine("bad._domainkey.example.com", "v=DKIM1; k=rsa; t; p=", 300),
		dkimkey.ZoneLine("tenant-7._domainkey.example.com", rec.String(), 300),
	)
	fake.ServFail("down._domainkey.example.com", 0)
	return fake
}

func TestCheck(t *testing.T) {
	fake := checkFake(t)
	tests := []struct {
		args   []string
		code   int
		output []string
	}{
		{[]string{"example.com", "-s", "s1"}, 0, []string{"PASS  s1  s1._domainkey.example.com  (RSA 2048 bits)", "Result: pass"}},
		{[]string{"example.com", "-s", "s1,old", "--private-key", filepath.Join(keysDir, "rsa2048.pem")}, 0, []string{"private key: matches the published key", "REVOKED  old", "info dkim.revoked"}},
		{[]string{"example.com", "-s", "s1", "--private-key", filepath.Join(keysDir, "ed25519.pem")}, 1, []string{"error dkim.key-mismatch", "fix: publish the record for the private key: s1._domainkey.example.com. IN TXT \"v=DKIM1; k=ed25519; p="}},
		{[]string{"example.com", "-s", "bad"}, 1, []string{"error dkim.malformed", `tag "t" at offset 16`}},
		{[]string{"example.com", "-s", "nope"}, 1, []string{"error dkim.no-record"}},
		{[]string{"example.com", "-s", "s1", "-s", "down"}, 3, []string{"could not look it up", "SERVFAIL"}},
		{[]string{"example.com"}, 0, []string{"probed", "discovery can never be complete"}},
		{[]string{"example.org"}, 0, []string{"warning dkim.none-found"}},
		{[]string{"exa mple.com"}, 2, nil},
		{[]string{"example.com", "-s", "x._domainkey.example.com"}, 2, nil},
		{[]string{"example.com", "-s", "s1", "--private-key", filepath.Join(keysDir, "not-a-key.pem")}, 2, nil},
	}
	for _, tt := range tests {
		env := newEnv(t, "table", fake)
		err := run(t, NewCmdCheck(env.f, nil), tt.args...)
		if code := cmdutil.ExitCode(err); code != tt.code {
			t.Errorf("%v: exit %d (%v), want %d\n%s", tt.args, code, err, tt.code, env.out)
			continue
		}
		for _, want := range tt.output {
			if !strings.Contains(env.out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, want, env.out)
			}
		}
	}
}

// TestConfigSelectorsAreRequired: dkim.selectors in the config means what
// --selector means (no discovery; a missing key fails).
func TestConfigSelectorsAreRequired(t *testing.T) {
	fake := checkFake(t)
	for _, tc := range []struct {
		config []string
		args   []string
	}{
		{[]string{"nope"}, []string{"example.com"}},
		{nil, []string{"example.com", "-s", "nope"}},
	} {
		env := newEnv(t, "table", fake)
		env.f.Global.DKIMSelectors = tc.config
		err := run(t, NewCmdCheck(env.f, nil), tc.args...)
		if code := cmdutil.ExitCode(err); code != 1 {
			t.Errorf("config %v, args %v: exit %d, want 1\n%s", tc.config, tc.args, code, env.out)
		}
		if !strings.Contains(env.out.String(), "dkim.no-record") || strings.Contains(env.out.String(), "probed") {
			t.Errorf("config %v, args %v: output\n%s", tc.config, tc.args, env.out)
		}
	}
}

func TestCheckJSON(t *testing.T) {
	env := newEnv(t, "json", checkFake(t))
	err := run(t, NewCmdCheck(env.f, nil), "example.com", "-s", "s1,bad", "--private-key", filepath.Join(keysDir, "rsa2048.pem"))
	if cmdutil.ExitCode(err) != 1 {
		t.Fatalf("exit %d: %v", cmdutil.ExitCode(err), err)
	}
	var res struct {
		Domain    string `json:"domain"`
		Status    string `json:"status"`
		Selectors []struct {
			Selector   string `json:"selector"`
			Status     string `json:"status"`
			KeyBits    int    `json:"key_bits"`
			KeyMatches *bool  `json:"key_matches"`
			Findings   []struct {
				Code string `json:"code"`
			} `json:"findings"`
		} `json:"selectors"`
	}
	if err := json.Unmarshal(env.out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != "fail" || len(res.Selectors) != 2 || res.Selectors[0].KeyBits != 2048 || !*res.Selectors[0].KeyMatches ||
		res.Selectors[1].Findings[0].Code != "dkim.malformed" {
		t.Errorf("JSON: %s", env.out)
	}
	if strings.Contains(env.out.String(), "PRIVATE") {
		t.Error("the JSON mentions the private key")
	}
}

// hostile is what a stranger can put in a key record to drive a terminal:
// ESC sequences (title, clear screen), BEL, NUL, a bidi override and bytes
// that are not UTF-8.
const hostile = "\x1b]0;owned\x07\x1b[2J\x00\u202e\xff\xfe"

const edKey = "YmRyHu2fUZuGtRArAzNItU1I0qtfaG+kpjnJwjqvJqU="

func hostileFake() *dnstest.Fake {
	fake := dnstest.NewFake()
	fake.AddTXT("k._domainkey.example.com", "v=DKIM1; k="+hostile+"; p="+edKey)            // an unknown k=, quoted
	fake.AddTXT("n._domainkey.example.com", "v=DKIM1; k=ed25519; n="+hostile+"; p="+edKey) // a note
	fake.AddTXT("t._domainkey.example.com", "v=DKIM1; "+hostile+"=1; p="+edKey)            // a tag name
	fake.AddTXT("p._domainkey.example.com", "v=DKIM1; k=rsa; p="+hostile)                  // the key itself
	fake.AddTXT("v._domainkey.example.com", "v="+hostile+"; p="+edKey)                     // the version
	return fake
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

func TestCheckHostileRecords(t *testing.T) {
	sels := []string{"k", "n", "t", "p", "v", "b"}
	for _, format := range []string{"table", "json"} {
		for _, quiet := range []bool{false, true} {
			for _, verbose := range []int{0, 1} {
				env := newEnv(t, format, hostileFake())
				env.f.IO.Quiet, env.f.IO.Verbosity = quiet, verbose
				err := run(t, NewCmdCheck(env.f, nil), "example.com", "-s", strings.Join(sels, ","))
				what := fmt.Sprintf("-o %s quiet=%v -v=%d", format, quiet, verbose)
				if code := cmdutil.ExitCode(err); code != 1 {
					t.Errorf("%s: exit %d (%v), want 1", what, code, err)
				}
				assertSafe(t, what+" stdout", env.out.Bytes(), format == "table")
				assertSafe(t, what+" stderr", env.errOut.Bytes(), true)
				if format == "table" && !quiet && !strings.Contains(env.out.String(), `\x1b]0;owned\x07\x1b[2J\x00\u{202e}`) {
					t.Errorf("%s: the record is not shown escaped:\n%s", what, env.out)
				}
				if format == "json" {
					var v map[string]any
					if err := json.Unmarshal(env.out.Bytes(), &v); err != nil {
						t.Errorf("%s: %v", what, err)
					}
				}
			}
		}
	}
}

func TestCheckQuiet(t *testing.T) {
	env := newEnv(t, "table", checkFake(t))
	env.f.IO.Quiet = true
	err := run(t, NewCmdCheck(env.f, nil), "example.com", "-s", "s1,old,bad", "-k", filepath.Join(keysDir, "rsa2048.pem"))
	if cmdutil.ExitCode(err) != 1 {
		t.Fatalf("exit %d: %v", cmdutil.ExitCode(err), err)
	}
	want := `PASS  s1  s1._domainkey.example.com  (RSA 2048 bits)
REVOKED  old  old._domainkey.example.com  (revoked)
FAIL  bad  bad._domainkey.example.com
  error dkim.malformed: the key record at bad._domainkey.example.com is malformed: tag-list: tag "t" at offset 16: the tag has no "=" and no value (write t=value)
Result: fail
`
	if env.out.String() != want {
		t.Errorf("-q output:\n%s\nwant:\n%s", env.out, want)
	}
}

func TestKeygenQuiet(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, "table", nil)
	env.f.IO.Quiet = true
	if err := run(t, NewCmdKeygen(env.f, nil), "bücher.example", "-s", "ed1", "--algorithm", "ed25519", "--out-dir", dir); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^ed1\._domainkey\.xn--bcher-kva\.example\. 3600 IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="\n$`).MatchString(env.out.String()) {
		t.Errorf("stdout: %q", env.out)
	}
	if env.errOut.Len() != 0 {
		t.Errorf("stderr: %q", env.errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "ed1.xn--bcher-kva.example.pem")); err != nil {
		t.Error(err)
	}

	// --out -: the key alone on stdout, the zone line alone on stderr.
	env = newEnv(t, "table", nil)
	env.f.IO.Quiet = true
	if err := run(t, NewCmdKeygen(env.f, nil), "example.com", "-s", "e", "--algorithm", "ed25519", "--out", "-", "--ttl", "0"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(env.out.String(), "-----BEGIN PRIVATE KEY-----\n") || strings.Count(env.out.String(), "\n") != 3 {
		t.Errorf("stdout: %q", env.out)
	}
	if !regexp.MustCompile(`^e\._domainkey\.example\.com\. IN TXT "v=DKIM1; k=ed25519; p=[^"]+"\n$`).MatchString(env.errOut.String()) {
		t.Errorf("stderr: %q", env.errOut)
	}
}

// TestKeygenStdoutTerminal: a key written to a terminal was asked for (--out
// -), and is written, with a warning.
func TestKeygenStdoutTerminal(t *testing.T) {
	env := newEnv(t, "table", nil)
	env.f.IO.StdoutTTY = true
	if err := run(t, NewCmdKeygen(env.f, nil), "example.com", "-s", "e", "--algorithm", "ed25519", "--out", "-"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(env.out.String(), "-----BEGIN PRIVATE KEY-----\n") || !strings.Contains(env.errOut.String(), "warning: the private key is written to the terminal") {
		t.Errorf("stdout %q, stderr %q", env.out, env.errOut)
	}
}

// TestKeygenOutDirCreated: --out-dir makes the directory, 0700.
func TestKeygenOutDirCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	env := newEnv(t, "json", nil)
	if err := run(t, NewCmdKeygen(env.f, nil), "example.com", "-s", "e", "--algorithm", "ed25519", "--out-dir", dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory: %v %v", fi, err)
	}
	var p Publication
	if err := json.Unmarshal(env.out.Bytes(), &p); err != nil || p.PrivateKeyFile != filepath.Join(dir, "e.example.com.pem") || p.TTL != 3600 {
		t.Errorf("%v %+v", err, p)
	}
}
