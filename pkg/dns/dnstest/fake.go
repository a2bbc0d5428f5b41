// Package dnstest holds DNS test doubles: Fake, an in-memory Resolver for
// unit tests, and Server, an in-process DNS server on 127.0.0.1 for tests of
// the network path.
package dnstest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	mdns "github.com/miekg/dns"

	"github.com/penguinmails/emailauth/pkg/dns"
)

type key struct {
	name  string
	qtype uint16
}

// Fake is an in-memory dns.Resolver. A name with no records is NXDOMAIN; a
// name with records of other types is NODATA; CNAMEs are followed, and a
// loop or a chain of more than dns.MaxCNAMEs aliases is the error the
// Resolver's rules give (with the chain in the answer beside it). A name
// holding a CNAME beside other records answers the records of the asked
// type if it has some (as a live resolver passing on such data does), else
// follows the CNAME, and is flagged in Answer.CNAMEAndOtherData. Errors can
// be injected per name and type. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	records map[key][]dns.Record
	types   map[string]map[uint16]bool // the types held at each name
	names   map[string]bool
	faults  map[key]error
	asked   []string
}

// NewFake returns a Fake holding the records given in zone-file syntax, one
// per line; names must be fully qualified ("example.test. 300 IN TXT ..."),
// and the TTL defaults to 300.
// It panics on a malformed line, which is a bug in the test.
func NewFake(zone ...string) *Fake {
	f := &Fake{records: map[key][]dns.Record{}, types: map[string]map[uint16]bool{}, names: map[string]bool{}, faults: map[key]error{}}
	for _, z := range zone {
		f.Add(z)
	}
	return f
}

// Add adds records written as zone-file lines. Blank lines and ; comments are
// skipped. Names without a trailing dot are taken as fully qualified.
func (f *Fake) Add(text string) {
	zp := mdns.NewZoneParser(strings.NewReader(text), ".", "")
	zp.SetDefaultTTL(300)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		f.AddRR(rr)
	}
	if err := zp.Err(); err != nil {
		panic(fmt.Sprintf("dnstest: bad zone text: %v", err))
	}
}

// AddRR adds one record.
func (f *Fake) AddRR(rr mdns.RR) {
	r := dns.FromRR(rr)
	f.mu.Lock()
	defer f.mu.Unlock()
	k := key{r.Name, r.Type}
	f.records[k] = append(f.records[k], r)
	if f.types[r.Name] == nil {
		f.types[r.Name] = map[uint16]bool{}
	}
	f.types[r.Name][r.Type] = true
	// The owner and every ancestor exist: an ancestor with no records of
	// its own is an empty non-terminal (NODATA, not NXDOMAIN).
	for n := r.Name; n != ""; {
		f.names[n] = true
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
}

// AddTXT adds a TXT record at name made of the given character-strings, as
// octets: a backslash or a quote in them is published as it is.
func (f *Fake) AddTXT(name string, strs ...string) {
	esc := make([]string, len(strs))
	for i, s := range strs {
		esc[i] = dns.EscapeString(s)
	}
	f.AddRR(&mdns.TXT{Hdr: mdns.RR_Header{Name: mdns.Fqdn(name), Rrtype: mdns.TypeTXT, Class: mdns.ClassINET, Ttl: 300}, Txt: esc})
}

// AddName makes name exist with no records (an empty non-terminal, or a
// name whose only records are of types the test does not ask).
func (f *Fake) AddName(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names[dns.CanonicalName(name)] = true
}

// Fail makes queries for name and qtype (0: any type) fail with err. Use
// Timeout and ServFail for the usual cases.
func (f *Fake) Fail(name string, qtype uint16, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[key{dns.CanonicalName(name), qtype}] = err
}

// Timeout makes queries for name and qtype (0: any type) time out.
func (f *Fake) Timeout(name string, qtype uint16) {
	n := dns.CanonicalName(name)
	f.Fail(n, qtype, &dns.Error{Name: n, Type: qtype, RCode: -1, Err: dns.ErrTimeout, Server: "fake"})
}

// ServFail makes queries for name and qtype (0: any type) answer SERVFAIL.
func (f *Fake) ServFail(name string, qtype uint16) {
	n := dns.CanonicalName(name)
	f.Fail(n, qtype, &dns.Error{Name: n, Type: qtype, RCode: dns.RcodeServFail, Server: "fake"})
}

// Asked returns the questions asked so far, as "name TYPE", in order.
func (f *Fake) Asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// Query implements dns.Resolver.
func (f *Fake) Query(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := dns.CheckQueryName(name); err != nil {
		return nil, err
	}
	n := dns.CanonicalName(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, n+" "+dns.TypeString(qtype))
	a := &dns.Answer{Name: n, Type: qtype, Source: "fake", Records: []dns.Record{}}
	cur := n
	for {
		if err := f.fault(cur, qtype); err != nil {
			return nil, err
		}
		if f.conflict(cur) {
			a.CNAMEAndOtherData = append(a.CNAMEAndOtherData, cur)
		}
		if rs := f.records[key{cur, qtype}]; len(rs) > 0 {
			a.Records = append(a.Records, rs...)
			return a, nil
		}
		if c := f.records[key{cur, dns.TypeCNAME}]; len(c) > 0 && qtype != dns.TypeCNAME {
			t := c[0].Target
			loop := t == n || slices.Contains(a.CNAMEs, t)
			a.CNAMEs = append(a.CNAMEs, t)
			switch {
			case loop:
				a.RCode = dns.RcodeServFail
				return a, &dns.Error{Name: n, Type: qtype, Server: "fake", RCode: -1,
					Err: fmt.Errorf("%w: %s", dns.ErrCNAMELoop, strings.Join(append([]string{n}, a.CNAMEs...), " -> "))}
			case len(a.CNAMEs) > dns.MaxCNAMEs:
				a.RCode = dns.RcodeServFail
				return a, &dns.Error{Name: n, Type: qtype, Server: "fake", RCode: -1,
					Err: fmt.Errorf("%w: more than %d aliases", dns.ErrCNAMEChainTooLong, dns.MaxCNAMEs)}
			}
			cur = t
			continue
		}
		if !f.names[cur] {
			a.RCode = dns.RcodeNXDomain
		}
		return a, nil
	}
}

// conflict reports whether name holds a CNAME beside another record
// (other than RRSIG and NSEC), or two CNAMEs. f.mu is held.
func (f *Fake) conflict(name string) bool {
	types := f.types[name]
	if !types[dns.TypeCNAME] {
		return false
	}
	if len(f.records[key{name, dns.TypeCNAME}]) > 1 {
		return true
	}
	for t := range types {
		if t != dns.TypeCNAME && t != mdns.TypeRRSIG && t != mdns.TypeNSEC {
			return true
		}
	}
	return false
}

func (f *Fake) fault(name string, qtype uint16) error {
	if err, ok := f.faults[key{name, qtype}]; ok {
		return err
	}
	if err, ok := f.faults[key{name, 0}]; ok {
		return err
	}
	return nil
}
