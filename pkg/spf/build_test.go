package spf

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func TestCompose(t *testing.T) {
	rec, err := Compose(BuildOptions{IP4: []string{"192.0.2.0/24"}, IP6: []string{"2001:db8::/32"}, A: []string{"@", "mail.example.com/28"}, MX: []string{"@"}, Includes: []string{"_spf.example.net"}, All: "softfail"})
	if err != nil {
		t.Fatal(err)
	}
	want := "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a a:mail.example.com/28 mx include:_spf.example.net ~all"
	if rec != want {
		t.Errorf("got %q\nwant %q", rec, want)
	}
	for _, bad := range []BuildOptions{
		{IP4: []string{"192.0.2.300"}},
		{IP4: []string{"2001:db8::1"}},
		{IP6: []string{"192.0.2.1"}},
		{Includes: []string{"nodot"}},
		{All: "pass"},
		{All: "maybe"},
		{Redirect: "_spf.example.com", All: "fail"},
		{Exists: []string{""}},
	} {
		if _, err := Compose(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		} else {
			var be *BuildError
			if !errors.As(err, &be) {
				t.Errorf("%+v: error %v is not a *BuildError", bad, err)
			}
		}
	}
	if rec, err := Compose(BuildOptions{All: "pass", AllowPassAll: true}); err != nil || rec != "v=spf1 +all" {
		t.Errorf("allow pass: %q %v", rec, err)
	}
	if rec, err := Compose(BuildOptions{Redirect: "_spf.example.com"}); err != nil || rec != "v=spf1 redirect=_spf.example.com" {
		t.Errorf("redirect: %q %v", rec, err)
	}
}

