package check

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func TestSTARTTLSCouldNotConnectIsError(t *testing.T) {
	r := dnstest.NewFake(`d.test. MX 10 mx1.d.test.`, `mx1.d.test. A 192.0.2.1`)
	var dialed []string
	c, err := New(r, Options{Checks: []string{CheckSTARTTLS}, SMTPDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return nil, errors.New("connection refused")
	}})
	if err != nil {
		t.Fatal(err)
	}
	res := c.CheckDomain(context.Background(), "d.test").Checks[0]
	if res.Status != StatusError || !strings.Contains(res.Error, "could not check mx1.d.test") {
		t.Errorf("status %s, error %q; want error (could not check), never fail", res.Status, res.Error)
	}
	if len(dialed) != 1 || !strings.HasSuffix(dialed[0], ":25") {
		t.Errorf("dialed %v", dialed)
	}
	if len(res.Details.(*STARTTLSDetails).Probes) != 1 {
		t.Errorf("details %+v", res.Details)
	}
}

func TestSTARTTLSSkips(t *testing.T) {
	never := func(context.Context, string, string) (net.Conn, error) {
		t.Error("dialed")
		return nil, errors.New("no")
	}
	for name, tc := range map[string]struct {
		zone    string
		offline bool
		want    string
	}{
		"null MX": {`d.test. MX 0 .`, false, "no MX host"},
		"offline": {`d.test. MX 10 mx1.d.test.`, true, "offline"},
	} {
		c, _ := New(dnstest.NewFake(tc.zone), Options{Checks: []string{CheckSTARTTLS}, Offline: tc.offline, SMTPDial: never})
		res := c.CheckDomain(context.Background(), "d.test").Checks[0]
		if res.Status != StatusSkip || !strings.Contains(res.Error, tc.want) {
			t.Errorf("%s: status %s, %q", name, res.Status, res.Error)
		}
	}
}
