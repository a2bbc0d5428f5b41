package spf

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/internal/cli/cmdutil"
	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

const testZone = `example.com. 300 IN TXT "v=spf1 mx ip4:192.0.2.128/27 include:_spf.example.net -all"
example.com. 300 IN MX 10 mx1.example.com.
mx1.example.com. 300 IN A 192.0.2.25
_spf.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
bad.example.com. 300 IN TXT "v=spf1 +all"
tmp.example.com. 300 IN TXT "v=spf1 include:slow.example.net -all"
`

func testFactory(t *testing.T, output string, verbose int) (*cmdutil.Factory, *dnstest.Fake, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	io, _, out, errOut := cmdutil.Test()
	io.Verbosity = verbose
	fake := dnstest.NewFake(testZone)
	fake.Timeout("slow.example.net", 0)
	f := &cmdutil.Factory{
		IO:          io,
		Global:      &cmdutil.GlobalOptions{Output: output},
		Now:         func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) },
		NewResolver: func(*cmdutil.Factory) (dns.Resolver, error) { return fake, nil },
	}
	return f, fake, out, errOut
}

func TestRunCheck(t *testing.T) {
	f, _, out, _ := testFactory(t, "json", 0)
	err := runCheck(f, &CheckOptions{Domains: []string{"example.com", "bad.example.com"}, MaxLookups: 10})
	if exitCodeOf(err) != 1 {
		t.Errorf("exit %d, want 1 (bad.example.com has +all)", exitCodeOf(err))
	}
	var got []struct {
		Domain   string `json:"domain"`
		Lookups  int    `json:"lookups"`
		Result   string `json:"result"`
		Networks []string
		Findings []struct{ Code string }
		Tree     struct {
			Terms []struct {
				Term    string `json:"term"`
				Cost    int    `json:"cost"`
				Running int    `json:"running_total"`
			} `json:"terms"`
		} `json:"tree"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got) != 2 || got[0].Lookups != 2 || got[0].Result != "fail" || len(got[0].Networks) != 3 {
		t.Fatalf("got %+v", got)
	}
	if tr := got[0].Tree.Terms; tr[2].Term != "include:_spf.example.net" || tr[2].Cost != 1 || tr[2].Running != 2 {
		t.Errorf("terms %+v", tr)
	}
	if len(got[1].Findings) == 0 || got[1].Findings[0].Code != "spf.pass-all" {
		t.Errorf("findings of bad.example.com: %+v", got[1].Findings)
	}

	f, _, out, _ = testFactory(t, "table", 0)
	if err := runCheck(f, &CheckOptions{Domains: []string{"example.com"}, MaxLookups: 10}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"include:_spf.example.net", "total: 2 DNS lookups of 10", "findings: none", "unlisted hosts get: fail"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	f, _, _, _ = testFactory(t, "json", 0)
	if err := runCheck(f, &CheckOptions{Domains: []string{"tmp.example.com"}, MaxLookups: 10}); exitCodeOf(err) != 3 {
		t.Errorf("DNS timeout: exit %d, want 3", exitCodeOf(err))
	}
}

func exitCodeOf(err error) int { return cmdutil.ExitCode(err) }

func TestRunEval(t *testing.T) {
	for _, tc := range []struct {
		ip, sender, helo string
		result           string
		code             int
	}{
		{"192.0.2.25", "a@example.com", "mx1.example.com", "pass", 0},
		{"198.51.100.7", "a@example.com", "x.example.net", "pass", 0},
		{"203.0.113.1", "a@example.com", "x.example.net", "fail", 1},
		{"203.0.113.1", "", "example.com", "fail", 1},
		{"203.0.113.1", "a@tmp.example.com", "x", "temperror", 3},
		{"203.0.113.1", "a@nowhere.example.org", "x", "none", 1},
	} {
		f, _, out, _ := testFactory(t, "json", 0)
		opts := &EvalOptions{Sender: tc.sender, Helo: tc.helo, Receiver: "unknown"}
		opts.IP = mustAddr(t, tc.ip)
		err := runEval(f, opts)
		var res struct {
			Result      string            `json:"result"`
			Mechanism   string            `json:"mechanism"`
			Explanation *string           `json:"explanation"`
			Domain      string            `json:"domain"`
			Lookups     *int              `json:"lookups"`
			VoidLookups *int              `json:"void_lookups"`
			Trace       []json.RawMessage `json:"trace"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if res.Result != tc.result || exitCodeOf(err) != tc.code || res.Lookups == nil || res.VoidLookups == nil || res.Explanation == nil || res.Trace == nil {
			t.Errorf("%+v: got %s exit %d: %s", tc, res.Result, exitCodeOf(err), out)
		}
	}
	f, _, out, _ := testFactory(t, "table", 1)
	opts := &EvalOptions{Sender: "a@example.com", Helo: "h.example.com", IP: mustAddr(t, "203.0.113.1")}
	_ = runEval(f, opts)
	for _, want := range []string{"result: fail", "mechanism: -all", "lookups: 2 of 10", "trace:", "example.com MX"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestRunBuildAndFlatten(t *testing.T) {
	f, _, out, _ := testFactory(t, "table", 0)
	err := runBuild(f, &BuildOptions{Domain: "example.org", TTL: 300})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "example.org.\t300\tIN\tTXT\t\"v=spf1 -all\"") {
		t.Errorf("build output:\n%s", out)
	}
	f, _, out, _ = testFactory(t, "table", 0)
	opts := &FlattenOptions{Domain: "example.com"}
	opts.Opts.MaxLookups, opts.Opts.MaxRecordLen, opts.Opts.TTL = 10, 450, 300
	if err := runFlatten(f, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"v=spf1 mx ip4:192.0.2.128/27 ip4:198.51.100.0/24 -all"`) {
		t.Errorf("flatten output:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "flat.zone")
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Not published yet: the check reports the difference and exits 1.
	f, _, out, _ = testFactory(t, "table", 0)
	err = runFlattenCheck(f, &FlattenOptions{Check: file})
	if exitCodeOf(err) != 1 || !strings.Contains(out.String(), "DIFFERS") {
		t.Errorf("check before publishing: exit %d\n%s", exitCodeOf(err), out)
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
