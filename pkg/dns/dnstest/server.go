package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/dns"
)

// Fault is a misbehaviour the Server applies to matching queries (see
// Server.Inject).
type Fault struct {
	// Delay holds the reply back this long.
	Delay time.Duration
	// Drop sends no reply at all (after Delay).
	Drop bool
	// Rcode, if not 0, is sent instead of the answer, with no records
	// (dns.RcodeServFail, dns.RcodeRefused, ...).
	Rcode int
	// Truncate sends UDP replies with TC=1 and no records; queries over TCP
	// are answered in full (and do not count toward Times).
	Truncate bool
	// Spoof sends, before each UDP reply, two forged NXDOMAIN replies: one
	// with another ID, one with the right ID but another question. A
	// correct client ignores both. TCP queries are not spoofed (and do not
	// count toward Times).
	Spoof bool
	// Times applies the fault to the first Times matching queries only; 0
	// means every matching query.
	Times int
}

type serverFault struct {
	name  string // canonical; "" for every name
	qtype uint16 // 0 for every type
	f     Fault
	used  int
}

// Server is a DNS server on 127.0.0.1, UDP and TCP on the same port, for
// tests of code that talks to a real resolver. It answers like a recursive
// resolver: CNAME chains in the answer section, NXDOMAIN and NODATA told
// apart, RA set, EDNS0 echoed, UDP replies truncated (TC=1) when they exceed
// the client's advertised buffer (512 octets without EDNS0).
//
// A resolver error becomes the reply's RCODE: a *dns.Error with an RCODE
// gives that RCODE, a timeout gives no reply at all, an invalid name gives
// FORMERR, anything else SERVFAIL; but a CNAME loop or an over-long chain
// is served as the chain itself (NOERROR), as an authoritative server
// holding such data sends it, so that the client finds the loop. A name
// flagged with a CNAME beside other data is served with both.
type Server struct {
	t    testing.TB
	r    dns.Resolver
	fake *Fake
	addr string
	udp  *mdns.Server
	tcp  *mdns.Server

	ctx    context.Context // cancelled when the server shuts down
	cancel context.CancelFunc

	mu     sync.Mutex
	faults []*serverFault
	strict bool
	known  map[string]bool // names the zone text mentions, with their ancestors

	ad         atomic.Bool
	aa         atomic.Bool
	nUDP, nTCP atomic.Int64
}

// NewServer starts a server answering from records written as zone-file text
// (fully-qualified names, or relative ones after a $ORIGIN line), through a
// Fake. Names between an owner name and a higher owner name in the text
// (such as _domainkey.example.test when the text has example.test and
// sel._domainkey.example.test) exist without records: NODATA, not NXDOMAIN.
// Any other name is NXDOMAIN. Malformed zone text fails the test.
//
// The server is shut down by t.Cleanup.
func NewServer(t testing.TB, zone string) *Server {
	t.Helper()
	var owners []string
	known := map[string]bool{}
	zp := mdns.NewZoneParser(strings.NewReader(zone), ".", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		r := dns.FromRR(rr)
		owners = append(owners, r.Name)
		serverMention(known, r.Name)
		if r.Target != "" && r.Target != "." {
			serverMention(known, r.Target)
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("dnstest: bad zone text: %v", err)
	}
	f := NewFake(zone)
	for _, ent := range serverEmptyNonTerminals(owners) {
		f.AddName(ent)
	}
	return newServer(t, f, f, known)
}

// NewServerFor starts a server answering from r. The server is shut down by
// t.Cleanup.
func NewServerFor(t testing.TB, r dns.Resolver) *Server {
	t.Helper()
	return newServer(t, r, nil, nil)
}

// serverMention records name and its ancestors as known.
func serverMention(known map[string]bool, name string) {
	for n := name; n != ""; {
		known[n] = true
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
}

// serverEmptyNonTerminals returns the names strictly between an owner name
// and the nearest ancestor that is itself an owner name.
func serverEmptyNonTerminals(owners []string) []string {
	isOwner := map[string]bool{}
	for _, o := range owners {
		isOwner[o] = true
	}
	var out []string
	for _, o := range owners {
		var between []string
		for n := o; ; {
			i := strings.IndexByte(n, '.')
			if i < 0 {
				between = nil
				break
			}
			n = n[i+1:]
			if isOwner[n] {
				break
			}
			between = append(between, n)
		}
		for _, b := range between {
			if !isOwner[b] {
				out = append(out, b)
			}
		}
	}
	return out
}

func newServer(t testing.TB, r dns.Resolver, fake *Fake, known map[string]bool) *Server {
	t.Helper()
	s := &Server{t: t, r: r, fake: fake, known: known}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	pc, l, err := serverListen()
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	s.addr = pc.LocalAddr().String()
	s.udp = &mdns.Server{PacketConn: pc, Handler: s}
	s.tcp = &mdns.Server{Listener: l, Handler: s}
	for _, srv := range []*mdns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("dnstest: starting the server: %v", err)
		}
	}
	t.Cleanup(s.close)
	return s
}

