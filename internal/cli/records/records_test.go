package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const profileFile = "../../../testdata/profiles/penguinmails.yaml"

func profileFlags() profileopt.Flags { return profileopt.Flags{Profile: profileFile} }

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	io, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IO: io}
	var got *Options
	cmd := NewCmdRecords(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "tenant.example", "b.example", "--profile", "p.yaml", "--tenants", "t.yaml", "--tenant", "acme", "--generate-dkim", "keys", "--force", "--ttl", "300")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Domains, ",") != "tenant.example,b.example" || o.Profile.Profile != "p.yaml" || o.Profile.Tenants != "t.yaml" || o.Profile.Tenant != "acme" ||
		o.GenerateDKIM != "keys" || !o.Force || o.TTL != 300 || !o.TTLSet {
		t.Errorf("options %+v", o)
	}
	o, _ = parse(t, "--tenant", "acme")
	if len(o.Domains) != 0 || o.TTLSet {
		t.Errorf("options %+v", o)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no domain"},
		{[]string{"x.example", "--force"}, "--force goes with --generate-dkim"},
		{[]string{"x.example", "--ttl", "5"}, "invalid --ttl 5"},
	} {
		_, err := parse(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}

func env(t *testing.T, output string, zone string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	r := dnstest.NewFake(`_spf.penguinmails.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`, zone)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := &cmdutil.Factory{
		IO:          io,
		Global:      &cmdutil.GlobalOptions{Output: output},
		Now:         func() time.Time { return now },
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return r, nil },
	}
	return f, out, errOut
}

const tenantZone = `
tenant.example. 300 IN SOA ns1.tenant.example. h.tenant.example. 1 3600 600 86400 300
tenant.example. 300 IN TXT "v=spf1 mx -all"
tenant.example. 300 IN MX 10 mx.tenant.example.
_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=none"
`

func TestRun(t *testing.T) {
	f, out, errOut := env(t, "zone", tenantZone)
	err := run(f, &Options{Domains: []string{"tenant.example"}, Profile: profileFlags()})
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("without a key: %v", err)
	}
	for _, want := range []string{
		`tenant.example. 3600 IN TXT "v=spf1 mx include:_spf.penguinmails.com -all"`,
		`; replaces: "v=spf1 mx -all"`,
		`_dmarc.tenant.example. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@penguinmails.com"`,
		"; DKIM selector mailu: NOT EMITTED",
		`_mta-sts.tenant.example. 3600 IN TXT "v=STSv1; id=20261123120000"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("zone output lacks %q:\n%s", want, out)
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %s", errOut)
	}

	dir := t.TempDir()
	f, out, errOut = env(t, "json", tenantZone)
	if err := run(f, &Options{Domains: []string{"tenant.example"}, Profile: profileFlags(), GenerateDKIM: filepath.Join(dir, "keys")}); err != nil {
		t.Fatalf("with a key: %v", err)
	}
	var doc struct {
		Domains []struct {
			Records []struct{ Name, Action, Value string }
			Keys    []struct{ File string }
		}
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Domains) != 1 || len(doc.Domains[0].Keys) != 1 || !strings.HasSuffix(doc.Domains[0].Keys[0].File, "mailu.tenant.example.pem") {
		t.Errorf("json %s", out)
	}
	if !strings.Contains(errOut.String(), "wrote a new RSA-2048 private key") || strings.Contains(out.String()+errOut.String(), "PRIVATE KEY") {
		t.Errorf("stderr %s", errOut)
	}
	// -q: no notes.
	f, _, errOut = env(t, "zone", tenantZone)
	f.IO.Quiet = true
	if err := run(f, &Options{Domains: []string{"tenant.example"}, Profile: profileFlags(), GenerateDKIM: filepath.Join(dir, "keys")}); err != nil {
		t.Fatal(err)
	}
	if errOut.Len() != 0 {
		t.Errorf("-q stderr: %s", errOut)
	}
}

func TestRunErrors(t *testing.T) {
	f, _, _ := env(t, "zone", tenantZone)
	f.Global.Profile = ""
	if err := run(f, &Options{Domains: []string{"tenant.example"}}); err == nil || !strings.Contains(err.Error(), "needs a platform profile") {
		t.Errorf("no profile: %v", err)
	}
	if err := run(f, &Options{Domains: []string{"a..b"}, Profile: profileFlags()}); cmdutil.ExitCode(err) != cmdutil.ExitBadInput {
		t.Errorf("bad domain: %v", err)
	}
	fs := env
	f, _, _ = fs(t, "zone", "")
	f.NewResolver = func(*cmdutil.Factory) (dns.Resolver, error) {
		r := dnstest.NewFake()
		r.ServFail("", 0)
		r.ServFail("tenant.example", 0)
		r.ServFail("_dmarc.tenant.example", 0)
		r.ServFail("mailu._domainkey.tenant.example", 0)
		r.ServFail("_mta-sts.tenant.example", 0)
		r.ServFail("_smtp._tls.tenant.example", 0)
		r.ServFail("default._bimi.tenant.example", 0)
		return r, nil
	}
	err := run(f, &Options{Domains: []string{"tenant.example"}, Profile: profileFlags()})
	if cmdutil.ExitCode(err) != cmdutil.ExitIncomplete {
		t.Errorf("SERVFAIL everywhere: %v (exit %d), want 3", err, cmdutil.ExitCode(err))
	}
}
