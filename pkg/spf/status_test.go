package spf

import (
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func TestCodeStatus(t *testing.T) {
	for c, want := range map[Code]finding.Status{
		Pass: finding.StatusPass, TempError: finding.StatusError,
		Fail: finding.StatusFail, SoftFail: finding.StatusFail, Neutral: finding.StatusFail,
		None: finding.StatusFail, PermError: finding.StatusFail,
	} {
		if got := c.Status(); got != want {
			t.Errorf("%s: %s, want %s", c, got, want)
		}
	}
}

// A lookup that fails in an include is "could not find out" (error, exit
// 3), never a failure; a definite error beside it still fails.
func TestAnalysisStatus(t *testing.T) {
	f := dnstest.NewFake(`ok.example. 300 IN TXT "v=spf1 include:sf.example -all"
both.example. 300 IN TXT "v=spf1 include:sf.example +all"
clean.example. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"
warn.example. 300 IN TXT "v=spf1 ip4:192.0.2.1 ?all"
`)
	f.ServFail("sf.example", 0)
	for domain, want := range map[string]finding.Status{
		"ok.example":    finding.StatusError,
		"both.example":  finding.StatusFail,
		"clean.example": finding.StatusPass,
		"warn.example":  finding.StatusWarn,
		"none.example":  finding.StatusFail,
	} {
		a := analyze(t, f, domain)
		if got := a.Status(); got != want {
			t.Errorf("%s: %s, want %s (findings %v)", domain, got, want, a.Findings)
		}
		for _, x := range a.Findings {
			if x.Code == FindDNSError.Code && !x.Transient {
				t.Errorf("%s: %s is not transient", domain, x.Code)
			}
		}
	}
}

func TestFlattenFileHeaderIsOneLineOfASCII(t *testing.T) {
	res := &FlattenResult{Domain: "example.com", Original: "v=spf1 -all\nevil.example.com. IN TXT \"x\" \x1b[2J \u202e", Flattened: []string{"include:a\x07.example"},
		Sources: []FlattenSource{{Include: "include:a\x07.example", Networks: []string{"192.0.2.0/24"}}},
		Records: []FlatRecord{{ZoneLine: ZoneLine("example.com", 3600, "v=spf1 -all")}}}
	out := FormatFlattenFile(res, 0)
	if n := strings.Count(out, "\n"); n != 7 {
		t.Errorf("%d lines, want 7:\n%s", n, out)
	}
	for i := 0; i < len(out); i++ {
		if c := out[i]; c != '\n' && c != '\t' && (c < 0x20 || c > 0x7e) {
			t.Fatalf("byte %#x at %d:\n%q", c, i, out)
		}
	}
	if !strings.Contains(out, `; original (0 lookups): v=spf1 -all\010evil.example.com. IN TXT "x" \027[2J \226\128\174`) {
		t.Errorf("header:\n%s", out)
	}
	ff, err := ParseFlattenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ff.Records) != 1 || ff.Records["example.com"] != "v=spf1 -all" {
		t.Errorf("records read back: %v", ff.Records)
	}
}
