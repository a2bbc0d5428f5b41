package dns

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

const zoneTestMain = "testdata/zones/example.com.zone"

func zoneLoad(t testing.TB, paths ...string) *Zone {
	t.Helper()
	z, err := LoadZoneFiles(paths...)
	if err != nil {
		t.Fatalf("LoadZoneFiles(%v): %v", paths, err)
	}
	return z
}

func zoneText(t testing.TB, text string) *Zone {
	t.Helper()
	z, err := ParseZone(strings.NewReader(text), "test.zone", "")
	if err != nil {
		t.Fatalf("ParseZone: %v", err)
	}
	return z
}

// zoneWant is what a test expects of one answer.
type zoneWant struct {
	rcode   int
	cnames  []string
	records []string // "name TTL data" of each record, in order
	txt     []string // Answer.TXT(), when set
	source  string   // when set
}

func zoneCheck(t *testing.T, a *Answer, want zoneWant) {
	t.Helper()
	if a.RCode != want.rcode {
		t.Errorf("rcode = %s, want %s", RcodeString(a.RCode), RcodeString(want.rcode))
	}
	if !reflect.DeepEqual(a.CNAMEs, want.cnames) {
		t.Errorf("cnames = %q, want %q", a.CNAMEs, want.cnames)
	}
	var got []string
	for _, r := range a.Records {
		got = append(got, r.Name+" "+itoa(r.TTL)+" "+r.Data)
	}
	if !reflect.DeepEqual(got, want.records) {
		t.Errorf("records =\n\t%q\nwant\n\t%q", got, want.records)
	}
	if a.Records == nil {
		t.Errorf("Records is nil, want an empty slice")
	}
	if want.txt != nil && !reflect.DeepEqual(a.TXT(), want.txt) {
		t.Errorf("TXT() = %q, want %q", a.TXT(), want.txt)
	}
	if want.source != "" && a.Source != want.source {
		t.Errorf("source = %q, want %q", a.Source, want.source)
	}
	if a.Authenticated {
		t.Errorf("a zone answer has the AD bit set")
	}
}

