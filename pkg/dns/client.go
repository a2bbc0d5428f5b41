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
	"sync/atomic"
	"syscall"
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
// goes out with a random ID, from a socket that served at most a few dozen
// queries before (see conn.go for how sockets are kept and retired). A
// reply whose ID or question does not match the query is ignored, as is one
// that cannot be parsed; a truncated UDP reply (or one larger than the
// buffer size advertised) is retried over TCP. A server that times out, fails
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
	n := cfg.MaxInFlight
	if n <= 0 {
		n = clientDefaultMaxInFlight
	}
	for _, s := range cfg.Servers {
		addr, err := clientServerAddr(s)
		if err != nil {
			return nil, err
		}
		c.servers = append(c.servers, addr)
		c.targets = append(c.targets, newClientTarget(addr, n))
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
	c.sem = make(chan struct{}, n)
	return c, nil
}

// clientTarget is a server to ask. When the address is an IP literal, it
// is parsed once, saving the work on every query.
type clientTarget struct {
	addr           string
	udp            *net.UDPAddr // nil for a host name
	udpSrc, tcpSrc string       // Source for an IP literal
	// The idle connections kept for an IP literal (nil for a host name,
	// whose address may change).
	udpPool, tcpPool *connPool
}

func newClientTarget(addr string, maxIdle int) clientTarget {
	t := clientTarget{addr: addr}
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		t.udp = net.UDPAddrFromAddrPort(ap)
		t.udpSrc = "udp://" + t.udp.String()
		t.tcpSrc = "tcp://" + t.udp.String()
		t.udpPool = &connPool{max: maxIdle}
		t.tcpPool = &connPool{max: maxIdle}
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

// Close closes the connections the client keeps open between queries. The
// client stays usable: later queries open new ones.
func (c *Client) Close() error {
	for i := range c.targets {
		if p := c.targets[i].udpPool; p != nil {
			p.closeAll()
			c.targets[i].tcpPool.closeAll()
		}
	}
	return nil
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
	wire, err := packQuery(q.fqdn, qtype, c.udpSize, true)
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
			w, err := packQuery(q.fqdn, q.qtype, 0, false)
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
	if network == "udp" && (err == nil && resp.Truncated || errors.Is(err, errClientCut)) {
		c.truncated.Add(1)
		resp, src, err = c.exchange(ctx, q, "tcp", server, wire, round)
	}
	return resp, src, err
}

// exchange sends wire (with a fresh ID) over network to server and reads the
// reply, within one Timeout and the context. The socket comes from the
// server's pool when one is idle (see conn.go) and goes back to it after a
// clean exchange.
func (c *Client) exchange(ctx context.Context, q *clientQuery, network string, server *clientTarget, wire []byte, round int) (resp *mdns.Msg, src string, err error) {
	src = server.source(network)
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, src, ctx.Err()
	}
	defer func() { <-c.sem }()

	now := time.Now()
	deadline := now.Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tcp := network == "tcp"
	pool := server.udpPool
	maxUses := udpMaxUses
	if tcp {
		pool, maxUses = server.tcpPool, tcpMaxUses
	}
	id := clientID()
	for fresh := false; ; fresh = true {
		var pc *pooledConn
		if pool != nil && !fresh {
			pc = pool.get(now, tcp)
		}
		if pc == nil {
			pc, err = c.dial(ctx, network, server, deadline)
			if err != nil {
				err = clientNetErr(ctx, err)
				c.traceFailure(src, 0, q, err)
				return nil, src, err
			}
		}
		if server.udp == nil {
			src = network + "://" + pc.conn.RemoteAddr().String() // the address the name led to
		}
		var clean bool
		resp, clean, err = c.roundTrip(ctx, pc, q, tcp, wire, id, deadline, src, round)
		if err == nil && clean && pool != nil {
			pool.put(pc, time.Now(), maxUses)
		} else {
			_ = pc.conn.Close()
		}
		if err != nil && tcp && pc.reuse && !fresh && ctx.Err() == nil && clientStale(err) {
			// The server closed the kept connection while it was idle:
			// ask again over a new one.
			continue
		}
		break
	}
	if err != nil {
		if errors.Is(err, errClientCut) {
			return nil, src, err
		}
		err = clientNetErr(ctx, err)
		c.traceFailure(src, id, q, err)
		return nil, src, err
	}
	return resp, src, nil
}

