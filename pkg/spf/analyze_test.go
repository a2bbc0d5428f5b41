package spf

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func codes(a *Analysis) map[string]int {
	m := map[string]int{}
	for _, f := range a.Findings {
		m[f.Code]++
	}
	return m
}

func analyze(t *testing.T, r dns.Resolver, domain string) *Analysis {
	t.Helper()
	a, err := Analyze(context.Background(), r, domain, AnalyzeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

type analyzeCase struct {
	name    string
	zone    string
	domain  string
	want    []string // codes that must be present
	notWant []string
	lookups int
}

func TestAnalyzeFindings(t *testing.T) {
	for _, tc := range analyzeCases() {
		t.Run(tc.name, func(t *testing.T) {
			a := analyze(t, dnstest.NewFake(tc.zone), tc.domain)
			got := codes(a)
			for _, c := range tc.want {
				if got[c] == 0 {
					t.Errorf("want finding %s; got %v", c, a.Findings)
				}
			}
			for _, c := range tc.notWant {
				if got[c] > 0 {
					t.Errorf("unexpected finding %s: %v", c, a.Findings)
				}
			}
			if a.Lookups != tc.lookups {
				t.Errorf("lookups = %d, want %d", a.Lookups, tc.lookups)
			}
			for _, f := range a.Findings {
				if !catalog.Has(f.Code) {
					t.Errorf("finding %s is not in the catalogue", f.Code)
				}
				if f.Severity != finding.Info && f.Fix == "" {
					t.Errorf("finding %s has no fix", f.Code)
				}
			}
		})
	}
}

// TestEveryCodeEmitted checks that the analysis tests reach every code of
// the catalogue, so none is dead documentation.
func TestEveryCodeEmitted(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range analyzeCases() {
		for c := range codes(analyze(t, dnstest.NewFake(tc.zone), tc.domain)) {
			seen[c] = true
		}
	}
	f := dnstest.NewFake()
	f.AddTXT("example.com", "v=spf1 "+strings.Repeat("ip4:192.0.2.1 ", 40)+"-all")
	for c := range codes(analyze(t, f, "example.com")) {
		seen[c] = true
	}
	f = dnstest.NewFake(`example.com. 300 IN TXT "v=spf1 include:slow.example.net -all"`)
	f.Timeout("slow.example.net", 0)
	a := analyze(t, f, "example.com")
	if !a.Incomplete {
		t.Error("a timeout did not make the analysis incomplete")
	}
	for c := range codes(a) {
		seen[c] = true
	}
	for c := range hardenExtraCodes(t) {
		seen[c] = true
	}
	for _, s := range Findings() {
		if !seen[s.Code] {
			t.Errorf("no analysis test emits %s", s.Code)
		}
	}
}

func analyzeCases() []analyzeCase {
	return []analyzeCase{
		{
			name:    "clean",
			zone:    `example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"` + "\n" + `_spf.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
			domain:  "example.com",
			notWant: []string{"spf.no-all", "spf.pass-all", "spf.lookup-limit"},
			lookups: 1,
		},
		{name: "no record", zone: `example.com. 300 IN A 192.0.2.1`, domain: "example.com", want: []string{"spf.no-record"}},
		{name: "nxdomain", zone: `other.example. 300 IN A 192.0.2.1`, domain: "example.com", want: []string{"spf.no-record"}},
		{
			name:   "two records",
			zone:   `example.com. 300 IN TXT "v=spf1 -all"` + "\n" + `example.com. 300 IN TXT "v=spf1 mx -all"`,
			domain: "example.com", want: []string{"spf.multiple-records"}, lookups: 1, // the merged record's
		},
		{
			name:   "bad version",
			zone:   `example.com. 300 IN TXT "v=spf mx -all"`,
			domain: "example.com", want: []string{"spf.bad-version", "spf.no-record"},
		},
		{
			name:   "sender id beside spf",
			zone:   `example.com. 300 IN TXT "spf2.0/mfrom,pra -all"` + "\n" + `example.com. 300 IN TXT "v=spf1 -all"`,
			domain: "example.com", notWant: []string{"spf.bad-version", "spf.multiple-records"},
		},
		{name: "upper-case version", zone: `example.com. 300 IN TXT "V=SPF1 -all"`, domain: "example.com", want: []string{"spf.bad-version"}},
		{name: "syntax", zone: `example.com. 300 IN TXT "v=spf1 ip4:192.0.2.300 -all"`, domain: "example.com", want: []string{"spf.syntax-error"}},
		{name: "pass all", zone: `example.com. 300 IN TXT "v=spf1 +all"`, domain: "example.com", want: []string{"spf.pass-all"}},
		{name: "neutral all", zone: `example.com. 300 IN TXT "v=spf1 ip4:192.0.2.1 ?all"`, domain: "example.com", want: []string{"spf.neutral-all"}},
		{name: "no all", zone: `example.com. 300 IN TXT "v=spf1 ip4:192.0.2.1"`, domain: "example.com", want: []string{"spf.no-all"}},
		{
			name:   "ptr",
			zone:   `example.com. 300 IN TXT "v=spf1 ptr -all"`,
			domain: "example.com", want: []string{"spf.ptr"}, lookups: 1,
		},
		{
			name:   "after all",
			zone:   `example.com. 300 IN TXT "v=spf1 -all ip4:192.0.2.1"`,
			domain: "example.com", want: []string{"spf.terms-after-all"},
		},
		{
			name:   "redirect with all",
			zone:   `example.com. 300 IN TXT "v=spf1 redirect=_spf.example.com -all"` + "\n" + `_spf.example.com. 300 IN TXT "v=spf1 -all"`,
			domain: "example.com", want: []string{"spf.redirect-with-all"}, lookups: 0,
		},
		{
			name:   "include without record",
			zone:   `example.com. 300 IN TXT "v=spf1 include:gone.example.net -all"`,
			domain: "example.com", want: []string{"spf.target-without-record"}, lookups: 1,
		},
		{
			name:   "redirect without record",
			zone:   `example.com. 300 IN TXT "v=spf1 redirect=gone.example.net"`,
			domain: "example.com", want: []string{"spf.target-without-record"}, notWant: []string{"spf.no-all"}, lookups: 1,
		},
		{
			name:   "loop",
			zone:   `example.com. 300 IN TXT "v=spf1 include:a.example.com -all"` + "\n" + `a.example.com. 300 IN TXT "v=spf1 include:example.com -all"`,
			domain: "example.com", want: []string{"spf.include-loop"}, lookups: 2,
		},
		{
			name: "duplicates",
			zone: `example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.7 include:a.example.net include:a.example.net -all"` + "\n" +
				`a.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`,
			domain: "example.com", want: []string{"spf.duplicate-include", "spf.duplicate-network"}, lookups: 2,
		},
		{
			name:   "broad",
			zone:   `example.com. 300 IN TXT "v=spf1 ip4:10.0.0.0/7 ip6:2001::/16 -all"`,
			domain: "example.com", want: []string{"spf.broad-network"},
		},
		{
			name:   "over limit",
			zone:   `example.com. 300 IN TXT "v=spf1 a mx include:a.example.net include:b.example.net -all"` + "\n" + `example.com. 300 IN A 192.0.2.1` + "\n" + `example.com. 300 IN MX 10 example.com.` + "\n" + `a.example.net. 300 IN TXT "v=spf1 a:x.example.net a:x.example.net a:x.example.net a:x.example.net -all"` + "\n" + `b.example.net. 300 IN TXT "v=spf1 a:x.example.net a:x.example.net a:x.example.net a:x.example.net -all"` + "\n" + `x.example.net. 300 IN A 192.0.2.9`,
			domain: "example.com", want: []string{"spf.lookup-limit"}, lookups: 12,
		},
		{
			name:   "headroom",
			zone:   `example.com. 300 IN TXT "v=spf1 a a a a a a a a a -all"` + "\n" + `example.com. 300 IN A 192.0.2.1` + "\n" + `example.com. 300 IN AAAA 2001:db8::1`,
			domain: "example.com", want: []string{"spf.lookup-headroom"}, notWant: []string{"spf.lookup-limit"}, lookups: 9,
		},
		{
			name:   "void",
			zone:   `example.com. 300 IN TXT "v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all"`,
			domain: "example.com", want: []string{"spf.void-lookup-limit"}, lookups: 3,
		},
		{
			name:   "void for ipv6 only",
			zone:   `example.com. 300 IN TXT "v=spf1 a:h.example.com a:h.example.com a:h.example.com -all"` + "\n" + `h.example.com. 300 IN A 192.0.2.1`,
			domain: "example.com", want: []string{"spf.void-lookup-limit"}, lookups: 3,
		},
		{
			name:   "macro",
			zone:   `example.com. 300 IN TXT "v=spf1 exists:%{i}._spf.example.com -all"`,
			domain: "example.com", want: []string{"spf.macro-cost"}, lookups: 1,
		},
		{
			name:   "invalid literal domain",
			zone:   `example.com. 300 IN TXT "v=spf1 a:mail..example.com -all"`,
			domain: "example.com", want: []string{"spf.invalid-domain"}, lookups: 1,
		},
		{
			name:   "type 99",
			zone:   `example.com. 300 IN TXT "v=spf1 -all"` + "\n" + `example.com. 300 IN SPF "v=spf1 -all"`,
			domain: "example.com", want: []string{"spf.type99-record"},
		},
		{
			name: "mx limit",
			zone: `example.com. 300 IN TXT "v=spf1 mx -all"` + "\n" + strings.Repeat("", 0) +
				func() string {
					var b strings.Builder
					for i := 0; i < 11; i++ {
						b.WriteString("example.com. 300 IN MX 10 mx" + string(rune('a'+i)) + ".example.com.\n")
					}
					return b.String()
				}(),
			domain: "example.com", want: []string{"spf.mx-limit"}, lookups: 1,
		},
	}
}

func TestAnalyzeLongStrings(t *testing.T) {
	f := dnstest.NewFake()
	long := "v=spf1 " + strings.Repeat("ip4:192.0.2.1 ", 40) + "-all"
	f.AddTXT("example.com", long)
	a := analyze(t, f, "example.com")
	got := codes(a)
	if got["spf.long-string"] == 0 || got["spf.large-answer"] == 0 {
		t.Errorf("want spf.long-string and spf.large-answer, got %v", a.Findings)
	}
}

func TestCatalogue(t *testing.T) {
	specs := Findings()
	if len(specs) < 20 {
		t.Fatalf("only %d specs", len(specs))
	}
	for _, s := range specs {
		if !strings.HasPrefix(s.Code, "spf.") {
			t.Errorf("code %s does not start with spf.", s.Code)
		}
	}
}

// TestAnalysisMatchesEvaluation checks, over every domain of the OpenSPF
// suites, that the analysis's lookup and void counts equal what CheckHost
// reports for a client that matches nothing but "all": the two share the
// cost logic, and this keeps them from drifting apart.
func TestAnalysisMatchesEvaluation(t *testing.T) {
	compared := 0
	for _, suite := range []string{"rfc7208-tests.json", "rfc4408-tests.json"} {
		s := loadSuite(t, suite)
		for _, sc := range s.Scenarios {
			for _, d := range sc.Zone.Names() {
				a, err := Analyze(context.Background(), sc.Zone, d, AnalyzeOptions{SkipType99: true})
				if err != nil || a.Tree.Status != "ok" || a.MacroDependent || a.Incomplete {
					continue
				}
				hasPTR := false
				walkTerms(a.Tree, func(_ *Node, tr *TermReport) {
					if strings.Contains(strings.ToLower(tr.Term), "ptr") {
						hasPTR = true
					}
				})
				if hasPTR {
					continue
				}
				for _, ipS := range []string{"203.0.113.254", "2001:db8:ffff::fe"} {
					ip := netip.MustParseAddr(ipS)
					res := CheckHost(context.Background(), sc.Zone, ip, d, "postmaster@"+d, d, Options{})
					if res.Result == PermError || res.Result == TempError {
						continue
					}
					if res.Mechanism != "" && !strings.HasSuffix(strings.ToLower(res.Mechanism), "all") {
						continue // matched something: not the worst case
					}
					compared++
					void := a.VoidLookups.IPv4
					if ip.Is6() {
						void = a.VoidLookups.IPv6
					}
					if res.Lookups != a.Lookups || res.VoidLookups != void || res.Result != a.Result {
						t.Errorf("%s %s (%s): check_host %s with %d lookups, %d void; analysis %s with %d lookups, %d void",
							suite, d, ipS, res.Result, res.Lookups, res.VoidLookups, a.Result, a.Lookups, void)
					}
				}
			}
		}
	}
	if compared < 50 {
		t.Errorf("only %d comparisons made", compared)
	}
	t.Logf("%d evaluations compared with their analysis", compared)
}

// A long chain of distinct includes is not walked without end: past three
// times the limit the analysis stops following (evaluation stopped at 11).
func TestAnalyzeLongChain(t *testing.T) {
	f := dnstest.NewFake()
	for i := 0; i < 200; i++ {
		f.AddTXT(chainName(i), "v=spf1 include:"+chainName(i+1)+" -all")
	}
	a := analyze(t, f, chainName(0))
	if a.Lookups > 31 || codes(a)["spf.lookup-limit"] == 0 {
		t.Errorf("lookups %d, findings %v", a.Lookups, a.Findings)
	}
	res := CheckHost(context.Background(), f, netip.MustParseAddr("192.0.2.1"), chainName(0), "a@"+chainName(0), "h", Options{MaxLookups: 1000})
	if res.Result != PermError || !strings.Contains(res.Error, "nested more than") {
		t.Errorf("deep chain with a raised limit: %s %s", res.Result, res.Error)
	}
}

func chainName(i int) string { return "c" + strconv.Itoa(i) + ".example.com" }

// A literal exists: whose name has an address matches every client:
// evaluation ends there, and so do the analysis's counts.
func TestAnalyzeExistsAlwaysMatches(t *testing.T) {
	f := dnstest.NewFake(`example.com. 300 IN TXT "v=spf1 exists:on.example.com include:a.example.net -all"
on.example.com. 300 IN A 127.0.0.2
a.example.net. 300 IN TXT "v=spf1 -all"`)
	a := analyze(t, f, "example.com")
	res := CheckHost(context.Background(), f, netip.MustParseAddr("198.51.100.1"), "example.com", "x@example.com", "h", Options{})
	if a.Lookups != 1 || res.Lookups != 1 || a.Result != Pass || res.Result != Pass {
		t.Errorf("analysis %d lookups (%s), evaluation %d (%s)", a.Lookups, a.Result, res.Lookups, res.Result)
	}
}
