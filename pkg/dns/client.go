package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mdns "github.com/miekg/dns"
)

// Defaults of ClientConfig.
const (
	clientDefaultTimeout     = 2 * time.Second
	clientDefaultRetries     = 2
	clientDefaultMaxInFlight = 64
	// 1232 octets is the EDNS buffer size agreed at DNS Flag Day 2020: it
	// avoids IP fragmentation on any path with an MTU of 1280 or more.
	clientDefaultUDPSize = 1232
	// clientBackoff is the pause before the second round of attempts; it
	// doubles each round, up to clientMaxBackoff, with jitter.
	clientBackoff    = 50 * time.Millisecond
	clientMaxBackoff = time.Second
)

// ClientConfig configures a Client. The zero value of each field but Servers
// means its default.
type ClientConfig struct {
	// Servers are the recursive resolvers to ask, as "host:port" (see
	// ParseServer; a bare IP address gets port 53). They are tried in order:
	// the second one is asked when the first fails to answer usably.
	Servers []string
	// Timeout bounds each attempt (one query sent to one server, and its
	// TCP retry after a truncated answer has a Timeout of its own). Default
	// 2s. The overall deadline is the context's.
	Timeout time.Duration
	// Retries is the number of further rounds over all servers after the
	// first one fails. 0 means the default, 2; a negative value means no
	// retry (one round).
	Retries int
	// TCP sends every query over TCP rather than UDP.
	TCP bool
	// MaxInFlight bounds the queries in flight on the network at once
	// (queries beyond wait for a slot). Default 64.
	MaxInFlight int
	// UDPSize is the EDNS0 buffer size advertised. Default 1232.
	UDPSize uint16
	// Trace, if set, is called with one line per query sent and one per
	// reply (or failure to get one), for -vv output; lines have no "dns:"
	// prefix. It may be called from several goroutines at once.
	Trace func(line string)
}

// Client is a Resolver that asks recursive resolvers over UDP and TCP.
//
// Each query asks for recursion, carries EDNS0 with the configured buffer
// size and the DO bit (so a validating resolver reports the AD bit), and
// goes out from a fresh socket with a random ID. A reply whose ID or question
// does not match the query is ignored, as is one that cannot be parsed; a
// truncated UDP reply is retried over TCP. A server that times out, fails
// (SERVFAIL) or refuses (REFUSED, NOTIMP) is passed over for the next one, in
// up to 1+Retries rounds with a growing pause between rounds (a server that
// refused is not asked again for that question). A server that answers
// FORMERR to a query with EDNS0 is asked again without it.
//
// It is safe for concurrent use.
type Client struct {
	servers []string
	targets []clientTarget // the servers, parsed
	timeout time.Duration
	retries int
	tcp     bool
	udpSize uint16
	trace   func(string)
	sem     chan struct{}
	dialer  net.Dialer

	sent, tcpSent, truncated, timeouts, failures atomic.Int64
}

// NewClient returns a Client for cfg. It fails if no server is given or a
// server address is malformed.
func NewClient(cfg ClientConfig) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("dns: no resolver given; name at least one server address (such as 192.0.2.53:53)")
	}
	c := &Client{
		timeout: cfg.Timeout,
		retries: cfg.Retries,
		tcp:     cfg.TCP,
		udpSize: cfg.UDPSize,
		trace:   cfg.Trace,
	}
	for _, s := range cfg.Servers {
		addr, err := clientServerAddr(s)
		if err != nil {
			return nil, err
		}
		c.servers = append(c.servers, addr)
		c.targets = append(c.targets, newClientTarget(addr))
	}
	if c.timeout <= 0 {
		c.timeout = clientDefaultTimeout
	}
	switch {
	case c.retries == 0:
		c.retries = clientDefaultRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.udpSize == 0 {
		c.udpSize = clientDefaultUDPSize
	}
	if c.udpSize < mdns.MinMsgSize {
		c.udpSize = mdns.MinMsgSize
	}
	n := cfg.MaxInFlight
	if n <= 0 {
		n = clientDefaultMaxInFlight
	}
	c.sem = make(chan struct{}, n)
	return c, nil
}

