package dkimkey

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// The public suites (see testdata/conformance/INDEX.md §2). The tests
// fail, not skip, when the directory is missing.
const conformanceDir = "../../testdata/conformance/dkim"

func readConformance(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(conformanceDir, name))
	if err != nil {
		t.Fatalf("conformance data missing (%v); it must be at %s", err, conformanceDir)
	}
	return string(b)
}

// class names the outcome of parsing a key record.
func class(txt string) string {
	r, err := ParseRecord(txt)
	var re *RecordError
	switch {
	case err == nil && r.Revoked():
		return "revoked"
	case err == nil && !r.AllowsService("email"):
		return "not-email"
	case err == nil && !r.AllowsHash("sha256") && !r.AllowsHash("sha1"):
		return "no-hash"
	case err == nil:
		return "ok"
	case errors.Is(err, ErrSyntax):
		return "syntax"
	case errors.Is(err, ErrVersion):
		return "version"
	case errors.Is(err, ErrKeyType):
		return "keytype"
	case errors.Is(err, ErrNoKey):
		return "nokey"
	case errors.Is(err, ErrBadKey):
		return "badkey"
	case errors.As(err, &re):
		return "badtag"
	}
	return "?"
}

// Mail::DKIM's t/FAKE_DNS.dat (fastmail/mail-dkim): every key record there,
// with the outcome class its verifier.t expects (invalid key records are
// "invalid" there; the classes here say why).
func TestMailDKIMFakeDNS(t *testing.T) {
	want := map[string]string{
		"expirationtest._domainkey.example.org":           "ok",
		"selector1._domainkey.messiah.edu":                "ok",
		"test1._domainkey.messiah.edu":                    "ok",
		"test2._domainkey.messiah.edu":                    "ok", // unknown s=, t=, h= values and an unknown tag are ignored
		"test3._domainkey.messiah.edu":                    "ok", // g= is not in RFC 6376: ignored
		"test4._domainkey.messiah.edu":                    "ok",
		"test5._domainkey.messiah.edu":                    "ok",
		"test6._domainkey.messiah.edu":                    "ok",
		"testbad1._domainkey.messiah.edu":                 "version",   // v=DKIM3
		"testbad2._domainkey.messiah.edu":                 "syntax",    // "t;" has no "="
		"testbad3._domainkey.messiah.edu":                 "keytype",   // k=foobar
		"testbad4._domainkey.messiah.edu":                 "not-email", // s=chat
		"testbad7._domainkey.messiah.edu":                 "no-hash",   // h=bad
		"testbad8._domainkey.messiah.edu":                 "ok",        // g=*poe: ignored by RFC 6376 verifiers
		"testrevoked._domainkey.messiah.edu":              "revoked",
		"s1024._domainkey.yahoo.com":                      "ok",
		"beta._domainkey.gmail.com":                       "ok",
		"jakla2._domainkey.ijs.si":                        "ok",
		"shan._domainkey.vmt2.cis.att.net":                "ok", // 768 bits: parses; Check reports it too short
		"foo._domainkey.vmt2.cis.att.net":                 "ok",
		"2023-05-ed25519._domainkey.wander.science":       "ok",
		"2023-05-ed25519-empty._domainkey.wander.science": "syntax", // the literal text ""
		"invalid._domainkey.wander.science":               "badkey", // Ed25519 in a SubjectPublicKeyInfo
		"nonexistent._domainkey.messiah.edu":              "",       // NXDOMAIN
		"test3._domainkey.blackhole.messiah.edu":          "",       // timeout
		"test3._domainkey.blackhole2.messiah.edu":         "",       // SERVFAIL
	}
	sc := bufio.NewScanner(strings.NewReader(readConformance(t, "mail-dkim/FAKE_DNS.dat")))
	sc.Buffer(nil, 1<<20)
	n, passed := 0, 0
	fake := dnstest.NewFake()
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, _ := strings.Cut(line, " ")
		value = strings.TrimSpace(value)
		exp, ok := want[name]
		if !ok {
			t.Errorf("%s: a record this test does not know; add its expected class", name)
			continue
		}
		switch value {
		case "NXDOMAIN":
			continue
		case "~~Query timed out~~":
			fake.Timeout(name, 0)
			continue
		case "~~SERVFAIL~~":
			fake.ServFail(name, 0)
			continue
		}
		fake.AddTXT(name, value)
		n++
		if got := class(value); got != exp {
			t.Errorf("%s: %q is %s, want %s", name, value, got, exp)
		} else {
			passed++
		}
	}
	t.Logf("Mail::DKIM FAKE_DNS.dat: %d/%d key records classified as expected", passed, n)
	if n < 20 {
		t.Fatalf("only %d records read", n)
	}
	// The same records through Check: the finding each selector gets.
	ctx := context.Background()
	checks := map[string]string{
		"testbad1._domainkey.messiah.edu":                 "dkim.bad-version",
		"testbad2._domainkey.messiah.edu":                 "dkim.malformed",
		"testbad3._domainkey.messiah.edu":                 "dkim.unknown-key-type",
		"testbad4._domainkey.messiah.edu":                 "dkim.not-for-email",
		"testbad7._domainkey.messiah.edu":                 "dkim.unknown-hash",
		"testrevoked._domainkey.messiah.edu":              "dkim.revoked",
		"test1._domainkey.messiah.edu":                    "dkim.testing",
		"shan._domainkey.vmt2.cis.att.net":                "dkim.key-too-short",
		"selector1._domainkey.messiah.edu":                "dkim.key-weak-1024",
		"invalid._domainkey.wander.science":               "dkim.bad-key",
		"2023-05-ed25519-empty._domainkey.wander.science": "dkim.malformed",
		"nonexistent._domainkey.messiah.edu":              "dkim.no-record",
		"test3._domainkey.messiah.edu":                    "dkim.obsolete-granularity",
		"test4._domainkey.messiah.edu":                    "dkim.obsolete-granularity",
	}
	for name, code := range checks {
		sel, domain, _ := strings.Cut(name, "._domainkey.")
		res := CheckSelector(ctx, fake, domain, sel, nil, false)
		if !contains(codes(res.Findings), code) {
			t.Errorf("Check %s: %v, want %s", name, codes(res.Findings), code)
		}
	}
	for _, name := range []string{"test3._domainkey.blackhole.messiah.edu", "test3._domainkey.blackhole2.messiah.edu"} {
		sel, domain, _ := strings.Cut(name, "._domainkey.")
		if res := CheckSelector(ctx, fake, domain, sel, nil, false); res.Status != finding.StatusError {
			t.Errorf("Check %s: status %s, want error", name, res.Status)
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Every key record in the suites' zone files and stalwart's DNS lines is a
// valid key record.
func TestConformanceZones(t *testing.T) {
	n := 0
	for _, zf := range []string{"rfc8463/dns.zone", "rfc6376/dns.zone", "dkimpy/dns.zone"} {
		fake := dnstest.NewFake(readConformance(t, zf))
		for _, line := range strings.Split(readConformance(t, zf), "\n") {
			name, _, ok := strings.Cut(line, " ")
			if !ok || strings.HasPrefix(line, ";") {
				continue
			}
			ans, err := fake.Query(context.Background(), name, 16)
			if err != nil || len(ans.TXT()) != 1 {
				t.Errorf("%s %s: %v", zf, name, err)
				continue
			}
			if _, err := ParseRecord(ans.TXT()[0]); err != nil {
				t.Errorf("%s %s: %v", zf, name, err)
			}
			n++
		}
	}
	for i := 1; i <= 6; i++ {
		f := filepath.Join("stalwart-mail-auth", "00"+string(rune('0'+i))+".txt")
		head, _, _ := strings.Cut(strings.ReplaceAll(readConformance(t, f), "\r\n", "\n"), "\n\n")
		for _, line := range strings.Split(head, "\n") {
			name, value, _ := strings.Cut(line, " ")
			r, err := ParseRecord(value)
			if err != nil {
				t.Errorf("%s %s: %v", f, name, err)
				continue
			}
			if name == "newengland._domainkey.example.com" && r.KeyFormat != "pkcs1" {
				t.Errorf("%s: key format %s, want pkcs1", name, r.KeyFormat)
			}
			n++
		}
	}
	t.Logf("%d key records from the zone files and stalwart parsed", n)
}

// dkimpy's key-record variants and keys.
func TestDkimpyRecords(t *testing.T) {
	want := map[string]string{
		"test.txt":        "ok",
		"test2.txt":       "ok", // no k=: rsa
		"badversion.txt":  "version",
		"badk.txt":        "keytype",
		"test_bad.txt":    "badkey",
		"test_tlsrpt.txt": "not-email",
		"ed25519test.dns": "ok",
		"eximtest.dns":    "ok",
	}
	for f, exp := range want {
		v := strings.TrimSpace(readConformance(t, "dkimpy/"+f))
		if got := class(v); got != exp {
			t.Errorf("%s: %s, want %s", f, got, exp)
		}
	}
	r, _ := ParseRecord(strings.TrimSpace(readConformance(t, "dkimpy/test_tlsrpt.txt")))
	if r == nil || !r.AllowsService("tlsrpt") {
		t.Error("test_tlsrpt.txt: the key is not usable for tlsrpt")
	}
	// Each private key matches its published record.
	pairs := [][2]string{
		{"dkimpy/test.private", "dkimpy/test.txt"},
		{"dkimpy/test2.private", "dkimpy/test2.txt"},
		{"dkimpy/ed25519test.key", "dkimpy/ed25519test.dns"},
		{"rfc8463/ed25519.seed.b64", "rfc8463/dns.zone"},
		{"dkimpy/rfc8032_7_1.key", "rfc8463/dns.zone"},
		{"rfc8463/rsa-test.private.pem", "rfc8463/dns.zone"},
		{"rfc6376/brisbane.private.pem", "rfc6376/dns.zone"},
		{"mail-dkim/test.key", "mail-dkim/FAKE_DNS.dat"},
	}
	for _, p := range pairs {
		k, err := ParsePrivateKey([]byte(readConformance(t, p[0])))
		if err != nil {
			t.Errorf("%s: %v", p[0], err)
			continue
		}
		rec, _ := NewRecord(k.Public())
		s := rec.String()
		pv := s[strings.LastIndex(s, "p=")+2:]
		if !strings.Contains(readConformance(t, p[1]), pv) {
			t.Errorf("%s: its public key %s is not in %s", p[0], pv[:20], p[1])
		}
	}
	if _, err := ParsePrivateKey([]byte(readConformance(t, "mail-dkim/test.ed.key"))); err != nil {
		t.Errorf("mail-dkim/test.ed.key: %v", err)
	}
}
