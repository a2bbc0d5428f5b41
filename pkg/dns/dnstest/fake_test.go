package dnstest

import (
	"context"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
)

func TestFakeAddTXTKeepsOctets(t *testing.T) {
	f := NewFake()
	f.AddTXT("x.example.test", `v=DKIM1\; k=rsa`, `say "hi"`, "caf\xc3\xa9")
	a, err := f.Query(context.Background(), "x.example.test", dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`v=DKIM1\; k=rsa`, `say "hi"`, "caf\xc3\xa9"}
	for i, s := range a.Records[0].Strings {
		if s != want[i] {
			t.Errorf("string %d = %q, want %q", i, s, want[i])
		}
	}
}

func TestFakeEmptyNonTerminal(t *testing.T) {
	f := NewFake(`s1._domainkey.example.test. TXT "v=DKIM1; p="`)
	a, err := f.Query(context.Background(), "_domainkey.example.test", dns.TypeTXT)
	if err != nil || !a.NoData() {
		t.Errorf("ENT: %v %+v", err, a)
	}
	a, _ = f.Query(context.Background(), "other.example.test", dns.TypeTXT)
	if !a.NXDomain() {
		t.Errorf("missing name: %+v", a)
	}
}
