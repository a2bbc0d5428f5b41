package dkim

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dkimkey"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/report"
	"github.com/penguinmails/emailauth/pkg/rotation"
)

func parseRotate(t *testing.T, args ...string) (*RotateOptions, error) {
	t.Helper()
	env := newEnv(t, "table", nil)
	env.f.Now = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	var got *RotateOptions
	err := run(t, NewCmdRotate(env.f, func(o *RotateOptions) error { got = o; return nil }), args...)
	return got, err
}

func TestRotateFlags(t *testing.T) {
	o, err := parseRotate(t, "Tenant.Example", "-s", "S2026-05", "--next", "s2026-11.", "-k", "old.pem", "--next-key", "new.pem",
		"--generate", "--algorithm", "ED25519", "--message", "m.eml", "--state", "st.json", "--grace", "2w", "--max-key-age", "90d",
		"--ttl", "300", "--profile", "p.yaml", "--nameserver", "192.0.2.53", "--nameserver", "ns1.tenant.example=127.0.0.1:5353")
	if err != nil {
		t.Fatal(err)
	}
	if o.Domain.ASCII != "tenant.example" || o.Selector != "s2026-05" || o.Next != "s2026-11" || o.PrivateKey != "old.pem" || o.NextKey != "new.pem" ||
		!o.Generate || o.Algorithm != "ed25519" || !o.AlgorithmSet || o.Message != "m.eml" || o.State != "st.json" ||
		o.Grace != 14*24*time.Hour || !o.GraceSet || o.MaxKeyAge != 90*24*time.Hour || !o.MaxKeyAgeSet || o.TTL != 300 || !o.TTLSet ||
		o.Profile.Profile != "p.yaml" || strings.Join(o.Nameservers, ",") != "192.0.2.53:53" ||
		strings.Join(o.NSAddrs["ns1.tenant.example"], ",") != "127.0.0.1:5353" {
		t.Errorf("options %+v", o)
	}
	o, err = parseRotate(t, "tenant.example", "-s", "a", "--next", "b")
	if err != nil {
		t.Fatal(err)
	}
	if o.Grace != 7*24*time.Hour || o.GraceSet || o.MaxKeyAge != 180*24*time.Hour || o.MaxKeyAgeSet || o.TTL != 3600 || o.TTLSet || o.Generate || o.Algorithm != "rsa" || o.Bits != 2048 {
		t.Errorf("defaults %+v", o)
	}
	// A URL is reduced to its domain.
	if o, err := parseRotate(t, "https://tenant.example/x", "-s", "a", "--next", "b"); err != nil || o.Domain.ASCII != "tenant.example" {
		t.Errorf("URL: %v %+v", err, o)
	}
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{}, "accepts 1 arg", 2},
		{[]string{"tenant.example", "--next", "b"}, "--selector is required", 2},
		{[]string{"tenant.example", "-s", "a"}, "--next is required: the new selector to rotate to, such as s202611", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "A."}, "--next is the current selector", 2},
		{[]string{"tenant.example", "-s", "a b", "--next", "b"}, "--selector: dkimkey: selector", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b._domainkey"}, "_domainkey", 2},
		{[]string{"a..b", "-s", "a", "--next", "b"}, "DOMAIN", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--grace", "soon"}, "--grace: dkimkey", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--grace", "0"}, "invalid --grace 0", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--max-key-age", "-1d"}, "--max-key-age", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--ttl", "-1"}, "invalid --ttl", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--bits", "3072"}, "add --generate", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--generate", "--algorithm", "dsa"}, "invalid --algorithm", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--generate", "--algorithm", "ed25519", "--bits", "2048"}, "RSA keys only", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "-k", "-", "--message", "-"}, "both read standard input", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--next-key", "-"}, "--next-key must be a file", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--nameserver", "nonsense"}, "invalid --nameserver", 2},
		{[]string{"tenant.example", "-s", "a", "--next", "b", "--nameserver", "a..b=192.0.2.1"}, "not a host name", 2},
	} {
		_, err := parseRotate(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
			continue
		}
		if tc.code != 0 && cmdutil.ExitCode(err) != tc.code && !strings.Contains(err.Error(), "accepts") {
			t.Errorf("%v: exit %d, want %d", tc.args, cmdutil.ExitCode(err), tc.code)
		}
	}
}

