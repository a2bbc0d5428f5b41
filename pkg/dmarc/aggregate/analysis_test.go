package aggregate

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// Rows of a day's report for example.com.
func pass(ip string, n int64) Record { // aligned DKIM and SPF
	return Record{SourceIP: ip, Count: n, Disposition: "none", DKIM: "pass", SPF: "pass", HeaderFrom: "example.com",
		AuthDKIM: []DKIMAuth{{Domain: "example.com", Selector: "s1", Result: "pass"}}, AuthSPF: []SPFAuth{{Domain: "example.com", Scope: "mfrom", Result: "pass"}}}
}

func spfOnlyPass(ip string, n int64) Record {
	return Record{SourceIP: ip, Count: n, Disposition: "none", DKIM: "fail", SPF: "pass", HeaderFrom: "example.com",
		AuthSPF: []SPFAuth{{Domain: "bounce.example.com", Result: "pass"}}}
}

func notInSPF(ip string, n int64) Record { // own envelope, SPF fails, no DKIM
	return Record{SourceIP: ip, Count: n, Disposition: "none", DKIM: "fail", SPF: "fail", HeaderFrom: "example.com",
		AuthSPF: []SPFAuth{{Domain: "example.com", Scope: "mfrom", Result: "softfail"}}}
}

func esp(ip string, n int64) Record { // authenticates as the provider
	return Record{SourceIP: ip, Count: n, Disposition: "none", DKIM: "fail", SPF: "fail", HeaderFrom: "example.com",
		AuthDKIM: []DKIMAuth{{Domain: "esp.example.net", Selector: "k1", Result: "pass"}}, AuthSPF: []SPFAuth{{Domain: "bounces.esp.example.net", Result: "pass"}}}
}

func spoof(ip string, n int64) Record {
	return Record{SourceIP: ip, Count: n, Disposition: "none", DKIM: "fail", SPF: "fail", HeaderFrom: "example.com",
		AuthSPF: []SPFAuth{{Domain: "spammer.example.org", Result: "fail"}}}
}

func forwarded(ip string, n int64) Record {
	return Record{SourceIP: ip, Count: n, Disposition: "none", DKIM: "fail", SPF: "fail", HeaderFrom: "example.com",
		Reasons: []Reason{{Type: "forwarded"}}, AuthSPF: []SPFAuth{{Domain: "example.com", Result: "fail"}}}
}

// daily returns one report per day for days days, from startDay, each with
// the rows and the policy.
func daily(org string, startDay, days int, pol PolicyPublished, rows ...Record) []*Report {
	var out []*Report
	for i := startDay; i < startDay+days; i++ {
		b := day0.Add(time.Duration(i) * 24 * time.Hour)
		pol.Domain = "example.com"
		out = append(out, &Report{Source: "test", Schema: "rfc7489", Metadata: Metadata{OrgName: org, ReportID: fmt.Sprintf("%s-%d", org, i), Begin: b, End: b.Add(24*time.Hour - time.Second)},
			Policy: pol, Records: rows})
	}
	return out
}

var (
	pNone      = PolicyPublished{P: "none"}
	pQTest     = PolicyPublished{P: "quarantine", Testing: "y"}
	pQPct      = PolicyPublished{P: "quarantine", Pct: "50"}
	pQuar      = PolicyPublished{P: "quarantine"}
	pRejTest   = PolicyPublished{P: "reject", Testing: "y"}
	pReject    = PolicyPublished{P: "reject"}
	pNoneSPstr = PolicyPublished{P: "none", SP: "reject", ADKIM: "s"}
)

func analyse(t *testing.T, opts AnalyzerOptions, reps ...[]*Report) *DomainAnalysis {
	t.Helper()
	a := NewAnalyzer(opts)
	for _, rs := range reps {
		for _, r := range rs {
			a.Add(r)
		}
	}
	res := a.Result(context.Background(), ResultOptions{})
	if len(res.Domains) != 1 {
		t.Fatalf("%d domains", len(res.Domains))
	}
	return &res.Domains[0]
}

