package mtasts

import (
	"context"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

func BenchmarkParseRecord(b *testing.B) {
	for b.Loop() {
		if _, err := ParseRecord("v=STSv1; id=20160831085700Z;"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePolicy(b *testing.B) {
	body := []byte("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParsePolicy(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchMX(b *testing.B) {
	for b.Loop() {
		if !MatchMX("*.example.net", "MX1.Example.NET.") {
			b.Fatal("no match")
		}
	}
}

// BenchmarkCheckOffline is the DNS part of the check against an in-memory
// resolver: what a bulk offline run pays per domain.
func BenchmarkCheckOffline(b *testing.B) {
	f := dnstest.NewFake(goodZone)
	ctx := context.Background()
	// Answers are memoised so that the Fake's record of questions does not
	// grow with b.N.
	memo := map[string]*dns.Answer{}
	r := dns.ResolverFunc(func(ctx context.Context, name string, t uint16) (*dns.Answer, error) {
		k := name + "/" + dns.TypeString(t)
		if a, ok := memo[k]; ok {
			return a, nil
		}
		a, err := f.Query(ctx, name, t)
		if err == nil {
			memo[k] = a
		}
		return a, err
	})
	for b.Loop() {
		if res := Check(ctx, r, nil, "example.test", nil, fixed); res.Status != finding.StatusWarn {
			b.Fatal(res.Status)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"v=STSv1; id=20160831085700Z;", "v=STSv1;id=a;ext=b", "v=STSv1", "id=1; v=STSv1", "v=STSv1 ;; id=x ;", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec, err := ParseRecord(s)
		if rec == nil {
			t.Fatal("nil record")
		}
		if err == nil {
			if !validID(rec.ID) {
				t.Fatalf("valid record with bad id %q", rec.ID)
			}
			again, err := ParseRecord(rec.String())
			if err != nil || again.ID != rec.ID || len(again.Extensions) != len(rec.Extensions) {
				t.Fatalf("%q: String() %q does not parse back: %v", s, rec.String(), err)
			}
		} else if err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
		"version: STSv1\nmode: none\nmax_age: 86400",
		"version: STSv1\nmode: testing\nmx: a.example\nmax_age: 1\nx: y\n\n",
		"garbage", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParsePolicy(body)
		if p == nil {
			t.Fatal("nil policy")
		}
		if err != nil {
			return
		}
		if p.MaxAge < 0 || p.MaxAge > MaxMaxAge {
			t.Fatalf("valid policy with max_age %d", p.MaxAge)
		}
		again, err := ParsePolicy([]byte(p.String()))
		if err != nil || again.Mode != p.Mode || again.MaxAge != p.MaxAge || len(again.MX) != len(p.MX) {
			t.Fatalf("String() %q does not parse back: %v", p.String(), err)
		}
	})
}
