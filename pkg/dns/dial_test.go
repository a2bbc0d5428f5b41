package dns_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/penguinmails/emailauth/pkg/dns"
	"github.com/penguinmails/emailauth/pkg/dns/dnstest"
)

func TestDialerResolvesThroughResolver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("hello"))
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := dnstest.NewFake(`svc.example.test. A 127.0.0.1`)
	d := &dns.Dialer{Resolver: r}
	c, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort("svc.example.test", port))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := c.Read(buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read %q, %v", buf, err)
	}
	c.Close()
	if got := strings.Join(r.Asked(), ","); got != "svc.example.test A,svc.example.test AAAA" {
		t.Errorf("asked %s", got)
	}

	_, err = d.DialContext(context.Background(), "tcp", "missing.example.test:443")
	if err == nil || !strings.Contains(err.Error(), "has no A or AAAA record") {
		t.Errorf("missing host: %v", err)
	}
	r.Timeout("slow.example.test", 0)
	if _, err := d.DialContext(context.Background(), "tcp", "slow.example.test:443"); !dns.IsTimeout(err) {
		t.Errorf("timeout: %v", err)
	}
}
