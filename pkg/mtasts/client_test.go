package mtasts

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
	"github.com/penguinmails/emailauth/pkg/finding"
)

// TestNewClient checks that the policy host is resolved through the
// Resolver, and the fetch goes to the address it gave.
func TestNewClient(t *testing.T) {
	ps := newPolicyServer(t)
	ps.set("mta-sts.example.test", route{contentType: "text/plain", body: policyBody("version: STSv1", "mode: enforce", "mx: *.example.test", "max_age: 604800")})
	srvAddr := ps.srv.Listener.Addr().String()
	var dialed []string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		if addr != "192.0.2.10:443" {
			return nil, errors.New("unexpected address " + addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, srvAddr)
	}
	f := dnstest.NewFake(goodZone)
	client := NewClient(f, ClientOptions{RootCAs: ps.ca.pool, Dial: dial})
	res := Check(context.Background(), f, client, "example.test", nil, fixed)
	if res.Status != finding.StatusPass || !res.PolicyValid {
		t.Fatalf("status %s findings %v", res.Status, res.Findings)
	}
	if strings.Join(dialed, ",") != "192.0.2.10:443" {
		t.Errorf("dialed %v", dialed)
	}
	asked := strings.Join(f.Asked(), ",")
	if !strings.Contains(asked, "mta-sts.example.test A") {
		t.Errorf("the policy host was not resolved through the resolver: %s", asked)
	}

	// A resolver failure is "could not fetch", not a misconfiguration.
	f.ServFail("mta-sts.example.test", 0)
	_, err := FetchPolicy(context.Background(), client, "example.test")
	var fe *FetchError
	if !errors.As(err, &fe) || !fe.Unreachable || !dns.IsTemporary(err) {
		t.Errorf("err = %v", err)
	}
}
