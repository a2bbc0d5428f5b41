package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// This file asks a zone's authoritative servers directly, each on its own,
// bypassing every cache: what `emailauth wait` and `check --authoritative`
// need to see propagation as it happens. A recursive resolver (and the run's
// Cache) shows one server's view, at some past moment; the servers of a zone
// disagree while a change propagates, and a lame server answers nothing at
// all.

// ErrNotAuthoritative is wrapped by the *Error of an answer that did not
// come with the AA bit (a referral, or a server that is not authoritative
// for the zone): a lame server, for the zone asked.
var ErrNotAuthoritative = errors.New("the server is not authoritative for the name (no AA bit: a lame server)")

// maxNameServers bounds the NS set used: a zone with more is served by
// the first ones (in name order).
const maxNameServers = 16

// maxZoneWalk bounds the labels FindZone walks up.
const maxZoneWalk = 16

// FindZone returns the apex of the zone that holds name: name itself or its
// closest ancestor that owns an SOA record, asked through r. An NXDOMAIN
// for name is not an error (the zone is still found above it); a DNS failure
// is.
func FindZone(ctx context.Context, r Resolver, name string) (string, error) {
	if err := CheckQueryName(name); err != nil {
		return "", err
	}
	n := CanonicalName(name)
	for i := 0; i < maxZoneWalk && n != ""; i++ {
		a, err := r.Query(ctx, n, TypeSOA)
		if err != nil {
			return "", err
		}
		for _, rec := range a.Records {
			if rec.Type == TypeSOA && rec.Name == n {
				return n, nil
			}
		}
		dot := strings.IndexByte(n, '.')
		if dot < 0 {
			break
		}
		n = n[dot+1:]
	}
	return "", fmt.Errorf("dns: no zone found for %s: neither it nor an ancestor has an SOA record", name)
}

// NameServer is one authoritative server of a zone.
type NameServer struct {
	// Name is the host name of the NS record; empty for a server given by
	// its address only.
	Name string `json:"name,omitempty"`
	// Addrs are the addresses to ask, as "ip:port".
	Addrs []string `json:"addresses"`
	// Error says why the server's addresses could not be found.
	Error string `json:"error,omitempty"`
}

// String names the server for people: its host name, else its address.
func (s NameServer) String() string {
	if s.Name != "" {
		return s.Name
	}
	if len(s.Addrs) > 0 {
		return s.Addrs[0]
	}
	return "?"
}

// NSOptions tune LookupNameServers.
type NSOptions struct {
	// Port is the port the servers are asked on ("53" when empty).
	Port string
	// Addrs gives the addresses of some servers by host name ("ip" or
	// "ip:port"), instead of asking their A and AAAA records: a provider's
	// servers before the delegation is switched, or tests.
	Addrs map[string][]string
}

// LookupNameServers returns zone's NS set, sorted by name, with each
// server's addresses (A and AAAA records, asked through r). A server whose
// addresses cannot be found is returned with Error set. The error is non-nil
// when the NS set itself cannot be read; an empty NS set is an error too.
func LookupNameServers(ctx context.Context, r Resolver, zone string, opts NSOptions) ([]NameServer, error) {
	z := CanonicalName(zone)
	a, err := r.Query(ctx, z, TypeNS)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, rec := range a.Records {
		if rec.Type == TypeNS && rec.Target != "" && rec.Target != "." && !clientContains(names, rec.Target) {
			names = append(names, rec.Target)
		}
	}
	if len(names) == 0 {
		what := "no NS records"
		if a.NXDomain() {
			what = "the name does not exist (NXDOMAIN)"
		}
		return nil, fmt.Errorf("dns: %s has %s: no authoritative server to ask", z, what)
	}
	sort.Strings(names)
	if len(names) > maxNameServers {
		names = names[:maxNameServers]
	}
	port := opts.Port
	if port == "" {
		port = "53"
	}
	out := make([]NameServer, 0, len(names))
	for _, n := range names {
		ns := NameServer{Name: n}
		if given, ok := opts.Addrs[n]; ok {
			for _, g := range given {
				ns.Addrs = append(ns.Addrs, withPort(g, port))
			}
			out = append(out, ns)
			continue
		}
		var errs []string
		for _, t := range []uint16{TypeA, TypeAAAA} {
			ans, err := r.Query(ctx, n, t)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			for _, ip := range ans.IPs() {
				ns.Addrs = append(ns.Addrs, net.JoinHostPort(ip.String(), port))
			}
		}
		if len(ns.Addrs) == 0 {
			if len(errs) > 0 {
				ns.Error = strings.Join(errs, "; ")
			} else {
				ns.Error = fmt.Sprintf("%s has no A or AAAA record", n)
			}
		}
		out = append(out, ns)
	}
	return out, nil
}