func TestBuildCostAndLimit(t *testing.T) {
	f := dnstest.NewFake(`a.example.net. 300 IN TXT "v=spf1 include:b.example.net include:c.example.net -all"
b.example.net. 300 IN TXT "v=spf1 a:x.example.net a:x.example.net a:x.example.net -all"
c.example.net. 300 IN TXT "v=spf1 a:x.example.net a:x.example.net a:x.example.net -all"
d.example.net. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"
x.example.net. 300 IN A 192.0.2.1`)
	res, err := Build(context.Background(), f, "example.com", BuildOptions{Includes: []string{"d.example.net"}, MX: []string{"@"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lookups != 2 || !strings.HasPrefix(res.ZoneLine, "example.com.\t3600\tIN\tTXT\t\"v=spf1 mx include:d.example.net -all\"") {
		t.Errorf("got %d lookups, zone line %q", res.Lookups, res.ZoneLine)
	}
	_, err = Build(context.Background(), f, "example.com", BuildOptions{Includes: []string{"a.example.net", "d.example.net"}, A: []string{"@"}})
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("want a *LimitError, got %v", err)
	}
	if le.Lookups != 11 || le.Costs[0].Term != "include:a.example.net" || le.Costs[0].Lookups != 9 {
		t.Errorf("limit error: %+v", le)
	}
	if !strings.Contains(le.Error(), "11 DNS lookups") || !strings.Contains(le.Error(), "include:a.example.net costs 9") {
		t.Errorf("message: %v", le)
	}
}

func TestSplitStrings(t *testing.T) {
	rec := "v=spf1 " + strings.Repeat("ip4:192.0.2.123 ", 30) + "-all"
	parts := SplitStrings(rec)
	if strings.Join(parts, "") != rec {
		t.Fatal("split changed the record")
	}
	for _, p := range parts {
		if len(p) > 255 {
			t.Errorf("part of %d octets", len(p))
		}
	}
	if len(parts) != 2 || !strings.HasSuffix(parts[0], " ") {
		t.Errorf("parts: %q", parts)
	}
	if got := ZoneStrings(`a"b\c`); got != `"a\"b\\c"` {
		t.Errorf("ZoneStrings = %s", got)
	}
}

func TestMergeNetworks(t *testing.T) {
	var in []netip.Prefix
	for _, s := range []string{"192.0.2.0/25", "192.0.2.128/25", "192.0.2.7/32", "198.51.100.0/24", "198.51.100.0/24", "2001:db8::/33", "2001:db8:8000::/33", "10.0.0.1/32", "10.0.0.0/32"} {
		in = append(in, netip.MustParsePrefix(s))
	}
	var got []string
	for _, p := range MergeNetworks(in) {
		got = append(got, p.String())
	}
	want := "10.0.0.0/31 192.0.2.0/24 198.51.100.0/24 2001:db8::/32"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func flattenZone() *dnstest.Fake {
	var b strings.Builder
	b.WriteString(`example.com. 300 IN TXT "v=spf1 mx include:_spf.big.example.net include:small.example.org -all"
example.com. 300 IN MX 10 mail.example.com.
mail.example.com. 300 IN A 192.0.2.25
small.example.org. 600 IN TXT "v=spf1 ip4:198.51.100.0/25 ip4:198.51.100.128/25 -all"
_spf.big.example.net. 120 IN TXT "v=spf1 include:_n1.big.example.net include:_n2.big.example.net ~all"
`)
	n1 := "v=spf1"
	n2 := "v=spf1"
	for i := 0; i < 25; i++ {
		n1 += " ip4:203.0.113." + itoa(i*8) + "/29"
		n2 += " ip6:2001:db8:" + itoa(i*2+1) + "::/48"
	}
	b.WriteString(`_n1.big.example.net. 300 IN TXT "` + n1 + ` ~all"` + "\n")
	b.WriteString(`_n2.big.example.net. 300 IN TXT "` + n2 + ` ~all"` + "\n")
	return dnstest.NewFake(b.String())
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestFlatten(t *testing.T) {
	f := flattenZone()
	res, err := Flatten(context.Background(), f, "example.com", FlattenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sources) != 2 || res.MinTTL != 120 {
		t.Errorf("sources %d, min TTL %d", len(res.Sources), res.MinTTL)
	}
	if len(res.Records) < 2 {
		t.Fatalf("want chained records, got %d", len(res.Records))
	}
	for _, r := range res.Records {
		if len(r.Record) > 450 {
			t.Errorf("%s: %d octets", r.Name, len(r.Record))
		}
	}
	if !strings.Contains(res.Records[0].Record, "ip4:198.51.100.0/24") {
		t.Errorf("adjacent /25s not merged: %s", res.Records[0].Record)
	}
	if !strings.Contains(res.Records[0].Record, "include:_spf1.example.com") || !strings.HasPrefix(res.Records[0].Record, "v=spf1 mx ") {
		t.Errorf("main record: %s", res.Records[0].Record)
	}
	if res.OriginalLookups != 5 || res.Lookups != 1+len(res.Records)-1 {
		t.Errorf("lookups %d -> %d (%d records)", res.OriginalLookups, res.Lookups, len(res.Records))
	}
	// The flattened records authorize the same hosts.
	over := &overlay{Resolver: f, txt: map[string]string{}}
	for _, r := range res.Records {
		over.txt[r.Name] = r.Record
	}
	for ip, want := range map[string]Code{"203.0.113.17": Pass, "2001:db8:31::1": Pass, "198.51.100.200": Pass, "192.0.2.25": Pass, "192.0.2.26": Fail} {
		before := CheckHost(context.Background(), f, netip.MustParseAddr(ip), "example.com", "a@example.com", "h.example.com", Options{})
		after := CheckHost(context.Background(), over, netip.MustParseAddr(ip), "example.com", "a@example.com", "h.example.com", Options{})
		if before.Result != want || after.Result != want {
			t.Errorf("%s: before %s, after %s, want %s", ip, before.Result, after.Result, want)
		}
	}
	// Only one include.
	one, err := Flatten(context.Background(), f, "example.com", FlattenOptions{Flatten: []string{"small.example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Records) != 1 || one.Records[0].Record != "v=spf1 mx include:_spf.big.example.net ip4:198.51.100.0/24 -all" {
		t.Errorf("got %+v", one.Records)
	}
	if _, err := Flatten(context.Background(), f, "example.com", FlattenOptions{Flatten: []string{"nope.example"}}); err == nil {
		t.Error("flattening an include that is not there: no error")
	}
}

func TestFlattenCheck(t *testing.T) {
	f := flattenZone()
	res, err := Flatten(context.Background(), f, "example.com", FlattenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := FormatFlattenFile(res, 0)
	ff, err := ParseFlattenFile(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	// Publish the flattened set, then check: nothing changed.
	pub := &overlay{Resolver: f, txt: map[string]string{}}
	for _, r := range res.Records {
		pub.txt[r.Name] = r.Record
	}
	fc, err := CheckFlattened(context.Background(), pub, ff)
	if err != nil {
		t.Fatal(err)
	}
	if fc.Changed {
		t.Errorf("unchanged set reported as changed: %+v", fc)
	}
	// The provider adds a network.
	f2 := dnstest.NewFake(`small.example.org. 600 IN TXT "v=spf1 ip4:198.51.100.0/25 ip4:198.51.100.128/25 ip4:192.0.2.99 -all"`)
	mixed := &overlay{Resolver: fallback{f2, pub}, txt: pub.txt}
	fc, err = CheckFlattened(context.Background(), mixed, ff)
	if err != nil {
		t.Fatal(err)
	}
	if !fc.Changed {
		t.Fatal("a provider change was not detected")
	}
	found := false
	for _, s := range fc.Sources {
		if s.Include == "include:small.example.org" && len(s.Added) == 1 && s.Added[0] == "192.0.2.99/32" {
			found = true
		}
	}
	if !found {
		t.Errorf("sources: %+v", fc.Sources)
	}
	if _, err := ParseFlattenFile("example.com. 300 IN TXT \"v=spf1 -all\"\n"); err == nil {
		t.Error("a file without the header: no error")
	}
}

// fallback asks a first, then b for names a does not have.
type fallback struct{ a, b dns.Resolver }

func (f fallback) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	ans, err := f.a.Query(ctx, name, qtype)
	if err == nil && ans.NXDomain() {
		return f.b.Query(ctx, name, qtype)
	}
	return ans, err
}

// TestFlattenProtect: a protected include (a platform's) is kept as it is,
// and naming it in Flatten is refused.
func TestFlattenProtect(t *testing.T) {
	f := flattenZone()
	res, err := Flatten(context.Background(), f, "example.com", FlattenOptions{Protect: []string{"_spf.big.example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sources) != 1 || !strings.Contains(res.Records[0].Record, "include:_spf.big.example.net") || !strings.Contains(res.Records[0].Record, "ip4:198.51.100.0/24") {
		t.Errorf("sources %d, record %s", len(res.Sources), res.Records[0].Record)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "protected") }) {
		t.Errorf("warnings %v", res.Warnings)
	}
	if _, err := Flatten(context.Background(), f, "example.com", FlattenOptions{Flatten: []string{"include:_spf.big.example.net"}, Protect: []string{"include:_spf.big.example.net"}}); err == nil || !strings.Contains(err.Error(), "protected") {
		t.Errorf("flattening a protected include: %v", err)
	}
}