// The readiness rule across its thresholds. Shares are of legitimate-
// looking mail; the defaults are quarantine 98%, reject 99.5% with 95%
// aligned DKIM, 100 messages and 14 days to judge, 30 days at p=none and
// p=quarantine, 14 at a t=y step.
func TestReadiness(t *testing.T) {
	tests := []struct {
		name    string
		opts    AnalyzerOptions
		reports [][]*Report
		verdict Verdict
		step    int
		next    string // the record to publish next, "" when none
		share   float64
	}{
		{"too few messages", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 3))}, VerdictInsufficientData, StepNone, "", 1},
		{"too short a period", AnalyzerOptions{}, [][]*Report{daily("r", 0, 13, pNone, pass("192.0.2.1", 100))}, VerdictInsufficientData, StepNone, "", 1},
		{"none, all passing, 30 days", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y; pct=0", 1},
		{"none, all passing, 20 days: hold", AnalyzerOptions{}, [][]*Report{daily("r", 0, 20, pNone, pass("192.0.2.1", 100))}, VerdictHold, StepNone, "v=DMARC1; p=quarantine; t=y; pct=0", 1},
		{"none, exactly 98%", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 98), esp("198.51.100.20", 2))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y; pct=0", 0.98},
		{"none, 97%", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 97), esp("198.51.100.20", 3))}, VerdictNotReady, StepNone, "", 0.97},
		{"none, 97%, threshold lowered to 95%", AnalyzerOptions{Thresholds: Thresholds{QuarantineShare: 0.95}}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 97), esp("198.51.100.20", 3))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y; pct=0", 0.97},
		{"none, spoofing does not count", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100), spoof("203.0.113.9", 500))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y; pct=0", 1},
		{"none, forwarded does not count", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100), forwarded("198.51.100.7", 50))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y; pct=0", 1},
		{"none, an ESP does count", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100), esp("198.51.100.20", 10))}, VerdictNotReady, StepNone, "", 100.0 / 110},
		{"none, the ESP marked abusive", AnalyzerOptions{Abusive: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100), esp("198.51.100.20", 10))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y; pct=0", 1},
		{"none, skip testing", AnalyzerOptions{SkipTesting: true}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine", 1},
		{"none, omit pct", AnalyzerOptions{OmitPct: true}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y", 1},
		{"none, sp and adkim kept", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNoneSPstr, pass("192.0.2.1", 100))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; sp=reject; t=y; adkim=s; pct=0", 1},
		{"none, current record kept", AnalyzerOptions{CurrentRecords: map[string]string{"example.com": "v=DMARC1; p=none; rua=mailto:d@example.com"}}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100))}, VerdictReady, StepNone, "v=DMARC1; p=quarantine; t=y; rua=mailto:d@example.com; pct=0", 1},
		{"quarantine t=y, 14 days", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100)), daily("r", 30, 14, pQTest, pass("192.0.2.1", 100))}, VerdictReady, StepQuarantineTesting, "v=DMARC1; p=quarantine", 1},
		{"quarantine pct=50 is the testing step", AnalyzerOptions{}, [][]*Report{daily("r", 0, 14, pQPct, pass("192.0.2.1", 100))}, VerdictReady, StepQuarantineTesting, "v=DMARC1; p=quarantine", 1},
		{"quarantine t=y, 10 days: hold", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pNone, pass("192.0.2.1", 100)), daily("r", 30, 10, pQTest, pass("192.0.2.1", 100))}, VerdictHold, StepQuarantineTesting, "v=DMARC1; p=quarantine", 1},
		{"quarantine, 99.6% with DKIM", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pQuar, pass("192.0.2.1", 996), esp("198.51.100.20", 4))}, VerdictReady, StepQuarantine, "v=DMARC1; p=reject; t=y; pct=0", 0.996},
		{"quarantine, exactly 99.5%", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pQuar, pass("192.0.2.1", 995), esp("198.51.100.20", 5))}, VerdictReady, StepQuarantine, "v=DMARC1; p=reject; t=y; pct=0", 0.995},
		{"quarantine, 99%", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pQuar, pass("192.0.2.1", 990), esp("198.51.100.20", 10))}, VerdictNotReady, StepQuarantine, "", 0.99},
		{"quarantine, all passing but through SPF alone", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pQuar, pass("192.0.2.1", 90), spfOnlyPass("192.0.2.3", 10))}, VerdictNotReady, StepQuarantine, "", 1},
		{"quarantine, 96% DKIM is enough", AnalyzerOptions{}, [][]*Report{daily("r", 0, 30, pQuar, pass("192.0.2.1", 96), spfOnlyPass("192.0.2.3", 4))}, VerdictReady, StepQuarantine, "v=DMARC1; p=reject; t=y; pct=0", 1},
		{"quarantine, DKIM threshold raised", AnalyzerOptions{Thresholds: Thresholds{RejectDKIMShare: 0.99}}, [][]*Report{daily("r", 0, 30, pQuar, pass("192.0.2.1", 96), spfOnlyPass("192.0.2.3", 4))}, VerdictNotReady, StepQuarantine, "", 1},
		{"quarantine, 20 days: hold", AnalyzerOptions{}, [][]*Report{daily("r", 0, 20, pQuar, pass("192.0.2.1", 100))}, VerdictHold, StepQuarantine, "v=DMARC1; p=reject; t=y; pct=0", 1},
		{"quarantine, step days lowered", AnalyzerOptions{Thresholds: Thresholds{StepDays: 15}}, [][]*Report{daily("r", 0, 20, pQuar, pass("192.0.2.1", 100))}, VerdictReady, StepQuarantine, "v=DMARC1; p=reject; t=y; pct=0", 1},
		{"quarantine, skip testing", AnalyzerOptions{SkipTesting: true}, [][]*Report{daily("r", 0, 30, pQuar, pass("192.0.2.1", 100))}, VerdictReady, StepQuarantine, "v=DMARC1; p=reject", 1},
		{"reject t=y", AnalyzerOptions{}, [][]*Report{daily("r", 0, 14, pRejTest, pass("192.0.2.1", 100))}, VerdictReady, StepRejectTesting, "v=DMARC1; p=reject", 1},
		{"reject t=y, 99%", AnalyzerOptions{}, [][]*Report{daily("r", 0, 14, pRejTest, pass("192.0.2.1", 99), esp("198.51.100.20", 1))}, VerdictNotReady, StepRejectTesting, "", 0.99},
		{"reject", AnalyzerOptions{}, [][]*Report{daily("r", 0, 3, pReject, pass("192.0.2.1", 10))}, VerdictEnforced, StepReject, "", 1},
		{"the latest policy counts", AnalyzerOptions{}, [][]*Report{daily("r", 30, 30, pQuar, pass("192.0.2.1", 100)), daily("r", 0, 30, pNone, pass("192.0.2.1", 100))}, VerdictReady, StepQuarantine, "v=DMARC1; p=reject; t=y; pct=0", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := analyse(t, tt.opts, tt.reports...)
			r := d.Readiness
			next := ""
			if r.Next != nil && r.Verdict == VerdictReady || r.Verdict == VerdictHold {
				next = r.Next.Record
			}
			if r.Verdict != tt.verdict || r.Step != tt.step || next != tt.next || fmt.Sprintf("%.4f", r.PassShare) != fmt.Sprintf("%.4f", tt.share) {
				t.Errorf("verdict %s step %d next %q share %.4f; reasons %v", r.Verdict, r.Step, next, r.PassShare, r.Reasons)
			}
			if len(r.Reasons) == 0 {
				t.Error("no reasons")
			}
			// The verdict's finding is there, and the status follows.
			want := map[Verdict]string{VerdictReady: "dmarc-report.ready", VerdictHold: "dmarc-report.hold", VerdictNotReady: "dmarc-report.not-ready",
				VerdictInsufficientData: "dmarc-report.insufficient-data", VerdictEnforced: "dmarc-report.enforced"}[r.Verdict]
			if !slices.ContainsFunc(d.Findings, func(f finding.Finding) bool { return f.Code == want }) {
				t.Errorf("no %s finding: %v", want, d.Findings)
			}
			if d.Status != finding.Judge(d.Findings, true) {
				t.Errorf("status %s", d.Status)
			}
		})
	}
}