// withPort adds port to an address that has none.
func withPort(addr, port string) string {
	if ip, err := netip.ParseAddr(addr); err == nil {
		return net.JoinHostPort(ip.String(), port)
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(addr, port)
}

// AuthClient asks authoritative servers directly: one server per question,
// recursion not desired, no cache. It is safe for concurrent use.
type AuthClient struct {
	// Timeout bounds one attempt (2s when 0).
	Timeout time.Duration
	// Retries is how many times a question that timed out is asked again
	// (0: none).
	Retries int
	// TCP asks over TCP only.
	TCP bool
	// Trace, if set, gets a line per query and per reply (-vv).
	Trace func(line string)
}

// AuthAnswer is one authoritative server's answer.
type AuthAnswer struct {
	*Answer
	// Authoritative is the AA bit.
	Authoritative bool `json:"authoritative"`
	// SOA is the serial of the zone's SOA in the reply's authority section
	// (NXDOMAIN and NODATA answers carry it), or in the answer for an SOA
	// question; 0 when absent.
	Serial uint32 `json:"serial,omitempty"`
}

// Ask sends one question to the server at addr ("ip:port") and returns its
// answer. A reply without the AA bit is returned with an *Error wrapping
// ErrNotAuthoritative; SERVFAIL, REFUSED and the like are *Errors with the
// RCODE; a server that does not answer gives an *Error wrapping ErrTimeout.
func (c *AuthClient) Ask(ctx context.Context, addr, name string, qtype uint16) (*AuthAnswer, error) {
	if err := CheckQueryName(name); err != nil {
		return nil, err
	}
	n := CanonicalName(name)
	m := new(mdns.Msg)
	m.SetQuestion(n+".", qtype)
	m.RecursionDesired = false
	m.SetEdns0(clientDefaultUDPSize, false)
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = clientDefaultTimeout
	}
	q := &clientQuery{name: n, fqdn: n + ".", qtype: qtype}
	network := "udp"
	if c.TCP {
		network = "tcp"
	}
	var resp *mdns.Msg
	var err error
	src := network + "://" + addr
	for attempt := 0; attempt <= max(c.Retries, 0); attempt++ {
		resp, src, err = c.exchange(ctx, m, q, network, addr, timeout)
		if err == nil && resp.Truncated && network == "udp" {
			resp, src, err = c.exchange(ctx, m, q, "tcp", addr, timeout)
		}
		if err == nil || !errors.Is(err, ErrTimeout) {
			break
		}
	}
	if err != nil {
		return nil, &Error{Name: n, Type: qtype, Server: src, RCode: -1, Err: err}
	}
	switch resp.Rcode {
	case mdns.RcodeSuccess, mdns.RcodeNameError:
	default:
		return nil, &Error{Name: n, Type: qtype, Server: src, RCode: resp.Rcode}
	}
	ans, err := clientDecode(resp, n, qtype, src)
	if err != nil {
		return nil, err // a CNAME loop or an over-long chain in the answer
	}
	out := &AuthAnswer{Answer: ans, Authoritative: resp.Authoritative}
	for _, sec := range [][]mdns.RR{resp.Answer, resp.Ns} {
		for _, rr := range sec {
			if soa, ok := rr.(*mdns.SOA); ok && out.Serial == 0 {
				out.Serial = soa.Serial
			}
		}
	}
	if !resp.Authoritative {
		return out, &Error{Name: n, Type: qtype, Server: src, RCode: -1, Err: ErrNotAuthoritative}
	}
	return out, nil
}

