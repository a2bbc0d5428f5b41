package spf

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"

	"github.com/penguinmails/emailauth/pkg/spf/spftest"
)

// The OpenSPF suites, kept outside the repository (see
// ../shared/conformance/INDEX.md, section 1). The tests fail, not skip, when
// they are missing.
var conformanceDir = filepath.Join("..", "..", "..", "shared", "conformance", "spf", "json")

func loadSuite(t testing.TB, name string) *spftest.Suite {
	t.Helper()
	s, err := spftest.Load(filepath.Join(conformanceDir, name))
	if err != nil {
		t.Fatalf("the SPF conformance suite is required: %v", err)
	}
	return s
}

// runSuiteTest runs one suite test as the pyspf driver does: the default
// explanation is "DEFAULT", and an empty MAIL FROM checks the HELO identity.
func runSuiteTest(sc *spftest.Scenario, tc *spftest.Test) *Result {
	ip, err := netip.ParseAddr(tc.Host)
	if err != nil {
		return &Result{Result: "bad-host"}
	}
	return CheckMailFrom(context.Background(), sc.Zone, ip, tc.MailFrom, tc.Helo, Options{DefaultExplanation: "DEFAULT", Trace: true})
}

func TestRFC7208Suite(t *testing.T) {
	s := loadSuite(t, "rfc7208-tests.json")
	if n := s.Count(); n != 203 {
		t.Fatalf("the RFC 7208 suite has %d tests; want 203", n)
	}
	passed := 0
	for _, sc := range s.Scenarios {
		for _, tc := range sc.Tests {
			t.Run(tc.Name, func(t *testing.T) {
				res := runSuiteTest(sc, tc)
				ok := true
				if !slices.Contains(tc.Results, string(res.Result)) {
					t.Errorf("%s: result %s, want %v (%s)", sc.Description, res.Result, tc.Results, res.Error)
					ok = false
				} else if string(res.Result) != tc.Results[0] {
					t.Logf("result %s is acceptable; the suite prefers %s", res.Result, tc.Results[0])
				}
				if tc.Explanation != nil && res.Explanation != *tc.Explanation {
					t.Errorf("%s: explanation %q, want %q", sc.Description, res.Explanation, *tc.Explanation)
					ok = false
				}
				if !ok {
					for _, st := range res.Trace {
						t.Log(st)
					}
				} else {
					passed++
				}
			})
		}
	}
	t.Logf("RFC 7208 suite: %d of %d passed", passed, s.Count())
}