// serverListen binds UDP and TCP on one free port of 127.0.0.1.
func serverListen() (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("listening on UDP: %w", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		lastErr = err
		pc.Close()
	}
	return nil, nil, fmt.Errorf("no port free for both UDP and TCP on 127.0.0.1: %w", lastErr)
}

func (s *Server) close() {
	s.cancel() // ends pending delays
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.udp.ShutdownContext(ctx); err != nil {
		s.t.Errorf("dnstest: shutting down the UDP server: %v", err)
	}
	if err := s.tcp.ShutdownContext(ctx); err != nil {
		s.t.Errorf("dnstest: shutting down the TCP server: %v", err)
	}
}

// Addr returns the server's address, "127.0.0.1:port", for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Fake returns the Fake the server answers from (NewServer), so a test can
// add records or faults; nil for NewServerFor.
func (s *Server) Fake() *Fake { return s.fake }

// Queries returns the number of queries received over UDP and over TCP.
func (s *Server) Queries() (udp, tcp int) {
	return int(s.nUDP.Load()), int(s.nTCP.Load())
}

// SetAuthenticated sets (or clears) the AD bit on every answer.
func (s *Server) SetAuthenticated(on bool) { s.ad.Store(on) }

// SetAuthoritative makes the server answer as an authoritative server of
// its zone rather than as a recursive resolver: the AA bit set on answers
// (NOERROR and NXDOMAIN) and RA clear. Tests of code that asks a zone's
// name servers directly start one such server per name server.
func (s *Server) SetAuthoritative(on bool) { s.aa.Store(on) }

// Strict makes the server fail the test (t.Errorf) on a query for a name
// the zone text never mentions: not as an owner name, not as the target of a
// CNAME, MX, NS, PTR or SRV record, not as an ancestor of either, and not in
// an Inject call. It catches stray lookups. A server started with
// NewServerFor knows no name but those given to Inject.
func (s *Server) Strict(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.strict = on
}

// Inject applies f to queries for name (any case; "" for every name) and
// qtype (0 for every type). When several injected faults match a query, the
// first one injected that still applies is used.
func (s *Server) Inject(name string, qtype uint16, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := dns.CanonicalName(name)
	s.faults = append(s.faults, &serverFault{name: n, qtype: qtype, f: f})
	if n != "" {
		if s.known == nil {
			s.known = map[string]bool{}
		}
		serverMention(s.known, n)
	}
}

// fault returns the fault to apply to a query, counting it.
func (s *Server) fault(name string, qtype uint16, tcp bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sf := range s.faults {
		if sf.name != "" && sf.name != name || sf.qtype != 0 && sf.qtype != qtype {
			continue
		}
		if sf.f.Times > 0 && sf.used >= sf.f.Times {
			continue
		}
		f := sf.f
		if tcp && (f.Truncate || f.Spoof) && !f.Drop && f.Delay == 0 && f.Rcode == 0 {
			continue // a UDP-only fault
		}
		sf.used++
		return f, true
	}
	return Fault{}, false
}

func (s *Server) checkRoute(name string, qtype uint16) {
	s.mu.Lock()
	strict, ok := s.strict, s.known[name]
	s.mu.Unlock()
	if strict && !ok {
		s.t.Errorf("dnstest: query for %s %s has no route: the zone text never mentions the name", name, dns.TypeString(qtype))
	}
}

