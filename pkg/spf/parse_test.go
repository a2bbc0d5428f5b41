package spf

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseTerms(t *testing.T) {
	r, err := Parse("v=spf1 +a -mx:mail.example.com/24//64 ~ptr ?include:_spf.example.net ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.x.example.com redirect=_r.example.com exp=why.example.com x-foo=%{c}bar all")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		q     Qualifier
		mech  string
		mod   string
		value string
		c4    int
		c6    int
		cost  int
	}{
		{QPass, "a", "", "", -1, -1, 1},
		{QFail, "mx", "", "mail.example.com", 24, 64, 1},
		{QSoftFail, "ptr", "", "", -1, -1, 1},
		{QNeutral, "include", "", "_spf.example.net", -1, -1, 1},
		{QPass, "ip4", "", "192.0.2.0/24", -1, -1, 0},
		{QPass, "ip6", "", "2001:db8::/32", -1, -1, 0},
		{QPass, "exists", "", "%{ir}.x.example.com", -1, -1, 1},
		{0, "", "redirect", "_r.example.com", -1, -1, 1},
		{0, "", "exp", "why.example.com", -1, -1, 0},
		{0, "", "x-foo", "%{c}bar", -1, -1, 0},
		{QPass, "all", "", "", -1, -1, 0},
	}
	if len(r.Terms) != len(want) {
		t.Fatalf("%d terms", len(r.Terms))
	}
	for i, w := range want {
		g := r.Terms[i]
		if g.Qualifier != w.q || g.Mechanism != w.mech || g.Modifier != w.mod || g.Value != w.value || g.CIDR4 != w.c4 || g.CIDR6 != w.c6 || g.LookupCost() != w.cost {
			t.Errorf("term %d %q: %+v", i, g.Raw, g)
		}
	}
	if r.Redirect == nil || r.Exp == nil || r.All() == nil || !r.Terms[6].HasMacros() {
		t.Error("redirect, exp, all or macros not recognized")
	}
	if r.Terms[4].Prefix != netip.MustParsePrefix("192.0.2.0/24") {
		t.Errorf("prefix %v", r.Terms[4].Prefix)
	}
}