func itoa(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestZoneQuery(t *testing.T) {
	z := zoneLoad(t, zoneTestMain)
	const src = "zone:" + zoneTestMain
	dkim, err := os.ReadFile("testdata/zones/sub/dkim.inc")
	if err != nil {
		t.Fatal(err)
	}
	_ = dkim
	tests := []struct {
		name  string
		qtype uint16
		want  zoneWant
	}{
		{"example.com", TypeTXT, zoneWant{
			records: []string{`example.com 600 "v=spf1 " "include:_spf.example.net " "-all"`},
			txt:     []string{"v=spf1 include:_spf.example.net -all"},
			source:  src,
		}},
		{"example.com.", TypeMX, zoneWant{records: []string{
			"example.com 300 10 mail.example.com.",
			"example.com 300 20 mail2.example.com.",
		}}},
		{"mail.example.com", TypeA, zoneWant{records: []string{
			"mail.example.com 300 192.0.2.25", "mail.example.com 300 192.0.2.26",
		}}},
		// Case-insensitive lookup; names stored in lower case.
		{"MAIL.Example.COM", TypeA, zoneWant{records: []string{
			"mail.example.com 300 192.0.2.25", "mail.example.com 300 192.0.2.26",
		}}},
		{"mixedcase.example.com", TypeTXT, zoneWant{records: []string{`mixedcase.example.com 300 "mixed"`}}},
		{"example.com", TypeSOA, zoneWant{records: []string{
			"example.com 300 ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300",
		}}},
		// NODATA: the name exists, not the type.
		{"example.com", TypeAAAA, zoneWant{source: src}},
		{"_dmarc.example.com", TypeA, zoneWant{}},
		// Empty non-terminal: a.b.example.com exists, so b.example.com does.
		{"b.example.com", TypeTXT, zoneWant{}},
		{"a.b.example.com", TypeTXT, zoneWant{records: []string{`a.b.example.com 300 "deep"`}}},
		// NXDOMAIN.
		{"nope.example.com", TypeTXT, zoneWant{rcode: RcodeNXDomain, source: src}},
		{"c.a.b.example.com", TypeTXT, zoneWant{rcode: RcodeNXDomain}},
		// Outside every apex: the zone files are the whole DNS...
		{"example.org", TypeTXT, zoneWant{rcode: RcodeNXDomain, source: "zone"}},
		// ...in which the names above an apex exist (RFC 8020).
		{"com", TypeTXT, zoneWant{source: src}},
		{"other.com", TypeTXT, zoneWant{rcode: RcodeNXDomain}},
		// CNAME chain, in order; a CNAME query returns the CNAME itself.
		{"www.example.com", TypeA, zoneWant{
			cnames:  []string{"web.example.com", "host.example.com"},
			records: []string{"host.example.com 300 192.0.2.80"},
		}},
		{"www.example.com", TypeTXT, zoneWant{cnames: []string{"web.example.com", "host.example.com"}}},
		{"www.example.com", TypeCNAME, zoneWant{records: []string{"www.example.com 300 web.example.com."}}},
		// A CNAME out of the zone: offline, its target does not exist.
		{"out.example.com", TypeTXT, zoneWant{rcode: RcodeNXDomain, cnames: []string{"target.example.net"}}},
		// Wildcards (RFC 4592): they answer for names that do not exist,
		// with the query name as owner...
		{"foo.wild.example.com", TypeTXT, zoneWant{records: []string{`foo.wild.example.com 300 "wildcard"`}}},
		{"a.b.c.wild.example.com", TypeTXT, zoneWant{records: []string{`a.b.c.wild.example.com 300 "wildcard"`}}},
		{"foo.wild.example.com", TypeA, zoneWant{}},
		// ...not for existing names...
		{"exists.wild.example.com", TypeTXT, zoneWant{}},
		{"exists.wild.example.com", TypeA, zoneWant{records: []string{"exists.wild.example.com 300 192.0.2.7"}}},
		// ...nor for empty non-terminals or below them.
		{"ent.wild.example.com", TypeTXT, zoneWant{}},
		{"y.ent.wild.example.com", TypeTXT, zoneWant{rcode: RcodeNXDomain}},
		// The wildcard owner itself.
		{"*.wild.example.com", TypeTXT, zoneWant{records: []string{`*.wild.example.com 300 "wildcard"`}}},
		// A wildcard CNAME.
		{"x.cname.example.com", TypeA, zoneWant{
			cnames: []string{"host.example.com"}, records: []string{"host.example.com 300 192.0.2.80"},
		}},
		{"x.cname.example.com", TypeCNAME, zoneWant{records: []string{"x.cname.example.com 300 host.example.com."}}},
		// Escapes: \" and \DDD decoded in Strings.
		{"esc.example.com", TypeTXT, zoneWant{
			records: []string{`esc.example.com 300 "say \"hi\"" "semi;colon" "ABC" "back\\slash"`},
			txt:     []string{`say "hi"semi;colonABCback\slash`},
		}},
		// $INCLUDE, relative to the including file, nested, with the
		// included file as the source.
		{"old._domainkey.example.com", TypeTXT, zoneWant{
			records: []string{`old._domainkey.example.com 300 "v=DKIM1; p="`},
			source:  "zone:testdata/zones/sub/more.inc",
		}},
		{"after.example.com", TypeTXT, zoneWant{records: []string{`after.example.com 300 "after include"`}, source: src}},
		{"_domainkey.example.com", TypeTXT, zoneWant{}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+TypeString(tt.qtype), func(t *testing.T) {
			a, err := z.Query(context.Background(), tt.name, tt.qtype)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if want := CanonicalName(tt.name); a.Name != want || a.Type != tt.qtype {
				t.Errorf("answer is for %s %s, want %s %s", a.Name, TypeString(a.Type), want, TypeString(tt.qtype))
			}
			zoneCheck(t, a, tt.want)
		})
	}
}

func TestZoneDKIMKeySplitOverParentheses(t *testing.T) {
	z := zoneLoad(t, zoneTestMain)
	a, err := z.Query(context.Background(), "sel2048._domainkey.example.com", TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 1 {
		t.Fatalf("got %d records, want 1", len(a.Records))
	}
	r := a.Records[0]
	if len(r.Strings) != 3 {
		t.Fatalf("got %d character-strings, want 3 (as written)", len(r.Strings))
	}
	if r.TTL != 3600 {
		t.Errorf("TTL = %d, want 3600", r.TTL)
	}
	if a.Source != "zone:testdata/zones/sub/dkim.inc" {
		t.Errorf("source = %q", a.Source)
	}
	txt := a.TXT()[0]
	const prefix = "v=DKIM1; k=rsa; p="
	if !strings.HasPrefix(txt, prefix) {
		t.Fatalf("TXT = %q", txt)
	}
	// A 2048-bit RSA SubjectPublicKeyInfo is 294 octets: 392 base64 characters.
	if key := txt[len(prefix):]; len(key) != 392 || !strings.HasPrefix(key, "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA") {
		t.Errorf("key is %d characters (%.20q...), want a 392-character 2048-bit key", len(key), key)
	}
}

func TestZoneTTL(t *testing.T) {
	z := zoneText(t, `$ORIGIN example.test.
no-ttl-yet	IN TXT "default"
$TTL 60
a		IN TXT "from $TTL"
b	7200	IN TXT "own TTL"
$TTL 1h30m
c		IN TXT "duration units"
`)
	for name, want := range map[string]uint32{"no-ttl-yet": 3600, "a": 60, "b": 7200, "c": 5400} {
		a, err := z.Query(context.Background(), name+".example.test", TypeTXT)
		if err != nil || len(a.Records) != 1 {
			t.Fatalf("%s: %v %+v", name, err, a)
		}
		if got := a.Records[0].TTL; got != want {
			t.Errorf("%s: TTL %d, want %d", name, got, want)
		}
		if a.MinTTL() != want {
			t.Errorf("%s: MinTTL %d, want %d", name, a.MinTTL(), want)
		}
	}
}

func TestZoneSyntax(t *testing.T) {
	// Constructs of the master-file format, each checked by its TXT() value.
	tests := []struct {
		name, text string
		qname      string
		want       []string // TXT() of the answer
		strs       []string // Strings of the first record, when set
	}{
		{"multi-string", `x.example.test. 300 IN TXT "a" "b" "c"`, "x.example.test", []string{"abc"}, []string{"a", "b", "c"}},
		{"unquoted", `x.example.test. 300 IN TXT v=spf1 -all`, "x.example.test", []string{"v=spf1-all"}, []string{"v=spf1", "-all"}},
		{"quoted space", `x.example.test. 300 IN TXT "v=spf1 -all"`, "x.example.test", []string{"v=spf1 -all"}, nil},
		{"escaped quote", `x.example.test. 300 IN TXT "a\"b"`, "x.example.test", []string{`a"b`}, nil},
		{"decimal escape", `x.example.test. 300 IN TXT "\118=spf1\032-all"`, "x.example.test", []string{"v=spf1 -all"}, nil},
		{"escaped backslash", `x.example.test. 300 IN TXT "a\\b"`, "x.example.test", []string{`a\b`}, nil},
		{"semicolon in quotes", `x.example.test. 300 IN TXT "v=DMARC1; p=none" ; a comment`, "x.example.test", []string{"v=DMARC1; p=none"}, nil},
		{"parentheses", "x.example.test. 300 IN TXT ( \"one\" ; c1\n \"two\" ; c2\n )", "x.example.test", []string{"onetwo"}, []string{"one", "two"}},
		{"two records in order", "x.example.test. 300 IN TXT \"first\"\nx.example.test. 300 IN TXT \"second\"", "x.example.test", []string{"first", "second"}, nil},
		{"duplicate kept once", "x.example.test. 300 IN TXT \"same\"\nx.example.test. 300 IN TXT \"same\"", "x.example.test", []string{"same"}, nil},
		{"blank owner repeats", "x.example.test. 300 IN TXT \"first\"\n  300 IN TXT \"second\"", "x.example.test", []string{"first", "second"}, nil},
		{"$ORIGIN and @", "$ORIGIN example.test.\n@ 300 IN TXT \"apex\"", "example.test", []string{"apex"}, nil},
		{"relative $ORIGIN", "$ORIGIN example.test.\n$ORIGIN sub\nx 300 IN TXT \"deep\"", "x.sub.example.test", []string{"deep"}, nil},
		{"class omitted", "x.example.test. 300 TXT \"c\"", "x.example.test", []string{"c"}, nil},
		{"TTL after class", "x.example.test. IN 300 TXT \"c\"", "x.example.test", []string{"c"}, nil},
		{"$GENERATE", "$ORIGIN example.test.\n$GENERATE 1-3 host$ 300 IN TXT \"h$\"", "host2.example.test", []string{"h2"}, nil},
		{"type 99 SPF", `x.example.test. 300 IN SPF "v=spf1 -all"`, "x.example.test", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := zoneText(t, tt.text)
			a, err := z.Query(context.Background(), tt.qname, TypeTXT)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.TXT(), tt.want) {
				t.Errorf("TXT() = %q, want %q", a.TXT(), tt.want)
			}
			if tt.strs != nil && (len(a.Records) == 0 || !reflect.DeepEqual(a.Records[0].Strings, tt.strs)) {
				t.Errorf("records %+v, want strings %q", a.Records, tt.strs)
			}
		})
	}
	t.Run("string over 255 octets split", func(t *testing.T) {
		long := strings.Repeat("k", 300)
		z := zoneText(t, `x.example.test. 300 IN TXT "`+long+`"`)
		a, err := z.Query(context.Background(), "x.example.test", TypeTXT)
		if err != nil || len(a.Records) != 1 {
			t.Fatal(err, a)
		}
		if got := a.Records[0].Strings; len(got) != 2 || len(got[0]) != 255 || a.TXT()[0] != long {
			t.Errorf("strings of %d octets: %d strings", len(long), len(got))
		}
	})
	t.Run("SPF type kept apart from TXT", func(t *testing.T) {
		z := zoneText(t, `x.example.test. 300 IN SPF "v=spf1 " "-all"`)
		a, err := z.Query(context.Background(), "x.example.test", TypeSPF)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.TXT(), []string{"v=spf1 -all"}) {
			t.Errorf("TXT() = %q", a.TXT())
		}
	})
}