func TestRerunCommand(t *testing.T) {
	o, err := parseRotate(t, "tenant.example", "-s", "a", "--next", "b", "-k", "my key.pem", "--state", "s.json", "--grace", "48h", "--nameserver", "192.0.2.1", "--message", "m.eml", "--generate")
	if err != nil {
		t.Fatal(err)
	}
	want := `emailauth dkim rotate tenant.example --selector a --next b --next-key b.tenant.example.pem --private-key 'my key.pem' --state s.json --grace 2d --nameserver 192.0.2.1`
	if got := rerunCommand(o, "b.tenant.example.pem"); got != want {
		t.Errorf("rerun\n got %s\nwant %s", got, want)
	}
	for in, want := range map[string]string{"a.pem": "a.pem", "it's": `'it'\''s'`, "": "''", "$(x)": "'$(x)'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

const rotateZone = `$ORIGIN tenant.example.
@    300 IN SOA ns1.tenant.example. hostmaster.tenant.example. 2026112301 3600 600 1209600 300
@    300 IN NS  ns1.tenant.example.
@    300 IN NS  ns2.tenant.example.
`

func rotateEnv(t *testing.T, output string, zones ...string) (*testEnv, []string) {
	t.Helper()
	var args []string
	for i, z := range zones {
		s := dnstest.NewServer(t, rotateZone+z)
		s.SetAuthoritative(true)
		args = append(args, "--nameserver", []string{"ns1", "ns2"}[i]+".tenant.example="+s.Addr())
	}
	env := newEnv(t, output, dnstest.NewFake(rotateZone))
	env.f.Now = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	env.f.Global.Timeout = 2 * time.Second
	return env, args
}

func TestRotateRun(t *testing.T) {
	dir := t.TempDir()
	oldKey := filepath.Join(keysDir, "ed25519.pem")
	oldLine := "s2026-05._domainkey 3600 IN TXT \"v=DKIM1; k=ed25519; p=YmRyHu2fUZuGtRArAzNItU1I0qtfaG+kpjnJwjqvJqU=\"\n"
	next := filepath.Join(dir, "keys", "s2026-11.pem")
	state := filepath.Join(dir, "state.json")

	// Stage 1 with --generate: the key is written 0600 from the command's
	// random source (an Ed25519 key: reproducible), and the JSON says so.
	env, ns := rotateEnv(t, "json", oldLine, oldLine)
	args := append([]string{"tenant.example", "-s", "s2026-05", "--next", "s2026-11", "-k", oldKey, "--state", state}, ns...)
	err := run(t, NewCmdRotate(env.f, nil), append(args, "--generate", "--next-key", next, "--algorithm", "ed25519")...)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, env.errOut)
	}
	fi, err := os.Stat(next)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	var got struct {
		Stage     string `json:"stage"`
		Ready     bool   `json:"ready"`
		Generated bool   `json:"generated"`
		NextKey   string `json:"next_key_file"`
		Action    rotation.Action
		Status    string `json:"status"`
	}
	if err := json.Unmarshal(env.out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Stage != "publish" || !got.Ready || !got.Generated || got.NextKey != next || got.Status != "pass" ||
		len(got.Action.Records) != 1 || !strings.HasPrefix(got.Action.Records[0].ZoneLine, `s2026-11._domainkey.tenant.example. 3600 IN TXT "v=DKIM1; k=ed25519; p=`) {
		t.Errorf("json %+v", got)
	}
	if strings.Contains(env.out.String(), "PRIVATE") {
		t.Error("the private key reached the output")
	}
	if !strings.Contains(env.errOut.String(), "note: wrote the new Ed25519 key for s2026-11 to "+next+" (mode 0600)") {
		t.Errorf("stderr %s", env.errOut)
	}
	before, _ := os.ReadFile(next)

	// Run again: the file is used, not replaced.
	env2, ns2 := rotateEnv(t, "table", oldLine, oldLine)
	args = append([]string{"tenant.example", "-s", "s2026-05", "--next", "s2026-11", "-k", oldKey, "--state", state}, ns2...)
	if err := run(t, NewCmdRotate(env2.f, nil), append(args, "--generate", "--next-key", next)...); err != nil {
		t.Fatalf("run: %v\n%s", err, env2.errOut)
	}
	after, _ := os.ReadFile(next)
	if string(before) != string(after) || !strings.Contains(env2.errOut.String(), "exists: its key is the new key (not generated again)") {
		t.Errorf("the key file was replaced, or no note:\n%s", env2.errOut)
	}
	if err := report.CheckSafe(env2.out.String()); err != nil {
		t.Error(err)
	}
	if !strings.Contains(env2.out.String(), "key (Ed25519), matches --private-key, TTL 3600") {
		t.Errorf("table:\n%s", env2.out)
	}

	// The new record on one server: exit 1; the key published elsewhere
	// refuses --generate of another file (exit 2).
	priv, _ := dkimkey.ReadPrivateKeyFile(next)
	rec, _ := dkimkey.NewRecord(priv.Public())
	nextLine := dkimkey.ZoneLine("s2026-11._domainkey.tenant.example", rec.String(), 3600) + "\n"
	env3, ns3 := rotateEnv(t, "table", oldLine+nextLine, oldLine)
	args = append([]string{"tenant.example", "-s", "s2026-05", "--next", "s2026-11", "--state", state}, ns3...)
	err = run(t, NewCmdRotate(env3.f, nil), append(args, "--next-key", next)...)
	if cmdutil.ExitCode(err) != 1 || !strings.Contains(env3.out.String(), "rotation.next-missing") {
		t.Errorf("one server: %v\n%s", err, env3.out)
	}
	err = run(t, NewCmdRotate(env3.f, nil), append(args, "--generate", "--next-key", filepath.Join(dir, "other.pem"))...)
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "already publishes a record") {
		t.Errorf("generate over a published key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "other.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a key was generated anyway")
	}

	// Bad input: a missing --next-key without --generate, a missing
	// message, a state file of another rotation, --offline.
	env4, ns4 := rotateEnv(t, "table", oldLine, oldLine)
	base := append([]string{"tenant.example", "-s", "s2026-05", "--next", "s2026-11"}, ns4...)
	if err := os.WriteFile(filepath.Join(dir, "other-state.json"), []byte(`{"schema": "emailauth.rotation/v1", "domain": "x.example", "selector": "a", "next": "b"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--next-key", filepath.Join(dir, "none.pem")}, "no such file"},
		{[]string{"--message", filepath.Join(dir, "none.eml")}, "--message"},
		{[]string{"--message", dir}, "is a directory"},
		{[]string{"--state", filepath.Join(dir, "other-state.json")}, "another rotation's"},
		{[]string{"--state", dir}, "is a directory"},
		{[]string{"-k", filepath.Join(dir, "none.pem")}, "--private-key"},
	} {
		err := run(t, NewCmdRotate(env4.f, nil), append(slices.Clone(base), tc.args...)...)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (exit %d), want %q", tc.args, err, cmdutil.ExitCode(err), tc.want)
		}
	}
	env4.f.Global.Offline = true
	if err := run(t, NewCmdRotate(env4.f, nil), base...); cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "--offline") {
		t.Errorf("offline: %v", err)
	}
}

// A hostile record at the new selector (ESC, BEL, bidi, invalid UTF-8)
// reaches the output escaped, in every format.
func TestRotateHostileRecord(t *testing.T) {
	oldLine := "s2026-05._domainkey 3600 IN TXT \"v=DKIM1; k=ed25519; p=YmRyHu2fUZuGtRArAzNItU1I0qtfaG+kpjnJwjqvJqU=\"\n"
	hostile := "s2026-11._domainkey 3600 IN TXT \"v=DKIM1; p=\\027]0;pwned\\007\\027[2J \\226\\128\\174 \\255\"\n"
	for _, format := range []string{"table", "json"} {
		for _, quiet := range []bool{false, true} {
			env, ns := rotateEnv(t, format, oldLine, oldLine+hostile)
			env.f.IO.Quiet = quiet
			err := run(t, NewCmdRotate(env.f, nil), append([]string{"tenant.example", "-s", "s2026-05", "--next", "s2026-11"}, ns...)...)
			if cmdutil.ExitCode(err) != 1 {
				t.Errorf("%s quiet=%v: %v\n%s", format, quiet, err, env.out)
			}
			if err := report.CheckSafe(env.out.String()); err != nil {
				t.Errorf("%s quiet=%v: stdout: %v\n%q", format, quiet, err, env.out)
			}
			if err := report.CheckSafe(env.errOut.String()); err != nil {
				t.Errorf("%s quiet=%v: stderr: %v", format, quiet, err)
			}
			if !strings.Contains(env.out.String(), "rotation.next-broken") {
				t.Errorf("%s quiet=%v: no next-broken\n%s", format, quiet, env.out)
			}
		}
	}
}

// The help's examples parse.
func TestRotateExamples(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	cmd := NewCmdRotate(&cmdutil.Factory{IO: io}, nil)
	n := 0
	for _, line := range strings.Split(cmd.Example, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "emailauth dkim rotate ") {
			continue
		}
		n++
		if _, err := parseRotate(t, strings.Fields(strings.TrimPrefix(line, "emailauth dkim rotate "))...); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	if n < 3 {
		t.Errorf("%d examples", n)
	}
}
