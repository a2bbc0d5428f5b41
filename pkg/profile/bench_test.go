package profile

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// benchZone is a tenant that publishes its own SPF and DMARC records and a
// key, over the platform's zone: the usual case for Evaluate and Plan.
func benchResolver(b *testing.B, n int) (dns.Resolver, []string) {
	b.Helper()
	rec, _ := rsaRecord(&testing.T{}, 2048)
	var zone strings.Builder
	var domains []string
	for i := 0; i < n; i++ {
		d := fmt.Sprintf("tenant%d.example", i)
		domains = append(domains, d)
		fmt.Fprintf(&zone, "%s. 300 IN SOA ns1.%s. h.%s. 1 3600 600 86400 300\n", d, d, d)
		fmt.Fprintf(&zone, "%s. 300 IN TXT \"v=spf1 mx ip4:203.0.113.5 -all\"\n%s. 300 IN MX 10 mx.%s.\nmx.%s. 300 IN A 203.0.113.6\n", d, d, d, d)
		fmt.Fprintf(&zone, "_dmarc.%s. 300 IN TXT \"v=DMARC1; p=none; rua=mailto:d@%s\"\n", d, d)
		fmt.Fprintf(&zone, "%s\n", txtLine("mailu._domainkey."+d+".", rec))
	}
	return dns.NewCache(fakeText(zone.String())), domains
}

func BenchmarkEvaluate(b *testing.B) {
	p, err := Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	r, domains := benchResolver(b, 1)
	req, _ := p.For(domains[0], nil, now)
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(context.Background(), r, req, EvalOptions{})
	}
}

func BenchmarkPlanRecords(b *testing.B) {
	p, err := Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	r, domains := benchResolver(b, 1)
	req, _ := p.For(domains[0], nil, now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PlanRecords(context.Background(), r, req, PlanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadTenants reads a tenants file of 10,000 domains.
func BenchmarkLoadTenants(b *testing.B) {
	p, _ := Load("../../testdata/profiles/penguinmails.yaml", LoadOptions{})
	var t strings.Builder
	t.WriteString("tenants:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&t, "  t%d:\n    domains:\n", i)
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&t, "      d%d-%d.example:\n", i, j)
		}
	}
	data := []byte(t.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTenants("t.yaml", data, p, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func fakeText(zone string) dns.Resolver {
	return dnstest.NewFake(platformZone, zone)
}