func TestSourcesAndActions(t *testing.T) {
	d := analyse(t, AnalyzerOptions{}, daily("r", 0, 30, pQuar,
		pass("192.0.2.1", 100), notInSPF("192.0.2.2", 5), esp("198.51.100.20", 7), spoof("203.0.113.9", 9), forwarded("198.51.100.77", 2),
		pass("192.0.2.4", 10), notInSPF("192.0.2.4", 1)))
	want := map[string]struct {
		class  SourceClass
		action Action
	}{
		"192.0.2.1":     {ClassAligned, ActionNone},
		"192.0.2.2":     {ClassUnauthenticated, ActionAbuse}, // nothing passes: could be spoofing with our envelope
		"198.51.100.20": {ClassThirdParty, ActionSignDKIM},
		"203.0.113.9":   {ClassUnauthenticated, ActionAbuse},
		"198.51.100.77": {ClassForwarder, ActionForwarded},
		"192.0.2.4":     {ClassPartlyAligned, ActionAuthorizeSPF},
	}
	for _, s := range d.Sources {
		w := want[s.SourceIP]
		if s.Class != w.class || s.Action != w.action || (s.Action != ActionNone && s.Advice == "") {
			t.Errorf("%s: %s %s %q", s.SourceIP, s.Class, s.Action, s.Advice)
		}
	}
	// Failing sources first.
	if d.Sources[0].SourceIP != "203.0.113.9" {
		t.Errorf("order: %s first", d.Sources[0].SourceIP)
	}
	// At p=quarantine, legitimate mail failing is an error; spoofing is
	// information.
	sev := map[string]finding.Severity{}
	for _, f := range d.Findings {
		sev[f.Code] = f.Severity
	}
	if sev["dmarc-report.sign-dkim"] != finding.Error || sev["dmarc-report.authorize-spf"] != finding.Error || sev["dmarc-report.unauthenticated"] != finding.Info || sev["dmarc-report.forwarded"] != finding.Info {
		t.Errorf("severities %v", sev)
	}
	if d.Status != finding.StatusFail {
		t.Errorf("status %s", d.Status)
	}
	if len(d.Readiness.AtRisk) != 2 || d.Readiness.AtRisk[0].SourceIP != "198.51.100.20" || d.Readiness.AtRisk[0].Failing != 210 {
		t.Errorf("at risk %+v", d.Readiness.AtRisk)
	}
	// At p=none the same sources are warnings.
	d = analyse(t, AnalyzerOptions{}, daily("r", 0, 30, pNone, pass("192.0.2.1", 100), esp("198.51.100.20", 7), spoof("203.0.113.9", 9)))
	for _, f := range d.Findings {
		if (f.Code == "dmarc-report.sign-dkim" || f.Code == "dmarc-report.unauthenticated") && f.Severity != finding.Warning {
			t.Errorf("%s at p=none: %s", f.Code, f.Severity)
		}
	}
}

