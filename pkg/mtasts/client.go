package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// ClientOptions tune NewClient.
type ClientOptions struct {
	// RootCAs verifies the policy host's certificate; nil means the system
	// roots.
	RootCAs *x509.CertPool
	// Timeout bounds each fetch; 0 means DefaultFetchTimeout.
	Timeout time.Duration
	// Dial opens TCP connections to the resolved addresses; nil means a
	// net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewClient returns an HTTP client for FetchPolicy that resolves host names
// through r (so zone files and the resolver flags apply to the policy host
// too), verifies certificates against opts.RootCAs, follows no redirects,
// uses no proxy and keeps no connections alive between fetches.
func NewClient(r dns.Resolver, opts ClientOptions) *http.Client {
	dial := opts.Dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = DefaultFetchTimeout
	}
	tr := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		DisableKeepAlives:   true,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: timeout,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip, err := netip.ParseAddr(host); err == nil {
				return dial(ctx, network, net.JoinHostPort(ip.String(), port))
			}
			ips, err := resolve(ctx, r, host)
			if err != nil {
				return nil, err
			}
			var errs []error
			for _, ip := range ips {
				c, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
				if err == nil {
					return c, nil
				}
				errs = append(errs, err)
			}
			return nil, errors.Join(errs...)
		},
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// resolve returns the IPv4 then IPv6 addresses of host, through r.
func resolve(ctx context.Context, r dns.Resolver, host string) ([]netip.Addr, error) {
	var ips []netip.Addr
	var firstErr error
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		ans, err := r.Query(ctx, host, t)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ips = append(ips, ans.IPs()...)
	}
	if len(ips) == 0 {
		if firstErr != nil {
			return nil, fmt.Errorf("mta-sts: resolving %s: %w", host, firstErr)
		}
		return nil, fmt.Errorf("mta-sts: %s has no A or AAAA record", host)
	}
	return ips, nil
}