// clientTarget is a server to ask. When the address is an IP literal, it
// is parsed once, saving the work on every query.
type clientTarget struct {
	addr           string
	udp            *net.UDPAddr // nil for a host name
	udpSrc, tcpSrc string       // Source for an IP literal
}

func newClientTarget(addr string) clientTarget {
	t := clientTarget{addr: addr}
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		t.udp = net.UDPAddrFromAddrPort(ap)
		t.udpSrc = "udp://" + t.udp.String()
		t.tcpSrc = "tcp://" + t.udp.String()
	}
	return t
}

// source names the server for Answer.Source and Error.Server.
func (t *clientTarget) source(network string) string {
	switch {
	case t.udp == nil:
		return network + "://" + t.addr
	case network == "tcp":
		return t.tcpSrc
	default:
		return t.udpSrc
	}
}

// clientServerAddr accepts what ParseServer accepts and, besides, any
// "host:port" with a valid port (a single-label host name such as a
// container's service name is fine in a library call).
func clientServerAddr(s string) (string, error) {
	if h, p, err := net.SplitHostPort(s); err == nil && h != "" && serverCheckPort(p) == nil {
		return s, nil
	}
	return ParseServer(s)
}

// Servers returns the server addresses asked, as "host:port".
func (c *Client) Servers() []string { return append([]string(nil), c.servers...) }

// Stats returns the counters of what the client sent.
func (c *Client) Stats() Stats {
	return Stats{
		Sent:      c.sent.Load(),
		TCP:       c.tcpSent.Load(),
		Truncated: c.truncated.Load(),
		Timeouts:  c.timeouts.Load(),
		Failures:  c.failures.Load(),
	}
}

// clientQuery is one question being asked.
type clientQuery struct {
	name   string // canonical
	fqdn   string
	qtype  uint16
	wire   []byte // the query with EDNS0, ID to be patched
	noEDNS []byte // the query without EDNS0, packed on first need
}

// clientOutcome collects the failures of the attempts, to report the most
// useful one when no attempt succeeds.
type clientOutcome struct {
	servFail    *Answer // the last SERVFAIL answer
	servFailSrc string
	rcode       int // the last other refusing RCODE, -1 if none
	rcodeSrc    string
	timedOut    []string // servers that timed out, each once
	netErr      error    // the last network error
	netErrSrc   string
}

// Query implements Resolver.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	if err := CheckQueryName(name); err != nil {
		return nil, err
	}
	q := &clientQuery{name: CanonicalName(name), qtype: qtype}
	q.fqdn = q.name + "."
	if err := ctx.Err(); err != nil {
		return nil, &Error{Name: q.name, Type: qtype, RCode: -1, Err: err}
	}
	wire, err := clientPack(q.fqdn, qtype, c.udpSize, true)
	if err != nil {
		return nil, &NameError{Name: name, Reason: fmt.Sprintf("it cannot be encoded in a query (%v)", err)}
	}
	q.wire = wire

	out := clientOutcome{rcode: -1}
	var struck []bool // servers that refused this question
	var noEDNS []bool // servers that do not understand EDNS0
	for round := 0; round <= c.retries; round++ {
		if round > 0 {
			if err := clientSleep(ctx, clientBackoffFor(round)); err != nil {
				return nil, &Error{Name: q.name, Type: qtype, RCode: -1, Err: err}
			}
		}
		asked := false
		for i := range c.targets {
			server := &c.targets[i]
			if struck != nil && struck[i] {
				continue
			}
			asked = true
			edns := noEDNS == nil || !noEDNS[i]
			resp, src, err := c.attempt(ctx, q, server, edns, round)
			if err == nil && resp.Rcode == mdns.RcodeFormatError && edns {
				// RFC 6891 §7: a server that does not know EDNS0 may
				// answer FORMERR; ask it again without.
				if noEDNS == nil {
					noEDNS = make([]bool, len(c.servers))
				}
				noEDNS[i] = true
				resp, src, err = c.attempt(ctx, q, server, false, round)
			}
			if err != nil {
				if cerr := ctx.Err(); cerr != nil {
					return nil, &Error{Name: q.name, Type: qtype, Server: src, RCode: -1, Err: cerr}
				}
				if errors.Is(err, ErrTimeout) {
					c.timeouts.Add(1)
					if !clientContains(out.timedOut, src) {
						out.timedOut = append(out.timedOut, src)
					}
				} else {
					c.failures.Add(1)
					out.netErr, out.netErrSrc = err, src
				}
				continue
			}
			switch resp.Rcode {
			case mdns.RcodeSuccess, mdns.RcodeNameError:
				return clientDecode(resp, q.name, qtype, src)
			case mdns.RcodeServerFailure:
				c.failures.Add(1)
				out.servFail = &Answer{Name: q.name, Type: qtype, RCode: resp.Rcode, Authenticated: resp.AuthenticatedData, Records: []Record{}, Source: src}
				out.servFailSrc = src
			default: // REFUSED, NOTIMP, FORMERR, ...: this server will not help.
				c.failures.Add(1)
				out.rcode, out.rcodeSrc = resp.Rcode, src
				if struck == nil {
					struck = make([]bool, len(c.servers))
				}
				struck[i] = true
			}
		}
		if !asked {
			break
		}
	}
	return out.result(q.name, qtype)
}

