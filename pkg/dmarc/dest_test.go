package dmarc

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// countingResolver counts the questions asked of it.
type countingResolver struct {
	dns.Resolver
	n atomic.Int64
}

func (c *countingResolver) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	c.n.Add(1)
	return c.Resolver.Query(ctx, name, qtype)
}

// TestCheckTooManyDestinations: the record of 2,304 mailto
// addresses in distinct third-party domains. Only the first ten are
// checked; the rest are counted and named in a finding (before: 6,917
// queries and 7.9 MB of JSON).
func TestCheckTooManyDestinations(t *testing.T) {
	var uris []string
	for i := 0; i < 2304; i++ {
		uris = append(uris, fmt.Sprintf("mailto:r@d%d.example.net", i))
	}
	f := dnstest.NewFake("example.com. 300 IN MX 10 mx.example.com.")
	f.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject; rua="+strings.Join(uris, ","))
	r := &countingResolver{Resolver: f}
	res, err := Check(context.Background(), r, "example.com", CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Destinations) != DefaultMaxDestinations || res.UncheckedDestinations != 2304-DefaultMaxDestinations {
		t.Errorf("%d checked, %d unchecked", len(res.Destinations), res.UncheckedDestinations)
	}
	var too *finding.Finding
	for i, fd := range res.Findings {
		if fd.Code == "dmarc.too-many-destinations" {
			too = &res.Findings[i]
		}
	}
	if too == nil || !strings.Contains(too.Message, "lists 2304 report destinations; the first 10 were checked, the other 2294 were not: mailto:r@d10.example.net, mailto:r@d11.example.net, mailto:r@d12.example.net and 2291 more") {
		t.Errorf("finding: %+v", too)
	}
	if q := r.n.Load(); q > 120 {
		t.Errorf("%d queries for one check", q)
	}
	// What the check adds to the record it echoes stays small (the record
	// itself, 61 kB of text, is echoed as published and parsed).
	js, err := json.Marshal(struct {
		D []Destination `json:"destinations"`
		F finding.List  `json:"findings"`
	}{res.Destinations, res.Findings})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := json.Marshal(res)
	t.Logf("%d queries; destinations and findings %d octets of JSON, the whole result %d", r.n.Load(), len(js), len(all))
	if len(js) > 20_000 {
		t.Errorf("destinations and findings: %d octets of JSON", len(js))
	}
	// The limit is an option.
	res, _ = Check(context.Background(), f, "example.com", CheckOptions{MaxDestinations: 2})
	if len(res.Destinations) != 2 || res.UncheckedDestinations != 2302 {
		t.Errorf("MaxDestinations 2: %d checked, %d unchecked", len(res.Destinations), res.UncheckedDestinations)
	}
	// Under the limit: no finding.
	f2 := dnstest.NewFake("example.com. 300 IN MX 10 mx.example.com.")
	f2.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.com")
	res, _ = Check(context.Background(), f2, "example.com", CheckOptions{})
	if res.UncheckedDestinations != 0 || strings.Contains(strings.Join(codes(res), " "), "too-many-destinations") {
		t.Errorf("two destinations: %v", codes(res))
	}
}

// TestCheckDestinationsOffline: offline, a destination no zone file covers
// is "not checked" (info), not unauthorized nor unable to receive.
func TestCheckDestinationsOffline(t *testing.T) {
	z, err := dns.ParseZone(strings.NewReader(`$ORIGIN tenant.test.
@ 300 IN SOA ns hostmaster 1 7200 3600 1209600 300
@ 300 IN MX 10 mx
mx 300 IN A 192.0.2.25
_dmarc 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@reports.vendor.example,mailto:d@tenant.test; ruf=mailto:x@gone.tenant.test"
`), "tenant.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Check(context.Background(), dns.NewChain(z, nil), "tenant.test", CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(codes(res), " ")
	if got != "dmarc.destination-cannot-receive dmarc.not-checked-offline" {
		t.Errorf("codes %q, want not-checked-offline for the vendor and cannot-receive for gone.tenant.test", got)
	}
	d := res.Destinations[0]
	if d.Authorization != AuthOffline || d.Receive != ReceiveOffline {
		t.Errorf("vendor destination %+v", d)
	}
	if res.Incomplete {
		t.Errorf("offline is not incomplete: %v", res.Errors)
	}
}

// TestCheckDestinationDNSFailures: a timeout is transient (error, never
// fail); a CNAME loop at the authorization name is a definite problem.
func TestCheckDestinationDNSFailures(t *testing.T) {
	f := dnstest.NewFake("example.com. 300 IN MX 10 mx.example.com.", "vendor.example.net. 300 IN MX 10 mx.vendor.example.net.",
		"example.com._report._dmarc.loop.example.org. 300 IN CNAME x.loop.example.org.", "x.loop.example.org. 300 IN CNAME example.com._report._dmarc.loop.example.org.",
		"loop.example.org. 300 IN MX 10 mx.loop.example.org.")
	f.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@vendor.example.net")
	f.Timeout("example.com._report._dmarc.vendor.example.net", 0)
	res, err := Check(context.Background(), f, "example.com", CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(codes(res), " "); got != "dmarc.destination-unverified" || !res.Findings[0].Transient {
		t.Errorf("timeout: %q %+v", got, res.Findings)
	}
	if s := finding.Judge(res.Findings, !res.Incomplete); s != finding.StatusError {
		t.Errorf("timeout: status %s, want error", s)
	}

	f.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@loop.example.org")
	f2 := dnstest.NewFake("example.com. 300 IN MX 10 mx.example.com.",
		"example.com._report._dmarc.loop.example.org. 300 IN CNAME x.loop.example.org.", "x.loop.example.org. 300 IN CNAME example.com._report._dmarc.loop.example.org.",
		"loop.example.org. 300 IN MX 10 mx.loop.example.org.")
	f2.AddTXT("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@loop.example.org")
	res, err = Check(context.Background(), f2, "example.com", CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(codes(res), " "); got != "dmarc.unauthorized-destination" || res.Incomplete {
		t.Errorf("CNAME loop: %q, incomplete %v", got, res.Incomplete)
	}
}
