package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
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
		DialContext:         (&dns.Dialer{Resolver: r, Dial: opts.Dial}).DialContext,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