// result picks the failure to report: a SERVFAIL answer first (it is the
// resolver's own verdict), then another RCODE, then a timeout, then a
// network error.
func (o *clientOutcome) result(name string, qtype uint16) (*Answer, error) {
	switch {
	case o.servFail != nil:
		return o.servFail, &Error{Name: name, Type: qtype, Server: o.servFailSrc, RCode: RcodeServFail}
	case o.rcode >= 0:
		return nil, &Error{Name: name, Type: qtype, Server: o.rcodeSrc, RCode: o.rcode}
	case len(o.timedOut) > 0:
		return nil, &Error{Name: name, Type: qtype, Server: strings.Join(o.timedOut, ", "), RCode: -1, Err: ErrTimeout}
	default:
		return nil, &Error{Name: name, Type: qtype, Server: o.netErrSrc, RCode: -1, Err: o.netErr}
	}
}

func clientContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func clientBackoffFor(round int) time.Duration {
	d := clientBackoff << (round - 1)
	if d > clientMaxBackoff || d <= 0 {
		d = clientMaxBackoff
	}
	// Jitter of up to half, so that many queries failing together do not
	// retry in lockstep.
	return d/2 + rand.N(d/2+1)
}

func clientSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clientPack packs a query for fqdn and qtype with ID 0.
func clientPack(fqdn string, qtype uint16, udpSize uint16, edns bool) ([]byte, error) {
	m := &mdns.Msg{
		MsgHdr: mdns.MsgHdr{
			Opcode:           mdns.OpcodeQuery,
			RecursionDesired: true,
			// RFC 6840 §5.7: AD in a query asks for the AD bit in the reply.
			AuthenticatedData: true,
		},
		Question: []mdns.Question{{Name: fqdn, Qtype: qtype, Qclass: mdns.ClassINET}},
	}
	if edns {
		m.SetEdns0(udpSize, true)
	}
	return m.Pack()
}

// attempt sends the query once to server and waits for the matching reply.
// A truncated UDP reply is retried over TCP within the attempt. src is the
// server as "udp://ip:port" (or tcp://), naming the transport that gave the
// outcome.
func (c *Client) attempt(ctx context.Context, q *clientQuery, server *clientTarget, edns bool, round int) (*mdns.Msg, string, error) {
	wire := q.wire
	if !edns {
		if q.noEDNS == nil {
			w, err := clientPack(q.fqdn, q.qtype, 0, false)
			if err != nil {
				return nil, server.source("udp"), err
			}
			q.noEDNS = w
		}
		wire = q.noEDNS
	}
	network := "udp"
	if c.tcp {
		network = "tcp"
	}
	resp, src, err := c.exchange(ctx, q, network, server, wire, round)
	if err == nil && resp.Truncated && network == "udp" {
		c.truncated.Add(1)
		resp, src, err = c.exchange(ctx, q, "tcp", server, wire, round)
	}
	return resp, src, err
}

// clientBufPool holds buffers for UDP replies.
var clientBufPool = sync.Pool{New: func() any { b := make([]byte, 65535); return &b }}

