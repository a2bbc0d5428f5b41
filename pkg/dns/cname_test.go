package dns_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

// cnameZone holds a loop, a chain of 17 aliases, one of 16, and (for the
// backends that accept it) a CNAME beside other data.
func cnameZone() string {
	var b strings.Builder
	b.WriteString("$ORIGIN chain.test.\n@ 300 IN SOA ns hm 1 2 3 4 5\n@ 300 IN NS ns\nns 300 IN A 192.0.2.53\n")
	b.WriteString("loop1 300 IN CNAME loop2\nloop2 300 IN CNAME loop3\nloop3 300 IN CNAME loop1\n")
	for i := 0; i < 17; i++ {
		b.WriteString("c" + itoaS(i) + " 300 IN CNAME c" + itoaS(i+1) + "\n")
	}
	b.WriteString("c17 300 IN TXT \"end\"\n")
	return b.String()
}

func itoaS(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return d[i/10:i/10+1] + d[i%10:i%10+1]
}

// cnameBackends returns every Resolver of the package answering cnameZone.
func cnameBackends(t *testing.T) map[string]dns.Resolver {
	t.Helper()
	text := cnameZone()
	z, err := dns.ParseZone(strings.NewReader(text), "chain.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	fake := dnstest.NewFake(text)
	srv := dnstest.NewServer(t, text)
	c, err := dns.NewClient(dns.ClientConfig{Servers: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	zsrv := dnstest.NewServerFor(t, z)
	zc, err := dns.NewClient(dns.ClientConfig{Servers: []string{zsrv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]dns.Resolver{
		"Zone":                 z,
		"Chain offline":        dns.NewChain(z, nil),
		"Cache over Zone":      dns.NewCache(z),
		"Fake":                 fake,
		"Cache over Fake":      dns.NewCache(fake),
		"Client over Server":   c,
		"Client over Zone":     zc,
		"Chain to the network": dns.NewChain(&dns.Zone{}, c),
	}
}

// TestCNAMEChainErrorsAllBackends: every backend reports a CNAME loop and an
// over-long chain the same way: an error that is neither temporary nor
// NXDOMAIN/NODATA, with the chain beside it.
func TestCNAMEChainErrorsAllBackends(t *testing.T) {
	ctx := context.Background()
	for name, r := range cnameBackends(t) {
		t.Run(name, func(t *testing.T) {
			for range 2 { // twice: a Cache answers the second from memory
				a, err := r.Query(ctx, "loop1.chain.test", dns.TypeTXT)
				if !errors.Is(err, dns.ErrCNAMELoop) || dns.IsTemporary(err) || !dns.IsCNAMEChainError(err) {
					t.Fatalf("loop: err = %v, want ErrCNAMELoop, not temporary", err)
				}
				var de *dns.Error
				if !errors.As(err, &de) || de.Name != "loop1.chain.test" {
					t.Errorf("loop: err %T %v, want a *dns.Error for the name asked", err, err)
				}
				if !strings.Contains(err.Error(), "CNAME loop: loop1.chain.test -> loop2.chain.test -> loop3.chain.test -> loop1.chain.test") {
					t.Errorf("loop: error %q", err)
				}
				if a == nil || a.Void() || a.RCode != dns.RcodeServFail || !reflect.DeepEqual(a.CNAMEs, []string{"loop2.chain.test", "loop3.chain.test", "loop1.chain.test"}) {
					t.Errorf("loop: answer %+v", a)
				}
			}
			a, err := r.Query(ctx, "c0.chain.test", dns.TypeTXT)
			if !errors.Is(err, dns.ErrCNAMEChainTooLong) || dns.IsTemporary(err) {
				t.Fatalf("17 aliases: err = %v, want ErrCNAMEChainTooLong", err)
			}
			if a == nil || a.Void() || len(a.CNAMEs) != 17 {
				t.Errorf("17 aliases: answer %+v", a)
			}
			a, err = r.Query(ctx, "c1.chain.test", dns.TypeTXT)
			if err != nil || len(a.CNAMEs) != 16 || !reflect.DeepEqual(a.TXT(), []string{"end"}) {
				t.Errorf("16 aliases: %v %+v", err, a)
			}
		})
	}
}

// TestCNAMEAndOtherDataFlagged: a live answer showing a CNAME beside other
// data at one name is flagged, by the Fake, the Server and the Client alike.
func TestCNAMEAndOtherDataFlagged(t *testing.T) {
	text := "apex.test. 300 IN CNAME elsewhere.test.\napex.test. 300 IN TXT \"v=spf1 -all\"\nelsewhere.test. 300 IN TXT \"other\"\nplain.test. 300 IN TXT \"x\"\n"
	fake := dnstest.NewFake(text)
	srv := dnstest.NewServer(t, text)
	c, err := dns.NewClient(dns.ClientConfig{Servers: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, r := range map[string]dns.Resolver{"Fake": fake, "Client over Server": c, "Cache": dns.NewCache(c)} {
		a, err := r.Query(ctx, "apex.test", dns.TypeTXT)
		if err != nil || !reflect.DeepEqual(a.CNAMEAndOtherData, []string{"apex.test"}) {
			t.Errorf("%s: %v, flagged %q, want [apex.test]", name, err, a.CNAMEAndOtherData)
		}
		if a, err := r.Query(ctx, "plain.test", dns.TypeTXT); err != nil || a.CNAMEAndOtherData != nil {
			t.Errorf("%s: plain name: %v %+v", name, err, a)
		}
	}
}

// TestZoneNotCovered: offline, a name no zone file is authoritative for is
// flagged; names the files cover are not.
func TestZoneNotCovered(t *testing.T) {
	z, err := dns.ParseZone(strings.NewReader("$ORIGIN tenant.test.\n@ 300 IN SOA ns hm 1 2 3 4 5\n@ 300 IN TXT \"v=spf1 include:_spf.provider.example -all\"\nout 300 IN CNAME host.provider.example.\n"), "t.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range []dns.Resolver{z, dns.NewChain(z, nil), dns.NewCache(dns.NewChain(z, nil))} {
		for name, want := range map[string]bool{
			"tenant.test":           false,
			"nope.tenant.test":      false, // NXDOMAIN the zone decides
			"_spf.provider.example": true,
			"out.tenant.test":       true, // the chain leaves the zone
			"test":                  true,
		} {
			a, err := r.Query(ctx, name, dns.TypeTXT)
			if err != nil || a.NotCovered != want {
				t.Errorf("%T %s: %v, NotCovered %v, want %v", r, name, err, a.NotCovered, want)
			}
		}
	}
}

// TestChainCNAMEAcrossZoneAndNetwork: the chain's bounds hold for the whole
// chain, part in a zone file and part on the network.
func TestChainCNAMEAcrossZoneAndNetwork(t *testing.T) {
	var zone, net strings.Builder
	zone.WriteString("$ORIGIN mix.test.\n@ 300 IN SOA ns hm 1 2 3 4 5\n")
	for i := 0; i < 8; i++ {
		zone.WriteString("m" + itoaS(i) + " 300 IN CNAME m" + itoaS(i+1) + "\n")
	}
	zone.WriteString("m8 300 IN CNAME f0.far.test.\nshort 300 IN CNAME f8.far.test.\nx 300 IN CNAME y.far.test.\n")
	for i := 0; i < 9; i++ {
		net.WriteString("f" + itoaS(i) + ".far.test. 300 IN CNAME f" + itoaS(i+1) + ".far.test.\n")
	}
	net.WriteString("f9.far.test. 300 IN TXT \"end\"\ny.far.test. 300 IN CNAME x.mix.test.\nx.mix.test. 300 IN CNAME y.far.test.\n")
	z, err := dns.ParseZone(strings.NewReader(zone.String()), "mix.zone", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := dnstest.NewServer(t, net.String())
	c, err := dns.NewClient(dns.ClientConfig{Servers: []string{srv.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	r := dns.NewChain(z, c)
	ctx := context.Background()
	// m0: 8 aliases in the zone, 10 on the network: 18.
	a, err := r.Query(ctx, "m0.mix.test", dns.TypeTXT)
	if !errors.Is(err, dns.ErrCNAMEChainTooLong) || a == nil || len(a.CNAMEs) != 17 || a.Void() {
		t.Errorf("18 aliases: %v %+v", err, a)
	}
	// short: 1 alias in the zone, 1 on the network.
	if a, err := r.Query(ctx, "short.mix.test", dns.TypeTXT); err != nil || !reflect.DeepEqual(a.TXT(), []string{"end"}) || len(a.CNAMEs) != 2 || a.CNAMEAndOtherData != nil {
		t.Errorf("2 aliases: %v %+v", err, a)
	}
	// x -> y.far.test -> x.mix.test (the network's copy) -> y.far.test.
	a, err = r.Query(ctx, "x.mix.test", dns.TypeTXT)
	if !errors.Is(err, dns.ErrCNAMELoop) || dns.IsTemporary(err) || a == nil || a.Void() || !strings.Contains(err.Error(), "x.mix.test -> y.far.test -> x.mix.test") {
		t.Errorf("loop across: %v %+v", err, a)
	}
}