func TestZoneCNAMELoops(t *testing.T) {
	// A loop is a misconfiguration: an error that is neither temporary nor
	// an answer (it used to be a temporary SERVFAIL, and callers that
	// looked at the answer saw NODATA).
	z := zoneLoad(t, zoneTestMain)
	for name, chain := range map[string][]string{
		"loop1.example.com": {"loop2.example.com", "loop1.example.com"},
		"self.example.com":  {"self.example.com"},
	} {
		a, err := z.Query(context.Background(), name, TypeTXT)
		var de *Error
		if !errors.As(err, &de) || !errors.Is(err, ErrCNAMELoop) || !IsCNAMEChainError(err) {
			t.Fatalf("%s: err = %v, want an *Error wrapping ErrCNAMELoop", name, err)
		}
		if IsTemporary(err) {
			t.Errorf("%s: a CNAME loop is a misconfiguration, not a temporary error", name)
		}
		if !strings.Contains(err.Error(), "CNAME loop: "+name+" -> "+strings.Join(chain, " -> ")) {
			t.Errorf("%s: error %q does not show the chain", name, err)
		}
		if a == nil || a.RCode != RcodeServFail || a.Void() || !reflect.DeepEqual(a.CNAMEs, chain) {
			t.Errorf("%s: answer %+v, want RCODE SERVFAIL, no records, chain %q", name, a, chain)
		}
	}
	// A chain of 17 aliases is too long; 16 is fine.
	var b strings.Builder
	b.WriteString("$ORIGIN example.test.\n")
	for i := 0; i < 17; i++ {
		b.WriteString("c" + itoa(uint32(i)) + " 300 IN CNAME c" + itoa(uint32(i+1)) + "\n")
	}
	b.WriteString("c17 300 IN A 192.0.2.1\n")
	z = zoneText(t, b.String())
	a, err := z.Query(context.Background(), "c1.example.test", TypeA)
	if err != nil || len(a.CNAMEs) != 16 || len(a.IPs()) != 1 {
		t.Errorf("16 aliases: %v %+v", err, a)
	}
	a, err = z.Query(context.Background(), "c0.example.test", TypeA)
	if !errors.Is(err, ErrCNAMEChainTooLong) || IsTemporary(err) || !strings.Contains(err.Error(), "more than 16 aliases") {
		t.Errorf("17 aliases: err = %v, want ErrCNAMEChainTooLong, not temporary", err)
	}
	if a == nil || a.RCode != RcodeServFail || len(a.CNAMEs) != 17 {
		t.Errorf("17 aliases: answer %+v, want SERVFAIL and the 17 aliases", a)
	}
}

