package dkimkey

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestSplitTXT(t *testing.T) {
	long := strings.Repeat("a", 600)
	parts := SplitTXT(long, 255)
	if len(parts) != 3 || len(parts[0]) != 255 || len(parts[1]) != 255 || len(parts[2]) != 90 {
		t.Errorf("lengths: %d parts", len(parts))
	}
	if strings.Join(parts, "") != long {
		t.Error("the parts do not join back")
	}
	if p := SplitTXT("", 255); len(p) != 1 || p[0] != "" {
		t.Errorf("empty: %q", p)
	}
	if p := SplitTXT(strings.Repeat("b", 255), 0); len(p) != 1 {
		t.Errorf("exactly 255: %d parts", len(p))
	}
	// Never inside a UTF-8 sequence.
	s := strings.Repeat("x", 254) + "é" + "y"
	p := SplitTXT(s, 255)
	if p[0] != strings.Repeat("x", 254) || p[1] != "éy" {
		t.Errorf("utf-8 split: %q", p)
	}
}

func TestZoneLine(t *testing.T) {
	got := ZoneLine("s1._domainkey.example.com", `v=DKIM1; n=a "q" \ é; p=`, 300)
	want := `s1._domainkey.example.com. 300 IN TXT "v=DKIM1; n=a \"q\" \\ \195\169; p="`
	if got != want {
		t.Errorf("ZoneLine = %s\nwant       %s", got, want)
	}
	// A 2048-bit record: the line parses back, as one TXT record of
	// strings of at most 255 octets, to the same value.
	rec, err := ParseRecord(rfc8463RSA)
	if err != nil {
		t.Fatal(err)
	}
	value := "v=DKIM1; k=rsa; t=y; p=" + strings.Repeat(rec.Tags[2].Value, 3)
	line := ZoneLine("big._domainkey.example.com.", value, 0)
	f := dnstest.NewFake(line)
	ans, err := f.Query(t.Context(), "big._domainkey.example.com", 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Records) != 1 || ans.TXT()[0] != value {
		t.Fatalf("zone line does not round-trip: %s", line)
	}
	for _, s := range ans.Records[0].Strings {
		if len(s) > 255 {
			t.Errorf("a string of %d octets", len(s))
		}
	}
}
