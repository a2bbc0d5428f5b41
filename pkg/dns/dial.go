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
	// Dialer makes the connections; a zero net.Dialer when nil.
	Dialer *net.Dialer
}

// DialContext resolves the host of addr (AAAA and A; an address literal is
// used as it is) and connects to each address in turn until one answers.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dns: dial %s: %w", addr, err)
	}
	nd := d.Dialer
	if nd == nil {
		nd = &net.Dialer{}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return nd.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
	}
	var addrs []netip.Addr
	for _, t := range []uint16{TypeA, TypeAAAA} {
		if (network == "tcp4" && t == TypeAAAA) || (network == "tcp6" && t == TypeA) {
			continue
		}
		a, err := d.Resolver.Query(ctx, host, t)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, a.IPs()...)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("dns: dial %s: %s has no A or AAAA record", addr, host)
	}
	var errs []error
	for _, ip := range addrs {
		c, err := nd.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
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