// dial opens a new connection to server.
func (c *Client) dial(ctx context.Context, network string, server *clientTarget, deadline time.Time) (*pooledConn, error) {
	var conn net.Conn
	var err error
	if network == "udp" && server.udp != nil {
		// Connecting a UDP socket to an address does not block.
		conn, err = net.DialUDP("udp", nil, server.udp)
	} else {
		actx, cancel := context.WithDeadline(ctx, deadline)
		conn, err = c.dialer.DialContext(actx, network, server.addr)
		cancel()
	}
	if err != nil {
		return nil, err
	}
	pc := &pooledConn{conn: conn, born: time.Now()}
	if network == "udp" {
		// One octet more than the largest reply asked for: a datagram
		// that fills the buffer was larger than that, and the kernel cut
		// it.
		pc.buf = make([]byte, int(c.udpSize)+1)
	}
	return pc, nil
}

// roundTrip writes the query with id over pc and reads the matching reply.
// clean is false when pc must not be reused: its deadline may have been
// moved by the context, or a reply may still be on its way to it.
func (c *Client) roundTrip(ctx context.Context, pc *pooledConn, q *clientQuery, tcp bool, wire []byte, id uint16, deadline time.Time, src string, round int) (resp *mdns.Msg, clean bool, err error) {
	conn := pc.conn
	_ = conn.SetDeadline(deadline)
	var stop func() bool
	if ctx.Done() != nil {
		// A cancelled context (not only an expired one) interrupts the
		// I/O.
		stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	}
	// Patch the ID into the connection's own copy: wire is shared by the
	// attempts.
	if tcp {
		pc.wbuf = append(append(pc.wbuf[:0], byte(len(wire)>>8), byte(len(wire))), wire...)
		binary.BigEndian.PutUint16(pc.wbuf[2:], id)
	} else {
		pc.wbuf = append(pc.wbuf[:0], wire...)
		binary.BigEndian.PutUint16(pc.wbuf, id)
	}
	pc.uses++
	c.sent.Add(1)
	if tcp {
		c.tcpSent.Add(1)
	}
	if c.trace != nil {
		c.trace(fmt.Sprintf("query %s id=%d %s %s (attempt %d)", src, id, q.fqdn, TypeString(q.qtype), round+1))
	}
	var sentAt time.Time
	if c.trace != nil {
		sentAt = time.Now()
	}
	if _, err = conn.Write(pc.wbuf); err == nil {
		if tcp {
			resp, err = clientReadTCP(pc, id, q)
		} else {
			resp, err = clientReadUDP(pc, id, q)
		}
	}
	if err == nil && c.trace != nil {
		c.trace(fmt.Sprintf("reply %s id=%d %s %s %s%s answers=%d %s", src, id, q.fqdn, TypeString(q.qtype),
			RcodeString(resp.Rcode), clientFlags(resp), len(resp.Answer), time.Since(sentAt).Round(10*time.Microsecond)))
	}
	clean = err == nil
	if stop != nil && !stop() {
		// The context's function has run, or is running: the deadline
		// is no longer this query's.
		clean = false
	}
	return resp, clean, err
}

// clientID returns a random query ID. The runtime's generator (ChaCha8,
// seeded by the system) is unpredictable to an off-path forger and costs no
// system call.
func clientID() uint16 { return uint16(rand.Uint32()) }

// clientStale reports whether err is what a kept TCP connection closed by
// the server gives: an end of file or a reset, before any reply.
func clientStale(err error) bool {
	return errors.Is(err, errClientClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
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

// errClientCut is returned for a UDP reply larger than the buffer size
// advertised: the kernel cut it, so it is retried over TCP, as a
// truncated one.
var errClientCut = errors.New("the UDP reply is larger than the buffer size advertised")

// errClientClosed is returned when a TCP connection ends before a complete
// reply.
var errClientClosed = errors.New("the server closed the connection without a complete reply")

func clientReadUDP(pc *pooledConn, id uint16, q *clientQuery) (*mdns.Msg, error) {
	buf := pc.buf
	for {
		n, err := pc.conn.Read(buf)
		if err != nil {
			return nil, err
		}
		if n < 12 || binary.BigEndian.Uint16(buf) != id {
			continue // not ours: stray, late or forged
		}
		if n == len(buf) {
			return nil, errClientCut
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

func clientReadTCP(pc *pooledConn, id uint16, q *clientQuery) (*mdns.Msg, error) {
	if cap(pc.buf) < 512 {
		pc.buf = make([]byte, 512)
	}
	l := pc.buf[:2]
	if _, err := io.ReadFull(pc.conn, l); err != nil {
		return nil, clientEOF(err)
	}
	n := int(binary.BigEndian.Uint16(l))
	if n < 12 {
		return nil, fmt.Errorf("malformed reply: %d octets", n)
	}
	if cap(pc.buf) < n {
		pc.buf = make([]byte, n)
	}
	buf := pc.buf[:n]
	if _, err := io.ReadFull(pc.conn, buf); err != nil {
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
		return errClientClosed
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