// Syntax errors name the term and the position of the offending character.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		rec    string
		term   string
		pos    int
		reason string
	}{
		{"v=spf1 ip4:192.0.2.300 -all", "ip4:192.0.2.300", 12, "not an IPv4 address"},
		{"v=spf1 a/33", "a/33", 9, "out of range"},
		{"v=spf1 ip4:192.0.2.0/032", "ip4:192.0.2.0/032", 21, "leading zero"},
		{"v=spf1 mx foo", "foo", 11, "unknown mechanism"},
		{"v=spf1 exists:%{z}.example.com", "exists:%{z}.example.com", 17, "not a macro letter"},
		{"v=spf1 a:%{c}.example.com", "a:%{c}.example.com", 12, "only in explanation"},
		{"v=spf1 a:foo%.example.com", "a:foo%.example.com", 13, "not a macro"},
		{"v=spf1 include:example", "include:example", 16, "not a fully qualified"},
		{"v=spf1 redirect=a.example.com redirect=b.example.com", "redirect=b.example.com", 31, "second redirect"},
		{"v=spf1 -redirect=a.example.com", "-redirect=a.example.com", 8, "cannot have a qualifier"},
		{"v=spf1 all:x", "all:x", 11, "takes no argument"},
		{"v=spf1 a:b.example.com\tmx", "a:b.example.com\tmx", 23, "TAB"},
		{"v=spf1 \x96all", "\x96all", 8, "not 7-bit ASCII"},
		{"v=spf1 %{l0}", "", 0, ""},
	} {
		_, err := Parse(tc.rec)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v is not a *SyntaxError", tc.rec, err)
			continue
		}
		if tc.term == "" {
			continue
		}
		if se.Term != tc.term || se.Pos != tc.pos || !strings.Contains(se.Reason, tc.reason) {
			t.Errorf("%q: got term %q pos %d reason %q; want %q %d ~%q", tc.rec, se.Term, se.Pos, se.Reason, tc.term, tc.pos, tc.reason)
		}
		if !strings.HasPrefix(err.Error(), "spf: syntax error") {
			t.Errorf("%q: message %q", tc.rec, err)
		}
	}
	for _, ok := range []string{"v=spf1", "v=spf1 ", "V=SPF1 -ALL", "v=spf1 a:foo:bar/baz.example.com", "v=spf1 a:foo.example.xn--zckzah", "v=spf1 moo.cow-far_out=man:dog/cat", "v=spf1 exists:%{l2r+-}.user.%{d2}"} {
		if _, err := Parse(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// The examples of RFC 7208 §7.4.
func TestMacroExamples(t *testing.T) {
	ip4 := netip.MustParseAddr("192.0.2.3")
	ip6 := netip.MustParseAddr("2001:db8::cb01")
	sender := "strong-bad@email.example.com"
	for _, tc := range []struct {
		in, want string
		ip       netip.Addr
	}{
		{"%{s}", "strong-bad@email.example.com", ip4},
		{"%{o}", "email.example.com", ip4},
		{"%{d}", "email.example.com", ip4},
		{"%{d4}", "email.example.com", ip4},
		{"%{d3}", "email.example.com", ip4},
		{"%{d2}", "example.com", ip4},
		{"%{d1}", "com", ip4},
		{"%{dr}", "com.example.email", ip4},
		{"%{d2r}", "example.email", ip4},
		{"%{l}", "strong-bad", ip4},
		{"%{l-}", "strong.bad", ip4},
		{"%{lr}", "strong-bad", ip4},
		{"%{lr-}", "bad.strong", ip4},
		{"%{l1r-}", "strong", ip4},
		{"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com", ip4},
		{"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com", ip4},
		{"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", ip4},
		{"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com", ip4},
		{"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net", ip4},
		// The RFC writes the nibbles in lower case; the OpenSPF suite wants
		// upper case, and DNS names are case-insensitive (see dotIP).
		{"%{ir}.%{v}._spf.%{d2}", "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com", ip6},
		{"%%%_%-", "% %20", ip4},
		{"%{L}", "strong-bad", ip4},
		{"%{S}", "strong-bad%40email.example.com", ip4},
		{"%{c}", "2001:db8::cb01", ip6},
		{"%{r} %{t}", "mx.example.org 1700000000", ip4},
	} {
		got, err := ExpandMacros(tc.in, true, tc.ip, sender, "mx.example.org", "email.example.com", "mx.example.org", 1700000000)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := ExpandMacros("%{c}.example.com", false, ip4, sender, "h", "d.example", "r", 0); err == nil {
		t.Error("%{c} in a domain: no error")
	}
}

func TestTruncateName(t *testing.T) {
	long := strings.Repeat("abcdefghij.", 30) + "example.com"
	got := truncateName(long)
	if len(got) > 253 || !strings.HasSuffix(got, ".example.com") || strings.HasPrefix(got, ".") {
		t.Errorf("truncated to %d: %q", len(got), got)
	}
}

func TestMacroExpansionBounded(t *testing.T) {
	s := strings.Repeat("%{s}", 2000)
	sender := strings.Repeat("a", 200) + "@example.com"
	if _, err := ExpandMacros(s, true, netip.MustParseAddr("192.0.2.1"), sender, "h", "example.com", "r", 0); err == nil {
		t.Error("a 400 KB expansion was not refused")
	}
}

func TestDomainExpansionBounded(t *testing.T) {
	s := strings.Repeat("%{s}", 4000) + ".example.com"
	sender := strings.Repeat("a", 4000) + "@example.com"
	if _, err := ExpandMacros(s, false, netip.MustParseAddr("192.0.2.1"), sender, "h", "example.com", "r", 0); err == nil {
		t.Error("a 16 MB domain expansion was not refused")
	}
}
