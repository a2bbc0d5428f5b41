package spf

import (
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// hardenExtraCodes analyses the cases TestEveryCodeEmitted cannot build from
// a plain Fake, and returns the codes they emit.
func hardenExtraCodes(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for c, n := range codes(analyze(t, cnameLoopFake(), "example.com")) {
		out[c] += n
	}
	for c, n := range codes(analyze(t, offlineZone(t), "tenant.test")) {
		out[c] += n
	}
	for c, n := range codes(analyze(t, dnstest.NewFake(strictMXZone), "example.com")) {
		out[c] += n
	}
	return out
}

func cnameLoopFake() *dnstest.Fake {
	return dnstest.NewFake(`example.com. 300 IN TXT "v=spf1 include:_spf.example.net -all"`,
		"_spf.example.net. 300 IN CNAME loop.example.net.", "loop.example.net. 300 IN CNAME _spf.example.net.")
}

// offlineZone is the tenant zone, loaded offline: includes of names
// no zone file covers.
func offlineZone(t *testing.T) dns.Resolver {
	t.Helper()
	z, err := dns.ParseZone(strings.NewReader(`$ORIGIN tenant.test.
@ 300 IN SOA ns hostmaster 1 7200 3600 1209600 300
@ 300 IN NS ns
ns 300 IN A 192.0.2.53
@ 300 IN TXT "v=spf1 include:_spf.google.example a:mail.provider.example mx:provider.example exists:x.provider.example include:_spf.tenant.test -all"
`), "tenant.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	return dns.NewChain(z, nil)
}

// TestAnalyzeTemporaryFailuresStayTemporary: a SERVFAIL or a timeout in an
// include never yields a definite error finding: the result is error (exit
// 3), not fail (the issue: check said fail, exit 1).
func TestAnalyzeTemporaryFailuresStayTemporary(t *testing.T) {
	for _, fault := range []string{"servfail", "timeout"} {
		for _, name := range []string{"_spf.example.net", "h.example.net", "example.com"} {
			f := dnstest.NewFake(`example.com. 300 IN TXT "v=spf1 include:_spf.example.net a:h.example.net mx:h.example.net -all"`,
				`_spf.example.net. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`, "h.example.net. 300 IN A 192.0.2.1", "h.example.net. 300 IN MX 10 h.example.net.")
			if fault == "servfail" {
				f.ServFail(name, 0)
			} else {
				f.Timeout(name, 0)
			}
			a := analyze(t, f, "example.com")
			if !a.Incomplete || codes(a)["spf.dns-error"] == 0 {
				t.Errorf("%s at %s: incomplete %v, findings %v", fault, name, a.Incomplete, a.Findings)
			}
			for _, fd := range a.Findings {
				if fd.Severity == finding.Error && !fd.Transient {
					t.Errorf("%s at %s: definite error finding %s: %s", fault, name, fd.Code, fd.Message)
				}
			}
			if got := finding.Judge(a.Findings, !a.Incomplete); got != finding.StatusError {
				t.Errorf("%s at %s: status %s, want error", fault, name, got)
			}
		}
	}
}

// TestAnalyzeCNAMELoopIsAnError: a loop is a misconfiguration, not an
// outage and not a missing record.
func TestAnalyzeCNAMELoopIsAnError(t *testing.T) {
	a := analyze(t, cnameLoopFake(), "example.com")
	got := codes(a)
	if got["spf.cname-error"] != 1 || got["spf.dns-error"] != 0 || got["spf.target-without-record"] != 0 {
		t.Fatalf("findings %v", a.Findings)
	}
	if s := finding.Judge(a.Findings, !a.Incomplete); s != finding.StatusFail {
		t.Errorf("status %s, want fail", s)
	}
}

// TestAnalyzeNotCheckedOffline: offline, an include (or a host) that no
// zone file covers is "not checked", an info finding, and not void; a name
// the zone does cover and lacks is still reported.
func TestAnalyzeNotCheckedOffline(t *testing.T) {
	a := analyze(t, offlineZone(t), "tenant.test")
	got := codes(a)
	if got["spf.not-checked-offline"] != 4 {
		t.Errorf("not-checked findings %d, want 4 (google include, a, mx, exists): %v", got["spf.not-checked-offline"], a.Findings)
	}
	if got["spf.target-without-record"] != 1 {
		t.Errorf("target-without-record %d, want 1 (_spf.tenant.test only): %v", got["spf.target-without-record"], a.Findings)
	}
	for _, f := range a.Findings {
		if f.Code == "spf.target-without-record" && !strings.Contains(f.Message, "_spf.tenant.test") {
			t.Errorf("target-without-record for %s", f.Name)
		}
		if f.Code == "spf.not-checked-offline" && f.Severity != finding.Info {
			t.Errorf("%s: severity %s", f.Code, f.Severity)
		}
	}
	if a.VoidLookups.Max() != 0 || a.Incomplete {
		t.Errorf("void %+v, incomplete %v", a.VoidLookups, a.Incomplete)
	}
	if n := a.Tree.Terms[0].Child; n == nil || n.Status != "not-checked" {
		t.Errorf("include node %+v", n)
	}
	// The checked domain itself not covered: not checked, not "no record".
	b := analyze(t, offlineZone(t), "elsewhere.example")
	if got := codes(b); got["spf.no-record"] != 0 || got["spf.not-checked-offline"] != 1 || b.Tree.Status != "not-checked" {
		t.Errorf("uncovered domain: %s %v", b.Tree.Status, b.Findings)
	}
}

// TestAnalyzeMultipleRecords: every record is analysed, and the merged
// record (with its lookup count) is in the fix and in the analysis; the
// lookup limit is judged on it (the issue: "total: 0 DNS lookups").
func TestAnalyzeMultipleRecords(t *testing.T) {
	var z strings.Builder
	z.WriteString(`example.com. 300 IN TXT "v=spf1 include:a.example.net include:b.example.net ~all"` + "\n")
	z.WriteString(`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.1 mx include:a.example.net -all"` + "\n")
	z.WriteString("example.com. 300 IN MX 10 mail.example.com.\nmail.example.com. 300 IN A 192.0.2.25\nmail.example.com. 300 IN AAAA 2001:db8::25\n")
	for _, d := range []string{"a", "b"} {
		z.WriteString(d + `.example.net. 300 IN TXT "v=spf1` + strings.Repeat(" a:h.example.net", 8) + ` -all"` + "\n")
	}
	z.WriteString("h.example.net. 300 IN A 192.0.2.9\nh.example.net. 300 IN AAAA 2001:db8::9\n")
	a := analyze(t, dnstest.NewFake(z.String()), "example.com")
	const want = "v=spf1 include:a.example.net include:b.example.net ip4:192.0.2.1 mx -all"
	if a.Merged == nil || a.Merged.Record != want {
		t.Fatalf("merged %+v, want %q", a.Merged, want)
	}
	// include:a (1+8) + include:b (1+8) + mx (1) = 19.
	if a.Lookups != 19 || a.Merged.Lookups != 19 || len(a.Costs) == 0 {
		t.Errorf("lookups %d (merged %d), costs %v", a.Lookups, a.Merged.Lookups, a.Costs)
	}
	if len(a.Tree.Alternatives) != 2 || a.Tree.Alternatives[0].Lookups != 18 || a.Tree.Alternatives[1].Lookups != 10 {
		t.Errorf("alternatives: %d", len(a.Tree.Alternatives))
	}
	var multi, limit *finding.Finding
	for i, f := range a.Findings {
		switch f.Code {
		case "spf.multiple-records":
			multi = &a.Findings[i]
		case "spf.lookup-limit":
			limit = &a.Findings[i]
		}
	}
	if multi == nil || !strings.Contains(multi.Fix, want) || !strings.Contains(multi.Fix, "19 of 10 DNS lookups: over the limit") || !strings.Contains(multi.Fix, `ends in "-all", the strictest of the records' ("~all", "-all")`) {
		t.Errorf("multiple-records: %+v", multi)
	}
	if limit == nil || !strings.Contains(limit.Message, "merged SPF record") || !strings.Contains(limit.Message, "19 DNS lookups") {
		t.Errorf("lookup-limit: %+v", limit)
	}
}

func TestMergeRecords(t *testing.T) {
	for _, tt := range []struct {
		in    []string
		want  string
		notes []string
	}{
		{[]string{"v=spf1 mx -all", "v=spf1 MX ip4:192.0.2.1 ~all"}, "v=spf1 mx ip4:192.0.2.1 -all", []string{`ends in "-all"`}},
		{[]string{"v=spf1 +a ?all", "v=spf1 a ~all"}, "v=spf1 +a ~all", nil},
		{[]string{"v=spf1 ip4:192.0.2.1", "v=spf1 a -all"}, "v=spf1 ip4:192.0.2.1 a -all", []string{`and no all (neutral)`}},
		{[]string{"v=spf1 redirect=_spf.example.net", "v=spf1 ip4:192.0.2.1 -all"}, "v=spf1 ip4:192.0.2.1 include:_spf.example.net -all", []string{"redirect=_spf.example.net became include:_spf.example.net"}},
		{[]string{"v=spf1 redirect=a.example", "v=spf1 mx redirect=b.example"}, "v=spf1 mx include:b.example redirect=a.example", []string{"redirect=a.example was kept"}},
		{[]string{"v=spf1 -all exp=e1.example", "v=spf1 -all exp=e2.example"}, "v=spf1 -all exp=e1.example", []string{"exp=e1.example kept"}},
		{[]string{"v=spf1 ip4:192.0.2.300 mx -all", "v=spf1 -all"}, "v=spf1 mx -all", []string{"left out the terms with syntax errors: ip4:192.0.2.300"}},
	} {
		got, notes := MergeRecords(tt.in)
		if got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
		all := strings.Join(notes, "; ")
		for _, n := range tt.notes {
			if !strings.Contains(all, n) {
				t.Errorf("%q: notes %q lack %q", tt.in, notes, n)
			}
		}
		if _, err := Parse(got); err != nil {
			t.Errorf("%q: the merged record does not parse: %v", tt.in, err)
		}
	}
}

// TestAnalyzeStrictReceivers: records within the RFC's limits that pyspf
// and Mail::SPF count over them get spf.receiver-compat; the counts are in
// the analysis.
func TestAnalyzeStrictReceivers(t *testing.T) {
	mx := strictMXZone
	a := analyze(t, dnstest.NewFake(mx), "example.com")
	if a.VoidLookups.Max() != 0 || a.StrictReceivers.VoidLookups != (VoidCount{0, 3}) {
		t.Errorf("void %+v, strict %+v", a.VoidLookups, a.StrictReceivers)
	}
	f := findCode(a, "spf.receiver-compat")
	if f == nil || !strings.Contains(f.Message, "for IPv6 clients") || !strings.Contains(f.Message, "m1.example.com, m2.example.com, m3.example.com") || !strings.Contains(f.Fix, "publish AAAA records") {
		t.Errorf("receiver-compat: %+v", f)
	}
	// With AAAA records for two of the hosts: one void, fine everywhere.
	b := analyze(t, dnstest.NewFake(mx+"m1.example.com. 300 IN AAAA 2001:db8::1\nm2.example.com. 300 IN AAAA 2001:db8::2\n"), "example.com")
	if findCode(b, "spf.receiver-compat") != nil || b.StrictReceivers.VoidLookups.IPv6 != 1 {
		t.Errorf("two hosts with AAAA: %+v %v", b.StrictReceivers, b.Findings)
	}
	// A redirect beside all, in a record at 10 lookups.
	red := `example.com. 300 IN TXT "v=spf1` + strings.Repeat(" a", 10) + ` redirect=_spf.example.com -all"` + "\n" +
		"example.com. 300 IN A 192.0.2.1\nexample.com. 300 IN AAAA 2001:db8::1\n" + `_spf.example.com. 300 IN TXT "v=spf1 -all"`
	c := analyze(t, dnstest.NewFake(red), "example.com")
	f = findCode(c, "spf.receiver-compat")
	if c.Lookups != 10 || c.StrictReceivers.Lookups != 11 || f == nil || !strings.Contains(f.Message, "redirect=_spf.example.com (in the record of example.com)") {
		t.Errorf("redirect beside all: lookups %d, strict %d, %+v", c.Lookups, c.StrictReceivers.Lookups, f)
	}
	// Over the limit already: spf.lookup-limit says it; no second finding.
	d := analyze(t, dnstest.NewFake(strings.Replace(red, " a redirect", " a a redirect", 1)), "example.com")
	if findCode(d, "spf.receiver-compat") != nil || findCode(d, "spf.lookup-limit") == nil {
		t.Errorf("over the limit: %v", d.Findings)
	}
}

// strictMXZone: three MX hosts with IPv4 addresses only.
const strictMXZone = `example.com. 300 IN TXT "v=spf1 mx -all"` + "\n" +
	"example.com. 300 IN MX 10 m1.example.com.\nexample.com. 300 IN MX 20 m2.example.com.\nexample.com. 300 IN MX 30 m3.example.com.\n" +
	"m1.example.com. 300 IN A 192.0.2.1\nm2.example.com. 300 IN A 192.0.2.2\nm3.example.com. 300 IN A 192.0.2.3\n"

func findCode(a *Analysis, code string) *finding.Finding {
	for i := range a.Findings {
		if a.Findings[i].Code == code {
			return &a.Findings[i]
		}
	}
	return nil
}

// FuzzMergeRecords checks that merging any two records never panics and
// that the merged record parses whenever the records' valid terms do.
func FuzzMergeRecords(f *testing.F) {
	f.Add("v=spf1 mx -all", "v=spf1 ip4:192.0.2.1 ~all")
	f.Add("v=spf1 redirect=a.example", "v=spf1 a redirect=b.example exp=e.example")
	f.Add("v=spf1 include:%{d}.x.example foo=bar", "v=spf1 ?all foo=baz")
	f.Fuzz(func(t *testing.T, a, b string) {
		merged, _ := MergeRecords([]string{a, b})
		if !IsSPF(a) || !IsSPF(b) {
			return
		}
		if _, err := Parse(merged); err != nil {
			t.Fatalf("MergeRecords(%q, %q) = %q, which does not parse: %v", a, b, merged, err)
		}
	})
}