func TestAnalyzerDuplicatesAndTenants(t *testing.T) {
	tenant := func(d string) string {
		if strings.HasSuffix(d, "example.com") {
			return "acme"
		}
		return ""
	}
	a := NewAnalyzer(AnalyzerOptions{Tenant: tenant})
	reps := daily("r", 0, 3, pNone, pass("192.0.2.1", 10))
	for _, r := range append(reps, reps...) {
		a.Add(r)
	}
	other := daily("r", 0, 1, pNone, pass("192.0.2.9", 4))[0]
	other.Policy.Domain, other.Metadata.ReportID = "example.org", "o1"
	a.Add(other)
	res := a.Result(context.Background(), ResultOptions{})
	if res.Reports != 4 || res.Duplicates != 3 || len(res.Domains) != 2 || len(res.Tenants) != 2 {
		t.Fatalf("%+v", res)
	}
	if tn := res.Tenants[1]; tn.Tenant != "acme" || tn.Messages != 30 || !slices.Equal(tn.Domains, []string{"example.com"}) || tn.Verdicts[VerdictInsufficientData] != 1 {
		t.Errorf("%+v", tn)
	}
}

func TestReverseDNS(t *testing.T) {
	fake := dnstest.NewFake("1.2.0.192.in-addr.arpa. PTR mail.example.com.",
		"9.113.0.203.in-addr.arpa. PTR bot.example.net.")
	fake.Timeout("2.2.0.192.in-addr.arpa", 12) // PTR
	a := NewAnalyzer(AnalyzerOptions{})
	for _, r := range daily("r", 0, 2, pNone, pass("192.0.2.1", 10), notInSPF("192.0.2.2", 1), spoof("203.0.113.9", 3), spoof("2001:db8::1", 1)) {
		a.Add(r)
	}
	res := a.Result(context.Background(), ResultOptions{Resolver: fake, MaxLookups: 10})
	got := map[string]string{}
	for _, s := range res.Domains[0].Sources {
		got[s.SourceIP] = s.PTR + "|" + s.PTRError
	}
	if got["192.0.2.1"] != "mail.example.com|" || got["203.0.113.9"] != "bot.example.net|" || !strings.HasPrefix(got["192.0.2.2"], "|") || got["2001:db8::1"] != "|no PTR record" {
		t.Errorf("%v", got)
	}
	if res.PTRLookups != 4 || res.PTRErrors != 1 {
		t.Errorf("lookups %d errors %d", res.PTRLookups, res.PTRErrors)
	}
	if !strings.Contains(res.Domains[0].Sources[0].Advice, "bot.example.net") {
		t.Errorf("advice %q", res.Domains[0].Sources[0].Advice)
	}
	// Lookups are capped, failing sources first.
	res = a.Result(context.Background(), ResultOptions{Resolver: fake, MaxLookups: 1})
	if res.PTRLookups != 1 || res.Domains[0].Sources[0].PTR != "bot.example.net" {
		t.Errorf("capped: %d %+v", res.PTRLookups, res.Domains[0].Sources[0])
	}
}

