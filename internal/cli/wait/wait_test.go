package wait

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/internal/cli/profileopt"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	io, _, _, _ := cmdutil.Test()
	var got *Options
	cmd := NewCmdWait(&cmdutil.Factory{IO: io}, func(o *Options) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "tenant.example", "--profile", "p.yaml", "--max-wait", "5m", "--interval", "10s",
		"--nameserver", "192.0.2.53", "--nameserver", "NS1.Tenant.Example=127.0.0.1:5353", "--nameserver", "ns1.tenant.example=[2001:db8::53]")
	if err != nil {
		t.Fatal(err)
	}
	if o.Domain != "tenant.example" || o.Profile.Profile != "p.yaml" || o.MaxWait != 5*time.Minute || o.Interval != 10*time.Second ||
		strings.Join(o.Nameservers, ",") != "192.0.2.53:53" || strings.Join(o.NSAddrs["ns1.tenant.example"], ",") != "127.0.0.1:5353,[2001:db8::53]:53" {
		t.Errorf("options %+v", o)
	}
	o, _ = parse(t, "tenant.example")
	if o.MaxWait != 30*time.Minute || o.Interval != 30*time.Second {
		t.Errorf("defaults %+v", o)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "accepts 1 arg"},
		{[]string{"x.example", "--interval", "500ms"}, "invalid --interval 500ms"},
		{[]string{"x.example", "--max-wait", "-1s"}, "invalid --max-wait"},
		{[]string{"x.example", "--nameserver", "nonsense"}, "invalid --nameserver"},
		{[]string{"x.example", "--nameserver", "a..b=192.0.2.1"}, "not a host name"},
		{[]string{"x.example", "--tenant", "acme"}, "unknown flag: --tenant"},
	} {
		_, err := parse(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// fakeClock moves only when slept on, and can act between rounds.
type fakeClock struct {
	t      time.Time
	slept  int
	onStep func()
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.slept++
	c.t = c.t.Add(d)
	if c.onStep != nil {
		c.onStep()
	}
	return ctx.Err()
}

const zone = `
$ORIGIN tenant.example.
@    300 IN SOA ns1.tenant.example. h.tenant.example. 7 3600 600 86400 300
@    300 IN NS  ns1.tenant.example.
@    300 IN NS  ns2.tenant.example.
@    300 IN TXT "v=spf1 include:_spf.platform.example -all"
`

func TestRunWithAFakeClock(t *testing.T) {
	ns1 := dnstest.NewServer(t, zone+`_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:d@platform.example"`)
	ns1.SetAuthoritative(true)
	ns2 := dnstest.NewServer(t, zone)
	ns2.SetAuthoritative(true)
	r := dnstest.NewFake(zone, `_spf.platform.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`)
	dir := t.TempDir()
	profile := dir + "/p.yaml"
	if err := writeFile(profile, "spf:\n  include: [_spf.platform.example]\ndmarc:\n  policy: quarantine\n  rua: [mailto:d@platform.example]\n"); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	clock.onStep = func() {
		if clock.slept == 2 {
			ns2.Fake().Add(`_dmarc.tenant.example. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:d@platform.example"`)
		}
	}
	io, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{
		IO: io, Now: clock.now,
		Global:      &cmdutil.GlobalOptions{Output: "json", Timeout: 2 * time.Second},
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return r, nil },
	}
	opts := &Options{
		Domain: "tenant.example", Profile: profileopt.Flags{Profile: profile},
		MaxWait: time.Hour, Interval: 30 * time.Second, Sleep: clock.sleep,
		NSAddrs: map[string][]string{"ns1.tenant.example": {ns1.Addr()}, "ns2.tenant.example": {ns2.Addr()}},
	}
	start := time.Now()
	if err := run(f, opts); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("the wait took real time")
	}
	var st struct {
		Rounds  int   `json:"rounds"`
		Elapsed int64 `json:"elapsed_ns"`
		Done    bool  `json:"done"`
	}
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if !st.Done || st.Rounds != 3 || time.Duration(st.Elapsed) != time.Minute {
		t.Errorf("status %+v", st)
	}
	if got := errOut.String(); !strings.Contains(got, "wait: round 1, 0s: ns1.tenant.example ready (6/6); ns2.tenant.example missing dmarc-record (3/6)") ||
		!strings.Contains(got, "wait: round 3, 1m0s:") {
		t.Errorf("progress:\n%s", got)
	}

	// The same, timing out, in the table: exit 1 and what is missing where.
	ns2b := dnstest.NewServer(t, zone)
	ns2b.SetAuthoritative(true)
	opts.NSAddrs["ns2.tenant.example"] = []string{ns2b.Addr()}
	opts.MaxWait = 90 * time.Second
	io, _, out, _ = cmdutil.Test()
	f.IO, f.Global.Output = io, "table"
	clock.onStep = nil
	err := run(f, opts)
	if cmdutil.ExitCode(err) != cmdutil.ExitFailed {
		t.Fatalf("timeout: %v", err)
	}
	for _, want := range []string{"ns2.tenant.example lacks dmarc-record: no DMARC record applies to tenant.example", "not every name server serves every required record (4 rounds, 1m30s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }
