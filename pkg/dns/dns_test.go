package dns

import (
	"testing"

	mdns "github.com/miekg/dns"
)

func TestFromRRDecodesTXT(t *testing.T) {
	// A TXT record unpacked from wire form, as the client sees it. miekg
	// keeps Txt in presentation form, for packing as for unpacking.
	orig := &mdns.TXT{Hdr: mdns.RR_Header{Name: "x.example.", Rrtype: mdns.TypeTXT, Class: mdns.ClassINET, Ttl: 60},
		Txt: []string{`say \"hi\"`, `back\\slash`, `caf\195\169`, "v=spf1 -all"}}
	buf := make([]byte, 512)
	n, err := mdns.PackRR(orig, buf, 0, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	rr, _, err := mdns.UnpackRR(buf[:n], 0)
	if err != nil {
		t.Fatal(err)
	}
	r := FromRR(rr)
	want := []string{`say "hi"`, `back\slash`, "caf\xc3\xa9", "v=spf1 -all"}
	for i := range want {
		if r.Strings[i] != want[i] {
			t.Errorf("string %d = %q, want %q", i, r.Strings[i], want[i])
		}
	}
	if wantData := `"say \"hi\"" "back\\slash" "caf\195\169" "v=spf1 -all"`; r.Data != wantData {
		t.Errorf("Data = %s, want %s", r.Data, wantData)
	}
}

func TestFromRRData(t *testing.T) {
	for text, want := range map[string]string{
		"x.example. 60 IN MX 10 Mail.Example.":        "10 Mail.Example.",
		"x.example. 60 IN A 192.0.2.1":                "192.0.2.1",
		"x.example. 60 IN AAAA 2001:db8::1":           "2001:db8::1",
		"x.example. 60 IN CNAME y.example.":           "y.example.",
		"x.example. 60 IN SOA a. b. 1 2 3 4 5":        "a. b. 1 2 3 4 5",
		"x.example. 60 IN CAA 0 issue \"ca.example\"": "0 issue \"ca.example\"",
	} {
		rr, err := mdns.NewRR(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := FromRR(rr).Data; got != want {
			t.Errorf("%s: Data %q, want %q", text, got, want)
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"example.com": true, "example.com.": true, "_dmarc.example.com": true, "a": true,
		"": false, ".": false, "a..b": false, ".a": false, "a b.example": false,
		string(make([]byte, 64)) + ".example": false,
	} {
		if err := CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
	long := ""
	for i := 0; i < 64; i++ {
		long += "abc."
	}
	if CheckName(long+"com") == nil {
		t.Error("a 259-octet name passed")
	}
}

func TestCanonicalName(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM.":          "example.com",
		`has\032space.example.`: "has space.example",
		`a\.b.example`:          `a\.b.example`,
		`a\046b.example`:        `a\046b.example`,
		`q\"uote.example`:       `q"uote.example`,
		`back\\slash.example`:   `back\\slash.example`,
		"plain.example":         "plain.example",
	} {
		if got := CanonicalName(in); got != want {
			t.Errorf("CanonicalName(%q) = %q, want %q", in, got, want)
		}
	}
}