func TestReverseName(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":   "1.2.0.192.in-addr.arpa",
		"2001:db8::1": "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
	} {
		if got := ReverseName(netip.MustParseAddr(in)); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}

func TestMaxSources(t *testing.T) {
	var rows []Record
	for i := 0; i < 20; i++ {
		rows = append(rows, spoof(fmt.Sprintf("203.0.113.%d", i), 1))
	}
	d := analyse(t, AnalyzerOptions{MaxSources: 5}, daily("r", 0, 1, pNone, rows...))
	if len(d.Sources) != 6 || d.Messages != 20 {
		t.Fatalf("%d sources, %d messages", len(d.Sources), d.Messages)
	}
	if !slices.ContainsFunc(d.Findings, func(f finding.Finding) bool { return f.Code == FindTooManySources.Code }) {
		t.Error("no too-many-sources finding")
	}
}

func TestFindingsCatalog(t *testing.T) {
	for _, s := range Findings() {
		if !strings.HasPrefix(s.Code, "dmarc-report.") {
			t.Errorf("%s", s.Code)
		}
	}
}

// RequireReady turns every verdict that does not allow the next step into
// a failing status; ready and enforced keep theirs.
func TestRequireReady(t *testing.T) {
	tests := []struct {
		name    string
		reports []*Report
		verdict Verdict
		plain   finding.Status // without RequireReady
		gated   finding.Status
	}{
		{"ready", daily("r", 0, 30, pNone, pass("192.0.2.1", 100)), VerdictReady, finding.StatusPass, finding.StatusPass},
		{"hold", daily("r", 0, 20, pNone, pass("192.0.2.1", 100)), VerdictHold, finding.StatusPass, finding.StatusFail},
		{"not ready", daily("r", 0, 30, pNone, pass("192.0.2.1", 97), esp("198.51.100.20", 3)), VerdictNotReady, finding.StatusWarn, finding.StatusFail},
		{"insufficient data", daily("r", 0, 5, pNone, pass("192.0.2.1", 100)), VerdictInsufficientData, finding.StatusWarn, finding.StatusFail},
		{"enforced", daily("r", 0, 3, pReject, pass("192.0.2.1", 10)), VerdictEnforced, finding.StatusPass, finding.StatusPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, gate := range []bool{false, true} {
				d := analyse(t, AnalyzerOptions{RequireReady: gate}, tt.reports)
				want := tt.plain
				if gate {
					want = tt.gated
				}
				if d.Readiness.Verdict != tt.verdict || d.Status != want {
					t.Errorf("RequireReady %v: verdict %s status %s, want %s %s; %v", gate, d.Readiness.Verdict, d.Status, tt.verdict, want, d.Findings)
				}
			}
		})
	}
}

// A source whose own DKIM signature the receiver did not count (ikea.com's
// sample: auth_results say pass for the domain, policy_evaluated says fail)
// is told to check its key and alignment, not to sign as the domain it
// already signs as.
func TestAdviceOwnSignatureNotCounted(t *testing.T) {
	own := Record{SourceIP: "192.0.2.9", Count: 1, Disposition: "none", DKIM: "fail", SPF: "fail", HeaderFrom: "example.com",
		AuthDKIM: []DKIMAuth{{Domain: "example.com", Result: "pass"}}, AuthSPF: []SPFAuth{{Domain: "relay.example.net", Scope: "helo", Result: "none"}}}
	d := analyse(t, AnalyzerOptions{}, daily("r", 0, 1, pNone, own))
	s := d.Sources[0]
	if s.Action != ActionSignDKIM || strings.Contains(s.Advice, "not as example.com") || !strings.Contains(s.Advice, "did not count the signature") {
		t.Errorf("%s %s: %q", s.Class, s.Action, s.Advice)
	}
}
