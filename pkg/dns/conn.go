package dns

import (
	"net"
	"sync"
	"time"
)

// Sockets kept between queries.
//
// Dialling a UDP socket for every query costs five system calls (socket,
// setsockopt, connect, getsockname, close) and a file descriptor's worth of
// runtime bookkeeping: in a bulk run that was more than half of the client's
// time. So a Client keeps, per server given as an IP address, the sockets
// that answered cleanly and hands each to one query at a time.
//
// A kept UDP socket keeps its source port, which an off-path forger would
// otherwise have to guess as well as the 16-bit ID. The reuse is bounded to
// keep that window small: a socket serves at most udpMaxUses queries and
// lives at most udpMaxAge, and it is closed, never reused, after any query
// that did not end with its matching reply (a timeout, an error, a
// cancelled context), so a late or forged datagram meant for one query
// cannot wait in the socket for the next one. Replies are still matched
// on the ID and the question, as on a fresh socket.
//
// TCP connections (a truncated answer's retry, or every query with
// ClientConfig.TCP) are kept idle for tcpMaxIdle: a server that truncates
// many answers is asked over one connection rather than one per answer. A
// kept connection that the server has meanwhile closed is replaced by a new
// one within the same attempt.
const (
	udpMaxUses = 128
	udpMaxAge  = 10 * time.Second
	tcpMaxIdle = 5 * time.Second
	// tcpMaxUses bounds the queries asked over one TCP connection (servers
	// bound them too; NSD and BIND close after 100 or so by default).
	tcpMaxUses = 64
)

// pooledConn is a connection to one server with its buffers.
type pooledConn struct {
	conn net.Conn
	// buf is the reply buffer of a UDP socket (the EDNS size advertised,
	// so that a reply the kernel cut is recognised) or the message buffer
	// of a TCP connection (grown as needed).
	buf   []byte
	wbuf  []byte // the query with its ID (and TCP length) patched in
	uses  int
	born  time.Time
	idle  time.Time // when it was put back
	reuse bool      // it has served a query before this one
}

// connPool holds the idle connections of one server and transport, the
// most recently used first out (so few sockets stay warm).
type connPool struct {
	mu   sync.Mutex
	idle []*pooledConn
	max  int
}

// get returns an idle connection fit for reuse, or nil. Stale ones are
// closed.
func (p *connPool) get(now time.Time, tcp bool) *pooledConn {
	p.mu.Lock()
	for n := len(p.idle); n > 0; n = len(p.idle) {
		pc := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		if tcp && now.Sub(pc.idle) >= tcpMaxIdle || !tcp && now.Sub(pc.born) >= udpMaxAge {
			p.mu.Unlock()
			_ = pc.conn.Close()
			p.mu.Lock()
			continue
		}
		p.mu.Unlock()
		pc.reuse = true
		return pc
	}
	p.mu.Unlock()
	return nil
}

// put keeps pc for a later query, or closes it when it has served its
// share or the pool is full.
func (p *connPool) put(pc *pooledConn, now time.Time, maxUses int) {
	if pc.uses >= maxUses {
		_ = pc.conn.Close()
		return
	}
	pc.idle = now
	p.mu.Lock()
	if len(p.idle) < p.max {
		p.idle = append(p.idle, pc)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	_ = pc.conn.Close()
}

// closeAll closes the idle connections.
func (p *connPool) closeAll() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, pc := range idle {
		_ = pc.conn.Close()
	}
}
