package dmarc

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func kinds(r *Record) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, string(p.Kind)+":"+p.Tag)
	}
	return out
}

func TestIsDMARCVersion(t *testing.T) {
	for txt, want := range map[string]bool{
		"v=DMARC1":              true,
		"v=DMARC1;":             true,
		"V=DMARC1; p=none":      true,
		"v = DMARC1 ; p=none":   true,
		"v=DMARC1\t;p=none":     true,
		"v=dmarc1; p=none":      false,
		"v=DMARC1x; p=none":     false,
		"v=DMARC10":             false,
		" v=DMARC1; p=none":     false,
		"p=none; v=DMARC1":      false,
		"v=spf1 -all":           false,
		"":                      false,
		"v":                     false,
		"v=":                    false,
		"DMARC1":                false,
		"v=DMARC1 p=reject":     false,
		"v=DMARC2; p=reject":    false,
		"v=DMARC1;p=reject;":    true,
		"v\t=\tDMARC1\t;p=none": true,
	} {
		if got := IsDMARCVersion(txt); got != want {
			t.Errorf("IsDMARCVersion(%q) = %v, want %v", txt, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		txt      string
		check    func(*Record) string
		problems []string
	}{
		{txt: "v=DMARC1; p=reject", check: func(r *Record) string {
			if r.P != PolicyReject || r.ADKIM != "r" || r.ASPF != "r" || r.PSD != "u" || r.Testing || r.PCT != nil {
				return "defaults"
			}
			return ""
		}},
		{txt: "v=DMARC1; p=Reject; SP=QUARANTINE; np=none; adkim=S; aspf=s; t=y; psd=n; fo=1:d", check: func(r *Record) string {
			if r.P != PolicyReject || r.SP != PolicyQuarantine || r.NP != PolicyNone || r.ADKIM != "s" || r.ASPF != "s" || !r.Testing || r.PSD != "n" || !reflect.DeepEqual(r.FO, []string{"1", "d"}) {
				return "values"
			}
			return ""
		}},
		{txt: "v=DMARC1; p=reject; pct=50; rf=afrf; ri=3600", problems: []string{"removed:pct", "removed:rf", "removed:ri"}, check: func(r *Record) string {
			if r.PCT == nil || *r.PCT != 50 || r.RI == nil || *r.RI != 3600 {
				return "legacy values"
			}
			return ""
		}},
		{txt: "v=DMARC1; p=reject; pct=101", problems: []string{"removed:pct", "syntax:pct"}},
		{txt: "v=DMARC1; p=reject; pct=invalid", problems: []string{"removed:pct", "syntax:pct"}},
		{txt: "v=DMARC1; p=reject; p=none", problems: []string{"duplicate:p"}, check: func(r *Record) string {
			if r.P != PolicyReject {
				return "first occurrence wins"
			}
			return ""
		}},
		{txt: "v=DMARC1; p=reject; foo=bar", problems: []string{"unknown:foo"}},
		{txt: "v=DMARC1; p=block", problems: []string{"syntax:p", "no-policy:p"}},
		{txt: "v=DMARC1; rua=mailto:d@example.com", problems: []string{"no-policy:p"}, check: func(r *Record) string {
			if p, ok := r.EffectiveP(); !ok || p != PolicyNone {
				return "no p with rua is p=none"
			}
			return ""
		}},
		{txt: "v=DMARC1; adkim=s", problems: []string{"no-policy:p"}, check: func(r *Record) string {
			if _, ok := r.EffectiveP(); ok {
				return "no p and no rua: no processing"
			}
			return ""
		}},
		{txt: "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com", problems: []string{"syntax:sp", "no-policy:p"}, check: func(r *Record) string {
			if p, ok := r.EffectiveP(); !ok || p != PolicyNone {
				return "invalid sp with rua falls back to p=none"
			}
			return ""
		}},
		{txt: "v=DMARC1; p=reject;; adkim=s", problems: []string{"whitespace:"}},
		{txt: "v=DMARC1; p=reject; adkim", problems: []string{"syntax:"}},
		{txt: "v=DMARC1; p=reject; adkim=x; aspf=1; t=maybe; psd=q; fo=2", problems: []string{"syntax:adkim", "syntax:aspf", "syntax:t", "syntax:psd", "syntax:fo"}},
		{txt: "v=DMARC1; p=reject; v=DMARC1", problems: []string{"duplicate:v"}},
		{txt: "v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.net!10m", problems: []string{"removed:rua"}, check: func(r *Record) string {
			if len(r.RUA) != 2 || r.RUA[1].MaxSize != 10<<20 || r.RUA[1].Domain != "example.net" {
				return "rua"
			}
			return ""
		}},
		{txt: "v=DMARC1; adkim=s; p=reject", problems: []string{"order:p"}},
		{txt: "v=DMARC1; p=reject; rua=dmarc@example.com", problems: []string{"syntax:rua"}},
		{txt: "v=DMARC1; p=reject; rua=mailto:a@example.com,", problems: []string{"syntax:rua"}},
		{txt: "v=DMARC1; p=reject; rua=mailto:a@example.com!10x", problems: []string{"syntax:rua"}},
		{txt: "v=DMARC1; p=reject\r\n; adkim=s", problems: []string{"whitespace:"}},
		{txt: "v=DMARC1 ;  p = reject  ; pct = 100 ", problems: []string{"removed:pct"}},
	}
	for _, tt := range tests {
		r, err := Parse(tt.txt)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.txt, err)
			continue
		}
		if got := kinds(r); !reflect.DeepEqual(got, tt.problems) {
			t.Errorf("Parse(%q) problems = %v, want %v (%+v)", tt.txt, got, tt.problems, r.Problems)
		}
		if tt.check != nil {
			if msg := tt.check(r); msg != "" {
				t.Errorf("Parse(%q): %s: %+v", tt.txt, msg, r)
			}
		}
	}
}