func TestZoneCNAMEAndOtherData(t *testing.T) {
	// named-checkzone refuses "CNAME and other data"; so does loading. The
	// error names the file, the line and the name.
	tests := []struct {
		name, text string
		line       int
		contains   []string
	}{
		{"beside TXT", "$ORIGIN example.test.\n@ 300 IN TXT \"x\"\nalias 300 IN TXT \"ignored\"\n\nalias 300 IN CNAME target\n", 5,
			[]string{"alias.example.test has a CNAME record and TXT records", "keep either the CNAME or the other records"}},
		{"at the apex", "$ORIGIN example.test.\n@ 300 IN SOA ns hm 1 2 3 4 5\n@ 300 IN NS ns\n@ 300 IN TXT \"v=spf1 -all\"\n@ 300 IN CNAME elsewhere.example.\nns 300 IN A 192.0.2.1\n", 5,
			[]string{"example.test has a CNAME record and SOA, NS, TXT records", "a zone apex must hold SOA and NS records"}},
		{"owner left blank", "$ORIGIN example.test.\nalias 300 IN A 192.0.2.1\n      300 IN CNAME target\n", 3,
			[]string{"alias.example.test has a CNAME record and A records"}},
		{"two CNAMEs", "$ORIGIN example.test.\nalias 300 IN CNAME a\nalias 300 IN CNAME b\n", 2,
			[]string{"alias.example.test has a CNAME record and CNAME records"}},
		{"wildcard", "$ORIGIN example.test.\n* 300 IN CNAME a\n* 300 IN MX 10 mx\n", 2,
			[]string{"*.example.test has a CNAME record and MX records"}},
		{"across parentheses", "$ORIGIN example.test.\nx 300 IN TXT ( \"a\"\n \"b\" )\nx 300 IN CNAME y ; here\n", 4,
			[]string{"x.example.test has a CNAME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseZone(strings.NewReader(tt.text), "t.zone", "")
			var ze *ZoneError
			if !errors.As(err, &ze) || !errors.Is(err, ErrZoneCNAMEAndOtherData) {
				t.Fatalf("err = %v, want a *ZoneError wrapping ErrZoneCNAMEAndOtherData", err)
			}
			if ze.File != "t.zone" || ze.Line != tt.line {
				t.Errorf("error at %s:%d, want t.zone:%d (%v)", ze.File, ze.Line, tt.line, err)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
		})
	}
	// DNSSEC records may sit beside a CNAME (RFC 4035 §2.5).
	zoneText(t, "$ORIGIN example.test.\nalias 300 IN CNAME target\nalias 300 IN NSEC z.example.test. CNAME RRSIG NSEC\n")

	// Across two files: the second file's records make the conflict.
	dir := t.TempDir()
	a := filepath.Join(dir, "a.zone")
	b := filepath.Join(dir, "b.zone")
	zoneWrite(t, a, "$ORIGIN example.test.\n@ 300 IN TXT \"a\"\nwww 300 IN CNAME host\n")
	zoneWrite(t, b, "$ORIGIN example.test.\nwww 300 IN TXT \"b\"\n")
	_, err := LoadZoneFiles(a, b)
	var ze *ZoneError
	if !errors.As(err, &ze) || !errors.Is(err, ErrZoneCNAMEAndOtherData) || ze.File != a || ze.Line != 3 || !strings.Contains(err.Error(), "(the other records are in "+b+")") {
		t.Errorf("across files: err = %v", err)
	}

	// In an included file: the file and the line, not the name (the user
	// did not name that file).
	zoneWrite(t, filepath.Join(dir, "inc.inc"), "\nsecret-name 300 IN TXT \"x\"\nsecret-name 300 IN CNAME y\n")
	top := filepath.Join(dir, "top.zone")
	zoneWrite(t, top, "$ORIGIN example.test.\n$INCLUDE inc.inc\n")
	_, err = LoadZoneFiles(top)
	if !errors.As(err, &ze) || !errors.Is(err, ErrZoneCNAMEAndOtherData) || ze.File != filepath.Join(dir, "inc.inc") || ze.Line != 3 {
		t.Errorf("included: err = %v, want inc.inc:3", err)
	} else if strings.Contains(err.Error(), "secret") {
		t.Errorf("included: error %q quotes the included file", err)
	}

	// A zone merged by hand is not checked, but its answers flag the name.
	z1 := zoneText(t, "$ORIGIN example.test.\nalias 300 IN CNAME target\ntarget 300 IN TXT \"t\"\n")
	z1.Merge(zoneText(t, "$ORIGIN example.test.\nalias 300 IN TXT \"other\"\n"))
	ans, err := z1.Query(context.Background(), "alias.example.test", TypeTXT)
	if err != nil || !reflect.DeepEqual(ans.CNAMEAndOtherData, []string{"alias.example.test"}) {
		t.Errorf("merged: %v %+v, want the conflict flagged", err, ans)
	}
}

func zoneWrite(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestZoneWildcardRules(t *testing.T) {
	// RFC 4592 §2.2.1's example zone, the parts that matter.
	z := zoneText(t, `$ORIGIN example.
@                 3600 IN SOA ns.example.com. host.example.com. 1 3600 600 86400 3600
*                 3600 IN TXT "this is a wildcard"
*                 3600 IN MX 10 host1.example.
sub.*             3600 IN TXT "this is not a wildcard"
host1             3600 IN A 192.0.2.1
_ssh._tcp.host1   3600 IN SRV 0 0 22 host1.example.
subdel            3600 IN NS ns.example.com.
`)
	tests := []struct {
		name  string
		qtype uint16
		want  zoneWant
	}{
		// RFC 4592 §2.2.1: these are answered from the wildcard...
		{"host3.example", TypeMX, zoneWant{records: []string{"host3.example 3600 10 host1.example."}}},
		{"host3.example", TypeA, zoneWant{}},
		{"foo.bar.example", TypeTXT, zoneWant{records: []string{`foo.bar.example 3600 "this is a wildcard"`}}},
		// ...these are not.
		{"host1.example", TypeMX, zoneWant{}},
		{"sub.*.example", TypeMX, zoneWant{}},
		{"_telnet._tcp.host1.example", TypeSRV, zoneWant{rcode: RcodeNXDomain}},
		{"_dns._udp.host1.example", TypeSRV, zoneWant{rcode: RcodeNXDomain}},
		// "*" is an ordinary label below the wildcard's own children: the
		// empty non-terminal *.example exists and has its TXT.
		{"*.example", TypeTXT, zoneWant{records: []string{`*.example 3600 "this is a wildcard"`}}},
		// A name below an existing node without a wildcard child.
		{"x._tcp.host1.example", TypeTXT, zoneWant{rcode: RcodeNXDomain}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+TypeString(tt.qtype), func(t *testing.T) {
			a, err := z.Query(context.Background(), tt.name, tt.qtype)
			if err != nil {
				t.Fatal(err)
			}
			zoneCheck(t, a, tt.want)
		})
	}
}

func TestZoneANY(t *testing.T) {
	z := zoneText(t, "x.example.test. 300 IN TXT \"t\"\nx.example.test. 300 IN A 192.0.2.1\n")
	a, err := z.Query(context.Background(), "x.example.test", zoneTypeANY)
	if err != nil || len(a.Records) != 2 {
		t.Fatalf("ANY: %v %+v", err, a)
	}
}

func TestZoneNameValidation(t *testing.T) {
	z := zoneLoad(t, zoneTestMain)
	for _, name := range []string{"", "a..example.com", strings.Repeat("a", 64) + ".example.com"} {
		_, err := z.Query(context.Background(), name, TypeTXT)
		var ne *NameError
		if !errors.As(err, &ne) {
			t.Errorf("Query(%q): err = %v, want a *NameError", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := z.Query(ctx, "example.com", TypeTXT); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestZoneAuthoritative(t *testing.T) {
	tests := []struct {
		name   string
		files  []string
		apexes []string
		yes    []string
		no     []string
	}{
		{"SOA", []string{zoneTestMain}, []string{"example.com"},
			[]string{"example.com", "EXAMPLE.com.", "www.example.com", "nope.example.com", "a.b.c.example.com", "sub.example.com.example.com"},
			// sub.example.com is delegated by an NS record.
			[]string{"com", "example.net", "xexample.com", "sub.example.com", "x.sub.example.com", "."}},
		{"$ORIGIN without SOA", []string{"testdata/zones/origin-only.zone"}, []string{"example.org"},
			[]string{"example.org", "_dmarc.example.org", "nothing.example.org"},
			[]string{"org", "example.com"}},
		{"neither", []string{"testdata/zones/no-apex.zone"}, []string{},
			[]string{"_dmarc.example.net", "sel._domainkey.example.net"},
			[]string{"example.net", "_domainkey.example.net", "other._domainkey.example.net"}},
		{"merged", []string{zoneTestMain, "testdata/zones/origin-only.zone", "testdata/zones/no-apex.zone"}, []string{"example.com", "example.org"},
			[]string{"example.com", "x.example.org", "_dmarc.example.net"},
			[]string{"example.net"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := zoneLoad(t, tt.files...)
			if got := z.Apexes(); !reflect.DeepEqual(got, tt.apexes) {
				t.Errorf("Apexes() = %q, want %q", got, tt.apexes)
			}
			for _, n := range tt.yes {
				if !z.Authoritative(n) {
					t.Errorf("Authoritative(%q) = false", n)
				}
			}
			for _, n := range tt.no {
				if z.Authoritative(n) {
					t.Errorf("Authoritative(%q) = true", n)
				}
			}
		})
	}
	t.Run("origin argument", func(t *testing.T) {
		z, err := ParseZone(strings.NewReader(`_dmarc 300 IN TXT "v=DMARC1; p=none"`), "", "example.test")
		if err != nil {
			t.Fatal(err)
		}
		if !z.Authoritative("x.example.test") || z.Authoritative("test") {
			t.Errorf("apexes %q", z.Apexes())
		}
	})
	t.Run("$INCLUDE with origin", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "keys.inc"), []byte("sel 300 IN TXT \"v=DKIM1; p=\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		top := filepath.Join(dir, "top.zone")
		text := "$ORIGIN example.test.\n@ 300 IN TXT \"v=spf1 -all\"\n$INCLUDE keys.inc _domainkey.other.test.\n$ORIGIN sub\nx 300 IN TXT \"x\"\n"
		if err := os.WriteFile(top, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		z := zoneLoad(t, top)
		if want := []string{"_domainkey.other.test", "example.test", "sub.example.test"}; !reflect.DeepEqual(z.Apexes(), want) {
			t.Errorf("Apexes() = %q, want %q", z.Apexes(), want)
		}
		a, err := z.Query(context.Background(), "sel._domainkey.other.test", TypeTXT)
		if err != nil || len(a.Records) != 1 || a.Source != "zone:"+filepath.Join(dir, "keys.inc") {
			t.Errorf("%v %+v", err, a)
		}
	})
	t.Run("root", func(t *testing.T) {
		z, err := ParseZone(strings.NewReader(`x.example.test. 300 IN TXT "x"`), "", ".")
		if err != nil {
			t.Fatal(err)
		}
		if !z.Authoritative("anything.example") || !reflect.DeepEqual(z.Apexes(), []string{"."}) {
			t.Errorf("apexes %q", z.Apexes())
		}
	})
}

func TestZoneNoApexExistence(t *testing.T) {
	// A file without apex: the ancestors of its names exist (NODATA), other
	// names do not.
	z := zoneLoad(t, "testdata/zones/no-apex.zone")
	for name, rc := range map[string]int{"example.net": RcodeSuccess, "_domainkey.example.net": RcodeSuccess, "x.example.net": RcodeNXDomain} {
		a, err := z.Query(context.Background(), name, TypeTXT)
		if err != nil {
			t.Fatal(err)
		}
		if a.RCode != rc || len(a.Records) != 0 {
			t.Errorf("%s: %s with %d records, want %s", name, RcodeString(a.RCode), len(a.Records), RcodeString(rc))
		}
	}
}

func TestZoneMerge(t *testing.T) {
	z := zoneLoad(t, zoneTestMain, "testdata/zones/example.com-extra.zone")
	a, err := z.Query(context.Background(), "extra.example.com", TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	zoneCheck(t, a, zoneWant{records: []string{`extra.example.com 3600 "from the second file"`}, source: "zone:testdata/zones/example.com-extra.zone"})
	// The same record in both files is kept once.
	a, err = z.Query(context.Background(), "_dmarc.example.com", TypeTXT)
	if err != nil || len(a.Records) != 1 {
		t.Errorf("_dmarc: %v %+v", err, a)
	}
	if got := z.Files(); len(got) != 4 || got[3] != "testdata/zones/example.com-extra.zone" {
		t.Errorf("Files() = %q", got)
	}

	// Merge of zones built from text.
	z1 := zoneText(t, "$ORIGIN a.test.\n@ 300 IN TXT \"a\"")
	z1.Merge(zoneText(t, "$ORIGIN b.test.\n@ 300 IN TXT \"b\""))
	z1.Merge(nil)
	if !reflect.DeepEqual(z1.Apexes(), []string{"a.test", "b.test"}) {
		t.Errorf("Apexes() = %q", z1.Apexes())
	}
	var empty Zone
	empty.Merge(z1)
	a, err = empty.Query(context.Background(), "b.test", TypeTXT)
	if err != nil || !reflect.DeepEqual(a.TXT(), []string{"b"}) {
		t.Errorf("merged into a zero Zone: %v %+v", err, a)
	}
}

func TestZoneErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    []string
		file     string
		line     int
		contains []string
		notExist bool
	}{
		{"syntax error", []string{"testdata/zones/bad-txt.zone"}, "testdata/zones/bad-txt.zone", 6, []string{"zone: testdata/zones/bad-txt.zone:6: bad TXT record data: a quote is not closed"}, false},
		{"error in included file", []string{"testdata/zones/includes-bad.zone"}, "testdata/zones/sub/bad.inc", 3, []string{"zone: testdata/zones/sub/bad.inc:3: bad A record data at column 20"}, false},
		{"missing file", []string{"testdata/zones/nope.zone"}, "testdata/zones/nope.zone", 0, []string{"zone: testdata/zones/nope.zone: no such file or directory"}, true},
		{"missing include", []string{"testdata/zones/missing-include.zone"}, "testdata/zones/missing-include.zone", 4, []string{`cannot $INCLUDE "sub/does-not-exist.inc" (testdata/zones/sub/does-not-exist.inc): no such file or directory`}, true},
		{"include loop", []string{"testdata/zones/loop-a.zone"}, "testdata/zones/loop-b.zone", 2, []string{"$INCLUDE loop: testdata/zones/loop-a.zone includes testdata/zones/loop-b.zone includes testdata/zones/loop-a.zone"}, false},
		{"directory", []string{"testdata/zones/sub"}, "testdata/zones/sub", 0, []string{"is a directory"}, false},
		{"second file bad", []string{zoneTestMain, "testdata/zones/bad-txt.zone"}, "testdata/zones/bad-txt.zone", 6, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, err := LoadZoneFiles(tt.files...)
			if err == nil {
				t.Fatalf("no error; zone %v", z.Apexes())
			}
			var ze *ZoneError
			if !errors.As(err, &ze) {
				t.Fatalf("err %T %v, want a *ZoneError", err, err)
			}
			if ze.File != tt.file || ze.Line != tt.line {
				t.Errorf("error at %s:%d, want %s:%d (%v)", ze.File, ze.Line, tt.file, tt.line, err)
			}
			for _, c := range tt.contains {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q does not contain %q", err, c)
				}
			}
			if strings.Contains(err.Error(), "dns: ") || strings.Contains(err.Error(), "at line:") {
				t.Errorf("error %q has miekg's noise", err)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v", got)
			}
		})
	}
}

func TestZoneTextErrors(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		contains   string
	}{
		{"relative name without origin", "_dmarc 300 IN TXT \"v=DMARC1\"", 1, `bad owner name "_dmarc"; a name without a trailing dot is relative to $ORIGIN and none is set`},
		{"@ without origin", "\n@ 300 IN TXT \"x\"", 2, `"@"; a name without a trailing dot`},
		{"relative target without origin", "x.example.test. 300 IN CNAME y", 1, `bad CNAME record data "y"; a name without a trailing dot`},
		{"unknown type", "x.example.test. 300 IN BOGUS \"x\"", 1, `unknown record type "BOGUS"`},
		{"bad $TTL", "$TTL forever\n", 1, `$TTL needs a time such as 300 or 1h30m, not "forever"`},
		{"bad TTL", "\n\nx.example.test. 3x00 IN TXT \"a\"", 3, `bad TTL "3x00"`},
		{"unclosed parenthesis", "x.example.test. 300 IN TXT ( \"a\"\n", 1, `unbalanced parentheses: a "(" is not closed`},
		{"extra parenthesis", "x.example.test. 300 IN TXT \"a\" )", 1, `a ")" closes no "("`},
		{"missing field", "x.example.test. 300 IN MX 10 ; no host\n", 1, `bad MX record data: a field is missing`},
		{"bad address", "x.example.test. 300 IN AAAA 192.0.2.1", 1, `bad AAAA record data "192.0.2.1"`},
		{"out of zone", "$ORIGIN example.test.\n@ 300 IN SOA ns hm 1 2 3 4 5\nx.example.org. 300 IN TXT \"x\"", 3, `the record x.example.org. 300 IN TXT "x" lies outside the zone (its SOA is at example.test)`},
		{"include not relative to cwd", "$INCLUDE nowhere.inc", 1, `cannot $INCLUDE "nowhere.inc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseZone(strings.NewReader(tt.text), "t.zone", "")
			var ze *ZoneError
			if !errors.As(err, &ze) {
				t.Fatalf("err = %v, want a *ZoneError", err)
			}
			if ze.File != "t.zone" || ze.Line != tt.line {
				t.Errorf("error at %s:%d, want t.zone:%d (%v)", ze.File, ze.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
			if !strings.HasPrefix(err.Error(), "zone: t.zone") {
				t.Errorf("error %q does not start with the file", err)
			}
		})
	}
}

func TestZoneIncludeFromOtherDirectory(t *testing.T) {
	// An absolute top-level path, and a working directory that is not the
	// file's: includes are still found next to the including file.
	abs, err := filepath.Abs(zoneTestMain)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	z := zoneLoad(t, abs)
	a, err := z.Query(context.Background(), "old._domainkey.example.com", TypeTXT)
	if err != nil || len(a.Records) != 1 {
		t.Fatalf("%v %+v", err, a)
	}
	if want := "zone:" + filepath.Join(filepath.Dir(abs), "sub", "more.inc"); a.Source != want {
		t.Errorf("source %q, want %q", a.Source, want)
	}
}

func TestZoneStatsAndConcurrency(t *testing.T) {
	z := zoneLoad(t, zoneTestMain)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				a, err := z.Query(context.Background(), "www.example.com", TypeA)
				if err != nil || len(a.Records) != 1 {
					t.Errorf("%v %+v", err, a)
					return
				}
				a.Records[0].Name = "mutated"
			}
		}()
	}
	wg.Wait()
	if got := z.Stats().ZoneAnswers; got != 400 {
		t.Errorf("ZoneAnswers = %d, want 400", got)
	}
	var _ Resolver = z
	var _ StatsReporter = z
}

func TestZoneGuards(t *testing.T) {
	_, err := ParseZone(strings.NewReader(`x 300 IN TXT "x"`), "t.zone", "exa mple.com")
	var ze *ZoneError
	if !errors.As(err, &ze) || !strings.Contains(err.Error(), `zone: t.zone: bad origin "exa mple.com"`) {
		t.Errorf("bad origin: err = %v", err)
	}
	if runtime.GOOS != "windows" {
		// A device is outside the zone's directory.
		_, err = ParseZone(strings.NewReader("$INCLUDE /dev/zero\n"), "t.zone", "example.test")
		if !errors.As(err, &ze) || !errors.Is(err, ErrZoneIncludeOutside) {
			t.Errorf("/dev/zero: err = %v", err)
		}
	}
	// The same file included twice, one after the other, is no loop.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "part.inc"), []byte("x 300 IN TXT \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(dir, "top.zone")
	if err := os.WriteFile(top, []byte("$ORIGIN a.test.\n$INCLUDE part.inc\n$ORIGIN b.test.\n$INCLUDE part.inc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	z := zoneLoad(t, top)
	for _, n := range []string{"x.a.test", "x.b.test"} {
		if a, err := z.Query(context.Background(), n, TypeTXT); err != nil || len(a.Records) != 1 {
			t.Errorf("%s: %v %+v", n, err, a)
		}
	}
	// A zone built from text without a file name.
	z, err = ParseZone(strings.NewReader(`x.example.test. 300 IN TXT "x"`), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := z.Query(context.Background(), "x.example.test", TypeTXT); a.Source != "zone" {
		t.Errorf("source %q, want zone", a.Source)
	}
	_, err = ParseZone(strings.NewReader("x 300 IN TXT \"x\""), "", "")
	if err == nil || !strings.HasPrefix(err.Error(), "zone: zone text:1: ") {
		t.Errorf("err = %v", err)
	}
}

// zoneFixtures are the zone files of testdata/zones, the seeds of the fuzz
// target.
func zoneFixtures(t testing.TB) []string {
	paths, err := filepath.Glob("testdata/zones/*.zone")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	more, _ := filepath.Glob("testdata/zones/sub/*.inc")
	var out []string
	for _, p := range append(paths, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	return out
}

// FuzzParseZone checks that no zone text makes the parser or a query panic,
// that every failure is a *ZoneError, and that every record parsed is found
// again by a query for its name and type.
func FuzzParseZone(f *testing.F) {
	for _, s := range zoneFixtures(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		z, err := ParseZone(strings.NewReader(text), "fuzz.zone", "")
		if err != nil {
			var ze *ZoneError
			if !errors.As(err, &ze) {
				t.Fatalf("error %T %v is not a *ZoneError", err, err)
			}
			if !strings.HasPrefix(err.Error(), "zone: fuzz.zone") && !strings.HasPrefix(err.Error(), "zone: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		ctx := context.Background()
		z.Authoritative("example.com")
		z.Apexes()
		for name, node := range z.nodes {
			for _, qt := range []uint16{TypeTXT, TypeA, TypeCNAME, TypeMX, zoneTypeANY} {
				for _, q := range []string{name, "x." + name} {
					a, err := z.Query(ctx, q, qt)
					if err != nil {
						continue
					}
					if a == nil || a.Records == nil {
						t.Fatalf("%s %s: answer %+v without records slice", q, TypeString(qt), a)
					}
				}
			}
			// A name with escapes (an escaped dot inside a label) cannot always be
			// asked in the Resolver's form, which drops a trailing dot.
			if node.cname != "" || CheckName(name) != nil || strings.Contains(name, "\\") {
				continue
			}
			for _, r := range node.rrs {
				a, err := z.Query(ctx, name, r.rec.Type)
				if err != nil || a.RCode != RcodeSuccess || len(a.Records) == 0 {
					t.Fatalf("%s %s is in the zone but the query gives %v %+v", name, TypeString(r.rec.Type), err, a)
				}
			}
		}
	})
}

// zoneBenchText is a zone of n names with a TXT record each, a wildcard and a
// CNAME.
func zoneBenchText(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "h%d IN TXT \"v=spf1 ip4:192.0.2.%d -all\"\n", i, i%256)
	}
	b.WriteString("*.wild IN TXT \"wildcard\"\nalias IN CNAME h42\n")
	return b.String()
}

func BenchmarkZoneQuery(b *testing.B) {
	const n = 10000
	z, err := ParseZone(strings.NewReader(zoneBenchText(n)), "bench.zone", "")
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("h%d.example.com", i)
	}
	ctx := context.Background()
	run := func(b *testing.B, name func(i int) string) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := z.Query(ctx, name(i), TypeTXT); err != nil {
				b.Fatal(err)
			}
			i++
		}
	}
	b.Run("hit", func(b *testing.B) { run(b, func(i int) string { return names[i%n] }) })
	b.Run("nxdomain", func(b *testing.B) { run(b, func(int) string { return "nope.x.example.com" }) })
	b.Run("wildcard", func(b *testing.B) { run(b, func(int) string { return "a.b.wild.example.com" }) })
	b.Run("cname", func(b *testing.B) { run(b, func(int) string { return "alias.example.com" }) })
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := z.Query(ctx, names[i%n], TypeTXT); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

func BenchmarkParseZone(b *testing.B) {
	text := zoneBenchText(10000)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseZone(strings.NewReader(text), "bench.zone", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// zoneConformanceDir is the public suites copied into testdata (INDEX.md there).
const zoneConformanceDir = "../../testdata/conformance"

// TestZoneConformanceFiles loads the BIND zone files that come with the
// conformance suites (dkim/*/dns.zone) and checks that every TXT record
// written there is answered, joined, exactly as written.
func TestZoneConformanceFiles(t *testing.T) {
	if _, err := os.Stat(zoneConformanceDir); err != nil {
		t.Fatalf("conformance suite missing at %s: %v", zoneConformanceDir, err)
	}
	var files []string
	err := filepath.WalkDir(zoneConformanceDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".zone") {
			files = append(files, p)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no zone files under %s: %v", zoneConformanceDir, err)
	}
	cases := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		z := zoneLoad(t, file)
		for _, line := range strings.Split(string(data), "\n") {
			// Each record is one line: NAME IN TXT ( "VALUE" ).
			name, rest, ok := strings.Cut(line, " IN TXT ( \"")
			if !ok || strings.HasPrefix(line, ";") {
				continue
			}
			want := strings.TrimSuffix(strings.TrimSpace(rest), "\" )")
			a, err := z.Query(context.Background(), name, TypeTXT)
			if err != nil {
				t.Errorf("%s: %s: %v", file, name, err)
				continue
			}
			if !reflect.DeepEqual(a.TXT(), []string{want}) {
				t.Errorf("%s: %s: TXT() = %q, want %q", file, name, a.TXT(), want)
			}
			if a.Records[0].TTL != zoneDefaultTTL || a.Source != "zone:"+file {
				t.Errorf("%s: %s: TTL %d source %q", file, name, a.Records[0].TTL, a.Source)
			}
			if !z.Authoritative(name) || z.Authoritative("x."+name) {
				t.Errorf("%s: a file without apex decides exactly its own names", file)
			}
			cases++
		}
	}
	if cases < 10 {
		t.Errorf("only %d TXT records checked in %d files", cases, len(files))
	}
	t.Logf("%d TXT records in %d conformance zone files answered as written", cases, len(files))
}

func TestZoneLargeRRsetDeduplicated(t *testing.T) {
	// Past zoneIndexAt records at one name, duplicates are found through an
	// index (a fuzz input with $GENERATE at one owner was quadratic).
	z := zoneText(t, "$ORIGIN example.test.\n$GENERATE 0-99 @ 300 IN TXT \"r$\"\n$GENERATE 50-149 @ 300 IN TXT \"r$\"\n")
	a, err := z.Query(context.Background(), "example.test", TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Records) != 150 {
		t.Fatalf("%d records, want 150", len(a.Records))
	}
	for i, s := range a.TXT() {
		if want := fmt.Sprintf("r%d", i); s != want {
			t.Fatalf("record %d is %q, want %q (file order)", i, s, want)
		}
	}
}

func TestZoneSOAInIncludedFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("soa.inc", "@ 300 IN SOA ns hm 1 2 3 4 5\n")
	top := write("top.zone", "$ORIGIN example.test.\n$INCLUDE soa.inc\nwww 300 IN A 192.0.2.1\n")
	z := zoneLoad(t, top)
	a, err := z.Query(context.Background(), "nope.example.test", TypeA)
	if err != nil {
		t.Fatal(err)
	}
	zoneCheck(t, a, zoneWant{rcode: RcodeNXDomain, source: "zone:" + filepath.Join(dir, "soa.inc")})
	if !reflect.DeepEqual(z.Apexes(), []string{"example.test"}) {
		t.Errorf("Apexes() = %q", z.Apexes())
	}
}

func TestUncovered(t *testing.T) {
	z, err := ParseZone(strings.NewReader("$ORIGIN d.test.\n@ 300 IN SOA ns.d.test. h.d.test. 1 7200 3600 1209600 300\n"), "d.test.zone", "d.test.")
	if err != nil {
		t.Fatal(err)
	}
	offline := NewChain(z, nil)
	ctx := context.Background()
	if Uncovered(ctx, offline, "d.test") || Uncovered(ctx, offline, "www.d.test") {
		t.Error("a name the zone covers is reported uncovered")
	}
	if !Uncovered(ctx, offline, "other.test") {
		t.Error("a name no zone covers is not reported uncovered")
	}
}
