package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Dialer connects to host:port after resolving host through a Resolver, so
// that HTTPS fetches (MTA-STS policies) and SMTP probes see the same DNS as
// every other check: zone files, --offline, the cache.
type Dialer struct {
	Resolver Resolver
	// Dial connects to one resolved address; a zero net.Dialer's when nil.
	// Tests use it to send every connection to a local server.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DialContext resolves the host of addr (AAAA and A; an address literal is
// used as it is) and connects to each address in turn until one answers.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dns: dial %s: %w", addr, err)
	}
	dial := d.Dial
	if dial == nil {
		var nd net.Dialer
		dial = nd.DialContext
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return dial(ctx, network, net.JoinHostPort(ip.String(), port))
	}
	// One address family failing is not fatal when the other answers.
	var addrs []netip.Addr
	var firstErr error
	for _, t := range []uint16{TypeA, TypeAAAA} {
		if (network == "tcp4" && t == TypeAAAA) || (network == "tcp6" && t == TypeA) {
			continue
		}
		a, err := d.Resolver.Query(ctx, host, t)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		addrs = append(addrs, a.IPs()...)
	}
	if len(addrs) == 0 {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("dns: dial %s: %s has no A or AAAA record", addr, host)
	}
	var errs []error
	for _, ip := range addrs {
		c, err := dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dns: dial %s (%d addresses): %w", addr, len(addrs), errors.Join(errs...))
}