func TestParseNotDMARC(t *testing.T) {
	for _, txt := range []string{"v=spf1 -all", "v=dmarc1; p=none", "", " v=DMARC1"} {
		if _, err := Parse(txt); !errors.Is(err, ErrNotDMARC) {
			t.Errorf("Parse(%q) err = %v, want ErrNotDMARC", txt, err)
		}
	}
}

func TestWalkTargets(t *testing.T) {
	for in, want := range map[string][]string{
		"example.com":         {"example.com", "com"},
		"com":                 {"com"},
		"a.mail.example.com":  {"a.mail.example.com", "mail.example.com", "example.com", "com"},
		"a.b.c.d.e.f.g.h.com": {"a.b.c.d.e.f.g.h.com", "c.d.e.f.g.h.com", "d.e.f.g.h.com", "e.f.g.h.com", "f.g.h.com", "g.h.com", "h.com", "com"},
		"b.c.d.e.f.g.h.com":   {"b.c.d.e.f.g.h.com", "c.d.e.f.g.h.com", "d.e.f.g.h.com", "e.f.g.h.com", "f.g.h.com", "g.h.com", "h.com", "com"},
	} {
		got := walkTargets(in)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("walkTargets(%q) = %q, want %q", in, got, want)
		}
		if len(got) > MaxTreeWalkQueries {
			t.Errorf("walkTargets(%q): %d queries", in, len(got))
		}
	}
	long := strings.Repeat("x.", 40) + "example.com"
	if n := len(walkTargets(long)); n != MaxTreeWalkQueries {
		t.Errorf("walk of a 42-label name makes %d queries, want %d", n, MaxTreeWalkQueries)
	}
}