// exchange sends wire (with a fresh ID) over network to server and reads the
// reply, within one Timeout and the context.
func (c *Client) exchange(ctx context.Context, q *clientQuery, network string, server *clientTarget, wire []byte, round int) (resp *mdns.Msg, src string, err error) {
	src = server.source(network)
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, src, ctx.Err()
	}
	defer func() { <-c.sem }()

	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var conn net.Conn
	if network == "udp" && server.udp != nil {
		// Connecting a UDP socket to an address does not block.
		conn, err = net.DialUDP("udp", nil, server.udp)
	} else {
		actx, cancel := context.WithDeadline(ctx, deadline)
		conn, err = c.dialer.DialContext(actx, network, server.addr)
		cancel()
	}
	if err != nil {
		err = clientNetErr(ctx, err)
		c.traceFailure(src, 0, q, err)
		return nil, src, err
	}
	defer conn.Close()
	if server.udp == nil {
		src = network + "://" + conn.RemoteAddr().String() // the address the name led to
	}
	_ = conn.SetDeadline(deadline)
	if ctx.Done() != nil {
		// A cancelled context (not only an expired one) interrupts the
		// I/O.
		stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}

	id := mdns.Id()
	// Patch the ID into a private copy: wire is shared by the attempts.
	var msg []byte
	if network == "tcp" {
		msg = make([]byte, 2+len(wire))
		binary.BigEndian.PutUint16(msg, uint16(len(wire)))
		copy(msg[2:], wire)
		binary.BigEndian.PutUint16(msg[2:], id)
	} else {
		msg = append([]byte(nil), wire...)
		binary.BigEndian.PutUint16(msg, id)
	}
	c.sent.Add(1)
	if network == "tcp" {
		c.tcpSent.Add(1)
	}
	if c.trace != nil {
		c.trace(fmt.Sprintf("query %s id=%d %s %s (attempt %d)", src, id, q.fqdn, TypeString(q.qtype), round+1))
	}
	sentAt := time.Now()
	if _, err := conn.Write(msg); err != nil {
		err = clientNetErr(ctx, err)
		c.traceFailure(src, id, q, err)
		return nil, src, err
	}
	if network == "tcp" {
		resp, err = clientReadTCP(conn, id, q)
	} else {
		resp, err = clientReadUDP(conn, id, q)
	}
	if err != nil {
		err = clientNetErr(ctx, err)
		c.traceFailure(src, id, q, err)
		return nil, src, err
	}
	if c.trace != nil {
		c.trace(fmt.Sprintf("reply %s id=%d %s %s %s%s answers=%d %s", src, id, q.fqdn, TypeString(q.qtype),
			RcodeString(resp.Rcode), clientFlags(resp), len(resp.Answer), time.Since(sentAt).Round(10*time.Microsecond)))
	}
	return resp, src, nil
}

func (c *Client) traceFailure(src string, id uint16, q *clientQuery, err error) {
	if c.trace != nil {
		c.trace(fmt.Sprintf("no reply %s id=%d %s %s: %v", src, id, q.fqdn, TypeString(q.qtype), err))
	}
}

