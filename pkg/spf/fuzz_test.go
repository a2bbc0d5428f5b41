package spf

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// Seeds beyond the committed corpus (testdata/fuzz), which holds every
// record of the OpenSPF suites.
var fuzzSeeds = []string{
	"v=spf1 -all",
	"v=spf1 a mx ptr ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.net exists:%{ir}.%{v}._spf.%{d2} redirect=x.example.com exp=e.example.com ~all",
	"v=spf1 a:%{H}.bar a/24//64 mx:foo:bar/baz.example.com//0 -all",
	"v=spf1 exists:%{l2r+-}.user.%{d2} foo=%{c}%%%_%- ?all",
	"v=spf1 ip4:1.2.3.4/032 ip6:::1.1.1.1//33",
}

// FuzzParse checks that Parse never panics, that every error is a
// *SyntaxError pointing inside the record, that an accepted record parses the
// same way twice, and that the lenient parse used by analysis agrees.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		lr, lerrs := parseLenient(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %v is not a *SyntaxError", s, err)
			}
			if se.Pos < 1 || se.Pos > len(s)+1 {
				t.Fatalf("%q: position %d outside the record", s, se.Pos)
			}
			if IsSPF(s) && len(lerrs) == 0 {
				t.Fatalf("%q: Parse fails (%v) but the lenient parse finds nothing", s, err)
			}
			return
		}
		if len(lerrs) != 0 || lr == nil || len(lr.Terms) != len(r.Terms) {
			t.Fatalf("%q: lenient parse disagrees: %v", s, lerrs)
		}
		r2, err := Parse(r.Raw)
		if err != nil || len(r2.Terms) != len(r.Terms) {
			t.Fatalf("%q: second parse: %v", s, err)
		}
		for i, tm := range r.Terms {
			if !strings.Contains(s, tm.Raw) || tm.Pos < 1 || s[tm.Pos-1:tm.Pos-1+len(tm.Raw)] != tm.Raw {
				t.Fatalf("%q: term %d %q at %d does not point into the record", s, i, tm.Raw, tm.Pos)
			}
			if c := tm.LookupCost(); c < 0 || c > 1 {
				t.Fatalf("%q: cost %d", s, c)
			}
		}
	})
}

// FuzzExpandMacros checks that the macro expander never panics, that a
// string it accepts in a domain it also accepts in an explanation, and that
// a string without macros expands to itself (modulo the %% %_ %- escapes).
func FuzzExpandMacros(f *testing.F) {
	for _, s := range []string{"%{s}", "%{ir}.%{v}._spf.%{d2}", "%{l2r+-}.user.%{d2}", "%{L}%{S}%{H}", "%%%_%-", "%{d1000r}", "%{i0}", "%{p}.x", "%(ir)", "foo%", "%{c} %{r} %{t}", "%{o9999999999999999999}"} {
		f.Add(s, "strong-bad@email.example.com", "192.0.2.3")
	}
	f.Add("%{ir}", "@example.net", "2001:db8::cb01")
	f.Fuzz(func(t *testing.T, s, sender, ipS string) {
		ip, err := netip.ParseAddr(ipS)
		if err != nil {
			ip = netip.MustParseAddr("192.0.2.3")
		}
		out, derr := ExpandMacros(s, false, ip, sender, "mx.example.org", "example.com", "mx.example.org", 1700000000)
		_, eerr := ExpandMacros(s, true, ip, sender, "mx.example.org", "example.com", "mx.example.org", 1700000000)
		// An explanation may also be refused for its size (maxExpansion).
		if derr == nil && eerr != nil && !strings.Contains(s, " ") && !strings.Contains(eerr.Error(), "expands to more than") {
			t.Fatalf("%q: accepted in a domain, refused in an explanation: %v", s, eerr)
		}
		if derr == nil && !strings.Contains(s, "%") && out != s {
			t.Fatalf("%q: literal expanded to %q", s, out)
		}
		if derr == nil && utf8.ValidString(s) && utf8.ValidString(sender) && !utf8.ValidString(out) {
			t.Fatalf("%q: output not valid UTF-8", s)
		}
	})
}

// FuzzCheckHost evaluates arbitrary records published in a fake zone; it
// must never panic and must respect the limits.
func FuzzCheckHost(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		fake := dnstest.NewFake(`example.com. 300 IN MX 10 mx.example.com.
mx.example.com. 300 IN A 192.0.2.1
_spf.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 include:example.com -all"`)
		fake.AddTXT("example.com", SplitStrings(rec)...)
		res := CheckHost(context.Background(), fake, netip.MustParseAddr("192.0.2.9"), "example.com", "a@example.com", "h.example.com", Options{Trace: true})
		if res.Lookups > MaxLookups+1 || res.VoidLookups > MaxVoidLookups+1 {
			t.Fatalf("%q: %d lookups, %d void", rec, res.Lookups, res.VoidLookups)
		}
		if _, err := Analyze(context.Background(), fake, "example.com", AnalyzeOptions{}); err != nil {
			t.Fatalf("%q: analyze: %v", rec, err)
		}
	})
}