func TestSuggest(t *testing.T) {
	r, _ := Parse("v=DMARC1; p=none; pct=50; rua=mailto:a@example.com; foo=bar; adkim=s")
	if got, want := Suggest(r, "p=quarantine"), "v=DMARC1; p=quarantine; adkim=s; rua=mailto:a@example.com"; got != want {
		t.Errorf("Suggest = %q, want %q", got, want)
	}
	if got, want := Suggest(nil, "rua=mailto:x@example.com"), "v=DMARC1; p=none; rua=mailto:x@example.com"; got != want {
		t.Errorf("Suggest(nil) = %q, want %q", got, want)
	}
}

func TestBuild(t *testing.T) {
	res, err := Build(BuildOptions{Domain: "example.com", Policy: "reject", SubdomainPolicy: "quarantine", NP: "reject", RUA: []string{"mailto:dmarc@example.com", "reports@vendor.example.net"}, ADKIM: "s", FO: "1", RUF: []string{"mailto:f@example.com"}, Testing: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "v=DMARC1; p=reject; sp=quarantine; np=reject; t=y; adkim=s; rua=mailto:dmarc@example.com,mailto:reports@vendor.example.net; ruf=mailto:f@example.com; fo=1"
	if res.Record != want {
		t.Errorf("record = %q, want %q", res.Record, want)
	}
	if res.ZoneLine != `_dmarc.example.com. 3600 IN TXT "`+want+`"` {
		t.Errorf("zone line = %s", res.ZoneLine)
	}
	if len(res.Authorizations) != 1 || res.Authorizations[0].Name != "example.com._report._dmarc.vendor.example.net" {
		t.Errorf("authorizations = %+v", res.Authorizations)
	}
	for _, bad := range []BuildOptions{
		{Policy: "block"},
		{Policy: "none", SubdomainPolicy: "x"},
		{Policy: "none", RUA: []string{"https://example.com/r"}},
		{Policy: "none", RUA: []string{"mailto:"}},
		{Policy: "none", ADKIM: "x"},
		{Policy: "none", FO: "2"},
		{Policy: "none", Domain: "a..b"},
	} {
		if _, err := Build(bad); err == nil {
			t.Errorf("Build(%+v) succeeded", bad)
		} else {
			var be *BuildError
			if !errors.As(err, &be) {
				t.Errorf("Build(%+v) error %v is not a *BuildError", bad, err)
			}
		}
	}
	long, err := Build(BuildOptions{Policy: "none", RUA: []string{"mailto:" + strings.Repeat("a", 60) + "@example.com", "mailto:" + strings.Repeat("b", 60) + "@example.com", "mailto:" + strings.Repeat("c", 60) + "@example.com", "mailto:" + strings.Repeat("d", 60) + "@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(long.ZoneLine, `" "`) {
		t.Errorf("a record over 255 octets is not split: %s", long.ZoneLine)
	}
	if len(long.Authorizations) != 1 || !long.Authorizations[0].Maybe {
		t.Errorf("without a domain, authorization should be a maybe: %+v", long.Authorizations)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=reject", "v=DMARC1; p=none; rua=mailto:a@example.com!10m,mailto:b@example.net; ruf=mailto:c@example.org; fo=1:d:s",
		"v=DMARC1; p=quarantine; sp=reject; np=reject; psd=y; t=y; adkim=s; aspf=r; pct=50; rf=afrf; ri=86400",
		"v = DMARC1 ;; p = reject ; x=1; p=none", "v=DMARC1;rua=mailto:%20@x", "v=DMARC1; rua=mailto:a@b.c!99999999999999999999t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrNotDMARC) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return
		}
		if r.ADKIM != "r" && r.ADKIM != "s" {
			t.Fatalf("adkim %q", r.ADKIM)
		}
		if r.PCT != nil && (*r.PCT < 0 || *r.PCT > 100) {
			t.Fatalf("pct %d", *r.PCT)
		}
		_ = Suggest(r)
		if s2 := Suggest(r); !IsDMARCVersion(s2) {
			t.Fatalf("Suggest gives a non-DMARC record %q", s2)
		}
	})
}