func (c *AuthClient) exchange(ctx context.Context, m *mdns.Msg, q *clientQuery, network, addr string, timeout time.Duration) (*mdns.Msg, string, error) {
	src := network + "://" + addr
	cl := &mdns.Client{Net: network, Timeout: timeout, UDPSize: clientDefaultUDPSize}
	msg := m.Copy()
	msg.Id = mdns.Id()
	if c.Trace != nil {
		c.Trace(fmt.Sprintf("query %s id=%d %s %s (authoritative, no recursion)", src, msg.Id, q.fqdn, TypeString(q.qtype)))
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, rtt, err := cl.ExchangeContext(actx, msg, addr)
	if err != nil {
		err = clientNetErr(ctx, err)
		if errors.Is(err, context.DeadlineExceeded) {
			err = ErrTimeout
		}
		if c.Trace != nil {
			c.Trace(fmt.Sprintf("no reply %s id=%d %s %s: %v", src, msg.Id, q.fqdn, TypeString(q.qtype), err))
		}
		return nil, src, err
	}
	if !clientMatches(resp, q) {
		return nil, src, errClientMismatch
	}
	if c.Trace != nil {
		c.Trace(fmt.Sprintf("reply %s id=%d %s %s %s%s answers=%d %s", src, msg.Id, q.fqdn, TypeString(q.qtype),
			RcodeString(resp.Rcode), clientFlags(resp), len(resp.Answer), rtt.Round(10*time.Microsecond)))
	}
	return resp, src, nil
}

// ServerResolver returns a Resolver that asks the server at addr, directly
// and without a cache, every question about zone (names at or below its
// apex), and next every other question: the targets of includes and of
// CNAMEs that leave the zone. An answer from addr without the AA bit is an
// error (ErrNotAuthoritative). Wrap it in a Cache for the length of one
// look at the server.
func (c *AuthClient) ServerResolver(addr, zone string, next Resolver) Resolver {
	return &serverResolver{c: c, addr: addr, zone: CanonicalName(zone), next: next}
}

type serverResolver struct {
	c    *AuthClient
	addr string
	zone string
	next Resolver
}

// InZone reports whether name is zone or below it.
func InZone(name, zone string) bool {
	n, z := CanonicalName(name), CanonicalName(zone)
	return n == z || strings.HasSuffix(n, "."+z)
}

func (s *serverResolver) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	if !InZone(name, s.zone) {
		if s.next == nil {
			return nil, &Error{Name: CanonicalName(name), Type: qtype, RCode: -1, Err: errors.New("outside the zone, and no resolver to ask")}
		}
		return s.next.Query(ctx, name, qtype)
	}
	a, err := s.c.Ask(ctx, s.addr, name, qtype)
	if err != nil {
		return nil, err
	}
	ans := a.Answer
	// A CNAME that leaves the zone: the server answers with the alias
	// only; the rest of the chain is someone else's.
	if len(ans.Records) == 0 && len(ans.CNAMEs) > 0 && qtype != TypeCNAME {
		last := ans.CNAMEs[len(ans.CNAMEs)-1]
		if !InZone(last, s.zone) && s.next != nil {
			b, err := s.next.Query(ctx, last, qtype)
			if b == nil {
				return nil, err
			}
			merged := *ans
			merged.CNAMEs = append(append([]string(nil), ans.CNAMEs...), b.CNAMEs...)
			merged.Records = b.Records
			merged.RCode = b.RCode
			return &merged, err
		}
	}
	return ans, nil
}

// Probe finds the address at which ns answers for zone: each address is
// asked the zone's SOA in turn, and the first that answers authoritatively
// is returned with the SOA serial. The error is that of the last address
// tried: a timeout, a refusal, ErrNotAuthoritative (a lame server), or an
// error saying the server has no address.
func (c *AuthClient) Probe(ctx context.Context, ns NameServer, zone string) (addr string, serial uint32, err error) {
	if len(ns.Addrs) == 0 {
		msg := ns.Error
		if msg == "" {
			msg = "no address"
		}
		return "", 0, &Error{Name: CanonicalName(zone), Type: TypeSOA, Server: ns.Name, RCode: -1, Err: errors.New(msg)}
	}
	for _, a := range ns.Addrs {
		ans, e := c.Ask(ctx, a, zone, TypeSOA)
		if e == nil {
			if len(ans.Records) == 0 {
				e = &Error{Name: CanonicalName(zone), Type: TypeSOA, Server: a, RCode: -1, Err: ErrNotAuthoritative}
			} else {
				return a, ans.Serial, nil
			}
		}
		addr, err = a, e
		if ctx.Err() != nil {
			break
		}
	}
	return addr, 0, err
}
