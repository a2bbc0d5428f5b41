package authoritative

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// zoneText is the tenant's zone at serial N with extra lines.
func zoneText(serial string, extra ...string) string {
	return `
$ORIGIN tenant.test.
@        300 IN SOA ns1.tenant.test. hostmaster.tenant.test. ` + serial + ` 3600 600 86400 300
@        300 IN NS  ns1.tenant.test.
@        300 IN NS  ns2.tenant.test.
@        300 IN TXT "v=spf1 include:_spf.platform.test -all"
@        300 IN TXT "google-site-verification=abc"
@        300 IN MX  10 mx.platform.test.
` + strings.Join(extra, "\n") + "\n"
}

// setup starts one authoritative server per zone text and a resolver
// (a Fake) that knows the delegation; the servers' addresses are given by
// name (NSOptions.Addrs), as their ports are not 53.
func setup(t *testing.T, zones ...string) (dns.Resolver, Options, []*dnstest.Server) {
	t.Helper()
	var servers []*dnstest.Server
	addrs := map[string][]string{}
	for i, z := range zones {
		s := dnstest.NewServer(t, z)
		s.SetAuthoritative(true)
		servers = append(servers, s)
		addrs[[]string{"ns1.tenant.test", "ns2.tenant.test", "ns3.tenant.test"}[i]] = []string{s.Addr()}
	}
	r := dnstest.NewFake(zoneText("1"))
	return r, Options{Client: &dns.AuthClient{Timeout: 2 * time.Second}, NS: dns.NSOptions{Addrs: addrs}, Selectors: []string{"mailu"}}, servers
}

func codes(fs finding.List) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity.String()+" "+f.Code)
	}
	return strings.Join(out, ", ")
}

func TestAgree(t *testing.T) {
	z := zoneText("2026112301", `_dmarc 300 IN TXT "v=DMARC1; p=quarantine"`)
	r, opts, _ := setup(t, z, z)
	res := Check(context.Background(), r, "tenant.test", opts)
	if res.Status != finding.StatusPass || len(res.Findings) != 0 {
		t.Fatalf("status %s, findings %s", res.Status, codes(res.Findings))
	}
	if res.Zone != "tenant.test" || len(res.Servers) != 2 || res.Servers[0].Serial != 2026112301 || res.Servers[0].Status != "ok" {
		t.Errorf("servers %+v", res.Servers)
	}
	var spf *Comparison
	for i := range res.Comparisons {
		if res.Comparisons[i].Name == "tenant.test" && res.Comparisons[i].Type == "TXT" {
			spf = &res.Comparisons[i]
		}
	}
	if spf == nil || !spf.Agree || strings.Join(spf.Answers["ns1.tenant.test"], "|") != "v=spf1 include:_spf.platform.test -all" {
		t.Errorf("the apex TXT comparison keeps SPF records only: %+v", spf)
	}
}

func TestPropagation(t *testing.T) {
	// ns1 has the new DMARC record and a new serial, ns2 not yet.
	r, opts, _ := setup(t,
		zoneText("2026112302", `_dmarc 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@platform.test"`, `mailu._domainkey 300 IN CNAME mailu.dkim.platform.test.`),
		zoneText("2026112301", `_dmarc 300 IN TXT "v=DMARC1; p=none"`))
	res := Check(context.Background(), r, "tenant.test", opts)
	got := codes(res.Findings)
	for _, want := range []string{"warning authoritative.serial-mismatch", "warning authoritative.record-differs", "warning authoritative.record-missing"} {
		if !strings.Contains(got, want) {
			t.Errorf("findings %s lack %s", got, want)
		}
	}
	if res.Status != finding.StatusWarn {
		t.Errorf("status %s", res.Status)
	}
	for _, f := range res.Findings {
		if f.Code == FindRecordMissing.Code && !strings.Contains(f.Message, "mailu._domainkey.tenant.test TXT is served by ns1.tenant.test but not by ns2.tenant.test") {
			t.Errorf("missing: %s", f.Message)
		}
		if f.Code == FindRecordDiffers.Code && (!strings.Contains(f.Message, `ns1.tenant.test: "v=DMARC1; p=quarantine; rua=mailto:d@platform.test"`) || !strings.Contains(f.Message, `ns2.tenant.test: "v=DMARC1; p=none"`)) {
			t.Errorf("differs: %s", f.Message)
		}
	}
}

