package dkim

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	tests := []struct {
		args []string
		code int
		want func(*KeygenOptions) bool
	}{
		{[]string{"--domain", "Example.COM.", "--selector", "S1"}, 0, func(o *KeygenOptions) bool {
			return o.Domain == "example.com" && o.Selector == "s1" && o.Algorithm == "rsa" && o.Bits == 2048
		}},
		{[]string{"--domain", "example.com", "--selector", "e", "--algorithm", "Ed25519"}, 0, func(o *KeygenOptions) bool {
			return o.Algorithm == "ed25519" && o.Bits == 0
		}},
		{[]string{"--domain", "example.com", "--selector", "s", "--bits", "4096", "--testing", "--strict-subdomains", "--service", "email", "--hash", "SHA256", "--note", "hi"}, 0, func(o *KeygenOptions) bool {
			return o.Bits == 4096 && o.Testing && o.StrictSubdomains && o.Services[0] == "email" && o.Hashes[0] == "sha256" && o.Note == "hi"
		}},
		{[]string{"--domain", "example.com", "--selector", "s", "--bits", "1024", "--insecure"}, 0, nil},
		{[]string{"--domain", "example.com", "--selector", "s", "--bits", "1024"}, 2, nil},
		{[]string{"--domain", "example.com", "--selector", "s", "--bits", "512", "--insecure"}, 2, nil},
		{[]string{"--domain", "example.com", "--selector", "s", "--algorithm", "ed25519", "--bits", "2048"}, 2, nil},
		{[]string{"--domain", "example.com", "--selector", "s", "--algorithm", "dsa"}, 2, nil},
		{[]string{"--selector", "s"}, 2, nil},
		{[]string{"--domain", "example.com"}, 2, nil},
		{[]string{"--domain", "exa mple.com", "--selector", "s"}, 2, nil},
		{[]string{"--domain", "example.com", "--selector", "s._domainkey.example.com"}, 2, nil},
		{[]string{"--domain", "example.com", "--selector", "a b"}, 2, nil},
		{[]string{"--domain", "example.com", "--selector", "s", "--service", "web"}, 2, nil},
		{[]string{"--domain", "example.com", "--selector", "s", "--hash", "sha1"}, 2, nil},
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
	}
	// --out and --private-key together are a usage error.
	env := newEnv(t, "table", nil)
	if err := run(t, NewCmdKeygen(env.f, func(*KeygenOptions) error { return nil }), "--domain", "example.com", "--selector", "s", "--out", "d", "--private-key", "k"); err == nil {
		t.Error("--out with --private-key accepted")
	}
}

func TestKeygenEd25519(t *testing.T) {
	dir := t.TempDir()
	env := newEnv(t, "json", nil)
	if err := run(t, NewCmdKeygen(env.f, nil), "--domain", "example.com", "--selector", "ed1", "--algorithm", "ed25519", "--out", dir, "--testing", "--note", "rotated 2026"); err != nil {
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
	err = run(t, NewCmdKeygen(env.f, nil), "--domain", "example.com", "--selector", "ed1", "--algorithm", "ed25519", "--out", dir)
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), path) || !strings.Contains(cmdutil.HintFor(err), "--force") {
		t.Errorf("overwrite: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, pemData) {
		t.Error("the key was changed")
	}
	env = newEnv(t, "json", nil)
	env.f.Rand = bytes.NewReader(bytes.Repeat([]byte{7}, 64))
	if err := run(t, NewCmdKeygen(env.f, nil), "--domain", "example.com", "--selector", "ed1", "--algorithm", "ed25519", "--out", dir, "--force"); err != nil {
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
	if err := run(t, NewCmdKeygen(env.f, nil), "--domain", "example.com", "--selector", "e", "--algorithm", "ed25519", "--private-key", "-"); err != nil {
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
	if err := run(t, NewCmdKeygen(env.f, nil), "--domain", "example.com", "--selector", "s1", "--private-key", key); err != nil {
		t.Fatal(err)
	}
	out := env.out.String()
	for _, want := range []string{"Name:   s1._domainkey.example.com", "Value:  v=DKIM1; k=rsa; p=MIIB", "ONE\nrecord of 2 strings", `s1._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=MIIB`, "mode 0600"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRecord(t *testing.T) {
	env := newEnv(t, "json", nil)
	if err := run(t, NewCmdRecord(env.f, nil), "--private-key", filepath.Join(keysDir, "rsa1024-pkcs1.pem"), "--domain", "example.com", "--selector", "old", "--hash", "sha256", "--ttl", "3600"); err != nil {
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
	if err := run(t, NewCmdRecord(env2.f, nil), "--private-key", filepath.Join(keysDir, "rsa1024.pem"), "--domain", "example.com", "--selector", "old", "--hash", "sha256", "--ttl", "3600"); err != nil {
		t.Fatal(err)
	}
	if env2.out.String() != env.out.String() {
		t.Error("PKCS#1 and PKCS#8 forms give different records")
	}
	// From stdin.
	env3 := newEnv(t, "table", nil)
	seed, _ := os.ReadFile("../../../testdata/conformance/dkim/rfc8463/ed25519.seed.b64")
	env3.in.Write(seed)
	if err := run(t, NewCmdRecord(env3.f, nil), "--private-key", "-", "--domain", "football.example.com", "--selector", "brisbane"); err != nil {
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
		{"missing.pem", "cannot read"},
	} {
		env := newEnv(t, "table", nil)
		path := filepath.Join(keysDir, tt.file)
		err := run(t, NewCmdRecord(env.f, nil), "--private-key", path, "--domain", "example.com", "--selector", "s")
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) || cmdutil.HintFor(err) == "" {
			t.Errorf("%s: %v (hint %q)", tt.file, err, cmdutil.HintFor(err))
		}
		if env.out.Len() != 0 {
			t.Errorf("%s: output %q", tt.file, env.out)
		}
	}
	env := newEnv(t, "table", nil)
	if err := run(t, NewCmdRecord(env.f, nil), "--domain", "example.com", "--selector", "s"); cmdutil.ExitCode(err) != 2 {
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
