package mx

import (
	"context"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func check(t *testing.T, r dns.Resolver, domain string) *Result {
	t.Helper()
	return Check(context.Background(), r, domain, LookupMX(context.Background(), r, domain))
}

func codes(r *Result) string {
	var cs []string
	for _, f := range r.Findings {
		cs = append(cs, f.Code)
	}
	return strings.Join(cs, " ")
}

// TestCNAMEAndOtherData: a CNAME beside other records at the domain is
// reported as such, never as "the domain does not exist".
func TestCNAMEAndOtherData(t *testing.T) {
	r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain, CNAMEs: []string{"gone.example.net"},
			CNAMEAndOtherData: []string{name}}, nil
	})
	res := check(t, r, "d.test")
	if res.Status != finding.StatusFail || codes(res) != FindCNAMEAndOtherData.Code {
		t.Errorf("status %s, findings %s", res.Status, codes(res))
	}
}

// TestExchangeCNAMELoop: an exchange whose CNAME chain loops is a definite
// failure, not "could not complete".
func TestExchangeCNAMELoop(t *testing.T) {
	fake := dnstest.NewFake(`d.test. MX 10 loop.d.test.`, `d.test. MX 20 ok.d.test.`, `ok.d.test. A 192.0.2.1`)
	r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		if name == "loop.d.test" {
			return nil, &dns.Error{Name: name, Type: qtype, RCode: dns.RcodeServFail, Err: dns.ErrCNAMELoop}
		}
		return fake.Query(ctx, name, qtype)
	})
	res := check(t, r, "d.test")
	if res.Status != finding.StatusFail || codes(res) != FindCNAMEChain.Code {
		t.Errorf("status %s, findings %s, error %q", res.Status, codes(res), res.Error)
	}
}

// TestExchangeNotCoveredOffline: offline, an exchange outside every zone
// file is "not checked", never "has no address".
func TestExchangeNotCoveredOffline(t *testing.T) {
	fake := dnstest.NewFake(`d.test. MX 10 mx.provider.example.`)
	r := dns.ResolverFunc(func(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
		if strings.HasSuffix(name, "provider.example") {
			return &dns.Answer{Name: name, Type: qtype, RCode: dns.RcodeNXDomain, NotCovered: true}, nil
		}
		return fake.Query(ctx, name, qtype)
	})
	res := check(t, r, "d.test")
	if res.Status != finding.StatusPass || codes(res) != FindNotCheckedOffline.Code {
		t.Errorf("status %s, findings %s", res.Status, codes(res))
	}
}
