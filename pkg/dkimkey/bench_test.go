package dkimkey

import (
	"context"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func BenchmarkParseTagList(b *testing.B) {
	s := "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s1; t=1528637909;\r\n h=from:to:subject:date; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB4nujc7YopdG5dWLSdNg6xNAZ"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := ParseTagList(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRecordRSA2048(b *testing.B) {
	k := loadTestKeys(b)
	b.SetBytes(int64(len(k.rsa2048)))
	for b.Loop() {
		if _, err := ParseRecord(k.rsa2048); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRecordEd25519(b *testing.B) {
	for b.Loop() {
		if _, err := ParseRecord(rfc8463Ed25519); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkZoneLine(b *testing.B) {
	k := loadTestKeys(b)
	for b.Loop() {
		_ = ZoneLine("s1._domainkey.example.com", k.rsa2048, 3600)
	}
}

// Discovery of one domain: every default selector probed against an
// in-memory resolver (the cost of emailauth, not of the DNS).
func BenchmarkDiscover(b *testing.B) {
	k := loadTestKeys(b)
	fake := dnstest.NewFake(txt("selector1._domainkey.example.com", k.rsa2048), txt("google._domainkey.example.com", k.rsa1024))
	ctx := context.Background()
	for b.Loop() {
		if _, err := Check(ctx, fake, "example.com", nil, CheckOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