func TestSameSerialDisagreementIsAnError(t *testing.T) {
	r, opts, _ := setup(t,
		zoneText("7", `_dmarc 300 IN TXT "v=DMARC1; p=reject"`),
		zoneText("7"))
	res := Check(context.Background(), r, "tenant.test", opts)
	if res.Status != finding.StatusFail || !strings.Contains(codes(res.Findings), "error authoritative.record-missing") {
		t.Errorf("status %s, findings %s", res.Status, codes(res.Findings))
	}
}

func TestLameAndUnreachable(t *testing.T) {
	z := zoneText("3")
	r, opts, servers := setup(t, z, z, z)
	// ns2 answers as a resolver would (no AA): lame. ns3 refuses.
	servers[1].SetAuthoritative(false)
	servers[2].Inject("", 0, dnstest.Fault{Rcode: dns.RcodeRefused})
	f := r.(*dnstest.Fake)
	f.Add("tenant.test. 300 IN NS ns3.tenant.test.\ntenant.test. 300 IN NS ns4.tenant.test.\nns4.tenant.test. 300 IN A 127.0.0.1")
	// ns4 is asked on a port where nobody listens.
	pc := deadAddr(t)
	opts.NS.Addrs["ns4.tenant.test"] = []string{pc}
	opts.Client.Timeout = 300 * time.Millisecond
	res := Check(context.Background(), r, "tenant.test", opts)
	got := codes(res.Findings)
	if strings.Count(got, "error authoritative.lame") != 2 || !strings.Contains(got, "error authoritative.unreachable") {
		t.Fatalf("findings %s", got)
	}
	if res.Status != finding.StatusFail {
		t.Errorf("status %s: a lame server is a failure", res.Status)
	}
	st := map[string]string{}
	for _, s := range res.Servers {
		st[s.Name] = s.Status
	}
	if st["ns1.tenant.test"] != "ok" || st["ns2.tenant.test"] != "lame" || st["ns3.tenant.test"] != "lame" || st["ns4.tenant.test"] != "unreachable" {
		t.Errorf("servers %v", st)
	}
}

func TestUnreachableOnlyIsAnError(t *testing.T) {
	z := zoneText("3")
	r, opts, _ := setup(t, z)
	opts.NS.Addrs["ns2.tenant.test"] = []string{deadAddr(t)}
	opts.Client.Timeout = 300 * time.Millisecond
	res := Check(context.Background(), r, "tenant.test", opts)
	if res.Status != finding.StatusError {
		t.Errorf("status %s, findings %s: an unreachable server is could-not-check", res.Status, codes(res.Findings))
	}
}

func TestNoNameServers(t *testing.T) {
	r := dnstest.NewFake(`tenant.test. 300 IN SOA ns1.tenant.test. h.tenant.test. 1 3600 600 86400 300`)
	res := Check(context.Background(), r, "tenant.test", Options{})
	if res.Status != finding.StatusFail || !strings.Contains(codes(res.Findings), "authoritative.no-nameservers") {
		t.Errorf("status %s, findings %s", res.Status, codes(res.Findings))
	}
	f := dnstest.NewFake()
	f.ServFail("tenant.test", 0)
	res = Check(context.Background(), f, "tenant.test", Options{})
	if res.Status != finding.StatusError || !strings.Contains(codes(res.Findings), "authoritative.dns-error") {
		t.Errorf("SERVFAIL: status %s, findings %s", res.Status, codes(res.Findings))
	}
}

func TestGivenServers(t *testing.T) {
	a := dnstest.NewServer(t, zoneText("5", `_dmarc 300 IN TXT "v=DMARC1; p=reject"`))
	a.SetAuthoritative(true)
	b := dnstest.NewServer(t, zoneText("5", `_dmarc 300 IN TXT "v=DMARC1; p=reject"`))
	b.SetAuthoritative(true)
	// No delegation in the resolver at all: the servers are given.
	res := Check(context.Background(), dnstest.NewFake(), "tenant.test", Options{Servers: []string{a.Addr(), b.Addr()}})
	if res.Status != finding.StatusPass || len(res.Servers) != 2 || res.Servers[0].Name != "" || res.Servers[0].Address != a.Addr() {
		t.Errorf("status %s, servers %+v, findings %s", res.Status, res.Servers, codes(res.Findings))
	}
	if withPort("192.0.2.1", "53") != "192.0.2.1:53" || withPort("2001:db8::1", "53") != "[2001:db8::1]:53" || withPort("[::1]:5353", "53") != "[::1]:5353" {
		t.Error("withPort")
	}
}

func deadAddr(t *testing.T) string {
	t.Helper()
	s := dnstest.NewServer(t, "")
	s.Inject("", 0, dnstest.Fault{Drop: true})
	return s.Addr()
}