// ServeDNS implements mdns.Handler.
func (s *Server) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	_, tcp := w.RemoteAddr().(*net.TCPAddr)
	if tcp {
		s.nTCP.Add(1)
	} else {
		s.nUDP.Add(1)
	}
	if req.Response || req.Opcode != mdns.OpcodeQuery || len(req.Question) != 1 {
		m := new(mdns.Msg)
		m.SetRcodeFormatError(req)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	s.checkRoute(name, q.Qtype)
	f, _ := s.fault(name, q.Qtype, tcp)
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
	if f.Drop {
		return
	}

	m := new(mdns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = !s.aa.Load()
	if f.Rcode != 0 {
		m.Rcode = f.Rcode
	} else if !s.fill(m, name, q) {
		return // the resolver timed out: so does the server
	}
	if m.Rcode == mdns.RcodeSuccess || m.Rcode == mdns.RcodeNameError {
		m.AuthenticatedData = m.AuthenticatedData || s.ad.Load()
		m.Authoritative = s.aa.Load()
	}
	size := mdns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(1232, opt.Do())
		if int(opt.UDPSize()) > size {
			size = int(opt.UDPSize())
		}
	}
	if !tcp {
		if f.Truncate {
			m.Truncated = true
			m.Answer, m.Ns = nil, nil
		} else {
			m.Truncate(size)
		}
		if f.Spoof {
			s.spoof(w, req)
		}
	}
	_ = w.WriteMsg(m)
}

// fill puts the resolver's outcome for q in m. It returns false when the
// server should not answer.
func (s *Server) fill(m *mdns.Msg, name string, q mdns.Question) bool {
	ans, err := s.r.Query(s.ctx, name, q.Qtype)
	if err != nil && dns.IsCNAMEChainError(err) && ans != nil {
		// Serve the chain up to the alias that closes the loop or goes
		// past the limit.
		owner := q.Name
		for _, target := range ans.CNAMEs {
			fq := mdns.Fqdn(target)
			m.Answer = append(m.Answer, &mdns.CNAME{
				Hdr:    mdns.RR_Header{Name: owner, Rrtype: mdns.TypeCNAME, Class: mdns.ClassINET, Ttl: 300},
				Target: fq,
			})
			owner = fq
		}
		m.Rcode = mdns.RcodeSuccess
		return true
	}
	if err != nil {
		var de *dns.Error
		var ne *dns.NameError
		switch {
		case errors.As(err, &ne):
			m.Rcode = mdns.RcodeFormatError
		case dns.IsTimeout(err) || errors.Is(err, context.Canceled):
			return false
		case errors.As(err, &de) && de.RCode >= 0:
			m.Rcode = de.RCode
		default:
			m.Rcode = mdns.RcodeServerFailure
		}
		return true
	}
	m.Rcode = ans.RCode
	m.AuthenticatedData = ans.Authenticated
	ttl := uint32(300)
	if len(ans.Records) > 0 {
		ttl = ans.MinTTL()
	}
	owner := q.Name
	for _, target := range ans.CNAMEs {
		fq := mdns.Fqdn(target)
		m.Answer = append(m.Answer, &mdns.CNAME{
			Hdr:    mdns.RR_Header{Name: owner, Rrtype: mdns.TypeCNAME, Class: mdns.ClassINET, Ttl: ttl},
			Target: fq,
		})
		owner = fq
	}
	if len(ans.Records) > 0 && len(ans.CNAMEAndOtherData) > 0 {
		// The records' owner holds a CNAME too: send it beside them.
		end := name
		if len(ans.CNAMEs) > 0 {
			end = ans.CNAMEs[len(ans.CNAMEs)-1]
		}
		if slices.Contains(ans.CNAMEAndOtherData, end) {
			if c, err := s.r.Query(s.ctx, end, mdns.TypeCNAME); err == nil {
				for _, r := range c.Records {
					if r.RR != nil && r.Type == mdns.TypeCNAME {
						m.Answer = append(m.Answer, r.RR)
					}
				}
			}
		}
	}
	for _, r := range ans.Records {
		rr := r.RR
		if rr == nil {
			var err error
			rr, err = mdns.NewRR(fmt.Sprintf("%s %d IN %s %s", mdns.Fqdn(r.Name), r.TTL, dns.TypeString(r.Type), r.Data))
			if err != nil {
				s.t.Errorf("dnstest: cannot serve record %s %s %q: %v", r.Name, dns.TypeString(r.Type), r.Data, err)
				continue
			}
		}
		m.Answer = append(m.Answer, rr)
	}
	return true
}

// spoof sends the two forged replies of Fault.Spoof.
func (s *Server) spoof(w mdns.ResponseWriter, req *mdns.Msg) {
	badID := new(mdns.Msg)
	badID.SetRcode(req, mdns.RcodeNameError)
	badID.Id = req.Id ^ 0x5a5a
	_ = w.WriteMsg(badID)

	badQ := new(mdns.Msg)
	badQ.SetRcode(req, mdns.RcodeNameError)
	badQ.Question = []mdns.Question{{Name: "forged.invalid.", Qtype: req.Question[0].Qtype, Qclass: mdns.ClassINET}}
	_ = w.WriteMsg(badQ)
}