func clientFlags(m *mdns.Msg) string {
	var b strings.Builder
	for _, f := range []struct {
		on   bool
		name string
	}{{m.Authoritative, "aa"}, {m.Truncated, "tc"}, {m.RecursionDesired, "rd"}, {m.RecursionAvailable, "ra"}, {m.AuthenticatedData, "ad"}, {m.CheckingDisabled, "cd"}} {
		if f.on {
			b.WriteString(" ")
			b.WriteString(f.name)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return " flags=" + b.String()[1:]
}

// clientNetErr turns an I/O error into the error an attempt reports: the
// context's error when it is done, ErrTimeout when the attempt's deadline
// passed, else the network error without the socket addresses (the server
// is reported beside it).
func clientNetErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// errClientMismatch is returned for a TCP reply that does not answer the
// query (on UDP such replies are ignored: they may be forged).
var errClientMismatch = errors.New("the reply does not match the query (ID or question differs)")

func clientReadUDP(conn net.Conn, id uint16, q *clientQuery) (*mdns.Msg, error) {
	bp := clientBufPool.Get().(*[]byte)
	defer clientBufPool.Put(bp)
	buf := *bp
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		if n < 12 || binary.BigEndian.Uint16(buf) != id {
			continue // not ours: stray, late or forged
		}
		m := new(mdns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			// Our ID, but unreadable: the server is broken (or a forger
			// guessed the ID and the port); either way give up on it.
			return nil, fmt.Errorf("malformed reply: %w", err)
		}
		if !clientMatches(m, q) {
			continue
		}
		return m, nil
	}
}

func clientReadTCP(conn net.Conn, id uint16, q *clientQuery) (*mdns.Msg, error) {
	var l [2]byte
	if _, err := io.ReadFull(conn, l[:]); err != nil {
		return nil, clientEOF(err)
	}
	n := binary.BigEndian.Uint16(l[:])
	if n < 12 {
		return nil, fmt.Errorf("malformed reply: %d octets", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(conn, buf); err != nil {
		return nil, clientEOF(err)
	}
	m := new(mdns.Msg)
	if err := m.Unpack(buf); err != nil {
		return nil, fmt.Errorf("malformed reply: %w", err)
	}
	if m.Id != id || !clientMatches(m, q) {
		return nil, errClientMismatch
	}
	return m, nil
}

func clientEOF(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the server closed the connection without a complete reply")
	}
	return err
}

// clientMatches reports whether reply m answers q: it is a response, and its
// question is ours (a reply refusing the query may carry no question).
func clientMatches(m *mdns.Msg, q *clientQuery) bool {
	if !m.Response {
		return false
	}
	if len(m.Question) == 0 {
		return m.Rcode != mdns.RcodeSuccess && m.Rcode != mdns.RcodeNameError
	}
	if len(m.Question) != 1 {
		return false
	}
	qq := m.Question[0]
	return qq.Qtype == q.qtype && qq.Qclass == mdns.ClassINET && CanonicalName(qq.Name) == CanonicalName(q.fqdn)
}

// clientDecode builds the Answer of a NOERROR or NXDOMAIN reply: it follows
// the CNAME chain in the answer section from the name asked and keeps the
// records of the asked type owned by its end. A chain that loops or has
// more than MaxCNAMEs aliases is an error (see Resolver); an owner with a
// CNAME beside records of the asked type (or two CNAMEs) is flagged in
// CNAMEAndOtherData, and its records are kept.
func clientDecode(m *mdns.Msg, name string, qtype uint16, src string) (*Answer, error) {
	a := &Answer{Name: name, Type: qtype, RCode: m.Rcode, Authenticated: m.AuthenticatedData, Source: src}
	cur := name
	for {
		var target string
		conflict := false
		for _, rr := range m.Answer {
			h := rr.Header()
			if h.Class != mdns.ClassINET || !clientOwnerIs(h.Name, cur) {
				continue
			}
			if h.Rrtype == qtype {
				a.Records = append(a.Records, FromRR(rr))
				continue
			}
			if cn, ok := rr.(*mdns.CNAME); ok {
				t := CanonicalName(cn.Target)
				if target != "" && t != target {
					conflict = true
				}
				if target == "" {
					target = t
				}
			}
		}
		if target != "" && (conflict || len(a.Records) > 0) {
			a.CNAMEAndOtherData = append(a.CNAMEAndOtherData, cur)
		}
		if len(a.Records) > 0 || target == "" || qtype == mdns.TypeCNAME {
			break
		}
		if target == name || clientContains(a.CNAMEs, target) {
			a.CNAMEs = append(a.CNAMEs, target)
			a.RCode, a.Records = RcodeServFail, []Record{}
			return a, cnameLoopError(name, qtype, src, a.CNAMEs)
		}
		a.CNAMEs = append(a.CNAMEs, target)
		if len(a.CNAMEs) > MaxCNAMEs {
			a.RCode, a.Records = RcodeServFail, []Record{}
			return a, cnameLongError(name, qtype, src)
		}
		cur = target
	}
	if a.Records == nil {
		a.Records = []Record{}
	}
	return a, nil
}

// clientOwnerIs compares an owner name as sent (any case, trailing dot) with
// a canonical name.
func clientOwnerIs(owner, canonical string) bool {
	return CanonicalName(owner) == canonical
}
