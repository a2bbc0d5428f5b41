// Package dnstest holds DNS test doubles: Fake, an in-memory Resolver for
// unit tests, and Server, an in-process DNS server on 127.0.0.1 for tests of
// the network path.
package dnstest

import (
	"context"
	"fmt"
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
// name with records of other types is NODATA; CNAMEs are followed. Errors can
// be injected per name and type. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	records map[key][]dns.Record
	names   map[string]bool
	faults  map[key]error
	asked   []string
}

// NewFake returns a Fake holding the records given in zone-file syntax, one
// per line; names must be fully qualified ("example.test. 300 IN TXT ..."),
// and the TTL defaults to 300.
// It panics on a malformed line, which is a bug in the test.
func NewFake(zone ...string) *Fake {
	f := &Fake{records: map[key][]dns.Record{}, names: map[string]bool{}, faults: map[key]error{}}
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
	for hops := 0; ; hops++ {
		if err := f.fault(cur, qtype); err != nil {
			return nil, err
		}
		if rs := f.records[key{cur, qtype}]; len(rs) > 0 {
			a.Records = append(a.Records, rs...)
			return a, nil
		}
		if c := f.records[key{cur, dns.TypeCNAME}]; len(c) > 0 && qtype != dns.TypeCNAME && hops < 16 {
			cur = c[0].Target
			a.CNAMEs = append(a.CNAMEs, cur)
			continue
		}
		if !f.names[cur] {
			a.RCode = dns.RcodeNXDomain
		}
		return a, nil
	}
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
